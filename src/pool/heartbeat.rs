//! The heartbeat: a thread per pool that, every `interval`, sets each worker's heartbeat flag,
//! so that a busy worker promotes its oldest unpublished `join` half at its next `join` (see
//! `pending.rs`). Thieves that find a victim's deque empty set that victim's flag too, so
//! promotion also happens on demand, without waiting for the next beat.
//!
//! # Costing nothing when idle
//!
//! When every worker sleeps, there is nothing to promote: the thread parks on a condition
//! variable with no timeout, and the first worker to wake up kicks it. The handshake is the
//! store-buffering pattern again:
//!
//! - heartbeat thread: `parked = true`, `fence(SeqCst)`, check that every worker still sleeps,
//!   then wait (the state mutex is held from the check until the wait releases it);
//! - a worker, at its outermost recorded `join` (it has been counted awake since it last
//!   slept: a worker goes to sleep only with an empty pending stack, so its next recorded
//!   join after waking is an outermost one): `fence(SeqCst)`, load `parked`, and if set,
//!   take the mutex and notify. Kicking there, rather than on every wake-up, keeps the futex
//!   call off the path from a wake-up to the job, and a pool woken for work without joins
//!   leaves the heartbeat asleep.
//!
//! Either the thread sees the worker awake and keeps beating, or the worker sees `parked` and
//! its notification finds the thread waiting (it cannot slip in between the check and the
//! wait, which happen under the mutex).
//!
//! # Costing nothing while every worker is awake
//!
//! A beat is needed only while some worker sleeps (or is parked or blocked): a *searching*
//! worker raises the flag of each victim it finds empty, and takes shared halves itself, so
//! beats add nothing to what it asks for. And every beat is a thread waking up: on a machine
//! with as many workers as cores, the heartbeat thread then takes a core from a worker
//! 10,000 times a second. In loops of 15 µs in a row on 2 threads, where every step waits
//! for both workers, that cost 15% (1.38× serial with beats, 1.62× without). So the thread
//! also parks while no worker sleeps, and a worker that is about to block (`sleep_until`,
//! `park_on_latch`, `block_in_place`) kicks it, after it is counted asleep: the same
//! handshake as above, with "counted asleep; fence; load `parked`" on the worker's side.
//!
//! The kick at an outermost `join` (and on the way back from a wait) then notifies only if
//! some worker sleeps (`kick_if`): with none asleep, the woken thread would find nothing to
//! beat for and park again. Skipping it is safe because whoever goes to sleep next kicks on
//! its own. Without that test, a busy pool paid a futex call at every outermost `join`: on
//! a chain of `join(leaf, rest)`, where every link is one, that put 5.5 µs between two
//! leaves on a worker (1.2 µs without) and took 1.97× serial down to 1.70×.
//!
//! # Costing nothing while a beat goes unanswered
//!
//! A worker answers a beat at its next recorded `join` (it lowers its flag and publishes a
//! half, `WorkerThread::promote`). While a worker waits in user code (a program living
//! inside `install` that waits for input) and the others sleep, nobody answers, yet the
//! rules above kept the thread beating every interval for as long as the wait lasted: 130
//! to 145 ms of CPU per second on a 2-core machine. So after each interval the thread
//! looks first: if every flag is still up from the last beat and no recorded half waits for
//! a thief (`PendingStealer::has_entries`), another beat would change nothing, and it
//! parks. The worker that answers kicks it (`kick_if`, if some worker sleeps): its store
//! of the lowered flag, its fence and its load of `parked` against the thread's store of
//! `parked`, fence and look at the flags, the handshake once more. A half that waits for a
//! thief keeps the beats going, since each beat wakes a sleeper for it; halves deeper on a
//! worker's stack reach thieves only through that worker's `join`s, which answer beats.
//!
//! # Offers nobody was woken for
//!
//! A parallel loop offers its range on its worker's deque from its start without waking
//! anyone (`WorkerThread::push_unannounced`): most loops are over before a woken worker
//! could arrive, and the futex call would cost them more than they gain. But its first item
//! may be long, and nothing else would tell a sleeper. So a beat also wakes a sleeper while
//! some deque holds a job, and such a job keeps the thread from parking as unheeded (while
//! some worker sleeps in the counts, as only those are woken by a beat): an idle worker
//! waits at most about one interval for it. A pusher that finds the thread parked
//! (`parked_after_fence`) wakes a sleeper itself instead: the push, its fence and its load
//! of `parked` against the thread's store of `parked`, fence and look at the deques, the
//! handshake once more. (Kicking the thread instead cost the same futex call, and on a VM
//! whose idle cores sleep its first beat came 0.2 to 5 ms later.)

