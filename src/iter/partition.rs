//! Two collections filled by one loop: [`ParallelExtend`] for pairs `(A, B)`, from pair
//! items (each side gets its half) or from [`Either`] items (each side gets its kind). What
//! `partition` and `partition_map` build on.
//!
//! The loop sorts the items into a `Vec` per side (written in place for pairs from an
//! indexed iterator, else one per chain of pieces, joined in order); then each side is
//! extended with its `Vec`, as an indexed parallel iterator, the two sides at once (`join`).
//! So each item is moved twice, and a `Vec` side is filled in place, in parallel.

use either::Either;

use crate::iter::collect::{collect_parts, unzip};
use crate::iter::concat::concat;
use crate::iter::{IntoParallelIterator, ParallelExtend};

/// Extends `a` with `left` and `b` with `right`, the two at once.
fn extend_both<A, B, L, R>(a: &mut A, b: &mut B, left: Vec<L>, right: Vec<R>)
where
    A: ParallelExtend<L> + Send,
    B: ParallelExtend<R> + Send,
    L: Send,
    R: Send,
{
    crate::join(
        || a.par_extend_from_vec(left),
        || b.par_extend_from_vec(right),
    );
}

impl<A, B, T, U> ParallelExtend<(T, U)> for (A, B)
where
    A: ParallelExtend<T> + Send,
    B: ParallelExtend<U> + Send,
    T: Send,
    U: Send,
{
    /// Extends `self.0` with the first halves of the items and `self.1` with the second
    /// halves, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    /// use std::collections::BTreeSet;
    ///
    /// let mut pair = (Vec::new(), BTreeSet::new());
    /// pair.par_extend((0..4u32).into_par_iter().map(|x| (x, x % 2)));
    /// assert_eq!(pair, (vec![0, 1, 2, 3], BTreeSet::from([0, 1])));
    /// ```
    fn par_extend<I: IntoParallelIterator<Item = (T, U)>>(&mut self, par_iter: I) {
        let (left, right) = unzip(par_iter.into_par_iter());
        extend_both(&mut self.0, &mut self.1, left, right);
    }
}

/// A chain's items sorted by side.
struct Sides<L, R>(Vec<L>, Vec<R>);

impl<L, R> Default for Sides<L, R> {
    fn default() -> Self {
        Sides(Vec::new(), Vec::new())
    }
}

impl<L, R> Extend<Either<L, R>> for Sides<L, R> {
    fn extend<I: IntoIterator<Item = Either<L, R>>>(&mut self, items: I) {
        for item in items {
            match item {
                Either::Left(l) => self.0.push(l),
                Either::Right(r) => self.1.push(r),
            }
        }
    }
}

impl<A, B, L, R> ParallelExtend<Either<L, R>> for (A, B)
where
    A: ParallelExtend<L> + Send,
    B: ParallelExtend<R> + Send,
    L: Send,
    R: Send,
{
    /// Extends `self.0` with the `Left` items and `self.1` with the `Right` items, each in
    /// order.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::iter::Either;
    /// use brigade::prelude::*;
    ///
    /// let mut pair: (Vec<u32>, String) = (vec![7], String::new());
    /// pair.par_extend(
    ///     (0..6u32).into_par_iter().map(|x| if x % 2 == 0 { Either::Left(x) } else { Either::Right('o') }),
    /// );
    /// assert_eq!(pair, (vec![7, 0, 2, 4], String::from("ooo")));
    /// ```
    fn par_extend<I: IntoParallelIterator<Item = Either<L, R>>>(&mut self, par_iter: I) {
        let parts: Vec<Sides<L, R>> = collect_parts(par_iter.into_par_iter());
        let (left, right): (Vec<_>, Vec<_>) = parts.into_iter().map(|s| (s.0, s.1)).unzip();
        extend_both(&mut self.0, &mut self.1, concat(left), concat(right));
    }
}
