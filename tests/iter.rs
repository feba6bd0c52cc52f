//! Parallel iterators (`brigade::prelude`): every source, early exits that stop early,
//! per-run state, `with_min_len`/`with_max_len`, and panics: each reaches the caller once,
//! and every item a `collect` made, or a `Vec` by value owned, is dropped exactly once.
//! `tests/proptest_iter.rs` compares every verb with std's sequential iterators.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use brigade::prelude::*;
use brigade::{Schedule, ThreadPool};
use common::{EXPECTED, payload_str, pool_of, quiet_expected_panics};

const N: usize = if cfg!(miri) { 40 } else { 100_000 };
/// Pool sizes; under miri only pools with a thief.
const THREADS: &[usize] = if cfg!(miri) { &[2] } else { &[1, 2, 3, 8] };

/// The schedules to try: a few under miri (each loop costs seconds there).
fn schedules() -> Vec<Schedule> {
    if cfg!(miri) {
        return vec![
            Schedule::Static,
            Schedule::Dynamic { chunk: 3 },
            Schedule::Adaptive { min_len: 1 },
        ];
    }
    vec![
        Schedule::Static,
        Schedule::StaticChunks { chunk: 7 },
        Schedule::Dynamic { chunk: 16 },
        Schedule::Guided { min_chunk: 4 },
        Schedule::Adaptive { min_len: 1 },
        Schedule::Adaptive { min_len: 50 },
    ]
}

#[test]
fn sources_of_every_kind() {
    for &threads in THREADS {
        let pool = pool_of(threads);
        pool.install(|| {
            let v: Vec<u32> = (0..N as u32).collect();
            let want: u64 = v.iter().map(|&x| u64::from(x)).sum();
            assert_eq!(v.par_iter().map(|&x| u64::from(x)).sum::<u64>(), want);
            assert_eq!((&v).into_par_iter().count(), N);
            assert_eq!(v[..].par_iter().count(), N);
            let boxed: Box<[u32]> = v.clone().into_boxed_slice();
            assert_eq!(boxed.par_iter().map(|&x| u64::from(x)).sum::<u64>(), want);
            assert_eq!(boxed.into_par_iter().map(u64::from).sum::<u64>(), want);
            assert_eq!(v.clone().into_par_iter().map(u64::from).sum::<u64>(), want);
            let arr = [3u8, 1, 4, 1, 5, 9, 2, 6];
            assert_eq!(arr.par_iter().copied().max(), Some(9));
            assert_eq!(arr.into_par_iter().min(), Some(1));
            let mut arr = arr;
            arr.par_iter_mut().for_each(|x| *x *= 2);
            assert_eq!(arr, [6, 2, 8, 2, 10, 18, 4, 12]);
            let mut w = v.clone();
            w.par_iter_mut().for_each(|x| *x += 1);
            assert!(w.iter().enumerate().all(|(i, &x)| x == i as u32 + 1));
            (&mut w).into_par_iter().for_each(|x| *x -= 1);
            assert_eq!(w, v);
        });
    }
}

/// `char` ranges are sources as in rayon (its `tests/chars.rs`, in our words): the `char`s
/// in order, without the surrogates, from either end, also through the loop functions.
#[test]
fn char_ranges_match_std() {
    let pool = pool_of(3);
    let ranges = [
        ('a', 'z'),
        ('\0', '\0'),
        ('z', 'a'),
        ('\u{D700}', '\u{E100}'),
        ('\u{D7FF}', '\u{E000}'),
        ('\u{10FF00}', char::MAX),
    ];
    pool.install(|| {
        for (a, b) in ranges {
            let want: Vec<char> = (a..b).collect();
            assert_eq!(
                (a..b).into_par_iter().collect::<Vec<_>>(),
                want,
                "{a:?}..{b:?}"
            );
            assert_eq!((a..b).into_par_iter().len(), want.len());
            let want: Vec<char> = (a..=b).collect();
            assert_eq!(
                (a..=b).into_par_iter().collect::<Vec<_>>(),
                want,
                "{a:?}..={b:?}"
            );
            let rev: Vec<char> = (a..=b).into_par_iter().rev().collect();
            assert!(rev.iter().eq(want.iter().rev()), "{a:?}..={b:?} reversed");
        }
    });
    let all = if cfg!(miri) {
        '\u{D7F0}'..='\u{E010}'
    } else {
        char::MIN..=char::MAX
    };
    let n = all.clone().count();
    assert_eq!(pool.install(|| all.clone().into_par_iter().count()), n);
    let seen = AtomicUsize::new(0);
    pool.for_each(all.clone(), Schedule::default(), |c| {
        assert!(char::from_u32(u32::from(c)).is_some());
        seen.fetch_add(1, Ordering::Relaxed);
    });
    assert_eq!(seen.into_inner(), n);
}

/// `OsString` collects and extends from `&OsStr`, `OsString` and `Cow<OsStr>` items, in
/// order, as std's `collect` (rayon's `collect_cow` test has the `Cow<OsStr>` case).
#[test]
fn os_strings_collect_and_extend_as_std() {
    use std::borrow::Cow;
    use std::ffi::{OsStr, OsString};
    let words: Vec<String> = (0..500).map(|i| format!("w{i} ")).collect();
    let want: OsString = words.iter().map(OsStr::new).collect();
    pool_of(3).install(|| {
        let got: OsString = words.par_iter().map(OsStr::new).collect();
        assert_eq!(got, want);
        let got: OsString = words.par_iter().map(OsString::from).collect();
        assert_eq!(got, want);
        let got: Cow<'_, OsStr> = words
            .par_iter()
            .map(|w| Cow::Borrowed(OsStr::new(w)))
            .collect();
        assert_eq!(got, want.as_os_str());
        let mut ext = OsString::from("start ");
        ext.par_extend(words.par_iter().map(OsStr::new));
        let mut want_ext = OsString::from("start ");
        want_ext.push(&want);
        assert_eq!(ext, want_ext);
    });
}

/// A size of 0 panics with rayon's messages, so that a test written for rayon
/// (`should_panic(expected = "chunk_size must not be zero")`) holds for brigade too.
#[test]
fn sizes_of_zero_panic_with_rayons_messages() {
    quiet_expected_panics();
    let v = vec![1u8, 2, 3];
    let message = |f: &dyn Fn()| {
        let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("a size of 0 panics");
        payload_str(&*payload)
    };
    let chunk = "chunk_size must not be zero";
    assert!(message(&|| drop(v.par_iter().chunks(0))).contains(chunk));
    assert!(message(&|| drop(v.par_chunks(0))).contains(chunk));
    assert!(message(&|| drop(v.par_chunks_exact(0))).contains(chunk));
    assert!(message(&|| drop(v.par_rchunks(0))).contains(chunk));
    assert!(message(&|| drop(v.par_iter().fold_chunks(0, || 0, |a, _| a))).contains(chunk));
    let block = "block_size must not be zero";
    assert!(message(&|| drop(v.par_iter().by_uniform_blocks(0))).contains(block));
}

/// rayon's `octillion_flat`: 0..10^27 made of chained `flat_map`s over ranges of 10^9.
fn octillion_flat() -> impl ParallelIterator<Item = u128> {
    const G: u32 = 1_000_000_000;
    (0..G)
        .into_par_iter()
        .with_max_len(1_000)
        .map(|i| u64::from(i) * u64::from(G))
        .flat_map(|i| {
            (0..G)
                .into_par_iter()
                .with_max_len(1_000)
                .map(move |j| i + u64::from(j))
        })
        .map(|i| u128::from(i) * u128::from(G))
        .flat_map(|i| {
            (0..G)
                .into_par_iter()
                .with_max_len(1_000)
                .map(move |j| i + u128::from(j))
        })
}

/// Runs `inner_items` (a loop over items that each wait, up to 10 s, until two of them have
/// started) and fails if an item gave up waiting: the first item ends only if another one
/// starts while it waits, so the items of one inner iterator of a `flat_map` ran on two
/// workers.
fn two_items_at_once(what: &str, inner_items: impl FnOnce(&(dyn Fn(u32) + Sync))) {
    let started = AtomicUsize::new(0);
    let gave_up = AtomicUsize::new(0);
    let meet = |_: u32| {
        started.fetch_add(1, Ordering::SeqCst);
        let since = std::time::Instant::now();
        while started.load(Ordering::SeqCst) < 2 {
            if since.elapsed() > std::time::Duration::from_secs(10) {
                gave_up.fetch_add(1, Ordering::SeqCst);
                return;
            }
            std::thread::yield_now();
        }
    };
    inner_items(&meet);
    assert!(
        started.load(Ordering::SeqCst) >= 2,
        "{what}: fewer than two items"
    );
    assert_eq!(
        gave_up.load(Ordering::SeqCst),
        0,
        "{what}: the inner items ran one at a time"
    );
}

/// Runs `items` (which hands each item to the closure it is given) and fails unless the
/// items ran on at least two threads. Each item takes 1 ms until a second thread has run
/// one, so one thread alone takes 64 ms or more for 64 items, and a split has time to come.
fn on_two_threads(what: &str, items: impl FnOnce(&(dyn Fn(u64) + Sync))) {
    let first = std::sync::Mutex::new(None::<std::thread::ThreadId>);
    let two = std::sync::atomic::AtomicBool::new(false);
    let item = |_: u64| {
        let me = std::thread::current().id();
        let mut first = first.lock().unwrap();
        match *first {
            None => *first = Some(me),
            Some(id) if id != me => two.store(true, Ordering::SeqCst),
            Some(_) => {}
        }
        drop(first);
        if !two.load(Ordering::SeqCst) {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    };
    items(&item);
    assert!(
        two.load(Ordering::SeqCst),
        "{what}: one thread ran every inner item"
    );
}

/// The short inner iterators of a `flat_map` of few outer items (a piece of one outer item)
/// are split when an idle worker asks for work: a `flat_map` of one outer item with 64
/// costly inner items used to run them all on one worker, where rayon splits them, in twice
/// rayon's time.
#[test]
fn the_short_costly_inner_iterators_of_a_few_outer_items_are_shared() {
    common::within("short inner items shared", || {
        let pool = pool_of(2);
        for outer in [1u64, 2] {
            pool.install(|| {
                on_two_threads("for_each", |item| {
                    (0..outer)
                        .into_par_iter()
                        .flat_map(|_| (0..64u64).into_par_iter())
                        .for_each(item);
                });
                on_two_threads("sum", |item| {
                    let total: u64 = (0..outer)
                        .into_par_iter()
                        .flat_map(|o| (0..64u64).into_par_iter().map(move |i| o * 64 + i))
                        .inspect(|&x| item(x))
                        .sum();
                    assert_eq!(total, (0..outer * 64).sum::<u64>());
                });
                on_two_threads("collect", |item| {
                    let v: Vec<u64> = (0..outer)
                        .into_par_iter()
                        .flat_map(|o| (0..64u64).into_par_iter().map(move |i| o * 64 + i))
                        .inspect(|&x| item(x))
                        .collect();
                    assert_eq!(v, (0..outer * 64).collect::<Vec<u64>>());
                });
                on_two_threads("partition (steps with next)", |item| {
                    let (even, odd): (Vec<u64>, Vec<u64>) = (0..outer)
                        .into_par_iter()
                        .flat_map(|o| (0..64u64).into_par_iter().map(move |i| o * 64 + i))
                        .inspect(|&x| item(x))
                        .partition(|x| x % 2 == 0);
                    assert_eq!(even.len() + odd.len(), (outer * 64) as usize);
                });
            });
        }
    });
}

/// From outside every pool, a `flat_map` of one outer item runs on the calling thread and
/// needs no worker of the global pool: here every global worker waits for the caller to
/// finish it. A first version of the split above handed the rest of a costly inner
/// iterator to the global pool after 100 µs, and the caller then waited for ever.
#[test]
#[cfg_attr(
    miri,
    ignore = "the global pool's threads outlive the test, which miri reports as a leak"
)]
fn a_flat_map_of_one_outer_item_from_outside_needs_no_global_worker() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    common::within("flat_map from outside with a busy global pool", || {
        let go = Arc::new(AtomicBool::new(false));
        let waiting = Arc::new(AtomicUsize::new(0));
        let workers = brigade::current_num_threads();
        for _ in 0..workers {
            let (go, waiting) = (go.clone(), waiting.clone());
            brigade::spawn(move || {
                waiting.fetch_add(1, Ordering::SeqCst);
                let since = std::time::Instant::now();
                // 20 s at most, so that a failure still frees the global pool.
                while !go.load(Ordering::SeqCst) && since.elapsed().as_secs() < 20 {
                    std::thread::yield_now();
                }
            });
        }
        while waiting.load(Ordering::SeqCst) < workers {
            std::thread::yield_now();
        }
        // 64 items of about 50 µs: past every threshold a split could have.
        let total: u64 = (0..1u64)
            .into_par_iter()
            .flat_map(|_| {
                (0..64u64).into_par_iter().map(|i| {
                    let since = std::time::Instant::now();
                    while since.elapsed().as_micros() < 50 {
                        std::hint::spin_loop();
                    }
                    i
                })
            })
            .sum();
        go.store(true, Ordering::SeqCst);
        assert_eq!(total, (0..64).sum::<u64>());
    });
}

