//! The state one pool's workers share: their deques' steal ends, the injector, the sleep
//! state, and the count of what keeps the pool alive.
//!
//! # Lifetime and shutdown
//!
//! `live` counts [`ThreadPool`](crate::ThreadPool) handles plus detached jobs (`spawn`) not
//! yet finished. When it reaches zero no job can be queued any more (scoped and joined work
//! always has a waiter inside a call that borrows a handle), so every worker's `terminate`
//! latch is set; each worker leaves its main loop, runs the exit handler, and ends. Dropping
//! the last handle only releases its count: the workers wind down behind it, and
//! `ThreadPool::shutdown` is the drop followed by `join_threads`.

use std::any::Any;
use std::ptr;
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Instant;

use crossbeam_utils::CachePadded;

use crate::deque::{self, Stealer};
use crate::error::BuildError;
use crate::injector::Injector;
use crate::isolate::Region;
use crate::job::fifo::JobFifo;
use crate::job::{JobHeader, JobRef, StackJob, blocks};
use crate::latch::{CoreLatch, LockLatch, SpinLatch};
use crate::loom::{AtomicBool, AtomicUsize, Condvar, Mutex, Ordering};
use crate::pool::StealPolicy;
use crate::pool::ThreadPoolBuilder;
use crate::pool::builder::{PanicHandler, SpawnFn, WorkerHandler};
use crate::pool::heartbeat::{self, Heartbeat};
use crate::pool::metrics::{PoolMetrics, WorkerCounters};
use crate::pool::pending::{self, PendingStealer};
use crate::pool::pinning;
use crate::pool::thread_builder::ThreadBuilder;
use crate::pool::worker::WorkerThread;
use crate::sleep::Sleep;
use crate::unwind;

/// What other threads may touch of one worker.
pub(crate) struct ThreadInfo {
    /// The steal end of the worker's deque.
    pub(crate) stealer: Stealer<JobHeader>,
    /// Jobs that must run on this worker and no other (broadcasts).
    pub(crate) inbox: Injector,
    /// Set when the worker should leave its main loop.
    pub(crate) terminate: CoreLatch,
    /// Set by the heartbeat thread, or by a thief that found this worker's deque empty:
    /// the worker's next `join` promotes its oldest private job.
    pub(crate) heartbeat: heartbeat::Flag,
    /// The thieves' end of the worker's recorded `join` halves.
    pub(crate) pending: PendingStealer,
    /// The worker's detached `spawn_fifo` jobs, behind the proxies on its deque.
    pub(crate) fifo: JobFifo,
    /// What the worker has done (`metrics.rs`), written by the worker alone.
    pub(crate) counters: Arc<CachePadded<WorkerCounters>>,
}

