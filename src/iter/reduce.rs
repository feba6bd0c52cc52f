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

/// `min`, `max` and their `_by` and `_by_key` kin: the best item, `None` if there are none.
/// `beats(best, item)` says whether `item` takes the place of the best so far (for `max`,
/// `best <= item`, which keeps the last of equal items; for `min`, `item < best`, the first).
///
/// How a piece's loop makes that choice decides the speed, and no one way compiles well for
/// every item. 200,000 random `u64`s in cache, one thread, default `x86_64` target (bench
/// `iter/best_200k`; the `u8`, `u32` and sorted figures from a probe):
/// - Written plainly (`if beats { item } else { best }`), LLVM turns the loop over small
///   integers into vector code: 3 µs for `u8`s. But on x86 without SSE4.1 (32-bit compares)
///   or SSE4.2 (64-bit), the default `x86_64` target, the vector compare and select are
///   emulated ([`SELECT_IS_EMULATED`]): `max` took 217 µs (std's `copied().max()` 176,
///   rayon's scalar loop 62). Over `(key, item)` pairs it compiled to a chain of `cmov`s,
///   each waiting for the last: `max_by_key` with a cheap key, 163 µs (rayon 177).
/// - With the choice of `item` on a cold path ([`rare`]), the loop stays scalar and keeps a
///   branch, unrolled: a load, a compare and a jump per item, which the predictor gets right
///   (a new best is rare in any order but a sorted one, where it comes every time). `max`
///   of `u64`s 55 µs, sorted ones about as fast; of `u32`s 62 → 36 µs. Over pairs, LLVM
///   still made a `cmov` of the key.
/// - As a search for the next item that beats the best ([`climb`]), a branch the compiler
///   cannot turn into a select: `max_by_key` 70 µs. Not unrolled, so for single integers
///   the cold path is faster.
pub(crate) struct Best<F> {
    beats: F,
    search: bool,
}

impl<F> Best<F> {
    /// By the items themselves (`min`, `max`, `min_by`, `max_by`).
    pub(crate) fn of(beats: F) -> Self {
        Best {
            beats,
            search: false,
        }
    }

    /// By `(key, item)` pairs (`min_by_key`, `max_by_key`).
    pub(crate) fn by_key(beats: F) -> Self {
        Best {
            beats,
            search: true,
        }
    }
}

impl<T, F> Consumer<T> for Best<F>
where
    T: Send,
    F: Fn(&T, &T) -> bool + Sync,
{
    type Acc = Option<T>;

    #[inline]
    fn identity(&self) -> Option<T> {
        None
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, acc: Option<T>, _: Range<usize>, items: I) -> Option<T> {
        let mut items = items;
        let best = match acc {
            Some(best) => best,
            None => items.next()?,
        };
        let beats = &self.beats;
        Some(if self.search || size_of::<T>() > 8 {
            climb(items, best, beats)
        } else if SELECT_IS_EMULATED.contains(&size_of::<T>()) {
            fold_apart(items, best, |best, item| {
                if beats(&best, &item) {
                    rare(item)
                } else {
                    best
                }
            })
        } else {
            fold_apart(
                items,
                best,
                |best, item| if beats(&best, &item) { item } else { best },
            )
        })
    }

    #[inline]
    fn reduce(&self, left: Option<T>, right: Option<T>) -> Option<T> {
        match (left, right) {
            (Some(a), Some(b)) => Some(if (self.beats)(&a, &b) { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}

/// Sizes of items whose vector compare and select this target emulates with several
/// instructions each: 4 and 8 bytes on x86 without SSE4.1 (`pcmpgtd`/`pmaxsd` on 32 bits are
/// SSE2, but unsigned and blends are not) and 8 on x86 without SSE4.2 (`pcmpgtq`). Other
/// sizes, and other targets, keep the plain loop (`pmaxub` and `pmaxsw` are SSE2: 3 µs for
/// `u8`s, against 31 on the cold path).
const SELECT_IS_EMULATED: &[usize] = if cfg!(not(any(target_arch = "x86", target_arch = "x86_64")))
{
    &[]
} else if cfg!(not(target_feature = "sse4.1")) {
    &[4, 8]
} else if cfg!(not(target_feature = "sse4.2")) {
    &[8]
} else {
    &[]
};

/// `item`, on a path the compiler takes as unlikely (see [`Best`]): it keeps the branch
/// rather than computing both sides and selecting, and does not make vector code of it.
#[cold]
#[inline]
fn rare<T>(item: T) -> T {
    item
}

/// The best of `best` and `items`, found as the next item that beats the best so far, then
/// the next one that beats that, and so on (see [`Best`]).
#[inline(never)]
fn climb<T, I, F>(items: I, best: T, beats: F) -> T
where
    I: Iterator<Item = T>,
    F: Fn(&T, &T) -> bool,
{
    let mut items = items;
    let mut best = best;
    while let Some(item) = items.find(|item| beats(&best, item)) {
        best = item;
    }
    best
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
