//! A scripted client for the server session tests: it owns a `ServerSession` and a virtual
//! clock, feeds the session packets encoded as a client sends them, and decodes exactly the
//! bytes the session transmits (as a client would, with a decoder told the packets come from a
//! server), checking that every byte belongs to a whole, valid packet no larger than the
//! Maximum Packet Size the client announced.

use bytes::{Bytes, BytesMut};
use mqtt_wire::session::{
    Accept, ConnectionError, Instant, Message, ServerConfig, ServerEvent, ServerSession, WillAction,
};
use mqtt_wire::{
    Ack, AckProperties, ConnAck, Connect, ConnectProperties, Decoder, Encoder, Packet, PacketId,
    Publish, PublishProperties, QoS, QosPid, ReasonCode, Side, TopicName, Version,
};

/// The client end of one server session.
pub struct ScriptedClient {
    /// The session under test.
    pub server: ServerSession,
    /// Virtual time, in milliseconds.
    pub now: u64,
    /// The version of the CONNECT sent (5.0 until one is).
    pub version: Version,
    /// The Maximum Packet Size the CONNECT announced: every packet transmitted must fit.
    pub max_packet_size: Option<u32>,
    decoder: Decoder,
    encoder: Encoder,
    /// The buffer `poll_transmit` appends to; emptied by every `sent`.
    tx: BytesMut,
    /// Bytes fed that the session left in the buffer (it was not reading).
    pub unread: BytesMut,
    /// Packets transmitted after the CONNACK by `establish`, returned by the next `sent`.
    held: Vec<Packet>,
}

impl ScriptedClient {
    /// A session with `config` for a connection accepted at time 0.
    pub fn new(config: ServerConfig) -> ScriptedClient {
        ScriptedClient::at(config, 0)
    }

    /// A session with `config` for a connection accepted at `now` milliseconds.
    pub fn at(config: ServerConfig, now: u64) -> ScriptedClient {
        ScriptedClient {
            server: ServerSession::new(config, Instant::from_millis(now)),
            now,
            version: Version::V5,
            max_packet_size: None,
            decoder: Decoder::new(Version::V5).receiving_from(Side::Server),
            encoder: Encoder::new(Version::V5).sending_as(Side::Client),
            tx: BytesMut::new(),
            unread: BytesMut::new(),
            held: Vec::new(),
        }
    }

    /// The current virtual time.
    pub fn t(&self) -> Instant {
        Instant::from_millis(self.now)
    }

    /// Sends `connect`; from here packets are encoded and decoded in its version.
    pub fn send_connect(&mut self, connect: Connect) {
        self.send_connect_then(connect, &[]);
    }

    /// Sends `connect` followed by `bytes` in the same buffer, as one read would bring them.
    pub fn send_connect_then(&mut self, connect: Connect, bytes: &[u8]) {
        self.version = connect.protocol;
        self.max_packet_size = if connect.protocol.is_v5() {
            connect.properties.maximum_packet_size()
        } else {
            None
        };
        self.decoder = Decoder::new(connect.protocol).receiving_from(Side::Server);
        self.encoder = Encoder::new(connect.protocol).sending_as(Side::Client);
        let mut rx = self.encode(&Packet::Connect(Box::new(connect)));
        rx.extend_from_slice(bytes);
        self.feed_bytes(&rx);
    }

    /// The bytes the session transmits now.
    pub fn sent_bytes(&mut self) -> BytesMut {
        self.tx.clear();
        let now = self.t();
        let n = self.server.poll_transmit(now, &mut self.tx);
        assert_eq!(
            n,
            self.tx.len(),
            "poll_transmit counts the bytes it appended"
        );
        self.tx.clone()
    }

    /// The packets the session transmits now, decoded as the client decodes them. Every byte
    /// must belong to a whole, valid packet within the client's Maximum Packet Size.
    pub fn sent(&mut self) -> Vec<Packet> {
        let mut bytes = self.sent_bytes();
        let mut packets = std::mem::take(&mut self.held);
        while !bytes.is_empty() {
            let before = bytes.len();
            match self.decoder.decode(&mut bytes) {
                Ok(Some(packet)) => {
                    let size = before - bytes.len();
                    if let Some(max) = self.max_packet_size {
                        assert!(
                            size as u64 <= u64::from(max),
                            "a packet of {size} bytes over the client's maximum {max}: {packet:?}"
                        );
                    }
                    packets.push(packet);
                }
                Ok(None) => panic!("the server transmitted a partial packet: {bytes:?}"),
                Err(e) => panic!("the server transmitted an invalid packet: {e:?}"),
            }
        }
        packets
    }

    /// Encodes `packet` as the client sends it.
    pub fn encode(&self, packet: &Packet) -> BytesMut {
        let mut rx = BytesMut::new();
        self.encoder
            .encode(packet, &mut rx)
            .expect("client packet encodes");
        rx
    }

    /// Feeds `packet` to the session, encoded as the client sends it; bytes the session does
    /// not read are kept in `unread`.
    pub fn feed(&mut self, packet: Packet) {
        let rx = self.encode(&packet);
        self.unread.extend_from_slice(&rx);
        self.pump();
    }

    /// Feeds every packet in `packets`, in one buffer.
    pub fn feed_all(&mut self, packets: impl IntoIterator<Item = Packet>) {
        for packet in packets {
            let rx = self.encode(&packet);
            self.unread.extend_from_slice(&rx);
        }
        self.pump();
    }

