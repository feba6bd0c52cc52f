//! Heartbeat joins expose parallelism: a `join`'s second half, kept private at first, is
//! published and stolen by an idle worker, on a heartbeat or on a thief's request. These
//! tests would pass with a purely sequential `join` only if they failed to detect it, so each
//! checks *where* work ran.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use brigade::ThreadPool;
use common::all_started;

fn pool(threads: usize, interval: Duration) -> ThreadPool {
    ThreadPool::builder()
        .num_threads(threads)
        .heartbeat_interval(interval)
        .build()
        .expect("pool")
}

/// The outer join's second half is pending while the first half works; the first half keeps
/// joining (recorded joins near the top check the heartbeat flag), which promotes the oldest
/// pending half once the flag is set. The idle worker steals it: it runs on the other worker
/// while the first half is still busy. The first half waits up to 5 s for that, so a loaded
/// machine only makes the test slower.
fn outer_half_runs_elsewhere(pool: &ThreadPool) {
    const NONE: usize = usize::MAX;
    let b_worker = AtomicUsize::new(NONE);
    let a_worker = pool.install(|| {
        let (a, ()) = brigade::join(
            || {
                let deadline = Instant::now() + Duration::from_secs(5);
                while b_worker.load(Ordering::SeqCst) == NONE && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(2));
                    brigade::join(|| (), || ());
                }
                brigade::current_thread_index()
            },
            || {
                let here = brigade::current_thread_index().expect("on a worker");
                b_worker.store(here, Ordering::SeqCst);
            },
        );
        a
    });
    let b_worker = b_worker.load(Ordering::SeqCst);
    assert_ne!(
        a_worker,
        Some(b_worker),
        "the outer second half was promoted and stolen"
    );
}

#[test]
fn promoted_on_the_heartbeat() {
    outer_half_runs_elsewhere(&pool(2, Duration::from_micros(100)));
}

#[test]
fn promoted_on_a_thiefs_request_without_heartbeats() {
    // A heartbeat interval far longer than the test: only the idle worker's request can get
    // the half published.
    outer_half_runs_elsewhere(&pool(2, Duration::from_secs(3600)));
}

/// Deep recursion of tiny leaves spreads over both workers within one call: leaves of the
/// same tree run on every worker.
#[test]
fn deep_recursion_spreads_work() {
    let pool = pool(2, Duration::from_micros(100));
    fn walk(depth: u32, per_worker: &[AtomicUsize]) {
        if depth == 0 {
            let spin = Instant::now();
            while spin.elapsed() < Duration::from_micros(2) {
                std::hint::spin_loop();
            }
            let i = brigade::current_thread_index().expect("on a worker");
            per_worker[i].fetch_add(1, Ordering::Relaxed);
            return;
        }
        brigade::join(
            || walk(depth - 1, per_worker),
            || walk(depth - 1, per_worker),
        );
    }
    // A call takes about 8 ms of leaf work; a scheduler that never published a join would run
    // every call on one worker. Retry a few calls for a machine that is busy elsewhere.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let per_worker: Vec<AtomicUsize> = (0..2).map(|_| AtomicUsize::new(0)).collect();
        pool.install(|| walk(12, &per_worker));
        let counts: Vec<usize> = per_worker
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        assert_eq!(
            counts.iter().sum::<usize>(),
            4096,
            "every leaf ran exactly once"
        );
        if counts.iter().all(|&c| c > 0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "one worker ran every leaf of every call: {counts:?}"
        );
    }
}

/// A chain that recurses first and does its heavy work in the second halves, `join(rest,
/// leaf)`, runs its leaves on the way back up, when its owner enters no more joins. Leaves
/// below the outermost joins still reach the idle worker: every join of a pool of several
/// threads records its second half, and a join that returns promotes the oldest on a
/// heartbeat. (When one join in 64 was recorded, every leaf but the outermost three ran on
/// the chain's own worker.)
#[test]
fn second_halves_of_a_deep_chain_spread() {
    const DEPTH: usize = 32;
    const OUTER: usize = 4;
    let pool = pool(2, Duration::from_micros(100));
    fn chain(depth: usize, ran_on: &[AtomicUsize]) {
        if depth == DEPTH {
            return;
        }
        brigade::join(
            || chain(depth + 1, ran_on),
            || {
                let spin = Instant::now();
                while spin.elapsed() < Duration::from_micros(200) {
                    std::hint::spin_loop();
                }
                let here = brigade::current_thread_index().expect("on a worker");
                ran_on[depth].store(here, Ordering::Relaxed);
            },
        );
    }
    // Retry a few calls for a machine that is busy elsewhere.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ran_on: Vec<AtomicUsize> = (0..DEPTH).map(|_| AtomicUsize::new(usize::MAX)).collect();
        let owner = pool.install(|| {
            chain(0, &ran_on);
            brigade::current_thread_index().expect("on a worker")
        });
        let ran_on: Vec<usize> = ran_on.iter().map(|w| w.load(Ordering::Relaxed)).collect();
        assert!(ran_on.iter().all(|&w| w < 2), "every leaf ran: {ran_on:?}");
        // About half of them, when both workers run; at most one when only the outermost
        // joins could be shared.
        let elsewhere = ran_on[OUTER..].iter().filter(|&&w| w != owner).count();
        if elsewhere >= DEPTH / 4 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the chain's own worker ran almost every leaf below the outermost {OUTER}: \
             {ran_on:?}"
        );
    }
}

