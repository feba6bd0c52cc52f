//! How idle workers go to sleep, and how new work wakes them.
//!
//! # Goals
//!
//! - An idle pool burns no CPU: a worker that found nothing for a while blocks on its own
//!   condition variable, with no timeout.
//! - New work wakes as many workers as can use it, one at a time, not all of them.
//! - No wake-up is ever lost.
//! - Nothing here runs per job when no worker is idle: the producer side is one fence and one
//!   load of a shared word.
//!
//! # State
//!
//! Each worker is *active* (running jobs), *searching* (out of work, looking for more,
//! awake) or *sleeping*. `counts` packs the number of searching workers (low 32 bits) and of
//! sleeping workers (high 32 bits). Sleeping workers are also on `list`, under a mutex, so
//! that a waker can pick one; the mutex is only taken on the way to and from sleep.
//!
//! # Protocol
//!
//! Producer (after making a job visible: deque push, injector push):
//! 1. `fence(SeqCst)`;
//! 2. load `counts`; if nobody is searching and somebody sleeps, pop a sleeper off `list`,
//!    count it as searching, and unpark it.
//!
//! Worker going to sleep (it is counted as searching):
//! 1. announce on its latch (`CoreLatch::fall_asleep`), so a latch setter will wake it;
//! 2. under `list`'s lock, move itself from searching to sleeping and push itself on `list`;
//! 3. `fence(SeqCst)`;
//! 4. look for work once more (every deque, the injector) and at the latch; if there is
//!    some, take itself off `list` and return;
//! 5. block until unparked.
//!
//! A searcher that finds work stops searching; if it was the last searcher and a job is
//! still visible (after a fence), it wakes one more sleeper, which passes the search on (so
//! a burst of jobs pushed at once ramps up all workers, one wake-up at a time).
//!
//! # Why no wake-up is lost
//!
//! Take a job J published by a producer P and a worker W that goes to sleep. The two
//! `SeqCst` fences are totally ordered. If W's fence comes first, P's load of `counts`
//! comes after W's step 2, so P sees W sleeping; P then wakes a sleeper unless some worker S
//! is searching, and S in turn either goes through this same protocol, whose step 4 then
//! sees J, or finds work and stops searching: as the last searcher, after its RMW on
//! `counts` and a fence, it looks for a job that is still visible and wakes a sleeper if
//! there is one. Either that look sees J, or P's fence came after S's, and P's load saw S
//! no longer searching and woke a sleeper itself (induction on the last searcher). If P's
//! fence comes first, W's step 4 sees J and W does not block. Wakers and sleepers meet on each worker's own mutex
//! and `notified` flag, so an unpark that comes before the worker blocks is not lost
//! either. The latch side is the `UNSET -> SLEEPING -> SET` handshake of
//! [`CoreLatch`](crate::latch::CoreLatch). loom models of both are at the bottom of this file.

use std::time::Instant;

use crossbeam_utils::CachePadded;

use crate::isolate::Region;
use crate::latch::CoreLatch;
use crate::loom::{AtomicU64, AtomicUsize, Mutex, Ordering, fence};

mod parker;

pub(crate) use parker::Parker;

const ONE_SEARCHING: u64 = 1;
const ONE_SLEEPING: u64 = 1 << 32;
/// Moves one worker from searching to sleeping (add) or back (subtract).
const SEARCHING_TO_SLEEPING: u64 = ONE_SLEEPING - ONE_SEARCHING;

#[inline]
fn searching(counts: u64) -> u64 {
    counts & 0xFFFF_FFFF
}

#[inline]
fn sleeping(counts: u64) -> u64 {
    counts >> 32
}

/// The workers that are asleep, for a waker to choose from.
struct SleepList {
    stack: Vec<usize>,
    on_stack: Vec<bool>,
}

impl SleepList {
    fn remove(&mut self, index: usize) -> bool {
        if !self.on_stack[index] {
            return false;
        }
        self.on_stack[index] = false;
        if let Some(pos) = self.stack.iter().rposition(|&i| i == index) {
            self.stack.swap_remove(pos);
        }
        true
    }
}

/// The sleep state of one pool.
pub(crate) struct Sleep {
    /// Searching (low 32 bits) and sleeping (high 32 bits) workers.
    counts: CachePadded<AtomicU64>,
    list: Mutex<SleepList>,
    parkers: Box<[CachePadded<Parker>]>,
    /// Workers parked inside an isolation region, with their region: they can take only
    /// that region's jobs, so they are out of `counts` and woken by region
    /// (`notify_region`).
    isolated: Mutex<Vec<(usize, Region)>>,
    /// Workers parked inside a region (the list's length) plus workers blocked outside the
    /// sleep protocol (barrier parties): all count as asleep for the heartbeat thread. A
    /// producer that finds it zero skips the list's lock.
    isolated_parked: CachePadded<AtomicUsize>,
}

