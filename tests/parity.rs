//! rayon-core's API that brigade offers under the same names: `join_context`, `yield_now`,
//! `yield_local`, `current_thread_has_pending_tasks`, `max_num_threads`, the free
//! `broadcast`, `spawn_broadcast` (free, on a pool, on a scope), `in_place_scope`,
//! `scope_fifo`, `in_place_scope_fifo` and `spawn_fifo` (free and on a pool), the builder's
//! `spawn_handler` and `build_scoped`; and `block_in_place`, tokio's name for what rayon
//! lacks. Several tests are
//! rayon-core's own (`join/test.rs`, `broadcast/test.rs`, `thread_pool/test.rs`), ported.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;

use brigade::{ThreadPool, Yield};

mod common;

fn pool(threads: usize) -> ThreadPool {
    ThreadPool::builder()
        .num_threads(threads)
        .build()
        .expect("a small pool builds")
}

// ---- join_context (rayon-core join/test.rs) ----

#[test]
fn join_context_both() {
    // Outside every pool: both closures run on a worker of the global pool.
    let (a, b) = brigade::join_context(|a| a.migrated(), |b| b.migrated());
    assert!(a);
    assert!(b);
}

#[test]
fn join_context_neither() {
    // One worker: nobody can take `b`.
    let (a, b) = pool(1).install(|| brigade::join_context(|a| a.migrated(), |b| b.migrated()));
    assert!(!a);
    assert!(!b);
}

#[test]
fn join_context_second() {
    // `a` blocks until `b` runs: another worker must have taken `b`.
    let barrier = Barrier::new(2);
    let (a, b) = pool(2).install(|| {
        brigade::join_context(
            |a| {
                barrier.wait();
                a.migrated()
            },
            |b| {
                barrier.wait();
                b.migrated()
            },
        )
    });
    assert!(!a);
    assert!(b);
}

#[test]
fn migrated_says_whether_b_left_the_calling_thread() {
    let pool = pool(2);
    let (rounds, moved) = if cfg!(miri) { (20, 20) } else { (2_000, 200) };
    let mut seen_moved = 0;
    for _ in 0..rounds {
        let (caller, (b_thread, b_migrated)) = pool.install(|| {
            brigade::join_context(
                |_| {
                    // Long enough, now and then, for the other worker to take `b`.
                    let spin = std::time::Instant::now();
                    while spin.elapsed() < std::time::Duration::from_micros(50) {}
                    thread::current().id()
                },
                |b| (thread::current().id(), b.migrated()),
            )
        });
        assert_eq!(b_migrated, b_thread != caller);
        seen_moved += usize::from(b_migrated);
        if seen_moved >= moved {
            break;
        }
    }
    // Not asserted to be above zero: whether `b` moves is the scheduler's choice.
    println!("b migrated in {seen_moved} rounds");
}

// ---- yield_now / yield_local (rayon-core thread_pool/test.rs) ----

#[test]
fn yield_now_to_spawn() {
    let (tx, rx) = channel();
    let pool = pool(1);
    pool.install(move || {
        brigade::spawn(move || tx.send(22).unwrap());
        // The only worker is here: the spawn runs now or never.
        assert_eq!(brigade::yield_now(), Some(Yield::Executed));
        assert_eq!(rx.try_recv(), Ok(22));
        assert_eq!(brigade::yield_now(), Some(Yield::Idle));
    });
}

#[test]
fn yield_local_to_spawn() {
    let (tx, rx) = channel();
    let pool = pool(1);
    pool.install(move || {
        brigade::spawn(move || tx.send(22).unwrap());
        assert_eq!(brigade::yield_local(), Some(Yield::Executed));
        assert_eq!(rx.try_recv(), Ok(22));
        assert_eq!(brigade::yield_local(), Some(Yield::Idle));
    });
}

#[test]
fn yield_outside_every_pool() {
    assert_eq!(brigade::yield_now(), None);
    assert_eq!(brigade::yield_local(), None);
}

