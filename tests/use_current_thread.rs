//! `ThreadPoolBuilder::use_current_thread`: the building thread becomes worker 0. The first
//! test is rayon-core's own (`tests/use_current_thread.rs`), ported; the others check what
//! brigade adds: the drop on that thread runs the pool's work and gives the thread back, a
//! pool dropped elsewhere still finishes its work, and the thread's joins are shared.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use brigade::{BuildError, ThreadPool, ThreadPoolBuilder};

mod common;

/// A pool of `threads` whose worker 0 is the calling thread.
fn adopted(threads: usize) -> ThreadPool {
    ThreadPool::builder()
        .num_threads(threads)
        .use_current_thread()
        .build()
        .unwrap()
}

#[test]
fn use_current_thread_basic() {
    common::within("use_current_thread_basic", || {
        static JOIN_HANDLES: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());
        let pool = ThreadPoolBuilder::new()
            .num_threads(2)
            .use_current_thread()
            .spawn_handler(|builder| {
                let handle = thread::Builder::new().spawn(|| builder.run())?;
                JOIN_HANDLES.lock().unwrap().push(handle);
                Ok(())
            })
            .build()
            .unwrap();
        assert_eq!(brigade::current_thread_index(), Some(0));
        assert_eq!(
            JOIN_HANDLES.lock().unwrap().len(),
            1,
            "Should only spawn one extra thread"
        );

        let another_pool = ThreadPoolBuilder::new()
            .num_threads(2)
            .use_current_thread()
            .build();
        assert!(
            matches!(another_pool, Err(BuildError::CurrentThreadInPool)),
            "Should error if the thread is already part of a pool"
        );

        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let pair2 = Arc::clone(&pair);
        pool.spawn(move || {
            assert_ne!(brigade::current_thread_index(), Some(0));
            // This should execute even if the current thread is blocked, since we have two
            // threads in the pool.
            let (started, condvar) = &*pair2;
            *started.lock().unwrap() = true;
            condvar.notify_one();
        });

        let _guard = pair
            .1
            .wait_while(pair.0.lock().unwrap(), |ran| !*ran)
            .unwrap();
        std::mem::drop(pool); // Drop the pool.

        for handle in std::mem::take(&mut *JOIN_HANDLES.lock().unwrap()) {
            handle.join().unwrap();
        }
    });
}

#[test]
fn pool_of_one_runs_its_spawns_when_dropped_on_its_thread() {
    common::within(
        "pool_of_one_runs_its_spawns_when_dropped_on_its_thread",
        || {
            let pool = adopted(1);
            let me = thread::current().id();
            let ran = Arc::new(AtomicUsize::new(0));
            for _ in 0..100 {
                let ran = Arc::clone(&ran);
                pool.spawn(move || {
                    assert_eq!(thread::current().id(), me);
                    ran.fetch_add(1, Ordering::Relaxed);
                });
            }
            // Nothing else can run them: this thread is the pool's only worker.
            assert_eq!(ran.load(Ordering::Relaxed), 0);
            drop(pool);
            assert_eq!(ran.load(Ordering::Relaxed), 100);
            // The thread is given back.
            assert_eq!(brigade::current_thread_index(), None);
        },
    );
}

#[test]
fn the_thread_can_build_such_a_pool_again_after_the_drop() {
    common::within(
        "the_thread_can_build_such_a_pool_again_after_the_drop",
        || {
            for round in 0..3 {
                let pool = ThreadPool::builder()
                    .num_threads(2)
                    .use_current_thread()
                    .build()
                    .unwrap_or_else(|e| panic!("round {round}: {e}"));
                assert_eq!(pool.current_thread_index(), Some(0));
                assert_eq!(pool.install(|| brigade::join(|| 1, || 2)), (1, 2));
                drop(pool);
                assert_eq!(brigade::current_thread_index(), None);
            }
        },
    );
}

#[test]
fn joins_on_the_building_thread_reach_the_other_worker() {
    common::within(
        "joins_on_the_building_thread_reach_the_other_worker",
        || {
            // Both halves block until the other has started: only a second thread can free them.
            let pool = adopted(2);
            for _ in 0..if cfg!(miri) { 3 } else { 20 } {
                let barrier = Barrier::new(2);
                let (a, b) = brigade::join(
                    || {
                        barrier.wait();
                        brigade::current_thread_index()
                    },
                    || {
                        barrier.wait();
                        brigade::current_thread_index()
                    },
                );
                assert_eq!(a, Some(0));
                assert_eq!(b, Some(1));
                // Idle between rounds, so the heartbeat may park and must be woken again.
                thread::sleep(Duration::from_millis(5));
            }
            let n = if cfg!(miri) { 8 } else { 20 };
            assert_eq!(pool.install(|| fib(n)), fib_serial(n));
        },
    );
}

