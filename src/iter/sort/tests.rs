//! The parallel sorts against std's, on pools of 1, 2, 4 and 8 threads: input patterns and
//! sizes around the cutoffs, stability, panics of `is_less` (every element still there, and
//! dropped exactly once later), inconsistent comparators, and comparison counts.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use super::mergesort::{self, Cutoffs};
use super::partition::partition;
use super::quicksort;
use crate::ThreadPool;
use crate::loom::{AtomicUsize, Ordering};

const THREADS: [usize; 4] = [1, 2, 4, 8];

/// The pool sizes of the tests: all of [`THREADS`] natively, a pool with one thief under
/// miri (building and stopping a pool of 8 takes seconds there, and CI's time is bounded).
fn some_threads() -> &'static [usize] {
    if cfg!(miri) { &[2] } else { &THREADS }
}

/// The sorts under test: each algorithm with tiny cutoffs (so that small inputs go through
/// the parallel code), and with the cutoffs it uses in production.
#[derive(Clone, Copy, Debug)]
enum Sort {
    Quick { cutoff: usize },
    Merge { piece: usize, merge: usize },
    QuickDefault,
    MergeDefault,
}

impl Sort {
    const ALL: [Sort; 6] = [
        Sort::Quick { cutoff: 8 },
        Sort::Quick { cutoff: 40 },
        Sort::Merge { piece: 1, merge: 1 },
        Sort::Merge {
            piece: 7,
            merge: 20,
        },
        Sort::QuickDefault,
        Sort::MergeDefault,
    ];

    /// The sorts a test runs: under miri, only those with tiny cutoffs (the others need
    /// thousands of elements to leave their sequential base case) and one of each kind.
    fn tested() -> impl Iterator<Item = Sort> {
        Sort::ALL.into_iter().filter(|sort| {
            !cfg!(miri)
                || matches!(
                    sort,
                    Sort::Quick { cutoff: 8 } | Sort::Merge { piece: 1, .. }
                )
        })
    }

    fn is_stable(self) -> bool {
        matches!(self, Sort::Merge { .. } | Sort::MergeDefault)
    }

    fn run<T: Send, F: Fn(&T, &T) -> bool + Sync>(self, v: &mut [T], is_less: &F) {
        match self {
            Sort::Quick { cutoff } => quicksort::quicksort_with(v, is_less, cutoff),
            Sort::Merge { piece, merge } => {
                mergesort::mergesort_with(v, is_less, Cutoffs { piece, merge });
            }
            Sort::QuickDefault => super::par_quicksort(v, is_less),
            Sort::MergeDefault => super::par_mergesort(v, is_less),
        }
    }
}

fn pool(threads: usize) -> ThreadPool {
    ThreadPool::builder()
        .num_threads(threads)
        .build()
        .expect("a small pool builds")
}

/// xorshift64: deterministic, so a failure replays.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Named inputs of `len` keys.
fn patterns(len: usize, seed: u64) -> Vec<(&'static str, Vec<u64>)> {
    let mut rng = Rng::new(seed ^ len as u64);
    let n = len as u64;
    vec![
        ("random", (0..len).map(|_| rng.next()).collect()),
        ("few distinct", (0..len).map(|_| rng.below(4)).collect()),
        ("all equal", vec![7; len]),
        ("sorted", (0..n).collect()),
        ("reversed", (0..n).rev().collect()),
        ("sawtooth", (0..n).map(|i| i % 61).collect()),
        ("organ pipe", (0..n).map(|i| i.min(n - i)).collect()),
        ("sorted, then a few swaps", {
            let mut v: Vec<u64> = (0..n).collect();
            for _ in 0..3 {
                if len > 1 {
                    let (a, b) = (rng.below(n), rng.below(n));
                    v.swap(a as usize, b as usize);
                }
            }
            v
        }),
    ]
}

/// The patterns that run under miri, where each sort costs about 0.1 s.
const MIRI_PATTERNS: [&str; 4] = ["random", "few distinct", "reversed", "organ pipe"];

