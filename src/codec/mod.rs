//! The decoding and encoding entry points: a streaming [`Decoder`] over `BytesMut`, a slice
//! decoder that reports the bytes consumed, and an [`Encoder`] with a packet size limit.

pub(crate) mod header;
pub(crate) mod read;
#[cfg(feature = "tokio-util")]
pub(crate) mod tokio;
pub mod varint;
pub(crate) mod write;

use crate::buffer::Buffer;
use crate::error::{DecodeError, EncodeError};
use crate::packet::{Packet, Publish};
use crate::types::{PacketType, Side, Version};
use bytes::{Bytes, BytesMut};
use header::FixedHeader;

/// The largest packet MQTT can carry: a 5-byte fixed header and a remaining length of
/// 268,435,455 bytes.
pub const MAX_PACKET_SIZE: u32 = 1 + 4 + varint::MAX;

/// A decoded packet and the number of bytes it took, or `None` when the input does not yet
/// hold a whole packet.
pub type Decoded<B> = Option<(Packet<B>, usize)>;

/// Decodes one packet from the start of `src`, sharing `src`'s storage.
///
/// Returns `Ok(None)` when `src` does not yet hold a whole packet, otherwise the packet and the
/// number of bytes it took. Works for `&[u8]` (borrowed, allocation-free) and [`Bytes`]
/// (reference-counted); see also [`decode_slice`]. Packets larger than `max_packet_size` are
/// refused as soon as their fixed header is readable.
///
/// A CONNECT is framed and decoded by the version it announces, whatever `version` says (the
/// shortest-form rule for its remaining length applies only to a 5.0 CONNECT).
#[inline(always)]
pub fn decode<B: Buffer>(
    src: &B,
    version: Version,
    max_packet_size: u32,
) -> Result<Decoded<B>, DecodeError> {
    let Some(header) = FixedHeader::parse(src.as_ref(), version, max_packet_size)? else {
        return Ok(None);
    };
    let frame_len = header.frame_len();
    if src.as_ref().len() < frame_len {
        return Ok(None);
    }
    let packet = Packet::read(src, &header, version)?;
    Ok(Some((packet, frame_len)))
}

/// Decodes one packet from the start of a byte slice, borrowing from it: no allocation but the
/// box of a CONNECT or CONNACK and the reason code list of a SUBACK or UNSUBACK.
///
/// ```
/// use mqtt_wire::{decode_slice, Packet, Version};
///
/// let bytes = [0x30, 0x07, 0x00, 0x03, b'a', b'/', b'b', b'h', b'i'];
/// let (packet, used) = decode_slice(&bytes, Version::V3_1_1, u32::MAX)?.unwrap();
/// assert_eq!(used, bytes.len());
/// let Packet::Publish(publish) = packet else { panic!() };
/// assert_eq!(publish.topic, "a/b");
/// assert_eq!(publish.payload, b"hi");
/// # Ok::<(), mqtt_wire::DecodeError>(())
/// ```
#[inline(always)]
pub fn decode_slice(
    src: &[u8],
    version: Version,
    max_packet_size: u32,
) -> Result<Decoded<&[u8]>, DecodeError> {
    decode(&src, version, max_packet_size)
}

/// A streaming decoder: feed it the bytes read from the network, get whole packets back.
///
/// [`Decoder::decode`] has the shape of `tokio_util::codec::Decoder::decode`, so an adapter for
/// framed transports is a few lines and no dependency.
///
/// ```
/// use bytes::BytesMut;
/// use mqtt_wire::{Decoder, Packet, Version};
///
/// let mut decoder = Decoder::new(Version::V5).with_max_packet_size(64 * 1024);
/// let mut buf = BytesMut::from(&[0xC0u8][..]); // half a PINGREQ
/// assert!(decoder.decode(&mut buf)?.is_none()); // need more bytes; buf untouched
/// buf.extend_from_slice(&[0x00, 0xD0]); // the rest of it, and half a PINGRESP
/// assert_eq!(decoder.decode(&mut buf)?, Some(Packet::PingReq));
/// assert_eq!(&buf[..], &[0xD0]);
/// # Ok::<(), mqtt_wire::DecodeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoder {
    version: Version,
    max_packet_size: u32,
    from: Option<Side>,
    /// The version of the first CONNECT decoded, once the decoder has adopted it.
    connect_version: Option<Version>,
}

