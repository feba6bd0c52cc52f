//! What a distributed call is, and the check that every rank makes the same call.
//!
//! SPMD programs go wrong in one characteristic way: one rank takes another branch and
//! calls another verb, or the same verb over another range. MPI would then pair messages
//! of different calls, and hang or compute garbage. So each call starts with one
//! `all_gather` of a few numbers that describe it (verb, range, distribution, a hash of the
//! result type's name, and the call site: a hash of its file's name, its line and column,
//! so that two calls alike in all else but made in another order disagree); if any rank's
//! differ, every rank returns [`DistError::RanksDisagree`] (each sees all the numbers, so
//! all of them notice), after a second exchange, of the names the hashes stand for. The
//! arguments are then checked ([`Call::validate`]); being the same on every rank, they fail
//! the same way on every rank.
//!
//! # Leaving
//!
//! Dropping a `Cluster` takes part in the same step, with numbers of its own: "leaving
//! after N calls" ([`agree_to_leave`]). The step is the first collective of every call and
//! the only one of a drop, and every rank numbers its calls alike, so the `all_gather` of a
//! rank that leaves after N calls meets the agreement step of call number N on the ranks
//! that go on (or their own drops). Every rank then sees every rank's numbers:
//!
//! - all leave after N calls: each goes on to `MPI_Finalize`, a normal end;
//! - some leave while others make a call: the callers could never finish their call (it
//!   needs every rank), so every rank, the leavers included, ends the job with
//!   `MPI_Abort` and a message that names the first rank that left and its number of calls.
//!
//! A rank cannot leave in the middle of a call: it returns from a call only once it has
//! done its part of every message and collective of it (under `Distribution::Dynamic`,
//! rank 0 once it has told every other rank "no more", the others once told; see
//! `dynamic`), so the others finish the call without it and their next step meets its
//! drop. What this does not catch:
//! a rank that leaves while the others wait in an MPI call of the user's own (on
//! `Cluster::world`), or that never reaches a drop or a call (an endless loop, a hang in
//! user code); the drop then waits with the others, as `MPI_Finalize` would.

use std::ops::Range;
use std::panic::Location;

use mpi::Count;
use mpi::datatype::PartitionMut;

use mpi::traits::CommunicatorCollectives;

use crate::abort;
use crate::cluster::Cluster;
use crate::collect::MAX_COUNT;
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

/// The code of a drop of a `Cluster` in the agreement step, beside the verbs' codes.
const LEAVE: u64 = 5;

