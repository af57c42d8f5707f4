//! A client session and a server session of this crate talking to each other over in-memory
//! buffers with a virtual clock: whole exchanges, checked by what each application receives
//! (every message exactly as often as its QoS promises, in order) and by what went over the
//! wire, decoded by the codec alone.

mod common;

use bytes::Bytes;
use common::pair::{Dir, Pair};
use mqtt_wire::session::{
    AckMode, AliasPolicy, ClientConfig, ClientEvent, ConnectionError, Message, PublishId,
    ServerConfig, ServerEvent, Status, WillAction,
};
use mqtt_wire::{
    Connect, ConnectProperties, ConnectPropertiesBuilder, Packet, QoS, ReasonCode,
    SubscribeFilters, SubscriptionOptions, TopicFilter, TopicName, Version, Will,
};
use std::time::Duration;

const VERSIONS: [Version; 2] = [Version::V3_1_1, Version::V5];

fn server_config() -> ServerConfig {
    ServerConfig::default().ack_mode(AckMode::Auto)
}

fn props(build: impl FnOnce(&mut ConnectPropertiesBuilder)) -> ConnectProperties {
    let mut b = ConnectPropertiesBuilder::default();
    build(&mut b);
    b.build().unwrap()
}

/// A CONNECT whose session outlives the connection: 5.0 Session Expiry Interval 3600, or 3.1.1
/// Clean Session 0 (so `clean_start` is false on 3.1.1).
fn lasting(version: Version, clean_start: bool, keep_alive: u16) -> Connect {
    let mut c = Connect::new(version, "pair".into(), keep_alive);
    c.clean_start = clean_start;
    if version.is_v5() {
        c.properties = props(|p| p.session_expiry_interval = Some(3600));
    }
    c
}

fn message(topic: &str, qos: QoS, n: usize) -> Message {
    Message::new(
        TopicName::try_from(topic).unwrap(),
        Bytes::from(format!("{topic}#{n}")),
    )
    .qos(qos)
}

/// The messages the client's application received: topic and payload.
fn client_received(p: &Pair) -> Vec<(String, String)> {
    p.client_events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Message { publish, .. } => Some((
                publish.topic.to_string(),
                String::from_utf8_lossy(&publish.payload).into_owned(),
            )),
            _ => None,
        })
        .collect()
}

/// The messages the server's application received: topic and payload.
fn server_received(p: &Pair) -> Vec<(String, String)> {
    p.server_events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Publish { publish, .. } => Some((
                publish.topic.to_string(),
                String::from_utf8_lossy(&publish.payload).into_owned(),
            )),
            _ => None,
        })
        .collect()
}

/// The client's completed publishes.
fn client_published(p: &Pair) -> Vec<PublishId> {
    p.client_events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Published { id, reason, .. } => {
                assert_eq!(*reason, ReasonCode::SUCCESS);
                Some(*id)
            }
            _ => None,
        })
        .collect()
}

/// The server's completed deliveries.
fn server_delivered(p: &Pair) -> Vec<PublishId> {
    p.server_events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Delivered { id, reason, .. } => {
                assert_eq!(*reason, ReasonCode::SUCCESS);
                Some(*id)
            }
            _ => None,
        })
        .collect()
}

fn no_connection_ended(p: &Pair) {
    assert!(
        !p.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::Disconnected { .. })),
        "{:?}",
        p.client_events
    );
    assert!(
        !p.server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::Closed { .. })),
        "{:?}",
        p.server_events
    );
}

fn payloads(topic: &str, n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| (topic.to_string(), format!("{topic}#{i}")))
        .collect()
}

/// QoS 0, 1 and 2 from the client: each message reaches the server's application once, in
/// order; QoS 1/2 complete at the client.
#[test]
fn messages_from_the_client_at_each_qos() {
    for version in VERSIONS {
        let mut p = Pair::connected(
            ClientConfig::default(),
            server_config(),
            Connect::new(version, "c".into(), 0),
        );
        let mut ids = Vec::new();
        for (topic, qos) in [
            ("q0", QoS::AtMostOnce),
            ("q1", QoS::AtLeastOnce),
            ("q2", QoS::ExactlyOnce),
        ] {
            for n in 0..5 {
                let now = p.t();
                let id = p.client.publish(now, message(topic, qos, n)).unwrap();
                if qos != QoS::AtMostOnce {
                    ids.push(id);
                }
            }
        }
        p.drive();
        let mut expected = payloads("q0", 5);
        expected.extend(payloads("q1", 5));
        expected.extend(payloads("q2", 5));
        assert_eq!(server_received(&p), expected, "{version:?}");
        assert_eq!(client_published(&p), ids);
        assert_eq!(p.client.inflight(), 0);
        no_connection_ended(&p);
    }
}

