//! Sources over groups of a slice's items: [`Chunks`], [`ChunksMut`], [`ChunksExact`],
//! [`ChunksExactMut`], [`Windows`], and the chunks from the end, [`RChunks`],
//! [`RChunksMut`], [`RChunksExact`], [`RChunksExactMut`]. Base index `i` is the `i`-th
//! chunk or window, so a piece `start..end` is the sub-slice those cover, cut by the std
//! iterator of the same name. Mutable chunks rebuild their sub-slice from the slice's raw
//! form, as a loop over a mutable slice does (`LoopSource::piece`): disjoint pieces cover
//! disjoint items.

use std::fmt;

use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::iter::{IndexedParallelIterator, ParallelIterator};
use crate::loops::LoopSource;

/// Implements the iterator traits for a chunk source: `$len(&self)` is its number of
/// chunks; `$piece(&self, start, end)` its items for chunks `start..end`, given the
/// caller's promise of `ParallelIterator::piece`.
macro_rules! chunk_source {
    ($name:ident, $bound:path, $item:ty, $piece:ty) => {
        impl<T: $bound> Sealed for $name<'_, T> {}

        impl<'a, T: $bound> ParallelIterator for $name<'a, T> {
            type Item = $item;
            type State = ();
            type Piece<'p>
                = $piece
            where
                Self: 'p;
            type Flush<'p>
                = std::iter::Empty<$item>
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
                self.count()
            }

            #[inline]
            fn config(&self) -> Config {
                Config::default()
            }

            #[inline]
            fn state(&self) {}

            #[inline]
            unsafe fn piece<'p>(&'p self, _: &'p mut (), start: usize, end: usize) -> $piece {
                // SAFETY: forwarded: the caller's promise is what `items` needs.
                unsafe { self.items(start, end) }
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

        impl<'a, T: $bound> IndexedParallelIterator for $name<'a, T> {
            type RevPiece<'p>
                = std::iter::Rev<$piece>
            where
                Self: 'p;

            #[inline]
            unsafe fn rev_piece<'p>(
                &'p self,
                _: &'p mut (),
                start: usize,
                end: usize,
            ) -> Self::RevPiece<'p> {
                // SAFETY: forwarded: the caller's promise is what `items` needs.
                unsafe { self.items(start, end) }.rev()
            }
        }

        impl<T: $bound> fmt::Debug for $name<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("len", &self.len)
                    .field("size", &self.size)
                    .finish_non_exhaustive()
            }
        }
    };
}

/// `Clone` for the iterators over a shared slice, whatever the items: they hold only the
/// slice and plain numbers (a derive would ask `T: Clone`, as rayon's do not).
macro_rules! clone_shared {
    ($($name:ident { $($field:ident),* };)*) => {$(
        impl<T> Clone for $name<'_, T> {
            fn clone(&self) -> Self {
                $name { $($field: self.$field),* }
            }
        }
    )*};
}

clone_shared! {
    Chunks { slice, len, size };
    ChunksExact { slice, len, size };
    Windows { slice, len, size };
    RChunks { slice, len, size };
    RChunksExact { slice, len, size };
}

impl<T, const N: usize> Clone for ArrayWindows<'_, T, N> {
    fn clone(&self) -> Self {
        ArrayWindows { slice: self.slice }
    }
}

/// The items of chunks `start..end` of `size` items over a slice of `len` (the last chunk
/// may be shorter): `first..past`.
#[inline]
fn chunk_bounds(start: usize, end: usize, size: usize, len: usize) -> (usize, usize) {
    // `start < count` so `start * size < len`; only the end of the last chunk can pass
    // `len`, or overflow (a slice of zero-sized items), hence the saturating product.
    (
        start.saturating_mul(size).min(len),
        end.saturating_mul(size).min(len),
    )
}

