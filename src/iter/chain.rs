//! [`Chain`]: the items of one parallel iterator, then those of another. Base indices
//! `0..a_len` are the first iterator's, `a_len..a_len + b_len` the second's (shifted down by
//! `a_len`); a piece that crosses `a_len` yields the first's part, then the second's.
//!
//! # A `fold` on the left
//!
//! A chain of pieces (`drive.rs`) may run pieces of both sides, one state for each. A side
//! that flushes (a `fold` in it) holds its accumulator in its state until its chain ends;
//! if the first side's accumulator waited for the chain's end, the second side's items of
//! the same chain would reach the consumer before it, out of order. So the first piece of
//! a chain that runs second-side items flushes the first side's state first: its items are
//! yielded before the second side's, and a fresh state takes its place (whose flush, at the
//! chain's end, yields nothing). A chain that stops before (a search found its answer) keeps
//! the accumulator in the state, and the chain's own flush yields it, first side first.
//!
//! A piece that crosses `a_len` must flush the first side's state after its first-side
//! items, while the first side's piece still borrows that state: [`ChainPiece`] keeps a
//! pointer to it, and takes it over only once that piece is dropped (see `Settle`).

use std::fmt;
use std::marker::PhantomData;
use std::mem;
use std::ptr::NonNull;

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
        let a_len = a.base_len();
        let Some(len) = a_len.checked_add(b.base_len()) else {
            too_long()
        };
        Chain { a, b, a_len, len }
    }
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
    type Piece<'p>
        = ChainPiece<'p, A, B>
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
        let (sa, sb) = state;
        let b = (end > a_len).then(|| {
            // SAFETY: `end <= len` gives `end - a_len <= b_len`; this piece's indices at or
            // above `a_len`, shifted down by `a_len`, are disjoint from every other piece's
            // (the caller's promise), so `b` is asked for each of its indices once.
            unsafe { self.b.piece(sb, start.max(a_len) - a_len, end - a_len) }
        });
        if start >= a_len {
            // Only second-side items: what the first side's state holds comes first.
            let flush = A::FLUSHES.then(|| self.a.flush(mem::replace(sa, self.a.state())));
            return ChainPiece {
                a: None,
                settle: None,
                flush,
                b,
            };
        }
        let a_end = end.min(a_len);
        if !A::FLUSHES || b.is_none() {
            return ChainPiece {
                // SAFETY: `start < a_end <= a_len`, and this piece's indices below `a_len`
                // are disjoint from every other piece's (the caller's promise).
                a: Some(unsafe { self.a.piece(sa, start, a_end) }),
                settle: None,
                flush: None,
                b,
            };
        }
        // Crossing, with a first side that flushes: its piece borrows its state through a
        // pointer that `Settle` takes over once that piece is gone.
        let at = NonNull::from(sa);
        // SAFETY: `at` comes from the `&'p mut` to the first side's state, which nothing
        // else uses for `'p`: this reborrow is the only access until `Settle::flush`, which
        // runs after the piece made from it is dropped. Indices as in the branch above.
        let a = unsafe { self.a.piece(&mut *at.as_ptr(), start, a_end) };
        ChainPiece {
            a: Some(a),
            settle: Some(Settle {
                iter: &self.a,
                state: at,
                _borrow: PhantomData,
            }),
            flush: None,
            b,
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
            first: (end > a_len)
                .then(|| unsafe { self.b.rev_piece(sb, start.max(a_len) - a_len, end - a_len) }),
            // SAFETY: as in `piece`.
            then: (start < a_len).then(|| unsafe { self.a.rev_piece(sa, start, end.min(a_len)) }),
        }
    }
}

/// A piece of a [`Chain`]: the first side's items, then (once they are done) what the
/// first side's state held if the piece goes on into the second side, then the second
/// side's items.
#[doc(hidden)]
pub struct ChainPiece<'p, A, B>
where
    A: ParallelIterator,
    B: ParallelIterator + 'p,
{
    a: Option<A::Piece<'p>>,
    /// For a crossing piece of a first side that flushes: its state, to flush once `a` is
    /// done.
    settle: Option<Settle<'p, A>>,
    flush: Option<A::Flush<'p>>,
    b: Option<B::Piece<'p>>,
}

