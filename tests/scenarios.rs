//! The classic failures between sessions, each as a scenario named by its behaviour, with the
//! exact packets on the wire: a QoS 2 flow resumed at the PUBREL stage, a takeover with a will,
//! the send quota after a reconnect, topic aliases after a reconnect, a half-open link, a broker
//! restart with queued QoS 1 messages. The client sessions and the broker run in memory
//! (`tests/common/world.rs`); every packet is decoded by the codec alone.

mod common;

use common::world::{World, connect, qos};
use mqtt_wire::broker::BrokerConfig;
use mqtt_wire::session::{AliasPolicy, ClientConfig, ClientEvent, ServerConfig};
use mqtt_wire::{ConnectProperties, Packet, QoS, ReasonCode, Version, Will};

fn lasting(version: Version, id: &str, keep_alive: u16) -> mqtt_wire::Connect {
    let mut c = connect(version, id, false, keep_alive);
    if version.is_v5() {
        let mut p = ConnectProperties::builder();
        p.session_expiry_interval = Some(3600);
        c.properties = p.build().unwrap();
    }
    c
}

fn publishes(packets: &[Packet]) -> Vec<&mqtt_wire::Publish> {
    packets
        .iter()
        .filter_map(|p| match p {
            Packet::Publish(p) => Some(p),
            _ => None,
        })
        .collect()
}

/// A QoS 2 message whose PUBREC arrived, then the link dropped before PUBCOMP: on the resumed
/// session the client sends PUBREL again, not the PUBLISH ([MQTT-4.4.0-1]), the broker answers
/// PUBCOMP, and the subscriber gets the message exactly once ([MQTT-4.3.3-10]).
#[test]
fn a_qos2_flow_resumed_at_pubrel_delivers_once() {
    for version in [Version::V3_1_1, Version::V5] {
        let mut w = World::new(BrokerConfig::default());
        let sub = w.add_client(ClientConfig::default());
        w.join(sub, version, "sub", true);
        w.subscribe(sub, "q2", qos(QoS::ExactlyOnce));
        let p = w.add_client(ClientConfig::default());
        w.connect(p, lasting(version, "pub", 0));
        w.wire(p);
        let now = w.t();
        let msg = mqtt_wire::session::Message::new("q2".try_into().unwrap(), "once")
            .qos(QoS::ExactlyOnce);
        w.clients[p].session.publish(now, msg).unwrap();
        // Let PUBLISH and PUBREC pass, then drop the PUBCOMP: deliver by hand.
        let mut tx = bytes::BytesMut::new();
        let _ = w.clients[p].session.poll_transmit(now, &mut tx);
        let conn = w.clients[p].conn.unwrap();
        w.broker.handle_input(now, conn, &mut tx);
        let mut back = bytes::BytesMut::new();
        let mut copy = bytes::BytesMut::new();
        while let Some(c) = w.broker.poll_transmit(now, &mut copy) {
            if c == conn {
                back.extend_from_slice(&copy);
            } else {
                // The subscriber's copy.
                w.clients[sub].session.handle_input(now, &mut copy);
            }
            copy.clear();
        }
        // `back` holds the PUBREC: the client answers PUBREL, which is lost with the link.
        w.clients[p].session.handle_input(now, &mut back);
        let mut lost = bytes::BytesMut::new();
        let _ = w.clients[p].session.poll_transmit(now, &mut lost);
        let mut d = mqtt_wire::Decoder::new(version);
        assert!(matches!(d.decode(&mut lost), Ok(Some(Packet::PubRel(_)))));
        w.cut(p);
        w.wire(p);
        w.connect(p, lasting(version, "pub", 0));
        let (sent, received) = w.wire(p);
        assert!(
            matches!(&sent[..], [Packet::Connect(_), Packet::PubRel(_)]),
            "{version:?}: {sent:?}"
        );
        assert!(
            matches!(&received[..], [Packet::ConnAck(c), Packet::PubComp(_)] if c.session_present),
            "{received:?}"
        );
        assert_eq!(w.payloads(sub), ["once"], "{version:?}");
    }
}

