//! Adaptors that yield any number of items per base item: [`Filter`], [`FilterMap`],
//! [`FlatMapIter`], [`FlattenIter`]. Their pieces are the base's pieces through the std adaptor of the same
//! name; they are not indexed (the count of items per piece is unknown until it runs).

use std::fmt;
use std::ops::ControlFlow;

use crate::iter::ParallelIterator;
use crate::iter::drive::{Config, Consumer, drive};
use crate::iter::sealed::Sealed;
use crate::iter::stop;
use crate::iter::through::{FilterMapWith, FilterWith, FlatMapIterWith, Flattening, Through};

/// The parallel iterator of [`ParallelIterator::filter`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::Filter<_, _> = (0..10u32).into_par_iter().filter(|x| x % 5 == 0);
/// assert_eq!(it.collect::<Vec<_>>(), [0, 5]);
/// ```
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
#[derive(Clone)]
pub struct Filter<I, P> {
    base: I,
    predicate: P,
}

impl<I, P> Filter<I, P> {
    pub(crate) fn new(base: I, predicate: P) -> Self {
        Filter { base, predicate }
    }
}

impl<I: fmt::Debug, P> fmt::Debug for Filter<I, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Filter")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl<I, P> Sealed for Filter<I, P> {}

impl<I, P> ParallelIterator for Filter<I, P>
where
    I: ParallelIterator,
    P: Fn(&I::Item) -> bool + Sync + Send,
{
    type Item = I::Item;
    type State = I::State;
    type Piece<'p>
        = Sifted<I::Piece<'p>, Keep<'p, P>>
    where
        Self: 'p;
    type Flush<'p>
        = std::iter::Filter<I::Flush<'p>, &'p P>
    where
        Self: 'p;
    const INDEXED: bool = false;
    const FLUSHES: bool = I::FLUSHES;
    const CUTS_SHORT: bool = true;
    const BOUNDLESS: bool = I::BOUNDLESS;
    const CLOSES: bool = I::CLOSES;
    const NESTS: bool = I::NESTS;

    #[inline]
    fn base_len(&self) -> usize {
        self.base.base_len()
    }

    #[inline]
    fn config(&self) -> Config {
        self.base.config()
    }

    #[inline]
    fn state(&self) -> I::State {
        self.base.state()
    }

    #[inline]
    unsafe fn piece<'p>(
        &'p self,
        state: &'p mut I::State,
        start: usize,
        end: usize,
    ) -> Self::Piece<'p> {
        // SAFETY: forwarded: the caller's promise is the one the base needs.
        Sifted::new(
            unsafe { self.base.piece(state, start, end) },
            Keep(&self.predicate),
            !I::CLOSES,
        )
    }

    #[inline]
    fn flush<'p>(&'p self, state: I::State) -> Self::Flush<'p> {
        self.base.flush(state).filter(&self.predicate)
    }

    #[inline]
    fn dry_from(&self, start: usize) -> bool {
        self.base.dry_from(start)
    }

    #[inline]
    fn cut_after(&self, start: usize) -> usize {
        self.base.cut_after(start)
    }

    #[inline]
    fn seam_before(&self, end: usize) -> usize {
        self.base.seam_before(end)
    }

    fn drive_nested<C: Consumer<I::Item>>(&self, consumer: &C) -> C::Acc {
        drive(
            &self.base,
            &Through::new(consumer, FilterWith(&self.predicate)),
        )
    }
}

/// The parallel iterator of [`ParallelIterator::filter_map`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::FilterMap<_, _> = (0..10u32).into_par_iter().filter_map(|x| x.checked_sub(8));
/// assert_eq!(it.collect::<Vec<_>>(), [0, 1]);
/// ```
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
#[derive(Clone)]
pub struct FilterMap<I, F> {
    base: I,
    f: F,
}

impl<I, F> FilterMap<I, F> {
    pub(crate) fn new(base: I, f: F) -> Self {
        FilterMap { base, f }
    }
}

impl<I: fmt::Debug, F> fmt::Debug for FilterMap<I, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilterMap")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl<I, F> Sealed for FilterMap<I, F> {}

