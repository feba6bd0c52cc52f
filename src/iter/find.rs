//! The consumers of the searches that stop early: `any` (and `all`), `find_any`,
//! `find_first`, `find_last`, `position_any`, `position_first`, `position_last` (the
//! `find_map_*` searches are `map` then a `find_*`).
//!
//! A search that found its answer tells the loop it is done (`Consumer::done`), which stops
//! handing out pieces; a running piece looks every [`CHECK_EVERY`] items, so a long piece
//! (one block per worker under `Schedule::Static`) stops soon too. `find_first` and
//! `position_first` cannot stop the whole loop: an item before the one found may still be
//! running. They keep the lowest base index where an item was found, and skip pieces that
//! start after it.
//!
//! `find_last` and `position_last` are their mirror image: they keep where the latest
//! piece that found something starts, skip pieces that end before it, and stop a running
//! piece that some later piece has beaten. A piece is an iterator that runs forwards, so
//! they look at every item of a piece they run to the end (the last match of the piece is
//! the one they want). Their loops run block by block from the end (`drive_back`), so that
//! a match near the end is found without running the whole loop first.
//!
//! The flags are hints to skip work: the answer itself travels through the loop's joins,
//! so every atomic here is `Relaxed`.

use std::ops::{ControlFlow, Range};

use crate::iter::drive::Consumer;
use crate::loom::{AtomicBool, AtomicUsize, Ordering};

use crate::iter::stop::CHECK_EVERY;

/// Runs `f` on `items` until it breaks (its value is returned) or they run out, asking
/// `stop()` every `CHECK_EVERY` items whether to give up (then `None`).
///
/// Through `Iterator::find_map`, which an iterator may override on stable Rust (unlike
/// `try_fold`): a `flat_map`'s piece runs each indexed inner iterator with internal
/// iteration there (`flat_map.rs`), where stepping it item by item cost 3 to 5 times as
/// much. An override may count on the closure to look at the stop check, and on nothing
/// being asked of the iterator once it has returned `Some`.
#[inline]
pub(crate) fn until<T, B>(
    mut items: impl Iterator<Item = T>,
    stop: impl Fn() -> bool,
    mut f: impl FnMut(T) -> ControlFlow<B>,
) -> Option<B> {
    // One countdown in the item loop (not a `take` per stretch): a cheap predicate then
    // costs about what it costs in std's `any`.
    let mut left = CHECK_EVERY;
    items
        .find_map(|x| {
            if let ControlFlow::Break(b) = f(x) {
                return Some(Some(b));
            }
            left -= 1;
            if left == 0 {
                if stop() {
                    return Some(None);
                }
                left = CHECK_EVERY;
            }
            None
        })
        .flatten()
}

/// `f` with each item's base index, counted up from `start`: the items of an indexed
/// piece are its base indices in order. A counter rather than `at.zip(items)`, whose zip
/// steps a piece without std's random-access fast path (a chain's) with `next`, past the
/// piece's own `find_map`.
#[inline]
fn numbered<T, B>(
    mut start: usize,
    mut f: impl FnMut(usize, T) -> ControlFlow<B>,
) -> impl FnMut(T) -> ControlFlow<B> {
    move |x| {
        let i = start;
        start += 1;
        f(i, x)
    }
}

/// A flag that an early exit raises once its answer is known.
struct Found(AtomicBool);

impl Found {
    fn new() -> Self {
        Found(AtomicBool::new(false))
    }

