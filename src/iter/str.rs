//! The string methods of the prelude ([`ParallelString`]): [`Lines`] and
//! [`SplitWhitespace`] here, the characters and bytes in `chars.rs`.
//!
//! Their base indices are the string's bytes, and a piece `start..end` yields the lines
//! (words) that *begin* in it: it skips the end of a line (word) begun before `start`, and
//! finishes the last one it begins even past `end`. Every line (word) begins at exactly
//! one byte, so each is yielded once, in order. Not indexed: how many lines a piece holds
//! is known only once it runs.

use std::fmt;

use crate::iter::chars::{Bytes, CharIndices, Chars};
use crate::iter::drive::Config;
use crate::iter::filter::{FilterMap, FlatMapIter};
use crate::iter::sealed::Sealed;
use crate::iter::split::{Pattern, Split, SplitInclusive, SplitTerminator};
use crate::iter::{IntoParallelRefIterator, ParallelIterator};

/// Parallel iterators over the parts of a string.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let text = "one two\nthree four five\n";
/// assert_eq!(text.par_lines().count(), 2);
/// assert_eq!(text.par_split_whitespace().count(), 5);
/// ```
pub trait ParallelString {
    /// The lines of the string, as [`str::lines`] cuts them: at `\n` or `\r\n`, without the
    /// line ending, and no empty line after a final line ending.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let lines: Vec<&str> = "a\r\nb\n\nc".par_lines().collect();
    /// assert_eq!(lines, ["a", "b", "", "c"]);
    /// ```
    fn par_lines(&self) -> Lines<'_>;

    /// The words of the string, as [`str::split_whitespace`] cuts them: the runs of
    /// non-whitespace characters (Unicode's `White_Space`).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let words: Vec<&str> = " a  bc\u{a0}d\n".par_split_whitespace().collect();
    /// assert_eq!(words, ["a", "bc", "d"]);
    /// ```
    fn par_split_whitespace(&self) -> SplitWhitespace<'_>;

    /// The words of the string, as [`str::split_ascii_whitespace`] cuts them: the runs of
    /// characters other than ASCII whitespace (space, tab, line feed, form feed, carriage
    /// return; not vertical tab, and no character outside ASCII).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let words: Vec<&str> = " a  bc\u{a0}d\n".par_split_ascii_whitespace().collect();
    /// assert_eq!(words, ["a", "bc\u{a0}d"]);
    /// ```
    fn par_split_ascii_whitespace(&self) -> SplitAsciiWhitespace<'_>;

    /// The string as UTF-16 code units, as [`str::encode_utf16`] gives them (two for a
    /// character outside the Basic Multilingual Plane). Not indexed: a character's units
    /// are known only once it is decoded.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let text = "a€😀";
    /// let units: Vec<u16> = text.par_encode_utf16().collect();
    /// assert_eq!(units, text.encode_utf16().collect::<Vec<_>>());
    /// assert_eq!(units.len(), 4);
    /// ```
    fn par_encode_utf16(&self) -> EncodeUtf16<'_>;

    /// The characters of the string, as [`str::chars`] yields them.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let upper: String = "grüße".par_chars().flat_map_iter(char::to_uppercase).collect();
    /// assert_eq!(upper, "GRÜSSE");
    /// ```
    fn par_chars(&self) -> Chars<'_>;

    /// The characters of the string with the byte offset where each begins, as
    /// [`str::char_indices`] yields them.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let at: Vec<(usize, char)> = "aé!".par_char_indices().collect();
    /// assert_eq!(at, [(0, 'a'), (1, 'é'), (3, '!')]);
    /// ```
    fn par_char_indices(&self) -> CharIndices<'_>;

    /// The bytes of the string (an indexed iterator, one item per byte).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// assert_eq!("hello".par_bytes().filter(|&b| b == b'l').count(), 2);
    /// ```
    fn par_bytes(&self) -> Bytes<'_>;

