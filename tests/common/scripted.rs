//! A scripted server for the client session tests: it owns a `ClientSession` and a virtual
//! clock, decodes exactly the bytes the client transmits (as a server would, with a decoder
//! told the packets come from a client), and feeds the client packets encoded as a server
//! sends them.

use bytes::{Bytes, BytesMut};
use mqtt_wire::session::{
    ClientConfig, ClientEvent, ClientSession, ConnectionError, Instant, Message, PublishId,
};
use mqtt_wire::{
    Ack, AckProperties, ConnAck, ConnAckProperties, Connect, ConnectProperties, Decoder, Encoder,
    Packet, PacketId, Publish, PublishProperties, QoS, QosPid, ReasonCode, Side, TopicName,
    Version,
};

/// The server end of one client session.
pub struct Scripted {
    /// The session under test.
    pub client: ClientSession,
    /// Virtual time, in milliseconds.
    pub now: u64,
    /// The version of the current connection.
    pub version: Version,
    decoder: Decoder,
    encoder: Encoder,
    /// The buffer `poll_transmit` appends to; emptied by every `sent`.
    tx: BytesMut,
}

impl Scripted {
    /// A session with `config`, no connection yet, at time 0.
    pub fn new(config: ClientConfig) -> Scripted {
        Scripted {
            client: ClientSession::new(config),
            now: 0,
            version: Version::V5,
            decoder: Decoder::new(Version::V5).receiving_from(Side::Client),
            encoder: Encoder::new(Version::V5).sending_as(Side::Server),
            tx: BytesMut::new(),
        }
    }

    /// The current virtual time.
    pub fn t(&self) -> Instant {
        Instant::from_millis(self.now)
    }

    /// Opens a new transport and calls `connect`; the server side starts afresh (a new decoder
    /// and encoder for the CONNECT's version).
    pub fn connect(&mut self, connect: Connect) {
        self.version = connect.protocol;
        self.decoder = Decoder::new(connect.protocol).receiving_from(Side::Client);
        self.encoder = Encoder::new(connect.protocol).sending_as(Side::Server);
        let now = self.t();
        self.client.connect(now, connect).expect("connect accepted");
    }

    /// The bytes the client transmits now.
    pub fn sent_bytes(&mut self) -> BytesMut {
        self.tx.clear();
        let now = self.t();
        let n = self.client.poll_transmit(now, &mut self.tx);
        assert_eq!(
            n,
            self.tx.len(),
            "poll_transmit counts the bytes it appended"
        );
        self.tx.clone()
    }

    /// The packets the client transmits now, decoded as the server decodes them. Every byte
    /// must belong to a whole, valid packet.
    pub fn sent(&mut self) -> Vec<Packet> {
        let mut bytes = self.sent_bytes();
        let mut packets = Vec::new();
        while !bytes.is_empty() {
            match self.decoder.decode(&mut bytes) {
                Ok(Some(packet)) => packets.push(packet),
                Ok(None) => panic!("the client transmitted a partial packet: {bytes:?}"),
                Err(e) => panic!("the client transmitted an invalid packet: {e:?}"),
            }
        }
        packets
    }

    /// Feeds `packet` to the client, encoded as the server sends it.
    pub fn feed(&mut self, packet: Packet) {
        let mut rx = BytesMut::new();
        self.encoder
            .encode(&packet, &mut rx)
            .expect("server packet encodes");
        self.feed_buf(&mut rx);
        assert!(rx.is_empty(), "handle_input left a whole packet: {rx:?}");
    }

    /// Feeds every packet in `packets`, in one buffer.
    pub fn feed_all(&mut self, packets: impl IntoIterator<Item = Packet>) {
        let mut rx = BytesMut::new();
        for packet in packets {
            self.encoder
                .encode(&packet, &mut rx)
                .expect("server packet encodes");
        }
        self.feed_buf(&mut rx);
    }

    /// Feeds raw bytes.
    pub fn feed_bytes(&mut self, bytes: &[u8]) {
        let mut rx = BytesMut::from(bytes);
        self.feed_buf(&mut rx);
    }

    /// Feeds the bytes in `rx`, leaving in it what the client did not take.
    pub fn feed_buf(&mut self, rx: &mut BytesMut) {
        let now = self.t();
        self.client.handle_input(now, rx);
    }

    /// Every event the client has queued (taking them, which in automatic acknowledgement mode
    /// acknowledges the received messages).
    pub fn events(&mut self) -> Vec<ClientEvent> {
        std::iter::from_fn(|| self.client.poll_event()).collect()
    }

    /// Moves the clock `ms` forward, running the client's timers when one is due.
    pub fn advance(&mut self, ms: u64) {
        self.now += ms;
        if self.client.poll_timeout().is_some_and(|t| t <= self.t()) {
            let now = self.t();
            self.client.handle_timeout(now);
        }
    }

    /// The transport closed.
    pub fn close(&mut self) {
        let now = self.t();
        self.client.handle_transport_closed(now);
    }

    /// A successful CONNACK with `properties`.
    pub fn connack(&mut self, session_present: bool, properties: ConnAckProperties) {
        self.feed(Packet::ConnAck(Box::new(ConnAck {
            session_present,
            reason_code: ReasonCode::SUCCESS,
            properties,
        })));
    }

    /// `connect`, the CONNECT read, a CONNACK with `properties` fed, the `Connected` event
    /// taken.
    pub fn establish(&mut self, connect: Connect, properties: ConnAckProperties) {
        self.connect(connect);
        let sent = self.sent();
        assert!(
            matches!(sent.as_slice(), [Packet::Connect(_), ..]),
            "the CONNECT goes first: {sent:?}"
        );
        self.connack(false, properties);
        let events = self.events();
        assert!(
            matches!(events.as_slice(), [ClientEvent::Connected { .. }]),
            "{events:?}"
        );
    }

    /// A session connected on `version` with keep alive 0 and default limits both ways.
    pub fn connected(version: Version, config: ClientConfig) -> Scripted {
        let mut s = Scripted::new(config);
        s.establish(connect(version, 0), ConnAckProperties::default());
        s
    }

    /// The single `Disconnected` event among `events`.
    pub fn disconnected(events: &[ClientEvent]) -> (ConnectionError, bool) {
        let found: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Disconnected {
                    error,
                    session_kept,
                } => Some((error.clone(), *session_kept)),
                _ => None,
            })
            .collect();
        assert_eq!(found.len(), 1, "one Disconnected event: {events:?}");
        found.into_iter().next().unwrap()
    }
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

/// A PUBLISH from the server.
pub fn server_publish(topic: &'static str, qos: QosPid) -> Publish {
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
        payload: Bytes::from_static(b"from the server"),
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

/// The ids of the `Published` events among `events`, with their reason codes.
pub fn published(events: &[ClientEvent]) -> Vec<(PublishId, ReasonCode)> {
    events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Published { id, reason, .. } => Some((*id, *reason)),
            _ => None,
        })
        .collect()
}
