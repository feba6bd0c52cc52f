//! [`Rev`]: an indexed iterator's items, last first. Item `k` of a `Rev` over `len` items
//! is the base's item `len - 1 - k`, so a piece `start..end` is the base's piece
//! `len - end..len - start` run backwards (`IndexedParallelIterator::rev_piece`), and a
//! reversed piece of a `Rev` is the base's piece run forwards.

use std::iter::Empty;

use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::iter::{IndexedParallelIterator, ParallelIterator};

/// The parallel iterator of [`IndexedParallelIterator::rev`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::Rev<_> = (0..4u32).into_par_iter().rev();
/// assert_eq!(it.collect::<Vec<_>>(), [3, 2, 1, 0]);
/// ```
#[derive(Clone, Debug)]
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
pub struct Rev<I> {
    base: I,
}

impl<I> Rev<I> {
    pub(crate) fn new(base: I) -> Self {
        Rev { base }
    }
}

impl<I> Sealed for Rev<I> {}

impl<I: IndexedParallelIterator> Rev<I> {
    /// The base's indices of the piece `start..end`.
    #[inline]
    fn mirror(&self, start: usize, end: usize) -> (usize, usize) {
        let len = self.base.base_len();
        (len - end, len - start)
    }
}

impl<I: IndexedParallelIterator> ParallelIterator for Rev<I> {
    type Item = I::Item;
    type State = I::State;
    type Piece<'p>
        = I::RevPiece<'p>
    where
        Self: 'p;
    // An indexed iterator never flushes.
    type Flush<'p>
        = Empty<I::Item>
    where
        Self: 'p;
    const INDEXED: bool = true;
    const FLUSHES: bool = false;
    const CUTS_SHORT: bool = false;
    // Indexed iterators are never boundless: a bridge is not indexed.
    const BOUNDLESS: bool = false;
    const CLOSES: bool = false;
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
        let (start, end) = self.mirror(start, end);
        // SAFETY: `start <= end <= len` gives `0 <= len - end <= len - start <= len`, and
        // `i -> len - 1 - i` is one-to-one: disjoint pieces of `self` are disjoint pieces of
        // the base, asked for once each.
        unsafe { self.base.rev_piece(state, start, end) }
    }

    #[inline]
    fn flush<'p>(&'p self, _: I::State) -> Self::Flush<'p> {
        debug_assert!(!I::FLUSHES, "an indexed iterator has nothing to flush");
        std::iter::empty()
    }

    #[inline]
    fn dry_from(&self, _start: usize) -> bool {
        false // indexed: every index yields its item
    }
}

impl<I: IndexedParallelIterator> IndexedParallelIterator for Rev<I> {
    type RevPiece<'p>
        = I::Piece<'p>
    where
        Self: 'p;

    #[inline]
    unsafe fn rev_piece<'p>(
        &'p self,
        state: &'p mut I::State,
        start: usize,
        end: usize,
    ) -> Self::RevPiece<'p> {
        let (start, end) = self.mirror(start, end);
        // SAFETY: as in `piece`.
        unsafe { self.base.piece(state, start, end) }
    }
}
