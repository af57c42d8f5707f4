//! Model-based test of the client session: random sequences of operations (publishes, server
//! packets, acknowledgements, reconnects, time passing) run against both `ClientSession` and a
//! small reference model written from the specification, and every packet the client transmits,
//! every event it gives and its counters must be what the model predicts.
//!
//! The model is independent of the session's code: it keeps its own abstract state (connection
//! status, in-flight list, pending queue, incoming QoS 2 identifiers, inbound acknowledgement
//! queue, send quota, keep-alive timers). The server played by the harness stays within the
//! protocol: the transitions' preconditions only let it send what a correct server may.
//!
//! Choices of the session the model encodes (the specification leaves them open):
//! - packet identifiers: the next free one after the last handed out, wrapping 65,535 to 1;
//! - in-flight messages of a discarded session: QoS 1 back to the front of the pending queue,
//!   QoS 2 reported as `PublishFailed(SessionLost)` (in in-flight order);
//! - the send quota belongs to the connection: 0 until CONNACK, then the server's Receive
//!   Maximum, and it keeps its last value after the connection ends;
//! - a QoS 2 PUBLISH repeated before PUBREL is never delivered again; it is answered PUBREC
//!   (success) in arrival order with the other acknowledgements, unless a PUBREC for that
//!   identifier is still queued: that one (with the application's code) answers both.
//! - on 3.1.1 an application's refusal is not on the wire: the PUBREC is plain and the message
//!   awaits its PUBREL.
//!
//! `PROPTEST_CASES` sets the number of cases (default 128, each of 1 to 40 transitions).

mod common;

use std::collections::{BTreeMap, HashMap, VecDeque};

use bytes::Bytes;
use common::scripted::{Scripted, ack, connect_with, pid, server_publish};
use mqtt_wire::session::{
    AckMode, AckToken, ClientConfig, ClientEvent, ConnectionError, Message, PublishFailure, Status,
};
use mqtt_wire::{
    AckProperties, ConnAckPropertiesBuilder, ConnectProperties, ConnectPropertiesBuilder, Packet,
    QoS, QosPid, ReasonCode, TopicName, Version,
};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

/// Keep alive of every CONNECT, in seconds; the PINGRESP timeout is half of it.
const KEEP_ALIVE: u64 = 10;
const PING_TIMEOUT_MS: u64 = KEEP_ALIVE * 500;
/// The default CONNACK timeout.
const CONNACK_TIMEOUT_MS: u64 = 30_000;
/// The Receive Maximum the client announces (5.0); the server keeps within it on both versions.
const CLIENT_RECEIVE_MAXIMUM: usize = 3;
/// The server's packet identifiers are drawn from 1..=SERVER_PIDS, so they collide often.
const SERVER_PIDS: u16 = 5;

// ------------------------------------------------------------------------------ the model

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum St {
    #[default]
    Idle,
    Connecting,
    Connected,
    Closing,
}

/// Why a connection ended, as the model tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Why {
    TransportClosed,
    KeepAlive,
    ConnectTimeout,
}

/// A packet the client transmits, abstracted. Reason codes as bytes (0 on 3.1.1).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Pk {
    Connect,
    /// The `PublishId` (the payload says it), QoS, packet identifier, DUP.
    Publish(u64, u8, Option<u16>, bool),
    PubAck(u16, u8),
    PubRec(u16, u8),
    PubRel(u16, u8),
    PubComp(u16, u8),
    PingReq,
}

/// An event the client gives, abstracted. `msg` numbers the server's messages (the payload
/// says it).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ev {
    Connected(bool),
    Message { msg: u32, qos: u8, pid: Option<u16> },
    Published { id: u64, reason: u8 },
    SessionLost { id: u64 },
    Disconnected { why: Why, kept: bool },
}