#[test]
fn heartbeat_interval_must_be_positive() {
    let err = ThreadPool::builder()
        .heartbeat_interval(Duration::ZERO)
        .build()
        .unwrap_err();
    assert!(
        matches!(err, brigade::BuildError::HeartbeatInterval { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("1 µs"), "{err}");
}

/// A panic in the first half while the second was promoted and stolen: the caller sees the
/// first half's panic only after the thief finished the second half.
#[test]
fn panic_in_first_half_waits_for_the_stolen_second() {
    let pool = pool(2, Duration::from_micros(100));
    let b_done = AtomicUsize::new(0);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.install(|| {
            brigade::join(
                || {
                    std::thread::sleep(Duration::from_millis(20));
                    // Recorded, so it promotes the outer half before we panic.
                    brigade::join(|| (), || ());
                    panic!("expected panic: first half");
                },
                || {
                    std::thread::sleep(Duration::from_millis(50));
                    b_done.fetch_add(1, Ordering::SeqCst);
                },
            )
        })
    }));
    let payload = result.expect_err("the panic reaches the caller");
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"expected panic: first half")
    );
    assert_eq!(
        b_done.load(Ordering::SeqCst),
        1,
        "the second half finished first, once"
    );
    assert_eq!(pool.join(|| 1, || 2), (1, 2), "the pool is still usable");
}

/// A thief that takes a victim's recorded half asks for the next one at once, and a worker
/// asked with an empty deque publishes two halves: one for the thief, one ready for the next
/// request. With one only (and no request on a pending-stack theft), a thief coming back
/// from a leaf found nothing and waited for the owner's next `join`; on a `join(rest, leaf)`
/// chain the two fell into step and the thief waited for half of its leaves.
///
/// Beats are off (an hour apart): only the thief's request can make worker 0 publish. The
/// thief is held inside the stolen half while worker 0 looks at its own deque, so the count
/// is exact.
#[test]
fn a_request_for_work_publishes_one_ahead() {
    const DEPTH: usize = 5;
    let pool = pool(2, Duration::from_secs(3600));
    let go = std::sync::atomic::AtomicBool::new(false);
    let stolen = std::sync::atomic::AtomicBool::new(false);
    let release = std::sync::atomic::AtomicBool::new(false);
    let ran: Vec<AtomicUsize> = (0..DEPTH).map(|_| AtomicUsize::new(0)).collect();
    let wait_for = |flag: &std::sync::atomic::AtomicBool, what: &str| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !flag.load(Ordering::SeqCst) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::hint::spin_loop();
        }
    };
    let holding = std::sync::atomic::AtomicBool::new(false);
    let published = pool.install(|| {
        let me = brigade::current_thread_index().expect("on a worker");
        // Keeps the other worker awake (a spawn wakes it) until the chain below is recorded;
        // it then finds the oldest recorded half and takes it straight from the stack.
        brigade::scope(|s| {
            s.spawn(|_| {
                holding.store(true, Ordering::SeqCst);
                wait_for(&go, "the chain");
            });
            // The other worker took the spawn, and may have asked this one for work on the
            // way (a search that found this deque empty, or the spawn taken as its last
            // job). Answer that request now, with nothing recorded: answered while the
            // chain was being recorded, it published two halves there, the thief took one
            // from the deque without asking again, and the count below was 1 (1 run in 12
            // of this file under ThreadSanitizer).
            wait_for(&holding, "the spawn");
            brigade::join(|| (), || ());
            fn chain(
                depth: usize,
                ran: &[AtomicUsize],
                inner: &(dyn Fn() -> usize + Sync),
                second: &(dyn Fn(usize) + Sync),
            ) -> usize {
                if depth == ran.len() {
                    return inner();
                }
                let (published, ()) = brigade::join(
                    || chain(depth + 1, ran, inner, second),
                    || {
                        ran[depth].fetch_add(1, Ordering::SeqCst);
                        second(depth);
                    },
                );
                published
            }
            let inner = || {
                go.store(true, Ordering::SeqCst);
                wait_for(&stolen, "the thief");
                // The thief asked: this recorded join publishes the two oldest halves left.
                brigade::join(|| (), || ());
                let published = pool.metrics().workers[me].deque_len;
                release.store(true, Ordering::SeqCst);
                published
            };
            let second = |depth: usize| {
                if brigade::current_thread_index() != Some(me) && depth == 0 {
                    stolen.store(true, Ordering::SeqCst);
                    wait_for(&release, "worker 0");
                }
            };
            chain(0, &ran, &inner, &second)
        })
    });
    for (depth, count) in ran.iter().enumerate() {
        assert_eq!(count.load(Ordering::SeqCst), 1, "half {depth} ran once");
    }
    assert_eq!(
        published, 2,
        "worker 0's deque after a thief's request with an empty deque"
    );
}

