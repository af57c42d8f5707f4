//! The server session against a scripted client, one test per rule. Each test names the
//! statement ids of `checklist.md` it checks, with the version whose numbering it uses (the
//! 3.1.1 and 5.0 numberings differ); a test that runs on both versions names both ids where they
//! differ.
//!
//! The client side decodes exactly the bytes the session hands to `poll_transmit`, with a
//! decoder told the packets come from a server, so every byte the session sends is also checked
//! by the codec's sender rules, and against the client's Maximum Packet Size.

#![allow(
    clippy::field_reassign_with_default,
    reason = "property builders are filled field by field, as an application fills them"
)]

mod common;

use bytes::Bytes;
use common::scripted_client::{
    ScriptedClient, ack, client_publish, closed, connect, connect_with, msg, pid, publishes,
};
use mqtt_wire::session::{
    Accept, AckMode, AckToken, AliasPolicy, CommandError, ConnectionError, Instant, Message,
    PublishError, PublishFailure, ServerConfig, ServerEvent, SessionState, StateError, Status,
    WillAction,
};
use mqtt_wire::{
    AckProperties, AckPropertiesBuilder, Auth, AuthPropertiesBuilder, ByteString,
    ConnAckProperties, ConnAckPropertiesBuilder, Connect, ConnectProperties,
    ConnectPropertiesBuilder, Disconnect, DisconnectProperties, DisconnectPropertiesBuilder,
    EncodeError, Packet, PacketId, Publish, PublishProperties, PublishPropertiesBuilder, QoS,
    QosPid, ReasonCode, SubAck, Subscribe, SubscribeFilters, SubscribeProperties,
    SubscriptionOptions, TopicFilter, TopicName, UnsubAck, Unsubscribe, UnsubscribeFilters,
    UnsubscribeProperties, Version, Will,
};
use std::time::Duration;

const VERSIONS: [Version; 2] = [Version::V3_1_1, Version::V5];

fn config() -> ServerConfig {
    ServerConfig::default()
}

fn connect_props(build: impl FnOnce(&mut ConnectPropertiesBuilder)) -> ConnectProperties {
    let mut b = ConnectPropertiesBuilder::default();
    build(&mut b);
    b.build().expect("valid CONNECT properties")
}

fn connack_props(build: impl FnOnce(&mut ConnAckPropertiesBuilder)) -> ConnAckPropertiesBuilder {
    let mut b = ConnAckPropertiesBuilder::default();
    build(&mut b);
    b
}

fn ack_props(reason: &str) -> AckProperties {
    let mut b = AckPropertiesBuilder::default();
    b.reason_string = Some(ByteString::from(reason));
    b.user_properties = vec![("k".into(), "v".into())];
    b.build().expect("valid ack properties")
}

fn publish_props(build: impl FnOnce(&mut PublishPropertiesBuilder)) -> PublishProperties {
    let mut b = PublishPropertiesBuilder::default();
    build(&mut b);
    b.build().expect("valid PUBLISH properties")
}

/// A CONNECT whose session outlives the connection: 5.0 Clean Start 0 with Session Expiry
/// Interval 3600, or 3.1.1 Clean Session 0.
fn lasting_connect(version: Version) -> Connect {
    if version.is_v5() {
        connect_with(
            version,
            false,
            0,
            connect_props(|p| p.session_expiry_interval = Some(3600)),
        )
    } else {
        connect_with(version, false, 0, ConnectProperties::default())
    }
}

fn filters(names: &[&'static str]) -> SubscribeFilters {
    SubscribeFilters::try_from_iter(names.iter().map(|n| {
        (
            TopicFilter::from_static(n).expect("valid filter"),
            SubscriptionOptions::qos(QoS::AtLeastOnce),
        )
    }))
    .expect("filters")
}

fn unfilters(names: &[&'static str]) -> UnsubscribeFilters {
    UnsubscribeFilters::try_from_iter(
        names
            .iter()
            .map(|n| TopicFilter::from_static(n).expect("valid filter")),
    )
    .expect("filters")
}

fn subscribe_packet(n: u16, names: &[&'static str]) -> Packet {
    Packet::Subscribe(Subscribe {
        pid: pid(n),
        properties: SubscribeProperties::default(),
        filters: filters(names),
    })
}

fn unsubscribe_packet(n: u16, names: &[&'static str]) -> Packet {
    Packet::Unsubscribe(Unsubscribe {
        pid: pid(n),
        properties: UnsubscribeProperties::default(),
        filters: unfilters(names),
    })
}

fn will(topic: &'static str) -> Will {
    Will::new(
        TopicName::from_static(topic).expect("valid topic"),
        Bytes::from_static(b"gone"),
    )
}

/// The token of a `Publish` event.
fn token(event: &ServerEvent) -> AckToken {
    match event {
        ServerEvent::Publish { ack: Some(t), .. } => *t,
        other => panic!("a QoS 1/2 Publish event expected: {other:?}"),
    }
}

/// The topics of the `Publish` events among `events`.
fn received_topics(events: &[ServerEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Publish { publish, .. } => Some(publish.topic.to_string()),
            _ => None,
        })
        .collect()
}

/// The `Delivered` events among `events`: id number and reason.
fn delivered(events: &[ServerEvent]) -> Vec<(u64, ReasonCode)> {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Delivered { id, reason, .. } => Some((id.get(), *reason)),
            _ => None,
        })
        .collect()
}

/// The `Dropped` events among `events`: id number and why.
fn dropped(events: &[ServerEvent]) -> Vec<(u64, PublishFailure)> {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Dropped { id, reason } => Some((id.get(), reason.clone())),
            _ => None,
        })
        .collect()
}

/// Asserts that the session reported a protocol violation naming `rule_id`, sent (5.0) a
/// DISCONNECT with `reason` and nothing else, and waits to be closed.
fn assert_violation(s: &mut ScriptedClient, reason: ReasonCode, rule_id: &str) {
    let sent = s.sent();
    if s.version.is_v5() {
        assert_eq!(
            sent,
            vec![Packet::disconnect_with(reason)],
            "DISCONNECT {reason:?} expected"
        );
    } else {
        assert!(sent.is_empty(), "3.1.1 closes without a packet: {sent:?}");
    }
    let events = s.events();
    match closed(&events).0 {
        ConnectionError::Protocol { reason: r, rule } => {
            assert_eq!(r, reason);
            assert!(rule.contains(rule_id), "{rule} names {rule_id}");
        }
        other => panic!("a protocol violation expected: {other:?}"),
    }
    assert!(s.server.should_close());
    assert_eq!(s.server.status(), Status::Closing);
}

// ================================================================ handshake

/// [MQTT-3.1.0-1] (both): the first packet must be CONNECT; anything else closes the
/// connection without a CONNACK.
#[test]
fn first_packet_other_than_connect_closes_without_connack_mqtt_3_1_0_1() {
    for first in [
        Packet::PingReq,
        Packet::Publish(client_publish("t", QosPid::AtMostOnce)),
        subscribe_packet(1, &["a"]),
    ] {
        let mut s = ScriptedClient::new(config());
        s.feed(first.clone());
        assert!(s.sent().is_empty(), "nothing answers {first:?}");
        let events = s.events();
        match closed(&events) {
            (ConnectionError::Protocol { rule, .. }, WillAction::None, 0) => {
                assert!(rule.contains("[MQTT-3.1.0-1]"), "{rule}");
            }
            other => panic!("{other:?}"),
        }
        assert!(s.server.should_close());
        // Nothing more is read.
        s.feed(Packet::Connect(Box::new(connect(Version::V5, 0))));
        assert!(s.events().is_empty());
        assert!(s.sent().is_empty());
    }
}

/// [MQTT-3.1.0-2] (both): a second CONNECT is a protocol violation: 5.0 DISCONNECT 0x82, 3.1.1
/// closes.
#[test]
fn second_connect_is_a_protocol_error_mqtt_3_1_0_2() {
    for version in VERSIONS {
        let mut s = ScriptedClient::connected(version, config());
        s.feed(Packet::Connect(Box::new(connect(version, 0))));
        assert_violation(&mut s, ReasonCode::PROTOCOL_ERROR, "[MQTT-3.1.0-2]");
    }
}

/// §3.1.2.10 (both): a connection that sends nothing is closed at the connect timeout, no
/// CONNACK; so is one whose handshake the application never finishes.
#[test]
fn connect_timeout_closes_a_silent_connection() {
    let timeout = Duration::from_secs(3);
    let mut s = ScriptedClient::at(config().connect_timeout(timeout), 1_000);
    assert_eq!(s.server.poll_timeout(), Some(Instant::from_millis(4_000)));
    s.advance(2_999);
    assert!(s.events().is_empty());
    assert_eq!(s.server.status(), Status::Connecting);
    s.advance(1);
    assert!(s.sent().is_empty());
    let events = s.events();
    assert_eq!(
        closed(&events),
        (ConnectionError::ConnectTimeout, WillAction::None, 0)
    );
    assert!(s.server.should_close());
    assert_eq!(s.server.poll_timeout(), None);

    // A CONNECT that waits for the application's decision past the timeout.
    let mut s = ScriptedClient::new(config().connect_timeout(timeout));
    s.advance(1_000);
    s.send_connect(connect(Version::V5, 0));
    assert!(matches!(
        s.events().as_slice(),
        [ServerEvent::Connect { .. }]
    ));
    s.advance(2_000);
    assert!(s.sent().is_empty());
    assert_eq!(closed(&s.events()).0, ConnectionError::ConnectTimeout);
    let now = s.t();
    assert_eq!(
        s.server.accept(now, Accept::new()),
        Err(CommandError::WrongStatus(Status::Closing))
    );
}

