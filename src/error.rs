//! Errors a user can act on.

use thiserror::Error;

/// Why a [`ThreadPool`](crate::ThreadPool) could not be built.
///
/// # Examples
///
/// ```
/// use brigade::{BuildError, ThreadPool};
///
/// let err = ThreadPool::builder().num_threads(1 << 20).build().unwrap_err();
/// assert!(matches!(err, BuildError::TooManyThreads { .. }));
/// println!("{err}"); // says what to change
/// ```
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// `num_threads` asked for more threads than a pool supports.
    #[error(
        "num_threads({requested}) asks for more threads than a pool supports (at most {max}): \
         ask for fewer"
    )]
    TooManyThreads {
        /// The number asked for.
        requested: usize,
        /// The largest supported number.
        max: usize,
    },

    /// The `BRIGADE_NUM_THREADS` environment variable asks for more threads than a pool
    /// supports.
    #[error(
        "BRIGADE_NUM_THREADS is set to {value:?}, more threads than a pool supports (at most \
         {max}): set it to {max} or fewer, unset it, or call num_threads() on the builder"
    )]
    TooManyThreadsInEnv {
        /// The variable's value as found.
        value: String,
        /// The largest supported number.
        max: usize,
    },

    /// The `BRIGADE_NUM_THREADS` environment variable is set but is not a whole number.
    #[error(
        "BRIGADE_NUM_THREADS is set to {value:?}, which is not a whole number of threads: set \
         it to a number such as 4 (0 for one per logical CPU), unset it, or call num_threads() \
         on the builder"
    )]
    InvalidEnv {
        /// The variable's value as found.
        value: String,
    },

    /// A stack size outside what a thread can have.
    #[error(
        "stack size {requested} bytes is out of range: use at least {min} bytes (64 KiB) and at \
         most {max} bytes"
    )]
    StackSize {
        /// The size asked for.
        requested: usize,
        /// The smallest accepted size.
        min: usize,
        /// The largest accepted size.
        max: usize,
    },

    /// A heartbeat interval shorter than 1 µs.
    #[error(
        "heartbeat interval {requested:?} is too short: use at least 1 µs (the default is 100 µs)"
    )]
    HeartbeatInterval {
        /// The interval asked for.
        requested: std::time::Duration,
    },

    /// The operating system refused to start the pool's heartbeat thread.
    #[error("could not start the heartbeat thread: {source} (try fewer threads)")]
    HeartbeatThread {
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },

    /// The [`thread_name`](crate::ThreadPoolBuilder::thread_name) closure returned a name
    /// with a NUL byte, which no thread name can hold.
    #[error(
        "the name thread_name() gave worker {index}, {name:?}, contains a NUL byte, which a \
         thread name cannot hold: make the thread_name closure return names without '\\0'"
    )]
    ThreadNameNul {
        /// The index of the worker the name was for.
        index: usize,
        /// The name as the closure returned it.
        name: String,
    },

    /// The operating system refused to start a worker thread.
    #[error(
        "could not start worker thread {index}: {source} (try fewer threads or a smaller \
         stack size)"
    )]
    Spawn {
        /// The index of the worker that failed to start.
        index: usize,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },

    /// [`ThreadPoolBuilder::build_global`](crate::ThreadPoolBuilder::build_global) was called
    /// after the global pool already existed.
    #[error(
        "the global thread pool is already running: call build_global() once, before any \
         brigade::join, scope or spawn outside a pool"
    )]
    GlobalPoolAlreadyInitialized,

    /// [`CorePinning::Cores`](crate::CorePinning::Cores) named a CPU this process may not run
    /// on (outside its affinity mask: `taskset`, a container's cpuset).
    #[error(
        "core {core} is not among the CPUs this process may run on ({allowed:?}): pin to cores          from that list, or use CorePinning::OnePerCore"
    )]
    CoreNotAllowed {
        /// The core asked for.
        core: usize,
        /// The CPUs the process may run on, in increasing order.
        allowed: Vec<usize>,
    },

    /// [`CorePinning::Cores`](crate::CorePinning::Cores) was given an empty list.
    #[error("CorePinning::Cores needs at least one core; use CorePinning::None not to pin")]
    NoCoresGiven,

    /// Core pinning was asked for on a platform where brigade cannot pin threads.
    #[error("core pinning is supported on Linux only; use CorePinning::None here")]
    PinningUnsupported,

    /// [`use_current_thread`](crate::ThreadPoolBuilder::use_current_thread) was asked for on
    /// a thread that is already a worker of a running pool, or that runs
    /// [`block_in_place`](crate::block_in_place) for one (its worker is only lent out). A pool
    /// whose last handle was dropped is still running until its last detached job has
    /// returned.
    #[error(
        "use_current_thread: this thread is already a worker of a running pool; build from \
         a thread outside every pool, or drop that pool first"
    )]
    CurrentThreadInPool,

    /// The CPUs this process may run on could not be read, so cores could not be checked.
    #[error("could not read the CPUs this process may run on: {source}")]
    AffinityQuery {
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
}

/// Why [`CountLatch::increment`](crate::sync::CountLatch::increment) did not add a unit.
///
/// # Examples
///
/// ```
/// use brigade::sync::{CountLatch, IncrementError};
///
/// let latch = CountLatch::new(1);
/// latch.count_down();
/// let err = latch.increment().unwrap_err();
/// assert_eq!(err, IncrementError::Released);
/// println!("{err}"); // says what to change
/// ```
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IncrementError {
    /// The count had already reached zero and released its waiters; it stays at zero.
    #[error(
        "the count latch already reached zero and released its waiters: increment only while \
         you still hold a unit you have not counted down, or use a new CountLatch"
    )]
    Released,

    /// The count is at `usize::MAX`.
    #[error("the count latch is at usize::MAX and cannot count higher: count down first")]
    Overflow,
}
