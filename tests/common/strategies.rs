//! Proptest strategies that generate *valid* packets: every packet of every type that a given
//! protocol version can carry, and nothing it cannot.
//!
//! - 3.1 and 3.1.1 share every layout but CONNECT; they have no properties and no AUTH, acks are
//!   Success, SUBACK codes are 0x00/0x01/0x02/0x80, CONNACK codes the 5.0 equivalents of the
//!   3.1.1 return codes, UNSUBACK has no codes, subscription options are a bare QoS.
//! - 5.0 sets every property a packet allows (in range: no zero Topic Alias, Receive Maximum,
//!   Maximum Packet Size or Subscription Identifier; Authentication Data only with a method),
//!   reason codes from each packet's set (the tables below are copied from the 5.0 standard,
//!   independently of `ReasonCode::is_valid_for`), shared subscriptions `$share/{group}/{filter}`.
//!
//! Strings never contain U+0000; topic names have no wildcards; topic filters use `+` and `#`
//! only as whole levels and `#` only last.

use mqtt_wire::{
    Ack, AckProperties, AckPropertiesBuilder, Auth, AuthProperties, AuthPropertiesBuilder,
    ByteString, Bytes, ConnAck, ConnAckProperties, ConnAckPropertiesBuilder, Connect,
    ConnectProperties, ConnectPropertiesBuilder, Disconnect, DisconnectProperties,
    DisconnectPropertiesBuilder, Packet, PacketId, PacketType, Publish, PublishProperties,
    PublishPropertiesBuilder, QoS, QosPid, ReasonCode, RetainHandling, SubAck, Subscribe,
    SubscribeProperties, SubscribePropertiesBuilder, SubscriptionOptions, UnsubAck, Unsubscribe,
    UnsubscribeProperties, UnsubscribePropertiesBuilder, Version, Will, WillProperties,
    WillPropertiesBuilder,
};
use mqtt_wire::{SubscribeFilters, TopicFilter, TopicName, UnsubscribeFilters};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

/// Sets one field of a property set: through its builder, which checks the value.
macro_rules! set_property {
    ($props:expr, $field:ident, $value:expr) => {{
        let mut builder = $props.to_builder();
        builder.$field = $value;
        $props = builder.build().expect("a valid property value");
    }};
}

/// Every protocol version.
pub const VERSIONS: [Version; 3] = [Version::V3_1, Version::V3_1_1, Version::V5];

/// CONNACK reason codes (5.0 §3.2.2.2).
pub const CONNACK_V5: &[u8] = &[
    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97,
    0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F,
];
/// The 5.0 codes that 3.1.1 CONNACK return codes 0 to 5 map to (5.0 Table C).
pub const CONNACK_V3: &[u8] = &[0x00, 0x84, 0x85, 0x88, 0x86, 0x87];
/// PUBACK and PUBREC reason codes (5.0 §3.4.2.1, §3.5.2.1).
pub const PUBACK_V5: &[u8] = &[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];
/// PUBREL and PUBCOMP reason codes (5.0 §3.6.2.1, §3.7.2.1).
pub const PUBREL_V5: &[u8] = &[0x00, 0x92];
/// SUBACK reason codes (5.0 §3.9.3).
pub const SUBACK_V5: &[u8] = &[
    0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2,
];
/// SUBACK return codes (3.1.1 §3.9.3).
pub const SUBACK_V3: &[u8] = &[0x00, 0x01, 0x02, 0x80];
/// UNSUBACK reason codes (5.0 §3.11.3).
pub const UNSUBACK_V5: &[u8] = &[0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91];
/// DISCONNECT reason codes (5.0 §3.14.2.1).
pub const DISCONNECT_V5: &[u8] = &[
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94,
    0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2,
];
/// AUTH reason codes (5.0 §3.15.2.1).
pub const AUTH_V5: &[u8] = &[0x00, 0x18, 0x19];

/// The 5.0 reason-code table of a packet type (empty for packets without a reason code).
pub fn reason_table_v5(kind: PacketType) -> &'static [u8] {
    match kind {
        PacketType::ConnAck => CONNACK_V5,
        PacketType::PubAck | PacketType::PubRec => PUBACK_V5,
        PacketType::PubRel | PacketType::PubComp => PUBREL_V5,
        PacketType::SubAck => SUBACK_V5,
        PacketType::UnsubAck => UNSUBACK_V5,
        PacketType::Disconnect => DISCONNECT_V5,
        PacketType::Auth => AUTH_V5,
        _ => &[],
    }
}

