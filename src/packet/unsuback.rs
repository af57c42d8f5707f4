//! UNSUBACK (§3.11): 3.1.1 has only the packet identifier, 5.0 adds a code per filter.

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

/// UNSUBACK: the server's answer to UNSUBSCRIBE.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnsubAck<B: Buffer = Bytes> {
    /// The UNSUBSCRIBE's packet identifier.
    pub pid: PacketId,
    /// 5.0 properties; empty on 3.1.1.
    pub properties: AckProperties<B>,
    /// 5.0: a code per filter, in order ([MQTT-3.11.3-1]); always empty on 3.1.1.
    pub reason_codes: Vec<ReasonCode>,
}

impl<B: Buffer> UnsubAck<B> {
    pub(crate) fn read(r: &mut Reader<'_, B>, version: Version) -> Result<Self, DecodeError> {
        let pid = r.packet_id()?;
        if !version.is_v5() {
            // §3.11 (3.1.1): remaining length is exactly 2.
            return Ok(UnsubAck {
                pid,
                properties: AckProperties::default(),
                reason_codes: Vec::new(),
            });
        }
        let properties = properties::read(r)?;
        let reason_codes = read_codes(r, version)?;
        Ok(UnsubAck {
            pid,
            properties,
            reason_codes,
        })
    }

    pub(crate) fn write<S: Sink>(&self, version: Version, s: &mut S) -> Result<(), EncodeError> {
        write_acks(
            PacketType::UnsubAck,
            self.pid,
            &self.properties,
            &self.reason_codes,
            version,
            s,
        )
    }
}
