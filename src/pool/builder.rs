//! Settings for a new pool.

use std::any::Any;
use std::fmt;
use std::num::IntErrorKind;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use crate::error::BuildError;
use crate::pool::StealPolicy;
use crate::pool::heartbeat;
use crate::pool::pinning::{self, CorePinning};
use crate::pool::{Registry, ThreadBuilder, ThreadPool};
use crate::unwind;

/// A callback that receives a worker's index (start and exit handlers).
pub(crate) type WorkerHandler = dyn Fn(usize) + Send + Sync;
/// A callback that receives the payload of a panic nobody else will re-raise.
pub(crate) type PanicHandler = dyn Fn(Box<dyn Any + Send>) + Send + Sync;
/// Names a worker thread from its index.
pub(crate) type NameFn = dyn FnMut(usize) -> String;
/// A spawn handler: starts the thread that runs a worker.
pub(crate) type SpawnFn<'a> = dyn FnMut(ThreadBuilder) -> std::io::Result<()> + 'a;

/// The environment variable that sets the default number of threads.
pub(crate) const NUM_THREADS_ENV: &str = "BRIGADE_NUM_THREADS";
/// The most workers one pool supports.
pub(crate) const MAX_THREADS: usize = 1 << 16;
/// The smallest stack a worker may have.
const MIN_STACK: usize = 64 * 1024;
/// The largest stack a worker may ask for (the OS may still refuse less).
const MAX_STACK: usize = 1 << 46;
/// The shortest heartbeat interval accepted.
const MIN_HEARTBEAT: Duration = Duration::from_micros(1);

/// A name from the `thread_name` closure with a NUL byte: a panic payload that travels from
/// the closure to [`ThreadPoolBuilder::with_checked_names`].
struct NulInName {
    index: usize,
    name: String,
}

/// Configures and builds a [`ThreadPool`].
///
/// Every setting has a default, so `ThreadPoolBuilder::new().build()` gives a pool with one
/// worker per logical CPU (or `BRIGADE_NUM_THREADS` of them, if that variable is set).
///
/// # Examples
///
/// ```
/// use brigade::ThreadPoolBuilder;
///
/// let pool = ThreadPoolBuilder::new()
///     .num_threads(2)
///     .thread_name(|i| format!("render-{i}"))
///     .stack_size(4 << 20)
///     .build()?;
/// assert_eq!(pool.current_num_threads(), 2);
/// # Ok::<(), brigade::BuildError>(())
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct ThreadPoolBuilder<S = DefaultSpawn> {
    pub(crate) num_threads: Option<usize>,
    pub(crate) thread_name: Option<Box<NameFn>>,
    pub(crate) stack_size: Option<usize>,
    pub(crate) start_handler: Option<Box<WorkerHandler>>,
    pub(crate) exit_handler: Option<Box<WorkerHandler>>,
    pub(crate) panic_handler: Option<Box<PanicHandler>>,
    pub(crate) heartbeat_interval: Duration,
    pub(crate) steal_policy: StealPolicy,
    pub(crate) core_pinning: CorePinning,
    pub(crate) use_current_thread: bool,
    /// How the workers' threads start: [`DefaultSpawn`] or [`CustomSpawn`].
    spawn: S,
}

