//! Slices cut into parts where a predicate says, as rayon's and std's: `par_split`,
//! `par_split_inclusive` and `par_chunk_by` ([`ParallelSlice`]) and their `_mut` kin
//! ([`ParallelSliceMut`]).
//!
//! Where the cuts are is found first, by a parallel scan of the items (each item, or each
//! pair of neighbours for `par_chunk_by`, goes through the predicate once), when the loop
//! starts; the parts are then the base indices of an indexed loop. A part runs as one
//! item, however long it is. Finding the cuts first is what lets the `_mut` parts be
//! handed out while no piece reads a neighbour's items: a part found on the fly may
//! reach into the next piece's items, which that piece would read to find its own first
//! part while the first piece's caller writes them. The cuts take one `usize` per part.
//!
//! [`ParallelSlice`]: crate::iter::ParallelSlice
//! [`ParallelSliceMut`]: crate::iter::ParallelSliceMut

use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::iter::{IndexedParallelIterator, IntoParallelIterator, ParallelIterator};
use crate::loops::LoopSource;

/// How a slice is cut into parts: which indices are cuts, and which items each part holds.
/// Public only as a type parameter of the iterators below.
pub trait Cut<T>: Sync + Send {
    /// The indices that may be cuts.
    #[doc(hidden)]
    fn candidates(len: usize) -> Range<usize>;
    /// True if `i` is a cut of `v`.
    #[doc(hidden)]
    fn is_cut(&self, v: &[T], i: usize) -> bool;
    /// How many parts the cuts make of `len` items.
    #[doc(hidden)]
    fn count(cuts: &[usize], len: usize) -> usize;
    /// The items of part `k`: `first..past`.
    #[doc(hidden)]
    fn part(cuts: &[usize], len: usize, k: usize) -> (usize, usize);
}

/// The parts between separators, which belong to no part (`par_split`): always one part
/// more than separators, some of them empty.
#[derive(Clone)]
pub struct Separator<P>(P);

impl<P> fmt::Debug for Separator<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Separator").finish_non_exhaustive()
    }
}

impl<T, P: Fn(&T) -> bool + Sync + Send> Cut<T> for Separator<P> {
    fn candidates(len: usize) -> Range<usize> {
        0..len
    }
    fn is_cut(&self, v: &[T], i: usize) -> bool {
        (self.0)(&v[i])
    }
    fn count(cuts: &[usize], _len: usize) -> usize {
        cuts.len() + 1
    }
    fn part(cuts: &[usize], len: usize, k: usize) -> (usize, usize) {
        let first = if k == 0 { 0 } else { cuts[k - 1] + 1 };
        (first, cuts.get(k).copied().unwrap_or(len))
    }
}

/// The parts that end with a separator, or at the end (`par_split_inclusive`): no part
/// after a final separator, and none at all in an empty slice.
#[derive(Clone)]
pub struct Terminator<P>(P);

impl<P> fmt::Debug for Terminator<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Terminator").finish_non_exhaustive()
    }
}

impl<T, P: Fn(&T) -> bool + Sync + Send> Cut<T> for Terminator<P> {
    fn candidates(len: usize) -> Range<usize> {
        0..len
    }
    fn is_cut(&self, v: &[T], i: usize) -> bool {
        (self.0)(&v[i])
    }
    fn count(cuts: &[usize], len: usize) -> usize {
        let tail = match cuts.last() {
            Some(&last) => last + 1 < len,
            None => len > 0,
        };
        cuts.len() + usize::from(tail)
    }
    fn part(cuts: &[usize], len: usize, k: usize) -> (usize, usize) {
        let first = if k == 0 { 0 } else { cuts[k - 1] + 1 };
        (first, cuts.get(k).map_or(len, |&c| c + 1))
    }
}

/// The runs of neighbours for which the predicate holds (`par_chunk_by`): a cut before
/// item `i` where `pred(v[i - 1], v[i])` is false; none in an empty slice.
#[derive(Clone)]
pub struct Neighbours<P>(P);

impl<P> fmt::Debug for Neighbours<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Neighbours").finish_non_exhaustive()
    }
}

impl<T, P: Fn(&T, &T) -> bool + Sync + Send> Cut<T> for Neighbours<P> {
    fn candidates(len: usize) -> Range<usize> {
        1..len.max(1)
    }
    fn is_cut(&self, v: &[T], i: usize) -> bool {
        !(self.0)(&v[i - 1], &v[i])
    }
    fn count(cuts: &[usize], len: usize) -> usize {
        if len == 0 { 0 } else { cuts.len() + 1 }
    }
    fn part(cuts: &[usize], len: usize, k: usize) -> (usize, usize) {
        let first = if k == 0 { 0 } else { cuts[k - 1] };
        (first, cuts.get(k).copied().unwrap_or(len))
    }
}

