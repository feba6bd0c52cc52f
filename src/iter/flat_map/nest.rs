//! The inner iterators of a `flat_map` as parallel loops of their own.
//!
//! A `flat_map` runs each inner iterator inside the piece of its outer item (`Flattened`):
//! cheap for many short inner iterators, but a few outer items with long inner iterators
//! kept only as many workers busy as there were outer items (one outer item: one worker,
//! where rayon splits the inner iterator too). So for a consumer that is no early exit
//! (early exits step inner iterators item by item, to stop inside them), `drive` runs
//! the `flat_map`'s *base* into [`Nest`]: it feeds the items of the short inner iterators
//! of a piece to the consumer as one stream, as `Flattened` does, and drives each inner
//! iterator worth it as a loop of its own ([`worth_a_loop`]), whose result it reduces into
//! the piece's between the stretches before and after it. Results keep their order:
//! `Consumer::reduce` combines neighbours, the left one first.

use std::ops::Range;

use crate::iter::drive::{Consumer, drive};
use crate::iter::flat_map::{Stepped, fold_whole};
use crate::iter::stop;
use crate::iter::{IntoParallelIterator, ParallelIterator};

/// An inner iterator of at least this many base indices is always a loop of its own.
const LONG_INNER: usize = 4096;

/// A `flat_map` over at most this many base indices per thread of the pool is *short*: its
/// outer loop alone may leave workers idle, so each of its inner iterators of two base
/// indices or more is a loop of its own ([`worth_a_loop`]).
const SHORT_OUTER_PER_THREAD: usize = 8;

/// The consumer `drive` runs a `flat_map`'s base into: `consumer` takes the items of the
/// inner iterators `f` makes.
pub(crate) struct Nest<'a, C, F> {
    consumer: &'a C,
    f: &'a F,
    /// The base is short (`SHORT_OUTER_PER_THREAD`).
    short: bool,
}

impl<'a, C, F> Nest<'a, C, F> {
    /// The consumer for a base of `base_len` indices.
    #[inline]
    pub(crate) fn new(consumer: &'a C, f: &'a F, base_len: usize) -> Self {
        let threads = crate::current_num_threads();
        Nest {
            consumer,
            f,
            short: base_len <= SHORT_OUTER_PER_THREAD.saturating_mul(threads),
        }
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
            // A pool of one thread has nobody to share a loop with. (Outside every pool, a
            // base of one index runs on the calling thread: the loops nested here run on
            // the global pool, as any other loop from there.)
            let shared = crate::current_num_threads() > 1;
            let short = self.short;
            loop {
                let mut nested = None;
                let stretch = Stretch {
                    outer: &mut outer,
                    f: self.f,
                    front: None,
                    nested: &mut nested,
                    worth: |inner: &U::Iter| shared && worth_a_loop(inner, short),
                };
                acc = self.consumer.feed(acc, at.clone(), stretch);
                let Some(inner) = nested else {
                    return acc;
                };
                let within = Within {
                    consumer: self.consumer,
                    at: at.clone(),
                };
                acc = self.consumer.reduce(acc, drive(&inner, &within));
            }
        })
    }

    #[inline]
    fn reduce(&self, left: C::Acc, right: C::Acc) -> C::Acc {
        self.consumer.reduce(left, right)
    }
}

/// True if `inner` is worth a loop of its own: it has two base indices or more, and either
/// many ([`LONG_INNER`]), or the `flat_map` is `short`. A loop costs a `join` or a token
/// and a reduce (a `Vec` for a `collect`), so the short inner iterators of a long
/// `flat_map` run in their pieces, as before: its outer loop shares the work.
///
/// Whether a worker is idle is no guide. Nesting the short inner iterators of a long
/// `flat_map` while some worker was idle (at the start of every loop) cost a `collect` of
/// 1M inner iterators of 10 items on 2 threads a third more time: a small first part made
/// `concat` copy every item, and looking at the pool's idle count for each inner iterator
/// cost a quarter. And for 3 outer items on 2 threads it nested only the first: the
/// second worker, busy when the others started, then sat idle beside a serial one.
#[inline]
fn worth_a_loop<J: ParallelIterator>(inner: &J, short: bool) -> bool {
    let len = inner.base_len();
    len >= 2 && (short || len >= LONG_INNER)
}

/// The items of the inner iterators of `outer`'s items, up to the first inner iterator
/// that is `worth` a loop of its own: that one is left in `nested`, and the stretch ends.
struct Stretch<'o, O, F, J: ParallelIterator, W> {
    outer: &'o mut O,
    f: &'o F,
    front: Option<Stepped<J>>,
    nested: &'o mut Option<J>,
    worth: W,
}

impl<O, F, U, W> Iterator for Stretch<'_, O, F, U::Iter, W>
where
    O: Iterator,
    F: Fn(O::Item) -> U,
    U: IntoParallelIterator,
    W: Fn(&U::Iter) -> bool,
{
    type Item = U::Item;

    fn next(&mut self) -> Option<U::Item> {
        loop {
            if let Some(front) = &mut self.front {
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
            if (self.worth)(&inner) {
                *self.nested = Some(inner);
                return None;
            }
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
            if (self.worth)(&inner) {
                *self.nested = Some(inner);
                return acc;
            }
            acc = fold_whole(inner, acc, &mut g);
        }
        acc
    }
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
