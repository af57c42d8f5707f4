//! The broker core driven in memory with raw MQTT bytes, shared by `benches/broker_core.rs`
//! and `tests/broker_alloc.rs`.
//!
//! A [`Rig`] is a [`Broker`] with one publisher connection and N subscriber connections, each
//! connected by the bytes of a CONNECT and subscribed by the bytes of a SUBSCRIBE, as a socket
//! would hand them over. One [`Rig::round`] is one message through the broker: the publisher's
//! pre-encoded PUBLISH frame copied into its receive buffer (what a socket read does), handed to
//! `handle_input` (decoded, routed, queued for every subscriber), then `poll_transmit` until
//! it returns `None` (the subscribers' PUBLISH bytes, and the publisher's PUBACK at QoS 1), and
//! at QoS 1 each subscriber's 4-byte PUBACK fed back with `handle_input`; finally the broker's
//! events are drained. Receive, transmit and acknowledgement buffers are reused across rounds.
//!
//! A [`RetainedRig`] holds 100,000 retained topics (those of `common/broker.rs`) and one
//! subscriber; one round is a SUBSCRIBE with a wildcard in, the SUBACK and every matching
//! retained message out.
//!
//! A [`TreeRig`] holds the 100,000 subscriptions of `common/broker.rs` on 1,000 connected 5.0
//! sessions; one round is one PUBLISH to a sensor topic routed through them.

#![allow(dead_code)]

use mqtt_wire::broker::{Broker, BrokerConfig, ConnId};
use mqtt_wire::session::{Instant, Message};
use mqtt_wire::{
    ByteString, Bytes, BytesMut, Connect, Decoder, Packet, PacketId, Publish, QoS, QosPid, Side,
    Subscribe, SubscribeFilters, SubscribeProperties, SubscriptionOptions, TopicFilter, TopicName,
    Version,
};
use std::collections::HashSet;

/// The published topic (30 bytes).
pub const TOPIC: &str = "building/42/floor/7/sensor/123";
/// The payload size of the routed messages.
pub const PAYLOAD: usize = 64;

pub fn encode(packet: &Packet, version: Version) -> Vec<u8> {
    let mut buf = BytesMut::new();
    packet
        .encode(version, &mut buf)
        .expect("rig packet encodes");
    buf.to_vec()
}

fn pid(n: u16) -> PacketId {
    PacketId::new(n).expect("non-zero")
}

/// The 2-byte-header frames in `bytes`: (first byte, body).
fn frames(mut bytes: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    std::iter::from_fn(move || {
        let (&first, rest) = bytes.split_first()?;
        let mut len = 0usize;
        let mut i = 0;
        loop {
            let b = rest[i];
            len |= usize::from(b & 0x7F) << (7 * i);
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        let body = &rest[i..i + len];
        bytes = &rest[i + len..];
        Some((first, body))
    })
}

/// The packet identifier of a QoS 1/2 PUBLISH body (it follows the topic on every version).
fn publish_pid(first: u8, body: &[u8]) -> Option<[u8; 2]> {
    if first >> 4 != 3 || (first >> 1) & 3 == 0 {
        return None;
    }
    let topic_len = usize::from(u16::from_be_bytes([body[0], body[1]]));
    Some([body[2 + topic_len], body[3 + topic_len]])
}

/// Opens a connection and connects it with `version` and `client_id`; returns it once its
/// CONNACK was transmitted.
pub fn connect(broker: &mut Broker, now: Instant, version: Version, client_id: &str) -> ConnId {
    let conn = broker.open(now, None);
    let connect = Connect::new(version, ByteString::from(client_id), 0);
    let mut rx = BytesMut::from(&encode(&Packet::from(connect), version)[..]);
    broker.handle_input(now, conn, &mut rx);
    let mut tx = BytesMut::new();
    assert_eq!(broker.poll_transmit(now, &mut tx), Some(conn));
    assert_eq!(tx[0], 0x20, "CONNACK");
    assert_eq!(tx[3], 0, "accepted");
    while broker.poll_transmit(now, &mut tx).is_some() {}
    while broker.poll_event().is_some() {}
    conn
}

/// The bytes of a SUBSCRIBE of `filter` at `qos` with identifier `id`.
pub fn subscribe_frame(version: Version, id: u16, filter: &str, qos: QoS) -> Vec<u8> {
    subscribe_frame_with(version, id, filter, qos, None)
}

fn subscribe_frame_with(
    version: Version,
    id: u16,
    filter: &str,
    qos: QoS,
    identifier: Option<u32>,
) -> Vec<u8> {
    let mut properties = SubscribeProperties::builder();
    properties.subscription_identifier = identifier;
    let subscribe = Subscribe {
        pid: pid(id),
        properties: properties.build().expect("properties"),
        filters: SubscribeFilters::new(
            TopicFilter::try_from(filter.to_owned()).expect("filter"),
            SubscriptionOptions::qos(qos),
        ),
    };
    encode(&Packet::Subscribe(subscribe), version)
}

/// Subscribes `conn` (with Subscription Identifier `identifier`, 5.0) and checks the SUBACK
/// grants `qos`.
pub fn subscribe(
    broker: &mut Broker,
    now: Instant,
    conn: ConnId,
    version: Version,
    filter: &str,
    qos: QoS,
    identifier: Option<u32>,
) {
    let mut rx = BytesMut::from(&subscribe_frame_with(version, 1, filter, qos, identifier)[..]);
    broker.handle_input(now, conn, &mut rx);
    let mut tx = BytesMut::new();
    assert_eq!(broker.poll_transmit(now, &mut tx), Some(conn));
    assert_eq!(tx[0], 0x90, "SUBACK");
    assert_eq!(*tx.last().expect("code"), qos as u8, "granted");
    while broker.poll_transmit(now, &mut tx).is_some() {}
    while broker.poll_event().is_some() {}
}

/// What one round moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// PUBLISH packets transmitted to subscribers.
    pub deliveries: usize,
    /// Bytes transmitted to subscribers.
    pub bytes_out: usize,
    /// Bytes transmitted to the publisher (its PUBACK at QoS 1).
    pub bytes_to_publisher: usize,
}

