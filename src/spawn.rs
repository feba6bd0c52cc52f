//! Detached (`'static`) work: `spawn`, and `spawn_with_handle` with its [`JoinHandle`].
//!
//! A detached job keeps its pool alive (the registry's `live` count) until it has run, so
//! dropping the last [`ThreadPool`](crate::ThreadPool) handle still runs it.

use std::any::Any;
use std::cell::Cell;
use std::fmt;
use std::sync::Arc;

use crate::isolate::{Region, in_new_task_region};
use crate::job::{HeapJob, JobRef};
use crate::latch::CoreLatch;
use crate::loom::{AtomicUsize, Mutex, Ordering};
use crate::pool::{Registry, WorkerThread, current_registry};
use crate::unwind;

/// How many tasks `JoinHandle::join` may run inside each other on one thread's stack before
/// it moves to a fresh one (`JoinHandle::run_here_bounded`).
const MAX_INLINE_RUNS: u32 = 128;

// Tasks `JoinHandle::join` is running inside each other on this thread right now.
thread_local! {
    static INLINE_RUNS: Cell<u32> = const { Cell::new(0) };
}

/// Runs `func` on the current pool (the global pool outside any), without waiting for it.
///
/// A panic in `func` goes to the pool's
/// [`panic_handler`](crate::ThreadPoolBuilder::panic_handler) (by default, a line on stderr);
/// the worker keeps running. (rayon aborts the process on such a panic when no handler is
/// set; brigade never does.)
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
///
/// let (tx, rx) = mpsc::channel();
/// brigade::spawn(move || tx.send(6 * 7).unwrap());
/// assert_eq!(rx.recv().unwrap(), 42);
/// ```
pub fn spawn<F>(func: F)
where
    F: FnOnce() + Send + 'static,
{
    spawn_in(current_registry(), func);
}

/// Like [`spawn`], but the tasks one thread spawns this way start in the order it spawned
/// them (rayon's `spawn_fifo`): a worker's plain `spawn`s start newest first. Tasks of
/// different threads, and tasks other workers steal, start in no particular order.
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
///
/// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
/// let (tx, rx) = mpsc::channel();
/// pool.spawn(move || {
///     for i in 0..4 {
///         let tx = tx.clone();
///         brigade::spawn_fifo(move || tx.send(i).unwrap());
///     }
/// });
/// // The only worker starts them once this task is done, oldest first.
/// assert_eq!(rx.iter().take(4).collect::<Vec<_>>(), [0, 1, 2, 3]);
/// # Ok::<(), brigade::BuildError>(())
/// ```
pub fn spawn_fifo<F>(func: F)
where
    F: FnOnce() + Send + 'static,
{
    spawn_fifo_in(current_registry(), func);
}

/// Queues a detached job on `registry`.
pub(crate) fn spawn_in<F>(registry: &Arc<Registry>, func: F)
where
    F: FnOnce() + Send + 'static,
{
    let (job, worker) = detached_job(registry, func);
    match worker {
        Some(worker) => worker.push_or_spill(job),
        None => registry.inject(job.in_region(Region::for_job_into(registry))),
    }
}

/// Queues a detached job on `registry`, after the jobs this thread queued there the same way.
pub(crate) fn spawn_fifo_in<F>(registry: &Arc<Registry>, func: F)
where
    F: FnOnce() + Send + 'static,
{
    let (job, worker) = detached_job(registry, func);
    match worker {
        Some(worker) => {
            let fifo = &registry.thread_infos[worker.index()].fifo;
            // SAFETY: the FIFOs live in the registry, which outlives every job queued on it
            // (its workers hold it), and each proxy runs before (or as) the job it stands for.
            let proxy = unsafe { fifo.push(job, worker.region()) };
            worker.push_or_spill(proxy);
        }
        None => {
            let region = Region::for_job_into(registry);
            // SAFETY: as above.
            let proxy = unsafe { registry.outside_fifo.push(job, region) };
            registry.inject(proxy.in_region(region));
        }
    }
}