impl Decoder {
    /// A decoder for `version` accepting packets up to the protocol limit
    /// ([`MAX_PACKET_SIZE`], 256 MiB). Set a smaller limit with
    /// [`Decoder::with_max_packet_size`] or [`Decoder::set_max_packet_size`].
    ///
    /// The default accepts every packet the protocol allows, because a smaller one would refuse
    /// legal traffic: a 5.0 peer that was sent no Maximum Packet Size, and any 3.1.1 peer, may
    /// send packets up to the protocol limit (5.0 §3.1.2.11.4, §3.2.2.3.6). It also means one
    /// connection can make its caller buffer up to 256 MiB before a packet is complete.
    ///
    /// **A server should set its own limit**: on 5.0 the Maximum Packet Size it announces in
    /// CONNACK (a client exceeding it breaks [MQTT-3.2.2-15]; refuse with reason code `0x95`,
    /// which [`DecodeError::PacketTooLarge`] gives), on 3.1.1, which cannot announce one, the
    /// largest packet it is willing to hold per connection (for example 1 MiB, or less for
    /// constrained devices). Set it before the first packet: the CONNECT is held to it too. A
    /// client sets the Maximum Packet Size it sent in its CONNECT, if any.
    pub const fn new(version: Version) -> Decoder {
        Decoder {
            version,
            max_packet_size: MAX_PACKET_SIZE,
            from: None,
            connect_version: None,
        }
    }

    /// Also check the rules that depend on who sends: the packets come from `side`. A server
    /// decodes with `receiving_from(Side::Client)`, a client with `receiving_from(Side::Server)`.
    /// Refuses packets that side never sends (CONNACK from a client, ...), a Subscription
    /// Identifier in a client's PUBLISH ([MQTT-3.3.4-6]) and a Session Expiry Interval in a
    /// server's DISCONNECT ([MQTT-3.14.2-2]), all with [`DecodeError::reason_code`] `0x82`.
    pub const fn receiving_from(mut self, side: Side) -> Decoder {
        self.from = Some(side);
        self
    }

    /// Refuse packets larger than `max` bytes (whole packet, fixed header included). The limit is
    /// checked as soon as a fixed header is complete, so a peer announcing a huge packet never
    /// makes the decoder wait for, buffer or allocate more than `max` bytes.
    pub const fn with_max_packet_size(mut self, max: u32) -> Decoder {
        self.max_packet_size = max;
        self
    }

    /// The version packets are currently decoded with.
    pub const fn version(&self) -> Version {
        self.version
    }

    /// Decode the following packets with `version`.
    pub fn set_version(&mut self, version: Version) {
        self.version = version;
    }

    /// The configured maximum packet size.
    pub const fn max_packet_size(&self) -> u32 {
        self.max_packet_size
    }

    /// Refuse the following packets when larger than `max` bytes (see
    /// [`Decoder::with_max_packet_size`]); for a limit that changes on a live connection.
    pub fn set_max_packet_size(&mut self, max: u32) {
        self.max_packet_size = max;
    }

    /// Who the packets come from, when the decoder was told ([`Decoder::receiving_from`]).
    pub const fn sender(&self) -> Option<Side> {
        self.from
    }

    /// Check the following packets against the rules for packets sent by `side` (see
    /// [`Decoder::receiving_from`]), or, with `None`, against none of them.
    pub fn set_receiving_from(&mut self, side: Option<Side>) {
        self.from = side;
    }