/// The shared state of one pool.
pub(crate) struct Registry {
    pub(crate) thread_infos: Box<[ThreadInfo]>,
    pub(crate) injector: Injector,
    /// Detached `spawn_fifo` jobs from threads outside the pool, behind proxies in the
    /// injector (whose batches could reorder the jobs themselves).
    pub(crate) outside_fifo: JobFifo,
    pub(crate) sleep: Sleep,
    /// Handles plus unfinished detached jobs; zero means terminate (module docs).
    live: CachePadded<AtomicUsize>,
    start_handler: Option<Box<WorkerHandler>>,
    exit_handler: Option<Box<WorkerHandler>>,
    panic_handler: Option<Box<PanicHandler>>,
    /// Join handles of the threads the pool started itself (workers, heartbeat), taken by
    /// whoever joins them.
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// Workers handed out (`ThreadBuilder`) whose main loop has not ended, and its signal:
    /// the pool's drop waits for it to reach zero, also for threads a spawn handler started.
    running: Mutex<Running>,
    stopped: Condvar,
    /// `ThreadBuilder`s dropped without running (a spawn handler's mistake, found at build).
    abandoned: AtomicUsize,
    /// Full magazines of job memory shared by the workers.
    job_depot: blocks::Depot,
    /// Logical CPUs of the machine: more awake workers than this do not spin.
    cores: usize,
    /// Tells busy workers when to publish work.
    pub(crate) heartbeat: Heartbeat,
    /// How idle workers steal (read by `WorkerThread::steal`).
    pub(crate) steal_policy: StealPolicy,
    /// The workers' stack size, for the threads that carry on a worker's wait on a fresh
    /// stack (`WorkerThread::on_fresh_stack`).
    pub(crate) stack_size: Option<usize>,
    /// The core each worker pins itself to when it starts (`CorePinning`), if any.
    pub(crate) pinned_cores: Option<Box<[usize]>>,
    /// For an unpinned pool built on a thread a pool pinned: the process's CPUs, which each
    /// worker takes as its mask when it starts (`pinning::unpinned_mask`).
    pub(crate) unpinned_mask: Option<Box<[usize]>>,
    /// When the pool was built: the zero of the workers' busy-time clocks.
    pub(crate) epoch: Instant,
    /// Worker 0 is the thread that built the pool (`use_current_thread`), not one of its own.
    pub(crate) adopted: bool,
    /// Whether that thread is inside the pool (waiting in it, or with recorded `join`s
    /// open): outside, it counts as asleep for the heartbeat thread (`adopted_idle`).
    pub(crate) adopted_busy: CachePadded<AtomicBool>,
}

/// What the pool's drop waits for (`Registry::join_threads`).
struct Running {
    /// Workers handed out whose main loop has not ended.
    workers: usize,
    /// Whether `terminate` has run: every detached job has finished. Needed apart from
    /// `workers` for worker 0 of a `use_current_thread` pool, which no thread of the pool's
    /// own runs.
    terminated: bool,
}

static GLOBAL: OnceLock<Arc<Registry>> = OnceLock::new();

/// The registry of the global pool, built with default settings on first use.
///
/// # Panics
///
/// If the global pool cannot be built (a malformed `BRIGADE_NUM_THREADS`, or the OS refuses
/// to start threads); `ThreadPoolBuilder::build_global` reports the same as an error.
pub(crate) fn global_registry() -> &'static Arc<Registry> {
    GLOBAL.get_or_init(|| match Registry::new(ThreadPoolBuilder::new()) {
        Ok(registry) => registry,
        Err(e) => panic!("brigade: cannot start the global thread pool: {e}"),
    })
}

/// Builds the global registry from `builder`, unless one exists already.
pub(crate) fn init_global_registry(
    builder: ThreadPoolBuilder,
    spawn: Option<&mut SpawnFn<'_>>,
) -> Result<&'static Arc<Registry>, BuildError> {
    if GLOBAL.get().is_some() {
        return Err(BuildError::GlobalPoolAlreadyInitialized);
    }
    let registry = Registry::new_with(builder, spawn)?;
    match GLOBAL.set(registry) {
        Ok(()) => Ok(global_registry()),
        Err(lost_race) => {
            // Another thread built the global pool meanwhile: stop ours.
            lost_race.decrement_live();
            lost_race.join_threads();
            Err(BuildError::GlobalPoolAlreadyInitialized)
        }
    }
}

/// The pool of this worker thread, or the global pool on any other thread (built on first
/// use): where free functions (`spawn`, `in_place_scope`, ...) send their work.
pub(crate) fn current_registry() -> &'static Arc<Registry> {
    match WorkerThread::current_live() {
        Some(worker) => worker.registry_arc(),
        None => global_registry(),
    }
}

/// Runs `op` on a worker: right here if this thread is one (of any pool), else on the global
/// pool, blocking until it is done.
#[inline]
pub(crate) fn in_worker<OP, R>(op: OP) -> R
where
    OP: FnOnce(&WorkerThread, bool) -> R + Send,
    R: Send,
{
    match WorkerThread::current() {
        // `false`: not injected, we were already on a worker.
        Some(worker) => op(worker, false),
        None => global_registry().in_worker_cold(op),
    }
}