/// A routing case: name, subscribers, the publisher's QoS, the subscriptions' QoS, and whether
/// each subscription has a Subscription Identifier (5.0 only).
pub type Case = (&'static str, usize, QoS, QoS, bool);

/// The routing cases of the benches.
pub const CASES: [Case; 7] = [
    ("1to1_qos0", 1, QoS::AtMostOnce, QoS::AtMostOnce, false),
    ("1to1_qos1", 1, QoS::AtLeastOnce, QoS::AtLeastOnce, false),
    ("fanout10_qos0", 10, QoS::AtMostOnce, QoS::AtMostOnce, false),
    (
        "fanout10_qos1",
        10,
        QoS::AtLeastOnce,
        QoS::AtLeastOnce,
        false,
    ),
    (
        "fanout1000_qos0",
        1_000,
        QoS::AtMostOnce,
        QoS::AtMostOnce,
        false,
    ),
    ("1to1_qos0_subid", 1, QoS::AtMostOnce, QoS::AtMostOnce, true),
    (
        "fanout10_qos0_subid",
        10,
        QoS::AtMostOnce,
        QoS::AtMostOnce,
        true,
    ),
];

/// The cases that apply to `version` (Subscription Identifiers are 5.0).
pub fn cases(version: Version) -> impl Iterator<Item = Case> {
    CASES.into_iter().filter(move |c| version.is_v5() || !c.4)
}

/// One publisher, `n` subscribers of [`TOPIC`].
pub struct Rig {
    pub broker: Broker,
    pub now: Instant,
    pub version: Version,
    pub publisher: ConnId,
    /// `subscriber[conn.index()]`: whether that connection is a subscriber.
    is_subscriber: Vec<bool>,
    pub subscribers: usize,
    /// The PUBLISH frame the publisher sends every round.
    pub frame: Vec<u8>,
    rx: BytesMut,
    tx: BytesMut,
    acks: BytesMut,
    /// Whether subscribers receive QoS 1 (and acknowledge).
    pub qos1: bool,
    /// Whether each subscription has a Subscription Identifier.
    pub identifiers: bool,
    /// The payload size.
    pub payload: usize,
}

impl Rig {
    /// `subscribers` subscribers of [`TOPIC`] granted `sub_qos`; the publisher sends at
    /// `pub_qos` a [`PAYLOAD`]-byte message. Every connection speaks `version`.
    pub fn new(version: Version, subscribers: usize, pub_qos: QoS, sub_qos: QoS) -> Rig {
        Rig::build(version, subscribers, pub_qos, sub_qos, None, PAYLOAD)
    }

    /// The rig of `case` (see [`CASES`]); subscriber `i`'s Subscription Identifier is `i + 1`.
    pub fn case(version: Version, case: Case) -> Rig {
        Rig::case_with_payload(version, case, PAYLOAD)
    }

    /// The rig of `case` with a `payload`-byte message.
    pub fn case_with_payload(version: Version, case: Case, payload: usize) -> Rig {
        let (_, subscribers, pub_qos, sub_qos, identifier) = case;
        let first_identifier = identifier.then_some(1);
        Rig::build(
            version,
            subscribers,
            pub_qos,
            sub_qos,
            first_identifier,
            payload,
        )
    }

    /// `first_identifier`: the Subscription Identifier of the first subscriber's subscription
    /// (the next ones count up from it), or none.
    fn build(
        version: Version,
        subscribers: usize,
        pub_qos: QoS,
        sub_qos: QoS,
        first_identifier: Option<u32>,
        payload: usize,
    ) -> Rig {
        let now = Instant::ZERO;
        let mut broker = Broker::new(BrokerConfig::default());
        let publisher = connect(&mut broker, now, version, "publisher");
        let mut is_subscriber = vec![false; subscribers + 1];
        for i in 0..subscribers {
            let conn = connect(&mut broker, now, version, &format!("subscriber-{i}"));
            let identifier = first_identifier.map(|id| id + i as u32);
            subscribe(&mut broker, now, conn, version, TOPIC, sub_qos, identifier);
            let index = conn.index() as usize;
            if index >= is_subscriber.len() {
                is_subscriber.resize(index + 1, false);
            }
            is_subscriber[index] = true;
        }
        let publish = Publish {
            qos: match pub_qos {
                QoS::AtMostOnce => QosPid::AtMostOnce,
                QoS::AtLeastOnce => QosPid::AtLeastOnce(pid(1)),
                QoS::ExactlyOnce => QosPid::ExactlyOnce(pid(1)),
            },
            ..Publish::new(
                TopicName::try_from(TOPIC).expect("topic"),
                Bytes::from(vec![0x5A; payload]),
            )
        };
        let frame = encode(&Packet::Publish(publish), version);
        Rig {
            broker,
            now,
            version,
            publisher,
            is_subscriber,
            subscribers,
            frame,
            rx: BytesMut::with_capacity(4096),
            tx: BytesMut::with_capacity(4096),
            acks: BytesMut::with_capacity(64),
            qos1: pub_qos != QoS::AtMostOnce && sub_qos != QoS::AtMostOnce,
            identifiers: first_identifier.is_some(),
            payload,
        }
    }

    /// One message through the broker (see the module documentation).
    #[inline(never)]
    pub fn round(&mut self) -> Round {
        let mut round = Round::default();
        let now = self.now;
        self.rx.extend_from_slice(&self.frame);
        self.broker.handle_input(now, self.publisher, &mut self.rx);
        while let Some(conn) = self.broker.poll_transmit(now, &mut self.tx) {
            let index = conn.index() as usize;
            if self.is_subscriber.get(index).copied().unwrap_or(false) {
                round.bytes_out += self.tx.len();
                for (first, body) in frames(&self.tx) {
                    if first >> 4 == 3 {
                        round.deliveries += 1;
                    }
                    if let Some([hi, lo]) = publish_pid(first, body) {
                        self.acks.extend_from_slice(&[0x40, 0x02, hi, lo]);
                    }
                }
                if !self.acks.is_empty() {
                    self.broker.handle_input(now, conn, &mut self.acks);
                }
            } else {
                round.bytes_to_publisher += self.tx.len();
            }
            self.tx.clear();
        }
        if let Some(event) = self.broker.poll_event() {
            panic!("unexpected event {event:?}");
        }
        round
    }

    /// Checks, with the codec, that one round delivers exactly one PUBLISH of the topic and
    /// payload to every subscriber and nothing else; returns the round's figures.
    pub fn check(&mut self) -> Round {
        let now = self.now;
        self.rx.extend_from_slice(&self.frame);
        self.broker.handle_input(now, self.publisher, &mut self.rx);
        let mut seen = HashSet::new();
        let mut round = Round::default();
        while let Some(conn) = self.broker.poll_transmit(now, &mut self.tx) {
            let mut decoder = Decoder::new(self.version).receiving_from(Side::Server);
            let mut buf = self.tx.split();
            if conn == self.publisher {
                round.bytes_to_publisher += buf.len();
                // Only a QoS 1 PUBLISH is answered.
                assert_ne!(self.frame[0] & 6, 0, "the publisher got bytes at QoS 0");
                match decoder.decode(&mut buf) {
                    Ok(Some(Packet::PubAck(_))) => {}
                    other => panic!("publisher got {other:?}"),
                }
                assert!(buf.is_empty());
                continue;
            }
            if buf.is_empty() {
                continue;
            }
            round.bytes_out += buf.len();
            assert!(seen.insert(conn), "{conn} twice");
            match decoder.decode(&mut buf) {
                Ok(Some(Packet::Publish(p))) => {
                    assert_eq!(&*p.topic, TOPIC);
                    assert_eq!(p.payload.len(), self.payload);
                    assert_eq!(p.qos.qos() != QoS::AtMostOnce, self.qos1);
                    let ids = p.properties.subscription_identifiers().count();
                    assert_eq!(ids, usize::from(self.identifiers));
                    round.deliveries += 1;
                    if let QosPid::AtLeastOnce(id) = p.qos {
                        let [hi, lo] = id.get().to_be_bytes();
                        let mut ack = BytesMut::from(&[0x40, 0x02, hi, lo][..]);
                        self.broker.handle_input(now, conn, &mut ack);
                    }
                }
                other => panic!("subscriber got {other:?}"),
            }
            assert!(buf.is_empty(), "one packet per subscriber");
        }
        assert!(self.broker.poll_event().is_none());
        assert_eq!(seen.len(), self.subscribers);
        for c in self.broker.connections() {
            let s = self.broker.session(c).expect("session");
            assert_eq!(s.inflight() + s.queued(), 0, "{c} holds messages");
        }
        round
    }
}

/// 100,000 retained topics (`common/broker.rs`: every sensor topic with an id below 50) and
/// one connected subscriber.
pub struct RetainedRig {
    pub broker: Broker,
    pub now: Instant,
    pub version: Version,
    pub subscriber: ConnId,
    rx: BytesMut,
    tx: BytesMut,
}

impl RetainedRig {
    pub fn new(version: Version) -> RetainedRig {
        let now = Instant::ZERO;
        let mut broker = Broker::new(BrokerConfig::default());
        let payload = Bytes::from_static(b"{\"t\":21.5}");
        for b in 0..super::workload::BUILDINGS {
            for f in 0..super::workload::FLOORS {
                for s in 0..50 {
                    let topic = format!("building/{b}/floor/{f}/sensor/{s}");
                    let message =
                        Message::new(TopicName::try_from(topic).expect("topic"), payload.clone())
                            .qos(QoS::AtLeastOnce)
                            .retain(true);
                    broker.publish(now, message);
                }
            }
        }
        assert_eq!(broker.stats().retained, 100_000);
        let subscriber = connect(&mut broker, now, version, "retained-reader");
        RetainedRig {
            broker,
            now,
            version,
            subscriber,
            rx: BytesMut::with_capacity(4096),
            tx: BytesMut::with_capacity(64 * 1024),
        }
    }

    /// The SUBSCRIBE bytes for `filter` at QoS 0.
    pub fn frame(&self, filter: &str) -> Vec<u8> {
        subscribe_frame(self.version, 1, filter, QoS::AtMostOnce)
    }

    /// `frame` in (a SUBSCRIBE), everything out: returns the PUBLISH packets and bytes
    /// transmitted (the SUBACK included in the bytes).
    #[inline(never)]
    pub fn round(&mut self, frame: &[u8]) -> Round {
        let now = self.now;
        let mut round = Round::default();
        self.rx.extend_from_slice(frame);
        self.broker.handle_input(now, self.subscriber, &mut self.rx);
        while self.broker.poll_transmit(now, &mut self.tx).is_some() {
            round.bytes_out += self.tx.len();
            round.deliveries += frames(&self.tx)
                .filter(|(first, _)| first >> 4 == 3)
                .count();
            self.tx.clear();
        }
        while self.broker.poll_event().is_some() {}
        round
    }

    /// One round checked with the codec: the SUBACK, then `expected` retained PUBLISHes, each
    /// with RETAIN 1 and a topic matching the filter's prefix.
    pub fn check(&mut self, frame: &[u8], expected: usize) {
        let now = self.now;
        self.rx.extend_from_slice(frame);
        self.broker.handle_input(now, self.subscriber, &mut self.rx);
        let mut decoder = Decoder::new(self.version).receiving_from(Side::Server);
        let mut packets = Vec::new();
        while self.broker.poll_transmit(now, &mut self.tx).is_some() {
            let mut buf = self.tx.split();
            while !buf.is_empty() {
                packets.push(decoder.decode(&mut buf).expect("valid").expect("whole"));
            }
        }
        assert!(
            matches!(packets.first(), Some(Packet::SubAck(_))),
            "{:?}",
            packets.first()
        );
        let publishes = packets
            .iter()
            .filter(|p| matches!(p, Packet::Publish(p) if p.retain && p.qos == QosPid::AtMostOnce))
            .count();
        assert_eq!(publishes, expected);
        assert_eq!(packets.len(), expected + 1);
        while self.broker.poll_event().is_some() {}
    }
}

/// Sessions of the [`TreeRig`].
pub const TREE_SESSIONS: u32 = 1_000;

/// The 100,000 subscriptions of `common/broker.rs` held by [`TREE_SESSIONS`] connected 5.0
/// sessions, and one publisher.
pub struct TreeRig {
    pub inner: Rig,
    /// PUBLISH frames of 1,024 random sensor topics.
    pub frames: Vec<Vec<u8>>,
    next: usize,
}

impl TreeRig {
    pub fn new() -> TreeRig {
        let version = Version::V5;
        let mut inner = Rig::new(version, 0, QoS::AtMostOnce, QoS::AtMostOnce);
        let now = inner.now;
        let sessions: Vec<ConnId> = (0..TREE_SESSIONS)
            .map(|i| connect(&mut inner.broker, now, version, &format!("tree-{i}")))
            .collect();
        inner.is_subscriber = vec![true; TREE_SESSIONS as usize + 1];
        inner.is_subscriber[inner.publisher.index() as usize] = false;
        // The workload's subscriber keys, spread over the sessions; a (session, filter) pair
        // already taken moves to the next session, so all 100,000 stay distinct.
        let mut taken = HashSet::new();
        let mut rx = BytesMut::new();
        let mut tx = BytesMut::new();
        for (key, filter, options, identifier) in super::workload::subscriptions() {
            let mut s = key % TREE_SESSIONS;
            while !taken.insert((s, filter.to_string())) {
                s = (s + 1) % TREE_SESSIONS;
            }
            let conn = sessions[s as usize];
            rx.extend_from_slice(&subscribe_frame_with(
                version,
                1,
                &filter,
                options.qos,
                identifier,
            ));
            inner.broker.handle_input(now, conn, &mut rx);
            while inner.broker.poll_transmit(now, &mut tx).is_some() {
                assert_eq!(tx[0], 0x90);
                tx.clear();
            }
        }
        assert_eq!(inner.broker.stats().subscriptions, 100_000);
        let mut rng = super::workload::Rng::new(11);
        let frames = (0..1024)
            .map(|_| {
                let (b, f, s) = (
                    rng.below(super::workload::BUILDINGS),
                    rng.below(super::workload::FLOORS),
                    rng.below(super::workload::SENSORS),
                );
                let topic = format!("building/{b}/floor/{f}/sensor/{s}");
                let publish = Publish::new(
                    TopicName::try_from(topic).expect("topic"),
                    Bytes::from(vec![0x5A; PAYLOAD]),
                );
                encode(&Packet::Publish(publish), version)
            })
            .collect();
        TreeRig {
            inner,
            frames,
            next: 0,
        }
    }

    /// Routes the typical topic ([`TOPIC`]) when `typical`, else the next random sensor topic.
    #[inline(never)]
    pub fn round(&mut self, typical: bool) -> Round {
        if !typical {
            self.next = (self.next + 1) % self.frames.len();
            std::mem::swap(&mut self.inner.frame, &mut self.frames[self.next]);
        }
        let round = self.inner.round();
        if !typical {
            std::mem::swap(&mut self.inner.frame, &mut self.frames[self.next]);
        }
        round
    }
}

impl Default for TreeRig {
    fn default() -> Self {
        TreeRig::new()
    }
}