#[test]
fn yield_local_runs_a_recorded_join_half() {
    // In `a`, the join's `b` is the worker's own work: yielding runs it, and the join still
    // returns both results, `b`'s once.
    let runs = AtomicUsize::new(0);
    let (y, b) = pool(1)
        .install(|| brigade::join(brigade::yield_local, || runs.fetch_add(1, Ordering::SeqCst)));
    assert_eq!(y, Some(Yield::Executed));
    assert_eq!(b, 0);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[test]
fn yield_local_never_steals() {
    // Worker 1's task is not worker 0's own work: `yield_local` leaves it alone.
    let pool = pool(2);
    let release = AtomicBool::new(false);
    let started = Barrier::new(2);
    pool.scope(|s| {
        s.spawn_broadcast(|s, ctx| {
            if ctx.index() == 1 {
                // Queue a task on worker 1's deque, then let worker 0 look.
                s.spawn(|_| {});
                started.wait();
                while !release.load(Ordering::Acquire) {
                    std::hint::spin_loop();
                }
            } else {
                started.wait();
                assert_eq!(brigade::yield_local(), Some(Yield::Idle));
                release.store(true, Ordering::Release);
            }
        });
    });
}

#[test]
fn polling_loop_with_yield_now_finishes_on_one_worker() {
    let pool = pool(1);
    let done = AtomicBool::new(false);
    pool.scope(|s| {
        s.spawn(|_| done.store(true, Ordering::Release));
        while !done.load(Ordering::Acquire) {
            if brigade::yield_now() == Some(Yield::Idle) {
                thread::yield_now();
            }
        }
    });
}

#[test]
fn yield_inside_isolate_runs_only_isolated_work() {
    let pool = pool(1);
    let outside_ran = AtomicBool::new(false);
    pool.scope(|s| {
        s.spawn(|_| outside_ran.store(true, Ordering::SeqCst));
        brigade::isolate(|| {
            assert_eq!(brigade::yield_now(), Some(Yield::Idle));
            assert_eq!(brigade::yield_local(), Some(Yield::Idle));
        });
        assert!(!outside_ran.load(Ordering::SeqCst));
    });
    assert!(outside_ran.load(Ordering::SeqCst));
}

// ---- current_thread_has_pending_tasks, max_num_threads ----

#[test]
fn pending_tasks_seen_from_the_worker() {
    assert_eq!(brigade::current_thread_has_pending_tasks(), None);
    let pool = pool(1);
    pool.install(|| {
        assert_eq!(brigade::current_thread_has_pending_tasks(), Some(false));
        // The outermost join's `b` waits, recorded, while `a` runs.
        let (inside_a, ()) = brigade::join(brigade::current_thread_has_pending_tasks, || ());
        assert_eq!(inside_a, Some(true));
        assert_eq!(brigade::current_thread_has_pending_tasks(), Some(false));
    });
}

#[test]
fn max_num_threads_is_the_builders_bound() {
    let max = brigade::max_num_threads();
    assert!(max >= 1 << 10);
    let err = ThreadPool::builder()
        .num_threads(max + 1)
        .build()
        .unwrap_err();
    assert!(matches!(err, brigade::BuildError::TooManyThreads { .. }));
}

// ---- broadcast and spawn_broadcast (rayon-core broadcast/test.rs) ----

#[test]
fn broadcast_global() {
    let v = brigade::broadcast(|ctx| ctx.index());
    assert!(v.into_iter().eq(0..brigade::current_num_threads()));
}

#[test]
fn spawn_broadcast_global() {
    let (tx, rx) = channel();
    brigade::spawn_broadcast(move |ctx| tx.send(ctx.index()).unwrap());
    let mut v: Vec<_> = rx.into_iter().collect();
    v.sort_unstable();
    assert!(v.into_iter().eq(0..brigade::current_num_threads()));
}

#[test]
fn broadcast_pool_from_inside() {
    let pool = pool(7);
    let v = pool.install(|| brigade::broadcast(|ctx| ctx.index()));
    assert!(v.into_iter().eq(0..7));
}

#[test]
fn spawn_broadcast_pool() {
    let (tx, rx) = channel();
    let pool = pool(7);
    pool.spawn_broadcast(move |ctx| tx.send(ctx.index()).unwrap());
    let mut v: Vec<_> = rx.into_iter().collect();
    v.sort_unstable();
    assert!(v.into_iter().eq(0..7));
}

#[test]
fn spawn_broadcast_self() {
    let (tx, rx) = channel();
    let pool = pool(7);
    pool.spawn(|| brigade::spawn_broadcast(move |ctx| tx.send(ctx.index()).unwrap()));
    let mut v: Vec<_> = rx.into_iter().collect();
    v.sort_unstable();
    assert!(v.into_iter().eq(0..7));
}

#[test]
fn broadcast_mutual() {
    let count = AtomicUsize::new(0);
    let pool1 = pool(3);
    let pool2 = pool(7);
    pool1.install(|| {
        pool2.broadcast(|_| {
            pool1.broadcast(|_| {
                count.fetch_add(1, Ordering::Relaxed);
            });
        });
    });
    assert_eq!(count.into_inner(), 3 * 7);
}

#[test]
fn spawn_broadcast_mutual() {
    let (tx, rx) = channel();
    let pool1 = Arc::new(pool(3));
    let pool2 = pool(7);
    let p1 = Arc::clone(&pool1);
    pool2.spawn_broadcast(move |_| {
        let tx = tx.clone();
        p1.spawn_broadcast(move |_| tx.send(()).unwrap());
    });
    assert_eq!(rx.into_iter().count(), 3 * 7);
}

#[test]
fn spawn_broadcast_panic_one() {
    common::quiet_expected_panics();
    let (tx, rx) = channel();
    let panics = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&panics);
    let pool = ThreadPool::builder()
        .num_threads(7)
        .panic_handler(move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    pool.spawn_broadcast(move |ctx| {
        tx.send(ctx.index()).unwrap();
        if ctx.index() == 3 {
            panic!("{}: panic on worker 3", common::EXPECTED);
        }
    });
    pool.shutdown(); // waits for the broadcast, panic included
    let mut v: Vec<_> = rx.into_iter().collect();
    v.sort_unstable();
    assert!(v.into_iter().eq(0..7));
    assert_eq!(panics.load(Ordering::SeqCst), 1);
}

#[test]
fn spawn_broadcast_panic_many() {
    common::quiet_expected_panics();
    let panics = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&panics);
    let pool = ThreadPool::builder()
        .num_threads(7)
        .panic_handler(move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    pool.spawn_broadcast(|ctx| {
        if ctx.index() % 2 == 0 {
            panic!("{}: panic on an even worker", common::EXPECTED);
        }
    });
    // The pool keeps working after the panics.
    assert_eq!(pool.broadcast(|ctx| ctx.index()).len(), 7);
    pool.shutdown();
    assert_eq!(panics.load(Ordering::SeqCst), 4);
}

#[test]
fn broadcast_after_spawn_broadcast() {
    let (tx, rx) = channel();
    let pool = pool(7);
    // Queued on every worker before the broadcast: every worker runs its spawned job first.
    pool.spawn_broadcast(move |ctx| tx.send(ctx.index()).unwrap());
    let v = pool.broadcast(|ctx| ctx.index());
    assert!(v.into_iter().eq(0..7));
    let mut seen: Vec<_> = rx.into_iter().collect();
    seen.sort_unstable();
    assert!(seen.into_iter().eq(0..7));
}

#[test]
fn scope_spawn_broadcast() {
    let sum = AtomicUsize::new(0);
    let n = pool(7).scope(|s| {
        s.spawn_broadcast(|_, ctx| {
            sum.fetch_add(ctx.index(), Ordering::Relaxed);
        });
        brigade::current_num_threads()
    });
    assert_eq!(sum.into_inner(), n * (n - 1) / 2);
}

#[test]
fn scope_spawn_broadcast_barrier() {
    // Every worker holds its task at the barrier at once, with one plain thread: all seven
    // tasks run at the same time, one per worker.
    let barrier = Barrier::new(8);
    let pool = pool(7);
    thread::scope(|ts| {
        ts.spawn(|| barrier.wait());
        pool.scope(|s| {
            s.spawn_broadcast(|_, _| {
                barrier.wait();
            });
        });
    });
}

#[test]
fn scope_spawn_broadcast_may_spawn_and_borrow() {
    let pool = pool(4);
    let hits = Mutex::new(vec![0u32; 4]);
    pool.scope(|s| {
        s.spawn_broadcast(|s, ctx| {
            let i = ctx.index();
            let hits = &hits;
            s.spawn(move |_| hits.lock().unwrap()[i] += 1);
        });
    });
    assert_eq!(hits.into_inner().unwrap(), [1, 1, 1, 1]);
}

#[test]
fn scope_spawn_broadcast_panic_one() {
    common::quiet_expected_panics();
    let count = AtomicUsize::new(0);
    let pool = pool(7);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.scope(|s| {
            s.spawn_broadcast(|_, ctx| {
                count.fetch_add(1, Ordering::Relaxed);
                if ctx.index() == 3 {
                    panic!("{}: panic on worker 3", common::EXPECTED);
                }
            });
        });
    }));
    assert_eq!(count.into_inner(), 7);
    let payload = result.expect_err("the scope re-raises the task's panic");
    assert!(common::payload_str(&*payload).starts_with(common::EXPECTED));
    // The pool is still usable.
    assert_eq!(pool.install(|| 6 * 7), 42);
}

