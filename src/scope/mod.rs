//! `scope` and `in_place_scope`: spawn any number of tasks that may borrow from the caller's
//! stack, and wait for all of them.
//!
//! A scope counts its unfinished tasks, plus one for its body, in a [`CountLatch`]. Each
//! `spawn` adds one before the task becomes visible to other workers; each task removes one
//! when it is done, panicked or not. The thread that opened the scope runs its body (for
//! `scope`, a worker of the pool; for `in_place_scope`, the caller, wherever it is), removes
//! the body's unit, and waits until the count is zero: a worker works on other jobs
//! meanwhile, any other thread blocks. Only then does `scope`
//! return, so nothing a task borrows can go away while the task may still run. A task's
//! panic is kept (the first one; later ones are dropped) and re-raised when the scope ends.

use std::any::Any;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::Arc;

use crate::broadcast::BroadcastContext;
use crate::isolate::Region;
use crate::job::{HeapJob, JobRef};
use crate::latch::CountLatch;
use crate::loom::{AtomicPtr, Ordering};
use crate::pool::{Registry, WorkerThread, in_worker};
use crate::unwind;

mod fifo;

pub use fifo::{ScopeFifo, in_place_scope_fifo, scope_fifo};
pub(crate) use fifo::{in_place_scope_fifo_in, scope_fifo_on};

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

pub(crate) struct ScopeBase {
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
    run_on_worker(owner, owner.registry_arc(), Scope::new, op)
}

/// Opens a scope whose body runs right here, on the calling thread, and whose tasks run on
/// the current pool (the global pool outside every pool). Returns once `op` and every task
/// spawned in the scope have finished.
///
/// Unlike [`scope`], the body is not sent to a worker: it may use what cannot leave this
/// thread (an `Rc`, a `RefCell` borrow), it never waits for a worker to pick it up, and on a
/// thread outside every pool it may block (on a channel, a lock) for a task of the scope
/// without taking a worker away from that task. After the body, a worker waits for the
/// tasks by running other jobs; any other thread blocks.
///
/// # Panics
///
/// As [`scope`]: the first panic of the body or a task is re-raised here once all tasks
/// have finished.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use std::sync::mpsc;
///
/// let log = Rc::new(RefCell::new(Vec::new())); // not `Send`: fine in the body
/// let (tx, rx) = mpsc::channel();
/// brigade::in_place_scope(|s| {
///     for i in 0..4u32 {
///         let tx = tx.clone();
///         s.spawn(move |_| tx.send(i * i).unwrap());
///     }
///     // The body blocks this thread, not a worker, until the tasks have sent.
///     for v in rx.iter().take(4) {
///         log.borrow_mut().push(v);
///     }
/// });
/// log.borrow_mut().sort();
/// assert_eq!(*log.borrow(), [0, 1, 4, 9]);
/// ```
///
/// Tasks still run on workers, so what they capture must be `Send`, even here:
///
/// ```compile_fail,E0277
/// use std::rc::Rc;
///
/// let shared = Rc::new(5);
/// brigade::in_place_scope(|s| {
///     // error: `Rc<i32>` cannot be sent between threads safely
///     s.spawn(|_| println!("{}", shared));
/// });
/// ```
pub fn in_place_scope<'scope, OP, R>(op: OP) -> R
where
    OP: FnOnce(&Scope<'scope>) -> R,
{
    in_place_scope_in(crate::pool::current_registry(), op)
}

/// `in_place_scope` with its tasks on `registry`'s pool.
pub(crate) fn in_place_scope_in<'scope, OP, R>(registry: &Arc<Registry>, op: OP) -> R
where
    OP: FnOnce(&Scope<'scope>) -> R,
{
    run_in_place(registry, Scope::new, op)
}

/// Runs a scope made by `make`, whose tasks go to `registry`'s pool, with its body on the
/// calling thread: a worker (of this pool or of another) waits for the tasks working, in its
/// own pool, and the last task wakes it there; any other thread blocks.
pub(crate) fn run_in_place<S: HasBase, OP, R>(
    registry: &Arc<Registry>,
    make: fn(&Arc<Registry>, CountLatch) -> S,
    op: OP,
) -> R
where
    OP: FnOnce(&S) -> R,
{
    match WorkerThread::current() {
        Some(owner) => run_on_worker(owner, registry, make, op),
        None => run_scope(
            make(registry, CountLatch::blocking(1)),
            op,
            CountLatch::wait_blocking,
        ),
    }
}

/// Runs a scope made by `make`, whose tasks go to `registry`'s pool, with its body on worker
/// `owner`, which then waits for the tasks working.
pub(crate) fn run_on_worker<S: HasBase, OP, R>(
    owner: &WorkerThread,
    registry: &Arc<Registry>,
    make: fn(&Arc<Registry>, CountLatch) -> S,
    op: OP,
) -> R
where
    OP: FnOnce(&S) -> R,
{
    let pending = CountLatch::new(1, Arc::clone(owner.registry_arc()), owner.index());
    run_scope(make(registry, pending), op, |pending| {
        owner.wait_until(pending)
    })
}

/// Runs `op` as the body of `scope`, then `wait`s for its `pending` count (one unit, the
/// body's, plus the tasks') to reach zero, and re-raises the first panic.
fn run_scope<S: HasBase, OP, R>(scope: S, op: OP, wait: impl FnOnce(&CountLatch)) -> R
where
    OP: FnOnce(&S) -> R,
{
    let result = unwind::halt_unwinding(|| op(&scope));
    let base = scope.base();
    let result = match result {
        Ok(r) => Some(r),
        Err(payload) => {
            base.task_panicked(payload);
            None
        }
    };
    // SAFETY: the body holds one unit, released here; `scope` lives on until the wait ends.
    unsafe { CountLatch::decrement(&base.pending, 1) };
    wait(&base.pending);
    base.propagate_panic();
    result.expect("scope body returned normally when no panic was recorded")
}

impl ScopeBase {
    /// The shared state of a scope whose tasks go to `registry`'s pool and whose owner waits
    /// for `pending` (which holds the body's unit).
    pub(crate) fn new(registry: &Arc<Registry>, pending: CountLatch) -> ScopeBase {
        ScopeBase {
            registry: Arc::clone(registry),
            panic: AtomicPtr::new(ptr::null_mut()),
            pending,
        }
    }
}

impl<'scope> Scope<'scope> {
    fn new(registry: &Arc<Registry>, pending: CountLatch) -> Self {
        Scope {
            base: ScopeBase::new(registry, pending),
            marker: PhantomData,
        }
    }
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
        self.base.pending.increment(1);
        let worker = WorkerThread::current().filter(|w| w.registry().same_as(&self.base.registry));
        // SAFETY: the unit was added just above.
        let job = unsafe { task_job(self, body, worker) };
        match worker {
            Some(worker) => worker.push_or_spill(job),
            None => self
                .base
                .registry
                .inject(job.in_region(Region::for_job_into(&self.base.registry))),
        }
    }
}

impl<'scope> Scope<'scope> {
    /// Spawns one task per worker of the scope's pool: `body` runs once on every worker, with
    /// a [`BroadcastContext`] saying which. Each worker runs it when it next looks for work;
    /// the scope waits for all of them, and a panic of any is re-raised when the scope ends,
    /// as for [`spawn`](Self::spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Mutex;
    ///
    /// let pool = brigade::ThreadPool::builder().num_threads(3).build()?;
    /// let seen = Mutex::new(Vec::new());
    /// pool.scope(|s| s.spawn_broadcast(|_, ctx| seen.lock().unwrap().push(ctx.index())));
    /// let mut seen = seen.into_inner().unwrap();
    /// seen.sort();
    /// assert_eq!(seen, [0, 1, 2]);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn spawn_broadcast<BODY>(&self, body: BODY)
    where
        BODY: Fn(&Scope<'scope>, BroadcastContext<'_>) + Send + Sync + 'scope,
    {
        spawn_broadcast_tasks(self, body);
    }
}

/// What [`task_job`] and [`run_scope`] need of a scope: its shared state. `Scope` and
/// `ScopeFifo` differ only in how a worker queues its own tasks.
pub(crate) trait HasBase: Sync {
    fn base(&self) -> &ScopeBase;
}

impl HasBase for Scope<'_> {
    fn base(&self) -> &ScopeBase {
        &self.base
    }
}

