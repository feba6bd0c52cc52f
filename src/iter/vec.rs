//! [`IntoIter`]: a `Vec` by value (also arrays and boxed slices, through a `Vec`), and
//! [`Drain`]: a range of a `Vec`'s items, moved out in place (`par_drain`). The pieces of
//! both move their items out.
//!
//! The iterator owns the items (its [`Slots`]); a piece takes ownership of the items of its
//! indices (each index goes to one piece, once), and drops those it did not yield when it
//! is dropped (an early exit, a panic). Indices that no piece ever took (the loop stopped
//! early, or a `zip` with a shorter side) still own their items when the iterator is
//! dropped: it records the ranges it handed out, and drops the items of the others. Items
//! without drop glue need no record, and get none. Then `IntoIter` frees the buffer, and
//! `Drain` moves the `Vec`'s items after the range down to close the gap.

use std::fmt;
use std::marker::PhantomData;
use std::mem::{ManuallyDrop, needs_drop};
use std::ops::{Bound, RangeBounds};
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
    slots: Slots<T>,
    /// The capacity of the `Vec`'s buffer, which starts at `slots.buf`.
    cap: usize,
}

impl<T> IntoIter<T> {
    fn new(v: Vec<T>) -> Self {
        let mut v = ManuallyDrop::new(v);
        IntoIter {
            slots: Slots::new(
                NonNull::new(v.as_mut_ptr()).expect("a Vec's pointer is never null"),
                v.len(),
            ),
            cap: v.capacity(),
        }
    }
}

impl<T> Drop for IntoIter<T> {
    fn drop(&mut self) {
        // SAFETY: the buffer of a `Vec` of capacity `cap`, now owned by nobody else; with
        // length 0 it frees the buffer only (dropped last, even if an item's drop panics).
        let _buffer = unsafe { Vec::from_raw_parts(self.slots.buf.as_ptr(), 0, self.cap) };
        self.slots.drop_untaken();
    }
}

/// A new `Vec` of clones of the items, as rayon's `IntoIter` clones.
impl<T: Clone> Clone for IntoIter<T> {
    fn clone(&self) -> Self {
        // SAFETY: an `IntoIter` the caller can still reach has not run (every terminal takes
        // it by value, and the pieces that take items out live inside the terminal), so
        // `0..len` are all initialized items of the buffer.
        let items = unsafe { std::slice::from_raw_parts(self.slots.buf.as_ptr(), self.slots.len) };
        IntoIter::new(items.to_vec())
    }
}

impl<T> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoIter")
            .field("len", &self.slots.len)
            .finish_non_exhaustive()
    }
}

/// The parallel iterator of [`par_drain`](crate::iter::ParallelDrainRange::par_drain) on a
/// `Vec`: moves the items of a range out of the `Vec`, in place. When it is dropped (after
/// the loop, or without running), the items no piece took are dropped and the items after
/// the range move down to close the gap, as with std's `Vec::drain`.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let mut v: Vec<u32> = (0..10).collect();
/// let it: brigade::iter::Drain<'_, u32> = v.par_drain(2..5);
/// assert_eq!(it.collect::<Vec<_>>(), [2, 3, 4]);
/// assert_eq!(v, [0, 1, 5, 6, 7, 8, 9]);
/// ```
pub struct Drain<'a, T> {
    slots: Slots<T>,
    /// The `Vec`, whose length is `start` until the drain ends (so a leaked drain leaks
    /// the range and the tail, and never exposes a moved-out item).
    vec: NonNull<Vec<T>>,
    start: usize,
    /// Where the items after the range start, and how many there are.
    tail: usize,
    tail_len: usize,
    _vec: PhantomData<&'a mut Vec<T>>,
}

/// The bounds of `range` within `0..len`, for `par_drain` on a `what`.
///
/// # Panics
///
/// If the range's start is past its end, or its end past `len`.
#[track_caller]
pub(crate) fn drain_bounds(
    range: impl RangeBounds<usize>,
    len: usize,
    what: &str,
) -> (usize, usize) {
    let start = match range.start_bound() {
        Bound::Included(&s) => s,
        Bound::Excluded(&s) => s.checked_add(1).expect("range start overflows usize"),
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(&e) => e.checked_add(1).expect("range end overflows usize"),
        Bound::Excluded(&e) => e,
        Bound::Unbounded => len,
    };
    assert!(
        start <= end,
        "par_drain: range starts at {start} but ends at {end}"
    );
    assert!(
        end <= len,
        "par_drain: range end {end} is past the {what}'s length {len}"
    );
    (start, end)
}

impl<'a, T> Drain<'a, T> {
    /// Drains `range` of `vec`.
    ///
    /// # Panics
    ///
    /// If the range's start is past its end, or its end past the `Vec`'s length.
    #[track_caller]
    pub(crate) fn new(vec: &'a mut Vec<T>, range: impl RangeBounds<usize>) -> Self {
        let len = vec.len();
        let (start, end) = drain_bounds(range, len, "Vec");
        // SAFETY: `start <= len`, so the pointer is inside the buffer or one past its end.
        let buf = unsafe { vec.as_mut_ptr().add(start) };
        // SAFETY: `start <= len`; slots `start..len` are owned by this drain from here on
        // (items `start..end` by its pieces, the tail until the drain ends).
        unsafe { vec.set_len(start) };
        Drain {
            slots: Slots::new(
                NonNull::new(buf).expect("a Vec's pointer is never null"),
                end - start,
            ),
            vec: NonNull::from(vec),
            start,
            tail: end,
            tail_len: len - end,
            _vec: PhantomData,
        }
    }
}

