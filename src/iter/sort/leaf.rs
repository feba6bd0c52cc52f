//! The sequential base cases: std's sorts, driven by an `is_less` predicate.
//!
//! std's `sort_by` and `sort_unstable_by` take a three-way comparison; [`three_way`] builds
//! one from `is_less`. It is a correct total-order comparison whenever `is_less` is a strict
//! weak order, whatever std does with it. std itself only asks whether the answer is `Less`,
//! so for a comparator the optimizer can see through (`a < b` on integers) the second call
//! of `is_less` is dead code and disappears; an opaque comparator costs one more call when
//! the first answer is `false`.

use std::any::Any;
use std::cmp::Ordering;
use std::panic::{self, AssertUnwindSafe};

/// Sorts `v` with std's stable sort (driftsort): `O(n log n)`, may allocate up to `v.len()`
/// elements of its own. If `is_less` panics, `v` still holds each element once.
#[inline]
pub(super) fn sort_stable<T, F>(v: &mut [T], is_less: &F)
where
    F: Fn(&T, &T) -> bool,
{
    tolerant(|| v.sort_by(|a, b| three_way(a, b, is_less)));
}

/// Sorts `v` with std's unstable sort (ipnsort): `O(n log n)` worst case, in place. If
/// `is_less` panics, `v` still holds each element once.
#[inline]
pub(super) fn sort_unstable<T, F>(v: &mut [T], is_less: &F)
where
    F: Fn(&T, &T) -> bool,
{
    tolerant(|| v.sort_unstable_by(|a, b| three_way(a, b, is_less)));
}

/// What std panics with when it finds that a comparison is not a total order.
const NOT_TOTAL: &str =
    "user-provided comparison function does not correctly implement a total order";

/// Runs a std sort, leaving the order unspecified (as rayon does) where std panics because
/// the comparison is not a total order: std may panic then, rayon's sorts never do, and
/// ported code (rayon's own tests) sorts with a random comparison. The slice still holds
/// each element once (std's promise). Any other panic (the user's comparison panicked) goes
/// on. The panic hook has printed std's message by then.
#[inline]
fn tolerant(sort: impl FnOnce()) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(sort))
        && !is_not_total(&*payload)
    {
        panic::resume_unwind(payload);
    }
}

#[cold]
fn is_not_total(payload: &(dyn Any + Send)) -> bool {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
    message.is_some_and(|m| m.starts_with(NOT_TOTAL))
}

/// `a` compared with `b`, from `is_less` alone.
#[inline(always)]
fn three_way<T, F>(a: &T, b: &T, is_less: &F) -> Ordering
where
    F: Fn(&T, &T) -> bool,
{
    if is_less(a, b) {
        Ordering::Less
    } else if is_less(b, a) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}
