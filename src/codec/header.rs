//! The fixed header: packet type, flags and remaining length. This is where framing happens and
//! the only place "need more bytes" comes from: once the fixed header is complete the frame
//! length is known, and everything after that is parsed with complete semantics.

use crate::codec::varint;
use crate::error::DecodeError;
use crate::types::{PacketType, Version};

/// The first byte and the remaining length of a packet, as read by [`FixedHeader::parse`].
///
/// Only `parse` makes one, so its parts always agree: the flags are legal for the type and the
/// whole packet fits in `usize` and in the maximum packet size it was parsed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedHeader {
    packet_type: PacketType,
    flags: u8,
    remaining_length: u32,
    header_len: usize,
    frame_len: usize,
}

impl FixedHeader {
    /// The packet type (high nibble of the first byte).
    #[inline]
    pub const fn packet_type(&self) -> PacketType {
        self.packet_type
    }

    /// The flags (low nibble of the first byte).
    #[inline]
    pub const fn flags(&self) -> u8 {
        self.flags
    }

    /// The remaining length: bytes after the fixed header.
    #[inline]
    pub const fn remaining_length(&self) -> u32 {
        self.remaining_length
    }

    /// Bytes the fixed header itself takes (2 to 5).
    #[inline]
    pub const fn header_len(&self) -> usize {
        self.header_len
    }

    /// Bytes the whole packet takes: fixed header plus remaining length.
    #[inline]
    pub const fn frame_len(&self) -> usize {
        self.frame_len
    }

    /// The remaining length is written in its shortest form.
    pub(crate) const fn is_minimal(&self) -> bool {
        self.header_len == 1 + varint::encoded_len(self.remaining_length)
    }

    /// Reads a fixed header from the start of `buf`.
    ///
    /// Returns `Ok(None)` while `buf` holds only part of the fixed header. Checks, before any of
    /// the body is needed: the packet type (0 is reserved; 15 is AUTH on 5.0 and reserved
    /// before), the flag bits the type requires ([MQTT-2.2.2-1] 3.1.1 / [MQTT-2.1.3-1] 5.0),
    /// PUBLISH QoS 3 ([MQTT-3.3.1-4]) and DUP on QoS 0 ([MQTT-3.3.1-2]), the remaining length
    /// encoding (at most 4 bytes; on 5.0 in its shortest form, [MQTT-1.5.5-1]), and that the whole
    /// packet fits in `max_packet_size` bytes (and in this target's `usize`; a frame larger than
    /// `usize::MAX` is [`DecodeError::PacketTooLarge`] too).
    ///
    /// 3.1.1 states no rule against a remaining length in a longer form than needed (`80 00`
    /// for 0), so on 3.1.1 and 3.1 such a length is accepted as read. A CONNECT is framed by the
    /// version it announces, not by `version`: its length is read in any form here, and decoding
    /// its body refuses a longer form than needed when the CONNECT is for 5.0.
    #[inline(always)]
    pub fn parse(
        buf: &[u8],
        version: Version,
        max_packet_size: u32,
    ) -> Result<Option<FixedHeader>, DecodeError> {
        let Some(&first) = buf.first() else {
            return Ok(None);
        };
        let flags = first & 0x0F;
        // PUBLISH, the most frequent packet and the only one with variable flags, first.
        let packet_type = if first >> 4 == PacketType::Publish as u8 {
            let qos = (flags >> 1) & 0b11;
            if qos == 3 {
                return Err(DecodeError::InvalidQoS); // [MQTT-3.3.1-4]
            }
            if qos == 0 && flags & 0b1000 != 0 {
                return Err(DecodeError::DupOnQos0); // [MQTT-3.3.1-2]
            }
            PacketType::Publish
        } else {
            let packet_type = match PacketType::from_nibble(first >> 4) {
                Some(PacketType::Auth) if !version.is_v5() => {
                    return Err(DecodeError::ReservedPacketType(15));
                }
                Some(t) => t,
                None => return Err(DecodeError::ReservedPacketType(0)),
            };
            if flags != packet_type.fixed_flags() {
                // [MQTT-2.2.2-1] (3.1.1) / [MQTT-2.1.3-1] (5.0)
                return Err(DecodeError::InvalidFlags {
                    packet: packet_type,
                    flags,
                });
            }
            packet_type
        };
        let rest = buf.get(1..).unwrap_or_default();
        let decoded = match rest.first() {
            // A remaining length below 128 in one byte: complete, and in its shortest form.
            Some(&len) if len < 0x80 => Some((u32::from(len), 1)),
            // A CONNECT announces its own version, which is not known yet: it is framed
            // leniently here and `Connect::read` refuses a non-minimal length once it has read a
            // 5.0 level.
            _ if version.is_v5() && packet_type != PacketType::Connect => {
                varint::decode_minimal(rest)?
            }
            _ => varint::decode(rest)?,
        };
        let Some((remaining_length, len)) = decoded else {
            return Ok(None);
        };
        let header_len = 1 + len;
        // Computed in 64 bits: on a target with a 16- or 32-bit `usize` the sum must not wrap.
        let size = u64::from(remaining_length) + header_len as u64;
        if size > u64::from(max_packet_size) {
            return Err(DecodeError::PacketTooLarge {
                size,
                max: max_packet_size,
            });
        }
        // A frame this target cannot address is too large whatever the configured limit.
        let Ok(frame_len) = usize::try_from(size) else {
            return Err(DecodeError::PacketTooLarge {
                size,
                max: u32::try_from(usize::MAX).unwrap_or(u32::MAX),
            });
        };
        let header = FixedHeader {
            packet_type,
            flags,
            remaining_length,
            header_len,
            frame_len,
        };
        Ok(Some(header))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_frame_is_measured_without_truncation() {
        // PUBLISH with the largest remaining length, 268,435,455, in four bytes.
        let bytes = [0x30, 0xFF, 0xFF, 0xFF, 0x7F];
        let header = FixedHeader::parse(&bytes, Version::V5, u32::MAX)
            .unwrap()
            .unwrap();
        assert_eq!(header.packet_type(), PacketType::Publish);
        assert_eq!(header.flags(), 0);
        assert_eq!(header.remaining_length(), 268_435_455);
        assert_eq!(header.header_len(), 5);
        assert_eq!(header.frame_len(), 268_435_460);
        assert_eq!(
            FixedHeader::parse(&bytes, Version::V5, 268_435_459),
            Err(DecodeError::PacketTooLarge {
                size: 268_435_460,
                max: 268_435_459
            })
        );
    }

    #[test]
    fn connect_length_is_read_in_any_form_and_its_minimality_recorded() {
        // CONNECT with remaining length 15 in two bytes, under a 5.0 decoder: framed, and
        // marked non-minimal for the CONNECT's own version to judge.
        let header = FixedHeader::parse(&[0x10, 0x8F, 0x00], Version::V5, u32::MAX)
            .unwrap()
            .unwrap();
        assert_eq!(header.frame_len(), 18);
        assert!(!header.is_minimal());
        // Any other packet type is held to the shortest form on 5.0 [MQTT-1.5.5-1].
        assert_eq!(
            FixedHeader::parse(&[0xC0, 0x80, 0x00], Version::V5, u32::MAX),
            Err(DecodeError::NonMinimalVarint)
        );
        let short = FixedHeader::parse(&[0x10, 0x0F], Version::V5, u32::MAX)
            .unwrap()
            .unwrap();
        assert!(short.is_minimal());
    }
}
