//! Soak test: random mixes of `join` trees, scopes, spawned tasks with handles, parallel
//! loops under every schedule, tasks that wait on `brigade::sync` latches, count latches and
//! wait groups, barrier phase loops in `broadcast`, and injected panics, on pools of 1 to 16
//! threads, for a bounded time. Every operation checks that each of its tasks ran exactly
//! once; a watchdog aborts the process (printing what was running and every worker's state)
//! if no operation finishes for 30 s; the resident memory must not grow across rounds.
//!
//! The waiting operations follow `brigade::sync`'s rules, so none can deadlock by
//! construction: every task releases before it waits; at most 32 waiting tasks per worker
//! (a worker runs tasks in at most 64 nested waits); a latch's waiters are released by the
//! scope body that spawned them; barrier parties are one per worker, in `broadcast`, and an
//! injected panic in a party comes after its last phase (a party that left early would
//! leave the others waiting forever, as documented on `Barrier`).
//!
//! Ignored by default. `.ci/run` runs it for 60 s:
//!
//! ```text
//! BRIGADE_SOAK_SECS=60 cargo test --release --test soak -- --ignored --nocapture
//! ```
//!
//! `BRIGADE_SOAK_SEED` replays a run (the seed is printed at the start).

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brigade::sync::{Barrier, CountLatch, Latch, WaitGroup};
use brigade::{Schedule, ThreadPool};

const THREADS: [usize; 6] = [1, 2, 3, 4, 8, 16];
/// The message of every injected panic; the panic hook stays quiet for these.
const INJECTED: &str = "soak: injected panic";
/// How long without a finished operation counts as a hang. The timed waits inside
/// operations allow twice as long, so that the watchdog, which prints every worker's state,
/// reports a hang before a timed-out wait fails the test.
const HANG: Duration = Duration::from_secs(30);
/// Waiting tasks per worker in one operation: half of the 64 nested waits a worker runs
/// tasks in, so the waits of one operation can never block every worker.
const WAITERS_PER_WORKER: u64 = 32;

/// xorshift64*: the whole run follows from one seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// What the watchdog reports if the run stops making progress.
struct Progress {
    finished: AtomicU64,
    current: Mutex<String>,
    /// The index in `THREADS` of the pool running the current operation.
    pool: AtomicUsize,
}

fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: `sysconf` with a valid name has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok()?)
}

/// A `join` tree of `depth` levels; counts each leaf in `hits[leaf]`. Panics at leaf
/// `panic_at`, if given.
fn join_tree(first: usize, depth: u32, hits: &[AtomicU8], panic_at: Option<usize>) {
    if depth == 0 {
        hits[first].fetch_add(1, Ordering::Relaxed);
        if panic_at == Some(first) {
            panic!("{INJECTED}");
        }
        return;
    }
    let half = 1 << (depth - 1);
    brigade::join(
        || join_tree(first, depth - 1, hits, panic_at),
        || join_tree(first + half, depth - 1, hits, panic_at),
    );
}

fn schedule_of(rng: &mut Rng) -> Schedule {
    let n = 1 + rng.below(300) as usize;
    match rng.below(6) {
        0 => Schedule::Static,
        1 => Schedule::StaticChunks { chunk: n },
        2 => Schedule::Dynamic { chunk: n },
        3 => Schedule::Guided { min_chunk: n },
        4 => Schedule::Adaptive { min_len: n },
        _ => Schedule::default(),
    }
}

/// The kinds of operation, in the order `one_operation` numbers them.
const KINDS: [&str; 9] = [
    "join tree",
    "nested scope",
    "spawn_with_handle batch",
    "parallel loop",
    "loop of loops",
    "latch fan-out",
    "count latch",
    "wait group",
    "barrier",
];