#[test]
fn a_pool_shut_down_on_another_thread_finishes_its_work() {
    common::within(
        "a_pool_shut_down_on_another_thread_finishes_its_work",
        || {
            let pool = adopted(2);
            let ran = Arc::new(AtomicUsize::new(0));
            for _ in 0..100 {
                let ran = Arc::clone(&ran);
                // Queued on this thread's deque: the other worker takes them.
                pool.spawn(move || {
                    ran.fetch_add(1, Ordering::Relaxed);
                });
            }
            let (tx, rx) = channel();
            let dropper = thread::spawn(move || {
                pool.shutdown();
                tx.send(()).unwrap();
            });
            rx.recv_timeout(Duration::from_secs(30))
                .expect("the shutdown on another thread returns");
            dropper.join().unwrap();
            assert_eq!(ran.load(Ordering::Relaxed), 100);
            // Still worker 0 of the finished pool: a join runs here, as on a pool of one...
            assert_eq!(brigade::join(|| 3, || 4), (3, 4));
            // ...until a call that picks a pool gives the thread back.
            assert_eq!(brigade::current_thread_index(), None);
            // Building such a pool again gives the thread to the new pool.
            let again = adopted(2);
            assert_eq!(again.install(|| brigade::join(|| 5, || 6)), (5, 6));
            drop(again);
            assert_eq!(brigade::current_thread_index(), None);
        },
    );
}

#[test]
fn a_thread_that_exits_without_the_drop_leaves_a_working_pool() {
    common::within(
        "a_thread_that_exits_without_the_drop_leaves_a_working_pool",
        || {
            let (tx, rx) = channel();
            thread::spawn(move || {
                let pool = adopted(2);
                tx.send(pool).unwrap();
                // The thread ends while still worker 0.
            })
            .join()
            .unwrap();
            let pool = rx.recv().unwrap();
            let ran = Arc::new(AtomicUsize::new(0));
            for _ in 0..50 {
                let ran = Arc::clone(&ran);
                pool.spawn(move || {
                    ran.fetch_add(1, Ordering::Relaxed);
                });
            }
            assert_eq!(pool.install(|| 7), 7);
            pool.shutdown();
            assert_eq!(ran.load(Ordering::Relaxed), 50);
        },
    );
}

#[test]
fn handlers_and_pinning_skip_the_building_thread() {
    common::within("handlers_and_pinning_skip_the_building_thread", || {
        let started = Arc::new(Mutex::new(Vec::new()));
        let s = Arc::clone(&started);
        let pool = ThreadPool::builder()
            .num_threads(3)
            .use_current_thread()
            .thread_name(|i| format!("adopted-test-{i}"))
            .start_handler(move |i| s.lock().unwrap().push(i))
            .build()
            .unwrap();
        assert_eq!(pool.worker_core(0), None);
        // Each of the pool's own threads ran the start handler before taking work.
        pool.broadcast(|_| ());
        let mut started = started.lock().unwrap().clone();
        started.sort_unstable();
        assert_eq!(started, vec![1, 2]);
        // The broadcast reached this thread too, since it waited inside the pool.
        let seen = pool.broadcast(|ctx| ctx.index());
        assert_eq!(seen, vec![0, 1, 2]);
    });
}

#[test]
fn build_scoped_with_the_current_thread() {
    common::within("build_scoped_with_the_current_thread", || {
        let r = ThreadPoolBuilder::new()
            .num_threads(2)
            .use_current_thread()
            .build_scoped(
                |thread| thread.run(),
                |pool| {
                    assert_eq!(pool.current_thread_index(), Some(0));
                    pool.install(|| brigade::join(|| 1, || 2))
                },
            )
            .unwrap();
        assert_eq!(r, (1, 2));
        assert_eq!(brigade::current_thread_index(), None);
    });
}

fn fib(n: u32) -> u64 {
    if n < 2 {
        return n as u64;
    }
    let (a, b) = brigade::join(|| fib(n - 1), || fib(n - 2));
    a + b
}

fn fib_serial(n: u32) -> u64 {
    if n < 2 {
        n as u64
    } else {
        fib_serial(n - 1) + fib_serial(n - 2)
    }
}

// ---- Found by a helper that tried to break `use_current_thread` ----

/// A pool of one dropped on another thread used to return at once with its spawns never
/// run, and lost them when the building thread exited. Now the thread's exit hands worker 0
/// to a thread of the pool's own, which runs them, and `shutdown` waits for them.
#[test]
fn pool_of_one_dropped_elsewhere_runs_its_spawns_once_the_thread_exits() {
    common::within(
        "pool_of_one_dropped_elsewhere_runs_its_spawns_once_the_thread_exits",
        || {
            let ran = Arc::new(AtomicUsize::new(0));
            let r = Arc::clone(&ran);
            let (tx, rx) = channel();
            thread::spawn(move || {
                let pool = adopted(1);
                for _ in 0..10 {
                    let r = Arc::clone(&r);
                    pool.spawn(move || {
                        r.fetch_add(1, Ordering::SeqCst);
                    });
                }
                tx.send(pool).unwrap();
                // Exits still worker 0, with the ten spawns queued on it.
            })
            .join()
            .unwrap();
            let pool = rx.recv().unwrap();
            pool.shutdown();
            assert_eq!(ran.load(Ordering::SeqCst), 10);
            assert_eq!(Arc::strong_count(&ran), 1, "every task's captures dropped");
        },
    );
}