/// The job of one task of `scope`, running `body(scope)`.
///
/// # Safety
/// The caller must have added the task's unit to the scope's `pending` count; the job
/// releases it when done.
pub(crate) unsafe fn task_job<S: HasBase, BODY>(
    scope: &S,
    body: BODY,
    worker: Option<&WorkerThread>,
) -> JobRef
where
    BODY: FnOnce(&S) + Send,
{
    let scope = ScopePtr(scope);
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
        unsafe { ScopeBase::task_done(this.base(), outcome) };
    };
    // SAFETY: the job may borrow `'scope` data; the scope waits for it (see above).
    unsafe { HeapJob::into_job_ref(job, worker) }
}

/// Spawns one task of `scope` per worker of its pool, each running `body` there.
pub(crate) fn spawn_broadcast_tasks<S: HasBase, BODY>(scope: &S, body: BODY)
where
    BODY: Fn(&S, BroadcastContext<'_>) + Send + Sync,
{
    let base = scope.base();
    let registry = &base.registry;
    let n = registry.num_threads();
    // Shared by the tasks; each drops its handle before `task_done`, so the last one
    // drops `body` (and what it borrows) while the scope still waits (see `task_job`).
    let body = Arc::new(body);
    let here = WorkerThread::current().filter(|w| w.registry().same_as(registry));
    let region = Region::for_job_into(registry);
    base.pending.increment(n);
    for index in 0..n {
        let scope = ScopePtr(scope);
        let body = Arc::clone(&body);
        let job = move || {
            let scope = scope;
            // SAFETY: as in `task_job`: the scope outlives every task holding a unit.
            let this = unsafe { &*scope.0 };
            let worker = WorkerThread::current().expect("broadcast task runs on a worker");
            let outcome = unwind::halt_unwinding(|| body(this, BroadcastContext::on(worker)));
            drop(body);
            // SAFETY: as in `task_job`.
            unsafe { ScopeBase::task_done(this.base(), outcome) };
        };
        // SAFETY: the job may borrow `'scope` data; the scope waits for it.
        let job = unsafe { HeapJob::into_job_ref(job, here) };
        registry.inject_to(index, job.in_region(region));
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
