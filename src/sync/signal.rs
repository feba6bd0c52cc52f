//! The one-shot signal under every `brigade::sync` primitive, and how its waiters wait.
//!
//! # State
//!
//! `state` is `UNSET` or `SET`, and only ever moves `UNSET -> SET`. It is written only under
//! the lock of `waiters`, the list of parked waiters, and read without the lock by the fast
//! paths (`is_set`, the first check of `wait`).
//!
//! # How a waiter waits
//!
//! - **On a worker of a brigade pool, below the nesting bound**: the waiter registers a
//!   `WorkerWaiter` (a fresh [`CoreLatch`] plus the worker's registry and index) and runs the
//!   pool's own waiting loop, [`WorkerThread::wait_until_deadline`], on that latch: it runs
//!   other jobs while the signal is unset, and when it finds none it sleeps *in the pool's
//!   sleep state* (counted as sleeping, on the pool's sleep list), so new jobs wake it exactly
//!   as they wake an idle worker, and `set` wakes it through the `CoreLatch` handshake.
//! - **The stack bound**: each such wait increments the worker's `sync_depth` while it runs
//!   jobs. A wait that starts when `MAX_WAIT_DEPTH` waits are already running jobs on this
//!   stack blocks its thread and carries on as the same worker on a fresh thread
//!   (`WorkerThread::on_fresh_stack`), whose depth starts at zero; so does a wait that
//!   finds more than half of its thread's stack in use (`pool/stack.rs`, where the stack's
//!   bounds can be told: Linux). So at most `MAX_WAIT_DEPTH` levels of "a wait runs a job
//!   that waits" pile up on one stack, never past half of it, and the pool never runs out
//!   of working threads. Who wakes the blocked thread: the fresh thread
//!   ends when its wait returns, and the scope's join returns.
//! - **Anywhere else** (a plain thread, or a worker at the bound whose fresh thread the OS
//!   refused): the waiter registers a
//!   `Parker` of its own (`sleep/parker.rs`: a flag under a mutex, and a condition variable)
//!   and blocks on it.
//!   Such a worker is not on the pool's sleep list: the pool counts it as awake, and no wake-up
//!   meant for the pool is sent to it, so none is wasted on it.
//!
//! A timed wait that gives up takes its entry off the list under the lock (`cancel`).
//!
//! # Why no wake-up is lost, and no waiter is released early
//!
//! - *Registration against `set`.* A waiter checks `state` and pushes its entry in one
//!   critical section of the `waiters` lock; `set` stores `SET` and takes the whole list in
//!   one critical section of that lock. The lock orders the two: if `set` comes first the
//!   waiter sees `SET` and does not block; otherwise its entry is in the list `set` takes, and
//!   `set` wakes it.
//! - *Wake against block.* A thread waiter's `Parker` is woken by setting its flag under its
//!   own mutex, and the waiter checks the flag under that mutex before each block, so a wake
//!   that comes before the block is not lost. A `WorkerWaiter` is woken through the `CoreLatch`
//!   `UNSET -> SLEEPING -> SET` handshake and the pool's sleep protocol (both proved in
//!   `latch.rs` and `sleep/mod.rs`, and checked by their loom models).
//! - *Timeouts.* A waiter that times out calls `cancel`, which looks for its entry under the
//!   lock: still there means `set` has not run (it takes the list in the same critical section
//!   as it stores `SET`), so the wait failed; gone means `set` ran, so the wait succeeded. The
//!   entry is shared through an `Arc`, so a late wake from `set` touches live memory.
//! - *No early release.* A wait returns true only if it read `SET`, or its flag or latch was
//!   set (only `set` does that, after storing `SET`), or `cancel` found its entry taken (only
//!   `set` takes entries, after storing `SET`).
//!
//! The loom models at the bottom of this file check the plain-thread path; the worker path
//! reuses the pool's waiting loop, whose protocol has its own models.

use std::sync::Arc as StdArc;
use std::time::{Duration, Instant};

use crate::latch::CoreLatch;
use crate::loom::{Arc, AtomicUsize, Mutex, Ordering};
use crate::pool::{Registry, WorkerThread};
use crate::sleep::Parker;

/// Not set; waiters block.
const UNSET: usize = 0;
/// Set; final.
const SET: usize = 1;

/// How many `brigade::sync` waits may be running jobs on one stack at a time. A wait that
/// starts beyond this carries on as the same worker on a fresh thread.
pub(crate) const MAX_WAIT_DEPTH: u32 = 64;

/// A one-shot signal with pool-aware waiters.
pub(crate) struct Signal {
    /// `UNSET` or `SET`; written only under `waiters`' lock (see the module docs).
    state: AtomicUsize,
    /// The waiters that may be blocked; taken whole by `set`.
    waiters: Mutex<Vec<Waiter>>,
}

/// A registered waiter.
#[derive(Clone)]
enum Waiter {
    Worker(Arc<WorkerWaiter>),
    /// A thread (or a worker at the nesting bound) blocked on a parker of its own.
    Thread(Arc<Parker>),
}