/// The parallel iterator of [`par_chunks`](crate::iter::ParallelSlice::par_chunks):
/// `&[T]` chunks of `size` items, the last one shorter.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let v = [1, 2, 3, 4, 5];
/// let it: brigade::iter::Chunks<'_, i32> = v.par_chunks(2);
/// assert_eq!(it.map(|c| c.len()).collect::<Vec<_>>(), [2, 2, 1]);
/// ```
#[must_use = "iterators are lazy: call a terminal such as `for_each` or `collect`"]
pub struct Chunks<'a, T> {
    slice: &'a [T],
    len: usize,
    size: usize,
}

impl<'a, T> Chunks<'a, T> {
    #[track_caller]
    pub(crate) fn new(slice: &'a [T], size: usize) -> Self {
        assert!(size != 0, "chunk_size must not be zero");
        Chunks {
            slice,
            len: slice.len(),
            size,
        }
    }

    fn count(&self) -> usize {
        self.len.div_ceil(self.size)
    }

    /// Unsafe only to share `chunk_source!` with the mutable chunks: shared items need
    /// no promise.
    unsafe fn items(&self, start: usize, end: usize) -> std::slice::Chunks<'a, T> {
        let (first, past) = chunk_bounds(start, end, self.size, self.len);
        self.slice[first..past].chunks(self.size)
    }
}

chunk_source!(Chunks, Sync, &'a [T], std::slice::Chunks<'a, T>);

/// The parallel iterator of [`par_chunks_exact`](crate::iter::ParallelSlice::par_chunks_exact):
/// `&[T]` chunks of exactly `size` items; the items left over are in
/// [`remainder`](Self::remainder).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let v = [1, 2, 3, 4, 5];
/// let it: brigade::iter::ChunksExact<'_, i32> = v.par_chunks_exact(2);
/// assert_eq!(it.remainder(), [5]);
/// assert_eq!(it.map(|c| c[0] + c[1]).collect::<Vec<_>>(), [3, 7]);
/// ```
#[must_use = "iterators are lazy: call a terminal such as `for_each` or `collect`"]
pub struct ChunksExact<'a, T> {
    slice: &'a [T],
    len: usize,
    size: usize,
}

impl<'a, T> ChunksExact<'a, T> {
    #[track_caller]
    pub(crate) fn new(slice: &'a [T], size: usize) -> Self {
        assert!(size != 0, "chunk_size must not be zero");
        ChunksExact {
            slice,
            len: slice.len(),
            size,
        }
    }

    /// The items after the last whole chunk (fewer than `size`).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert_eq!([1, 2, 3].par_chunks_exact(2).remainder(), [3]);
    /// ```
    pub fn remainder(&self) -> &'a [T] {
        &self.slice[self.count() * self.size..]
    }

    fn count(&self) -> usize {
        self.len / self.size
    }

    /// Unsafe only to share `chunk_source!` with the mutable chunks.
    unsafe fn items(&self, start: usize, end: usize) -> std::slice::ChunksExact<'a, T> {
        self.slice[start * self.size..end * self.size].chunks_exact(self.size)
    }
}

chunk_source!(ChunksExact, Sync, &'a [T], std::slice::ChunksExact<'a, T>);

/// The parallel iterator of [`par_windows`](crate::iter::ParallelSlice::par_windows): every
/// `&[T]` window of `size` consecutive items.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let v = [1, 2, 3, 4];
/// let it: brigade::iter::Windows<'_, i32> = v.par_windows(3);
/// assert_eq!(it.map(|w| w.iter().sum::<i32>()).collect::<Vec<_>>(), [6, 9]);
/// ```
#[must_use = "iterators are lazy: call a terminal such as `for_each` or `collect`"]
pub struct Windows<'a, T> {
    slice: &'a [T],
    len: usize,
    size: usize,
}

impl<'a, T> Windows<'a, T> {
    #[track_caller]
    pub(crate) fn new(slice: &'a [T], size: usize) -> Self {
        assert!(size != 0, "window size must be non-zero");
        Windows {
            slice,
            len: slice.len(),
            size,
        }
    }

