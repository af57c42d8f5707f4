//! The `encode` target: packets with arbitrary field values, valid or not, for any version.
//!
//! `crate::arbitrary` generates only packets the encoder must accept, so it cannot show an
//! encoder that accepts too much. Here every field takes any value the types allow: any reason
//! code byte, strings with `+`, `#`, U+0000, `$share/` or nothing at all, Session Present with
//! any code, any CONNECT flag combination, any property values the builders accept, the empty
//! topic name, filter lists as a 3.1.1 or a 5.0 decoder reads them (`$share/` as an ordinary
//! level on 3.1.1), empty code lists, 5.0 options and properties on 3.1.1, AUTH on 3.1.1, and a
//! CONNECT whose protocol is not the version encoded for. The property is: what the encoder accepts,
//! the decoder accepts and decodes to an equal packet; what it refuses, it does not write.

use crate::codec::{MAX_PACKET_SIZE, decode as decode_one, varint};
use crate::error::EncodeError;
use crate::packet::{
    Ack, Auth, ConnAck, Connect, Disconnect, Packet, Publish, SubAck, Subscribe, UnsubAck,
    Unsubscribe, Will,
};
use crate::packet::{SubscribeFilters, UnsubscribeFilters};
use crate::properties::{
    AckProperties, AuthProperties, ConnAckProperties, ConnectProperties, DisconnectProperties,
    PublishProperties, SubscribeProperties, UnsubscribeProperties, WillProperties,
};
use crate::reason::ReasonCode;
use crate::topic::{TopicFilter, TopicName};
use crate::types::{
    PacketId, PacketType, QoS, QosPid, RetainHandling, SubscriptionOptions, Version,
};
use ::arbitrary::{Arbitrary, Result, Unstructured};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};
use bytestring::ByteString;

/// A version and a packet with arbitrary fields, which may or may not encode for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPacket {
    /// The version the packet is encoded for.
    pub version: Version,
    /// The packet.
    pub packet: Packet<Bytes>,
}

impl<'a> Arbitrary<'a> for RawPacket {
    /// Byte 0 picks the version (modulo 3: 3.1, 3.1.1, 5.0), byte 1 the packet type minus one
    /// (modulo 15, AUTH included on every version); the fields follow.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let version = version(u)?;
        let packet = match u.arbitrary::<u8>()? % 15 {
            0 => Packet::Connect(Box::new(connect(u, version)?)),
            1 => Packet::ConnAck(Box::new(connack(u)?)),
            2 => Packet::Publish(publish(u)?),
            3 => Packet::PubAck(ack(u)?),
            4 => Packet::PubRec(ack(u)?),
            5 => Packet::PubRel(ack(u)?),
            6 => Packet::PubComp(ack(u)?),
            7 => Packet::Subscribe(subscribe(u)?),
            8 => Packet::SubAck(suback(u)?),
            9 => Packet::Unsubscribe(unsubscribe(u)?),
            10 => Packet::UnsubAck(unsuback(u)?),
            11 => Packet::PingReq,
            12 => Packet::PingResp,
            13 => Packet::Disconnect(Disconnect {
                reason_code: reason_code(u)?,
                properties: disconnect_properties(u)?,
            }),
            _ => Packet::Auth(Auth {
                reason_code: reason_code(u)?,
                properties: auth_properties(u)?,
            }),
        };
        Ok(RawPacket { version, packet })
    }
}

/// What one input of the `encode` target did: the packet's type and version, and what
/// encoding answered. `None` when the input makes no packet.
pub type EncodeOutcome = Option<(
    PacketType,
    Version,
    core::result::Result<usize, EncodeError>,
)>;

/// `encode` target: a [`RawPacket`] from `data`. If the encoder accepts it, `encoded_len` agrees,
/// the bytes follow what the buffer held, and the decoder (owned and borrowed, not told who
/// sends) accepts them and gives an equal packet. If the encoder refuses it, `encoded_len`
/// refuses it with the same error and the buffer is unchanged.
pub fn encode(data: &[u8]) {
    let _ = encode_outcome(data);
}

