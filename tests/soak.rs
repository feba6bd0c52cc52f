//! Soak test: random mixes of `join` trees, scopes, spawned tasks with handles, parallel
//! loops under every schedule, and injected panics, on pools of 1 to 16 threads, for a
//! bounded time. Every operation checks that each of its tasks ran exactly once; a watchdog
//! aborts the process (printing what was running) if no operation finishes for 30 s; the
//! resident memory must not grow across rounds.
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

use brigade::{Schedule, ThreadPool};

const THREADS: [usize; 6] = [1, 2, 3, 4, 8, 16];
/// The message of every injected panic; the panic hook stays quiet for these.
const INJECTED: &str = "soak: injected panic";
/// How long without a finished operation counts as a hang.
const HANG: Duration = Duration::from_secs(30);

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

/// Runs one random operation on `pool`; returns its description. Panics (with a message
/// other than `INJECTED`) if a task ran other than exactly once, or an injected panic was
/// lost.
fn one_operation(pool: &ThreadPool, rng: &mut Rng, progress: &Progress) {
    let inject = rng.below(8) == 0;
    let kind = rng.below(5);
    let threads = pool.current_num_threads();
    let (what, tasks): (String, usize) = match kind {
        0 => {
            let depth = 4 + rng.below(10) as u32;
            (format!("join tree of depth {depth}"), 1 << depth)
        }
        1 => ("nested scope".into(), 1 + rng.below(3000) as usize),
        2 => (
            "spawn_with_handle batch".into(),
            1 + rng.below(200) as usize,
        ),
        3 => ("parallel loop".into(), rng.below(200_000) as usize),
        _ => ("loop of loops".into(), 1 + rng.below(300) as usize),
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
        _ => pool.for_each(0..tasks, schedule, |i| {
            hit(i);
            let inner = brigade::map_reduce(0..i % 97, schedule, || 0, |j| j, |a, b| a + b);
            assert_eq!(inner, (i % 97) * (i % 97).saturating_sub(1) / 2);
        }),
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

    let pools: Vec<ThreadPool> = THREADS
        .iter()
        .map(|&n| ThreadPool::builder().num_threads(n).build().expect("pool"))
        .collect();
    let progress = Arc::new(Progress {
        finished: AtomicU64::new(0),
        current: Mutex::new(String::new()),
    });
    let done = Arc::new(AtomicUsize::new(0));
    let watchdog = {
        let (progress, done) = (progress.clone(), done.clone());
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
    while Instant::now() < deadline {
        // A round: one operation on every pool, in random order.
        let mut order: Vec<usize> = (0..pools.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i as u64 + 1) as usize);
        }
        for &p in &order {
            one_operation(&pools[p], &mut rng, &progress);
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
    println!(
        "soak: {rounds} rounds, {ops} operations on pools of {THREADS:?} threads; resident \
         memory grew by at most {} KiB after warm-up",
        peak_growth / 1024
    );
    assert!(ops > 0, "no operation finished");
    assert!(
        peak_growth < 64 << 20,
        "resident memory grew by {} MiB after warm-up: a leak?",
        peak_growth >> 20
    );
}
