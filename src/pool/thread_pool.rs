//! The user's handle to a pool.

use std::fmt;
use std::sync::Arc;

use crate::broadcast::{BroadcastContext, broadcast_on, spawn_broadcast_in};
use crate::isolate::Region;
use crate::join::join_on;
use crate::loops::{ForEach, ForEachChunk, LoopSource, MapReduce, Schedule, enter};
use crate::pool::{PoolMetrics, Registry, ThreadPoolBuilder, WorkerThread};
use crate::scope::{
    Scope, ScopeFifo, in_place_scope_fifo_in, in_place_scope_in, scope_fifo_on, scope_on,
};
use crate::spawn::{JoinHandle, spawn_fifo_in, spawn_in, spawn_with_handle_in};
use crate::yield_now::Yield;

/// A pool of worker threads that run `join`, `scope`, `spawn` and `broadcast` work.
///
/// Dropping the pool returns at once, as rayon's does: the workers finish all queued and
/// spawned work behind it, run the exit handlers and end. So a spawned task may wait for
/// something the dropping thread does after the drop. To wait for all of that instead,
/// call [`shutdown`](Self::shutdown): when it returns, all work is done and the threads are
/// joined. (A pool built with
/// [`use_current_thread`](crate::ThreadPoolBuilder::use_current_thread) and dropped on that
/// thread is the exception: that thread is one of the workers, and its drop runs the pool's
/// remaining work before the thread stops being one.)
///
/// # Examples
///
/// ```
/// let pool = brigade::ThreadPool::builder().num_threads(4).build()?;
/// let mut data = vec![1u64, 2, 3, 4, 5, 6, 7, 8];
/// pool.scope(|s| {
///     for chunk in data.chunks_mut(2) {
///         s.spawn(move |_| chunk.iter_mut().for_each(|x| *x *= *x));
///     }
/// });
/// assert_eq!(data, [1, 4, 9, 16, 25, 36, 49, 64]);
/// let (a, b) = pool.join(|| data[..4].iter().sum::<u64>(), || data[4..].iter().sum::<u64>());
/// assert_eq!(a + b, 204);
/// # Ok::<(), brigade::BuildError>(())
/// ```
pub struct ThreadPool {
    registry: Arc<Registry>,
}

impl ThreadPool {
    /// A builder for a new pool; same as [`ThreadPoolBuilder::new`].
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn builder() -> ThreadPoolBuilder {
        ThreadPoolBuilder::new()
    }

    pub(crate) fn from_registry(registry: Arc<Registry>) -> Self {
        ThreadPool { registry }
    }

    /// The shared state of this pool (for `brigade::internals`).
    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Runs `op` on a worker of this pool and returns its result. Inside `op`,
    /// `brigade::join`, `brigade::scope` and `brigade::spawn` use this pool.
    ///
    /// Called from a worker of this pool, it runs `op` right away. Called from a worker of
    /// another pool, that worker keeps running its own pool's jobs while it waits, so brigade
    /// pools can call into each other without deadlock. This holds between brigade pools
    /// only: a rayon pool (or any other runtime) whose thread blocks here cannot run the
    /// rayon work this pool may be waiting for.
    ///
    /// # Panics
    ///
    /// A panic in `op` is re-raised here.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
    /// let on_worker = pool.install(|| brigade::current_thread_index().is_some());
    /// assert!(on_worker);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn install<OP, R>(&self, op: OP) -> R
    where
        OP: FnOnce() -> R + Send,
        R: Send,
    {
        self.registry.in_worker(|_, _| op())
    }

    /// Runs `op` on this pool in a fresh isolation region: while a worker waits inside `op`,
    /// it runs only tasks spawned inside `op`; see [`isolate`](crate::isolate()).
    ///
    /// # Examples
    ///
    /// A lock held across a parallel loop whose tasks never take it, while other tasks of
    /// the pool do:
    ///
    /// ```
    /// use std::sync::Mutex;
    ///
    /// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
    /// let log = Mutex::new(Vec::new());
    /// pool.scope(|s| {
    ///     s.spawn(|_| log.lock().unwrap().push("other task"));
    ///     let mut log = log.lock().unwrap();
    ///     // The worker waiting for this join never starts the task above on its stack.
    ///     let (a, b) = pool.isolate(|| pool.join(|| 1, || 2));
    ///     log.push(if a + b == 3 { "isolated join" } else { "wrong" });
    /// });
    /// assert_eq!(log.into_inner().unwrap().len(), 2);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn isolate<OP, R>(&self, op: OP) -> R
    where
        OP: FnOnce() -> R + Send,
        R: Send,
    {
        // Through `in_new_region`, so that the region joins this thread's chain of regions
        // (the `OnceCell` re-entry check sees it).
        self.registry
            .in_worker(|_, _| crate::isolate::in_new_region(Region::fresh(), op))
    }

