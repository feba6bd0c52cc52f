//! Raw ranges for the merge sort, the one place here that moves elements by hand.
//!
//! The merge sort keeps each element in exactly one of two places at any moment: the slice
//! being sorted or a scratch buffer of the same length. Merging moves elements bitwise from
//! one place to the other, so for a while a range of the slice holds stale copies of
//! elements that live in the buffer now. Those copies are never dropped: the slice drops
//! nothing (it is borrowed), and the buffer is a `Vec` of length 0 (it owns no element).
//! What must hold is that when the sort returns *or unwinds*, every element is back in the
//! slice exactly once; [`MoveOnDrop`] is the tool for that.
//!
//! A [`Span`] is a pointer and a length with no lifetime, so that the two halves of a range
//! can go to the two sides of a `join`. Reading or writing through one is `unsafe`; the
//! functions that do it say which spans they may touch, and the callers hand disjoint spans
//! to parallel work.

use std::mem::ManuallyDrop;
use std::ptr;

/// `len` slots starting at `ptr`, in the slice being sorted or in the scratch buffer.
pub(super) struct Span<T> {
    ptr: *mut T,
    len: usize,
}

impl<T> Clone for Span<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Span<T> {}

// SAFETY: a `Span` is an address range; sending one moves no `T`. The unsafe functions that
// use it to move elements between threads require the callers to give concurrent work
// disjoint spans, and `T: Send` allows a `T` to be moved to and used on another thread.
unsafe impl<T: Send> Send for Span<T> {}

impl<T> Span<T> {
    /// The slots of `v`.
    pub(super) fn of_slice(v: &mut [T]) -> Self {
        Span {
            ptr: v.as_mut_ptr(),
            len: v.len(),
        }
    }

    /// The first `len` slots of `buf`'s spare capacity. `buf` must be empty and stay so: it
    /// never drops what the slots hold.
    pub(super) fn of_scratch(buf: &mut Vec<T>, len: usize) -> Self {
        assert!(buf.is_empty(), "a scratch buffer owns no element");
        assert!(buf.capacity() >= len, "a scratch buffer of {len} slots");
        Span {
            ptr: buf.as_mut_ptr(),
            len,
        }
    }

    /// The number of slots.
    #[inline]
    pub(super) fn len(self) -> usize {
        self.len
    }

    /// The first slot.
    #[inline]
    pub(super) fn ptr(self) -> *mut T {
        self.ptr
    }

    /// The first `mid` slots and the rest.
    ///
    /// # Panics
    ///
    /// If `mid > self.len()`.
    #[inline]
    pub(super) fn split_at(self, mid: usize) -> (Self, Self) {
        assert!(
            mid <= self.len,
            "split point {mid} past the span's {}",
            self.len
        );
        let tail = Span {
            ptr: self.ptr.wrapping_add(mid),
            len: self.len - mid,
        };
        (
            Span {
                ptr: self.ptr,
                len: mid,
            },
            tail,
        )
    }

    /// The span's elements, as a slice.
    ///
    /// # Safety
    ///
    /// Every slot holds an initialized element that nobody moves or writes while the slice
    /// lives, and the span lies within one allocation (it came from `of_slice` or
    /// `of_scratch` and `split_at`).
    #[inline]
    pub(super) unsafe fn as_slice<'a>(self) -> &'a [T] {
        // SAFETY: initialized, in one allocation and not written meanwhile, by the contract.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// The span's elements, as a mutable slice.
    ///
    /// # Safety
    ///
    /// As for [`as_slice`](Self::as_slice), and nobody else reads them either while the
    /// slice lives.
    #[inline]
    pub(super) unsafe fn as_mut_slice<'a>(self) -> &'a mut [T] {
        // SAFETY: initialized, in one allocation and not accessed by anyone else meanwhile,
        // by the contract.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

/// Moves the elements of `src` to `dest` when dropped, unless disarmed: a pending move that
/// happens whether the code in between returns or unwinds.
pub(super) struct MoveOnDrop<T> {
    src: Span<T>,
    dest: *mut T,
}

impl<T> MoveOnDrop<T> {
    /// Arms a move of `src`'s elements to the `src.len()` slots from `dest`.
    ///
    /// # Safety
    ///
    /// When the guard drops, `src` holds initialized elements, the slots from `dest` may be
    /// overwritten, the two ranges do not overlap, and nobody else touches either.
    pub(super) unsafe fn new(src: Span<T>, dest: *mut T) -> Self {
        MoveOnDrop { src, dest }
    }

    /// Cancels the move.
    pub(super) fn disarm(self) {
        let _ = ManuallyDrop::new(self);
    }
}

impl<T> Drop for MoveOnDrop<T> {
    fn drop(&mut self) {
        // SAFETY: `new`'s contract: `src` is initialized, `dest` has room for it, the two do
        // not overlap, and nobody else uses them now.
        unsafe { ptr::copy_nonoverlapping(self.src.ptr, self.dest, self.src.len) };
    }
}
