//! Client session cycles: the cost of one message through a client's protocol state machine,
//! I/O excluded, for `mqtt-wire`'s `ClientSession`, `rumqttc`'s `MqttState` (3.1.1:
//! `rumqttc::MqttState`, 5.0: `rumqttc::v5::MqttState`) and `mqtt-protocol-core`'s client
//! `Connection`.
//!
//! Every client is connected beforehand (CONNECT sent, CONNACK received; Clean Start / Clean
//! Session 1, keep alive 0, automatic acknowledgements), keeps its buffers across cycles, and
//! publishes or receives the same message: topic [`TOPIC`](crate::TOPIC) (25 bytes) and the
//! 64-byte [`small_payload`](crate::small_payload). One call of [`SessionCycles::run`] is one
//! cycle:
//!
//! | cycle | input | the client produces |
//! | --- | --- | --- |
//! | `publish_qos0` | a publish command | the PUBLISH bytes |
//! | `publish_qos1` | a publish command, then PUBACK bytes | the PUBLISH bytes, then a completion event |
//! | `publish_qos2` | a publish command, then PUBREC bytes, then PUBCOMP bytes | PUBLISH bytes, PUBREL bytes, a completion event |
//! | `receive_qos0` | PUBLISH bytes | a message event |
//! | `receive_qos1` | PUBLISH bytes | a message event and the PUBACK bytes |
//!
//! What a cycle does, for every client alike:
//! - the publish command is built from a topic and payload made once, the cheapest way the
//!   client's API allows (`mqtt-wire`: `Message::new` with reference-counted clones;
//!   `rumqttc` 3.1.1: `Publish::from_bytes` with a `String` clone of the topic, since its
//!   `Publish` owns a `String`; `rumqttc` 5.0: a `Publish` with `Bytes` clones;
//!   `mqtt-protocol-core`: its `Publish` builder with the topic as `&str`, which it copies, and a
//!   clone of an `ArcPayload`, plus `acquire_packet_id` for QoS 1/2 since its packet identifiers
//!   are given by the caller);
//! - bytes that come in are copied into the client's reused receive buffer (what a socket read
//!   does), then decoded by the client's own decoder: `mqtt-wire` `handle_input`; `rumqttc`
//!   `Packet::read` (what its `Codec` calls) then `handle_incoming_packet`; `mqtt-protocol-core`
//!   `Connection::recv` on a `Cursor` over the buffer;
//! - bytes that go out are encoded by the client's own encoder into a reused transmit buffer,
//!   cleared at the start of each cycle: `mqtt-wire` `poll_transmit`; `rumqttc` `Packet::write`
//!   on every packet `MqttState` returns (what its `Codec` calls); `mqtt-protocol-core`: the
//!   `IoSlice`s of `to_buffers()` of every `RequestSendPacket` event, appended;
//! - every event is taken and looked at (`mqtt-wire` `poll_event`; `rumqttc` the
//!   `MqttState::events` queue its event loop hands out, `Outgoing` notices included;
//!   `mqtt-protocol-core` the `Vec` of events each call returns);
//! - the server's side is played by the cycle itself: it reads the packet identifier the client
//!   chose from the PUBLISH it transmitted and writes the 4-byte acknowledgement (the same few
//!   instructions for every client).
//!
//! Not included: timers (keep alive 0; no clock is read by `mqtt-wire` or `mqtt-protocol-core`,
//! `rumqttc`'s state reads `std::time::Instant::now()` on every packet), socket I/O, and
//! `rumqttc`'s async event loop around its state.

use crate::{small_payload, wire, Proto, TOPIC};
use bytes::{Bytes, BytesMut};

/// A cycle of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cycle {
    /// Publish QoS 0: command in, PUBLISH bytes out.
    PublishQos0,
    /// Publish QoS 1: command in, PUBLISH out, PUBACK in, completion event out.
    PublishQos1,
    /// Publish QoS 2: command in, PUBLISH out, PUBREC in, PUBREL out, PUBCOMP in, completion.
    PublishQos2,
    /// Receive QoS 0: PUBLISH bytes in, message event out.
    ReceiveQos0,
    /// Receive QoS 1: PUBLISH bytes in, message event out, PUBACK bytes out.
    ReceiveQos1,
}

