//! [`ParallelExtend`]: `par_extend`, a collection extended by the items of a parallel
//! iterator, in order.
//!
//! A `Vec` extended by an indexed iterator has room made once and each piece writes its
//! items in place after the old ones (`collect.rs`, `extend_in_place`). Every other
//! extension gathers the items in a few `Vec`s (one per chain, `vec_parts`), or `String`s
//! or lists, and then extends the collection with them in order, sequentially: a `HashMap`
//! or a `BTreeSet` is filled by one thread.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet, LinkedList, VecDeque};
use std::ffi::{OsStr, OsString};
use std::hash::{BuildHasher, Hash};

use crate::iter::collect::{collect_parts, collect_vecs, extend_in_place, vec_parts};
use crate::iter::concat::append_parts;
use crate::iter::{IntoParallelIterator, ParallelIterator};

/// A collection that the items of a parallel iterator can be added to, in order, with
/// [`par_extend`](Self::par_extend): rayon's `ParallelExtend`.
///
/// Implemented for `Vec<T>`, `VecDeque<T>`, `LinkedList<T>`, `BinaryHeap<T>`, `String`
/// (from `char`, `&char`, `&str`, `String`, `Box<str>` and `Cow<str>` items), `HashMap`,
/// `HashSet` (any hasher), `BTreeMap`, `BTreeSet` (each also from `&T` items, or `(&K, &V)` for maps, when they are
/// `Copy`), `()`, and pairs: `(A, B)` from `(T, U)` items (each side extended with its
/// half) or from [`Either<L, R>`](crate::iter::Either) items (each side with its kind).
/// [`partition`](ParallelIterator::partition) and
/// [`partition_map`](ParallelIterator::partition_map) fill any two `ParallelExtend`
/// collections through the pairs.
///
/// Only a `Vec` extended by an indexed iterator is filled in parallel, in place. The other
/// collections are extended sequentially after the loop, from one `Vec` (`String`, list)
/// per run of items a worker ran (see [`fold`](ParallelIterator::fold)), in order: later
/// items replace earlier ones in a map, as in a sequential `extend`.
///
/// The trait is not sealed (brigade's iterator traits are, because the loops rely on their
/// hidden methods): it has no hidden method, and an implementation can only use the public
/// terminals of [`ParallelIterator`], so a collection of your own may implement it, as in
/// rayon, and then be filled by `partition`. If a closure panics, the panic reaches the
/// caller of `par_extend`; brigade's collections then hold their old items and none of the
/// new ones.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let mut v = vec![0, 1];
/// v.par_extend((2..6u32).into_par_iter());
/// v.par_extend([6, 7].par_iter());
/// assert_eq!(v, [0, 1, 2, 3, 4, 5, 6, 7]);
///
/// // A collection of your own.
/// struct Tally(usize);
/// impl ParallelExtend<u32> for Tally {
///     fn par_extend<I: IntoParallelIterator<Item = u32>>(&mut self, par_iter: I) {
///         self.0 += par_iter.into_par_iter().filter(|x| x % 2 == 0).count();
///     }
/// }
/// let mut evens = Tally(0);
/// evens.par_extend(0..100u32);
/// assert_eq!(evens.0, 50);
/// ```
pub trait ParallelExtend<T: Send> {
    /// Adds the items of `par_iter` to the collection, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    /// use std::collections::BTreeSet;
    ///
    /// let mut set = BTreeSet::from([1u32]);
    /// set.par_extend((0..1000u32).into_par_iter().filter(|x| x % 100 == 0));
    /// assert_eq!(set.len(), 11);
    /// ```
    fn par_extend<I>(&mut self, par_iter: I)
    where
        I: IntoParallelIterator<Item = T>;

    /// Adds the items of a `Vec`, in order: [`par_extend`](Self::par_extend), which a
    /// `Vec` that is still empty answers by taking the items' buffer as its own (what
    /// `unzip`, `partition` and their kin hand each side).
    #[doc(hidden)]
    fn par_extend_from_vec(&mut self, items: Vec<T>) {
        self.par_extend(items);
    }
}

impl<T: Send> ParallelExtend<T> for Vec<T> {
    fn par_extend_from_vec(&mut self, items: Vec<T>) {
        if self.is_empty() {
            *self = items;
        } else {
            self.par_extend(items);
        }
    }

    fn par_extend<I: IntoParallelIterator<Item = T>>(&mut self, par_iter: I) {
        let iter = par_iter.into_par_iter();
        if I::Iter::INDEXED {
            extend_in_place(iter, self);
        } else {
            append_parts(self, collect_vecs(iter));
        }
    }
}

impl<T: Send> ParallelExtend<T> for VecDeque<T> {
    fn par_extend<I: IntoParallelIterator<Item = T>>(&mut self, par_iter: I) {
        let parts = vec_parts(par_iter.into_par_iter());
        self.reserve(parts.iter().map(Vec::len).sum());
        for part in parts {
            self.extend(part);
        }
    }
}

impl<T: Send> ParallelExtend<T> for LinkedList<T> {
    fn par_extend<I: IntoParallelIterator<Item = T>>(&mut self, par_iter: I) {
        // A list per chain: joining them is a pointer swap each.
        let parts: Vec<LinkedList<T>> = collect_parts(par_iter.into_par_iter());
        for mut part in parts {
            self.append(&mut part);
        }
    }
}

impl<T: Ord + Send> ParallelExtend<T> for BinaryHeap<T> {
    fn par_extend<I: IntoParallelIterator<Item = T>>(&mut self, par_iter: I) {
        let parts = vec_parts(par_iter.into_par_iter());
        self.reserve(parts.iter().map(Vec::len).sum());
        for part in parts {
            self.extend(part);
        }
    }
}

