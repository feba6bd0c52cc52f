//! `iter`: brigade's parallel iterators (`brigade::prelude`) beside rayon's, and beside the
//! same loops written with brigade's loop functions or std's sequential iterators; one
//! criterion group per comparison, every pool of 2 threads unless the group says 1.
//!
//! - `iter/collect_map_10m`: `v.par_iter().map(..).collect::<Vec<u64>>()` over 10M `u64`,
//!   brigade vs rayon (target: within 1.1x of rayon).
//! - `iter/max_map_10m`: `(0..n).into_par_iter().map(..).max()` over 10M integers, and the
//!   same with `map_reduce` (`loop_fn`), vs rayon and std's sequential iterator (target: no
//!   slower than rayon).
//! - `iter/best_200k/{1,2}/{max,max_by_key}`: `v.par_iter().copied().max()` and
//!   `max_by_key` with a cheap key over 200,000 random `u64`s (in cache), on pools of 1
//!   and 2 threads, vs rayon and std (target: no slower than rayon).
//! - `iter/tiny_sum/{100,1000}`: 1,000 `v.par_iter().sum()` of 100 or 1,000 `u64`s inside
//!   one `install`, vs rayon and std (target: no slower than rayon; see
//!   `docs/scheduling.md` on why tiny loops miss it).
//! - `iter/word_count_fold_200mb`: word count of 200 MB of text with
//!   `par_split_whitespace().fold(HashMap::new, ..).reduce(HashMap::new, merge)`, brigade vs
//!   rayon (target: no slower than rayon).
//! - `iter/enumerate_10m`, `iter/zip_10m`, `iter/chunks_mut_rows`: `enumerate`, `zip` and
//!   `par_chunks_mut` loops vs the same loop written with brigade's `for_each_chunk` /
//!   `for_each` (`loop_fn`), and rayon's (target: within 1.05x of `loop_fn`).
//! - `iter/find_any_100m`, `iter/any_100m`: a search over 100M integers whose match is at 1%,
//!   vs a full scan (`count` of the same filter) on the same pool, and rayon's (target:
//!   under 5% of the full scan).
//! - `iter/flat_map_search/{1,2}/{small,big,first}`: searches right after a `flat_map` of
//!   ranges, 10M items in all, on pools of 1 and 2 threads, vs rayon: `any` that finds
//!   nothing over 1M inner ranges of 10 (`small`) and 10,000 of 1,000 (`big`), and
//!   `find_first` of item 9,000,000 of the latter (`first`) (target: no slower than rayon).
//! - `iter/collect_unindexed/{1,2}/{flat_map,filter}`: `collect::<Vec<u64>>()` of 10M
//!   items from iterators that are not indexed (10,000 inner ranges of 1,000 under a
//!   `flat_map`; a `filter` that keeps two items in three of `0..15M`), on pools of 1 and 2
//!   threads, vs rayon (target: no slower than rayon).
//! - `iter/flat_map_few_outer/{1,3}`: `sum` over a `flat_map` of 1 or 3 outer items, each
//!   an inner range of 1M items of a few dozen ns of hashing, on 2 threads, vs rayon and
//!   std (target: no slower than rayon; the inner iterators are loops of their own); and
//!   the same with a `map_init` and a `fold` after the `flat_map` (`brigade_fold`,
//!   `rayon_fold`; target: no slower than rayon).
//! - `iter/flat_map_short_costly/{1,3}`: `sum` over a `flat_map` of 1 or 3 outer items,
//!   each an inner range of 64 items of about 20 µs, on 2 threads, vs rayon and std
//!   (target: no slower than rayon; the inner iterators are too short to be loops of their
//!   own, and are split when an idle worker asks for work).
//! - `iter/chain_any/{1,2}/{plain,filtered}`: 500 searches that find nothing over
//!   `a.par_iter().chain(b.par_iter())` of two 100,000-`u64` slices (in cache), and with a
//!   `filter` on the first side, inside one `install`, vs rayon (target: no slower than
//!   rayon).
//! - `iter/par_sort_unstable_20m`, `iter/par_sort_20m`: `par_sort_unstable` and `par_sort`
//!   of 20M random `u64`, brigade vs rayon, and std's sequential sort (targets: within 1.1x
//!   of rayon unstable, no slower than rayon stable). The input copy is not timed.
//! - `iter/one_thread/*`: each verb on a 1-thread brigade pool (`brigade`) vs the
//!   sequential std iterator on the bench thread (`std`) (target: within 1.2x); the sorts
//!   on 1M random `u64`.
//!
//! ```text
//! cargo bench --bench iter -- --noplot
//! ```
//!
//! After the runs it prints each target's ratio from this run's medians.

mod common;

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use brigade::Schedule;
use common::{brigade_pool, median_ns, rayon_pool};
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, SamplingMode, criterion_group, measurement::WallTime,
};

const THREADS: usize = 2;
const TEN_M: usize = 10_000_000;
const HUNDRED_M: u64 = 100_000_000;
const TEXT_BYTES: usize = 200 << 20;
const SORT_LEN: usize = 20_000_000;

fn configure(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
}

/// A cheap, non-trivial map: keeps the loop memory-bound, as a real `collect` is.
#[inline]
fn f(x: u64) -> u64 {
    x.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (x >> 7)
}

