//! [`MapInit`]: `map` with a value made by `init()` once per chain of pieces (`drive.rs`),
//! kept in the chain's state.

use std::fmt;
use std::marker::PhantomData;

use crate::iter::drive::{Config, Consumer, drive};
use crate::iter::sealed::Sealed;
use crate::iter::through::WithValue;
use crate::iter::{IndexedParallelIterator, ParallelIterator};

/// The parallel iterator of [`ParallelIterator::map_init`]. `T` is the type of the value
/// `init` makes (rayon's `MapInit` has no such parameter; brigade needs it to lend the
/// value to each piece).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::MapInit<_, _, _, u32> =
///     (0..4u32).into_par_iter().map_init(|| 10, |ten, x| x * *ten);
/// assert_eq!(it.collect::<Vec<_>>(), [0, 10, 20, 30]);
/// ```
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
#[derive(Clone)]
pub struct MapInit<I, INIT, F, T> {
    base: I,
    init: INIT,
    f: F,
    _value: PhantomData<fn() -> T>,
}

impl<I, INIT, F, T> MapInit<I, INIT, F, T> {
    pub(crate) fn new(base: I, init: INIT, f: F) -> Self {
        MapInit {
            base,
            init,
            f,
            _value: PhantomData,
        }
    }
}

impl<I: fmt::Debug, INIT, F, T> fmt::Debug for MapInit<I, INIT, F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapInit")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl<I, INIT, F, T> Sealed for MapInit<I, INIT, F, T> {}

impl<I, INIT, T, F, R> ParallelIterator for MapInit<I, INIT, F, T>
where
    I: ParallelIterator,
    INIT: Fn() -> T + Sync + Send,
    T: Send,
    F: Fn(&mut T, I::Item) -> R + Sync + Send,
    R: Send,
{
    type Item = R;
    /// The base's state, and the chain's value once a piece has run.
    type State = (I::State, Option<T>);
    type Piece<'p>
        = MapInitPiece<I::Piece<'p>, &'p mut T, &'p F>
    where
        Self: 'p;
    type Flush<'p>
        = MapInitFlush<I::Flush<'p>, T, &'p INIT, &'p F>
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
    fn state(&self) -> Self::State {
        (self.base.state(), None)
    }

    #[inline]
    unsafe fn piece<'p>(
        &'p self,
        state: &'p mut Self::State,
        start: usize,
        end: usize,
    ) -> Self::Piece<'p> {
        let (base, value) = state;
        MapInitPiece {
            // SAFETY: forwarded: the caller's promise is the one the base needs.
            items: unsafe { self.base.piece(base, start, end) },
            value: value.get_or_insert_with(&self.init),
            f: &self.f,
        }
    }

    #[inline]
    fn flush<'p>(&'p self, (base, value): Self::State) -> Self::Flush<'p> {
        MapInitFlush {
            items: self.base.flush(base),
            value,
            init: &self.init,
            f: &self.f,
        }
    }

    /// The base's drive, with this map and one value per chain before the consumer.
    fn drive_nested<C: Consumer<R>>(&self, consumer: &C) -> C::Acc {
        drive(&self.base, &WithValue::new(consumer, &self.init, &self.f)).0
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

impl<I, INIT, T, F, R> IndexedParallelIterator for MapInit<I, INIT, F, T>
where
    I: IndexedParallelIterator,
    INIT: Fn() -> T + Sync + Send,
    T: Send,
    F: Fn(&mut T, I::Item) -> R + Sync + Send,
    R: Send,
{
    type RevPiece<'p>
        = MapInitPiece<I::RevPiece<'p>, &'p mut T, &'p F>
    where
        Self: 'p;

    #[inline]
    unsafe fn rev_piece<'p>(
        &'p self,
        state: &'p mut Self::State,
        start: usize,
        end: usize,
    ) -> Self::RevPiece<'p> {
        let (base, value) = state;
        MapInitPiece {
            // SAFETY: forwarded: the caller's promise is the one the base needs.
            items: unsafe { self.base.rev_piece(base, start, end) },
            value: value.get_or_insert_with(&self.init),
            f: &self.f,
        }
    }
}

/// A piece of a [`MapInit`]: `f(value, item)` for its items.
#[doc(hidden)]
#[derive(Debug)]
pub struct MapInitPiece<P, V, F> {
    items: P,
    value: V,
    f: F,
}

impl<P, T, F, R> Iterator for MapInitPiece<P, &mut T, &F>
where
    P: Iterator,
    F: Fn(&mut T, P::Item) -> R,
{
    type Item = R;

    #[inline]
    fn next(&mut self) -> Option<R> {
        let x = self.items.next()?;
        Some((self.f)(self.value, x))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.items.size_hint()
    }
}

/// The flush of a [`MapInit`]: `f(value, item)` for what the base's flush yields, with the
/// chain's value (made now if no piece made it).
#[doc(hidden)]
#[derive(Debug)]
pub struct MapInitFlush<P, T, INIT, F> {
    items: P,
    value: Option<T>,
    init: INIT,
    f: F,
}

impl<P, T, INIT, F, R> Iterator for MapInitFlush<P, T, &INIT, &F>
where
    P: Iterator,
    INIT: Fn() -> T,
    F: Fn(&mut T, P::Item) -> R,
{
    type Item = R;

    #[inline]
    fn next(&mut self) -> Option<R> {
        let x = self.items.next()?;
        Some((self.f)(self.value.get_or_insert_with(self.init), x))
    }
}