impl Sleep {
    pub(crate) fn new(num_workers: usize) -> Self {
        Sleep {
            counts: CachePadded::new(AtomicU64::new(0)),
            list: Mutex::new(SleepList {
                stack: Vec::with_capacity(num_workers),
                on_stack: vec![false; num_workers],
            }),
            parkers: (0..num_workers)
                .map(|_| CachePadded::new(Parker::new()))
                .collect(),
            isolated: Mutex::new(Vec::with_capacity(num_workers)),
            isolated_parked: CachePadded::new(AtomicUsize::new(0)),
        }
    }

    /// A worker ran out of work and starts searching.
    #[inline]
    pub(crate) fn start_searching(&self) {
        // Relaxed: the count is a hint that suppresses redundant wake-ups; the fences in
        // `notify_work` and `sleep` carry the no-lost-wake-up argument.
        self.counts.fetch_add(ONE_SEARCHING, Ordering::Relaxed);
    }

    /// True if more workers are awake than the machine has cores (`num_workers` in all):
    /// a searcher spinning then takes CPU from workers that have work, so it should go to
    /// sleep rather than spin.
    #[inline]
    pub(crate) fn oversubscribed(&self, num_workers: usize, cores: usize) -> bool {
        let awake = num_workers - sleeping(self.counts.load(Ordering::Relaxed)) as usize;
        awake > cores
    }

    /// True if some worker sleeps in the counts (not parked inside a region or blocked): a
    /// `notify_work` would wake one. A hint (Relaxed), read after the heartbeat thread's
    /// fence.
    #[inline]
    pub(crate) fn some_sleeping(&self) -> bool {
        sleeping(self.counts.load(Ordering::Relaxed)) != 0
    }

    /// True if some worker is idle in the counts: searching, or asleep (not parked inside a
    /// region or blocked). A hint (Relaxed).
    #[inline]
    pub(crate) fn some_idle(&self) -> bool {
        self.counts.load(Ordering::Relaxed) != 0
    }

    /// True if all `num_workers` workers are asleep (in the sleep counts, or parked inside
    /// an isolation region): the heartbeat thread may park.
    #[inline]
    pub(crate) fn all_asleep(&self, num_workers: usize) -> bool {
        sleeping(self.counts.load(Ordering::Relaxed)) as usize
            + self.isolated_parked.load(Ordering::Relaxed)
            == num_workers
    }

    /// True if no worker sleeps, parked or blocked: every worker is running jobs or
    /// searching, and a searcher asks victims for work itself, so the heartbeat thread has
    /// nothing to do (see `pool/heartbeat.rs`).
    #[inline]
    pub(crate) fn none_asleep(&self) -> bool {
        sleeping(self.counts.load(Ordering::Relaxed)) == 0
            && self.isolated_parked.load(Ordering::Relaxed) == 0
    }

    /// A searching worker found work (or its latch was set). If it was the last searcher
    /// and somebody sleeps, it hands the search on, but only if `more_work` (every deque
    /// and the injector, looked at after a SeqCst fence) still shows a job: a producer
    /// that saw this worker searching woke nobody for its job, and either that job is seen
    /// here or the producer saw the search over and woke a sleeper itself (the fences pair
    /// as in `notify_work`). Waking a sleeper with nothing to find cost the job just found
    /// the futex call and, on 2 cores, the core: a pool of 2 idle for 100 ms started a
    /// job 66 µs after it was spawned, against 34 µs without that wake-up.
    #[inline]
    pub(crate) fn stop_searching(&self, more_work: impl FnOnce() -> bool) {
        let before = self.counts.fetch_sub(ONE_SEARCHING, Ordering::Relaxed);
        debug_assert!(searching(before) > 0);
        if searching(before) == 1 && sleeping(before) > 0 {
            self.hand_on(more_work);
        }
    }

    #[cold]
    fn hand_on(&self, more_work: impl FnOnce() -> bool) {
        // SeqCst fence: after the RMW above, pairs with the fence in `notify_work`.
        fence(Ordering::SeqCst);
        if more_work() {
            self.wake_any();
        }
    }

