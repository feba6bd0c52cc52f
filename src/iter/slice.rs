//! The slice methods of the prelude: [`ParallelSlice`] (`par_chunks`, `par_chunks_exact`,
//! `par_windows`, `par_rchunks`, `par_rchunks_exact`, and `par_split`,
//! `par_split_inclusive`, `par_chunk_by` on the parts of `slice_parts.rs`) and
//! [`ParallelSliceMut`] (`par_chunks_mut`, `par_chunks_exact_mut`, `par_rchunks_mut`,
//! `par_rchunks_exact_mut`, the `_mut` parts and the `par_sort*` family, on the sorts of
//! `sort/`).

use std::cmp::Ordering;

use crate::iter::chunks::{
    ArrayWindows, Chunks, ChunksExact, ChunksExactMut, ChunksMut, RChunks, RChunksExact,
    RChunksExactMut, RChunksMut, Windows,
};
use crate::iter::slice_parts::{
    self, ChunkBy, ChunkByMut, SliceSplit, SliceSplitInclusive, SliceSplitInclusiveMut,
    SliceSplitMut,
};
use crate::iter::sort::{par_mergesort, par_quicksort};
use crate::iter::{IndexedParallelIterator, IntoParallelRefMutIterator, ParallelIterator};

/// Parallel iterators over groups of a shared slice's items (also on `Vec`s and arrays,
/// through `Deref`).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let v: Vec<u32> = (0..10).collect();
/// let sums: Vec<u32> = v.par_chunks(4).map(|c| c.iter().sum()).collect();
/// assert_eq!(sums, [6, 22, 17]);
/// ```
pub trait ParallelSlice<T: Sync> {
    /// Chunks of `size` items (the last one shorter), in order.
    ///
    /// # Panics
    ///
    /// If `size` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let lens: Vec<usize> = [1, 2, 3].par_chunks(2).map(|c| c.len()).collect();
    /// assert_eq!(lens, [2, 1]);
    /// ```
    fn par_chunks(&self, size: usize) -> Chunks<'_, T>;

    /// Chunks of exactly `size` items; the items left over are not visited (see
    /// [`ChunksExact::remainder`]).
    ///
    /// # Panics
    ///
    /// If `size` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert_eq!([1, 2, 3].par_chunks_exact(2).count(), 1);
    /// ```
    fn par_chunks_exact(&self, size: usize) -> ChunksExact<'_, T>;

    /// Every window of `size` consecutive items, in order.
    ///
    /// # Panics
    ///
    /// If `size` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let rising = [1, 2, 2, 5].par_windows(2).filter(|w| w[0] < w[1]).count();
    /// assert_eq!(rising, 2);
    /// ```
    fn par_windows(&self, size: usize) -> Windows<'_, T>;

    /// Chunks of `size` items from the end (the last one, at the front, shorter), as
    /// `slice::rchunks` cuts them.
    ///
    /// # Panics
    ///
    /// If `size` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let firsts: Vec<i32> = [1, 2, 3, 4, 5].par_rchunks(2).map(|c| c[0]).collect();
    /// assert_eq!(firsts, [4, 2, 1]);
    /// ```
    fn par_rchunks(&self, size: usize) -> RChunks<'_, T>;

    /// Chunks of exactly `size` items from the end; the items left over, at the front, are
    /// not visited (see [`RChunksExact::remainder`]).
    ///
    /// # Panics
    ///
    /// If `size` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert_eq!([1, 2, 3].par_rchunks_exact(2).collect::<Vec<_>>(), [&[2, 3]]);
    /// ```
    fn par_rchunks_exact(&self, size: usize) -> RChunksExact<'_, T>;

    /// Every window of `N` consecutive items, as a `&[T; N]` (none if the slice is
    /// shorter than `N`): [`par_windows`](Self::par_windows) with the length in the type.
    ///
    /// # Panics
    ///
    /// If `N` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v = [1, 5, 2, 8];
    /// let rising = v.par_array_windows().filter(|[a, b]| a < b).count();
    /// assert_eq!(rising, 2);
    /// ```
    fn par_array_windows<const N: usize>(&self) -> ArrayWindows<'_, T, N>;

