//! `par_sort_unstable` and `par_sort` of 20,000,000 random `u64`s on 2 threads: brigade's
//! `par_sort_unstable` (a parallel quicksort) and `par_sort` (a parallel merge sort) beside
//! rayon's, and std's sequential sorts. Prints brigade's time
//! relative to rayon's from this run's medians.
//!
//! `cargo bench --bench sort -- --noplot` (one iteration per sample; a sort of 20M takes
//! about a second, its input copy is not timed).

mod common;

use std::hint::black_box;
use std::time::Duration;

use brigade::iter::ParallelSliceMut as BrigadeSlice;
use criterion::{BatchSize, Criterion, SamplingMode, criterion_group};
use rayon::slice::ParallelSliceMut as RayonSlice;

const LEN: usize = 20_000_000;
const THREADS: usize = 2;
const UNSTABLE: &str = "par_sort_unstable_20M_u64";
const STABLE: &str = "par_sort_20M_u64";

/// `LEN` pseudo-random `u64`s (xorshift64, fixed seed).
fn input() -> Vec<u64> {
    let mut x = 0x9E37_79B9_7F4A_7C15_u64;
    (0..LEN)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let input = input();
    let mut sorted = input.clone();
    sorted.sort_unstable();
    let brigade = common::brigade_pool(THREADS);
    let rayon = common::rayon_pool(THREADS);

    // Check every contender once before timing it.
    let check = |sort: &dyn Fn(&mut Vec<u64>)| {
        let mut v = input.clone();
        sort(&mut v);
        assert!(v == sorted, "a sort that does not sort");
    };
    check(&|v| brigade.install(|| BrigadeSlice::par_sort_unstable(v.as_mut_slice())));
    check(&|v| brigade.install(|| BrigadeSlice::par_sort(v.as_mut_slice())));
    check(&|v| rayon.install(|| RayonSlice::par_sort_unstable(v.as_mut_slice())));
    check(&|v| rayon.install(|| RayonSlice::par_sort(v.as_mut_slice())));

    for (group, stable) in [(UNSTABLE, false), (STABLE, true)] {
        let mut g = c.benchmark_group(group);
        g.sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(10));
        let fresh = || input.clone();
        g.bench_function("std", |b| {
            b.iter_batched_ref(
                fresh,
                |v| {
                    if stable { v.sort() } else { v.sort_unstable() }
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_function(format!("brigade/{THREADS}"), |b| {
            b.iter_batched_ref(
                fresh,
                |v| {
                    let v = black_box(v);
                    if stable {
                        brigade.install(|| BrigadeSlice::par_sort(v.as_mut_slice()))
                    } else {
                        brigade.install(|| BrigadeSlice::par_sort_unstable(v.as_mut_slice()))
                    }
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_function(format!("rayon/{THREADS}"), |b| {
            b.iter_batched_ref(
                fresh,
                |v| {
                    let v = black_box(v);
                    if stable {
                        rayon.install(|| RayonSlice::par_sort(v.as_mut_slice()))
                    } else {
                        rayon.install(|| RayonSlice::par_sort_unstable(v.as_mut_slice()))
                    }
                },
                BatchSize::LargeInput,
            )
        });
        g.finish();
    }
}

fn report() {
    let mut header = Some(format!(
        "\nsorting {LEN} random u64 on {THREADS} threads: median (ms), and brigade / rayon"
    ));
    for group in [UNSTABLE, STABLE] {
        let ms = |bench: &str| common::median_ns(group, bench).map(|ns| ns / 1e6);
        let (Some(std), Some(brigade), Some(rayon)) = (
            ms("std"),
            ms(&format!("brigade/{THREADS}")),
            ms(&format!("rayon/{THREADS}")),
        ) else {
            continue;
        };
        if let Some(header) = header.take() {
            println!("{header}");
        }
        println!(
            "{group:<28} std {std:>8.1}  brigade {brigade:>8.1}  rayon {rayon:>8.1}  \
             brigade/rayon {:.3}",
            brigade / rayon
        );
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    report();
}
