//! [`MultiZip`]: tuples of parallel iterators (or of anything [`IntoParallelIterator`]
//! whose iterator is indexed), zipped into one iterator of tuples, as rayon's. A tuple of
//! one to twelve is [`IntoParallelIterator`] itself, and so are references to one (each
//! member by reference); `par_iter()` and `par_iter_mut()` then work on the tuple as on a
//! `Vec`.
//!
//! The items come from nested [`Zip`]s, `a.zip(b.zip(c))`, flattened by a plain function:
//! a `MultiZip` is as long as its shortest member, indexed, and has every adaptor an
//! indexed iterator has.

use crate::iter::drive::Config;
use crate::iter::map::Map;
use crate::iter::sealed::Sealed;
use crate::iter::zip::Zip;
use crate::iter::{IndexedParallelIterator, IntoParallelIterator, ParallelIterator};

/// A tuple of parallel iterators zipped into one iterator of tuples: what
/// `into_par_iter()` makes of a tuple (one to twelve members), and `par_iter()` /
/// `par_iter_mut()` of a tuple of collections. As long as the shortest member.
///
/// `T` is the nested zip it runs on; name the type as `MultiZip<_>`.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let mut out = vec![0; 3];
/// // `out` by mutable reference, the ranges by value; as long as the shortest.
/// (&mut out, 1..10, 10..100, 100..1000)
///     .into_par_iter()
///     .for_each(|(o, x, y, z)| *o = x * y + z);
/// assert_eq!(out, [1 * 10 + 100, 2 * 11 + 101, 3 * 12 + 102]);
///
/// // A tuple of collections, all by reference.
/// let cols = (vec![1, 2, 3], vec![10, 20, 30]);
/// let sums: Vec<i32> = cols.par_iter().map(|(a, b)| a + b).collect();
/// assert_eq!(sums, [11, 22, 33]);
/// let it: brigade::iter::MultiZip<_> = (&cols.0, &cols.1).into_par_iter();
/// assert_eq!(it.len(), 3);
/// ```
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
#[derive(Clone, Debug)]
pub struct MultiZip<T> {
    inner: T,
}

impl<T> Sealed for MultiZip<T> {}

impl<T: ParallelIterator> ParallelIterator for MultiZip<T> {
    type Item = T::Item;
    type State = T::State;
    type Piece<'p>
        = T::Piece<'p>
    where
        Self: 'p;
    type Flush<'p>
        = T::Flush<'p>
    where
        Self: 'p;
    const INDEXED: bool = T::INDEXED;
    const FLUSHES: bool = T::FLUSHES;
    const CUTS_SHORT: bool = T::CUTS_SHORT;
    const BOUNDLESS: bool = T::BOUNDLESS;
    const CLOSES: bool = T::CLOSES;
    const PURE: bool = T::PURE;

    #[inline]
    fn base_len(&self) -> usize {
        self.inner.base_len()
    }

    #[inline]
    fn config(&self) -> Config {
        self.inner.config()
    }

    #[inline]
    fn state(&self) -> T::State {
        self.inner.state()
    }

    #[inline]
    unsafe fn piece<'p>(
        &'p self,
        state: &'p mut T::State,
        start: usize,
        end: usize,
    ) -> Self::Piece<'p> {
        // SAFETY: forwarded: the caller's promise is the one the inner iterator needs.
        unsafe { self.inner.piece(state, start, end) }
    }

    #[inline]
    fn flush<'p>(&'p self, state: T::State) -> Self::Flush<'p> {
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
}

impl<T: IndexedParallelIterator> IndexedParallelIterator for MultiZip<T> {
    type RevPiece<'p>
        = T::RevPiece<'p>
    where
        Self: 'p;

    #[inline]
    unsafe fn rev_piece<'p>(
        &'p self,
        state: &'p mut T::State,
        start: usize,
        end: usize,
    ) -> Self::RevPiece<'p> {
        // SAFETY: forwarded: the caller's promise is the one the inner iterator needs.
        unsafe { self.inner.rev_piece(state, start, end) }
    }
}

/// The nested zip of a tuple's members' iterators: `Zip<A, Zip<B, C>>`.
macro_rules! nested_zip {
    ($A:ident) => { <$A as IntoParallelIterator>::Iter };
    ($A:ident, $($rest:ident),+) => {
        Zip<<$A as IntoParallelIterator>::Iter, nested_zip!($($rest),+)>
    };
}

