//! A worker thread: its deque, its main loop, and how it looks for work.
//!
//! # Where a worker looks for work, in order
//!
//! 1. its own deque, newest first (depth-first, cache-warm);
//! 2. its inbox (broadcast jobs addressed to it alone);
//! 3. the pool's injector (work from outside the pool), oldest first;
//! 4. the other workers' deques, oldest first, in the order of the pool's steal policy
//!    (`pool/steal.rs`; by default every victim once starting from a random one, so
//!    thieves spread over victims instead of piling on worker 0), taking one job or, with
//!    `StealAmount::Half`, a batch whose extra jobs go on this worker's deque.
//!
//! A worker inside an isolation region looks in the same places but takes only jobs of its
//! region (see `isolate.rs`).
//!
//! A worker that finds nothing spins briefly (spin hints, then yields; only yields, and
//! fewer, while more workers are awake than there are cores), then sleeps through the
//! protocol in `sleep/`. The same loop runs while a worker waits for a latch (a stolen
//! `join` half, a scope's tasks), so waiting never blocks a worker that could be working, and
//! nesting deeper than the thread count cannot deadlock.

use std::cell::{Cell, RefCell};
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

use crate::deque::{self, Steal};
use crate::error::BuildError;
use crate::isolate::Region;
use crate::job::{ArmAs, JobHeader, JobRef, blocks};
use crate::latch::{AsCoreLatch, CoreLatch, Latch, SpinLatch};
use crate::loom::{Mutex, Ordering};
use crate::loops::clock;
use crate::pool::Registry;
use crate::pool::heartbeat;
use crate::pool::metrics::WorkerCounters;
use crate::pool::pending::Pending;
use crate::pool::steal::{self, StealAmount, Victims};
use crate::unwind::{self, AbortIfPanic};

/// A `join` below the outermost few is recorded once in this many (see `join.rs`).
const RECORD_EVERY: u32 = 64;
/// The outermost joins on a worker that are always recorded.
const ALWAYS_RECORDED: usize = 3;
/// Jobs a worker takes from the injector in one visit (one on its hands, the rest on its
/// deque).
const INJECTOR_BATCH: usize = 64;
/// Rounds of looking for work (with a growing pause between them) before going to sleep.
const SPIN_ROUNDS: u32 = 64;
/// Rounds that pause with spin hints; later rounds yield the CPU.
const SPIN_HINT_ROUNDS: u32 = 6;
/// Rounds, all yielding, of a worker that runs out of work while more workers are awake than
/// the machine has cores (see "Spinning and oversubscription" in `docs/design.md`).
const OVERSUBSCRIBED_ROUNDS: u32 = 32;
const _: () = assert!(SPIN_ROUNDS - OVERSUBSCRIBED_ROUNDS >= SPIN_HINT_ROUNDS);
/// A yield that returns this late means another thread had the CPU meanwhile: a worker
/// that is not oversubscribed stops spinning and goes to sleep (see "Spinning and
/// oversubscription" in `docs/design.md`).
const LONG_YIELD: std::time::Duration = std::time::Duration::from_micros(100);
/// Loop pieces in a row, each stolen and each worth less than its steal, after which a
/// waiting worker looks for work again only after a `yield_now` (see "Crumbs" in
/// `docs/design.md`).
const CRUMBS_TO_YIELD: u32 = 2;

thread_local! {
    /// The registry whose worker this thread has lent to a stand-in (`lend_while`) while it
    /// runs outside the pool, or null.
    static LENT: Cell<*const Registry> = const { Cell::new(ptr::null()) };
    static WORKER_THREAD: Cell<*const WorkerThread> = const { Cell::new(ptr::null()) };
    /// The workers this thread was made into by `use_current_thread` (see `adopt`).
    static ADOPTED: Adopted = const { Adopted(RefCell::new(Vec::new())) };
}

/// Workers that a thread was made into (`use_current_thread`), the newest last, each from
/// `Box::into_raw`. A worker stays allocated until the thread exits, even after its pool is
/// dropped: a frame of this thread may still hold it (`WorkerThread::current` hands out
/// `'static` references), and only the thread's end proves that none does.
struct Adopted(RefCell<Vec<NonNull<WorkerThread>>>);

impl Drop for Adopted {
    fn drop(&mut self) {
        // The thread is exiting: no frame of it holds a worker any more.
        let current = WORKER_THREAD.try_with(Cell::get).unwrap_or(ptr::null());
        for worker in self.0.get_mut().drain(..) {
            // SAFETY: made by `Box::into_raw` in `adopt` and freed only here, once.
            let worker = unsafe { Box::from_raw(worker.as_ptr()) };
            if !ptr::eq(current, &*worker) {
                continue; // given back earlier (`release_thread`): nothing to do
            }
            let _ = WORKER_THREAD.try_with(|w| w.set(ptr::null()));
            if worker.registry.live() > 0 {
                // The pool lives on: a thread of its own becomes worker 0, so that the work
                // only worker 0 can run (its broadcast shares; all of a pool of one) runs.
                WorkerThread::hand_over(worker);
            } else {
                worker.release_thread();
            }
        }
    }
}

/// An adopted worker on its way to a thread of the pool's own (`hand_over`).
struct Handover(Box<WorkerThread>);

// SAFETY: the worker's thread is exiting and has cleared its pointer to it, so the thread
// that receives it is the only one to touch its cells from then on.
unsafe impl Send for Handover {}

/// The state of the worker running on this thread.
pub(crate) struct WorkerThread {
    deque: deque::Worker<JobHeader>,
    index: usize,
    registry: Arc<Registry>,
    rng: Cell<u64>,
    /// Recycled memory for heap jobs.
    job_blocks: blocks::Cache,
    /// `join` halves not yet published (see `pending.rs`).
    pending: Pending,
    /// This worker's heartbeat flag (also in its `ThreadInfo`).
    heartbeat: heartbeat::Flag,
    /// This worker's metrics (also in its `ThreadInfo`).
    counters: Arc<CachePadded<WorkerCounters>>,
    /// Joins to go until the next recorded one (see `should_record_join`).
    record_in: Cell<u32>,
    /// Whether every `join` records its second half: true in a pool of several threads.
    record_all: bool,
    /// `brigade::sync` waits running jobs on this thread right now (see `sync/signal.rs`).
    sync_depth: Cell<u32>,
    /// The isolation region this worker is in (see `isolate.rs`).
    isolation: Cell<Isolation>,
    /// This worker is the thread that built the pool (`use_current_thread`), not one of the
    /// pool's own threads. Cleared when a thread of the pool's own takes it over
    /// (`hand_over`).
    adopted: Cell<bool>,
    /// `record_all`, and not adopted: `recorded_join_closed` has nothing to do.
    plain_close: bool,
    /// Waits (`wait_until`, `blocked`) open on an adopted worker's thread.
    waits: Cell<u32>,
    /// Detached jobs of this pool running on this thread right now (see `retire_adopted`).
    detached: Cell<u32>,
    /// Whether the job a wait just ran was a loop piece stolen from another worker, and if
    /// so whether it was worth the steal (`note_steal_worth`).
    steal_worth: Cell<Option<bool>>,
    /// Stolen loop pieces in a row that were not worth their steal (see `round_after_job`).
    crumbs: Cell<u32>,
    /// The time this thread has spent in waits for a latch (`wait_until`,
    /// `wait_until_deadline`) that found it unset: a stolen loop piece counts it out of its
    /// own time (`waited`).
    waited: Cell<Duration>,
}

