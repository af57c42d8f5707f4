//! The server session: one value per accepted network connection, holding the MQTT session
//! while the connection lasts; a detached session lives on as a [`SessionState`].

mod commands;
mod config;
mod event;
mod handshake;
mod inbound;
mod state;

use alloc::collections::VecDeque;
use alloc::vec::Vec;

pub use config::{ClientLimits, ServerConfig};
pub use event::{ServerEvent, WillAction};
pub use handshake::Accept;
pub use state::SessionState;

use crate::session::flow::{Inbox, Outbox, encode_control};
use crate::session::{AckToken, ConnectionError, Instant, Status};
use crate::{
    Bytes, BytesMut, Decoder, Disconnect, Encoder, Packet, PacketId, ReasonCode, Side, Version,
    Will,
};

/// A sans-IO MQTT server session for one network connection (3.1, 3.1.1 and 5.0 on the same
/// listener: the version is read from the CONNECT).
///
/// The same contract as the [`ClientSession`](crate::session::ClientSession): bytes in
/// ([`handle_input`](Self::handle_input)), time in ([`handle_timeout`](Self::handle_timeout)),
/// bytes out ([`poll_transmit`](Self::poll_transmit)), events out
/// ([`poll_event`](Self::poll_event)), the next deadline ([`poll_timeout`](Self::poll_timeout)),
/// no I/O, clock or threads. The application (or the broker core) answers what the client asks:
/// the CONNECT ([`accept`](Self::accept) / [`reject`](Self::reject)), each QoS 1/2 PUBLISH
/// ([`ack`](Self::ack), in [`AckMode::Manual`](crate::session::AckMode::Manual)), each
/// SUBSCRIBE ([`suback`](Self::suback)) and UNSUBSCRIBE ([`unsuback`](Self::unsuback)), and
/// sends messages with [`publish`](Self::publish).
///
/// A peer's fault is answered as the protocol says (5.0 DISCONNECT with its reason code, or a
/// CONNACK refusal) and reported once, in [`ServerEvent::Closed`], with what to do with the will.
///
/// ```
/// use bytes::BytesMut;
/// use mqtt_wire::session::{Accept, Instant, ServerConfig, ServerEvent, ServerSession};
///
/// let now = Instant::ZERO;
/// let mut server = ServerSession::new(ServerConfig::default(), now);
/// // A 3.1.1 CONNECT: clean session, keep alive 60, client id "c1".
/// server.handle_bytes(now, b"\x10\x0e\x00\x04MQTT\x04\x02\x00\x3c\x00\x02c1");
/// let Some(ServerEvent::Connect { connect }) = server.poll_event() else { panic!() };
/// assert_eq!(connect.client_id, "c1");
/// server.accept(now, Accept::new()).unwrap();
/// let mut tx = BytesMut::new();
/// let _ = server.poll_transmit(now, &mut tx);
/// assert_eq!(&tx[..], b"\x20\x02\x00\x00"); // CONNACK, session present 0, accepted
/// ```
#[derive(Debug)]
pub struct ServerSession {
    config: ServerConfig,
    /// The latest time seen; inputs with an earlier `now` are treated as this.
    now: Instant,
    status: Status,
    phase: Phase,
    version: Version,
    decoder: Decoder,
    encoder: Encoder,
    /// Messages to the client (session state, with this connection's quota and aliases).
    out: Outbox,
    /// Messages from the client.
    inb: Inbox,
    conn: Conn,
    events: VecDeque<Queued>,
    /// `take_state` handed the session state out.
    state_taken: bool,
}

/// Where the handshake is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for CONNECT.
    AwaitConnect,
    /// CONNECT reported; the application decides. `reading`: an AUTH challenge was sent and the
    /// client's AUTH is read; otherwise input waits.
    Decide { reading: bool },
    /// CONNACK with success queued: the connection carries messages.
    Open,
}

