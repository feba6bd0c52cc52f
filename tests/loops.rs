//! Parallel loops: every schedule on every kind of source, panics, nesting.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use brigade::{Schedule, ThreadPool};
use common::all_started;

fn schedules() -> Vec<Schedule> {
    if cfg!(miri) {
        // One of each kind: under miri a loop costs seconds, and the kinds share their unsafe
        // code (a piece of the source rebuilt from raw parts).
        return vec![
            Schedule::Static,
            Schedule::StaticChunks { chunk: 7 },
            Schedule::Dynamic { chunk: 1 },
            Schedule::Guided { min_chunk: 1 },
            Schedule::Adaptive { min_len: 1 },
        ];
    }
    vec![
        Schedule::Static,
        Schedule::StaticChunks { chunk: 7 },
        Schedule::Dynamic { chunk: 1 },
        Schedule::Dynamic { chunk: 64 },
        Schedule::Guided { min_chunk: 1 },
        Schedule::Guided { min_chunk: 16 },
        Schedule::Adaptive { min_len: 1 },
        Schedule::Adaptive { min_len: 100 },
        // Zero counts as one.
        Schedule::StaticChunks { chunk: 0 },
        Schedule::Dynamic { chunk: 0 },
        Schedule::Guided { min_chunk: 0 },
        Schedule::Adaptive { min_len: 0 },
    ]
}

fn pool(n: usize) -> ThreadPool {
    ThreadPool::builder().num_threads(n).build().unwrap()
}

const N: usize = if cfg!(miri) { 200 } else { 100_000 };
/// Pool sizes for the tests that try several; under miri, which is slow, one pool with two
/// thieves (a one-worker pool runs the same code without any stealing).
const THREADS: &[usize] = if cfg!(miri) { &[3] } else { &[1, 2, 4] };

#[test]
fn for_each_visits_every_index_once() {
    for &threads in THREADS {
        let pool = pool(threads);
        for schedule in schedules() {
            let hits: Vec<AtomicUsize> = (0..N).map(|_| AtomicUsize::new(0)).collect();
            pool.for_each(0..N, schedule, |i| {
                hits[i].fetch_add(1, Ordering::Relaxed);
            });
            assert!(
                hits.iter().all(|h| h.load(Ordering::Relaxed) == 1),
                "{schedule:?} on {threads} threads"
            );
        }
    }
}

#[test]
fn mutable_slices_and_vecs() {
    let pool = pool(3);
    for schedule in schedules() {
        let mut v: Vec<u64> = (0..N as u64).collect();
        pool.for_each(&mut v, schedule, |x| *x = *x * 2 + 1);
        assert!(v.iter().enumerate().all(|(i, &x)| x == 2 * i as u64 + 1));
        pool.for_each(&mut v[..], schedule, |x| *x -= 1);
        assert!(v.iter().enumerate().all(|(i, &x)| x == 2 * i as u64));
    }
}

#[test]
fn map_reduce_equals_the_sequential_fold() {
    let v: Vec<u64> = (0..N as u64).map(|i| i.wrapping_mul(0x9E37_79B9)).collect();
    let expected = v.iter().fold(0u64, |a, x| a.wrapping_add(x ^ (x >> 7)));
    for threads in if cfg!(miri) {
        vec![2, 5]
    } else {
        vec![1, 2, 5]
    } {
        let pool = pool(threads);
        for schedule in schedules() {
            let got = pool.map_reduce(&v, schedule, || 0u64, |x| x ^ (x >> 7), u64::wrapping_add);
            assert_eq!(got, expected, "{schedule:?} on {threads} threads");
            let got = pool.map_reduce(
                &v[..],
                schedule,
                || 0u64,
                |x| x ^ (x >> 7),
                u64::wrapping_add,
            );
            assert_eq!(got, expected, "{schedule:?} on {threads} threads (slice)");
        }
    }
}

/// Concatenation is associative but not commutative: any reordering shows.
#[test]
fn map_reduce_keeps_index_order() {
    let n = if cfg!(miri) { 100 } else { 5_000 };
    let expected: Vec<usize> = (0..n).collect();
    for threads in [2, 4] {
        let pool = pool(threads);
        for schedule in schedules() {
            let got = pool.map_reduce(
                0..n,
                schedule,
                Vec::new,
                |i| vec![i],
                |mut a, b| {
                    a.extend(b);
                    a
                },
            );
            assert_eq!(got, expected, "{schedule:?} on {threads} threads");
        }
    }
}

#[test]
fn empty_and_single_item_loops() {
    let pool = pool(2);
    for schedule in schedules() {
        assert_eq!(
            pool.map_reduce(0..0u32, schedule, || 7, |_| 1, |a, b| a + b),
            7
        );
        assert_eq!(
            pool.map_reduce(
                std::ops::Range {
                    start: 5i32,
                    end: 3
                }, // reversed: empty
                schedule,
                || 0,
                |_| 1,
                |a, b| a + b
            ),
            0
        );
        assert_eq!(
            pool.map_reduce(9..10u8, schedule, || 0u32, u32::from, |a, b| a + b),
            9
        );
        let empty: &[u8] = &[];
        pool.for_each(empty, schedule, |_| unreachable!());
    }
}

