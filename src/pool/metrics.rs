//! Metrics: what each worker has done, always counted ([`ThreadPool::metrics`]).
//!
//! Each worker counts in a cache line of its own ([`WorkerCounters`]) that only the thread
//! acting as that worker writes, with a relaxed load and store (no read-modify-write, no
//! sharing): on the hot path, running a queued job costs one such increment, and a `join`
//! whose second half is taken back costs nothing. The pool counts jobs entering its
//! injector under the injector's lock. A snapshot reads the counters with relaxed loads,
//! so its figures are each exact but not taken at one instant.
//!
//! [`ThreadPool::metrics`]: crate::ThreadPool::metrics

use std::time::{Duration, Instant};

use crate::loom::{AtomicU64, Ordering};

/// One worker's counters; see the module docs.
#[derive(Debug)]
pub(crate) struct WorkerCounters {
    jobs_run: AtomicU64,
    steal_attempts: AtomicU64,
    steals: AtomicU64,
    promotions: AtomicU64,
    parks: AtomicU64,
    unparks: AtomicU64,
    /// Time asleep, in one word so that a snapshot never sees half a transition: bit 0 is
    /// set while the worker sleeps; the rest is a signed nanosecond count `base` (since the
    /// pool's epoch) such that the time asleep so far is `base` while awake and
    /// `base + now` while asleep (going to sleep at `t` subtracts `t`, waking at `t'` adds
    /// `t'`).
    asleep: AtomicU64,
}

fn encode(base: i64, asleep: bool) -> u64 {
    (base.wrapping_shl(1) as u64) | u64::from(asleep)
}

fn decode(word: u64) -> (i64, bool) {
    ((word as i64) >> 1, word & 1 == 1)
}