/// Every packet type.
pub const PACKET_TYPES: [PacketType; 15] = [
    PacketType::Connect,
    PacketType::ConnAck,
    PacketType::Publish,
    PacketType::PubAck,
    PacketType::PubRec,
    PacketType::PubRel,
    PacketType::PubComp,
    PacketType::Subscribe,
    PacketType::SubAck,
    PacketType::Unsubscribe,
    PacketType::UnsubAck,
    PacketType::PingReq,
    PacketType::PingResp,
    PacketType::Disconnect,
    PacketType::Auth,
];

/// Whether `version` has packets of type `kind` (AUTH is 5.0 only).
pub fn has_type(version: Version, kind: PacketType) -> bool {
    kind != PacketType::Auth || version.is_v5()
}

// ---------------------------------------------------------------------------------------------
// Scalars, strings, topics

/// Any protocol version.
pub fn version() -> impl Strategy<Value = Version> + Clone {
    select(&VERSIONS[..])
}

/// The versions before 5.0.
pub fn version_v3() -> impl Strategy<Value = Version> + Clone {
    select(&[Version::V3_1, Version::V3_1_1][..])
}

/// A non-zero packet identifier.
pub fn pid() -> impl Strategy<Value = PacketId> + Clone {
    prop_oneof![
        3 => 1..=u16::MAX,
        1 => Just(1u16),
        1 => Just(u16::MAX),
    ]
    .prop_map(|id| PacketId::new(id).expect("non-zero"))
}

/// Any QoS.
pub fn qos() -> impl Strategy<Value = QoS> + Clone {
    select(&[QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce][..])
}

/// A QoS with its packet identifier.
pub fn qos_pid() -> BoxedStrategy<QosPid> {
    prop_oneof![
        Just(QosPid::AtMostOnce),
        pid().prop_map(QosPid::AtLeastOnce),
        pid().prop_map(QosPid::ExactlyOnce),
    ]
    .boxed()
}

/// A reason code from `table`.
pub fn code_from(table: &'static [u8]) -> BoxedStrategy<ReasonCode> {
    select(table).prop_map(ReasonCode).boxed()
}

/// A reason code from `table`, Success a third of the time (so the short forms show up).
pub fn code_biased(table: &'static [u8]) -> BoxedStrategy<ReasonCode> {
    prop_oneof![1 => Just(ReasonCode::SUCCESS), 2 => code_from(table)].boxed()
}

/// `strategy`, or the empty default a third of the time.
pub fn or_empty<T, S>(strategy: S) -> BoxedStrategy<T>
where
    T: Default + Clone + core::fmt::Debug + 'static,
    S: Strategy<Value = T> + 'static,
{
    prop_oneof![1 => Just(T::default()), 2 => strategy].boxed()
}

/// A UTF-8 string without U+0000: mostly ASCII, sometimes any Unicode scalar value.
pub fn string() -> BoxedStrategy<ByteString> {
    prop_oneof![
        3 => r"[a-zA-Z0-9/_ .$-]{0,8}",
        1 => r"[^\x00]{0,6}",
    ]
    .prop_map(ByteString::from)
    .boxed()
}

/// Binary data.
pub fn binary() -> BoxedStrategy<Bytes> {
    vec(any::<u8>(), 0..16).prop_map(Bytes::from).boxed()
}

/// An application payload.
pub fn payload() -> BoxedStrategy<Bytes> {
    prop_oneof![
        1 => Just(Bytes::new()),
        4 => vec(any::<u8>(), 0..64).prop_map(Bytes::from),
        1 => vec(any::<u8>(), 100..300).prop_map(Bytes::from),
    ]
    .boxed()
}

/// A non-empty topic name: no U+0000, `+` or `#`.
pub fn topic_name() -> BoxedStrategy<ByteString> {
    prop_oneof![
        4 => r"[a-z0-9_$]{1,4}(/[a-zA-Z0-9_ ]{0,4}){0,3}",
        1 => r"[^\x00+#]{1,8}",
        1 => Just("/".to_owned()),
    ]
    .prop_map(ByteString::from)
    .boxed()
}