fn collect(c: &mut Criterion) {
    let bp = brigade_pool(THREADS);
    let rp = rayon_pool(THREADS);
    let v: Vec<u64> = (0..TEN_M as u64).collect();
    let want: Vec<u64> = v.iter().map(|&x| f(x)).collect();
    let mut g = c.benchmark_group("iter/collect_map_10m");
    configure(&mut g);
    g.bench_function("brigade", |b| {
        b.iter(|| {
            use brigade::prelude::*;
            bp.install(|| v.par_iter().map(|&x| f(x)).collect::<Vec<u64>>())
        })
    });
    g.bench_function("rayon", |b| {
        b.iter(|| {
            use rayon::prelude::*;
            rp.install(|| v.par_iter().map(|&x| f(x)).collect::<Vec<u64>>())
        })
    });
    g.finish();
    {
        use brigade::prelude::*;
        assert_eq!(
            bp.install(|| v.par_iter().map(|&x| f(x)).collect::<Vec<u64>>()),
            want
        );
    }
}

/// The largest of 10M hashed integers: a reduction whose per-piece loop the compiler must
/// keep tight (a `cmov` per item where it inlined the loop machinery made it 4x slower
/// than sequential code).
fn max_map(c: &mut Criterion) {
    let bp = brigade_pool(THREADS);
    let rp = rayon_pool(THREADS);
    let n = TEN_M as u64;
    let want = (0..n).map(f).max();
    let mut g = c.benchmark_group("iter/max_map_10m");
    configure(&mut g);
    g.bench_function("brigade", |b| {
        b.iter(|| {
            use brigade::prelude::*;
            bp.install(|| (0..black_box(n)).into_par_iter().map(f).max())
        })
    });
    g.bench_function("loop_fn", |b| {
        b.iter(|| bp.map_reduce(0..black_box(n), Schedule::default(), || 0, f, std::cmp::max))
    });
    g.bench_function("rayon", |b| {
        b.iter(|| {
            use rayon::prelude::*;
            rp.install(|| (0..black_box(n)).into_par_iter().map(f).max())
        })
    });
    g.bench_function("std", |b| b.iter(|| (0..black_box(n)).map(f).max()));
    g.finish();
    {
        use brigade::prelude::*;
        assert_eq!(bp.install(|| (0..n).into_par_iter().map(f).max()), want);
        assert_eq!(
            bp.map_reduce(0..n, Schedule::default(), || 0, f, std::cmp::max),
            want.unwrap()
        );
    }
}

/// The largest of 200,000 random `u64`s in cache, by value and by a cheap key: the loop
/// over a piece is all there is, and how it compiles (vector code with an emulated 64-bit
/// compare, a `cmov` chain, or a predicted branch) decides the time.
fn best(c: &mut Criterion) {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let v: Vec<u64> = (0..200_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        })
        .collect();
    let key = |x: &u64| x ^ 0x5555;
    for threads in [1, 2] {
        let bp = brigade_pool(threads);
        let rp = rayon_pool(threads);
        let mut g = c.benchmark_group(format!("iter/best_200k/{threads}/max"));
        configure(&mut g);
        g.bench_function("brigade", |b| {
            use brigade::prelude::*;
            b.iter(|| bp.install(|| black_box(&v).par_iter().copied().max()))
        });
        g.bench_function("rayon", |b| {
            use rayon::prelude::*;
            b.iter(|| rp.install(|| black_box(&v).par_iter().copied().max()))
        });
        g.bench_function("std", |b| b.iter(|| black_box(&v).iter().copied().max()));
        g.finish();
        let mut g = c.benchmark_group(format!("iter/best_200k/{threads}/max_by_key"));
        configure(&mut g);
        g.bench_function("brigade", |b| {
            use brigade::prelude::*;
            b.iter(|| bp.install(|| black_box(&v).par_iter().copied().max_by_key(key)))
        });
        g.bench_function("rayon", |b| {
            use rayon::prelude::*;
            b.iter(|| rp.install(|| black_box(&v).par_iter().copied().max_by_key(key)))
        });
        g.bench_function("std", |b| {
            b.iter(|| black_box(&v).iter().copied().max_by_key(key))
        });
        g.finish();
        {
            use brigade::prelude::*;
            assert_eq!(
                bp.install(|| v.par_iter().copied().max()),
                v.iter().copied().max()
            );
            assert_eq!(
                bp.install(|| v.par_iter().copied().max_by_key(key)),
                v.iter().copied().max_by_key(key)
            );
        }
    }
}

/// Tiny inputs, many times: 1,000 sums of `n` `u64`s inside one `install`, where the
/// fork-join overhead is all there is (a loop of 100 items is about 30 ns of work).
fn tiny_sum(c: &mut Criterion) {
    let bp = brigade_pool(THREADS);
    let rp = rayon_pool(THREADS);
    for n in [100u64, 1000] {
        let v: Vec<u64> = (0..n).collect();
        let want: u64 = v.iter().sum();
        let mut g = c.benchmark_group(format!("iter/tiny_sum/{n}"));
        configure(&mut g);
        g.bench_function("brigade", |b| {
            b.iter(|| {
                use brigade::prelude::*;
                bp.install(|| {
                    (0..1000)
                        .map(|_| black_box(&v).par_iter().sum::<u64>())
                        .fold(0, u64::wrapping_add)
                })
            })
        });
        g.bench_function("rayon", |b| {
            b.iter(|| {
                use rayon::prelude::*;
                rp.install(|| {
                    (0..1000)
                        .map(|_| black_box(&v).par_iter().sum::<u64>())
                        .fold(0, u64::wrapping_add)
                })
            })
        });
        g.bench_function("std", |b| {
            b.iter(|| {
                (0..1000)
                    .map(|_| black_box(&v).iter().sum::<u64>())
                    .fold(0, u64::wrapping_add)
            })
        });
        g.finish();
        {
            use brigade::prelude::*;
            assert_eq!(bp.install(|| v.par_iter().sum::<u64>()), want);
        }
    }
}

