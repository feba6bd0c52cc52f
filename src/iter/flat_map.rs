//! [`FlatMap`] and [`Flatten`]: items that are themselves parallel iterators (rayon's
//! `flat_map` and `flatten`), yielded in turn.
//!
//! The outer iterator is cut into pieces as usual. For a consumer that is no early exit, a
//! long inner iterator is a parallel loop of its own (`nest.rs`). Any other inner iterator runs whole,
//! in order, inside the piece of its outer item, on the worker that runs that piece: it is
//! driven as pieces of its own over `0..base_len`, one unless it asks for cuts
//! (`cut_after`), then its `flush`. Folding a piece (what `sum`,
//! `for_each`, `collect` and `fold` do) streams each inner iterator's items; stepping it
//! item by item (`next`, as `find_first` and `Vec::extend` do) makes each item of an
//! indexed inner iterator with a piece of its own, and keeps one piece of any other across
//! calls (see `Stepped`).

use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;

use crate::iter::drive::{Config, Consumer, FirstBlock, drive};
use crate::iter::sealed::Sealed;
use crate::iter::stop;
use crate::iter::{IntoParallelIterator, ParallelIterator};
use crate::loops::BLOCK_TARGET;
use crate::loops::clock::{self, Stamp};
use crate::pool::WorkerThread;

mod nest;

use nest::Nest;

/// The parallel iterator of [`ParallelIterator::flat_map`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let rows = vec![vec![1, 2], vec![], vec![3]];
/// let it: brigade::iter::FlatMap<_, _> = rows.par_iter().flat_map(|r| r.par_iter());
/// assert_eq!(it.copied().collect::<Vec<i32>>(), [1, 2, 3]);
/// ```
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
#[derive(Clone)]
pub struct FlatMap<I, F> {
    base: I,
    f: F,
}

impl<I, F> FlatMap<I, F> {
    pub(crate) fn new(base: I, f: F) -> Self {
        FlatMap { base, f }
    }
}

impl<I: fmt::Debug, F> fmt::Debug for FlatMap<I, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlatMap")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl<I, F> Sealed for FlatMap<I, F> {}

impl<I, F, U> ParallelIterator for FlatMap<I, F>
where
    I: ParallelIterator,
    F: Fn(I::Item) -> U + Sync + Send,
    U: IntoParallelIterator,
{
    type Item = U::Item;
    type State = I::State;
    type Piece<'p>
        = Flattened<I::Piece<'p>, &'p F, U::Iter>
    where
        Self: 'p;
    type Flush<'p>
        = Flattened<I::Flush<'p>, &'p F, U::Iter>
    where
        Self: 'p;
    const INDEXED: bool = false;
    const FLUSHES: bool = I::FLUSHES;
    const CUTS_SHORT: bool = true;
    const BOUNDLESS: bool = I::BOUNDLESS;
    const CLOSES: bool = I::CLOSES;
    // Behind a gate, each inner iterator runs whole in its piece (`stop::blind`).
    const NESTS: bool = !I::CLOSES;

    #[inline]
    fn base_len(&self) -> usize {
        self.base.base_len()
    }

    #[inline]
    fn config(&self) -> Config {
        self.base.config()
    }

    #[inline]
    fn state(&self) -> I::State {
        self.base.state()
    }

    #[inline]
    unsafe fn piece<'p>(
        &'p self,
        state: &'p mut I::State,
        start: usize,
        end: usize,
    ) -> Self::Piece<'p> {
        // SAFETY: forwarded: the caller's promise is the one the base needs.
        Flattened::new(
            unsafe { self.base.piece(state, start, end) },
            &self.f,
            I::CLOSES,
        )
    }

    #[inline]
    fn flush<'p>(&'p self, state: I::State) -> Self::Flush<'p> {
        Flattened::new(self.base.flush(state), &self.f, I::CLOSES)
    }

    #[inline]
    fn dry_from(&self, start: usize) -> bool {
        self.base.dry_from(start)
    }

    #[inline]
    fn cut_after(&self, start: usize) -> usize {
        self.base.cut_after(start)
    }

    #[inline]
    fn seam_before(&self, end: usize) -> usize {
        self.base.seam_before(end)
    }

    /// The base driven into [`Nest`]: each inner iterator worth it a loop of its own.
    fn drive_nested<C: Consumer<U::Item>>(&self, consumer: &C) -> C::Acc {
        drive(
            &self.base,
            &Nest::new(consumer, &self.f, self.base.base_len()),
        )
    }

    /// A search of the base, from its end, for the last item whose inner iterator holds a
    /// match, each inner iterator searched from its own end ([`search_inner_last`]). The
    /// base's blocks start at one item: each of its items is a search of its own.
    fn search_last<R, H>(self, h: H, _first: FirstBlock) -> Option<R>
    where
        H: Fn(U::Item) -> Option<R> + Sync + Send,
        R: Send,
    {
        let f = self.f;
        self.base.search_last(
            move |item| {
                let inner = f(item).into_par_iter();
                if I::CLOSES {
                    stop::blind(|| search_inner_last(inner, &h))
                } else {
                    search_inner_last(inner, &h)
                }
            },
            FirstBlock::Single,
        )
    }
}

