//! [`Fold`]: one accumulator per chain of pieces (`drive.rs`), kept in the chain's state.
//!
//! A piece of a `Fold` yields no items: it folds its base items into the chain's
//! accumulator. The accumulator comes out when the chain ends, as the chain's one item
//! (the flush), so the terminal sees one item per chain, in order.
//!
//! Except before an early exit: there a piece hands on its accumulator as an item after
//! [`FIRST_HAND_ON`] items, then after twice as many each time, up to [`MAX_HAND_ON`], and
//! starts a fresh one. Otherwise a search saw nothing until the piece ended, and a piece
//! may be huge: a `flat_map` of endless inner iterators never ends (rayon's
//! `fold_find_any_octillion_flat`), and a pool of one runs a loop as one piece (as
//! `Static` and `Guided` cut it into one per worker), so a search over `0..u64::MAX` ran
//! on. How many accumulators a fold makes is unspecified, as in rayon; each still covers
//! consecutive items, in order. With `with_min_len` above 1, which promises accumulators of
//! at least that many base indices, only over an indexed base (one item per base index),
//! and only where both the accumulator handed on and the rest of the piece are that long.

use std::fmt;
use std::marker::PhantomData;

use crate::iter::ParallelIterator;
use crate::iter::drive::{Config, Consumer, drive};
use crate::iter::sealed::Sealed;
use crate::iter::stop;
use crate::iter::through::Folding;

/// How many items a [`FoldPiece`] before an early exit folds before it first hands its
/// accumulator on.
const FIRST_HAND_ON: usize = stop::CHECK_EVERY;
/// The most items it folds between two accumulators it hands on.
const MAX_HAND_ON: usize = 1 << 16;

/// The parallel iterator of [`ParallelIterator::fold`]: one accumulator per run of
/// consecutive items a worker runs. `T` is the accumulator's type (rayon's `Fold` has no
/// such parameter; brigade needs it to borrow the accumulator in each piece).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::Fold<_, _, _, u32> = (1..=100u32).into_par_iter().fold(|| 0, |a, x| a + x);
/// assert_eq!(it.sum::<u32>(), 5050);
/// ```
#[must_use = "iterator adaptors are lazy: call a terminal such as `reduce` or `collect`"]
#[derive(Clone)]
pub struct Fold<I, ID, F, T> {
    base: I,
    identity: ID,
    fold: F,
    _acc: PhantomData<fn() -> T>,
}

impl<I, ID, F, T> Fold<I, ID, F, T> {
    pub(crate) fn new(base: I, identity: ID, fold: F) -> Self {
        Fold {
            base,
            identity,
            fold,
            _acc: PhantomData,
        }
    }
}

impl<I: fmt::Debug, ID, F, T> fmt::Debug for Fold<I, ID, F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fold")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl<I, ID, F, T> Sealed for Fold<I, ID, F, T> {}

