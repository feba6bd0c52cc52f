//! Adaptors that let items through until some item, anywhere in the loop, closes them, and
//! then stop the loop: [`TakeAny`], [`SkipAny`], [`TakeAnyWhile`], [`SkipAnyWhile`] and
//! [`WhileSome`], as rayon's. Which items they let through depends on which pieces run
//! first, as in rayon (hence "any"). Each is a [`Gate`] with its own [`Rule`]: the rule
//! holds the shared state (an atomic count or flag), decides each item's fate, and says
//! when nothing more can pass, which `dry_from` tells the loop so that it stops handing
//! out pieces.

use std::fmt;

use crate::iter::ParallelIterator;
use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::loom::{AtomicBool, AtomicUsize, Ordering};

/// What a [`Gate`] does with each item.
#[doc(hidden)]
pub trait Rule<T>: Sync + Send {
    /// What passes.
    type Out: Send;
    /// The item's fate: `Some` passes it on (mapped), `None` drops it.
    fn admit(&self, item: T) -> Option<Self::Out>;
    /// True once no item can pass any more.
    fn closed(&self) -> bool;
    /// False if [`closed`](Self::closed) never turns true.
    const CLOSES: bool = true;
}

/// An adaptor that filters its base's items through a [`Rule`] (see the module docs).
#[doc(hidden)]
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
#[derive(Clone)]
pub struct Gate<I, R> {
    base: I,
    rule: R,
}

impl<I, R> Gate<I, R> {
    pub(crate) fn new(base: I, rule: R) -> Self {
        Gate { base, rule }
    }
}

impl<I: fmt::Debug, R> fmt::Debug for Gate<I, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gate")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl<I, R> Sealed for Gate<I, R> {}

impl<I, R> ParallelIterator for Gate<I, R>
where
    I: ParallelIterator,
    R: Rule<I::Item>,
{
    type Item = R::Out;
    type State = I::State;
    type Piece<'p>
        = GatePiece<'p, I::Piece<'p>, R>
    where
        Self: 'p;
    type Flush<'p>
        = GatePiece<'p, I::Flush<'p>, R>
    where
        Self: 'p;
    const INDEXED: bool = false;
    const FLUSHES: bool = I::FLUSHES;
    const CUTS_SHORT: bool = I::CUTS_SHORT;
    const BOUNDLESS: bool = I::BOUNDLESS;
    const CLOSES: bool = I::CLOSES || <R as Rule<I::Item>>::CLOSES;

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
        GatePiece {
            // SAFETY: forwarded: the caller's promise is the one the base needs.
            items: unsafe { self.base.piece(state, start, end) },
            rule: &self.rule,
        }
    }

    #[inline]
    fn flush<'p>(&'p self, state: I::State) -> Self::Flush<'p> {
        GatePiece {
            items: self.base.flush(state),
            rule: &self.rule,
        }
    }

    #[inline]
    fn dry_from(&self, start: usize) -> bool {
        self.rule.closed() || self.base.dry_from(start)
    }

    #[inline]
    fn dry_within(&self, start: usize, end: usize) -> bool {
        self.rule.closed() || self.base.dry_within(start, end)
    }

    #[inline]
    fn live_from(&self, start: usize) -> usize {
        if self.rule.closed() {
            return self.base_len();
        }
        self.base.live_from(start)
    }

    #[inline]
    fn cut_after(&self, start: usize) -> usize {
        self.base.cut_after(start)
    }

    #[inline]
    fn seam_before(&self, end: usize) -> usize {
        self.base.seam_before(end)
    }
}

/// A piece (or flush) of a [`Gate`].
#[doc(hidden)]
pub struct GatePiece<'p, P, R> {
    items: P,
    rule: &'p R,
}

impl<P, R> fmt::Debug for GatePiece<'_, P, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatePiece").finish_non_exhaustive()
    }
}

impl<P, R> Iterator for GatePiece<'_, P, R>
where
    P: Iterator,
    R: Rule<P::Item>,
{
    type Item = R::Out;

    #[inline]
    fn next(&mut self) -> Option<R::Out> {
        loop {
            if self.rule.closed() {
                return None;
            }
            let item = self.items.next()?;
            if let Some(out) = self.rule.admit(item) {
                return Some(out);
            }
        }
    }
}

/// The rule of [`take_any`](ParallelIterator::take_any): the first `n` items to arrive.
#[doc(hidden)]
#[derive(Debug)]
pub struct TakeN {
    n: usize,
    taken: AtomicUsize,
}

impl<T: Send> Rule<T> for TakeN {
    type Out = T;

    #[inline]
    fn admit(&self, item: T) -> Option<T> {
        // Relaxed: a count; the items themselves travel with the loop's own hand-offs.
        (self.taken.fetch_add(1, Ordering::Relaxed) < self.n).then_some(item)
    }

    #[inline]
    fn closed(&self) -> bool {
        self.taken.load(Ordering::Relaxed) >= self.n
    }
}

/// The rule of [`skip_any`](ParallelIterator::skip_any): all but the first `n` items to
/// arrive.
#[doc(hidden)]
#[derive(Debug)]
pub struct SkipN {
    n: usize,
    skipped: AtomicUsize,
}

impl<T: Send> Rule<T> for SkipN {
    type Out = T;

    #[inline]
    fn admit(&self, item: T) -> Option<T> {
        // Once `n` are skipped, a load: no shared write per item.
        if self.skipped.load(Ordering::Relaxed) >= self.n
            || self.skipped.fetch_add(1, Ordering::Relaxed) >= self.n
        {
            return Some(item);
        }
        None
    }

