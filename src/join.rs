//! `join`: run two closures, potentially in parallel, and return both results.
//!
//! Heartbeat scheduling: the calling worker records the second closure on its pending stack
//! (`pool/pending.rs`), runs the first closure, and then, in the common case, takes the
//! second back and runs it inline: no fence, no allocation, and below the outermost three
//! joins no atomic read-modify-write either (their entries are private to the worker). In a
//! pool of several threads every join is recorded, so a recursion that does its heavy work
//! in its second halves (`join(rest, leaf)`) spreads too. In a pool of one thread nobody can
//! take a half, so only the outermost three joins and one in every 64 below them are
//! recorded (a countdown), for waits that run their own recorded halves; the rest are two
//! plain calls. Only when the worker's heartbeat flag is set (by the pool's heartbeat
//! thread every 100 µs by default, or by a thief that found nothing to steal) does a `join`,
//! on its way in or out, publish the *oldest* recorded half on the worker's deque, where idle
//! workers can steal it.
//! A `join` whose half was published takes it back from the deque if nobody stole it, or else
//! works on other jobs until the thief is done. If the pending stack is full, the half is
//! published right away; if the deque is full too, its older half moves to the pool's
//! injector first (`WorkerThread::push_or_spill`), so `b` can still be stolen.

use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr::NonNull;

use crate::job::StackJob;
use crate::latch::SpinLatch;
use crate::pool::{WorkerThread, in_worker};
use crate::unwind;

/// Runs `a` and `b`, potentially in parallel, and returns `(a(), b())`.
///
/// On a worker thread this uses that worker's pool; elsewhere it uses the global pool (built
/// on first use). `a` runs on the calling worker, then `b` does too, unless an idle worker
/// took it meanwhile. `b` is *recorded*, in plain memory of the calling worker, where an
/// idle worker can get it: the outermost three joins on a worker are open to theft at once,
/// whatever `a` does, and the pool's heartbeat wakes a sleeping worker for them within about
/// one [`heartbeat_interval`](crate::ThreadPoolBuilder::heartbeat_interval); deeper ones are
/// handed to idle workers, oldest first, when the calling worker enters or leaves a `join`
/// after a heartbeat, or, on Linux, by the pool's heartbeat thread itself when the calling
/// worker has not come to a `join` for a whole interval (a long leaf that never joins), so
/// an idle worker waits a few intervals for them. Below the outermost three, recording
/// costs a few plain loads and stores (no atomic read-modify-write, no fence, no
/// allocation), so a `join` around even a few nanoseconds of work is cheap, and large pieces
/// still spread over the pool. In a pool of
/// one thread, where no other worker could take `b`, most joins are not even recorded: they
/// are two plain calls.
///
/// Each recorded `join` keeps `b`'s job in its stack frame: a recursion of `join`s uses a
/// few hundred bytes of stack per level in release builds and about 1.5 KB in debug builds
/// (more if the closures capture large values), so a chain of a few thousand nested joins
/// may need a larger [`stack_size`](crate::ThreadPoolBuilder::stack_size) in debug builds.
///
/// As with rayon's `join`, running `a` and `b` in parallel is an opportunity, not a promise:
/// `b` may run after `a`, on the same thread. Never make `a` wait for something only `b`
/// does.
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