/// The long inner iterators of a `flat_map` (4,096 base items or more, more in a long
/// `flat_map`) are loops of their own that every worker shares, as rayon splits them. They used to run whole on the worker that
/// took their outer item: a `flat_map` of one outer item ran on one worker. (An early exit
/// still steps them, to stop inside them.)
#[test]
#[cfg_attr(
    miri,
    ignore = "its items spin until two workers run them at once, and an inner iterator is a \
              loop of its own from 4,096 items"
)]
fn the_long_inner_iterators_of_a_flat_map_are_shared() {
    const LONG: u32 = 5_000;
    common::within("inner items shared", || {
        // From outside every pool, where a base of one item runs on the calling thread.
        if brigade::current_num_threads() > 1 {
            two_items_at_once("one outer item, from outside every pool", |meet| {
                (0..1u32)
                    .into_par_iter()
                    .flat_map(|_| (0..LONG).into_par_iter())
                    .for_each(meet);
            });
        }
        let pool = pool_of(2);
        pool.install(|| {
            two_items_at_once("one outer item", |meet| {
                (0..1u32)
                    .into_par_iter()
                    .flat_map(|_| (0..LONG).into_par_iter())
                    .for_each(meet);
            });
            let long: Vec<u32> = (0..LONG).collect();
            two_items_at_once(
                "through copied, filter, filter_map, inspect, map, flatten",
                |meet| {
                    (0..1u32)
                        .into_par_iter()
                        .flat_map(|_| long.par_iter())
                        .copied()
                        .filter(|_| true)
                        .filter_map(Some)
                        .inspect(|_| ())
                        .map(|x| vec![x])
                        .flatten()
                        .for_each(meet);
                },
            );
            // `fold` (and `fold_with`, `try_fold`) and `map_init` (and `map_with`,
            // `for_each_init`) after a `flat_map` used to turn the split off: one worker ran
            // the whole inner iterator.
            two_items_at_once("through fold", |meet| {
                (0..1u32)
                    .into_par_iter()
                    .flat_map(|_| (0..LONG).into_par_iter())
                    .fold(
                        || 0u32,
                        |n, x| {
                            meet(x);
                            n + 1
                        },
                    )
                    .for_each(drop);
            });
            two_items_at_once("through try_fold", |meet| {
                (0..1u32)
                    .into_par_iter()
                    .flat_map(|_| (0..LONG).into_par_iter())
                    .try_fold(
                        || 0u32,
                        |n, x| {
                            meet(x);
                            n.checked_add(1)
                        },
                    )
                    .for_each(drop);
            });
            two_items_at_once("through map_init", |meet| {
                (0..1u32)
                    .into_par_iter()
                    .flat_map(|_| (0..LONG).into_par_iter())
                    .map_init(
                        || 0u32,
                        |n, x| {
                            *n += 1;
                            meet(x)
                        },
                    )
                    .for_each(drop);
            });
            two_items_at_once("through for_each_with", |meet| {
                (0..1u32)
                    .into_par_iter()
                    .flat_map(|_| (0..LONG).into_par_iter())
                    .for_each_with(0u32, |n, x| {
                        *n += 1;
                        meet(x);
                    });
            });
            two_items_at_once("through flat_map_iter and flatten_iter", |meet| {
                (0..1u32)
                    .into_par_iter()
                    .flat_map(|_| (0..LONG).into_par_iter())
                    .flat_map_iter(|x| [vec![x]])
                    .flatten_iter()
                    .for_each(meet);
            });
            two_items_at_once("through cloned", |meet| {
                (0..1u32)
                    .into_par_iter()
                    .flat_map(|_| long.par_iter())
                    .cloned()
                    .for_each(meet);
            });
            two_items_at_once("flatten of Vecs", |meet| {
                vec![long.clone(), vec![3], vec![]]
                    .into_par_iter()
                    .flatten()
                    .for_each(meet);
            });
            // A long `flat_map` (more than 8 outer items per thread) asks more of an inner
            // iterator, up to 65,536 items.
            two_items_at_once("a long inner iterator in a long flat_map", |meet| {
                (0..10_000u32)
                    .into_par_iter()
                    .flat_map(|o| (0..if o == 0 { 1u32 << 16 } else { 0 }).into_par_iter())
                    .for_each(meet);
            });
            // And a sum over such a flat_map is still the sum, in any split.
            let sum: u64 = (0..3u64)
                .into_par_iter()
                .flat_map(|o| (0..100_000u64).into_par_iter().map(move |i| o * i))
                .sum();
            assert_eq!(sum, 3 * 99_999 * 100_000 / 2);
            let v: Vec<u64> = (0..3u64)
                .into_par_iter()
                .flat_map(|o| (0..10_000u64).into_par_iter().map(move |i| o * 10_000 + i))
                .collect();
            assert!(v.iter().copied().eq(0..30_000), "a collect keeps the order");
        });
    });
}

/// An inner iterator that is a `chain` whose first side flushes (a `fold`) runs whole in its
/// outer item's piece as consecutive pieces cut at the chain's seam: as one piece it hit
/// the chain's assertion ("a piece of a chain whose first side flushes crosses into the
/// second side") on a 1-thread pool (a user-side breaker).
#[test]
fn a_chain_after_a_fold_inside_a_flat_map_runs_whole() {
    let inner = |o: u64| {
        (0..100u64)
            .into_par_iter()
            .fold(|| 0u64, |a, x| a + x)
            .chain(o..o + 100)
    };
    let want_sum: u64 = 3 * 4950 + (0..3u64).map(|o| (o..o + 100).sum::<u64>()).sum::<u64>();
    for threads in [1, 2] {
        let pool = pool_of(threads);
        pool.install(|| {
            let it = || (0..3u64).into_par_iter().flat_map(inner);
            assert_eq!(it().sum::<u64>(), want_sum, "{threads} threads: sum");
            assert_eq!(
                it().map(|x| x & 1).count(),
                3 * 100 + it().fold(|| 0usize, |n, _| n + 1).sum::<usize>() - 300,
                "{threads} threads: count"
            );
            let got: Vec<u64> = it().collect();
            let summed: u64 = got.iter().sum();
            assert_eq!(summed, want_sum, "{threads} threads: collect");
            let firsts: Vec<u64> = (0..3u64).flat_map(|o| (o..o + 100).take(1)).collect();
            assert!(
                firsts.iter().all(|x| got.contains(x)),
                "{threads} threads: collect lost the second side"
            );
            assert_eq!(
                it().map_init(|| 1u64, |one, x| x * *one).sum::<u64>(),
                want_sum,
                "{threads} threads: map_init"
            );
            // Stepped by early exits, piece by piece.
            assert!(it().any(|x| x == 101), "{threads} threads: any");
            assert_eq!(
                it().find_first(|&x| x == 101),
                Some(101),
                "{threads} threads"
            );
            let mut extended = Vec::new();
            extended.par_extend(it());
            assert_eq!(
                extended.iter().sum::<u64>(),
                want_sum,
                "{threads} threads: par_extend"
            );
        });
    }
}

/// A `map_init` value after a `flat_map` is lent to a run of consecutive items, also
/// around an inner iterator that is a loop of its own (a user-side breaker found value 0
/// lent to items up to 1,499, then again from 301,500, after the long inner iterator of
/// outer item 500 had run with values of its own).
#[test]
#[cfg_attr(
    miri,
    ignore = "an inner iterator is a loop of its own from 4,096 items"
)]
fn map_init_values_cover_consecutive_items_after_a_flat_map() {
    for threads in [2, 3, 8] {
        let pool = pool_of(threads);
        for _ in 0..5 {
            let made = AtomicUsize::new(0);
            let lent: Vec<(usize, u64)> = pool.install(|| {
                (0..1_000u64)
                    .into_par_iter()
                    .flat_map(|o| (0..if o == 500 { 300_000u64 } else { 3 }).into_par_iter())
                    .map_init(|| made.fetch_add(1, Ordering::Relaxed), |id, x| (*id, x))
                    .collect()
            });
            assert_eq!(lent.len(), 999 * 3 + 300_000);
            let mut last_seen = vec![usize::MAX; made.load(Ordering::Relaxed)];
            for (at, &(id, _)) in lent.iter().enumerate() {
                let last = last_seen[id];
                assert!(
                    last == usize::MAX || last + 1 == at,
                    "{threads} threads: value {id} lent to item {last}, then to item {at}"
                );
                last_seen[id] = at;
            }
        }
    }
}

/// An early exit over `flat_map` steps through an inner iterator a stretch at a time and
/// stops inside it: `find_first` gathered whole inner iterators, 100M items (800 MB) here,
/// and rayon's `octillion_flat` tests (the shape below, 10^27 items) ran out of memory.
#[test]
fn early_exits_over_flat_map_stop_inside_an_inner_iterator() {
    let big: u64 = if cfg!(miri) { 10_000 } else { 100_000_000 };
    let seen = AtomicUsize::new(0);
    let pool = pool_of(2);
    let inner = |_| {
        (0..big).into_par_iter().inspect(|_| {
            seen.fetch_add(1, Ordering::Relaxed);
        })
    };
    let first = pool.install(|| {
        (0..1u32)
            .into_par_iter()
            .flat_map(inner)
            .find_first(|_| true)
    });
    assert_eq!(first, Some(0));
    assert!(seen.load(Ordering::Relaxed) <= 16, "{seen:?} items made");
    assert!(pool.install(|| (0..1u32).into_par_iter().flat_map(inner).any(|x| x == 100)));
    assert!(
        seen.load(Ordering::Relaxed) <= 16 + 112,
        "{seen:?} items made"
    );

    let flat = octillion_flat;
    assert_eq!(pool.install(|| flat().find_first(|_| true)), Some(0));
    assert!(pool.install(|| flat().find_any(|&x| x % 7 == 3)).is_some());
    assert!(pool.install(|| flat().filter(|&x| x % 5 == 4).any(|_| true)));
}

/// A search that another worker answers stops a worker deep inside nested `flat_map`s, even
/// where nothing reaches the search's own check: a `filter` that rejects every item, a
/// stretch of inner items being gathered (rayon's `filter_find_any_octillion_flat` and
/// `find_any_octillion_flat`; the first ran for minutes).
#[test]
#[cfg_attr(
    miri,
    ignore = "10^27 items: the search must stop, which takes real threads"
)]
fn searches_answered_elsewhere_stop_inside_nested_flat_maps_and_filters() {
    common::within("octillion searches", || {
        let flat = octillion_flat;
        let half = 10u128.pow(27) / 2;
        let pool = pool_of(2);
        let found = pool.install(|| flat().filter(|&x| x > half).find_any(|_| true));
        assert!(found.is_some_and(|x| x > half));
        let found = pool.install(|| flat().find_any(|&x| x > half));
        assert!(found.is_some_and(|x| x > half));
        assert!(pool.install(|| flat().filter_map(|x| (x > half).then_some(x)).any(|_| true)));
    });
}

/// A search over a `flat_map` written inside another's closure (a triple loop) sees the
/// first item as soon as it is made. (A user-side test: stepping gathered a stretch of 16
/// middle items, with every innermost item of theirs, first; with innermost ranges of 10^9
/// items it filled memory and never returned, though the answer was the first item.)
#[test]
#[cfg_attr(miri, ignore = "innermost ranges of 10^9 items: takes real threads")]
fn a_search_over_a_flat_map_inside_a_flat_map_sees_the_first_item_at_once() {
    common::within("triple loop search", || {
        const G: u64 = 1_000_000_000;
        for threads in [1, 2] {
            let pool = pool_of(threads);
            let made = AtomicUsize::new(0);
            let found = pool.install(|| {
                (0..2u64)
                    .into_par_iter()
                    .flat_map(|_| {
                        (0..G).into_par_iter().flat_map(|_| {
                            (0..G).into_par_iter().inspect(|_| {
                                made.fetch_add(1, Ordering::Relaxed);
                            })
                        })
                    })
                    .any(|k| k == 0)
            });
            assert!(found);
            assert!(made.load(Ordering::Relaxed) < 1_000, "{made:?} items made");
            // Only the very first item of 10^18 passes the filter.
            let found = pool.install(|| {
                (0..1_000u64)
                    .into_par_iter()
                    .flat_map(|i| {
                        (0..G).into_par_iter().flat_map(move |j| {
                            (0..G)
                                .into_par_iter()
                                .filter(move |&k| i == 0 && j == 0 && k == 0)
                        })
                    })
                    .find_any(|_| true)
            });
            assert_eq!(found, Some(0));
        }
    });
}

/// A `fold` before a search, over a `flat_map` with one endless inner iterator: the worker
/// folding it stops once a piece of another worker answers the search. (With `with_max_len`,
/// a piece's accumulator went to the search only when the worker's whole run ended, which
/// it never did.)
#[test]
#[cfg_attr(miri, ignore = "an inner iterator of 10^15 items: takes real threads")]
fn a_fold_before_a_search_stops_inside_an_inner_iterator_answered_elsewhere() {
    common::within("fold then find_any", || {
        let pool = pool_of(2);
        for _ in 0..5 {
            let found = pool.install(|| {
                (0..2u64)
                    .into_par_iter()
                    .with_max_len(1)
                    .flat_map(|i| (0..if i == 0 { 1u64 << 50 } else { 10 }).into_par_iter())
                    .fold(|| 0u64, |n, _| n + 1)
                    .find_any(|&n| n == 10)
            });
            assert_eq!(found, Some(10));
        }
    });
}

/// Searches over a range of 2^63 items whose answer lies far from the start (rayon's
/// `octillion` tests, on a range a `usize` can count). The loop ran such a range as
/// segments of 2^32 items, one after the other: a search reached the far half only after
/// 2^30 segments, and `find_last`'s first block from the end was 2^57 items long.
#[test]
#[cfg_attr(
    miri,
    ignore = "2^63 items: the search must stop, which takes real threads"
)]
fn searches_over_a_huge_range_reach_its_far_end_at_once() {
    common::within("searches over 0..2^63", || {
        let n = u64::MAX / 2;
        let pool = pool_of(2);
        let found = pool.install(|| (0..n).into_par_iter().find_any(|&x| x > n / 2));
        assert!(found.is_some_and(|x| x > n / 2));
        let found = pool.install(|| {
            (0..n)
                .into_par_iter()
                .filter(|&x| x > n / 2)
                .find_any(|_| true)
        });
        assert!(found.is_some_and(|x| x > n / 2));
        assert_eq!(
            pool.install(|| (0..n).into_par_iter().find_last(|_| true)),
            Some(n - 1)
        );
        assert_eq!(
            pool.install(|| (0..=n).into_par_iter().position_last(|_| true)),
            Some(n as usize)
        );
        assert_eq!(
            pool.install(|| (0..n).into_par_iter().find_first(|_| true)),
            Some(0)
        );
        assert!(pool.install(|| (0..n).into_par_iter().any(|x| x > n / 2)));
    });
}

/// A search whose only answer lies in a `chain`'s second side, after a first side that is
/// endless (or 2^62 long) and holds no answer: the sides run as loops of their own, joined,
/// as in rayon. (One loop over both sides reached the second only once a worker's share got
/// there, and every worker was inside the first side: it ran on for ever.)
#[test]
#[cfg_attr(
    miri,
    ignore = "endless first sides: the search must stop, which takes real threads"
)]
fn a_search_reaches_a_chains_second_side_past_an_endless_first() {
    common::within("chain searches", || {
        const G: u32 = 1_000_000_000;
        let pool = pool_of(2);
        let endless = || {
            (0..G).into_par_iter().with_max_len(1000).flat_map(|i| {
                (0..G)
                    .into_par_iter()
                    .filter(|_| false)
                    .map(move |j| (i, j))
            })
        };
        let found = pool.install(|| {
            endless()
                .chain(brigade::iter::once((7, 7)))
                .find_any(|_| true)
        });
        assert_eq!(found, Some((7, 7)));
        // Three sides, the answer in the last, chained either way; and a first side of 2^61
        // items.
        let found = pool.install(|| {
            endless()
                .chain(endless())
                .chain(brigade::iter::once((9, 9)))
                .any(|p| p == (9, 9))
        });
        assert!(found);
        let found = pool.install(|| {
            endless()
                .chain(endless().chain(vec![(1, 2), (3, 4)]))
                .find_any(|&p| p == (3, 4))
        });
        assert_eq!(found, Some((3, 4)));
        let n = 1u64 << 62;
        let found = pool.install(|| {
            (0..n)
                .into_par_iter()
                .filter(|x| x % 2 == 0)
                .map(|x| x % 2)
                .chain(brigade::iter::repeat_n(7, 3))
                .find_any(|&x| x == 7)
        });
        assert_eq!(found, Some(7));
    });
}

