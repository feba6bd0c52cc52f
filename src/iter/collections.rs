//! `into_par_iter()`, `par_iter()` and `par_iter_mut()` on std's collections other than
//! slices and `Vec`s: `HashMap`, `HashSet`, `BTreeMap`, `BTreeSet`, `VecDeque`,
//! `LinkedList`, `BinaryHeap`, and `Option` and `Result` (zero or one item).
//!
//! None of them can be cut at an index in O(1), so each gathers its items (or references to
//! them) into a `Vec` first, in the collection's own iteration order, and runs as a `Vec` by
//! value does ([`IntoIter`]): one pass and one allocation before the loop, which is what
//! rayon does for the same collections. The parallel iterator is indexed, in that order: a
//! `BTreeMap`'s entries come sorted by key, a `HashMap`'s in its arbitrary order.

use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet, LinkedList, VecDeque};

use crate::iter::{IntoIter, IntoParallelIterator};

/// `IntoParallelIterator` for a collection and for references to it, each through a `Vec`
/// of what its sequential `into_iter()` yields. Item types are spelled out per impl.
macro_rules! through_vec {
    ($([$($gen:tt)*] $coll:ty => $item:ty;)*) => {$(
        impl<$($gen)*> IntoParallelIterator for $coll {
            type Iter = IntoIter<$item>;
            type Item = $item;

            #[inline]
            fn into_par_iter(self) -> IntoIter<$item> {
                self.into_iter().collect::<Vec<$item>>().into_par_iter()
            }
        }
    )*};
}

