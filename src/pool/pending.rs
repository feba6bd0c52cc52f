//! A worker's stack of recorded `join` second halves: private to its owner on the fast path,
//! yet reachable by idle workers when the owner is stuck in a long first half.
//!
//! Heartbeat scheduling (Acar, Charguéraud, Rainey, PLDI 2018; the Spice and chili projects):
//! `join` does not publish its second half on the deque, where every push and pop costs a
//! fence. It records it here, runs the first half, and in the common case takes the second
//! half back and runs it inline. Parallelism is exposed two ways:
//!
//! - *promotion*: when the worker's heartbeat flag is set, its next recorded `join` moves the
//!   **oldest** entry (the outermost, usually largest piece of work) to the deque;
//! - *theft*: an idle worker that finds every deque empty takes the oldest entry straight
//!   from here ([`PendingStealer::steal`]), if it is one of the outermost `SHARED_DEPTH`
//!   entries. This is what keeps a `join` whose first half never reaches another `join` (two
//!   long leaves, a leaf that blocks on the second half) from keeping its second half to
//!   itself: promotion needs the owner's help, theft does not.
//!
//! # Shared and private entries
//!
//! Entries sit at absolute positions `front..back`. The outermost ones, `front..private_from`
//! (at most `SHARED_DEPTH` of them, recorded while the stack held fewer), are *shared*: they
//! sit in atomic slots (slot `pos % CAPACITY`) that thieves may claim. The rest,
//! `private_from..back`, are *private*: they sit in a plain ring only the owner touches, and
//! reach other workers only by promotion. A shared entry is recorded only while no private
//! one is open, so every shared entry is older than every private one, and `private_from`
//! splits the two.
//!
//! The split is what lets every `join` of a pool of several threads record its second half:
//! a private entry costs a few plain stores to record (the job, the function that arms it,
//! `back`) and one to take back, where a shared one costs an atomic swap to take back (with
//! every join of fib(30) recorded, 9.7 ns per join over serial with swaps against 4.3 with
//! private entries). A private entry's job is also recorded *unarmed* (only its closure is
//! written, see `job::StackJob::arm`): `pop_front` arms it when it is promoted, and
//! `push_back` arms a job before it goes in a shared slot. Deep halves need no theft
//! without the owner: a deep first half that joins again promotes on the heartbeat, and one
//! that does not is a leaf the outermost shared entries already let thieves work around.

//! # Protocol of the shared slots
//!
//! Only the owner moves `front` and `back`; they are atomics only so that thieves can read
//! them as hints. A slot holds a job pointer exactly while that job is recorded there and has
//! been claimed by nobody; a private entry's slot holds null. Every claim of a slot, by the
//! owner or a thief, is an atomic swap (or CAS) of the slot to null, so each shared entry is
//! claimed exactly once: RMWs on one word are totally ordered.
//!
//! - Owner records (`push_back`): Release-store the pointer into the slot at `back`, then
//!   `back += 1`. Release pairs with the thief's Acquire CAS: a thief that claims the job sees
//!   everything written into it.
//! - Owner takes its entry back (`pop_back`): `back -= 1`, then swap the slot to null. A
//!   pointer back means the entry is ours to run inline; null means a thief claimed it, and
//!   the `join` waits for the job's latch.
//! - Owner promotes (`pop_front`): swap the slot at `front` to null, `front += 1`; a null
//!   (stolen) slot is skipped. A private entry at `front` is taken with a plain read.
//! - Thief (`steal`): read `front` and `back`, then CAS the first non-null slot in between to
//!   null. The positions it reads may be stale; that is harmless, because the CAS only
//!   succeeds on a slot that holds a live shared job at that instant (a position may be
//!   reused by a later job, possibly at the same address: the thief then claims that later
//!   job, which is just as live and just as shared). The thief reads the job's region from
//!   its header only after the claim.

//! # Invariants
//!
//! - Entries are the second halves of the recorded joins open on the owner's stack, oldest
//!   at the front; each points to a `StackJob` in a frame below the current one, so it is
//!   valid while its slot holds it.
//! - A `join` finds its position still at the back (`pos >= front`) exactly when it was not
//!   promoted; whether a thief took a shared one is then decided by the swap, and nobody
//!   can have taken a private one.
//! - `front <= private_from <= back`, and the slots of private positions hold null.

use std::cell::Cell;
use std::ptr::{self, NonNull};

use crossbeam_utils::CachePadded;

