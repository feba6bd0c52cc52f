//! Sources made from one value: [`once`], [`empty`], [`repeat`] and [`repeat_n`], as in
//! `rayon::iter`. `once` and `empty` are a `Vec` by value; [`RepeatN`] is a source of its
//! own, each piece a `std::iter::RepeatN` of a clone, or of the item itself for the piece
//! that claims the last indices (`shared_item.rs`). All are indexed.

use std::fmt;
use std::iter::Empty;

use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::iter::shared_item::SharedItem;
use crate::iter::vec::IntoIter;
use crate::iter::{IndexedParallelIterator, IntoParallelIterator, ParallelIterator};

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
/// which is shared by the workers (hence `Sync`; rayon asks only `Send`); with `n == 0`,
/// `item` is dropped at once.
///
/// Making all `n` items costs `n - 1` clones when every index is asked for: the piece
/// that claims the last indices moves `item` itself into its last item, as std's
/// `repeat_n` does, unless it races with another piece's clone at the very end (then
/// `n`). Each piece clones `item` once and its own copy for all of its items but the last;
/// `count` makes no items (only a clone per piece), and `len` no clone at all.
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
pub fn repeat_n<T>(item: T, n: usize) -> RepeatN<T>
where
    T: Clone + Send + Sync,
{
    RepeatN {
        item: (n > 0).then(|| SharedItem::new(item, n)),
        len: n,
    }
}

/// rayon's older name of [`repeat_n`].
///
/// # Examples
///
/// ```
/// assert_eq!(brigade::iter::repeatn(7u8, 2).collect::<Vec<_>>(), [7, 7]);
/// # use brigade::prelude::*;
/// ```
pub fn repeatn<T>(item: T, n: usize) -> RepeatN<T>
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
pub fn repeat<T>(item: T) -> RepeatN<T>
where
    T: Clone + Send + Sync,
{
    repeat_n(item, usize::MAX)
}

/// The parallel iterator of [`repeat_n`] and [`repeat`]: `len` clones of one item.
/// `skip` makes no clones for the items it skips, as std's `skip` over `repeat`.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::RepeatN<u8> = brigade::iter::repeat_n(3, 4);
/// assert_eq!(it.clone().len(), 4);
/// assert_eq!(it.rev().skip(1).sum::<u8>(), 9);
/// assert_eq!(brigade::iter::repeat(1u8).skip(usize::MAX - 2).count(), 2);
/// ```
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
pub struct RepeatN<T> {
    /// `None` if `len` is 0.
    item: Option<SharedItem<T>>,
    len: usize,
}

impl<T: Clone> Clone for RepeatN<T> {
    fn clone(&self) -> Self {
        RepeatN {
            item: (self.item.as_ref()).map(|item| SharedItem::new(item.get().clone(), self.len)),
            len: self.len,
        }
    }
}

impl<T: Clone + fmt::Debug> fmt::Debug for RepeatN<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RepeatN")
            .field("item", &self.item.as_ref().map(SharedItem::get))
            .field("len", &self.len)
            .finish()
    }
}

impl<T> Sealed for RepeatN<T> {}

/// A piece of a [`RepeatN`]: `std::iter::RepeatN` of its copy, none for an empty piece.
type Clones<T> = std::iter::Flatten<std::option::IntoIter<std::iter::RepeatN<T>>>;

impl<T: Clone + Send + Sync> RepeatN<T> {
    /// `end - start` clones of the item (the last one the item itself, from the piece
    /// that claims the last indices: `shared_item.rs`). Each index is asked for once (the
    /// contract of a piece).
    #[inline]
    fn clones(&self, start: usize, end: usize) -> Clones<T> {
        let k = end - start;
        let copy = (k > 0).then(|| {
            let item = self.item.as_ref().expect("a piece of an empty repeat_n");
            std::iter::repeat_n(item.claim(k), k)
        });
        copy.into_iter().flatten()
    }
}

impl<T: Clone + Send + Sync> ParallelIterator for RepeatN<T> {
    type Item = T;
    type State = ();
    type Piece<'p>
        = Clones<T>
    where
        Self: 'p;
    type Flush<'p>
        = Empty<T>
    where
        Self: 'p;
    const INDEXED: bool = true;
    const FLUSHES: bool = false;
    const CUTS_SHORT: bool = false;
    const BOUNDLESS: bool = false;
    const CLOSES: bool = false;
    const PURE: bool = true;

    #[inline]
    fn base_len(&self) -> usize {
        self.len
    }

    #[inline]
    fn config(&self) -> Config {
        Config::default()
    }

    #[inline]
    fn state(&self) {}

    #[inline]
    unsafe fn piece<'p>(&'p self, _: &'p mut (), start: usize, end: usize) -> Self::Piece<'p> {
        self.clones(start, end)
    }

    #[inline]
    fn flush(&self, _: ()) -> Empty<T> {
        std::iter::empty()
    }

    #[inline]
    fn dry_from(&self, _start: usize) -> bool {
        false
    }
}

impl<T: Clone + Send + Sync> IndexedParallelIterator for RepeatN<T> {
    type RevPiece<'p>
        = Clones<T>
    where
        Self: 'p;

    #[inline]
    unsafe fn rev_piece<'p>(
        &'p self,
        _: &'p mut (),
        start: usize,
        end: usize,
    ) -> Self::RevPiece<'p> {
        // Every item is the same: backwards is forwards.
        self.clones(start, end)
    }
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
