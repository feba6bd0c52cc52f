//! A thread's place to block: a `notified` flag under a mutex and a condition variable.
//!
//! The blocked thread checks the flag under the lock before each block, and the waker sets
//! it under the same lock, so a wake-up that comes before the block is not lost. Workers
//! sleep on one each (`sleep/mod.rs`); a thread waiting on a `brigade::sync` primitive
//! blocks on one of its own (`sync/signal.rs`).

use std::time::Instant;

use crate::loom::blocking::{Condvar, Mutex};

pub(crate) struct Parker {
    /// Set by `unpark`; cleared by `reset` when its owner starts a new round.
    notified: Mutex<bool>,
    cond: Condvar,
}

impl Parker {
    pub(crate) fn new() -> Self {
        Parker {
            notified: Mutex::new(false),
            cond: Condvar::new(),
        }
    }

    /// Forgets a wake-up from an earlier round.
    pub(crate) fn reset(&self) {
        *self.notified.lock() = false;
    }

    /// Blocks until `unpark` (or a wake-up not yet `reset`), or until `deadline` passes;
    /// true if woken by `unpark`.
    pub(crate) fn block(&self, deadline: Option<Instant>) -> bool {
        let mut notified = self.notified.lock();
        while !*notified {
            match deadline {
                None => self.cond.wait(&mut notified),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    self.cond.wait_for(&mut notified, deadline - now);
                }
            }
        }
        *notified
    }

    /// Wakes the blocked thread, or makes its next `block` return at once.
    pub(crate) fn unpark(&self) {
        *self.notified.lock() = true;
        // Notify after unlocking, so the woken thread does not wake into a held mutex; it
        // checks the flag under the lock before it blocks, so nothing is lost.
        self.cond.notify_one();
    }

    /// Whether a wake-up is pending, or `None` if the lock is held (for diagnostics: never
    /// waits).
    pub(crate) fn try_is_notified(&self) -> Option<bool> {
        self.notified.try_lock().map(|notified| *notified)
    }
}
