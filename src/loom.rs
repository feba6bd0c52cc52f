//! The one door through which brigade reaches atomics, locks and cells.
//!
//! Normally these are `std` atomics and `parking_lot` locks (`std`'s lock and condition
//! variable where a thread blocks to be woken: [`blocking`]). Under `cfg(loom)` the same names
//! are loom's model-checked versions, so every protocol built on them (the deque, the injector,
//! sleep/wake, latches) can be explored interleaving by interleaving. Under `cfg(miri)` the
//! locks are `std`'s behind the same API: `parking_lot`'s word lock turns integers into
//! pointers, which miri cannot check under strict provenance, while `std`'s locks can be
//! checked. Nothing else in the crate imports `std::sync::atomic` or `parking_lot` directly.

#[cfg(not(loom))]
#[allow(unused_imports)] // the full set is part of the facade even where unused
mod imp {
    pub(crate) use std::sync::Arc;
    pub(crate) use std::sync::atomic::{
        AtomicBool, AtomicIsize, AtomicPtr, AtomicU64, AtomicUsize, Ordering, fence,
    };

    /// A mutex whose `lock` returns the guard directly (`parking_lot`).
    #[cfg(not(miri))]
    pub(crate) type Mutex<T> = parking_lot::Mutex<T>;
    /// A condition variable that waits on a `&mut MutexGuard` (`parking_lot`).
    #[cfg(not(miri))]
    pub(crate) type Condvar = parking_lot::Condvar;
    #[cfg(miri)]
    pub(crate) use super::shim::{Condvar, Mutex};

    /// Tells the processor (or loom) that this thread is spinning.
    /// `std::cell::UnsafeCell` with loom's closure-based API, so that loom can check the
    /// accesses in the models.
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> Self {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }

        #[inline]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        #[inline]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }

    #[inline]
    pub(crate) fn spin_loop() {
        std::hint::spin_loop();
    }

    /// Gives the rest of this time slice to another thread.
    #[inline]
    pub(crate) fn yield_now() {
        std::thread::yield_now();
    }
}

#[cfg(loom)]
#[allow(unused_imports, dead_code)]
mod imp {
    pub(crate) use loom::cell::UnsafeCell;
    pub(crate) use loom::sync::Arc;
    pub(crate) use loom::sync::atomic::{
        AtomicBool, AtomicIsize, AtomicPtr, AtomicU64, AtomicUsize, Ordering, fence,
    };

    pub(crate) use super::shim::{Condvar, Mutex};

    /// Under loom a spin must yield, or the model never lets the other thread run.
    pub(crate) fn spin_loop() {
        loom::thread::yield_now();
    }

    pub(crate) fn yield_now() {
        loom::thread::yield_now();
    }
}

/// `parking_lot`'s lock API over `std`'s locks, or loom's (under `cfg(loom)`). Neither
/// poisons here: like `parking_lot`, a lock whose holder panicked is simply unlocked.
#[allow(dead_code)]
mod shim {
    #[cfg(loom)]
    use loom::sync as inner;
    #[cfg(not(loom))]
    use std::sync as inner;
    use std::sync::{PoisonError, TryLockError};

    /// A mutex whose `lock` returns the guard directly.
    #[derive(Debug)]
    pub(crate) struct Mutex<T>(inner::Mutex<T>);

    /// The guard of [`Mutex`]; an `Option` so that [`Condvar::wait`] can move it, and the
    /// mutex, so that [`Condvar::wait_for`] can take it again.
    #[derive(Debug)]
    pub(crate) struct MutexGuard<'a, T>(Option<inner::MutexGuard<'a, T>>, &'a inner::Mutex<T>);

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Mutex(inner::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            MutexGuard(
                Some(self.0.lock().unwrap_or_else(PoisonError::into_inner)),
                &self.0,
            )
        }

        pub(crate) fn into_inner(self) -> T {
            self.0.into_inner().unwrap_or_else(PoisonError::into_inner)
        }