    /// The protocol version announced by the first CONNECT this decoder decoded, which it has
    /// switched to; `None` until then (and always on a decoder receiving from the server).
    ///
    /// A server reads it after the first packet of a connection to learn the client's version
    /// (and set its [`Encoder`]'s to match). It never changes after it is set: a second CONNECT
    /// neither changes it nor the decoder's version.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use mqtt_wire::{Decoder, Side, Version};
    ///
    /// let mut decoder = Decoder::new(Version::V5).receiving_from(Side::Client);
    /// assert_eq!(decoder.connect_version(), None);
    /// // A 3.1.1 CONNECT: protocol "MQTT", level 4, clean session, keep alive 60, client id "c1".
    /// let mut buf = BytesMut::from(&b"\x10\x0e\x00\x04MQTT\x04\x02\x00\x3c\x00\x02c1"[..]);
    /// decoder.decode(&mut buf)?;
    /// assert_eq!(decoder.connect_version(), Some(Version::V3_1_1));
    /// assert_eq!(decoder.version(), Version::V3_1_1);
    /// # Ok::<(), mqtt_wire::DecodeError>(())
    /// ```
    pub const fn connect_version(&self) -> Option<Version> {
        self.connect_version
    }

    /// Takes one whole packet off the front of `src`.
    ///
    /// - `Ok(None)`: `src` holds no whole packet yet; it is left untouched.
    /// - `Ok(Some(packet))`: exactly that packet's bytes were removed from `src`; the packet
    ///   shares them (no copy).
    /// - `Err(_)` from the fixed header (reserved type or flags, bad remaining length, packet
    ///   too large): `src` is left untouched.
    /// - `Err(_)` from the body: the packet's bytes were removed. This includes a 5.0 CONNECT
    ///   whose remaining length is not in its shortest form, found once its version is read.
    ///
    /// Either error means the connection must be closed.
    ///
    /// A CONNECT is framed and parsed by the version it announces, whatever the decoder's
    /// version. After decoding the *first* CONNECT, the decoder switches to that version and
    /// [`Decoder::connect_version`] reports it, so a server can start every connection's decoder
    /// with any version. A later CONNECT is returned as decoded but changes nothing: a second
    /// CONNECT is a protocol error the session must act on ([MQTT-3.1.0-2]). A decoder receiving
    /// from the server never switches (a server sends no CONNECT; one is refused as
    /// [`DecodeError::WrongDirection`]).
    #[inline(always)]
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Packet<Bytes>>, DecodeError> {
        let Some(header) = FixedHeader::parse(src, self.version, self.max_packet_size)? else {
            return Ok(None);
        };
        let frame_len = header.frame_len();
        if src.len() < frame_len {
            return Ok(None);
        }
        if frame_len == 4 && header.header_len() == 2 {
            // The short form of the four PUBLISH acknowledgements (packet identifier only) is
            // the most frequent packet after PUBLISH: read in place, no frame is split off. (A
            // four-byte frame whose remaining length takes two bytes has a one-byte body: the
            // general path reports it.)
            let kind = header.packet_type();
            if let (true, Some(&[hi, lo])) = (is_publish_ack(kind), src.get(2..4)) {
                // The frame is consumed whether it decodes or not, as on the general path.
                bytes::Buf::advance(src, 4);
                let pid = crate::PacketId::new(u16::from_be_bytes([hi, lo]))
                    .ok_or(DecodeError::ZeroPacketId(kind))?;
                let ack = crate::packet::Ack {
                    pid,
                    reason_code: crate::ReasonCode::SUCCESS,
                    properties: Default::default(),
                };
                return Ok(Some(match kind {
                    PacketType::PubAck => Packet::PubAck(ack),
                    PacketType::PubRec => Packet::PubRec(ack),
                    PacketType::PubRel => Packet::PubRel(ack),
                    _ => Packet::PubComp(ack),
                }));
            }
        }
        let frame = src.split_to(frame_len).freeze();
        if header.packet_type() == PacketType::Publish {
            // The most frequent packet, built where it is returned: its one rule on the sender
            // is checked on its fields, and it never changes the decoder's version.
            let (start, flags) = (header.header_len(), header.flags());
            let publish = Publish::read_owned(frame, start, frame_len, flags, self.version)?;
            if let Some(from) = self.from
                && publish.breaks_sender_rule(from)
            {
                return Err(DecodeError::SubscriptionIdentifierFromClient); // [MQTT-3.3.4-6]
            }
            return Ok(Some(Packet::Publish(publish)));
        }
        let packet = Packet::read(&frame, &header, self.version)?;
        self.finish(&packet)?;
        Ok(Some(packet))
    }