    /// The parts between the items that match `separator` (which belong to no part), as
    /// std's [`split`](slice::split): one part more than separators, some of them empty.
    /// Where the parts are is found by a parallel scan when the loop starts (`separator`
    /// sees each item once); each part is one item of the loop, however long.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v = [1, 2, 0, 3, 0, 0, 4];
    /// let sums: Vec<i32> = v.par_split(|&x| x == 0).map(|p| p.iter().sum()).collect();
    /// assert_eq!(sums, [3, 3, 0, 4]);
    /// ```
    fn par_split<P>(&self, separator: P) -> SliceSplit<'_, T, P>
    where
        P: Fn(&T) -> bool + Sync + Send;

    /// The parts that end with an item that matches `separator`, or at the end, as std's
    /// [`split_inclusive`](slice::split_inclusive): no empty part after a final separator,
    /// and no part at all in an empty slice. Found as for [`par_split`](Self::par_split).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v = [1, 0, 2, 3, 0];
    /// let parts: Vec<&[i32]> = v.par_split_inclusive(|&x| x == 0).collect();
    /// assert_eq!(parts, [&[1, 0][..], &[2, 3, 0]]);
    /// ```
    fn par_split_inclusive<P>(&self, separator: P) -> SliceSplitInclusive<'_, T, P>
    where
        P: Fn(&T) -> bool + Sync + Send;

    /// The runs of items in which `pred` holds for every two neighbours, as std's
    /// [`chunk_by`](slice::chunk_by): a new run starts where `pred(previous, next)` is
    /// false. Found as for [`par_split`](Self::par_split) (`pred` sees each pair of
    /// neighbours once).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v = [1, 1, 2, 3, 3, 3];
    /// let runs: Vec<usize> = v.par_chunk_by(|a, b| a == b).map(|r| r.len()).collect();
    /// assert_eq!(runs, [2, 1, 3]);
    /// ```
    fn par_chunk_by<P>(&self, pred: P) -> ChunkBy<'_, T, P>
    where
        P: Fn(&T, &T) -> bool + Sync + Send;
}

impl<T: Sync> ParallelSlice<T> for [T] {
    #[track_caller]
    fn par_chunks(&self, size: usize) -> Chunks<'_, T> {
        Chunks::new(self, size)
    }

    #[track_caller]
    fn par_chunks_exact(&self, size: usize) -> ChunksExact<'_, T> {
        ChunksExact::new(self, size)
    }

    #[track_caller]
    fn par_windows(&self, size: usize) -> Windows<'_, T> {
        Windows::new(self, size)
    }

    #[track_caller]
    fn par_rchunks(&self, size: usize) -> RChunks<'_, T> {
        RChunks::new(self, size)
    }

    #[track_caller]
    fn par_rchunks_exact(&self, size: usize) -> RChunksExact<'_, T> {
        RChunksExact::new(self, size)
    }

    #[track_caller]
    fn par_array_windows<const N: usize>(&self) -> ArrayWindows<'_, T, N> {
        ArrayWindows::new(self)
    }

    fn par_split<P>(&self, separator: P) -> SliceSplit<'_, T, P>
    where
        P: Fn(&T) -> bool + Sync + Send,
    {
        slice_parts::split(self, separator)
    }

    fn par_split_inclusive<P>(&self, separator: P) -> SliceSplitInclusive<'_, T, P>
    where
        P: Fn(&T) -> bool + Sync + Send,
    {
        slice_parts::split_inclusive(self, separator)
    }

    fn par_chunk_by<P>(&self, pred: P) -> ChunkBy<'_, T, P>
    where
        P: Fn(&T, &T) -> bool + Sync + Send,
    {
        slice_parts::chunk_by(self, pred)
    }
}

/// Parallel iterators over groups of a mutable slice's items (also on `Vec`s and arrays,
/// through `DerefMut`): rows of an image, blocks of a grid.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let (w, h) = (8, 4);
/// let mut image = vec![0u8; w * h];
/// image.par_chunks_mut(w).enumerate().for_each(|(y, row)| row.fill(y as u8));
/// assert_eq!(image[w * 3], 3);
/// ```
pub trait ParallelSliceMut<T: Send> {
    /// Mutable chunks of `size` items (the last one shorter), in order.
    ///
    /// # Panics
    ///
    /// If `size` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = [1, 2, 3, 4, 5];
    /// v.par_chunks_mut(2).for_each(|c| c.reverse());
    /// assert_eq!(v, [2, 1, 4, 3, 5]);
    /// ```
    fn par_chunks_mut(&mut self, size: usize) -> ChunksMut<'_, T>;

