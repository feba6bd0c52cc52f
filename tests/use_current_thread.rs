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
            let pool = ThreadPool::builder()
                .num_threads(1)
                .use_current_thread()
                .build()
                .unwrap();
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
            let pool = ThreadPool::builder()
                .num_threads(2)
                .use_current_thread()
                .build()
                .unwrap();
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
fn a_pool_dropped_on_another_thread_finishes_its_work() {
    common::within("a_pool_dropped_on_another_thread_finishes_its_work", || {
        let pool = ThreadPool::builder()
            .num_threads(2)
            .use_current_thread()
            .build()
            .unwrap();
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
            drop(pool);
            tx.send(()).unwrap();
        });
        rx.recv_timeout(Duration::from_secs(30))
            .expect("the drop on another thread returns");
        dropper.join().unwrap();
        assert_eq!(ran.load(Ordering::Relaxed), 100);
        // Still worker 0 of the finished pool: joins run here.
        assert_eq!(brigade::current_thread_index(), Some(0));
        assert_eq!(brigade::join(|| 3, || 4), (3, 4));
        // Building such a pool again gives the thread to the new pool.
        let again = ThreadPool::builder()
            .num_threads(2)
            .use_current_thread()
            .build()
            .unwrap();
        assert_eq!(again.install(|| brigade::join(|| 5, || 6)), (5, 6));
        drop(again);
        assert_eq!(brigade::current_thread_index(), None);
    });
}

#[test]
fn a_thread_that_exits_without_the_drop_leaves_a_working_pool() {
    common::within(
        "a_thread_that_exits_without_the_drop_leaves_a_working_pool",
        || {
            let (tx, rx) = channel();
            thread::spawn(move || {
                let pool = ThreadPool::builder()
                    .num_threads(2)
                    .use_current_thread()
                    .build()
                    .unwrap();
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
            drop(pool);
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
