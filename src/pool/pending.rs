//! A worker's stack of recorded `join` second halves: private to its owner on the fast path,
//! yet reachable by idle workers when the owner is stuck in a long first half.
//!
//! Heartbeat scheduling (Acar, Charguéraud, Rainey, PLDI 2018; the Spice and chili projects):
//! `join` does not publish its second half on the deque, where every push and pop costs a
//! fence. It records it here, runs the first half, and in the common case takes the second
//! half back and runs it inline. Parallelism is exposed three ways:
//!
//! - *promotion*: when the worker's heartbeat flag is set, its next recorded `join` moves the
//!   **oldest** entry (the outermost, usually largest piece of work) to the deque;
//! - *theft*: an idle worker that finds every deque empty takes the oldest entry straight
//!   from here ([`PendingStealer::steal`]), if it is one of the outermost `SHARED_DEPTH`
//!   entries. This is what keeps a `join` whose first half never reaches another `join` (two
//!   long leaves, a leaf that blocks on the second half) from keeping its second half to
//!   itself: promotion needs the owner's help, theft does not;
//! - *claims*: the heartbeat thread takes the oldest private entry of an owner that has not
//!   come to a `join` for a whole beat (`PendingStealer::begin_claim`), so deeper halves
//!   reach idle workers without the owner's help too (see "Claims of private entries").
//!
//! # Shared and private entries
//!
//! Entries sit at absolute positions `front..back`. The outermost ones, `front..private_from`
//! (at most `SHARED_DEPTH` of them, recorded while the stack held fewer), are *shared*: they
//! sit in atomic slots (slot `pos % CAPACITY`) that thieves may claim. The rest,
//! `private_from..back`, are *private*: they sit in a ring only the owner writes, and reach
//! other workers by promotion, or by a claim. A shared entry is recorded only while no private
//! one is open, so every shared entry is older than every private one, and `private_from`
//! splits the two.
//!
//! The split is what lets every `join` of a pool of several threads record its second half:
//! a private entry costs a few plain stores to record (the job, the function that arms it,
//! the bounds word) and, to take back, one store, a compiler fence, one load and a
//! comparison, where a shared one costs an atomic swap to take back (with every join of
//! fib(30) recorded, 9.7 ns per join over serial with swaps against 4.3 with private
//! entries). A private entry's job is also recorded *unarmed* (only its closure is written,
//! see `job::StackJob::arm`): `pop_front` arms it when it is promoted, `finish_claim` when it
//! is claimed, and `push_back` arms a job before it goes in a shared slot.

//! # Claims of private entries
//!
//! A first half that never joins again (two long leaves nested deeper than the shared
//! entries, a loop body) would keep the private entries below it to itself for as long as it
//! runs. So the pool's heartbeat thread, the only *claimer* of every stack, takes the oldest
//! private entry of an owner whose heartbeat flag went unanswered for a beat, arms it as the
//! owner's and injects it. The owner must not pay an RMW or a fence for this on its fast
//! path, so the claim is an asymmetric Dekker handshake (`loom::asymmetric`: a compiler
//! fence on the owner's side, `membarrier` on the claimer's):
//!
//! - The owner keeps `back` and `private_from` in one word, `OwnerWords::bounds`, which it
//!   stores at every record and take-back (Release when it records: a claimer that sees an
//!   entry recorded sees its slot). One word, so that a claimer never sees a shared entry, or
//!   one being taken back, as private.
//! - The claim word holds a boundary `B` (private entries below it are claimed) and, in its
//!   top bits, the stage of the claim under way. A take-back at `pos` stores the bounds,
//!   fences (light), and loads the claim word: below `pos` means no claim under way and
//!   nothing claimed at or above `pos`, and the entry is the owner's. Otherwise `settle`
//!   withdraws a claim not confirmed yet (a CAS back to `IDLE`), waits out a confirmed one
//!   (the claimer is writing the job's header and latch), and reports a claimed entry as
//!   gone, lowering `B` to it.
//! - The claimer (`begin_claim`) picks the oldest entry not claimed, `max(B, private_from)`,
//!   CASes the word to `CLAIMING`, runs the heavy barrier (once per beat for all its claims),
//!   then (`finish_claim`) reads the bounds again: if the entry is still recorded and
//!   private, and the owner's region is the same, it CASes `CLAIMING` to `WON` (failing if
//!   the owner withdrew it), arms the job and stores `B = pos + 1` (Release: the owner sees
//!   the arming).
//! - Either the claimer's read after its barrier sees the owner's take-back (`back <= pos`)
//!   and gives up, or the owner's load after its fence sees the claim and settles it: the two
//!   cannot both miss, which is what the heavy barrier buys.
//! - Positions below a `private_from` or a `front` the owner once had never hold a private
//!   entry again (`front` only moves up: a promotion never puts an entry back, and a shared
//!   position is never reused for a private one, since shared entries are recorded within
//!   `SHARED_DEPTH` of `front` and private ones below `SHARED_DEPTH` only above a private
//!   one). That is why a claim may skip to `private_from`, and why a `B` above `pos` means
//!   `pos` was claimed. `pop_front` publishes its new `private_from` only after it settled the
//!   entry's claim, so the boundary never passes an entry nobody claimed.
//! - An owner in an isolation region whose private entries include some from outside it
//!   (`set_region`) is not claimed from: a claimed job carries one region.

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
//!   promoted; whether a thief took a shared one is then decided by the swap, and whether
//!   the claimer took a private one by the claim word.
//! - `front <= private_from <= back`, and the shared slots of private positions hold null.
//! - Private entries below the claim word's boundary are claimed; the others are not.