/// The first side's state, lent to the first side's piece of a [`ChainPiece`] and flushed
/// when that piece is done.
struct Settle<'p, A: ParallelIterator> {
    iter: &'p A,
    /// From the `&'p mut` to the state (`Chain::piece`); the first side's piece holds a
    /// reborrow of it, made from this pointer, until it is dropped.
    state: NonNull<A::State>,
    _borrow: PhantomData<&'p mut A::State>,
}

impl<'p, A: ParallelIterator + 'p> Settle<'p, A> {
    /// What the state holds. Call only once the first side's piece is dropped.
    fn flush(self) -> A::Flush<'p> {
        let fresh = self.iter.state();
        // SAFETY: `state` points to the first side's state, borrowed `&'p mut` by the chain
        // piece that owns `self` (so it is live and nobody else touches it). The only other
        // reference made from it, the first side's piece, is dropped: `ChainPiece` calls
        // this just after setting `a` to `None`. That piece could not have kept the
        // reference elsewhere: it has only `&'p A` besides, and brigade's pieces keep what
        // they borrow in themselves.
        let state = unsafe { &mut *self.state.as_ptr() };
        self.iter.flush(mem::replace(state, fresh))
    }
}

impl<'p, A, B> ChainPiece<'p, A, B>
where
    A: ParallelIterator + 'p,
    B: ParallelIterator<Item = A::Item> + 'p,
{
    /// The first side's items are done: drops its piece, then flushes its state if this
    /// piece goes on into the second side.
    #[inline]
    fn end_a(&mut self) {
        self.a = None;
        if let Some(settle) = self.settle.take() {
            self.flush = Some(settle.flush());
        }
    }
}

impl<'p, A, B> Iterator for ChainPiece<'p, A, B>
where
    A: ParallelIterator + 'p,
    B: ParallelIterator<Item = A::Item> + 'p,
{
    type Item = A::Item;

    #[inline]
    fn next(&mut self) -> Option<A::Item> {
        if let Some(a) = &mut self.a {
            if let Some(x) = a.next() {
                return Some(x);
            }
            self.end_a();
        }
        if let Some(flush) = &mut self.flush {
            if let Some(x) = flush.next() {
                return Some(x);
            }
            self.flush = None;
        }
        self.b.as_mut()?.next()
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let hint = |h: Option<(usize, Option<usize>)>| h.unwrap_or((0, Some(0)));
        let (a_lo, a_hi) = hint(self.a.as_ref().map(Iterator::size_hint));
        let (f_lo, f_hi) = hint(self.flush.as_ref().map(Iterator::size_hint));
        let (b_lo, b_hi) = hint(self.b.as_ref().map(Iterator::size_hint));
        let f_hi = if self.settle.is_some() { None } else { f_hi };
        let lo = a_lo.saturating_add(f_lo).saturating_add(b_lo);
        let hi = [a_hi, f_hi, b_hi]
            .into_iter()
            .try_fold(0usize, |sum, h| sum.checked_add(h?));
        (lo, hi)
    }

    #[inline]
    fn fold<T, F>(mut self, init: T, mut f: F) -> T
    where
        F: FnMut(T, A::Item) -> T,
    {
        let mut acc = init;
        if let Some(a) = self.a.take() {
            acc = a.fold(acc, &mut f);
            self.end_a();
        }
        if let Some(flush) = self.flush.take() {
            acc = flush.fold(acc, &mut f);
        }
        if let Some(b) = self.b.take() {
            acc = b.fold(acc, f);
        }
        acc
    }
}

impl<'p, A, B> fmt::Debug for ChainPiece<'p, A, B>
where
    A: ParallelIterator + 'p,
    B: ParallelIterator + 'p,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChainPiece")
            .field("in_a", &self.a.is_some())
            .field("in_b", &self.b.is_some())
            .finish_non_exhaustive()
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
}
