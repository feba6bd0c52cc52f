//! [`Distribution`]: how a range is shared among ranks, and the static split.

use std::fmt;
use std::ops::Range;

/// How a distributed loop shares its range among the ranks. Within a rank, each share runs
/// on the rank's brigade pool with the loop's [`Schedule`](crate::Schedule).
///
/// # Examples
///
/// ```
/// use brigade_mpi::Distribution;
///
/// // Equal blocks, no messages while the loop runs: for uniform work on equal machines.
/// let uniform = Distribution::Static;
/// // Chunks of 8 items handed out by rank 0 as ranks ask: for skewed work, or machines
/// // that differ or are busy with other jobs.
/// let balanced = Distribution::Dynamic { chunk: 8 };
/// assert_ne!(uniform, balanced);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Distribution {
    /// Rank `r` of `n` takes the `r`-th of `n` contiguous blocks of equal length (within one
    /// item). No messages while the loop runs, so the cheapest; but the slowest rank (more
    /// work in its block, a slower or busier machine) sets the time of the whole loop.
    Static,
    /// Rank 0 hands out chunks of `chunk` consecutive items, in index order, to whichever
    /// rank asks; every rank asks for its next chunk when it starts one, so a rank holds at
    /// most two (one running, one in hand). A slow rank asks less often and so takes less.
    /// Each chunk costs a round trip to rank 0, hidden behind the chunk that runs meanwhile
    /// as long as a chunk takes longer than the round trip (`docs/distributed.md` has the
    /// figures): make chunks long enough for that, and short enough that the last ones do
    /// not keep the other ranks waiting.
    Dynamic {
        /// Items per chunk, at least 1.
        chunk: u64,
    },
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Distribution::Static => f.write_str("Static"),
            Distribution::Dynamic { chunk } => write!(f, "Dynamic {{ chunk: {chunk} }}"),
        }
    }
}

impl Distribution {
    /// A number for the agreement check, and the chunk size (0 for `Static`).
    pub(crate) fn code(self) -> (u64, u64) {
        match self {
            Distribution::Static => (1, 0),
            Distribution::Dynamic { chunk } => (2, chunk),
        }
    }

    /// The inverse of [`code`](Self::code), for describing another rank's call.
    pub(crate) fn from_code(code: u64, chunk: u64) -> Option<Distribution> {
        match code {
            1 => Some(Distribution::Static),
            2 => Some(Distribution::Dynamic { chunk }),
            _ => None,
        }
    }
}

/// Rank `rank`'s block of `range` under [`Distribution::Static`] among `size` ranks: block
/// `r` is `[start + len·r/size, start + len·(r+1)/size)`, so blocks are contiguous, in rank
/// order, cover the range, and differ in length by at most one.
pub(crate) fn static_block(range: &Range<u64>, rank: usize, size: usize) -> Range<u64> {
    let len = u128::from(range.end - range.start);
    let size = size as u128;
    let at = |r: u128| range.start + u64::try_from(len * r / size).expect("within the range");
    at(rank as u128)..at(rank as u128 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_blocks_cover_in_order() {
        for size in 1..9 {
            for range in [0..8u64, 3..40, 0..1000, u64::MAX - 20..u64::MAX] {
                let len = range.end - range.start;
                if len < size as u64 {
                    continue;
                }
                let blocks: Vec<_> = (0..size).map(|r| static_block(&range, r, size)).collect();
                assert_eq!(blocks[0].start, range.start);
                assert_eq!(blocks[size - 1].end, range.end);
                for w in blocks.windows(2) {
                    assert_eq!(w[0].end, w[1].start);
                }
                let lens: Vec<u64> = blocks.iter().map(|b| b.end - b.start).collect();
                let (min, max) = (lens.iter().min().unwrap(), lens.iter().max().unwrap());
                assert!(max - min <= 1 && *min >= 1, "{lens:?}");
            }
        }
    }

    #[test]
    fn codes_round_trip() {
        for d in [Distribution::Static, Distribution::Dynamic { chunk: 7 }] {
            let (code, chunk) = d.code();
            assert_eq!(Distribution::from_code(code, chunk), Some(d));
        }
        assert_eq!(Distribution::from_code(9, 0), None);
    }
}
