//! [`Interleave`]: the items of two indexed iterators in turn, first `a`'s, then `b`'s, and
//! the longer one's rest after the shorter one ends. With `m` the shorter length, base
//! index `i < 2m` is side `i % 2`'s item `i / 2`; index `i >= 2m` is the longer side's item
//! `i - m`. A piece `start..end` asks each side for the items of its own that fall in it
//! (`Interleave::count_a`) and alternates between them, starting with the side of `start`.

use std::fmt;

use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::iter::skip_take::Take;
use crate::iter::{IndexedParallelIterator, ParallelIterator};

/// The parallel iterator of [`IndexedParallelIterator::interleave`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::Interleave<_, _> = (0..3u32).into_par_iter().interleave(10..15u32);
/// assert_eq!(it.len(), 8);
/// assert_eq!(it.collect::<Vec<_>>(), [0, 10, 1, 11, 2, 12, 13, 14]);
/// ```
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
#[derive(Clone)]
pub struct Interleave<A, B> {
    a: A,
    b: B,
    a_len: usize,
    b_len: usize,
}

/// The parallel iterator of [`IndexedParallelIterator::interleave_shortest`]: an
/// [`Interleave`] of the two sides cut where the shorter one ends.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::InterleaveShortest<_, _> =
///     [1, 2, 3, 4].par_iter().interleave_shortest(&[5, 6]);
/// assert_eq!(it.copied().collect::<Vec<_>>(), [1, 5, 2, 6, 3]);
/// ```
pub type InterleaveShortest<A, B> = Interleave<Take<A>, Take<B>>;

impl<A: ParallelIterator, B: ParallelIterator> Interleave<A, B> {
    /// # Panics
    ///
    /// If the two together have more than `usize::MAX` items.
    #[track_caller]
    pub(crate) fn new(a: A, b: B) -> Self {
        let (a_len, b_len) = (a.base_len(), b.base_len());
        if a_len.checked_add(b_len).is_none() {
            too_long()
        }
        Interleave { a, b, a_len, b_len }
    }
}

#[cold]
#[track_caller]
fn too_long() -> ! {
    panic!(
        "`interleave`: the two iterators together have more than usize::MAX items (an \
         unbounded `repeat` on either side?); `take` what you need first"
    )
}

impl<A, B> Interleave<A, B> {
    /// How many of the base indices `0..k` are `a`'s.
    #[inline]
    fn count_a(&self, k: usize) -> usize {
        let m = self.a_len.min(self.b_len);
        if k <= 2 * m {
            k.div_ceil(2)
        } else if self.a_len > self.b_len {
            k - m
        } else {
            m
        }
    }

    /// True if the piece `start..end` asks a side for its part `from..to`: when that is
    /// not empty, and an empty side for its empty piece from the piece of items that
    /// starts at 0, or from the empty piece of an empty interleave. Either comes once, so
    /// the side's piece does: a `skip` that leaves nothing runs its skipped items there
    /// (`drive.rs`). An empty piece of an interleave with items asks for nothing.
    #[inline]
    fn asks(
        &self,
        (from, to): (usize, usize),
        side_len: usize,
        (start, end): (usize, usize),
    ) -> bool {
        from < to || (side_len == 0 && start == 0 && (start < end || self.a_len + self.b_len == 0))
    }

    /// How many of the base indices `0..k` are `a`'s and how many `b`'s.
    #[inline]
    fn counts(&self, k: usize) -> (usize, usize) {
        let a = self.count_a(k);
        (a, k - a)
    }

    /// Whether base index `i` (below the length) is `b`'s.
    #[inline]
    fn is_b(&self, i: usize) -> bool {
        let m = self.a_len.min(self.b_len);
        if i < 2 * m {
            i % 2 == 1
        } else {
            self.b_len > self.a_len
        }
    }
}

impl<A: fmt::Debug, B: fmt::Debug> fmt::Debug for Interleave<A, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interleave")
            .field("a", &self.a)
            .field("b", &self.b)
            .finish()
    }
}

impl<A, B> Sealed for Interleave<A, B> {}

