//! [`IndexedParallelIterator`]: iterators with one item per base index, whose items' places
//! are known before they run.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::iter::collect::{collect_in_place, unzip_in_place};
use crate::iter::drive::{FirstBlock, drive, drive_back};
use crate::iter::enumerate::Enumerate;
use crate::iter::filter::FilterMap;
use crate::iter::find::{PositionAny, PositionFirst, PositionLast};
use crate::iter::interleave::{Interleave, InterleaveShortest};
use crate::iter::iter_chunks::IterChunks;
use crate::iter::map::Map;
use crate::iter::rev::Rev;
use crate::iter::skip_take::{Skip, Take};
use crate::iter::step_by::StepBy;
use crate::iter::tuning::{ExponentialBlocks, UniformBlocks};
use crate::iter::zip::Zip;
use crate::iter::{IntoParallelIterator, ParallelIterator};

/// A parallel iterator whose length is known and whose every item has a known place: the
/// sources (slices, `Vec`s, ranges, chunks, windows, a slice's `par_split` parts, tuples
/// zipped) and what `map`, `enumerate`, `zip`, `copied`, `cloned`, `inspect`, `map_init`,
/// `skip`, `take`, `step_by`, `rev`, `chunks`, `interleave`, the blocks and the tuning
/// adaptors make of them, and a `chain` of two of them; not `filter`, `filter_map`,
/// `flat_map_iter`, `flatten_iter`, `fold`, `par_lines` or `par_split_whitespace`.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let mut grid = vec![0u32; 6 * 4];
/// grid.par_chunks_mut(6).enumerate().for_each(|(y, row)| {
///     for (x, cell) in row.iter_mut().enumerate() {
///         *cell = (10 * y + x) as u32;
///     }
/// });
/// assert_eq!(grid[6 * 3 + 5], 35);
/// assert_eq!(grid.par_chunks(6).len(), 4);
/// ```
pub trait IndexedParallelIterator: ParallelIterator {
    /// The items of one piece, last first.
    #[doc(hidden)]
    type RevPiece<'p>: Iterator<Item = Self::Item>
    where
        Self: 'p;