    /// The parts of the string between separators, as [`str::split`] cuts them (an empty
    /// part where two separators meet, and after a final one); the separators are the
    /// characters `separator` matches ([`Pattern`]: a `char`, `char`s, or a closure).
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let fields: Vec<&str> = "a,b,,c,".par_split(',').collect();
    /// assert_eq!(fields, ["a", "b", "", "c", ""]);
    /// ```
    fn par_split<P: Pattern>(&self, separator: P) -> Split<'_, P>;

    /// As [`par_split`](Self::par_split), without the empty part after a final separator,
    /// as [`str::split_terminator`].
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let stmts: Vec<&str> = "a;b;;".par_split_terminator(';').collect();
    /// assert_eq!(stmts, ["a", "b", ""]);
    /// ```
    fn par_split_terminator<P: Pattern>(&self, terminator: P) -> SplitTerminator<'_, P>;

    /// As [`par_split`](Self::par_split), each part with the separator that ends it, as
    /// [`str::split_inclusive`].
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let parts: Vec<&str> = "one. two. three".par_split_inclusive('.').collect();
    /// assert_eq!(parts, ["one.", " two.", " three"]);
    /// ```
    fn par_split_inclusive<P: Pattern>(&self, separator: P) -> SplitInclusive<'_, P>;

    /// The characters `pattern` matches, each as a `&str`, in order, as [`str::matches`]
    /// yields them for a character pattern.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let digits: String = "a1b22c333".par_matches(|c: char| c.is_ascii_digit()).collect();
    /// assert_eq!(digits, "122333");
    /// ```
    fn par_matches<'a, P: Pattern>(
        &'a self,
        pattern: P,
    ) -> FilterMap<CharIndices<'a>, impl Fn((usize, char)) -> Option<&'a str> + Sync + Send>;

    /// [`par_matches`](Self::par_matches) with the byte offset of each match, as
    /// [`str::match_indices`].
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade::prelude::*;
    ///
    /// let at: Vec<(usize, &str)> = "a,é,".par_match_indices(',').collect();
    /// assert_eq!(at, [(1, ","), (4, ",")]);
    /// ```
    #[allow(clippy::type_complexity)] // the type of the closure inside has no name
    fn par_match_indices<'a, P: Pattern>(
        &'a self,
        pattern: P,
    ) -> FilterMap<CharIndices<'a>, impl Fn((usize, char)) -> Option<(usize, &'a str)> + Sync + Send>;
}

impl ParallelString for str {
    fn par_lines(&self) -> Lines<'_> {
        Lines { text: self }
    }

    fn par_split_whitespace(&self) -> SplitWhitespace<'_> {
        SplitWhitespace { text: self }
    }

    fn par_split_ascii_whitespace(&self) -> SplitAsciiWhitespace<'_> {
        SplitAsciiWhitespace { text: self }
    }

    fn par_encode_utf16(&self) -> EncodeUtf16<'_> {
        self.par_chars().flat_map_iter(utf16_units)
    }

    fn par_chars(&self) -> Chars<'_> {
        Chars::new(self)
    }

    fn par_char_indices(&self) -> CharIndices<'_> {
        CharIndices::new(self)
    }

    fn par_bytes(&self) -> Bytes<'_> {
        self.as_bytes().par_iter().copied()
    }

    fn par_split<P: Pattern>(&self, separator: P) -> Split<'_, P> {
        Split::new(self, separator)
    }

    fn par_split_terminator<P: Pattern>(&self, terminator: P) -> SplitTerminator<'_, P> {
        SplitTerminator::new(self, terminator)
    }

    fn par_split_inclusive<P: Pattern>(&self, separator: P) -> SplitInclusive<'_, P> {
        SplitInclusive::new(self, separator)
    }

    fn par_matches<'a, P: Pattern>(
        &'a self,
        pattern: P,
    ) -> FilterMap<CharIndices<'a>, impl Fn((usize, char)) -> Option<&'a str> + Sync + Send> {
        self.par_char_indices()
            .filter_map(move |(i, c)| pattern.is_match(c).then(|| &self[i..i + c.len_utf8()]))
    }

    fn par_match_indices<'a, P: Pattern>(
        &'a self,
        pattern: P,
    ) -> FilterMap<CharIndices<'a>, impl Fn((usize, char)) -> Option<(usize, &'a str)> + Sync + Send>
    {
        self.par_char_indices()
            .filter_map(move |(i, c)| pattern.is_match(c).then(|| (i, &self[i..i + c.len_utf8()])))
    }
}

