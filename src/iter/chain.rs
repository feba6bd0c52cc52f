//! [`Chain`]: the items of one parallel iterator, then those of another. Base indices
//! `0..a_len` are the first iterator's, `a_len..a_len + b_len` the second's (shifted down by
//! `a_len`); a piece that crosses `a_len` yields the first's part, then the second's.
//!
//! # A `fold` on the left
//!
//! A chain of pieces (`drive.rs`) may run pieces of both sides, one state for each. A side
//! that flushes (a `fold` in it) holds its accumulator in its state until its chain ends;
//! if the first side's accumulator waited for the chain's end, the second side's items of
//! the same chain would reach the consumer before it, out of order. So a piece that starts
//! in the second side first flushes the first side's state: its items come before the
//! second side's, and a fresh state takes its place (whose flush, at the chain's end,
//! yields nothing). A chain that stops before (a search found its answer) keeps the
//! accumulator in the state, and the chain's own flush yields it, first side first.
//!
//! The first side's state can only be flushed when no piece borrows it, so such a chain
//! asks the loop to cut every piece at `a_len` ([`ParallelIterator::cut_after`]): no piece
//! then crosses from a flushing first side into the second.

use std::fmt;
use std::mem;

use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::iter::{IndexedParallelIterator, ParallelIterator};

/// The parallel iterator of [`ParallelIterator::chain`]: the items of `a`, then those of
/// `b`. Indexed if both are.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::Chain<_, _> = (0..3u32).into_par_iter().chain(7..9u32);
/// assert_eq!(it.len(), 5);
/// assert_eq!(it.collect::<Vec<_>>(), [0, 1, 2, 7, 8]);
/// ```
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
#[derive(Clone)]
pub struct Chain<A, B> {
    a: A,
    b: B,
    /// `a.base_len()`: where `b`'s base indices start.
    a_len: usize,
    /// `a_len + b.base_len()`.
    len: usize,
}

impl<A: ParallelIterator, B: ParallelIterator> Chain<A, B> {
    /// # Panics
    ///
    /// If the two together have more than `usize::MAX` base indices.
    pub(crate) fn new(a: A, b: B) -> Self {
        if A::BOUNDLESS {
            bridge_first()
        }
        let a_len = a.base_len();
        let Some(len) = a_len.checked_add(b.base_len()) else {
            too_long()
        };
        Chain { a, b, a_len, len }
    }
}

impl<A, B> Chain<A, B> {
    /// True if the piece `start..end` is the one that gives an empty side at base index
    /// `at` (0 or `len`) its empty piece: the piece of the chain's items that starts or
    /// ends there, or the empty piece of an empty chain. Either comes once (each index is
    /// asked for once, and an empty iterator is asked for its empty piece once, `drive.rs`),
    /// so the side's piece comes once: a `skip` that leaves nothing runs its skipped items
    /// there. An empty piece of a chain with items (a `skip` or `take` window over it may
    /// ask for one) gives none.
    #[inline]
    fn touches(&self, start: usize, end: usize, at: usize) -> bool {
        (start < end && (start == at || end == at)) || self.len == 0
    }
}

#[cold]
#[inline(never)]
fn bridge_first() -> ! {
    panic!(
        "a par_bridge can only come last in a chain: the loop cannot skip the rest of a \
         bridged iterator that ran dry in the middle of a chain; write \
         `other.chain(bridged)`, or chain the sequential iterators before `par_bridge`"
    )
}

#[cold]
#[inline(never)]
fn too_long() -> ! {
    panic!(
        "a parallel iterator numbers its items with usize, and these two chained iterators \
         have more than usize::MAX together: chain shorter ones"
    )
}

impl<A: fmt::Debug, B: fmt::Debug> fmt::Debug for Chain<A, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chain")
            .field("a", &self.a)
            .field("b", &self.b)
            .finish()
    }
}

impl<A, B> Sealed for Chain<A, B> {}

