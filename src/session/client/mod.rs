//! The client session: one value for the life of an MQTT session, across network connections.

mod commands;
mod config;
mod event;
mod inbound;
mod outbound;
mod state;

use alloc::collections::VecDeque;
use alloc::vec::Vec;

pub use config::{AliasPolicy, ClientConfig, Negotiated};
pub use event::ClientEvent;

use crate::session::flow::{Inbox, Outbox};
use crate::session::{CommandError, ConnectionError, Instant, PublishFailure, Status};
use crate::{
    ByteString, Bytes, Connect, Decoder, Disconnect, Encoder, Packet, PacketId, ReasonCode, Side,
    Version,
};

/// A sans-IO MQTT client session (3.1, 3.1.1 and 5.0).
///
/// One value lives as long as the MQTT session: messages in flight, the packet identifiers in use
/// and the incoming QoS 2 identifiers survive a lost connection, and are resumed on the next one
/// when the server still holds the session. The session never does I/O, never reads a clock and
/// never blocks: the caller moves bytes, passes the time, and polls for what to do next. See the
/// [module documentation](crate::session) for the run loop.
///
/// Inputs: [`connect`](Self::connect), [`handle_input`](Self::handle_input),
/// [`handle_timeout`](Self::handle_timeout), [`handle_transport_closed`](Self::handle_transport_closed)
/// and the commands ([`publish`](Self::publish), [`subscribe`](Self::subscribe),
/// [`unsubscribe`](Self::unsubscribe), [`ack`](Self::ack), [`auth`](Self::auth),
/// [`disconnect`](Self::disconnect)). Outputs: [`poll_transmit`](Self::poll_transmit),
/// [`poll_event`](Self::poll_event), [`poll_timeout`](Self::poll_timeout),
/// [`should_close`](Self::should_close).
#[derive(Debug)]
pub struct ClientSession {
    config: ClientConfig,
    /// The latest time seen; inputs with an earlier `now` are treated as this.
    now: Instant,
    status: Status,
    /// The version of the session state (of the last CONNECT).
    version: Version,
    decoder: Decoder,
    encoder: Encoder,

    /// Messages to the server: pending, in flight, packet identifiers (session state, with
    /// the current connection's quota and aliases).
    out: Outbox,
    /// Messages from the server: QoS 2 identifiers awaiting PUBREL (session state), and the
    /// current connection's ack queue and aliases.
    inb: Inbox,

    // The current (or last) network connection.
    conn: Conn,
    connections: u64,
    /// Events for `poll_event`. In [`AckMode::Auto`](crate::session::AckMode::Auto) a
    /// `Message` holds, while queued, the token of the acknowledgement it releases when taken
    /// (and none once taken): the event is all that is queued, and moved once.
    events: VecDeque<ClientEvent>,
    /// PUBLISHes `publish` encoded at once (the window was open and nothing waited), handed
    /// out first by the next `poll_transmit`; dropped, their messages queued again, when the
    /// connection ends before that. Kept across connections for its capacity.
    staged: crate::BytesMut,
    /// A publish was refused as `Blocked`: a `Writable` event is owed when there is room.
    writable_owed: bool,
}

/// State of one network connection, rebuilt by every `connect`.
#[derive(Debug, Default)]
struct Conn {
    clean_start: bool,
    /// The keep alive in force (Server Keep Alive overrides ours), in seconds; 0 = off.
    keep_alive: u16,
    /// Session Expiry Interval in force (5.0; 3.1.1: 0 with clean session, "forever" without).
    session_expiry: u32,
    /// The CONNECT's Session Expiry Interval: when 0, a DISCONNECT may not set one
    /// (§3.14.2.2.2), whatever the server chose in CONNACK.
    connect_session_expiry: u32,
    /// Our limit, from the CONNECT we sent.
    request_problem_information: bool,
    auth_method: Option<ByteString>,
    /// The server's limits, from its CONNACK.
    negotiated: Option<Negotiated>,
    /// Packets to send now, in order.
    control: VecDeque<Packet>,
    /// SUBSCRIBE/UNSUBSCRIBE made before CONNACK: sent once it arrives ([MQTT-3.1.2-30]... §3.2).
    early: VecDeque<Packet>,
    /// SUBSCRIBE/UNSUBSCRIBE sent (or queued) and not acknowledged.
    requests: Vec<Request>,
    last_sent: Instant,
    ping_sent: Option<Instant>,
    connack_deadline: Option<Instant>,
    /// The `Disconnected` event of this connection was queued.
    ended: bool,
}

