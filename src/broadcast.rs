//! `broadcast` and `spawn_broadcast`: run a closure once on every worker of a pool.
//!
//! One job per worker goes to that worker's inbox, which only it reads. `broadcast`'s caller
//! (itself a worker of the pool) waits, working, until all have run; `spawn_broadcast`'s jobs
//! are detached, each keeping the pool alive until it has run, as `spawn`'s job does.

use std::marker::PhantomData;
use std::sync::Arc;

use crate::isolate::Region;
use crate::job::{HeapJob, StackJob};
use crate::latch::{CountLatch, Latch};
use crate::pool::{Registry, WorkerThread, in_worker};
use crate::unwind;

/// What a closure run by [`ThreadPool::broadcast`](crate::ThreadPool::broadcast) learns
/// about where it runs.
///
/// # Examples
///
/// ```
/// let pool = brigade::ThreadPool::builder().num_threads(3).build()?;
/// let seen = pool.broadcast(|ctx| (ctx.index(), ctx.num_threads()));
/// assert_eq!(seen, vec![(0, 3), (1, 3), (2, 3)]);
/// # Ok::<(), brigade::BuildError>(())
/// ```
#[derive(Debug)]
pub struct BroadcastContext<'a> {
    index: usize,
    num_threads: usize,
    /// Not `Send`: the context describes the thread it was handed to.
    _marker: PhantomData<&'a mut *const ()>,
}

impl BroadcastContext<'_> {
    /// The context of a closure run on `worker`.
    pub(crate) fn on(worker: &WorkerThread) -> Self {
        BroadcastContext {
            index: worker.index(),
            num_threads: worker.registry().num_threads(),
            _marker: PhantomData,
        }
    }

    /// The index of the worker this runs on, in `0..num_threads()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
    /// let same = pool.broadcast(|ctx| Some(ctx.index()) == brigade::current_thread_index());
    /// assert_eq!(same, vec![true, true]);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }

    /// The number of workers in the pool, which is the number of times the closure runs.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
    /// assert_eq!(pool.broadcast(|ctx| ctx.num_threads()), vec![2, 2]);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn num_threads(&self) -> usize {
        self.num_threads
    }
}

/// Runs `op` once on every worker of the current pool (the global pool outside every pool)
/// and returns the results in worker order; see
/// [`ThreadPool::broadcast`](crate::ThreadPool::broadcast).
///
/// # Panics
///
/// If `op` panics on any worker, the first such panic is re-raised here after all workers
/// have run it.
///
/// # Examples
///
/// ```
/// let pool = brigade::ThreadPool::builder().num_threads(3).build()?;
/// let names = pool.install(|| {
///     brigade::broadcast(|ctx| format!("{} of {}", ctx.index(), ctx.num_threads()))
/// });
/// assert_eq!(names, ["0 of 3", "1 of 3", "2 of 3"]);
/// # Ok::<(), brigade::BuildError>(())
/// ```
pub fn broadcast<OP, R>(op: OP) -> Vec<R>
where
    OP: Fn(BroadcastContext<'_>) -> R + Sync,
    R: Send,
{
    // A thread that is still worker 0 of an ended `use_current_thread` pool, whose other
    // workers are gone, stops being it here, and broadcasts on the global pool instead.
    let _ = WorkerThread::current_live();
    in_worker(|worker, _| broadcast_on(worker, &op))
}

/// Runs `op` once on every worker of the current pool (the global pool outside every pool),
/// without waiting for it; see [`ThreadPool::spawn_broadcast`](crate::ThreadPool::spawn_broadcast).
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
///
/// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
/// let (tx, rx) = mpsc::channel();
/// pool.install(|| brigade::spawn_broadcast(move |ctx| tx.send(ctx.index()).unwrap()));
/// let mut seen: Vec<usize> = rx.iter().take(2).collect();
/// seen.sort();
/// assert_eq!(seen, [0, 1]);
/// # Ok::<(), brigade::BuildError>(())
/// ```
pub fn spawn_broadcast<OP>(op: OP)
where
    OP: Fn(BroadcastContext<'_>) + Send + Sync + 'static,
{
    spawn_broadcast_in(crate::pool::current_registry(), op);
}

/// Queues one detached job per worker of `registry`, each running `op` there.
pub(crate) fn spawn_broadcast_in<OP>(registry: &Arc<Registry>, op: OP)
where
    OP: Fn(BroadcastContext<'_>) + Send + Sync + 'static,
{
    let op = Arc::new(op);
    let here = WorkerThread::current().filter(|w| w.registry().same_as(registry));
    let region = Region::for_job_into(registry);
    for index in 0..registry.num_threads() {
        let op = Arc::clone(&op);
        registry.increment_live();
        let job = move || {
            let worker = WorkerThread::current().expect("broadcast job runs on a worker");
            let registry = worker.registry();
            worker.detached_started();
            let outcome = unwind::halt_unwinding(|| op(BroadcastContext::on(worker)));
            worker.detached_finished();
            // Before the pool may end: the last job drops `op` and what it captured.
            drop(op);
            if let Err(payload) = outcome {
                registry.handle_panic(payload);
            }
            registry.decrement_live();
        };
        // SAFETY: `OP: 'static`, so the job borrows nothing that could go away.
        let job = unsafe { HeapJob::into_job_ref(job, here) };
        registry.inject_to(index, job.in_region(region));
    }
}

/// Runs `op` once on each worker of `worker`'s pool and returns the results in worker order.
pub(crate) fn broadcast_on<OP, R>(worker: &WorkerThread, op: &OP) -> Vec<R>
where
    OP: Fn(BroadcastContext<'_>) -> R + Sync,
    R: Send,
{
    let registry = worker.registry_arc();
    let n = registry.num_threads();
    let latch = CountLatch::new(n, Arc::clone(registry), worker.index());
    let jobs: Vec<_> = (0..n)
        .map(|_| {
            let latch = CountLatchRef(&latch);
            StackJob::new(
                move || {
                    let here = WorkerThread::current().expect("broadcast job runs on a worker");
                    op(BroadcastContext::on(here))
                },
                latch,
            )
        })
        .collect();
    // The jobs belong to the caller's isolation region: a caller waiting inside one must be
    // able to run its own share.
    let region = worker.region();
    for (index, job) in jobs.iter().enumerate() {
        // SAFETY: `jobs` is neither moved nor dropped until the latch says all have run.
        registry.inject_to(index, unsafe { job.as_job_ref() }.in_region(region));
    }
    worker.wait_until(&latch);
    let mut first_panic = None;
    let mut results = Vec::with_capacity(n);
    for job in jobs {
        // SAFETY: the count latch reached zero: every job's latch was set.
        match unsafe { job.take_result() } {
            Ok(r) => results.push(r),
            Err(p) if first_panic.is_none() => first_panic = Some(p),
            Err(p) => unwind::drop_payload(p),
        }
    }
    if let Some(p) = first_panic {
        unwind::resume_unwinding(p);
    }
    results
}

/// A shared `CountLatch` as the latch of one job: setting it removes one unit.
struct CountLatchRef<'a>(&'a CountLatch);

impl Latch for CountLatchRef<'_> {
    unsafe fn set(this: *const Self) {
        // SAFETY: `this` is valid on entry; the count latch it points to outlives this call
        // until the last unit is released, and we copy the pointer out first.
        unsafe { CountLatch::decrement((*this).0, 1) }
    }
}
