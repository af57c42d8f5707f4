//! `arbitrary::Arbitrary` for packets, generating only what the encoder accepts.
//!
//! [`FuzzPacket`] pairs a protocol version with a `Packet<Bytes>` that encodes for that version
//! and decodes back to an equal packet: strings without U+0000, topic names without wildcards,
//! valid topic filters, reason codes from the packet's set, property values in range, no
//! properties or 5.0-only fields on 3.1.1, and so on. `Packet<Bytes>` itself implements
//! `Arbitrary` with packets that encode on 5.0.
//!
//! The first bytes are read plainly (version, then packet kind), so a hand-made input can pick
//! what it generates.

use crate::codec::varint;
use crate::packet::{
    Ack, Auth, ConnAck, Connect, Disconnect, Packet, Publish, SubAck, Subscribe, SubscribeFilters,
    UnsubAck, Unsubscribe, UnsubscribeFilters, Will,
};
use crate::properties::{
    AckProperties, AuthProperties, ConnAckProperties, ConnectProperties, DisconnectProperties,
    PublishProperties, SubscribeProperties, UnsubscribeProperties, WillProperties,
};
use crate::reason::ReasonCode;
use crate::topic::{self, TopicFilter, TopicName};
use crate::types::{
    PacketId, PacketType, QoS, QosPid, RetainHandling, SubscriptionOptions, Version,
};
use ::arbitrary::{Arbitrary, Result, Unstructured};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use bytes::Bytes;
use bytestring::ByteString;
use core::num::NonZeroU16;

/// The longest string or binary field MQTT can carry.
const FIELD_MAX: usize = 65_535;

/// A protocol version and a packet that encodes for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuzzPacket {
    /// The version the packet is meant to be encoded and decoded with.
    pub version: Version,
    /// The packet; `Connect::protocol` equals `version`.
    pub packet: Packet<Bytes>,
}

impl<'a> Arbitrary<'a> for FuzzPacket {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let version = version(u)?;
        let packet = packet(u, version)?;
        Ok(FuzzPacket { version, packet })
    }
}

impl<'a> Arbitrary<'a> for Packet<Bytes> {
    /// A packet that encodes on MQTT 5.0.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        packet(u, Version::V5)
    }
}

/// One byte: 0 is 3.1, 1 is 3.1.1, 2 is 5.0 (modulo 3).
pub fn version(u: &mut Unstructured<'_>) -> Result<Version> {
    Ok(match u.arbitrary::<u8>()? % 3 {
        0 => Version::V3_1,
        1 => Version::V3_1_1,
        _ => Version::V5,
    })
}

/// A packet that encodes for `version`. One byte picks the kind: its value modulo 15 (14 before
/// 5.0, which has no AUTH) is the packet type minus one.
pub fn packet(u: &mut Unstructured<'_>, version: Version) -> Result<Packet<Bytes>> {
    let kinds = if version.is_v5() { 15 } else { 14 };
    let v5 = version.is_v5();
    Ok(match u.arbitrary::<u8>()? % kinds {
        0 => Packet::Connect(Box::new(connect(u, version)?)),
        1 => Packet::ConnAck(Box::new(connack(u, version)?)),
        2 => Packet::Publish(publish(u, version)?),
        3 => Packet::PubAck(ack(u, PacketType::PubAck, version)?),
        4 => Packet::PubRec(ack(u, PacketType::PubRec, version)?),
        5 => Packet::PubRel(ack(u, PacketType::PubRel, version)?),
        6 => Packet::PubComp(ack(u, PacketType::PubComp, version)?),
        7 => Packet::Subscribe(subscribe(u, v5)?),
        8 => Packet::SubAck(suback(u, v5)?),
        9 => Packet::Unsubscribe(unsubscribe(u, v5)?),
        10 => Packet::UnsubAck(unsuback(u, v5)?),
        11 => Packet::PingReq,
        12 => Packet::PingResp,
        13 => Packet::Disconnect(disconnect(u, v5)?),
        _ => Packet::Auth(auth(u)?),
    })
}

// ---- scalar fields ----

fn packet_id(u: &mut Unstructured<'_>) -> Result<PacketId> {
    let id = u.arbitrary::<u16>()?;
    Ok(PacketId::new(id).unwrap_or(PacketId::from(NonZeroU16::MIN)))
}

