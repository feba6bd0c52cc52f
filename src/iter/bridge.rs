//! [`ParallelBridge`]: a sequential iterator shared by the workers (`par_bridge`), for
//! sources that cannot be cut: lines read from a file, a channel's messages, a directory
//! walk.
//!
//! The iterator sits behind a mutex, and every item is taken from it under the lock, by
//! whichever worker runs a piece. Its base indices (`0..usize::MAX / 2`) mean nothing but a
//! quota: a piece `start..end` takes up to `end - start` items, and once the iterator has
//! returned `None` the bridge is *dry* (`ParallelIterator::dry_from`), which stops the loop
//! from handing out more pieces. Not indexed, and the items reach the terminal in
//! no particular order (as rayon's `par_bridge`): which piece takes which item depends on
//! who gets the lock first.

use std::fmt;

use crate::iter::ParallelIterator;
use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::loom::{AtomicBool, Mutex, Ordering};

/// Turns a sequential iterator into a parallel one: [`par_bridge`](Self::par_bridge).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let text = "3\n1\n4\n1\n5\n9\n2\n6";
/// // `str::lines` cannot be cut at an index: the workers share it, one line at a time.
/// let sum: u32 = text.lines().par_bridge().map(|l| l.parse::<u32>().unwrap()).sum();
/// assert_eq!(sum, 31);
/// ```
pub trait ParallelBridge: Sized {
    /// A parallel iterator whose workers take items from this iterator, one at a time,
    /// under a lock.
    ///
    /// Each `next` call holds the lock, so this pays when the work per item is larger than
    /// taking it (microseconds, not nanoseconds); for slices, ranges, `Vec`s and std's
    /// collections, `par_iter()` and `into_par_iter()` cut the work without a lock. The
    /// items come in no particular order, even to `collect` (as with rayon's `par_bridge`):
    /// sort afterwards if order matters, or `enumerate` the sequential iterator first. The
    /// iterator is not called again after it first returns `None`. A panic in its `next`
    /// reaches the terminal as any panic in the loop does. Its `next` may itself run
    /// parallel work, on this pool or another (a `map` whose closure uses `join`,
    /// `par_iter` or `install`): each `next` call runs [isolated](crate::isolate), so the
    /// worker that holds the lock runs only that work while it waits for it, never another
    /// piece of this loop (which would wait for the lock its own stack holds). The other
    /// workers of the loop wait for the lock meanwhile.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    /// use std::sync::mpsc;
    ///
    /// let (tx, rx) = mpsc::channel();
    /// std::thread::spawn(move || {
    ///     for i in 0..100u64 {
    ///         tx.send(i).unwrap();
    ///     }
    /// });
    /// let mut squares: Vec<u64> = rx.into_iter().par_bridge().map(|i| i * i).collect();
    /// squares.sort_unstable();
    /// assert_eq!(squares[99], 99 * 99);
    /// ```
    fn par_bridge(self) -> IterBridge<Self>;
}

impl<T> ParallelBridge for T
where
    T: Iterator + Send,
    T::Item: Send,
{
    fn par_bridge(self) -> IterBridge<Self> {
        IterBridge {
            iter: Mutex::new(Some(self)),
            dry: AtomicBool::new(false),
        }
    }
}

/// The base indices of a bridge: more items than any iterator yields in practice (2^63 on a
/// 64-bit target: centuries at a billion a second), and room for a `chain` before it.
const QUOTA: usize = usize::MAX / 2;

/// The parallel iterator of [`ParallelBridge::par_bridge`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::IterBridge<_> = (0..10u8).filter(|x| x % 3 == 0).par_bridge();
/// assert_eq!(it.count(), 4);
/// ```
#[must_use = "iterators are lazy: call a terminal such as `for_each` or `collect`"]
pub struct IterBridge<T> {
    /// `None` once the iterator returned `None` (it is dropped then).
    iter: Mutex<Option<T>>,
    /// True once `iter` is `None`: read without the lock, by the loop.
    dry: AtomicBool,
}

