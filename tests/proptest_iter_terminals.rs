//! Property tests for the terminals that search from either end, partition, extend and
//! collect into more collections: each against std's sequential equivalent, over random
//! lengths (0 and 1 included), thread counts 1 to 8, every schedule and `with_min_len` /
//! `with_max_len`, also after `filter`, `map`, `enumerate` and `fold`. Then: the searches
//! from the ends stop early, and `par_extend` of a `Vec` drops every item once when a
//! closure panics (small enough for miri).

mod common;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet, LinkedList, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use brigade::Schedule;
use brigade::iter::Either;
use brigade::prelude::*;
use common::iter_cases::{self, data, len, lens, pool, schedule, threads, tuned};
use common::{EXPECTED, payload_str, pool_of, quiet_expected_panics};
use proptest::prelude::*;

/// Lengths of the searches from the end go up to this: past the 16,384 items of their
/// first block, so that they run several blocks.
const MAX_BLOCKS_LEN: usize = if cfg!(miri) { 30 } else { 200_000 };

/// A sequential `(Vec<_>, Vec<_>)` split of `Either`s, in order.
fn split<L, R>(items: impl IntoIterator<Item = Either<L, R>>) -> (Vec<L>, Vec<R>) {
    let (mut l, mut r) = (Vec::new(), Vec::new());
    for item in items {
        match item {
            Either::Left(x) => l.push(x),
            Either::Right(x) => r.push(x),
        }
    }
    (l, r)
}

/// Items ordered by `key` alone, so that equal items can be told apart by `at`. The sizes
/// (16, 8, 4 and 2 bytes) take `min` and `max` through each of their loops (`iter::reduce`'s
/// `Best`: the search, the branch on a cold path, and the plain select).
macro_rules! keyed {
    ($name:ident, $key:ty, $at:ty) => {
        #[derive(Clone, Copy, Debug)]
        struct $name {
            key: $key,
            at: $at,
        }

        impl $name {
            fn new(key: u32, at: usize) -> Self {
                $name {
                    key: key as $key,
                    at: at as $at,
                }
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.key == other.key
            }
        }

        impl Eq for $name {}

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.key.cmp(&other.key)
            }
        }
    };
}

keyed!(Keyed, u32, usize);
keyed!(Keyed8, u32, u32);
keyed!(Keyed4, u16, u16);
keyed!(Keyed2, u8, u8);

/// `min`, `max` and their `_by` kin over `v`'s items by value, against std's, told apart by
/// `at` (which `at` wraps at the type's width, so within 256 items for `Keyed2`).
fn ties_by_value<T, P>(
    it: impl Fn() -> P,
    v: &[T],
    at: impl Fn(T) -> usize,
) -> Result<(), TestCaseError>
where
    T: Copy + Ord + Send + Sync + std::fmt::Debug,
    P: ParallelIterator<Item = T>,
{
    let by = |a: &T, b: &T| a.cmp(b);
    prop_assert_eq!(it().max().map(&at), v.iter().copied().max().map(&at));
    prop_assert_eq!(it().min().map(&at), v.iter().copied().min().map(&at));
    prop_assert_eq!(
        it().max_by(by).map(&at),
        v.iter().copied().max_by(by).map(&at)
    );
    prop_assert_eq!(
        it().min_by(by).map(&at),
        v.iter().copied().min_by(by).map(&at)
    );
    prop_assert_eq!(
        it().max_by_key(|&k| k).map(&at),
        v.iter().copied().max_by_key(|&k| k).map(&at)
    );
    prop_assert_eq!(
        it().min_by_key(|&k| k).map(&at),
        v.iter().copied().min_by_key(|&k| k).map(&at)
    );
    Ok(())
}

