//! Property tests for the indexed adaptors `skip`, `take`, `step_by`, `rev` and `chain`:
//! alone, stacked on each other and on `map`, `filter`, `enumerate`, `zip` and `fold`, and
//! under every order-keeping terminal, against std's sequential iterators; over random
//! lengths (0 and 1 included), thread counts 1 to 8, every schedule and `with_min_len` /
//! `with_max_len`. The verbs that came later, each against std: slice parts (`par_split`,
//! `par_split_inclusive`, `par_chunk_by`, their `_mut` kin), `par_array_windows`, the
//! comparisons, tuples zipped, `flatten_iter`, `collect_vec_list`, the blocks adaptors,
//! `unzip_into_vecs`, `iter::split` and the `walk_tree`s. Then `Vec`s by value through
//! each adaptor, with panics and early exits: every item is dropped exactly once (small
//! enough for miri).

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use brigade::Schedule;
use brigade::iter::Either;
use brigade::prelude::*;
use common::iter_cases::{
    self, IDENTITY, MAX_LEN, Mat, data, len, lens, mat, mul, pool, schedule, threads, tuned,
};
use common::{EXPECTED, payload_str, pool_of, quiet_expected_panics};
use proptest::prelude::*;

/// A count for `skip`/`take`: small, or anywhere up to past the longest length.
fn count() -> impl Strategy<Value = usize> {
    prop_oneof![0..4usize, 0..MAX_LEN + 10]
}

/// A step for `step_by`: 1 to a few, or up to past the longest length.
fn step() -> impl Strategy<Value = usize> {
    prop_oneof![1..5usize, 1..MAX_LEN + 10]
}

/// A pair as one `u32` (items are below 50, positions below 100,000), so that pipelines
/// with `enumerate` and `zip` can go through the same checks.
fn pair(i: usize, x: u32) -> u32 {
    x + 50 * i as u32
}

// Each check is its own function, kept out of line: one function per pipeline and
// terminal keeps the release build of this file to a few minutes (one proptest body with
// every pipeline inlined took many times longer).

/// `par().collect()` is `seq`.
#[inline(never)]
fn collects<I, T>(par: I, seq: &[T]) -> Result<(), TestCaseError>
where
    I: ParallelIterator<Item = T>,
    T: Send + PartialEq + std::fmt::Debug,
{
    prop_assert_eq!(par.collect::<Vec<T>>(), seq);
    Ok(())
}

/// The order-keeping terminals (`collect`, `reduce` with a non-commutative operation,
/// `sum`, `find_first`, `count`, a `fold`), and `any`, on `par()` against `seq`; `target` is what the
/// search looks for.
#[inline(never)]
fn terminals<I>(par: impl Fn() -> I, seq: &[u32], target: u32) -> Result<(), TestCaseError>
where
    I: ParallelIterator<Item = u32>,
{
    prop_assert_eq!(par().collect::<Vec<u32>>(), seq, "collect");
    prop_assert_eq!(
        par().map(mat).reduce(|| IDENTITY, mul),
        seq.iter().map(|&x| mat(x)).fold(IDENTITY, mul),
        "reduce"
    );
    prop_assert_eq!(
        par().map(u64::from).sum::<u64>(),
        seq.iter().map(|&x| u64::from(x)).sum::<u64>(),
        "sum"
    );
    prop_assert_eq!(par().count(), seq.len(), "count");
    prop_assert_eq!(par().any(|x| x == target), seq.contains(&target), "any");
    prop_assert_eq!(
        par().find_first(|&x| x == target),
        seq.iter().copied().find(|&x| x == target),
        "find_first"
    );
    prop_assert_eq!(
        par()
            .fold(Vec::new, |mut a, x| {
                a.push(x);
                a
            })
            .collect::<Vec<Vec<u32>>>()
            .concat(),
        seq,
        "fold"
    );
    Ok(())
}

/// [`terminals`], and those of indexed iterators: `len`, `position_first`, `position_any`,
/// `collect_into_vec`, and a `for_each` that must see each position once, with its item.
#[inline(never)]
fn indexed_terminals<I>(par: impl Fn() -> I, seq: &[u32], target: u32) -> Result<(), TestCaseError>
where
    I: IndexedParallelIterator<Item = u32>,
{
    terminals(&par, seq, target)?;
    prop_assert_eq!(par().len(), seq.len(), "len");
    prop_assert_eq!(
        par().position_first(|x| x == target),
        seq.iter().position(|&x| x == target),
        "position_first"
    );
    match par().position_any(|x| x == target) {
        Some(at) => prop_assert_eq!(seq.get(at), Some(&target), "position_any"),
        None => prop_assert!(!seq.contains(&target), "position_any"),
    }
    let mut into = vec![7u32; 3];
    par().collect_into_vec(&mut into);
    prop_assert_eq!(&into, seq, "collect_into_vec");
    let seen = Mutex::new(Vec::new());
    par().enumerate().for_each(|p| seen.lock().unwrap().push(p));
    let mut seen = seen.into_inner().unwrap();
    seen.sort_unstable();
    prop_assert_eq!(
        seen,
        seq.iter().copied().enumerate().collect::<Vec<_>>(),
        "for_each"
    );
    Ok(())
}

