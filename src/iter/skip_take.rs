//! [`Skip`] and [`Take`]: an indexed iterator without its first `n` items, or with only
//! its first `n`. Both are a window `skip..skip + len` of the base's indices: a piece
//! `start..end` is the base's piece `skip + start..skip + end`. The base indices outside
//! the window are never asked for, so the base's closures never run on them (an owning
//! source drops their items when it is dropped).

use std::fmt;
use std::iter::Empty;

use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::iter::{IndexedParallelIterator, ParallelIterator};

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
#[derive(Clone, Debug)]
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
pub struct Skip<I> {
    base: I,
    /// The items skipped: `n`, or all of them if there are fewer.
    skip: usize,
    len: usize,
}

impl<I: IndexedParallelIterator> Skip<I> {
    pub(crate) fn new(base: I, n: usize) -> Self {
        let all = base.len();
        let skip = n.min(all);
        Skip {
            base,
            skip,
            len: all - skip,
        }
    }
}

window!(Skip);

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

impl<I: fmt::Debug> fmt::Debug for Take<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Take")
            .field("base", &self.base)
            .field("len", &self.len)
            .finish()
    }
}
