//! PUBLISH (§3.3): an application message.

use crate::buffer::Buffer;
use crate::codec::read::Reader;
use crate::codec::varint;
use crate::codec::write::{Sink, len64};
use crate::debug::Shortened;
use crate::error::{DecodeError, EncodeError};
use crate::packet::frame_size;
use crate::properties::{self, PublishProperties};
use crate::topic::{self, StringKind, TopicName};
use crate::types::{PacketId, PacketType, QosPid, Side, Version};
use bytes::{Bytes, BytesMut};
use core::fmt;

/// PUBLISH: an application message, sent by either side.
///
/// `Debug` shows the payload by its length and first bytes.
#[derive(Clone, PartialEq, Eq, Hash)]
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

impl<B: Buffer> fmt::Debug for Publish<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Publish")
            .field("dup", &self.dup)
            .field("qos", &self.qos)
            .field("retain", &self.retain)
            .field("topic", &self.topic)
            .field("properties", &self.properties)
            .field("payload", &Shortened(self.payload.as_ref()))
            .finish()
    }
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

    /// Whether `from` may not send this PUBLISH: a client's carries no Subscription Identifier
    /// ([MQTT-3.3.4-6]). PUBLISH goes both ways, so this is its only rule on the sender.
    #[inline]
    pub(crate) fn breaks_sender_rule(&self, from: Side) -> bool {
        from == Side::Client && self.fields().carries_subscription_identifier()
    }

    /// The packet's fields, borrowed, for the encoding arithmetic and writes.
    #[inline(always)]
    pub(crate) fn fields(&self) -> PublishFields<'_, B> {
        PublishFields {
            dup: self.dup,
            qos: self.qos,
            retain: self.retain,
            topic: &self.topic,
            properties: &self.properties,
            payload: &self.payload,
        }
    }

    /// Parses the body `src[start..end]`; `flags` were checked with the fixed header (QoS 3, DUP
    /// on QoS 0). The payload shares `src`.
    #[inline(always)]
    pub(crate) fn read(
        src: &B,
        start: usize,
        end: usize,
        flags: u8,
        version: Version,
    ) -> Result<Self, DecodeError> {
        let head = Head::read(src, start, end, flags, version)?;
        let payload = src.slice(head.payload_start..end);
        Ok(head.with_payload(flags, payload))
    }

    /// Parses the body `frame[start..end]` of a frame the caller gives up: the payload is the
    /// frame itself, narrowed, rather than a second reference to it.
    #[inline(always)]
    pub(crate) fn read_owned(
        frame: B,
        start: usize,
        end: usize,
        flags: u8,
        version: Version,
    ) -> Result<Self, DecodeError> {
        let head = Head::read(&frame, start, end, flags, version)?;
        let payload = frame.into_slice(head.payload_start..end);
        Ok(head.with_payload(flags, payload))
    }

    /// Checks the packet for `version` and returns its remaining length: the arithmetic of
    /// [`Publish::write`], without a counting pass over the fields.
    #[inline]
    pub(crate) fn body_len(&self, version: Version) -> Result<u64, EncodeError> {
        self.fields().body_len(version)
    }

    /// Appends the whole packet to `dst` (see [`PublishFields::write_packet`]).
    #[inline]
    pub(crate) fn write_packet(
        &self,
        version: Version,
        remaining: u32,
        size: usize,
        dst: &mut BytesMut,
    ) {
        self.fields().write_packet(version, remaining, size, dst);
    }

    /// Appends everything but the payload to `dst`: the fixed header (whose Remaining Length
    /// counts the payload), the topic, the packet identifier and the properties. Returns the
    /// bytes written; the packet is checked as [`Packet::encode`](crate::Packet::encode) checks
    /// it, and nothing is written on error.
    ///
    /// A sender then writes [`Publish::payload`] itself, without copying it into `dst`: a
    /// vectored write, or a chain of the two buffers. This is how a broker sends one payload to
    /// many subscribers, or resends a large message.
    ///
    /// ```
    /// use mqtt_wire::{Bytes, BytesMut, Packet, Publish, TopicName, Version};
    ///
    /// let publish = Publish::new(TopicName::from_static("a/b")?, Bytes::from(vec![7; 1000]));
    /// let mut head = BytesMut::new();
    /// let n = publish.encode_header(Version::V5, &mut head)?;
    /// assert_eq!(n, head.len());
    /// let mut whole = BytesMut::new();
    /// Packet::Publish(publish.clone()).encode(Version::V5, &mut whole)?;
    /// assert_eq!([&head[..], &publish.payload[..]].concat(), whole);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode_header(
        &self,
        version: Version,
        dst: &mut BytesMut,
    ) -> Result<usize, EncodeError> {
        self.encode_header_limited(version, crate::MAX_PACKET_SIZE, dst)
    }

    /// [`Publish::encode_header`] refusing a packet larger than `max` bytes, payload included.
    pub(crate) fn encode_header_limited(
        &self,
        version: Version,
        max: u32,
        dst: &mut BytesMut,
    ) -> Result<usize, EncodeError> {
        let (remaining, size) = frame_size(self.body_len(version)?, max)?;
        let header = size - self.payload.as_ref().len();
        dst.reserve(header);
        self.fields().put_head(version, remaining, dst);
        Ok(header)
    }

    /// Writes the body [`Publish::body_len`] measured and checked.
    #[inline(always)]
    pub(crate) fn write<S: Sink>(&self, version: Version, s: &mut S) -> Result<(), EncodeError> {
        self.write_head(version, s)?;
        s.put_slice(self.payload.as_ref());
        Ok(())
    }

    /// The body up to the payload: topic, packet identifier, properties.
    #[inline(always)]
    fn write_head<S: Sink>(&self, version: Version, s: &mut S) -> Result<(), EncodeError> {
        s.put_binary(self.topic.as_bytes())?;
        if let Some(pid) = self.qos.pid() {
            s.put_u16(pid.get());
        }
        if version.is_v5() {
            properties::write(&self.properties, s)?;
        }
        Ok(())
    }
}