impl<I, F, R> ParallelIterator for FilterMap<I, F>
where
    I: ParallelIterator,
    F: Fn(I::Item) -> Option<R> + Sync + Send,
    R: Send,
{
    type Item = R;
    type State = I::State;
    type Piece<'p>
        = Sifted<I::Piece<'p>, &'p F>
    where
        Self: 'p;
    type Flush<'p>
        = std::iter::FilterMap<I::Flush<'p>, &'p F>
    where
        Self: 'p;
    const INDEXED: bool = false;
    const FLUSHES: bool = I::FLUSHES;
    const CUTS_SHORT: bool = true;
    const BOUNDLESS: bool = I::BOUNDLESS;
    const CLOSES: bool = I::CLOSES;
    const NESTS: bool = I::NESTS;

    #[inline]
    fn base_len(&self) -> usize {
        self.base.base_len()
    }

    #[inline]
    fn config(&self) -> Config {
        self.base.config()
    }

    #[inline]
    fn state(&self) -> I::State {
        self.base.state()
    }

    #[inline]
    unsafe fn piece<'p>(
        &'p self,
        state: &'p mut I::State,
        start: usize,
        end: usize,
    ) -> Self::Piece<'p> {
        // SAFETY: forwarded: the caller's promise is the one the base needs.
        Sifted::new(
            unsafe { self.base.piece(state, start, end) },
            &self.f,
            !I::CLOSES,
        )
    }

    #[inline]
    fn flush<'p>(&'p self, state: I::State) -> Self::Flush<'p> {
        self.base.flush(state).filter_map(&self.f)
    }

    #[inline]
    fn dry_from(&self, start: usize) -> bool {
        self.base.dry_from(start)
    }

    #[inline]
    fn cut_after(&self, start: usize) -> usize {
        self.base.cut_after(start)
    }

    #[inline]
    fn seam_before(&self, end: usize) -> usize {
        self.base.seam_before(end)
    }

    fn drive_nested<C: Consumer<R>>(&self, consumer: &C) -> C::Acc {
        drive(&self.base, &Through::new(consumer, FilterMapWith(&self.f)))
    }
}

/// The parallel iterator of [`ParallelIterator::flat_map_iter`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::FlatMapIter<_, _> = ["ab", "c"].par_iter().flat_map_iter(|s| s.chars());
/// assert_eq!(it.collect::<String>(), "abc");
/// ```
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
#[derive(Clone)]
pub struct FlatMapIter<I, F> {
    base: I,
    f: F,
}

impl<I, F> FlatMapIter<I, F> {
    pub(crate) fn new(base: I, f: F) -> Self {
        FlatMapIter { base, f }
    }
}

impl<I: fmt::Debug, F> fmt::Debug for FlatMapIter<I, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlatMapIter")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl<I, F> Sealed for FlatMapIter<I, F> {}

impl<I, F, U> ParallelIterator for FlatMapIter<I, F>
where
    I: ParallelIterator,
    F: Fn(I::Item) -> U + Sync + Send,
    U: IntoIterator,
    U::Item: Send,
{
    type Item = U::Item;
    type State = I::State;
    type Piece<'p>
        = std::iter::FlatMap<I::Piece<'p>, U, &'p F>
    where
        Self: 'p;
    type Flush<'p>
        = std::iter::FlatMap<I::Flush<'p>, U, &'p F>
    where
        Self: 'p;
    const INDEXED: bool = false;
    const FLUSHES: bool = I::FLUSHES;
    const CUTS_SHORT: bool = I::CUTS_SHORT;
    const BOUNDLESS: bool = I::BOUNDLESS;
    const CLOSES: bool = I::CLOSES;
    const NESTS: bool = I::NESTS;

    #[inline]
    fn base_len(&self) -> usize {
        self.base.base_len()
    }

    #[inline]
    fn config(&self) -> Config {
        self.base.config()
    }

    #[inline]
    fn state(&self) -> I::State {
        self.base.state()
    }

    #[inline]
    unsafe fn piece<'p>(
        &'p self,
        state: &'p mut I::State,
        start: usize,
        end: usize,
    ) -> Self::Piece<'p> {
        // SAFETY: forwarded: the caller's promise is the one the base needs.
        unsafe { self.base.piece(state, start, end) }.flat_map(&self.f)
    }

    /// The base's drive, each item's serial iterator flattened into the consumer.
    fn drive_nested<C: Consumer<U::Item>>(&self, consumer: &C) -> C::Acc {
        drive(
            &self.base,
            &Through::new(consumer, FlatMapIterWith(&self.f)),
        )
    }

    #[inline]
    fn flush<'p>(&'p self, state: I::State) -> Self::Flush<'p> {
        self.base.flush(state).flat_map(&self.f)
    }

    #[inline]
    fn dry_from(&self, start: usize) -> bool {
        self.base.dry_from(start)
    }

    #[inline]
    fn cut_after(&self, start: usize) -> usize {
        self.base.cut_after(start)
    }

    #[inline]
    fn seam_before(&self, end: usize) -> usize {
        self.base.seam_before(end)
    }
}