proptest! {
    #![proptest_config(iter_cases::config())]

    /// `min` and `max` (and their `_by` and `_by_key` kin) pick the item std's do among
    /// equal ones: the first smallest, the last largest (they are written out for speed, not
    /// as `std::cmp::max`), by reference and by value, through each of their loops.
    #[test]
    fn min_and_max_pick_std_s_item_among_equals(
        len in len(), threads in threads(), schedule in schedule(), lens in lens(), seed in any::<u64>(),
    ) {
        let v: Vec<Keyed> = data(len, seed)
            .iter()
            .enumerate()
            .map(|(at, &x)| Keyed::new(x % 7, at))
            .collect();
        let pool = pool(threads);
        pool.install(|| -> Result<(), TestCaseError> {
            let it = || tuned!(v.par_iter(), schedule, lens);
            let at = |k: Option<&Keyed>| k.map(|k| k.at);
            prop_assert_eq!(at(it().max()), at(v.iter().max()));
            prop_assert_eq!(at(it().min()), at(v.iter().min()));
            prop_assert_eq!(at(it().max_by_key(|k| k.key)), at(v.iter().max_by_key(|k| k.key)));
            prop_assert_eq!(at(it().min_by_key(|k| k.key)), at(v.iter().min_by_key(|k| k.key)));
            prop_assert_eq!(
                it().copied().max().map(|k| k.at),
                v.iter().copied().max().map(|k| k.at)
            );
            ties_by_value(|| it().copied(), &v, |k| k.at)?;
            let v8: Vec<Keyed8> = v.iter().map(|k| Keyed8::new(k.key, k.at)).collect();
            ties_by_value(|| tuned!(v8.par_iter(), schedule, lens).copied(), &v8, |k| k.at as usize)?;
            let v4: Vec<Keyed4> = v.iter().map(|k| Keyed4::new(k.key, k.at)).collect();
            ties_by_value(|| tuned!(v4.par_iter(), schedule, lens).copied(), &v4, |k| k.at as usize)?;
            let v2: Vec<Keyed2> = v.iter().map(|k| Keyed2::new(k.key, k.at)).collect();
            ties_by_value(|| tuned!(v2.par_iter(), schedule, lens).copied(), &v2, |k| k.at as usize)?;
            Ok(())
        })?;
    }

    #[test]
    fn searches_match_std(
        len in len(), threads in threads(), schedule in schedule(), lens in lens(), seed in any::<u64>(), target in 0..60u32,
    ) {
        let v = data(len, seed);
        let pool = pool(threads);
        pool.install(|| -> Result<(), TestCaseError> {
            let it = || tuned!(v.par_iter(), schedule, lens);
            let is = |x: &u32| *x == target;
            prop_assert_eq!(it().find_last(|x| is(x)), v.iter().rev().find(|x| is(x)));
            prop_assert_eq!(
                it().enumerate().find_last(|p| is(p.1)),
                v.iter().enumerate().rev().find(|p| is(p.1))
            );
            prop_assert_eq!(
                it().enumerate().filter(|p| p.0 % 3 != 1).find_last(|p| *p.1 >= target),
                v.iter().enumerate().filter(|p| p.0 % 3 != 1).rev().find(|p| *p.1 >= target)
            );
            prop_assert_eq!(
                it().map(|&x| x * 2).find_last(|&x| x > target),
                v.iter().map(|&x| x * 2).rev().find(|&x| x > target)
            );
            prop_assert_eq!(it().position_last(is), v.iter().rposition(is));
            prop_assert_eq!(
                it().enumerate().map(|(i, &x)| x + (i % 2) as u32).position_last(|x| x == target),
                v.iter().enumerate().map(|(i, &x)| x + (i % 2) as u32).rposition(|x| x == target)
            );
            // `find_map_*`: the value found depends on the item's place.
            let f = |(i, &x): (usize, &u32)| (x == target).then_some(i);
            prop_assert_eq!(it().enumerate().find_map_first(f), v.iter().enumerate().find_map(f));
            prop_assert_eq!(it().enumerate().find_map_last(f), v.iter().enumerate().rev().find_map(f));
            let any = it().enumerate().find_map_any(f);
            prop_assert_eq!(any.is_some(), v.contains(&target));
            prop_assert!(any.is_none_or(|i| v[i] == target));
            prop_assert_eq!(
                it().enumerate().filter(|p| p.1 % 2 == 0).find_map_first(f),
                v.iter().enumerate().filter(|p| p.1 % 2 == 0).find_map(f)
            );
            prop_assert_eq!(
                it().enumerate().filter(|p| p.1 % 2 == 0).find_map_last(f),
                v.iter().enumerate().filter(|p| p.1 % 2 == 0).rev().find_map(f)
            );
            // After a `fold`: whichever way the items are grouped, the last match of the last
            // group that has one is the last match.
            let groups = || it().enumerate().fold(Vec::new, |mut g, p| { g.push(p); g });
            prop_assert_eq!(
                groups().find_map_last(|g| g.into_iter().rev().find(|p| is(p.1))),
                v.iter().enumerate().rev().find(|p| is(p.1))
            );
            prop_assert_eq!(
                groups().find_map_first(|g| g.into_iter().find(|p| is(p.1))),
                v.iter().enumerate().find(|p| is(p.1))
            );
            prop_assert_eq!(
                groups().filter(|g| !g.is_empty()).find_last(|_| true).and_then(|g| g.last().copied()),
                v.iter().enumerate().next_back()
            );
            Ok(())
        })?;
    }

    #[test]
    fn partition_and_collections_match_std(
        len in len(), threads in threads(), schedule in schedule(), lens in lens(), seed in any::<u64>(),
    ) {
        let v = data(len, seed);
        let pool = pool(threads);
        pool.install(|| -> Result<(), TestCaseError> {
            let it = || tuned!(v.par_iter(), schedule, lens);
            let small = |x: &&u32| **x < 20;
            prop_assert_eq!(
                it().partition::<Vec<&u32>, Vec<u32>, _>(small),
                {
                    let (a, b) = v.iter().partition::<Vec<_>, _>(small);
                    (a, b.into_iter().copied().collect())
                }
            );
            prop_assert_eq!(
                it().enumerate().filter(|p| p.0 % 3 == 0).partition::<Vec<_>, Vec<_>, _>(|p| *p.1 < 20),
                v.iter().enumerate().filter(|p| p.0 % 3 == 0).partition::<Vec<_>, _>(|p| *p.1 < 20)
            );
            // `&u32` items into a set of `&u32` and (copied) into a set of `u32`.
            let (a, b) = v.iter().partition::<Vec<_>, _>(small);
            prop_assert_eq!(
                it().partition::<HashSet<&u32>, BTreeSet<u32>, _>(small),
                (a.into_iter().collect(), b.into_iter().copied().collect())
            );
            let side = |(i, &x): (usize, &u32)| if x % 3 == 0 { Either::Left(i) } else { Either::Right(char::from(b'a' + x as u8 % 26)) };
            let (l, r): (Vec<usize>, String) = it().enumerate().partition_map(side);
            let (sl, sr) = split(v.iter().enumerate().map(side));
            prop_assert_eq!((l, r), (sl, sr.into_iter().collect::<String>()));
            // After a `fold`: the groups, whatever they are, hold every item once, in order.
            let (empty, full): (Vec<Vec<u32>>, Vec<Vec<u32>>) =
                it().fold(Vec::new, |mut g, &x| { g.push(x); g }).partition(Vec::is_empty);
            prop_assert!(empty.is_empty());
            prop_assert_eq!(full.concat(), v.clone());

            // `par_extend`, onto collections that already hold items.
            let mut pv = vec![7u32, 8];
            pv.par_extend(it().copied());
            pv.par_extend(it().filter(|&&x| x > 25).map(|&x| x + 1));
            pv.par_extend(it());
            let mut sv = vec![7u32, 8];
            sv.extend(v.iter().copied());
            sv.extend(v.iter().filter(|&&x| x > 25).map(|&x| x + 1));
            sv.extend(v.iter());
            prop_assert_eq!(&pv, &sv);
            let mut pv: Vec<usize> = Vec::with_capacity(3);
            pv.par_extend(it().enumerate().fold(|| 0, |n, _| n + 1));
            prop_assert_eq!(pv.iter().sum::<usize>(), len);
            let mut pd = VecDeque::from([1u32]);
            pd.par_extend(it().copied());
            pd.par_extend(it().filter(|&&x| x % 2 == 0));
            let mut sd = VecDeque::from([1u32]);
            sd.extend(v.iter().copied());
            sd.extend(v.iter().filter(|&&x| x % 2 == 0));
            prop_assert_eq!(pd, sd);
            let mut pl = LinkedList::from([1u32]);
            pl.par_extend(it().map(|&x| x * 3));
            pl.par_extend(it().filter(|&&x| x % 2 == 0));
            let mut sl = LinkedList::from([1u32]);
            sl.extend(v.iter().map(|&x| x * 3));
            sl.extend(v.iter().filter(|&&x| x % 2 == 0));
            prop_assert_eq!(pl, sl);
            let mut ph = BinaryHeap::from([3u32]);
            ph.par_extend(it());
            ph.par_extend(it().filter(|&&x| x > 40).map(|&x| x * 2));
            let mut sh = BinaryHeap::from([3u32]);
            sh.extend(v.iter());
            sh.extend(v.iter().filter(|&&x| x > 40).map(|&x| x * 2));
            prop_assert_eq!(ph.into_sorted_vec(), sh.into_sorted_vec());
            let letter = |&x: &u32| char::from(b'a' + (x % 26) as u8);
            let mut ps = String::from("<");
            ps.par_extend(it().map(letter));
            ps.par_extend(it().map(letter).collect::<Vec<char>>().par_iter());
            ps.par_extend(it().map(|x| if x % 2 == 0 { "é" } else { "ab" }));
            ps.par_extend(it().filter(|&&x| x > 30).map(|x| x.to_string()));
            ps.par_extend(it().map(|x| x.to_string().into_boxed_str()));
            ps.par_extend(it().map(|&x| if x % 3 == 0 { Cow::Borrowed("c") } else { Cow::Owned(x.to_string()) }));
            let mut ss = String::from("<");
            ss.extend(v.iter().map(letter));
            ss.extend(v.iter().map(letter));
            ss.extend(v.iter().map(|x| if x % 2 == 0 { "é" } else { "ab" }));
            ss.extend(v.iter().filter(|&&x| x > 30).map(|x| x.to_string()));
            ss.extend(v.iter().map(|x| x.to_string().into_boxed_str()));
            ss.extend(v.iter().map(|&x| if x % 3 == 0 { Cow::Borrowed("c") } else { Cow::Owned(x.to_string()) }));
            prop_assert_eq!(ps, ss);
            // Maps: later items replace earlier ones, as in a sequential `extend`.
            let mut pm = HashMap::from([(0u32, usize::MAX)]);
            pm.par_extend(it().enumerate().map(|(i, &x)| (x, i)));
            let mut sm = HashMap::from([(0u32, usize::MAX)]);
            sm.extend(v.iter().enumerate().map(|(i, &x)| (x, i)));
            prop_assert_eq!(pm, sm);
            let mut pm = BTreeMap::from([(0u32, usize::MAX)]);
            pm.par_extend(it().enumerate().filter(|p| p.0 % 2 == 0).map(|(i, &x)| (x, i)));
            let mut sm = BTreeMap::from([(0u32, usize::MAX)]);
            sm.extend(v.iter().enumerate().filter(|p| p.0 % 2 == 0).map(|(i, &x)| (x, i)));
            prop_assert_eq!(pm, sm);
            let pairs: Vec<(u32, u32)> = v.iter().map(|&x| (x, x + 1)).collect();
            let mut pm = BTreeMap::new();
            pm.par_extend(pairs.par_iter().map(|(k, v)| (k, v)));
            prop_assert_eq!(pm, pairs.iter().copied().collect::<BTreeMap<_, _>>());
            let mut pset = HashSet::from([99u32]);
            pset.par_extend(it());
            prop_assert_eq!(pset, v.iter().copied().chain([99]).collect::<HashSet<_>>());
            let mut pset = BTreeSet::new();
            pset.par_extend(it().filter(|&&x| x % 3 == 0).copied());
            prop_assert_eq!(pset, v.iter().filter(|&&x| x % 3 == 0).copied().collect::<BTreeSet<_>>());
            // Pairs of collections, from pairs.
            let mut pp = (vec![0usize], BTreeSet::new());
            pp.par_extend(it().enumerate().map(|(i, &x)| (i, x)));
            pp.par_extend(it().enumerate().filter(|p| *p.1 > 45).map(|(i, &x)| (i, x + 100)));
            let mut sp: (Vec<usize>, BTreeSet<u32>) = (vec![0], BTreeSet::new());
            sp.extend(v.iter().enumerate().map(|(i, &x)| (i, x)));
            sp.extend(v.iter().enumerate().filter(|p| *p.1 > 45).map(|(i, &x)| (i, x + 100)));
            prop_assert_eq!(pp, sp);

            // `collect` into more collections.
            prop_assert_eq!(it().copied().collect::<VecDeque<_>>(), v.iter().copied().collect::<VecDeque<_>>());
            prop_assert_eq!(
                it().filter(|&&x| x > 10).collect::<LinkedList<_>>(),
                v.iter().filter(|&&x| x > 10).collect::<LinkedList<_>>()
            );
            prop_assert_eq!(
                it().collect::<BinaryHeap<_>>().into_sorted_vec(),
                v.iter().collect::<BinaryHeap<_>>().into_sorted_vec()
            );
            prop_assert_eq!(it().copied().collect::<Box<[u32]>>(), v.clone().into_boxed_slice());
            let cow: Cow<'_, [u32]> = it().copied().collect();
            prop_assert_eq!(&*cow, &v[..]);
            let cow: Cow<'_, str> = it().map(letter).collect();
            prop_assert_eq!(cow.into_owned(), v.iter().map(letter).collect::<String>());
            prop_assert_eq!(it().copied().collect::<Rc<[u32]>>(), Rc::from(&v[..]));
            prop_assert_eq!(it().copied().collect::<Arc<[u32]>>(), Arc::from(&v[..]));
            prop_assert_eq!(it().map(letter).collect::<Box<str>>(), v.iter().map(letter).collect::<Box<str>>());
            prop_assert_eq!(
                it().map(|x| x.to_string().into_boxed_str()).collect::<String>(),
                v.iter().map(|x| x.to_string().into_boxed_str()).collect::<String>()
            );
            prop_assert_eq!(
                it().map(|&x| if x % 3 == 0 { Cow::Borrowed("c") } else { Cow::Owned(x.to_string()) }).collect::<String>(),
                v.iter().map(|&x| if x % 3 == 0 { Cow::Borrowed("c") } else { Cow::Owned(x.to_string()) }).collect::<String>()
            );
            let r: Option<LinkedList<u32>> = it().map(|&x| (x != 49).then_some(x)).collect();
            prop_assert_eq!(r, v.iter().map(|&x| (x != 49).then_some(x)).collect::<Option<LinkedList<u32>>>());

            // `try_reduce_with`: a non-commutative operation, stopped by an error.
            let r = it().map(|&x| Ok::<_, u32>(vec![x])).try_reduce_with(|mut a, b| {
                a.extend(b);
                if a.len() > 3000 { Err(a.len() as u32) } else { Ok(a) }
            });
            match v.len() {
                0 => prop_assert_eq!(r, None),
                n if n <= 3000 => prop_assert_eq!(r, Some(Ok(v.clone()))),
                _ => prop_assert!(matches!(r, Some(Err(e)) if e > 3000)),
            }
            let r = it().map(|&x| Some(x)).try_reduce_with(|a, b| a.checked_add(b).filter(|&s| s < 2000));
            let mut seq: Option<Option<u32>> = None;
            for &x in &v {
                seq = Some(match seq {
                    None => Some(x),
                    Some(s) => s.and_then(|s| s.checked_add(x)).filter(|&s| s < 2000),
                });
            }
            // The running sum only grows: a prefix over 2000 means the total is too.
            prop_assert_eq!(r, seq);
            Ok(())
        })?;
    }
}