    /// Takes a PUBLISH acknowledgement in its four-byte short form off the front of `src`
    /// without building a [`Packet`]: the most frequent packet a publisher receives, read in
    /// place (the bytes are skipped, no frame is split off).
    ///
    /// - `Ok(Some(ack))`: the first four bytes were that acknowledgement; they were removed.
    /// - `Ok(None)`: `src` does not start with a whole short acknowledgement (another packet, a
    ///   longer acknowledgement, wrong fixed-header flags, too few bytes, or a maximum packet
    ///   size below four bytes); `src` is untouched and [`Decoder::decode`] reads it (and
    ///   reports what is wrong with it).
    /// - `Err(DecodeError::ZeroPacketId)`: the packet identifier is 0 ([MQTT-2.3.1-1]); the four
    ///   bytes were removed, as `decode` removes them.
    ///
    /// The checks are `decode`'s: the fixed-header flags are compared whole (PUBREL's are
    /// `0010`, the others' `0000`, [MQTT-2.1.3-1] / [MQTT-2.2.2-1]), and the four packets go
    /// both ways, so no sender is refused.
    #[inline(always)]
    pub fn take_short_ack(&mut self, src: &mut BytesMut) -> Result<Option<ShortAck>, DecodeError> {
        let Some(&[first, 2, hi, lo]) = src.get(..4) else {
            return Ok(None);
        };
        let kind = match first {
            0x40 => PacketType::PubAck,
            0x50 => PacketType::PubRec,
            0x62 => PacketType::PubRel,
            0x70 => PacketType::PubComp,
            _ => return Ok(None),
        };
        if self.max_packet_size < 4 {
            return Ok(None);
        }
        if src.len() == 4 {
            // The usual case, the last packet of a read: emptied where it stands.
            src.clear();
        } else {
            bytes::Buf::advance(src, 4);
        }
        match crate::PacketId::new(u16::from_be_bytes([hi, lo])) {
            Some(pid) => Ok(Some(ShortAck { kind, pid })),
            None => Err(DecodeError::ZeroPacketId(kind)), // [MQTT-2.3.1-1]
        }
    }

    /// Decodes one packet from the start of `src` (a `&[u8]` or [`Bytes`]) with this decoder's
    /// settings, sharing `src`'s storage, and returns it with the number of bytes it took.
    /// `Ok(None)` while `src` holds no whole packet. Checks the sender and adopts the version of
    /// the first CONNECT as [`Decoder::decode`] does.
    #[inline(always)]
    pub fn decode_from<B: Buffer>(&mut self, src: &B) -> Result<Decoded<B>, DecodeError> {
        match decode(src, self.version, self.max_packet_size)? {
            Some((packet, used)) => {
                self.finish(&packet)?;
                Ok(Some((packet, used)))
            }
            None => Ok(None),
        }
    }

    /// Checks who sent `packet`, and adopts the version of the first CONNECT.
    #[inline(always)]
    fn finish<B: Buffer>(&mut self, packet: &Packet<B>) -> Result<(), DecodeError> {
        if let Some(from) = self.from {
            packet.check_sender(from, self.version)?;
        }
        // [MQTT-3.1.0-2]: a client sends CONNECT once per connection; a second one is the
        // session's to refuse, so the codec does not act on it. A server sends none.
        if let Packet::Connect(connect) = packet
            && self.connect_version.is_none()
            && self.from != Some(Side::Server)
        {
            self.connect_version = Some(connect.protocol);
            self.version = connect.protocol;
        }
        Ok(())
    }
}

/// A PUBLISH acknowledgement in its four-byte short form (remaining length 2: the packet
/// identifier only; on 5.0 the reason code is then Success and there are no properties), as
/// [`Decoder::take_short_ack`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShortAck {
    /// PUBACK, PUBREC, PUBREL or PUBCOMP.
    pub kind: PacketType,
    /// The packet identifier, never zero.
    pub pid: crate::PacketId,
}