/// The parallel iterator of [`ParallelIterator::flatten_iter`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let rows = vec![vec![1u8, 2], vec![], vec![3]];
/// let it: brigade::iter::FlattenIter<_> = rows.par_iter().flatten_iter();
/// assert_eq!(it.copied().collect::<Vec<_>>(), [1, 2, 3]);
/// ```
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
#[derive(Clone, Debug)]
pub struct FlattenIter<I> {
    base: I,
}

impl<I> FlattenIter<I> {
    pub(crate) fn new(base: I) -> Self {
        FlattenIter { base }
    }
}

impl<I> Sealed for FlattenIter<I> {}

impl<I> ParallelIterator for FlattenIter<I>
where
    I: ParallelIterator,
    I::Item: IntoIterator,
    <I::Item as IntoIterator>::Item: Send,
{
    type Item = <I::Item as IntoIterator>::Item;
    type State = I::State;
    type Piece<'p>
        = std::iter::Flatten<I::Piece<'p>>
    where
        Self: 'p;
    type Flush<'p>
        = std::iter::Flatten<I::Flush<'p>>
    where
        Self: 'p;
    const INDEXED: bool = false;
    const FLUSHES: bool = I::FLUSHES;
    const CUTS_SHORT: bool = I::CUTS_SHORT;
    const BOUNDLESS: bool = I::BOUNDLESS;
    const CLOSES: bool = I::CLOSES;
    const NESTS: bool = I::NESTS;

    #[inline]
    fn base_len(&self) -> usize {
        self.base.base_len()
    }

    #[inline]
    fn config(&self) -> Config {
        self.base.config()
    }

    #[inline]
    fn state(&self) -> I::State {
        self.base.state()
    }

    #[inline]
    unsafe fn piece<'p>(
        &'p self,
        state: &'p mut I::State,
        start: usize,
        end: usize,
    ) -> Self::Piece<'p> {
        // SAFETY: forwarded: the caller's promise is the one the base needs.
        unsafe { self.base.piece(state, start, end) }.flatten()
    }

    /// The base's drive, each item flattened into the consumer.
    fn drive_nested<C: Consumer<Self::Item>>(&self, consumer: &C) -> C::Acc {
        drive(&self.base, &Through::new(consumer, Flattening))
    }

    #[inline]
    fn flush<'p>(&'p self, state: I::State) -> Self::Flush<'p> {
        self.base.flush(state).flatten()
    }

    #[inline]
    fn dry_from(&self, start: usize) -> bool {
        self.base.dry_from(start)
    }

    #[inline]
    fn cut_after(&self, start: usize) -> usize {
        self.base.cut_after(start)
    }

    #[inline]
    fn seam_before(&self, end: usize) -> usize {
        self.base.seam_before(end)
    }
}

/// What a [`Sifted`] piece does with each item: keeps it (perhaps changed) or drops it.
#[doc(hidden)]
pub trait Sieve<T> {
    /// The items kept.
    type Out;
    /// The item to yield for `item`, if any.
    fn sift(&self, item: T) -> Option<Self::Out>;
}

/// The sieve of a [`Filter`]: its predicate.
#[doc(hidden)]
pub struct Keep<'p, P>(&'p P);

impl<P> fmt::Debug for Keep<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keep").finish_non_exhaustive()
    }
}

