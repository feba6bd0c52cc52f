//! The sequential base cases: std's sorts, driven by an `is_less` predicate.
//!
//! std's `sort_by` and `sort_unstable_by` take a three-way comparison; [`three_way`] builds
//! one from `is_less`. It is a correct total-order comparison whenever `is_less` is a strict
//! weak order, whatever std does with it. std itself only asks whether the answer is `Less`,
//! so for a comparator the optimizer can see through (`a < b` on integers) the second call
//! of `is_less` is dead code and disappears; an opaque comparator costs one more call when
//! the first answer is `false`.

use std::cmp::Ordering;

/// Sorts `v` with std's stable sort (driftsort): `O(n log n)`, may allocate up to `v.len()`
/// elements of its own. If `is_less` panics, `v` still holds each element once.
#[inline]
pub(super) fn sort_stable<T, F>(v: &mut [T], is_less: &F)
where
    F: Fn(&T, &T) -> bool,
{
    v.sort_by(|a, b| three_way(a, b, is_less));
}

/// Sorts `v` with std's unstable sort (ipnsort): `O(n log n)` worst case, in place. If
/// `is_less` panics, `v` still holds each element once.
#[inline]
pub(super) fn sort_unstable<T, F>(v: &mut [T], is_less: &F)
where
    F: Fn(&T, &T) -> bool,
{
    v.sort_unstable_by(|a, b| three_way(a, b, is_less));
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