impl<T> Drop for Drain<'_, T> {
    fn drop(&mut self) {
        /// Moves the tail down and gives the `Vec` its length back, also when dropping an
        /// item left in the range panics.
        struct CloseGap<T> {
            vec: NonNull<Vec<T>>,
            start: usize,
            tail: usize,
            tail_len: usize,
        }
        impl<T> Drop for CloseGap<T> {
            fn drop(&mut self) {
                // SAFETY: the drain holds the `Vec`'s unique borrow, and nothing else
                // touches the `Vec` while the drain is dropped.
                let vec = unsafe { self.vec.as_mut() };
                let base = vec.as_mut_ptr();
                if self.tail_len > 0 && self.tail != self.start {
                    // SAFETY: slots `tail..tail + tail_len` hold the tail's items, and
                    // `start..start + tail_len` is inside the buffer (`start <= tail`); the
                    // range's items are all gone (taken or dropped), so nothing is lost.
                    unsafe { ptr::copy(base.add(self.tail), base.add(self.start), self.tail_len) };
                }
                // SAFETY: slots `0..start + tail_len` hold items now.
                unsafe { vec.set_len(self.start + self.tail_len) };
            }
        }
        let _close = CloseGap {
            vec: self.vec,
            start: self.start,
            tail: self.tail,
            tail_len: self.tail_len,
        };
        self.slots.drop_untaken();
    }
}

impl<T> fmt::Debug for Drain<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Drain")
            .field("len", &self.slots.len)
            .finish_non_exhaustive()
    }
}

/// Slots `0..len` from `buf`, holding items that pieces take by value: each index goes to
/// one piece, once. Items without drop glue need no record of what was taken, and get none.
struct Slots<T> {
    buf: NonNull<T>,
    len: usize,
    /// The ranges handed to pieces, when `T` has drop glue (see the module docs).
    taken: Mutex<Vec<(usize, usize)>>,
    _owns: PhantomData<T>,
}

impl<T> Slots<T> {
    fn new(buf: NonNull<T>, len: usize) -> Self {
        Slots {
            buf,
            len,
            taken: Mutex::new(Vec::new()),
            _owns: PhantomData,
        }
    }

    /// The piece of slots `start..end`.
    ///
    /// # Safety
    ///
    /// `start <= end <= len`, and no other piece ever gets any of these indices.
    #[inline]
    unsafe fn take(&self, start: usize, end: usize) -> Take<'_, T> {
        debug_assert!(start <= end && end <= self.len);
        // An empty piece takes nothing; recorded, one inside another piece's range would
        // break the sorted walk in `drop_untaken`.
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

    /// Drops the items of the slots no piece took. Called once, when every piece is gone.
    fn drop_untaken(&mut self) {
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
            // disjoint and sorted), which these slots still own; dropped once, here.
            unsafe { ptr::drop_in_place(left) };
            at = end;
        }
    }
}

/// `ParallelIterator` and `IndexedParallelIterator` for a by-value source made of [`Slots`].
macro_rules! by_value_source {
    ($([$($gen:tt)*] $ty:ty;)*) => {$(
        impl<$($gen)*> Sealed for $ty {}

        // SAFETY: it owns `T`s (as a `Vec<T>` does) and gives each to one piece, on
        // whichever thread runs it: sending or sharing it moves `T`s between threads, so
        // `T: Send`. No `&T` is ever shared.
        unsafe impl<$($gen)*> Send for $ty where T: Send {}
        // SAFETY: as above: through a shared reference, threads only take disjoint items
        // out (by value).
        unsafe impl<$($gen)*> Sync for $ty where T: Send {}

        impl<$($gen)*> ParallelIterator for $ty where T: Send {
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
            const CUTS_SHORT: bool = false;
            const BOUNDLESS: bool = false;
            const CLOSES: bool = false;
            // Skipped items are dropped with the source, as taken ones are when used.
            const PURE: bool = true;

            #[inline]
            fn base_len(&self) -> usize {
                self.slots.len
            }

            #[inline]
            fn config(&self) -> Config {
                Config::default()
            }

            #[inline]
            fn state(&self) {}

            #[inline]
            unsafe fn piece<'p>(&'p self, _: &'p mut (), start: usize, end: usize) -> Take<'p, T> {
                // SAFETY: the caller of `piece` makes the promise `take` needs.
                unsafe { self.slots.take(start, end) }
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

        impl<$($gen)*> IndexedParallelIterator for $ty where T: Send {
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
    )*};
}

by_value_source! {
    [T] IntoIter<T>;
    ['a, T] Drain<'a, T>;
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