/// 3.1, 3.1.1 and 5.0 on the same listener: the version is read from the CONNECT, and the
/// CONNACK ([MQTT-3.2.0-1], [MQTT-3.1.4-4] 3.1.1 / [MQTT-3.1.4-5] 5.0) is in that version.
#[test]
fn the_version_is_read_from_the_connect() {
    for (version, connack) in [
        (Version::V3_1, &b"\x20\x02\x00\x00"[..]),
        (Version::V3_1_1, b"\x20\x02\x00\x00"),
        (Version::V5, b"\x20\x03\x00\x00\x00"),
    ] {
        let mut s = ScriptedClient::new(
            config()
                .topic_alias_maximum(0)
                .maximum_packet_size(mqtt_wire::MAX_PACKET_SIZE),
        );
        assert_eq!(s.server.version(), Version::V5);
        s.send_connect(connect(version, 30));
        let events = s.events();
        match events.as_slice() {
            [ServerEvent::Connect { connect }] => {
                assert_eq!(connect.protocol, version);
                assert_eq!(connect.client_id, "c1");
                assert_eq!(connect.keep_alive, 30);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.server.version(), version);
        assert_eq!(s.server.client_id(), None);
        s.accept(Accept::new());
        assert_eq!(&s.sent_bytes()[..], connack, "{version:?}");
        assert_eq!(s.server.status(), Status::Connected);
        assert_eq!(s.server.client_id(), Some("c1"));
        // Packets of that version are read from here.
        s.feed(Packet::Publish(client_publish("a/b", QosPid::AtMostOnce)));
        assert_eq!(received_topics(&s.events()), ["a/b"]);
    }
}

/// [MQTT-3.1.2-2] (3.1.1 and 5.0): a protocol level the server does not serve is answered with
/// CONNACK return code 1 (0x84 Unsupported Protocol Version), then the connection closes.
#[test]
fn unsupported_protocol_level_gets_connack_1_mqtt_3_1_2_2() {
    let mut s = ScriptedClient::new(config());
    // CONNECT "MQTT" level 6.
    s.feed_bytes(b"\x10\x0d\x00\x04MQTT\x06\x02\x00\x3c\x00\x00\x00");
    assert_eq!(&s.sent_bytes()[..], b"\x20\x02\x00\x01");
    let events = s.events();
    match closed(&events).0 {
        ConnectionError::Refused { reason, .. } => {
            assert_eq!(reason, ReasonCode::UNSUPPORTED_PROTOCOL_VERSION)
        }
        other => panic!("{other:?}"),
    }
    assert!(s.server.should_close());
}

/// [MQTT-3.1.4-1] (both): a malformed CONNECT closes the connection without CONNACK.
#[test]
fn malformed_connect_closes_without_connack_mqtt_3_1_4_1() {
    let mut s = ScriptedClient::new(config());
    // 3.1.1 CONNECT with the reserved flag set.
    s.feed_bytes(b"\x10\x0e\x00\x04MQTT\x04\x03\x00\x3c\x00\x02c1");
    assert!(s.sent().is_empty());
    assert!(matches!(closed(&s.events()).0, ConnectionError::Decode(_)));
    assert!(s.server.should_close());
}

/// [MQTT-3.2.2-1] (3.1.1) / [MQTT-3.2.2-2] (5.0): a Clean Start CONNECT gets Session Present
/// 0, even when the application offers a stored session ([MQTT-3.1.2-6] 3.1.1 /
/// [MQTT-3.1.2-4] 5.0: it is discarded). [MQTT-3.2.2-2] (3.1.1) / [MQTT-3.2.2-3] (5.0): Clean
/// Start 0 with a stored session gets Session Present 1; [MQTT-3.2.2-3] (3.1.1): without one,
/// 0.
#[test]
fn session_present_follows_clean_start_and_the_stored_session_mqtt_3_2_2_1_mqtt_3_2_2_2() {
    for version in VERSIONS {
        let stored = || {
            let mut state = SessionState::default();
            state
                .queue(Instant::ZERO, msg("kept", QoS::AtLeastOnce), &config())
                .unwrap();
            state
        };
        // Clean start: the stored session is discarded, its message never sent.
        let mut s = ScriptedClient::new(config());
        let connack = s.establish(connect(version, 0), Accept::new().resume(stored()));
        assert!(!connack.session_present);
        assert_eq!(s.server.queued(), 0);
        assert!(s.sent().is_empty());
        // Clean start 0 with a stored session: resumed.
        let mut s = ScriptedClient::new(config());
        let connack = s.establish(lasting_connect(version), Accept::new().resume(stored()));
        assert!(connack.session_present, "{version:?}");
        assert_eq!(publishes(&s.sent()).len(), 1);
        // Clean start 0 without: a new session.
        let mut s = ScriptedClient::new(config());
        let connack = s.establish(lasting_connect(version), Accept::new());
        assert!(!connack.session_present);
    }
}

/// [MQTT-3.1.3-8] (3.1.1): an empty client identifier with Clean Session 0 is refused by the
/// session itself with CONNACK return code 2, and closed; the application never hears of it.
#[test]
fn empty_client_id_with_clean_session_0_is_refused_mqtt_3_1_3_8() {
    let mut s = ScriptedClient::new(config());
    // Encoded by hand: the encoder refuses this CONNECT ([MQTT-3.1.3-7] 3.1.1).
    s.feed_bytes(b"\x10\x0c\x00\x04MQTT\x04\x00\x00\x3c\x00\x00");
    assert_eq!(&s.sent_bytes()[..], b"\x20\x02\x00\x02");
    let events = s.events();
    assert_eq!(events.len(), 1, "{events:?}");
    match closed(&events).0 {
        ConnectionError::Refused { reason, .. } => {
            assert_eq!(reason, ReasonCode::CLIENT_IDENTIFIER_NOT_VALID)
        }
        other => panic!("{other:?}"),
    }
    assert!(s.server.should_close());
}

/// [MQTT-3.1.3-6] (both): an empty client identifier is accepted only with one assigned by the
/// application; [MQTT-3.1.3-7] (5.0) / [MQTT-3.2.2-16] (5.0): it is reported in CONNACK as the
/// Assigned Client Identifier. 3.1.1 has no way to tell the client.
#[test]
fn empty_client_id_gets_the_assigned_one_mqtt_3_1_3_6_mqtt_3_1_3_7() {
    for version in VERSIONS {
        let mut s = ScriptedClient::new(config());
        s.send_connect(Connect::new(version, "".into(), 0));
        assert!(matches!(
            s.events().as_slice(),
            [ServerEvent::Connect { .. }]
        ));
        let now = s.t();
        assert!(matches!(
            s.server.accept(now, Accept::new()),
            Err(CommandError::NotAvailable { .. })
        ));
        assert!(s.sent().is_empty(), "nothing sent for a failed accept");
        s.accept(Accept::new().assigned_client_id("auto-1".into()));
        let sent = s.sent();
        let [Packet::ConnAck(connack)] = sent.as_slice() else {
            panic!("{sent:?}")
        };
        assert_eq!(connack.reason_code, ReasonCode::SUCCESS);
        if version.is_v5() {
            assert_eq!(
                connack.properties.assigned_client_identifier(),
                Some("auto-1")
            );
        }
        assert_eq!(s.server.client_id(), Some("auto-1"));
    }
    // An identifier given by the client stands: no Assigned Client Identifier.
    let mut s = ScriptedClient::new(config());
    let connack = s.establish(
        connect(Version::V5, 0),
        Accept::new().assigned_client_id("auto-2".into()),
    );
    assert_eq!(connack.properties.assigned_client_identifier(), None);
    assert_eq!(s.server.client_id(), Some("c1"));
}

/// The limits announced in a 5.0 CONNACK come from the configuration: Receive Maximum, Maximum
/// Packet Size, Topic Alias Maximum, Maximum QoS ([MQTT-3.2.2-9]), Retain Available, the
/// availability flags, Server Keep Alive ([MQTT-3.1.2-21]) and a lowered Session Expiry
/// Interval; the application's own properties travel with them.
#[test]
fn connack_announces_the_configured_limits() {
    let c = config()
        .receive_maximum(10)
        .maximum_packet_size(4096)
        .topic_alias_maximum(5)
        .maximum_qos(QoS::AtLeastOnce)
        .retain_available(false)
        .wildcard_subscription_available(false)
        .subscription_identifier_available(false)
        .shared_subscription_available(false)
        .max_keep_alive(Some(30))
        .max_session_expiry(Some(100));
    let mut s = ScriptedClient::new(c);
    let connack = s.establish(
        connect_with(
            Version::V5,
            true,
            60,
            connect_props(|p| p.session_expiry_interval = Some(3600)),
        ),
        Accept::new().properties(connack_props(|p| {
            p.reason_string = Some("welcome".into());
            // Replaced by the configuration.
            p.receive_maximum = Some(500);
        })),
    );
    let p = &connack.properties;
    assert_eq!(p.receive_maximum(), Some(10));
    assert_eq!(p.maximum_packet_size(), Some(4096));
    assert_eq!(p.topic_alias_maximum(), Some(5));
    assert_eq!(p.maximum_qos(), Some(QoS::AtLeastOnce));
    assert_eq!(p.retain_available(), Some(false));
    assert_eq!(p.wildcard_subscription_available(), Some(false));
    assert_eq!(p.subscription_identifier_available(), Some(false));
    assert_eq!(p.shared_subscription_available(), Some(false));
    assert_eq!(p.server_keep_alive(), Some(30));
    assert_eq!(p.session_expiry_interval(), Some(100));
    assert_eq!(p.reason_string(), Some("welcome"));
    let limits = s.server.client().expect("accepted").clone();
    assert_eq!(limits.keep_alive, 30);
    assert_eq!(limits.session_expiry, 100);

    // The defaults: only the limits that differ from the protocol's defaults are sent.
    let mut s = ScriptedClient::new(config());
    let connack = s.establish(connect(Version::V5, 60), Accept::new());
    let announced: Vec<_> = connack.properties.iter().map(|(id, _)| id).collect();
    assert_eq!(
        announced,
        [
            mqtt_wire::PropertyId::MaximumPacketSize,
            mqtt_wire::PropertyId::TopicAliasMaximum
        ],
        "{:?}",
        connack.properties
    );
    assert_eq!(connack.properties.maximum_packet_size(), Some(1 << 20));
    assert_eq!(connack.properties.topic_alias_maximum(), Some(16));
}

/// [MQTT-3.2.2-7] (5.0) / [MQTT-3.2.2-5] (3.1.1): a refused CONNECT gets CONNACK with the
/// reason, then the connection closes; [MQTT-3.1.4-6] (5.0) / [MQTT-3.1.4-5] (3.1.1): nothing
/// the client sends afterwards is processed.
#[test]
fn refusal_sends_connack_then_nothing_is_processed_mqtt_3_1_4_6() {
    for version in VERSIONS {
        let mut s = ScriptedClient::new(config());
        s.send_connect(connect(version, 0));
        let _ = s.events();
        let mut props = ConnAckPropertiesBuilder::default();
        props.reason_string = Some("no".into());
        let props = props.build().unwrap();
        let now = s.t();
        s.server
            .reject(now, ReasonCode::NOT_AUTHORIZED, props.clone())
            .unwrap();
        let sent = s.sent();
        let [Packet::ConnAck(connack)] = sent.as_slice() else {
            panic!("{sent:?}")
        };
        assert_eq!(connack.reason_code, ReasonCode::NOT_AUTHORIZED);
        assert!(!connack.session_present);
        if version.is_v5() {
            assert_eq!(connack.properties, props);
        }
        assert!(s.server.should_close());
        s.feed(Packet::Publish(client_publish(
            "t",
            QosPid::AtLeastOnce(pid(1)),
        )));
        s.feed(Packet::PingReq);
        assert!(s.sent().is_empty());
        let events = s.events();
        assert_eq!(events.len(), 1, "only Closed: {events:?}");
        assert!(matches!(
            closed(&events),
            (
                ConnectionError::Refused {
                    reason: ReasonCode::NOT_AUTHORIZED,
                    ..
                },
                WillAction::None,
                0
            )
        ));
        // No second decision.
        assert_eq!(
            s.server.accept(now, Accept::new()),
            Err(CommandError::WrongStatus(Status::Closing))
        );
    }
}

/// A 3.1.1 refusal is sent as the nearest 3.1.1 return code (1 to 5), 3 Server unavailable
/// where none is nearer, and its properties are dropped; [MQTT-3.2.2-5] (3.1.1): the
/// connection then closes.
#[test]
fn reject_on_3_1_1_maps_the_reason_to_a_return_code() {
    for (reason, code) in [
        (ReasonCode::UNSUPPORTED_PROTOCOL_VERSION, 1u8),
        (ReasonCode::CLIENT_IDENTIFIER_NOT_VALID, 2),
        (ReasonCode::SERVER_UNAVAILABLE, 3),
        (ReasonCode::BAD_USER_NAME_OR_PASSWORD, 4),
        (ReasonCode::NOT_AUTHORIZED, 5),
        (ReasonCode::BANNED, 5),
        (ReasonCode::BAD_AUTHENTICATION_METHOD, 5),
        (ReasonCode::UNSPECIFIED_ERROR, 3),
        (ReasonCode::SERVER_BUSY, 3),
        (ReasonCode::USE_ANOTHER_SERVER, 3),
        (ReasonCode::QUOTA_EXCEEDED, 3),
    ] {
        let mut s = ScriptedClient::new(config());
        s.send_connect(connect(Version::V3_1_1, 0));
        let _ = s.events();
        let now = s.t();
        let mut props = ConnAckPropertiesBuilder::default();
        props.reason_string = Some("dropped on 3.1.1".into());
        s.server
            .reject(now, reason, props.build().unwrap())
            .unwrap();
        assert_eq!(&s.sent_bytes()[..], &[0x20, 0x02, 0x00, code], "{reason:?}");
        assert!(s.server.should_close());
    }
}

/// `reject` takes only CONNACK failure codes; nothing is queued otherwise.
#[test]
fn reject_refuses_codes_a_connack_cannot_carry() {
    let mut s = ScriptedClient::new(config());
    s.send_connect(connect(Version::V5, 0));
    let _ = s.events();
    let now = s.t();
    for reason in [
        ReasonCode::SUCCESS,
        ReasonCode::DISCONNECT_WITH_WILL,
        ReasonCode::KEEP_ALIVE_TIMEOUT,
    ] {
        assert!(matches!(
            s.server.reject(now, reason, ConnAckProperties::default()),
            Err(CommandError::Encode(EncodeError::InvalidReasonCode { .. }))
        ));
    }
    assert!(s.sent().is_empty());
    s.accept(Accept::new());
    assert!(matches!(s.sent().as_slice(), [Packet::ConnAck(_)]));
}

/// [MQTT-3.2.2-12] / [MQTT-3.2.2-13] (5.0): a will above the Maximum QoS, or retained without
/// retain support, is refused by the session (0x9B, 0x9A).
#[test]
fn will_the_server_cannot_honour_is_refused_mqtt_3_2_2_12_mqtt_3_2_2_13() {
    let mut w = will("w");
    w.qos = QoS::ExactlyOnce;
    let mut s = ScriptedClient::new(config().maximum_qos(QoS::AtLeastOnce));
    s.send_connect(Connect {
        will: Some(w),
        ..connect(Version::V5, 0)
    });
    let sent = s.sent();
    assert!(
        matches!(sent.as_slice(), [Packet::ConnAck(c)] if c.reason_code == ReasonCode::QOS_NOT_SUPPORTED),
        "{sent:?}"
    );
    assert_eq!(s.events().len(), 1);

    let mut w = will("w");
    w.retain = true;
    let mut s = ScriptedClient::new(config().retain_available(false));
    s.send_connect(Connect {
        will: Some(w),
        ..connect(Version::V5, 0)
    });
    let sent = s.sent();
    assert!(
        matches!(sent.as_slice(), [Packet::ConnAck(c)] if c.reason_code == ReasonCode::RETAIN_NOT_SUPPORTED),
        "{sent:?}"
    );
    assert!(s.server.should_close());
}

/// Nothing after the CONNECT is read until the application decides; then the bytes left in the
/// buffer are.
#[test]
fn input_waits_for_the_decision() {
    let mut s = ScriptedClient::new(config());
    s.feed_all([
        Packet::Connect(Box::new(connect(Version::V5, 0))),
        Packet::Publish(client_publish("early", QosPid::AtMostOnce)),
    ]);
    assert!(!s.server.wants_read());
    assert!(!s.unread.is_empty(), "the PUBLISH stays in the buffer");
    assert!(matches!(
        s.events().as_slice(),
        [ServerEvent::Connect { .. }]
    ));
    s.accept(Accept::new());
    assert!(s.unread.is_empty());
    assert_eq!(received_topics(&s.events()), ["early"]);
}

/// Decisions outside the handshake are refused.
#[test]
fn decisions_outside_the_handshake_are_refused() {
    let mut s = ScriptedClient::new(config());
    let now = s.t();
    assert_eq!(
        s.server.accept(now, Accept::new()),
        Err(CommandError::WrongStatus(Status::Connecting))
    );
    assert!(
        s.server
            .reject(
                now,
                ReasonCode::NOT_AUTHORIZED,
                ConnAckProperties::default()
            )
            .is_err()
    );
    s.establish(connect(Version::V5, 0), Accept::new());
    let now = s.t();
    assert_eq!(
        s.server.accept(now, Accept::new()),
        Err(CommandError::WrongStatus(Status::Connected))
    );
    assert!(
        s.server
            .reject(
                now,
                ReasonCode::NOT_AUTHORIZED,
                ConnAckProperties::default()
            )
            .is_err()
    );
    assert!(s.sent().is_empty());
}

// ================================================================ keep alive

/// [MQTT-3.1.2-22] (5.0) / [MQTT-3.1.2-24] (3.1.1): a client silent for one and a half times its
/// keep alive is disconnected: 5.0 DISCONNECT 0x8D, 3.1.1 closed; the will is due.
#[test]
fn silent_client_is_closed_after_one_and_a_half_keep_alives_mqtt_3_1_2_22_mqtt_3_1_2_24() {
    for version in VERSIONS {
        let mut s = ScriptedClient::at(config(), 500);
        s.establish(
            Connect {
                will: Some(will("will/t")),
                ..connect(version, 10)
            },
            Accept::new(),
        );
        assert_eq!(s.server.poll_timeout(), Some(Instant::from_millis(15_500)));
        s.advance(14_999);
        assert!(s.sent().is_empty());
        assert!(s.events().is_empty());
        s.advance(1);
        let sent = s.sent();
        if version.is_v5() {
            assert_eq!(
                sent,
                vec![Packet::disconnect_with(ReasonCode::KEEP_ALIVE_TIMEOUT)]
            );
        } else {
            assert!(sent.is_empty());
        }
        let events = s.events();
        let (error, will, _) = closed(&events);
        assert_eq!(error, ConnectionError::KeepAliveTimeout);
        assert!(
            matches!(&will, WillAction::Publish { message, delay: 0 } if message.topic == "will/t"),
            "{will:?}"
        );
        assert!(s.server.should_close());
        assert_eq!(s.server.poll_timeout(), None);
    }
}

/// [MQTT-3.1.2-22] (5.0): every packet received restarts the keep-alive time, PINGREQ included,
/// which is answered by PINGRESP ([MQTT-3.12.4-1]).
#[test]
fn any_packet_restarts_keep_alive_and_pingreq_gets_pingresp_mqtt_3_12_4_1() {
    for version in VERSIONS {
        let mut s = ScriptedClient::new(config());
        s.establish(connect(version, 10), Accept::new());
        s.advance(10_000);
        s.feed(Packet::PingReq);
        assert_eq!(s.sent(), vec![Packet::PingResp]);
        assert_eq!(s.server.poll_timeout(), Some(Instant::from_millis(25_000)));
        s.advance(14_000);
        s.feed(Packet::Publish(client_publish("t", QosPid::AtMostOnce)));
        assert_eq!(s.server.poll_timeout(), Some(Instant::from_millis(39_000)));
        s.advance(14_999);
        assert_eq!(s.server.status(), Status::Connected);
    }
}

/// §3.1.2.10 (both): keep alive 0 turns the mechanism off.
#[test]
fn keep_alive_zero_runs_no_timer() {
    let mut s = ScriptedClient::connected(Version::V5, config());
    assert_eq!(s.server.poll_timeout(), None);
    s.advance(1_000_000_000);
    assert_eq!(s.server.status(), Status::Connected);
}

/// [MQTT-3.1.2-21] / [MQTT-3.2.2-21] (5.0): the Server Keep Alive replaces the client's keep
/// alive, for a client that asked for none as for one that asked for more; [MQTT-3.2.2-22]
/// (5.0): without it the client's stands. 3.1.1 cannot tell the client, so its value stands.
#[test]
fn server_keep_alive_replaces_the_clients_mqtt_3_1_2_21() {
    for (asked, granted, sent) in [
        (0u16, 20u64, Some(20u16)),
        (60, 20, Some(20)),
        (10, 10, None),
    ] {
        let mut s = ScriptedClient::new(config().max_keep_alive(Some(20)));
        let connack = s.establish(connect(Version::V5, asked), Accept::new());
        assert_eq!(connack.properties.server_keep_alive(), sent);
        assert_eq!(
            s.server.poll_timeout(),
            Some(Instant::from_millis(granted * 1500))
        );
    }
    let mut s = ScriptedClient::new(config().max_keep_alive(Some(20)));
    s.establish(connect(Version::V3_1_1, 60), Accept::new());
    assert_eq!(s.server.poll_timeout(), Some(Instant::from_millis(90_000)));
}

// ================================================================ messages from the client

fn manual_v(version: Version) -> ScriptedClient {
    ScriptedClient::connected(version, config())
}

/// [MQTT-3.3.4-1] (both), [MQTT-4.3.2-2] (3.1.1) / [MQTT-4.3.2-4] (5.0): a QoS 1 message is
/// reported with a token and acknowledged by PUBACK with the same identifier once the
/// application answers; on 5.0 with the application's reason code (§4.13.2: a per-message
/// failure keeps the connection), on 3.1.1 always 0.
#[test]
fn qos1_from_the_client_is_acked_when_the_application_answers_mqtt_4_3_2_4() {
    for version in VERSIONS {
        let mut s = manual_v(version);
        s.feed(Packet::Publish(client_publish(
            "a",
            QosPid::AtLeastOnce(pid(7)),
        )));
        let events = s.events();
        assert_eq!(received_topics(&events), ["a"]);
        assert!(
            s.sent().is_empty(),
            "nothing before the application answers"
        );
        let now = s.t();
        s.server
            .ack(
                now,
                token(&events[0]),
                ReasonCode::NO_MATCHING_SUBSCRIBERS,
                AckProperties::default(),
            )
            .unwrap();
        let expected = if version.is_v5() {
            ReasonCode::NO_MATCHING_SUBSCRIBERS
        } else {
            ReasonCode::SUCCESS
        };
        assert_eq!(s.sent(), vec![Packet::PubAck(ack(pid(7), expected))]);
        // The token is spent.
        assert_eq!(
            s.server.ack(
                now,
                token(&events[0]),
                ReasonCode::SUCCESS,
                AckProperties::default()
            ),
            Err(CommandError::UnknownToken)
        );
        assert_eq!(s.server.status(), Status::Connected);
    }
}

/// In automatic mode the acknowledgement is queued when the event is taken.
#[test]
fn auto_ack_mode_acks_when_the_event_is_taken() {
    let mut s = ScriptedClient::connected(Version::V5, config().ack_mode(AckMode::Auto));
    s.feed(Packet::Publish(client_publish(
        "a",
        QosPid::AtLeastOnce(pid(1)),
    )));
    s.feed(Packet::Publish(client_publish(
        "b",
        QosPid::ExactlyOnce(pid(2)),
    )));
    assert!(s.sent().is_empty(), "not before the events are taken");
    let events = s.events();
    assert!(
        events
            .iter()
            .all(|e| matches!(e, ServerEvent::Publish { ack: None, .. }))
    );
    assert_eq!(
        s.sent(),
        vec![
            Packet::PubAck(ack(pid(1), ReasonCode::SUCCESS)),
            Packet::PubRec(ack(pid(2), ReasonCode::SUCCESS)),
        ]
    );
}

/// A reason code the acknowledgement cannot carry is refused (5.0).
#[test]
fn ack_with_a_code_the_packet_cannot_carry_is_refused() {
    let mut s = manual_v(Version::V5);
    s.feed(Packet::Publish(client_publish(
        "a",
        QosPid::AtLeastOnce(pid(1)),
    )));
    let events = s.events();
    let now = s.t();
    assert!(matches!(
        s.server.ack(
            now,
            token(&events[0]),
            ReasonCode::KEEP_ALIVE_TIMEOUT,
            AckProperties::default()
        ),
        Err(CommandError::Encode(EncodeError::InvalidReasonCode { .. }))
    ));
    assert!(s.sent().is_empty());
    s.server
        .ack(
            now,
            token(&events[0]),
            ReasonCode::SUCCESS,
            AckProperties::default(),
        )
        .unwrap();
    assert_eq!(
        s.sent(),
        vec![Packet::PubAck(ack(pid(1), ReasonCode::SUCCESS))]
    );
}

/// [MQTT-4.3.3-2] (3.1.1) / [MQTT-4.3.3-8] (5.0), [MQTT-4.3.3-10] (5.0), [MQTT-4.3.3-11]
/// (5.0), [MQTT-4.3.3-12] (5.0): a QoS 2 message is reported once; a repeat before PUBREL gets
/// PUBREC again and is not reported; PUBREL gets PUBCOMP; after it the identifier names a new
/// message.
#[test]
fn qos2_from_the_client_exactly_once_mqtt_4_3_3_10_mqtt_4_3_3_11_mqtt_4_3_3_12() {
    for version in VERSIONS {
        let mut s = manual_v(version);
        s.feed(Packet::Publish(client_publish(
            "q2",
            QosPid::ExactlyOnce(pid(3)),
        )));
        let events = s.events();
        assert_eq!(received_topics(&events), ["q2"]);
        let now = s.t();
        s.server
            .ack(
                now,
                token(&events[0]),
                ReasonCode::SUCCESS,
                AckProperties::default(),
            )
            .unwrap();
        assert_eq!(
            s.sent(),
            vec![Packet::PubRec(ack(pid(3), ReasonCode::SUCCESS))]
        );
        let mut again = client_publish("q2", QosPid::ExactlyOnce(pid(3)));
        again.dup = true;
        s.feed(Packet::Publish(again));
        assert!(s.events().is_empty(), "a repeat is not reported");
        assert_eq!(
            s.sent(),
            vec![Packet::PubRec(ack(pid(3), ReasonCode::SUCCESS))]
        );
        s.feed(Packet::pub_rel(pid(3)));
        assert_eq!(
            s.sent(),
            vec![Packet::PubComp(ack(pid(3), ReasonCode::SUCCESS))]
        );
        s.feed(Packet::Publish(client_publish(
            "new",
            QosPid::ExactlyOnce(pid(3)),
        )));
        assert_eq!(received_topics(&s.events()), ["new"]);
    }
}

/// [MQTT-4.3.3-11] (5.0), [MQTT-2.2.1-5] (5.0): a PUBREL for an identifier not awaiting one is
/// answered PUBCOMP 0x92, never a disconnect; 3.1.1 has no reason codes: PUBCOMP.
#[test]
fn unknown_pubrel_gets_pubcomp_0x92_mqtt_4_3_3_11() {
    for version in VERSIONS {
        let mut s = manual_v(version);
        s.feed(Packet::pub_rel(pid(9)));
        let expected = if version.is_v5() {
            ReasonCode::PACKET_IDENTIFIER_NOT_FOUND
        } else {
            ReasonCode::SUCCESS
        };
        assert_eq!(s.sent(), vec![Packet::PubComp(ack(pid(9), expected))]);
        assert_eq!(s.server.status(), Status::Connected);
    }
}

/// [MQTT-4.6.0-2] / [MQTT-4.6.0-3] (both): acknowledgements leave in the order the messages
/// arrived, whatever order the application answers in.
#[test]
fn acks_leave_in_arrival_order_mqtt_4_6_0_2_mqtt_4_6_0_3() {
    let mut s = manual_v(Version::V5);
    s.feed_all([
        Packet::Publish(client_publish("a", QosPid::AtLeastOnce(pid(1)))),
        Packet::Publish(client_publish("b", QosPid::ExactlyOnce(pid(2)))),
        Packet::Publish(client_publish("c", QosPid::AtLeastOnce(pid(3)))),
    ]);
    let events = s.events();
    let now = s.t();
    for i in [2, 1] {
        s.server
            .ack(
                now,
                token(&events[i]),
                ReasonCode::SUCCESS,
                AckProperties::default(),
            )
            .unwrap();
    }
    assert!(s.sent().is_empty(), "the first message is not answered yet");
    s.server
        .ack(
            now,
            token(&events[0]),
            ReasonCode::SUCCESS,
            AckProperties::default(),
        )
        .unwrap();
    assert_eq!(
        s.sent(),
        vec![
            Packet::PubAck(ack(pid(1), ReasonCode::SUCCESS)),
            Packet::PubRec(ack(pid(2), ReasonCode::SUCCESS)),
            Packet::PubAck(ack(pid(3), ReasonCode::SUCCESS)),
        ]
    );
}

/// [MQTT-4.3.3-9] (5.0): after PUBREC 0x80 or more the identifier names a new message.
#[test]
fn refused_qos2_frees_its_identifier_mqtt_4_3_3_9() {
    let mut s = manual_v(Version::V5);
    s.feed(Packet::Publish(client_publish(
        "a",
        QosPid::ExactlyOnce(pid(4)),
    )));
    let events = s.events();
    let now = s.t();
    s.server
        .ack(
            now,
            token(&events[0]),
            ReasonCode::NOT_AUTHORIZED,
            AckProperties::default(),
        )
        .unwrap();
    assert_eq!(
        s.sent(),
        vec![Packet::PubRec(ack(pid(4), ReasonCode::NOT_AUTHORIZED))]
    );
    s.feed(Packet::Publish(client_publish(
        "b",
        QosPid::ExactlyOnce(pid(4)),
    )));
    assert_eq!(received_topics(&s.events()), ["b"]);
}

/// [MQTT-3.3.4-7] (5.0): a client with more QoS 1/2 messages unacknowledged than our Receive
/// Maximum is disconnected with 0x93; an answered message frees its place.
#[test]
fn client_exceeding_our_receive_maximum_gets_0x93_mqtt_3_3_4_7() {
    let mut s = ScriptedClient::connected(Version::V5, config().receive_maximum(2));
    s.feed_all([
        Packet::Publish(client_publish("a", QosPid::AtLeastOnce(pid(1)))),
        Packet::Publish(client_publish("b", QosPid::ExactlyOnce(pid(2)))),
    ]);
    let events = s.events();
    let now = s.t();
    s.server
        .ack(
            now,
            token(&events[0]),
            ReasonCode::SUCCESS,
            AckProperties::default(),
        )
        .unwrap();
    // The QoS 1 message is done: room for one more. QoS 0 never counts.
    s.feed_all([
        Packet::Publish(client_publish("c", QosPid::AtLeastOnce(pid(3)))),
        Packet::Publish(client_publish("d", QosPid::AtMostOnce)),
    ]);
    assert_eq!(received_topics(&s.events()), ["c", "d"]);
    assert_eq!(
        s.sent(),
        vec![Packet::PubAck(ack(pid(1), ReasonCode::SUCCESS))]
    );
    // The QoS 2 message counts until its PUBREL.
    s.feed(Packet::Publish(client_publish(
        "e",
        QosPid::AtLeastOnce(pid(5)),
    )));
    assert_violation(
        &mut s,
        ReasonCode::RECEIVE_MAXIMUM_EXCEEDED,
        "[MQTT-3.3.4-7]",
    );
}

/// [MQTT-3.2.2-11] (5.0): a PUBLISH above the announced Maximum QoS gets DISCONNECT 0x9B;
/// [MQTT-3.2.2-14] (5.0): RETAIN 1 after Retain Available 0 gets 0x9A.
#[test]
fn publish_above_maximum_qos_or_retained_without_support_mqtt_3_2_2_11_mqtt_3_2_2_14() {
    let mut s = ScriptedClient::connected(Version::V5, config().maximum_qos(QoS::AtLeastOnce));
    s.feed(Packet::Publish(client_publish(
        "a",
        QosPid::ExactlyOnce(pid(1)),
    )));
    assert_violation(&mut s, ReasonCode::QOS_NOT_SUPPORTED, "[MQTT-3.2.2-11]");

    let mut s = ScriptedClient::connected(Version::V5, config().retain_available(false));
    let mut p = client_publish("a", QosPid::AtMostOnce);
    p.retain = true;
    s.feed(Packet::Publish(p));
    assert_violation(&mut s, ReasonCode::RETAIN_NOT_SUPPORTED, "[MQTT-3.2.2-14]");
}

/// [MQTT-3.2.2-15] (5.0): a packet larger than our Maximum Packet Size gets DISCONNECT 0x95;
/// 3.1.1 closes. Nothing after it is read.
#[test]
fn packet_above_our_maximum_packet_size_mqtt_3_2_2_15() {
    for version in VERSIONS {
        let mut s = ScriptedClient::connected(version, config().maximum_packet_size(64));
        let mut p = client_publish("a", QosPid::AtMostOnce);
        p.payload = Bytes::from(vec![0u8; 100]);
        s.feed_all([Packet::Publish(p), Packet::PingReq]);
        let sent = s.sent();
        if version.is_v5() {
            assert_eq!(
                sent,
                vec![Packet::disconnect_with(ReasonCode::PACKET_TOO_LARGE)]
            );
        } else {
            assert!(sent.is_empty());
        }
        let events = s.events();
        assert!(matches!(closed(&events).0, ConnectionError::Decode(_)));
        assert_eq!(events.len(), 1);
    }
}

/// §4.13.1 (5.0), [MQTT-4.8.0-1] (3.1.1): a malformed packet after CONNACK gets DISCONNECT
/// 0x81 on 5.0 (3.1.1 closes), and nothing after it is processed.
#[test]
fn malformed_packet_gets_0x81_and_ends_the_connection() {
    for version in VERSIONS {
        let mut s = manual_v(version);
        // PUBLISH QoS 3, then a PINGREQ.
        s.feed_bytes(b"\x36\x03\x00\x01t\xc0\x00");
        let sent = s.sent();
        if version.is_v5() {
            assert_eq!(
                sent,
                vec![Packet::disconnect_with(ReasonCode::MALFORMED_PACKET)]
            );
        } else {
            assert!(sent.is_empty());
        }
        assert!(matches!(closed(&s.events()).0, ConnectionError::Decode(_)));
        s.feed(Packet::PingReq);
        assert!(s.sent().is_empty());
        assert!(s.events().is_empty());
    }
}

/// A malformed packet read in the same buffer as the accepted CONNECT: the CONNACK still goes
/// first, then (5.0) the DISCONNECT 0x81.
#[test]
fn malformed_packet_right_after_connect_still_gets_the_connack_mqtt_3_2_0_1() {
    for version in VERSIONS {
        let mut s = ScriptedClient::new(config());
        // The CONNECT, then a PUBLISH with QoS 3.
        s.send_connect_then(connect(version, 0), b"\x36\x03\x00\x01t");
        assert!(matches!(
            s.events().as_slice(),
            [ServerEvent::Connect { .. }]
        ));
        s.accept(Accept::new());
        let sent = s.sent();
        assert!(
            matches!(sent.first(), Some(Packet::ConnAck(c)) if c.reason_code == ReasonCode::SUCCESS),
            "{version:?}: {sent:?}"
        );
        if version.is_v5() {
            assert_eq!(
                sent[1..],
                [Packet::disconnect_with(ReasonCode::MALFORMED_PACKET)]
            );
        } else {
            assert_eq!(sent.len(), 1, "{sent:?}");
        }
        assert!(matches!(closed(&s.events()).0, ConnectionError::Decode(_)));
    }
}

fn aliased(topic: &'static str, alias: u16) -> Packet {
    let mut p = client_publish(topic, QosPid::AtMostOnce);
    p.properties = publish_props(|b| b.topic_alias = Some(alias));
    Packet::Publish(p)
}

/// [MQTT-3.3.2-12] (5.0), §3.3.2.3.4: every alias up to the announced maximum is accepted; a
/// topic with an alias sets the mapping, an empty topic uses it, a new topic replaces it; the
/// event carries the topic.
#[test]
fn inbound_topic_alias_is_set_used_and_replaced_mqtt_3_3_2_12() {
    let mut s = ScriptedClient::connected(Version::V5, config().topic_alias_maximum(3));
    s.feed_all([
        aliased("a/1", 3),
        aliased("", 3),
        aliased("a/2", 3),
        aliased("", 3),
    ]);
    assert_eq!(received_topics(&s.events()), ["a/1", "a/1", "a/2", "a/2"]);
    assert_eq!(s.server.status(), Status::Connected);
}

/// [MQTT-3.2.2-17] (5.0): an alias above our Topic Alias Maximum gets DISCONNECT 0x94.
#[test]
fn inbound_alias_above_our_maximum_mqtt_3_2_2_17() {
    let mut s = ScriptedClient::connected(Version::V5, config().topic_alias_maximum(3));
    s.feed(aliased("a", 4));
    assert_violation(&mut s, ReasonCode::TOPIC_ALIAS_INVALID, "[MQTT-3.2.2-17]");
}

/// [MQTT-3.2.2-18] (5.0): an alias when we announced none gets DISCONNECT 0x94.
#[test]
fn inbound_alias_when_we_announced_none_mqtt_3_2_2_18() {
    let mut s = ScriptedClient::connected(Version::V5, config().topic_alias_maximum(0));
    s.feed(aliased("a", 1));
    assert_violation(&mut s, ReasonCode::TOPIC_ALIAS_INVALID, "[MQTT-3.2.2-18]");
}

/// §3.3.2.3.4 (5.0): an empty topic with an alias not set on this connection is a protocol
/// error.
#[test]
fn inbound_unknown_alias_is_a_protocol_error() {
    let mut s = ScriptedClient::connected(Version::V5, config());
    s.feed(aliased("", 2));
    assert_violation(&mut s, ReasonCode::PROTOCOL_ERROR, "§3.3.2.3.4");
}

/// [MQTT-3.1.2-30] (5.0) is the client's; [MQTT-4.12.0-7] (5.0): AUTH from a client whose
/// CONNECT had no Authentication Method gets DISCONNECT 0x82.
#[test]
fn auth_without_a_method_in_connect_is_a_protocol_error_mqtt_4_12_0_7() {
    let mut s = ScriptedClient::connected(Version::V5, config());
    s.feed(Packet::Auth(auth(ReasonCode::REAUTHENTICATE, "SCRAM")));
    assert_violation(&mut s, ReasonCode::PROTOCOL_ERROR, "[MQTT-4.12.0-5]");
}

fn auth(reason: ReasonCode, method: &'static str) -> Auth {
    let mut p = AuthPropertiesBuilder::default();
    p.authentication_method = Some(method.into());
    p.authentication_data = Some(Bytes::from_static(b"data"));
    Auth {
        reason_code: reason,
        properties: p.build().expect("valid AUTH properties"),
    }
}

// ================================================================ messages to the client

fn pid_of(p: &Publish) -> PacketId {
    p.qos.pid().expect("QoS 1/2")
}

/// [MQTT-2.3.1-4] (3.1.1) / [MQTT-2.2.1-4] (5.0), [MQTT-4.3.2-1] (both), [MQTT-4.3.2-2] (5.0):
/// a QoS 1 message goes out with a fresh identifier and DUP 0 ([MQTT-3.3.1-3]: DUP reflects
/// only our own resend); its PUBACK completes it with a `Delivered` event.
#[test]
fn qos1_to_the_client_fresh_id_dup_0_completed_by_puback_mqtt_4_3_2_1() {
    for version in VERSIONS {
        let mut s = ScriptedClient::connected(version, config());
        let a = s.publish(msg("out/a", QoS::AtLeastOnce));
        let b = s.publish(msg("out/b", QoS::AtLeastOnce));
        let sent = s.sent();
        let p = publishes(&sent);
        assert_eq!(p.len(), 2);
        assert!(p.iter().all(|p| !p.dup));
        assert_ne!(pid_of(p[0]), pid_of(p[1]));
        assert_eq!(s.server.inflight(), 2);
        let mut done = ack(pid_of(p[1]), ReasonCode::NO_MATCHING_SUBSCRIBERS);
        if !version.is_v5() {
            done.reason_code = ReasonCode::SUCCESS;
        }
        let expected_reason = done.reason_code;
        s.feed(Packet::PubAck(done));
        assert_eq!(delivered(&s.events()), [(b.get(), expected_reason)]);
        s.feed(Packet::PubAck(ack(pid_of(p[0]), ReasonCode::SUCCESS)));
        assert_eq!(delivered(&s.events()), [(a.get(), ReasonCode::SUCCESS)]);
        assert_eq!(s.server.inflight(), 0);
        // An unknown PUBACK is ignored.
        s.feed(Packet::PubAck(ack(pid(999), ReasonCode::SUCCESS)));
        assert!(s.events().is_empty());
        assert!(s.sent().is_empty());
    }
}

/// [MQTT-4.3.3-1] (both), [MQTT-4.3.3-4] (5.0), [MQTT-4.6.0-4] (both): QoS 2 to the client:
/// PUBREC gets PUBREL with the same identifier, PUBCOMP completes it; PUBRELs leave in PUBREC
/// order. §4.3.3 (5.0): a PUBREC of 0x80 or more ends the exchange without PUBREL.
#[test]
fn qos2_to_the_client_pubrec_pubrel_pubcomp_mqtt_4_3_3_4() {
    let mut s = ScriptedClient::connected(Version::V5, config());
    let ids: Vec<_> = ["x", "y", "z"]
        .iter()
        .map(|_| s.publish(msg("q2", QoS::ExactlyOnce)))
        .collect();
    let sent = s.sent();
    let p: Vec<PacketId> = publishes(&sent).iter().map(|p| pid_of(p)).collect();
    assert_eq!(p.len(), 3);
    s.feed_all([
        Packet::PubRec(ack(p[1], ReasonCode::SUCCESS)),
        Packet::PubRec(ack(p[0], ReasonCode::SUCCESS)),
        Packet::PubRec(ack(p[2], ReasonCode::QUOTA_EXCEEDED)),
    ]);
    assert_eq!(
        s.sent(),
        vec![Packet::pub_rel(p[1]), Packet::pub_rel(p[0])],
        "PUBREL in PUBREC order, none for the refused message"
    );
    assert_eq!(
        delivered(&s.events()),
        [(ids[2].get(), ReasonCode::QUOTA_EXCEEDED)]
    );
    // A repeated PUBREC gets the PUBREL again.
    s.feed(Packet::PubRec(ack(p[0], ReasonCode::SUCCESS)));
    assert_eq!(s.sent(), vec![Packet::pub_rel(p[0])]);
    s.feed_all([
        Packet::PubComp(ack(p[0], ReasonCode::SUCCESS)),
        Packet::PubComp(ack(p[1], ReasonCode::SUCCESS)),
    ]);
    assert_eq!(
        delivered(&s.events()),
        [
            (ids[0].get(), ReasonCode::SUCCESS),
            (ids[1].get(), ReasonCode::SUCCESS)
        ]
    );
    assert_eq!(s.server.inflight(), 0);
}

/// §4.3.3 (5.0): a PUBREC for an identifier not in flight gets PUBREL 0x92, so that the client
/// can finish.
#[test]
fn unknown_pubrec_gets_pubrel_0x92() {
    let mut s = ScriptedClient::connected(Version::V5, config());
    s.feed(Packet::PubRec(ack(pid(5), ReasonCode::SUCCESS)));
    assert_eq!(
        s.sent(),
        vec![Packet::PubRel(ack(
            pid(5),
            ReasonCode::PACKET_IDENTIFIER_NOT_FOUND
        ))]
    );
}

/// [MQTT-3.3.4-9] (5.0), [MQTT-4.9.0-2] (5.0): no more QoS 1/2 messages in flight than the
/// client's Receive Maximum; [MQTT-3.3.4-10] / [MQTT-4.9.0-3] (5.0): QoS 0 messages and other
/// packets still go out at zero quota; an ack lets the next one go.
#[test]
fn client_receive_maximum_limits_messages_in_flight_mqtt_3_3_4_9() {
    let mut s =
        ScriptedClient::connected_v5(config(), connect_props(|p| p.receive_maximum = Some(2)));
    for _ in 0..3 {
        s.publish(msg("q1", QoS::AtLeastOnce));
    }
    s.publish(msg("q0", QoS::AtMostOnce));
    let sent = s.sent();
    let p = publishes(&sent);
    assert_eq!(p.len(), 2, "{sent:?}");
    assert_eq!(
        s.server.queued(),
        2,
        "the third QoS 1 and the QoS 0 behind it wait"
    );
    s.feed(Packet::PingReq);
    assert_eq!(s.sent(), vec![Packet::PingResp]);
    s.feed(Packet::PubAck(ack(pid_of(p[0]), ReasonCode::SUCCESS)));
    let sent = s.sent();
    let topics: Vec<_> = publishes(&sent)
        .iter()
        .map(|p| p.topic.to_string())
        .collect();
    assert_eq!(topics, ["q1", "q0"]);
    assert_eq!(s.server.inflight(), 2);

    // max_inflight lowers the window further.
    let mut s = ScriptedClient::connected(Version::V5, config().max_inflight(1));
    s.publish(msg("a", QoS::AtLeastOnce));
    s.publish(msg("b", QoS::ExactlyOnce));
    assert_eq!(publishes(&s.sent()).len(), 1);
}

/// [MQTT-4.9.0-1] (5.0): the send quota is not zero even when the configuration says
/// `max_inflight(0)`.
#[test]
fn send_quota_is_never_zero_mqtt_4_9_0_1() {
    let mut s = ScriptedClient::connected(Version::V5, config().max_inflight(0));
    s.publish(msg("a", QoS::AtLeastOnce));
    assert_eq!(publishes(&s.sent()).len(), 1);
}

/// [MQTT-3.1.2-24] (5.0), [MQTT-3.1.2-25] (5.0): a message larger than the client's Maximum
/// Packet Size is dropped for this client (a `Dropped` event), never a disconnect; the next one
/// goes out.
#[test]
fn message_too_large_for_the_client_is_dropped_mqtt_3_1_2_25() {
    let mut s = ScriptedClient::connected_v5(
        config(),
        connect_props(|p| p.maximum_packet_size = Some(64)),
    );
    let mut big = msg("big", QoS::AtLeastOnce);
    big.payload = Bytes::from(vec![7u8; 100]);
    let big = s.publish(big);
    s.publish(msg("small", QoS::AtLeastOnce));
    let sent = s.sent();
    let p = publishes(&sent);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].topic, "small");
    let events = s.events();
    assert_eq!(
        dropped(&events),
        [(big.get(), PublishFailure::TooLarge { size: 110, max: 64 })]
    );
    assert_eq!(s.server.status(), Status::Connected);
    assert_eq!(s.server.inflight(), 1);
}