/// Like [`join`], but each closure learns whether it *migrated*: whether it runs on another
/// thread than the one that called `join_context` (as rayon's `join_context`).
///
/// `a` migrated only if the call came from outside every pool (then both closures run on a
/// worker of the global pool); `b` also migrated if another worker took it.
///
/// # Examples
///
/// ```
/// use brigade::FnContext;
///
/// // A recursion that splits further only when its work has moved to an idle thread (a
/// // hint that the pool is hungry), the way rayon's adaptive producers split.
/// fn sum(v: &[u64], ctx: FnContext, splits: u32) -> u64 {
///     let splits = if ctx.migrated() { splits.max(4) } else { splits };
///     if splits == 0 || v.len() < 2 {
///         return v.iter().sum();
///     }
///     let (l, r) = v.split_at(v.len() / 2);
///     let (a, b) = brigade::join_context(
///         |ctx| sum(l, ctx, splits - 1),
///         |ctx| sum(r, ctx, splits - 1),
///     );
///     a + b
/// }
/// let v: Vec<u64> = (1..=1000).collect();
/// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
/// let (a_moved, total) = pool.install(|| {
///     brigade::join_context(|ctx| ctx.migrated(), |ctx| sum(&v, ctx, 4))
/// });
/// assert!(!a_moved); // called on a worker: `a` runs right there
/// assert_eq!(total, 500_500);
/// // Called from outside every pool, both closures run on a worker of the global pool.
/// assert_eq!(brigade::join_context(|c| c.migrated(), |c| c.migrated()), (true, true));
/// # Ok::<(), brigade::BuildError>(())
/// ```
pub fn join_context<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce(FnContext) -> RA + Send,
    B: FnOnce(FnContext) -> RB + Send,
    RA: Send,
    RB: Send,
{
    in_worker(|worker, injected| {
        // An address only compared, never followed: the calling worker is blocked in this
        // join until `b` is done, so no other live worker can have it meanwhile.
        let origin = std::ptr::from_ref(worker) as usize;
        join_on(
            worker,
            move || a(FnContext::new(injected)),
            move || {
                let here = WorkerThread::current().map(|w| std::ptr::from_ref(w) as usize);
                b(FnContext::new(injected || here != Some(origin)))
            },
        )
    })
}

/// What a closure run by [`join_context`] learns about where it runs.
///
/// # Examples
///
/// ```
/// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
/// // One worker: nobody can take `b` away from the caller.
/// let moved = pool.install(|| brigade::join_context(|c| c.migrated(), |c| c.migrated()));
/// assert_eq!(moved, (false, false));
/// # Ok::<(), brigade::BuildError>(())
/// ```
#[derive(Debug)]
pub struct FnContext {
    migrated: bool,
    /// Not `Send`: the context describes the thread it was handed to.
    _marker: PhantomData<*mut ()>,
}

impl FnContext {
    fn new(migrated: bool) -> FnContext {
        FnContext {
            migrated,
            _marker: PhantomData,
        }
    }

    /// True if the closure runs on another thread than the one that called
    /// [`join_context`]: it was stolen, or the call came from outside every pool.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _) = brigade::join_context(|c| c.migrated(), |_| ());
    /// assert!(a); // called from `main`, outside every pool
    /// ```
    #[inline]
    pub fn migrated(&self) -> bool {
        self.migrated
    }
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
    // `b` is recorded unarmed: only its closure is written into the frame (see
    // `job::StackJob::arm`), and the rest only if it is shared.
    let mut job_b = MaybeUninit::<StackJob<SpinLatch<'_>, B, RB>>::uninit();
    let job_b = job_b.as_mut_ptr();
    // SAFETY: fresh memory of this frame, which stays here, unmoved, until the job is taken
    // back (it never ran elsewhere), or its latch is set (it ran elsewhere); we return only
    // after one of those.
    let job_b_ref = unsafe {
        StackJob::write_unarmed(job_b, b);
        StackJob::unarmed_ref(job_b)
    };
    let b_id = job_b_ref.id();
    // SAFETY: `arm` is the job's own; the job outlives its entry (above).
    let recorded = match unsafe {
        worker
            .pending()
            .push_back(job_b_ref, StackJob::<SpinLatch<'_>, B, RB>::arm)
    } {
        Ok(recorded) => recorded,
        Err(job_b_ref) => {
            // SAFETY: recorded nowhere: ours, unshared.
            unsafe {
                StackJob::<SpinLatch<'_>, B, RB>::arm(
                    NonNull::new_unchecked(job_b).cast(),
                    &worker.arm_as(),
                );
            }
            // SAFETY: armed just above: every field is written.
            let job_b = unsafe { &*job_b };
            return join_published(worker, a, job_b, job_b_ref, Announce::Now, run_if_popped());
        }
    };
    let pos = recorded.pos;
    if recorded.outer {
        worker.outer_join_opened(pos);
    }
    worker.heartbeat_check();
    // A panic of `a` is caught, so that `b` is finished as ordinary code, never from a drop
    // guard during unwinding.
    let ra = match unwind::halt_unwinding(a) {
        Ok(ra) => ra,
        Err(payload) => finish_b_then_resume(worker, job_b, pos, b_id, payload),
    };
    // On the way back up too: a worker unwinding a deep recursion whose second halves are
    // the heavy ones (`join(rest, leaf)`) enters no join for a long while, yet has work to
    // share.
    worker.heartbeat_check();
    let taken_back = worker.pending().pop_back(pos);
    worker.recorded_join_closed();
    if taken_back {
        // Never published, nor claimed by a thief: nobody else can have it. A panic of `b`
        // unwinds from here, after `a` finished, which is all `join` promises.
        // SAFETY: taken back from the pending stack: it was never published.
        return (ra, unsafe { StackJob::call_taken_back(job_b) });
    }
    // SAFETY: promoted or claimed, so armed: every field is written.
    match take_back_or_wait(worker, unsafe { &*job_b }, b_id, run_if_popped()) {
        Ok(rb) => (ra, rb),
        Err(payload) => unwind::resume_unwinding(payload),
    }
}