    /// Called after new work became visible; wakes a sleeper if nobody is searching.
    #[inline]
    pub(crate) fn notify_work(&self) {
        // SeqCst fence: pairs with the fence in `sleep` (see the module docs).
        fence(Ordering::SeqCst);
        self.notify_work_fenced();
    }

    /// `notify_work` for a caller that has already made a SeqCst fence since the work became
    /// visible (`WorkerThread::push_unannounced`): that fence pairs with the one in `sleep`.
    #[inline]
    pub(crate) fn notify_work_fenced(&self) {
        let counts = self.counts.load(Ordering::Relaxed);
        if searching(counts) == 0 && sleeping(counts) > 0 {
            self.wake_any();
        }
    }

    /// `notify_work` for a job of `region`: a worker parked inside that region can take it
    /// too, and nobody else would wake it.
    #[inline]
    pub(crate) fn notify_work_in(&self, region: Region) {
        self.notify_work();
        if !region.is_none() {
            self.notify_region(region);
        }
    }

    /// Wakes every worker parked inside `region` or a region `region` is nested in. Called after a job of `region` became
    /// visible and after the SeqCst fence of `notify_work`, which pairs with the fence in
    /// `park_on_latch`: either this load sees the parked worker, or its last look sees the
    /// job (the same store-buffering argument as for `counts`).
    #[cold]
    pub(crate) fn notify_region(&self, region: Region) {
        if self.isolated_parked.load(Ordering::Relaxed) == 0 {
            return;
        }
        let parked: Vec<usize> = self
            .isolated
            .lock()
            .iter()
            .filter(|&&(_, r)| region.within(r))
            .map(|&(index, _)| index)
            .collect();
        for index in parked {
            self.unpark(index);
        }
    }

    /// `sleep_until` without a deadline, for the loom models.
    #[cfg(all(test, loom))]
    pub(crate) fn sleep(&self, me: usize, latch: &CoreLatch, has_work: impl Fn() -> bool) {
        self.sleep_until(me, latch, has_work, None, || {});
    }

    /// Puts searching worker `me` to sleep until new work, its latch, a spurious wake-up or
    /// `deadline` (a `brigade::sync` wait with a timeout). On return it counts as searching
    /// again: a worker that times out takes itself off the list exactly as one that found
    /// work does, so the counts stay right.
    ///
    /// `has_work` must look at every place a job can appear for `me`. `before_block` runs
    /// right before it blocks (for metrics); returns whether it blocked, and whether another
    /// thread woke it.
    #[cold]
    pub(crate) fn sleep_until(
        &self,
        me: usize,
        latch: &CoreLatch,
        has_work: impl Fn() -> bool,
        deadline: Option<Instant>,
        before_block: impl FnOnce(),
    ) -> (bool, bool) {
        let parker = &self.parkers[me];
        // Any notification before this point belongs to an earlier round.
        parker.reset();
        if !latch.fall_asleep() {
            return (false, false); // the latch is set
        }
        {
            let mut list = self.list.lock();
            // Relaxed: ordered by the fence below (and by the list's lock for wakers).
            self.counts
                .fetch_add(SEARCHING_TO_SLEEPING, Ordering::Relaxed);
            list.stack.push(me);
            list.on_stack[me] = true;
        }
        // SeqCst fence: pairs with the fence in `notify_work`.
        fence(Ordering::SeqCst);
        let outcome = if !has_work() && !latch.probe() {
            before_block();
            (true, parker.block(deadline))
        } else {
            (false, false)
        };
        {
            let mut list = self.list.lock();
            if list.remove(me) {
                // Not taken off the list by a waker, which would have counted us already.
                self.counts
                    .fetch_sub(SEARCHING_TO_SLEEPING, Ordering::Relaxed);
            }
        }
        latch.wake_up();
        outcome
    }