use crate::isolate::Region;
use crate::job::{JobHeader, JobRef};
use crate::loom::{Arc, AtomicPtr, AtomicUsize, Ordering};

/// Entries the stack holds; deeper joins publish their halves on the deque directly.
pub(crate) const CAPACITY: usize = if cfg!(loom) { 4 } else { 256 };

/// How many of the outermost entries are shared, where thieves can claim them; the entries
/// of deeper joins are private to the owner, which records and takes them back with plain
/// memory operations and publishes them only by promotion.
pub(crate) const SHARED_DEPTH: usize = if cfg!(loom) { 2 } else { 3 };

/// How many slots a thief looks at in one visit: entries stolen earlier leave null slots at
/// the front only until the owner's next promotion or take-back passes them.
const STEAL_SCAN: usize = 4;

struct Shared {
    slots: Box<[AtomicPtr<JobHeader>]>,
    /// Absolute position of the oldest entry (written by the owner only).
    front: CachePadded<AtomicUsize>,
    /// Absolute position one past the newest entry (written by the owner only).
    back: CachePadded<AtomicUsize>,
}

impl Shared {
    #[inline]
    fn slot(&self, pos: usize) -> &AtomicPtr<JobHeader> {
        &self.slots[pos % CAPACITY]
    }
}

/// Makes a recorded job ready to be shared (`job::StackJob::arm`): called on an entry that
/// becomes shared, just before.
pub(crate) type Arm = unsafe fn(NonNull<JobHeader>);

/// Where [`Pending::push_back`] recorded an entry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Recorded {
    /// The entry's absolute position, for [`Pending::pop_back`].
    pub(crate) pos: usize,
    /// Whether it is one of the outermost `SHARED_DEPTH` entries. A deeper `join` skips
    /// the bookkeeping of the outermost ones (`WorkerThread::outer_join_opened`) without
    /// another look at the stack.
    pub(crate) outer: bool,
}

/// The `Arm` of a job that is complete already.
pub(crate) unsafe fn armed(_: NonNull<JobHeader>) {}

/// The owner's end. Not `Sync`: one worker records, takes back and promotes.
pub(crate) struct Pending {
    shared: Arc<Shared>,
    /// The owner's copies of `front` and `back` (it is their only writer).
    front: Cell<usize>,
    back: Cell<usize>,
    /// Where the private entries start: positions `front..private_from` are shared (in
    /// `Shared::slots`), `private_from..back` private (in `private`). Never below `front`.
    private_from: Cell<usize>,
    /// The private entries' ring, indexed like the slots: each job with the function that
    /// arms it (see `job::StackJob::arm`) when it is promoted.
    private: Box<[Cell<(*const JobHeader, Arm)>; CAPACITY]>,
    /// Whether the entry `pop_front` last took was private (for `push_front`).
    popped_private: Cell<bool>,
}

// SAFETY: the raw pointers in `private` are recorded jobs, which are `Send` (`JobRef`); a
// `Pending` moves to its worker's thread before that worker records anything, and stays
// there (it is not `Sync`: the `Cell`s see to that).
unsafe impl Send for Pending {}

/// The thieves' end, shared through the registry.
#[derive(Clone)]
pub(crate) struct PendingStealer {
    shared: Arc<Shared>,
}

/// A new, empty pending stack.
pub(crate) fn new() -> (Pending, PendingStealer) {
    let shared = Arc::new(Shared {
        slots: (0..CAPACITY)
            .map(|_| AtomicPtr::new(ptr::null_mut()))
            .collect(),
        front: CachePadded::new(AtomicUsize::new(0)),
        back: CachePadded::new(AtomicUsize::new(0)),
    });
    (
        Pending {
            shared: Arc::clone(&shared),
            front: Cell::new(0),
            back: Cell::new(0),
            private_from: Cell::new(0),
            private: Box::new(std::array::from_fn(|_| {
                Cell::new((ptr::null(), armed as Arm))
            })),
            popped_private: Cell::new(false),
        },
        PendingStealer { shared },
    )
}