impl ShortAck {
    /// The packet [`Decoder::decode`] returns for the same four bytes.
    pub fn into_packet(self) -> Packet<Bytes> {
        let ack = crate::packet::Ack {
            pid: self.pid,
            reason_code: crate::ReasonCode::SUCCESS,
            properties: Default::default(),
        };
        match self.kind {
            PacketType::PubAck => Packet::PubAck(ack),
            PacketType::PubRec => Packet::PubRec(ack),
            PacketType::PubRel => Packet::PubRel(ack),
            _ => Packet::PubComp(ack),
        }
    }
}

const fn is_publish_ack(kind: PacketType) -> bool {
    matches!(
        kind,
        PacketType::PubAck | PacketType::PubRec | PacketType::PubRel | PacketType::PubComp
    )
}

/// Encodes packets for one version, refusing any larger than a maximum packet size (for
/// example the peer's Maximum Packet Size property).
///
/// ```
/// use bytes::BytesMut;
/// use mqtt_wire::{Encoder, Packet, Version};
///
/// let encoder = Encoder::new(Version::V3_1_1);
/// let mut buf = BytesMut::new();
/// encoder.encode(&Packet::ping_req(), &mut buf)?;
/// assert_eq!(&buf[..], &[0xC0, 0x00]);
/// # Ok::<(), mqtt_wire::EncodeError>(())
/// ```
///
/// An encoder told its side ([`Encoder::sending_as`]) also refuses what the peer's sided
/// [`Decoder`] would refuse: packet types that side never sends, a Subscription Identifier in a
/// client's PUBLISH, a Session Expiry Interval in a server's DISCONNECT. Without a side these
/// packets encode, and a peer that checks the sender refuses them.
///
/// ```
/// use bytes::BytesMut;
/// use mqtt_wire::{EncodeError, Encoder, Packet, PacketType, Side, Version};
///
/// let server = Encoder::new(Version::V3_1_1).sending_as(Side::Server);
/// let mut buf = BytesMut::new();
/// // 3.1.1 has no DISCONNECT from the server (§3.14).
/// assert_eq!(
///     server.encode(&Packet::disconnect(), &mut buf),
///     Err(EncodeError::WrongDirection { packet: PacketType::Disconnect, from: Side::Server })
/// );
/// assert!(buf.is_empty());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoder {
    version: Version,
    max_packet_size: u32,
    side: Option<Side>,
}

impl Encoder {
    /// An encoder for `version` with the protocol's own size limit, checking no rule that
    /// depends on who sends (see [`Encoder::sending_as`]).
    pub const fn new(version: Version) -> Encoder {
        Encoder {
            version,
            max_packet_size: MAX_PACKET_SIZE,
            side: None,
        }
    }

    /// Refuse to encode packets larger than `max` bytes (fixed header included).
    pub const fn with_max_packet_size(mut self, max: u32) -> Encoder {
        self.max_packet_size = max;
        self
    }

    /// Also check the rules that depend on who sends: the packets are sent by `side`. A client
    /// encodes with `sending_as(Side::Client)`, a server with `sending_as(Side::Server)`; the
    /// mirror of [`Decoder::receiving_from`]. Refuses packets that side never sends
    /// ([`EncodeError::WrongDirection`]: CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ from a server;
    /// CONNACK, SUBACK, UNSUBACK, PINGRESP from a client; DISCONNECT from a 3.1.1 server), a
    /// Subscription Identifier in a client's PUBLISH ([MQTT-3.3.4-6]) and a Session Expiry
    /// Interval in a server's DISCONNECT ([MQTT-3.14.2-2]).
    pub const fn sending_as(mut self, side: Side) -> Encoder {
        self.side = Some(side);
        self
    }

    /// The version packets are encoded for.
    pub const fn version(&self) -> Version {
        self.version
    }

    /// Encode the following packets for `version` (a server sets it to the version of the
    /// client's CONNECT, [`Decoder::connect_version`]).
    pub fn set_version(&mut self, version: Version) {
        self.version = version;
    }

