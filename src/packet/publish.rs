//! PUBLISH (§3.3): an application message.

use crate::buffer::{Buffer, Str};
use crate::codec::read::Reader;
use crate::codec::varint;
use crate::codec::write::Sink;
use crate::error::{DecodeError, EncodeError};
use crate::properties::{self, PublishProperties};
use crate::topic::{self, StringKind};
use crate::types::{QosPid, Version};
use bytes::{BufMut, Bytes};

/// PUBLISH: an application message, sent by either side.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Publish<B: Buffer = Bytes> {
    /// DUP: this is a re-delivery ([MQTT-3.3.1-1]). Never set with QoS 0 ([MQTT-3.3.1-2]).
    pub dup: bool,
    /// QoS and, for QoS 1 and 2, the packet identifier.
    pub qos: QosPid,
    /// RETAIN: the server keeps the message for future subscribers.
    pub retain: bool,
    /// The topic name: no wildcards ([MQTT-3.3.2-2]); empty only on 5.0 with a Topic Alias.
    pub topic: Str<B>,
    /// 5.0 properties; empty on 3.1.1.
    pub properties: PublishProperties<B>,
    /// The application payload, shared with the received frame.
    pub payload: B,
}

impl<B: Buffer> Publish<B> {
    /// A QoS 0, non-retained message without properties.
    pub fn new(topic: Str<B>, payload: B) -> Publish<B> {
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
        let topic = r.string(StringKind::TopicName)?;
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
        // [MQTT-3.3.2-2], [MQTT-1.5.4-2]
        topic::check_bytes(topic, StringKind::TopicName).map_err(|e| match e {
            DecodeError::WildcardInTopicName => EncodeError::WildcardInTopicName,
            _ => EncodeError::NullCharacter,
        })?;
        if topic.len() > usize::from(u16::MAX) {
            return Err(EncodeError::FieldTooLong(topic.len())); // [MQTT-4.7.3-3]
        }
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
        BufMut::put_u8(
            dst,
            (crate::types::PacketType::Publish as u8) << 4 | self.flags(),
        );
        let mut len = [0u8; 4];
        let n = varint::encode(remaining, &mut len).unwrap_or(0);
        dst.extend_from_slice(len.get(..n).unwrap_or_default());
        // Cannot fail: the checking pass (`body_len`) ran, and the writer only writes.
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