//! # Claims
//!
//! A worker's private `join` halves (below its outermost three) reach thieves through its
//! own `join`s, which answer beats. A worker that stays away from `join` for long (a long
//! leaf nested deep in joins) would keep them to itself. So a beat that finds a worker's
//! flag still up from the previous beat (no recorded `join` since) while some worker sleeps
//! *claims* that worker's oldest private halves not claimed yet (`pending.rs`, "Claims of
//! private entries"): the oldest one at the first such beat, and all the rest at the next
//! beat the worker still stays away while a worker still sleeps (`claims_at`), with one
//! `membarrier` for all the claims of the beat, and
//! injects them, which wakes sleepers. A claimable half also keeps the thread from parking
//! as unheeded, so an idle worker waits about two intervals for the oldest. Where the heavy
//! barrier is unavailable (`loom::asymmetric::available_now`), there are no claims.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use crate::loom::blocking::{Condvar, Mutex, MutexGuard};
use crate::loom::{AtomicBool, Ordering, asymmetric, fence};
use crate::pool::Registry;

/// The default time between beats.
pub(crate) const DEFAULT_INTERVAL: Duration = Duration::from_micros(100);

/// A worker's heartbeat flag, shared by the worker and the heartbeat thread.
pub(crate) type Flag = Arc<CachePadded<AtomicBool>>;

pub(crate) fn new_flag() -> Flag {
    Arc::new(CachePadded::new(AtomicBool::new(false)))
}

/// Sets a worker's flag. Loads first: a flag already set costs no write, and no transfer of
/// its cache line away from the worker that reads it at every recorded `join`.
#[inline]
pub(crate) fn raise(flag: &AtomicBool) {
    if !flag.load(Ordering::Relaxed) {
        flag.store(true, Ordering::Relaxed);
    }
}

/// How many private halves a beat claims from a worker that left `streak` beats in a row
/// unanswered: the oldest one, then all the others. The oldest half is usually the
/// largest, and enough for one idle worker; but halves may take no time at all (the second
/// halves of the joins around a long leaf often do nothing), and a worker still asleep a
/// beat later shows that it was not enough. Claims are made only while some worker sleeps,
/// from a worker that has not come to a `join` for whole intervals. Doubling the count at
/// each beat (1, 2, 4, ... up to 64) left the leaf below 200 such joins waiting 8 to 9 beats:
/// 1.8 to 2.2 ms on a 2-core VM, where a beat of 100 µs comes every 210 µs; all at the
/// second beat, 0.55 to 0.63 ms (10th to 90th percentile of 40 fresh pools of 2 threads,
/// with no other pool in the process).
fn claims_at(streak: u32) -> usize {
    if streak <= 1 {
        1
    } else {
        crate::pool::pending::CAPACITY
    }
}

/// The heartbeat of one pool.
pub(crate) struct Heartbeat {
    interval: Duration,
    /// True while the thread waits for a worker to wake up.
    parked: CachePadded<AtomicBool>,
    /// True once the pool is terminating.
    stop: Mutex<bool>,
    cond: Condvar,
}

impl Heartbeat {
    pub(crate) fn new(interval: Duration) -> Self {
        Heartbeat {
            interval,
            parked: CachePadded::new(AtomicBool::new(false)),
            stop: Mutex::new(false),
            cond: Condvar::new(),
        }
    }