/// Adds one, from the only thread that writes `counter`.
#[inline]
fn bump(counter: &AtomicU64) {
    // Relaxed load and store: one writer (the thread acting as the worker), and readers
    // only want some recent value; no read-modify-write needed.
    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl WorkerCounters {
    pub(crate) fn new() -> Self {
        WorkerCounters {
            jobs_run: AtomicU64::new(0),
            steal_attempts: AtomicU64::new(0),
            steals: AtomicU64::new(0),
            promotions: AtomicU64::new(0),
            parks: AtomicU64::new(0),
            unparks: AtomicU64::new(0),
            asleep: AtomicU64::new(encode(0, false)),
        }
    }

    #[inline]
    pub(crate) fn job_run(&self) {
        bump(&self.jobs_run);
    }

    pub(crate) fn steal_attempt(&self, success: bool) {
        bump(&self.steal_attempts);
        if success {
            bump(&self.steals);
        }
    }

    pub(crate) fn promotion(&self) {
        bump(&self.promotions);
    }

    /// The worker is about to block; `epoch` is the pool's.
    pub(crate) fn parking(&self, epoch: Instant) {
        bump(&self.parks);
        let (base, _) = decode(self.asleep.load(Ordering::Relaxed));
        let now = nanos(epoch.elapsed()) as i64;
        // Relaxed: one writer; a reader wants a consistent word, which one store gives.
        self.asleep
            .store(encode(base.wrapping_sub(now), true), Ordering::Relaxed);
    }

    /// The worker is back from the sleep [`parking`](Self::parking) began, if `blocked`;
    /// `woken` if another thread woke it.
    pub(crate) fn unparked(&self, epoch: Instant, blocked: bool, woken: bool) {
        if !blocked {
            return;
        }
        if woken {
            bump(&self.unparks);
        }
        let (base, _) = decode(self.asleep.load(Ordering::Relaxed));
        let now = nanos(epoch.elapsed()) as i64;
        self.asleep
            .store(encode(base.wrapping_add(now), false), Ordering::Relaxed);
    }

    /// A snapshot as of `uptime` (one reading of the pool's clock for every worker, so no
    /// worker's busy time exceeds it); `deque_len` and `inbox_len` are read by the caller.
    pub(crate) fn snapshot(
        &self,
        uptime: Duration,
        deque_len: usize,
        inbox_len: usize,
    ) -> WorkerMetrics {
        let (base, parked) = decode(self.asleep.load(Ordering::Relaxed));
        let now = nanos(uptime);
        let asleep = if parked {
            base.wrapping_add(now as i64)
        } else {
            base
        };
        let busy = now.saturating_sub(u64::try_from(asleep).unwrap_or(0));
        WorkerMetrics {
            jobs_run: self.jobs_run.load(Ordering::Relaxed),
            steal_attempts: self.steal_attempts.load(Ordering::Relaxed),
            steals: self.steals.load(Ordering::Relaxed),
            heartbeat_promotions: self.promotions.load(Ordering::Relaxed),
            parks: self.parks.load(Ordering::Relaxed),
            unparks: self.unparks.load(Ordering::Relaxed),
            busy_time: Duration::from_nanos(busy),
            parked,
            deque_len,
            inbox_len,
        }
    }
}

/// What one worker has done since the pool was built: part of [`PoolMetrics`].
///
/// Counts only grow. Read two snapshots and subtract to see what happened in between.
///
/// # Examples
///
/// ```
/// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
/// pool.scope(|s| (0..100).for_each(|_| s.spawn(|_| {})));
/// let m = pool.metrics();
/// let jobs: u64 = m.workers.iter().map(|w| w.jobs_run).sum();
/// assert!(jobs >= 100); // the 100 tasks, and the scope's entry into the pool
/// # Ok::<(), brigade::BuildError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerMetrics {
    /// Jobs this worker took from a queue and ran: spawned and scoped tasks, calls from
    /// outside the pool, stolen `join` halves, broadcasts. (A `join` whose second half it
    /// took back and ran itself counts nothing.)
    pub jobs_run: u64,
    /// Visits to another worker to steal from it (its deque or its recorded `join` halves).
    pub steal_attempts: u64,
    /// Visits that took a job.
    pub steals: u64,
    /// Recorded `join` halves this worker published for thieves (on a heartbeat, or
    /// before it waited).
    pub heartbeat_promotions: u64,
    /// Times the worker went to sleep for want of work (the current sleep included).
    pub parks: u64,
    /// Times another thread woke it (new work, its latch); the rest of `parks` ended on a
    /// deadline or spuriously.
    pub unparks: u64,
    /// Time since the pool was built that the worker was not asleep: running jobs, or
    /// looking for some (a worker spins briefly before it sleeps). Read while the worker
    /// runs, it may lag a sleep or a wake-up by the few microseconds the news takes to
    /// reach the reader. For worker 0 of a pool built with
    /// [`use_current_thread`](crate::ThreadPoolBuilder::use_current_thread), the time that
    /// thread spends outside the pool counts as busy too.
    pub busy_time: Duration,
    /// Whether the worker is asleep right now.
    pub parked: bool,
    /// Jobs on its deque right now (approximate: thieves and the owner race with the read).
    pub deque_len: usize,
    /// Jobs sent to this worker alone (broadcasts) waiting right now.
    pub inbox_len: usize,
}

/// A snapshot of a pool's metrics: [`ThreadPool::metrics`](crate::ThreadPool::metrics).
///
/// Always on: every figure is counted anyway, and taking a snapshot costs a few loads per
/// worker. Figures are read one by one while the pool runs, so they are each exact but not
/// of one instant.
///
/// # Examples
///
/// ```
/// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
/// for _ in 0..10 {
///     pool.install(|| ());
/// }
/// let m = pool.metrics();
/// assert_eq!(m.workers.len(), 2);
/// assert!(m.injected_jobs >= 10); // each call from outside enters through the injector
/// for (i, w) in m.workers.iter().enumerate() {
///     println!("worker {i}: {} jobs, busy {:?}", w.jobs_run, w.busy_time);
/// }
/// # Ok::<(), brigade::BuildError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolMetrics {
    /// Jobs that entered the pool's shared queue: calls from outside the pool, tasks
    /// spawned from outside, and the older half of a worker's full deque.
    pub injected_jobs: u64,
    /// Jobs in the shared queue right now.
    pub injector_len: usize,
    /// Time since the pool was built.
    pub uptime: Duration,
    /// One entry per worker, in index order.
    pub workers: Vec<WorkerMetrics>,
}
