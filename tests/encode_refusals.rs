//! Every refusal of the encoder, one row per place in `src/` that returns an [`EncodeError`],
//! each with the statement it enforces.
//!
//! For each row:
//! - the packet is refused with exactly the row's error, by `Packet::encode` and by
//!   `Packet::encoded_len` alike, and the destination buffer (not empty to start with) is left
//!   exactly as it was;
//! - a control, the same packet minimally fixed, encodes, `encoded_len` agrees, and the bytes
//!   decode back to an equal packet (so the row fails if the refusal catches too much).
//!
//! Rows whose refusal happens when a value is built (property builders) hold the builder's
//! error instead of a packet: the refusal is checked where it happens. A refusal that moves from
//! encoding to construction (a validated topic type, say) moves the same way: make the
//! constructor helper below return `Err`, and the row keeps its place.
//!
//! Packets are only made through the helpers in the first section, so a change of a field's
//! type is adapted there.

use bytes::{Bytes, BytesMut};
use mqtt_wire::{
    Ack, AckProperties, Auth, AuthProperties, ByteString, ConnAck, ConnAckProperties, Connect,
    ConnectProperties, Disconnect, DisconnectProperties, EncodeError, Encoder, MAX_PACKET_SIZE,
    Packet, PacketId, PacketType, PropertyId, Publish, PublishProperties, QoS, QosPid, ReasonCode,
    RetainHandling, Side, SubAck, Subscribe, SubscribeFilters, SubscribeProperties,
    SubscriptionOptions, TopicFilter, TopicName, UnsubAck, Unsubscribe, UnsubscribeFilters,
    UnsubscribeProperties, Version, Will, WillProperties, varint,
};
use std::collections::BTreeSet;

use Version::{V3_1, V3_1_1, V5};

// ---- constructors: the one place that knows the packets' field types ----

/// A packet, or the error that refused it before it could be encoded.
type Built = Result<Packet, EncodeError>;

fn text(s: &str) -> ByteString {
    ByteString::from(s)
}

/// `len` bytes of text.
fn long(len: usize) -> String {
    "a".repeat(len)
}

fn pid(n: u16) -> PacketId {
    PacketId::new(n).expect("non-zero packet identifier")
}

/// `topic` as a topic name: the empty string gives the empty name a 5.0 PUBLISH uses with a
/// Topic Alias (the encoder refuses it without one); any other invalid name is refused here,
/// when it is made.
fn name(topic: &str) -> Result<TopicName, EncodeError> {
    if topic.is_empty() {
        return Ok(TopicName::empty_for_alias());
    }
    Ok(TopicName::try_from(topic)?)
}

/// A QoS 0 PUBLISH of a valid `topic` with a one-byte payload.
fn publish(topic: &str) -> Publish {
    Publish::new(name(topic).expect("valid topic"), Bytes::from_static(b"x"))
}

/// A PUBLISH of `topic`, or the error that refuses the topic name when it is made.
fn publish_of(topic: &str) -> Built {
    Ok(Publish::new(name(topic)?, Bytes::from_static(b"x")).into())
}

/// A QoS 1 will message on a valid `topic`.
fn will(topic: &str) -> Will {
    will_of(topic).expect("valid will topic")
}

/// A QoS 1 will message on `topic`, or the error that refuses the topic name.
fn will_of(topic: &str) -> Result<Will, EncodeError> {
    Ok(Will {
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: WillProperties::default(),
        topic: name(topic)?,
        payload: Bytes::from_static(b"bye"),
    })
}

/// A clean-start CONNECT for `protocol`, client identifier `c`.
fn connect(protocol: Version) -> Connect {
    Connect::new(protocol, text("c"), 30)
}

/// The filter list of a SUBSCRIBE, or the error that refuses a filter or the empty list when
/// it is made.
fn subscribe_of(filters: &[(&str, SubscriptionOptions)]) -> Built {
    let filters = filters
        .iter()
        .map(|&(f, o)| Ok((TopicFilter::try_from(f)?, o)))
        .collect::<Result<Vec<_>, EncodeError>>()?;
    Ok(Subscribe {
        pid: pid(1),
        properties: SubscribeProperties::default(),
        filters: SubscribeFilters::try_from_iter(filters)?,
    }
    .into())
}

/// A SUBSCRIBE (packet identifier 1) of the given valid filters and options.
fn subscribe(filters: &[(&str, SubscriptionOptions)]) -> Subscribe {
    match subscribe_of(filters) {
        Ok(Packet::Subscribe(s)) => s,
        other => panic!("not a valid SUBSCRIBE: {other:?}"),
    }
}

/// An UNSUBSCRIBE of the given filters, or the error that refuses one or the empty list.
fn unsubscribe_of(filters: &[&str]) -> Built {
    let filters = filters
        .iter()
        .map(|&f| TopicFilter::try_from(f))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Unsubscribe {
        pid: pid(1),
        properties: UnsubscribeProperties::default(),
        filters: UnsubscribeFilters::try_from_iter(filters)?,
    }
    .into())
}

/// An UNSUBSCRIBE (packet identifier 1) of the given valid filters.
fn unsubscribe(filters: &[&str]) -> Unsubscribe {
    match unsubscribe_of(filters) {
        Ok(Packet::Unsubscribe(u)) => u,
        other => panic!("not a valid UNSUBSCRIBE: {other:?}"),
    }
}

/// An UNSUBSCRIBE of `$share/g` as a 3.1.1 decoder reads it: an ordinary filter there, which
/// no `TopicFilter::new` makes (it applies the 5.0 rules).
fn read_on_3_1_1_share_g() -> Packet {
    let wire = b"\xA2\x0C\x00\x01\x00\x08$share/g";
    let (packet, _) = mqtt_wire::decode_slice(wire, V3_1_1, u32::MAX)
        .expect("a valid 3.1.1 UNSUBSCRIBE")
        .expect("a whole packet");
    packet.to_owned_packet(V3_1_1).expect("an owned copy")
}

/// Subscription options with only a QoS.
fn q(qos: QoS) -> SubscriptionOptions {
    SubscriptionOptions::qos(qos)
}

fn connack(session_present: bool, code: u8) -> ConnAck {
    ConnAck::new(session_present, ReasonCode(code))
}

/// A PUBACK, PUBREC, PUBREL or PUBCOMP body for packet identifier 1.
fn ack(code: u8) -> Ack {
    Ack {
        reason_code: ReasonCode(code),
        ..Ack::new(pid(1))
    }
}

fn suback(codes: &[u8]) -> SubAck {
    SubAck {
        pid: pid(1),
        properties: AckProperties::default(),
        reason_codes: codes.iter().map(|&c| ReasonCode(c)).collect(),
    }
}

fn unsuback(codes: &[u8]) -> UnsubAck {
    UnsubAck {
        pid: pid(1),
        properties: AckProperties::default(),
        reason_codes: codes.iter().map(|&c| ReasonCode(c)).collect(),
    }
}

fn disconnect(code: u8) -> Disconnect {
    Disconnect {
        reason_code: ReasonCode(code),
        properties: DisconnectProperties::default(),
    }
}

fn auth(code: u8, properties: AuthProperties) -> Auth {
    Auth {
        reason_code: ReasonCode(code),
        properties,
    }
}