/// QoS 0, 1 and 2 from the server: each message reaches the client's application once, in
/// order; QoS 1/2 are `Delivered` at the server.
#[test]
fn messages_from_the_server_at_each_qos() {
    for version in VERSIONS {
        let mut p = Pair::connected(
            ClientConfig::default(),
            server_config(),
            Connect::new(version, "c".into(), 0),
        );
        let mut ids = Vec::new();
        for (topic, qos) in [
            ("q0", QoS::AtMostOnce),
            ("q1", QoS::AtLeastOnce),
            ("q2", QoS::ExactlyOnce),
        ] {
            for n in 0..5 {
                let now = p.t();
                let id = p.server.publish(now, message(topic, qos, n)).unwrap();
                if qos != QoS::AtMostOnce {
                    ids.push(id);
                }
            }
        }
        p.drive();
        let mut expected = payloads("q0", 5);
        expected.extend(payloads("q1", 5));
        expected.extend(payloads("q2", 5));
        assert_eq!(client_received(&p), expected, "{version:?}");
        assert_eq!(server_delivered(&p), ids);
        assert_eq!(p.server.inflight(), 0);
        no_connection_ended(&p);
    }
}

/// SUBSCRIBE and UNSUBSCRIBE get their answers, one code per filter.
#[test]
fn subscribe_and_unsubscribe_round_trip() {
    let mut p = Pair::connected(
        ClientConfig::default(),
        server_config(),
        Connect::new(Version::V5, "c".into(), 0),
    );
    let filters = SubscribeFilters::try_from_iter([
        (
            TopicFilter::from_static("a/#").unwrap(),
            SubscriptionOptions::qos(QoS::ExactlyOnce),
        ),
        (
            TopicFilter::from_static("b").unwrap(),
            SubscriptionOptions::qos(QoS::AtMostOnce),
        ),
    ])
    .unwrap();
    let now = p.t();
    let pid = p
        .client
        .subscribe(now, filters, Default::default())
        .unwrap();
    p.drive();
    let codes: Vec<_> = p
        .client_events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Subscribed { packet_id, suback } if *packet_id == pid => {
                Some(suback.reason_codes.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        codes,
        [vec![ReasonCode::GRANTED_QOS_2, ReasonCode::GRANTED_QOS_0]]
    );
    let now = p.t();
    let pid = p
        .client
        .unsubscribe(
            now,
            mqtt_wire::UnsubscribeFilters::new(TopicFilter::from_static("b").unwrap()),
            Default::default(),
        )
        .unwrap();
    p.drive();
    assert!(
        p.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::Unsubscribed { packet_id, .. } if *packet_id == pid))
    );
}

/// Cuts the link, then reconnects the client with Clean Start 0: the server resumes the state
/// it kept.
fn reconnect(p: &mut Pair, version: Version) {
    p.cut();
    assert!(p.stored.is_some(), "the server kept the session");
    p.connect(lasting(version, false, 0));
    assert!(
        p.client_events.iter().any(|e| matches!(
            e,
            ClientEvent::Connected {
                session_present: true,
                ..
            }
        )),
        "{:?}",
        p.client_events
    );
}

/// A QoS 2 message from the client, the link cut after the server received it and before its
/// PUBREC arrived: after resumption the client sends it again (DUP 1) and the server's
/// application still receives it once ([MQTT-4.3.3-10] 5.0); the client completes it once.
#[test]
fn qos2_from_the_client_resumed_before_pubrec() {
    for version in VERSIONS {
        let mut p = Pair::connected(
            ClientConfig::default(),
            server_config(),
            lasting(version, false, 0),
        );
        let now = p.t();
        let id = p
            .client
            .publish(now, message("q2", QoS::ExactlyOnce, 0))
            .unwrap();
        p.client_to_server();
        assert_eq!(server_received(&p), payloads("q2", 1));
        reconnect(&mut p, version);
        let dup = p.wire.iter().filter(|(_, d, pk)| {
            *d == Dir::ToServer && matches!(pk, Packet::Publish(pb) if pb.dup)
        });
        assert_eq!(dup.count(), 1, "sent again with DUP 1");
        assert_eq!(server_received(&p), payloads("q2", 1), "{version:?}");
        assert_eq!(client_published(&p), [id]);
    }
}