    /// Parks worker `me`, which waits inside isolation region `region`, until its latch is
    /// set, a job of its region is published (`notify_region`), something is sent to it
    /// (`wake_specific`), a spurious wake-up or `deadline`. It stays out of `counts` and
    /// `list`: it is not woken for other jobs, which it may not take (see `isolate.rs`).
    /// Who wakes it: the latch's setter (the `UNSET -> SLEEPING -> SET` handshake of
    /// `CoreLatch`), and every producer of a job of `region` (registered on `isolated`
    /// before the SeqCst fence below, which pairs with the one in `notify_work`).
    /// `has_work` must look at every place a job of `region` can appear for `me`.
    /// `before_block` runs right before it blocks (for metrics); returns whether it blocked,
    /// and whether another thread woke it.
    #[cold]
    pub(crate) fn park_on_latch(
        &self,
        me: usize,
        region: Region,
        latch: &CoreLatch,
        has_work: impl Fn() -> bool,
        deadline: Option<Instant>,
        before_block: impl FnOnce(),
    ) -> (bool, bool) {
        let parker = &self.parkers[me];
        // Any notification before this point belongs to an earlier round.
        parker.reset();
        if !latch.fall_asleep() {
            return (false, false); // the latch is set
        }
        {
            let mut isolated = self.isolated.lock();
            isolated.push((me, region));
            // Relaxed: ordered by the fence below (and the list's lock for `notify_region`).
            self.isolated_parked.fetch_add(1, Ordering::Relaxed);
        }
        // SeqCst fence: pairs with the fence in `notify_work`.
        fence(Ordering::SeqCst);
        let outcome = if !has_work() && !latch.probe() {
            before_block();
            (true, parker.block(deadline))
        } else {
            (false, false)
        };
        {
            let mut isolated = self.isolated.lock();
            if let Some(at) = isolated.iter().position(|&(index, _)| index == me) {
                isolated.swap_remove(at);
            }
            self.isolated_parked.fetch_sub(1, Ordering::Relaxed);
        }
        latch.wake_up();
        outcome
    }

