//! Watches a pool work: a table of each worker's metrics every 100 ms while it sums a skewed
//! workload (Mandelbrot rows, some thousand times costlier than others) with a parallel
//! loop, again and again, then checks the sum against a serial run.
//!
//! ```text
//! cargo run --release --example metrics              # about 2 s on 2 threads
//! cargo run --release --example metrics -- --quick   # a short run, for CI
//! cargo run --release --example metrics -- --threads 8
//! ```
//!
//! Columns, per worker and per 100 ms interval: jobs run, steals / steal attempts, heartbeat
//! promotions, times it went to sleep, busy time (running or looking for work, not asleep),
//! and its deque's length at the end of the interval.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use brigade::{PoolMetrics, Schedule, ThreadPool};

const WIDTH: usize = 320;
const HEIGHT: usize = 240;

/// Iterations until the point escapes, for row `y` and column `x` of the frame.
fn mandel(x: usize, y: usize, max_iter: u32) -> u32 {
    let cx = -2.2 + 3.0 * x as f64 / WIDTH as f64;
    let cy = -1.2 + 2.4 * y as f64 / HEIGHT as f64;
    let (mut zx, mut zy) = (0.0f64, 0.0f64);
    let mut i = 0;
    while i < max_iter && zx * zx + zy * zy <= 4.0 {
        let t = zx * zx - zy * zy + cx;
        zy = 2.0 * zx * zy + cy;
        zx = t;
        i += 1;
    }
    i
}

fn row_sum(y: usize, max_iter: u32) -> u64 {
    (0..WIDTH).map(|x| u64::from(mandel(x, y, max_iter))).sum()
}

fn print_interval(before: &PoolMetrics, after: &PoolMetrics, t: Duration) {
    println!(
        "t={:>5} ms  injected {:>4}",
        t.as_millis(),
        after.injected_jobs - before.injected_jobs
    );
    for (i, (b, a)) in before.workers.iter().zip(&after.workers).enumerate() {
        println!(
            "  worker {i}: jobs {:>6}  steals {:>4}/{:<5}  promotions {:>4}  sleeps {:>3}  busy {:>5.1} ms  deque {:>3}",
            a.jobs_run - b.jobs_run,
            a.steals - b.steals,
            a.steal_attempts - b.steal_attempts,
            a.heartbeat_promotions - b.heartbeat_promotions,
            a.parks - b.parks,
            a.busy_time.saturating_sub(b.busy_time).as_secs_f64() * 1e3,
            a.deque_len,
        );
    }
}

fn main() {
    let mut quick = false;
    let mut threads = 2;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--threads" => {
                threads = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .unwrap_or_else(|| {
                        eprintln!("metrics: --threads needs a positive number");
                        std::process::exit(2);
                    });
            }
            other => {
                eprintln!("metrics: unknown argument {other:?}; try --quick, --threads N");
                std::process::exit(2);
            }
        }
    }
    let (max_iter, run_for) = if quick {
        (200, Duration::from_millis(300))
    } else {
        (2_000, Duration::from_secs(2))
    };
    let pool = ThreadPool::builder()
        .num_threads(threads)
        .build()
        .expect("failed to build the pool");

    // Best of three serial frames, as the parallel figure below is the best of many: one
    // cold serial frame against the best parallel one overstated the speed-up.
    let mut serial = Duration::MAX;
    let mut expected = 0;
    for _ in 0..3 {
        let t = Instant::now();
        expected = (0..HEIGHT).map(|y| row_sum(y, max_iter)).sum::<u64>();
        serial = serial.min(t.elapsed());
    }
    println!(
        "serial: {:.1} ms per frame (best of 3)",
        serial.as_secs_f64() * 1e3
    );

    let done = AtomicBool::new(false);
    let (frames, parallel) = std::thread::scope(|s| {
        // The watcher: a table every 100 ms while the frames are computed.
        s.spawn(|| {
            let start = Instant::now();
            let mut last = pool.metrics();
            while !done.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(100));
                let now = pool.metrics();
                print_interval(&last, &now, start.elapsed());
                last = now;
            }
        });
        let start = Instant::now();
        let mut frames = 0u32;
        let mut best = Duration::MAX;
        while start.elapsed() < run_for {
            let t = Instant::now();
            let sum = pool.map_reduce(
                0..HEIGHT,
                Schedule::default(),
                || 0u64,
                |y| row_sum(y, max_iter),
                |a, b| a + b,
            );
            best = best.min(t.elapsed());
            assert_eq!(
                sum, expected,
                "frame {frames}: parallel sum differs from serial"
            );
            frames += 1;
        }
        done.store(true, Ordering::Release);
        (frames, best)
    });
    let total = pool.metrics();
    let jobs: u64 = total.workers.iter().map(|w| w.jobs_run).sum();
    println!(
        "{frames} frames, each equal to the serial sum; parallel {:.1} ms per frame (best), \
         {:.2}x serial on {threads} threads; {jobs} jobs run in all",
        parallel.as_secs_f64() * 1e3,
        serial.as_secs_f64() / parallel.as_secs_f64(),
    );
    assert!(frames > 0 && jobs > 0, "the pool ran nothing");
}
