//! `sync`: what waiting on `brigade::sync` costs, each primitive next to its std or crossbeam
//! peer in one criterion group, so that ratios read from one run compare like with like.
//!
//! - `sync/barrier_round_trip`: one phase of a 2-party barrier, brigade `Barrier` vs
//!   `std::sync::Barrier`. `threads/*`: the bench thread and a long-lived plain thread are
//!   the parties. `broadcast/*`: the two workers of a 2-thread brigade pool are the parties,
//!   inside one `broadcast` (worker 0's time). Reported per phase.
//! - `sync/signal_to_wake`: a ping-pong of one-shot signals, two signal-to-wake hops per
//!   round trip (the bench thread releases a "ping" its partner waits on, then waits on the
//!   partner's "pong"), with a fresh signal for every hop: brigade `Latch`, brigade
//!   `WaitGroup`, `crossbeam_utils::sync::WaitGroup`, and a `std::sync::Mutex<bool>` +
//!   `Condvar` latch. `threads/*`: the partner is a long-lived plain thread, so both waiters
//!   block on a condition variable. `pool_worker/*`: the partner runs on the only worker of a
//!   1-thread brigade pool, so brigade's ping waits take the pool-aware path (run tasks, then
//!   sleep in the pool's sleep state) while the peers block the worker; the pong waiter is
//!   still the plain bench thread. Reported per round trip (two hops).
//! - `sync/waiting_tasks_64_on_2_workers`: one scope on a 2-thread brigade pool whose 64
//!   tasks each count down a `CountLatch(64)` and then wait on it (a one-shot rendezvous of
//!   all 64), or leave and wait on a `WaitGroup`; `count_down_only` is the same scope without
//!   the wait, as a baseline. Reported per scope. There is no std peer: with std primitives
//!   the two workers block in the first two tasks and the other 62 never start (shown by
//!   `tests/sync_vs_std.rs`).
//!
//! The first two groups time, with `iter_custom`, round trips between threads that are
//! already running (a first, untimed round trip lines them up), so no thread start-up is
//! measured. Signals are allocated outside the timed loop, in chunks of `CHUNK` round trips;
//! dropping the last handle of a used signal happens inside it, for every kind alike.
//!
//! Run with `cargo bench --bench sync -- --noplot`: 15 benches of 1 s warm-up and 3 s
//! measurement, about 1 to 1.5 minutes (`-- --test` runs every bench once without
//! measuring). After the run it prints each time relative to its peer, from this run's
//! medians.

mod common;

use std::hint::black_box;
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use brigade::ThreadPool;
use brigade::sync::{CountLatch, Latch, WaitGroup};
use criterion::{BenchmarkGroup, Criterion, criterion_group, measurement::WallTime};

const BARRIER_GROUP: &str = "sync/barrier_round_trip";
const WAKE_GROUP: &str = "sync/signal_to_wake";
const TASKS_GROUP: &str = "sync/waiting_tasks_64_on_2_workers";

/// Tasks in one scope of the `waiting_tasks` group.
const TASKS: usize = 64;
/// Round trips whose signals are allocated at once, outside the timed loop.
const CHUNK: u64 = 1024;

fn configure(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
}

type Job = Box<dyn FnOnce() + Send>;

/// A long-lived plain thread that runs the jobs it is sent, one after another.
struct Partner {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Partner {
    fn new() -> Self {
        let (tx, rx) = mpsc::channel::<Job>();
        let thread = thread::Builder::new()
            .name("sync-bench-partner".into())
            .spawn(move || {
                for job in rx {
                    job();
                }
            })
            .expect("spawn the partner thread");
        Partner {
            jobs: Some(tx),
            thread: Some(thread),
        }
    }

