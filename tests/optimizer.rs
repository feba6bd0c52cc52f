//! What the optimizer must not break: checks that pass in a debug build by construction and
//! once failed in release builds only. CI runs this file in release (it is small, so that
//! build is quick); plain `cargo test` runs it too.

use brigade::{Schedule, ThreadPool};

fn pool(n: usize) -> ThreadPool {
    ThreadPool::builder().num_threads(n).build().unwrap()
}

const THREADS: &[usize] = if cfg!(miri) { &[3] } else { &[1, 2, 4] };

fn schedules() -> [Schedule; 5] {
    [
        Schedule::Static,
        Schedule::StaticChunks { chunk: 1 },
        Schedule::Dynamic { chunk: 1 },
        Schedule::Guided { min_chunk: 1 },
        Schedule::Adaptive { min_len: 1 },
    ]
}

/// Short ranges of every integer type, inclusive and half-open, folded into a 32-byte,
/// 16-aligned accumulator by `ThreadPool::map_reduce` from outside the pool. In release
/// builds with rustc 1.95 to 1.97 this once gave `(1, 0)` instead of `(4, 6)` for
/// `0..=3u16`: the job that carried the loop to a worker held its closure in an `Option`
/// whose `None` sat in the range's `bool`, and LLVM's load merging (LLVM issue 207229) turned
/// the captured range into `0..=0`. CI runs this file in release, where that showed.
#[test]
#[cfg_attr(
    miri,
    ignore = "an optimizer bug, not UB: a release build finds it, miri cannot"
)]
fn short_ranges_of_every_type_with_a_wide_accumulator() {
    macro_rules! check {
        ($pool:expr, $schedule:expr, $($t:ty),*) => {$({
            let (lo, hi): ($t, $t) = (std::hint::black_box(0), std::hint::black_box(3));
            let acc = || (0usize, 0i128);
            let add = |a: (usize, i128), b: (usize, i128)| (a.0 + b.0, a.1 + b.1);
            let one = |x: $t| (1usize, x as i128);
            let got = $pool.map_reduce(lo..=hi, $schedule, acc, one, add);
            assert_eq!(got, (4, 6), "{}: {:?} of 0..=3", stringify!($t), $schedule);
            let got = $pool.map_reduce(lo..hi + 1, $schedule, acc, one, add);
            assert_eq!(got, (4, 6), "{}: {:?} of 0..4", stringify!($t), $schedule);
            let got = $pool.install(|| brigade::map_reduce(lo..=hi, $schedule, acc, one, add));
            assert_eq!(got, (4, 6), "{}: {:?} of 0..=3 in install", stringify!($t), $schedule);
        })*};
    }
    for &n in THREADS {
        let pool = pool(n);
        for schedule in schedules() {
            check!(
                pool, schedule, u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
            );
        }
    }
}