#[test]
fn signed_and_narrow_ranges() {
    let pool = pool(2);
    let half: i64 = if cfg!(miri) { 100 } else { 500 };
    for schedule in schedules() {
        let s = pool.map_reduce(-half..half, schedule, || 0i64, |i| i, |a, b| a + b);
        assert_eq!(s, -half);
        let c = pool.map_reduce(0..=u8::MAX - 1, schedule, || 0u32, |_| 1, |a, b| a + b);
        assert_eq!(c, 255);
    }
}

#[test]
fn chunks_cover_the_source_once() {
    for &threads in THREADS {
        let pool = pool(threads);
        for schedule in schedules() {
            let mut v = vec![0u32; N];
            pool.for_each_chunk(&mut v, schedule, |start, chunk| {
                for (i, x) in chunk.iter_mut().enumerate() {
                    *x += (start + i) as u32 + 1;
                }
            });
            assert!(
                v.iter().enumerate().all(|(i, &x)| x == i as u32 + 1),
                "{schedule:?} on {threads} threads"
            );
            let pieces = AtomicUsize::new(0);
            pool.for_each_chunk(0..N, schedule, |start, range| {
                assert_eq!(range.start, start);
                pieces.fetch_add(range.len(), Ordering::Relaxed);
            });
            assert_eq!(pieces.into_inner(), N);
        }
    }
}

#[test]
fn dynamic_chunks_have_the_asked_size() {
    let pool = pool(2);
    let sizes = std::sync::Mutex::new(Vec::new());
    pool.for_each_chunk(0..1000usize, Schedule::Dynamic { chunk: 64 }, |start, r| {
        sizes.lock().unwrap().push((start, r.len()));
    });
    let mut sizes = sizes.into_inner().unwrap();
    sizes.sort();
    assert_eq!(sizes.len(), 1000usize.div_ceil(64));
    assert!(sizes[..sizes.len() - 1].iter().all(|&(_, l)| l == 64));
    assert_eq!(sizes.last().unwrap().1, 1000 % 64);
}

#[test]
fn static_blocks_one_per_worker() {
    let pool = pool(4);
    let sizes = std::sync::Mutex::new(Vec::new());
    pool.for_each_chunk(0..1003usize, Schedule::Static, |start, r| {
        sizes.lock().unwrap().push((start, r.len()));
    });
    let mut sizes = sizes.into_inner().unwrap();
    sizes.sort();
    assert_eq!(sizes, vec![(0, 250), (250, 251), (501, 251), (752, 251)]);
}

#[test]
fn a_panic_reaches_the_caller_after_the_loop_stops_and_nothing_runs_twice() {
    for &threads in THREADS {
        let pool = pool(threads);
        for schedule in schedules() {
            let hits: Vec<AtomicUsize> = (0..N).map(|_| AtomicUsize::new(0)).collect();
            let r = catch_unwind(AssertUnwindSafe(|| {
                pool.for_each(0..N, schedule, |i| {
                    hits[i].fetch_add(1, Ordering::Relaxed);
                    if i == N / 3 {
                        panic!("item {i}");
                    }
                });
            }));
            let payload = r.expect_err("the panic reaches the caller");
            assert_eq!(
                payload.downcast_ref::<String>().map(String::as_str),
                Some(&*format!("item {}", N / 3))
            );
            assert!(
                hits.iter().all(|h| h.load(Ordering::Relaxed) <= 1),
                "{schedule:?}"
            );
            assert_eq!(hits[N / 3].load(Ordering::Relaxed), 1);
            // The pool is still usable.
            assert_eq!(
                pool.map_reduce(0..100, schedule, || 0, |i| i, |a, b| a + b),
                4950
            );
        }
    }
}

/// A loop of three items (or three `min_len` groups), the smallest that takes the token path
/// (and that was once a `join` of the first with a `join` of the other two): each item runs
/// once, results combine in index order, and a panic in any of the three reaches the caller,
/// the pool usable after.
#[test]
fn a_loop_of_three_groups_runs_each_once_in_order_and_passes_a_panic_on() {
    for threads in [1, 2, 3, 4] {
        let pool = pool(threads);
        for min_len in [1, 2, 5] {
            let len = 3 * min_len;
            let schedule = Schedule::Adaptive { min_len };
            let hits: Vec<AtomicUsize> = (0..len).map(|_| AtomicUsize::new(0)).collect();
            let order = pool.map_reduce(
                0..len,
                schedule,
                String::new,
                |i| {
                    hits[i].fetch_add(1, Ordering::Relaxed);
                    i.to_string() + ","
                },
                |a, b| a + &b,
            );
            let expect: String = (0..len).map(|i| i.to_string() + ",").collect();
            assert_eq!(order, expect, "{threads} threads, min_len {min_len}");
            assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
            // One panic in each group, in its middle.
            for bad in (0..3).map(|g| g * min_len + min_len / 2) {
                let r = catch_unwind(AssertUnwindSafe(|| {
                    pool.install(|| {
                        use brigade::prelude::*;
                        (0..len)
                            .into_par_iter()
                            .with_min_len(min_len)
                            .for_each(|i| {
                                if i == bad {
                                    panic!("item {i}");
                                }
                            })
                    })
                }));
                let payload = r.expect_err("the panic reaches the caller");
                assert_eq!(
                    payload.downcast_ref::<String>().map(String::as_str),
                    Some(&*format!("item {bad}"))
                );
                assert_eq!(
                    pool.map_reduce(0..3, schedule, || 0, |i| i, |a, b| a + b),
                    3
                );
            }
        }
    }
}

