//! Internal latches: one-shot signals that a waiter polls while it keeps working.
//!
//! # The sleep handshake
//!
//! A worker that waits for a latch runs other jobs meanwhile and, when it finds none, goes to
//! sleep. [`CoreLatch::state`] is the handshake that makes sure the setter wakes it:
//!
//! - the waiter moves `UNSET -> SLEEPING` (CAS) before it blocks, and only blocks if that CAS
//!   succeeded;
//! - the setter moves the state to `SET` with a swap, and wakes the waiter iff the swap
//!   returned `SLEEPING`.
//!
//! Both are read-modify-writes of one location, so one of them comes first in its
//! modification order: either the waiter's CAS fails (it sees `SET` and does not block), or
//! the setter's swap sees `SLEEPING` and wakes it. No wake-up is lost. The loom model at the
//! bottom of `sleep/mod.rs` checks this together with the sleep protocol.
//!
//! # Lifetime
//!
//! A latch usually lives in the waiter's stack frame. The waiter may return, and free it, the
//! moment it observes `SET`, so `set` copies everything it needs *before* the swap and touches
//! nothing of the latch afterwards. That is why `set` takes a raw pointer.

use std::sync::Arc as StdArc;

use crossbeam_utils::CachePadded;

use crate::loom::blocking::{Condvar, Mutex};
use crate::loom::{AtomicUsize, Ordering};
use crate::pool::Registry;

/// A latch that can be set once, by any thread.
pub(crate) trait Latch {
    /// Sets the latch, waking its waiter if it sleeps.
    ///
    /// # Safety
    /// `this` must be valid on entry. It may be freed by the waiter during the call, so the
    /// implementation must not touch it after the state becomes `SET`.
    unsafe fn set(this: *const Self);
}

/// A latch that a worker can wait for by working: it exposes its [`CoreLatch`].
pub(crate) trait AsCoreLatch {
    fn as_core_latch(&self) -> &CoreLatch;
}

/// Nobody has set the latch, and the waiter is awake.
const UNSET: usize = 0;
/// The waiter is (about to be) blocked and must be woken by whoever sets the latch.
const SLEEPING: usize = 1;
/// Set; final.
const SET: usize = 2;

/// The state machine shared by the latches that workers wait for.
#[derive(Debug)]
pub(crate) struct CoreLatch {
    /// `UNSET`, `SLEEPING` or `SET` (see the module docs).
    state: AtomicUsize,
}

impl CoreLatch {
    pub(crate) fn new() -> Self {
        CoreLatch {
            state: AtomicUsize::new(UNSET),
        }
    }

    /// True once set. Acquire: pairs with the Release in `set`, so what the setter wrote
    /// before setting (a job's result) is visible.
    #[inline]
    pub(crate) fn probe(&self) -> bool {
        self.state.load(Ordering::Acquire) == SET
    }

    /// The waiter announces that it is going to block. False if the latch is already set.
    #[inline]
    pub(crate) fn fall_asleep(&self) -> bool {
        // Relaxed suffices: the decision rests on the atomicity of this RMW against the
        // setter's swap, not on other memory.
        self.state
            .compare_exchange(UNSET, SLEEPING, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }

    /// The waiter is awake again; a setter no longer needs to wake it.
    #[inline]
    pub(crate) fn wake_up(&self) {
        let _ = self
            .state
            .compare_exchange(SLEEPING, UNSET, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Sets the latch; true if the waiter was asleep and must be woken.
    ///
    /// # Safety
    /// As [`Latch::set`]: `this` may be freed as soon as the swap is done.
    #[inline]
    pub(crate) unsafe fn set(this: *const Self) -> bool {
        // SAFETY: valid on entry by the caller's contract; not touched after the swap.
        // AcqRel: Release publishes the result to `probe`; Acquire orders our later wake-up
        // after the waiter's announcement.
        unsafe { (*this).state.swap(SET, Ordering::AcqRel) == SLEEPING }
    }
}

impl AsCoreLatch for CoreLatch {
    fn as_core_latch(&self) -> &CoreLatch {
        self
    }
}

/// The latch of a job that a worker waits for (a `join` half, a cross-pool `install`).
pub(crate) struct SpinLatch<'r> {
    core: CoreLatch,
    /// The registry of the waiting worker.
    registry: &'r StdArc<Registry>,
    /// The waiting worker's index, to wake it.
    target_worker: usize,
    /// True when the setter may be a worker of another registry, which then must keep the
    /// waiter's registry alive while it wakes the waiter.
    cross: bool,
}

impl<'r> SpinLatch<'r> {
    pub(crate) fn new(registry: &'r StdArc<Registry>, target_worker: usize) -> Self {
        SpinLatch {
            core: CoreLatch::new(),
            registry,
            target_worker,
            cross: false,
        }
    }

    pub(crate) fn cross(registry: &'r StdArc<Registry>, target_worker: usize) -> Self {
        SpinLatch {
            cross: true,
            ..SpinLatch::new(registry, target_worker)
        }
    }

    #[inline]
    pub(crate) fn probe(&self) -> bool {
        self.core.probe()
    }
}

impl AsCoreLatch for SpinLatch<'_> {
    fn as_core_latch(&self) -> &CoreLatch {
        &self.core
    }
}

impl Latch for SpinLatch<'_> {
    #[inline]
    unsafe fn set(this: *const Self) {
        // SAFETY: `this` is valid until the swap inside `CoreLatch::set`; everything needed
        // afterwards is copied out first. The registry outlives the latch: it is borrowed
        // from the waiting worker, and in the cross case we hold our own `Arc`.
        unsafe {
            let cross_registry;
            let registry: &Registry = if (*this).cross {
                cross_registry = StdArc::clone((*this).registry);
                &cross_registry
            } else {
                (*this).registry
            };
            let target = (*this).target_worker;
            if CoreLatch::set(&(*this).core) {
                registry.wake_worker(target);
            }
        }
    }
}

