//! [`ParallelIterator`]: the adaptors and terminals every parallel iterator has. The
//! terminals' work is done by the consumers of `reduce.rs`, `collect.rs`, `find.rs` and
//! `try_ops.rs`, and by the `ParallelExtend` impls of `extend.rs` and `partition.rs`; this
//! file is their front door.

use std::cmp::Ordering;
use std::iter::{Product, Sum};
use std::sync::Arc;

use either::Either;

use crate::iter::chain::Chain;
use crate::iter::drive::{Config, Consumer, FirstBlock, drive, drive_back, drive_pieces};
use crate::iter::filter::{Filter, FilterMap, FlatMapIter, FlattenIter};
use crate::iter::find::{Any, FindAny, FindFirst, FindLast};
use crate::iter::flat_map::{FlatMap, Flatten};
use crate::iter::fold::Fold;
use crate::iter::gate::{self, Gate, SkipAny, SkipAnyWhile, TakeAny, TakeAnyWhile, WhileSome};
use crate::iter::intersperse::Intersperse;
use crate::iter::map::{Cloned, Copied, Inspect, Map};
use crate::iter::map_init::MapInit;
use crate::iter::reduce::{Best, Count, ForEach, ProductOf, Reduce, ReduceWith, SumOf};
use crate::iter::sealed::Sealed;
use crate::iter::try_ops::{Try, TryForEach, TryReduce, TryReduceWith};
use crate::iter::tuning::{MaxLen, MinLen, WithSchedule};
use crate::iter::{FromParallelIterator, IntoParallelIterator, ParallelExtend, collect};
use crate::loom::Mutex;
use crate::loops::Schedule;

/// A parallel iterator: rayon's `ParallelIterator`, run by brigade's loop schedules.
///
/// Made by `par_iter()`, `par_iter_mut()` or `into_par_iter()` on slices, `Vec`s, arrays,
/// boxed slices and integer ranges ([`IntoParallelIterator`](crate::iter::IntoParallelIterator)),
/// by [`par_chunks`](crate::iter::ParallelSlice::par_chunks) and its kin, and by
/// [`par_lines`](crate::iter::ParallelString::par_lines) and
/// [`par_split_whitespace`](crate::iter::ParallelString::par_split_whitespace). Adaptors
/// (`map`, `filter`...) return new iterators; terminals (`for_each`, `sum`, `collect`...)
/// run the loop on the current pool (the pool of this worker thread, or the global pool;
/// use [`ThreadPool::install`](crate::ThreadPool::install) to pick one) and return when
/// every item is done.
///
/// Items are split into pieces by the iterator's [`Schedule`] (the default, `Adaptive`,
/// unless [`with_schedule`](Self::with_schedule) says otherwise). Terminals that combine
/// items (`reduce`, `sum`, `collect`, `min`...) combine them in the iterator's order, so an
/// associative operation gives the sequential result; only `for_each` and its kin, the
/// `_any` searches and `count` make no promise about order.
///
/// # Panics
///
/// A panic in any closure stops the loop (pieces not yet started are skipped, pieces
/// already running finish) and is re-raised by the terminal, once. No item is ever visited
/// twice.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let words = ["apple", "bob", "kayak", "tree", "noon"];
/// let palindromes: Vec<&str> = words
///     .par_iter()
///     .copied()
///     .filter(|w| w.chars().eq(w.chars().rev()))
///     .collect();
/// assert_eq!(palindromes, ["bob", "kayak", "noon"]);
///
/// let sum_sq: u64 = (1..=1000u64).into_par_iter().map(|x| x * x).sum();
/// assert_eq!(sum_sq, 333_833_500);
/// ```
pub trait ParallelIterator: Sized + Send + Sync + Sealed {
    /// The type of the items.
    type Item: Send;

    /// What a chain of pieces carries from one piece to the next (`drive.rs`).
    #[doc(hidden)]
    type State: Send;
    /// The items of one piece.
    #[doc(hidden)]
    type Piece<'p>: Iterator<Item = Self::Item>
    where
        Self: 'p;
    /// The items a chain's state still holds when the chain ends.
    #[doc(hidden)]
    type Flush<'p>: Iterator<Item = Self::Item>
    where
        Self: 'p;
    /// True if every base index yields exactly one item, in order.
    #[doc(hidden)]
    const INDEXED: bool;
    /// True if `flush` may yield items (there is a `fold` in the chain of adaptors).
    #[doc(hidden)]
    const FLUSHES: bool;
    /// True if an adaptor in the chain holds items back from the consumer and can cut a
    /// piece short once an early exit has its answer (a filter, `flat_map`): the driver then
    /// runs each piece inside `stop::scope`. Every adaptor over another iterator passes on
    /// its base's value: a piece that cuts itself short must never see the check of another
    /// loop's piece further down the thread's stack.
    #[doc(hidden)]
    const CUTS_SHORT: bool;
    /// True if the base indices are a quota rather than places (a `par_bridge` in the chain
    /// of adaptors): its pieces may run dry in the middle of `0..base_len`, which only
    /// [`dry_from`](Self::dry_from) can tell the loop, so such an iterator can only come
    /// last in a `chain`.
    #[doc(hidden)]
    const BOUNDLESS: bool;
    /// True if an adaptor in the chain can close the loop once enough items have passed
    /// (`take_any`, `take_any_while`, `while_some`: an early exit inside the iterator
    /// rather than in the terminal). The driver then runs the loop as an early exit whose
    /// answer is known, to the adaptors below the gate, once [`dry_from`](Self::dry_from)
    /// says so (`stop.rs`). Every adaptor over another iterator passes on its base's value.
    #[doc(hidden)]
    const CLOSES: bool;
    /// True if making an item has no effect but the item (a source over a range, a slice,
    /// a `Vec`): [`skip`](crate::iter::IndexedParallelIterator::skip) does not run such a
    /// base on the items it skips, as it runs any other (closures with side effects).
    #[doc(hidden)]
    const PURE: bool = false;

    /// The number of base indices.
    #[doc(hidden)]
    fn base_len(&self) -> usize;

    /// How the loop should be cut.
    #[doc(hidden)]
    fn config(&self) -> Config;

    /// The state of a new chain.
    #[doc(hidden)]
    fn state(&self) -> Self::State;

