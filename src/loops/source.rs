//! What a parallel loop runs over: an integer or `char` range, or a slice (shared or
//! mutable).
//!
//! A schedule only deals in index ranges `start..end` within `0..len`. A source turns itself
//! into a shared raw form once ([`LoopSource::into_raw`]), and each piece a schedule hands
//! out is rebuilt from it ([`LoopSource::piece`]): a sub-range of the same kind, or a
//! sub-slice. For mutable slices that is where the `unsafe` of the loops lives: pieces are
//! disjoint, so the `&mut [T]` they rebuild never alias.
//!
//! A piece of an inclusive range `a..=b` is inclusive too: a half-open piece ends one past
//! its last item, which does not exist when that item is `b == MAX` (`0u8..=255` would end
//! its last piece at `256`, wrapped to `0`, and lose it).

use std::marker::PhantomData;
use std::ops::{Range, RangeInclusive};
use std::ptr::NonNull;

mod sealed {
    pub trait Sealed {}
}

/// Something a parallel loop can run over: an integer range (`a..b` or `a..=b`, items are
/// the integers), a `char` range (items are the `char`s, without the surrogates, as std's
/// iterator over it), a shared slice (`&[T]` or `&Vec<T>`, items are `&T`) or a mutable
/// slice (`&mut [T]` or `&mut Vec<T>`, items are `&mut T`).
///
/// Implemented by brigade for those types only (the trait is sealed); its methods are for
/// brigade's schedules, not for calling. Ranges of every primitive integer type are
/// sources, `u8` to `u128`, `usize`, `i8` to `i128` and `isize`, and ranges of `char`.
///
/// A loop numbers its items with `usize`, so a range may hold at most `usize::MAX` items:
/// a loop over a longer one (`0..=u64::MAX` on a 64-bit target, `0..=u32::MAX` on a 32-bit
/// one, most `u128` ranges) panics before it runs anything, rather than skip items.
///
/// # Examples
///
/// ```
/// use brigade::{LoopSource, Schedule};
///
/// fn count<S: LoopSource>(source: S) -> usize {
///     brigade::map_reduce(source, Schedule::default(), || 0, |_| 1, |a, b| a + b)
/// }
/// assert_eq!(count(10..20u32), 10);
/// assert_eq!(count('a'..='z'), 26);
/// assert_eq!(count('\u{D7FF}'..'\u{E001}'), 2); // no surrogates
/// assert_eq!(count(&[1, 2, 3][..]), 3);
/// assert_eq!(count(&mut vec![0u8; 5]), 5);
/// ```
pub trait LoopSource: sealed::Sealed + Send + Sized {
    /// What the loop body receives for each index.
    type Item;
    /// The source, shared by every piece of one loop.
    #[doc(hidden)]
    type Raw: Copy + Send + Sync;
    /// A piece of the source (what [`for_each_chunk`](crate::for_each_chunk) hands to its
    /// body): a sub-slice for a slice, a sub-range of the same kind for a range (a
    /// `Range` for `a..b`, a non-empty `RangeInclusive` for `a..=b`, so that the piece
    /// holding the type's `MAX` can end there).
    type Piece: LoopSource<Item = Self::Item>;
    /// The items of the source, as sequential code iterates them (from either end: a
    /// reversed parallel iterator runs its pieces backwards).
    #[doc(hidden)]
    type Iter: DoubleEndedIterator<Item = Self::Item>;

    /// The number of items, or `usize::MAX` for a range with more (which a loop refuses:
    /// see above). (Not `len`: with `use brigade::*`, a range's `len()` would be ambiguous
    /// between this trait and `ExactSizeIterator`.)
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::*;
    ///
    /// assert_eq!((3..10u8).item_count(), 7);
    /// assert_eq!((3..10u8).len(), 7); // `ExactSizeIterator::len`, no ambiguity
    /// assert_eq!((0..=u64::MAX).item_count(), usize::MAX);
    /// ```
    fn item_count(&self) -> usize {
        self.checked_len().unwrap_or(usize::MAX)
    }