impl Verb {
    fn name(code: u64) -> &'static str {
        match code {
            1 => "for_each",
            2 => "map_reduce",
            3 => "gather",
            4 => "gather_ranks",
            LEAVE => "a drop of its Cluster",
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
    /// Where the program makes the call (the verbs are `#[track_caller]`), so that two calls
    /// alike in everything else, made in another order on two ranks, disagree.
    pub(crate) at: &'static Location<'static>,
}

/// The numbers that describe a call: sequence number, verb, start, end, distribution,
/// chunk, a hash of the result type's name, a hash of the call site's file name, and the
/// call site's line (high half) and column (low half).
type Words = [u64; 9];

/// What a rank's words cannot carry, learned from every rank once they disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Names {
    /// The result type.
    type_name: String,
    /// The call site's file.
    file: String,
}

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
            fnv1a(self.at.file().as_bytes()),
            u64::from(self.at.line()) << 32 | u64::from(self.at.column()),
        ]
    }

    /// What this rank's words leave out.
    fn names(&self) -> Names {
        Names {
            type_name: self.type_name.into(),
            file: self.at.file().into(),
        }
    }

    /// A call's description, from its rank's words and names; the sequence number is
    /// mentioned if it is not `seq`.
    fn describe(words: &Words, names: &Names, seq: u64) -> String {
        let their_seq = words[0];
        let (line, column) = (words[8] >> 32, words[8] & 0xffff_ffff);
        let numbered = if their_seq == seq {
            String::new()
        } else {
            format!(" as its distributed call #{their_seq}")
        };
        format!(
            "{} returning {} at {}:{line}:{column}{numbered}",
            Call::signature(words),
            names.type_name,
            names.file
        )
    }

    /// A call's verb and arguments: `map_reduce(0..10, Static)`.
    fn signature(words: &Words) -> String {
        let [_, verb, start, end, dist, chunk, ..] = *words;
        let dist = match Distribution::from_code(dist, chunk) {
            Some(d) => d.to_string(),
            None => "an unknown distribution".into(),
        };
        format!("{}({start}..{end}, {dist})", Verb::name(verb))
    }

    /// Checks that every rank makes this call, as call number `seq` of this rank. Ends the
    /// job if a rank left instead ([`agree_to_leave`]).
    pub(crate) fn agree(&self, cluster: &Cluster, seq: u64) -> Result<(), DistError> {
        let ours = self.words(seq);
        let all = exchange(cluster, &ours);
        if let Some(why) = departure(&all, cluster.size) {
            abort::abort(&why);
        }
        let Some(rank) = all
            .chunks_exact(ours.len())
            .position(|theirs| theirs != ours)
        else {
            return Ok(());
        };
        // Every rank sees that some rows differ, so every rank takes this slow path, where
        // the ranks learn what the words carry only as hashes.
        let names = exchange_names(cluster, &self.names());
        let theirs: Words = all[rank * ours.len()..][..ours.len()]
            .try_into()
            .expect("a row of the gather");
        Err(DistError::RanksDisagree {
            call: seq,
            rank,
            this_rank: cluster.rank,
            ours: Call::describe(&ours, &names[cluster.rank], seq),
            theirs: Call::describe(&theirs, &names[rank], seq),
        })
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
        // Every result of a gather reaches rank 0 in one MPI message of at most MAX_COUNT
        // bytes, at least a byte each in practice: refuse more before computing any (rank 0
        // could not even hold the slots of 0..u64::MAX).
        if self.verb == Verb::Gather && items > MAX_COUNT {
            return Err(DistError::TooManyToGather {
                start,
                end,
                items,
                max: MAX_COUNT,
            });
        }
        // A Static block per rank, and none may be empty; under Dynamic a rank may get no
        // chunk at all (its first answer is "no more").
        if self.dist == Distribution::Static && items < size as u64 {
            return Err(DistError::MoreRanksThanItems { ranks: size, items });
        }
        Ok(())
    }
}

/// The agreement step of a drop of `cluster`, after `cluster.calls` calls: returns if every
/// rank leaves after as many calls (MPI may then be finalized), and ends the job with a
/// message if some rank makes a call instead (see the module's docs).
pub(crate) fn agree_to_leave(cluster: &Cluster) {
    let seq = cluster.calls.get();
    let ours: Words = [seq, LEAVE, 0, 0, 0, 0, 0, 0, 0];
    let all = exchange(cluster, &ours);
    if all.chunks_exact(ours.len()).any(|theirs| theirs != ours) {
        let why = departure(&all, cluster.size).unwrap_or_else(|| {
            format!(
                "the ranks left after different numbers of distributed calls (this rank, {}, \
                 after {seq})",
                cluster.rank
            )
        });
        abort::abort(&why);
    }
}

/// Every rank's words, in rank order, from one `all_gather` on the library's communicator.
fn exchange(cluster: &Cluster, ours: &Words) -> Vec<u64> {
    let mut all = vec![0u64; ours.len() * cluster.size];
    cluster.comm.all_gather_into(&ours[..], &mut all[..]);
    all
}

/// Every rank's names, in rank order: an `all_gather` of their lengths, then of their bytes.
fn exchange_names(cluster: &Cluster, ours: &Names) -> Vec<Names> {
    // The type's name, a newline (which no type name holds), the file's.
    let bytes = format!("{}\n{}", ours.type_name, ours.file).into_bytes();
    let len = Count::try_from(bytes.len()).expect("a type's and a file's name are short");
    let mut lens: Vec<Count> = vec![0; cluster.size];
    cluster.comm.all_gather_into(&len, &mut lens[..]);
    let displs: Vec<Count> = lens
        .iter()
        .scan(0, |at, &len| {
            let here = *at;
            *at += len;
            Some(here)
        })
        .collect();
    let mut all = vec![0u8; lens.iter().map(|&l| l as usize).sum()];
    {
        let mut partition = PartitionMut::new(&mut all[..], &lens[..], &displs[..]);
        cluster
            .comm
            .all_gather_varcount_into(&bytes[..], &mut partition);
    }
    lens.iter()
        .zip(&displs)
        .map(|(&len, &at)| {
            let text = String::from_utf8_lossy(&all[at as usize..][..len as usize]);
            let (type_name, file) = text.split_once('\n').unwrap_or((&text, "?"));
            Names {
                type_name: type_name.into(),
                file: file.into(),
            }
        })
        .collect()
}

