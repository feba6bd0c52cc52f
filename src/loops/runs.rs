//! A range of indices counted in runs of at least `min`: the unit in which a loop with a
//! minimum piece length is cut (`Schedule::Adaptive { min_len }`, and every schedule of a
//! parallel iterator with `with_min_len`).

use std::ops::Range;

/// The indices `start..start + len` as `count` runs of `min` (at least 1) indices: run `r`
/// starts at `start + r * min`, and the last run also takes the `len % min` indices left
/// over. So every piece of a loop over runs covers at least `min` indices (from `min` to
/// `2 * min - 1` for the last), unless `len < min` (one run), as rayon's `with_min_len`
/// promises; with whole multiples of `min` a loop's last piece came up short (576 items
/// ended a loop of 2^20 with a minimum of 1,000).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Runs {
    start: usize,
    len: usize,
    min: usize,
    count: usize,
}

impl Runs {
    #[inline]
    pub(crate) fn new(range: Range<usize>, min: usize) -> Self {
        let (len, min) = (range.len(), min.max(1));
        Runs {
            start: range.start,
            len,
            min,
            // No division for runs of one index (the default).
            count: if min == 1 {
                len
            } else if len == 0 {
                0
            } else {
                (len / min).max(1)
            },
        }
    }

    /// How many runs (0 for an empty range).
    #[inline]
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// The run that holds index `at` (`count` for an index at or past the end; `at` at or
    /// after the range's start).
    #[inline]
    pub(crate) fn run_at(&self, at: usize) -> usize {
        debug_assert!(at >= self.start);
        let offset = at - self.start;
        if offset >= self.len {
            self.count
        } else {
            (offset / self.min).min(self.count - 1)
        }
    }

    /// The index where run `r` starts (`r <= count`; the end of the range at `count`).
    #[inline]
    pub(crate) fn start_of(&self, r: usize) -> usize {
        debug_assert!(r <= self.count);
        if self.min == 1 {
            // Runs of one index (the default): no test for the last run, which made the
            // item loops of a filter's count 1.5x as many instructions.
            self.start + r
        } else if r >= self.count {
            self.start + self.len
        } else {
            self.start + r * self.min
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// The last run takes what is left over, so no run is shorter than `min` unless the
    /// range is (a piece of the leftover alone once ended a loop).
    #[test]
    fn the_last_run_takes_the_leftover() {
        let r = Runs::new(0..2003, 50);
        assert_eq!(r.count(), 40);
        assert_eq!((r.start_of(39), r.start_of(40)), (1950, 2003));
        let r = Runs::new(7..56, 50);
        assert_eq!((r.count(), r.start_of(0), r.start_of(1)), (1, 7, 56));
        assert_eq!(Runs::new(3..3, 50).count(), 0);
        let r = Runs::new(0..usize::MAX, 1);
        assert_eq!(
            (r.count(), r.start_of(r.count() - 1)),
            (usize::MAX, usize::MAX - 1)
        );
        let r = Runs::new(0..usize::MAX, 1 << 20);
        assert_eq!(r.start_of(r.count()), usize::MAX);
        assert!(r.start_of(r.count()) - r.start_of(r.count() - 1) < 2 << 20);
        let r = Runs::new(10..20, 1);
        assert_eq!((r.count(), r.start_of(0), r.start_of(10)), (10, 10, 20));
        assert_eq!((r.run_at(10), r.run_at(19), r.run_at(20)), (0, 9, 10));
        let r = Runs::new(0..2003, 50);
        assert_eq!((r.run_at(49), r.run_at(50), r.run_at(2002)), (0, 1, 39));
        assert_eq!((r.run_at(2003), r.run_at(usize::MAX)), (40, 40));
    }
}