    const CLOSES: bool = false;

    #[inline]
    fn closed(&self) -> bool {
        false
    }
}

/// The rule of [`take_any_while`](ParallelIterator::take_any_while): items until one fails
/// the predicate.
#[doc(hidden)]
pub struct TakeWhile<P> {
    predicate: P,
    stopped: AtomicBool,
}

impl<P> fmt::Debug for TakeWhile<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TakeWhile")
            .field("stopped", &self.stopped)
            .finish_non_exhaustive()
    }
}

impl<T: Send, P: Fn(&T) -> bool + Sync + Send> Rule<T> for TakeWhile<P> {
    type Out = T;

    #[inline]
    fn admit(&self, item: T) -> Option<T> {
        if (self.predicate)(&item) {
            return Some(item);
        }
        self.stopped.store(true, Ordering::Relaxed);
        None
    }

    #[inline]
    fn closed(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
    }
}

/// The rule of [`skip_any_while`](ParallelIterator::skip_any_while): items from the first
/// that fails the predicate on.
#[doc(hidden)]
pub struct SkipWhile<P> {
    predicate: P,
    skipping: AtomicBool,
}

impl<P> fmt::Debug for SkipWhile<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SkipWhile")
            .field("skipping", &self.skipping)
            .finish_non_exhaustive()
    }
}

impl<T: Send, P: Fn(&T) -> bool + Sync + Send> Rule<T> for SkipWhile<P> {
    type Out = T;

    #[inline]
    fn admit(&self, item: T) -> Option<T> {
        if !self.skipping.load(Ordering::Relaxed) {
            return Some(item);
        }
        if (self.predicate)(&item) {
            return None;
        }
        self.skipping.store(false, Ordering::Relaxed);
        Some(item)
    }

    const CLOSES: bool = false;

    #[inline]
    fn closed(&self) -> bool {
        false
    }
}

/// The rule of [`while_some`](ParallelIterator::while_some): the `Some` items' values
/// until a `None`.
#[doc(hidden)]
#[derive(Debug)]
pub struct SomeUntilNone {
    stopped: AtomicBool,
}

impl<T: Send> Rule<Option<T>> for SomeUntilNone {
    type Out = T;

    #[inline]
    fn admit(&self, item: Option<T>) -> Option<T> {
        if item.is_none() {
            self.stopped.store(true, Ordering::Relaxed);
        }
        item
    }

    #[inline]
    fn closed(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
    }
}

/// The parallel iterator of [`ParallelIterator::take_any`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::TakeAny<_> = (0..100u32).into_par_iter().take_any(3);
/// assert_eq!(it.count(), 3);
/// ```
pub type TakeAny<I> = Gate<I, TakeN>;

/// The parallel iterator of [`ParallelIterator::skip_any`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::SkipAny<_> = (0..100u32).into_par_iter().skip_any(3);
/// assert_eq!(it.count(), 97);
/// ```
pub type SkipAny<I> = Gate<I, SkipN>;

/// The parallel iterator of [`ParallelIterator::take_any_while`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::TakeAnyWhile<_, _> = (0..100u32).into_par_iter().take_any_while(|&x| x < 50);
/// assert!(it.collect::<Vec<_>>().iter().all(|&x| x < 50));
/// ```
pub type TakeAnyWhile<I, P> = Gate<I, TakeWhile<P>>;

/// The parallel iterator of [`ParallelIterator::skip_any_while`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::SkipAnyWhile<_, _> = (0..100u32).into_par_iter().skip_any_while(|&x| x < 50);
/// assert!(it.collect::<Vec<_>>().contains(&99));
/// ```
pub type SkipAnyWhile<I, P> = Gate<I, SkipWhile<P>>;

/// The parallel iterator of [`ParallelIterator::while_some`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::WhileSome<_> = (0..10u32).into_par_iter().map(Some).while_some();
/// assert_eq!(it.count(), 10);
/// ```
pub type WhileSome<I> = Gate<I, SomeUntilNone>;

pub(crate) fn take_n(n: usize) -> TakeN {
    TakeN {
        n,
        taken: AtomicUsize::new(0),
    }
}

pub(crate) fn skip_n(n: usize) -> SkipN {
    SkipN {
        n,
        skipped: AtomicUsize::new(0),
    }
}

pub(crate) fn take_while<P>(predicate: P) -> TakeWhile<P> {
    TakeWhile {
        predicate,
        stopped: AtomicBool::new(false),
    }
}

pub(crate) fn skip_while<P>(predicate: P) -> SkipWhile<P> {
    SkipWhile {
        predicate,
        skipping: AtomicBool::new(true),
    }
}

pub(crate) fn some_until_none() -> SomeUntilNone {
    SomeUntilNone {
        stopped: AtomicBool::new(false),
    }
}

// A gate's iterator clones with its rule as it was built: an iterator value that still
// exists has not run (a terminal consumes it), so its counters and flags are at their start.

impl Clone for TakeN {
    fn clone(&self) -> Self {
        take_n(self.n)
    }
}

impl Clone for SkipN {
    fn clone(&self) -> Self {
        skip_n(self.n)
    }
}

impl<P: Clone> Clone for TakeWhile<P> {
    fn clone(&self) -> Self {
        take_while(self.predicate.clone())
    }
}

impl<P: Clone> Clone for SkipWhile<P> {
    fn clone(&self) -> Self {
        skip_while(self.predicate.clone())
    }
}

impl Clone for SomeUntilNone {
    fn clone(&self) -> Self {
        some_until_none()
    }
}