    fn count(&self) -> usize {
        (self.len + 1).saturating_sub(self.size)
    }

    /// Unsafe only to share `chunk_source!` with the mutable chunks.
    unsafe fn items(&self, start: usize, end: usize) -> std::slice::Windows<'a, T> {
        // Windows `start..end` cover items `start..end - 1 + size`; an empty piece (the
        // one an empty iterator is asked for) covers none, within the slice.
        let past = (end + self.size - 1).min(self.slice.len());
        self.slice[start.min(past)..past].windows(self.size)
    }
}

chunk_source!(Windows, Sync, &'a [T], std::slice::Windows<'a, T>);

/// The parallel iterator of
/// [`par_array_windows`](crate::iter::ParallelSlice::par_array_windows): every window of
/// `N` consecutive items, as a `&[T; N]`.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let v = [1, 2, 3, 4];
/// let it: brigade::iter::ArrayWindows<'_, i32, 2> = v.par_array_windows();
/// assert_eq!(it.map(|[a, b]| a * b).collect::<Vec<_>>(), [2, 6, 12]);
/// ```
#[must_use = "iterators are lazy: call a terminal such as `for_each` or `collect`"]
pub struct ArrayWindows<'a, T, const N: usize> {
    slice: &'a [T],
}

/// A window of `N` items as an array reference.
type AsArray<'a, T, const N: usize> = fn(&'a [T]) -> &'a [T; N];

impl<'a, T, const N: usize> ArrayWindows<'a, T, N> {
    #[track_caller]
    pub(crate) fn new(slice: &'a [T]) -> Self {
        assert!(N != 0, "window size must be non-zero");
        ArrayWindows { slice }
    }

    fn count(&self) -> usize {
        (self.slice.len() + 1).saturating_sub(N)
    }

    fn items(
        &self,
        start: usize,
        end: usize,
    ) -> std::iter::Map<std::slice::Windows<'a, T>, AsArray<'a, T, N>> {
        // Windows `start..end` cover items `start..end - 1 + N`; an empty piece covers
        // none, within the slice (as for `Windows`).
        let past = (end + N - 1).min(self.slice.len());
        self.slice[start.min(past)..past]
            .windows(N)
            .map(|w| w.try_into().expect("a window of N items"))
    }
}

impl<T, const N: usize> Sealed for ArrayWindows<'_, T, N> {}

impl<'a, T: Sync, const N: usize> ParallelIterator for ArrayWindows<'a, T, N> {
    type Item = &'a [T; N];
    type State = ();
    type Piece<'p>
        = std::iter::Map<std::slice::Windows<'a, T>, AsArray<'a, T, N>>
    where
        Self: 'p;
    type Flush<'p>
        = std::iter::Empty<&'a [T; N]>
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
        self.count()
    }

    #[inline]
    fn config(&self) -> Config {
        Config::default()
    }

    #[inline]
    fn state(&self) {}

    #[inline]
    unsafe fn piece<'p>(&'p self, _: &'p mut (), start: usize, end: usize) -> Self::Piece<'p> {
        self.items(start, end)
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

impl<'a, T: Sync, const N: usize> IndexedParallelIterator for ArrayWindows<'a, T, N> {
    type RevPiece<'p>
        = std::iter::Rev<std::iter::Map<std::slice::Windows<'a, T>, AsArray<'a, T, N>>>
    where
        Self: 'p;

    #[inline]
    unsafe fn rev_piece<'p>(
        &'p self,
        _: &'p mut (),
        start: usize,
        end: usize,
    ) -> Self::RevPiece<'p> {
        self.items(start, end).rev()
    }
}

impl<T, const N: usize> fmt::Debug for ArrayWindows<'_, T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArrayWindows")
            .field("len", &self.slice.len())
            .field("size", &N)
            .finish_non_exhaustive()
    }
}

