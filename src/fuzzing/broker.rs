//! `broker` target: a [`Broker`] with up to four connections driven by an arbitrary sequence of
//! operations: raw bytes and generated client packets on each connection, transports opened and
//! closed, time jumps, server messages, restarts (export, import).
//!
//! Checked after every step, by a monitor that decodes both directions with the codec alone:
//! - every byte the broker transmits to a connection decodes, as whole packets of the version
//!   of the CONNECT the connection sent (3.1.1 when it sent none the broker could read);
//! - no packet larger than the client's Maximum Packet Size, no Topic Alias above its Topic
//!   Alias Maximum;
//! - no more QoS 1/2 PUBLISHes outstanding than the client's Receive Maximum, and a new one
//!   (DUP 0) never reuses an identifier outstanding;
//! - after `handle_timeout(now)` no deadline is at or before `now` (no busy loop);
//! - each connection's queue stays within the configured bound, the retained store within its
//!   bound;
//! - `export` → `import` succeeds, and a second round trip gives the same bytes.

use ::arbitrary::{Arbitrary, Unstructured};
use alloc::vec::Vec;
use bytes::BytesMut;

use crate::broker::{Broker, BrokerConfig, BrokerEvent, ConnId};
use crate::session::{Instant, Message, ServerConfig};
use crate::{
    Ack, Connect, ConnectProperties, Decoder, Disconnect, DisconnectProperties, Encoder, Packet,
    PacketId, Publish, PublishProperties, QoS, QosPid, ReasonCode, Side, Subscribe,
    SubscribeFilters, SubscribeProperties, SubscriptionOptions, TopicFilter, TopicName,
    Unsubscribe, UnsubscribeFilters, Version, Will, WillProperties,
};

const TOPICS: [&str; 6] = ["a", "a/b", "a/b/c", "$SYS/x", "b", "x/y"];
const FILTERS: [&str; 8] = [
    "a/#",
    "+/b",
    "#",
    "$share/g/a/#",
    "a/b",
    "$SYS/#",
    "+",
    "$share/h/#",
];
const IDS: [&str; 4] = ["c0", "c1", "c2", ""];
const MAX_QUEUED: usize = 8;
const MAX_RETAINED: usize = 4;

#[derive(Debug, Arbitrary)]
enum Op {
    Open(u8),
    Close(u8),
    Raw(u8, Vec<u8>),
    Connect {
        slot: u8,
        version: u8,
        id: u8,
        clean_start: bool,
        keep_alive: u8,
        session_expiry: Option<u8>,
        will: Option<(u8, u8, bool, u8)>,
        receive_maximum: u8,
        maximum_packet_size: Option<u8>,
        topic_alias_maximum: u8,
    },
    Publish {
        slot: u8,
        topic: u8,
        qos: u8,
        retain: bool,
        payload: u8,
        pid: u8,
        dup: bool,
        alias: Option<u8>,
        empty_topic: bool,
        expiry: Option<u8>,
    },
    Subscribe {
        slot: u8,
        filter: u8,
        options: u8,
        identifier: Option<u8>,
        pid: u8,
    },
    Unsubscribe {
        slot: u8,
        filter: u8,
        pid: u8,
    },
    Ack {
        slot: u8,
        kind: u8,
        pid: u8,
        reason: u8,
    },
    Ping(u8),
    Disconnect {
        slot: u8,
        reason: u8,
        session_expiry: Option<u8>,
    },
    Advance(u16),
    ServerPublish {
        topic: u8,
        qos: u8,
        retain: bool,
    },
    Restart,
}

/// What the monitor knows of one connection.
struct Slot {
    conn: ConnId,
    /// Decodes what the fuzzer sends (to learn the CONNECT's version and limits, and the acks).
    sent: Decoder,
    /// Decodes what the broker sends, once the version is known.
    received: Option<Decoder>,
    /// The version generated packets are encoded with.
    version: Version,
    max_packet_size: u32,
    receive_maximum: u16,
    alias_max: u16,
    outstanding: Vec<u16>,
    /// The fuzzer's bytes stopped decoding: the monitor no longer knows what the broker read.
    blind: bool,
    /// The first CONNECT was seen (a second one is a protocol error the broker ignores).
    connect_seen: bool,
}

fn config() -> BrokerConfig {
    let server = ServerConfig::default()
        .max_queued(MAX_QUEUED)
        .max_queued_bytes(4096)
        .receive_maximum(4)
        .topic_alias_maximum(2)
        .maximum_packet_size(2048)
        .queue_qos0_offline(true);
    BrokerConfig::default()
        .server(server)
        .max_retained(MAX_RETAINED)
}