/// The parallel iterator of [`ParallelIterator::flatten`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let parts = vec![vec![1u8, 2], vec![3]];
/// let it: brigade::iter::Flatten<_> = parts.into_par_iter().flatten();
/// assert_eq!(it.collect::<Vec<_>>(), [1, 2, 3]);
/// ```
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
#[derive(Clone)]
pub struct Flatten<I: ParallelIterator> {
    inner: FlatMap<I, Identity<I::Item>>,
}

/// The function `flatten` maps with.
type Identity<T> = fn(T) -> T;

impl<I: ParallelIterator> Flatten<I> {
    pub(crate) fn new(base: I) -> Self {
        Flatten {
            inner: FlatMap::new(base, |item| item),
        }
    }
}

impl<I: ParallelIterator + fmt::Debug> fmt::Debug for Flatten<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Flatten")
            .field("base", &self.inner.base)
            .finish()
    }
}

impl<I: ParallelIterator> Sealed for Flatten<I> {}

impl<I> ParallelIterator for Flatten<I>
where
    I: ParallelIterator,
    I::Item: IntoParallelIterator,
{
    type Item = <I::Item as IntoParallelIterator>::Item;
    type State = I::State;
    type Piece<'p>
        =
        Flattened<I::Piece<'p>, &'p fn(I::Item) -> I::Item, <I::Item as IntoParallelIterator>::Iter>
    where
        Self: 'p;
    type Flush<'p>
        =
        Flattened<I::Flush<'p>, &'p fn(I::Item) -> I::Item, <I::Item as IntoParallelIterator>::Iter>
    where
        Self: 'p;
    const INDEXED: bool = false;
    const FLUSHES: bool = I::FLUSHES;
    const CUTS_SHORT: bool = true;
    const BOUNDLESS: bool = I::BOUNDLESS;
    const CLOSES: bool = I::CLOSES;
    // Behind a gate, each inner iterator runs whole in its piece (`stop::blind`).
    const NESTS: bool = !I::CLOSES;

    #[inline]
    fn base_len(&self) -> usize {
        self.inner.base_len()
    }

    #[inline]
    fn config(&self) -> Config {
        self.inner.config()
    }

    #[inline]
    fn state(&self) -> I::State {
        self.inner.state()
    }

    #[inline]
    unsafe fn piece<'p>(
        &'p self,
        state: &'p mut I::State,
        start: usize,
        end: usize,
    ) -> Self::Piece<'p> {
        // SAFETY: forwarded: the caller's promise is the one the base needs.
        unsafe { self.inner.piece(state, start, end) }
    }

    #[inline]
    fn flush<'p>(&'p self, state: I::State) -> Self::Flush<'p> {
        self.inner.flush(state)
    }

    #[inline]
    fn dry_from(&self, start: usize) -> bool {
        self.inner.dry_from(start)
    }

    #[inline]
    fn cut_after(&self, start: usize) -> usize {
        self.inner.cut_after(start)
    }

    #[inline]
    fn seam_before(&self, end: usize) -> usize {
        self.inner.seam_before(end)
    }

    fn drive_nested<C: Consumer<Self::Item>>(&self, consumer: &C) -> C::Acc {
        self.inner.drive_nested(consumer)
    }

    fn search_last<R, H>(self, h: H, first: FirstBlock) -> Option<R>
    where
        H: Fn(Self::Item) -> Option<R> + Sync + Send,
        R: Send,
    {
        self.inner.search_last(h, first)
    }
}

/// The inner iterators of at most this many base indices that a search from the end
/// (`search_last`) runs forwards on its thread, when each base index makes at most one
/// item: a loop of their own costs more.
const SHORT_INNER: usize = 1024;

/// The last `Some` result of `h` over the items of `inner`: a short inner iterator whose
/// base indices make at most one item each runs forwards on this thread; any other is a
/// search of its own from its end, whose blocks start at one base index (an inner
/// iterator may be a `flat_map` of huge inner iterators in turn).
fn search_inner_last<J, R, H>(inner: J, h: &H) -> Option<R>
where
    J: ParallelIterator,
    H: Fn(J::Item) -> Option<R> + Sync + Send,
    R: Send,
{
    if !J::CUTS_SHORT && inner.base_len() <= SHORT_INNER {
        return fold_whole(inner, None, &mut |last, item| h(item).or(last));
    }
    inner.search_last(h, FirstBlock::Single)
}