/// A `fold` before a search, where every piece is endless: the fold hands its accumulator
/// on inside the piece, so the search sees one (rayon's `fold_find_any_octillion_flat`;
/// the fold handed it on only when its piece ended, which it never did). Between the
/// accumulators it hands on, every item is folded exactly once.
#[test]
#[cfg_attr(
    miri,
    ignore = "10^27 items: the search must stop, which takes real threads"
)]
fn a_fold_before_a_search_hands_on_accumulators_inside_an_endless_piece() {
    common::within("fold then search over octillion_flat", || {
        let flat = octillion_flat;
        for threads in [1, 2] {
            let pool = pool_of(threads);
            let x = pool.install(|| flat().fold(|| (), |_, _| ()).find_any(|_| true));
            assert!(x.is_some());
            let x = pool.install(|| flat().fold(|| 0u64, |n, _| n + 1).find_first(|_| true));
            assert!(x.is_some_and(|n| n > 0));
            // The accumulators cover consecutive items: the second starts where the first
            // ends.
            let span = || {
                flat()
                    .fold(|| (u128::MAX, 0u128), |(first, n), x| (first.min(x), n + 1))
                    .map(|(first, n)| (first, first + n))
            };
            let one = pool.install(|| span().find_first(|_| true));
            let two = pool.install(|| span().find_first(|&(first, _)| first > 0));
            let (one, two) = (one.expect("an accumulator"), two.expect("a second one"));
            assert_eq!(one.0, 0);
            assert_eq!(two.0, one.1, "{one:?} then {two:?}");
        }
    });
}

/// A `fold` before a search over a huge range, under every schedule, on 1 and 2 threads:
/// a pool of one ran the loop as one piece, and `Static` and `Guided` cut it into a piece
/// per worker, whose accumulator reached the search only at its end, after 2^64 items
/// (rayon's `fold_is_full` visited all 2,048 items on a pool of one). The fold hands
/// accumulators on inside a piece, also with `with_min_len`, each still that long.
#[test]
#[cfg_attr(
    miri,
    ignore = "2^64 items: the search must stop, which takes real threads"
)]
fn a_fold_before_a_search_over_a_huge_range_hands_on_under_every_schedule() {
    common::within("fold then search over 0..u64::MAX", || {
        for threads in [1, 2] {
            let pool = pool_of(threads);
            for schedule in schedules() {
                let fold = |min: usize| {
                    (0..u64::MAX)
                        .into_par_iter()
                        .with_schedule(schedule)
                        .with_min_len(min)
                        .fold(
                            || (0u64, 0usize),
                            |(x, n), i| (x ^ std::hint::black_box(i), n + 1),
                        )
                };
                let found = pool.install(|| fold(1).find_any(|_| true));
                assert!(found.is_some(), "{schedule:?} on {threads}");
                let found = pool.install(|| fold(1).find_first(|_| true));
                assert!(found.is_some(), "{schedule:?} on {threads}");
                let found = pool.install(|| fold(1000).find_any(|_| true));
                assert!(
                    found.is_some_and(|(_, n)| n >= 1000),
                    "{schedule:?} on {threads}"
                );
                let found = pool.install(|| fold(1000).find_first(|_| true));
                assert!(
                    found.is_some_and(|(_, n)| n >= 1000),
                    "{schedule:?} on {threads}"
                );
                let all = pool.install(|| fold(1000).all(|(_, n)| n < 1000));
                assert!(!all, "{schedule:?} on {threads}");
                let visited = AtomicUsize::new(0);
                let found = pool.install(|| {
                    (0..2048)
                        .into_par_iter()
                        .with_schedule(schedule)
                        .inspect(|_| {
                            visited.fetch_add(1, Ordering::Relaxed);
                        })
                        .fold(|| 0, |a, b| a + b)
                        .find_any(|_| true)
                });
                assert!(found.is_some());
                let visited = visited.into_inner();
                assert!(
                    visited < 2048,
                    "{schedule:?} on {threads}: visited {visited}"
                );
            }
        }
    });
}

/// `collect` into `Result` or `Option` stops at the first error, as rayon's: over
/// `0..u64::MAX` it returns once an error is met, under every schedule, and on a pool of one
/// it visits no item after the error.
#[test]
#[cfg_attr(
    miri,
    ignore = "2^64 items: the loop must stop, which takes real threads"
)]
fn collect_into_result_or_option_stops_at_the_first_error() {
    common::within("collect::<Result<_, _>> over 0..u64::MAX", || {
        for threads in [1, 2] {
            let pool = pool_of(threads);
            for schedule in schedules() {
                let items = || (0..u64::MAX).into_par_iter().with_schedule(schedule);
                let got: Result<Vec<u64>, u64> = pool.install(|| {
                    items()
                        .map(|x| if x == 1000 { Err(x) } else { Ok(x) })
                        .collect()
                });
                assert_eq!(got, Err(1000), "{schedule:?} on {threads}");
                let got: Option<Vec<u64>> =
                    pool.install(|| items().map(|x| (x != 1000).then_some(x)).collect());
                assert_eq!(got, None, "{schedule:?} on {threads}");
                let got: Result<(), u64> = pool.install(|| {
                    items()
                        .map(|x| if x >= 1000 { Err(x) } else { Ok(()) })
                        .collect()
                });
                assert!(got.is_err_and(|x| x >= 1000), "{schedule:?} on {threads}");
                let got: Result<String, u64> = pool.install(|| {
                    items()
                        .filter(|x| x % 2 == 0)
                        .map(|x| if x == 1000 { Err(x) } else { Ok('a') })
                        .collect()
                });
                assert_eq!(got, Err(1000), "{schedule:?} on {threads}");
            }
        }
    });
    let pool = pool_of(1);
    let visited = AtomicUsize::new(0);
    let got: Result<Vec<usize>, usize> = pool.install(|| {
        (0..N)
            .into_par_iter()
            .inspect(|_| {
                visited.fetch_add(1, Ordering::Relaxed);
            })
            .map(|x| if x == 10 { Err(x) } else { Ok(x) })
            .collect()
    });
    assert_eq!(got, Err(10));
    assert_eq!(visited.into_inner(), 11);
}

/// `take_any`, `take_any_while` and `while_some` stop the loop once they close, also where
/// the items they wait for come from a `fold` that would hand its accumulator on only at
/// the end of a piece, or from a `filter` or `flat_map` that rejects every item left in a
/// piece: over `0..u64::MAX` each returns, under every schedule.
#[test]
#[cfg_attr(
    miri,
    ignore = "2^64 items: the loop must stop, which takes real threads"
)]
fn a_closed_gate_stops_the_folds_and_filters_before_it() {
    common::within("fold or filter, then take_any, over 0..u64::MAX", || {
        for threads in [1, 2] {
            let pool = pool_of(threads);
            for schedule in schedules() {
                let items = || (0..u64::MAX).into_par_iter().with_schedule(schedule);
                let fold = || items().fold(|| 0u64, |a, x| a ^ std::hint::black_box(x));
                let got = pool.install(|| fold().take_any(1).count());
                assert_eq!(got, 1, "{schedule:?} on {threads}");
                let got = pool.install(|| fold().take_any_while(|_| false).count());
                assert_eq!(got, 0, "{schedule:?} on {threads}");
                let got = pool.install(|| fold().map(|_| None::<u64>).while_some().count());
                assert_eq!(got, 0, "{schedule:?} on {threads}");
                let got = pool.install(|| items().filter(|&x| x < 10).take_any(5).count());
                assert_eq!(got, 5, "{schedule:?} on {threads}");
                let got = pool.install(|| {
                    items()
                        .flat_map(|x| 0..u64::from(x < 10))
                        .take_any(5)
                        .collect::<Vec<_>>()
                });
                assert_eq!(got.len(), 5, "{schedule:?} on {threads}");
                let got = pool.install(|| {
                    items()
                        .filter(|&x| x < 10)
                        .map(|x| (x < 3).then_some(x))
                        .while_some()
                        .count()
                });
                assert!(got <= 3, "{schedule:?} on {threads}");
                // A `flat_map` after the gate still lets the adaptors before the gate stop
                // (it hid the gate from them: both hung).
                let got = pool.install(|| {
                    (0..2u64)
                        .into_par_iter()
                        .with_schedule(schedule)
                        .flat_map(|x| items().filter(move |&y| x == 0 && y < 10))
                        .take_any(5)
                        .flat_map(brigade::iter::once)
                        .count()
                });
                assert_eq!(got, 5, "{schedule:?} on {threads}");
                let got = pool.install(|| fold().take_any(1).flat_map(brigade::iter::once).count());
                assert_eq!(got, 1, "{schedule:?} on {threads}");
                // A gate on the first side of a `chain`: the loop leaves that side once it
                // has closed, though the second side still has items (the adaptive loop
                // walked the first side's 2^63 indices, 2^32 at a time; `StaticChunks`
                // and `Dynamic` handed out its chunks one by one, and `StaticChunks` kept
                // an accumulator for each).
                let got = pool.install(|| {
                    (0..u64::MAX / 2)
                        .into_par_iter()
                        .with_schedule(schedule)
                        .take_any(5)
                        .chain((0..100u64).into_par_iter())
                        .count()
                });
                assert_eq!(got, 105, "{schedule:?} on {threads}");
            }
        }
    });
}

/// `find_last` and `find_map_last` over a `flat_map` search each inner iterator from its
/// end, also nested and under a `map`: rayon's `find_last_octillion_flat` (10^27 items,
/// three levels of `flat_map`) ran on for ever, stepping the last outer item's inner
/// iterators forwards.
#[test]
#[cfg_attr(
    miri,
    ignore = "10^27 items: the search must stop, which takes real threads"
)]
fn a_search_from_the_end_over_nested_flat_maps_starts_at_the_last_inner_items() {
    const BILLION: u32 = 1_000_000_000;
    let octillion_flat = || {
        (0..BILLION)
            .into_par_iter()
            .with_max_len(1_000)
            .map(|i| u64::from(i) * u64::from(BILLION))
            .flat_map(|i| {
                (0..BILLION)
                    .into_par_iter()
                    .with_max_len(1_000)
                    .map(move |j| i + u64::from(j))
            })
            .map(|i| u128::from(i) * u128::from(BILLION))
            .flat_map(|i| (0..BILLION).into_par_iter().map(move |j| i + u128::from(j)))
    };
    let octillion = 10u128.pow(27);
    common::within("find_last over three levels of flat_map", move || {
        for threads in [1, 2] {
            let pool = pool_of(threads);
            let last = pool.install(|| octillion_flat().find_last(|_| true));
            assert_eq!(last, Some(octillion - 1), "on {threads}");
            let odd = pool.install(|| octillion_flat().map(|x| x / 2).find_last(|x| x % 2 == 1));
            assert_eq!(odd, Some(octillion / 2 - 1), "on {threads}");
            let below = pool.install(|| {
                octillion_flat().find_map_last(|x| (x % 1000 == 7).then_some(x / 1000))
            });
            assert_eq!(below, Some(octillion / 1000 - 1), "on {threads}");
        }
    });
}

/// The accumulators a `fold` hands on inside its pieces before an early exit (`all` that
/// never stops, so it sees every one) cover every item exactly once, in order: through a
/// `flat_map` of inner iterators of many lengths, a `filter`, and `with_max_len`.
#[test]
fn accumulators_handed_on_inside_pieces_cover_every_item_once() {
    let outer = if cfg!(miri) { 12u64 } else { 300 };
    let len = |i: u64| (i * 37) % 3_000;
    let inner = move |i: u64| (0..len(i)).into_par_iter().map(move |j| i * 10_000 + j);
    let want: Vec<u64> = (0..outer)
        .flat_map(|i| (0..len(i)).map(move |j| i * 10_000 + j))
        .collect();
    for &threads in THREADS {
        let pool = pool_of(threads);
        for max_len in [usize::MAX, 1, 7] {
            let runs = std::sync::Mutex::new(Vec::new());
            let all = pool.install(|| {
                (0..outer)
                    .into_par_iter()
                    .with_max_len(max_len)
                    .flat_map(inner)
                    .fold(Vec::new, |mut run, x| {
                        run.push(x);
                        run
                    })
                    .all(|run| {
                        runs.lock().unwrap().push(run);
                        true
                    })
            });
            assert!(all);
            let mut runs = runs.into_inner().unwrap();
            runs.sort_by_key(|run| run.first().copied());
            assert_eq!(runs.concat(), want, "{threads} threads, max_len {max_len}");
            // Also through a filter, with a search answered by the last accumulator.
            let last = *want.iter().filter(|&&x| x % 3 == 0).max().unwrap();
            let found = pool.install(|| {
                (0..outer)
                    .into_par_iter()
                    .with_max_len(max_len)
                    .flat_map(inner)
                    .filter(|&x| x % 3 == 0)
                    .fold(|| 0u64, |m, x| m.max(x))
                    .any(|m| m == last)
            });
            assert!(found);
        }
    }
}

/// Loops nested in a search's predicate run whole, also once the search has its answer:
/// the stop check that cuts the search's own pieces short is not theirs.
#[test]
fn loops_nested_in_a_search_run_whole_after_it_has_its_answer() {
    // (outer items, nested flat_map's outer length, nested filter's length, rounds)
    let (outer, k, m, rounds) = if cfg!(miri) {
        (2u32, 6u32, 16u64, 1)
    } else {
        (200, 64, 2_000, 20)
    };
    let pool = pool_of(2);
    let nested = || -> (usize, u64) {
        let kept: Vec<u32> = (0..k)
            .into_par_iter()
            .flat_map(|k| (0..k).into_par_iter())
            .filter(|&y| y % 3 == 0)
            .collect();
        let sum = (0..m)
            .into_par_iter()
            .filter(|&x| x % 2 == 0)
            .map(|x| x * 2)
            .sum();
        (kept.len(), sum)
    };
    // On the pool: under miri, the global pool's threads would outlive the test.
    let whole = pool.install(nested);
    let target = outer * 50 / 2 - 1;
    for _ in 0..rounds {
        let wrong = AtomicUsize::new(0);
        let found = pool.install(|| {
            (0..outer)
                .into_par_iter()
                .flat_map(|i| (0..50u32).into_par_iter().map(move |j| i * 50 + j))
                .filter(|&x| x % 7 != 1)
                .find_any(|&x| {
                    if nested() != whole {
                        wrong.fetch_add(1, Ordering::Relaxed);
                    }
                    x % target == target - 1
                })
        });
        assert!(found.is_some_and(|x| x % target == target - 1));
        assert_eq!(
            wrong.load(Ordering::Relaxed),
            0,
            "a nested loop was cut short"
        );
    }
}