impl<A, B> ParallelIterator for Chain<A, B>
where
    A: ParallelIterator,
    B: ParallelIterator<Item = A::Item>,
{
    type Item = A::Item;
    type State = (A::State, B::State);
    /// The first side's part; or what the first side's state held, then the second side's
    /// part (see the module docs).
    type Piece<'p>
        = Seq<A::Piece<'p>, Seq<A::Flush<'p>, B::Piece<'p>>>
    where
        Self: 'p;
    /// The first side's state is fresh once the chain has run any second-side piece: in
    /// either case the first side's items come first.
    type Flush<'p>
        = std::iter::Chain<A::Flush<'p>, B::Flush<'p>>
    where
        Self: 'p;
    const INDEXED: bool = A::INDEXED && B::INDEXED;
    const FLUSHES: bool = A::FLUSHES || B::FLUSHES;
    const CUTS_SHORT: bool = A::CUTS_SHORT || B::CUTS_SHORT;
    // A bridge second is still a bridge last (`new` refuses one first).
    const BOUNDLESS: bool = B::BOUNDLESS;
    const CLOSES: bool = A::CLOSES || B::CLOSES;
    const PURE: bool = A::PURE && B::PURE;

    #[inline]
    fn base_len(&self) -> usize {
        self.len
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
        let a_len = self.a_len;
        assert!(
            !A::FLUSHES || end <= a_len || start >= a_len,
            "a piece of a chain whose first side flushes crosses into the second side: an \
             adaptor does not forward `cut_after`"
        );
        let (sa, sb) = state;
        // A piece that starts in the second side: what the first side's state holds comes
        // first (nothing unless the first side flushes).
        let flush =
            (A::FLUSHES && start >= a_len).then(|| self.a.flush(mem::replace(sa, self.a.state())));
        Seq {
            // An empty first side gets its empty piece from the piece at 0 (`touches`).
            first: (start < a_len || (a_len == 0 && self.touches(start, end, 0))).then(|| {
                // SAFETY: `start < a_len` and `end.min(a_len)` put the part within the
                // first side, and this piece's indices below `a_len` are disjoint from every
                // other piece's (the caller's promise). An empty side's `0..0` asks for no
                // index.
                unsafe { self.a.piece(sa, start, end.min(a_len)) }
            }),
            then: Some(Seq {
                first: flush,
                // An empty second side gets `0..0` from the piece that ends the chain.
                then: (end > a_len || (a_len == self.len && self.touches(start, end, a_len))).then(
                    || {
                        // SAFETY: `end <= len` gives `end - a_len <= b_len`; this piece's indices
                        // at or above `a_len`, shifted down by `a_len`, are disjoint from every
                        // other piece's (the caller's promise), so `b` is asked for each of its
                        // indices once.
                        unsafe { self.b.piece(sb, start.max(a_len) - a_len, end - a_len) }
                    },
                ),
            }),
        }
    }

    /// The second side's part from `start` on is dry, and if `start` is in the first side,
    /// that side's part from `start` on too. Never true for a first side alone: the first
    /// side is never boundless (`new`), so it is never dry.
    #[inline]
    fn dry_from(&self, start: usize) -> bool {
        let a_len = self.a_len;
        if start >= a_len {
            return self.b.dry_from(start - a_len);
        }
        self.a.dry_from(start) && self.b.dry_from(0)
    }

    /// Each side the range covers is dry within its part of it.
    #[inline]
    fn dry_within(&self, start: usize, end: usize) -> bool {
        let a_len = self.a_len;
        if start >= a_len {
            return self.b.dry_within(start - a_len, end - a_len);
        }
        if end <= a_len {
            return self.a.dry_within(start, end);
        }
        self.a.dry_within(start, a_len) && self.b.dry_within(0, end - a_len)
    }

    /// In the first side, its own answer unless that side is dry from `start`: then
    /// where the second side may still yield.
    #[inline]
    fn live_from(&self, start: usize) -> usize {
        let a_len = self.a_len;
        if start < a_len {
            let in_a = self.a.live_from(start);
            if in_a < a_len {
                return in_a;
            }
            return a_len + self.b.live_from(0);
        }
        a_len + self.b.live_from(start - a_len)
    }

    /// `a_len` if the first side flushes (see the module docs), and each side's own cuts.
    #[inline]
    fn cut_after(&self, start: usize) -> usize {
        let a_len = self.a_len;
        if start >= a_len {
            return self.b.cut_after(start - a_len).saturating_add(a_len);
        }
        let in_a = self.a.cut_after(start);
        let in_b = self.b.cut_after(0).saturating_add(a_len);
        let at_b = if A::FLUSHES { a_len } else { usize::MAX };
        in_a.min(at_b).min(in_b)
    }

    /// `a_len`, where the second side starts, if the first side's pieces can run on without
    /// end (`CUTS_SHORT`: a `filter`, a `flat_map`), and each side's own seams. A first side
    /// whose every base index is a bounded amount of work lets one loop reach the second
    /// side anyway, and a seam there cut runs short of `with_min_len` (two runs of 4 for a
    /// chain of 4 and 4 items with a minimum of 8, before a `fold` and an early exit).
    #[inline]
    fn seam_before(&self, end: usize) -> usize {
        let a_len = self.a_len;
        if end <= a_len {
            return self.a.seam_before(end);
        }
        match self.b.seam_before(end - a_len) {
            0 if A::CUTS_SHORT => a_len,
            0 => self.a.seam_before(a_len),
            in_b => in_b + a_len,
        }
    }

    #[inline]
    fn flush<'p>(&'p self, (sa, sb): Self::State) -> Self::Flush<'p> {
        self.a.flush(sa).chain(self.b.flush(sb))
    }
}

