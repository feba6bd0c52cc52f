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

use crate::loom::{AtomicUsize, Condvar, Mutex, Ordering};
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
/// of them, then blocks on a condition variable.
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
        while start.elapsed() < LOCK_LATCH_SPIN {
            for _ in 0..32 {
                crate::loom::spin_loop();
            }
            if self.state.load(Ordering::Acquire) == SET {
                return;
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

/// Counts outstanding pieces of work (a scope's jobs, a broadcast's workers); the worker that
/// owns it waits, working, until the count reaches zero.
pub(crate) struct CountLatch {
    counter: CachePadded<AtomicUsize>,
    core: CoreLatch,
    registry: StdArc<Registry>,
    owner: usize,
}

impl CountLatch {
    /// A latch with `count` outstanding units, waited for by worker `owner` of `registry`.
    pub(crate) fn new(count: usize, registry: StdArc<Registry>, owner: usize) -> Self {
        CountLatch {
            counter: CachePadded::new(AtomicUsize::new(count)),
            core: CoreLatch::new(),
            registry,
            owner,
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
            let registry = StdArc::clone(&latch.registry);
            let owner = latch.owner;
            // SAFETY: `latch` is valid until the swap; nothing of it is used afterwards.
            if unsafe { CoreLatch::set(&latch.core) } {
                registry.wake_worker(owner);
            }
        }
    }
}

impl AsCoreLatch for CountLatch {
    fn as_core_latch(&self) -> &CoreLatch {
        &self.core
    }
}

impl std::fmt::Debug for CountLatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CountLatch")
            .field("count", &self.counter.load(Ordering::Relaxed))
            .finish()
    }
}
