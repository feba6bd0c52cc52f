//! Property tests for parallel iterators: every adaptor and terminal of `brigade::prelude`
//! against std's sequential iterators, over random lengths (0 and 1 included), thread
//! counts 1 to 8 and every schedule; integer ranges near their type's `MIN` and `MAX`; and
//! strings cut into lines, words, characters and bytes.

mod common;

use std::num::Wrapping;
use std::sync::atomic::{AtomicU8, Ordering};

use brigade::prelude::*;
use common::iter_cases::{
    self, IDENTITY, data, len, lens, mat, mul, pool, schedule, threads, tuned,
};
use proptest::prelude::*;

proptest! {
    #![proptest_config(iter_cases::config())]

    #[test]
    fn adaptors_match_std(
        len in len(), threads in threads(), schedule in schedule(), lens in lens(), seed in any::<u64>(),
    ) {
        let v = data(len, seed);
        let w: Vec<u32> = data(len / 2 + 1, !seed);
        let pool = pool(threads);
        pool.install(|| -> Result<(), TestCaseError> {
            let it = || tuned!(v.par_iter(), schedule, lens);
            prop_assert_eq!(it().map(|&x| x * 3).collect::<Vec<_>>(), v.iter().map(|&x| x * 3).collect::<Vec<_>>());
            prop_assert_eq!(it().filter(|&&x| x % 3 == 0).collect::<Vec<_>>(), v.iter().filter(|&&x| x % 3 == 0).collect::<Vec<_>>());
            prop_assert_eq!(
                it().filter_map(|&x| x.checked_sub(20)).collect::<Vec<_>>(),
                v.iter().filter_map(|&x| x.checked_sub(20)).collect::<Vec<_>>()
            );
            prop_assert_eq!(
                it().flat_map_iter(|&x| 0..x % 4).collect::<Vec<_>>(),
                v.iter().flat_map(|&x| 0..x % 4).collect::<Vec<_>>()
            );
            prop_assert_eq!(
                it().flat_map(|&x| (0..x % 4).into_par_iter()).collect::<Vec<_>>(),
                v.iter().flat_map(|&x| 0..x % 4).collect::<Vec<_>>()
            );
            prop_assert_eq!(
                it().map(|&x| vec![x; (x % 3) as usize]).flatten().collect::<Vec<_>>(),
                v.iter().flat_map(|&x| vec![x; (x % 3) as usize]).collect::<Vec<_>>()
            );
            // Stepped item by item (a search) and with a flushing inner iterator.
            prop_assert_eq!(
                it().flat_map(|&x| (0..x % 5).into_par_iter().filter(|k| k % 2 == 1).map(move |k| (x, k))).find_first(|&(_, k)| k == 3),
                v.iter().flat_map(|&x| (0..x % 5).filter(|k| k % 2 == 1).map(move |k| (x, k))).find(|&(_, k)| k == 3)
            );
            prop_assert_eq!(
                it().flat_map(|&x| (0..x % 6).into_par_iter().fold(|| 0u32, |a, k| a + k)).sum::<u32>(),
                v.iter().map(|&x| (0..x % 6).sum::<u32>()).sum::<u32>()
            );
            prop_assert_eq!(it().enumerate().collect::<Vec<_>>(), v.iter().enumerate().collect::<Vec<_>>());
            prop_assert_eq!(it().zip(&w).collect::<Vec<_>>(), v.iter().zip(&w).collect::<Vec<_>>());
            prop_assert_eq!(w.par_iter().zip(it()).count(), len.min(w.len()));
            prop_assert_eq!(it().copied().collect::<Vec<u32>>(), v.clone());
            prop_assert_eq!(it().cloned().collect::<Vec<u32>>(), v.clone());
            let seen: Vec<AtomicU8> = (0..len).map(|_| AtomicU8::new(0)).collect();
            let n = it().enumerate().inspect(|(i, _)| { seen[*i].fetch_add(1, Ordering::Relaxed); }).count();
            prop_assert_eq!(n, len);
            prop_assert!(seen.iter().all(|s| s.load(Ordering::Relaxed) == 1));
            prop_assert_eq!(
                it().map_init(|| 7u32, |seven, &x| x + *seven).collect::<Vec<_>>(),
                v.iter().map(|&x| x + 7).collect::<Vec<_>>()
            );
            // Adaptors stacked on a filter, on a by-value source, on chunks and windows.
            prop_assert_eq!(
                v.clone().into_par_iter().with_schedule(schedule).filter(|x| x % 2 == 0).map(|x| x + 1).collect::<Vec<_>>(),
                v.iter().filter(|&&x| x % 2 == 0).map(|x| x + 1).collect::<Vec<_>>()
            );
            let size = lens.min.unwrap_or(3);
            prop_assert_eq!(
                tuned!(v.par_chunks(size), schedule, lens).map(|c| c.to_vec()).collect::<Vec<_>>(),
                v.chunks(size).map(|c| c.to_vec()).collect::<Vec<_>>()
            );
            prop_assert_eq!(
                tuned!(v.par_chunks_exact(size), schedule, lens).map(|c| c.to_vec()).collect::<Vec<_>>(),
                v.chunks_exact(size).map(|c| c.to_vec()).collect::<Vec<_>>()
            );
            prop_assert_eq!(
                tuned!(v.par_windows(size), schedule, lens).map(|c| c.to_vec()).collect::<Vec<_>>(),
                v.windows(size).map(|c| c.to_vec()).collect::<Vec<_>>()
            );
            let mut m = v.clone();
            tuned!(m.par_chunks_mut(size), schedule, lens).enumerate().for_each(|(i, c)| c.iter_mut().for_each(|x| *x += i as u32));
            prop_assert_eq!(m, v.iter().enumerate().map(|(i, &x)| x + (i / size) as u32).collect::<Vec<_>>());
            prop_assert_eq!(
                tuned!(v.par_rchunks(size), schedule, lens).map(|c| c.to_vec()).collect::<Vec<_>>(),
                v.rchunks(size).map(|c| c.to_vec()).collect::<Vec<_>>()
            );
            prop_assert_eq!(
                tuned!(v.par_rchunks_exact(size), schedule, lens).rev().map(|c| c.to_vec()).collect::<Vec<_>>(),
                v.rchunks_exact(size).rev().map(|c| c.to_vec()).collect::<Vec<_>>()
            );
            prop_assert_eq!(v.par_rchunks_exact(size).remainder(), v.rchunks_exact(size).remainder());
            let mut m = v.clone();
            tuned!(m.par_rchunks_mut(size), schedule, lens).enumerate().for_each(|(i, c)| c.iter_mut().for_each(|x| *x += i as u32));
            let mut expected = v.clone();
            expected.rchunks_mut(size).enumerate().for_each(|(i, c)| c.iter_mut().for_each(|x| *x += i as u32));
            prop_assert_eq!(m, expected);
            let mut m = v.clone();
            tuned!(m.par_rchunks_exact_mut(size), schedule, lens).for_each(|c| c.reverse());
            let mut expected = v.clone();
            expected.rchunks_exact_mut(size).for_each(|c| c.reverse());
            prop_assert_eq!(m, expected);
            let mut m = v.clone();
            tuned!(m.par_chunks_exact_mut(size), schedule, lens).for_each(|c| c.reverse());
            let mut expected = v.clone();
            expected.chunks_exact_mut(size).for_each(|c| c.reverse());
            prop_assert_eq!(m, expected);
            let mut m = v.clone();
            tuned!(m.par_iter_mut(), schedule, lens).zip(&v).for_each(|(a, b)| *a += b);
            prop_assert_eq!(m, v.iter().map(|x| 2 * x).collect::<Vec<_>>());
            Ok(())
        })?;
    }

    /// The `_with` / `try_` variants, `update`, `positions`, `zip_eq` and `panic_fuse`,
    /// against std.
    #[test]
    fn with_and_try_variants_match_std(
        len in len(), threads in threads(), schedule in schedule(), lens in lens(), seed in any::<u64>(), target in 0..60u32,
    ) {
        let v = data(len, seed);
        let pool = pool(threads);
        pool.install(|| -> Result<(), TestCaseError> {
            let it = || tuned!(v.par_iter(), schedule, lens);
            prop_assert_eq!(
                it().copied().update(|x| *x *= 2).collect::<Vec<_>>(),
                v.iter().map(|&x| x * 2).collect::<Vec<_>>()
            );
            prop_assert_eq!(it().copied().update(|x| *x += 1).len(), len);
            prop_assert_eq!(
                it().map_with(vec![1u32], |one, &x| x + one[0]).collect::<Vec<_>>(),
                v.iter().map(|&x| x + 1).collect::<Vec<_>>()
            );
            prop_assert_eq!(
                it().fold_with(IDENTITY, |a, &x| mul(a, mat(x))).reduce(|| IDENTITY, mul),
                v.iter().fold(IDENTITY, |a, &x| mul(a, mat(x)))
            );
            // A fold that fails past a running sum of 2000: the first failure in order, or
            // the whole sum.
            let checked = |acc: u32, &x: &u32| if acc + x > 2000 { Err(acc + x) } else { Ok(acc + x) };
            let runs: Vec<Result<u32, u32>> = it().try_fold(|| 0u32, checked).collect();
            let ok_sum: u32 = runs.iter().map(|r| r.unwrap_or(0)).sum();
            match runs.iter().position(Result::is_err) {
                None => prop_assert_eq!(ok_sum, v.iter().sum::<u32>()),
                Some(k) => prop_assert!(runs[k].unwrap_err() > 2000),
            }
            let total: Option<u32> = it()
                .try_fold_with(0u32, |acc, &x| acc.checked_add(x))
                .try_reduce(|| 0, |a, b| a.checked_add(b));
            prop_assert_eq!(total, Some(v.iter().sum::<u32>()));
            let r = it().try_for_each_with(target, |t, &x| if x == *t { Err(x) } else { Ok(()) });
            prop_assert_eq!(r, if v.contains(&target) { Err(target) } else { Ok(()) });
            let r = it().try_for_each_init(|| target, |t, &x| if x == *t { None } else { Some(()) });
            prop_assert_eq!(r, (!v.contains(&target)).then_some(()));
            prop_assert_eq!(
                it().positions(|&x| x == target).collect::<Vec<_>>(),
                v.iter().enumerate().filter(|p| *p.1 == target).map(|p| p.0).collect::<Vec<_>>()
            );
            prop_assert_eq!(it().zip_eq(it().rev()).collect::<Vec<_>>(), v.iter().zip(v.iter().rev()).collect::<Vec<_>>());
            prop_assert_eq!(it().panic_fuse().copied().sum::<u32>(), v.iter().sum::<u32>());
            // The `_any` adaptors: how many items, and that each came from `v`.
            // (The items are below 50: `data`'s range. Counted, so linear in the length.)
            let sub = |got: Vec<u32>| -> bool {
                let mut left = [0usize; 50];
                v.iter().for_each(|&x| left[x as usize] += 1);
                got.iter().all(|&x| left.get_mut(x as usize).is_some_and(|n| n.checked_sub(1).map(|m| *n = m).is_some()))
            };
            let k = target as usize;
            let took: Vec<u32> = it().copied().take_any(k).collect();
            prop_assert_eq!(took.len(), k.min(len));
            prop_assert!(sub(took));
            let rest: Vec<u32> = it().copied().skip_any(k).collect();
            prop_assert_eq!(rest.len(), len.saturating_sub(k));
            prop_assert!(sub(rest));
            let small: Vec<u32> = it().copied().take_any_while(|&x| x != target).collect();
            prop_assert!(small.iter().all(|&x| x != target));
            if !v.contains(&target) {
                prop_assert_eq!(small.len(), len);
            }
            prop_assert!(sub(small));
            let late: Vec<u32> = it().copied().skip_any_while(|&x| x != target).collect();
            prop_assert_eq!(late.iter().filter(|&&x| x == target).count(), v.iter().filter(|&&x| x == target).count());
            prop_assert!(sub(late));
            let somes: Vec<u32> = it().map(|&x| (x != target).then_some(x)).while_some().collect();
            prop_assert!(somes.iter().all(|&x| x != target));
            if !v.contains(&target) {
                prop_assert_eq!(somes.len(), len);
            }
            prop_assert!(sub(somes));
            // What a gate let through is finished above it, whatever closes the loop: each
            // `flat_map` runs the whole inner iterator of a taken item, a `fold` hands on
            // every taken item, and a second gate takes its own count.
            let taken = k.min(len);
            // Inner iterators long enough for the stop checks (every 512 items), stepped by
            // `collect`; short under miri, which checks the memory and not the stopping.
            let (step, long): (u32, u32) = if cfg!(miri) { (3, 30) } else { (300, 3000) };
            let pairs: Vec<(u32, u32)> = it()
                .copied()
                .take_any(k)
                .flat_map(|x| (0..x % 5 * step).into_par_iter().map(move |j| (x, j)))
                .collect();
            let mut seen = std::collections::HashMap::new();
            for &p in &pairs {
                *seen.entry(p).or_insert(0usize) += 1;
            }
            let firsts: std::collections::HashSet<u32> = pairs.iter().map(|p| p.0).collect();
            for x in firsts {
                let first = seen[&(x, 0)];
                prop_assert!((0..x % 5 * step).all(|j| seen.get(&(x, j)) == Some(&first)), "inner iterator of {} cut", x);
            }
            let thirds: Vec<u32> = it().copied().take_any(k).flat_map(|_| (0..long).into_par_iter().filter(|j| j % 3 == 0)).collect();
            prop_assert_eq!(thirds.len(), taken * (long as usize / 3));
            prop_assert_eq!(it().take_any(k).fold(|| 0usize, |n, _| n + 1).sum::<usize>(), taken);
            prop_assert_eq!(it().take_any(k).filter(|_| true).count(), taken);
            let twice = it().take_any(k).flat_map(|&x| (0..3u32).into_par_iter().map(move |j| x + j)).take_any(2 * k);
            prop_assert_eq!(twice.count(), (2 * k).min(3 * taken));
            let folds = it().take_any(k).fold(|| 0usize, |n, _| n + 1).take_any(len + 1);
            prop_assert_eq!(folds.sum::<usize>(), taken);
            // A gate on a side of a `chain`: the loops that deal out chunks jump past the
            // closed side's stretch, and what comes after it still comes whole, in order.
            let chained: Vec<u32> = it().copied().take_any(k).map(|x| x + 1).chain(it().copied()).collect();
            prop_assert_eq!(chained.len(), taken + len);
            prop_assert_eq!(&chained[taken..], &v[..]);
            prop_assert!(sub(chained[..taken].iter().map(|x| x - 1).collect()));
            let k2 = (target as usize / 2) % 7;
            let twice: Vec<u32> = it().copied().take_any(k).chain(it().copied().take_any(k2)).chain(it().copied()).collect();
            prop_assert_eq!(twice.len(), taken + k2.min(len) + len);
            prop_assert_eq!(&twice[taken + k2.min(len)..], &v[..]);
            let size = lens.min.unwrap_or(3);
            let chunks: Vec<Vec<u32>> = v.chunks(size).map(<[u32]>::to_vec).collect();
            prop_assert_eq!(it().copied().chunks(size).collect::<Vec<_>>(), chunks.clone());
            prop_assert_eq!(it().copied().chunks(size).len(), chunks.len());
            prop_assert_eq!(
                it().copied().chunks(size).rev().collect::<Vec<_>>(),
                chunks.iter().rev().cloned().collect::<Vec<_>>()
            );
            prop_assert_eq!(
                it().copied().enumerate().chunks(size).map(|c| c.len()).collect::<Vec<_>>(),
                chunks.iter().map(Vec::len).collect::<Vec<_>>()
            );
            prop_assert_eq!(
                v.clone().into_par_iter().with_schedule(schedule).chunks(size).collect::<Vec<_>>(),
                chunks.clone()
            );
            prop_assert_eq!(
                it().fold_chunks(size, || IDENTITY, |a, &x| mul(a, mat(x))).collect::<Vec<_>>(),
                v.chunks(size).map(|c| c.iter().fold(IDENTITY, |a, &x| mul(a, mat(x)))).collect::<Vec<_>>()
            );
            prop_assert_eq!(
                it().fold_chunks_with(size, 0u64, |a, &x| a + u64::from(x)).collect::<Vec<_>>(),
                v.chunks(size).map(|c| c.iter().map(|&x| u64::from(x)).sum::<u64>()).collect::<Vec<_>>()
            );
            Ok(())
        })?;
    }

    /// `par_bridge`: every item of the sequential iterator exactly once (in no particular
    /// order), through adaptors and terminals, on every schedule.
    #[test]
    fn bridged_iterators_yield_every_item_once(
        len in len(), threads in threads(), schedule in schedule(), lens in lens(), seed in any::<u64>(),
    ) {
        let v = data(len, seed);
        let pool = pool(threads);
        pool.install(|| -> Result<(), TestCaseError> {
            let it = || tuned!(v.iter().par_bridge(), schedule, lens);
            let mut got: Vec<u32> = it().map(|&x| x * 3).collect();
            got.sort_unstable();
            let mut want: Vec<u32> = v.iter().map(|&x| x * 3).collect();
            want.sort_unstable();
            prop_assert_eq!(got, want);
            prop_assert_eq!(it().filter(|&&x| x % 3 == 0).count(), v.iter().filter(|&&x| x % 3 == 0).count());
            let sum: u64 = it().fold(|| 0u64, |a, &x| a + u64::from(x)).sum();
            prop_assert_eq!(sum, v.iter().map(|&x| u64::from(x)).sum::<u64>());
            prop_assert_eq!(it().max(), v.iter().max());
            prop_assert_eq!(it().any(|&x| x == 7), v.contains(&7));
            let seen: Vec<AtomicU8> = (0..len).map(|_| AtomicU8::new(0)).collect();
            v.iter().enumerate().par_bridge().with_schedule(schedule).for_each(|(i, _)| {
                seen[i].fetch_add(1, Ordering::Relaxed);
            });
            prop_assert!(seen.iter().all(|s| s.load(Ordering::Relaxed) == 1));
            Ok(())
        })?;
    }

    #[test]
    fn terminals_match_std(
        len in len(), threads in threads(), schedule in schedule(), lens in lens(), seed in any::<u64>(),
    ) {
        let v = data(len, seed);
        let pool = pool(threads);
        pool.install(|| -> Result<(), TestCaseError> {
            let it = || tuned!(v.par_iter(), schedule, lens);
            let hits: Vec<AtomicU8> = (0..len).map(|_| AtomicU8::new(0)).collect();
            it().enumerate().for_each(|(i, _)| { hits[i].fetch_add(1, Ordering::Relaxed); });
            it().enumerate().for_each_init(|| 0, |_, (i, _)| { hits[i].fetch_add(1, Ordering::Relaxed); });
            it().enumerate().for_each_with(1u8, |one, (i, _)| { hits[i].fetch_add(*one, Ordering::Relaxed); });
            prop_assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 3));
            prop_assert_eq!(it().map(|&x| mat(x)).reduce(|| IDENTITY, mul), v.iter().map(|&x| mat(x)).fold(IDENTITY, mul));
            prop_assert_eq!(it().map(|&x| mat(x)).reduce_with(mul), v.iter().map(|&x| mat(x)).reduce(mul));
            prop_assert_eq!(
                it().fold(|| IDENTITY, |a, &x| mul(a, mat(x))).reduce(|| IDENTITY, mul),
                v.iter().map(|&x| mat(x)).fold(IDENTITY, mul)
            );
            prop_assert_eq!(
                it().fold(Vec::new, |mut a, &x| { a.push(x); a }).collect::<Vec<Vec<u32>>>().concat(),
                v.clone()
            );
            prop_assert_eq!(it().map(|&x| u64::from(x)).sum::<u64>(), v.iter().map(|&x| u64::from(x)).sum::<u64>());
            prop_assert_eq!(
                it().map(|&x| Wrapping(u64::from(x) + 1)).product::<Wrapping<u64>>(),
                v.iter().map(|&x| Wrapping(u64::from(x) + 1)).product::<Wrapping<u64>>()
            );
            prop_assert_eq!(it().count(), len);
            // Ties: std returns the first minimum and the last maximum; so does brigade.
            let e = || it().enumerate();
            prop_assert_eq!(e().min_by_key(|p| *p.1), v.iter().enumerate().min_by_key(|p| *p.1));
            prop_assert_eq!(e().max_by_key(|p| *p.1), v.iter().enumerate().max_by_key(|p| *p.1));
            prop_assert_eq!(e().min_by(|a, b| a.1.cmp(b.1)), v.iter().enumerate().min_by(|a, b| a.1.cmp(b.1)));
            prop_assert_eq!(e().max_by(|a, b| a.1.cmp(b.1)), v.iter().enumerate().max_by(|a, b| a.1.cmp(b.1)));
            prop_assert_eq!(it().min(), v.iter().min());
            prop_assert_eq!(it().max(), v.iter().max());
            let (a, b): (Vec<u32>, Vec<usize>) = it().enumerate().map(|(i, &x)| (x, i)).unzip();
            prop_assert_eq!((a, b), v.iter().enumerate().map(|(i, &x)| (x, i)).unzip::<_, _, Vec<_>, Vec<_>>());
            let (a, b): (Vec<u32>, Vec<u32>) = it().filter(|&&x| x > 10).map(|&x| (x, x + 1)).unzip();
            prop_assert_eq!((a, b), v.iter().filter(|&&x| x > 10).map(|&x| (x, x + 1)).unzip::<_, _, Vec<_>, Vec<_>>());
            let mut target = vec![99u32; 3];
            it().copied().collect_into_vec(&mut target);
            prop_assert_eq!(&target, &v);
            let s: String = it().map(|&x| char::from(b'a' + (x % 26) as u8)).collect();
            prop_assert_eq!(s, v.iter().map(|&x| char::from(b'a' + (x % 26) as u8)).collect::<String>());
            let r: Result<Vec<u32>, u32> = it().map(|&x| if x == 49 { Err(x) } else { Ok(x) }).collect();
            prop_assert_eq!(r, v.iter().map(|&x| if x == 49 { Err(x) } else { Ok(x) }).collect::<Result<Vec<u32>, u32>>());
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
            prop_assert_eq!(it().any(|&x| x == target), v.contains(&target));
            prop_assert_eq!(it().all(|&x| x != target), !v.contains(&target));
            let found = it().find_any(|&&x| x == target);
            prop_assert_eq!(found.is_some(), v.contains(&target));
            prop_assert!(found.is_none_or(|&x| x == target));
            prop_assert_eq!(it().position_first(|&x| x == target), v.iter().position(|&x| x == target));
            let i = it().position_any(|&x| x == target);
            prop_assert!(i.is_none_or(|i| v[i] == target));
            prop_assert_eq!(i.is_some(), v.contains(&target));
            prop_assert_eq!(
                it().enumerate().find_first(|p| *p.1 == target),
                v.iter().enumerate().find(|p| *p.1 == target)
            );
            prop_assert_eq!(
                it().filter(|&&x| x % 2 == 0).find_first(|&&x| x >= target),
                v.iter().filter(|&&x| x % 2 == 0).find(|&&x| x >= target)
            );
            let r = it().try_for_each(|&x| if x == target { Err(x) } else { Ok(()) });
            prop_assert_eq!(r, if v.contains(&target) { Err(target) } else { Ok(()) });
            let r = it().map(|&x| Some(x)).try_reduce(|| 0u32, |a, b| a.checked_add(b).filter(|&s| s < 2000));
            let mut sum = Some(0u32);
            for &x in &v {
                sum = sum.and_then(|s| s.checked_add(x)).filter(|&s| s < 2000);
            }
            // The running sum only grows: a prefix over 2000 means the total is too.
            prop_assert_eq!(r, sum);
            Ok(())
        })?;
    }

    #[test]
    fn strings_cut_like_std(
        parts in proptest::collection::vec(
            prop_oneof![Just("a"), Just("bc"), Just(" "), Just("\n"), Just("\r"), Just("\r\n"),
                Just("\t"), Just("\u{a0}"), Just("é"), Just("\u{2003}"), Just("\u{b}"), Just("日本"),
                Just("\u{c}"), Just("😀")],
            0..if cfg!(miri) { 10 } else { 400 },
        ),
        threads in threads(), schedule in schedule(),
    ) {
        let text: String = parts.concat();
        let pool = pool(threads);
        pool.install(|| -> Result<(), TestCaseError> {
            let lines: Vec<&str> = text.par_lines().with_schedule(schedule).collect();
            prop_assert_eq!(lines, text.lines().collect::<Vec<_>>());
            let words: Vec<&str> = text.par_split_whitespace().with_schedule(schedule).collect();
            prop_assert_eq!(words, text.split_whitespace().collect::<Vec<_>>());
            let words: Vec<&str> = text.par_split_ascii_whitespace().with_schedule(schedule).collect();
            prop_assert_eq!(words, text.split_ascii_whitespace().collect::<Vec<_>>());
            let units: Vec<u16> = text.par_encode_utf16().with_schedule(schedule).collect();
            prop_assert_eq!(units, text.encode_utf16().collect::<Vec<_>>());
            let chars: Vec<char> = text.par_chars().with_schedule(schedule).collect();
            prop_assert_eq!(chars, text.chars().collect::<Vec<_>>());
            let at: Vec<(usize, char)> = text.par_char_indices().with_schedule(schedule).collect();
            prop_assert_eq!(at, text.char_indices().collect::<Vec<_>>());
            let bytes: Vec<u8> = text.par_bytes().with_schedule(schedule).collect();
            prop_assert_eq!(bytes, text.as_bytes());
            // Split at one separator, at several (one of them multi-byte), at a closure.
            let split: Vec<&str> = text.par_split('a').with_schedule(schedule).collect();
            prop_assert_eq!(split, text.split('a').collect::<Vec<_>>());
            let split: Vec<&str> = text.par_split(['\n', '日']).with_schedule(schedule).collect();
            prop_assert_eq!(split, text.split(['\n', '日']).collect::<Vec<_>>());
            let split: Vec<&str> = text.par_split(char::is_whitespace).with_schedule(schedule).collect();
            prop_assert_eq!(split, text.split(char::is_whitespace).collect::<Vec<_>>());
            let split: Vec<&str> = text.par_split_terminator('\n').with_schedule(schedule).collect();
            prop_assert_eq!(split, text.split_terminator('\n').collect::<Vec<_>>());
            let split: Vec<&str> = text.par_split_inclusive(&['é', ' '][..]).with_schedule(schedule).collect();
            prop_assert_eq!(split, text.split_inclusive(&['é', ' '][..]).collect::<Vec<_>>());
            let found: Vec<(usize, &str)> = text.par_match_indices('\u{a0}').with_schedule(schedule).collect();
            prop_assert_eq!(found, text.match_indices('\u{a0}').collect::<Vec<_>>());
            prop_assert_eq!(text.par_matches('c').count(), text.matches('c').count());
            Ok(())
        })?;
    }

    /// Ranges of every integer type, inclusive or not, from or to near `MIN` and `MAX`.
    #[test]
    fn integer_ranges_near_min_and_max(
        lo in 0..40u8, hi in 0..40u8, from_max in any::<bool>(), inclusive in any::<bool>(),
        threads in threads(), schedule in schedule(),
    ) {
        let pool = pool(threads);
        macro_rules! check {
            ($($t:ty),*) => {$(
                let (a, b) = if from_max {
                    (<$t>::MAX - lo as $t, <$t>::MAX - hi as $t)
                } else {
                    (<$t>::MIN + lo as $t, <$t>::MIN + hi as $t)
                };
                let (a, b) = (a.min(b), a.max(b));
                let (par, seq): (Vec<$t>, Vec<$t>) = if inclusive {
                    (pool.install(|| (a..=b).into_par_iter().with_schedule(schedule).collect()), (a..=b).collect())
                } else {
                    (pool.install(|| (a..b).into_par_iter().with_schedule(schedule).collect()), (a..b).collect())
                };
                prop_assert_eq!(par, seq, "{}", stringify!($t));
            )*};
        }
        check!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);
    }
}
