//! Prints how a few workloads speed up with the number of brigade threads on this machine.
//!
//! ```text
//! cargo run --release --example scaling
//! ```
//!
//! Each workload runs serially, then on brigade pools of 1, 2, 4 and 8 threads (more than
//! the machine's cores is oversubscribed, a real case that should degrade gracefully). Each
//! time is the best of a few runs; speedup is serial time / pool time, efficiency is speedup
//! / min(threads, cores).

use std::hint::black_box;
use std::time::{Duration, Instant};

use brigade::ThreadPool;

const THREADS: [usize; 4] = [1, 2, 4, 8];
const RUNS: usize = 5;

/// Fibonacci with a join at every call above a small cut-off.
fn fib(n: u64) -> u64 {
    if n < 20 {
        return fib_serial(n);
    }
    let (a, b) = brigade::join(|| fib(n - 1), || fib(n - 2));
    a + b
}

fn fib_serial(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib_serial(n - 1) + fib_serial(n - 2)
    }
}

/// Sum of squares by recursive halving with join.
fn sum_squares(v: &[u64]) -> u64 {
    if v.len() <= 16 * 1024 {
        return v
            .iter()
            .map(|x| x.wrapping_mul(*x))
            .fold(0, u64::wrapping_add);
    }
    let (l, r) = v.split_at(v.len() / 2);
    let (a, b) = brigade::join(|| sum_squares(l), || sum_squares(r));
    a.wrapping_add(b)
}

/// Iterations until escape for one pixel of the Mandelbrot set.
fn mandel_pixel(x: usize, y: usize, size: usize, max_iter: u32) -> u32 {
    let cx = x as f64 / size as f64 * 3.0 - 2.0;
    let cy = y as f64 / size as f64 * 3.0 - 1.5;
    let (mut zx, mut zy, mut i) = (0.0f64, 0.0f64, 0);
    while i < max_iter && zx * zx + zy * zy <= 4.0 {
        let t = zx * zx - zy * zy + cx;
        zy = 2.0 * zx * zy + cy;
        zx = t;
        i += 1;
    }
    i
}

fn mandel_row(row: &mut [u32], y: usize, size: usize) {
    for (x, px) in row.iter_mut().enumerate() {
        *px = mandel_pixel(x, y, size, 500);
    }
}

/// Quicksort; with `parallel`, both partitions go through `join`. Small slices use the
/// standard sort, in both modes, so serial and parallel runs do the same work.
fn quicksort(v: &mut [u32], parallel: bool) {
    if v.len() <= 4096 {
        v.sort_unstable();
        return;
    }
    let mid = partition(v);
    let (lo, hi) = v.split_at_mut(mid);
    let hi = &mut hi[1..];
    if parallel {
        brigade::join(|| quicksort(lo, true), || quicksort(hi, true));
    } else {
        quicksort(lo, false);
        quicksort(hi, false);
    }
}

/// Lomuto partition around the middle element; returns the pivot's final index.
fn partition(v: &mut [u32]) -> usize {
    let last = v.len() - 1;
    v.swap(v.len() / 2, last);
    let pivot = v[last];
    let mut store = 0;
    for i in 0..last {
        if v[i] < pivot {
            v.swap(i, store);
            store += 1;
        }
    }
    v.swap(store, last);
    store
}

/// A deterministic permutation-like sequence (xorshift), so every run sorts the same input.
fn shuffled(n: usize) -> Vec<u32> {
    let mut x = 0x2545_F491u32;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        })
        .collect()
}

/// Position-weighted sum: equal only for identically ordered slices.
fn checksum(v: &[u32]) -> u64 {
    v.iter().enumerate().fold(0u64, |acc, (i, &x)| {
        acc.wrapping_add((i as u64 + 1).wrapping_mul(x as u64))
    })
}

struct Workload {
    name: &'static str,
    serial: Box<dyn Fn() -> u64>,
    parallel: Box<dyn Fn(&ThreadPool) -> u64>,
}

fn workloads() -> Vec<Workload> {
    const MANDEL: usize = 512;
    let data: std::sync::Arc<Vec<u64>> = std::sync::Arc::new((0..8_000_000).collect());
    let data2 = data.clone();
    vec![
        Workload {
            name: "fib(35), join per call above n=20",
            serial: Box::new(|| fib_serial(black_box(35))),
            parallel: Box::new(|pool| pool.install(|| fib(black_box(35)))),
        },
        Workload {
            name: "sum of squares, 8M u64, join halving",
            serial: Box::new(move || {
                data.iter()
                    .map(|x| x.wrapping_mul(*x))
                    .fold(0, u64::wrapping_add)
            }),
            parallel: Box::new(move |pool| pool.install(|| sum_squares(&data2))),
        },
        Workload {
            name: "mandelbrot 512x512, a scope task per row",
            serial: Box::new(|| {
                let mut img = vec![0u32; MANDEL * MANDEL];
                for (y, row) in img.chunks_mut(MANDEL).enumerate() {
                    mandel_row(row, y, MANDEL);
                }
                img.iter().map(|&p| p as u64).sum()
            }),
            parallel: Box::new(|pool| {
                let mut img = vec![0u32; MANDEL * MANDEL];
                pool.scope(|s| {
                    for (y, row) in img.chunks_mut(MANDEL).enumerate() {
                        s.spawn(move |_| mandel_row(row, y, MANDEL));
                    }
                });
                img.iter().map(|&p| p as u64).sum()
            }),
        },
        Workload {
            name: "quicksort 2M u32, join per partition",
            serial: Box::new(|| {
                let mut v = shuffled(2_000_000);
                quicksort(&mut v, false);
                checksum(&v)
            }),
            parallel: Box::new(|pool| {
                let mut v = shuffled(2_000_000);
                pool.install(|| quicksort(&mut v, true));
                checksum(&v)
            }),
        },
    ]
}

fn best_of(f: impl Fn() -> u64) -> (Duration, u64) {
    let mut best = Duration::MAX;
    let mut value = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        value = black_box(f());
        best = best.min(t.elapsed());
    }
    (best, value)
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("brigade scaling on this machine: {cores} logical CPUs; best of {RUNS} runs each\n");
    println!(
        "{:<42} {:>8} {:>12} {:>9} {:>11}",
        "workload", "threads", "time (ms)", "speedup", "efficiency"
    );
    let pools: Vec<(usize, ThreadPool)> = THREADS
        .iter()
        .map(|&t| {
            (
                t,
                ThreadPool::builder()
                    .num_threads(t)
                    .build()
                    .expect("failed to build a pool"),
            )
        })
        .collect();
    for w in workloads() {
        let (serial, expected) = best_of(&w.serial);
        println!(
            "{:<42} {:>8} {:>12.2} {:>9} {:>11}",
            w.name,
            "serial",
            serial.as_secs_f64() * 1e3,
            "1.00",
            "-"
        );
        for (t, pool) in &pools {
            let (time, value) = best_of(|| (w.parallel)(pool));
            assert_eq!(
                value, expected,
                "{}: parallel result differs from serial",
                w.name
            );
            let speedup = serial.as_secs_f64() / time.as_secs_f64();
            let efficiency = speedup / (*t).min(cores) as f64;
            println!(
                "{:<42} {:>8} {:>12.2} {:>9.2} {:>10.0}%",
                "",
                t,
                time.as_secs_f64() * 1e3,
                speedup,
                efficiency * 100.0
            );
        }
    }
}