    /// The number of items, or `None` if it exceeds `usize::MAX`.
    #[doc(hidden)]
    fn checked_len(&self) -> Option<usize>;

    /// For a non-empty range of `u128` or `i128`, the offset of its last item from its
    /// first, which may not fit a `usize`; `None` for any other source. (A parallel
    /// iterator over such a range may hold more than `usize::MAX` items:
    /// `iter/long_range.rs`.)
    #[doc(hidden)]
    #[inline]
    fn long_last(&self) -> Option<u128> {
        None
    }

    /// True if there are no items.
    fn is_empty(&self) -> bool {
        self.item_count() == 0
    }

    #[doc(hidden)]
    fn into_raw(self) -> Self::Raw;

    /// The items `start..end` (within `0..len`) as a source of their own.
    ///
    /// # Safety
    ///
    /// `raw` came from `into_raw` of a source of length `len` whose borrow is still live,
    /// `start <= end <= len`, and no two pieces alive at the same time overlap.
    #[doc(hidden)]
    unsafe fn piece(raw: Self::Raw, start: usize, end: usize) -> Self::Piece;

    #[doc(hidden)]
    fn into_seq(self) -> Self::Iter;
}

macro_rules! range_source {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for Range<$t> {}

        impl LoopSource for Range<$t> {
            type Item = $t;
            type Raw = $t;
            type Piece = Self;
            type Iter = Range<$t>;

            #[inline]
            fn checked_len(&self) -> Option<usize> {
                if self.end <= self.start {
                    return Some(0);
                }
                // `None` for more than `usize::MAX` items (`0..u64::MAX` on a 32-bit target).
                usize::try_from(self.end.abs_diff(self.start)).ok()
            }

            #[inline]
            fn long_last(&self) -> Option<u128> {
                (<$t>::BITS == 128 && self.start < self.end)
                    .then(|| self.end.abs_diff(self.start) as u128 - 1)
            }

            #[inline]
            fn into_raw(self) -> $t {
                self.start
            }

            #[inline]
            unsafe fn piece(raw: $t, start: usize, end: usize) -> Self {
                // In range: `start <= end <= len`, and `raw + len` is the source's end.
                let at = |i: usize| raw.wrapping_add(i as $t);
                at(start)..at(end)
            }

            #[inline]
            fn into_seq(self) -> Range<$t> {
                self
            }
        }

        impl sealed::Sealed for RangeInclusive<$t> {}

        impl LoopSource for RangeInclusive<$t> {
            type Item = $t;
            type Raw = $t;
            type Piece = Self;
            type Iter = RangeInclusive<$t>;

            #[inline]
            fn checked_len(&self) -> Option<usize> {
                if self.is_empty() {
                    return Some(0);
                }
                // `None` for more than `usize::MAX` items (`0..=u64::MAX` on a 64-bit target).
                usize::try_from(self.end().abs_diff(*self.start()))
                    .ok()?
                    .checked_add(1)
            }

            #[inline]
            fn long_last(&self) -> Option<u128> {
                (<$t>::BITS == 128 && !self.is_empty())
                    .then(|| self.end().abs_diff(*self.start()) as u128)
            }

            #[inline]
            fn into_raw(self) -> $t {
                *self.start()
            }

            #[inline]
            unsafe fn piece(raw: $t, start: usize, end: usize) -> Self {
                if start == end {
                    // Empty (`MAX > MIN`); schedules never hand out empty pieces.
                    return RangeInclusive::new(<$t>::MAX, <$t>::MIN);
                }
                // In range: `start < end <= len`, so the last item, `raw + (end - 1)`, is at
                // most the source's last item. One past it may not exist (`b == MAX`): a
                // half-open piece could not end there, an inclusive one can.
                let at = |i: usize| raw.wrapping_add(i as $t);
                at(start)..=at(end - 1)
            }

            #[inline]
            fn into_seq(self) -> RangeInclusive<$t> {
                self
            }
        }
    )*};
}

range_source!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
);

