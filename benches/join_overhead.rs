//! `join_overhead`: recursive Fibonacci with a `join` at every call, serial vs brigade vs
//! rayon vs chili, at 1 and 2 threads and 8 (oversubscribed on a 2-core machine). After the
//! criterion run it prints the overhead per join, (T_pool - T_serial) / joins, and each
//! time relative to serial, from the medians of this same run. A second group runs fib(40)
//! at 2 threads, the size the project's targets are stated for.

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group};

const N: u64 = 30;
const BIG_N: u64 = 40;
const THREADS: [usize; 3] = [1, 2, 8];

fn fib_serial(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    fib_serial(n - 1) + fib_serial(n - 2)
}

/// Calls of `fib` with n >= 2, each of which joins once.
fn joins(n: u64) -> u64 {
    if n < 2 {
        0
    } else {
        1 + joins(n - 1) + joins(n - 2)
    }
}

fn fib_brigade(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = brigade::join(|| fib_brigade(n - 1), || fib_brigade(n - 2));
    a + b
}

fn fib_rayon(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = rayon::join(|| fib_rayon(n - 1), || fib_rayon(n - 2));
    a + b
}

fn fib_chili(s: &mut chili::Scope<'_>, n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = s.join(|s| fib_chili(s, n - 1), |s| fib_chili(s, n - 2));
    a + b
}

fn bench_group(c: &mut Criterion, n: u64, threads: &[usize], samples: usize) {
    let group_name = format!("join_overhead/fib_{n}");
    let mut g = c.benchmark_group(&group_name);
    g.sample_size(samples)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("serial", |b| b.iter(|| fib_serial(black_box(n))));
    for &t in threads {
        let pool = common::brigade_pool(t);
        g.bench_function(format!("brigade/{t}"), |b| {
            b.iter(|| pool.install(|| fib_brigade(black_box(n))))
        });
        drop(pool);
        let pool = common::rayon_pool(t);
        g.bench_function(format!("rayon/{t}"), |b| {
            b.iter(|| pool.install(|| fib_rayon(black_box(n))))
        });
        drop(pool);
        let pool = common::chili_pool(t);
        g.bench_function(format!("chili/{t}"), |b| {
            b.iter(|| {
                let mut s = pool.scope();
                fib_chili(&mut s, black_box(n))
            })
        });
        drop(pool);
    }
    g.finish();
}

fn bench(c: &mut Criterion) {
    bench_group(c, N, &THREADS, 20);
    bench_group(c, BIG_N, &[2], 10);
}

fn report_group(n: u64, threads: &[usize]) {
    let group = format!("join_overhead/fib_{n}");
    let joins = joins(n) as f64;
    let Some(serial) = common::median_ns(&group, "serial") else {
        return;
    };
    println!(
        "\njoin_overhead, fib({n}) = {joins} joins; overhead per join = (T - T_serial) / joins"
    );
    println!(
        "{:<10} {:>8} {:>14} {:>14} {:>12}",
        "library", "threads", "median (ms)", "ns per join", "T / T_serial"
    );
    println!(
        "{:<10} {:>8} {:>14.3} {:>14} {:>12.2}",
        "serial",
        1,
        serial / 1e6,
        "-",
        1.0
    );
    for &t in threads {
        for lib in ["brigade", "rayon", "chili"] {
            if let Some(ns) = common::median_ns(&group, &format!("{lib}/{t}")) {
                println!(
                    "{:<10} {:>8} {:>14.3} {:>14.2} {:>12.2}",
                    lib,
                    t,
                    ns / 1e6,
                    (ns - serial) / joins,
                    ns / serial
                );
            }
        }
    }
}

fn report() {
    report_group(N, &THREADS);
    report_group(BIG_N, &[2]);
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    report();
}
