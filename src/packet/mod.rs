//! The control packets: one model for every protocol version.
//!
//! MQTT 5.0 is the superset. On 3.1.1 (and 3.1) property sets are empty and reason codes take
//! their success value; encoding anything 3.1.1 cannot carry is an [`EncodeError`], never a
//! silent drop.

mod ack;
mod auth;
mod build;
mod common;
mod connack;
mod connect;
mod disconnect;
mod filters;
mod publish;
mod suback;
mod subscribe;
mod unsuback;
mod unsubscribe;

pub use ack::Ack;
pub use auth::Auth;
pub use connack::ConnAck;
pub use connect::{Connect, Will};
pub use disconnect::Disconnect;
pub use filters::{
    SubscribeFilters, SubscribeFiltersIter, UnsubscribeFilters, UnsubscribeFiltersIter,
};
pub use publish::Publish;
pub(crate) use publish::PublishFields;
pub use suback::SubAck;
pub use subscribe::Subscribe;
pub use unsuback::UnsubAck;
pub use unsubscribe::Unsubscribe;

use crate::buffer::Buffer;
use crate::codec::header::FixedHeader;
use crate::codec::read::Reader;
use crate::codec::varint;
use crate::codec::write::{Counter, Sink, len64};
use crate::error::{DecodeError, EncodeError};
use crate::types::{PacketType, Side, Version};
use alloc::boxed::Box;
use bytes::{Bytes, BytesMut};

/// A rule about who sends a packet, broken (see [`Packet::sender_rule`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SenderRule {
    /// A packet type the side never sends.
    WrongDirection(PacketType),
    /// [MQTT-3.3.4-6]
    SubscriptionIdentifierFromClient,
    /// [MQTT-3.14.2-2]
    SessionExpiryFromServer,
}

/// An MQTT control packet, generic over the storage its fields share: [`Bytes`] (the default)
/// or `&[u8]`.
///
/// Packets made only of defaults and plain values have constructors that fix the storage to
/// `Bytes`, since a default type parameter does not drive inference (`Packet::PingReq` alone
/// would need `Packet::<Bytes>::PingReq`): [`Packet::ping_req`], [`Packet::ping_resp`],
/// [`Packet::disconnect`], [`Packet::disconnect_with`], [`Packet::conn_ack`],
/// [`Packet::pub_ack`], [`Packet::pub_rec`], [`Packet::pub_rel`], [`Packet::pub_comp`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Packet<B: Buffer = Bytes> {
    /// CONNECT: client asks to connect. Boxed: it is large and comes once per connection, and
    /// keeping it inline would make every packet as large as it (moves on the hot path).
    Connect(Box<Connect<B>>),
    /// CONNACK: server answers CONNECT. Boxed, like CONNECT.
    ConnAck(Box<ConnAck<B>>),
    /// PUBLISH: an application message.
    Publish(Publish<B>),
    /// PUBACK: QoS 1 acknowledgement.
    PubAck(Ack<B>),
    /// PUBREC: QoS 2, part 1.
    PubRec(Ack<B>),
    /// PUBREL: QoS 2, part 2.
    PubRel(Ack<B>),
    /// PUBCOMP: QoS 2, part 3.
    PubComp(Ack<B>),
    /// SUBSCRIBE: client subscribes to topic filters.
    Subscribe(Subscribe<B>),
    /// SUBACK: server answers SUBSCRIBE.
    SubAck(SubAck<B>),
    /// UNSUBSCRIBE: client removes subscriptions.
    Unsubscribe(Unsubscribe<B>),
    /// UNSUBACK: server answers UNSUBSCRIBE.
    UnsubAck(UnsubAck<B>),
    /// PINGREQ: keep-alive request.
    PingReq,
    /// PINGRESP: keep-alive answer.
    PingResp,
    /// DISCONNECT: orderly end of the connection.
    Disconnect(Disconnect<B>),
    /// AUTH: 5.0 enhanced authentication exchange.
    Auth(Auth<B>),
}