/// The cuts of `v`, in order, found by a parallel scan.
fn scan<T: Sync, C: Cut<T>>(v: &[T], cut: &C) -> Vec<usize> {
    C::candidates(v.len())
        .into_par_iter()
        .filter(|&i| cut.is_cut(v, i))
        .collect()
}

/// The parallel iterator of the shared slice parts: `par_split`, `par_split_inclusive`,
/// `par_chunk_by` (the aliases [`SliceSplit`], [`SliceSplitInclusive`], [`ChunkBy`]).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let v = [1, 0, 2, 3, 0, 4];
/// let it: brigade::iter::SliceSplit<'_, i32, _> = v.par_split(|&x| x == 0);
/// assert_eq!(it.collect::<Vec<_>>(), [&[1][..], &[2, 3], &[4]]);
/// ```
#[must_use = "iterators are lazy: call a terminal such as `for_each` or `collect`"]
pub struct SliceParts<'a, T, C> {
    slice: &'a [T],
    cut: C,
    cuts: OnceLock<Vec<usize>>,
}

/// The parallel iterator of [`par_split`](crate::iter::ParallelSlice::par_split).
pub type SliceSplit<'a, T, P> = SliceParts<'a, T, Separator<P>>;
/// The parallel iterator of
/// [`par_split_inclusive`](crate::iter::ParallelSlice::par_split_inclusive).
pub type SliceSplitInclusive<'a, T, P> = SliceParts<'a, T, Terminator<P>>;
/// The parallel iterator of [`par_chunk_by`](crate::iter::ParallelSlice::par_chunk_by).
pub type ChunkBy<'a, T, P> = SliceParts<'a, T, Neighbours<P>>;

impl<'a, T: Sync, C: Cut<T>> SliceParts<'a, T, C> {
    fn new(slice: &'a [T], cut: C) -> Self {
        SliceParts {
            slice,
            cut,
            cuts: OnceLock::new(),
        }
    }

    fn cuts(&self) -> &[usize] {
        self.cuts.get_or_init(|| scan(self.slice, &self.cut))
    }
}

pub(crate) fn split<T: Sync, P>(slice: &[T], separator: P) -> SliceSplit<'_, T, P>
where
    P: Fn(&T) -> bool + Sync + Send,
{
    SliceParts::new(slice, Separator(separator))
}

pub(crate) fn split_inclusive<T: Sync, P>(
    slice: &[T],
    separator: P,
) -> SliceSplitInclusive<'_, T, P>
where
    P: Fn(&T) -> bool + Sync + Send,
{
    SliceParts::new(slice, Terminator(separator))
}

pub(crate) fn chunk_by<T: Sync, P>(slice: &[T], pred: P) -> ChunkBy<'_, T, P>
where
    P: Fn(&T, &T) -> bool + Sync + Send,
{
    SliceParts::new(slice, Neighbours(pred))
}

/// `Clone` whatever the items (as rayon's): only the predicate must be `Clone`.
impl<T, C: Clone> Clone for SliceParts<'_, T, C> {
    fn clone(&self) -> Self {
        SliceParts {
            slice: self.slice,
            cut: self.cut.clone(),
            cuts: self.cuts.clone(),
        }
    }
}

impl<T, C> fmt::Debug for SliceParts<'_, T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SliceParts")
            .field("len", &self.slice.len())
            .finish_non_exhaustive()
    }
}

/// The parts `k` of one piece, as shared slices.
pub struct Parts<'p, 'a, T, C> {
    slice: &'a [T],
    cuts: &'p [usize],
    k: Range<usize>,
    _cut: std::marker::PhantomData<fn() -> C>,
}

impl<T, C> fmt::Debug for Parts<'_, '_, T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parts")
            .field("k", &self.k)
            .finish_non_exhaustive()
    }
}

impl<'a, T, C: Cut<T>> Iterator for Parts<'_, 'a, T, C> {
    type Item = &'a [T];

    #[inline]
    fn next(&mut self) -> Option<&'a [T]> {
        let k = self.k.next()?;
        let (first, past) = C::part(self.cuts, self.slice.len(), k);
        Some(&self.slice[first..past])
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.k.size_hint()
    }
}

