//! Isolation: a worker that waits inside an isolated region runs only that region's tasks.
//!
//! # The hazard
//!
//! A worker that waits (for a stolen `join` half, a scope, a `brigade::sync` primitive) runs
//! other tasks meanwhile, on its own stack. If the waiting task holds a lock, and the task it
//! picks up takes the same lock, the worker deadlocks on itself: the lock's holder is below
//! on the same stack and cannot resume until the task on top returns (rayon issues #592 and
//! #1251). The same happens with a `OnceLock` whose initializer uses the pool, and a task
//! picked up meanwhile wants the same `OnceLock`. oneTBB's answer is `this_task_arena::
//! isolate`, and so is ours: [`isolate`] runs a closure in a fresh *region*, and while a
//! worker waits inside a region it only runs tasks spawned inside that region.
//!
//! # How it works
//!
//! - Every job carries the region it was spawned in (`JobRef::region`; the deque keeps it
//!   as the tag beside each item). A worker's current region is the one it entered last
//!   and has not left: an `isolate` call, or a job of a region it is running.
//! - A worker outside every region may run any job; running a job of region `r` puts it in
//!   `r` until the job returns, so the job's own waits are isolated too, whichever worker
//!   runs it. A worker inside region `r` runs only jobs of `r`:
//!   - from its own deque, only jobs pushed since it entered `r` (above the *floor*, the
//!     deque's bottom index at entry): they are `r`'s, or of regions nested in `r`;
//!   - from other deques, the oldest job only if its tag is `r` (`Stealer::steal_if_tag`
//!     reads the tag before it claims the job, so a job of another region stays where it
//!     is), one job per steal;
//!   - from its own deque below the floor, when nothing else is found: a job of `r` can sit
//!     there under jobs of other regions, where no `pop` reaches it (in a pool of one, nobody
//!     else would take it either). The waiter takes the whole deque, sends the jobs of other
//!     regions to the injector, runs the newest of `r`'s and pushes the others back
//!     (`WorkerThread::uncover_own_jobs_of`);
//!   - from its inbox and the injector, the first job of `r`, if any.
//! - Entering a region publishes the worker's unpublished `join` halves first, so that none
//!   from outside the region can be published above the floor later. If the deque is full and
//!   some stay unpublished, the worker publishes none while in the region (it keeps them all
//!   private instead of mixing outer ones into the region's part of the deque).
//! - A worker waiting in a region does not count as a searching worker in the sleep protocol
//!   (`sleep/`): it cannot take every job, so it must not stop an idle worker from being
//!   woken for a job it would not take. When it finds nothing of its region it spins
//!   briefly, then parks until its wait is released (or a job is sent to its inbox), as
//!   oneTBB's waiting threads do; it is not woken for new jobs meanwhile. No job is ever
//!   left without a worker: a job of region `r` is taken by its own worker, by an idle worker
//!   outside every region, or by a waiter in `r`.
//!
//! - A plain thread (not a worker) can be in a region too, while it runs an [`isolate`]
//!   closure or an `OnceCell` initializer: it runs the closure itself, and the jobs it sends
//!   into a pool meanwhile (`install`, `scope`, `join`, `spawn` from outside) belong to the
//!   region, so the workers that run them are isolated.
//!
//! # Task regions
//!
//! A task started with `spawn_with_handle` runs in a *task region* of its own
//! (`Region::fresh_task`, entered in `spawn.rs` wherever the task starts: on the worker that
//! took its job, or on a worker that joins the handle first). Without one, code that joins the
//! handle could end up above a piece of the task on one worker's stack: a worker waiting in
//! the stolen second half of one of the task's `join`s picked up, say, an `install` job that
//! joins the handle. The task then waits for that half, whose frame cannot resume before the
//! join above it returns. In its region, the task's waits, and those of its pieces wherever
//! they run, take only the task's own work (and that of regions entered inside it), so a
//! frame of the task is only ever covered by the task's own work. Only code of the task's
//! own that joins the task's handle can still wait for itself, as a thread that joins itself
//! does.
//!
//! A task region differs from an `isolate` region in that it confines only the task's waits
//! for its own work in its own pool:
//!
//! - A `brigade::sync` wait, a wait for a call into another pool and a join of another pool's
//!   handle run in the isolation *around* the task (`WorkerThread::in_sync_place`): outside
//!   every region, unless the task started inside an `isolate` region (or an `OnceCell`
//!   initializer). A `Latch` may be set by any task of the pool, which on a 1-thread pool the
//!   waiting worker must run itself; two pools whose workers all wait in tasks of theirs,
//!   each for a call into the other, must run those calls. Such a wait can cover a frame of
//!   the task with unrelated work again: the hazard every `brigade::sync` wait has
//!   (`docs/sync.md`). The stand-in of a `block_in_place` inside the task stays in the task
//!   region, as inside `isolate`: `block_in_place` is how a task waits for I/O, and a stand-in
//!   that ran any job would often run the code that joins the task, on the task's worker.
//! - The region around the task is the same wherever a piece of the task runs
//!   (`Region::around_task` finds it through the nesting links below): a thief outside every
//!   region that runs a piece of a task started inside an `isolate` region waits, and sends
//!   calls into other pools, inside that `isolate` region, as the task's own worker would.
//! - A task region stays in its pool: a job a worker sends into another pool belongs to the
//!   region around its task (`Region::for_job_into`), so the other pool's workers, which may
//!   all wait inside that region, can run it.
//!
//! # The chain of regions a thread is in
//!
//! Regions nest on a thread's stack: an `isolate` inside an initializer, a job of region `r`
//! run by a worker (which puts it in `r`), an initializer or a region inside that job. The
//! `OnceCell` re-entry check needs every enclosing region, not only the innermost one: an
//! initializer whose region encloses the caller, at any depth, is below it on the stack or
//! waits for the job the caller runs, and can never finish before it. Each entry through
//! [`enter`] (every `isolate`, `ThreadPool::isolate`, `OnceCell` initializer and
//! waiter) keeps an `Entered` record in its own stack frame, linked to the previous one, with
//! the region it enters and the region the thread was in just before (on a worker that may
//! be a region it entered by running a job, without passing here). A thread is inside
//! region `r` if `r` is its current region or in one of these records. Entering costs a few
//! thread-local accesses and no allocation, at any depth; the check walks the records (as
//! many as the nesting is deep) and runs only when a cell is found with its initializer
//! running.
//!
//! A worker that runs a job of another region (`WorkerThread::execute_in_region`) enters it
//! through [`enter`] too, so those entries are in the chain as well.
//!
//! Across threads, where a region nests is recorded once, by its first entry, where it is
//! made (`nesting` below): later entries, by a worker running one of its jobs or an
//! `OnceCell` waiter, add no link. Such a worker is in a region that encloses the job's, so
//! a link from there would skip the regions in between: a task's `brigade::sync` waits would
//! then run in an outer region, and could take work that waits for the task itself (the
//! liveness fuzzer found that hang: a caller of an `OnceCell` whose initializer waited for
//! the task, run on top of the task's `Latch` wait).
//!
//! Nothing of this runs on the fast path of a worker outside every region but one compare
//! per job run and one per search for work.

