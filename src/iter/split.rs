//! Strings cut at separator characters: `par_split`, `par_split_terminator` and
//! `par_split_inclusive` ([`Split`], [`SplitTerminator`], [`SplitInclusive`]), with the
//! separators a [`Pattern`] matches.
//!
//! As for lines (`str.rs`), the base indices are the string's bytes, plus one for the part
//! that begins at the very end (after a final separator, or of an empty string): a piece
//! `start..end` yields the parts that *begin* in it. It finds the first part beginning at
//! or after `start` by looking only at its own bytes (so a piece never scans past its end),
//! and finishes the last part it begins even past `end`. Not indexed.

use std::fmt;

use crate::iter::ParallelIterator;
use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;

mod seal {
    pub trait Sealed {}
}

/// What separates the parts of a string for [`par_split`](crate::iter::ParallelString::par_split)
/// and its kin, as in rayon: a `char`, a slice or array of `char`s (any of them), or a
/// closure `Fn(char) -> bool`. Sealed. (rayon, too, takes no `&str` separator.)
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let s = "a,b;c d";
/// assert_eq!(s.par_split(',').count(), 2);
/// assert_eq!(s.par_split([',', ';']).count(), 3);
/// assert_eq!(s.par_split(&[',', ';', ' '][..]).count(), 4);
/// assert_eq!(s.par_split(char::is_whitespace).count(), 2);
/// ```
pub trait Pattern: seal::Sealed + Sync + Send {
    /// True if `c` is a separator.
    #[doc(hidden)]
    fn is_match(&self, c: char) -> bool;
}

impl seal::Sealed for char {}
impl Pattern for char {
    #[inline]
    fn is_match(&self, c: char) -> bool {
        *self == c
    }
}

impl seal::Sealed for &[char] {}
impl Pattern for &[char] {
    #[inline]
    fn is_match(&self, c: char) -> bool {
        self.contains(&c)
    }
}

impl<const N: usize> seal::Sealed for [char; N] {}
impl<const N: usize> Pattern for [char; N] {
    #[inline]
    fn is_match(&self, c: char) -> bool {
        self.contains(&c)
    }
}

impl<const N: usize> seal::Sealed for &[char; N] {}
impl<const N: usize> Pattern for &[char; N] {
    #[inline]
    fn is_match(&self, c: char) -> bool {
        self.contains(&c)
    }
}

impl<F: Fn(char) -> bool + Sync + Send> seal::Sealed for F {}
impl<F: Fn(char) -> bool + Sync + Send> Pattern for F {
    #[inline]
    fn is_match(&self, c: char) -> bool {
        self(c)
    }
}

/// Which of std's splits a [`SplitParts`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `str::split`: every part, the empty one after a final separator included.
    Split,
    /// `str::split_terminator`: no empty part after a final separator.
    Terminator,
    /// `str::split_inclusive`: each part keeps its separator; no empty last part.
    Inclusive,
}

/// The parts of a string between separators, as one of std's splits cuts them; the types
/// [`Split`], [`SplitTerminator`] and [`SplitInclusive`] are this with their `KIND`.
#[doc(hidden)]
#[must_use = "iterators are lazy: call a terminal such as `for_each` or `collect`"]
#[derive(Clone)]
pub struct SplitParts<'a, P, const KIND: u8> {
    text: &'a str,
    pattern: P,
}

/// The parallel iterator of [`ParallelString::par_split`](crate::iter::ParallelString::par_split).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::Split<'_, char> = "1,2,,3".par_split(',');
/// assert_eq!(it.collect::<Vec<_>>(), ["1", "2", "", "3"]);
/// ```
pub type Split<'a, P> = SplitParts<'a, P, 0>;

/// The parallel iterator of
/// [`ParallelString::par_split_terminator`](crate::iter::ParallelString::par_split_terminator).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::SplitTerminator<'_, char> = "a;b;".par_split_terminator(';');
/// assert_eq!(it.collect::<Vec<_>>(), ["a", "b"]);
/// ```
pub type SplitTerminator<'a, P> = SplitParts<'a, P, 1>;

/// The parallel iterator of
/// [`ParallelString::par_split_inclusive`](crate::iter::ParallelString::par_split_inclusive).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::SplitInclusive<'_, char> = "a\nb\nc".par_split_inclusive('\n');
/// assert_eq!(it.collect::<Vec<_>>(), ["a\n", "b\n", "c"]);
/// ```
pub type SplitInclusive<'a, P> = SplitParts<'a, P, 2>;

impl<'a, P, const KIND: u8> SplitParts<'a, P, KIND> {
    pub(crate) fn new(text: &'a str, pattern: P) -> Self {
        SplitParts { text, pattern }
    }

    const KIND: Kind = match KIND {
        0 => Kind::Split,
        1 => Kind::Terminator,
        _ => Kind::Inclusive,
    };
}

impl<P, const KIND: u8> fmt::Debug for SplitParts<'_, P, KIND> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Split")
            .field("kind", &Self::KIND)
            .field("len", &self.text.len())
            .finish_non_exhaustive()
    }
}

impl<P, const KIND: u8> Sealed for SplitParts<'_, P, KIND> {}

