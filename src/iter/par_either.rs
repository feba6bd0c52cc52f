//! `Either` of two parallel iterators with the same items is one, as in rayon: a function
//! can return one of two iterator types (`if c { Left(a) } else { Right(b) }`) and its
//! caller drives whichever it got. And `Either` of two collections extends the one it holds.
//!
//! Every hidden method forwards to the side that is there. The flags that a type must know
//! before it has a value hold for both sides: indexed only if both are, flushing or
//! boundless if either is (the driver then takes the general path, which is right for the
//! other side too).

use either::Either::{self, Left, Right};

use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::iter::{
    IndexedParallelIterator, IntoParallelIterator, ParallelExtend, ParallelIterator,
};

impl<L, R> Sealed for Either<L, R> {}

/// # Examples
///
/// ```
/// use brigade::iter::Either;
/// use brigade::prelude::*;
///
/// fn evens_or_all(v: &[u32], evens: bool) -> impl ParallelIterator<Item = &u32> {
///     if evens {
///         Either::Left(v.par_iter().filter(|x| *x % 2 == 0))
///     } else {
///         Either::Right(v.par_iter())
///     }
/// }
/// let v: Vec<u32> = (0..10).collect();
/// assert_eq!(evens_or_all(&v, true).count(), 5);
/// assert_eq!(evens_or_all(&v, false).sum::<u32>(), 45);
/// ```
impl<L, R> ParallelIterator for Either<L, R>
where
    L: ParallelIterator,
    R: ParallelIterator<Item = L::Item>,
{
    type Item = L::Item;
    type State = Either<L::State, R::State>;
    type Piece<'p>
        = Either<L::Piece<'p>, R::Piece<'p>>
    where
        Self: 'p;
    type Flush<'p>
        = Either<L::Flush<'p>, R::Flush<'p>>
    where
        Self: 'p;
    const INDEXED: bool = L::INDEXED && R::INDEXED;
    const FLUSHES: bool = L::FLUSHES || R::FLUSHES;
    const CUTS_SHORT: bool = L::CUTS_SHORT || R::CUTS_SHORT;
    const BOUNDLESS: bool = L::BOUNDLESS || R::BOUNDLESS;
    const CLOSES: bool = L::CLOSES || R::CLOSES;
    const PURE: bool = L::PURE && R::PURE;

    #[inline]
    fn base_len(&self) -> usize {
        match self {
            Left(l) => l.base_len(),
            Right(r) => r.base_len(),
        }
    }

    #[inline]
    fn config(&self) -> Config {
        match self {
            Left(l) => l.config(),
            Right(r) => r.config(),
        }
    }

    #[inline]
    fn state(&self) -> Self::State {
        match self {
            Left(l) => Left(l.state()),
            Right(r) => Right(r.state()),
        }
    }

    #[inline]
    unsafe fn piece<'p>(
        &'p self,
        state: &'p mut Self::State,
        start: usize,
        end: usize,
    ) -> Self::Piece<'p> {
        match (self, state) {
            // SAFETY: the caller's promise, forwarded to the side that is there.
            (Left(l), Left(s)) => Left(unsafe { l.piece(s, start, end) }),
            // SAFETY: as above.
            (Right(r), Right(s)) => Right(unsafe { r.piece(s, start, end) }),
            _ => mismatched(),
        }
    }

    #[inline]
    fn flush<'p>(&'p self, state: Self::State) -> Self::Flush<'p> {
        match (self, state) {
            (Left(l), Left(s)) => Left(l.flush(s)),
            (Right(r), Right(s)) => Right(r.flush(s)),
            _ => mismatched(),
        }
    }

    #[inline]
    fn dry_from(&self, start: usize) -> bool {
        match self {
            Left(l) => l.dry_from(start),
            Right(r) => r.dry_from(start),
        }
    }
}

/// # Examples
///
/// ```
/// use brigade::iter::Either;
/// use brigade::prelude::*;
///
/// let v: Vec<u32> = (0..6).collect();
/// let it = if v.len() > 3 { Either::Left(v.par_iter().rev()) } else { Either::Right(v.par_iter()) };
/// assert_eq!(it.len(), 6);
/// assert_eq!(it.collect::<Vec<_>>(), [&5, &4, &3, &2, &1, &0]);
/// ```
impl<L, R> IndexedParallelIterator for Either<L, R>
where
    L: IndexedParallelIterator,
    R: IndexedParallelIterator<Item = L::Item>,
{
    type RevPiece<'p>
        = Either<L::RevPiece<'p>, R::RevPiece<'p>>
    where
        Self: 'p;

    #[inline]
    unsafe fn rev_piece<'p>(
        &'p self,
        state: &'p mut Self::State,
        start: usize,
        end: usize,
    ) -> Self::RevPiece<'p> {
        match (self, state) {
            // SAFETY: the caller's promise, forwarded to the side that is there.
            (Left(l), Left(s)) => Left(unsafe { l.rev_piece(s, start, end) }),
            // SAFETY: as above.
            (Right(r), Right(s)) => Right(unsafe { r.rev_piece(s, start, end) }),
            _ => mismatched(),
        }
    }
}

/// A chain's state always comes from [`ParallelIterator::state`] of the same iterator.
#[cold]
#[inline(never)]
fn mismatched() -> ! {
    unreachable!("a chain's state is of the side its iterator holds")
}

/// # Examples
///
/// ```
/// use brigade::iter::Either;
/// use brigade::prelude::*;
///
/// let mut into: Either<Vec<u32>, std::collections::BTreeSet<u32>> = Either::Left(vec![9]);
/// into.par_extend((0..3u32).into_par_iter());
/// assert_eq!(into, Either::Left(vec![9, 0, 1, 2]));
/// ```
impl<L, R, T> ParallelExtend<T> for Either<L, R>
where
    L: ParallelExtend<T>,
    R: ParallelExtend<T>,
    T: Send,
{
    fn par_extend<I>(&mut self, par_iter: I)
    where
        I: IntoParallelIterator<Item = T>,
    {
        match self {
            Left(l) => l.par_extend(par_iter),
            Right(r) => r.par_extend(par_iter),
        }
    }
}
