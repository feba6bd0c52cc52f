//! `brigade::sync`: pool-aware latches and wait groups.
//!
//! Most tests put more waiting tasks than workers into a pool. With `std::sync` primitives
//! (a `Barrier`, a `Condvar`) they would deadlock: the first waiters block every worker, and
//! the task that would release them never runs. Every test runs under [`within`], so a
//! deadlock fails the test instead of hanging the run.

mod common;

use common::{EXPECTED, payload_str, pool_of, quiet_expected_panics, within};

use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use brigade::sync::{Barrier, CountLatch, IncrementError, Latch, WaitGroup};

const TIMEOUT: Duration = Duration::from_secs(20);
/// More nested waits than one worker runs jobs for (`MAX_WAIT_DEPTH` is 64).
const DEEPER_THAN_BOUND: usize = 100;

#[test]
fn sixty_four_tasks_wait_on_a_latch_in_a_two_worker_pool() {
    within("latch", || {
        let pool = pool_of(2);
        let latch = Latch::new();
        let released = AtomicUsize::new(0);
        pool.scope(|s| {
            for _ in 0..64 {
                s.spawn(|_| {
                    latch.wait();
                    released.fetch_add(1, Ordering::Relaxed);
                });
            }
            // Spawned last, so it runs only once many waiters are already blocked.
            s.spawn(|_| latch.set());
        });
        assert_eq!(released.load(Ordering::Relaxed), 64);
    });
}

/// Tasks with large frames waiting on each other: the waits nest on a worker's stack, and
/// no wait runs tasks on a stack more than half used, so they never overflow it (a
/// user-side test: 1,000 tasks with 32 KiB frames meeting at one `CountLatch` aborted the
/// process with a stack overflow on 1 to 8 threads, 64 nested waits being 2 MiB).
#[test]
#[cfg_attr(
    any(miri, not(target_os = "linux")),
    ignore = "the half-stack rule needs the stack's bounds (Linux); slow under miri"
)]
fn tasks_with_large_frames_meet_at_a_count_latch() {
    #[inline(never)]
    fn task(latch: &CountLatch, past: &AtomicUsize) {
        let frame = [1u8; 32 * 1024];
        let frame = std::hint::black_box(&frame);
        latch.count_down();
        latch.wait();
        std::hint::black_box(frame);
        past.fetch_add(1, Ordering::Relaxed);
    }
    within("large frames", || {
        for threads in [1, 2, 4] {
            let pool = pool_of(threads);
            let latch = CountLatch::new(1000);
            let past = AtomicUsize::new(0);
            pool.scope(|s| {
                for _ in 0..1000 {
                    s.spawn(|_| task(&latch, &past));
                }
            });
            assert_eq!(past.load(Ordering::Relaxed), 1000);
        }
    });
}

#[test]
fn sixty_four_tasks_count_down_then_wait_in_a_two_worker_pool() {
    within("count latch", || {
        let pool = pool_of(2);
        let latch = CountLatch::new(64);
        let past = AtomicUsize::new(0);
        pool.scope(|s| {
            for _ in 0..64 {
                s.spawn(|_| {
                    latch.count_down();
                    latch.wait();
                    past.fetch_add(1, Ordering::Relaxed);
                });
            }
        });
        assert_eq!(past.load(Ordering::Relaxed), 64);
        assert_eq!(latch.count(), 0);
    });
}

#[test]
fn sixty_four_tasks_wait_on_a_wait_group_in_a_two_worker_pool() {
    within("wait group", || {
        let pool = pool_of(2);
        let wg = WaitGroup::new();
        let past = Arc::new(AtomicUsize::new(0));
        for _ in 0..64 {
            let (wg, past) = (wg.clone(), Arc::clone(&past));
            pool.spawn(move || {
                wg.wait();
                past.fetch_add(1, Ordering::Relaxed);
            });
        }
        wg.wait(); // a plain thread among the participants
        let deadline = Instant::now() + TIMEOUT;
        while past.load(Ordering::Relaxed) < 64 && Instant::now() < deadline {
            thread::yield_now();
        }
        assert_eq!(past.load(Ordering::Relaxed), 64);
    });
}

