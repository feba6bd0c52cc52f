//! [`ThreadBuilder`]: one worker of a pool being built, handed to a user's spawn handler
//! ([`ThreadPoolBuilder::spawn_handler`](crate::ThreadPoolBuilder::spawn_handler),
//! [`build_scoped`](crate::ThreadPoolBuilder::build_scoped)), which starts the thread that
//! runs it.

use std::fmt;
use std::sync::Arc;

use crate::deque;
use crate::job::JobHeader;
use crate::pool::Registry;
use crate::pool::pending::Pending;
use crate::pool::worker;

/// A worker of a pool being built, to be run on a thread the user starts: the argument of a
/// [`spawn_handler`](crate::ThreadPoolBuilder::spawn_handler) or of
/// [`build_scoped`](crate::ThreadPoolBuilder::build_scoped)'s wrapper (rayon's type of the
/// same name).
///
/// The thread must call [`run`](Self::run), which is the worker's whole life: it returns
/// when the pool shuts down. A handler that drops the `ThreadBuilder` instead makes `build`
/// fail with [`BuildError::Spawn`](crate::BuildError::Spawn). One kept and never run (sent
/// to a thread that never gets to it) leaves a worker that takes no part in the pool: its
/// share of a [`broadcast`](crate::ThreadPool::broadcast) never runs, so that broadcast,
/// and the [`shutdown`](crate::ThreadPool::shutdown) of a pool given a `spawn_broadcast`,
/// wait forever.
///
/// # Examples
///
/// ```
/// let pool = brigade::ThreadPool::builder()
///     .num_threads(2)
///     .spawn_handler(|thread| {
///         let mut b = std::thread::Builder::new();
///         if let Some(name) = thread.name() {
///             b = b.name(name.to_owned());
///         }
///         b.spawn(move || thread.run())?;
///         Ok(())
///     })
///     .build()?;
/// assert_eq!(pool.broadcast(|ctx| ctx.index()), [0, 1]);
/// # Ok::<(), brigade::BuildError>(())
/// ```
pub struct ThreadBuilder {
    index: usize,
    name: String,
    stack_size: Option<usize>,
    /// The worker's own ends of its queues and its registry; taken by `run`.
    parts: Option<Parts>,
}

struct Parts {
    deque: deque::Worker<JobHeader>,
    pending: Pending,
    registry: Arc<Registry>,
}

impl ThreadBuilder {
    pub(crate) fn new(
        index: usize,
        name: String,
        stack_size: Option<usize>,
        deque: deque::Worker<JobHeader>,
        pending: Pending,
        registry: Arc<Registry>,
    ) -> Self {
        registry.worker_started();
        ThreadBuilder {
            index,
            name,
            stack_size,
            parts: Some(Parts {
                deque,
                pending,
                registry,
            }),
        }
    }

    /// The index of this worker in the pool, in `0..num_threads`.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder()
    ///     .num_threads(2)
    ///     .spawn_handler(|thread| {
    ///         let name = format!("mine-{}", thread.index());
    ///         std::thread::Builder::new().name(name).spawn(move || thread.run())?;
    ///         Ok(())
    ///     })
    ///     .build()?;
    /// let names = pool.broadcast(|_| std::thread::current().name().map(String::from));
    /// assert_eq!(names, [Some("mine-0".to_owned()), Some("mine-1".to_owned())]);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }

    /// The thread name the builder's [`thread_name`](crate::ThreadPoolBuilder::thread_name)
    /// gives this worker (by default `brigade-worker-{index}`); always `Some`.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder()
    ///     .num_threads(1)
    ///     .thread_name(|i| format!("solver-{i}"))
    ///     .spawn_handler(|thread| {
    ///         assert_eq!(thread.name(), Some("solver-0"));
    ///         std::thread::spawn(move || thread.run());
    ///         Ok(())
    ///     })
    ///     .build()?;
    /// # drop(pool);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn name(&self) -> Option<&str> {
        Some(&self.name)
    }

    /// The name, for the pool's own threads.
    pub(crate) fn name_owned(&self) -> String {
        self.name.clone()
    }

    /// The stack size the builder's [`stack_size`](crate::ThreadPoolBuilder::stack_size)
    /// asks for, if any; the handler decides whether to honour it.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder()
    ///     .num_threads(1)
    ///     .stack_size(4 << 20)
    ///     .spawn_handler(|thread| {
    ///         let mut b = std::thread::Builder::new();
    ///         if let Some(size) = thread.stack_size() {
    ///             b = b.stack_size(size);
    ///         }
    ///         b.spawn(move || thread.run())?;
    ///         Ok(())
    ///     })
    ///     .build()?;
    /// assert_eq!(pool.install(|| 1 + 1), 2);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn stack_size(&self) -> Option<usize> {
        self.stack_size
    }

    /// Runs the worker on the calling thread until the pool shuts down. The start handler
    /// runs first and the exit handler last, on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder()
    ///     .num_threads(1)
    ///     .spawn_handler(|thread| {
    ///         std::thread::spawn(move || {
    ///             // Per-thread setup here (a thread-local, a priority), then:
    ///             thread.run();
    ///         });
    ///         Ok(())
    ///     })
    ///     .build()?;
    /// assert_eq!(pool.install(brigade::current_thread_index), Some(0));
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn run(mut self) {
        let Parts {
            deque,
            pending,
            registry,
        } = self.parts.take().expect("a thread builder runs once");
        worker::main_loop(deque, pending, self.index, registry);
    }
}

impl Drop for ThreadBuilder {
    fn drop(&mut self) {
        // Never run (the handler failed, or dropped it): the pool need not wait for it, and
        // `build` fails if the handler said it succeeded.
        if let Some(parts) = &self.parts {
            parts.registry.worker_abandoned();
        }
    }
}

impl fmt::Debug for ThreadBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadBuilder")
            .field("index", &self.index)
            .field("name", &self.name)
            .field("stack_size", &self.stack_size)
            .finish_non_exhaustive()
    }
}