impl<B: Buffer> Packet<B> {
    /// The packet's type.
    pub fn packet_type(&self) -> PacketType {
        match self {
            Packet::Connect(_) => PacketType::Connect,
            Packet::ConnAck(_) => PacketType::ConnAck,
            Packet::Publish(_) => PacketType::Publish,
            Packet::PubAck(_) => PacketType::PubAck,
            Packet::PubRec(_) => PacketType::PubRec,
            Packet::PubRel(_) => PacketType::PubRel,
            Packet::PubComp(_) => PacketType::PubComp,
            Packet::Subscribe(_) => PacketType::Subscribe,
            Packet::SubAck(_) => PacketType::SubAck,
            Packet::Unsubscribe(_) => PacketType::Unsubscribe,
            Packet::UnsubAck(_) => PacketType::UnsubAck,
            Packet::PingReq => PacketType::PingReq,
            Packet::PingResp => PacketType::PingResp,
            Packet::Disconnect(_) => PacketType::Disconnect,
            Packet::Auth(_) => PacketType::Auth,
        }
    }

    /// Parses the body of the frame `src[..header.frame_len()]` whose fixed header is `header`.
    #[inline(always)]
    pub(crate) fn read(
        src: &B,
        header: &FixedHeader,
        version: Version,
    ) -> Result<Packet<B>, DecodeError> {
        // The most frequent packet is read straight off the slice, without a cursor.
        if header.packet_type() == PacketType::Publish {
            let (start, end) = (header.header_len(), header.frame_len());
            return Publish::read(src, start, end, header.flags(), version).map(Packet::Publish);
        }
        let r = &mut Reader::new(
            src,
            header.header_len(),
            header.frame_len(),
            header.packet_type(),
        );
        Packet::read_body(r, header, version)
    }

    #[inline]
    fn read_body(
        r: &mut Reader<'_, B>,
        header: &FixedHeader,
        version: Version,
    ) -> Result<Packet<B>, DecodeError> {
        let kind = header.packet_type();
        let packet = match kind {
            // The payload runs to the end of the packet, so nothing can be left over; returning
            // at once lets the packet be built in the caller's slot instead of moved there.
            PacketType::Publish => {
                let (start, end) = (r.position(), r.end());
                return Publish::read(r.frame(), start, end, header.flags(), version)
                    .map(Packet::Publish);
            }
            PacketType::PubAck => Packet::PubAck(Ack::read(r, version)?),
            PacketType::PubRec => Packet::PubRec(Ack::read(r, version)?),
            PacketType::PubRel => Packet::PubRel(Ack::read(r, version)?),
            PacketType::PubComp => Packet::PubComp(Ack::read(r, version)?),
            PacketType::Connect => {
                Packet::Connect(Box::new(Connect::read(r, header.is_minimal())?))
            }
            PacketType::ConnAck => Packet::ConnAck(Box::new(ConnAck::read(r, version)?)),
            PacketType::Subscribe => Packet::Subscribe(Subscribe::read(r, version)?),
            PacketType::SubAck => Packet::SubAck(SubAck::read(r, version)?),
            PacketType::Unsubscribe => Packet::Unsubscribe(Unsubscribe::read(r, version)?),
            PacketType::UnsubAck => Packet::UnsubAck(UnsubAck::read(r, version)?),
            PacketType::PingReq => Packet::PingReq,
            PacketType::PingResp => Packet::PingResp,
            PacketType::Disconnect => Packet::Disconnect(Disconnect::read(r, version)?),
            PacketType::Auth => Packet::Auth(Auth::read(r, version)?),
        };
        // PINGREQ, PINGRESP (§3.12, §3.13) and 3.1.1 DISCONNECT (§3.14) have no body; every
        // other packet must end exactly at its remaining length.
        r.finish()?;
        Ok(packet)
    }