impl Default for ThreadPoolBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ThreadPoolBuilder {
    /// A builder with every setting at its default.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPoolBuilder::new().build()?;
    /// assert!(pool.current_num_threads() >= 1);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn new() -> Self {
        ThreadPoolBuilder {
            num_threads: None,
            thread_name: None,
            stack_size: None,
            start_handler: None,
            exit_handler: None,
            panic_handler: None,
            heartbeat_interval: heartbeat::DEFAULT_INTERVAL,
            steal_policy: StealPolicy::new(),
            core_pinning: CorePinning::None,
            use_current_thread: false,
            spawn: DefaultSpawn,
        }
    }

    /// Builds a pool whose workers are scoped threads (`std::thread::scope`) of this call,
    /// lends it to `with_pool`, and shuts it down when `with_pool` returns: its work finishes
    /// and its threads end before `build_scoped` returns. Each thread runs `wrapper`, which
    /// must call [`ThreadBuilder::run`]: around it, the thread may set up and use borrowed
    /// state. (As in rayon, only a builder without a
    /// [`spawn_handler`](Self::spawn_handler) has this method.)
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build); `with_pool` does not run then.
    ///
    /// # Panics
    ///
    /// A panic of `with_pool` is re-raised here once the pool has shut down. A panic of
    /// `wrapper` ends that thread (before `run`, its worker takes no part in the pool, and a
    /// broadcast waits for it forever) and is re-raised when the scope ends, as
    /// `std::thread::scope` does.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    ///
    /// thread_local!(static SETUP: Cell<bool> = const { Cell::new(false) });
    /// let config = String::from("borrowed by every worker");
    /// let all_set_up = brigade::ThreadPool::builder().num_threads(2).build_scoped(
    ///     |thread| {
    ///         assert!(!config.is_empty()); // the wrapper may borrow
    ///         SETUP.with(|s| s.set(true));
    ///         thread.run();
    ///     },
    ///     |pool| pool.broadcast(|_| SETUP.with(Cell::get)),
    /// )?;
    /// assert_eq!(all_set_up, [true, true]);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn build_scoped<W, F, R>(self, wrapper: W, with_pool: F) -> Result<R, BuildError>
    where
        W: Fn(ThreadBuilder) + Sync,
        F: FnOnce(&ThreadPool) -> R,
    {
        std::thread::scope(|scope| {
            let wrapper = &wrapper;
            let mut spawn = |thread: ThreadBuilder| -> std::io::Result<()> {
                let mut b = std::thread::Builder::new();
                if let Some(name) = thread.name() {
                    b = b.name(name.to_owned());
                }
                if let Some(size) = thread.stack_size() {
                    b = b.stack_size(size);
                }
                b.spawn_scoped(scope, move || wrapper(thread))?;
                Ok(())
            };
            let pool = self
                .with_checked_names(|builder| Registry::new_with(builder, Some(&mut spawn)))
                .map(ThreadPool::from_registry)?;
            let result = unwind::halt_unwinding(|| with_pool(&pool));
            // Waits for the pool's work and for every worker's `run` to return; the scope
            // then joins the threads (it would wait for them anyway).
            pool.shutdown();
            match result {
                Ok(r) => Ok(r),
                Err(payload) => unwind::resume_unwinding(payload),
            }
        })
    }

    /// Runs `build` with the `thread_name` closure wrapped so that a name with a NUL byte
    /// becomes [`BuildError::ThreadNameNul`] instead of a spawn failure. The wrapper raises
    /// the name as a [`NulInName`] payload with `resume_unwind` (which prints nothing):
    /// `build` treats it as a naming closure that panicked, stopping and joining the
    /// workers already started, and the payload comes back here.
    fn with_checked_names<T>(
        mut self,
        build: impl FnOnce(Self) -> Result<T, BuildError>,
    ) -> Result<T, BuildError> {
        if let Some(mut name) = self.thread_name.take() {
            self.thread_name = Some(Box::new(move |index| {
                let name = name(index);
                if name.contains('\0') {
                    panic::resume_unwind(Box::new(NulInName { index, name }));
                }
                name
            }));
        }
        // AssertUnwindSafe: the builder is consumed, and every other payload goes on.
        match panic::catch_unwind(AssertUnwindSafe(|| build(self))) {
            Ok(built) => built,
            Err(payload) => match payload.downcast::<NulInName>() {
                Ok(bad) => Err(BuildError::ThreadNameNul {
                    index: bad.index,
                    name: bad.name,
                }),
                Err(payload) => panic::resume_unwind(payload),
            },
        }
    }

    /// The number of threads this builder will start, or why it cannot.
    pub(crate) fn resolved_num_threads(&self) -> Result<usize, BuildError> {
        let n = match self.num_threads {
            Some(n) if n > 0 => n,
            // 0 is as if `num_threads` was not called, as in rayon.
            _ => match std::env::var(NUM_THREADS_ENV) {
                Ok(value) => match value.trim().parse::<usize>() {
                    Ok(n) if n > MAX_THREADS => {
                        return Err(BuildError::TooManyThreadsInEnv {
                            value,
                            max: MAX_THREADS,
                        });
                    }
                    Err(e) if *e.kind() == IntErrorKind::PosOverflow => {
                        return Err(BuildError::TooManyThreadsInEnv {
                            value,
                            max: MAX_THREADS,
                        });
                    }
                    Ok(0) => pinning::default_parallelism(),
                    Ok(n) => n,
                    Err(_) => return Err(BuildError::InvalidEnv { value }),
                },
                Err(std::env::VarError::NotPresent) => pinning::default_parallelism(),
                Err(std::env::VarError::NotUnicode(raw)) => {
                    return Err(BuildError::InvalidEnv {
                        value: raw.to_string_lossy().into_owned(),
                    });
                }
            },
        };
        match n {
            n if n > MAX_THREADS => Err(BuildError::TooManyThreads {
                requested: n,
                max: MAX_THREADS,
            }),
            n => Ok(n),
        }
    }

    /// The heartbeat interval, or why it is unusable.
    pub(crate) fn checked_heartbeat_interval(&self) -> Result<Duration, BuildError> {
        if self.heartbeat_interval < MIN_HEARTBEAT {
            return Err(BuildError::HeartbeatInterval {
                requested: self.heartbeat_interval,
            });
        }
        Ok(self.heartbeat_interval)
    }

    /// The stack size to ask for, or why it is unusable.
    pub(crate) fn checked_stack_size(&self) -> Result<Option<usize>, BuildError> {
        match self.stack_size {
            Some(s) if !(MIN_STACK..=MAX_STACK).contains(&s) => Err(BuildError::StackSize {
                requested: s,
                min: MIN_STACK,
                max: MAX_STACK,
            }),
            other => Ok(other),
        }
    }
}

