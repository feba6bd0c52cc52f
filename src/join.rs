//! `join`: run two closures, potentially in parallel, and return both results.
//!
//! Heartbeat scheduling: the calling worker records the second closure on its private
//! pending stack (`pool/pending.rs`), in plain memory, runs the first closure, and then, in the
//! common case, takes the second back and runs it inline: no atomic read-modify-write, no
//! fence, no allocation. Most joins are not even recorded: only the outermost few on each
//! worker and one in every 64 below them (a countdown); the rest are two plain calls (as
//! chili does). Recording the outermost joins keeps the large
//! pieces of work available to thieves; the sampled deeper ones bound how much work can sit
//! between two points where a thief may split it. Only when the worker's heartbeat flag is set (by the pool's heartbeat
//! thread every 100 µs by default, or by a thief that found nothing to steal) does a `join`
//! publish the *oldest* recorded half on the worker's deque, where idle workers can steal it.
//! A `join` whose half was published takes it back from the deque if nobody stole it, or else
//! works on other jobs until the thief is done. If the pending stack is full, the half is
//! published right away; if the deque is full too, the two closures run one after the other.

use crate::job::StackJob;
use crate::latch::SpinLatch;
use crate::pool::{WorkerThread, in_worker};
use crate::unwind;

/// Runs `a` and `b`, potentially in parallel, and returns `(a(), b())`.
///
/// On a worker thread this uses that worker's pool; elsewhere it uses the global pool (built
/// on first use). `a` runs on the calling worker, then `b` does too, unless an idle worker
/// took it meanwhile: `b` stays private to the caller at first, at about the cost of a
/// function call, and is published to idle workers on the pool's heartbeat or when one of
/// them asks for work (see
/// [`heartbeat_interval`](crate::ThreadPoolBuilder::heartbeat_interval)). So a `join` around
/// even a few nanoseconds of work is cheap, and large pieces still spread over the pool.
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
#[inline]
pub(crate) fn join_on<A, B, RA, RB>(worker: &WorkerThread, a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    if !worker.should_record_join() {
        return join_unrecorded(a, b);
    }
    let job_b = StackJob::new(b, SpinLatch::new(worker.registry_arc(), worker.index()));
    // SAFETY: `job_b` stays in this frame, unmoved (the helpers below borrow it), until its
    // latch is set (it ran elsewhere) or we take it back (it never ran); we return only after
    // one of those.
    let job_b_ref = unsafe { job_b.as_job_ref() };
    let b_id = job_b_ref.id();
    if let Err(job_b_ref) = worker.pending().push_back(job_b_ref) {
        return join_published(worker, a, &job_b, job_b_ref);
    }
    worker.recorded_join_opened();
    worker.heartbeat_check();
    // If `a` panics, the guard finishes `b` (it lives in this frame and may have been
    // published) before the panic leaves this frame. No `catch_unwind` on the fast path.
    let guard = FinishOnUnwind {
        worker,
        job_b: &job_b,
        b_id,
    };
    let ra = a();
    let job_b = guard.disarm();
    if worker.pending().pop_back_if(b_id) {
        worker.recorded_join_closed();
        // Never published: nobody else can have seen it. A panic of `b` unwinds from here,
        // after `a` finished, which is all `join` promises.
        // SAFETY: taken back from the pending stack: it was never published.
        return (ra, unsafe { job_b.call_inline() });
    }
    match take_back_or_wait(worker, job_b, b_id) {
        Ok(rb) => (ra, rb),
        Err(payload) => unwind::resume_unwinding(payload),
    }
}

/// A `join` that is not recorded at all: `a` then `b`, as plain calls. If `a` panics, `b`
/// still runs (its own panic, if any, is dropped) before the panic goes on, as for every
/// `join`.
#[inline]
fn join_unrecorded<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA,
    B: FnOnce() -> RB,
{
    let guard = RunOnUnwind(Some(b));
    let ra = a();
    let b = guard.disarm();
    (ra, b())
}

/// Runs the closure it holds if dropped while still holding it (the first half unwound).
struct RunOnUnwind<B: FnOnce() -> RB, RB>(Option<B>);