/// `depth` joins, each with its work in the first half, then a `join` of two leaves that
/// never join again.
fn nested<R: Send>(depth: usize, leaves: &(dyn Fn() -> R + Sync)) -> (R, R) {
    if depth == 0 {
        return brigade::join(leaves, leaves);
    }
    brigade::join(|| nested(depth - 1, leaves), || ()).0
}

/// A `join` of two long leaves nested deep in other joins: its second half is private to
/// its worker (below the outermost recorded joins), and the first half never comes to a
/// `join` that would publish it. The pool's heartbeat thread must claim it for the idle
/// worker. Each leaf waits until both have started: run one after the other, neither ever
/// sees the other start (and the 20 s deadline fails the test).
#[test]
#[cfg_attr(
    any(miri, not(target_os = "linux")),
    ignore = "waits for claims at real-time beats (and claims need Linux's membarrier)"
)]
fn long_leaves_deep_in_joins_run_in_parallel() {
    for threads in [2, 3, 4] {
        let pool = pool(threads, Duration::from_micros(100));
        for depth in [0, 1, 2, 3, 4, 5, 8, 20] {
            let started = AtomicUsize::new(0);
            let leaf = || {
                started.fetch_add(1, Ordering::SeqCst);
                all_started(&started, 2)
            };
            let (a, b) = pool.install(|| nested(depth, &leaf));
            assert!(
                a && b,
                "{threads} threads, {depth} joins deep: the two leaves ran one after the other"
            );
        }
    }
}

/// The same leaves, joined from a `scope`'s task and from inside `isolate`: the claimed
/// half runs in the region it was recorded in.
#[test]
#[cfg_attr(
    any(miri, not(target_os = "linux")),
    ignore = "waits for claims at real-time beats (and claims need Linux's membarrier)"
)]
fn long_leaves_deep_in_joins_run_in_parallel_inside_regions() {
    let pool = pool(2, Duration::from_micros(100));
    for depth in [4, 8] {
        let started = AtomicUsize::new(0);
        let leaf = || {
            started.fetch_add(1, Ordering::SeqCst);
            all_started(&started, 2)
        };
        let (a, b) = pool.install(|| brigade::isolate(|| nested(depth, &leaf)));
        assert!(a && b, "{depth} joins deep inside isolate: serial");
        let started = std::sync::Arc::new(AtomicUsize::new(0));
        let task_started = std::sync::Arc::clone(&started);
        let handle = pool.spawn_with_handle(move || {
            let leaf = || {
                task_started.fetch_add(1, Ordering::SeqCst);
                all_started(&task_started, 2)
            };
            nested(depth, &leaf)
        });
        let (a, b) = handle.join().expect("no panic");
        assert!(a && b, "{depth} joins deep in a task with a handle: serial");
    }
}

/// A claimed half returns its result, and its panic, to the `join` that recorded it, and
/// borrows from that join's frame (miri checks the claim's arming of the half from the
/// heartbeat thread, and the frame's lifetime).
#[test]
fn a_claimed_half_returns_its_result_and_its_panic() {
    let pool = pool(2, Duration::from_micros(100));
    let started = AtomicUsize::new(0);
    let local = [1u64, 2, 3];
    let leaf = || {
        started.fetch_add(1, Ordering::SeqCst);
        assert!(
            all_started(&started, 2),
            "the leaves ran one after the other"
        );
        local.iter().sum::<u64>()
    };
    let (a, b) = pool.install(|| nested(4, &leaf));
    assert_eq!((a, b), (6, 6));
    assert_eq!(started.load(Ordering::SeqCst), 2);
    started.store(0, Ordering::SeqCst);
    let panicking = || {
        started.fetch_add(1, Ordering::SeqCst);
        all_started(&started, 2);
        if brigade::current_thread_index() == Some(usize::MAX) {
            return 0;
        }
        panic!("a leaf panicked");
    };
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.install(|| nested(4, &panicking))
    }));
    assert!(caught.is_err(), "the panic reached the caller");
    // The pool is still usable.
    assert_eq!(pool.install(|| brigade::join(|| 1, || 2)), (1, 2));
}