impl Registry {
    /// Builds the registry and starts its workers on threads of its own.
    pub(crate) fn new(builder: ThreadPoolBuilder) -> Result<Arc<Registry>, BuildError> {
        Registry::new_with(builder, None)
    }

    /// Builds the registry and starts its workers: through `spawn` if given (a user's spawn
    /// handler, or `build_scoped`'s scoped threads), else on threads of its own.
    pub(crate) fn new_with(
        builder: ThreadPoolBuilder,
        mut spawn: Option<&mut SpawnFn<'_>>,
    ) -> Result<Arc<Registry>, BuildError> {
        let n = builder.resolved_num_threads()?;
        let stack_size = builder.checked_stack_size()?;
        let heartbeat_interval = builder.checked_heartbeat_interval()?;
        let pinned_cores = pinning::plan(&builder.core_pinning, n)?;
        let unpinned_mask = if pinned_cores.is_none() {
            pinning::unpinned_mask()
        } else {
            None
        };
        let adopt = builder.use_current_thread;
        if adopt {
            WorkerThread::check_adoptable()?;
        }
        let ThreadPoolBuilder {
            mut thread_name,
            start_handler,
            exit_handler,
            panic_handler,
            steal_policy,
            ..
        } = builder;

        if n > 1 {
            // The heartbeat's claims need the process registered for `membarrier`: started
            // before this pool's threads exist, so that a process of one thread registers at
            // once (`asymmetric::register_soon`).
            crate::loom::asymmetric::register_soon();
        }
        let (workers, stealers): (Vec<_>, Vec<_>) = (0..n).map(|_| deque::new()).unzip();
        let (owners, pending_stealers): (Vec<_>, Vec<_>) = (0..n).map(pending::new).unzip();
        let registry = Arc::new(Registry {
            thread_infos: stealers
                .into_iter()
                .zip(pending_stealers)
                .map(|(stealer, pending)| ThreadInfo {
                    stealer,
                    inbox: Injector::new(),
                    terminate: CoreLatch::new(),
                    heartbeat: heartbeat::new_flag(),
                    pending,
                    fifo: JobFifo::new(),
                    counters: Arc::new(CachePadded::new(WorkerCounters::new())),
                })
                .collect(),
            injector: Injector::new(),
            outside_fifo: JobFifo::new(),
            sleep: Sleep::new(n),
            live: CachePadded::new(AtomicUsize::new(1)),
            start_handler,
            exit_handler,
            panic_handler,
            threads: Mutex::new(Vec::with_capacity(n + 1)),
            running: Mutex::new(Running {
                workers: 0,
                terminated: false,
            }),
            stopped: Condvar::new(),
            abandoned: AtomicUsize::new(0),
            job_depot: blocks::Depot::new(),
            cores: pinning::default_parallelism(),
            heartbeat: Heartbeat::new(heartbeat_interval),
            steal_policy,
            stack_size,
            pinned_cores,
            unpinned_mask,
            epoch: Instant::now(),
            adopted: adopt,
            adopted_busy: CachePadded::new(AtomicBool::new(false)),
        });
        let mut first = None;

        for (index, (deque, pending)) in workers.into_iter().zip(owners).enumerate() {
            if adopt && index == 0 {
                // This thread becomes worker 0 once everything else has started.
                first = Some((deque, pending));
                continue;
            }
            let name = match thread_name.as_mut() {
                Some(f) => match unwind::halt_unwinding(|| f(index)) {
                    Ok(name) => name,
                    Err(payload) => {
                        // The user's naming closure panicked: stop what started, then let
                        // the panic continue to the caller of `build`.
                        registry.terminate();
                        registry.join_threads();
                        unwind::resume_unwinding(payload);
                    }
                },
                None => format!("brigade-worker-{index}"),
            };
            let thread = ThreadBuilder::new(
                index,
                name,
                stack_size,
                deque,
                pending,
                Arc::clone(&registry),
            );
            let spawned = match spawn.as_deref_mut() {
                // The handler's panic goes on to the caller of `build`, after the workers
                // already started are stopped.
                Some(spawn) => match unwind::halt_unwinding(|| spawn(thread)) {
                    // A worker that never runs would never take its share of a broadcast.
                    Ok(Ok(())) if registry.abandoned.load(Ordering::Relaxed) > 0 => {
                        Err(std::io::Error::other(
                            "the spawn handler dropped the thread without running it: a \
                             handler must call ThreadBuilder::run on some thread",
                        ))
                    }
                    Ok(result) => result.map(|()| None),
                    Err(payload) => {
                        registry.terminate();
                        registry.join_threads();
                        unwind::resume_unwinding(payload);
                    }
                },
                None => {
                    let mut b = std::thread::Builder::new().name(thread.name_owned());
                    if let Some(size) = stack_size {
                        b = b.stack_size(size);
                    }
                    // `spawn` reports failure as an error, but std may also panic on a stack
                    // size the platform rejects outright; both become a `BuildError`.
                    match unwind::halt_unwinding(|| b.spawn(move || thread.run())) {
                        Ok(result) => result.map(Some),
                        Err(payload) => Err(std::io::Error::other(
                            unwind::payload_message(&*payload).to_owned(),
                        )),
                    }
                }
            };
            match spawned {
                Ok(Some(handle)) => registry.threads.lock().push(handle),
                Ok(None) => {}
                Err(source) => {
                    registry.terminate();
                    registry.join_threads();
                    return Err(BuildError::Spawn { index, source });
                }
            }
        }
        if n > 1 {
            // One worker has nobody to publish work for: no heartbeat thread.
            let reg = Arc::clone(&registry);
            let spawned = std::thread::Builder::new()
                .name("brigade-heartbeat".into())
                .stack_size(64 * 1024)
                .spawn(move || reg.heartbeat.run(&reg));
            match spawned {
                Ok(handle) => registry.threads.lock().push(handle),
                Err(source) => {
                    registry.terminate();
                    registry.join_threads();
                    return Err(BuildError::HeartbeatThread { source });
                }
            }
        }
        if let Some((deque, pending)) = first {
            WorkerThread::adopt(deque, pending, Arc::clone(&registry));
        }
        Ok(registry)
    }