proptest! {
    // Fewer cases: each runs up to 200,000 items.
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 1 } else { 24 },
        ..iter_cases::config()
    })]

    /// The searches from the end over inputs long enough for several blocks, with the
    /// match anywhere (or nowhere).
    #[test]
    fn last_searches_over_several_blocks(
        len in prop_oneof![0..3usize, 0..MAX_BLOCKS_LEN], at in 0.0..1.1f64,
        threads in threads(), schedule in schedule(), lens in lens(), seed in any::<u64>(),
    ) {
        // Matches are the indices below `cut` (none if it is 0), and a few sparse ones
        // below that drawn from `seed`.
        let cut = ((len as f64 * at) as usize).min(len);
        let pool = pool(threads);
        pool.install(|| -> Result<(), TestCaseError> {
            let it = || tuned!((0..len).into_par_iter(), schedule, lens);
            let hit = |i: usize| i < cut && common::mix64(i as u64 ^ seed).is_multiple_of(1000);
            let seq_last = (0..len).rev().find(|&i| hit(i));
            prop_assert_eq!(it().find_last(|&i| hit(i)), seq_last);
            prop_assert_eq!(it().position_last(hit), seq_last);
            prop_assert_eq!(it().find_map_last(|i| hit(i).then_some(i * 2)), seq_last.map(|i| i * 2));
            prop_assert_eq!(it().position_last(|i| i < cut), cut.checked_sub(1));
            prop_assert_eq!(
                it().filter(|i| i % 3 == 0).find_last(|&i| i < cut),
                (0..len).filter(|i| i % 3 == 0).rev().find(|&i| i < cut)
            );
            prop_assert_eq!(
                it().map(|i| i / 7).fold(|| 0usize, |n, _| n + 1).find_last(|_| true).is_some(),
                len > 0
            );
            Ok(())
        })?;
    }
}