// ---- in_place_scope (rayon-core scope/test.rs) ----

#[test]
fn in_place_scope_no_deadlock() {
    // One worker, and a body that blocks until a task has run: with `scope`, the body
    // would hold the only worker.
    let pool = pool(1);
    let (tx, rx) = channel();
    let rx_ref = &rx;
    pool.in_place_scope(move |s| {
        s.spawn(move |_| tx.send(()).unwrap());
        rx_ref.recv().unwrap();
    });
}

#[test]
fn in_place_scope_body_runs_on_the_caller() {
    let pool = pool(2);
    let caller = thread::current().id();
    let ran_on = Mutex::new(Vec::new());
    let body_thread = pool.in_place_scope(|s| {
        for _ in 0..8 {
            s.spawn(|_| ran_on.lock().unwrap().push(brigade::current_thread_index()));
        }
        assert_eq!(brigade::current_thread_index(), None);
        thread::current().id()
    });
    assert_eq!(body_thread, caller);
    let ran_on = ran_on.into_inner().unwrap();
    assert_eq!(ran_on.len(), 8);
    assert!(ran_on.iter().all(|i| matches!(i, Some(0 | 1))));
}

#[test]
fn in_place_scope_body_need_not_be_send() {
    let pool = pool(2);
    let local = std::rc::Rc::new(std::cell::Cell::new(0));
    let sum = AtomicUsize::new(0);
    pool.in_place_scope(|s| {
        for i in 1..=10 {
            let sum = &sum;
            s.spawn(move |_| {
                sum.fetch_add(i, Ordering::Relaxed);
            });
            local.set(local.get() + 1);
        }
    });
    assert_eq!(local.get(), 10);
    assert_eq!(sum.into_inner(), 55);
}

#[test]
fn in_place_scope_free_function_uses_the_current_pool() {
    let pool = pool(3);
    let threads = Mutex::new(Vec::new());
    pool.install(|| {
        let worker = brigade::current_thread_index();
        brigade::in_place_scope(|s| {
            // On a worker, the body stays on it; tasks go to the same pool.
            assert_eq!(brigade::current_thread_index(), worker);
            for _ in 0..6 {
                s.spawn(|_| threads.lock().unwrap().push(brigade::current_num_threads()));
            }
        });
    });
    assert_eq!(threads.into_inner().unwrap(), [3; 6]);
}

