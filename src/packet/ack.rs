//! PUBACK, PUBREC, PUBREL and PUBCOMP (§3.4 to §3.7): one shape, a packet identifier and, on 5.0,
//! a reason code and properties.

use super::common::{check_reason, read_reason_and_properties, write_reason_and_properties};
use crate::buffer::Buffer;
use crate::codec::read::Reader;
use crate::codec::write::Sink;
use crate::error::{DecodeError, EncodeError};
use crate::properties::AckProperties;
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
        let (reason_code, properties) = read_reason_and_properties(r, version)?;
        Ok(Ack {
            pid,
            reason_code,
            properties,
        })
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
        write_reason_and_properties(self.reason_code, &self.properties, version, s)
    }
}
