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

use crossbeam_utils::Backoff;

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
    /// parallel work on the pool (a `map` whose closure uses `join` or `par_iter`): a
    /// worker that finds the lock taken for long skips to other work rather than block on
    /// it, so a worker waiting inside that `next` never waits for itself.
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
    const BOUNDLESS: bool = true;

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
        let backoff = Backoff::new();
        let mut guard = loop {
            if let Some(guard) = self.bridge.iter.try_lock() {
                break guard;
            }
            if backoff.is_completed() {
                // The lock stays taken: maybe by this very thread, further down its stack
                // (a `next` that runs parallel work and, waiting for it, took this piece).
                // Blocking could never end then; ending the piece early loses nothing (its
                // quota is not a place) and lets this thread go back to that work.
                return None;
            }
            backoff.snooze();
        };
        let item = guard.as_mut()?.next();
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

#[cfg(test)]
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

    /// The mechanism behind the next test, made certain: a piece run by the thread that
    /// holds the lock (further down its stack) gives up instead of waiting for itself. A
    /// blocking `lock` there would hang, so the piece runs on a thread of its own and the
    /// test fails after 10 s if it never comes back.
    #[test]
    fn a_piece_never_waits_for_a_lock_its_own_thread_holds() {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let bridge = (0..10u8).par_bridge();
            let held = bridge.iter.lock();
            let mut state = ();
            // SAFETY: indices 0..5 of a bridge of quota `QUOTA`, asked for once.
            let mut piece = unsafe { bridge.piece(&mut state, 0, 5) };
            let skipped = piece.next();
            drop(held);
            let _ = tx.send((skipped, piece.next()));
        });
        let got = rx.recv_timeout(std::time::Duration::from_secs(10));
        assert_eq!(
            got,
            Ok((None, Some(0))),
            "the piece waited for its own thread's lock"
        );
        // Only once it came back: a thread stuck on the lock would never be joined.
        thread.join().unwrap();
    }

    /// A `next` that runs parallel work of its own: a worker that waits inside it (holding
    /// the lock) and picks up another piece of the same loop must not block on the lock.
    #[test]
    fn a_next_that_runs_parallel_work_does_not_deadlock() {
        // Long enough inner loops that the other workers take parts of them, so that the
        // worker holding the lock waits and runs other jobs (bridge pieces among them).
        fn slow(k: u64) -> u64 {
            (0..200).fold(k, |a, _| std::hint::black_box(a))
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