/// The job of a detached task on `registry`, which counts it as live until it has run, and
/// the current worker if it is one of `registry`'s.
fn detached_job<F>(registry: &Arc<Registry>, func: F) -> (JobRef, Option<&'static WorkerThread>)
where
    F: FnOnce() + Send + 'static,
{
    registry.increment_live();
    let job = move || {
        // A detached job always runs on a worker of the pool it was queued on.
        let worker = WorkerThread::current().expect("detached job runs on a worker");
        let registry = worker.registry();
        worker.detached_started();
        if let Err(payload) = unwind::halt_unwinding(func) {
            registry.handle_panic(payload);
        }
        worker.detached_finished();
        registry.decrement_live();
    };
    let worker = WorkerThread::current().filter(|w| w.registry().same_as(registry));
    // SAFETY: `F: 'static`, so the job borrows nothing that could go away.
    (unsafe { HeapJob::into_job_ref(job, worker) }, worker)
}

/// Queues `func` on `registry` and returns a handle to its result.
pub(crate) fn spawn_with_handle_in<F, T>(registry: &Arc<Registry>, func: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let task = Arc::new(Task {
        packet: Packet {
            state: Mutex::new(PacketState {
                result: None,
                handle_dropped: false,
                waiter: None,
            }),
            done: CoreLatch::new(),
            runner: AtomicUsize::new(0),
        },
        func: Mutex::new(Some(func)),
    });
    let queued = Arc::clone(&task);
    spawn_in(registry, move || {
        // Unless a joiner on a worker of this pool already ran it (see `JoinHandle::join`).
        queued.run_here();
    });
    JoinHandle {
        task,
        registry: Arc::clone(registry),
    }
}

/// A task with a handle: its closure, until whoever comes first runs it (the queued job, or
/// a worker of the pool that joins it before it started), and where its outcome meets the
/// handle.
struct Task<T, F> {
    packet: Packet<T>,
    func: Mutex<Option<F>>,
}

/// A [`Task`] with its closure's type erased, for the handle.
trait Claim<T>: Send + Sync {
    fn packet(&self) -> &Packet<T>;
    /// Runs the task here if nobody has started it; true if it did.
    fn run_here(&self) -> bool;
}

impl<T: Send, F: FnOnce() -> T + Send> Claim<T> for Task<T, F> {
    fn packet(&self) -> &Packet<T> {
        &self.packet
    }

    fn run_here(&self) -> bool {
        let Some(func) = self.func.lock().take() else {
            return false;
        };
        if let Some(worker) = WorkerThread::current() {
            // Relaxed: only this thread can find its own address here (`JoinHandle::wait`).
            self.packet
                .runner
                .store(std::ptr::from_ref(worker) as usize, Ordering::Relaxed);
        }
        // In a task region of its own: its waits, and those of its pieces wherever they run,
        // run only its own work, so no frame of it is ever buried under code that waits for
        // it (see "Task regions" in `isolate.rs`).
        let outcome = unwind::halt_unwinding(|| in_new_task_region(func));
        self.packet.complete(outcome);
        true
    }
}

/// A handle to the result of a task started with
/// [`ThreadPool::spawn_with_handle`](crate::ThreadPool::spawn_with_handle).
///
/// Dropping the handle detaches the task: it still runs, its value is dropped, and a panic
/// goes to the pool's panic handler.
///
/// # Examples
///
/// ```
/// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
/// let handle = pool.spawn_with_handle(|| (1..=10).product::<u64>());
/// assert_eq!(handle.join().unwrap(), 3_628_800);
/// # Ok::<(), brigade::BuildError>(())
/// ```
pub struct JoinHandle<T> {
    task: Arc<dyn Claim<T>>,
    registry: Arc<Registry>,
}

/// The error of [`JoinHandle::join`]: the task panicked.
///
/// # Examples
///
/// ```
/// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
/// let err = pool.spawn_with_handle(|| -> u8 { panic!("boom") }).join().unwrap_err();
/// assert_eq!(err.message(), Some("boom"));
/// let payload = err.into_panic(); // re-raise with std::panic::resume_unwind if wanted
/// # drop(payload);
///
/// // It is `Send + Sync`, so `?` carries it into the usual boxed errors.
/// fn run(pool: &brigade::ThreadPool) -> Result<u8, Box<dyn std::error::Error + Send + Sync>> {
///     Ok(pool.spawn_with_handle(|| 5u8).join()?)
/// }
/// assert_eq!(run(&pool).unwrap(), 5);
/// # Ok::<(), brigade::BuildError>(())
/// ```
#[derive(thiserror::Error)]
#[error("the spawned task panicked: {}", self.message().unwrap_or("<non-string panic payload>"))]
pub struct TaskPanicked {
    /// The message, taken out when the payload is a string.
    message: Option<String>,
    /// Behind a mutex so that the error is `Sync` (as `Box<dyn Error + Send + Sync>` and
    /// error-handling crates require) although a panic payload is only `Send`.
    payload: Mutex<Box<dyn Any + Send>>,
}

impl TaskPanicked {
    fn new(payload: Box<dyn Any + Send>) -> Self {
        let message = Some(unwind::payload_message(&*payload))
            .filter(|_| payload.is::<&'static str>() || payload.is::<String>())
            .map(str::to_owned);
        TaskPanicked {
            message,
            payload: Mutex::new(payload),
        }
    }
}

impl TaskPanicked {
    /// The panic message, if the payload is a string (as with `panic!("...")`).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
    /// let err = pool.spawn_with_handle(|| panic!("disk full")).join().unwrap_err();
    /// assert_eq!(err.message(), Some("disk full"));
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The panic payload, for `std::panic::resume_unwind`.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
    /// let err = pool.spawn_with_handle(|| std::panic::panic_any(7u32)).join().unwrap_err();
    /// assert_eq!(err.into_panic().downcast_ref::<u32>(), Some(&7));
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn into_panic(self) -> Box<dyn Any + Send> {
        self.payload.into_inner()
    }
}

impl fmt::Debug for TaskPanicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskPanicked")
            .field("message", &self.message())
            .finish()
    }
}