/// About `bytes` of text: words of 1 to 12 letters from a vocabulary of 50,000, separated
/// by spaces and, every 12 words, a newline; the same text on every run.
fn text(bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 16);
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut n = 0u64;
    while s.len() < bytes {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let word = rng % 50_000;
        let len = 1 + (word % 12) as usize;
        for k in 0..len {
            s.push(char::from(b'a' + ((word >> (k % 8)) as u8 + k as u8) % 26));
        }
        n += 1;
        s.push(if n.is_multiple_of(12) { '\n' } else { ' ' });
    }
    s
}

fn merge<'a>(mut a: HashMap<&'a str, u32>, b: HashMap<&'a str, u32>) -> HashMap<&'a str, u32> {
    let (mut a, b) = if a.len() < b.len() {
        (b, a)
    } else {
        (std::mem::take(&mut a), b)
    };
    for (w, n) in b {
        *a.entry(w).or_insert(0) += n;
    }
    a
}

fn word_count(c: &mut Criterion) {
    let bp = brigade_pool(THREADS);
    let rp = rayon_pool(THREADS);
    let text = text(TEXT_BYTES);
    let count = |m: HashMap<&str, u32>| m.values().map(|&n| u64::from(n)).sum::<u64>();
    let brigade_run = || {
        use brigade::prelude::*;
        bp.install(|| {
            text.par_split_whitespace()
                .fold(HashMap::new, |mut m, w| {
                    *m.entry(w).or_insert(0) += 1;
                    m
                })
                .reduce(HashMap::new, merge)
        })
    };
    let rayon_run = || {
        use rayon::prelude::*;
        rp.install(|| {
            text.par_split_whitespace()
                .fold(HashMap::new, |mut m, w| {
                    *m.entry(w).or_insert(0) += 1;
                    m
                })
                .reduce(HashMap::new, merge)
        })
    };
    assert_eq!(count(brigade_run()), count(rayon_run()));
    let mut g = c.benchmark_group("iter/word_count_fold_200mb");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    g.bench_function("brigade", |b| b.iter(|| black_box(brigade_run()).len()));
    g.bench_function("rayon", |b| b.iter(|| black_box(rayon_run()).len()));
    g.finish();
}

/// The `enumerate`, `zip` and `par_chunks_mut` loops, each three ways.
fn adaptors(c: &mut Criterion) {
    let bp = brigade_pool(THREADS);
    let rp = rayon_pool(THREADS);
    let sched = Schedule::default();

    let mut out = vec![0u64; TEN_M];
    let mut g = c.benchmark_group("iter/enumerate_10m");
    configure(&mut g);
    g.bench_function("iter", |b| {
        b.iter(|| {
            use brigade::prelude::*;
            bp.install(|| {
                out.par_iter_mut()
                    .enumerate()
                    .for_each(|(i, x)| *x = f(i as u64))
            })
        })
    });
    g.bench_function("loop_fn", |b| {
        b.iter(|| {
            bp.for_each_chunk(&mut out, sched, |start, chunk| {
                for (k, x) in chunk.iter_mut().enumerate() {
                    *x = f((start + k) as u64);
                }
            })
        })
    });
    g.bench_function("rayon", |b| {
        b.iter(|| {
            use rayon::prelude::*;
            rp.install(|| {
                out.par_iter_mut()
                    .enumerate()
                    .for_each(|(i, x)| *x = f(i as u64))
            })
        })
    });
    g.finish();

    let a: Vec<u64> = (0..TEN_M as u64).collect();
    let mut g = c.benchmark_group("iter/zip_10m");
    configure(&mut g);
    g.bench_function("iter", |b| {
        b.iter(|| {
            use brigade::prelude::*;
            bp.install(|| out.par_iter_mut().zip(&a).for_each(|(o, &x)| *o = f(x)))
        })
    });
    g.bench_function("loop_fn", |b| {
        b.iter(|| {
            bp.for_each_chunk(&mut out, sched, |start, chunk| {
                for (o, &x) in chunk.iter_mut().zip(&a[start..]) {
                    *o = f(x);
                }
            })
        })
    });
    g.bench_function("rayon", |b| {
        b.iter(|| {
            use rayon::prelude::*;
            rp.install(|| out.par_iter_mut().zip(&a).for_each(|(o, &x)| *o = f(x)))
        })
    });
    g.finish();

    // Rows of a 4096 x 2048 image of `u32` pixels.
    const W: usize = 4096;
    let row = |y: usize, px: &mut [u32]| {
        for (x, p) in px.iter_mut().enumerate() {
            *p = (x as u32 ^ y as u32).wrapping_mul(2_654_435_761);
        }
    };
    let mut image = vec![0u32; W * 2048];
    let mut g = c.benchmark_group("iter/chunks_mut_rows");
    configure(&mut g);
    g.bench_function("iter", |b| {
        b.iter(|| {
            use brigade::prelude::*;
            bp.install(|| {
                image
                    .par_chunks_mut(W)
                    .enumerate()
                    .for_each(|(y, px)| row(y, px))
            })
        })
    });
    // What the issue's programs did without `par_chunks_mut`: gather the rows first.
    g.bench_function("loop_fn", |b| {
        b.iter(|| {
            let mut rows: Vec<(usize, &mut [u32])> = image.chunks_mut(W).enumerate().collect();
            bp.for_each(&mut rows, sched, |(y, px)| row(*y, px));
        })
    });
    g.bench_function("rayon", |b| {
        b.iter(|| {
            use rayon::prelude::*;
            rp.install(|| {
                image
                    .par_chunks_mut(W)
                    .enumerate()
                    .for_each(|(y, px)| row(y, px))
            })
        })
    });
    g.finish();
}