    /// The items of the base indices `start..end`.
    ///
    /// # Safety
    ///
    /// `start <= end <= self.base_len()`, and no base index is ever asked for twice over
    /// the life of `self` (pieces are disjoint; an owning source moves its items out).
    #[doc(hidden)]
    unsafe fn piece<'p>(
        &'p self,
        state: &'p mut Self::State,
        start: usize,
        end: usize,
    ) -> Self::Piece<'p>;

    /// Ends a chain: the items its state still holds.
    #[doc(hidden)]
    fn flush<'p>(&'p self, state: Self::State) -> Self::Flush<'p>;

    /// True once no base index at or after `start` will yield an item any more: a bridged
    /// sequential iterator (`par_bridge`) ran dry, and its base indices are only a quota.
    /// The loop then stops handing out those pieces. Required, not defaulted, so that every
    /// adaptor says what it does: one that forgot to forward it would leave a loop over
    /// about `usize::MAX / 2` empty indices.
    #[doc(hidden)]
    fn dry_from(&self, start: usize) -> bool;

    /// True once no base index in `start..end` will yield an item any more: for a loop, or
    /// part of one, over only those indices. [`dry_from`](Self::dry_from) `start` by
    /// default; a `chain` asks only the side (or sides) the range covers, so a loop stops
    /// on the first side once its `take_any` has closed even though the second side still
    /// has items (a loop over `0..2^62` and a short second side ran for minutes).
    #[doc(hidden)]
    #[inline]
    fn dry_within(&self, start: usize, _end: usize) -> bool {
        self.dry_from(start)
    }

    /// The first base index at or after `start` that may still yield an item: `start`, or
    /// `base_len()` once [`dry_from`](Self::dry_from) `start`, by default; a `chain` whose
    /// first side is dry from `start` answers where its second side starts. The loops that
    /// deal out chunks (`Schedule::StaticChunks`, `Dynamic`, `Guided`) jump there instead of
    /// handing out the dry chunks one by one (a closed `take_any` on the first side of a
    /// chain over `0..2^62`).
    #[doc(hidden)]
    #[inline]
    fn live_from(&self, start: usize) -> usize {
        if self.dry_from(start) {
            self.base_len()
        } else {
            start
        }
    }

    /// The first base index after `start` where a piece must end, or `usize::MAX` if there
    /// is none before the end. A [`chain`](Self::chain) whose first side flushes cuts where
    /// its second side starts, to flush the first side's state before the second side's
    /// items (`chain.rs`); the adaptors that can hold such a chain forward this to their
    /// base. Indexed iterators never flush, so they have no cuts.
    #[doc(hidden)]
    #[inline]
    fn cut_after(&self, start: usize) -> usize {
        let _ = start;
        usize::MAX
    }

    /// The last base index before `end` where the items of another part begin (where a
    /// [`chain`](Self::chain)'s second side starts), or 0 if there is none. The driver runs
    /// the parts as loops of their own, joined, as rayon runs a chain's sides: a search
    /// whose answer lies only in a later part reaches it while every worker is busy in an
    /// earlier one (an endless `flat_map` that rejects everything). Only a hint: any cut
    /// of the base indices into loops yields the same items; adaptors that keep their
    /// base's indices forward it.
    #[doc(hidden)]
    #[inline]
    fn seam_before(&self, end: usize) -> usize {
        let _ = end;
        0
    }

    /// True if this iterator has inner iterators that [`drive_nested`](Self::drive_nested)
    /// may run as loops of their own: a `flat_map` or `flatten` whose base has no gate
    /// (`CLOSES`), and a `map`, `inspect`, `copied`, `cloned`, `filter`, `filter_map`,
    /// `flat_map_iter`, `flatten_iter`, `fold` or `map_init`
    /// over one.
    #[doc(hidden)]
    const NESTS: bool = false;

    /// Drives this iterator into `consumer`, which is no early exit: what `drive` does for
    /// an iterator that [`NESTS`](Self::NESTS). A `flat_map` drives its base, each inner
    /// iterator worth it a parallel loop of its own (`iter/flat_map/nest.rs`); a `map` or
    /// `filter` over one passes the drive on with its closure in the consumer
    /// (`iter/through.rs`). By default, the iterator's pieces as any other's.
    #[doc(hidden)]
    fn drive_nested<C: Consumer<Self::Item>>(&self, consumer: &C) -> C::Acc {
        drive_pieces(self, consumer)
    }

    // ----- adaptors -----

    /// Applies `f` to every item.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v: Vec<u32> = (0..5u32).into_par_iter().map(|x| x * 10).collect();
    /// assert_eq!(v, [0, 10, 20, 30, 40]);
    /// ```
    fn map<F, R>(self, f: F) -> Map<Self, F>
    where
        F: Fn(Self::Item) -> R + Sync + Send,
        R: Send,
    {
        Map::new(self, f)
    }

    /// Calls `f` on a reference to every item as it passes.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    ///
    /// let seen = AtomicUsize::new(0);
    /// let n = (0..100u32).into_par_iter().inspect(|_| { seen.fetch_add(1, Ordering::Relaxed); }).count();
    /// assert_eq!((n, seen.into_inner()), (100, 100));
    /// ```
    fn inspect<F>(self, f: F) -> Inspect<Self, F>
    where
        F: Fn(&Self::Item) + Sync + Send,
    {
        Inspect::new(self, f)
    }

    /// Changes every item in place with `update_op` and yields it: `map` for a closure that
    /// takes `&mut` (rayon's `update`). Indexed if `self` is.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v: Vec<Vec<u8>> = (0..3u8).into_par_iter().map(|x| vec![x]).update(|v| v.push(9)).collect();
    /// assert_eq!(v, [vec![0, 9], vec![1, 9], vec![2, 9]]);
    /// ```
    fn update<F>(
        self,
        update_op: F,
    ) -> Map<Self, impl Fn(Self::Item) -> Self::Item + Sync + Send + Clone>
    where
        F: Fn(&mut Self::Item) + Sync + Send,
    {
        // Shared, so that the iterator is `Clone` whenever `self` is, as rayon's `Update`
        // (its `tests/clones.rs`).
        let update_op = Arc::new(update_op);
        self.map(move |mut item| {
            update_op(&mut item);
            item
        })
    }

    /// Copies items of type `&T` into `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v = vec![1, 2, 3];
    /// let w: Vec<i32> = v.par_iter().copied().collect();
    /// assert_eq!(v, w);
    /// ```
    fn copied<'a, T>(self) -> Copied<Self>
    where
        Self: ParallelIterator<Item = &'a T>,
        T: 'a + Copy + Send + Sync,
    {
        Copied::new(self)
    }

    /// Clones items of type `&T` into `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v = vec!["a".to_string(), "b".to_string()];
    /// let w: Vec<String> = v.par_iter().cloned().collect();
    /// assert_eq!(v, w);
    /// ```
    fn cloned<'a, T>(self) -> Cloned<Self>
    where
        Self: ParallelIterator<Item = &'a T>,
        T: 'a + Clone + Send + Sync,
    {
        Cloned::new(self)
    }

    /// Keeps the items for which `predicate` is true.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let even: Vec<u8> = (0..10u8).into_par_iter().filter(|x| x % 2 == 0).collect();
    /// assert_eq!(even, [0, 2, 4, 6, 8]);
    /// ```
    fn filter<P>(self, predicate: P) -> Filter<Self, P>
    where
        P: Fn(&Self::Item) -> bool + Sync + Send,
    {
        Filter::new(self, predicate)
    }

    /// Maps every item with `f` and keeps the `Some` results.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let words = ["1", "two", "3"];
    /// let nums: Vec<u32> = words.par_iter().filter_map(|w| w.parse().ok()).collect();
    /// assert_eq!(nums, [1, 3]);
    /// ```
    fn filter_map<F, R>(self, f: F) -> FilterMap<Self, F>
    where
        F: Fn(Self::Item) -> Option<R> + Sync + Send,
        R: Send,
    {
        FilterMap::new(self, f)
    }

    /// Maps every item to a sequential iterator and yields the items of each in turn. The
    /// inner iterators run sequentially, within the piece of their item.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v: Vec<u32> = (1..4u32).into_par_iter().flat_map_iter(|n| 0..n).collect();
    /// assert_eq!(v, [0, 0, 1, 0, 1, 2]);
    /// ```
    fn flat_map_iter<F, U>(self, f: F) -> FlatMapIter<Self, F>
    where
        F: Fn(Self::Item) -> U + Sync + Send,
        U: IntoIterator,
        U::Item: Send,
    {
        FlatMapIter::new(self, f)
    }

    /// Yields the items of each item in turn, in order, where the items are sequential
    /// iterators (or anything [`IntoIterator`]: `Vec`s, `Option`s, ranges): as
    /// [`flat_map_iter`](Self::flat_map_iter) with the identity. Each inner iterator runs
    /// sequentially, within the piece of its item.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let words = vec![Some("a"), None, Some("b")];
    /// let v: Vec<&str> = words.into_par_iter().flatten_iter().collect();
    /// assert_eq!(v, ["a", "b"]);
    /// ```
    fn flatten_iter(self) -> FlattenIter<Self>
    where
        Self::Item: IntoIterator,
        <Self::Item as IntoIterator>::Item: Send,
    {
        FlattenIter::new(self)
    }

    /// Maps every item to a parallel iterator (anything [`IntoParallelIterator`]: a `Vec`, a
    /// slice's `par_iter()`, a range...) and yields the items of each in turn, in order.
    ///
    /// An inner iterator of 4,096 base items or more is a parallel loop of its own, shared
    /// by every worker, so a few outer items with long inner iterators keep every worker
    /// busy. (Base items: those of the source under its adaptors, before any `filter`; an
    /// inner `flat_map` or `flatten` counts its outer items.) In a longer `flat_map`, of 16
    /// outer items per thread or more, an inner iterator must be longer still:
    /// `4,096 * (outer / (8 * threads))` base items (integer division), at most 65,536:
    /// there the outer loop shares the inner iterators out, and a loop for each cost more
    /// than it brought. A shorter one
    /// runs on the worker that took its outer item: whole, sequentially, in a piece of many
    /// outer items (so one inner iterator of up to 65,535 items among many short ones runs
    /// on one worker: swap the loops, or `collect` the inner work first); in a piece of one
    /// outer item (few outer items, or costly ones), in pieces of 1, 2, 4... items, and when
    /// an idle worker asks for work (the pool's heartbeat, about every 100 µs) after the
    /// inner iterator has run 10 µs, the rest of it becomes a loop of its own that idle
    /// workers share (on a worker only, not from outside every pool; not an inner iterator
    /// with a `with_min_len` above 1, blocks, or a `fold` inside it, nor under a `fold`
    /// right after the `flat_map`: those run whole). A
    /// recursion through a `flat_map` whose inner iterators are loops of their own takes
    /// about 1.6 KiB of a worker's stack per level in a release build (about 1,150 to 1,300
    /// levels on the default stack; rayon about 1,400 to 1,480), and about 2.8 KiB with a
    /// `fold` or `map_init` after the `flat_map` (about 620 and 880 levels; rayon about
    /// 1,000). Early exits (`find_*`, `any`, `all`, `try_for_each`...) run every inner
    /// iterator on the worker of its outer item, to stop inside it. After the `flat_map`,
    /// `map`, `filter`, `filter_map`, `inspect`, `copied`, `cloned`, `flat_map_iter`,
    /// `flatten_iter`, `fold`, `fold_with`, `try_fold`, `try_fold_with`, `map_init` and
    /// `map_with` keep the split (and so do
    /// `for_each_init` and `for_each_with`); any other adaptor between it and the terminal
    /// (a `with_min_len`, a `chain`, a `take_any`...) runs every inner iterator
    /// whole on one worker.
    /// rayon splits every inner iterator.
    ///
    /// [`IntoParallelIterator`]: crate::iter::IntoParallelIterator
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let grid = vec![vec![1, 2, 3], vec![4, 5], vec![6]];
    /// let doubled: Vec<i32> = grid.par_iter().flat_map(|row| row.par_iter().map(|x| x * 2)).collect();
    /// assert_eq!(doubled, [2, 4, 6, 8, 10, 12]);
    /// ```
    fn flat_map<F, U>(self, f: F) -> FlatMap<Self, F>
    where
        F: Fn(Self::Item) -> U + Sync + Send,
        U: crate::iter::IntoParallelIterator,
    {
        FlatMap::new(self, f)
    }

    /// Yields the items of every item, each of which is a parallel iterator (anything
    /// [`IntoParallelIterator`]), in turn: `flat_map` with the identity, whose inner
    /// iterators it splits in the same cases.
    ///
    /// [`IntoParallelIterator`]: crate::iter::IntoParallelIterator
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let blocks = vec![vec!["a", "b"], vec![], vec!["c"]];
    /// assert_eq!(blocks.into_par_iter().flatten().collect::<Vec<_>>(), ["a", "b", "c"]);
    /// ```
    fn flatten(self) -> Flatten<Self>
    where
        Self::Item: crate::iter::IntoParallelIterator,
    {
        Flatten::new(self)
    }

    /// The items of `self`, then those of `other`. Indexed if both are (then it has
    /// `self.len() + other.len()` items, and `enumerate`, `zip`, `rev`... work on it). The
    /// order is kept for the terminals that keep it, also when either side has a
    /// [`fold`](Self::fold) in it: a `fold` accumulator of `self` comes before `other`'s
    /// items.
    ///
    /// # Panics
    ///
    /// If the two together have more than `usize::MAX` items (only ranges can be that
    /// long: `(0..=u64::MAX)` alone already panics on a 64-bit target), or if `self` holds
    /// a [`par_bridge`](crate::iter::ParallelBridge::par_bridge): a bridged iterator can
    /// only come last (`other.chain(bridged)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let a = [1, 2, 3];
    /// let v: Vec<i32> = a.par_iter().copied().chain(10..12).collect();
    /// assert_eq!(v, [1, 2, 3, 10, 11]);
    ///
    /// // Not indexed (a filter on one side): still in order.
    /// let odd_then_all: Vec<u8> =
    ///     (0..6u8).into_par_iter().filter(|x| x % 2 == 1).chain(vec![0u8, 0]).collect();
    /// assert_eq!(odd_then_all, [1, 3, 5, 0, 0]);
    /// ```
    fn chain<C>(self, other: C) -> Chain<Self, C::Iter>
    where
        C: IntoParallelIterator<Item = Self::Item>,
    {
        Chain::new(self, other.into_par_iter())
    }

    /// Folds the items into accumulators that start from `identity()`: one accumulator per
    /// run of consecutive items that a worker runs (a worker starts a new one when it takes
    /// work from another, so there are about as many as there were steals, plus one). The
    /// result is a parallel iterator over those accumulators, in order; combine them with
    /// [`reduce`](Self::reduce), [`sum`](Self::sum) or [`collect`](Self::collect).
    ///
    /// [`with_max_len`](Self::with_max_len) caps the items one accumulator covers.
    /// Before an early exit (`find_*`, `any`, `try_for_each`...) there are more: one per
    /// piece, and one every 512 to 65,536 items inside a piece, so that the search sees one
    /// soon however long the piece (a pool of one thread runs a loop as one piece; after a
    /// `flat_map` a piece can run on without end). With
    /// [`with_min_len`](Self::with_min_len) above 1, each still covers at least that many
    /// items, and only an indexed base hands them on inside a piece. How many there are is
    /// unspecified, as in rayon: do not count on it.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    /// use std::collections::HashMap;
    ///
    /// let text = "the cat and the hat and the bat";
    /// let counts = text
    ///     .par_split_whitespace()
    ///     .fold(HashMap::new, |mut m, w| {
    ///         *m.entry(w).or_insert(0) += 1;
    ///         m
    ///     })
    ///     .reduce(HashMap::new, |mut a, b| {
    ///         for (w, n) in b {
    ///             *a.entry(w).or_insert(0) += n;
    ///         }
    ///         a
    ///     });
    /// assert_eq!(counts["the"], 3);
    /// assert_eq!(counts["and"], 2);
    /// ```
    fn fold<T, ID, F>(self, identity: ID, fold_op: F) -> Fold<Self, ID, F, T>
    where
        F: Fn(T, Self::Item) -> T + Sync + Send,
        ID: Fn() -> T + Sync + Send,
        T: Send,
    {
        Fold::new(self, identity, fold_op)
    }

    /// [`fold`](Self::fold) from a clone of `init` per run of consecutive items, instead of
    /// `identity()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let runs: Vec<Vec<u32>> = (0..100u32)
    ///     .into_par_iter()
    ///     .fold_with(Vec::new(), |mut run, x| {
    ///         run.push(x);
    ///         run
    ///     })
    ///     .collect();
    /// assert_eq!(runs.concat(), (0..100).collect::<Vec<_>>());
    /// ```
    fn fold_with<F, T>(
        self,
        init: T,
        fold_op: F,
    ) -> Fold<Self, impl Fn() -> T + Sync + Send + Clone, F, T>
    where
        F: Fn(T, Self::Item) -> T + Sync + Send,
        T: Send + Clone,
    {
        // Clones are made on whichever worker starts a run: the lock lets a `T` that is
        // only `Send` be cloned there (one lock per run, not per item). Shared, so that the
        // iterator is `Clone` whenever `self` and `fold_op` are, as rayon's `FoldWith`.
        let init = Arc::new(Mutex::new(init));
        self.fold(move || init.lock().clone(), fold_op)
    }

    /// [`fold`](Self::fold) with a `fold_op` that can fail (`Result`, `Option` or
    /// `ControlFlow`; see [`Try`](crate::iter::Try)): yields one result per run of
    /// consecutive items, the run's fold or the first error it met. Once a run's fold
    /// fails, `fold_op` is not called again for the rest of that run; other runs go on (stop
    /// them all with a terminal that stops at an error, such as
    /// [`try_reduce`](Self::try_reduce) or `collect` into a `Result`).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let total: Result<u32, String> = (1..=100u32)
    ///     .into_par_iter()
    ///     .try_fold(|| 0u32, |acc, x| acc.checked_add(x).ok_or("overflow".to_string()))
    ///     .try_reduce(|| 0, |a, b| a.checked_add(b).ok_or("overflow".to_string()));
    /// assert_eq!(total, Ok(5050));
    ///
    /// let overflow: Result<u8, ()> = (1..=100u8)
    ///     .into_par_iter()
    ///     .try_fold(|| 0u8, |acc, x| acc.checked_add(x).ok_or(()))
    ///     .try_reduce(|| 0, |a, b| a.checked_add(b).ok_or(()));
    /// assert_eq!(overflow, Err(()));
    /// ```
    #[allow(clippy::type_complexity)]
    fn try_fold<T, R, ID, F>(
        self,
        identity: ID,
        fold_op: F,
    ) -> Fold<
        Self,
        impl Fn() -> R + Sync + Send + Clone,
        impl Fn(R, Self::Item) -> R + Sync + Send + Clone,
        R,
    >
    where
        F: Fn(T, Self::Item) -> R + Sync + Send,
        ID: Fn() -> T + Sync + Send,
        R: Try<Output = T> + Send,
    {
        // Shared, so that the iterator is `Clone` whenever `self` is, as rayon's `TryFold`.
        let (identity, fold_op) = (Arc::new(identity), Arc::new(fold_op));
        self.fold(
            move || R::from_output(identity()),
            move |acc: R, item| match acc.branch() {
                std::ops::ControlFlow::Continue(acc) => fold_op(acc, item),
                std::ops::ControlFlow::Break(residual) => R::from_residual(residual),
            },
        )
    }

    /// [`try_fold`](Self::try_fold) from a clone of `init` per run of consecutive items.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let sums: Option<Vec<u32>> = (0..10u32)
    ///     .into_par_iter()
    ///     .try_fold_with(0u32, |acc, x| acc.checked_add(x))
    ///     .collect();
    /// assert_eq!(sums.map(|v| v.iter().sum::<u32>()), Some(45));
    /// ```
    #[allow(clippy::type_complexity)]
    fn try_fold_with<F, T, R>(
        self,
        init: T,
        fold_op: F,
    ) -> Fold<
        Self,
        impl Fn() -> R + Sync + Send + Clone,
        impl Fn(R, Self::Item) -> R + Sync + Send + Clone,
        R,
    >
    where
        F: Fn(T, Self::Item) -> R + Sync + Send,
        T: Send + Clone,
        R: Try<Output = T> + Send,
    {
        let init = Arc::new(Mutex::new(init));
        self.try_fold(move || init.lock().clone(), fold_op)
    }

    /// Maps every item with `f`, which also gets a `&mut` to a value made by `init()`:
    /// one value per run of consecutive items that a worker runs (as for [`fold`](Self::fold)),
    /// for per-worker scratch space, a random number generator, a buffer. The value must be
    /// `Send` (brigade may finish a run's results on another worker).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// // A buffer per run instead of one per item.
    /// let lens: Vec<usize> = (0..100u32)
    ///     .into_par_iter()
    ///     .map_init(String::new, |buf, i| {
    ///         buf.clear();
    ///         buf.push_str(&i.to_string());
    ///         buf.len()
    ///     })
    ///     .collect();
    /// assert_eq!(lens[99], 2);
    /// ```
    fn map_init<INIT, T, F, R>(self, init: INIT, f: F) -> MapInit<Self, INIT, F, T>
    where
        INIT: Fn() -> T + Sync + Send,
        T: Send,
        F: Fn(&mut T, Self::Item) -> R + Sync + Send,
        R: Send,
    {
        MapInit::new(self, init, f)
    }

    /// [`map_init`](Self::map_init) with a clone of `init` per run of consecutive items:
    /// `f` gets a `&mut` to the run's clone and the item.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    /// use std::sync::mpsc::channel;
    ///
    /// let (tx, rx) = channel();
    /// let doubled: Vec<u32> = (0..5u32)
    ///     .into_par_iter()
    ///     .map_with(tx, |tx, x| {
    ///         tx.send(x).unwrap();
    ///         2 * x
    ///     })
    ///     .collect();
    /// assert_eq!(doubled, [0, 2, 4, 6, 8]);
    /// let mut sent: Vec<u32> = rx.iter().collect();
    /// sent.sort();
    /// assert_eq!(sent, [0, 1, 2, 3, 4]);
    /// ```
    fn map_with<F, T, R>(
        self,
        init: T,
        f: F,
    ) -> MapInit<Self, impl Fn() -> T + Sync + Send + Clone, F, T>
    where
        F: Fn(&mut T, Self::Item) -> R + Sync + Send,
        T: Send + Clone,
        R: Send,
    {
        // Shared, so that the iterator is `Clone` whenever `self` and `f` are, as rayon's
        // `MapWith`.
        let init = Arc::new(Mutex::new(init));
        self.map_init(move || init.lock().clone(), f)
    }

    /// Cuts the loop into pieces of at least `min` base indices (items of an indexed
    /// iterator) under every schedule, as rayon never splits below `min`: each piece, `fold`
    /// accumulator and `map_init` value then covers at least `min` items, unless the whole
    /// iterator has fewer (the last piece takes the `len % min` left over, so with
    /// [`with_max_len`](Self::with_max_len) runs stay under `2 * min`). For bodies too
    /// cheap to be worth a split. Combined
    /// with [`with_schedule`](Self::with_schedule), it raises the schedule's `chunk`,
    /// `min_chunk` or `min_len` to `min`; several calls keep the largest.
    ///
    /// After [`par_bridge`](crate::iter::ParallelBridge::par_bridge), whose base indices are
    /// a quota of items rather than items, every piece that runs when the sequential
    /// iterator runs dry can come up short, not only the last one.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let runs = (0..1000u32).into_par_iter().with_min_len(300).fold(|| 0, |n, _| n + 1);
    /// let sizes: Vec<usize> = runs.collect();
    /// assert!(sizes.iter().all(|&n| n >= 300));
    /// assert_eq!(sizes.iter().sum::<usize>(), 1000);
    /// ```
    fn with_min_len(self, min: usize) -> MinLen<Self> {
        MinLen::new(self, min)
    }

    /// Makes each `fold` accumulator and `map_init` value cover at most `max` base indices
    /// (near-equal parts of the pieces the schedule hands out), but never fewer than
    /// `with_min_len` asks for; several calls keep the smallest. The schedule itself already
    /// splits work down to single items where they are slow, so this is rarely needed for
    /// balance; it bounds what one accumulator holds.
    ///
    /// With both `with_min_len(min)` and `with_max_len(max)`, `min <= max`: every run
    /// covers `min` to `max` items, except where the loop's last piece (which also takes
    /// the `len % min` items left over) cannot be cut so that both hold: the minimum wins
    /// there, as in rayon (runs of less than `2 * min`). If `max < min`, the minimum wins.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let sizes: Vec<usize> = (0..1000u32).into_par_iter().with_max_len(64)
    ///     .fold(|| 0, |n, _| n + 1).collect();
    /// assert!(sizes.iter().all(|&n| n <= 64));
    /// assert_eq!(sizes.iter().sum::<usize>(), 1000);
    /// ```
    fn with_max_len(self, max: usize) -> MaxLen<Self> {
        MaxLen::new(self, max)
    }

    /// Runs the loop under `schedule` (OpenMP-style: `Static`, `StaticChunks`, `Dynamic`,
    /// `Guided`, or `Adaptive`, the default) instead of the default; see [`Schedule`]. The
    /// outermost call wins.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    /// use brigade::Schedule;
    ///
    /// // Costs that grow along the range: deal chunks round-robin.
    /// let total: u64 = (0..10_000u64)
    ///     .into_par_iter()
    ///     .with_schedule(Schedule::StaticChunks { chunk: 64 })
    ///     .map(|i| (0..i % 100).sum::<u64>())
    ///     .sum();
    /// assert_eq!(total, 100 * (0..100u64).map(|i| (0..i).sum::<u64>()).sum::<u64>());
    /// ```
    fn with_schedule(self, schedule: Schedule) -> WithSchedule<Self> {
        WithSchedule::new(self, schedule)
    }

    /// Any `n` of the items (all of them if there are fewer): the first `n` to reach this
    /// adaptor, whichever pieces they come from, so which items is not specified (rayon's
    /// `take_any`; [`take`](crate::iter::IndexedParallelIterator::take) keeps the first `n`). Once `n` have
    /// passed, the loop stops handing out pieces.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let some: Vec<u32> = (0..1_000_000u32).into_par_iter().filter(|x| x % 7 == 0).take_any(5).collect();
    /// assert_eq!(some.len(), 5);
    /// assert!(some.iter().all(|x| x % 7 == 0));
    /// ```
    fn take_any(self, n: usize) -> TakeAny<Self> {
        Gate::new(self, gate::take_n(n))
    }

    /// All but any `n` of the items: the first `n` to reach this adaptor are dropped, so
    /// which ones is not specified (rayon's `skip_any`).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert_eq!((0..100u32).into_par_iter().skip_any(30).count(), 70);
    /// ```
    fn skip_any(self, n: usize) -> SkipAny<Self> {
        Gate::new(self, gate::skip_n(n))
    }

    /// Items while `predicate` holds: once an item fails it, that item and every item
    /// reaching this adaptor after it are dropped, and the loop stops handing out pieces.
    /// Items that passed before, from anywhere in the loop, stay (rayon's
    /// `take_any_while`).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let below: Vec<u32> = (0..1000u32).into_par_iter().take_any_while(|&x| x < 500).collect();
    /// assert!(below.iter().all(|&x| x < 500));
    /// ```
    fn take_any_while<P>(self, predicate: P) -> TakeAnyWhile<Self, P>
    where
        P: Fn(&Self::Item) -> bool + Sync + Send,
    {
        Gate::new(self, gate::take_while(predicate))
    }

    /// Drops items while `predicate` holds; once an item fails it, that item and every
    /// item reaching this adaptor after it pass (rayon's `skip_any_while`).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let rest: Vec<u32> = (0..1000u32).into_par_iter().skip_any_while(|&x| x < 500).collect();
    /// assert!(rest.contains(&999));
    /// ```
    fn skip_any_while<P>(self, predicate: P) -> SkipAnyWhile<Self, P>
    where
        P: Fn(&Self::Item) -> bool + Sync + Send,
    {
        Gate::new(self, gate::skip_while(predicate))
    }

    /// The values of `Some` items until a `None` arrives: then the loop stops handing out
    /// pieces, and items reaching this adaptor after it are dropped. Values that passed
    /// before, from anywhere in the loop, stay, so with a `None` in the middle which values
    /// come out depends on timing (rayon's `while_some`).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let all: Vec<u32> = (0..100u32).into_par_iter().map(Some).while_some().collect();
    /// assert_eq!(all.len(), 100);
    /// let cut: Vec<u32> = (0..100u32).into_par_iter().map(|x| (x != 50).then_some(x)).while_some().collect();
    /// assert!(!cut.contains(&50));
    /// ```
    fn while_some<T>(self) -> WhileSome<Self>
    where
        Self: ParallelIterator<Item = Option<T>>,
        T: Send,
    {
        Gate::new(self, gate::some_until_none())
    }

    /// A clone of `separator` between every two items, as rayon's. On an indexed iterator
    /// the result is indexed (`2n - 1` items). On one that is not (after `filter`, on
    /// `par_split`, ...), a worker's run of pieces cannot see whether the runs before it
    /// yielded anything, so a run leads with a separator unless it holds the loop's first
    /// index: if every item before some run is filtered out, the result begins with a
    /// separator, as rayon's can.
    ///
    /// # Panics
    ///
    /// On an indexed iterator of more than `usize::MAX / 2 + 1` items.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v: Vec<i32> = (0..4).into_par_iter().intersperse(-1).collect();
    /// assert_eq!(v, [0, -1, 1, -1, 2, -1, 3]);
    /// let s: String = "a,b,c".par_split(',').intersperse(";").collect();
    /// assert_eq!(s, "a;b;c");
    /// ```
    #[track_caller]
    fn intersperse(self, separator: Self::Item) -> Intersperse<Self>
    where
        Self::Item: Clone,
    {
        Intersperse::new(self, separator)
    }

    /// The iterator as it is: brigade's loops already stop as rayon's `panic_fuse` makes
    /// them, once a closure panics (pieces not yet started are skipped, and the terminal
    /// re-raises the panic). Kept so that code written for rayon compiles.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let r = std::panic::catch_unwind(|| {
    ///     (0..1000u32).into_par_iter().panic_fuse().for_each(|x| assert!(x != 500));
    /// });
    /// assert!(r.is_err());
    /// ```
    fn panic_fuse(self) -> Self {
        self
    }

    // ----- terminals -----

    /// Calls `op` on every item.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = vec![1u32; 1000];
    /// v.par_iter_mut().for_each(|x| *x *= 3);
    /// assert!(v.iter().all(|&x| x == 3));
    /// ```
    fn for_each<OP>(self, op: OP)
    where
        OP: Fn(Self::Item) + Sync + Send,
    {
        drive(&self, &ForEach(op));
    }

    /// Calls `op` on every item with a `&mut` to a clone of `init`: one clone per run of
    /// consecutive items a worker runs (as for [`fold`](Self::fold)).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    /// use std::sync::mpsc::channel;
    ///
    /// let (tx, rx) = channel();
    /// (0..5u8).into_par_iter().for_each_with(tx, |tx, x| tx.send(x).unwrap());
    /// let mut got: Vec<u8> = rx.iter().collect();
    /// got.sort();
    /// assert_eq!(got, [0, 1, 2, 3, 4]);
    /// ```
    fn for_each_with<T, OP>(self, init: T, op: OP)
    where
        T: Send + Clone,
        OP: Fn(&mut T, Self::Item) + Sync + Send,
    {
        // Clones are made on whichever worker starts a run: the lock lets a `T` that is
        // only `Send` be cloned there (one lock per run, not per item).
        let init = Mutex::new(init);
        self.for_each_init(|| init.lock().clone(), op);
    }

    /// Calls `op` on every item with a `&mut` to a value made by `init()`: one value per run
    /// of consecutive items a worker runs (as for [`map_init`](Self::map_init)).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    /// use std::sync::Mutex;
    ///
    /// let out = Mutex::new(Vec::new());
    /// (0..1000u32).into_par_iter().for_each_init(Vec::new, |buf, x| {
    ///     buf.push(x);
    ///     if buf.len() == 100 {
    ///         out.lock().unwrap().append(buf);
    ///     }
    /// });
    /// assert!(out.into_inner().unwrap().len() <= 1000);
    /// ```
    fn for_each_init<INIT, T, OP>(self, init: INIT, op: OP)
    where
        INIT: Fn() -> T + Sync + Send,
        T: Send,
        OP: Fn(&mut T, Self::Item) + Sync + Send,
    {
        self.map_init(init, op).for_each(|()| {});
    }

    /// Calls `op` on every item until one returns an error (`Err`, `None` or
    /// `ControlFlow::Break`; see [`Try`](crate::iter::Try)): then the loop stops as soon as
    /// it can, and that error is returned. If several items fail, which error is returned is
    /// not specified.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let r = (0..1000u32).into_par_iter().try_for_each(|x| if x == 500 { Err(x) } else { Ok(()) });
    /// assert_eq!(r, Err(500));
    /// assert_eq!((0..10u32).into_par_iter().try_for_each(|_| Some(())), Some(()));
    /// ```
    fn try_for_each<OP, R>(self, op: OP) -> R
    where
        OP: Fn(Self::Item) -> R + Sync + Send,
        R: Try<Output = ()> + Send,
    {
        let consumer = TryForEach::new(op);
        match drive(&self, &consumer) {
            Some(residual) => R::from_residual(residual),
            None => R::from_output(()),
        }
    }

    /// [`try_for_each`](Self::try_for_each) with a `&mut` to a clone of `init`, one clone
    /// per run of consecutive items (as [`for_each_with`](Self::for_each_with)).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    /// use std::sync::mpsc::channel;
    ///
    /// let (tx, rx) = channel();
    /// let r = (0..10u32).into_par_iter().try_for_each_with(tx, |tx, x| tx.send(x));
    /// assert!(r.is_ok());
    /// assert_eq!(rx.iter().count(), 10);
    /// ```
    fn try_for_each_with<OP, T, R>(self, init: T, op: OP) -> R
    where
        OP: Fn(&mut T, Self::Item) -> R + Sync + Send,
        T: Send + Clone,
        R: Try<Output = ()> + Send,
    {
        self.map_with(init, op).try_for_each(|r| r)
    }

    /// [`try_for_each`](Self::try_for_each) with a `&mut` to a value made by `init()`, one
    /// per run of consecutive items (as [`for_each_init`](Self::for_each_init)).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let r = (0..1000u32).into_par_iter().try_for_each_init(String::new, |buf, x| {
    ///     buf.clear();
    ///     buf.push_str(&x.to_string());
    ///     if buf.len() > 2 { Err(x) } else { Ok(()) }
    /// });
    /// assert!(matches!(r, Err(x) if x >= 100));
    /// ```
    fn try_for_each_init<OP, INIT, T, R>(self, init: INIT, op: OP) -> R
    where
        OP: Fn(&mut T, Self::Item) -> R + Sync + Send,
        INIT: Fn() -> T + Sync + Send,
        T: Send,
        R: Try<Output = ()> + Send,
    {
        self.map_init(init, op).try_for_each(|r| r)
    }

    /// Combines the items with `op`, in order, starting from `identity()` (called once per
    /// run of consecutive items, so it must be neutral: `op(identity(), x) == x`). For an
    /// associative `op` the result is that of the sequential fold; `op` need not be
    /// commutative.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let s = (0..5u8).into_par_iter().map(|i| i.to_string()).reduce(String::new, |a, b| a + &b);
    /// assert_eq!(s, "01234");
    /// ```
    fn reduce<ID, OP>(self, identity: ID, op: OP) -> Self::Item
    where
        ID: Fn() -> Self::Item + Sync + Send,
        OP: Fn(Self::Item, Self::Item) -> Self::Item + Sync + Send,
    {
        drive(&self, &Reduce { identity, op })
    }

    /// Combines the items with `op`, in order; `None` if there are none.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert_eq!((1..=5u64).into_par_iter().reduce_with(|a, b| a * b), Some(120));
    /// assert_eq!((0..0u64).into_par_iter().reduce_with(|a, b| a + b), None);
    /// ```
    fn reduce_with<OP>(self, op: OP) -> Option<Self::Item>
    where
        OP: Fn(Self::Item, Self::Item) -> Self::Item + Sync + Send,
    {
        drive(&self, &ReduceWith(op))
    }

    /// Combines items that are `Result<T, E>` or `Option<T>` (see
    /// [`Try`](crate::iter::Try)) with `op`, starting from `identity()`, and stops at the
    /// first error (an `Err`/`None` item, or one that `op` returns), which it returns. If
    /// several fail, which error is returned is not specified.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let sum = (1..=100u32).into_par_iter().map(Some).try_reduce(|| 0, |a, b| a.checked_add(b));
    /// assert_eq!(sum, Some(5050));
    /// let overflow = (1..=100u8).into_par_iter().map(Some).try_reduce(|| 0, |a, b| a.checked_add(b));
    /// assert_eq!(overflow, None);
    /// ```
    fn try_reduce<T, ID, OP>(self, identity: ID, op: OP) -> Self::Item
    where
        Self::Item: Try<Output = T>,
        T: Send,
        ID: Fn() -> T + Sync + Send,
        OP: Fn(T, T) -> Self::Item + Sync + Send,
    {
        let consumer = TryReduce::new(identity, op);
        match drive(&self, &consumer) {
            Ok(value) => Self::Item::from_output(value),
            Err(residual) => Self::Item::from_residual(residual),
        }
    }

    /// Combines items that are `Result<T, E>` or `Option<T>` (see
    /// [`Try`](crate::iter::Try)) with `op`, in order, and stops at the first error (an
    /// `Err`/`None` item, or one that `op` returns), which it returns in `Some`; `None` if
    /// there are no items. If several fail, which error is returned is not specified.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let max = (1..=100u32).into_par_iter().map(Ok::<u32, String>).try_reduce_with(|a, b| Ok(a.max(b)));
    /// assert_eq!(max, Some(Ok(100)));
    /// let sum = (1..=100u8).into_par_iter().map(Some).try_reduce_with(|a, b| a.checked_add(b));
    /// assert_eq!(sum, Some(None)); // overflowed
    /// assert_eq!((0..0u8).into_par_iter().map(Some).try_reduce_with(|a, b| a.checked_add(b)), None);
    /// ```
    fn try_reduce_with<T, OP>(self, op: OP) -> Option<Self::Item>
    where
        Self::Item: Try<Output = T>,
        T: Send,
        OP: Fn(T, T) -> Self::Item + Sync + Send,
    {
        match drive(&self, &TryReduceWith::new(op)) {
            Ok(value) => value.map(Self::Item::from_output),
            Err(residual) => Some(Self::Item::from_residual(residual)),
        }
    }

    /// The sum of the items, added in order (so a floating-point sum is rounded as the
    /// grouping of the pieces makes it, as for [`map_reduce`](crate::map_reduce)).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v: Vec<u64> = (1..=100).collect();
    /// assert_eq!(v.par_iter().sum::<u64>(), 5050);
    /// ```
    fn sum<S>(self) -> S
    where
        S: Send + Sum<Self::Item> + Sum<S>,
    {
        drive(&self, &SumOf::new())
    }

    /// The product of the items, multiplied in order.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert_eq!((1..=10u64).into_par_iter().product::<u64>(), 3_628_800);
    /// ```
    fn product<P>(self) -> P
    where
        P: Send + Product<Self::Item> + Product<P>,
    {
        drive(&self, &ProductOf::new())
    }

    /// The number of items.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert_eq!((0..1000u32).into_par_iter().filter(|x| x % 3 == 0).count(), 334);
    /// ```
    fn count(self) -> usize {
        drive(&self, &Count)
    }

    /// The smallest item (the first one, if several are equally small); `None` if there
    /// are none.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert_eq!([3, 1, 4, 1, 5].par_iter().min(), Some(&1));
    /// ```
    fn min(self) -> Option<Self::Item>
    where
        Self::Item: Ord,
    {
        // The first of equal items, as `std::cmp::min`.
        drive(
            &self,
            &Best::of(|best: &Self::Item, item: &Self::Item| item < best),
        )
    }

    /// The smallest item by `compare` (the first one, if several are equally small).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v = [2.5f64, -1.0, 7.0];
    /// assert_eq!(v.par_iter().min_by(|a, b| a.total_cmp(b)), Some(&-1.0));
    /// ```
    fn min_by<F>(self, compare: F) -> Option<Self::Item>
    where
        F: Fn(&Self::Item, &Self::Item) -> Ordering + Sync + Send,
    {
        let beats = |best: &Self::Item, item: &Self::Item| compare(best, item) == Ordering::Greater;
        drive(&self, &Best::of(beats))
    }

    /// The item with the smallest `key` (the first one, if several are equally small).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let a = [-3_i32, 34, 2, 5, -10, -3, -23];
    /// assert_eq!(a.par_iter().min_by_key(|x| x.abs()), Some(&2));
    /// ```
    fn min_by_key<K, F>(self, key: F) -> Option<Self::Item>
    where
        K: Ord + Send,
        F: Fn(&Self::Item) -> K + Sync + Send,
    {
        let keyed = self.map(|x| (key(&x), x));
        let beats = |best: &(K, Self::Item), item: &(K, Self::Item)| item.0 < best.0;
        drive(&keyed, &Best::by_key(beats)).map(|(_, x)| x)
    }

    /// The largest item (the last one, if several are equally large); `None` if there are
    /// none.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert_eq!((0..100u8).into_par_iter().max(), Some(99));
    /// ```
    fn max(self) -> Option<Self::Item>
    where
        Self::Item: Ord,
    {
        // The last of equal items, as `std::cmp::max`. Not through `Ord::max`: over a
        // slice's references, that compiled to a chain of `cmov`s (140 µs for 200,000
        // `u64`s on one thread, against 47 for std's sequential `max`); `Best` picks the loop.
        drive(
            &self,
            &Best::of(|best: &Self::Item, item: &Self::Item| best <= item),
        )
    }

    /// The largest item by `compare` (the last one, if several are equally large).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v = [2.5f64, -1.0, 7.0];
    /// assert_eq!(v.par_iter().max_by(|a, b| a.total_cmp(b)), Some(&7.0));
    /// ```
    fn max_by<F>(self, compare: F) -> Option<Self::Item>
    where
        F: Fn(&Self::Item, &Self::Item) -> Ordering + Sync + Send,
    {
        let beats = |best: &Self::Item, item: &Self::Item| compare(best, item) != Ordering::Greater;
        drive(&self, &Best::of(beats))
    }

    /// The item with the largest `key` (the last one, if several are equally large).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let a = [-3_i32, 34, 2, 5, -10, -3, -23];
    /// assert_eq!(a.par_iter().max_by_key(|x| x.abs()), Some(&34));
    /// ```
    fn max_by_key<K, F>(self, key: F) -> Option<Self::Item>
    where
        K: Ord + Send,
        F: Fn(&Self::Item) -> K + Sync + Send,
    {
        let keyed = self.map(|x| (key(&x), x));
        let beats = |best: &(K, Self::Item), item: &(K, Self::Item)| best.0 <= item.0;
        drive(&keyed, &Best::by_key(beats)).map(|(_, x)| x)
    }

    /// Collects the items into a collection, in order (see [`FromParallelIterator`]). A
    /// `Vec` from an indexed iterator is allocated once and each piece writes its items in
    /// place; from a filtered one, each run of pieces collects its own `Vec` and they are
    /// joined once at the end.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let squares: Vec<u64> = (0..1000u64).into_par_iter().map(|x| x * x).collect();
    /// assert_eq!(squares[999], 998_001);
    /// let s: String = ['h', 'i'].par_iter().copied().collect();
    /// assert_eq!(s, "hi");
    /// ```
    fn collect<C>(self) -> C
    where
        C: FromParallelIterator<Self::Item>,
    {
        C::from_par_iter(self)
    }

    /// Collects the items, in order, into a list of non-empty `Vec`s, each filled by one run
    /// of pieces (one `Vec` for an indexed iterator, written in place; none if there are no
    /// items), without the concatenation a `collect` into one `Vec` makes of an iterator
    /// that is not indexed. For results that are only walked once; to keep them, a `Vec`
    /// is as always the better choice.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let list = (0..1000u32).into_par_iter().filter(|x| x % 3 == 0).collect_vec_list();
    /// let total: usize = list.iter().map(Vec::len).sum();
    /// assert_eq!(total, 334);
    /// assert!(list.into_iter().flatten().eq((0..1000).step_by(3)));
    /// assert!((0..0u32).into_par_iter().collect_vec_list().is_empty());
    /// ```
    fn collect_vec_list(self) -> std::collections::LinkedList<Vec<Self::Item>> {
        collect::vec_parts(self)
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect()
    }

    /// Splits items that are pairs into two collections, each in order: any two
    /// [`ParallelExtend`] collections, such as `Vec`s, sets or `String`s (name them, as
    /// with `collect`). The pairs are first split into two `Vec`s (written in place if the
    /// iterator is indexed), which then extend each side; a `Vec` side takes its `Vec` as
    /// it is, so into `Vec`s every item is moved once.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    /// use std::collections::BTreeSet;
    ///
    /// let (a, b): (Vec<u32>, Vec<u32>) = (0..4u32).into_par_iter().map(|i| (i, i * i)).unzip();
    /// assert_eq!((a, b), (vec![0, 1, 2, 3], vec![0, 1, 4, 9]));
    /// let (even, mods): (Vec<u32>, BTreeSet<u32>) =
    ///     (0..10u32).into_par_iter().map(|i| (i * 2, i % 3)).unzip();
    /// assert_eq!(even[9], 18);
    /// assert_eq!(mods, BTreeSet::from([0, 1, 2]));
    /// ```
    fn unzip<A, B, FromA, FromB>(self) -> (FromA, FromB)
    where
        Self: ParallelIterator<Item = (A, B)>,
        A: Send,
        B: Send,
        FromA: Default + Send + ParallelExtend<A>,
        FromB: Default + Send + ParallelExtend<B>,
    {
        let mut pair = (FromA::default(), FromB::default());
        pair.par_extend(self);
        pair
    }

    /// Splits the items into two collections: those for which `predicate` is true, and the
    /// others, each in order. Any two [`ParallelExtend`] collections, such as `Vec`s, sets or
    /// `String`s: the items are first sorted into a `Vec` per side, which then extends each
    /// side (see [`ParallelExtend`] for pairs); so every item is moved twice.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    /// use std::collections::HashSet;
    ///
    /// let (even, odd): (Vec<u32>, Vec<u32>) = (0..10u32).into_par_iter().partition(|x| x % 2 == 0);
    /// assert_eq!((even, odd), (vec![0, 2, 4, 6, 8], vec![1, 3, 5, 7, 9]));
    /// let (small, big): (HashSet<u32>, Vec<u32>) = [5, 50, 5, 70].par_iter().partition(|&&x| x < 10);
    /// assert_eq!((small.len(), big), (1, vec![50, 70]));
    /// ```
    fn partition<A, B, P>(self, predicate: P) -> (A, B)
    where
        A: Default + Send + ParallelExtend<Self::Item>,
        B: Default + Send + ParallelExtend<Self::Item>,
        P: Fn(&Self::Item) -> bool + Sync + Send,
    {
        self.partition_map(|x| match predicate(&x) {
            true => Either::Left(x),
            false => Either::Right(x),
        })
    }

    /// Maps every item with `f` to an [`Either`](crate::iter::Either) and splits the
    /// results into two collections: the `Left` values and the `Right` values, each in
    /// order. As for [`partition`](Self::partition), each value is moved twice after `f`.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::iter::Either;
    /// use brigade::prelude::*;
    ///
    /// let words = ["1", "two", "3", "four"];
    /// let (nums, bad): (Vec<u32>, Vec<&str>) = words.par_iter().partition_map(|w| match w.parse::<u32>() {
    ///     Ok(n) => Either::Left(n),
    ///     Err(_) => Either::Right(*w),
    /// });
    /// assert_eq!((nums, bad), (vec![1, 3], vec!["two", "four"]));
    /// ```
    fn partition_map<A, B, P, L, R>(self, f: P) -> (A, B)
    where
        A: Default + Send + ParallelExtend<L>,
        B: Default + Send + ParallelExtend<R>,
        P: Fn(Self::Item) -> Either<L, R> + Sync + Send,
        L: Send,
        R: Send,
    {
        let mut sides = (A::default(), B::default());
        sides.par_extend(self.map(f));
        sides
    }

    /// True if `predicate` is true for some item; stops as soon as one is found.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert!((0..1_000_000u32).into_par_iter().any(|x| x == 10_000));
    /// assert!(!(0..100u32).into_par_iter().any(|x| x > 100));
    /// ```
    fn any<P>(self, predicate: P) -> bool
    where
        P: Fn(Self::Item) -> bool + Sync + Send,
    {
        drive(&self, &Any::new(predicate))
    }

    /// True if `predicate` is true for every item; stops as soon as one is false.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert!([2, 4, 6].par_iter().all(|x| x % 2 == 0));
    /// ```
    fn all<P>(self, predicate: P) -> bool
    where
        P: Fn(Self::Item) -> bool + Sync + Send,
    {
        !drive(&self, &Any::new(|x| !predicate(x)))
    }

    /// Some item for which `predicate` is true, not necessarily the first; stops as soon
    /// as one is found.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let found = (0..1000u32).into_par_iter().find_any(|&x| x % 100 == 99);
    /// assert_eq!(found.map(|x| x % 100), Some(99));
    /// ```
    fn find_any<P>(self, predicate: P) -> Option<Self::Item>
    where
        P: Fn(&Self::Item) -> bool + Sync + Send,
    {
        drive(&self, &FindAny::new(predicate))
    }

    /// The first item for which `predicate` is true. Pieces that start after an item
    /// already found are skipped, and running pieces stop when they pass one.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let found = (0..1000u32).into_par_iter().find_first(|&x| x % 100 == 99);
    /// assert_eq!(found, Some(99));
    /// ```
    fn find_first<P>(self, predicate: P) -> Option<Self::Item>
    where
        P: Fn(&Self::Item) -> bool + Sync + Send,
    {
        drive(&self, &FindFirst::new(predicate))
    }

    /// The last item for which `predicate` is true, as std's `iter().rev().find()` finds
    /// it, also for iterators that are not indexed (after a `filter`). The loop runs in
    /// blocks from the end, each block as long as all those after it (the first, the last
    /// items, at least 16,384 or 1/64 of them), and stops at the first block that holds a
    /// match; within a block, pieces that end before an item already found are skipped,
    /// and running pieces stop when they are passed. A piece runs forwards, so one that
    /// finds a match still runs to its end (to find its last match). Over a `flat_map` or
    /// `flatten` (directly, or under `map`s), each inner iterator is searched from its end
    /// too, and the outer blocks start at one item: the last items of the last inner
    /// iterator are reached at once, however long the inner iterators are.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let found = (0..1000u32).into_par_iter().find_last(|&x| x % 100 == 1);
    /// assert_eq!(found, Some(901));
    /// let odd = (0..1000u32).into_par_iter().filter(|x| x % 2 == 1).find_last(|&x| x < 500);
    /// assert_eq!(odd, Some(499));
    /// ```
    fn find_last<P>(self, predicate: P) -> Option<Self::Item>
    where
        P: Fn(&Self::Item) -> bool + Sync + Send,
    {
        self.search_last(
            move |item| predicate(&item).then_some(item),
            FirstBlock::Wide,
        )
    }

    /// The last `Some` result of `f` over the items: what [`find_last`](Self::find_last)
    /// and [`find_map_last`](Self::find_map_last) run. An adaptor that can do better than
    /// running its pieces forwards passes the search on: a `map` to its base with `f`
    /// after its own closure, a `flat_map` to its base with a search of each inner
    /// iterator from its end (`flat_map.rs`), so that a search over a `flat_map` of huge
    /// inner iterators reaches the last one's last items at once (rayon's
    /// `find_last_octillion_flat` never returned).
    #[doc(hidden)]
    fn search_last<R, F>(self, f: F, first: FirstBlock) -> Option<R>
    where
        F: Fn(Self::Item) -> Option<R> + Sync + Send,
        R: Send,
    {
        drive_back(
            &Map::new(self, f),
            &FindLast::new(Option::is_some),
            first,
            Option::is_some,
        )
        .flatten()
    }

    /// Some `Some` result of `f` over the items, not necessarily the first; stops as soon
    /// as one is found.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let words = ["a", "12", "b", "34"];
    /// let n: Option<u32> = words.par_iter().find_map_any(|w| w.parse().ok());
    /// assert!(n == Some(12) || n == Some(34));
    /// ```
    fn find_map_any<P, R>(self, f: P) -> Option<R>
    where
        P: Fn(Self::Item) -> Option<R> + Sync + Send,
        R: Send,
    {
        self.map(f).find_any(Option::is_some).flatten()
    }

    /// The first `Some` result of `f` over the items, in order (std's `find_map`); stops
    /// early as [`find_first`](Self::find_first) does.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let words = ["a", "12", "b", "34"];
    /// assert_eq!(words.par_iter().find_map_first(|w| w.parse::<u32>().ok()), Some(12));
    /// ```
    fn find_map_first<P, R>(self, f: P) -> Option<R>
    where
        P: Fn(Self::Item) -> Option<R> + Sync + Send,
        R: Send,
    {
        self.map(f).find_first(Option::is_some).flatten()
    }

    /// The last `Some` result of `f` over the items (std's `rev().find_map()`); searches from
    /// the end as [`find_last`](Self::find_last) does, and calls `f` on every item of the
    /// pieces it runs.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let words = ["a", "12", "b", "34", "c"];
    /// assert_eq!(words.par_iter().find_map_last(|w| w.parse::<u32>().ok()), Some(34));
    /// ```
    fn find_map_last<P, R>(self, f: P) -> Option<R>
    where
        P: Fn(Self::Item) -> Option<R> + Sync + Send,
        R: Send,
    {
        self.search_last(f, FirstBlock::Wide)
    }
}