impl Cycle {
    /// Every cycle, in the order of the tables.
    pub const ALL: [Cycle; 5] = [
        Cycle::PublishQos0,
        Cycle::PublishQos1,
        Cycle::PublishQos2,
        Cycle::ReceiveQos0,
        Cycle::ReceiveQos1,
    ];

    /// The name used by the bench and the instruction counter.
    pub fn name(self) -> &'static str {
        match self {
            Cycle::PublishQos0 => "publish_qos0",
            Cycle::PublishQos1 => "publish_qos1",
            Cycle::PublishQos2 => "publish_qos2",
            Cycle::ReceiveQos0 => "receive_qos0",
            Cycle::ReceiveQos1 => "receive_qos1",
        }
    }

    /// What a correct run of this cycle reports.
    pub fn expected(self) -> Outcome {
        match self {
            Cycle::PublishQos0 => Outcome::default(),
            Cycle::PublishQos1 | Cycle::PublishQos2 => Outcome {
                completed: 1,
                received: 0,
            },
            Cycle::ReceiveQos0 | Cycle::ReceiveQos1 => Outcome {
                completed: 0,
                received: 1,
            },
        }
    }
}

/// The events a cycle saw that matter for the check: completions of our QoS 1/2 messages and
/// messages received (with the 64-byte payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    /// PUBACK / PUBCOMP completions reported to the application.
    pub completed: u32,
    /// Messages reported to the application whose payload is the 64-byte payload.
    pub received: u32,
}

/// A connected client that runs cycles.
pub trait SessionCycles {
    /// `crate/version`, as in the bench ids.
    fn name(&self) -> &'static str;
    /// Runs one cycle.
    fn run(&mut self, cycle: Cycle) -> Outcome;
    /// Every byte the client transmitted during the last cycle, in order.
    fn transmitted(&self) -> &[u8];
}

/// Packet identifier of the QoS 1 PUBLISH the server sends in `receive_qos1`.
pub const INBOUND_PID: u16 = 7;

/// Bytes of the PUBLISH the server sends: topic [`TOPIC`], the 64-byte payload, no properties.
pub fn inbound_publish(proto: Proto, qos: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let props: Option<&[u8]> = match proto {
        Proto::V311 => None,
        Proto::V5 => Some(&[]),
    };
    let pid = if qos == 0 { 0 } else { INBOUND_PID };
    wire::put_publish(
        &mut out,
        qos,
        pid,
        TOPIC.as_bytes(),
        &small_payload(),
        props,
    );
    out
}

/// The server's side: the packet identifier of the PUBLISH at the start of `tx`.
#[inline]
pub fn sent_pid(tx: &[u8]) -> [u8; 2] {
    let mut i = 1;
    while tx.get(i).is_some_and(|b| b & 0x80 != 0) {
        i += 1;
    }
    i += 1;
    let topic_len = match (tx.get(i), tx.get(i + 1)) {
        (Some(&h), Some(&l)) => usize::from(u16::from_be_bytes([h, l])),
        _ => return [0, 0],
    };
    let at = i + 2 + topic_len;
    match (tx.get(at), tx.get(at + 1)) {
        (Some(&h), Some(&l)) => [h, l],
        _ => [0, 0],
    }
}

/// The server's side: a 4-byte acknowledgement (`kind` 0x40 PUBACK, 0x50 PUBREC, 0x70 PUBCOMP;
/// the short 5.0 form means success).
#[inline]
pub fn ack(kind: u8, pid: [u8; 2]) -> [u8; 4] {
    [kind, 0x02, pid[0], pid[1]]
}

/// The body of every client's `run`: the client has `publish(qos, &mut Outcome)` (command in,
/// bytes to `tx`), `input(&[u8], &mut Outcome)` (bytes in, replies to `tx`), the transmit
/// buffer `tx` and the server's PUBLISH bytes `inbound_qos0` / `inbound_qos1`.
macro_rules! run_cycle {
    ($self:ident, $cycle:ident) => {{
        let mut out = Outcome::default();
        $self.tx.clear();
        match $cycle {
            Cycle::PublishQos0 => $self.publish(0, &mut out),
            Cycle::PublishQos1 => {
                $self.publish(1, &mut out);
                let pid = sent_pid(&$self.tx);
                $self.input(&ack(0x40, pid), &mut out);
            }
            Cycle::PublishQos2 => {
                $self.publish(2, &mut out);
                let pid = sent_pid(&$self.tx);
                $self.input(&ack(0x50, pid), &mut out);
                $self.input(&ack(0x70, pid), &mut out);
            }
            Cycle::ReceiveQos0 => {
                let data = core::mem::take(&mut $self.inbound_qos0);
                $self.input(&data, &mut out);
                $self.inbound_qos0 = data;
            }
            Cycle::ReceiveQos1 => {
                let data = core::mem::take(&mut $self.inbound_qos1);
                $self.input(&data, &mut out);
                $self.inbound_qos1 = data;
            }
        }
        out
    }};
}