#[test]
fn nested_loops() {
    let pool = pool(3);
    let outer_len: usize = if cfg!(miri) { 20 } else { 40 };
    for outer in schedules() {
        let total = pool.map_reduce(
            0..outer_len,
            outer,
            || 0usize,
            |i| brigade::map_reduce(0..i, Schedule::default(), || 0, |j| j, |a, b| a + b),
            |a, b| a + b,
        );
        let expected: usize = (0..outer_len)
            .map(|i: usize| i * i.saturating_sub(1) / 2)
            .sum();
        assert_eq!(total, expected, "{outer:?}");
    }
}

#[test]
fn loops_inside_join_and_scope_and_from_another_pool() {
    let a = pool(2);
    let b = pool(2);
    let (x, y) = a.join(
        || brigade::map_reduce(0..1000u64, Schedule::default(), || 0, |i| i, |p, q| p + q),
        || {
            b.map_reduce(
                0..1000u64,
                Schedule::Dynamic { chunk: 10 },
                || 0,
                |i| i,
                |p, q| p + q,
            )
        },
    );
    assert_eq!((x, y), (499_500, 499_500));
    let mut rows = vec![vec![0u8; 100]; 10];
    a.scope(|s| {
        for row in rows.iter_mut() {
            s.spawn(move |_| brigade::for_each(row, Schedule::default(), |p| *p = 1));
        }
    });
    assert!(rows.iter().flatten().all(|&p| p == 1));
}

#[test]
fn free_functions_outside_any_pool_use_the_global_pool() {
    let v: Vec<u32> = (0..1000).collect();
    let s = brigade::map_reduce(
        &v,
        Schedule::default(),
        || 0u64,
        |&x| u64::from(x),
        |a, b| a + b,
    );
    assert_eq!(s, 499_500);
}

/// A loop of at most one item called from outside every pool runs on the calling thread,
/// as rayon's does: it has nothing to share, and sending it to a worker of the global pool
/// and waiting for the answer took about a microsecond a call (20,000 one-item
/// `par_extend`s from `main` took 20 to 50 ms, rayon's 0.2 to 0.4 ms). (Loops of more
/// items still go to the global pool: `free_functions_outside_any_pool_use_the_global_pool`.)
#[test]
fn a_loop_of_one_item_outside_every_pool_runs_on_the_calling_thread() {
    use brigade::prelude::*;
    let here = std::thread::current().id();
    let on_caller = || {
        assert_eq!(std::thread::current().id(), here, "ran on another thread");
        assert_eq!(brigade::current_thread_index(), None);
    };
    brigade::for_each(7..8, Schedule::default(), |i| {
        on_caller();
        assert_eq!(i, 7);
    });
    brigade::for_each(0..0, Schedule::Static, |_: i32| unreachable!("no items"));
    let sum = brigade::map_reduce(
        &vec![5u64],
        Schedule::default(),
        || 0,
        |&x| {
            on_caller();
            x
        },
        |a, b| a + b,
    );
    assert_eq!(sum, 5);
    let mut v = vec![1, 2];
    v.par_extend(vec![3].into_par_iter().map(|x| {
        on_caller();
        x
    }));
    assert_eq!(v, [1, 2, 3]);
    let total: u64 = [4u64].par_iter().inspect(|_| on_caller()).sum();
    assert_eq!(total, 4);
    // A panic in it reaches the caller as any loop's does.
    let caught = catch_unwind(|| brigade::for_each(0..1, Schedule::default(), |_| panic!("one")));
    assert!(caught.is_err());
}

/// Busy work for about `micros` microseconds.
fn spin_for(micros: u64) {
    let until = std::time::Instant::now() + std::time::Duration::from_micros(micros);
    while std::time::Instant::now() < until {
        std::hint::spin_loop();
    }
}