/// The body of [`encode`], returning what happened (for tests that check the inputs reach both
/// answers).
pub fn encode_outcome(data: &[u8]) -> EncodeOutcome {
    let mut u = Unstructured::new(data);
    let RawPacket { version, packet } = RawPacket::arbitrary(&mut u).ok()?;
    let result = check_encode(&packet, version);
    Some((packet.packet_type(), version, result))
}

/// What the buffer holds before encoding: an encode appends after it, a refusal leaves it.
const BEFORE: &[u8] = b"\x00\xFFbefore";

fn check_encode(
    packet: &Packet<Bytes>,
    version: Version,
) -> core::result::Result<usize, EncodeError> {
    let mut dst = BytesMut::from(BEFORE);
    let result = packet.encode(version, &mut dst);
    assert_eq!(
        packet.encoded_len(version),
        result,
        "encoded_len disagrees with encode for {version}: {packet:?}"
    );
    let n = match result {
        Ok(n) => n,
        Err(e) => {
            assert_eq!(&dst[..], BEFORE, "refused ({e}) but wrote: {packet:?}");
            return Err(e);
        }
    };
    assert_eq!(
        dst.get(..BEFORE.len()),
        Some(BEFORE),
        "encode overwrote the buffer"
    );
    let bytes = dst.split_off(BEFORE.len()).freeze();
    assert_eq!(bytes.len(), n, "encode reported a wrong length");
    match decode_one(&bytes, version, MAX_PACKET_SIZE) {
        Ok(Some((decoded, used))) => {
            assert_eq!(used, n, "decode took another length of {bytes:02x?}");
            assert_eq!(
                &decoded, packet,
                "encoded for {version} as {bytes:02x?}, decoded to another packet"
            );
        }
        other => panic!(
            "encoder accepted {packet:?} for {version} as {bytes:02x?}, the decoder answers {other:?}"
        ),
    }
    super::check_borrowed_reencodes(&bytes, version);
    Ok(n)
}

// ---- scalars ----

fn version(u: &mut Unstructured<'_>) -> Result<Version> {
    Ok(match u.arbitrary::<u8>()? % 3 {
        0 => Version::V3_1,
        1 => Version::V3_1_1,
        _ => Version::V5,
    })
}

fn qos(u: &mut Unstructured<'_>) -> Result<QoS> {
    Ok(match u.arbitrary::<u8>()? % 3 {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    })
}

fn packet_id(u: &mut Unstructured<'_>) -> Result<PacketId> {
    Ok(PacketId::new(u.arbitrary::<u16>()?).unwrap_or(PacketId::from(core::num::NonZeroU16::MIN)))
}

/// Codes every packet type knows, and 0x04, 0x10, 0x11, 0x18, 0x19, 0x92, 0xA2 that only some do.
const CODES: [u8; 16] = [
    0x00, 0x01, 0x02, 0x04, 0x05, 0x10, 0x11, 0x18, 0x19, 0x80, 0x83, 0x87, 0x88, 0x8F, 0x92, 0xA2,
];

/// Any byte: often 0x00 (the only code 3.1.1 acks carry), often one of [`CODES`].
fn reason_code(u: &mut Unstructured<'_>) -> Result<ReasonCode> {
    let byte = u.arbitrary::<u8>()?;
    Ok(ReasonCode(match u.arbitrary::<u8>()? % 8 {
        0..=2 => 0x00,
        3..=5 => CODES[usize::from(byte) % CODES.len()],
        _ => byte,
    }))
}

fn reason_codes(u: &mut Unstructured<'_>) -> Result<Vec<ReasonCode>> {
    let n = u.int_in_range(0..=4)?;
    (0..n).map(|_| reason_code(u)).collect()
}

