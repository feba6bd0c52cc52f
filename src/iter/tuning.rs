//! Adaptors that change how the loop is cut, not the items: [`MinLen`], [`MaxLen`],
//! [`WithSchedule`], [`ExponentialBlocks`], [`UniformBlocks`]. Their pieces are the base's
//! pieces unchanged.

use crate::iter::drive::{Blocks, Config};
use crate::iter::sealed::Sealed;
use crate::iter::{IndexedParallelIterator, ParallelIterator};
use crate::loops::Schedule;

/// Implements the iterator traits for a tuning adaptor whose `config` is
/// `$config(base.config(), self.$field)`.
macro_rules! tuning {
    ($name:ident, $field:ident, $config:path) => {
        impl<I> Sealed for $name<I> {}

        impl<I: ParallelIterator> ParallelIterator for $name<I> {
            type Item = I::Item;
            type State = I::State;
            type Piece<'p>
                = I::Piece<'p>
            where
                Self: 'p;
            type Flush<'p>
                = I::Flush<'p>
            where
                Self: 'p;
            const INDEXED: bool = I::INDEXED;
            const FLUSHES: bool = I::FLUSHES;
            const CUTS_SHORT: bool = I::CUTS_SHORT;
            const BOUNDLESS: bool = I::BOUNDLESS;
            const CLOSES: bool = I::CLOSES;
            const PURE: bool = I::PURE;

            #[inline]
            fn base_len(&self) -> usize {
                self.base.base_len()
            }

            #[inline]
            fn config(&self) -> Config {
                $config(self.base.config(), self.$field)
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
                // SAFETY: forwarded: the caller's promise is the one the base needs.
                unsafe { self.base.piece(state, start, end) }
            }

            #[inline]
            fn flush<'p>(&'p self, state: I::State) -> I::Flush<'p> {
                self.base.flush(state)
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
                // SAFETY: forwarded: the caller's promise is the one the base needs.
                unsafe { self.base.rev_piece(state, start, end) }
            }
        }
    };
}

/// The parallel iterator of [`ParallelIterator::with_min_len`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::MinLen<_> = (0..10i32).into_par_iter().with_min_len(4);
/// assert_eq!(it.sum::<i32>(), 45);
/// ```
#[derive(Clone, Debug)]
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
pub struct MinLen<I> {
    base: I,
    min: usize,
}

impl<I> MinLen<I> {
    pub(crate) fn new(base: I, min: usize) -> Self {
        MinLen { base, min }
    }
}

tuning!(MinLen, min, Config::with_min_len);

/// The parallel iterator of [`ParallelIterator::with_max_len`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::MaxLen<_> = (0..10i32).into_par_iter().with_max_len(4);
/// assert_eq!(it.sum::<i32>(), 45);
/// ```
#[derive(Clone, Debug)]
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
pub struct MaxLen<I> {
    base: I,
    max: usize,
}

impl<I> MaxLen<I> {
    pub(crate) fn new(base: I, max: usize) -> Self {
        MaxLen { base, max }
    }
}

tuning!(MaxLen, max, Config::with_max_len);

/// The parallel iterator of [`ParallelIterator::with_schedule`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
/// use brigade::Schedule;
///
/// let it: brigade::iter::WithSchedule<_> =
///     (0..10i32).into_par_iter().with_schedule(Schedule::Dynamic { chunk: 2 });
/// assert_eq!(it.sum::<i32>(), 45);
/// ```
#[derive(Clone, Debug)]
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
pub struct WithSchedule<I> {
    base: I,
    schedule: Schedule,
}

impl<I> WithSchedule<I> {
    pub(crate) fn new(base: I, schedule: Schedule) -> Self {
        WithSchedule { base, schedule }
    }
}

tuning!(WithSchedule, schedule, Config::with_schedule);

/// The parallel iterator of
/// [`by_exponential_blocks`](IndexedParallelIterator::by_exponential_blocks).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::ExponentialBlocks<_> = (0..10i32).into_par_iter().by_exponential_blocks();
/// assert_eq!(it.sum::<i32>(), 45);
/// ```
#[derive(Clone, Debug)]
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
pub struct ExponentialBlocks<I> {
    base: I,
    blocks: Blocks,
}

impl<I> ExponentialBlocks<I> {
    pub(crate) fn new(base: I) -> Self {
        ExponentialBlocks {
            base,
            blocks: Blocks::Exponential,
        }
    }
}

tuning!(ExponentialBlocks, blocks, Config::with_blocks);

/// The parallel iterator of [`by_uniform_blocks`](IndexedParallelIterator::by_uniform_blocks).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::UniformBlocks<_> = (0..10i32).into_par_iter().by_uniform_blocks(4);
/// assert_eq!(it.sum::<i32>(), 45);
/// ```
#[derive(Clone, Debug)]
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
pub struct UniformBlocks<I> {
    base: I,
    blocks: Blocks,
}

impl<I> UniformBlocks<I> {
    #[track_caller]
    pub(crate) fn new(base: I, size: usize) -> Self {
        assert!(size != 0, "block_size must not be zero");
        UniformBlocks {
            base,
            blocks: Blocks::Uniform(size),
        }
    }
}

tuning!(UniformBlocks, blocks, Config::with_blocks);
