//! # brigade
//!
//! A work-stealing thread pool for fork-join parallelism: `join`, `scope`, `install`,
//! `spawn` and `broadcast`, on hand-built deques, with idle workers that sleep without
//! burning CPU and wake without lost wake-ups.
//!
//! ```
//! use brigade::ThreadPool;
//!
//! let pool = ThreadPool::builder().num_threads(4).build()?;
//!
//! // Tasks in a scope may borrow from the stack; the scope waits for all of them.
//! let mut rows = vec![vec![0u32; 8]; 8];
//! pool.scope(|s| {
//!     for (y, row) in rows.iter_mut().enumerate() {
//!         s.spawn(move |_| {
//!             for (x, cell) in row.iter_mut().enumerate() {
//!                 *cell = (x * y) as u32;
//!             }
//!         });
//!     }
//! });
//! assert_eq!(rows[7][7], 49);
//!
//! // Divide and conquer with join: the second half is offered to idle workers.
//! fn sum(v: &[u64]) -> u64 {
//!     if v.len() <= 1024 {
//!         return v.iter().sum();
//!     }
//!     let (l, r) = v.split_at(v.len() / 2);
//!     let (a, b) = brigade::join(|| sum(l), || sum(r));
//!     a + b
//! }
//! let v: Vec<u64> = (0..100_000).collect();
//! assert_eq!(pool.install(|| sum(&v)), 4_999_950_000);
//! # Ok::<(), brigade::BuildError>(())
//! ```
//!
//! # How it works
//!
//! Each worker owns a fixed-capacity Chase–Lev deque: it pushes and pops its own jobs at the
//! bottom, and idle workers steal the oldest jobs from the top. Work from outside the pool
//! enters through an injector. `join` uses heartbeat scheduling: it records its second half
//! privately, at the cost of a function call, and publishes the oldest recorded half on its
//! deque only when a heartbeat (every 100 µs by default) or an idle worker asks for work. A
//! worker that waits (for a stolen `join` half, for a scope's tasks) runs other jobs
//! meanwhile, and sleeps on its own condition variable when there are none.
//! `docs/design.md` describes the scheduler and the invariants that keep it correct.
//!
//! # Parallel iterators
//!
//! [`prelude`] has rayon's data-parallel verbs (`par_iter`, `map`, `filter`, `collect`,
//! `fold`, `par_chunks_mut`, `any`...) on brigade's loop schedules, so that
//! `use brigade::prelude::*` ports most rayon loops; `with_schedule` picks an OpenMP-style
//! [`Schedule`] per loop. `docs/iterators.md` has the porting table.
//!
//! ```
//! use brigade::prelude::*;
//!
//! let v: Vec<u64> = (0..10_000).collect();
//! let odd_squares: Vec<u64> = v.par_iter().filter(|&&x| x % 2 == 1).map(|&x| x * x).collect();
//! assert_eq!(odd_squares[0..3], [1, 9, 25]);
//! let mut rows = vec![0u32; 64 * 8];
//! rows.par_chunks_mut(64).enumerate().for_each(|(y, row)| row.fill(y as u32));
//! assert_eq!(rows[64 * 7], 7);
//! ```
//!
//! # Waiting for each other
//!
//! [`sync`] has pool-aware [`Latch`](sync::Latch), [`CountLatch`](sync::CountLatch) and
//! [`WaitGroup`](sync::WaitGroup): a task that waits on one runs other tasks meanwhile
//! instead of blocking its worker. Its [`Barrier`](sync::Barrier) meets a fixed number of
//! parties phase after phase (one party per worker, as in a `broadcast` loop).
//!
//! # Panics
//!
//! A panic in a `join` half, a scope task or an `install` closure is caught, the sibling
//! work finishes, and the panic is re-raised in the caller. A panic in detached work
//! (`spawn`) goes to the pool's panic handler. Either way the pool stays usable.

#![warn(missing_docs)]

mod block_in_place;
mod broadcast;
mod deque;
mod error;
mod injector;
mod isolate;
pub mod iter;
mod job;
mod join;
mod latch;
mod loom;
mod loops;
mod pool;
pub mod prelude;
mod scope;
mod sleep;
mod spawn;
pub mod sync;
mod unwind;
mod yield_now;