use std::cell::Cell;
use std::ptr::{self, NonNull};
use std::sync::Arc as StdArc;

use crossbeam_utils::CachePadded;

use crate::isolate::Region;
use crate::job::{ArmAs, JobHeader, JobRef};
use crate::loom::{Arc, AtomicPtr, AtomicUsize, Ordering, asymmetric};
use crate::pool::Registry;

/// Entries the stack holds; deeper joins publish their halves on the deque directly.
pub(crate) const CAPACITY: usize = if cfg!(loom) { 4 } else { 256 };

/// How many of the outermost entries are shared, where thieves can claim them; the entries
/// of deeper joins are private to the owner, which records and takes them back with plain
/// memory operations and publishes them only by promotion.
pub(crate) const SHARED_DEPTH: usize = if cfg!(loom) { 2 } else { 3 };

/// How many slots a thief looks at in one visit: entries stolen earlier leave null slots at
/// the front only until the owner's next promotion or take-back passes them.
const STEAL_SCAN: usize = 4;

/// `OwnerWords::claim` holds a boundary `B` in its low bits and a stage in its top two:
/// private entries below `B` are claimed (armed and handed to the pool); while the stage is
/// not `IDLE`, the claimer is claiming one more. An `IDLE` word compares below a position
/// exactly when `B` does, which is the owner's whole fast path.
const IDLE: usize = 0;
/// The claimer announced a claim and is checking that the entry is still recorded; the
/// owner withdraws it if it gets there first.
const CLAIMING: usize = 1 << (usize::BITS - 2);
/// The claim is confirmed, and the claimer is arming the entry; the owner waits for it.
const WON: usize = 2 << (usize::BITS - 2);
const STAGE: usize = 3 << (usize::BITS - 2);

/// `OwnerWords::bounds` holds `back` shifted left by this, and `back - private_from` below
/// it, so a claimer reads both from one moment of the owner.
const BOUNDS_SHIFT: u32 = 9;
const _: () = assert!(CAPACITY < 1 << BOUNDS_SHIFT);

/// `OwnerWords::region` while no private entry may be claimed: the owner is in a region and
/// still holds unpublished entries from outside it (`Isolation::pending_floor`).
const NOT_CLAIMABLE: usize = usize::MAX;

/// A private entry: the job, and the function that arms it (an [`Arm`] as a pointer).
struct PrivateSlot {
    job: AtomicPtr<JobHeader>,
    arm: AtomicPtr<()>,
}

/// The words a claim of a private entry reads: written by the owner (`claim` also by the
/// claimer, rarely), read by the claimer only when it claims, so the line stays the owner's.
struct OwnerWords {
    /// The owner's `back` and `private_from` (see `BOUNDS_SHIFT`).
    bounds: AtomicUsize,
    /// The tag of the region the owner's private entries were recorded in, or
    /// `NOT_CLAIMABLE`.
    region: AtomicUsize,
    /// The claimed boundary and the stage of the claim under way (see `IDLE`).
    claim: AtomicUsize,
}

struct Shared {
    slots: Box<[AtomicPtr<JobHeader>]>,
    /// Absolute position of the oldest entry (written by the owner only).
    front: CachePadded<AtomicUsize>,
    /// Absolute position one past the newest shared entry's position, as of the last change
    /// of the shared entries (written by the owner only): a hint for thieves.
    back: CachePadded<AtomicUsize>,
    owner: CachePadded<OwnerWords>,
    /// The private entries, at `pos % CAPACITY`.
    private: [PrivateSlot; CAPACITY],
    /// The owner's registry handle, for arming a claimed entry (set once its thread runs).
    home: AtomicPtr<StdArc<Registry>>,
    /// The owner's worker index.
    index: usize,
}

impl Shared {
    #[inline]
    fn slot(&self, pos: usize) -> &AtomicPtr<JobHeader> {
        &self.slots[pos % CAPACITY]
    }
}

/// Makes a recorded job ready to be shared (`job::StackJob::arm`): called on an entry that
/// becomes shared, just before.
pub(crate) type Arm = unsafe fn(NonNull<JobHeader>, &ArmAs);

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

/// The `Arm` of a job that is complete already (the tests' jobs).
#[cfg(test)]
pub(crate) unsafe fn armed(_: NonNull<JobHeader>, _: &ArmAs) {}