    /// Mutable chunks of exactly `size` items; the items left over are not visited.
    ///
    /// # Panics
    ///
    /// If `size` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = [1, 2, 3, 4, 5];
    /// v.par_chunks_exact_mut(2).for_each(|c| c.reverse());
    /// assert_eq!(v, [2, 1, 4, 3, 5]);
    /// ```
    fn par_chunks_exact_mut(&mut self, size: usize) -> ChunksExactMut<'_, T>;

    /// Mutable chunks of `size` items from the end (the last one, at the front, shorter).
    ///
    /// # Panics
    ///
    /// If `size` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = [1, 2, 3, 4, 5];
    /// v.par_rchunks_mut(2).for_each(|c| c.reverse());
    /// assert_eq!(v, [1, 3, 2, 5, 4]);
    /// ```
    fn par_rchunks_mut(&mut self, size: usize) -> RChunksMut<'_, T>;

    /// Mutable chunks of exactly `size` items from the end; the items left over, at the
    /// front, are not visited.
    ///
    /// # Panics
    ///
    /// If `size` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = [1, 2, 3, 4, 5];
    /// v.par_rchunks_exact_mut(2).for_each(|c| c.fill(0));
    /// assert_eq!(v, [1, 0, 0, 0, 0]);
    /// ```
    fn par_rchunks_exact_mut(&mut self, size: usize) -> RChunksExactMut<'_, T>;

    /// Mutable parts between the items that match `separator`, as
    /// [`par_split`](crate::iter::ParallelSlice::par_split) finds them; the separators
    /// are in no part. The items must also be `Sync`: the parts are found by a parallel
    /// scan that reads the whole slice before any part is handed out.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = [3, 1, 0, 2, 1];
    /// v.par_split_mut(|&x| x == 0).for_each(|part| part.sort());
    /// assert_eq!(v, [1, 3, 0, 1, 2]);
    /// ```
    fn par_split_mut<P>(&mut self, separator: P) -> SliceSplitMut<'_, T, P>
    where
        T: Sync,
        P: Fn(&T) -> bool + Sync + Send;

    /// Mutable parts that end with an item that matches `separator`, or at the end, as
    /// [`par_split_inclusive`](crate::iter::ParallelSlice::par_split_inclusive) finds
    /// them. The items must also be `Sync` (as for [`par_split_mut`](Self::par_split_mut)).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = [1, 2, 0, 3, 0];
    /// v.par_split_inclusive_mut(|&x| x == 0).for_each(|part| part.reverse());
    /// assert_eq!(v, [0, 2, 1, 0, 3]);
    /// ```
    fn par_split_inclusive_mut<P>(&mut self, separator: P) -> SliceSplitInclusiveMut<'_, T, P>
    where
        T: Sync,
        P: Fn(&T) -> bool + Sync + Send;

    /// Mutable runs of items in which `pred` holds for every two neighbours, as
    /// [`par_chunk_by`](crate::iter::ParallelSlice::par_chunk_by) finds them. The items
    /// must also be `Sync` (as for [`par_split_mut`](Self::par_split_mut)).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = [1, 1, 2, 3, 3];
    /// v.par_chunk_by_mut(|a, b| a == b).for_each(|run| {
    ///     let n = run.len() as i32;
    ///     run.fill(n);
    /// });
    /// assert_eq!(v, [2, 2, 1, 2, 2]);
    /// ```
    fn par_chunk_by_mut<P>(&mut self, pred: P) -> ChunkByMut<'_, T, P>
    where
        T: Sync,
        P: Fn(&T, &T) -> bool + Sync + Send;

