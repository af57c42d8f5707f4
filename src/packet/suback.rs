//! SUBACK (§3.9): one reason code per filter of the SUBSCRIBE.

use super::common::{read_codes, write_acks};
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