    /// The configured maximum packet size.
    pub const fn max_packet_size(&self) -> u32 {
        self.max_packet_size
    }

    /// Refuse the following packets when larger than `max` bytes (for example once the peer's
    /// Maximum Packet Size is known from its CONNECT or CONNACK).
    pub fn set_max_packet_size(&mut self, max: u32) {
        self.max_packet_size = max;
    }

    /// The side the packets are sent by, when the encoder was told ([`Encoder::sending_as`]).
    pub const fn side(&self) -> Option<Side> {
        self.side
    }

    /// Check the following packets against the rules for packets sent by `side` (see
    /// [`Encoder::sending_as`]), or, with `None`, against none of them.
    pub fn set_sending_as(&mut self, side: Option<Side>) {
        self.side = side;
    }

    /// Appends `packet` to `dst` and returns the number of bytes written. On error nothing is
    /// written.
    #[inline]
    pub fn encode<B: Buffer>(
        &self,
        packet: &Packet<B>,
        dst: &mut BytesMut,
    ) -> Result<usize, EncodeError> {
        if let Some(side) = self.side {
            packet.check_send(side, self.version)?;
        }
        packet.encode_limited(self.version, self.max_packet_size, dst)
    }

    /// Appends the PUBLISH made of `fields` (a message a session stores, encoded where it lies):
    /// what [`Encoder::encode`] does with the same `Packet::Publish`, and the same errors.
    #[inline(always)]
    pub(crate) fn encode_publish_fields<B: Buffer>(
        &self,
        fields: &crate::packet::PublishFields<'_, B>,
        dst: &mut BytesMut,
    ) -> Result<usize, EncodeError> {
        // PUBLISH goes both ways: its one rule on the sender ([MQTT-3.3.4-6]).
        if self.side == Some(Side::Client) && fields.carries_subscription_identifier() {
            return Err(EncodeError::SubscriptionIdentifierFromClient);
        }
        let (remaining, size) =
            crate::packet::frame_size(fields.body_len(self.version)?, self.max_packet_size)?;
        fields.write_packet(self.version, remaining, size, dst);
        Ok(size)
    }