/// Implements the iterator traits for a string source whose pieces are `$piece`.
macro_rules! str_source {
    ($name:ident, $piece:ident) => {
        impl Sealed for $name<'_> {}

        impl<'a> ParallelIterator for $name<'a> {
            type Item = &'a str;
            type State = ();
            type Piece<'p>
                = $piece<'a>
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
            unsafe fn piece<'p>(&'p self, _: &'p mut (), start: usize, end: usize) -> $piece<'a> {
                $piece::new(self.text, start, end)
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

/// The parallel iterator of [`ParallelString::par_lines`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::Lines<'_> = "x\ny".par_lines();
/// assert_eq!(it.map(str::len).sum::<usize>(), 2);
/// ```
#[must_use = "iterators are lazy: call a terminal such as `for_each` or `collect`"]
#[derive(Clone)]
pub struct Lines<'a> {
    text: &'a str,
}

str_source!(Lines, LinesPiece);

/// The lines that begin in bytes `at..end` of a string.
#[doc(hidden)]
#[derive(Debug)]
pub struct LinesPiece<'a> {
    /// The text from `at` on.
    rest: &'a str,
    at: usize,
    end: usize,
}

impl<'a> LinesPiece<'a> {
    fn new(text: &'a str, start: usize, end: usize) -> Self {
        // A line begins at 0 and after every `\n` (which is never part of a multi-byte
        // character, so a byte search is safe anywhere). Only a `\n` in bytes
        // `start - 1..end - 1` begins a line in this piece: the search stops there, so a
        // piece never scans past its end (a long line would make every piece scan the rest
        // of the text).
        let at = match start {
            0 => 0,
            _ => match text.as_bytes()[start - 1..end - 1]
                .iter()
                .position(|&b| b == b'\n')
            {
                Some(i) => start + i,
                None => text.len(),
            },
        };
        LinesPiece {
            rest: &text[at..],
            at,
            end,
        }
    }
}

impl<'a> Iterator for LinesPiece<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        if self.at >= self.end || self.rest.is_empty() {
            return None;
        }
        let (line, taken) = match self.rest.find('\n') {
            Some(i) => {
                let line = &self.rest[..i];
                (line.strip_suffix('\r').unwrap_or(line), i + 1)
            }
            // The last line, without a line ending: a bare `\r` stays, as in `str::lines`.
            None => (self.rest, self.rest.len()),
        };
        self.rest = &self.rest[taken..];
        self.at += taken;
        Some(line)
    }
}

/// The parallel iterator of [`ParallelString::par_split_whitespace`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::SplitWhitespace<'_> = "a b".par_split_whitespace();
/// assert_eq!(it.collect::<Vec<_>>(), ["a", "b"]);
/// ```
#[must_use = "iterators are lazy: call a terminal such as `for_each` or `collect`"]
#[derive(Clone)]
pub struct SplitWhitespace<'a> {
    text: &'a str,
}

str_source!(SplitWhitespace, WordsPiece);

/// The parallel iterator of [`ParallelString::par_split_ascii_whitespace`].
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::SplitAsciiWhitespace<'_> = "a\u{a0}b c".par_split_ascii_whitespace();
/// assert_eq!(it.collect::<Vec<_>>(), ["a\u{a0}b", "c"]);
/// ```
#[must_use = "iterators are lazy: call a terminal such as `for_each` or `collect`"]
#[derive(Clone)]
pub struct SplitAsciiWhitespace<'a> {
    text: &'a str,
}

str_source!(SplitAsciiWhitespace, AsciiWordsPiece);