/// [MQTT-3.1.2-29] (5.0): after Request Problem Information 0, acknowledgements go without
/// Reason String and User Properties; DISCONNECT keeps them.
#[test]
fn request_problem_information_0_strips_ack_diagnostics_mqtt_3_1_2_29() {
    let mut s = ScriptedClient::connected_v5(
        config(),
        connect_props(|p| p.request_problem_information = Some(false)),
    );
    s.feed_all([
        Packet::Publish(client_publish("a", QosPid::AtLeastOnce(pid(1)))),
        subscribe_packet(2, &["f"]),
    ]);
    let events = s.events();
    let now = s.t();
    s.server
        .ack(
            now,
            token(&events[0]),
            ReasonCode::NO_MATCHING_SUBSCRIBERS,
            ack_props("why"),
        )
        .unwrap();
    s.server
        .suback(
            now,
            pid(2),
            vec![ReasonCode::GRANTED_QOS_1],
            ack_props("why"),
        )
        .unwrap();
    assert_eq!(
        s.sent(),
        vec![
            Packet::PubAck(ack(pid(1), ReasonCode::NO_MATCHING_SUBSCRIBERS)),
            Packet::SubAck(SubAck {
                pid: pid(2),
                properties: AckProperties::default(),
                reason_codes: vec![ReasonCode::GRANTED_QOS_1],
            }),
        ]
    );
    let mut d = DisconnectPropertiesBuilder::default();
    d.reason_string = Some("bye".into());
    let d = d.build().unwrap();
    s.server
        .disconnect(now, ReasonCode::SERVER_SHUTTING_DOWN, d.clone())
        .unwrap();
    assert_eq!(
        s.sent(),
        vec![Packet::Disconnect(Disconnect {
            reason_code: ReasonCode::SERVER_SHUTTING_DOWN,
            properties: d,
        })]
    );
}

