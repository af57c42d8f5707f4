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
pub trait Buffer: Clone + AsRef<[u8]> + Debug + PartialEq + Eq + Hash + Default {
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
