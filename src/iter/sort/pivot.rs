//! Choosing a quicksort pivot, and shaking up a slice whose pivots came out badly.

/// Slices at least this long get Tukey's ninther (nine samples); shorter ones a median of
/// three.
const NINTHER_FROM: usize = 64;

/// What the samples looked like: a hint that the whole slice may be presorted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Samples {
    /// Every sampled triple was in non-descending order.
    Ascending,
    /// Every sampled triple was in strictly descending order.
    Descending,
    /// Neither.
    Mixed,
}

/// The index of a pivot for partitioning `v`, which must have at least 3 elements: the
/// median of three evenly spaced samples, or for long slices the median of three such
/// medians, each of three neighbours (Tukey's ninther). Also what the samples suggest.
pub(super) fn choose<T, F>(v: &[T], is_less: &F) -> (usize, Samples)
where
    F: Fn(&T, &T) -> bool,
{
    debug_assert!(v.len() >= 3);
    let len = v.len();
    let (a, b, c) = (len / 4, len / 2, len / 4 * 3);
    let mut seen = Seen {
        ascending: true,
        descending: true,
    };
    let pivot = if len >= NINTHER_FROM {
        let a = median3(v, [a - 1, a, a + 1], is_less, &mut seen);
        let b = median3(v, [b - 1, b, b + 1], is_less, &mut seen);
        let c = median3(v, [c - 1, c, c + 1], is_less, &mut seen);
        median3(v, [a, b, c], is_less, &mut seen)
    } else {
        median3(v, [a, b, c], is_less, &mut seen)
    };
    let samples = match seen {
        Seen {
            ascending: true, ..
        } => Samples::Ascending,
        Seen {
            descending: true, ..
        } => Samples::Descending,
        _ => Samples::Mixed,
    };
    (pivot, samples)
}

/// Which orders every triple sampled so far was in.
struct Seen {
    ascending: bool,
    descending: bool,
}

/// The index, among `i`, of the median of `v[i[0]]`, `v[i[1]]` and `v[i[2]]`.
fn median3<T, F>(v: &[T], i: [usize; 3], is_less: &F, seen: &mut Seen) -> usize
where
    F: Fn(&T, &T) -> bool,
{
    let [a, b, c] = i;
    let b_below_a = is_less(&v[b], &v[a]);
    let c_below_b = is_less(&v[c], &v[b]);
    seen.ascending &= !b_below_a && !c_below_b;
    seen.descending &= b_below_a && c_below_b;
    if b_below_a == c_below_b {
        return b; // a <= b <= c, or a > b > c.
    }
    // `b` is the least or the greatest: the median is the other extreme of `a` and `c`.
    let c_below_a = is_less(&v[c], &v[a]);
    if b_below_a == c_below_a { c } else { a }
}

/// Swaps the elements the pivot is sampled from with elements at pseudo-random places, so
/// that the next pivot of a slice whose last partition was lopsided comes from different
/// elements (this is what defeats patterns built to make median-of-samples fail).
pub(super) fn scramble<T>(v: &mut [T]) {
    let len = v.len();
    if len < 8 {
        return;
    }
    // xorshift64, seeded by the length: no shared state, and reproducible.
    let mut x = len as u64 ^ 0x9E37_79B9_7F4A_7C15;
    let (a, b, c) = (len / 4, len / 2, len / 4 * 3);
    for i in [a - 1, a, a + 1, b - 1, b, b + 1, c - 1, c, c + 1] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % len as u64) as usize);
    }
}