    /// A worker blocks outside the sleep protocol (a barrier party): it counts as asleep
    /// for the heartbeat thread (`all_asleep`) until `leave_blocked`.
    pub(crate) fn enter_blocked(&self) {
        // Relaxed: a count read by the heartbeat thread's park check, whose missed update
        // costs at most one beat or one park; the worker kicks the heartbeat when it is back.
        self.isolated_parked.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn leave_blocked(&self) {
        self.isolated_parked.fetch_sub(1, Ordering::Relaxed);
    }

    /// Wakes one sleeping worker, if any, and counts it as searching.
    #[cold]
    fn wake_any(&self) {
        let index = {
            let mut list = self.list.lock();
            let Some(index) = list.stack.pop() else {
                return;
            };
            list.on_stack[index] = false;
            self.counts
                .fetch_sub(SEARCHING_TO_SLEEPING, Ordering::Relaxed);
            index
        };
        self.unpark(index);
    }

    /// Wakes worker `index`, whose latch was set while it was (about to be) asleep.
    #[cold]
    pub(crate) fn wake_specific(&self, index: usize) {
        {
            let mut list = self.list.lock();
            if list.remove(index) {
                self.counts
                    .fetch_sub(SEARCHING_TO_SLEEPING, Ordering::Relaxed);
            }
        }
        self.unpark(index);
    }

    /// How many workers are searching and how many sleep (for diagnostics: a snapshot).
    pub(crate) fn counts(&self) -> (u64, u64) {
        let counts = self.counts.load(Ordering::Relaxed);
        (searching(counts), sleeping(counts))
    }

    /// Whether worker `index` is on the sleep list, or `None` if the list is locked (for
    /// diagnostics: never waits for the lock, so a stuck holder cannot stop the report).
    pub(crate) fn is_asleep(&self, index: usize) -> Option<bool> {
        self.list.try_lock().map(|list| list.on_stack[index])
    }

    /// Whether worker `index` has a wake-up it has not yet consumed, or `None` if its
    /// parker is locked (for diagnostics; never waits).
    pub(crate) fn is_notified(&self, index: usize) -> Option<bool> {
        self.parkers[index].try_is_notified()
    }

    fn unpark(&self, index: usize) {
        self.parkers[index].unpark();
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::latch::CoreLatch;
    use crate::loom::{Arc, AtomicBool, AtomicUsize};
    use loom::thread;

    /// A worker takes a job if there is one; otherwise it goes through the sleep protocol.
    fn worker_takes_job(sleep: &Sleep, job: &AtomicBool, latch: &CoreLatch) {
        sleep.start_searching();
        loop {
            if job.swap(false, Ordering::Relaxed) {
                sleep.stop_searching(|| job.load(Ordering::Relaxed));
                return;
            }
            sleep.sleep(0, latch, || job.load(Ordering::Relaxed));
        }
    }

    /// A job published while the only worker goes to sleep always wakes it: if the wake-up
    /// were lost, the worker would block forever and loom would report a deadlock.
    #[test]
    fn job_published_during_sleep_is_not_lost() {
        loom::model(|| {
            let sleep = Arc::new(Sleep::new(1));
            let job = Arc::new(AtomicBool::new(false));
            let (s, j) = (sleep.clone(), job.clone());
            let producer = thread::spawn(move || {
                // A swap, not a store: loom orders a plain store that races with the
                // worker's swap too loosely and reports a stale read real hardware cannot do.
                j.swap(true, Ordering::Relaxed);
                s.notify_work();
            });
            let latch = CoreLatch::new();
            worker_takes_job(&sleep, &job, &latch);
            producer.join().unwrap();
        });
    }

    /// Two jobs published one after the other reach two sleeping workers: the second push
    /// sees a searcher and wakes nobody, so the hand-on from the last searcher must wake the
    /// second worker (else it blocks forever, and loom reports the deadlock).
    #[test]
    fn two_jobs_wake_two_workers() {
        loom::model(|| {
            let sleep = Arc::new(Sleep::new(2));
            let jobs = Arc::new(AtomicUsize::new(0));
            let workers: Vec<_> = (0..2)
                .map(|me| {
                    let (s, j) = (sleep.clone(), jobs.clone());
                    thread::spawn(move || {
                        let latch = CoreLatch::new();
                        s.start_searching();
                        loop {
                            let n = j.load(Ordering::Relaxed);
                            if n > 0
                                && j.compare_exchange(
                                    n,
                                    n - 1,
                                    Ordering::Relaxed,
                                    Ordering::Relaxed,
                                )
                                .is_ok()
                            {
                                s.stop_searching(|| j.load(Ordering::Relaxed) > 0);
                                return;
                            }
                            s.sleep(me, &latch, || j.load(Ordering::Relaxed) > 0);
                        }
                    })
                })
                .collect();
            for _ in 0..2 {
                jobs.fetch_add(1, Ordering::Relaxed);
                sleep.notify_work();
            }
            for w in workers {
                w.join().unwrap();
            }
        });
    }

    /// A latch set while its waiter goes to sleep wakes it (the waiter would otherwise block
    /// forever: loom reports the deadlock).
    #[test]
    fn latch_set_during_sleep_wakes_the_waiter() {
        loom::model(|| {
            let sleep = Arc::new(Sleep::new(1));
            let latch = Arc::new(CoreLatch::new());
            let (s, l) = (sleep.clone(), latch.clone());
            let setter = thread::spawn(move || {
                // SAFETY: the latch lives in an `Arc` held by both threads.
                if unsafe { CoreLatch::set(&*l) } {
                    s.wake_specific(0);
                }
            });
            sleep.start_searching();
            while !latch.probe() {
                sleep.sleep(0, &latch, || false);
            }
            sleep.stop_searching(|| false);
            setter.join().unwrap();
        });
    }

    /// A job of its region published while an isolated waiter parks wakes it: if the wake-up
    /// were lost, the waiter would block forever and loom would report a deadlock.
    #[test]
    fn job_of_its_region_wakes_an_isolated_waiter() {
        loom::model(|| {
            let sleep = Arc::new(Sleep::new(2));
            let region = Region::fresh();
            let job = Arc::new(AtomicBool::new(false));
            let (s, j) = (sleep.clone(), job.clone());
            let producer = thread::spawn(move || {
                j.swap(true, Ordering::Relaxed);
                s.notify_work_in(region);
            });
            let latch = CoreLatch::new();
            while !job.swap(false, Ordering::Relaxed) {
                sleep.park_on_latch(
                    0,
                    region,
                    &latch,
                    || job.load(Ordering::Relaxed),
                    None,
                    || {},
                );
            }
            producer.join().unwrap();
        });
    }

    /// A worker waiting inside an isolation region parks on its latch; a latch set meanwhile
    /// wakes it, while a job of no region published by another worker does not (it stays
    /// out of the sleep counts, so the producer does not count on it either).
    #[test]
    fn latch_set_during_an_isolated_park_wakes_the_waiter() {
        loom::model(|| {
            let sleep = Arc::new(Sleep::new(2));
            let latch = Arc::new(CoreLatch::new());
            let (s, l) = (sleep.clone(), latch.clone());
            let setter = thread::spawn(move || {
                s.notify_work();
                // SAFETY: the latch lives in an `Arc` held by both threads.
                if unsafe { CoreLatch::set(&*l) } {
                    s.wake_specific(0);
                }
            });
            while !latch.probe() {
                sleep.park_on_latch(0, Region::fresh(), &latch, || false, None, || {});
            }
            assert_eq!(sleep.counts.load(Ordering::Relaxed), 0);
            setter.join().unwrap();
        });
    }
}