impl<T, P: Fn(&T) -> bool> Sieve<T> for Keep<'_, P> {
    type Out = T;
    #[inline]
    fn sift(&self, item: T) -> Option<T> {
        (self.0)(&item).then_some(item)
    }
}

impl<T, R, F: Fn(T) -> Option<R>> Sieve<T> for &F {
    type Out = R;
    #[inline]
    fn sift(&self, item: T) -> Option<R> {
        (*self)(item)
    }
}

/// A piece of a [`Filter`] or a [`FilterMap`]: the base piece's items through the sieve.
/// Stepped through (`next`, as the early exits do), it looks at the stop check every
/// `stop::CHECK_EVERY` items it drops, and ends there if the early exit has its answer:
/// the items it drops never reach the search's own check (see `stop.rs`).
#[doc(hidden)]
pub struct Sifted<I, S> {
    items: I,
    sieve: S,
    /// An early exit's stop check was in force when the piece was made (`stop::watched`):
    /// the piece runs inside it, so this holds for its whole life.
    watched: bool,
    /// No gate below: a closed loop ends the piece too (`stop::requested`).
    gates: bool,
    /// Drops left before the next look at the stop check.
    left: usize,
    /// The stop check said so: nothing more.
    cut: bool,
}

impl<I, S> fmt::Debug for Sifted<I, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sifted")
            .field("cut", &self.cut)
            .finish_non_exhaustive()
    }
}

impl<I, S> Sifted<I, S> {
    fn new(items: I, sieve: S, gates: bool) -> Self {
        Sifted {
            items,
            sieve,
            watched: stop::watched(),
            gates,
            left: stop::CHECK_EVERY,
            cut: false,
        }
    }
}

impl<I: Iterator, S: Sieve<I::Item>> Iterator for Sifted<I, S> {
    type Item = S::Out;

    /// The next kept item: the search loop below, with nothing to look for but the item.
    #[inline]
    fn next(&mut self) -> Option<S::Out> {
        self.find_map(Some)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (
            0,
            if self.cut {
                Some(0)
            } else {
                self.items.size_hint().1
            },
        )
    }

    /// As std's `Filter::count`: a sum of kept items, without a branch per item.
    #[inline]
    fn count(self) -> usize {
        if self.cut {
            return 0;
        }
        let sieve = self.sieve;
        self.items
            .map(|item| usize::from(sieve.sift(item).is_some()))
            .sum()
    }

    /// The searches' loop (`find.rs` `until`), and `next`'s: one loop over the base
    /// piece's own `try_fold`, with the stop check on the items the sieve rejects (`f`'s
    /// caller counts the others), instead of a call of `next` per kept item.
    #[inline]
    fn find_map<B, F>(&mut self, mut f: F) -> Option<B>
    where
        F: FnMut(S::Out) -> Option<B>,
    {
        if !self.watched {
            let sieve = &self.sieve;
            return self
                .items
                .find_map(|item| sieve.sift(item).and_then(&mut f));
        }
        if self.cut {
            return None;
        }
        let (sieve, gates) = (&self.sieve, self.gates);
        // The countdown in a local for the loop (kept in a register), written back after.
        let mut left = self.left;
        let found = self.items.try_fold((), |(), item| {
            if let Some(out) = sieve.sift(item) {
                return match f(out) {
                    Some(b) => ControlFlow::Break(Some(b)),
                    None => ControlFlow::Continue(()),
                };
            }
            left -= 1;
            if left == 0 {
                left = stop::CHECK_EVERY;
                if stop::requested(gates) {
                    return ControlFlow::Break(None);
                }
            }
            ControlFlow::Continue(())
        });
        self.left = left;
        match found {
            ControlFlow::Break(Some(b)) => Some(b),
            ControlFlow::Break(None) => {
                self.cut = true;
                None
            }
            ControlFlow::Continue(()) => None,
        }
    }

    /// Not an early exit's way through (those step): no stop check.
    #[inline]
    fn fold<B, F>(self, init: B, mut f: F) -> B
    where
        F: FnMut(B, S::Out) -> B,
    {
        if self.cut {
            return init;
        }
        let sieve = self.sieve;
        self.items
            .fold(init, move |acc, item| match sieve.sift(item) {
                Some(out) => f(acc, out),
                None => acc,
            })
    }
}