/// An outgoing QoS 1/2 message in flight.
#[derive(Clone, Debug)]
struct Flight {
    id: u64,
    pid: u16,
    qos: u8,
    /// PUBREC received, PUBREL sent (QoS 2).
    released: bool,
    /// Sent on the current connection: the server may answer it.
    sent_here: bool,
    /// Its PUBLISH went out on the current connection: its completion returns a unit of the
    /// send quota (a flow resumed at the PUBREL stage holds none).
    holds_quota: bool,
}

/// A received QoS 1/2 PUBLISH whose PUBACK/PUBREC has not been transmitted.
#[derive(Clone, Debug)]
struct InAck {
    /// The message, or `None` for a QoS 2 repeat (never delivered).
    msg: Option<u32>,
    pid: u16,
    qos: u8,
    /// The application's answer: success or not.
    reply: Option<bool>,
    /// Its event was polled (manual mode: the application holds the token).
    polled: bool,
}

#[derive(Clone, Debug, Default)]
struct Model {
    v5: bool,
    manual: bool,
    status: St,
    /// 3.1.1 Clean Session 1: the session ends with the connection.
    ends_with_connection: bool,
    clean_start: bool,
    now: u64,
    last_sent: u64,
    ping_sent: Option<u64>,
    connack_deadline: u64,
    /// The server's Receive Maximum (CONNACK).
    receive_maximum: u16,
    quota: u16,
    /// The last packet identifier handed out.
    cursor: u16,
    inflight: Vec<Flight>,
    pending: VecDeque<(u64, u8)>,
    next_id: u64,
    /// Incoming QoS 2 identifiers awaiting PUBREL, and whether their PUBREC was sent.
    incoming: BTreeMap<u16, bool>,
    acks: VecDeque<InAck>,
    events: Vec<Ev>,
    next_msg: u32,
    /// What the last transition transmitted, and the events it polled.
    tx: Vec<Pk>,
    polled: Vec<Ev>,
}

#[derive(Clone, Debug)]
enum Op {
    Publish(u8),
    Connect {
        clean_start: bool,
    },
    ConnAck {
        present: bool,
        receive_maximum: Option<u16>,
    },
    Close,
    PubAck {
        pid: u16,
        ok: bool,
    },
    PubRec {
        pid: u16,
        ok: bool,
    },
    PubComp {
        pid: u16,
    },
    ServerPublish {
        qos: u8,
        pid: u16,
        repeat: bool,
    },
    PubRel {
        pid: u16,
    },
    AppAck {
        msg: u32,
        ok: bool,
    },
    PollEvents,
    AdvanceTime(u64),
    PingResp,
}

impl Model {
    fn new(v5: bool, manual: bool) -> Model {
        Model {
            v5,
            manual,
            receive_maximum: u16::MAX,
            cursor: u16::MAX,
            ..Model::default()
        }
    }

    /// In-flight identifiers the server may answer now with the given ack.
    fn answerable(&self, qos: u8, released: bool) -> Vec<u16> {
        self.inflight
            .iter()
            .filter(|f| f.sent_here && f.qos == qos && f.released == released)
            .map(|f| f.pid)
            .collect()
    }

    /// QoS 1/2 messages the server counts against the client's Receive Maximum (an upper
    /// bound: every incoming QoS 2 identifier awaiting PUBREL counts).
    fn server_inflight(&self) -> usize {
        self.acks
            .iter()
            .filter(|a| a.qos == 1 && a.msg.is_some())
            .count()
            + self.incoming.len()
    }

    /// The server may use `pid` for a new QoS 1/2 message.
    fn server_pid_free(&self, pid: u16) -> bool {
        !self.incoming.contains_key(&pid) && !self.acks.iter().any(|a| a.pid == pid)
    }

    fn reason(&self, ok: bool) -> u8 {
        if ok || !self.v5 { 0x00 } else { 0x80 }
    }