    /// Runs `a` and `b` on this pool, potentially in parallel; see [`join`](crate::join).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
    /// let v: Vec<u32> = (0..1000).collect();
    /// let (l, r) = v.split_at(500);
    /// let (a, b) = pool.join(|| l.iter().sum::<u32>(), || r.iter().sum::<u32>());
    /// assert_eq!(a + b, 499_500);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn join<A, B, RA, RB>(&self, a: A, b: B) -> (RA, RB)
    where
        A: FnOnce() -> RA + Send,
        B: FnOnce() -> RB + Send,
        RA: Send,
        RB: Send,
    {
        self.registry.in_worker(|worker, _| join_on(worker, a, b))
    }

    /// Opens a scope on this pool; see [`scope`](crate::scope()).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
    /// let words = ["a", "bb", "ccc"];
    /// let mut lens = [0; 3];
    /// pool.scope(|s| {
    ///     for (w, l) in words.iter().zip(lens.iter_mut()) {
    ///         s.spawn(move |_| *l = w.len());
    ///     }
    /// });
    /// assert_eq!(lens, [1, 2, 3]);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn scope<'scope, OP, R>(&self, op: OP) -> R
    where
        OP: FnOnce(&Scope<'scope>) -> R + Send,
        R: Send,
    {
        self.registry.in_worker(|owner, _| scope_on(owner, op))
    }

    /// Opens a scope whose body runs right here, on the calling thread, and whose tasks run
    /// on this pool; see [`in_place_scope`](crate::in_place_scope). The body need not be
    /// `Send`, and it may block for a task of the scope (on a channel, a lock) without
    /// taking a worker of this pool away from that task when the caller is not one.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    ///
    /// // One worker, and a body that blocks until a task of the scope has run: with `scope`
    /// // the body would hold the only worker, and the task could never run.
    /// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
    /// let (tx, rx) = mpsc::channel();
    /// let got = pool.in_place_scope(|s| {
    ///     s.spawn(move |_| tx.send(brigade::current_thread_index()).unwrap());
    ///     rx.recv().unwrap()
    /// });
    /// assert_eq!(got, Some(0)); // the task ran on the pool's worker
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn in_place_scope<'scope, OP, R>(&self, op: OP) -> R
    where
        OP: FnOnce(&Scope<'scope>) -> R,
    {
        in_place_scope_in(&self.registry, op)
    }

    /// Opens a FIFO scope on this pool (see [`scope_fifo`](crate::scope_fifo)): like
    /// [`scope`](Self::scope), but a worker starts the tasks it spawns in the order it
    /// spawned them.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Mutex;
    ///
    /// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
    /// let order = Mutex::new(Vec::new());
    /// pool.scope_fifo(|s| {
    ///     for i in 0..3 {
    ///         let order = &order;
    ///         s.spawn_fifo(move |_| order.lock().unwrap().push(i));
    ///     }
    /// });
    /// assert_eq!(order.into_inner().unwrap(), [0, 1, 2]);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn scope_fifo<'scope, OP, R>(&self, op: OP) -> R
    where
        OP: FnOnce(&ScopeFifo<'scope>) -> R + Send,
        R: Send,
    {
        self.registry.in_worker(|owner, _| scope_fifo_on(owner, op))
    }

    /// Opens a FIFO scope whose body runs on the calling thread and whose tasks run on this
    /// pool; see [`in_place_scope_fifo`](crate::in_place_scope_fifo).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
    /// let here = Rc::new(7); // not `Send`: fine in the body
    /// let n = pool.in_place_scope_fifo(|s| {
    ///     s.spawn_fifo(|_| assert!(brigade::current_thread_index().is_some()));
    ///     *here * 6
    /// });
    /// assert_eq!(n, 42);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn in_place_scope_fifo<'scope, OP, R>(&self, op: OP) -> R
    where
        OP: FnOnce(&ScopeFifo<'scope>) -> R,
    {
        in_place_scope_fifo_in(&self.registry, op)
    }

    /// Runs `func` on this pool without waiting for it, after the tasks this thread queued
    /// the same way; see [`spawn_fifo`](crate::spawn_fifo).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    ///
    /// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
    /// let (tx, rx) = mpsc::channel();
    /// for i in 0..4 {
    ///     let tx = tx.clone();
    ///     pool.spawn_fifo(move || tx.send(i).unwrap());
    /// }
    /// assert_eq!(rx.iter().take(4).collect::<Vec<_>>(), [0, 1, 2, 3]);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn spawn_fifo<F>(&self, func: F)
    where
        F: FnOnce() + Send + 'static,
    {
        spawn_fifo_in(&self.registry, func);
    }

    /// A snapshot of what the pool's workers have done since it was built: jobs run,
    /// steals, heartbeat promotions, sleeps, busy time, queue lengths (tokio's
    /// `RuntimeMetrics` is the model). Always on; see [`PoolMetrics`].
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
    /// let before = pool.metrics();
    /// pool.scope(|s| (0..1000).for_each(|_| s.spawn(|_| {})));
    /// let after = pool.metrics();
    /// let ran = |m: &brigade::PoolMetrics| m.workers.iter().map(|w| w.jobs_run).sum::<u64>();
    /// assert!(ran(&after) - ran(&before) >= 1000);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn metrics(&self) -> PoolMetrics {
        self.registry.metrics()
    }

    /// The core worker `index` was pinned to by
    /// [`core_pinning`](crate::ThreadPoolBuilder::core_pinning), or `None` if the pool's
    /// workers are not pinned (or `index` is not below the number of workers).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
    /// assert_eq!(pool.worker_core(0), None); // not pinned by default
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn worker_core(&self, index: usize) -> Option<usize> {
        if index == 0 && self.registry.adopted {
            return None; // the thread that built the pool is never pinned
        }
        self.registry.pinned_cores.as_ref()?.get(index).copied()
    }

    /// Runs `func` on this pool without waiting for it. The pool, even once dropped, runs
    /// it before its threads exit. A panic goes to the
    /// [`panic_handler`](ThreadPoolBuilder::panic_handler).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let done = Arc::new(AtomicUsize::new(0));
    /// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
    /// for _ in 0..10 {
    ///     let done = done.clone();
    ///     pool.spawn(move || { done.fetch_add(1, Ordering::SeqCst); });
    /// }
    /// pool.shutdown(); // waits for the spawned work
    /// assert_eq!(done.load(Ordering::SeqCst), 10);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn spawn<F>(&self, func: F)
    where
        F: FnOnce() + Send + 'static,
    {
        spawn_in(&self.registry, func);
    }

    /// Runs `func` on this pool and returns a [`JoinHandle`] for its value (or its panic).
    ///
    /// The task runs in an isolation region of its own (as [`isolate`](crate::isolate())
    /// makes): while it waits for its own work, its worker runs only that work, so the
    /// handle can be joined from inside the pool too ([`JoinHandle::join`] says when not).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
    /// let h = pool.spawn_with_handle(|| "hello".len());
    /// assert_eq!(h.join().unwrap(), 5);
    /// let bad = pool.spawn_with_handle(|| -> usize { panic!("nope") });
    /// assert!(bad.join().is_err());
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn spawn_with_handle<F, T>(&self, func: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        spawn_with_handle_in(&self.registry, func)
    }

    /// Runs `op` once on every worker and returns the results in worker order.
    ///
    /// Each worker runs it when it next looks for work, so a worker busy with a long job
    /// delays the broadcast. The caller waits (working, if it is a worker of this pool).
    ///
    /// # Panics
    ///
    /// If `op` panics on any worker, the first such panic is re-raised here after all
    /// workers have run it.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder().num_threads(4).build()?;
    /// let ids = pool.broadcast(|ctx| ctx.index() * 10);
    /// assert_eq!(ids, vec![0, 10, 20, 30]);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn broadcast<OP, R>(&self, op: OP) -> Vec<R>
    where
        OP: Fn(BroadcastContext<'_>) -> R + Sync,
        R: Send,
    {
        self.registry
            .in_worker(|worker, _| broadcast_on(worker, &op))
    }

    /// Runs `op` once on every worker without waiting for it: each worker runs it when it
    /// next looks for work.
    ///
    /// As with [`spawn`](Self::spawn), a panic in `op` goes to the pool's
    /// [`panic_handler`](crate::ThreadPoolBuilder::panic_handler) (once per worker it
    /// panics on), and [`shutdown`](Self::shutdown) waits for every worker's run. (rayon
    /// aborts the process on such a panic when no handler is set; brigade never does.)
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    ///
    /// let pool = brigade::ThreadPool::builder().num_threads(3).build()?;
    /// let sum = Arc::new(AtomicUsize::new(0));
    /// let s = Arc::clone(&sum);
    /// pool.spawn_broadcast(move |ctx| { s.fetch_add(ctx.index() + 1, Ordering::SeqCst); });
    /// pool.shutdown(); // waits for the broadcast
    /// assert_eq!(sum.load(Ordering::SeqCst), 1 + 2 + 3);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn spawn_broadcast<OP>(&self, op: OP)
    where
        OP: Fn(BroadcastContext<'_>) + Send + Sync + 'static,
    {
        spawn_broadcast_in(&self.registry, op);
    }

    /// Calls `body` once for every item of `source`, in parallel on this pool; see
    /// [`for_each`](crate::for_each).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::Schedule;
    ///
    /// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
    /// let mut v: Vec<u32> = (0..1000).collect();
    /// pool.for_each(&mut v, Schedule::default(), |x| *x *= 2);
    /// assert_eq!(v[999], 1998);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn for_each<S, F>(&self, source: S, schedule: Schedule, body: F)
    where
        S: LoopSource,
        F: Fn(S::Item) + Sync,
    {
        enter(Some(&self.registry), source, schedule, &ForEach(body));
    }

    /// Maps every item of `source` and combines the results in index order, in parallel on
    /// this pool; see [`map_reduce`](crate::map_reduce).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::Schedule;
    ///
    /// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
    /// let words = ["par", "allel", " ", "loops"];
    /// let joined = pool.map_reduce(&words[..], Schedule::Dynamic { chunk: 1 }, String::new,
    ///     |w| w.to_string(), |a, b| a + &b);
    /// assert_eq!(joined, "parallel loops");
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn map_reduce<S, T, ID, M, R>(
        &self,
        source: S,
        schedule: Schedule,
        identity: ID,
        map: M,
        reduce: R,
    ) -> T
    where
        S: LoopSource,
        T: Send,
        ID: Fn() -> T + Sync,
        M: Fn(S::Item) -> T + Sync,
        R: Fn(T, T) -> T + Sync,
    {
        let body = MapReduce {
            identity,
            map,
            reduce,
        };
        enter(Some(&self.registry), source, schedule, &body)
    }

    /// Calls `body` once per piece of `source` as `schedule` cuts it, in parallel on this
    /// pool; see [`for_each_chunk`](crate::for_each_chunk).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::Schedule;
    ///
    /// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
    /// let mut v = vec![1.0f32; 4096];
    /// pool.for_each_chunk(&mut v, Schedule::StaticChunks { chunk: 1024 }, |_start, chunk| {
    ///     let scale = 1.0 / chunk.len() as f32;
    ///     chunk.iter_mut().for_each(|x| *x *= scale);
    /// });
    /// assert_eq!(v[0], 1.0 / 1024.0);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn for_each_chunk<S, F>(&self, source: S, schedule: Schedule, body: F)
    where
        S: LoopSource,
        F: Fn(usize, S::Piece) + Sync,
    {
        enter(Some(&self.registry), source, schedule, &ForEachChunk(body));
    }

    /// The number of worker threads of this pool.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder().num_threads(3).build()?;
    /// assert_eq!(pool.current_num_threads(), 3);
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn current_num_threads(&self) -> usize {
        self.registry.num_threads()
    }

    /// The index of the current thread in this pool, or `None` if it is not one of this
    /// pool's workers.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
    /// assert_eq!(pool.current_thread_index(), None);
    /// assert!(pool.install(|| pool.current_thread_index()).is_some());
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn current_thread_index(&self) -> Option<usize> {
        self.current_worker().map(WorkerThread::index)
    }

    /// Whether the current thread, if it is one of this pool's workers, has queued work of
    /// its own; `None` on any other thread. See
    /// [`current_thread_has_pending_tasks`](crate::current_thread_has_pending_tasks).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
    /// assert_eq!(pool.current_thread_has_pending_tasks(), None);
    /// pool.scope(|s| {
    ///     s.spawn(|_| {});
    ///     assert_eq!(pool.current_thread_has_pending_tasks(), Some(true));
    /// });
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn current_thread_has_pending_tasks(&self) -> Option<bool> {
        self.current_worker().map(WorkerThread::has_local_work)
    }

    /// [`yield_now`](crate::yield_now) for a worker of this pool: runs one job if one is
    /// waiting; `None` on any other thread (a worker of another pool included).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::Yield;
    ///
    /// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
    /// assert_eq!(pool.yield_now(), None); // not on one of its workers
    /// pool.scope(|s| {
    ///     s.spawn(|_| {});
    ///     assert_eq!(pool.yield_now(), Some(Yield::Executed));
    ///     assert_eq!(pool.yield_now(), Some(Yield::Idle));
    /// });
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn yield_now(&self) -> Option<Yield> {
        self.current_worker().map(|w| Yield::from_ran(w.run_one()))
    }

    /// [`yield_local`](crate::yield_local) for a worker of this pool: runs one job of its
    /// own if it has one; `None` on any other thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::Yield;
    ///
    /// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
    /// assert_eq!(pool.yield_local(), None);
    /// assert_eq!(pool.install(|| pool.yield_local()), Some(Yield::Idle));
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn yield_local(&self) -> Option<Yield> {
        self.current_worker()
            .map(|w| Yield::from_ran(w.run_one_local()))
    }

    /// The current thread's worker, if it is one of this pool's.
    fn current_worker(&self) -> Option<&'static WorkerThread> {
        WorkerThread::current().filter(|w| w.registry().same_as(&self.registry))
    }

    /// Lets all queued and spawned work finish, the exit handlers run and the threads end,
    /// and waits for all of it: dropping the pool, then joining its threads. On one of the
    /// pool's own workers (or inside [`block_in_place`](crate::block_in_place) on one) it
    /// returns without waiting, since a thread cannot wait for itself; on another pool's
    /// worker, it runs that pool's work while it waits.
    ///
    /// Do not call it while a spawned task waits for something this thread does afterwards,
    /// or while a start or exit handler does: it waits forever. Dropping the pool does not
    /// wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    ///
    /// let ran = Arc::new(AtomicBool::new(false));
    /// let pool = brigade::ThreadPool::builder().num_threads(1).build()?;
    /// let r = ran.clone();
    /// pool.spawn(move || r.store(true, Ordering::SeqCst));
    /// pool.shutdown();
    /// assert!(ran.load(Ordering::SeqCst));
    /// # Ok::<(), brigade::BuildError>(())
    /// ```
    pub fn shutdown(self) {
        let registry = Arc::clone(&self.registry);
        drop(self);
        wait_for_end(&registry);
    }
}

/// Waits for the pool of `registry`, whose last handle is gone, to end: all its work run,
/// its threads joined (see [`ThreadPool::shutdown`]).
fn wait_for_end(registry: &Arc<Registry>) {
    match WorkerThread::current() {
        // A thread cannot join itself: the workers finish all work and exit on their own.
        Some(worker) if worker.registry().same_as(registry) => {}
        // On another pool's worker: wait by working, so that pool keeps running.
        Some(worker) => registry.join_threads_from(worker),
        // In `block_in_place` on one of this pool's workers: as on the worker itself.
        None if WorkerThread::lends_a_worker_of(registry) => {}
        // Also after the drop of a `use_current_thread` pool on its thread, which has
        // run the work and stopped being a worker.
        None => registry.join_threads(),
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        // The last handle's drop sets the workers' `terminate` latches once no spawned job
        // is left (`Registry::decrement_live`); they wind down behind it.
        self.registry.decrement_live();
        if let Some(worker) = WorkerThread::current()
            && worker.adopted_by(&self.registry)
        {
            // This thread built the pool (`use_current_thread`): it waits for the work by
            // running it, then stops being a worker.
            worker.retire_adopted();
        }
        // Under miri only, the drop waits as `shutdown` does: miri reports a thread still
        // running when `main` returns, and the test binaries drop pools in every test.
        if cfg!(miri) {
            wait_for_end(&self.registry);
        }
    }
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPool")
            .field("num_threads", &self.registry.num_threads())
            .finish_non_exhaustive()
    }
}