#[test]
fn in_place_scope_from_a_worker_of_another_pool() {
    let (p1, p2) = (pool(1), pool(2));
    // p1's only worker opens a scope on p2 and blocks, while p2's workers run the tasks;
    // a task of p2 also sends work back to p1, which p1's worker runs while it waits.
    let total = AtomicUsize::new(0);
    p1.install(|| {
        p2.in_place_scope(|s| {
            for _ in 0..10 {
                s.spawn(|_| {
                    assert_eq!(brigade::current_num_threads(), 2);
                    total.fetch_add(p1.install(brigade::current_num_threads), Ordering::SeqCst);
                });
            }
        });
    });
    assert_eq!(total.into_inner(), 10);
}

#[test]
fn in_place_scope_nested_on_a_plain_thread() {
    let pool = pool(2);
    let count = AtomicUsize::new(0);
    pool.in_place_scope(|outer| {
        outer.spawn(|_| {
            count.fetch_add(1, Ordering::SeqCst);
        });
        pool.in_place_scope(|inner| {
            for _ in 0..5 {
                inner.spawn(|_| {
                    count.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        // The inner scope has ended: its five tasks ran.
        assert!(count.load(Ordering::SeqCst) >= 5);
    });
    assert_eq!(count.into_inner(), 6);
}

#[test]
fn in_place_scope_panics_reach_the_caller_after_all_tasks() {
    common::quiet_expected_panics();
    let pool = pool(2);
    let ran = AtomicUsize::new(0);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.in_place_scope(|s| {
            for i in 0..8 {
                let ran = &ran;
                s.spawn(move |_| {
                    ran.fetch_add(1, Ordering::SeqCst);
                    if i == 5 {
                        panic!("{}: task 5", common::EXPECTED);
                    }
                });
            }
        })
    }));
    assert!(r.is_err());
    assert_eq!(ran.load(Ordering::SeqCst), 8);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.in_place_scope(|s| {
            let ran = &ran;
            s.spawn(move |_| {
                ran.fetch_add(1, Ordering::SeqCst);
            });
            panic!("{}: the body", common::EXPECTED);
        })
    }));
    let payload = r.expect_err("the body's panic is re-raised");
    assert!(common::payload_str(&*payload).contains("the body"));
    assert_eq!(ran.load(Ordering::SeqCst), 9);
    assert_eq!(pool.install(|| 1 + 1), 2);
}

#[test]
fn in_place_scope_outside_every_pool_uses_the_global_pool() {
    let n = brigade::in_place_scope(|s| {
        s.spawn(|_| assert!(brigade::current_thread_index().is_some()));
        brigade::current_num_threads()
    });
    assert!(n >= 1);
}

#[test]
fn in_place_scope_spawn_broadcast_barrier() {
    // rayon-core's `scope_spawn_broadcast_barrier`: every worker meets the body at a barrier.
    let barrier = Barrier::new(8);
    let pool = pool(7);
    pool.in_place_scope(|s| {
        s.spawn_broadcast(|_, _| {
            barrier.wait();
        });
        barrier.wait();
    });
}

// ---- block_in_place ----

#[test]
fn blocked_task_does_not_hold_up_queued_work() {
    // One worker: a task blocks for 200 ms inside `block_in_place` while 10 tasks of 10 ms
    // wait behind it. A stand-in runs them meanwhile, so they end long before the block.
    let pool = pool(1);
    let start = std::time::Instant::now();
    let ends = Mutex::new(Vec::new());
    let blocked_end = pool.scope(|s| {
        for _ in 0..10 {
            s.spawn(|_| {
                thread::sleep(std::time::Duration::from_millis(10));
                ends.lock().unwrap().push(start.elapsed());
            });
        }
        brigade::block_in_place(|| thread::sleep(std::time::Duration::from_millis(200)));
        start.elapsed()
    });
    let ends = ends.into_inner().unwrap();
    assert_eq!(ends.len(), 10);
    let last = *ends.iter().max().unwrap();
    assert!(
        last < blocked_end,
        "queued work ended at {last:?}, after the blocked task ({blocked_end:?})"
    );
    println!("queued work done at {last:?}; blocked task done at {blocked_end:?}");
}

#[test]
fn block_in_place_waits_for_a_task_of_its_own_pool() {
    // Without a stand-in this deadlocks: the only worker waits for a task only it can run.
    let pool = pool(1);
    let (tx, rx) = channel();
    let got = pool.install(move || {
        brigade::spawn(move || tx.send(7).unwrap());
        brigade::block_in_place(|| rx.recv().unwrap())
    });
    assert_eq!(got, 7);
}

#[test]
fn block_in_place_runs_outside_the_pool_and_gives_the_worker_back() {
    let pool = pool(2);
    let (before, inside, after) = pool.install(|| {
        let before = brigade::current_thread_index();
        let inside = brigade::block_in_place(brigade::current_thread_index);
        (before, inside, brigade::current_thread_index())
    });
    assert!(before.is_some());
    assert_eq!(inside, None);
    assert_eq!(after, before);
    // Outside every pool it is a plain call.
    assert_eq!(brigade::block_in_place(|| 5), 5);
}

#[test]
fn block_in_place_inside_a_join_lets_the_stand_in_run_the_other_half() {
    let pool = pool(1);
    let (tx, rx) = channel();
    let (a, b) = pool.install(move || {
        brigade::join(
            // `b` is this worker's recorded half: the stand-in runs it.
            move || brigade::block_in_place(|| rx.recv().unwrap()),
            move || {
                tx.send(3).unwrap();
                4
            },
        )
    });
    assert_eq!((a, b), (3, 4));
}