/// A worker's place in an isolation region.
#[derive(Clone, Copy, Debug)]
struct Isolation {
    region: Region,
    /// The deque's bottom index when the region was entered: jobs above it are the region's.
    floor: isize,
    /// Unpublished `join` halves from before the region (left because the deque was full);
    /// while there are any, nothing is published.
    pending_floor: usize,
    /// Where this worker's `brigade::sync` waits run: the fields above, unless the region
    /// is a task region (`Region::is_task`); then the place around the task, which is not a
    /// task region (see "Task regions" in `isolate.rs`).
    sync: SyncPlace,
}

/// The isolation a `brigade::sync` wait runs in (`Isolation::sync`).
#[derive(Clone, Copy, Debug)]
struct SyncPlace {
    region: Region,
    floor: isize,
    pending_floor: usize,
}

impl Isolation {
    const OUTSIDE: Isolation = Isolation {
        region: Region::NONE,
        floor: 0,
        pending_floor: 0,
        sync: SyncPlace {
            region: Region::NONE,
            floor: 0,
            pending_floor: 0,
        },
    };

    /// The isolation of a `brigade::sync` wait that starts in this one.
    fn for_sync(self) -> Isolation {
        let SyncPlace {
            region,
            floor,
            pending_floor,
        } = self.sync;
        Isolation {
            region,
            floor,
            pending_floor,
            sync: self.sync,
        }
    }
}

/// The body of a worker thread.
pub(crate) fn main_loop(
    deque: deque::Worker<JobHeader>,
    pending: Pending,
    index: usize,
    registry: Arc<Registry>,
) {
    let worker = WorkerThread::new(deque, pending, index, registry, false);
    WORKER_THREAD.with(|w| w.set(&worker));
    worker.pending.set_home(&worker.registry);
    let registry = &*worker.registry;
    if let Some(cores) = &registry.pinned_cores
        && !crate::pool::pinning::pin_current_thread(cores[index])
    {
        // Checked against the affinity mask at build; only a mask changed since can get
        // here. The worker runs on, unpinned.
        eprintln!(
            "brigade: worker {index} could not be pinned to core {}; it runs unpinned",
            cores[index]
        );
    }
    if let Some(cpus) = &registry.unpinned_mask {
        // Built on a thread a pool pinned: not on its one core, but where the process may run.
        crate::pool::pinning::set_current_mask(cpus);
    }
    registry.run_start_handler(index);
    worker.wait_idle(&registry.thread_infos[index].terminate);
    debug_assert!(
        worker.deque.is_empty(),
        "a worker terminated with jobs in its deque"
    );
    registry.run_exit_handler(index);
    // Work the exit handler queued (a detached spawn counts the pool alive again) runs here,
    // and so does whatever that work queues, before the thread ends: nothing is lost.
    while let Some(job) = worker.find_work() {
        worker.execute(job);
    }
    worker.job_blocks.release(registry.job_depot());
    WORKER_THREAD.with(|w| w.set(ptr::null()));
    // Last: the pool's drop may return once every worker got here.
    registry.worker_stopped();
}

/// The round a wait's search starts at after running a job it found, and the new count of
/// crumbs, given what the job noted (`note_steal_worth`) and the count before it. A stolen
/// loop piece worth its steal clears the count, and one that was not adds to it; other jobs
/// leave it. After the `CRUMBS_TO_YIELD`th crumb in a row, the search skips the spin-hint
/// rounds and looks again only after each `yield_now`, so a worker that keeps stealing
/// tokens of loops too short to share stops taking them from their owners at the rate a
/// spinning worker does (see "Crumbs" in `docs/design.md`). After any other job it starts
/// from round 0, spin hints first.
fn round_after_job(worth: Option<bool>, crumbs: u32) -> (u32, u32) {
    match worth {
        Some(true) => (0, 0),
        Some(false) => {
            let crumbs = crumbs.saturating_add(1);
            let round = if crumbs >= CRUMBS_TO_YIELD {
                SPIN_HINT_ROUNDS
            } else {
                0
            };
            (round, crumbs)
        }
        None => (0, crumbs),
    }
}