/// One level of a topic filter: text (possibly empty) or `+`.
fn filter_level() -> BoxedStrategy<String> {
    prop_oneof![
        4 => r"[a-z0-9_]{0,4}",
        1 => r"[^\x00+#/]{1,3}",
        2 => Just("+".to_owned()),
    ]
    .boxed()
}

/// A valid topic filter that is not a shared subscription: `+` and `#` only as whole levels,
/// `#` only last.
pub fn plain_filter() -> BoxedStrategy<String> {
    prop_oneof![
        8 => (vec(filter_level(), 1..5), any::<bool>()).prop_map(|(mut levels, multi)| {
            if multi {
                levels.push("#".to_owned());
            }
            let filter = levels.join("/");
            if filter.is_empty() { "/".to_owned() } else { filter }
        }),
        1 => Just("#".to_owned()),
        1 => Just("$SYS/#".to_owned()),
    ]
    .prop_filter("a $share/ prefix makes a shared subscription", |f| {
        !f.starts_with("$share/")
    })
    .boxed()
}

/// A shared subscription filter `$share/{group}/{filter}` (5.0 §4.8.2).
pub fn shared_filter() -> BoxedStrategy<String> {
    (
        prop_oneof![3 => r"[a-z0-9_]{1,4}", 1 => r"[^\x00+#/]{1,3}"],
        plain_filter(),
    )
        .prop_map(|(group, filter)| format!("$share/{group}/{filter}"))
        .boxed()
}

/// A valid topic filter for `version`. Shared subscriptions are 5.0 filters; before 5.0
/// `$share/...` is an ordinary filter, which the strategy also produces.
pub fn topic_filter() -> BoxedStrategy<ByteString> {
    prop_oneof![4 => plain_filter(), 1 => shared_filter()]
        .prop_map(ByteString::from)
        .boxed()
}

/// Whether a 5.0 decoder reads `filter` as a shared subscription.
pub fn is_shared(filter: &str) -> bool {
    filter.starts_with("$share/")
}

// ---------------------------------------------------------------------------------------------
// 5.0 property sets

/// User Properties: 0 to 2 string pairs.
pub fn user_properties() -> BoxedStrategy<Vec<(ByteString, ByteString)>> {
    vec((string(), string()), 0..3).boxed()
}

fn nonzero_u16() -> BoxedStrategy<u16> {
    prop_oneof![3 => 1..=u16::MAX, 1 => Just(1u16), 1 => Just(u16::MAX)].boxed()
}

fn nonzero_u32() -> BoxedStrategy<u32> {
    prop_oneof![3 => 1..=u32::MAX, 1 => Just(1u32), 1 => Just(u32::MAX)].boxed()
}

fn any_u32() -> BoxedStrategy<u32> {
    prop_oneof![3 => any::<u32>(), 1 => Just(0u32), 1 => Just(u32::MAX)].boxed()
}

/// A Subscription Identifier: 1 to 268,435,455, varint lengths 1 to 4.
pub fn subscription_id() -> BoxedStrategy<u32> {
    prop_oneof![
        2 => 1..=127u32,
        1 => 128..=16_383u32,
        1 => 16_384..=2_097_151u32,
        1 => 2_097_152..=268_435_455u32,
        1 => Just(268_435_455u32),
    ]
    .boxed()
}

/// Authentication Method and Data: the data only with a method.
fn authentication() -> BoxedStrategy<(Option<ByteString>, Option<Bytes>)> {
    (option::of(string()), option::of(binary()))
        .prop_map(|(method, data)| {
            let data = if method.is_some() { data } else { None };
            (method, data)
        })
        .boxed()
}

/// CONNECT properties (§3.1.2.11).
pub fn connect_properties() -> BoxedStrategy<ConnectProperties> {
    (
        option::of(any_u32()),
        option::of(nonzero_u16()),
        option::of(nonzero_u32()),
        option::of(any::<u16>()),
        option::of(any::<bool>()),
        option::of(any::<bool>()),
        user_properties(),
        authentication(),
    )
        .prop_map(
            |(sei, rm, mps, tam, rri, rpi, user_properties, (method, data))| {
                ConnectPropertiesBuilder {
                    session_expiry_interval: sei,
                    receive_maximum: rm,
                    maximum_packet_size: mps,
                    topic_alias_maximum: tam,
                    request_response_information: rri,
                    request_problem_information: rpi,
                    user_properties,
                    authentication_method: method,
                    authentication_data: data,
                }
                .build()
                .unwrap()
            },
        )
        .boxed()
}