impl Pending {
    /// Records a join's second half as the newest entry and says where; gives the job back
    /// if the stack is full. `arm` is called on it before it is shared: at once if it is one
    /// of the outermost entries, else if it is promoted.
    ///
    /// # Safety
    /// `arm` must be the arming function of `job`'s type (or [`armed`] for a complete job),
    /// and the job must stay valid until it is taken back, promoted and run, or claimed and
    /// run.
    #[inline]
    pub(crate) unsafe fn push_back(&self, job: JobRef, arm: Arm) -> Result<Recorded, JobRef> {
        let back = self.back.get();
        let len = back - self.front.get();
        // The common case first, with one comparison: `SHARED_DEPTH <= len < CAPACITY`.
        if len.wrapping_sub(SHARED_DEPTH) < CAPACITY - SHARED_DEPTH {
            self.record_private(back, job, arm);
            return Ok(Recorded {
                pos: back,
                outer: false,
            });
        }
        if len == CAPACITY {
            return Err(job);
        }
        if self.private_from.get() != back {
            // Above a private entry (one that was once deep, and whose older neighbours
            // were promoted since): private too, which keeps every shared entry older than
            // every private one.
            self.record_private(back, job, arm);
            return Ok(Recorded {
                pos: back,
                outer: true,
            });
        }
        let ptr = job.into_raw();
        // SAFETY: by the caller's contract; the job is not shared yet.
        unsafe { arm(ptr) };
        // Release: pairs with the Acquire CAS in `steal`, so a thief that claims the job sees
        // its contents.
        self.shared
            .slot(back)
            .store(ptr.as_ptr(), Ordering::Release);
        self.private_from.set(back + 1);
        self.set_back(back + 1);
        Ok(Recorded {
            pos: back,
            outer: true,
        })
    }

    /// Records a private entry at `back` (the owner's plain ring; no thief looks there).
    #[inline]
    fn record_private(&self, back: usize, job: JobRef, arm: Arm) {
        self.private[back % CAPACITY].set((job.into_raw().as_ptr(), arm));
        self.back.set(back + 1);
    }

    /// Removes the entry at `pos`, the newest one unless it was promoted. True if it is back
    /// in the owner's hands, to run inline; false if it was promoted or a thief claimed it
    /// (then it runs, or ran, elsewhere or from the deque, and its latch tells when).
    #[inline]
    pub(crate) fn pop_back(&self, pos: usize) -> bool {
        if pos < self.front.get() {
            return false; // promoted
        }
        debug_assert_eq!(
            pos + 1,
            self.back.get(),
            "only the newest entry is taken back"
        );
        if pos >= self.private_from.get() {
            // Private: no thief can have it.
            self.back.set(pos);
            return true;
        }
        self.private_from.set(pos);
        self.set_back(pos);
        // Acquire: if a thief's CAS had come first we would see null; the value itself is our
        // own store otherwise. The swap decides the race with `steal`.
        !self
            .shared
            .slot(pos)
            .swap(ptr::null_mut(), Ordering::Acquire)
            .is_null()
    }

    /// Takes the oldest unclaimed entry, to promote it, skipping entries thieves claimed.
    #[inline]
    pub(crate) fn pop_front(&self) -> Option<JobRef> {
        loop {
            let front = self.front.get();
            if front == self.back.get() {
                return None;
            }
            let private = front >= self.private_from.get();
            let ptr = if private {
                self.private_from.set(front + 1);
                let (ptr, arm) = self.private[front % CAPACITY].get();
                if let Some(ptr) = NonNull::new(ptr.cast_mut()) {
                    // SAFETY: `arm` came with the job in `push_back` (or is `armed`), and
                    // the job is not shared yet.
                    unsafe { arm(ptr) };
                }
                ptr.cast_mut()
            } else {
                self.shared
                    .slot(front)
                    .swap(ptr::null_mut(), Ordering::Acquire)
            };
            self.popped_private.set(private);
            self.front.set(front + 1);
            // Relaxed: a hint for thieves, which decide by their CAS on the slot.
            self.shared.front.store(front + 1, Ordering::Relaxed);
            if let Some(ptr) = NonNull::new(ptr) {
                // The region is the job's own (`JobHeader::region`); the owner stamps its
                // current region when it publishes the entry, which is the same one (an entry
                // is only published in the region it was recorded in, see `isolate.rs`).
                // SAFETY: the pointer came from `into_raw` in `push_back`, and the swap gave
                // it to us alone.
                return Some(unsafe { JobRef::from_raw(ptr, Region::NONE) });
            }
        }
    }

    /// Puts back the entry `pop_front` just took (its promotion failed: the deque was full).
    #[inline]
    pub(crate) fn push_front(&self, job: JobRef) {
        let front = self.front.get() - 1;
        if self.popped_private.get() {
            // Armed by `pop_front` already.
            self.private[front % CAPACITY].set((job.into_raw().as_ptr(), armed as Arm));
            self.private_from.set(front);
        } else {
            self.shared
                .slot(front)
                .store(job.into_raw().as_ptr(), Ordering::Release);
        }
        self.front.set(front);
        self.shared.front.store(front, Ordering::Relaxed);
    }