use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::pool::{Registry, WorkerThread};

/// One entry of this thread into a region through [`enter`]: lives in that call's
/// frame for as long as the thread is in the region (see "The chain of regions" above).
struct Entered {
    /// The region entered.
    region: Region,
    /// The region the thread was in just before: on a worker, possibly one it entered by
    /// running a job, which has no record of its own.
    from: Region,
    /// The entry before this one, or null.
    outer: *const Entered,
}

// Not `std::thread_local!` under loom: loom runs its threads on one OS thread, where std's
// thread-locals would be shared between them.
#[cfg(not(loom))]
thread_local! {
    /// This thread's innermost [`Entered`], or null. Set only by `enter`, which
    /// puts back the previous value before its frame ends (also when unwinding).
    static INNERMOST: Cell<*const Entered> = const { Cell::new(ptr::null()) };
}
#[cfg(loom)]
loom::thread_local! {
    static INNERMOST: Cell<*const Entered> = Cell::new(ptr::null());
}

// This thread's unused region ids: the next one, and the end of its block (`Region::next_id`).
// A plain `thread_local!` under loom too: ids only need to be distinct, and loom's threads,
// which share one OS thread, then share the block.
thread_local! {
    static IDS: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// This thread's chain of region entries, to hand to a thread that carries on this one's
/// work while it is blocked (`WorkerThread::on_fresh_stack`).
pub(crate) struct Chain(*const Entered);

// SAFETY: the records live in frames of the blocked thread, which neither returns nor
// changes them while the receiving thread uses them (it is blocked until that thread ends).
unsafe impl Send for Chain {}

impl Chain {
    /// The current thread's chain.
    pub(crate) fn current() -> Chain {
        Chain(INNERMOST.with(Cell::get))
    }

    /// Runs `f` with this chain as the current thread's (a fresh thread's, empty until now),
    /// then empties it again.
    pub(crate) fn adopt<R>(self, f: impl FnOnce() -> R) -> R {
        struct Reset;
        impl Drop for Reset {
            fn drop(&mut self) {
                INNERMOST.with(|innermost| innermost.set(ptr::null()));
            }
        }
        INNERMOST.with(|innermost| innermost.set(self.0));
        let _reset = Reset;
        f()
    }
}

/// Whether `f` holds for one of this thread's entries, innermost first.
fn any_entered(mut f: impl FnMut(&Entered) -> bool) -> bool {
    let mut at = INNERMOST.with(Cell::get);
    // SAFETY: every pointer in the chain points to an `Entered` in the frame of an
    // `enter` call of this thread that has not returned: the call publishes it
    // before running its closure and restores the previous pointer (also when unwinding)
    // before its frame ends. Calls nest, so each `outer` is older and also live; the
    // records are never written after they are published, and only this thread reads them.
    while let Some(entered) = unsafe { at.as_ref() } {
        if f(entered) {
            return true;
        }
        at = entered.outer;
    }
    false
}

/// An isolation region, or none. Ids are never reused, so a detached task that outlives its
/// region can never be mistaken for a task of a later one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Region(usize);

impl Region {
    /// Outside every region.
    pub(crate) const NONE: Region = Region(0);

    /// A region that no job belongs to yet.
    pub(crate) fn fresh() -> Region {
        Region(Self::next_id())
    }

    /// A fresh *task region*: the region a task with a handle runs in (see "Task regions"
    /// above). Its ids are odd, the other regions' even.
    pub(crate) fn fresh_task() -> Region {
        Region(Self::next_id() | 1)
    }

    /// A distinct even id, never 0. Each thread takes ids from the shared counter in blocks
    /// of `ID_BLOCK`, so that threads starting many tasks with handles at once do not all
    /// write the counter's cache line for each.
    fn next_id() -> usize {
        const ID_BLOCK: usize = 1024;
        // Not through the loom facade: a counter that only hands out distinct ids is not
        // part of any protocol. Relaxed: only uniqueness matters; 2^63 ids never wrap.
        static NEXT: AtomicUsize = AtomicUsize::new(1);
        let id = IDS.with(|ids| {
            let (next, end) = ids.get();
            let (next, end) = if next < end {
                (next, end)
            } else {
                let start = NEXT.fetch_add(ID_BLOCK, Ordering::Relaxed);
                (start, start + ID_BLOCK)
            };
            ids.set((next + 1, end));
            next
        });
        id << 1
    }

    #[inline]
    pub(crate) fn is_none(self) -> bool {
        self == Region::NONE
    }

    /// A short description for diagnostics: `none`, or the id, whether it is a task region,
    /// and the live regions it was entered inside, innermost first.
    pub(crate) fn describe(self) -> String {
        if self.is_none() {
            return "none".to_owned();
        }
        let mut text = format!("r{}{}", self.0, if self.is_task() { " (task)" } else { "" });
        let mut at = self;
        for _ in 0..8 {
            match nesting::outer_of(at) {
                Some(outer) => {
                    text.push_str(&format!(" in r{}", outer.0));
                    at = outer;
                }
                None => break,
            }
        }
        text
    }

    /// The region a task region's `brigade::sync` waits run in, wherever a piece of the task
    /// runs: the innermost region around the task that is not a task region, found through
    /// the links of live nested regions (none if the task started outside every region, or
    /// has ended). Any other region is its own.
    pub(crate) fn around_task(self) -> Region {
        let mut at = self;
        for _ in 0..nesting::MAX_STEPS {
            if !at.is_task() {
                return at;
            }
            match nesting::outer_of(at) {
                Some(outer) => at = outer,
                None => return Region::NONE,
            }
        }
        Region::NONE
    }

    /// True for a task region (`fresh_task`), whose `brigade::sync` waits run in the region
    /// around the task (`around_task`), not in the task region itself.
    #[inline]
    pub(crate) fn is_task(self) -> bool {
        self.0 & 1 == 1
    }

    /// The deque tag for jobs of this region.
    #[inline]
    pub(crate) fn tag(self) -> usize {
        self.0
    }

    /// The region of a deque tag.
    #[inline]
    pub(crate) fn from_tag(tag: usize) -> Region {
        Region(tag)
    }

    /// True if a job of this region may run in a wait inside `outer`: it is `outer`, or a
    /// region entered while inside `outer` (at any depth) that has not ended yet. A region
    /// nested in `outer` is `outer`'s own work, so running it cannot take anything `outer`'s
    /// waiter holds that `outer`'s own jobs could not; without this, a job of a nested
    /// region sent into another pool whose workers all wait inside `outer` found nobody.
    #[inline]
    pub(crate) fn within(self, outer: Region) -> bool {
        self == outer || (!outer.is_none() && nesting::is_inside(self, outer))
    }

    /// The innermost region of the current thread: a worker's, or a plain thread's (for the
    /// jobs it injects into a pool).
    pub(crate) fn current() -> Region {
        match WorkerThread::current() {
            Some(worker) => worker.region(),
            None => {
                // A plain thread enters regions only through `enter`.
                let mut innermost = Region::NONE;
                any_entered(|entered| {
                    innermost = entered.region;
                    true
                });
                innermost
            }
        }
    }

    /// The region of a job the current thread sends into `registry`: its own region
    /// (`current`), except that a task region stays in its pool: a worker of another pool
    /// sends its jobs in the region around its task (see "Task regions" above).
    pub(crate) fn for_job_into(registry: &Registry) -> Region {
        match WorkerThread::current() {
            Some(worker) if !worker.registry().same_as(registry) => worker.sync_region(),
            _ => Region::current(),
        }
    }

    /// Whether the current thread is inside this region at any depth: its current region,
    /// or one it is nested in (see "The chain of regions" above).
    #[cold]
    pub(crate) fn encloses_current_thread(self) -> bool {
        !self.is_none()
            && (Region::current() == self
                || any_entered(|entered| entered.region == self || entered.from == self))
    }
}

/// Runs `f` in `region`, a region entered before (and perhaps still live elsewhere), on the
/// current thread: to run one of its jobs, or to wait for an `OnceCell` initializer running
/// in it. A worker enters the region (its waits run only the region's jobs); a plain thread
/// runs `f` directly, and the jobs it sends into a pool meanwhile belong to the region.
/// Either way the entry is recorded in the thread's chain of regions until `f` returns. It
/// adds no nesting link: the region nests where it was made (see `in_new_region`).
pub(crate) fn in_region_here<R>(region: Region, f: impl FnOnce() -> R) -> R {
    enter(region, Entry::Again, f)
}

/// `in_region_here` for the first entry into `region`, just made by `Region::fresh` (an
/// `isolate` call, an `OnceCell` initializer): it also records that `region` nests in the
/// thread's current region, for as long as this entry lasts.
pub(crate) fn in_new_region<R>(region: Region, f: impl FnOnce() -> R) -> R {
    enter(region, Entry::New, f)
}

/// Runs `f` (a task with a handle, starting here) in a fresh task region on this worker (see
/// "Task regions" above).
pub(crate) fn in_new_task_region<R>(f: impl FnOnce() -> R) -> R {
    enter(Region::fresh_task(), Entry::NewTask, f)
}

/// How a thread enters a region (`enter`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// The region's first entry, where it is made: it nests in the thread's current region.
    New,
    /// A fresh task region entered by the task itself, around which this worker already is
    /// (so no lookup is needed); it nests as `New` does.
    NewTask,
    /// A later entry: to run a job of the region, or to wait for an initializer in it. The
    /// thread's current region then encloses the region (a worker takes only jobs of regions
    /// nested in its own) or is unrelated to it (an `OnceCell` waiter); either way a link
    /// from here would hide where the region really nests, and `Region::around_task` and
    /// `Region::within` would answer for the wrong region while this entry lasts.
    Again,
}