#[test]
fn plain_threads_wait_for_pool_tasks() {
    within("plain threads", || {
        let pool = pool_of(2);
        let latch = Arc::new(Latch::new());
        let done = Arc::new(CountLatch::new(16));
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                let (latch, done) = (Arc::clone(&latch), Arc::clone(&done));
                thread::spawn(move || {
                    latch.wait();
                    done.wait();
                    assert_eq!(done.count(), 0);
                })
            })
            .collect();
        for _ in 0..16 {
            let (latch, done) = (Arc::clone(&latch), Arc::clone(&done));
            pool.spawn(move || {
                latch.wait();
                done.count_down();
            });
        }
        latch.set();
        for w in waiters {
            w.join().unwrap();
        }
    });
}

#[test]
fn a_waiting_worker_runs_work_that_arrives_while_it_sleeps() {
    // One worker, which waits (and, finding nothing to do, sleeps) inside `install`. The
    // setter arrives later from outside: only because the waiter sleeps in the pool's sleep
    // state does the new job wake it, and it runs the job itself.
    within("wake by new work", || {
        let pool = Arc::new(pool_of(1));
        let latch = Arc::new(Latch::new());
        let (p, l) = (Arc::clone(&pool), Arc::clone(&latch));
        let setter = thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            let l2 = Arc::clone(&l);
            p.spawn(move || l2.set());
        });
        let on_worker = pool.install(|| {
            latch.wait();
            brigade::current_thread_index()
        });
        assert_eq!(on_worker, Some(0));
        setter.join().unwrap();
    });
}

#[test]
fn waits_across_pools() {
    within("two pools", || {
        let (a, b) = (pool_of(1), pool_of(1));
        let latch = Latch::new();
        a.scope(|s| {
            s.spawn(|_| latch.wait());
            b.install(|| latch.set());
        });
        assert!(latch.is_set());
    });
}

#[test]
fn timeouts_on_workers_and_plain_threads() {
    within("timeouts", || {
        let pool = pool_of(2);
        let latch = Latch::new();
        let count = CountLatch::new(1);
        let short = Duration::from_millis(20);

        let start = Instant::now();
        assert!(!latch.wait_timeout(short));
        assert!(!count.wait_timeout(short));
        assert!(start.elapsed() >= 2 * short);

        let start = Instant::now();
        let (l, c) = pool.install(|| (latch.wait_timeout(short), count.wait_timeout(short)));
        assert!(!l && !c);
        assert!(start.elapsed() >= 2 * short);

        let wg = WaitGroup::new();
        let other = wg.clone();
        assert!(!pool.install(move || wg.wait_timeout(short)));

        latch.set();
        count.count_down();
        assert!(pool.install(|| latch.wait_timeout(short) && count.wait_timeout(short)));
        assert!(latch.wait_timeout(Duration::ZERO) && count.wait_timeout(Duration::MAX));
        drop(other);
    });
}

#[test]
fn a_timed_wait_on_a_worker_succeeds_when_set_in_time() {
    within("timed success", || {
        let pool = pool_of(2);
        let latch = Latch::new();
        pool.scope(|s| {
            s.spawn(|_| assert!(latch.wait_timeout(TIMEOUT)));
            s.spawn(|_| {
                thread::sleep(Duration::from_millis(10));
                latch.set();
            });
        });
    });
}

#[test]
fn a_panic_before_count_down_makes_waiters_time_out_and_the_scope_re_raise() {
    quiet_expected_panics();
    within("panic, count latch", || {
        let pool = pool_of(2);
        let latch = CountLatch::new(2);
        let timed_out = AtomicUsize::new(0);
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            pool.scope(|s| {
                s.spawn(|_| latch.count_down());
                s.spawn(|_| {
                    panic!("{EXPECTED}: before count_down");
                    #[allow(unreachable_code)]
                    latch.count_down();
                });
                s.spawn(|_| {
                    if !latch.wait_timeout(Duration::from_millis(50)) {
                        timed_out.fetch_add(1, Ordering::Relaxed);
                    }
                });
            })
        }));
        let payload = result.expect_err("the scope re-raises the task's panic");
        assert!(payload_str(&*payload).starts_with(EXPECTED));
        assert_eq!(timed_out.load(Ordering::Relaxed), 1);
        assert_eq!(latch.count(), 1);
    });
}