    /// How many recorded joins are open (entries thieves took still count until their join
    /// closes).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.back.get() - self.front.get()
    }

    /// Whether the entry at `pos` is the only one (the outermost recorded join).
    #[inline]
    pub(crate) fn is_first(&self, pos: usize) -> bool {
        pos == self.front.get()
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.back.get() == self.front.get()
    }

    #[inline]
    fn set_back(&self, back: usize) {
        self.back.set(back);
        // Relaxed: a hint for thieves (see the module docs); the slot's Release store carries
        // the job's contents.
        self.shared.back.store(back, Ordering::Relaxed);
    }
}

impl PendingStealer {
    /// Claims the oldest entry a thief can find, with the region it was recorded in.
    pub(crate) fn steal(&self) -> Option<JobRef> {
        let shared = &*self.shared;
        let front = shared.front.load(Ordering::Relaxed);
        let back = shared.back.load(Ordering::Relaxed);
        for pos in (front..back).take(STEAL_SCAN) {
            let slot = shared.slot(pos);
            let ptr = slot.load(Ordering::Relaxed);
            if ptr.is_null() {
                continue;
            }
            // Acquire: pairs with the Release store in `push_back`.
            if slot
                .compare_exchange(ptr, ptr::null_mut(), Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                let ptr = NonNull::new(ptr).expect("checked non-null");
                // SAFETY: the slot held `ptr`, so it is a live recorded job, and our CAS took
                // it out of the slot: nobody else will run it.
                let region = unsafe { JobHeader::region(ptr) };
                // SAFETY: as above; the pointer came from `JobRef::into_raw`.
                return Some(unsafe { JobRef::from_raw(ptr, region) });
            }
        }
        None
    }

    /// True if `steal` would look at an unclaimed entry right now (a hint, for the heartbeat
    /// to wake a sleeper; entries thieves already took do not count).
    pub(crate) fn has_entries(&self) -> bool {
        let shared = &*self.shared;
        let front = shared.front.load(Ordering::Relaxed);
        let back = shared.back.load(Ordering::Relaxed);
        (front..back)
            .take(STEAL_SCAN)
            .any(|pos| !shared.slot(pos).load(Ordering::Relaxed).is_null())
    }

    /// How many entries are recorded, approximately (for diagnostics).
    pub(crate) fn len(&self) -> usize {
        let front = self.shared.front.load(Ordering::Relaxed);
        self.shared
            .back
            .load(Ordering::Relaxed)
            .saturating_sub(front)
    }
}

