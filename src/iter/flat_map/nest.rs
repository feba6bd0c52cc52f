//! The inner iterators of a `flat_map` as parallel loops of their own.
//!
//! A `flat_map` runs each inner iterator inside the piece of its outer item (`Flattened`):
//! cheap for many short inner iterators, but a few outer items with long inner iterators
//! kept only as many workers busy as there were outer items (one outer item: one worker,
//! where rayon splits the inner iterator too). So for a consumer that is no early exit
//! (early exits step inner iterators item by item, to stop inside them), `drive` runs
//! the `flat_map`'s *base* into [`Nest`]: it feeds the items of the short inner iterators
//! of a piece to the consumer as one stream, as `Flattened` does, and drives each long
//! inner iterator as a loop of its own ([`long_inner`]), whose result it reduces into
//! the piece's between the stretches before and after it. In a piece of one outer item, a
//! short inner iterator may also end a stretch part way, when the worker's heartbeat asks
//! for work (`fold_until_beat`): the rest of it is then a loop of its own too. Results keep
//! their order:
//! `Consumer::reduce` combines neighbours, the left one first.

use std::ops::Range;

use crate::iter::drive::{Consumer, drive, drive_from};
use crate::iter::flat_map::{Split, Stepped, fold_until_beat};
use crate::iter::stop;
use crate::iter::{IntoParallelIterator, ParallelIterator};

/// An inner iterator of fewer base indices is never a loop of its own.
const LONG_INNER: usize = 4096;

/// A `flat_map` of more than this many outer base indices per thread asks more of an inner
/// iterator before it makes it a loop of its own ([`long_inner`]).
const OUTER_PER_THREAD: usize = 8;

/// At most this many times [`LONG_INNER`]: an inner iterator of 65,536 base indices or more
/// is a loop of its own in any `flat_map`.
const MAX_SCALE: usize = 16;

/// The consumer `drive` runs a `flat_map`'s base into: `consumer` takes the items of the
/// inner iterators `f` makes; `outer` is the number of the base's indices.
pub(crate) struct Nest<'a, C, F> {
    consumer: &'a C,
    f: &'a F,
    outer: usize,
}

impl<'a, C, F> Nest<'a, C, F> {
    #[inline]
    pub(crate) fn new(consumer: &'a C, f: &'a F, outer: usize) -> Self {
        Nest { consumer, f, outer }
    }
}

impl<T, U, C, F> Consumer<T> for Nest<'_, C, F>
where
    F: Fn(T) -> U + Sync,
    U: IntoParallelIterator,
    C: Consumer<U::Item>,
{
    type Acc = C::Acc;

    #[inline]
    fn identity(&self) -> C::Acc {
        self.consumer.identity()
    }

    fn feed<I: Iterator<Item = T>>(&self, acc: C::Acc, at: Range<usize>, items: I) -> C::Acc {
        // No early exit's stop check reaches the inner iterators stepped here (this loop
        // may run inside an early exit's piece, further down the stack).
        stop::scope(None, || {
            let mut outer = items;
            let mut acc = acc;
            // (Outside every pool, a base of one index runs on the calling thread: the loops
            // nested here run on the global pool, as any other loop from there.)
            let long = long_inner(self.outer, crate::current_num_threads());
            // A piece of one outer item: the outer loop found its items costly, or has few
            // of them. Its short inner iterators may be costly too, and run in pieces
            // between which they may be split (`fold_until_beat`); a longer piece holds
            // many cheap ones, which run whole.
            let split = if long != usize::MAX && at.len() == 1 {
                Split::here()
            } else {
                None
            };
            loop {
                let mut nested = None;
                let stretch = Stretch {
                    outer: &mut outer,
                    f: self.f,
                    front: None,
                    nested: &mut nested,
                    long,
                    split,
                };
                acc = self.consumer.feed(acc, at.clone(), stretch);
                let Some((inner, from)) = nested else {
                    return acc;
                };
                let within = Within {
                    consumer: self.consumer,
                    at: at.clone(),
                };
                let rest = if from == 0 {
                    drive(&inner, &within)
                } else {
                    // The indices below `from` ran in the stretch.
                    drive_from(&inner, &within, from)
                };
                acc = self.consumer.reduce(acc, rest);
            }
        })
    }

    #[inline]
    fn reduce(&self, left: C::Acc, right: C::Acc) -> C::Acc {
        self.consumer.reduce(left, right)
    }
}

