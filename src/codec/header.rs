//! The fixed header: packet type, flags and remaining length. This is where framing happens and
//! the only place "need more bytes" comes from: once the fixed header is complete the frame
//! length is known, and everything after that is parsed with complete semantics.

use crate::codec::varint;
use crate::error::DecodeError;
use crate::types::{PacketType, Version};

/// The first byte and the remaining length of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedHeader {
    /// The packet type (high nibble of the first byte).
    pub packet_type: PacketType,
    /// The flags (low nibble of the first byte).
    pub flags: u8,
    /// The remaining length: bytes after the fixed header.
    pub remaining_length: u32,
    /// Bytes the fixed header itself takes (2 to 5).
    pub header_len: usize,
}

impl FixedHeader {
    /// The remaining length is written in its shortest form.
    pub(crate) const fn is_minimal(&self) -> bool {
        self.header_len == 1 + varint::encoded_len(self.remaining_length)
    }

    /// Bytes the whole packet takes: fixed header plus remaining length.
    pub const fn frame_len(&self) -> usize {
        self.header_len + self.remaining_length as usize
    }

    /// Reads a fixed header from the start of `buf`.
    ///
    /// Returns `Ok(None)` while `buf` holds only part of the fixed header. Checks, before any of
    /// the body is needed: the packet type (0 is reserved; 15 is AUTH on 5.0 and reserved
    /// before), the flag bits the type requires ([MQTT-2.2.2-1] 3.1.1 / [MQTT-2.1.3-1] 5.0),
    /// PUBLISH QoS 3 ([MQTT-3.3.1-4]) and DUP on QoS 0 ([MQTT-3.3.1-2]), the remaining length
    /// encoding (at most 4 bytes; on 5.0 in its shortest form, [MQTT-1.5.5-1]), and that the whole
    /// packet fits in `max_packet_size` bytes.
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
        let packet_type = match PacketType::from_nibble(first >> 4) {
            Some(PacketType::Auth) if !version.is_v5() => {
                return Err(DecodeError::ReservedPacketType(15));
            }
            Some(t) => t,
            None => return Err(DecodeError::ReservedPacketType(0)),
        };
        if packet_type == PacketType::Publish {
            let qos = (flags >> 1) & 0b11;
            if qos == 3 {
                return Err(DecodeError::InvalidQoS); // [MQTT-3.3.1-4]
            }
            if qos == 0 && flags & 0b1000 != 0 {
                return Err(DecodeError::DupOnQos0); // [MQTT-3.3.1-2]
            }
        } else if flags != packet_type.fixed_flags() {
            // [MQTT-2.2.2-1] (3.1.1) / [MQTT-2.1.3-1] (5.0)
            return Err(DecodeError::InvalidFlags {
                packet: packet_type,
                flags,
            });
        }
        let rest = buf.get(1..).unwrap_or_default();
        // A CONNECT announces its own version, which is not known yet: it is framed leniently
        // here and `Connect::read` refuses a non-minimal length once it has read a 5.0 level.
        let decoded = if version.is_v5() && packet_type != PacketType::Connect {
            varint::decode_minimal(rest)?
        } else {
            varint::decode(rest)?
        };
        let Some((remaining_length, len)) = decoded else {
            return Ok(None);
        };
        let header = FixedHeader {
            packet_type,
            flags,
            remaining_length,
            header_len: 1 + len,
        };
        let size = header.frame_len() as u64;
        if size > u64::from(max_packet_size) {
            return Err(DecodeError::PacketTooLarge {
                size,
                max: max_packet_size,
            });
        }
        Ok(Some(header))
    }
}
