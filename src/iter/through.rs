//! The consumer an adaptor over a `flat_map` passes on when the drive goes down to the
//! `flat_map`'s base (`ParallelIterator::drive_nested`, `flat_map/nest.rs`): the consumer
//! behind the adaptor, with the adaptor's work on each item before it. The adaptors whose
//! pieces wrap their base's in a std adaptor with no state (`map`, `inspect`, `copied`,
//! `cloned`, `filter`, `filter_map`, `flat_map_iter` and `flatten_iter`) pass [`Through`]
//! with a [`Stream`]; the two whose
//! state lives as long as a chain of pieces (`drive.rs`) carry that state in the
//! consumer's result instead, across the feeds and reduces of the chain: [`Folding`]
//! (`fold`, and so `fold_with`, `try_fold`, `try_fold_with`) and [`WithValue`]
//! (`map_init`, and so `map_with`, `for_each_init`, `for_each_with`).

use std::ops::Range;

use crate::iter::drive::Consumer;
use crate::iter::fold::fold_out_of_line;

/// What an adaptor does to the stream of items it passes on.
pub(crate) trait Stream<T>: Sync {
    type Out;
    fn stream<I: Iterator<Item = T>>(&self, items: I) -> impl Iterator<Item = Self::Out>;
}

/// `consumer`, fed the items of the adaptor's base through `stream`.
pub(crate) struct Through<'a, C, S> {
    consumer: &'a C,
    stream: S,
}

impl<'a, C, S> Through<'a, C, S> {
    #[inline]
    pub(crate) fn new(consumer: &'a C, stream: S) -> Self {
        Through { consumer, stream }
    }
}

impl<T, C, S> Consumer<T> for Through<'_, C, S>
where
    S: Stream<T>,
    C: Consumer<S::Out>,
{
    type Acc = C::Acc;

    #[inline]
    fn identity(&self) -> C::Acc {
        self.consumer.identity()
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, acc: C::Acc, at: Range<usize>, items: I) -> C::Acc {
        self.consumer.feed(acc, at, self.stream.stream(items))
    }

    #[inline]
    fn reduce(&self, left: C::Acc, right: C::Acc) -> C::Acc {
        self.consumer.reduce(left, right)
    }
}

/// `map`.
pub(crate) struct MapWith<'a, F>(pub(crate) &'a F);

impl<T, R, F: Fn(T) -> R + Sync> Stream<T> for MapWith<'_, F> {
    type Out = R;
    #[inline]
    fn stream<I: Iterator<Item = T>>(&self, items: I) -> impl Iterator<Item = R> {
        items.map(self.0)
    }
}

/// `inspect`.
pub(crate) struct InspectWith<'a, F>(pub(crate) &'a F);

impl<T, F: Fn(&T) + Sync> Stream<T> for InspectWith<'_, F> {
    type Out = T;
    #[inline]
    fn stream<I: Iterator<Item = T>>(&self, items: I) -> impl Iterator<Item = T> {
        items.inspect(self.0)
    }
}

/// `filter`.
pub(crate) struct FilterWith<'a, P>(pub(crate) &'a P);

impl<T, P: Fn(&T) -> bool + Sync> Stream<T> for FilterWith<'_, P> {
    type Out = T;
    #[inline]
    fn stream<I: Iterator<Item = T>>(&self, items: I) -> impl Iterator<Item = T> {
        items.filter(self.0)
    }
}

/// `filter_map`.
pub(crate) struct FilterMapWith<'a, F>(pub(crate) &'a F);

impl<T, R, F: Fn(T) -> Option<R> + Sync> Stream<T> for FilterMapWith<'_, F> {
    type Out = R;
    #[inline]
    fn stream<I: Iterator<Item = T>>(&self, items: I) -> impl Iterator<Item = R> {
        items.filter_map(self.0)
    }
}

/// `flat_map_iter`.
pub(crate) struct FlatMapIterWith<'a, F>(pub(crate) &'a F);

impl<T, U, F> Stream<T> for FlatMapIterWith<'_, F>
where
    U: IntoIterator,
    F: Fn(T) -> U + Sync,
{
    type Out = U::Item;
    #[inline]
    fn stream<I: Iterator<Item = T>>(&self, items: I) -> impl Iterator<Item = U::Item> {
        items.flat_map(self.0)
    }
}

/// `flatten_iter`.
pub(crate) struct Flattening;

impl<T: IntoIterator> Stream<T> for Flattening {
    type Out = T::Item;
    #[inline]
    fn stream<I: Iterator<Item = T>>(&self, items: I) -> impl Iterator<Item = T::Item> {
        items.flatten()
    }
}

/// `copied`.
pub(crate) struct Copying;