/// Will properties (§3.1.3.2).
pub fn will_properties() -> BoxedStrategy<WillProperties> {
    (
        option::of(any_u32()),
        option::of(any::<bool>()),
        option::of(any_u32()),
        option::of(string()),
        option::of(topic_name()),
        option::of(binary()),
        user_properties(),
    )
        .prop_map(
            |(wdi, pfi, mei, content_type, response_topic, correlation_data, user_properties)| {
                WillPropertiesBuilder {
                    will_delay_interval: wdi,
                    payload_format_indicator: pfi,
                    message_expiry_interval: mei,
                    content_type,
                    response_topic,
                    correlation_data,
                    user_properties,
                }
                .build()
                .unwrap()
            },
        )
        .boxed()
}

/// CONNACK properties (§3.2.2.3).
pub fn connack_properties() -> BoxedStrategy<ConnAckProperties> {
    (
        (
            option::of(any_u32()),
            option::of(nonzero_u16()),
            option::of(select(&[QoS::AtMostOnce, QoS::AtLeastOnce][..])),
            option::of(any::<bool>()),
            option::of(nonzero_u32()),
            option::of(string()),
            option::of(any::<u16>()),
            option::of(string()),
        ),
        (
            user_properties(),
            option::of(any::<bool>()),
            option::of(any::<bool>()),
            option::of(any::<bool>()),
            option::of(any::<u16>()),
            option::of(string()),
            option::of(string()),
            authentication(),
        ),
    )
        .prop_map(
            |(
                (sei, rm, mq, ra, mps, aci, tam, rs),
                (user_properties, wsa, sia, ssa, ska, ri, sr, (method, data)),
            )| {
                ConnAckPropertiesBuilder {
                    session_expiry_interval: sei,
                    receive_maximum: rm,
                    maximum_qos: mq,
                    retain_available: ra,
                    maximum_packet_size: mps,
                    assigned_client_identifier: aci,
                    topic_alias_maximum: tam,
                    reason_string: rs,
                    user_properties,
                    wildcard_subscription_available: wsa,
                    subscription_identifier_available: sia,
                    shared_subscription_available: ssa,
                    server_keep_alive: ska,
                    response_information: ri,
                    server_reference: sr,
                    authentication_method: method,
                    authentication_data: data,
                }
                .build()
                .unwrap()
            },
        )
        .boxed()
}

/// PUBLISH properties (§3.3.2.3).
pub fn publish_properties() -> BoxedStrategy<PublishProperties> {
    (
        option::of(any::<bool>()),
        option::of(any_u32()),
        option::of(nonzero_u16()),
        option::of(topic_name()),
        option::of(binary()),
        user_properties(),
        vec(subscription_id(), 0..3),
        option::of(string()),
    )
        .prop_map(
            |(pfi, mei, alias, response_topic, correlation_data, user_properties, ids, ct)| {
                PublishPropertiesBuilder {
                    payload_format_indicator: pfi,
                    message_expiry_interval: mei,
                    topic_alias: alias,
                    response_topic,
                    correlation_data,
                    user_properties,
                    subscription_identifiers: ids,
                    content_type: ct,
                }
                .build()
                .unwrap()
            },
        )
        .boxed()
}

/// Properties of PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK and UNSUBACK.
pub fn ack_properties() -> BoxedStrategy<AckProperties> {
    (option::of(string()), user_properties())
        .prop_map(|(reason_string, user_properties)| {
            AckPropertiesBuilder {
                reason_string,
                user_properties,
            }
            .build()
            .unwrap()
        })
        .boxed()
}

/// SUBSCRIBE properties (§3.8.2.1).
pub fn subscribe_properties() -> BoxedStrategy<SubscribeProperties> {
    (option::of(subscription_id()), user_properties())
        .prop_map(|(id, user_properties)| {
            SubscribePropertiesBuilder {
                subscription_identifier: id,
                user_properties,
            }
            .build()
            .unwrap()
        })
        .boxed()
}

/// UNSUBSCRIBE properties (§3.10.2.1).
pub fn unsubscribe_properties() -> BoxedStrategy<UnsubscribeProperties> {
    user_properties()
        .prop_map(|user_properties| {
            UnsubscribePropertiesBuilder { user_properties }
                .build()
                .unwrap()
        })
        .boxed()
}