/// [MQTT-3.4.2-2] / [MQTT-3.4.2-3] (5.0), [MQTT-3.9.2-1] (5.0): diagnostics that would make an
/// acknowledgement larger than the client's Maximum Packet Size are left out.
#[test]
fn ack_diagnostics_left_out_above_the_clients_maximum_mqtt_3_4_2_2() {
    let mut s = ScriptedClient::connected_v5(
        config(),
        connect_props(|p| p.maximum_packet_size = Some(20)),
    );
    s.feed(Packet::Publish(client_publish(
        "a",
        QosPid::AtLeastOnce(pid(1)),
    )));
    let events = s.events();
    let now = s.t();
    s.server
        .ack(
            now,
            token(&events[0]),
            ReasonCode::SUCCESS,
            ack_props("a reason string much longer than twenty bytes"),
        )
        .unwrap();
    assert_eq!(
        s.sent(),
        vec![Packet::PubAck(ack(pid(1), ReasonCode::SUCCESS))]
    );
}

/// [MQTT-3.2.2-19] / [MQTT-3.2.2-20] (5.0), [MQTT-3.1.2-24] (5.0): a CONNACK whose Reason
/// String or User Properties would exceed the client's Maximum Packet Size is sent without
/// them.
#[test]
fn connack_diagnostics_left_out_above_the_clients_maximum_mqtt_3_2_2_19() {
    let mut s = ScriptedClient::new(config());
    s.send_connect(connect_with(
        Version::V5,
        true,
        0,
        connect_props(|p| p.maximum_packet_size = Some(40)),
    ));
    let _ = s.events();
    s.accept(Accept::new().properties(connack_props(|p| {
        p.reason_string = Some("a welcome message far too long for this client".into());
        p.user_properties = vec![("k".into(), "v".into())];
    })));
    let sent = s.sent();
    let [Packet::ConnAck(connack)] = sent.as_slice() else {
        panic!("one CONNACK expected: {sent:?}")
    };
    assert_eq!(connack.reason_code, ReasonCode::SUCCESS);
    assert_eq!(connack.properties.reason_string(), None);
    assert_eq!(connack.properties.user_properties().count(), 0);
    assert_eq!(connack.properties.topic_alias_maximum(), Some(16));

    // A refusal too.
    let mut s = ScriptedClient::new(config());
    s.send_connect(connect_with(
        Version::V5,
        true,
        0,
        connect_props(|p| p.maximum_packet_size = Some(20)),
    ));
    let _ = s.events();
    let mut props = ConnAckPropertiesBuilder::default();
    props.reason_string = Some("a refusal explained at a length the client refuses".into());
    let now = s.t();
    s.server
        .reject(now, ReasonCode::NOT_AUTHORIZED, props.build().unwrap())
        .unwrap();
    let sent = s.sent();
    assert!(
        matches!(sent.as_slice(), [Packet::ConnAck(c)] if c.reason_code == ReasonCode::NOT_AUTHORIZED && c.properties.is_empty()),
        "{sent:?}"
    );
}

fn topics_and_aliases(packets: &[Packet]) -> Vec<(String, Option<u16>)> {
    publishes(packets)
        .iter()
        .map(|p| (p.topic.to_string(), p.properties.topic_alias()))
        .collect()
}

