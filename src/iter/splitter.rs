//! [`split`]: a parallel iterator over the pieces a user's function cuts a value into, as
//! rayon's `rayon::iter::split` (the type is [`IterSplit`], as `brigade::iter::Split` is a
//! string's).
//!
//! rayon calls the splitter as its pool asks for work; brigade's iterators are loops over
//! indices, so the cutting is done first, when the loop starts: the value is cut in two,
//! each half again (the two halves at once, by `join`), down to a depth that makes up to
//! [`PIECES_PER_THREAD`] pieces per thread of the current pool, or until the splitter
//! keeps a piece whole. The pieces, in order, are then the items of a loop, each handed to
//! the rest of the iterator whole.

use std::fmt;
use std::sync::OnceLock;

use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::iter::vec::{IntoIter, Take};
use crate::iter::{IntoParallelIterator, ParallelIterator};
use crate::loom::Mutex;

/// How many pieces per thread of the current pool [`split`] cuts a value into, at most:
/// enough for idle workers to even out pieces of different costs.
const PIECES_PER_THREAD: usize = 8;

/// A parallel iterator over the pieces `splitter` cuts `data` into: `splitter` returns a
/// value's two halves, or the value and `None` to keep it whole. The items are the pieces,
/// in order (the first half's pieces before the second's); how many there are is not
/// fixed: up to 8 per thread of the pool the loop runs on (8 times the thread count,
/// rounded up to a power of two), fewer where the splitter keeps a piece whole. All the cutting happens when the loop starts, the
/// halves of each cut in parallel, before the first piece reaches the rest of the iterator.
/// Not indexed (the number of pieces depends on the pool).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// // Sum a range in pieces: each piece is summed sequentially, the pieces in parallel.
/// let halves = |r: std::ops::Range<u64>| {
///     if r.end - r.start < 2 {
///         (r, None)
///     } else {
///         let mid = r.start + (r.end - r.start) / 2;
///         (r.start..mid, Some(mid..r.end))
///     }
/// };
/// let total: u64 = brigade::iter::split(0..1_000_000u64, halves).map(|r| r.sum::<u64>()).sum();
/// assert_eq!(total, 499_999_500_000);
/// // A splitter that never cuts: one piece.
/// assert_eq!(brigade::iter::split(0..10u32, |r| (r, None)).count(), 1);
/// ```
pub fn split<D, S>(data: D, splitter: S) -> IterSplit<D, S>
where
    D: Send,
    S: Fn(D) -> (D, Option<D>) + Sync + Send,
{
    IterSplit {
        data: Mutex::new(Some(data)),
        splitter,
        pieces: OnceLock::new(),
    }
}

/// The parallel iterator of [`split`].
///
/// # Examples
///
/// ```
/// let it: brigade::iter::IterSplit<_, _> = brigade::iter::split(vec![1, 2, 3], |v| (v, None));
/// # drop(it);
/// ```
pub struct IterSplit<D, S> {
    /// The value, until the loop starts and cuts it.
    data: Mutex<Option<D>>,
    splitter: S,
    /// The pieces, once cut.
    pieces: OnceLock<IntoIter<D>>,
}

impl<D: Send, S: Fn(D) -> (D, Option<D>) + Sync> IterSplit<D, S> {
    fn pieces(&self) -> &IntoIter<D> {
        self.pieces.get_or_init(|| {
            let data = self.data.lock().take();
            let mut out = Vec::new();
            if let Some(data) = data {
                let depth = (crate::current_num_threads() * PIECES_PER_THREAD)
                    .next_power_of_two()
                    .trailing_zeros();
                cut(data, &self.splitter, depth, &mut out);
            }
            out.into_par_iter()
        })
    }
}

/// Cuts `data` down to `depth` levels, appending the pieces to `out` in order.
fn cut<D: Send, S: Fn(D) -> (D, Option<D>) + Sync>(
    data: D,
    splitter: &S,
    depth: u32,
    out: &mut Vec<D>,
) {
    if depth == 0 {
        out.push(data);
        return;
    }
    match splitter(data) {
        (whole, None) => out.push(whole),
        (left, Some(right)) => {
            let mut tail = Vec::new();
            crate::join(
                || cut(left, splitter, depth - 1, out),
                || cut(right, splitter, depth - 1, &mut tail),
            );
            out.append(&mut tail);
        }
    }
}

/// A copy that has not started: its value cloned, or the pieces if they were cut already
/// (an iterator the caller can still reach has not run, see `IntoIter`'s `Clone`).
impl<D: Clone + Send, S: Clone> Clone for IterSplit<D, S> {
    fn clone(&self) -> Self {
        IterSplit {
            data: Mutex::new(self.data.lock().clone()),
            splitter: self.splitter.clone(),
            pieces: self.pieces.clone(),
        }
    }
}

impl<D, S> fmt::Debug for IterSplit<D, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IterSplit")
            .field("cut", &self.pieces.get().is_some())
            .finish_non_exhaustive()
    }
}

impl<D, S> Sealed for IterSplit<D, S> {}

impl<D, S> ParallelIterator for IterSplit<D, S>
where
    D: Send,
    S: Fn(D) -> (D, Option<D>) + Sync + Send,
{
    type Item = D;
    type State = ();
    type Piece<'p>
        = Take<'p, D>
    where
        Self: 'p;
    type Flush<'p>
        = std::iter::Empty<D>
    where
        Self: 'p;
    // The number of pieces depends on the pool: no `len`, `enumerate` or `zip`.
    const INDEXED: bool = false;
    const FLUSHES: bool = false;
    const CUTS_SHORT: bool = false;
    const BOUNDLESS: bool = false;
    const CLOSES: bool = false;

    #[inline]
    fn base_len(&self) -> usize {
        self.pieces().base_len()
    }

    #[inline]
    fn config(&self) -> Config {
        Config::default()
    }

    #[inline]
    fn state(&self) {}

    #[inline]
    unsafe fn piece<'p>(&'p self, state: &'p mut (), start: usize, end: usize) -> Take<'p, D> {
        // SAFETY: forwarded: the caller's promise is the one the pieces' iterator needs.
        unsafe { self.pieces().piece(state, start, end) }
    }

    #[inline]
    fn flush<'p>(&'p self, (): ()) -> Self::Flush<'p> {
        std::iter::empty()
    }

    #[inline]
    fn dry_from(&self, _start: usize) -> bool {
        false
    }
}