    fn run(&self, job: Job) {
        self.jobs
            .as_ref()
            .expect("the partner is running")
            .send(job)
            .expect("the partner takes jobs");
    }
}

impl Drop for Partner {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

// ---- sync/barrier_round_trip ----

/// A barrier party: brigade's or std's `wait`.
trait Party: Send + Sync + 'static {
    fn meet(&self);
}

impl Party for brigade::sync::Barrier {
    #[inline]
    fn meet(&self) {
        black_box(self.wait());
    }
}

impl Party for std::sync::Barrier {
    #[inline]
    fn meet(&self) {
        black_box(self.wait());
    }
}

/// `iters` phases of a 2-party barrier between this thread and `partner`.
fn barrier_on_threads<B: Party>(barrier: &Arc<B>, partner: &Partner, iters: u64) -> Duration {
    let other = Arc::clone(barrier);
    partner.run(Box::new(move || {
        for _ in 0..=iters {
            other.meet();
        }
    }));
    barrier.meet(); // untimed: both parties are in their loops now
    let start = Instant::now();
    for _ in 0..iters {
        barrier.meet();
    }
    start.elapsed()
}

/// `iters` phases of a barrier with one party per worker of `pool`, in one `broadcast`.
fn barrier_in_broadcast<B: Party>(pool: &ThreadPool, barrier: &B, iters: u64) -> Duration {
    let times = pool.broadcast(|_| {
        barrier.meet(); // untimed: every worker has entered the broadcast
        let start = Instant::now();
        for _ in 0..iters {
            barrier.meet();
        }
        start.elapsed()
    });
    times[0]
}

fn bench_barrier(c: &mut Criterion) {
    let mut g = c.benchmark_group(BARRIER_GROUP);
    configure(&mut g);
    let partner = Partner::new();
    let barrier = Arc::new(brigade::sync::Barrier::new(2));
    g.bench_function("threads/brigade", |b| {
        b.iter_custom(|iters| barrier_on_threads(&barrier, &partner, iters))
    });
    let barrier = Arc::new(std::sync::Barrier::new(2));
    g.bench_function("threads/std", |b| {
        b.iter_custom(|iters| barrier_on_threads(&barrier, &partner, iters))
    });
    drop(partner);

    let pool = common::brigade_pool(2);
    let barrier = brigade::sync::Barrier::new(pool.current_num_threads());
    g.bench_function("broadcast/brigade", |b| {
        b.iter_custom(|iters| barrier_in_broadcast(&pool, &barrier, iters))
    });
    let barrier = std::sync::Barrier::new(pool.current_num_threads());
    g.bench_function("broadcast/std", |b| {
        b.iter_custom(|iters| barrier_in_broadcast(&pool, &barrier, iters))
    });
    drop(pool);
    g.finish();
}

// ---- sync/signal_to_wake ----

/// A one-shot signal as two ends, each used once: one thread waits on `Wait`, another
/// consumes `Release` to wake it.
trait OneShot: 'static {
    type Wait: Send + 'static;
    type Release: Send + 'static;
    fn pair() -> (Self::Wait, Self::Release);
    fn wait(end: Self::Wait);
    fn release(end: Self::Release);
}

/// `brigade::sync::Latch`: `set`, `wait`.
struct BrigadeLatch;

impl OneShot for BrigadeLatch {
    type Wait = Arc<Latch>;
    type Release = Arc<Latch>;
    fn pair() -> (Arc<Latch>, Arc<Latch>) {
        let latch = Arc::new(Latch::new());
        (Arc::clone(&latch), latch)
    }
    #[inline]
    fn wait(end: Arc<Latch>) {
        end.wait();
    }
    #[inline]
    fn release(end: Arc<Latch>) {
        end.set();
    }
}

/// `brigade::sync::WaitGroup` of two handles: one waits, the other is dropped.
struct BrigadeWaitGroup;

impl OneShot for BrigadeWaitGroup {
    type Wait = WaitGroup;
    type Release = WaitGroup;
    fn pair() -> (WaitGroup, WaitGroup) {
        let wg = WaitGroup::new();
        (wg.clone(), wg)
    }
    #[inline]
    fn wait(end: WaitGroup) {
        end.wait();
    }
    #[inline]
    fn release(end: WaitGroup) {
        drop(end);
    }
}

/// `crossbeam_utils::sync::WaitGroup` of two handles: one waits, the other is dropped.
struct CrossbeamWaitGroup;