    #[inline]
    pub(crate) fn num_threads(&self) -> usize {
        self.thread_infos.len()
    }

    #[inline]
    pub(crate) fn cores(&self) -> usize {
        self.cores
    }

    #[inline]
    pub(crate) fn job_depot(&self) -> &blocks::Depot {
        &self.job_depot
    }

    #[inline]
    pub(crate) fn same_as(&self, other: &Registry) -> bool {
        ptr::eq(self, other)
    }

    /// Wakes worker `index`, whose latch was set while it slept.
    #[inline]
    pub(crate) fn wake_worker(&self, index: usize) {
        self.sleep.wake_specific(index);
    }

    /// Queues a job from outside the pool (or for any worker to take).
    pub(crate) fn inject(&self, job: JobRef) {
        let region = job.region();
        self.injector.push(job);
        self.sleep.notify_work_in(region);
    }

    /// Queues jobs from a worker whose deque was full (see `WorkerThread::push_or_spill`).
    pub(crate) fn inject_batch(&self, jobs: Vec<JobRef>) {
        let mut regions: Vec<Region> = jobs
            .iter()
            .map(JobRef::region)
            .filter(|region| !region.is_none())
            .collect();
        regions.dedup();
        self.injector.push_batch(jobs);
        self.sleep.notify_work();
        for region in regions {
            self.sleep.notify_region(region);
        }
    }

    /// Queues a job for worker `index` alone.
    pub(crate) fn inject_to(&self, index: usize, job: JobRef) {
        self.thread_infos[index].inbox.push(job);
        // The worker may be asleep: `notify_work` might wake another one, so wake it directly.
        self.wake_worker(index);
    }