    /// The session state is gone: QoS 1 messages go back to the front of the pending queue,
    /// QoS 2 messages may have reached the server and are reported lost.
    fn discard(&mut self) {
        self.incoming.clear();
        let mut requeue = Vec::new();
        for f in self.inflight.drain(..) {
            if f.qos == 1 {
                requeue.push((f.id, 1));
            } else {
                self.events.push(Ev::SessionLost { id: f.id });
            }
        }
        for entry in requeue.into_iter().rev() {
            self.pending.push_front(entry);
        }
    }

    fn end_connection(&mut self, why: Why) {
        self.status = St::Closing;
        self.acks.clear();
        let kept = !self.ends_with_connection;
        if !kept {
            self.discard();
        }
        self.events.push(Ev::Disconnected { why, kept });
    }

    /// Transmits the acknowledgements whose turn has come (arrival order).
    fn release_acks(&mut self) {
        while self.acks.front().is_some_and(|a| a.reply.is_some()) {
            let Some(a) = self.acks.pop_front() else {
                break;
            };
            // On 3.1.1 every acknowledgement is a success: a refused QoS 2 message is still
            // received on the wire, and awaits its PUBREL.
            let reason = self.reason(a.reply == Some(true));
            if a.qos == 2 {
                if reason == 0 {
                    if let Some(sent) = self.incoming.get_mut(&a.pid) {
                        *sent = true;
                    }
                } else {
                    self.incoming.remove(&a.pid);
                }
                self.tx.push(Pk::PubRec(a.pid, reason));
            } else {
                self.tx.push(Pk::PubAck(a.pid, reason));
            }
        }
    }

    fn complete(&mut self, pid: u16, reason: u8) {
        let i = self
            .inflight
            .iter()
            .position(|f| f.pid == pid)
            .expect("known");
        let f = self.inflight.remove(i);
        if f.holds_quota {
            self.quota = self.quota.saturating_add(1).min(self.receive_maximum);
        }
        self.events.push(Ev::Published { id: f.id, reason });
    }

    fn next_free_pid(&self) -> u16 {
        let mut p = self.cursor;
        loop {
            p = if p == u16::MAX { 1 } else { p + 1 };
            if !self.inflight.iter().any(|f| f.pid == p) {
                return p;
            }
        }
    }

    /// When a timer runs out: the CONNACK's, the PINGRESP's, or the keep alive's.
    fn timeout(&self) -> Option<u64> {
        match (self.status, self.ping_sent) {
            (St::Connecting, _) => Some(self.connack_deadline),
            (St::Connected, Some(at)) => Some(at + PING_TIMEOUT_MS),
            (St::Connected, None) => Some(self.last_sent + KEEP_ALIVE * 1000),
            (St::Idle | St::Closing, _) => None,
        }
    }

    /// `poll_transmit` after the control packets: resends in order, then pending messages while
    /// the send quota allows.
    fn flush(&mut self) {
        if self.status == St::Connected {
            let mut resends_done = true;
            for i in 0..self.inflight.len() {
                let f = &self.inflight[i];
                if f.sent_here {
                    continue;
                }
                if !f.released && self.quota == 0 {
                    resends_done = false;
                    break;
                }
                let f = &mut self.inflight[i];
                f.sent_here = true;
                f.holds_quota = !f.released;
                if f.released {
                    self.tx.push(Pk::PubRel(f.pid, 0));
                } else {
                    self.tx.push(Pk::Publish(f.id, f.qos, Some(f.pid), true));
                    self.quota -= 1;
                }
            }
            while resends_done && let Some(&(id, qos)) = self.pending.front() {
                if qos == 0 {
                    self.pending.pop_front();
                    self.tx.push(Pk::Publish(id, qos, None, false));
                    continue;
                }
                // Flows resumed at the PUBREL stage hold no quota but keep their place in
                // the window.
                if self.quota == 0 || self.inflight.len() >= usize::from(self.receive_maximum) {
                    break;
                }
                let pid = self.next_free_pid();
                self.cursor = pid;
                self.quota -= 1;
                self.pending.pop_front();
                self.inflight.push(Flight {
                    id,
                    pid,
                    qos,
                    released: false,
                    sent_here: true,
                    holds_quota: true,
                });
                self.tx.push(Pk::Publish(id, qos, Some(pid), false));
            }
        }
        if !self.tx.is_empty() {
            self.last_sent = self.now;
        }
    }
}