/// The index of `c` among the `char`s: its scalar value with the surrogates
/// (`U+D800..=U+DFFF`, which are no `char`s) taken out, so consecutive `char`s have
/// consecutive indices.
#[inline]
fn char_index(c: char) -> u32 {
    let v = u32::from(c);
    if v >= 0xE000 { v - 0x800 } else { v }
}

/// The `char` of index `i` (see [`char_index`]); `i` is at most `char_index(char::MAX)`.
#[inline]
fn index_char(i: u32) -> char {
    let v = if i >= 0xD800 { i + 0x800 } else { i };
    char::from_u32(v).expect("the index of a char")
}

impl sealed::Sealed for Range<char> {}

/// The `char`s of a range, in order, without the surrogates (as std's iterator over it).
impl LoopSource for Range<char> {
    type Item = char;
    type Raw = u32;
    type Piece = Self;
    type Iter = Range<char>;

    #[inline]
    fn checked_len(&self) -> Option<usize> {
        if self.end <= self.start {
            return Some(0);
        }
        usize::try_from(char_index(self.end) - char_index(self.start)).ok()
    }

    #[inline]
    fn into_raw(self) -> u32 {
        char_index(self.start)
    }

    #[inline]
    unsafe fn piece(raw: u32, start: usize, end: usize) -> Self {
        // In range: `start <= end <= len`, and `raw + len` is the index of the source's end.
        let at = |i: usize| index_char(raw + i as u32);
        at(start)..at(end)
    }

    #[inline]
    fn into_seq(self) -> Range<char> {
        self
    }
}

impl sealed::Sealed for RangeInclusive<char> {}

/// The `char`s of a range, in order, without the surrogates (as std's iterator over it).
impl LoopSource for RangeInclusive<char> {
    type Item = char;
    type Raw = u32;
    type Piece = Self;
    type Iter = RangeInclusive<char>;

    #[inline]
    fn checked_len(&self) -> Option<usize> {
        if self.is_empty() {
            return Some(0);
        }
        usize::try_from(char_index(*self.end()) - char_index(*self.start()) + 1).ok()
    }

    #[inline]
    fn into_raw(self) -> u32 {
        char_index(*self.start())
    }

    #[inline]
    unsafe fn piece(raw: u32, start: usize, end: usize) -> Self {
        if start == end {
            // Empty; schedules never hand out empty pieces.
            return RangeInclusive::new(char::MAX, '\0');
        }
        // In range: `start < end <= len`, so the last item is at most the source's last.
        let at = |i: usize| index_char(raw + i as u32);
        at(start)..=at(end - 1)
    }

    #[inline]
    fn into_seq(self) -> RangeInclusive<char> {
        self
    }
}

/// A shared slice, as every piece of a loop sees it.
#[doc(hidden)]
#[derive(Debug)]
pub struct RawSlice<'a, T> {
    ptr: NonNull<T>,
    _borrow: PhantomData<&'a [T]>,
}

impl<T> Clone for RawSlice<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for RawSlice<'_, T> {}
// SAFETY: it stands for a `&'a [T]`, which is `Send` and `Sync` when `T: Sync`.
unsafe impl<T: Sync> Send for RawSlice<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for RawSlice<'_, T> {}

impl<T: Sync> sealed::Sealed for &[T] {}

impl<'a, T: Sync> LoopSource for &'a [T] {
    type Item = &'a T;
    type Raw = RawSlice<'a, T>;
    type Piece = Self;
    type Iter = std::slice::Iter<'a, T>;

    #[inline]
    fn checked_len(&self) -> Option<usize> {
        Some(<[T]>::len(self))
    }

    #[inline]
    fn into_raw(self) -> RawSlice<'a, T> {
        RawSlice {
            ptr: NonNull::from(self).cast(),
            _borrow: PhantomData,
        }
    }

    #[inline]
    unsafe fn piece(raw: RawSlice<'a, T>, start: usize, end: usize) -> Self {
        // SAFETY: the caller promises `start <= end <= len` of the live `&'a [T]` that `raw`
        // came from; shared pieces may overlap anyway.
        unsafe { std::slice::from_raw_parts(raw.ptr.as_ptr().add(start), end - start) }
    }

    #[inline]
    fn into_seq(self) -> Self::Iter {
        self.iter()
    }
}