/// A mutable slice, shared by the pieces of one loop (see the module docs).
type RawMut<'a, T> = <&'a mut [T] as LoopSource>::Raw;

/// The items an exact mutable chunk iterator does not visit, kept apart from its chunks (a
/// split of the slice), as a raw view so that the iterator stays `Sync` for any `T: Send`.
struct Remainder<'a, T: Send> {
    raw: RawMut<'a, T>,
    len: usize,
}

impl<'a, T: Send> Remainder<'a, T> {
    fn new(rem: &'a mut [T]) -> Self {
        Remainder {
            len: rem.len(),
            raw: rem.into_raw(),
        }
    }

    fn get(&mut self) -> &mut [T] {
        // SAFETY: `raw` came from the live `&'a mut [T]` of `len` items split off from the
        // chunks, which no piece reaches; `&mut self` keeps any other borrow of it out for
        // as long as this one lives, and `take` (the only other way in) leaves `len` at 0.
        unsafe { <&'a mut [T]>::piece(self.raw, 0, self.len) }
    }

    fn take(&mut self) -> &'a mut [T] {
        // SAFETY: as in `get`; the whole remainder is handed out once, for `'a`, and `len`
        // is 0 from now on, so no later call reaches any of its items.
        let rem = unsafe { <&'a mut [T]>::piece(self.raw, 0, self.len) };
        self.len = 0;
        rem
    }
}

/// The parallel iterator of [`par_chunks_mut`](crate::iter::ParallelSliceMut::par_chunks_mut):
/// `&mut [T]` chunks of `size` items, the last one shorter.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let mut v = [0; 5];
/// let it: brigade::iter::ChunksMut<'_, i32> = v.par_chunks_mut(2);
/// it.enumerate().for_each(|(i, c)| c.fill(i as i32));
/// assert_eq!(v, [0, 0, 1, 1, 2]);
/// ```
#[must_use = "iterators are lazy: call a terminal such as `for_each` or `collect`"]
pub struct ChunksMut<'a, T: Send> {
    raw: RawMut<'a, T>,
    len: usize,
    size: usize,
}

impl<'a, T: Send> ChunksMut<'a, T> {
    #[track_caller]
    pub(crate) fn new(slice: &'a mut [T], size: usize) -> Self {
        assert!(size != 0, "chunk_size must not be zero");
        ChunksMut {
            len: slice.len(),
            raw: slice.into_raw(),
            size,
        }
    }

    fn count(&self) -> usize {
        self.len.div_ceil(self.size)
    }

    /// # Safety
    ///
    /// As [`ParallelIterator::piece`].
    unsafe fn items(&self, start: usize, end: usize) -> std::slice::ChunksMut<'a, T> {
        let (first, past) = chunk_bounds(start, end, self.size, self.len);
        // SAFETY: `raw` came from a live `&'a mut [T]` of `len` items; chunks `start..end`
        // are within it, and disjoint chunk ranges (the caller's promise) cover disjoint
        // items.
        unsafe { <&'a mut [T]>::piece(self.raw, first, past) }.chunks_mut(self.size)
    }
}

chunk_source!(ChunksMut, Send, &'a mut [T], std::slice::ChunksMut<'a, T>);

/// The parallel iterator of
/// [`par_chunks_exact_mut`](crate::iter::ParallelSliceMut::par_chunks_exact_mut): `&mut [T]`
/// chunks of exactly `size` items; the items left over are not visited (see
/// [`remainder`](Self::remainder), [`take_remainder`](Self::take_remainder) and
/// [`into_remainder`](Self::into_remainder)).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let mut v = [1, 2, 3, 4, 5];
/// let it: brigade::iter::ChunksExactMut<'_, i32> = v.par_chunks_exact_mut(2);
/// it.for_each(|c| c.swap(0, 1));
/// assert_eq!(v, [2, 1, 4, 3, 5]);
/// ```
#[must_use = "iterators are lazy: call a terminal such as `for_each` or `collect`"]
pub struct ChunksExactMut<'a, T: Send> {
    /// The whole chunks.
    raw: RawMut<'a, T>,
    len: usize,
    size: usize,
    /// The items after them, reached only through the `remainder` methods.
    rem: Remainder<'a, T>,
}