/// Runs one random operation on `pool`; returns its kind (an index in `KINDS`). Panics (with a message
/// other than `INJECTED`) if a task ran other than exactly once, or an injected panic was
/// lost.
fn one_operation(pool: &ThreadPool, rng: &mut Rng, progress: &Progress) -> usize {
    let inject = rng.below(8) == 0;
    let kind = rng.below(KINDS.len() as u64);
    let threads = pool.current_num_threads();
    let waiters = 1 + rng.below(WAITERS_PER_WORKER * threads as u64) as usize;
    let (what, tasks): (String, usize) = match kind {
        0 => {
            let depth = 4 + rng.below(10) as u32;
            (format!("join tree of depth {depth}"), 1 << depth)
        }
        1 => (KINDS[1].into(), 1 + rng.below(3000) as usize),
        2 => (KINDS[2].into(), 1 + rng.below(200) as usize),
        3 => (KINDS[3].into(), rng.below(200_000) as usize),
        4 => (KINDS[4].into(), 1 + rng.below(300) as usize),
        // Waiters plus the scope body that sets the latch; fewer than a deque holds, so no
        // spawn runs a waiter inline under the body before the body sets the latch.
        5 => (KINDS[5].into(), 1 + rng.below(500) as usize),
        // Counting tasks plus the scope body, which holds a unit while it spawns.
        6 => (KINDS[6].into(), waiters + 1),
        7 => (KINDS[7].into(), waiters),
        _ => {
            let phases = 1 + rng.below(50) as usize;
            (format!("barrier, {phases} phases"), phases * threads)
        }
    };
    let panic_at = (inject && tasks > 0).then(|| rng.below(tasks as u64) as usize);
    *progress.current.lock().unwrap() =
        format!("{what}, {tasks} tasks, panic at {panic_at:?}, on {threads} threads");
    let hits: Vec<AtomicU8> = (0..tasks).map(|_| AtomicU8::new(0)).collect();
    let hit = |i: usize| {
        hits[i].fetch_add(1, Ordering::Relaxed);
        if panic_at == Some(i) {
            panic!("{INJECTED}");
        }
    };
    let schedule = schedule_of(rng);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| match kind {
        0 => pool.install(|| join_tree(0, tasks.trailing_zeros(), &hits, panic_at)),
        1 => pool.scope(|s| {
            // Half the tasks spawn the other half from inside the scope.
            let outer = tasks.div_ceil(2);
            for i in 0..outer {
                let hit = &hit;
                s.spawn(move |s| {
                    hit(i);
                    let inner = outer + i;
                    if inner < tasks {
                        s.spawn(move |_| hit(inner));
                    }
                });
            }
        }),
        2 => {
            let hits = Arc::new((0..tasks).map(|_| AtomicU8::new(0)).collect::<Vec<_>>());
            let handles: Vec<_> = (0..tasks)
                .map(|i| {
                    let hits = hits.clone();
                    pool.spawn_with_handle(move || {
                        hits[i].fetch_add(1, Ordering::Relaxed);
                        if panic_at == Some(i) {
                            panic!("{INJECTED}");
                        }
                        i
                    })
                })
                .collect();
            let mut lost = None;
            for (i, h) in handles.into_iter().enumerate() {
                match h.join() {
                    Ok(v) => assert_eq!(v, i),
                    Err(_) => lost = Some(i),
                }
            }
            // Every spawned task runs, panic or not.
            for (i, h) in hits.iter().enumerate() {
                assert_eq!(h.load(Ordering::Relaxed), 1, "spawned task {i}");
            }
            assert_eq!(
                lost, panic_at,
                "the panicking task reports through its handle"
            );
            if panic_at.is_some() {
                panic!("{INJECTED}");
            }
        }
        3 => pool.for_each(0..tasks, schedule, hit),
        4 => pool.for_each(0..tasks, schedule, |i| {
            hit(i);
            let inner = brigade::map_reduce(0..i % 97, schedule, || 0, |j| j, |a, b| a + b);
            assert_eq!(inner, (i % 97) * (i % 97).saturating_sub(1) / 2);
        }),
        5 => latch_fan_out(pool, tasks, &hit),
        6 => count_latch(pool, tasks, &hit),
        7 => wait_group(pool, tasks, &hit),
        _ => barrier_phases(pool, tasks / threads, &hits, panic_at),
    }));
    match (outcome, panic_at) {
        (Ok(()), None) => {}
        (Err(payload), Some(_)) => {
            let msg = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied());
            assert_eq!(
                msg,
                Some(INJECTED),
                "{what}: a panic other than the injected one"
            );
        }
        (Ok(()), Some(i)) => panic!("{what}: the panic injected at task {i} was lost"),
        (Err(payload), None) => panic::resume_unwind(payload),
    }
    if kind != 2 {
        for (i, h) in hits.iter().enumerate() {
            let n = h.load(Ordering::Relaxed);
            // After a panic, tasks not yet started may be skipped; none may run twice.
            if panic_at.is_none() {
                assert_eq!(n, 1, "{what}: task {i} ran {n} times");
            } else {
                assert!(n <= 1, "{what}: task {i} ran {n} times");
            }
        }
    }
    progress.finished.fetch_add(1, Ordering::Relaxed);
    kind as usize
}