impl<T: Sync> sealed::Sealed for &Vec<T> {}

impl<'a, T: Sync> LoopSource for &'a Vec<T> {
    type Item = &'a T;
    type Raw = RawSlice<'a, T>;
    type Piece = &'a [T];
    type Iter = std::slice::Iter<'a, T>;

    #[inline]
    fn checked_len(&self) -> Option<usize> {
        Some(Vec::len(self))
    }

    #[inline]
    fn into_raw(self) -> RawSlice<'a, T> {
        self.as_slice().into_raw()
    }

    #[inline]
    unsafe fn piece(raw: RawSlice<'a, T>, start: usize, end: usize) -> &'a [T] {
        // SAFETY: forwarded: the caller's promise is the one `<&[T]>::piece` needs.
        unsafe { <&'a [T]>::piece(raw, start, end) }
    }

    #[inline]
    fn into_seq(self) -> Self::Iter {
        self.iter()
    }
}

impl<T: Send> sealed::Sealed for &mut Vec<T> {}

impl<'a, T: Send> LoopSource for &'a mut Vec<T> {
    type Item = &'a mut T;
    type Raw = RawSliceMut<'a, T>;
    type Piece = &'a mut [T];
    type Iter = std::slice::IterMut<'a, T>;

    #[inline]
    fn checked_len(&self) -> Option<usize> {
        Some(Vec::len(self))
    }

    #[inline]
    fn into_raw(self) -> RawSliceMut<'a, T> {
        self.as_mut_slice().into_raw()
    }

    #[inline]
    unsafe fn piece(raw: RawSliceMut<'a, T>, start: usize, end: usize) -> &'a mut [T] {
        // SAFETY: forwarded: the caller's promise is the one `<&mut [T]>::piece` needs.
        unsafe { <&'a mut [T]>::piece(raw, start, end) }
    }

    #[inline]
    fn into_seq(self) -> Self::Iter {
        self.iter_mut()
    }
}

/// A mutable slice, as every piece of a loop sees it.
#[doc(hidden)]
#[derive(Debug)]
pub struct RawSliceMut<'a, T> {
    ptr: NonNull<T>,
    _borrow: PhantomData<&'a mut [T]>,
}

impl<T> Clone for RawSliceMut<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for RawSliceMut<'_, T> {}
// SAFETY: it stands for a `&'a mut [T]` cut into disjoint pieces that go to different
// threads, which is sound exactly when `&mut T` is `Send`, that is when `T: Send`.
unsafe impl<T: Send> Send for RawSliceMut<'_, T> {}
// SAFETY: sharing it only lets each thread rebuild its own disjoint piece (see above).
unsafe impl<T: Send> Sync for RawSliceMut<'_, T> {}

impl<T: Send> sealed::Sealed for &mut [T] {}

impl<'a, T: Send> LoopSource for &'a mut [T] {
    type Item = &'a mut T;
    type Raw = RawSliceMut<'a, T>;
    type Piece = Self;
    type Iter = std::slice::IterMut<'a, T>;

    #[inline]
    fn checked_len(&self) -> Option<usize> {
        Some(<[T]>::len(self))
    }

    #[inline]
    fn into_raw(self) -> RawSliceMut<'a, T> {
        RawSliceMut {
            ptr: NonNull::from(self).cast(),
            _borrow: PhantomData,
        }
    }

    #[inline]
    unsafe fn piece(raw: RawSliceMut<'a, T>, start: usize, end: usize) -> Self {
        // SAFETY: the caller promises `start <= end <= len` of the live `&'a mut [T]` that
        // `raw` came from, and that no other live piece overlaps this one.
        unsafe { std::slice::from_raw_parts_mut(raw.ptr.as_ptr().add(start), end - start) }
    }

    #[inline]
    fn into_seq(self) -> Self::Iter {
        self.iter_mut()
    }
}
