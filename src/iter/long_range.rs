//! The parallel iterator over a range of `u128` or `i128` ([`Iter`] of such a range), which
//! may hold more than `usize::MAX` items (rayon's `octillion` tests search `0..10^27`).
//!
//! A loop numbers its base indices with `usize`, so a longer range gives each base index a
//! run of `per` consecutive items (the last run may be shorter): `per` is the least that
//! makes the runs fit in `usize::MAX` base indices, and 1 for a range that fits. Every base
//! index holds at least one item, so no loop goes through empty indices. As in rayon, such
//! a range is not indexed: an item's position may not fit a `usize`.

use std::ops::{Range, RangeInclusive};

use crate::iter::ParallelIterator;
use crate::iter::drive::Config;
use crate::iter::source::Iter;

/// Items per base index of a range whose last item is at offset `last`: the least `per`
/// with `ceil((last + 1) / per) <= usize::MAX`, written without `last + 1`, which may not
/// fit (`0..=u128::MAX`).
#[inline]
fn per(last: u128) -> u128 {
    let most = usize::MAX as u128;
    if last < most { 1 } else { last / most + 1 }
}

/// The number of base indices of a non-empty range whose last item is at offset `last`.
pub(super) fn base_len(last: u128) -> usize {
    // `last / per < usize::MAX`, as `per > last / usize::MAX`.
    (last / per(last)) as usize + 1
}

/// The offsets of the first and last items of base indices `start..end` (not empty, within
/// `0..len`) of a range of `len` base indices whose last item is at offset `last`.
#[inline]
fn offsets(last: u128, len: usize, start: usize, end: usize) -> (u128, u128) {
    let per = per(last);
    // `(len - 1) * per <= last`, so neither product overflows.
    let lo = start as u128 * per;
    let hi = if end == len {
        last
    } else {
        end as u128 * per - 1
    };
    (lo, hi)
}

macro_rules! long_range {
    ($($t:ty),*) => {$(
        long_range!(@one Range<$t>, $t);
        long_range!(@one RangeInclusive<$t>, $t);
    )*};
    (@one $s:ty, $t:ty) => {
        /// Not indexed, as in rayon: the range may hold more than `usize::MAX` items (see
        /// [`Iter`]).
        impl ParallelIterator for Iter<$s> {
            type Item = $t;
            type State = ();
            type Piece<'p> = RangeInclusive<$t>;
            type Flush<'p> = std::iter::Empty<$t>;
            const INDEXED: bool = false;
            const FLUSHES: bool = false;
            const CUTS_SHORT: bool = false;
            const BOUNDLESS: bool = false;
            const CLOSES: bool = false;

            #[inline]
            fn base_len(&self) -> usize {
                self.parts().1
            }

            #[inline]
            fn config(&self) -> Config {
                Config::default()
            }

            #[inline]
            fn state(&self) {}

            #[inline]
            unsafe fn piece<'p>(&'p self, _: &'p mut (), start: usize, end: usize) -> Self::Piece<'p> {
                if start >= end {
                    // Empty (`MAX > MIN`).
                    return RangeInclusive::new(<$t>::MAX, <$t>::MIN);
                }
                let (first, len, last) = self.parts();
                let (lo, hi) = offsets(last, len, start, end);
                // Two's complement: an offset of at most `last` from `first` is in range.
                let at = |offset: u128| first.wrapping_add(offset as $t);
                at(lo)..=at(hi)
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
    };
}

long_range!(u128, i128);

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// The items of base indices `start..end` of a range with last offset `last` from `lo`.
    fn items(lo: i128, last: u128, start: usize, end: usize) -> RangeInclusive<i128> {
        let (a, b) = offsets(last, base_len(last), start, end);
        lo.wrapping_add(a as i128)..=lo.wrapping_add(b as i128)
    }

    #[test]
    fn runs_of_items_cover_the_range_once_in_order() {
        let full = u128::MAX;
        assert_eq!((base_len(full), per(full)), (usize::MAX, (1 << 64) + 2));
        assert_eq!(*items(i128::MIN, full, 0, 1).start(), i128::MIN);
        assert_eq!(
            *items(i128::MIN, full, usize::MAX - 1, usize::MAX).end(),
            i128::MAX
        );
        // Neighbouring base indices hold neighbouring runs of `per` items.
        let (a, b) = (items(0, full, 5, 6), items(0, full, 6, 7));
        assert_eq!(*a.end() + 1, *b.start());
        assert_eq!(a.end() - a.start() + 1, per(full) as i128);

        assert_eq!((base_len(6), per(6)), (7, 1));
        assert_eq!(items(-3, 6, 2, 5), -1..=1);
        let fits = u128::from(u64::MAX) - 1;
        assert_eq!((base_len(fits), per(fits)), (usize::MAX, 1));
        let over = u128::from(u64::MAX);
        assert_eq!((base_len(over), per(over)), (usize::MAX / 2 + 1, 2));
        let len = base_len(over);
        assert_eq!(
            items(0, over, len - 1, len),
            (over as i128 - 1)..=over as i128
        );
    }
}