/// The item of `nested_zip!`: `(A, (B, C))`.
macro_rules! nested_item {
    ($A:ident) => { <$A as IntoParallelIterator>::Item };
    ($A:ident, $($rest:ident),+) => {
        (<$A as IntoParallelIterator>::Item, nested_item!($($rest),+))
    };
}

/// A pattern (or an expression) nested as `nested_item!`: `(a, (b, c))`.
macro_rules! nested {
    ($a:ident) => { $a };
    ($a:ident, $($rest:ident),+) => { ($a, nested!($($rest),+)) };
}

/// `a.into_par_iter().zip(b.into_par_iter().zip(c.into_par_iter()))`.
macro_rules! zip_all {
    ($a:ident) => { $a.into_par_iter() };
    ($a:ident, $($rest:ident),+) => { $a.into_par_iter().zip(zip_all!($($rest),+)) };
}

/// `IntoParallelIterator` for the tuple `($T, ...)` by value, by shared and by mutable
/// reference.
macro_rules! multizip {
    ($($T:ident $t:ident),+) => {
        impl<$($T),+> IntoParallelIterator for ($($T,)+)
        where
            $($T: IntoParallelIterator, $T::Iter: IndexedParallelIterator,)+
        {
            type Item = ($($T::Item,)+);
            type Iter = MultiZip<
                Map<nested_zip!($($T),+), fn(nested_item!($($T),+)) -> ($($T::Item,)+)>,
            >;

            /// The members zipped, as long as the shortest.
            ///
            /// # Examples
            ///
            /// ```
            /// use brigade::prelude::*;
            ///
            /// let (a, b) = (vec![1, 2, 3], [10, 20]);
            /// let v: Vec<_> = (a, &b).into_par_iter().map(|(x, y)| x + y).collect();
            /// assert_eq!(v, [11, 22]);
            /// ```
            fn into_par_iter(self) -> Self::Iter {
                let ($($t,)+) = self;
                let flat: fn(nested_item!($($T),+)) -> ($($T::Item,)+) =
                    |nested!($($t),+)| ($($t,)+);
                MultiZip {
                    inner: zip_all!($($t),+).map(flat),
                }
            }
        }

        impl<'a, $($T),+> IntoParallelIterator for &'a ($($T,)+)
        where
            $($T: Sync, &'a $T: IntoParallelIterator,
              <&'a $T as IntoParallelIterator>::Iter: IndexedParallelIterator,)+
        {
            type Item = <($(&'a $T,)+) as IntoParallelIterator>::Item;
            type Iter = <($(&'a $T,)+) as IntoParallelIterator>::Iter;

            /// Every member by shared reference, zipped.
            ///
            /// # Examples
            ///
            /// ```
            /// use brigade::prelude::*;
            ///
            /// let t = (vec![1, 2], vec![3, 4]);
            /// let v: Vec<i32> = (&t).into_par_iter().map(|(x, y)| x * y).collect();
            /// assert_eq!(v, [3, 8]);
            /// ```
            fn into_par_iter(self) -> Self::Iter {
                let ($($t,)+) = self;
                ($($t,)+).into_par_iter()
            }
        }

        impl<'a, $($T),+> IntoParallelIterator for &'a mut ($($T,)+)
        where
            $($T: Send, &'a mut $T: IntoParallelIterator,
              <&'a mut $T as IntoParallelIterator>::Iter: IndexedParallelIterator,)+
        {
            type Item = <($(&'a mut $T,)+) as IntoParallelIterator>::Item;
            type Iter = <($(&'a mut $T,)+) as IntoParallelIterator>::Iter;

            /// Every member by mutable reference, zipped.
            ///
            /// # Examples
            ///
            /// ```
            /// use brigade::prelude::*;
            ///
            /// let mut t = (vec![1, 2], vec![0, 0]);
            /// (&mut t).into_par_iter().for_each(|(x, y)| *y = *x * 10);
            /// assert_eq!(t.1, [10, 20]);
            /// ```
            fn into_par_iter(self) -> Self::Iter {
                let ($($t,)+) = self;
                ($($t,)+).into_par_iter()
            }
        }
    };
}

multizip!(A a);
multizip!(A a, B b);
multizip!(A a, B b, C c);
multizip!(A a, B b, C c, D d);
multizip!(A a, B b, C c, D d, E e);
multizip!(A a, B b, C c, D d, E e, F f);
multizip!(A a, B b, C c, D d, E e, F f, G g);
multizip!(A a, B b, C c, D d, E e, F f, G g, H h);
multizip!(A a, B b, C c, D d, E e, F f, G g, H h, I i);
multizip!(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j);
multizip!(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k);
multizip!(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l);