    /// The rule that depends on who sends the packet which `from` sending it would break: the
    /// packet types each side sends (§2.1.2 Table 2-1 5.0 / §2.2.1 3.1.1; DISCONNECT only from
    /// the client in 3.1.1, §3.14), no Subscription Identifier in a client's PUBLISH
    /// ([MQTT-3.3.4-6]), no Session Expiry Interval in a server's DISCONNECT ([MQTT-3.14.2-2]).
    /// Shared by the sided decoder and the sided encoder, so that they agree.
    pub(crate) fn sender_rule(&self, from: Side, version: Version) -> Option<SenderRule> {
        use PacketType as T;
        let kind = self.packet_type();
        let allowed = match kind {
            T::Connect | T::Subscribe | T::Unsubscribe | T::PingReq => from == Side::Client,
            T::ConnAck | T::SubAck | T::UnsubAck | T::PingResp => from == Side::Server,
            T::Disconnect => from == Side::Client || version.is_v5(),
            // PUBLISH, its acknowledgements and AUTH go both ways.
            T::Publish | T::PubAck | T::PubRec | T::PubRel | T::PubComp | T::Auth => true,
        };
        if !allowed {
            return Some(SenderRule::WrongDirection(kind));
        }
        match (self, from) {
            // [MQTT-3.3.4-6]
            (Packet::Publish(p), from) if p.breaks_sender_rule(from) => {
                Some(SenderRule::SubscriptionIdentifierFromClient)
            }
            // [MQTT-3.14.2-2]
            (Packet::Disconnect(d), Side::Server)
                if d.properties.session_expiry_interval().is_some() =>
            {
                Some(SenderRule::SessionExpiryFromServer)
            }
            _ => None,
        }
    }

    /// Checks the rules that depend on who sent the packet (see [`Packet::sender_rule`]).
    pub(crate) fn check_sender(&self, from: Side, version: Version) -> Result<(), DecodeError> {
        match self.sender_rule(from, version) {
            None => Ok(()),
            Some(SenderRule::WrongDirection(packet)) => {
                Err(DecodeError::WrongDirection { packet, from })
            }
            Some(SenderRule::SubscriptionIdentifierFromClient) => {
                Err(DecodeError::SubscriptionIdentifierFromClient)
            }
            Some(SenderRule::SessionExpiryFromServer) => Err(DecodeError::SessionExpiryFromServer),
        }
    }

    /// Refuses what `from` never sends (see [`Packet::sender_rule`]), for a sided encoder.
    pub(crate) fn check_send(&self, from: Side, version: Version) -> Result<(), EncodeError> {
        match self.sender_rule(from, version) {
            None => Ok(()),
            Some(SenderRule::WrongDirection(packet)) => {
                Err(EncodeError::WrongDirection { packet, from })
            }
            Some(SenderRule::SubscriptionIdentifierFromClient) => {
                Err(EncodeError::SubscriptionIdentifierFromClient)
            }
            Some(SenderRule::SessionExpiryFromServer) => Err(EncodeError::SessionExpiryFromServer),
        }
    }

    /// The first byte of the fixed header of every packet but PUBLISH, whose flags vary (it
    /// writes its own, [`Publish::write_packet`]).
    fn first_byte(&self) -> u8 {
        let kind = self.packet_type();
        (kind as u8) << 4 | kind.fixed_flags()
    }

    /// Writes (or, with the counting sink, checks and measures) the body.
    #[inline]
    fn write_body<S: Sink>(&self, version: Version, s: &mut S) -> Result<(), EncodeError> {
        match self {
            Packet::Connect(p) => p.write(version, s),
            Packet::ConnAck(p) => p.write(version, s),
            Packet::Publish(p) => p.write(version, s),
            Packet::PubAck(p) => p.write(PacketType::PubAck, version, s),
            Packet::PubRec(p) => p.write(PacketType::PubRec, version, s),
            Packet::PubRel(p) => p.write(PacketType::PubRel, version, s),
            Packet::PubComp(p) => p.write(PacketType::PubComp, version, s),
            Packet::Subscribe(p) => p.write(version, s),
            Packet::SubAck(p) => p.write(version, s),
            Packet::Unsubscribe(p) => p.write(version, s),
            Packet::UnsubAck(p) => p.write(version, s),
            Packet::PingReq | Packet::PingResp => Ok(()),
            Packet::Disconnect(p) => p.write(version, s),
            Packet::Auth(p) => p.write(version, s),
        }
    }

    /// Validates the packet for `version` and returns the remaining length and the whole size.
    #[inline]
    fn measure(&self, version: Version, max: u32) -> Result<(u32, usize), EncodeError> {
        let body = match self {
            // The most frequent packet: measured by arithmetic, not by a counting pass.
            Packet::Publish(p) => p.body_len(version)?,
            _ => {
                let mut counter = Counter::default();
                self.write_body(version, &mut counter)?;
                counter.0
            }
        };
        frame_size(body, max)
    }

    /// The number of bytes [`Packet::encode`] writes for `version`, or the error it would give.
    pub fn encoded_len(&self, version: Version) -> Result<usize, EncodeError> {
        self.measure(version, crate::MAX_PACKET_SIZE)
            .map(|(_, size)| size)
    }