/// Any value, often a boundary: 0, 1, the largest Variable Byte Integer and one above it,
/// `u32::MAX`.
fn int(u: &mut Unstructured<'_>) -> Result<u32> {
    Ok(match u.arbitrary::<u8>()? % 6 {
        0 => 0,
        1 => 1,
        2 => varint::MAX,
        3 => varint::MAX + 1,
        4 => u32::MAX,
        _ => u.arbitrary()?,
    })
}

fn int16(u: &mut Unstructured<'_>) -> Result<u16> {
    Ok(match u.arbitrary::<u8>()? % 4 {
        0 => 0,
        1 => 1,
        2 => u16::MAX,
        _ => u.arbitrary()?,
    })
}

fn opt<'a, T>(
    u: &mut Unstructured<'a>,
    f: impl FnOnce(&mut Unstructured<'a>) -> Result<T>,
) -> Result<Option<T>> {
    if u.arbitrary::<bool>()? {
        f(u).map(Some)
    } else {
        Ok(None)
    }
}

// ---- strings and binary ----

/// Pieces strings are made of: topic and filter syntax, U+0000, a shared subscription prefix,
/// multi-byte characters.
const PIECES: [&str; 16] = [
    "a", "b/c", "/", "+", "#", "\0", "$share/", "g/", "$share", "$SYS/", "é", "\u{FEFF}", " ",
    "+/", "/#", "a/+/b",
];

/// Any UTF-8 string: the input's own text, pieces of [`PIECES`], empty, or (rarely) 65,535 or
/// 65,536 bytes long.
fn string(u: &mut Unstructured<'_>) -> Result<ByteString> {
    let s = match u.arbitrary::<u8>()? % 32 {
        0..=11 => String::from(<&str>::arbitrary(u)?),
        12..=25 => {
            let n = u.int_in_range(1..=4)?;
            let mut s = String::new();
            for _ in 0..n {
                s.push_str(u.choose(&PIECES)?);
            }
            s
        }
        26..=30 => String::new(),
        _ => "x".repeat(65_535 + usize::from(u.arbitrary::<bool>()?)),
    };
    Ok(ByteString::from(s))
}

/// Any bytes, or (rarely) 65,535 or 65,536 of them.
fn binary(u: &mut Unstructured<'_>) -> Result<Bytes> {
    if u.arbitrary::<u8>()? % 32 == 31 {
        return Ok(Bytes::from(vec![
            0xA5;
            65_535
                + usize::from(u.arbitrary::<bool>()?)
        ]));
    }
    Ok(Bytes::copy_from_slice(u.arbitrary::<&[u8]>()?))
}

fn user_properties(u: &mut Unstructured<'_>) -> Result<Vec<(ByteString, ByteString)>> {
    let n = u.int_in_range(0..=2)?;
    (0..n).map(|_| Ok((string(u)?, string(u)?))).collect()
}

// ---- property sets: any values; what the builder refuses becomes the empty set ----

/// The built set, or the empty set when the builder refused the values (the builders' own
/// refusals are tested elsewhere; here the sets are what a caller can put in a packet).
fn built<T: Default>(set: core::result::Result<T, EncodeError>) -> T {
    set.unwrap_or_default()
}

/// A leading byte decides whether a set is filled at all.
fn wants(u: &mut Unstructured<'_>) -> Result<bool> {
    Ok(u.arbitrary::<u8>()? % 4 == 0)
}

fn connect_properties(u: &mut Unstructured<'_>) -> Result<ConnectProperties> {
    let mut p = ConnectProperties::builder();
    if wants(u)? {
        p.session_expiry_interval = opt(u, int)?;
        p.receive_maximum = opt(u, int16)?;
        p.maximum_packet_size = opt(u, int)?;
        p.topic_alias_maximum = opt(u, int16)?;
        p.request_response_information = opt(u, |u| u.arbitrary())?;
        p.request_problem_information = opt(u, |u| u.arbitrary())?;
        p.user_properties = user_properties(u)?;
        p.authentication_method = opt(u, string)?;
        p.authentication_data = opt(u, binary)?;
    }
    Ok(built(p.build()))
}

