//! A client session and a server session joined by in-memory byte buffers, on one virtual
//! clock: each side's `poll_transmit` output becomes the other's `handle_input`, optionally in
//! small chunks, and the pair is driven until nothing moves. The server's application is
//! played here: it accepts every CONNECT (resuming the session it kept when the CONNECT asks
//! for it), grants every subscription at the QoS asked, answers every UNSUBSCRIBE, and keeps
//! the session state of a closed connection for the next one.

use bytes::BytesMut;
use mqtt_wire::session::{
    Accept, ClientConfig, ClientEvent, ClientSession, Instant, ServerConfig, ServerEvent,
    ServerSession, SessionState,
};
use mqtt_wire::{AckProperties, Connect, Decoder, Packet, ReasonCode, Side};

/// Which way a packet went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// From the client to the server.
    ToServer,
    /// From the server to the client.
    ToClient,
}

/// The two sessions and the link between them.
pub struct Pair {
    pub client: ClientSession,
    pub server: ServerSession,
    pub server_config: ServerConfig,
    /// Virtual time, in milliseconds.
    pub now: u64,
    /// Bytes the client sent and the server has not read.
    pub c2s: BytesMut,
    /// Bytes the server sent and the client has not read.
    pub s2c: BytesMut,
    /// Bytes that reached the server and that it has not taken yet (a partial packet, or
    /// input while it does not read).
    server_rx: BytesMut,
    /// The same at the client.
    client_rx: BytesMut,
    /// Bytes handed to a side at a time (0: everything available).
    pub chunk: usize,
    /// The link loses everything sent (a half-open connection): only timers notice.
    pub blackhole: bool,
    /// Every event of the client, in order.
    pub client_events: Vec<ClientEvent>,
    /// Every event of the server the played application did not answer by itself (messages,
    /// completions, drops, AUTH, the end of connections), in order.
    pub server_events: Vec<ServerEvent>,
    /// The session state kept from the last connection, resumed by the next CONNECT with
    /// Clean Start 0.
    pub stored: Option<SessionState>,
    /// Every packet either side transmitted, decoded by the codec alone as it left (so every
    /// byte sent is checked to be a whole valid packet of the connection's version), with
    /// its time.
    pub wire: Vec<(u64, Dir, Packet)>,
    /// The monitor's decoders for the current transport.
    c2s_decoder: Decoder,
    s2c_decoder: Decoder,
    /// How many times the link carried bytes, for the bound in `drive`.
    steps: usize,
}

impl Pair {
    /// A pair at time 0; nothing connected yet.
    pub fn new(client: ClientConfig, server: ServerConfig) -> Pair {
        Pair {
            client: ClientSession::new(client),
            server: ServerSession::new(server.clone(), Instant::ZERO),
            server_config: server,
            now: 0,
            c2s: BytesMut::new(),
            s2c: BytesMut::new(),
            server_rx: BytesMut::new(),
            client_rx: BytesMut::new(),
            chunk: 0,
            blackhole: false,
            client_events: Vec::new(),
            server_events: Vec::new(),
            stored: None,
            wire: Vec::new(),
            c2s_decoder: Decoder::new(mqtt_wire::Version::V5).receiving_from(Side::Client),
            s2c_decoder: Decoder::new(mqtt_wire::Version::V5).receiving_from(Side::Server),
            steps: 0,
        }
    }

    /// The current virtual time.
    pub fn t(&self) -> Instant {
        Instant::from_millis(self.now)
    }

    /// A pair connected with `connect`, driven until quiet.
    pub fn connected(client: ClientConfig, server: ServerConfig, connect: Connect) -> Pair {
        let mut p = Pair::new(client, server);
        p.connect(connect);
        assert!(
            p.client_events
                .iter()
                .any(|e| matches!(e, ClientEvent::Connected { .. })),
            "connected: {:?}",
            p.client_events
        );
        p
    }

