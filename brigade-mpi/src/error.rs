//! Errors a user can act on.

use std::fmt;
use std::io;

use thiserror::Error;

/// `Debug` shows the message a user can act on, as `Display` does: a `main` that returns
/// `Result<(), Box<dyn Error>>` prints its error's `Debug` form, which derived, would show
/// the variant's fields without the advice.
macro_rules! debug_as_message {
    ($t:ty) => {
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
    };
}

/// Why [`Cluster::init`](crate::Cluster::init) could not start this rank.
///
/// # Examples
///
/// ```
/// let err = brigade_mpi::InitError::AlreadyInitialized;
/// println!("{err}"); // says what to change
/// ```
#[derive(Error)]
#[non_exhaustive]
pub enum InitError {
    /// A `Cluster` already exists in this process.
    #[error(
        "this process already has a Cluster (Cluster::init was called twice): there is one per \
         process; make it once, at the start of main, and pass &Cluster to the code that needs \
         it"
    )]
    AlreadyInitialized,

    /// MPI was finalized in this process (by the drop of an earlier `Cluster`, or by other
    /// code), and MPI cannot start again.
    #[error(
        "MPI was already finalized in this process (an earlier Cluster was dropped, or other \
         code finalized it), and MPI cannot start twice: make one Cluster at the start of main \
         and keep it until the end"
    )]
    Finalized,

    /// The program initialized MPI itself, below the funneled threading level.
    #[error(
        "MPI was already initialized in this process, by other code, at the {provided} \
         threading level, and brigade-mpi needs Funneled (worker threads beside a main thread \
         that alone calls MPI): initialize it with \
         mpi::initialize_with_threading(Threading::Funneled) and keep its Universe until \
         after the Cluster is dropped, or let Cluster::init initialize MPI"
    )]
    InitializedBelowFunneled {
        /// The level MPI was initialized at, as MPI names it.
        provided: String,
    },

    /// The program initialized MPI itself at the funneled level, on another thread.
    #[error(
        "MPI was initialized at the Funneled threading level by another thread than the one \
         calling Cluster::init, and only that thread may call MPI: call Cluster::init on the \
         thread that initialized MPI"
    )]
    NotMpiMainThread,

    /// The MPI library does not offer the funneled threading level brigade-mpi needs.
    #[error(
        "the MPI library offers only the {provided} threading level, and brigade-mpi needs \
         Funneled (worker threads next to a main thread that alone calls MPI): use an MPI \
         built with thread support (OpenMPI and MPICH packages are)"
    )]
    Threading {
        /// The level the library provides, as MPI names it.
        provided: String,
    },

    /// The CPUs this rank may use could not be read.
    #[error(
        "could not read this rank's CPU affinity mask (sched_getaffinity): {0}; set the number \
         of threads with ClusterBuilder::num_threads or BRIGADE_NUM_THREADS instead"
    )]
    Affinity(#[source] io::Error),

    /// The rank's brigade pool could not be built.
    #[error("could not build this rank's thread pool: {0}")]
    Pool(#[from] brigade::BuildError),

    /// Another rank could not start, so this one stops too rather than wait for it.
    #[error(
        "rank {rank} could not start (it returned why from its Cluster::init); this rank \
         stops too, so that no rank waits for it"
    )]
    OtherRank {
        /// The first rank that could not start.
        rank: usize,
    },
}