impl<T> fmt::Debug for IterBridge<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IterBridge")
            .field("dry", &self.dry.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl<T> Sealed for IterBridge<T> {}

impl<T> ParallelIterator for IterBridge<T>
where
    T: Iterator + Send,
    T::Item: Send,
{
    type Item = T::Item;
    type State = ();
    type Piece<'p>
        = BridgePiece<'p, T>
    where
        Self: 'p;
    type Flush<'p>
        = std::iter::Empty<T::Item>
    where
        Self: 'p;
    const INDEXED: bool = false;
    const FLUSHES: bool = false;
    const CUTS_SHORT: bool = false;
    const BOUNDLESS: bool = true;
    const CLOSES: bool = false;

    #[inline]
    fn base_len(&self) -> usize {
        QUOTA
    }

    #[inline]
    fn config(&self) -> Config {
        Config::default()
    }

    #[inline]
    fn state(&self) {}

    #[inline]
    unsafe fn piece<'p>(&'p self, _: &'p mut (), start: usize, end: usize) -> BridgePiece<'p, T> {
        BridgePiece {
            bridge: self,
            quota: end - start,
        }
    }

    #[inline]
    fn flush<'p>(&'p self, (): ()) -> Self::Flush<'p> {
        std::iter::empty()
    }

    #[inline]
    fn dry_from(&self, _start: usize) -> bool {
        self.is_dry()
    }
}

/// A piece of [`IterBridge`]: up to `quota` items taken from the shared iterator.
#[doc(hidden)]
pub struct BridgePiece<'p, T> {
    bridge: &'p IterBridge<T>,
    quota: usize,
}

impl<T> fmt::Debug for BridgePiece<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BridgePiece")
            .field("quota", &self.quota)
            .finish_non_exhaustive()
    }
}

impl<T: Iterator> Iterator for BridgePiece<'_, T> {
    type Item = T::Item;

    #[inline]
    fn next(&mut self) -> Option<T::Item> {
        if self.quota == 0 || self.bridge.is_dry() {
            return None;
        }
        let mut guard = self.bridge.iter.lock();
        // Isolated: a `next` that runs parallel work and waits for it runs only that work
        // meanwhile, never another piece of this loop, which would wait for the lock this
        // very stack holds (rayon #592's pattern). Pieces never end early on a taken lock:
        // a quota given up while items remain could leave them to nobody.
        let item = match guard.as_mut() {
            Some(iter) => crate::isolate(|| iter.next()),
            None => return None,
        };
        match item {
            Some(item) => {
                self.quota -= 1;
                Some(item)
            }
            None => {
                // Dropped under the lock, by whichever worker found the end; nobody calls
                // `next` on it again.
                *guard = None;
                self.bridge.dry.store(true, Ordering::Relaxed);
                None
            }
        }
    }
}

