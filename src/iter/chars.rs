//! The characters and bytes of a string: [`Chars`], [`CharIndices`] and [`Bytes`]
//! (`ParallelString::par_chars`, `par_char_indices`, `par_bytes`).
//!
//! As for lines and words (`str.rs`), the base indices of `Chars` and `CharIndices` are the
//! string's bytes, and a piece `start..end` yields the characters that *begin* in it: its
//! bounds move forward to the next character boundary (at most 3 bytes), so a character
//! cut by a piece boundary goes to the piece where its first byte is. Not indexed: a piece
//! of `n` bytes holds between `n / 4` and `n` characters. `Bytes` is the byte slice's own
//! indexed iterator.

use std::fmt;

use crate::iter::drive::Config;
use crate::iter::sealed::Sealed;
use crate::iter::{Copied, Iter, ParallelIterator};

/// The parallel iterator of [`ParallelString::par_bytes`](crate::iter::ParallelString::par_bytes):
/// the string's bytes, indexed.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::Bytes<'_> = "ab".par_bytes();
/// assert_eq!(it.len(), 2);
/// ```
pub type Bytes<'a> = Copied<Iter<&'a [u8]>>;

/// The parallel iterator of [`ParallelString::par_chars`](crate::iter::ParallelString::par_chars).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::Chars<'_> = "añb".par_chars();
/// assert_eq!(it.filter(char::is_ascii).count(), 2);
/// ```
#[must_use = "iterators are lazy: call a terminal such as `for_each` or `collect`"]
#[derive(Clone)]
pub struct Chars<'a> {
    text: &'a str,
}

impl<'a> Chars<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Chars { text }
    }
}

/// The parallel iterator of
/// [`ParallelString::par_char_indices`](crate::iter::ParallelString::par_char_indices).
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::CharIndices<'_> = "añb".par_char_indices();
/// assert_eq!(it.map(|(i, _)| i).max(), Some(3));
/// ```
#[must_use = "iterators are lazy: call a terminal such as `for_each` or `collect`"]
#[derive(Clone)]
pub struct CharIndices<'a> {
    text: &'a str,
}

impl<'a> CharIndices<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        CharIndices { text }
    }
}

/// The characters that begin in bytes `start..end` of `text`, and the offset of the first.
pub(crate) fn chars_beginning_in(text: &str, start: usize, end: usize) -> (&str, usize) {
    let next_boundary = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i += 1;
        }
        i
    };
    let (at, to) = (next_boundary(start), next_boundary(end));
    (&text[at..to], at)
}

/// A piece of [`CharIndices`]: `str::CharIndices` of the piece's characters, with offsets
/// from the start of the whole string.
#[doc(hidden)]
#[derive(Debug)]
pub struct CharIndicesPiece<'a> {
    chars: std::str::CharIndices<'a>,
    offset: usize,
}

impl Iterator for CharIndicesPiece<'_> {
    type Item = (usize, char);

    #[inline]
    fn next(&mut self) -> Option<(usize, char)> {
        self.chars.next().map(|(i, c)| (i + self.offset, c))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chars.size_hint()
    }
}

/// Implements the iterator traits for a character source.
macro_rules! char_source {
    ($name:ident, $item:ty, $piece:ty, |$text:ident, $offset:ident| $make:expr) => {
        impl Sealed for $name<'_> {}

        impl<'a> ParallelIterator for $name<'a> {
            type Item = $item;
            type State = ();
            type Piece<'p>
                = $piece
            where
                Self: 'p;
            type Flush<'p>
                = std::iter::Empty<$item>
            where
                Self: 'p;
            const INDEXED: bool = false;
            const FLUSHES: bool = false;
            const CUTS_SHORT: bool = false;
            const BOUNDLESS: bool = false;
            const CLOSES: bool = false;

            #[inline]
            fn base_len(&self) -> usize {
                self.text.len()
            }

            #[inline]
            fn config(&self) -> Config {
                Config::default()
            }

            #[inline]
            fn state(&self) {}

            #[inline]
            unsafe fn piece<'p>(&'p self, _: &'p mut (), start: usize, end: usize) -> $piece {
                let ($text, $offset) = chars_beginning_in(self.text, start, end);
                $make
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

        impl fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("len", &self.text.len())
                    .finish_non_exhaustive()
            }
        }
    };
}

char_source!(Chars, char, std::str::Chars<'a>, |text, _offset| text
    .chars());
char_source!(
    CharIndices,
    (usize, char),
    CharIndicesPiece<'a>,
    |text, offset| CharIndicesPiece {
        chars: text.char_indices(),
        offset,
    }
);

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::prelude::*;

    const TEXTS: [&str; 5] = ["", "a", "añ€😀b", "plain ascii text", "😀😀😀ñ\u{301}x"];

    #[test]
    fn characters_match_std_at_every_cut() {
        let pool = crate::ThreadPool::builder().num_threads(3).build().unwrap();
        // Fewer cuts under miri: one piece per character, and pieces of a few.
        let cuts = if cfg!(miri) { 1..=2 } else { 1..=5 };
        for text in TEXTS {
            for min in cuts.clone() {
                let chars: Vec<char> =
                    pool.install(|| text.par_chars().with_max_len(min).collect());
                assert_eq!(chars, text.chars().collect::<Vec<_>>(), "{text:?} {min}");
                let at: Vec<(usize, char)> =
                    pool.install(|| text.par_char_indices().with_max_len(min).collect());
                assert_eq!(
                    at,
                    text.char_indices().collect::<Vec<_>>(),
                    "{text:?} {min}"
                );
                let bytes: Vec<u8> = pool.install(|| text.par_bytes().with_max_len(min).collect());
                assert_eq!(bytes, text.as_bytes());
            }
        }
    }
}
