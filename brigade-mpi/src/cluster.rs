//! [`Cluster`]: this rank's handle on MPI and on its brigade pool, and how it starts.

use std::cell::Cell;
use std::env;
use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use brigade::ThreadPool;
use mpi::Threading;
use mpi::environment::Universe;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::CommunicatorCollectives;

use crate::abort;

/// Whether a `Cluster` exists in this process (from the start of its `init` to the end of
/// its drop): there is at most one, the owner of the library's communicator and of the
/// panic hook's state.
static EXISTS: AtomicBool = AtomicBool::new(false);
use crate::affinity;
use crate::call;
use crate::error::InitError;
use crate::stats::RankStats;

/// This rank of an MPI job, with its brigade pool: the handle every distributed loop runs
/// on.
///
/// [`Cluster::init`] initializes MPI (funneled: only the thread that calls it ever calls
/// MPI) and builds the pool. Every rank runs the same program (SPMD) and calls the same
/// distributed verbs in the same order, from the same lines: [`for_each`](Cluster::for_each),
/// [`map_reduce`](Cluster::map_reduce), [`gather`](Cluster::gather),
/// [`gather_ranks`](Cluster::gather_ranks). Dropping the `Cluster` finalizes MPI; keep it
/// until the end of `main`. The drop is a step of its own that every rank takes after the
/// same calls: if one rank drops its `Cluster` (returns from `main`, with an error or not)
/// while another makes a distributed call, every rank ends the job with `MPI_Abort` and a
/// message naming the rank that left, rather than wait for it forever.
///
/// A `Cluster` is neither `Send` nor `Sync`: it stays on the thread that made it, and a
/// loop body (which runs on pool workers) cannot capture it, so no worker can call MPI
/// through it.
///
/// # Examples
///
/// Run under `mpirun` (for instance `mpirun -np 4 target/release/examples/zoom`), or alone
/// as one rank. `no_run`: a doctest that starts MPI would need `mpirun` around it.
///
/// ```no_run
/// use brigade_mpi::{Cluster, Distribution, Schedule};
///
/// let cluster = Cluster::init()?;
/// // The same sum on every rank; each rank computed a part of it on its own threads.
/// let sum = cluster.map_reduce(0..1_000_000, Distribution::Dynamic { chunk: 10_000 },
///     Schedule::default(), || 0u64, |i| i % 7, |a, b| a + b)?;
/// if cluster.rank() == 0 {
///     println!("{} ranks x {} threads: {sum}", cluster.size(), cluster.num_threads());
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Cluster {
    /// The world, for the user's own MPI calls ([`Cluster::world`]).
    pub(crate) world: SimpleCommunicator,
    /// A private duplicate of the world for the library's own messages and collectives, so
    /// that a user's message on `world` (any tag) is never taken for one of ours, nor ours
    /// for theirs. Freed in `Drop`, unless MPI is finalized by then (by a `Universe` of the
    /// program's own, dropped first), when freeing it would be an MPI error.
    pub(crate) comm: ManuallyDrop<SimpleCommunicator>,
    pub(crate) rank: usize,
    pub(crate) size: usize,
    /// Shut down (its work finished, its threads joined) in `Drop`, before MPI is
    /// finalized.
    pub(crate) pool: ManuallyDrop<ThreadPool>,
    /// Distributed calls made so far: numbers each call for the agreement check, and keeps
    /// the messages of one `Dynamic` call apart from the next one's (the tag).
    pub(crate) calls: Cell<u64>,
    /// True while a distributed call runs on this rank (calls cannot nest).
    pub(crate) in_call: Cell<bool>,
    pub(crate) last: Cell<RankStats>,
    /// Not `Send` or `Sync`: MPI was initialized funneled, for this thread.
    _main_thread_only: PhantomData<*const ()>,
    /// Dropped last: finalizes MPI once the pool is gone. `None` if the program had
    /// initialized MPI itself: its own `Universe` finalizes it.
    _universe: Option<Universe>,
}

