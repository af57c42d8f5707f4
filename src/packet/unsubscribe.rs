//! UNSUBSCRIBE (§3.10): topic filters to remove.

use crate::buffer::{Buffer, Str};
use crate::codec::read::Reader;
use crate::codec::write::Sink;
use crate::error::{DecodeError, EncodeError};
use crate::properties::{self, UnsubscribeProperties};
use crate::topic::{self, StringKind};
use crate::types::{PacketId, PacketType, Version};
use alloc::vec::Vec;
use bytes::Bytes;

/// UNSUBSCRIBE: a client removes subscriptions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Unsubscribe<B: Buffer = Bytes> {
    /// Packet identifier, repeated in the UNSUBACK.
    pub pid: PacketId,
    /// 5.0 properties; empty on 3.1.1.
    pub properties: UnsubscribeProperties<B>,
    /// The topic filters, at least one.
    pub filters: Vec<Str<B>>,
}

impl<B: Buffer> Unsubscribe<B> {
    pub(crate) fn read(r: &mut Reader<'_, B>, version: Version) -> Result<Self, DecodeError> {
        let v5 = version.is_v5();
        let pid = r.packet_id()?;
        let properties = if v5 {
            properties::read(r)?
        } else {
            UnsubscribeProperties::default()
        };
        let mut filters = Vec::new();
        while r.remaining() > 0 {
            // [MQTT-3.10.3-1]: UTF-8 strings; §4.7: valid filters.
            let filter = r.string(StringKind::Plain)?;
            topic::check_filter(&filter, v5)?;
            filters.push(filter);
        }
        if filters.is_empty() {
            return Err(DecodeError::NoTopicFilters(PacketType::Unsubscribe)); // [MQTT-3.10.3-2]
        }
        Ok(Unsubscribe {
            pid,
            properties,
            filters,
        })
    }

    pub(crate) fn write<S: Sink>(&self, version: Version, s: &mut S) -> Result<(), EncodeError> {
        let v5 = version.is_v5();
        if S::CHECKS {
            if self.filters.is_empty() {
                return Err(EncodeError::NoTopicFilters(PacketType::Unsubscribe));
            }
            if !v5 && !self.properties.is_empty() {
                return Err(EncodeError::NotInVersion {
                    what: "UNSUBSCRIBE properties",
                    version,
                });
            }
            for filter in &self.filters {
                topic::check_filter(filter, v5).map_err(|e| match e {
                    DecodeError::NullCharacter => EncodeError::NullCharacter,
                    _ => EncodeError::InvalidTopicFilter,
                })?;
            }
        }
        s.put_u16(self.pid.get());
        if v5 {
            properties::write(&self.properties, s)?;
        }
        for filter in &self.filters {
            s.put_str(filter)?;
        }
        Ok(())
    }
}
