//! # brigade-mpi
//!
//! brigade's parallel loops across the ranks of an MPI job: the MPI + threads hybrid, with
//! a brigade pool in every rank and the distributed loop on top, on the MPI the job already
//! runs (OpenMPI, MPICH, a cluster's own), not a network layer of its own.
//!
//! Every rank runs the same program (SPMD). [`Cluster::init`] starts MPI (funneled: only
//! the main thread calls MPI, pool workers never do) and a pool sized to the rank's share
//! of its host's CPUs (from the affinity masks of the ranks on the host, so 4 ranks on one
//! host do not each start a thread per CPU). The verbs share an integer range among the ranks, run each rank's share on its
//! pool with brigade's own loops, and move only index ranges and results:
//!
//! - [`Cluster::for_each`] runs a body for every item;
//! - [`Cluster::map_reduce`] returns the reduced result on every rank;
//! - [`Cluster::gather`] brings per-item results to rank 0 in index order;
//! - [`Cluster::gather_ranks`] brings one value per rank to rank 0.
//!
//! [`Distribution::Static`] gives each rank an equal block; [`Distribution::Dynamic`] has
//! rank 0 hand out chunks as ranks ask, so a slow or busy rank takes less. Results travel
//! as bytes through the [`Wire`] trait.
//!
//! ```no_run
//! // no_run: an MPI program runs under mpirun (`mpirun -np 4 ./program`), or alone as one
//! // rank; a doctest is neither.
//! use brigade_mpi::{Cluster, Distribution, Schedule};
//!
//! fn cost(i: u64) -> u64 {
//!     (0..i % 1000).fold(i, |h, k| h.rotate_left(5) ^ k) // later items cost more
//! }
//!
//! let cluster = Cluster::init()?;
//! let checksum = cluster.map_reduce(0..100_000, Distribution::Dynamic { chunk: 1000 },
//!     Schedule::default(), || 0u64, cost, |a, b| a ^ b)?;
//! let per_item = cluster.gather(0..1000, Distribution::Static, Schedule::default(), cost)?;
//! if let Some(per_item) = per_item {
//!     // Rank 0 only.
//!     println!("{} ranks: checksum {checksum:x}, {} items gathered", cluster.size(), per_item.len());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What MPI survives, and what it does not
//!
//! - **A slow rank** (a slower machine, another job on its cores): survived. Under
//!   `Dynamic` it takes fewer chunks; under `Static` everyone waits for it.
//! - **A panic** on any rank (in a loop body, or on the main thread): not survived, and
//!   not hung either. The rank prints the message and calls `MPI_Abort`, which ends every
//!   rank; `mpirun` exits with [`ABORT_CODE`].
//! - **A rank that dies** (killed, out of memory, its machine gone): not survived. `mpirun`
//!   notices that a rank exited without `MPI_Finalize` and ends the job. MPI has no
//!   standard way for the other ranks to go on without it (ULFM is an extension that
//!   brigade-mpi does not use): rerun the job, and for long jobs write results as you go.
//! - **A rank that hangs** (a body that never returns): the job hangs, as one process
//!   would. `mpirun --timeout SECONDS` ends it.
//! - **A rank that leaves early** (its `Cluster` dropped: `main` returned, with an error or
//!   not, or it skipped a call) while the others make a distributed call: not survived,
//!   and not hung either. The drop takes part in the agreement step that begins every
//!   call, so every rank ends the job with `MPI_Abort` and a message naming the rank that
//!   left and after how many calls. Ranks that all leave after the same calls end normally.
//! - **Calls made in another order** on two ranks: returned as
//!   [`DistError::RanksDisagree`] on every rank when they differ in verb, range,
//!   distribution, result type or call site (file, line, column); not caught when they are
//!   alike in all of these (one helper function that makes the call, reached in another
//!   order): the results then mix.
//!
//! `docs/distributed.md` in the repository has the `mpirun` lines, measurements on one
//! host, and where the dynamic distribution stops scaling.

#![warn(missing_docs)]

mod abort;
mod affinity;
mod call;
mod cluster;
mod collect;
mod distribution;
mod dynamic;
mod error;
mod stats;
mod verbs;
mod wire;

pub use abort::ABORT_CODE;
pub use brigade::{self, Schedule};
pub use cluster::{Cluster, ClusterBuilder};
pub use distribution::Distribution;
pub use error::{DistError, InitError, WireError};
pub use mpi;
pub use stats::RankStats;
pub use wire::Wire;

/// The README's example, compiled as a doctest (`no_run`: it needs `mpirun`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
