//! The consumer an adaptor over a `flat_map` passes on when the drive goes down to the
//! `flat_map`'s base (`ParallelIterator::drive_nested`, `flat_map/nest.rs`): the consumer
//! behind the adaptor, with the adaptor's work on each item before it. Only the adaptors
//! whose pieces wrap their base's in a std adaptor, with no state, pass a drive on: `map`,
//! `inspect`, `copied`, `cloned`, `filter` and `filter_map`.

use std::ops::Range;

use crate::iter::drive::Consumer;

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
