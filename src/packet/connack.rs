//! CONNACK (§3.2): the server's answer to CONNECT.

use crate::buffer::Buffer;
use crate::codec::read::Reader;
use crate::codec::write::Sink;
use crate::error::{DecodeError, EncodeError};
use crate::properties::{self, ConnAckProperties};
use crate::reason::ReasonCode;
use crate::types::{PacketType, Version};
use bytes::Bytes;

/// CONNACK: the server accepts or refuses a connection.
///
/// On 3.1.1 the return code (Table C) is mapped to the 5.0 reason code of the same meaning:
/// 1 → `0x84` Unsupported Protocol Version, 2 → `0x85` Client Identifier not valid,
/// 3 → `0x88` Server unavailable, 4 → `0x86` Bad User Name or Password, 5 → `0x87` Not
/// authorized; encoding maps back, and a 5.0 code without a 3.1.1 equivalent is refused.
///
/// A 5.0 decoder that receives a 3.1.1 server's refusal of the protocol version (`20 02 00 01`)
/// reports [`DecodeError::UnacceptableProtocolVersion`], so a client can fall back to 3.1.1.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConnAck<B: Buffer = Bytes> {
    /// The server resumed a stored session.
    pub session_present: bool,
    /// Success, or why the connection is refused.
    pub reason_code: ReasonCode,
    /// 5.0 properties; empty on 3.1.1.
    pub properties: ConnAckProperties<B>,
}

impl<B: Buffer> ConnAck<B> {
    /// A CONNACK with the given code, no properties.
    pub fn new(session_present: bool, reason_code: ReasonCode) -> ConnAck<B> {
        ConnAck {
            session_present,
            reason_code,
            properties: ConnAckProperties::default(),
        }
    }

    pub(crate) fn read(r: &mut Reader<'_, B>, version: Version) -> Result<Self, DecodeError> {
        let flags = r.u8()?;
        if flags & 0xFE != 0 {
            return Err(DecodeError::ConnAckReservedFlags); // [MQTT-3.2.2-1] (5.0), §3.2.2.1
        }
        let raw = r.u8()?;
        // A 3.1.1 server's refusal of a 5.0 CONNECT (3.1.1 [MQTT-3.1.2-2]: return code 1 and
        // nothing else), recognisable so that a 5.0 client can fall back to 3.1.1.
        if version.is_v5() && flags == 0 && raw == 0x01 && r.remaining() == 0 {
            return Err(DecodeError::UnacceptableProtocolVersion);
        }
        let invalid = DecodeError::InvalidReasonCode {
            packet: PacketType::ConnAck,
            code: ReasonCode(raw),
        };
        let reason_code = if version.is_v5() {
            // [MQTT-3.2.2-8]
            Some(ReasonCode(raw)).filter(|c| c.is_valid_for(PacketType::ConnAck))
        } else {
            ReasonCode::from_v3_connack(raw) // Table C: 6..=255 reserved
        }
        .ok_or(invalid)?;
        let session_present = flags & 1 != 0;
        if session_present && reason_code != ReasonCode::SUCCESS {
            return Err(DecodeError::SessionPresentOnFailure); // [MQTT-3.2.2-4] / [MQTT-3.2.2-6]
        }
        let properties: ConnAckProperties<B> = if version.is_v5() {
            properties::read(r)?
        } else {
            ConnAckProperties::default()
        };
        Ok(ConnAck {
            session_present,
            reason_code,
            properties,
        })
    }

    pub(crate) fn write<S: Sink>(&self, version: Version, s: &mut S) -> Result<(), EncodeError> {
        let code = if version.is_v5() {
            if S::CHECKS && !self.reason_code.is_valid_for(PacketType::ConnAck) {
                return Err(EncodeError::InvalidReasonCode {
                    packet: PacketType::ConnAck,
                    code: self.reason_code,
                });
            }
            self.reason_code.0
        } else {
            if S::CHECKS && !self.properties.is_empty() {
                return Err(EncodeError::NotInVersion {
                    what: "CONNACK properties",
                    version,
                });
            }
            self.reason_code
                .to_v3_connack()
                .ok_or(EncodeError::NotInVersion {
                    what: "this CONNACK reason code",
                    version,
                })?
        };
        // [MQTT-3.2.2-4] (3.1.1) / [MQTT-3.2.2-6] (5.0)
        if S::CHECKS && self.session_present && self.reason_code != ReasonCode::SUCCESS {
            return Err(EncodeError::SessionPresentOnFailure);
        }
        s.put_u8(self.session_present as u8);
        s.put_u8(code);
        if version.is_v5() {
            properties::write(&self.properties, s)?;
        }
        Ok(())
    }
}