/// A piece of [`FlatMap`] or [`Flatten`]: the outer piece's items, each turned into a
/// parallel iterator `J` by `g` and run whole, in order.
#[doc(hidden)]
pub struct Flattened<P, G, J: ParallelIterator> {
    outer: P,
    g: G,
    /// The inner iterator that `next` is stepping through, if any.
    front: Option<Stepped<J>>,
    /// Inner iterators left to start before `next` looks at the stop check (`stop.rs`).
    left: usize,
    /// The outer iterator has a gate (`ParallelIterator::CLOSES`): the inner iterators
    /// run [`stop::blind`], since each must run whole once its item passed the gate.
    blind: bool,
}

impl<P, G, J: ParallelIterator> Flattened<P, G, J> {
    fn new(outer: P, g: G, blind: bool) -> Self {
        Flattened {
            outer,
            g,
            front: None,
            left: INNER_CHECK_EVERY,
            blind,
        }
    }
}

impl<P, G, J: ParallelIterator> fmt::Debug for Flattened<P, G, J> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Flattened").finish_non_exhaustive()
    }
}

/// Folds every item of `inner`, in order, on this thread: as one piece, or as consecutive
/// pieces cut where the iterator asks (`cut_after`: a `chain` whose first side flushes, a
/// `fold(..).chain(..)`, cannot run a piece that crosses into its second side, and such an
/// inner iterator hit the chain's assertion on a 1-thread pool), then its flush.
///
/// No stop check (`stop.rs`): the early exits step through their pieces (`Stepped`).
fn fold_whole<J, B>(inner: J, init: B, f: &mut impl FnMut(B, J::Item) -> B) -> B
where
    J: ParallelIterator,
{
    fold_until_beat(inner, init, f, None).0
}

/// What stops [`fold_until_beat`] part way, so that the rest of an inner iterator becomes
/// a loop of its own: the worker's heartbeat asks for work, it has no `join` half to give
/// ([`WorkerThread::beat_unanswered`]), and the inner iterator has run for at least
/// [`BLOCK_TARGET`] since the stamp, the time after which a loop is worth its cost.
/// Splitting the inner iterators of 1,000 cheap items (a few µs each) at the end of a
/// `collect` of 10,000 of them gained nothing, and the extra parts tipped the allocator
/// into fresh pages for the final concatenation: 66 to 82 ms against 41 to 50 in most runs.
///
/// Only on a worker. Outside every pool (a `flat_map` of one outer item runs on the
/// calling thread) an inner iterator runs whole: handing its rest to the global pool made
/// the caller wait for that pool, for as long as its workers were busy (seconds, with long
/// tasks spawned there), and for ever when they waited for the caller itself.
#[derive(Clone, Copy)]
pub(super) struct Split<'a> {
    worker: &'a WorkerThread,
    start: Stamp,
}

impl<'a> Split<'a> {
    /// How this thread would split an inner iterator it starts now: on a worker only.
    #[inline]
    pub(super) fn here() -> Option<Split<'a>> {
        WorkerThread::current().map(|worker| Split {
            worker,
            start: clock::now(),
        })
    }

    /// The clock starts again, for the next inner iterator.
    #[inline]
    pub(super) fn restart(self) -> Self {
        Split {
            start: clock::now(),
            ..self
        }
    }

    /// Whether the inner iterator stops here.
    #[inline]
    pub(super) fn now(&self) -> bool {
        self.worker.beat_unanswered() && clock::between(self.start, clock::now()) >= BLOCK_TARGET
    }
}