#[test]
fn block_in_place_panic_reaches_the_caller_with_the_worker_back() {
    common::quiet_expected_panics();
    let pool = pool(1);
    let r = pool.install(|| {
        let r = std::panic::catch_unwind(|| {
            brigade::block_in_place(|| panic!("{}: blocked", common::EXPECTED))
        });
        (r.is_err(), brigade::current_thread_index())
    });
    assert_eq!(r, (true, Some(0)));
    assert_eq!(pool.join(|| 1, || 2), (1, 2));
}

#[test]
fn block_in_place_inside_isolate_lends_only_isolated_work() {
    let pool = pool(1);
    let outside_ran = AtomicBool::new(false);
    pool.scope(|s| {
        s.spawn(|_| outside_ran.store(true, Ordering::SeqCst));
        brigade::isolate(|| {
            let (tx, rx) = channel();
            brigade::scope(move |inner| {
                inner.spawn(move |_| tx.send(()).unwrap());
                // The stand-in is inside the region too: it runs the inner task, not the
                // outer one.
                brigade::block_in_place(|| rx.recv().unwrap());
            });
        });
        assert!(!outside_ran.load(Ordering::SeqCst));
    });
    assert!(outside_ran.load(Ordering::SeqCst));
}

/// A task with a handle that waits in `block_in_place`, joined inside the pool: the stand-in
/// stays in the task's region, so it never runs the `install` job that joins the task (which
/// would then wait for the task, whose worker waits for the stand-in). A user-side test found
/// 53-96 of 100 such joins panicking while the stand-in ran any job, and a hang when the
/// `block_in_place` was in a `join` half of the task.
#[test]
fn block_in_place_inside_a_task_with_a_handle_joined_inside_the_pool() {
    let rounds = if cfg!(miri) { 2 } else { 30 };
    for threads in [1, 2] {
        for in_a_half in [false, true] {
            common::within(
                "block_in_place in a task joined inside install",
                move || {
                    let pool = pool(threads);
                    for _ in 0..rounds {
                        let handle = pool.spawn_with_handle(move || {
                            let wait = || {
                                brigade::block_in_place(|| {
                                    thread::sleep(std::time::Duration::from_millis(2))
                                });
                                1u32
                            };
                            if in_a_half {
                                let (a, b) = brigade::join(|| 1u32, wait);
                                a + b
                            } else {
                                wait() + 1
                            }
                        });
                        thread::sleep(std::time::Duration::from_micros(500));
                        assert_eq!(pool.install(move || handle.join().expect("no panic")), 2);
                    }
                },
            );
        }
    }
}

