//! SUBSCRIBE (§3.8): topic filters with their subscription options.

use crate::buffer::Buffer;
use crate::codec::read::Reader;
use crate::codec::write::Sink;
use crate::error::{DecodeError, EncodeError};
use crate::packet::filters::SubscribeFilters;
use crate::properties::{self, SubscribeProperties};
use crate::topic::TopicFilter;
use crate::types::{PacketId, SubscriptionOptions, Version};
use bytes::Bytes;

/// SUBSCRIBE: a client subscribes to one or more topic filters.
///
/// ```
/// use mqtt_wire::{PacketId, QoS, Subscribe, SubscribeFilters, SubscriptionOptions, TopicFilter};
///
/// let pid = PacketId::new(1).unwrap();
/// let one = Subscribe::new(pid, TopicFilter::try_from("a/#")?, SubscriptionOptions::qos(QoS::AtLeastOnce));
/// let several = Subscribe {
///     filters: SubscribeFilters::try_from_iter([
///         (TopicFilter::try_from("a/#")?, SubscriptionOptions::qos(QoS::AtLeastOnce)),
///         (TopicFilter::try_from("$share/g/b/+")?, SubscriptionOptions::qos(QoS::AtMostOnce)),
///     ])?,
///     ..one
/// };
/// assert_eq!(several.filters.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subscribe<B: Buffer = Bytes> {
    /// Packet identifier, repeated in the SUBACK.
    pub pid: PacketId,
    /// 5.0 properties; empty on 3.1.1.
    pub properties: SubscribeProperties<B>,
    /// The topic filters and their options, at least one.
    pub filters: SubscribeFilters<B>,
}

impl Subscribe<Bytes> {
    /// A SUBSCRIBE of one filter, without properties.
    pub fn new<T: Buffer>(
        pid: PacketId,
        filter: TopicFilter<T>,
        options: SubscriptionOptions,
    ) -> Subscribe {
        Subscribe {
            pid,
            properties: SubscribeProperties::default(),
            filters: SubscribeFilters::new(filter, options),
        }
    }
}

impl<B: Buffer> Subscribe<B> {
    pub(crate) fn read(r: &mut Reader<'_, B>, version: Version) -> Result<Self, DecodeError> {
        let v5 = version.is_v5();
        let pid = r.packet_id()?;
        let properties = if v5 {
            properties::read(r)?
        } else {
            SubscribeProperties::default()
        };
        let filters = SubscribeFilters::read(r, v5)?;
        Ok(Subscribe {
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
                    what: "SUBSCRIBE properties",
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