/// Outbound aliases are off by default; with them on, [MQTT-3.1.2-26] / [MQTT-3.3.2-11]
/// (5.0): within the client's Topic Alias Maximum, the least recently used replaced;
/// [MQTT-3.1.2-27] (5.0): none when the client announced none.
#[test]
fn outbound_aliases_stay_within_the_clients_maximum_mqtt_3_1_2_26_mqtt_3_1_2_27() {
    let mut s =
        ScriptedClient::connected_v5(config(), connect_props(|p| p.topic_alias_maximum = Some(5)));
    s.publish(msg("t/a", QoS::AtMostOnce));
    s.publish(msg("t/a", QoS::AtMostOnce));
    assert_eq!(
        topics_and_aliases(&s.sent()),
        [("t/a".to_string(), None), ("t/a".to_string(), None)]
    );

    let aliases = config().outbound_aliases(AliasPolicy::Lru { max: 8 });
    let mut s = ScriptedClient::connected_v5(
        aliases.clone(),
        connect_props(|p| p.topic_alias_maximum = Some(2)),
    );
    for t in ["t/a", "t/b", "t/a", "t/c", "t/b"] {
        s.publish(Message::new(TopicName::try_from(t).unwrap(), "x"));
    }
    assert_eq!(
        topics_and_aliases(&s.sent()),
        [
            ("t/a".to_string(), Some(1)),
            ("t/b".to_string(), Some(2)),
            (String::new(), Some(1)),
            ("t/c".to_string(), Some(2)),
            ("t/b".to_string(), Some(1)),
        ]
    );

    let mut s = ScriptedClient::connected(Version::V5, aliases.clone());
    s.publish(msg("t/a", QoS::AtMostOnce));
    s.publish(msg("t/a", QoS::AtMostOnce));
    assert!(
        topics_and_aliases(&s.sent())
            .iter()
            .all(|(t, a)| t == "t/a" && a.is_none())
    );
    let mut s = ScriptedClient::connected(Version::V3_1_1, aliases);
    s.publish(msg("t/a", QoS::AtMostOnce));
    s.publish(msg("t/a", QoS::AtMostOnce));
    assert!(
        topics_and_aliases(&s.sent())
            .iter()
            .all(|(t, a)| t == "t/a" && a.is_none())
    );
}

/// A message with a Topic Alias of its own is refused: the session assigns aliases.
#[test]
fn message_with_a_topic_alias_is_refused() {
    let mut s = ScriptedClient::connected(Version::V5, config());
    let m = msg("t", QoS::AtMostOnce).properties(publish_props(|p| p.topic_alias = Some(1)));
    let now = s.t();
    assert!(matches!(
        s.server.publish(now, m.clone()),
        Err(PublishError::Invalid(_))
    ));
    let mut state = SessionState::default();
    assert!(matches!(
        state.queue(now, m, &config()),
        Err(PublishError::Invalid(_))
    ));
    assert!(s.sent().is_empty());
}

/// A message published to a 3.1.1 client goes without its properties.
#[test]
fn message_to_a_3_1_1_client_loses_its_properties() {
    let mut s = ScriptedClient::connected(Version::V3_1_1, config());
    s.publish(msg("t", QoS::AtLeastOnce).properties(publish_props(|p| {
        p.content_type = Some("text/plain".into())
    })));
    let sent = s.sent();
    let p = publishes(&sent);
    assert_eq!(p.len(), 1);
    assert!(p[0].properties.is_empty());
}

/// [MQTT-3.3.2-5] (5.0): a message whose Message Expiry Interval passed while it waited is
/// dropped (`Dropped` Expired); [MQTT-3.3.2-6] (5.0): the others go out with the interval
/// less the time waited.
#[test]
fn message_expiry_while_queued_mqtt_3_3_2_5_mqtt_3_3_2_6() {
    let mut s =
        ScriptedClient::connected_v5(config(), connect_props(|p| p.receive_maximum = Some(1)));
    let first = s.publish(msg("first", QoS::AtLeastOnce));
    let sent = s.sent();
    let first_pid = pid_of(publishes(&sent)[0]);
    let short = s.publish(
        msg("short", QoS::AtLeastOnce)
            .properties(publish_props(|p| p.message_expiry_interval = Some(5))),
    );
    s.publish(
        msg("long", QoS::AtLeastOnce)
            .properties(publish_props(|p| p.message_expiry_interval = Some(100))),
    );
    s.advance(7_500);
    s.feed(Packet::PubAck(ack(first_pid, ReasonCode::SUCCESS)));
    let sent = s.sent();
    let p = publishes(&sent);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].topic, "long");
    assert_eq!(p[0].properties.message_expiry_interval(), Some(93));
    let events = s.events();
    assert_eq!(delivered(&events), [(first.get(), ReasonCode::SUCCESS)]);
    assert_eq!(dropped(&events), [(short.get(), PublishFailure::Expired)]);
}

/// The queue for a client is bounded (`max_queued`, `max_queued_bytes`): when full, the oldest
/// queued QoS 0 message makes room (`Dropped` QueueFull); with none left, the new message is
/// refused as `Blocked`.
/// A session whose connection ended: messages published now wait for the next connection.
fn offline(config: ServerConfig) -> ScriptedClient {
    let mut s = ScriptedClient::new(config);
    s.establish(lasting_connect(Version::V5), Accept::new());
    s.close();
    let _ = s.events();
    s
}

#[test]
fn queue_bounds_drop_the_oldest_qos0_then_block() {
    let mut s = offline(config().max_queued(3));
    let now = s.t();
    let q0a = s.publish(msg("a", QoS::AtMostOnce));
    s.publish(msg("b", QoS::AtLeastOnce));
    let q0c = s.publish(msg("c", QoS::AtMostOnce));
    s.publish(msg("d", QoS::AtLeastOnce));
    assert_eq!(
        dropped(&s.events()),
        [(q0a.get(), PublishFailure::QueueFull)]
    );
    s.publish(msg("e", QoS::ExactlyOnce));
    assert_eq!(
        dropped(&s.events()),
        [(q0c.get(), PublishFailure::QueueFull)]
    );
    let refused = msg("f", QoS::AtMostOnce);
    assert_eq!(
        s.server.publish(now, refused.clone()),
        Err(PublishError::Blocked(refused))
    );
    assert_eq!(s.server.queued(), 3);
    let state = s.server.take_state().expect("the session's state");
    let mut s = ScriptedClient::new(config());
    s.establish(lasting_connect(Version::V5), Accept::new().resume(state));
    let sent = s.sent();
    let topics: Vec<_> = publishes(&sent)
        .iter()
        .map(|p| p.topic.to_string())
        .collect();
    assert_eq!(topics, ["b", "d", "e"]);

    // By bytes: each message counts its topic, payload and properties.
    let size = |m: &Message| m.topic.len() + m.payload.len() + m.properties.as_bytes().len();
    let m = msg("a", QoS::AtMostOnce);
    let per = size(&m);
    let mut s = offline(config().max_queued_bytes(per * 2));
    let a = s.publish(m.clone());
    s.publish(msg("b", QoS::AtLeastOnce));
    assert!(s.events().is_empty());
    s.publish(msg("c", QoS::AtLeastOnce));
    assert_eq!(dropped(&s.events()), [(a.get(), PublishFailure::QueueFull)]);
    let now = s.t();
    assert!(matches!(
        s.server.publish(now, msg("d", QoS::AtMostOnce)),
        Err(PublishError::Blocked(_))
    ));
}

/// A message that could never fit the byte bound is refused without dropping the queued
/// messages for nothing.
#[test]
fn message_larger_than_the_byte_bound_drops_nothing() {
    let mut s = offline(config().max_queued_bytes(100));
    s.publish(msg("a", QoS::AtMostOnce));
    s.publish(msg("b", QoS::AtMostOnce));
    let mut big = msg("big", QoS::AtMostOnce);
    big.payload = Bytes::from(vec![0u8; 200]);
    let now = s.t();
    assert!(matches!(
        s.server.publish(now, big),
        Err(PublishError::Blocked(_))
    ));
    assert!(dropped(&s.events()).is_empty());
    assert_eq!(s.server.queued(), 2);
}

// ================================================================ SUBSCRIBE and UNSUBSCRIBE

/// [MQTT-3.8.4-1] / [MQTT-3.8.4-2] (both), [MQTT-3.9.3-1] (both): every SUBSCRIBE is reported
/// and answered by one SUBACK with its identifier and one code per filter, in order; another
/// count is refused.
#[test]
fn suback_one_code_per_filter_mqtt_3_8_4_1_mqtt_3_9_3_1() {
    for version in VERSIONS {
        let mut s = manual_v(version);
        s.feed(subscribe_packet(4, &["a/#", "b/+"]));
        let events = s.events();
        let [ServerEvent::Subscribe { subscribe }] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(subscribe.pid, pid(4));
        assert_eq!(subscribe.filters.len(), 2);
        let now = s.t();
        assert!(matches!(
            s.server.suback(
                now,
                pid(4),
                vec![ReasonCode::GRANTED_QOS_1],
                AckProperties::default()
            ),
            Err(CommandError::NotAvailable { .. })
        ));
        assert_eq!(
            s.server.suback(
                now,
                pid(5),
                vec![ReasonCode::GRANTED_QOS_1; 2],
                AckProperties::default()
            ),
            Err(CommandError::UnknownToken)
        );
        s.server
            .suback(
                now,
                pid(4),
                vec![ReasonCode::GRANTED_QOS_1, ReasonCode::GRANTED_QOS_0],
                AckProperties::default(),
            )
            .unwrap();
        assert_eq!(
            s.sent(),
            vec![Packet::SubAck(SubAck {
                pid: pid(4),
                properties: AckProperties::default(),
                reason_codes: vec![ReasonCode::GRANTED_QOS_1, ReasonCode::GRANTED_QOS_0],
            })]
        );
        // Answered once.
        assert_eq!(
            s.server.suback(
                now,
                pid(4),
                vec![ReasonCode::GRANTED_QOS_1; 2],
                AckProperties::default()
            ),
            Err(CommandError::UnknownToken)
        );
    }
}

/// [MQTT-3.9.3-2] (3.1.1): a 3.1.1 SUBACK carries 0x00-0x02 or 0x80: every 5.0 failure code is
/// sent as 0x80. [MQTT-3.9.3-2] (5.0): a code outside the SUBACK set is refused.
#[test]
fn suback_codes_per_version_mqtt_3_9_3_2() {
    let mut s = manual_v(Version::V3_1_1);
    s.feed(subscribe_packet(1, &["a", "b", "c"]));
    let _ = s.events();
    let now = s.t();
    s.server
        .suback(
            now,
            pid(1),
            vec![
                ReasonCode::GRANTED_QOS_2,
                ReasonCode::NOT_AUTHORIZED,
                ReasonCode::WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED,
            ],
            ack_props("dropped on 3.1.1"),
        )
        .unwrap();
    assert_eq!(&s.sent_bytes()[..], b"\x90\x05\x00\x01\x02\x80\x80");

    let mut s = manual_v(Version::V5);
    s.feed(subscribe_packet(1, &["a"]));
    let _ = s.events();
    assert!(matches!(
        s.server.suback(
            now,
            pid(1),
            vec![ReasonCode::NO_SUBSCRIPTION_EXISTED],
            AckProperties::default()
        ),
        Err(CommandError::Encode(EncodeError::InvalidReasonCode { .. }))
    ));
    s.server
        .suback(
            now,
            pid(1),
            vec![ReasonCode::NOT_AUTHORIZED],
            AckProperties::default(),
        )
        .unwrap();
    assert_eq!(
        s.sent(),
        vec![Packet::SubAck(SubAck {
            pid: pid(1),
            properties: AckProperties::default(),
            reason_codes: vec![ReasonCode::NOT_AUTHORIZED],
        })]
    );
}

/// [MQTT-3.10.4-4] / [MQTT-3.10.4-5] (both), [MQTT-3.11.3-1] (5.0): every UNSUBSCRIBE gets an
/// UNSUBACK with its identifier; on 5.0 one code per filter (0x11 where nothing existed), on
/// 3.1.1 none.
#[test]
fn unsuback_per_version_mqtt_3_10_4_4_mqtt_3_11_3_1() {
    let mut s = manual_v(Version::V5);
    s.feed(unsubscribe_packet(2, &["a", "b"]));
    let events = s.events();
    assert!(
        matches!(events.as_slice(), [ServerEvent::Unsubscribe { unsubscribe }] if unsubscribe.pid == pid(2))
    );
    let now = s.t();
    assert!(matches!(
        s.server.unsuback(
            now,
            pid(2),
            vec![ReasonCode::SUCCESS],
            AckProperties::default()
        ),
        Err(CommandError::NotAvailable { .. })
    ));
    assert!(matches!(
        s.server.unsuback(
            now,
            pid(2),
            vec![ReasonCode::SUCCESS, ReasonCode::GRANTED_QOS_1],
            AckProperties::default()
        ),
        Err(CommandError::Encode(_))
    ));
    // A SUBACK does not answer an UNSUBSCRIBE.
    assert_eq!(
        s.server.suback(
            now,
            pid(2),
            vec![ReasonCode::SUCCESS; 2],
            AckProperties::default()
        ),
        Err(CommandError::UnknownToken)
    );
    s.server
        .unsuback(
            now,
            pid(2),
            vec![ReasonCode::SUCCESS, ReasonCode::NO_SUBSCRIPTION_EXISTED],
            AckProperties::default(),
        )
        .unwrap();
    assert_eq!(
        s.sent(),
        vec![Packet::UnsubAck(UnsubAck {
            pid: pid(2),
            properties: AckProperties::default(),
            reason_codes: vec![ReasonCode::SUCCESS, ReasonCode::NO_SUBSCRIPTION_EXISTED],
        })]
    );

    let mut s = manual_v(Version::V3_1_1);
    s.feed(unsubscribe_packet(3, &["a", "b"]));
    let _ = s.events();
    s.server
        .unsuback(
            now,
            pid(3),
            vec![ReasonCode::SUCCESS],
            AckProperties::default(),
        )
        .unwrap();
    assert_eq!(&s.sent_bytes()[..], b"\xb0\x02\x00\x03");
}

/// [MQTT-2.2.1-3] (5.0) / [MQTT-2.3.1-2] (3.1.1): a SUBSCRIBE or UNSUBSCRIBE reusing the
/// identifier of one still unanswered is a protocol violation: 5.0 DISCONNECT 0x82 (0x91 is not
/// a DISCONNECT code), 3.1.1 closes.
#[test]
fn request_reusing_an_identifier_in_use_mqtt_2_2_1_3() {
    for version in VERSIONS {
        let mut s = manual_v(version);
        s.feed(subscribe_packet(1, &["a"]));
        let _ = s.events();
        s.feed(unsubscribe_packet(1, &["a"]));
        assert_violation(&mut s, ReasonCode::PROTOCOL_ERROR, "[MQTT-2.2.1-3]");
    }
    // Once answered, the identifier is free again.
    let mut s = manual_v(Version::V5);
    s.feed(subscribe_packet(1, &["a"]));
    let _ = s.events();
    let now = s.t();
    s.server
        .suback(
            now,
            pid(1),
            vec![ReasonCode::GRANTED_QOS_0],
            AckProperties::default(),
        )
        .unwrap();
    s.feed(subscribe_packet(1, &["b"]));
    assert!(matches!(
        s.events().as_slice(),
        [ServerEvent::Subscribe { .. }]
    ));
    assert_eq!(s.server.status(), Status::Connected);
}

// ================================================================ DISCONNECT and the will

