//! How a parallel iterator runs: as a parallel loop over its *base indices* `0..base_len`.
//!
//! The loop machinery (`crate::loops`) cuts `0..base_len` into pieces under the iterator's
//! [`Schedule`]; each piece `start..end` becomes a sequential iterator
//! ([`ParallelIterator::piece`]) whose items a [`Consumer`] (what the terminal does: sum,
//! collect, find...) folds into an accumulator. A worker that runs adjacent pieces one after
//! the other folds them into the same accumulator: such a run of pieces is a *chain*, and
//! chains are combined in index order, the left one first.
//!
//! Besides the consumer's accumulator, a chain carries the iterator's *state*: the running
//! accumulator of a `fold`, the value a `map_init` made. So `fold` and `map_init` make one
//! accumulator or value per chain (one per steal, plus one), not one per piece. When two
//! chains are combined, what the left one's state still holds (a `fold` accumulator) is
//! *flushed*: fed to the consumer as the left chain's last items.

use std::ops::Range;

use crate::iter::ParallelIterator;
use crate::iter::reduce::ForEach;
use crate::iter::stop;
use crate::join::{Announce, join_now};
use crate::loops::{Body, Runs, Schedule, enter};
use crate::pool::in_worker;

/// What a terminal does with the items of the pieces.
#[doc(hidden)]
pub trait Consumer<T>: Sync {
    /// The result of a chain.
    type Acc: Send;

    fn identity(&self) -> Self::Acc;

    /// Folds `items` into `acc`: the items of the base indices `at` (all of them come from
    /// indices in `at`, and follow every item already in `acc`). For an indexed iterator
    /// (one item per base index) the items are exactly those of `at`, in order.
    fn feed<I: Iterator<Item = T>>(&self, acc: Self::Acc, at: Range<usize>, items: I) -> Self::Acc;

    /// Combines the results of two neighbouring chains, `left` before `right`.
    fn reduce(&self, left: Self::Acc, right: Self::Acc) -> Self::Acc;

    /// True for an early exit: a consumer whose [`done`](Self::done), [`skip`](Self::skip)
    /// or [`skip_piece`](Self::skip_piece) may turn true. The driver then flushes the
    /// iterator's state (a `fold` accumulator) after every piece, not only at the end of
    /// a chain, so that an answer a `fold` holds is seen as soon as its piece ends: a
    /// `fold(..).find_any(..)` otherwise ran every item of a chain first (rayon's test
    /// `fold_is_full`, 2,048 items, visited all of them in 95% of runs).
    const EARLY_EXIT: bool = false;

    /// True once the result is known (an early exit): no more pieces are needed.
    #[inline]
    fn done(&self) -> bool {
        false
    }

    /// True if the piece that starts at base index `at`, and every piece after it, cannot
    /// change the result (`find_first` found an item below it). A worker that meets such a
    /// piece leaves the rest of its share.
    #[inline]
    fn skip(&self, _at: usize) -> bool {
        false
    }

    /// True if the piece `at` alone cannot change the result: [`skip`](Self::skip) from its
    /// start, or (`find_last`) something was found after it. Unlike `skip`, this says
    /// nothing about the pieces that follow.
    #[inline]
    fn skip_piece(&self, at: &Range<usize>) -> bool {
        self.skip(at.start)
    }
}

/// How an iterator wants its loop cut: [`with_schedule`](ParallelIterator::with_schedule),
/// [`with_min_len`](ParallelIterator::with_min_len),
/// [`with_max_len`](ParallelIterator::with_max_len), and whether it runs as one loop or as
/// a sequence of loops over blocks
/// ([`by_exponential_blocks`](crate::iter::IndexedParallelIterator::by_exponential_blocks),
/// [`by_uniform_blocks`](crate::iter::IndexedParallelIterator::by_uniform_blocks)).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    schedule: Option<Schedule>,
    min_len: usize,
    max_len: usize,
    blocks: Blocks,
}

/// How [`drive`] runs the base indices: as one loop, or as blocks one after the other,
/// each block a loop of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Blocks {
    /// One loop.
    Whole,
    /// Blocks of `p`, `2p`, `4p`... indices, `p` the current pool's thread count.
    Exponential,
    /// Blocks of this many indices (not zero).
    Uniform(usize),
}

impl Default for Config {
    #[inline]
    fn default() -> Self {
        Config {
            schedule: None,
            min_len: 1,
            max_len: usize::MAX,
            blocks: Blocks::Whole,
        }
    }
}

