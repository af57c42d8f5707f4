//! A broker core and its clients in one process: client sessions and the broker over in-memory
//! byte links, a virtual clock, and every byte each way decoded by the codec alone as a check
//! that both sides only ever transmit whole, valid packets.

use bytes::BytesMut;
use mqtt_wire::broker::{Broker, BrokerConfig, BrokerEvent, ConnId};
use mqtt_wire::session::{
    ClientConfig, ClientEvent, ClientSession, Instant, Message, PublishId, Status,
};
use mqtt_wire::{
    Connect, Decoder, Packet, Publish, QoS, Side, SubscribeFilters, SubscribeProperties,
    SubscriptionOptions, TopicFilter, Version,
};

/// One client of the world.
pub struct Client {
    pub session: ClientSession,
    /// Its connection at the broker, while its transport is open.
    pub conn: Option<ConnId>,
    /// Events the client gave, in order, not yet taken by a test.
    pub events: Vec<ClientEvent>,
    /// Every packet the broker sent it, decoded independently.
    pub received: Vec<Packet>,
    /// Every packet it sent the broker, decoded independently.
    pub sent: Vec<Packet>,
    /// Bytes from the broker not yet handed to the session.
    rx: BytesMut,
    /// Decodes what the broker sends this client.
    wire_in: Decoder,
    /// Decodes what this client sends the broker.
    wire_out: Decoder,
    /// When false the client's transport is cut from the broker's view only (half open).
    pub linked: bool,
}

pub struct World {
    pub broker: Broker,
    /// Virtual time in milliseconds.
    pub now: u64,
    pub clients: Vec<Client>,
    /// Broker events seen, in order.
    pub broker_events: Vec<BrokerEvent>,
}

impl World {
    pub fn new(config: BrokerConfig) -> World {
        World {
            broker: Broker::new(config),
            now: 0,
            clients: Vec::new(),
            broker_events: Vec::new(),
        }
    }

    pub fn t(&self) -> Instant {
        Instant::from_millis(self.now)
    }

    /// A client with `config`, not connected.
    pub fn add_client(&mut self, config: ClientConfig) -> usize {
        self.clients.push(Client {
            session: ClientSession::new(config),
            conn: None,
            events: Vec::new(),
            received: Vec::new(),
            sent: Vec::new(),
            rx: BytesMut::new(),
            wire_in: Decoder::new(Version::V5).receiving_from(Side::Server),
            wire_out: Decoder::new(Version::V5).receiving_from(Side::Client),
            linked: true,
        });
        self.clients.len() - 1
    }

    /// Opens a transport for client `i` and sends `connect`; runs until quiet.
    pub fn connect(&mut self, i: usize, connect: Connect) {
        let now = self.t();
        let conn = self.broker.open(now, None);
        let c = &mut self.clients[i];
        c.wire_in = Decoder::new(connect.protocol).receiving_from(Side::Server);
        c.wire_out = Decoder::new(Version::V5).receiving_from(Side::Client);
        c.conn = Some(conn);
        c.linked = true;
        c.rx.clear();
        c.session.connect(now, connect).expect("connect");
        self.run();
    }

    /// Client `i` connects with a plain CONNECT of `version`.
    pub fn join(&mut self, i: usize, version: Version, id: &str, clean_start: bool) {
        self.connect(i, connect(version, id, clean_start, 0));
    }

    /// Moves bytes both ways and handles events until nothing moves.
    pub fn run(&mut self) {
        for _ in 0..10_000 {
            if !self.step() {
                return;
            }
        }
        panic!("the world did not become quiet");
    }

    fn step(&mut self) -> bool {
        let now = self.t();
        let mut moved = false;
        for i in 0..self.clients.len() {
            let c = &mut self.clients[i];
            let mut tx = BytesMut::new();
            if c.session.poll_transmit(now, &mut tx) > 0 {
                moved = true;
                check_whole(&mut c.wire_out, &tx, &mut c.sent);
                if let (Some(conn), true) = (c.conn, c.linked) {
                    self.broker.handle_input(now, conn, &mut tx);
                }
            }
            while let Some(e) = c.session.poll_event() {
                moved = true;
                c.events.push(e);
            }
            if c.session.should_close() {
                moved = true;
                let conn = c.conn.take();
                c.session.handle_transport_closed(now);
                if let Some(conn) = conn {
                    self.broker.handle_transport_closed(now, conn);
                }
            }
        }
        let mut tx = BytesMut::new();
        while let Some(conn) = self.broker.poll_transmit(now, &mut tx) {
            moved = true;
            if let Some(c) = self
                .clients
                .iter_mut()
                .find(|c| c.conn == Some(conn) && c.linked)
            {
                check_whole(&mut c.wire_in, &tx, &mut c.received);
                c.rx.extend_from_slice(&tx);
            }
            tx.clear();
        }
        for c in &mut self.clients {
            if !c.rx.is_empty()
                && matches!(c.session.status(), Status::Connecting | Status::Connected)
            {
                let before = c.rx.len();
                c.session.handle_input(now, &mut c.rx);
                moved |= c.rx.len() != before;
            }
        }
        while let Some(e) = self.broker.poll_event() {
            moved = true;
            if let BrokerEvent::Close { conn } = e {
                self.broker.handle_transport_closed(now, conn);
                if let Some(c) = self.clients.iter_mut().find(|c| c.conn == Some(conn)) {
                    c.conn = None;
                    c.session.handle_transport_closed(now);
                }
            }
            self.broker_events.push(e);
        }
        moved
    }