#[test]
fn every_schedule_spreads_a_long_loop_over_the_workers() {
    let pool = pool(2);
    // Under miri, still enough items to split for the largest chunk (64) and `min_len` (100).
    let items = if cfg!(miri) { 400 } else { 2000 };
    for schedule in schedules() {
        // A loop of ~40 ms on 2 threads: the second worker must take part. Retried, as a
        // loaded machine may keep it descheduled once.
        let spread = (0..3).any(|_| {
            let seen = [AtomicBool::new(false), AtomicBool::new(false)];
            pool.for_each(0..items, schedule, |_| {
                spin_for(20);
                let worker = brigade::current_thread_index().expect("on a worker");
                seen[worker].store(true, Ordering::Relaxed);
            });
            seen.iter().all(|s| s.load(Ordering::Relaxed))
        });
        assert!(spread, "{schedule:?} ran everything on one worker");
    }
}

#[test]
fn static_schedules_group_floating_point_sums_the_same_way_every_run() {
    let pool = pool(3);
    let (len, runs) = if cfg!(miri) { (3000, 3) } else { (100_000, 20) };
    let v: Vec<f64> = (0..len).map(|i| 1.0 / (1.0 + i as f64)).collect();
    for schedule in [Schedule::Static, Schedule::StaticChunks { chunk: 1000 }] {
        let first = pool.map_reduce(&v, schedule, || 0.0, |&x| x, |a, b| a + b);
        for _ in 0..runs {
            let again = pool.map_reduce(&v, schedule, || 0.0, |&x| x, |a, b| a + b);
            assert_eq!(again.to_bits(), first.to_bits(), "{schedule:?}");
        }
    }
}

#[test]
#[cfg(target_pointer_width = "64")]
fn range_lengths_never_wrap() {
    use brigade::LoopSource;
    assert_eq!(LoopSource::item_count(&(-128i8..=127)), 256);
    assert_eq!(
        LoopSource::item_count(&(i64::MIN..i64::MAX)),
        u64::MAX as usize
    );
    // 2^64 items: `item_count` says usize::MAX, not 0 (a loop over it panics, see
    // `ranges_longer_than_usize_max_items_panic`).
    assert_eq!(LoopSource::item_count(&(0..=u64::MAX)), usize::MAX);
    assert_eq!(
        LoopSource::item_count(&std::ops::RangeInclusive::new(5u32, 4)),
        0
    );
    assert_eq!(LoopSource::item_count(&(0..u128::MAX)), usize::MAX);
    assert_eq!(LoopSource::item_count(&(i128::MIN..=i128::MIN + 9)), 10);
}

/// Pool sizes for the tests of ranges that end at their type's `MAX`.
const EDGE_THREADS: &[usize] = if cfg!(miri) { &[1, 2] } else { &[1, 2, 3, 4] };

/// Every item of an integer range is visited once, through `for_each`, `map_reduce` and
/// `for_each_chunk`, by every schedule on pools of every size in `EDGE_THREADS`; the range
/// is checked against the sequential iteration of the same range.
macro_rules! check_range {
    ($pool:expr, $range:expr, $t:ty as $u:ty) => {{
        let pool: &ThreadPool = $pool;
        let range = $range;
        let expected: Vec<$t> = range.clone().collect();
        let offset = |x: $t| -> usize { x.wrapping_sub(expected[0]) as $u as usize };
        for schedule in schedules() {
            let what = format!(
                "{:?} over {:?} on {} threads",
                schedule,
                range,
                pool.current_num_threads()
            );
            let count = pool.map_reduce(range.clone(), schedule, || 0usize, |_| 1, |a, b| a + b);
            assert_eq!(count, expected.len(), "map_reduce count, {what}");
            let hits: Vec<AtomicUsize> = expected.iter().map(|_| AtomicUsize::new(0)).collect();
            pool.for_each(range.clone(), schedule, |x: $t| {
                hits[offset(x)].fetch_add(1, Ordering::Relaxed);
            });
            let wrong: Vec<$t> = expected
                .iter()
                .zip(&hits)
                .filter(|(_, h)| h.load(Ordering::Relaxed) != 1)
                .map(|(&x, _)| x)
                .collect();
            assert!(
                wrong.is_empty(),
                "for_each missed or repeated {wrong:?}, {what}"
            );
            let hits: Vec<AtomicUsize> = expected.iter().map(|_| AtomicUsize::new(0)).collect();
            pool.for_each_chunk(range.clone(), schedule, |start, piece| {
                let mut at = start;
                for x in piece {
                    assert_eq!(offset(x), at, "piece items follow its start index, {what}");
                    hits[at].fetch_add(1, Ordering::Relaxed);
                    at += 1;
                }
            });
            let wrong: Vec<$t> = expected
                .iter()
                .zip(&hits)
                .filter(|(_, h)| h.load(Ordering::Relaxed) != 1)
                .map(|(&x, _)| x)
                .collect();
            assert!(
                wrong.is_empty(),
                "for_each_chunk missed or repeated {wrong:?}, {what}"
            );
        }
    }};
}