#[test]
fn many_blocking_tasks_and_queued_work_all_run_once() {
    let pool = pool(2);
    let (blockers, small) = if cfg!(miri) { (3, 10) } else { (8, 200) };
    let hits: Vec<AtomicUsize> = (0..blockers + small).map(|_| AtomicUsize::new(0)).collect();
    pool.scope(|s| {
        for (i, hit) in hits.iter().enumerate() {
            s.spawn(move |_| {
                if i < blockers {
                    brigade::block_in_place(|| thread::sleep(std::time::Duration::from_millis(5)));
                }
                hit.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    assert!(hits.iter().all(|h| h.load(Ordering::SeqCst) == 1));
}

// ---- FIFO order (rayon-core spawn/test.rs and scope/test.rs) ----

/// On one worker, 10 outer tasks each spawn 10 inner ones that send `i * 10 + j`.
macro_rules! spawn_order {
    ($outer:path, $inner:path) => {{
        let pool = pool(1);
        let (tx, rx) = channel();
        pool.install(move || {
            for i in 0..10 {
                let tx = tx.clone();
                $outer(move || {
                    for j in 0..10 {
                        let tx = tx.clone();
                        $inner(move || tx.send(i * 10 + j).unwrap());
                    }
                });
            }
        });
        rx.iter().collect::<Vec<i32>>()
    }};
}

#[test]
fn spawn_lifo_order() {
    // Without thieves, a worker's plain spawns start newest first.
    let v = spawn_order!(brigade::spawn, brigade::spawn);
    assert_eq!(v, (0..100).rev().collect::<Vec<_>>());
}

#[test]
fn spawn_fifo_order() {
    let v = spawn_order!(brigade::spawn_fifo, brigade::spawn_fifo);
    assert_eq!(v, (0..100).collect::<Vec<_>>());
}

#[test]
fn spawn_lifo_fifo_order() {
    let v = spawn_order!(brigade::spawn, brigade::spawn_fifo);
    let expected: Vec<i32> = (0..10)
        .rev()
        .flat_map(|i| (0..10).map(move |j| i * 10 + j))
        .collect();
    assert_eq!(v, expected);
}

#[test]
fn spawn_fifo_lifo_order() {
    let v = spawn_order!(brigade::spawn_fifo, brigade::spawn);
    let expected: Vec<i32> = (0..10)
        .flat_map(|i| (0..10).rev().map(move |j| i * 10 + j))
        .collect();
    assert_eq!(v, expected);
}

/// On one worker, a scope of 10 tasks, each opening a scope of 10 tasks that push
/// `i * 10 + j`.
macro_rules! scope_order {
    ($outer_scope:path => $outer_spawn:ident, $inner_scope:path => $inner_spawn:ident) => {{
        let pool = pool(1);
        pool.install(|| {
            let vec = Mutex::new(vec![]);
            $outer_scope(|scope| {
                let vec = &vec;
                for i in 0..10 {
                    scope.$outer_spawn(move |_| {
                        $inner_scope(|scope| {
                            for j in 0..10 {
                                scope.$inner_spawn(move |_| vec.lock().unwrap().push(i * 10 + j));
                            }
                        });
                    });
                }
            });
            vec.into_inner().unwrap()
        })
    }};
}

#[test]
fn scope_lifo_order() {
    let v = scope_order!(brigade::scope => spawn, brigade::scope => spawn);
    assert_eq!(v, (0..100).rev().collect::<Vec<_>>());
}

#[test]
fn scope_fifo_order() {
    let v = scope_order!(brigade::scope_fifo => spawn_fifo, brigade::scope_fifo => spawn_fifo);
    assert_eq!(v, (0..100).collect::<Vec<_>>());
}

#[test]
fn nested_lifo_fifo_order() {
    let v = scope_order!(brigade::scope => spawn, brigade::scope_fifo => spawn_fifo);
    let expected: Vec<i32> = (0..10)
        .rev()
        .flat_map(|i| (0..10).map(move |j| i * 10 + j))
        .collect();
    assert_eq!(v, expected);
}

#[test]
fn nested_fifo_lifo_order() {
    let v = scope_order!(brigade::scope_fifo => spawn_fifo, brigade::scope => spawn);
    let expected: Vec<i32> = (0..10)
        .flat_map(|i| (0..10).rev().map(move |j| i * 10 + j))
        .collect();
    assert_eq!(v, expected);
}

#[test]
fn in_place_scope_fifo_from_outside_keeps_the_order() {
    // The tasks go through the injector, which a worker may take in batches.
    let pool = pool(1);
    let order = Mutex::new(Vec::new());
    let n = if cfg!(miri) { 20 } else { 500 };
    pool.in_place_scope_fifo(|s| {
        for i in 0..n {
            let order = &order;
            s.spawn_fifo(move |_| order.lock().unwrap().push(i));
        }
    });
    assert_eq!(order.into_inner().unwrap(), (0..n).collect::<Vec<_>>());
}

#[test]
fn pool_spawn_fifo_from_outside_keeps_the_order() {
    let pool = pool(1);
    let (tx, rx) = channel();
    let n = if cfg!(miri) { 20 } else { 500 };
    for i in 0..n {
        let tx = tx.clone();
        pool.spawn_fifo(move || tx.send(i).unwrap());
    }
    drop(tx);
    assert_eq!(rx.iter().collect::<Vec<_>>(), (0..n).collect::<Vec<_>>());
}

#[test]
fn fifo_tasks_of_several_regions_each_run_once() {
    let pool = pool(1);
    let hits: Vec<AtomicUsize> = (0..6).map(|_| AtomicUsize::new(0)).collect();
    pool.scope_fifo(|s| {
        let hits = &hits;
        s.spawn_fifo(move |_| {
            hits[0].fetch_add(1, Ordering::SeqCst);
        });
        brigade::isolate(|| {
            s.spawn_fifo(move |_| {
                hits[1].fetch_add(1, Ordering::SeqCst);
            });
            // A region nested in the first.
            brigade::isolate(|| {
                s.spawn_fifo(move |_| {
                    hits[2].fetch_add(1, Ordering::SeqCst);
                });
            });
            brigade::spawn_fifo(|| ());
        });
        s.spawn_fifo(move |_| {
            hits[3].fetch_add(1, Ordering::SeqCst);
        });
        brigade::isolate(|| {
            // Waits inside this region: only this region's proxy may run here.
            brigade::scope_fifo(|inner| {
                inner.spawn_fifo(move |_| {
                    hits[4].fetch_add(1, Ordering::SeqCst);
                });
            });
            s.spawn_fifo(move |_| {
                hits[5].fetch_add(1, Ordering::SeqCst);
            });
        });
    });
    assert!(hits.iter().all(|h| h.load(Ordering::SeqCst) == 1));
}

#[test]
fn fifo_trees_on_several_workers_run_each_task_once() {
    fn tree<'s>(s: &brigade::ScopeFifo<'s>, depth: u32, hits: &'s [AtomicUsize], at: usize) {
        hits[at].fetch_add(1, Ordering::Relaxed);
        if depth > 0 {
            for k in 1..=2 {
                s.spawn_fifo(move |s| tree(s, depth - 1, hits, 2 * at + k));
            }
        }
    }
    let depth = if cfg!(miri) { 5 } else { 12 };
    let nodes = (1usize << (depth + 1)) - 1;
    for threads in [2, 3, 4] {
        let pool = pool(threads);
        let hits: Vec<AtomicUsize> = (0..nodes).map(|_| AtomicUsize::new(0)).collect();
        pool.scope_fifo(|s| tree(s, depth, &hits, 0));
        assert!(
            hits.iter().all(|h| h.load(Ordering::Relaxed) == 1),
            "{threads} threads"
        );
        // And from outside the pool, the body on this thread.
        let hits: Vec<AtomicUsize> = (0..nodes).map(|_| AtomicUsize::new(0)).collect();
        pool.in_place_scope_fifo(|s| tree(s, depth, &hits, 0));
        assert!(
            hits.iter().all(|h| h.load(Ordering::Relaxed) == 1),
            "{threads} threads"
        );
    }
}

#[test]
fn detached_spawn_fifo_from_many_threads_runs_each_once() {
    let pool = Arc::new(pool(3));
    let hits: Arc<Vec<AtomicUsize>> = Arc::new((0..400).map(|_| AtomicUsize::new(0)).collect());
    let done = Arc::new(brigade::sync::CountLatch::new(400));
    thread::scope(|ts| {
        for t in 0..4 {
            let (pool, hits, done) = (Arc::clone(&pool), Arc::clone(&hits), Arc::clone(&done));
            ts.spawn(move || {
                for k in 0..50 {
                    let (hits, done) = (Arc::clone(&hits), Arc::clone(&done));
                    let at = t * 100 + k * 2;
                    // One from this plain thread, one from a worker.
                    let (h2, d2) = (Arc::clone(&hits), Arc::clone(&done));
                    pool.spawn_fifo(move || {
                        hits[at].fetch_add(1, Ordering::SeqCst);
                        done.count_down();
                        brigade::spawn_fifo(move || {
                            h2[at + 1].fetch_add(1, Ordering::SeqCst);
                            d2.count_down();
                        });
                    });
                }
            });
        }
    });
    done.wait();
    assert!(hits.iter().all(|h| h.load(Ordering::SeqCst) == 1));
}

#[test]
fn yield_local_runs_a_broadcast_sent_to_this_worker() {
    // Found by a helper trying to break `yield_local`: it hung on one worker, as the
    // broadcast job waits in the worker's inbox, not on its deque (rayon's takes it too).
    let pool = pool(1);
    let done = Arc::new(AtomicBool::new(false));
    let d = Arc::clone(&done);
    pool.install(move || {
        brigade::spawn_broadcast(move |_| d.store(true, Ordering::Release));
        assert_eq!(brigade::yield_local(), Some(Yield::Executed));
        assert!(done.load(Ordering::Acquire));
    });
}

// ---- spawn_handler and build_scoped (rayon-core tests/scoped_threadpool.rs) ----

thread_local!(static LOCAL: std::cell::Cell<i32> = const { std::cell::Cell::new(0) });

#[test]
fn missing_thread_local_setup() {
    LOCAL.with(|l| l.set(42));
    // The pool's own threads do not see this thread's value.
    assert_eq!(pool(2).install(|| LOCAL.with(std::cell::Cell::get)), 0);
    LOCAL.with(|l| l.set(0));
}

#[test]
fn spawn_scoped_tls_threadpool() {
    let x = 42;
    thread::scope(|scope| {
        let pool = ThreadPool::builder()
            .num_threads(2)
            // A handler that borrows the scope: it only runs during `build`.
            .spawn_handler(move |thread| {
                scope.spawn(move || {
                    LOCAL.with(|l| l.set(x));
                    thread.run();
                });
                Ok(())
            })
            .build()
            .expect("thread pool created");
        assert_eq!(pool.install(|| LOCAL.with(std::cell::Cell::get)), 42);
        assert_eq!(
            pool.broadcast(|_| LOCAL.with(std::cell::Cell::get)),
            [42, 42]
        );
        // The scope waits for the threads, which end once the pool is dropped.
        drop(pool);
    });
}

#[test]
fn build_scoped_tls_threadpool() {
    let x = 42;
    let seen = ThreadPool::builder()
        .num_threads(3)
        .build_scoped(
            |thread| {
                LOCAL.with(|l| l.set(x));
                thread.run();
            },
            |pool| pool.broadcast(|_| LOCAL.with(std::cell::Cell::get)),
        )
        .expect("thread pool created");
    assert_eq!(seen, [42, 42, 42]);
}

#[test]
fn build_scoped_runs_detached_work_before_returning() {
    let ran = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&ran);
    ThreadPool::builder()
        .num_threads(2)
        .build_scoped(brigade::ThreadBuilder::run, move |pool| {
            for _ in 0..100 {
                let r = Arc::clone(&r);
                pool.spawn(move || {
                    r.fetch_add(1, Ordering::SeqCst);
                });
            }
        })
        .unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 100);
}

#[test]
fn build_scoped_reraises_the_panic_of_with_pool() {
    common::quiet_expected_panics();
    let r = std::panic::catch_unwind(|| {
        ThreadPool::builder()
            .num_threads(2)
            .build_scoped(brigade::ThreadBuilder::run, |pool| {
                pool.install(|| panic!("{}: in with_pool", common::EXPECTED))
            })
    });
    let payload = r.expect_err("the panic comes back");
    assert!(common::payload_str(&*payload).contains("in with_pool"));
}

#[test]
fn spawn_handler_error_stops_the_started_workers() {
    let started = Arc::new(AtomicUsize::new(0));
    let exited = Arc::new(AtomicUsize::new(0));
    let (s, e) = (Arc::clone(&started), Arc::clone(&exited));
    let err = ThreadPool::builder()
        .num_threads(4)
        .start_handler(move |_| {
            s.fetch_add(1, Ordering::SeqCst);
        })
        .exit_handler(move |_| {
            e.fetch_add(1, Ordering::SeqCst);
        })
        .spawn_handler(|thread| {
            if thread.index() == 2 {
                return Err(std::io::Error::other("no third thread today"));
            }
            thread::spawn(move || thread.run());
            Ok(())
        })
        .build()
        .unwrap_err();
    match &err {
        brigade::BuildError::Spawn { index, .. } => assert_eq!(*index, 2),
        other => panic!("unexpected error {other:?}"),
    }
    assert!(err.to_string().contains("no third thread today"), "{err}");
    // `build` returned after the two started workers stopped.
    assert_eq!(
        exited.load(Ordering::SeqCst),
        started.load(Ordering::SeqCst)
    );
    assert_eq!(exited.load(Ordering::SeqCst), 2);
}

#[test]
fn spawn_handler_panic_reaches_build_after_the_started_workers_stop() {
    common::quiet_expected_panics();
    let exited = Arc::new(AtomicUsize::new(0));
    let e = Arc::clone(&exited);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ThreadPool::builder()
            .num_threads(3)
            .exit_handler(move |_| {
                e.fetch_add(1, Ordering::SeqCst);
            })
            .spawn_handler(|thread| {
                if thread.index() == 1 {
                    panic!("{}: in the spawn handler", common::EXPECTED);
                }
                thread::spawn(move || thread.run());
                Ok(())
            })
            .build()
    }));
    assert!(r.is_err());
    assert_eq!(exited.load(Ordering::SeqCst), 1);
}

