//! What a distributed call is, and the check that every rank makes the same call.
//!
//! SPMD programs go wrong in one characteristic way: one rank takes another branch and
//! calls another verb, or the same verb over another range. MPI would then pair messages
//! of different calls, and hang or compute garbage. So each call starts with one
//! `all_gather` of a few numbers that describe it; if any rank's differ, every rank returns
//! [`DistError::RanksDisagree`] (each sees all the numbers, so all of them notice). The
//! arguments are then checked ([`Call::validate`]); being the same on every rank, they fail
//! the same way on every rank.

use std::ops::Range;

use mpi::traits::CommunicatorCollectives;

use crate::cluster::Cluster;
use crate::distribution::Distribution;
use crate::error::DistError;

/// The distributed verbs, numbered for the agreement check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verb {
    ForEach = 1,
    MapReduce = 2,
    Gather = 3,
    GatherRanks = 4,
}

impl Verb {
    fn name(code: u64) -> &'static str {
        match code {
            1 => "for_each",
            2 => "map_reduce",
            3 => "gather",
            4 => "gather_ranks",
            _ => "an unknown verb",
        }
    }
}

/// One distributed call, as every rank must make it.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub(crate) verb: Verb,
    pub(crate) range: Range<u64>,
    pub(crate) dist: Distribution,
    /// `std::any::type_name` of the result (`()` for `for_each`).
    pub(crate) type_name: &'static str,
}

/// The numbers that describe a call: sequence number, verb, start, end, distribution,
/// chunk, and a hash of the result type's name.
type Words = [u64; 7];

impl Call {
    fn words(&self, seq: u64) -> Words {
        let (dist, chunk) = self.dist.code();
        [
            seq,
            self.verb as u64,
            self.range.start,
            self.range.end,
            dist,
            chunk,
            fnv1a(self.type_name.as_bytes()),
        ]
    }

    /// A call's description; `type_name` is known only for this rank's own call, and the
    /// sequence number is mentioned if it is not `seq`.
    fn describe(words: &Words, type_name: Option<&str>, seq: u64) -> String {
        let [their_seq, verb, start, end, dist, chunk, _] = *words;
        let dist = match Distribution::from_code(dist, chunk) {
            Some(d) => d.to_string(),
            None => "an unknown distribution".into(),
        };
        let returning = match type_name {
            Some(t) => format!("returning {t}"),
            None => "returning another result type".into(),
        };
        let numbered = if their_seq == seq {
            String::new()
        } else {
            format!(" as its distributed call #{their_seq}")
        };
        format!(
            "{}({start}..{end}, {dist}) {returning}{numbered}",
            Verb::name(verb)
        )
    }

    /// Checks that every rank makes this call, as call number `seq` of this rank.
    pub(crate) fn agree(&self, cluster: &Cluster, seq: u64) -> Result<(), DistError> {
        let ours = self.words(seq);
        let mut all = vec![0u64; ours.len() * cluster.size];
        cluster.comm.all_gather_into(&ours[..], &mut all[..]);
        for (rank, theirs) in all.chunks_exact(ours.len()).enumerate() {
            if theirs != ours {
                let theirs: Words = theirs.try_into().expect("a row of the gather");
                // Name the result type only if the hashes differ.
                let ours_type = Some(self.type_name);
                let theirs_type = (theirs[6] == ours[6]).then_some(self.type_name);
                return Err(DistError::RanksDisagree {
                    call: seq,
                    rank,
                    this_rank: cluster.rank,
                    ours: Call::describe(&ours, ours_type, seq),
                    theirs: Call::describe(&theirs, theirs_type, seq),
                });
            }
        }
        Ok(())
    }

    /// Checks the arguments, the same on every rank once they agree.
    pub(crate) fn validate(&self, size: usize) -> Result<(), DistError> {
        let Range { start, end } = self.range;
        if end <= start {
            return Err(DistError::EmptyRange { start, end });
        }
        if self.dist == (Distribution::Dynamic { chunk: 0 }) {
            return Err(DistError::ZeroChunk);
        }
        let items = end - start;
        if items < size as u64 {
            return Err(DistError::MoreRanksThanItems { ranks: size, items });
        }
        Ok(())
    }
}

/// FNV-1a, 64 bits: a stable hash of a type's name (the same on every rank, which run the
/// same program).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(range: Range<u64>, dist: Distribution) -> Call {
        Call {
            verb: Verb::MapReduce,
            range,
            dist,
            type_name: "u64",
        }
    }

    #[test]
    fn validation() {
        let d = Distribution::Dynamic { chunk: 2 };
        assert_eq!(call(0..8, d).validate(4), Ok(()));
        assert_eq!(
            call(5..5, d).validate(4),
            Err(DistError::EmptyRange { start: 5, end: 5 })
        );
        assert_eq!(
            call(Range { start: 6, end: 2 }, d).validate(1),
            Err(DistError::EmptyRange { start: 6, end: 2 })
        );
        assert_eq!(
            call(0..8, Distribution::Dynamic { chunk: 0 }).validate(4),
            Err(DistError::ZeroChunk)
        );
        assert_eq!(
            call(0..3, Distribution::Static).validate(4),
            Err(DistError::MoreRanksThanItems { ranks: 4, items: 3 })
        );
    }

    #[test]
    fn descriptions() {
        let c = call(0..10, Distribution::Dynamic { chunk: 3 });
        let w = c.words(5);
        assert_eq!(
            Call::describe(&w, Some("u64"), 5),
            "map_reduce(0..10, Dynamic { chunk: 3 }) returning u64"
        );
        assert!(Call::describe(&w, None, 5).ends_with("another result type"));
        assert!(Call::describe(&w, None, 4).ends_with("as its distributed call #5"));
        assert_ne!(fnv1a(b"u64"), fnv1a(b"u32"));
    }
}