    /// Lets `ms` of virtual time pass, running every timer of the broker and the clients at its
    /// deadline.
    pub fn advance(&mut self, ms: u64) {
        let end = self.now + ms;
        loop {
            self.run();
            let next = self
                .clients
                .iter()
                .filter_map(|c| c.session.poll_timeout())
                .chain(self.broker.poll_timeout())
                .map(Instant::as_millis)
                .filter(|&t| t <= end)
                .min();
            let Some(t) = next else { break };
            self.now = self.now.max(t);
            let now = self.t();
            for c in &mut self.clients {
                c.session.handle_timeout(now);
            }
            self.broker.handle_timeout(now);
            // A deadline in the past would loop: every timer must move on once handled.
            self.run();
            assert!(
                self.broker.poll_timeout().is_none_or(|n| n > now)
                    || self
                        .clients
                        .iter()
                        .any(|c| c.session.poll_timeout().is_some_and(|n| n <= now)),
                "the broker's next deadline is not in the future after handle_timeout"
            );
        }
        self.now = end;
        self.run();
    }

    /// Cuts client `i`'s transport: both sides see it closed.
    pub fn cut(&mut self, i: usize) {
        let now = self.t();
        let c = &mut self.clients[i];
        if let Some(conn) = c.conn.take() {
            self.broker.handle_transport_closed(now, conn);
        }
        c.session.handle_transport_closed(now);
        c.rx.clear();
        self.run();
    }

    /// Cuts client `i`'s transport so that only the client notices; the broker finds out by
    /// keep alive.
    pub fn cut_client_side(&mut self, i: usize) {
        let now = self.t();
        let c = &mut self.clients[i];
        c.linked = false;
        c.session.handle_transport_closed(now);
        c.rx.clear();
        self.run();
    }

    pub fn publish(
        &mut self,
        i: usize,
        topic: &str,
        payload: &str,
        qos: QoS,
        retain: bool,
    ) -> PublishId {
        let now = self.t();
        let msg = Message::new(
            topic.try_into().expect("topic"),
            payload.as_bytes().to_vec(),
        )
        .qos(qos)
        .retain(retain);
        let id = self.clients[i].session.publish(now, msg).expect("publish");
        self.run();
        id
    }

    pub fn subscribe(&mut self, i: usize, filter: &str, options: SubscriptionOptions) {
        self.subscribe_with(i, filter, options, SubscribeProperties::default());
    }

    pub fn subscribe_with(
        &mut self,
        i: usize,
        filter: &str,
        options: SubscriptionOptions,
        properties: SubscribeProperties,
    ) {
        let now = self.t();
        let filter: TopicFilter =
            TopicFilter::new(mqtt_wire::ByteString::from(filter)).expect("filter");
        let filters = SubscribeFilters::new(filter, options);
        self.clients[i]
            .session
            .subscribe(now, filters, properties)
            .expect("subscribe");
        self.run();
    }

    /// The messages client `i` received since the last call (events taken).
    pub fn messages(&mut self, i: usize) -> Vec<Publish> {
        let events = std::mem::take(&mut self.clients[i].events);
        let mut out = Vec::new();
        for e in events {
            match e {
                ClientEvent::Message { publish, .. } => out.push(publish),
                other => self.clients[i].events.push(other),
            }
        }
        out
    }

    /// The payloads of [`messages`](Self::messages), as text.
    pub fn payloads(&mut self, i: usize) -> Vec<String> {
        self.messages(i)
            .iter()
            .map(|p| String::from_utf8_lossy(&p.payload).into_owned())
            .collect()
    }

    /// Takes client `i`'s events.
    pub fn events(&mut self, i: usize) -> Vec<ClientEvent> {
        std::mem::take(&mut self.clients[i].events)
    }
}

/// Decodes `bytes` as a stream of whole packets; panics on a partial or invalid one.
fn check_whole(decoder: &mut Decoder, bytes: &[u8], into: &mut Vec<Packet>) {
    let mut buf = BytesMut::from(bytes);
    while !buf.is_empty() {
        match decoder.decode(&mut buf) {
            Ok(Some(p)) => into.push(p),
            Ok(None) => panic!("a partial packet on the wire: {buf:?}"),
            Err(e) => panic!("an invalid packet on the wire: {e:?}"),
        }
    }
}

/// A CONNECT with no will, credentials or properties.
pub fn connect(version: Version, id: &str, clean_start: bool, keep_alive: u16) -> Connect {
    let mut c = Connect::new(version, id.into(), keep_alive);
    c.clean_start = clean_start;
    c
}

/// Subscription options with QoS `qos` and the defaults.
pub fn qos(qos: QoS) -> SubscriptionOptions {
    SubscriptionOptions::qos(qos)
}

impl World {
    /// Restarts the broker: exports its state, drops every link (the clients see their
    /// transports close), and imports the state into a new broker with `config`.
    pub fn restart_broker(&mut self, config: BrokerConfig) {
        let now = self.t();
        let state = self.broker.export(now);
        self.broker = Broker::import(config, &state, now).expect("import");
        for c in &mut self.clients {
            if c.conn.take().is_some() {
                c.session.handle_transport_closed(now);
            }
            c.rx.clear();
        }
        self.run();
    }
}

impl World {
    /// Takes the packets client `i` sent and received so far: (sent, received).
    pub fn wire(&mut self, i: usize) -> (Vec<Packet>, Vec<Packet>) {
        let c = &mut self.clients[i];
        (std::mem::take(&mut c.sent), std::mem::take(&mut c.received))
    }
}
