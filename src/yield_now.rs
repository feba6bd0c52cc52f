//! `yield_now` and `yield_local`: a worker in a polling loop runs one queued job instead of
//! spinning, as rayon's functions of the same names do.

use crate::pool::WorkerThread;

/// What [`yield_now`] or [`yield_local`] did.
///
/// # Examples
///
/// ```
/// use brigade::Yield;
///
/// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
/// // The only worker has nothing queued: nothing to run.
/// assert_eq!(pool.install(brigade::yield_local), Some(Yield::Idle));
/// // Outside every pool there is nothing to yield to.
/// assert_eq!(brigade::yield_local(), None);
/// # Ok::<(), brigade::BuildError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Yield {
    /// One job ran (and whatever it waited for meanwhile).
    Executed,
    /// No job was found: nothing ran.
    Idle,
}

/// Runs one job of the current pool, if one is waiting anywhere this worker would look while
/// waiting itself: its own deque and recorded `join` halves, then jobs sent from outside the
/// pool, then other workers' deques. Returns `None` on a thread outside every pool.
///
/// For a task that polls for a condition another task will bring about: yielding runs that
/// task (or other work) on this worker instead of spinning. It does not call
/// [`std::thread::yield_now`]; when it returns [`Yield::Idle`], a polling loop may want to.
/// The job runs on this thread's stack, inside the caller: a job that yields in turn nests
/// deeper, so yield from a loop, not from a recursion. Inside
/// [`isolate`](crate::isolate), only a job of the isolated work runs.
///
/// A yield runs only work that is queued. The second half of a [`join`](crate::join) that
/// the join did not record (most joins on a pool of *one* thread, see `join`) is not queued
/// anywhere until the first half returns, so a first half that polls for its own second
/// half polls forever there: as `join` says, never make `a` wait for `b`.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use brigade::Yield;
///
/// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
/// let done = AtomicBool::new(false);
/// pool.scope(|s| {
///     s.spawn(|_| done.store(true, Ordering::Release));
///     // The pool's only worker runs the scope body: without yielding, this loop would
///     // never end, since nobody else can run the task.
///     while !done.load(Ordering::Acquire) {
///         if brigade::yield_now() == Some(Yield::Idle) {
///             std::thread::yield_now();
///         }
///     }
/// });
/// assert_eq!(brigade::yield_now(), None); // outside every pool
/// # Ok::<(), brigade::BuildError>(())
/// ```
pub fn yield_now() -> Option<Yield> {
    WorkerThread::current().map(|worker| Yield::from_ran(worker.run_one()))
}

/// Runs one job of the current worker's own, if it has one: from its deque or its recorded
/// `join` halves (newest first), or a broadcast sent to it; never from another worker or the
/// pool's queue. Returns `None` on a thread outside every pool.
///
/// Like [`yield_now`], but it never takes work from another worker. Inside
/// [`isolate`](crate::isolate), only a job of the isolated work runs.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use brigade::Yield;
///
/// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
/// let ran = AtomicUsize::new(0);
/// pool.scope(|s| {
///     s.spawn(|_| { ran.fetch_add(1, Ordering::Relaxed); });
///     s.spawn(|_| { ran.fetch_add(1, Ordering::Relaxed); });
///     // Both tasks are on this worker's deque; each yield runs one.
///     assert_eq!(brigade::yield_local(), Some(Yield::Executed));
///     assert_eq!(brigade::yield_local(), Some(Yield::Executed));
///     assert_eq!(brigade::yield_local(), Some(Yield::Idle));
///     assert_eq!(ran.load(Ordering::Relaxed), 2);
/// });
/// # Ok::<(), brigade::BuildError>(())
/// ```
pub fn yield_local() -> Option<Yield> {
    WorkerThread::current().map(|worker| Yield::from_ran(worker.run_one_local()))
}

impl Yield {
    pub(crate) fn from_ran(ran: bool) -> Yield {
        if ran { Yield::Executed } else { Yield::Idle }
    }
}
