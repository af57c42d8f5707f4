//! UNSUBSCRIBE (§3.10): topic filters to remove.

use crate::buffer::Buffer;
use crate::codec::read::Reader;
use crate::codec::write::Sink;
use crate::error::{DecodeError, EncodeError};
use crate::packet::filters::UnsubscribeFilters;
use crate::properties::{self, UnsubscribeProperties};
use crate::topic::TopicFilter;
use crate::types::{PacketId, Version};
use bytes::Bytes;

/// UNSUBSCRIBE: a client removes subscriptions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Unsubscribe<B: Buffer = Bytes> {
    /// Packet identifier, repeated in the UNSUBACK.
    pub pid: PacketId,
    /// 5.0 properties; empty on 3.1.1.
    pub properties: UnsubscribeProperties<B>,
    /// The topic filters, at least one.
    pub filters: UnsubscribeFilters<B>,
}

impl Unsubscribe<Bytes> {
    /// An UNSUBSCRIBE of one filter, without properties.
    pub fn new<T: Buffer>(pid: PacketId, filter: TopicFilter<T>) -> Unsubscribe {
        Unsubscribe {
            pid,
            properties: UnsubscribeProperties::default(),
            filters: UnsubscribeFilters::new(filter),
        }
    }
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
        let filters = UnsubscribeFilters::read(r, v5)?;
        Ok(Unsubscribe {
            pid,
            properties,
            filters,
        })
    }

    pub(crate) fn write<S: Sink>(&self, version: Version, s: &mut S) -> Result<(), EncodeError> {
        let v5 = version.is_v5();
        if S::CHECKS {
            if !v5 && !self.properties.is_empty() {
                return Err(EncodeError::NotInVersion {
                    what: "UNSUBSCRIBE properties",
                    version,
                });
            }
            self.filters.check(version)?;
        }
        s.put_u16(self.pid.get());
        if v5 {
            properties::write(&self.properties, s)?;
        }
        s.put_slice(self.filters.as_bytes());
        Ok(())
    }
}