impl<'a, T: Send> ChunksExactMut<'a, T> {
    #[track_caller]
    pub(crate) fn new(slice: &'a mut [T], size: usize) -> Self {
        assert!(size != 0, "chunk_size must not be zero");
        let whole = slice.len() - slice.len() % size;
        let (chunks, rem) = slice.split_at_mut(whole);
        ChunksExactMut {
            len: whole,
            raw: chunks.into_raw(),
            size,
            rem: Remainder::new(rem),
        }
    }

    /// The items after the last whole chunk (fewer than `size`), which the iterator does not
    /// visit.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = [1, 2, 3, 4, 5];
    /// let mut it = v.par_chunks_exact_mut(2);
    /// it.remainder()[0] = 50;
    /// it.for_each(|c| c[0] = 0);
    /// assert_eq!(v, [0, 2, 0, 4, 50]);
    /// ```
    pub fn remainder(&mut self) -> &mut [T] {
        self.rem.get()
    }

    /// Takes the remainder out, for as long as the slice is borrowed; the iterator is then
    /// left with an empty one.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = [1, 2, 3];
    /// let mut it = v.par_chunks_exact_mut(2);
    /// let rem = it.take_remainder();
    /// assert!(it.remainder().is_empty());
    /// it.for_each(|c| c[1] = 0);
    /// rem[0] = 30;
    /// assert_eq!(v, [1, 0, 30]);
    /// ```
    pub fn take_remainder(&mut self) -> &'a mut [T] {
        self.rem.take()
    }

    /// The remainder, for as long as the slice is borrowed.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = [1, 2, 3];
    /// assert_eq!(v.par_chunks_exact_mut(2).into_remainder(), [3]);
    /// ```
    pub fn into_remainder(mut self) -> &'a mut [T] {
        self.rem.take()
    }

    fn count(&self) -> usize {
        self.len / self.size
    }

    /// # Safety
    ///
    /// As [`ParallelIterator::piece`].
    unsafe fn items(&self, start: usize, end: usize) -> std::slice::ChunksExactMut<'a, T> {
        // SAFETY: as in `ChunksMut::items`; whole chunks end by `count * size <= len`.
        unsafe { <&'a mut [T]>::piece(self.raw, start * self.size, end * self.size) }
            .chunks_exact_mut(self.size)
    }
}

chunk_source!(
    ChunksExactMut,
    Send,
    &'a mut [T],
    std::slice::ChunksExactMut<'a, T>
);

/// The items of chunks `start..end`, counted from the end, of `size` items over a slice of
/// `len` (the last chunk, at the front, may be shorter): `first..past`.
#[inline]
fn rchunk_bounds(start: usize, end: usize, size: usize, len: usize) -> (usize, usize) {
    (
        len - end.saturating_mul(size).min(len),
        len - start.saturating_mul(size).min(len),
    )
}

/// The parallel iterator of [`par_rchunks`](crate::iter::ParallelSlice::par_rchunks):
/// `&[T]` chunks of `size` items from the end, the last one (at the front) shorter.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let v = [1, 2, 3, 4, 5];
/// let it: brigade::iter::RChunks<'_, i32> = v.par_rchunks(2);
/// assert_eq!(it.collect::<Vec<_>>(), [&[4, 5][..], &[2, 3], &[1]]);
/// ```
#[must_use = "iterators are lazy: call a terminal such as `for_each` or `collect`"]
pub struct RChunks<'a, T> {
    slice: &'a [T],
    len: usize,
    size: usize,
}