/// Searches whose match is at 1% of 100M items, and the full scan they avoid.
fn early_exit(c: &mut Criterion) {
    let bp = brigade_pool(THREADS);
    let rp = rayon_pool(THREADS);
    let hit = HUNDRED_M / 100;
    let is_hit = move |x: u64| f(x) == f(hit);
    let mut g = c.benchmark_group("iter/find_any_100m");
    configure(&mut g);
    g.bench_function("brigade", |b| {
        b.iter(|| {
            use brigade::prelude::*;
            bp.install(|| (0..HUNDRED_M).into_par_iter().find_any(|&x| is_hit(x)))
        })
    });
    g.bench_function("brigade_full_scan", |b| {
        b.iter(|| {
            use brigade::prelude::*;
            bp.install(|| {
                (0..HUNDRED_M)
                    .into_par_iter()
                    .filter(|&x| is_hit(x))
                    .count()
            })
        })
    });
    g.bench_function("rayon", |b| {
        b.iter(|| {
            use rayon::prelude::*;
            rp.install(|| (0..HUNDRED_M).into_par_iter().find_any(|&x| is_hit(x)))
        })
    });
    g.finish();
    let mut g = c.benchmark_group("iter/any_100m");
    configure(&mut g);
    g.bench_function("brigade", |b| {
        b.iter(|| {
            use brigade::prelude::*;
            bp.install(|| (0..HUNDRED_M).into_par_iter().any(is_hit))
        })
    });
    g.bench_function("rayon", |b| {
        b.iter(|| {
            use rayon::prelude::*;
            rp.install(|| (0..HUNDRED_M).into_par_iter().any(is_hit))
        })
    });
    g.finish();
}

/// Searches right after a `flat_map` of ranges (each inner range is one indexed iterator).
fn flat_map_search(c: &mut Criterion) {
    // (name, outer items, inner items, item searched for: none past the end)
    let shapes = [
        ("small", 1_000_000u64, 10u64, u64::MAX),
        ("big", 10_000, 1_000, u64::MAX),
        ("first", 10_000, 1_000, 9_000_000),
    ];
    for threads in [1, 2] {
        let bp = brigade_pool(threads);
        let rp = rayon_pool(threads);
        for (name, outer, inner, want) in shapes {
            let mut g = c.benchmark_group(format!("iter/flat_map_search/{threads}/{name}"));
            configure(&mut g);
            g.bench_function("brigade", |b| {
                use brigade::prelude::*;
                b.iter(|| {
                    bp.install(|| {
                        let it = (0..outer)
                            .into_par_iter()
                            .flat_map(|i| (0..inner).into_par_iter().map(move |j| i * inner + j));
                        if want == u64::MAX {
                            it.any(|x| x == want).then_some(0)
                        } else {
                            it.find_first(|&x| x == want)
                        }
                    })
                })
            });
            g.bench_function("rayon", |b| {
                use rayon::prelude::*;
                b.iter(|| {
                    rp.install(|| {
                        let it = (0..outer)
                            .into_par_iter()
                            .flat_map(|i| (0..inner).into_par_iter().map(move |j| i * inner + j));
                        if want == u64::MAX {
                            it.any(|x| x == want).then_some(0)
                        } else {
                            it.find_first(|&x| x == want)
                        }
                    })
                })
            });
            g.finish();
        }
    }
}

/// `collect` into a `Vec` from iterators that are not indexed: a `Vec` per run, joined.
fn collect_unindexed(c: &mut Criterion) {
    for threads in [1, 2] {
        let bp = brigade_pool(threads);
        let rp = rayon_pool(threads);
        for name in ["flat_map", "filter"] {
            let mut g = c.benchmark_group(format!("iter/collect_unindexed/{threads}/{name}"));
            configure(&mut g);
            macro_rules! collect {
                () => {
                    if name == "flat_map" {
                        (0..10_000u64)
                            .into_par_iter()
                            .flat_map(|i| (0..1_000u64).into_par_iter().map(move |j| i * j))
                            .collect::<Vec<u64>>()
                    } else {
                        (0..15_000_000u64)
                            .into_par_iter()
                            .filter(|x| x % 3 != 0)
                            .collect::<Vec<u64>>()
                    }
                };
            }
            g.bench_function("brigade", |b| {
                use brigade::prelude::*;
                b.iter(|| bp.install(|| collect!()))
            });
            g.bench_function("rayon", |b| {
                use rayon::prelude::*;
                b.iter(|| rp.install(|| collect!()))
            });
            g.finish();
        }
    }
}