    /// The body of the heartbeat thread.
    pub(crate) fn run(&self, registry: &Registry) {
        punctual_timers();
        // Whether this process can claim private halves (see "Claims").
        // Looked at again at each beat: the registration may still be under way on a
        // thread of its own (`asymmetric::register_soon`).
        let claims_work = asymmetric::available_now;
        let claims = RefCell::new(Vec::with_capacity(registry.thread_infos.len()));
        // Per worker, how many beats in a row found its flag still up.
        let streaks = RefCell::new(vec![0u32; registry.thread_infos.len()]);
        self.run_with(
            || {
                // A thread that built the pool (`use_current_thread`) and is outside it
                // needs no beats.
                let in_pool = registry.num_threads() - usize::from(registry.adopted_idle());
                registry.sleep.all_asleep(in_pool) || registry.sleep.none_asleep()
            },
            || {
                // Unheeded: every flag is still up from the last beat (no worker has come
                // to a `join` since), no half waits for a thief, and no job offered without
                // a wake-up waits on a deque for a sleeper (see "Offers nobody was woken
                // for" above). Sleepers in the counts only: a worker parked inside a region
                // or blocked is not woken by a beat, so a job it cannot take must not keep
                // the thread beating.
                let offered = || {
                    registry.sleep.some_sleeping()
                        && registry
                            .thread_infos
                            .iter()
                            .any(|info| !info.stealer.is_empty())
                };
                registry.thread_infos.iter().all(|info| {
                    info.heartbeat.load(Ordering::Relaxed)
                        && !info.pending.has_entries()
                        // While the registration is under way, a claim may be possible
                        // at a later beat: keep beating.
                        && !(asymmetric::available_soon() && info.pending.has_claimable())
                }) && !offered()
            },
            || {
                let mut waiting = false;
                let mut claims = claims.borrow_mut();
                let mut streaks = streaks.borrow_mut();
                let claiming = claims_work() && registry.sleep.some_sleeping();
                for (index, info) in registry.thread_infos.iter().enumerate() {
                    // Still up from the last beat: the worker has not come to a `join` for an
                    // interval, and its private halves reach nobody (see "Claims").
                    let unanswered = info.heartbeat.load(Ordering::Relaxed);
                    raise(&info.heartbeat);
                    let streak = &mut streaks[index];
                    *streak = if unanswered {
                        streak.saturating_add(1)
                    } else {
                        0
                    };
                    if claiming
                        && unanswered
                        && let Some(claim) = info.pending.begin_claim(claims_at(*streak))
                    {
                        claims.push((index, claim));
                    }
                    waiting |= info.pending.has_entries() || !info.stealer.is_empty();
                }
                if !claims.is_empty() {
                    // One heavy barrier for every claim of this beat.
                    let barrier = asymmetric::heavy();
                    for (index, claim) in claims.drain(..) {
                        let pending = &registry.thread_infos[index].pending;
                        if barrier {
                            pending.finish_claim(claim, |job| registry.inject(job));
                        } else {
                            pending.abort_claim(claim);
                        }
                    }
                }
                if waiting {
                    // A busy worker has recorded `join` halves, or a job on its deque: if
                    // nobody is searching, wake a sleeper to steal one. Its owner may be in
                    // a first half that never joins again (so it would never promote it),
                    // or in a long item of a loop that offered its range without waking
                    // anyone: this bounds the time an idle worker waits for such work by
                    // one interval.
                    registry.sleep.notify_work();
                }
            },
        );
    }

    /// The heartbeat loop, with the pool behind three closures (so a loom model can drive
    /// it): `idle` tells whether there is nothing to beat for (every worker sleeps, or none
    /// does), `unheeded` whether the last beat is still unanswered (every flag still up,
    /// no half waiting for a thief), `beat` sets the workers' flags.
    fn run_with(&self, idle: impl Fn() -> bool, unheeded: impl Fn() -> bool, beat: impl Fn()) {
        let mut stop = self.stop.lock();
        loop {
            if *stop {
                return;
            }
            if idle() {
                self.park(&mut stop, &idle);
                continue;
            }
            self.cond.wait_for(&mut stop, self.interval);
            if *stop {
                return;
            }
            if unheeded() {
                // Another beat would change nothing: the worker that answers this one (it
                // lowers its flag at its next `join`) kicks.
                self.park(&mut stop, &|| idle() || unheeded());
                continue;
            }
            beat();
        }
    }

