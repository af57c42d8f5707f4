//! PUBACK, PUBREC, PUBREL and PUBCOMP (§3.4 to §3.7): one shape, a packet identifier and, on 5.0,
//! a reason code and properties.

use crate::buffer::Buffer;
use crate::codec::read::Reader;
use crate::codec::write::Sink;
use crate::error::{DecodeError, EncodeError};
use crate::properties::{self, AckProperties};
use crate::reason::ReasonCode;
use crate::types::{PacketId, PacketType, Version};
use bytes::Bytes;

/// The body of PUBACK, PUBREC, PUBREL and PUBCOMP.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ack<B: Buffer = Bytes> {
    /// The identifier of the PUBLISH (or PUBREL) acknowledged.
    pub pid: PacketId,
    /// 5.0 reason code; always [`ReasonCode::SUCCESS`] on 3.1.1.
    pub reason_code: ReasonCode,
    /// 5.0 properties; empty on 3.1.1.
    pub properties: AckProperties<B>,
}

impl<B: Buffer> Ack<B> {
    /// A success acknowledgement of `pid` without properties.
    pub fn new(pid: PacketId) -> Ack<B> {
        Ack {
            pid,
            reason_code: ReasonCode::SUCCESS,
            properties: AckProperties::default(),
        }
    }

    /// 3.1.1: remaining length is exactly 2 (§3.4 to §3.7). 5.0 (§3.4.2.1): 2 = Success without
    /// properties, 3 = reason code only, more = reason code and properties; the reason code must
    /// belong to the packet's set ([MQTT-3.4.2-1], [MQTT-3.5.2-1], [MQTT-3.6.2-1],
    /// [MQTT-3.7.2-1]).
    #[inline]
    pub(crate) fn read(r: &mut Reader<'_, B>, version: Version) -> Result<Self, DecodeError> {
        let pid = r.packet_id()?;
        let mut ack = Ack::new(pid);
        if version.is_v5() && r.remaining() > 0 {
            let code = ReasonCode(r.u8()?);
            if !code.is_valid_for(r.packet()) {
                return Err(DecodeError::InvalidReasonCode {
                    packet: r.packet(),
                    code,
                });
            }
            ack.reason_code = code;
            if r.remaining() > 0 {
                ack.properties = properties::read(r)?;
            }
        }
        Ok(ack)
    }

    pub(crate) fn write<S: Sink>(
        &self,
        kind: PacketType,
        version: Version,
        s: &mut S,
    ) -> Result<(), EncodeError> {
        if S::CHECKS {
            check_reason(kind, version, self.reason_code, self.properties.is_empty())?;
        }
        s.put_u16(self.pid.get());
        // The short forms: reason code and properties are left out when they are the defaults.
        if version.is_v5()
            && (self.reason_code != ReasonCode::SUCCESS || !self.properties.is_empty())
        {
            s.put_u8(self.reason_code.0);
            if !self.properties.is_empty() {
                properties::write(&self.properties, s)?;
            }
        }
        Ok(())
    }
}

/// Encode-side check shared by the packets whose 5.0 reason code 3.1.1 cannot carry.
pub(crate) fn check_reason(
    kind: PacketType,
    version: Version,
    code: ReasonCode,
    no_properties: bool,
) -> Result<(), EncodeError> {
    if version.is_v5() {
        if !code.is_valid_for(kind) {
            return Err(EncodeError::InvalidReasonCode { packet: kind, code });
        }
    } else {
        if code != ReasonCode::SUCCESS {
            return Err(EncodeError::NotInVersion {
                what: "a reason code",
                version,
            });
        }
        if !no_properties {
            return Err(EncodeError::NotInVersion {
                what: "properties",
                version,
            });
        }
    }
    Ok(())
}
