//! A range that its owner consumes from the front while thieves split off its back half.
//!
//! The bounds live in one `AtomicU64`, as 32-bit offsets from a base: `start` (high half)
//! and `end` (low half). The owner claims its next block with a CAS that moves `start`
//! forward; a thief takes the upper half of what remains with a CAS that moves `end` back.
//! Every CAS compares the whole word, so each index is handed out by exactly one successful
//! CAS: a claim and a steal that race cannot both succeed on the same bounds, and the loser
//! retries on the new bounds. No ordering beyond the atomicity of the CAS is needed: the
//! range only partitions indices. What the items read was published before the loop began,
//! and what a piece computes reaches the caller through the `join` latch that ends it.
//!
//! A loom model (every index claimed or stolen exactly once) is at the bottom of the file.

use crate::loom::{AtomicBool, AtomicU64, Ordering};

/// The longest range one `Stealable` holds.
pub(crate) const MAX_LEN: usize = u32::MAX as usize;

#[inline]
fn pack(start: u32, end: u32) -> u64 {
    (u64::from(start) << 32) | u64::from(end)
}

#[inline]
fn unpack(bounds: u64) -> (u32, u32) {
    ((bounds >> 32) as u32, bounds as u32)
}

/// The unclaimed part of `base..base + len`.
///
/// Lives in the frame of the loop piece that offers it, unpadded: its neighbours are that
/// piece's frames, which the owner writes once per offer, not per claim, and a
/// `CachePadded` word here cost each level of nested loops about 480 bytes of stack.
pub(crate) struct Stealable {
    base: usize,
    bounds: AtomicU64,
    /// Set by a thief once it has taken its half: the owner may offer the rest again.
    stolen: AtomicBool,
}

impl Stealable {
    /// The range `start..end`, at most `MAX_LEN` long.
    #[inline]
    pub(crate) fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end && end - start <= MAX_LEN);
        Stealable {
            base: start,
            bounds: AtomicU64::new(pack(0, (end - start) as u32)),
            stolen: AtomicBool::new(false),
        }
    }

    /// The owner's claim: the next `block` items, but no more than a quarter of what is left
    /// (and at least one item), so that a block sized on cheap items cannot take a costly
    /// stretch out of the thieves' reach: the items after those measured may cost anything.
    /// Past a quarter, a claim may take up to a quarter of `block` while that is no more
    /// than the share of one of `workers` in what is left, so the end of a range takes a
    /// few claims, not one per quarter down to a single item, and still leaves most of what
    /// is left to the others. (That floor used to have no such bound: after two no-op
    /// items, a block of 16 took all four 10 ms items left, and a worker woken for them
    /// found nothing.) Also tells whether the claim took everything left (no later claim or
    /// steal can then get anything). `None` if nothing is left.
    #[inline]
    pub(crate) fn claim(&self, block: usize, workers: usize) -> Option<(usize, usize, bool)> {
        let block = block.min(MAX_LEN) as u32;
        let workers = workers.clamp(1, MAX_LEN) as u32;
        self.claim_with(|left| {
            // The share of one worker counts only once a quarter of what is left is below a
            // quarter of the block (a division saved on the way down). Rounded down: rounded
            // up, on 4 threads the owner took three 5 ms items of a stretch of four in one
            // claim (15 ms, where the four workers take one each: 5 ms).
            let share = if left / 4 >= block / 4 {
                left / 4
            } else {
                (block / 4).min(left / workers)
            };
            block.min((left / 4).max(share))
        })
    }

    /// Claims `want(left)` items from the front (at least one, at most `left`), and tells
    /// whether that was all of them.
    #[inline]
    fn claim_with(&self, want: impl Fn(u32) -> u32) -> Option<(usize, usize, bool)> {
        let mut bounds = self.bounds.load(Ordering::Relaxed);
        loop {
            let (start, end) = unpack(bounds);
            if start >= end {
                return None;
            }
            let left = end - start;
            let stop = start + want(left).clamp(1, left);
            match self.bounds.compare_exchange_weak(
                bounds,
                pack(stop, end),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    return Some((
                        self.base + start as usize,
                        self.base + stop as usize,
                        stop == end,
                    ));
                }
                Err(now) => bounds = now,
            }
        }
    }

    /// The owner's claim of everything left.
    #[inline]
    pub(crate) fn claim_rest(&self) -> Option<(usize, usize)> {
        self.claim_with(|left| left).map(|(s, e, _)| (s, e))
    }

    /// A thief's steal: the upper half of what is left, rounded up, so a single index left
    /// is taken too (its owner may be in the middle of a long item: the last item of a loop
    /// of a few long ones must not wait for it). `None` if nothing is left.
    pub(crate) fn steal_half(&self) -> Option<(usize, usize)> {
        let mut bounds = self.bounds.load(Ordering::Relaxed);
        loop {
            let (start, end) = unpack(bounds);
            if start >= end {
                return None;
            }
            let mid = start + (end - start) / 2;
            match self.bounds.compare_exchange_weak(
                bounds,
                pack(start, mid),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    self.stolen.store(true, Ordering::Relaxed);
                    return Some((self.base + mid as usize, self.base + end as usize));
                }
                Err(now) => bounds = now,
            }
        }
    }

    /// How many items are left, for tests that check `last` without taking any.
    #[cfg(all(test, not(loom)))]
    fn left(&self) -> usize {
        let (start, end) = unpack(self.bounds.load(Ordering::Relaxed));
        end.saturating_sub(start) as usize
    }

    /// True once a thief took its half.
    #[inline]
    pub(crate) fn was_stolen(&self) -> bool {
        self.stolen.load(Ordering::Relaxed)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Stealable;

    #[test]
    fn claims_and_steals_partition_the_range() {
        let r = Stealable::new(100, 200);
        assert_eq!(r.claim(10, 1), Some((100, 110, false)));
        assert_eq!(r.steal_half(), Some((155, 200)));
        assert!(r.was_stolen());
        // At most a quarter of the 45 left (a quarter of the block asked for is less).
        assert_eq!(r.claim(40, 1), Some((110, 121, false)));
        assert_eq!(r.claim_rest(), Some((121, 155)));
        assert_eq!(r.claim(1, 1), None);
        assert_eq!(r.steal_half(), None);
    }

    #[test]
    fn steals_take_the_upper_half_down_to_the_last_index() {
        let r = Stealable::new(0, 9);
        assert_eq!(r.steal_half(), Some((4, 9)));
        assert_eq!(r.steal_half(), Some((2, 4)));
        assert_eq!(r.steal_half(), Some((1, 2)));
        assert_eq!(r.steal_half(), Some((0, 1)));
        assert_eq!(r.steal_half(), None);
        assert_eq!(r.claim_rest(), None);
    }

    #[test]
    fn the_end_of_a_range_takes_a_few_claims() {
        // Blocks of 4,096, one worker: claims shrink to a quarter of what is left, but not
        // below 1,024.
        let r = Stealable::new(0, 10_000);
        let mut claims = Vec::new();
        while let Some((s, e, last)) = r.claim(4096, 1) {
            claims.push(e - s);
            assert_eq!(last, claims.iter().sum::<usize>() == 10_000);
        }
        assert_eq!(claims.iter().sum::<usize>(), 10_000);
        assert_eq!(
            claims,
            [2500, 1875, 1406, 1054, 1024, 1024, 1024, 93],
            "{claims:?}"
        );
    }

    #[test]
    fn the_owners_share_is_rounded_down() {
        // Cheap items measured (a block of 64), then what is left may be costly: four
        // workers and 9 items left, the owner takes 2, not 3. Rounded up, on 4 threads, a
        // stretch of four 5 ms items after 7 cheap ones of 16 took 15 ms, three of them in
        // one claim (rayon: 5 ms).
        let r = Stealable::new(0, 9);
        assert_eq!(r.claim(64, 4), Some((0, 2, false)));
        // Two workers, three items left: the owner takes one, and a thief arriving while
        // the owner runs it takes one of the two left.
        let r = Stealable::new(0, 3);
        assert_eq!(r.claim(64, 2), Some((0, 1, false)));
        assert_eq!(r.steal_half(), Some((2, 3)));
    }

    #[test]
    fn a_claim_leaves_each_other_worker_its_share() {
        // A block grown on cheap items, then the costly ones: two workers, so no claim
        // takes more than half of what is left (the regression: the whole rest at once).
        let r = Stealable::new(0, 6);
        assert_eq!(r.claim(1, 2), Some((0, 1, false)));
        assert_eq!(r.claim(8, 2), Some((1, 3, false)));
        assert_eq!(r.steal_half(), Some((4, 6)));
        assert_eq!(r.claim(16, 2), Some((3, 4, true)));
        // Eight workers: a quarter of what is left, never more.
        let r = Stealable::new(0, 40);
        assert_eq!(r.claim(64, 8), Some((0, 10, false)));
        assert_eq!(r.claim(64, 8), Some((10, 17, false)));
        // One worker: down to a quarter of the block.
        let r = Stealable::new(0, 6);
        assert_eq!(r.claim(16, 1), Some((0, 4, false)));
    }
}

