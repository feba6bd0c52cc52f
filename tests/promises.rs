//! Regression tests for the promises brigade broke in short programs: a `join` half stranded
//! behind a first half that never joins again, a second half run from a drop guard during
//! unwinding, a countdown that underflowed, spawns that ran on the caller past the deque's
//! capacity, isolated waiters nobody woke, pools dropped on other pools' workers, spawns
//! from exit handlers, and waits beyond the stack bound. Each test hung, panicked or lost
//! work on the code before its fix.

mod common;

use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use common::{EXPECTED, pool_of, quiet_expected_panics, within};

/// How many fresh pools the timing-dependent tests try: a stranded half showed on most
/// fresh pools, not all.
const FRESH_POOLS: usize = if cfg!(miri) { 2 } else { 20 };

/// Both halves of a `join` wait at a `std` barrier: they must run at the same time, so the
/// second half must reach the idle worker although the first never joins again (rayon
/// returns at once; brigade kept the second half private and hung).
#[test]
fn join_halves_meeting_at_a_std_barrier_from_install() {
    within("join halves at a std barrier (install)", || {
        for _ in 0..FRESH_POOLS {
            let pool = pool_of(2);
            let barrier = Barrier::new(2);
            pool.install(|| brigade::join(|| barrier.wait(), || barrier.wait()));
        }
    });
}

/// The same through `ThreadPool::join` from outside the pool (the README's second example
/// has this shape).
#[test]
fn join_halves_meeting_at_a_std_barrier_from_outside() {
    within("join halves at a std barrier (pool.join)", || {
        for _ in 0..FRESH_POOLS {
            let pool = pool_of(2);
            let barrier = Barrier::new(2);
            pool.join(|| barrier.wait(), || barrier.wait());
        }
    });
}

/// Three parties on three workers: the outer and the inner second halves must both reach
/// idle workers while the innermost first half blocks.
#[test]
fn nested_join_halves_meeting_at_a_std_barrier() {
    within("nested join halves at a std barrier", || {
        for _ in 0..FRESH_POOLS {
            let pool = pool_of(3);
            let barrier = Barrier::new(3);
            pool.install(|| {
                brigade::join(
                    || brigade::join(|| barrier.wait(), || barrier.wait()),
                    || barrier.wait(),
                )
            });
        }
    });
}

/// When `a` panics, `b` runs as ordinary code, not inside a drop guard during unwinding:
/// `std::thread::panicking()` is false in it, at every depth (recorded and unrecorded joins).
#[test]
fn second_half_does_not_run_during_unwinding() {
    quiet_expected_panics();
    let pool = pool_of(2);
    for depth in [0usize, 1, 2, 5, 40, 100] {
        let unwinding_seen = AtomicBool::new(false);
        let b_runs = AtomicUsize::new(0);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.install(|| nest(depth, &unwinding_seen, &b_runs))
        }));
        let payload = result.expect_err("the first half's panic reaches the caller");
        assert_eq!(
            common::payload_str(&*payload),
            format!("{EXPECTED} in a first half")
        );
        assert_eq!(
            b_runs.load(Ordering::SeqCst),
            1,
            "depth {depth}: b ran once"
        );
        assert!(
            !unwinding_seen.load(Ordering::SeqCst),
            "depth {depth}: b ran while the thread was panicking"
        );
    }

    fn nest(depth: usize, unwinding_seen: &AtomicBool, b_runs: &AtomicUsize) {
        if depth == 0 {
            brigade::join(
                || panic!("{EXPECTED} in a first half"),
                || {
                    b_runs.fetch_add(1, Ordering::SeqCst);
                    unwinding_seen.fetch_or(std::thread::panicking(), Ordering::SeqCst);
                },
            );
        } else {
            brigade::join(|| nest(depth - 1, unwinding_seen, b_runs), || ());
        }
    }
}