struct ClientModel;

/// Adds a weighted choice of `op` over `choices` (none when empty) and `ok`.
fn add<T: Clone + std::fmt::Debug + 'static>(
    arms: &mut Vec<(u32, BoxedStrategy<Op>)>,
    weight: u32,
    choices: Vec<T>,
    ok: BoxedStrategy<bool>,
    op: fn(T, bool) -> Op,
) {
    if !choices.is_empty() {
        let op = (select(choices), ok).prop_map(move |(p, ok)| op(p, ok));
        arms.push((weight, op.boxed()));
    }
}

impl ReferenceStateMachine for ClientModel {
    type State = Model;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<Model> {
        (any::<bool>(), any::<bool>())
            .prop_map(|(v5, manual)| Model::new(v5, manual))
            .boxed()
    }

    fn transitions(m: &Model) -> BoxedStrategy<Op> {
        let mut arms: Vec<(u32, BoxedStrategy<Op>)> = vec![
            (5, (0u8..=2).prop_map(Op::Publish).boxed()),
            (4, Just(Op::PollEvents).boxed()),
            (
                2,
                select(vec![500u64, 3_000, 6_000, 12_000])
                    .prop_map(Op::AdvanceTime)
                    .boxed(),
            ),
        ];
        // Mostly resumed sessions: they keep state across connections.
        let resume = prop::bool::weighted(0.75);
        match m.status {
            St::Idle => arms.push((
                6,
                resume.prop_map(|r| Op::Connect { clean_start: !r }).boxed(),
            )),
            St::Connecting => {
                let rm = if m.v5 {
                    prop::option::of(1u16..=4).boxed()
                } else {
                    Just(None).boxed()
                };
                let present = if m.clean_start {
                    Just(false).boxed()
                } else {
                    resume.boxed()
                };
                let connack = (present, rm).prop_map(|(present, receive_maximum)| Op::ConnAck {
                    present,
                    receive_maximum,
                });
                arms.push((8, connack.boxed()));
            }
            St::Connected | St::Closing => {}
        }
        if m.status != St::Idle {
            arms.push((2, Just(Op::Close).boxed()));
        }
        if m.status != St::Connected {
            return Union::new_weighted(arms).boxed();
        }
        // A server's failure code exists on 5.0 only.
        let ok = || {
            if m.v5 {
                any::<bool>().boxed()
            } else {
                Just(true).boxed()
            }
        };
        add(&mut arms, 3, m.answerable(1, false), ok(), |pid, ok| {
            Op::PubAck { pid, ok }
        });
        add(&mut arms, 3, m.answerable(2, false), ok(), |pid, ok| {
            Op::PubRec { pid, ok }
        });
        add(&mut arms, 3, m.answerable(2, true), ok(), |pid, _| {
            Op::PubComp { pid }
        });
        // New messages from the server, and repeats of QoS 2 ones awaiting PUBREL.
        let new = |(qos, pid)| Op::ServerPublish {
            qos,
            pid,
            repeat: false,
        };
        arms.push((5, (0u8..=2, 1..=SERVER_PIDS).prop_map(new).boxed()));
        let repeatable: Vec<u16> = m.incoming.keys().copied().collect();
        add(&mut arms, 3, repeatable, ok(), |pid, _| Op::ServerPublish {
            qos: 2,
            pid,
            repeat: true,
        });
        // PUBREL for a PUBREC sent, or a stale one.
        let released: Vec<u16> = m
            .incoming
            .iter()
            .filter(|(_, s)| **s)
            .map(|(p, _)| *p)
            .collect();
        add(&mut arms, 3, released, ok(), |pid, _| Op::PubRel { pid });
        arms.push((
            1,
            (1..=SERVER_PIDS).prop_map(|pid| Op::PubRel { pid }).boxed(),
        ));
        // The application's answers (manual mode); it may refuse a message on 3.1.1 too, which
        // has no code for it on the wire.
        let tokens: Vec<u32> = m
            .acks
            .iter()
            .filter(|a| m.manual && a.polled && a.reply.is_none())
            .filter_map(|a| a.msg)
            .collect();
        add(&mut arms, 4, tokens, any::<bool>().boxed(), |msg, ok| {
            Op::AppAck { msg, ok }
        });
        if m.ping_sent.is_some() {
            arms.push((3, Just(Op::PingResp).boxed()));
        }
        Union::new_weighted(arms).boxed()
    }

