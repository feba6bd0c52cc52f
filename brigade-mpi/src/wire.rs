//! [`Wire`]: how a result travels from one rank to another, as bytes.
//!
//! MPI moves typed buffers; brigade-mpi moves results of any shape (a tuple, a `Vec`, a
//! `String`), so each result is encoded into bytes on the rank that computed it and decoded
//! on the rank that receives it. All ranks run the same program (SPMD), so encoder and
//! decoder are the same code: the format needs no type tags or versions. Integers are
//! little-endian and fixed-width; lengths are `u64`.

use std::time::Duration;

use crate::error::WireError;

/// A value that can travel between MPI ranks: it encodes itself into bytes, and decodes
/// itself from the bytes its `encode` wrote.
///
/// Implemented for the integers, floats, `bool`, `char`, `()`, `String`, `Duration`, and
/// for arrays, tuples (up to 6 elements), `Option`, `Box` and `Vec` of types that implement
/// it. The results of [`Cluster::map_reduce`](crate::Cluster::map_reduce) and
/// [`Cluster::gather`](crate::Cluster::gather) must implement it. A type that cannot travel
/// (a reference, an `Rc`, a closure) is refused at compile time:
///
/// ```compile_fail
/// # fn f(cluster: &brigade_mpi::Cluster) {
/// use brigade_mpi::{Distribution, Schedule};
///
/// #[derive(Clone, Copy)]
/// struct Point { x: f64, y: f64 } // no `impl Wire for Point`
///
/// let p = cluster.map_reduce(0..10, Distribution::Static, Schedule::default(),
///     || Point { x: 0.0, y: 0.0 },
///     |i| Point { x: i as f64, y: 1.0 },
///     |a, b| Point { x: a.x + b.x, y: a.y + b.y });
/// # }
/// ```
///
/// # Implementing it
///
/// Encode the fields in order with their own `encode`, and decode them in the same order.
/// `decode` must read exactly the bytes `encode` wrote: brigade-mpi reports a value whose
/// decoding fails or leaves bytes behind as [`DistError::Decode`](crate::DistError::Decode)
/// on every rank.
///
/// ```
/// use brigade_mpi::{Wire, WireError};
///
/// #[derive(Debug, PartialEq)]
/// struct Frame {
///     index: u32,
///     hash: [u8; 32],
///     label: String,
/// }
///
/// impl Wire for Frame {
///     fn encode(&self, out: &mut Vec<u8>) {
///         self.index.encode(out);
///         self.hash.encode(out);
///         self.label.encode(out);
///     }
///
///     fn decode(input: &mut &[u8]) -> Result<Self, WireError> {
///         Ok(Frame {
///             index: Wire::decode(input)?,
///             hash: Wire::decode(input)?,
///             label: Wire::decode(input)?,
///         })
///     }
/// }
///
/// let f = Frame { index: 7, hash: [1; 32], label: "zoom".into() };
/// assert_eq!(Frame::from_bytes(&f.to_bytes())?, f);
/// # Ok::<(), WireError>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot travel between MPI ranks: it does not implement `brigade_mpi::Wire`",
    label = "a result of a distributed loop is sent from one rank to another",
    note = "return numbers, bool, char, String, Duration, or arrays, tuples, Option, Box or Vec \
            of those; or implement `Wire` for your type (encode its fields in order, decode \
            them in the same order)"
)]
pub trait Wire: Sized {
    /// Appends the value's bytes to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// Reads one value from the front of `input` and advances `input` past it.
    ///
    /// # Errors
    ///
    /// [`WireError`] if `input` ends too early or holds bytes no value encodes to.
    fn decode(input: &mut &[u8]) -> Result<Self, WireError>;

    /// The value's bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade_mpi::Wire;
    /// assert_eq!(258u16.to_bytes(), [2, 1]);
    /// ```
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// The value that `bytes` holds, which must be all of `bytes`.
    ///
    /// # Errors
    ///
    /// As [`decode`](Wire::decode), and [`WireError::Trailing`] if bytes are left over.
    ///
    /// # Examples
    ///
    /// ```
    /// use brigade_mpi::{Wire, WireError};
    /// assert_eq!(u16::from_bytes(&[2, 1]), Ok(258));
    /// assert_eq!(u16::from_bytes(&[2, 1, 0]), Err(WireError::Trailing { bytes: 1 }));
    /// ```
    fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut input = bytes;
        let value = Self::decode(&mut input)?;
        if input.is_empty() {
            Ok(value)
        } else {
            Err(WireError::Trailing { bytes: input.len() })
        }
    }
}