/// [MQTT-3.1.4-3] with a will: a second connection with the same client identifier takes the
/// session over; the old connection gets DISCONNECT 0x8E (5.0) and its will is published once
/// (its Will Delay Interval is 0, so the new connection cannot cancel it).
#[test]
fn a_takeover_publishes_the_old_connections_will_once() {
    let mut w = World::new(BrokerConfig::default());
    let watch = w.add_client(ClientConfig::default());
    w.join(watch, Version::V5, "watch", true);
    w.subscribe(watch, "will/#", qos(QoS::AtLeastOnce));
    let old = w.add_client(ClientConfig::default());
    let mut c = lasting(Version::V5, "dev", 0);
    c.will = Some(Will::new(
        "will/dev".try_into().unwrap(),
        bytes::Bytes::from_static(b"gone"),
    ));
    w.connect(old, c.clone());
    w.wire(old);
    let new = w.add_client(ClientConfig::default());
    w.connect(new, c);
    let (_, to_old) = w.wire(old);
    assert!(
        matches!(&to_old[..], [Packet::Disconnect(d)] if d.reason_code == ReasonCode::SESSION_TAKEN_OVER),
        "{to_old:?}"
    );
    let (_, to_new) = w.wire(new);
    assert!(matches!(&to_new[..], [Packet::ConnAck(c)] if c.session_present));
    assert_eq!(w.payloads(watch), ["gone"]);
}

/// [MQTT-4.9.0-1]: the send quota starts at the peer's Receive Maximum on every connection.
/// With the broker's Receive Maximum 2 and the link dropped while two QoS 1 PUBLISHes were
/// unacknowledged, the next connection resends those two (DUP 1) and waits: a third waits for
/// an ack, not for a quota left over from before.
#[test]
fn the_send_quota_is_reset_on_each_connection() {
    let server = ServerConfig::default().receive_maximum(2);
    let mut w = World::new(BrokerConfig::default().server(server));
    let p = w.add_client(ClientConfig::default());
    w.connect(p, lasting(Version::V5, "pub", 0));
    w.wire(p);
    // Three messages while disconnected, then a connection that drops before any ack.
    w.cut(p);
    let now = w.t();
    for n in 0..3 {
        let msg = mqtt_wire::session::Message::new("q".try_into().unwrap(), format!("{n}"))
            .qos(QoS::AtLeastOnce);
        w.clients[p].session.publish(now, msg).unwrap();
    }
    // Connect, but hand the broker only the CONNECT, and the client only the CONNACK.
    let conn = w.broker.open(now, None);
    w.clients[p]
        .session
        .connect(now, lasting(Version::V5, "pub", 0))
        .unwrap();
    let mut tx = bytes::BytesMut::new();
    let _ = w.clients[p].session.poll_transmit(now, &mut tx);
    w.broker.handle_input(now, conn, &mut tx);
    let mut back = bytes::BytesMut::new();
    while w.broker.poll_transmit(now, &mut back).is_some() {}
    w.clients[p].session.handle_input(now, &mut back);
    let mut first = bytes::BytesMut::new();
    let _ = w.clients[p].session.poll_transmit(now, &mut first);
    let mut d = mqtt_wire::Decoder::new(Version::V5);
    let mut n = 0;
    while let Ok(Some(Packet::Publish(p))) = d.decode(&mut first) {
        assert!(!p.dup);
        n += 1;
    }
    assert_eq!(n, 2, "Receive Maximum 2: two PUBLISHes, the third waits");
    w.clients[p].session.handle_transport_closed(now);
    w.broker.handle_transport_closed(now, conn);
    w.wire(p);
    w.connect(p, lasting(Version::V5, "pub", 0));
    let (sent, _) = w.wire(p);
    let pubs = publishes(&sent);
    // The two resends first (DUP 1), then the third once an ack freed a unit: all acked by the
    // broker in the world's run, in order.
    assert_eq!(pubs.len(), 3, "{sent:?}");
    assert!(pubs[0].dup && pubs[1].dup && !pubs[2].dup);
    let payloads: Vec<&[u8]> = pubs.iter().map(|p| &p.payload[..]).collect();
    assert_eq!(payloads, [b"0", b"1", b"2"]);
}