/// Tasks `0..n-1` wait on a latch (some with a timeout) that the scope body, task `n - 1`,
/// sets after spawning them all; waiting tasks run other waiters meanwhile.
fn latch_fan_out(pool: &ThreadPool, n: usize, hit: &(dyn Fn(usize) + Sync)) {
    let latch = Latch::new();
    pool.scope(|s| {
        for i in 0..n - 1 {
            let latch = &latch;
            s.spawn(move |_| {
                if i % 3 == 0 {
                    assert!(
                        latch.wait_timeout(2 * HANG),
                        "latch fan-out: a wait timed out"
                    );
                } else {
                    latch.wait();
                }
                assert!(latch.is_set());
                hit(i);
            });
        }
        latch.set();
        hit(n - 1);
    });
}

/// Tasks `0..n-1` count down a latch, then wait for it; the scope body, task `n - 1`, holds
/// the first unit and adds one per task before it spawns it.
fn count_latch(pool: &ThreadPool, n: usize, hit: &(dyn Fn(usize) + Sync)) {
    let latch = CountLatch::new(1);
    pool.scope(|s| {
        for i in 0..n - 1 {
            latch
                .increment()
                .expect("not released: the body holds a unit");
            let latch = &latch;
            s.spawn(move |_| {
                latch.count_down();
                latch.wait();
                assert_eq!(latch.count(), 0, "count latch: released early");
                hit(i);
            });
        }
        latch.count_down();
        latch.wait();
        hit(n - 1);
    });
    assert_eq!(
        latch.increment(),
        Err(brigade::sync::IncrementError::Released)
    );
}

/// `n` tasks hold wait group handles: even ones wait for the group, odd ones leave (a task
/// that panics leaves by unwinding); a plain thread waits for the group too.
fn wait_group(pool: &ThreadPool, n: usize, hit: &(dyn Fn(usize) + Sync)) {
    let wg = WaitGroup::new();
    let outside = wg.clone();
    std::thread::scope(|threads| {
        threads.spawn(move || outside.wait());
        pool.scope(|s| {
            for i in 0..n {
                let wg = wg.clone();
                s.spawn(move |_| {
                    if i % 2 == 0 {
                        wg.wait();
                        hit(i);
                    } else {
                        hit(i);
                        drop(wg);
                    }
                });
            }
            drop(wg);
        });
    });
}

/// One party per worker meets at a barrier `phases` times (every other phase with a
/// timeout); party `w` counts task `phase * threads + w` in each. An injected panic comes
/// after the party's last phase.
fn barrier_phases(pool: &ThreadPool, phases: usize, hits: &[AtomicU8], panic_at: Option<usize>) {
    let threads = pool.current_num_threads();
    let barrier = Barrier::new(threads);
    let arrived: Vec<AtomicUsize> = (0..phases).map(|_| AtomicUsize::new(0)).collect();
    let leaders: Vec<AtomicUsize> = (0..phases).map(|_| AtomicUsize::new(0)).collect();
    pool.broadcast(|ctx| {
        let w = ctx.index();
        for phase in 0..phases {
            hits[phase * threads + w].fetch_add(1, Ordering::Relaxed);
            arrived[phase].fetch_add(1, Ordering::SeqCst);
            let result = if phase % 2 == 0 {
                barrier.wait()
            } else {
                barrier
                    .wait_timeout(2 * HANG)
                    .expect("barrier: a phase timed out")
            };
            assert_eq!(result.phase(), phase as u64, "barrier: phase number");
            assert_eq!(
                arrived[phase].load(Ordering::SeqCst),
                threads,
                "barrier: passed phase {phase} before every party arrived"
            );
            if result.is_leader() {
                leaders[phase].fetch_add(1, Ordering::Relaxed);
            }
        }
        if panic_at.is_some_and(|i| i % threads == w) {
            panic!("{INJECTED}");
        }
    });
    for (phase, l) in leaders.iter().enumerate() {
        assert_eq!(
            l.load(Ordering::Relaxed),
            1,
            "barrier: leaders of phase {phase}"
        );
    }
}