impl<'a, T> RChunks<'a, T> {
    #[track_caller]
    pub(crate) fn new(slice: &'a [T], size: usize) -> Self {
        assert!(size != 0, "chunk_size must not be zero");
        RChunks {
            slice,
            len: slice.len(),
            size,
        }
    }

    fn count(&self) -> usize {
        self.len.div_ceil(self.size)
    }

    /// Unsafe only to share `chunk_source!` with the mutable chunks.
    unsafe fn items(&self, start: usize, end: usize) -> std::slice::RChunks<'a, T> {
        let (first, past) = rchunk_bounds(start, end, self.size, self.len);
        self.slice[first..past].rchunks(self.size)
    }
}

chunk_source!(RChunks, Sync, &'a [T], std::slice::RChunks<'a, T>);

/// The parallel iterator of
/// [`par_rchunks_exact`](crate::iter::ParallelSlice::par_rchunks_exact): `&[T]` chunks of
/// exactly `size` items from the end; the items left over, at the front, are in
/// [`remainder`](Self::remainder).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let v = [1, 2, 3, 4, 5];
/// let it: brigade::iter::RChunksExact<'_, i32> = v.par_rchunks_exact(2);
/// assert_eq!(it.remainder(), [1]);
/// assert_eq!(it.collect::<Vec<_>>(), [&[4, 5][..], &[2, 3]]);
/// ```
#[must_use = "iterators are lazy: call a terminal such as `for_each` or `collect`"]
pub struct RChunksExact<'a, T> {
    slice: &'a [T],
    len: usize,
    size: usize,
}

impl<'a, T> RChunksExact<'a, T> {
    #[track_caller]
    pub(crate) fn new(slice: &'a [T], size: usize) -> Self {
        assert!(size != 0, "chunk_size must not be zero");
        RChunksExact {
            slice,
            len: slice.len(),
            size,
        }
    }

    /// The items before the last whole chunk from the end (fewer than `size`).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert_eq!([1, 2, 3].par_rchunks_exact(2).remainder(), [1]);
    /// ```
    pub fn remainder(&self) -> &'a [T] {
        &self.slice[..self.len % self.size]
    }

    fn count(&self) -> usize {
        self.len / self.size
    }

    /// Unsafe only to share `chunk_source!` with the mutable chunks.
    unsafe fn items(&self, start: usize, end: usize) -> std::slice::RChunksExact<'a, T> {
        self.slice[self.len - end * self.size..self.len - start * self.size]
            .rchunks_exact(self.size)
    }
}

chunk_source!(RChunksExact, Sync, &'a [T], std::slice::RChunksExact<'a, T>);

/// The parallel iterator of
/// [`par_rchunks_mut`](crate::iter::ParallelSliceMut::par_rchunks_mut): `&mut [T]` chunks
/// of `size` items from the end, the last one (at the front) shorter.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let mut v = [0; 5];
/// let it: brigade::iter::RChunksMut<'_, i32> = v.par_rchunks_mut(2);
/// it.enumerate().for_each(|(i, c)| c.fill(i as i32));
/// assert_eq!(v, [2, 1, 1, 0, 0]);
/// ```
#[must_use = "iterators are lazy: call a terminal such as `for_each` or `collect`"]
pub struct RChunksMut<'a, T: Send> {
    raw: RawMut<'a, T>,
    len: usize,
    size: usize,
}

impl<'a, T: Send> RChunksMut<'a, T> {
    #[track_caller]
    pub(crate) fn new(slice: &'a mut [T], size: usize) -> Self {
        assert!(size != 0, "chunk_size must not be zero");
        RChunksMut {
            len: slice.len(),
            raw: slice.into_raw(),
            size,
        }
    }

    fn count(&self) -> usize {
        self.len.div_ceil(self.size)
    }

