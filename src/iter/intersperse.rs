//! [`Intersperse`]: a clone of a separator between every two items.
//!
//! On an indexed base of `n` items the result is indexed, `2n - 1` items: base index `j` is
//! the base's item `j / 2` if `j` is even, a separator if odd. A piece `start..end` asks the
//! base for the items at the even indices in it and puts a separator at each odd one, so a
//! separator whose item falls in the next piece still ends this one.
//!
//! On a base that is not indexed the pieces are the base's, and a run (`drive.rs`: the
//! pieces one worker goes through in a row, then its flush) cannot know whether the runs
//! before it yielded anything: a run puts a separator before each of its items, except a run
//! that holds the loop's first piece (base index 0) before its first item. So if every item
//! before some run is filtered out, the result begins with a separator, as rayon's does (its
//! right halves always lead with one). Whether the next item of a run needs a separator is
//! kept in the run's state, so it carries from piece to piece and on to the flush (a `fold`
//! before `intersperse` yields its accumulators there).
//!
//! The separator is cloned once per run under a lock (the runs' states hold the clones), so
//! the item need only be `Clone + Send`, as in rayon.

use std::borrow::Cow;
use std::fmt;

use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::iter::{IndexedParallelIterator, ParallelIterator};
use crate::loom::Mutex;

/// The parallel iterator of [`ParallelIterator::intersperse`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::Intersperse<_> = (1..4u32).into_par_iter().intersperse(0);
/// assert_eq!(it.len(), 5);
/// assert_eq!(it.collect::<Vec<_>>(), [1, 0, 2, 0, 3]);
/// ```
#[must_use = "iterator adaptors are lazy: call a terminal such as `for_each` or `collect`"]
pub struct Intersperse<I: ParallelIterator> {
    base: I,
    sep: Mutex<I::Item>,
    /// The number of base indices: `2n - 1` for an indexed base of `n` items (0 for none),
    /// the base's own otherwise.
    len: usize,
}

impl<I: ParallelIterator> Intersperse<I>
where
    I::Item: Clone,
{
    /// # Panics
    ///
    /// If the base is indexed and has more than `usize::MAX / 2 + 1` items.
    #[track_caller]
    pub(crate) fn new(base: I, sep: I::Item) -> Self {
        let n = base.base_len();
        let len = if !I::INDEXED || n == 0 {
            n
        } else {
            match (n - 1).checked_mul(2) {
                Some(len) => len + 1,
                None => too_long(),
            }
        };
        Intersperse {
            base,
            sep: Mutex::new(sep),
            len,
        }
    }
}

#[cold]
#[track_caller]
fn too_long() -> ! {
    panic!(
        "`intersperse`: more than usize::MAX items with the separators (an unbounded \
         `repeat`?); `take` what you need first"
    )
}

impl<I: ParallelIterator + Clone> Clone for Intersperse<I>
where
    I::Item: Clone,
{
    fn clone(&self) -> Self {
        Intersperse {
            base: self.base.clone(),
            sep: Mutex::new(self.sep.lock().clone()),
            len: self.len,
        }
    }
}

impl<I: ParallelIterator + fmt::Debug> fmt::Debug for Intersperse<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Intersperse")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl<I: ParallelIterator> Sealed for Intersperse<I> {}

impl<I> ParallelIterator for Intersperse<I>
where
    I: ParallelIterator,
    I::Item: Clone,
{
    type Item = I::Item;
    /// The base's state, this run's clone of the separator, and whether the run's next item
    /// needs a separator before it (not indexed).
    type State = (I::State, I::Item, bool);
    type Piece<'p>
        = Separated<'p, I::Piece<'p>, I::Item>
    where
        Self: 'p;
    type Flush<'p>
        = Separated<'p, I::Flush<'p>, I::Item>
    where
        Self: 'p;
    const INDEXED: bool = I::INDEXED;
    const FLUSHES: bool = I::FLUSHES;
    const CUTS_SHORT: bool = I::CUTS_SHORT;
    const BOUNDLESS: bool = I::BOUNDLESS;
    const CLOSES: bool = I::CLOSES;

    #[inline]
    fn base_len(&self) -> usize {
        self.len
    }

    #[inline]
    fn config(&self) -> Config {
        self.base.config()
    }

    #[inline]
    fn state(&self) -> Self::State {
        (self.base.state(), self.sep.lock().clone(), true)
    }

    #[inline]
    unsafe fn piece<'p>(
        &'p self,
        state: &'p mut Self::State,
        start: usize,
        end: usize,
    ) -> Self::Piece<'p> {
        let (base_state, sep, lead) = state;
        if I::INDEXED {
            // SAFETY: the even indices of disjoint pieces map to disjoint base indices
            // (`start.div_ceil(2)..end.div_ceil(2)`), within the base's `n` as `end <= 2n - 1`.
            let items = unsafe {
                self.base
                    .piece(base_state, start.div_ceil(2), end.div_ceil(2))
            };
            Separated {
                items,
                sep: Cow::Borrowed(sep),
                sep_next: Flag::Own(start % 2 == 1),
                left: Some(end - start),
                pending: None,
            }
        } else {
            // SAFETY: the same indices: the caller's promise is the base's.
            let items = unsafe { self.base.piece(base_state, start, end) };
            if start == 0 {
                *lead = false;
            }
            Separated {
                items,
                sep: Cow::Borrowed(sep),
                sep_next: Flag::Run(lead),
                left: None,
                pending: None,
            }
        }
    }

    /// The flush goes on from where the run's pieces left off (not indexed: indexed bases
    /// never flush).
    #[inline]
    fn flush<'p>(&'p self, state: Self::State) -> Self::Flush<'p> {
        let (base_state, sep, lead) = state;
        Separated {
            items: self.base.flush(base_state),
            sep: Cow::Owned(sep),
            sep_next: Flag::Own(lead),
            left: None,
            pending: None,
        }
    }

    #[inline]
    fn dry_from(&self, start: usize) -> bool {
        if I::INDEXED {
            self.base.dry_from(start.div_ceil(2))
        } else {
            self.base.dry_from(start)
        }
    }

    #[inline]
    fn cut_after(&self, start: usize) -> usize {
        if I::INDEXED {
            usize::MAX
        } else {
            self.base.cut_after(start)
        }
    }
}