/// The fields of a PUBLISH, borrowed: from a [`Publish`], or from a message a session stores,
/// which is encoded from here without being moved into a `Publish` and back.
#[derive(Debug)]
pub(crate) struct PublishFields<'a, B: Buffer = Bytes> {
    /// DUP.
    pub(crate) dup: bool,
    /// QoS and packet identifier.
    pub(crate) qos: QosPid,
    /// RETAIN.
    pub(crate) retain: bool,
    /// The topic name.
    pub(crate) topic: &'a TopicName<B>,
    /// 5.0 properties.
    pub(crate) properties: &'a PublishProperties<B>,
    /// The payload.
    pub(crate) payload: &'a B,
}

impl<B: Buffer> PublishFields<'_, B> {
    /// Whether the properties hold a Subscription Identifier, which a client may not send
    /// ([MQTT-3.3.4-6]): no walk over empty properties.
    #[inline(always)]
    pub(crate) fn carries_subscription_identifier(&self) -> bool {
        !self.properties.is_empty() && self.properties.subscription_identifiers().next().is_some()
    }

    /// Checks the packet for `version` and returns its remaining length: the arithmetic of
    /// `Publish::write`, without a counting pass over the fields.
    #[inline]
    pub(crate) fn body_len(&self, version: Version) -> Result<u64, EncodeError> {
        if self.dup && self.qos == QosPid::AtMostOnce {
            return Err(EncodeError::DupOnQos0); // [MQTT-3.3.1-2]
        }
        let topic = self.topic.as_bytes();
        if topic.is_empty() && self.properties.topic_alias().is_none() {
            return Err(EncodeError::EmptyTopicName); // [MQTT-4.7.3-1]
        }
        // [MQTT-3.3.2-2], [MQTT-1.5.4-2] and [MQTT-4.7.3-3] hold for every `TopicName`: checked
        // when it was made or decoded, not here.
        // Summed as `u64`: on a 16-bit target the payload alone may fill `usize`.
        let pid = if self.qos.pid().is_some() { 2 } else { 0 };
        let properties = len64(self.properties.as_bytes().len());
        let properties = match version.is_v5() {
            true => {
                let prefix = varint::encoded_len(u32::try_from(properties).unwrap_or(u32::MAX));
                len64(prefix).saturating_add(properties)
            }
            false if properties == 0 => 0,
            false => {
                return Err(EncodeError::NotInVersion {
                    what: "PUBLISH properties",
                    version,
                });
            }
        };
        Ok((2 + pid + len64(topic.len()))
            .saturating_add(properties)
            .saturating_add(len64(self.payload.as_ref().len())))
    }

    /// Appends the whole packet to `dst`, after [`PublishFields::body_len`] checked it and the caller
    /// turned that into the remaining length and the packet's `size`: one reservation, then the
    /// head ([`PublishFields::put_head`]) and the payload. Nothing can fail here, so the generic
    /// writer's dispatch and its undo-on-error bookkeeping are skipped.
    #[inline(always)]
    pub(crate) fn write_packet(
        &self,
        version: Version,
        remaining: u32,
        size: usize,
        dst: &mut BytesMut,
    ) {
        dst.reserve(size);
        self.put_head(version, remaining, dst);
        dst.extend_from_slice(self.payload.as_ref());
    }

    /// Everything before the payload, already checked by [`PublishFields::body_len`]: the first byte,
    /// the remaining length and the topic's length prefix as one fixed-size write, the topic,
    /// the packet identifier, and on 5.0 the properties. Each write into a `BytesMut` checks its
    /// capacity, so the fixed-size parts are grouped into as few writes as their layout allows.
    #[inline(always)]
    fn put_head(&self, version: Version, remaining: u32, dst: &mut BytesMut) {
        let first = (PacketType::Publish as u8) << 4
            | (self.dup as u8) << 3
            | (self.qos.qos() as u8) << 1
            | self.retain as u8;
        let topic = self.topic.as_bytes();
        // At most 65,535 bytes: a `TopicName` is checked for it when made ([MQTT-4.7.3-3]).
        let topic_len = u16::try_from(topic.len()).unwrap_or(u16::MAX);
        // `remaining` was measured within the Variable Byte Integer range (1 to 4 bytes).
        if let Ok(short @ 0..=127) = u8::try_from(remaining) {
            // The usual small packet: type and flags, a one-byte remaining length and the
            // topic's length prefix in one write.
            let [t1, t0] = topic_len.to_be_bytes();
            dst.put_u32(u32::from_be_bytes([first, short, t1, t0]));
        } else {
            dst.put_u8(first);
            let written = dst.put_varint(remaining);
            debug_assert!(written.is_ok());
            dst.put_u16(topic_len);
        }
        dst.extend_from_slice(topic);
        let pid = self.qos.pid().map(|pid| pid.get().to_be_bytes());
        if !version.is_v5() {
            if let Some(pid) = pid {
                dst.put_slice(&pid);
            }
            return;
        }
        let props = self.properties.as_bytes();
        // `body_len` measured the Property Length within the Variable Byte Integer range.
        let props_len = u32::try_from(props.len()).unwrap_or(u32::MAX);
        match (pid, u8::try_from(props_len)) {
            // The packet identifier and a one-byte Property Length in one write.
            (Some([p1, p0]), Ok(short @ 0..=127)) => dst.put_slice(&[p1, p0, short]),
            (None, Ok(short @ 0..=127)) => dst.put_u8(short),
            (pid, _) => {
                if let Some(pid) = pid {
                    dst.put_slice(&pid);
                }
                let written = dst.put_varint(props_len);
                debug_assert!(written.is_ok());
            }
        }
        if !props.is_empty() {
            dst.extend_from_slice(props);
        }
    }
}