/// An early exit after a `fold` stops once a piece's accumulator answers it, not at the
/// end of the worker's run (rayon's `fold_is_full`, in our words: 2,048 items, and the
/// `find_any` visited all of them in 95% of runs).
#[test]
fn an_early_exit_after_fold_stops_when_a_piece_answers_it() {
    // (A pool of one runs the loop as one piece: the fold answers when it ends.)
    let runs = if cfg!(miri) { 2 } else { 20 };
    for threads in [2, 4] {
        let pool = pool_of(threads);
        for _ in 0..runs {
            let visited = AtomicUsize::new(0);
            let found = pool.install(|| {
                (0..2048i32)
                    .into_par_iter()
                    .inspect(|_| {
                        visited.fetch_add(1, Ordering::Relaxed);
                    })
                    .fold(|| 0, |a, b| a + b)
                    .find_any(|_| true)
            });
            assert!(found.is_some());
            let visited = visited.into_inner();
            assert!(
                visited < 2048,
                "{threads} threads: visited {visited} of 2048"
            );
        }
        // The answers are still right, in order, where order matters.
        let first = pool.install(|| {
            (0..2048u32)
                .into_par_iter()
                .fold(Vec::new, |mut v, x| {
                    v.push(x);
                    v
                })
                .find_first(|v| v.contains(&1000))
        });
        assert!(first.expect("found").contains(&1000));
        let sums: u32 = pool.install(|| {
            (0..2048u32)
                .into_par_iter()
                .fold(|| 0, |a, b| a + b)
                .map(Some)
                .try_reduce(|| 0, |a, b| Some(a + b))
                .expect("no None")
        });
        assert_eq!(sums, (0..2048).sum());
    }
}

#[test]
fn ranges_of_every_width_up_to_max() {
    let pool = pool_of(2);
    pool.install(|| {
        macro_rules! full {
            ($($t:ty),*) => {$(
                let hi = <$t>::MAX;
                let lo = hi - if cfg!(miri) { 10 } else { 100 };
                let got: Vec<$t> = (lo..=hi).into_par_iter().collect();
                assert_eq!(got, (lo..=hi).collect::<Vec<$t>>(), stringify!($t));
                let got: Vec<$t> = (lo..hi).into_par_iter().collect();
                assert_eq!(got, (lo..hi).collect::<Vec<$t>>(), stringify!($t));
                let lo = <$t>::MIN;
                let got: Vec<$t> = (lo..=lo + 5).into_par_iter().collect();
                assert_eq!(got, (lo..=lo + 5).collect::<Vec<$t>>(), stringify!($t));
                assert_eq!((lo..lo).into_par_iter().count(), 0);
            )*};
        }
        full!(
            u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
        );
        assert_eq!((0..=u8::MAX).into_par_iter().len(), 256);
        assert_eq!(
            (i8::MIN..=i8::MAX)
                .into_par_iter()
                .map(i32::from)
                .sum::<i32>(),
            -128
        );
        if !cfg!(miri) {
            assert_eq!(
                (0..=u16::MAX).into_par_iter().filter(|_| true).count(),
                65_536
            );
        }
    });
}

/// Ranges of untyped literals compile, as with rayon (the literals fall back to `i32`).
#[test]
fn ranges_of_untyped_literals() {
    let pool = pool_of(2);
    pool.install(|| {
        let count = AtomicUsize::new(0);
        (0..8).into_par_iter().for_each(|_| {
            count.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(count.into_inner(), 8);
        let sum: i64 = (0..100).into_par_iter().map(|x| x as i64).sum();
        assert_eq!(sum, 4950);
        assert_eq!((1..=10).into_par_iter().sum::<i32>(), 55);
    });
}

/// A range of up to 64-bit integers is indexed, so it may not hold more than `usize::MAX`
/// items; a range of `u128` or `i128` is not indexed, and may (`long_ranges_...` below).
#[test]
fn ranges_longer_than_usize_max_panic_before_running() {
    quiet_expected_panics();
    let r = catch_unwind(|| (0..=u64::MAX).into_par_iter().count());
    let payload = r.expect_err("too long a range");
    assert!(payload_str(&*payload).contains("usize::MAX"));
    let r = catch_unwind(|| (i64::MIN..=i64::MAX).into_par_iter().count());
    assert!(r.is_err());
}

/// rayon's `octillion` searches over ranges of `u128` with more than `usize::MAX` items
/// (they panicked: a range had to fit a `usize`), and the same over `i128` ranges that span
/// the whole type. Each base index of such a range holds a run of items.
#[test]
#[cfg_attr(
    miri,
    ignore = "10^27 items: the search must stop, which takes real threads"
)]
fn long_ranges_of_u128_and_i128_are_searched_as_rayon_does() {
    common::within("octillion searches", || {
        const OCTILLION: u128 = 1_000_000_000_000_000_000_000_000_000;
        let octillion = || (0..OCTILLION).into_par_iter();
        let inclusive = || (0..=OCTILLION).into_par_iter();
        let pool = pool_of(2);
        for threads in [1, 2] {
            let pool = pool_of(threads);
            assert_eq!(pool.install(|| octillion().find_first(|_| true)), Some(0));
            assert_eq!(pool.install(|| inclusive().find_first(|_| true)), Some(0));
        }
        let found = pool.install(|| octillion().find_last(|_| true));
        assert_eq!(found, Some(OCTILLION - 1));
        let found = pool.install(|| inclusive().find_last(|_| true));
        assert_eq!(found, Some(OCTILLION));
        let found = pool.install(|| octillion().find_any(|x| *x > OCTILLION / 2));
        assert!(found.is_some_and(|x| x > OCTILLION / 2));
        let found = pool.install(|| {
            octillion()
                .filter(|x| *x > OCTILLION / 2)
                .find_any(|_| true)
        });
        assert!(found.is_some_and(|x| x > OCTILLION / 2));
        // The whole of each type: the first and last items, and one near the middle.
        let all = || (i128::MIN..=i128::MAX).into_par_iter();
        assert_eq!(pool.install(|| all().find_first(|_| true)), Some(i128::MIN));
        assert_eq!(pool.install(|| all().find_last(|_| true)), Some(i128::MAX));
        assert!(pool.install(|| all().any(|x| x > 0)));
        let all = || (0..=u128::MAX).into_par_iter();
        assert_eq!(pool.install(|| all().find_last(|_| true)), Some(u128::MAX));
    });
}

/// A range of `u128` or `i128` short enough for a `usize` yields each item once, in order,
/// one per base index, under any cut of its pieces.
#[test]
fn short_ranges_of_u128_and_i128_yield_every_item_once_in_order() {
    let pool = pool_of(2);
    let short: Vec<i128> = pool.install(|| (-5..5i128).into_par_iter().collect());
    assert_eq!(short, (-5..5).collect::<Vec<_>>());
    let sum: u128 = pool.install(|| (1..=1000u128).into_par_iter().with_max_len(7).sum());
    assert_eq!(sum, 500_500);
    let top: Vec<u128> = pool.install(|| ((u128::MAX - 9)..=u128::MAX).into_par_iter().collect());
    assert_eq!(top, ((u128::MAX - 9)..=u128::MAX).collect::<Vec<_>>());
}

#[test]
fn enumerate_zip_and_chunks_mut_on_every_schedule() {
    let n = if cfg!(miri) { 23 } else { 10_007 };
    for &threads in THREADS {
        let pool = pool_of(threads);
        for schedule in schedules() {
            pool.install(|| {
                let mut grid = vec![0usize; n * 3];
                grid.par_chunks_mut(3)
                    .with_schedule(schedule)
                    .enumerate()
                    .for_each(|(y, row)| row.iter_mut().for_each(|c| *c = y));
                assert!(
                    grid.iter().enumerate().all(|(i, &c)| c == i / 3),
                    "{schedule:?}"
                );
                let a: Vec<usize> = (0..n).collect();
                let b: Vec<usize> = (0..n + 5).map(|i| i * 2).collect();
                let mut out = vec![0; n];
                out.par_iter_mut()
                    .zip(a.par_iter().zip(&b))
                    .with_schedule(schedule)
                    .for_each(|(o, (x, y))| *o = x + y);
                assert!(
                    out.iter().enumerate().all(|(i, &o)| o == 3 * i),
                    "{schedule:?}"
                );
                let pairs: Vec<(usize, &usize)> =
                    b.par_iter().enumerate().with_schedule(schedule).collect();
                assert_eq!(pairs.len(), n + 5);
                assert!(pairs.iter().all(|&(i, &x)| x == 2 * i));
            });
        }
    }
}

#[test]
fn strings_cut_into_lines_and_words_as_std_does() {
    let pool = pool_of(3);
    let line = "ab c\u{a0}d\u{2003}e\tf\r\n\r\n x\u{b}y  \né\r";
    let text: String = line.repeat(if cfg!(miri) { 2 } else { 500 });
    for schedule in schedules() {
        pool.install(|| {
            let lines: Vec<&str> = text.par_lines().with_schedule(schedule).collect();
            assert_eq!(lines, text.lines().collect::<Vec<_>>(), "{schedule:?}");
            let words: Vec<&str> = text
                .par_split_whitespace()
                .with_schedule(schedule)
                .collect();
            assert_eq!(
                words,
                text.split_whitespace().collect::<Vec<_>>(),
                "{schedule:?}"
            );
        });
    }
    // On the test's pool: under miri, a loop outside every pool would start the global
    // pool, whose threads outlive the test.
    pool.install(|| {
        assert_eq!("".par_lines().count(), 0);
        assert_eq!("\n".par_lines().collect::<Vec<_>>(), [""]);
        assert_eq!("  ".par_split_whitespace().count(), 0);
    });
}

/// A piece of `par_lines`, `par_split_whitespace` or `par_split` looks for its first line
/// (word, part) only in its own bytes. It used to scan on to the next line ending, so on a
/// long line every piece scanned the rest of the text: 100 MB on one line did not finish
/// in minutes.
#[test]
#[cfg_attr(miri, ignore = "4 MB of text")]
fn long_lines_words_and_parts_cost_one_pass() {
    use common::within;
    let counts = within("one long line", || {
        let pool = pool_of(2);
        let line = "x".repeat(4_000_000);
        let gap = " ".repeat(4_000_000);
        let small = Schedule::Dynamic { chunk: 1024 };
        pool.install(|| {
            [
                line.par_lines().with_schedule(small).count(),
                line.par_split_whitespace().with_schedule(small).count(),
                gap.par_split_whitespace().with_schedule(small).count(),
                line.par_split(',').with_schedule(small).count(),
                line.par_split_terminator(',').with_schedule(small).count(),
                gap.par_lines().with_schedule(small).count(),
                line.par_split_ascii_whitespace()
                    .with_schedule(small)
                    .count(),
                gap.par_split_ascii_whitespace()
                    .with_schedule(small)
                    .count(),
            ]
        })
    });
    assert_eq!(counts, [1, 1, 0, 1, 1, 1, 1, 0]);
}

#[test]
fn find_any_and_any_stop_early() {
    let n: usize = if cfg!(miri) { 400 } else { 4_000_000 };
    let hit = n / 100;
    for &threads in THREADS {
        let pool = pool_of(threads);
        for schedule in [
            Schedule::default(),
            Schedule::Static,
            Schedule::Dynamic { chunk: 64 },
        ] {
            let visited = AtomicUsize::new(0);
            let found = pool.install(|| {
                (0..n)
                    .into_par_iter()
                    .with_schedule(schedule)
                    .find_any(|&i| {
                        visited.fetch_add(1, Ordering::Relaxed);
                        i == hit
                    })
            });
            assert_eq!(found, Some(hit));
            let visited = visited.into_inner();
            // The match is at 1%: each worker may run a little past it before it looks (every
            // 512 items: more than miri's whole loop). Under `Static` each worker owns one
            // block: if the worker that owns the match's block starts late (a loaded
            // machine), the others may run their whole blocks before anyone finds it. All
            // that is certain is that the match's block stops early, so at least half of it
            // is skipped (at 3 threads on a busy machine, 2.1 to 2.3 of 4 million items were
            // visited, 3 runs in 12).
            let bound = match schedule {
                Schedule::Static => n - n / (2 * threads),
                _ => n / 2,
            };
            if !cfg!(miri) {
                assert!(
                    visited < bound,
                    "{schedule:?} on {threads}: visited {visited} of {n}"
                );
            }
            let any = pool.install(|| {
                (0..n)
                    .into_par_iter()
                    .with_schedule(schedule)
                    .any(|i| i == hit)
            });
            assert!(any);
        }
    }
}

/// Early exits over a range of 2^64 items: the default schedule once went on through its
/// 2^32 segments after the answer was known (about 5 minutes), and `find_first` skipped
/// every later piece one by one (for ever, with pieces of one item).
#[test]
#[cfg_attr(
    miri,
    ignore = "a watchdog thread; the segments' bound is the same natively"
)]
fn early_exits_over_the_longest_ranges_return_at_once() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let pool = pool_of(2);
        let everything = 0..u64::MAX;
        let answers = pool.install(|| {
            (
                everything.clone().into_par_iter().any(|_| true),
                everything.clone().into_par_iter().all(|x| x > 0),
                everything
                    .clone()
                    .into_par_iter()
                    .find_any(|&x| x > 5)
                    .is_some(),
                everything.clone().into_par_iter().find_first(|&x| x == 7),
                vec![(); usize::MAX]
                    .par_iter()
                    .position_any(|_| true)
                    .is_some(),
                everything
                    .clone()
                    .into_par_iter()
                    .with_schedule(Schedule::Dynamic { chunk: 1 })
                    .position_first(|x| x == 9),
                everything
                    .clone()
                    .into_par_iter()
                    .with_max_len(1)
                    .find_first(|&x| x == 3),
            )
        });
        tx.send(answers).expect("the test waits");
    });
    let answers = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("early exits over 0..u64::MAX returned within 60 s");
    assert_eq!(
        answers,
        (true, false, true, Some(7), true, Some(9), Some(3))
    );
}

#[test]
fn find_first_and_position_first_find_the_first() {
    let n: usize = if cfg!(miri) { 120 } else { 100_000 };
    for &threads in THREADS {
        let pool = pool_of(threads);
        for schedule in schedules() {
            pool.install(|| {
                let v: Vec<usize> = (0..n).map(|i| i % 97).collect();
                let it = || v.par_iter().with_schedule(schedule);
                assert_eq!(it().position_first(|&x| x == 96), Some(96));
                assert_eq!(it().position_first(|&x| x == 1000), None);
                assert_eq!(
                    it().enumerate().find_first(|(_, x)| **x == 50).map(|p| p.0),
                    Some(50)
                );
                let i = it().position_any(|&x| x == 96).unwrap();
                assert_eq!(v[i], 96);
                // Unindexed: the first of the filtered items.
                let first = it().filter(|&&x| x % 2 == 1).find_first(|&&x| x > 90);
                assert_eq!(first, Some(&91));
            });
        }
    }
}

/// A value that counts how many were made and dropped.
struct Counted<'a>(&'a Counts);

