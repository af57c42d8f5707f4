//! PUBLISH (§3.3): an application message.

use crate::buffer::Buffer;
use crate::codec::read::Reader;
use crate::codec::varint;
use crate::codec::write::Sink;
use crate::error::{DecodeError, EncodeError};
use crate::properties::{self, PublishProperties};
use crate::topic::TopicName;
use crate::types::{PacketType, QosPid, Version};
use bytes::Bytes;

/// PUBLISH: an application message, sent by either side.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Publish<B: Buffer = Bytes> {
    /// DUP: this is a re-delivery ([MQTT-3.3.1-1]). Never set with QoS 0 ([MQTT-3.3.1-2]).
    pub dup: bool,
    /// QoS and, for QoS 1 and 2, the packet identifier.
    pub qos: QosPid,
    /// RETAIN: the server keeps the message for future subscribers.
    pub retain: bool,
    /// The topic name, checked when made or decoded ([MQTT-3.3.2-2]); empty
    /// ([`TopicName::empty_for_alias`]) only on 5.0 with a Topic Alias.
    pub topic: TopicName<B>,
    /// 5.0 properties; empty on 3.1.1.
    pub properties: PublishProperties<B>,
    /// The application payload, shared with the received frame.
    pub payload: B,
}

impl<B: Buffer> Publish<B> {
    /// A QoS 0, non-retained message without properties.
    pub fn new(topic: TopicName<B>, payload: B) -> Publish<B> {
        Publish {
            dup: false,
            qos: QosPid::AtMostOnce,
            retain: false,
            topic,
            properties: PublishProperties::default(),
            payload,
        }
    }

    /// The flag nibble of the fixed header: DUP, QoS, RETAIN.
    pub(crate) fn flags(&self) -> u8 {
        (self.dup as u8) << 3 | (self.qos.qos() as u8) << 1 | self.retain as u8
    }

    /// Parses the body; `flags` were checked with the fixed header (QoS 3, DUP on QoS 0).
    #[inline]
    pub(crate) fn read(
        r: &mut Reader<'_, B>,
        flags: u8,
        version: Version,
    ) -> Result<Self, DecodeError> {
        // [MQTT-3.3.2-1]: the topic name comes first; [MQTT-3.3.2-2]: no wildcards.
        let topic = r.topic_name()?;
        // [MQTT-2.3.1-5]: only QoS 1 and 2 carry a packet identifier, never 0 ([MQTT-2.3.1-1]).
        let qos = match (flags >> 1) & 0b11 {
            0 => QosPid::AtMostOnce,
            1 => QosPid::AtLeastOnce(r.packet_id()?),
            2 => QosPid::ExactlyOnce(r.packet_id()?),
            _ => return Err(DecodeError::InvalidQoS), // [MQTT-3.3.1-4]
        };
        let mut publish = Publish {
            dup: flags & 0b1000 != 0,
            qos,
            retain: flags & 1 != 0,
            topic,
            properties: PublishProperties::default(),
            payload: B::default(),
        };
        if version.is_v5() {
            publish.properties = properties::read(r)?;
        }
        // [MQTT-4.7.3-1]; 5.0 §3.3.2.1: an empty topic name needs a Topic Alias.
        if publish.topic.is_empty() && publish.properties.topic_alias().is_none() {
            return Err(DecodeError::EmptyTopicName);
        }
        publish.payload = r.rest_bytes();
        Ok(publish)
    }

    /// Checks the packet for `version` and returns its remaining length: the arithmetic of
    /// [`Publish::write`], without a counting pass over the fields.
    #[inline]
    pub(crate) fn body_len(&self, version: Version) -> Result<usize, EncodeError> {
        if self.dup && self.qos == QosPid::AtMostOnce {
            return Err(EncodeError::DupOnQos0); // [MQTT-3.3.1-2]
        }
        let topic = self.topic.as_bytes();
        if topic.is_empty() && self.properties.topic_alias().is_none() {
            return Err(EncodeError::EmptyTopicName); // [MQTT-4.7.3-1]
        }
        // [MQTT-3.3.2-2], [MQTT-1.5.4-2] and [MQTT-4.7.3-3] hold for every `TopicName`: checked
        // when it was made or decoded, not here.
        let pid = if self.qos.pid().is_some() { 2 } else { 0 };
        let properties = self.properties.as_bytes().len();
        let properties = match version.is_v5() {
            true => varint::encoded_len(u32::try_from(properties).unwrap_or(u32::MAX)) + properties,
            false if properties == 0 => 0,
            false => {
                return Err(EncodeError::NotInVersion {
                    what: "PUBLISH properties",
                    version,
                });
            }
        };
        Ok(2 + topic.len() + pid + properties + self.payload.as_ref().len())
    }