/// What this connection learned from its CONNECT and keeps until it ends.
#[derive(Debug, Default)]
struct Conn {
    /// The CONNECT waiting for the application's decision.
    connect: Option<alloc::boxed::Box<crate::Connect>>,
    limits: Option<ClientLimits>,
    /// The CONNECT's Session Expiry Interval: when 0, a DISCONNECT may not raise it
    /// (§3.14.2.2.2).
    connect_session_expiry: u32,
    /// Boxed: most clients have none, and every connection carries this struct.
    will: Option<alloc::boxed::Box<Will>>,
    /// Packets to send now, in order.
    control: VecDeque<Packet>,
    /// SUBSCRIBE/UNSUBSCRIBE received and not answered: identifier, SUBSCRIBE?, filter count.
    requests: Vec<(PacketId, bool, usize)>,
    last_received: Instant,
    connect_deadline: Option<Instant>,
    /// The `Closed` event was queued.
    ended: bool,
}

/// An event and, for a received QoS 1/2 message in automatic mode, the acknowledgement taking
/// it releases.
#[derive(Debug)]
struct Queued {
    event: ServerEvent,
    auto_ack: Option<AckToken>,
}

impl ServerSession {
    /// A session for a connection the transport has just accepted at `now`; the CONNECT must
    /// arrive within the configured connect timeout.
    pub fn new(config: ServerConfig, now: Instant) -> ServerSession {
        let decoder = Decoder::new(Version::V5)
            .receiving_from(Side::Client)
            .with_max_packet_size(config.maximum_packet_size.max(1));
        ServerSession {
            now,
            status: Status::Connecting,
            phase: Phase::AwaitConnect,
            version: Version::V5,
            decoder,
            encoder: Encoder::new(Version::V5).sending_as(Side::Server),
            out: Outbox::default(),
            inb: Inbox::default(),
            conn: Conn {
                connect_deadline: Some(now + config.connect_timeout),
                last_received: now,
                ..Conn::default()
            },
            events: VecDeque::new(),
            state_taken: false,
            config,
        }
    }

    /// Releases the memory the session's empty queues keep for reuse (events, packets and
    /// messages waiting to be sent, messages in flight, packet identifiers in use): for an I/O
    /// layer to call when the connection has gone quiet, so that an idle connection holds
    /// only what it needs. Queues that are not empty are left as they are; all of them grow
    /// again on their next use. Sending and receiving do not call it, so that a busy
    /// connection reuses its memory.
    pub fn shrink_to_fit(&mut self) {
        if self.events.is_empty() {
            self.events = VecDeque::new();
        }
        if self.conn.control.is_empty() {
            self.conn.control = VecDeque::new();
        }
        if self.conn.requests.is_empty() {
            self.conn.requests = Vec::new();
        }
        self.out.shrink_to_fit();
        self.inb.shrink_to_fit();
    }

