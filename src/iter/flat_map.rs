//! [`FlatMap`] and [`Flatten`]: items that are themselves parallel iterators (rayon's
//! `flat_map` and `flatten`), yielded in turn.
//!
//! The outer iterator is cut into pieces as usual; an inner iterator runs whole, in order,
//! inside the piece of its outer item, on the worker that runs that piece: it is driven as
//! one piece of its own (`piece(0..base_len)` and its `flush`). The parallelism is the outer
//! iterator's, as with `flat_map_iter`; a few outer items with long inner iterators keep
//! only as many workers busy as there are outer items. Folding a piece (what `sum`,
//! `for_each`, `collect` and `fold` do) streams each inner iterator's items; stepping it
//! item by item (`next`, as `find_first` does) gathers a stretch of its items at a time in
//! a `Vec` (see `Stepped`).

use std::fmt;

use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::iter::stop;
use crate::iter::{IntoParallelIterator, ParallelIterator};

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
        Flattened::new(unsafe { self.base.piece(state, start, end) }, &self.f)
    }

    #[inline]
    fn flush<'p>(&'p self, state: I::State) -> Self::Flush<'p> {
        Flattened::new(self.base.flush(state), &self.f)
    }

    #[inline]
    fn dry_from(&self, start: usize) -> bool {
        self.base.dry_from(start)
    }

    #[inline]
    fn cut_after(&self, start: usize) -> usize {
        self.base.cut_after(start)
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
}

/// A piece of [`FlatMap`] or [`Flatten`]: the outer piece's items, each turned into a
/// parallel iterator `J` by `g` and run whole, in order.
#[doc(hidden)]
pub struct Flattened<P, G, J: ParallelIterator> {
    outer: P,
    g: G,
    /// The inner iterator that `next` is stepping through, if any.
    front: Option<Stepped<J>>,
}

impl<P, G, J: ParallelIterator> Flattened<P, G, J> {
    fn new(outer: P, g: G) -> Self {
        Flattened {
            outer,
            g,
            front: None,
        }
    }
}

impl<P, G, J: ParallelIterator> fmt::Debug for Flattened<P, G, J> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Flattened").finish_non_exhaustive()
    }
}

/// Folds every item of `inner`, in order, as one piece on this thread.
///
/// No stop check (`stop.rs`): the early exits step through their pieces (`Stepped`).
fn fold_whole<J, B>(inner: J, init: B, f: &mut impl FnMut(B, J::Item) -> B) -> B
where
    J: ParallelIterator,
{
    let len = inner.base_len();
    let mut state = inner.state();
    // SAFETY: `0..len` is the whole of `inner`, asked for once: `inner` is ours, and
    // dropped at the end of this call.
    let acc = unsafe { inner.piece(&mut state, 0, len) }.fold(init, &mut *f);
    inner.flush(state).fold(acc, f)
}

/// The first stretch of base indices a [`Stepped`] gathers; each next one is twice as long,
/// up to [`MAX_STRETCH`].
const FIRST_STRETCH: usize = 16;
/// The longest stretch a [`Stepped`] gathers at once.
const MAX_STRETCH: usize = 4096;

/// An inner iterator stepped item by item (what `next`, and so `find_first`, `any`,
/// `try_for_each` and the other early exits, do): a piece borrows its iterator, so it cannot
/// be kept between two calls of `next`. Its base indices are taken instead as a chain of
/// pieces of growing length (16 to 4,096), each gathered in a `Vec`, then its `flush`. So
/// stepping holds at most one stretch of items, and an early exit stops after the stretch
/// that held its answer. Before each stretch it looks at the stop check of the early exit
/// stepping through it (`stop.rs`), and ends there once the answer is known elsewhere.
/// (Gathering the whole inner iterator at once, as this used to, made a `find_first` over
/// `flat_map` of ranges of 10^8 items allocate 1.5 GB, and rayon's `octillion` tests run out
/// of memory.)
///
/// A limit: when `J` is itself a `flat_map` (one written inside another's closure), a
/// stretch gathers every item of its inner iterators before the search sees any, however
/// many there are. Stepping `J`'s piece lazily across calls of `next` would fix it, but the
/// piece borrows `iter` and `state`, which this struct owns.
struct Stepped<J: ParallelIterator> {
    iter: J,
    /// The chain's state, until the flush.
    state: Option<J::State>,
    /// The first base index not gathered yet.
    at: usize,
    stretch: usize,
    gathered: std::vec::IntoIter<J::Item>,
}

impl<J: ParallelIterator> Stepped<J> {
    fn new(iter: J) -> Self {
        let state = Some(iter.state());
        Stepped {
            iter,
            state,
            at: 0,
            stretch: FIRST_STRETCH,
            gathered: Vec::new().into_iter(),
        }
    }

    /// Gathers the next stretch (or the flush); false once there is nothing left, or once
    /// the early exit stepping through it has its answer (`stop.rs`).
    fn gather(&mut self) -> bool {
        let len = self.iter.base_len();
        let Some(state) = &mut self.state else {
            return false;
        };
        if stop::requested() {
            self.state = None;
            return false;
        }
        let items: Vec<J::Item> = if self.at < len && !self.iter.dry_from(self.at) {
            let end = self.at + self.stretch.min(len - self.at);
            // SAFETY: the chain asks for `0..len` in consecutive, disjoint stretches, each
            // once, on the one state, as a loop's chain of pieces does; `iter` is ours.
            let items = unsafe { self.iter.piece(state, self.at, end) }.collect();
            self.at = end;
            self.stretch = (self.stretch * 2).min(MAX_STRETCH);
            items
        } else {
            let state = self.state.take().expect("the state until the flush");
            self.iter.flush(state).collect()
        };
        self.gathered = items.into_iter();
        true
    }

    fn next(&mut self) -> Option<J::Item> {
        loop {
            if let Some(item) = self.gathered.next() {
                return Some(item);
            }
            if !self.gather() {
                return None;
            }
        }
    }

    /// Folds what is left: the gathered items, then the rest as one piece, then the flush.
    fn fold<B>(mut self, init: B, f: &mut impl FnMut(B, J::Item) -> B) -> B {
        let mut acc = self.gathered.fold(init, &mut *f);
        let Some(mut state) = self.state.take() else {
            return acc;
        };
        let len = self.iter.base_len();
        if self.at < len {
            // SAFETY: as in `gather`: the rest of the chain, asked for once.
            acc = unsafe { self.iter.piece(&mut state, self.at, len) }.fold(acc, &mut *f);
        }
        self.iter.flush(state).fold(acc, f)
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
            if let Some(item) = self.front.as_mut().and_then(Stepped::next) {
                return Some(item);
            }
            // Another inner iterator: not once the early exit stepping through this piece
            // has its answer (`stop.rs`).
            if stop::requested() {
                self.front = None;
                return None;
            }
            let outer = self.outer.next()?;
            self.front = Some(Stepped::new((self.g)(outer).into_par_iter()));
        }
    }

    fn fold<B, F>(self, init: B, mut f: F) -> B
    where
        F: FnMut(B, J::Item) -> B,
    {
        let acc = match self.front {
            Some(front) => front.fold(init, &mut f),
            None => init,
        };
        let g = self.g;
        self.outer.fold(acc, |acc, outer| {
            fold_whole(g(outer).into_par_iter(), acc, &mut f)
        })
    }
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
