//! `scope`: spawn any number of tasks that may borrow from the caller's stack, and wait for
//! all of them.
//!
//! A scope counts its unfinished tasks, plus one for its body, in a [`CountLatch`]. Each
//! `spawn` adds one before the task becomes visible to other workers; each task removes one
//! when it is done, panicked or not. The worker that opened the scope runs its body, removes
//! the body's unit, and works on other jobs until the count is zero. Only then does `scope`
//! return, so nothing a task borrows can go away while the task may still run. A task's
//! panic is kept (the first one; later ones are dropped) and re-raised when the scope ends.

use std::any::Any;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::Arc;

use crate::isolate::Region;
use crate::job::HeapJob;
use crate::latch::CountLatch;
use crate::loom::{AtomicPtr, Ordering};
use crate::pool::{Registry, WorkerThread, in_worker};
use crate::unwind;

/// A scope in which tasks that borrow from the enclosing stack can be spawned. Created by
/// [`scope`] or [`ThreadPool::scope`](crate::ThreadPool::scope).
///
/// # Examples
///
/// ```
/// let mut counts = [0u32; 4];
/// brigade::scope(|s| {
///     for (i, c) in counts.iter_mut().enumerate() {
///         s.spawn(move |_| *c = i as u32 * 10);
///     }
/// });
/// assert_eq!(counts, [0, 10, 20, 30]);
/// ```
///
/// A task cannot outlive data that the scope does not outlive:
///
/// ```compile_fail,E0373
/// let pool = brigade::ThreadPool::builder().num_threads(2).build().unwrap();
/// pool.scope(|s| {
///     let local = vec![1, 2, 3];
///     // error: `local` does not live long enough (the task may run after this closure)
///     s.spawn(|_| println!("{:?}", local));
/// });
/// ```
pub struct Scope<'scope> {
    base: ScopeBase,
    /// Makes `'scope` invariant, as in `std::thread::Scope`.
    marker: PhantomData<&'scope mut &'scope ()>,
}

struct ScopeBase {
    registry: Arc<Registry>,
    /// The first panic of a task, to re-raise when the scope ends; null if none.
    panic: AtomicPtr<Box<dyn Any + Send>>,
    /// Unfinished tasks plus one for the body.
    pending: CountLatch,
}

