//! The consumers of the terminals that visit every item: `for_each`, `reduce`,
//! `reduce_with` (and `min`/`max` on it), `sum`, `product`, `count`.

use std::iter::{Product, Sum};
use std::marker::PhantomData;
use std::ops::Range;

use crate::iter::drive::Consumer;
use crate::loops::fold_apart;

/// `for_each`.
pub(crate) struct ForEach<F>(pub(crate) F);

impl<T, F> Consumer<T> for ForEach<F>
where
    F: Fn(T) + Sync,
{
    type Acc = ();

    #[inline]
    fn identity(&self) {}

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, _: (), _: Range<usize>, items: I) {
        items.for_each(&self.0);
    }

    #[inline]
    fn reduce(&self, _: (), _: ()) {}
}

/// `reduce`: `op` from `identity()`, in order.
pub(crate) struct Reduce<ID, OP> {
    pub(crate) identity: ID,
    pub(crate) op: OP,
}

impl<T, ID, OP> Consumer<T> for Reduce<ID, OP>
where
    T: Send,
    ID: Fn() -> T + Sync,
    OP: Fn(T, T) -> T + Sync,
{
    type Acc = T;

    #[inline]
    fn identity(&self) -> T {
        (self.identity)()
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, acc: T, _: Range<usize>, items: I) -> T {
        fold_apart(items, acc, &self.op)
    }

    #[inline]
    fn reduce(&self, left: T, right: T) -> T {
        (self.op)(left, right)
    }
}

/// `reduce_with`: `op` over the items, in order, `None` if there are none.
pub(crate) struct ReduceWith<OP>(pub(crate) OP);

impl<T, OP> Consumer<T> for ReduceWith<OP>
where
    T: Send,
    OP: Fn(T, T) -> T + Sync,
{
    type Acc = Option<T>;

    #[inline]
    fn identity(&self) -> Option<T> {
        None
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, acc: Option<T>, _: Range<usize>, items: I) -> Option<T> {
        let mut items = items;
        let acc = match acc {
            Some(acc) => acc,
            None => items.next()?,
        };
        Some(fold_apart(items, acc, &self.0))
    }

    #[inline]
    fn reduce(&self, left: Option<T>, right: Option<T>) -> Option<T> {
        match (left, right) {
            (Some(a), Some(b)) => Some((self.0)(a, b)),
            (a, b) => a.or(b),
        }
    }
}

/// `sum`: each piece sums its items, and the partial sums are summed in order.
pub(crate) struct SumOf<S>(PhantomData<fn() -> S>);

impl<S> SumOf<S> {
    pub(crate) fn new() -> Self {
        SumOf(PhantomData)
    }
}

impl<T, S> Consumer<T> for SumOf<S>
where
    S: Send + Sum<T> + Sum<S>,
{
    type Acc = S;

    #[inline]
    fn identity(&self) -> S {
        std::iter::empty::<T>().sum()
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, acc: S, _: Range<usize>, items: I) -> S {
        let part: S = items.sum();
        [acc, part].into_iter().sum()
    }

    #[inline]
    fn reduce(&self, left: S, right: S) -> S {
        [left, right].into_iter().sum()
    }
}

/// `product`: as [`SumOf`], multiplying.
pub(crate) struct ProductOf<P>(PhantomData<fn() -> P>);

impl<P> ProductOf<P> {
    pub(crate) fn new() -> Self {
        ProductOf(PhantomData)
    }
}

impl<T, P> Consumer<T> for ProductOf<P>
where
    P: Send + Product<T> + Product<P>,
{
    type Acc = P;

    #[inline]
    fn identity(&self) -> P {
        std::iter::empty::<T>().product()
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, acc: P, _: Range<usize>, items: I) -> P {
        let part: P = items.product();
        [acc, part].into_iter().product()
    }

    #[inline]
    fn reduce(&self, left: P, right: P) -> P {
        [left, right].into_iter().product()
    }
}

/// `count`.
pub(crate) struct Count;

impl<T> Consumer<T> for Count {
    type Acc = usize;

    #[inline]
    fn identity(&self) -> usize {
        0
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, acc: usize, _: Range<usize>, items: I) -> usize {
        acc + items.count()
    }

    #[inline]
    fn reduce(&self, left: usize, right: usize) -> usize {
        left + right
    }
}
