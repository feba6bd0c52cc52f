//! A fixed-capacity Chase–Lev work-stealing deque.
//!
//! The owning worker pushes and pops at the *bottom* (LIFO, so it works depth-first and keeps
//! its cache warm); thieves take from the *top* (FIFO, the oldest and usually largest pieces
//! of work). The algorithm is the one of Chase and Lev (SPAA 2005) with the C11 orderings of
//! Lê, Pop, Cohen and Zappa Nardelli (PPoPP 2013), with two changes:
//!
//! - **Fixed capacity.** The buffer never grows, so it is never freed while a thief may read
//!   it and needs no reclamation scheme. [`Worker::push`] hands the item back when the deque
//!   is full; the caller runs it inline or sends it to the injector.
//! - **Atomic slots.** Every slot is an `AtomicPtr`. A thief may read a slot that the owner
//!   is overwriting after a wrap-around; with plain memory that is a data race (undefined
//!   behaviour even if the value is then discarded), with a relaxed atomic it is just a stale
//!   value that the following CAS on `top` rejects.
//!
//! # Tags
//!
//! Each item carries a `usize` tag beside it, in its own atomic in the slot. brigade stores
//! the job's isolation region there (`isolate.rs`). [`Stealer::steal_if_tag`] reads the
//! oldest item's tag *before* it claims the item and leaves the item alone if the tag
//! differs: an isolated worker may only take jobs of its own region, and a job it claimed
//! could never be put back. The tag is read speculatively, like the item (see *Atomic
//! slots*): if the CAS on `top` then succeeds, both words belonged to the claimed index.
//!
//! # Batch steals
//!
//! [`Stealer::steal_batch_and_pop`] takes about half of a victim's items in one visit. It is a
//! loop of ordinary single-item steals, one CAS on `top` each, as crossbeam-deque does for LIFO
//! deques: one CAS moving `top` by `k` would not be safe, because the owner pops from the
//! bottom without a CAS while more than one item is left, and could take an item inside the
//! batch at the same time. Items move to the thief's own deque only while it has room, checked
//! before each extra steal: a stolen item can never be put back.
//!
//! # Invariants
//!
//! - `top` only grows, and only by a successful CAS (by a thief, or by the owner taking the
//!   last item). `bottom` is written by the owner alone, always with `Release`.
//! - Items live at indices `top..bottom`; index `i` is stored in slot `i % CAPACITY`.
//! - The owner writes slot `b % CAPACITY` only when `b - top < CAPACITY` for a value of `top`
//!   it has seen; as `top` only grows, a stale (smaller) `top` is a conservative bound.
//! - The one race that matters, owner and thief both going for the last item, is decided by
//!   the CAS on `top`: the `SeqCst` fences in `pop` and `steal` make sure at least one of the
//!   two sees the other's claim (store-buffering), and the CAS lets exactly one win.
//!
//! loom models of push/pop against steal, including the last item and a wrap-around, are at
//! the bottom of this file.

use std::cell::Cell;
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use crossbeam_utils::CachePadded;

use crate::loom::{Arc, AtomicIsize, AtomicPtr, AtomicUsize, Ordering, fence};

/// Slots in each worker's deque.
#[cfg(not(loom))]
pub const CAPACITY: usize = 1024;
/// Slots in each worker's deque: small under loom so that models reach the wrap-around.
#[cfg(loom)]
pub const CAPACITY: usize = 2;

/// The most items one [`Stealer::steal_batch_and_pop`] takes, the returned one included.
pub const MAX_BATCH: usize = 32;

const MASK: usize = CAPACITY - 1;
const _: () = assert!(CAPACITY.is_power_of_two());

struct Inner<T> {
    /// Index of the oldest item; thieves CAS it forward.
    top: CachePadded<AtomicIsize>,
    /// One past the newest item; written by the owner only.
    bottom: CachePadded<AtomicIsize>,
    slots: Box<[Slot<T>]>,
}

/// One item and its tag. Both are written by the owner before it publishes `bottom`, and
/// read by whoever takes the item.
struct Slot<T> {
    item: AtomicPtr<T>,
    tag: AtomicUsize,
}

impl<T> Inner<T> {
    #[inline]
    fn slot(&self, index: isize) -> &Slot<T> {
        // `index as usize` wraps negative values, and `& MASK` keeps it in bounds.
        &self.slots[index as usize & MASK]
    }
}

impl<T> Slot<T> {
    /// The item and its tag. Relaxed: the caller's load of `bottom` (Acquire, or its own
    /// store as the owner) orders these after the owner's writes.
    #[inline]
    fn read(&self) -> (*mut T, usize) {
        (
            self.item.load(Ordering::Relaxed),
            self.tag.load(Ordering::Relaxed),
        )
    }
}

/// The owner's end of a deque. Not `Sync` and not `Clone`: exactly one thread pushes and pops.
pub struct Worker<T> {
    inner: Arc<Inner<T>>,
    /// A lower bound of `top`, so that `push` reads the shared `top` only when the deque
    /// looks full.
    cached_top: Cell<isize>,
    _not_sync: PhantomData<Cell<()>>,
}

/// A thief's end of a deque; cheap to clone and shared by all workers.
pub struct Stealer<T> {
    inner: Arc<Inner<T>>,
}

/// The outcome of [`Stealer::steal`].
#[derive(Debug, PartialEq, Eq)]
pub enum Steal<T> {
    /// The deque was empty.
    Empty,
    /// Another thread took the item first; trying again may succeed.
    Retry,
    /// The oldest item.
    Success(T),
}

