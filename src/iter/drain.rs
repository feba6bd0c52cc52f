//! `par_drain`: [`ParallelDrainRange`] moves a range of items out of a `Vec` (in place,
//! [`Drain`]) or a `VecDeque`; [`ParallelDrainFull`] empties a hash map, hash set or binary
//! heap. Each keeps the collection's allocation, as std's `drain` does.

use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, Hash};
use std::ops::RangeBounds;

use crate::iter::vec::{Drain, IntoIter};
use crate::iter::{IntoParallelIterator, ParallelIterator};

/// Collections whose items in a range can be moved out in parallel: `&mut Vec<T>` (in
/// place: each piece moves its items straight out of the `Vec`), `&mut VecDeque<T>` (the
/// range is moved into a `Vec` first) and `&mut String` (its characters, read in place;
/// see [`StringDrain`](crate::iter::StringDrain)). Items the loop never takes (an early exit, a
/// panic) are dropped; the items after the range close the gap once the iterator is
/// dropped, as with std's `drain`. In the prelude.
///
/// # Panics
///
/// If the range starts after it ends or ends past the collection's length.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
/// use std::collections::VecDeque;
///
/// let mut v: Vec<String> = (0..6).map(|i| i.to_string()).collect();
/// let taken: Vec<String> = v.par_drain(1..4).collect();
/// assert_eq!(taken, ["1", "2", "3"]);
/// assert_eq!(v, ["0", "4", "5"]);
///
/// let mut d: VecDeque<u32> = (0..5).collect();
/// assert_eq!(d.par_drain(..).sum::<u32>(), 10);
/// assert!(d.is_empty());
/// ```
pub trait ParallelDrainRange<Idx = usize> {
    /// The parallel iterator of the drained items.
    type Iter: ParallelIterator<Item = Self::Item>;
    /// The items.
    type Item: Send;

    /// Moves the items of `range` out, in order; see the trait.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = vec![1u8, 2, 3];
    /// assert_eq!(v.par_drain(..).collect::<Vec<_>>(), [1, 2, 3]);
    /// assert!(v.is_empty());
    /// ```
    fn par_drain<R: RangeBounds<Idx>>(self, range: R) -> Self::Iter;
}

impl<'a, T: Send> ParallelDrainRange<usize> for &'a mut Vec<T> {
    type Iter = Drain<'a, T>;
    type Item = T;

    #[track_caller]
    fn par_drain<R: RangeBounds<usize>>(self, range: R) -> Drain<'a, T> {
        Drain::new(self, range)
    }
}

impl<T: Send> ParallelDrainRange<usize> for &mut VecDeque<T> {
    type Iter = IntoIter<T>;
    type Item = T;

    #[track_caller]
    fn par_drain<R: RangeBounds<usize>>(self, range: R) -> IntoIter<T> {
        self.drain(range).collect::<Vec<T>>().into_par_iter()
    }
}

/// Collections that can be emptied in parallel: `&mut HashMap`, `&mut HashSet` and
/// `&mut BinaryHeap` (their items are moved into a `Vec` first, in the order their `drain`
/// yields them, and the collection keeps its allocation). In the prelude.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
/// use std::collections::HashMap;
///
/// let mut m: HashMap<u32, u32> = (0..100).map(|k| (k, k * k)).collect();
/// let total: u32 = m.par_drain().map(|(_, v)| v).sum();
/// assert_eq!(total, 328_350);
/// assert!(m.is_empty());
/// ```
pub trait ParallelDrainFull {
    /// The parallel iterator of the drained items.
    type Iter: ParallelIterator<Item = Self::Item>;
    /// The items.
    type Item: Send;

    /// Moves every item out; see the trait.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    /// use std::collections::BinaryHeap;
    ///
    /// let mut heap = BinaryHeap::from([3u8, 1, 2]);
    /// assert_eq!(heap.par_drain().max(), Some(3));
    /// assert!(heap.is_empty());
    /// ```
    fn par_drain(self) -> Self::Iter;
}

impl<K: Send, V: Send, S> ParallelDrainFull for &mut HashMap<K, V, S>
where
    K: Eq + Hash,
    S: BuildHasher,
{
    type Iter = IntoIter<(K, V)>;
    type Item = (K, V);

    fn par_drain(self) -> IntoIter<(K, V)> {
        self.drain().collect::<Vec<_>>().into_par_iter()
    }
}

impl<T: Send, S> ParallelDrainFull for &mut HashSet<T, S>
where
    T: Eq + Hash,
    S: BuildHasher,
{
    type Iter = IntoIter<T>;
    type Item = T;

    fn par_drain(self) -> IntoIter<T> {
        self.drain().collect::<Vec<_>>().into_par_iter()
    }
}

impl<T: Send> ParallelDrainFull for &mut BinaryHeap<T> {
    type Iter = IntoIter<T>;
    type Item = T;

    fn par_drain(self) -> IntoIter<T> {
        self.drain().collect::<Vec<_>>().into_par_iter()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::collections::{BTreeSet, BinaryHeap, HashMap, HashSet, VecDeque};

    use crate::prelude::*;

    #[test]
    fn every_collection_gives_its_items_once_and_keeps_its_allocation() {
        let pool = crate::ThreadPool::builder().num_threads(2).build().unwrap();
        let n: u32 = if cfg!(miri) { 20 } else { 1000 };
        pool.install(|| {
            let mut d: VecDeque<u32> = (0..n).collect();
            d.rotate_left(n as usize / 4); // two slices inside
            let seq: Vec<u32> = d.iter().copied().collect();
            let (a, b) = (n as usize / 5, n as usize / 2);
            assert_eq!(d.par_drain(a..b).collect::<Vec<_>>(), seq[a..b]);
            let rest: Vec<u32> = seq[..a].iter().chain(&seq[b..]).copied().collect();
            assert_eq!(d.iter().copied().collect::<Vec<_>>(), rest);

            let mut m: HashMap<u32, u32> = (0..n).map(|k| (k, 2 * k)).collect();
            let cap = m.capacity();
            let mut pairs: Vec<(u32, u32)> = m.par_drain().collect();
            pairs.sort_unstable();
            assert_eq!(pairs, (0..n).map(|k| (k, 2 * k)).collect::<Vec<_>>());
            assert!(m.is_empty() && m.capacity() == cap);

            let mut s: HashSet<u32> = (0..n).collect();
            let got: BTreeSet<u32> = s.par_drain().collect();
            assert_eq!(got, (0..n).collect());
            assert!(s.is_empty());

            let mut h: BinaryHeap<u32> = (0..n).collect();
            assert_eq!(
                h.par_drain().map(u64::from).sum::<u64>(),
                u64::from(n * (n - 1) / 2)
            );
            assert!(h.is_empty());
        });
    }
}