/// Every client of the comparison for `proto`, connected.
pub fn clients(proto: Proto) -> Vec<Box<dyn SessionCycles>> {
    let mut v: Vec<Box<dyn SessionCycles>> = Vec::new();
    #[cfg(feature = "mqtt-wire")]
    v.push(Box::new(mqtt_wire_session::MqttWire::new(proto)));
    match proto {
        Proto::V311 => v.push(Box::new(rumqttc_v4::RumqttcV4::new())),
        Proto::V5 => v.push(Box::new(rumqttc_v5::RumqttcV5::new())),
    }
    v.push(Box::new(protocol_core::ProtocolCore::new(proto)));
    v
}

// ---------------------------------------------------------------------------------------------

#[cfg(feature = "mqtt-wire")]
mod mqtt_wire_session {
    use super::*;
    use mqtt_wire::session::{ClientConfig, ClientEvent, ClientSession, Instant, Message};
    use mqtt_wire::{Connect, QoS, TopicName, Version};

    pub struct MqttWire {
        name: &'static str,
        client: ClientSession,
        now: Instant,
        topic: TopicName,
        payload: Bytes,
        tx: BytesMut,
        rx: BytesMut,
        inbound_qos0: Vec<u8>,
        inbound_qos1: Vec<u8>,
    }

    impl MqttWire {
        pub fn new(proto: Proto) -> MqttWire {
            let (version, name) = match proto {
                Proto::V311 => (Version::V3_1_1, "mqtt-wire/v3_1_1"),
                Proto::V5 => (Version::V5, "mqtt-wire/v5_0"),
            };
            let now = Instant::from_millis(0);
            let mut client = ClientSession::new(ClientConfig::default());
            client
                .connect(now, Connect::new(version, "bench".into(), 0))
                .expect("connect");
            let mut s = MqttWire {
                name,
                client,
                now,
                topic: TopicName::from_static(TOPIC).expect("topic"),
                payload: Bytes::from(small_payload()),
                tx: BytesMut::with_capacity(4096),
                rx: BytesMut::with_capacity(4096),
                inbound_qos0: inbound_publish(proto, 0),
                inbound_qos1: inbound_publish(proto, 1),
            };
            let _ = s.client.poll_transmit(now, &mut s.tx);
            let connack: &[u8] = match proto {
                Proto::V311 => &[0x20, 0x02, 0x00, 0x00],
                Proto::V5 => &[0x20, 0x03, 0x00, 0x00, 0x00],
            };
            s.rx.extend_from_slice(connack);
            s.client.handle_input(now, &mut s.rx);
            assert!(matches!(
                s.client.poll_event(),
                Some(ClientEvent::Connected { .. })
            ));
            s
        }

        /// The run loop after an input: events, then bytes.
        #[inline]
        fn turn(&mut self, out: &mut Outcome) {
            while let Some(event) = self.client.poll_event() {
                match event {
                    ClientEvent::Published { .. } => out.completed += 1,
                    ClientEvent::Message { publish, .. } if publish.payload.len() == 64 => {
                        out.received += 1
                    }
                    _ => {}
                }
            }
            let _ = self.client.poll_transmit(self.now, &mut self.tx);
        }

        #[inline]
        fn publish(&mut self, qos: u8, out: &mut Outcome) {
            let qos = match qos {
                0 => QoS::AtMostOnce,
                1 => QoS::AtLeastOnce,
                _ => QoS::ExactlyOnce,
            };
            let message = Message::new(self.topic.clone(), self.payload.clone()).qos(qos);
            self.client.publish(self.now, message).expect("publish");
            self.turn(out);
        }

        #[inline]
        fn input(&mut self, bytes: &[u8], out: &mut Outcome) {
            self.rx.extend_from_slice(bytes);
            self.client.handle_input(self.now, &mut self.rx);
            self.turn(out);
        }
    }

