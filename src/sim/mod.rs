//! Deterministic simulation of client sessions and a broker core under faults (feature
//! `broker`, with `std`): a test harness, and the body of the `session_pair` fuzz target. Not a
//! stable API.
//!
//! A run is one thread, one seeded source of choices and a virtual clock. Clients
//! ([`ClientSession`]) and the broker ([`Broker`]) talk over in-memory links that split bytes
//! into random chunks (often single bytes) delivered after random delays, in order. Faults:
//! links cut (seen by both sides, or by one only: half open, found by keep alive), reconnects
//! while the old link may still be open (takeover, late bytes), time jumps, broker restarts
//! (export, every link dropped, import), client restarts (export/import of the client state),
//! slow readers, clients away for up to 40 s, smaller limits on the next connection. One
//! subscriber's session expires 20 s after its connection ends (5.0), the will has a 2 s delay
//! (5.0), and one 5.0 message in five has a Message Expiry Interval of 1 to 3 s.
//!
//! Checked during the run, by a monitor that decodes both directions of every link with the
//! codec alone (`src/sim/monitor.rs`): whole valid packets; CONNECT and CONNACK first; nothing
//! after DISCONNECT; packet identifiers never reused while in flight; Receive Maximum, Maximum Packet
//! Size and Topic Alias Maximum obeyed both ways; aliases set before used on the same link;
//! PUBACKs in order; no client silent for longer than its keep alive; after `handle_timeout`
//! no deadline left at or before now; Session Present 1 on every reconnection of a client whose
//! session exists, 0 when it expired; an expiring message forwarded with what is left of its
//! interval.
//!
//! Checked at the end, after the faults stop and every client has reconnected and the system
//! is quiet (which must happen within a bounded number of steps), by a ledger of every message
//! (publisher, sequence number): each QoS 1/2 message accepted by its publisher reached every
//! subscriber at least once, QoS 2 exactly once, QoS 0 at most once, in publish order per
//! publisher, topic and QoS (an expired message may be missing, and so may what its session
//! held when the expiring subscriber's session ended); the will of the client that has one was
//! published once per connection that ended, unless (5.0) the session resumed within the delay.

// The simulator indexes its own tables (clients, links, constants) with indexes it made.
#![allow(
    clippy::indexing_slicing,
    reason = "the simulator indexes its own tables with indexes it made"
)]

mod monitor;

use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use monitor::LinkMonitor;

use crate::broker::{Broker, BrokerConfig, BrokerEvent, ConnId};
use crate::session::{
    ClientConfig, ClientEvent, ClientSession, Instant, Message, ServerConfig, Status,
};
use crate::{
    Bytes, BytesMut, Connect, ConnectProperties, PublishProperties, QoS, SubscribeFilters,
    SubscriptionOptions, TopicFilter, TopicName, Version, Will,
};

/// Where the simulation takes its choices from: a seeded generator, or a fuzzer's bytes.
pub trait Source {
    /// The next choice.
    fn next(&mut self) -> u64;
}

/// SplitMix64: the seeded generator of test runs.
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl Source for SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Choices read from bytes (two per choice); zeros once they run out.
#[derive(Debug)]
pub struct ByteSource<'a> {
    data: &'a [u8],
}

impl<'a> ByteSource<'a> {
    /// Choices from `data`.
    pub fn new(data: &'a [u8]) -> ByteSource<'a> {
        ByteSource { data }
    }

    /// Whether every byte was used.
    pub fn exhausted(&self) -> bool {
        self.data.is_empty()
    }
}

impl Source for ByteSource<'_> {
    fn next(&mut self) -> u64 {
        let (head, rest) = self.data.split_at(self.data.len().min(2));
        self.data = rest;
        head.iter().fold(0, |acc, &b| (acc << 8) | u64::from(b))
    }
}

/// What a run did, for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Steps taken before the faults stopped.
    pub steps: usize,
    /// Faults injected, by kind: cuts seen by both sides, half-open cuts, reconnections over an
    /// open link, broker restarts, client restarts, time jumps, slow consumers, messages with a
    /// Message Expiry Interval, clients away for a while, sessions that expired.
    pub faults: [u64; 10],
    /// Messages published (accepted by the publisher's session).
    pub published: u64,
    /// Messages received by subscribers (copies).
    pub delivered: u64,
    /// Wills received.
    pub wills: u64,
    /// Steps the system took to become quiet after the faults stopped.
    pub quiesce_steps: usize,
}

/// Fault kinds, indexes into [`Report::faults`].
pub const FAULTS: [&str; 10] = [
    "cut",
    "half-open",
    "reconnect over an open link",
    "broker restart",
    "client restart",
    "time jump",
    "slow consumer",
    "message expiry",
    "client away",
    "session expired",
];

const TOPICS: [&str; 3] = ["t/a", "t/b", "t/c"];
/// Clients: 0 and 1 publish (1 has a will), 2 subscribes to `t/#` at QoS 1, 3 to `t/+` and
/// `will/#` at QoS 2, 4 and 5 share `$share/g/t/#` at QoS 2.
const CLIENTS: usize = 6;
/// The members of the shared subscription: each message goes to one of them.
const MEMBERS: [usize; 2] = [4, 5];
const PUBLISHERS: [usize; 2] = [0, 1];
const SUBSCRIBERS: [(usize, QoS); 2] = [(2, QoS::AtLeastOnce), (3, QoS::ExactlyOnce)];
const WILL_CLIENT: usize = 1;
const WILL_WATCHER: usize = 3;
const KEEP_ALIVE: u16 = 10;
/// The will's delay when its client speaks 5.0 (3.1.1 has none).
const WILL_DELAY_SECS: u32 = 2;
/// The client whose session expires 20 s after its connection ends, when it speaks 5.0 (the
/// others keep theirs).
const EXPIRING: usize = 2;
const SESSION_EXPIRY_SECS: u32 = 20;

enum Item {
    Bytes(Bytes),
    /// The sender closed its end after the bytes before it.
    Close,
}

