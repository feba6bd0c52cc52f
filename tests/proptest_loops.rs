//! Property tests for parallel loops: over random lengths, chunk sizes, thread counts and
//! schedules, every index runs exactly once, `map_reduce` equals the sequential fold for an
//! associative but non-commutative `reduce`, and chunks tile the source; and over ranges of
//! every integer type with bounds near its `MIN` and `MAX`, every item runs exactly once.

mod common;

use common::{CasePool, case_pool};

use std::fmt::Debug;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};

use brigade::{LoopSource, Schedule, ThreadPool};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

const MAX_THREADS: usize = 8;
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

/// A bound of a range: the type's `MIN` plus, or its `MAX` minus, a small offset.
#[derive(Clone, Copy, Debug)]
enum Edge {
    Min(u8),
    Max(u8),
}

fn edge() -> impl Strategy<Value = Edge> {
    // Offsets below 100 fit every type (`i8::MAX` is 127); 0 is the likeliest.
    let offset = prop_oneof![Just(0u8), 0..4u8, 0..100u8];
    (any::<bool>(), offset).prop_map(|(max, k)| if max { Edge::Max(k) } else { Edge::Min(k) })
}

/// The integer types, by name; `edge_range` picks one.
const TYPES: [&str; 12] = [
    "u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "u128", "i128", "usize", "isize",
];

/// A range of type `TYPES[ty]` from `lo` to `hi`, inclusive or not. Only 8- and 16-bit types
/// may run from near `MIN` to near `MAX` (at most 65,536 items; 8-bit only under miri).
#[derive(Clone, Copy, Debug)]
struct EdgeRange {
    ty: usize,
    lo: Edge,
    hi: Edge,
    inclusive: bool,
}

fn edge_range() -> impl Strategy<Value = EdgeRange> {
    (0..TYPES.len(), edge(), edge(), any::<bool>()).prop_map(|(ty, lo, hi, inclusive)| {
        let narrow = if cfg!(miri) { 2 } else { 4 };
        let hi = match (lo, hi) {
            (Edge::Min(_), Edge::Max(k)) if ty >= narrow => Edge::Min(k),
            (Edge::Max(_), Edge::Min(k)) if ty >= narrow => Edge::Max(k),
            _ => hi,
        };
        EdgeRange {
            ty,
            lo,
            hi,
            inclusive,
        }
    })
}

/// Runs `source` through `for_each`, `map_reduce` and `for_each_chunk` and checks each
/// against the sequential iteration: every item once, in index order where it shows.
/// `offset` numbers the items from 0.
fn check_source<S, T>(
    pool: &ThreadPool,
    source: S,
    schedule: Schedule,
    offset: impl Fn(T) -> usize + Sync,
) -> Result<(), TestCaseError>
where
    S: LoopSource<Item = T> + Clone + IntoIterator<Item = T>,
    S::Piece: IntoIterator<Item = T>,
    T: Copy + Debug + PartialEq + Send,
{
    let expected: Vec<T> = source.clone().into_iter().collect();
    let len = expected.len();
    prop_assert!(expected.iter().enumerate().all(|(i, &x)| offset(x) == i));

    let hits: Vec<AtomicU8> = (0..len).map(|_| AtomicU8::new(0)).collect();
    pool.for_each(source.clone(), schedule, |x| {
        hits[offset(x)].fetch_add(1, Ordering::Relaxed);
    });
    let wrong = hits.iter().position(|h| h.load(Ordering::Relaxed) != 1);
    prop_assert_eq!(wrong.map(|i| expected[i]), None, "for_each");

    let product = pool.map_reduce(
        source.clone(),
        schedule,
        || IDENTITY,
        |x| mat_of(offset(x)),
        mul,
    );
    prop_assert_eq!(
        product,
        (0..len).map(mat_of).fold(IDENTITY, mul),
        "map_reduce"
    );

    let pieces = Mutex::new(Vec::new());
    pool.for_each_chunk(source, schedule, |start, piece| {
        let items: Vec<T> = piece.into_iter().collect();
        pieces.lock().unwrap().push((start, items));
    });
    let mut pieces = pieces.into_inner().unwrap();
    pieces.sort_by_key(|(start, _)| *start);
    let mut at = 0;
    for (start, items) in &pieces {
        prop_assert!(!items.is_empty(), "an empty piece at {}", start);
        prop_assert_eq!(*start, at, "pieces tile the source");
        prop_assert_eq!(&items[..], &expected[at..at + items.len()]);
        at += items.len();
    }
    prop_assert_eq!(at, len, "for_each_chunk");
    Ok(())
}

/// `check_source` over the `EdgeRange` `r` of type `$t` (`$u` its unsigned twin).
macro_rules! check_edge_range {
    ($r:expr, $pool:expr, $schedule:expr, $t:ty, $u:ty) => {{
        let r: EdgeRange = $r;
        let at = |e: Edge| -> $t {
            match e {
                Edge::Min(k) => <$t>::MIN.wrapping_add(k as $t),
                Edge::Max(k) => <$t>::MAX.wrapping_sub(k as $t),
            }
        };
        let (lo, hi) = (at(r.lo), at(r.hi));
        let offset = move |x: $t| x.wrapping_sub(lo) as $u as usize;
        if r.inclusive {
            check_source($pool, lo..=hi, $schedule, offset)
        } else {
            check_source($pool, lo..hi, $schedule, offset)
        }
    }};
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 2 } else { 96 },
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

    /// Issue 12: ranges that end at (or start from) their type's `MAX` or `MIN`, of every
    /// integer type, under every schedule on 1 to 8 threads.
    #[test]
    fn integer_ranges_near_min_and_max_run_every_item_once(
        r in edge_range(),
        threads in 1..=MAX_THREADS,
        schedule in schedule(),
    ) {
        let pool = pool(threads);
        let pool: &ThreadPool = &pool;
        match TYPES[r.ty] {
            "u8" => check_edge_range!(r, pool, schedule, u8, u8)?,
            "i8" => check_edge_range!(r, pool, schedule, i8, u8)?,
            "u16" => check_edge_range!(r, pool, schedule, u16, u16)?,
            "i16" => check_edge_range!(r, pool, schedule, i16, u16)?,
            "u32" => check_edge_range!(r, pool, schedule, u32, u32)?,
            "i32" => check_edge_range!(r, pool, schedule, i32, u32)?,
            "u64" => check_edge_range!(r, pool, schedule, u64, u64)?,
            "i64" => check_edge_range!(r, pool, schedule, i64, u64)?,
            "u128" => check_edge_range!(r, pool, schedule, u128, u128)?,
            "i128" => check_edge_range!(r, pool, schedule, i128, u128)?,
            "usize" => check_edge_range!(r, pool, schedule, usize, usize)?,
            "isize" => check_edge_range!(r, pool, schedule, isize, usize)?,
            other => unreachable!("{other}"),
        }
    }
}