    impl SessionCycles for MqttWire {
        fn name(&self) -> &'static str {
            self.name
        }
        fn run(&mut self, cycle: Cycle) -> Outcome {
            run_cycle!(self, cycle)
        }
        fn transmitted(&self) -> &[u8] {
            &self.tx
        }
    }
}

// ---------------------------------------------------------------------------------------------

mod rumqttc_v4 {
    use super::*;
    use rumqttc::mqttbytes::v4::{Packet, Publish};
    use rumqttc::mqttbytes::{Error, QoS};
    use rumqttc::{Event, MqttState, Request};

    /// `rumqttc`'s default `max_packet_size` (10 KiB) for both directions.
    const MAX: usize = 10 * 1024;

    pub struct RumqttcV4 {
        state: MqttState,
        topic: String,
        payload: Bytes,
        tx: BytesMut,
        rx: BytesMut,
        inbound_qos0: Vec<u8>,
        inbound_qos1: Vec<u8>,
    }

    impl RumqttcV4 {
        pub fn new() -> RumqttcV4 {
            // rumqttc's defaults: 100 in flight, automatic acks. Its 3.1.1 state has no
            // connection phase: the event loop handles CONNECT/CONNACK itself.
            RumqttcV4 {
                state: MqttState::new(100, false),
                topic: TOPIC.to_string(),
                payload: Bytes::from(small_payload()),
                tx: BytesMut::with_capacity(4096),
                rx: BytesMut::with_capacity(4096),
                inbound_qos0: inbound_publish(Proto::V311, 0),
                inbound_qos1: inbound_publish(Proto::V311, 1),
            }
        }

        #[inline]
        fn events(&mut self, out: &mut Outcome) {
            while let Some(event) = self.state.events.pop_front() {
                match event {
                    Event::Incoming(Packet::PubAck(_) | Packet::PubComp(_)) => out.completed += 1,
                    Event::Incoming(Packet::Publish(p)) if p.payload.len() == 64 => {
                        out.received += 1
                    }
                    _ => {}
                }
            }
        }

        #[inline]
        fn publish(&mut self, qos: u8, out: &mut Outcome) {
            let qos = match qos {
                0 => QoS::AtMostOnce,
                1 => QoS::AtLeastOnce,
                _ => QoS::ExactlyOnce,
            };
            let publish = Publish::from_bytes(self.topic.clone(), qos, self.payload.clone());
            if let Some(packet) = self
                .state
                .handle_outgoing_packet(Request::Publish(publish))
                .expect("rumqttc publish")
            {
                packet.write(&mut self.tx, MAX).expect("rumqttc write");
            }
            self.events(out);
        }

        #[inline]
        fn input(&mut self, bytes: &[u8], out: &mut Outcome) {
            self.rx.extend_from_slice(bytes);
            loop {
                match Packet::read(&mut self.rx, MAX) {
                    Ok(packet) => {
                        if let Some(reply) = self
                            .state
                            .handle_incoming_packet(packet)
                            .expect("rumqttc incoming")
                        {
                            reply.write(&mut self.tx, MAX).expect("rumqttc write");
                        }
                    }
                    Err(Error::InsufficientBytes(_)) => break,
                    Err(e) => panic!("rumqttc read: {e:?}"),
                }
            }
            self.events(out);
        }
    }

    impl SessionCycles for RumqttcV4 {
        fn name(&self) -> &'static str {
            "rumqttc/v3_1_1"
        }
        fn run(&mut self, cycle: Cycle) -> Outcome {
            run_cycle!(self, cycle)
        }
        fn transmitted(&self) -> &[u8] {
            &self.tx
        }
    }
}

// ---------------------------------------------------------------------------------------------

mod rumqttc_v5 {
    use super::*;
    use rumqttc::v5::mqttbytes::v5::{Packet, Publish};
    use rumqttc::v5::mqttbytes::{Error, QoS};
    use rumqttc::v5::{Event, MqttState, Request};

    /// `rumqttc`'s default `max_packet_size` (10 KiB) for both directions.
    const MAX: Option<u32> = Some(10 * 1024);

    pub struct RumqttcV5 {
        state: MqttState,
        topic: Bytes,
        payload: Bytes,
        tx: BytesMut,
        rx: BytesMut,
        inbound_qos0: Vec<u8>,
        inbound_qos1: Vec<u8>,
    }