    /// Sorts the slice in parallel, stably (equal items keep their order): a merge sort
    /// on the current pool (the global pool outside every pool), like `slice::sort`.
    ///
    /// Uses a scratch buffer of the slice's length, as `slice::sort` does. If `T::cmp`
    /// panics, the panic reaches the caller once every piece has stopped, and the slice
    /// holds each of its items exactly once, in an unspecified order.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = vec![5, 1, 4, 2, 3];
    /// v.par_sort();
    /// assert_eq!(v, [1, 2, 3, 4, 5]);
    /// ```
    fn par_sort(&mut self)
    where
        T: Ord;

    /// Sorts the slice in parallel and stably by a comparator, like `slice::sort_by`.
    ///
    /// `compare` should be a total order; if it is not, the items end in an unspecified
    /// order, each exactly once, and the sort does not panic (as rayon's; `slice::sort_by`
    /// may panic then). So it is for every `par_sort*` method.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = vec![(2, 'a'), (1, 'b'), (2, 'c'), (1, 'd')];
    /// v.par_sort_by(|x, y| x.0.cmp(&y.0));
    /// assert_eq!(v, [(1, 'b'), (1, 'd'), (2, 'a'), (2, 'c')]);
    /// ```
    fn par_sort_by<F>(&mut self, compare: F)
    where
        F: Fn(&T, &T) -> Ordering + Sync;

    /// Sorts the slice in parallel and stably by a key, like `slice::sort_by_key`. The key
    /// is computed on every comparison (brigade has no `par_sort_by_cached_key`).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = vec![-3i32, 1, -2, 4];
    /// v.par_sort_by_key(|x| x.abs());
    /// assert_eq!(v, [1, -2, -3, 4]);
    /// ```
    fn par_sort_by_key<K, F>(&mut self, key: F)
    where
        K: Ord,
        F: Fn(&T) -> K + Sync;

    /// Sorts the slice in parallel by a key computed once per item, keeping the order of
    /// equal items, like `slice::sort_by_cached_key`: for keys that cost more than a
    /// comparison. The keys are computed in parallel, then (key, place) pairs are sorted in
    /// parallel and the items moved to their places; it allocates one pair per item.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = vec![-3i32, 1, -2, 4, 2];
    /// v.par_sort_by_cached_key(|x| x.abs().to_string());
    /// assert_eq!(v, [1, -2, 2, -3, 4]);
    /// ```
    fn par_sort_by_cached_key<K, F>(&mut self, key: F)
    where
        K: Ord + Send,
        F: Fn(&T) -> K + Sync;

    /// Sorts the slice in parallel, without keeping the order of equal items and without
    /// allocating: a pattern-defeating quicksort on the current pool, like
    /// `slice::sort_unstable`. Its worst case stays O(n log n): after too many lopsided
    /// partitions a piece is handed to std's `sort_unstable_by`.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v: Vec<u64> = (0..10_000).rev().collect();
    /// v.par_sort_unstable();
    /// assert!(v.windows(2).all(|w| w[0] <= w[1]));
    /// ```
    fn par_sort_unstable(&mut self)
    where
        T: Ord;

    /// Sorts the slice in parallel by a comparator, without keeping the order of equal
    /// items, like `slice::sort_unstable_by`.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = vec![1, 5, 3, 2];
    /// v.par_sort_unstable_by(|x, y| y.cmp(x));
    /// assert_eq!(v, [5, 3, 2, 1]);
    /// ```
    fn par_sort_unstable_by<F>(&mut self, compare: F)
    where
        F: Fn(&T, &T) -> Ordering + Sync;

    /// Sorts the slice in parallel by a key, without keeping the order of equal items,
    /// like `slice::sort_unstable_by_key`.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut words = vec!["ccc", "a", "bb"];
    /// words.par_sort_unstable_by_key(|w| w.len());
    /// assert_eq!(words, ["a", "bb", "ccc"]);
    /// ```
    fn par_sort_unstable_by_key<K, F>(&mut self, key: F)
    where
        K: Ord,
        F: Fn(&T) -> K + Sync;
}