#[derive(Debug, Clone, Copy)]
struct Request {
    pid: PacketId,
    subscribe: bool,
    filters: usize,
}

impl ClientSession {
    /// A session with no state and no connection.
    pub fn new(config: ClientConfig) -> ClientSession {
        ClientSession {
            config,
            now: Instant::ZERO,
            status: Status::Idle,
            version: Version::V5,
            decoder: Decoder::new(Version::V5).receiving_from(Side::Server),
            encoder: Encoder::new(Version::V5).sending_as(Side::Client),
            out: Outbox::default(),
            inb: Inbox::default(),
            conn: Conn::default(),
            connections: 0,
            events: VecDeque::new(),
            staged: crate::BytesMut::new(),
            writable_owed: false,
        }
    }

    /// The session's configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    #[inline]
    fn advance(&mut self, now: Instant) -> Instant {
        self.now = self.now.max(now);
        self.now
    }

    // ---------------------------------------------------------------- connection lifecycle

    /// Starts a network connection on a transport the caller has just opened: queues `connect`
    /// for [`poll_transmit`](Self::poll_transmit).
    ///
    /// The CONNECT sets the protocol version and this side's limits: keep alive, and on 5.0
    /// Receive Maximum, Maximum Packet Size, Topic Alias Maximum, Session Expiry Interval and
    /// Authentication Method. The server's limits wait for its CONNACK; until then only CONNECT
    /// and AUTH are sent ([MQTT-3.1.2-30] §3.1.4): `subscribe` and `publish` queue.
    ///
    /// Clean Start (Clean Session on 3.1.1) discards the session state first
    /// ([MQTT-3.1.2-4] 5.0 / [MQTT-3.1.2-6] 3.1.1): in-flight QoS 1 messages go back to the
    /// pending queue, as new messages; in-flight QoS 2 messages are reported as
    /// [`PublishFailure::SessionLost`], since the server may have them.
    ///
    /// Errors: a connection is already open (`WrongStatus`), the CONNECT does not encode, or it
    /// asks to resume a session kept for another protocol version (`VersionChanged`).
    pub fn connect(&mut self, now: Instant, connect: Connect) -> Result<(), CommandError> {
        let now = self.advance(now);
        if self.status != Status::Idle {
            return Err(CommandError::WrongStatus(self.status));
        }
        let version = connect.protocol;
        let packet = Packet::Connect(alloc::boxed::Box::new(connect));
        let encoder = Encoder::new(version).sending_as(Side::Client);
        encoder
            .encode(&packet, &mut crate::BytesMut::new())
            .map_err(CommandError::Encode)?;
        let Packet::Connect(connect) = &packet else {
            return Err(CommandError::WrongStatus(self.status));
        };
        if !connect.clean_start && version != self.version && self.holds_state() {
            return Err(CommandError::VersionChanged {
                state: self.version,
                connect: version,
            });
        }
        if connect.clean_start {
            // [MQTT-3.1.2-4] (5.0) / [MQTT-3.1.2-6] (3.1.1): a new session.
            self.discard_state();
        }
        let props = &connect.properties;
        let v5 = version.is_v5();
        self.version = version;
        self.encoder = encoder;
        self.decoder = Decoder::new(version)
            .receiving_from(Side::Server)
            .with_max_packet_size(if v5 {
                props
                    .maximum_packet_size()
                    .unwrap_or(crate::MAX_PACKET_SIZE)
            } else {
                crate::MAX_PACKET_SIZE
            });
        self.connections += 1;
        let session_expiry = if v5 {
            props.session_expiry_interval().unwrap_or(0)
        } else if connect.clean_start {
            0
        } else {
            u32::MAX
        };
        let topic_alias_maximum = if v5 {
            props.topic_alias_maximum().unwrap_or(0)
        } else {
            0
        };
        let receive_maximum = if v5 {
            props.receive_maximum().unwrap_or(u16::MAX)
        } else {
            u16::MAX
        };
        self.conn = Conn {
            clean_start: connect.clean_start,
            keep_alive: connect.keep_alive,
            session_expiry,
            connect_session_expiry: session_expiry,
            request_problem_information: !v5 || props.request_problem_information() != Some(false),
            auth_method: props.authentication_method().map(ByteString::from),
            last_sent: now,
            connack_deadline: Some(now + self.config.connect_timeout),
            ..Conn::default()
        };
        // The quota and aliases are set by the CONNACK; nothing is sent before it.
        self.out.start_connection(0, 0);
        self.inb.start_connection(
            self.connections,
            receive_maximum,
            topic_alias_maximum,
            Side::Client,
        );
        self.conn.control.push_back(packet);
        self.status = Status::Connecting;
        Ok(())
    }