/// The words that begin in bytes `at..end` of a string: separated by `char::is_whitespace`,
/// or by `u8::is_ascii_whitespace` if `ASCII`.
#[doc(hidden)]
#[derive(Debug)]
pub struct WordsPiece<'a, const ASCII: bool = false> {
    /// The text from `at` on.
    rest: &'a str,
    at: usize,
    end: usize,
    /// The first character boundary at or after `end`: the piece looks for the beginning of
    /// a word only before it (so it never scans a long word or gap past its end; only the
    /// last word it begins runs on past `end`).
    limit: usize,
}

/// The words of `par_split_ascii_whitespace`.
pub(crate) type AsciiWordsPiece<'a> = WordsPiece<'a, true>;

impl<'a, const ASCII: bool> WordsPiece<'a, ASCII> {
    fn new(text: &'a str, start: usize, end: usize) -> Self {
        let boundary = |mut i: usize| {
            while !text.is_char_boundary(i) {
                i += 1;
            }
            i
        };
        let mut at = boundary(start);
        let limit = boundary(end);
        // Inside a word begun before `start`: skip to its end (or to the limit).
        let inside = text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| !is_white::<ASCII>(c));
        if inside {
            at += run_len::<ASCII>(&text[at..limit], false);
        }
        WordsPiece {
            rest: &text[at..],
            at,
            end,
            limit,
        }
    }
}

impl<'a, const ASCII: bool> Iterator for WordsPiece<'a, ASCII> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        if self.at >= self.end {
            return None;
        }
        let gap = run_len::<ASCII>(&self.rest[..self.limit - self.at], true);
        self.at += gap;
        self.rest = &self.rest[gap..];
        if self.at >= self.end || self.rest.is_empty() {
            return None;
        }
        let len = run_len::<ASCII>(self.rest, false);
        let (word, rest) = self.rest.split_at(len);
        self.rest = rest;
        self.at += len;
        Some(word)
    }
}

/// Whether `c` separates words: `char::is_whitespace`, or `u8::is_ascii_whitespace` if
/// `ASCII` (no other character then).
#[inline]
fn is_white<const ASCII: bool>(c: char) -> bool {
    if ASCII {
        c.is_ascii_whitespace()
    } else {
        c.is_whitespace()
    }
}

/// The length in bytes of the leading run of characters of `s` that are whitespace (if
/// `white`) or not, by [`is_white`]; ASCII bytes without decoding.
#[inline]
fn run_len<const ASCII: bool>(s: &str, white: bool) -> usize {
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        // The common case first, in a loop of its own: a printable ASCII byte (above
        // `b' '`) is never whitespace, and every ASCII whitespace byte is at most `b' '`.
        if !white && b > b' ' && b.is_ascii() {
            i += 1;
            continue;
        }
        let len = if b.is_ascii() {
            let is = if ASCII {
                b.is_ascii_whitespace()
            } else {
                is_ascii_whitespace(b)
            };
            if is != white {
                return i;
            }
            1
        } else {
            let c = s[i..].chars().next().expect("a character starts at i");
            if is_white::<ASCII>(c) != white {
                return i;
            }
            c.len_utf8()
        };
        i += len;
    }
    i
}

/// `char::is_whitespace` on an ASCII byte: tab, line feed, vertical tab, form feed,
/// carriage return and space (`u8::is_ascii_whitespace` leaves out vertical tab).
#[inline]
fn is_ascii_whitespace(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ')
}

/// The parallel iterator of [`ParallelString::par_encode_utf16`]: each character's UTF-16
/// code units.
///
/// # Examples
///
/// ```
/// use brigade::prelude::*;
///
/// let it: brigade::iter::EncodeUtf16<'_> = "hé".par_encode_utf16();
/// assert_eq!(it.count(), 2);
/// ```
pub type EncodeUtf16<'a> = FlatMapIter<Chars<'a>, fn(char) -> Utf16Units>;

/// One character's UTF-16 code units.
#[doc(hidden)]
pub type Utf16Units = std::iter::Take<std::array::IntoIter<u16, 2>>;

fn utf16_units(c: char) -> Utf16Units {
    let mut units = [0; 2];
    let len = c.encode_utf16(&mut units).len();
    units.into_iter().take(len)
}