// SAFETY: the deque moves raw pointers between threads; whoever puts a pointer in is
// responsible for what it points to being `Send` (job references are).
unsafe impl<T> Send for Worker<T> {}
// SAFETY: as above; all shared state is atomic.
unsafe impl<T> Send for Stealer<T> {}
// SAFETY: `steal` takes `&self` and only uses atomics.
unsafe impl<T> Sync for Stealer<T> {}

/// Creates a deque and returns its two ends.
pub fn new<T>() -> (Worker<T>, Stealer<T>) {
    let slots = (0..CAPACITY)
        .map(|_| Slot {
            item: AtomicPtr::new(ptr::null_mut()),
            tag: AtomicUsize::new(0),
        })
        .collect();
    let inner = Arc::new(Inner {
        top: CachePadded::new(AtomicIsize::new(0)),
        bottom: CachePadded::new(AtomicIsize::new(0)),
        slots,
    });
    let stealer = Stealer {
        inner: inner.clone(),
    };
    let worker = Worker {
        inner,
        cached_top: Cell::new(0),
        _not_sync: PhantomData,
    };
    (worker, stealer)
}

impl<T> Worker<T> {
    /// Pushes `item` at the bottom with tag 0, or gives it back if the deque is full.
    #[inline]
    pub fn push(&self, item: NonNull<T>) -> Result<(), NonNull<T>> {
        self.push_tagged(item, 0)
    }

    /// Pushes `item` with `tag` at the bottom, or gives it back if the deque is full.
    #[inline]
    pub fn push_tagged(&self, item: NonNull<T>, tag: usize) -> Result<(), NonNull<T>> {
        let inner = &*self.inner;
        let b = inner.bottom.load(Ordering::Relaxed);
        if b.wrapping_sub(self.cached_top.get()) >= CAPACITY as isize {
            // Acquire: pairs with the thieves' CAS on `top`, so their reads of the slots we
            // are about to reuse happened before our writes.
            let t = inner.top.load(Ordering::Acquire);
            self.cached_top.set(t);
            if b.wrapping_sub(t) >= CAPACITY as isize {
                return Err(item);
            }
        }
        let slot = inner.slot(b);
        slot.item.store(item.as_ptr(), Ordering::Relaxed);
        slot.tag.store(tag, Ordering::Relaxed);
        // Release: publishes the slot (and what the item points to) to the Acquire load of
        // `bottom` in `steal`.
        inner.bottom.store(b.wrapping_add(1), Ordering::Release);
        Ok(())
    }

    /// Pops the newest item, if any.
    #[inline]
    pub fn pop(&self) -> Option<NonNull<T>> {
        self.pop_tagged().map(|(item, _)| item)
    }

    /// Pops the newest item and its tag, if any.
    #[inline]
    pub fn pop_tagged(&self) -> Option<(NonNull<T>, usize)> {
        let inner = &*self.inner;
        let b = inner.bottom.load(Ordering::Relaxed).wrapping_sub(1);
        // Release: every value of `bottom` a thief reads carries the owner's slot writes.
        inner.bottom.store(b, Ordering::Release);
        // SeqCst fence: orders our claim on `bottom` before the read of `top`; pairs with the
        // fence in `steal` (store-buffering: we see the thief's `top`, or it sees our `bottom`).
        fence(Ordering::SeqCst);
        let t = inner.top.load(Ordering::Relaxed);
        let size = b.wrapping_sub(t);
        if size < 0 {
            // Empty: restore `bottom`.
            inner.bottom.store(b.wrapping_add(1), Ordering::Release);
            return None;
        }
        let (item, tag) = inner.slot(b).read();
        if size > 0 {
            // More than one item: no thief can reach index `b`.
            return NonNull::new(item).map(|item| (item, tag));
        }
        // The last item: race the thieves for it on `top`.
        let won = inner
            .top
            .compare_exchange(t, t.wrapping_add(1), Ordering::SeqCst, Ordering::Relaxed)
            .is_ok();
        inner.bottom.store(b.wrapping_add(1), Ordering::Release);
        if won {
            self.cached_top.set(t.wrapping_add(1));
            NonNull::new(item).map(|item| (item, tag))
        } else {
            None
        }
    }

    /// Pops the newest item and its tag if it was pushed at index `floor` or later (after
    /// [`bottom`](Self::bottom) returned `floor`), or if its tag is `tag`: an isolated
    /// region's own jobs, and those of its jobs that a batch steal moved here earlier.
    #[inline]
    pub fn pop_above(&self, floor: isize, tag: usize) -> Option<(NonNull<T>, usize)> {
        // Relaxed: the owner is the only writer of `bottom`.
        let b = self.inner.bottom.load(Ordering::Relaxed);
        if b.wrapping_sub(floor) <= 0 {
            // Below the floor: only an item of `tag`. Reading the newest slot is safe even if
            // a thief is taking it (an atomic read; `pop_tagged` then settles the race), and
            // an empty deque's stale slot is harmless: `pop_tagged` finds nothing.
            if self.is_empty() || self.inner.slot(b.wrapping_sub(1)).read().1 != tag {
                return None;
            }
        }
        self.pop_tagged()
    }

    /// The index the next push will use. Items pushed from now on have indices at or above
    /// it until the owner pops below it; see [`pop_above`](Self::pop_above).
    #[inline]
    pub fn bottom(&self) -> isize {
        // Relaxed: the owner is the only writer of `bottom`.
        self.inner.bottom.load(Ordering::Relaxed)
    }

    /// True if the deque holds no item (exact for the owner).
    #[inline]
    pub fn is_empty(&self) -> bool {
        let b = self.inner.bottom.load(Ordering::Relaxed);
        let t = self.inner.top.load(Ordering::Relaxed);
        b.wrapping_sub(t) <= 0
    }