/// Records a job that is complete already (a fake or header-only job, never executed), for
/// the tests and models below.
#[cfg(test)]
fn record(p: &Pending, job: JobRef) -> Result<usize, JobRef> {
    // SAFETY: the job needs no arming, and the tests never execute it.
    unsafe { p.push_back(job, armed) }.map(|recorded| recorded.pos)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn back_is_lifo_front_is_oldest() {
        let (p, _s) = new();
        let pos: Vec<usize> = (0..5)
            .map(|i| record(&p, JobRef::fake(i)).unwrap())
            .collect();
        assert!(p.pop_back(pos[4]));
        assert_eq!(p.pop_front().map(|j| j.id()), Some(JobRef::fake(0).id()));
        let j = p.pop_front().unwrap();
        p.push_front(j);
        assert_eq!(p.pop_front().map(|j| j.id()), Some(JobRef::fake(1).id()));
        assert!(!p.pop_back(pos[0]), "a promoted entry is not taken back");
        assert!(p.pop_back(pos[3]));
        assert!(p.pop_back(pos[2]));
        assert!(p.is_empty());
        assert!(p.pop_front().is_none());
    }

    #[test]
    fn only_the_outermost_entries_are_outer() {
        let (p, s) = new();
        let push = |i| {
            // SAFETY: a fake job, complete already, never executed.
            unsafe { p.push_back(JobRef::fake(i), armed) }.unwrap()
        };
        let recorded: Vec<Recorded> = (0..SHARED_DEPTH + 2).map(push).collect();
        let outer: Vec<bool> = recorded.iter().map(|r| r.outer).collect();
        let mut expected = vec![true; SHARED_DEPTH];
        expected.extend([false, false]);
        assert_eq!(outer, expected);
        // Promote every shared entry: the private ones left are fewer than `SHARED_DEPTH`,
        // so an entry recorded now is near the top again (outer), yet private, above them.
        for _ in 0..SHARED_DEPTH {
            p.pop_front().unwrap();
        }
        let above = push(99);
        assert!(above.outer);
        assert_eq!(
            s.steal().map(|j| j.id()),
            None,
            "private: no thief can take it"
        );
        assert!(p.pop_back(above.pos));
    }

    #[test]
    fn wraps_around_and_reports_full() {
        let (p, _s) = new();
        for round in 0..3 {
            let pos: Vec<usize> = (0..CAPACITY)
                .map(|i| record(&p, JobRef::fake(round * CAPACITY + i)).unwrap())
                .collect();
            assert!(record(&p, JobRef::fake(usize::MAX / 128)).is_err());
            for i in 0..CAPACITY / 2 {
                assert_eq!(
                    p.pop_front().map(|j| j.id()),
                    Some(JobRef::fake(round * CAPACITY + i).id())
                );
            }
            for i in (CAPACITY / 2..CAPACITY).rev() {
                assert!(p.pop_back(pos[i]));
            }
            assert!(p.is_empty());
        }
    }

    #[test]
    fn thieves_take_the_oldest_and_the_owner_sees_it() {
        let (p, s) = new();
        let jobs: Vec<_> = (0..3).map(|_| crate::job::HeaderOnly::new()).collect();
        let pos: Vec<usize> = jobs
            .iter()
            .map(|j| record(&p, j.job_ref()).unwrap())
            .collect();
        assert_eq!(s.steal().map(|j| j.id()), Some(jobs[0].job_ref().id()));
        assert_eq!(s.steal().map(|j| j.id()), Some(jobs[1].job_ref().id()));
        assert!(p.pop_back(pos[2]), "the newest was not stolen");
        assert!(!p.pop_back(pos[1]), "stolen: not taken back");
        assert!(!p.pop_back(pos[0]), "stolen: not taken back");
        assert!(p.is_empty());
        assert!(s.steal().is_none());
        assert!(!s.has_entries());
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::job::HeaderOnly;
    use loom::thread;

    /// The owner records three joins (the outer two shared, the inner one private) and
    /// closes them, promoting `promote` of them oldest first (across the shared/private
    /// boundary, and once undoing a promotion as a full deque does), while a thief steals:
    /// each entry is claimed exactly once, by the owner or the thief, and the thief never
    /// claims the private one.
    fn claimed_once(promote: usize) {
        loom::model(move || {
            let jobs: &'static [HeaderOnly; 3] = Box::leak(Box::new([
                HeaderOnly::new(),
                HeaderOnly::new(),
                HeaderOnly::new(),
            ]));
            let id = |j: &HeaderOnly| j.job_ref().id() as usize;
            let (p, s) = new();
            let pos: Vec<usize> = jobs
                .iter()
                .map(|j| record(&p, j.job_ref()).unwrap())
                .collect();
            let thief = thread::spawn(move || {
                let mut got = Vec::new();
                while let Some(j) = s.steal() {
                    got.push(j.id() as usize);
                }
                got
            });
            let mut claims = Vec::new();
            for i in 0..promote {
                if let Some(j) = p.pop_front() {
                    if i == 0 {
                        // A failed promotion puts it back; the next one takes it again.
                        p.push_front(j);
                        let j = p.pop_front().expect("just put back");
                        claims.push(j.id() as usize);
                    } else {
                        claims.push(j.id() as usize);
                    }
                }
            }
            for (j, &at) in jobs.iter().zip(&pos).rev() {
                if p.pop_back(at) {
                    claims.push(id(j));
                }
            }
            assert!(p.is_empty());
            let stolen = thief.join().unwrap();
            assert!(
                !stolen.contains(&id(&jobs[2])),
                "the private entry was stolen"
            );
            claims.extend(stolen);
            claims.sort_unstable();
            let mut expected: Vec<usize> = jobs.iter().map(id).collect();
            expected.sort_unstable();
            assert_eq!(claims, expected, "every entry claimed exactly once");
        });
    }

    #[test]
    fn each_entry_is_claimed_once() {
        claimed_once(0);
    }

    #[test]
    fn each_entry_is_claimed_once_with_promotion() {
        claimed_once(1);
    }

    #[test]
    fn each_entry_is_claimed_once_promoting_past_the_shared_ones() {
        claimed_once(3);
    }
}