/// How many base indices an inner iterator must have to be a loop of its own, in a
/// `flat_map` of `outer` base indices on a pool of `threads` (`usize::MAX`: none is; a pool
/// of one has nobody to share a loop with). A loop costs a token or a `join` and a reduce
/// (a `Vec` for a `collect`, copied again by the final `concat`), and the stack of its
/// machinery on every level of a recursion through `flat_map`; shorter inner iterators run
/// in their pieces, and the outer loop shares them out.
///
/// [`LONG_INNER`] in a `flat_map` of fewer than twice [`OUTER_PER_THREAD`] outer indices
/// per thread (up to 15 of 8), where the outer loop alone may leave workers idle, and
/// `LONG_INNER * (outer / (OUTER_PER_THREAD * threads))` in a longer one (integer
/// division), up to [`MAX_SCALE`] times `LONG_INNER`: the outer loop of a long `flat_map` shares
/// its inner iterators out as well as their own loops would, unless one of them is a large
/// part of the work. At 4,096 in every `flat_map`, 1,000 outer items of 4,096 cheap inner
/// items each took 1.5 times as long with `sum` (0.43 against 0.29 ms, rayon 0.39) and up to
/// 3.6 times with `collect`, whose loops a thief split into crumbs. The price: in a long
/// `flat_map`, one inner iterator of up to 65,535 base indices among short ones runs on one
/// worker.
///
/// Tried and taken back (docs/scheduling.md): every inner iterator of two base indices or
/// more of a *short* `flat_map` (at most 8 outer items per thread) as a loop of its own.
/// It split 3 outer items of 64 costly items on 2 threads (1.97x serial against 1.5x), but
/// cheap inner iterators paid a loop each: 16 outer items of 8 took 5.5 times as long, a
/// `flat_map` of 4 x 16 inside each item of a busy outer loop 3.4 times, and a recursion
/// through a one-item `flat_map` overflowed the stack at 1,325 levels against 5,211. And
/// whether a worker is idle is no guide: nesting short inner iterators while one was cost
/// a `collect` of 1M inner iterators of 10 items a third more time (a small first part made
/// `concat` copy every item).
#[inline]
fn long_inner(outer: usize, threads: usize) -> usize {
    if threads <= 1 {
        return usize::MAX;
    }
    let per = outer / OUTER_PER_THREAD.saturating_mul(threads);
    LONG_INNER.saturating_mul(per.clamp(1, MAX_SCALE))
}

/// The items of the inner iterators of `outer`'s items, up to the first inner iterator of
/// `long` base indices or more: that one is left in `nested` (from its base index 0), and
/// the stretch ends. With a `split`, an inner iterator also ends the stretch part way, when
/// the split says so (on a worker, when its heartbeat asks for work it has nothing else to
/// give for): the rest of it is left in `nested`, from the base index where it stopped.
struct Stretch<'o, O, F, J: ParallelIterator> {
    outer: &'o mut O,
    f: &'o F,
    front: Option<Stepped<J>>,
    nested: &'o mut Option<(J, usize)>,
    /// How long an inner iterator must be to be a loop of its own ([`long_inner`]).
    long: usize,
    /// What may split an inner iterator part way.
    split: Option<Split<'o>>,
}

impl<O, F, U> Iterator for Stretch<'_, O, F, U::Iter>
where
    O: Iterator,
    F: Fn(O::Item) -> U,
    U: IntoParallelIterator,
{
    type Item = U::Item;

    fn next(&mut self) -> Option<U::Item> {
        loop {
            if let Some(front) = &mut self.front {
                if self.split.is_some_and(|split| splits_here(front, split)) {
                    if let Some(Stepped::Indexed(by_index)) = self.front.take() {
                        *self.nested = Some(by_index.split_off());
                    }
                    return None;
                }
                if let Some(item) = front.next() {
                    return Some(item);
                }
                self.front = None;
            }
            if self.nested.is_some() {
                // Ended: the items after the nested loop's come in the next stretch.
                return None;
            }
            let inner = (self.f)(self.outer.next()?).into_par_iter();
            if inner.base_len() >= self.long {
                *self.nested = Some((inner, 0));
                return None;
            }
            self.split = self.split.map(Split::restart);
            self.front = Some(Stepped::new(inner));
        }
    }

    fn fold<B, G>(mut self, init: B, mut g: G) -> B
    where
        G: FnMut(B, U::Item) -> B,
    {
        let mut acc = match self.front.take() {
            Some(front) => front.fold(init, &mut g),
            None => init,
        };
        if self.nested.is_some() {
            return acc;
        }
        for item in self.outer.by_ref() {
            let inner = (self.f)(item).into_par_iter();
            if inner.base_len() >= self.long {
                *self.nested = Some((inner, 0));
                return acc;
            }
            let (folded, rest) = fold_until_beat(inner, acc, &mut g, self.split);
            acc = folded;
            if rest.is_some() {
                *self.nested = rest;
                return acc;
            }
        }
        acc
    }
}

/// Whether a stepped inner iterator ends its stretch before its next item: it is indexed
/// (each item a base index of its own, `Stepped::Indexed`), some items were made and some
/// are left, it may be split anywhere (as for [`fold_until_beat`]), and `split` says so.
#[inline]
fn splits_here<J: ParallelIterator>(front: &Stepped<J>, split: Split<'_>) -> bool {
    let Stepped::Indexed(by_index) = front else {
        return false;
    };
    let (at, len) = by_index.position();
    at > 0 && at < len && !J::FLUSHES && by_index.splits_anywhere() && split.now()
}