    impl RumqttcV5 {
        pub fn new() -> RumqttcV5 {
            let mut s = RumqttcV5 {
                state: MqttState::new(100, false),
                topic: Bytes::from_static(TOPIC.as_bytes()),
                payload: Bytes::from(small_payload()),
                tx: BytesMut::with_capacity(4096),
                rx: BytesMut::with_capacity(4096),
                inbound_qos0: inbound_publish(Proto::V5, 0),
                inbound_qos1: inbound_publish(Proto::V5, 1),
            };
            // Its event loop passes the CONNACK to the state (Topic Alias Maximum, Receive
            // Maximum).
            s.rx.extend_from_slice(&[0x20, 0x03, 0x00, 0x00, 0x00]);
            let connack = Packet::read(&mut s.rx, MAX).expect("connack");
            assert!(matches!(connack, Packet::ConnAck(_)));
            let reply = s.state.handle_incoming_packet(connack).expect("connack");
            assert!(reply.is_none());
            s.state.events.clear();
            s
        }

        #[inline]
        fn events(&mut self, out: &mut Outcome) {
            while let Some(event) = self.state.events.pop_front() {
                match event {
                    Event::Incoming(Packet::PubAck(_) | Packet::PubComp(_)) => out.completed += 1,
                    Event::Incoming(Packet::Publish(p)) if p.payload.len() == 64 => {
                        out.received += 1
                    }
                    _ => {}
                }
            }
        }

        #[inline]
        fn publish(&mut self, qos: u8, out: &mut Outcome) {
            let qos = match qos {
                0 => QoS::AtMostOnce,
                1 => QoS::AtLeastOnce,
                _ => QoS::ExactlyOnce,
            };
            let publish = Publish {
                dup: false,
                qos,
                retain: false,
                topic: self.topic.clone(),
                pkid: 0,
                payload: self.payload.clone(),
                properties: None,
            };
            if let Some(packet) = self
                .state
                .handle_outgoing_packet(Request::Publish(publish))
                .expect("rumqttc publish")
            {
                packet.write(&mut self.tx, MAX).expect("rumqttc write");
            }
            self.events(out);
        }

        #[inline]
        fn input(&mut self, bytes: &[u8], out: &mut Outcome) {
            self.rx.extend_from_slice(bytes);
            loop {
                match Packet::read(&mut self.rx, MAX) {
                    Ok(packet) => {
                        if let Some(reply) = self
                            .state
                            .handle_incoming_packet(packet)
                            .expect("rumqttc incoming")
                        {
                            reply.write(&mut self.tx, MAX).expect("rumqttc write");
                        }
                    }
                    Err(Error::InsufficientBytes(_)) => break,
                    Err(e) => panic!("rumqttc read: {e:?}"),
                }
            }
            self.events(out);
        }
    }

    impl SessionCycles for RumqttcV5 {
        fn name(&self) -> &'static str {
            "rumqttc/v5_0"
        }
        fn run(&mut self, cycle: Cycle) -> Outcome {
            run_cycle!(self, cycle)
        }
        fn transmitted(&self) -> &[u8] {
            &self.tx
        }
    }
}

// ---------------------------------------------------------------------------------------------

mod protocol_core {
    use super::*;
    use mqtt::common::Cursor;
    use mqtt::connection::Event;
    use mqtt::packet::{v3_1_1, v5_0, GenericPacketTrait, Packet, Qos};
    use mqtt::ArcPayload;
    use mqtt::IntoPayload;
    use mqtt_protocol_core::mqtt;

    pub struct ProtocolCore {
        name: &'static str,
        proto: Proto,
        conn: mqtt::Connection<mqtt::role::Client>,
        payload: ArcPayload,
        tx: BytesMut,
        rx: Vec<u8>,
        inbound_qos0: Vec<u8>,
        inbound_qos1: Vec<u8>,
    }