/// Lengths to try with `sort`: the edges, and both sides of its cutoffs.
fn lengths(sort: Sort) -> Vec<usize> {
    let cut = match sort {
        Sort::Quick { cutoff } => cutoff,
        Sort::Merge { piece, .. } => piece * 4,
        Sort::QuickDefault | Sort::MergeDefault => 2_048,
    };
    if cfg!(miri) {
        return vec![0, 2, cut + 1, 2 * cut + 1];
    }
    vec![
        0,
        1,
        2,
        3,
        5,
        17,
        64,
        100,
        300,
        1_000,
        9_000,
        cut - 1,
        cut,
        cut + 1,
        2 * cut + 1,
        4 * cut + 3,
    ]
}

#[test]
fn every_sort_matches_std_on_every_pattern_and_pool() {
    for &threads in some_threads() {
        let pool = pool(threads);
        for sort in Sort::tested() {
            for len in lengths(sort) {
                for (name, input) in patterns(len, threads as u64) {
                    if cfg!(miri) && !MIRI_PATTERNS.contains(&name) {
                        continue;
                    }
                    let mut expected = input.clone();
                    expected.sort();
                    let mut v = input;
                    pool.install(|| sort.run(&mut v, &|a, b| a < b));
                    assert!(
                        v == expected,
                        "{sort:?}, {threads} threads, {name}, len {len}"
                    );
                }
            }
        }
    }
}

#[test]
#[cfg_attr(miri, ignore = "a million elements; the small sizes run under miri")]
fn default_sorts_match_std_on_a_million_elements() {
    let len = 1_000_000;
    for threads in THREADS {
        let pool = pool(threads);
        for (name, input) in patterns(len, 1).into_iter().take(2) {
            let mut expected = input.clone();
            expected.sort();
            for sort in [Sort::QuickDefault, Sort::MergeDefault] {
                let mut v = input.clone();
                pool.install(|| sort.run(&mut v, &|a, b| a < b));
                assert!(v == expected, "{sort:?}, {threads} threads, {name}");
            }
        }
    }
}

#[test]
fn mergesort_is_stable() {
    let lens: &[usize] = if cfg!(miri) {
        &[9, 30]
    } else {
        &[0, 1, 2, 9, 50, 1_000, 2_049, 20_000]
    };
    for &threads in some_threads() {
        let pool = pool(threads);
        for sort in Sort::tested().filter(|s| s.is_stable()) {
            for &len in lens {
                for distinct in [1, 3, 100] {
                    if cfg!(miri) && distinct == 1 {
                        continue; // the pattern test has all-equal inputs
                    }
                    let mut rng = Rng::new(len as u64 + distinct);
                    // (key, original index): sorted by key only.
                    let input: Vec<(u64, usize)> =
                        (0..len).map(|i| (rng.below(distinct), i)).collect();
                    let mut expected = input.clone();
                    expected.sort_by_key(|&(key, _)| key); // std's stable sort
                    let mut v = input;
                    pool.install(|| sort.run(&mut v, &|a, b| a.0 < b.0));
                    assert!(
                        v == expected,
                        "{sort:?}, {threads} threads, len {len}, {distinct} keys"
                    );
                }
            }
        }
    }
}

#[test]
fn sorts_follow_the_given_order() {
    let pool = pool(4);
    let len = if cfg!(miri) { 40 } else { 5_000 };
    let mut rng = Rng::new(3);
    let input: Vec<u64> = (0..len).map(|_| rng.below(1_000)).collect();
    for sort in Sort::tested() {
        // Descending, and by the last decimal digit (stably: the merge sort keeps the
        // input's order among equal last digits).
        let mut v = input.clone();
        pool.install(|| sort.run(&mut v, &|a, b| a > b));
        let mut expected = input.clone();
        expected.sort_by(|a, b| b.cmp(a));
        assert!(v == expected, "{sort:?} descending");
        let mut v = input.clone();
        pool.install(|| sort.run(&mut v, &|a, b| a % 10 < b % 10));
        assert!(v.is_sorted_by_key(|x| x % 10), "{sort:?} by last digit");
        if sort.is_stable() {
            let mut expected = input.clone();
            expected.sort_by_key(|x| x % 10);
            assert!(v == expected, "{sort:?} stable by last digit");
        }
    }
}