/// [MQTT-3.3.2-7] / §3.3.2.3.4: topic aliases die with the connection. After a reconnect the
/// first PUBLISH to a topic carries the topic name again (with a new alias), both from the
/// client and from the broker.
#[test]
fn topic_aliases_start_over_on_each_connection() {
    let aliases = ClientConfig::default().outbound_aliases(AliasPolicy::Lru { max: 4 });
    let server = ServerConfig::default()
        .topic_alias_maximum(4)
        .outbound_aliases(AliasPolicy::Lru { max: 4 });
    let mut w = World::new(BrokerConfig::default().server(server));
    let sub = w.add_client(ClientConfig::default());
    let mut sc = lasting(Version::V5, "sub", 0);
    let mut p = ConnectProperties::builder();
    p.session_expiry_interval = Some(3600);
    p.topic_alias_maximum = Some(4);
    sc.properties = p.build().unwrap();
    w.connect(sub, sc.clone());
    w.subscribe(sub, "long/topic/name", qos(QoS::AtMostOnce));
    let p = w.add_client(aliases);
    w.connect(p, lasting(Version::V5, "pub", 0));
    for _ in 0..2 {
        w.publish(p, "long/topic/name", "x", QoS::AtMostOnce, false);
    }
    let check = |packets: &[Packet]| {
        let pubs = publishes(packets);
        assert_eq!(pubs.len(), 2, "{packets:?}");
        assert_eq!(pubs[0].topic, "long/topic/name");
        assert!(pubs[0].properties.topic_alias().is_some());
        assert!(pubs[1].topic.is_empty(), "the second uses the alias alone");
    };
    check(&w.wire(p).0);
    check(&w.wire(sub).1);
    w.cut(p);
    w.cut(sub);
    w.connect(p, lasting(Version::V5, "pub", 0));
    w.connect(sub, sc);
    w.wire(p);
    w.wire(sub);
    for _ in 0..2 {
        w.publish(p, "long/topic/name", "y", QoS::AtMostOnce, false);
    }
    check(&w.wire(p).0);
    check(&w.wire(sub).1);
    assert_eq!(w.payloads(sub).len(), 4);
}

/// A half-open link: the client's side died unnoticed. The broker hears nothing for 1.5 x the
/// keep alive ([MQTT-3.1.2-22]), ends the connection, publishes the will, and keeps the session
/// for the client's return: messages published meanwhile wait for it.
#[test]
fn a_half_open_link_is_found_by_keep_alive() {
    let mut w = World::new(BrokerConfig::default());
    let watch = w.add_client(ClientConfig::default());
    w.join(watch, Version::V3_1_1, "watch", true);
    w.subscribe(watch, "will/#", qos(QoS::AtMostOnce));
    let dev = w.add_client(ClientConfig::default());
    let mut c = lasting(Version::V3_1_1, "dev", 20);
    c.will = Some(Will::new(
        "will/dev".try_into().unwrap(),
        bytes::Bytes::from_static(b"lost"),
    ));
    w.connect(dev, c.clone());
    w.subscribe(dev, "cmd", qos(QoS::AtLeastOnce));
    w.cut_client_side(dev);
    w.publish(watch, "cmd", "while away", QoS::AtLeastOnce, false);
    w.advance(29_900);
    assert!(w.messages(watch).is_empty(), "not before 1.5 x 20 s");
    w.advance(200);
    assert_eq!(w.payloads(watch), ["lost"]);
    w.events(dev);
    w.connect(dev, c);
    assert_eq!(w.payloads(dev), ["while away"]);
}

/// A broker restart with QoS 1 messages queued for a client that is away: export, every link
/// dropped, import; the client comes back to Session Present 1 and its messages, in order.
#[test]
fn a_broker_restart_keeps_queued_qos1_messages() {
    let mut w = World::new(BrokerConfig::default());
    let sub = w.add_client(ClientConfig::default());
    w.connect(sub, lasting(Version::V5, "sub", 0));
    w.subscribe(sub, "q", qos(QoS::AtLeastOnce));
    w.cut(sub);
    let p = w.add_client(ClientConfig::default());
    w.join(p, Version::V5, "pub", true);
    for n in 0..5 {
        w.publish(p, "q", &format!("m{n}"), QoS::AtLeastOnce, false);
    }
    w.restart_broker(BrokerConfig::default());
    w.events(sub);
    w.wire(sub);
    w.connect(sub, lasting(Version::V5, "sub", 0));
    let (_, received) = w.wire(sub);
    assert!(matches!(&received[0], Packet::ConnAck(c) if c.session_present));
    let events = w.events(sub);
    assert!(events.iter().any(|e| matches!(
        e,
        ClientEvent::Connected {
            session_present: true,
            ..
        }
    )));
    let payloads: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Message { publish, .. } => {
                Some(String::from_utf8_lossy(&publish.payload).into_owned())
            }
            _ => None,
        })
        .collect();
    assert_eq!(payloads, ["m0", "m1", "m2", "m3", "m4"]);
}