    /// The transport closed (end of stream or an I/O error). Ends the connection: a
    /// `Disconnected` event if none was given for it yet; session state is kept as the session
    /// expiry says. Anything not yet transmitted is dropped; pending publishes stay queued for
    /// the next connection.
    pub fn handle_transport_closed(&mut self, now: Instant) {
        self.advance(now);
        if matches!(self.status, Status::Connecting | Status::Connected) {
            self.end_connection(ConnectionError::TransportClosed);
        }
        self.conn.control.clear();
        self.conn.early.clear();
        self.status = Status::Idle;
    }

    /// Ends the connection with DISCONNECT. On 5.0 `disconnect` may carry a reason code (0x04
    /// asks the server to publish the will) and a new Session Expiry Interval, which may not be
    /// set when the CONNECT had 0 (§3.14.2.2.2), even if the server's CONNACK chose another
    /// interval. After it is transmitted
    /// [`should_close`](Self::should_close) says to close the transport.
    pub fn disconnect(&mut self, now: Instant, disconnect: Disconnect) -> Result<(), CommandError> {
        self.advance(now);
        // Before CONNACK too: DISCONNECT is one of the packets a client may send then
        // ([MQTT-3.1.2-30]), e.g. to give up an authentication exchange.
        if !matches!(self.status, Status::Connecting | Status::Connected) {
            return Err(CommandError::WrongStatus(self.status));
        }
        if let Some(expiry) = disconnect.properties.session_expiry_interval()
            && self.conn.connect_session_expiry == 0
            && expiry != 0
        {
            // §3.14.2.2.2: the rule is about the CONNECT's value, not the CONNACK's.
            return Err(CommandError::SessionExpiryRaised);
        }
        let packet = Packet::Disconnect(disconnect);
        packet
            .encoded_len(self.version)
            .map_err(CommandError::Encode)?;
        if let Packet::Disconnect(d) = &packet
            && let Some(expiry) = d.properties.session_expiry_interval()
        {
            self.conn.session_expiry = expiry;
        }
        self.conn.control.push_back(packet);
        self.end_connection(ConnectionError::LocallyClosed);
        Ok(())
    }

    // ---------------------------------------------------------------- outputs and getters