impl<S> ThreadPoolBuilder<S> {
    /// The number of worker threads. Without it, or with `0` (as in rayon), the pool reads
    /// `BRIGADE_NUM_THREADS`, and without that (or if it is `0`, as rayon reads
    /// `RAYON_NUM_THREADS`), uses one worker per logical CPU. At most 65,536 (more is an
    /// error at `build`, as is a variable that is not a whole number).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder().num_threads(3).build()?;
    /// assert_eq!(pool.current_num_threads(), 3);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn num_threads(mut self, n: usize) -> Self {
        self.num_threads = Some(n);
        self
    }

    /// Names worker threads (as shown by debuggers and in panic messages). The default is
    /// `brigade-worker-{index}`. If the closure panics, `build` stops the workers already
    /// started and re-raises the panic; if it returns a name with a NUL byte, `build` stops
    /// them and returns [`BuildError::ThreadNameNul`].
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder()
    ///     .num_threads(1)
    ///     .thread_name(|i| format!("io-{i}"))
    ///     .build()?;
    /// let name = pool.install(|| std::thread::current().name().map(String::from));
    /// assert_eq!(name.as_deref(), Some("io-0"));
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn thread_name<F>(mut self, name: F) -> Self
    where
        F: FnMut(usize) -> String + 'static,
    {
        self.thread_name = Some(Box::new(name));
        self
    }

    /// The stack size of each worker thread, in bytes. The default is the platform's
    /// (`RUST_MIN_STACK` or 2 MiB). Less than 64 KiB is an error at `build`.
    ///
    /// A recursion through nested parallel loops (a `par_iter` in an item of another, on down)
    /// takes about 1.5 KiB of a worker's stack per level in a release build (2 KiB with
    /// `collect`, 1 KiB for loops of two items) and 6.5 to 8.5 KiB in a debug build, beside
    /// the frames of the code in the items: on the default stack, about 1,000 to 1,400
    /// levels in release. Deeper recursions need a larger stack.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder().num_threads(1).stack_size(8 << 20).build()?;
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// Runs on each worker thread when it starts, with the worker's index. A panic in it is
    /// caught and passed to the panic handler; the worker runs on.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let started = Arc::new(AtomicUsize::new(0));
    /// let s = started.clone();
    /// let pool = brigade::ThreadPool::builder()
    ///     .num_threads(2)
    ///     .start_handler(move |_index| { s.fetch_add(1, Ordering::SeqCst); })
    ///     .build()?;
    /// pool.broadcast(|_| ()); // every worker has started once it ran a broadcast
    /// assert_eq!(started.load(Ordering::SeqCst), 2);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn start_handler<F>(mut self, handler: F) -> Self
    where
        F: Fn(usize) + Send + Sync + 'static,
    {
        self.start_handler = Some(Box::new(handler));
        self
    }

    /// Runs on each worker thread just before it exits, with the worker's index:
    /// [`shutdown`](ThreadPool::shutdown) waits for these to finish; a drop of the pool does
    /// not.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let exited = Arc::new(AtomicUsize::new(0));
    /// let e = exited.clone();
    /// let pool = brigade::ThreadPool::builder()
    ///     .num_threads(2)
    ///     .exit_handler(move |_index| { e.fetch_add(1, Ordering::SeqCst); })
    ///     .build()?;
    /// pool.shutdown(); // waits for the exit handlers
    /// assert_eq!(exited.load(Ordering::SeqCst), 2);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn exit_handler<F>(mut self, handler: F) -> Self
    where
        F: Fn(usize) + Send + Sync + 'static,
    {
        self.exit_handler = Some(Box::new(handler));
        self
    }

    /// Receives the payload of a panic that no caller will see: one in work started with
    /// [`ThreadPool::spawn`] (or a [`JoinHandle`](crate::JoinHandle) dropped unjoined), or in
    /// a start or exit handler. Without it, such panics are reported on stderr. Either way
    /// the worker keeps running, and a panic in the handler itself is caught too.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let tx = std::sync::Mutex::new(tx);
    /// let pool = brigade::ThreadPool::builder()
    ///     .num_threads(1)
    ///     .panic_handler(move |payload| {
    ///         let msg = payload.downcast_ref::<&str>().copied().unwrap_or("?");
    ///         tx.lock().unwrap().send(msg.to_string()).unwrap();
    ///     })
    ///     .build()?;
    /// pool.spawn(|| panic!("lost in the background"));
    /// assert_eq!(rx.recv().unwrap(), "lost in the background");
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn panic_handler<F>(mut self, handler: F) -> Self
    where
        F: Fn(Box<dyn Any + Send>) + Send + Sync + 'static,
    {
        self.panic_handler = Some(Box::new(handler));
        self
    }

    /// How often busy workers are told to publish work for idle ones (the heartbeat). The
    /// default is 100 µs.
    ///
    /// A `join` records its second half privately, at the cost of a function call, and only
    /// publishes it (to the worker's stealable deque) on a heartbeat, or when an idle worker
    /// asks. A shorter interval spreads new work faster at the cost of more promotions that
    /// nobody steals; a longer one lowers that cost. A beat also wakes a sleeping worker
    /// for work left on a deque that nobody was woken for (a parallel loop in a busy pool
    /// offers its range that way, and wakes a sleeper itself only at the end of a block
    /// 10 µs or more into the loop), so the interval also bounds how long a loop whose
    /// first item is long leaves idle workers asleep. On Linux, a beat also hands a worker's
    /// oldest unpublished halves to the pool when that worker has not come to a `join` since
    /// the previous beat while another worker sleeps (the oldest one, then all of them at the
    /// next beat), so the interval also bounds, at a few intervals, how long the two long
    /// leaves of a `join` nested deep in other joins run one after the other. The heartbeat thread sleeps while the whole pool is idle, while every
    /// worker is busy, and while no busy worker reaches a `join` and no deque holds work
    /// (one waiting for input inside `install`, say); a pool of one thread has none.
    /// Less than 1 µs is an error at `build`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let pool = brigade::ThreadPool::builder()
    ///     .num_threads(2)
    ///     .heartbeat_interval(Duration::from_micros(500))
    ///     .build()?;
    /// assert_eq!(pool.join(|| 1, || 2), (1, 2));
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.heartbeat_interval = interval;
        self
    }

    /// How idle workers steal: the order in which they visit other workers, and how many
    /// jobs they take from one. The default, [`StealPolicy::new`], visits every other worker
    /// once from a random start and takes one job; [`StealPolicy`] says when another policy
    /// pays off.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::{StealAmount, StealPolicy, Victims};
    ///
    /// let pool = brigade::ThreadPool::builder()
    ///     .num_threads(2)
    ///     .steal_policy(StealPolicy::new().victims(Victims::Random).amount(StealAmount::Half))
    ///     .build()?;
    /// assert_eq!(pool.join(|| 1, || 2), (1, 2));
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn steal_policy(mut self, policy: StealPolicy) -> Self {
        self.steal_policy = policy;
        self
    }

    /// Pins the workers to CPU cores (none by default); see [`CorePinning`]. Each worker pins
    /// itself when it starts, before the start handler runs;
    /// [`ThreadPool::worker_core`](crate::ThreadPool::worker_core) says where.
    ///
    /// # Errors
    ///
    /// `build` checks the cores against the process's affinity mask and fails with
    /// [`BuildError::CoreNotAllowed`] for a core outside it, [`BuildError::NoCoresGiven`] for
    /// an empty list, or [`BuildError::PinningUnsupported`] off Linux.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::{BuildError, CorePinning};
    ///
    /// let pool = brigade::ThreadPool::builder()
    ///     .num_threads(2)
    ///     .core_pinning(CorePinning::OnePerCore)
    ///     .build();
    /// # #[cfg(target_os = "linux")]
    /// # {
    /// let first = pool?.worker_core(0).unwrap(); // the first core this process may use
    /// // Both workers of another pool on that core:
    /// let pool = brigade::ThreadPool::builder()
    ///     .num_threads(2)
    ///     .core_pinning(CorePinning::Cores(vec![first]))
    ///     .build()?;
    /// assert_eq!(pool.worker_core(1), Some(first));
    /// // A core the process may not use is an error that lists those it may.
    /// let err = brigade::ThreadPool::builder()
    ///     .core_pinning(CorePinning::Cores(vec![100_000]))
    ///     .build()
    ///     .unwrap_err();
    /// assert!(matches!(err, BuildError::CoreNotAllowed { core: 100_000, .. }));
    /// # }
    /// # Ok::<(), BuildError>(())
    /// ```
    pub fn core_pinning(mut self, pinning: CorePinning) -> Self {
        self.core_pinning = pinning;
        self
    }

    /// Makes the thread that calls [`build`](Self::build) worker 0 of the pool, in place of
    /// a thread of the pool's own (rayon's `use_current_thread`). That thread runs the pool's
    /// work only while it waits inside the pool (in `join`, `scope`, `install`, a parallel
    /// loop, [`yield_now`](crate::yield_now)...), as any worker does; the other workers
    /// steal what it queues. A pool of `num_threads(n)` starts `n - 1` threads.
    ///
    /// What differs from the pool's own workers:
    /// - the [`start_handler`](Self::start_handler) and
    ///   [`exit_handler`](Self::exit_handler), the [`spawn_handler`](Self::spawn_handler) and
    ///   [`core_pinning`](Self::core_pinning) skip this thread
    ///   ([`ThreadPool::worker_core(0)`](crate::ThreadPool::worker_core) is `None`);
    /// - a job only this thread can run waits until it next waits inside the pool: its share
    ///   of a [`broadcast`](crate::ThreadPool::broadcast) made from another thread, and all
    ///   the work of a pool of `num_threads(1)`.
    ///
    /// Drop the pool on this thread: the drop then waits for the pool's work, running it
    /// here too, and the thread stops being a worker (it may build such a pool again).
    ///
    /// Dropped on another thread, the pool's drop returns at once, as every other drop does;
    /// the work only this thread can run (above) runs when this thread next waits inside the
    /// pool, or when this thread exits. A [`shutdown`](crate::ThreadPool::shutdown) on
    /// another thread waits for that work too: do not let this thread wait for it while it
    /// has such work queued, that waits forever. Once
    /// the pool has ended, this thread stops being its worker 0 at its next call that picks a
    /// pool ([`spawn`](crate::spawn), [`broadcast`](crate::broadcast),
    /// [`current_num_threads`](crate::current_num_threads)...), which then uses the global
    /// pool; until then a `join` runs on it as on a pool of one thread.
    ///
    /// If this thread exits while the pool lives on (the pool moved to another thread, say),
    /// a thread of the pool's own takes over worker 0 and runs it as any worker until the
    /// pool ends. That thread runs the start and exit handlers, but it is named
    /// `brigade-worker-0` whatever [`thread_name`](Self::thread_name) says, and it is not
    /// pinned.
    ///
    /// Unlike rayon, nothing is leaked for good, but each pool built this way keeps its
    /// worker's state (about 50 KiB) on this thread until the thread exits: build such pools
    /// once per thread, not in a loop.
    ///
    /// # Errors
    ///
    /// `build` returns [`BuildError::CurrentThreadInPool`] if this thread is already a worker
    /// of a pool that is still running, also inside [`block_in_place`](crate::block_in_place)
    /// on such a worker.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder()
    ///     .num_threads(2)
    ///     .use_current_thread()
    ///     .build()?;
    /// assert_eq!(brigade::current_thread_index(), Some(0)); // this thread is worker 0
    /// let (a, b) = brigade::join(|| 1 + 1, || 2 + 2); // runs on `pool`
    /// assert_eq!((a, b), (2, 4));
    /// drop(pool); // here: this thread is no worker any more
    /// assert_eq!(brigade::current_thread_index(), None);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn use_current_thread(mut self) -> Self {
        self.use_current_thread = true;
        self
    }

    /// Starts the pool's worker threads with `spawn` instead of `std::thread::spawn`: `build`
    /// calls it once per worker, in index order, with a [`ThreadBuilder`] that the thread
    /// must [`run`](ThreadBuilder::run). For threads with their own setup (an allocator arena,
    /// a priority, a runtime's context), or threads from another library.
    ///
    /// If it returns an error, `build` stops the workers already started and returns
    /// [`BuildError::Spawn`]; if it panics, `build` stops them and re-raises the panic. The
    /// pool's [`shutdown`](crate::ThreadPool::shutdown) waits until every worker's
    /// [`run`](ThreadBuilder::run) has returned, but joining the threads is the handler's
    /// business. The
    /// [`stack_size`](Self::stack_size) setting only reaches the handler, through
    /// [`ThreadBuilder::stack_size`]. The handler may borrow (a `std::thread::scope`, say):
    /// it is only called during `build`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    ///
    /// let handles = Arc::new(Mutex::new(Vec::new()));
    /// let h = Arc::clone(&handles);
    /// let pool = brigade::ThreadPool::builder()
    ///     .num_threads(2)
    ///     .spawn_handler(move |thread| {
    ///         let handle = std::thread::Builder::new()
    ///             .name(format!("custom-{}", thread.index()))
    ///             .spawn(move || thread.run())?;
    ///         h.lock().unwrap().push(handle);
    ///         Ok(())
    ///     })
    ///     .build()?;
    /// assert_eq!(pool.join(|| 1, || 2), (1, 2));
    /// pool.shutdown(); // every worker's `run` has returned
    /// for handle in handles.lock().unwrap().drain(..) {
    ///     handle.join().unwrap();
    /// }
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn spawn_handler<F>(self, spawn: F) -> ThreadPoolBuilder<CustomSpawn<F>>
    where
        F: FnMut(ThreadBuilder) -> std::io::Result<()>,
    {
        self.with_spawn(CustomSpawn(spawn))
    }

    /// The same settings with another way of starting threads.
    fn with_spawn<T>(self, spawn: T) -> ThreadPoolBuilder<T> {
        self.replace_spawn(spawn).0
    }

    /// The settings, and the way of starting threads apart.
    fn split(self) -> (ThreadPoolBuilder, S) {
        self.replace_spawn(DefaultSpawn)
    }

    /// The same settings with `spawn`, and the way of starting threads they had.
    fn replace_spawn<T>(self, spawn: T) -> (ThreadPoolBuilder<T>, S) {
        let ThreadPoolBuilder {
            num_threads,
            thread_name,
            stack_size,
            start_handler,
            exit_handler,
            panic_handler,
            heartbeat_interval,
            steal_policy,
            core_pinning,
            use_current_thread,
            spawn: old,
        } = self;
        let builder = ThreadPoolBuilder {
            num_threads,
            thread_name,
            stack_size,
            start_handler,
            exit_handler,
            panic_handler,
            heartbeat_interval,
            steal_policy,
            core_pinning,
            use_current_thread,
            spawn,
        };
        (builder, old)
    }
}