    /// The client connects with `connect` over a new transport (a new server session, which
    /// resumes the kept state when the CONNECT asks for it); driven until quiet.
    pub fn connect(&mut self, connect: Connect) {
        let now = self.t();
        self.server = ServerSession::new(self.server_config.clone(), now);
        self.clear_link();
        self.c2s_decoder = Decoder::new(connect.protocol).receiving_from(Side::Client);
        self.s2c_decoder = Decoder::new(connect.protocol).receiving_from(Side::Server);
        self.client.connect(now, connect).expect("connect accepted");
        self.drive();
    }

    /// Moves the client's output to the server and lets the server's application act on what
    /// it reads. True when something moved.
    pub fn client_to_server(&mut self) -> bool {
        let now = self.t();
        let mut moved = false;
        while let Some(e) = self.client.poll_event() {
            self.client_events.push(e);
            moved = true;
        }
        let before = self.c2s.len();
        let _ = self.client.poll_transmit(now, &mut self.c2s);
        let sent = self.c2s.split_off(before);
        record(
            &mut self.wire,
            &mut self.c2s_decoder,
            self.now,
            Dir::ToServer,
            &sent,
        );
        self.c2s.unsplit(sent);
        if self.blackhole {
            self.c2s.clear();
        }
        moved |= self.c2s.len() != before;
        let server = &mut self.server;
        moved |= deliver(&mut self.c2s, &mut self.server_rx, self.chunk, |rx| {
            server.handle_input(now, rx)
        });
        moved |= self.serve();
        moved
    }

    /// Moves the server's output to the client. True when something moved.
    pub fn server_to_client(&mut self) -> bool {
        let now = self.t();
        let mut moved = self.serve();
        let before = self.s2c.len();
        let _ = self.server.poll_transmit(now, &mut self.s2c);
        let sent = self.s2c.split_off(before);
        record(
            &mut self.wire,
            &mut self.s2c_decoder,
            self.now,
            Dir::ToClient,
            &sent,
        );
        self.s2c.unsplit(sent);
        if self.blackhole {
            self.s2c.clear();
        }
        moved |= self.s2c.len() != before;
        let client = &mut self.client;
        moved |= deliver(&mut self.s2c, &mut self.client_rx, self.chunk, |rx| {
            client.handle_input(now, rx)
        });
        while let Some(e) = self.client.poll_event() {
            self.client_events.push(e);
            moved = true;
        }
        moved
    }

    /// The server's application: takes the server's events and answers what it owes.
    fn serve(&mut self) -> bool {
        let now = self.t();
        let mut moved = false;
        while let Some(event) = self.server.poll_event() {
            moved = true;
            match event {
                ServerEvent::Connect { connect } => {
                    let mut accept = Accept::new();
                    if !connect.clean_start
                        && let Some(state) = self.stored.take()
                    {
                        accept = accept.resume(state);
                    }
                    self.server.accept(now, accept).expect("accepted");
                }
                ServerEvent::Subscribe { subscribe } => {
                    let codes = subscribe
                        .filters
                        .iter()
                        .map(|(_, options)| ReasonCode(options.qos as u8))
                        .collect();
                    self.server
                        .suback(now, subscribe.pid, codes, AckProperties::default())
                        .expect("suback");
                }
                ServerEvent::Unsubscribe { unsubscribe } => {
                    let codes = unsubscribe
                        .filters
                        .iter()
                        .map(|_| ReasonCode::SUCCESS)
                        .collect();
                    self.server
                        .unsuback(now, unsubscribe.pid, codes, AckProperties::default())
                        .expect("unsuback");
                }
                ServerEvent::Closed {
                    error,
                    will,
                    session_expiry,
                } => {
                    // [MQTT-3.1.2-23] (5.0) / [MQTT-3.1.2-6] (3.1.1): the state outlives the
                    // connection only with a Session Expiry Interval.
                    self.stored = self.server.take_state().filter(|_| session_expiry > 0);
                    self.server_events.push(ServerEvent::Closed {
                        error,
                        will,
                        session_expiry,
                    });
                }
                other => self.server_events.push(other),
            }
        }
        moved
    }