    /// Appends the packet, encoded for `version`, to `dst`; returns the bytes written.
    ///
    /// The packet is validated and measured first, `dst` grows once, then the bytes are written.
    /// On error nothing is written.
    ///
    /// ```
    /// use bytes::{Bytes, BytesMut};
    /// use mqtt_wire::{Packet, PacketId, Publish, QosPid, TopicName, Version};
    ///
    /// let publish = Publish {
    ///     qos: QosPid::AtLeastOnce(PacketId::new(7).unwrap()),
    ///     ..Publish::new(TopicName::from_static("a/b")?, Bytes::from_static(b"hi"))
    /// };
    /// let mut buf = BytesMut::new();
    /// Packet::Publish(publish).encode(Version::V3_1_1, &mut buf)?;
    /// assert_eq!(&buf[..], b"\x32\x09\x00\x03a/b\x00\x07hi");
    /// # Ok::<(), mqtt_wire::EncodeError>(())
    /// ```
    #[inline]
    pub fn encode(&self, version: Version, dst: &mut BytesMut) -> Result<usize, EncodeError> {
        self.encode_limited(version, crate::MAX_PACKET_SIZE, dst)
    }

    #[inline]
    pub(crate) fn encode_limited(
        &self,
        version: Version,
        max: u32,
        dst: &mut BytesMut,
    ) -> Result<usize, EncodeError> {
        if let Packet::Publish(p) = self {
            // Measured by arithmetic, checked in full, then written in one pass where nothing
            // can fail.
            let (remaining, size) = frame_size(p.body_len(version)?, max)?;
            p.write_packet(version, remaining, size, dst);
            return Ok(size);
        }
        self.encode_other(version, max, dst)
    }

    /// [`Packet::encode_limited`] for every packet but PUBLISH: a counting pass that checks and
    /// measures, then the writing pass, undone if it fails. Kept out of line so that the
    /// PUBLISH path is compiled on its own.
    #[inline(never)]
    fn encode_other(
        &self,
        version: Version,
        max: u32,
        dst: &mut BytesMut,
    ) -> Result<usize, EncodeError> {
        let (remaining, size) = self.measure(version, max)?;
        let start = dst.len();
        dst.reserve(size);
        Sink::put_u8(dst, self.first_byte());
        let written = dst
            .put_varint(remaining)
            .and_then(|()| self.write_body(version, dst));
        if let Err(e) = written {
            dst.truncate(start);
            return Err(e);
        }
        Ok(size)
    }
}

/// The remaining length and whole size of a packet whose body is `body` bytes, refusing a body
/// beyond the Remaining Length's range or a packet larger than `max`.
#[inline]
pub(crate) fn frame_size(body: u64, max: u32) -> Result<(u32, usize), EncodeError> {
    let too_large = |size: u64, max: u64| EncodeError::PacketTooLarge { size, max };
    let remaining = u32::try_from(body)
        .ok()
        .filter(|&len| len <= varint::MAX)
        .ok_or(too_large(
            body.saturating_add(5),
            u64::from(crate::MAX_PACKET_SIZE),
        ))?;
    // At most 5 + 268,435,455: no overflow in `u64`; the buffer size must also fit `usize`.
    let size = 1 + len64(varint::encoded_len(remaining)) + u64::from(remaining);
    let limit = u64::from(max).min(len64(usize::MAX));
    let size = usize::try_from(size)
        .ok()
        .filter(|_| size <= limit)
        .ok_or(too_large(size, limit))?;
    Ok((remaining, size))
}

