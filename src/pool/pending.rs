//! A worker's private stack of `join` second halves that no other worker can see yet.
//!
//! Heartbeat scheduling (Acar, Charguéraud, Rainey, PLDI 2018; the Spice and chili projects):
//! `join` does not publish its second half on the deque, where every push and pop costs a
//! fence. It records it here, in plain memory that only the owning worker touches, runs the
//! first half, and in the common case takes the second half back and runs it inline, with no
//! synchronization at all. Parallelism is exposed by *promotion*: when the worker's heartbeat
//! flag is set, its next `join` moves the **oldest** recorded half (the outermost, usually the
//! largest piece of work) to the deque, where thieves can steal it.
//!
//! # Invariants
//!
//! - Entries are the second halves of the joins currently open on this worker's stack, oldest
//!   at the front, innermost at the back; each entry points to a `StackJob` in a frame below
//!   the current one, so it stays valid while it is listed.
//! - A `join` removes its own entry from the back when its first half returns, unless it was
//!   promoted; promotion only takes from the front. So a `join` finds its entry at the back
//!   exactly when it was not promoted.
//! - When the worker waits (`wait_until`), it promotes every entry first, so that waiting never
//!   hides work from thieves or from itself.

use std::cell::Cell;
use std::ptr::NonNull;

use crate::isolate::Region;
use crate::job::{JobHeader, JobRef};

/// Entries the stack holds; deeper joins publish their halves on the deque directly.
const CAPACITY: usize = 256;

/// A ring buffer used as a double-ended stack. Not `Sync`: owned by one worker.
pub(crate) struct Pending {
    slots: [Cell<Option<NonNull<JobHeader>>>; CAPACITY],
    /// Index of the oldest entry.
    head: Cell<usize>,
    len: Cell<usize>,
}

impl Pending {
    pub(crate) fn new() -> Self {
        Pending {
            slots: [const { Cell::new(None) }; CAPACITY],
            head: Cell::new(0),
            len: Cell::new(0),
        }
    }

    #[inline]
    fn slot(&self, offset: usize) -> &Cell<Option<NonNull<JobHeader>>> {
        &self.slots[(self.head.get() + offset) % CAPACITY]
    }

    /// Records a join's second half as the newest entry; gives it back if the stack is full.
    #[inline]
    pub(crate) fn push_back(&self, job: JobRef) -> Result<(), JobRef> {
        let len = self.len.get();
        if len == CAPACITY {
            return Err(job);
        }
        self.slot(len).set(Some(job.into_raw()));
        self.len.set(len + 1);
        Ok(())
    }

    /// Removes the newest entry if it is `id` (the join's half was not promoted).
    #[inline]
    pub(crate) fn pop_back_if(&self, id: *const JobHeader) -> bool {
        let len = self.len.get();
        if len > 0
            && self
                .slot(len - 1)
                .get()
                .is_some_and(|p| p.as_ptr().cast_const() == id)
        {
            self.len.set(len - 1);
            true
        } else {
            false
        }
    }

    /// Takes the oldest entry, to promote it.
    #[inline]
    pub(crate) fn pop_front(&self) -> Option<JobRef> {
        let len = self.len.get();
        if len == 0 {
            return None;
        }
        let ptr = self.slot(0).take().expect("a listed entry is present");
        self.head.set((self.head.get() + 1) % CAPACITY);
        self.len.set(len - 1);
        // The region is left out: the owner stamps its own when it publishes the entry (an
        // entry is only published in the region it was recorded in, see `isolate.rs`).
        // SAFETY: entries come from `JobRef::into_raw` in `push_back`/`push_front` and are
        // taken out once.
        Some(unsafe { JobRef::from_raw(ptr, Region::NONE) })
    }

    /// Puts back an entry taken by `pop_front` (its promotion failed: the deque was full).
    #[inline]
    pub(crate) fn push_front(&self, job: JobRef) {
        let len = self.len.get();
        debug_assert!(
            len < CAPACITY,
            "push_front only returns an entry just taken"
        );
        self.head.set((self.head.get() + CAPACITY - 1) % CAPACITY);
        self.slot(0).set(Some(job.into_raw()));
        self.len.set(len + 1);
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len.get()
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len.get() == 0
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn back_is_lifo_front_is_oldest() {
        let p = Pending::new();
        for i in 0..5 {
            p.push_back(JobRef::fake(i)).unwrap();
        }
        assert!(p.pop_back_if(JobRef::fake(4).id()));
        assert!(
            !p.pop_back_if(JobRef::fake(2).id()),
            "only the newest entry can be taken back"
        );
        assert_eq!(p.pop_front().map(|j| j.id()), Some(JobRef::fake(0).id()));
        let j = p.pop_front().unwrap();
        p.push_front(j);
        assert_eq!(p.pop_front().map(|j| j.id()), Some(JobRef::fake(1).id()));
        assert!(p.pop_back_if(JobRef::fake(3).id()));
        assert!(p.pop_back_if(JobRef::fake(2).id()));
        assert!(p.is_empty());
        assert!(p.pop_front().is_none());
    }

    #[test]
    fn wraps_around_and_reports_full() {
        let p = Pending::new();
        for round in 0..3 {
            for i in 0..CAPACITY {
                p.push_back(JobRef::fake(round * CAPACITY + i)).unwrap();
            }
            assert!(p.push_back(JobRef::fake(usize::MAX / 128)).is_err());
            for i in 0..CAPACITY / 2 {
                assert_eq!(
                    p.pop_front().map(|j| j.id()),
                    Some(JobRef::fake(round * CAPACITY + i).id())
                );
            }
            for i in (CAPACITY / 2..CAPACITY).rev() {
                assert!(p.pop_back_if(JobRef::fake(round * CAPACITY + i).id()));
            }
            assert!(p.is_empty());
        }
    }
}