/// The same, cut after the client sent PUBREL and before the server read it: the client sends
/// PUBREL again, never the PUBLISH ([MQTT-4.3.3-6] 5.0).
#[test]
fn qos2_from_the_client_resumed_at_pubrel() {
    for version in VERSIONS {
        let mut p = Pair::connected(
            ClientConfig::default(),
            server_config(),
            lasting(version, false, 0),
        );
        let now = p.t();
        let id = p
            .client
            .publish(now, message("q2", QoS::ExactlyOnce, 0))
            .unwrap();
        p.client_to_server();
        p.server_to_client();
        let wire_before = p.wire.len();
        reconnect(&mut p, version);
        let resent: Vec<_> = p.wire[wire_before..]
            .iter()
            .filter(|(_, d, pk)| {
                *d == Dir::ToServer && matches!(pk, Packet::Publish(_) | Packet::PubRel(_))
            })
            .collect();
        // The PUBREL lost with the link, and the one after the resumption.
        assert!(
            resent
                .iter()
                .all(|(_, _, pk)| matches!(pk, Packet::PubRel(_))),
            "{resent:?}"
        );
        assert_eq!(server_received(&p), payloads("q2", 1));
        assert_eq!(client_published(&p), [id]);
    }
}

/// A QoS 2 message from the server, cut after the client received it and before its PUBREC
/// reached the server: resent with DUP 1, the client's application receives it once.
#[test]
fn qos2_from_the_server_resumed_before_pubrec() {
    for version in VERSIONS {
        let mut p = Pair::connected(
            ClientConfig::default(),
            server_config(),
            lasting(version, false, 0),
        );
        let now = p.t();
        let id = p
            .server
            .publish(now, message("q2", QoS::ExactlyOnce, 0))
            .unwrap();
        p.server_to_client();
        assert_eq!(client_received(&p), payloads("q2", 1));
        reconnect(&mut p, version);
        let dup = p.wire.iter().filter(|(_, d, pk)| {
            *d == Dir::ToClient && matches!(pk, Packet::Publish(pb) if pb.dup)
        });
        assert_eq!(dup.count(), 1);
        assert_eq!(client_received(&p), payloads("q2", 1), "{version:?}");
        assert_eq!(server_delivered(&p), [id]);
    }
}

/// The same, cut after the server sent PUBREL: resent PUBREL, the client's application
/// receives the message once, the server completes it once.
#[test]
fn qos2_from_the_server_resumed_at_pubrel() {
    for version in VERSIONS {
        let mut p = Pair::connected(
            ClientConfig::default(),
            server_config(),
            lasting(version, false, 0),
        );
        let now = p.t();
        let id = p
            .server
            .publish(now, message("q2", QoS::ExactlyOnce, 0))
            .unwrap();
        p.server_to_client();
        p.client_to_server();
        let wire_before = p.wire.len();
        reconnect(&mut p, version);
        assert!(
            !p.wire[wire_before..]
                .iter()
                .any(|(_, d, pk)| *d == Dir::ToClient && matches!(pk, Packet::Publish(_))),
            "no PUBLISH after its PUBREL"
        );
        assert_eq!(client_received(&p), payloads("q2", 1));
        assert_eq!(server_delivered(&p), [id]);
    }
}

/// QoS 1 and 2 both ways, many messages, Receive Maximum small on both sides and a link that
/// delivers one byte at a time: everything arrives once, in order, and neither side exceeds
/// the other's Receive Maximum (which would end the connection with 0x93).
#[test]
fn many_messages_both_ways_within_receive_maximum() {
    let mut connect = Connect::new(Version::V5, "c".into(), 0);
    connect.properties = props(|p| p.receive_maximum = Some(3));
    let mut p = Pair::new(ClientConfig::default(), server_config().receive_maximum(2));
    p.chunk = 1;
    p.connect(connect);
    let mut up = Vec::new();
    let mut down = Vec::new();
    for n in 0..40 {
        let qos = if n % 2 == 0 {
            QoS::AtLeastOnce
        } else {
            QoS::ExactlyOnce
        };
        let now = p.t();
        up.push(p.client.publish(now, message("up", qos, n)).unwrap());
        down.push(p.server.publish(now, message("down", qos, n)).unwrap());
    }
    p.drive();
    assert_eq!(server_received(&p), payloads("up", 40));
    assert_eq!(client_received(&p), payloads("down", 40));
    // QoS 1 completes in one round trip, QoS 2 in two: completions may pass each other.
    let sorted = |mut v: Vec<PublishId>| {
        v.sort();
        v
    };
    assert_eq!(sorted(client_published(&p)), up);
    assert_eq!(sorted(server_delivered(&p)), down);
    no_connection_ended(&p);
    // The monitor's count of messages outstanding each way never passed the limit.
    let mut outstanding = [0i32; 2];
    let mut peak = [0i32; 2];
    for (_, dir, packet) in &p.wire {
        let i = usize::from(*dir == Dir::ToClient);
        match packet {
            Packet::Publish(pb) if pb.qos.pid().is_some() => {
                outstanding[i] += 1;
                peak[i] = peak[i].max(outstanding[i]);
            }
            // Completions travel the other way.
            Packet::PubAck(_) | Packet::PubComp(_) => outstanding[1 - i] -= 1,
            _ => {}
        }
    }
    assert_eq!(peak, [2, 3], "server's and client's Receive Maximum");
}