#[test]
fn deep_join_past_the_pending_stack_keeps_recording() {
    // 20,000 nested joins on one worker fill the pending stack (256 entries); the countdown
    // of the join that found it full underflowed ("attempt to subtract with overflow" in a
    // debug build; in release, recording silently stopped).
    const DEPTH: usize = if cfg!(miri) { 300 } else { 20_000 };
    let pool = brigade::ThreadPool::builder()
        .num_threads(1)
        .stack_size(1 << 30)
        .build()
        .unwrap();
    fn deep(n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        let (a, b) = brigade::join(|| deep(n - 1), || 1);
        a + b
    }
    assert_eq!(pool.install(|| deep(DEPTH)), DEPTH);
    // And the pool still records joins afterwards: a second run gives the same.
    assert_eq!(pool.install(|| deep(DEPTH)), DEPTH);
}

/// Two pools of one thread: a worker of A isolated, waiting for B, which calls back into A.
/// The job sent back into A belongs to the isolated region, and A's only worker waits inside
/// it, parked outside the sleep counts: nothing woke it, and the first call deadlocked.
#[test]
fn isolated_waiter_is_woken_for_a_job_of_its_region_from_another_pool() {
    within("a -> isolate -> b -> a", || {
        let a = pool_of(1);
        let b = pool_of(1);
        for round in 0..FRESH_POOLS {
            let n = a.install(|| {
                brigade::isolate(|| {
                    b.install(|| {
                        if round % 2 == 1 {
                            // Let A's worker park in its wait first.
                            std::thread::sleep(std::time::Duration::from_millis(20));
                        }
                        a.install(|| 1)
                    })
                })
            });
            assert_eq!(n, 1);
        }
    });
}

/// An `OnceCell` initializer on a plain thread calls `pool.install` while the pool's only
/// worker waits for that same cell: the injected job belongs to the initializer's region, and
/// the waiting worker must be woken to run it.
#[test]
fn once_cell_initializer_on_a_plain_thread_installs_into_the_waiting_pool() {
    use brigade::sync::OnceCell;
    use std::sync::Arc;
    within(
        "OnceCell initializer installs into its waiter's pool",
        || {
            let pool = Arc::new(pool_of(1));
            let cell = Arc::new(OnceCell::new());
            let started = Arc::new(Barrier::new(2));
            let initializer = {
                let (pool, cell, started) = (pool.clone(), cell.clone(), started.clone());
                std::thread::spawn(move || {
                    *cell.get_or_init(|| {
                        started.wait();
                        // Let the worker reach its wait (and park) first.
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        pool.install(|| 7u32)
                    })
                })
            };
            started.wait();
            let seen = pool.install(|| *cell.get_or_init(|| 0));
            assert_eq!(seen, 7);
            assert_eq!(initializer.join().unwrap(), 7);
        },
    );
}

/// Two workers: W isolates and opens a scope, X steals task T1, T1 spawns T2 and blocks until
/// T2 runs. W waits inside the region, parked; T2 is of W's region, so its push must wake W.
#[test]
fn isolated_waiter_is_woken_for_a_task_its_region_spawns_elsewhere() {
    use std::time::Duration;
    within("isolated scope, stolen task spawns and blocks", || {
        for _ in 0..(FRESH_POOLS / 4).max(1) {
            let pool = pool_of(2);
            let ran = AtomicBool::new(false);
            pool.install(|| {
                brigade::isolate(|| {
                    brigade::scope(|s| {
                        s.spawn(|s| {
                            // T1, on X: give W time to park, then spawn T2 and block on it.
                            std::thread::sleep(Duration::from_millis(30));
                            s.spawn(|_| ran.store(true, Ordering::SeqCst));
                            while !ran.load(Ordering::SeqCst) {
                                std::thread::yield_now();
                            }
                        });
                        // Let X steal T1.
                        std::thread::sleep(Duration::from_millis(10));
                    })
                })
            });
            assert!(ran.load(Ordering::SeqCst));
        }
    });
}