fn will_properties(u: &mut Unstructured<'_>) -> Result<WillProperties> {
    let mut p = WillProperties::builder();
    if wants(u)? {
        p.will_delay_interval = opt(u, int)?;
        p.payload_format_indicator = opt(u, |u| u.arbitrary())?;
        p.message_expiry_interval = opt(u, int)?;
        p.content_type = opt(u, string)?;
        p.response_topic = opt(u, string)?;
        p.correlation_data = opt(u, binary)?;
        p.user_properties = user_properties(u)?;
    }
    Ok(built(p.build()))
}

fn connack_properties(u: &mut Unstructured<'_>) -> Result<ConnAckProperties> {
    let mut p = ConnAckProperties::builder();
    if wants(u)? {
        p.session_expiry_interval = opt(u, int)?;
        p.receive_maximum = opt(u, int16)?;
        p.maximum_qos = opt(u, qos)?;
        p.retain_available = opt(u, |u| u.arbitrary())?;
        p.maximum_packet_size = opt(u, int)?;
        p.assigned_client_identifier = opt(u, string)?;
        p.topic_alias_maximum = opt(u, int16)?;
        p.reason_string = opt(u, string)?;
        p.user_properties = user_properties(u)?;
        p.wildcard_subscription_available = opt(u, |u| u.arbitrary())?;
        p.subscription_identifier_available = opt(u, |u| u.arbitrary())?;
        p.shared_subscription_available = opt(u, |u| u.arbitrary())?;
        p.server_keep_alive = opt(u, int16)?;
        p.response_information = opt(u, string)?;
        p.server_reference = opt(u, string)?;
        p.authentication_method = opt(u, string)?;
        p.authentication_data = opt(u, binary)?;
    }
    Ok(built(p.build()))
}

fn publish_properties(u: &mut Unstructured<'_>) -> Result<PublishProperties> {
    let mut p = PublishProperties::builder();
    if wants(u)? {
        p.payload_format_indicator = opt(u, |u| u.arbitrary())?;
        p.message_expiry_interval = opt(u, int)?;
        p.topic_alias = opt(u, int16)?;
        p.response_topic = opt(u, string)?;
        p.correlation_data = opt(u, binary)?;
        p.user_properties = user_properties(u)?;
        let n = u.int_in_range(0..=2)?;
        p.subscription_identifiers = (0..n).map(|_| int(u)).collect::<Result<_>>()?;
        p.content_type = opt(u, string)?;
    }
    Ok(built(p.build()))
}

fn ack_properties(u: &mut Unstructured<'_>) -> Result<AckProperties> {
    let mut p = AckProperties::builder();
    if wants(u)? {
        p.reason_string = opt(u, string)?;
        p.user_properties = user_properties(u)?;
    }
    Ok(built(p.build()))
}

fn subscribe_properties(u: &mut Unstructured<'_>) -> Result<SubscribeProperties> {
    let mut p = SubscribeProperties::builder();
    if wants(u)? {
        p.subscription_identifier = opt(u, int)?;
        p.user_properties = user_properties(u)?;
    }
    Ok(built(p.build()))
}

fn unsubscribe_properties(u: &mut Unstructured<'_>) -> Result<UnsubscribeProperties> {
    let mut p = UnsubscribeProperties::builder();
    if wants(u)? {
        p.user_properties = user_properties(u)?;
    }
    Ok(built(p.build()))
}

fn disconnect_properties(u: &mut Unstructured<'_>) -> Result<DisconnectProperties> {
    let mut p = DisconnectProperties::builder();
    if wants(u)? {
        p.session_expiry_interval = opt(u, int)?;
        p.reason_string = opt(u, string)?;
        p.user_properties = user_properties(u)?;
        p.server_reference = opt(u, string)?;
    }
    Ok(built(p.build()))
}