impl<S: ThreadSpawn> ThreadPoolBuilder<S> {
    /// Builds the pool and starts its threads.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] for a bad setting (zero or too many threads, an unusable stack size,
    /// a malformed or too large `BRIGADE_NUM_THREADS`, a thread name with a NUL byte) or
    /// when the OS cannot start a thread. Threads that did start are stopped and joined
    /// before the error is returned.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
    /// assert_eq!(pool.join(|| 1, || 2), (1, 2));
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn build(self) -> Result<ThreadPool, BuildError> {
        let (builder, mut spawn) = self.split();
        builder
            .with_checked_names(|builder| Registry::new_with(builder, spawn.handler()))
            .map(ThreadPool::from_registry)
    }

    /// Builds the global pool, the one `brigade::join`, `brigade::scope` and
    /// `brigade::spawn` use outside any pool. Without this call it is built on first use
    /// with default settings.
    ///
    /// # Errors
    ///
    /// [`BuildError::GlobalPoolAlreadyInitialized`] if the global pool exists already, or any
    /// error of [`build`](Self::build).
    ///
    /// # Examples
    ///
    /// ```
    /// // Fails if something in this process already used the global pool.
    /// let _ = brigade::ThreadPoolBuilder::new().num_threads(2).build_global();
    /// assert_eq!(brigade::join(|| 1, || 2), (1, 2));
    /// ```
    pub fn build_global(self) -> Result<(), BuildError> {
        let (builder, mut spawn) = self.split();
        builder
            .with_checked_names(|builder| {
                crate::pool::registry::init_global_registry(builder, spawn.handler())
            })
            .map(|_| ())
    }
}