/// If some rank left while another made a call, why the job must end: the first rank that
/// left, after how many calls, and the first rank that made a call, and which. `None` if
/// no rank left, or all did.
fn departure(all: &[u64], size: usize) -> Option<String> {
    let rows: Vec<Words> = all
        .chunks_exact(std::mem::size_of::<Words>() / 8)
        .map(|row| row.try_into().expect("a row of the gather"))
        .collect();
    let left = rows.iter().position(|row| row[1] == LEAVE)?;
    let called = rows.iter().position(|row| row[1] != LEAVE)?;
    let calls = rows[left][0];
    let plural = if calls == 1 { "" } else { "s" };
    Some(format!(
        "rank {left} of {size} left after {calls} distributed call{plural} (its Cluster was \
         dropped: main returned, with an error or not, or the rank skipped a call), while \
         rank {called} made distributed call #{}, {}; that call needs every rank, so the job \
         ends here. An error that main returns on rank {left} is not printed (MPI_Abort ends \
         the process first): print it before returning, or handle errors alike on every rank",
        rows[called][0],
        Call::signature(&rows[called]),
    ))
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

    #[track_caller]
    fn call(range: Range<u64>, dist: Distribution) -> Call {
        Call {
            verb: Verb::MapReduce,
            range,
            dist,
            type_name: "u64",
            at: Location::caller(),
        }
    }

    #[test]
    fn validation() {
        let d = Distribution::Dynamic { chunk: 2 };
        assert_eq!(call(0..8, d).validate(4), Ok(()));
        assert_eq!(call(0..3, d).validate(4), Ok(()));
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
        let gather = |range| Call {
            verb: Verb::Gather,
            ..call(range, Distribution::Static)
        };
        assert_eq!(gather(0..MAX_COUNT).validate(4), Ok(()));
        assert_eq!(
            gather(1..u64::MAX).validate(4),
            Err(DistError::TooManyToGather {
                start: 1,
                end: u64::MAX,
                items: u64::MAX - 1,
                max: MAX_COUNT
            })
        );
        assert_eq!(
            call(0..3, Distribution::Static).validate(4),
            Err(DistError::MoreRanksThanItems { ranks: 4, items: 3 })
        );
    }

    #[test]
    fn a_leave_against_a_call_names_both() {
        let c = call(0..10, Distribution::Static);
        let leave: Words = [3, LEAVE, 0, 0, 0, 0, 0, 0, 0];
        let mut all = Vec::new();
        for row in [c.words(3), leave, c.words(3)] {
            all.extend(row);
        }
        let why = departure(&all, 3).expect("a leave against a call");
        assert!(
            why.starts_with("rank 1 of 3 left after 3 distributed calls"),
            "{why}"
        );
        assert!(why.contains("rank 0 made distributed call #3, map_reduce(0..10, Static)"));
        let together: Vec<u64> = [leave, leave].concat();
        assert_eq!(departure(&together, 2), None);
        let calls: Vec<u64> = [c.words(3), c.words(3)].concat();
        assert_eq!(departure(&calls, 2), None);
    }

    #[test]
    fn descriptions() {
        let c = call(0..10, Distribution::Dynamic { chunk: 3 });
        let w = c.words(5);
        let names = c.names();
        let (line, column) = (c.at.line(), c.at.column());
        assert_eq!(
            Call::describe(&w, &names, 5),
            format!(
                "map_reduce(0..10, Dynamic {{ chunk: 3 }}) returning u64 at {}:{line}:{column}",
                file!()
            )
        );
        assert!(Call::describe(&w, &names, 4).ends_with("as its distributed call #5"));
        assert_ne!(fnv1a(b"u64"), fnv1a(b"u32"));
    }

    #[test]
    fn call_sites_are_told_apart() {
        let (a, b) = (
            call(0..10, Distribution::Static),
            call(0..10, Distribution::Static),
        );
        assert_ne!(a.words(0), b.words(0));
        let again = || call(0..10, Distribution::Static);
        assert_eq!(again().words(0), again().words(0));
    }
}