impl Cluster {
    /// Initializes MPI (funneled) and builds this rank's pool, with a worker per CPU of this
    /// rank's share of its host (see [`ClusterBuilder`]). Call it once, on the main thread,
    /// before any other MPI call. If the program has initialized MPI itself, at the
    /// `Funneled` level or above and on this thread, that MPI is used as it is, and the
    /// program's `Universe` finalizes it: keep that `Universe` until after the `Cluster` is
    /// dropped. It also installs a panic hook: from then on a panic on the main thread, or
    /// in a distributed loop, ends the whole job (`MPI_Abort`) with its message instead of
    /// leaving the other ranks waiting; on the main thread even a panic that a
    /// `catch_unwind` around it would have caught (the hook runs first). Panics on pool
    /// workers outside distributed loops reach whoever waits for them, as in brigade.
    ///
    /// # Errors
    ///
    /// [`InitError`], on every rank: if one rank cannot start, the others return
    /// [`InitError::OtherRank`] rather than wait for it. The exceptions are local, and
    /// returned at once: [`InitError::AlreadyInitialized`] (this process already has a
    /// `Cluster`) and [`InitError::Finalized`] (MPI was finalized in this process: it can
    /// no longer talk to the other ranks, which, if they start, wait for it). When the rank
    /// that cannot start had initialized MPI itself (below the Funneled level), the others
    /// learn of it at once, but their `init` returns only when MPI's finalization lets it:
    /// once that rank finalizes MPI or exits (`docs/distributed.md`).
    ///
    /// # Examples
    ///
    /// `no_run`: starting MPI in a doctest needs `mpirun` around it.
    ///
    /// ```no_run
    /// let cluster = brigade_mpi::Cluster::init()?;
    /// println!("rank {} of {}", cluster.rank(), cluster.size());
    /// # Ok::<(), brigade_mpi::InitError>(())
    /// ```
    pub fn init() -> Result<Cluster, InitError> {
        ClusterBuilder::new().init()
    }

    /// A builder, to set the number of threads.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// // no_run: starting MPI in a doctest needs mpirun around it.
    /// let cluster = brigade_mpi::Cluster::builder().num_threads(2).init()?;
    /// assert_eq!(cluster.num_threads(), 2);
    /// # Ok::<(), brigade_mpi::InitError>(())
    /// ```
    pub fn builder() -> ClusterBuilder {
        ClusterBuilder::new()
    }

    /// This rank's number, `0..size()`. Rank 0 hands out `Dynamic` chunks and receives
    /// gathered results.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// // no_run: starting MPI in a doctest needs mpirun around it.
    /// let cluster = brigade_mpi::Cluster::init()?;
    /// if cluster.rank() == 0 {
    ///     println!("{} ranks", cluster.size());
    /// }
    /// # Ok::<(), brigade_mpi::InitError>(())
    /// ```
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The number of ranks in the job.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// // no_run: starting MPI in a doctest needs mpirun around it.
    /// let cluster = brigade_mpi::Cluster::init()?;
    /// assert!(cluster.rank() < cluster.size());
    /// # Ok::<(), brigade_mpi::InitError>(())
    /// ```
    pub fn size(&self) -> usize {
        self.size
    }

    /// The number of worker threads in this rank's pool.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// // no_run: starting MPI in a doctest needs mpirun around it.
    /// let cluster = brigade_mpi::Cluster::init()?;
    /// assert!(cluster.num_threads() >= 1);
    /// # Ok::<(), brigade_mpi::InitError>(())
    /// ```
    pub fn num_threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// This rank's brigade pool, for work of its own between distributed loops. A panic
    /// that `install` re-raises here, left uncaught, ends the job (the `Cluster`'s drop
    /// aborts it).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// // no_run: starting MPI in a doctest needs mpirun around it.
    /// use brigade_mpi::Schedule;
    ///
    /// let cluster = brigade_mpi::Cluster::init()?;
    /// let local = cluster.pool().map_reduce(0..100u64, Schedule::default(), || 0, |i| i, |a, b| a + b);
    /// assert_eq!(local, 4950);
    /// # Ok::<(), brigade_mpi::InitError>(())
    /// ```
    pub fn pool(&self) -> &ThreadPool {
        &self.pool
    }

    /// The world communicator, for MPI calls of your own, on this thread only (never from
    /// a pool worker: MPI was initialized funneled). Between distributed loops, not inside
    /// one. The distributed loops talk on a private duplicate of it, so your messages, with
    /// any tag, and even one still pending while a loop runs, never mix with theirs.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// // no_run: starting MPI in a doctest needs mpirun around it.
    /// use brigade_mpi::mpi::traits::*;
    ///
    /// let cluster = brigade_mpi::Cluster::init()?;
    /// cluster.world().barrier();
    /// # Ok::<(), brigade_mpi::InitError>(())
    /// ```
    pub fn world(&self) -> &SimpleCommunicator {
        &self.world
    }

    /// What this rank did in its last distributed loop: chunks, items, busy time, and for
    /// `Dynamic` the chunk requests and their waiting time.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// // no_run: starting MPI in a doctest needs mpirun around it.
    /// use brigade_mpi::{Cluster, Distribution, Schedule};
    ///
    /// let cluster = Cluster::init()?;
    /// cluster.for_each(0..1000, Distribution::Dynamic { chunk: 10 }, Schedule::default(), |_| ())?;
    /// let mine = cluster.last_stats();
    /// let all = cluster.gather_ranks(mine)?; // Some(one per rank) on rank 0
    /// if let Some(all) = all {
    ///     assert_eq!(all.iter().map(|s| s.items).sum::<u64>(), 1000);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn last_stats(&self) -> RankStats {
        self.last.get()
    }
}