    /// The next event, if any. In [`AckMode::Auto`](crate::session::AckMode::Auto) taking a
    /// received QoS 1/2 message acknowledges it.
    #[must_use]
    #[inline]
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        let mut event = self.events.pop_front()?;
        if let ClientEvent::Message {
            ack: ack @ Some(_), ..
        } = &mut event
            && self.config.ack_mode == crate::session::AckMode::Auto
        {
            self.auto_ack(ack);
        }
        Some(event)
    }

    /// Releases the acknowledgement of a message taken in automatic mode, whose token rode in
    /// its event. The token names the connection as well as the sequence number: sequence
    /// numbers restart with every connection, and an event taken after a reconnect must not
    /// release the acknowledgement of another message (`reply` ignores a token of another one).
    #[inline(never)]
    fn auto_ack(&mut self, ack: &mut Option<crate::session::AckToken>) {
        if let Some(token) = ack.take() {
            self.inb.reply(
                token,
                ReasonCode::SUCCESS,
                crate::AckProperties::default(),
                self.version.is_v5(),
                &mut self.conn.control,
            );
        }
    }

    /// The earliest time at which [`handle_timeout`](Self::handle_timeout) has work to do:
    /// a PINGREQ to send, a PINGRESP or CONNACK overdue. `None` when no timer runs.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let c = &self.conn;
        match self.status {
            Status::Connecting => c.connack_deadline,
            Status::Connected => {
                let ping_due = (c.keep_alive > 0 && c.ping_sent.is_none())
                    .then(|| c.last_sent.plus_secs(u64::from(c.keep_alive)));
                let pong_due = c.ping_sent.map(|t| t + self.ping_timeout());
                match (ping_due, pong_due) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
            Status::Idle | Status::Closing => None,
        }
    }

    fn ping_timeout(&self) -> core::time::Duration {
        self.config.ping_timeout.unwrap_or_else(|| {
            let half = core::time::Duration::from_millis(u64::from(self.conn.keep_alive) * 500);
            half.clamp(
                core::time::Duration::from_secs(1),
                core::time::Duration::from_secs(30),
            )
        })
    }

    /// Runs the timers due at `now`: queues a PINGREQ when nothing was sent for the keep-alive
    /// period ([MQTT-3.1.2-20] 5.0 / [MQTT-3.1.2-23] 3.1.1); ends the connection when the
    /// PINGRESP is overdue (§3.1.2.10, the half-open case) or the CONNACK is.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.advance(now);
        match self.status {
            Status::Connecting => {
                if self.conn.connack_deadline.is_some_and(|t| now >= t) {
                    self.end_connection(ConnectionError::ConnectTimeout);
                }
            }
            Status::Connected => {
                if let Some(sent) = self.conn.ping_sent
                    && now >= sent + self.ping_timeout()
                {
                    // The server is gone or the path is half open: a DISCONNECT would not
                    // arrive, and 0x8D is the server's code.
                    self.end_connection(ConnectionError::KeepAliveTimeout);
                    self.conn.control.clear();
                    return;
                }
                let ka = u64::from(self.conn.keep_alive);
                // [MQTT-3.1.2-20] (5.0) / [MQTT-3.1.2-23] (3.1.1): never a keep-alive period
                // without sending; when idle, PINGREQ.
                if ka > 0
                    && self.conn.ping_sent.is_none()
                    && now >= self.conn.last_sent.plus_secs(ka)
                {
                    self.conn.control.push_back(Packet::PingReq);
                    self.conn.ping_sent = Some(now);
                }
            }
            Status::Idle | Status::Closing => {}
        }
    }

    /// What the session is doing.
    pub fn status(&self) -> Status {
        self.status
    }

    /// True when the transport should be closed: the connection ended (a DISCONNECT sent or
    /// received, a refusal, a protocol violation, a timeout) and every byte owed to the server
    /// was handed out by [`poll_transmit`](Self::poll_transmit). Call
    /// [`handle_transport_closed`](Self::handle_transport_closed) after closing it.
    pub fn should_close(&self) -> bool {
        self.status == Status::Closing && self.conn.control.is_empty()
    }

    /// False while the event queue is full (`max_events`), or as many packets wait for
    /// [`poll_transmit`](Self::poll_transmit) (answers the server asked for, such as PUBCOMPs):
    /// [`handle_input`](Self::handle_input) then leaves bytes in the buffer until events are
    /// polled and bytes transmitted. So what a session holds stays bounded by its configuration
    /// whatever the server sends.
    pub fn wants_read(&self) -> bool {
        self.events.len() < self.config.max_events
            && self.conn.control.len() < self.config.max_events
    }

    /// The server's limits from the CONNACK of the current connection.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.conn.negotiated.as_ref()
    }

    /// The protocol version of the last CONNECT.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Outgoing QoS 1/2 messages sent and not completed.
    pub fn inflight(&self) -> usize {
        self.out.inflight()
    }

    /// QoS 1/2 PUBLISHes that may still be sent on this connection before an ack.
    pub fn send_quota(&self) -> u16 {
        self.out.send_quota()
    }

    /// Messages accepted by `publish` and not sent yet.
    pub fn pending(&self) -> usize {
        self.out.pending()
    }

    /// Whether the session holds state the server shares: messages in flight either way.
    fn holds_state(&self) -> bool {
        self.out.holds_state() || self.inb.holds_state()
    }

    // ---------------------------------------------------------------- internals

    fn push_event(&mut self, event: ClientEvent) {
        self.events.push_back(event);
    }

    /// Ends the current connection: one `Disconnected` event, requests cancelled, and the
    /// session state discarded when it does not outlive the connection ([MQTT-3.1.2-23] 5.0,
    /// [MQTT-3.1.2-6] 3.1.1).
    fn end_connection(&mut self, error: ConnectionError) {
        let keep = self.conn.session_expiry != 0;
        self.end_connection_with(error, keep);
    }

    /// [`end_connection`](Self::end_connection), saying whether the session state is kept.
    fn end_connection_with(&mut self, error: ConnectionError, session_kept: bool) {
        if self.conn.ended {
            return;
        }
        // PUBLISHes staged and not handed out never left: their messages are queued again,
        // before the session state is kept or discarded.
        self.staged.clear();
        self.out.unstage(self.now);
        self.conn.ended = true;
        self.status = Status::Closing;
        self.conn.early.clear();
        for request in core::mem::take(&mut self.conn.requests) {
            self.out.release_pid(request.pid);
            self.push_event(ClientEvent::RequestCancelled {
                packet_id: request.pid,
                subscribe: request.subscribe,
            });
        }
        self.inb.end_connection();
        if !session_kept {
            self.discard_state();
        }
        self.push_event(ClientEvent::Disconnected {
            error,
            session_kept,
        });
    }

    /// A peer fault: queues what the protocol requires (5.0 after CONNACK: DISCONNECT with
    /// `reason`), ends the connection, and ignores what the server sends after it.
    fn fail(&mut self, reason: ReasonCode, error: ConnectionError) {
        self.conn.control.clear();
        if self.version.is_v5() && self.conn.negotiated.is_some() && !self.conn.ended {
            self.conn.control.push_back(Packet::Disconnect(Disconnect {
                reason_code: reason,
                properties: crate::DisconnectProperties::default(),
            }));
        }
        self.end_connection(error);
    }

    fn violation(&mut self, reason: ReasonCode, rule: &'static str) {
        self.fail(reason, ConnectionError::Protocol { reason, rule });
    }

    /// Drops the session state: the server no longer has it (or never will). QoS 1 messages in
    /// flight go back to the front of the pending queue, in order: at-least-once allows sending
    /// them again. A QoS 2 message may have reached the server: sending it again could deliver
    /// it twice, so the application is told its fate is unknown, in the order the messages were
    /// sent.
    fn discard_state(&mut self) {
        self.inb.discard();
        let events = &mut self.events;
        self.out.discard(true, self.now, |id| {
            events.push_back(ClientEvent::PublishFailed {
                id,
                reason: PublishFailure::SessionLost,
            });
        });
    }
}