/// DISCONNECT properties (§3.14.2.2).
pub fn disconnect_properties() -> BoxedStrategy<DisconnectProperties> {
    (
        option::of(any_u32()),
        option::of(string()),
        user_properties(),
        option::of(string()),
    )
        .prop_map(|(sei, rs, user_properties, sr)| {
            DisconnectPropertiesBuilder {
                session_expiry_interval: sei,
                reason_string: rs,
                user_properties,
                server_reference: sr,
            }
            .build()
            .unwrap()
        })
        .boxed()
}

/// AUTH properties (§3.15.2.2).
pub fn auth_properties() -> BoxedStrategy<AuthProperties> {
    (authentication(), option::of(string()), user_properties())
        .prop_map(|((method, data), rs, user_properties)| {
            AuthPropertiesBuilder {
                authentication_method: method,
                authentication_data: data,
                reason_string: rs,
                user_properties,
            }
            .build()
            .unwrap()
        })
        .boxed()
}

/// `strategy` on 5.0 (empty a third of the time), the empty default before.
fn props_for<T, S>(version: Version, strategy: S) -> BoxedStrategy<T>
where
    T: Default + Clone + core::fmt::Debug + 'static,
    S: Strategy<Value = T> + 'static,
{
    if version.is_v5() {
        or_empty(strategy)
    } else {
        Just(T::default()).boxed()
    }
}

// ---------------------------------------------------------------------------------------------
// Packets

/// A will message for `version`.
pub fn will(version: Version) -> BoxedStrategy<Will> {
    (
        qos(),
        any::<bool>(),
        props_for(version, will_properties()),
        topic_name(),
        binary(),
    )
        .prop_map(|(qos, retain, properties, topic, payload)| Will {
            qos,
            retain,
            properties,
            topic: TopicName::try_from(topic).unwrap(),
            payload,
        })
        .boxed()
}

/// CONNECT in the layout of `version` (3.1 `MQIsdp`/3, 3.1.1 `MQTT`/4, 5.0 `MQTT`/5).
pub fn connect(version: Version) -> BoxedStrategy<Connect> {
    (
        any::<bool>(),
        any::<u16>(),
        props_for(version, connect_properties()),
        string(),
        option::of(will(version)),
        option::of(string()),
        option::of(binary()),
    )
        .prop_map(
            move |(clean_start, keep_alive, properties, client_id, will, username, password)| {
                let mut connect = Connect {
                    protocol: version,
                    clean_start,
                    keep_alive,
                    properties,
                    client_id,
                    will,
                    username,
                    password,
                };
                if !version.is_v5() {
                    // [MQTT-3.1.2-22]: a password needs a user name before 5.0.
                    if connect.username.is_none() {
                        connect.password = None;
                    }
                    // [MQTT-3.1.3-7]: an empty client identifier needs Clean Session.
                    if connect.client_id.is_empty() {
                        connect.clean_start = true;
                    }
                }
                connect
            },
        )
        .boxed()
}

/// CONNACK for `version`: Session Present only with Success.
pub fn connack(version: Version) -> BoxedStrategy<ConnAck> {
    let table = if version.is_v5() {
        CONNACK_V5
    } else {
        CONNACK_V3
    };
    (
        any::<bool>(),
        code_biased(table),
        props_for(version, connack_properties()),
    )
        .prop_map(|(session_present, reason_code, properties)| ConnAck {
            session_present: session_present && reason_code == ReasonCode::SUCCESS,
            reason_code,
            properties,
        })
        .boxed()
}

/// PUBLISH for `version`: DUP only with QoS 1 or 2; on 5.0 an empty topic name only with a
/// Topic Alias.
pub fn publish(version: Version) -> BoxedStrategy<Publish> {
    let topic = if version.is_v5() {
        prop_oneof![6 => topic_name(), 1 => Just(ByteString::new())].boxed()
    } else {
        topic_name()
    };
    (
        any::<bool>(),
        qos_pid(),
        any::<bool>(),
        topic,
        props_for(version, publish_properties()),
        payload(),
    )
        .prop_map(|(dup, qos, retain, topic, mut properties, payload)| {
            if topic.is_empty() && properties.topic_alias().is_none() {
                set_property!(properties, topic_alias, Some(1));
            }
            Publish {
                dup: dup && qos != QosPid::AtMostOnce,
                qos,
                retain,
                topic: if topic.is_empty() {
                    TopicName::empty_for_alias()
                } else {
                    TopicName::try_from(topic).unwrap()
                },
                properties,
                payload,
            }
        })
        .boxed()
}