#[test]
fn zero_sized_elements_are_left_alone() {
    let pool = pool(2);
    for sort in Sort::ALL {
        let mut v = vec![(); 3_000];
        pool.install(|| sort.run(&mut v, &|_, _| false));
        assert_eq!(v.len(), 3_000);
    }
}

/// The payload of the panics the tests raise from `is_less` on purpose.
struct ExpectedPanic;

/// Keeps the output readable: [`ExpectedPanic`]s are not printed.
fn quiet_expected_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<ExpectedPanic>() {
                default(info);
            }
        }));
    });
}

/// An element that records its drops (`drops[id]` counts them) and, through interior
/// mutability, how often `is_less` looked at it.
struct Tracked<'a> {
    key: u64,
    id: usize,
    seen: AtomicUsize,
    drops: &'a [AtomicUsize],
}

impl Drop for Tracked<'_> {
    fn drop(&mut self) {
        self.drops[self.id].fetch_add(1, Ordering::Relaxed);
    }
}

/// Sorts `len` tracked elements with an `is_less` that panics on its `panic_at`-th call
/// (counting from 0), and checks that the panic reached the caller, that the slice then
/// holds every element exactly once, none dropped, each with every change `is_less` made
/// to it (as std's sorts keep them: no stale copy came back), and that each is dropped
/// once later.
fn check_panic_safety(pool: &ThreadPool, sort: Sort, len: usize, panic_at: usize, seed: u64) {
    let drops: Vec<AtomicUsize> = (0..len).map(|_| AtomicUsize::new(0)).collect();
    let mut rng = Rng::new(seed);
    let mut v: Vec<Tracked<'_>> = (0..len)
        .map(|id| Tracked {
            key: rng.below(len as u64 / 2 + 1),
            id,
            seen: AtomicUsize::new(0),
            drops: &drops,
        })
        .collect();
    let calls = AtomicUsize::new(0);
    let is_less = |a: &Tracked<'_>, b: &Tracked<'_>| {
        a.seen.fetch_add(1, Ordering::Relaxed);
        b.seen.fetch_add(1, Ordering::Relaxed);
        if calls.fetch_add(1, Ordering::Relaxed) == panic_at {
            panic::panic_any(ExpectedPanic);
        }
        a.key < b.key
    };
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        pool.install(|| sort.run(&mut v, &is_less));
    }));
    let what = format!("{sort:?}, len {len}, panic at call {panic_at}");
    let called = calls.load(Ordering::Relaxed);
    match result {
        Err(payload) => assert!(payload.is::<ExpectedPanic>(), "{what}: another panic"),
        Ok(()) => assert!(called <= panic_at, "{what}: the panic was lost"),
    }
    assert!(
        drops.iter().all(|d| d.load(Ordering::Relaxed) == 0),
        "{what}: dropped early"
    );
    let mut ids: Vec<usize> = v.iter().map(|t| t.id).collect();
    ids.sort_unstable();
    assert!(ids.iter().copied().eq(0..len), "{what}: not a permutation");
    let seen: usize = v.iter().map(|t| t.seen.load(Ordering::Relaxed)).sum();
    assert_eq!(
        seen,
        2 * called,
        "{what}: changes made by is_less were lost"
    );
    drop(v);
    assert!(
        drops.iter().all(|d| d.load(Ordering::Relaxed) == 1),
        "{what}: not dropped once"
    );
}

#[test]
fn a_panicking_comparator_leaves_every_element_once() {
    quiet_expected_panics();
    // Under miri a panic costs about a second: one place each, and a run without a panic.
    let (len, cases): (usize, usize) = if cfg!(miri) { (30, 1) } else { (3_000, 12) };
    for &threads in some_threads() {
        let pool = pool(threads);
        for sort in Sort::tested() {
            // A full sort takes about `len * log2(len)` calls; panic anywhere in it, and
            // once after it (no panic).
            let full = len * (usize::BITS - len.leading_zeros()) as usize;
            let mut rng = Rng::new(threads as u64);
            let mut at: Vec<usize> = (0..cases)
                .map(|_| rng.below(full as u64) as usize)
                .collect();
            at.push(10 * full);
            if !cfg!(miri) {
                at.extend([0, 1, len / 2]);
            }
            for panic_at in at {
                check_panic_safety(&pool, sort, len, panic_at, panic_at as u64);
            }
        }
    }
}

