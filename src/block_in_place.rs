//! `block_in_place`: a task about to block outside the pool (I/O, a foreign lock, a channel)
//! lends its worker to a stand-in thread meanwhile, so the pool keeps its parallelism (the
//! name is tokio's; rayon has no equivalent).

use crate::pool::WorkerThread;

/// Runs `f`, which may block for a long time (on I/O, a lock or a channel that the pool does
/// not know about), without taking a worker away from the pool.
///
/// On a worker thread, a fresh thread takes over the worker while `f` runs: it runs the
/// worker's queued jobs and recorded `join` halves, and steals, as the worker would. When `f`
/// returns, the stand-in finishes the job it is running and ends, and the calling thread is
/// the worker again. So a task that "falls ill" on a blocking call costs the pool no
/// parallelism, and work queued behind it is not held up.
///
/// `f` runs on the calling thread, outside the pool: in it,
/// [`current_thread_index`](crate::current_thread_index) is `None`, and brigade calls behave
/// as on any thread outside the pool (`pool.install` blocks until a worker has run the
/// closure; [`join`](crate::join) and [`scope`](crate::scope) go to the global pool). Outside
/// every pool, `block_in_place(f)` is just `f()`.
///
/// Each call on a worker starts a thread (tens of microseconds): use it around calls that
/// block for much longer than that, not in a hot loop. If the OS refuses the thread, `f`
/// runs on the worker without a stand-in. A panic in `f` reaches the caller, after the
/// worker is back.
///
/// # The stand-in's job comes first
///
/// When `f` returns, `block_in_place` returns only once the stand-in has finished the job it
/// is running, because the worker cannot be in two places. So, as for any brigade wait (which
/// also runs other jobs meanwhile), the caller's code after `block_in_place` must not be
/// something a queued job waits for:
///
/// - do not hold a lock across `block_in_place` that a queued task takes: the stand-in may
///   run that task, which blocks on the lock, and the caller never gets its worker back to
///   release it;
/// - do not let a queued task wait for a signal (a latch, a channel) that the caller sends
///   only after `block_in_place` returns.
///
/// [`isolate`](crate::isolate) around the call keeps the stand-in from running jobs queued
/// outside the isolated work, at the price of its help. So does a task started with
/// [`spawn_with_handle`](crate::ThreadPool::spawn_with_handle), which runs in an isolation
/// region of its own: inside it the stand-in runs only the task's own work, so code that
/// joins the task cannot end up on the stand-in while the task waits for its worker back.
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
///
/// // One worker. Its task waits on a channel that another queued task sends to: without
/// // `block_in_place` the wait would hold the only worker, and the sender would never run.
/// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
/// let (tx, rx) = mpsc::channel();
/// let got = pool.scope(move |s| {
///     s.spawn(move |_| tx.send(42).unwrap());
///     brigade::block_in_place(|| rx.recv().unwrap())
/// });
/// assert_eq!(got, 42);
/// # Ok::<(), brigade::BuildError>(())
/// ```
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    match WorkerThread::current() {
        Some(worker) => worker.lend_while(f),
        None => f(),
    }
}