fn auth_properties(u: &mut Unstructured<'_>) -> Result<AuthProperties> {
    let mut p = AuthProperties::builder();
    if wants(u)? {
        p.authentication_method = opt(u, string)?;
        p.authentication_data = opt(u, binary)?;
        p.reason_string = opt(u, string)?;
        p.user_properties = user_properties(u)?;
    }
    Ok(built(p.build()))
}

// ---- packets ----

/// The protocol is usually the version encoded for, sometimes any other.
fn connect(u: &mut Unstructured<'_>, version: Version) -> Result<Connect> {
    let protocol = if u.ratio(3, 4)? {
        version
    } else {
        self::version(u)?
    };
    Ok(Connect {
        protocol,
        clean_start: u.arbitrary()?,
        keep_alive: u.arbitrary()?,
        properties: connect_properties(u)?,
        client_id: string(u)?,
        will: opt(u, |u| {
            Ok(Will {
                qos: qos(u)?,
                retain: u.arbitrary()?,
                properties: will_properties(u)?,
                topic: topic_name(u)?,
                payload: binary(u)?,
            })
        })?,
        username: opt(u, string)?,
        password: opt(u, binary)?,
    })
}

fn connack(u: &mut Unstructured<'_>) -> Result<ConnAck> {
    Ok(ConnAck {
        session_present: u.arbitrary()?,
        reason_code: reason_code(u)?,
        properties: connack_properties(u)?,
    })
}

fn publish(u: &mut Unstructured<'_>) -> Result<Publish> {
    let qos = match u.arbitrary::<u8>()? % 3 {
        0 => QosPid::AtMostOnce,
        1 => QosPid::AtLeastOnce(packet_id(u)?),
        _ => QosPid::ExactlyOnce(packet_id(u)?),
    };
    Ok(Publish {
        dup: u.arbitrary()?,
        qos,
        retain: u.arbitrary()?,
        topic: topic_name(u)?,
        properties: publish_properties(u)?,
        payload: Bytes::copy_from_slice(u.arbitrary::<&[u8]>()?),
    })
}

fn ack(u: &mut Unstructured<'_>) -> Result<Ack> {
    Ok(Ack {
        pid: packet_id(u)?,
        reason_code: reason_code(u)?,
        properties: ack_properties(u)?,
    })
}

fn options(u: &mut Unstructured<'_>) -> Result<SubscriptionOptions> {
    if u.arbitrary()? {
        return Ok(SubscriptionOptions::qos(qos(u)?));
    }
    Ok(SubscriptionOptions {
        qos: qos(u)?,
        no_local: u.arbitrary()?,
        retain_as_published: u.arbitrary()?,
        retain_handling: match u.arbitrary::<u8>()? % 3 {
            0 => RetainHandling::SendAtSubscribe,
            1 => RetainHandling::SendIfNew,
            _ => RetainHandling::DoNotSend,
        },
    })
}

fn subscribe(u: &mut Unstructured<'_>) -> Result<Subscribe> {
    let pid = packet_id(u)?;
    let properties = subscribe_properties(u)?;
    let n = u.int_in_range(1..=3)?;
    let entries = (0..n)
        .map(|_| Ok((string(u)?, options(u)?)))
        .collect::<Result<Vec<_>>>()?;
    // The list as a decoder of either version reads it (3.1.1 takes `$share/...` as ordinary
    // levels), else the filters that can be made, else one plain filter.
    let v5 = u.arbitrary()?;
    let mut body = Vec::new();
    for (filter, options) in &entries {
        push_string(&mut body, filter);
        body.push(options.to_byte());
    }
    let filters = match decoded(PacketType::Subscribe, v5, &body) {
        Some(Packet::Subscribe(s)) => s.filters,
        _ => {
            let made = entries
                .iter()
                .filter_map(|(f, o)| Some((TopicFilter::<Bytes>::new(f.clone()).ok()?, *o)));
            match SubscribeFilters::try_from_iter(made) {
                Ok(filters) => filters,
                Err(_) => SubscribeFilters::new(
                    plain_filter()?,
                    entries.first().map(|e| e.1).unwrap_or_default(),
                ),
            }
        }
    };
    Ok(Subscribe {
        pid,
        properties,
        filters,
    })
}

