//! [`Zip`]: the items of two indexed iterators side by side, as long as the shorter one. A
//! piece `start..end` is the two sources' pieces of the same indices, zipped.

use std::iter::Empty;

use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::iter::{IndexedParallelIterator, ParallelIterator};

/// The parallel iterator of [`IndexedParallelIterator::zip`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let a = [1, 2, 3];
/// let b = [10, 20];
/// let it: brigade::iter::Zip<_, _> = a.par_iter().zip(&b);
/// assert_eq!(it.map(|(x, y)| x * y).collect::<Vec<_>>(), [10, 40]);
/// ```
#[derive(Clone, Debug)]
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
pub struct Zip<A, B> {
    a: A,
    b: B,
}

impl<A, B> Zip<A, B> {
    pub(crate) fn new(a: A, b: B) -> Self {
        Zip { a, b }
    }
}

impl<A, B> Sealed for Zip<A, B> {}

impl<A, B> ParallelIterator for Zip<A, B>
where
    A: IndexedParallelIterator,
    B: IndexedParallelIterator,
{
    type Item = (A::Item, B::Item);
    type State = (A::State, B::State);
    type Piece<'p>
        = std::iter::Zip<A::Piece<'p>, B::Piece<'p>>
    where
        Self: 'p;
    // Indexed iterators never flush.
    type Flush<'p>
        = Empty<(A::Item, B::Item)>
    where
        Self: 'p;
    const INDEXED: bool = true;
    const FLUSHES: bool = false;
    const CUTS_SHORT: bool = false;
    const BOUNDLESS: bool = A::BOUNDLESS || B::BOUNDLESS;
    const CLOSES: bool = A::CLOSES || B::CLOSES;
    const PURE: bool = A::PURE && B::PURE;

    #[inline]
    fn base_len(&self) -> usize {
        self.a.base_len().min(self.b.base_len())
    }

    #[inline]
    fn config(&self) -> Config {
        self.a.config().and(self.b.config())
    }

    #[inline]
    fn state(&self) -> Self::State {
        (self.a.state(), self.b.state())
    }

    #[inline]
    unsafe fn piece<'p>(
        &'p self,
        state: &'p mut Self::State,
        start: usize,
        end: usize,
    ) -> Self::Piece<'p> {
        let (sa, sb) = state;
        // SAFETY: `end <= base_len()` is within both sides, and a piece of the zip asks each
        // side for the same indices once: the caller's promise is what each side needs.
        let (a, b) = unsafe { (self.a.piece(sa, start, end), self.b.piece(sb, start, end)) };
        a.zip(b)
    }

    #[inline]
    fn flush<'p>(&'p self, _: Self::State) -> Self::Flush<'p> {
        debug_assert!(
            !A::FLUSHES && !B::FLUSHES,
            "indexed iterators have nothing to flush"
        );
        std::iter::empty()
    }

    #[inline]
    fn dry_from(&self, start: usize) -> bool {
        self.a.dry_from(start) || self.b.dry_from(start)
    }

    #[inline]
    fn seam_before(&self, end: usize) -> usize {
        self.a.seam_before(end).max(self.b.seam_before(end))
    }
}

impl<A, B> IndexedParallelIterator for Zip<A, B>
where
    A: IndexedParallelIterator,
    B: IndexedParallelIterator,
{
    /// Both sides' pieces of the same indices hold as many items: reversed, they still
    /// pair up.
    type RevPiece<'p>
        = std::iter::Zip<A::RevPiece<'p>, B::RevPiece<'p>>
    where
        Self: 'p;

    #[inline]
    unsafe fn rev_piece<'p>(
        &'p self,
        state: &'p mut Self::State,
        start: usize,
        end: usize,
    ) -> Self::RevPiece<'p> {
        let (sa, sb) = state;
        // SAFETY: as in `piece`.
        let (a, b) = unsafe {
            (
                self.a.rev_piece(sa, start, end),
                self.b.rev_piece(sb, start, end),
            )
        };
        a.zip(b)
    }
}
