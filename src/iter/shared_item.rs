//! [`SharedItem`]: the one item of a `repeat_n`, which its pieces clone, and which the
//! piece that claims the last indices takes by value instead of cloning, once every other
//! piece has made its clone: `n` items cost `n - 1` clones, as std's `repeat_n` and rayon's.
//!
//! The protocol, for a piece of `k > 0` indices:
//! 1. it registers in `cloning` (a count of pieces between registering and having cloned);
//! 2. it claims its `k` indices from `left` (the indices no piece has claimed);
//! 3. if that left none and it is the only piece registered, every other piece has claimed
//!    (before it, in `left`'s order) and finished its clone (deregistered): it takes the
//!    item. Otherwise it clones the item and deregisters.
//!
//! Pieces that race at the end may both clone: the item is then dropped with the iterator,
//! one clone more, never a read of a moved item. A panicking clone leaves its piece
//! registered, so nothing takes the item.

use std::mem::ManuallyDrop;

use crate::loom::{AtomicBool, AtomicUsize, Ordering, UnsafeCell};

/// An item shared by the pieces of a `repeat_n` of `len` indices (module docs).
pub(crate) struct SharedItem<T> {
    item: UnsafeCell<ManuallyDrop<T>>,
    /// The indices no piece has claimed yet.
    left: AtomicUsize,
    /// The pieces that registered and have not yet finished their clone.
    cloning: AtomicUsize,
    /// Set by the piece that took the item: it is not dropped with `self`.
    taken: AtomicBool,
}

// SAFETY: pieces on several threads read the item through `&T` (to clone it: `T: Sync`),
// and one of them may move it out to another thread (`T: Send`); the protocol (module
// docs) keeps the move after every read.
unsafe impl<T: Send + Sync> Sync for SharedItem<T> {}

impl<T: Clone> SharedItem<T> {
    /// The item of `len` indices.
    pub(crate) fn new(item: T, len: usize) -> Self {
        SharedItem {
            item: UnsafeCell::new(ManuallyDrop::new(item)),
            left: AtomicUsize::new(len),
            cloning: AtomicUsize::new(0),
            taken: AtomicBool::new(false),
        }
    }

    /// The item itself, to clone it for a new iterator.
    ///
    /// Only before any piece is made: `clone` of a `repeat_n` borrows it whole, and pieces
    /// borrow it while it is driven, by value.
    pub(crate) fn get(&self) -> &T {
        debug_assert!(!self.taken.load(Ordering::Relaxed));
        // SAFETY: no piece has been made (above), so the item is in place and only read.
        self.item.with(|item| unsafe { &**item })
    }

    /// The item for a piece of `k` indices: a clone, or the item itself if this piece
    /// claims the last indices after every other piece made its clone (module docs).
    ///
    /// The caller claims each index once over the life of `self` (the contract of a
    /// piece), and `k > 0`.
    pub(crate) fn claim(&self, k: usize) -> T {
        debug_assert!(k > 0, "an empty piece asks for no item");
        // Pairs with the deregistering `fetch_sub` below (through `left`'s acquire, which
        // carries every earlier registration to the load further down).
        self.cloning.fetch_add(1, Ordering::Relaxed);
        // AcqRel: releases this registration to the piece that claims last, and acquires
        // every earlier piece's registration.
        let left = self.left.fetch_sub(k, Ordering::AcqRel) - k;
        // Acquire: pairs with every other piece's deregistering release; reading 1 (this
        // piece alone) means each registration seen above has been undone, after its clone.
        if left == 0 && self.cloning.load(Ordering::Acquire) == 1 {
            self.taken.store(true, Ordering::Relaxed);
            // SAFETY: every other index is claimed by a piece that has finished reading the
            // item, and no index is left for a piece to come: this is the last access, and
            // `taken` keeps `drop` from dropping the item again.
            return self
                .item
                .with_mut(|item| unsafe { ManuallyDrop::take(&mut *item) });
        }
        // SAFETY: the item is in place until a piece takes it, which waits for this piece to
        // deregister (below).
        let copy = self.item.with(|item| unsafe { (**item).clone() });
        // Release: pairs with the taker's acquire load above.
        self.cloning.fetch_sub(1, Ordering::Release);
        copy
    }
}

impl<T> Drop for SharedItem<T> {
    fn drop(&mut self) {
        // Every piece has ended (they borrow `self`), and the thread that drops saw them end.
        if !self.taken.load(Ordering::Relaxed) {
            // SAFETY: the item is in place (not taken) and dropped once, here.
            self.item
                .with_mut(|item| unsafe { ManuallyDrop::drop(&mut *item) });
        }
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use loom::thread;

    use super::SharedItem;
    use crate::loom::{Arc, AtomicUsize, Ordering};

    /// An item that counts its clones and drops.
    struct Counted(Arc<(AtomicUsize, AtomicUsize)>);

    impl Clone for Counted {
        fn clone(&self) -> Self {
            self.0.0.fetch_add(1, Ordering::Relaxed);
            Counted(self.0.clone())
        }
    }

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.1.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Two pieces of one index each claim from two threads: the item is taken only once
    /// both have their item and no read follows the take (loom checks the cell), it is
    /// cloned once or twice, and every value is dropped exactly once.
    #[test]
    fn two_pieces_take_the_item_at_most_once() {
        loom::model(|| {
            let counts = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
            let shared = Arc::new(SharedItem::new(Counted(counts.clone()), 2));
            let other = {
                let shared = shared.clone();
                thread::spawn(move || drop(shared.claim(1)))
            };
            drop(shared.claim(1));
            other.join().unwrap();
            drop(shared);
            let (clones, drops) = (
                counts.0.load(Ordering::Relaxed),
                counts.1.load(Ordering::Relaxed),
            );
            assert!(clones == 1 || clones == 2, "{clones} clones");
            assert_eq!(drops, clones + 1, "each value dropped once");
        });
    }
}