fn unsubscribe(u: &mut Unstructured<'_>) -> Result<Unsubscribe> {
    let pid = packet_id(u)?;
    let properties = unsubscribe_properties(u)?;
    let n = u.int_in_range(1..=3)?;
    let entries = (0..n).map(|_| string(u)).collect::<Result<Vec<_>>>()?;
    let v5 = u.arbitrary()?;
    let mut body = Vec::new();
    for filter in &entries {
        push_string(&mut body, filter);
    }
    let filters = match decoded(PacketType::Unsubscribe, v5, &body) {
        Some(Packet::Unsubscribe(s)) => s.filters,
        _ => {
            let made = entries
                .iter()
                .filter_map(|f| TopicFilter::<Bytes>::new(f.clone()).ok());
            match UnsubscribeFilters::try_from_iter(made) {
                Ok(filters) => filters,
                Err(_) => UnsubscribeFilters::new(plain_filter()?),
            }
        }
    };
    Ok(Unsubscribe {
        pid,
        properties,
        filters,
    })
}

/// Appends a UTF-8 Encoded String (strings longer than 65,535 bytes are cut: the decoder
/// then refuses the list, and the caller falls back).
fn push_string(body: &mut Vec<u8>, s: &str) {
    let len = u16::try_from(s.len()).unwrap_or(u16::MAX);
    body.extend_from_slice(&len.to_be_bytes());
    body.extend_from_slice(s.as_bytes().get(..usize::from(len)).unwrap_or_default());
}

/// A SUBSCRIBE or UNSUBSCRIBE (packet identifier 1, no properties) whose filter list is `list`,
/// as a 3.1.1 or 5.0 decoder reads it.
fn decoded(kind: PacketType, v5: bool, list: &[u8]) -> Option<Packet<Bytes>> {
    let mut frame = vec![(kind as u8) << 4 | 0b0010];
    let mut body = vec![0, 1];
    if v5 {
        body.push(0);
    }
    body.extend_from_slice(list);
    let mut len = [0; 4];
    let n = varint::encode(u32::try_from(body.len()).ok()?, &mut len)?;
    frame.extend_from_slice(len.get(..n)?);
    frame.extend_from_slice(&body);
    let version = if v5 { Version::V5 } else { Version::V3_1_1 };
    let frame = Bytes::from(frame);
    decode_one(&frame, version, MAX_PACKET_SIZE)
        .ok()?
        .map(|(p, _)| p)
}

/// The filter `a`.
fn plain_filter() -> Result<TopicFilter> {
    TopicFilter::from_static("a").map_err(|_| ::arbitrary::Error::IncorrectFormat)
}

/// A topic name made from an arbitrary string when it is one, else the empty name of a 5.0
/// PUBLISH with a Topic Alias (which the encoder refuses without the alias).
fn topic_name(u: &mut Unstructured<'_>) -> Result<TopicName> {
    Ok(TopicName::new(string(u)?).unwrap_or_else(|_| TopicName::empty_for_alias()))
}

fn suback(u: &mut Unstructured<'_>) -> Result<SubAck> {
    Ok(SubAck {
        pid: packet_id(u)?,
        properties: ack_properties(u)?,
        reason_codes: reason_codes(u)?,
    })
}

fn unsuback(u: &mut Unstructured<'_>) -> Result<UnsubAck> {
    Ok(UnsubAck {
        pid: packet_id(u)?,
        properties: ack_properties(u)?,
        reason_codes: reason_codes(u)?,
    })
}