/// Extends a `String` with one `String` per chain of `par_iter`'s items.
fn extend_string<I>(target: &mut String, par_iter: I)
where
    I: IntoParallelIterator,
    String: Extend<I::Item>,
{
    let parts: Vec<String> = collect_parts(par_iter.into_par_iter());
    target.reserve(parts.iter().map(String::len).sum());
    for part in parts {
        target.push_str(&part);
    }
}

/// `String: ParallelExtend<$item>` for each item type a `String` can be extended with.
macro_rules! string_par_extend {
    ($($item:ty),*) => {$(
        impl<'a> ParallelExtend<$item> for String {
            fn par_extend<I: IntoParallelIterator<Item = $item>>(&mut self, par_iter: I) {
                extend_string(self, par_iter);
            }
        }
    )*};
}
string_par_extend!(char, &'a char, &'a str, String, Box<str>, Cow<'a, str>);

/// `OsString: ParallelExtend<$item>`, as for `String`.
macro_rules! os_string_par_extend {
    ($($item:ty),*) => {$(
        impl<'a> ParallelExtend<$item> for OsString {
            fn par_extend<I: IntoParallelIterator<Item = $item>>(&mut self, par_iter: I) {
                let parts: Vec<OsString> = collect_parts(par_iter.into_par_iter());
                self.reserve(parts.iter().map(|p| p.len()).sum());
                for part in parts {
                    self.push(part);
                }
            }
        }
    )*};
}
os_string_par_extend!(&'a OsStr, OsString, Cow<'a, OsStr>);

/// Extends `target` with the items of `par_iter` gathered in `Vec`s, in order, room made
/// first for all of them.
fn extend_from_parts<C, I>(target: &mut C, par_iter: I, reserve: impl FnOnce(&mut C, usize))
where
    I: IntoParallelIterator,
    C: Extend<I::Item>,
{
    let parts = vec_parts(par_iter.into_par_iter());
    reserve(target, parts.iter().map(Vec::len).sum());
    for part in parts {
        target.extend(part);
    }
}

impl<K, V, S> ParallelExtend<(K, V)> for HashMap<K, V, S>
where
    K: Eq + Hash + Send,
    V: Send,
    S: BuildHasher,
{
    fn par_extend<I: IntoParallelIterator<Item = (K, V)>>(&mut self, par_iter: I) {
        extend_from_parts(self, par_iter, HashMap::reserve);
    }
}

impl<T, S> ParallelExtend<T> for HashSet<T, S>
where
    T: Eq + Hash + Send,
    S: BuildHasher,
{
    fn par_extend<I: IntoParallelIterator<Item = T>>(&mut self, par_iter: I) {
        extend_from_parts(self, par_iter, HashSet::reserve);
    }
}

impl<K: Ord + Send, V: Send> ParallelExtend<(K, V)> for BTreeMap<K, V> {
    fn par_extend<I: IntoParallelIterator<Item = (K, V)>>(&mut self, par_iter: I) {
        extend_from_parts(self, par_iter, |_, _| {});
    }
}

impl<T: Ord + Send> ParallelExtend<T> for BTreeSet<T> {
    fn par_extend<I: IntoParallelIterator<Item = T>>(&mut self, par_iter: I) {
        extend_from_parts(self, par_iter, |_, _| {});
    }
}

/// `ParallelExtend<&T>` for a collection of `Copy` items: extended with copies.
macro_rules! extend_by_copy {
    ($(impl<$($g:ident),*> for $c:ty where [$($bounds:tt)*];)*) => {$(
        impl<'a, $($g),*> ParallelExtend<&'a T> for $c
        where
            T: Copy + Send + Sync + 'a,
            $($bounds)*
        {
            fn par_extend<I: IntoParallelIterator<Item = &'a T>>(&mut self, par_iter: I) {
                self.par_extend(par_iter.into_par_iter().copied());
            }
        }
    )*};
}

extend_by_copy! {
    impl<T> for Vec<T> where [];
    impl<T> for VecDeque<T> where [];
    impl<T> for LinkedList<T> where [];
    impl<T> for BinaryHeap<T> where [T: Ord];
    impl<T, S> for HashSet<T, S> where [T: Eq + Hash, S: BuildHasher];
    impl<T> for BTreeSet<T> where [T: Ord];
}

impl<'a, K, V, S> ParallelExtend<(&'a K, &'a V)> for HashMap<K, V, S>
where
    K: Copy + Eq + Hash + Send + Sync + 'a,
    V: Copy + Send + Sync + 'a,
    S: BuildHasher,
{
    fn par_extend<I: IntoParallelIterator<Item = (&'a K, &'a V)>>(&mut self, par_iter: I) {
        self.par_extend(par_iter.into_par_iter().map(|(&k, &v)| (k, v)));
    }
}

impl<'a, K, V> ParallelExtend<(&'a K, &'a V)> for BTreeMap<K, V>
where
    K: Copy + Ord + Send + Sync + 'a,
    V: Copy + Send + Sync + 'a,
{
    fn par_extend<I: IntoParallelIterator<Item = (&'a K, &'a V)>>(&mut self, par_iter: I) {
        self.par_extend(par_iter.into_par_iter().map(|(&k, &v)| (k, v)));
    }
}

impl ParallelExtend<()> for () {
    fn par_extend<I: IntoParallelIterator<Item = ()>>(&mut self, par_iter: I) {
        par_iter.into_par_iter().for_each(drop);
    }
}
