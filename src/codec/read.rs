//! The cursor the packet parsers read fields with.
//!
//! Parsing starts only once the whole frame is buffered, so every read here has complete
//! semantics: a field that runs past the end of the packet is malformed
//! ([`DecodeError::UnexpectedEnd`]), never "incomplete". The cursor tracks offsets so that binary
//! and string fields can be sliced out of the frame buffer without copying.

use crate::buffer::{Buffer, Str};
use crate::codec::varint;
use crate::error::DecodeError;
use crate::topic::{self, StringKind, TopicName};
use crate::types::{PacketId, PacketType};
use core::ops::Range;

/// A position inside one frame, bounded by the frame's end.
pub(crate) struct Reader<'a, B: Buffer> {
    frame: &'a B,
    bytes: &'a [u8],
    pos: usize,
    end: usize,
    packet: PacketType,
}

impl<'a, B: Buffer> Reader<'a, B> {
    /// A reader over `frame[start..end]`, reporting errors for `packet`.
    #[inline]
    pub(crate) fn new(frame: &'a B, start: usize, end: usize, packet: PacketType) -> Self {
        let bytes = frame.as_ref();
        let end = end.min(bytes.len());
        Reader {
            frame,
            bytes,
            pos: start.min(end),
            end,
            packet,
        }
    }

    /// The frame being read.
    pub(crate) fn frame(&self) -> &'a B {
        self.frame
    }

    /// The offset of the end of the packet in the frame.
    pub(crate) fn end(&self) -> usize {
        self.end
    }

    /// The packet type errors are reported for.
    pub(crate) fn packet(&self) -> PacketType {
        self.packet
    }

    /// Bytes left before the end of the packet.
    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.end - self.pos
    }

    #[inline]
    fn end_error(&self) -> DecodeError {
        DecodeError::UnexpectedEnd(self.packet)
    }

    /// The next `N` bytes.
    #[inline(always)]
    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let bytes = self.bytes.get(self.pos..self.end).unwrap_or_default();
        match bytes.first_chunk::<N>() {
            Some(array) => {
                self.pos += N;
                Ok(*array)
            }
            None => Err(self.end_error()),
        }
    }

    /// One byte.
    #[inline]
    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        self.array::<1>().map(|[b]| b)
    }

    /// A Two Byte Integer, big-endian.
    #[inline]
    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        self.array().map(u16::from_be_bytes)
    }

    /// A non-zero packet identifier ([MQTT-2.3.1-1]).
    #[inline]
    pub(crate) fn packet_id(&mut self) -> Result<PacketId, DecodeError> {
        let packet = self.packet;
        PacketId::new(self.u16()?).ok_or(DecodeError::ZeroPacketId(packet))
    }

    /// A Variable Byte Integer inside the packet body (only 5.0 has these), which must be in its
    /// shortest form ([MQTT-1.5.5-1]).
    #[inline]
    pub(crate) fn varint(&mut self) -> Result<u32, DecodeError> {
        let input = self.bytes.get(self.pos..self.end).unwrap_or_default();
        match varint::decode_minimal(input)? {
            Some((value, len)) => {
                self.pos += len;
                Ok(value)
            }
            None => Err(self.end_error()),
        }
    }

    /// `len` bytes as a range of the frame.
    #[inline]
    pub(crate) fn take(&mut self, len: usize) -> Result<Range<usize>, DecodeError> {
        if len > self.remaining() {
            return Err(self.end_error());
        }
        let start = self.pos;
        self.pos += len;
        Ok(start..self.pos)
    }

    /// Everything up to the end of the packet, as a range of the frame.
    #[inline]
    pub(crate) fn rest(&mut self) -> Range<usize> {
        let start = self.pos;
        self.pos = self.end;
        start..self.end
    }

    /// The bytes of a range returned by [`Reader::take`] or [`Reader::prefixed`].
    #[inline]
    pub(crate) fn bytes(&self, range: Range<usize>) -> &'a [u8] {
        self.bytes.get(range).unwrap_or_default()
    }

    /// The bytes of `range` as the frame's storage.
    #[inline]
    pub(crate) fn slice(&self, range: Range<usize>) -> B {
        self.frame.slice(range)
    }

    /// A u16 length followed by that many bytes, as a range of the frame.
    #[inline]
    pub(crate) fn prefixed(&mut self) -> Result<Range<usize>, DecodeError> {
        let len = self.u16()?;
        self.take(usize::from(len))
    }

    /// Binary Data: a u16 length and the bytes, shared with the frame.
    #[inline]
    pub(crate) fn binary(&mut self) -> Result<B, DecodeError> {
        let range = self.prefixed()?;
        Ok(self.frame.slice(range))
    }

    /// A UTF-8 Encoded String checked against the rules of `kind`, shared with the frame.
    #[inline]
    pub(crate) fn string(&mut self, kind: StringKind) -> Result<Str<B>, DecodeError> {
        let range = self.prefixed()?;
        let bytes = self.bytes.get(range.clone()).unwrap_or_default();
        topic::check_bytes(bytes, kind)?;
        self.frame
            .slice_str(range)
            .map_err(|_| DecodeError::InvalidUtf8)
    }

    /// A UTF-8 Encoded String without U+0000 ([MQTT-1.5.4-1], [MQTT-1.5.4-2]), borrowed from the
    /// frame.
    #[inline]
    pub(crate) fn str(&mut self) -> Result<&'a str, DecodeError> {
        let range = self.prefixed()?;
        let bytes = self.bytes.get(range).unwrap_or_default();
        topic::check_bytes(bytes, StringKind::Plain)?;
        core::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8)
    }

    /// The offset of the next byte in the frame.
    #[inline]
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// A topic name ([MQTT-3.3.2-2], [MQTT-1.5.4-2]), checked here once; emptiness is the
    /// caller's rule. The first field of every PUBLISH, so compiled into its parser rather than
    /// shared with the other string fields.
    #[inline(always)]
    pub(crate) fn topic_name(&mut self) -> Result<TopicName<B>, DecodeError> {
        let range = self.prefixed()?;
        let bytes = self.bytes.get(range.clone()).unwrap_or_default();
        topic::check_bytes(bytes, StringKind::TopicName)?;
        self.frame
            .slice_str(range)
            .map(TopicName::from_checked)
            .map_err(|_| DecodeError::InvalidUtf8)
    }

    /// Ends the packet: bytes left over are malformed.
    #[inline]
    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(DecodeError::TrailingBytes {
                packet: self.packet,
                count,
            }),
        }
    }
}