    /// Feeds raw bytes.
    pub fn feed_bytes(&mut self, bytes: &[u8]) {
        self.unread.extend_from_slice(bytes);
        self.pump();
    }

    /// Hands the session the bytes it has not read yet.
    pub fn pump(&mut self) {
        let now = self.t();
        let mut rx = std::mem::take(&mut self.unread);
        self.server.handle_input(now, &mut rx);
        self.unread = rx;
    }

    /// Every event the session has queued (taking them, which in automatic acknowledgement
    /// mode acknowledges the received messages).
    pub fn events(&mut self) -> Vec<ServerEvent> {
        std::iter::from_fn(|| self.server.poll_event()).collect()
    }

    /// Moves the clock `ms` forward, running the session's timers when one is due.
    pub fn advance(&mut self, ms: u64) {
        self.now += ms;
        if self.server.poll_timeout().is_some_and(|t| t <= self.t()) {
            let now = self.t();
            self.server.handle_timeout(now);
            if let Some(next) = self.server.poll_timeout() {
                assert!(
                    next > now,
                    "deadline {next:?} not after handle_timeout({now:?})"
                );
            }
        }
    }

    /// The transport closed.
    pub fn close(&mut self) {
        let now = self.t();
        self.server.handle_transport_closed(now);
    }

    /// Accepts the waiting CONNECT with `accept`.
    pub fn accept(&mut self, accept: Accept) {
        let now = self.t();
        self.server.accept(now, accept).expect("accept");
        self.pump();
    }

    /// Sends `connect`, takes the `Connect` event, accepts with `accept`, reads the CONNACK
    /// (success) and returns it; the packets sent after it are returned by the next `sent`.
    pub fn establish(&mut self, connect: Connect, accept: Accept) -> ConnAck {
        self.send_connect(connect);
        let events = self.events();
        assert!(
            matches!(events.as_slice(), [ServerEvent::Connect { .. }]),
            "{events:?}"
        );
        self.accept(accept);
        let mut sent = self.sent().into_iter();
        match sent.next() {
            Some(Packet::ConnAck(connack)) => {
                assert_eq!(connack.reason_code, ReasonCode::SUCCESS);
                self.held = sent.collect();
                *connack
            }
            other => panic!("CONNACK expected first: {other:?}"),
        }
    }

    /// A session with `config`, connected on `version` (client id "c1", clean start, keep
    /// alive 0, no properties), the CONNACK read.
    pub fn connected(version: Version, config: ServerConfig) -> ScriptedClient {
        let mut s = ScriptedClient::new(config);
        s.establish(connect(version, 0), Accept::new());
        s
    }

    /// A 5.0 session with `config`, connected with a CONNECT carrying `properties`.
    pub fn connected_v5(config: ServerConfig, properties: ConnectProperties) -> ScriptedClient {
        let mut s = ScriptedClient::new(config);
        s.establish(
            connect_with(Version::V5, true, 0, properties),
            Accept::new(),
        );
        s
    }

    /// Queues `message` for the client.
    pub fn publish(&mut self, message: Message) -> mqtt_wire::session::PublishId {
        let now = self.t();
        self.server.publish(now, message).expect("publish queued")
    }
}

/// The single `Closed` event among `events`: its error, will and session expiry.
pub fn closed(events: &[ServerEvent]) -> (ConnectionError, WillAction, u32) {
    let found: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Closed {
                error,
                will,
                session_expiry,
            } => Some((error.clone(), will.clone(), *session_expiry)),
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 1, "one Closed event: {events:?}");
    found.into_iter().next().unwrap()
}

/// A clean-start CONNECT with client id "c1".
pub fn connect(version: Version, keep_alive: u16) -> Connect {
    Connect::new(version, "c1".into(), keep_alive)
}

/// A CONNECT with `clean_start` and (5.0) `properties`.
pub fn connect_with(
    version: Version,
    clean_start: bool,
    keep_alive: u16,
    properties: ConnectProperties,
) -> Connect {
    Connect {
        clean_start,
        properties,
        ..connect(version, keep_alive)
    }
}

/// Packet identifier `n`.
pub fn pid(n: u16) -> PacketId {
    PacketId::new(n).expect("non-zero")
}

/// A message on `topic` with a static payload.
pub fn msg(topic: &'static str, qos: QoS) -> Message {
    Message::new(
        TopicName::from_static(topic).expect("valid topic"),
        Bytes::from_static(b"payload"),
    )
    .qos(qos)
}

/// A PUBLISH from the client.
pub fn client_publish(topic: &'static str, qos: QosPid) -> Publish {
    Publish {
        dup: false,
        qos,
        retain: false,
        topic: if topic.is_empty() {
            TopicName::empty_for_alias()
        } else {
            TopicName::from_static(topic).expect("valid topic")
        },
        properties: PublishProperties::default(),
        payload: Bytes::from_static(b"from the client"),
    }
}

/// An acknowledgement of `pid` with `reason_code`, no properties.
pub fn ack(pid: PacketId, reason_code: ReasonCode) -> Ack {
    Ack {
        pid,
        reason_code,
        properties: AckProperties::default(),
    }
}

/// The PUBLISHes among `packets`.
pub fn publishes(packets: &[Packet]) -> Vec<&Publish> {
    packets
        .iter()
        .filter_map(|p| match p {
            Packet::Publish(p) => Some(p),
            _ => None,
        })
        .collect()
}