#[test]
#[ignore = "long: run by .ci/run with BRIGADE_SOAK_SECS=60"]
fn soak() {
    let secs: u64 = std::env::var("BRIGADE_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let seed: u64 = std::env::var("BRIGADE_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        })
        | 1;
    println!("soak: {secs} s, BRIGADE_SOAK_SEED={seed}");
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let injected =
            info.payload().downcast_ref::<String>().map(String::as_str) == Some(INJECTED);
        if !injected {
            default_hook(info);
        }
    }));

    // Shared with the watchdog, which prints every pool's state if the run hangs.
    let pools: Arc<Vec<ThreadPool>> = Arc::new(
        THREADS
            .iter()
            .map(|&n| ThreadPool::builder().num_threads(n).build().expect("pool"))
            .collect(),
    );
    let progress = Arc::new(Progress {
        finished: AtomicU64::new(0),
        current: Mutex::new(String::new()),
        pool: AtomicUsize::new(0),
    });
    let done = Arc::new(AtomicUsize::new(0));
    let watchdog = {
        let (progress, done, pools) = (progress.clone(), done.clone(), pools.clone());
        std::thread::spawn(move || {
            let mut last = (0, Instant::now());
            while done.load(Ordering::Relaxed) == 0 {
                std::thread::sleep(Duration::from_millis(200));
                let now = progress.finished.load(Ordering::Relaxed);
                if now != last.0 {
                    last = (now, Instant::now());
                } else if last.1.elapsed() > HANG {
                    let current = progress
                        .current
                        .lock()
                        .map(|c| c.clone())
                        .unwrap_or_default();
                    eprintln!(
                        "soak: HANG: no operation finished for {HANG:?} after {now} operations; \
                         running: {current}; replay with BRIGADE_SOAK_SEED={seed}"
                    );
                    let running = progress.pool.load(Ordering::Relaxed);
                    for (p, pool) in pools.iter().enumerate() {
                        let mark = if p == running {
                            " (running the operation)"
                        } else {
                            ""
                        };
                        eprintln!(
                            "soak: pool {p} of {} threads{mark}:\n{}",
                            THREADS[p],
                            brigade::internals::pool_state(pool)
                        );
                    }
                    std::process::abort();
                }
            }
        })
    };

    let mut rng = Rng(seed);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    let mut rounds = 0u64;
    let mut baseline = None;
    let mut peak_growth = 0u64;
    let mut by_kind = [0u64; KINDS.len()];
    while Instant::now() < deadline {
        // A round: one operation on every pool, in random order.
        let mut order: Vec<usize> = (0..pools.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i as u64 + 1) as usize);
        }
        for &p in &order {
            progress.pool.store(p, Ordering::Relaxed);
            by_kind[one_operation(&pools[p], &mut rng, &progress)] += 1;
        }
        rounds += 1;
        // Memory: the first fifth of the run warms up caches and allocator pools; after
        // that, resident memory may wobble but must not keep growing.
        if start.elapsed() >= Duration::from_secs(secs) / 5
            && let Some(rss) = resident_bytes()
        {
            match baseline {
                None => baseline = Some(rss),
                Some(base) => peak_growth = peak_growth.max(rss.saturating_sub(base)),
            }
        }
    }
    done.store(1, Ordering::Relaxed);
    watchdog.join().expect("watchdog");
    let ops = progress.finished.load(Ordering::Relaxed);
    let mix: Vec<String> = KINDS
        .iter()
        .zip(by_kind)
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect();
    println!(
        "soak: {rounds} rounds, {ops} operations on pools of {THREADS:?} threads ({}); \
         resident memory grew by at most {} KiB after warm-up",
        mix.join(", "),
        peak_growth / 1024
    );
    assert!(ops > 0, "no operation finished");
    if ops >= 1000 {
        assert!(by_kind.iter().all(|&n| n > 0), "a kind never ran: {mix:?}");
    }
    assert!(
        peak_growth < 64 << 20,
        "resident memory grew by {} MiB after warm-up: a leak?",
        peak_growth >> 20
    );
}