    impl ProtocolCore {
        pub fn new(proto: Proto) -> ProtocolCore {
            let (version, name) = match proto {
                Proto::V311 => (mqtt::Version::V3_1_1, "mqtt-protocol-core/v3_1_1"),
                Proto::V5 => (mqtt::Version::V5_0, "mqtt-protocol-core/v5_0"),
            };
            let mut conn = mqtt::Connection::<mqtt::role::Client>::new(version);
            conn.set_auto_pub_response(true);
            let mut s = ProtocolCore {
                name,
                proto,
                conn,
                payload: small_payload().into_payload(),
                tx: BytesMut::with_capacity(4096),
                rx: Vec::with_capacity(4096),
                inbound_qos0: inbound_publish(proto, 0),
                inbound_qos1: inbound_publish(proto, 1),
            };
            let mut out = Outcome::default();
            let connack: &[u8] = match proto {
                Proto::V311 => {
                    let connect = v3_1_1::Connect::builder()
                        .client_id("bench")
                        .expect("client id")
                        .clean_session(true)
                        .keep_alive(0)
                        .build()
                        .expect("connect");
                    let events = s.conn.checked_send(connect);
                    s.handle(events, &mut out);
                    &[0x20, 0x02, 0x00, 0x00]
                }
                Proto::V5 => {
                    let connect = v5_0::Connect::builder()
                        .client_id("bench")
                        .expect("client id")
                        .clean_start(true)
                        .keep_alive(0)
                        .build()
                        .expect("connect");
                    let events = s.conn.checked_send(connect);
                    s.handle(events, &mut out);
                    &[0x20, 0x03, 0x00, 0x00, 0x00]
                }
            };
            let mut cursor = Cursor::new(connack);
            let events = s.conn.recv(&mut cursor);
            assert!(events.iter().any(|e| matches!(
                e,
                Event::NotifyPacketReceived(Packet::V3_1_1Connack(_) | Packet::V5_0Connack(_))
            )));
            s
        }

        #[inline]
        fn handle(&mut self, events: Vec<Event>, out: &mut Outcome) {
            for event in events {
                match event {
                    Event::RequestSendPacket { packet, .. } => {
                        for slice in packet.to_buffers() {
                            self.tx.extend_from_slice(&slice);
                        }
                    }
                    Event::NotifyPacketReceived(packet) => match packet {
                        Packet::V3_1_1Puback(_)
                        | Packet::V3_1_1Pubcomp(_)
                        | Packet::V5_0Puback(_)
                        | Packet::V5_0Pubcomp(_) => out.completed += 1,
                        Packet::V3_1_1Publish(p) if p.payload().len() == 64 => out.received += 1,
                        Packet::V5_0Publish(p) if p.payload().len() == 64 => out.received += 1,
                        _ => {}
                    },
                    Event::NotifyError(e) => panic!("mqtt-protocol-core: {e:?}"),
                    _ => {}
                }
            }
        }

        #[inline]
        fn publish(&mut self, qos: u8, out: &mut Outcome) {
            let qos = match qos {
                0 => Qos::AtMostOnce,
                1 => Qos::AtLeastOnce,
                _ => Qos::ExactlyOnce,
            };
            let pid = if qos == Qos::AtMostOnce {
                None
            } else {
                Some(self.conn.acquire_packet_id().expect("packet id"))
            };
            let events = match self.proto {
                Proto::V311 => {
                    let mut b = v3_1_1::Publish::builder()
                        .topic_name(TOPIC)
                        .expect("topic")
                        .qos(qos)
                        .payload(self.payload.clone());
                    if let Some(pid) = pid {
                        b = b.packet_id(pid);
                    }
                    self.conn.checked_send(b.build().expect("publish"))
                }
                Proto::V5 => {
                    let mut b = v5_0::Publish::builder()
                        .topic_name(TOPIC)
                        .expect("topic")
                        .qos(qos)
                        .payload(self.payload.clone());
                    if let Some(pid) = pid {
                        b = b.packet_id(pid);
                    }
                    self.conn.checked_send(b.build().expect("publish"))
                }
            };
            self.handle(events, out);
        }

        #[inline]
        fn input(&mut self, bytes: &[u8], out: &mut Outcome) {
            self.rx.clear();
            self.rx.extend_from_slice(bytes);
            let rx = core::mem::take(&mut self.rx);
            let mut cursor = Cursor::new(&rx[..]);
            // `recv` takes one packet per call.
            while (cursor.position() as usize) < rx.len() {
                let events = self.conn.recv(&mut cursor);
                self.handle(events, out);
            }
            self.rx = rx;
        }
    }

    impl SessionCycles for ProtocolCore {
        fn name(&self) -> &'static str {
            self.name
        }
        fn run(&mut self, cycle: Cycle) -> Outcome {
            run_cycle!(self, cycle)
        }
        fn transmitted(&self) -> &[u8] {
            &self.tx
        }
    }
}