    #[inline]
    fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    #[inline]
    fn set(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// `any`: true once `predicate` holds for one item.
pub(crate) struct Any<P> {
    predicate: P,
    found: Found,
}

impl<P> Any<P> {
    pub(crate) fn new(predicate: P) -> Self {
        Any {
            predicate,
            found: Found::new(),
        }
    }
}

impl<T, P> Consumer<T> for Any<P>
where
    P: Fn(T) -> bool + Sync,
{
    type Acc = bool;
    const EARLY_EXIT: bool = true;

    #[inline]
    fn identity(&self) -> bool {
        false
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, acc: bool, _: Range<usize>, items: I) -> bool {
        if acc {
            return true;
        }
        let hit = until(
            items,
            || self.found.get(),
            |x| match (self.predicate)(x) {
                true => ControlFlow::Break(()),
                false => ControlFlow::Continue(()),
            },
        );
        if hit.is_some() {
            self.found.set();
        }
        hit.is_some()
    }

    #[inline]
    fn reduce(&self, left: bool, right: bool) -> bool {
        left || right
    }

    #[inline]
    fn done(&self) -> bool {
        self.found.get()
    }
}

/// `find_any`: some item for which `predicate` holds.
pub(crate) struct FindAny<P> {
    predicate: P,
    found: Found,
}

impl<P> FindAny<P> {
    pub(crate) fn new(predicate: P) -> Self {
        FindAny {
            predicate,
            found: Found::new(),
        }
    }
}

impl<T, P> Consumer<T> for FindAny<P>
where
    T: Send,
    P: Fn(&T) -> bool + Sync,
{
    type Acc = Option<T>;
    const EARLY_EXIT: bool = true;

    #[inline]
    fn identity(&self) -> Option<T> {
        None
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, acc: Option<T>, _: Range<usize>, items: I) -> Option<T> {
        if acc.is_some() {
            return acc;
        }
        let hit = until(
            items,
            || self.found.get(),
            |x| match (self.predicate)(&x) {
                true => ControlFlow::Break(x),
                false => ControlFlow::Continue(()),
            },
        );
        if hit.is_some() {
            self.found.set();
        }
        hit
    }

    #[inline]
    fn reduce(&self, left: Option<T>, right: Option<T>) -> Option<T> {
        left.or(right)
    }

    #[inline]
    fn done(&self) -> bool {
        self.found.get()
    }
}

/// The lowest base index where a `_first` search found something (`usize::MAX`: nowhere
/// yet).
struct Best(AtomicUsize);

impl Best {
    fn new() -> Self {
        Best(AtomicUsize::new(usize::MAX))
    }

    /// True if something was found before base index `at`.
    #[inline]
    fn before(&self, at: usize) -> bool {
        self.0.load(Ordering::Relaxed) < at
    }

    #[inline]
    fn record(&self, at: usize) {
        self.0.fetch_min(at, Ordering::Relaxed);
    }
}

/// `find_first`: the first item for which `predicate` holds. A piece that finds one
/// records its start: every piece that starts later holds only later items.
pub(crate) struct FindFirst<P> {
    predicate: P,
    best: Best,
}

impl<P> FindFirst<P> {
    pub(crate) fn new(predicate: P) -> Self {
        FindFirst {
            predicate,
            best: Best::new(),
        }
    }
}

impl<T, P> Consumer<T> for FindFirst<P>
where
    T: Send,
    P: Fn(&T) -> bool + Sync,
{
    type Acc = Option<T>;
    const EARLY_EXIT: bool = true;

    #[inline]
    fn identity(&self) -> Option<T> {
        None
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, acc: Option<T>, at: Range<usize>, items: I) -> Option<T> {
        if acc.is_some() {
            // The chain already holds an earlier item.
            return acc;
        }
        let hit = until(
            items,
            || self.best.before(at.start),
            |x| match (self.predicate)(&x) {
                true => ControlFlow::Break(x),
                false => ControlFlow::Continue(()),
            },
        );
        if hit.is_some() {
            self.best.record(at.start);
        }
        hit
    }

    #[inline]
    fn reduce(&self, left: Option<T>, right: Option<T>) -> Option<T> {
        left.or(right)
    }

    #[inline]
    fn skip(&self, at: usize) -> bool {
        self.best.before(at)
    }
}

/// `position_any` (indexed iterators): the index of some item for which `predicate` holds.
pub(crate) struct PositionAny<P> {
    predicate: P,
    found: Found,
}

impl<P> PositionAny<P> {
    pub(crate) fn new(predicate: P) -> Self {
        PositionAny {
            predicate,
            found: Found::new(),
        }
    }
}

impl<T, P> Consumer<T> for PositionAny<P>
where
    P: Fn(T) -> bool + Sync,
{
    type Acc = Option<usize>;
    const EARLY_EXIT: bool = true;

    #[inline]
    fn identity(&self) -> Option<usize> {
        None
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(
        &self,
        acc: Option<usize>,
        at: Range<usize>,
        items: I,
    ) -> Option<usize> {
        if acc.is_some() {
            return acc;
        }
        let hit = until(
            items,
            || self.found.get(),
            numbered(at.start, |i, x| match (self.predicate)(x) {
                true => ControlFlow::Break(i),
                false => ControlFlow::Continue(()),
            }),
        );
        if hit.is_some() {
            self.found.set();
        }
        hit
    }

    #[inline]
    fn reduce(&self, left: Option<usize>, right: Option<usize>) -> Option<usize> {
        left.or(right)
    }

    #[inline]
    fn done(&self) -> bool {
        self.found.get()
    }
}

/// `position_first` (indexed iterators): the index of the first item for which
/// `predicate` holds.
pub(crate) struct PositionFirst<P> {
    predicate: P,
    best: Best,
}

impl<P> PositionFirst<P> {
    pub(crate) fn new(predicate: P) -> Self {
        PositionFirst {
            predicate,
            best: Best::new(),
        }
    }
}

impl<T, P> Consumer<T> for PositionFirst<P>
where
    P: Fn(T) -> bool + Sync,
{
    type Acc = Option<usize>;
    const EARLY_EXIT: bool = true;

    #[inline]
    fn identity(&self) -> Option<usize> {
        None
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(
        &self,
        acc: Option<usize>,
        at: Range<usize>,
        items: I,
    ) -> Option<usize> {
        if acc.is_some() {
            return acc;
        }
        let start = at.start;
        let hit = until(
            items,
            || self.best.before(start),
            numbered(start, |i, x| match (self.predicate)(x) {
                true => ControlFlow::Break(i),
                false => ControlFlow::Continue(()),
            }),
        );
        if let Some(i) = hit {
            self.best.record(i);
        }
        hit
    }

    #[inline]
    fn reduce(&self, left: Option<usize>, right: Option<usize>) -> Option<usize> {
        left.or(right)
    }

    #[inline]
    fn skip(&self, at: usize) -> bool {
        self.best.before(at)
    }
}

/// The greatest base index after which a `_last` search found something: a piece that ends
/// at or before it cannot change the result (0: nothing found yet, or only in a piece that
/// starts at 0, which no other piece ends before).
struct Latest(AtomicUsize);

impl Latest {
    fn new() -> Self {
        Latest(AtomicUsize::new(0))
    }

    /// True if something was found at base index `end` or later: nothing before `end` can
    /// change the result.
    #[inline]
    fn beyond(&self, end: usize) -> bool {
        self.0.load(Ordering::Relaxed) >= end
    }

    #[inline]
    fn record(&self, at: usize) {
        self.0.fetch_max(at, Ordering::Relaxed);
    }
}

/// `find_last`: the last item for which `predicate` holds. A piece that finds one records
/// its start once; it then runs to its end, keeping the last match.
pub(crate) struct FindLast<P> {
    predicate: P,
    latest: Latest,
}

impl<P> FindLast<P> {
    pub(crate) fn new(predicate: P) -> Self {
        FindLast {
            predicate,
            latest: Latest::new(),
        }
    }
}

impl<T, P> Consumer<T> for FindLast<P>
where
    T: Send,
    P: Fn(&T) -> bool + Sync,
{
    type Acc = Option<T>;
    const EARLY_EXIT: bool = true;

    #[inline]
    fn identity(&self) -> Option<T> {
        None
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, acc: Option<T>, at: Range<usize>, items: I) -> Option<T> {
        let mut last = None;
        // Stops (returning nothing) only once a later piece found something: what this
        // piece holds then cannot be the answer.
        let _: Option<std::convert::Infallible> = until(
            items,
            || self.latest.beyond(at.end),
            |x| {
                if (self.predicate)(&x) {
                    if last.is_none() {
                        self.latest.record(at.start);
                    }
                    last = Some(x);
                }
                ControlFlow::Continue(())
            },
        );
        // The chain's pieces come in order: a match here is later than `acc`'s.
        last.or(acc)
    }

    #[inline]
    fn reduce(&self, left: Option<T>, right: Option<T>) -> Option<T> {
        right.or(left)
    }

    #[inline]
    fn skip_piece(&self, at: &Range<usize>) -> bool {
        self.latest.beyond(at.end)
    }
}

/// `position_last` (indexed iterators): the index of the last item for which `predicate`
/// holds.
pub(crate) struct PositionLast<P> {
    predicate: P,
    latest: Latest,
}

impl<P> PositionLast<P> {
    pub(crate) fn new(predicate: P) -> Self {
        PositionLast {
            predicate,
            latest: Latest::new(),
        }
    }
}

impl<T, P> Consumer<T> for PositionLast<P>
where
    P: Fn(T) -> bool + Sync,
{
    type Acc = Option<usize>;
    const EARLY_EXIT: bool = true;

    #[inline]
    fn identity(&self) -> Option<usize> {
        None
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(
        &self,
        acc: Option<usize>,
        at: Range<usize>,
        items: I,
    ) -> Option<usize> {
        let mut last = None;
        let end = at.end;
        let _: Option<std::convert::Infallible> = until(
            // The zip, not `numbered`: with the counter a slice's loop here took one more
            // instruction per item (callgrind, 7 to 8), so a chain's piece is still
            // stepped with `next` here.
            at.zip(items),
            || self.latest.beyond(end),
            |(i, x)| {
                if (self.predicate)(x) {
                    if last.is_none() {
                        self.latest.record(i);
                    }
                    last = Some(i);
                }
                ControlFlow::Continue(())
            },
        );
        last.or(acc)
    }

    #[inline]
    fn reduce(&self, left: Option<usize>, right: Option<usize>) -> Option<usize> {
        right.or(left)
    }

    #[inline]
    fn skip_piece(&self, at: &Range<usize>) -> bool {
        self.latest.beyond(at.end)
    }
}