/// A latch for a thread outside every pool (`install` from a plain thread). The waiter spins
/// briefly, since short pool calls finish within microseconds and a futex wake-up costs tens
/// of them (yielding its CPU between looks after `LOCK_LATCH_YIELD_AFTER`), then blocks on
/// a condition variable.
///
/// `state` follows the [`CoreLatch`] handshake: the waiter moves `UNSET -> SLEEPING` under the
/// mutex before it waits; the setter swaps in `SET` and touches the mutex only if it saw
/// `SLEEPING`. A waiter that sees `SET` while spinning may return (and reuse or free the
/// latch) at once, because the setter then never touches the mutex.
#[derive(Debug)]
pub(crate) struct LockLatch {
    state: AtomicUsize,
    lock: Mutex<()>,
    cond: Condvar,
}

/// How long a waiter spins before it blocks.
const LOCK_LATCH_SPIN: std::time::Duration = std::time::Duration::from_micros(20);
/// After this long, the spinning waiter also yields its CPU between looks. Never yielding
/// made an empty `install` beside a CPU-bound process take 30 µs on 2 cores, the whole spin
/// plus a wake-up, because the worker had been queued on the waiter's CPU (16 µs with
/// this, rayon 10.5 µs). Yielding from the start got that to 4.5 µs, but slowed a
/// 1,023-node tree sum through `install` on 2 threads in the `shapes` bench from 0.20x
/// serial to 0.08x-0.13x; with this it reads 0.21x.
const LOCK_LATCH_YIELD_AFTER: std::time::Duration = std::time::Duration::from_micros(10);

impl LockLatch {
    pub(crate) fn new() -> Self {
        LockLatch {
            state: AtomicUsize::new(UNSET),
            lock: Mutex::new(()),
            cond: Condvar::new(),
        }
    }

    /// Blocks until the latch is set.
    pub(crate) fn wait(&self) {
        // Acquire: pairs with the setter's AcqRel swap; what it wrote before is visible.
        if self.state.load(Ordering::Acquire) == SET {
            return;
        }
        let start = std::time::Instant::now();
        // Not under loom: a spin bounded by the clock is not a protocol step, and would make
        // every model explore each spin.
        while !cfg!(loom) {
            let spun = start.elapsed();
            if spun >= LOCK_LATCH_SPIN {
                break;
            }
            for _ in 0..32 {
                crate::loom::spin_loop();
            }
            if self.state.load(Ordering::Acquire) == SET {
                return;
            }
            if spun >= LOCK_LATCH_YIELD_AFTER {
                // The worker that runs the job may be queued on this thread's CPU (another
                // process holding the other one): let it run.
                std::thread::yield_now();
            }
        }
        let mut guard = self.lock.lock();
        // Acquire on failure: the latch is set; see the load above.
        if self
            .state
            .compare_exchange(UNSET, SLEEPING, Ordering::Acquire, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        while self.state.load(Ordering::Acquire) != SET {
            self.cond.wait(&mut guard);
        }
    }

    /// Makes a set latch unset again, for reuse by the same waiter.
    pub(crate) fn reset(&self) {
        self.state.store(UNSET, Ordering::Relaxed);
    }
}

impl Latch for LockLatch {
    unsafe fn set(this: *const Self) {
        // SAFETY: valid on entry. After the swap the waiter may return; if it does not (it
        // is `SLEEPING`), it cannot return before we release the mutex, our last access.
        unsafe {
            // AcqRel: Release publishes the job's result; Acquire orders the wake-up below
            // after the waiter's announcement.
            if (*this).state.swap(SET, Ordering::AcqRel) == SLEEPING {
                let _guard = (*this).lock.lock();
                (*this).cond.notify_all();
            }
        }
    }
}

/// Counts outstanding pieces of work (a scope's jobs, a broadcast's workers) until it reaches
/// zero. Its owner waits for that: a worker, working meanwhile (`WorkerThread::wait_until`),
/// or a thread outside every pool, blocked (`wait_blocking`; an `in_place_scope` there).
pub(crate) struct CountLatch {
    counter: CachePadded<AtomicUsize>,
    owner: Owner,
}

/// Who waits for a [`CountLatch`], and how the last unit wakes it.
enum Owner {
    /// Worker `index` of `registry`, waiting on `core` in its pool's sleep protocol.
    Worker {
        core: CoreLatch,
        registry: StdArc<Registry>,
        index: usize,
    },
    /// A thread outside every pool, blocked on the lock latch. The setter holds its own
    /// reference while it sets: once the state is `SET` the owner may return and free the
    /// count latch while the setter is still inside `set`, releasing the lock latch's mutex
    /// (as for `install`'s latch in `pool/registry.rs`, where miri caught it).
    Thread(StdArc<LockLatch>),
}

impl CountLatch {
    /// A latch with `count` outstanding units, waited for by worker `owner` of `registry`.
    pub(crate) fn new(count: usize, registry: StdArc<Registry>, owner: usize) -> Self {
        CountLatch {
            counter: CachePadded::new(AtomicUsize::new(count)),
            owner: Owner::Worker {
                core: CoreLatch::new(),
                registry,
                index: owner,
            },
        }
    }

