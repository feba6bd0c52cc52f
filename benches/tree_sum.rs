//! `tree_sum` (chili's benchmark): a balanced binary tree of heap nodes, summed with a `join`
//! at every node, serial vs brigade vs chili vs rayon at 1, 2 and 8 threads, for a tree of
//! 1,023 nodes (where per-join overhead dominates) and one of 10,000,000 nodes at shuffled
//! addresses (see `tree`). Prints each time relative to serial from this run's medians.

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group};

use common::tree::{sum_brigade, sum_chili, sum_rayon, sum_serial, tree};

const SIZES: [usize; 2] = [1_023, 10_000_000];
const THREADS: [usize; 3] = [1, 2, 8];

fn group_name(size: usize) -> String {
    format!("tree_sum/{size}")
}

fn bench(c: &mut Criterion) {
    for size in SIZES {
        let root = tree(size, 1).expect("non-empty tree");
        let expected = (size as u64) * (size as u64 + 1) / 2;
        assert_eq!(sum_serial(&root), expected);
        let mut g = c.benchmark_group(group_name(size));
        let secs = if size > 100_000 { 5 } else { 2 };
        g.sample_size(if size > 100_000 { 10 } else { 50 })
            .measurement_time(Duration::from_secs(secs))
            .warm_up_time(Duration::from_secs(1));
        g.bench_function("serial", |b| b.iter(|| sum_serial(black_box(&root))));
        for t in THREADS {
            let pool = common::brigade_pool(t);
            assert_eq!(pool.install(|| sum_brigade(&root)), expected);
            g.bench_function(format!("brigade/{t}"), |b| {
                b.iter(|| pool.install(|| sum_brigade(black_box(&root))))
            });
            drop(pool);
            let pool = common::chili_pool(t);
            g.bench_function(format!("chili/{t}"), |b| {
                b.iter(|| {
                    let mut s = pool.scope();
                    sum_chili(&mut s, black_box(&root))
                })
            });
            drop(pool);
            let pool = common::rayon_pool(t);
            g.bench_function(format!("rayon/{t}"), |b| {
                b.iter(|| pool.install(|| sum_rayon(black_box(&root))))
            });
            drop(pool);
        }
        g.finish();
    }
}

fn report() {
    for size in SIZES {
        let group = group_name(size);
        let Some(serial) = common::median_ns(&group, "serial") else {
            continue;
        };
        println!(
            "\ntree_sum, {size} nodes: median time, and time relative to serial (lower is better)"
        );
        println!(
            "{:<10} {:>8} {:>14} {:>12}",
            "library", "threads", "median (ms)", "T / T_serial"
        );
        println!(
            "{:<10} {:>8} {:>14.4} {:>12.2}",
            "serial",
            1,
            serial / 1e6,
            1.0
        );
        for t in THREADS {
            for lib in ["brigade", "chili", "rayon"] {
                if let Some(ns) = common::median_ns(&group, &format!("{lib}/{t}")) {
                    println!(
                        "{:<10} {:>8} {:>14.4} {:>12.2}",
                        lib,
                        t,
                        ns / 1e6,
                        ns / serial
                    );
                }
            }
        }
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    report();
}