    /// # Safety
    ///
    /// As [`ParallelIterator::piece`].
    unsafe fn items(&self, start: usize, end: usize) -> std::slice::RChunksMut<'a, T> {
        let (first, past) = rchunk_bounds(start, end, self.size, self.len);
        // SAFETY: `raw` came from a live `&'a mut [T]` of `len` items; chunks `start..end`
        // are within it, and disjoint chunk ranges (the caller's promise) cover disjoint
        // items.
        unsafe { <&'a mut [T]>::piece(self.raw, first, past) }.rchunks_mut(self.size)
    }
}

chunk_source!(RChunksMut, Send, &'a mut [T], std::slice::RChunksMut<'a, T>);

/// The parallel iterator of
/// [`par_rchunks_exact_mut`](crate::iter::ParallelSliceMut::par_rchunks_exact_mut):
/// `&mut [T]` chunks of exactly `size` items from the end; the items left over, at the
/// front, are not visited.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let mut v = [1, 2, 3, 4, 5];
/// let it: brigade::iter::RChunksExactMut<'_, i32> = v.par_rchunks_exact_mut(2);
/// it.for_each(|c| c.swap(0, 1));
/// assert_eq!(v, [1, 3, 2, 5, 4]);
/// ```
#[must_use = "iterators are lazy: call a terminal such as `for_each` or `collect`"]
pub struct RChunksExactMut<'a, T: Send> {
    /// The whole chunks.
    raw: RawMut<'a, T>,
    len: usize,
    size: usize,
    /// The items before them, reached only through the `remainder` methods.
    rem: Remainder<'a, T>,
}

impl<'a, T: Send> RChunksExactMut<'a, T> {
    #[track_caller]
    pub(crate) fn new(slice: &'a mut [T], size: usize) -> Self {
        assert!(size != 0, "chunk_size must not be zero");
        let (rem, chunks) = slice.split_at_mut(slice.len() % size);
        RChunksExactMut {
            len: chunks.len(),
            raw: chunks.into_raw(),
            size,
            rem: Remainder::new(rem),
        }
    }

    /// The items before the first whole chunk from the end (fewer than `size`), which the
    /// iterator does not visit.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = [1, 2, 3, 4, 5];
    /// let mut it = v.par_rchunks_exact_mut(2);
    /// it.remainder()[0] = 10;
    /// it.for_each(|c| c[0] = 0);
    /// assert_eq!(v, [10, 0, 3, 0, 5]);
    /// ```
    pub fn remainder(&mut self) -> &mut [T] {
        self.rem.get()
    }

    /// Takes the remainder out, for as long as the slice is borrowed; the iterator is then
    /// left with an empty one.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = [1, 2, 3];
    /// let mut it = v.par_rchunks_exact_mut(2);
    /// let rem = it.take_remainder();
    /// assert!(it.remainder().is_empty());
    /// it.for_each(|c| c[0] = 0);
    /// rem[0] = 10;
    /// assert_eq!(v, [10, 0, 3]);
    /// ```
    pub fn take_remainder(&mut self) -> &'a mut [T] {
        self.rem.take()
    }

    /// The remainder, for as long as the slice is borrowed.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = [1, 2, 3];
    /// assert_eq!(v.par_rchunks_exact_mut(2).into_remainder(), [1]);
    /// ```
    pub fn into_remainder(mut self) -> &'a mut [T] {
        self.rem.take()
    }

    fn count(&self) -> usize {
        self.len / self.size
    }

    /// # Safety
    ///
    /// As [`ParallelIterator::piece`].
    unsafe fn items(&self, start: usize, end: usize) -> std::slice::RChunksExactMut<'a, T> {
        // SAFETY: as in `RChunksMut::items`; whole chunks from the end start at
        // `len - count * size >= 0`.
        unsafe {
            <&'a mut [T]>::piece(
                self.raw,
                self.len - end * self.size,
                self.len - start * self.size,
            )
        }
        .rchunks_exact_mut(self.size)
    }
}

chunk_source!(
    RChunksExactMut,
    Send,
    &'a mut [T],
    std::slice::RChunksExactMut<'a, T>
);