impl Packet<&[u8]> {
    /// An owned copy of a borrowed packet (from [`decode_slice`](crate::decode_slice)), in one
    /// allocation: the packet is encoded for `version` (a CONNECT for its own
    /// [`protocol`](Connect::protocol)) into one buffer, and decoded from it again, so every field
    /// of the copy shares that buffer.
    ///
    /// A packet decoded for `version` always converts, including the one packet a decoder
    /// accepts and an encoder refuses: a 3.1.1 CONNECT with an empty client identifier and Clean
    /// Session 0, which a server must answer with CONNACK 0x02 ([MQTT-3.1.3-8]). The error is for
    /// a hand-built packet that cannot be encoded.
    ///
    /// ```
    /// use mqtt_wire::{decode_slice, Packet, Version};
    ///
    /// let wire = [0x30, 0x07, 0x00, 0x03, b'a', b'/', b'b', b'h', b'i'];
    /// let (borrowed, _) = decode_slice(&wire, Version::V3_1_1, u32::MAX)?.unwrap();
    /// let owned: Packet = borrowed.to_owned_packet(Version::V3_1_1)?;
    /// drop(wire);
    /// let Packet::Publish(publish) = owned else { panic!() };
    /// assert_eq!(publish.topic, "a/b");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_owned_packet(&self, version: Version) -> Result<Packet<Bytes>, EncodeError> {
        if let Packet::Connect(c) = self {
            // [MQTT-3.1.3-7] is the encoder's rule: copy with Clean Session set, then clear it.
            if !c.protocol.is_v5() && c.client_id.is_empty() && !c.clean_start {
                let clean = Packet::Connect(Box::new(Connect {
                    clean_start: true,
                    ..(**c).clone()
                }));
                let mut owned = clean.to_owned_packet(c.protocol)?;
                if let Packet::Connect(copy) = &mut owned {
                    copy.clean_start = false;
                }
                return Ok(owned);
            }
        }
        let version = match self {
            Packet::Connect(c) => c.protocol,
            _ => version,
        };
        let size = self.encoded_len(version)?;
        let mut buf = BytesMut::with_capacity(size);
        self.encode(version, &mut buf)?;
        let frame = buf.freeze();
        match crate::codec::decode(&frame, version, u32::MAX) {
            Ok(Some((packet, _))) => Ok(packet),
            Ok(None) => Err(EncodeError::NotDecodable(DecodeError::UnexpectedEnd(
                self.packet_type(),
            ))),
            Err(e) => Err(EncodeError::NotDecodable(e)),
        }
    }
}

macro_rules! from_packet {
    ($($ty:ident => $variant:ident ($wrap:expr)),* $(,)?) => {
        $(
            impl<B: Buffer> From<$ty<B>> for Packet<B> {
                fn from(p: $ty<B>) -> Packet<B> {
                    Packet::$variant($wrap(p))
                }
            }
        )*
    };
}