impl<T, C: Cut<T>> DoubleEndedIterator for Parts<'_, '_, T, C> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        let k = self.k.next_back()?;
        let (first, past) = C::part(self.cuts, self.slice.len(), k);
        Some(&self.slice[first..past])
    }
}

impl<T, C> Sealed for SliceParts<'_, T, C> {}

impl<'a, T: Sync, C: Cut<T>> ParallelIterator for SliceParts<'a, T, C> {
    type Item = &'a [T];
    type State = ();
    type Piece<'p>
        = Parts<'p, 'a, T, C>
    where
        Self: 'p;
    type Flush<'p>
        = std::iter::Empty<&'a [T]>
    where
        Self: 'p;
    const INDEXED: bool = true;
    const FLUSHES: bool = false;
    const CUTS_SHORT: bool = false;
    const BOUNDLESS: bool = false;
    const CLOSES: bool = false;
    // The cuts are found before the loop; a part is a slice.
    const PURE: bool = true;

    #[inline]
    fn base_len(&self) -> usize {
        C::count(self.cuts(), self.slice.len())
    }

    #[inline]
    fn config(&self) -> Config {
        Config::default()
    }

    #[inline]
    fn state(&self) {}

    #[inline]
    unsafe fn piece<'p>(&'p self, _: &'p mut (), start: usize, end: usize) -> Self::Piece<'p> {
        Parts {
            slice: self.slice,
            cuts: self.cuts(),
            k: start..end,
            _cut: std::marker::PhantomData,
        }
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

impl<'a, T: Sync, C: Cut<T>> IndexedParallelIterator for SliceParts<'a, T, C> {
    type RevPiece<'p>
        = std::iter::Rev<Parts<'p, 'a, T, C>>
    where
        Self: 'p;

    #[inline]
    unsafe fn rev_piece<'p>(
        &'p self,
        state: &'p mut (),
        start: usize,
        end: usize,
    ) -> Self::RevPiece<'p> {
        // SAFETY: forwarded: shared parts need no promise at all.
        unsafe { self.piece(state, start, end) }.rev()
    }
}

/// The raw form of the `&'a mut [T]` the mutable parts come from.
type RawMut<'a, T> = <&'a mut [T] as LoopSource>::Raw;

/// The parallel iterator of the mutable slice parts: `par_split_mut`,
/// `par_split_inclusive_mut`, `par_chunk_by_mut` (the aliases [`SliceSplitMut`],
/// [`SliceSplitInclusiveMut`], [`ChunkByMut`]).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let mut v = [3, 1, 0, 5, 4, 0, 2];
/// let it: brigade::iter::SliceSplitMut<'_, i32, _> = v.par_split_mut(|&x| x == 0);
/// it.for_each(|part| part.sort());
/// assert_eq!(v, [1, 3, 0, 4, 5, 0, 2]);
/// ```
#[must_use = "iterators are lazy: call a terminal such as `for_each` or `collect`"]
pub struct SlicePartsMut<'a, T: Send, C> {
    raw: RawMut<'a, T>,
    len: usize,
    cut: C,
    cuts: OnceLock<Vec<usize>>,
}

/// The parallel iterator of [`par_split_mut`](crate::iter::ParallelSliceMut::par_split_mut).
pub type SliceSplitMut<'a, T, P> = SlicePartsMut<'a, T, Separator<P>>;
/// The parallel iterator of
/// [`par_split_inclusive_mut`](crate::iter::ParallelSliceMut::par_split_inclusive_mut).
pub type SliceSplitInclusiveMut<'a, T, P> = SlicePartsMut<'a, T, Terminator<P>>;
/// The parallel iterator of
/// [`par_chunk_by_mut`](crate::iter::ParallelSliceMut::par_chunk_by_mut).
pub type ChunkByMut<'a, T, P> = SlicePartsMut<'a, T, Neighbours<P>>;

impl<'a, T: Send + Sync, C: Cut<T>> SlicePartsMut<'a, T, C> {
    fn new(slice: &'a mut [T], cut: C) -> Self {
        SlicePartsMut {
            len: slice.len(),
            raw: slice.into_raw(),
            cut,
            cuts: OnceLock::new(),
        }
    }