/// A PUBLISH body up to its payload, which starts at `payload_start` and runs to the end of the
/// packet.
struct Head<B: Buffer> {
    topic: TopicName<B>,
    qos: QosPid,
    properties: PublishProperties<B>,
    payload_start: usize,
}

impl<B: Buffer> Head<B> {
    /// Reads the fields of `src[start..end]` before the payload, straight off the slice: the
    /// topic name, the packet identifier and (5.0) the properties.
    #[inline(always)]
    fn read(
        src: &B,
        start: usize,
        end: usize,
        flags: u8,
        version: Version,
    ) -> Result<Head<B>, DecodeError> {
        const END: DecodeError = DecodeError::UnexpectedEnd(PacketType::Publish);
        let body = src.as_ref().get(start..end).unwrap_or_default();
        // [MQTT-3.3.2-1]: the topic name comes first.
        let Some((len, rest)) = body.split_first_chunk::<2>() else {
            return Err(END);
        };
        let topic_len = usize::from(u16::from_be_bytes(*len));
        let Some(name) = rest.get(..topic_len) else {
            return Err(END);
        };
        // [MQTT-3.3.2-2]: no wildcards; [MQTT-1.5.4-2]: no U+0000. Then well-formed UTF-8
        // ([MQTT-1.5.4-1]), checked as the string is made.
        topic::check_bytes(name, StringKind::TopicName)?;
        let topic_start = start + 2;
        let mut pos = topic_start + topic_len;
        let topic = src
            .slice_str(topic_start..pos)
            .map_err(|_| DecodeError::InvalidUtf8)?;
        let rest = rest.get(topic_len..).unwrap_or_default();
        // [MQTT-2.3.1-5]: only QoS 1 and 2 carry a packet identifier, never 0 ([MQTT-2.3.1-1]).
        let qos = match (flags >> 1) & 0b11 {
            0 => QosPid::AtMostOnce,
            3 => return Err(DecodeError::InvalidQoS), // [MQTT-3.3.1-4]
            qos => {
                let Some((pid, _)) = rest.split_first_chunk::<2>() else {
                    return Err(END);
                };
                let pid = PacketId::new(u16::from_be_bytes(*pid))
                    .ok_or(DecodeError::ZeroPacketId(PacketType::Publish))?;
                pos += 2;
                match qos {
                    1 => QosPid::AtLeastOnce(pid),
                    _ => QosPid::ExactlyOnce(pid),
                }
            }
        };
        let properties = match (version.is_v5(), body.get(pos - start)) {
            (false, _) => PublishProperties::default(),
            // A Property Length of 0, the usual case: no properties to check.
            (true, Some(0)) => {
                pos += 1;
                PublishProperties::default()
            }
            (true, _) => {
                let mut r = Reader::new(src, pos, end, PacketType::Publish);
                let properties = properties::read(&mut r)?;
                pos = r.position();
                properties
            }
        };
        // [MQTT-4.7.3-1]; 5.0 §3.3.2.1: an empty topic name needs a Topic Alias.
        if topic_len == 0 && properties.topic_alias().is_none() {
            return Err(DecodeError::EmptyTopicName);
        }
        Ok(Head {
            topic: TopicName::from_checked(topic),
            qos,
            properties,
            payload_start: pos,
        })
    }