impl fmt::Debug for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cluster")
            .field("rank", &self.rank)
            .field("size", &self.size)
            .field("num_threads", &self.num_threads())
            .finish_non_exhaustive()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if thread::panicking() {
            // A panic unwinds the main thread past the Cluster: finalizing here would leave
            // the other ranks waiting for this one forever.
            abort::abort(&format!(
                "rank {} of {} is unwinding from a panic (message above)",
                self.rank, self.size
            ));
        }
        if mpi::environment::is_finalized() {
            // The program's own Universe was dropped before this Cluster: nothing can be
            // said to the other ranks any more, and the communicator is left unfreed.
            abort::disarm();
            self.shut_pool_down();
            EXISTS.store(false, Ordering::Release);
            return;
        }
        // Every rank must leave after the same calls: a rank that left while the others
        // make a call would leave them waiting in it, and itself in MPI_Finalize. The drop
        // takes part in the calls' agreement step; if another rank makes a call instead,
        // every rank ends the job with a message (see `call`).
        call::agree_to_leave(self);
        abort::disarm();
        // SAFETY: `comm` is dropped only here, once, and not used after: the rest of this
        // drop and the fields' drops do not touch it.
        unsafe { ManuallyDrop::drop(&mut self.comm) };
        self.shut_pool_down();
        // Release: pairs with the Acquire swap in `ClusterBuilder::init`, which may then
        // start another Cluster on an MPI that this one did not finalize.
        EXISTS.store(false, Ordering::Release);
        // The universe (MPI_Finalize) is dropped after this.
    }
}

impl Cluster {
    /// Waits for the pool's work and threads (a drop of the pool would not), so that MPI
    /// is finalized after them. Called once, from `Drop`.
    fn shut_pool_down(&mut self) {
        // SAFETY: called once, from `Drop`, and `pool` is not used after it: the rest of
        // the drop and the fields' drops do not touch it.
        unsafe { ManuallyDrop::take(&mut self.pool) }.shutdown();
    }
}

/// Settings for [`Cluster::init`]: the number of threads of the rank's pool.
///
/// The pool has, by priority: the number given to [`num_threads`](Self::num_threads); else
/// `BRIGADE_NUM_THREADS` if set and not `0` (pass it to every rank with `mpirun -x
/// BRIGADE_NUM_THREADS`); else this rank's share of the CPUs of its host. That share comes from the
/// affinity masks of the ranks on the host (read with `sched_getaffinity` after `MPI_Init`, where
/// `mpirun` may bind them): each CPU is split evenly among the ranks whose mask holds it. So ranks
/// bound to cores (`mpirun --bind-to core`, `--map-by slot:PE=4`) get a thread per core they own, 4
/// unbound ranks (`--bind-to none`) on an 8-CPU host get 2 threads each, and 2 ranks bound to the
/// same socket split it. A cgroup CPU quota, if lower, caps the share
/// (`std::thread::available_parallelism` reads it).
///
/// # Examples
///
/// ```no_run
/// // no_run: starting MPI in a doctest needs mpirun around it.
/// let cluster = brigade_mpi::ClusterBuilder::new().num_threads(4).init()?;
/// assert_eq!(cluster.num_threads(), 4);
/// # Ok::<(), brigade_mpi::InitError>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct ClusterBuilder {
    num_threads: Option<usize>,
}

impl ClusterBuilder {
    /// Every setting at its default.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = brigade_mpi::ClusterBuilder::new();
    /// # drop(builder);
    /// ```
    pub fn new() -> ClusterBuilder {
        ClusterBuilder::default()
    }

    /// The number of worker threads in this rank's pool, whatever its affinity mask.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = brigade_mpi::ClusterBuilder::new().num_threads(2);
    /// # drop(builder);
    /// ```
    pub fn num_threads(mut self, n: usize) -> ClusterBuilder {
        self.num_threads = Some(n);
        self
    }

    /// Initializes MPI and builds the pool: see [`Cluster::init`].
    ///
    /// # Errors
    ///
    /// As [`Cluster::init`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// // no_run: starting MPI in a doctest needs mpirun around it.
    /// let cluster = brigade_mpi::ClusterBuilder::new().num_threads(1).init()?;
    /// # Ok::<(), brigade_mpi::InitError>(())
    /// ```
    pub fn init(self) -> Result<Cluster, InitError> {
        // Acquire: pairs with the Release store in `Cluster`'s drop.
        if EXISTS.swap(true, Ordering::Acquire) {
            return Err(InitError::AlreadyInitialized);
        }
        let started = self.start();
        if started.is_err() {
            // Release: as in `Cluster`'s drop.
            EXISTS.store(false, Ordering::Release);
        }
        started
    }