proptest! {
    #![proptest_config(iter_cases::config())]

    /// `flat_map` with inner iterators of up to a few hundred items, stepped (`find_first`,
    /// `max` after its first `next`) in stretches of 16, 32, 64... base indices, and folded;
    /// inner iterators that filter and that fold (their flush) too.
    #[test]
    fn flat_map_stepped_in_stretches_matches_std(
        len in len(), threads in threads(), schedule in schedule(), lens in lens(), seed in any::<u64>(),
        target in 0..400u32,
    ) {
        let v = data(len, seed);
        let pool = pool(threads);
        pool.install(|| -> Result<(), TestCaseError> {
            let it = || tuned!(v.par_iter().copied(), schedule, lens);
            let s = || v.iter().copied();
            let seq = |i: &mut dyn Iterator<Item = u32>| i.collect::<Vec<u32>>();
            let inner = |x: u32| x * 7 % 300;
            terminals(
                || it().flat_map(move |x| (0..inner(x)).into_par_iter()),
                &seq(&mut s().flat_map(|x| 0..inner(x))),
                target,
            )?;
            terminals(
                || it().flat_map(move |x| (0..inner(x)).into_par_iter().filter(move |k| (k + x) % 3 != 0)),
                &seq(&mut s().flat_map(|x| (0..inner(x)).filter(move |k| (k + x) % 3 != 0))),
                target,
            )?;
            // An inner iterator that folds: stepped (an early exit) it runs as one chain,
            // with one accumulator; driven as a loop of its own (a short `flat_map`, a long
            // inner iterator) it may make one per chain. Either way its accumulators hold
            // its items, each once, in order.
            let folded = || it().flat_map(move |x| {
                (0..inner(x)).into_par_iter().fold(Vec::new, move |mut a, k| {
                    a.push(x * 1000 + k);
                    a
                })
            });
            let items: Vec<u32> = s().flat_map(|x| (0..inner(x)).map(move |k| x * 1000 + k)).collect();
            // Long inner iterators (4,096 items or more) are loops of their own: each item
            // once, in order, through `map` and `filter` too, with inner folds handing on.
            if !cfg!(miri) {
                let long = move |x: u32| (0..4_096 + x * 37).into_par_iter().map(move |k| x ^ k);
                let want: Vec<u32> = s().take(4).flat_map(|x| (0..4_096 + x * 37).map(move |k| x ^ k)).collect();
                terminals(|| it().take(4).flat_map(long), &want, target)?;
                let kept = |y: &u32| !y.is_multiple_of(3);
                prop_assert_eq!(
                    it().take(4).flat_map(long).filter(kept).map(|y| y / 2).collect::<Vec<u32>>(),
                    want.iter().copied().filter(kept).map(|y| y / 2).collect::<Vec<u32>>(),
                    "long inner, filter, map"
                );
                let parts = it().take(4).flat_map(move |x| {
                    long(x).fold(Vec::new, |mut a, y| {
                        a.push(y);
                        a
                    })
                });
                prop_assert_eq!(&parts.collect::<Vec<Vec<u32>>>().concat(), &want, "long inner fold");
                // A `fold` and a `map_init` after the `flat_map` keep its inner iterators
                // loops of their own: each accumulator holds consecutive items, none is
                // empty, and a `map_init` value is lent to the items of whole chains.
                let outer_folds = it().take(4).flat_map(long).fold(Vec::new, |mut a, y| {
                    a.push(y);
                    a
                }).collect::<Vec<Vec<u32>>>();
                prop_assert!(outer_folds.iter().all(|a| !a.is_empty()), "an empty accumulator");
                prop_assert_eq!(&outer_folds.concat(), &want, "fold after a long flat_map");
                prop_assert_eq!(
                    it().take(4).flat_map(long).flat_map_iter(|y| 0..y % 3).map(|z| vec![z; 2]).flatten_iter().collect::<Vec<u32>>(),
                    want.iter().flat_map(|&y| 0..y % 3).flat_map(|z| [z, z]).collect::<Vec<u32>>(),
                    "flat_map_iter, flatten_iter after a long flat_map"
                );
                let sum = it().take(4).flat_map(long).try_fold(|| 0u64, |a, y| a.checked_add(u64::from(y))).map(Option::unwrap).sum::<u64>();
                prop_assert_eq!(sum, want.iter().map(|&y| u64::from(y)).sum::<u64>(), "try_fold after a long flat_map");
                let made = AtomicUsize::new(0);
                let mapped: Vec<(u32, usize)> = it().take(4).flat_map(long).map_init(
                    || { made.fetch_add(1, Ordering::Relaxed); 0usize },
                    |n, y| { *n += 1; (y, *n) },
                ).collect();
                prop_assert_eq!(mapped.iter().map(|p| p.0).collect::<Vec<u32>>(), want.clone(), "map_init after a long flat_map");
                // Each value counts the items it was lent to: every count of 1 is a value's
                // first item, and no value is lent before `init` made it (a chain may make
                // one and meet no item, as rayon's splits may).
                prop_assert!(mapped.iter().filter(|p| p.1 == 1).count() <= made.load(Ordering::Relaxed), "map_init values");
            }

            prop_assert_eq!(&folded().collect::<Vec<Vec<u32>>>().concat(), &items, "inner fold, collect");
            // A `fold` after the `flat_map` (short inner iterators: stretches of a piece).
            let outer_folds = it().flat_map(move |x| (0..inner(x)).into_par_iter().map(move |k| x * 1000 + k))
                .fold(Vec::new, |mut a, y| {
                    a.push(y);
                    a
                })
                .collect::<Vec<Vec<u32>>>();
            prop_assert!(outer_folds.iter().all(|a| !a.is_empty()), "an empty accumulator");
            prop_assert_eq!(&outer_folds.concat(), &items, "fold after a flat_map");
            prop_assert_eq!(folded().map(|a| a.len()).sum::<usize>(), items.len(), "inner fold, sum");
            prop_assert_eq!(
                folded().find_first(|a| a.contains(&(target * 1000))).map(|a| a[0] / 1000),
                items.iter().find(|&&y| y == target * 1000).map(|&y| y / 1000),
                "inner fold, find_first"
            );
            prop_assert_eq!(
                it().flat_map(move |x| (0..inner(x)).into_par_iter().map(move |k| k ^ x)).max(),
                s().flat_map(|x| (0..inner(x)).map(move |k| k ^ x)).max()
            );
            // The early exits run each indexed inner iterator with internal iteration
            // (`find_map`), and step on from where the hit was: every item once, in order.
            let pairs = || it().flat_map(move |x| {
                (0..inner(x)).into_par_iter().zip((0..inner(x)).into_par_iter().rev()).map(move |(k, r)| (x, k, r))
            });
            let want: Vec<(u32, u32, u32)> = s()
                .flat_map(|x| (0..inner(x)).zip((0..inner(x)).rev()).map(move |(k, r)| (x, k, r)))
                .collect();
            let hit = |&(x, k, _): &(u32, u32, u32)| (x ^ k) % 400 == target;
            prop_assert_eq!(pairs().find_first(hit), want.iter().copied().find(hit), "find_first");
            prop_assert_eq!(pairs().find_last(hit), want.iter().copied().rfind(hit), "find_last");
            prop_assert_eq!(pairs().any(|p| hit(&p)), want.iter().any(hit), "any");
            // A search from the end searches each inner iterator from its end: long ones
            // (past 1,024 base indices) and nested ones as searches of their own, also
            // under a `map` and through `flatten`.
            let long = move |x: u32| x * 13 % if cfg!(miri) { 30 } else { 3000 };
            let nested = || {
                it().flat_map(move |x| {
                    (0..long(x)).into_par_iter().flat_map(move |k| (0..k % 5).into_par_iter().map(move |j| (x, k, j)))
                })
                .map(|(x, k, j)| x ^ k ^ j)
            };
            let want_nested: Vec<u32> =
                s().flat_map(|x| (0..long(x)).flat_map(move |k| (0..k % 5).map(move |j| x ^ k ^ j))).collect();
            let near = |y: &u32| y % 400 == target;
            prop_assert_eq!(nested().find_last(near), want_nested.iter().copied().rfind(near), "nested find_last");
            prop_assert_eq!(
                nested().find_map_last(|y| near(&y).then_some(y / 2)),
                want_nested.iter().rev().find_map(|&y| near(&y).then_some(y / 2)),
                "nested find_map_last"
            );
            let vecs = || it().map(move |x| (0..long(x)).collect::<Vec<u32>>()).flatten();
            prop_assert_eq!(vecs().find_last(near), s().flat_map(|x| 0..long(x)).rfind(near), "flatten find_last");
            prop_assert_eq!(pairs().all(|p| !hit(&p)), !want.iter().any(hit), "all");
            prop_assert_eq!(pairs().find_any(hit).is_some_and(|p| hit(&p)), want.iter().any(hit), "find_any");
            let seen = Mutex::new(Vec::new());
            let failed = pairs().try_for_each(|p| {
                seen.lock().unwrap().push(p);
                if hit(&p) { Err(p) } else { Ok(()) }
            });
            prop_assert_eq!(failed.is_err(), want.iter().any(hit), "try_for_each");
            if failed.is_ok() {
                let mut seen = seen.into_inner().unwrap();
                seen.sort_unstable();
                let mut all = want.clone();
                all.sort_unstable();
                prop_assert_eq!(seen, all, "try_for_each saw every item once");
            }
            Ok(())
        })?;
    }

    #[test]
    fn skip_and_take_match_std(
        len in len(), threads in threads(), schedule in schedule(), lens in lens(), seed in any::<u64>(),
        n in count(), m in count(), target in 0..50u32,
    ) {
        let v = data(len, seed);
        let pool = pool(threads);
        pool.install(|| -> Result<(), TestCaseError> {
            let it = || tuned!(v.par_iter().copied(), schedule, lens);
            let s = || v.iter().copied();
            let seq = |i: &mut dyn Iterator<Item = u32>| i.collect::<Vec<u32>>();
            indexed_terminals(|| it().skip(n), &seq(&mut s().skip(n)), target)?;
            indexed_terminals(|| it().take(n), &seq(&mut s().take(n)), target)?;
            // `Either` of two iterators is one, on either side, indexed if both are.
            let either = |left: bool| if left { Either::Left(it().skip(n)) } else { Either::Right(it().rev().take(n)) };
            indexed_terminals(|| either(true), &seq(&mut s().skip(n)), target)?;
            indexed_terminals(|| either(false), &seq(&mut s().rev().take(n)), target)?;
            let mixed = |left: bool| if left { Either::Left(it().filter(|x| x % 3 != 0)) } else { Either::Right(it().take(n)) };
            terminals(|| mixed(true), &seq(&mut s().filter(|x| x % 3 != 0)), target)?;
            terminals(|| mixed(false), &seq(&mut s().take(n)), target)?;
            collects(it().skip(n).take(m), &seq(&mut s().skip(n).take(m)))?;
            collects(it().take(n).skip(m), &seq(&mut s().take(n).skip(m)))?;
            collects(it().map(|x| x * 3).skip(n), &seq(&mut s().map(|x| x * 3).skip(n)))?;
            collects(
                it().enumerate().skip(n).map(|(i, x)| pair(i, x)),
                &seq(&mut s().enumerate().skip(n).map(|(i, x)| pair(i, x))),
            )?;
            collects(
                it().take(n).enumerate().map(|(i, x)| pair(i, x)),
                &seq(&mut s().take(n).enumerate().map(|(i, x)| pair(i, x))),
            )?;
            collects(
                it().skip(n).zip(v.par_iter().take(m)).map(|(x, &y)| pair(y as usize, x)),
                &seq(&mut s().skip(n).zip(v.iter().take(m)).map(|(x, &y)| pair(y as usize, x))),
            )?;
            collects(it().skip(n).filter(|x| x % 2 == 0), &seq(&mut s().skip(n).filter(|x| x % 2 == 0)))?;
            // Tuned on top of the adaptor rather than below it; a `Vec` by value.
            collects(tuned!(v.par_iter().copied().skip(n), schedule, lens), &seq(&mut s().skip(n)))?;
            collects(tuned!(v.clone().into_par_iter().take(n), schedule, lens), &seq(&mut s().take(n)))?;
            Ok(())
        })?;
    }

    #[test]
    fn step_by_matches_std(
        len in len(), threads in threads(), schedule in schedule(), lens in lens(), seed in any::<u64>(),
        step in step(), n in count(), target in 0..50u32,
    ) {
        let v = data(len, seed);
        let pool = pool(threads);
        pool.install(|| -> Result<(), TestCaseError> {
            let it = || tuned!(v.par_iter().copied(), schedule, lens);
            let s = || v.iter().copied();
            let seq = |i: &mut dyn Iterator<Item = u32>| i.collect::<Vec<u32>>();
            indexed_terminals(|| it().step_by(step), &seq(&mut s().step_by(step)), target)?;
            collects(it().map(|x| x + 1).step_by(step), &seq(&mut s().map(|x| x + 1).step_by(step)))?;
            collects(
                it().step_by(step).enumerate().map(|(i, x)| pair(i, x)),
                &seq(&mut s().step_by(step).enumerate().map(|(i, x)| pair(i, x))),
            )?;
            collects(
                it().enumerate().step_by(step).map(|(i, x)| pair(i, x)),
                &seq(&mut s().enumerate().step_by(step).map(|(i, x)| pair(i, x))),
            )?;
            collects(it().step_by(step).skip(n), &seq(&mut s().step_by(step).skip(n)))?;
            collects(it().skip(n).step_by(step).take(n), &seq(&mut s().skip(n).step_by(step).take(n)))?;
            collects(it().step_by(step).rev(), &seq(&mut s().step_by(step).rev()))?;
            collects(it().rev().step_by(step), &seq(&mut s().rev().step_by(step)))?;
            collects(
                it().step_by(step).zip(it().rev()).map(|(x, y)| x * 64 + y),
                &seq(&mut s().step_by(step).zip(s().rev()).map(|(x, y)| x * 64 + y)),
            )?;
            collects(v.clone().into_par_iter().with_schedule(schedule).step_by(step), &seq(&mut s().step_by(step)))?;
            // A range of a type whose std iterator has no exact length, backwards.
            let end = len as u64;
            collects(
                tuned!((0..end).into_par_iter(), schedule, lens).step_by(step).rev(),
                &(0..end).collect::<Vec<u64>>().into_iter().step_by(step).rev().collect::<Vec<u64>>(),
            )?;
            Ok(())
        })?;
    }

    #[test]
    fn rev_matches_std(
        len in len(), threads in threads(), schedule in schedule(), lens in lens(), seed in any::<u64>(),
        n in count(), size in 1..8usize, target in 0..50u32,
    ) {
        let v = data(len, seed);
        let w = data(len / 2 + 1, !seed);
        let pool = pool(threads);
        pool.install(|| -> Result<(), TestCaseError> {
            let it = || tuned!(v.par_iter().copied(), schedule, lens);
            let s = || v.iter().copied();
            let seq = |i: &mut dyn Iterator<Item = u32>| i.collect::<Vec<u32>>();
            indexed_terminals(|| it().rev(), &seq(&mut s().rev()), target)?;
            indexed_terminals(|| it().rev().rev(), &v, target)?;
            collects(it().map(|x| x * 5).rev(), &seq(&mut s().map(|x| x * 5).rev()))?;
            collects(
                it().enumerate().rev().map(|(i, x)| pair(i, x)),
                &seq(&mut s().enumerate().rev().map(|(i, x)| pair(i, x))),
            )?;
            collects(
                it().rev().enumerate().map(|(i, x)| pair(i, x)),
                &seq(&mut s().rev().enumerate().map(|(i, x)| pair(i, x))),
            )?;
            collects(
                it().zip(&w).rev().map(|(x, &y)| x * 64 + y),
                &seq(&mut s().zip(&w).collect::<Vec<_>>().into_iter().rev().map(|(x, &y)| x * 64 + y)),
            )?;
            collects(
                it().rev().zip(w.par_iter().rev()).map(|(x, &y)| x * 64 + y),
                &seq(&mut s().rev().zip(w.iter().rev()).map(|(x, &y)| x * 64 + y)),
            )?;
            collects(it().skip(n).rev().take(n), &seq(&mut s().skip(n).rev().take(n)))?;
            collects(it().rev().filter(|x| x % 2 == 1), &seq(&mut s().rev().filter(|x| x % 2 == 1)))?;
            collects(
                it().map_init(|| 7u32, |seven, x| x + *seven).rev(),
                &seq(&mut s().map(|x| x + 7).rev()),
            )?;
            collects(v.clone().into_par_iter().with_schedule(schedule).rev(), &seq(&mut s().rev()))?;
            collects(
                tuned!(v.par_chunks(size), schedule, lens).rev().map(<[u32]>::to_vec),
                &v.chunks(size).rev().map(<[u32]>::to_vec).collect::<Vec<_>>(),
            )?;
            collects(
                tuned!(v.par_windows(size), schedule, lens).rev().map(<[u32]>::to_vec),
                &v.windows(size).rev().map(<[u32]>::to_vec).collect::<Vec<_>>(),
            )?;
            let mut m = v.clone();
            tuned!(m.par_iter_mut(), schedule, lens).rev().enumerate().for_each(|(i, x)| *x += 100 * i as u32);
            prop_assert_eq!(m, s().rev().enumerate().map(|(i, x)| x + 100 * i as u32).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>());
            // Ranges whose std iterators have no exact length, up to the type's `MAX`.
            let lo = i64::MAX - len as i64;
            collects(tuned!((lo..=i64::MAX).into_par_iter(), schedule, lens).rev(), &(lo..=i64::MAX).rev().collect::<Vec<_>>())?;
            Ok(())
        })?;
    }

    #[test]
    fn chain_matches_std(
        len in len(), len_b in len(), threads in threads(), schedule in schedule(), lens in lens(),
        seed in any::<u64>(), n in count(), step in step(), target in 0..50u32,
    ) {
        let v = data(len, seed);
        let w = data(len_b, !seed);
        let vw: Vec<u32> = v.iter().chain(&w).copied().collect();
        let pool = pool(threads);
        pool.install(|| -> Result<(), TestCaseError> {
            let a = || tuned!(v.par_iter().copied(), schedule, lens);
            let b = || w.par_iter().copied();
            let s = || vw.iter().copied();
            let seq = |i: &mut dyn Iterator<Item = u32>| i.collect::<Vec<u32>>();
            indexed_terminals(|| a().chain(b()), &vw, target)?;
            indexed_terminals(|| tuned!(b().chain(v.par_iter().copied()), schedule, lens), &seq(&mut w.iter().chain(&v).copied()), target)?;
            // Unindexed on either side.
            let odd = |x: &u32| x % 2 == 1;
            terminals(|| a().filter(odd).chain(b()), &seq(&mut v.iter().copied().filter(odd).chain(w.iter().copied())), target)?;
            terminals(|| a().chain(b().filter(odd)), &seq(&mut v.iter().copied().chain(w.iter().copied().filter(odd))), target)?;
            // Stacked with the other adaptors.
            collects(a().chain(b()).rev(), &seq(&mut s().rev()))?;
            collects(a().chain(b()).skip(n).take(len), &seq(&mut s().skip(n).take(len)))?;
            collects(a().chain(b()).step_by(step), &seq(&mut s().step_by(step)))?;
            collects(a().rev().chain(b().step_by(step)), &seq(&mut v.iter().rev().chain(w.iter().step_by(step)).copied()))?;
            collects(
                a().chain(b()).enumerate().map(|(i, x)| pair(i, x)),
                &seq(&mut s().enumerate().map(|(i, x)| pair(i, x))),
            )?;
            collects(
                b().zip(a().chain(b())).map(|(x, y)| x * 64 + y),
                &seq(&mut w.iter().zip(s()).map(|(x, y)| x * 64 + y)),
            )?;
            collects(
                a().chain(b()).chain(a().skip(n)).map(|x| x + 1),
                &seq(&mut s().chain(v.iter().copied().skip(n)).map(|x| x + 1)),
            )?;
            collects(
                tuned!(v.clone().into_par_iter().chain(w.clone()), schedule, lens),
                &vw,
            )?;
            Ok(())
        })?;
    }

    /// A `fold` on one side of a `chain` (or in the middle of two): its accumulators
    /// still come in order, before the other side's items.
    #[test]
    fn interleave_matches_a_sequential_interleave(
        len in len(), len_b in len(), threads in threads(), schedule in schedule(), lens in lens(),
        seed in any::<u64>(), n in count(), step in step(), target in 0..50u32,
    ) {
        /// `a` and `b` in turn, then the longer one's rest; or, `shortest`, until one has
        /// none left for its turn.
        fn interleave(a: &[u32], b: &[u32], shortest: bool) -> Vec<u32> {
            let (mut a, mut b) = (a.iter().copied(), b.iter().copied());
            let mut out = Vec::new();
            loop {
                match a.next() {
                    Some(x) => out.push(x),
                    None if shortest => return out,
                    None => { out.extend(b); return out }
                }
                match b.next() {
                    Some(y) => out.push(y),
                    None if shortest => return out,
                    None => { out.extend(a); return out }
                }
            }
        }
        let v = data(len, seed);
        let w = data(len_b, !seed);
        let vw = interleave(&v, &w, false);
        let wv = interleave(&w, &v, false);
        let short = interleave(&v, &w, true);
        let pool = pool(threads);
        pool.install(|| -> Result<(), TestCaseError> {
            let a = || tuned!(v.par_iter().copied(), schedule, lens);
            let b = || w.par_iter().copied();
            let seq = |i: &mut dyn Iterator<Item = u32>| i.collect::<Vec<u32>>();
            indexed_terminals(|| a().interleave(b()), &vw, target)?;
            indexed_terminals(|| tuned!(b().interleave(v.par_iter().copied()), schedule, lens), &wv, target)?;
            indexed_terminals(|| a().interleave_shortest(b()), &short, target)?;
            // Stacked with the other adaptors.
            collects(a().interleave(b()).rev(), &seq(&mut vw.iter().rev().copied()))?;
            collects(a().interleave_shortest(b()).rev(), &seq(&mut short.iter().rev().copied()))?;
            collects(a().interleave(b()).skip(n).take(len), &seq(&mut vw.iter().copied().skip(n).take(len)))?;
            collects(a().interleave(b()).step_by(step), &seq(&mut vw.iter().copied().step_by(step)))?;
            collects(a().rev().interleave(b().step_by(step)), &interleave(&seq(&mut v.iter().rev().copied()), &seq(&mut w.iter().copied().step_by(step)), false))?;
            collects(
                a().interleave(b()).enumerate().map(|(i, x)| pair(i, x)),
                &seq(&mut vw.iter().copied().enumerate().map(|(i, x)| pair(i, x))),
            )?;
            collects(
                a().interleave(b()).zip(b().chain(a())).map(|(x, y)| x * 64 + y),
                &seq(&mut vw.iter().zip(w.iter().chain(&v)).map(|(x, y)| x * 64 + y)),
            )?;
            collects(
                tuned!(v.clone().into_par_iter().interleave(w.clone()), schedule, lens),
                &vw,
            )?;
            Ok(())
        })?;
    }

    #[test]
    fn intersperse_matches_a_sequential_intersperse(
        len in len(), threads in threads(), schedule in schedule(), lens in lens(),
        seed in any::<u64>(), n in count(), step in step(), target in 0..50u32,
    ) {
        /// `sep` between every two items.
        fn intersperse(items: impl IntoIterator<Item = u32>, sep: u32) -> Vec<u32> {
            let mut out = Vec::new();
            for (i, x) in items.into_iter().enumerate() {
                if i > 0 {
                    out.push(sep);
                }
                out.push(x);
            }
            out
        }
        let v = data(len, seed);
        let with = intersperse(v.iter().copied(), 99);
        let pool = pool(threads);
        pool.install(|| -> Result<(), TestCaseError> {
            let a = || tuned!(v.par_iter().copied(), schedule, lens);
            let seq = |i: &mut dyn Iterator<Item = u32>| i.collect::<Vec<u32>>();
            indexed_terminals(|| a().intersperse(99), &with, target)?;
            indexed_terminals(|| tuned!(v.par_iter().copied().intersperse(99), schedule, lens), &with, target)?;
            collects(a().intersperse(99).rev(), &seq(&mut with.iter().rev().copied()))?;
            collects(a().rev().intersperse(99), &intersperse(v.iter().rev().copied(), 99))?;
            collects(a().intersperse(99).skip(n).take(len), &seq(&mut with.iter().copied().skip(n).take(len)))?;
            collects(a().intersperse(99).step_by(step), &seq(&mut with.iter().copied().step_by(step)))?;
            collects(a().step_by(step).intersperse(99), &intersperse(v.iter().copied().step_by(step), 99))?;
            collects(
                a().intersperse(99).enumerate().map(|(i, x)| pair(i, x)),
                &seq(&mut with.iter().copied().enumerate().map(|(i, x)| pair(i, x))),
            )?;
            collects(a().intersperse(98).intersperse(99), &intersperse(with.iter().map(|&x| if x == 99 { 98 } else { x }), 99))?;
            collects(tuned!(v.clone().into_par_iter().intersperse(99), schedule, lens), &with)?;
            // Not indexed, keeping the first item (so exact): the terminals.
            let keep = |i: usize, x: u32| i == 0 || !x.is_multiple_of(3);
            let kept = intersperse(v.iter().enumerate().filter(|&(i, &x)| keep(i, x)).map(|(_, &x)| x), 99);
            terminals(|| a().enumerate().filter(|&(i, x)| keep(i, x)).map(|(_, x)| x).intersperse(99), &kept, target)?;
            Ok(())
        })?;
    }

    #[test]
    fn chain_keeps_order_around_a_fold(
        len in len(), len_b in len(), threads in threads(), schedule in schedule(), lens in lens(),
        seed in any::<u64>(), target in 0..50u32,
    ) {
        let v = data(len, seed);
        let w = data(len_b, !seed);
        let vw: Vec<u32> = v.iter().chain(&w).copied().collect();
        let (a, total) = (v.len(), vw.len());
        let pool = pool(threads);
        pool.install(|| -> Result<(), TestCaseError> {
            // Matrices: a fold of one side's products, the other's one by one.
            let product = vw.iter().map(|&x| mat(x)).fold(IDENTITY, mul);
            fn fold_mats(x: &[u32]) -> impl ParallelIterator<Item = Mat> + '_ {
                x.par_iter().fold(|| IDENTITY, |m, &x| mul(m, mat(x)))
            }
            fn each_mat(x: &[u32]) -> impl ParallelIterator<Item = Mat> + '_ {
                x.par_iter().map(|&x| mat(x))
            }
            prop_assert_eq!(tuned!(fold_mats(&v).chain(each_mat(&w)), schedule, lens).reduce(|| IDENTITY, mul), product);
            prop_assert_eq!(tuned!(each_mat(&v).chain(fold_mats(&w)), schedule, lens).reduce(|| IDENTITY, mul), product);
            prop_assert_eq!(tuned!(fold_mats(&v).chain(fold_mats(&w)), schedule, lens).reduce(|| IDENTITY, mul), product);
            // Positions, in runs: folded on one side, one per run on the other.
            let runs = |r: std::ops::Range<usize>| {
                r.into_par_iter().fold(Vec::new, |mut run, i| {
                    run.push(i);
                    run
                })
            };
            let ones = |r: std::ops::Range<usize>| r.into_par_iter().map(|i| vec![i]);
            let all: Vec<usize> = (0..total).collect();
            let got: Vec<Vec<usize>> = tuned!(runs(0..a).chain(ones(a..total)), schedule, lens).collect();
            prop_assert_eq!(got.concat(), all.clone());
            let got: Vec<Vec<usize>> = tuned!(ones(0..a).chain(runs(a..total)), schedule, lens).collect();
            prop_assert_eq!(got.concat(), all.clone());
            // A fold between two sides, nested either way.
            let (third, two_thirds) = (total / 3, 2 * total / 3);
            let got: Vec<Vec<usize>> =
                tuned!(ones(0..third).chain(runs(third..two_thirds)).chain(ones(two_thirds..total)), schedule, lens)
                    .collect();
            prop_assert_eq!(got.concat(), all.clone());
            let got: Vec<Vec<usize>> =
                tuned!(ones(0..third).chain(runs(third..two_thirds).chain(ones(two_thirds..total))), schedule, lens)
                    .collect();
            prop_assert_eq!(got.concat(), all.clone());
            // The first run holding the first position of `target`.
            let first = vw.iter().position(|&x| x == target);
            let found = tuned!(runs(0..a).chain(ones(a..total)), schedule, lens)
                .find_first(|run| run.iter().any(|&i| vw[i] == target));
            prop_assert_eq!(found.is_some(), first.is_some());
            prop_assert!(found.as_ref().is_none_or(|run| first.is_some_and(|p| run.contains(&p))), "{:?} {:?}", found, first);
            Ok(())
        })?;
    }
}