/// [`fold_whole`], and with a `split`, in pieces of 1, 2, 4, ... base indices, with a look
/// at it after each ([`Split`]: on a worker, if another worker asks for work and this one
/// has no `join` half to give it), where the fold may stop.
/// Returns the accumulator and, if it stopped, the inner iterator with the base index to go
/// on from: the caller runs the rest as a loop of its own (`drive_from`), which idle
/// workers share. A `flat_map` of one outer item whose 64 inner items took 22 µs each ran
/// them all on one worker, in twice the time rayon took.
///
/// Only an inner iterator that may be split anywhere is cut so: one with no state to flush
/// (`FLUSHES`) and a plain configuration (`Config::splits_anywhere`). Any other runs
/// whole, as pieces cut only where it asks (`cut_after`).
///
/// One function for both, with one call of the fold: with a second copy of the loop next
/// to this one, the consumer's closure went out of line, and a `sum` over a `flat_map` of
/// 1,000 x 10 items took 20% more instructions.
#[inline(always)]
pub(super) fn fold_until_beat<J, B>(
    inner: J,
    init: B,
    f: &mut impl FnMut(B, J::Item) -> B,
    split: Option<Split<'_>>,
) -> (B, Option<(J, usize)>)
where
    J: ParallelIterator,
{
    let len = inner.base_len();
    let split = split
        .filter(|_| !J::FLUSHES && len >= 2 && inner.config().splits_anywhere())
        .map(Split::restart);
    let mut state = inner.state();
    let mut acc = init;
    let mut start = 0;
    // Without a worker, one piece (the loop, with its `cut_after`, cost 3 to 4% on 100,000
    // inner iterators of 10 items).
    let mut size = if split.is_some() { 1 } else { usize::MAX };
    loop {
        // Past `start`, so that the loop ends whatever `cut_after` says (as `Drive::run`).
        let stop = if J::FLUSHES {
            inner.cut_after(start).max(start + 1).min(len)
        } else {
            start.saturating_add(size).min(len)
        };
        // SAFETY: the pieces `start..stop` cut `0..len`, the whole of `inner`, into
        // consecutive parts, each asked for once (`0..0` once if `len` is 0), up to where
        // the fold stops; the indices from there up go to the caller's loop, and are never
        // asked for here again. `inner` is ours, and dropped at the end of this call or by
        // the caller.
        acc = unsafe { inner.piece(&mut state, start, stop) }.fold(acc, &mut *f);
        if stop >= len {
            break;
        }
        start = stop;
        if let Some(split) = &split {
            size = size.saturating_mul(2);
            if split.now() {
                // No items: `FLUSHES` is false. It ends the state before the rest runs.
                let acc = inner.flush(state).fold(acc, &mut *f);
                return (acc, Some((inner, start)));
            }
        }
    }
    (inner.flush(state).fold(acc, f), None)
}

/// How many inner iterators `Flattened::next` starts between two looks at the stop check.
const INNER_CHECK_EVERY: usize = 64;

/// The first batch of items a [`Stepped`] gathers; each next one is twice as long, up to
/// [`MAX_BATCH`].
const FIRST_BATCH: usize = 16;
/// The most items a [`Stepped`] gathers at once.
const MAX_BATCH: usize = 4096;

/// An inner iterator stepped item by item (what `next`, and so `find_first`, `any`,
/// `try_for_each` and the other early exits, and `Vec::extend` do).
///
/// An indexed one (`ParallelIterator::INDEXED`: one item per base index) makes each item
/// with a piece of one base index of its own, on the iterator's one state, kept inline:
/// nothing is allocated, and an item is made only when asked for. Any other runs as one
/// piece kept across calls ([`Lazy`]): it may hold any number of items per base index (an
/// inner `flat_map` or `filter`), so a piece over a stretch of base indices could make
/// any number of items before the first is seen.
enum Stepped<J: ParallelIterator> {
    Indexed(ByIndex<J>),
    Lazy(Lazy<J>),
}

impl<J: ParallelIterator> Stepped<J> {
    #[inline]
    fn new(iter: J) -> Self {
        if J::INDEXED {
            Stepped::Indexed(ByIndex::new(iter))
        } else {
            Stepped::Lazy(Lazy::new(iter))
        }
    }

    #[inline]
    fn next(&mut self) -> Option<J::Item> {
        match self {
            Stepped::Indexed(by_index) => by_index.next(),
            Stepped::Lazy(lazy) => lazy.next(),
        }
    }

    /// Folds what is left.
    fn fold<B>(self, init: B, f: &mut impl FnMut(B, J::Item) -> B) -> B {
        match self {
            Stepped::Indexed(by_index) => by_index.fold(init, f),
            Stepped::Lazy(lazy) => lazy.fold(init, f),
        }
    }
}

/// An indexed inner iterator stepped one base index (one item) at a time.
struct ByIndex<J: ParallelIterator> {
    iter: J,
    /// Taken by the flush, once every item is made.
    state: Option<J::State>,
    /// The next base index.
    at: usize,
    len: usize,
    /// Items left before an early exit's stepping looks at the stop check (`usize::MAX`
    /// for any other).
    left: usize,
}

impl<J: ParallelIterator> ByIndex<J> {
    #[inline]
    fn new(iter: J) -> Self {
        let state = iter.state();
        Self::resume(iter, state, 0)
    }

