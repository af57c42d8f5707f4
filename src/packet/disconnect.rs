//! DISCONNECT (§3.14): orderly end of a connection.

use super::common::{check_reason, read_reason_and_properties, write_reason_and_properties};
use crate::buffer::Buffer;
use crate::codec::read::Reader;
use crate::codec::write::Sink;
use crate::error::{DecodeError, EncodeError};
use crate::properties::DisconnectProperties;
use crate::reason::ReasonCode;
use crate::types::{PacketType, Version};
use bytes::Bytes;

/// DISCONNECT: 3.1.1 has no body; 5.0 adds a reason code and properties.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Disconnect<B: Buffer = Bytes> {
    /// 5.0 reason code; [`ReasonCode::NORMAL_DISCONNECTION`] on 3.1.1.
    pub reason_code: ReasonCode,
    /// 5.0 properties; empty on 3.1.1.
    pub properties: DisconnectProperties<B>,
}

impl<B: Buffer> Disconnect<B> {
    /// 3.1.1: remaining length 0 (§3.14). 5.0 (§3.14.2): 0 = normal disconnection, 1 = reason
    /// code only, more = reason code and properties; the code from the DISCONNECT set
    /// ([MQTT-3.14.2-1]).
    pub(crate) fn read(r: &mut Reader<'_, B>, version: Version) -> Result<Self, DecodeError> {
        read_reason_and_properties(r, version).map(|(reason_code, properties)| Disconnect {
            reason_code,
            properties,
        })
    }

    pub(crate) fn write<S: Sink>(&self, version: Version, s: &mut S) -> Result<(), EncodeError> {
        if S::CHECKS {
            check_reason(
                PacketType::Disconnect,
                version,
                self.reason_code,
                self.properties.is_empty(),
            )?;
        }
        write_reason_and_properties(self.reason_code, &self.properties, version, s)
    }
}
