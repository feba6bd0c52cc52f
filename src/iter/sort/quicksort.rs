//! Unstable parallel quicksort, pattern-defeating (Orson Peters' pdqsort) in its choices.
//!
//! Each slice longer than a cutoff is partitioned around a pivot from a median of samples
//! (`pivot.rs`) with a block partition (`partition.rs`), and its two sides are sorted by
//! `join`; shorter ones go to std's `sort_unstable_by`. Three defences against bad inputs:
//!
//! - Presorted runs: when every sample is in order, a linear check may find the whole slice
//!   sorted (done) or descending (reversed).
//! - Many equal elements: the right side of a partition carries its pivot as a *floor*, an
//!   element no element of the side is less than. A pivot equal to the floor is the side's
//!   minimum, so the partition gathers the pivot's equals on the left, done, and goes on
//!   with the rest: each distinct value is gathered once.
//! - Lopsided partitions (one side under 1/8): the next pivot is sampled from scrambled
//!   places, and each costs one of `log2(n) + 1` credits; a slice that runs out goes to
//!   std's `sort_unstable_by`, which is `O(n log n)` in the worst case.

use super::{leaf, partition, pivot};
use pivot::Samples;

/// Sorts `v` by `is_less`, in parallel on the current pool, without keeping equal elements
/// in order. `is_less` is a strict weak order: `par_quicksort(v, &|a, b| a < b)` sorts like
/// std's `v.sort_unstable()`.
///
/// - Unstable: equal elements may be reordered.
/// - `O(n log n)` comparisons and swaps in the worst case for `n = v.len()`, `O(n)` for
///   sorted, descending or all-equal input. Each partition is sequential, so the first one
///   (of the whole slice) bounds the speed-up.
/// - In place: no allocation; recursion depth `O(log n)`.
/// - If `is_less` panics, the panic reaches the caller once every parallel part of the sort
///   has stopped, and `v` holds each of its elements exactly once, in an unspecified order
///   (elements only move by swaps, so nothing is dropped or duplicated). If `is_less` is not
///   a strict weak order, the order is unspecified, or the sort panics the way std's may.
pub(crate) fn par_quicksort<T, F>(v: &mut [T], is_less: &F)
where
    T: Send,
    F: Fn(&T, &T) -> bool + Sync,
{
    let cutoff = cutoff(v.len(), crate::current_num_threads());
    quicksort_with(v, is_less, cutoff);
}

/// The length up to which a slice goes to std's `sort_unstable_by` when sorting `len`
/// elements on `threads` workers.
///
/// std's sort does less work per element than our partitions, so the leaves are as large as
/// load balance allows: about 64 per worker (random pivots leave the sides uneven, and
/// stealing evens that out only with enough pieces), and no fewer than 2,048 elements (well
/// above the cost of a `join`). On one thread, sorting 20M `u64`s this way took about 30%
/// less CPU time than with leaves of 2,048.
fn cutoff(len: usize, threads: usize) -> usize {
    (len / (64 * threads.max(1))).max(2_048)
}

/// [`par_quicksort`] with a given cutoff (the tests use small ones; at least 8 is used).
pub(super) fn quicksort_with<T, F>(v: &mut [T], is_less: &F, cutoff: usize)
where
    T: Send,
    F: Fn(&T, &T) -> bool + Sync,
{
    if size_of::<T>() == 0 {
        leaf::sort_unstable(v, is_less); // nothing to move
        return;
    }
    let credits = usize::BITS - v.len().leading_zeros();
    sort(v, None, credits, false, is_less, cutoff.max(8));
}

/// Sorts `v`: partitions it and sorts both sides in parallel, or hands it to std.
///
/// `floor`, if any, is an element outside `v` that no element of `v` is less than.
/// `credits` is how many more lopsided partitions this slice may take; `scramble` says the
/// partition that produced it was one.
fn sort<'a, T, F>(
    mut v: &'a mut [T],
    floor: Option<&'a mut T>,
    credits: u32,
    mut scramble: bool,
    is_less: &F,
    cutoff: usize,
) where
    T: Send,
    F: Fn(&T, &T) -> bool + Sync,
{
    loop {
        let len = v.len();
        if len <= cutoff || credits == 0 {
            leaf::sort_unstable(v, is_less);
            return;
        }
        if scramble {
            pivot::scramble(v);
            scramble = false;
        }
        let (p, samples) = pivot::choose(v, is_less);
        match samples {
            Samples::Ascending if v.is_sorted_by(|a, b| !is_less(b, a)) => return,
            Samples::Descending if v.is_sorted_by(|a, b| !is_less(a, b)) => {
                v.reverse();
                return;
            }
            _ => {}
        }
        v.swap(0, p);
        if let Some(floor) = floor.as_deref()
            && !is_less(floor, &v[0])
        {
            // The pivot equals the floor, so it is the least element: gather its equals on
            // the left; they are in place. (`v` gets no new floor: the old one still is.)
            let mid = partition::partition(v, &|x, pivot| !is_less(pivot, x));
            v = &mut v[mid + 1..];
            continue;
        }
        let mid = partition::partition(v, &|x, pivot| is_less(x, pivot));
        let (left, rest) = v.split_at_mut(mid);
        let (pivot, right) = rest.split_first_mut().expect("the pivot");
        let lopsided = left.len().min(right.len()) < len / 8;
        let credits = credits - u32::from(lopsided);
        crate::join::join(
            || sort(left, floor, credits, lopsided, is_less, cutoff),
            || sort(right, Some(pivot), credits, lopsided, is_less, cutoff),
        );
        return;
    }
}