pub use block_in_place::block_in_place;
pub use broadcast::{BroadcastContext, broadcast, spawn_broadcast};
pub use error::BuildError;
pub use isolate::isolate;
pub use join::{FnContext, join, join_context};
pub use loops::{LoopSource, Schedule, for_each, for_each_chunk, map_reduce};
pub use pool::{
    CorePinning, CustomSpawn, DefaultSpawn, PoolMetrics, StealAmount, StealPolicy, ThreadBuilder,
    ThreadPool, ThreadPoolBuilder, ThreadSpawn, Victims, WorkerMetrics,
};
pub use scope::{Scope, ScopeFifo, in_place_scope, in_place_scope_fifo, scope, scope_fifo};
pub use spawn::{JoinHandle, TaskPanicked, spawn, spawn_fifo};
pub use yield_now::{Yield, yield_local, yield_now};

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The examples of `docs/sync.md`, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/sync.md")]
struct SyncDocDoctests;

/// The examples of `docs/iterators.md`, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/iterators.md")]
struct IteratorsDocDoctests;

/// Internals exposed for brigade's own benchmarks; not part of the API, no stability promise.
#[doc(hidden)]
pub mod internals {
    /// The work-stealing deque, for the side-by-side bench against `crossbeam-deque`. It
    /// stores raw pointers and never dereferences them.
    pub mod deque {
        pub use crate::deque::{CAPACITY, MAX_BATCH, Steal, Stealer, Worker, new};
    }

    /// What `pool` and each of its workers are doing, as text: a line for the pool (live
    /// count, injector length, searching and sleeping workers), then one per worker,
    /// `worker N (thread name): deque ~len, inbox len, asleep, notified, heartbeat flag,
    /// terminate`. Approximate (read while the workers run) and never blocking, for a
    /// watchdog to print when it finds the pool stuck (`tests/soak.rs`).
    pub fn pool_state(pool: &crate::ThreadPool) -> String {
        pool.registry().state()
    }
}

/// The index of the current thread in its brigade pool, or `None` outside every pool.
///
/// # Examples
///
/// ```
/// assert_eq!(brigade::current_thread_index(), None);
/// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
/// let i = pool.install(brigade::current_thread_index).unwrap();
/// assert!(i < 2);
/// # Ok::<(), brigade::BuildError>(())
/// ```
pub fn current_thread_index() -> Option<usize> {
    pool::WorkerThread::current_live().map(pool::WorkerThread::index)
}

/// The number of workers in the current pool: the pool of this worker thread, or the
/// global pool outside every pool (which this builds, if it does not exist yet).
///
/// # Examples
///
/// ```
/// let pool = brigade::ThreadPool::builder().num_threads(3).build()?;
/// assert_eq!(pool.install(brigade::current_num_threads), 3);
/// assert!(brigade::current_num_threads() >= 1); // the global pool
/// # Ok::<(), brigade::BuildError>(())
/// ```
pub fn current_num_threads() -> usize {
    match pool::WorkerThread::current_live() {
        Some(worker) => worker.registry().num_threads(),
        None => pool::global_registry().num_threads(),
    }
}

/// Whether the current worker has queued work of its own: jobs on its deque, or `join`
/// halves it recorded that nobody took yet (on a pool of one thread most joins record
/// nothing: their second half is simply called after the first). `None` outside every pool.
/// Racy: other workers may take them at any moment; for heuristics, such as whether to
/// split work further.
///
/// # Examples
///
/// ```
/// assert_eq!(brigade::current_thread_has_pending_tasks(), None);
/// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
/// pool.scope(|s| {
///     assert_eq!(brigade::current_thread_has_pending_tasks(), Some(false));
///     s.spawn(|_| {});
///     // One worker: nobody else can take the task before the scope body ends.
///     assert_eq!(brigade::current_thread_has_pending_tasks(), Some(true));
/// });
/// # Ok::<(), brigade::BuildError>(())
/// ```
pub fn current_thread_has_pending_tasks() -> Option<bool> {
    pool::WorkerThread::current().map(pool::WorkerThread::has_local_work)
}

/// The most worker threads a pool can have: 65,536. A larger
/// [`num_threads`](ThreadPoolBuilder::num_threads) (or `BRIGADE_NUM_THREADS`) makes `build`
/// fail with [`BuildError::TooManyThreads`] (rayon silently uses its maximum instead).
///
/// # Examples
///
/// ```
/// let max = brigade::max_num_threads();
/// assert!(max >= 1024);
/// let err = brigade::ThreadPool::builder().num_threads(max + 1).build().unwrap_err();
/// assert!(matches!(err, brigade::BuildError::TooManyThreads { .. }));
/// ```
pub fn max_num_threads() -> usize {
    pool::MAX_THREADS
}
