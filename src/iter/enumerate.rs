//! [`Enumerate`]: each item with its index. A piece `start..end` of an indexed iterator
//! holds the items `start..end`, so it numbers them from `start`.

use std::iter::Empty;

use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::iter::{IndexedParallelIterator, ParallelIterator};

/// The parallel iterator of [`IndexedParallelIterator::enumerate`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::Enumerate<_> = ['a', 'b'].par_iter().enumerate();
/// assert_eq!(it.collect::<Vec<_>>(), [(0, &'a'), (1, &'b')]);
/// ```
#[derive(Clone, Debug)]
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
pub struct Enumerate<I> {
    base: I,
}

impl<I> Enumerate<I> {
    pub(crate) fn new(base: I) -> Self {
        Enumerate { base }
    }
}

impl<I> Sealed for Enumerate<I> {}

impl<I: IndexedParallelIterator> ParallelIterator for Enumerate<I> {
    type Item = (usize, I::Item);
    type State = I::State;
    type Piece<'p>
        = Numbered<I::Piece<'p>>
    where
        Self: 'p;
    // An indexed iterator never flushes.
    type Flush<'p>
        = Empty<(usize, I::Item)>
    where
        Self: 'p;
    const INDEXED: bool = true;
    const FLUSHES: bool = false;
    const CUTS_SHORT: bool = false;
    const BOUNDLESS: bool = I::BOUNDLESS;
    const CLOSES: bool = I::CLOSES;
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
        Numbered {
            index: start,
            // SAFETY: forwarded: the caller's promise is the one the base needs.
            items: unsafe { self.base.piece(state, start, end) },
        }
    }

    #[inline]
    fn flush<'p>(&'p self, _: I::State) -> Self::Flush<'p> {
        debug_assert!(!I::FLUSHES, "an indexed iterator has nothing to flush");
        std::iter::empty()
    }

    #[inline]
    fn dry_from(&self, start: usize) -> bool {
        self.base.dry_from(start)
    }

    #[inline]
    fn seam_before(&self, end: usize) -> usize {
        self.base.seam_before(end)
    }
}

impl<I: IndexedParallelIterator> IndexedParallelIterator for Enumerate<I> {
    type RevPiece<'p>
        = NumberedBack<I::RevPiece<'p>>
    where
        Self: 'p;

    #[inline]
    unsafe fn rev_piece<'p>(
        &'p self,
        state: &'p mut I::State,
        start: usize,
        end: usize,
    ) -> Self::RevPiece<'p> {
        NumberedBack {
            past: end,
            // SAFETY: forwarded: the caller's promise is the one the base needs.
            items: unsafe { self.base.rev_piece(state, start, end) },
        }
    }
}

/// A piece of [`Enumerate`]: the base piece's items, numbered from the piece's start. A
/// counter beside the items, as `std::iter::Enumerate` keeps, so that `for_each` and `fold`
/// run the base piece's own loop (a `zip` with a range would run the generic one).
#[doc(hidden)]
#[derive(Debug)]
pub struct Numbered<P> {
    index: usize,
    items: P,
}

impl<P: Iterator> Iterator for Numbered<P> {
    type Item = (usize, P::Item);

    #[inline]
    fn next(&mut self) -> Option<(usize, P::Item)> {
        let item = self.items.next()?;
        let index = self.index;
        self.index += 1;
        Some((index, item))
    }

    /// The base piece's own `nth`: a `step_by` after `enumerate` skips what it steps over
    /// as fast as the base can (a range, a slice: at once), not one item at a time.
    #[inline]
    fn nth(&mut self, n: usize) -> Option<(usize, P::Item)> {
        let item = self.items.nth(n)?;
        let index = self.index + n;
        self.index = index + 1;
        Some((index, item))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.items.size_hint()
    }

    #[inline]
    fn fold<B, F>(self, init: B, mut f: F) -> B
    where
        F: FnMut(B, (usize, P::Item)) -> B,
    {
        let mut index = self.index;
        self.items.fold(init, move |acc, item| {
            let acc = f(acc, (index, item));
            index += 1;
            acc
        })
    }
}

impl<P: ExactSizeIterator> ExactSizeIterator for Numbered<P> {}

/// A reversed piece of [`Enumerate`]: the base's reversed piece, numbered down from the
/// piece's end (the items of `start..end`, last first, are numbered `end - 1` down to
/// `start`).
#[doc(hidden)]
#[derive(Debug)]
pub struct NumberedBack<P> {
    /// One past the number of the next item.
    past: usize,
    items: P,
}

impl<P: Iterator> Iterator for NumberedBack<P> {
    type Item = (usize, P::Item);

    #[inline]
    fn next(&mut self) -> Option<(usize, P::Item)> {
        let item = self.items.next()?;
        self.past -= 1;
        Some((self.past, item))
    }

    /// The base piece's own `nth`, as for [`Numbered`].
    #[inline]
    fn nth(&mut self, n: usize) -> Option<(usize, P::Item)> {
        let item = self.items.nth(n)?;
        self.past -= n + 1;
        Some((self.past, item))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.items.size_hint()
    }

    #[inline]
    fn fold<B, F>(self, init: B, mut f: F) -> B
    where
        F: FnMut(B, (usize, P::Item)) -> B,
    {
        let mut past = self.past;
        self.items.fold(init, move |acc, item| {
            past -= 1;
            f(acc, (past, item))
        })
    }
}

impl<P: ExactSizeIterator> ExactSizeIterator for NumberedBack<P> {}