    /// Waits for a kick, unless `nothing_to_do` turns false after `parked` is up.
    fn park(&self, stop: &mut MutexGuard<'_, bool>, nothing_to_do: &impl Fn() -> bool) {
        // Relaxed: ordered by the fence below, which pairs with the one in `kick_if`.
        self.parked.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        if nothing_to_do() {
            self.cond.wait(stop);
        }
        self.parked.store(false, Ordering::Relaxed);
    }

    /// True while the heartbeat thread waits for a worker to wake up (for diagnostics).
    pub(crate) fn is_parked(&self) -> bool {
        self.parked.load(Ordering::Relaxed)
    }

    /// A worker's count changed (it is about to block, or it is back): make sure the
    /// heartbeat thread is beating if there is something to beat for.
    #[inline]
    pub(crate) fn kick(&self) {
        self.kick_if(|| true);
    }

    /// `kick` for a worker that is counted awake (at its outermost recorded `join`, or back
    /// from a wait): `needed` tells whether some other worker sleeps. If none does, the
    /// thread would find nothing to beat for and park again, so the futex call (about 5 µs,
    /// on the path from a stolen job to its first leaf) is skipped; a worker that goes to
    /// sleep later kicks on its own (see the module docs). A chain of `join(leaf, rest)` on
    /// 2 busy workers paid it at every link: 5.5 µs between two leaves on a worker, against
    /// 1.2 µs without.
    #[inline]
    pub(crate) fn kick_if(&self, needed: impl FnOnce() -> bool) {
        // SeqCst fence: pairs with the fence in `run` (see the module docs).
        fence(Ordering::SeqCst);
        if self.parked.load(Ordering::Relaxed) && needed() {
            let _stop = self.stop.lock();
            self.cond.notify_one();
        }
    }

    /// For a worker that just made work visible that only a beat would wake a sleeper
    /// for (`WorkerThread::push_unannounced`): a SeqCst fence, then whether the thread is
    /// parked. The fence pairs with the one in `park`: either the thread's look after it
    /// sees the work, or this load sees `parked` and the caller wakes a sleeper itself.
    #[inline]
    pub(crate) fn parked_after_fence(&self) -> bool {
        fence(Ordering::SeqCst);
        self.parked.load(Ordering::Relaxed)
    }

    /// Tells the heartbeat thread to exit.
    pub(crate) fn stop(&self) {
        *self.stop.lock() = true;
        self.cond.notify_one();
    }
}