#[derive(Default)]
struct Counts {
    made: AtomicUsize,
    dropped: AtomicUsize,
}

impl Counts {
    fn make(&self) -> Counted<'_> {
        self.made.fetch_add(1, Ordering::Relaxed);
        Counted(self)
    }

    fn balanced(&self) -> bool {
        self.made.load(Ordering::Relaxed) == self.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.dropped.fetch_add(1, Ordering::Relaxed);
    }
}

fn expect_our_panic(r: std::thread::Result<impl Sized>) {
    let payload = r.err().expect("the closure panicked");
    assert!(payload_str(&*payload).starts_with(EXPECTED));
}

#[test]
fn collect_drops_every_item_it_made_once_when_a_closure_panics() {
    quiet_expected_panics();
    let n = if cfg!(miri) { 30 } else { 20_000 };
    for &threads in THREADS {
        let pool = pool_of(threads);
        for schedule in schedules() {
            for bad in if cfg!(miri) {
                vec![n / 3]
            } else {
                vec![0, n / 3, n - 1]
            } {
                let counts = Counts::default();
                let make = |i: usize| {
                    if i == bad {
                        panic!("{EXPECTED}: item {i}");
                    }
                    counts.make()
                };
                let it = || (0..n).into_par_iter().with_schedule(schedule);
                let r = catch_unwind(AssertUnwindSafe(|| {
                    pool.install(|| it().map(make).collect::<Vec<_>>())
                }));
                expect_our_panic(r);
                let r = catch_unwind(AssertUnwindSafe(|| {
                    pool.install(|| it().filter(|i| i % 3 != 1).map(make).collect::<Vec<_>>())
                }));
                match bad % 3 {
                    1 => assert_eq!(r.map(|v| v.len()).ok(), Some(n - n.div_ceil(3))),
                    _ => expect_our_panic(r),
                }
                let r = catch_unwind(AssertUnwindSafe(|| {
                    pool.install(|| {
                        it().map(|i| (make(i), make(i)))
                            .unzip::<_, _, Vec<Counted<'_>>, Vec<Counted<'_>>>()
                    })
                }));
                expect_our_panic(r);
                // Four outer items, each inner range a loop of its own (5,000 items each; under
                // miri, 7, run in their pieces).
                let r = catch_unwind(AssertUnwindSafe(|| {
                    pool.install(|| {
                        (0..4usize)
                            .into_par_iter()
                            .with_schedule(schedule)
                            .flat_map(|o| (o * n / 4..(o + 1) * n / 4).into_par_iter().map(make))
                            .collect::<Vec<_>>()
                    })
                }));
                expect_our_panic(r);
                assert!(
                    counts.balanced(),
                    "{schedule:?} on {threads}, panic at {bad}"
                );
                // And a collect that finishes keeps every item, once.
                let all: Vec<Counted<'_>> = pool.install(|| it().map(|_| counts.make()).collect());
                assert_eq!(all.len(), n);
                drop(all);
                assert!(counts.balanced());
            }
        }
    }
}

#[test]
fn a_vec_by_value_drops_each_item_once_however_the_loop_ends() {
    quiet_expected_panics();
    let n = if cfg!(miri) { 30 } else { 10_000 };
    for &threads in THREADS {
        let pool = pool_of(threads);
        for schedule in schedules() {
            let counts = Counts::default();
            let items = || (0..n).map(|_| counts.make()).collect::<Vec<_>>();
            pool.install(|| {
                // Runs to the end, moving every item out.
                let kept: Vec<Counted<'_>> =
                    items().into_par_iter().with_schedule(schedule).collect();
                assert_eq!(kept.len(), n);
                // Stops early: the items never reached are dropped with the iterator.
                let seen = AtomicUsize::new(0);
                let found = items()
                    .into_par_iter()
                    .with_schedule(schedule)
                    .any(|_| seen.fetch_add(1, Ordering::Relaxed) == 10);
                assert!(found);
                // Zipped with a shorter side: the tail is never taken.
                let pairs = items()
                    .into_par_iter()
                    .zip(0..n / 2)
                    .with_schedule(schedule)
                    .count();
                assert_eq!(pairs, n / 2);
                // Filtered and consumed by value.
                let odd = items()
                    .into_par_iter()
                    .with_schedule(schedule)
                    .enumerate()
                    .filter(|(i, _)| i % 2 == 1)
                    .count();
                assert_eq!(odd, n / 2);
            });
            let r = catch_unwind(AssertUnwindSafe(|| {
                pool.install(|| {
                    items()
                        .into_par_iter()
                        .with_schedule(schedule)
                        .enumerate()
                        .for_each(|(i, c)| {
                            if i == n / 2 {
                                panic!("{EXPECTED}: item {i}");
                            }
                            drop(c);
                        })
                })
            }));
            expect_our_panic(r);
            assert!(counts.balanced(), "{schedule:?} on {threads}");
        }
    }
}