/// Takes the first `n` bytes of `input`.
fn take<'a>(input: &mut &'a [u8], n: usize) -> Result<&'a [u8], WireError> {
    if input.len() < n {
        return Err(WireError::Truncated {
            needed: n,
            left: input.len(),
        });
    }
    let (head, tail) = input.split_at(n);
    *input = tail;
    Ok(head)
}

/// Reads a length prefix, checking that at least `len * min_item_bytes` bytes follow, so
/// that a corrupt length cannot make the decoder allocate without bound.
fn length(input: &mut &[u8], min_item_bytes: usize) -> Result<usize, WireError> {
    let len = usize::try_from(u64::decode(input)?).map_err(|_| WireError::Invalid {
        what: "a length larger than this machine's usize",
    })?;
    let needed = len.saturating_mul(min_item_bytes);
    if needed > input.len() {
        return Err(WireError::Truncated {
            needed,
            left: input.len(),
        });
    }
    Ok(len)
}

macro_rules! wire_int {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            #[inline]
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }

            #[inline]
            fn decode(input: &mut &[u8]) -> Result<Self, WireError> {
                let bytes = take(input, size_of::<$t>())?;
                let mut raw = [0u8; size_of::<$t>()];
                raw.copy_from_slice(bytes);
                Ok(<$t>::from_le_bytes(raw))
            }
        }
    )*};
}

wire_int!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64);

impl Wire for usize {
    fn encode(&self, out: &mut Vec<u8>) {
        (*self as u64).encode(out);
    }

    fn decode(input: &mut &[u8]) -> Result<Self, WireError> {
        usize::try_from(u64::decode(input)?).map_err(|_| WireError::Invalid {
            what: "a usize larger than this machine's usize",
        })
    }
}

impl Wire for isize {
    fn encode(&self, out: &mut Vec<u8>) {
        (*self as i64).encode(out);
    }

    fn decode(input: &mut &[u8]) -> Result<Self, WireError> {
        isize::try_from(i64::decode(input)?).map_err(|_| WireError::Invalid {
            what: "an isize outside this machine's isize",
        })
    }
}

impl Wire for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }

    fn decode(input: &mut &[u8]) -> Result<Self, WireError> {
        match u8::decode(input)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(WireError::Invalid {
                what: "a bool byte other than 0 or 1",
            }),
        }
    }
}

impl Wire for char {
    fn encode(&self, out: &mut Vec<u8>) {
        u32::from(*self).encode(out);
    }

    fn decode(input: &mut &[u8]) -> Result<Self, WireError> {
        char::from_u32(u32::decode(input)?).ok_or(WireError::Invalid {
            what: "a char that is not a Unicode scalar value",
        })
    }
}

impl Wire for () {
    fn encode(&self, _out: &mut Vec<u8>) {}

    fn decode(_input: &mut &[u8]) -> Result<Self, WireError> {
        Ok(())
    }
}

impl Wire for String {
    fn encode(&self, out: &mut Vec<u8>) {
        (self.len() as u64).encode(out);
        out.extend_from_slice(self.as_bytes());
    }

    fn decode(input: &mut &[u8]) -> Result<Self, WireError> {
        let len = length(input, 1)?;
        let bytes = take(input, len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| WireError::Invalid {
            what: "a String that is not UTF-8",
        })
    }
}

impl Wire for Duration {
    fn encode(&self, out: &mut Vec<u8>) {
        self.as_secs().encode(out);
        self.subsec_nanos().encode(out);
    }

    fn decode(input: &mut &[u8]) -> Result<Self, WireError> {
        let secs = u64::decode(input)?;
        let nanos = u32::decode(input)?;
        if nanos >= 1_000_000_000 {
            return Err(WireError::Invalid {
                what: "a Duration with a billion nanoseconds or more",
            });
        }
        Ok(Duration::new(secs, nanos))
    }
}

impl<T: Wire> Wire for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(value) => {
                out.push(1);
                value.encode(out);
            }
        }
    }

    fn decode(input: &mut &[u8]) -> Result<Self, WireError> {
        match u8::decode(input)? {
            0 => Ok(None),
            1 => Ok(Some(T::decode(input)?)),
            _ => Err(WireError::Invalid {
                what: "an Option tag other than 0 or 1",
            }),
        }
    }
}