#[test]
fn a_panicking_task_leaves_its_wait_group() {
    quiet_expected_panics();
    within("panic, wait group", || {
        let pool = pool_of(2);
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            pool.scope(|s| {
                let wg = WaitGroup::new();
                let mine = wg.clone();
                s.spawn(move |_| {
                    let _mine = mine;
                    panic!("{EXPECTED}: holding a wait group handle");
                });
                wg.wait(); // released: the unwinding task dropped its handle
            })
        }));
        assert!(payload_str(&*result.unwrap_err()).starts_with(EXPECTED));
    });
}

/// Task `i` releases task `i - 1`, spawns task `i + 1` and waits to be released by it: a
/// chain of waits nested deeper than the bound. The first worker nests 64 of them, then
/// blocks; the other worker takes over the chain, so it still completes.
fn chain<'scope>(s: &brigade::Scope<'scope>, latches: &'scope [Latch], i: usize) {
    if i > 0 {
        latches[i - 1].set();
    }
    if i + 1 < latches.len() {
        s.spawn(move |s| chain(s, latches, i + 1));
        latches[i].wait();
    }
}

#[test]
fn nested_waits_deeper_than_the_bound_complete() {
    within("nested waits", || {
        let pool = pool_of(2);
        let latches: Vec<Latch> = (0..DEEPER_THAN_BOUND).map(|_| Latch::new()).collect();
        let latches = &latches[..];
        pool.scope(|s| s.spawn(move |s| chain(s, latches, 0)));
        assert!(latches[..DEEPER_THAN_BOUND - 1].iter().all(Latch::is_set));
    });
}

#[test]
fn increment_while_waiters_wait() {
    within("increment", || {
        let pool = pool_of(2);
        let latch = CountLatch::new(1);
        let ran = AtomicUsize::new(0);
        pool.scope(|s| {
            for _ in 0..8 {
                latch
                    .increment()
                    .expect("not released: we hold the first unit");
                s.spawn(|_| {
                    ran.fetch_add(1, Ordering::Relaxed);
                    latch.count_down();
                });
            }
            latch.count_down();
            latch.wait();
            assert_eq!(ran.load(Ordering::Relaxed), 8);
        });
        assert_eq!(latch.increment(), Err(IncrementError::Released));
    });
}

#[test]
fn set_and_wait_race_many_times() {
    within("races", || {
        let pool = pool_of(2);
        let rounds = if cfg!(miri) { 20 } else { 2000 };
        for _ in 0..rounds {
            let latch = Arc::new(Latch::new());
            let l = Arc::clone(&latch);
            let plain = thread::spawn(move || l.wait());
            pool.scope(|s| {
                s.spawn(|_| latch.wait());
                s.spawn(|_| latch.set());
            });
            plain.join().unwrap();
        }
    });
}

#[test]
fn barrier_phases_on_plain_threads_have_one_leader_each() {
    within("barrier threads", || {
        let phases = if cfg!(miri) { 5 } else { 500 };
        let barrier = Barrier::new(3);
        let arrived: Vec<AtomicUsize> = (0..phases).map(|_| AtomicUsize::new(0)).collect();
        let leaders: Vec<AtomicUsize> = (0..phases).map(|_| AtomicUsize::new(0)).collect();
        thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    for k in 0..phases {
                        arrived[k].fetch_add(1, Ordering::SeqCst);
                        let r = barrier.wait();
                        assert_eq!(r.phase(), k as u64);
                        assert_eq!(
                            arrived[k].load(Ordering::SeqCst),
                            3,
                            "passed phase {k} early"
                        );
                        if r.is_leader() {
                            leaders[k].fetch_add(1, Ordering::SeqCst);
                        }
                    }
                });
            }
        });
        assert!(leaders.iter().all(|l| l.load(Ordering::SeqCst) == 1));
    });
}