#[test]
fn shutting_a_pool_down_waits_for_custom_threads_to_leave_run() {
    let left = Arc::new(AtomicUsize::new(0));
    let l = Arc::clone(&left);
    let pool = ThreadPool::builder()
        .num_threads(3)
        .spawn_handler(move |thread| {
            let l = Arc::clone(&l);
            thread::spawn(move || {
                thread.run();
                l.fetch_add(1, Ordering::SeqCst);
            });
            Ok(())
        })
        .build()
        .unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..50 {
        let ran = Arc::clone(&ran);
        pool.spawn(move || {
            ran.fetch_add(1, Ordering::SeqCst);
        });
    }
    pool.shutdown();
    assert_eq!(ran.load(Ordering::SeqCst), 50);
    // Every `run` has returned; the increments after it follow at once.
    while left.load(Ordering::SeqCst) < 3 {
        thread::yield_now();
    }
}

#[test]
fn dropping_the_last_handle_inside_block_in_place_on_its_own_worker() {
    // Found by a helper: inside `f` the thread is outside the pool, so the drop joined the
    // threads, and waited for the worker it had lent, whose stand-in waits for `f`.
    let pool = Arc::new(Mutex::new(Some(pool(2))));
    let p2 = Arc::clone(&pool);
    let (tx, rx) = channel();
    pool.lock().unwrap().as_ref().unwrap().spawn(move || {
        brigade::block_in_place(|| drop(p2.lock().unwrap().take()));
        tx.send(()).unwrap();
    });
    rx.recv_timeout(std::time::Duration::from_secs(20))
        .expect("the task finished");
}