    /// Runs `op` on one of this pool's workers and returns its result.
    pub(crate) fn in_worker<OP, R>(self: &Arc<Self>, op: OP) -> R
    where
        OP: FnOnce(&WorkerThread, bool) -> R + Send,
        R: Send,
    {
        match WorkerThread::current() {
            Some(worker) if worker.registry().same_as(self) => op(worker, false),
            Some(worker) => self.in_worker_cross(worker, op),
            None => self.in_worker_cold(op),
        }
    }

    /// From a thread outside every pool: inject, then block.
    #[cold]
    fn in_worker_cold<OP, R>(&self, op: OP) -> R
    where
        OP: FnOnce(&WorkerThread, bool) -> R + Send,
        R: Send,
    {
        thread_local!(static LOCK_LATCH: Arc<LockLatch> = Arc::new(LockLatch::new()));
        LOCK_LATCH.with(|latch| {
            let job = StackJob::new(
                || {
                    let worker = WorkerThread::current().expect("injected job runs on a worker");
                    op(worker, true)
                },
                SharedLockLatch(Arc::clone(latch)),
            );
            // SAFETY: `job` lives in this frame until `wait` returns, which is after the latch
            // is set, which is after the job ran.
            let job_ref = unsafe { job.as_job_ref() };
            self.inject(job_ref.in_region(Region::current()));
            latch.wait();
            latch.reset();
            // SAFETY: `wait` returned, so the latch is set.
            match unsafe { job.take_result() } {
                Ok(r) => r,
                Err(payload) => unwind::resume_unwinding(payload),
            }
        })
    }

    /// From a worker of another pool: inject, then keep that worker busy until done.
    #[cold]
    fn in_worker_cross<OP, R>(&self, current: &WorkerThread, op: OP) -> R
    where
        OP: FnOnce(&WorkerThread, bool) -> R + Send,
        R: Send,
    {
        let latch = SpinLatch::cross(current.registry_arc(), current.index());
        let job = StackJob::new(
            || {
                let worker = WorkerThread::current().expect("injected job runs on a worker");
                op(worker, true)
            },
            latch,
        );
        // SAFETY: `job` lives in this frame until `wait_until` returns, after its latch is set.
        let job_ref = unsafe { job.as_job_ref() };
        // In the caller's region, where it waits for the job; outside a task region of the
        // caller's, which stays in its own pool, and outside which the caller waits, as a
        // `brigade::sync` wait does (the other pool's workers may all be waiting in tasks of
        // theirs for work sent here; see "Task regions" in `isolate.rs`).
        self.inject(job_ref.in_region(current.sync_region()));
        current.in_sync_place(|| current.wait_until(&job.latch));
        // SAFETY: `wait_until` returned, so the latch is set.
        match unsafe { job.take_result() } {
            Ok(r) => r,
            Err(payload) => unwind::resume_unwinding(payload),
        }
    }

    /// Kicks the heartbeat thread if it is parked and some worker sleeps (`Heartbeat::kick_if`),
    /// for a worker that is counted awake and may have work to share: with none asleep, the
    /// thread would have nothing to beat for.
    #[inline]
    pub(crate) fn kick_heartbeat_if_some_asleep(&self) {
        let sleep = &self.sleep;
        self.heartbeat.kick_if(|| !sleep.none_asleep());
    }

    /// True if worker 0 is the thread that built the pool and that thread is outside the
    /// pool: it then counts as asleep for the heartbeat thread.
    #[inline]
    pub(crate) fn adopted_idle(&self) -> bool {
        // Relaxed: read after the heartbeat thread's fence, which pairs with the one in
        // `Heartbeat::kick` that the thread passes after marking itself busy.
        self.adopted && !self.adopted_busy.load(Ordering::Relaxed)
    }

    /// The live count (handles plus unfinished detached jobs), for diagnostics.
    pub(crate) fn live(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }

