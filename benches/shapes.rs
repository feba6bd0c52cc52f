//! `shapes`: the shapes of work where a scheduler shows its worst case, serial, brigade,
//! rayon and chili side by side in one criterion group per shape, and a table of each time
//! relative to serial from this run's medians (higher speed-up is better).
//!
//! - `chain_leaf_rest`: `join(leaf, rest)` down a chain of 512 leaves of about 70 µs;
//! - `chain_rest_leaf`: `join(rest, leaf)`, the recursion first and the heavy leaf after;
//! - `loops_in_a_row/N`: parallel loops one after the other (time steps), `N` items of about
//!   230 ns each, with the default schedule (rayon: `par_iter().for_each`); beside them the
//!   floor, two plain threads that split each step and meet at a spinning barrier;
//! - `install_tree_1023/T`: `pool.install` of a 1,023-node tree sum (a `join` per node) from
//!   the main thread, at T threads (chili: `pool.scope()` and its `join`); `brigade_caller`
//!   (the table's `caller` column) is a pool built with `use_current_thread` on the bench
//!   thread, which then runs the work itself while the other workers steal from it;
//! - `two_leaves`: `join` of two 100 ms leaves that never join again, on a fresh pool;
//! - `two_leaves_deep/D`: the same `join`, nested in D joins (6 and 200) whose second halves
//!   do nothing: below the outermost joins a worker keeps its second halves to itself until
//!   it joins again, which a leaf never does;
//! - `few_long_items/N`: one parallel loop over `N` items of 2 ms each (default schedule;
//!   rayon: `par_iter().for_each`), from inside the pool: the first item is longer than
//!   any block, so the loop must offer the rest before it ends;
//! - `long_items_after_gaps`: inside one `install`, 100 steps of serial work (30 to 330 µs,
//!   the same pseudo-random sequence for every library) each followed by a loop over two
//!   items of 300 µs: the idle worker has gone to sleep by the time the loop offers its
//!   second item, and how soon it is woken for it decides the step (`serial` runs both
//!   items on the calling thread; the ideal is the gap plus one item);
//! - `par_iter_tree/K`: the sum of a tree whose nodes have `K` children (2, 4 or 8), walked
//!   with `par_iter` over each node's children, about 200 ns of work per node and
//!   131,071 (K = 2), 87,381 (K = 4) or 37,449 (K = 8) nodes: nested loops of a few items,
//!   where each loop's own cost counts (chili has no parallel iterators);
//! - `par_iter_tree_bare/3`: the same walk of a tree of 265,720 nodes with 3 children each
//!   and no work at all per node: nothing but the loops' own cost, which no scheduler
//!   brings under serial's, so the row compares the libraries with each other.
//!
//! - `hot_stretch/T`: on T threads (2, and 8 oversubscribed), eight parallel loops over 64
//!   items, each with a stretch of T adjacent items that sleep 1 ms among items that do
//!   nothing, the stretch at a different place in each loop (from the first item to the
//!   last T): how well a loop shares a costly stretch that its first items gave no hint of.
//!   The items sleep, so that the 8 threads of a 2-core machine can all run theirs; the
//!   ideal is 8 ms per iteration (one item per thread per loop), serial `8 * T` ms.
//!
//! Every shape runs on 2 threads unless its name says otherwise.
//!
//! ```text
//! cargo bench --bench shapes -- --noplot
//! ```

mod common;

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use brigade::Schedule;
use criterion::{BatchSize, Criterion, criterion_group};
use rayon::prelude::*;

use common::tree::{sum_brigade, sum_chili, sum_rayon, sum_serial, tree};

