//! Partitioning around a pivot, in blocks (Edelkamp and Weiß's BlockQuicksort).
//!
//! A plain partition branches on every comparison, and on random data the branch goes each
//! way half the time. Here one pass over a block of the left end records *where* the
//! elements that belong on the right are (their offsets, written unconditionally, the count
//! advanced by the comparison's result), another pass does the same at the right end, and
//! then the recorded elements are swapped pairwise. The passes have no data-dependent
//! branches. Safe code: elements only move by `swap`.

/// Elements per block; the offsets fit in a `u8`.
const BLOCK: usize = 128;

/// Partitions `v` around the pivot `v[0]` and returns the pivot's final index `m`: then
/// `goes_left(x, pivot)` holds for every `x` in `v[..m]` and fails for every `x` in
/// `v[m + 1..]`. `v` must not be empty.
pub(super) fn partition<T, P>(v: &mut [T], goes_left: &P) -> usize
where
    P: Fn(&T, &T) -> bool,
{
    let (pivot, rest) = v.split_first_mut().expect("a pivot at v[0]");
    let pivot = &*pivot;
    let mid = partition_blocks(rest, &|x: &T| goes_left(x, pivot));
    // `v[mid]` is the last element that goes left (or the pivot itself, if none does).
    v.swap(0, mid);
    mid
}

/// Reorders `v` so that the elements for which `goes_left` holds come first, and returns how
/// many they are.
fn partition_blocks<T, P>(v: &mut [T], goes_left: &P) -> usize
where
    P: Fn(&T) -> bool,
{
    // Everything before `l` goes left, everything from `r` on goes right.
    let (mut l, mut r) = (0, v.len());
    // Offsets (from `l` upwards) of elements in the left block that go right, and (from
    // `r - 1` downwards) of those in the right block that go left; `[start..start + count]`
    // are the ones not swapped yet.
    let mut left_offsets = [0u8; BLOCK];
    let (mut left_start, mut left_count) = (0, 0);
    let mut right_offsets = [0u8; BLOCK];
    let (mut right_start, mut right_count) = (0, 0);

    while r - l >= 2 * BLOCK {
        if left_count == 0 {
            left_start = 0;
            for (i, x) in v[l..l + BLOCK].iter().enumerate() {
                // `left_count <= i < BLOCK`: the mask only spares the bounds check.
                left_offsets[left_count % BLOCK] = i as u8;
                left_count += usize::from(!goes_left(x));
            }
        }
        if right_count == 0 {
            right_start = 0;
            for (i, x) in v[r - BLOCK..r].iter().rev().enumerate() {
                right_offsets[right_count % BLOCK] = i as u8;
                right_count += usize::from(goes_left(x));
            }
        }
        let pairs = left_count.min(right_count);
        let lefts = &left_offsets[left_start..left_start + pairs];
        let rights = &right_offsets[right_start..right_start + pairs];
        for (&a, &b) in lefts.iter().zip(rights) {
            v.swap(l + usize::from(a), r - 1 - usize::from(b));
        }
        (left_start, left_count) = (left_start + pairs, left_count - pairs);
        (right_start, right_count) = (right_start + pairs, right_count - pairs);
        // A block whose misplaced elements are all swapped away is done.
        if left_count == 0 {
            l += BLOCK;
        }
        if right_count == 0 {
            r -= BLOCK;
        }
    }
    // Fewer than two blocks left, perhaps one of them half done: finish with a plain
    // partition of what is still undecided.
    l + partition_plain(&mut v[l..r], goes_left)
}

/// Hoare's partition: the same contract as [`partition_blocks`], for short slices.
fn partition_plain<T, P>(v: &mut [T], goes_left: &P) -> usize
where
    P: Fn(&T) -> bool,
{
    let (mut l, mut r) = (0, v.len());
    loop {
        while l < r && goes_left(&v[l]) {
            l += 1;
        }
        while l < r && !goes_left(&v[r - 1]) {
            r -= 1;
        }
        if r - l < 2 {
            // Done (`l == r`), or an inconsistent `is_less` said both of one element: let it
            // go right.
            return l;
        }
        // `v[l]` goes right and `v[r - 1]` goes left.
        r -= 1;
        v.swap(l, r);
        l += 1;
    }
}
