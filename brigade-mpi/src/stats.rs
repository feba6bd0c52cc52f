//! [`RankStats`]: what one rank did in its last distributed loop.

use std::time::Duration;

use crate::error::WireError;
use crate::wire::Wire;

/// What this rank did in the last distributed loop it ran, from
/// [`Cluster::last_stats`](crate::Cluster::last_stats). It implements [`Wire`], so
/// [`Cluster::gather_ranks`](crate::Cluster::gather_ranks) brings every rank's to rank 0.
///
/// # Examples
///
/// ```
/// use brigade_mpi::RankStats;
///
/// let s = RankStats::default();
/// assert_eq!((s.chunks, s.items, s.requests), (0, 0, 0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RankStats {
    /// The rank.
    pub rank: usize,
    /// Chunks this rank ran (one block under `Static`).
    pub chunks: u64,
    /// Items in those chunks.
    pub items: u64,
    /// Time spent running chunks on the rank's pool.
    pub busy: Duration,
    /// `Dynamic`, ranks other than 0: chunk requests sent to rank 0 (one more than the
    /// chunks: the last one is answered "no more").
    pub requests: u64,
    /// `Dynamic`, ranks other than 0: the time the main thread waited for rank 0's answers
    /// once it needed them (at the start, and each time a chunk finished), summed: the part
    /// of the round trips to rank 0 that chunks running meanwhile did not hide. With chunks
    /// that take no time, divided by `requests`, the cost of one request.
    pub request_wait: Duration,
    /// `Dynamic`, rank 0: requests it answered.
    pub served: u64,
    /// `Dynamic`, rank 0: the time its main thread spent answering them (receiving a
    /// request, claiming a chunk, sending it), summed. Divided by `served`, the service
    /// time of one request, which bounds the requests rank 0 can answer per second.
    pub serving: Duration,
    /// The whole call on this rank, from entry to return (collectives included).
    pub wall: Duration,
}

impl Wire for RankStats {
    fn encode(&self, out: &mut Vec<u8>) {
        self.rank.encode(out);
        self.chunks.encode(out);
        self.items.encode(out);
        self.busy.encode(out);
        self.requests.encode(out);
        self.request_wait.encode(out);
        self.served.encode(out);
        self.serving.encode(out);
        self.wall.encode(out);
    }

    fn decode(input: &mut &[u8]) -> Result<Self, WireError> {
        Ok(RankStats {
            rank: Wire::decode(input)?,
            chunks: Wire::decode(input)?,
            items: Wire::decode(input)?,
            busy: Wire::decode(input)?,
            requests: Wire::decode(input)?,
            request_wait: Wire::decode(input)?,
            served: Wire::decode(input)?,
            serving: Wire::decode(input)?,
            wall: Wire::decode(input)?,
        })
    }
}

impl RankStats {
    /// A fresh record for `rank`.
    pub(crate) fn for_rank(rank: usize) -> RankStats {
        RankStats {
            rank,
            ..RankStats::default()
        }
    }

    /// Counts one chunk of `items` items that ran for `busy`.
    pub(crate) fn add_chunk(&mut self, items: u64, busy: Duration) {
        self.chunks += 1;
        self.items += items;
        self.busy += busy;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let mut s = RankStats::for_rank(3);
        s.add_chunk(10, Duration::from_millis(5));
        s.requests = 2;
        s.request_wait = Duration::from_micros(40);
        s.wall = Duration::from_millis(6);
        assert_eq!(RankStats::from_bytes(&s.to_bytes()), Ok(s));
    }
}