impl<B: FnOnce() -> RB, RB> RunOnUnwind<B, RB> {
    #[inline]
    fn disarm(mut self) -> B {
        self.0.take().expect("the closure is taken once")
    }
}

impl<B: FnOnce() -> RB, RB> Drop for RunOnUnwind<B, RB> {
    fn drop(&mut self) {
        if let Some(b) = self.0.take()
            && let Err(payload) = unwind::halt_unwinding(b)
        {
            unwind::drop_payload(payload);
        }
    }
}

/// Finishes the second half of a `join` whose first half is unwinding: runs it (or waits
/// for the thief that took it) and drops its panic, if any, so that the first half's panic
/// is the one that reaches the caller.
struct FinishOnUnwind<'a, 'r, B, RB>
where
    B: FnOnce() -> RB + Send,
    RB: Send,
{
    worker: &'a WorkerThread,
    job_b: &'a StackJob<SpinLatch<'r>, B, RB>,
    b_id: *const crate::job::JobHeader,
}

impl<'a, 'r, B, RB> FinishOnUnwind<'a, 'r, B, RB>
where
    B: FnOnce() -> RB + Send,
    RB: Send,
{
    /// `a` returned normally: hand the job back without running the guard.
    #[inline]
    fn disarm(self) -> &'a StackJob<SpinLatch<'r>, B, RB> {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so the reference is moved out exactly once.
        unsafe { std::ptr::read(&this.job_b) }
    }
}

impl<B, RB> Drop for FinishOnUnwind<'_, '_, B, RB>
where
    B: FnOnce() -> RB + Send,
    RB: Send,
{
    #[cold]
    fn drop(&mut self) {
        let outcome = if self.worker.pending().pop_back_if(self.b_id) {
            self.worker.recorded_join_closed();
            // SAFETY: taken back from the pending stack: it was never published.
            unsafe { self.job_b.run_inline() }
        } else {
            take_back_or_wait(self.worker, self.job_b, self.b_id)
        };
        if let Err(payload) = outcome {
            unwind::drop_payload(payload);
        }
    }
}

/// `join` on `worker` that offers `b` to idle workers at once, on the deque, instead of
/// recording it privately: for splits that are made because more parallelism is wanted now
/// (parallel loops). `a` runs on `worker`; `b` gets the worker it runs on.
pub(crate) fn join_now<A, B, RA, RB>(worker: &WorkerThread, a: A, b: B) -> (RA, RB)
where
    A: FnOnce(&WorkerThread) -> RA,
    B: FnOnce(&WorkerThread) -> RB + Send,
    RB: Send,
{
    let b = || b(WorkerThread::current().expect("a job runs on a worker thread"));
    let job_b = StackJob::new(b, SpinLatch::new(worker.registry_arc(), worker.index()));
    // SAFETY: `job_b` stays in this frame, unmoved, until `join_published` returns, which is
    // after it ran or was taken back.
    let job_b_ref = unsafe { job_b.as_job_ref() };
    join_published(worker, || a(worker), &job_b, job_b_ref)
}

/// `join` that publishes `b` on the deque at once (the pending stack is full, or
/// `join_now`).
fn join_published<A, B, RA, RB>(
    worker: &WorkerThread,
    a: A,
    job_b: &StackJob<SpinLatch<'_>, B, RB>,
    job_b_ref: crate::job::JobRef,
) -> (RA, RB)
where
    A: FnOnce() -> RA,
    B: FnOnce() -> RB + Send,
    RB: Send,
{
    let b_id = job_b_ref.id();
    if worker.push(job_b_ref).is_err() {
        // The deque is full too: no one can steal `b`, so run both here, in order.
        let ra = unwind::halt_unwinding(a);
        // SAFETY: the push failed, so the job was never published.
        return combine(ra, unsafe { job_b.run_inline() });
    }
    let ra = unwind::halt_unwinding(a);
    combine(ra, take_back_or_wait(worker, job_b, b_id))
}