impl Config {
    #[inline]
    pub(crate) fn with_schedule(self, schedule: Schedule) -> Self {
        Config {
            schedule: Some(schedule),
            ..self
        }
    }

    /// The largest of the minimums asked for wins.
    #[inline]
    pub(crate) fn with_min_len(self, min_len: usize) -> Self {
        Config {
            min_len: self.min_len.max(min_len),
            ..self
        }
    }

    /// The smallest of the maximums asked for wins.
    #[inline]
    pub(crate) fn with_max_len(self, max_len: usize) -> Self {
        Config {
            max_len: self.max_len.min(max_len),
            ..self
        }
    }

    /// Both wishes of two zipped iterators: `self`'s schedule if it has one, and the
    /// strictest lengths.
    #[inline]
    pub(crate) fn and(self, other: Config) -> Self {
        Config {
            schedule: self.schedule.or(other.schedule),
            min_len: self.min_len.max(other.min_len),
            max_len: self.max_len.min(other.max_len),
            blocks: match self.blocks {
                Blocks::Whole => other.blocks,
                mine => mine,
            },
        }
    }

    /// Runs the loop as a sequence of `blocks`.
    #[inline]
    pub(crate) fn with_blocks(self, blocks: Blocks) -> Self {
        Config { blocks, ..self }
    }

    /// The longest part of a piece that one state covers: `max_len`, but never below
    /// `min_len` (the minimum wins) nor below 1.
    #[inline]
    fn max_len(&self) -> usize {
        self.max_len.max(self.min_len).max(1)
    }

    #[inline]
    pub(crate) fn min_len(&self) -> usize {
        self.min_len.max(1)
    }

    /// True if the base indices may be split anywhere, and each part run as a loop of its
    /// own (`drive_from`): no `with_min_len` above 1 (a part would come up short) and no
    /// blocks (which ask for the blocks to run in turn).
    #[inline]
    pub(crate) fn splits_anywhere(&self) -> bool {
        self.min_len() == 1 && self.blocks == Blocks::Whole
    }

    /// The schedule asked for (else the default), for a loop over [`Runs`] of `min_len`
    /// base indices rather than over base indices: a `chunk`, `min_chunk` or `min_len` of
    /// `k` indices becomes enough runs to cover `k` (at least one).
    #[inline]
    fn schedule(&self) -> Schedule {
        let min = self.min_len();
        // Runs of one index (the default) need no division: it was a tenth of a tiny
        // `par_extend`'s time.
        let runs = |indices: usize| {
            if min == 1 {
                indices.max(1)
            } else {
                indices.max(1).div_ceil(min)
            }
        };
        match self.schedule.unwrap_or_default() {
            Schedule::Adaptive { min_len } => Schedule::Adaptive {
                min_len: runs(min_len),
            },
            Schedule::StaticChunks { chunk } => Schedule::StaticChunks { chunk: runs(chunk) },
            Schedule::Dynamic { chunk } => Schedule::Dynamic { chunk: runs(chunk) },
            Schedule::Guided { min_chunk } => Schedule::Guided {
                min_chunk: runs(min_chunk),
            },
            Schedule::Static => Schedule::Static,
        }
    }
}

/// The state of a chain: the consumer's accumulator, the iterator's state, and the last
/// base index the chain ran (where a flush's items belong).
pub(crate) struct Chain<A, S> {
    acc: A,
    state: S,
    last: usize,
}

/// The loop body of an iterator driven into a consumer.
struct Drive<'a, I, C> {
    iter: &'a I,
    consumer: &'a C,
    /// The base indices the loop covers, as the runs it counts in: its pieces are ranges of
    /// runs.
    runs: Runs,
    /// The longest part of a piece one state may cover (`usize::MAX`: no limit).
    max_len: usize,
    /// The shortest part `max_len` may cut (at least 1).
    min_len: usize,
}