/// After its pool was dropped on another thread, the building thread's `broadcast` waited
/// for workers that had gone.
#[test]
fn broadcast_after_the_pool_ended_elsewhere_uses_the_global_pool() {
    common::within(
        "broadcast_after_the_pool_ended_elsewhere_uses_the_global_pool",
        || {
            let pool = adopted(2);
            thread::spawn(move || drop(pool)).join().unwrap();
            assert_eq!(brigade::join(|| 1, || 2), (1, 2));
            let shares = brigade::broadcast(|ctx| ctx.index());
            assert_eq!(shares.len(), brigade::current_num_threads());
            assert_eq!(brigade::current_thread_index(), None);
        },
    );
}

/// `spawn_broadcast` from the building thread, then the pool shut down on another thread:
/// the shutdown waits for worker 0's share, which this thread runs when it next waits in a
/// pool.
#[test]
fn a_shutdown_elsewhere_waits_for_the_building_threads_broadcast_share() {
    common::within(
        "a_shutdown_elsewhere_waits_for_the_building_threads_broadcast_share",
        || {
            let pool = adopted(2);
            let ran = Arc::new(AtomicUsize::new(0));
            let r = Arc::clone(&ran);
            pool.spawn_broadcast(move |_| {
                r.fetch_add(1, Ordering::SeqCst);
            });
            let dropper = thread::spawn(move || pool.shutdown());
            // This thread's share waits for it: yield to the pool until the shutdown is done.
            while !dropper.is_finished() {
                brigade::yield_now();
                thread::sleep(Duration::from_millis(1));
            }
            dropper.join().unwrap();
            assert_eq!(ran.load(Ordering::SeqCst), 2);
        },
    );
}

/// The building thread exited while the pool lived on elsewhere: a broadcast then waited
/// forever for worker 0, and a pool of one ran nothing at all.
#[test]
fn a_pool_whose_building_thread_exited_still_has_a_worker_0() {
    common::within(
        "a_pool_whose_building_thread_exited_still_has_a_worker_0",
        || {
            for threads in [1, 2] {
                let (tx, rx) = channel();
                thread::spawn(move || {
                    let pool = adopted(threads);
                    tx.send(pool).unwrap();
                })
                .join()
                .unwrap();
                let pool = rx.recv().unwrap();
                assert_eq!(pool.install(|| 7), 7);
                let seen = pool.broadcast(|ctx| ctx.index());
                assert_eq!(seen, (0..threads).collect::<Vec<_>>());
                let ran = Arc::new(AtomicUsize::new(0));
                for _ in 0..20 {
                    let ran = Arc::clone(&ran);
                    pool.spawn(move || {
                        ran.fetch_add(1, Ordering::SeqCst);
                    });
                }
                pool.spawn_broadcast(|_| ());
                pool.shutdown();
                assert_eq!(ran.load(Ordering::SeqCst), 20);
            }
        },
    );
}

/// Found by a second helper: after a pool of one ended on another thread, a `join` on the
/// building thread marked it inside the pool for good, so it never gave worker 0 up and its
/// spawns went to the ended pool, never to run.
#[test]
fn a_join_after_a_pool_of_one_ended_elsewhere_does_not_keep_the_thread() {
    common::within(
        "a_join_after_a_pool_of_one_ended_elsewhere_does_not_keep_the_thread",
        || {
            let pool = adopted(1);
            thread::spawn(move || drop(pool)).join().unwrap();
            assert_eq!(brigade::join(|| 1, || 2), (1, 2));
            assert_eq!(brigade::current_thread_index(), None);
            let (tx, rx) = channel();
            brigade::spawn(move || tx.send(()).unwrap());
            rx.recv_timeout(Duration::from_secs(30))
                .expect("the spawn runs on the global pool");
        },
    );
}

/// The thread that takes worker 0 over runs the start and exit handlers, as the pool's own
/// threads do.
#[test]
fn the_thread_that_takes_worker_0_over_runs_the_handlers() {
    common::within(
        "the_thread_that_takes_worker_0_over_runs_the_handlers",
        || {
            let started = Arc::new(Mutex::new(Vec::new()));
            let exited = Arc::new(Mutex::new(Vec::new()));
            let (s, e) = (Arc::clone(&started), Arc::clone(&exited));
            let (tx, rx) = channel();
            thread::spawn(move || {
                let pool = ThreadPool::builder()
                    .num_threads(2)
                    .use_current_thread()
                    .start_handler(move |i| s.lock().unwrap().push(i))
                    .exit_handler(move |i| e.lock().unwrap().push(i))
                    .build()
                    .unwrap();
                tx.send(pool).unwrap();
            })
            .join()
            .unwrap();
            let pool = rx.recv().unwrap();
            assert_eq!(pool.broadcast(|ctx| ctx.index()), vec![0, 1]);
            pool.shutdown();
            let mut started = started.lock().unwrap().clone();
            let mut exited = exited.lock().unwrap().clone();
            started.sort_unstable();
            exited.sort_unstable();
            assert_eq!(started, vec![0, 1]);
            assert_eq!(exited, vec![0, 1]);
        },
    );
}
