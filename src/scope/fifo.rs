//! `scope_fifo` and `in_place_scope_fifo`: scopes whose tasks a worker starts in the order it
//! spawned them (rayon's names and promise). A worker's `spawn_fifo` queues the task in the
//! scope's FIFO for that worker and pushes a proxy on its deque (`job/fifo.rs`); everything
//! else (counting, waiting, panics) is the plain scope's.

use std::marker::PhantomData;
use std::sync::Arc;

use super::{HasBase, ScopeBase, run_in_place, run_on_worker, spawn_broadcast_tasks, task_job};
use crate::broadcast::BroadcastContext;
use crate::isolate::Region;
use crate::job::fifo::JobFifo;
use crate::latch::CountLatch;
use crate::pool::{Registry, WorkerThread, in_worker};

/// A scope whose tasks each worker starts in the order it spawned them. Created by
/// [`scope_fifo`], [`in_place_scope_fifo`], or the same methods of
/// [`ThreadPool`](crate::ThreadPool).
///
/// Tasks spawned from one thread start oldest first relative to each other (a worker's
/// plain [`Scope::spawn`](crate::Scope::spawn) starts its newest first); tasks of different
/// threads, and tasks other workers steal, start in no particular order.
///
/// # Examples
///
/// ```
/// use std::sync::Mutex;
///
/// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
/// let order = Mutex::new(Vec::new());
/// pool.scope_fifo(|s| {
///     for i in 0..5 {
///         let order = &order;
///         s.spawn_fifo(move |_| order.lock().unwrap().push(i));
///     }
/// });
/// assert_eq!(order.into_inner().unwrap(), [0, 1, 2, 3, 4]);
/// # Ok::<(), brigade::BuildError>(())
/// ```
///
/// A task cannot outlive data that the scope does not outlive:
///
/// ```compile_fail,E0373
/// brigade::scope_fifo(|s| {
///     let local = vec![1, 2, 3];
///     // error: `local` does not live long enough (the task may run after this closure)
///     s.spawn_fifo(|_| println!("{:?}", local));
/// });
/// ```
pub struct ScopeFifo<'scope> {
    base: ScopeBase,
    /// One FIFO per worker of the pool, for the tasks that worker spawns.
    fifos: Box<[JobFifo]>,
    /// The FIFO of tasks spawned from threads outside the pool. Their proxies go through
    /// the injector, whose jobs a worker may take in batches and start newest first; each
    /// proxy starts the oldest task, so the order holds anyway.
    outside: JobFifo,
    /// Makes `'scope` invariant, as in `Scope`.
    marker: PhantomData<&'scope mut &'scope ()>,
}

impl HasBase for ScopeFifo<'_> {
    fn base(&self) -> &ScopeBase {
        &self.base
    }
}

impl<'scope> ScopeFifo<'scope> {
    fn new(registry: &Arc<Registry>, pending: CountLatch) -> Self {
        ScopeFifo {
            fifos: (0..registry.num_threads())
                .map(|_| JobFifo::new())
                .collect(),
            outside: JobFifo::new(),
            base: ScopeBase::new(registry, pending),
            marker: PhantomData,
        }
    }