    /// Steps on from base index `at`: the ones below it were asked for, on `state`.
    #[inline]
    fn resume(iter: J, state: J::State, at: usize) -> Self {
        ByIndex {
            len: iter.base_len(),
            state: Some(state),
            iter,
            at,
            left: if stop::watched() {
                stop::CHECK_EVERY
            } else {
                usize::MAX
            },
        }
    }

    #[inline]
    fn next(&mut self) -> Option<J::Item> {
        if self.at == self.len {
            self.finish();
            return None;
        }
        // A look at the stop check every `stop::CHECK_EVERY` items: they need not reach
        // the early exit's own count (a `fold` before it takes them).
        self.left -= 1;
        if self.left == 0 {
            self.left = stop::CHECK_EVERY;
            if stop::requested(true) {
                return None;
            }
        }
        let state = self.state.as_mut()?;
        let at = self.at;
        self.at += 1;
        // SAFETY: `at < len`, and each base index is asked for once: `at` only grows.
        unsafe { self.iter.piece(state, at, at + 1) }.next()
    }

    /// The base index of the next item, and how many there are.
    #[inline]
    fn position(&self) -> (usize, usize) {
        (self.at, self.len)
    }

    /// Whether the iterator may be split anywhere (`Config::splits_anywhere`).
    #[inline]
    fn splits_anywhere(&self) -> bool {
        self.iter.config().splits_anywhere()
    }

    /// Ends the stepping here: the iterator, and the base index of its next item (the
    /// indices from it up were never asked for), for a loop of its own.
    fn split_off(mut self) -> (J, usize) {
        self.finish();
        (self.iter, self.at)
    }

    /// The flush of an indexed iterator holds no items; it ends the state.
    #[inline]
    fn finish(&mut self) {
        if let Some(state) = self.state.take() {
            self.iter.flush(state).for_each(drop);
        }
    }

    fn fold<B>(mut self, init: B, f: &mut impl FnMut(B, J::Item) -> B) -> B {
        let Some(mut state) = self.state.take() else {
            return init;
        };
        // SAFETY: `at..len` are the base indices not asked for yet.
        let acc = unsafe { self.iter.piece(&mut state, self.at, self.len) }.fold(init, &mut *f);
        self.iter.flush(state).fold(acc, f)
    }
}

/// A (not indexed) inner iterator stepped item by item. It runs as pieces over all its base
/// indices (one unless it asks for cuts), then its `flush`, kept across calls of `next`
/// (`Source`). For an early exit
/// (`stop.rs`) each item goes on as soon as the piece makes it: a batch that waited for its
/// next item could wait for ever (an inner `filter` keeping only its first item of 10^9).
/// Otherwise (a `collect`) it gathers batches of growing length (16 to 4,096 items). So
/// stepping holds at most one batch per level of nesting, also when the inner iterator is
/// itself a `flat_map` (one written inside another's closure). Gathering stretches of base
/// indices, as this used to, gathered every item of their inner iterators first: a search
/// over such a triple loop filled memory and never returned.
struct Lazy<J: ParallelIterator> {
    source: Source<J>,
    gathered: VecDeque<J::Item>,
    /// An early exit's stepping (`stop::watched` when made): one item at a time.
    watched: bool,
    /// Otherwise, the size of the next batch.
    batch: usize,
    /// Items left before an early exit's stepping looks at the stop check.
    left: usize,
}

impl<J: ParallelIterator> Lazy<J> {
    fn new(iter: J) -> Self {
        Lazy {
            source: Source::new(iter),
            gathered: VecDeque::new(),
            // An early exit (`stop.rs`) must see each item as soon as it is made: a batch
            // that waits for its next item may wait for ever (an inner `filter` that keeps
            // only its first item, of 10^9).
            watched: stop::watched(),
            batch: FIRST_BATCH,
            left: stop::CHECK_EVERY,
        }
    }

    fn next(&mut self) -> Option<J::Item> {
        // The flush's items, and a batch's, wait in the buffer.
        if let Some(item) = self.gathered.pop_front() {
            return Some(item);
        }
        if self.watched {
            // A look at the stop check every `stop::CHECK_EVERY` items: they need not reach
            // the early exit's own count (a `fold` before it takes them).
            self.left -= 1;
            if self.left == 0 {
                self.left = stop::CHECK_EVERY;
                if stop::requested(true) {
                    return None;
                }
            }
            return self.source.gather.next_item(&mut self.gathered);
        }
        if !self.source.gather(&mut self.gathered, self.batch) {
            return None;
        }
        self.batch = (self.batch * 2).min(MAX_BATCH);
        self.gathered.pop_front()
    }