impl<T> JoinHandle<T> {
    /// Waits for the task and returns its value, or the panic it ended with.
    ///
    /// On a worker of the task's own pool, a task that has not started yet runs right here,
    /// on the joining worker (inside an isolation region too, which would not let it take
    /// the task from a queue). On a worker thread of any brigade pool, the worker runs other
    /// jobs while it waits, so joining a task of the same pool from inside it cannot
    /// deadlock for want of a thread.
    ///
    /// Joining inside the pool is safe for tasks that wait only for their own work (`join`,
    /// scopes, parallel loops, tasks with handles they start and join): a task with a handle
    /// runs in an isolation region of its own (as [`isolate`](crate::isolate()) makes one), so
    /// while the task, or any piece of it on any worker, waits for its own work, that worker
    /// runs only the task's own work, never code that may be waiting for the task. When the
    /// task or a piece of it finds none, its worker sleeps until its wait ends instead of
    /// running other jobs meanwhile. The stand-in of a [`block_in_place`](crate::block_in_place())
    /// inside the task is confined the same way. So a task that blocks its thread (a channel,
    /// a lock) until a job from outside the task has run needs a worker of the pool that is
    /// not waiting inside a task to run that job.
    ///
    /// Three kinds of wait inside the task run any job of the pool, because what they wait for
    /// may be anywhere: a [`brigade::sync`](crate::sync) wait, a wait for a call into another
    /// pool, and a join of a handle of another pool's task. If such a wait picks up the code
    /// that joins this task's handle, the join finds the task below it on its own stack (see
    /// "A hazard" in `docs/sync.md`). If the task itself is there, the join sees it and panics
    /// instead of waiting forever; if only a piece of it is (a `join` half whose wait picked up
    /// the joining code), it **waits forever**. Release before such waits, or join handles of
    /// such tasks from a thread outside the pool, which blocks instead of running jobs. Code of
    /// the task's own (a `join` half, a scope task, a task it spawned) that joins the task's
    /// own handle also waits forever, as a thread that joins itself would.
    ///
    /// A chain of tasks that each join the one before runs, on a worker of their pool, one
    /// inside the other; every 128 nested runs the next one moves to a fresh thread's stack, so
    /// the chain's length is bounded by memory, not by one stack.
    ///
    /// # Errors
    ///
    /// [`TaskPanicked`] if the task panicked.
    ///
    /// # Panics
    ///
    /// If the task runs lower on the joining worker's own stack (above: possible only through
    /// one of the three kinds of wait that run any job), which no wait could get past. The
    /// pool stays usable, and the task still finishes.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
    /// let h = pool.spawn_with_handle(|| "done");
    /// // Joined from the pool's only worker: it runs the task itself.
    /// assert_eq!(pool.install(move || h.join()).unwrap(), "done");
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn join(self) -> Result<T, TaskPanicked> {
        let packet = self.task.packet();
        if !packet.done.probe() {
            let here = WorkerThread::current().filter(|w| w.registry().same_as(&self.registry));
            if !here.is_some_and(|worker| self.run_here_bounded(worker)) {
                self.wait();
            }
        }
        let outcome = packet
            .state
            .lock()
            .result
            .take()
            .expect("a finished task left its result");
        outcome.map_err(TaskPanicked::new)
    }

