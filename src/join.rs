//! `join`: run two closures, potentially in parallel, and return both results.
//!
//! The calling worker pushes the second closure on its deque (where an idle worker can steal
//! it), runs the first itself, then takes the second back if nobody stole it, or else works
//! on other jobs until the thief is done. If the deque is full the two run one after the
//! other on this thread.

use crate::job::StackJob;
use crate::latch::SpinLatch;
use crate::pool::{WorkerThread, in_worker};
use crate::unwind;

/// Runs `a` and `b`, potentially in parallel, and returns `(a(), b())`.
///
/// On a worker thread this uses that worker's pool; elsewhere it uses the global pool (built
/// on first use). `a` runs on the calling worker; `b` is offered to idle workers and runs on
/// the caller too if none takes it first.
///
/// # Panics
///
/// If `a` or `b` panics, the panic is re-raised here once both have finished (the panic of
/// `a` if both do). The pool stays usable.
///
/// # Examples
///
/// ```
/// fn fib(n: u64) -> u64 {
///     if n < 2 {
///         return n;
///     }
///     let (a, b) = brigade::join(|| fib(n - 1), || fib(n - 2));
///     a + b
/// }
/// assert_eq!(fib(20), 6765);
/// ```
pub fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    in_worker(|worker, _| join_on(worker, a, b))
}

/// `join` on a given worker of the pool.
pub(crate) fn join_on<A, B, RA, RB>(worker: &WorkerThread, a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    let job_b = StackJob::new(b, SpinLatch::new(worker.registry_arc(), worker.index()));
    // SAFETY: `job_b` stays in this frame, unmoved, until its latch is set (it ran elsewhere)
    // or we pop it back below (it never ran); we return only after one of those.
    let job_b_ref = unsafe { job_b.as_job_ref() };
    let b_id = job_b_ref.id();
    if worker.push(job_b_ref).is_err() {
        // The deque is full: no one can steal `b`, so run both here, in order.
        let ra = unwind::halt_unwinding(a);
        return combine(ra, job_b.run_inline());
    }
    let ra = unwind::halt_unwinding(a);
    while !job_b.latch.probe() {
        match worker.pop() {
            Some(job) if job.id() == b_id => return combine(ra, job_b.run_inline()),
            // Pushed by `a` and left behind (detached work): ours to run.
            Some(job) => worker.execute(job),
            None => {
                // Stolen: work on other jobs until the thief sets the latch.
                worker.wait_until(&job_b.latch);
                break;
            }
        }
    }
    combine(ra, job_b.into_result())
}

/// Both results, or the first panic (after both halves are done).
fn combine<RA, RB>(
    ra: Result<RA, Box<dyn std::any::Any + Send>>,
    rb: Result<RB, Box<dyn std::any::Any + Send>>,
) -> (RA, RB) {
    match (ra, rb) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(pa), rb) => {
            if let Err(pb) = rb {
                unwind::drop_payload(pb);
            }
            unwind::resume_unwinding(pa)
        }
        (Ok(_), Err(pb)) => unwind::resume_unwinding(pb),
    }
}