impl<I, ID, F, T> ParallelIterator for Fold<I, ID, F, T>
where
    I: ParallelIterator,
    ID: Fn() -> T + Sync + Send,
    F: Fn(T, I::Item) -> T + Sync + Send,
    T: Send,
{
    type Item = T;
    /// The base's state, and the chain's accumulator once it has folded an item.
    type State = (I::State, Option<T>);
    type Piece<'p>
        = FoldPiece<'p, I::Piece<'p>, T, ID, F>
    where
        Self: 'p;
    type Flush<'p>
        = std::option::IntoIter<T>
    where
        Self: 'p;
    const INDEXED: bool = false;
    const FLUSHES: bool = true;
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
        let (base, acc) = state;
        // An early exit's piece (`stop.rs`): hand accumulators on.
        let min = self.config().min_len();
        let hand_on = stop::watched() && (min == 1 || I::INDEXED);
        FoldPiece {
            // SAFETY: forwarded: the caller's promise is the one the base needs.
            items: unsafe { self.base.piece(base, start, end) },
            acc,
            identity: &self.identity,
            fold: &self.fold,
            hand_on: if hand_on { FIRST_HAND_ON.max(min) } else { 0 },
            min,
            left: end - start,
        }
    }

    #[inline]
    fn flush<'p>(&'p self, (base, acc): Self::State) -> Self::Flush<'p> {
        let mut items = self.base.flush(base);
        let acc = match items.next() {
            Some(first) => {
                let acc = (self.fold)(acc.unwrap_or_else(&self.identity), first);
                Some(items.fold(acc, &self.fold))
            }
            None => acc,
        };
        acc.into_iter()
    }

    /// The base's drive, folding into one accumulator per chain before the consumer.
    fn drive_nested<C: Consumer<T>>(&self, consumer: &C) -> C::Acc {
        let folding = Folding::new(consumer, &self.identity, &self.fold);
        let (acc, open) = drive(&self.base, &folding);
        folding.close(acc, open)
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

/// A piece of a [`Fold`]: folds its items into the chain's accumulator on the first call
/// to `next`, and yields nothing; or, before an early exit, hands the accumulator on every
/// `hand_on` items (see the module docs).
#[doc(hidden)]
pub struct FoldPiece<'p, P, T, ID, F> {
    items: P,
    acc: &'p mut Option<T>,
    identity: &'p ID,
    fold: &'p F,
    /// How many items to fold before the next accumulator is handed on (0: never).
    hand_on: usize,
    /// The `with_min_len`: above 1 (an indexed base, one item per base index), an
    /// accumulator is handed on only if the `left` items that follow it fill another.
    min: usize,
    /// The items the piece has left, if `min` is above 1.
    left: usize,
}

impl<P: fmt::Debug, T, ID, F> fmt::Debug for FoldPiece<'_, P, T, ID, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FoldPiece")
            .field("items", &self.items)
            .finish_non_exhaustive()
    }
}

impl<P, T, ID, F> FoldPiece<'_, P, T, ID, F>
where
    P: Iterator,
    ID: Fn() -> T,
    F: Fn(T, P::Item) -> T,
{
    /// Folds up to `hand_on` items: hands the accumulator on if they were all there (and
    /// doubles `hand_on`), else leaves it in the chain's state for the flush.
    #[cold]
    fn next_handed_on(&mut self) -> Option<T> {
        if self.min > 1 {
            if self.left.saturating_sub(self.hand_on) < self.min {
                // What is left is one accumulator's worth: no more hand-ons.
                self.hand_on = 0;
                return self.next();
            }
            self.left -= self.hand_on;
        }
        let first = self.items.next()?;
        let acc = (self.fold)(self.acc.take().unwrap_or_else(self.identity), first);
        let mut folded = 1;
        let acc = self
            .items
            .by_ref()
            .take(self.hand_on - 1)
            .inspect(|_| folded += 1)
            .fold(acc, self.fold);
        if folded < self.hand_on {
            // The piece ran out: the accumulator goes on with the chain.
            *self.acc = Some(acc);
            return None;
        }
        self.hand_on = (self.hand_on * 2).min(MAX_HAND_ON);
        Some(acc)
    }
}

impl<P, T, ID, F> Iterator for FoldPiece<'_, P, T, ID, F>
where
    P: Iterator,
    ID: Fn() -> T,
    F: Fn(T, P::Item) -> T,
{
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.hand_on > 0 {
            return self.next_handed_on();
        }
        if let Some(first) = self.items.next() {
            let acc = (self.fold)(self.acc.take().unwrap_or_else(self.identity), first);
            *self.acc = Some(self.items.by_ref().fold(acc, self.fold));
        }
        None
    }
}

/// `items.fold(acc, fold)`, in a function of its own: inlined into the driver, an
/// accumulator that the fold moves (a `Vec` pushed to) was stored back to the stack and
/// loaded again on every item, and the load of a value just stored in parts stalls the
/// processor (a `fold` of `Vec::push` after a `flat_map`: 12 ns an item against 3).
#[inline(never)]
pub(crate) fn fold_out_of_line<I, T, F>(items: I, acc: T, fold: &F) -> T
where
    I: Iterator,
    F: Fn(T, I::Item) -> T,
{
    items.fold(acc, fold)
}