    /// Folds what is left: the gathered items, then the rest, a batch at a time.
    fn fold<B>(mut self, init: B, f: &mut impl FnMut(B, J::Item) -> B) -> B {
        let mut acc = init;
        loop {
            acc = self.gathered.drain(..).fold(acc, &mut *f);
            if !self.source.gather(&mut self.gathered, MAX_BATCH) {
                return acc;
            }
        }
    }
}

/// An inner iterator, its state, and its pieces over `0..base_len` (one at a time: see
/// [`Pieces`]), kept while a [`Stepped`] steps through them, then its flush.
///
/// The piece borrows the iterator and its state, so they live in a heap block of their own
/// (`Parts`, from `Box::into_raw`), which nothing else touches while the piece lives; the
/// piece lives in another (`Gather`'s box), with its lifetime erased. The piece is always
/// dropped before the block is freed.
struct Source<J: ParallelIterator> {
    gather: Box<dyn Gather<J::Item>>,
    /// Keeps the lifetimes of `J`, which the erased box outlives nothing of.
    _iter: PhantomData<J>,
}

impl<J: ParallelIterator> Source<J> {
    fn new(iter: J) -> Self {
        let gather = Pieces::<J, J::Piece<'_>>::start(iter);
        // SAFETY: only the trait object's lifetime bound changes, not its layout. What the
        // box borrows is the `Parts` block it owns itself and, through `J`, what `J`
        // borrows; `_iter` ties `Source` to `J`'s lifetimes, so the box is never used after
        // anything it borrows ends.
        let gather = unsafe {
            std::mem::transmute::<Box<dyn Gather<J::Item> + '_>, Box<dyn Gather<J::Item>>>(gather)
        };
        Source {
            gather,
            _iter: PhantomData,
        }
    }

    /// Moves up to `max` more items into `out`; false once there are none left.
    fn gather(&mut self, out: &mut VecDeque<J::Item>, max: usize) -> bool {
        self.gather.gather(out, max)
    }
}

/// Gathering from a [`Source`], behind its box.
trait Gather<T> {
    /// Moves up to `max` more items into `out` (from the piece, then the flush); false once
    /// there are none left.
    fn gather(&mut self, out: &mut VecDeque<T>, max: usize) -> bool;

    /// The next item: from the piece, or else the first of the flush, whose others go to
    /// `out` (empty when called).
    fn next_item(&mut self, out: &mut VecDeque<T>) -> Option<T>;
}

/// The heap block a [`Pieces`] piece borrows: the inner iterator and its state.
type Parts<J> = (J, Option<<J as ParallelIterator>::State>);

/// A [`Source`]'s piece `P` of `J`, and the `Parts` block it borrows. The pieces run one
/// after the other over `0..base_len`, cut where the iterator asks (`cut_after`: a `chain`
/// whose first side flushes, `fold(..).chain(..)`, cannot run one piece that crosses into its
/// second side), all on the block's one state.
struct Pieces<J: ParallelIterator, P> {
    /// Declared first: dropped (in `drop`) before `parts` is freed.
    piece: Option<P>,
    /// From `Box::into_raw`; null once freed (after the flush).
    parts: *mut Parts<J>,
    /// Where the next piece starts (`None` once every base index was asked for), and the
    /// iterator's `base_len`.
    next: Option<usize>,
    len: usize,
    /// Makes the piece `start..end` of the block's iterator, on its state.
    open: unsafe fn(*mut Parts<J>, usize, usize) -> P,
}

impl<'a, J: ParallelIterator + 'a> Pieces<J, J::Piece<'a>> {
    fn start(iter: J) -> Box<dyn Gather<J::Item> + 'a> {
        let len = iter.base_len();
        let state = iter.state();
        let parts = Box::into_raw(Box::new((iter, Some(state))));
        let mut pieces = Pieces {
            piece: None,
            parts,
            next: Some(0),
            len,
            open: Self::open,
        };
        pieces.next_piece();
        Box::new(pieces)
    }

    /// The piece `start..end` of the iterator in `parts`, on its state.
    ///
    /// # Safety
    ///
    /// `parts` is a live block that only the calling `Pieces` reaches, and nothing reborrows
    /// it whole while the piece lives: the piece takes the iterator shared and the state
    /// unique, two disjoint fields, for as long as it lives (it is dropped before the next
    /// is made and before the block is freed, in `gather` or `drop`). `start..end` lies
    /// within `0..base_len` and was never asked for before, on this one state.
    unsafe fn open(parts: *mut Parts<J>, start: usize, end: usize) -> J::Piece<'a> {
        // SAFETY: the caller's promise.
        unsafe {
            let iter: &'a J = &(*parts).0;
            let state: &'a mut J::State = (*parts).1.as_mut().expect("the state is put");
            iter.piece(state, start, end)
        }
    }
}

