//! Adaptors that turn each item into one item: [`Map`], [`Inspect`], [`Copied`],
//! [`Cloned`]. Each wraps the base's piece iterator in the std adaptor of the same name, and
//! keeps the base indexed if it was.

use std::fmt;

use crate::iter::drive::{Config, Consumer, FirstBlock, drive};
use crate::iter::sealed::Sealed;
use crate::iter::through::{Cloning, Copying, InspectWith, MapWith, Through};
use crate::iter::{IndexedParallelIterator, ParallelIterator};

/// The parallel iterator of [`ParallelIterator::map`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::Map<_, _> = (0..3u32).into_par_iter().map(|x| x + 1);
/// assert_eq!(it.collect::<Vec<_>>(), [1, 2, 3]);
/// ```
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
#[derive(Clone)]
pub struct Map<I, F> {
    base: I,
    f: F,
}

impl<I, F> Map<I, F> {
    pub(crate) fn new(base: I, f: F) -> Self {
        Map { base, f }
    }
}

impl<I: fmt::Debug, F> fmt::Debug for Map<I, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl<I, F> Sealed for Map<I, F> {}

impl<I, F, R> ParallelIterator for Map<I, F>
where
    I: ParallelIterator,
    F: Fn(I::Item) -> R + Sync + Send,
    R: Send,
{
    type Item = R;
    type State = I::State;
    type Piece<'p>
        = std::iter::Map<I::Piece<'p>, &'p F>
    where
        Self: 'p;
    type Flush<'p>
        = std::iter::Map<I::Flush<'p>, &'p F>
    where
        Self: 'p;
    const INDEXED: bool = I::INDEXED;
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
        unsafe { self.base.piece(state, start, end) }.map(&self.f)
    }

    /// The base's drive, with this map before the consumer.
    fn drive_nested<C: Consumer<R>>(&self, consumer: &C) -> C::Acc {
        drive(&self.base, &Through::new(consumer, MapWith(&self.f)))
    }

    #[inline]
    fn flush<'p>(&'p self, state: I::State) -> Self::Flush<'p> {
        self.base.flush(state).map(&self.f)
    }

    #[inline]
    fn dry_from(&self, start: usize) -> bool {
        self.base.dry_from(start)
    }

    #[inline]
    fn dry_within(&self, start: usize, end: usize) -> bool {
        self.base.dry_within(start, end)
    }

    #[inline]
    fn live_from(&self, start: usize) -> usize {
        self.base.live_from(start)
    }

    #[inline]
    fn cut_after(&self, start: usize) -> usize {
        self.base.cut_after(start)
    }

    #[inline]
    fn seam_before(&self, end: usize) -> usize {
        self.base.seam_before(end)
    }

    /// The base's search, with this map before `g`: so a `flat_map` under a `map` still
    /// searches its inner iterators from their ends.
    fn search_last<T, G>(self, g: G, first: FirstBlock) -> Option<T>
    where
        G: Fn(R) -> Option<T> + Sync + Send,
        T: Send,
    {
        let f = self.f;
        self.base.search_last(move |item| g(f(item)), first)
    }
}

impl<I, F, R> IndexedParallelIterator for Map<I, F>
where
    I: IndexedParallelIterator,
    F: Fn(I::Item) -> R + Sync + Send,
    R: Send,
{
    type RevPiece<'p>
        = std::iter::Map<I::RevPiece<'p>, &'p F>
    where
        Self: 'p;

    #[inline]
    unsafe fn rev_piece<'p>(
        &'p self,
        state: &'p mut I::State,
        start: usize,
        end: usize,
    ) -> Self::RevPiece<'p> {
        // SAFETY: forwarded: the caller's promise is the one the base needs.
        unsafe { self.base.rev_piece(state, start, end) }.map(&self.f)
    }
}

/// The parallel iterator of [`ParallelIterator::inspect`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::Inspect<_, _> = (0..3u32).into_par_iter().inspect(|x| assert!(*x < 3));
/// assert_eq!(it.count(), 3);
/// ```
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
#[derive(Clone)]
pub struct Inspect<I, F> {
    base: I,
    f: F,
}

impl<I, F> Inspect<I, F> {
    pub(crate) fn new(base: I, f: F) -> Self {
        Inspect { base, f }
    }
}

impl<I: fmt::Debug, F> fmt::Debug for Inspect<I, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inspect")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl<I, F> Sealed for Inspect<I, F> {}

impl<I, F> ParallelIterator for Inspect<I, F>
where
    I: ParallelIterator,
    F: Fn(&I::Item) + Sync + Send,
{
    type Item = I::Item;
    type State = I::State;
    type Piece<'p>
        = std::iter::Inspect<I::Piece<'p>, &'p F>
    where
        Self: 'p;
    type Flush<'p>
        = std::iter::Inspect<I::Flush<'p>, &'p F>
    where
        Self: 'p;
    const INDEXED: bool = I::INDEXED;
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
        unsafe { self.base.piece(state, start, end) }.inspect(&self.f)
    }

    #[inline]
    fn flush<'p>(&'p self, state: I::State) -> Self::Flush<'p> {
        self.base.flush(state).inspect(&self.f)
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
        drive(&self.base, &Through::new(consumer, InspectWith(&self.f)))
    }
}