/// How many items the searches may visit when the match is near the end they search
/// from. Items are counted with an atomic in the predicate, never timed.
#[test]
#[cfg_attr(miri, ignore = "counts visits over a million items")]
fn searches_from_either_end_stop_early() {
    let n: usize = 1 << 20;
    for threads in [1, 2, 4] {
        let pool = pool_of(threads);
        for schedule in [
            Schedule::default(),
            Schedule::Static,
            Schedule::Dynamic { chunk: 64 },
        ] {
            let visited = AtomicUsize::new(0);
            let visit = || {
                visited.fetch_add(1, Ordering::Relaxed);
            };
            let it = || (0..n).into_par_iter().with_schedule(schedule);
            let take = || visited.swap(0, Ordering::Relaxed);

            // From the end, the match 1,000 items before it: the loop runs the last block
            // of 16,384 items first (1/64 of a million), and stops there, whatever the
            // threads do. A bound by construction, not by timing.
            let near_end = n - 1000;
            let bound = n / 16;
            let found = pool.install(|| {
                it().find_last(|&i| {
                    visit();
                    i == near_end
                })
            });
            assert_eq!(found, Some(near_end));
            let seen = take();
            assert!(
                seen < bound,
                "find_last, {schedule:?} on {threads}: {seen} of {n}"
            );
            let found = pool.install(|| {
                it().position_last(|i| {
                    visit();
                    i == near_end
                })
            });
            assert_eq!(found, Some(near_end));
            let seen = take();
            assert!(
                seen < bound,
                "position_last, {schedule:?} on {threads}: {seen} of {n}"
            );
            let found = pool.install(|| {
                it().find_map_last(|i| {
                    visit();
                    (i == near_end).then_some(i)
                })
            });
            assert_eq!(found, Some(near_end));
            let seen = take();
            assert!(
                seen < bound,
                "find_map_last, {schedule:?} on {threads}: {seen} of {n}"
            );
            // Not indexed: the filter's items have no known places, the blocks still do.
            let found = pool.install(|| {
                it().filter(|i| {
                    visit();
                    i % 2 == 0
                })
                .find_last(|&i| i <= near_end)
            });
            assert_eq!(found, Some(near_end));
            let seen = take();
            assert!(
                seen < bound,
                "filter + find_last, {schedule:?} on {threads}: {seen} of {n}"
            );

            // From the start, the match at 1%: pieces after it are skipped and running ones
            // stop. As for `find_any` in `tests/iter.rs`: under `Static` each worker owns
            // one block, and if the match's owner starts late the others may run theirs
            // whole; what is certain is that the match's block stops early.
            let near_start = (n / 100) & !1; // even: the filter below keeps it
            let bound = match schedule {
                Schedule::Static => n - n / (2 * threads),
                _ => n / 2,
            };
            // How far the others get before the match's owner finds it is timing: with 4
            // threads on 2 cores, an owner preempted for a millisecond lets the others run
            // the whole loop. So the bound must hold in one of five tries, not in each.
            let within_bound = |what: &str, search: &(dyn Fn() -> Option<usize> + Sync)| {
                let mut tries = Vec::new();
                for _ in 0..5 {
                    assert_eq!(pool.install(search), Some(near_start), "{what}");
                    tries.push(take());
                    if tries.last() < Some(&bound) {
                        return;
                    }
                }
                panic!("{what}, {schedule:?} on {threads}: {tries:?} of {n}");
            };
            within_bound("find_map_first", &|| {
                it().find_map_first(|i| {
                    visit();
                    (i == near_start).then_some(i)
                })
            });
            within_bound("filter + find_map_first", &|| {
                it().filter(|i| {
                    visit();
                    i % 2 == 0
                })
                .find_map_first(|i| (i >= near_start).then_some(i))
            });
        }
    }
}

