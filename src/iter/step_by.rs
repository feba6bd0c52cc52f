//! [`StepBy`]: every `step`-th item of an indexed iterator. Item `k` is the base's item
//! `k * step`, so a piece `start..end` is the base's piece from `start * step` to
//! `(end - 1) * step` inclusive, cut by std's `step_by`. The base indices between two
//! pieces are never asked for; those inside a piece are taken and dropped by std's
//! `step_by` as it steps over them.

use std::iter::Empty;

use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::iter::{IndexedParallelIterator, ParallelIterator};

/// The parallel iterator of [`IndexedParallelIterator::step_by`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::StepBy<_> = (0..10u32).into_par_iter().step_by(4);
/// assert_eq!(it.collect::<Vec<_>>(), [0, 4, 8]);
/// ```
#[derive(Clone, Debug)]
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
pub struct StepBy<I> {
    base: I,
    step: usize,
    /// The number of items: the base's, divided by `step` and rounded up.
    len: usize,
}

impl<I: IndexedParallelIterator> StepBy<I> {
    /// # Panics
    ///
    /// If `step` is 0.
    pub(crate) fn new(base: I, step: usize) -> Self {
        if step == 0 {
            zero_step();
        }
        let len = base.len().div_ceil(step);
        StepBy { base, step, len }
    }

    /// The base's indices of the piece `start..end`: the first item's to one past the
    /// last item's (empty, within the base, for an empty piece).
    #[inline]
    fn span(&self, start: usize, end: usize) -> (usize, usize) {
        if start == end {
            let at = start.saturating_mul(self.step).min(self.base.base_len());
            return (at, at);
        }
        // `end - 1 < len = ceil(base_len / step)`, so `(end - 1) * step < base_len`: no
        // overflow, and within the base.
        (start * self.step, (end - 1) * self.step + 1)
    }
}

#[cold]
#[inline(never)]
fn zero_step() -> ! {
    panic!("step_by needs a step of at least 1 (a step of 0 would repeat the first item forever)")
}

impl<I> Sealed for StepBy<I> {}

impl<I: IndexedParallelIterator> ParallelIterator for StepBy<I> {
    type Item = I::Item;
    type State = I::State;
    type Piece<'p>
        = std::iter::StepBy<I::Piece<'p>>
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
        self.len
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
        let (first, past) = self.span(start, end);
        // SAFETY: `span` is within the base (see there). The piece `start..end` takes base
        // indices `start * step..=(end - 1) * step`, which lie in `start * step..end * step`:
        // disjoint pieces of `self` take disjoint ranges of the base.
        unsafe { self.base.piece(state, first, past) }.step_by(self.step)
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

impl<I: IndexedParallelIterator> IndexedParallelIterator for StepBy<I> {
    /// The span starts and ends with an item of `self`: backwards, `step_by` starts on the
    /// last one.
    type RevPiece<'p>
        = std::iter::StepBy<I::RevPiece<'p>>
    where
        Self: 'p;

    #[inline]
    unsafe fn rev_piece<'p>(
        &'p self,
        state: &'p mut I::State,
        start: usize,
        end: usize,
    ) -> Self::RevPiece<'p> {
        let (first, past) = self.span(start, end);
        // SAFETY: as in `piece`.
        unsafe { self.base.rev_piece(state, first, past) }.step_by(self.step)
    }
}
