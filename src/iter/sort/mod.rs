//! Parallel sorts on brigade's `join`, for issue 14's `par_sort*` verbs: a stable merge sort
//! and an unstable quicksort. Both take a strict weak order `is_less`, as std's sorts do
//! internally, and hand slices below a cutoff to std's sequential sorts (`leaf.rs`).
//!
//! - `mergesort.rs`: sorts pieces of the slice in parallel, then merges them pairwise,
//!   moving the elements between the slice and one scratch buffer of the same length
//!   (`span.rs`), with parallel merges (`merge.rs`). These bitwise moves are the only
//!   `unsafe` code here.
//! - `quicksort.rs`: pattern-defeating quicksort: a pivot from a median of samples
//!   (`pivot.rs`), a branch-light block partition (`partition.rs`), both sides in parallel,
//!   and std's `sort_unstable_by` after too many lopsided partitions. Safe code: elements
//!   only ever move by `swap`, so a panic leaves a permutation by construction.
//!
//! Panic safety: if `is_less` panics, the panic reaches the caller once every parallel
//! piece has stopped, and the slice holds each of its elements exactly once (in an
//! unspecified order), as with std's sorts.

mod leaf;
mod merge;
mod mergesort;
mod partition;
mod pivot;
mod quicksort;
mod span;

#[cfg(all(test, not(loom)))]
mod proptests;
#[cfg(all(test, not(loom)))]
mod tests;

pub(crate) use mergesort::par_mergesort;
pub(crate) use quicksort::par_quicksort;