/// How many items of each id were made and dropped.
struct Tally {
    made: Vec<AtomicU8>,
    dropped: Vec<AtomicU8>,
}

impl Tally {
    fn new(ids: usize) -> Self {
        let zeros = || (0..ids).map(|_| AtomicU8::new(0)).collect();
        Tally {
            made: zeros(),
            dropped: zeros(),
        }
    }

    fn make(&self, id: usize) -> Counted<'_> {
        self.made[id].fetch_add(1, Ordering::Relaxed);
        Counted { id, tally: self }
    }

    /// Every id was made at most once, and dropped as many times as it was made.
    fn each_dropped_once(&self) -> bool {
        self.made.iter().zip(&self.dropped).all(|(m, d)| {
            let m = m.load(Ordering::Relaxed);
            m <= 1 && d.load(Ordering::Relaxed) == m
        })
    }

    fn dropped(&self, id: usize) -> u8 {
        self.dropped[id].load(Ordering::Relaxed)
    }
}

/// A value that counts its making and dropping in a [`Tally`].
struct Counted<'a> {
    id: usize,
    tally: &'a Tally,
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.tally.dropped[self.id].fetch_add(1, Ordering::Relaxed);
    }
}

fn expect_our_panic(r: std::thread::Result<()>) {
    let payload = r.expect_err("the closure panicked");
    assert!(payload_str(&*payload).starts_with(EXPECTED));
}

