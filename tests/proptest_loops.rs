//! Property tests for parallel loops: over random lengths, chunk sizes, thread counts and
//! schedules, every index runs exactly once, `map_reduce` equals the sequential fold for an
//! associative but non-commutative `reduce`, and chunks tile the source.

mod common;

use common::{CasePool, case_pool};

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

use brigade::{Schedule, ThreadPool};
use proptest::prelude::*;

const MAX_THREADS: usize = 6;
/// Loop lengths go up to this (fewer under miri, which is about 1000 times slower).
const MAX_LEN: usize = if cfg!(miri) { 500 } else { 20_000 };

static POOLS: [OnceLock<ThreadPool>; MAX_THREADS] = [const { OnceLock::new() }; MAX_THREADS];

/// The pool of `n` threads (`1..=MAX_THREADS`): cached, except under miri.
fn pool(n: usize) -> CasePool {
    case_pool(&POOLS, n, || common::pool_of(n))
}

fn schedule() -> impl Strategy<Value = Schedule> {
    // Sizes include 0 (counts as 1) and sizes larger than most lengths.
    let size = prop_oneof![0..4usize, 0..300usize, 1000..5000usize];
    (0..6usize, size).prop_map(|(kind, n)| match kind {
        0 => Schedule::Static,
        1 => Schedule::StaticChunks { chunk: n },
        2 => Schedule::Dynamic { chunk: n },
        3 => Schedule::Guided { min_chunk: n },
        4 => Schedule::Adaptive { min_len: n },
        _ => Schedule::default(),
    })
}

/// Some work for item `i` when `slow`: uneven, up to a few microseconds, so that loops run
/// long enough for idle workers to split them (a loop shorter than about 10 µs is never
/// split by `Adaptive`).
fn work(i: usize, slow: bool) {
    if slow {
        for k in 0..(i % 13) * 40 {
            std::hint::black_box(k);
        }
    }
}

/// 2x2 matrices of wrapping `u64`s under multiplication: associative, not commutative.
type Mat = [u64; 4];

const IDENTITY: Mat = [1, 0, 0, 1];

fn mul(a: Mat, b: Mat) -> Mat {
    let m = |x: u64, y: u64| x.wrapping_mul(y);
    [
        m(a[0], b[0]).wrapping_add(m(a[1], b[2])),
        m(a[0], b[1]).wrapping_add(m(a[1], b[3])),
        m(a[2], b[0]).wrapping_add(m(a[3], b[2])),
        m(a[2], b[1]).wrapping_add(m(a[3], b[3])),
    ]
}

fn mat_of(i: usize) -> Mat {
    let i = i as u64;
    [i | 1, i.wrapping_mul(3), 7, i ^ 5]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 96 },
        // Miri's isolation has no file system to keep a regressions file in.
        failure_persistence: if cfg!(miri) {
            None
        } else {
            ProptestConfig::default().failure_persistence
        },
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_index_runs_exactly_once(
        len in 0..MAX_LEN,
        threads in 1..=MAX_THREADS,
        schedule in schedule(),
        slow in any::<bool>(),
    ) {
        let hits: Vec<AtomicU8> = (0..len).map(|_| AtomicU8::new(0)).collect();
        pool(threads).for_each(0..len, schedule, |i| {
            work(i, slow);
            hits[i].fetch_add(1, Ordering::Relaxed);
        });
        let wrong = hits.iter().position(|h| h.load(Ordering::Relaxed) != 1);
        prop_assert_eq!(wrong, None);
    }

    #[test]
    fn map_reduce_equals_the_sequential_fold(
        len in 0..MAX_LEN,
        threads in 1..=MAX_THREADS,
        schedule in schedule(),
        slow in any::<bool>(),
    ) {
        let expected = (0..len).map(mat_of).fold(IDENTITY, mul);
        let got = pool(threads).map_reduce(0..len, schedule, || IDENTITY, |i| {
            work(i, slow);
            mat_of(i)
        }, mul);
        prop_assert_eq!(got, expected);
        let v: Vec<u64> = (0..len as u64).collect();
        let sum = pool(threads).map_reduce(&v, schedule, || 0u64, |x| x * x, |a, b| a + b);
        prop_assert_eq!(sum, v.iter().map(|x| x * x).sum::<u64>());
    }

    #[test]
    fn chunks_tile_a_mutable_slice(
        len in 0..MAX_LEN,
        threads in 1..=MAX_THREADS,
        schedule in schedule(),
    ) {
        let mut v = vec![0u32; len];
        pool(threads).for_each_chunk(&mut v, schedule, |start, chunk| {
            assert!(!chunk.is_empty());
            for (i, x) in chunk.iter_mut().enumerate() {
                *x += (start + i) as u32 + 1;
            }
        });
        let wrong = v.iter().enumerate().position(|(i, &x)| x != i as u32 + 1);
        prop_assert_eq!(wrong, None);
    }
}