fn ids(v: &[(usize, Counted<'_>)]) -> Vec<usize> {
    v.iter().map(|p| p.0).collect()
}

/// `par_drain` on a `Vec`: the range's items come out in order, the items after it close
/// the gap however the loop ends (to the end, early, by a panic, never run), and every item
/// is dropped exactly once.
#[test]
fn par_drain_moves_the_range_out_and_closes_the_gap() {
    quiet_expected_panics();
    let n = if cfg!(miri) { 30 } else { 10_000 };
    let (a, b) = (n / 3, 2 * n / 3);
    let around = || (0..a).chain(b..n).collect::<Vec<_>>();
    for &threads in THREADS {
        let pool = pool_of(threads);
        for schedule in schedules() {
            let counts = Counts::default();
            let items = || (0..n).map(|i| (i, counts.make())).collect::<Vec<_>>();
            pool.install(|| {
                let mut v = items();
                let taken: Vec<usize> = v
                    .par_drain(a..b)
                    .with_schedule(schedule)
                    .map(|p| p.0)
                    .collect();
                assert_eq!(taken, (a..b).collect::<Vec<_>>());
                assert_eq!(ids(&v), around());
                // Stops early: the items never reached are dropped with the iterator.
                let mut v = items();
                let seen = AtomicUsize::new(0);
                let found = v
                    .par_drain(a..)
                    .with_schedule(schedule)
                    .any(|_| seen.fetch_add(1, Ordering::Relaxed) == 10);
                assert!(found);
                assert_eq!(ids(&v), (0..a).collect::<Vec<_>>());
                // Never run.
                let mut v = items();
                drop(v.par_drain(..=a));
                assert_eq!(ids(&v), (a + 1..n).collect::<Vec<_>>());
                // Empty and whole ranges.
                let mut v = items();
                assert_eq!(v.par_drain(a..a).count(), 0);
                assert_eq!(v.len(), n);
                assert_eq!(v.par_drain(..).with_schedule(schedule).rev().count(), n);
                assert!(v.is_empty());
            });
            let mut v = items();
            let r = catch_unwind(AssertUnwindSafe(|| {
                pool.install(|| {
                    v.par_drain(a..b)
                        .with_schedule(schedule)
                        .for_each(|(i, c)| {
                            if i == (a + b) / 2 {
                                panic!("{EXPECTED}: item {i}");
                            }
                            drop(c);
                        })
                })
            }));
            expect_our_panic(r);
            assert_eq!(ids(&v), around());
            drop(v);
            assert!(counts.balanced(), "{schedule:?} on {threads}");
        }
    }
    // A leaked drain leaks the range and the tail; the Vec keeps the items before it.
    let mut v: Vec<u32> = (0..10).collect();
    std::mem::forget(v.par_drain(3..6));
    assert_eq!(v, [0, 1, 2]);
    // Ranges out of bounds panic before anything moves.
    let mut v = vec![1, 2, 3];
    #[allow(clippy::reversed_empty_ranges)]
    for r in [
        catch_unwind(AssertUnwindSafe(|| drop(v.par_drain(2..5)))),
        catch_unwind(AssertUnwindSafe(|| drop(v.par_drain(2..1)))),
    ] {
        assert!(r.is_err());
    }
    assert_eq!(v, [1, 2, 3]);
}

/// `take_any`, `take_any_while` and `while_some` stop the loop once they close, also over
/// the longest ranges; items of a `Vec` by value that they drop, or never reach, are
/// dropped exactly once.
#[test]
fn any_adaptors_stop_the_loop_and_drop_each_item_once() {
    for &threads in THREADS {
        let pool = pool_of(threads);
        pool.install(|| {
            assert_eq!((0..u64::MAX).into_par_iter().take_any(10).count(), 10);
            let r: Vec<u64> = (0..u64::MAX)
                .into_par_iter()
                .take_any_while(|&x| x < 1000)
                .collect();
            assert!(r.iter().all(|&x| x < 1000));
            let r = (0..u64::MAX)
                .into_par_iter()
                .map(|x| (x < 1000).then_some(x))
                .while_some()
                .count();
            assert!(r <= 1000);
            assert_eq!(brigade::iter::repeat(1u8).take_any(5).count(), 5);
        });
        // `step_by` after `enumerate` skips with the base's own `nth` (a range: at once).
        // It used to step one item at a time: 2^32 items took 1.3 s, `usize::MAX` forever.
        let steps = common::within("step_by after enumerate", move || {
            pool_of(threads).install(|| {
                (0..usize::MAX)
                    .into_par_iter()
                    .enumerate()
                    .step_by(usize::MAX / 2)
                    .map(|p| p.0)
                    .collect::<Vec<_>>()
            })
        });
        assert_eq!(steps, [0, usize::MAX / 2, usize::MAX - 1]);
        for schedule in schedules() {
            let counts = Counts::default();
            let items = || (0..N).map(|_| counts.make()).collect::<Vec<_>>();
            pool.install(|| {
                let k = items()
                    .into_par_iter()
                    .with_schedule(schedule)
                    .take_any(N / 3)
                    .count();
                assert_eq!(k, N / 3);
                let k = items()
                    .into_par_iter()
                    .with_schedule(schedule)
                    .skip_any(N / 3)
                    .count();
                assert_eq!(k, N - N / 3);
                let seen = AtomicUsize::new(0);
                items()
                    .into_par_iter()
                    .with_schedule(schedule)
                    .take_any_while(|_| seen.fetch_add(1, Ordering::Relaxed) < N / 2)
                    .for_each(drop);
            });
            assert!(counts.balanced(), "{schedule:?} on {threads}");
        }
    }
}

#[test]
fn a_panic_in_any_closure_reaches_the_caller_once_and_the_pool_survives() {
    quiet_expected_panics();
    let pool = pool_of(3);
    let n: usize = if cfg!(miri) { 30 } else { 10_000 };
    let boom = |i: usize| {
        if i % 1000 == 7 {
            panic!("{EXPECTED}: item {i}");
        }
    };
    let it = || (0..n).into_par_iter();
    type Run<'a> = Box<dyn Fn() + Sync + 'a>;
    let runs: Vec<(&str, Run<'_>)> = vec![
        ("map", Box::new(|| it().map(boom).for_each(drop))),
        (
            "filter",
            Box::new(|| {
                it().filter(|&i| {
                    boom(i);
                    true
                })
                .for_each(drop)
            }),
        ),
        (
            "fold",
            Box::new(|| {
                it().fold(
                    || 0,
                    |a, i| {
                        boom(i);
                        a + i
                    },
                )
                .sum::<usize>();
            }),
        ),
        (
            "reduce",
            Box::new(|| {
                it().map(|i| vec![i]).reduce(Vec::new, |a, b| {
                    boom(a.len());
                    [a, b].concat()
                });
            }),
        ),
        (
            "map_init",
            Box::new(|| it().map_init(|| 0, |_, i| boom(i)).for_each(drop)),
        ),
        (
            "for_each_init",
            Box::new(|| it().for_each_init(|| (), |_, i| boom(i))),
        ),
        (
            "any",
            Box::new(|| {
                it().any(|i| {
                    boom(i);
                    false
                });
            }),
        ),
        (
            "find_first",
            Box::new(|| {
                it().find_first(|&i| {
                    boom(i);
                    false
                });
            }),
        ),
        (
            "try_for_each",
            Box::new(|| {
                let _ = it().try_for_each(|i| {
                    boom(i);
                    Some(())
                });
            }),
        ),
        (
            "collect",
            Box::new(|| {
                it().map(|i| {
                    boom(i);
                    i
                })
                .collect::<Vec<_>>();
            }),
        ),
        (
            "sum",
            Box::new(|| {
                it().map(|i| {
                    boom(i);
                    i
                })
                .sum::<usize>();
            }),
        ),
    ];
    for (name, run) in &runs {
        let r = catch_unwind(AssertUnwindSafe(|| pool.install(run)));
        let payload = r.err().unwrap_or_else(|| panic!("{name}: no panic"));
        assert!(payload_str(&*payload).starts_with(EXPECTED), "{name}");
    }
    assert_eq!(pool.install(|| it().sum::<usize>()), n * (n - 1) / 2);
}

#[test]
fn no_item_is_visited_twice() {
    let n: usize = if cfg!(miri) { 40 } else { 50_000 };
    for &threads in THREADS {
        let pool = pool_of(threads);
        for schedule in schedules() {
            let hits: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
            let hit = |i: usize| hits[i].fetch_add(1, Ordering::Relaxed);
            pool.install(|| {
                let it = || (0..n).into_par_iter().with_schedule(schedule);
                it().for_each(|i| {
                    hit(i);
                });
                it().map(hit).count();
                it().fold(|| 0, |a, i| a + hit(i)).sum::<usize>();
                it().map_init(|| (), |_, i| hit(i)).collect::<Vec<_>>();
                it().with_max_len(10)
                    .for_each_init(Vec::<usize>::new, |_, i| {
                        hit(i);
                    });
            });
            assert!(
                hits.iter().all(|h| h.load(Ordering::Relaxed) == 5),
                "{schedule:?} on {threads}"
            );
        }
    }
}

#[test]
fn one_init_and_one_fold_accumulator_per_run_on_one_thread() {
    let pool = pool_of(1);
    let inits = AtomicUsize::new(0);
    let init = || inits.fetch_add(1, Ordering::Relaxed);
    pool.install(|| {
        (0..N).into_par_iter().for_each_init(init, |_, _| {});
        assert_eq!(inits.swap(0, Ordering::Relaxed), 1);
        let accs = (0..N)
            .into_par_iter()
            .fold(|| 0, |a, _| a + 1)
            .collect::<Vec<_>>();
        assert_eq!(accs, [N]);
    });
}

/// `try_fold` stops calling its closure once the run's fold failed; the `_with` variants
/// clone a value that is `Send` but not `Sync`, once per run; `zip_eq` refuses unequal
/// lengths before any item runs.
#[test]
fn try_fold_stops_its_run_and_with_variants_clone_per_run() {
    use std::cell::Cell;
    quiet_expected_panics();
    let pool = pool_of(1);
    pool.install(|| {
        let calls = AtomicUsize::new(0);
        let runs: Vec<Result<usize, usize>> = (0..N)
            .into_par_iter()
            .try_fold(
                || 0,
                |_, i| {
                    calls.fetch_add(1, Ordering::Relaxed);
                    if i == 10 { Err(i) } else { Ok(i) }
                },
            )
            .collect();
        assert_eq!(runs, [Err(10)]);
        assert_eq!(calls.load(Ordering::Relaxed), 11);

        // A `Cell` is `Send`, not `Sync`: each run works on its own clone.
        let counts: Vec<u32> = (0..N)
            .into_par_iter()
            .map_with(Cell::new(0u32), |c, _| {
                c.set(c.get() + 1);
                c.get()
            })
            .collect();
        assert_eq!(counts.last(), Some(&(N as u32)));
        let folded: Vec<Cell<u32>> = (0..N)
            .into_par_iter()
            .fold_with(Cell::new(0u32), |c, _| {
                c.set(c.get() + 1);
                c
            })
            .collect();
        assert_eq!(folded.iter().map(Cell::get).sum::<u32>(), N as u32);
        let r = (0..N)
            .into_par_iter()
            .try_for_each_with(Cell::new(0usize), |c, i| {
                c.set(c.get() + 1);
                if c.get() == i + 1 { Ok(()) } else { Err(i) }
            });
        assert_eq!(r, Ok(()));
    });
    let ran = AtomicUsize::new(0);
    let r = catch_unwind(AssertUnwindSafe(|| {
        pool.install(|| {
            (0..N).into_par_iter().zip_eq(0..N - 1).for_each(|_| {
                ran.fetch_add(1, Ordering::Relaxed);
            });
        })
    }));
    assert!(payload_str(&*r.unwrap_err()).contains("zip_eq"));
    assert_eq!(ran.load(Ordering::Relaxed), 0);
}

#[test]
fn min_len_and_max_len_bound_what_one_run_covers() {
    let n: usize = if cfg!(miri) { 150 } else { 100_000 };
    for &threads in THREADS {
        let pool = pool_of(threads);
        for schedule in schedules() {
            pool.install(|| {
                let it = || (0..n).into_par_iter().with_schedule(schedule);
                let sizes: Vec<usize> = it().with_min_len(64).fold(|| 0, |a, _| a + 1).collect();
                assert_eq!(sizes.iter().sum::<usize>(), n);
                assert!(sizes.iter().all(|&s| s >= 64), "{schedule:?}: {sizes:?}");
                let sizes: Vec<usize> = it().with_max_len(100).fold(|| 0, |a, _| a + 1).collect();
                assert_eq!(sizes.iter().sum::<usize>(), n);
                assert!(sizes.iter().all(|&s| s <= 100), "{schedule:?}");
                // The minimum wins over a smaller maximum.
                let sizes: Vec<usize> = it()
                    .with_max_len(10)
                    .with_min_len(30)
                    .fold(|| 0, |a, _| a + 1)
                    .collect();
                assert!(
                    sizes.iter().all(|&s| (30..60).contains(&s)),
                    "{schedule:?}: {sizes:?}"
                );
                // Equal bounds: the minimum holds, the maximum as nearly as it can. Near-equal parts of at most 64 once cut 300 items into
                // five of 60.
                let one_order: Vec<usize> = it()
                    .with_min_len(64)
                    .with_max_len(64)
                    .fold(|| 0, |a, _| a + 1)
                    .collect();
                let other_order: Vec<usize> = it()
                    .with_max_len(64)
                    .with_min_len(64)
                    .fold(|| 0, |a, _| a + 1)
                    .collect();
                for sizes in [one_order, other_order] {
                    assert_eq!(sizes.iter().sum::<usize>(), n);
                    assert!(
                        sizes.iter().all(|&s| (64..128).contains(&s)),
                        "{schedule:?}: {sizes:?}"
                    );
                }
                let inits = Mutex::new(Vec::new());
                it().with_max_len(50).for_each_init(
                    || 0usize,
                    |count, _| {
                        *count += 1;
                        assert!(*count <= 50);
                        inits.lock().unwrap().push(());
                    },
                );
                assert_eq!(inits.into_inner().unwrap().len(), n);
            });
        }
    }
}

/// Every run covers at least `with_min_len` base indices unless the whole iterator is
/// shorter (the last run takes the remainder), and at most `with_max_len` unless that
/// would break the minimum: rayon's `check_lengths`, on every pool and schedule. Runs of
/// 576 items ended the loop for a minimum of 1,000 over 2^20 items; 2^20 items for the
/// minimums of 1,000 and up, 2^14 for the rest (whose runs, a million of them for a
/// maximum of 1, cost the most).
#[test]
fn every_run_covers_at_least_min_len_and_at_most_max_len_or_under_twice_the_min() {
    let items = |min: usize| match min {
        _ if cfg!(miri) => 300,
        0..1_000 => 1 << 14,
        _ => 1 << 20,
    };
    let lengths: &[usize] = if cfg!(miri) {
        &[0, 7, 100, usize::MAX]
    } else {
        &[0, 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, usize::MAX]
    };
    for &threads in THREADS {
        let pool = pool_of(threads);
        for schedule in schedules() {
            for &min in lengths {
                let n = items(min);
                for &max in lengths {
                    let min_check = min.clamp(1, n);
                    let max_check = max.max(min_check.saturating_add(min_check - 1));
                    let runs: Vec<usize> = pool.install(|| {
                        (0..n)
                            .into_par_iter()
                            .with_schedule(schedule)
                            .with_min_len(min)
                            .with_max_len(max)
                            .fold(|| 0, |count, _| count + 1)
                            .collect()
                    });
                    assert_eq!(runs.iter().sum::<usize>(), n);
                    assert!(
                        runs.iter().all(|&r| r >= min_check && r <= max_check),
                        "{schedule:?} on {threads}, min {min}, max {max}: runs of {:?}",
                        runs.iter()
                            .filter(|&&r| r < min_check || r > max_check)
                            .collect::<Vec<_>>()
                    );
                }
            }
        }
    }
}

/// A chain of two indexed sides before a `fold` and an early exit runs as one loop: its
/// runs cross the seam, so `with_min_len` holds (a user-side breaker found runs of 4 and 4
/// for a chain of 4 and 4 items with a minimum of 8, and of 333 and 667 for a minimum of
/// 1,000, when the early exit ran each side as a loop of its own).
#[test]
fn min_len_runs_cross_the_seam_of_an_indexed_chain_before_an_early_exit() {
    for &threads in THREADS {
        let pool = pool_of(threads);
        for schedule in schedules() {
            for (a, b, min) in [(4u32, 8u32, 8usize), (333, 1000, 1000), (2, 8, 7)] {
                let runs = Mutex::new(Vec::new());
                let all = pool.install(|| {
                    (0..a)
                        .into_par_iter()
                        .chain(a..b)
                        .with_schedule(schedule)
                        .with_min_len(min)
                        .fold(|| 0usize, |n, _| n + 1)
                        .all(|n| {
                            runs.lock().unwrap().push(n);
                            true
                        })
                });
                assert!(all);
                let runs = runs.into_inner().unwrap();
                assert_eq!(runs.iter().sum::<usize>(), b as usize);
                assert!(
                    runs.iter().all(|&n| n >= min),
                    "{schedule:?} on {threads}: {runs:?}"
                );
            }
        }
    }
}

/// Equal `with_min_len` and `with_max_len` of 7 make `n / 7` runs: of exactly 7 items
/// but in the loop's last piece, whose runs share the `n % 7` left over (7 to 13 items),
/// on every pool and schedule. A user-side breaker once found runs of 10, 10 for 20 items
/// that could have been 7, 7, 6; rayon's rule is that no run is shorter than the minimum,
/// so 20 items are two runs of 10, and 1,000 are 142 runs.
#[test]
fn equal_min_and_max_len_give_runs_of_that_length_but_in_the_last_piece() {
    for &threads in THREADS {
        let pool = pool_of(threads);
        for schedule in schedules() {
            for n in [20usize, 1000] {
                let n = if cfg!(miri) { n.min(40) } else { n };
                let runs: Vec<usize> = pool.install(|| {
                    (0..n)
                        .into_par_iter()
                        .with_schedule(schedule)
                        .with_min_len(7)
                        .with_max_len(7)
                        .fold(|| 0, |a, _| a + 1)
                        .collect()
                });
                assert_eq!(runs.iter().sum::<usize>(), n);
                assert_eq!(runs.len(), n / 7, "{schedule:?} on {threads}: {runs:?}");
                assert!(
                    runs.iter().all(|&r| (7..14).contains(&r)),
                    "{schedule:?} on {threads}: {runs:?}"
                );
            }
        }
    }
}

/// `skip` runs the closures before it on the items it skips, as std's `skip` and rayon's
/// do (rayon's `check_skip`: a `map` with a side effect before `skip(512)` must see all
/// 1,024 items), each once, on every pool; through `rev`, `zip`, `enumerate` and a
/// `flat_map`'s inner iterators, and before an early exit.
#[test]
fn skip_runs_the_closures_before_it_on_the_skipped_items_once() {
    let n: usize = if cfg!(miri) { 40 } else { 1024 };
    let a: Vec<usize> = (0..n).collect();
    for &threads in THREADS {
        let pool = pool_of(threads);
        pool.install(|| {
            let made = AtomicUsize::new(0);
            let counted = || made.swap(0, Ordering::Relaxed);
            let sum = AtomicUsize::new(0);
            a.par_iter()
                .map(|&x| sum.fetch_add(x, Ordering::Relaxed))
                .skip(n / 2)
                .count();
            assert_eq!(sum.into_inner(), a.iter().sum::<usize>());
            let it = || {
                a.par_iter().inspect(|_| {
                    made.fetch_add(1, Ordering::Relaxed);
                })
            };
            assert_eq!(it().skip(3).count(), n - 3);
            assert_eq!(counted(), n);
            assert_eq!(it().skip(3).rev().collect::<Vec<_>>().len(), n - 3);
            assert_eq!(counted(), n);
            assert_eq!(it().skip(3).zip(it().skip(5)).count(), n - 5);
            assert_eq!(counted(), 2 * n - 2, "each side runs its own skipped items");
            assert_eq!(it().skip(7).enumerate().map(|(i, _)| i).max(), Some(n - 8));
            assert_eq!(counted(), n);
            assert_eq!(it().take(5).skip(2).count(), 3);
            assert_eq!(counted(), 5, "take's rest is never made");
            assert_eq!(it().skip(n / 2).find_first(|_| true), Some(&(n / 2)));
            assert!(counted() > n / 2);
            let inner = (0..10usize)
                .into_par_iter()
                .flat_map(|_| it().skip(n - 2))
                .count();
            assert_eq!(inner, 20);
            assert_eq!(counted(), 10 * n);
            // A plain source has nothing to run: only the items left are made.
            assert_eq!(a.par_iter().skip(n - 1).copied().sum::<usize>(), n - 1);
        });
    }
}

/// A `skip` that leaves nothing still runs the closures before it on every item, as std's
/// `(0..10).inspect(f).skip(20).count()` and rayon's do: also when it is a side of a
/// `zip` or a `chain`, searched from either end, or an inner iterator of a `flat_map`.
/// The loop may never ask for a `skip`'s piece at index 0 (`find_last` and `rev` searches
/// over long loops go from the end, `rev().take(k)` stops near it): the skipped items still
/// run, once each, as in rayon, from whichever piece comes first (a breaker's case: none
/// ran). Owned items check that none is made twice.
#[test]
fn skipped_items_run_once_whichever_piece_the_loop_asks_first() {
    // Past 16,384 items `find_last` takes blocks from the end (fewer under miri, which
    // checks the owned items' drops).
    let n = if cfg!(miri) { 100 } else { 20_000usize };
    let skip = 5usize;
    let a: Vec<usize> = (0..n).collect();
    for &threads in THREADS {
        let pool = brigade::ThreadPool::builder()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let seen: Vec<AtomicUsize> = (0..skip).map(|_| AtomicUsize::new(0)).collect();
            let check = |what: &str| {
                for (i, s) in seen.iter().enumerate() {
                    assert_eq!(
                        s.swap(0, Ordering::Relaxed),
                        1,
                        "{what}: item {i}, {threads} threads"
                    );
                }
            };
            let it = || {
                a.par_iter().inspect(|&&i| {
                    if i < skip {
                        seen[i].fetch_add(1, Ordering::Relaxed);
                    }
                })
            };
            assert_eq!(it().skip(skip).find_last(|_| true), Some(&(n - 1)));
            check("find_last");
            assert_eq!(it().skip(skip).position_last(|_| true), Some(n - skip - 1));
            check("position_last");
            assert_eq!(it().skip(skip).rev().find_first(|_| true), Some(&(n - 1)));
            check("rev find_first");
            let last: Vec<_> = it().skip(skip).rev().take(3).collect();
            assert_eq!(last, [&(n - 1), &(n - 2), &(n - 3)]);
            check("rev take");
            assert_eq!(it().skip(skip).skip(1).rev().skip(n).count(), 0);
            check("skip, skip, rev, skip past the end");
            assert_eq!(it().skip(skip).by_uniform_blocks(1000).count(), n - skip);
            check("by_uniform_blocks");
            assert_eq!(it().skip(skip).take(0).count(), 0);
            check("take(0), as rayon");
            // A `skip` whose items the loop never asks for runs nothing, as in std (docs of
            // `skip`; rayon runs them).
            assert_eq!(a.par_iter().chain(it().skip(skip)).take(3).count(), 3);
            assert_eq!(it().skip(skip).interleave(a.par_iter()).take(0).count(), 0);
            let tail = a.par_iter().chain(&a[..]).chain(&a[..]);
            assert_eq!(it().skip(skip).interleave(tail).rev().take(1).count(), 1);
            assert!(seen.iter().all(|s| s.load(Ordering::Relaxed) == 0));
            let owned: Vec<Box<usize>> = (0..n).map(Box::new).collect();
            let last = owned
                .into_par_iter()
                .map(|b| {
                    if *b < skip {
                        seen[*b].fetch_add(1, Ordering::Relaxed);
                    }
                    b
                })
                .skip(skip)
                .find_last(|_| true);
            assert_eq!(last.as_deref(), Some(&(n - 1)));
            check("owned find_last");
        });
    }
}

