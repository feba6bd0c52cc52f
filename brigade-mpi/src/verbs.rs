//! The distributed verbs: `for_each`, `map_reduce`, `gather`, `gather_ranks`.
//!
//! Each call: the agreement check and the argument checks ([`Call`]); this rank's share of
//! the range, chunk by chunk, each chunk on the rank's pool with brigade's own loop and the
//! caller's `Schedule` ([`Cluster::run_share`]); then the results meet on rank 0
//! ([`collect`](crate::collect)) and, where every rank gets one, go back out.

use std::any::type_name;
use std::cell::Cell;
use std::ops::Range;
use std::panic::Location;
use std::panic::{self, AssertUnwindSafe};
use std::time::Instant;

use brigade::Schedule;
use mpi::traits::CommunicatorCollectives;

use crate::abort;
use crate::call::{Call, Verb};
use crate::cluster::Cluster;
use crate::collect::{finish, gather_to_root};
use crate::distribution::{Distribution, static_block};
use crate::dynamic::{self, Claims};
use crate::error::DistError;
use crate::stats::RankStats;
use crate::wire::Wire;

impl Cluster {
    /// Calls `body` once for every integer of `range`, across all ranks: each rank runs its
    /// share on its pool, cut by `schedule`. Returns on every rank once every rank has run
    /// its share.
    ///
    /// Every rank must make the same call (same range, distribution, from the same line of
    /// the program, in the same order of calls); see [`DistError::RanksDisagree`]. `body` runs on this rank's pool workers, so
    /// its side effects stay on this rank: to bring values together, use
    /// [`map_reduce`](Cluster::map_reduce) or [`gather`](Cluster::gather).
    ///
    /// # Errors
    ///
    /// On every rank: [`DistError::EmptyRange`], [`DistError::MoreRanksThanItems`] (`Static` only),
    /// [`DistError::ZeroChunk`], [`DistError::RanksDisagree`].
    ///
    /// # Panics
    ///
    /// A panic in `body` on any rank prints its message and ends the whole job
    /// (`MPI_Abort`; `mpirun` exits with [`ABORT_CODE`](crate::ABORT_CODE)).
    ///
    /// # Examples
    ///
    /// `no_run`: starting MPI in a doctest needs `mpirun` around it.
    ///
    /// ```no_run
    /// use brigade_mpi::{Cluster, Distribution, Schedule};
    /// use std::sync::atomic::{AtomicU64, Ordering};
    ///
    /// let cluster = Cluster::init()?;
    /// let mine = AtomicU64::new(0); // items this rank ran
    /// cluster.for_each(0..1000, Distribution::Static, Schedule::default(), |_| {
    ///     mine.fetch_add(1, Ordering::Relaxed);
    /// })?;
    /// assert_eq!(mine.into_inner(), cluster.last_stats().items);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn for_each<F>(
        &self,
        range: Range<u64>,
        dist: Distribution,
        schedule: Schedule,
        body: F,
    ) -> Result<(), DistError>
    where
        F: Fn(u64) + Sync,
    {
        let call = Call {
            verb: Verb::ForEach,
            range,
            dist,
            type_name: type_name::<()>(),
            at: Location::caller(),
        };
        let (seq, started, _busy) = self.begin(&call)?;
        let pool = &self.pool; // the closure runs on the chunk thread: not `self`
        let run = |r: Range<u64>| pool.for_each(r, schedule, &body);
        let mut stats = RankStats::for_rank(self.rank);
        self.run_share(
            &call,
            seq,
            &run,
            "a chunk of a distributed for_each",
            &mut stats,
        );
        self.comm.barrier();
        self.end(stats, started);
        Ok(())
    }

    /// Maps every integer of `range` with `map` and combines the results with `reduce`,
    /// across all ranks, and returns the result on every rank.
    ///
    /// Each chunk (under `Static`, each rank's block) is folded on its rank's pool as by
    /// [`ThreadPool::map_reduce`](brigade::ThreadPool::map_reduce), starting from
    /// `identity()`; rank 0 then combines the chunks' results in index order with `reduce`
    /// and sends the result to every rank. So for an associative `reduce` whose
    /// `identity()` is neutral the result equals the serial
    /// `range.map(map).fold(identity(), reduce)`, with either distribution; `reduce` need
    /// not be commutative. (Floating-point addition is not associative: the grouping then
    /// changes the last bits, and under `Dynamic` it changes from run to run.)
    ///
    /// # Errors
    ///
    /// On every rank: as [`for_each`](Cluster::for_each), and [`DistError::TooLarge`],
    /// [`DistError::TooLargeTotal`], [`DistError::Decode`] for results that cannot travel.
    /// A result type that does not implement [`Wire`] does not compile.
    ///
    /// # Panics
    ///
    /// As [`for_each`](Cluster::for_each), for `identity`, `map` and `reduce`.
    ///
    /// # Examples
    ///
    /// `no_run`: starting MPI in a doctest needs `mpirun` around it.
    ///
    /// ```no_run
    /// use brigade_mpi::{Cluster, Distribution, Schedule};
    ///
    /// let cluster = Cluster::init()?;
    /// let n = 1_000_000u64;
    /// let (sum, max) = cluster.map_reduce(0..n, Distribution::Dynamic { chunk: 50_000 },
    ///     Schedule::default(), || (0u64, 0u64), |i| (i, i), |a, b| (a.0 + b.0, a.1.max(b.1)))?;
    /// assert_eq!((sum, max), (n * (n - 1) / 2, n - 1)); // on every rank
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn map_reduce<T, ID, M, R>(
        &self,
        range: Range<u64>,
        dist: Distribution,
        schedule: Schedule,
        identity: ID,
        map: M,
        reduce: R,
    ) -> Result<T, DistError>
    where
        T: Wire + Send,
        ID: Fn() -> T + Sync,
        M: Fn(u64) -> T + Sync,
        R: Fn(T, T) -> T + Sync,
    {
        let call = Call {
            verb: Verb::MapReduce,
            range,
            dist,
            type_name: type_name::<T>(),
            at: Location::caller(),
        };
        let (seq, started, _busy) = self.begin(&call)?;
        let pool = &self.pool;
        let run = |r: Range<u64>| pool.map_reduce(r, schedule, &identity, &map, &reduce);
        let mut stats = RankStats::for_rank(self.rank);
        let results = self.run_share(
            &call,
            seq,
            &run,
            "a chunk of a distributed map_reduce",
            &mut stats,
        );

        let gathered = gather_to_root(self, &results, call.type_name);
        let outcome = match gathered {
            Ok(None) => None,
            Ok(Some(parts)) => {
                // Every rank has at least one item, so at least one part.
                let result = parts
                    .into_iter()
                    .map(|(_, part)| part)
                    .reduce(&reduce)
                    .expect("at least one chunk");
                let bytes = result.to_bytes();
                // Decoding is checked here too, so that rank 0 fails whenever the others do.
                match T::from_bytes(&bytes) {
                    Ok(_) => Some(Ok((bytes, result))),
                    Err(reason) => Some(Err(DistError::Decode {
                        rank: 0,
                        from: 0,
                        type_name: call.type_name,
                        reason: Some(reason),
                    })),
                }
            }
            Err(e @ DistError::Decode { .. }) => Some(Err(e)),
            Err(other) => return Err(other),
        };
        let (outcome, mine) = match outcome {
            Some(Ok((bytes, result))) => (Some(Ok(bytes)), Some(result)),
            Some(Err(e)) => (Some(Err(e)), None),
            None => (None, None),
        };
        let payload = finish(self, outcome, call.type_name)?;
        let result = match mine {
            Some(result) => result,
            None => T::from_bytes(&payload).map_err(|reason| DistError::Decode {
                rank: self.rank,
                from: 0,
                type_name: call.type_name,
                reason: Some(reason),
            })?,
        };
        self.end(stats, started);
        Ok(result)
    }

    /// Maps every integer of `range` with `map`, across all ranks, and brings the results
    /// to rank 0 in index order: `Some(results)` on rank 0, `None` on the others.
    ///
    /// Within a rank each chunk is computed on the pool with `schedule`, into its place.
    /// Rank 0 holds all the results at once (and its share of the range's encoding): for
    /// results too large for one process, gather a range at a time.
    ///
    /// # Errors
    ///
    /// On every rank: as [`map_reduce`](Cluster::map_reduce), and
    /// [`DistError::TooManyToGather`] for a range of more than 2^31 - 1 items (checked
    /// before any is computed).
    ///
    /// # Panics
    ///
    /// As [`for_each`](Cluster::for_each), for `map`.
    ///
    /// # Examples
    ///
    /// `no_run`: starting MPI in a doctest needs `mpirun` around it.
    ///
    /// ```no_run
    /// use brigade_mpi::{Cluster, Distribution, Schedule};
    ///
    /// let cluster = Cluster::init()?;
    /// let squares = cluster.gather(0..100, Distribution::Dynamic { chunk: 8 },
    ///     Schedule::default(), |i| i * i)?;
    /// if let Some(squares) = squares {
    ///     // Rank 0, in index order whichever rank computed which chunk.
    ///     assert_eq!(squares, (0..100).map(|i| i * i).collect::<Vec<u64>>());
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn gather<T, M>(
        &self,
        range: Range<u64>,
        dist: Distribution,
        schedule: Schedule,
        map: M,
    ) -> Result<Option<Vec<T>>, DistError>
    where
        T: Wire + Send,
        M: Fn(u64) -> T + Sync,
    {
        let call = Call {
            verb: Verb::Gather,
            range,
            dist,
            type_name: type_name::<T>(),
            at: Location::caller(),
        };
        let (seq, started, _busy) = self.begin(&call)?;
        let pool = &self.pool;
        let run = |r: Range<u64>| -> Vec<T> {
            let len = usize::try_from(r.end - r.start)
                .expect("brigade-mpi: a chunk to gather must fit in this machine's memory");
            let mut slots: Vec<Option<T>> = std::iter::repeat_with(|| None).take(len).collect();
            pool.for_each_chunk(&mut slots, schedule, |at, piece| {
                for (k, slot) in piece.iter_mut().enumerate() {
                    *slot = Some(map(r.start + (at + k) as u64));
                }
            });
            slots
                .into_iter()
                .map(|s| s.expect("for_each_chunk fills every slot"))
                .collect()
        };
        let mut stats = RankStats::for_rank(self.rank);
        let results = self.run_share(
            &call,
            seq,
            &run,
            "a chunk of a distributed gather",
            &mut stats,
        );

        let gathered = gather_to_root(self, &results, call.type_name);
        drop(results);
        let (outcome, mine) = match gathered {
            Ok(None) => (None, None),
            Ok(Some(parts)) => {
                let mut all = Vec::with_capacity((call.range.end - call.range.start) as usize);
                for (_, part) in parts {
                    all.extend(part);
                }
                (Some(Ok(Vec::new())), Some(all))
            }
            Err(e @ DistError::Decode { .. }) => (Some(Err(e)), None),
            Err(other) => return Err(other),
        };
        finish(self, outcome, call.type_name)?;
        self.end(stats, started);
        Ok(mine)
    }

    /// Brings one value from every rank to rank 0, in rank order: `Some(values)` on rank 0,
    /// `None` on the others. For per-rank figures (timings, [`RankStats`], counts) next to
    /// the distributed loops; every rank must call it, as a distributed verb.
    ///
    /// # Errors
    ///
    /// On every rank: [`DistError::RanksDisagree`], and as
    /// [`map_reduce`](Cluster::map_reduce) for values that cannot travel.
    ///
    /// # Examples
    ///
    /// `no_run`: starting MPI in a doctest needs `mpirun` around it.
    ///
    /// ```no_run
    /// let cluster = brigade_mpi::Cluster::init()?;
    /// let threads = cluster.gather_ranks(cluster.num_threads())?;
    /// if let Some(threads) = threads {
    ///     println!("threads per rank: {threads:?}");
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn gather_ranks<T: Wire>(&self, value: T) -> Result<Option<Vec<T>>, DistError> {
        let call = Call {
            verb: Verb::GatherRanks,
            range: 0..self.size as u64,
            dist: Distribution::Static,
            type_name: type_name::<T>(),
            at: Location::caller(),
        };
        let (_, _, _busy) = self.begin(&call)?;
        let results = [(self.rank as u64, value)];
        let gathered = gather_to_root(self, &results, call.type_name);
        let (outcome, mine) = match gathered {
            Ok(None) => (None, None),
            Ok(Some(parts)) => (
                Some(Ok(Vec::new())),
                Some(parts.into_iter().map(|(_, v)| v).collect()),
            ),
            Err(e @ DistError::Decode { .. }) => (Some(Err(e)), None),
            Err(other) => return Err(other),
        };
        finish(self, outcome, call.type_name)?;
        Ok(mine)
    }

    /// Numbers the call, checks that every rank makes it, and checks its arguments. The
    /// guard marks the call as running until it is dropped at the end of the verb.
    ///
    /// # Panics
    ///
    /// If a distributed call is running on this rank already: a call made from inside
    /// another one (from its `identity` or `reduce`, or a `Wire` impl, all of which run on
    /// this thread) would wait in its agreement step for ranks that wait in the outer call,
    /// for ever. The panic ends the job with `MPI_Abort` and this message instead.
    fn begin(&self, call: &Call) -> Result<(u64, Instant, InCall<'_>), DistError> {
        if self.in_call.replace(true) {
            panic!(
                "brigade-mpi: {:?} at {} was made while another distributed call was running \
                 on rank {} (from its identity, its reduce or a Wire impl); the ranks would \
                 wait for each other for ever. Make the call after the outer one returns.",
                call.verb, call.at, self.rank
            );
        }
        let busy = InCall(&self.in_call);
        let started = Instant::now();
        let seq = self.calls.get();
        self.calls.set(seq + 1);
        call.agree(self, seq)?;
        call.validate(self.size)?;
        Ok((seq, started, busy))
    }

    fn end(&self, mut stats: RankStats, started: Instant) {
        stats.wall = started.elapsed();
        self.last.set(stats);
    }

    /// Runs this rank's share of the call's range, chunk by chunk, with `run` (which runs
    /// one chunk on the pool); returns `(chunk start, result)` pairs. A panic in `run` ends
    /// the job.
    fn run_share<A: Send>(
        &self,
        call: &Call,
        seq: u64,
        run: &(dyn Fn(Range<u64>) -> A + Sync),
        what: &str,
        stats: &mut RankStats,
    ) -> Vec<(u64, A)> {
        match call.dist {
            Distribution::Static => {
                let block = static_block(&call.range, self.rank, self.size);
                let (start, len) = (block.start, block.end - block.start);
                let began = Instant::now();
                // The body runs on pool workers; brigade re-raises its panic here.
                let result = panic::catch_unwind(AssertUnwindSafe(|| run(block)))
                    .unwrap_or_else(|payload| abort::abort_with_panic(what, payload));
                stats.add_chunk(len, began.elapsed());
                vec![(start, result)]
            }
            Distribution::Dynamic { chunk } => {
                let tag = dynamic::tag(seq);
                if self.rank == 0 {
                    let claims = Claims::new(call.range.clone(), chunk);
                    dynamic::serve(&self.comm, tag, &claims, run, what, stats)
                } else {
                    dynamic::ask(&self.comm, tag, run, what, stats)
                }
            }
        }
    }
}

/// Marks a distributed call as running on this rank while it lives.
struct InCall<'a>(&'a Cell<bool>);

impl Drop for InCall<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}