/// A 5.0 connection with a will (delay 30 s, a User Property), Session Expiry Interval
/// `expiry`.
fn with_will(version: Version, expiry: Option<u32>) -> ScriptedClient {
    let mut w = will("will/t");
    w.qos = QoS::AtLeastOnce;
    w.retain = true;
    if version.is_v5() {
        let mut p = mqtt_wire::WillPropertiesBuilder::default();
        p.will_delay_interval = Some(30);
        p.content_type = Some("text/plain".into());
        p.user_properties = vec![("a".into(), "1".into()), ("b".into(), "2".into())];
        w.properties = p.build().unwrap();
    }
    let mut s = ScriptedClient::new(config());
    let properties = if version.is_v5() {
        connect_props(|p| p.session_expiry_interval = expiry)
    } else {
        ConnectProperties::default()
    };
    s.establish(
        Connect {
            will: Some(w),
            ..connect_with(version, true, 0, properties)
        },
        Accept::new(),
    );
    s
}

/// The will to be published, with its delay.
fn published_will(will: &WillAction) -> (&Message, u32) {
    match will {
        WillAction::Publish { message, delay } => (message, *delay),
        other => panic!("the will is due: {other:?}"),
    }
}

/// [MQTT-3.14.4-3] (both), [MQTT-3.1.2-10] (both): DISCONNECT 0x00 discards the will.
#[test]
fn normal_disconnect_discards_the_will_mqtt_3_14_4_3() {
    for version in VERSIONS {
        let mut s = with_will(version, Some(60));
        s.feed_all([Packet::disconnect(), Packet::PingReq]);
        assert!(s.sent().is_empty(), "nothing after the client's DISCONNECT");
        let events = s.events();
        let (error, will, expiry) = closed(&events);
        assert!(matches!(
            error,
            ConnectionError::PeerDisconnected {
                reason: ReasonCode::NORMAL_DISCONNECTION,
                ..
            }
        ));
        assert_eq!(will, WillAction::Discard);
        assert_eq!(expiry, if version.is_v5() { 60 } else { 0 });
        assert!(s.server.should_close());
    }
}

/// [MQTT-3.14.4-3] (5.0), [MQTT-3.1.2-8] (5.0): DISCONNECT 0x04 keeps the will for publication,
/// after the Will Delay Interval; its properties travel with it, User Properties in order
/// ([MQTT-3.1.3-10] 5.0), retained as asked ([MQTT-3.1.2-15] 5.0).
#[test]
fn disconnect_with_will_publishes_it_mqtt_3_1_2_8() {
    let mut s = with_will(Version::V5, Some(60));
    s.feed(Packet::disconnect_with(ReasonCode::DISCONNECT_WITH_WILL));
    let events = s.events();
    let (_, will, expiry) = closed(&events);
    let (message, delay) = published_will(&will);
    assert_eq!(delay, 30);
    assert_eq!(expiry, 60);
    assert_eq!(message.topic, "will/t");
    assert_eq!(message.payload, "gone");
    assert_eq!(message.qos, QoS::AtLeastOnce);
    assert!(message.retain);
    assert_eq!(message.properties.content_type(), Some("text/plain"));
    let users: Vec<_> = message
        .properties
        .user_properties()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(
        users,
        [
            ("a".to_string(), "1".to_string()),
            ("b".to_string(), "2".to_string())
        ]
    );
}

/// [MQTT-3.1.2-8] (both): every end the client did not ask for publishes the will: transport
/// lost, keep-alive timeout, protocol error, takeover, the server's own DISCONNECT.
#[test]
fn the_will_is_due_on_every_abnormal_end_mqtt_3_1_2_8() {
    type End = fn(&mut ScriptedClient);
    let ends: [(&str, End); 5] = [
        ("transport lost", |s| s.close()),
        ("protocol error", |s| {
            s.feed(Packet::Connect(Box::new(connect(s.version, 0))))
        }),
        ("malformed", |s| s.feed_bytes(b"\x36\x03\x00\x01t")),
        ("takeover", |s| {
            let now = s.t();
            s.server.take_over(now)
        }),
        ("server disconnect", |s| {
            let now = s.t();
            s.server
                .disconnect(
                    now,
                    ReasonCode::ADMINISTRATIVE_ACTION,
                    DisconnectProperties::default(),
                )
                .unwrap()
        }),
    ];
    for version in VERSIONS {
        for (name, end) in ends {
            let mut s = with_will(version, Some(10));
            end(&mut s);
            let events = s.events();
            let (_, will, _) = closed(&events);
            let (message, delay) = published_will(&will);
            assert_eq!(message.topic, "will/t", "{name}");
            assert_eq!(delay, if version.is_v5() { 30 } else { 0 }, "{name}");
        }
    }
}

/// Without a will, or for a connection never accepted, there is no will to handle.
#[test]
fn no_will_without_one_or_before_acceptance() {
    let mut s = ScriptedClient::connected(Version::V5, config());
    s.close();
    assert_eq!(closed(&s.events()).1, WillAction::None);

    let mut s = ScriptedClient::new(config());
    s.send_connect(Connect {
        will: Some(will("w")),
        ..connect(Version::V5, 0)
    });
    let _ = s.events();
    s.close();
    assert_eq!(closed(&s.events()).1, WillAction::None);
}

/// §3.14.2.2.2 (5.0): a DISCONNECT may not set a Session Expiry Interval when the CONNECT had
/// 0: DISCONNECT 0x82, and that DISCONNECT does not discard the will.
#[test]
fn disconnect_raising_session_expiry_from_0_is_a_protocol_error() {
    let mut s = with_will(Version::V5, None);
    let mut d = DisconnectPropertiesBuilder::default();
    d.session_expiry_interval = Some(100);
    s.feed(Packet::Disconnect(Disconnect {
        reason_code: ReasonCode::NORMAL_DISCONNECTION,
        properties: d.build().unwrap(),
    }));
    assert_eq!(
        s.sent(),
        vec![Packet::disconnect_with(ReasonCode::PROTOCOL_ERROR)]
    );
    let events = s.events();
    let (error, will, expiry) = closed(&events);
    assert!(
        matches!(error, ConnectionError::Protocol { rule, .. } if rule.contains("§3.14.2.2.2"))
    );
    published_will(&will);
    assert_eq!(expiry, 0);
}

/// §3.14.2.2.2 (5.0): after a CONNECT with a Session Expiry Interval, a DISCONNECT may change
/// it (0 included); the `Closed` event carries the new value, capped by `max_session_expiry`.
#[test]
fn disconnect_changes_a_nonzero_session_expiry() {
    for (asked, expected) in [(0, 0), (50, 50), (5_000, 1_000)] {
        let mut s = ScriptedClient::new(config().max_session_expiry(Some(1_000)));
        s.establish(
            connect_with(
                Version::V5,
                true,
                0,
                connect_props(|p| p.session_expiry_interval = Some(10)),
            ),
            Accept::new(),
        );
        let mut d = DisconnectPropertiesBuilder::default();
        d.session_expiry_interval = Some(asked);
        s.feed(Packet::Disconnect(Disconnect {
            reason_code: ReasonCode::NORMAL_DISCONNECTION,
            properties: d.build().unwrap(),
        }));
        assert!(s.sent().is_empty());
        assert_eq!(closed(&s.events()).2, expected);
    }
}

/// A DISCONNECT during an authentication exchange ends it; its Session Expiry Interval is
/// checked against the CONNECT's (§3.14.2.2.2), which had one.
#[test]
fn disconnect_during_the_handshake_follows_the_connects_session_expiry() {
    let mut s = ScriptedClient::new(config());
    s.send_connect(connect_with(
        Version::V5,
        true,
        0,
        connect_props(|p| {
            p.session_expiry_interval = Some(10);
            p.authentication_method = Some("M".into());
        }),
    ));
    let _ = s.events();
    let now = s.t();
    s.server
        .auth(now, auth(ReasonCode::CONTINUE_AUTHENTICATION, "M"))
        .unwrap();
    let _ = s.sent();
    let mut d = DisconnectPropertiesBuilder::default();
    d.session_expiry_interval = Some(20);
    s.feed(Packet::Disconnect(Disconnect {
        reason_code: ReasonCode::NORMAL_DISCONNECTION,
        properties: d.build().unwrap(),
    }));
    assert!(s.sent().is_empty());
    assert!(matches!(
        closed(&s.events()).0,
        ConnectionError::PeerDisconnected { .. }
    ));
}

/// The server's DISCONNECT (5.0): the reason and properties, then nothing ([MQTT-3.14.4-1] 5.0)
/// and the transport closes ([MQTT-3.14.4-2] 5.0); [MQTT-3.14.2-2] (5.0): no Session Expiry
/// Interval from a server; [MQTT-3.14.0-1] (5.0): none before CONNACK. 3.1.1 just closes.
#[test]
fn server_disconnect_then_nothing_mqtt_3_14_4_1_mqtt_3_14_0_1() {
    let mut s = ScriptedClient::connected(Version::V5, config());
    let now = s.t();
    let mut d = DisconnectPropertiesBuilder::default();
    d.session_expiry_interval = Some(5);
    assert_eq!(
        s.server
            .disconnect(now, ReasonCode::SERVER_SHUTTING_DOWN, d.build().unwrap()),
        Err(CommandError::Encode(EncodeError::SessionExpiryFromServer))
    );
    assert!(matches!(
        s.server.disconnect(
            now,
            ReasonCode::GRANTED_QOS_1,
            DisconnectProperties::default()
        ),
        Err(CommandError::Encode(_))
    ));
    assert_eq!(s.server.status(), Status::Connected);
    s.publish(msg("late", QoS::AtMostOnce));
    s.server
        .disconnect(
            now,
            ReasonCode::SERVER_SHUTTING_DOWN,
            DisconnectProperties::default(),
        )
        .unwrap();
    assert_eq!(
        s.sent(),
        vec![Packet::disconnect_with(ReasonCode::SERVER_SHUTTING_DOWN)],
        "the DISCONNECT only"
    );
    assert!(s.server.should_close());
    assert_eq!(closed(&s.events()).0, ConnectionError::LocallyClosed);
    assert!(
        s.server
            .disconnect(now, ReasonCode::SUCCESS, DisconnectProperties::default())
            .is_err()
    );
    s.publish(msg("later", QoS::AtMostOnce));
    assert!(s.sent().is_empty());

    // Before CONNACK: closed without a DISCONNECT.
    let mut s = ScriptedClient::new(config());
    s.send_connect(connect(Version::V5, 0));
    let _ = s.events();
    let now = s.t();
    s.server
        .disconnect(
            now,
            ReasonCode::SERVER_BUSY,
            DisconnectProperties::default(),
        )
        .unwrap();
    assert!(s.sent().is_empty());
    assert!(s.server.should_close());

    let mut s = ScriptedClient::connected(Version::V3_1_1, config());
    s.server
        .disconnect(
            now,
            ReasonCode::SERVER_BUSY,
            DisconnectProperties::default(),
        )
        .unwrap();
    assert!(s.sent().is_empty());
    assert!(s.server.should_close());
}

/// [MQTT-3.1.4-3] (5.0) / [MQTT-3.1.4-2] (3.1.1): a takeover ends the old connection: 5.0
/// DISCONNECT 0x8E, 3.1.1 closes; the `Closed` event says so, with the will.
#[test]
fn take_over_sends_0x8e_mqtt_3_1_4_3() {
    for version in VERSIONS {
        let mut s = with_will(version, Some(100));
        let now = s.t();
        s.server.take_over(now);
        let sent = s.sent();
        if version.is_v5() {
            assert_eq!(
                sent,
                vec![Packet::disconnect_with(ReasonCode::SESSION_TAKEN_OVER)]
            );
        } else {
            assert!(sent.is_empty());
        }
        let events = s.events();
        let (error, will, _) = closed(&events);
        assert_eq!(error, ConnectionError::SessionTakenOver);
        published_will(&will);
        assert!(s.server.should_close());
        // Once.
        s.server.take_over(now);
        assert!(s.sent().is_empty());
        assert!(s.events().is_empty());
    }
}

/// The transport closing ends the connection once; the session is then idle.
#[test]
fn transport_closed_ends_the_connection_once() {
    let mut s = ScriptedClient::connected(Version::V5, config());
    s.publish(msg("t", QoS::AtMostOnce));
    s.close();
    assert_eq!(closed(&s.events()).0, ConnectionError::TransportClosed);
    assert_eq!(s.server.status(), Status::Idle);
    assert!(s.sent().is_empty());
    s.close();
    assert!(s.events().is_empty());
    assert_eq!(s.server.poll_timeout(), None);
}

// ================================================================ AUTH

fn auth_connect(method: &'static str) -> Connect {
    connect_with(
        Version::V5,
        true,
        0,
        connect_props(|p| {
            p.authentication_method = Some(method.into());
            p.authentication_data = Some(Bytes::from_static(b"client-first"));
        }),
    )
}