/// A property set made by its builder, after `set` filled in some fields.
macro_rules! props {
    ($set:ident, |$p:ident| $fill:expr) => {{
        let mut $p = $set::builder();
        $fill;
        $p.build()
    }};
}

fn ok(packet: impl Into<Packet>) -> Built {
    Ok(packet.into())
}

// ---- the check ----

/// What the destination buffer holds before each encode: the refusal must leave it as is.
const BEFORE: &[u8] = b"\x00\xFFalready here";

struct Row {
    /// The statement enforced, with its version, and what the row does.
    id: &'static str,
    /// The version encoded for.
    version: Version,
    /// The packet the encoder (or a builder) refuses.
    refused: Built,
    /// The refusal.
    error: EncodeError,
    /// The same packet minimally fixed: it encodes and round-trips.
    fixed: Built,
    /// The version the control is encoded for, when the fix is the version.
    fixed_version: Version,
    /// The side the encoder sends as ([`Encoder::sending_as`]); `None`: unsided.
    sender: Option<Side>,
}

fn row(
    id: &'static str,
    version: Version,
    error: EncodeError,
    refused: Built,
    fixed: Built,
) -> Row {
    Row {
        id,
        version,
        refused,
        error,
        fixed,
        fixed_version: version,
        sender: None,
    }
}

/// A row refused by an encoder that sends as `sender`; its control is the same packet,
/// encoded without a side.
fn sided(
    id: &'static str,
    version: Version,
    sender: Side,
    error: EncodeError,
    packet: Packet,
) -> Row {
    Row {
        sender: Some(sender),
        ..row(id, version, error, Ok(packet.clone()), Ok(packet))
    }
}

fn check(row: &Row) {
    let at = format!("{} (encoding for {})", row.id, row.version);
    match &row.refused {
        Err(e) => assert_eq!(
            e, &row.error,
            "{at}: refused before encoding, by another error"
        ),
        Ok(packet) if row.sender.is_some() => {
            let encoder = Encoder::new(row.version).sending_as(row.sender.unwrap());
            let mut dst = BytesMut::from(BEFORE);
            let result = encoder.encode(packet, &mut dst);
            assert_eq!(result, Err(row.error.clone()), "{at}: encode of {packet:?}");
            assert_eq!(&dst[..], BEFORE, "{at}: a refused encode wrote bytes");
        }
        Ok(packet) => {
            let mut dst = BytesMut::from(BEFORE);
            let result = packet.encode(row.version, &mut dst);
            assert_eq!(result, Err(row.error.clone()), "{at}: encode of {packet:?}");
            assert_eq!(&dst[..], BEFORE, "{at}: a refused encode wrote bytes");
            assert_eq!(
                packet.encoded_len(row.version),
                Err(row.error.clone()),
                "{at}: encoded_len disagrees with encode"
            );
        }
    }
    let fixed = row
        .fixed
        .as_ref()
        .unwrap_or_else(|e| panic!("{at}: the control is refused when built: {e}"));
    roundtrip(fixed, row.fixed_version, &at);
}

/// `packet` encodes for `version` after what `dst` holds, `encoded_len` agrees, and the bytes
/// decode to an equal packet.
fn roundtrip(packet: &Packet, version: Version, at: &str) {
    let mut dst = BytesMut::from(BEFORE);
    let n = packet
        .encode(version, &mut dst)
        .unwrap_or_else(|e| panic!("{at}: control {packet:?} refused: {e}"));
    assert_eq!(packet.encoded_len(version), Ok(n), "{at}: control length");
    assert_eq!(
        &dst[..BEFORE.len()],
        BEFORE,
        "{at}: control overwrote the buffer"
    );
    let bytes = dst.split_off(BEFORE.len()).freeze();
    assert_eq!(bytes.len(), n, "{at}: control reported a wrong length");
    match mqtt_wire::decode(&bytes, version, MAX_PACKET_SIZE) {
        Ok(Some((decoded, used))) => {
            assert_eq!(used, n, "{at}: control decoded from another length");
            assert_eq!(
                &decoded, packet,
                "{at}: control round trip via {bytes:02x?}"
            );
        }
        other => panic!("{at}: control {bytes:02x?} does not decode: {other:?}"),
    }
}

fn check_all(rows: &[Row]) {
    for r in rows {
        check(r);
    }
}