fn nonzero_u16(u: &mut Unstructured<'_>) -> Result<u16> {
    Ok(u.arbitrary::<u16>()?.max(1))
}

fn nonzero_u32(u: &mut Unstructured<'_>) -> Result<u32> {
    Ok(u.arbitrary::<u32>()?.max(1))
}

fn qos(u: &mut Unstructured<'_>) -> Result<QoS> {
    Ok(match u.arbitrary::<u8>()? % 3 {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
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

/// A code from the set `valid` accepts, chosen evenly among them.
fn reason_code(u: &mut Unstructured<'_>, valid: impl Fn(ReasonCode) -> bool) -> Result<ReasonCode> {
    let codes = || (0..=u8::MAX).map(ReasonCode).filter(|&c| valid(c));
    let index = u.choose_index(codes().count())?;
    Ok(codes().nth(index).unwrap_or_default())
}

// ---- strings and binary ----

/// Cuts `s` to at most `max` bytes, at a character boundary.
fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Arbitrary UTF-8 without the characters in `banned`, at most 65,535 bytes.
fn text(u: &mut Unstructured<'_>, banned: &[char]) -> Result<String> {
    let raw: &str = u.arbitrary()?;
    let s: String = raw.chars().filter(|c| !banned.contains(c)).collect();
    Ok(truncate(s, FIELD_MAX))
}

/// A UTF-8 Encoded String: no U+0000.
fn string(u: &mut Unstructured<'_>) -> Result<ByteString> {
    Ok(ByteString::from(text(u, &['\0'])?))
}

/// A non-empty topic name: no U+0000, `+` or `#`.
fn topic_name(u: &mut Unstructured<'_>) -> Result<TopicName> {
    let mut s = text(u, &['\0', '+', '#'])?;
    if s.is_empty() {
        s.push('t');
    }
    TopicName::try_from(s).map_err(|_| arbitrary::Error::IncorrectFormat)
}

/// Binary Data: at most 65,535 bytes.
fn binary(u: &mut Unstructured<'_>) -> Result<Bytes> {
    let raw: &[u8] = u.arbitrary()?;
    Ok(Bytes::copy_from_slice(raw.get(..FIELD_MAX).unwrap_or(raw)))
}

/// A topic filter valid for the version: levels that are `+`, a final `#`, or text without
/// wildcards and `/`; on 5.0 sometimes a shared subscription.
fn topic_filter(u: &mut Unstructured<'_>, v5: bool) -> Result<TopicFilter> {
    let mut out = String::new();
    if v5 && u.ratio(1, 8)? {
        let mut name = text(u, &['\0', '+', '#', '/'])?;
        if name.is_empty() {
            name.push('g');
        }
        out.push_str("$share/");
        out.push_str(&name);
        out.push('/');
    }
    let levels = u.int_in_range(1..=4)?;
    for i in 0..levels {
        if i > 0 {
            out.push('/');
        }
        match u.int_in_range(0..=5)? {
            0 => out.push('+'),
            1 if i + 1 == levels => out.push('#'),
            _ => out.push_str(&text(u, &['\0', '+', '#', '/'])?),
        }
    }
    let mut out = truncate(out, FIELD_MAX);
    if topic::check_filter(&out, v5).is_err() {
        // An empty filter, or one whose text happens to start `$share/` on 5.0.
        out = String::from("f");
    }
    // Checked above under the version's rules (on 3.1.1 `$share` is an ordinary level).
    Ok(TopicFilter::from_checked(ByteString::from(out)))
}

fn user_properties(u: &mut Unstructured<'_>) -> Result<Vec<(ByteString, ByteString)>> {
    let n = u.int_in_range(0..=3)?;
    (0..n).map(|_| Ok((string(u)?, string(u)?))).collect()
}

// ---- property sets (5.0 only; callers pass `v5`) ----

/// A built property set; the generators only pick values the builder accepts.
fn built<T>(set: core::result::Result<T, crate::EncodeError>) -> Result<T> {
    set.map_err(|_| arbitrary::Error::IncorrectFormat)
}

/// Most packets carry no properties: a leading byte decides whether any are generated.
fn wants_properties(u: &mut Unstructured<'_>, v5: bool) -> Result<bool> {
    Ok(v5 && u.arbitrary::<bool>()?)
}

fn connect_properties(u: &mut Unstructured<'_>, v5: bool) -> Result<ConnectProperties> {
    let mut p = ConnectProperties::builder();
    if wants_properties(u, v5)? {
        p.session_expiry_interval = opt(u, |u| u.arbitrary())?;
        p.receive_maximum = opt(u, nonzero_u16)?;
        p.maximum_packet_size = opt(u, nonzero_u32)?;
        p.topic_alias_maximum = opt(u, |u| u.arbitrary())?;
        p.request_response_information = opt(u, |u| u.arbitrary())?;
        p.request_problem_information = opt(u, |u| u.arbitrary())?;
        p.user_properties = user_properties(u)?;
        p.authentication_method = opt(u, string)?;
        if p.authentication_method.is_some() {
            p.authentication_data = opt(u, binary)?;
        }
    }
    built(p.build())
}

fn will_properties(u: &mut Unstructured<'_>, v5: bool) -> Result<WillProperties> {
    let mut p = WillProperties::builder();
    if wants_properties(u, v5)? {
        p.will_delay_interval = opt(u, |u| u.arbitrary())?;
        p.payload_format_indicator = opt(u, |u| u.arbitrary())?;
        p.message_expiry_interval = opt(u, |u| u.arbitrary())?;
        p.content_type = opt(u, string)?;
        p.response_topic = opt(u, |u| topic_name(u).map(TopicName::into_inner))?;
        p.correlation_data = opt(u, binary)?;
        p.user_properties = user_properties(u)?;
    }
    built(p.build())
}

fn connack_properties(u: &mut Unstructured<'_>, v5: bool) -> Result<ConnAckProperties> {
    let mut p = ConnAckProperties::builder();
    if wants_properties(u, v5)? {
        p.session_expiry_interval = opt(u, |u| u.arbitrary())?;
        p.receive_maximum = opt(u, nonzero_u16)?;
        p.maximum_qos = opt(u, |u| {
            Ok(if u.arbitrary()? {
                QoS::AtLeastOnce
            } else {
                QoS::AtMostOnce
            })
        })?;
        p.retain_available = opt(u, |u| u.arbitrary())?;
        p.maximum_packet_size = opt(u, nonzero_u32)?;
        p.assigned_client_identifier = opt(u, string)?;
        p.topic_alias_maximum = opt(u, |u| u.arbitrary())?;
        p.reason_string = opt(u, string)?;
        p.user_properties = user_properties(u)?;
        p.wildcard_subscription_available = opt(u, |u| u.arbitrary())?;
        p.subscription_identifier_available = opt(u, |u| u.arbitrary())?;
        p.shared_subscription_available = opt(u, |u| u.arbitrary())?;
        p.server_keep_alive = opt(u, |u| u.arbitrary())?;
        p.response_information = opt(u, string)?;
        p.server_reference = opt(u, string)?;
        p.authentication_method = opt(u, string)?;
        if p.authentication_method.is_some() {
            p.authentication_data = opt(u, binary)?;
        }
    }
    built(p.build())
}

fn publish_properties(u: &mut Unstructured<'_>, v5: bool) -> Result<PublishProperties> {
    let mut p = PublishProperties::builder();
    if wants_properties(u, v5)? {
        p.payload_format_indicator = opt(u, |u| u.arbitrary())?;
        p.message_expiry_interval = opt(u, |u| u.arbitrary())?;
        p.topic_alias = opt(u, nonzero_u16)?;
        p.response_topic = opt(u, |u| topic_name(u).map(TopicName::into_inner))?;
        p.correlation_data = opt(u, binary)?;
        p.user_properties = user_properties(u)?;
        let n = u.int_in_range(0..=3)?;
        p.subscription_identifiers = (0..n)
            .map(|_| u.int_in_range(1..=varint::MAX))
            .collect::<Result<_>>()?;
        p.content_type = opt(u, string)?;
    }
    built(p.build())
}

fn ack_properties(u: &mut Unstructured<'_>, v5: bool) -> Result<AckProperties> {
    let mut p = AckProperties::builder();
    if wants_properties(u, v5)? {
        p.reason_string = opt(u, string)?;
        p.user_properties = user_properties(u)?;
    }
    built(p.build())
}

fn subscribe_properties(u: &mut Unstructured<'_>, v5: bool) -> Result<SubscribeProperties> {
    let mut p = SubscribeProperties::builder();
    if wants_properties(u, v5)? {
        p.subscription_identifier = opt(u, |u| u.int_in_range(1..=varint::MAX))?;
        p.user_properties = user_properties(u)?;
    }
    built(p.build())
}

fn unsubscribe_properties(u: &mut Unstructured<'_>, v5: bool) -> Result<UnsubscribeProperties> {
    let mut p = UnsubscribeProperties::builder();
    if wants_properties(u, v5)? {
        p.user_properties = user_properties(u)?;
    }
    built(p.build())
}

fn disconnect_properties(u: &mut Unstructured<'_>, v5: bool) -> Result<DisconnectProperties> {
    let mut p = DisconnectProperties::builder();
    if wants_properties(u, v5)? {
        p.session_expiry_interval = opt(u, |u| u.arbitrary())?;
        p.reason_string = opt(u, string)?;
        p.user_properties = user_properties(u)?;
        p.server_reference = opt(u, string)?;
    }
    built(p.build())
}

/// §3.15.2.2.2: every AUTH but the empty one (Success, no properties) carries the
/// Authentication Method, so `with_method` forces it and properties always have one.
fn auth_properties(u: &mut Unstructured<'_>, with_method: bool) -> Result<AuthProperties> {
    let mut p = AuthProperties::builder();
    if with_method || wants_properties(u, true)? {
        p.authentication_method = Some(string(u)?);
        p.authentication_data = opt(u, binary)?;
        p.reason_string = opt(u, string)?;
        p.user_properties = user_properties(u)?;
    }
    built(p.build())
}

// ---- packets ----

fn connect(u: &mut Unstructured<'_>, version: Version) -> Result<Connect> {
    let v5 = version.is_v5();
    let mut clean_start = u.arbitrary()?;
    let keep_alive = u.arbitrary()?;
    let properties = connect_properties(u, v5)?;
    let client_id = string(u)?;
    if !v5 && client_id.is_empty() {
        clean_start = true; // [MQTT-3.1.3-7]
    }
    let will = opt(u, |u| {
        Ok(Will {
            qos: qos(u)?,
            retain: u.arbitrary()?,
            properties: will_properties(u, v5)?,
            topic: topic_name(u)?,
            payload: binary(u)?,
        })
    })?;
    let mut username = opt(u, string)?;
    let password = opt(u, binary)?;
    if !v5 && password.is_some() && username.is_none() {
        username = Some(string(u)?); // [MQTT-3.1.2-22]
    }
    Ok(Connect {
        protocol: version,
        clean_start,
        keep_alive,
        properties,
        client_id,
        will,
        username,
        password,
    })
}

fn connack(u: &mut Unstructured<'_>, version: Version) -> Result<ConnAck> {
    let session_present = u.arbitrary()?;
    let reason_code = if version.is_v5() {
        reason_code(u, |c| c.is_valid_for(PacketType::ConnAck))?
    } else {
        reason_code(u, |c| c.to_v3_connack().is_some())?
    };
    Ok(ConnAck {
        // [MQTT-3.2.2-4] / [MQTT-3.2.2-6]
        session_present: session_present && reason_code == ReasonCode::SUCCESS,
        reason_code,
        properties: connack_properties(u, version.is_v5())?,
    })
}

fn publish(u: &mut Unstructured<'_>, version: Version) -> Result<Publish> {
    let v5 = version.is_v5();
    let qos = match u.arbitrary::<u8>()? % 3 {
        0 => QosPid::AtMostOnce,
        1 => QosPid::AtLeastOnce(packet_id(u)?),
        _ => QosPid::ExactlyOnce(packet_id(u)?),
    };
    let dup = qos != QosPid::AtMostOnce && u.arbitrary()?; // [MQTT-3.3.1-2]
    let retain = u.arbitrary()?;
    let properties = publish_properties(u, v5)?;
    // 5.0 §3.3.2.1: the topic name may be empty when a Topic Alias stands for it.
    let topic = if properties.topic_alias().is_some() && u.arbitrary()? {
        TopicName::empty_for_alias()
    } else {
        topic_name(u)?
    };
    let payload: &[u8] = u.arbitrary()?;
    Ok(Publish {
        dup,
        qos,
        retain,
        topic,
        properties,
        payload: Bytes::copy_from_slice(payload),
    })
}

fn ack(u: &mut Unstructured<'_>, kind: PacketType, version: Version) -> Result<Ack> {
    let v5 = version.is_v5();
    let pid = packet_id(u)?;
    let reason_code = if v5 {
        reason_code(u, |c| c.is_valid_for(kind))?
    } else {
        ReasonCode::SUCCESS
    };
    Ok(Ack {
        pid,
        reason_code,
        properties: ack_properties(u, v5)?,
    })
}

fn subscribe(u: &mut Unstructured<'_>, v5: bool) -> Result<Subscribe> {
    let pid = packet_id(u)?;
    let properties = subscribe_properties(u, v5)?;
    let n = u.int_in_range(1..=4)?;
    let mut filters = Vec::new();
    for _ in 0..n {
        let filter = topic_filter(u, v5)?;
        let mut options = SubscriptionOptions::qos(qos(u)?);
        if v5 {
            let shared = filter.is_shared();
            // [MQTT-3.8.3-4]: no No Local on a shared subscription.
            options.no_local = !shared && u.arbitrary()?;
            options.retain_as_published = u.arbitrary()?;
            options.retain_handling = match u.arbitrary::<u8>()? % 3 {
                0 => RetainHandling::SendAtSubscribe,
                1 => RetainHandling::SendIfNew,
                _ => RetainHandling::DoNotSend,
            };
        }
        filters.push((filter, options));
    }
    Ok(Subscribe {
        pid,
        properties,
        filters: SubscribeFilters::try_from_iter(filters)
            .map_err(|_| arbitrary::Error::IncorrectFormat)?,
    })
}

fn suback(u: &mut Unstructured<'_>, v5: bool) -> Result<SubAck> {
    let pid = packet_id(u)?;
    let properties = ack_properties(u, v5)?;
    let n = u.int_in_range(1..=8)?;
    let reason_codes = (0..n)
        .map(|_| {
            if v5 {
                reason_code(u, |c| c.is_valid_for(PacketType::SubAck))
            } else {
                reason_code(u, ReasonCode::is_valid_v3_suback)
            }
        })
        .collect::<Result<_>>()?;
    Ok(SubAck {
        pid,
        properties,
        reason_codes,
    })
}

fn unsubscribe(u: &mut Unstructured<'_>, v5: bool) -> Result<Unsubscribe> {
    let pid = packet_id(u)?;
    let properties = unsubscribe_properties(u, v5)?;
    let n = u.int_in_range(1..=4)?;
    let filters = (0..n)
        .map(|_| topic_filter(u, v5))
        .collect::<Result<Vec<_>>>()?;
    Ok(Unsubscribe {
        pid,
        properties,
        filters: UnsubscribeFilters::try_from_iter(filters)
            .map_err(|_| arbitrary::Error::IncorrectFormat)?,
    })
}

fn unsuback(u: &mut Unstructured<'_>, v5: bool) -> Result<UnsubAck> {
    let pid = packet_id(u)?;
    let properties = ack_properties(u, v5)?;
    // 3.1.1 UNSUBACK has no reason codes; 5.0 has at least one.
    let n = if v5 { u.int_in_range(1..=8)? } else { 0 };
    let reason_codes = (0..n)
        .map(|_| reason_code(u, |c| c.is_valid_for(PacketType::UnsubAck)))
        .collect::<Result<_>>()?;
    Ok(UnsubAck {
        pid,
        properties,
        reason_codes,
    })
}

fn disconnect(u: &mut Unstructured<'_>, v5: bool) -> Result<Disconnect> {
    if !v5 {
        return Ok(Disconnect::default());
    }
    Ok(Disconnect {
        reason_code: reason_code(u, |c| c.is_valid_for(PacketType::Disconnect))?,
        properties: disconnect_properties(u, v5)?,
    })
}

fn auth(u: &mut Unstructured<'_>) -> Result<Auth> {
    let reason_code = reason_code(u, |c| c.is_valid_for(PacketType::Auth))?;
    Ok(Auth {
        reason_code,
        properties: auth_properties(u, reason_code != ReasonCode::SUCCESS)?,
    })
}