        /// The guard if the lock is free now, else `None` (never waits).
        pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
            match self.0.try_lock() {
                Ok(guard) => Some(MutexGuard(Some(guard), &self.0)),
                Err(TryLockError::Poisoned(poisoned)) => {
                    Some(MutexGuard(Some(poisoned.into_inner()), &self.0))
                }
                Err(TryLockError::WouldBlock) => None,
            }
        }
    }

    impl<T> std::ops::Deref for MutexGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            self.0.as_ref().expect("guard present")
        }
    }

    impl<T> std::ops::DerefMut for MutexGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            self.0.as_mut().expect("guard present")
        }
    }

    /// A condition variable that waits on a `&mut MutexGuard`.
    #[derive(Debug)]
    pub(crate) struct Condvar(inner::Condvar);

    impl Condvar {
        pub(crate) fn new() -> Self {
            Condvar(inner::Condvar::new())
        }

        pub(crate) fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
            let held = guard.0.take().expect("guard present");
            guard.0 = Some(self.0.wait(held).unwrap_or_else(PoisonError::into_inner));
        }

        /// Under loom a wait with a timeout ends only when notified (loom models no time),
        /// except a zero timeout, which times out at once: the lock is released and taken
        /// again, as by a real wait that times out (a model uses it for "time passes").
        pub(crate) fn wait_for<T>(
            &self,
            guard: &mut MutexGuard<'_, T>,
            timeout: std::time::Duration,
        ) {
            #[cfg(loom)]
            if timeout.is_zero() {
                drop(guard.0.take().expect("guard present"));
                loom::thread::yield_now();
                guard.0 = Some(guard.1.lock().unwrap_or_else(PoisonError::into_inner));
                return;
            }
            let held = guard.0.take().expect("guard present");
            let (held, _) = self
                .0
                .wait_timeout(held, timeout)
                .unwrap_or_else(PoisonError::into_inner);
            guard.0 = Some(held);
        }

        pub(crate) fn notify_one(&self) -> bool {
            self.0.notify_one();
            true
        }

        pub(crate) fn notify_all(&self) -> usize {
            self.0.notify_all();
            0
        }
    }
}

pub(crate) use imp::*;

/// An asymmetric barrier: a `light` side that costs a compiler fence, run often by one
/// thread, and a `heavy` side, run rarely by another, that makes the pair act as two SeqCst
/// fences (Dekker's store-then-load on both sides sees at least one of the two stores).
///
/// The heavy side is Linux's `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`: it runs a full
/// memory barrier on every CPU that runs a thread of this process before it returns (a
/// thread that is not running passed one in its last context switch), so every store a
/// light side made before its compiler fence is visible to the heavy side afterwards, and
/// every load a light side makes after that point sees the heavy side's earlier stores.
/// The same pairing as `folly::asymmetricHeavyBarrier` and liburcu's. Under loom both sides
/// are SeqCst fences, which is what the pair stands for.
pub(crate) mod asymmetric {
    /// The often-run side: a compiler fence (a SeqCst fence under loom and miri).
    #[inline(always)]
    pub(crate) fn light() {
        #[cfg(any(loom, miri))]
        super::fence(super::Ordering::SeqCst);
        #[cfg(not(any(loom, miri)))]
        std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
    }

    /// The rarely-run side. False where it is unavailable (not Linux, or a kernel older
    /// than 4.14 or one that forbids the call): then it did nothing, and the caller must not
    /// rely on the pairing. A few hundred nanoseconds to a few microseconds. Under loom and
    /// miri, which have no such call, both sides are SeqCst fences, so that they check the
    /// protocols built on the pair.
    pub(crate) fn heavy() -> bool {
        #[cfg(any(loom, miri))]
        {
            super::fence(super::Ordering::SeqCst);
            true
        }
        #[cfg(all(not(any(loom, miri)), target_os = "linux"))]
        {
            membarrier::heavy()
        }
        #[cfg(all(not(any(loom, miri)), not(target_os = "linux")))]
        {
            false
        }
    }

    /// Starts registering this process for `heavy` without making the caller wait for the
    /// kernel (see `membarrier::register_soon`); `available_now` tells when it is done.
    pub(crate) fn register_soon() {
        #[cfg(all(not(any(loom, miri)), target_os = "linux"))]
        membarrier::register_soon();
    }

    /// Whether `heavy` works here, without waiting: false while a registration started by
    /// `register_soon` is still under way.
    pub(crate) fn available_now() -> bool {
        #[cfg(any(loom, miri))]
        {
            true
        }
        #[cfg(all(not(any(loom, miri)), target_os = "linux"))]
        {
            membarrier::registered_now()
        }
        #[cfg(all(not(any(loom, miri)), not(target_os = "linux")))]
        {
            false
        }
    }