impl<J: ParallelIterator, P> Pieces<J, P> {
    /// Makes the next piece (the last one gone), up to the iterator's next cut; false once
    /// every base index was asked for (`0..0` once, if there are none).
    fn next_piece(&mut self) -> bool {
        let Some(start) = self.next else {
            return false;
        };
        // SAFETY: the block is live until the flush, which comes only once `next` is
        // `None`; only this `Pieces` reaches it.
        let iter = unsafe { &(*self.parts).0 };
        // Past `start`, so that the pieces end whatever `cut_after` says (as `Drive::run`).
        let stop = iter.cut_after(start).max(start + 1).min(self.len);
        self.next = (stop < self.len).then_some(stop);
        debug_assert!(self.piece.is_none());
        // SAFETY: the last piece is gone; `start..stop` follows the pieces made before, so
        // each base index is asked for once (`open`'s promise).
        self.piece = Some(unsafe { (self.open)(self.parts, start, stop) });
        true
    }
}

impl<J: ParallelIterator, P: Iterator<Item = J::Item>> Gather<J::Item> for Pieces<J, P> {
    fn gather(&mut self, out: &mut VecDeque<J::Item>, max: usize) -> bool {
        let before = out.len();
        while let Some(piece) = &mut self.piece {
            let want = max - (out.len() - before);
            piece
                .by_ref()
                .take(want)
                .for_each(|item| out.push_back(item));
            if out.len() - before == max {
                return true;
            }
            // Ran out: the borrow of the block ends here, and the next piece (if any)
            // borrows it again.
            self.piece = None;
            self.next_piece();
        }
        if out.len() > before {
            return true;
        }
        if self.parts.is_null() {
            return false;
        }
        // SAFETY: the last piece is gone, so nothing borrows the block: it is ours again,
        // once.
        let (iter, state) = *unsafe { Box::from_raw(self.parts) };
        self.parts = std::ptr::null_mut();
        let before = out.len();
        if let Some(state) = state {
            out.extend(iter.flush(state));
        }
        out.len() > before
    }

    fn next_item(&mut self, out: &mut VecDeque<J::Item>) -> Option<J::Item> {
        while let Some(piece) = &mut self.piece {
            if let Some(item) = piece.next() {
                return Some(item);
            }
            // Ran out: the borrow of the block ends here; on to the next piece, if any.
            self.piece = None;
            self.next_piece();
        }
        // The flush, if not taken yet: its first item, the others left in `out`.
        self.gather(out, usize::MAX);
        out.pop_front()
    }
}

impl<J: ParallelIterator, P> Drop for Pieces<J, P> {
    fn drop(&mut self) {
        // The piece first: it borrows the block.
        self.piece = None;
        if !self.parts.is_null() {
            // SAFETY: as at the flush: nothing borrows the block any more.
            drop(unsafe { Box::from_raw(self.parts) });
        }
    }
}

impl<P, G, U, J> Iterator for Flattened<P, G, J>
where
    P: Iterator,
    G: Fn(P::Item) -> U,
    U: IntoParallelIterator<Iter = J, Item = J::Item>,
    J: ParallelIterator,
{
    type Item = J::Item;

    fn next(&mut self) -> Option<J::Item> {
        loop {
            if let Some(front) = &mut self.front {
                let next = if self.blind {
                    stop::blind(|| front.next())
                } else {
                    front.next()
                };
                if next.is_some() {
                    return next;
                }
            }
            // Another inner iterator: not once the early exit stepping through this piece
            // has its answer (`stop.rs`), which it looks at every `INNER_CHECK_EVERY` (the
            // items of those it starts go on to the early exit, which looks at its own).
            self.left -= 1;
            if self.left == 0 {
                self.left = INNER_CHECK_EVERY;
                if stop::requested(!self.blind) {
                    self.front = None;
                    return None;
                }
            }
            let outer = self.outer.next()?;
            self.front = Some(Stepped::new((self.g)(outer).into_par_iter()));
        }
    }

    /// What an early exit calls (`until` in `find.rs`): each indexed inner iterator runs
    /// as one piece with internal iteration, and only the rest of the one that has the hit
    /// is kept, to be stepped item by item. `f` looks at the stop check itself, as
    /// `until`'s does, so an endless inner iterator still stops.
    fn find_map<B, F>(&mut self, mut f: F) -> Option<B>
    where
        F: FnMut(J::Item) -> Option<B>,
    {
        if !J::INDEXED || self.blind {
            return find_map_by_next(self, f);
        }
        if let Some(front) = &mut self.front {
            while let Some(item) = front.next() {
                if let Some(hit) = f(item) {
                    return Some(hit);
                }
            }
            self.front = None;
        }
        loop {
            // As in `next`.
            self.left -= 1;
            if self.left == 0 {
                self.left = INNER_CHECK_EVERY;
                if stop::requested(!self.blind) {
                    return None;
                }
            }
            let inner = (self.g)(self.outer.next()?).into_par_iter();
            let mut state = inner.state();
            // Indexed: one item per base index, so the items taken are the indices asked.
            let mut taken = 0;
            // SAFETY: `0..base_len` is the whole of `inner`, asked for once here; a
            // `ByIndex` that resumes it asks only for the indices from `taken` on.
            let hit = unsafe { inner.piece(&mut state, 0, inner.base_len()) }.find_map(|x| {
                taken += 1;
                f(x)
            });
            if hit.is_some() {
                self.front = Some(Stepped::Indexed(ByIndex::resume(inner, state, taken)));
                return hit;
            }
            // The flush of an indexed iterator holds no items; it ends the state.
            inner.flush(state).for_each(drop);
        }
    }

    fn fold<B, F>(self, init: B, mut f: F) -> B
    where
        F: FnMut(B, J::Item) -> B,
    {
        let blind = self.blind;
        let acc = match self.front {
            Some(front) if blind => stop::blind(|| front.fold(init, &mut f)),
            Some(front) => front.fold(init, &mut f),
            None => init,
        };
        let g = self.g;
        self.outer.fold(acc, |acc, outer| {
            let inner = g(outer).into_par_iter();
            if blind {
                stop::blind(|| fold_whole(inner, acc, &mut f))
            } else {
                fold_whole(inner, acc, &mut f)
            }
        })
    }
}