/// §4.12 (5.0), [MQTT-4.12.0-2] (5.0): enhanced authentication: the CONNECT with a method is
/// reported; the application challenges with AUTH 0x18, the client's AUTH (0x18,
/// [MQTT-4.12.0-3]) comes as an event; the application accepts with the method in CONNACK
/// ([MQTT-4.12.0-5]).
#[test]
fn enhanced_authentication_exchange_mqtt_4_12_0_2() {
    let mut s = ScriptedClient::new(config());
    s.send_connect(auth_connect("SCRAM"));
    let events = s.events();
    let [ServerEvent::Connect { connect }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(connect.properties.authentication_method(), Some("SCRAM"));
    let now = s.t();
    // Success is a CONNACK, never an AUTH, during the handshake.
    assert!(
        s.server
            .auth(now, auth(ReasonCode::SUCCESS, "SCRAM"))
            .is_err()
    );
    s.server
        .auth(now, auth(ReasonCode::CONTINUE_AUTHENTICATION, "SCRAM"))
        .unwrap();
    assert_eq!(
        s.sent(),
        vec![Packet::Auth(auth(
            ReasonCode::CONTINUE_AUTHENTICATION,
            "SCRAM"
        ))]
    );
    s.feed(Packet::Auth(auth(
        ReasonCode::CONTINUE_AUTHENTICATION,
        "SCRAM",
    )));
    let events = s.events();
    assert!(
        matches!(events.as_slice(), [ServerEvent::Auth { auth }] if auth.reason_code == ReasonCode::CONTINUE_AUTHENTICATION),
        "{events:?}"
    );
    s.accept(Accept::new().properties(connack_props(|p| {
        p.authentication_method = Some("SCRAM".into());
        p.authentication_data = Some(Bytes::from_static(b"server-final"));
    })));
    let sent = s.sent();
    let [Packet::ConnAck(connack)] = sent.as_slice() else {
        panic!("{sent:?}")
    };
    assert_eq!(connack.properties.authentication_method(), Some("SCRAM"));
    assert_eq!(s.server.status(), Status::Connected);
}

/// [MQTT-4.12.0-4] (5.0): the server may refuse at any step of the exchange: CONNACK with the
/// failure, then close.
#[test]
fn enhanced_authentication_refused_mqtt_4_12_0_4() {
    let mut s = ScriptedClient::new(config());
    s.send_connect(auth_connect("SCRAM"));
    let _ = s.events();
    let now = s.t();
    s.server
        .auth(now, auth(ReasonCode::CONTINUE_AUTHENTICATION, "SCRAM"))
        .unwrap();
    s.feed(Packet::Auth(auth(
        ReasonCode::CONTINUE_AUTHENTICATION,
        "SCRAM",
    )));
    let _ = s.events();
    s.server
        .reject(
            now,
            ReasonCode::NOT_AUTHORIZED,
            ConnAckProperties::default(),
        )
        .unwrap();
    let sent = s.sent();
    assert_eq!(sent.len(), 2);
    assert!(matches!(&sent[1], Packet::ConnAck(c) if c.reason_code == ReasonCode::NOT_AUTHORIZED));
    assert!(s.server.should_close());
}

/// [MQTT-4.12.0-5] (5.0): the client's AUTH carries the CONNECT's method, or the connection
/// ends.
#[test]
fn auth_with_another_method_ends_the_handshake_mqtt_4_12_0_5() {
    let mut s = ScriptedClient::new(config());
    s.send_connect(auth_connect("SCRAM"));
    let _ = s.events();
    let now = s.t();
    s.server
        .auth(now, auth(ReasonCode::CONTINUE_AUTHENTICATION, "SCRAM"))
        .unwrap();
    let _ = s.sent();
    s.feed(Packet::Auth(auth(
        ReasonCode::CONTINUE_AUTHENTICATION,
        "OTHER",
    )));
    assert!(s.sent().is_empty());
    assert!(matches!(
        closed(&s.events()).0,
        ConnectionError::Protocol { rule, .. } if rule.contains("[MQTT-4.12.0-5]")
    ));
}

/// [MQTT-3.1.2-30] (5.0): during the exchange the client sends only AUTH (or DISCONNECT).
#[test]
fn packet_other_than_auth_during_the_exchange_mqtt_3_1_2_30() {
    let mut s = ScriptedClient::new(config());
    s.send_connect(auth_connect("SCRAM"));
    let _ = s.events();
    let now = s.t();
    s.server
        .auth(now, auth(ReasonCode::CONTINUE_AUTHENTICATION, "SCRAM"))
        .unwrap();
    let _ = s.sent();
    s.feed(Packet::PingReq);
    assert!(s.sent().is_empty());
    assert!(matches!(
        closed(&s.events()).0,
        ConnectionError::Protocol { rule, .. } if rule.contains("[MQTT-3.1.2-30]")
    ));
}

/// [MQTT-4.12.1-1] (5.0), §4.12.1: re-authentication after CONNACK: AUTH 0x19 with the
/// CONNECT's method is reported, traffic goes on, the application ends it with AUTH 0x00;
/// [MQTT-4.12.1-2] (5.0): a failed one ends with DISCONNECT.
#[test]
fn re_authentication_mqtt_4_12_1_1_mqtt_4_12_1_2() {
    let mut s = ScriptedClient::new(config());
    s.establish(
        auth_connect("SCRAM"),
        Accept::new().properties(connack_props(|p| {
            p.authentication_method = Some("SCRAM".into())
        })),
    );
    s.feed_all([
        Packet::Auth(auth(ReasonCode::REAUTHENTICATE, "SCRAM")),
        Packet::PingReq,
    ]);
    let events = s.events();
    assert!(
        matches!(events.as_slice(), [ServerEvent::Auth { auth }] if auth.reason_code == ReasonCode::REAUTHENTICATE)
    );
    assert_eq!(s.sent(), vec![Packet::PingResp]);
    let now = s.t();
    s.server
        .auth(now, auth(ReasonCode::CONTINUE_AUTHENTICATION, "SCRAM"))
        .unwrap();
    s.feed(Packet::Auth(auth(
        ReasonCode::CONTINUE_AUTHENTICATION,
        "SCRAM",
    )));
    let _ = s.events();
    s.server
        .auth(now, auth(ReasonCode::SUCCESS, "SCRAM"))
        .unwrap();
    assert_eq!(
        s.sent(),
        vec![
            Packet::Auth(auth(ReasonCode::CONTINUE_AUTHENTICATION, "SCRAM")),
            Packet::Auth(auth(ReasonCode::SUCCESS, "SCRAM"))
        ]
    );
    // A failed one.
    s.feed(Packet::Auth(auth(ReasonCode::REAUTHENTICATE, "SCRAM")));
    let _ = s.events();
    s.server
        .disconnect(
            now,
            ReasonCode::NOT_AUTHORIZED,
            DisconnectProperties::default(),
        )
        .unwrap();
    assert_eq!(
        s.sent(),
        vec![Packet::disconnect_with(ReasonCode::NOT_AUTHORIZED)]
    );
    assert!(s.server.should_close());
}

/// AUTH is 5.0 only; a 3.1.1 session refuses the command.
#[test]
fn auth_on_3_1_1_is_not_available() {
    let mut s = ScriptedClient::new(config());
    s.send_connect(connect(Version::V3_1_1, 0));
    let _ = s.events();
    let now = s.t();
    assert!(matches!(
        s.server
            .auth(now, auth(ReasonCode::CONTINUE_AUTHENTICATION, "X")),
        Err(CommandError::NotAvailable { .. })
    ));
    assert!(s.sent().is_empty());
}

/// [MQTT-3.1.2-29] (5.0): an AUTH challenge to a client that asked for no problem information
/// goes without Reason String; [MQTT-3.1.2-24] (5.0) and one too large for it without its
/// diagnostics.
#[test]
fn auth_challenge_respects_the_connects_limits_mqtt_3_1_2_29() {
    let mut s = ScriptedClient::new(config());
    s.send_connect(connect_with(
        Version::V5,
        true,
        0,
        connect_props(|p| {
            p.authentication_method = Some("M".into());
            p.request_problem_information = Some(false);
        }),
    ));
    let _ = s.events();
    let mut a = auth(ReasonCode::CONTINUE_AUTHENTICATION, "M")
        .properties
        .to_builder();
    a.reason_string = Some("more please".into());
    let now = s.t();
    s.server
        .auth(
            now,
            Auth {
                reason_code: ReasonCode::CONTINUE_AUTHENTICATION,
                properties: a.build().unwrap(),
            },
        )
        .unwrap();
    assert_eq!(
        s.sent(),
        vec![Packet::Auth(auth(ReasonCode::CONTINUE_AUTHENTICATION, "M"))]
    );
}

// ================================================================ session state

/// A 5.0 (or 3.1.1) session that outlives its connection, with: QoS 1 "a" sent and not acked,
/// QoS 2 "b" at the PUBREL stage, QoS 2 "c" sent and not received, QoS 1 "d" and QoS 0 "e"
/// queued (the client's Receive Maximum is 3), and an incoming QoS 2 message (identifier 40)
/// awaiting PUBREL. The connection is then lost; the state is taken.
fn busy_state(version: Version) -> (SessionState, Vec<PacketId>) {
    let mut s = ScriptedClient::new(config());
    let properties = if version.is_v5() {
        connect_props(|p| {
            p.session_expiry_interval = Some(3600);
            p.receive_maximum = Some(3);
        })
    } else {
        ConnectProperties::default()
    };
    s.establish(connect_with(version, false, 0, properties), Accept::new());
    s.publish(msg("a", QoS::AtLeastOnce));
    s.publish(msg("b", QoS::ExactlyOnce));
    s.publish(msg("c", QoS::ExactlyOnce));
    let sent = s.sent();
    let pids: Vec<PacketId> = publishes(&sent).iter().map(|p| pid_of(p)).collect();
    assert_eq!(pids.len(), 3);
    s.feed(Packet::PubRec(ack(pids[1], ReasonCode::SUCCESS)));
    assert_eq!(s.sent(), vec![Packet::pub_rel(pids[1])]);
    s.publish(msg("d", QoS::AtLeastOnce).properties(publish_props(|p| {
        p.content_type = Some("text/plain".into())
    })));
    s.publish(msg("e", QoS::AtMostOnce));
    if !version.is_v5() {
        // No Receive Maximum on 3.1.1: everything went out; keep d and e queued by sending
        // them after the state is taken instead.
    }
    s.feed(Packet::Publish(client_publish(
        "in",
        QosPid::ExactlyOnce(pid(40)),
    )));
    let events = s.events();
    let now = s.t();
    s.server
        .ack(
            now,
            token(&events[0]),
            ReasonCode::SUCCESS,
            AckProperties::default(),
        )
        .unwrap();
    let _ = s.sent();
    assert!(s.server.take_state().is_none(), "not before the end");
    s.close();
    let _ = s.events();
    let state = s.server.take_state().expect("the state");
    assert!(s.server.take_state().is_none(), "taken once");
    (state, pids)
}

/// [MQTT-4.4.0-1] (both), [MQTT-4.6.0-1] (both), [MQTT-3.3.1-1] (both), [MQTT-2.3.1-3]
/// (3.1.1): a resumed session sends its messages in flight again first, in their original
/// order, PUBLISH with DUP 1 and the same identifier, PUBREL where the PUBREC came
/// ([MQTT-4.3.3-6] 5.0: never the PUBLISH again), within the new Receive Maximum
/// ([MQTT-3.3.4-9] 5.0); then the queued messages.
#[test]
fn resumed_session_resends_in_order_mqtt_4_4_0_1_mqtt_4_6_0_1() {
    let (state, pids) = busy_state(Version::V5);
    assert_eq!(state.inflight(), 3);
    assert_eq!(state.queued(), 2);
    let mut s = ScriptedClient::new(config());
    let connack = s.establish(
        connect_with(
            Version::V5,
            false,
            0,
            connect_props(|p| {
                p.session_expiry_interval = Some(3600);
                p.receive_maximum = Some(1);
            }),
        ),
        Accept::new().resume(state),
    );
    assert!(connack.session_present);
    let sent = s.sent();
    // Receive Maximum 1: "a" again and the PUBREL after it ([MQTT-3.3.4-10] 5.0: not a
    // PUBLISH, so not held by the quota); "c" waits for the quota.
    assert_eq!(sent.len(), 2, "{sent:?}");
    let Packet::Publish(a) = &sent[0] else {
        panic!("{sent:?}")
    };
    assert!(a.dup);
    assert_eq!((a.topic.as_str(), pid_of(a)), ("a", pids[0]));
    assert_eq!(sent[1], Packet::pub_rel(pids[1]));
    s.feed(Packet::PubAck(ack(pids[0], ReasonCode::SUCCESS)));
    let sent = s.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let Packet::Publish(c) = &sent[0] else {
        panic!("{sent:?}")
    };
    assert!(c.dup);
    assert_eq!((c.topic.as_str(), pid_of(c)), ("c", pids[2]));
    assert_eq!(delivered(&s.events()).len(), 1);
    s.feed(Packet::PubComp(ack(pids[2], ReasonCode::SUCCESS)));
    assert!(s.sent().is_empty(), "c awaits PUBREC, not PUBCOMP");
    assert!(s.events().is_empty());
    s.feed(Packet::PubRec(ack(pids[2], ReasonCode::SUCCESS)));
    assert_eq!(s.sent(), vec![Packet::pub_rel(pids[2])]);
    // b's PUBCOMP returns no quota: its PUBLISH was counted on the earlier connection, and c
    // holds the one unit ([MQTT-3.3.4-9] 5.0).
    s.feed(Packet::PubComp(ack(pids[1], ReasonCode::SUCCESS)));
    assert!(s.sent().is_empty());
    s.feed(Packet::PubComp(ack(pids[2], ReasonCode::SUCCESS)));
    let sent = s.sent();
    let p = publishes(&sent);
    assert_eq!(p.len(), 2, "{sent:?}");
    assert_eq!((p[0].topic.as_str(), p[0].dup), ("d", false));
    assert!(!pids.contains(&pid_of(p[0])), "a fresh identifier");
    assert_eq!(p[0].properties.content_type(), Some("text/plain"));
    assert_eq!((p[1].topic.as_str(), p[1].qos), ("e", QosPid::AtMostOnce));
    assert_eq!(delivered(&s.events()).len(), 2, "b and c");
    // [MQTT-4.3.3-10] (5.0): the incoming QoS 2 message is still known: its repeat is not
    // reported again, its PUBREL completes it.
    let mut again = client_publish("in", QosPid::ExactlyOnce(pid(40)));
    again.dup = true;
    s.feed(Packet::Publish(again));
    assert!(s.events().is_empty());
    assert_eq!(
        s.sent(),
        vec![Packet::PubRec(ack(pid(40), ReasonCode::SUCCESS))]
    );
    s.feed(Packet::pub_rel(pid(40)));
    assert_eq!(
        s.sent(),
        vec![Packet::PubComp(ack(pid(40), ReasonCode::SUCCESS))]
    );
}

/// A session resumed on 3.1.1 (from a 5.0 one) sends its messages without properties.
#[test]
fn resumed_session_on_3_1_1_drops_properties() {
    let (state, _) = busy_state(Version::V5);
    let mut s = ScriptedClient::new(config());
    let connack = s.establish(
        lasting_connect(Version::V3_1_1),
        Accept::new().resume(state),
    );
    assert!(connack.session_present);
    let sent = s.sent();
    assert!(publishes(&sent).iter().all(|p| p.properties.is_empty()));
    let topics: Vec<_> = publishes(&sent)
        .iter()
        .map(|p| p.topic.to_string())
        .collect();
    assert_eq!(topics, ["a", "c", "d", "e"]);
}

/// [MQTT-3.3.2-7] (5.0): aliases die with the connection: a resumed message goes with its
/// topic.
#[test]
fn resends_carry_the_topic_not_an_alias_mqtt_3_3_2_7() {
    let c = config().outbound_aliases(AliasPolicy::Lru { max: 4 });
    let props = || {
        connect_props(|p| {
            p.session_expiry_interval = Some(60);
            p.topic_alias_maximum = Some(4);
        })
    };
    let mut s = ScriptedClient::new(c.clone());
    s.establish(connect_with(Version::V5, false, 0, props()), Accept::new());
    s.publish(msg("t/a", QoS::AtLeastOnce));
    s.publish(msg("t/a", QoS::AtLeastOnce));
    assert_eq!(
        topics_and_aliases(&s.sent()),
        [("t/a".to_string(), Some(1)), (String::new(), Some(1))]
    );
    s.close();
    let state = s.server.take_state().unwrap();
    let mut s = ScriptedClient::new(c);
    s.establish(
        connect_with(Version::V5, false, 0, props()),
        Accept::new().resume(state),
    );
    assert_eq!(
        topics_and_aliases(&s.sent()),
        [("t/a".to_string(), None), ("t/a".to_string(), None)]
    );
}

/// `take_state` hands the state out once, after the end of an accepted connection only.
#[test]
fn take_state_only_after_an_accepted_connection_ended() {
    let mut s = ScriptedClient::new(config());
    s.send_connect(connect(Version::V5, 0));
    let _ = s.events();
    let now = s.t();
    s.server
        .reject(
            now,
            ReasonCode::NOT_AUTHORIZED,
            ConnAckProperties::default(),
        )
        .unwrap();
    assert!(s.server.take_state().is_none());
    let mut s = ScriptedClient::new(config());
    s.send_connect(lasting_connect(Version::V5));
    let _ = s.events();
    // Before the decision the session is not known (it may be resumed): nothing is queued.
    let now = s.t();
    assert!(matches!(
        s.server.publish(now, msg("early", QoS::AtLeastOnce)),
        Err(PublishError::NotAccepted(m)) if m.topic.as_str() == "early"
    ));
    let mut s = ScriptedClient::connected(Version::V5, config());
    assert!(s.server.take_state().is_none());
    s.close();
    let state = s.server.take_state().unwrap();
    assert_eq!((state.inflight(), state.queued()), (0, 0));
    // A message for the session after its state left is handed back, not kept where nothing
    // would send it.
    let now = s.t();
    assert!(matches!(
        s.server.publish(now, msg("late", QoS::AtLeastOnce)),
        Err(PublishError::StateTaken(m)) if m.topic.as_str() == "late"
    ));
}

/// `export` → `import` → `export` gives the same bytes, and the imported state resumes as the
/// original would.
#[test]
fn session_state_export_import_round_trip() {
    let (state, pids) = busy_state(Version::V5);
    let now = Instant::from_millis(5_000);
    let bytes = state.export(now);
    let back = SessionState::import(&bytes, now).expect("imported");
    assert_eq!(back.export(now), bytes);
    assert_eq!((back.inflight(), back.queued()), (3, 2));
    assert_eq!(back.queued_bytes(), state.queued_bytes());
    let mut s = ScriptedClient::at(config(), 5_000);
    s.establish(lasting_connect(Version::V5), Accept::new().resume(back));
    let sent = s.sent();
    assert_eq!(sent[1], Packet::pub_rel(pids[1]));
    assert_eq!(publishes(&sent).len(), 4);
    let empty = SessionState::default();
    let bytes = empty.export(now);
    assert_eq!(
        SessionState::import(&bytes, now).unwrap().export(now),
        bytes
    );
}

/// Any byte sequence is a state or an error: every truncation, a byte more, another magic,
/// flipped bytes.
#[test]
fn session_state_import_refuses_garbage_and_truncations() {
    let (state, _) = busy_state(Version::V5);
    let now = Instant::from_millis(1_000);
    let bytes = state.export(now);
    for n in 0..bytes.len() {
        assert!(
            SessionState::import(&bytes[..n], now).is_err(),
            "a truncation to {n} bytes is refused"
        );
    }
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert_eq!(
        SessionState::import(&longer, now).err(),
        Some(StateError::Truncated)
    );
    let mut other = bytes.to_vec();
    other[0] = b'X';
    assert_eq!(
        SessionState::import(&other, now).err(),
        Some(StateError::UnknownFormat)
    );
    other = bytes.to_vec();
    other[4] = 2;
    assert_eq!(
        SessionState::import(&other, now).err(),
        Some(StateError::UnknownFormat)
    );
    assert!(SessionState::import(b"", now).is_err());
    assert!(SessionState::import(b"garbage garbage garbage", now).is_err());
    // Flipping any single byte never panics.
    for i in 0..bytes.len() {
        let mut flipped = bytes.to_vec();
        flipped[i] ^= 0xFF;
        let _ = SessionState::import(&flipped, now);
    }
}

/// A stored message carrying a Topic Alias is refused at import: the session assigns aliases,
/// and the client knows none from an earlier connection ([MQTT-3.3.2-7] 5.0).
#[test]
fn session_state_import_refuses_a_stored_topic_alias() {
    let mut state = SessionState::default();
    state
        .queue(Instant::ZERO, msg("a/b", QoS::AtLeastOnce), &config())
        .unwrap();
    let bytes = state.export(Instant::ZERO).to_vec();
    // The PUBLISH record: after magic, format, next id, cursor, an empty in-flight list, the
    // queued count, id, waited and the record length.
    let at = 4 + 1 + 8 + 2 + 4 + 4 + 8 + 8;
    let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let record = &bytes[at + 4..at + 4 + len];
    let mut buf = bytes::BytesMut::from(record);
    let mut publish = match mqtt_wire::Decoder::new(Version::V5).decode(&mut buf) {
        Ok(Some(Packet::Publish(p))) => p,
        other => panic!("{other:?}"),
    };
    publish.properties = publish_props(|p| p.topic_alias = Some(3));
    let mut record = bytes::BytesMut::new();
    mqtt_wire::Encoder::new(Version::V5)
        .encode(&Packet::Publish(publish), &mut record)
        .unwrap();
    let mut forged = bytes[..at].to_vec();
    forged.extend_from_slice(&(record.len() as u32).to_be_bytes());
    forged.extend_from_slice(&record);
    forged.extend_from_slice(&bytes[at + 4 + len..]);
    assert!(matches!(
        SessionState::import(&forged, Instant::ZERO),
        Err(StateError::Invalid(_))
    ));
}

/// [MQTT-3.3.2-5] / [MQTT-3.3.2-6] (5.0): the time a queued message waited is kept across
/// export and import, also into a clock that restarted at zero (a broker restart).
#[test]
fn queued_message_expiry_survives_a_restart_mqtt_3_3_2_6() {
    let mut state = SessionState::default();
    let m = |topic, expiry| {
        msg(topic, QoS::AtLeastOnce)
            .properties(publish_props(|p| p.message_expiry_interval = Some(expiry)))
    };
    state
        .queue(Instant::ZERO, m("short", 5), &config())
        .unwrap();
    state
        .queue(Instant::ZERO, m("long", 100), &config())
        .unwrap();
    // Exported 7 s later, imported at time 0 of a new clock.
    let bytes = state.export(Instant::from_millis(7_000));
    let back = SessionState::import(&bytes, Instant::ZERO).unwrap();
    let mut s = ScriptedClient::new(config());
    s.establish(lasting_connect(Version::V5), Accept::new().resume(back));
    let sent = s.sent();
    let p = publishes(&sent);
    assert_eq!(p.len(), 1, "{sent:?}");
    assert_eq!(p[0].topic, "long");
    assert_eq!(p[0].properties.message_expiry_interval(), Some(93));
    assert!(matches!(
        dropped(&s.events()).as_slice(),
        [(0, PublishFailure::Expired)]
    ));
}

/// `SessionState::queue` queues for an absent client within the configured bounds, and
/// `drop_expired` removes the expired ones ([MQTT-3.3.2-5] 5.0).
#[test]
fn offline_queue_is_bounded_and_expires() {
    let c = config().max_queued(2);
    let mut state = SessionState::default();
    let (_, n) = state
        .queue(Instant::ZERO, msg("a", QoS::AtMostOnce), &c)
        .unwrap();
    assert_eq!(n, 0);
    state
        .queue(
            Instant::ZERO,
            msg("b", QoS::AtLeastOnce)
                .properties(publish_props(|p| p.message_expiry_interval = Some(10))),
            &c,
        )
        .unwrap();
    let (_, n) = state
        .queue(Instant::ZERO, msg("c", QoS::AtLeastOnce), &c)
        .unwrap();
    assert_eq!(n, 1, "the QoS 0 message made room");
    assert!(matches!(
        state.queue(Instant::ZERO, msg("d", QoS::AtLeastOnce), &c),
        Err(PublishError::Blocked(_))
    ));
    assert_eq!(state.drop_expired(Instant::from_millis(9_999)), 0);
    assert_eq!(state.drop_expired(Instant::from_millis(10_000)), 1);
    assert_eq!(state.queued(), 1);
    assert_eq!(state.queued_bytes(), 1 + 7);
}

// ================================================================ the session's own bounds

/// Reading stops while `max_events` events wait to be polled, and while as many packets wait
/// for `poll_transmit`; the bytes stay in the buffer.
#[test]
fn reading_stops_while_events_or_answers_are_not_taken() {
    let mut s = ScriptedClient::connected(Version::V5, config().max_events(2));
    s.feed_all((0..5).map(|_| Packet::Publish(client_publish("t", QosPid::AtMostOnce))));
    assert!(!s.server.wants_read());
    assert_eq!(s.events().len(), 2);
    s.pump();
    assert_eq!(s.events().len(), 2);
    s.pump();
    assert_eq!(s.events().len(), 1);
    assert!(s.unread.is_empty());

    s.feed_all((0..5).map(|_| Packet::PingReq));
    assert_eq!(s.sent().len(), 2);
    s.pump();
    assert_eq!(s.sent().len(), 2);
    s.pump();
    assert_eq!(s.sent().len(), 1);
}

/// A partial packet stays in the buffer until the rest arrives.
#[test]
fn partial_packet_waits_for_the_rest() {
    let mut s = ScriptedClient::connected(Version::V5, config());
    let bytes = s.encode(&Packet::Publish(client_publish("a/b", QosPid::AtMostOnce)));
    for b in bytes.iter() {
        assert!(s.events().is_empty());
        s.feed_bytes(&[*b]);
    }
    assert_eq!(received_topics(&s.events()), ["a/b"]);
}

/// An input with an earlier time than one seen before is taken at the later time.
#[test]
fn time_going_backwards_is_treated_as_the_latest_time() {
    let mut s = ScriptedClient::new(config());
    s.establish(connect(Version::V5, 10), Accept::new());
    s.now = 10_000;
    s.feed(Packet::PingReq);
    s.now = 2_000;
    s.feed(Packet::PingReq);
    assert_eq!(s.server.poll_timeout(), Some(Instant::from_millis(25_000)));
}

/// Commands in the wrong status are refused, never a panic.
#[test]
fn commands_in_the_wrong_status_are_refused() {
    let stray = AckToken::clone(&{
        let mut s = manual_v(Version::V5);
        s.feed(Packet::Publish(client_publish(
            "a",
            QosPid::AtLeastOnce(pid(1)),
        )));
        token(&s.events()[0])
    });
    for stage in 0..3 {
        let mut s = ScriptedClient::new(config());
        if stage >= 1 {
            s.send_connect(connect(Version::V5, 0));
            let _ = s.events();
        }
        if stage >= 2 {
            s.close();
        }
        let now = s.t();
        assert!(
            s.server
                .ack(now, stray, ReasonCode::SUCCESS, AckProperties::default())
                .is_err()
        );
        assert!(
            s.server
                .suback(
                    now,
                    pid(1),
                    vec![ReasonCode::SUCCESS],
                    AckProperties::default()
                )
                .is_err()
        );
        assert!(
            s.server
                .unsuback(
                    now,
                    pid(1),
                    vec![ReasonCode::SUCCESS],
                    AckProperties::default()
                )
                .is_err()
        );
        let _ = s
            .server
            .auth(now, auth(ReasonCode::CONTINUE_AUTHENTICATION, "M"));
        s.server.take_over(now);
        let _ = s
            .server
            .disconnect(now, ReasonCode::SUCCESS, DisconnectProperties::default());
        let _ = s.server.publish(now, msg("t", QoS::AtLeastOnce));
        let _ = s.sent();
        let _ = s.events();
    }
}

/// A CONNECT handed over as a packet (a framed transport) sets the version in which the bytes
/// after it are read.
#[test]
fn connect_as_a_packet_sets_the_version_for_later_bytes() {
    let mut s = ScriptedClient::new(config());
    let now = s.t();
    s.server
        .handle_packet(now, Packet::Connect(Box::new(connect(Version::V3_1_1, 0))));
    assert!(matches!(
        s.events().as_slice(),
        [ServerEvent::Connect { .. }]
    ));
    s.server.accept(now, Accept::new()).unwrap();
    assert_eq!(&s.sent_bytes()[..], b"\x20\x02\x00\x00");
    // A 3.1.1 PUBLISH: no property length after the topic.
    s.feed_bytes(b"\x30\x05\x00\x01thi");
    let events = s.events();
    assert_eq!(received_topics(&events), ["t"], "{events:?}");
}

/// Messages in flight stay within `max_inflight` (and the client's Receive Maximum,
/// [MQTT-3.3.4-9] 5.0) even when the client leaves QoS 2 flows at the PUBREL stage across
/// connections: a resumed flow still counts until its PUBCOMP.
#[test]
fn flows_left_at_pubrel_across_connections_count_against_the_window() {
    let c = config().max_inflight(2);
    let mut state = None;
    for round in 0..3 {
        let mut s = ScriptedClient::new(c.clone());
        let accept = match state.take() {
            Some(st) => Accept::new().resume(st),
            None => Accept::new(),
        };
        s.establish(lasting_connect(Version::V5), accept);
        for _ in 0..2 {
            s.publish(msg("q2", QoS::ExactlyOnce));
        }
        let sent = s.sent();
        for p in publishes(&sent) {
            s.feed(Packet::PubRec(ack(pid_of(p), ReasonCode::SUCCESS)));
        }
        let _ = s.sent();
        assert!(
            s.server.inflight() <= 2,
            "round {round}: {}",
            s.server.inflight()
        );
        s.close();
        state = s.server.take_state();
    }
    // The PUBCOMPs make room again.
    let mut s = ScriptedClient::new(c);
    s.establish(
        lasting_connect(Version::V5),
        Accept::new().resume(state.unwrap()),
    );
    let rels: Vec<PacketId> = s
        .sent()
        .iter()
        .filter_map(|p| match p {
            Packet::PubRel(a) => Some(a.pid),
            _ => None,
        })
        .collect();
    assert_eq!(rels.len(), 2);
    s.feed(Packet::PubComp(ack(rels[0], ReasonCode::SUCCESS)));
    assert_eq!(publishes(&s.sent()).len(), 1, "one of the queued messages");
}

/// [MQTT-3.3.4-9] (5.0): on a resumed connection the PUBCOMP of a flow resumed at the PUBREL
/// stage returns no quota, so a resent PUBLISH behind it waits for the ack of the one holding
/// the client's Receive Maximum.
#[test]
fn pubcomp_of_a_resumed_pubrel_returns_no_quota_mqtt_3_3_4_9() {
    let mut s = ScriptedClient::new(config());
    s.establish(lasting_connect(Version::V5), Accept::new());
    s.publish(msg("b", QoS::ExactlyOnce));
    s.publish(msg("a", QoS::AtLeastOnce));
    s.publish(msg("c", QoS::ExactlyOnce));
    let sent = s.sent();
    let pids: Vec<PacketId> = publishes(&sent).iter().map(|p| pid_of(p)).collect();
    s.feed(Packet::PubRec(ack(pids[0], ReasonCode::SUCCESS)));
    let _ = s.sent();
    s.close();
    let state = s.server.take_state().unwrap();
    let mut s = ScriptedClient::new(config());
    s.establish(
        connect_with(
            Version::V5,
            false,
            0,
            connect_props(|p| {
                p.session_expiry_interval = Some(60);
                p.receive_maximum = Some(1);
            }),
        ),
        Accept::new().resume(state),
    );
    let sent = s.sent();
    assert!(
        matches!(sent.as_slice(), [Packet::PubRel(r), Packet::Publish(a)] if r.pid == pids[0] && a.topic == "a"),
        "{sent:?}"
    );
    s.feed(Packet::PubComp(ack(pids[0], ReasonCode::SUCCESS)));
    assert!(s.sent().is_empty(), "a holds the only unit");
    s.feed(Packet::PubAck(ack(pids[1], ReasonCode::SUCCESS)));
    assert!(matches!(s.sent().as_slice(), [Packet::Publish(c)] if c.topic == "c" && c.dup));
}

/// [MQTT-3.1.2-24] (5.0): a client whose Maximum Packet Size cannot hold our CONNACK, even
/// without its diagnostics, cannot be accepted: `accept` refuses and the CONNECT still waits,
/// for a refusal that fits.
#[test]
fn connack_that_cannot_fit_the_client_is_refused_mqtt_3_1_2_24() {
    let mut s = ScriptedClient::new(config());
    s.send_connect(connect_with(
        Version::V5,
        true,
        0,
        connect_props(|p| p.maximum_packet_size = Some(5)),
    ));
    let _ = s.events();
    let now = s.t();
    assert!(matches!(
        s.server.accept(now, Accept::new()),
        Err(CommandError::Encode(EncodeError::PacketTooLarge { .. }))
    ));
    assert!(s.sent().is_empty());
    assert_eq!(s.server.status(), Status::Connecting);
    s.server
        .reject(
            now,
            ReasonCode::PACKET_TOO_LARGE,
            ConnAckProperties::default(),
        )
        .unwrap();
    assert_eq!(&s.sent_bytes()[..], b"\x20\x03\x00\x95\x00");
    assert!(s.server.should_close());
}