/// Past 1,024 queued jobs a spawn ran the new task on the caller: "spawn 1,100 waiters, then
/// release them" never returned, since the caller itself became a waiter.
#[test]
fn spawns_past_the_deque_capacity_never_run_on_the_caller() {
    use brigade::sync::Latch;
    const N: usize = if cfg!(miri) { 1_030 } else { 1_100 };
    within("1,100 waiters, then release", || {
        let pool = pool_of(2);
        let latch = Latch::new();
        let done = AtomicUsize::new(0);
        pool.scope(|s| {
            for _ in 0..N {
                s.spawn(|_| {
                    latch.wait();
                    done.fetch_add(1, Ordering::SeqCst);
                });
            }
            latch.set();
        });
        assert_eq!(done.load(Ordering::SeqCst), N);
    });
}

/// A caller that spawns while it holds a lock its tasks take: with a spawn that ran the task
/// inline past the deque's capacity, the caller deadlocked on itself. Also checks, with a
/// thread-local flag, that no task runs on the spawning thread during the spawning.
#[test]
fn spawning_while_holding_a_lock_the_tasks_take() {
    use std::cell::Cell;
    use std::sync::Mutex;
    thread_local!(static SPAWNING: Cell<bool> = const { Cell::new(false) });
    const N: usize = if cfg!(miri) { 1_030 } else { 3_000 };
    within("spawn under a lock the tasks take", || {
        let pool = pool_of(2);
        let total = Mutex::new(0usize);
        let on_caller = AtomicUsize::new(0);
        pool.scope(|s| {
            let guard = total.lock().unwrap();
            SPAWNING.with(|f| f.set(true));
            for _ in 0..N {
                s.spawn(|_| {
                    if SPAWNING.with(Cell::get) {
                        on_caller.fetch_add(1, Ordering::SeqCst);
                    }
                    *total.lock().unwrap() += 1;
                });
            }
            SPAWNING.with(|f| f.set(false));
            drop(guard);
        });
        assert_eq!(
            on_caller.load(Ordering::SeqCst),
            0,
            "a task ran on the spawning thread"
        );
        assert_eq!(*total.lock().unwrap(), N);
        // Detached spawns from a worker, past the capacity too.
        let count = std::sync::Arc::new(AtomicUsize::new(0));
        let wg = brigade::sync::WaitGroup::new();
        pool.install(|| {
            for _ in 0..N {
                let (count, wg) = (count.clone(), wg.clone());
                brigade::spawn(move || {
                    count.fetch_add(1, Ordering::SeqCst);
                    drop(wg);
                });
            }
        });
        wg.wait();
        assert_eq!(count.load(Ordering::SeqCst), N);
    });
}

/// A pool shut down on a worker of another pool, whose last task needs that other pool: the
/// waiting worker blocked in an OS-level join without working, and both pools hung. (This
/// was the drop, when a drop waited for the work; `shutdown` now does.)
#[test]
fn pool_shut_down_on_another_pools_worker_keeps_that_worker_working() {
    use std::sync::Arc;
    within("shut a pool down on another pool's worker", || {
        for _ in 0..(FRESH_POOLS / 4).max(1) {
            let a = Arc::new(pool_of(1));
            let a_inside = a.clone();
            let done = Arc::new(AtomicUsize::new(0));
            let d = done.clone();
            a.install(move || {
                let b = pool_of(1);
                b.spawn(move || {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                    // Needs A's only worker, which is dropping B.
                    a_inside.install(|| d.fetch_add(1, Ordering::SeqCst));
                });
                b.shutdown();
            });
            assert_eq!(done.load(Ordering::SeqCst), 1);
        }
    });
}