    /// Takes up to `max` of the oldest items (the thieves' end) with one CAS on `top`, and
    /// appends them to `out`, oldest first, with their tags; returns how many. For the owner,
    /// to move part of a full deque elsewhere. One CAS moving `top` by `k` is unsafe for a
    /// thief (see *Batch steals*), but here the owner, the only thread that takes from the
    /// bottom, is busy doing this, and thieves race for `top` through the same CAS, so each
    /// item still goes to exactly one taker.
    pub fn take_oldest(&self, max: usize, out: &mut Vec<(NonNull<T>, usize)>) -> usize {
        let inner = &*self.inner;
        // Relaxed: the owner is the only writer of `bottom`.
        let b = inner.bottom.load(Ordering::Relaxed);
        loop {
            // Acquire: pairs with the thieves' CAS on `top`, as in `push`.
            let t = inner.top.load(Ordering::Acquire);
            let len = b.wrapping_sub(t);
            if len <= 0 || max == 0 {
                return 0;
            }
            let n = (len as usize).min(max);
            let start = out.len();
            for i in 0..n {
                // Written by this thread (the owner) before it published `bottom`; thieves
                // never write slots.
                let (item, tag) = inner.slot(t.wrapping_add(i as isize)).read();
                let item = NonNull::new(item).expect("a slot in top..bottom holds an item");
                out.push((item, tag));
            }
            // SeqCst on success: a claim, like a thief's.
            if inner
                .top
                .compare_exchange(
                    t,
                    t.wrapping_add(n as isize),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                )
                .is_ok()
            {
                return n;
            }
            // A thief took the oldest meanwhile: read again from the new `top`.
            out.truncate(start);
        }
    }

    /// True if a `push` would succeed now. Exact for the owner, the only thread that pushes:
    /// thieves can only make more room, so a `true` stays true until the owner pushes.
    #[inline]
    pub fn has_room(&self) -> bool {
        let inner = &*self.inner;
        let b = inner.bottom.load(Ordering::Relaxed);
        if b.wrapping_sub(self.cached_top.get()) < CAPACITY as isize {
            return true;
        }
        // Acquire: as in `push`, which may reuse slots on the strength of the `cached_top`
        // set here; pairs with the thieves' CAS on `top`.
        let t = inner.top.load(Ordering::Acquire);
        self.cached_top.set(t);
        b.wrapping_sub(t) < CAPACITY as isize
    }
}

impl<T> Stealer<T> {
    /// Steals the oldest item.
    #[inline]
    pub fn steal(&self) -> Steal<NonNull<T>> {
        match self.steal_observing_len(None).0 {
            Steal::Success((item, _)) => Steal::Success(item),
            Steal::Retry => Steal::Retry,
            Steal::Empty => Steal::Empty,
        }
    }

    /// Steals the oldest item and its tag.
    #[inline]
    pub fn steal_tagged(&self) -> Steal<(NonNull<T>, usize)> {
        self.steal_observing_len(None).0
    }

    /// Like [`steal_tagged`](Self::steal_tagged); on success also returns how many items the
    /// deque held just before, as this steal read it (1: it took the last one).
    #[inline]
    pub(crate) fn steal_tagged_counted(&self) -> (Steal<(NonNull<T>, usize)>, usize) {
        self.steal_observing_len(None)
    }

    /// Steals the oldest item if its tag is `tag`; `Empty` if the deque is empty or its oldest
    /// item has another tag (that item is left where it is).
    #[inline]
    pub fn steal_if_tag(&self, tag: usize) -> Steal<(NonNull<T>, usize)> {
        self.steal_if(|t| t == tag)
    }

    /// Like [`steal_if_tag`](Self::steal_if_tag), for any tag that `accept` accepts.
    pub(crate) fn steal_if(&self, accept: impl Fn(usize) -> bool) -> Steal<(NonNull<T>, usize)> {
        self.steal_observing_len(Some(&accept)).0
    }

    /// Steals about half of the items in one visit: the oldest is returned, and up to
    /// `ceil(len / 2) - 1` more (`len` being the length seen by the first steal, and at most
    /// [`MAX_BATCH`] in all) are pushed on `dest`, the thief's own deque, oldest first, where
    /// other thieves can steal them in turn. Each item is claimed by its own CAS (see the
    /// module docs); the batch ends early at the first `Empty` or `Retry`, or when `dest` is
    /// full, or at the first item whose tag `extra` rejects (that item stays with the victim;
    /// the first item is taken whatever its tag). Returns the outcome of the first steal and
    /// how many items went to `dest`.
    pub fn steal_batch_and_pop(
        &self,
        dest: &Worker<T>,
        extra: impl Fn(usize) -> bool,
    ) -> (Steal<(NonNull<T>, usize)>, usize) {
        let (first, len) = self.steal_observing_len(None);
        if !matches!(first, Steal::Success(_)) {
            return (first, 0);
        }
        // About half of what the victim held, counting the item just taken; the rest stays
        // with its owner.
        let max = len.div_ceil(2).min(MAX_BATCH) - 1;
        (first, self.steal_into(dest, max, &extra))
    }