    fn preconditions(m: &Model, op: &Op) -> bool {
        let connected = m.status == St::Connected;
        match *op {
            Op::Publish(_) | Op::PollEvents | Op::AdvanceTime(_) => true,
            Op::Connect { .. } => m.status == St::Idle,
            Op::ConnAck { present, .. } => {
                m.status == St::Connecting && !(m.clean_start && present) // [MQTT-3.2.2-2]
            }
            Op::Close => m.status != St::Idle,
            Op::PubAck { pid, ok } => {
                connected && (ok || m.v5) && m.answerable(1, false).contains(&pid)
            }
            Op::PubRec { pid, ok } => {
                connected && (ok || m.v5) && m.answerable(2, false).contains(&pid)
            }
            Op::PubComp { pid } => connected && m.answerable(2, true).contains(&pid),
            Op::ServerPublish { qos, pid, repeat } => {
                connected
                    && if qos == 0 {
                        !repeat
                    } else if repeat {
                        qos == 2 && m.incoming.contains_key(&pid)
                    } else {
                        m.server_pid_free(pid) && m.server_inflight() < CLIENT_RECEIVE_MAXIMUM
                    }
            }
            // A PUBREL answers a PUBREC, or is stale (its PUBCOMP was lost): never for an
            // identifier whose PUBREC has not gone out.
            Op::PubRel { pid } => {
                connected
                    && match m.incoming.get(&pid) {
                        Some(sent) => *sent,
                        None => !m.acks.iter().any(|a| a.pid == pid),
                    }
            }
            Op::AppAck { msg, .. } => {
                connected
                    && m.manual
                    && m.acks
                        .iter()
                        .any(|a| a.msg == Some(msg) && a.polled && a.reply.is_none())
            }
            Op::PingResp => connected && m.ping_sent.is_some(),
        }
    }