/// A worker that waits by running jobs, then sleeping in its pool's sleep state.
struct WorkerWaiter {
    latch: CoreLatch,
    registry: StdArc<Registry>,
    index: usize,
}

impl Waiter {
    fn same(&self, other: &Waiter) -> bool {
        match (self, other) {
            (Waiter::Worker(a), Waiter::Worker(b)) => Arc::ptr_eq(a, b),
            (Waiter::Thread(a), Waiter::Thread(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    fn wake(&self) {
        match self {
            Waiter::Worker(w) => {
                // SAFETY: `w.latch` lives in an `Arc` we hold, so it stays valid after the swap.
                if unsafe { CoreLatch::set(&w.latch) } {
                    w.registry.wake_worker(w.index);
                }
            }
            Waiter::Thread(parker) => parker.unpark(),
        }
    }
}

impl Signal {
    pub(crate) fn new() -> Self {
        Signal {
            state: AtomicUsize::new(UNSET),
            waiters: Mutex::new(Vec::new()),
        }
    }

    /// True once set. Acquire: pairs with the Release store in `set`, so what the setter
    /// wrote before setting is visible.
    #[inline]
    pub(crate) fn is_set(&self) -> bool {
        self.state.load(Ordering::Acquire) == SET
    }

    /// Sets the signal and wakes every waiter. Idempotent.
    pub(crate) fn set(&self) {
        if self.is_set() {
            return;
        }
        self.set_slow();
    }

    #[cold]
    fn set_slow(&self) {
        let waiters = {
            let mut list = self.waiters.lock();
            if self.state.load(Ordering::Relaxed) == SET {
                return; // another setter won; it wakes everyone
            }
            // Release: pairs with the Acquire load in `is_set`.
            self.state.store(SET, Ordering::Release);
            std::mem::take(&mut *list)
        };
        for waiter in &waiters {
            waiter.wake();
        }
    }

    /// Waits until the signal is set or `deadline` passes; true if set.
    #[inline]
    pub(crate) fn wait_until(&self, deadline: Option<Instant>) -> bool {
        self.is_set() || self.wait_slow(deadline)
    }

    /// Waits until the signal is set or `timeout` has passed; true if set.
    pub(crate) fn wait_for(&self, timeout: Duration) -> bool {
        // A timeout too large for an `Instant` is no timeout.
        self.wait_until(Instant::now().checked_add(timeout))
    }

    /// Waits like `wait_until`, but a worker runs no jobs meanwhile: it blocks, as a plain
    /// thread does (after publishing its unpublished `join` halves for others). For waits
    /// that must not nest another waiter of the same primitive on this stack (`Barrier`).
    pub(crate) fn wait_until_blocking(&self, deadline: Option<Instant>) -> bool {
        if self.is_set() {
            return true;
        }
        match WorkerThread::current() {
            Some(worker) => {
                worker.publish_pending();
                worker.blocked(|| self.wait_parked(deadline))
            }
            None => self.wait_parked(deadline),
        }
    }

    #[cold]
    fn wait_slow(&self, deadline: Option<Instant>) -> bool {
        match WorkerThread::current() {
            Some(worker)
                if worker.sync_depth().get() < MAX_WAIT_DEPTH
                    && !crate::pool::stack::past_half() =>
            {
                self.wait_working(worker, deadline)
            }
            Some(worker) => {
                // Beyond the stack bound (or past half of this thread's stack, for tasks
                // whose frames are large: `pool/stack.rs`): this thread blocks, and the wait
                // carries on as this worker on a fresh thread, which runs jobs as any wait
                // does (no hang at any number of waiters). If the OS refuses a thread, block
                // without running jobs, hiding none.
                match worker.on_fresh_stack(|worker| self.wait_working(worker, deadline)) {
                    Some(set) => set,
                    None => {
                        worker.publish_pending();
                        worker.blocked(|| self.wait_parked(deadline))
                    }
                }
            }
            None => self.wait_parked(deadline),
        }
    }

    /// Registers `waiter` unless the signal is set; false if it is set.
    fn register(&self, waiter: &Waiter) -> bool {
        let mut list = self.waiters.lock();
        // Relaxed: under the lock, which orders us after the store in `set` if we see it;
        // the Acquire is done by the caller's `is_set` on return.
        if self.state.load(Ordering::Relaxed) == SET {
            return false;
        }
        list.push(waiter.clone());
        true
    }

    /// A timed-out waiter leaves; true if `set` took its entry first (the wait succeeded).
    fn cancel(&self, waiter: &Waiter) -> bool {
        let mut list = self.waiters.lock();
        match list.iter().position(|w| w.same(waiter)) {
            Some(pos) => {
                list.swap_remove(pos);
                false
            }
            None => true,
        }
    }

    /// A worker's wait: run jobs, sleep in the pool's sleep state.
    fn wait_working(&self, worker: &WorkerThread, deadline: Option<Instant>) -> bool {
        let entry = Arc::new(WorkerWaiter {
            latch: CoreLatch::new(),
            registry: StdArc::clone(worker.registry_arc()),
            index: worker.index(),
        });
        let waiter = Waiter::Worker(Arc::clone(&entry));
        if !self.register(&waiter) {
            return self.is_set();
        }
        let depth = worker.sync_depth();
        let outer = depth.get();
        depth.set(outer + 1);
        // Inside a task with a handle, the wait is not confined to the task's own work: what
        // sets the signal may be anywhere (see "Task regions" in `isolate.rs`).
        let set = worker.in_sync_place(|| worker.wait_until_deadline(&entry.latch, deadline));
        depth.set(outer);
        set || (self.cancel(&waiter) && self.is_set())
    }

    /// A plain thread's wait (or a worker's beyond the stack bound): block.
    fn wait_parked(&self, deadline: Option<Instant>) -> bool {
        let parker = Arc::new(Parker::new());
        let waiter = Waiter::Thread(Arc::clone(&parker));
        if !self.register(&waiter) {
            return self.is_set();
        }
        if parker.block(deadline) {
            return self.is_set();
        }
        self.cancel(&waiter) && self.is_set()
    }
}

impl std::fmt::Debug for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signal")
            .field("is_set", &self.is_set())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn set_before_wait_returns_at_once() {
        let s = Signal::new();
        s.set();
        s.set();
        assert!(s.is_set());
        assert!(s.wait_until(None));
        assert!(s.wait_for(Duration::ZERO));
    }

    #[test]
    fn timeout_leaves_no_entry_behind() {
        let s = Signal::new();
        assert!(!s.wait_for(Duration::from_millis(5)));
        assert!(s.waiters.lock().is_empty());
        s.set();
        assert!(s.wait_for(Duration::from_millis(5)));
    }

    /// A wait beyond the stack bound carries on as the same worker on a fresh thread, which
    /// runs the job that sets it (one worker, so nobody else could), and the blocked thread's
    /// depth is restored afterwards.
    #[test]
    fn beyond_the_bound_a_wait_carries_on_on_a_fresh_thread() {
        let pool = crate::ThreadPool::builder().num_threads(1).build().unwrap();
        pool.install(|| {
            let signal = Signal::new();
            let waiter = std::thread::current().id();
            let ran_on = std::sync::Mutex::new(None);
            crate::scope(|s| {
                s.spawn(|_| {
                    *ran_on.lock().unwrap() = Some(std::thread::current().id());
                    assert_eq!(crate::current_thread_index(), Some(0));
                    signal.set();
                });
                let worker = WorkerThread::current().expect("on a worker");
                let depth = worker.sync_depth();
                depth.set(MAX_WAIT_DEPTH);
                assert!(signal.wait_for(Duration::from_secs(10)));
                assert_eq!(depth.get(), MAX_WAIT_DEPTH);
                depth.set(0);
            });
            let ran_on = ran_on.lock().unwrap().expect("the job ran");
            assert_ne!(ran_on, waiter, "the job ran on the fresh thread");
        });
    }

    #[test]
    fn huge_timeout_is_no_timeout() {
        let s = std::sync::Arc::new(Signal::new());
        let s2 = std::sync::Arc::clone(&s);
        let t = std::thread::spawn(move || s2.wait_for(Duration::MAX));
        std::thread::sleep(Duration::from_millis(5));
        s.set();
        assert!(t.join().unwrap());
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::thread;

    /// A waiter that blocks while the signal is set is always woken (else loom reports a
    /// deadlock), and never returns before the setter's write is visible.
    #[test]
    fn set_wakes_a_parked_waiter() {
        loom::model(|| {
            let s = Arc::new(Signal::new());
            let data = Arc::new(AtomicUsize::new(0));
            let (s2, d2) = (s.clone(), data.clone());
            let setter = thread::spawn(move || {
                d2.store(1, Ordering::Relaxed);
                s2.set();
            });
            assert!(s.wait_parked(None));
            assert_eq!(data.load(Ordering::Relaxed), 1, "released before the set");
            setter.join().unwrap();
        });
    }

    /// Two waiters, one setter: both are woken (else loom reports a deadlock).
    #[test]
    fn set_wakes_every_waiter() {
        loom::model(|| {
            let s = Arc::new(Signal::new());
            let waiters: Vec<_> = (0..2)
                .map(|_| {
                    let s = s.clone();
                    thread::spawn(move || assert!(s.wait_until(None)))
                })
                .collect();
            s.set();
            for w in waiters {
                w.join().unwrap();
            }
            assert!(s.waiters.lock().is_empty());
        });
    }

    /// Two racing setters and a waiter: the waiter is woken once, by whichever set wins.
    #[test]
    fn racing_setters_wake_the_waiter() {
        loom::model(|| {
            let s = Arc::new(Signal::new());
            let s2 = s.clone();
            let setter = thread::spawn(move || s2.set());
            let s3 = s.clone();
            let waiter = thread::spawn(move || assert!(s3.wait_until(None)));
            s.set();
            setter.join().unwrap();
            waiter.join().unwrap();
        });
    }
}
