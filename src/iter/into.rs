//! The conversions into parallel iterators: `into_par_iter()`, `par_iter()`,
//! `par_iter_mut()`. The impls for each source type live with the source (`source.rs`,
//! `vec.rs`).

use crate::iter::ParallelIterator;

/// Something that can be turned into a parallel iterator: every parallel iterator, integer
/// ranges (`a..b` and `a..=b` of every integer type), slices and `Vec`s by reference
/// (`&[T]`, `&mut [T]`, `&Vec<T>`, `&mut Vec<T>`, `&[T; N]`, `&mut [T; N]`), and `Vec<T>`,
/// `[T; N]` and `Box<[T]>` by value (the items are moved out).
///
/// A range of up to 64-bit integers may hold at most `usize::MAX` items: `into_par_iter`
/// on a longer one (`0..=u64::MAX` on a 64-bit target) panics, as the loop functions do.
/// A range of `u128` or `i128` may hold any number, and is not indexed (as in rayon).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let total: u64 = (0..=u8::MAX).into_par_iter().map(u64::from).sum();
/// assert_eq!(total, 32_640);
///
/// let names = vec![String::from("a"), String::from("b")];
/// let upper: Vec<String> = names.into_par_iter().map(|s| s.to_uppercase()).collect();
/// assert_eq!(upper, ["A", "B"]);
/// ```
pub trait IntoParallelIterator {
    /// The parallel iterator.
    type Iter: ParallelIterator<Item = Self::Item>;
    /// Its items.
    type Item: Send;

    /// Turns `self` into a parallel iterator.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let v = vec![1, 2, 3];
    /// assert_eq!((&v).into_par_iter().sum::<i32>(), 6);
    /// assert_eq!(v.into_par_iter().sum::<i32>(), 6);
    /// ```
    fn into_par_iter(self) -> Self::Iter;
}

impl<I: ParallelIterator> IntoParallelIterator for I {
    type Iter = I;
    type Item = I::Item;

    #[inline]
    fn into_par_iter(self) -> I {
        self
    }
}

/// `par_iter()`: a parallel iterator over shared references to the items of a collection
/// (`[T]`, `Vec<T>`, `[T; N]`, and through `Deref` a `Box<[T]>`), for every type whose `&`
/// is [`IntoParallelIterator`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let v = vec![3, 1, 2];
/// assert_eq!(v.par_iter().max(), Some(&3));
/// let b: Box<[i32]> = v.into_boxed_slice();
/// assert_eq!(b.par_iter().min(), Some(&1));
/// ```
pub trait IntoParallelRefIterator<'data> {
    /// The parallel iterator.
    type Iter: ParallelIterator<Item = Self::Item>;
    /// Its items (`&'data T`).
    type Item: Send + 'data;

    /// A parallel iterator over `&self`'s items.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let a = [1u8, 2, 3];
    /// assert_eq!(a.par_iter().map(|&x| u32::from(x)).sum::<u32>(), 6);
    /// ```
    fn par_iter(&'data self) -> Self::Iter;
}

impl<'data, I: 'data + ?Sized> IntoParallelRefIterator<'data> for I
where
    &'data I: IntoParallelIterator,
{
    type Iter = <&'data I as IntoParallelIterator>::Iter;
    type Item = <&'data I as IntoParallelIterator>::Item;

    #[inline]
    fn par_iter(&'data self) -> Self::Iter {
        self.into_par_iter()
    }
}

/// `par_iter_mut()`: a parallel iterator over mutable references to the items of a
/// collection (`[T]`, `Vec<T>`, `[T; N]`, and through `DerefMut` a `Box<[T]>`).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let mut v = vec![1, 2, 3];
/// v.par_iter_mut().for_each(|x| *x *= 10);
/// assert_eq!(v, [10, 20, 30]);
/// ```
pub trait IntoParallelRefMutIterator<'data> {
    /// The parallel iterator.
    type Iter: ParallelIterator<Item = Self::Item>;
    /// Its items (`&'data mut T`).
    type Item: Send + 'data;

    /// A parallel iterator over `&mut self`'s items.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut a = [1u8, 2, 3];
    /// a.par_iter_mut().for_each(|x| *x += 1);
    /// assert_eq!(a, [2, 3, 4]);
    /// ```
    fn par_iter_mut(&'data mut self) -> Self::Iter;
}

impl<'data, I: 'data + ?Sized> IntoParallelRefMutIterator<'data> for I
where
    &'data mut I: IntoParallelIterator,
{
    type Iter = <&'data mut I as IntoParallelIterator>::Iter;
    type Item = <&'data mut I as IntoParallelIterator>::Item;

    #[inline]
    fn par_iter_mut(&'data mut self) -> Self::Iter {
        self.into_par_iter()
    }
}