/// One network connection between a client and the broker.
struct Link {
    client: usize,
    conn: ConnId,
    c2s: VecDeque<(u64, Item)>,
    s2c: VecDeque<(u64, Item)>,
    /// The client still has this link open.
    client_open: bool,
    /// The broker still has this link open.
    broker_open: bool,
    /// Bytes delivered to each end and not yet taken (a partial packet, or bytes a full
    /// session left).
    broker_rx: BytesMut,
    client_rx: BytesMut,
    monitor: LinkMonitor,
    /// When the broker accepted the CONNECT (its CONNACK went out), and when the broker's side
    /// of the connection ended: the will's delay runs from there.
    accepted_at: Option<u64>,
    ended_at: Option<u64>,
    /// For a client whose session can expire: the Session Present its CONNACK must carry
    /// (`Some(None)`: either, the connection came exactly at the expiry).
    expect_present: Option<Option<bool>>,
}

impl Link {
    fn broker_ended(&mut self, now: u64) {
        if self.accepted_at.is_some() && self.ended_at.is_none() {
            self.ended_at = Some(now);
        }
    }
}

struct Client {
    session: ClientSession,
    version: Version,
    id: String,
    /// Its session exists at the broker (after its first CONNACK).
    has_session: bool,
    /// The link it currently uses, if any.
    link: Option<usize>,
    next_seq: u64,
    subscribed: bool,
    /// Its subscriptions are acknowledged (or it has none).
    acked: bool,
    /// A slow consumer: it reads nothing before this time.
    paused_until: u64,
    /// Away: it does not connect before this time.
    away_until: u64,
    /// Its session expired at the broker: messages published up to this time (its new
    /// subscriptions acknowledged; `u64::MAX` until then) may be missing, or arrive again as
    /// retained copies.
    lost_until: u64,
}

/// A message in the ledger.
#[derive(Debug, Clone)]
struct Sent {
    topic: usize,
    qos: QoS,
    retain: bool,
    /// Its Message Expiry Interval (seconds) and the virtual time it runs out at, counted from
    /// the publish call: no copy may be sent later, and after it the message may be missing.
    expiry: Option<(u32, u64)>,
    /// When it was published (virtual time).
    at: u64,
}

impl Sent {
    /// Whether the message may have expired before `now` (then losing it is right).
    fn expired_by(&self, now: u64) -> bool {
        self.expiry.is_some_and(|(_, at)| at <= now)
    }
}

/// A run of the simulation.
pub struct Sim<'s> {
    source: &'s mut dyn Source,
    now: u64,
    broker: Broker,
    broker_config: BrokerConfig,
    clients: Vec<Client>,
    links: Vec<Link>,
    /// The links that are not dead yet (open at an end, or with something queued): the scans
    /// of every step look at these only.
    active: Vec<usize>,
    /// (publisher, seq) → message.
    sent: BTreeMap<(usize, u64), Sent>,
    /// Per subscriber: every (publisher, seq, qos received) in arrival order.
    received: Vec<Vec<(usize, u64, QoS, bool)>>,
    wills: u64,
    faults: bool,
    report: Report,
    /// A message to trace (publisher, seq), and the trace.
    watch: Option<(usize, u64)>,
    log: Vec<String>,
}

impl core::fmt::Debug for Sim<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sim")
            .field("now", &self.now)
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

fn client_config() -> ClientConfig {
    ClientConfig::default()
        .max_pending(100_000)
        .ping_timeout(Duration::from_secs(5))
        .outbound_aliases(crate::session::AliasPolicy::Lru { max: 2 })
}

fn broker_config() -> BrokerConfig {
    let server = ServerConfig::default()
        .max_queued(100_000)
        .max_queued_bytes(64 << 20)
        .receive_maximum(8)
        .topic_alias_maximum(4)
        .outbound_aliases(crate::session::AliasPolicy::Lru { max: 2 });
    BrokerConfig::default().server(server)
}

