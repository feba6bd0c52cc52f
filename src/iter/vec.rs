//! [`IntoIter`]: a `Vec` by value (also arrays and boxed slices, through a `Vec`), whose
//! pieces move their items out.
//!
//! The iterator owns the buffer and its items; a piece takes ownership of the items of its
//! indices (each index goes to one piece, once), and drops those it did not yield when it
//! is dropped (an early exit, a panic). Indices that no piece ever took (the loop stopped
//! early, or a `zip` with a shorter side) still own their items when the iterator is
//! dropped: it records the ranges it handed out, and drops the items of the others. Items
//! without drop glue need no record, and get none.

use std::fmt;
use std::marker::PhantomData;
use std::mem::{ManuallyDrop, needs_drop};
use std::ptr::{self, NonNull};

use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::iter::{IndexedParallelIterator, IntoParallelIterator, ParallelIterator};
use crate::loom::Mutex;

/// The parallel iterator that moves the items out of a `Vec<T>`, `[T; N]` or `Box<[T]>`:
/// what their `into_par_iter()` returns.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let v = vec![String::from("a"), String::from("bb")];
/// let it: brigade::iter::IntoIter<String> = v.into_par_iter();
/// assert_eq!(it.map(|s| s.len()).sum::<usize>(), 3);
/// let total: u32 = [1u32, 2, 3].into_par_iter().sum();
/// assert_eq!(total, 6);
/// ```
pub struct IntoIter<T> {
    /// The `Vec`'s buffer: `cap` slots, of which `0..len` hold items.
    buf: NonNull<T>,
    cap: usize,
    len: usize,
    /// The ranges handed to pieces, when `T` has drop glue (see the module docs).
    taken: Mutex<Vec<(usize, usize)>>,
    _owns: PhantomData<T>,
}

// SAFETY: it owns `T`s (as a `Vec<T>` does) and gives each to one piece, on whichever
// thread runs it: sending or sharing it moves `T`s between threads, so `T: Send`. No `&T`
// is ever shared.
unsafe impl<T: Send> Send for IntoIter<T> {}
// SAFETY: as above: through `&IntoIter`, threads only take disjoint items out (by value).
unsafe impl<T: Send> Sync for IntoIter<T> {}

impl<T> IntoIter<T> {
    fn new(v: Vec<T>) -> Self {
        let mut v = ManuallyDrop::new(v);
        IntoIter {
            buf: NonNull::new(v.as_mut_ptr()).expect("a Vec's pointer is never null"),
            cap: v.capacity(),
            len: v.len(),
            taken: Mutex::new(Vec::new()),
            _owns: PhantomData,
        }
    }
}

impl<T> Drop for IntoIter<T> {
    fn drop(&mut self) {
        // SAFETY: the buffer of a `Vec` of capacity `cap`, now owned by nobody else; with
        // length 0 it frees the buffer only (dropped last, even if an item's drop panics).
        let _buffer = unsafe { Vec::from_raw_parts(self.buf.as_ptr(), 0, self.cap) };
        if !needs_drop::<T>() {
            return;
        }
        let mut taken = std::mem::take(&mut *self.taken.lock());
        taken.sort_unstable();
        let mut at = 0;
        for (start, end) in taken.into_iter().chain([(self.len, self.len)]) {
            let left = ptr::slice_from_raw_parts_mut(
                // SAFETY: `at <= start <= len`: in the buffer.
                unsafe { self.buf.as_ptr().add(at) },
                start - at,
            );
            // SAFETY: slots `at..start` hold items no piece took (the recorded ranges are
            // disjoint and sorted), which this iterator still owns; dropped once, here.
            unsafe { ptr::drop_in_place(left) };
            at = end;
        }
    }
}

impl<T> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoIter")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl<T> Sealed for IntoIter<T> {}

impl<T: Send> ParallelIterator for IntoIter<T> {
    type Item = T;
    type State = ();
    type Piece<'p>
        = Take<'p, T>
    where
        Self: 'p;
    type Flush<'p>
        = std::iter::Empty<T>
    where
        Self: 'p;
    const INDEXED: bool = true;
    const FLUSHES: bool = false;
    const BOUNDLESS: bool = false;

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
    unsafe fn piece<'p>(&'p self, _: &'p mut (), start: usize, end: usize) -> Take<'p, T> {
        debug_assert!(start <= end && end <= self.len);
        // An empty piece takes nothing; recorded, one inside another piece's range would
        // break the sorted walk in `drop`.
        if needs_drop::<T>() && start < end {
            self.taken.lock().push((start, end));
        }
        Take {
            buf: self.buf,
            at: start,
            end,
            _items: PhantomData,
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

impl<T: Send> IndexedParallelIterator for IntoIter<T> {
    type RevPiece<'p>
        = std::iter::Rev<Take<'p, T>>
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

/// A piece of an [`IntoIter`]: owns the items of slots `at..end`, yields them, and drops
/// those left when it is dropped.
#[doc(hidden)]
pub struct Take<'p, T> {
    buf: NonNull<T>,
    at: usize,
    end: usize,
    _items: PhantomData<(&'p (), T)>,
}

impl<T> fmt::Debug for Take<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Take")
            .field("left", &(self.end - self.at))
            .finish()
    }
}

impl<T> Iterator for Take<'_, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.at == self.end {
            return None;
        }
        // SAFETY: slot `at < end` holds an item that this piece owns (the caller of
        // `IntoIter::piece` promised no other piece gets its index) and has not yielded.
        let item = unsafe { self.buf.as_ptr().add(self.at).read() };
        self.at += 1;
        Some(item)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.end - self.at;
        (left, Some(left))
    }
}

impl<T> DoubleEndedIterator for Take<'_, T> {
    #[inline]
    fn next_back(&mut self) -> Option<T> {
        if self.at == self.end {
            return None;
        }
        self.end -= 1;
        // SAFETY: slot `end` (now one below the old end, and at least `at`) holds an item
        // this piece owns and has not yielded; lowering `end` first hands it over, so
        // neither `next` nor the drop sees it again.
        Some(unsafe { self.buf.as_ptr().add(self.end).read() })
    }
}

impl<T> ExactSizeIterator for Take<'_, T> {}

impl<T> Drop for Take<'_, T> {
    fn drop(&mut self) {
        let left = ptr::slice_from_raw_parts_mut(
            // SAFETY: `at <= end <= len`: in the buffer.
            unsafe { self.buf.as_ptr().add(self.at) },
            self.end - self.at,
        );
        // SAFETY: slots `at..end` hold items this piece owns and has not yielded.
        unsafe { ptr::drop_in_place(left) };
    }
}

impl<T: Send> IntoParallelIterator for Vec<T> {
    type Iter = IntoIter<T>;
    type Item = T;

    #[inline]
    fn into_par_iter(self) -> IntoIter<T> {
        IntoIter::new(self)
    }
}

impl<T: Send> IntoParallelIterator for Box<[T]> {
    type Iter = IntoIter<T>;
    type Item = T;

    #[inline]
    fn into_par_iter(self) -> IntoIter<T> {
        IntoIter::new(self.into_vec())
    }
}

impl<T: Send, const N: usize> IntoParallelIterator for [T; N] {
    type Iter = IntoIter<T>;
    type Item = T;

    #[inline]
    fn into_par_iter(self) -> IntoIter<T> {
        IntoIter::new(Vec::from(self))
    }
}