    /// Moves up to `max` items, one steal each, to `dest` while it has room and the oldest
    /// item's tag is one `accept` accepts; returns how many.
    fn steal_into(&self, dest: &Worker<T>, max: usize, accept: &dyn Fn(usize) -> bool) -> usize {
        debug_assert!(
            !ptr::eq(&*self.inner, &*dest.inner),
            "a deque cannot steal into itself"
        );
        let mut moved = 0;
        // Room first: an item taken from the victim can never be put back.
        while moved < max && dest.has_room() {
            let Steal::Success((item, tag)) = self.steal_observing_len(Some(accept)).0 else {
                break;
            };
            // `dest` is not `Sync`, so this thread is its owner, the only one that pushes:
            // the room seen by `has_room` is still there.
            if dest.push_tagged(item, tag).is_err() {
                unreachable!("a push right after `has_room` cannot fail");
            }
            moved += 1;
        }
        moved
    }

    /// Steals the oldest item (if its tag is `only_tag`, when given); on success also returns
    /// the length the deque had just before (`bottom - top` as read by this steal), else 0.
    #[inline]
    fn steal_observing_len(
        &self,
        accept: Option<&dyn Fn(usize) -> bool>,
    ) -> (Steal<(NonNull<T>, usize)>, usize) {
        let inner = &*self.inner;
        // Acquire: pairs with other thieves' (and the owner's) CAS on `top`.
        let t = inner.top.load(Ordering::Acquire);
        // SeqCst fence: pairs with the fence in `pop` (see there).
        fence(Ordering::SeqCst);
        // Acquire: pairs with the owner's Release stores of `bottom`, making the slot writes
        // before it visible.
        let b = inner.bottom.load(Ordering::Acquire);
        let len = b.wrapping_sub(t);
        if len <= 0 {
            return (Steal::Empty, 0);
        }
        // Possibly stale (another thief took index `t` and the owner reused the slot): then
        // the CAS below fails, or, for a tag that does not match, nothing is claimed at all.
        let (item, tag) = inner.slot(t).read();
        if accept.is_some_and(|accept| !accept(tag)) {
            return (Steal::Empty, 0);
        }
        // SeqCst on success: the claim is ordered with the owner's CAS on the last item.
        if inner
            .top
            .compare_exchange(t, t.wrapping_add(1), Ordering::SeqCst, Ordering::Relaxed)
            .is_err()
        {
            return (Steal::Retry, 0);
        }
        match NonNull::new(item) {
            // `len` is at most `CAPACITY`: `top` was still `t` at the CAS, and the owner
            // never publishes a `bottom` more than `CAPACITY` past a `top` it has seen.
            Some(item) => (Steal::Success((item, tag)), len as usize),
            // Unreachable: a slot in `top..bottom` was written before `bottom` was published.
            None => (Steal::Retry, 0),
        }
    }

    /// The tag of the oldest item, if the deque looked non-empty (a racy hint: for a waiter
    /// deciding whether a job of its region is there before it parks).
    pub(crate) fn oldest_tag(&self) -> Option<usize> {
        let inner = &*self.inner;
        let t = inner.top.load(Ordering::Acquire);
        let b = inner.bottom.load(Ordering::Acquire);
        (b.wrapping_sub(t) > 0).then(|| inner.slot(t).read().1)
    }

    /// True if the deque looked empty at the moment of the check.
    #[inline]
    pub fn is_empty(&self) -> bool {
        let t = self.inner.top.load(Ordering::Acquire);
        let b = self.inner.bottom.load(Ordering::Acquire);
        b.wrapping_sub(t) <= 0
    }

    /// About how many items the deque holds (`bottom - top`, 0 if that is negative), for
    /// diagnostics: both ends may move while it is read, so it can be off by the items
    /// pushed, popped or stolen meanwhile. Never used to decide anything.
    pub fn len(&self) -> usize {
        // Relaxed: a snapshot for a report; nothing is read through it.
        let t = self.inner.top.load(Ordering::Relaxed);
        let b = self.inner.bottom.load(Ordering::Relaxed);
        usize::try_from(b.wrapping_sub(t)).unwrap_or(0)
    }
}

impl<T> Clone for Stealer<T> {
    fn clone(&self) -> Self {
        Stealer {
            inner: self.inner.clone(),
        }
    }
}

impl<T> std::fmt::Debug for Worker<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").finish_non_exhaustive()
    }
}

