//! The client session against a scripted server, one test per rule. Each test names the
//! statement ids of `checklist.md` it checks (5.0 ids unless marked 3.1.1); a test that runs
//! on both versions names both ids where they differ.
//!
//! The server side decodes exactly the bytes the client hands to `poll_transmit`, with a
//! decoder told the packets come from a client, so every byte the client sends is also checked
//! by the codec's sender rules.

mod common;

use bytes::{Bytes, BytesMut};
use common::scripted::{
    Scripted, ack, connect, connect_with, msg, pid, published, publishes, server_publish,
};
use mqtt_wire::session::{
    AckMode, AliasPolicy, ClientConfig, ClientEvent, CommandError, ConnectionError, Instant,
    PublishError, PublishFailure, Status,
};
use mqtt_wire::{
    AckProperties, AckPropertiesBuilder, Auth, AuthPropertiesBuilder, ByteString, ConnAck,
    ConnAckProperties, ConnAckPropertiesBuilder, ConnectProperties, ConnectPropertiesBuilder,
    Disconnect, DisconnectPropertiesBuilder, EncodeError, Packet, PacketId, Publish,
    PublishPropertiesBuilder, QoS, QosPid, ReasonCode, SubAck, SubscribeFilters,
    SubscribeProperties, SubscribePropertiesBuilder, SubscriptionOptions, TopicFilter, UnsubAck,
    UnsubscribeFilters, UnsubscribeProperties, Version,
};
use std::collections::HashSet;
use std::time::Duration;

const VERSIONS: [Version; 2] = [Version::V3_1_1, Version::V5];

fn config() -> ClientConfig {
    ClientConfig::default()
}

fn manual() -> ClientConfig {
    ClientConfig::default().ack_mode(AckMode::Manual)
}

fn connack_props(build: impl FnOnce(&mut ConnAckPropertiesBuilder)) -> ConnAckProperties {
    let mut b = ConnAckPropertiesBuilder::default();
    build(&mut b);
    b.build().expect("valid CONNACK properties")
}

fn connect_props(build: impl FnOnce(&mut ConnectPropertiesBuilder)) -> ConnectProperties {
    let mut b = ConnectPropertiesBuilder::default();
    build(&mut b);
    b.build().expect("valid CONNECT properties")
}

/// A 5.0 session connected with the given CONNECT and CONNACK properties (keep alive 0).
fn connected_v5(
    config: ClientConfig,
    connect: ConnectProperties,
    connack: ConnAckProperties,
) -> Scripted {
    let mut s = Scripted::new(config);
    s.establish(connect_with(Version::V5, true, 0, connect), connack);
    s
}

/// A 5.0 session whose state outlives the connection (Session Expiry Interval 3600), or a
/// 3.1.1 session with Clean Session 0.
fn lasting(version: Version, config: ClientConfig) -> Scripted {
    let mut s = Scripted::new(config);
    s.establish(resume_connect(version), ConnAckProperties::default());
    s
}