#[cfg(all(test, not(loom), not(miri)))]
mod proptests {
    use proptest::prelude::*;

    use super::Stealable;

    proptest! {
        /// Any sequence of claims (any block and pool size) and steals, then a claim of the
        /// rest, hands out every index of the range exactly once, and a claim says it took
        /// the last items exactly when nothing is left after it.
        #[test]
        fn claims_and_steals_hand_out_each_index_once(
            start in 0usize..1_000,
            len in 0usize..3_000,
            ops in prop::collection::vec((any::<bool>(), 1usize..5_000, 1usize..70), 0..120),
        ) {
            let r = Stealable::new(start, start + len);
            let mut seen = vec![0u8; len];
            let mut mark = |s: usize, e: usize| (s..e).for_each(|i| seen[i - start] += 1);
            for (steal, block, workers) in ops {
                if steal {
                    if let Some((s, e)) = r.steal_half() {
                        prop_assert!(s < e);
                        mark(s, e);
                    }
                } else if let Some((s, e, last)) = r.claim(block, workers) {
                    prop_assert!(s < e && e - s <= block);
                    mark(s, e);
                    // Looked at without taking anything, so claims also follow each other.
                    prop_assert_eq!(last, r.left() == 0);
                }
            }
            if let Some((s, e)) = r.claim_rest() {
                mark(s, e);
            }
            prop_assert!(seen.iter().all(|&n| n == 1), "{seen:?}");
        }
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use loom::thread;

    use super::Stealable;
    use crate::loom::Arc;

    /// An owner claiming blocks of 2 and two thieves stealing halves of a range of 8: every
    /// index is handed out exactly once.
    #[test]
    fn every_index_is_claimed_or_stolen_once() {
        loom::model(|| {
            let r = Arc::new(Stealable::new(0, 8));
            let thieves: Vec<_> = (0..2)
                .map(|_| {
                    let r = r.clone();
                    thread::spawn(move || r.steal_half())
                })
                .collect();
            let mut seen = [0u8; 8];
            while let Some((s, e, _)) = r.claim(2, 2) {
                (s..e).for_each(|i| seen[i] += 1);
            }
            for t in thieves {
                if let Some((s, e)) = t.join().unwrap() {
                    (s..e).for_each(|i| seen[i] += 1);
                }
            }
            assert_eq!(seen, [1; 8]);
        });
    }
}