/// Issue 12: a range ending at its type's `MAX` lost its last piece (`0u8..=255` counted 0
/// items on one thread and 73 on two): the index one past the end wrapped to the start.
#[test]
fn inclusive_ranges_to_the_type_max_visit_every_item_once() {
    for &threads in EDGE_THREADS {
        let pool = &pool(threads);
        check_range!(pool, u8::MAX - 3..=u8::MAX, u8 as u8);
        check_range!(pool, u64::MAX - 3..=u64::MAX, u64 as u64);
        check_range!(pool, i64::MIN..=i64::MIN + 3, i64 as u64);
        check_range!(pool, u128::MAX - 3..=u128::MAX, u128 as u128);
        check_range!(pool, i128::MAX - 3..=i128::MAX, i128 as u128);
        if cfg!(miri) {
            // The rest takes minutes under miri; the property test covers them in part.
            continue;
        }
        check_range!(pool, 0u8..=u8::MAX, u8 as u8);
        check_range!(pool, i8::MIN..=i8::MAX, i8 as u8);
        // Full 16-bit ranges by count only (the issue's own check), which is cheap enough
        // under ThreadSanitizer; the property test visits such ranges item by item.
        for schedule in schedules() {
            let all = pool.map_reduce(0u16..=u16::MAX, schedule, || 0usize, |_| 1, |a, b| a + b);
            assert_eq!(
                all,
                1 << 16,
                "{schedule:?} over 0..=u16::MAX, {threads} threads"
            );
            let all = pool.map_reduce(
                i16::MIN..=i16::MAX,
                schedule,
                || 0usize,
                |_| 1,
                |a, b| a + b,
            );
            assert_eq!(
                all,
                1 << 16,
                "{schedule:?} over i16::MIN..=i16::MAX, {threads} threads"
            );
        }
        check_range!(pool, u16::MAX - 3..=u16::MAX, u16 as u16);
        check_range!(pool, u32::MAX - 3..=u32::MAX, u32 as u32);
        check_range!(pool, usize::MAX - 3..=usize::MAX, usize as usize);
        check_range!(pool, i16::MAX - 3..=i16::MAX, i16 as u16);
        check_range!(pool, i32::MAX - 3..=i32::MAX, i32 as u32);
        check_range!(pool, i64::MAX - 3..=i64::MAX, i64 as u64);
        check_range!(pool, isize::MAX - 3..=isize::MAX, isize as usize);
        check_range!(pool, u64::MAX..=u64::MAX, u64 as u64);
        check_range!(pool, i128::MIN..=i128::MIN + 3, i128 as u128);
        check_range!(pool, u32::MAX - 1000..=u32::MAX, u32 as u32);
    }
}

/// A loop over all 2^32 `u32`s: `for_each_chunk` pieces add up to 2^32 items and end at
/// `u32::MAX`, and (in an optimized build) `map_reduce` counts 2^32 items.
#[test]
#[cfg(target_pointer_width = "64")]
fn a_full_u32_range_is_counted_once() {
    use brigade::LoopSource;
    use std::sync::Mutex;
    const ALL: usize = 1 << 32;
    let big = if cfg!(miri) { 1 << 28 } else { 1 << 24 };
    // Under miri every piece costs milliseconds: big groups keep the pieces few there.
    let min_len = if cfg!(miri) { big } else { 1 };
    let schedules = [
        Schedule::Static,
        Schedule::StaticChunks { chunk: big },
        Schedule::Dynamic { chunk: big },
        Schedule::Guided { min_chunk: big },
        Schedule::Adaptive { min_len },
        Schedule::Adaptive { min_len: big },
    ];
    for &threads in EDGE_THREADS {
        let pool = pool(threads);
        for schedule in schedules {
            let pieces = Mutex::new(Vec::new());
            pool.for_each_chunk(0..=u32::MAX, schedule, |start, piece| {
                let len = LoopSource::item_count(&piece);
                let last = piece.into_iter().next_back();
                pieces.lock().unwrap().push((start, len, last));
            });
            let mut pieces = pieces.into_inner().unwrap();
            pieces.sort();
            let what = format!("{schedule:?} on {threads} threads: {pieces:?}");
            let mut at = 0;
            for &(start, len, last) in &pieces {
                assert_eq!(start, at, "pieces tile the range, {what}");
                assert!(len > 0, "no empty piece, {what}");
                assert_eq!(last, Some((start + len - 1) as u32), "{what}");
                at += len;
            }
            assert_eq!(at, ALL, "{what}");
        }
    }
    // 2^32 items one by one: about a second in an optimized build, minutes in a debug one.
    if !cfg!(debug_assertions) {
        let pool = pool(2);
        for schedule in schedules {
            let count = pool.map_reduce(0..=u32::MAX, schedule, || 0u64, |_| 1, |a, b| a + b);
            assert_eq!(count, ALL as u64, "{schedule:?}");
        }
    }
}