/// A few outer items whose inner iterators hold all the work.
fn flat_map_few_outer(c: &mut Criterion) {
    let bp = brigade_pool(THREADS);
    let rp = rayon_pool(THREADS);
    const INNER: u64 = 1_000_000;
    fn work(x: u64) -> u64 {
        let mut h = x;
        for _ in 0..16 {
            h = h.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ x;
        }
        h
    }
    for outer in [1u64, 3] {
        let mut g = c.benchmark_group(format!("iter/flat_map_few_outer/{outer}"));
        configure(&mut g);
        flat_map_sum_rows(&mut g, (&bp, &rp), outer, INNER, work);
        // The same through a `fold` and a `map_init` between the `flat_map` and its
        // terminal, which used to run each inner iterator on one worker.
        macro_rules! fold_then_map_init {
            () => {
                (0..black_box(outer))
                    .into_par_iter()
                    .flat_map(|o| (0..INNER).into_par_iter().map(move |i| o * INNER + i))
                    .map_init(|| black_box(1u64), |one, x| work(x) ^ *one)
                    .fold(|| 0, u64::wrapping_add)
                    .reduce(|| 0, u64::wrapping_add)
            };
        }
        g.bench_function("brigade_fold", |b| {
            use brigade::prelude::*;
            b.iter(|| bp.install(|| fold_then_map_init!()))
        });
        g.bench_function("rayon_fold", |b| {
            use rayon::prelude::*;
            b.iter(|| rp.install(|| fold_then_map_init!()))
        });
        g.finish();
    }
}

/// A `flat_map` of 1 or 3 outer items, each 64 inner items of about 20 µs: short inner
/// iterators (no loops of their own by length) whose items are costly.
fn flat_map_short_costly(c: &mut Criterion) {
    let bp = brigade_pool(THREADS);
    let rp = rayon_pool(THREADS);
    const INNER: u64 = 64;
    fn heavy(x: u64) -> u64 {
        let mut h = x;
        for i in 0..16_000u64 {
            h = h.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ i;
        }
        h
    }
    for outer in [1u64, 3] {
        let mut g = c.benchmark_group(format!("iter/flat_map_short_costly/{outer}"));
        configure(&mut g);
        flat_map_sum_rows(&mut g, (&bp, &rp), outer, INNER, heavy);
        g.finish();
    }
}

/// The `brigade`, `rayon` and `serial` rows of a group: the sum of `work` over a
/// `flat_map` of `outer` items, each an inner range of `inner` items.
fn flat_map_sum_rows<W>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    (bp, rp): (&brigade::ThreadPool, &rayon::ThreadPool),
    outer: u64,
    inner: u64,
    work: W,
) where
    // A function item (not a pointer): `work` is inlined in every row, as it was when
    // each group wrote its rows itself.
    W: Fn(u64) -> u64 + Copy + Send + Sync,
{
    macro_rules! sum {
        () => {
            (0..black_box(outer))
                .into_par_iter()
                .flat_map(|o| (0..inner).into_par_iter().map(move |i| work(o * inner + i)))
                .reduce(|| 0, u64::wrapping_add)
        };
    }
    g.bench_function("brigade", |b| {
        use brigade::prelude::*;
        b.iter(|| bp.install(|| sum!()))
    });
    g.bench_function("rayon", |b| {
        use rayon::prelude::*;
        b.iter(|| rp.install(|| sum!()))
    });
    g.bench_function("serial", |b| {
        b.iter(|| {
            (0..black_box(outer))
                .flat_map(|o| (0..inner).map(move |i| work(o * inner + i)))
                .fold(0, u64::wrapping_add)
        })
    });
}

/// Searches over a `chain` of two slices in cache, many in one `install`.
fn chain_any(c: &mut Criterion) {
    let a: Vec<u64> = (0..100_000).collect();
    let b2: Vec<u64> = (100_000..200_000).collect();
    for threads in [1, 2] {
        let bp = brigade_pool(threads);
        let rp = rayon_pool(threads);
        for name in ["plain", "filtered"] {
            let mut g = c.benchmark_group(format!("iter/chain_any/{threads}/{name}"));
            configure(&mut g);
            macro_rules! searches {
                () => {{
                    let mut hits = 0;
                    for _ in 0..500 {
                        let (a, b2) = (black_box(&a), black_box(&b2));
                        let hit = if name == "plain" {
                            a.par_iter().chain(b2.par_iter()).any(|&x| x == u64::MAX)
                        } else {
                            a.par_iter()
                                .filter(|&&x| x != 3)
                                .chain(b2.par_iter())
                                .any(|&x| x == u64::MAX)
                        };
                        hits += usize::from(hit);
                    }
                    hits
                }};
            }
            g.bench_function("brigade", |b| {
                use brigade::prelude::*;
                b.iter(|| bp.install(|| searches!()))
            });
            g.bench_function("rayon", |b| {
                use rayon::prelude::*;
                b.iter(|| rp.install(|| searches!()))
            });
            g.finish();
        }
    }
}