    /// The session's configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    fn advance(&mut self, now: Instant) -> Instant {
        self.now = self.now.max(now);
        self.now
    }

    // ---------------------------------------------------------------- outputs and getters

    /// Appends to `tx` everything the client is owed now and returns the number of bytes
    /// appended. Order: control packets (CONNACK, acknowledgements, SUBACK, PINGRESP,
    /// DISCONNECT, ...), then after a resumed session the messages in flight again (PUBLISH
    /// with DUP 1 or PUBREL, in their original order, [MQTT-4.4.0-1]), then queued messages
    /// while the client's Receive Maximum allows ([MQTT-3.3.4-9]).
    ///
    /// A message larger than the client's Maximum Packet Size is dropped for this client
    /// ([MQTT-3.1.2-25]) with a `Dropped` event; one whose Message Expiry Interval passed while
    /// queued is dropped too ([MQTT-3.3.2-5]), and the others carry the interval left
    /// ([MQTT-3.3.2-6]). Reason Strings and User Properties are left off acknowledgements when
    /// the client asked for no problem information ([MQTT-3.1.2-29]) or when they would exceed
    /// its Maximum Packet Size.
    #[must_use = "the bytes appended to `tx` must be written to the transport"]
    pub fn poll_transmit(&mut self, now: Instant, tx: &mut BytesMut) -> usize {
        let now = self.advance(now);
        let start = tx.len();
        // [MQTT-3.1.2-29]: from the CONNECT on (an AUTH challenge comes before the limits).
        let strip = match (&self.conn.limits, &self.conn.connect) {
            (Some(limits), _) => !limits.request_problem_information,
            (None, Some(connect)) => {
                connect.properties.request_problem_information() == Some(false)
            }
            (None, None) => false,
        };
        while let Some(packet) = self.conn.control.pop_front() {
            encode_control(&self.encoder, &packet, tx, strip);
        }
        if self.status == Status::Connected {
            let events = &mut self.events;
            self.out
                .transmit(&self.encoder, tx, Some(now), |id, reason| {
                    events.push_back(Queued {
                        event: ServerEvent::Dropped { id, reason },
                        auto_ack: None,
                    });
                });
        }
        tx.len() - start
    }

    /// The next event, if any. In [`AckMode::Auto`](crate::session::AckMode::Auto) taking a
    /// received QoS 1/2 message acknowledges it with 0x00.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        let queued = self.events.pop_front()?;
        if let Some(token) = queued.auto_ack {
            self.inb.reply(
                token,
                ReasonCode::SUCCESS,
                crate::AckProperties::default(),
                self.version.is_v5(),
                &mut self.conn.control,
            );
        }
        Some(queued.event)
    }

    /// The earliest time at which [`handle_timeout`](Self::handle_timeout) has work to do: the
    /// end of the connect timeout during the handshake, then the keep-alive deadline (one and a
    /// half times the keep alive after the last packet received). `None` when no timer runs.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.status {
            Status::Connecting => self.conn.connect_deadline,
            Status::Connected => self.keep_alive_deadline(),
            Status::Idle | Status::Closing => None,
        }
    }

    fn keep_alive_deadline(&self) -> Option<Instant> {
        let keep_alive = self.conn.limits.as_ref()?.keep_alive;
        (keep_alive > 0).then(|| {
            self.conn.last_received
                + core::time::Duration::from_millis(u64::from(keep_alive) * 1500)
        })
    }

    /// Runs the timers due at `now`: a handshake not finished within the connect timeout ends
    /// the connection (no CONNACK is sent); a client silent for one and a half times its keep
    /// alive is disconnected ([MQTT-3.1.2-22] 5.0 / [MQTT-3.1.2-24] 3.1.1; 5.0 DISCONNECT
    /// 0x8D) and its will is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.advance(now);
        match self.status {
            Status::Connecting => {
                if self.conn.connect_deadline.is_some_and(|t| now >= t) {
                    self.conn.control.clear();
                    self.end_connection(ConnectionError::ConnectTimeout, None);
                }
            }
            Status::Connected => {
                if self.keep_alive_deadline().is_some_and(|t| now >= t) {
                    self.fail(
                        ReasonCode::KEEP_ALIVE_TIMEOUT,
                        ConnectionError::KeepAliveTimeout,
                    );
                }
            }
            Status::Idle | Status::Closing => {}
        }
    }

    /// The transport closed (end of stream or an I/O error). Ends the connection if it had not
    /// ended: a `Closed` event with the will due ([MQTT-3.1.2-8]). Bytes not transmitted are
    /// dropped.
    pub fn handle_transport_closed(&mut self, now: Instant) {
        self.advance(now);
        if !self.conn.ended {
            self.end_connection(ConnectionError::TransportClosed, None);
        }
        self.conn.control.clear();
        self.status = Status::Idle;
    }

    /// What the session is doing: `Connecting` until the CONNECT is accepted, `Connected`,
    /// `Closing` once the connection ended (flushing), `Idle` after the transport closed.
    pub fn status(&self) -> Status {
        self.status
    }

    /// True when the transport should be closed: the connection ended and every byte owed to
    /// the client was handed out by [`poll_transmit`](Self::poll_transmit).
    pub fn should_close(&self) -> bool {
        self.status == Status::Closing && self.conn.control.is_empty()
    }

    /// False while the event queue or the packets waiting for `poll_transmit` are full
    /// (`max_events`), and while the application has not answered the CONNECT:
    /// [`handle_input`](Self::handle_input) then leaves bytes in the buffer.
    pub fn wants_read(&self) -> bool {
        self.events.len() < self.config.max_events
            && self.conn.control.len() < self.config.max_events
            && !matches!(self.phase, Phase::Decide { reading: false })
    }

    /// The protocol version of the connection (5.0 until a CONNECT said otherwise).
    pub fn version(&self) -> Version {
        self.version
    }

    /// What the client asked for and was granted, once the CONNECT was accepted.
    pub fn client(&self) -> Option<&ClientLimits> {
        self.conn.limits.as_ref()
    }

    /// The client identifier in force, once the CONNECT was accepted.
    pub fn client_id(&self) -> Option<&str> {
        self.conn.limits.as_ref().map(|l| &*l.client_id)
    }

    /// Messages sent to the client and not completed.
    pub fn inflight(&self) -> usize {
        self.out.inflight()
    }

    /// Messages queued for the client and not sent yet.
    pub fn queued(&self) -> usize {
        self.out.pending()
    }

    // ---------------------------------------------------------------- internals

    fn push_event(&mut self, event: ServerEvent) {
        self.events.push_back(Queued {
            event,
            auto_ack: None,
        });
    }

    /// Ends the connection: one `Closed` event with the will's fate. `will_discarded`: the
    /// client's DISCONNECT said so (`Some(true)`), or asked for it to be published
    /// (`Some(false)`); `None` for every other end, where the will is published unless the
    /// connection was never accepted.
    fn end_connection(&mut self, error: ConnectionError, will_discarded: Option<bool>) {
        if self.conn.ended {
            return;
        }
        self.conn.ended = true;
        self.status = Status::Closing;
        self.inb.end_connection();
        let accepted = self.phase == Phase::Open;
        let will = match (self.conn.will.take(), accepted, will_discarded) {
            (Some(will), true, Some(false) | None) => WillAction::Publish {
                delay: will.properties.will_delay_interval().unwrap_or(0),
                message: will_message(*will),
            },
            (Some(_), true, Some(true)) => WillAction::Discard,
            _ => WillAction::None,
        };
        let session_expiry = self.conn.limits.as_ref().map_or(0, |l| l.session_expiry);
        self.push_event(ServerEvent::Closed {
            error,
            will,
            session_expiry,
        });
    }

    /// A peer fault: queues what the protocol requires (5.0 after CONNACK: DISCONNECT with
    /// `reason`), ends the connection, and ignores what the client sends after it
    /// ([MQTT-3.1.4-6] 5.0 / [MQTT-3.1.4-5] 3.1.1 for a refused CONNECT).
    fn fail(&mut self, reason: ReasonCode, error: ConnectionError) {
        if self.conn.ended {
            return;
        }
        // Answers still queued are dropped, but a CONNACK not sent yet stays: the client must
        // see it before anything else, the DISCONNECT included [MQTT-3.2.0-1].
        self.conn
            .control
            .retain(|packet| matches!(packet, Packet::ConnAck(_)));
        if self.version.is_v5() && self.phase == Phase::Open {
            self.conn.control.push_back(Packet::Disconnect(Disconnect {
                reason_code: reason,
                properties: crate::DisconnectProperties::default(),
            }));
        }
        self.end_connection(error, None);
    }

    fn violation(&mut self, reason: ReasonCode, rule: &'static str) {
        self.fail(reason, ConnectionError::Protocol { reason, rule });
    }
}