const THREADS: usize = 2;
const CHAIN: usize = 512;
const LEAF: Duration = Duration::from_micros(70);
const ITEM: Duration = Duration::from_nanos(230);
/// Items per loop, and how many loops in a row (about the same total work for each).
const LOOPS: [(usize, usize); 3] = [(64, 10_000), (256, 2_500), (2_048, 312)];
const TREE_THREADS: [usize; 3] = [1, 2, 8];
const TWO_LEAVES: Duration = Duration::from_millis(100);
/// How many joins the deep pair of leaves is nested in.
const DEEP: [usize; 2] = [6, 200];
const FEW_ITEMS: [usize; 3] = [2, 3, 4];
const LONG_ITEM: Duration = Duration::from_millis(2);
/// The items of `long_items_after_gaps`, and its steps per iteration.
const GAP_ITEM: Duration = Duration::from_micros(300);
const GAP_STEPS: u64 = 100;
/// Children per node and depth of the trees of `par_iter_tree`, with `NODE_WORK` at each
/// node, and of `par_iter_tree_bare`, with none: nothing but the loops' own cost.
const KIDS: [(usize, u32); 3] = [(2, 16), (4, 8), (8, 5)];
const BARE_KIDS: [(usize, u32); 1] = [(3, 11)];
const NODE_WORK: Duration = Duration::from_nanos(200);
const STRETCH_THREADS: [usize; 2] = [2, 8];
const STRETCH_ITEMS: usize = 64;
/// Where each loop's stretch starts, as eighths of the room the stretch leaves.
const STRETCH_PLACES: usize = 8;
const STRETCH_ITEM: Duration = Duration::from_millis(1);