    /// Runs both directions until nothing moves; closes the transport when a side asks for it
    /// (after its last bytes reached the other side).
    pub fn drive(&mut self) {
        loop {
            let a = self.client_to_server();
            let b = self.server_to_client();
            self.steps += 1;
            assert!(self.steps < 1_000_000, "the pair never goes quiet");
            if a || b {
                continue;
            }
            if self.server.should_close() || self.client.should_close() {
                self.cut();
                continue;
            }
            break;
        }
    }

    /// The transport breaks: both sides see it closed, bytes in transit are lost.
    pub fn cut(&mut self) {
        let now = self.t();
        self.clear_link();
        let client_open = !matches!(self.client.status(), mqtt_wire::session::Status::Idle);
        if client_open {
            self.client.handle_transport_closed(now);
        }
        if self.server.status() != mqtt_wire::session::Status::Idle {
            self.server.handle_transport_closed(now);
        }
        self.serve();
        while let Some(e) = self.client.poll_event() {
            self.client_events.push(e);
        }
    }

    fn clear_link(&mut self) {
        self.c2s.clear();
        self.s2c.clear();
        self.server_rx.clear();
        self.client_rx.clear();
    }

    /// Lets `ms` milliseconds pass: runs each side's timers when due and drives the pair after
    /// each.
    pub fn run_for(&mut self, ms: u64) {
        let end = self.now + ms;
        self.drive();
        loop {
            let next = [self.client.poll_timeout(), self.server.poll_timeout()]
                .into_iter()
                .flatten()
                .map(|t| t.as_millis())
                .min();
            match next {
                Some(at) if at <= end => {
                    self.now = self.now.max(at);
                    let now = self.t();
                    if self.client.poll_timeout().is_some_and(|t| t <= now) {
                        self.client.handle_timeout(now);
                    }
                    if self.server.poll_timeout().is_some_and(|t| t <= now) {
                        self.server.handle_timeout(now);
                    }
                    self.drive();
                }
                _ => break,
            }
        }
        self.now = end;
        self.drive();
    }
}

/// Decodes the bytes a side just transmitted (which always end on a packet boundary) into the
/// wire log; a partial or invalid packet is a defect of the sender.
fn record(
    wire: &mut Vec<(u64, Dir, Packet)>,
    decoder: &mut Decoder,
    now: u64,
    dir: Dir,
    sent: &[u8],
) {
    let mut bytes = BytesMut::from(sent);
    while !bytes.is_empty() {
        match decoder.decode(&mut bytes) {
            Ok(Some(packet)) => wire.push((now, dir, packet)),
            Ok(None) => panic!("{dir:?}: a partial packet transmitted: {bytes:?}"),
            Err(e) => panic!("{dir:?}: an invalid packet transmitted: {e:?}"),
        }
    }
}

/// Moves the bytes in transit to the receiver's buffer, `chunk` bytes at a time (all at once
/// for 0), handing the buffer to `handle` after each piece; the receiver leaves in it what it
/// does not take. True when any byte moved or was taken.
fn deliver(
    transit: &mut BytesMut,
    rx: &mut BytesMut,
    chunk: usize,
    mut handle: impl FnMut(&mut BytesMut),
) -> bool {
    let mut moved = false;
    loop {
        let n = if chunk == 0 {
            transit.len()
        } else {
            chunk.min(transit.len())
        };
        if n > 0 {
            rx.extend_from_slice(&transit.split_to(n));
            moved = true;
        }
        let before = rx.len();
        if before > 0 {
            handle(rx);
        }
        moved |= rx.len() != before;
        if transit.is_empty() {
            return moved;
        }
    }
}