/// A loop numbers its items with `usize`: a range with more items than that cannot be run
/// exactly once, so the loop panics before it starts instead of silently dropping the rest
/// (it used to run `0..=u64::MAX` without its last item).
#[test]
#[cfg(target_pointer_width = "64")]
fn ranges_longer_than_usize_max_items_panic() {
    let pool = pool(2);
    let try_loop = |f: &(dyn Fn() + Sync)| {
        let payload = catch_unwind(AssertUnwindSafe(|| pool.install(f))).expect_err("panics");
        match payload.downcast::<String>() {
            Ok(msg) => *msg,
            Err(payload) => payload.downcast_ref::<&str>().unwrap_or(&"?").to_string(),
        }
    };
    let ran = AtomicBool::new(false);
    let msg = try_loop(&|| {
        pool.for_each_chunk(0..=u64::MAX, Schedule::Static, |_, _| {
            ran.store(true, Ordering::Relaxed);
        })
    });
    assert!(msg.contains("usize::MAX"), "{msg}");
    let msg = try_loop(&|| {
        pool.for_each_chunk(i64::MIN..=i64::MAX, Schedule::Static, |_, _| {
            ran.store(true, Ordering::Relaxed);
        })
    });
    assert!(msg.contains("usize::MAX"), "{msg}");
    let msg = try_loop(&|| pool.for_each(0..u128::MAX, Schedule::default(), |_| unreachable!()));
    assert!(msg.contains("usize::MAX"), "{msg}");
    assert!(!ran.load(Ordering::Relaxed), "no piece runs");
    // The longest loop that fits starts and can run pieces: 2^64 - 1 items.
    let items = AtomicUsize::new(0);
    pool.for_each_chunk(0..u64::MAX, Schedule::Static, |_, piece| {
        items.fetch_add(brigade::LoopSource::item_count(&piece), Ordering::Relaxed);
    });
    assert_eq!(items.into_inner(), usize::MAX);
}

/// Pool sizes for the piece-size tests: every schedule's promise holds on each.
const PIECE_THREADS: &[usize] = if cfg!(miri) {
    &[1, 2]
} else {
    &[1, 2, 3, 4, 8]
};

/// The pieces `for_each_chunk` hands out over `0..len` (with `work` per item), sorted by
/// start, as `(start, len)`; checks that they tile `0..len` and agree with the range.
fn pieces(pool: &ThreadPool, len: usize, schedule: Schedule, work: u64) -> Vec<(usize, usize)> {
    let pieces = std::sync::Mutex::new(Vec::new());
    pool.for_each_chunk(0..len, schedule, |start, range| {
        assert_eq!(range.start, start);
        if work > 0 {
            spin_for(work * range.len() as u64);
        }
        pieces.lock().unwrap().push((start, range.len()));
    });
    let mut pieces = pieces.into_inner().unwrap();
    pieces.sort_unstable();
    let mut at = 0;
    for &(start, n) in &pieces {
        assert!(
            start == at && n > 0,
            "{schedule:?}: pieces do not tile: {pieces:?}"
        );
        at += n;
    }
    assert_eq!(at, len, "{schedule:?}: {pieces:?}");
    pieces
}

/// Issue 12: on a pool of one thread, `Dynamic` and `StaticChunks` handed `for_each_chunk`
/// the whole source as one piece, so a body with a `chunk`-sized buffer failed only there.
#[test]
fn chunk_schedules_give_chunk_sized_pieces_on_every_pool() {
    for &threads in PIECE_THREADS {
        let pool = pool(threads);
        let lens: &[usize] = if cfg!(miri) {
            &[1, 99, 100]
        } else {
            &[1, 99, 100, 1000, 1003]
        };
        for &len in lens {
            for chunk in [1, 7, 100] {
                for schedule in [
                    Schedule::Dynamic { chunk },
                    Schedule::StaticChunks { chunk },
                ] {
                    let got = pieces(&pool, len, schedule, 0);
                    let wrong = got.iter().find(|&&(s, n)| n != chunk.min(len - s));
                    assert_eq!(
                        wrong, None,
                        "{schedule:?}, {len} items, {threads} threads: a piece of the wrong size"
                    );
                }
            }
        }
        // A fixed-size buffer per piece, as in the issue.
        let mut v = vec![1u32; 1000];
        pool.for_each_chunk(&mut v, Schedule::Dynamic { chunk: 64 }, |_, piece| {
            let mut buffer = [0u32; 64];
            buffer[..piece.len()].copy_from_slice(piece);
        });
    }
}

/// `Static`: one block per worker, equal within one item, at every thread count.
#[test]
fn static_gives_one_block_per_worker_on_every_pool() {
    for &threads in PIECE_THREADS {
        let pool = pool(threads);
        for len in [1, 2, 7, 1003] {
            let got = pieces(&pool, len, Schedule::Static, 0);
            let blocks = threads.min(len);
            assert_eq!(got.len(), blocks, "{len} items, {threads} threads: {got:?}");
            assert!(
                got.iter()
                    .all(|&(_, n)| n == len / blocks || n == len / blocks + 1),
                "{len} items, {threads} threads: {got:?}"
            );
        }
    }
}