    /// The packet, with the flags of its fixed header and its payload.
    #[inline(always)]
    fn with_payload(self, flags: u8, payload: B) -> Publish<B> {
        Publish {
            dup: flags & 0b1000 != 0,
            qos: self.qos,
            retain: flags & 1 != 0,
            topic: self.topic,
            properties: self.properties,
            payload,
        }
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

    #[test]
    fn header_and_payload_make_the_whole_packet() {
        let props = PublishPropertiesBuilder {
            message_expiry_interval: Some(5),
            user_properties: alloc::vec![("k".into(), "v".into())],
            ..Default::default()
        }
        .build()
        .unwrap();
        let pid = PacketId::new(9).unwrap();
        let payloads = [
            Bytes::new(),
            Bytes::from_static(b"x"),
            Bytes::from(alloc::vec![3; 200]),
        ];
        for version in [Version::V3_1, Version::V3_1_1, Version::V5] {
            for qos in [
                QosPid::AtMostOnce,
                QosPid::AtLeastOnce(pid),
                QosPid::ExactlyOnce(pid),
            ] {
                for payload in &payloads {
                    let mut p = Publish {
                        qos,
                        retain: true,
                        ..Publish::new(TopicName::from_static("t/1").unwrap(), payload.clone())
                    };
                    if version.is_v5() {
                        p.properties = props.clone();
                    }
                    let mut whole = BytesMut::new();
                    Packet::Publish(p.clone())
                        .encode(version, &mut whole)
                        .unwrap();
                    let mut head = BytesMut::from(&b"before"[..]);
                    let n = p.encode_header(version, &mut head).unwrap();
                    assert_eq!(n, head.len() - 6);
                    assert_eq!(&head[..6], b"before");
                    assert_eq!([&head[6..], &payload[..]].concat(), &whole[..]);
                }
            }
        }
    }

    #[test]
    fn header_encoding_refuses_what_encoding_refuses() {
        let mut head = BytesMut::new();
        let dup = Publish {
            dup: true,
            ..publish("a")
        };
        assert_eq!(
            dup.encode_header(Version::V5, &mut head),
            Err(EncodeError::DupOnQos0)
        );
        // The size limit counts the payload, which the header does not contain.
        let big = Publish::new(
            TopicName::from_static("a").unwrap(),
            Bytes::from(alloc::vec![0; 100]),
        );
        assert_eq!(
            big.encode_header_limited(Version::V3_1_1, 104, &mut head),
            Err(EncodeError::PacketTooLarge {
                size: 105,
                max: 104
            })
        );
        assert!(head.is_empty());
        assert_eq!(
            big.encode_header_limited(Version::V3_1_1, 105, &mut head),
            Ok(5)
        );
    }
}