/// Keep alive over idle time: the client pings, the server answers, nothing ends over ten
/// minutes; then the link goes silent both ways and the server closes the connection one and a
/// half keep alives after the last packet it received, never earlier ([MQTT-3.1.2-22] 5.0 /
/// [MQTT-3.1.2-24] 3.1.1), with the will due.
#[test]
fn keep_alive_over_idle_time_and_a_silent_link() {
    for version in VERSIONS {
        let mut connect = Connect::new(version, "c".into(), 10);
        connect.will = Some(Will::new(
            TopicName::from_static("will").unwrap(),
            Bytes::from_static(b"gone"),
        ));
        let client = ClientConfig::default().ping_timeout(Duration::from_secs(20));
        let mut p = Pair::connected(client, server_config(), connect);
        p.run_for(600_000);
        no_connection_ended(&p);
        let pings = p
            .wire
            .iter()
            .filter(|(_, _, pk)| matches!(pk, Packet::PingReq))
            .count();
        assert_eq!(pings, 60);
        let last = p
            .wire
            .iter()
            .filter(|(_, d, _)| *d == Dir::ToServer)
            .map(|(t, _, _)| *t)
            .max()
            .unwrap();
        assert_eq!(last, 600_000);
        assert_eq!(p.server.status(), Status::Connected);

        p.blackhole = true;
        p.run_for(14_999);
        no_connection_ended(&p);
        p.run_for(1);
        let closed: Vec<_> = p
            .server_events
            .iter()
            .filter_map(|e| match e {
                ServerEvent::Closed { error, will, .. } => Some((error.clone(), will.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].0, ConnectionError::KeepAliveTimeout);
        assert!(
            matches!(&closed[0].1, WillAction::Publish { message, .. } if message.topic == "will")
        );
        assert!(
            p.client_events
                .iter()
                .any(|e| matches!(e, ClientEvent::Disconnected { .. }))
        );
    }
}

/// Topic aliases both ways, each within the other side's maximum: every message arrives with
/// its topic, and repeated topics travel as aliases alone.
#[test]
fn topic_aliases_both_ways() {
    let mut connect = Connect::new(Version::V5, "c".into(), 0);
    connect.properties = props(|p| p.topic_alias_maximum = Some(2));
    let client = ClientConfig::default().outbound_aliases(AliasPolicy::Lru { max: 8 });
    let server = server_config()
        .topic_alias_maximum(3)
        .outbound_aliases(AliasPolicy::Lru { max: 8 });
    let mut p = Pair::connected(client, server, connect);
    let topics = ["t/a", "t/b", "t/a", "t/c", "t/d", "t/a", "t/b", "t/a"];
    for (n, topic) in topics.iter().enumerate() {
        let now = p.t();
        p.client
            .publish(now, message(topic, QoS::AtLeastOnce, n))
            .unwrap();
        p.server
            .publish(now, message(topic, QoS::AtMostOnce, n))
            .unwrap();
    }
    p.drive();
    let expected: Vec<_> = topics
        .iter()
        .enumerate()
        .map(|(n, t)| (t.to_string(), format!("{t}#{n}")))
        .collect();
    assert_eq!(server_received(&p), expected);
    assert_eq!(client_received(&p), expected);
    no_connection_ended(&p);
    for (dir, max) in [(Dir::ToServer, 3), (Dir::ToClient, 2)] {
        let aliases: Vec<_> = p
            .wire
            .iter()
            .filter_map(|(_, d, pk)| match pk {
                Packet::Publish(pb) if *d == dir => Some(pb.properties.topic_alias()),
                _ => None,
            })
            .collect();
        assert!(
            aliases.iter().all(|a| a.is_some_and(|a| a <= max)),
            "{aliases:?}"
        );
        let alias_only = p
            .wire
            .iter()
            .filter(|(_, d, pk)| {
                *d == dir && matches!(pk, Packet::Publish(pb) if pb.topic.is_empty())
            })
            .count();
        assert!(alias_only > 0, "{dir:?} used aliases alone");
    }
}

/// Messages queued at the server for a client that is away reach it when it resumes, with
/// everything in flight completed once.
#[test]
fn queued_messages_reach_a_resuming_client() {
    let mut p = Pair::connected(
        ClientConfig::default(),
        server_config(),
        lasting(Version::V5, false, 0),
    );
    p.cut();
    let mut state = p.stored.take().unwrap();
    for n in 0..5 {
        state
            .queue(
                p.t(),
                message("away", QoS::AtLeastOnce, n),
                &server_config(),
            )
            .unwrap();
    }
    p.stored = Some(state);
    p.connect(lasting(Version::V5, false, 0));
    assert_eq!(client_received(&p), payloads("away", 5));
    assert_eq!(server_delivered(&p).len(), 5);
}