impl OneShot for CrossbeamWaitGroup {
    type Wait = crossbeam_utils::sync::WaitGroup;
    type Release = crossbeam_utils::sync::WaitGroup;
    fn pair() -> (Self::Wait, Self::Release) {
        let wg = crossbeam_utils::sync::WaitGroup::new();
        (wg.clone(), wg)
    }
    #[inline]
    fn wait(end: Self::Wait) {
        end.wait();
    }
    #[inline]
    fn release(end: Self::Release) {
        drop(end);
    }
}

/// The textbook std latch: a `Mutex<bool>` and a `Condvar`.
struct StdLatch {
    set: Mutex<bool>,
    cond: Condvar,
}

impl OneShot for StdLatch {
    type Wait = Arc<StdLatch>;
    type Release = Arc<StdLatch>;
    fn pair() -> (Arc<StdLatch>, Arc<StdLatch>) {
        let latch = Arc::new(StdLatch {
            set: Mutex::new(false),
            cond: Condvar::new(),
        });
        (Arc::clone(&latch), latch)
    }
    #[inline]
    fn wait(end: Arc<StdLatch>) {
        let mut set = end.set.lock().expect("not poisoned");
        while !*set {
            set = end.cond.wait(set).expect("not poisoned");
        }
    }
    #[inline]
    fn release(end: Arc<StdLatch>) {
        *end.set.lock().expect("not poisoned") = true;
        end.cond.notify_all();
    }
}

/// `iters` ping-pong round trips with a partner that `run` starts; two hops each.
fn ping_pong<S: OneShot>(iters: u64, run: &dyn Fn(Job)) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(CHUNK);
        left -= n;
        total += ping_pong_chunk::<S>(n, run);
    }
    total
}

/// `n` timed round trips, after one untimed one that lines the partner up.
fn ping_pong_chunk<S: OneShot>(n: u64, run: &dyn Fn(Job)) -> Duration {
    let mut mine = Vec::with_capacity(n as usize + 1);
    let mut theirs = Vec::with_capacity(n as usize + 1);
    for _ in 0..=n {
        let (ping_wait, ping_release) = S::pair();
        let (pong_wait, pong_release) = S::pair();
        mine.push((ping_release, pong_wait));
        theirs.push((ping_wait, pong_release));
    }
    run(Box::new(move || {
        for (ping, pong) in theirs {
            S::wait(ping);
            S::release(pong);
        }
    }));
    let mut mine = mine.into_iter();
    let (ping, pong) = mine.next().expect("the untimed round trip");
    S::release(ping);
    S::wait(pong);
    let start = Instant::now();
    for (ping, pong) in mine.by_ref() {
        S::release(ping);
        S::wait(pong);
    }
    start.elapsed()
}

fn bench_signal_to_wake(c: &mut Criterion) {
    let mut g = c.benchmark_group(WAKE_GROUP);
    configure(&mut g);

    let partner = Partner::new();
    let on_thread = |job: Job| partner.run(job);
    g.bench_function("threads/brigade_latch", |b| {
        b.iter_custom(|iters| ping_pong::<BrigadeLatch>(iters, &on_thread))
    });
    g.bench_function("threads/brigade_wait_group", |b| {
        b.iter_custom(|iters| ping_pong::<BrigadeWaitGroup>(iters, &on_thread))
    });
    g.bench_function("threads/crossbeam_wait_group", |b| {
        b.iter_custom(|iters| ping_pong::<CrossbeamWaitGroup>(iters, &on_thread))
    });
    g.bench_function("threads/std_condvar_latch", |b| {
        b.iter_custom(|iters| ping_pong::<StdLatch>(iters, &on_thread))
    });
    drop(partner);

    // The partner is a task on the pool's only worker; the bench thread stays a plain
    // thread. One spawn per chunk of round trips, lined up by the untimed first one.
    let pool = common::brigade_pool(1);
    let on_worker = |job: Job| pool.spawn(job);
    g.bench_function("pool_worker/brigade_latch", |b| {
        b.iter_custom(|iters| ping_pong::<BrigadeLatch>(iters, &on_worker))
    });
    g.bench_function("pool_worker/brigade_wait_group", |b| {
        b.iter_custom(|iters| ping_pong::<BrigadeWaitGroup>(iters, &on_worker))
    });
    g.bench_function("pool_worker/crossbeam_wait_group", |b| {
        b.iter_custom(|iters| ping_pong::<CrossbeamWaitGroup>(iters, &on_worker))
    });
    g.bench_function("pool_worker/std_condvar_latch", |b| {
        b.iter_custom(|iters| ping_pong::<StdLatch>(iters, &on_worker))
    });
    drop(pool);
    g.finish();
}