/// The body of PUBACK, PUBREC, PUBREL or PUBCOMP (`kind`) for `version`.
pub fn ack(kind: PacketType, version: Version) -> BoxedStrategy<Ack> {
    let code = if version.is_v5() {
        code_biased(reason_table_v5(kind))
    } else {
        Just(ReasonCode::SUCCESS).boxed()
    };
    (pid(), code, props_for(version, ack_properties()))
        .prop_map(|(pid, reason_code, properties)| Ack {
            pid,
            reason_code,
            properties,
        })
        .boxed()
}

/// SUBSCRIBE for `version`: 1 to 4 filters; 5.0 options only on 5.0; no No Local on a shared
/// subscription ([MQTT-3.8.3-4]).
pub fn subscribe(version: Version) -> BoxedStrategy<Subscribe> {
    let options = if version.is_v5() {
        (
            qos(),
            any::<bool>(),
            any::<bool>(),
            select(
                &[
                    RetainHandling::SendAtSubscribe,
                    RetainHandling::SendIfNew,
                    RetainHandling::DoNotSend,
                ][..],
            ),
        )
            .prop_map(
                |(qos, no_local, retain_as_published, retain_handling)| SubscriptionOptions {
                    qos,
                    no_local,
                    retain_as_published,
                    retain_handling,
                },
            )
            .boxed()
    } else {
        qos().prop_map(SubscriptionOptions::qos).boxed()
    };
    (
        pid(),
        props_for(version, subscribe_properties()),
        vec((topic_filter(), options), 1..5),
    )
        .prop_map(move |(pid, properties, mut filters)| {
            for (filter, options) in &mut filters {
                if version.is_v5() && is_shared(filter) {
                    options.no_local = false;
                }
            }
            Subscribe {
                pid,
                properties,
                filters: subscribe_filters(filters),
            }
        })
        .boxed()
}

/// SUBACK for `version`: 1 to 4 codes.
pub fn suback(version: Version) -> BoxedStrategy<SubAck> {
    let table = if version.is_v5() {
        SUBACK_V5
    } else {
        SUBACK_V3
    };
    (
        pid(),
        props_for(version, ack_properties()),
        vec(code_from(table), 1..5),
    )
        .prop_map(|(pid, properties, reason_codes)| SubAck {
            pid,
            properties,
            reason_codes,
        })
        .boxed()
}

/// The filter block of a SUBSCRIBE from generated filters and options.
pub fn subscribe_filters(filters: Vec<(ByteString, SubscriptionOptions)>) -> SubscribeFilters {
    SubscribeFilters::try_from_iter(
        filters
            .into_iter()
            .map(|(f, o)| (TopicFilter::try_from(f).unwrap(), o)),
    )
    .unwrap()
}

/// UNSUBSCRIBE for `version`: 1 to 4 filters.
pub fn unsubscribe(version: Version) -> BoxedStrategy<Unsubscribe> {
    (
        pid(),
        props_for(version, unsubscribe_properties()),
        vec(topic_filter(), 1..5),
    )
        .prop_map(|(pid, properties, filters)| Unsubscribe {
            pid,
            properties,
            filters: UnsubscribeFilters::try_from_iter(
                filters
                    .into_iter()
                    .map(|f| TopicFilter::try_from(f).unwrap()),
            )
            .unwrap(),
        })
        .boxed()
}

/// UNSUBACK for `version`: 1 to 4 codes on 5.0, none before.
pub fn unsuback(version: Version) -> BoxedStrategy<UnsubAck> {
    let codes = if version.is_v5() {
        vec(code_from(UNSUBACK_V5), 1..5).boxed()
    } else {
        Just(Vec::new()).boxed()
    };
    (pid(), props_for(version, ack_properties()), codes)
        .prop_map(|(pid, properties, reason_codes)| UnsubAck {
            pid,
            properties,
            reason_codes,
        })
        .boxed()
}