#[test]
fn a_skip_that_leaves_nothing_still_runs_the_closures_on_every_item() {
    let n: usize = if cfg!(miri) { 20 } else { 300 };
    let a: Vec<usize> = (0..n).collect();
    for &threads in THREADS {
        let pool = pool_of(threads);
        pool.install(|| {
            let made = AtomicUsize::new(0);
            let counted = || made.swap(0, Ordering::Relaxed);
            let it = || {
                a.par_iter().inspect(|_| {
                    made.fetch_add(1, Ordering::Relaxed);
                })
            };
            for skip in [n, n + 1, usize::MAX] {
                assert_eq!(it().skip(skip).count(), 0);
                assert_eq!(counted(), n, "count, skip {skip}");
                assert!(it().skip(skip).collect::<Vec<_>>().is_empty());
                assert_eq!(counted(), n, "collect");
                assert_eq!(it().skip(skip).rev().find_first(|_| true), None);
                assert_eq!(counted(), n, "rev find_first");
                assert_eq!(it().skip(skip).find_last(|_| true), None);
                assert_eq!(counted(), n, "find_last");
                assert_eq!(it().skip(skip).zip(it()).count(), 0);
                assert_eq!(counted(), n, "zip: the skipping side runs its items");
                assert_eq!(it().skip(skip).chain(a.par_iter()).count(), n);
                assert_eq!(counted(), n, "chain, first side");
                assert_eq!(a.par_iter().chain(it().skip(skip)).count(), n);
                assert_eq!(counted(), n, "chain, second side");
                assert_eq!(it().skip(skip).chain(it().skip(skip)).rev().count(), 0);
                assert_eq!(counted(), 2 * n, "chain, both sides, reversed");
                let inner = (0..5usize)
                    .into_par_iter()
                    .flat_map(|_| it().skip(skip))
                    .count();
                assert_eq!((inner, counted()), (0, 5 * n), "flat_map");
                assert_eq!(it().skip(skip).with_min_len(4).sum::<usize>(), 0);
                assert_eq!(counted(), n, "with_min_len");
                assert_eq!(it().skip(skip).by_exponential_blocks().count(), 0);
                assert_eq!(counted(), n, "by_exponential_blocks");
                assert_eq!(
                    it().skip(skip).by_uniform_blocks(7).find_any(|_| true),
                    None
                );
                assert_eq!(counted(), n, "by_uniform_blocks");
                assert_eq!(it().skip(skip).step_by(3).enumerate().count(), 0);
                assert_eq!(counted(), n, "step_by, enumerate");
                assert_eq!(it().skip(skip).chunks(4).count(), 0);
                assert_eq!(counted(), n, "chunks");
                assert_eq!(it().skip(skip).interleave(a.par_iter()).count(), n);
                assert_eq!(counted(), n, "interleave");
                assert_eq!(a.par_iter().interleave(it().skip(skip)).count(), n);
                assert_eq!(counted(), n, "interleave, second side");
                assert_eq!((it().skip(skip), a.par_iter()).into_par_iter().count(), 0);
                assert_eq!(counted(), n, "multizip");
                assert_eq!(it().skip(skip).filter(|_| true).count(), 0);
                assert_eq!(counted(), n, "filter");
                // An empty window over a chain with items (`skip`, `take(0)`) asks for an
                // empty piece past the empty side: its items still run once (a user-side
                // breaker's case ran them twice).
                assert_eq!(a.par_iter().chain(it().skip(skip)).skip(n).count(), 0);
                assert_eq!(counted(), n, "skip over a chain with an empty second side");
                assert_eq!(it().skip(skip).chain(a.par_iter()).skip(n).rev().count(), 0);
                assert_eq!(counted(), n, "skip over a chain with an empty first side");
                assert_eq!(a.par_iter().interleave(it().skip(skip)).skip(n).count(), 0);
                assert_eq!(counted(), n, "skip over an interleave");
                assert_eq!(it().skip(skip).skip(3).count(), 0);
                assert_eq!(counted(), n, "skip of a skip");
                assert_eq!(it().skip(skip).zip(it().skip(skip)).skip(1).count(), 0);
                assert_eq!(counted(), 2 * n, "skip of a zip");
                // A `rev` turns an outer window's empty piece at the end into one at 0 of
                // the inner `skip`, which has items: its skipped items ran twice (a breaker's
                // case; by value, a double free).
                assert_eq!(it().skip(1).rev().skip(skip).count(), 0);
                assert_eq!(counted(), n, "skip, rev, skip past the end");
                let owned: Vec<Box<usize>> = (0..n).map(Box::new).collect();
                assert_eq!(
                    owned
                        .into_par_iter()
                        .map(|b| b)
                        .skip(1)
                        .rev()
                        .skip(skip)
                        .count(),
                    0
                );
                let made = AtomicUsize::new(0);
                let reps = brigade::iter::repeat_n(Box::new(7usize), n)
                    .map(|b| {
                        made.fetch_add(1, Ordering::Relaxed);
                        b
                    })
                    .skip(1)
                    .rev()
                    .skip(skip)
                    .count();
                assert_eq!(
                    (reps, made.into_inner()),
                    (0, n),
                    "repeat_n, skip, rev, skip"
                );
            }
        });
    }
}

/// `repeat_n(x, n)` makes its `n` items with `n - 1` clones when every item is made: the
/// piece with the last indices moves `x` itself into its last item (as std's and rayon's
/// `repeat_n` do; rayon's `count_repeat_n_clones` checks `map(forget)` for 99 clones and
/// no drop). On several threads, pieces that race at the end may make one clone more.
#[test]
fn repeat_n_makes_its_items_with_one_clone_fewer_than_items() {
    static CLONES: AtomicUsize = AtomicUsize::new(0);
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    struct Counter;
    impl Clone for Counter {
        fn clone(&self) -> Self {
            CLONES.fetch_add(1, Ordering::Relaxed);
            Counter
        }
    }
    impl Drop for Counter {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::Relaxed);
        }
    }
    let counts = || {
        (
            CLONES.swap(0, Ordering::Relaxed),
            DROPS.swap(0, Ordering::Relaxed),
        )
    };
    let n = if cfg!(miri) { 30 } else { 1000 };
    for &threads in THREADS {
        let pool = pool_of(threads);
        pool.install(|| {
            let exact = threads == 1;
            let it = brigade::iter::repeat_n(Counter, n);
            let it2 = it.clone();
            assert_eq!(counts(), (1, 0));
            assert_eq!(it.map(std::mem::forget).count(), n);
            let (clones, drops) = counts();
            assert!(
                clones == n - 1 || (!exact && clones == n),
                "{threads}: {clones}"
            );
            assert_eq!(drops, clones + 1 - n, "what is not an item is dropped");
            let v: Vec<Counter> = it2.collect();
            assert_eq!(v.len(), n);
            drop(v);
            let (clones, drops) = counts();
            assert!(
                clones == n - 1 || (!exact && clones == n),
                "{threads}: {clones}"
            );
            assert_eq!(drops, clones + 1, "every value dropped once");
            // One item: the item itself, no clone.
            assert_eq!(
                brigade::iter::repeat_n(Counter, 1)
                    .collect::<Vec<_>>()
                    .len(),
                1
            );
            assert_eq!(counts(), (0, 1));
            // Items not made: the item is dropped with the iterator, each value once.
            let taken = brigade::iter::repeat_n(Counter, n).take(3).count();
            assert_eq!(taken, 3);
            let (clones, drops) = counts();
            assert_eq!(drops, clones + 1);
            let zipped = brigade::iter::repeat(Counter).zip(0..n).count();
            assert_eq!(zipped, n);
            let (clones, drops) = counts();
            assert_eq!(drops, clones + 1);
            drop(brigade::iter::repeat_n(Counter, 0));
            assert_eq!(counts(), (0, 1));
        });
    }
}

#[test]
fn works_from_outside_the_pool_and_nested() {
    let pool = pool_of(2);
    let total: usize = pool.install(|| {
        (0..20usize)
            .into_par_iter()
            .map(|i| (0..i).into_par_iter().sum::<usize>())
            .sum()
    });
    assert_eq!(total, (0..20).map(|i| (0..i).sum::<usize>()).sum::<usize>());
    let _ = &pool as &ThreadPool;
}

/// The iterators are `Clone` when what they hold is, as rayon's (its `tests/clones.rs`): a
/// clone yields the same items as the original, and a `Vec` by value clones its items. And
/// each is `Debug` (rayon's `tests/debug.rs`).
#[test]
fn iterators_clone_and_a_clone_yields_the_same_items() {
    fn check<I>(it: I)
    where
        I: ParallelIterator + Clone + std::fmt::Debug,
        I::Item: PartialEq + std::fmt::Debug,
    {
        assert!(!format!("{it:?}").is_empty());
        let a: Vec<I::Item> = it.clone().collect();
        let b: Vec<I::Item> = it.collect();
        assert_eq!(a, b);
    }
    let n = if cfg!(miri) { 20 } else { 1000 };
    let v: Vec<u32> = (0..n).collect();
    let text = "one two\nthree, four\n  five";
    let pool = pool_of(2);
    pool.install(|| {
        // Sources.
        check(v.par_iter());
        check((0..n).into_par_iter());
        check((0..=n).into_par_iter());
        check(v.clone().into_par_iter());
        check(vec![String::from("a"), String::from("b")].into_par_iter());
        check(v.par_chunks(7));
        check(v.par_chunks_exact(7));
        check(v.par_rchunks(7));
        check(v.par_rchunks_exact(7));
        check(v.par_windows(3));
        check(text.par_chars());
        check(text.par_char_indices());
        check(text.par_bytes());
        check(text.par_lines());
        check(text.par_split_whitespace());
        check(text.par_split_ascii_whitespace());
        check(text.par_encode_utf16());
        check(text.par_split(','));
        check(brigade::iter::repeat(1u8).take(5));
        check(brigade::iter::repeat_n(1u8, 5));
        check(brigade::iter::once(3u8));
        check(brigade::iter::empty::<u8>());
        // Adaptors.
        let it = || v.par_iter().copied();
        check(it().map(|x| x + 1));
        check(it().inspect(|_| ()));
        check(v.par_iter().cloned());
        check(it().filter(|x| x % 3 == 0));
        check(it().filter_map(|x| (x % 3 == 0).then_some(x)));
        check(it().flat_map_iter(|x| 0..x % 4));
        check(it().flat_map(|x| (0..x % 4).into_par_iter()));
        check(it().map(|x| vec![x; 2]).flatten());
        check(it().enumerate());
        check(it().zip(it().rev()));
        check(it().chain(it()));
        check(it().interleave(it().take(5)));
        check(it().interleave_shortest(it().skip(3)));
        check(it().intersperse(7));
        check(text.par_split(' ').intersperse("_"));
        check(it().rev().skip(2).take(10).step_by(3));
        check(it().chunks(4));
        // A fold's accumulators are per piece: compare their sum.
        let folded = it().fold(|| 0, |a, x| a + x);
        assert_eq!(folded.clone().sum::<u32>(), folded.sum::<u32>());
        check(it().map_init(|| 1, |k, x| x * *k));
        // Rayon's named adaptors that brigade builds from others (`update`, `positions`,
        // the `_with` and `try_` folds): a clone shares the closures, so these are `Clone`
        // whatever the closures are. Runs of one item make the folds' results fixed.
        check(it().map_with(1, |k, x| x * *k));
        check(it().update(|x| *x += 1));
        check(it().positions(|x| x % 3 == 0));
        let one = || it().with_max_len(1);
        check(one().fold_with(0, |a, x| a + x));
        check(one().try_fold(|| 0, |a, x| Some(a + x)));
        check(one().try_fold_with(0, |a, x| Some(a + x)));
        check(it().fold_chunks(3, || 0, |a, x| a + x));
        check(it().fold_chunks_with(3, 0, |a, x| a + x));
        let no_clone = std::sync::Mutex::new(0u32);
        check(it().update(move |x| *x += *no_clone.lock().unwrap()));
        check(it().with_min_len(3).with_max_len(9));
        check(it().with_schedule(Schedule::Static));
        // `take_any` and its kin pick any items: compare how many.
        fn count<I: ParallelIterator + Clone>(it: I) {
            assert_eq!(it.clone().count(), it.count());
        }
        count(it().take_any(5));
        count(it().skip_any(5));
        count(it().map(Some).while_some());
        // Which items the `_while` ones see first is up to the schedule: only clone them.
        let taken = it().take_any_while(|&x| x < 5);
        assert!(taken.clone().count() <= 5 && taken.count() <= 5);
        let skipped = it().skip_any_while(|&x| x < 5);
        assert!(skipped.clone().count() >= n as usize - 5 && skipped.count() >= n as usize - 5);
    });
}

/// rayon's `tests/intersperse.rs`, ported: indexed, twice, not indexed (`par_split`), with
/// `zip_eq`, with `rev`.
#[test]
fn intersperse_as_rayon_tests_it() {
    let n = if cfg!(miri) { 30 } else { 1000 };
    let pool = pool_of(2);
    pool.install(|| {
        let v: Vec<_> = (0..n).into_par_iter().intersperse(-1).collect();
        assert_eq!(v.len(), 2 * n as usize - 1);
        for (i, x) in v.into_iter().enumerate() {
            assert_eq!(x, if i % 2 == 0 { i as i32 / 2 } else { -1 });
        }
        let v: Vec<_> = (0..n)
            .into_par_iter()
            .intersperse(-1)
            .intersperse(-2)
            .collect();
        assert_eq!(v.len(), 4 * n as usize - 3);
        for (i, x) in v.into_iter().enumerate() {
            let y = match i % 4 {
                0 => i as i32 / 4,
                2 => -1,
                _ => -2,
            };
            assert_eq!(x, y);
        }
        let words: Vec<_> = (0..n).map(|i| i.to_string()).collect();
        let (s, s2) = (words.join(","), words.join(";"));
        let par: String = s.par_split(',').intersperse(";").collect();
        assert_eq!(par, s2);
        (0..n)
            .into_par_iter()
            .intersperse(-1)
            .zip_eq(0..2 * n - 1)
            .for_each(|(x, i)| assert_eq!(x, if i % 2 == 0 { i / 2 } else { -1 }));
        (0..n)
            .into_par_iter()
            .intersperse(-1)
            .zip_eq(0..2 * n - 1)
            .rev()
            .for_each(|(x, i)| assert_eq!(x, if i % 2 == 0 { i / 2 } else { -1 }));
        // Owned separators, cloned per run, and an empty or one-item source.
        let v: Vec<String> = ["a", "b", "c"]
            .par_iter()
            .map(|s| s.to_string())
            .intersperse(String::from("-"))
            .collect();
        assert_eq!(v.concat(), "a-b-c");
        assert_eq!((0..0).into_par_iter().intersperse(7).count(), 0);
        assert_eq!(
            (0..1).into_par_iter().intersperse(7).collect::<Vec<_>>(),
            [0]
        );
    });
}