/// A value that counts how many were made and dropped, and knows its place.
struct Counted<'a> {
    counts: &'a Counts,
    id: usize,
}

#[derive(Default)]
struct Counts {
    made: AtomicUsize,
    dropped: AtomicUsize,
}

impl Counts {
    /// `n` values, numbered `0..n`.
    fn make(&self, n: usize) -> Vec<Counted<'_>> {
        self.made.fetch_add(n, Ordering::Relaxed);
        (0..n).map(|id| Counted { counts: self, id }).collect()
    }

    fn balanced(&self) -> bool {
        self.made.load(Ordering::Relaxed) == self.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.counts.dropped.fetch_add(1, Ordering::Relaxed);
    }
}

fn ids(v: &[Counted<'_>]) -> Vec<usize> {
    v.iter().map(|c| c.id).collect()
}

/// `Vec`s by value through `skip`, `take`, `step_by`, `rev` and `chain`: runs to the end,
/// early exits, and a panic in a closure before or after the adaptor. Every item is dropped
/// exactly once: those the adaptors never yield (the iterator drops them), those a panic
/// left behind (the pieces drop them), and those collected.
#[test]
fn vecs_by_value_drop_each_item_once_through_the_adaptors() {
    quiet_expected_panics();
    let n = if cfg!(miri) { 12 } else { 2_000 };
    let all_threads: &[usize] = if cfg!(miri) { &[1, 2] } else { &[1, 2, 4] };
    let schedules = if cfg!(miri) {
        vec![
            Schedule::Static,
            Schedule::Dynamic { chunk: 1 },
            Schedule::default(),
        ]
    } else {
        vec![
            Schedule::Static,
            Schedule::StaticChunks { chunk: 7 },
            Schedule::Dynamic { chunk: 1 },
            Schedule::Guided { min_chunk: 3 },
            Schedule::default(),
        ]
    };
    for &threads in all_threads {
        let pool = pool_of(threads);
        for &schedule in &schedules {
            let counts = Counts::default();
            let items = || counts.make(n).into_par_iter().with_schedule(schedule);
            pool.install(|| {
                let got = items().skip(n / 3).collect::<Vec<_>>();
                assert_eq!(ids(&got), (n / 3..n).collect::<Vec<_>>());
                let got = items().take(n / 3).collect::<Vec<_>>();
                assert_eq!(ids(&got), (0..n / 3).collect::<Vec<_>>());
                let got = items().step_by(3).collect::<Vec<_>>();
                assert_eq!(ids(&got), (0..n).step_by(3).collect::<Vec<_>>());
                let got = items().rev().collect::<Vec<_>>();
                assert_eq!(ids(&got), (0..n).rev().collect::<Vec<_>>());
                let got = items()
                    .skip(1)
                    .rev()
                    .step_by(2)
                    .chain(items().take(3))
                    .collect::<Vec<_>>();
                let expected = (1..n).rev().step_by(2).chain(0..3).collect::<Vec<_>>();
                assert_eq!(ids(&got), expected);
                // Both sides' items move out, in turn; `interleave_shortest` drops the rest
                // of the longer side.
                let got = items().interleave(items().take(2)).collect::<Vec<_>>();
                let mut expected = vec![0, 0, 1, 1];
                expected.extend(2..n);
                assert_eq!(ids(&got), expected);
                let got = items()
                    .take(2)
                    .interleave_shortest(items())
                    .collect::<Vec<_>>();
                assert_eq!(ids(&got), [0, 0, 1, 1]);
                // Early exits: the items never reached are dropped with the iterators.
                let seen = AtomicUsize::new(0);
                assert!(
                    items()
                        .step_by(2)
                        .chain(items())
                        .any(|_| seen.fetch_add(1, Ordering::Relaxed) == 5)
                );
                let found = items()
                    .rev()
                    .chain(items().skip(2))
                    .find_first(|c| c.id == n / 2);
                assert_eq!(found.map(|c| c.id), Some(n / 2));
                // A fold on the left of a chain, run to the end.
                let runs = items()
                    .fold(Vec::new, |mut run, c| {
                        run.push(c);
                        run
                    })
                    .chain(items().take(2).map(|c| vec![c]))
                    .collect::<Vec<_>>();
                assert_eq!(
                    ids(&runs.into_iter().flatten().collect::<Vec<_>>()),
                    (0..n).chain(0..2).collect::<Vec<_>>()
                );
            });
            assert!(
                counts.balanced(),
                "{schedule:?} on {threads}: runs to the end"
            );
            let bad = n / 2;
            assert!(bad % 2 == 0 && bad >= 2);
            fn explode(c: Counted<'_>, bad: usize) -> Counted<'_> {
                if c.id == bad {
                    panic!("{EXPECTED}: item {}", c.id);
                }
                c
            }
            let boom = |c| explode(c, bad);
            let after = |(i, c): (usize, Counted<'_>)| {
                if i == bad / 2 {
                    panic!("{EXPECTED}: item {i}");
                }
                drop(c);
            };
            type Run<'a> = Box<dyn Fn() + Sync + 'a>;
            let runs: Vec<(&str, Run<'_>)> = vec![
                (
                    "skip",
                    Box::new(|| drop(items().map(boom).skip(2).collect::<Vec<_>>())),
                ),
                (
                    "take",
                    Box::new(|| items().take(n - 1).enumerate().for_each(after)),
                ),
                // `bad` is even: an item `step_by(2)` yields, so `boom` runs on it.
                (
                    "step_by",
                    Box::new(|| drop(items().map(boom).step_by(2).collect::<Vec<_>>())),
                ),
                (
                    "step_by after",
                    Box::new(|| items().step_by(2).enumerate().for_each(after)),
                ),
                (
                    "interleave",
                    Box::new(|| drop(items().interleave(items().map(boom)).collect::<Vec<_>>())),
                ),
                (
                    "rev",
                    Box::new(|| drop(items().rev().map(boom).collect::<Vec<_>>())),
                ),
                (
                    "chain",
                    Box::new(|| {
                        items()
                            .skip(1)
                            .chain(items().rev())
                            .enumerate()
                            .for_each(after)
                    }),
                ),
                (
                    "chain after a fold",
                    Box::new(|| {
                        let runs = items()
                            .fold(Vec::new, |mut run, c| {
                                run.push(boom(c));
                                run
                            })
                            .chain(items().map(|c| vec![c]));
                        drop(runs.collect::<Vec<_>>());
                    }),
                ),
            ];
            for (name, run) in &runs {
                let r = catch_unwind(AssertUnwindSafe(|| pool.install(run)));
                let payload = r
                    .err()
                    .unwrap_or_else(|| panic!("{name}: expected a panic"));
                assert!(payload_str(&*payload).starts_with(EXPECTED), "{name}");
                assert!(counts.balanced(), "{name}: {schedule:?} on {threads}");
            }
        }
    }
}

/// A slice's parts (`par_split`, `par_split_inclusive`, `par_chunk_by` and the `_mut`
/// kin) against std's, on `v` tuned as the case says; the `_mut` parts are each reversed
/// in place, then the whole slice is compared with std's parts reversed the same way.
#[inline(never)]
fn slice_parts_match_std(
    v: &[u32],
    sep: u32,
    schedule: Schedule,
    lens: iter_cases::Lens,
) -> Result<(), TestCaseError> {
    let is_sep = |x: &u32| x % 7 == sep;
    let runs = |a: &u32, b: &u32| a <= b;
    let seq_split: Vec<&[u32]> = v.split(is_sep).collect();
    let seq_incl: Vec<&[u32]> = v.split_inclusive(is_sep).collect();
    let seq_runs: Vec<&[u32]> = v.chunk_by(runs).collect();
    collects(tuned!(v.par_split(is_sep), schedule, lens), &seq_split)?;
    collects(
        tuned!(v.par_split_inclusive(is_sep), schedule, lens),
        &seq_incl,
    )?;
    collects(tuned!(v.par_chunk_by(runs), schedule, lens), &seq_runs)?;
    prop_assert_eq!(v.par_split(is_sep).len(), seq_split.len());
    prop_assert_eq!(v.par_split_inclusive(is_sep).len(), seq_incl.len());
    prop_assert_eq!(v.par_chunk_by(runs).len(), seq_runs.len());
    collects(
        v.par_chunk_by(runs).rev().map(<[u32]>::len),
        &seq_runs.iter().rev().map(|r| r.len()).collect::<Vec<_>>(),
    )?;
    // The `_mut` kin: every part once, each reversed in place.
    let mut par = v.to_vec();
    let mut seq = v.to_vec();
    tuned!(par.par_split_mut(is_sep), schedule, lens).for_each(<[u32]>::reverse);
    seq.split_mut(is_sep).for_each(<[u32]>::reverse);
    prop_assert_eq!(&par, &seq, "par_split_mut");
    tuned!(par.par_split_inclusive_mut(is_sep), schedule, lens).for_each(<[u32]>::reverse);
    seq.split_inclusive_mut(is_sep).for_each(<[u32]>::reverse);
    prop_assert_eq!(&par, &seq, "par_split_inclusive_mut");
    let parts = tuned!(par.par_chunk_by_mut(runs), schedule, lens)
        .map(|r| {
            r.reverse();
            r.len()
        })
        .collect::<Vec<_>>();
    let seq_parts = seq
        .chunk_by_mut(runs)
        .map(|r| {
            r.reverse();
            r.len()
        })
        .collect::<Vec<_>>();
    prop_assert_eq!(parts, seq_parts, "par_chunk_by_mut");
    prop_assert_eq!(&par, &seq, "par_chunk_by_mut");
    Ok(())
}

/// The comparisons of indexed iterators (`cmp`, `partial_cmp`, `eq`, `ne`, `lt`, `le`,
/// `gt`, `ge`) against std's, of `v` with `w`.
#[inline(never)]
fn comparisons_match_std(v: &[u32], w: &[u32]) -> Result<(), TestCaseError> {
    prop_assert_eq!(v.par_iter().cmp(w), v.iter().cmp(w.iter()), "cmp");
    prop_assert_eq!(
        v.par_iter().partial_cmp(w),
        v.iter().partial_cmp(w.iter()),
        "partial_cmp"
    );
    prop_assert_eq!(v.par_iter().eq(w), v.iter().eq(w.iter()), "eq");
    prop_assert_eq!(v.par_iter().ne(w), v.iter().ne(w.iter()), "ne");
    prop_assert_eq!(v.par_iter().lt(w), v.iter().lt(w.iter()), "lt");
    prop_assert_eq!(v.par_iter().le(w), v.iter().le(w.iter()), "le");
    prop_assert_eq!(v.par_iter().gt(w), v.iter().gt(w.iter()), "gt");
    prop_assert_eq!(v.par_iter().ge(w), v.iter().ge(w.iter()), "ge");
    // Floats: a NaN pair is unordered, as std says.
    let f = |x: &u32| if *x == 13 { f64::NAN } else { f64::from(*x) };
    let (fv, fw): (Vec<f64>, Vec<f64>) = (v.iter().map(f).collect(), w.iter().map(f).collect());
    prop_assert_eq!(
        fv.par_iter().partial_cmp(&fw),
        fv.iter().partial_cmp(fw.iter()),
        "partial_cmp of floats"
    );
    prop_assert_eq!(
        fv.par_iter().le(&fw),
        fv.iter().le(fw.iter()),
        "le of floats"
    );
    Ok(())
}

proptest! {
    #![proptest_config(iter_cases::config())]

    #[test]
    fn slice_parts_zips_flattens_and_comparisons_match_std(
        len in len(), threads in threads(), schedule in schedule(), lens in lens(), seed in any::<u64>(),
        sep in 0..7u32, cut in 0..MAX_LEN + 2, at in 0..MAX_LEN + 2,
    ) {
        let v = data(len, seed);
        let pool = pool(threads);
        pool.install(|| -> Result<(), TestCaseError> {
            slice_parts_match_std(&v, sep, schedule, lens)?;
            // Compared with a copy, a prefix, and a copy changed at one place.
            comparisons_match_std(&v, &v)?;
            comparisons_match_std(&v, &v[..cut.min(len)])?;
            comparisons_match_std(&v[..cut.min(len)], &v)?;
            let mut changed = v.clone();
            if let Some(x) = changed.get_mut(at) {
                *x = if *x == 0 { 1 } else { *x - 1 };
            }
            comparisons_match_std(&v, &changed)?;
            comparisons_match_std(&changed, &v)?;
            // Tuples zipped (`MultiZip`), by value, by reference and by `par_iter_mut`.
            let w: Vec<u32> = v.iter().rev().copied().collect();
            collects(
                tuned!((&v, &w, 0..len as u32).into_par_iter(), schedule, lens).map(|(a, b, i)| a * 100 + b + i),
                &v.iter().zip(&w).zip(0..len as u32).map(|((a, b), i)| a * 100 + b + i).collect::<Vec<_>>(),
            )?;
            collects((v.clone(),).into_par_iter().map(|(x,)| x), &v)?;
            let mut t = (v.clone(), w.clone(), vec![0u32; len / 2]);
            t.par_iter_mut().for_each(|(a, b, c)| *c = *a + *b);
            prop_assert_eq!(&t.2, &v.iter().zip(&w).take(len / 2).map(|(a, b)| a + b).collect::<Vec<_>>());
            prop_assert_eq!((&t).into_par_iter().len(), len / 2);
            // `flatten_iter` and `collect_vec_list`, also after a `filter`.
            let nested: Vec<Vec<u32>> = v.chunks(3).map(<[u32]>::to_vec).collect();
            collects(tuned!(nested.par_iter(), schedule, lens).flatten_iter().copied(), &v)?;
            collects(
                tuned!(v.par_iter(), schedule, lens).map(|&x| (x % 3 == 0).then_some(x)).flatten_iter(),
                &v.iter().copied().filter(|x| x % 3 == 0).collect::<Vec<_>>(),
            )?;
            let list = tuned!(v.par_iter().copied(), schedule, lens).filter(|x| x % 2 == 0).collect_vec_list();
            prop_assert_eq!(list.into_iter().flatten().collect::<Vec<_>>(), v.iter().copied().filter(|x| x % 2 == 0).collect::<Vec<_>>());
            // Array windows, as std's windows.
            collects(
                tuned!(v.par_array_windows::<3>(), schedule, lens).map(|&[a, b, c]| a * 10_000 + b * 100 + c),
                &v.windows(3).map(|w| w[0] * 10_000 + w[1] * 100 + w[2]).collect::<Vec<_>>(),
            )?;
            collects(v.par_array_windows::<1>().rev().map(|&[a]| a), &v.iter().rev().copied().collect::<Vec<_>>())?;
            // Blocks: the same items and results as the iterator itself.
            let seq: Vec<u32> = v.clone();
            indexed_terminals(|| tuned!(v.par_iter().copied(), schedule, lens).by_exponential_blocks(), &seq, sep * 7)?;
            indexed_terminals(|| tuned!(v.par_iter().copied(), schedule, lens).by_uniform_blocks(cut.max(1)), &seq, sep * 7)?;
            collects(
                v.par_iter().copied().by_uniform_blocks(at.max(1)).filter(|x| x % 2 == 1),
                &v.iter().copied().filter(|x| x % 2 == 1).collect::<Vec<_>>(),
            )?;
            prop_assert_eq!(
                v.par_iter().by_uniform_blocks(at.max(1)).any(|&x| x == sep),
                v.contains(&sep)
            );
            prop_assert_eq!(
                v.par_iter().by_exponential_blocks().position_any(|&x| x == sep).map(|i| v[i]),
                v.iter().position(|&x| x == sep).map(|_| sep)
            );
            // `iter::split`: the pieces, in order, cover the range once, and there are no
            // more than 8 per thread.
            let halves = |r: std::ops::Range<usize>| {
                if r.len() < 2 {
                    (r, None)
                } else {
                    let mid = r.start + r.len() / 2;
                    (r.start..mid, Some(mid..r.end))
                }
            };
            let pieces: Vec<std::ops::Range<usize>> = tuned!(brigade::iter::split(0..len, halves), schedule, lens).collect();
            prop_assert!(pieces.len() <= (threads * 8).next_power_of_two(), "{} pieces", pieces.len());
            prop_assert!(len < 2 || pieces.len() >= 2);
            prop_assert_eq!(pieces.into_iter().flatten().collect::<Vec<_>>(), (0..len).collect::<Vec<_>>());
            prop_assert_eq!(
                brigade::iter::split(v.clone(), |mut v: Vec<u32>| {
                    let tail = (v.len() > 3).then(|| v.split_off(v.len() / 2));
                    (v, tail)
                })
                .flat_map_iter(|v| v.into_iter().rev())
                .map(u64::from)
                .sum::<u64>(),
                v.iter().map(|&x| u64::from(x)).sum::<u64>()
            );
            // `walk_tree_prefix` / `_postfix`: a random tree of `len + 1` nodes (node `i > 0`
            // hangs under an earlier one, chosen by the data), in the orders of a
            // sequential depth-first walk.
            let mut kids: Vec<Vec<usize>> = vec![Vec::new(); len + 1];
            for (i, &x) in v.iter().enumerate() {
                // Mostly under a recent node (deep trees), sometimes under the root's.
                let parent = if x % 5 == 0 { (x as usize) % (i + 1) } else { i.saturating_sub(x as usize % 3) };
                kids[parent].push(i + 1);
            }
            fn prefix(kids: &[Vec<usize>], n: usize, out: &mut Vec<usize>) {
                out.push(n);
                kids[n].iter().for_each(|&k| prefix(kids, k, out));
            }
            fn postfix(kids: &[Vec<usize>], n: usize, out: &mut Vec<usize>) {
                kids[n].iter().for_each(|&k| postfix(kids, k, out));
                out.push(n);
            }
            let (mut pre, mut post) = (Vec::new(), Vec::new());
            prefix(&kids, 0, &mut pre);
            postfix(&kids, 0, &mut post);
            let children = |&n: &usize| kids[n].clone();
            collects(tuned!(brigade::iter::walk_tree_prefix(0usize, children), schedule, lens), &pre)?;
            collects(tuned!(brigade::iter::walk_tree_postfix(0usize, children), schedule, lens), &post)?;
            let mut any: Vec<usize> = brigade::iter::walk_tree(0usize, children).collect();
            any.sort_unstable();
            prop_assert_eq!(any, (0..=len).collect::<Vec<_>>());
            // `unzip_into_vecs` into `Vec`s that held items before.
            let (mut a, mut b) = (vec![9u32; 7], vec![1u64; 2]);
            tuned!(v.par_iter(), schedule, lens).map(|&x| (x, u64::from(x) * 3)).unzip_into_vecs(&mut a, &mut b);
            prop_assert_eq!(&a, &v);
            prop_assert_eq!(b, v.iter().map(|&x| u64::from(x) * 3).collect::<Vec<_>>());
            Ok(())
        })?;
    }
}