    /// [`init`](Self::init), once this is the only `Cluster` of the process.
    fn start(self) -> Result<Cluster, InitError> {
        if mpi::environment::is_finalized() {
            // A local error: this rank can no longer talk to the others.
            return Err(InitError::Finalized);
        }
        // MPI initialized by the program itself (on this rank, or on every one) is used as
        // it is, if its threading level will do; any error below is then returned on every
        // rank, so that no rank waits for this one.
        let (universe, provided, ours) = match mpi::initialize_with_threading(Threading::Funneled) {
            Some((universe, provided)) => (Some(universe), provided, true),
            None => (None, mpi::environment::threading_support(), false),
        };
        let world = SimpleCommunicator::world();
        let rank = usize::try_from(world.rank()).expect("MPI ranks are not negative");
        let size = usize::try_from(world.size()).expect("MPI sizes are positive");
        let cpus = node_share(&world);
        let pool = if provided < Threading::Funneled {
            let provided = format!("{provided:?}");
            Err(if ours {
                InitError::Threading { provided }
            } else {
                InitError::InitializedBelowFunneled { provided }
            })
        } else if provided == Threading::Funneled && !is_mpi_main_thread() {
            Err(InitError::NotMpiMainThread)
        } else {
            self.build_pool(rank, cpus)
        };

        // Every rank learns whether every other one started, so that none waits in its
        // first collective for a rank that has returned an error.
        let failed = u8::from(pool.is_err());
        let mut all = vec![0u8; size];
        world.all_gather_into(&failed, &mut all[..]);
        let pool = pool?;
        if let Some(other) = all.iter().position(|&f| f != 0) {
            return Err(InitError::OtherRank { rank: other });
        }

        abort::arm(rank, size);
        let comm = ManuallyDrop::new(world.duplicate());
        Ok(Cluster {
            world,
            comm,
            rank,
            size,
            pool: ManuallyDrop::new(pool),
            calls: Cell::new(0),
            in_call: Cell::new(false),
            last: Cell::new(RankStats::for_rank(rank)),
            _main_thread_only: PhantomData,
            _universe: universe,
        })
    }

    fn build_pool(&self, rank: usize, cpus: io::Result<usize>) -> Result<ThreadPool, InitError> {
        let mut builder =
            ThreadPool::builder().thread_name(move |i| format!("rank{rank}-worker-{i}"));
        match self.num_threads {
            Some(n) => builder = builder.num_threads(n),
            // brigade's builder reads (and checks) the variable itself; `0` stands for the
            // default, which here is the rank's share.
            None if env::var_os("BRIGADE_NUM_THREADS").is_some_and(|v| {
                v.to_str().and_then(|v| v.trim().parse::<usize>().ok()) != Some(0)
            }) => {}
            None => builder = builder.num_threads(cpus.map_err(InitError::Affinity)?),
        }
        Ok(builder.build()?)
    }
}

/// Whether this thread is the one that initialized MPI (`MPI_Is_thread_main`), the only one
/// that may call MPI at the Funneled level.
fn is_mpi_main_thread() -> bool {
    let mut flag: std::os::raw::c_int = 0;
    // SAFETY: MPI is initialized and not finalized (checked by the caller's caller), which is
    // all MPI_Is_thread_main needs; `flag` is a valid place for the int it writes.
    unsafe { mpi::ffi::MPI_Is_thread_main(&mut flag) };
    flag != 0
}

/// This rank's share of the CPUs of its host (see `affinity`): the ranks of the host
/// exchange their affinity masks. A collective of every rank, whether or not its pool will
/// use the figure.
fn node_share(world: &SimpleCommunicator) -> io::Result<usize> {
    let node = world.split_shared(world.rank());
    let mine = affinity::current_mask();
    // A rank that could not read its mask takes part with an empty one.
    let words = mine.as_ref().copied().unwrap_or([0; affinity::MASK_WORDS]);
    let local = usize::try_from(node.size()).expect("MPI sizes are positive");
    let mut all = vec![0u64; affinity::MASK_WORDS * local];
    node.all_gather_into(&words[..], &mut all[..]);
    mine?;
    let masks: Vec<affinity::Mask> = all
        .chunks_exact(affinity::MASK_WORDS)
        .map(|m| m.try_into().expect("a mask per rank"))
        .collect();
    let me = usize::try_from(node.rank()).expect("MPI ranks are not negative");
    let share = affinity::fair_share(me, &masks);
    // A cgroup CPU quota, if any, caps it too.
    Ok(match std::thread::available_parallelism() {
        Ok(quota) => share.min(quota.get()),
        Err(_) => share,
    })
}
