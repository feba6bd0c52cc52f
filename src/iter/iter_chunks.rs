//! [`IterChunks`]: the items of an indexed iterator in `Vec`s of `size` (the last one
//! shorter), rayon's `IndexedParallelIterator::chunks`. Chunk `k` holds the base's items
//! `k * size..(k + 1) * size`, so a piece `start..end` is the base's piece from
//! `start * size` to `end * size` (or the base's end), cut into `Vec`s as it runs.

use std::iter::Empty;

use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::iter::{IndexedParallelIterator, ParallelIterator};

/// The parallel iterator of [`IndexedParallelIterator::chunks`] (rayon's
/// `rayon::iter::Chunks`; brigade's [`Chunks`](crate::iter::Chunks) is the slice's).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::IterChunks<_> = (0..5u32).into_par_iter().chunks(2);
/// assert_eq!(it.collect::<Vec<_>>(), [vec![0, 1], vec![2, 3], vec![4]]);
/// ```
#[derive(Clone, Debug)]
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
pub struct IterChunks<I> {
    base: I,
    size: usize,
    /// The number of chunks: the base's length divided by `size`, rounded up.
    len: usize,
}

impl<I: IndexedParallelIterator> IterChunks<I> {
    /// # Panics
    ///
    /// If `size` is 0.
    #[track_caller]
    pub(crate) fn new(base: I, size: usize) -> Self {
        assert!(size != 0, "chunk_size must not be zero");
        let len = base.len().div_ceil(size);
        IterChunks { base, size, len }
    }

    /// The base's indices of chunks `start..end`.
    #[inline]
    fn span(&self, start: usize, end: usize) -> (usize, usize) {
        let base_len = self.base.base_len();
        (
            start.saturating_mul(self.size).min(base_len),
            end.saturating_mul(self.size).min(base_len),
        )
    }
}

impl<I> Sealed for IterChunks<I> {}

impl<I: IndexedParallelIterator> ParallelIterator for IterChunks<I> {
    type Item = Vec<I::Item>;
    type State = I::State;
    type Piece<'p>
        = ChunkPiece<I::Piece<'p>>
    where
        Self: 'p;
    type Flush<'p>
        = Empty<Vec<I::Item>>
    where
        Self: 'p;
    const INDEXED: bool = true;
    const FLUSHES: bool = false;
    const CUTS_SHORT: bool = false;
    const BOUNDLESS: bool = false;
    const CLOSES: bool = false;
    // Gathering items into a `Vec` has no effect but the `Vec`.
    const PURE: bool = I::PURE;

    #[inline]
    fn base_len(&self) -> usize {
        self.len
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
        let (first, past) = self.span(start, end);
        ChunkPiece {
            // SAFETY: chunks `start..end` cover base indices `first..past`, within the
            // base: disjoint pieces of `self` take disjoint ranges of the base.
            items: unsafe { self.base.piece(state, first, past) },
            next_len: self.size,
            size: self.size,
            backwards: false,
        }
    }

    #[inline]
    fn flush<'p>(&'p self, _: I::State) -> Self::Flush<'p> {
        std::iter::empty()
    }

    #[inline]
    fn dry_from(&self, _start: usize) -> bool {
        false
    }
}

impl<I: IndexedParallelIterator> IndexedParallelIterator for IterChunks<I> {
    type RevPiece<'p>
        = ChunkPiece<I::RevPiece<'p>>
    where
        Self: 'p;

    #[inline]
    unsafe fn rev_piece<'p>(
        &'p self,
        state: &'p mut I::State,
        start: usize,
        end: usize,
    ) -> Self::RevPiece<'p> {
        let (first, past) = self.span(start, end);
        // Backwards, the first chunk is the piece's last, the only one that can be short.
        let last = (past - first) % self.size;
        ChunkPiece {
            // SAFETY: as in `piece`.
            items: unsafe { self.base.rev_piece(state, first, past) },
            next_len: if last == 0 { self.size } else { last },
            size: self.size,
            backwards: true,
        }
    }
}

/// A piece of an [`IterChunks`]: its base piece's items in `Vec`s.
#[doc(hidden)]
#[derive(Debug)]
pub struct ChunkPiece<P> {
    items: P,
    /// The length of the next chunk (short only for the first chunk of a backward piece).
    next_len: usize,
    size: usize,
    /// The base piece runs backwards: each chunk is reversed into the base's order.
    backwards: bool,
}

impl<P: Iterator> Iterator for ChunkPiece<P> {
    type Item = Vec<P::Item>;

    #[inline]
    fn next(&mut self) -> Option<Vec<P::Item>> {
        let mut chunk = Vec::with_capacity(self.next_len);
        chunk.extend(self.items.by_ref().take(self.next_len));
        self.next_len = self.size;
        if chunk.is_empty() {
            return None;
        }
        if self.backwards {
            chunk.reverse();
        }
        Some(chunk)
    }
}