    fn apply(mut m: Model, op: &Op) -> Model {
        m.tx.clear();
        m.polled.clear();
        match *op {
            Op::Publish(qos) => {
                m.pending.push_back((m.next_id, qos));
                m.next_id += 1;
            }
            Op::Connect { clean_start } => {
                if clean_start {
                    m.discard(); // [MQTT-3.1.2-4]
                }
                m.status = St::Connecting;
                m.clean_start = clean_start;
                m.ends_with_connection = !m.v5 && clean_start;
                m.quota = 0;
                m.acks.clear();
                m.ping_sent = None;
                m.last_sent = m.now;
                m.connack_deadline = m.now + CONNACK_TIMEOUT_MS;
                for f in &mut m.inflight {
                    f.sent_here = false;
                    f.holds_quota = false;
                }
                m.tx.push(Pk::Connect);
            }
            Op::ConnAck {
                present,
                receive_maximum,
            } => {
                m.status = St::Connected;
                m.receive_maximum = receive_maximum.unwrap_or(u16::MAX);
                m.quota = m.receive_maximum;
                if !present && (!m.inflight.is_empty() || !m.incoming.is_empty()) {
                    m.discard(); // [MQTT-3.2.2-5]
                }
                m.events.push(Ev::Connected(present));
            }
            Op::Close => {
                if matches!(m.status, St::Connecting | St::Connected) {
                    m.end_connection(Why::TransportClosed);
                }
                m.status = St::Idle;
            }
            Op::PubAck { pid, ok } => {
                let reason = m.reason(ok);
                m.complete(pid, reason);
            }
            Op::PubRec { pid, ok } => {
                if ok {
                    if let Some(f) = m.inflight.iter_mut().find(|f| f.pid == pid) {
                        f.released = true;
                    }
                    m.tx.push(Pk::PubRel(pid, 0)); // [MQTT-4.3.3-4]
                } else {
                    m.complete(pid, 0x80);
                }
            }
            Op::PubComp { pid } => m.complete(pid, 0),
            Op::ServerPublish { qos, pid, repeat } => {
                if repeat {
                    // [MQTT-4.3.3-10]: PUBREC again, no second delivery. While a PUBREC for the
                    // identifier waits in the queue, that one answers both.
                    if !m.acks.iter().any(|a| a.pid == pid) {
                        let reply = Some(true);
                        let polled = true;
                        m.acks.push_back(InAck {
                            msg: None,
                            pid,
                            qos,
                            reply,
                            polled,
                        });
                        m.release_acks();
                    }
                } else {
                    let msg = m.next_msg;
                    m.next_msg += 1;
                    let pid = (qos > 0).then_some(pid);
                    m.events.push(Ev::Message { msg, qos, pid });
                    if let Some(pid) = pid {
                        if qos == 2 {
                            m.incoming.insert(pid, false);
                        }
                        m.acks.push_back(InAck {
                            msg: Some(msg),
                            pid,
                            qos,
                            reply: None,
                            polled: false,
                        });
                    }
                }
            }
            Op::PubRel { pid } => {
                // [MQTT-4.3.3-11]; 0x92 for an identifier not awaiting PUBREL (5.0).
                let known = m.incoming.remove(&pid).is_some();
                let reason = if known || !m.v5 { 0 } else { 0x92 };
                m.tx.push(Pk::PubComp(pid, reason));
            }
            Op::AppAck { msg, ok } => {
                if let Some(a) = m.acks.iter_mut().find(|a| a.msg == Some(msg)) {
                    a.reply = Some(ok);
                }
                m.release_acks();
            }
            Op::PollEvents => {
                m.polled = std::mem::take(&mut m.events);
                for ev in &m.polled {
                    if let Ev::Message { msg, .. } = ev
                        && let Some(a) = m.acks.iter_mut().find(|a| a.msg == Some(*msg))
                    {
                        a.polled = true;
                        if !m.manual {
                            a.reply = Some(true);
                        }
                    }
                }
                m.release_acks();
            }
            Op::AdvanceTime(ms) => {
                m.now += ms;
                if m.timeout().is_some_and(|t| t <= m.now) {
                    match (m.status, m.ping_sent) {
                        (St::Connecting, _) => m.end_connection(Why::ConnectTimeout),
                        // §3.1.2.10: no PINGRESP in time, the connection is presumed dead.
                        (_, Some(_)) => m.end_connection(Why::KeepAlive),
                        (_, None) => {
                            m.tx.push(Pk::PingReq); // [MQTT-3.1.2-20] / [MQTT-3.1.2-23]
                            m.ping_sent = Some(m.now);
                        }
                    }
                }
            }
            Op::PingResp => m.ping_sent = None,
        }
        m.flush();
        m
    }
}

// ------------------------------------------------------------------------------ the session

struct Sut {
    s: Scripted,
    version: Version,
    /// Manual-mode tokens of the polled messages, by message number.
    tokens: HashMap<u32, AckToken>,
}

fn payload_number(payload: &[u8], prefix: u8) -> u64 {
    assert_eq!(payload.first(), Some(&prefix), "payload {payload:?}");
    std::str::from_utf8(&payload[1..])
        .expect("utf-8")
        .parse()
        .expect("number")
}

