//! The slice methods of the prelude: [`ParallelSlice`] (`par_chunks`, `par_chunks_exact`,
//! `par_windows`) and [`ParallelSliceMut`] (`par_chunks_mut`, `par_chunks_exact_mut`).

use crate::iter::chunks::{Chunks, ChunksExact, ChunksExactMut, ChunksMut, Windows};

/// Parallel iterators over groups of a shared slice's items (also on `Vec`s and arrays,
/// through `Deref`).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let v: Vec<u32> = (0..10).collect();
/// let sums: Vec<u32> = v.par_chunks(4).map(|c| c.iter().sum()).collect();
/// assert_eq!(sums, [6, 22, 17]);
/// ```
pub trait ParallelSlice<T: Sync> {
    /// Chunks of `size` items (the last one shorter), in order.
    ///
    /// # Panics
    ///
    /// If `size` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let lens: Vec<usize> = [1, 2, 3].par_chunks(2).map(|c| c.len()).collect();
    /// assert_eq!(lens, [2, 1]);
    /// ```
    fn par_chunks(&self, size: usize) -> Chunks<'_, T>;

    /// Chunks of exactly `size` items; the items left over are not visited (see
    /// [`ChunksExact::remainder`]).
    ///
    /// # Panics
    ///
    /// If `size` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert_eq!([1, 2, 3].par_chunks_exact(2).count(), 1);
    /// ```
    fn par_chunks_exact(&self, size: usize) -> ChunksExact<'_, T>;

    /// Every window of `size` consecutive items, in order.
    ///
    /// # Panics
    ///
    /// If `size` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let rising = [1, 2, 2, 5].par_windows(2).filter(|w| w[0] < w[1]).count();
    /// assert_eq!(rising, 2);
    /// ```
    fn par_windows(&self, size: usize) -> Windows<'_, T>;
}

impl<T: Sync> ParallelSlice<T> for [T] {
    fn par_chunks(&self, size: usize) -> Chunks<'_, T> {
        Chunks::new(self, size)
    }

    fn par_chunks_exact(&self, size: usize) -> ChunksExact<'_, T> {
        ChunksExact::new(self, size)
    }

    fn par_windows(&self, size: usize) -> Windows<'_, T> {
        Windows::new(self, size)
    }
}

/// Parallel iterators over groups of a mutable slice's items (also on `Vec`s and arrays,
/// through `DerefMut`): rows of an image, blocks of a grid.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let (w, h) = (8, 4);
/// let mut image = vec![0u8; w * h];
/// image.par_chunks_mut(w).enumerate().for_each(|(y, row)| row.fill(y as u8));
/// assert_eq!(image[w * 3], 3);
/// ```
pub trait ParallelSliceMut<T: Send> {
    /// Mutable chunks of `size` items (the last one shorter), in order.
    ///
    /// # Panics
    ///
    /// If `size` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = [1, 2, 3, 4, 5];
    /// v.par_chunks_mut(2).for_each(|c| c.reverse());
    /// assert_eq!(v, [2, 1, 4, 3, 5]);
    /// ```
    fn par_chunks_mut(&mut self, size: usize) -> ChunksMut<'_, T>;

    /// Mutable chunks of exactly `size` items; the items left over are not visited.
    ///
    /// # Panics
    ///
    /// If `size` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let mut v = [1, 2, 3, 4, 5];
    /// v.par_chunks_exact_mut(2).for_each(|c| c.reverse());
    /// assert_eq!(v, [2, 1, 4, 3, 5]);
    /// ```
    fn par_chunks_exact_mut(&mut self, size: usize) -> ChunksExactMut<'_, T>;
}

impl<T: Send> ParallelSliceMut<T> for [T] {
    fn par_chunks_mut(&mut self, size: usize) -> ChunksMut<'_, T> {
        ChunksMut::new(self, size)
    }

    fn par_chunks_exact_mut(&mut self, size: usize) -> ChunksExactMut<'_, T> {
        ChunksExactMut::new(self, size)
    }
}