impl<I> IndexedParallelIterator for Intersperse<I>
where
    I: IndexedParallelIterator,
    I::Item: Clone,
{
    type RevPiece<'p>
        = Separated<'p, I::RevPiece<'p>, I::Item>
    where
        Self: 'p;

    #[inline]
    unsafe fn rev_piece<'p>(
        &'p self,
        state: &'p mut Self::State,
        start: usize,
        end: usize,
    ) -> Self::RevPiece<'p> {
        let (base_state, sep, _) = state;
        // SAFETY: as in `piece`.
        let items = unsafe {
            self.base
                .rev_piece(base_state, start.div_ceil(2), end.div_ceil(2))
        };
        Separated {
            items,
            sep: Cow::Borrowed(sep),
            // The last index first: a separator if it is odd.
            sep_next: Flag::Own(end > start && (end - 1) % 2 == 1),
            left: Some(end - start),
            pending: None,
        }
    }
}

/// A piece of an [`Intersperse`]: the base's items with separators between them. Indexed
/// (`left` is `Some`): exactly `left` items, alternating from `sep_next` on. Not indexed: a
/// separator before each item, but before the first one only if `sep_next`.
#[doc(hidden)]
pub struct Separated<'p, P: Iterator, T: Clone> {
    items: P,
    /// Borrowed from the run's state in a piece; owned by a flush, which takes the state.
    sep: Cow<'p, T>,
    sep_next: Flag<'p>,
    left: Option<usize>,
    /// An item whose separator was just yielded (not indexed).
    pending: Option<P::Item>,
}

impl<P: Iterator, T: Clone> fmt::Debug for Separated<'_, P, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Separated")
            .field("sep_next", &self.sep_next.get())
            .field("left", &self.left)
            .finish_non_exhaustive()
    }
}

impl<P, T> Iterator for Separated<'_, P, T>
where
    P: Iterator<Item = T>,
    T: Clone,
{
    type Item = P::Item;

    #[inline]
    fn next(&mut self) -> Option<T> {
        match &mut self.left {
            Some(0) => None,
            Some(left) => {
                *left -= 1;
                let sep = self.sep_next.get();
                self.sep_next.set(!sep);
                if sep {
                    Some(T::clone(&self.sep))
                } else {
                    self.items.next()
                }
            }
            None => {
                if let Some(item) = self.pending.take() {
                    return Some(item);
                }
                let item = self.items.next()?;
                let sep = self.sep_next.get();
                self.sep_next.set(true);
                if sep {
                    self.pending = Some(item);
                    Some(T::clone(&self.sep))
                } else {
                    Some(item)
                }
            }
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        match self.left {
            Some(left) => (left, Some(left)),
            None => {
                let (lo, hi) = self.items.size_hint();
                let pending = usize::from(self.pending.is_some());
                (
                    lo.saturating_add(pending),
                    hi.and_then(|h| h.checked_mul(2)?.checked_add(pending)),
                )
            }
        }
    }
}

/// Whether a separator comes next: a piece's own (indexed), or the run's, in its state.
enum Flag<'p> {
    Own(bool),
    Run(&'p mut bool),
}

impl Flag<'_> {
    #[inline]
    fn get(&self) -> bool {
        match self {
            Flag::Own(b) => *b,
            Flag::Run(b) => **b,
        }
    }

    #[inline]
    fn set(&mut self, value: bool) {
        match self {
            Flag::Own(b) => *b = value,
            Flag::Run(b) => **b = value,
        }
    }
}