impl<T> IterBridge<T> {
    /// True once the iterator returned `None`. Relaxed: a hint to stop handing out pieces
    /// and taking the lock; a piece that misses it takes the lock and finds `None` there.
    #[inline]
    fn is_dry(&self) -> bool {
        self.dry.load(Ordering::Relaxed)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::Schedule;
    use crate::prelude::*;

    fn schedules() -> [Schedule; 6] {
        [
            Schedule::Static,
            Schedule::StaticChunks { chunk: 3 },
            Schedule::Dynamic { chunk: 1 },
            Schedule::Guided { min_chunk: 2 },
            Schedule::Adaptive { min_len: 1 },
            Schedule::default(),
        ]
    }

    #[test]
    fn every_item_once_on_every_schedule() {
        let sizes: &[usize] = if cfg!(miri) {
            &[0, 1, 7]
        } else {
            &[0, 1, 2, 100, 5000]
        };
        for threads in 1..=if cfg!(miri) { 2 } else { 4 } {
            let pool = crate::ThreadPool::builder()
                .num_threads(threads)
                .build()
                .unwrap();
            for schedule in schedules() {
                for &n in sizes {
                    let mut got: Vec<usize> = pool.install(|| {
                        (0..n)
                            .par_bridge()
                            .with_schedule(schedule)
                            .map(|x| x * 2)
                            .collect()
                    });
                    got.sort_unstable();
                    let want: Vec<usize> = (0..n).map(|x| x * 2).collect();
                    assert_eq!(got, want, "{threads} threads, {schedule:?}, {n} items");
                    let sum: usize = pool.install(|| {
                        (0..n)
                            .par_bridge()
                            .with_schedule(schedule)
                            .with_max_len(2)
                            .filter(|x| x % 3 == 0)
                            .sum()
                    });
                    assert_eq!(sum, (0..n).filter(|x| x % 3 == 0).sum::<usize>());
                }
            }
        }
    }

    #[test]
    fn next_is_not_called_after_the_end() {
        struct Counted<'a> {
            left: u32,
            calls_after_end: &'a AtomicUsize,
        }
        impl Iterator for Counted<'_> {
            type Item = u32;
            fn next(&mut self) -> Option<u32> {
                if self.left == 0 {
                    self.calls_after_end.fetch_add(1, Ordering::Relaxed);
                    return None;
                }
                self.left -= 1;
                Some(self.left)
            }
        }
        let calls = AtomicUsize::new(0);
        let pool = crate::ThreadPool::builder().num_threads(3).build().unwrap();
        let n = pool.install(|| {
            Counted {
                left: if cfg!(miri) { 10 } else { 1000 },
                calls_after_end: &calls,
            }
            .par_bridge()
            .count()
        });
        assert_eq!(n, if cfg!(miri) { 10 } else { 1000 });
        assert_eq!(calls.load(Ordering::Relaxed), 1);
    }

    /// A `next` that runs parallel work of its own: a worker that waits inside it (holding
    /// the lock) and picks up another piece of the same loop must not block on the lock.
    #[test]
    fn a_next_that_runs_parallel_work_does_not_deadlock() {
        // Long enough inner loops that the other workers take parts of them, so that the
        // worker holding the lock waits and runs other jobs (bridge pieces among them).
        fn slow(k: u64) -> u64 {
            (0..if cfg!(miri) { 10 } else { 200 }).fold(k, |a, _| std::hint::black_box(a))
        }
        let n = if cfg!(miri) { 4 } else { 300 };
        for &threads in if cfg!(miri) { &[2][..] } else { &[1, 2, 4][..] } {
            let pool = crate::ThreadPool::builder()
                .num_threads(threads)
                .build()
                .unwrap();
            let total: u64 = pool.install(|| {
                (0..n)
                    .map(|i| {
                        (0..100u64)
                            .into_par_iter()
                            .map(|k| slow(k) * i)
                            .sum::<u64>()
                    })
                    .par_bridge()
                    .map(|s| {
                        let (a, b) = crate::join(|| slow(s / 2), || slow(s - s / 2));
                        a + b
                    })
                    .sum()
            });
            assert_eq!(total, (0..n).map(|i| 4950 * i).sum::<u64>());
        }
    }

    /// A bridge after another iterator in a `chain`: every item once, on every schedule
    /// (the loop skips the bridge's part once it is dry). Before one, `chain` refuses.
    #[test]
    fn a_bridge_comes_last_in_a_chain() {
        let pool = crate::ThreadPool::builder().num_threads(2).build().unwrap();
        let n = if cfg!(miri) { 5 } else { 300 };
        for schedule in schedules() {
            let mut got: Vec<u32> = pool.install(|| {
                (0..n)
                    .into_par_iter()
                    .chain((n..2 * n).par_bridge())
                    .with_schedule(schedule)
                    .collect()
            });
            // The first side's items come first, in order; the bridge's in any order.
            assert_eq!(
                got[..n as usize],
                (0..n).collect::<Vec<_>>()[..],
                "{schedule:?}"
            );
            got.sort_unstable();
            assert_eq!(got, (0..2 * n).collect::<Vec<_>>(), "{schedule:?}");
        }
        let r = std::panic::catch_unwind(|| (0..3).par_bridge().chain(0..3));
        assert!(r.is_err());
    }

    /// Runs `f` on a thread of its own and fails if it takes more than 60 s (a hang).
    fn watchdog(f: impl FnOnce() + Send + 'static) {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            f();
            let _ = tx.send(());
        });
        match rx.recv_timeout(std::time::Duration::from_secs(60)) {
            Ok(()) => thread.join().unwrap(),
            // A panic in `f` drops the sender: report it as the panic it was.
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                std::panic::resume_unwind(thread.join().unwrap_err())
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("hung for 60 s"),
        }
    }

    /// A user-side breaker's hang: 8 workers, each `next` runs a parallel loop on the same
    /// pool. Before `next` was isolated, the worker holding the lock took pieces of the
    /// bridge loop while it waited, and spun on its own lock (hung in 3 of 3 processes
    /// within 500 repetitions; within 61 on 3 threads with chunks of one).
    #[test]
    fn a_next_with_a_parallel_loop_on_the_same_pool_never_hangs() {
        watchdog(|| {
            let pool = crate::ThreadPool::builder().num_threads(8).build().unwrap();
            let reps = if cfg!(miri) { 1 } else { 60 };
            let n = if cfg!(miri) { 6 } else { 200u64 };
            for schedule in [
                Schedule::default(),
                Schedule::StaticChunks { chunk: 1 },
                Schedule::Dynamic { chunk: 1 },
            ] {
                for _ in 0..reps {
                    let v: Vec<u64> = pool.install(|| {
                        (0..n)
                            .map(|i| (0..i).into_par_iter().sum::<u64>())
                            .par_bridge()
                            .with_schedule(schedule)
                            .collect()
                    });
                    assert_eq!(v.len() as u64, n);
                }
            }
        });
    }

    /// The same with a `next` that installs into another pool: it hung on the first run
    /// with chunks of one, and within 68 runs with the default schedule.
    #[test]
    fn a_next_that_installs_into_another_pool_never_hangs() {
        watchdog(|| {
            let a = crate::ThreadPool::builder().num_threads(2).build().unwrap();
            let b = crate::ThreadPool::builder().num_threads(1).build().unwrap();
            let reps = if cfg!(miri) { 1 } else { 40 };
            let n = if cfg!(miri) { 5 } else { 100u64 };
            for schedule in [Schedule::default(), Schedule::StaticChunks { chunk: 1 }] {
                for _ in 0..reps {
                    let total: u64 = a.install(|| {
                        (0..n)
                            .map(|i| b.install(|| (0..i).into_par_iter().sum::<u64>()))
                            .par_bridge()
                            .with_schedule(schedule)
                            .sum()
                    });
                    assert_eq!(total, (0..n).map(|i| i * i.saturating_sub(1) / 2).sum());
                }
            }
        });
    }

    /// A user-side breaker's lost items: under `Guided` (a few hundred pieces in all), pieces
    /// that gave up their quota on a taken lock used up the loop's indices while items
    /// remained, and the loop ended without them (55 of 3,000 runs on 2 threads).
    #[test]
    fn no_item_is_lost_under_any_schedule_when_pieces_contend() {
        let pool = crate::ThreadPool::builder().num_threads(2).build().unwrap();
        let reps = if cfg!(miri) { 1 } else { 300 };
        let n = if cfg!(miri) { 20 } else { 2_000u64 };
        for schedule in [
            Schedule::Guided { min_chunk: 1 },
            Schedule::Guided { min_chunk: 5 },
            Schedule::Static,
        ] {
            for _ in 0..reps {
                let sum: u64 = pool.install(|| (0..n).par_bridge().with_schedule(schedule).sum());
                assert_eq!(sum, n * (n - 1) / 2, "{schedule:?}");
            }
        }
    }

    #[test]
    fn early_exits_and_panics_stop_the_loop() {
        let pool = crate::ThreadPool::builder().num_threads(2).build().unwrap();
        let at = if cfg!(miri) { 10 } else { 1000 };
        let found = pool.install(|| (0..u64::MAX).par_bridge().find_any(|&x| x == at));
        assert_eq!(found, Some(at));
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.install(|| {
                (0..u64::MAX)
                    .par_bridge()
                    .for_each(|x| assert!(x < at / 2, "boom"))
            })
        }));
        assert!(r.is_err());
        assert_eq!(pool.install(|| (0..10).par_bridge().count()), 10);
    }
}
