//! [`Skip`] and [`Take`]: an indexed iterator without its first `n` items, or with only
//! its first `n`. Both are a window `skip..skip + len` of the base's indices: a piece
//! `start..end` is the base's piece `skip + start..skip + end`.
//!
//! `Skip` still runs its base on the indices it skips, for what making their items does
//! (a `map` or `inspect` with side effects), as std's `skip` and rayon's do: the first piece
//! the loop asks for, whichever it is (the last one for `find_last`, an empty one for a
//! `Skip` that leaves nothing, which the driver asks for once: `drive.rs`, `Drive::empty`),
//! first runs `0..skip` as a parallel loop of its own, dropping the items. A flag makes it
//! once per `Skip`, however its pieces come: a `rev` may turn an outer window's empty piece
//! into one at index 0 besides the piece of items there, and blocks (`by_uniform_blocks`)
//! drive one `Skip` as several loops. A plain source ([`ParallelIterator::PURE`]: an owning
//! source drops the skipped items when it is dropped) is not run. The indices past
//! `Take`'s window are never asked for, as in std and rayon.

use std::fmt;
use std::iter::Empty;

use crate::iter::drive::{Config, drive_for_effects};
use crate::iter::sealed::Sealed;
use crate::iter::{IndexedParallelIterator, ParallelIterator};
use crate::loom::{AtomicBool, Ordering};

/// Implements the iterator traits for a window of the base's indices: `self.skip` is the
/// first base index of the window, `self.len` its length (`skip + len <= base_len`).
macro_rules! window {
    ($name:ident) => {
        impl<I> Sealed for $name<I> {}

        impl<I: IndexedParallelIterator> ParallelIterator for $name<I> {
            type Item = I::Item;
            type State = I::State;
            type Piece<'p>
                = I::Piece<'p>
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
            ) -> I::Piece<'p> {
                self.run_skipped();
                // SAFETY: `start <= end <= len` and `skip + len <= base_len` put the shifted
                // piece within the base; shifting keeps disjoint pieces disjoint.
                unsafe { self.base.piece(state, self.skip + start, self.skip + end) }
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

        impl<I: IndexedParallelIterator> IndexedParallelIterator for $name<I> {
            type RevPiece<'p>
                = I::RevPiece<'p>
            where
                Self: 'p;

            #[inline]
            unsafe fn rev_piece<'p>(
                &'p self,
                state: &'p mut I::State,
                start: usize,
                end: usize,
            ) -> I::RevPiece<'p> {
                self.run_skipped();
                // SAFETY: as in `piece`.
                unsafe {
                    self.base
                        .rev_piece(state, self.skip + start, self.skip + end)
                }
            }
        }
    };
}

/// The parallel iterator of [`IndexedParallelIterator::skip`]: all but the first `n`
/// items (none if there are at most `n`).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::Skip<_> = (0..5u32).into_par_iter().skip(3);
/// assert_eq!(it.collect::<Vec<_>>(), [3, 4]);
/// ```
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
pub struct Skip<I> {
    base: I,
    /// The items skipped: `n`, or all of them if there are fewer.
    skip: usize,
    len: usize,
    /// Set by the first piece asked for, which runs the skipped indices (module docs).
    ran_skipped: AtomicBool,
}

impl<I: Clone> Clone for Skip<I> {
    /// A new iterator: its skipped items run again when it is driven.
    fn clone(&self) -> Self {
        Skip {
            base: self.base.clone(),
            skip: self.skip,
            len: self.len,
            ran_skipped: AtomicBool::new(false),
        }
    }
}

impl<I: fmt::Debug> fmt::Debug for Skip<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Skip")
            .field("base", &self.base)
            .field("skip", &self.skip)
            .field("len", &self.len)
            .finish()
    }
}

impl<I: IndexedParallelIterator> Skip<I> {
    pub(crate) fn new(base: I, n: usize) -> Self {
        let all = base.len();
        let skip = n.min(all);
        Skip {
            base,
            skip,
            len: all - skip,
            ran_skipped: AtomicBool::new(false),
        }
    }
}

window!(Skip);

impl<I: IndexedParallelIterator> Skip<I> {
    /// Runs the skipped base indices `0..skip` for their effects, from the first piece asked
    /// for (module docs).
    #[inline]
    fn run_skipped(&self) {
        // Relaxed: the swap alone picks the one piece that runs them; no piece waits for
        // their effects (pieces of the loop at other indices may already be running).
        if self.skip > 0
            && !I::PURE
            && !self.ran_skipped.load(Ordering::Relaxed)
            && !self.ran_skipped.swap(true, Ordering::Relaxed)
        {
            // `0..skip` lies below every index a piece asks the base for.
            drive_for_effects(&self.base, self.skip);
        }
    }
}

/// The parallel iterator of [`IndexedParallelIterator::take`]: the first `n` items (all
/// of them if there are at most `n`).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::Take<_> = (0..5u32).into_par_iter().take(3);
/// assert_eq!(it.collect::<Vec<_>>(), [0, 1, 2]);
/// ```
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
#[derive(Clone)]
pub struct Take<I> {
    base: I,
    /// Always 0: `Take`'s window starts where the base does.
    skip: usize,
    len: usize,
}

impl<I: IndexedParallelIterator> Take<I> {
    pub(crate) fn new(base: I, n: usize) -> Self {
        let len = n.min(base.len());
        Take { base, skip: 0, len }
    }
}

window!(Take);

impl<I> Take<I> {
    /// Nothing: `Take` asks for no index past its window (module docs).
    #[inline]
    fn run_skipped(&self) {}
}

impl<I: fmt::Debug> fmt::Debug for Take<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Take")
            .field("base", &self.base)
            .field("len", &self.len)
            .finish()
    }
}