/// `Iterator::find_map` as std writes it, through `next`.
#[inline]
fn find_map_by_next<I: Iterator, B>(
    items: &mut I,
    mut f: impl FnMut(I::Item) -> Option<B>,
) -> Option<B> {
    for item in items {
        if let Some(hit) = f(item) {
            return Some(hit);
        }
    }
    None
}

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::prelude::*;

    #[test]
    fn inner_iterators_of_every_kind_run_whole_and_in_order() {
        let pool = crate::ThreadPool::builder().num_threads(3).build().unwrap();
        pool.install(|| {
            let v: Vec<u32> = (0..50u32)
                .into_par_iter()
                .flat_map(|n| (0..n % 7).into_par_iter().map(move |k| n * 10 + k))
                .collect();
            let want: Vec<u32> = (0..50u32)
                .flat_map(|n| (0..n % 7).map(move |k| n * 10 + k))
                .collect();
            assert_eq!(v, want);
            // Inner iterators with a `fold` (they flush) and with a filter.
            let sums: Vec<u32> = (1..20u32)
                .into_par_iter()
                .flat_map(|n| (0..n).into_par_iter().fold(|| 0, |a, k| a + k))
                .collect();
            assert_eq!(
                sums.iter().sum::<u32>(),
                (1..20u32).map(|n| n * (n - 1) / 2).sum()
            );
            let found = (0..100u32)
                .into_par_iter()
                .flat_map(|n| vec![n; 3].into_par_iter().filter(move |_| n % 10 == 9))
                .find_first(|_| true);
            assert_eq!(found, Some(9));
            let nested: Vec<Vec<Vec<u8>>> = vec![vec![vec![1, 2], vec![3]], vec![], vec![vec![4]]];
            let flat: Vec<u8> = nested.into_par_iter().flatten().flatten().collect();
            assert_eq!(flat, [1, 2, 3, 4]);
        });
    }

    #[test]
    fn owned_inner_items_are_dropped_once_after_a_panic() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static MADE: AtomicUsize = AtomicUsize::new(0);
        static DROPPED: AtomicUsize = AtomicUsize::new(0);
        struct D;
        impl D {
            fn new() -> D {
                MADE.fetch_add(1, Ordering::Relaxed);
                D
            }
        }
        impl Drop for D {
            fn drop(&mut self) {
                DROPPED.fetch_add(1, Ordering::Relaxed);
            }
        }
        let outer = if cfg!(miri) { 6 } else { 200 };
        let seen = AtomicUsize::new(0);
        let pool = crate::ThreadPool::builder().num_threads(2).build().unwrap();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.install(|| {
                (0..outer)
                    .into_par_iter()
                    .flat_map(|_| (0..3).map(|_| D::new()).collect::<Vec<_>>())
                    .for_each(|_d| {
                        assert!(seen.fetch_add(1, Ordering::Relaxed) != outer, "boom");
                    })
            })
        }));
        assert!(r.is_err());
        assert_eq!(
            MADE.load(Ordering::Relaxed),
            DROPPED.load(Ordering::Relaxed)
        );
    }
}
