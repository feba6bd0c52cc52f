//! [`Iter`]: the parallel iterator over a loop source (`crate::loops::LoopSource`): an
//! integer range, a shared slice or a mutable slice. Its pieces are the source's own pieces
//! (`LoopSource::piece`), iterated as sequential code would.

use std::fmt;
use std::ops::{Range, RangeInclusive};

use crate::iter::drive::Config;
use crate::iter::long_range;
use crate::iter::sealed::Sealed;
use crate::iter::{IndexedParallelIterator, IntoParallelIterator, ParallelIterator};
use crate::loops::LoopSource;

/// The parallel iterator over a range (`Iter<Range<u32>>`, items are the integers), a
/// shared slice (`Iter<&[T]>`, items `&T`) or a mutable slice (`Iter<&mut [T]>`, items
/// `&mut T`): what `into_par_iter()`, `par_iter()` and `par_iter_mut()` return for them.
///
/// Indexed, except over a range of `u128` or `i128`, which is not (as in rayon) and may
/// hold more than `usize::MAX` items. The loop over such a longer range numbers runs of
/// items, about `len / usize::MAX` each, rather than items: a piece is never shorter than
/// a run, and `find_last` walks the last run forward.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::Iter<std::ops::Range<u32>> = (0..4u32).into_par_iter();
/// assert_eq!(it.len(), 4);
/// let v = [1, 2, 3];
/// let it: brigade::iter::Iter<&[i32]> = v.par_iter();
/// assert_eq!(it.sum::<i32>(), 6);
///
/// // 10^27 items: more than a `usize` counts.
/// let it: brigade::iter::Iter<std::ops::Range<u128>> = (0..10u128.pow(27)).into_par_iter();
/// assert_eq!(it.find_first(|&x| x > 5), Some(6));
/// ```
pub struct Iter<S: LoopSource> {
    raw: S::Raw,
    /// The number of base indices: of items, but for a range of `u128` or `i128` longer than
    /// `usize::MAX` (`long_range.rs`).
    len: usize,
    /// For a range of `u128` or `i128`: the offset of its last item (0 if empty).
    last: u128,
}

/// A copy of the source's view: only for sources that can be shared (`Clone`), so never for
/// a `&mut` slice.
impl<S: LoopSource + Clone> Clone for Iter<S> {
    fn clone(&self) -> Self {
        Iter {
            raw: self.raw,
            len: self.len,
            last: self.last,
        }
    }
}

impl<S: LoopSource> Iter<S> {
    /// # Panics
    ///
    /// If `source` has more than `usize::MAX` items, unless it is a range of `u128` or
    /// `i128` (`long_range.rs`).
    fn new(source: S) -> Self {
        let last = source.long_last();
        let len = match (source.checked_len(), last) {
            (Some(len), _) => len,
            (None, Some(last)) => long_range::base_len(last),
            (None, None) => too_long(),
        };
        Iter {
            raw: source.into_raw(),
            len,
            last: last.unwrap_or(0),
        }
    }

    /// The source's first item (for a range), the number of base indices, and the offset
    /// of the last item (for a range of `u128` or `i128`).
    pub(super) fn parts(&self) -> (S::Raw, usize, u128) {
        (self.raw, self.len, self.last)
    }
}

/// The sources whose every item has a `usize` index, so that [`Iter`] over them is an
/// indexed iterator: every [`LoopSource`] but the ranges of `u128` and `i128`, whose
/// iterator is not indexed (as in rayon) and may hold more items (`long_range.rs`).
#[doc(hidden)]
pub trait IndexedSource: LoopSource {}

macro_rules! indexed_source {
    ($($t:ty),*) => {$(
        impl IndexedSource for Range<$t> {}
        impl IndexedSource for RangeInclusive<$t> {}
    )*};
}

indexed_source!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize, char);
impl<T: Sync> IndexedSource for &[T] {}
impl<T: Send> IndexedSource for &mut [T] {}
impl<T: Sync> IndexedSource for &Vec<T> {}
impl<T: Send> IndexedSource for &mut Vec<T> {}

#[cold]
#[inline(never)]
fn too_long() -> ! {
    panic!(
        "a parallel iterator numbers its items with usize, and this range has more than \
         usize::MAX items: split it into parts of at most usize::MAX items"
    )
}

impl<S: LoopSource> fmt::Debug for Iter<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl<S: LoopSource> Sealed for Iter<S> {}