/// A `join` that is not recorded at all: `a` then `b`, as plain calls. If `a` panics, `b`
/// still runs (its own panic, if any, is dropped) before the panic goes on, as for every
/// `join`, and it runs as ordinary code, not during unwinding.
#[inline]
fn join_unrecorded<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA,
    B: FnOnce() -> RB,
{
    match unwind::halt_unwinding(a) {
        Ok(ra) => (ra, b()),
        Err(payload) => run_then_resume(b, payload),
    }
}

/// `a` of an unrecorded join panicked: run `b`, drop its panic if any, resume `a`'s.
#[cold]
#[inline(never)]
fn run_then_resume<B: FnOnce() -> RB, RB>(b: B, payload: Box<dyn std::any::Any + Send>) -> ! {
    if let Err(second) = unwind::halt_unwinding(b) {
        unwind::drop_payload(second);
    }
    unwind::resume_unwinding(payload)
}

/// `a` of a recorded join panicked: finish `b` (run it, or wait for whoever took it), drop
/// its panic if any, and resume `a`'s.
#[cold]
#[inline(never)]
fn finish_b_then_resume<B, RB>(
    worker: &WorkerThread,
    job_b: *mut StackJob<SpinLatch<'_>, B, RB>,
    pos: usize,
    b_id: *const crate::job::JobHeader,
    payload: Box<dyn std::any::Any + Send>,
) -> !
where
    B: FnOnce() -> RB + Send,
    RB: Send,
{
    let taken_back = worker.pending().pop_back(pos);
    worker.recorded_join_closed();
    let outcome = if taken_back {
        // SAFETY: taken back from the pending stack: it was never published.
        unwind::halt_unwinding(|| unsafe { StackJob::call_taken_back(job_b) })
    } else {
        // SAFETY: promoted or claimed, so armed: every field is written.
        take_back_or_wait(worker, unsafe { &*job_b }, b_id, run_if_popped())
    };
    if let Err(second) = outcome {
        unwind::drop_payload(second);
    }
    unwind::resume_unwinding(payload)
}

/// `join` on `worker` that offers `b` to idle workers at once, on the deque, instead of
/// recording it privately: for splits that are made because more parallelism is wanted now
/// (parallel loops). `a` runs on `worker`; `b` gets the worker it runs on. `announce` tells
/// whether a sleeper is woken for `b` now or only later (`Announce`).
pub(crate) fn join_now<A, B, RA, RB>(
    worker: &WorkerThread,
    announce: Announce,
    a: A,
    b: B,
) -> (RA, RB)
where
    A: FnOnce(&WorkerThread) -> RA,
    B: FnOnce(&WorkerThread) -> RB + Send,
    RB: Send,
{
    publish_now(worker, announce, a, b, run_if_popped())
}

/// No `unclaimed` result: `take_back_or_wait` runs a half its owner popped back.
#[inline(always)]
fn run_if_popped<RB>() -> Option<fn() -> RB> {
    None
}

