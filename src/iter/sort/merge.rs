//! Merging two sorted runs into a third place, in parallel.
//!
//! A merge cuts its two runs so that the fronts and the backs can be merged separately,
//! back to back, and gives the two halves to `join`: the larger run is cut at its middle
//! element, and the other where that element would go (binary search). Below a cutoff a
//! merge is one sequential pass, [`Merging`], which is also the panic guard: whatever the
//! pass has not moved yet, it moves to the destination when dropped, on return and on
//! unwind alike.

use std::ptr;

use super::span::Span;

/// Moves the sorted runs `left` and `right` into `dest`, merged: sorted by `is_less`, and
/// stable (of two equal elements, one from `left` comes first, and each run keeps its own
/// order). Pairs of `left.len() + right.len() <= leaf` elements are merged sequentially.
///
/// On return, and on unwind if `is_less` panics, `dest` holds every element of the two runs
/// exactly once, and they are to be treated as uninitialized.
///
/// # Safety
///
/// `left` and `right` hold initialized elements; `dest` has exactly
/// `left.len() + right.len()` slots, which may be overwritten; the three spans are disjoint
/// and nobody else touches them during the call.
pub(super) unsafe fn par_merge<T, F>(
    left: Span<T>,
    right: Span<T>,
    dest: Span<T>,
    is_less: &F,
    leaf: usize,
) where
    T: Send,
    F: Fn(&T, &T) -> bool + Sync,
{
    debug_assert_eq!(left.len() + right.len(), dest.len());
    // SAFETY: this function's contract.
    let mut merging = unsafe { Merging::new(left, right, dest) };
    if left.len() == 0 || right.len() == 0 || dest.len() <= leaf {
        merging.run(is_less);
        return; // `merging` drops, moving whichever run is left over.
    }
    // SAFETY: both runs are initialized, and only read until `merging` drops or is disarmed
    // below; the slices are not used after that.
    let (l, r) = unsafe { (left.as_slice(), right.as_slice()) };
    if !is_less(&r[0], &l[l.len() - 1]) {
        return; // Already in order (presorted input): `merging` moves `left`, then `right`.
    }
    // A panic of `is_less` here unwinds through `merging`, which moves both runs whole.
    let (left_cut, right_cut) = cut(l, r, is_less);
    merging.disarm();
    let (left_front, left_back) = left.split_at(left_cut);
    let (right_front, right_back) = right.split_at(right_cut);
    let (dest_front, dest_back) = dest.split_at(left_cut + right_cut);
    // Each half moves all of its elements on return or unwind, and `join` returns or unwinds
    // only once both have finished, so `dest` is whole either way.
    crate::join::join(
        // SAFETY: the fronts and their destination, disjoint from the backs and theirs.
        move || unsafe { par_merge(left_front, right_front, dest_front, is_less, leaf) },
        // SAFETY: the backs and their destination.
        move || unsafe { par_merge(left_back, right_back, dest_back, is_less, leaf) },
    );
}

/// Where to cut the sorted runs `left` and `right` so that merging the fronts and merging
/// the backs, one after the other, is their stable merge.
///
/// The larger run is cut at its middle. If that is `left`, at `left[m]`, `right` is cut
/// before its first element not less than `left[m]`: the elements of `right` that are equal
/// to `left[m]` stay behind it. If it is `right`, at `right[m]`, `left` is cut after its
/// last element not greater than `right[m]`: its equals stay in front.
fn cut<T, F>(left: &[T], right: &[T], is_less: &F) -> (usize, usize)
where
    F: Fn(&T, &T) -> bool,
{
    if left.len() >= right.len() {
        let m = left.len() / 2;
        (m, right.partition_point(|x| is_less(x, &left[m])))
    } else {
        let m = right.len() / 2;
        (left.partition_point(|x| !is_less(&right[m], x)), m)
    }
}

/// A sequential merge in progress: the parts of the two runs not moved yet, and the next
/// slot of the destination. Dropping it moves what is left of `left`, then of `right`.
struct Merging<T> {
    left: *const T,
    left_end: *const T,
    right: *const T,
    right_end: *const T,
    out: *mut T,
}

impl<T> Merging<T> {
    /// A merge of `left` and `right` into `dest` that has not moved anything yet.
    ///
    /// # Safety
    ///
    /// As for [`par_merge`], until the value is dropped or disarmed.
    unsafe fn new(left: Span<T>, right: Span<T>, dest: Span<T>) -> Self {
        let (_, left_end) = left.split_at(left.len());
        let (_, right_end) = right.split_at(right.len());
        Merging {
            left: left.ptr(),
            left_end: left_end.ptr(),
            right: right.ptr(),
            right_end: right_end.ptr(),
            out: dest.ptr(),
        }
    }

    /// Moves elements to the destination, always the lesser front (the left one of equals),
    /// until one run is exhausted. The choice is data, not a branch: random input would
    /// mispredict half the time.
    #[inline]
    fn run<F>(&mut self, is_less: &F)
    where
        F: Fn(&T, &T) -> bool,
    {
        while self.left != self.left_end && self.right != self.right_end {
            // SAFETY: both fronts are initialized elements not moved yet (`new`'s contract;
            // the loop condition says neither run is exhausted).
            let right_first = unsafe { is_less(&*self.right, &*self.left) };
            let src = if right_first { self.right } else { self.left };
            // SAFETY: `out` is the next free slot: the destination has room for every element
            // not moved yet, and does not overlap the runs. A panic of `is_less` above leaves
            // all three pointers as they were, for `drop` to finish.
            unsafe {
                ptr::copy_nonoverlapping(src, self.out, 1);
                self.out = self.out.add(1);
                self.right = self.right.add(usize::from(right_first));
                self.left = self.left.add(usize::from(!right_first));
            }
        }
    }

    /// Forgets the pending moves: the caller moves the elements some other way.
    fn disarm(self) {
        let _ = std::mem::ManuallyDrop::new(self);
    }
}

impl<T> Drop for Merging<T> {
    fn drop(&mut self) {
        // SAFETY: what remains of each run is initialized and not moved yet, and the
        // destination has exactly room for it from `out` on (`new`'s contract, kept by
        // `run`). Pointers within one run, `left <= left_end`, `right <= right_end`.
        unsafe {
            let left_rest = self.left_end.offset_from_unsigned(self.left);
            ptr::copy_nonoverlapping(self.left, self.out, left_rest);
            let out = self.out.add(left_rest);
            let right_rest = self.right_end.offset_from_unsigned(self.right);
            ptr::copy_nonoverlapping(self.right, out, right_rest);
        }
    }
}