impl<I, F> IndexedParallelIterator for Inspect<I, F>
where
    I: IndexedParallelIterator,
    F: Fn(&I::Item) + Sync + Send,
{
    type RevPiece<'p>
        = std::iter::Inspect<I::RevPiece<'p>, &'p F>
    where
        Self: 'p;

    #[inline]
    unsafe fn rev_piece<'p>(
        &'p self,
        state: &'p mut I::State,
        start: usize,
        end: usize,
    ) -> Self::RevPiece<'p> {
        // SAFETY: forwarded: the caller's promise is the one the base needs.
        unsafe { self.base.rev_piece(state, start, end) }.inspect(&self.f)
    }
}

/// The parallel iterator of [`ParallelIterator::copied`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::Copied<_> = [1, 2].par_iter().copied();
/// assert_eq!(it.sum::<i32>(), 3);
/// ```
#[derive(Clone, Debug)]
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
pub struct Copied<I> {
    base: I,
}

impl<I> Copied<I> {
    pub(crate) fn new(base: I) -> Self {
        Copied { base }
    }
}

impl<I> Sealed for Copied<I> {}

impl<'a, T, I> ParallelIterator for Copied<I>
where
    I: ParallelIterator<Item = &'a T>,
    T: 'a + Copy + Send + Sync,
{
    type Item = T;
    type State = I::State;
    type Piece<'p>
        = std::iter::Copied<I::Piece<'p>>
    where
        Self: 'p;
    type Flush<'p>
        = std::iter::Copied<I::Flush<'p>>
    where
        Self: 'p;
    const INDEXED: bool = I::INDEXED;
    const FLUSHES: bool = I::FLUSHES;
    const CUTS_SHORT: bool = I::CUTS_SHORT;
    const BOUNDLESS: bool = I::BOUNDLESS;
    const CLOSES: bool = I::CLOSES;
    const NESTS: bool = I::NESTS;
    // Copying has no effect but the copy.
    const PURE: bool = I::PURE;

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
        unsafe { self.base.piece(state, start, end) }.copied()
    }

    #[inline]
    fn flush<'p>(&'p self, state: I::State) -> Self::Flush<'p> {
        self.base.flush(state).copied()
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

    fn drive_nested<C: Consumer<T>>(&self, consumer: &C) -> C::Acc {
        drive(&self.base, &Through::new(consumer, Copying))
    }
}

impl<'a, T, I> IndexedParallelIterator for Copied<I>
where
    I: IndexedParallelIterator<Item = &'a T>,
    T: 'a + Copy + Send + Sync,
{
    type RevPiece<'p>
        = std::iter::Copied<I::RevPiece<'p>>
    where
        Self: 'p;

    #[inline]
    unsafe fn rev_piece<'p>(
        &'p self,
        state: &'p mut I::State,
        start: usize,
        end: usize,
    ) -> Self::RevPiece<'p> {
        // SAFETY: forwarded: the caller's promise is the one the base needs.
        unsafe { self.base.rev_piece(state, start, end) }.copied()
    }
}

/// The parallel iterator of [`ParallelIterator::cloned`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let v = vec![String::from("x")];
/// let it: brigade::iter::Cloned<_> = v.par_iter().cloned();
/// assert_eq!(it.collect::<Vec<String>>(), v);
/// ```
#[derive(Clone, Debug)]
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
pub struct Cloned<I> {
    base: I,
}

impl<I> Cloned<I> {
    pub(crate) fn new(base: I) -> Self {
        Cloned { base }
    }
}

impl<I> Sealed for Cloned<I> {}

impl<'a, T, I> ParallelIterator for Cloned<I>
where
    I: ParallelIterator<Item = &'a T>,
    T: 'a + Clone + Send + Sync,
{
    type Item = T;
    type State = I::State;
    type Piece<'p>
        = std::iter::Cloned<I::Piece<'p>>
    where
        Self: 'p;
    type Flush<'p>
        = std::iter::Cloned<I::Flush<'p>>
    where
        Self: 'p;
    const INDEXED: bool = I::INDEXED;
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
        unsafe { self.base.piece(state, start, end) }.cloned()
    }

    #[inline]
    fn flush<'p>(&'p self, state: I::State) -> Self::Flush<'p> {
        self.base.flush(state).cloned()
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

    fn drive_nested<C: Consumer<T>>(&self, consumer: &C) -> C::Acc {
        drive(&self.base, &Through::new(consumer, Cloning))
    }
}

impl<'a, T, I> IndexedParallelIterator for Cloned<I>
where
    I: IndexedParallelIterator<Item = &'a T>,
    T: 'a + Clone + Send + Sync,
{
    type RevPiece<'p>
        = std::iter::Cloned<I::RevPiece<'p>>
    where
        Self: 'p;

    #[inline]
    unsafe fn rev_piece<'p>(
        &'p self,
        state: &'p mut I::State,
        start: usize,
        end: usize,
    ) -> Self::RevPiece<'p> {
        // SAFETY: forwarded: the caller's promise is the one the base needs.
        unsafe { self.base.rev_piece(state, start, end) }.cloned()
    }
}