from_packet! {
    Connect => Connect(Box::new),
    ConnAck => ConnAck(Box::new),
    Publish => Publish(core::convert::identity),
    Subscribe => Subscribe(core::convert::identity),
    SubAck => SubAck(core::convert::identity),
    Unsubscribe => Unsubscribe(core::convert::identity),
    UnsubAck => UnsubAck(core::convert::identity),
    Disconnect => Disconnect(core::convert::identity),
    Auth => Auth(core::convert::identity),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::decode_slice;

    /// A 3.1.1 server must be able to keep this CONNECT to answer it with CONNACK 0x02
    /// ([MQTT-3.1.3-8]), though an encoder refuses to write it ([MQTT-3.1.3-7]).
    #[test]
    fn to_owned_packet_keeps_an_empty_client_id_without_clean_session_mqtt_3_1_3_8() {
        let wire = b"\x10\x0c\x00\x04MQTT\x04\x00\x00\x3c\x00\x00";
        for version in [Version::V3_1_1, Version::V5] {
            let (borrowed, _) = decode_slice(wire, version, u32::MAX).unwrap().unwrap();
            let owned = borrowed.to_owned_packet(version).unwrap();
            let Packet::Connect(c) = &owned else {
                panic!("not a CONNECT")
            };
            assert!(!c.clean_start);
            assert!(c.client_id.is_empty());
            assert_eq!(c.protocol, Version::V3_1_1);
        }
    }

    /// The will topic is a `TopicName`; only its emptiness is checked at encode.
    #[test]
    fn encoder_refuses_an_empty_will_topic_mqtt_4_7_3_1() {
        use crate::topic::TopicName;
        let will = |topic| Will::new(topic, Bytes::from_static(b"bye"));
        for version in [Version::V3_1_1, Version::V5] {
            let connect = |topic| {
                Packet::from(Connect {
                    will: Some(will(topic)),
                    ..Connect::new(version, bytestring::ByteString::from_static("c"), 0)
                })
            };
            let mut buf = BytesMut::new();
            let empty = connect(TopicName::empty_for_alias());
            assert_eq!(
                empty.encode(version, &mut buf),
                Err(EncodeError::EmptyTopicName)
            );
            assert!(buf.is_empty());
            let named = connect(TopicName::from_static("status").unwrap());
            assert!(named.encode(version, &mut buf).is_ok());
            let (decoded, _) = decode_slice(&buf, version, u32::MAX).unwrap().unwrap();
            let Packet::Connect(c) = decoded else {
                panic!("not a CONNECT")
            };
            let w = c.will.as_ref().unwrap();
            assert_eq!(w.topic, "status");
            assert_eq!((w.qos, w.retain), (crate::types::QoS::AtMostOnce, false));
            assert!(w.properties.is_empty());
        }
    }

    #[test]
    fn to_owned_packet_copies_every_field() {
        let wire = b"\x82\x0e\x00\x07\x00\x03a/+\x01\x00\x03b/#\x02";
        let (borrowed, _) = decode_slice(wire, Version::V3_1_1, u32::MAX)
            .unwrap()
            .unwrap();
        let owned = borrowed.to_owned_packet(Version::V3_1_1).unwrap();
        let (again, _) = crate::codec::decode(&Bytes::from_static(wire), Version::V3_1_1, u32::MAX)
            .unwrap()
            .unwrap();
        assert_eq!(owned, again);
        let mut buf = BytesMut::new();
        owned.encode(Version::V3_1_1, &mut buf).unwrap();
        assert_eq!(&buf[..], wire);
        // A hand-built packet the encoder refuses is refused here too.
        let bad: Packet<&[u8]> = Packet::Auth(Auth::default());
        assert!(matches!(
            bad.to_owned_packet(Version::V3_1_1),
            Err(EncodeError::NotInVersion { .. })
        ));
    }

    /// Packets move by value through the decode path; every byte of their size is copied at each
    /// move, and above 128 bytes the copies become calls to `memcpy`. Property sets are kept as
    /// their encoded block so that the size does not depend on how many properties a packet type
    /// allows.
    /// The bounds are this layout on 64-bit targets; smaller is fine.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn packets_stay_small() {
        use core::mem::size_of;
        assert!(size_of::<Publish<Bytes>>() <= 104);
        assert!(size_of::<Packet<Bytes>>() <= 104);
        assert!(size_of::<Publish<&[u8]>>() <= 56);
        assert!(size_of::<Packet<&[u8]>>() <= 56);
    }

    /// Body lengths are `u64` sums: any body beyond the Remaining Length's range is refused,
    /// however large, and the whole size is checked against the limit.
    #[test]
    fn frame_size_refuses_any_body_beyond_the_remaining_length() {
        let protocol = u64::from(crate::MAX_PACKET_SIZE);
        assert_eq!(
            frame_size(u64::MAX, u32::MAX),
            Err(EncodeError::PacketTooLarge {
                size: u64::MAX,
                max: protocol
            })
        );
        let over = u64::from(varint::MAX) + 1;
        assert_eq!(
            frame_size(over, u32::MAX),
            Err(EncodeError::PacketTooLarge {
                size: over + 5,
                max: protocol
            })
        );
        let most = usize::try_from(varint::MAX).unwrap() + 5;
        assert_eq!(
            frame_size(u64::from(varint::MAX), u32::MAX),
            Ok((varint::MAX, most))
        );
        assert_eq!(frame_size(127, 129), Ok((127, 129)));
        assert_eq!(
            frame_size(127, 128),
            Err(EncodeError::PacketTooLarge {
                size: 129,
                max: 128
            })
        );
    }

    /// A CONNECT is copied in the version it announces, whatever version the caller names
    /// (a server decodes the first CONNECT before it knows the version).
    #[test]
    fn to_owned_packet_copies_a_connect_in_its_own_version() {
        let connect: Connect = Connect::new(Version::V5, "c".into(), 30);
        let mut wire = BytesMut::new();
        Packet::from(connect)
            .encode(Version::V5, &mut wire)
            .unwrap();
        let (borrowed, _) = decode_slice(&wire, Version::V3_1_1, u32::MAX)
            .unwrap()
            .unwrap();
        let owned = borrowed.to_owned_packet(Version::V3_1_1).unwrap();
        let Packet::Connect(c) = owned else {
            panic!("not a CONNECT")
        };
        assert_eq!(c.protocol, Version::V5);
        assert_eq!(&c.client_id[..], "c");
    }
}