/// DISCONNECT for `version`.
pub fn disconnect(version: Version) -> BoxedStrategy<Disconnect> {
    if !version.is_v5() {
        return Just(Disconnect::default()).boxed();
    }
    (
        code_biased(DISCONNECT_V5),
        or_empty(disconnect_properties()),
    )
        .prop_map(|(reason_code, properties)| Disconnect {
            reason_code,
            properties,
        })
        .boxed()
}

/// AUTH (5.0 only): every AUTH but the empty Success carries an Authentication Method
/// (§3.15.2.2.2).
pub fn auth() -> BoxedStrategy<Auth> {
    (code_biased(AUTH_V5), or_empty(auth_properties()), string())
        .prop_map(|(reason_code, mut properties, method)| {
            let empty = reason_code == ReasonCode::SUCCESS && properties.is_empty();
            if !empty && properties.authentication_method().is_none() {
                set_property!(properties, authentication_method, Some(method));
            }
            Auth {
                reason_code,
                properties,
            }
        })
        .boxed()
}

/// Wraps an ack body in the packet variant of `kind`.
pub fn ack_packet(kind: PacketType, ack: Ack) -> Packet {
    match kind {
        PacketType::PubAck => Packet::PubAck(ack),
        PacketType::PubRec => Packet::PubRec(ack),
        PacketType::PubRel => Packet::PubRel(ack),
        PacketType::PubComp => Packet::PubComp(ack),
        _ => panic!("{kind} is not a PUBLISH acknowledgement"),
    }
}

/// A valid packet of type `kind` for `version`. Panics for AUTH before 5.0.
pub fn packet_of(kind: PacketType, version: Version) -> BoxedStrategy<Packet> {
    match kind {
        PacketType::Connect => connect(version).prop_map(Packet::from).boxed(),
        PacketType::ConnAck => connack(version).prop_map(Packet::from).boxed(),
        PacketType::Publish => publish(version).prop_map(Packet::Publish).boxed(),
        PacketType::PubAck | PacketType::PubRec | PacketType::PubRel | PacketType::PubComp => {
            ack(kind, version)
                .prop_map(move |a| ack_packet(kind, a))
                .boxed()
        }
        PacketType::Subscribe => subscribe(version).prop_map(Packet::Subscribe).boxed(),
        PacketType::SubAck => suback(version).prop_map(Packet::SubAck).boxed(),
        PacketType::Unsubscribe => unsubscribe(version).prop_map(Packet::Unsubscribe).boxed(),
        PacketType::UnsubAck => unsuback(version).prop_map(Packet::UnsubAck).boxed(),
        PacketType::PingReq => Just(Packet::PingReq).boxed(),
        PacketType::PingResp => Just(Packet::PingResp).boxed(),
        PacketType::Disconnect => disconnect(version).prop_map(Packet::Disconnect).boxed(),
        PacketType::Auth => {
            assert!(version.is_v5(), "AUTH exists only in 5.0");
            auth().prop_map(Packet::Auth).boxed()
        }
    }
}

/// A valid packet of any type `version` has.
pub fn packet(version: Version) -> BoxedStrategy<Packet> {
    let kinds: Vec<PacketType> = PACKET_TYPES
        .into_iter()
        .filter(|&kind| has_type(version, kind))
        .collect();
    proptest::strategy::Union::new(kinds.into_iter().map(move |kind| packet_of(kind, version)))
        .boxed()
}

/// A version that has `kind`, with a valid packet of that type for it.
pub fn versioned(kind: PacketType) -> BoxedStrategy<(Version, Packet)> {
    let versions: Vec<Version> = VERSIONS
        .into_iter()
        .filter(|&v| has_type(v, kind))
        .collect();
    select(versions)
        .prop_flat_map(move |v| (Just(v), packet_of(kind, v)))
        .boxed()
}

/// A version with 1 to `max - 1` valid packets of any type for it.
pub fn packet_stream(max: usize) -> BoxedStrategy<(Version, Vec<Packet>)> {
    version()
        .prop_flat_map(move |v| (Just(v), vec(packet(v), 1..max)))
        .boxed()
}

// ---------------------------------------------------------------------------------------------
// Packets only 5.0 can carry