/// Every verb on a 1-thread pool vs std's sequential iterator.
fn one_thread(c: &mut Criterion) {
    use brigade::prelude::*;
    let bp = brigade_pool(1);
    let v: Vec<u64> = (0..TEN_M as u64).collect();
    let mut out = vec![0u64; TEN_M];
    let text = text(16 << 20);
    let mut g = c.benchmark_group("iter/one_thread");
    configure(&mut g);
    macro_rules! pair {
        ($name:literal, $std:expr, $brigade:expr) => {
            g.bench_function(concat!("std/", $name), |b| b.iter(|| black_box($std)));
            g.bench_function(concat!("brigade/", $name), |b| {
                b.iter(|| bp.install(|| black_box($brigade)))
            });
        };
    }
    pair!(
        "map_collect",
        v.iter().map(|&x| f(x)).collect::<Vec<_>>(),
        v.par_iter().map(|&x| f(x)).collect::<Vec<_>>()
    );
    pair!(
        "filter_collect",
        v.iter()
            .filter(|&&x| f(x).is_multiple_of(3))
            .collect::<Vec<_>>(),
        v.par_iter()
            .filter(|&&x| f(x).is_multiple_of(3))
            .collect::<Vec<_>>()
    );
    pair!(
        "sum",
        v.iter().map(|&x| f(x)).sum::<u64>(),
        v.par_iter().map(|&x| f(x)).sum::<u64>()
    );
    pair!(
        "reduce",
        v.iter().map(|&x| f(x)).fold(0, u64::wrapping_add),
        v.par_iter().map(|&x| f(x)).reduce(|| 0, u64::wrapping_add)
    );
    pair!(
        "fold_sum",
        v.iter().fold(0u64, |a, &x| a ^ f(x)),
        v.par_iter()
            .fold(|| 0u64, |a, &x| a ^ f(x))
            .reduce(|| 0, |a, b| a ^ b)
    );
    pair!(
        "count_filter",
        v.iter().filter(|&&x| f(x) & 1 == 0).count(),
        v.par_iter().filter(|&&x| f(x) & 1 == 0).count()
    );
    pair!("max", v.iter().max(), v.par_iter().max());
    pair!(
        "max_map",
        (0..TEN_M as u64).map(f).max(),
        (0..TEN_M as u64).into_par_iter().map(f).max()
    );
    pair!(
        "min_by_key",
        v.iter().min_by_key(|&&x| f(x)),
        v.par_iter().min_by_key(|&&x| f(x))
    );
    pair!(
        "any_none",
        v.iter().any(|&x| f(x) == 1),
        v.par_iter().any(|&x| f(x) == 1)
    );
    pair!(
        "find_first_last",
        v.iter().find(|&&x| x == TEN_M as u64 - 1),
        v.par_iter().find_first(|&&x| x == TEN_M as u64 - 1)
    );
    pair!(
        "unzip",
        v.iter().map(|&x| (x, f(x))).unzip::<_, _, Vec<_>, Vec<_>>(),
        v.par_iter()
            .map(|&x| (x, f(x)))
            .unzip::<_, _, Vec<_>, Vec<_>>()
    );
    pair!(
        "words",
        text.split_whitespace().count(),
        text.par_split_whitespace().count()
    );
    pair!("lines", text.lines().count(), text.par_lines().count());
    g.bench_function("std/enumerate_for_each", |b| {
        b.iter(|| {
            out.iter_mut()
                .enumerate()
                .for_each(|(i, x)| *x = f(i as u64))
        })
    });
    g.bench_function("brigade/enumerate_for_each", |b| {
        b.iter(|| {
            bp.install(|| {
                out.par_iter_mut()
                    .enumerate()
                    .for_each(|(i, x)| *x = f(i as u64))
            })
        })
    });
    g.bench_function("std/zip_for_each", |b| {
        b.iter(|| out.iter_mut().zip(&v).for_each(|(o, &x)| *o = f(x)))
    });
    g.bench_function("brigade/zip_for_each", |b| {
        b.iter(|| bp.install(|| out.par_iter_mut().zip(&v).for_each(|(o, &x)| *o = f(x))))
    });
    g.bench_function("std/chunks_mut", |b| {
        b.iter(|| {
            out.chunks_mut(4096)
                .for_each(|c| c.iter_mut().for_each(|x| *x = f(*x)))
        })
    });
    g.bench_function("brigade/chunks_mut", |b| {
        b.iter(|| {
            bp.install(|| {
                out.par_chunks_mut(4096)
                    .for_each(|c| c.iter_mut().for_each(|x| *x = f(*x)))
            })
        })
    });
    let unsorted = random_u64s(1_000_000);
    for (name, stable) in [("sort_unstable_1m", false), ("sort_1m", true)] {
        g.bench_function(format!("std/{name}"), |b| {
            b.iter_batched_ref(
                || unsorted.clone(),
                |v| {
                    if stable { v.sort() } else { v.sort_unstable() }
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_function(format!("brigade/{name}"), |b| {
            b.iter_batched_ref(
                || unsorted.clone(),
                |v| {
                    if stable {
                        bp.install(|| v.par_sort())
                    } else {
                        bp.install(|| v.par_sort_unstable())
                    }
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

/// `n` pseudo-random `u64`s (xorshift64, fixed seed).
fn random_u64s(n: usize) -> Vec<u64> {
    let mut x = 0x9E37_79B9_7F4A_7C15_u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        })
        .collect()
}

/// `par_sort_unstable` and `par_sort` of 20M random `u64`: brigade, rayon and std.
fn sort(c: &mut Criterion) {
    use brigade::iter::ParallelSliceMut as BrigadeSlice;
    use rayon::slice::ParallelSliceMut as RayonSlice;
    let bp = brigade_pool(THREADS);
    let rp = rayon_pool(THREADS);
    let input = random_u64s(SORT_LEN);
    let mut sorted = input.clone();
    sorted.sort_unstable();
    // Check every contender once before timing it.
    let check = |sort: &dyn Fn(&mut Vec<u64>)| {
        let mut v = input.clone();
        sort(&mut v);
        assert!(v == sorted, "a sort that does not sort");
    };
    check(&|v| bp.install(|| BrigadeSlice::par_sort_unstable(v.as_mut_slice())));
    check(&|v| bp.install(|| BrigadeSlice::par_sort(v.as_mut_slice())));
    check(&|v| rp.install(|| RayonSlice::par_sort_unstable(v.as_mut_slice())));
    check(&|v| rp.install(|| RayonSlice::par_sort(v.as_mut_slice())));
    for (group, stable) in [
        ("iter/par_sort_unstable_20m", false),
        ("iter/par_sort_20m", true),
    ] {
        let mut g = c.benchmark_group(group);
        // A sort of 20M takes about a second: one iteration per sample.
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
        g.bench_function("brigade", |b| {
            b.iter_batched_ref(
                fresh,
                |v| {
                    let v = black_box(v).as_mut_slice();
                    if stable {
                        bp.install(|| BrigadeSlice::par_sort(v))
                    } else {
                        bp.install(|| BrigadeSlice::par_sort_unstable(v))
                    }
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_function("rayon", |b| {
            b.iter_batched_ref(
                fresh,
                |v| {
                    let v = black_box(v).as_mut_slice();
                    if stable {
                        rp.install(|| RayonSlice::par_sort(v))
                    } else {
                        rp.install(|| RayonSlice::par_sort_unstable(v))
                    }
                },
                BatchSize::LargeInput,
            )
        });
        g.finish();
    }
}

/// Prints each target's ratio from this run's medians.
fn report() {
    struct Target {
        what: &'static str,
        a: (&'static str, &'static str),
        b: (&'static str, &'static str),
        bound: f64,
    }
    let t = |what, a, b, bound| Target { what, a, b, bound };
    let mut targets = vec![
        t(
            "collect of a map, 10M u64: within 1.1x rayon",
            ("iter/collect_map_10m", "brigade"),
            ("iter/collect_map_10m", "rayon"),
            1.1,
        ),
        t(
            "max of a map, 10M u64: no slower than rayon",
            ("iter/max_map_10m", "brigade"),
            ("iter/max_map_10m", "rayon"),
            1.0,
        ),
        t(
            "max of 200k u64 in cache, 1 thread: no slower than rayon",
            ("iter/best_200k/1/max", "brigade"),
            ("iter/best_200k/1/max", "rayon"),
            1.0,
        ),
        t(
            "max of 200k u64 in cache, 2 threads: no slower than rayon",
            ("iter/best_200k/2/max", "brigade"),
            ("iter/best_200k/2/max", "rayon"),
            1.0,
        ),
        t(
            "max_by_key of 200k u64 in cache, 1 thread: no slower than rayon",
            ("iter/best_200k/1/max_by_key", "brigade"),
            ("iter/best_200k/1/max_by_key", "rayon"),
            1.0,
        ),
        t(
            "max_by_key of 200k u64 in cache, 2 threads: no slower than rayon",
            ("iter/best_200k/2/max_by_key", "brigade"),
            ("iter/best_200k/2/max_by_key", "rayon"),
            1.0,
        ),
        t(
            "max of a map with map_reduce, 10M u64: no slower than rayon",
            ("iter/max_map_10m", "loop_fn"),
            ("iter/max_map_10m", "rayon"),
            1.0,
        ),
        t(
            "1,000 sums of 100 u64: no slower than rayon",
            ("iter/tiny_sum/100", "brigade"),
            ("iter/tiny_sum/100", "rayon"),
            1.0,
        ),
        t(
            "1,000 sums of 1,000 u64: no slower than rayon",
            ("iter/tiny_sum/1000", "brigade"),
            ("iter/tiny_sum/1000", "rayon"),
            1.0,
        ),
        t(
            "sum over a flat_map of 1 outer item, 1M inner: no slower than rayon",
            ("iter/flat_map_few_outer/1", "brigade"),
            ("iter/flat_map_few_outer/1", "rayon"),
            1.0,
        ),
        t(
            "sum over a flat_map of 3 outer items, 1M inner each: no slower than rayon",
            ("iter/flat_map_few_outer/3", "brigade"),
            ("iter/flat_map_few_outer/3", "rayon"),
            1.0,
        ),
        t(
            "map_init + fold over a flat_map of 1 outer item: no slower than rayon",
            ("iter/flat_map_few_outer/1", "brigade_fold"),
            ("iter/flat_map_few_outer/1", "rayon_fold"),
            1.0,
        ),
        t(
            "map_init + fold over a flat_map of 3 outer items: no slower than rayon",
            ("iter/flat_map_few_outer/3", "brigade_fold"),
            ("iter/flat_map_few_outer/3", "rayon_fold"),
            1.0,
        ),
        t(
            "flat_map of 1 outer item, 64 inner items of ~20 us: no slower than rayon",
            ("iter/flat_map_short_costly/1", "brigade"),
            ("iter/flat_map_short_costly/1", "rayon"),
            1.0,
        ),
        t(
            "flat_map of 3 outer items, 64 inner items of ~20 us: no slower than rayon",
            ("iter/flat_map_short_costly/3", "brigade"),
            ("iter/flat_map_short_costly/3", "rayon"),
            1.0,
        ),
        t(
            "word count fold + reduce, 200 MB: no slower than rayon",
            ("iter/word_count_fold_200mb", "brigade"),
            ("iter/word_count_fold_200mb", "rayon"),
            1.0,
        ),
        t(
            "enumerate: within 1.05x the loop function",
            ("iter/enumerate_10m", "iter"),
            ("iter/enumerate_10m", "loop_fn"),
            1.05,
        ),
        t(
            "zip: within 1.05x the loop function",
            ("iter/zip_10m", "iter"),
            ("iter/zip_10m", "loop_fn"),
            1.05,
        ),
        t(
            "par_chunks_mut: within 1.05x the loop function",
            ("iter/chunks_mut_rows", "iter"),
            ("iter/chunks_mut_rows", "loop_fn"),
            1.05,
        ),
        t(
            "par_sort_unstable, 20M u64: within 1.1x rayon",
            ("iter/par_sort_unstable_20m", "brigade"),
            ("iter/par_sort_unstable_20m", "rayon"),
            1.1,
        ),
        t(
            "par_sort, 20M u64: no slower than rayon",
            ("iter/par_sort_20m", "brigade"),
            ("iter/par_sort_20m", "rayon"),
            1.0,
        ),
        t(
            "find_any at 1%: under 5% of a full scan",
            ("iter/find_any_100m", "brigade"),
            ("iter/find_any_100m", "brigade_full_scan"),
            0.05,
        ),
        t(
            "any at 1%: under 5% of a full scan",
            ("iter/any_100m", "brigade"),
            ("iter/find_any_100m", "brigade_full_scan"),
            0.05,
        ),
    ];
    for threads in [1, 2] {
        for shape in ["small", "big", "first"] {
            let group: &'static str =
                Box::leak(format!("iter/flat_map_search/{threads}/{shape}").into_boxed_str());
            let what: &'static str = Box::leak(
                format!("flat_map search {shape}, {threads} thread(s): no slower than rayon")
                    .into_boxed_str(),
            );
            targets.push(t(what, (group, "brigade"), (group, "rayon"), 1.0));
        }
    }
    for threads in [1, 2] {
        for (kind, shape) in [
            ("collect_unindexed", "flat_map"),
            ("collect_unindexed", "filter"),
            ("chain_any", "plain"),
            ("chain_any", "filtered"),
        ] {
            let group: &'static str =
                Box::leak(format!("iter/{kind}/{threads}/{shape}").into_boxed_str());
            let what: &'static str = Box::leak(
                format!("{kind} {shape}, {threads} thread(s): no slower than rayon")
                    .into_boxed_str(),
            );
            targets.push(t(what, (group, "brigade"), (group, "rayon"), 1.0));
        }
    }
    for verb in [
        "map_collect",
        "filter_collect",
        "sum",
        "reduce",
        "fold_sum",
        "count_filter",
        "max",
        "max_map",
        "min_by_key",
        "any_none",
        "find_first_last",
        "unzip",
        "words",
        "lines",
        "enumerate_for_each",
        "zip_for_each",
        "chunks_mut",
        "sort_unstable_1m",
        "sort_1m",
    ] {
        let a: &'static str = Box::leak(format!("brigade/{verb}").into_boxed_str());
        let b: &'static str = Box::leak(format!("std/{verb}").into_boxed_str());
        let what: &'static str =
            Box::leak(format!("1 thread, {verb}: within 1.2x std").into_boxed_str());
        targets.push(t(what, ("iter/one_thread", a), ("iter/one_thread", b), 1.2));
    }
    println!("\ntargets (ratio of this run's medians, time of the first over the second):");
    for t in targets {
        let ratio = median_ns(t.a.0, t.a.1)
            .zip(median_ns(t.b.0, t.b.1))
            .map(|(a, b)| a / b);
        let (mark, r) = match ratio {
            Some(r) if r <= t.bound => ("met ", format!("{r:.3}")),
            Some(r) => ("MISS", format!("{r:.3}")),
            None => ("n/a ", "not measured".to_string()),
        };
        println!("  [{mark}] {}: {r}", t.what);
    }
}

criterion_group!(
    benches,
    collect,
    max_map,
    best,
    tiny_sum,
    adaptors,
    early_exit,
    flat_map_search,
    collect_unindexed,
    flat_map_few_outer,
    flat_map_short_costly,
    chain_any,
    one_thread,
    word_count,
    sort
);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    report();
}