    /// The worker threads' names by index, or `None` if the list of threads is locked or
    /// already taken by `join_threads` (for diagnostics; never waits).
    pub(crate) fn thread_names(&self) -> Option<Vec<Option<String>>> {
        let threads = self.threads.try_lock()?;
        if threads.is_empty() {
            return None;
        }
        // Worker 0 of an adopted pool runs on a thread the pool did not start.
        let adopted = usize::from(self.adopted);
        Some(
            std::iter::repeat_n(None, adopted)
                .chain(
                    threads
                        .iter()
                        .take(self.num_threads() - adopted)
                        .map(|t| t.thread().name().map(str::to_owned)),
                )
                .collect(),
        )
    }

    /// Counts one more thing that keeps the pool alive (a handle or a detached job).
    #[inline]
    pub(crate) fn increment_live(&self) {
        // Relaxed: the caller already holds a count, so this cannot race with reaching zero.
        self.live.fetch_add(1, Ordering::Relaxed);
    }

    /// Releases one count; the last one tells every worker to finish.
    #[inline]
    pub(crate) fn decrement_live(&self) {
        // AcqRel: everything done under the released count happens before termination.
        if self.live.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.terminate();
        }
    }

    /// Sets every worker's `terminate` latch, and stops the heartbeat.
    fn terminate(&self) {
        {
            let mut running = self.running.lock();
            running.terminated = true;
            self.stopped.notify_all();
        }
        self.heartbeat.stop();
        for (index, info) in self.thread_infos.iter().enumerate() {
            // SAFETY: the latch lives in the registry, which we borrow.
            if unsafe { CoreLatch::set(&info.terminate) } {
                self.wake_worker(index);
            }
        }
    }

    /// Joins the worker threads from a worker of another pool, which keeps running its own
    /// pool's jobs meanwhile: a job of this pool may be waiting for one of them (a worker
    /// blocked in an OS-level join would hold it up, and both pools would hang). A helper
    /// thread does the OS-level join and then sets the latch the worker waits on.
    pub(crate) fn join_threads_from(&self, worker: &WorkerThread) {
        let latch = SpinLatch::cross(worker.registry_arc(), worker.index());
        std::thread::scope(|scope| {
            let joiner = std::thread::Builder::new()
                .name("brigade-pool-drop".into())
                .spawn_scoped(scope, || {
                    self.join_threads();
                    // SAFETY: the latch lives until this scope ends, which is after this
                    // thread has finished.
                    unsafe { crate::latch::Latch::set(&latch) };
                });
            match joiner {
                Ok(_) => worker.in_sync_place(|| worker.wait_until(&latch)),
                // No thread to spare: join here, as from a plain thread.
                Err(_) => self.join_threads(),
            }
        });
    }

    /// A snapshot of the pool's metrics (`ThreadPool::metrics`).
    pub(crate) fn metrics(&self) -> PoolMetrics {
        let uptime = self.epoch.elapsed();
        PoolMetrics {
            injected_jobs: self.injector.pushed(),
            injector_len: self.injector.len(),
            uptime,
            workers: self
                .thread_infos
                .iter()
                .map(|info| {
                    info.counters
                        .snapshot(uptime, info.stealer.len(), info.inbox.len())
                })
                .collect(),
        }
    }

    /// A worker was handed out: the pool's drop waits for it ([`worker_stopped`]).
    ///
    /// [`worker_stopped`]: Self::worker_stopped
    pub(crate) fn worker_started(&self) {
        self.running.lock().workers += 1;
    }

    /// A `ThreadBuilder` was dropped without running its worker.
    pub(crate) fn worker_abandoned(&self) {
        // Relaxed: read by the building thread after the handler that dropped it returned.
        self.abandoned.fetch_add(1, Ordering::Relaxed);
        self.worker_stopped();
    }

    /// A worker's main loop ended (or it was never run): the last such call lets
    /// [`join_threads`](Self::join_threads) go on.
    pub(crate) fn worker_stopped(&self) {
        let mut running = self.running.lock();
        running.workers -= 1;
        if running.workers == 0 {
            self.stopped.notify_all();
        }
    }

    /// A thread the pool started after `build` (`WorkerThread::hand_over`), for the drop to
    /// join.
    pub(crate) fn add_thread(&self, handle: JoinHandle<()>) {
        self.threads.lock().push(handle);
    }

    /// Waits until the pool has terminated (every detached job has run) and every worker's
    /// main loop has ended, then joins the threads the pool started itself (all that are
    /// not yet joined). Threads a spawn handler started are the handler's to join; their
    /// workers have stopped when this returns.
    pub(crate) fn join_threads(&self) {
        let mut running = self.running.lock();
        while running.workers > 0 || !running.terminated {
            self.stopped.wait(&mut running);
        }
        drop(running);
        let threads = std::mem::take(&mut *self.threads.lock());
        for t in threads {
            // A worker's main loop catches every panic, so `join` only fails if the thread
            // was torn down abnormally; there is nothing more to do about it here.
            let _ = t.join();
        }
    }

    /// Passes the payload of a panic that no caller will see to the panic handler, or
    /// reports it on stderr. Never unwinds.
    pub(crate) fn handle_panic(&self, payload: Box<dyn Any + Send>) {
        match &self.panic_handler {
            Some(handler) => {
                if let Err(second) = unwind::halt_unwinding(|| handler(payload)) {
                    eprintln!(
                        "brigade: the pool's panic handler panicked ({}); the worker keeps running",
                        unwind::payload_message(&*second)
                    );
                    unwind::drop_payload(second);
                }
            }
            None => {
                eprintln!(
                    "brigade: a task with no caller to report to panicked ({}); the worker keeps running",
                    unwind::payload_message(&*payload)
                );
                unwind::drop_payload(payload);
            }
        }
    }

    pub(crate) fn run_start_handler(&self, index: usize) {
        self.run_handler(self.start_handler.as_deref(), index);
    }

    pub(crate) fn run_exit_handler(&self, index: usize) {
        self.run_handler(self.exit_handler.as_deref(), index);
    }

    fn run_handler(&self, handler: Option<&WorkerHandler>, index: usize) {
        if let Some(handler) = handler
            && let Err(payload) = unwind::halt_unwinding(|| handler(index))
        {
            self.handle_panic(payload);
        }
    }

    /// True if a queue of this pool holds a job of `region` that worker `me`, waiting inside
    /// that region, could take (its own deque aside): for its last look before it parks.
    pub(crate) fn has_work_in(&self, me: usize, region: Region) -> bool {
        self.thread_infos[me].inbox.contains(region)
            || self.injector.contains(region)
            || self.thread_infos.iter().any(|info| {
                info.stealer
                    .oldest_tag()
                    .is_some_and(|tag| Region::from_tag(tag).within(region))
            })
    }

    /// True if any queue of this pool holds a job that worker `me` could take.
    pub(crate) fn has_work_for(&self, me: usize) -> bool {
        !self.injector.is_empty()
            || !self.thread_infos[me].inbox.is_empty()
            || self
                .thread_infos
                .iter()
                .any(|info| !info.stealer.is_empty())
    }
}

/// The thread-local `LockLatch` of a thread outside the pool, as a job's latch. The setter
/// holds its own reference while it sets: once the state is `SET` the waiter may return, and
/// its thread may exit and free the thread-local, while the setter is still inside `set`
/// (releasing the latch's mutex, whose `unlock` still borrows it). miri caught that;
/// `api::install_from_threads_that_exit_at_once` shows it on seed 2.
struct SharedLockLatch(Arc<LockLatch>);

impl crate::latch::Latch for SharedLockLatch {
    unsafe fn set(this: *const Self) {
        // SAFETY: `this` is valid on entry; the `Arc` is cloned out before setting, because
        // the job that holds `this` may be freed as soon as the latch is set.
        let latch = unsafe { Arc::clone(&(*this).0) };
        // SAFETY: `latch` keeps the `LockLatch` alive until this call returns.
        unsafe { crate::latch::Latch::set(Arc::as_ptr(&latch)) }
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("num_threads", &self.num_threads())
            .field("steal_policy", &self.steal_policy)
            .finish_non_exhaustive()
    }
}