/// The second half was published on the deque: pop it back if it is still there, else wait
/// (working) until whoever took it is done.
#[cold]
fn take_back_or_wait<B, RB>(
    worker: &WorkerThread,
    job_b: &StackJob<SpinLatch<'_>, B, RB>,
    b_id: *const crate::job::JobHeader,
) -> Result<RB, Box<dyn std::any::Any + Send>>
where
    B: FnOnce() -> RB + Send,
    RB: Send,
{
    while !job_b.latch.probe() {
        match worker.pop() {
            // SAFETY: popped back by its owner: no thief has it.
            Some(job) if job.id() == b_id => return unsafe { job_b.run_inline() },
            // Pushed by `a` and left behind (detached work), or published by an inner
            // `join` that then waited: ours to run.
            Some(job) => worker.execute(job),
            None => {
                // Stolen: work on other jobs until the thief sets the latch.
                worker.wait_until(&job_b.latch);
                break;
            }
        }
    }
    // SAFETY: the loop ends only once the latch is set.
    unsafe { job_b.take_result() }
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

#[cfg(all(test, loom))]
mod loom_models {
    use loom::thread;

    use crate::deque::{self, Steal};
    use crate::job::{JobHeader, JobRef};
    use crate::latch::CoreLatch;
    use crate::loom::{Arc, AtomicBool, AtomicUsize, Ordering};
    use crate::pool::Pending;
    use crate::sleep::Sleep;

    /// The promotion protocol of a heartbeat `join`, with a heartbeat thread that may set the
    /// owner's flag at any moment and a thief that tries once to steal: the second half runs
    /// exactly once (inline if never published or popped back, else by the thief), and an
    /// owner that waits for the thief is always woken (else loom reports a deadlock).
    #[test]
    fn promoted_half_runs_once_and_wakes_the_owner() {
        loom::model(|| {
            let (owner_deque, stealer) = deque::new::<JobHeader>();
            let sleep = Arc::new(Sleep::new(2));
            let latch = Arc::new(CoreLatch::new());
            let flag = Arc::new(AtomicBool::new(false));
            let runs = Arc::new(AtomicUsize::new(0));

            let hb = {
                let flag = flag.clone();
                thread::spawn(move || flag.store(true, Ordering::Relaxed))
            };
            let thief = {
                let (sleep, latch, runs) = (sleep.clone(), latch.clone(), runs.clone());
                thread::spawn(move || {
                    sleep.start_searching();
                    loop {
                        match stealer.steal() {
                            Steal::Success(_) => {
                                sleep.stop_searching();
                                runs.fetch_add(1, Ordering::Relaxed);
                                // SAFETY: the latch lives in an `Arc` held by both threads.
                                if unsafe { CoreLatch::set(&*latch) } {
                                    sleep.wake_specific(0);
                                }
                                return;
                            }
                            Steal::Retry => crate::loom::yield_now(),
                            Steal::Empty => {
                                sleep.stop_searching();
                                return;
                            }
                        }
                    }
                })
            };

            // The owner's `join`: record the half, check the heartbeat, run `a` (nothing).
            let pending = Pending::new();
            let job = JobRef::fake(0);
            let id = job.id();
            pending.push_back(job).unwrap();
            if flag.load(Ordering::Relaxed) {
                flag.store(false, Ordering::Relaxed);
                let oldest = pending.pop_front().expect("one entry");
                owner_deque.push(oldest.into_raw()).unwrap();
                sleep.notify_work();
            }
            if pending.pop_back_if(id) {
                runs.fetch_add(1, Ordering::Relaxed); // never published: inline
            } else if owner_deque.pop().is_some() {
                runs.fetch_add(1, Ordering::Relaxed); // published, popped back: inline
            } else {
                // Stolen: wait for the thief's latch, sleeping if need be.
                sleep.start_searching();
                while !latch.probe() {
                    sleep.sleep(0, &latch, || false);
                }
                sleep.stop_searching();
            }
            hb.join().unwrap();
            thief.join().unwrap();
            assert_eq!(runs.load(Ordering::Relaxed), 1);
        });
    }
}