/// Asks the kernel to end this thread's timed waits on time. Linux lets a timed wait of a
/// normal thread end up to 50 µs late by default (its *timer slack*, so that wake-ups can
/// be batched), and a beat that came 50 µs late let an idle worker wait for a long loop item's
/// range about 1.5 intervals instead of one. 1 µs here: the beats stay one per interval,
/// only their timing tightens.
fn punctual_timers() {
    #[cfg(all(target_os = "linux", not(loom), not(miri)))]
    // SAFETY: `PR_SET_TIMERSLACK` takes a number of nanoseconds and touches no memory of
    // ours; a failure leaves the default slack, which is only later beats.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1_000 as libc::c_ulong);
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::Arc;
    use loom::thread;

    /// The end of each model: the heartbeat thread must leave its park (if the kick were
    /// lost, this loop would spin forever and loom would fail the model), then it is
    /// stopped.
    fn beats_then_stops(hb: &Heartbeat, thread: thread::JoinHandle<()>) {
        while hb.parked.load(Ordering::Acquire) {
            thread::yield_now();
        }
        hb.stop();
        thread.join().unwrap();
    }

    /// The park/kick handshake: the only worker sleeps, so the heartbeat thread may park; the
    /// worker is then counted awake and kicks. The heartbeat thread must not stay parked: if
    /// the kick were lost, `beats_then_stops` would spin forever and loom would fail the model.
    #[test]
    fn kick_after_waking_unparks_the_heartbeat() {
        loom::model(|| {
            let hb = Arc::new(Heartbeat::new(Duration::from_micros(100)));
            let asleep = Arc::new(AtomicBool::new(true));
            let thread = {
                let (hb, asleep) = (hb.clone(), asleep.clone());
                thread::spawn(move || {
                    hb.run_with(|| asleep.load(Ordering::Relaxed), || false, || ())
                })
            };
            // A waker counts the worker awake (an RMW on the sleep counts, in the real code).
            asleep.swap(false, Ordering::Relaxed);
            // The worker's outermost recorded join.
            hb.kick();
            beats_then_stops(&hb, thread);
        });
    }

    /// The same handshake for a thread that built its pool (`use_current_thread`): outside
    /// the pool it counts as asleep; entering a join it marks itself busy with a plain
    /// Relaxed store (no RMW), then kicks. The kick's fence must still keep the heartbeat
    /// thread from staying parked.
    #[test]
    fn adopted_thread_marking_itself_busy_unparks_the_heartbeat() {
        loom::model(|| {
            let hb = Arc::new(Heartbeat::new(Duration::from_micros(100)));
            let busy = Arc::new(AtomicBool::new(false));
            let thread = {
                let (hb, busy) = (hb.clone(), busy.clone());
                thread::spawn(move || {
                    hb.run_with(|| !busy.load(Ordering::Relaxed), || false, || ())
                })
            };
            // `kick_heartbeat` on the adopted worker.
            busy.store(true, Ordering::Relaxed);
            hb.kick();
            beats_then_stops(&hb, thread);
        });
    }

    /// Parked because no worker slept (every worker busy or searching), the thread must
    /// wake when one goes to sleep: the worker is counted asleep (an RMW on the sleep
    /// counts, under the list's lock in the real code), then kicks before it blocks.
    #[test]
    fn worker_going_to_sleep_unparks_the_heartbeat() {
        loom::model(|| {
            let hb = Arc::new(Heartbeat::new(Duration::from_micros(100)));
            let sleeping = Arc::new(crate::loom::AtomicUsize::new(0));
            let thread = {
                let (hb, sleeping) = (hb.clone(), sleeping.clone());
                thread::spawn(move || {
                    hb.run_with(|| sleeping.load(Ordering::Relaxed) == 0, || false, || ())
                })
            };
            // `sleep_until`: counted asleep, fence, no work; `before_block` kicks.
            sleeping.fetch_add(1, Ordering::Relaxed);
            hb.kick();
            beats_then_stops(&hb, thread);
        });
    }

    /// A beat nobody answers parks the thread (`unheeded`: the flag is still up); the worker
    /// that answers it (sees the flag at a `join`, lowers it in `promote`) kicks, and the
    /// thread must beat again. If the kick were lost, the thread would stay parked with the
    /// flag down, and the worker's second loop would spin forever: loom fails the model.
    #[test]
    fn an_answered_beat_unparks_the_heartbeat() {
        loom::model(|| {
            // A zero interval: the wait between beats times out at once (the facade's
            // `wait_for`; loom models no time otherwise).
            let hb = Arc::new(Heartbeat::new(Duration::ZERO));
            let flag = Arc::new(AtomicBool::new(false));
            let thread = {
                let (hb, flag) = (hb.clone(), flag.clone());
                thread::spawn(move || {
                    hb.run_with(
                        || false,
                        || flag.load(Ordering::Relaxed),
                        || flag.store(true, Ordering::Relaxed),
                    )
                })
            };
            while !flag.load(Ordering::Relaxed) {
                thread::yield_now();
            }
            // `promote`: the flag down, then the kick (some worker sleeps).
            flag.store(false, Ordering::Relaxed);
            hb.kick_if(|| true);
            while !flag.load(Ordering::Relaxed) {
                thread::yield_now();
            }
            hb.stop();
            thread.join().unwrap();
        });
    }

    /// A job offered without a wake-up (`WorkerThread::push_unannounced`, a loop's range at
    /// its start) while the thread parks as unheeded: either the thread's look at the deques
    /// after raising `parked` sees the job (a beat then wakes a sleeper for it), or the
    /// pusher's load of `parked` after its push and fence sees it parked (the pusher then
    /// wakes a sleeper itself). If both missed, nobody would be woken and the worker would
    /// spin forever: loom fails the model (it does with the pusher's wake taken out).
    #[test]
    fn an_offer_without_a_wake_up_is_seen_by_a_beat() {
        loom::model(|| {
            let hb = Arc::new(Heartbeat::new(Duration::ZERO));
            // The worker's flag: raised by beats, never answered (the worker is in a long
            // item). `queued`: the deque holds the offered job. `woken`: a beat saw it.
            let flag = Arc::new(AtomicBool::new(false));
            let queued = Arc::new(AtomicBool::new(false));
            let woken = Arc::new(AtomicBool::new(false));
            let thread = {
                let (hb, flag, queued, woken) =
                    (hb.clone(), flag.clone(), queued.clone(), woken.clone());
                thread::spawn(move || {
                    hb.run_with(
                        || false,
                        || flag.load(Ordering::Relaxed) && !queued.load(Ordering::Relaxed),
                        || {
                            flag.store(true, Ordering::Relaxed);
                            if queued.load(Ordering::Relaxed) {
                                woken.store(true, Ordering::Relaxed);
                            }
                        },
                    )
                })
            };
            // The worker is in its long item once the first beat is out.
            while !flag.load(Ordering::Relaxed) {
                thread::yield_now();
            }
            // `push_unannounced`: the push, then, if the thread is parked, the pusher wakes
            // a sleeper itself.
            queued.store(true, Ordering::Relaxed);
            if hb.parked_after_fence() {
                woken.store(true, Ordering::Relaxed);
            }
            while !woken.load(Ordering::Relaxed) {
                thread::yield_now();
            }
            hb.stop();
            thread.join().unwrap();
        });
    }

    /// Parked because no worker slept, the thread must not miss a worker going to sleep
    /// while another, awake, skips its kick because it saw nobody asleep (`kick_if` at an
    /// outermost `join`): the sleeper's own kick is enough.
    #[test]
    fn kick_skipped_by_an_awake_worker_leaves_the_sleeper_to_kick() {
        loom::model(|| {
            let hb = Arc::new(Heartbeat::new(Duration::from_micros(100)));
            let sleeping = Arc::new(crate::loom::AtomicUsize::new(0));
            let thread = {
                let (hb, sleeping) = (hb.clone(), sleeping.clone());
                thread::spawn(move || {
                    hb.run_with(|| sleeping.load(Ordering::Relaxed) == 0, || false, || ())
                })
            };
            let sleeper = {
                let (hb, sleeping) = (hb.clone(), sleeping.clone());
                thread::spawn(move || {
                    sleeping.fetch_add(1, Ordering::Relaxed);
                    hb.kick();
                })
            };
            // The awake worker's outermost recorded join.
            hb.kick_if(|| sleeping.load(Ordering::Relaxed) != 0);
            sleeper.join().unwrap();
            beats_then_stops(&hb, thread);
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// A kick that is not needed (nobody sleeps) leaves the parked thread parked: before
    /// `kick_if`, every outermost `join` on a busy pool woke it, which cost each link of a
    /// `join(leaf, rest)` chain a futex call and the thread a core for a moment (5.5 µs
    /// between two leaves on a worker, against 1.2 µs after).
    #[test]
    fn a_kick_nobody_needs_does_not_wake_the_thread() {
        let hb = Arc::new(Heartbeat::new(Duration::from_micros(100)));
        let looks = Arc::new(AtomicUsize::new(0));
        let thread = {
            let (hb, looks) = (hb.clone(), looks.clone());
            std::thread::spawn(move || {
                hb.run_with(
                    || {
                        looks.fetch_add(1, Ordering::Relaxed);
                        true
                    },
                    || false,
                    || (),
                )
            })
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        // Parked once it has looked twice (before and after raising `parked`); it waits
        // right after the second look, under the mutex that a kick takes to notify.
        while !(hb.is_parked() && looks.load(Ordering::Relaxed) == 2) {
            assert!(
                std::time::Instant::now() < deadline,
                "the thread never parked"
            );
            std::thread::yield_now();
        }
        let before = 2;
        for _ in 0..100 {
            hb.kick_if(|| false);
        }
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(
            looks.load(Ordering::Relaxed),
            before,
            "an unneeded kick woke it"
        );
        // A needed kick does wake it: it looks again.
        hb.kick_if(|| true);
        while looks.load(Ordering::Relaxed) == before {
            assert!(
                std::time::Instant::now() < deadline,
                "a needed kick did not wake it"
            );
            std::thread::yield_now();
        }
        hb.stop();
        thread.join().unwrap();
    }
}