impl<'a, P: Pattern, const KIND: u8> ParallelIterator for SplitParts<'a, P, KIND> {
    type Item = &'a str;
    type State = ();
    type Piece<'p>
        = PartsPiece<'a, 'p, P>
    where
        Self: 'p;
    type Flush<'p>
        = std::iter::Empty<&'a str>
    where
        Self: 'p;
    const INDEXED: bool = false;
    const FLUSHES: bool = false;
    const CUTS_SHORT: bool = false;
    const BOUNDLESS: bool = false;
    const CLOSES: bool = false;

    /// One index per byte, and one for a part that begins at the end.
    #[inline]
    fn base_len(&self) -> usize {
        self.text.len() + 1
    }

    #[inline]
    fn config(&self) -> Config {
        Config::default()
    }

    #[inline]
    fn state(&self) {}

    #[inline]
    unsafe fn piece<'p>(&'p self, _: &'p mut (), start: usize, end: usize) -> Self::Piece<'p> {
        let at = first_part_in(self.text, &self.pattern, start, end);
        PartsPiece {
            text: self.text,
            pattern: &self.pattern,
            kind: Self::KIND,
            at,
            end,
        }
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

/// Where the first part that begins in bytes `start..end` begins, if one does: at 0, or
/// right after a separator. Looks only at the characters that begin before `end` (and the
/// one holding byte `start - 1`).
fn first_part_in(text: &str, pattern: &impl Pattern, start: usize, end: usize) -> Option<usize> {
    if start == 0 {
        return Some(0);
    }
    // The character that holds byte `start - 1`: a separator there ends at `start` or
    // later, so the part after it begins in this piece if it begins before `end`.
    let mut from = start - 1;
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let stop = end.min(text.len());
    text[from..]
        .char_indices()
        .take_while(|&(i, _)| from + i < stop)
        .find(|&(_, c)| pattern.is_match(c))
        .map(|(i, c)| from + i + c.len_utf8())
        .filter(|&at| at < end)
}

/// A piece of a [`SplitParts`]: the parts that begin in its bytes.
#[doc(hidden)]
pub struct PartsPiece<'a, 'p, P> {
    text: &'a str,
    pattern: &'p P,
    kind: Kind,
    /// Where the next part begins, if there is one.
    at: Option<usize>,
    end: usize,
}

impl<P> fmt::Debug for PartsPiece<'_, '_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartsPiece")
            .field("at", &self.at)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

impl<'a, P: Pattern> Iterator for PartsPiece<'a, '_, P> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let at = self.at.filter(|&at| at < self.end)?;
        let rest = &self.text[at..];
        match rest.char_indices().find(|&(_, c)| self.pattern.is_match(c)) {
            Some((i, c)) => {
                let next = i + c.len_utf8();
                self.at = Some(at + next);
                Some(if self.kind == Kind::Inclusive {
                    &rest[..next]
                } else {
                    &rest[..i]
                })
            }
            None => {
                self.at = None;
                // The last part: empty only if it begins at the end, which only `split`
                // yields.
                (!rest.is_empty() || self.kind == Kind::Split).then_some(rest)
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::Schedule;
    use crate::prelude::*;

    const TEXTS: &[&str] = &[
        "",
        ",",
        ",,",
        "a",
        "a,",
        ",a",
        "a,b,,c",
        "héllo, wörld,, ✓,",
        "✓✓,✓,,,✓",
        "no separators in this one at all",
    ];

    #[test]
    fn parts_match_std_at_every_cut() {
        // Safe code over the iterator layer: under miri, two threads, one cut and the texts
        // with separators.
        let threads = if cfg!(miri) { 2 } else { 3 };
        let pool = crate::ThreadPool::builder()
            .num_threads(threads)
            .build()
            .unwrap();
        let cuts = if cfg!(miri) { 1..=1 } else { 1..=6 };
        let texts = if cfg!(miri) { &TEXTS[6..9] } else { TEXTS };
        for text in texts {
            for max in cuts.clone() {
                let s = Schedule::Dynamic { chunk: max };
                let split: Vec<&str> =
                    pool.install(|| text.par_split(',').with_schedule(s).collect());
                assert_eq!(split, text.split(',').collect::<Vec<_>>(), "{text:?} {max}");
                let term: Vec<&str> =
                    pool.install(|| text.par_split_terminator(',').with_schedule(s).collect());
                assert_eq!(
                    term,
                    text.split_terminator(',').collect::<Vec<_>>(),
                    "{text:?} {max}"
                );
                let inc: Vec<&str> =
                    pool.install(|| text.par_split_inclusive(',').with_schedule(s).collect());
                assert_eq!(
                    inc,
                    text.split_inclusive(',').collect::<Vec<_>>(),
                    "{text:?} {max}"
                );
                let multi: Vec<&str> =
                    pool.install(|| text.par_split(['✓', ',']).with_schedule(s).collect());
                assert_eq!(
                    multi,
                    text.split(['✓', ',']).collect::<Vec<_>>(),
                    "{text:?} {max}"
                );
                let ws: Vec<&str> = pool.install(|| {
                    text.par_split(char::is_whitespace)
                        .with_schedule(s)
                        .collect()
                });
                assert_eq!(ws, text.split(char::is_whitespace).collect::<Vec<_>>());
            }
        }
    }
}