/// Enters `region` on this thread for the length of `f` (see "The chain of regions" above).
fn enter<R>(region: Region, entry: Entry, f: impl FnOnce() -> R) -> R {
    let worker = WorkerThread::current();
    let entered = Entered {
        region,
        from: worker.map_or(Region::NONE, WorkerThread::region),
        outer: INNERMOST.with(Cell::get),
    };
    /// Puts back the previous innermost entry when the frame of `entered` ends.
    struct Leave(*const Entered);
    impl Drop for Leave {
        fn drop(&mut self) {
            INNERMOST.with(|innermost| innermost.set(self.0));
        }
    }
    // Declared after `entered`, so dropped (unpublishing it) before it.
    let _leave = Leave(entered.outer);
    let _nested = if entry == Entry::Again {
        None
    } else {
        let outer = Region::current();
        (!outer.is_none()).then(|| nesting::Link::new(region, outer))
    };
    INNERMOST.with(|innermost| innermost.set(&entered));
    match worker {
        Some(worker) => worker.in_region(region, entry == Entry::NewTask, f),
        None => f(),
    }
}

/// Runs `f` on the calling thread in a fresh isolation region and returns what `f` returns:
/// while a worker waits inside `f` (for a `join` half, a scope, a parallel loop, a
/// [`brigade::sync`](crate::sync) primitive), it runs only tasks spawned inside `f`, never
/// unrelated tasks queued outside it.
///
/// Use it where a task holds something across a wait that another task of the pool may
/// want: a lock held across a parallel loop, a lazy value being initialized (see
/// [`OnceCell`](crate::sync::OnceCell), which isolates its initializer itself). Without
/// isolation, the waiting worker may pick up a task that takes the same lock, on its own
/// stack, above the frame that holds it: a deadlock (rayon issues #592, #1251). Tasks spawned
/// inside `f` are isolated wherever they run: a worker that steals one runs only tasks of
/// the region while it waits inside it.
///
/// Isolation costs parallelism only where it has to: workers outside the region still steal
/// and run its tasks. A worker waiting inside a region helps with the region's tasks at the
/// top of other workers' deques and parks when there are none, instead of running other
/// work. Regions nest: inside an inner region, only the inner region's tasks run.
///
/// On a thread outside every pool, `f` runs right there too (it uses no pool by itself): the
/// jobs it sends into a pool (`install`, `scope`, `join`, `spawn`, the loop functions) belong
/// to the region, so the workers that run them are isolated while they wait. As `f` never
/// leaves the calling thread, neither it nor its result need be `Send`.
/// [`ThreadPool::isolate`](crate::ThreadPool::isolate) runs `f` on a worker of that pool
/// instead, and needs both.
///
/// # Limits
///
/// A worker waiting inside a region runs only the region's tasks (and those of regions
/// entered inside it), so a wait inside `f` must not depend on work that only such a worker
/// could run outside the region. In particular, two pools whose every worker waits inside a
/// *different* region, each for work it sent into the other pool, deadlock: keep calls into
/// other pools out of isolated code, or give those pools a worker that is not waiting in a
/// region.
///
/// # Panics
///
/// A panic in `f` propagates to the caller, after the region's tasks have finished as usual.
///
/// # Examples
///
/// The rayon #592 pattern: each outer task holds a lock across an inner parallel loop. With
/// `isolate`, a worker waiting for the inner loop never starts another outer task, which
/// would block on the lock its own stack holds.
///
/// ```
/// use brigade::Schedule;
/// use std::sync::Mutex;
///
/// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
/// let totals = Mutex::new(0u64);
/// pool.install(|| {
///     brigade::for_each(0..8u64, Schedule::default(), |i| {
///         let mut total = totals.lock().unwrap();
///         // Held across the inner loop: isolate it.
///         let sum = brigade::isolate(|| {
///             brigade::map_reduce(0..1000u64, Schedule::default(), || 0, |j| i * j, |a, b| a + b)
///         });
///         *total += sum;
///     });
/// });
/// assert_eq!(totals.into_inner().unwrap(), 28 * 499_500);
/// # Ok::<(), brigade::BuildError>(())
/// ```
///
/// On a plain thread, with a closure that is not `Send` (it holds an `Rc`):
///
/// ```
/// use std::rc::Rc;
///
/// let pool = brigade::ThreadPool::builder().num_threads(2).build()?;
/// let local = Rc::new(vec![1u64, 2, 3]);
/// let (total, worker) = brigade::isolate(|| {
///     // Runs on this thread; the job sent into the pool belongs to the region.
///     let (a, b) = pool.install(|| brigade::join(|| 10, || 20));
///     (local.iter().sum::<u64>() + a + b, brigade::current_thread_index())
/// });
/// assert_eq!(total, 36);
/// assert_eq!(worker, None);
/// # Ok::<(), brigade::BuildError>(())
/// ```
pub fn isolate<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    in_new_region(Region::fresh(), f)
}