/// QoS and packet identifier.
fn qos_pid(qos: QosPid) -> (u8, Option<u16>) {
    match qos {
        QosPid::AtMostOnce => (0, None),
        QosPid::AtLeastOnce(pid) => (1, Some(pid.get())),
        QosPid::ExactlyOnce(pid) => (2, Some(pid.get())),
    }
}

fn abstract_packet(p: &Packet) -> Pk {
    match p {
        Packet::Connect(_) => Pk::Connect,
        Packet::Publish(p) => {
            let (qos, pid) = qos_pid(p.qos);
            Pk::Publish(payload_number(&p.payload, b'p'), qos, pid, p.dup)
        }
        Packet::PubAck(a) => Pk::PubAck(a.pid.get(), a.reason_code.0),
        Packet::PubRec(a) => Pk::PubRec(a.pid.get(), a.reason_code.0),
        Packet::PubRel(a) => Pk::PubRel(a.pid.get(), a.reason_code.0),
        Packet::PubComp(a) => Pk::PubComp(a.pid.get(), a.reason_code.0),
        Packet::PingReq => Pk::PingReq,
        other => panic!("unexpected packet from the client: {other:?}"),
    }
}

fn abstract_event(e: &ClientEvent) -> Ev {
    match e {
        ClientEvent::Connected {
            session_present, ..
        } => Ev::Connected(*session_present),
        ClientEvent::Message { publish, .. } => {
            let (qos, pid) = qos_pid(publish.qos);
            let msg = payload_number(&publish.payload, b'm');
            let msg = u32::try_from(msg).expect("small");
            Ev::Message { msg, qos, pid }
        }
        ClientEvent::Published { id, reason, .. } => Ev::Published {
            id: id.get(),
            reason: reason.0,
        },
        ClientEvent::PublishFailed {
            id,
            reason: PublishFailure::SessionLost,
        } => Ev::SessionLost { id: id.get() },
        ClientEvent::Disconnected {
            error,
            session_kept,
        } => {
            let why = match error {
                ConnectionError::TransportClosed => Why::TransportClosed,
                ConnectionError::KeepAliveTimeout => Why::KeepAlive,
                ConnectionError::ConnectTimeout => Why::ConnectTimeout,
                other => panic!("unexpected end of connection: {other:?}"),
            };
            Ev::Disconnected {
                why,
                kept: *session_kept,
            }
        }
        other => panic!("unexpected event: {other:?}"),
    }
}

fn qos_of(n: u8) -> QoS {
    [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce][usize::from(n)]
}

fn fail_or_success(ok: bool) -> ReasonCode {
    ReasonCode(if ok { 0x00 } else { 0x80 })
}

impl StateMachineTest for Sut {
    type SystemUnderTest = Sut;
    type Reference = ClientModel;

    fn init_test(m: &Model) -> Sut {
        let mode = if m.manual {
            AckMode::Manual
        } else {
            AckMode::Auto
        };
        Sut {
            s: Scripted::new(ClientConfig::default().ack_mode(mode)),
            version: if m.v5 { Version::V5 } else { Version::V3_1_1 },
            tokens: HashMap::new(),
        }
    }