/// [`join_now`] for an *offer*: `b` is worth running only on another worker, because by the
/// time `a` returns it has nothing left to do (a loop's token, whose range `a` claims to the
/// end). Popped back by its owner, `b` is dropped unrun and `unclaimed()` stands for its
/// result: a tiny loop's token cost about a tenth of its instructions run for nothing.
pub(crate) fn offer_now<A, B, U, RA, RB>(
    worker: &WorkerThread,
    announce: Announce,
    a: A,
    b: B,
    unclaimed: U,
) -> (RA, RB)
where
    A: FnOnce(&WorkerThread) -> RA,
    B: FnOnce(&WorkerThread) -> RB + Send,
    U: FnOnce() -> RB,
    RB: Send,
{
    publish_now(worker, announce, a, b, Some(unclaimed))
}

/// `join_now` and `offer_now`: `b` published on the deque at once; popped back, it runs, or
/// is dropped unrun for `unclaimed()`.
#[inline(always)]
fn publish_now<A, B, U, RA, RB>(
    worker: &WorkerThread,
    announce: Announce,
    a: A,
    b: B,
    unclaimed: Option<U>,
) -> (RA, RB)
where
    A: FnOnce(&WorkerThread) -> RA,
    B: FnOnce(&WorkerThread) -> RB + Send,
    U: FnOnce() -> RB,
    RB: Send,
{
    let b = || b(WorkerThread::current().expect("a job runs on a worker thread"));
    let job_b = StackJob::new(b, SpinLatch::new(worker.registry_arc(), worker.index()));
    // SAFETY: `job_b` stays in this frame, unmoved, until `join_published` returns, which is
    // after it ran or was taken back (or, an offer, popped back: a job that never runs drops
    // its closure with the job).
    let job_b_ref = unsafe { job_b.as_job_ref() };
    join_published(worker, || a(worker), &job_b, job_b_ref, announce, unclaimed)
}

/// Whether publishing a `join_now` half wakes a sleeper for it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Announce {
    /// Now, if nobody is searching (`WorkerThread::push`).
    Now,
    /// Not now: a searcher takes it as any job, the heartbeat thread wakes a sleeper for it
    /// at its next beat, and the first half may call `WorkerThread::announce` sooner
    /// (`WorkerThread::push_unannounced`).
    Later,
}

/// `join` that publishes `b` on the deque at once (the pending stack is full, or
/// `join_now`).
fn join_published<A, B, U, RA, RB>(
    worker: &WorkerThread,
    a: A,
    job_b: &StackJob<SpinLatch<'_>, B, RB>,
    job_b_ref: crate::job::JobRef,
    announce: Announce,
    unclaimed: Option<U>,
) -> (RA, RB)
where
    A: FnOnce() -> RA,
    B: FnOnce() -> RB + Send,
    U: FnOnce() -> RB,
    RB: Send,
{
    let b_id = job_b_ref.id();
    let pushed = match announce {
        Announce::Now => worker.push(job_b_ref),
        Announce::Later => worker.push_unannounced(job_b_ref),
    };
    if let Err(job_b_ref) = pushed {
        // The deque is full too (a recursion more than a thousand joins deep): its older
        // half moves to the injector, where every worker finds it, and `b` goes on the
        // deque. Run here, `b` could never be stolen, and two long leaves at the bottom of
        // such a recursion ran one after the other.
        worker.push_or_spill(job_b_ref);
    }
    let ra = unwind::halt_unwinding(a);
    combine(ra, take_back_or_wait(worker, job_b, b_id, unclaimed))
}