/// Which live regions were made inside which (for [`Region::within`]). Only regions whose
/// first entry was made while the thread was already inside one are listed, while that entry
/// lasts (later entries add no link: see "The chain of regions" above): none unless
/// regions nest, which tasks with handles started inside such tasks do (`spawn.rs`). The
/// list is split by the inner region's id over `SHARDS` locks, so that workers entering and
/// leaving nested regions at once (a recursion of tasks with handles) seldom meet on a lock,
/// and a lookup holds one shard at a time.
mod nesting {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crossbeam_utils::CachePadded;

    use super::Region;

    /// How many locks the links are spread over.
    const SHARDS: usize = 64;
    /// The most links `is_inside` follows.
    pub(super) const MAX_STEPS: usize = 1 << 16;

    /// One shard: `(inner, outer)` pairs of live nested regions, and how many there are
    /// (which lets a lookup skip the lock when the shard is empty). Not through the loom
    /// facade: a lookup table, not part of any protocol (a lookup that misses a link only
    /// withholds a job from an outer waiter, which its own workers still run).
    struct Shard {
        links: Mutex<Vec<(Region, Region)>>,
        count: AtomicUsize,
    }

    static TABLE: [CachePadded<Shard>; SHARDS] = [const {
        CachePadded::new(Shard {
            links: Mutex::new(Vec::new()),
            count: AtomicUsize::new(0),
        })
    }; SHARDS];

