//! [`StringDrain`]: `par_drain` on a `String`, the characters of a byte range. The range
//! leaves the string when the iterator is dropped (after the loop, or without running), as
//! with std's `String::drain`; the pieces read the characters in place meanwhile.

use std::fmt;
use std::ops::RangeBounds;

use crate::iter::ParallelIterator;
use crate::iter::chars::chars_beginning_in;
use crate::iter::drain::ParallelDrainRange;
use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::iter::vec::drain_bounds;

/// The parallel iterator of [`par_drain`](ParallelDrainRange::par_drain) on a `String`: the
/// characters of a byte range, which is removed from the string when the iterator is
/// dropped, whether it ran or not.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let mut s = String::from("añ€😀b");
/// let it: brigade::iter::StringDrain<'_> = s.par_drain(1..10);
/// assert_eq!(it.collect::<String>(), "ñ€😀");
/// assert_eq!(s, "ab");
/// ```
#[must_use = "iterators are lazy: call a terminal such as `for_each` or `collect`"]
pub struct StringDrain<'a> {
    string: &'a mut String,
    start: usize,
    end: usize,
}

/// `par_drain` on a `String`: its characters in a byte range, removed from the string once
/// the iterator is dropped.
///
/// # Panics
///
/// If the range starts after it ends, ends past the string's length, or either end is not
/// on a character boundary (as `String::drain`).
impl<'a> ParallelDrainRange<usize> for &'a mut String {
    type Iter = StringDrain<'a>;
    type Item = char;

    #[track_caller]
    fn par_drain<R: RangeBounds<usize>>(self, range: R) -> StringDrain<'a> {
        let (start, end) = drain_bounds(range, self.len(), "String");
        assert!(
            self.is_char_boundary(start) && self.is_char_boundary(end),
            "par_drain: byte range {start}..{end} of the String does not start and end on \
             character boundaries"
        );
        StringDrain {
            string: self,
            start,
            end,
        }
    }
}

impl StringDrain<'_> {
    fn text(&self) -> &str {
        &self.string[self.start..self.end]
    }
}

impl Drop for StringDrain<'_> {
    fn drop(&mut self) {
        self.string.replace_range(self.start..self.end, "");
    }
}

impl fmt::Debug for StringDrain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StringDrain")
            .field("range", &(self.start..self.end))
            .finish_non_exhaustive()
    }
}

impl Sealed for StringDrain<'_> {}

impl ParallelIterator for StringDrain<'_> {
    type Item = char;
    type State = ();
    type Piece<'p>
        = std::str::Chars<'p>
    where
        Self: 'p;
    type Flush<'p>
        = std::iter::Empty<char>
    where
        Self: 'p;
    const INDEXED: bool = false;
    const FLUSHES: bool = false;
    const CUTS_SHORT: bool = false;
    const BOUNDLESS: bool = false;
    const CLOSES: bool = false;

    #[inline]
    fn base_len(&self) -> usize {
        self.end - self.start
    }

    #[inline]
    fn config(&self) -> Config {
        Config::default()
    }

    #[inline]
    fn state(&self) {}

    #[inline]
    unsafe fn piece<'p>(&'p self, _: &'p mut (), start: usize, end: usize) -> Self::Piece<'p> {
        chars_beginning_in(self.text(), start, end).0.chars()
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