/// The same pair of leaves below 2,000 joins: more than the pending stack (256) and the
/// deque (1,024) hold together. The deque's older half spills to the injector; before, the
/// innermost `join` found the deque full and ran its halves one after the other.
#[test]
#[cfg_attr(
    miri,
    ignore = "2,000 nested joins: see api::join_deeper_than_the_deque"
)]
fn long_leaves_below_a_full_deque_run_in_parallel() {
    let pool = ThreadPool::builder()
        .num_threads(2)
        .stack_size(64 << 20)
        .build()
        .expect("pool");
    let started = AtomicUsize::new(0);
    let leaf = || {
        started.fetch_add(1, Ordering::SeqCst);
        all_started(&started, 2)
    };
    for _ in 0..3 {
        // The other worker asleep, as after any pause: it cannot drain the deque as fast as
        // the recursion fills it.
        std::thread::sleep(Duration::from_millis(20));
        started.store(0, Ordering::SeqCst);
        let (a, b) = pool.install(|| nested(2_000, &leaf));
        assert!(a && b, "the two leaves ran one after the other");
    }
}

fn fib(n: u32) -> u64 {
    if n < 2 {
        return n as u64;
    }
    let (a, b) = brigade::join(|| fib(n - 1), || fib(n - 2));
    a + b
}

/// Two long leaves nested deep below the outermost joins, entered by a worker that has
/// just run thousands of joins while the other worker was busy (nobody wanted its halves),
/// and after the other worker ran out: they run in parallel.
#[test]
#[cfg_attr(
    any(miri, not(target_os = "linux")),
    ignore = "waits for claims at real-time beats (and claims need Linux's membarrier)"
)]
fn long_leaves_after_a_stretch_alone_run_in_parallel() {
    let pool = pool(2, Duration::from_micros(100));
    for depth in [0, 1, 4, 8] {
        let busy = AtomicBool::new(true);
        let spinning = AtomicBool::new(false);
        let started = AtomicUsize::new(0);
        let leaf = || {
            started.fetch_add(1, Ordering::SeqCst);
            all_started(&started, 2)
        };
        let (a, b) = pool.scope(|s| {
            // The other worker takes this task and stays busy in it.
            s.spawn(|_| {
                spinning.store(true, Ordering::SeqCst);
                while busy.load(Ordering::SeqCst) {
                    std::hint::spin_loop();
                }
            });
            let deadline = Instant::now() + Duration::from_secs(20);
            while !spinning.load(Ordering::SeqCst) {
                assert!(Instant::now() < deadline, "the spinning task never started");
                std::thread::yield_now();
            }
            // Below the outermost three joins, whose halves are shared.
            let below_the_outermost = || {
                // 10,945 joins with nobody to take a half.
                assert_eq!(fib(20), 6_765);
                busy.store(false, Ordering::SeqCst);
                // The other worker runs out.
                std::thread::sleep(Duration::from_millis(5));
                nested(depth, &leaf)
            };
            brigade::join(
                || brigade::join(|| brigade::join(below_the_outermost, || ()).0, || ()).0,
                || (),
            )
            .0
        });
        assert!(
            a && b,
            "{depth} joins deep after a stretch alone: the two leaves ran one after the other"
        );
    }
}

fn spin(duration: Duration) {
    let start = Instant::now();
    while start.elapsed() < duration {
        std::hint::spin_loop();
    }
}

/// A chain `join(rest, leaf)` whose second halves are its leaves: the recursion goes all
/// the way down before the first leaf runs, so its leaves can be shared only if every
/// `join` on the way down recorded its half.
fn chain_rest_leaf(links: usize, leaf: &(dyn Fn() + Sync)) {
    if links == 0 {
        return;
    }
    brigade::join(|| chain_rest_leaf(links - 1, leaf), leaf);
}