    /// False once `heavy` is known not to work here; true while a registration started by
    /// `register_soon` is under way, or once it succeeded.
    pub(crate) fn available_soon() -> bool {
        #[cfg(any(loom, miri))]
        {
            true
        }
        #[cfg(all(not(any(loom, miri)), target_os = "linux"))]
        {
            membarrier::registered_or_pending()
        }
        #[cfg(all(not(any(loom, miri)), not(target_os = "linux")))]
        {
            false
        }
    }

    /// Whether `heavy` works here (registers this process for it on first call, and waits
    /// for that).
    #[cfg(test)]
    pub(crate) fn available() -> bool {
        #[cfg(any(loom, miri))]
        {
            true
        }
        #[cfg(all(not(any(loom, miri)), target_os = "linux"))]
        {
            membarrier::registered()
        }
        #[cfg(all(not(any(loom, miri)), not(target_os = "linux")))]
        {
            false
        }
    }

    #[cfg(all(not(any(loom, miri)), target_os = "linux"))]
    mod membarrier {
        use std::sync::{Once, OnceLock};

        /// Whether the registration succeeded, once it is done.
        static REGISTERED: OnceLock<bool> = OnceLock::new();

        // From `linux/membarrier.h`.
        const CMD_PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
        const CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;

        fn call(cmd: libc::c_long) -> bool {
            // SAFETY: `membarrier(cmd, flags = 0, cpu_id = 0)` reads and writes no memory of
            // ours; an unknown command or a kernel without the call returns -1.
            unsafe {
                libc::syscall(
                    libc::SYS_membarrier,
                    cmd,
                    0 as libc::c_long,
                    0 as libc::c_long,
                ) == 0
            }
        }

        /// Registers the process once (the expedited command fails until it is registered).
        pub(super) fn registered() -> bool {
            *REGISTERED.get_or_init(|| call(CMD_REGISTER_PRIVATE_EXPEDITED))
        }

        pub(super) fn registered_now() -> bool {
            REGISTERED.get() == Some(&true)
        }

        pub(super) fn registered_or_pending() -> bool {
            REGISTERED.get() != Some(&false)
        }

        /// Registers here and now in a process of one thread, where it takes microseconds.
        /// In a process of several, the kernel waits out an RCU grace period first (5 to 21
        /// ms measured on a 2-core VM), so a short-lived thread of its own does it: a pool's
        /// `build` does not wait for it, and neither do the heartbeat's beats (before, the
        /// heartbeat thread registered on its first beat, and beat for nobody meanwhile).
        pub(super) fn register_soon() {
            static STARTED: Once = Once::new();
            STARTED.call_once(|| {
                if REGISTERED.get().is_some() {
                    return;
                }
                if threads_in_process() == Some(1) {
                    registered();
                    return;
                }
                let spawned = std::thread::Builder::new()
                    .name("brigade-membarrier".into())
                    .stack_size(64 * 1024)
                    .spawn(|| {
                        registered();
                    });
                if spawned.is_err() {
                    registered();
                }
            });
        }

        /// The number of threads of this process (field 20 of `/proc/self/stat`), if the
        /// file can be read.
        fn threads_in_process() -> Option<usize> {
            let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
            // Fields after the command name (which may hold spaces), from field 3 on.
            let rest = &stat[stat.rfind(')')? + 1..];
            rest.split_whitespace().nth(20 - 3)?.parse().ok()
        }

        pub(super) fn heavy() -> bool {
            registered() && call(CMD_PRIVATE_EXPEDITED)
        }
    }
}

/// The lock and condition variable of the places where a thread blocks until another one
/// wakes it (a worker's parker, a latch a thread outside the pool waits on, the heartbeat
/// thread): `std`'s, behind `parking_lot`'s API (loom's under `cfg(loom)`). On Linux a
/// `std` condition variable is one futex word, and a `notify_one` is one `FUTEX_WAKE` on
/// it; `parking_lot`'s goes through its global table of parked threads first, and wakes a
/// blocked thread 2 to 4 µs later (median of 80 wake-ups of a thread blocked for 20 ms,
/// on this project's 2-core machine). Plain locks stay `parking_lot`'s ([`Mutex`]).
pub(crate) mod blocking {
    pub(crate) use super::shim::{Condvar, Mutex, MutexGuard};
}