impl<'a, T: 'a + Copy + Sync> Stream<&'a T> for Copying {
    type Out = T;
    #[inline]
    fn stream<I: Iterator<Item = &'a T>>(&self, items: I) -> impl Iterator<Item = T> {
        items.copied()
    }
}

/// `cloned`.
pub(crate) struct Cloning;

impl<'a, T: 'a + Clone + Sync> Stream<&'a T> for Cloning {
    type Out = T;
    #[inline]
    fn stream<I: Iterator<Item = &'a T>>(&self, items: I) -> impl Iterator<Item = T> {
        items.cloned()
    }
}

/// `fold`: `consumer`, fed one accumulator per chain, as the pieces of a `Fold` make them
/// (`fold.rs`). The chain's accumulator stays open in the result, with the base indices its
/// items came from, while feeds add to it; it goes to `consumer` when a chain to its right
/// is reduced onto it, or at the end ([`close`](Self::close)). An empty chain makes none.
pub(crate) struct Folding<'a, C, ID, F> {
    consumer: &'a C,
    identity: &'a ID,
    fold: &'a F,
}

impl<'a, C, ID, F> Folding<'a, C, ID, F> {
    #[inline]
    pub(crate) fn new(consumer: &'a C, identity: &'a ID, fold: &'a F) -> Self {
        Folding {
            consumer,
            identity,
            fold,
        }
    }

    /// `acc` with the open accumulator, if any, fed to `consumer` after its items.
    #[inline]
    pub(crate) fn close<A>(&self, acc: C::Acc, open: Option<(A, Range<usize>)>) -> C::Acc
    where
        C: Consumer<A>,
    {
        match open {
            Some((a, at)) => self.consumer.feed(acc, at, std::iter::once(a)),
            None => acc,
        }
    }
}

impl<T, A, C, ID, F> Consumer<T> for Folding<'_, C, ID, F>
where
    A: Send,
    C: Consumer<A>,
    ID: Fn() -> A + Sync,
    F: Fn(A, T) -> A + Sync,
{
    /// What `consumer` holds, then the open accumulator and the indices of its items.
    type Acc = (C::Acc, Option<(A, Range<usize>)>);

    #[inline]
    fn identity(&self) -> Self::Acc {
        (self.consumer.identity(), None)
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(
        &self,
        (acc, open): Self::Acc,
        at: Range<usize>,
        mut items: I,
    ) -> Self::Acc {
        let (a, from) = match open {
            Some((a, from)) => (a, from.start.min(at.start)..from.end.max(at.end)),
            None => match items.next() {
                Some(first) => ((self.fold)((self.identity)(), first), at),
                None => return (acc, None),
            },
        };
        (acc, Some((fold_out_of_line(items, a, self.fold), from)))
    }

    #[inline]
    fn reduce(&self, (left, open): Self::Acc, (right, right_open): Self::Acc) -> Self::Acc {
        // The left chain's accumulator comes before every item on the right.
        let left = self.close(left, open);
        (self.consumer.reduce(left, right), right_open)
    }
}

/// `map_init`: `consumer`, fed `f(&mut value, item)` for each item, with one value from
/// `init` per chain, kept in the result across its feeds (as a `MapInit` keeps it in the
/// chain's state, `map_init.rs`). Of two chains reduced, the right one's value goes on, so
/// each value is lent to consecutive items.
pub(crate) struct WithValue<'a, C, INIT, F> {
    consumer: &'a C,
    init: &'a INIT,
    f: &'a F,
}

impl<'a, C, INIT, F> WithValue<'a, C, INIT, F> {
    #[inline]
    pub(crate) fn new(consumer: &'a C, init: &'a INIT, f: &'a F) -> Self {
        WithValue { consumer, init, f }
    }
}

impl<T, V, R, C, INIT, F> Consumer<T> for WithValue<'_, C, INIT, F>
where
    V: Send,
    C: Consumer<R>,
    INIT: Fn() -> V + Sync,
    F: Fn(&mut V, T) -> R + Sync,
{
    /// What `consumer` holds, and the chain's value once a feed has made it.
    type Acc = (C::Acc, Option<V>);

    #[inline]
    fn identity(&self) -> Self::Acc {
        (self.consumer.identity(), None)
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(
        &self,
        (acc, mut value): Self::Acc,
        at: Range<usize>,
        items: I,
    ) -> Self::Acc {
        let v = value.get_or_insert_with(self.init);
        let acc = self
            .consumer
            .feed(acc, at, items.map(|item| (self.f)(v, item)));
        (acc, value)
    }

    #[inline]
    fn reduce(&self, (left, value): Self::Acc, (right, right_value): Self::Acc) -> Self::Acc {
        // The right chain's value goes on: the items fed next follow the right chain's
        // (the left one's, lent again after the items of a nested loop, covered two runs
        // that are not consecutive).
        (self.consumer.reduce(left, right), right_value.or(value))
    }
}