impl<T> std::fmt::Debug for Stealer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stealer").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn boxed(v: usize) -> NonNull<usize> {
        NonNull::from(Box::leak(Box::new(v)))
    }

    fn unbox(p: NonNull<usize>) -> usize {
        // SAFETY: every pointer in these tests comes from `boxed` and is taken out once.
        *unsafe { Box::from_raw(p.as_ptr()) }
    }

    #[test]
    fn lifo_for_owner_fifo_for_thief() {
        let (w, s) = new::<usize>();
        for i in 0..10 {
            w.push(boxed(i)).unwrap();
        }
        assert_eq!(w.pop().map(unbox), Some(9));
        match s.steal() {
            Steal::Success(p) => assert_eq!(unbox(p), 0),
            other => panic!("expected an item, got {other:?}"),
        }
        let mut rest = Vec::new();
        while let Some(p) = w.pop() {
            rest.push(unbox(p));
        }
        assert_eq!(rest, (1..9).rev().collect::<Vec<_>>());
        assert!(w.is_empty() && s.is_empty());
        assert_eq!(s.steal(), Steal::Empty);
    }

    #[test]
    fn full_deque_hands_the_item_back_and_wraps_around() {
        let (w, s) = new::<usize>();
        for round in 0..3 {
            for i in 0..CAPACITY {
                w.push(boxed(round * CAPACITY + i)).unwrap();
            }
            let extra = boxed(usize::MAX);
            let back = w.push(extra).unwrap_err();
            assert_eq!(unbox(back), usize::MAX);
            // Thieves drain in FIFO order across the wrap.
            for i in 0..CAPACITY {
                match s.steal() {
                    Steal::Success(p) => assert_eq!(unbox(p), round * CAPACITY + i),
                    other => panic!("expected an item, got {other:?}"),
                }
            }
            assert!(w.pop().is_none());
        }
    }

    #[test]
    fn concurrent_steals_take_every_item_once() {
        const N: usize = if cfg!(miri) { 200 } else { 100_000 };
        let (w, s) = new::<usize>();
        let seen: Vec<_> = (0..N)
            .map(|_| std::sync::atomic::AtomicUsize::new(0))
            .collect();
        std::thread::scope(|scope| {
            for _ in 0..2 {
                let s = s.clone();
                let seen = &seen;
                scope.spawn(move || {
                    let mut misses = 0;
                    while misses < 1000 {
                        match s.steal() {
                            Steal::Success(p) => {
                                seen[unbox(p)].fetch_add(1, Ordering::Relaxed);
                                misses = 0;
                            }
                            Steal::Retry => {}
                            Steal::Empty => {
                                misses += 1;
                                std::thread::yield_now();
                            }
                        }
                    }
                });
            }
            owner_pushes_and_pops(&w, &seen);
        });
        for (i, c) in seen.iter().enumerate() {
            assert_eq!(c.load(Ordering::Relaxed), 1, "item {i}");
        }
    }

    /// The owner's side of the concurrent tests: pushes `0..seen.len()` (counting an item
    /// the full deque hands back as taken), pops one item in three along the way, then
    /// drains the rest.
    fn owner_pushes_and_pops(w: &Worker<usize>, seen: &[std::sync::atomic::AtomicUsize]) {
        for next in 0..seen.len() {
            if let Err(p) = w.push(boxed(next)) {
                seen[unbox(p)].fetch_add(1, Ordering::Relaxed);
            }
            if (next + 1) % 3 == 0
                && let Some(p) = w.pop()
            {
                seen[unbox(p)].fetch_add(1, Ordering::Relaxed);
            }
        }
        while let Some(p) = w.pop() {
            seen[unbox(p)].fetch_add(1, Ordering::Relaxed);
        }
    }

    fn drain(w: &Worker<usize>) -> Vec<usize> {
        std::iter::from_fn(|| w.pop().map(unbox)).collect()
    }

    #[test]
    fn has_room_until_full() {
        let (w, s) = new::<usize>();
        for i in 0..CAPACITY {
            assert!(w.has_room());
            w.push(boxed(i)).unwrap();
        }
        assert!(!w.has_room());
        match s.steal() {
            Steal::Success(p) => assert_eq!(unbox(p), 0),
            other => panic!("expected an item, got {other:?}"),
        }
        assert!(w.has_room());
        w.push(boxed(CAPACITY)).unwrap();
        assert!(!w.has_room());
        assert_eq!(drain(&w).len(), CAPACITY);
    }

    #[test]
    fn take_oldest_takes_from_the_top_in_order() {
        let (w, _s) = new::<usize>();
        let mut out = Vec::new();
        assert_eq!(w.take_oldest(4, &mut out), 0, "empty");
        for i in 0..10 {
            w.push_tagged(boxed(i), 100 + i).unwrap();
        }
        assert_eq!(w.take_oldest(4, &mut out), 4);
        let taken: Vec<(usize, usize)> = out.drain(..).map(|(p, tag)| (unbox(p), tag)).collect();
        assert_eq!(taken, vec![(0, 100), (1, 101), (2, 102), (3, 103)]);
        assert_eq!(w.take_oldest(100, &mut out), 6, "at most what is there");
        let taken: Vec<usize> = out.drain(..).map(|(p, _)| unbox(p)).collect();
        assert_eq!(taken, vec![4, 5, 6, 7, 8, 9]);
        assert!(w.pop().is_none());
        // A full deque makes room.
        for i in 0..CAPACITY {
            w.push(boxed(i)).unwrap();
        }
        assert!(!w.has_room());
        assert_eq!(w.take_oldest(CAPACITY / 2, &mut out), CAPACITY / 2);
        assert!(w.has_room());
        out.drain(..).for_each(|(p, _)| {
            unbox(p);
        });
        while let Some(p) = w.pop() {
            unbox(p);
        }
    }

    /// The owner keeps its deque full and moves its oldest half out while two thieves steal:
    /// every item is taken exactly once.
    #[test]
    fn take_oldest_races_thieves_and_loses_nothing() {
        const N: usize = if cfg!(miri) { 300 } else { 100_000 };
        let (w, s) = new::<usize>();
        let seen: Vec<_> = (0..N)
            .map(|_| std::sync::atomic::AtomicUsize::new(0))
            .collect();
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            for _ in 0..2 {
                let (s, seen, done) = (s.clone(), &seen, &done);
                scope.spawn(move || {
                    while !done.load(Ordering::Acquire) || !s.is_empty() {
                        match s.steal() {
                            Steal::Success(p) => {
                                seen[unbox(p)].fetch_add(1, Ordering::Relaxed);
                            }
                            _ => std::thread::yield_now(),
                        }
                    }
                });
            }
            let mut out = Vec::new();
            for i in 0..N {
                if let Err(p) = w.push(boxed(i)) {
                    w.take_oldest(CAPACITY / 2, &mut out);
                    w.push(p).expect("room after moving half out");
                }
                for (p, _) in out.drain(..) {
                    seen[unbox(p)].fetch_add(1, Ordering::Relaxed);
                }
            }
            while let Some(p) = w.pop() {
                seen[unbox(p)].fetch_add(1, Ordering::Relaxed);
            }
            done.store(true, Ordering::Release);
        });
        assert!(seen.iter().all(|c| c.load(Ordering::Relaxed) == 1));
    }

    #[test]
    fn batch_takes_half_oldest_first() {
        // (items in the victim, items the batch takes in all)
        for (len, taken) in [
            (1, 1),
            (2, 1),
            (3, 2),
            (10, 5),
            (11, 6),
            (64, 32),
            (100, 32),
        ] {
            let (victim, s) = new::<usize>();
            let (dest, dest_s) = new::<usize>();
            for i in 0..len {
                victim.push(boxed(i)).unwrap();
            }
            let (first, moved) = s.steal_batch_and_pop(&dest, |_| true);
            match first {
                Steal::Success((p, _)) => assert_eq!(unbox(p), 0, "len {len}"),
                other => panic!("expected an item, got {other:?}"),
            }
            assert_eq!(moved, taken - 1, "len {len}");
            // The extras are the next oldest, and thieves of `dest` get the oldest of them.
            if moved > 0 {
                match dest_s.steal() {
                    Steal::Success(p) => assert_eq!(unbox(p), 1, "len {len}"),
                    other => panic!("expected an item, got {other:?}"),
                }
            }
            let mut extras = drain(&dest);
            extras.reverse();
            assert_eq!(extras, (2..taken).collect::<Vec<_>>(), "len {len}");
            let mut rest = drain(&victim);
            rest.reverse();
            assert_eq!(rest, (taken..len).collect::<Vec<_>>(), "len {len}");
        }
    }

    #[test]
    fn batch_stops_when_the_thief_deque_is_full() {
        let (victim, s) = new::<usize>();
        let (dest, _dest_s) = new::<usize>();
        for i in 0..40 {
            victim.push(boxed(i)).unwrap();
        }
        for i in 0..CAPACITY - 3 {
            dest.push(boxed(1000 + i)).unwrap();
        }
        let (first, moved) = s.steal_batch_and_pop(&dest, |_| true);
        match first {
            Steal::Success((p, _)) => assert_eq!(unbox(p), 0),
            other => panic!("expected an item, got {other:?}"),
        }
        assert_eq!(moved, 3);
        assert!(!dest.has_room());
        let mut rest = drain(&victim);
        rest.reverse();
        assert_eq!(rest, (4..40).collect::<Vec<_>>());
        assert_eq!(drain(&dest).len(), CAPACITY);
    }

    /// Tags travel with their items through pop, steal and batch steals, and `steal_if_tag`
    /// leaves an oldest item with another tag where it is.
    #[test]
    fn tags_travel_with_items() {
        let (w, s) = new::<usize>();
        for i in 0..6 {
            w.push_tagged(boxed(i), 100 + i % 2).unwrap();
        }
        // Oldest is item 0, tag 100.
        assert_eq!(s.steal_if_tag(101), Steal::Empty);
        match s.steal_if_tag(100) {
            Steal::Success((p, tag)) => assert_eq!((unbox(p), tag), (0, 100)),
            other => panic!("expected item 0, got {other:?}"),
        }
        match s.steal_tagged() {
            Steal::Success((p, tag)) => assert_eq!((unbox(p), tag), (1, 101)),
            other => panic!("expected item 1, got {other:?}"),
        }
        let (dest, _dest_s) = new::<usize>();
        let (first, moved) = s.steal_batch_and_pop(&dest, |_| true);
        match first {
            Steal::Success((p, tag)) => assert_eq!((unbox(p), tag), (2, 100)),
            other => panic!("expected item 2, got {other:?}"),
        }
        assert_eq!(moved, 1);
        let moved_item = dest.pop_tagged().map(|(p, tag)| (unbox(p), tag));
        assert_eq!(moved_item, Some((3, 101)));
        let popped = w.pop_tagged().map(|(p, tag)| (unbox(p), tag));
        assert_eq!(popped, Some((5, 101)));
        let popped = w.pop_tagged().map(|(p, tag)| (unbox(p), tag));
        assert_eq!(popped, Some((4, 100)));
        assert_eq!(w.pop_tagged(), None);
    }

    /// `pop_above` takes only items pushed at or after the floor, even when thieves took some.
    #[test]
    fn pop_above_stops_at_the_floor() {
        let (w, s) = new::<usize>();
        w.push(boxed(0)).unwrap();
        w.push(boxed(1)).unwrap();
        let floor = w.bottom();
        w.push(boxed(2)).unwrap();
        w.push(boxed(3)).unwrap();
        assert_eq!(w.pop_above(floor, 9).map(|(p, _)| unbox(p)), Some(3));
        assert_eq!(w.pop_above(floor, 9).map(|(p, _)| unbox(p)), Some(2));
        assert_eq!(w.pop_above(floor, 9), None);
        // Thieves take everything below the floor and one item above it.
        w.push(boxed(4)).unwrap();
        w.push(boxed(5)).unwrap();
        for want in [0, 1, 4] {
            match s.steal() {
                Steal::Success(p) => assert_eq!(unbox(p), want),
                other => panic!("expected {want}, got {other:?}"),
            }
        }
        assert_eq!(w.pop_above(floor, 9).map(|(p, _)| unbox(p)), Some(5));
        assert_eq!(w.pop_above(floor, 9), None);
        assert!(w.is_empty());
        // Below the floor, an item with the region's tag is taken, and one without is not.
        w.push_tagged(boxed(6), 9).unwrap();
        w.push_tagged(boxed(7), 8).unwrap();
        let floor = w.bottom();
        assert_eq!(w.pop_above(floor, 9), None);
        assert_eq!(w.pop().map(unbox), Some(7));
        assert_eq!(
            w.pop_above(floor, 9).map(|(p, t)| (unbox(p), t)),
            Some((6, 9))
        );
    }

    #[test]
    fn batch_stops_at_an_item_whose_tag_is_rejected() {
        let (victim, s) = new::<usize>();
        let (dest, _dest_s) = new::<usize>();
        // Tags, oldest first: the first item is taken whatever its tag; the extras stop at
        // the first rejected tag (5), which stays with the victim with everything after it.
        for (i, tag) in [5, 0, 0, 5, 0, 0, 0, 0, 0, 0].into_iter().enumerate() {
            victim.push_tagged(boxed(i), tag).unwrap();
        }
        let (first, moved) = s.steal_batch_and_pop(&dest, |tag| tag == 0);
        match first {
            Steal::Success((p, tag)) => assert_eq!((unbox(p), tag), (0, 5)),
            other => panic!("expected an item, got {other:?}"),
        }
        assert_eq!(moved, 2);
        assert_eq!(dest.pop_tagged().map(|(p, t)| (unbox(p), t)), Some((2, 0)));
        assert_eq!(dest.pop_tagged().map(|(p, t)| (unbox(p), t)), Some((1, 0)));
        assert_eq!(dest.pop(), None);
        let mut left = Vec::new();
        while let Some((p, tag)) = victim.pop_tagged() {
            left.push((unbox(p), tag));
        }
        left.reverse();
        assert_eq!(
            left,
            [(3, 5), (4, 0), (5, 0), (6, 0), (7, 0), (8, 0), (9, 0)]
        );
    }

    #[test]
    fn batch_on_an_empty_deque() {
        let (_victim, s) = new::<usize>();
        let (dest, _dest_s) = new::<usize>();
        assert_eq!(s.steal_batch_and_pop(&dest, |_| true), (Steal::Empty, 0));
        assert!(dest.is_empty());
    }

    /// Two thieves batch-steal into their own deques (and steal from each other's) while the
    /// owner pushes and pops: every item is taken exactly once.
    #[test]
    fn concurrent_batch_steals_take_every_item_once() {
        const N: usize = if cfg!(miri) { 200 } else { 100_000 };
        let (w, s) = new::<usize>();
        let seen: Vec<_> = (0..N)
            .map(|_| std::sync::atomic::AtomicUsize::new(0))
            .collect();
        let thieves: Vec<_> = (0..2).map(|_| new::<usize>()).collect();
        let thief_stealers: Vec<_> = thieves.iter().map(|(_, ts)| ts.clone()).collect();
        std::thread::scope(|scope| {
            for (me, (own, _)) in thieves.into_iter().enumerate() {
                let s = s.clone();
                let other = thief_stealers[1 - me].clone();
                let seen = &seen;
                scope.spawn(move || {
                    let take = |p: NonNull<usize>| {
                        seen[unbox(p)].fetch_add(1, Ordering::Relaxed);
                    };
                    let mut misses = 0;
                    while misses < 1000 {
                        let (first, _) = s.steal_batch_and_pop(&own, |_| true);
                        let (first, _) = match first {
                            Steal::Empty => other.steal_batch_and_pop(&own, |_| true),
                            first => (first, 0),
                        };
                        match first {
                            Steal::Success((p, _)) => {
                                take(p);
                                misses = 0;
                            }
                            Steal::Retry => {}
                            Steal::Empty => {
                                misses += 1;
                                std::thread::yield_now();
                            }
                        }
                        // Run a few of our own, leave the rest for the other thief.
                        for _ in 0..2 {
                            if let Some(p) = own.pop() {
                                take(p);
                            }
                        }
                    }
                    while let Some(p) = own.pop() {
                        take(p);
                    }
                });
            }
            owner_pushes_and_pops(&w, &seen);
        });
        for (i, c) in seen.iter().enumerate() {
            assert_eq!(c.load(Ordering::Relaxed), 1, "item {i}");
        }
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::thread;

    fn boxed(v: usize) -> NonNull<usize> {
        NonNull::from(Box::leak(Box::new(v)))
    }

    fn unbox(p: NonNull<usize>) -> usize {
        // SAFETY: every pointer in these models comes from `boxed` and is taken out once.
        *unsafe { Box::from_raw(p.as_ptr()) }
    }

    fn steal_one(s: &Stealer<usize>) -> Option<usize> {
        loop {
            match s.steal() {
                Steal::Success(p) => return Some(unbox(p)),
                Steal::Empty => return None,
                Steal::Retry => crate::loom::yield_now(),
            }
        }
    }

    /// Owner pops while a thief steals the last item: exactly one of them gets it.
    #[test]
    fn pop_and_steal_race_for_the_last_item() {
        loom::model(|| {
            let (w, s) = new::<usize>();
            w.push(boxed(7)).unwrap();
            let thief = thread::spawn(move || steal_one(&s));
            let mine = w.pop().map(unbox);
            let theirs = thief.join().unwrap();
            assert_eq!(mine.is_some() as u8 + theirs.is_some() as u8, 1);
            assert_eq!(mine.or(theirs), Some(7));
        });
    }

    /// The owner takes its oldest item with `take_oldest` while a thief steals: every item
    /// is taken exactly once.
    #[test]
    fn take_oldest_against_a_thief() {
        loom::model(|| {
            let (w, s) = new::<usize>();
            w.push(boxed(1)).unwrap();
            w.push(boxed(2)).unwrap();
            let thief = thread::spawn(move || steal_one(&s));
            let mut taken = Vec::new();
            w.take_oldest(1, &mut taken);
            let mut got: Vec<usize> = taken.into_iter().map(|(p, _)| unbox(p)).collect();
            while let Some(p) = w.pop() {
                got.push(unbox(p));
            }
            got.extend(thief.join().unwrap());
            got.sort_unstable();
            assert_eq!(got, vec![1, 2]);
        });
    }

    /// Two thieves and the owner over pushes that wrap the buffer: every item is taken once.
    #[test]
    fn push_pop_steal_with_wrap_around() {
        loom::model(|| {
            let (w, s) = new::<usize>();
            let s2 = s.clone();
            let t1 = thread::spawn(move || steal_one(&s).into_iter().collect::<Vec<_>>());
            let t2 = thread::spawn(move || steal_one(&s2).into_iter().collect::<Vec<_>>());
            let mut got = Vec::new();
            for i in 0..3 {
                if let Err(p) = w.push(boxed(i)) {
                    got.push(unbox(p)); // full: the caller runs it inline
                }
            }
            got.extend(w.pop().map(unbox));
            while let Some(p) = w.pop() {
                got.push(unbox(p));
            }
            got.extend(t1.join().unwrap());
            got.extend(t2.join().unwrap());
            got.sort_unstable();
            assert_eq!(got, vec![0, 1, 2]);
        });
    }

    /// An isolated thief (`steal_if_tag`) races the owner, which pops and pushes items of
    /// two tags over a wrap-around, and a plain thief: it never takes an item of the other
    /// tag, and every item is taken exactly once, with its own tag.
    #[test]
    fn steal_if_tag_never_takes_another_tag() {
        loom::model(|| {
            let (w, s) = new::<usize>();
            let s2 = s.clone();
            // Item `i` has tag `i % 2`.
            w.push_tagged(boxed(0), 0).unwrap();
            w.push_tagged(boxed(1), 1).unwrap();
            let isolated = thread::spawn(move || {
                let mut got = Vec::new();
                for _ in 0..2 {
                    match s.steal_if_tag(1) {
                        Steal::Success((p, tag)) => got.push((unbox(p), tag)),
                        Steal::Retry => crate::loom::yield_now(),
                        Steal::Empty => {}
                    }
                }
                got
            });
            let plain = thread::spawn(move || match s2.steal_tagged() {
                Steal::Success((p, tag)) => vec![(unbox(p), tag)],
                _ => Vec::new(),
            });
            let mut got: Vec<_> = w
                .pop_tagged()
                .map(|(p, t)| (unbox(p), t))
                .into_iter()
                .collect();
            // Reuses a slot once the thieves moved `top` (a wrap-around at `CAPACITY` 2).
            if let Err(p) = w.push_tagged(boxed(2), 0) {
                got.push((unbox(p), 0));
            }
            let from_isolated = isolated.join().unwrap();
            assert!(from_isolated.iter().all(|&(_, tag)| tag == 1));
            got.extend(from_isolated);
            got.extend(plain.join().unwrap());
            while let Some((p, t)) = w.pop_tagged() {
                got.push((unbox(p), t));
            }
            got.sort_unstable();
            assert_eq!(got, vec![(0, 0), (1, 1), (2, 0)]);
        });
    }

    /// A thief takes a batch (forced to two items: with `CAPACITY` 2 the half rule takes one)
    /// into its own deque while the owner pops, and a second thief steals from the first
    /// one's deque: every item is taken exactly once.
    #[test]
    fn batch_steal_against_pop_and_a_second_thief() {
        loom::model(|| {
            let (w, s) = new::<usize>();
            let (dest, dest_s) = new::<usize>();
            w.push(boxed(0)).unwrap();
            w.push(boxed(1)).unwrap();
            let t1 = thread::spawn(move || {
                let mut got: Vec<_> = steal_one(&s).into_iter().collect();
                if !got.is_empty() {
                    s.steal_into(&dest, 1, &|_| true);
                }
                while let Some(p) = dest.pop() {
                    got.push(unbox(p));
                }
                got
            });
            let t2 = thread::spawn(move || steal_one(&dest_s).into_iter().collect::<Vec<_>>());
            let mut got: Vec<_> = w.pop().map(unbox).into_iter().collect();
            got.extend(t1.join().unwrap());
            got.extend(t2.join().unwrap());
            while let Some(p) = w.pop() {
                got.push(unbox(p));
            }
            got.sort_unstable();
            assert_eq!(got, vec![0, 1]);
        });
    }

    /// A batch into a full thief deque, while the owner pops: it takes no extra item (one it
    /// could not push could never be put back), and every item is taken exactly once.
    #[test]
    fn batch_steal_stops_at_a_full_thief_deque() {
        loom::model(|| {
            let (w, s) = new::<usize>();
            let (dest, _dest_s) = new::<usize>();
            w.push(boxed(0)).unwrap();
            w.push(boxed(1)).unwrap();
            dest.push(boxed(2)).unwrap();
            dest.push(boxed(3)).unwrap();
            let t1 = thread::spawn(move || {
                let mut got: Vec<_> = steal_one(&s).into_iter().collect();
                if !got.is_empty() {
                    assert_eq!(
                        s.steal_into(&dest, 1, &|_| true),
                        0,
                        "the thief's deque is full"
                    );
                }
                while let Some(p) = dest.pop() {
                    got.push(unbox(p));
                }
                got
            });
            let mut got: Vec<_> = w.pop().map(unbox).into_iter().collect();
            got.extend(t1.join().unwrap());
            while let Some(p) = w.pop() {
                got.push(unbox(p));
            }
            got.sort_unstable();
            assert_eq!(got, vec![0, 1, 2, 3]);
        });
    }
}
