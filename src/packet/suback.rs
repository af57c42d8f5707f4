//! SUBACK (§3.9): one reason code per filter of the SUBSCRIBE.

use crate::buffer::Buffer;
use crate::codec::read::Reader;
use crate::codec::write::Sink;
use crate::error::{DecodeError, EncodeError};
use crate::properties::{self, AckProperties};
use crate::reason::ReasonCode;
use crate::types::{PacketId, PacketType, Version};
use alloc::vec::Vec;
use bytes::Bytes;

/// SUBACK: the server's answer to SUBSCRIBE, a code per filter in the same order.
///
/// 3.1.1 return codes (0x00, 0x01, 0x02, 0x80) have the same values as the 5.0 reason codes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubAck<B: Buffer = Bytes> {
    /// The SUBSCRIBE's packet identifier.
    pub pid: PacketId,
    /// 5.0 properties; empty on 3.1.1.
    pub properties: AckProperties<B>,
    /// Granted QoS or failure, one per filter, at least one.
    pub reason_codes: Vec<ReasonCode>,
}

impl<B: Buffer> SubAck<B> {
    pub(crate) fn read(r: &mut Reader<'_, B>, version: Version) -> Result<Self, DecodeError> {
        let pid = r.packet_id()?;
        let properties = if version.is_v5() {
            properties::read(r)?
        } else {
            AckProperties::default()
        };
        let reason_codes = read_codes(r, version)?;
        Ok(SubAck {
            pid,
            properties,
            reason_codes,
        })
    }

    pub(crate) fn write<S: Sink>(&self, version: Version, s: &mut S) -> Result<(), EncodeError> {
        write_acks(
            PacketType::SubAck,
            self.pid,
            &self.properties,
            &self.reason_codes,
            version,
            s,
        )
    }
}

/// Reads the reason codes that fill the rest of a SUBACK or 5.0 UNSUBACK: at least one, each
/// from the packet's set ([MQTT-3.9.3-2] in both versions, [MQTT-3.11.3-2]).
pub(crate) fn read_codes<B: Buffer>(
    r: &mut Reader<'_, B>,
    version: Version,
) -> Result<Vec<ReasonCode>, DecodeError> {
    let packet = r.packet();
    let range = r.rest();
    let bytes = r.bytes(range);
    if bytes.is_empty() {
        return Err(DecodeError::NoReasonCodes(packet));
    }
    let mut codes = Vec::with_capacity(bytes.len());
    for &raw in bytes {
        let code = ReasonCode(raw);
        let valid = if version.is_v5() {
            code.is_valid_for(packet)
        } else {
            code.is_valid_v3_suback()
        };
        if !valid {
            return Err(DecodeError::InvalidReasonCode { packet, code });
        }
        codes.push(code);
    }
    Ok(codes)
}

/// Writes a SUBACK or UNSUBACK: packet identifier, 5.0 properties, reason codes.
pub(crate) fn write_acks<B: Buffer, S: Sink>(
    kind: PacketType,
    pid: PacketId,
    props: &AckProperties<B>,
    codes: &[ReasonCode],
    version: Version,
    s: &mut S,
) -> Result<(), EncodeError> {
    let v5 = version.is_v5();
    if S::CHECKS {
        if !v5 && !props.is_empty() {
            return Err(EncodeError::NotInVersion {
                what: "properties",
                version,
            });
        }
        // A 3.1.1 UNSUBACK has no codes; every other layout needs at least one.
        if codes.is_empty() && (v5 || kind == PacketType::SubAck) {
            return Err(EncodeError::NoReasonCodes(kind));
        }
        for &code in codes {
            let valid = match (v5, kind) {
                (true, _) => code.is_valid_for(kind),
                (false, PacketType::SubAck) => code.is_valid_v3_suback(),
                (false, _) => false,
            };
            if !valid {
                return Err(if v5 {
                    EncodeError::InvalidReasonCode { packet: kind, code }
                } else {
                    EncodeError::NotInVersion {
                        what: "this reason code",
                        version,
                    }
                });
            }
        }
    }
    s.put_u16(pid.get());
    if v5 {
        properties::write(props, s)?;
    }
    for code in codes {
        s.put_u8(code.0);
    }
    Ok(())
}