/// Opens a scope on the current pool (or the global pool outside any) and runs `op` in it.
/// Returns once `op` and every task spawned in the scope have finished.
///
/// # Panics
///
/// If `op` or any task panics, the first panic is re-raised here after all tasks have
/// finished. The pool stays usable.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// let total = AtomicUsize::new(0);
/// brigade::scope(|s| {
///     for i in 1..=100 {
///         let total = &total;
///         s.spawn(move |_| { total.fetch_add(i, Ordering::Relaxed); });
///     }
/// });
/// assert_eq!(total.into_inner(), 5050);
/// ```
pub fn scope<'scope, OP, R>(op: OP) -> R
where
    OP: FnOnce(&Scope<'scope>) -> R + Send,
    R: Send,
{
    in_worker(|owner, _| scope_on(owner, op))
}

/// Runs a scope whose body runs on `owner`.
pub(crate) fn scope_on<'scope, OP, R>(owner: &WorkerThread, op: OP) -> R
where
    OP: FnOnce(&Scope<'scope>) -> R + Send,
    R: Send,
{
    let scope = Scope {
        base: ScopeBase {
            registry: Arc::clone(owner.registry_arc()),
            panic: AtomicPtr::new(ptr::null_mut()),
            pending: CountLatch::new(1, Arc::clone(owner.registry_arc()), owner.index()),
        },
        marker: PhantomData,
    };
    let result = unwind::halt_unwinding(|| op(&scope));
    let result = match result {
        Ok(r) => Some(r),
        Err(payload) => {
            scope.base.task_panicked(payload);
            None
        }
    };
    // SAFETY: the body holds one unit, released here; `scope` lives on until the wait ends.
    unsafe { CountLatch::decrement(&scope.base.pending, 1) };
    owner.wait_until(&scope.base.pending);
    scope.base.propagate_panic();
    result.expect("scope body returned normally when no panic was recorded")
}

impl<'scope> Scope<'scope> {
    /// Spawns a task in this scope. It may run on any worker of the pool, in any order with
    /// the other tasks, and may borrow anything that outlives the scope. It gets the scope,
    /// to spawn more tasks.
    ///
    /// It never runs on the spawning thread during the spawn: when a worker's deque is full, half of
    /// it moves to the pool's injector, so spawns are bounded only by memory.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    ///
    /// fn count_tree<'s>(s: &brigade::Scope<'s>, depth: u32, nodes: &'s AtomicUsize) {
    ///     nodes.fetch_add(1, Ordering::Relaxed);
    ///     if depth > 0 {
    ///         for _ in 0..2 {
    ///             s.spawn(move |s| count_tree(s, depth - 1, nodes));
    ///         }
    ///     }
    /// }
    /// let nodes = AtomicUsize::new(0);
    /// brigade::scope(|s| count_tree(s, 9, &nodes));
    /// assert_eq!(nodes.into_inner(), 1023);
    /// ```
    pub fn spawn<BODY>(&self, body: BODY)
    where
        BODY: FnOnce(&Scope<'scope>) + Send + 'scope,
    {
        let scope = ScopePtr(self);
        // The job is called by value, so the borrows `body` captured would stay live (as
        // borrows in a function argument) until the job returns, which is after `task_done`
        // lets the scope end and its owner free what they point to. Behind `MaybeUninit`
        // they are not the argument's: they live in `body` below, which is consumed before
        // `task_done`. (`std::thread::scope` does the same with its internal `MaybeDangling`;
        // miri caught this, `api::scope_frees_borrowed_data_right_after_the_last_task`.)
        let body = MaybeUninit::new(body);
        let job = move || {
            // Forces the closure to capture the whole `ScopePtr` (which is `Send`).
            let scope = scope;
            // SAFETY: initialized above; the job runs once, so it is read once.
            let body = unsafe { body.assume_init() };
            // SAFETY: the scope outlives every task: it does not return before `pending`
            // is zero, and this task holds a unit until `task_done` below.
            let this = unsafe { &*scope.0 };
            let outcome = unwind::halt_unwinding(|| body(this));
            // SAFETY: `this` is valid and we hold one unit; after this call the scope may be
            // gone, and nothing of it is used again.
            unsafe { ScopeBase::task_done(&this.base, outcome) };
        };
        self.base.pending.increment(1);
        let worker = WorkerThread::current().filter(|w| w.registry().same_as(&self.base.registry));
        // SAFETY: the job may borrow `'scope` data; the scope waits for it (see above).
        let job = unsafe { HeapJob::into_job_ref(job, worker) };
        match worker {
            Some(worker) => worker.push_or_spill(job),
            None => self.base.registry.inject(job.in_region(Region::current())),
        }
    }
}

impl ScopeBase {
    /// Records a task's outcome and releases its unit.
    ///
    /// # Safety
    /// `this` must be valid and the caller must hold one unit of `pending`. The scope may be
    /// freed by its owner as soon as the unit is released.
    unsafe fn task_done(this: *const ScopeBase, outcome: Result<(), Box<dyn Any + Send>>) {
        // SAFETY: valid until the decrement, by the caller's contract.
        unsafe {
            if let Err(payload) = outcome {
                (*this).task_panicked(payload);
            }
            CountLatch::decrement(&(*this).pending, 1);
        }
    }

    /// Keeps the first panic; drops later ones.
    fn task_panicked(&self, payload: Box<dyn Any + Send>) {
        let boxed = Box::into_raw(Box::new(payload));
        // AcqRel: Release publishes the payload to the owner's Acquire swap in
        // `propagate_panic` (which also follows the latch's AcqRel chain).
        if self
            .panic
            .compare_exchange(ptr::null_mut(), boxed, Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
        {
            // SAFETY: `boxed` came from `Box::into_raw` above and was not stored.
            let payload = *unsafe { Box::from_raw(boxed) };
            unwind::drop_payload(payload);
        }
    }

    /// Re-raises the first panic of the scope, if any.
    fn propagate_panic(&self) {
        let ptr = self.panic.swap(ptr::null_mut(), Ordering::Acquire);
        if !ptr.is_null() {
            // SAFETY: a non-null pointer was stored by `task_panicked` from `Box::into_raw`,
            // and the swap takes it out exactly once.
            let payload = *unsafe { Box::from_raw(ptr) };
            unwind::resume_unwinding(payload);
        }
    }
}

/// A pointer to a scope that tasks carry to other threads.
struct ScopePtr<T>(*const T);

// SAFETY: a `Scope` is `Sync` (its shared state is atomic or behind `Arc`), so a pointer to
// it may go to another thread; the scope outlives every task that holds one.
unsafe impl<T: Sync> Send for ScopePtr<T> {}

impl std::fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope")
            .field("num_threads", &self.base.registry.num_threads())
            .field("pending", &self.base.pending)
            .finish()
    }
}