impl<'s> Sim<'s> {
    /// A world of four clients and a broker, choices from `source`; the first two choices pick
    /// each client's protocol version.
    pub fn new(source: &'s mut dyn Source) -> Sim<'s> {
        let mut clients = Vec::new();
        for i in 0..CLIENTS {
            let version = if source.next().is_multiple_of(2) {
                Version::V3_1_1
            } else {
                Version::V5
            };
            clients.push(Client {
                session: ClientSession::new(client_config()),
                version,
                id: format!("c{i}"),
                has_session: false,
                link: None,
                next_seq: 0,
                subscribed: false,
                acked: !(SUBSCRIBERS.iter().any(|(s, _)| *s == i)
                    || MEMBERS.contains(&i)
                    || (i == 0 && version.is_v5())),
                paused_until: 0,
                away_until: 0,
                lost_until: 0,
            });
        }
        Sim {
            source,
            now: 0,
            broker: Broker::new(broker_config()),
            broker_config: broker_config(),
            clients,
            links: Vec::new(),
            active: Vec::new(),
            sent: BTreeMap::new(),
            received: alloc::vec![Vec::new(); CLIENTS],
            wills: 0,
            faults: true,
            report: Report::default(),
            watch: None,
            log: Vec::new(),
        }
    }

    /// Traces the message `seq` of publisher `p`: a failure's message then tells its story.
    pub fn trace(mut self, p: usize, seq: u64) -> Self {
        self.watch = Some((p, seq));
        self
    }

    /// Logs a line of the traced message's story; `what` is only formatted when tracing.
    fn note(&mut self, what: impl FnOnce() -> String) {
        if self.watch.is_some() {
            let line = format!("{:>8} ms  {}", self.now, what());
            self.log.push(line);
        }
    }

    fn watched_payload(&self) -> Option<Vec<u8>> {
        let (p, seq) = self.watch?;
        let mut v = Vec::with_capacity(16);
        v.extend_from_slice(&(p as u64).to_be_bytes());
        v.extend_from_slice(&seq.to_be_bytes());
        Some(v)
    }

    fn pick(&mut self, n: u64) -> u64 {
        self.source.next() % n.max(1)
    }

    fn t(&self) -> Instant {
        Instant::from_millis(self.now)
    }

    /// Runs `steps` steps with faults, then the quiet phase, then the final checks.
    pub fn run(mut self, steps: usize) -> Result<Report, String> {
        let watching = self.watch.is_some();
        let result = self.run_inner(steps);
        match result {
            Err(e) if watching => {
                let mut out = e;
                for l in &self.links {
                    for line in &l.monitor.seen {
                        out.push_str(&format!("\n  link to c{}: {line}", l.client));
                    }
                }
                for line in &self.log {
                    out.push_str("\n  ");
                    out.push_str(line);
                }
                Err(out)
            }
            other => other,
        }
    }

    fn run_inner(&mut self, steps: usize) -> Result<Report, String> {
        // Start: every client connected and every subscription acknowledged, without faults,
        // so the ledger knows what each subscriber must get.
        for i in 0..CLIENTS {
            self.connect(i)?;
        }
        for _ in 0..100 {
            self.flush()?;
            self.advance(50)?;
            if self.clients.iter().all(|c| c.acked) {
                break;
            }
        }
        if !self.clients.iter().all(|c| c.acked) {
            return Err("the subscriptions were not acknowledged without faults".into());
        }
        for step in 0..steps {
            self.report.steps = step + 1;
            self.step()?;
        }
        self.faults = false;
        self.quiesce()?;
        self.check()?;
        Ok(self.report.clone())
    }

    fn step(&mut self) -> Result<(), String> {
        let roll = self.pick(100);
        match roll {
            0..30 => {
                let p = PUBLISHERS[self.pick(2) as usize];
                self.publish(p)?;
            }
            30..62 => self.deliver_one()?,
            62..72 => {
                let ms = self.pick(3_000);
                self.advance(ms)?;
            }
            72..76 => self.cut(true)?,
            76..78 => self.cut(false)?,
            78..84 => {
                let i = self.pick(CLIENTS as u64) as usize;
                if self.clients[i].link.is_none() {
                    self.connect(i)?;
                } else if self.pick(4) == 0 {
                    // A new connection while the old link is open: the broker takes the
                    // session over; the old link's late bytes may still arrive.
                    self.report.faults[2] += 1;
                    let old = self.clients[i].link.take();
                    let now = self.t();
                    if let Some(l) = old {
                        self.links[l].client_open = false;
                        self.clients[i].session.handle_transport_closed(now);
                        self.links[l].c2s.push_back((self.now, Item::Close));
                    }
                    self.connect(i)?;
                }
            }
            84 => {
                self.report.faults[3] += 1;
                self.restart_broker()?;
            }
            85 => {
                let i = self.pick(CLIENTS as u64) as usize;
                self.report.faults[4] += 1;
                self.restart_client(i)?;
            }
            87 => {
                // A slow consumer: a subscriber stops reading for a while.
                let (s, _) = SUBSCRIBERS[self.pick(2) as usize];
                self.report.faults[6] += 1;
                self.clients[s].paused_until = self.now + 1_000 + self.pick(20_000);
                let until = self.clients[s].paused_until;
                self.note(|| format!("c{s} stops reading until {until}"));
            }
            88 => {
                // A client goes away for up to 40 s: its session waits (or expires).
                let i = self.pick(CLIENTS as u64) as usize;
                let away = self.pick(40_000);
                self.report.faults[8] += 1;
                if let Some(l) = self.clients[i].link.take() {
                    let now = self.t();
                    self.links[l].client_open = false;
                    self.clients[i].session.handle_transport_closed(now);
                    self.links[l].c2s.push_back((self.now, Item::Close));
                }
                self.clients[i].away_until = self.now + away;
                self.note(|| format!("c{i} goes away for {away} ms"));
            }
            86 => {
                self.report.faults[5] += 1;
                let ms = 5_000 + self.pick(40_000);
                self.advance(ms)?;
            }
            _ => {
                let ms = self.pick(200);
                self.advance(ms)?;
            }
        }
        self.flush()
    }

    // ---------------------------------------------------------------- actions

    fn connect(&mut self, i: usize) -> Result<(), String> {
        let now = self.t();
        // Limits change from one connection to the next.
        let limits = (
            1 + (self.source.next() % 4) as u16,
            (self.source.next() % 3) as u16,
            if self.source.next().is_multiple_of(2) {
                96
            } else {
                512
            },
        );
        let c = &mut self.clients[i];
        if c.session.status() != Status::Idle || self.now < c.away_until {
            return Ok(());
        }
        let mut connect = Connect::new(c.version, c.id.as_str().into(), KEEP_ALIVE);
        // Every connection asks to resume the session (3.1.1 Clean Session 1 would end it
        // with the connection); the broker has none before the first.
        connect.clean_start = false;
        if c.version.is_v5() {
            let mut p = ConnectProperties::builder();
            p.session_expiry_interval = Some(if i == EXPIRING {
                SESSION_EXPIRY_SECS
            } else {
                u32::MAX
            });
            p.receive_maximum = Some(limits.0);
            p.topic_alias_maximum = Some(limits.1);
            p.maximum_packet_size = Some(limits.2);
            connect.properties = p.build().map_err(|e| format!("{e}"))?;
        }
        if i == WILL_CLIENT {
            let mut will = Will::new(
                TopicName::from_static("will/c1").map_err(|e| format!("{e}"))?,
                Bytes::from_static(b"will"),
            );
            will.qos = QoS::ExactlyOnce;
            if c.version.is_v5() {
                let mut p = crate::WillProperties::builder();
                p.will_delay_interval = Some(WILL_DELAY_SECS);
                will.properties = p.build().map_err(|e| format!("{e}"))?;
            }
            connect.will = Some(will);
        }
        c.session
            .connect(now, connect)
            .map_err(|e| format!("connect refused by the client session: {e}"))?;
        let conn = self.broker.open(now, None);
        self.links.push(Link {
            client: i,
            conn,
            c2s: VecDeque::new(),
            s2c: VecDeque::new(),
            client_open: true,
            broker_open: true,
            broker_rx: BytesMut::new(),
            client_rx: BytesMut::new(),
            monitor: LinkMonitor::new(),
            accepted_at: None,
            ended_at: None,
            expect_present: None,
        });
        let watch = self.watched_payload();
        let l = self.links.len() - 1;
        self.active.push(l);
        self.links[l].monitor.watch = watch;
        self.clients[i].link = Some(l);
        self.note(|| format!("c{i} connects on link {l}"));
        Ok(())
    }

    fn publish(&mut self, p: usize) -> Result<(), String> {
        let topic = self.pick(TOPICS.len() as u64) as usize;
        let qos = match self.pick(3) {
            0 => QoS::AtMostOnce,
            1 => QoS::AtLeastOnce,
            _ => QoS::ExactlyOnce,
        };
        let retain = self.pick(4) == 0;
        let now = self.t();
        let c = &mut self.clients[p];
        let seq = c.next_seq;
        let mut payload = Vec::with_capacity(16);
        payload.extend_from_slice(&(p as u64).to_be_bytes());
        payload.extend_from_slice(&seq.to_be_bytes());
        let mut message = Message::new(
            TopicName::from_static(TOPICS[topic]).map_err(|e| format!("{e}"))?,
            payload,
        )
        .qos(qos)
        .retain(retain);
        // One 5.0 message in five expires after 1 to 3 s: derived from the sequence number, so
        // the choices (and the seeds' runs) stay those of the other faults.
        let expiry = (c.version.is_v5() && seq % 5 == 3).then(|| 1 + (seq / 5 % 3) as u32);
        if let Some(secs) = expiry {
            let mut b = PublishProperties::builder();
            b.message_expiry_interval = Some(secs);
            message = message.properties(b.build().map_err(|e| format!("{e}"))?);
        }
        if c.session.publish(now, message).is_ok() {
            c.next_seq += 1;
            if self.watch == Some((p, seq)) {
                self.note(|| format!("c{p} publishes it at {qos:?} on {}", TOPICS[topic]));
            }
            self.report.published += 1;
            if expiry.is_some() {
                self.report.faults[7] += 1;
            }
            let expiry = expiry.map(|secs| (secs, self.now + u64::from(secs) * 1000));
            self.sent.insert(
                (p, seq),
                Sent {
                    topic,
                    qos,
                    retain,
                    expiry,
                    at: self.now,
                },
            );
        }
        Ok(())
    }

    /// Cuts a random open link: `both` sides see it, or only one (half open).
    fn cut(&mut self, both: bool) -> Result<(), String> {
        let open: Vec<usize> = self
            .active
            .iter()
            .copied()
            .filter(|&l| self.links[l].client_open && self.links[l].broker_open)
            .collect();
        if open.is_empty() {
            return Ok(());
        }
        let l = open[self.pick(open.len() as u64) as usize];
        let now = self.t();
        let client_side = both || self.pick(2) == 0;
        let broker_side = both || !client_side;
        self.report.faults[usize::from(!both)] += 1;
        self.note(|| {
            format!("cut link {l} (client side {client_side}, broker side {broker_side})")
        });
        let link = &mut self.links[l];
        link.c2s.clear();
        link.s2c.clear();
        if client_side {
            link.client_open = false;
            let c = link.client;
            self.clients[c].link = None;
            self.clients[c].session.handle_transport_closed(now);
        }
        if broker_side {
            link.broker_open = false;
            link.broker_ended(self.now);
            let conn = link.conn;
            self.broker.handle_transport_closed(now, conn);
        }
        Ok(())
    }

    fn restart_broker(&mut self) -> Result<(), String> {
        self.note(|| "broker restart".into());
        let now = self.t();
        let state = self.broker.export(now);
        self.broker = Broker::import(self.broker_config.clone(), &state, now)
            .map_err(|e| format!("the broker's own state did not import: {e}"))?;
        for l in self.active.clone() {
            let link = &mut self.links[l];
            if link.client_open {
                link.client_open = false;
                let c = link.client;
                self.clients[c].link = None;
                self.clients[c].session.handle_transport_closed(now);
            }
            if link.broker_open {
                link.broker_ended(self.now);
            }
            link.broker_open = false;
            link.c2s.clear();
            link.s2c.clear();
        }
        Ok(())
    }

    fn restart_client(&mut self, i: usize) -> Result<(), String> {
        self.note(|| format!("c{i} restarts"));
        let now = self.t();
        if let Some(l) = self.clients[i].link.take() {
            self.links[l].client_open = false;
            self.links[l].c2s.push_back((self.now, Item::Close));
        }
        self.clients[i].session.handle_transport_closed(now);
        // What the application had received is recorded before the process "stops".
        self.client_events(i)?;
        let c = &mut self.clients[i];
        let state = c.session.export_state();
        c.session = ClientSession::from_state(client_config(), &state)
            .map_err(|e| format!("the client's own state did not import: {e}"))?;
        Ok(())
    }

    // ---------------------------------------------------------------- moving bytes and time

    /// Splits `bytes` into random chunks queued on a direction of link `l`.
    fn queue_chunks(&mut self, l: usize, to_broker: bool, bytes: Bytes) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = match self.pick(4) {
                0 => 1,
                _ => 1 + self.pick(rest.len() as u64) as usize,
            };
            let chunk = rest.split_to(n.min(rest.len()));
            let delay = self.pick(30);
            let q = if to_broker {
                &mut self.links[l].c2s
            } else {
                &mut self.links[l].s2c
            };
            let at = q.back().map_or(0, |(t, _)| *t).max(self.now + delay);
            q.push_back((at, Item::Bytes(chunk)));
        }
    }

    /// Drains every output: client bytes and events, broker bytes and events.
    fn flush(&mut self) -> Result<(), String> {
        for _ in 0..64 {
            let mut moved = false;
            let now = self.t();
            for i in 0..CLIENTS {
                let mut tx = BytesMut::new();
                if self.clients[i].session.poll_transmit(now, &mut tx) > 0 {
                    moved = true;
                    if let Some(l) = self.clients[i].link {
                        self.links[l]
                            .monitor
                            .client_sent(self.now, &tx)
                            .map_err(|e| format!("link {l} (client c{i}): {e}"))?;
                        self.queue_chunks(l, true, tx.freeze());
                    }
                }
                moved |= self.client_events(i)?;
                if self.clients[i].session.should_close() {
                    moved = true;
                    let now = self.t();
                    self.clients[i].session.handle_transport_closed(now);
                    if let Some(l) = self.clients[i].link.take() {
                        self.links[l].client_open = false;
                        let at = self.links[l].c2s.back().map_or(self.now, |(t, _)| *t);
                        self.links[l].c2s.push_back((at, Item::Close));
                    }
                }
            }
            let mut tx = BytesMut::new();
            while let Some(conn) = self.broker.poll_transmit(now, &mut tx) {
                moved = true;
                if let Some(l) = self.link_of(conn) {
                    self.links[l]
                        .monitor
                        .server_sent(&tx)
                        .map_err(|e| format!("link {l} (client c{}): {e}", self.links[l].client))?;
                    if self.links[l].monitor.accepted && self.links[l].accepted_at.is_none() {
                        self.links[l].accepted_at = Some(self.now);
                        self.session_expiry_at_accept(l);
                    }
                    let bytes = tx.split().freeze();
                    self.queue_chunks(l, false, bytes);
                }
                tx.clear();
            }
            while let Some(event) = self.broker.poll_event() {
                moved = true;
                if let BrokerEvent::Disconnected { conn, .. } = event
                    && let Some(l) = self.link_of(conn)
                {
                    self.links[l].broker_ended(self.now);
                }
                if let BrokerEvent::Close { conn } = event {
                    self.broker.handle_transport_closed(now, conn);
                    if let Some(l) = self.link_of(conn) {
                        self.links[l].broker_open = false;
                        let at = self.links[l].s2c.back().map_or(self.now, |(t, _)| *t);
                        self.links[l].s2c.push_back((at, Item::Close));
                    }
                }
            }
            if !moved {
                return Ok(());
            }
        }
        Ok(())
    }

    /// The broker just accepted link `current`: when its client's session can expire, whether
    /// it did since the client's previous connection ended at the broker. An expired session
    /// loses its subscriptions and queue: the client subscribes again, and what was published
    /// before that may be missing.
    fn session_expiry_at_accept(&mut self, current: usize) {
        let i = self.links[current].client;
        if i != EXPIRING || !self.clients[i].version.is_v5() {
            return;
        }
        let Some(accepted) = self.links[current].accepted_at else {
            return;
        };
        let ended = self
            .links
            .iter()
            .enumerate()
            .filter(|(l, link)| *l != current && link.client == i && link.accepted_at.is_some())
            .filter_map(|(_, link)| link.ended_at)
            .filter(|&e| e <= accepted)
            .max();
        // A connection of the client the broker still holds: this one takes it over (its end
        // is reported after this CONNACK), so the session was attached until now.
        let attached = self.links.iter().enumerate().any(|(l, link)| {
            l != current
                && link.client == i
                && link.accepted_at.is_some()
                && link.ended_at.is_none()
        });
        let expiry = u64::from(SESSION_EXPIRY_SECS) * 1000;
        let expired = match ended {
            _ if attached => Some(false),
            // The first connection: no session yet.
            None => Some(true),
            Some(e) => match (accepted - e).cmp(&expiry) {
                core::cmp::Ordering::Less => Some(false),
                core::cmp::Ordering::Equal => None,
                core::cmp::Ordering::Greater => Some(true),
            },
        };
        let had = self
            .links
            .iter()
            .any(|l| l.client == i && l.accepted_at.is_some() && l.ended_at.is_some());
        self.links[current].expect_present = Some(expired.map(|gone| !gone));
        if had && expired != Some(false) {
            let c = &mut self.clients[i];
            c.subscribed = false;
            c.acked = false;
            c.lost_until = u64::MAX;
            self.report.faults[9] += 1;
            self.note(|| format!("c{i}'s session expired"));
        }
    }

    fn link_of(&self, conn: ConnId) -> Option<usize> {
        self.active
            .iter()
            .rev()
            .copied()
            .find(|&l| self.links[l].conn == conn && self.links[l].broker_open)
    }

    /// Forgets the links that can do nothing more.
    fn prune(&mut self) {
        let links = &self.links;
        self.active.retain(|&l| {
            let link = &links[l];
            link.client_open || link.broker_open || !link.c2s.is_empty() || !link.s2c.is_empty()
        });
    }

    fn client_events(&mut self, i: usize) -> Result<bool, String> {
        let mut moved = false;
        while let Some(event) = self.clients[i].session.poll_event() {
            moved = true;
            match event {
                ClientEvent::Connected {
                    session_present, ..
                } => {
                    // A session that can expire: Session Present as found when the broker
                    // accepted the connection (either, at the expiry's very end).
                    if let Some(l) = self.clients[i].link
                        && let Some(expect) = self.links[l].expect_present
                    {
                        if expect.is_some_and(|e| e != session_present) {
                            return Err(format!(
                                "client c{i}: Session Present {session_present} on link {l}, {expect:?} expected (session expiry)"
                            ));
                        }
                        self.clients[i].has_session = session_present;
                    }
                    let c = &mut self.clients[i];
                    if c.has_session && !session_present {
                        return Err(format!(
                            "client c{i}: Session Present 0 while its session must exist"
                        ));
                    }
                    if !c.has_session && session_present {
                        return Err(format!("client c{i}: Session Present 1 on a new session"));
                    }
                    c.has_session = true;
                    if let Some(l) = c.link {
                        self.links[l].monitor.connected(self.now);
                    }
                    let c = &mut self.clients[i];
                    if !c.subscribed {
                        self.subscribe(i)?;
                    }
                }
                ClientEvent::Message { publish, .. } => {
                    let payload = &publish.payload[..];
                    if publish.topic.starts_with("will/") {
                        self.wills += 1;
                        self.report.wills += 1;
                        continue;
                    }
                    if payload.len() != 16 {
                        return Err(format!("client c{i}: a payload not of the ledger"));
                    }
                    let p = u64::from_be_bytes(payload[..8].try_into().unwrap_or_default());
                    let seq = u64::from_be_bytes(payload[8..].try_into().unwrap_or_default());
                    if self.watch == Some((p as usize, seq)) {
                        self.note(|| format!("c{i} received it at {:?}", publish.qos));
                    }
                    // [MQTT-3.3.2-5] / [MQTT-3.3.2-6]: an expiring message is forwarded with
                    // what is left of its interval, never after it ran out.
                    if let Some(&Sent {
                        expiry: Some((secs, _)),
                        ..
                    }) = self.sent.get(&(p as usize, seq))
                        && self.clients[i].version.is_v5()
                    {
                        let left = publish.properties.message_expiry_interval();
                        if !left.is_some_and(|l| (1..=secs).contains(&l)) {
                            return Err(format!(
                                "client c{i}: ({p}, {seq}) with Message Expiry Interval {secs} arrived with {left:?}"
                            ));
                        }
                    }
                    if i == 0 && p == 0 {
                        // [MQTT-3.8.3-3]: No Local keeps c0's own messages from it.
                        return Err(format!(
                            "c0 received its own message ({p}, {seq}) under No Local"
                        ));
                    }
                    self.received[i].push((p as usize, seq, publish.qos.qos(), publish.retain));
                    self.report.delivered += 1;
                }
                ClientEvent::Published { id: _, .. } => {}
                ClientEvent::PublishFailed { id, reason } => {
                    return Err(format!("client c{i}: publish {id:?} failed: {reason}"));
                }
                ClientEvent::Subscribed { .. } => {
                    let c = &mut self.clients[i];
                    c.acked = true;
                    if c.lost_until == u64::MAX {
                        c.lost_until = self.now;
                    }
                }
                ClientEvent::RequestCancelled { .. } => {
                    // Only a client that lost its session subscribes after the start; its
                    // connection ended before the SUBACK: it subscribes again on the next.
                    if i != EXPIRING {
                        return Err(format!("client c{i}: a SUBSCRIBE cancelled"));
                    }
                    // Until a SUBACK, the subscriptions may be missing.
                    self.clients[i].subscribed = false;
                    self.clients[i].lost_until = u64::MAX;
                }
                _ => {}
            }
        }
        Ok(moved)
    }

    fn subscribe(&mut self, i: usize) -> Result<(), String> {
        let v5 = self.clients[i].version.is_v5();
        let (main, qos) = match SUBSCRIBERS.iter().find(|(s, _)| *s == i) {
            Some(&(2, qos)) => ("t/#", qos),
            Some(&(_, qos)) => ("t/+", qos),
            None if MEMBERS.contains(&i) => ("$share/g/t/#", QoS::ExactlyOnce),
            // The first publisher also listens, with No Local (5.0 only).
            None if i == 0 && v5 => ("t/#", QoS::AtLeastOnce),
            None => {
                self.clients[i].subscribed = true;
                self.clients[i].acked = true;
                return Ok(());
            }
        };
        let now = self.t();
        let mut filters: Vec<(TopicFilter, SubscriptionOptions)> = Vec::new();
        filters.push((
            TopicFilter::from_static(main).map_err(|e| format!("{e}"))?,
            SubscriptionOptions {
                // c2 keeps the published RETAIN flag ([MQTT-3.3.1-12] / [MQTT-3.3.1-13]).
                retain_as_published: i == 2 && v5,
                no_local: i == 0,
                ..SubscriptionOptions::qos(qos)
            },
        ));
        if i == WILL_WATCHER {
            filters.push((
                TopicFilter::from_static("will/#").map_err(|e| format!("{e}"))?,
                SubscriptionOptions::qos(QoS::ExactlyOnce),
            ));
        }
        let filters = SubscribeFilters::try_from_iter(filters).map_err(|e| format!("{e}"))?;
        self.clients[i]
            .session
            .subscribe(now, filters, Default::default())
            .map_err(|e| format!("client c{i}: subscribe refused: {e}"))?;
        self.clients[i].subscribed = true;
        Ok(())
    }

    /// Delivers the earliest queued item of a random link with something queued, advancing the
    /// clock to its time if needed.
    fn deliver_one(&mut self) -> Result<(), String> {
        let busy: Vec<(usize, bool)> = self
            .active
            .iter()
            .copied()
            .flat_map(|l| [(l, true), (l, false)])
            .filter(|&(l, c2s)| {
                let link = &self.links[l];
                !if c2s { &link.c2s } else { &link.s2c }.is_empty()
            })
            .collect();
        if busy.is_empty() {
            return Ok(());
        }
        let (l, c2s) = busy[self.pick(busy.len() as u64) as usize];
        let at = {
            let q = if c2s {
                &self.links[l].c2s
            } else {
                &self.links[l].s2c
            };
            q.front().map_or(self.now, |(t, _)| *t)
        };
        if at > self.now {
            self.advance(at - self.now)?;
        }
        self.deliver_front(l, c2s)
    }

    fn deliver_front(&mut self, l: usize, c2s: bool) -> Result<(), String> {
        let now = self.t();
        let link = &mut self.links[l];
        let item = if c2s {
            link.c2s.pop_front()
        } else {
            link.s2c.pop_front()
        };
        let Some((_, item)) = item else {
            return Ok(());
        };
        if c2s {
            if !link.broker_open {
                return Ok(());
            }
            let conn = link.conn;
            match item {
                Item::Bytes(b) => {
                    link.broker_rx.extend_from_slice(&b);
                    self.broker.handle_input(now, conn, &mut link.broker_rx);
                }
                Item::Close => {
                    link.broker_open = false;
                    link.broker_ended(self.now);
                    self.broker.handle_transport_closed(now, conn);
                }
            }
        } else {
            if !link.client_open {
                return Ok(());
            }
            let c = link.client;
            match item {
                Item::Bytes(b) => {
                    link.client_rx.extend_from_slice(&b);
                    if self.clients[c].paused_until <= self.now {
                        self.clients[c]
                            .session
                            .handle_input(now, &mut link.client_rx);
                    }
                }
                Item::Close => {
                    link.client_open = false;
                    self.clients[c].link = None;
                    self.clients[c].session.handle_transport_closed(now);
                }
            }
        }
        self.flush()
    }

    /// Lets `ms` pass: queued items and timers run in time order.
    fn advance(&mut self, ms: u64) -> Result<(), String> {
        let end = self.now + ms;
        loop {
            self.prune();
            let links = &self.links;
            let deliveries = self
                .active
                .iter()
                .map(|&l| &links[l])
                .flat_map(|l| l.c2s.front().into_iter().chain(l.s2c.front()))
                .map(|(t, _)| *t);
            let timers = self
                .clients
                .iter()
                .filter_map(|c| c.session.poll_timeout())
                .chain(self.broker.poll_timeout())
                .map(Instant::as_millis);
            let pauses = self
                .clients
                .iter()
                .map(|c| c.paused_until)
                .filter(|&t| t > self.now);
            let Some(next) = deliveries
                .chain(timers)
                .chain(pauses)
                .filter(|&t| t <= end)
                .min()
            else {
                break;
            };
            self.now = self.now.max(next);
            let now = self.t();
            // Timers due now.
            for i in 0..CLIENTS {
                if self.clients[i]
                    .session
                    .poll_timeout()
                    .is_some_and(|t| t <= now)
                {
                    self.clients[i].session.handle_timeout(now);
                    if self.clients[i]
                        .session
                        .poll_timeout()
                        .is_some_and(|t| t <= now)
                    {
                        return Err(format!(
                            "client c{i}: a deadline at or before now after handle_timeout"
                        ));
                    }
                }
            }
            if self.broker.poll_timeout().is_some_and(|t| t <= now) {
                self.broker.handle_timeout(now);
                if self.broker.poll_timeout().is_some_and(|t| t <= now) {
                    return Err(
                        "the broker: a deadline at or before now after handle_timeout".into(),
                    );
                }
            }
            self.resume_reading()?;
            self.flush()?;
            // Items due now, in link order.
            for l in self.active.clone() {
                for c2s in [true, false] {
                    loop {
                        let due = {
                            let q = if c2s {
                                &self.links[l].c2s
                            } else {
                                &self.links[l].s2c
                            };
                            q.front().is_some_and(|(t, _)| *t <= self.now)
                        };
                        if !due {
                            break;
                        }
                        self.deliver_front(l, c2s)?;
                    }
                }
            }
        }
        self.now = end;
        Ok(())
    }

    // ---------------------------------------------------------------- the end

    /// A slow consumer whose pause is over reads what waited for it.
    fn resume_reading(&mut self) -> Result<(), String> {
        let now = self.t();
        for i in 0..CLIENTS {
            if self.clients[i].paused_until > self.now {
                continue;
            }
            let Some(l) = self.clients[i].link else {
                continue;
            };
            if !self.links[l].client_rx.is_empty() {
                let link = &mut self.links[l];
                self.clients[i]
                    .session
                    .handle_input(now, &mut link.client_rx);
            }
        }
        Ok(())
    }

    /// After the faults: every client connected, everything delivered, nothing pending.
    fn quiesce(&mut self) -> Result<(), String> {
        for c in &mut self.clients {
            c.paused_until = 0;
            c.away_until = 0;
        }
        self.resume_reading()?;
        for round in 0..2_000 {
            self.report.quiesce_steps = round;
            for i in 0..CLIENTS {
                if self.clients[i].session.status() == Status::Idle {
                    self.connect(i)?;
                }
                if !self.clients[i].subscribed
                    && self.clients[i].session.status() == Status::Connected
                {
                    self.subscribe(i)?;
                }
            }
            self.flush()?;
            self.prune();
            let links = &self.links;
            let queued = self
                .active
                .iter()
                .any(|&l| !links[l].c2s.is_empty() || !links[l].s2c.is_empty());
            let busy = self.clients.iter().any(|c| {
                c.session.status() != Status::Connected
                    || c.session.pending() > 0
                    || c.session.inflight() > 0
                    // Half open: the client has not noticed yet (its keep alive will).
                    || c.link.is_none_or(|l| !self.links[l].broker_open)
            });
            // The broker still holds a connection its client left (its keep alive will end it).
            let stale = self
                .active
                .iter()
                .any(|&l| links[l].broker_open && !links[l].client_open);
            let busy = busy || stale;
            if !queued && !busy {
                return Ok(());
            }
            self.advance(100)?;
        }
        Err("the system did not become quiet after the faults stopped".into())
    }

    fn check(&self) -> Result<(), String> {
        for &(s, sub_qos) in &SUBSCRIBERS {
            let got = &self.received[s];
            let mut seen: BTreeMap<(usize, u64), usize> = BTreeMap::new();
            for &(p, seq, _, _) in got {
                *seen.entry((p, seq)).or_default() += 1;
            }
            for (&(p, seq), m) in &self.sent {
                // Both subscriptions (`t/#`, `t/+`) match every topic.
                let n = seen.get(&(p, seq)).copied().unwrap_or(0);
                let qos = m.qos.min(sub_qos);
                if n == 0 && m.expired_by(self.now) {
                    continue;
                }
                // Lost with an expired session, or sent again as a retained copy on the new
                // subscription.
                if m.at <= self.clients[s].lost_until {
                    continue;
                }
                match qos {
                    QoS::AtMostOnce if n > 1 => {
                        return Err(format!(
                            "c{s}: QoS 0 message ({p}, {seq}) received {n} times"
                        ));
                    }
                    QoS::AtLeastOnce if n == 0 => {
                        return Err(format!("c{s}: QoS 1 message ({p}, {seq}) lost"));
                    }
                    QoS::ExactlyOnce if n != 1 => {
                        return Err(format!(
                            "c{s}: QoS 2 message ({p}, {seq}) received {n} times"
                        ));
                    }
                    _ => {}
                }
            }
            // [MQTT-3.3.1-12] / [MQTT-3.3.1-13] (5.0), [MQTT-3.3.1-9] (3.1.1): RETAIN on a
            // live copy only with Retain As Published.
            let rap = s == 2 && self.clients[s].version.is_v5();
            for &(p, seq, _, retain) in got {
                if let Some(m) = self.sent.get(&(p, seq))
                    && retain != (m.retain && rap)
                {
                    return Err(format!(
                        "c{s}: ({p}, {seq}) published with RETAIN {} arrived with RETAIN {retain}",
                        m.retain
                    ));
                }
            }
            // [MQTT-4.6.0-6]: per publisher, topic and QoS, first arrivals in publish order.
            let mut last: BTreeMap<(usize, usize, u8), u64> = BTreeMap::new();
            let mut first = alloc::collections::BTreeSet::new();
            for &(p, seq, _, _) in got {
                if !first.insert((p, seq)) {
                    continue;
                }
                let Some(m) = self.sent.get(&(p, seq)) else {
                    return Err(format!("c{s}: a message nobody published ({p}, {seq})"));
                };
                // An expiring message is outside the order: its copy at the broker may expire
                // while its publisher's resend (DUP, after a lost PUBACK) arrives after the
                // messages that followed it.
                if m.qos == QoS::AtMostOnce
                    || m.expiry.is_some()
                    || m.at <= self.clients[s].lost_until
                {
                    continue;
                }
                let key = (p, m.topic, m.qos as u8);
                if let Some(&prev) = last.get(&key)
                    && prev > seq
                {
                    return Err(format!(
                        "c{s}: ({p}, {seq}) on {} arrived after ({p}, {prev})",
                        TOPICS[m.topic]
                    ));
                }
                last.insert(key, seq);
            }
        }
        // The shared group: each message to one member ([MQTT-4.8.2-3]); QoS 1 at least once,
        // QoS 2 exactly once, never to both members.
        for (&(p, seq), m) in &self.sent {
            let copies: Vec<usize> = MEMBERS
                .iter()
                .map(|&s| {
                    self.received[s]
                        .iter()
                        .filter(|r| r.0 == p && r.1 == seq)
                        .count()
                })
                .collect();
            let total: usize = copies.iter().sum();
            // A QoS 1 message its publisher sent again (DUP 1, after a lost PUBACK) is a new
            // message to the broker, and may go to the other member; a QoS 2 one may not.
            if m.qos == QoS::ExactlyOnce && copies.iter().filter(|&&n| n > 0).count() > 1 {
                return Err(format!("shared message ({p}, {seq}) reached both members"));
            }
            let ok = match m.qos {
                _ if total == 0 && m.expired_by(self.now) => true,
                QoS::AtMostOnce => total <= 1,
                QoS::AtLeastOnce => total >= 1,
                QoS::ExactlyOnce => total == 1,
            };
            if !ok {
                return Err(format!(
                    "shared {:?} message ({p}, {seq}) reached the group {total} times",
                    m.qos
                ));
            }
        }
        self.check_wills()
    }

    /// The will: once per connection of its client that the broker accepted and that ended
    /// ([MQTT-3.1.2-8]); with a Will Delay Interval (5.0), only when the session was not
    /// resumed within the delay ([MQTT-3.1.3-9]). A resumption exactly at the delay's end may
    /// go either way.
    fn check_wills(&self) -> Result<(), String> {
        let v5 = self.clients[WILL_CLIENT].version.is_v5();
        let delay = if v5 {
            u64::from(WILL_DELAY_SECS) * 1000
        } else {
            0
        };
        let mut accepted: Vec<&Link> = self
            .links
            .iter()
            .filter(|l| l.client == WILL_CLIENT && l.monitor.accepted)
            .collect();
        accepted.sort_by_key(|l| l.accepted_at);
        let (mut least, mut most) = (0u64, 0u64);
        for (k, link) in accepted.iter().enumerate() {
            let Some(ended) = link.ended_at else {
                // Still connected: only the last accepted link can be.
                continue;
            };
            let next = accepted.get(k + 1).and_then(|l| l.accepted_at);
            match next {
                _ if delay == 0 => (least, most) = (least + 1, most + 1),
                Some(at) if at < ended + delay => {}
                Some(at) if at == ended + delay => most += 1,
                _ => (least, most) = (least + 1, most + 1),
            }
        }
        if !(least..=most).contains(&self.wills) {
            return Err(format!(
                "{} wills for c{WILL_CLIENT}, {least} to {most} expected (delay {delay} ms, the broker published {})",
                self.wills,
                self.broker.stats().wills_published
            ));
        }
        Ok(())
    }
}

/// Runs one seeded simulation of `steps` steps; the error names the broken invariant.
pub fn run_seed(seed: u64, steps: usize) -> Result<Report, String> {
    let mut source = SplitMix64(seed);
    Sim::new(&mut source).run(steps)
}

/// [`run_seed`], tracing the message `seq` of publisher `p`.
pub fn trace_seed(seed: u64, steps: usize, p: usize, seq: u64) -> Result<Report, String> {
    let mut source = SplitMix64(seed);
    Sim::new(&mut source).trace(p, seq).run(steps)
}