/// `Guided { min_chunk }`: each piece takes what is left divided by the thread count
/// (rounded up), at least `min_chunk`, so on one thread the first piece is everything.
#[test]
fn guided_pieces_follow_the_documented_sizes_on_every_pool() {
    for &threads in PIECE_THREADS {
        let pool = pool(threads);
        for len in [1, 10, 1000, 1003] {
            for min_chunk in [1, 16, 300] {
                let schedule = Schedule::Guided { min_chunk };
                for (start, n) in pieces(&pool, len, schedule, 0) {
                    let left = len - start;
                    let expected = left.div_ceil(threads).max(min_chunk).min(left);
                    assert_eq!(
                        n, expected,
                        "{schedule:?}, {len} items, {threads} threads, piece at {start}"
                    );
                }
            }
        }
    }
}

/// `Adaptive { min_len }`: every piece a body sees has at least `min_len` items (a whole
/// number of `min_len` runs from the start, the last piece of the source with the
/// `len % min_len` left over too); the first block of a piece used to be a single item,
/// whatever `min_len` said, and the last piece could be the leftover alone.
#[test]
fn adaptive_pieces_are_at_least_min_len_on_every_pool() {
    for &threads in PIECE_THREADS {
        let pool = pool(threads);
        for min_len in [1, 3, 50] {
            let schedule = Schedule::Adaptive { min_len };
            let len = if cfg!(miri) { 200 } else { 2003 };
            // About 2 µs an item, so the loop runs long enough to be split by thieves.
            let got = pieces(&pool, len, schedule, 2);
            let wrong = got.iter().find(|&&(s, n)| {
                s % min_len != 0 || n < min_len || (s + n < len && n % min_len != 0)
            });
            assert_eq!(
                wrong,
                None,
                "{schedule:?}, {threads} threads: a piece not made of runs of min_len items \
                 ({} pieces)",
                got.len()
            );
            if threads > 1 && got.len() < 3 {
                eprintln!(
                    "note: {schedule:?} on {threads} threads made {} pieces",
                    got.len()
                );
            }
        }
    }
}

/// A `for_each_chunk` body with a cost per call (here 20 µs of spinning, as a body that sets
/// up a buffer or a connection per chunk) and almost none per item: `Adaptive` grows its
/// blocks until the items' time is about the per-call cost, instead of calling the body
/// once per item (a million calls, 20 s, before).
#[test]
#[cfg_attr(miri, ignore = "spins on the clock for a million-item loop")]
fn a_cost_per_call_does_not_make_one_call_per_item() {
    use std::time::{Duration, Instant};
    const N: usize = 1_000_000;
    for threads in [1, 2, 4] {
        let pool = pool(threads);
        let calls = AtomicUsize::new(0);
        let items = AtomicUsize::new(0);
        pool.for_each_chunk(0..N, Schedule::Adaptive { min_len: 1 }, |_, piece| {
            calls.fetch_add(1, Ordering::Relaxed);
            items.fetch_add(piece.len(), Ordering::Relaxed);
            let start = Instant::now();
            while start.elapsed() < Duration::from_micros(20) {
                std::hint::spin_loop();
            }
        });
        assert_eq!(items.into_inner(), N);
        let calls = calls.into_inner();
        assert!(calls <= N / 100, "{calls} calls on {threads} threads");
    }
}

/// A loop with as many items as the pool has workers, each item a long one (here: one that
/// waits until every item has started): an idle worker must take an item while the first is
/// still running, whatever the items cost. The default schedule used to run a first block
/// (here the first item) before it offered anything, and a thief never took the single item
/// left, so two 20 ms items on two threads took 40 ms (rayon: 20) and these items waited for
/// each other forever.
#[test]
#[cfg_attr(miri, ignore = "waits on the clock for other workers")]
fn a_few_long_items_run_side_by_side() {
    for threads in [2, 3, 4, 8] {
        let pool = pool(threads);
        for round in 0..3 {
            let started = AtomicUsize::new(0);
            let met = AtomicUsize::new(0);
            pool.for_each(0..threads, Schedule::default(), |_| {
                started.fetch_add(1, Ordering::SeqCst);
                if all_started(&started, threads) {
                    met.fetch_add(1, Ordering::SeqCst);
                }
            });
            assert_eq!(
                met.into_inner(),
                threads,
                "{threads} threads, round {round}: the items did not all run at once"
            );
        }
        // The same through the iterator verbs, from a worker (the loop above came from
        // outside the pool).
        let started = AtomicUsize::new(0);
        let met: usize = pool.install(|| {
            use brigade::prelude::*;
            (0..threads)
                .into_par_iter()
                .map(|_| {
                    started.fetch_add(1, Ordering::SeqCst);
                    usize::from(all_started(&started, threads))
                })
                .sum()
        });
        assert_eq!(
            met, threads,
            "{threads} threads: par_iter items did not all run at once"
        );
    }
}