/// Not indexed, when the first items are filtered out: the result may begin with a
/// separator (documented, as in rayon); when the first item stays, it is exact.
#[test]
fn intersperse_after_a_filter() {
    let n = if cfg!(miri) { 40 } else { 10_000 };
    for threads in THREADS {
        let pool = pool_of(*threads);
        for schedule in schedules() {
            let keep = |x: &u32| x.is_multiple_of(3);
            let exact: Vec<u32> = {
                let kept: Vec<u32> = (0..n).filter(keep).collect();
                let mut v = Vec::new();
                for (i, x) in kept.into_iter().enumerate() {
                    if i > 0 {
                        v.push(u32::MAX);
                    }
                    v.push(x);
                }
                v
            };
            let got: Vec<u32> = pool.install(|| {
                (0..n)
                    .into_par_iter()
                    .with_schedule(schedule)
                    .filter(keep)
                    .intersperse(u32::MAX)
                    .collect()
            });
            assert_eq!(got, exact, "{schedule:?}");
            // Items 0..100 filtered out: a leading separator at most.
            let late = |x: &u32| *x >= 100 && x.is_multiple_of(3);
            let got: Vec<u32> = pool.install(|| {
                (0..n)
                    .into_par_iter()
                    .with_schedule(schedule)
                    .filter(late)
                    .intersperse(u32::MAX)
                    .collect()
            });
            let got = got.strip_prefix(&[u32::MAX]).unwrap_or(&got);
            let exact_late: Vec<u32> = exact
                .iter()
                .copied()
                .skip_while(|&x| x < 100 || x == u32::MAX)
                .collect();
            assert_eq!(got, &exact_late[..], "{schedule:?}");
        }
    }
}

/// A `fold` before `intersperse`: its accumulators come out of the runs' flushes, separated,
/// with none before the first (whose run holds the loop's first index).
#[test]
fn intersperse_after_a_fold_separates_the_accumulators() {
    let n = if cfg!(miri) { 40u64 } else { 100_000 };
    for threads in THREADS {
        let pool = pool_of(*threads);
        for schedule in schedules() {
            let got: Vec<u64> = pool.install(|| {
                (0..n)
                    .into_par_iter()
                    .with_schedule(schedule)
                    .fold(|| 0, |a, x| a + x)
                    .intersperse(u64::MAX)
                    .collect()
            });
            let what = format!("{schedule:?} on {threads}: {got:?}");
            assert!(got.len() % 2 == 1, "{what}");
            for (i, &x) in got.iter().enumerate() {
                assert_eq!(x == u64::MAX, i % 2 == 1, "{what}");
            }
            let total: u64 = got.iter().step_by(2).sum();
            assert_eq!(total, n * (n - 1) / 2, "{what}");
        }
    }
}

/// `par_sort_by_cached_key` sorts as std's `sort_by_cached_key` (stable: equal keys keep
/// their order), computing each key once.
#[test]
fn sort_by_cached_key_matches_std_and_computes_each_key_once() {
    let lens: &[usize] = if cfg!(miri) {
        &[0, 1, 2, 30]
    } else {
        &[0, 1, 2, 3, 100, 5_000, 100_003]
    };
    for &threads in THREADS {
        let pool = pool_of(threads);
        for &len in lens {
            // Many equal keys (x % 97), and items that tell equal keys apart (their places).
            let v: Vec<(u32, usize)> = (0..len)
                .map(|i| ((i as u32).wrapping_mul(2_654_435_761) % 97, i))
                .collect();
            let calls = AtomicUsize::new(0);
            let key = |&(k, _): &(u32, usize)| {
                calls.fetch_add(1, Ordering::Relaxed);
                k.to_string()
            };
            let mut got = v.clone();
            pool.install(|| got.par_sort_by_cached_key(key));
            let mut want = v.clone();
            want.sort_by_cached_key(|&(k, _)| k.to_string());
            assert_eq!(got, want, "{len} items on {threads} threads");
            assert_eq!(calls.load(Ordering::Relaxed), if len < 2 { 0 } else { len });
        }
    }
}

/// `par_drain` on a `String`, as std's `String::drain`: the range's characters in order, the
/// range gone afterwards however the loop ended (ran, never ran, stopped early, panicked),
/// and a range off a character boundary refused.
#[test]
fn string_drain_matches_std() {
    quiet_expected_panics();
    let base: String = "añ€😀b plain text ✓✓ ".repeat(if cfg!(miri) { 2 } else { 20 });
    let bounds: Vec<usize> = (0..=base.len())
        .filter(|&i| base.is_char_boundary(i))
        .collect();
    let step = if cfg!(miri) { 7 } else { 1 };
    let pool = pool_of(2);
    for (k, &start) in bounds.iter().enumerate().step_by(step * 13) {
        for &end in bounds[k..].iter().step_by(step * 17) {
            let mut want = base.clone();
            let drained: String = want.drain(start..end).collect();
            let mut s = base.clone();
            let got: String = pool.install(|| s.par_drain(start..end).collect());
            assert_eq!(
                (got.as_str(), s.as_str()),
                (drained.as_str(), want.as_str())
            );
            // Never run, stopped early, panicked: the range is gone all the same.
            let mut s = base.clone();
            drop(s.par_drain(start..end));
            assert_eq!(s, want);
            let mut s = base.clone();
            pool.install(|| s.par_drain(start..end).any(|c| c == '€'));
            assert_eq!(s, want);
            let mut s = base.clone();
            let r = catch_unwind(AssertUnwindSafe(|| {
                pool.install(|| {
                    s.par_drain(start..end)
                        .for_each(|c| assert!(c != '✓', "{EXPECTED}"))
                })
            }));
            assert_eq!(r.is_err(), drained.contains('✓'));
            assert_eq!(s, want);
        }
    }
    let mut s = String::from("añb");
    let r = catch_unwind(AssertUnwindSafe(|| drop(s.par_drain(0..2))));
    let msg = payload_str(&*r.unwrap_err());
    assert!(msg.contains("character boundaries"), "{msg}");
    assert_eq!(s, "añb");
}

/// `interleave` past `usize::MAX` items panics, pointing at the caller; `interleave_shortest`
/// of two unbounded `repeat`s does not (it stops at `usize::MAX` items).
#[test]
fn interleave_lengths_at_the_limit() {
    quiet_expected_panics();
    let h = usize::MAX / 2;
    let r = catch_unwind(|| (0..h + 1).into_par_iter().interleave(0..h + 2).len());
    let msg = payload_str(&*r.unwrap_err());
    assert!(msg.contains("usize::MAX"), "{msg}");
    let it = brigade::iter::repeat(1u8).interleave_shortest(brigade::iter::repeat(2u8));
    assert_eq!(it.len(), usize::MAX);
    // On a pool of its own: the global pool's threads would outlive the test (miri's leak
    // check).
    let five = pool_of(2).install(|| it.take(5).collect::<Vec<_>>());
    assert_eq!(five, [1, 2, 1, 2, 1]);
}

/// The iterators over a shared slice are `Clone` whatever the items, as rayon's (a derive
/// asked `T: Clone`), and a clone runs the same loop.
#[test]
fn shared_slice_iterators_clone_without_clone_items() {
    #[derive(Debug, PartialEq)]
    struct NotClone(u32);
    let v: Vec<NotClone> = (0..50).map(|i| NotClone(i % 7)).collect();
    fn same<I>(it: I)
    where
        I: ParallelIterator + Clone,
        I::Item: PartialEq + std::fmt::Debug,
    {
        let copy = it.clone();
        assert_eq!(it.collect::<Vec<_>>(), copy.collect::<Vec<_>>());
    }
    // On a pool of the test's own: the global pool's threads outlive the test, which miri
    // reports as a leak.
    pool_of(2).install(|| {
        same(v.par_iter());
        same(v.par_chunks(3));
        same(v.par_chunks_exact(3));
        same(v.par_rchunks(3));
        same(v.par_rchunks_exact(3));
        same(v.par_windows(3));
        same(v.par_array_windows::<3>());
        same(v.par_split(|x| x.0 == 0));
        same(v.par_split_inclusive(|x| x.0 == 0));
        same(v.par_chunk_by(|a, b| a.0 < b.0));
    });
}

/// rayon's `test_par_chunks_exact_mut_remainder` and `test_par_rchunks_exact_mut_remainder`:
/// the remainder of the exact mutable chunks, borrowed, taken once, or kept.
#[test]
fn exact_mutable_chunks_hand_out_their_remainder() {
    let v: &mut [i32] = &mut [0, 1, 2, 3, 4];
    let mut c = v.par_chunks_exact_mut(2);
    assert_eq!(c.remainder(), &[4]);
    assert_eq!(c.len(), 2);
    assert_eq!(c.into_remainder(), &[4]);
    let mut c = v.par_chunks_exact_mut(2);
    assert_eq!(c.take_remainder(), &[4]);
    assert_eq!(c.take_remainder(), &[]);
    assert_eq!(c.len(), 2);

    let v: &mut [i32] = &mut [0, 1, 2, 3, 4];
    let mut c = v.par_rchunks_exact_mut(2);
    assert_eq!(c.remainder(), &[0]);
    assert_eq!(c.len(), 2);
    assert_eq!(c.into_remainder(), &[0]);
    let mut c = v.par_rchunks_exact_mut(2);
    let rem = c.take_remainder();
    assert_eq!(c.take_remainder(), &[]);
    // The chunks and the taken remainder are used at once: they are disjoint.
    let pool = pool_of(2);
    pool.install(|| c.for_each(|chunk| chunk.iter_mut().for_each(|x| *x += 10)));
    rem[0] = -1;
    assert_eq!(v, [-1, 11, 12, 13, 14]);
}

/// rayon's `test_par_sort` and `test_par_sort_unstable`: a comparison that is no order at
/// all (random answers) leaves the order unspecified but never panics, and the slice keeps
/// each element once. (std's sorts, which brigade runs on short pieces, panicked: "does not
/// correctly implement a total order".)
#[test]
fn sorts_with_a_random_comparison_keep_every_element_and_do_not_panic() {
    use std::cmp::Ordering::{Equal, Greater, Less};
    quiet_expected_panics();
    let state = AtomicUsize::new(1);
    let random = |_: &u32, _: &u32| {
        let x = state.fetch_add(0x9E37_79B9, Ordering::Relaxed);
        [Less, Equal, Greater][(x >> 7) % 3]
    };
    let pool = pool_of(2);
    let lens: &[usize] = if cfg!(miri) {
        &[0, 1, 7, 40]
    } else {
        &[0, 1, 2, 7, 20, 100, 1_000, 50_000]
    };
    for &len in lens {
        let sorted: Vec<u32> = (0..len as u32).collect();
        let mut v = sorted.clone();
        pool.install(|| v.par_sort_by(random));
        v.sort_unstable();
        assert_eq!(v, sorted, "par_sort_by, {len} items");
        pool.install(|| v.par_sort_unstable_by(random));
        v.sort_unstable();
        assert_eq!(v, sorted, "par_sort_unstable_by, {len} items");
    }
    // A comparison that panics itself still panics.
    let mut v: Vec<u32> = (0..100).rev().collect();
    let r = catch_unwind(AssertUnwindSafe(|| {
        pool.install(|| v.par_sort_by(|_, _| panic!("from the comparison")))
    }));
    assert!(payload_str(&*r.expect_err("the comparison's panic")).contains("from the comparison"));
}

/// `collect` and `par_extend` of an iterator that is not indexed join their parts (one per
/// chain of pieces) by moving the items in a parallel loop when there are many: each item
/// arrives once, in order, and is dropped once.
#[test]
fn joining_the_parts_of_a_collect_moves_each_item_once_in_order() {
    struct Tagged<'a>(u64, &'a AtomicUsize);
    impl Drop for Tagged<'_> {
        fn drop(&mut self) {
            self.1.fetch_add(1, Ordering::Relaxed);
        }
    }
    let (outer, inner) = if cfg!(miri) { (20, 8) } else { (4_000, 100) };
    let want: Vec<u64> = (0..outer)
        .flat_map(|i| (0..inner).map(move |j| i * inner + j))
        .filter(|x| x % 7 != 3)
        .collect();
    for threads in [1, 2, 3] {
        let pool = pool_of(threads);
        let dropped = AtomicUsize::new(0);
        let made = || {
            (0..outer)
                .into_par_iter()
                .flat_map(|i| (0..inner).into_par_iter().map(move |j| i * inner + j))
                .filter(|x| x % 7 != 3)
                .map(|x| Tagged(x, &dropped))
        };
        for _ in 0..if cfg!(miri) { 2 } else { 20 } {
            let v: Vec<Tagged<'_>> = pool.install(|| made().collect());
            assert!(
                v.iter().map(|t| t.0).eq(want.iter().copied()),
                "collect on {threads}"
            );
            drop(v);
            assert_eq!(dropped.swap(0, Ordering::Relaxed), want.len());

            let mut v = vec![Tagged(u64::MAX, &dropped)];
            pool.install(|| v.par_extend(made()));
            assert_eq!(v.len(), want.len() + 1, "par_extend on {threads}");
            assert!(v[1..].iter().map(|t| t.0).eq(want.iter().copied()));
            drop(v);
            assert_eq!(dropped.swap(0, Ordering::Relaxed), want.len() + 1);

            let (evens, odds): (Vec<u64>, Vec<u64>) =
                pool.install(|| made().map(|t| t.0).partition(|x| x % 2 == 0));
            assert!(evens.iter().chain(&odds).all(|x| x % 7 != 3));
            assert_eq!(evens.len() + odds.len(), want.len());
            assert!(evens.windows(2).all(|w| w[0] < w[1]) && odds.windows(2).all(|w| w[0] < w[1]));
            assert_eq!(dropped.swap(0, Ordering::Relaxed), want.len());
        }
    }
}

/// `skip` runs nothing for the items it skips where making them has no effect: a `chain`,
/// `zip`, `enumerate`, `rev` or `step_by` of plain ranges, as a plain range (a user-side
/// test: a `chain` of two ranges walked all of its 2^61 skipped indices, for ever; rayon
/// returns at once).
#[test]
#[cfg_attr(miri, ignore = "2^62 items: the skip must not walk them")]
fn skip_over_adaptors_of_plain_ranges_walks_nothing() {
    common::within("skip over a chain of ranges", || {
        let n: usize = 1 << 62;
        let chain = move || (0..n).into_par_iter().chain(0..5usize);
        let want = (n / 2..).find(|x| x % 1000 == 999);
        for threads in [1, 2] {
            let pool = pool_of(threads);
            pool.install(|| {
                let skipped = chain().skip(n / 2);
                assert_eq!(skipped.find_first(|&x| x % 1000 == 999), want);
                assert_eq!(chain().skip(n / 2).position_first(|_| true), Some(0));
                assert_eq!(
                    chain().rev().skip(n / 2).find_first(|_| true),
                    Some(n / 2 + 4)
                );
                let third = chain().step_by(3).skip(n / 4);
                assert_eq!(third.find_first(|_| true), Some(3 * (n / 4)));
                let pairs = chain().zip(0..n).skip(n / 2);
                assert_eq!(pairs.find_first(|_| true), Some((n / 2, n / 2)));
                let numbered = chain().enumerate().skip(n / 2);
                assert_eq!(numbered.find_first(|_| true), Some((n / 2, n / 2)));
                let h = u64::MAX / 2;
                let long = (0..h).into_par_iter().chain(0..h).skip(h as usize / 2);
                assert_eq!(long.find_first(|_| true), Some(h / 2));
            });
        }
    });
}