/// `iters` rounds of xorshift: work the optimizer cannot remove or vectorize away.
#[inline(never)]
fn spin(iters: u64, seed: u64) -> u64 {
    let mut x = seed | 1;
    for _ in 0..iters {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    black_box(x)
}

/// Rounds of `spin` that take about `d` on this machine (the median of a few tries).
fn calibrate(d: Duration) -> u64 {
    let probe = 1_000_000u64;
    let mut rates: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            spin(probe, 7);
            probe as f64 / t.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    ((rates[3] * d.as_secs_f64()) as u64).max(1)
}

// ---- chains -------------------------------------------------------------------------------

fn chain_serial(n: usize, leaf: u64) -> u64 {
    (1..=n)
        .map(|i| spin(leaf, i as u64))
        .fold(0, u64::wrapping_add)
}

fn chain_brigade(n: usize, leaf: u64, leaf_first: bool) -> u64 {
    if n == 0 {
        return 0;
    }
    let (x, y) = if leaf_first {
        brigade::join(
            || spin(leaf, n as u64),
            || chain_brigade(n - 1, leaf, leaf_first),
        )
    } else {
        let (y, x) = brigade::join(
            || chain_brigade(n - 1, leaf, leaf_first),
            || spin(leaf, n as u64),
        );
        (x, y)
    };
    x.wrapping_add(y)
}

fn chain_rayon(n: usize, leaf: u64, leaf_first: bool) -> u64 {
    if n == 0 {
        return 0;
    }
    let (x, y) = if leaf_first {
        rayon::join(
            || spin(leaf, n as u64),
            || chain_rayon(n - 1, leaf, leaf_first),
        )
    } else {
        let (y, x) = rayon::join(
            || chain_rayon(n - 1, leaf, leaf_first),
            || spin(leaf, n as u64),
        );
        (x, y)
    };
    x.wrapping_add(y)
}

fn chain_chili(s: &mut chili::Scope<'_>, n: usize, leaf: u64, leaf_first: bool) -> u64 {
    if n == 0 {
        return 0;
    }
    let (x, y) = if leaf_first {
        s.join(
            |_| spin(leaf, n as u64),
            |s| chain_chili(s, n - 1, leaf, leaf_first),
        )
    } else {
        let (y, x) = s.join(
            |s| chain_chili(s, n - 1, leaf, leaf_first),
            |_| spin(leaf, n as u64),
        );
        (x, y)
    };
    x.wrapping_add(y)
}

fn chains(c: &mut Criterion) {
    let leaf = calibrate(LEAF);
    let expected = chain_serial(CHAIN, leaf);
    for (name, leaf_first) in [("chain_leaf_rest", true), ("chain_rest_leaf", false)] {
        let mut g = c.benchmark_group(format!("shapes/{name}"));
        g.sample_size(10)
            .measurement_time(Duration::from_secs(4))
            .warm_up_time(Duration::from_secs(1));
        g.bench_function("serial", |b| b.iter(|| chain_serial(CHAIN, leaf)));
        let pool = common::brigade_pool(THREADS);
        assert_eq!(
            pool.install(|| chain_brigade(CHAIN, leaf, leaf_first)),
            expected
        );
        g.bench_function("brigade", |b| {
            b.iter(|| pool.install(|| chain_brigade(CHAIN, leaf, leaf_first)))
        });
        drop(pool);
        let pool = common::rayon_pool(THREADS);
        g.bench_function("rayon", |b| {
            b.iter(|| pool.install(|| chain_rayon(CHAIN, leaf, leaf_first)))
        });
        drop(pool);
        let pool = common::chili_pool(THREADS);
        g.bench_function("chili", |b| {
            b.iter(|| chain_chili(&mut pool.scope(), CHAIN, leaf, leaf_first))
        });
        drop(pool);
        g.finish();
    }
}

// ---- loops in a row -----------------------------------------------------------------------

/// One item: its own slot of `out` (neighbouring items share a cache line only where two
/// workers' pieces meet), so the loop measures scheduling, not a shared counter.
#[inline]
fn item_body(out: &[AtomicU64], item: u64, step: usize, i: usize) {
    out[i].store(spin(item, (step ^ i) as u64), Ordering::Relaxed);
}

fn checksum(out: &[AtomicU64]) -> u64 {
    out.iter()
        .map(|x| x.load(Ordering::Relaxed))
        .fold(0, u64::wrapping_add)
}

fn steps_serial(loops: usize, item: u64, out: &[AtomicU64]) {
    for step in 0..loops {
        for i in 0..out.len() {
            item_body(out, item, step, i);
        }
    }
}

fn steps_brigade(loops: usize, item: u64, out: &[AtomicU64]) {
    for step in 0..loops {
        brigade::for_each(0..out.len(), Schedule::default(), |i| {
            item_body(out, item, step, i)
        });
    }
}

fn steps_rayon(loops: usize, item: u64, out: &[AtomicU64]) {
    for step in 0..loops {
        (0..out.len())
            .into_par_iter()
            .for_each(|i| item_body(out, item, step, i));
    }
}

/// The floor: two plain threads, each taking half of every step, meeting at a barrier that
/// spins (no sleeping, no scheduler at all).
fn steps_floor(loops: usize, item: u64, out: &[AtomicU64]) {
    let arrived = AtomicUsize::new(0);
    let half = out.len() / 2;
    let run = |me: usize| {
        let range = if me == 0 { 0..half } else { half..out.len() };
        for step in 0..loops {
            for i in range.clone() {
                item_body(out, item, step, i);
            }
            // A barrier for two: wait until both arrived at this step.
            arrived.fetch_add(1, Ordering::AcqRel);
            while arrived.load(Ordering::Acquire) < 2 * (step + 1) {
                std::hint::spin_loop();
            }
        }
    };
    std::thread::scope(|s| {
        s.spawn(|| run(1));
        run(0);
    });
}

fn loops_in_a_row(c: &mut Criterion) {
    let item = calibrate(ITEM);
    for (items, loops) in LOOPS {
        let mut g = c.benchmark_group(format!("shapes/loops_in_a_row/{items}"));
        g.sample_size(10)
            .measurement_time(Duration::from_secs(4))
            .warm_up_time(Duration::from_secs(1));
        let out: Vec<AtomicU64> = (0..items).map(|_| AtomicU64::new(0)).collect();
        steps_serial(loops, item, &out);
        let expected = checksum(&out);
        g.bench_function("serial", |b| b.iter(|| steps_serial(loops, item, &out)));
        g.bench_function("floor", |b| b.iter(|| steps_floor(loops, item, &out)));
        assert_eq!(checksum(&out), expected);
        let pool = common::brigade_pool(THREADS);
        out.iter().for_each(|x| x.store(0, Ordering::Relaxed));
        pool.install(|| steps_brigade(loops, item, &out));
        assert_eq!(checksum(&out), expected);
        g.bench_function("brigade", |b| {
            b.iter(|| pool.install(|| steps_brigade(loops, item, &out)))
        });
        drop(pool);
        let pool = common::rayon_pool(THREADS);
        g.bench_function("rayon", |b| {
            b.iter(|| pool.install(|| steps_rayon(loops, item, &out)))
        });
        assert_eq!(checksum(&out), expected);
        drop(pool);
        g.finish();
    }
}

// ---- tiny calls from outside the pool -----------------------------------------------------

fn install_tree(c: &mut Criterion) {
    let root = tree(1_023, 1).expect("non-empty");
    let expected = 1_023 * 1_024 / 2;
    for t in TREE_THREADS {
        let mut g = c.benchmark_group(format!("shapes/install_tree_1023/{t}"));
        g.sample_size(30)
            .measurement_time(Duration::from_secs(2))
            .warm_up_time(Duration::from_secs(1));
        g.bench_function("serial", |b| b.iter(|| sum_serial(black_box(&root))));
        let pool = common::brigade_pool(t);
        assert_eq!(pool.install(|| sum_brigade(&root)), expected);
        g.bench_function("brigade", |b| {
            b.iter(|| pool.install(|| sum_brigade(black_box(&root))))
        });
        drop(pool);
        // The calling thread as worker 0 (`use_current_thread`): `install` runs right here,
        // and the other workers steal from it, as chili's scope does.
        let pool = brigade::ThreadPool::builder()
            .num_threads(t)
            .use_current_thread()
            .build()
            .expect("brigade pool on the bench thread");
        g.bench_function("brigade_caller", |b| {
            b.iter(|| pool.install(|| sum_brigade(black_box(&root))))
        });
        drop(pool);
        let pool = common::rayon_pool(t);
        g.bench_function("rayon", |b| {
            b.iter(|| pool.install(|| sum_rayon(black_box(&root))))
        });
        drop(pool);
        let pool = common::chili_pool(t);
        g.bench_function("chili", |b| {
            b.iter(|| sum_chili(&mut pool.scope(), black_box(&root)))
        });
        drop(pool);
        g.finish();
    }
}

// ---- two long leaves ----------------------------------------------------------------------

fn sleepless(d: Duration) -> u64 {
    // Busy, not asleep: a sleeping leaf would let even a serial run overlap nothing.
    let until = Instant::now() + d;
    let mut n = 0u64;
    while Instant::now() < until {
        n = n.wrapping_add(spin(100, n));
    }
    n
}

fn two_leaves(c: &mut Criterion) {
    let mut g = c.benchmark_group("shapes/two_leaves");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_millis(500));
    g.bench_function("serial", |b| {
        b.iter(|| (sleepless(TWO_LEAVES), sleepless(TWO_LEAVES)))
    });
    g.bench_function("brigade", |b| {
        b.iter_batched(
            || common::brigade_pool(THREADS),
            |pool| pool.join(|| sleepless(TWO_LEAVES), || sleepless(TWO_LEAVES)),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("rayon", |b| {
        b.iter_batched(
            || common::rayon_pool(THREADS),
            |pool| pool.join(|| sleepless(TWO_LEAVES), || sleepless(TWO_LEAVES)),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("chili", |b| {
        b.iter_batched(
            || common::chili_pool(THREADS),
            |pool| {
                pool.scope()
                    .join(|_| sleepless(TWO_LEAVES), |_| sleepless(TWO_LEAVES))
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// `join(|| nested(depth - 1), || 0)` down to `join(leaf, leaf)`, serially.
fn nested_leaves_serial(depth: usize) -> u64 {
    if depth == 0 {
        return sleepless(TWO_LEAVES) + sleepless(TWO_LEAVES);
    }
    nested_leaves_serial(depth - 1)
}

/// `nested_leaves_serial` with brigade's `join`.
fn nested_leaves_brigade(depth: usize) -> u64 {
    if depth == 0 {
        let (x, y) = brigade::join(|| sleepless(TWO_LEAVES), || sleepless(TWO_LEAVES));
        return x + y;
    }
    brigade::join(|| nested_leaves_brigade(depth - 1), || 0).0
}

/// `nested_leaves_serial` with rayon's `join`.
fn nested_leaves_rayon(depth: usize) -> u64 {
    if depth == 0 {
        let (x, y) = rayon::join(|| sleepless(TWO_LEAVES), || sleepless(TWO_LEAVES));
        return x + y;
    }
    rayon::join(|| nested_leaves_rayon(depth - 1), || 0).0
}

/// `nested_leaves` with chili's scoped `join`.
fn nested_leaves_chili(s: &mut chili::Scope<'_>, depth: usize) -> u64 {
    if depth == 0 {
        let (x, y) = s.join(|_| sleepless(TWO_LEAVES), |_| sleepless(TWO_LEAVES));
        return x + y;
    }
    s.join(|s| nested_leaves_chili(s, depth - 1), |_| 0).0
}

fn two_leaves_deep(c: &mut Criterion) {
    for depth in DEEP {
        let mut g = c.benchmark_group(format!("shapes/two_leaves_deep/{depth}"));
        g.sample_size(10)
            .measurement_time(Duration::from_secs(5))
            .warm_up_time(Duration::from_millis(500));
        g.bench_function("serial", |b| b.iter(|| nested_leaves_serial(depth)));
        g.bench_function("brigade", |b| {
            b.iter_batched(
                || common::brigade_pool(THREADS),
                |pool| pool.install(|| nested_leaves_brigade(depth)),
                BatchSize::PerIteration,
            )
        });
        g.bench_function("rayon", |b| {
            b.iter_batched(
                || common::rayon_pool(THREADS),
                |pool| pool.install(|| nested_leaves_rayon(depth)),
                BatchSize::PerIteration,
            )
        });
        g.bench_function("chili", |b| {
            b.iter_batched(
                || common::chili_pool(THREADS),
                |pool| nested_leaves_chili(&mut pool.scope(), depth),
                BatchSize::PerIteration,
            )
        });
        g.finish();
    }
}

// ---- a few long items ----------------------------------------------------------------------

fn few_long_items(c: &mut Criterion) {
    for n in FEW_ITEMS {
        let mut g = c.benchmark_group(format!("shapes/few_long_items/{n}"));
        g.sample_size(20)
            .measurement_time(Duration::from_secs(3))
            .warm_up_time(Duration::from_millis(500));
        g.bench_function("serial", |b| {
            b.iter(|| (0..n).map(|_| sleepless(LONG_ITEM)).sum::<u64>())
        });
        let pool = common::brigade_pool(THREADS);
        g.bench_function("brigade", |b| {
            b.iter(|| {
                pool.install(|| {
                    brigade::for_each(0..n, Schedule::default(), |_| {
                        black_box(sleepless(LONG_ITEM));
                    })
                })
            })
        });
        drop(pool);
        let pool = common::rayon_pool(THREADS);
        g.bench_function("rayon", |b| {
            b.iter(|| {
                pool.install(|| {
                    (0..n).into_par_iter().for_each(|_| {
                        black_box(sleepless(LONG_ITEM));
                    })
                })
            })
        });
        drop(pool);
        g.finish();
    }
}

/// The serial gap before step `i` of `long_items_after_gaps`: 30 to 330 µs, pseudo-random.
fn gap(i: u64) -> Duration {
    let x = i
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    Duration::from_micros(30 + (x >> 33) % 300)
}

fn long_items_after_gaps(c: &mut Criterion) {
    let mut g = c.benchmark_group("shapes/long_items_after_gaps");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_millis(500));
    g.bench_function("serial", |b| {
        b.iter(|| {
            (0..GAP_STEPS)
                .map(|i| sleepless(gap(i)) + sleepless(GAP_ITEM) + sleepless(GAP_ITEM))
                .sum::<u64>()
        })
    });
    let pool = common::brigade_pool(THREADS);
    g.bench_function("brigade", |b| {
        b.iter(|| {
            pool.install(|| {
                for i in 0..GAP_STEPS {
                    black_box(sleepless(gap(i)));
                    brigade::for_each(0..2, Schedule::default(), |_| {
                        black_box(sleepless(GAP_ITEM));
                    });
                }
            })
        })
    });
    drop(pool);
    let pool = common::rayon_pool(THREADS);
    g.bench_function("rayon", |b| {
        b.iter(|| {
            pool.install(|| {
                for i in 0..GAP_STEPS {
                    black_box(sleepless(gap(i)));
                    (0..2).into_par_iter().for_each(|_| {
                        black_box(sleepless(GAP_ITEM));
                    });
                }
            })
        })
    });
    drop(pool);
    g.finish();
}

// ---- trees walked with par_iter -------------------------------------------------------------

/// A node of `par_iter_tree`'s trees.
struct Kids {
    seed: u64,
    kids: Vec<Kids>,
}

fn kids_tree(k: usize, depth: u32, next: &mut u64) -> Kids {
    *next += 1;
    let seed = *next;
    let kids = if depth == 0 {
        Vec::new()
    } else {
        (0..k).map(|_| kids_tree(k, depth - 1, next)).collect()
    };
    Kids { seed, kids }
}

fn kids_serial(node: &Kids, work: u64) -> u64 {
    let below: u64 = node.kids.iter().map(|k| kids_serial(k, work)).sum();
    spin(work, node.seed).wrapping_add(below)
}

fn kids_brigade(node: &Kids, work: u64) -> u64 {
    use brigade::iter::{IntoParallelRefIterator, ParallelIterator};
    // Spelled out: rayon's prelude, in scope for the whole file, has the same names.
    let below: u64 = IntoParallelRefIterator::par_iter(&node.kids)
        .map(|k| kids_brigade(k, work))
        .sum();
    spin(work, node.seed).wrapping_add(below)
}

fn kids_rayon(node: &Kids, work: u64) -> u64 {
    let below: u64 = node.kids.par_iter().map(|k| kids_rayon(k, work)).sum();
    spin(work, node.seed).wrapping_add(below)
}

fn par_iter_tree(c: &mut Criterion) {
    let work = calibrate(NODE_WORK);
    for (k, depth) in KIDS {
        par_iter_tree_group(c, &format!("shapes/par_iter_tree/{k}"), k, depth, work);
    }
    for (k, depth) in BARE_KIDS {
        par_iter_tree_group(c, &format!("shapes/par_iter_tree_bare/{k}"), k, depth, 0);
    }
}

fn par_iter_tree_group(c: &mut Criterion, name: &str, k: usize, depth: u32, work: u64) {
    let root = kids_tree(k, depth, &mut 0);
    let expected = kids_serial(&root, work);
    let mut g = c.benchmark_group(name);
    g.sample_size(20)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    g.bench_function("serial", |b| b.iter(|| kids_serial(&root, work)));
    let pool = common::brigade_pool(THREADS);
    assert_eq!(pool.install(|| kids_brigade(&root, work)), expected);
    g.bench_function("brigade", |b| {
        b.iter(|| pool.install(|| kids_brigade(&root, work)))
    });
    drop(pool);
    let pool = common::rayon_pool(THREADS);
    assert_eq!(pool.install(|| kids_rayon(&root, work)), expected);
    g.bench_function("rayon", |b| {
        b.iter(|| pool.install(|| kids_rayon(&root, work)))
    });
    drop(pool);
    g.finish();
}

// ---- a costly stretch among cheap items ----------------------------------------------------

/// The first item of loop `place`'s stretch of `len` items.
fn stretch_start(place: usize, len: usize) -> usize {
    place * (STRETCH_ITEMS - len) / (STRETCH_PLACES - 1)
}

/// Item `i` of a loop whose stretch of `len` items starts at `start`.
fn stretch_item(i: usize, start: usize, len: usize) {
    if (start..start + len).contains(&i) {
        std::thread::sleep(STRETCH_ITEM);
    }
}

fn hot_stretch(c: &mut Criterion) {
    for t in STRETCH_THREADS {
        let mut g = c.benchmark_group(format!("shapes/hot_stretch/{t}"));
        g.sample_size(10)
            .measurement_time(Duration::from_secs(3))
            .warm_up_time(Duration::from_millis(500));
        let starts: Vec<usize> = (0..STRETCH_PLACES).map(|p| stretch_start(p, t)).collect();
        g.bench_function("serial", |b| {
            b.iter(|| {
                for &start in &starts {
                    (0..STRETCH_ITEMS).for_each(|i| stretch_item(i, start, t));
                }
            })
        });
        let pool = common::brigade_pool(t);
        g.bench_function("brigade", |b| {
            b.iter(|| {
                pool.install(|| {
                    for &start in &starts {
                        brigade::for_each(0..STRETCH_ITEMS, Schedule::default(), |i| {
                            stretch_item(i, start, t)
                        });
                    }
                })
            })
        });
        drop(pool);
        let pool = common::rayon_pool(t);
        g.bench_function("rayon", |b| {
            b.iter(|| {
                pool.install(|| {
                    for &start in &starts {
                        (0..STRETCH_ITEMS)
                            .into_par_iter()
                            .for_each(|i| stretch_item(i, start, t));
                    }
                })
            })
        });
        drop(pool);
        g.finish();
    }
}

// ---- the table ----------------------------------------------------------------------------

fn report() {
    let mut groups: Vec<String> = vec![
        "shapes/chain_leaf_rest".into(),
        "shapes/chain_rest_leaf".into(),
    ];
    groups.extend(
        LOOPS
            .iter()
            .map(|(n, _)| format!("shapes/loops_in_a_row/{n}")),
    );
    groups.extend(
        TREE_THREADS
            .iter()
            .map(|t| format!("shapes/install_tree_1023/{t}")),
    );
    groups.push("shapes/two_leaves".into());
    groups.extend(DEEP.iter().map(|d| format!("shapes/two_leaves_deep/{d}")));
    groups.extend(
        FEW_ITEMS
            .iter()
            .map(|n| format!("shapes/few_long_items/{n}")),
    );
    groups.push("shapes/long_items_after_gaps".into());
    groups.extend(
        KIDS.iter()
            .map(|(k, _)| format!("shapes/par_iter_tree/{k}")),
    );
    groups.extend(
        BARE_KIDS
            .iter()
            .map(|(k, _)| format!("shapes/par_iter_tree_bare/{k}")),
    );
    groups.extend(
        STRETCH_THREADS
            .iter()
            .map(|t| format!("shapes/hot_stretch/{t}")),
    );
    println!("\nshapes: speed-up over serial in this run (T_serial / T; higher is better)");
    println!(
        "{:<30} {:>12} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "shape", "serial (ms)", "brigade", "caller", "rayon", "chili", "floor"
    );
    for group in groups {
        let Some(serial) = common::median_ns(&group, "serial") else {
            continue;
        };
        let cell = |lib: &str| {
            common::median_ns(&group, lib)
                .map_or("-".to_string(), |ns| format!("{:.2}x", serial / ns))
        };
        println!(
            "{:<30} {:>12.4} {:>8} {:>8} {:>8} {:>8} {:>8}",
            group.trim_start_matches("shapes/"),
            serial / 1e6,
            cell("brigade"),
            cell("brigade_caller"),
            cell("rayon"),
            cell("chili"),
            cell("floor"),
        );
    }
}

criterion_group!(
    benches,
    chains,
    loops_in_a_row,
    install_tree,
    two_leaves,
    two_leaves_deep,
    few_long_items,
    long_items_after_gaps,
    par_iter_tree,
    hot_stretch
);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    report();
}