impl<A, B> IndexedParallelIterator for Chain<A, B>
where
    A: IndexedParallelIterator,
    B: IndexedParallelIterator<Item = A::Item>,
{
    /// The second side's part, reversed, then the first side's (indexed iterators never
    /// flush).
    type RevPiece<'p>
        = Seq<B::RevPiece<'p>, A::RevPiece<'p>>
    where
        Self: 'p;

    #[inline]
    unsafe fn rev_piece<'p>(
        &'p self,
        state: &'p mut Self::State,
        start: usize,
        end: usize,
    ) -> Self::RevPiece<'p> {
        let a_len = self.a_len;
        let (sa, sb) = state;
        Seq {
            // SAFETY: as in `piece`.
            first: (end > a_len || (a_len == self.len && self.touches(start, end, a_len)))
                .then(|| unsafe { self.b.rev_piece(sb, start.max(a_len) - a_len, end - a_len) }),
            // SAFETY: as in `piece`.
            then: (start < a_len || (a_len == 0 && self.touches(start, end, 0)))
                .then(|| unsafe { self.a.rev_piece(sa, start, end.min(a_len)) }),
        }
    }
}

/// The items of `first`, then those of `then`; either may be absent.
#[doc(hidden)]
#[derive(Debug)]
pub struct Seq<X, Y> {
    first: Option<X>,
    then: Option<Y>,
}

impl<X, Y> Iterator for Seq<X, Y>
where
    X: Iterator,
    Y: Iterator<Item = X::Item>,
{
    type Item = X::Item;

    #[inline]
    fn next(&mut self) -> Option<X::Item> {
        if let Some(first) = &mut self.first {
            if let Some(x) = first.next() {
                return Some(x);
            }
            self.first = None;
        }
        self.then.as_mut()?.next()
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let hint = |h: Option<(usize, Option<usize>)>| h.unwrap_or((0, Some(0)));
        let (x_lo, x_hi) = hint(self.first.as_ref().map(Iterator::size_hint));
        let (y_lo, y_hi) = hint(self.then.as_ref().map(Iterator::size_hint));
        let hi = match (x_hi, y_hi) {
            (Some(x), Some(y)) => x.checked_add(y),
            _ => None,
        };
        (x_lo.saturating_add(y_lo), hi)
    }

    #[inline]
    fn fold<T, F>(self, init: T, mut f: F) -> T
    where
        F: FnMut(T, X::Item) -> T,
    {
        let mut acc = init;
        if let Some(first) = self.first {
            acc = first.fold(acc, &mut f);
        }
        if let Some(then) = self.then {
            acc = then.fold(acc, f);
        }
        acc
    }

    /// Each part's own `find_map` (the searches' loop, `find.rs` `until`), so that a part
    /// with a fast internal loop keeps it: stepping the pair with `next` cost a search over
    /// a chain of two slices twice std's time.
    #[inline]
    fn find_map<B, F>(&mut self, mut f: F) -> Option<B>
    where
        F: FnMut(X::Item) -> Option<B>,
    {
        if let Some(first) = &mut self.first {
            if let Some(b) = first.find_map(&mut f) {
                return Some(b);
            }
            self.first = None;
        }
        self.then.as_mut()?.find_map(f)
    }
}