/// `par_extend` of a `Vec` when a closure panics: the `Vec` keeps its old items (same
/// length, same items, still usable), and every new item made is dropped exactly once.
/// Small enough for miri, where it checks the in-place writes too.
#[test]
fn par_extend_of_a_vec_drops_each_item_once_when_a_closure_panics() {
    quiet_expected_panics();
    let n = if cfg!(miri) { 24 } else { 2_000 };
    let old = 3;
    let schedules: &[Schedule] = if cfg!(miri) {
        &[Schedule::Static, Schedule::Dynamic { chunk: 2 }]
    } else {
        &[
            Schedule::Static,
            Schedule::Dynamic { chunk: 2 },
            Schedule::Adaptive { min_len: 1 },
            Schedule::Guided { min_chunk: 3 },
        ]
    };
    let threads: &[usize] = if cfg!(miri) { &[2] } else { &[1, 2, 4] };
    for &threads in threads {
        let pool = pool_of(threads);
        for &schedule in schedules {
            for bad in [0, n / 3, n - 1] {
                // 0: indexed, written in place after the old items; 1: filtered, gathered
                // in parts and appended at the end; 2: by value from a `Vec` of items (the
                // items not yet taken are dropped with the iterator).
                for kind in 0..3 {
                    let what = format!("kind {kind}, {schedule:?} on {threads}, panic at {bad}");
                    // Ids `0..old` are the Vec's own items, `old..old + n` the new ones, and
                    // `old + n` one pushed afterwards.
                    let tally = Tally::new(old + n + 1);
                    let mut v: Vec<Counted<'_>> = (0..old).map(|id| tally.make(id)).collect();
                    let fail = |id: usize| {
                        if id == old + bad {
                            panic!("{EXPECTED}: item {id}");
                        }
                    };
                    let it = || (old..old + n).into_par_iter().with_schedule(schedule);
                    let source: Vec<Counted<'_>> = match kind {
                        2 => (old..old + n).map(|id| tally.make(id)).collect(),
                        _ => Vec::new(),
                    };
                    let r = catch_unwind(AssertUnwindSafe(|| {
                        pool.install(|| match kind {
                            0 => v.par_extend(it().map(|id| {
                                fail(id);
                                tally.make(id)
                            })),
                            1 => v.par_extend(it().filter(|id| id % 2 == 0).map(|id| {
                                fail(id);
                                tally.make(id)
                            })),
                            _ => v.par_extend(
                                source
                                    .into_par_iter()
                                    .with_schedule(schedule)
                                    .inspect(|c| fail(c.id)),
                            ),
                        })
                    }));
                    if kind == 1 && (old + bad) % 2 == 1 {
                        r.expect("no panic: the failing item is filtered out");
                        let added: Vec<usize> = v.drain(old..).map(|c| c.id).collect();
                        let expected: Vec<usize> =
                            (old..old + n).filter(|id| id % 2 == 0).collect();
                        assert_eq!(added, expected, "{what}");
                    } else {
                        expect_our_panic(r);
                    }
                    let ids: Vec<usize> = v.iter().map(|c| c.id).collect();
                    assert_eq!(ids, (0..old).collect::<Vec<_>>(), "{what}");
                    assert!((0..old).all(|id| tally.dropped(id) == 0), "{what}");
                    v.push(tally.make(old + n)); // still a usable Vec
                    drop(v);
                    assert!(tally.each_dropped_once(), "{what}");
                }
            }
        }
    }
}
