//! The two passes of encoding over one description of each packet: a [`Counter`] pass that
//! validates and measures, then a write pass into the reserved [`BytesMut`].
//!
//! Packet bodies are written against the [`Sink`] trait. The counting pass runs the checks
//! (`S::CHECKS` is true); the writing pass, which only runs after the counting pass succeeded,
//! skips them, so a field is validated once and the bytes written are exactly the bytes counted.

use crate::codec::varint;
use crate::error::EncodeError;
use crate::topic::{self, StringKind};
use bytes::{BufMut, BytesMut};

/// Where encoded bytes go.
pub(crate) trait Sink {
    /// True for the validating, measuring pass.
    const CHECKS: bool;
    /// One byte.
    fn put_u8(&mut self, v: u8);
    /// Raw bytes.
    fn put_slice(&mut self, v: &[u8]);
    /// A Two Byte Integer.
    #[inline]
    fn put_u16(&mut self, v: u16) {
        self.put_slice(&v.to_be_bytes());
    }
    /// A Four Byte Integer.
    #[inline]
    fn put_u32(&mut self, v: u32) {
        self.put_slice(&v.to_be_bytes());
    }
    /// A Variable Byte Integer in its shortest form; values above [`varint::MAX`] are refused.
    #[inline]
    fn put_varint(&mut self, v: u32) -> Result<(), EncodeError> {
        let mut buf = [0; 4];
        let len = varint::encode(v, &mut buf).ok_or(EncodeError::PacketTooLarge {
            size: u64::from(v),
            max: u64::from(varint::MAX),
        })?;
        self.put_slice(buf.get(..len).unwrap_or_default());
        Ok(())
    }
    /// Binary Data: u16 length and bytes (at most 65,535).
    #[inline]
    fn put_binary(&mut self, v: &[u8]) -> Result<(), EncodeError> {
        let len = u16::try_from(v.len()).map_err(|_| EncodeError::FieldTooLong(v.len()))?;
        self.put_u16(len);
        self.put_slice(v);
        Ok(())
    }
    /// A UTF-8 Encoded String: no U+0000 ([MQTT-1.5.4-2]), at most 65,535 bytes.
    #[inline]
    fn put_str(&mut self, v: &str) -> Result<(), EncodeError> {
        if Self::CHECKS {
            topic::check_bytes(v.as_bytes(), StringKind::Plain)?;
        }
        self.put_binary(v.as_bytes())
    }
}

/// A length as a `u64`: exact wherever `usize` has at most 64 bits, saturating beyond.
#[inline(always)]
pub(crate) fn len64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

/// The measuring pass: counts bytes, writes nothing.
///
/// The count is a saturating `u64`, so a sum of field lengths cannot wrap whatever the width of
/// `usize` (on a 16-bit target two 40 KiB fields already exceed `usize::MAX`); a count too large
/// for the packet or the address space ends in [`EncodeError::PacketTooLarge`].
#[derive(Default)]
pub(crate) struct Counter(pub(crate) u64);

impl Counter {
    /// Adds `len` bytes.
    #[inline]
    pub(crate) fn add(&mut self, len: usize) {
        self.0 = self.0.saturating_add(len64(len));
    }

    /// The count as a buffer size, refused with [`EncodeError::PacketTooLarge`] when it is above
    /// `max` or above `usize::MAX`.
    #[inline]
    pub(crate) fn len_within(&self, max: u32) -> Result<usize, EncodeError> {
        let limit = u64::from(max).min(len64(usize::MAX));
        usize::try_from(self.0)
            .ok()
            .filter(|_| self.0 <= limit)
            .ok_or(EncodeError::PacketTooLarge {
                size: self.0,
                max: limit,
            })
    }
}

impl Sink for Counter {
    const CHECKS: bool = true;
    #[inline]
    fn put_u8(&mut self, _: u8) {
        self.add(1);
    }
    #[inline]
    fn put_slice(&mut self, v: &[u8]) {
        self.add(v.len());
    }
}

impl Sink for BytesMut {
    const CHECKS: bool = false;
    #[inline]
    fn put_u8(&mut self, v: u8) {
        BufMut::put_u8(self, v);
    }
    #[inline]
    fn put_u16(&mut self, v: u16) {
        BufMut::put_u16(self, v);
    }
    #[inline]
    fn put_u32(&mut self, v: u32) {
        BufMut::put_u32(self, v);
    }
    #[inline]
    fn put_slice(&mut self, v: &[u8]) {
        self.extend_from_slice(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Near the top of `u64` the count stays at `u64::MAX` instead of wrapping to a small size.
    #[test]
    fn counter_saturates_instead_of_wrapping() {
        let mut counter = Counter(u64::MAX - 2);
        counter.put_slice(&[0; 4]);
        assert_eq!(counter.0, u64::MAX);
        counter.put_u8(0);
        counter.put_u16(0);
        assert_eq!(counter.0, u64::MAX);
        assert_eq!(
            counter.len_within(u32::MAX),
            Err(EncodeError::PacketTooLarge {
                size: u64::MAX,
                max: u64::from(u32::MAX)
            })
        );
    }

    #[test]
    fn counter_len_within_refuses_above_the_limit() {
        let mut counter = Counter::default();
        counter.put_slice(&[0; 10]);
        counter.put_u32(0);
        assert_eq!(counter.len_within(14), Ok(14));
        assert_eq!(
            counter.len_within(13),
            Err(EncodeError::PacketTooLarge { size: 14, max: 13 })
        );
    }
}