#[test]
fn an_inconsistent_comparator_leaves_a_permutation() {
    quiet_expected_panics();
    let len = if cfg!(miri) { 40 } else { 5_000 };
    let pool = pool(4);
    for sort in Sort::tested() {
        let mut v: Vec<usize> = (0..len).collect();
        let coin = AtomicUsize::new(1);
        // A different answer each time, for the same pair too.
        let is_less = |_: &usize, _: &usize| coin.fetch_add(0x9E37, Ordering::Relaxed) % 7 < 3;
        // std's sorts may panic on an inconsistent order; ours must not lose elements.
        let _ = panic::catch_unwind(AssertUnwindSafe(|| {
            pool.install(|| sort.run(&mut v, &is_less));
        }));
        v.sort_unstable();
        assert!(v.iter().copied().eq(0..len), "{sort:?}");
    }
}

#[test]
#[cfg_attr(miri, ignore = "counts comparisons on 100,000 elements")]
fn comparisons_stay_n_log_n_on_every_pattern() {
    let len = 100_000usize;
    let log = (usize::BITS - len.leading_zeros()) as usize;
    let pool = pool(2);
    for sort in Sort::ALL {
        for (name, input) in patterns(len, 5) {
            let calls = AtomicUsize::new(0);
            let mut v = input;
            pool.install(|| {
                sort.run(&mut v, &|a: &u64, b: &u64| {
                    calls.fetch_add(1, Ordering::Relaxed);
                    a < b
                });
            });
            let calls = calls.into_inner();
            // Measured: at most about 1.45 n log2 n with the production cutoffs (std's base
            // cases ask `is_less` twice when the first answer is no, which a counting
            // comparator cannot optimize away), 2 n log2 n with merges split down to single
            // elements (a binary search per split), and about n for presorted input.
            assert!(
                calls <= 3 * len * log,
                "{sort:?}, {name}: {calls} calls for {len} elements"
            );
            // The quicksort's documented linear cases.
            let linear = ["sorted", "reversed", "all equal"].contains(&name);
            if linear && matches!(sort, Sort::Quick { .. } | Sort::QuickDefault) {
                assert!(
                    calls <= 2 * len,
                    "{sort:?}, {name}: {calls} calls for {len}"
                );
            }
        }
    }
}

#[test]
fn partition_splits_at_the_pivot() {
    let lens: &[usize] = if cfg!(miri) {
        &[257, 300]
    } else {
        &[1, 2, 3, 100, 255, 256, 257, 383, 384, 385, 1_000, 4_099]
    };
    for &len in lens {
        for modulus in [2, 10, 1_000] {
            if cfg!(miri) && modulus == 10 {
                continue;
            }
            let mut rng = Rng::new(len as u64 * modulus);
            let input: Vec<u64> = (0..len).map(|_| rng.below(modulus)).collect();
            for strict in [true, false] {
                let mut v = input.clone();
                let m = if strict {
                    partition(&mut v, &|x, p| x < p)
                } else {
                    partition(&mut v, &|x, p| x <= p)
                };
                let pivot = input[0];
                assert_eq!(v[m], pivot, "len {len}");
                let left_ok = |x: &u64| if strict { *x < pivot } else { *x <= pivot };
                assert!(v[..m].iter().all(left_ok), "len {len} mod {modulus}");
                assert!(!v[m + 1..].iter().any(left_ok), "len {len} mod {modulus}");
                let (mut a, mut b) = (v, input.clone());
                a.sort_unstable();
                b.sort_unstable();
                assert!(a == b, "len {len}: not a permutation");
            }
        }
    }
}