/// Why a distributed loop did not run. Every rank returns the same error, so the ranks
/// stay in step: a program that handles it on one rank handles it on all.
///
/// # Examples
///
/// ```
/// use brigade_mpi::DistError;
///
/// let err = DistError::MoreRanksThanItems { ranks: 4, items: 3 };
/// assert!(err.to_string().contains("run fewer ranks"));
/// ```
#[derive(Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DistError {
    /// The range has no items.
    #[error(
        "the range {start}..{end} is empty: a distributed loop needs at least one item for \
         each rank; skip the call when there is nothing to do"
    )]
    EmptyRange {
        /// The range's start.
        start: u64,
        /// The range's end.
        end: u64,
    },

    /// Under [`Distribution::Static`](crate::Distribution::Static), the range has fewer
    /// items than there are ranks, so some rank's block would be empty. (Under `Dynamic` a
    /// rank may get no chunk, and this is no error.)
    #[error(
        "{items} items cannot be shared among {ranks} ranks by Distribution::Static (a block \
         per rank, none empty): run fewer ranks (mpirun -np {items} or fewer), loop over a \
         larger range, or use Distribution::Dynamic, where a rank may get no chunk"
    )]
    MoreRanksThanItems {
        /// The number of ranks.
        ranks: usize,
        /// The number of items in the range.
        items: u64,
    },

    /// `Distribution::Dynamic { chunk: 0 }`.
    #[error(
        "Distribution::Dynamic {{ chunk: 0 }} hands out nothing: use a chunk of at least one \
         item, and enough items that a chunk takes well over a round trip to rank 0 (see \
         docs/distributed.md)"
    )]
    ZeroChunk,

    /// The ranks did not all call the same verb with the same arguments from the same
    /// place in the program (the verbs are `#[track_caller]`).
    #[error(
        "distributed call #{call} differs between ranks: rank {rank} called {theirs}, rank \
         {this_rank} called {ours}; every rank must make the same distributed calls (verb, \
         range, distribution, result type, and the line of code that makes the call) in the \
         same order. A call that the ranks make from two places on purpose must move to one \
         (a function of your own that makes the call is one place for all its callers)"
    )]
    RanksDisagree {
        /// The call's number: the calls this rank made before it.
        call: u64,
        /// A rank whose call differs from this rank's.
        rank: usize,
        /// The rank that returned this error.
        this_rank: usize,
        /// What this rank called: verb, arguments, result type, call site.
        ours: String,
        /// What `rank` called, as `ours`.
        theirs: String,
    },

    /// `gather` over more items than one MPI message to rank 0 can carry results of.
    #[error(
        "gather {start}..{end} brings {items} results to rank 0, and one gather carries at \
         most {max} (2^31 - 1 bytes, at least a byte per result): gather a range at a time, \
         or combine the results on the way with map_reduce"
    )]
    TooManyToGather {
        /// The range's start.
        start: u64,
        /// The range's end.
        end: u64,
        /// The number of items in the range.
        items: u64,
        /// The most items one `gather` takes.
        max: u64,
    },

    /// One rank's results are too large for one MPI message.
    #[error(
        "rank {rank}'s results encode to {bytes} bytes, more than one MPI message can carry \
         (2^31 - 1 bytes): split the range into several calls, or return smaller results"
    )]
    TooLarge {
        /// The rank whose results are too large.
        rank: usize,
        /// Their size, encoded.
        bytes: u64,
    },

    /// All ranks' results together are too large for rank 0 to receive in one gather.
    #[error(
        "the results of all ranks encode to {bytes} bytes, more than rank 0 can receive in \
         one gather (2^31 - 1 bytes): split the range into several calls, or return smaller \
         results"
    )]
    TooLargeTotal {
        /// Their size, encoded.
        bytes: u64,
    },

    /// A result could not be decoded from the bytes its rank sent.
    #[error(
        "rank {rank} could not decode a result of type `{type_name}` sent by rank {from}{}: its `Wire` impl's \
         decode does not read back exactly what its encode wrote; make the two agree",
        reason.map(|r| format!(" ({r})")).unwrap_or_default()
    )]
    Decode {
        /// The rank that tried to decode.
        rank: usize,
        /// The rank that sent the bytes.
        from: usize,
        /// The result type.
        type_name: &'static str,
        /// What was wrong with the bytes, on the rank that found it (other ranks learn
        /// only that it failed).
        reason: Option<WireError>,
    },
}

/// Why bytes could not be decoded into a value; see [`Wire`](crate::Wire).
///
/// # Examples
///
/// ```
/// use brigade_mpi::{Wire, WireError};
///
/// assert_eq!(u32::from_bytes(&[1, 2]), Err(WireError::Truncated { needed: 4, left: 2 }));
/// ```
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// The bytes end before the value does.
    #[error("the bytes end too early: {needed} bytes needed, {left} left")]
    Truncated {
        /// The bytes the next field needs.
        needed: usize,
        /// The bytes left.
        left: usize,
    },

    /// The bytes hold something no value encodes to.
    #[error("the bytes hold {what}")]
    Invalid {
        /// What was found.
        what: &'static str,
    },

    /// Bytes are left after the value.
    #[error("{bytes} bytes are left over after the value")]
    Trailing {
        /// How many.
        bytes: usize,
    },
}

debug_as_message!(InitError);
debug_as_message!(DistError);

#[cfg(test)]
mod tests {
    use super::*;

    /// `fn main() -> Result<(), Box<dyn Error>>` prints the `Debug` form: it must carry the
    /// advice (it once printed `MoreRanksThanItems { ranks: 4, items: 3 }`).
    #[test]
    fn debug_shows_the_message() {
        let err = DistError::MoreRanksThanItems { ranks: 4, items: 3 };
        assert_eq!(format!("{err:?}"), err.to_string());
        assert!(format!("{err:?}").contains("run fewer ranks"));
        let err = InitError::AlreadyInitialized;
        assert_eq!(format!("{err:?}"), err.to_string());
        let boxed: Box<dyn std::error::Error> = Box::new(DistError::ZeroChunk);
        assert_eq!(format!("{boxed:?}"), DistError::ZeroChunk.to_string());
    }
}