    fn cuts(&self) -> &[usize] {
        self.cuts.get_or_init(|| {
            // SAFETY: `raw` came from a live `&'a mut [T]` of `len` items, and no part of it
            // was handed out yet: parts need the cuts, which this scan is making. So the
            // whole slice may be read, through this shared piece, until the scan returns.
            let all: &[T] = unsafe { <&'a mut [T]>::piece(self.raw, 0, self.len) };
            scan(all, &self.cut)
        })
    }
}

pub(crate) fn split_mut<T: Send + Sync, P>(slice: &mut [T], separator: P) -> SliceSplitMut<'_, T, P>
where
    P: Fn(&T) -> bool + Sync + Send,
{
    SlicePartsMut::new(slice, Separator(separator))
}

pub(crate) fn split_inclusive_mut<T: Send + Sync, P>(
    slice: &mut [T],
    separator: P,
) -> SliceSplitInclusiveMut<'_, T, P>
where
    P: Fn(&T) -> bool + Sync + Send,
{
    SlicePartsMut::new(slice, Terminator(separator))
}

pub(crate) fn chunk_by_mut<T: Send + Sync, P>(slice: &mut [T], pred: P) -> ChunkByMut<'_, T, P>
where
    P: Fn(&T, &T) -> bool + Sync + Send,
{
    SlicePartsMut::new(slice, Neighbours(pred))
}

impl<T: Send, C> fmt::Debug for SlicePartsMut<'_, T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlicePartsMut")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

/// The parts `k` of one piece, as mutable slices.
pub struct PartsMut<'p, 'a, T: Send, C> {
    raw: RawMut<'a, T>,
    len: usize,
    cuts: &'p [usize],
    k: Range<usize>,
    _cut: std::marker::PhantomData<fn() -> C>,
}

impl<T: Send, C> fmt::Debug for PartsMut<'_, '_, T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartsMut")
            .field("k", &self.k)
            .finish_non_exhaustive()
    }
}

impl<'a, T: Send, C: Cut<T>> PartsMut<'_, 'a, T, C> {
    #[inline]
    fn part(&self, k: usize) -> &'a mut [T] {
        let (first, past) = C::part(self.cuts, self.len, k);
        // SAFETY: `raw` came from a live `&'a mut [T]` of `len` items; parts are disjoint
        // ranges within it (cuts are increasing, and each part lies between two of them),
        // and each part `k` is made once: the pieces' ranges of `k` are disjoint (the
        // promise of `piece`), and this iterator yields each of its own `k` once.
        unsafe { <&'a mut [T]>::piece(self.raw, first, past) }
    }
}

impl<'a, T: Send, C: Cut<T>> Iterator for PartsMut<'_, 'a, T, C> {
    type Item = &'a mut [T];

    #[inline]
    fn next(&mut self) -> Option<&'a mut [T]> {
        let k = self.k.next()?;
        Some(self.part(k))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.k.size_hint()
    }
}

impl<T: Send, C: Cut<T>> DoubleEndedIterator for PartsMut<'_, '_, T, C> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        let k = self.k.next_back()?;
        Some(self.part(k))
    }
}

impl<T: Send, C> Sealed for SlicePartsMut<'_, T, C> {}

impl<'a, T: Send + Sync, C: Cut<T>> ParallelIterator for SlicePartsMut<'a, T, C> {
    type Item = &'a mut [T];
    type State = ();
    type Piece<'p>
        = PartsMut<'p, 'a, T, C>
    where
        Self: 'p;
    type Flush<'p>
        = std::iter::Empty<&'a mut [T]>
    where
        Self: 'p;
    const INDEXED: bool = true;
    const FLUSHES: bool = false;
    const CUTS_SHORT: bool = false;
    const BOUNDLESS: bool = false;
    const CLOSES: bool = false;
    // The cuts are found before the loop; a part is a slice.
    const PURE: bool = true;

    #[inline]
    fn base_len(&self) -> usize {
        C::count(self.cuts(), self.len)
    }

    #[inline]
    fn config(&self) -> Config {
        Config::default()
    }

    #[inline]
    fn state(&self) {}

    #[inline]
    unsafe fn piece<'p>(&'p self, _: &'p mut (), start: usize, end: usize) -> Self::Piece<'p> {
        PartsMut {
            raw: self.raw,
            len: self.len,
            cuts: self.cuts(),
            k: start..end,
            _cut: std::marker::PhantomData,
        }
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

impl<'a, T: Send + Sync, C: Cut<T>> IndexedParallelIterator for SlicePartsMut<'a, T, C> {
    type RevPiece<'p>
        = std::iter::Rev<PartsMut<'p, 'a, T, C>>
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