through_vec! {
    // Maps: `(key, value)` pairs, as their `into_iter` yields them.
    [K: Send, V: Send, S] HashMap<K, V, S> => (K, V);
    ['a, K: Sync, V: Sync, S] &'a HashMap<K, V, S> => (&'a K, &'a V);
    ['a, K: Sync, V: Send, S] &'a mut HashMap<K, V, S> => (&'a K, &'a mut V);
    [K: Send, V: Send] BTreeMap<K, V> => (K, V);
    ['a, K: Sync, V: Sync] &'a BTreeMap<K, V> => (&'a K, &'a V);
    ['a, K: Sync, V: Send] &'a mut BTreeMap<K, V> => (&'a K, &'a mut V);
    // Sets: no `&mut` (their items are keys).
    [T: Send, S] HashSet<T, S> => T;
    ['a, T: Sync, S] &'a HashSet<T, S> => &'a T;
    [T: Send] BTreeSet<T> => T;
    ['a, T: Sync] &'a BTreeSet<T> => &'a T;
    // Sequences that are not one slice.
    ['a, T: Sync] &'a VecDeque<T> => &'a T;
    ['a, T: Send] &'a mut VecDeque<T> => &'a mut T;
    [T: Send] LinkedList<T> => T;
    ['a, T: Sync] &'a LinkedList<T> => &'a T;
    ['a, T: Send] &'a mut LinkedList<T> => &'a mut T;
    ['a, T: Sync] &'a BinaryHeap<T> => &'a T;
    // Zero or one item.
    [T: Send] Option<T> => T;
    ['a, T: Sync] &'a Option<T> => &'a T;
    ['a, T: Send] &'a mut Option<T> => &'a mut T;
    [T: Send, E] Result<T, E> => T;
    ['a, T: Sync, E] &'a Result<T, E> => &'a T;
    ['a, T: Send, E] &'a mut Result<T, E> => &'a mut T;
}

// Owned `VecDeque` and `BinaryHeap` become a `Vec` without a copy of each item where std
// can reuse the buffer.
impl<T: Send> IntoParallelIterator for VecDeque<T> {
    type Iter = IntoIter<T>;
    type Item = T;

    #[inline]
    fn into_par_iter(self) -> IntoIter<T> {
        Vec::from(self).into_par_iter()
    }
}

/// In the heap's internal order, not sorted (as `BinaryHeap::into_iter`).
impl<T: Send> IntoParallelIterator for BinaryHeap<T> {
    type Iter = IntoIter<T>;
    type Item = T;

    #[inline]
    fn into_par_iter(self) -> IntoIter<T> {
        self.into_vec().into_par_iter()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::collections::{
        BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet, LinkedList, VecDeque,
    };

    use crate::prelude::*;

    /// A pool of its own for each test: the global pool's threads would outlive the test,
    /// which miri's leak check reports.
    fn on_a_pool(f: impl FnOnce() + Send) {
        crate::ThreadPool::builder()
            .num_threads(2)
            .build()
            .unwrap()
            .install(f);
    }

    /// `n` items natively, fewer under miri: the sources here are safe code over `Vec`s,
    /// whose unsafe parts miri checks in their own tests.
    fn size(n: u32) -> u32 {
        if cfg!(miri) { n.min(30) } else { n }
    }

    #[test]
    fn maps_give_pairs_in_their_own_order() {
        on_a_pool(|| {
            let b: BTreeMap<u32, String> = (0..100).map(|k| (k, k.to_string())).collect();
            let keys: Vec<u32> = b.par_iter().map(|(k, _)| *k).collect();
            assert_eq!(keys, (0..100).collect::<Vec<_>>());
            let n = size(1000);
            let h: HashMap<u32, u32> = (0..n).map(|k| (k, 2 * k)).collect();
            let seq: Vec<(&u32, &u32)> = h.iter().collect();
            assert_eq!(h.par_iter().collect::<Vec<_>>(), seq);
            let total: u64 = h.into_par_iter().map(|(k, v)| u64::from(k + v)).sum();
            assert_eq!(total, u64::from(3 * (n - 1) * n / 2));
        });
    }

    #[test]
    fn values_can_be_changed_in_place() {
        on_a_pool(|| {
            let mut h: HashMap<u32, u32> = (0..size(500)).map(|k| (k, k)).collect();
            h.par_iter_mut().for_each(|(k, v)| *v += k);
            assert!(h.iter().all(|(k, v)| *v == 2 * k));
            let mut b: BTreeMap<u32, u32> = (0..size(500)).map(|k| (k, 0)).collect();
            b.par_iter_mut().for_each(|(k, v)| *v = *k + 1);
            assert!(b.iter().all(|(k, v)| *v == k + 1));
            let mut d: VecDeque<u32> = (0..300).collect();
            d.rotate_left(100); // two slices inside
            d.par_iter_mut().for_each(|x| *x *= 3);
            assert!(
                d.iter()
                    .zip((100..300).chain(0..100))
                    .all(|(x, y)| *x == 3 * y)
            );
            let mut l: LinkedList<u32> = (0..50).collect();
            l.par_iter_mut().for_each(|x| *x += 1);
            assert_eq!(
                l.iter().copied().collect::<Vec<_>>(),
                (1..51).collect::<Vec<_>>()
            );
            let mut o = Some(1);
            o.par_iter_mut().for_each(|x| *x = 7);
            assert_eq!(o, Some(7));
        });
    }

    #[test]
    fn sets_and_sequences_keep_their_iteration_order() {
        on_a_pool(|| {
            let s: BTreeSet<i64> = [5, -3, 9, 0].into_iter().collect();
            assert_eq!(s.par_iter().copied().collect::<Vec<_>>(), [-3, 0, 5, 9]);
            assert_eq!(s.into_par_iter().collect::<Vec<_>>(), [-3, 0, 5, 9]);
            let n = size(700);
            let h: HashSet<u32> = (0..n).collect();
            assert_eq!(
                h.par_iter().collect::<Vec<_>>(),
                h.iter().collect::<Vec<_>>()
            );
            assert_eq!(h.into_par_iter().sum::<u32>(), (n - 1) * n / 2);
            let mut d: VecDeque<u8> = (0..200).collect();
            d.rotate_right(50);
            let seq: Vec<u8> = d.iter().copied().collect();
            assert_eq!(d.par_iter().copied().collect::<Vec<_>>(), seq);
            assert_eq!(d.into_par_iter().collect::<Vec<_>>(), seq);
            let l: LinkedList<String> = ["a", "b", "c"].map(String::from).into_iter().collect();
            assert_eq!(l.par_iter().cloned().collect::<String>(), "abc");
            assert_eq!(l.into_par_iter().collect::<String>(), "abc");
            let heap: BinaryHeap<u32> = (0..100).collect();
            assert_eq!(heap.par_iter().max(), Some(&99));
            let seq: Vec<u32> = heap.iter().copied().collect();
            assert_eq!(heap.into_par_iter().collect::<Vec<_>>(), seq);
        });
    }

    #[test]
    fn option_and_result_hold_zero_or_one_item() {
        on_a_pool(|| {
            assert_eq!(Some(3).into_par_iter().collect::<Vec<_>>(), [3]);
            assert_eq!(None::<u8>.into_par_iter().count(), 0);
            assert_eq!(Some(4).par_iter().copied().sum::<i32>(), 4);
            let ok: Result<u8, String> = Ok(2);
            let err: Result<u8, String> = Err("no".into());
            assert_eq!(ok.par_iter().len(), 1);
            assert_eq!(err.par_iter().len(), 0);
            assert_eq!(ok.into_par_iter().collect::<Vec<_>>(), [2]);
            assert_eq!(err.into_par_iter().count(), 0);
        });
    }

    /// Owned items the loop never reaches (a panic stopped it) are still dropped once.
    #[test]
    fn owned_items_are_dropped_once_after_a_panic() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static DROPS: AtomicUsize = AtomicUsize::new(0);
        #[derive(PartialEq, Eq, Hash, PartialOrd, Ord)]
        struct D(u32);
        impl Drop for D {
            fn drop(&mut self) {
                DROPS.fetch_add(1, Ordering::Relaxed);
            }
        }
        let n = if cfg!(miri) { 20 } else { 500 };
        let set: BTreeSet<D> = (0..n).map(D).collect();
        let pool = crate::ThreadPool::builder().num_threads(2).build().unwrap();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.install(|| set.into_par_iter().for_each(|d| assert!(d.0 != 7, "boom")));
        }));
        assert!(r.is_err());
        assert_eq!(DROPS.load(Ordering::Relaxed), n as usize);
    }
}