/// As many party tasks as workers, spawned in a scope: a party blocks its worker while it
/// waits, so no party runs nested under another and the other workers take the rest.
#[test]
fn barrier_with_one_party_task_per_worker() {
    within("barrier tasks", || {
        let pool = pool_of(4);
        let parties = 4;
        let phases = if cfg!(miri) { 2 } else { 50 };
        let barrier = Barrier::new(parties);
        let arrived: Vec<AtomicUsize> = (0..phases).map(|_| AtomicUsize::new(0)).collect();
        pool.scope(|s| {
            for _ in 0..parties {
                s.spawn(|_| {
                    for phase in &arrived {
                        phase.fetch_add(1, Ordering::SeqCst);
                        barrier.wait();
                        assert_eq!(phase.load(Ordering::SeqCst), parties);
                    }
                });
            }
        });
    });
}

#[test]
fn barrier_in_broadcast_phase_loop() {
    within("barrier broadcast", || {
        let pool = pool_of(4);
        let barrier = Barrier::new(pool.current_num_threads());
        let leaders = AtomicUsize::new(0);
        pool.broadcast(|_| {
            for _ in 0..100 {
                if barrier.wait().is_leader() {
                    leaders.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        assert_eq!(leaders.into_inner(), 100);
    });
}

#[test]
fn barrier_timeout_takes_the_arrival_back() {
    within("barrier timeout", || {
        let barrier = Barrier::new(2);
        assert_eq!(barrier.wait_timeout(Duration::from_millis(5)), None);
        assert_eq!(barrier.wait_timeout(Duration::from_millis(5)), None);
        // Still two arrivals needed, and phase 0 is still open.
        thread::scope(|s| {
            let other = s.spawn(|| barrier.wait());
            let me = barrier.wait();
            let other = other.join().unwrap();
            assert_eq!((me.phase(), other.phase()), (0, 0));
            assert!(me.is_leader() ^ other.is_leader());
        });
        // A pool worker that times out does too.
        let pool = pool_of(1);
        assert_eq!(
            pool.install(|| barrier.wait_timeout(Duration::from_millis(5))),
            None
        );
        assert_eq!(Barrier::new(0).wait().phase(), 0);
    });
}

/// Stress: rounds of 64 waiting tasks on 2 workers, some of which panic after they have
/// released (`WaitGroup` handle dropped while unwinding, `CountLatch` counted down from a
/// drop guard) or while waiting inside a nested task. Every round ends, the scope re-raises
/// one of the panics, every task that did not panic got through its wait, and the
/// primitives are not poisoned: a later wait on each returns at once.
#[test]
fn panics_among_many_waiters_leave_the_primitives_usable() {
    quiet_expected_panics();
    within("panics among waiters", || {
        let pool = pool_of(2);
        let rounds = if cfg!(miri) { 2 } else { 50 };
        for round in 0..rounds {
            let tasks = 64;
            let group = WaitGroup::new();
            let counted = CountLatch::new(tasks);
            let latch = Latch::new();
            let through = AtomicUsize::new(0);
            struct CountDownOnDrop<'a>(&'a CountLatch);
            impl Drop for CountDownOnDrop<'_> {
                fn drop(&mut self) {
                    self.0.count_down();
                }
            }
            let result = panic::catch_unwind(AssertUnwindSafe(|| {
                pool.scope(|s| {
                    for i in 0..tasks {
                        let member = group.clone();
                        let (counted, latch, through) = (&counted, &latch, &through);
                        s.spawn(move |_| {
                            let guard = CountDownOnDrop(counted);
                            if (i + round) % 13 == 5 {
                                drop(member);
                                panic!("{EXPECTED}: task {i} of round {round}");
                            }
                            drop(guard);
                            counted.wait();
                            latch.wait();
                            drop(member);
                            through.fetch_add(1, Ordering::Relaxed);
                        });
                    }
                    s.spawn(|_| latch.set());
                });
            }));
            let payload = result.expect_err("some tasks panicked");
            assert!(payload_str(&*payload).starts_with(EXPECTED));
            let panicked = (0..tasks).filter(|i| (i + round) % 13 == 5).count();
            assert_eq!(through.load(Ordering::Relaxed), tasks - panicked);
            // Not poisoned: each wait returns at once.
            assert!(counted.wait_timeout(Duration::ZERO));
            assert!(latch.wait_timeout(Duration::ZERO));
            assert!(pool.install(|| group.wait_timeout(TIMEOUT)));
        }
    });
}
