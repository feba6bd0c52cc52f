//! Stable parallel merge sort.
//!
//! The slice is cut in halves `depth` times, `depth` even; the pieces at the bottom are
//! sorted in place by std's stable sort, all in parallel, and then each level merges the two
//! sorted halves of each of its ranges into the other place, with parallel merges: level 1
//! from the slice into the scratch buffer, level 2 back, and so on. As `depth` is even, the
//! top level lands in the slice, and no piece is ever copied just to change places.
//!
//! Panic safety rests on one promise of [`sort_level`]: on return *or unwind*, all the
//! elements of its range are in the place its level lands in. A piece sorted by std keeps
//! its elements in place even if `is_less` panics; a merge moves all its elements either way
//! (`merge.rs`); and when a level's halves unwind, `join` waits for both, which then hold all
//! the range's elements in the place below, and a [`MoveOnDrop`] moves them up whole.

use super::leaf;
use super::merge::par_merge;
use super::span::{MoveOnDrop, Span};

/// The sizes below which the merge sort stops splitting.
#[derive(Clone, Copy, Debug)]
pub(super) struct Cutoffs {
    /// Pieces of at most this many elements are sorted by std's stable sort.
    pub(super) piece: usize,
    /// Merges of at most this many elements are sequential.
    pub(super) merge: usize,
}

impl Cutoffs {
    /// The cutoffs for sorting `len` elements on `threads` workers.
    ///
    /// Pieces are as large as load balance allows: std's sort of a piece is faster per level
    /// than one of our merge passes over the whole slice, and each level fewer saves a pass
    /// (on one thread, 4M `u64`s took about 35% less CPU time than with pieces of 2,048).
    /// At least 16 pieces per worker (64 at most, as the depth is even) leave enough slack
    /// for stealing, and 2,048 elements keep a piece well above the cost of a `join`.
    /// Merges below 8,192 elements are not worth splitting.
    pub(super) fn new(len: usize, threads: usize) -> Self {
        Cutoffs {
            piece: (len / (16 * threads.max(1))).max(2_048),
            merge: 8_192,
        }
    }
}

/// Sorts `v` stably by `is_less`, in parallel on the current pool. `is_less` is a strict
/// weak order: `par_mergesort(v, &|a, b| a < b)` sorts like std's `v.sort()`.
///
/// - Stable: equal elements keep their order.
/// - `O(n log n)` comparisons and moves for `n = v.len()`, whatever the input; the pieces
///   are sorted and the merges done in parallel, a merge of two long runs too.
/// - Extra memory: one scratch buffer of `v.len()` elements, allocated once, plus what
///   std's stable sort allocates for a piece while it sorts it (at most the piece's
///   length). Slices of at most 2,048 elements, and zero-sized types, go to std's
///   `sort_by` directly.
/// - If `is_less` panics, the panic reaches the caller once every parallel part of the sort
///   has stopped, and `v` holds each of its elements exactly once, in an unspecified order:
///   nothing is dropped or duplicated, and changes `is_less` made to elements through
///   interior mutability are kept (no stale copy comes back). If `is_less` is not a strict
///   weak order, the order is unspecified, or the sort panics the way std's may.
pub(crate) fn par_mergesort<T, F>(v: &mut [T], is_less: &F)
where
    T: Send,
    F: Fn(&T, &T) -> bool + Sync,
{
    let cutoffs = Cutoffs::new(v.len(), crate::current_num_threads());
    mergesort_with(v, is_less, cutoffs);
}

/// [`par_mergesort`] with given cutoffs (the tests use small ones).
pub(super) fn mergesort_with<T, F>(v: &mut [T], is_less: &F, cutoffs: Cutoffs)
where
    T: Send,
    F: Fn(&T, &T) -> bool + Sync,
{
    let len = v.len();
    if size_of::<T>() == 0 || len <= cutoffs.piece.max(1) {
        leaf::sort_stable(v, is_less);
        return;
    }
    let depth = depth_for(len, cutoffs.piece.max(1));
    let mut scratch = Vec::with_capacity(len);
    let halves = Halves {
        v: Span::of_slice(v),
        scratch: Span::of_scratch(&mut scratch, len),
    };
    // SAFETY: `v` holds `len` initialized elements, and `scratch` has `len` free slots; both
    // are borrowed here, so nothing else touches them until `sort_level` is done. `depth`
    // is even, so it leaves the elements in `v`, on return or unwind.
    unsafe { sort_level(halves, depth, is_less, cutoffs.merge) };
}

/// The smallest even depth at which halving `len` elements leaves pieces of at most
/// `piece` elements (halving `n` leaves at most `n.div_ceil(2)`).
fn depth_for(len: usize, piece: usize) -> u32 {
    let mut depth = 0;
    while len.div_ceil(1 << depth) > piece {
        depth += 2;
    }
    depth
}

/// A range of the slice and the same range of the scratch buffer.
struct Halves<T> {
    v: Span<T>,
    scratch: Span<T>,
}

impl<T> Clone for Halves<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Halves<T> {}

impl<T> Halves<T> {
    fn len(self) -> usize {
        self.v.len()
    }

    fn split_at(self, mid: usize) -> (Self, Self) {
        let (v0, v1) = self.v.split_at(mid);
        let (s0, s1) = self.scratch.split_at(mid);
        (Halves { v: v0, scratch: s0 }, Halves { v: v1, scratch: s1 })
    }

    /// Where the elements are after a level of `depth`: the slice for even levels.
    fn at(self, depth: u32) -> Span<T> {
        if depth.is_multiple_of(2) {
            self.v
        } else {
            self.scratch
        }
    }
}

/// Sorts the elements of `range`, cutting it in halves `depth` times, and leaves them in
/// `range.at(depth)`. On unwind (a panic of `is_less`) they are there too, each exactly
/// once, in an unspecified order.
///
/// # Safety
///
/// `range.v` holds initialized elements; nobody else touches `range` (either place) during
/// the call.
unsafe fn sort_level<T, F>(range: Halves<T>, depth: u32, is_less: &F, merge_leaf: usize)
where
    T: Send,
    F: Fn(&T, &T) -> bool + Sync,
{
    if depth == 0 {
        // SAFETY: initialized and ours alone (this function's contract).
        let piece = unsafe { range.v.as_mut_slice() };
        leaf::sort_stable(piece, is_less);
        return;
    }
    let (below, here) = (range.at(depth - 1), range.at(depth));
    let (front, back) = range.split_at(range.len() / 2);
    {
        // SAFETY: if the halves unwind, `join` does so after both have finished, and then
        // (their promise) all of `range`'s elements are in `below`, while `here` holds
        // nothing live: the two places of one range do not overlap, and nobody else has it.
        let unwinding = unsafe { MoveOnDrop::new(below, here.ptr()) };
        crate::join::join(
            // SAFETY: the front half, disjoint from the back half.
            move || unsafe { sort_level(front, depth - 1, is_less, merge_leaf) },
            // SAFETY: the back half.
            move || unsafe { sort_level(back, depth - 1, is_less, merge_leaf) },
        );
        unwinding.disarm();
    }
    let (sorted_front, sorted_back) = below.split_at(front.len());
    // SAFETY: both halves are sorted in `below`; `here` is the other place of the same range
    // (disjoint from `below`, and free); nobody else touches the range. `par_merge` moves
    // every element to `here`, on return or unwind.
    unsafe { par_merge(sorted_front, sorted_back, here, is_less, merge_leaf) };
}