/// The owner's end. Not `Sync`: one worker records, takes back and promotes.
pub(crate) struct Pending {
    shared: Arc<Shared>,
    /// The owner's copy of `front` (it is its only writer). Its `back` is in
    /// `OwnerWords::bounds`, which it reads as its own.
    front: Cell<usize>,
    /// Where the private entries start: positions `front..private_from` are shared (in
    /// `Shared::slots`), `private_from..back` private (in `Shared::private`). Never below
    /// `front`.
    private_from: Cell<usize>,
    /// The region the owner is in (`set_region`), which a promoted entry is armed with.
    region: Cell<Region>,
    /// The owner's registry handle (`set_home`).
    home: Cell<*const StdArc<Registry>>,
}

// SAFETY: the raw pointers are recorded jobs, which are `Send` (`JobRef`), and the owner's
// registry handle, only read on its thread; a `Pending` moves to its worker's thread before
// that worker records anything, and stays there (it is not `Sync`: the `Cell`s see to that).
unsafe impl Send for Pending {}

/// The thieves' end, shared through the registry.
#[derive(Clone)]
pub(crate) struct PendingStealer {
    shared: Arc<Shared>,
}

/// A claim of a private entry under way (`PendingStealer::begin_claim`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Claim {
    /// The entries claimed, `pos..end`.
    pos: usize,
    end: usize,
    /// The claim word before the claim (the boundary, `IDLE`).
    boundary: usize,
    region: usize,
}

/// A new, empty pending stack for worker `index`.
pub(crate) fn new(index: usize) -> (Pending, PendingStealer) {
    let shared = Arc::new(Shared {
        slots: (0..CAPACITY)
            .map(|_| AtomicPtr::new(ptr::null_mut()))
            .collect(),
        front: CachePadded::new(AtomicUsize::new(0)),
        back: CachePadded::new(AtomicUsize::new(0)),
        owner: CachePadded::new(OwnerWords {
            bounds: AtomicUsize::new(0),
            region: AtomicUsize::new(Region::NONE.tag()),
            claim: AtomicUsize::new(IDLE),
        }),
        private: std::array::from_fn(|_| PrivateSlot {
            job: AtomicPtr::new(ptr::null_mut()),
            arm: AtomicPtr::new(ptr::null_mut()),
        }),
        home: AtomicPtr::new(ptr::null_mut()),
        index,
    });
    (
        Pending {
            shared: Arc::clone(&shared),
            front: Cell::new(0),
            private_from: Cell::new(0),
            region: Cell::new(Region::NONE),
            home: Cell::new(ptr::null()),
        },
        PendingStealer { shared },
    )
}

impl Pending {
    /// Tells the stack where its owner's registry handle lives: the owner's
    /// `WorkerThread::registry_arc`, which stays put while the worker runs. Called once,
    /// when the worker's thread starts, before it records anything.
    pub(crate) fn set_home(&self, registry: &StdArc<Registry>) {
        let home = ptr::from_ref(registry);
        self.home.set(home);
        // Release: pairs with the Acquire load in `finish_claim`.
        self.shared.home.store(home.cast_mut(), Ordering::Release);
    }

    /// Tells the stack which region its owner is in, and whether its private entries are
    /// all of that region (`claimable`: false while some are from outside it).
    pub(crate) fn set_region(&self, region: Region, claimable: bool) {
        self.region.set(region);
        let tag = if claimable {
            region.tag()
        } else {
            NOT_CLAIMABLE
        };
        // Relaxed: a claim checks it again after its heavy barrier, and the Release store
        // of `back` in the next `record_private` carries it to a claimer that sees that
        // entry (see "Claims of private entries").
        self.shared.owner.region.store(tag, Ordering::Relaxed);
    }

    /// How a job this stack hands over is armed: as the owner's, in its current region.
    fn arm_as(&self) -> ArmAs {
        ArmAs {
            registry: self.home.get(),
            index: self.shared.index,
            region: self.region.get(),
        }
    }