    /// Spawns a task in this scope, to start after the tasks this thread spawned in it
    /// before. Like [`Scope::spawn`](crate::Scope::spawn) otherwise: it may run on any
    /// worker, may borrow anything that outlives the scope, and never runs on the spawning
    /// thread during the spawn.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Mutex;
    ///
    /// // Breadth first: each level's tasks start before the next level's.
    /// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
    /// let order = Mutex::new(Vec::new());
    /// pool.scope_fifo(|s| {
    ///     for a in 0..2 {
    ///         let order = &order;
    ///         s.spawn_fifo(move |s| {
    ///             order.lock().unwrap().push(a);
    ///             for b in 0..2 {
    ///                 s.spawn_fifo(move |_| order.lock().unwrap().push(10 + 2 * a + b));
    ///             }
    ///         });
    ///     }
    /// });
    /// assert_eq!(order.into_inner().unwrap(), [0, 1, 10, 11, 12, 13]);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn spawn_fifo<BODY>(&self, body: BODY)
    where
        BODY: FnOnce(&ScopeFifo<'scope>) + Send + 'scope,
    {
        self.base.pending.increment(1);
        let worker = WorkerThread::current().filter(|w| w.registry().same_as(&self.base.registry));
        // SAFETY: the unit was added just above.
        let job = unsafe { task_job(self, body, worker) };
        match worker {
            Some(worker) => {
                // SAFETY: the FIFO lives in this scope, which does not end before every task
                // has run, and each proxy runs before (or as) its task runs.
                let proxy = unsafe { self.fifos[worker.index()].push(job, worker.region()) };
                worker.push_or_spill(proxy);
            }
            None => {
                let region = Region::for_job_into(&self.base.registry);
                // SAFETY: as above.
                let proxy = unsafe { self.outside.push(job, region) };
                self.base.registry.inject(proxy.in_region(region));
            }
        }
    }

    /// Spawns one task per worker of the scope's pool, as
    /// [`Scope::spawn_broadcast`](crate::Scope::spawn_broadcast) does.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    ///
    /// let pool = brigade::ThreadPool::builder().num_threads(3).build()?;
    /// let sum = AtomicUsize::new(0);
    /// pool.scope_fifo(|s| s.spawn_broadcast(|_, ctx| { sum.fetch_add(ctx.index(), Ordering::Relaxed); }));
    /// assert_eq!(sum.into_inner(), 0 + 1 + 2);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn spawn_broadcast<BODY>(&self, body: BODY)
    where
        BODY: Fn(&ScopeFifo<'scope>, BroadcastContext<'_>) + Send + Sync + 'scope,
    {
        spawn_broadcast_tasks(self, body);
    }
}

impl std::fmt::Debug for ScopeFifo<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopeFifo")
            .field("num_threads", &self.base.registry.num_threads())
            .field("pending", &self.base.pending)
            .finish()
    }
}

/// Like [`scope`](crate::scope), but a worker starts the tasks it spawns in the order it
/// spawned them; see [`ScopeFifo`].
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
/// brigade::scope_fifo(|s| {
///     for i in 1..=100 {
///         let total = &total;
///         s.spawn_fifo(move |_| { total.fetch_add(i, Ordering::Relaxed); });
///     }
/// });
/// assert_eq!(total.into_inner(), 5050);
/// ```
pub fn scope_fifo<'scope, OP, R>(op: OP) -> R
where
    OP: FnOnce(&ScopeFifo<'scope>) -> R + Send,
    R: Send,
{
    in_worker(|owner, _| scope_fifo_on(owner, op))
}

/// Runs a FIFO scope whose body runs on `owner`.
pub(crate) fn scope_fifo_on<'scope, OP, R>(owner: &WorkerThread, op: OP) -> R
where
    OP: FnOnce(&ScopeFifo<'scope>) -> R + Send,
    R: Send,
{
    run_on_worker(owner, owner.registry_arc(), ScopeFifo::new, op)
}

/// Like [`in_place_scope`](crate::in_place_scope) (the body runs on the calling thread and
/// need not be `Send`), with the task order of [`scope_fifo`].
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::sync::Mutex;
///
/// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
/// let spawned = Cell::new(0); // not `Sync`: fine in the body
/// let order = Mutex::new(Vec::new());
/// pool.in_place_scope_fifo(|s| {
///     for i in 0..3 {
///         let order = &order;
///         s.spawn_fifo(move |_| order.lock().unwrap().push(i));
///         spawned.set(spawned.get() + 1);
///     }
/// });
/// assert_eq!(spawned.get(), 3);
/// // From outside the pool too, the tasks start in the order they were spawned.
/// assert_eq!(order.into_inner().unwrap(), [0, 1, 2]);
/// # Ok::<(), brigade::BuildError>(())
/// ```
pub fn in_place_scope_fifo<'scope, OP, R>(op: OP) -> R
where
    OP: FnOnce(&ScopeFifo<'scope>) -> R,
{
    in_place_scope_fifo_in(crate::pool::current_registry(), op)
}

/// `in_place_scope_fifo` with its tasks on `registry`'s pool.
pub(crate) fn in_place_scope_fifo_in<'scope, OP, R>(registry: &Arc<Registry>, op: OP) -> R
where
    OP: FnOnce(&ScopeFifo<'scope>) -> R,
{
    run_in_place(registry, ScopeFifo::new, op)
}