/// A packet of type `kind` that 3.1/3.1.1 (`version`) cannot carry because of something only
/// 5.0 has: properties (CONNECT, will, CONNACK, PUBLISH, every ack, SUBSCRIBE, UNSUBSCRIBE,
/// DISCONNECT), a reason code other than Success (acks, DISCONNECT) or outside the 3.1.1 set
/// (CONNACK, SUBACK), UNSUBACK reason codes, 5.0 subscription options, or AUTH itself.
pub fn v5_only(kind: PacketType, version: Version) -> BoxedStrategy<Packet> {
    let reason = || Some(ByteString::from_static("why"));
    match kind {
        PacketType::Connect => (connect(Version::V5), any::<bool>(), 1..=u32::MAX)
            .prop_map(move |(mut c, in_will, delay)| {
                c.protocol = version;
                if c.properties.is_empty()
                    && c.will.as_ref().is_none_or(|w| w.properties.is_empty())
                {
                    match &mut c.will {
                        Some(will) if in_will => {
                            set_property!(will.properties, will_delay_interval, Some(delay))
                        }
                        _ => set_property!(c.properties, session_expiry_interval, Some(delay)),
                    }
                }
                Packet::from(c)
            })
            .boxed(),
        PacketType::ConnAck => connack(Version::V5)
            .prop_map(move |mut c| {
                if c.properties.is_empty() && CONNACK_V3.contains(&c.reason_code.0) {
                    set_property!(c.properties, reason_string, reason());
                }
                Packet::from(c)
            })
            .boxed(),
        PacketType::Publish => (publish(Version::V5), 1..=u32::MAX)
            .prop_map(|(mut p, expiry)| {
                if p.properties.is_empty() {
                    set_property!(p.properties, message_expiry_interval, Some(expiry));
                }
                Packet::Publish(p)
            })
            .boxed(),
        PacketType::PubAck | PacketType::PubRec | PacketType::PubRel | PacketType::PubComp => {
            ack(kind, Version::V5)
                .prop_map(move |mut a| {
                    if a.properties.is_empty() && a.reason_code == ReasonCode::SUCCESS {
                        set_property!(a.properties, reason_string, reason());
                    }
                    ack_packet(kind, a)
                })
                .boxed()
        }
        PacketType::Subscribe => subscribe(Version::V5)
            .prop_map(|mut s| {
                let mut filters: Vec<_> = s.filters.iter().collect();
                let v3_options = filters
                    .iter()
                    .all(|(_, o)| *o == SubscriptionOptions::qos(o.qos));
                if s.properties.is_empty() && v3_options {
                    filters[0].1.retain_as_published = true;
                    s.filters = SubscribeFilters::try_from_iter(filters).unwrap();
                }
                Packet::Subscribe(s)
            })
            .boxed(),
        PacketType::SubAck => suback(Version::V5)
            .prop_map(move |mut s| {
                let v3_codes = s.reason_codes.iter().all(|c| SUBACK_V3.contains(&c.0));
                if s.properties.is_empty() && v3_codes {
                    set_property!(s.properties, reason_string, reason());
                }
                Packet::SubAck(s)
            })
            .boxed(),
        PacketType::Unsubscribe => unsubscribe(Version::V5)
            .prop_map(|mut u| {
                if u.properties.is_empty() {
                    let pair = (ByteString::from_static("k"), ByteString::from_static("v"));
                    set_property!(u.properties, user_properties, vec![pair]);
                }
                Packet::Unsubscribe(u)
            })
            .boxed(),
        // A 5.0 UNSUBACK always has at least one reason code; 3.1.1 has none.
        PacketType::UnsubAck => unsuback(Version::V5).prop_map(Packet::UnsubAck).boxed(),
        PacketType::Disconnect => disconnect(Version::V5)
            .prop_map(move |mut d| {
                if d.properties.is_empty() && d.reason_code == ReasonCode::SUCCESS {
                    set_property!(d.properties, reason_string, reason());
                }
                Packet::Disconnect(d)
            })
            .boxed(),
        PacketType::Auth => auth().prop_map(Packet::Auth).boxed(),
        PacketType::PingReq | PacketType::PingResp => {
            panic!("{kind} is the same in every version")
        }
    }
}

/// A version before 5.0 and a packet it cannot carry.
pub fn v5_only_packet() -> BoxedStrategy<(Version, Packet)> {
    let kinds: Vec<PacketType> = PACKET_TYPES
        .into_iter()
        .filter(|k| !matches!(k, PacketType::PingReq | PacketType::PingResp))
        .collect();
    (version_v3(), select(kinds))
        .prop_flat_map(|(v, kind)| (Just(v), v5_only(kind, v)))
        .boxed()
}