    /// Appends a PUBLISH without its payload (see [`Publish::encode_header`]), refusing it when
    /// the whole packet, payload included, is larger than this encoder's maximum. The caller
    /// sends `publish.payload` after the returned bytes, without copying it.
    #[inline]
    pub fn encode_publish_header<B: Buffer>(
        &self,
        publish: &Publish<B>,
        dst: &mut BytesMut,
    ) -> Result<usize, EncodeError> {
        publish.encode_header_limited(self.version, self.max_packet_size, dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topic::TopicName;

    #[test]
    fn max_packet_size_is_a_five_byte_fixed_header_and_the_largest_remaining_length() {
        assert_eq!(MAX_PACKET_SIZE, 268_435_460);
        // A PUBLISH announcing the largest remaining length fits the default limit: the decoder
        // waits for its body instead of refusing it.
        let mut buf = BytesMut::from(&[0x30, 0xFF, 0xFF, 0xFF, 0x7F][..]);
        let mut decoder = Decoder::new(Version::V5);
        assert_eq!(decoder.max_packet_size(), MAX_PACKET_SIZE);
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert_eq!(buf.len(), 5);
        assert_eq!(Encoder::new(Version::V5).max_packet_size(), MAX_PACKET_SIZE);
    }

    #[test]
    fn encoder_writes_a_publish_header_within_its_limit() {
        let topic = TopicName::try_from("a/b").unwrap();
        let publish = Publish::new(topic, Bytes::from_static(b"hello"));
        // 30 0a | 00 03 'a' '/' 'b' | payload (5 bytes, not written).
        let encoder = Encoder::new(Version::V3_1_1).with_max_packet_size(12);
        assert_eq!(encoder.max_packet_size(), 12);
        let mut dst = BytesMut::new();
        assert_eq!(encoder.encode_publish_header(&publish, &mut dst), Ok(7));
        assert_eq!(&dst[..], b"\x30\x0a\x00\x03a/b");
        let smaller = encoder.with_max_packet_size(11);
        assert_eq!(
            smaller.encode_publish_header(&publish, &mut dst),
            Err(EncodeError::PacketTooLarge { size: 12, max: 11 })
        );
        assert_eq!(dst.len(), 7);
    }

    #[test]
    fn short_acks_are_taken_in_place_and_agree_with_decode() {
        for version in [Version::V3_1_1, Version::V5] {
            for (first, kind) in [
                (0x40, PacketType::PubAck),
                (0x50, PacketType::PubRec),
                (0x62, PacketType::PubRel),
                (0x70, PacketType::PubComp),
            ] {
                let bytes = [first, 0x02, 0x12, 0x34, 0xC0];
                let mut buf = BytesMut::from(&bytes[..]);
                let mut decoder = Decoder::new(version).receiving_from(Side::Server);
                let ack = decoder.take_short_ack(&mut buf).unwrap().unwrap();
                assert_eq!(ack.kind, kind);
                assert_eq!(ack.pid.get(), 0x1234);
                assert_eq!(&buf[..], &[0xC0]);
                let mut again = BytesMut::from(&bytes[..4]);
                assert_eq!(decoder.decode(&mut again), Ok(Some(ack.into_packet())));
                let mut alone = BytesMut::from(&bytes[..4]);
                assert_eq!(decoder.take_short_ack(&mut alone), Ok(Some(ack)));
                assert!(alone.is_empty());
            }
        }
    }

    #[test]
    fn short_ack_with_packet_id_zero_is_refused_mqtt_2_3_1_1() {
        let mut decoder = Decoder::new(Version::V3_1_1);
        let mut buf = BytesMut::from(&[0x40, 0x02, 0x00, 0x00, 0xC0][..]);
        assert_eq!(
            decoder.take_short_ack(&mut buf),
            Err(DecodeError::ZeroPacketId(PacketType::PubAck))
        );
        // Consumed, as `decode` consumes it.
        assert_eq!(&buf[..], &[0xC0]);
    }

    #[test]
    fn short_ack_with_wrong_flags_is_left_to_decode_mqtt_2_1_3_1() {
        // PUBREL without its 0010 flags, PUBACK with them: not taken, and `decode` refuses them.
        for (first, kind, flags) in [
            (0x60, PacketType::PubRel, 0),
            (0x42, PacketType::PubAck, 2),
            (0x51, PacketType::PubRec, 1),
            (0x78, PacketType::PubComp, 8),
        ] {
            let mut decoder = Decoder::new(Version::V5);
            let mut buf = BytesMut::from(&[first, 0x02, 0x00, 0x01][..]);
            assert_eq!(decoder.take_short_ack(&mut buf), Ok(None));
            assert_eq!(buf.len(), 4);
            assert_eq!(
                decoder.decode(&mut buf),
                Err(DecodeError::InvalidFlags {
                    packet: kind,
                    flags
                })
            );
        }
    }

    #[test]
    fn short_ack_is_not_taken_when_incomplete_longer_or_over_the_limit() {
        let mut decoder = Decoder::new(Version::V5);
        for bytes in [
            &[0x40, 0x02, 0x00][..],             // incomplete
            &[0x40, 0x03, 0x00, 0x01, 0x10][..], // with a reason code
            &[0x30, 0x02, 0x00, 0x00][..],       // not an acknowledgement
        ] {
            let mut buf = BytesMut::from(bytes);
            assert_eq!(decoder.take_short_ack(&mut buf), Ok(None));
            assert_eq!(&buf[..], bytes);
        }
        let mut small = Decoder::new(Version::V5).with_max_packet_size(3);
        let mut buf = BytesMut::from(&[0x40, 0x02, 0x00, 0x01][..]);
        assert_eq!(small.take_short_ack(&mut buf), Ok(None));
        assert!(matches!(
            small.decode(&mut buf),
            Err(DecodeError::PacketTooLarge { .. })
        ));
    }
}