/// The will as the message to publish: its properties are PUBLISH properties but for the Will
/// Delay Interval, in the same order (User Properties included, [MQTT-3.1.3-10]).
pub(crate) fn will_message(will: Will) -> crate::session::Message {
    let p = &will.properties;
    let mut b = crate::PublishProperties::builder();
    b.payload_format_indicator = p.payload_format_indicator();
    b.message_expiry_interval = p.message_expiry_interval();
    b.content_type = p.content_type().map(crate::ByteString::from);
    b.response_topic = p.response_topic().map(crate::ByteString::from);
    b.correlation_data = p.correlation_data().map(Bytes::copy_from_slice);
    b.user_properties = p
        .user_properties()
        .map(|(k, v)| (crate::ByteString::from(k), crate::ByteString::from(v)))
        .collect();
    crate::session::Message {
        topic: will.topic,
        payload: will.payload,
        qos: will.qos,
        retain: will.retain,
        // The will's properties were valid in the CONNECT: every one is valid on a PUBLISH.
        properties: b.build().unwrap_or_default(),
    }
}

/// Bytes and packets received.
impl ServerSession {
    /// Takes every whole packet off the front of `rx` (zero copy) and handles it; a partial
    /// packet stays in `rx`. Stops early, leaving bytes in `rx`, while
    /// [`wants_read`](Self::wants_read) is false. Bytes after the connection ended are
    /// discarded ([MQTT-3.1.4-6] 5.0 / [MQTT-3.1.4-5] 3.1.1).
    pub fn handle_input(&mut self, now: Instant, rx: &mut BytesMut) {
        self.advance(now);
        loop {
            if !matches!(self.status, Status::Connecting | Status::Connected) {
                rx.clear();
                return;
            }
            if !self.wants_read() {
                return;
            }
            match self.decoder.decode(rx) {
                Ok(Some(packet)) => self.handle_packet_inner(packet),
                Ok(None) => return,
                Err(e) => {
                    rx.clear();
                    self.decode_failed(e);
                    return;
                }
            }
        }
    }