    /// Appends the whole packet to `dst`, after [`Publish::body_len`] checked it and the caller
    /// turned that into the remaining length and the packet's `size`: one reservation, then the
    /// fields in order. Nothing can fail here, so the generic writer's dispatch and its
    /// undo-on-error bookkeeping are skipped (about 30 instructions per packet, by callgrind).
    #[inline]
    pub(crate) fn write_packet(
        &self,
        version: Version,
        remaining: u32,
        size: usize,
        dst: &mut bytes::BytesMut,
    ) {
        dst.reserve(size);
        Sink::put_u8(dst, (PacketType::Publish as u8) << 4 | self.flags());
        // Cannot fail: `remaining` was measured within the varint range and the checking pass
        // (`body_len`) ran; the writer only writes.
        let _ = dst.put_varint(remaining);
        let _ = self.write(version, dst);
    }

    /// Writes the body [`Publish::body_len`] measured and checked.
    #[inline(always)]
    pub(crate) fn write<S: Sink>(&self, version: Version, s: &mut S) -> Result<(), EncodeError> {
        s.put_binary(self.topic.as_bytes())?;
        if let Some(pid) = self.qos.pid() {
            s.put_u16(pid.get());
        }
        if version.is_v5() {
            properties::write(&self.properties, s)?;
        }
        s.put_slice(self.payload.as_ref());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::Packet;
    use crate::properties::PublishPropertiesBuilder;
    use crate::types::PacketId;
    use alloc::string::String;
    use bytes::BytesMut;
    use bytestring::ByteString;

    fn encode(publish: Publish, version: Version) -> Result<usize, EncodeError> {
        let mut buf = BytesMut::new();
        let packet = Packet::Publish(publish);
        let result = packet.encode(version, &mut buf);
        assert_eq!(result.is_err(), buf.is_empty(), "nothing written on error");
        assert_eq!(packet.encoded_len(version), result);
        result
    }

    fn publish(topic: &str) -> Publish {
        Publish::new(
            TopicName::from_checked(ByteString::from(topic)),
            Bytes::from_static(b"x"),
        )
    }

    #[test]
    fn encoder_refuses_dup_on_qos0_mqtt_3_3_1_2() {
        let p = Publish {
            dup: true,
            ..publish("a")
        };
        assert_eq!(encode(p, Version::V3_1_1), Err(EncodeError::DupOnQos0));
        let pid = PacketId::new(1).unwrap();
        let p = Publish {
            dup: true,
            qos: QosPid::AtLeastOnce(pid),
            ..publish("a")
        };
        assert_eq!(encode(p, Version::V3_1_1), Ok(8));
    }

    /// A topic name is checked when made, so the encoder has nothing left to refuse.
    #[test]
    fn topic_names_with_wildcards_or_nul_cannot_be_made_mqtt_3_3_2_2_and_1_5_4_2() {
        for topic in ["a/+", "#", "a/#/b"] {
            let err = TopicName::try_from(topic).map_err(EncodeError::from);
            assert_eq!(err, Err(EncodeError::WildcardInTopicName), "{topic}");
        }
        let err = TopicName::try_from("a\0").map_err(EncodeError::from);
        assert_eq!(err, Err(EncodeError::NullCharacter));
    }

    #[test]
    fn encoder_refuses_an_empty_topic_without_alias_mqtt_4_7_3_1() {
        assert_eq!(
            encode(publish(""), Version::V3_1_1),
            Err(EncodeError::EmptyTopicName)
        );
        assert_eq!(
            encode(publish(""), Version::V5),
            Err(EncodeError::EmptyTopicName)
        );
        let aliased = PublishPropertiesBuilder {
            topic_alias: Some(3),
            ..Default::default()
        };
        let p = Publish {
            properties: aliased.build().unwrap(),
            ..publish("")
        };
        // 2 + 0 (topic) + 1 + 3 (properties) + 1 (payload), plus the 2-byte fixed header.
        assert_eq!(encode(p, Version::V5), Ok(9));
    }

    #[test]
    fn topic_names_over_65535_bytes_cannot_be_made_mqtt_4_7_3_3() {
        let long = String::from_iter(core::iter::repeat_n('a', 65_536));
        let err = TopicName::try_from(long).map_err(EncodeError::from);
        assert_eq!(err, Err(EncodeError::FieldTooLong(65_536)));
        let longest = String::from_iter(core::iter::repeat_n('a', 65_535));
        assert_eq!(encode(publish(&longest), Version::V5), Ok(65_543));
    }

    #[test]
    fn encoder_refuses_properties_on_3_1_1() {
        let props = PublishPropertiesBuilder {
            message_expiry_interval: Some(5),
            ..Default::default()
        };
        let p = Publish {
            properties: props.build().unwrap(),
            ..publish("a")
        };
        assert!(matches!(
            encode(p, Version::V3_1_1),
            Err(EncodeError::NotInVersion { .. })
        ));
    }
}