    /// Records a join's second half as the newest entry and says where; gives the job back
    /// if the stack is full. `arm` is called on it before it is shared: at once if it is one
    /// of the outermost entries, else if it is promoted or claimed.
    ///
    /// # Safety
    /// `arm` must be the arming function of `job`'s type (or [`armed`] for a complete job),
    /// and the job must stay valid until it is taken back, promoted and run, or claimed and
    /// run.
    #[inline]
    pub(crate) unsafe fn push_back(&self, job: JobRef, arm: Arm) -> Result<Recorded, JobRef> {
        let bounds = self.bounds();
        let back = bounds >> BOUNDS_SHIFT;
        let len = back - self.front.get();
        // The common case first, with one comparison: `SHARED_DEPTH <= len < CAPACITY`.
        if len.wrapping_sub(SHARED_DEPTH) < CAPACITY - SHARED_DEPTH {
            self.record_private(bounds, back, job, arm);
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
            self.record_private(bounds, back, job, arm);
            return Ok(Recorded {
                pos: back,
                outer: true,
            });
        }
        let ptr = job.into_raw();
        // SAFETY: by the caller's contract; the job is not shared yet.
        unsafe { arm(ptr, &self.arm_as()) };
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

    /// Records a private entry at `back` (`bounds` is the bounds word, with that `back`).
    #[inline]
    fn record_private(&self, bounds: usize, back: usize, job: JobRef, arm: Arm) {
        // Bound once: after an atomic store the compiler would load `self.shared` again.
        let shared = &*self.shared;
        let slot = &shared.private[back % CAPACITY];
        // Relaxed: carried to a claimer by the Release store of the bounds below.
        slot.job.store(job.into_raw().as_ptr(), Ordering::Relaxed);
        slot.arm.store(arm as *mut (), Ordering::Relaxed);
        // `back` one up, and so is `back - private_from`. Release: pairs with the Acquire
        // load in `finish_claim`: a claimer that sees this entry recorded sees its slot
        // (and the region it was recorded in).
        shared
            .owner
            .bounds
            .store(bounds + (1 << BOUNDS_SHIFT | 1), Ordering::Release);
    }

    /// Removes the entry at `pos`, the newest one unless it was promoted, and says whether
    /// it is back in the owner's hands, to run inline; false if it was promoted, stolen or
    /// claimed (then it runs, or ran, elsewhere or from the deque, and its latch tells
    /// when).
    #[inline]
    pub(crate) fn pop_back(&self, pos: usize) -> bool {
        if pos < self.front.get() {
            return false; // promoted
        }
        debug_assert_eq!(pos + 1, self.back(), "only the newest entry is taken back");
        let private_from = self.private_from.get();
        if pos >= private_from {
            // Private: only the claimer can have it. The light side of the asymmetric
            // barrier, against the heavy one in a claim: either the claimer sees `back`
            // below `pos` (and gives up), or we see its claim, and settle with it.
            self.store_bounds(
                pos << BOUNDS_SHIFT | (pos - private_from),
                Ordering::Relaxed,
            );
            asymmetric::light();
            // Below `pos`: no claim under way (its stage bits put the word above every
            // position), and nothing claimed at or above `pos`.
            if self.shared.owner.claim.load(Ordering::Relaxed) < pos {
                return true;
            }
            return self.settle(pos, true);
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

    /// The owner takes the private entry at `pos` (back if `taking_back`, else to promote
    /// it), after its light barrier, and the claim word is not below `pos`: true if the
    /// entry is still the owner's, false if it was claimed (it is armed: its latch tells
    /// when it ran). A claim under way is withdrawn, whichever entry it is for: the claimer
    /// tries again at a later beat. Taking back a claimed entry lowers the boundary to it,
    /// since the entries from `pos` up are gone.
    #[cold]
    #[inline(never)]
    fn settle(&self, pos: usize, taking_back: bool) -> bool {
        let claim = &self.shared.owner.claim;
        loop {
            let seen = self.settled_claim();
            if seen <= pos {
                return true;
            }
            // Claimed. Taking it back, the boundary comes down to it.
            if !taking_back
                || claim
                    .compare_exchange(seen, pos, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                return false;
            }
        }
    }

    /// The claim word once no claim is under way: a claim not confirmed yet is withdrawn
    /// (the claimer's CAS to `WON` then fails), a confirmed one is waited for.
    fn settled_claim(&self) -> usize {
        let claim = &self.shared.owner.claim;
        #[cfg(not(loom))]
        let backoff = crossbeam_utils::Backoff::new();
        loop {
            // Acquire: pairs with the Release store in `finish_claim` that moves the
            // boundary past an entry it armed, so the arming's writes (the latch the owner
            // waits on) are seen.
            let seen = claim.load(Ordering::Acquire);
            match seen & STAGE {
                IDLE => return seen,
                CLAIMING => {
                    let _ = claim.compare_exchange(
                        seen,
                        seen & !STAGE,
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    );
                }
                _ => {
                    // The claimer is writing the job's header and latch: a few stores.
                    #[cfg(not(loom))]
                    backoff.snooze();
                    #[cfg(loom)]
                    crate::loom::yield_now();
                }
            }
        }
    }

    /// Takes the oldest unclaimed entry, to promote it, skipping entries thieves or the
    /// claimer took. An entry taken is never put back: the caller makes sure it can publish
    /// it first (a claim relies on `front` only moving up).
    #[inline]
    pub(crate) fn pop_front(&self) -> Option<JobRef> {
        loop {
            let front = self.front.get();
            if front == self.back() {
                return None;
            }
            self.front.set(front + 1);
            // Relaxed: a hint for thieves, which decide by their CAS on the slot; and the
            // store of the light barrier's pairing with a claim (below).
            self.shared.front.store(front + 1, Ordering::Relaxed);
            let ptr = if front >= self.private_from.get() {
                // The light barrier, as in `pop_back`: a claimer that checks after its heavy
                // barrier sees `front` past the entry, or we see its claim.
                asymmetric::light();
                let ours = self.shared.owner.claim.load(Ordering::Relaxed) < front
                    || self.settle(front, false);
                // Published only now that the claim is settled: a claim is always of an
                // entry at or above a `private_from` its claimer saw.
                self.private_from.set(front + 1);
                self.publish_bounds(self.back());
                if !ours {
                    continue; // claimed: it runs elsewhere
                }
                let slot = &self.shared.private[front % CAPACITY];
                let ptr = slot.job.load(Ordering::Relaxed);
                let arm = slot.arm.load(Ordering::Relaxed);
                if let Some(ptr) = NonNull::new(ptr) {
                    // SAFETY: `arm` came with the job in `push_back` as an `Arm` (or is
                    // `armed`), and the job is not shared yet: nobody claimed it.
                    unsafe {
                        let arm = std::mem::transmute::<*mut (), Arm>(arm);
                        arm(ptr, &self.arm_as());
                    }
                }
                ptr
            } else {
                self.shared
                    .slot(front)
                    .swap(ptr::null_mut(), Ordering::Acquire)
            };
            if let Some(ptr) = NonNull::new(ptr) {
                // The region is the job's own (`JobHeader::region`); the owner stamps its
                // current region when it publishes the entry, which is the same one (an entry
                // is only published in the region it was recorded in, see `isolate.rs`).
                // SAFETY: the pointer came from `into_raw` in `push_back`, and the swap (or
                // the settled claim) gave it to us alone.
                return Some(unsafe { JobRef::from_raw(ptr, Region::NONE) });
            }
        }
    }

    /// How many recorded joins are open (entries thieves took still count until their join
    /// closes).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.back() - self.front.get()
    }

    /// Whether the entry at `pos` is the only one (the outermost recorded join).
    #[inline]
    pub(crate) fn is_first(&self, pos: usize) -> bool {
        pos == self.front.get()
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.back() == self.front.get()
    }

    /// The bounds word: the owner reads its own stores, so Relaxed is exact here.
    #[inline]
    fn bounds(&self) -> usize {
        self.shared.owner.bounds.load(Ordering::Relaxed)
    }

    #[inline]
    fn store_bounds(&self, bounds: usize, order: Ordering) {
        self.shared.owner.bounds.store(bounds, order);
    }

    #[inline]
    fn back(&self) -> usize {
        self.bounds() >> BOUNDS_SHIFT
    }

    #[inline]
    fn set_back(&self, back: usize) {
        // Relaxed: a hint for thieves (see the module docs); the slot's Release store carries
        // the job's contents.
        self.shared.back.store(back, Ordering::Relaxed);
        self.publish_bounds(back);
    }

    /// Stores `back` and `private_from` for a claimer, in one word. Release: as in
    /// `record_private`.
    #[inline]
    fn publish_bounds(&self, back: usize) {
        self.store_bounds(
            back << BOUNDS_SHIFT | (back - self.private_from.get()),
            Ordering::Release,
        );
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

    /// The owner's `back` and `private_from`, from one moment.
    fn bounds(&self, order: Ordering) -> (usize, usize) {
        let bounds = self.shared.owner.bounds.load(order);
        let back = bounds >> BOUNDS_SHIFT;
        (back, back - (bounds & ((1 << BOUNDS_SHIFT) - 1)))
    }

    /// The oldest private entry not claimed yet, if any, with the claim word: positions
    /// below a `private_from` the owner once published never hold a private entry again
    /// (see "Claims of private entries"). Not `front`: `pop_front` moves it past an entry
    /// before it settles the entry's claim, which must not see the boundary moved past an
    /// entry nobody claimed.
    fn next_claim(&self) -> Option<(usize, usize)> {
        let owner = &self.shared.owner;
        let seen = owner.claim.load(Ordering::Relaxed);
        let (back, private_from) = self.bounds(Ordering::Relaxed);
        let pos = (seen & !STAGE).max(private_from);
        let claimable = seen & STAGE == IDLE
            && owner.region.load(Ordering::Relaxed) != NOT_CLAIMABLE
            && pos < back;
        claimable.then_some((pos, seen))
    }

    /// True if `begin_claim` would start a claim now (a hint, for the heartbeat).
    pub(crate) fn has_claimable(&self) -> bool {
        self.next_claim().is_some()
    }

    /// Starts a claim of the owner's oldest unclaimed private entries, up to `max` of them
    /// (at least one), for an owner that has not come to a `join` for a while (the heartbeat
    /// thread's, and only its: one claimer per stack). The claim counts only after an
    /// [`asymmetric::heavy`] barrier, then `finish_claim` (or `abort_claim` if the barrier
    /// is unavailable).
    pub(crate) fn begin_claim(&self, max: usize) -> Option<Claim> {
        let owner = &self.shared.owner;
        let region = owner.region.load(Ordering::Relaxed);
        let (pos, seen) = self.next_claim()?;
        let (back, _) = self.bounds(Ordering::Relaxed);
        let end = back.min(pos + max.max(1));
        // Relaxed: the heavy barrier that follows orders it before our look at the owner's
        // bounds, and its release is `finish_claim`'s store of the new boundary.
        owner
            .claim
            .compare_exchange(seen, seen | CLAIMING, Ordering::Relaxed, Ordering::Relaxed)
            .ok()?;
        Some(Claim {
            pos,
            end,
            boundary: seen,
            region,
        })
    }

    /// Withdraws a claim (the heavy barrier was unavailable, or the entries are gone).
    pub(crate) fn abort_claim(&self, claim: Claim) {
        // Fails only if the owner withdrew it already.
        let _ = self.shared.owner.claim.compare_exchange(
            claim.boundary | CLAIMING,
            claim.boundary,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    /// Finishes a claim after the heavy barrier: if its entries are still recorded, still
    /// private and still in the same region, and their owner did not take one meanwhile,
    /// arms each as its owner's and hands it to `out`, oldest first, and says how many. Their
    /// `join`s then wait for their latches.
    pub(crate) fn finish_claim(&self, claim: Claim, mut out: impl FnMut(JobRef)) -> usize {
        let shared = &*self.shared;
        let owner = &shared.owner;
        // Acquire: pairs with the Release stores of the bounds (`record_private`,
        // `set_back`, `pop_front`): the slots up to `back` and the region are at least as
        // new as the bounds we see. After the barrier, these are at least the owner's at
        // the barrier, and whatever the owner does to the entries from then on, it does
        // after reading our claim (`settle`), which it withdraws.
        let (back, private_from) = self.bounds(Ordering::Acquire);
        let live = private_from.max(shared.front.load(Ordering::Relaxed)) <= claim.pos
            && claim.pos < claim.end
            && claim.end <= back
            && owner.region.load(Ordering::Relaxed) == claim.region;
        let home = shared.home.load(Ordering::Acquire);
        if !live || home.is_null() {
            self.abort_claim(claim);
            return 0;
        }
        if owner
            .claim
            .compare_exchange(
                claim.boundary | CLAIMING,
                claim.boundary | WON,
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_err()
        {
            return 0; // the owner withdrew it
        }
        let region = Region::from_tag(claim.region);
        let as_owner = ArmAs {
            registry: home,
            index: shared.index,
            region,
        };
        // Armed first (at most `CAPACITY` of them), handed out once the owner may see them.
        let mut armed_jobs = [ptr::null_mut::<JobHeader>(); CAPACITY];
        for (pos, armed_job) in (claim.pos..claim.end).zip(&mut armed_jobs) {
            let slot = &shared.private[pos % CAPACITY];
            let ptr = NonNull::new(slot.job.load(Ordering::Relaxed)).expect("a recorded entry");
            // SAFETY: the entry is recorded (checked above, with the Acquire that makes its
            // slot ours to read), its owner waits while the stage is `WON` before it touches
            // the job again, and its `arm` came with it as an `Arm`. `home` is the owner's
            // registry handle, which outlives the frames on its stack.
            unsafe {
                let arm = std::mem::transmute::<*mut (), Arm>(slot.arm.load(Ordering::Relaxed));
                arm(ptr, &as_owner);
            }
            *armed_job = ptr.as_ptr();
        }
        let count = claim.end - claim.pos;
        // Release: pairs with the Acquire load in `settle`: the boundary moves past the
        // entries, which are claimed (and so are the private entries below them).
        owner.claim.store(claim.end, Ordering::Release);
        for &ptr in &armed_jobs[..count] {
            // SAFETY: the pointer came from `JobRef::into_raw`, and the claim gave it to us
            // alone.
            out(unsafe { JobRef::from_raw(NonNull::new_unchecked(ptr), region) });
        }
        count
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

/// Gives a stack a registry handle that is never followed: the tests' jobs are complete
/// already, and their `armed` ignores it.
#[cfg(test)]
fn set_fake_home(p: &Pending) {
    let fake = NonNull::<StdArc<Registry>>::dangling().as_ptr();
    p.home.set(fake);
    p.shared.home.store(fake, Ordering::Release);
}

/// Whether `pop_back` gave the entry back to the owner.
#[cfg(test)]
fn taken(p: &Pending, pos: usize) -> bool {
    p.pop_back(pos)
}

/// A whole claim of up to `max` entries, as the heartbeat thread makes it.
#[cfg(test)]
fn claim_up_to(s: &PendingStealer, max: usize) -> Vec<JobRef> {
    let mut jobs = Vec::new();
    if let Some(claim) = s.begin_claim(max) {
        if asymmetric::heavy() {
            s.finish_claim(claim, |job| jobs.push(job));
        } else {
            s.abort_claim(claim);
        }
    }
    jobs
}

/// A whole claim of one entry.
#[cfg(test)]
fn claim(s: &PendingStealer) -> Option<JobRef> {
    claim_up_to(s, 1).pop()
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn back_is_lifo_front_is_oldest() {
        let (p, _s) = new(0);
        let pos: Vec<usize> = (0..5)
            .map(|i| record(&p, JobRef::fake(i)).unwrap())
            .collect();
        assert!(taken(&p, pos[4]));
        assert_eq!(p.pop_front().map(|j| j.id()), Some(JobRef::fake(0).id()));
        assert_eq!(p.pop_front().map(|j| j.id()), Some(JobRef::fake(1).id()));
        assert!(!taken(&p, pos[0]), "a promoted entry is not taken back");
        assert!(taken(&p, pos[3]));
        assert!(taken(&p, pos[2]));
        assert!(p.is_empty());
        assert!(p.pop_front().is_none());
    }

    #[test]
    fn only_the_outermost_entries_are_outer() {
        let (p, s) = new(0);
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
        assert!(taken(&p, above.pos));
    }

    #[test]
    fn wraps_around_and_reports_full() {
        let (p, _s) = new(0);
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
                assert!(taken(&p, pos[i]));
            }
            assert!(p.is_empty());
        }
    }

    #[test]
    fn thieves_take_the_oldest_and_the_owner_sees_it() {
        let (p, s) = new(0);
        let jobs: Vec<_> = (0..3).map(|_| crate::job::HeaderOnly::new()).collect();
        let pos: Vec<usize> = jobs
            .iter()
            .map(|j| record(&p, j.job_ref()).unwrap())
            .collect();
        assert_eq!(s.steal().map(|j| j.id()), Some(jobs[0].job_ref().id()));
        assert_eq!(s.steal().map(|j| j.id()), Some(jobs[1].job_ref().id()));
        assert!(taken(&p, pos[2]), "the newest was not stolen");
        assert!(!taken(&p, pos[1]), "stolen: not taken back");
        assert!(!taken(&p, pos[0]), "stolen: not taken back");
        assert!(p.is_empty());
        assert!(s.steal().is_none());
        assert!(!s.has_entries());
    }
    /// A stack with a fake home and `n` recorded header-only jobs, with their positions.
    fn claimable_stack(
        n: usize,
    ) -> (
        Pending,
        PendingStealer,
        Vec<crate::job::HeaderOnly>,
        Vec<usize>,
    ) {
        let (p, s) = new(0);
        set_fake_home(&p);
        let jobs: Vec<_> = (0..n).map(|_| crate::job::HeaderOnly::new()).collect();
        let pos: Vec<usize> = jobs
            .iter()
            .map(|j| record(&p, j.job_ref()).unwrap())
            .collect();
        (p, s, jobs, pos)
    }

    #[test]
    fn claims_take_private_entries_oldest_first_and_the_owner_sees_it() {
        if !asymmetric::available() {
            return; // nothing to claim with here
        }
        let (p, s, jobs, pos) = claimable_stack(SHARED_DEPTH + 3);
        let first = SHARED_DEPTH;
        assert!(s.has_claimable());
        assert_eq!(claim(&s).map(|j| j.id()), Some(jobs[first].job_ref().id()));
        assert_eq!(
            claim(&s).map(|j| j.id()),
            Some(jobs[first + 1].job_ref().id())
        );
        assert!(taken(&p, pos[first + 2]), "the newest was not claimed");
        assert!(!s.has_claimable(), "every private entry left is claimed");
        assert!(claim(&s).is_none());
        // A new entry where the unclaimed one was is not claimed.
        let again = crate::job::HeaderOnly::new();
        assert_eq!(record(&p, again.job_ref()).unwrap(), pos[first + 2]);
        assert!(taken(&p, pos[first + 2]));
        assert!(!taken(&p, pos[first + 1]), "claimed: not taken back");
        // The boundary came down with it: a new entry there is the owner's again.
        let again = crate::job::HeaderOnly::new();
        assert_eq!(record(&p, again.job_ref()).unwrap(), pos[first + 1]);
        assert!(taken(&p, pos[first + 1]));
        assert!(!taken(&p, pos[first]), "claimed: not taken back");
        for &at in pos[..first].iter().rev() {
            assert!(taken(&p, at), "shared entries nobody stole");
        }
        assert!(p.is_empty());
        assert!(claim(&s).is_none());
    }

    #[test]
    fn a_claim_takes_several_oldest_first_up_to_the_newest() {
        if !asymmetric::available() {
            return;
        }
        let (p, s, jobs, pos) = claimable_stack(SHARED_DEPTH + 5);
        let first = SHARED_DEPTH;
        let ids = |got: Vec<JobRef>| got.iter().map(|j| j.id()).collect::<Vec<_>>();
        let want = |r: std::ops::Range<usize>| {
            jobs[r].iter().map(|j| j.job_ref().id()).collect::<Vec<_>>()
        };
        assert_eq!(ids(claim_up_to(&s, 3)), want(first..first + 3));
        assert_eq!(
            ids(claim_up_to(&s, 8)),
            want(first + 3..first + 5),
            "no further than back"
        );
        assert!(claim_up_to(&s, 8).is_empty());
        for &at in pos[first..].iter().rev() {
            assert!(!taken(&p, at), "claimed: not taken back");
        }
        for &at in pos[..first].iter().rev() {
            assert!(taken(&p, at));
        }
        assert!(p.is_empty());
    }

    #[test]
    fn a_promotion_skips_claimed_entries() {
        if !asymmetric::available() {
            return;
        }
        let (p, s, jobs, pos) = claimable_stack(SHARED_DEPTH + 2);
        let first = SHARED_DEPTH;
        assert_eq!(claim(&s).map(|j| j.id()), Some(jobs[first].job_ref().id()));
        for j in &jobs[..first] {
            assert_eq!(p.pop_front().map(|got| got.id()), Some(j.job_ref().id()));
        }
        assert_eq!(
            p.pop_front().map(|got| got.id()),
            Some(jobs[first + 1].job_ref().id()),
            "the claimed entry is skipped"
        );
        assert!(p.pop_front().is_none());
        for &at in pos.iter().rev() {
            assert!(!taken(&p, at), "promoted or claimed");
        }
        assert!(p.is_empty());
    }

    #[test]
    fn entries_of_a_region_with_outer_entries_left_are_not_claimed() {
        let (p, s) = new(0);
        set_fake_home(&p);
        let jobs: Vec<_> = (0..SHARED_DEPTH + 1)
            .map(|_| crate::job::HeaderOnly::new())
            .collect();
        for j in &jobs {
            record(&p, j.job_ref()).unwrap();
        }
        p.set_region(Region::NONE, false);
        assert!(!s.has_claimable());
        assert!(s.begin_claim(1).is_none());
        p.set_region(Region::NONE, true);
        assert!(s.has_claimable());
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::job::HeaderOnly;
    use loom::thread;

    /// The owner records three joins (the outer two shared, the inner one private) and
    /// closes them, promoting `promote` of them oldest first (across the shared/private
    /// boundary), while a thief steals:
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
            let (p, s) = new(0);
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
            for _ in 0..promote {
                if let Some(j) = p.pop_front() {
                    claims.push(j.id() as usize);
                }
            }
            for (j, &at) in jobs.iter().zip(&pos).rev() {
                if taken(&p, at) {
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

    /// The owner records two shared and two private entries, promotes `promote` of them
    /// oldest first, and takes the rest back, once recording a new entry where it took the
    /// newest back; meanwhile the heartbeat thread claims twice, up to `max` entries each
    /// time. Each entry is claimed
    /// exactly once, by the owner or the claimer, the claimer gets only private ones, and
    /// the owner never waits for a claim forever (loom would report the spin).
    fn claimed_once_by_owner_or_claimer(promote: usize, max: usize) {
        // Set when some execution had the claimer win: the model explores claims that
        // succeed, not only ones the owner withdraws.
        let some_claimed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = std::sync::Arc::clone(&some_claimed);
        loom::model(move || {
            let jobs: &'static [HeaderOnly; 5] = Box::leak(Box::new([
                HeaderOnly::new(),
                HeaderOnly::new(),
                HeaderOnly::new(),
                HeaderOnly::new(),
                HeaderOnly::new(),
            ]));
            let id = |j: &HeaderOnly| j.job_ref().id() as usize;
            let (p, s) = new(0);
            set_fake_home(&p);
            let pos: Vec<usize> = jobs[..4]
                .iter()
                .map(|j| record(&p, j.job_ref()).unwrap())
                .collect();
            let claimer = thread::spawn(move || {
                let mut got = Vec::new();
                for _ in 0..2 {
                    got.extend(claim_up_to(&s, max).iter().map(|j| j.id() as usize));
                }
                got
            });
            let mut claims = Vec::new();
            for _ in 0..promote {
                if let Some(j) = p.pop_front() {
                    claims.push(j.id() as usize);
                }
            }
            if taken(&p, pos[3]) {
                claims.push(id(&jobs[3]));
            }
            // At `pos[3]` again, unless a promotion passed it.
            let again = record(&p, jobs[4].job_ref()).unwrap();
            if taken(&p, again) {
                claims.push(id(&jobs[4]));
            }
            for (j, &at) in jobs[..3].iter().zip(&pos).rev() {
                if taken(&p, at) {
                    claims.push(id(j));
                }
            }
            assert!(p.is_empty());
            let claimed = claimer.join().unwrap();
            assert!(
                !claimed.contains(&id(&jobs[0])) && !claimed.contains(&id(&jobs[1])),
                "a shared entry was claimed"
            );
            if !claimed.is_empty() {
                seen.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            claims.extend(claimed);
            claims.sort_unstable();
            let mut expected: Vec<usize> = jobs.iter().map(id).collect();
            expected.sort_unstable();
            assert_eq!(claims, expected, "every entry claimed exactly once");
        });
        assert!(some_claimed.load(std::sync::atomic::Ordering::Relaxed));
    }

    #[test]
    fn each_entry_is_claimed_once_with_a_claimer() {
        claimed_once_by_owner_or_claimer(0, 1);
    }

    #[test]
    fn each_entry_is_claimed_once_with_a_claimer_and_a_promotion() {
        claimed_once_by_owner_or_claimer(1, 1);
    }

    #[test]
    fn each_entry_is_claimed_once_with_a_claimer_and_promotions() {
        claimed_once_by_owner_or_claimer(3, 1);
    }

    #[test]
    fn each_entry_is_claimed_once_with_a_claimer_taking_two_at_once() {
        claimed_once_by_owner_or_claimer(0, 2);
    }

    #[test]
    fn each_entry_is_claimed_once_with_a_claimer_taking_two_at_once_and_a_promotion() {
        claimed_once_by_owner_or_claimer(1, 2);
    }
}