/// Bytes and packets received in one call.
impl ClientSession {
    /// Takes every whole packet off the front of `rx` (zero copy: each packet's fields share
    /// `rx`'s storage) and handles it; a partial packet stays in `rx` for the next call. Stops
    /// early, leaving bytes in `rx`, while the event queue holds `max_events`
    /// ([`wants_read`](Self::wants_read) is false): the caller's buffer, and TCP, push back.
    ///
    /// Bytes that arrive while no connection is open, or after it ended, are discarded
    /// ([MQTT-3.1.4-6]'s client counterpart: nothing is processed after a fatal error).
    pub fn handle_input(&mut self, now: Instant, rx: &mut crate::BytesMut) {
        self.advance(now);
        loop {
            if !matches!(self.status, Status::Connecting | Status::Connected) {
                rx.clear();
                return;
            }
            if rx.is_empty() || !self.wants_read() {
                return;
            }
            if self.status == Status::Connected {
                // The acknowledgements of our messages, the usual input of a publisher: read in
                // place, no packet built.
                match self.decoder.take_short_ack(rx) {
                    Ok(Some(ack)) => {
                        self.on_short_ack(ack);
                        continue;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        rx.clear();
                        self.decode_failed(e);
                        return;
                    }
                }
            }
            if !self.decode_one(rx) {
                return;
            }
        }
    }

    /// Decodes and handles the packet at the front of `rx`; false when there is none whole yet,
    /// or the connection failed. Out of line: the loop above stays small for the short
    /// acknowledgements it reads itself.
    #[inline(never)]
    fn decode_one(&mut self, rx: &mut crate::BytesMut) -> bool {
        match self.decoder.decode(rx) {
            Ok(Some(packet)) => {
                self.handle_packet_inner(packet);
                true
            }
            Ok(None) => false,
            Err(e) => {
                rx.clear();
                self.decode_failed(e);
                false
            }
        }
    }

    /// [`handle_input`](Self::handle_input) for bytes the caller does not own: copies them.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) {
        let mut rx = crate::BytesMut::from(bytes);
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
        if self.status == Status::Connecting
            && error == crate::DecodeError::UnacceptableProtocolVersion
        {
            // A 3.1.1 server's CONNACK refusing a 5.0 CONNECT (return code 1).
            self.conn.control.clear();
            self.end_connection(ConnectionError::Refused {
                reason: ReasonCode::UNSUPPORTED_PROTOCOL_VERSION,
                properties: crate::ConnAckProperties::default(),
            });
            return;
        }
        self.fail(error.reason_code(), ConnectionError::Decode(error));
    }
}