    fn apply(mut sut: Sut, m: &Model, op: Op) -> Sut {
        let s = &mut sut.s;
        let now = s.t();
        match op {
            Op::Publish(qos) => {
                let id = m.next_id - 1;
                let message = Message::new(
                    TopicName::from_static("c/out").expect("topic"),
                    Bytes::from(format!("p{id}")),
                )
                .qos(qos_of(qos));
                let got = s.client.publish(now, message).expect("publish accepted");
                assert_eq!(got.get(), id, "PublishId");
            }
            Op::Connect { clean_start } => {
                let props = if sut.version.is_v5() {
                    let props = ConnectPropertiesBuilder {
                        session_expiry_interval: Some(300),
                        receive_maximum: Some(CLIENT_RECEIVE_MAXIMUM as u16),
                        ..Default::default()
                    };
                    props.build().expect("CONNECT properties")
                } else {
                    ConnectProperties::default()
                };
                s.connect(connect_with(
                    sut.version,
                    clean_start,
                    KEEP_ALIVE as u16,
                    props,
                ));
            }
            Op::ConnAck {
                present,
                receive_maximum,
            } => {
                let props = ConnAckPropertiesBuilder {
                    receive_maximum,
                    ..Default::default()
                };
                s.connack(present, props.build().expect("CONNACK properties"));
            }
            Op::Close => s.close(),
            Op::PubAck { pid: p, ok } => s.feed(Packet::PubAck(ack(pid(p), fail_or_success(ok)))),
            Op::PubRec { pid: p, ok } => s.feed(Packet::PubRec(ack(pid(p), fail_or_success(ok)))),
            Op::PubComp { pid: p } => s.feed(Packet::PubComp(ack(pid(p), ReasonCode::SUCCESS))),
            Op::ServerPublish {
                qos,
                pid: p,
                repeat,
            } => {
                let qos = match qos {
                    0 => QosPid::AtMostOnce,
                    1 => QosPid::AtLeastOnce(pid(p)),
                    _ => QosPid::ExactlyOnce(pid(p)),
                };
                let mut publish = server_publish("s/in", qos);
                publish.dup = repeat;
                // A repeat's payload is never seen; a new message carries its number.
                publish.payload = Bytes::from(format!("m{}", m.next_msg.wrapping_sub(1)));
                s.feed(Packet::Publish(publish));
            }
            Op::PubRel { pid: p } => s.feed(Packet::PubRel(ack(pid(p), ReasonCode::SUCCESS))),
            Op::AppAck { msg, ok } => {
                let token = sut.tokens[&msg];
                s.client
                    .ack(now, token, fail_or_success(ok), AckProperties::default())
                    .expect("ack accepted");
            }
            Op::PollEvents => {
                let events = s.events();
                let got: Vec<Ev> = events.iter().map(abstract_event).collect();
                assert_eq!(got, m.polled, "events");
                for (e, ev) in events.iter().zip(&got) {
                    if let (ClientEvent::Message { ack: Some(t), .. }, Ev::Message { msg, .. }) =
                        (e, ev)
                    {
                        sut.tokens.insert(*msg, *t);
                    }
                }
            }
            Op::AdvanceTime(ms) => s.advance(ms),
            Op::PingResp => s.feed(Packet::PingResp),
        }
        let sent: Vec<Pk> = sut.s.sent().iter().map(abstract_packet).collect();
        assert_eq!(sent, m.tx, "packets transmitted");
        sut
    }

    fn check_invariants(sut: &Sut, m: &Model) {
        let c = &sut.s.client;
        let status = match c.status() {
            Status::Idle => St::Idle,
            Status::Connecting => St::Connecting,
            Status::Connected => St::Connected,
            Status::Closing => St::Closing,
        };
        assert_eq!(status, m.status, "status");
        assert_eq!(c.inflight(), m.inflight.len(), "inflight()");
        assert_eq!(c.pending(), m.pending.len(), "pending()");
        assert_eq!(c.send_quota(), m.quota, "send_quota()");
        assert_eq!(c.should_close(), m.status == St::Closing, "should_close()");
        assert_eq!(
            c.poll_timeout().map(|t| t.as_millis()),
            m.timeout(),
            "poll_timeout()"
        );
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128)
}

prop_state_machine! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 4096,
        .. ProptestConfig::default()
    })]

    /// Random operation sequences (both versions, both acknowledgement modes): the session
    /// transmits, reports and counts what the reference model predicts.
    #[test]
    fn client_session_matches_the_model(sequential 1..=40 => Sut);
}
