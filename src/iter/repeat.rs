//! Sources made from one value: [`once`], [`empty`], [`repeat`] and [`repeat_n`], as in
//! `rayon::iter`. Each is made of the sources brigade already has (a `Vec` by value, a
//! range mapped to clones), so each is indexed.

use std::ops::Range;

use crate::iter::map::Map;
use crate::iter::source::Iter;
use crate::iter::vec::IntoIter;
use crate::iter::{IntoParallelIterator, ParallelIterator};

/// A parallel iterator of one item: `item`.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let v: Vec<u32> = (0..3u32).into_par_iter().chain(brigade::iter::once(9)).collect();
/// assert_eq!(v, [0, 1, 2, 9]);
/// ```
pub fn once<T: Send>(item: T) -> IntoIter<T> {
    vec![item].into_par_iter()
}

/// A parallel iterator of no items.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// assert_eq!(brigade::iter::empty::<u32>().count(), 0);
/// assert_eq!(brigade::iter::empty::<u32>().sum::<u32>(), 0);
/// ```
pub fn empty<T: Send>() -> IntoIter<T> {
    Vec::new().into_par_iter()
}

/// A parallel iterator of `n` clones of `item`. Each item is cloned from the one `item`,
/// which is shared by the workers (hence `Sync`; rayon asks only `Send`).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let v: Vec<String> = brigade::iter::repeat_n("ab".to_string(), 3).collect();
/// assert_eq!(v, ["ab", "ab", "ab"]);
/// let pairs: Vec<(u32, char)> = (0..3u32).into_par_iter().zip(brigade::iter::repeat_n('x', 3)).collect();
/// assert_eq!(pairs, [(0, 'x'), (1, 'x'), (2, 'x')]);
/// ```
pub fn repeat_n<T>(
    item: T,
    n: usize,
) -> Map<Iter<Range<usize>>, impl Fn(usize) -> T + Clone + Sync + Send>
where
    T: Clone + Send + Sync,
{
    (0..n).into_par_iter().map(move |_| item.clone())
}

/// rayon's older name of [`repeat_n`].
///
/// # Examples
///
/// ```
/// assert_eq!(brigade::iter::repeatn(7u8, 2).collect::<Vec<_>>(), [7, 7]);
/// # use brigade::prelude::*;
/// ```
pub fn repeatn<T>(
    item: T,
    n: usize,
) -> Map<Iter<Range<usize>>, impl Fn(usize) -> T + Clone + Sync + Send>
where
    T: Clone + Send + Sync,
{
    repeat_n(item, n)
}

/// Clones of `item` without end, for a [`zip`](crate::iter::IndexedParallelIterator::zip) with a finite
/// iterator or a [`take`](crate::iter::IndexedParallelIterator::take). Indexed, with `usize::MAX` items:
/// a terminal run on it alone, such as `repeat(x).count()`, runs for as long as that takes.
/// Each item is cloned from the one `item`, which is shared by the workers (hence `Sync`).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let v: Vec<(u32, &str)> = (0..3u32).into_par_iter().zip(brigade::iter::repeat("x")).collect();
/// assert_eq!(v, [(0, "x"), (1, "x"), (2, "x")]);
/// assert_eq!(brigade::iter::repeat(5u8).take(4).sum::<u8>(), 20);
/// ```
pub fn repeat<T>(item: T) -> Map<Iter<Range<usize>>, impl Fn(usize) -> T + Clone + Sync + Send>
where
    T: Clone + Send + Sync,
{
    repeat_n(item, usize::MAX)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::prelude::*;

    #[test]
    fn repeat_zips_and_takes_on_every_pool_size() {
        for threads in if cfg!(miri) { vec![2] } else { vec![1, 2, 3] } {
            let pool = crate::ThreadPool::builder()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let n = if cfg!(miri) { 20 } else { 10_000 };
                let v: Vec<(usize, u8)> = (0..n).into_par_iter().zip(super::repeat(3u8)).collect();
                assert_eq!(v, (0..n).map(|i| (i, 3)).collect::<Vec<_>>());
                let w: Vec<u8> = super::repeat(1u8).zip(0..n).map(|p| p.0).collect();
                assert_eq!(w.len(), n);
                assert_eq!(super::repeat(2u64).take(n).sum::<u64>(), 2 * n as u64);
                assert_eq!(super::repeat(2u64).skip(usize::MAX - 5).count(), 5);
                assert_eq!(super::repeat_n(1u8, 0).count(), 0);
                assert_eq!(super::repeat(7).find_first(|_| true), Some(7));
                assert_eq!(super::repeat(7).position_first(|_| true), Some(0));
                assert_eq!(super::repeat(7).take(n).rev().count(), n);
            });
        }
    }
}
