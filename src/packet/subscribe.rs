//! SUBSCRIBE (§3.8): topic filters with their subscription options.

use crate::buffer::{Buffer, Str};
use crate::codec::read::Reader;
use crate::codec::write::Sink;
use crate::error::{DecodeError, EncodeError};
use crate::properties::{self, SubscribeProperties};
use crate::topic::{self, StringKind};
use crate::types::{PacketId, PacketType, QoS, RetainHandling, SubscriptionOptions, Version};
use alloc::vec::Vec;
use bytes::Bytes;

/// SUBSCRIBE: a client subscribes to one or more topic filters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subscribe<B: Buffer = Bytes> {
    /// Packet identifier, repeated in the SUBACK.
    pub pid: PacketId,
    /// 5.0 properties; empty on 3.1.1.
    pub properties: SubscribeProperties<B>,
    /// The topic filters and their options, at least one.
    pub filters: Vec<(Str<B>, SubscriptionOptions)>,
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
        let mut filters = Vec::new();
        while r.remaining() > 0 {
            // [MQTT-3.8.3-1]: a UTF-8 string; §4.7: a valid filter.
            let filter = r.string(StringKind::Plain)?;
            let shared = topic::check_filter(&filter, v5)?;
            let byte = r.u8()?;
            let options = parse_options(byte, v5)?;
            if shared && options.no_local {
                return Err(DecodeError::NoLocalOnSharedSubscription); // [MQTT-3.8.3-4] (5.0)
            }
            filters.push((filter, options));
        }
        if filters.is_empty() {
            // [MQTT-3.8.3-3] (3.1.1) / [MQTT-3.8.3-2] (5.0)
            return Err(DecodeError::NoTopicFilters(PacketType::Subscribe));
        }
        Ok(Subscribe {
            pid,
            properties,
            filters,
        })
    }

    pub(crate) fn write<S: Sink>(&self, version: Version, s: &mut S) -> Result<(), EncodeError> {
        let v5 = version.is_v5();
        if S::CHECKS {
            if self.filters.is_empty() {
                return Err(EncodeError::NoTopicFilters(PacketType::Subscribe));
            }
            if !v5 && !self.properties.is_empty() {
                return Err(EncodeError::NotInVersion {
                    what: "SUBSCRIBE properties",
                    version,
                });
            }
            for (filter, options) in &self.filters {
                let shared = topic::check_filter(filter, v5).map_err(|e| match e {
                    DecodeError::NullCharacter => EncodeError::NullCharacter,
                    _ => EncodeError::InvalidTopicFilter,
                })?;
                if !v5 && *options != SubscriptionOptions::qos(options.qos) {
                    return Err(EncodeError::NotInVersion {
                        what: "5.0 subscription options",
                        version,
                    });
                }
                if shared && options.no_local {
                    return Err(EncodeError::NoLocalOnSharedSubscription);
                }
            }
        }
        s.put_u16(self.pid.get());
        if v5 {
            properties::write(&self.properties, s)?;
        }
        for (filter, options) in &self.filters {
            s.put_str(filter)?;
            s.put_u8(options.to_byte());
        }
        Ok(())
    }
}

/// The options byte: 3.1.1 has only the QoS and reserves bits 7-2 ([MQTT-3-8.3-4]); 5.0 adds
/// No Local, Retain As Published and Retain Handling and reserves bits 7-6 ([MQTT-3.8.3-5]).
/// QoS 3 or Retain Handling 3 is a protocol error (§3.8.3.1).
fn parse_options(byte: u8, v5: bool) -> Result<SubscriptionOptions, DecodeError> {
    let reserved = if v5 { 0b1100_0000 } else { 0b1111_1100 };
    if byte & reserved != 0 {
        return Err(DecodeError::SubscriptionOptionsReserved(byte));
    }
    let qos = QoS::from_bits(byte & 0b11).ok_or(DecodeError::InvalidSubscriptionOptions(byte))?;
    let retain_handling = match (byte >> 4) & 0b11 {
        0 => RetainHandling::SendAtSubscribe,
        1 => RetainHandling::SendIfNew,
        2 => RetainHandling::DoNotSend,
        _ => return Err(DecodeError::InvalidSubscriptionOptions(byte)),
    };
    Ok(SubscriptionOptions {
        qos,
        no_local: byte & 0b0100 != 0,
        retain_as_published: byte & 0b1000 != 0,
        retain_handling,
    })
}
