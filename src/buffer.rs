//! The storage a decoded packet borrows from: `Bytes` (owned, zero copy) or `&[u8]` (borrowed).
//!
//! Every packet type is generic over a [`Buffer`]. The one parser slices binary fields and
//! UTF-8 strings out of the frame buffer instead of copying them, so a `Packet<Bytes>` shares the
//! bytes that arrived from the network and a `Packet<&[u8]>` points straight into the caller's
//! slice. UTF-8 is validated once, when the string is sliced out at decode time.

use bytes::Bytes;
use bytestring::ByteString;
use core::fmt::Debug;
use core::hash::Hash;
use core::ops::{Deref, Range};
use core::str::Utf8Error;

/// Storage for the binary fields of a packet, able to hand out sub-slices of itself cheaply.
///
/// Implemented for [`Bytes`] (reference-counted, `'static`) and `&[u8]` (borrowed). You rarely
/// name this trait: use `Packet<Bytes>` (the default) or `Packet<&[u8]>`.
///
/// The trait is sealed: it can be named in bounds (`fn f<B: Buffer>(p: &Packet<B>)`) but not
/// implemented outside this crate. The decoder relies on what the two implementations promise
/// (a slice shares storage and never panics, an out-of-range slice is empty), and adding
/// methods to the trait later must not break anyone.
///
/// ```compile_fail
/// use core::ops::Range;
/// use mqtt_wire::Buffer;
///
/// #[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
/// struct Mine(Vec<u8>);
///
/// impl AsRef<[u8]> for Mine {
///     fn as_ref(&self) -> &[u8] {
///         &self.0
///     }
/// }
///
/// impl Buffer for Mine {
///     type Str = String;
///     fn slice(&self, range: Range<usize>) -> Mine {
///         Mine(self.0.get(range).unwrap_or_default().to_vec())
///     }
///     fn slice_str(&self, range: Range<usize>) -> Result<String, core::str::Utf8Error> {
///         core::str::from_utf8(self.0.get(range).unwrap_or_default()).map(String::from)
///     }
/// }
/// ```
pub trait Buffer:
    sealed::Sealed + Clone + AsRef<[u8]> + Debug + PartialEq + Eq + Hash + Default
{
    /// The UTF-8 string type that shares this storage: [`ByteString`] for `Bytes`, `&str` for
    /// `&[u8]`.
    type Str: Clone + Deref<Target = str> + AsRef<str> + Debug + PartialEq + Eq + Hash + Default;

    /// The bytes at `range` as the same storage, without copying. An out-of-range request
    /// yields an empty buffer; the decoder never makes one.
    fn slice(&self, range: Range<usize>) -> Self;

    /// The bytes at `range` as a string, after checking they are well-formed UTF-8.
    fn slice_str(&self, range: Range<usize>) -> Result<Self::Str, Utf8Error>;

    /// The bytes at `range`, consuming `self`: for `Bytes` this narrows the same handle instead of
    /// taking a new reference (no reference-count traffic).
    #[inline]
    fn into_slice(self, range: Range<usize>) -> Self {
        self.slice(range)
    }
}

mod sealed {
    /// Implemented only for the crate's own storage types, so [`Buffer`](super::Buffer) cannot
    /// be implemented elsewhere.
    pub trait Sealed {}

    impl Sealed for bytes::Bytes {}
    impl Sealed for &[u8] {}
}

impl Buffer for Bytes {
    type Str = ByteString;

    #[inline]
    fn slice(&self, range: Range<usize>) -> Bytes {
        if range.start <= range.end && range.end <= self.len() {
            Bytes::slice(self, range)
        } else {
            Bytes::new()
        }
    }

    #[inline]
    fn slice_str(&self, range: Range<usize>) -> Result<ByteString, Utf8Error> {
        // `ByteString::try_from` runs the standard library's UTF-8 validation, once.
        ByteString::try_from(Buffer::slice(self, range))
    }

    #[inline]
    fn into_slice(mut self, range: Range<usize>) -> Bytes {
        if range.start <= range.end && range.end <= self.len() {
            self.truncate(range.end);
            bytes::Buf::advance(&mut self, range.start);
            self
        } else {
            Bytes::new()
        }
    }
}

impl<'a> Buffer for &'a [u8] {
    type Str = &'a str;

    #[inline]
    fn slice(&self, range: Range<usize>) -> &'a [u8] {
        self.get(range).unwrap_or_default()
    }

    #[inline]
    fn slice_str(&self, range: Range<usize>) -> Result<&'a str, Utf8Error> {
        core::str::from_utf8(Buffer::slice(self, range))
    }
}

/// The string type that shares the storage `B`: `ByteString` for `Bytes`, `&str` for `&[u8]`.
pub type Str<B> = <B as Buffer>::Str;

#[cfg(test)]
mod tests {
    use super::*;

    /// A range whose start is past its end, written out so that it reads as the odd request it is.
    fn reversed() -> Range<usize> {
        Range { start: 3, end: 1 }
    }

    #[test]
    fn bytes_slices_share_in_range_and_are_empty_out_of_range() {
        let b = Bytes::from_static(b"hello");
        assert_eq!(Buffer::slice(&b, 1..4), Bytes::from_static(b"ell"));
        assert_eq!(Buffer::slice(&b, 0..5), b);
        assert_eq!(Buffer::slice(&b, 2..6), Bytes::new());
        assert_eq!(Buffer::slice(&b, reversed()), Bytes::new());

        assert_eq!(b.clone().into_slice(1..4), Bytes::from_static(b"ell"));
        assert_eq!(b.clone().into_slice(0..5), b);
        assert_eq!(b.clone().into_slice(2..6), Bytes::new());
        assert_eq!(b.clone().into_slice(reversed()), Bytes::new());

        assert_eq!(&*b.slice_str(1..4).unwrap(), "ell");
        assert_eq!(&*b.slice_str(2..6).unwrap(), "");
        assert!(Bytes::from_static(b"a\xffb").slice_str(0..3).is_err());
    }

    #[test]
    fn borrowed_slices_point_into_the_input_and_are_empty_out_of_range() {
        let b: &[u8] = b"hello";
        assert_eq!(Buffer::slice(&b, 1..4), b"ell");
        assert_eq!(Buffer::slice(&b, 2..6), b"");
        assert_eq!(Buffer::slice(&b, reversed()), b"");

        // `&[u8]` takes the trait's provided `into_slice`.
        assert_eq!(b.into_slice(1..4), b"ell");
        assert_eq!(b.into_slice(0..5), b"hello");
        assert_eq!(b.into_slice(2..6), b"");
        assert_eq!(b.into_slice(reversed()), b"");

        assert_eq!(b.slice_str(1..4), Ok("ell"));
        assert_eq!(b.slice_str(2..6), Ok(""));
        let bad: &[u8] = b"a\xffb";
        assert!(bad.slice_str(0..3).is_err());
    }
}