    fn shard(inner: Region) -> &'static Shard {
        // Ids are handed out in order (two per region: see `Region::next_id`), so the low
        // bits above the task bit spread consecutive regions over every shard.
        &TABLE[(inner.0 >> 1) % SHARDS]
    }

    /// One link, listed while it lives (for as long as the inner region's entry).
    pub(super) struct Link(Region);

    impl Link {
        pub(super) fn new(inner: Region, outer: Region) -> Link {
            let shard = shard(inner);
            let mut links = shard.links.lock().unwrap_or_else(|e| e.into_inner());
            links.push((inner, outer));
            // Relaxed: a hint; the lock orders the list itself.
            shard.count.store(links.len(), Ordering::Relaxed);
            Link(inner)
        }
    }

    impl Drop for Link {
        fn drop(&mut self) {
            let shard = shard(self.0);
            let mut links = shard.links.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(at) = links.iter().rposition(|&(inner, _)| inner == self.0) {
                links.swap_remove(at);
            }
            shard.count.store(links.len(), Ordering::Relaxed);
        }
    }

    /// The region `inner` was entered inside, if it is a live nested region.
    pub(super) fn outer_of(inner: Region) -> Option<Region> {
        let shard = shard(inner);
        if shard.count.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let links = shard.links.lock().unwrap_or_else(|e| e.into_inner());
        links
            .iter()
            .rev()
            .find(|&&(i, _)| i == inner)
            .map(|&(_, outer)| outer)
    }

    /// True if `inner` was entered inside `outer`, at any depth, and is still live.
    pub(super) fn is_inside(inner: Region, outer: Region) -> bool {
        let mut at = inner;
        // Each step goes to a region that was live when `at` was entered inside it, so the
        // walk ends at a region entered inside none. The bound only guards against a cycle
        // no nesting could make; a miss withholds a job, never loses it.
        for _ in 0..MAX_STEPS {
            match outer_of(at) {
                Some(o) if o == outer => return true,
                Some(o) => at = o,
                None => return false,
            }
        }
        false
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::mpsc;

    use super::*;

    /// A thread that takes a job of a nested region enters that region again, from wherever
    /// it is (here, an outer region): the region still nests where it was made. (A re-entry
    /// from the outer region once hid the middle one, so a task's `brigade::sync` waits ran
    /// in the outer region and took work that waited for the task: the liveness fuzzer's
    /// seed 4460089782675700321.)
    #[test]
    fn entering_a_region_again_keeps_where_it_nests() {
        let (to_thief, from_owner) = mpsc::channel();
        let (to_owner, from_thief) = mpsc::channel();
        let thief = std::thread::spawn(move || {
            let (outer, task): (Region, Region) = from_owner.recv().unwrap();
            let seen = in_region_here(outer, || in_region_here(task, || task.around_task()));
            to_owner.send(seen).unwrap();
        });
        isolate(|| {
            let outer = Region::current();
            isolate(|| {
                let middle = Region::current();
                in_new_task_region(|| {
                    let task = Region::current();
                    assert!(task.is_task());
                    to_thief.send((outer, task)).unwrap();
                    // The regions stay live until the thief is done with them.
                    let seen_by_thief = from_thief.recv().unwrap();
                    assert_eq!(
                        seen_by_thief, middle,
                        "the thief's entry hid the middle region"
                    );
                    assert_eq!(task.around_task(), middle);
                    assert!(task.within(middle) && task.within(outer));
                });
            });
        });
        thief.join().unwrap();
    }
}