impl<T: Send> ParallelSliceMut<T> for [T] {
    #[track_caller]
    fn par_chunks_mut(&mut self, size: usize) -> ChunksMut<'_, T> {
        ChunksMut::new(self, size)
    }

    #[track_caller]
    fn par_chunks_exact_mut(&mut self, size: usize) -> ChunksExactMut<'_, T> {
        ChunksExactMut::new(self, size)
    }

    #[track_caller]
    fn par_rchunks_mut(&mut self, size: usize) -> RChunksMut<'_, T> {
        RChunksMut::new(self, size)
    }

    #[track_caller]
    fn par_rchunks_exact_mut(&mut self, size: usize) -> RChunksExactMut<'_, T> {
        RChunksExactMut::new(self, size)
    }

    fn par_split_mut<P>(&mut self, separator: P) -> SliceSplitMut<'_, T, P>
    where
        T: Sync,
        P: Fn(&T) -> bool + Sync + Send,
    {
        slice_parts::split_mut(self, separator)
    }

    fn par_split_inclusive_mut<P>(&mut self, separator: P) -> SliceSplitInclusiveMut<'_, T, P>
    where
        T: Sync,
        P: Fn(&T) -> bool + Sync + Send,
    {
        slice_parts::split_inclusive_mut(self, separator)
    }

    fn par_chunk_by_mut<P>(&mut self, pred: P) -> ChunkByMut<'_, T, P>
    where
        T: Sync,
        P: Fn(&T, &T) -> bool + Sync + Send,
    {
        slice_parts::chunk_by_mut(self, pred)
    }

    fn par_sort(&mut self)
    where
        T: Ord,
    {
        if one_thread() {
            return self.sort();
        }
        par_mergesort(self, &T::lt);
    }

    fn par_sort_by<F>(&mut self, compare: F)
    where
        F: Fn(&T, &T) -> Ordering + Sync,
    {
        if one_thread() {
            return self.sort_by(compare);
        }
        par_mergesort(self, &|a: &T, b: &T| compare(a, b) == Ordering::Less);
    }

    fn par_sort_by_key<K, F>(&mut self, key: F)
    where
        K: Ord,
        F: Fn(&T) -> K + Sync,
    {
        if one_thread() {
            return self.sort_by_key(key);
        }
        par_mergesort(self, &|a: &T, b: &T| key(a) < key(b));
    }

    fn par_sort_by_cached_key<K, F>(&mut self, key: F)
    where
        K: Ord + Send,
        F: Fn(&T) -> K + Sync,
    {
        if self.len() < 2 {
            return;
        }
        // Each key with its item's place: places are distinct, so an unstable sort of the
        // pairs keeps equal keys in place order. (`par_iter_mut`, not `par_iter`: `T` need
        // only be `Send`.)
        let mut keyed: Vec<(K, usize)> = self
            .par_iter_mut()
            .map(|item| key(item))
            .enumerate()
            .map(|(place, key)| (key, place))
            .collect();
        keyed.par_sort_unstable();
        // `keyed[i].1` is the place of the item that belongs at `i`, as it was before the
        // swaps; earlier swaps moved it on, and following the chain finds it (as std does).
        for i in 0..self.len() {
            let mut from = keyed[i].1;
            while from < i {
                from = keyed[from].1;
            }
            keyed[i].1 = from;
            self.swap(i, from);
        }
    }

    fn par_sort_unstable(&mut self)
    where
        T: Ord,
    {
        if one_thread() {
            return self.sort_unstable();
        }
        par_quicksort(self, &T::lt);
    }

    fn par_sort_unstable_by<F>(&mut self, compare: F)
    where
        F: Fn(&T, &T) -> Ordering + Sync,
    {
        if one_thread() {
            return self.sort_unstable_by(compare);
        }
        par_quicksort(self, &|a: &T, b: &T| compare(a, b) == Ordering::Less);
    }

    fn par_sort_unstable_by_key<K, F>(&mut self, key: F)
    where
        K: Ord,
        F: Fn(&T) -> K + Sync,
    {
        if one_thread() {
            return self.sort_unstable_by_key(key);
        }
        par_quicksort(self, &|a: &T, b: &T| key(a) < key(b));
    }
}

/// True on a pool of one thread (or a global pool of one): the sorts are std's there, which
/// the parallel ones, built from std's sorts and a comparator of their own, cannot beat.
fn one_thread() -> bool {
    crate::current_num_threads() == 1
}