    /// A latch with `count` outstanding units, waited for by a thread outside every pool with
    /// [`wait_blocking`](Self::wait_blocking).
    pub(crate) fn blocking(count: usize) -> Self {
        CountLatch {
            counter: CachePadded::new(AtomicUsize::new(count)),
            owner: Owner::Thread(StdArc::new(LockLatch::new())),
        }
    }

    /// Blocks until the count is zero: for the owner of a [`blocking`](Self::blocking) latch.
    pub(crate) fn wait_blocking(&self) {
        match &self.owner {
            Owner::Thread(lock) => lock.wait(),
            Owner::Worker { .. } => unreachable!("a worker waits for its latch working"),
        }
    }

    /// Adds `n` units. Only valid while the count is non-zero (held by the caller).
    #[inline]
    pub(crate) fn increment(&self, n: usize) {
        // Relaxed: the caller holds a unit, so the count cannot reach zero concurrently.
        let old = self.counter.fetch_add(n, Ordering::Relaxed);
        debug_assert!(old > 0, "CountLatch incremented after reaching zero");
    }

    /// Removes `n` units; the one that brings the count to zero sets the latch.
    ///
    /// # Safety
    /// `this` must be valid on entry and the caller must hold `n` units. The owner may free
    /// the latch as soon as it is set.
    #[inline]
    pub(crate) unsafe fn decrement(this: *const Self, n: usize) {
        // SAFETY: valid on entry; we hold units, so the owner cannot return yet.
        let latch = unsafe { &*this };
        // AcqRel: Release publishes this unit's work; Acquire makes everyone else's work
        // visible to whoever sets the latch (and, through it, to the owner).
        if latch.counter.fetch_sub(n, Ordering::AcqRel) == n {
            match &latch.owner {
                Owner::Worker {
                    core,
                    registry,
                    index,
                } => {
                    let (registry, index) = (StdArc::clone(registry), *index);
                    // SAFETY: `latch` is valid until the swap; nothing of it is used
                    // afterwards.
                    if unsafe { CoreLatch::set(core) } {
                        registry.wake_worker(index);
                    }
                }
                Owner::Thread(lock) => {
                    // Cloned out before setting: `latch` may be freed as soon as it is set.
                    let lock = StdArc::clone(lock);
                    // SAFETY: `lock` keeps the lock latch alive until this call returns.
                    unsafe { LockLatch::set(StdArc::as_ptr(&lock)) }
                }
            }
        }
    }
}

impl AsCoreLatch for CountLatch {
    fn as_core_latch(&self) -> &CoreLatch {
        match &self.owner {
            Owner::Worker { core, .. } => core,
            Owner::Thread(_) => unreachable!("a blocking count latch is waited for blocked"),
        }
    }
}

impl std::fmt::Debug for CountLatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CountLatch")
            .field("count", &self.counter.load(Ordering::Relaxed))
            .finish()
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::Arc;
    use loom::thread;

    /// A scope opened outside every pool (`in_place_scope`): two tasks count down a
    /// blocking count latch while its owner drops its own unit and blocks. The owner is woken
    /// (else loom reports a deadlock) and sees both tasks' writes (no early release).
    #[test]
    fn blocking_count_latch_wakes_its_owner_after_the_last_unit() {
        loom::model(|| {
            let latch = Arc::new(CountLatch::blocking(3));
            let data = Arc::new(AtomicUsize::new(0));
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let (l, d) = (latch.clone(), data.clone());
                    thread::spawn(move || {
                        d.fetch_add(1, Ordering::Relaxed);
                        // SAFETY: this thread holds one unit; `l` keeps the latch alive.
                        unsafe { CountLatch::decrement(&*l, 1) };
                    })
                })
                .collect();
            // SAFETY: the owner's unit; `latch` lives on.
            unsafe { CountLatch::decrement(&*latch, 1) };
            latch.wait_blocking();
            assert_eq!(data.load(Ordering::Relaxed), 2, "released early");
            for t in threads {
                t.join().unwrap();
            }
        });
    }
}