/// The chain entered by a worker that has just run thousands of joins while the other
/// worker was busy, and which therefore had no sign that anybody wanted work. Its leaves
/// must still spread once the other worker runs out. (Recording joins only while some
/// worker wanted work ran this chain serially in 10 of 10 runs.) Each leaf but the last
/// waits until the next one has started: run one after the other, it never sees it, and
/// the 20 s deadline fails the test.
#[test]
#[cfg_attr(
    any(miri, not(target_os = "linux")),
    ignore = "waits for claims at real-time beats (and claims need Linux's membarrier)"
)]
fn a_chain_entered_while_the_other_worker_was_busy_spreads() {
    const LINKS: usize = 64;
    let pool = pool(2, Duration::from_micros(100));
    for busy_ms in [0, 2, 5] {
        let started = AtomicUsize::new(0);
        // The first leaf that ran alone (a failure), if any; the leaves after it do not wait.
        let alone = AtomicUsize::new(usize::MAX);
        let leaf = || {
            let me = started.fetch_add(1, Ordering::SeqCst);
            if me + 1 < LINKS
                && alone.load(Ordering::SeqCst) == usize::MAX
                && !all_started(&started, me + 2)
            {
                alone.store(me, Ordering::SeqCst);
            }
        };
        pool.install(|| {
            brigade::join(
                || spin(Duration::from_millis(busy_ms)),
                || {
                    assert_eq!(fib(22), 17_711);
                    chain_rest_leaf(LINKS, &leaf);
                },
            )
        });
        assert_eq!(started.load(Ordering::SeqCst), LINKS);
        let alone = alone.load(Ordering::SeqCst);
        assert_eq!(
            alone,
            usize::MAX,
            "other worker busy for {busy_ms} ms: leaf {alone} ran alone"
        );
    }
}

/// A fine-grained recursion with two heavy sibling leaves somewhere inside: they must run
/// in parallel. (Recording joins only while some worker wanted work ran them one after the
/// other in 10 of 10 runs on 2 threads.) Each heavy leaf waits until the other has started.
#[test]
#[cfg_attr(
    any(miri, not(target_os = "linux")),
    ignore = "waits for claims at real-time beats (and claims need Linux's membarrier)"
)]
fn heavy_sibling_leaves_in_a_fine_recursion_run_in_parallel() {
    fn walk(lo: u64, hi: u64, heavy: u64, started: &AtomicUsize) -> u64 {
        if hi - lo == 1 {
            if lo == heavy || lo == heavy + 1 {
                started.fetch_add(1, Ordering::SeqCst);
                return u64::from(all_started(started, 2));
            }
            return 0;
        }
        let mid = (lo + hi) / 2;
        let (a, b) = brigade::join(
            || walk(lo, mid, heavy, started),
            || walk(mid, hi, heavy, started),
        );
        a + b
    }
    let pool = pool(2, Duration::from_micros(100));
    const LEAVES: u64 = 1 << 16;
    for heavy in [(LEAVES / 3) & !1, LEAVES / 2 + 2, LEAVES - 200] {
        let started = AtomicUsize::new(0);
        let together = pool.install(|| walk(0, LEAVES, heavy, &started));
        assert_eq!(
            together,
            2,
            "heavy leaves {heavy} and {}: they ran one after the other",
            heavy + 1
        );
    }
}

/// The heartbeat thread asks Linux for a 1 µs timer slack: with the default 50 µs its timed
/// waits ended up to 50 µs late, and an idle worker waited 1.5 intervals plus its wake-up
/// (160 to 180 µs at the default 100 µs) for a loop whose first item was long. The
/// thread's slack is read back from `/proc`, where each thread's `comm` is its name cut to
/// 15 bytes.
#[cfg(target_os = "linux")]
#[test]
#[cfg_attr(
    miri,
    ignore = "reads /proc, which miri's isolation hides, and miri has no prctl"
)]
fn the_heartbeat_thread_asks_for_a_tight_timer_slack() {
    let slack_of_heartbeat = || -> Option<u64> {
        for task in std::fs::read_dir("/proc/self/task").ok()? {
            let task = task.ok()?.path();
            let comm = std::fs::read_to_string(task.join("comm")).unwrap_or_default();
            if comm.trim_end() == "brigade-heartbe" {
                let tid = task.file_name()?.to_str()?.to_owned();
                let slack = std::fs::read_to_string(format!("/proc/{tid}/timerslack_ns")).ok()?;
                return slack.trim().parse().ok();
            }
        }
        None
    };
    let _pool = pool(2, Duration::from_micros(100));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match slack_of_heartbeat() {
            Some(1_000) => return,
            seen if Instant::now() >= deadline => {
                panic!("the heartbeat thread's timer slack: {seen:?} ns, not 1,000")
            }
            _ => std::thread::sleep(Duration::from_millis(1)),
        }
    }
}