/// How a builder starts its workers by default: on threads of its own, which the pool joins
/// when it is dropped.
///
/// # Examples
///
/// ```
/// let builder: brigade::ThreadPoolBuilder<brigade::DefaultSpawn> = brigade::ThreadPoolBuilder::new();
/// # drop(builder);
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct DefaultSpawn;

/// How a builder starts its workers after
/// [`spawn_handler`](ThreadPoolBuilder::spawn_handler): through the user's handler `F`.
///
/// # Examples
///
/// ```
/// let builder: brigade::ThreadPoolBuilder<brigade::CustomSpawn<_>> =
///     brigade::ThreadPoolBuilder::new().spawn_handler(|thread| {
///         std::thread::spawn(move || thread.run());
///         Ok(())
///     });
/// assert_eq!(builder.num_threads(1).build()?.install(|| 3), 3);
/// # Ok::<(), brigade::BuildError>(())
/// ```
#[derive(Debug)]
pub struct CustomSpawn<F>(F);

mod sealed {
    /// Keeps [`ThreadSpawn`](super::ThreadSpawn) brigade's own.
    pub trait Sealed {}
    impl Sealed for super::DefaultSpawn {}
    impl<F> Sealed for super::CustomSpawn<F> {}
}

/// The ways a [`ThreadPoolBuilder`] can start its workers: [`DefaultSpawn`] and
/// [`CustomSpawn`]. Sealed: it cannot be implemented outside brigade.
pub trait ThreadSpawn: sealed::Sealed {
    /// The handler that starts each worker's thread, or `None` for the pool's own threads.
    #[doc(hidden)]
    fn handler(&mut self) -> Option<&mut SpawnFn<'_>>;
}

impl ThreadSpawn for DefaultSpawn {
    fn handler(&mut self) -> Option<&mut SpawnFn<'_>> {
        None
    }
}

impl<F> ThreadSpawn for CustomSpawn<F>
where
    F: FnMut(ThreadBuilder) -> std::io::Result<()>,
{
    fn handler(&mut self) -> Option<&mut SpawnFn<'_>> {
        Some(&mut self.0)
    }
}

impl<S> fmt::Debug for ThreadPoolBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPoolBuilder")
            .field("num_threads", &self.num_threads)
            .field("stack_size", &self.stack_size)
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("steal_policy", &self.steal_policy)
            .field("core_pinning", &self.core_pinning)
            .field("use_current_thread", &self.use_current_thread)
            .field("thread_name", &self.thread_name.is_some())
            .field("start_handler", &self.start_handler.is_some())
            .field("exit_handler", &self.exit_handler.is_some())
            .field("panic_handler", &self.panic_handler.is_some())
            .field("spawn", &std::any::type_name::<S>())
            .finish()
    }
}
