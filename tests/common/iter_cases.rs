//! What the iterator property tests draw their cases from: pools of 1 to 8 threads, lengths,
//! schedules, `with_min_len` / `with_max_len`, data with many repeats, and a
//! non-commutative operation for `reduce`.

use std::sync::OnceLock;

use brigade::{Schedule, ThreadPool};
use proptest::prelude::*;
use proptest::test_runner::Config;

use super::{CasePool, case_pool, mix64, pool_of};

/// Case pools have 1 to this many threads (1 to 2 under miri).
pub(crate) const MAX_THREADS: usize = 8;
/// Lengths go up to this (fewer under miri, which is about 1000 times slower).
pub(crate) const MAX_LEN: usize = if cfg!(miri) { 20 } else { 5_000 };

static POOLS: [OnceLock<ThreadPool>; MAX_THREADS] = [const { OnceLock::new() }; MAX_THREADS];

/// The pool of `n` threads a case runs on (see [`case_pool`]).
pub(crate) fn pool(n: usize) -> CasePool {
    case_pool(&POOLS, n, || pool_of(n))
}

/// The proptest settings of every iterator property test: 64 cases, 1 under miri (whose
/// isolation has no file system to keep a regressions file in; each case runs dozens of
/// loops there, and the unsafe parts under them have tests of their own).
pub(crate) fn config() -> Config {
    Config {
        cases: if cfg!(miri) { 1 } else { 64 },
        failure_persistence: if cfg!(miri) {
            None
        } else {
            Config::default().failure_persistence
        },
        ..Config::default()
    }
}

/// A length: often 0 to 2, else up to [`MAX_LEN`].
pub(crate) fn len() -> impl Strategy<Value = usize> {
    prop_oneof![0..3usize, 0..MAX_LEN]
}

/// A thread count for [`pool`].
pub(crate) fn threads() -> impl Strategy<Value = usize> {
    1..=if cfg!(miri) { 2 } else { MAX_THREADS }
}

/// Any schedule, with sizes from 0 to past a few thousand.
pub(crate) fn schedule() -> impl Strategy<Value = Schedule> {
    let size = prop_oneof![0..4usize, 0..100usize, 1000..3000usize];
    (0..6usize, size).prop_map(|(kind, n)| match kind {
        0 => Schedule::Static,
        1 => Schedule::StaticChunks { chunk: n },
        2 => Schedule::Dynamic { chunk: n },
        3 => Schedule::Guided { min_chunk: n },
        4 => Schedule::Adaptive { min_len: n },
        _ => Schedule::default(),
    })
}

/// `with_min_len` / `with_max_len` on top of the schedule, or neither.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lens {
    pub(crate) min: Option<usize>,
    pub(crate) max: Option<usize>,
}

/// Each of `with_min_len` and `with_max_len`, small or up to 200, or left out.
pub(crate) fn lens() -> impl Strategy<Value = Lens> {
    let n = prop_oneof![1..5usize, 1..200usize];
    (proptest::option::of(n.clone()), proptest::option::of(n))
        .prop_map(|(min, max)| Lens { min, max })
}

/// The test's data: `len` pseudo-random `u32`s below 50, with many repeats (so ties show
/// which of equal items is returned, and a search from the wrong end shows).
pub(crate) fn data(len: usize, seed: u64) -> Vec<u32> {
    (0..len as u64)
        .map(|i| (mix64(i ^ seed) % 50) as u32)
        .collect()
}

/// 2x2 matrices of wrapping `u64`s under multiplication: associative, not commutative.
pub(crate) type Mat = [u64; 4];

/// The identity of [`mul`].
pub(crate) const IDENTITY: Mat = [1, 0, 0, 1];

/// The product of two [`Mat`]s.
pub(crate) fn mul(a: Mat, b: Mat) -> Mat {
    let m = |x: u64, y: u64| x.wrapping_mul(y);
    [
        m(a[0], b[0]).wrapping_add(m(a[1], b[2])),
        m(a[0], b[1]).wrapping_add(m(a[1], b[3])),
        m(a[2], b[0]).wrapping_add(m(a[3], b[2])),
        m(a[2], b[1]).wrapping_add(m(a[3], b[3])),
    ]
}

/// An item as a [`Mat`].
pub(crate) fn mat(x: u32) -> Mat {
    let x = u64::from(x);
    [x | 1, x.wrapping_mul(3), 7, x ^ 5]
}

/// `$it` tuned as the case says: `with_schedule`, then the [`Lens`].
macro_rules! tuned {
    ($it:expr, $schedule:expr, $lens:expr) => {{
        let it = $it.with_schedule($schedule);
        let it = it.with_min_len($lens.min.unwrap_or(1));
        it.with_max_len($lens.max.unwrap_or(usize::MAX))
    }};
}
#[allow(unused_imports)] // used by the files with property tests of iterators
pub(crate) use tuned;