/// Detached spawns made from an exit handler were never run, and their captures never
/// dropped.
#[test]
fn spawns_from_an_exit_handler_run() {
    use std::sync::Arc;
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    within("spawn from an exit handler", || {
        let ran = Arc::new(AtomicUsize::new(0));
        let dropped = Arc::new(AtomicUsize::new(0));
        let (r, d) = (ran.clone(), dropped.clone());
        let pool = brigade::ThreadPool::builder()
            .num_threads(2)
            .exit_handler(move |_| {
                let (r, captured) = (r.clone(), Counted(d.clone()));
                brigade::spawn(move || {
                    let _captured = captured;
                    // And a spawn from that spawn.
                    let r2 = r.clone();
                    brigade::spawn(move || {
                        r2.fetch_add(1, Ordering::SeqCst);
                    });
                    r.fetch_add(1, Ordering::SeqCst);
                });
            })
            .build()
            .unwrap();
        pool.install(|| ());
        pool.shutdown();
        assert_eq!(
            ran.load(Ordering::SeqCst),
            4,
            "each exit handler's spawns ran"
        );
        assert_eq!(
            dropped.load(Ordering::SeqCst),
            2,
            "their captures were dropped"
        );
    });
}

/// More tasks meeting at a `CountLatch` or `WaitGroup` than 2 workers can hold on their
/// stacks (64 waits each): the waits beyond the bound blocked their workers, and the tasks
/// that would release them never ran.
#[test]
fn many_more_waiters_than_the_stack_bound() {
    use brigade::sync::{CountLatch, WaitGroup};
    const N: usize = if cfg!(miri) { 140 } else { 1_000 };
    within("waiters beyond the stack bound", || {
        let pool = pool_of(2);
        for n in [131, N] {
            let latch = CountLatch::new(n);
            let passed = AtomicUsize::new(0);
            pool.scope(|s| {
                for _ in 0..n {
                    s.spawn(|_| {
                        latch.count_down();
                        latch.wait();
                        passed.fetch_add(1, Ordering::SeqCst);
                    });
                }
            });
            assert_eq!(passed.load(Ordering::SeqCst), n);

            let wg = WaitGroup::new();
            let passed = AtomicUsize::new(0);
            pool.scope(|s| {
                for _ in 0..n {
                    let wg = wg.clone();
                    let passed = &passed;
                    s.spawn(move |_| {
                        wg.wait();
                        passed.fetch_add(1, Ordering::SeqCst);
                    });
                }
                // Leave last: every task has its handle by now.
                drop(wg);
            });
            assert_eq!(passed.load(Ordering::SeqCst), n);
        }
    });
}

/// `JoinHandle::join` inside an isolation region on a 1-thread pool, for a task spawned
/// before the region: the only worker could not take that task from the queue inside the
/// region, and waited forever.
#[test]
fn join_handle_joined_inside_an_isolation_region() {
    within("JoinHandle::join inside isolate", || {
        let pool = pool_of(1);
        let n = pool.install(|| {
            let handle = pool.spawn_with_handle(|| 6 * 7);
            brigade::isolate(|| handle.join().unwrap())
        });
        assert_eq!(n, 42);
        let n = pool.install(|| {
            let handle = pool.spawn_with_handle(|| 6 * 7);
            pool.isolate(|| handle.join().unwrap())
        });
        assert_eq!(n, 42);
        // A task that already started elsewhere is waited for, not run twice.
        let pool = pool_of(2);
        let runs = std::sync::Arc::new(AtomicUsize::new(0));
        for _ in 0..100 {
            let r = runs.clone();
            let handle = pool.spawn_with_handle(move || r.fetch_add(1, Ordering::SeqCst));
            pool.install(|| handle.join().unwrap());
        }
        assert_eq!(runs.load(Ordering::SeqCst), 100);
    });
}