/// The second half was published on the deque: pop it back if it is still there and run it
/// (or, for an offer, drop it unrun and return `unclaimed()`), else wait (working) until
/// whoever took it is done.
#[cold]
fn take_back_or_wait<B, U, RB>(
    worker: &WorkerThread,
    job_b: &StackJob<SpinLatch<'_>, B, RB>,
    b_id: *const crate::job::JobHeader,
    unclaimed: Option<U>,
) -> Result<RB, Box<dyn std::any::Any + Send>>
where
    B: FnOnce() -> RB + Send,
    U: FnOnce() -> RB,
    RB: Send,
{
    while !job_b.latch.probe() {
        match worker.pop() {
            Some(job) if job.id() == b_id => {
                return match unclaimed {
                    // An offer nobody took: its closure is dropped with the job.
                    Some(unclaimed) => Ok(unclaimed()),
                    // SAFETY: popped back by its owner: no thief has it.
                    None => unsafe { job_b.run_inline() },
                };
            }
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

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use super::*;
    use crate::ThreadPool;

    /// Counts its drops.
    struct Dropped<'a>(&'a AtomicUsize);

    impl Drop for Dropped<'_> {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// An offer that nobody takes is popped back by its owner and dropped unrun (what it
    /// captured is dropped once); `unclaimed()` is its result.
    #[test]
    fn an_offer_nobody_took_is_dropped_unrun() {
        let pool = ThreadPool::builder().num_threads(1).build().unwrap();
        let (ran, drops) = (AtomicBool::new(false), AtomicUsize::new(0));
        let (a, b) = pool.install(|| {
            let worker = WorkerThread::current().unwrap();
            let token = Dropped(&drops);
            offer_now(
                worker,
                Announce::Now,
                |_| 1,
                |_| {
                    let _token = token;
                    ran.store(true, Ordering::Relaxed);
                    2
                },
                || 3,
            )
        });
        assert_eq!((a, b), (1, 3));
        assert!(!ran.load(Ordering::Relaxed), "the offer ran on its owner");
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }

    /// An offer another worker takes runs there, once, and its result is the join's.
    #[test]
    fn an_offer_taken_by_another_worker_runs_there() {
        let pool = ThreadPool::builder().num_threads(2).build().unwrap();
        let runs = AtomicUsize::new(0);
        let (owner, (thief, b)) = pool.install(|| {
            let worker = WorkerThread::current().unwrap();
            offer_now(
                worker,
                Announce::Now,
                |w| {
                    // Wait (10 s at most) for the other worker to take the offer.
                    let start = Instant::now();
                    while runs.load(Ordering::Acquire) == 0 {
                        assert!(start.elapsed() < Duration::from_secs(10), "nobody took it");
                        std::thread::yield_now();
                    }
                    w.index()
                },
                |w| {
                    runs.fetch_add(1, Ordering::Release);
                    (w.index(), 2)
                },
                || (usize::MAX, 3),
            )
        });
        assert_ne!(owner, thief);
        assert_eq!(b, 2);
        assert_eq!(runs.load(Ordering::Relaxed), 1);
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use loom::thread;

    use crate::deque::{self, Steal};
    use crate::job::{JobHeader, JobRef};
    use crate::latch::CoreLatch;
    use crate::loom::{Arc, AtomicBool, AtomicUsize, Ordering};
    use crate::pool::new_pending;
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
                                sleep.stop_searching(|| false);
                                runs.fetch_add(1, Ordering::Relaxed);
                                // SAFETY: the latch lives in an `Arc` held by both threads.
                                if unsafe { CoreLatch::set(&*latch) } {
                                    sleep.wake_specific(0);
                                }
                                return;
                            }
                            Steal::Retry => crate::loom::yield_now(),
                            Steal::Empty => {
                                sleep.stop_searching(|| false);
                                return;
                            }
                        }
                    }
                })
            };

            // The owner's `join`: record the half, check the heartbeat, run `a` (nothing).
            let (pending, _pending_stealer) = new_pending(0);
            let job = JobRef::fake(0);
            // SAFETY: a fake job, complete already, never executed.
            let pos = unsafe { pending.push_back(job, crate::pool::armed) }
                .unwrap()
                .pos;
            if flag.load(Ordering::Relaxed) {
                flag.store(false, Ordering::Relaxed);
                let oldest = pending.pop_front().expect("one entry");
                owner_deque.push(oldest.into_raw()).unwrap();
                sleep.notify_work();
            }
            if pending.pop_back(pos) {
                runs.fetch_add(1, Ordering::Relaxed); // never published: inline
            } else if owner_deque.pop().is_some() {
                runs.fetch_add(1, Ordering::Relaxed); // published, popped back: inline
            } else {
                // Stolen: wait for the thief's latch, sleeping if need be.
                sleep.start_searching();
                while !latch.probe() {
                    sleep.sleep(0, &latch, || false);
                }
                sleep.stop_searching(|| false);
            }
            hb.join().unwrap();
            thief.join().unwrap();
            assert_eq!(runs.load(Ordering::Relaxed), 1);
        });
    }
}