impl<I, C> Drive<'_, I, C>
where
    I: ParallelIterator,
    C: Consumer<I::Item>,
{
    /// True if the loop may end before its last item: the consumer is an early exit, or the
    /// iterator can close (`take_any` and its kin: [`ParallelIterator::CLOSES`]).
    const EXITS: bool = C::EARLY_EXIT || I::CLOSES;

    /// Feeds the items of `start..end` to the chain: as one piece, or as several where the
    /// iterator asks for a cut ([`ParallelIterator::cut_after`]: a `chain` whose first side
    /// flushes).
    #[inline]
    fn run(
        &self,
        mut chain: Chain<C::Acc, I::State>,
        mut start: usize,
        end: usize,
    ) -> Chain<C::Acc, I::State> {
        loop {
            // Past `start`, so that the loop ends whatever `cut_after` says.
            let stop = self.iter.cut_after(start).max(start + 1).min(end);
            chain = self.run_piece(chain, start, stop);
            if stop == end {
                return chain;
            }
            start = stop;
        }
    }

    /// Feeds the items of the piece `start..end` (not empty) to the chain.
    #[inline]
    fn run_piece(
        &self,
        chain: Chain<C::Acc, I::State>,
        start: usize,
        end: usize,
    ) -> Chain<C::Acc, I::State> {
        if self.consumer.skip_piece(&(start..end)) {
            return chain;
        }
        let Chain { acc, mut state, .. } = chain;
        let run = || {
            // SAFETY: `start..end` is a piece the loop handed to `Body::fold`, or a part of
            // one (`fold` below and `run` above cut it into disjoint parts). `Body::fold` runs
            // only from `Loop::fold`, whose contract is that its ranges lie within `0..len`
            // (the iterator's `base_len`) and that no two ever overlap: each base index
            // reaches one piece at most once, which is what `piece` asks for.
            let items = unsafe { self.iter.piece(&mut state, start, end) };
            self.consumer.feed(acc, start..end, items)
        };
        // An iterator that can cut pieces short needs the scope; so does a `fold` before an
        // early exit, which hands accumulators on inside it (`fold.rs`).
        let acc = if I::CUTS_SHORT || (Self::EXITS && I::FLUSHES) {
            self.in_stop_scope(&(start..end), run)
        } else {
            run()
        };
        Chain {
            acc,
            state,
            last: end - 1,
        }
    }

    /// The chain of a loop with no runs. An iterator with no items at all is still asked
    /// for its empty piece `0..0`, once, unless it is a plain source: an adaptor that works
    /// for the whole iterator when its first piece comes (a `skip` that leaves nothing runs
    /// the items it skips) works there, as std and rayon run them.
    #[inline]
    fn empty(&self) -> Chain<C::Acc, I::State> {
        let mut chain = self.identity();
        if !I::PURE && self.iter.base_len() == 0 {
            // SAFETY: `0..0` is within `0..base_len` and asks for no base index; it is asked
            // once, as an iterator with no items is driven by one `drive_range` (whose
            // callers never split an empty range off a longer one).
            drop(unsafe { self.iter.piece(&mut chain.state, 0, 0) });
        }
        chain
    }

    /// Feeds what the chain's state still holds to its accumulator.
    ///
    /// Not once an early exit has its answer: a `fold` accumulator may then come from a
    /// piece cut short (`stop.rs`), and is no item of the sequence.
    #[inline]
    fn flush(&self, chain: Chain<C::Acc, I::State>) -> C::Acc {
        let at = chain.last..chain.last + 1;
        // Only the consumer's check: a gate below the `fold` let through the items that
        // this accumulator holds (one above it drops the accumulator itself).
        if !I::FLUSHES || (C::EARLY_EXIT && self.consumer.done()) || self.consumer.skip_piece(&at) {
            return chain.acc;
        }
        let (acc, state) = (chain.acc, chain.state);
        let run = || {
            let items = self.iter.flush(state);
            self.consumer.feed(acc, at.clone(), items)
        };
        if I::CUTS_SHORT {
            self.in_stop_scope(&at, run)
        } else {
            run()
        }
    }

    /// For an early exit, what the chain's state holds goes to the consumer at the end of
    /// every piece (see `Consumer::EARLY_EXIT`), and the chain goes on with a fresh state.
    #[inline]
    fn flush_for_early_exit(&self, chain: Chain<C::Acc, I::State>) -> Chain<C::Acc, I::State> {
        if !(Self::EXITS && I::FLUSHES) {
            return chain;
        }
        let last = chain.last;
        Chain {
            acc: self.flush(chain),
            state: self.iter.state(),
            last,
        }
    }

    /// Runs `f`, which runs and consumes the piece `at` of an iterator that can cut pieces
    /// short, in a stop scope (`stop.rs`): with a check for an early exit or an iterator
    /// that closes, without one for any other loop.
    #[inline]
    fn in_stop_scope<R>(&self, at: &Range<usize>, f: impl FnOnce() -> R) -> R {
        // With `gates`, also the iterator's `dry_from`: for the adaptors below its gates
        // (`stop.rs`).
        let check = |gates: bool| {
            self.consumer.done()
                || self.consumer.skip_piece(at)
                || (I::CLOSES && gates && self.iter.dry_from(at.start))
        };
        stop::scope(Self::EXITS.then_some(&check), f)
    }
}