fn qos(n: u8) -> QoS {
    match n % 3 {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

fn pid(n: u8) -> PacketId {
    PacketId::new(u16::from(n % 8) + 1).unwrap_or(PacketId::MIN)
}

/// Body of the `broker` target.
pub fn broker(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut b = Broker::new(config());
    let mut slots: [Option<Slot>; 4] = [None, None, None, None];
    let mut now = 0u64;
    let mut steps = 0;
    while let Ok(op) = Op::arbitrary(&mut u) {
        steps += 1;
        if steps > 200 {
            break;
        }
        let t = Instant::from_millis(now);
        match op {
            Op::Open(s) => {
                let i = usize::from(s % 4);
                if slots[i].is_none() {
                    slots[i] = Some(Slot {
                        conn: b.open(t, None),
                        sent: Decoder::new(Version::V5).receiving_from(Side::Client),
                        received: None,
                        version: Version::V5,
                        max_packet_size: crate::MAX_PACKET_SIZE,
                        receive_maximum: u16::MAX,
                        alias_max: 0,
                        outstanding: Vec::new(),
                        blind: false,
                        connect_seen: false,
                    });
                }
            }
            Op::Close(s) => {
                if let Some(slot) = slots[usize::from(s % 4)].take() {
                    b.handle_transport_closed(t, slot.conn);
                }
            }
            Op::Raw(s, bytes) => {
                if let Some(slot) = &mut slots[usize::from(s % 4)] {
                    send(&mut b, t, slot, &bytes);
                }
            }
            Op::Connect {
                slot: s,
                version,
                id,
                clean_start,
                keep_alive,
                session_expiry,
                will,
                receive_maximum,
                maximum_packet_size,
                topic_alias_maximum,
            } => {
                let v = [Version::V3_1, Version::V3_1_1, Version::V5][usize::from(version % 3)];
                let id = IDS[usize::from(id % 4)];
                let mut c = Connect::new(v, id.into(), u16::from(keep_alive % 4) * 5);
                c.clean_start = clean_start || (id.is_empty() && !v.is_v5());
                if v.is_v5() {
                    let mut p = ConnectProperties::builder();
                    p.session_expiry_interval = session_expiry.map(|e| u32::from(e % 4) * 10);
                    p.receive_maximum = Some(u16::from(receive_maximum % 3) + 1);
                    p.maximum_packet_size = maximum_packet_size.map(|m| 16 + u32::from(m) * 4);
                    p.topic_alias_maximum = Some(u16::from(topic_alias_maximum % 3));
                    c.properties = p.build().unwrap_or_default();
                }
                if let Some((topic, q, retain, delay)) = will {
                    let topic = TOPICS[usize::from(topic) % TOPICS.len()];
                    let mut w = Will::new(
                        TopicName::from_static(topic)
                            .unwrap_or_else(|_| TopicName::empty_for_alias()),
                        bytes::Bytes::from_static(b"will"),
                    );
                    w.qos = qos(q);
                    w.retain = retain;
                    if v.is_v5() {
                        let mut wp = WillProperties::builder();
                        wp.will_delay_interval = Some(u32::from(delay % 3) * 5);
                        w.properties = wp.build().unwrap_or_default();
                    }
                    c.will = Some(w);
                }
                if let Some(slot) = &mut slots[usize::from(s % 4)] {
                    slot.version = v;
                    send_packet(&mut b, t, slot, Packet::Connect(alloc::boxed::Box::new(c)));
                }
            }
            Op::Publish {
                slot: s,
                topic,
                qos: q,
                retain,
                payload,
                pid: p,
                dup,
                alias,
                empty_topic,
                expiry,
            } => {
                let Some(slot) = &mut slots[usize::from(s % 4)] else {
                    continue;
                };
                let name = TOPICS[usize::from(topic) % TOPICS.len()];
                let topic = if empty_topic && alias.is_some() {
                    TopicName::empty_for_alias()
                } else {
                    TopicName::from_static(name).unwrap_or_else(|_| TopicName::empty_for_alias())
                };
                let mut props = PublishProperties::builder();
                if slot.version.is_v5() {
                    props.topic_alias = alias.map(|a| u16::from(a % 4) + 1);
                    props.message_expiry_interval = expiry.map(|e| u32::from(e % 4) * 5);
                }
                let payload = alloc::vec![b'x'; usize::from(payload) * 4];
                let publish = Publish {
                    dup: dup && q % 3 != 0,
                    qos: match qos(q) {
                        QoS::AtMostOnce => QosPid::AtMostOnce,
                        QoS::AtLeastOnce => QosPid::AtLeastOnce(pid(p)),
                        QoS::ExactlyOnce => QosPid::ExactlyOnce(pid(p)),
                    },
                    retain,
                    topic,
                    properties: props.build().unwrap_or_default(),
                    payload: payload.into(),
                };
                send_packet(&mut b, t, slot, Packet::Publish(publish));
            }
            Op::Subscribe {
                slot: s,
                filter,
                options,
                identifier,
                pid: p,
            } => {
                let Some(slot) = &mut slots[usize::from(s % 4)] else {
                    continue;
                };
                let Ok(f) = TopicFilter::from_static(FILTERS[usize::from(filter) % FILTERS.len()])
                else {
                    continue;
                };
                let mut o = SubscriptionOptions::qos(qos(options));
                if slot.version.is_v5() {
                    o.no_local = options & 4 != 0 && !f.is_shared();
                    o.retain_as_published = options & 8 != 0;
                    o.retain_handling = match (options >> 4) % 3 {
                        0 => crate::RetainHandling::SendAtSubscribe,
                        1 => crate::RetainHandling::SendIfNew,
                        _ => crate::RetainHandling::DoNotSend,
                    };
                }
                let mut props = SubscribeProperties::builder();
                if slot.version.is_v5() {
                    props.subscription_identifier = identifier.map(|i| u32::from(i) + 1);
                }
                let packet = Packet::Subscribe(Subscribe {
                    pid: pid(p),
                    properties: props.build().unwrap_or_default(),
                    filters: SubscribeFilters::new(f, o),
                });
                send_packet(&mut b, t, slot, packet);
            }
            Op::Unsubscribe {
                slot: s,
                filter,
                pid: p,
            } => {
                let Some(slot) = &mut slots[usize::from(s % 4)] else {
                    continue;
                };
                let Ok(f) = TopicFilter::from_static(FILTERS[usize::from(filter) % FILTERS.len()])
                else {
                    continue;
                };
                let packet = Packet::Unsubscribe(Unsubscribe {
                    pid: pid(p),
                    properties: Default::default(),
                    filters: UnsubscribeFilters::new(f),
                });
                send_packet(&mut b, t, slot, packet);
            }
            Op::Ack {
                slot: s,
                kind,
                pid: p,
                reason,
            } => {
                let Some(slot) = &mut slots[usize::from(s % 4)] else {
                    continue;
                };
                // Answer an identifier the broker has outstanding when there is one.
                let id = slot
                    .outstanding
                    .get(usize::from(p) % slot.outstanding.len().max(1))
                    .and_then(|&v| PacketId::new(v))
                    .unwrap_or_else(|| pid(p));
                let reason = if slot.version.is_v5() && reason % 4 == 3 {
                    ReasonCode::UNSPECIFIED_ERROR
                } else {
                    ReasonCode::SUCCESS
                };
                let ack = Ack {
                    pid: id,
                    reason_code: reason,
                    properties: Default::default(),
                };
                let packet = match kind % 4 {
                    0 => Packet::PubAck(ack),
                    1 => Packet::PubRec(ack),
                    2 => Packet::PubRel(ack),
                    _ => Packet::PubComp(ack),
                };
                send_packet(&mut b, t, slot, packet);
            }
            Op::Ping(s) => {
                if let Some(slot) = &mut slots[usize::from(s % 4)] {
                    send_packet(&mut b, t, slot, Packet::PingReq);
                }
            }
            Op::Disconnect {
                slot: s,
                reason,
                session_expiry,
            } => {
                let Some(slot) = &mut slots[usize::from(s % 4)] else {
                    continue;
                };
                let mut props = DisconnectProperties::builder();
                if slot.version.is_v5() {
                    props.session_expiry_interval = session_expiry.map(|e| u32::from(e % 3) * 10);
                }
                let d = Disconnect {
                    reason_code: if reason % 2 == 0 {
                        ReasonCode::NORMAL_DISCONNECTION
                    } else {
                        ReasonCode::DISCONNECT_WITH_WILL
                    },
                    properties: props.build().unwrap_or_default(),
                };
                send_packet(&mut b, t, slot, Packet::Disconnect(d));
            }
            Op::Advance(ms) => {
                now += u64::from(ms) * 8;
                let t = Instant::from_millis(now);
                b.handle_timeout(t);
                if let Some(next) = b.poll_timeout() {
                    assert!(next > t, "a deadline at or before now after handle_timeout");
                }
            }
            Op::ServerPublish {
                topic,
                qos: q,
                retain,
            } => {
                let name = TOPICS[usize::from(topic) % TOPICS.len()];
                if let Ok(topic) = TopicName::from_static(name) {
                    b.publish(t, Message::new(topic, "server").qos(qos(q)).retain(retain));
                }
            }
            Op::Restart => {
                let first = b.export(t);
                let Ok(b2) = Broker::import(config(), &first, t) else {
                    panic!("a broker's own export does not import");
                };
                let second = b2.export(t);
                let Ok(b3) = Broker::import(config(), &second, t) else {
                    panic!("the second export does not import");
                };
                assert_eq!(
                    second,
                    b3.export(t),
                    "export → import → export changed the state"
                );
                b = b2;
                slots = [None, None, None, None];
            }
        }
        pump(&mut b, Instant::from_millis(now), &mut slots);
        for slot in slots.iter().flatten() {
            if let Some(s) = b.session(slot.conn) {
                assert!(s.queued() <= MAX_QUEUED, "a queue beyond its bound");
            }
        }
        assert!(b.stats().retained <= MAX_RETAINED);
    }
}

/// Feeds `bytes` to the broker as from `slot`'s client, and to the monitor's decoder.
fn send(b: &mut Broker, t: Instant, slot: &mut Slot, bytes: &[u8]) {
    let mut copy = BytesMut::from(bytes);
    while !slot.blind && !copy.is_empty() {
        match slot.sent.decode(&mut copy) {
            Ok(Some(packet)) => observe_sent(slot, &packet),
            Ok(None) => break,
            Err(_) => slot.blind = true,
        }
    }
    let mut rx = BytesMut::from(bytes);
    b.handle_input(t, slot.conn, &mut rx);
}

fn send_packet(b: &mut Broker, t: Instant, slot: &mut Slot, packet: Packet) {
    let mut bytes = BytesMut::new();
    if Encoder::new(slot.version)
        .encode(&packet, &mut bytes)
        .is_ok()
    {
        send(b, t, slot, &bytes);
    }
}

/// What the client's own packets tell the monitor: its limits, and the acks it sent.
fn observe_sent(slot: &mut Slot, packet: &Packet) {
    match packet {
        Packet::Connect(c) if !slot.connect_seen => {
            slot.connect_seen = true;
            let p = &c.properties;
            slot.max_packet_size = p.maximum_packet_size().unwrap_or(crate::MAX_PACKET_SIZE);
            slot.receive_maximum = p.receive_maximum().unwrap_or(u16::MAX);
            slot.alias_max = p.topic_alias_maximum().unwrap_or(0);
        }
        Packet::PubAck(a) | Packet::PubComp(a) => slot.outstanding.retain(|&p| p != a.pid.get()),
        Packet::PubRec(a) if !a.reason_code.is_success() => {
            slot.outstanding.retain(|&p| p != a.pid.get());
        }
        _ => {}
    }
}

/// Moves every byte the broker has for the connections through the monitor, and acts on its
/// events.
fn pump(b: &mut Broker, t: Instant, slots: &mut [Option<Slot>; 4]) {
    for _ in 0..64 {
        let mut tx = BytesMut::new();
        let mut moved = false;
        while let Some(conn) = b.poll_transmit(t, &mut tx) {
            moved = true;
            if let Some(slot) = slots.iter_mut().flatten().find(|s| s.conn == conn) {
                check_received(slot, &tx);
            }
            tx.clear();
        }
        while let Some(event) = b.poll_event() {
            moved = true;
            if let BrokerEvent::Close { conn } = event {
                b.handle_transport_closed(t, conn);
                for s in slots.iter_mut() {
                    if s.as_ref().is_some_and(|s| s.conn == conn) {
                        *s = None;
                    }
                }
            }
        }
        if !moved {
            return;
        }
    }
}

fn check_received(slot: &mut Slot, bytes: &[u8]) {
    let version = slot.sent.connect_version().unwrap_or(Version::V3_1_1);
    let decoder = slot
        .received
        .get_or_insert_with(|| Decoder::new(version).receiving_from(Side::Server));
    let mut buf = BytesMut::from(bytes);
    while !buf.is_empty() {
        let before = buf.len();
        let packet = match decoder.decode(&mut buf) {
            Ok(Some(p)) => p,
            Ok(None) => panic!("the broker transmitted a partial packet"),
            Err(e) => panic!("the broker transmitted an invalid packet: {e:?}"),
        };
        let size = before - buf.len();
        if version.is_v5() && !slot.blind {
            assert!(
                size as u64 <= u64::from(slot.max_packet_size),
                "a packet of {size} bytes beyond the client's Maximum Packet Size"
            );
        }
        if let Packet::Publish(p) = &packet {
            if let Some(alias) = p.properties.topic_alias() {
                assert!(
                    alias <= slot.alias_max,
                    "an alias above the client's maximum"
                );
            }
            if let Some(pid) = p.qos.pid().map(PacketId::get)
                && !slot.blind
            {
                if !p.dup {
                    assert!(
                        !slot.outstanding.contains(&pid),
                        "a packet identifier reused"
                    );
                }
                if !slot.outstanding.contains(&pid) {
                    slot.outstanding.push(pid);
                }
                assert!(
                    slot.outstanding.len() <= usize::from(slot.receive_maximum),
                    "more QoS 1/2 PUBLISHes outstanding than the client's Receive Maximum"
                );
            }
        }
    }
}