impl<A, B> ParallelIterator for Interleave<A, B>
where
    A: IndexedParallelIterator,
    B: IndexedParallelIterator<Item = A::Item>,
{
    type Item = A::Item;
    type State = (A::State, B::State);
    type Piece<'p>
        = Alternate<A::Piece<'p>, B::Piece<'p>>
    where
        Self: 'p;
    // Indexed iterators never flush.
    type Flush<'p>
        = std::iter::Empty<A::Item>
    where
        Self: 'p;
    const INDEXED: bool = true;
    const FLUSHES: bool = false;
    const CUTS_SHORT: bool = false;
    // Both sides are indexed: neither is a bridge.
    const BOUNDLESS: bool = false;
    const CLOSES: bool = false;
    const PURE: bool = A::PURE && B::PURE;

    #[inline]
    fn base_len(&self) -> usize {
        self.a_len + self.b_len
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
        let (a0, b0) = self.counts(start);
        let (a1, b1) = self.counts(end);
        Alternate {
            // SAFETY: `counts` is monotone and maps `0..len` onto `0..a_len` and `0..b_len`,
            // so disjoint pieces of the interleave ask each side for disjoint indices within
            // its length (the caller's promise, carried over).
            a: self
                .asks((a0, a1), self.a_len, (start, end))
                .then(|| unsafe { self.a.piece(sa, a0, a1) }),
            // SAFETY: as above.
            b: self
                .asks((b0, b1), self.b_len, (start, end))
                .then(|| unsafe { self.b.piece(sb, b0, b1) }),
            b_next: start < end && self.is_b(start),
            lead: 0,
            lead_b: false,
        }
    }

    #[inline]
    fn flush<'p>(&'p self, _: Self::State) -> Self::Flush<'p> {
        std::iter::empty()
    }

    #[inline]
    fn dry_from(&self, start: usize) -> bool {
        let (a, b) = self.counts(start);
        self.a.dry_from(a) && self.b.dry_from(b)
    }
}

impl<A, B> IndexedParallelIterator for Interleave<A, B>
where
    A: IndexedParallelIterator,
    B: IndexedParallelIterator<Item = A::Item>,
{
    /// Last first: the longer side's rest past the alternating part, then the alternation.
    type RevPiece<'p>
        = Alternate<A::RevPiece<'p>, B::RevPiece<'p>>
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
        let (a0, b0) = self.counts(start);
        let (a1, b1) = self.counts(end);
        let two_m = 2 * self.a_len.min(self.b_len);
        let alternating_end = end.min(two_m);
        Alternate {
            // SAFETY: as in `piece`.
            a: self
                .asks((a0, a1), self.a_len, (start, end))
                .then(|| unsafe { self.a.rev_piece(sa, a0, a1) }),
            // SAFETY: as in `piece`.
            b: self
                .asks((b0, b1), self.b_len, (start, end))
                .then(|| unsafe { self.b.rev_piece(sb, b0, b1) }),
            b_next: start < alternating_end && self.is_b(alternating_end - 1),
            lead: end - start.max(two_m).min(end),
            lead_b: self.b_len > self.a_len,
        }
    }
}

/// A piece of an [`Interleave`]: `lead` items of one side first (a reversed piece's part
/// past the alternation), then the two sides in turn, and the rest of whichever is left.
#[doc(hidden)]
#[derive(Debug)]
pub struct Alternate<X, Y> {
    a: Option<X>,
    b: Option<Y>,
    b_next: bool,
    lead: usize,
    lead_b: bool,
}

/// The next item of `side`, which is dropped once it runs out.
#[inline]
fn pull<I: Iterator>(side: &mut Option<I>) -> Option<I::Item> {
    let item = side.as_mut()?.next();
    if item.is_none() {
        *side = None;
    }
    item
}

impl<X, Y> Iterator for Alternate<X, Y>
where
    X: Iterator,
    Y: Iterator<Item = X::Item>,
{
    type Item = X::Item;

    #[inline]
    fn next(&mut self) -> Option<X::Item> {
        if self.lead > 0 {
            self.lead -= 1;
            return if self.lead_b {
                pull(&mut self.b)
            } else {
                pull(&mut self.a)
            };
        }
        let item = if self.b_next {
            pull(&mut self.b).or_else(|| pull(&mut self.a))
        } else {
            pull(&mut self.a).or_else(|| pull(&mut self.b))
        };
        self.b_next = !self.b_next;
        item
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let hint = |h: Option<(usize, Option<usize>)>| h.unwrap_or((0, Some(0)));
        let (a_lo, a_hi) = hint(self.a.as_ref().map(Iterator::size_hint));
        let (b_lo, b_hi) = hint(self.b.as_ref().map(Iterator::size_hint));
        let hi = match (a_hi, b_hi) {
            (Some(a), Some(b)) => a.checked_add(b),
            _ => None,
        };
        (a_lo.saturating_add(b_lo), hi)
    }
}