impl<I, C> Body<Range<usize>> for Drive<'_, I, C>
where
    I: ParallelIterator,
    C: Consumer<I::Item>,
{
    type Acc = Chain<C::Acc, I::State>;

    #[inline]
    fn identity(&self) -> Self::Acc {
        Chain {
            acc: self.consumer.identity(),
            state: self.iter.state(),
            last: 0,
        }
    }

    #[inline]
    fn fold(&self, chain: Self::Acc, _start: usize, runs: Range<usize>) -> Self::Acc {
        let piece = self.runs.start_of(runs.start)..self.runs.start_of(runs.end);
        if self.max_len == usize::MAX {
            let chain = self.run(chain, piece.start, piece.end);
            return self.flush_for_early_exit(chain);
        }
        // `with_max_len`: near-equal parts of at most `max_len` indices, each with a fresh
        // state (so a `fold` accumulator or a `map_init` value covers at most `max_len`),
        // but never parts shorter than `min_len` (as few as `len / min_len`): where no
        // count of near-equal parts meets both, the minimum wins, as in rayon (parts under
        // `2 * min_len`). A piece of whole runs of `min_len <= max_len` (as `Config` makes
        // them) meets both.
        let len = piece.end - piece.start;
        let (by_max, by_min) = (len.div_ceil(self.max_len), (len / self.min_len).max(1));
        let parts = by_max.min(by_min);
        // Part `k` is `bound(k)..bound(k + 1)`; u128 keeps `k * len` from overflowing.
        let bound = |k: usize| piece.start + (k as u128 * len as u128 / parts as u128) as usize;
        let mut chain = chain;
        for k in 0..parts {
            // Later parts start later: once one is skipped, so are the rest. (The bounds
            // are base indices, not the loop's own: no `offset` here.)
            if self.done() || self.consumer.skip(bound(k)) || self.iter.dry_from(bound(k)) {
                break;
            }
            let last = chain.last;
            chain = Chain {
                acc: self.flush(chain),
                state: self.iter.state(),
                last,
            };
            chain = self.run(chain, bound(k), bound(k + 1));
        }
        self.flush_for_early_exit(chain)
    }

    #[inline]
    fn reduce(&self, left: Self::Acc, right: Self::Acc) -> Self::Acc {
        // An empty chain has `last == 0`; a chain that ran anything is right of the left one.
        let last = left.last.max(right.last);
        let acc = self.consumer.reduce(self.flush(left), right.acc);
        Chain {
            acc,
            state: right.state,
            last,
        }
    }

    #[inline]
    fn done(&self) -> bool {
        self.consumer.done() || self.iter.dry_from(self.runs.start_of(0))
    }

    #[inline]
    fn done_from(&self, start: usize) -> bool {
        let at = self.runs.start_of(start);
        self.consumer.skip(at) || self.iter.dry_from(at)
    }

    #[inline]
    fn done_within(&self, start: usize, end: usize) -> bool {
        let at = self.runs.start_of(start);
        self.consumer.skip(at) || self.iter.dry_within(at, self.runs.start_of(end))
    }

    /// Only a loop with a gate that closes can have a dry stretch before live indices.
    #[inline]
    fn live_from(&self, start: usize) -> usize {
        if !I::CLOSES {
            return start;
        }
        let at = self.runs.start_of(start);
        let live = self.iter.live_from(at);
        if live <= at {
            return start;
        }
        self.runs.run_at(live).max(start)
    }
}

/// Runs the base indices `0..end` of `iter` as a parallel loop and drops their items: what
/// `skip` does with the items it skips, for what making them does (as std's `skip` and
/// rayon's run the closures before it on them).
///
/// The caller must never drive these indices again over the life of `iter`.
pub(crate) fn drive_for_effects<I: ParallelIterator>(iter: &I, end: usize) {
    drive_range(iter, &ForEach(drop::<I::Item>), 0..end);
}