/// The variant's name, from its `Debug` form.
fn variant(e: &EncodeError) -> String {
    format!("{e:?}")
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

fn not_in(what: &'static str, version: Version) -> EncodeError {
    EncodeError::NotInVersion { what, version }
}

fn invalid_code(packet: PacketType, code: u8) -> EncodeError {
    EncodeError::InvalidReasonCode {
        packet,
        code: ReasonCode(code),
    }
}

// ---- CONNECT ----

fn connect_rows() -> Vec<Row> {
    use EncodeError::*;
    let mismatch = |packet, encoder| VersionMismatch { packet, encoder };
    let with_will = |protocol, will: Will| Connect {
        will: Some(will),
        ..connect(protocol)
    };
    let with_password = |protocol, username: Option<&str>| Connect {
        username: username.map(text),
        password: Some(Bytes::from_static(b"secret")),
        ..connect(protocol)
    };
    let anonymous_resume = |protocol, client_id: &str| Connect {
        clean_start: false,
        client_id: text(client_id),
        ..connect(protocol)
    };
    let session_expiry = props!(ConnectProperties, |p| p.session_expiry_interval = Some(60));
    let will_delay = props!(WillProperties, |p| p.will_delay_interval = Some(5));
    let auth_props = |method: Option<&str>| {
        props!(ConnectProperties, |p| {
            p.authentication_method = method.map(text);
            p.authentication_data = Some(Bytes::from_static(b"\x01\x02"));
        })
    };
    vec![
        row(
            "(no id §3.1.2.2) CONNECT for 5.0 encoded for 3.1.1",
            V3_1_1,
            mismatch(V5, V3_1_1),
            ok(connect(V5)),
            ok(connect(V3_1_1)),
        ),
        row(
            "(no id §3.1.2.2) CONNECT for 3.1.1 encoded for 5.0",
            V5,
            mismatch(V3_1_1, V5),
            ok(connect(V3_1_1)),
            ok(connect(V5)),
        ),
        row(
            "(no id §3.1.2.2) CONNECT for 3.1 encoded for 3.1.1",
            V3_1_1,
            mismatch(V3_1, V3_1_1),
            ok(connect(V3_1)),
            ok(connect(V3_1_1)),
        ),
        row(
            "(no id §3.1.2.11) CONNECT properties on 3.1.1",
            V3_1_1,
            not_in("CONNECT properties", V3_1_1),
            session_expiry.map(|properties| {
                Connect {
                    properties,
                    ..connect(V3_1_1)
                }
                .into()
            }),
            ok(connect(V3_1_1)),
        ),
        row(
            "(no id §3.1.2.11) CONNECT properties on 3.1",
            V3_1,
            not_in("CONNECT properties", V3_1),
            props!(ConnectProperties, |p| p.receive_maximum = Some(10)).map(|properties| {
                Connect {
                    properties,
                    ..connect(V3_1)
                }
                .into()
            }),
            ok(connect(V3_1)),
        ),
        row(
            "(no id §3.1.3.2) will properties on 3.1.1",
            V3_1_1,
            not_in("CONNECT properties", V3_1_1),
            will_delay.map(|properties| {
                with_will(
                    V3_1_1,
                    Will {
                        properties,
                        ..will("w")
                    },
                )
                .into()
            }),
            will_of("w").map(|w| with_will(V3_1_1, w).into()),
        ),
        row(
            "[MQTT-3.1.2-22] (3.1.1) password without user name",
            V3_1_1,
            PasswordWithoutUsername,
            ok(with_password(V3_1_1, None)),
            ok(with_password(V3_1_1, Some("u"))),
        ),
        row(
            "(3.1, as [MQTT-3.1.2-22] of 3.1.1) password without user name",
            V3_1,
            PasswordWithoutUsername,
            ok(with_password(V3_1, None)),
            ok(with_password(V3_1, Some("u"))),
        ),
        row(
            "[MQTT-3.1.3-7] (3.1.1) empty client identifier without Clean Session",
            V3_1_1,
            EmptyClientIdWithoutCleanSession,
            ok(anonymous_resume(V3_1_1, "")),
            ok(anonymous_resume(V3_1_1, "c")),
        ),
        row(
            "(3.1, as [MQTT-3.1.3-7] of 3.1.1) empty client identifier without Clean Session",
            V3_1,
            EmptyClientIdWithoutCleanSession,
            ok(anonymous_resume(V3_1, "")),
            ok(anonymous_resume(V3_1, "c")),
        ),
        row(
            "(no id §3.1.2.11.10) (5.0) CONNECT Authentication Data without Authentication Method",
            V5,
            InvalidPropertyValue(PropertyId::AuthenticationData),
            auth_props(None).map(|properties| {
                Connect {
                    properties,
                    ..connect(V5)
                }
                .into()
            }),
            auth_props(Some("SCRAM")).map(|properties| {
                Connect {
                    properties,
                    ..connect(V5)
                }
                .into()
            }),
        ),
        row(
            "[MQTT-4.7.3-1] (5.0) empty will topic",
            V5,
            EmptyTopicName,
            will_of("").map(|w| with_will(V5, w).into()),
            will_of("w").map(|w| with_will(V5, w).into()),
        ),
        row(
            "[MQTT-4.7.3-1] (3.1.1) empty will topic",
            V3_1_1,
            EmptyTopicName,
            will_of("").map(|w| with_will(V3_1_1, w).into()),
            will_of("w").map(|w| with_will(V3_1_1, w).into()),
        ),
        row(
            "[MQTT-3.1.3-11] / [MQTT-4.7.0-1] (5.0) wildcard in the will topic",
            V5,
            WildcardInTopicName,
            will_of("a/#").map(|w| with_will(V5, w).into()),
            will_of("a/b").map(|w| with_will(V5, w).into()),
        ),
        row(
            "[MQTT-3.1.3-10] / [MQTT-4.7.1-1] (3.1.1) wildcard in the will topic",
            V3_1_1,
            WildcardInTopicName,
            will_of("+").map(|w| with_will(V3_1_1, w).into()),
            will_of("a").map(|w| with_will(V3_1_1, w).into()),
        ),
        row(
            "[MQTT-4.7.3-2] (5.0) U+0000 in the will topic",
            V5,
            NullCharacter,
            will_of("a\0").map(|w| with_will(V5, w).into()),
            will_of("a").map(|w| with_will(V5, w).into()),
        ),
        row(
            "[MQTT-4.7.3-3] (5.0) will topic over 65,535 bytes",
            V5,
            FieldTooLong(65_536),
            will_of(&long(65_536)).map(|w| with_will(V5, w).into()),
            will_of(&long(65_535)).map(|w| with_will(V5, w).into()),
        ),
        row(
            "(no id §1.5.6 / §3.1.3.4) (5.0) will payload over 65,535 bytes",
            V5,
            FieldTooLong(65_536),
            ok(with_will(
                V5,
                Will {
                    payload: Bytes::from(vec![7; 65_536]),
                    ..will("w")
                },
            )),
            ok(with_will(
                V5,
                Will {
                    payload: Bytes::from(vec![7; 65_535]),
                    ..will("w")
                },
            )),
        ),
        row(
            "[MQTT-1.5.3-2] (3.1.1) U+0000 in the client identifier",
            V3_1_1,
            NullCharacter,
            ok(Connect {
                client_id: text("c\0"),
                ..connect(V3_1_1)
            }),
            ok(connect(V3_1_1)),
        ),
        row(
            "(no id §1.5.4) (5.0) client identifier over 65,535 bytes",
            V5,
            FieldTooLong(65_536),
            ok(Connect {
                client_id: text(&long(65_536)),
                ..connect(V5)
            }),
            ok(Connect {
                client_id: text(&long(65_535)),
                ..connect(V5)
            }),
        ),
        row(
            "[MQTT-1.5.4-2] (5.0) U+0000 in the user name",
            V5,
            NullCharacter,
            ok(Connect {
                username: Some(text("\0")),
                ..connect(V5)
            }),
            ok(Connect {
                username: Some(text("u")),
                ..connect(V5)
            }),
        ),
        row(
            "(no id §1.5.4) (3.1.1) user name over 65,535 bytes",
            V3_1_1,
            FieldTooLong(65_536),
            ok(Connect {
                username: Some(text(&long(65_536))),
                ..connect(V3_1_1)
            }),
            ok(Connect {
                username: Some(text(&long(65_535))),
                ..connect(V3_1_1)
            }),
        ),
        row(
            "(no id §1.5.6 / §3.1.3.6) (5.0) password over 65,535 bytes",
            V5,
            FieldTooLong(65_536),
            ok(Connect {
                password: Some(Bytes::from(vec![1; 65_536])),
                ..connect(V5)
            }),
            ok(Connect {
                password: Some(Bytes::from(vec![1; 65_535])),
                ..connect(V5)
            }),
        ),
    ]
}

#[test]
fn connect_refusals_mqtt_3_1_2_22_and_3_1_3_7_and_4_7_3_1() {
    check_all(&connect_rows());
}

// ---- CONNACK ----

fn connack_rows() -> Vec<Row> {
    use EncodeError::*;
    let auth_data = |method: Option<&str>| {
        props!(ConnAckProperties, |p| {
            p.authentication_method = method.map(text);
            p.authentication_data = Some(Bytes::from_static(b"\x01"));
        })
    };
    let with_props = |properties| {
        ConnAck {
            properties,
            ..connack(false, 0)
        }
        .into()
    };
    vec![
        row(
            "[MQTT-3.2.2-6] (5.0) Session Present on a refused connection",
            V5,
            SessionPresentOnFailure,
            ok(connack(true, 0x80)),
            ok(connack(false, 0x80)),
        ),
        row(
            "[MQTT-3.2.2-4] (3.1.1) Session Present with a non-zero return code",
            V3_1_1,
            SessionPresentOnFailure,
            ok(connack(true, 0x87)),
            ok(connack(false, 0x87)),
        ),
        row(
            "[MQTT-3.2.2-8] (5.0) reason code outside the CONNACK set",
            V5,
            invalid_code(PacketType::ConnAck, 0x01),
            ok(connack(false, 0x01)),
            ok(connack(false, 0x00)),
        ),
        row(
            "(no id §3.2.2.3, Table C) (3.1.1) reason code without a 3.1.1 return code",
            V3_1_1,
            not_in("this CONNACK reason code", V3_1_1),
            ok(connack(false, 0x80)),
            ok(connack(false, 0x88)),
        ),
        row(
            "(no id §3.2) (3.1.1) CONNACK properties on 3.1.1",
            V3_1_1,
            not_in("CONNACK properties", V3_1_1),
            props!(ConnAckProperties, |p| p.retain_available = Some(false)).map(with_props),
            ok(connack(false, 0)),
        ),
        row(
            "(no id §3.2.2.3) (5.0) CONNACK Authentication Data without Authentication Method",
            V5,
            InvalidPropertyValue(PropertyId::AuthenticationData),
            auth_data(None).map(with_props),
            auth_data(Some("SCRAM")).map(with_props),
        ),
    ]
}

#[test]
fn connack_refusals_mqtt_3_2_2_6_and_3_2_2_8() {
    check_all(&connack_rows());
}

// ---- PUBLISH ----

fn publish_rows() -> Vec<Row> {
    use EncodeError::*;
    let aliased = |topic: &str| {
        props!(PublishProperties, |p| p.topic_alias = Some(3)).map(|properties| {
            Publish {
                properties,
                ..publish(topic)
            }
            .into()
        })
    };
    // Remaining length one over the protocol limit; the zeroed buffer is never written or read.
    let body = 2 + 1 + (varint::MAX as usize - 2);
    vec![
        row(
            "[MQTT-3.3.1-2] DUP on QoS 0",
            V3_1_1,
            DupOnQos0,
            ok(Publish {
                dup: true,
                ..publish("t")
            }),
            ok(Publish {
                dup: true,
                qos: QosPid::AtLeastOnce(pid(1)),
                ..publish("t")
            }),
        ),
        row(
            "[MQTT-4.7.3-1] (3.1.1) empty topic name",
            V3_1_1,
            EmptyTopicName,
            publish_of(""),
            publish_of("t"),
        ),
        row(
            "[MQTT-4.7.3-1] / (no id §3.3.2.1) (5.0) empty topic name without a Topic Alias",
            V5,
            EmptyTopicName,
            publish_of(""),
            aliased(""),
        ),
        row(
            "[MQTT-3.3.2-2] (5.0) `+` in the topic name",
            V5,
            WildcardInTopicName,
            publish_of("a/+"),
            publish_of("a/b"),
        ),
        row(
            "[MQTT-3.3.2-2] (3.1.1) `#` in the topic name",
            V3_1_1,
            WildcardInTopicName,
            publish_of("#"),
            publish_of("a"),
        ),
        row(
            "[MQTT-4.7.3-2] U+0000 in the topic name",
            V5,
            NullCharacter,
            publish_of("a\0b"),
            publish_of("ab"),
        ),
        row(
            "[MQTT-4.7.3-3] topic name over 65,535 bytes",
            V3_1_1,
            FieldTooLong(65_536),
            publish_of(&long(65_536)),
            publish_of(&long(65_535)),
        ),
        row(
            "(no id §3.3.2.3) PUBLISH properties on 3.1.1",
            V3_1_1,
            not_in("PUBLISH properties", V3_1_1),
            aliased("t"),
            publish_of("t"),
        ),
        row(
            "(no id §1.5.5 / §2.2.3) remaining length over 268,435,455",
            V3_1_1,
            PacketTooLarge {
                size: body as u64 + 5,
                max: u64::from(MAX_PACKET_SIZE),
            },
            ok(Publish {
                payload: Bytes::from(vec![0; varint::MAX as usize - 2]),
                ..publish("t")
            }),
            publish_of("t"),
        ),
    ]
}

#[test]
fn publish_refusals_mqtt_3_3_1_2_and_3_3_2_2_and_4_7_3_1() {
    check_all(&publish_rows());
}

// ---- PUBACK, PUBREC, PUBREL, PUBCOMP ----

fn ack_rows() -> Vec<Row> {
    use PacketType as T;
    let reason = props!(AckProperties, |p| p.reason_string = Some(text("why")));
    vec![
        row(
            "[MQTT-3.4.2-1] (5.0) reason code outside the PUBACK set",
            V5,
            invalid_code(T::PubAck, 0x92),
            ok(Packet::PubAck(ack(0x92))),
            ok(Packet::PubAck(ack(0x10))),
        ),
        row(
            "[MQTT-3.5.2-1] (5.0) reason code outside the PUBREC set",
            V5,
            invalid_code(T::PubRec, 0x92),
            ok(Packet::PubRec(ack(0x92))),
            ok(Packet::PubRec(ack(0x10))),
        ),
        row(
            "[MQTT-3.6.2-1] (5.0) reason code outside the PUBREL set",
            V5,
            invalid_code(T::PubRel, 0x10),
            ok(Packet::PubRel(ack(0x10))),
            ok(Packet::PubRel(ack(0x92))),
        ),
        row(
            "[MQTT-3.7.2-1] (5.0) reason code outside the PUBCOMP set",
            V5,
            invalid_code(T::PubComp, 0x80),
            ok(Packet::PubComp(ack(0x80))),
            ok(Packet::PubComp(ack(0x92))),
        ),
        row(
            "(no id §3.4) (3.1.1) PUBACK reason code on 3.1.1",
            V3_1_1,
            not_in("a reason code", V3_1_1),
            ok(Packet::PubAck(ack(0x10))),
            ok(Packet::PubAck(ack(0x00))),
        ),
        row(
            "(no id §3.6) (3.1.1) PUBREL properties on 3.1.1",
            V3_1_1,
            not_in("properties", V3_1_1),
            reason.map(|properties| {
                Packet::PubRel(Ack {
                    properties,
                    ..ack(0)
                })
            }),
            ok(Packet::PubRel(ack(0))),
        ),
    ]
}

#[test]
fn ack_refusals_mqtt_3_4_2_1_and_3_5_2_1_and_3_6_2_1_and_3_7_2_1() {
    check_all(&ack_rows());
}

// ---- SUBSCRIBE ----

fn subscribe_rows() -> Vec<Row> {
    use EncodeError::*;
    let q1 = q(QoS::AtLeastOnce);
    let no_local = SubscriptionOptions {
        no_local: true,
        ..q1
    };
    let one = |f: &str| subscribe_of(&[("a", q1), (f, q1)]);
    vec![
        row(
            "[MQTT-3.8.3-2] (5.0) SUBSCRIBE without topic filters",
            V5,
            NoTopicFilters(PacketType::Subscribe),
            subscribe_of(&[]),
            subscribe_of(&[("a", q1)]),
        ),
        row(
            "[MQTT-3.8.3-3] (3.1.1) SUBSCRIBE without topic filters",
            V3_1_1,
            NoTopicFilters(PacketType::Subscribe),
            subscribe_of(&[]),
            subscribe_of(&[("a", q1)]),
        ),
        row(
            "(no id §3.8.2) SUBSCRIBE properties on 3.1.1",
            V3_1_1,
            not_in("SUBSCRIBE properties", V3_1_1),
            props!(SubscribeProperties, |p| p.subscription_identifier = Some(1)).map(
                |properties| {
                    Subscribe {
                        properties,
                        ..subscribe(&[("a", q1)])
                    }
                    .into()
                },
            ),
            subscribe_of(&[("a", q1)]),
        ),
        row(
            "[MQTT-3.8.3-4] (5.0) No Local on a shared subscription",
            V5,
            NoLocalOnSharedSubscription,
            subscribe_of(&[("a", no_local), ("$share/g/a", no_local)]),
            subscribe_of(&[("a", no_local), ("$share/g/a", q1)]),
        ),
        row(
            "[MQTT-3-8.3-4] (3.1.1) No Local on 3.1.1",
            V3_1_1,
            not_in("5.0 subscription options", V3_1_1),
            subscribe_of(&[("a", no_local)]),
            subscribe_of(&[("a", q1)]),
        ),
        row(
            "[MQTT-3-8.3-4] (3.1.1) Retain As Published on 3.1.1",
            V3_1_1,
            not_in("5.0 subscription options", V3_1_1),
            subscribe_of(&[(
                "a",
                SubscriptionOptions {
                    retain_as_published: true,
                    ..q1
                },
            )]),
            subscribe_of(&[("a", q1)]),
        ),
        row(
            "(3.1, as [MQTT-3-8.3-4] of 3.1.1) Retain Handling on 3.1",
            V3_1,
            not_in("5.0 subscription options", V3_1),
            subscribe_of(&[(
                "a",
                SubscriptionOptions {
                    retain_handling: RetainHandling::DoNotSend,
                    ..q1
                },
            )]),
            subscribe_of(&[("a", q1)]),
        ),
        row(
            "[MQTT-4.7.3-1] (5.0) empty topic filter",
            V5,
            InvalidTopicFilter,
            one(""),
            one("b"),
        ),
        row(
            "[MQTT-4.7.1-1] (5.0) `#` not last",
            V5,
            InvalidTopicFilter,
            one("a/#/b"),
            one("a/+/b"),
        ),
        row(
            "[MQTT-4.7.1-3] (3.1.1) `+` not a whole level",
            V3_1_1,
            InvalidTopicFilter,
            one("a+"),
            one("a/+"),
        ),
        row(
            "[MQTT-4.8.2-1] (5.0) shared subscription without a filter",
            V5,
            InvalidTopicFilter,
            one("$share/g"),
            one("$share/g/a"),
        ),
        row(
            "[MQTT-4.8.2-2] (5.0) wildcard in a share name",
            V5,
            InvalidTopicFilter,
            one("$share/g+/a"),
            one("$share/g/+"),
        ),
        row(
            "[MQTT-4.7.3-2] (3.1.1) U+0000 in a topic filter",
            V3_1_1,
            NullCharacter,
            one("a/\0"),
            one("a/0"),
        ),
        row(
            "[MQTT-4.7.3-3] (5.0) topic filter over 65,535 bytes",
            V5,
            FieldTooLong(65_536),
            one(&long(65_536)),
            one(&long(65_535)),
        ),
    ]
}

#[test]
fn subscribe_refusals_mqtt_3_8_3_2_and_3_8_3_3_and_3_8_3_4() {
    check_all(&subscribe_rows());
}

// ---- UNSUBSCRIBE ----

fn unsubscribe_rows() -> Vec<Row> {
    use EncodeError::*;
    let one = |f: &str| unsubscribe_of(&["a", f]);
    vec![
        row(
            "[MQTT-3.10.3-2] (5.0) UNSUBSCRIBE without topic filters",
            V5,
            NoTopicFilters(PacketType::Unsubscribe),
            unsubscribe_of(&[]),
            unsubscribe_of(&["a"]),
        ),
        row(
            "[MQTT-3.10.3-2] (3.1.1) UNSUBSCRIBE without topic filters",
            V3_1_1,
            NoTopicFilters(PacketType::Unsubscribe),
            unsubscribe_of(&[]),
            unsubscribe_of(&["a"]),
        ),
        row(
            "(no id §3.10.2) UNSUBSCRIBE properties on 3.1.1",
            V3_1_1,
            not_in("UNSUBSCRIBE properties", V3_1_1),
            props!(UnsubscribeProperties, |p| p.user_properties =
                vec![(text("k"), text("v"))])
            .map(|properties| {
                Unsubscribe {
                    properties,
                    ..unsubscribe(&["a"])
                }
                .into()
            }),
            unsubscribe_of(&["a"]),
        ),
        row(
            "[MQTT-4.7.1-2] (5.0) `+` not a whole level",
            V5,
            InvalidTopicFilter,
            one("a+/b"),
            one("+/b"),
        ),
        row(
            "[MQTT-4.7.1-2] (3.1.1) `#` not last",
            V3_1_1,
            InvalidTopicFilter,
            one("#/a"),
            one("a/#"),
        ),
        row(
            "[MQTT-4.8.2-1] (5.0) `$share/g` read on 3.1.1, encoded on 5.0",
            V5,
            InvalidTopicFilter,
            ok(read_on_3_1_1_share_g()),
            unsubscribe_of(&["$share/g/a"]),
        ),
        row(
            "[MQTT-4.8.2-1] (5.0) shared subscription with an empty share name",
            V5,
            InvalidTopicFilter,
            one("$share//a"),
            one("$share/g/a"),
        ),
        row(
            "[MQTT-4.7.3-2] (5.0) U+0000 in a topic filter",
            V5,
            NullCharacter,
            one("\0"),
            one("0"),
        ),
        row(
            "[MQTT-4.7.3-3] (3.1.1) topic filter over 65,535 bytes",
            V3_1_1,
            FieldTooLong(65_536),
            one(&long(65_536)),
            one(&long(65_535)),
        ),
    ]
}

#[test]
fn unsubscribe_refusals_mqtt_3_10_3_2_and_4_7_1_2_and_4_8_2_1() {
    check_all(&unsubscribe_rows());
}

// ---- SUBACK, UNSUBACK ----

fn suback_rows() -> Vec<Row> {
    use EncodeError::*;
    let why = || props!(AckProperties, |p| p.reason_string = Some(text("why")));
    vec![
        row(
            "(no id §3.9) (5.0) SUBACK without reason codes",
            V5,
            NoReasonCodes(PacketType::SubAck),
            ok(suback(&[])),
            ok(suback(&[0x01])),
        ),
        row(
            "(no id §3.9) (3.1.1) SUBACK without return codes",
            V3_1_1,
            NoReasonCodes(PacketType::SubAck),
            ok(suback(&[])),
            ok(suback(&[0x80])),
        ),
        row(
            "[MQTT-3.9.3-2] (5.0) reason code outside the SUBACK set",
            V5,
            invalid_code(PacketType::SubAck, 0x10),
            ok(suback(&[0x00, 0x10])),
            ok(suback(&[0x00, 0x02])),
        ),
        row(
            "[MQTT-3.9.3-2] (3.1.1) return code other than 0x00, 0x01, 0x02, 0x80",
            V3_1_1,
            not_in("this reason code", V3_1_1),
            ok(suback(&[0x00, 0x83])),
            ok(suback(&[0x00, 0x80])),
        ),
        row(
            "(no id §3.9) (3.1.1) SUBACK properties on 3.1.1",
            V3_1_1,
            not_in("properties", V3_1_1),
            why().map(|properties| {
                SubAck {
                    properties,
                    ..suback(&[0])
                }
                .into()
            }),
            ok(suback(&[0])),
        ),
        row(
            "(no id §3.11) (5.0) UNSUBACK without reason codes",
            V5,
            NoReasonCodes(PacketType::UnsubAck),
            ok(unsuback(&[])),
            ok(unsuback(&[0x11])),
        ),
        row(
            "[MQTT-3.11.3-2] (5.0) reason code outside the UNSUBACK set",
            V5,
            invalid_code(PacketType::UnsubAck, 0x01),
            ok(unsuback(&[0x01])),
            ok(unsuback(&[0x11])),
        ),
        row(
            "(no id §3.11) (3.1.1) UNSUBACK codes on 3.1.1 (remaining length 2)",
            V3_1_1,
            not_in("this reason code", V3_1_1),
            ok(unsuback(&[0x00])),
            ok(unsuback(&[])),
        ),
        row(
            "(no id §3.11) (3.1.1) UNSUBACK properties on 3.1.1",
            V3_1_1,
            not_in("properties", V3_1_1),
            why().map(|properties| {
                UnsubAck {
                    properties,
                    ..unsuback(&[])
                }
                .into()
            }),
            ok(unsuback(&[])),
        ),
    ]
}

#[test]
fn suback_and_unsuback_refusals_mqtt_3_9_3_2_and_3_11_3_2() {
    check_all(&suback_rows());
}

// ---- DISCONNECT, AUTH ----

fn disconnect_and_auth_rows() -> Vec<Row> {
    use EncodeError::*;
    let method = |code: u8| {
        props!(AuthProperties, |p| p.authentication_method =
            Some(text("SCRAM")))
        .map(|properties| auth(code, properties).into())
    };
    let mut auth_on_3 = row(
        "(no id §2.1.2) AUTH on 3.1.1 (packet type 15 is reserved)",
        V3_1_1,
        not_in("AUTH", V3_1_1),
        method(0x18),
        method(0x18),
    );
    auth_on_3.fixed_version = V5;
    vec![
        row(
            "[MQTT-3.14.2-1] (5.0) reason code outside the DISCONNECT set",
            V5,
            invalid_code(PacketType::Disconnect, 0x01),
            ok(disconnect(0x01)),
            ok(disconnect(0x04)),
        ),
        row(
            "(no id §3.14) (3.1.1) DISCONNECT reason code on 3.1.1",
            V3_1_1,
            not_in("a reason code", V3_1_1),
            ok(disconnect(0x04)),
            ok(disconnect(0x00)),
        ),
        row(
            "(no id §3.14) (3.1.1) DISCONNECT properties on 3.1.1",
            V3_1_1,
            not_in("properties", V3_1_1),
            props!(DisconnectProperties, |p| p.reason_string =
                Some(text("bye")))
            .map(|properties| {
                Disconnect {
                    properties,
                    ..disconnect(0)
                }
                .into()
            }),
            ok(disconnect(0)),
        ),
        auth_on_3,
        row(
            "[MQTT-3.15.2-1] (5.0) reason code outside the AUTH set",
            V5,
            invalid_code(PacketType::Auth, 0x01),
            method(0x01),
            method(0x19),
        ),
        row(
            "(no id §3.15.2.2.2) (5.0) AUTH Continue without Authentication Method",
            V5,
            InvalidPropertyValue(PropertyId::AuthenticationMethod),
            ok(auth(0x18, AuthProperties::default())),
            method(0x18),
        ),
        row(
            "(no id §3.15.2.2.2) (5.0) AUTH Success with properties but no Authentication Method",
            V5,
            InvalidPropertyValue(PropertyId::AuthenticationMethod),
            props!(AuthProperties, |p| p.reason_string = Some(text("r")))
                .map(|properties| auth(0x00, properties).into()),
            ok(auth(0x00, AuthProperties::default())),
        ),
        row(
            "(no id §3.15.2.2.3) (5.0) AUTH Authentication Data without Authentication Method",
            V5,
            InvalidPropertyValue(PropertyId::AuthenticationData),
            props!(AuthProperties, |p| p.authentication_data =
                Some(Bytes::from_static(b"d")))
            .map(|properties| auth(0x18, properties).into()),
            props!(AuthProperties, |p| {
                p.authentication_method = Some(text("SCRAM"));
                p.authentication_data = Some(Bytes::from_static(b"d"));
            })
            .map(|properties| auth(0x18, properties).into()),
        ),
    ]
}

#[test]
fn disconnect_and_auth_refusals_mqtt_3_14_2_1_and_3_15_2_1() {
    check_all(&disconnect_and_auth_rows());
}

// ---- property builders ----

fn builder_rows() -> Vec<Row> {
    use EncodeError::*;
    use PropertyId as P;
    let publish_with = |properties: PublishProperties| {
        Packet::from(Publish {
            properties,
            ..publish("t")
        })
    };
    let connect_with = |properties: ConnectProperties| {
        Packet::from(Connect {
            properties,
            ..connect(V5)
        })
    };
    let connack_with = |properties: ConnAckProperties| {
        Packet::from(ConnAck {
            properties,
            ..connack(false, 0)
        })
    };
    let subscribe_with = |properties: SubscribeProperties| {
        Packet::from(Subscribe {
            properties,
            ..subscribe(&[("a", q(QoS::AtMostOnce))])
        })
    };
    let will_with = |properties: WillProperties| {
        Packet::from(Connect {
            will: Some(Will {
                properties,
                ..will("w")
            }),
            ..connect(V5)
        })
    };
    let puback_with = |properties: AckProperties| {
        Packet::PubAck(Ack {
            properties,
            ..ack(0)
        })
    };
    vec![
        row(
            "[MQTT-3.3.2-8] (5.0) Topic Alias 0",
            V5,
            TopicAliasZero,
            props!(PublishProperties, |p| p.topic_alias = Some(0)).map(publish_with),
            props!(PublishProperties, |p| p.topic_alias = Some(1)).map(publish_with),
        ),
        row(
            "[MQTT-3.3.2-14] (5.0) wildcard in the Response Topic",
            V5,
            InvalidPropertyValue(P::ResponseTopic),
            props!(PublishProperties, |p| p.response_topic = Some(text("a/+"))).map(publish_with),
            props!(PublishProperties, |p| p.response_topic = Some(text("a/b"))).map(publish_with),
        ),
        row(
            "[MQTT-3.3.2-14] (5.0) empty Response Topic",
            V5,
            InvalidPropertyValue(P::ResponseTopic),
            props!(PublishProperties, |p| p.response_topic = Some(text(""))).map(publish_with),
            props!(PublishProperties, |p| p.response_topic = Some(text("r"))).map(publish_with),
        ),
        row(
            "[MQTT-3.3.2-14] / (no id §3.1.3.2) (5.0) wildcard in the will's Response Topic",
            V5,
            InvalidPropertyValue(P::ResponseTopic),
            props!(WillProperties, |p| p.response_topic = Some(text("#"))).map(will_with),
            props!(WillProperties, |p| p.response_topic = Some(text("r"))).map(will_with),
        ),
        row(
            "(no id §3.1.2.11.3) (5.0) CONNECT Receive Maximum 0",
            V5,
            InvalidPropertyValue(P::ReceiveMaximum),
            props!(ConnectProperties, |p| p.receive_maximum = Some(0)).map(connect_with),
            props!(ConnectProperties, |p| p.receive_maximum = Some(1)).map(connect_with),
        ),
        row(
            "(no id §3.1.2.11.4) (5.0) CONNECT Maximum Packet Size 0",
            V5,
            InvalidPropertyValue(P::MaximumPacketSize),
            props!(ConnectProperties, |p| p.maximum_packet_size = Some(0)).map(connect_with),
            props!(ConnectProperties, |p| p.maximum_packet_size = Some(1)).map(connect_with),
        ),
        row(
            "(no id §3.2.2.3.3) (5.0) CONNACK Receive Maximum 0",
            V5,
            InvalidPropertyValue(P::ReceiveMaximum),
            props!(ConnAckProperties, |p| p.receive_maximum = Some(0)).map(connack_with),
            props!(ConnAckProperties, |p| p.receive_maximum = Some(9)).map(connack_with),
        ),
        row(
            "(no id §3.2.2.3.4) (5.0) CONNACK Maximum QoS 2",
            V5,
            InvalidPropertyValue(P::MaximumQoS),
            props!(ConnAckProperties, |p| p.maximum_qos =
                Some(QoS::ExactlyOnce))
            .map(connack_with),
            props!(ConnAckProperties, |p| p.maximum_qos =
                Some(QoS::AtLeastOnce))
            .map(connack_with),
        ),
        row(
            "(no id §3.2.2.3.6) (5.0) CONNACK Maximum Packet Size 0",
            V5,
            InvalidPropertyValue(P::MaximumPacketSize),
            props!(ConnAckProperties, |p| p.maximum_packet_size = Some(0)).map(connack_with),
            props!(ConnAckProperties, |p| p.maximum_packet_size = Some(2)).map(connack_with),
        ),
        row(
            "(no id §3.8.2.1.2) (5.0) SUBSCRIBE Subscription Identifier 0",
            V5,
            InvalidPropertyValue(P::SubscriptionIdentifier),
            props!(SubscribeProperties, |p| p.subscription_identifier = Some(0))
                .map(subscribe_with),
            props!(SubscribeProperties, |p| p.subscription_identifier = Some(1))
                .map(subscribe_with),
        ),
        row(
            "(no id §3.8.2.1.2) (5.0) SUBSCRIBE Subscription Identifier over 268,435,455",
            V5,
            InvalidPropertyValue(P::SubscriptionIdentifier),
            props!(SubscribeProperties, |p| p.subscription_identifier =
                Some(varint::MAX + 1))
            .map(subscribe_with),
            props!(SubscribeProperties, |p| p.subscription_identifier =
                Some(varint::MAX))
            .map(subscribe_with),
        ),
        row(
            "(no id §3.3.2.3.8) (5.0) PUBLISH Subscription Identifier 0",
            V5,
            InvalidPropertyValue(P::SubscriptionIdentifier),
            props!(PublishProperties, |p| p.subscription_identifiers =
                vec![1, 0])
            .map(publish_with),
            props!(PublishProperties, |p| p.subscription_identifiers =
                vec![1, 2])
            .map(publish_with),
        ),
        row(
            "(no id §3.3.2.3.8) (5.0) PUBLISH Subscription Identifier over 268,435,455",
            V5,
            InvalidPropertyValue(P::SubscriptionIdentifier),
            props!(PublishProperties, |p| p.subscription_identifiers =
                vec![varint::MAX + 1])
            .map(publish_with),
            props!(PublishProperties, |p| p.subscription_identifiers =
                vec![varint::MAX])
            .map(publish_with),
        ),
        row(
            "[MQTT-1.5.4-2] (5.0) U+0000 in a Reason String",
            V5,
            NullCharacter,
            props!(AckProperties, |p| p.reason_string = Some(text("a\0"))).map(puback_with),
            props!(AckProperties, |p| p.reason_string = Some(text("a"))).map(puback_with),
        ),
        row(
            "[MQTT-1.5.7-1] (5.0) U+0000 in a User Property name",
            V5,
            NullCharacter,
            props!(AckProperties, |p| p.user_properties =
                vec![(text("\0"), text("v"))])
            .map(puback_with),
            props!(AckProperties, |p| p.user_properties =
                vec![(text("k"), text("v"))])
            .map(puback_with),
        ),
        row(
            "[MQTT-1.5.7-1] (5.0) User Property value over 65,535 bytes",
            V5,
            FieldTooLong(65_536),
            props!(AckProperties, |p| p.user_properties =
                vec![(text("k"), text(&long(65_536)))])
            .map(puback_with),
            props!(AckProperties, |p| p.user_properties =
                vec![(text("k"), text(&long(65_000)))])
            .map(puback_with),
        ),
        row(
            "(no id §1.5.6) (5.0) Correlation Data over 65,535 bytes",
            V5,
            FieldTooLong(65_536),
            props!(PublishProperties, |p| p.correlation_data =
                Some(Bytes::from(vec![0; 65_536])))
            .map(publish_with),
            props!(PublishProperties, |p| p.correlation_data =
                Some(Bytes::from(vec![0; 65_535])))
            .map(publish_with),
        ),
    ]
}

#[test]
fn property_builder_refusals_mqtt_3_3_2_8_and_3_3_2_14_and_1_5_4_2() {
    check_all(&builder_rows());
}

// ---- the encoder's own size limit ----

/// An encoder for `version` that refuses packets above `max` bytes.
fn limited_encoder(version: Version, max: u32) -> Encoder {
    Encoder::new(version).with_max_packet_size(max)
}

/// (no id §3.1.2.11.4 / §3.2.2.3.6) the peer's Maximum Packet Size: a packet one byte over the
/// limit is refused and nothing is written; at the limit it is written. Checked for PUBLISH
/// (measured by arithmetic) and for a packet measured by the counting pass.
#[test]
fn encoder_size_limit_refuses_one_byte_over() {
    let packets: [Packet; 2] = [
        publish("a/b").into(),
        subscribe(&[("a/#", q(QoS::AtLeastOnce))]).into(),
    ];
    for version in [V3_1_1, V5] {
        for packet in &packets {
            let n = packet.encoded_len(version).expect("encodable");
            let size = u32::try_from(n).expect("small packet");
            let mut dst = BytesMut::from(BEFORE);
            let refused = limited_encoder(version, size - 1).encode(packet, &mut dst);
            let expected = EncodeError::PacketTooLarge {
                size: n as u64,
                max: u64::from(size - 1),
            };
            assert_eq!(refused, Err(expected), "{packet:?} for {version}");
            assert_eq!(&dst[..], BEFORE, "refused encode wrote bytes");
            assert_eq!(
                limited_encoder(version, size).encode(packet, &mut dst),
                Ok(n)
            );
            assert_eq!(dst.len(), BEFORE.len() + n);
        }
    }
}

// ---- what must not be refused ----

/// Packets near a refusal that the encoder must accept: the rules that hold on one version
/// only, or that have an exception.
#[test]
fn encoder_accepts_the_exceptions_to_its_refusals() {
    let accepted: Vec<(&str, Version, Built)> = vec![
        (
            "(5.0 drops [MQTT-3.1.2-22] of 3.1.1) password without user name on 5.0",
            V5,
            ok(Connect {
                password: Some(Bytes::from_static(b"p")),
                ..connect(V5)
            }),
        ),
        (
            "(5.0 has no [MQTT-3.1.3-7] of 3.1.1) empty client identifier without Clean Start",
            V5,
            ok(Connect {
                clean_start: false,
                client_id: text(""),
                ..connect(V5)
            }),
        ),
        (
            "[MQTT-3.1.3-6] (3.1.1) empty client identifier with Clean Session",
            V3_1_1,
            ok(Connect {
                client_id: text(""),
                ..connect(V3_1_1)
            }),
        ),
        (
            "(no id §3.3.2.1) (5.0) empty topic name with a Topic Alias",
            V5,
            props!(PublishProperties, |p| p.topic_alias = Some(1)).map(|properties| {
                Publish {
                    properties,
                    ..publish("")
                }
                .into()
            }),
        ),
        (
            "[MQTT-3.2.2-6] (5.0) Session Present with Success",
            V5,
            ok(connack(true, 0x00)),
        ),
        (
            "[MQTT-3.2.2-4] (3.1.1) Session Present with return code 0",
            V3_1_1,
            ok(connack(true, 0x00)),
        ),
        (
            "[MQTT-3.8.3-4] (5.0) No Local on a filter that is not shared",
            V5,
            subscribe_of(&[(
                "$shared/a",
                SubscriptionOptions {
                    no_local: true,
                    ..q(QoS::ExactlyOnce)
                },
            )]),
        ),
        (
            "(no id §4.8.2) (3.1.1) `$share/g` is an ordinary filter on 3.1.1",
            V3_1_1,
            ok(read_on_3_1_1_share_g()),
        ),
        (
            "(no id §3.15.2.1) (5.0) AUTH Success without properties needs no method",
            V5,
            ok(auth(0x00, AuthProperties::default())),
        ),
        (
            "(no id §3.11) (3.1.1) UNSUBACK without codes",
            V3_1_1,
            ok(unsuback(&[])),
        ),
        (
            "(no id §3.1.2.11) (5.0) Authentication Method without data",
            V5,
            props!(ConnectProperties, |p| p.authentication_method =
                Some(text("m")))
            .map(|properties| {
                Connect {
                    properties,
                    ..connect(V5)
                }
                .into()
            }),
        ),
    ];
    for (id, version, packet) in accepted {
        let packet = packet.unwrap_or_else(|e| panic!("{id}: not built: {e}"));
        roundtrip(&packet, version, id);
    }
}

// ---- coverage of the error type ----

/// The variants of `EncodeError`, read from its definition in `src/error.rs`.
fn encode_error_variants() -> BTreeSet<String> {
    let source = include_str!("../src/error.rs");
    let start = source
        .find("pub enum EncodeError {")
        .expect("EncodeError in src/error.rs");
    let body = &source[start..];
    let body = &body[..body.find("\n}").expect("end of EncodeError")];
    body.lines()
        .filter_map(|line| line.strip_prefix("    "))
        .filter(|line| line.starts_with(|c: char| c.is_ascii_uppercase()))
        .map(|line| {
            line.chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect()
        })
        .collect()
}

/// The rules that depend on who sends, refused by an encoder told its side.
fn sided_rows() -> Vec<Row> {
    use EncodeError::*;
    let sub_id = props!(PublishProperties, |p| p.subscription_identifiers = vec![7]).unwrap();
    let expiry = props!(DisconnectProperties, |p| p.session_expiry_interval =
        Some(60))
    .unwrap();
    vec![
        sided(
            "(no id §2.1.2, Table 2-1) (5.0): CONNACK only from the server",
            V5,
            Side::Client,
            WrongDirection {
                packet: PacketType::ConnAck,
                from: Side::Client,
            },
            connack(false, 0).into(),
        ),
        sided(
            "(no id §2.2.1, Table 2.1) (3.1.1): SUBSCRIBE only from the client",
            V3_1_1,
            Side::Server,
            WrongDirection {
                packet: PacketType::Subscribe,
                from: Side::Server,
            },
            subscribe(&[("a", q(QoS::AtMostOnce))]).into(),
        ),
        sided(
            "(no id §3.14) (3.1.1): DISCONNECT only from the client",
            V3_1_1,
            Side::Server,
            WrongDirection {
                packet: PacketType::Disconnect,
                from: Side::Server,
            },
            disconnect(0).into(),
        ),
        sided(
            "[MQTT-3.3.4-6] (5.0): no Subscription Identifier from a client",
            V5,
            Side::Client,
            SubscriptionIdentifierFromClient,
            Publish {
                properties: sub_id,
                ..publish("a")
            }
            .into(),
        ),
        sided(
            "[MQTT-3.14.2-2] (5.0): no Session Expiry Interval from a server",
            V5,
            Side::Server,
            SessionExpiryFromServer,
            Disconnect {
                properties: expiry,
                ..disconnect(0)
            }
            .into(),
        ),
    ]
}

/// The sided refusals of the encoder.
#[test]
fn sided_refusals_mqtt_3_3_4_6_and_3_14_2_2() {
    for r in sided_rows() {
        check(&r);
    }
}

fn all_rows() -> Vec<Row> {
    [
        connect_rows(),
        connack_rows(),
        publish_rows(),
        ack_rows(),
        subscribe_rows(),
        unsubscribe_rows(),
        suback_rows(),
        disconnect_and_auth_rows(),
        builder_rows(),
        sided_rows(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Every variant of `EncodeError` is produced by at least one row (the size limit of
/// [`Encoder`] adds a second `PacketTooLarge`, above), every row names a statement, and no two
/// rows are the same case.
#[test]
fn every_encode_error_variant_has_a_row() {
    let mut variants = encode_error_variants();
    // `Packet::to_owned_packet` reports with it a packet whose encoding the decoder refuses:
    // none exists (the `encode` fuzz target checks that), so no row can show it.
    assert!(variants.remove("NotDecodable"));
    assert!(variants.len() >= 18, "parsed only {variants:?}");
    let rows = all_rows();
    let covered: BTreeSet<String> = rows.iter().map(|r| variant(&r.error)).collect();
    let missing: Vec<_> = variants.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "EncodeError variants without a row: {missing:?}"
    );
    let unknown: Vec<_> = covered.difference(&variants).collect();
    assert!(
        unknown.is_empty(),
        "rows name unknown variants: {unknown:?}"
    );
    let mut ids = BTreeSet::new();
    for r in &rows {
        assert!(
            r.id.contains("[MQTT-") || r.id.contains("(no id §") || r.id.contains("(3.1, as"),
            "row without a statement: {}",
            r.id
        );
        assert!(
            ids.insert((r.id, r.version)),
            "two rows named {} for {}",
            r.id,
            r.version
        );
    }
}