/// The heartbeat thread parks when every worker is asleep or parked inside an isolation
/// region: it kept beating (every 100 µs, for as long as the wait lasted) while a worker
/// waited parked outside the sleep counts.
#[test]
#[cfg_attr(
    miri,
    ignore = "waits on the wall clock for the heartbeat thread to park"
)]
fn heartbeat_parks_while_workers_are_parked_in_a_region() {
    within("heartbeat parks beside an isolated waiter", || {
        let pool = pool_of(2);
        let latch = std::sync::Arc::new(brigade::sync::Latch::new());
        let l = latch.clone();
        pool.spawn(move || brigade::isolate(|| l.wait()));
        let (parked_seen, state) = heartbeat_parks(&pool);
        latch.set();
        assert!(parked_seen, "the heartbeat thread never parked: {state}");
    });
}

/// Three tasks call `OnceCell::get_or_init`; the initializer's `join` has its second half
/// taken by a waiter of the cell, so the initializer's worker waits for it. While waiting it
/// must not run a task queued before the initializer's region (another caller of the cell,
/// which would wait for the initializer below it on the same stack). Found by the liveness
/// fuzzer once idle workers could take recorded halves.
#[test]
fn waiting_inside_a_region_never_pops_work_from_before_it() {
    use brigade::sync::OnceCell;
    use std::time::{Duration, Instant};
    fn busy(d: Duration) {
        let t = Instant::now();
        while t.elapsed() < d {
            std::hint::spin_loop();
        }
    }
    let ms = if cfg!(miri) { 1 } else { 4 };
    within("OnceCell callers queued under the initializer", move || {
        for _ in 0..FRESH_POOLS {
            let pool = pool_of(2);
            pool.install(|| {
                let cell = OnceCell::new();
                brigade::scope(|s| {
                    for _ in 0..3 {
                        let (cell, pool) = (&cell, &pool);
                        s.spawn(move |_| {
                            let v = cell.get_or_init(|| {
                                pool.join(
                                    || 1,
                                    || {
                                        brigade::join(
                                            || busy(Duration::from_millis(ms)),
                                            || busy(Duration::from_millis(ms + 1)),
                                        )
                                    },
                                )
                                .0
                            });
                            assert_eq!(*v, 1);
                        });
                    }
                });
            });
        }
    });
}

/// A job of a region nested inside region `r`, sent into a pool whose only worker waits
/// inside `r`: nobody could take it (the waiter took only jobs of `r` itself), and the two
/// pools hung. Found by the liveness fuzzer. A nested region's jobs are `r`'s own work, so a
/// waiter in `r` takes them too.
#[test]
fn a_waiter_takes_jobs_of_regions_nested_in_its_own() {
    within("nested region across pools", || {
        let p0 = pool_of(1);
        let p1 = pool_of(1);
        for _ in 0..FRESH_POOLS {
            let n =
                p1.install(|| brigade::isolate(|| p0.install(|| p0.isolate(|| p1.install(|| 5)))));
            assert_eq!(n, 5);
        }
    });
}

/// The same while the workers are blocked as barrier parties (a barrier wait blocks its
/// worker by contract): the heartbeat thread kept beating for as long as they waited.
#[test]
#[cfg_attr(
    miri,
    ignore = "waits on the wall clock for the heartbeat thread to park"
)]
fn heartbeat_parks_while_workers_are_blocked_at_a_barrier() {
    use std::sync::Arc;
    within("heartbeat parks beside barrier parties", || {
        let pool = pool_of(2);
        let barrier = Arc::new(brigade::sync::Barrier::new(3));
        for _ in 0..2 {
            let b = barrier.clone();
            pool.spawn(move || {
                b.wait();
            });
        }
        let (parked_seen, state) = heartbeat_parks(&pool);
        barrier.wait();
        assert!(parked_seen, "the heartbeat thread never parked: {state}");
    });
}

/// Whether `pool`'s heartbeat thread is seen parked within 10 s, and the pool's state then.
fn heartbeat_parks(pool: &brigade::ThreadPool) -> (bool, String) {
    use std::time::{Duration, Instant};
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        let state = brigade::internals::pool_state(pool);
        if state.contains("heartbeat thread parked yes") {
            return (true, state);
        }
    }
    (false, brigade::internals::pool_state(pool))
}