/// Runs `iter` into `consumer` on the current pool (this worker's, or the global one) and
/// returns the combined result of every chain.
#[inline]
pub(crate) fn drive<I, C>(iter: &I, consumer: &C) -> C::Acc
where
    I: ParallelIterator,
    C: Consumer<I::Item>,
{
    // An early exit steps its inner iterators to stop inside them (`Stepped`); any other
    // consumer may run them as loops of their own.
    if I::NESTS && !C::EARLY_EXIT {
        return iter.drive_nested(consumer);
    }
    drive_pieces(iter, consumer)
}

/// As [`drive`], with every inner iterator run inside the piece of its outer item.
pub(crate) fn drive_pieces<I, C>(iter: &I, consumer: &C) -> C::Acc
where
    I: ParallelIterator,
    C: Consumer<I::Item>,
{
    let len = iter.base_len();
    match iter.config().blocks {
        // Only an early exit may end before the rest of the items: any other consumer runs
        // every part anyway, as one loop. And only where a part is not indexed (a `filter`,
        // a `flat_map`: what rayon runs as a `join` of the sides too): a search over an
        // indexed chain (two slices) took 1.1x to 1.2x as long as two loops.
        Blocks::Whole if (C::EARLY_EXIT || I::CLOSES) && !I::INDEXED => {
            drive_parts(iter, consumer, 0..len)
        }
        Blocks::Whole => drive_range(iter, consumer, 0..len),
        Blocks::Exponential => drive_blocks(iter, consumer, len, crate::current_num_threads(), 2),
        Blocks::Uniform(size) => drive_blocks(iter, consumer, len, size, 1),
    }
}

/// Runs `iter` into `consumer` in blocks from the front, one after the other, each block a
/// loop of its own: the first of `first` base indices, each next one `growth` times as long
/// as the one before. Stops before a block once the result is known (`Consumer::done`,
/// `Consumer::skip`) or the iterator is dry there. Block bounds are multiples of
/// `with_min_len`, and the last block is at least that long, so each piece still covers at
/// least `min_len` indices.
fn drive_blocks<I, C>(iter: &I, consumer: &C, len: usize, first: usize, growth: usize) -> C::Acc
where
    I: ParallelIterator,
    C: Consumer<I::Item>,
{
    if len == 0 {
        // Its empty piece, as any loop of nothing (`Drive::empty`).
        return drive_range(iter, consumer, 0..0);
    }
    let min_len = iter.config().min_len();
    let mut acc = consumer.identity();
    let (mut start, mut size) = (0, first.max(1));
    while start < len && !consumer.done() && !consumer.skip(start) && !iter.dry_from(start) {
        let end = start.saturating_add(size.max(min_len)).min(len);
        let end = end - end % min_len;
        // No last block shorter than `min_len`: it joins the one before.
        let end = if len - end < min_len { len } else { end };
        // Blocks are disjoint and each runs once: every base index is driven at most once.
        let block = drive_range(iter, consumer, start..end);
        acc = consumer.reduce(acc, block);
        start = end;
        size = size.saturating_mul(growth);
    }
    acc
}

/// As [`drive_range`], but each part of `range` that [`ParallelIterator::seam_before`]
/// marks (a `chain`'s sides) runs as a loop of its own, joined with the rest, as rayon runs
/// a chain's sides; for early exits. A single loop reaches a later part only once a
/// worker's share gets there: a search whose answers lie only in a chain's second side ran
/// on for ever while every worker was inside an endless first side (a `flat_map` whose
/// items a `filter` rejects). The last part is offered first, then the one before it, and
/// so on: a thief takes the oldest offer, so the parts after an endless one are all taken
/// in turn.
fn drive_parts<I, C>(iter: &I, consumer: &C, range: Range<usize>) -> C::Acc
where
    I: ParallelIterator,
    C: Consumer<I::Item>,
{
    let seam = iter.seam_before(range.end);
    if seam <= range.start {
        return drive_range(iter, consumer, range);
    }
    // Disjoint ranges: every base index is driven at most once. The last part is offered
    // to idle workers at once (a plain `join` may keep it private until this worker gets
    // back to it, which an endless first side never does), without a wake-up: a searcher
    // takes it, the heartbeat wakes a sleeper for it, and so does the first part's loop
    // once it has run a block target (`Announce::Later`). A short chain costs no futex call.
    let (left, right) = in_worker(|worker, _| {
        join_now(
            worker,
            Announce::Later,
            |_| drive_parts(iter, consumer, range.start..seam),
            |_| drive_range(iter, consumer, seam..range.end),
        )
    });
    consumer.reduce(left, right)
}