// ---- sync/waiting_tasks_64_on_2_workers ----

// No std peer here: 64 tasks blocking on a `std::sync::Barrier` or a `Condvar` count-down in
// a 2-worker pool deadlock. `tests/sync_vs_std.rs` shows it, in a child process it kills.
fn bench_waiting_tasks(c: &mut Criterion) {
    let mut g = c.benchmark_group(TASKS_GROUP);
    configure(&mut g);
    let pool = common::brigade_pool(2);
    g.bench_function("count_latch", |b| {
        b.iter(|| {
            let latch = CountLatch::new(TASKS);
            let latch = &latch;
            pool.scope(|s| {
                for _ in 0..TASKS {
                    s.spawn(move |_| {
                        latch.count_down();
                        latch.wait();
                    });
                }
            });
        })
    });
    g.bench_function("wait_group", |b| {
        b.iter(|| {
            pool.scope(|s| {
                let wg = WaitGroup::new();
                for _ in 0..TASKS {
                    let wg = wg.clone();
                    s.spawn(move |_| wg.wait());
                }
                wg.done();
            });
        })
    });
    g.bench_function("count_down_only", |b| {
        b.iter(|| {
            let latch = CountLatch::new(TASKS);
            let latch = &latch;
            pool.scope(|s| {
                for _ in 0..TASKS {
                    s.spawn(move |_| latch.count_down());
                }
            });
        })
    });
    drop(pool);
    g.finish();
}

// ---- the report ----

/// `group/bench`'s median, and its ratio to `group/peer`'s, as a table row.
fn row(group: &str, bench: &str, peer: &str, unit: f64) {
    let Some(ns) = common::median_ns(group, bench) else {
        return;
    };
    let ratio = common::median_ns(group, peer)
        .map(|p| format!("{:.2}", ns / p))
        .unwrap_or_else(|| "-".into());
    println!("{bench:<34} {:>12.3} {:>12} {peer:>34}", ns / unit, ratio);
}

fn header(title: &str, unit: &str) {
    println!("\n{title}");
    println!(
        "{:<34} {:>12} {:>12} {:>34}",
        "bench", unit, "ratio", "to peer"
    );
}

fn report() {
    header(
        "sync/barrier_round_trip: one phase of a 2-party barrier",
        "us/phase",
    );
    for setting in ["threads", "broadcast"] {
        for lib in ["brigade", "std"] {
            let bench = format!("{setting}/{lib}");
            row(BARRIER_GROUP, &bench, &format!("{setting}/std"), 1e3);
        }
    }

    header(
        "sync/signal_to_wake: one ping-pong round trip (two signal-to-wake hops)",
        "us/trip",
    );
    for setting in ["threads", "pool_worker"] {
        for kind in [
            "brigade_latch",
            "brigade_wait_group",
            "crossbeam_wait_group",
            "std_condvar_latch",
        ] {
            let bench = format!("{setting}/{kind}");
            row(
                WAKE_GROUP,
                &bench,
                &format!("{setting}/crossbeam_wait_group"),
                1e3,
            );
        }
    }

    header(
        "sync/waiting_tasks_64_on_2_workers: one scope of 64 tasks (no std peer: it deadlocks)",
        "us/scope",
    );
    for bench in ["count_latch", "wait_group", "count_down_only"] {
        row(TASKS_GROUP, bench, "count_down_only", 1e3);
    }
}

criterion_group!(
    benches,
    bench_barrier,
    bench_signal_to_wake,
    bench_waiting_tasks
);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // `--test` and `--list` measure nothing: do not print the results of an earlier run.
    if !std::env::args().any(|a| a == "--test" || a == "--list") {
        report();
    }
}