    /// The items of the base indices `start..end`, last first: what
    /// [`piece`](ParallelIterator::piece) yields, in reverse. [`rev`](Self::rev) runs on
    /// it.
    ///
    /// # Safety
    ///
    /// As for [`piece`](ParallelIterator::piece), which shares the promise: no base index
    /// is ever asked for twice, by either method, over the life of `self`.
    #[doc(hidden)]
    unsafe fn rev_piece<'p>(
        &'p self,
        state: &'p mut Self::State,
        start: usize,
        end: usize,
    ) -> Self::RevPiece<'p>;

    /// The number of items.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert_eq!((0..10u8).into_par_iter().map(|x| x * 2).len(), 10);
    /// assert_eq!((0..=u8::MAX).into_par_iter().len(), 256);
    /// ```
    fn len(&self) -> usize {
        debug_assert!(Self::INDEXED);
        self.base_len()
    }

    /// True if there are no items.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert!((5..5u32).into_par_iter().is_empty());
    /// ```
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each item with its index: `(0, first)`, `(1, second)`, ...
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v = vec![5, 6, 7];
    /// let ok = v.par_iter().enumerate().all(|(i, &x)| x == i + 5);
    /// assert!(ok);
    /// ```
    fn enumerate(self) -> Enumerate<Self> {
        Enumerate::new(self)
    }

    /// The items of `self` and `other` in pairs, as many as the shorter one has.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut out = vec![0; 4];
    /// let (a, b) = ([1, 2, 3, 4], [10, 20, 30, 40]);
    /// out.par_iter_mut().zip(a.par_iter().zip(&b)).for_each(|(o, (x, y))| *o = x + y);
    /// assert_eq!(out, [11, 22, 33, 44]);
    /// ```
    fn zip<Z>(self, other: Z) -> Zip<Self, Z::Iter>
    where
        Z: IntoParallelIterator,
        Z::Iter: IndexedParallelIterator,
    {
        Zip::new(self, other.into_par_iter())
    }

    /// [`zip`](Self::zip) for iterators that must be as long as each other (rayon's
    /// `zip_eq`).
    ///
    /// # Panics
    ///
    /// If `self` and `other` have different lengths, before any item runs.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let dot: u32 = [1u32, 2, 3].par_iter().zip_eq(&[4u32, 5, 6]).map(|(a, b)| a * b).sum();
    /// assert_eq!(dot, 32);
    /// let r = std::panic::catch_unwind(|| [1u32, 2].par_iter().zip_eq(&[3u32]).count());
    /// assert!(r.is_err());
    /// ```
    #[track_caller]
    fn zip_eq<Z>(self, other: Z) -> Zip<Self, Z::Iter>
    where
        Z: IntoParallelIterator,
        Z::Iter: IndexedParallelIterator,
    {
        let other = other.into_par_iter();
        let (a, b) = (self.len(), other.len());
        assert_eq!(a, b, "zip_eq: the iterators' lengths differ");
        Zip::new(self, other)
    }

    /// The items of `self` and `other` in turn, `self`'s first; once the shorter one ends,
    /// the rest of the longer one. Indexed, as long as the two together.
    ///
    /// # Panics
    ///
    /// If the two together have more than `usize::MAX` items (an unbounded
    /// [`repeat`](crate::iter::repeat) on either side).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v: Vec<u32> = [1, 2, 3, 4].par_iter().copied().interleave(vec![10, 20]).collect();
    /// assert_eq!(v, [1, 10, 2, 20, 3, 4]);
    /// ```
    #[track_caller]
    fn interleave<Z>(self, other: Z) -> Interleave<Self, Z::Iter>
    where
        Z: IntoParallelIterator<Item = Self::Item>,
        Z::Iter: IndexedParallelIterator,
    {
        Interleave::new(self, other.into_par_iter())
    }

    /// The items of `self` and `other` in turn, `self`'s first, until one of them has none
    /// left for its turn: `min(len, other_len + 1)` of `self`'s and `min(len, other_len)` of
    /// `other`'s. Indexed; never more than `usize::MAX` items (two unbounded
    /// [`repeat`](crate::iter::repeat)s give that many), so it does not panic.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v: Vec<u32> = (1..5u32).into_par_iter().interleave_shortest(10..12u32).collect();
    /// assert_eq!(v, [1, 10, 2, 11, 3]);
    /// let w: Vec<u32> = (1..3u32).into_par_iter().interleave_shortest(10..14u32).collect();
    /// assert_eq!(w, [1, 10, 2, 11]);
    /// ```
    fn interleave_shortest<Z>(self, other: Z) -> InterleaveShortest<Self, Z::Iter>
    where
        Z: IntoParallelIterator<Item = Self::Item>,
        Z::Iter: IndexedParallelIterator,
    {
        let other = other.into_par_iter();
        let (a, b) = (self.len(), other.len());
        // At most `usize::MAX` items in all: two `repeat`s give `usize::MAX / 2 + 1` of the
        // first and `usize::MAX / 2` of the second.
        let b = b.min(a).min(usize::MAX / 2);
        let a = a.min(b + 1);
        Interleave::new(self.take(a), other.take(b))
    }

    /// The items in `Vec`s of `size`, in order; the last one is shorter if the length is not
    /// a multiple of `size`. Indexed.
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
    /// let rows: Vec<Vec<u32>> = (0..7u32).into_par_iter().chunks(3).collect();
    /// assert_eq!(rows, [vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
    /// ```
    #[track_caller]
    fn chunks(self, size: usize) -> IterChunks<Self> {
        IterChunks::new(self, size)
    }

    /// Folds each chunk of `size` items (as [`chunks`](Self::chunks) cuts them) from
    /// `identity()` with `fold_op`, and yields the results in order. Indexed.
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
    /// let sums: Vec<u32> = (1..=7u32).into_par_iter().fold_chunks(3, || 0, |a, x| a + x).collect();
    /// assert_eq!(sums, [6, 15, 7]);
    /// ```
    #[track_caller]
    fn fold_chunks<T, ID, F>(
        self,
        size: usize,
        identity: ID,
        fold_op: F,
    ) -> Map<IterChunks<Self>, impl Fn(Vec<Self::Item>) -> T + Sync + Send + Clone>
    where
        ID: Fn() -> T + Sync + Send,
        F: Fn(T, Self::Item) -> T + Sync + Send,
        T: Send,
    {
        // Shared, so that the iterator is `Clone` whenever `self` is, as rayon's
        // `FoldChunks`.
        let ops = Arc::new((identity, fold_op));
        self.chunks(size)
            .map(move |chunk| chunk.into_iter().fold((ops.0)(), &ops.1))
    }

    /// [`fold_chunks`](Self::fold_chunks) from a clone of `init` for each chunk. The workers
    /// share `init` to clone it, so it must be `Sync` (rayon asks only `Send`).
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
    /// let joined: Vec<String> = ["a", "b", "c"]
    ///     .par_iter()
    ///     .fold_chunks_with(2, String::from(">"), |s, x| s + x)
    ///     .collect();
    /// assert_eq!(joined, [">ab", ">c"]);
    /// ```
    #[track_caller]
    fn fold_chunks_with<T, F>(
        self,
        size: usize,
        init: T,
        fold_op: F,
    ) -> Map<IterChunks<Self>, impl Fn(Vec<Self::Item>) -> T + Sync + Send + Clone>
    where
        T: Send + Clone + Sync,
        F: Fn(T, Self::Item) -> T + Sync + Send,
    {
        // Shared, so that the iterator is `Clone` whenever `self` is, as rayon's
        // `FoldChunksWith`.
        let fold_op = Arc::new(fold_op);
        self.chunks(size)
            .map(move |chunk| chunk.into_iter().fold(init.clone(), &*fold_op))
    }

    /// The positions (from 0) of the items for which `predicate` is true, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v = [3u32, 8, 5, 10, 7];
    /// let even: Vec<usize> = v.par_iter().positions(|x| x % 2 == 0).collect();
    /// assert_eq!(even, [1, 3]);
    /// ```
    #[allow(clippy::type_complexity)] // the type of the closure inside has no name
    fn positions<P>(
        self,
        predicate: P,
    ) -> FilterMap<
        Enumerate<Self>,
        impl Fn((usize, Self::Item)) -> Option<usize> + Sync + Send + Clone,
    >
    where
        P: Fn(Self::Item) -> bool + Sync + Send,
    {
        // Shared, so that the iterator is `Clone` whenever `self` is, as rayon's `Positions`.
        let predicate = Arc::new(predicate);
        self.enumerate()
            .filter_map(move |(i, item)| predicate(item).then_some(i))
    }

    /// The items, last first: item `k` is `self`'s item `len - 1 - k`. Each piece runs its
    /// part of the base backwards; an [`enumerate`](Self::enumerate) after `rev` numbers the
    /// reversed items from 0, one before `rev` keeps the original numbers.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v = vec!['a', 'b', 'c'];
    /// let back: String = v.par_iter().rev().collect();
    /// assert_eq!(back, "cba");
    /// let numbered: Vec<(usize, char)> = v.par_iter().copied().rev().enumerate().collect();
    /// assert_eq!(numbered, [(0, 'c'), (1, 'b'), (2, 'a')]);
    /// let kept: Vec<(usize, char)> = v.par_iter().copied().enumerate().rev().collect();
    /// assert_eq!(kept, [(2, 'c'), (1, 'b'), (0, 'a')]);
    /// ```
    fn rev(self) -> Rev<Self> {
        Rev::new(self)
    }

    /// All but the first `n` items (none if there are at most `n`). As std's `skip` and
    /// rayon's, the closures of the adaptors before `skip` still run on the skipped items
    /// (a `map` or `inspect` with side effects sees every item), once, as a parallel loop of
    /// its own run by the first piece the loop asks for (also when that piece is the last
    /// one, for `find_last` or `rev().take(k)`, as in rayon); a plain source (a range, a
    /// slice, a `Vec`, whose by-value items are dropped when the iterator is) makes nothing
    /// for them, nor do adaptors of plain sources that run no closure (`chain`, `zip`,
    /// `enumerate`, `rev`, `step_by`, `skip`, `take`, `copied`, `chunks`, `interleave`).
    /// They run also when no item is left (`n` at least the length), and when the `skip` is
    /// a side of a `zip`, `chain` or `interleave`. A `skip` whose items the loop never asks
    /// for runs nothing, as in std (rayon runs it): a side of a `chain` or `interleave` that
    /// a `take`, a shorter `zip` or an early exit such as `find_first` stops before, or that
    /// a `rev().take(k)` never reaches.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    ///
    /// let v: Vec<u32> = (0..10u32).into_par_iter().skip(7).collect();
    /// assert_eq!(v, [7, 8, 9]);
    /// assert_eq!((0..10u32).into_par_iter().skip(20).count(), 0);
    ///
    /// let seen = AtomicUsize::new(0);
    /// let left = (0..10u32)
    ///     .into_par_iter()
    ///     .inspect(|_| {
    ///         seen.fetch_add(1, Ordering::Relaxed);
    ///     })
    ///     .skip(7)
    ///     .count();
    /// assert_eq!((left, seen.load(Ordering::Relaxed)), (3, 10));
    ///
    /// // Also when nothing is left, as std's `skip` does.
    /// let none = (0..10u32)
    ///     .into_par_iter()
    ///     .inspect(|_| {
    ///         seen.fetch_add(1, Ordering::Relaxed);
    ///     })
    ///     .skip(20)
    ///     .count();
    /// assert_eq!((none, seen.into_inner()), (0, 20));
    /// ```
    fn skip(self, n: usize) -> Skip<Self> {
        Skip::new(self, n)
    }

    /// The first `n` items (all of them if there are at most `n`). The items after them
    /// are never produced: closures of the adaptors before `take` do not run on them, and a
    /// `Vec`'s by-value items are dropped when the iterator is.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v: Vec<u32> = (0..10u32).into_par_iter().map(|x| x * x).take(3).collect();
    /// assert_eq!(v, [0, 1, 4]);
    /// assert_eq!((0..10u32).into_par_iter().take(20).len(), 10);
    /// ```
    fn take(self, n: usize) -> Take<Self> {
        Take::new(self, n)
    }

    /// Every `step`-th item, starting with the first: item `k` is `self`'s item
    /// `k * step`. The items in between are taken from the base and dropped; whether the
    /// closures of the adaptors before `step_by` run on them depends on how the loop is
    /// cut (as in std, where it depends on the adaptor), so do not rely on it either way.
    ///
    /// # Panics
    ///
    /// If `step` is 0 (as std's `step_by` does).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v: Vec<u32> = (0..10u32).into_par_iter().step_by(3).collect();
    /// assert_eq!(v, [0, 3, 6, 9]);
    /// let back: Vec<u32> = (0..10u32).into_par_iter().step_by(3).rev().collect();
    /// assert_eq!(back, [9, 6, 3, 0]);
    /// ```
    ///
    /// ```should_panic
    /// use brigade::prelude::*;
    ///
    /// let _ = (0..10u32).into_par_iter().step_by(0);
    /// ```
    fn step_by(self, step: usize) -> StepBy<Self> {
        StepBy::new(self, step)
    }

    /// The index of the first item for which `predicate` is true. Pieces that start after
    /// an index already found are skipped, and running pieces stop when they pass one.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v: Vec<u32> = (0..1000).map(|i| i % 300).collect();
    /// assert_eq!(v.par_iter().position_first(|&x| x == 299), Some(299));
    /// ```
    fn position_first<P>(self, predicate: P) -> Option<usize>
    where
        P: Fn(Self::Item) -> bool + Sync + Send,
    {
        drive(&self, &PositionFirst::new(predicate))
    }

    /// The index of the last item for which `predicate` is true, as std's `rposition`
    /// finds it. The loop runs in blocks from the end, each block as long as all those
    /// after it (the first, the last items, at least 16,384 or 1/64 of them), and stops at
    /// the first block that holds a match; within a block, pieces that end before an index
    /// already found are skipped, and running pieces stop when they are passed. A piece
    /// runs forwards, so one that finds a match still runs to its end.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v: Vec<u32> = (0..1000).map(|i| i % 300).collect();
    /// assert_eq!(v.par_iter().position_last(|&x| x == 7), Some(907));
    /// assert_eq!(v.par_iter().position_last(|&x| x == 300), None);
    /// ```
    fn position_last<P>(self, predicate: P) -> Option<usize>
    where
        P: Fn(Self::Item) -> bool + Sync + Send,
    {
        drive_back(
            &self,
            &PositionLast::new(predicate),
            FirstBlock::Wide,
            Option::is_some,
        )
    }

    /// The index of some item for which `predicate` is true, not necessarily the first;
    /// stops as soon as one is found.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v: Vec<u32> = (0..1000).map(|i| i % 300).collect();
    /// let i = v.par_iter().position_any(|&x| x == 299).unwrap();
    /// assert_eq!(v[i], 299);
    /// ```
    fn position_any<P>(self, predicate: P) -> Option<usize>
    where
        P: Fn(Self::Item) -> bool + Sync + Send,
    {
        drive(&self, &PositionAny::new(predicate))
    }

    /// Runs the loop as a sequence of blocks, each a parallel loop of its own, one after
    /// the other: the first of `p` items (`p` the current pool's thread count), then `2p`,
    /// `4p`... (items `0..p`, `p..3p`, `3p..7p`...), so a few blocks in all. An early exit
    /// ([`find_first`](ParallelIterator::find_first), [`any`](ParallelIterator::any),
    /// `take_any`...) stops before the next block once it has its answer, so a
    /// `find_first` whose match is at index `i` runs at most about `2i + p` items,
    /// whatever the schedule. The items, their order and the results are those of the iterator
    /// itself; only the `_last` searches ignore the blocks (they run in blocks of their
    /// own, from the end).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    ///
    /// let looked = AtomicUsize::new(0);
    /// let found = (0..1_000_000u32)
    ///     .into_par_iter()
    ///     .by_exponential_blocks()
    ///     .find_first(|&x| {
    ///         looked.fetch_add(1, Ordering::Relaxed);
    ///         x == 500
    ///     });
    /// assert_eq!(found, Some(500));
    /// assert!(looked.load(Ordering::Relaxed) < 100_000);
    /// ```
    fn by_exponential_blocks(self) -> ExponentialBlocks<Self> {
        ExponentialBlocks::new(self)
    }

    /// Runs the loop as a sequence of blocks of `block_size` items (the last one shorter),
    /// each a parallel loop of its own, one after the other: for locality (a block's data
    /// stays in cache while the pool works on it), or to bound how far past an early
    /// exit's answer the loop runs. As for
    /// [`by_exponential_blocks`](Self::by_exponential_blocks), the items and results are
    /// the iterator's own.
    ///
    /// # Panics
    ///
    /// If `block_size` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v: Vec<u32> = (0..10_000u32)
    ///     .into_par_iter()
    ///     .by_uniform_blocks(1_000)
    ///     .fold(Vec::new, |mut v, x| { v.push(x); v })
    ///     .reduce(Vec::new, |mut a, mut b| { a.append(&mut b); a });
    /// assert_eq!(v, (0..10_000).collect::<Vec<u32>>());
    /// ```
    #[track_caller]
    fn by_uniform_blocks(self, block_size: usize) -> UniformBlocks<Self> {
        UniformBlocks::new(self, block_size)
    }

    /// Collects the items into `target` (cleared first), in order, each piece writing its
    /// items in place; `target`'s allocation is reused when it is large enough.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = Vec::with_capacity(100);
    /// (0..100u32).into_par_iter().map(|x| x * 2).collect_into_vec(&mut v);
    /// assert_eq!(v[99], 198);
    /// ```
    fn collect_into_vec(self, target: &mut Vec<Self::Item>) {
        collect_in_place(self, target);
    }

    /// Splits items that are pairs into `left` and `right` (both cleared first, their
    /// allocations reused when large enough), in order, each piece writing its items in
    /// place. If a closure panics, both are left empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let (mut squares, mut cubes) = (vec![7; 3], Vec::new());
    /// (0..4u64).into_par_iter().map(|i| (i * i, i * i * i)).unzip_into_vecs(&mut squares, &mut cubes);
    /// assert_eq!(squares, [0, 1, 4, 9]);
    /// assert_eq!(cubes, [0, 1, 8, 27]);
    /// ```
    fn unzip_into_vecs<A, B>(self, left: &mut Vec<A>, right: &mut Vec<B>)
    where
        Self: IndexedParallelIterator<Item = (A, B)>,
        A: Send,
        B: Send,
    {
        unzip_in_place(self, left, right);
    }

    /// Compares the items with those of `other` lexicographically, as std's
    /// [`Iterator::cmp`]: the first pair that differs decides, and if one iterator is a
    /// prefix of the other, the shorter one is less. The pairs are compared in parallel,
    /// and the search stops at the first difference ([`find_first`]).
    ///
    /// [`find_first`]: ParallelIterator::find_first
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    /// use std::cmp::Ordering;
    ///
    /// let a: Vec<u32> = (0..1000).collect();
    /// let mut b = a.clone();
    /// b[700] = 0;
    /// assert_eq!(a.par_iter().cmp(&b), Ordering::Greater);
    /// assert_eq!(a.par_iter().cmp(&a[..10]), Ordering::Greater); // longer, same prefix
    /// assert_eq!(a.par_iter().cmp(a.par_iter()), Ordering::Equal);
    /// ```
    fn cmp<I>(self, other: I) -> Ordering
    where
        I: IntoParallelIterator<Item = Self::Item>,
        I::Iter: IndexedParallelIterator,
        Self::Item: Ord,
    {
        let other = other.into_par_iter();
        let by_len = self.len().cmp(&other.len());
        self.zip(other)
            .map(|(x, y)| Ord::cmp(&x, &y))
            .find_first(|&order| order != Ordering::Equal)
            .unwrap_or(by_len)
    }

    /// Compares the items with those of `other` lexicographically, as std's
    /// [`Iterator::partial_cmp`]: the first pair that is not equal decides (`None` if it
    /// is unordered), and if one iterator is a prefix of the other, the shorter one is less.
    /// In parallel, stopping at the first pair that decides.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    /// use std::cmp::Ordering;
    ///
    /// let a = [1.0, 2.0, f64::NAN];
    /// assert_eq!(a.par_iter().partial_cmp(&[1.0, 3.0, 0.0]), Some(Ordering::Less));
    /// assert_eq!(a.par_iter().partial_cmp(&[1.0, 2.0, 0.0]), None);
    /// assert_eq!(a[..2].par_iter().partial_cmp(&a[..1]), Some(Ordering::Greater));
    /// ```
    fn partial_cmp<I>(self, other: I) -> Option<Ordering>
    where
        I: IntoParallelIterator,
        I::Iter: IndexedParallelIterator,
        Self::Item: PartialOrd<I::Item>,
    {
        let other = other.into_par_iter();
        let by_len = self.len().cmp(&other.len());
        self.zip(other)
            .map(|(x, y)| PartialOrd::partial_cmp(&x, &y))
            .find_first(|&order| order != Some(Ordering::Equal))
            .unwrap_or(Some(by_len))
    }

    /// True if the items equal those of `other`, as std's [`Iterator::eq`]: the same
    /// number of items, equal pair by pair. In parallel, stopping at the first pair that
    /// differs.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let a: Vec<u32> = (0..1000).collect();
    /// assert!(a.par_iter().map(|x| x * 2).eq((0..2000u32).into_par_iter().step_by(2)));
    /// assert!(!a.par_iter().eq(&a[1..]));
    /// ```
    fn eq<I>(self, other: I) -> bool
    where
        I: IntoParallelIterator,
        I::Iter: IndexedParallelIterator,
        Self::Item: PartialEq<I::Item>,
    {
        let other = other.into_par_iter();
        self.len() == other.len() && self.zip(other).all(|(x, y)| x.eq(&y))
    }

    /// True if the items differ from those of `other`: `!self.eq(other)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert!([1, 2, 3].par_iter().ne(&[1, 2, 4]));
    /// assert!(![1, 2, 3].par_iter().ne(vec![1, 2, 3].par_iter()));
    /// ```
    fn ne<I>(self, other: I) -> bool
    where
        I: IntoParallelIterator,
        I::Iter: IndexedParallelIterator,
        Self::Item: PartialEq<I::Item>,
    {
        !self.eq(other)
    }

    /// True if the items are lexicographically less than those of `other`
    /// ([`partial_cmp`](Self::partial_cmp) is `Some(Less)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert!([1, 2].par_iter().lt(&[1, 3]));
    /// assert!([1, 2].par_iter().lt(&[1, 2, 0]));
    /// assert!(![1, 2].par_iter().lt(&[1, 2]));
    /// ```
    fn lt<I>(self, other: I) -> bool
    where
        I: IntoParallelIterator,
        I::Iter: IndexedParallelIterator,
        Self::Item: PartialOrd<I::Item>,
    {
        self.partial_cmp(other) == Some(Ordering::Less)
    }

    /// True if the items are lexicographically less than or equal to those of `other`
    /// ([`partial_cmp`](Self::partial_cmp) is `Some(Less)` or `Some(Equal)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert!([1, 2].par_iter().le(&[1, 2]));
    /// assert!(![1.0, f64::NAN].par_iter().le(&[1.0, f64::NAN]));
    /// ```
    fn le<I>(self, other: I) -> bool
    where
        I: IntoParallelIterator,
        I::Iter: IndexedParallelIterator,
        Self::Item: PartialOrd<I::Item>,
    {
        matches!(
            self.partial_cmp(other),
            Some(Ordering::Less | Ordering::Equal)
        )
    }

    /// True if the items are lexicographically greater than those of `other`
    /// ([`partial_cmp`](Self::partial_cmp) is `Some(Greater)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert!([2].par_iter().gt(&[1, 9]));
    /// assert!(![1, 2].par_iter().gt(&[1, 2]));
    /// ```
    fn gt<I>(self, other: I) -> bool
    where
        I: IntoParallelIterator,
        I::Iter: IndexedParallelIterator,
        Self::Item: PartialOrd<I::Item>,
    {
        self.partial_cmp(other) == Some(Ordering::Greater)
    }

    /// True if the items are lexicographically greater than or equal to those of `other`
    /// ([`partial_cmp`](Self::partial_cmp) is `Some(Greater)` or `Some(Equal)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert!([1, 2].par_iter().ge(&[1, 2]));
    /// assert!([1, 2, 0].par_iter().ge(&[1, 2]));
    /// ```
    fn ge<I>(self, other: I) -> bool
    where
        I: IntoParallelIterator,
        I::Iter: IndexedParallelIterator,
        Self::Item: PartialOrd<I::Item>,
    {
        matches!(
            self.partial_cmp(other),
            Some(Ordering::Greater | Ordering::Equal)
        )
    }
}