impl<S> ParallelIterator for Iter<S>
where
    S: IndexedSource,
    S::Item: Send,
{
    type Item = S::Item;
    type State = ();
    type Piece<'p>
        = <S::Piece as LoopSource>::Iter
    where
        Self: 'p;
    type Flush<'p>
        = std::iter::Empty<S::Item>
    where
        Self: 'p;
    const INDEXED: bool = true;
    const FLUSHES: bool = false;
    const CUTS_SHORT: bool = false;
    const BOUNDLESS: bool = false;
    const CLOSES: bool = false;
    const PURE: bool = true;

    #[inline]
    fn base_len(&self) -> usize {
        self.len
    }

    #[inline]
    fn config(&self) -> Config {
        Config::default()
    }

    #[inline]
    fn state(&self) {}

    #[inline]
    unsafe fn piece<'p>(&'p self, _: &'p mut (), start: usize, end: usize) -> Self::Piece<'p> {
        // SAFETY: `raw` came from `into_raw` of a source of `len` items whose borrow lives
        // as long as `S` (and so `self`); the caller promises `start <= end <= len` and
        // that pieces never overlap.
        unsafe { S::piece(self.raw, start, end) }.into_seq()
    }

    #[inline]
    fn flush<'p>(&'p self, (): ()) -> Self::Flush<'p> {
        std::iter::empty()
    }

    #[inline]
    fn dry_from(&self, _start: usize) -> bool {
        false
    }
}

impl<S> IndexedParallelIterator for Iter<S>
where
    S: IndexedSource,
    S::Item: Send,
{
    type RevPiece<'p>
        = std::iter::Rev<<S::Piece as LoopSource>::Iter>
    where
        Self: 'p;

    #[inline]
    unsafe fn rev_piece<'p>(
        &'p self,
        state: &'p mut (),
        start: usize,
        end: usize,
    ) -> Self::RevPiece<'p> {
        // SAFETY: forwarded: the caller's promise is the one `piece` needs.
        unsafe { self.piece(state, start, end) }.rev()
    }
}

// One impl for every integer type (not one per type): an untyped `(0..n).into_par_iter()`
// then compiles as it does with rayon, the literals falling back to `i32`.
impl<T: Send> IntoParallelIterator for Range<T>
where
    Range<T>: LoopSource<Item = T>,
    Iter<Range<T>>: ParallelIterator<Item = T>,
{
    type Iter = Iter<Range<T>>;
    type Item = T;

    #[inline]
    fn into_par_iter(self) -> Self::Iter {
        Iter::new(self)
    }
}

impl<T: Send> IntoParallelIterator for RangeInclusive<T>
where
    RangeInclusive<T>: LoopSource<Item = T>,
    Iter<RangeInclusive<T>>: ParallelIterator<Item = T>,
{
    type Iter = Iter<RangeInclusive<T>>;
    type Item = T;

    #[inline]
    fn into_par_iter(self) -> Self::Iter {
        Iter::new(self)
    }
}

impl<'a, T: Sync> IntoParallelIterator for &'a [T] {
    type Iter = Iter<&'a [T]>;
    type Item = &'a T;

    #[inline]
    fn into_par_iter(self) -> Self::Iter {
        Iter::new(self)
    }
}

impl<'a, T: Send> IntoParallelIterator for &'a mut [T] {
    type Iter = Iter<&'a mut [T]>;
    type Item = &'a mut T;

    #[inline]
    fn into_par_iter(self) -> Self::Iter {
        Iter::new(self)
    }
}

impl<'a, T: Sync> IntoParallelIterator for &'a Vec<T> {
    type Iter = Iter<&'a [T]>;
    type Item = &'a T;

    #[inline]
    fn into_par_iter(self) -> Self::Iter {
        Iter::new(self.as_slice())
    }
}

impl<'a, T: Send> IntoParallelIterator for &'a mut Vec<T> {
    type Iter = Iter<&'a mut [T]>;
    type Item = &'a mut T;

    #[inline]
    fn into_par_iter(self) -> Self::Iter {
        Iter::new(self.as_mut_slice())
    }
}

impl<'a, T: Sync, const N: usize> IntoParallelIterator for &'a [T; N] {
    type Iter = Iter<&'a [T]>;
    type Item = &'a T;

    #[inline]
    fn into_par_iter(self) -> Self::Iter {
        Iter::new(self.as_slice())
    }
}

impl<'a, T: Send, const N: usize> IntoParallelIterator for &'a mut [T; N] {
    type Iter = Iter<&'a mut [T]>;
    type Item = &'a mut T;

    #[inline]
    fn into_par_iter(self) -> Self::Iter {
        Iter::new(self.as_mut_slice())
    }
}