/// `consumer`, for the items of an inner iterator driven as a loop of its own: all of them
/// come from the outer base indices `at`, whatever the inner loop's own indices.
struct Within<'a, C> {
    consumer: &'a C,
    at: Range<usize>,
}

impl<T, C: Consumer<T>> Consumer<T> for Within<'_, C> {
    type Acc = C::Acc;

    #[inline]
    fn identity(&self) -> C::Acc {
        self.consumer.identity()
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, acc: C::Acc, _: Range<usize>, items: I) -> C::Acc {
        self.consumer.feed(acc, self.at.clone(), items)
    }

    #[inline]
    fn reduce(&self, left: C::Acc, right: C::Acc) -> C::Acc {
        self.consumer.reduce(left, right)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_longer_flat_map_asks_more_of_its_inner_iterators() {
        assert_eq!(long_inner(1_000_000, 1), usize::MAX);
        // Up to 15 outer indices per thread: 4,096.
        for outer in [0, 1, 3, 16, 31] {
            assert_eq!(long_inner(outer, 2), LONG_INNER, "{outer}");
        }
        assert_eq!(long_inner(32, 2), 2 * LONG_INNER);
        assert_eq!(long_inner(1_000, 2), 16 * LONG_INNER);
        assert_eq!(long_inner(256, 8), 4 * LONG_INNER);
        assert_eq!(long_inner(usize::MAX, 2), 16 * LONG_INNER);
        assert_eq!(long_inner(usize::MAX, usize::MAX), LONG_INNER);
    }

    /// With the heartbeat flag raised at every item, and a first item that takes twice the
    /// block target, a short inner iterator of a piece of one outer item is split after its
    /// first piece, the rest run as a loop of its own,
    /// whose short inner iterators split again: every item still comes once, in order, with
    /// the right outer item, whatever the consumer.
    #[test]
    fn inner_iterators_split_at_every_beat_keep_every_item_once_in_order() {
        use std::sync::atomic::{AtomicUsize, Ordering};

        use crate::ThreadPool;
        use crate::pool::WorkerThread;
        use crate::prelude::*;

        // The first item of each inner iterator runs past the block target (the time an
        // inner iterator must have run before it splits), then every item raises the flag.
        let beat = |i: u64| {
            if i == 0 {
                let start = std::time::Instant::now();
                while start.elapsed() < crate::loops::BLOCK_TARGET * 2 {
                    std::hint::spin_loop();
                }
            }
            if let Some(worker) = WorkerThread::current() {
                worker.raise_heartbeat();
            }
        };
        let pool = ThreadPool::builder().num_threads(2).build().unwrap();
        for outer in [1u64, 2, 3, 7] {
            for inner in [2u64, 3, 10, 100, 1000] {
                let want: Vec<u64> = (0..outer)
                    .flat_map(|o| (0..inner).map(move |i| o * 1000 + i))
                    .collect();
                let made = || {
                    (0..outer).into_par_iter().flat_map(move |o| {
                        (0..inner).into_par_iter().map(move |i| {
                            beat(i);
                            o * 1000 + i
                        })
                    })
                };
                pool.install(|| {
                    let got: Vec<u64> = made().collect();
                    assert_eq!(got, want, "collect {outer} x {inner}");
                    assert_eq!(made().sum::<u64>(), want.iter().sum::<u64>());
                    // `partition` steps its items with `next` (`Stretch::next`).
                    let (even, odd): (Vec<u64>, Vec<u64>) = made().partition(|x| x % 2 == 0);
                    let (want_even, want_odd): (Vec<u64>, Vec<u64>) =
                        want.iter().partition(|&&x| x % 2 == 0);
                    assert_eq!((even, odd), (want_even, want_odd), "partition");
                    let folded: Vec<u64> = made()
                        .fold(Vec::new, |mut v, x| {
                            v.push(x);
                            v
                        })
                        .flatten()
                        .collect();
                    assert_eq!(folded, want, "fold {outer} x {inner}");
                    // Owned inner items: each moved out once, none dropped unread.
                    let drops = AtomicUsize::new(0);
                    struct Counted<'a>(u64, &'a AtomicUsize);
                    impl Drop for Counted<'_> {
                        fn drop(&mut self) {
                            self.1.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    let seen: Vec<u64> = (0..outer)
                        .into_par_iter()
                        .flat_map(|o| {
                            let items: Vec<Counted<'_>> =
                                (0..inner).map(|i| Counted(o * 1000 + i, &drops)).collect();
                            items.into_par_iter().map(|c| {
                                beat(c.0 % 1000);
                                c.0
                            })
                        })
                        .collect();
                    assert_eq!(seen, want, "owned {outer} x {inner}");
                    assert_eq!(drops.load(Ordering::Relaxed) as u64, outer * inner);
                });
            }
        }
    }
}