/// As [`drive`], over the base indices from `start` to the end only, as one loop (no inner
/// iterator of a `flat_map` `iter` is a loop of its own): for the rest of an iterator whose
/// first indices ran elsewhere.
///
/// The caller must never drive an index twice over the life of `iter`: the indices below
/// `start` went to pieces of their own, the ones from `start` up to none.
pub(crate) fn drive_from<I, C>(iter: &I, consumer: &C, start: usize) -> C::Acc
where
    I: ParallelIterator,
    C: Consumer<I::Item>,
{
    drive_range(iter, consumer, start..iter.base_len())
}

/// As [`drive`], over the base indices `range` only (within `0..base_len`).
///
/// The caller must never drive an index twice over the life of `iter`: the ranges of
/// several calls on one iterator are disjoint.
fn drive_range<I, C>(iter: &I, consumer: &C, range: Range<usize>) -> C::Acc
where
    I: ParallelIterator,
    C: Consumer<I::Item>,
{
    assert!(range.end <= iter.base_len(), "a range within the iterator");
    let config = iter.config();
    let runs = Runs::new(range, config.min_len());
    let body = Drive {
        iter,
        consumer,
        runs,
        max_len: config.max_len(),
        min_len: config.min_len(),
    };
    // A loop of at most one run has nothing to share, and `run_loop` would fold it right
    // here: done without it, the empty loops at the leaves of a tree walked with
    // `par_iter` over each node's children cost a few instructions instead of about 30.
    let chain = match runs.count() {
        0 => body.empty(),
        1 => body.fold(body.identity(), 0, 0..1),
        // The loop's source is the runs: its pieces are ranges of runs.
        count => enter(None, 0..count, config.schedule(), &body),
    };
    body.flush(chain)
}

/// The shortest first block of [`drive_back`]: a loop over fewer base indices runs as one.
const FIRST_BLOCK: usize = 1 << 14;
/// The longest first block of [`drive_back`]: 1/64 of `0..2^63` was a loop of 2^57 items,
/// whose last item the search took for ever to reach.
const MAX_FIRST_BLOCK: usize = 1 << 20;

/// How long the first block of a search from the end ([`drive_back`]) is.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstBlock {
    /// 1/64 of the base indices, at least [`FIRST_BLOCK`] and at most
    /// [`MAX_FIRST_BLOCK`]: for items that cost about the same as a loop's bookkeeping.
    Wide,
    /// One base index: for items that are searches of their own (the inner iterators of a
    /// `flat_map`), of which a wide block would run thousands, each to its end, before the
    /// one that holds the last match.
    Single,
}

/// Runs `iter` into `consumer` in blocks from the end, each block a loop of its own, until
/// `found` holds for a block's result (which is returned; else the first block's).
///
/// For the `_last` searches: a loop hands each worker its pieces in increasing order, so a
/// single loop reaches the last items only at its end, after most of the others. The last
/// block is as `first` says (1/64 of the indices, but at least [`FIRST_BLOCK`] and at most
/// [`MAX_FIRST_BLOCK`]; or one), and each next block is as long as all the blocks before it: a match
/// at distance `d` from the end is found after about `max(2 * d, first block)` items, and a
/// search that finds nothing runs at most 8 loops up to 2^26 indices (one more for each
/// doubling beyond). Block bounds are multiples of `with_min_len`, and the last block is at
/// least that long, so each piece still covers at least `min_len` indices.
pub(crate) fn drive_back<I, C>(
    iter: &I,
    consumer: &C,
    first: FirstBlock,
    found: impl Fn(&C::Acc) -> bool,
) -> C::Acc
where
    I: ParallelIterator,
    C: Consumer<I::Item>,
{
    let len = iter.base_len();
    let min_len = iter.config().min_len();
    let first = match first {
        FirstBlock::Wide => (len / 64).clamp(FIRST_BLOCK, MAX_FIRST_BLOCK),
        FirstBlock::Single => 1,
    };
    let mut end = len;
    loop {
        let ran = len - end;
        // At least `min_len`: below a multiple of it, `end` is one (or the end of the loop,
        // whose block must not come up short).
        let start = end.saturating_sub(ran.max(first).max(min_len));
        let start = start - start % min_len;
        // Blocks are disjoint and each runs once: every base index is driven at most once.
        let acc = drive_range(iter, consumer, start..end);
        if start == 0 || found(&acc) {
            return acc;
        }
        end = start;
    }
}