fn seed(index: usize) -> u64 {
    // Distinct non-zero seeds; quality hardly matters for picking a first victim.
    (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1
}

impl WorkerThread {
    fn new(
        deque: deque::Worker<JobHeader>,
        pending: Pending,
        index: usize,
        registry: Arc<Registry>,
        adopted: bool,
    ) -> Self {
        let record_all = registry.num_threads() > 1;
        WorkerThread {
            deque,
            index,
            rng: Cell::new(seed(index)),
            job_blocks: blocks::Cache::new(),
            pending,
            heartbeat: Arc::clone(&registry.thread_infos[index].heartbeat),
            counters: Arc::clone(&registry.thread_infos[index].counters),
            record_in: Cell::new(1),
            record_all,
            sync_depth: Cell::new(0),
            isolation: Cell::new(Isolation::OUTSIDE),
            registry,
            adopted: Cell::new(adopted),
            plain_close: record_all && !adopted,
            waits: Cell::new(0),
            detached: Cell::new(0),
            steal_worth: Cell::new(None),
            crumbs: Cell::new(0),
            waited: Cell::new(Duration::ZERO),
        }
    }

    /// Fails if this thread cannot become a worker (`use_current_thread`): it is one
    /// already, of a pool still running. A thread still worker 0 of a pool dropped
    /// elsewhere stops being it here.
    pub(crate) fn check_adoptable() -> Result<(), BuildError> {
        if LENT.with(|l| !l.get().is_null()) {
            return Err(BuildError::CurrentThreadInPool);
        }
        match WorkerThread::current() {
            None => Ok(()),
            Some(worker) if worker.adopted.get() && worker.registry.live() == 0 => {
                worker.release_thread();
                Ok(())
            }
            Some(_) => Err(BuildError::CurrentThreadInPool),
        }
    }

    /// Makes this thread worker 0 of `registry` without running the main loop: it runs the
    /// pool's jobs only while it waits in the pool (`use_current_thread`). The worker stays
    /// allocated until the thread exits (see [`Adopted`]).
    pub(crate) fn adopt(
        deque: deque::Worker<JobHeader>,
        pending: Pending,
        registry: Arc<Registry>,
    ) {
        let worker = Box::new(WorkerThread::new(deque, pending, 0, registry, true));
        // Never moved from here on: the thread points at it until it exits (`Adopted`).
        let worker = NonNull::from(Box::leak(worker));
        // SAFETY: just leaked: valid until the thread exits, and only this thread uses it.
        let leaked = unsafe { worker.as_ref() };
        leaked.pending.set_home(&leaked.registry);
        WORKER_THREAD.with(|w| w.set(worker.as_ptr()));
        ADOPTED.with(|a| a.0.borrow_mut().push(worker));
    }

    /// True if this is the worker that the thread building `registry` became.
    pub(crate) fn adopted_by(&self, registry: &Registry) -> bool {
        self.adopted.get() && self.registry.same_as(registry)
    }

    /// The pool of this adopted worker is being dropped on its thread: wait for the pool's
    /// work, running it here too, then stop being a worker. The other workers end behind
    /// it (`ThreadPool::shutdown` joins them). The caller has already released its
    /// handle's count.
    pub(crate) fn retire_adopted(&self) {
        let registry = &*self.registry;
        if self.detached.get() > 0 {
            // Dropped inside one of the pool's own detached jobs, which keeps the pool alive:
            // waiting for the pool's end would wait for that job, that is, for ourselves.
            // The other workers finish the work, as when a pool's own worker drops it.
            self.release_thread();
            return;
        }
        self.wait_until(&registry.thread_infos[self.index].terminate);
        while let Some(job) = self.find_work() {
            self.execute(job);
        }
        self.release_thread();
    }

    /// The thread of an adopted worker exits while its pool lives on: a new thread of the
    /// pool's own takes the worker over and runs it until the pool ends, as a worker the pool
    /// started itself (counted in `running`, joined by the pool's drop). If the OS refuses a
    /// thread, the exiting thread runs it itself: its exit then waits for the pool's end.
    fn hand_over(worker: Box<WorkerThread>) {
        worker.adopted.set(false);
        let registry = Arc::clone(&worker.registry);
        // From now on worker 0 is a full worker for the heartbeat too.
        registry.adopted_busy.store(true, Ordering::Relaxed);
        registry.worker_started();
        let slot = Arc::new(Mutex::new(Some(Handover(worker))));
        let theirs = Arc::clone(&slot);
        let mut builder = std::thread::Builder::new().name("brigade-worker-0".into());
        if let Some(size) = registry.stack_size {
            builder = builder.stack_size(size);
        }
        let spawned = builder.spawn(move || {
            if let Some(Handover(worker)) = theirs.lock().take() {
                worker.run_handed_over();
            }
        });
        match spawned {
            Ok(handle) => registry.add_thread(handle),
            Err(e) => {
                eprintln!("brigade: no thread to take over worker 0 ({e}); its thread runs it");
                if let Some(Handover(worker)) = slot.lock().take() {
                    worker.run_handed_over();
                }
            }
        }
    }

    /// The body of the thread that took an adopted worker over: the main loop's handlers,
    /// wait and tail, then the worker is freed.
    fn run_handed_over(self: Box<Self>) {
        WORKER_THREAD.with(|w| w.set(&*self));
        let registry = Arc::clone(&self.registry);
        registry.run_start_handler(self.index);
        self.wait_until(&registry.thread_infos[self.index].terminate);
        registry.run_exit_handler(self.index);
        while let Some(job) = self.find_work() {
            self.execute(job);
        }
        self.job_blocks.release(registry.job_depot());
        WORKER_THREAD.with(|w| w.set(ptr::null()));
        drop(self);
        registry.worker_stopped();
    }

    /// The worker running on this thread, unless it is this thread's worker of a pool built
    /// with `use_current_thread` that has ended (dropped on another thread): then the thread
    /// stops being it, if it is outside the pool (no wait, no recorded join open: nothing
    /// holds the worker that would look it up again), and `None` sends the caller to the
    /// global pool. For the free functions that choose a pool to send work to; a `join`
    /// runs on such a worker as on a pool of one.
    pub(crate) fn current_live() -> Option<&'static WorkerThread> {
        let worker = WorkerThread::current()?;
        if worker.adopted.get()
            && worker.registry.live() == 0
            && !worker.registry.adopted_busy.load(Ordering::Relaxed)
        {
            worker.release_thread();
            return None;
        }
        Some(worker)
    }

    /// This thread stops being this (adopted) worker; the worker's memory stays until the
    /// thread exits.
    fn release_thread(&self) {
        self.job_blocks.release(self.registry.job_depot());
        self.registry.adopted_busy.store(false, Ordering::Relaxed);
        let _ = WORKER_THREAD.try_with(|w| {
            if ptr::eq(w.get(), self) {
                w.set(ptr::null());
            }
        });
    }

    /// An adopted worker's thread enters a wait (`wait_until`, `blocked`): it counts as
    /// inside the pool for the heartbeat thread until the matching `adopted_leave`.
    #[inline]
    fn adopted_enter(&self) {
        if self.adopted.get() {
            self.waits.set(self.waits.get() + 1);
            self.registry.adopted_busy.store(true, Ordering::Relaxed);
        }
    }

    #[inline]
    fn adopted_leave(&self) {
        if self.adopted.get() {
            let waits = self.waits.get() - 1;
            self.waits.set(waits);
            if waits == 0 && self.pending.is_empty() {
                self.registry.adopted_busy.store(false, Ordering::Relaxed);
            }
        }
    }

    /// A detached job of this pool starts running on this thread (see `retire_adopted`).
    #[inline]
    pub(crate) fn detached_started(&self) {
        self.detached.set(self.detached.get() + 1);
    }

    #[inline]
    pub(crate) fn detached_finished(&self) {
        self.detached.set(self.detached.get() - 1);
    }

    /// The worker running on this thread, if this thread is one.
    #[inline]
    pub(crate) fn current() -> Option<&'static WorkerThread> {
        let ptr = WORKER_THREAD.with(Cell::get);
        // SAFETY: the pointer is set by `main_loop` to a `WorkerThread` that lives on that
        // thread's stack for as long as the pointer is set, or by `adopt` to one that lives
        // until the thread exits (`Adopted`), and only that thread reads it.
        // The `'static` is a lie that callers cannot exploit: the reference never leaves the
        // thread (`WorkerThread` is not `Sync`) and the thread is inside `main_loop` whenever
        // user code runs on it.
        unsafe { ptr.as_ref() }
    }

    #[inline]
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    #[inline]
    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }

    /// This worker's cache of job memory.
    #[inline]
    pub(crate) fn job_blocks(&self) -> &blocks::Cache {
        &self.job_blocks
    }

    #[inline]
    pub(crate) fn registry_arc(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Pushes a job on this worker's deque, or hands it back if the deque is full. The job
    /// joins this worker's current isolation region.
    #[inline]
    pub(crate) fn push(&self, job: JobRef) -> Result<(), JobRef> {
        let region = self.region();
        match self.deque.push_tagged(job.into_raw(), region.tag()) {
            Ok(()) => {
                self.registry.sleep.notify_work_in(region);
                Ok(())
            }
            // SAFETY: the pointer came from `into_raw` just above and was not stored.
            Err(ptr) => Err(unsafe { JobRef::from_raw(ptr, region) }),
        }
    }

    /// `push` for work offered before anyone is known to want it (a parallel loop's range
    /// at its start): wakes no sleeper while the heartbeat thread is beating. A searcher
    /// takes it as any job; a sleeper is woken for it by the heartbeat thread if it is
    /// still there at the next beat (so an idle worker waits at most about one interval for
    /// it, see `pool/heartbeat.rs`), or by `announce` if the pusher decides it should be
    /// taken sooner. If the heartbeat thread is parked (the pool was idle), this wakes a
    /// sleeper at once, as `push` does: waking the heartbeat thread would cost the same
    /// futex call, and its first beat came 0.2 to 5 ms later on a VM whose idle cores
    /// sleep (a loop of two 5 ms items after 5 ms idle often ran serially).
    ///
    /// Inside an isolation region, and on a `use_current_thread` pool's adopted worker
    /// (which the heartbeat thread may count as outside the pool), it is `push`.
    #[inline]
    pub(crate) fn push_unannounced(&self, job: JobRef) -> Result<(), JobRef> {
        let region = self.region();
        if !region.is_none() || self.adopted.get() {
            return self.push(job);
        }
        match self.deque.push_tagged(job.into_raw(), region.tag()) {
            Ok(()) => {
                // Either the heartbeat thread, after raising `parked` and its fence, sees
                // this job on the deque (and beats for it), or this load after the push
                // and the fence sees it parked (the store-buffering handshake of its
                // kicks).
                if self.registry.heartbeat.parked_after_fence() {
                    // That fence came after the push, as `notify_work`'s would.
                    self.registry.sleep.notify_work_fenced();
                }
                Ok(())
            }
            // SAFETY: the pointer came from `into_raw` just above and was not stored.
            Err(ptr) => Err(unsafe { JobRef::from_raw(ptr, region) }),
        }
    }

    /// Tells the wait running the current job that it was a loop piece stolen from another
    /// worker, and whether the piece was worth the steal (see "Crumbs" in `docs/design.md`).
    /// The outermost piece notes last, so its word is the one the wait reads.
    #[inline]
    pub(crate) fn note_steal_worth(&self, worth: bool) {
        self.steal_worth.set(Some(worth));
    }

    /// The time this thread has spent waiting for latches so far (jobs it ran meanwhile
    /// included): a stolen loop piece's work is its time minus what this grew by meanwhile.
    #[inline]
    pub(crate) fn waited(&self) -> Duration {
        self.waited.get()
    }

    /// Wakes a sleeper for a job pushed with `push_unannounced`, as `push` would have.
    #[inline]
    pub(crate) fn announce(&self) {
        self.registry.sleep.notify_work_in(self.region());
    }

    /// The region this worker's `brigade::sync` waits run in (`Isolation::sync`): its region,
    /// unless that is a task region. Jobs it sends into other pools belong to it.
    #[inline]
    pub(crate) fn sync_region(&self) -> Region {
        self.isolation.get().sync.region
    }

    /// The isolation region this worker is in: jobs it creates belong to it.
    #[inline]
    pub(crate) fn region(&self) -> Region {
        self.isolation.get().region
    }

    /// How a `join` half this worker recorded is armed here (`job::StackJob::arm`).
    pub(crate) fn arm_as(&self) -> ArmAs {
        ArmAs {
            registry: &self.registry,
            index: self.index,
            region: self.region(),
        }
    }

    /// Runs `f` in `region` (see `isolate.rs`): until `f` returns, this worker's waits run
    /// only jobs of `region`.
    ///
    /// `task_starts_here` for a task region that the task enters where it starts (see
    /// `isolate::in_new_task_region`).
    pub(crate) fn in_region<R>(
        &self,
        region: Region,
        task_starts_here: bool,
        f: impl FnOnce() -> R,
    ) -> R {
        // Publish outer halves now, below the floor, so none is published above it later.
        self.promote_all();
        let outer = self.isolation.get();
        let (floor, pending_floor) = (self.deque.bottom(), self.pending.len());
        let sync = if task_starts_here {
            // The task starts inside this worker's current region: the place around it is
            // this worker's.
            outer.sync
        } else if region.is_task() {
            // A piece of a task: the place around the task, the same on every worker that
            // runs a piece of it. A thief outside every region must not run the piece's
            // `brigade::sync` waits (or send its calls into other pools) outside an `isolate`
            // region the task started in.
            match region.around_task() {
                around if around == outer.sync.region => outer.sync,
                around => SyncPlace {
                    region: around,
                    floor,
                    pending_floor,
                },
            }
        } else {
            SyncPlace {
                region,
                floor,
                pending_floor,
            }
        };
        self.with_isolation(
            Isolation {
                region,
                floor,
                pending_floor,
                sync,
            },
            f,
        )
    }

    /// Runs `f` (a `brigade::sync` wait) in the isolation such waits have here: inside a
    /// task region, the one around the task (see "Task regions" in `isolate.rs`).
    pub(crate) fn in_sync_place<R>(&self, f: impl FnOnce() -> R) -> R {
        let isolation = self.isolation.get();
        if isolation.sync.region == isolation.region {
            return f();
        }
        // The task's unpublished halves are published now, tagged with its region; jobs
        // pushed from here on belong to the place the wait runs in.
        self.promote_all();
        self.with_isolation(isolation.for_sync(), f)
    }

    /// Changes this worker's isolation, and tells its pending stack (which arms the halves
    /// it hands over with the region, and lets them be claimed only while they are all of
    /// it).
    fn set_isolation(&self, isolation: Isolation) {
        self.isolation.set(isolation);
        self.pending
            .set_region(isolation.region, isolation.pending_floor == 0);
    }

    fn with_isolation<R>(&self, isolation: Isolation, f: impl FnOnce() -> R) -> R {
        struct Leave<'a>(&'a WorkerThread, Isolation);
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                self.0.set_isolation(self.1);
            }
        }
        let _leave = Leave(self, self.isolation.get());
        self.set_isolation(isolation);
        f()
    }

    /// Pushes a job (a spawn: it must never run on the caller). If the deque is full, its
    /// older half moves to the injector first, where this worker and every thief still find
    /// it, so a burst of spawns is bounded only by memory.
    #[inline]
    pub(crate) fn push_or_spill(&self, job: JobRef) {
        if let Err(job) = self.push(job) {
            self.spill(job);
        }
    }

    #[cold]
    fn spill(&self, job: JobRef) {
        let mut oldest = Vec::with_capacity(deque::CAPACITY / 2);
        // One CAS for the whole half, where single steals took one each.
        self.deque.take_oldest(deque::CAPACITY / 2, &mut oldest);
        let spilled = oldest
            .into_iter()
            .map(|(ptr, tag)| {
                // SAFETY: as in `pop`: the pointer came from `JobRef::into_raw` with its
                // region as the tag, and the successful claim hands it to us alone.
                unsafe { JobRef::from_raw(ptr, Region::from_tag(tag)) }
            })
            .collect();
        self.registry.inject_batch(spilled);
        if let Err(job) = self.push(job) {
            // Thieves cannot fill our deque; only a batch steal of ours could have, and we
            // are not stealing. Still, never run it here.
            self.registry.inject(job);
        }
    }

    /// This worker's unpublished `join` halves.
    #[inline]
    pub(crate) fn pending(&self) -> &Pending {
        &self.pending
    }

    /// Whether the next `join` records its second half (see `join.rs`). In a pool of
    /// several threads, every join does: a second half that is not recorded can never be
    /// shared, and a recursion that puts its heavy work in the second halves (`join(rest,
    /// leaf)`) would run serially. In a pool of one thread nobody can take a half, so only
    /// the outermost `ALWAYS_RECORDED` joins and one in every `RECORD_EVERY` below them are
    /// recorded (for waits that run their own recorded halves), through a countdown that
    /// costs an unrecorded join one decrement and one branch. Recorded joins reset it
    /// (`outer_join_opened`, `recorded_join_closed`). When it says yes it also restarts
    /// the countdown, so that a recorded join that ends up not recording (a full pending
    /// stack) leaves a valid count behind.
    #[inline]
    pub(crate) fn should_record_join(&self) -> bool {
        if self.record_all {
            return true;
        }
        let left = self.record_in.get() - 1;
        if left == 0 {
            self.record_in.set(RECORD_EVERY);
            return true;
        }
        self.record_in.set(left);
        false
    }

    /// A recorded join pushed its half at `pos`, one of the outermost entries (a deeper
    /// join has nothing to do here: `Recorded::outer`). The outermost one (the first entry)
    /// makes sure the heartbeat thread is beating: a worker that woke up comes through here
    /// before it has anything to promote, and a pool woken for work without joins never
    /// restarts the heartbeat at all. In a pool of one, it also sets the countdown for the
    /// joins nested in it (below the outermost entries, `should_record_join` has set it
    /// already).
    #[inline]
    pub(crate) fn outer_join_opened(&self, pos: usize) {
        if self.pending.is_first(pos) {
            self.kick_heartbeat();
        }
        if !self.record_all {
            let next = if self.pending.len() < ALWAYS_RECORDED {
                1
            } else {
                RECORD_EVERY
            };
            self.record_in.set(next);
        }
    }

    /// Out of line, so that the fence stays out of `join`'s code.
    #[cold]
    #[inline(never)]
    fn kick_heartbeat(&self) {
        // A pool of one has no heartbeat thread: its building thread is marked inside only
        // while it waits (marking it here would never be undone, `recorded_join_closed`).
        if self.adopted.get() && self.record_all {
            // Before the kick's fence, which pairs with the heartbeat thread's (see
            // `Registry::adopted_idle`).
            self.registry.adopted_busy.store(true, Ordering::Relaxed);
        }
        self.registry.kick_heartbeat_if_some_asleep();
    }

    /// A recorded join took its half back: in a pool of one, near the top, record the next
    /// join again. A plain worker of a pool of several threads has nothing to do here, and
    /// pays one test (callgrind, fib(27) × 5: 120.83 M instructions against 120.74 M before
    /// adopted workers existed).
    #[inline]
    pub(crate) fn recorded_join_closed(&self) {
        if self.plain_close {
            return;
        }
        if !self.record_all {
            if self.pending.len() < ALWAYS_RECORDED {
                self.record_in.set(1);
            }
        } else if self.adopted.get() && self.pending.is_empty() && self.waits.get() == 0 {
            // An adopted worker's last join closed outside every wait: its thread leaves
            // the pool (see `Registry::adopted_idle`).
            self.registry.adopted_busy.store(false, Ordering::Relaxed);
        }
    }

    /// The heartbeat check of `join`: one plain load of this worker's flag.
    #[inline]
    pub(crate) fn heartbeat_check(&self) {
        if self.heartbeat.load(Ordering::Relaxed) {
            self.promote();
        }
    }

    /// A heartbeat: publishes the oldest unpublished `join` half, and the next oldest too if
    /// the deque was empty: one for the thief that asked, one ready for whoever asks next.
    /// With one only, a thief that comes back while this worker is between two `join`s
    /// (in a long leaf) found nothing and waited for that leaf to end; on a chain of
    /// `join(rest, leaf)` it fell into step with the owner and waited for half of its
    /// leaves.
    ///
    /// Lowering the flag answers the beat: the heartbeat thread parks when a beat goes
    /// unanswered (every flag still up), so the worker that answers kicks it, if some worker
    /// sleeps. The kick's fence pairs with the heartbeat thread's (`Heartbeat::park`), after
    /// this Relaxed store: either the thread sees the flag down, or this worker sees it
    /// parked.
    #[cold]
    fn promote(&self) -> bool {
        self.heartbeat.store(false, Ordering::Relaxed);
        let was_empty = self.deque.is_empty();
        let published = self.publish_oldest();
        if published && was_empty {
            self.publish_oldest();
        }
        self.registry.kick_heartbeat_if_some_asleep();
        published
    }

    /// Raises this worker's heartbeat flag, as a beat or a thief would.
    #[cfg(test)]
    pub(crate) fn raise_heartbeat(&self) {
        crate::pool::heartbeat::raise(&self.heartbeat);
    }

    /// For a worker in a stretch of work that enters no `join` (the inner iterators of a
    /// `flat_map`, folded in the piece of their outer item): true if its heartbeat flag is
    /// up, it had no `join` half to publish for it (the beat is answered either way, as
    /// `promote` does), its deque is empty, and some worker is idle now (searching or
    /// asleep). The caller may then share the rest of its own stretch (as a loop of its
    /// own), which would otherwise run on this worker alone while others idle.
    ///
    /// A job on the deque (the token of the loop whose piece this is) is there for the idle
    /// worker already, and a flag raised by a beat for a worker that has woken since asks
    /// for nothing.
    #[inline]
    pub(crate) fn beat_unanswered(&self) -> bool {
        self.heartbeat.load(Ordering::Relaxed) && self.answer_beat()
    }

    /// `beat_unanswered` once the flag is seen up.
    #[cold]
    fn answer_beat(&self) -> bool {
        !self.promote() && self.deque.is_empty() && self.registry.sleep.some_idle()
    }

    /// Publishes every unpublished `join` half, oldest first (before waiting).
    #[cold]
    fn promote_all(&self) {
        while self.publish_oldest() {}
    }

    /// Moves the oldest unpublished `join` half to the deque, where thieves can take it.
    /// False if there was none, or the deque is full (then there is plenty to steal already,
    /// and the half stays pending).
    fn publish_oldest(&self) -> bool {
        if self.isolation.get().pending_floor != 0 {
            // Some halves are from outside this region (see `Isolation::pending_floor`).
            return false;
        }
        // Checked first: a half taken off the pending stack is never put back (a claim of
        // the stack's private halves relies on its front only moving up).
        if !self.deque.has_room() {
            return false;
        }
        let Some(job) = self.pending.pop_front() else {
            return false;
        };
        if let Err(job) = self.push(job) {
            // Only this worker pushes, and `has_room` said there is room: unreachable. Were
            // it not, the armed half would still run: the injector takes any job.
            debug_assert!(false, "a push after `has_room` failed");
            self.registry.inject(job.in_region(self.region()));
        }
        self.counters.promotion();
        true
    }

    /// Pops the newest job of this worker's deque that it may run here. Inside an isolation
    /// region, only a job above the region's floor (one of the region, or of a region nested
    /// in it): a job from before the region, run on top of the region's frames, could wait
    /// for the region's own result (an `OnceCell` initializer below it) and deadlock the
    /// thread on itself.
    #[inline]
    pub(crate) fn pop(&self) -> Option<JobRef> {
        let isolation = self.isolation.get();
        if !isolation.region.is_none() {
            return self.pop_isolated(isolation);
        }
        self.pop_outside()
    }

    /// `pop` for a worker outside every region.
    #[inline]
    fn pop_outside(&self) -> Option<JobRef> {
        let (ptr, tag) = self.deque.pop_tagged()?;
        // SAFETY: every pointer in the deque came from `JobRef::into_raw` (in our `push`, or in
        // a victim's, for jobs a batch steal moved here), with its region as the tag, and pop
        // hands each out once.
        Some(unsafe { JobRef::from_raw(ptr, Region::from_tag(tag)) })
    }

    #[cold]
    fn pop_isolated(&self, isolation: Isolation) -> Option<JobRef> {
        let (ptr, tag) = self
            .deque
            .pop_above(isolation.floor, isolation.region.tag())?;
        // SAFETY: as in `pop`.
        Some(unsafe { JobRef::from_raw(ptr, Region::from_tag(tag)) })
    }

    /// Runs one job from anywhere this worker would look while waiting (`yield_now`); true
    /// if one ran. Inside an isolation region, only a job of the region.
    pub(crate) fn run_one(&self) -> bool {
        match self.find_work() {
            Some(job) => {
                self.execute(job);
                true
            }
            None => false,
        }
    }

    /// Runs one job of this worker's own: from its deque, a `join` half it recorded, or its
    /// broadcast inbox (`yield_local`; rayon's takes broadcasts too); true if one ran.
    /// Inside an isolation region, only a job of the region.
    pub(crate) fn run_one_local(&self) -> bool {
        let isolation = self.isolation.get();
        let inbox = &self.registry.thread_infos[self.index].inbox;
        let job = self
            .pop()
            .or_else(|| {
                // As a wait does: halves recorded before the region are not the region's.
                if self.pending.is_empty() || isolation.pending_floor != 0 {
                    return None;
                }
                self.promote_all();
                self.pop()
            })
            .or_else(|| {
                if isolation.region.is_none() {
                    inbox.pop()
                } else {
                    inbox.pop_in(isolation.region)
                }
            });
        match job {
            Some(job) => {
                self.execute(job);
                true
            }
            None => false,
        }
    }

    /// True if this worker's deque holds jobs or it has recorded `join` halves that have not
    /// been taken (`current_thread_has_pending_tasks`). Racy: thieves may take them at once.
    pub(crate) fn has_local_work(&self) -> bool {
        !self.deque.is_empty() || !self.pending.is_empty()
    }

    /// Runs a job, in its isolation region.
    #[inline]
    pub(crate) fn execute(&self, job: JobRef) {
        self.counters.job_run();
        if job.region() == self.region() {
            job.execute();
        } else {
            self.execute_in_region(job);
        }
    }

    /// A job of another region: outside every region we may run it, and run it inside its
    /// region; inside one, only jobs of nested regions come here. The entry is recorded in
    /// this thread's chain of regions (`isolate.rs`), so `OnceCell`'s re-entry check sees it.
    #[cold]
    fn execute_in_region(&self, job: JobRef) {
        crate::isolate::in_region_here(job.region(), || job.execute());
    }

    /// Runs jobs until `latch` is set, sleeping when there are none.
    #[inline]
    pub(crate) fn wait_until<L: AsCoreLatch + ?Sized>(&self, latch: &L) {
        let latch = latch.as_core_latch();
        if !latch.probe() {
            self.wait_until_cold(latch, None, false);
        }
    }

    /// The worker's idle loop: runs jobs until `latch` (the pool's order to stop) is set,
    /// sleeping when there are none, and looking for work less eagerly after stealing
    /// crumbs (`round_after_job`).
    fn wait_idle(&self, latch: &CoreLatch) {
        if !latch.probe() {
            self.wait_until_cold(latch, None, true);
        }
    }

    /// Runs jobs until `latch` is set or `deadline` passes, sleeping in the pool's sleep
    /// state when there are none; true if the latch is set. The deadline is checked between
    /// jobs, so a long job can delay the return. For `brigade::sync`.
    pub(crate) fn wait_until_deadline(&self, latch: &CoreLatch, deadline: Option<Instant>) -> bool {
        latch.probe() || self.wait_until_cold(latch, deadline, false)
    }

    /// Publishes every unpublished `join` half, so that a worker about to block outside the
    /// pool's sleep protocol hides no work from thieves.
    pub(crate) fn publish_pending(&self) {
        self.promote_all();
    }

    /// Runs `f` as this worker on a fresh thread (a fresh stack) while the calling thread
    /// blocks until it is done: a wait that has run out of stack carries on there, so the
    /// pool keeps its number of working threads, and the fresh thread ends when the wait
    /// does (a compensating thread, as in Java's ForkJoinPool for managed blocking). `None` if
    /// the OS refuses a thread.
    ///
    /// The fresh thread *is* this worker while `f` runs: it owns the deque, the pending
    /// stack and the job-block cache, and `WorkerThread::current()` there is `self`. That is
    /// sound because the calling thread does nothing until the fresh one has ended (the
    /// scope's join orders everything either side).
    #[cold]
    pub(crate) fn on_fresh_stack<R: Send>(
        &self,
        f: impl FnOnce(&WorkerThread) -> R + Send,
    ) -> Option<R> {
        /// The worker, handed to the thread that acts as it while its own thread is blocked.
        struct Handoff(*const WorkerThread);
        // SAFETY: the pointer is used only by the fresh thread, while the owning thread is
        // blocked in `thread::scope` (see `on_fresh_stack`), so the worker's cells are never
        // touched by two threads at once.
        unsafe impl Send for Handoff {}

        let handoff = Handoff(self);
        // The regions this thread is in go along, for `OnceCell`'s re-entry check.
        let chain = crate::isolate::Chain::current();
        let depth = self.sync_depth.get();
        self.sync_depth.set(0);
        let mut builder = std::thread::Builder::new();
        if let Some(name) = std::thread::current().name() {
            builder = builder.name(name.to_owned());
        }
        if let Some(size) = self.registry.stack_size {
            builder = builder.stack_size(size);
        }
        let result = std::thread::scope(|scope| {
            let fresh = builder.spawn_scoped(scope, move || {
                let handoff = handoff;
                // SAFETY: see `Handoff`; the worker outlives the scope.
                let worker = unsafe { &*handoff.0 };
                WORKER_THREAD.with(|w| w.set(worker));
                let result = chain.adopt(|| f(worker));
                WORKER_THREAD.with(|w| w.set(ptr::null()));
                result
            });
            // `f` runs jobs, which catch their panics; a panic here is a brigade bug.
            fresh
                .ok()
                .map(|t| t.join().expect("a worker's wait does not panic"))
        });
        self.sync_depth.set(depth);
        result
    }

    /// Runs `f` on this thread *outside* the pool, while a fresh thread acts as this worker
    /// until `f` returns (`block_in_place`): `f` may block for long, and the pool keeps its
    /// number of working threads. The fresh thread runs jobs as a waiting worker does (this
    /// worker's own first, then other workers'), and when `f` is done it finishes the job it
    /// is in and ends; then this thread is the worker again. If the OS refuses a thread, `f`
    /// runs here as the worker, without a stand-in.
    ///
    /// As in `on_fresh_stack`, the two threads never use the worker at once: this thread
    /// forgets it (`WorkerThread::current()` is `None` in `f`) before the fresh one takes it,
    /// and takes it back only after the fresh one has ended.
    #[cold]
    pub(crate) fn lend_while<R>(&self, f: impl FnOnce() -> R) -> R {
        /// The worker, handed to the thread that acts as it while `f` runs.
        struct Handoff(*const WorkerThread);
        // SAFETY: only the fresh thread uses the pointer, while this thread runs `f` outside
        // the pool and then waits in `thread::scope`; the worker outlives the scope.
        unsafe impl Send for Handoff {}

        let handoff = Handoff(self);
        let chain = crate::isolate::Chain::current();
        let done = SpinLatch::new(&self.registry, self.index);
        let depth = self.sync_depth.get();
        let mut builder = std::thread::Builder::new();
        if let Some(name) = std::thread::current().name() {
            builder = builder.name(name.to_owned());
        }
        if let Some(size) = self.registry.stack_size {
            builder = builder.stack_size(size);
        }
        std::thread::scope(|scope| {
            let done = &done;
            // Set before the fresh thread starts: from here on it is the worker, and its
            // stack is fresh.
            self.sync_depth.set(0);
            WORKER_THREAD.with(|w| w.set(ptr::null()));
            let stand_in = builder.spawn_scoped(scope, move || {
                let handoff = handoff;
                // SAFETY: see `Handoff`.
                let worker = unsafe { &*handoff.0 };
                WORKER_THREAD.with(|w| w.set(worker));
                chain.adopt(|| worker.wait_until(done));
                WORKER_THREAD.with(|w| w.set(ptr::null()));
            });
            let Ok(stand_in) = stand_in else {
                WORKER_THREAD.with(|w| w.set(self));
                self.sync_depth.set(depth);
                return f();
            };
            let lent = LENT.with(|l| l.replace(Arc::as_ptr(&self.registry)));
            let outcome = unwind::halt_unwinding(f);
            LENT.with(|l| l.set(lent));
            // SAFETY: `done` lives in this frame until the scope has joined the stand-in.
            unsafe { Latch::set(done) };
            // The stand-in runs jobs, which catch their panics; a panic here is a brigade bug.
            stand_in.join().expect("a worker's wait does not panic");
            WORKER_THREAD.with(|w| w.set(self));
            self.sync_depth.set(depth);
            outcome.unwrap_or_else(|payload| unwind::resume_unwinding(payload))
        })
    }

    /// True if this thread is outside the pool only because it lent its worker of
    /// `registry` to a stand-in (`block_in_place`): it must not wait for that pool's threads
    /// to end, one of which waits for it.
    pub(crate) fn lends_a_worker_of(registry: &Registry) -> bool {
        LENT.with(|l| ptr::eq(l.get(), registry))
    }

    /// Runs `f`, which blocks this worker outside the pool's sleep protocol (a barrier
    /// party): meanwhile the worker counts as asleep for the heartbeat thread, which may then
    /// park, and it kicks the heartbeat when it is back.
    pub(crate) fn blocked<R>(&self, f: impl FnOnce() -> R) -> R {
        let sleep = &self.registry.sleep;
        self.adopted_enter();
        sleep.enter_blocked();
        // Counted asleep: the heartbeat thread may be parked because nobody slept (see
        // `pool/heartbeat.rs`).
        self.registry.heartbeat.kick();
        struct Back<'a>(&'a WorkerThread);
        impl Drop for Back<'_> {
            fn drop(&mut self) {
                self.0.registry.sleep.leave_blocked();
                self.0.registry.kick_heartbeat_if_some_asleep();
                self.0.adopted_leave();
            }
        }
        let _back = Back(self);
        f()
    }

    /// How many `brigade::sync` waits are running jobs on this worker right now (the stack
    /// bound of `sync/signal.rs`).
    #[inline]
    pub(crate) fn sync_depth(&self) -> &Cell<u32> {
        &self.sync_depth
    }

    /// The waiting loop; true if `latch` was set, false if `deadline` passed first. `idle`:
    /// this is the worker's idle loop (`wait_idle`), not a wait for a job's latch.
    #[cold]
    fn wait_until_cold(&self, latch: &CoreLatch, deadline: Option<Instant>, idle: bool) -> bool {
        // A panic escaping here would leave jobs that point into this frame.
        let guard = AbortIfPanic;
        self.adopted_enter();
        // A wait inside a job: its time is not the job's own work (`waited`).
        let started = (!idle).then(clock::now);
        let sleep = &self.registry.sleep;
        // An isolated waiter cannot take every job, so it never counts as searching, and it
        // parks on its latch alone (see `isolate.rs`).
        let isolated = !self.region().is_none();
        let mut searching = false;
        let mut oversubscribed = false;
        let mut round = 0;
        let mut set = true;
        while !latch.probe() {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                set = false;
                break;
            }
            if let Some(job) = self.find_work() {
                if searching {
                    searching = false;
                    sleep.stop_searching(|| self.registry.has_work_for(self.index));
                }
                if idle {
                    self.steal_worth.set(None);
                    self.execute(job);
                    let (next, crumbs) = round_after_job(self.steal_worth.get(), self.crumbs.get());
                    round = next;
                    self.crumbs.set(crumbs);
                } else {
                    // Waiting for a latch of its own, which another worker's job sets soon:
                    // spin first, whatever the job was.
                    round = 0;
                    self.execute(job);
                }
                continue;
            }
            if !searching && !isolated {
                searching = true;
                sleep.start_searching();
                oversubscribed =
                    sleep.oversubscribed(self.registry.num_threads(), self.registry.cores());
                if oversubscribed {
                    // No spin hints, fewer rounds: yields only.
                    round = SPIN_ROUNDS - OVERSUBSCRIBED_ROUNDS;
                }
            }
            if isolated && round == 0 {
                oversubscribed =
                    sleep.oversubscribed(self.registry.num_threads(), self.registry.cores());
                if oversubscribed {
                    round = SPIN_ROUNDS - OVERSUBSCRIBED_ROUNDS;
                }
            }
            if round < SPIN_ROUNDS {
                if round < SPIN_HINT_ROUNDS {
                    for _ in 0..(1u32 << round) {
                        crate::loom::spin_loop();
                    }
                } else if cfg!(loom) || oversubscribed {
                    crate::loom::yield_now();
                } else {
                    let before = Instant::now();
                    crate::loom::yield_now();
                    if before.elapsed() >= LONG_YIELD {
                        // Another thread had this CPU meanwhile: more yields would each wait
                        // for it again, while this worker still counts as searching.
                        round = SPIN_ROUNDS - 1;
                    }
                }
                round += 1;
            } else if isolated {
                let isolation = self.isolation.get();
                let registry = &*self.registry;
                let (blocked, woken) = sleep.park_on_latch(
                    self.index,
                    isolation.region,
                    latch,
                    || {
                        self.deque.bottom().wrapping_sub(isolation.floor) > 0
                            || registry.has_work_in(self.index, isolation.region)
                    },
                    deadline,
                    || {
                        self.counters.parking(registry.epoch);
                        // Counted parked (before the kick's fence): the heartbeat thread may
                        // be parked because nobody slept (see `pool/heartbeat.rs`).
                        registry.heartbeat.kick();
                    },
                );
                self.counters.unparked(registry.epoch, blocked, woken);
                // Awake again, possibly with recorded joins open below the region: make sure
                // the heartbeat beats (it may have parked while this worker was parked) if
                // another worker sleeps.
                registry.kick_heartbeat_if_some_asleep();
                round = 0;
            } else {
                let registry = &*self.registry;
                let (blocked, woken) = sleep.sleep_until(
                    self.index,
                    latch,
                    || registry.has_work_for(self.index),
                    deadline,
                    || {
                        self.counters.parking(registry.epoch);
                        // As above: counted asleep, then the kick.
                        registry.heartbeat.kick();
                    },
                );
                self.counters.unparked(registry.epoch, blocked, woken);
            }
        }
        if searching {
            sleep.stop_searching(|| self.registry.has_work_for(self.index));
        }
        if let Some(started) = started {
            self.waited
                .set(self.waited.get() + clock::between(started, clock::now()));
        }
        self.adopted_leave();
        std::mem::forget(guard);
        set
    }

    /// Looks for a job in the order given in the module docs.
    #[inline]
    fn find_work(&self) -> Option<JobRef> {
        let isolation = self.isolation.get();
        if isolation.region.is_none() {
            self.pop_outside().or_else(|| self.find_work_elsewhere())
        } else {
            self.find_work_isolated(isolation)
        }
    }

    /// Looks for a job of `isolation`'s region, in the same places.
    #[cold]
    fn find_work_isolated(&self, isolation: Isolation) -> Option<JobRef> {
        let region = isolation.region;
        let pop_own = || self.pop_isolated(isolation);
        if let Some(job) = pop_own() {
            return Some(job);
        }
        if !self.pending.is_empty() && isolation.pending_floor == 0 {
            self.promote_all();
            if let Some(job) = pop_own() {
                return Some(job);
            }
        }
        let registry = &*self.registry;
        if let Some(job) = registry.thread_infos[self.index].inbox.pop_in(region) {
            return Some(job);
        }
        if let Some(job) = registry.injector.pop_in(region) {
            return Some(job);
        }
        self.steal_in(region)
            .or_else(|| self.uncover_own_jobs_of(region))
    }

    /// A waiter in `region` found nothing it may run, yet its own deque is not empty: every
    /// job there is below the region's floor (one above it would have been popped), and a
    /// job of the region can sit among them, under jobs of other regions, where no `pop`
    /// reaches it. In a pool of one no thief takes those either, and the waiter spun on them
    /// forever (`Registry::has_work_in` counts its own deque). So the waiter takes them all:
    /// jobs of other regions go to the injector, where every worker outside the regions, and
    /// this one once it has left them, finds them; of the region's own, it runs the newest
    /// and pushes the others back.
    #[cold]
    fn uncover_own_jobs_of(&self, region: Region) -> Option<JobRef> {
        if self.deque.is_empty() {
            return None;
        }
        let mut taken = Vec::new();
        self.deque.take_oldest(deque::CAPACITY, &mut taken);
        let mut others = Vec::new();
        let mut own = None;
        for (ptr, tag) in taken {
            // SAFETY: as in `pop`: the pointer came from `JobRef::into_raw` with its region as
            // the tag, and the successful claim hands it to us alone.
            let job = unsafe { JobRef::from_raw(ptr, Region::from_tag(tag)) };
            if !job.region().within(region) {
                others.push(job);
            } else if let Some(older) = own.replace(job) {
                // Back on the deque: `pop` finds it above the floor, or the next call comes
                // back here.
                if let Err(older) = self.push(older) {
                    others.push(older);
                }
            }
        }
        if !others.is_empty() {
            self.registry.inject_batch(others);
        }
        own
    }

    #[cold]
    fn find_work_elsewhere(&self) -> Option<JobRef> {
        if !self.pending.is_empty() {
            // Waiting with unpublished work: publish it, for thieves and for ourselves.
            self.promote_all();
            if let Some(job) = self.pop_outside() {
                return Some(job);
            }
        }
        let registry = &*self.registry;
        if let Some(job) = registry.thread_infos[self.index].inbox.pop() {
            return Some(job);
        }
        if let Some(job) = self.pop_injected() {
            return Some(job);
        }
        self.steal()
    }

    /// Takes the injector's oldest job and moves up to `INJECTOR_BATCH - 1` more onto this
    /// worker's deque under the same lock: a burst of injected jobs (a spawn overflow, many
    /// calls from outside) then costs one lock per batch, and thieves take the rest from
    /// here. Only called with this worker's deque empty, outside every region; the jobs it
    /// moves are outside every region too (`Injector::pop_batch`).
    fn pop_injected(&self) -> Option<JobRef> {
        let injector = &self.registry.injector;
        if injector.is_empty() {
            return None;
        }
        let mut moved = false;
        let first = injector.pop_batch(INJECTOR_BATCH, |job| {
            // The job's own region as its tag, as `spill` took it out. The deque is empty, so
            // it has room; were it full, the job would stay in the injector.
            let tag = job.region().tag();
            self.deque
                .push_tagged(job.into_raw(), tag)
                // SAFETY: the pointer came from `into_raw` just above and was not stored.
                .map_err(|ptr| unsafe { JobRef::from_raw(ptr, Region::from_tag(tag)) })?;
            moved = true;
            Ok(())
        })?;
        if moved {
            // Others may steal what we moved; they were told of it when it was injected,
            // but may have looked in the injector after we emptied it.
            self.registry.sleep.notify_work();
        }
        Some(first)
    }

    /// Visits other workers in the order of the pool's steal policy and takes work from the
    /// first that has some; searches again while a steal lost a race.
    fn steal(&self) -> Option<JobRef> {
        self.steal_with(self.registry.steal_policy.steal_amount(), None)
    }

    /// `steal` inside `region`: one job at a time, and only a victim's oldest job if it
    /// belongs to `region`.
    fn steal_in(&self, region: Region) -> Option<JobRef> {
        self.steal_with(StealAmount::One, Some(region))
    }

    fn steal_with(&self, amount: StealAmount, region: Option<Region>) -> Option<JobRef> {
        let n = self.registry.num_threads();
        if n <= 1 {
            return None;
        }
        let policy = self.registry.steal_policy;
        let me = self.index;
        match policy.victim_order() {
            Victims::RoundRobin => {
                let start = self.next_random() as usize % n;
                self.steal_rounds(amount, region, || steal::round_robin(me, n, start))
            }
            Victims::Random => self.steal_rounds(amount, region, || {
                steal::random(me, n, || self.next_random())
            }),
            Victims::NearestFirst => {
                self.steal_rounds(amount, region, || steal::nearest_first(me, n))
            }
        }
    }

    /// Search rounds over the victims that `round` yields, until a job is found or a round
    /// without a lost race finds none. Each victim found empty is asked to publish work.
    #[inline]
    fn steal_rounds<I>(
        &self,
        amount: StealAmount,
        region: Option<Region>,
        round: impl Fn() -> I,
    ) -> Option<JobRef>
    where
        I: Iterator<Item = usize>,
    {
        let infos = &self.registry.thread_infos;
        loop {
            let mut retry = false;
            for victim in round() {
                match self.steal_from(victim, amount, region) {
                    Steal::Success(job) => return Some(job),
                    Steal::Retry => retry = true,
                    Steal::Empty => {
                        // Take a recorded `join` half straight from the victim's pending
                        // stack: its owner may be in a first half that never joins again.
                        if let Some(job) = self.steal_pending(victim, region) {
                            return Some(job);
                        }
                        // Ask the victim to publish work at its next `join` (a
                        // demand-driven heartbeat).
                        heartbeat::raise(&infos[victim].heartbeat);
                    }
                }
            }
            if !retry {
                return None;
            }
        }
    }

    /// One visit to `victim`: its oldest job, and with `StealAmount::Half` up to half of the
    /// rest moved to this worker's deque. With a `region`, only a job of that region.
    #[inline]
    fn steal_from(
        &self,
        victim: usize,
        amount: StealAmount,
        region: Option<Region>,
    ) -> Steal<JobRef> {
        let stealer = &self.registry.thread_infos[victim].stealer;
        let stolen = match (amount, region) {
            (_, Some(region)) => stealer.steal_if(|tag| Region::from_tag(tag).within(region)),
            (StealAmount::One, None) => {
                let (stolen, had) = stealer.steal_tagged_counted();
                if had == 1 {
                    // We took its last job: ask the victim for the next one now, so that it
                    // is there when we (or another thief) come back, rather than asked for
                    // then and published only at the victim's next `join`.
                    heartbeat::raise(&self.registry.thread_infos[victim].heartbeat);
                }
                stolen
            }
            (StealAmount::Half, None) => {
                // After the first, only jobs outside every region, as the injector's
                // batches (`Injector::pop_batch`): a job of a region moved here could end up
                // below the floor of a wait in another region on this worker, out of its own
                // reach and under a job its region's waiters may not take.
                let (first, moved) =
                    stealer.steal_batch_and_pop(&self.deque, |tag| Region::from_tag(tag).is_none());
                if moved > 0 {
                    // The extra jobs are on our deque now: tell sleepers, as `push` does.
                    self.registry.sleep.notify_work();
                }
                first
            }
        };
        self.counters
            .steal_attempt(matches!(stolen, Steal::Success(_)));
        match stolen {
            Steal::Success((ptr, tag)) => {
                // SAFETY: the pointer came from `JobRef::into_raw` in the victim's `push` (or
                // was moved there by its own batch steal), and the successful steal hands it
                // to us alone, with its region as the tag.
                let job = unsafe { JobRef::from_raw(ptr, Region::from_tag(tag)) };
                Steal::Success(job)
            }
            Steal::Retry => Steal::Retry,
            Steal::Empty => Steal::Empty,
        }
    }

    /// Claims the oldest recorded `join` half of `victim` (see `pending.rs`). Inside a
    /// region, a claimed half of another region cannot run here and cannot be put back: it
    /// goes to the injector, where its owner (waiting for it) and every worker outside all
    /// regions find it.
    #[cold]
    fn steal_pending(&self, victim: usize, region: Option<Region>) -> Option<JobRef> {
        let registry = &*self.registry;
        let job = registry.thread_infos[victim].pending.steal();
        self.counters.steal_attempt(job.is_some());
        let job = job?;
        // As for a deque's last job (`steal_from`): the next one, published ahead of need.
        heartbeat::raise(&registry.thread_infos[victim].heartbeat);
        match region {
            Some(region) if !job.region().within(region) => {
                registry.inject(job);
                None
            }
            _ => Some(job),
        }
    }

    /// xorshift64*: a per-worker stream for victim selection.
    #[inline]
    fn next_random(&self) -> u64 {
        let mut x = self.rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

impl std::fmt::Debug for WorkerThread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerThread")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn crumbs_in_a_row_make_the_search_yield_and_a_worthy_piece_ends_that() {
        // One crumb: still spin hints first.
        assert_eq!(round_after_job(Some(false), 0), (0, 1));
        // The second in a row: yields only.
        assert_eq!(round_after_job(Some(false), 1), (SPIN_HINT_ROUNDS, 2));
        assert_eq!(round_after_job(Some(false), 7), (SPIN_HINT_ROUNDS, 8));
        // A piece worth its steal clears the count.
        assert_eq!(round_after_job(Some(true), 8), (0, 0));
        // Other jobs (join halves, spawns) spin first and leave the count as it was.
        assert_eq!(round_after_job(None, 8), (0, 8));
        assert_eq!(round_after_job(Some(false), 8), (SPIN_HINT_ROUNDS, 9));
        assert_eq!(
            round_after_job(Some(false), u32::MAX),
            (SPIN_HINT_ROUNDS, u32::MAX)
        );
    }
}