    /// [`handle_input`](Self::handle_input) for bytes the caller does not own: copies them.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) {
        let mut rx = BytesMut::from(bytes);
        self.handle_input(now, &mut rx);
    }

    /// Handles one packet already framed by the transport (a WebSocket message, a test).
    pub fn handle_packet(&mut self, now: Instant, packet: Packet<Bytes>) {
        self.advance(now);
        if matches!(self.status, Status::Connecting | Status::Connected) {
            self.handle_packet_inner(packet);
        }
    }

    fn decode_failed(&mut self, error: crate::DecodeError) {
        use crate::DecodeError as D;
        if self.phase == Phase::AwaitConnect {
            if matches!(error, D::UnsupportedProtocolLevel(_)) {
                // [MQTT-3.1.2-2]: CONNACK 0x84 (3.1.1 return code 1, understood by every
                // version) and close.
                self.version = Version::V3_1_1;
                self.encoder.set_version(Version::V3_1_1);
                self.conn
                    .control
                    .push_back(Packet::ConnAck(alloc::boxed::Box::new(
                        crate::ConnAck::new(false, ReasonCode::UNSUPPORTED_PROTOCOL_VERSION),
                    )));
                self.end_connection(
                    ConnectionError::Refused {
                        reason: ReasonCode::UNSUPPORTED_PROTOCOL_VERSION,
                        properties: crate::ConnAckProperties::default(),
                    },
                    None,
                );
                return;
            }
            // [MQTT-3.1.0-1] / [MQTT-3.1.4-1]: a malformed first packet closes the connection
            // without CONNACK.
            self.conn.control.clear();
            self.end_connection(ConnectionError::Decode(error), None);
            return;
        }
        self.fail(error.reason_code(), ConnectionError::Decode(error));
    }
}