#[test]
fn a_spawn_handler_that_drops_a_thread_is_a_build_error() {
    // Found by a helper: the worker never ran, and a `spawn_broadcast` share sent to it
    // kept the pool alive forever.
    let err = ThreadPool::builder()
        .num_threads(2)
        .spawn_handler(|thread| {
            if thread.index() == 1 {
                drop(thread);
            } else {
                thread::spawn(move || thread.run());
            }
            Ok(())
        })
        .build()
        .unwrap_err();
    match &err {
        brigade::BuildError::Spawn { index, .. } => assert_eq!(*index, 1),
        other => panic!("unexpected error {other:?}"),
    }
    assert!(err.to_string().contains("without running it"), "{err}");
}

#[test]
fn block_in_place_inside_isolate_with_a_lock_held() {
    // The documented way to hold a lock across `block_in_place` that queued tasks take: the
    // stand-in then runs none of them (without `isolate` it may, and they wait on the lock).
    for threads in [1, 2, 4] {
        let pool = pool(threads);
        let m = Mutex::new(0);
        pool.scope(|s| {
            for _ in 0..8 {
                s.spawn(|_| *m.lock().unwrap() += 1);
            }
            let mut held = m.lock().unwrap();
            brigade::isolate(|| {
                brigade::block_in_place(|| thread::sleep(std::time::Duration::from_millis(20)))
            });
            *held += 100;
        });
        assert_eq!(m.into_inner().unwrap(), 108, "{threads} threads");
    }
}

#[test]
fn pool_scoped_yield_and_pending_tasks_answer_only_on_the_pools_workers() {
    let (p1, p2) = (pool(1), pool(1));
    assert_eq!(p1.yield_now(), None);
    assert_eq!(p1.yield_local(), None);
    assert_eq!(p1.current_thread_has_pending_tasks(), None);
    // On a worker of another pool: still `None` for `p1`.
    p2.install(|| {
        assert_eq!(p1.yield_now(), None);
        assert_eq!(p1.current_thread_has_pending_tasks(), None);
        assert_eq!(p2.current_thread_has_pending_tasks(), Some(false));
    });
    let (tx, rx) = channel();
    let rx = Mutex::new(rx);
    p1.install(|| {
        p1.spawn(move || tx.send(5).unwrap());
        assert_eq!(p1.current_thread_has_pending_tasks(), Some(true));
        assert_eq!(p1.yield_local(), Some(Yield::Executed));
        assert_eq!(rx.lock().unwrap().try_recv(), Ok(5));
        assert_eq!(p1.yield_now(), Some(Yield::Idle));
    });
}