impl<T: Wire> Wire for Box<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        (**self).encode(out);
    }

    fn decode(input: &mut &[u8]) -> Result<Self, WireError> {
        T::decode(input).map(Box::new)
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        (self.len() as u64).encode(out);
        for item in self {
            item.encode(out);
        }
    }

    fn decode(input: &mut &[u8]) -> Result<Self, WireError> {
        // Items of zero bytes (`()`) make any length plausible: cap the up-front allocation.
        let len = length(input, 0)?;
        let mut items = Vec::with_capacity(len.min(input.len()));
        for _ in 0..len {
            items.push(T::decode(input)?);
        }
        Ok(items)
    }
}

impl<T: Wire, const N: usize> Wire for [T; N] {
    fn encode(&self, out: &mut Vec<u8>) {
        for item in self {
            item.encode(out);
        }
    }

    fn decode(input: &mut &[u8]) -> Result<Self, WireError> {
        let mut items = Vec::with_capacity(N);
        for _ in 0..N {
            items.push(T::decode(input)?);
        }
        match <[T; N]>::try_from(items) {
            Ok(array) => Ok(array),
            Err(_) => unreachable!("exactly N items were decoded"),
        }
    }
}

macro_rules! wire_tuple {
    ($($name:ident),+) => {
        impl<$($name: Wire),+> Wire for ($($name,)+) {
            #[allow(non_snake_case)]
            fn encode(&self, out: &mut Vec<u8>) {
                let ($($name,)+) = self;
                $($name.encode(out);)+
            }

            fn decode(input: &mut &[u8]) -> Result<Self, WireError> {
                Ok(($($name::decode(input)?,)+))
            }
        }
    };
}

wire_tuple!(A);
wire_tuple!(A, B);
wire_tuple!(A, B, C);
wire_tuple!(A, B, C, D);
wire_tuple!(A, B, C, D, E);
wire_tuple!(A, B, C, D, E, F);

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Wire + PartialEq + std::fmt::Debug>(value: T) {
        let bytes = value.to_bytes();
        assert_eq!(T::from_bytes(&bytes), Ok(value));
    }

    #[test]
    fn values_round_trip() {
        round_trip(0u8);
        round_trip(u64::MAX);
        round_trip(i128::MIN);
        round_trip(usize::MAX);
        round_trip(-3isize);
        round_trip(1.5f64);
        round_trip(f32::MIN_POSITIVE);
        round_trip(true);
        round_trip('λ');
        round_trip(());
        round_trip(String::from("zoom 🌀"));
        round_trip(Duration::new(3, 999_999_999));
        round_trip(Some(vec![(1u8, 'a'), (2, 'b')]));
        round_trip(None::<u32>);
        round_trip(Box::new([7u16; 5]));
        round_trip((1u8, 2u16, 3u32, 4u64, String::new(), [true; 2]));
        round_trip(vec![(); 1000]);
        round_trip(Vec::<Vec<u8>>::new());
    }

    #[test]
    fn nan_keeps_its_bits() {
        let bytes = f64::NAN.to_bytes();
        assert!(f64::from_bytes(&bytes).unwrap().is_nan());
    }

    #[test]
    fn truncated_input_is_an_error() {
        assert_eq!(
            u32::from_bytes(&[1, 2]),
            Err(WireError::Truncated { needed: 4, left: 2 })
        );
        let mut bytes = String::from("hello").to_bytes();
        bytes.pop();
        assert!(matches!(
            String::from_bytes(&bytes),
            Err(WireError::Truncated { .. })
        ));
    }

    #[test]
    fn a_huge_length_does_not_allocate() {
        let mut bytes = u64::MAX.to_bytes();
        bytes.push(0);
        assert!(matches!(
            Vec::<u64>::from_bytes(&bytes),
            Err(WireError::Truncated { .. }) | Err(WireError::Invalid { .. })
        ));
        assert!(matches!(
            String::from_bytes(&bytes),
            Err(WireError::Truncated { .. }) | Err(WireError::Invalid { .. })
        ));
    }

    #[test]
    fn invalid_bytes_are_errors() {
        assert!(matches!(
            bool::from_bytes(&[2]),
            Err(WireError::Invalid { .. })
        ));
        assert!(matches!(
            char::from_bytes(&0xD800u32.to_bytes()),
            Err(WireError::Invalid { .. })
        ));
        assert!(matches!(
            Option::<u8>::from_bytes(&[5, 0]),
            Err(WireError::Invalid { .. })
        ));
        let mut bad = 2u64.to_bytes();
        bad.extend_from_slice(&[0xFF, 0xFE]);
        assert!(matches!(
            String::from_bytes(&bad),
            Err(WireError::Invalid { .. })
        ));
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        assert_eq!(
            <()>::from_bytes(&[0, 0]),
            Err(WireError::Trailing { bytes: 2 })
        );
    }
}