fn resume_connect(version: Version) -> mqtt_wire::Connect {
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

/// Closes the transport and reconnects with Clean Start 0; the server answers Session Present
/// `present`. Returns the events of the close and of the CONNACK.
fn reconnect(s: &mut Scripted, present: bool, connack: ConnAckProperties) -> Vec<ClientEvent> {
    s.close();
    let mut events = s.events();
    let version = s.version;
    s.connect(resume_connect(version));
    let sent = s.sent();
    assert!(matches!(sent.as_slice(), [Packet::Connect(_)]), "{sent:?}");
    s.connack(present, connack);
    events.extend(s.events());
    events
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

fn subscribe(s: &mut Scripted, names: &[&'static str]) -> PacketId {
    let now = s.t();
    s.client
        .subscribe(now, filters(names), SubscribeProperties::default())
        .expect("subscribe accepted")
}

fn unsubscribe(s: &mut Scripted, names: &[&'static str]) -> PacketId {
    let now = s.t();
    s.client
        .unsubscribe(now, unfilters(names), UnsubscribeProperties::default())
        .expect("unsubscribe accepted")
}

fn publish(
    s: &mut Scripted,
    message: mqtt_wire::session::Message,
) -> mqtt_wire::session::PublishId {
    let now = s.t();
    s.client.publish(now, message).expect("publish accepted")
}

/// The packet identifier of a QoS 1/2 PUBLISH.
fn pid_of(p: &Publish) -> PacketId {
    p.qos.pid().expect("QoS 1 or 2")
}

fn suback(pid: PacketId, n: usize) -> Packet {
    Packet::SubAck(SubAck {
        pid,
        properties: AckProperties::default(),
        reason_codes: vec![ReasonCode::GRANTED_QOS_1; n],
    })
}

fn unsuback(pid: PacketId, n: usize) -> Packet {
    Packet::UnsubAck(UnsubAck {
        pid,
        properties: AckProperties::default(),
        reason_codes: vec![ReasonCode::SUCCESS; n],
    })
}

/// Asserts the connection failed on a protocol rule with `reason`: on 5.0 a DISCONNECT with it
/// went out (when `after_connack`), then nothing; the transport is to be closed.
fn assert_violation(s: &mut Scripted, reason: ReasonCode, rule_id: &str, after_connack: bool) {
    let sent = s.sent();
    if s.version.is_v5() && after_connack {
        assert_eq!(sent, vec![Packet::disconnect_with(reason)], "{rule_id}");
    } else {
        assert_eq!(sent, vec![], "{rule_id}: no DISCONNECT");
    }
    let events = s.events();
    match Scripted::disconnected(&events).0 {
        ConnectionError::Protocol { reason: r, rule } => {
            assert_eq!(r, reason, "{rule}");
            assert!(rule.contains(rule_id), "{rule} names {rule_id}");
        }
        other => panic!("{rule_id}: {other:?}"),
    }
    assert!(s.client.should_close());
    assert_eq!(s.client.status(), Status::Closing);
}

fn auth(reason: ReasonCode, method: &'static str) -> Auth {
    Auth {
        reason_code: reason,
        properties: AuthPropertiesBuilder {
            authentication_method: Some(ByteString::from_static(method)),
            ..Default::default()
        }
        .build()
        .expect("AUTH properties"),
    }
}

// ------------------------------------------------------------------------------------------
// Before CONNACK

/// [MQTT-3.1.2-30]: until CONNACK only CONNECT and AUTH go out; a SUBSCRIBE and publishes made
/// meanwhile follow the CONNACK, in order.
#[test]
fn only_connect_and_auth_before_connack_mqtt_3_1_2_30() {
    let mut s = Scripted::new(config());
    let method = connect_props(|p| p.authentication_method = Some("SCRAM".into()));
    s.connect(connect_with(Version::V5, true, 0, method));
    publish(&mut s, msg("a", QoS::AtLeastOnce));
    publish(&mut s, msg("b", QoS::AtMostOnce));
    let sub = subscribe(&mut s, &["f/#"]);
    let sent = s.sent();
    assert!(matches!(sent.as_slice(), [Packet::Connect(_)]), "{sent:?}");

    s.feed(Packet::Auth(auth(
        ReasonCode::CONTINUE_AUTHENTICATION,
        "SCRAM",
    )));
    let events = s.events();
    assert!(
        matches!(events.as_slice(), [ClientEvent::Auth { .. }]),
        "{events:?}"
    );
    let now = s.t();
    s.client
        .auth(now, auth(ReasonCode::CONTINUE_AUTHENTICATION, "SCRAM"))
        .unwrap();
    let sent = s.sent();
    assert!(
        matches!(sent.as_slice(), [Packet::Auth(_)]),
        "only AUTH: {sent:?}"
    );

    s.connack(false, ConnAckProperties::default());
    let sent = s.sent();
    match sent.as_slice() {
        [
            Packet::Subscribe(sub_packet),
            Packet::Publish(a),
            Packet::Publish(b),
        ] => {
            assert_eq!(sub_packet.pid, sub);
            assert_eq!(a.topic, "a");
            assert_eq!(b.topic, "b");
        }
        other => panic!("{other:?}"),
    }
}

/// 3.1.1 has no AUTH: only the CONNECT goes out before CONNACK.
#[test]
fn only_connect_before_connack_on_3_1_1() {
    let mut s = Scripted::new(config());
    s.connect(connect(Version::V3_1_1, 0));
    publish(&mut s, msg("a", QoS::AtLeastOnce));
    subscribe(&mut s, &["f"]);
    assert!(matches!(s.sent().as_slice(), [Packet::Connect(_)]));
    assert_eq!(s.sent(), vec![]);
    s.connack(false, ConnAckProperties::default());
    let sent = s.sent();
    assert!(
        matches!(sent.as_slice(), [Packet::Subscribe(_), Packet::Publish(_)]),
        "{sent:?}"
    );
}

/// [MQTT-3.2.0-1] (both): the server's first packet is CONNACK (5.0: or AUTH). Anything else
/// ends the connection; no DISCONNECT before a CONNACK, and nothing is processed after.
#[test]
fn server_packet_before_connack_ends_the_connection_mqtt_3_2_0_1() {
    for version in VERSIONS {
        for first in [
            Packet::Publish(server_publish("t", QosPid::AtMostOnce)),
            Packet::ping_resp(),
            Packet::pub_ack(pid(1)),
        ] {
            let mut s = Scripted::new(config());
            s.connect(connect(version, 0));
            s.sent();
            s.feed_all([first, Packet::conn_ack(false, ReasonCode::SUCCESS)]);
            assert_violation(&mut s, ReasonCode::PROTOCOL_ERROR, "[MQTT-3.2.0-1]", false);
            assert_eq!(s.events(), vec![], "the CONNACK after it is ignored");
        }
    }
}

/// [MQTT-3.2.0-2]: one CONNACK per connection; a second is a protocol error (5.0 DISCONNECT
/// 0x82; 3.1.1 closes).
#[test]
fn second_connack_is_a_protocol_error_mqtt_3_2_0_2() {
    for version in VERSIONS {
        let mut s = Scripted::connected(version, config());
        s.connack(false, ConnAckProperties::default());
        assert_violation(&mut s, ReasonCode::PROTOCOL_ERROR, "[MQTT-3.2.0-2]", true);
    }
}

/// No CONNACK within the connect timeout: the connection ends.
#[test]
fn missing_connack_ends_the_connection_at_the_connect_timeout() {
    let mut s = Scripted::new(config().connect_timeout(Duration::from_secs(2)));
    s.connect(connect(Version::V5, 0));
    s.sent();
    assert_eq!(s.client.poll_timeout(), Some(Instant::from_millis(2_000)));
    s.advance(1_999);
    assert_eq!(s.events(), vec![]);
    s.advance(1);
    let events = s.events();
    assert_eq!(
        Scripted::disconnected(&events).0,
        ConnectionError::ConnectTimeout
    );
    assert_eq!(s.sent(), vec![]);
    assert!(s.client.should_close());
}

// ------------------------------------------------------------------------------------------
// Outgoing QoS 1 and 2

/// [MQTT-4.3.2-1] (both), [MQTT-4.3.2-2], [MQTT-4.3.2-3]: a QoS 1 message is sent with an
/// identifier not in use and DUP 0, and stays in flight until its PUBACK, which completes it.
#[test]
fn qos1_publish_fresh_id_dup_0_completed_by_puback_mqtt_4_3_2_1_mqtt_4_3_2_2() {
    for version in VERSIONS {
        let mut s = Scripted::connected(version, config());
        let a = publish(&mut s, msg("a", QoS::AtLeastOnce));
        let b = publish(&mut s, msg("b", QoS::AtLeastOnce));
        let sent = s.sent();
        let p = publishes(&sent);
        assert_eq!(p.len(), 2);
        for publish in &p {
            assert!(!publish.dup, "first transmission has DUP 0");
            assert_eq!(publish.qos.qos(), QoS::AtLeastOnce);
        }
        let (pa, pb) = (pid_of(p[0]), pid_of(p[1]));
        assert_ne!(pa, pb);
        assert_eq!(s.client.inflight(), 2);

        let reason = if version.is_v5() {
            ReasonCode::NO_MATCHING_SUBSCRIBERS
        } else {
            ReasonCode::SUCCESS
        };
        s.feed(Packet::PubAck(ack(pb, reason)));
        assert_eq!(published(&s.events()), vec![(b, reason)]);
        assert_eq!(s.client.inflight(), 1);
        s.feed(Packet::pub_ack(pa));
        assert_eq!(published(&s.events()), vec![(a, ReasonCode::SUCCESS)]);
        assert_eq!(s.client.inflight(), 0);
        // A repeated PUBACK completes nothing.
        s.feed(Packet::pub_ack(pa));
        assert_eq!(s.events(), vec![]);
        assert_eq!(s.sent(), vec![]);
    }
}

/// A QoS 1/2 message published while the window is open is encoded at once and counts as in
/// flight, but is not sent until `poll_transmit` hands it out: an acknowledgement of its
/// identifier before that completes nothing ([MQTT-4.3.2-1]: the identifier is the message's
/// only once sent), later packets follow it, and when the connection ends first the message goes
/// back to the queue as never sent: on the next connection it is sent with DUP 0
/// ([MQTT-4.3.2-2] / [MQTT-4.3.3-2]) and no QoS 2 message is reported lost.
#[test]
fn message_encoded_at_publish_is_sent_once_and_requeued_if_never_handed_out_mqtt_4_3_2_2() {
    for version in VERSIONS {
        for qos in [QoS::AtLeastOnce, QoS::ExactlyOnce] {
            let mut s = Scripted::connected(version, config());
            let a = publish(&mut s, msg("a", qos));
            assert_eq!((s.client.inflight(), s.client.pending()), (1, 0));
            // An early acknowledgement of the first identifier does nothing.
            s.feed(Packet::pub_ack(pid(1)));
            s.feed(Packet::pub_comp(pid(1)));
            assert_eq!(s.events(), vec![]);
            let sub = subscribe(&mut s, &["t"]);
            let sent = s.sent();
            assert!(
                matches!(sent.as_slice(), [Packet::Publish(p), Packet::Subscribe(x)]
                    if !p.dup && p.qos.qos() == qos && x.pid == sub),
                "{sent:?}"
            );
            let pa = pid_of(publishes(&sent)[0]);
            if qos == QoS::AtLeastOnce {
                s.feed(Packet::pub_ack(pa));
            } else {
                s.feed(Packet::pub_rec(pa));
                assert_eq!(s.sent(), vec![Packet::pub_rel(pa)]);
                s.feed(Packet::pub_comp(pa));
            }
            assert_eq!(published(&s.events()), vec![(a, ReasonCode::SUCCESS)]);

            // Published, then the transport is lost before `poll_transmit`.
            let b = publish(&mut s, msg("b", qos));
            s.close();
            let events = s.events();
            assert!(
                !events
                    .iter()
                    .any(|e| matches!(e, ClientEvent::PublishFailed { id, .. } if *id == b)),
                "{events:?}"
            );
            assert_eq!(s.client.pending(), 1, "b is queued again");
            s.establish(connect(version, 0), ConnAckProperties::default());
            let sent = s.sent();
            let p = publishes(&sent);
            assert_eq!(p.len(), 1, "{sent:?}");
            assert!(!p[0].dup, "b was never sent: DUP 0");
            assert_eq!(p[0].topic.as_str(), "b");
            let pb = pid_of(p[0]);
            if qos == QoS::AtLeastOnce {
                s.feed(Packet::pub_ack(pb));
            } else {
                s.feed(Packet::pub_rec(pb));
                assert_eq!(s.sent(), vec![Packet::pub_rel(pb)]);
                s.feed(Packet::pub_comp(pb));
            }
            assert_eq!(published(&s.events()), vec![(b, ReasonCode::SUCCESS)]);
        }
    }
}

/// [MQTT-4.3.3-1] (both), [MQTT-4.3.3-2], [MQTT-4.3.3-4], [MQTT-4.3.3-5]: QoS 2 sends PUBLISH
/// (DUP 0), answers PUBREC with PUBREL of the same identifier, and completes on PUBCOMP.
#[test]
fn qos2_pubrec_gets_pubrel_same_id_pubcomp_completes_mqtt_4_3_3_4() {
    for version in VERSIONS {
        let mut s = Scripted::connected(version, config());
        let id = publish(&mut s, msg("a", QoS::ExactlyOnce));
        let sent = s.sent();
        let p = publishes(&sent);
        assert_eq!(p.len(), 1);
        assert!(!p[0].dup);
        assert_eq!(p[0].qos.qos(), QoS::ExactlyOnce);
        let pid = pid_of(p[0]);

        s.feed(Packet::pub_rec(pid));
        assert_eq!(s.events(), vec![], "not complete at PUBREC");
        assert_eq!(s.sent(), vec![Packet::pub_rel(pid)]);
        // [MQTT-4.3.3-5]: the PUBREL is unacknowledged until PUBCOMP; a repeated PUBREC gets
        // it again.
        s.feed(Packet::pub_rec(pid));
        assert_eq!(s.sent(), vec![Packet::pub_rel(pid)]);
        s.feed(Packet::pub_comp(pid));
        assert_eq!(published(&s.events()), vec![(id, ReasonCode::SUCCESS)]);
        assert_eq!(s.client.inflight(), 0);
    }
}

/// §4.3.3, [MQTT-4.4.0-2], [MQTT-4.9.0-2]: a PUBREC of 0x80 or more ends the QoS 2 exchange:
/// no PUBREL, the message is complete (with that code), its quota unit and identifier return.
#[test]
fn failed_pubrec_ends_the_exchange_and_returns_quota_mqtt_4_4_0_2() {
    let mut s = connected_v5(
        config(),
        ConnectProperties::default(),
        connack_props(|p| p.receive_maximum = Some(1)),
    );
    let a = publish(&mut s, msg("a", QoS::ExactlyOnce));
    let b = publish(&mut s, msg("b", QoS::ExactlyOnce));
    let sent = s.sent();
    assert_eq!(publishes(&sent).len(), 1);
    let pa = pid_of(publishes(&sent)[0]);
    assert_eq!(s.client.send_quota(), 0);

    s.feed(Packet::PubRec(ack(pa, ReasonCode::QUOTA_EXCEEDED)));
    assert_eq!(
        published(&s.events()),
        vec![(a, ReasonCode::QUOTA_EXCEEDED)]
    );
    let sent = s.sent();
    match sent.as_slice() {
        [Packet::Publish(p)] => assert_eq!(p.topic, "b", "b took the returned quota"),
        other => panic!("no PUBREL, b sent: {other:?}"),
    }
    assert_eq!(s.client.inflight(), 1);
    let pb = pid_of(publishes(&sent)[0]);
    s.feed(Packet::pub_rec(pb));
    assert_eq!(s.sent(), vec![Packet::pub_rel(pb)]);
    s.feed(Packet::pub_comp(pb));
    assert_eq!(published(&s.events()), vec![(b, ReasonCode::SUCCESS)]);
}

/// [MQTT-4.4.0-2]: a PUBACK or PUBREC of 0x80 or more acknowledges the PUBLISH: it is not sent
/// again, even when the session is resumed.
#[test]
fn failed_acks_are_not_retransmitted_on_resume_mqtt_4_4_0_2() {
    let mut s = lasting(Version::V5, config());
    let a = publish(&mut s, msg("a", QoS::AtLeastOnce));
    let b = publish(&mut s, msg("b", QoS::ExactlyOnce));
    publish(&mut s, msg("c", QoS::AtLeastOnce));
    let sent = s.sent();
    let pids: Vec<PacketId> = publishes(&sent).iter().map(|p| pid_of(p)).collect();
    s.feed(Packet::PubAck(ack(pids[0], ReasonCode::NOT_AUTHORIZED)));
    s.feed(Packet::PubRec(ack(pids[1], ReasonCode::UNSPECIFIED_ERROR)));
    assert_eq!(
        published(&s.events()),
        vec![
            (a, ReasonCode::NOT_AUTHORIZED),
            (b, ReasonCode::UNSPECIFIED_ERROR)
        ]
    );
    assert_eq!(s.sent(), vec![]);
    reconnect(&mut s, true, ConnAckProperties::default());
    let sent = s.sent();
    let p = publishes(&sent);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(p[0].topic, "c");
    assert_eq!(pid_of(p[0]), pids[2]);
}

// ------------------------------------------------------------------------------------------
// Packet identifiers

/// [MQTT-2.2.1-3] / 3.1.1 [MQTT-2.3.1-2], §2.2.1: PUBLISH, SUBSCRIBE and UNSUBSCRIBE draw from
/// one pool; no identifier is used twice while in flight; SUBACK/UNSUBACK carry it back
/// ([MQTT-2.2.1-6] / 3.1.1 [MQTT-2.3.1-7]).
#[test]
fn one_identifier_pool_never_reused_in_flight_mqtt_2_2_1_3() {
    for version in VERSIONS {
        let mut s = Scripted::connected(version, config());
        publish(&mut s, msg("a", QoS::AtLeastOnce));
        let sub = subscribe(&mut s, &["f"]);
        let unsub = unsubscribe(&mut s, &["g"]);
        publish(&mut s, msg("b", QoS::ExactlyOnce));
        let sent = s.sent();
        let mut ids = Vec::new();
        for packet in &sent {
            match packet {
                Packet::Publish(p) => ids.push(pid_of(p)),
                Packet::Subscribe(p) => {
                    assert_eq!(p.pid, sub);
                    ids.push(p.pid);
                }
                Packet::Unsubscribe(p) => {
                    assert_eq!(p.pid, unsub);
                    ids.push(p.pid);
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(ids.len(), 4);
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 4, "{ids:?}");

        // Completing some and sending more: still no identifier in use twice.
        s.feed(suback(sub, 1));
        let events = s.events();
        assert!(
            matches!(events.as_slice(), [ClientEvent::Subscribed { packet_id, .. }] if *packet_id == sub),
            "{events:?}"
        );
        let mut in_use: HashSet<PacketId> = ids.iter().copied().filter(|p| *p != sub).collect();
        for round in 0..20 {
            let fresh = if round % 2 == 0 {
                publish(&mut s, msg("c", QoS::AtLeastOnce));
                pid_of(publishes(&s.sent())[0])
            } else {
                let p = subscribe(&mut s, &["h"]);
                s.sent();
                p
            };
            assert!(in_use.insert(fresh), "{fresh:?} was in use: {in_use:?}");
        }
    }
}

/// [MQTT-2.2.1-3]: with all 65,535 identifiers in flight the next message waits (back-pressure,
/// not an error), SUBSCRIBE is refused as `Exhausted`, and an ack frees an identifier for it.
#[test]
fn identifier_exhaustion_is_back_pressure_mqtt_2_2_1_3() {
    let mut s = Scripted::connected(Version::V5, config().max_pending(70_000));
    let sub = subscribe(&mut s, &["f"]);
    assert_eq!(s.sent().len(), 1);
    for _ in 0..65_534 {
        publish(&mut s, msg("a", QoS::AtLeastOnce));
    }
    let waiting = publish(&mut s, msg("last", QoS::AtLeastOnce));
    let sent = s.sent();
    assert_eq!(publishes(&sent).len(), 65_534);
    assert_eq!(s.client.inflight(), 65_534);
    assert_eq!(s.client.pending(), 1, "the last message waits");
    assert_eq!(s.client.send_quota(), 1, "quota is not what holds it back");
    let now = s.t();
    assert_eq!(
        s.client
            .subscribe(now, filters(&["g"]), SubscribeProperties::default()),
        Err(CommandError::Exhausted)
    );
    assert_eq!(s.sent(), vec![]);

    // The SUBACK frees the SUBSCRIBE's identifier: the waiting message takes it.
    s.feed(suback(sub, 1));
    s.events();
    let sent = s.sent();
    match sent.as_slice() {
        [Packet::Publish(p)] => {
            assert_eq!(p.topic, "last");
            assert_eq!(pid_of(p), sub);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.client.pending(), 0);
    // A PUBACK frees another.
    s.feed(Packet::pub_ack(sub));
    assert_eq!(published(&s.events()), vec![(waiting, ReasonCode::SUCCESS)]);
    assert_eq!(subscribe(&mut s, &["g"]), sub);
}

// ------------------------------------------------------------------------------------------
// Receive Maximum and send quota

/// [MQTT-3.3.4-7], [MQTT-4.9.0-2]: the server's Receive Maximum 2 lets two QoS 1 messages be
/// in flight; the third goes out after a PUBACK.
#[test]
fn server_receive_maximum_limits_messages_in_flight_mqtt_3_3_4_7_mqtt_4_9_0_2() {
    let mut s = connected_v5(
        config(),
        ConnectProperties::default(),
        connack_props(|p| p.receive_maximum = Some(2)),
    );
    assert_eq!(s.client.send_quota(), 2, "[MQTT-4.9.0-1]");
    for topic in ["a", "b", "c"] {
        publish(&mut s, msg(topic, QoS::AtLeastOnce));
    }
    let sent = s.sent();
    let first = pid_of(publishes(&sent)[0]);
    assert_eq!(publishes(&sent).len(), 2);
    assert_eq!(s.client.send_quota(), 0);
    assert_eq!(s.client.pending(), 1);
    assert_eq!(s.sent(), vec![]);

    s.feed(Packet::pub_ack(first));
    s.events();
    let sent = s.sent();
    let p = publishes(&sent);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].topic, "c");
}

/// [MQTT-4.9.0-2]: a PUBREC (success) does not return the quota unit; the PUBCOMP does.
#[test]
fn qos2_holds_its_quota_unit_until_pubcomp_mqtt_4_9_0_2() {
    let mut s = connected_v5(
        config(),
        ConnectProperties::default(),
        connack_props(|p| p.receive_maximum = Some(1)),
    );
    publish(&mut s, msg("a", QoS::ExactlyOnce));
    publish(&mut s, msg("b", QoS::AtLeastOnce));
    let pa = pid_of(publishes(&s.sent())[0]);
    s.feed(Packet::pub_rec(pa));
    assert_eq!(s.sent(), vec![Packet::pub_rel(pa)], "b still waits");
    s.feed(Packet::pub_comp(pa));
    s.events();
    let sent = s.sent();
    assert_eq!(publishes(&sent)[0].topic, "b");
}

/// [MQTT-3.3.4-8], [MQTT-4.9.0-3]: at zero send quota the client still sends SUBSCRIBE,
/// UNSUBSCRIBE, acknowledgements and PINGREQ at once.
#[test]
fn zero_quota_still_sends_other_packets_mqtt_3_3_4_8_mqtt_4_9_0_3() {
    let mut s = Scripted::new(config());
    s.establish(
        connect(Version::V5, 10),
        connack_props(|p| p.receive_maximum = Some(1)),
    );
    publish(&mut s, msg("a", QoS::AtLeastOnce));
    publish(&mut s, msg("b", QoS::AtLeastOnce));
    assert_eq!(publishes(&s.sent()).len(), 1);
    assert_eq!(s.client.send_quota(), 0);

    let sub = subscribe(&mut s, &["f"]);
    assert!(matches!(s.sent().as_slice(), [Packet::Subscribe(p)] if p.pid == sub));
    s.feed(Packet::Publish(server_publish(
        "t",
        QosPid::AtLeastOnce(pid(7)),
    )));
    s.events();
    assert_eq!(s.sent(), vec![Packet::pub_ack(pid(7))]);
    s.feed(Packet::Publish(server_publish(
        "t",
        QosPid::ExactlyOnce(pid(8)),
    )));
    s.events();
    assert_eq!(s.sent(), vec![Packet::pub_rec(pid(8))]);
    s.feed(Packet::pub_rel(pid(8)));
    assert_eq!(s.sent(), vec![Packet::pub_comp(pid(8))]);
    unsubscribe(&mut s, &["f"]);
    assert!(matches!(s.sent().as_slice(), [Packet::Unsubscribe(_)]));
    s.advance(10_000);
    assert_eq!(s.sent(), vec![Packet::ping_req()]);
    assert_eq!(s.client.pending(), 1, "b still waits for quota");
}

/// [MQTT-4.9.0-1]: each connection starts with the send quota of its CONNACK: messages in
/// flight on the old connection do not use up the new one's.
#[test]
fn send_quota_is_reset_on_a_new_connection_mqtt_4_9_0_1() {
    let mut s = Scripted::new(config());
    s.establish(
        resume_connect(Version::V5),
        connack_props(|p| p.receive_maximum = Some(1)),
    );
    publish(&mut s, msg("a", QoS::AtLeastOnce));
    publish(&mut s, msg("b", QoS::AtLeastOnce));
    assert_eq!(publishes(&s.sent()).len(), 1);
    assert_eq!(s.client.send_quota(), 0);

    reconnect(&mut s, true, connack_props(|p| p.receive_maximum = Some(2)));
    assert_eq!(s.client.send_quota(), 2);
    let sent = s.sent();
    let p = publishes(&sent);
    assert_eq!(p.len(), 2, "{sent:?}");
    assert!(p[0].dup && p[0].topic == "a");
    assert!(!p[1].dup && p[1].topic == "b");
    assert_eq!(s.client.send_quota(), 0);
}

// ------------------------------------------------------------------------------------------
// Publishes refused by the server's limits

/// [MQTT-3.2.2-11]: a message above the server's Maximum QoS is refused and handed back.
#[test]
fn publish_above_maximum_qos_is_refused_mqtt_3_2_2_11() {
    let mut s = connected_v5(
        config(),
        ConnectProperties::default(),
        connack_props(|p| p.maximum_qos = Some(QoS::AtLeastOnce)),
    );
    let message = msg("a", QoS::ExactlyOnce);
    let now = s.t();
    assert_eq!(
        s.client.publish(now, message.clone()),
        Err(PublishError::QosNotSupported {
            max: QoS::AtLeastOnce,
            message
        })
    );
    assert_eq!(s.client.pending(), 0);
    assert_eq!(s.sent(), vec![]);
    publish(&mut s, msg("a", QoS::AtLeastOnce));
    assert_eq!(publishes(&s.sent()).len(), 1);
}

/// [MQTT-3.2.2-14]: RETAIN 1 without Retain Available is refused.
#[test]
fn retained_publish_without_retain_available_is_refused_mqtt_3_2_2_14() {
    let mut s = connected_v5(
        config(),
        ConnectProperties::default(),
        connack_props(|p| p.retain_available = Some(false)),
    );
    let message = msg("a", QoS::AtMostOnce).retain(true);
    let now = s.t();
    assert_eq!(
        s.client.publish(now, message.clone()),
        Err(PublishError::RetainNotSupported(message))
    );
    assert_eq!(s.sent(), vec![]);
}

/// [MQTT-3.2.2-15]: a PUBLISH larger than the server's Maximum Packet Size is refused; one of
/// exactly that size is sent.
#[test]
fn publish_larger_than_maximum_packet_size_is_refused_mqtt_3_2_2_15() {
    let mut s = connected_v5(
        config(),
        ConnectProperties::default(),
        connack_props(|p| p.maximum_packet_size = Some(64)),
    );
    // Fixed header 2, topic "a" 3, property length 1: 6 bytes plus the payload.
    let sized = |n: usize| {
        mqtt_wire::session::Message::new("a".try_into().unwrap(), Bytes::from(vec![0u8; n]))
    };
    let now = s.t();
    assert_eq!(
        s.client.publish(now, sized(59)),
        Err(PublishError::TooLarge { size: 65, max: 64 })
    );
    assert_eq!(s.client.pending(), 0);
    publish(&mut s, sized(58));
    let sent = s.sent_bytes();
    assert_eq!(sent.len(), 64);
}

/// [MQTT-3.2.2-15]: a message accepted before the CONNACK told the limit, and too large for
/// it, is not sent: `PublishFailed` with `TooLarge`.
#[test]
fn publish_queued_before_connack_too_large_for_the_server_fails_mqtt_3_2_2_15() {
    let mut s = Scripted::new(config());
    s.connect(connect(Version::V5, 0));
    let big = publish(
        &mut s,
        mqtt_wire::session::Message::new("a".try_into().unwrap(), Bytes::from(vec![0u8; 100])),
    );
    publish(&mut s, msg("small", QoS::AtLeastOnce));
    s.sent();
    s.connack(false, connack_props(|p| p.maximum_packet_size = Some(64)));
    s.events();
    let sent = s.sent();
    let p = publishes(&sent);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].topic, "small");
    assert_eq!(
        s.events(),
        vec![ClientEvent::PublishFailed {
            id: big,
            reason: PublishFailure::TooLarge { size: 106, max: 64 }
        }]
    );
}

/// [MQTT-3.3.4-6]: a client PUBLISH carries no Subscription Identifier; the session assigns
/// Topic Aliases itself, so one in the message is refused too.
#[test]
fn topic_alias_or_subscription_identifier_in_a_message_is_refused_mqtt_3_3_4_6() {
    let mut s = Scripted::connected(Version::V5, config());
    let with =
        |b: PublishPropertiesBuilder| msg("a", QoS::AtMostOnce).properties(b.build().unwrap());
    let now = s.t();
    let alias = s.client.publish(
        now,
        with(PublishPropertiesBuilder {
            topic_alias: Some(1),
            ..Default::default()
        }),
    );
    assert!(matches!(alias, Err(PublishError::Invalid(_))), "{alias:?}");
    let sub_id = s.client.publish(
        now,
        with(PublishPropertiesBuilder {
            subscription_identifiers: vec![5],
            ..Default::default()
        }),
    );
    assert_eq!(
        sub_id,
        Err(PublishError::Invalid(
            EncodeError::SubscriptionIdentifierFromClient
        ))
    );
    assert_eq!(s.client.pending(), 0);
    assert_eq!(s.sent(), vec![]);
}

/// A full pending queue refuses with `Blocked` (the message handed back); `Writable` follows
/// when there is room again.
#[test]
fn full_pending_queue_blocks_then_writable() {
    let mut s = Scripted::new(config().max_pending(2));
    publish(&mut s, msg("a", QoS::AtMostOnce));
    publish(&mut s, msg("b", QoS::AtLeastOnce));
    let c = msg("c", QoS::AtMostOnce);
    let now = s.t();
    assert_eq!(
        s.client.publish(now, c.clone()),
        Err(PublishError::Blocked(c.clone()))
    );
    assert_eq!(s.client.pending(), 2);
    s.establish(connect(Version::V5, 0), ConnAckProperties::default());
    assert_eq!(publishes(&s.sent()).len(), 2);
    assert_eq!(s.events(), vec![ClientEvent::Writable]);
    publish(&mut s, c);
    assert_eq!(publishes(&s.sent()).len(), 1);
    assert_eq!(s.events(), vec![], "Writable is given once per refusal");
}

// ------------------------------------------------------------------------------------------
// Incoming QoS 1 and 2

/// [MQTT-4.3.2-4] / 3.1.1 [MQTT-4.3.2-2], [MQTT-3.3.4-1]: a received QoS 1 message is
/// acknowledged with PUBACK of its identifier once the application took it (automatic mode).
#[test]
fn incoming_qos1_puback_when_the_event_is_taken_mqtt_4_3_2_4() {
    for version in VERSIONS {
        let mut s = Scripted::connected(version, config());
        s.feed(Packet::Publish(server_publish(
            "t/1",
            QosPid::AtLeastOnce(pid(5)),
        )));
        assert_eq!(s.sent(), vec![], "not before the application has it");
        let events = s.events();
        match events.as_slice() {
            [ClientEvent::Message { publish, ack: None }] => {
                assert_eq!(publish.topic, "t/1");
                assert_eq!(publish.payload, Bytes::from_static(b"from the server"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.sent(), vec![Packet::pub_ack(pid(5))]);
    }
}

/// [MQTT-4.3.3-8] / 3.1.1 [MQTT-4.3.3-2], [MQTT-4.3.3-10], [MQTT-4.3.3-11], [MQTT-4.3.3-12]:
/// QoS 2 in: PUBREC; a repeat before PUBREL is answered PUBREC again and not delivered twice;
/// PUBREL gets PUBCOMP; after it the identifier starts a new message.
#[test]
fn incoming_qos2_pubrec_repeat_pubrel_pubcomp_mqtt_4_3_3_10_mqtt_4_3_3_11() {
    for version in VERSIONS {
        let mut s = Scripted::connected(version, config());
        let publish = server_publish("t", QosPid::ExactlyOnce(pid(9)));
        s.feed(Packet::Publish(publish.clone()));
        assert_eq!(s.events().len(), 1);
        assert_eq!(s.sent(), vec![Packet::pub_rec(pid(9))]);

        s.feed(Packet::Publish(Publish {
            dup: true,
            ..publish.clone()
        }));
        assert_eq!(s.events(), vec![], "[MQTT-4.3.3-10] never delivered twice");
        assert_eq!(s.sent(), vec![Packet::pub_rec(pid(9))]);

        s.feed(Packet::pub_rel(pid(9)));
        assert_eq!(s.sent(), vec![Packet::pub_comp(pid(9))]);
        assert_eq!(s.events(), vec![]);

        s.feed(Packet::Publish(publish));
        assert_eq!(s.events().len(), 1, "[MQTT-4.3.3-12] a new message");
        assert_eq!(s.sent(), vec![Packet::pub_rec(pid(9))]);
    }
}

/// [MQTT-4.3.3-11], [MQTT-2.2.1-5]: a PUBREL for an unknown identifier gets PUBCOMP 0x92 on 5.0
/// (the plain PUBCOMP on 3.1.1); the connection stays up.
#[test]
fn unknown_pubrel_gets_pubcomp_0x92_mqtt_4_3_3_11() {
    for version in VERSIONS {
        let mut s = Scripted::connected(version, config());
        s.feed(Packet::pub_rel(pid(3)));
        let expected = if version.is_v5() {
            Packet::PubComp(ack(pid(3), ReasonCode::PACKET_IDENTIFIER_NOT_FOUND))
        } else {
            Packet::pub_comp(pid(3))
        };
        assert_eq!(s.sent(), vec![expected]);
        assert_eq!(s.events(), vec![]);
        assert_eq!(s.client.status(), Status::Connected);
    }
}

/// §4.3.3, [MQTT-2.2.1-5]: a PUBREC for an identifier with no QoS 2 message in flight gets
/// PUBREL 0x92 on 5.0, letting the server finish.
#[test]
fn unknown_pubrec_gets_pubrel_0x92() {
    let mut s = Scripted::connected(Version::V5, config());
    s.feed(Packet::pub_rec(pid(4)));
    assert_eq!(
        s.sent(),
        vec![Packet::PubRel(ack(
            pid(4),
            ReasonCode::PACKET_IDENTIFIER_NOT_FOUND
        ))]
    );
    assert_eq!(s.events(), vec![]);
    assert_eq!(s.client.status(), Status::Connected);
}

// ------------------------------------------------------------------------------------------
// Manual acknowledgements

fn token(event: &ClientEvent) -> mqtt_wire::session::AckToken {
    match event {
        ClientEvent::Message { ack: Some(t), .. } => *t,
        other => panic!("a message with a token: {other:?}"),
    }
}

/// [MQTT-4.6.0-2], [MQTT-4.6.0-3]: PUBACKs and PUBRECs leave in the order the PUBLISHes
/// arrived, whatever the order of the application's acks.
#[test]
fn manual_acks_leave_in_arrival_order_mqtt_4_6_0_2_mqtt_4_6_0_3() {
    for version in VERSIONS {
        let mut s = Scripted::connected(version, manual());
        s.feed_all([
            Packet::Publish(server_publish("t", QosPid::AtLeastOnce(pid(1)))),
            Packet::Publish(server_publish("t", QosPid::ExactlyOnce(pid(2)))),
            Packet::Publish(server_publish("t", QosPid::AtLeastOnce(pid(3)))),
            Packet::Publish(server_publish("t", QosPid::ExactlyOnce(pid(4)))),
        ]);
        let tokens: Vec<_> = s.events().iter().map(token).collect();
        assert_eq!(tokens.len(), 4);
        assert_eq!(s.sent(), vec![], "nothing before the application acks");
        let now = s.t();
        for i in [3, 1, 2] {
            s.client
                .ack(
                    now,
                    tokens[i],
                    ReasonCode::SUCCESS,
                    AckProperties::default(),
                )
                .unwrap();
            assert_eq!(s.sent(), vec![], "waits for the first");
        }
        s.client
            .ack(
                now,
                tokens[0],
                ReasonCode::SUCCESS,
                AckProperties::default(),
            )
            .unwrap();
        assert_eq!(
            s.sent(),
            vec![
                Packet::pub_ack(pid(1)),
                Packet::pub_rec(pid(2)),
                Packet::pub_ack(pid(3)),
                Packet::pub_rec(pid(4)),
            ]
        );
    }
}

/// A token is good once, on the connection its message came on: `UnknownToken` otherwise. A
/// reason code PUBACK cannot carry is refused.
#[test]
fn stale_or_repeated_ack_token_is_refused() {
    let mut s = lasting(Version::V5, manual());
    s.feed(Packet::Publish(server_publish(
        "t",
        QosPid::AtLeastOnce(pid(1)),
    )));
    s.feed(Packet::Publish(server_publish(
        "t",
        QosPid::AtLeastOnce(pid(2)),
    )));
    let tokens: Vec<_> = s.events().iter().map(token).collect();
    let now = s.t();
    assert_eq!(
        s.client.ack(
            now,
            tokens[0],
            ReasonCode::DISCONNECT_WITH_WILL,
            AckProperties::default()
        ),
        Err(CommandError::Encode(EncodeError::InvalidReasonCode {
            packet: mqtt_wire::PacketType::PubAck,
            code: ReasonCode::DISCONNECT_WITH_WILL,
        }))
    );
    s.client
        .ack(
            now,
            tokens[0],
            ReasonCode::SUCCESS,
            AckProperties::default(),
        )
        .unwrap();
    assert_eq!(
        s.client.ack(
            now,
            tokens[0],
            ReasonCode::SUCCESS,
            AckProperties::default()
        ),
        Err(CommandError::UnknownToken)
    );
    assert_eq!(s.sent(), vec![Packet::pub_ack(pid(1))]);
    reconnect(&mut s, true, ConnAckProperties::default());
    assert_eq!(
        s.client.ack(
            now,
            tokens[1],
            ReasonCode::SUCCESS,
            AckProperties::default()
        ),
        Err(CommandError::UnknownToken),
        "a token of an earlier connection"
    );
    assert_eq!(s.sent(), vec![]);
}

/// [MQTT-4.3.3-9]: after a PUBREC of 0x80 or more, a PUBLISH with that identifier is a new
/// message (delivered, with a new token).
#[test]
fn refused_incoming_qos2_frees_its_identifier_mqtt_4_3_3_9() {
    let mut s = Scripted::connected(Version::V5, manual());
    let publish = server_publish("t", QosPid::ExactlyOnce(pid(4)));
    s.feed(Packet::Publish(publish.clone()));
    let first = token(&s.events()[0]);
    let now = s.t();
    s.client
        .ack(
            now,
            first,
            ReasonCode::UNSPECIFIED_ERROR,
            AckProperties::default(),
        )
        .unwrap();
    assert_eq!(
        s.sent(),
        vec![Packet::PubRec(ack(pid(4), ReasonCode::UNSPECIFIED_ERROR))]
    );
    s.feed(Packet::Publish(publish));
    let events = s.events();
    assert_eq!(events.len(), 1, "a new message: {events:?}");
    assert_ne!(token(&events[0]), first);
    assert_eq!(s.sent(), vec![], "waits for the application again");
}

/// [MQTT-4.3.3-10]: a repeat that arrives while the application still holds the first copy
/// gets no PUBREC of its own: the application's answer (here a refusal) is the only one.
#[test]
fn a_qos2_repeat_while_the_first_waits_for_the_application_gets_its_answer_only() {
    let mut s = Scripted::connected(Version::V5, manual());
    let publish = server_publish("t", QosPid::ExactlyOnce(pid(4)));
    s.feed(Packet::Publish(publish.clone()));
    let first = token(&s.events()[0]);
    let mut repeat = publish;
    repeat.dup = true;
    s.feed(Packet::Publish(repeat));
    assert_eq!(s.events(), vec![], "never delivered twice");
    assert_eq!(s.sent(), vec![]);
    let now = s.t();
    s.client
        .ack(
            now,
            first,
            ReasonCode::UNSPECIFIED_ERROR,
            AckProperties::default(),
        )
        .unwrap();
    assert_eq!(
        s.sent(),
        vec![Packet::PubRec(ack(pid(4), ReasonCode::UNSPECIFIED_ERROR))]
    );
}

/// [MQTT-4.3.3-10], [MQTT-4.3.3-9]: a repeat that arrives after the application answered the
/// first copy, while that answer waits behind an earlier message's, gets no PUBREC of its own
/// either: the server is not told 0x80 and then 0x00 for the same message.
#[test]
fn a_qos2_repeat_while_the_first_answer_waits_its_turn_gets_that_answer_only() {
    let mut s = Scripted::connected(Version::V5, manual());
    s.feed(Packet::Publish(server_publish(
        "t",
        QosPid::AtLeastOnce(pid(1)),
    )));
    let publish = server_publish("t", QosPid::ExactlyOnce(pid(4)));
    s.feed(Packet::Publish(publish.clone()));
    let events = s.events();
    let (earlier, first) = (token(&events[0]), token(&events[1]));
    let now = s.t();
    s.client
        .ack(
            now,
            first,
            ReasonCode::UNSPECIFIED_ERROR,
            AckProperties::default(),
        )
        .unwrap();
    assert_eq!(s.sent(), vec![], "waits for the earlier message's answer");
    let mut repeat = publish;
    repeat.dup = true;
    s.feed(Packet::Publish(repeat));
    assert_eq!(s.events(), vec![], "never delivered twice");
    s.client
        .ack(now, earlier, ReasonCode::SUCCESS, AckProperties::default())
        .unwrap();
    assert_eq!(
        s.sent(),
        vec![
            Packet::PubAck(ack(pid(1), ReasonCode::SUCCESS)),
            Packet::PubRec(ack(pid(4), ReasonCode::UNSPECIFIED_ERROR)),
        ]
    );
}

// ------------------------------------------------------------------------------------------
// Our Receive Maximum

/// [MQTT-3.3.4-9]: a server with more unacknowledged QoS 1/2 PUBLISHes than our Receive
/// Maximum breaks the rule: DISCONNECT 0x93.
#[test]
fn server_exceeding_our_receive_maximum_mqtt_3_3_4_9() {
    let mut s = connected_v5(
        manual(),
        connect_props(|p| p.receive_maximum = Some(2)),
        ConnAckProperties::default(),
    );
    s.feed(Packet::Publish(server_publish(
        "t",
        QosPid::AtLeastOnce(pid(1)),
    )));
    s.feed(Packet::Publish(server_publish(
        "t",
        QosPid::ExactlyOnce(pid(2)),
    )));
    let tokens: Vec<_> = s.events().iter().map(token).collect();
    // Acknowledging one makes room for one more.
    let now = s.t();
    s.client
        .ack(
            now,
            tokens[0],
            ReasonCode::SUCCESS,
            AckProperties::default(),
        )
        .unwrap();
    assert_eq!(s.sent(), vec![Packet::pub_ack(pid(1))]);
    s.feed(Packet::Publish(server_publish(
        "t",
        QosPid::AtLeastOnce(pid(3)),
    )));
    assert_eq!(s.events().len(), 1);
    // QoS 0 does not count.
    s.feed(Packet::Publish(server_publish("t", QosPid::AtMostOnce)));
    assert_eq!(s.events().len(), 1);
    s.feed(Packet::Publish(server_publish(
        "t",
        QosPid::AtLeastOnce(pid(4)),
    )));
    assert_violation(
        &mut s,
        ReasonCode::RECEIVE_MAXIMUM_EXCEEDED,
        "[MQTT-3.3.4-9]",
        true,
    );
}

/// [MQTT-3.3.4-9]: a QoS 2 message counts until its PUBREL, after its PUBREC went out.
#[test]
fn incoming_qos2_counts_against_receive_maximum_until_pubrel_mqtt_3_3_4_9() {
    let mut s = connected_v5(
        config(),
        connect_props(|p| p.receive_maximum = Some(1)),
        ConnAckProperties::default(),
    );
    s.feed(Packet::Publish(server_publish(
        "t",
        QosPid::ExactlyOnce(pid(1)),
    )));
    s.events();
    assert_eq!(s.sent(), vec![Packet::pub_rec(pid(1))]);
    s.feed(Packet::pub_rel(pid(1)));
    assert_eq!(s.sent(), vec![Packet::pub_comp(pid(1))]);
    s.feed(Packet::Publish(server_publish(
        "t",
        QosPid::ExactlyOnce(pid(2)),
    )));
    s.events();
    assert_eq!(s.sent(), vec![Packet::pub_rec(pid(2))]);
    s.feed(Packet::Publish(server_publish(
        "t",
        QosPid::AtLeastOnce(pid(3)),
    )));
    assert_violation(
        &mut s,
        ReasonCode::RECEIVE_MAXIMUM_EXCEEDED,
        "[MQTT-3.3.4-9]",
        true,
    );
}

// ------------------------------------------------------------------------------------------
// Inbound topic aliases

fn aliased(topic: &'static str, alias: u16) -> Packet {
    Packet::Publish(Publish {
        properties: PublishPropertiesBuilder {
            topic_alias: Some(alias),
            ..Default::default()
        }
        .build()
        .unwrap(),
        ..server_publish(topic, QosPid::AtMostOnce)
    })
}

fn topics(events: &[ClientEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            ClientEvent::Message { publish, .. } => publish.topic.to_string(),
            other => panic!("{other:?}"),
        })
        .collect()
}

fn alias_session(maximum: Option<u16>) -> Scripted {
    connected_v5(
        config(),
        connect_props(|p| p.topic_alias_maximum = maximum),
        ConnAckProperties::default(),
    )
}

/// §3.3.2.3.4, [MQTT-3.3.2-10]: a topic with an alias sets the mapping, an empty topic with
/// the alias uses it, a new topic replaces it; every alias up to our maximum is accepted.
#[test]
fn inbound_topic_alias_is_set_used_and_replaced_mqtt_3_3_2_10() {
    let mut s = alias_session(Some(3));
    s.feed_all([
        aliased("a/b", 3),
        aliased("", 3),
        aliased("x", 1),
        aliased("c", 3),
        aliased("", 3),
        aliased("", 1),
    ]);
    assert_eq!(topics(&s.events()), ["a/b", "a/b", "x", "c", "c", "x"]);
    assert_eq!(s.client.status(), Status::Connected);
}

/// [MQTT-3.1.2-26], [MQTT-3.3.2-11]: an alias above the Topic Alias Maximum we sent: 0x94.
#[test]
fn inbound_alias_above_our_maximum_mqtt_3_1_2_26() {
    let mut s = alias_session(Some(2));
    s.feed(aliased("a", 3));
    assert_violation(
        &mut s,
        ReasonCode::TOPIC_ALIAS_INVALID,
        "[MQTT-3.1.2-26]",
        true,
    );
}

/// [MQTT-3.1.2-27]: no Topic Alias Maximum sent (0): any alias is invalid, 0x94.
#[test]
fn inbound_alias_when_we_announced_none_mqtt_3_1_2_27() {
    for maximum in [None, Some(0)] {
        let mut s = alias_session(maximum);
        s.feed(aliased("a", 1));
        assert_violation(
            &mut s,
            ReasonCode::TOPIC_ALIAS_INVALID,
            "[MQTT-3.1.2-27]",
            true,
        );
    }
}

/// §3.3.2.3.4: an empty topic with an alias that has no mapping: Protocol Error 0x82.
#[test]
fn inbound_unknown_alias_is_a_protocol_error() {
    let mut s = alias_session(Some(5));
    s.feed(aliased("", 2));
    assert_violation(&mut s, ReasonCode::PROTOCOL_ERROR, "§3.3.2.3.4", true);
}

/// [MQTT-3.3.2-7]: alias mappings end with the connection.
#[test]
fn inbound_aliases_are_forgotten_on_a_new_connection_mqtt_3_3_2_7() {
    let mut s = alias_session(Some(5));
    s.feed(aliased("a", 2));
    assert_eq!(topics(&s.events()), ["a"]);
    s.close();
    s.events();
    s.establish(
        connect_with(
            Version::V5,
            true,
            0,
            connect_props(|p| p.topic_alias_maximum = Some(5)),
        ),
        ConnAckProperties::default(),
    );
    s.feed(aliased("", 2));
    assert_violation(&mut s, ReasonCode::PROTOCOL_ERROR, "§3.3.2.3.4", true);
}

// ------------------------------------------------------------------------------------------
// Keep alive

/// [MQTT-3.1.2-20] (5.0) / [MQTT-3.1.2-23] (3.1.1): with nothing sent for the keep alive, a
/// PINGREQ goes out; the PINGRESP restarts the wait.
#[test]
fn pingreq_after_keep_alive_without_traffic_mqtt_3_1_2_20() {
    for version in VERSIONS {
        let mut s = Scripted::new(config());
        s.establish(connect(version, 10), ConnAckProperties::default());
        assert_eq!(s.client.poll_timeout(), Some(Instant::from_millis(10_000)));
        s.advance(9_999);
        assert_eq!(s.sent(), vec![]);
        s.advance(1);
        assert_eq!(s.sent(), vec![Packet::ping_req()]);
        s.advance(300);
        s.feed(Packet::ping_resp());
        assert_eq!(s.events(), vec![]);
        assert_eq!(s.client.poll_timeout(), Some(Instant::from_millis(20_000)));
        s.advance(9_700);
        assert_eq!(s.sent(), vec![Packet::ping_req()]);
    }
}

/// [MQTT-3.1.2-20]: a keep alive with traffic sent in it needs no PINGREQ; the timer counts
/// from the last packet sent (received packets do not count).
#[test]
fn no_pingreq_while_the_client_sends_mqtt_3_1_2_20() {
    let mut s = Scripted::new(config());
    s.establish(connect(Version::V5, 10), ConnAckProperties::default());
    s.advance(6_000);
    publish(&mut s, msg("a", QoS::AtMostOnce));
    assert_eq!(publishes(&s.sent()).len(), 1);
    s.feed(Packet::Publish(server_publish("t", QosPid::AtMostOnce)));
    s.events();
    s.advance(4_000);
    assert_eq!(s.sent(), vec![]);
    s.advance(5_999);
    assert_eq!(s.sent(), vec![]);
    s.advance(1);
    assert_eq!(s.sent(), vec![Packet::ping_req()]);
}

/// §3.1.2.10: no PINGRESP within the ping timeout (default: half the keep alive): the
/// connection is presumed dead.
#[test]
fn missing_pingresp_ends_the_connection_keep_alive_timeout() {
    for (config, wait) in [
        (config(), 5_000),
        (config().ping_timeout(Duration::from_secs(2)), 2_000),
    ] {
        let mut s = Scripted::new(config);
        s.establish(connect(Version::V5, 10), ConnAckProperties::default());
        s.advance(10_000);
        assert_eq!(s.sent(), vec![Packet::ping_req()]);
        s.advance(wait - 1);
        assert_eq!(s.events(), vec![]);
        s.advance(1);
        let events = s.events();
        assert_eq!(
            Scripted::disconnected(&events),
            (ConnectionError::KeepAliveTimeout, false)
        );
        assert_eq!(s.sent(), vec![], "nothing to a dead peer");
        assert!(s.client.should_close());
    }
}

/// §3.1.2.10: keep alive 0 turns the mechanism off: no timer, no PINGREQ.
#[test]
fn keep_alive_zero_runs_no_timer() {
    for version in VERSIONS {
        let mut s = Scripted::connected(version, config());
        assert_eq!(s.client.poll_timeout(), None);
        s.advance(10_000_000);
        assert_eq!(s.sent(), vec![]);
    }
}

/// [MQTT-3.2.2-21], [MQTT-3.1.2-21]: the Server Keep Alive replaces the CONNECT's.
#[test]
fn server_keep_alive_overrides_ours_mqtt_3_2_2_21() {
    let mut s = Scripted::new(config());
    s.establish(
        connect(Version::V5, 60),
        connack_props(|p| p.server_keep_alive = Some(5)),
    );
    assert_eq!(s.client.negotiated().unwrap().keep_alive, 5);
    s.advance(5_000);
    assert_eq!(s.sent(), vec![Packet::ping_req()]);

    let mut s = Scripted::new(config());
    s.establish(
        connect(Version::V5, 60),
        connack_props(|p| p.server_keep_alive = Some(0)),
    );
    assert_eq!(s.client.poll_timeout(), None, "Server Keep Alive 0: off");
}

// ------------------------------------------------------------------------------------------
// Session resumption

/// [MQTT-4.4.0-1], [MQTT-3.3.1-1], 3.1.1 [MQTT-2.3.1-3]: on a resumed session the QoS 1
/// message in flight is sent again with DUP 1 and the same identifier.
#[test]
fn resumed_session_resends_qos1_with_dup_and_same_id_mqtt_4_4_0_1_mqtt_3_3_1_1() {
    for version in VERSIONS {
        let mut s = lasting(version, config());
        let id = publish(&mut s, msg("a", QoS::AtLeastOnce));
        let sent = s.sent();
        let first = publishes(&sent)[0].clone();
        assert!(!first.dup);

        let events = reconnect(&mut s, true, ConnAckProperties::default());
        assert_eq!(
            Scripted::disconnected(&events),
            (ConnectionError::TransportClosed, true)
        );
        let sent = s.sent();
        match sent.as_slice() {
            [Packet::Publish(p)] => {
                assert!(p.dup, "DUP 1");
                assert_eq!(p.qos, first.qos, "same identifier");
                assert_eq!((&p.topic, &p.payload), (&first.topic, &first.payload));
            }
            other => panic!("{other:?}"),
        }
        s.feed(Packet::pub_ack(pid_of(&first)));
        assert_eq!(published(&s.events()), vec![(id, ReasonCode::SUCCESS)]);
    }
}

/// [MQTT-4.3.3-6], [MQTT-4.4.0-1]: a QoS 2 message whose PUBREL was sent is resumed with the
/// PUBREL, never the PUBLISH; one still waiting for PUBREC with the PUBLISH (DUP 1).
#[test]
fn resumed_qos2_sends_pubrel_never_the_publish_mqtt_4_3_3_6() {
    for version in VERSIONS {
        let mut s = lasting(version, config());
        let a = publish(&mut s, msg("a", QoS::ExactlyOnce));
        publish(&mut s, msg("b", QoS::ExactlyOnce));
        let sent = s.sent();
        let (pa, pb) = (pid_of(publishes(&sent)[0]), pid_of(publishes(&sent)[1]));
        s.feed(Packet::pub_rec(pa));
        assert_eq!(s.sent(), vec![Packet::pub_rel(pa)]);

        reconnect(&mut s, true, ConnAckProperties::default());
        let sent = s.sent();
        match sent.as_slice() {
            [Packet::PubRel(rel), Packet::Publish(p)] => {
                assert_eq!(rel.pid, pa);
                assert!(p.dup && pid_of(p) == pb && p.topic == "b");
            }
            other => panic!("{other:?}"),
        }
        s.feed(Packet::pub_comp(pa));
        assert_eq!(published(&s.events()), vec![(a, ReasonCode::SUCCESS)]);
        s.feed(Packet::pub_rec(pb));
        assert_eq!(s.sent(), vec![Packet::pub_rel(pb)]);
    }
}

/// [MQTT-4.6.0-1]: resent PUBLISHes and PUBRELs go out in their original order, before any new
/// message.
#[test]
fn resends_keep_the_original_order_mqtt_4_6_0_1() {
    let mut s = lasting(Version::V5, config());
    for (topic, qos) in [
        ("a", QoS::AtLeastOnce),
        ("b", QoS::ExactlyOnce),
        ("c", QoS::AtLeastOnce),
        ("d", QoS::ExactlyOnce),
    ] {
        publish(&mut s, msg(topic, qos));
    }
    let sent = s.sent();
    let pids: Vec<PacketId> = publishes(&sent).iter().map(|p| pid_of(p)).collect();
    s.feed(Packet::pub_rec(pids[1]));
    assert_eq!(s.sent(), vec![Packet::pub_rel(pids[1])]);
    s.close();
    publish(&mut s, msg("e", QoS::AtLeastOnce));
    s.events();
    s.connect(resume_connect(Version::V5));
    s.sent();
    s.connack(true, ConnAckProperties::default());
    s.events();
    let sent = s.sent();
    let order: Vec<(String, PacketId, bool)> = sent
        .iter()
        .map(|p| match p {
            Packet::Publish(p) => (p.topic.to_string(), pid_of(p), p.dup),
            Packet::PubRel(r) => ("PUBREL".to_string(), r.pid, false),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(order.len(), 5, "{order:?}");
    assert_eq!(
        order[..4],
        [
            ("a".to_string(), pids[0], true),
            ("PUBREL".to_string(), pids[1], false),
            ("c".to_string(), pids[2], true),
            ("d".to_string(), pids[3], true),
        ]
    );
    assert_eq!(order[4].0, "e");
    assert!(!order[4].2);
}

/// [MQTT-3.2.2-5] (5.0): Session Present 0 while this side holds state: the state is
/// discarded. The QoS 1 message is sent again as a new message (DUP 0); the QoS 2 message's
/// fate is unknown: `PublishFailed { SessionLost }`.
#[test]
fn session_present_0_discards_our_state_mqtt_3_2_2_5() {
    let mut s = lasting(Version::V5, config());
    publish(&mut s, msg("a", QoS::AtLeastOnce));
    let b = publish(&mut s, msg("b", QoS::ExactlyOnce));
    assert_eq!(publishes(&s.sent()).len(), 2);
    let events = reconnect(&mut s, false, ConnAckProperties::default());
    assert!(
        events.contains(&ClientEvent::PublishFailed {
            id: b,
            reason: PublishFailure::SessionLost
        }),
        "{events:?}"
    );
    assert!(events.iter().any(|e| matches!(
        e,
        ClientEvent::Connected {
            session_present: false,
            ..
        }
    )));
    let sent = s.sent();
    match sent.as_slice() {
        [Packet::Publish(p)] => {
            assert_eq!(p.topic, "a");
            assert!(!p.dup, "a new message");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.client.inflight(), 1);
}

/// [MQTT-3.2.2-5] (5.0): when the discarded state holds several messages, the QoS 2 ones are
/// reported lost in the order they were sent, and the QoS 1 ones go back to the queue in order,
/// ahead of the messages not sent yet.
#[test]
fn discarded_state_keeps_the_order_of_the_messages_mqtt_3_2_2_5() {
    let mut s = lasting(Version::V5, config());
    let ids: Vec<_> = [
        ("a", QoS::ExactlyOnce),
        ("b", QoS::AtLeastOnce),
        ("c", QoS::ExactlyOnce),
        ("d", QoS::AtLeastOnce),
    ]
    .into_iter()
    .map(|(topic, qos)| publish(&mut s, msg(topic, qos)))
    .collect();
    assert_eq!(publishes(&s.sent()).len(), 4);
    publish(&mut s, msg("e", QoS::AtLeastOnce));
    s.close();
    s.events();
    s.connect(resume_connect(Version::V5));
    s.sent();
    s.connack(false, ConnAckProperties::default());
    let lost: Vec<_> = s
        .events()
        .into_iter()
        .filter_map(|e| match e {
            ClientEvent::PublishFailed {
                id,
                reason: PublishFailure::SessionLost,
            } => Some(id),
            _ => None,
        })
        .collect();
    assert_eq!(lost, [ids[0], ids[2]]);
    let topics: Vec<_> = publishes(&s.sent())
        .iter()
        .map(|p| p.topic.to_string())
        .collect();
    assert_eq!(topics, ["b", "d", "e"]);
}

/// [MQTT-3.2.2-4]: Session Present 1 answering Clean Start 1: the client closes (5.0
/// DISCONNECT 0x82).
#[test]
fn session_present_after_clean_start_closes_mqtt_3_2_2_4() {
    let mut s = Scripted::new(config());
    s.connect(connect(Version::V5, 0));
    s.sent();
    s.connack(true, ConnAckProperties::default());
    assert_violation(&mut s, ReasonCode::PROTOCOL_ERROR, "[MQTT-3.2.2-4]", true);
}

/// [MQTT-3.1.2-23] (5.0): with Session Expiry Interval 0 the session state ends with the
/// connection: QoS 1 messages go back to the queue as new, QoS 2 ones fail with `SessionLost`.
#[test]
fn session_expiry_0_discards_state_at_close_mqtt_3_1_2_23() {
    let mut s = Scripted::connected(Version::V5, config());
    publish(&mut s, msg("a", QoS::AtLeastOnce));
    let b = publish(&mut s, msg("b", QoS::ExactlyOnce));
    s.sent();
    s.close();
    let events = s.events();
    assert_eq!(
        Scripted::disconnected(&events),
        (ConnectionError::TransportClosed, false)
    );
    assert!(events.contains(&ClientEvent::PublishFailed {
        id: b,
        reason: PublishFailure::SessionLost
    }));
    assert_eq!(s.client.inflight(), 0);
    assert_eq!(s.client.pending(), 1);
    s.establish(connect(Version::V5, 0), ConnAckProperties::default());
    let sent = s.sent();
    assert!(matches!(sent.as_slice(), [Packet::Publish(p)] if !p.dup && p.topic == "a"));
}

/// 3.1.1 [MQTT-3.1.2-4]: Clean Session 0 keeps the session state after the connection closes;
/// Clean Session 1 does not ([MQTT-3.1.2-6]).
#[test]
fn clean_session_0_keeps_state_on_3_1_1_mqtt_3_1_2_4() {
    let mut s = lasting(Version::V3_1_1, config());
    publish(&mut s, msg("a", QoS::ExactlyOnce));
    s.sent();
    s.close();
    let events = s.events();
    assert_eq!(
        Scripted::disconnected(&events),
        (ConnectionError::TransportClosed, true)
    );
    assert_eq!(s.client.inflight(), 1);

    let mut s = Scripted::connected(Version::V3_1_1, config());
    let id = publish(&mut s, msg("a", QoS::ExactlyOnce));
    s.sent();
    s.close();
    let events = s.events();
    assert_eq!(
        Scripted::disconnected(&events),
        (ConnectionError::TransportClosed, false)
    );
    assert!(events.contains(&ClientEvent::PublishFailed {
        id,
        reason: PublishFailure::SessionLost
    }));
    assert_eq!(s.client.inflight(), 0);
}

// ------------------------------------------------------------------------------------------
// Refused connections

/// A refused CONNACK ends the connection with `Refused`, its properties (Server Reference)
/// included; the session state is untouched.
#[test]
fn refused_connack_reports_the_server_reference() {
    let mut s = Scripted::new(config());
    s.connect(connect(Version::V5, 0));
    s.sent();
    let properties = connack_props(|p| p.server_reference = Some("other.example:1883".into()));
    s.feed(Packet::ConnAck(Box::new(ConnAck {
        session_present: false,
        reason_code: ReasonCode::USE_ANOTHER_SERVER,
        properties: properties.clone(),
    })));
    let events = s.events();
    let (error, _) = Scripted::disconnected(&events);
    assert_eq!(
        error,
        ConnectionError::Refused {
            reason: ReasonCode::USE_ANOTHER_SERVER,
            properties,
        }
    );
    match error {
        ConnectionError::Refused { properties, .. } => {
            assert_eq!(properties.server_reference(), Some("other.example:1883"));
        }
        _ => unreachable!(),
    }
    assert_eq!(s.sent(), vec![]);
    assert!(s.client.should_close());
}

/// A 3.1.1 server refusing a 5.0 CONNECT answers with a 3.1.1 CONNACK, return code 1: the
/// client reports `Refused` with 0x84 Unsupported Protocol Version.
#[test]
fn v5_client_refused_by_a_3_1_1_server_unsupported_version() {
    let mut s = Scripted::new(config());
    s.connect(connect(Version::V5, 0));
    s.sent();
    s.feed_bytes(&[0x20, 0x02, 0x00, 0x01]);
    let events = s.events();
    assert_eq!(
        Scripted::disconnected(&events).0,
        ConnectionError::Refused {
            reason: ReasonCode::UNSUPPORTED_PROTOCOL_VERSION,
            properties: ConnAckProperties::default(),
        }
    );
    assert_eq!(s.sent(), vec![]);
    assert!(s.client.should_close());
}

// ------------------------------------------------------------------------------------------
// SUBACK, UNSUBACK

/// [MQTT-3.9.3-1]: one SUBACK reason code per filter; a SUBACK with another count is a
/// protocol error (5.0 DISCONNECT 0x82; 3.1.1 close).
#[test]
fn suback_with_the_wrong_number_of_codes_mqtt_3_9_3_1() {
    for version in VERSIONS {
        let mut s = Scripted::connected(version, config());
        let ok = subscribe(&mut s, &["a", "b"]);
        let bad = subscribe(&mut s, &["c", "d"]);
        s.sent();
        s.feed(suback(ok, 2));
        let events = s.events();
        match events.as_slice() {
            [ClientEvent::Subscribed { packet_id, suback }] => {
                assert_eq!(*packet_id, ok);
                assert_eq!(suback.reason_codes.len(), 2);
            }
            other => panic!("{other:?}"),
        }
        s.feed(suback(bad, 1));
        assert_violation(&mut s, ReasonCode::PROTOCOL_ERROR, "[MQTT-3.9.3-1]", true);
    }
}

/// [MQTT-3.11.3-1] (5.0): one UNSUBACK reason code per filter. 3.1.1's UNSUBACK has none.
#[test]
fn unsuback_with_the_wrong_number_of_codes_mqtt_3_11_3_1() {
    let mut s = Scripted::connected(Version::V5, config());
    let ok = unsubscribe(&mut s, &["a", "b"]);
    let bad = unsubscribe(&mut s, &["c", "d", "e"]);
    s.sent();
    s.feed(unsuback(ok, 2));
    assert!(matches!(
        s.events().as_slice(),
        [ClientEvent::Unsubscribed { packet_id, .. }] if *packet_id == ok
    ));
    s.feed(unsuback(bad, 2));
    assert_violation(&mut s, ReasonCode::PROTOCOL_ERROR, "[MQTT-3.11.3-1]", true);

    let mut s = Scripted::connected(Version::V3_1_1, config());
    let p = unsubscribe(&mut s, &["a", "b"]);
    s.sent();
    s.feed(unsuback(p, 0));
    assert!(matches!(
        s.events().as_slice(),
        [ClientEvent::Unsubscribed { packet_id, .. }] if *packet_id == p
    ));
}

/// A SUBSCRIBE or UNSUBSCRIBE unanswered when the connection ends is cancelled (not resent);
/// its identifier is free again.
#[test]
fn requests_are_cancelled_on_connection_loss() {
    let mut s = lasting(Version::V5, config());
    let sub = subscribe(&mut s, &["a"]);
    let unsub = unsubscribe(&mut s, &["b"]);
    s.sent();
    let events = reconnect(&mut s, true, ConnAckProperties::default());
    assert_eq!(
        events[..2],
        [
            ClientEvent::RequestCancelled {
                packet_id: sub,
                subscribe: true
            },
            ClientEvent::RequestCancelled {
                packet_id: unsub,
                subscribe: false
            },
        ]
    );
    assert_eq!(s.sent(), vec![], "not sent again");
    // A late SUBACK for it is ignored.
    s.feed(suback(sub, 1));
    assert_eq!(s.events(), vec![]);
}

// ------------------------------------------------------------------------------------------
// Faults

/// §4.13: a malformed packet ends the connection: 5.0 DISCONNECT 0x81, then `Disconnected
/// { Decode }`; nothing after it in the same buffer is processed.
#[test]
fn malformed_packet_disconnect_0x81_nothing_processed_after() {
    for version in VERSIONS {
        let mut s = Scripted::connected(version, config());
        publish(&mut s, msg("a", QoS::AtLeastOnce));
        let p = pid_of(publishes(&s.sent())[0]);
        // PUBACK with reserved flags 0001, then a valid PUBACK and a PUBLISH.
        let mut rx = BytesMut::from(&[0x41, 0x02, 0x00, p.get() as u8][..]);
        rx.extend_from_slice(&[0x40, 0x02, 0x00, p.get() as u8]);
        rx.extend_from_slice(&[0x30, 0x03, 0x00, 0x01, b't']);
        s.feed_buf(&mut rx);
        let sent = s.sent();
        if version.is_v5() {
            assert_eq!(
                sent,
                vec![Packet::disconnect_with(ReasonCode::MALFORMED_PACKET)]
            );
        } else {
            assert_eq!(sent, vec![]);
        }
        let events = s.events();
        assert_eq!(events.len(), 1, "{events:?}");
        assert!(matches!(
            Scripted::disconnected(&events).0,
            ConnectionError::Decode(_)
        ));
        s.feed(Packet::pub_ack(p));
        assert_eq!(s.events(), vec![]);
        assert!(s.client.should_close());
    }
}

/// [MQTT-2.3.1-1] and [MQTT-2.1.3-1] on the short acknowledgements the session reads in place:
/// a four-byte PUBACK with identifier 0 (Protocol Error), or a PUBREL without its 0010 flags
/// (Malformed Packet), ends the connection as the general decoder does, and a PUBACK after it
/// completes nothing.
#[test]
fn short_acks_with_zero_id_or_wrong_flags_are_malformed_mqtt_2_3_1_1_mqtt_2_1_3_1() {
    for version in VERSIONS {
        for (bad, reason) in [
            ([0x40, 0x02, 0x00, 0x00], ReasonCode::PROTOCOL_ERROR),
            ([0x60, 0x02, 0x00, 0x01], ReasonCode::MALFORMED_PACKET),
        ] {
            let mut s = Scripted::connected(version, config());
            publish(&mut s, msg("a", QoS::AtLeastOnce));
            let p = pid_of(publishes(&s.sent())[0]);
            s.feed_bytes(&bad);
            let sent = s.sent();
            if version.is_v5() {
                assert_eq!(sent, vec![Packet::disconnect_with(reason)]);
            } else {
                assert_eq!(sent, vec![]);
            }
            let events = s.events();
            assert!(
                matches!(
                    Scripted::disconnected(&events).0,
                    ConnectionError::Decode(
                        mqtt_wire::DecodeError::ZeroPacketId(_)
                            | mqtt_wire::DecodeError::InvalidFlags { .. }
                    )
                ),
                "{events:?}"
            );
            s.feed(Packet::pub_ack(p));
            assert_eq!(s.events(), vec![]);
        }
    }
}

/// [MQTT-3.1.2-24]: a packet larger than the Maximum Packet Size we sent: DISCONNECT 0x95.
#[test]
fn packet_above_our_maximum_packet_size_mqtt_3_1_2_24() {
    let mut s = connected_v5(
        config(),
        connect_props(|p| p.maximum_packet_size = Some(32)),
        ConnAckProperties::default(),
    );
    s.feed(Packet::Publish(Publish {
        payload: Bytes::from(vec![0u8; 40]),
        ..server_publish("t", QosPid::AtMostOnce)
    }));
    assert_eq!(
        s.sent(),
        vec![Packet::disconnect_with(ReasonCode::PACKET_TOO_LARGE)]
    );
    let events = s.events();
    assert_eq!(events.len(), 1, "the PUBLISH is not delivered: {events:?}");
    assert!(matches!(
        Scripted::disconnected(&events).0,
        ConnectionError::Decode(mqtt_wire::DecodeError::PacketTooLarge { .. })
    ));
}

/// [MQTT-3.1.2-29]: after Request Problem Information 0 a Reason String on a PUBACK is a
/// protocol error (0x82); with the default it is delivered with the completion.
#[test]
fn reason_string_after_request_problem_information_0_mqtt_3_1_2_29() {
    let props = AckPropertiesBuilder {
        reason_string: Some("why".into()),
        ..Default::default()
    }
    .build()
    .unwrap();
    let puback = |pid| {
        Packet::PubAck(mqtt_wire::Ack {
            pid,
            reason_code: ReasonCode::SUCCESS,
            properties: props.clone(),
        })
    };

    let mut s = Scripted::connected(Version::V5, config());
    let id = publish(&mut s, msg("a", QoS::AtLeastOnce));
    let p = pid_of(publishes(&s.sent())[0]);
    s.feed(puback(p));
    assert_eq!(
        s.events(),
        vec![ClientEvent::Published {
            id,
            reason: ReasonCode::SUCCESS,
            properties: props.clone()
        }]
    );

    let mut s = connected_v5(
        config(),
        connect_props(|p| p.request_problem_information = Some(false)),
        ConnAckProperties::default(),
    );
    publish(&mut s, msg("a", QoS::AtLeastOnce));
    let p = pid_of(publishes(&s.sent())[0]);
    // A Reason String on DISCONNECT stays allowed; on a PUBACK it is not.
    s.feed(puback(p));
    assert_violation(&mut s, ReasonCode::PROTOCOL_ERROR, "[MQTT-3.1.2-29]", true);
}

/// [MQTT-3.1.2-29]: Reason Strings stay allowed on DISCONNECT (and PUBLISH, CONNACK).
#[test]
fn reason_string_on_disconnect_is_allowed_after_request_problem_information_0_mqtt_3_1_2_29() {
    let mut s = connected_v5(
        config(),
        connect_props(|p| p.request_problem_information = Some(false)),
        ConnAckProperties::default(),
    );
    let properties = DisconnectPropertiesBuilder {
        reason_string: Some("maintenance".into()),
        ..Default::default()
    }
    .build()
    .unwrap();
    s.feed(Packet::Disconnect(Disconnect {
        reason_code: ReasonCode::SERVER_SHUTTING_DOWN,
        properties: properties.clone(),
    }));
    let events = s.events();
    assert_eq!(
        Scripted::disconnected(&events).0,
        ConnectionError::PeerDisconnected {
            reason: ReasonCode::SERVER_SHUTTING_DOWN,
            properties
        }
    );
    assert_eq!(s.sent(), vec![]);
    assert!(s.client.should_close());
}

// ------------------------------------------------------------------------------------------
// Disconnect

/// [MQTT-3.14.4-1] (5.0) / 3.1.1 [MQTT-3.14.4-2]: after DISCONNECT the client sends nothing
/// more and closes the connection.
#[test]
fn disconnect_sends_disconnect_then_nothing_mqtt_3_14_4_1() {
    for version in VERSIONS {
        let mut s = Scripted::connected(version, config());
        let now = s.t();
        s.client.disconnect(now, Disconnect::default()).unwrap();
        assert!(!s.client.should_close(), "the DISCONNECT is not out yet");
        publish(&mut s, msg("late", QoS::AtMostOnce));
        assert_eq!(s.sent(), vec![Packet::disconnect()]);
        assert!(s.client.should_close());
        let events = s.events();
        assert_eq!(
            Scripted::disconnected(&events).0,
            ConnectionError::LocallyClosed
        );
        s.advance(100_000);
        assert_eq!(s.sent(), vec![]);
        assert_eq!(
            s.client.disconnect(now, Disconnect::default()),
            Err(CommandError::WrongStatus(Status::Closing))
        );
    }
}

/// §3.14.2.2.2: a DISCONNECT may not set a Session Expiry Interval above 0 when the CONNECT's
/// was 0.
#[test]
fn disconnect_cannot_raise_session_expiry_from_0() {
    let expiry = |v| {
        DisconnectPropertiesBuilder {
            session_expiry_interval: Some(v),
            ..Default::default()
        }
        .build()
        .unwrap()
    };
    let mut s = Scripted::connected(Version::V5, config());
    let now = s.t();
    assert_eq!(
        s.client.disconnect(
            now,
            Disconnect {
                reason_code: ReasonCode::NORMAL_DISCONNECTION,
                properties: expiry(60),
            }
        ),
        Err(CommandError::SessionExpiryRaised)
    );
    assert_eq!(s.sent(), vec![]);
    assert_eq!(s.client.status(), Status::Connected);
}

/// §3.14.2.2.2: the rule is about the CONNECT's Session Expiry Interval, not the one the
/// server chose in CONNACK: CONNECT 0, CONNACK 100, DISCONNECT 50 is still refused.
#[test]
fn disconnect_session_expiry_rule_follows_the_connect_value() {
    let expiry = |v| {
        DisconnectPropertiesBuilder {
            session_expiry_interval: Some(v),
            ..Default::default()
        }
        .build()
        .unwrap()
    };
    let mut s = connected_v5(
        config(),
        ConnectProperties::default(),
        connack_props(|p| p.session_expiry_interval = Some(100)),
    );
    let now = s.t();
    assert_eq!(
        s.client.disconnect(
            now,
            Disconnect {
                reason_code: ReasonCode::NORMAL_DISCONNECTION,
                properties: expiry(50),
            }
        ),
        Err(CommandError::SessionExpiryRaised)
    );

    // CONNECT 3600 and a server that chose 0: the client may set one.
    let mut s = connected_v5(
        config(),
        connect_props(|p| p.session_expiry_interval = Some(3600)),
        connack_props(|p| p.session_expiry_interval = Some(0)),
    );
    let now = s.t();
    s.client
        .disconnect(
            now,
            Disconnect {
                reason_code: ReasonCode::NORMAL_DISCONNECTION,
                properties: expiry(60),
            },
        )
        .unwrap();
    assert!(matches!(s.sent().as_slice(), [Packet::Disconnect(_)]));
}

/// [MQTT-3.1.2-23]: a DISCONNECT setting the Session Expiry Interval to 0 ends the session
/// state with the connection.
#[test]
fn disconnect_with_session_expiry_0_discards_state_mqtt_3_1_2_23() {
    let mut s = lasting(Version::V5, config());
    let b = publish(&mut s, msg("b", QoS::ExactlyOnce));
    s.sent();
    let now = s.t();
    s.client
        .disconnect(
            now,
            Disconnect {
                reason_code: ReasonCode::NORMAL_DISCONNECTION,
                properties: DisconnectPropertiesBuilder {
                    session_expiry_interval: Some(0),
                    ..Default::default()
                }
                .build()
                .unwrap(),
            },
        )
        .unwrap();
    let events = s.events();
    assert_eq!(
        Scripted::disconnected(&events),
        (ConnectionError::LocallyClosed, false)
    );
    assert!(events.contains(&ClientEvent::PublishFailed {
        id: b,
        reason: PublishFailure::SessionLost
    }));
    assert_eq!(s.client.inflight(), 0);
}

// ------------------------------------------------------------------------------------------
// Input buffering and time

/// `handle_input` takes whole packets and leaves a partial one in the buffer.
#[test]
fn partial_packet_stays_in_the_buffer() {
    let mut s = Scripted::connected(Version::V5, config());
    let mut whole = BytesMut::new();
    Packet::Publish(server_publish("t/x", QosPid::AtMostOnce))
        .encode(Version::V5, &mut whole)
        .unwrap();
    let mut rx = BytesMut::from(&whole[..5]);
    s.feed_buf(&mut rx);
    assert_eq!(&rx[..], &whole[..5]);
    assert_eq!(s.events(), vec![]);
    rx.extend_from_slice(&whole[5..]);
    rx.extend_from_slice(&[0xD0]); // half a PINGRESP
    s.feed_buf(&mut rx);
    assert_eq!(topics(&s.events()), ["t/x"]);
    assert_eq!(&rx[..], &[0xD0]);
}

/// While `max_events` events are unpolled `handle_input` stops decoding (`wants_read` false),
/// leaving the bytes in the buffer; it resumes after the events are taken.
#[test]
fn full_event_queue_stops_reading_until_polled() {
    let mut s = Scripted::connected(Version::V5, config().max_events(2));
    let mut rx = BytesMut::new();
    for topic in ["a", "b", "c", "d", "e"] {
        Packet::Publish(server_publish(topic, QosPid::AtMostOnce))
            .encode(Version::V5, &mut rx)
            .unwrap();
    }
    let per_packet = rx.len() / 5;
    s.feed_buf(&mut rx);
    assert!(!s.client.wants_read());
    assert_eq!(rx.len(), 3 * per_packet, "three packets left unread");
    assert_eq!(topics(&s.events()), ["a", "b"]);
    assert!(s.client.wants_read());
    s.feed_buf(&mut rx);
    assert_eq!(topics(&s.events()), ["c", "d"]);
    s.feed_buf(&mut rx);
    assert_eq!(topics(&s.events()), ["e"]);
    assert!(rx.is_empty());
}

/// Answers waiting for `poll_transmit` count too: a server sending PUBRELs faster than the
/// caller transmits cannot grow the session's queue past `max_events`.
#[test]
fn untransmitted_answers_stop_reading_until_transmitted() {
    let mut s = Scripted::connected(Version::V5, config().max_events(2));
    let mut rx = BytesMut::new();
    for n in 1..=5 {
        Packet::pub_rel(pid(n))
            .encode(Version::V5, &mut rx)
            .unwrap();
    }
    s.feed_buf(&mut rx);
    assert!(!s.client.wants_read());
    assert_eq!(rx.len(), 3 * 4, "three PUBRELs left unread");
    assert_eq!(s.sent().len(), 2);
    s.feed_buf(&mut rx);
    assert_eq!(s.sent().len(), 2);
    s.feed_buf(&mut rx);
    assert_eq!(s.sent().len(), 1);
    assert!(rx.is_empty());
}

/// An input with an earlier `now` than one seen before is treated as the latest time.
#[test]
fn time_going_backwards_is_treated_as_the_latest_time() {
    let mut s = Scripted::new(config());
    s.establish(connect(Version::V5, 10), ConnAckProperties::default());
    s.client.handle_timeout(Instant::from_millis(20_000));
    let mut tx = BytesMut::new();
    let _ = s.client.poll_transmit(Instant::from_millis(1_000), &mut tx);
    assert_eq!(&tx[..], &[0xC0, 0x00], "PINGREQ");
    // The PINGREQ counts as sent at 20 s: the PINGRESP is due by 25 s.
    assert_eq!(s.client.poll_timeout(), Some(Instant::from_millis(25_000)));
    s.client.handle_timeout(Instant::from_millis(3_000));
    assert_eq!(s.client.poll_timeout(), Some(Instant::from_millis(25_000)));
    assert_eq!(s.client.status(), Status::Connected);
    s.client
        .handle_bytes(Instant::from_millis(2_000), &[0xD0, 0x00]);
    assert_eq!(s.client.poll_timeout(), Some(Instant::from_millis(30_000)));
    s.client.handle_timeout(Instant::from_millis(29_999));
    tx.clear();
    assert_eq!(s.client.poll_transmit(Instant::from_millis(0), &mut tx), 0);
    s.client.handle_timeout(Instant::from_millis(30_000));
    assert_eq!(s.client.poll_transmit(Instant::from_millis(0), &mut tx), 2);
}

// ------------------------------------------------------------------------------------------
// Authentication

/// [MQTT-4.12.0-6]: without an Authentication Method in CONNECT, a server AUTH is a protocol
/// error.
#[test]
fn server_auth_without_our_method_is_a_protocol_error_mqtt_4_12_0_6() {
    let mut s = Scripted::connected(Version::V5, config());
    s.feed(Packet::Auth(auth(
        ReasonCode::CONTINUE_AUTHENTICATION,
        "SCRAM",
    )));
    assert_violation(&mut s, ReasonCode::PROTOCOL_ERROR, "[MQTT-4.12.0-6]", true);
}

/// [MQTT-4.12.0-5]: a server AUTH with another method than the CONNECT's is a protocol error.
#[test]
fn server_auth_with_another_method_is_a_protocol_error_mqtt_4_12_0_5() {
    let mut s = connected_v5(
        config(),
        connect_props(|p| p.authentication_method = Some("SCRAM".into())),
        ConnAckProperties::default(),
    );
    s.feed(Packet::Auth(auth(
        ReasonCode::CONTINUE_AUTHENTICATION,
        "OTHER",
    )));
    assert_violation(&mut s, ReasonCode::PROTOCOL_ERROR, "[MQTT-4.12.0-5]", true);
}

// ------------------------------------------------------------------------------------------
// Across connections

/// In automatic mode a message is acknowledged when the application takes it. A message of
/// an earlier connection, taken after a reconnect, acknowledges nothing on the new one: the
/// new connection's message is acknowledged when it is taken, not before.
#[test]
fn auto_ack_of_an_earlier_connection_message_acks_nothing_on_the_new_one_mqtt_4_3_2_4() {
    let mut s = lasting(Version::V5, config());
    s.feed(Packet::Publish(server_publish(
        "old",
        QosPid::AtLeastOnce(pid(1)),
    )));
    // The transport closes before the application took the message.
    s.close();
    s.connect(resume_connect(Version::V5));
    s.sent();
    s.connack(true, ConnAckProperties::default());
    s.feed(Packet::Publish(server_publish(
        "new",
        QosPid::AtLeastOnce(pid(7)),
    )));
    let mut taken = Vec::new();
    let mut acked_before_taken = Vec::new();
    while let Some(event) = s.client.poll_event() {
        let sent = s.sent();
        if let ClientEvent::Message { publish, .. } = &event {
            taken.push(publish.topic.to_string());
            for packet in &sent {
                if let Packet::PubAck(a) = packet
                    && a.pid == pid(7)
                    && publish.topic != "new"
                {
                    acked_before_taken.push(publish.topic.to_string());
                }
            }
        }
    }
    assert_eq!(taken, ["old", "new"]);
    assert_eq!(
        acked_before_taken,
        Vec::<String>::new(),
        "PUBACK 7 went out when the old message was taken"
    );
}

/// [MQTT-4.3.3-10]: an incoming QoS 2 message answered with PUBREC before the connection was
/// lost is not delivered again when the server resends it on the resumed session; its PUBREL
/// gets PUBCOMP.
#[test]
fn incoming_qos2_repeat_on_a_resumed_session_is_not_delivered_again_mqtt_4_3_3_10() {
    for version in VERSIONS {
        let mut s = lasting(version, config());
        let publish = server_publish("t", QosPid::ExactlyOnce(pid(5)));
        s.feed(Packet::Publish(publish.clone()));
        assert_eq!(s.events().len(), 1);
        assert_eq!(s.sent(), vec![Packet::pub_rec(pid(5))]);
        reconnect(&mut s, true, ConnAckProperties::default());
        s.feed(Packet::Publish(Publish {
            dup: true,
            ..publish
        }));
        assert_eq!(s.events(), vec![]);
        assert_eq!(s.sent(), vec![Packet::pub_rec(pid(5))]);
        s.feed(Packet::pub_rel(pid(5)));
        assert_eq!(s.sent(), vec![Packet::pub_comp(pid(5))]);
    }
}

/// [MQTT-3.3.4-7], [MQTT-4.4.0-1]: resent messages count against the new connection's
/// Receive Maximum: the rest wait for acks, still in order and with DUP 1.
#[test]
fn resends_wait_for_the_new_receive_maximum_mqtt_3_3_4_7() {
    let mut s = lasting(Version::V5, config());
    for topic in ["a", "b", "c"] {
        publish(&mut s, msg(topic, QoS::AtLeastOnce));
    }
    let sent = s.sent();
    let pids: Vec<PacketId> = publishes(&sent).iter().map(|p| pid_of(p)).collect();
    reconnect(&mut s, true, connack_props(|p| p.receive_maximum = Some(1)));
    let sent = s.sent();
    assert!(matches!(sent.as_slice(), [Packet::Publish(p)] if p.dup && pid_of(p) == pids[0]));
    s.feed(Packet::pub_ack(pids[0]));
    s.events();
    let sent = s.sent();
    assert!(matches!(sent.as_slice(), [Packet::Publish(p)] if p.dup && pid_of(p) == pids[1]));
    s.feed(Packet::pub_ack(pids[1]));
    s.events();
    let sent = s.sent();
    assert!(matches!(sent.as_slice(), [Packet::Publish(p)] if p.dup && pid_of(p) == pids[2]));
}

/// [MQTT-3.3.4-7]: the PUBCOMP of a flow resumed at the PUBREL stage returns no send quota
/// (its PUBLISH was counted on the earlier connection): with Receive Maximum 1, the resent
/// PUBLISH after the PUBREL holds the only unit, and the next resend waits for its ack; a flow
/// left at the PUBREL stage still holds its place in the window for new messages.
#[test]
fn pubcomp_of_a_resumed_pubrel_returns_no_quota_mqtt_3_3_4_7() {
    let mut s = lasting(Version::V5, config());
    publish(&mut s, msg("a", QoS::ExactlyOnce));
    publish(&mut s, msg("b", QoS::AtLeastOnce));
    publish(&mut s, msg("c", QoS::AtLeastOnce));
    let sent = s.sent();
    let pids: Vec<PacketId> = publishes(&sent).iter().map(|p| pid_of(p)).collect();
    s.feed(Packet::pub_rec(pids[0]));
    assert_eq!(s.sent(), vec![Packet::pub_rel(pids[0])]);
    reconnect(&mut s, true, connack_props(|p| p.receive_maximum = Some(1)));
    let sent = s.sent();
    assert!(
        matches!(sent.as_slice(), [Packet::PubRel(rel), Packet::Publish(b)] if rel.pid == pids[0] && b.dup && b.topic == "b"),
        "{sent:?}"
    );
    s.feed(Packet::pub_comp(pids[0]));
    s.events();
    assert!(s.sent().is_empty(), "b holds the only unit");
    s.feed(Packet::pub_ack(pids[1]));
    s.events();
    assert!(matches!(s.sent().as_slice(), [Packet::Publish(c)] if c.topic == "c" && c.dup));
    s.feed(Packet::pub_ack(pids[2]));
    s.events();
    // A new message waits while a flow resumed at the PUBREL stage fills the window.
    publish(&mut s, msg("d", QoS::ExactlyOnce));
    let sent = s.sent();
    let pd = pid_of(publishes(&sent)[0]);
    s.feed(Packet::pub_rec(pd));
    assert_eq!(s.sent(), vec![Packet::pub_rel(pd)]);
    reconnect(&mut s, true, connack_props(|p| p.receive_maximum = Some(1)));
    publish(&mut s, msg("e", QoS::AtLeastOnce));
    assert_eq!(s.sent(), vec![Packet::pub_rel(pd)]);
    s.feed(Packet::pub_comp(pd));
    s.events();
    assert!(matches!(s.sent().as_slice(), [Packet::Publish(e)] if e.topic == "e"));
}

/// [MQTT-3.2.2-15]: a message in flight that is larger than the resuming server's Maximum
/// Packet Size cannot be sent again: `PublishFailed { TooLarge }`, its identifier freed.
#[test]
fn resend_too_large_for_the_new_server_fails_mqtt_3_2_2_15() {
    let mut s = lasting(Version::V5, config());
    let big = publish(
        &mut s,
        mqtt_wire::session::Message::new("a".try_into().unwrap(), Bytes::from(vec![0u8; 100]))
            .qos(QoS::AtLeastOnce),
    );
    publish(&mut s, msg("b", QoS::AtLeastOnce));
    assert_eq!(publishes(&s.sent()).len(), 2);
    let events = reconnect(
        &mut s,
        true,
        connack_props(|p| p.maximum_packet_size = Some(64)),
    );
    assert!(
        events
            .iter()
            .all(|e| !matches!(e, ClientEvent::PublishFailed { .. }))
    );
    let sent = s.sent();
    assert!(matches!(sent.as_slice(), [Packet::Publish(p)] if p.topic == "b" && p.dup));
    let events = s.events();
    assert!(
        matches!(events.as_slice(), [ClientEvent::PublishFailed { id, reason: PublishFailure::TooLarge { .. } }] if *id == big),
        "{events:?}"
    );
    assert_eq!(s.client.inflight(), 1);
}

// ------------------------------------------------------------------------------------------
// More limits and refusals

/// [MQTT-3.1.2-29]: after Request Problem Information 0, a Reason String on AUTH is a
/// protocol error too (only PUBLISH, CONNACK and DISCONNECT may carry one).
#[test]
fn reason_string_on_auth_after_request_problem_information_0_mqtt_3_1_2_29() {
    let mut s = connected_v5(
        config(),
        connect_props(|p| {
            p.request_problem_information = Some(false);
            p.authentication_method = Some("SCRAM".into());
        }),
        ConnAckProperties::default(),
    );
    let mut with_reason = auth(ReasonCode::CONTINUE_AUTHENTICATION, "SCRAM")
        .properties
        .to_builder();
    with_reason.reason_string = Some("again".into());
    s.feed(Packet::Auth(Auth {
        reason_code: ReasonCode::CONTINUE_AUTHENTICATION,
        properties: with_reason.build().unwrap(),
    }));
    assert_violation(&mut s, ReasonCode::PROTOCOL_ERROR, "[MQTT-3.1.2-29]", true);
}

/// [MQTT-3.4.2-2], [MQTT-3.5.2-2]: an acknowledgement whose Reason String would make it larger
/// than the server's Maximum Packet Size goes without it.
#[test]
fn ack_properties_left_out_above_the_server_maximum_packet_size_mqtt_3_4_2_2() {
    let mut s = connected_v5(
        manual(),
        ConnectProperties::default(),
        connack_props(|p| p.maximum_packet_size = Some(32)),
    );
    s.feed(Packet::Publish(server_publish(
        "t",
        QosPid::AtLeastOnce(pid(1)),
    )));
    s.feed(Packet::Publish(server_publish(
        "t",
        QosPid::ExactlyOnce(pid(2)),
    )));
    let tokens: Vec<_> = s.events().iter().map(token).collect();
    let long = AckPropertiesBuilder {
        reason_string: Some("x".repeat(40).into()),
        ..Default::default()
    }
    .build()
    .unwrap();
    let short = AckPropertiesBuilder {
        reason_string: Some("ok".into()),
        ..Default::default()
    }
    .build()
    .unwrap();
    let now = s.t();
    s.client
        .ack(now, tokens[0], ReasonCode::NO_MATCHING_SUBSCRIBERS, long)
        .unwrap();
    s.client
        .ack(now, tokens[1], ReasonCode::SUCCESS, short.clone())
        .unwrap();
    assert_eq!(
        s.sent(),
        vec![
            Packet::PubAck(ack(pid(1), ReasonCode::NO_MATCHING_SUBSCRIBERS)),
            Packet::PubRec(mqtt_wire::Ack {
                pid: pid(2),
                reason_code: ReasonCode::SUCCESS,
                properties: short,
            }),
        ]
    );
}

/// 3.1.1 CONNACK return codes are reported as the 5.0 reason code of the same meaning.
#[test]
fn refused_3_1_1_connack_reports_the_mapped_reason() {
    let mut s = Scripted::new(config());
    s.connect(connect(Version::V3_1_1, 0));
    s.sent();
    s.feed_bytes(&[0x20, 0x02, 0x00, 0x05]);
    let events = s.events();
    assert_eq!(
        Scripted::disconnected(&events),
        (
            ConnectionError::Refused {
                reason: ReasonCode::NOT_AUTHORIZED,
                properties: ConnAckProperties::default(),
            },
            true
        )
    );
    assert!(s.client.should_close());
}

/// 5.0 §3.2.2.3.11-13: SUBSCRIBE is refused at once when the server said it does not support a
/// wildcard, shared or identified subscription; and when larger than its Maximum Packet Size.
#[test]
fn subscribe_refused_by_the_servers_capabilities() {
    let mut s = connected_v5(
        config(),
        ConnectProperties::default(),
        connack_props(|p| {
            p.wildcard_subscription_available = Some(false);
            p.shared_subscription_available = Some(false);
            p.subscription_identifier_available = Some(false);
            p.maximum_packet_size = Some(40);
        }),
    );
    let now = s.t();
    for names in [&["a/#"][..], &["$share/g/a"][..]] {
        assert!(matches!(
            s.client
                .subscribe(now, filters(names), SubscribeProperties::default()),
            Err(CommandError::NotAvailable { .. })
        ));
    }
    let identified = SubscribePropertiesBuilder {
        subscription_identifier: Some(3),
        ..Default::default()
    }
    .build()
    .unwrap();
    assert!(matches!(
        s.client.subscribe(now, filters(&["a"]), identified),
        Err(CommandError::NotAvailable { .. })
    ));
    let long: &'static str = "a/very/long/topic/filter/that/does/not/fit/in/forty/bytes";
    assert!(matches!(
        s.client
            .subscribe(now, filters(&[long]), SubscribeProperties::default()),
        Err(CommandError::Encode(EncodeError::PacketTooLarge { .. }))
    ));
    assert_eq!(s.sent(), vec![]);
    // The refused ones used no identifier.
    let p = subscribe(&mut s, &["a"]);
    assert_eq!(p, pid(1));
}

// ------------------------------------------------------------------------------------------
// Commands out of place

/// Commands that need a connection, or no connection, are refused with `WrongStatus`;
/// resuming a session kept for another protocol version is refused.
#[test]
fn commands_refused_in_the_wrong_status() {
    let mut s = Scripted::new(config());
    let now = s.t();
    assert_eq!(
        s.client
            .subscribe(now, filters(&["a"]), SubscribeProperties::default()),
        Err(CommandError::WrongStatus(Status::Idle))
    );
    assert_eq!(
        s.client.disconnect(now, Disconnect::default()),
        Err(CommandError::WrongStatus(Status::Idle))
    );
    s.establish(
        resume_connect(Version::V3_1_1),
        ConnAckProperties::default(),
    );
    assert_eq!(
        s.client.connect(now, connect(Version::V5, 0)),
        Err(CommandError::WrongStatus(Status::Connected))
    );
    assert_eq!(
        s.client
            .auth(now, auth(ReasonCode::REAUTHENTICATE, "SCRAM")),
        Err(CommandError::NotAvailable { what: "AUTH" })
    );
    publish(&mut s, msg("a", QoS::AtLeastOnce));
    s.sent();
    s.close();
    s.events();
    // 3.1.1 state in flight: a 5.0 CONNECT may not resume it, a clean one may start afresh.
    assert_eq!(
        s.client.connect(now, resume_connect(Version::V5)),
        Err(CommandError::VersionChanged {
            state: Version::V3_1_1,
            connect: Version::V5
        })
    );
    assert_eq!(s.client.status(), Status::Idle);
    s.connect(connect(Version::V5, 0));
    assert_eq!(s.client.version(), Version::V5);
}

/// A 3.1.1 PUBLISH cannot carry properties: refused as `Invalid`, nothing queued.
#[test]
fn publish_with_properties_on_3_1_1_is_refused() {
    let mut s = Scripted::connected(Version::V3_1_1, config());
    let message = msg("a", QoS::AtMostOnce).properties(
        PublishPropertiesBuilder {
            content_type: Some("text/plain".into()),
            ..Default::default()
        }
        .build()
        .unwrap(),
    );
    let now = s.t();
    assert!(matches!(
        s.client.publish(now, message),
        Err(PublishError::Invalid(_))
    ));
    assert_eq!(s.client.pending(), 0);
    assert_eq!(s.sent(), vec![]);
}

/// [MQTT-3.2.2-15]: a SUBSCRIBE made before CONNACK that turns out larger than the server's
/// Maximum Packet Size is never sent; the application is told (`RequestCancelled`) and the
/// identifier is free again, rather than the request waiting for a SUBACK that cannot come.
#[test]
fn early_subscribe_too_large_for_the_server_is_cancelled_mqtt_3_2_2_15() {
    let mut s = Scripted::new(config());
    s.connect(connect(Version::V5, 0));
    let long: &'static str = "a/very/long/topic/filter/that/does/not/fit/in/forty/bytes";
    let big = subscribe(&mut s, &[long]);
    let small = subscribe(&mut s, &["a"]);
    let gone = unsubscribe(&mut s, &[long]);
    s.sent();
    s.connack(false, connack_props(|p| p.maximum_packet_size = Some(40)));
    let events = s.events();
    assert!(
        matches!(events[0], ClientEvent::Connected { .. }),
        "{events:?}"
    );
    assert_eq!(
        events[1..],
        [
            ClientEvent::RequestCancelled {
                packet_id: big,
                subscribe: true
            },
            ClientEvent::RequestCancelled {
                packet_id: gone,
                subscribe: false
            },
        ]
    );
    let sent = s.sent();
    assert!(
        matches!(sent.as_slice(), [Packet::Subscribe(p)] if p.pid == small),
        "{sent:?}"
    );
    // The cancelled request is no longer waiting: a SUBACK with its identifier completes
    // nothing.
    s.feed(suback(big, 1));
    assert_eq!(s.events(), vec![]);
    s.feed(suback(small, 1));
    assert!(matches!(
        s.events().as_slice(),
        [ClientEvent::Subscribed { .. }]
    ));
}

/// 5.0 §3.2.2.3.11: a wildcard SUBSCRIBE to a server without Wildcard Subscription Available is
/// a Protocol Error for the server. `subscribe` refuses one once the CONNACK is known; one made
/// before CONNACK is sent anyway, and the server ends the connection.
#[test]
fn early_wildcard_subscribe_to_a_server_without_wildcards_is_not_sent() {
    let mut s = Scripted::new(config());
    s.connect(connect(Version::V5, 0));
    let sub = subscribe(&mut s, &["a/#"]);
    s.sent();
    s.connack(
        false,
        connack_props(|p| p.wildcard_subscription_available = Some(false)),
    );
    let events = s.events();
    assert!(
        events.contains(&ClientEvent::RequestCancelled {
            packet_id: sub,
            subscribe: true
        }),
        "{events:?}"
    );
    assert_eq!(s.sent(), vec![]);
}

// ---- outbound topic aliases ------------------------------------------------------------------

fn aliases(max: u16, server_max: Option<u16>) -> Scripted {
    connected_v5(
        config().outbound_aliases(AliasPolicy::Lru { max }),
        ConnectProperties::default(),
        connack_props(|p| p.topic_alias_maximum = server_max),
    )
}

/// (topic, alias) of each PUBLISH sent.
fn topics_and_aliases(packets: &[Packet]) -> Vec<(String, Option<u16>)> {
    publishes(packets)
        .iter()
        .map(|p| (p.topic.as_str().to_owned(), p.properties.topic_alias()))
        .collect()
}

#[test]
fn outbound_aliases_are_off_by_default() {
    let mut s = connected_v5(
        config(),
        ConnectProperties::default(),
        connack_props(|p| p.topic_alias_maximum = Some(10)),
    );
    for _ in 0..2 {
        s.client
            .publish(s.t(), msg("a/b", QoS::AtMostOnce))
            .unwrap();
    }
    assert_eq!(
        topics_and_aliases(&s.sent()),
        [("a/b".into(), None), ("a/b".into(), None)]
    );
}

#[test]
fn a_topic_gets_an_alias_then_is_sent_by_alias_alone_section_3_3_2_3_4() {
    let mut s = aliases(4, Some(10));
    for topic in ["a/b", "a/b", "c", "a/b", "c"] {
        s.client
            .publish(s.t(), msg(topic, QoS::AtMostOnce))
            .unwrap();
    }
    assert_eq!(
        topics_and_aliases(&s.sent()),
        [
            ("a/b".into(), Some(1)),
            ("".into(), Some(1)),
            ("c".into(), Some(2)),
            ("".into(), Some(1)),
            ("".into(), Some(2)),
        ]
    );
}

#[test]
fn aliases_stay_within_the_servers_maximum_mqtt_3_2_2_17_and_the_lru_is_reused() {
    // Our policy allows 8, the server 2 ([MQTT-3.2.2-17], [MQTT-3.3.2-9]).
    let mut s = aliases(8, Some(2));
    for topic in ["a", "b", "a", "c", "b"] {
        s.client
            .publish(s.t(), msg(topic, QoS::AtMostOnce))
            .unwrap();
    }
    // "c" takes the least recently used alias (2, last used by "b"); "b" then takes 1 ("a"'s).
    assert_eq!(
        topics_and_aliases(&s.sent()),
        [
            ("a".into(), Some(1)),
            ("b".into(), Some(2)),
            ("".into(), Some(1)),
            ("c".into(), Some(2)),
            ("b".into(), Some(1)),
        ]
    );
}

#[test]
fn no_aliases_when_the_server_allows_none_mqtt_3_2_2_18() {
    for server_max in [None, Some(0)] {
        let mut s = aliases(8, server_max);
        for _ in 0..2 {
            s.client.publish(s.t(), msg("a", QoS::AtMostOnce)).unwrap();
        }
        assert_eq!(
            topics_and_aliases(&s.sent()),
            [("a".into(), None), ("a".into(), None)]
        );
    }
}

#[test]
fn outbound_aliases_restart_on_each_connection_and_resends_carry_the_topic_mqtt_3_3_2_7() {
    let mut s = Scripted::new(config().outbound_aliases(AliasPolicy::Lru { max: 4 }));
    let connect = connect_with(
        Version::V5,
        false,
        0,
        connect_props(|p| p.session_expiry_interval = Some(60)),
    );
    s.establish(
        connect.clone(),
        connack_props(|p| p.topic_alias_maximum = Some(4)),
    );
    s.client.publish(s.t(), msg("t", QoS::AtMostOnce)).unwrap();
    s.client.publish(s.t(), msg("t", QoS::AtLeastOnce)).unwrap();
    assert_eq!(
        topics_and_aliases(&s.sent()),
        [("t".into(), Some(1)), ("".into(), Some(1))]
    );
    s.close();
    s.events();
    s.connect(connect);
    s.sent();
    s.connack(true, connack_props(|p| p.topic_alias_maximum = Some(4)));
    s.client.publish(s.t(), msg("t", QoS::AtMostOnce)).unwrap();
    // The QoS 1 message again with its full topic (DUP 1), then the new one sets the alias
    // afresh: the old connection's mapping is never relied on.
    let sent = s.sent();
    assert_eq!(
        topics_and_aliases(&sent),
        [("t".into(), None), ("t".into(), Some(1))]
    );
    assert!(publishes(&sent)[0].dup);
}

#[test]
fn aliasing_a_message_with_properties_keeps_them() {
    let mut s = aliases(4, Some(4));
    let props = PublishPropertiesBuilder {
        content_type: Some("text/plain".into()),
        ..Default::default()
    }
    .build()
    .unwrap();
    for _ in 0..2 {
        let m = msg("a", QoS::AtMostOnce).properties(props.clone());
        s.client.publish(s.t(), m).unwrap();
    }
    let sent = s.sent();
    let p = publishes(&sent);
    assert_eq!(p[1].topic, "");
    assert_eq!(p[1].properties.topic_alias(), Some(1));
    assert_eq!(p[1].properties.content_type(), Some("text/plain"));
}

#[test]
fn an_alias_given_to_a_publish_that_could_not_be_sent_is_taken_back() {
    // Published before CONNACK, the first message turns out larger than the server accepts:
    // it fails, and the alias it would have set was never seen by the server, so the next
    // message on the topic sets it again (§3.3.2.3.4).
    let mut s = Scripted::new(config().outbound_aliases(AliasPolicy::Lru { max: 4 }));
    s.connect(connect(Version::V5, 0));
    s.sent();
    let big = msg("a", QoS::AtMostOnce);
    let big = mqtt_wire::session::Message {
        payload: Bytes::from(vec![0u8; 200]),
        ..big
    };
    let big_id = s.client.publish(s.t(), big).unwrap();
    s.client.publish(s.t(), msg("a", QoS::AtMostOnce)).unwrap();
    s.connack(
        false,
        connack_props(|p| {
            p.topic_alias_maximum = Some(4);
            p.maximum_packet_size = Some(64);
        }),
    );
    assert_eq!(topics_and_aliases(&s.sent()), [("a".into(), Some(1))]);
    assert!(s.events().iter().any(|e| matches!(
        e,
        ClientEvent::PublishFailed { id, reason: PublishFailure::TooLarge { .. } } if *id == big_id
    )));
}

/// [MQTT-3.1.2-30]: before CONNACK a client may still send DISCONNECT, e.g. to give up.
#[test]
fn disconnect_before_connack_is_sent_and_ends_the_connection() {
    for version in VERSIONS {
        let mut s = Scripted::new(config());
        s.connect(connect(version, 0));
        s.sent();
        let now = s.t();
        s.client.disconnect(now, Disconnect::default()).unwrap();
        assert_eq!(s.sent(), vec![Packet::disconnect()]);
        assert!(s.client.should_close());
        assert_eq!(
            Scripted::disconnected(&s.events()).0,
            ConnectionError::LocallyClosed
        );
    }
}