    /// True if the task has finished (so `join` will not wait).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
    /// let h = pool.spawn_with_handle(|| 1);
    /// while !h.is_finished() {
    ///     std::thread::yield_now();
    /// }
    /// assert_eq!(h.join().unwrap(), 1);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        self.task.packet().done.probe()
    }

    /// Runs the task right here if nobody has started it (see `join`); true if it did. A
    /// chain of tasks that each join the one before would nest one run per task on this stack:
    /// every `MAX_INLINE_RUNS` nested runs, the next one goes on a fresh stack, where this
    /// worker carries on while this thread waits (`WorkerThread::on_fresh_stack`).
    fn run_here_bounded(&self, worker: &WorkerThread) -> bool {
        let depth = INLINE_RUNS.with(Cell::get);
        if depth < MAX_INLINE_RUNS {
            INLINE_RUNS.with(|d| d.set(depth + 1));
            struct Back(u32);
            impl Drop for Back {
                fn drop(&mut self) {
                    INLINE_RUNS.with(|d| d.set(self.0));
                }
            }
            let _back = Back(depth);
            return self.task.run_here();
        }
        let task = &self.task;
        // A fresh thread starts with no inline runs of its own (the count is per thread).
        worker
            .on_fresh_stack(|_| task.run_here())
            // No thread to spare: run it here, as without a bound.
            .unwrap_or_else(|| task.run_here())
    }

    #[cold]
    fn wait(&self) {
        let packet = self.task.packet();
        match WorkerThread::current() {
            Some(worker) => {
                // Relaxed: a worker finds its own address only if it stored it itself.
                if packet.runner.load(Ordering::Relaxed) == std::ptr::from_ref(worker) as usize {
                    // The task started on this worker and has not finished, so its frame is
                    // below this one: a wait inside it picked up the code that joins it. This
                    // wait could never end.
                    panic!(
                        "JoinHandle::join would wait forever: the task runs lower on this \
                         worker's own stack (a wait inside it that runs any job, for a \
                         brigade::sync primitive or for another pool, picked up the code that \
                         joins it); join handles of such tasks from a thread outside the pool"
                    );
                }
                packet.state.lock().waiter = Some(Waiter::Worker(
                    Arc::clone(worker.registry_arc()),
                    worker.index(),
                ));
                if worker.registry().same_as(&self.registry) {
                    // Inside a task region, confined to it: the task runs elsewhere on this
                    // pool, and its own workers run its work. The price: a task that blocks
                    // its thread on a job from outside every task can wait for a worker that
                    // is not waiting inside a task (documented on `join`).
                    worker.wait_until(&packet.done);
                } else {
                    // A task of another pool may need any job of this one (it may call into
                    // it), so this wait is not confined to a task region here, as a call
                    // into another pool is not (see "Task regions" in `isolate.rs`).
                    worker.in_sync_place(|| worker.wait_until(&packet.done));
                }
            }
            None => {
                packet.state.lock().waiter = Some(Waiter::Thread(std::thread::current()));
                while !packet.done.probe() {
                    std::thread::park();
                }
            }
        }
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let mut state = self.task.packet().state.lock();
        state.handle_dropped = true;
        if let Some(Err(payload)) = state.result.take() {
            drop(state);
            self.registry.handle_panic(payload);
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Where a task's outcome meets its handle.
struct Packet<T> {
    state: Mutex<PacketState<T>>,
    /// Set once `state.result` holds the outcome; a worker waiting in `join` sleeps on it.
    done: CoreLatch,
    /// The address of the `WorkerThread` that runs the task, once it has started on one
    /// (0 before, or on a thread outside every pool). Only compared, never followed: a
    /// worker that finds its own address here while `done` is unset is running the task
    /// lower on its own stack (see `JoinHandle::wait`).
    runner: AtomicUsize,
}

struct PacketState<T> {
    result: Option<Result<T, Box<dyn Any + Send>>>,
    /// The handle is gone: a panic must go to the panic handler instead.
    handle_dropped: bool,
    /// Who to wake; registered by `join` before it sleeps.
    waiter: Option<Waiter>,
}

enum Waiter {
    Worker(Arc<Registry>, usize),
    Thread(std::thread::Thread),
}

impl<T> Packet<T> {
    fn complete(&self, outcome: Result<T, Box<dyn Any + Send>>) {
        let mut state = self.state.lock();
        if state.handle_dropped {
            drop(state);
            if let Err(payload) = outcome {
                let worker = WorkerThread::current().expect("detached job runs on a worker");
                worker.registry().handle_panic(payload);
            }
            return;
        }
        state.result = Some(outcome);
        drop(state);
        // SAFETY: `self` is kept alive by the task's `Arc`, so the latch stays valid.
        let was_asleep = unsafe { CoreLatch::set(&self.done) };
        // The waiter registers before it can fall asleep, and a thread waiter parks until it
        // sees `done`; so reading the waiter after setting is enough (see `latch.rs`).
        let state = self.state.lock();
        match &state.waiter {
            Some(Waiter::Worker(registry, index)) if was_asleep => registry.wake_worker(*index),
            Some(Waiter::Thread(thread)) => thread.unpark(),
            _ => {}
        }
    }
}