/// A loop of a few items, each of which waits until all of them have started, on a pool
/// with a worker for each item: every item must reach a worker of its own while the others
/// run, at any depth below other joins. A loop of two items is a `join` (`loops/adaptive.rs`,
/// `pair`): below a worker's outermost joins its second half is recorded privately, and must
/// still reach an idle worker while the first half runs (here: waits), as a deep `join`'s
/// second half does. Three items and more take the token path.
#[test]
#[cfg_attr(miri, ignore = "waits on the clock for other workers")]
fn a_small_loop_below_many_joins_runs_all_its_items_at_once() {
    fn nest(depth: usize, f: &(dyn Fn() + Sync)) {
        if depth == 0 {
            f();
        } else {
            brigade::join(|| nest(depth - 1, f), || ());
        }
    }
    for items in [2, 3, 4, 5, 8] {
        for threads in [items, items + 1] {
            let pool = pool(threads);
            for depth in [0, 1, 2, 3, 6, 200] {
                let started = AtomicUsize::new(0);
                let met = AtomicUsize::new(0);
                let item = |_: usize| {
                    started.fetch_add(1, Ordering::SeqCst);
                    if all_started(&started, items) {
                        met.fetch_add(1, Ordering::SeqCst);
                    }
                };
                pool.install(|| {
                    nest(depth, &|| {
                        use brigade::prelude::*;
                        (0..items).into_par_iter().for_each(item);
                    })
                });
                assert_eq!(
                    met.swap(0, Ordering::SeqCst),
                    items,
                    "{items} items, {threads} threads, {depth} joins deep: not all at once"
                );
                started.store(0, Ordering::SeqCst);
                pool.install(|| {
                    nest(depth, &|| {
                        brigade::for_each(0..items, Schedule::default(), item)
                    })
                });
                assert_eq!(
                    met.into_inner(),
                    items,
                    "{items} items, {threads} threads, {depth} joins deep: for_each's items \
                     not all at once"
                );
            }
        }
    }
}

/// Cheap items, then long ones: the long ones must not all run on one worker. Here a long
/// item waits until a second long item has started (rayon runs two halves of the loop at
/// once, so it meets this). The owner's blocks grew on the cheap items, and a claim could
/// take up to a quarter of its block even when that was everything left: after two no-op
/// items, four 10 ms items on two threads took 40 ms (rayon: 20), every time, and these
/// items waited for each other until the deadline.
#[test]
#[cfg_attr(miri, ignore = "waits on the clock for other workers")]
fn long_items_after_cheap_ones_are_shared() {
    for threads in [2, 3, 4, 8] {
        let pool = pool(threads);
        for cheap in [1, 2, 3, 8, 100] {
            let long = 2 * threads;
            let started = AtomicUsize::new(0);
            let met = AtomicUsize::new(0);
            let item = |i: usize| {
                if i >= cheap {
                    started.fetch_add(1, Ordering::SeqCst);
                    if all_started(&started, 2) {
                        met.fetch_add(1, Ordering::SeqCst);
                    }
                }
            };
            pool.for_each(0..cheap + long, Schedule::default(), item);
            assert_eq!(
                met.swap(0, Ordering::SeqCst),
                long,
                "{threads} threads, {cheap} cheap items: the long items ran one after the other"
            );
            // From a worker, through the iterator verbs.
            started.store(0, Ordering::SeqCst);
            pool.install(|| {
                use brigade::prelude::*;
                (0..cheap + long).into_par_iter().for_each(item);
            });
            assert_eq!(
                met.into_inner(),
                long,
                "{threads} threads, {cheap} cheap items: par_iter's long items ran one after the other"
            );
        }
    }
}

/// While the owner of a loop is inside a long item, a worker that stole part of the loop and
/// finished it must come back for more: its own token for the same range, popped back
/// after its piece, steals again. Here items 0 and 1 wait for each other and the rest cost
/// nothing: the owner runs item 0, a thief takes the upper half of the rest (item 2 in a loop
/// of 3) and must then take item 1. A change that dropped every popped-back token unrun
/// (right for the owner's, which its claims have emptied) left item 1 to the owner, and the
/// pair waited for each other until the deadline on 2, 3 and 8 threads.
#[test]
#[cfg_attr(miri, ignore = "waits on the clock for other workers")]
fn a_thief_comes_back_for_items_the_owner_has_not_reached() {
    for threads in [2, 3, 8] {
        let pool = pool(threads);
        for len in [3usize, 4, 5, 8, 64] {
            let started = AtomicUsize::new(0);
            let met = AtomicUsize::new(0);
            let item = |i: usize| {
                if i < 2 {
                    started.fetch_add(1, Ordering::SeqCst);
                    if all_started(&started, 2) {
                        met.fetch_add(1, Ordering::SeqCst);
                    }
                }
            };
            pool.install(|| {
                use brigade::prelude::*;
                (0..len).into_par_iter().for_each(item);
            });
            assert_eq!(
                met.swap(0, Ordering::SeqCst),
                2,
                "{threads} threads, {len} items: items 0 and 1 ran one after the other"
            );
            started.store(0, Ordering::SeqCst);
            pool.for_each(0..len, Schedule::default(), item);
            assert_eq!(
                met.into_inner(),
                2,
                "{threads} threads, {len} items: for_each's items 0 and 1 ran one after the other"
            );
        }
    }
}
