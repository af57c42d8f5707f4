//! `server_session` target: a [`ServerSession`] driven by an arbitrary sequence of operations:
//! CONNECTs of every version with limits, the application's decisions (accept, resume, reject,
//! AUTH), messages queued for the client, raw bytes and generated packets from the client,
//! plausible client answers (acks for what the server sent), SUBSCRIBE/UNSUBSCRIBE and their
//! answers, time jumps, closed transports, takeovers, and restarts through exported state.
//!
//! Checked after every step, by a monitor that decodes the server's bytes with the codec alone:
//! - every byte the server transmits decodes, as whole packets of the connection's version, none
//!   larger than the client's Maximum Packet Size;
//! - CONNACK at most once and first (AUTH excepted); DISCONNECT only after a successful CONNACK;
//!   nothing after a refusal or a DISCONNECT;
//! - PUBLISH only after a successful CONNACK; a new QoS 1/2 PUBLISH (DUP 0) never uses an
//!   identifier in flight; DUP 1 only on a resumed session; no more QoS 1/2 PUBLISHes
//!   outstanding than the client's Receive Maximum and `max_inflight`; topic aliases within
//!   the client's maximum, an alias alone only once set on this connection;
//! - one `Closed` event per connection, its will consistent with the way it ended;
//! - after `handle_timeout(now)` the next deadline is later than `now` (no busy loop);
//! - memory within the configuration: queued and in-flight messages, events, packets per
//!   transmission; `take_state` → `export` → `import` → `export` gives the same bytes.

use ::arbitrary::{Arbitrary, Unstructured};
use alloc::boxed::Box;
use alloc::format;
use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};

use crate::session::{
    Accept, AckMode, AckToken, AliasPolicy, ConnectionError, Instant, Message, ServerConfig,
    ServerEvent, ServerSession, SessionState, Status, WillAction,
};
use crate::{
    Ack, Auth, AuthProperties, ConnAckProperties, Connect, ConnectProperties, Decoder, Disconnect,
    DisconnectProperties, Encoder, Packet, PacketId, Publish, PublishProperties, QoS, QosPid,
    ReasonCode, Side, Subscribe, SubscribeFilters, SubscriptionOptions, TopicFilter, TopicName,
    Unsubscribe, UnsubscribeFilters, Version, Will,
};

const MAX_INFLIGHT: u16 = 8;
const MAX_QUEUED: usize = 16;
const MAX_EVENTS: usize = 8;

#[derive(Debug, Arbitrary)]
enum Op {
    Connect {
        level: u8,
        clean_start: bool,
        keep_alive: u8,
        receive_maximum: u8,
        topic_alias_maximum: u8,
        maximum_packet_size: u8,
        session_expiry: bool,
        empty_id: bool,
        will: bool,
        auth: bool,
        no_problem_information: bool,
    },
    Accept {
        resume: bool,
        assign: bool,
        reason_string: bool,
    },
    Reject {
        reason: u8,
    },
    ServerAuth {
        reason: u8,
    },
    ClientAuth {
        reason: u8,
        other_method: bool,
    },
    /// A message queued for the client.
    Deliver {
        topic: u8,
        qos: u8,
        retain: bool,
        payload: u8,
        expiry: Option<u8>,
    },
    ClientPublish {
        qos: u8,
        pid: u8,
        alias: Option<u8>,
        empty_topic: bool,
        dup: bool,
        retain: bool,
    },
    /// The client answers the oldest server packet it has not answered.
    Answer {
        reason: u8,
    },
    ClientPubRel {
        pid: u8,
    },
    Subscribe {
        pid: u8,
        filters: u8,
    },
    Unsubscribe {
        pid: u8,
        filters: u8,
    },
    /// The application answers a SUBSCRIBE or UNSUBSCRIBE it was told of.
    Answered {
        which: u8,
        code: u8,
        wrong_count: bool,
    },
    /// The application acknowledges a received message.
    Ack {
        which: u8,
        reason: u8,
    },
    PingReq,
    ClientDisconnect {
        reason: u8,
        expiry: Option<u8>,
    },
    /// A generated packet of any kind.
    Packet,
    /// Raw bytes.
    Bytes(Vec<u8>),
    PollEvents(u8),
    Advance(u16),
    Close,
    TakeOver,
    ServerDisconnect {
        reason: u8,
    },
    /// The connection ended: its state goes through export and import to the next session.
    Restart,
}

/// What the monitor knows of the connection, from what the client sent and the server's own
/// bytes.
struct Monitor {
    decoder: Decoder,
    /// A CONNECT was sent on this connection.
    connect_sent: bool,
    /// The version the client's packets are encoded in.
    version: Version,
    /// The Maximum Packet Size of the CONNECT sent (`None`: none, or not known).
    connect_max: Option<u32>,
    /// The accepted CONNECT had a will.
    will: bool,
    connack: Option<ReasonCode>,
    session_present: bool,
    disconnect_sent: bool,
    /// Raw bytes or generated packets were fed: the monitor no longer knows which answers the
    /// server processed, so it stops checking identifiers and the Receive Maximum.
    tainted: bool,
    /// The server's identifiers in flight on this connection (QoS 1/2 PUBLISH, PUBREL).
    in_use: Vec<u16>,
    /// QoS 1/2 PUBLISHes sent on this connection and not completed.
    outstanding: Vec<u16>,
    aliases_set: Vec<u16>,
    /// Server packets the client has yet to answer, oldest first.
    to_answer: Vec<Packet>,
    closed: usize,
}

impl Monitor {
    fn new(tainted: bool) -> Monitor {
        Monitor {
            decoder: Decoder::new(Version::V5).receiving_from(Side::Server),
            connect_sent: false,
            version: Version::V5,
            connect_max: None,
            will: false,
            connack: None,
            session_present: false,
            disconnect_sent: false,
            tainted,
            in_use: Vec::new(),
            outstanding: Vec::new(),
            aliases_set: Vec::new(),
            to_answer: Vec::new(),
            closed: 0,
        }
    }

    /// The client's answer `packet` completes a flow of the server.
    fn fed(&mut self, packet: &Packet) {
        let (pid, done) = match packet {
            Packet::PubAck(a) | Packet::PubComp(a) => (a.pid.get(), true),
            Packet::PubRec(a) => (a.pid.get(), !a.reason_code.is_success()),
            _ => return,
        };
        if done {
            self.outstanding.retain(|p| *p != pid);
            self.in_use.retain(|p| *p != pid);
        }
    }
}

fn config(u: &mut Unstructured<'_>) -> ServerConfig {
    let mut byte = || u8::arbitrary(u).unwrap_or(0);
    let flags = byte();
    let alias_max = byte() % 4;
    ServerConfig::default()
        .ack_mode(if flags & 1 != 0 {
            AckMode::Manual
        } else {
            AckMode::Auto
        })
        .outbound_aliases(if alias_max == 0 {
            AliasPolicy::Off
        } else {
            AliasPolicy::Lru {
                max: u16::from(alias_max),
            }
        })
        .retain_available(flags & 2 == 0)
        .maximum_qos(QoS::from_bits(byte() % 3).unwrap_or(QoS::ExactlyOnce))
        .receive_maximum(u16::from(byte() % 4) + 1)
        .topic_alias_maximum(u16::from(byte() % 4))
        .maximum_packet_size(256 + u32::from(byte()))
        .max_keep_alive((flags & 4 != 0).then_some(5))
        .max_session_expiry((flags & 8 != 0).then_some(30))
        .connect_timeout(core::time::Duration::from_secs(5))
        .max_inflight(MAX_INFLIGHT)
        .max_queued(MAX_QUEUED)
        .max_queued_bytes(2048)
        .max_events(MAX_EVENTS)
}

/// Body of the `server_session` target.
pub fn server_session(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let config = config(&mut u);
    let mut now = 0u64;
    let mut s = ServerSession::new(config.clone(), Instant::ZERO);
    let mut m = Monitor::new(false);
    let mut stored: Option<SessionState> = None;
    let mut tokens: Vec<AckToken> = Vec::new();
    // SUBSCRIBE (true) and UNSUBSCRIBE requests reported: identifier, kind, filter count.
    let mut requests: Vec<(PacketId, bool, usize)> = Vec::new();
    // Application commands since the events were last polled (each may add a `Dropped`).
    let mut commands = 0usize;
    let mut steps = 0;
    // `arbitrary` pads an exhausted input with zeros: stop at its end instead.
    while !u.is_empty()
        && let Ok(op) = Op::arbitrary(&mut u)
    {
        steps += 1;
        if steps > 256 {
            break;
        }
        let t = Instant::from_millis(now);
        match op {
            Op::Connect {
                level,
                clean_start,
                keep_alive,
                receive_maximum,
                topic_alias_maximum,
                maximum_packet_size,
                session_expiry,
                empty_id,
                will,
                auth,
                no_problem_information,
            } => {
                let version = match level % 3 {
                    0 => Version::V3_1,
                    1 => Version::V3_1_1,
                    _ => Version::V5,
                };
                let id = if empty_id { "" } else { "fuzz" };
                let mut connect = Connect::new(version, id.into(), u16::from(keep_alive % 8));
                connect.clean_start = clean_start || (empty_id && !version.is_v5());
                let mut max = None;
                if version.is_v5() {
                    let mut p = ConnectProperties::builder();
                    p.receive_maximum = Some(u16::from(receive_maximum % 4) + 1);
                    p.topic_alias_maximum = Some(u16::from(topic_alias_maximum % 4));
                    p.session_expiry_interval = session_expiry.then_some(60);
                    max = Some(40 + u32::from(maximum_packet_size));
                    p.maximum_packet_size = max;
                    p.request_problem_information = no_problem_information.then_some(false);
                    if auth {
                        p.authentication_method = Some("M".into());
                    }
                    if let Ok(p) = p.build() {
                        connect.properties = p;
                    }
                }
                if will {
                    connect.will = TopicName::try_from("will")
                        .ok()
                        .map(|topic| Will::new(topic, Bytes::from_static(b"w")));
                }
                // Only the first CONNECT of a connection counts; a second one is a violation
                // read in the first one's version.
                let v = if m.connect_sent { m.version } else { version };
                if feed(&mut s, t, v, &Packet::Connect(Box::new(connect))) && !m.connect_sent {
                    m.connect_sent = true;
                    m.version = version;
                    m.connect_max = max;
                    m.will = will;
                }
            }
            Op::Accept {
                resume,
                assign,
                reason_string,
            } => {
                let mut accept = Accept::new();
                if resume && let Some(state) = stored.take() {
                    accept = accept.resume(state);
                }
                if assign {
                    accept = accept.assigned_client_id("assigned".into());
                }
                if reason_string {
                    accept.properties.reason_string = Some(format!("{:0>300}", 1).into());
                }
                let _ = s.accept(t, accept);
                commands += 1;
            }
            Op::Reject { reason } => {
                let _ = s.reject(t, ReasonCode(reason | 0x80), ConnAckProperties::default());
            }
            Op::ServerAuth { reason } => {
                let _ = s.auth(t, auth(ReasonCode(reason % 0x1A), false));
            }
            Op::ClientAuth {
                reason,
                other_method,
            } => {
                let reason = [
                    ReasonCode::CONTINUE_AUTHENTICATION,
                    ReasonCode::REAUTHENTICATE,
                    ReasonCode::SUCCESS,
                ][usize::from(reason % 3)];
                feed(
                    &mut s,
                    t,
                    m.version,
                    &Packet::Auth(auth(reason, other_method)),
                );
            }
            Op::Deliver {
                topic,
                qos,
                retain,
                payload,
                expiry,
            } => {
                let name = format!("t/{}", topic % 4);
                if let Ok(topic) = TopicName::try_from(name.as_str()) {
                    let mut msg =
                        Message::new(topic, Bytes::from(alloc::vec![0u8; payload.into()]))
                            .qos(QoS::from_bits(qos % 3).unwrap_or_default())
                            .retain(retain);
                    if let Some(e) = expiry {
                        let mut p = PublishProperties::builder();
                        p.message_expiry_interval = Some(u32::from(e % 8));
                        msg.properties = p.build().unwrap_or_default();
                    }
                    let _ = s.publish(t, msg);
                    commands += 1;
                }
            }
            Op::ClientPublish {
                qos,
                pid,
                alias,
                empty_topic,
                dup,
                retain,
            } => {
                let topic = if empty_topic && alias.is_some() {
                    TopicName::empty_for_alias()
                } else {
                    TopicName::from_static("in/x").unwrap_or_else(|_| TopicName::empty_for_alias())
                };
                let mut publish = Publish::new(topic, Bytes::from_static(b"m"));
                let pid = PacketId::new(u16::from(pid % 8) + 1).unwrap_or(PacketId::MIN);
                publish.qos = match qos % 3 {
                    0 => QosPid::AtMostOnce,
                    1 => QosPid::AtLeastOnce(pid),
                    _ => QosPid::ExactlyOnce(pid),
                };
                publish.dup = dup && qos % 3 != 0;
                publish.retain = retain;
                if let (Some(a), true) = (alias, m.version.is_v5())
                    && let Ok(p) = publish
                        .properties
                        .edit()
                        .topic_alias(Some(u16::from(a % 5) + 1))
                        .build()
                {
                    publish.properties = p;
                }
                feed(&mut s, t, m.version, &Packet::Publish(publish));
            }
            Op::Answer { reason } => {
                if !m.to_answer.is_empty() {
                    let packet = m.to_answer.remove(0);
                    if let Some(answer) = answer(&packet, reason, m.version)
                        && feed(&mut s, t, m.version, &answer)
                    {
                        m.fed(&answer);
                    }
                }
            }
            Op::ClientPubRel { pid } => {
                let pid = PacketId::new(u16::from(pid % 8) + 1).unwrap_or(PacketId::MIN);
                feed(&mut s, t, m.version, &Packet::pub_rel(pid));
            }
            Op::Subscribe { pid, filters } => {
                let pid = PacketId::new(u16::from(pid % 4) + 1).unwrap_or(PacketId::MIN);
                let list = (0..=filters % 3).filter_map(|i| {
                    TopicFilter::try_from(format!("f/{i}/#").as_str())
                        .ok()
                        .map(|f| (f, SubscriptionOptions::qos(QoS::AtLeastOnce)))
                });
                if let Ok(filters) = SubscribeFilters::try_from_iter(list) {
                    let packet = Packet::Subscribe(Subscribe {
                        pid,
                        properties: Default::default(),
                        filters,
                    });
                    feed(&mut s, t, m.version, &packet);
                }
            }
            Op::Unsubscribe { pid, filters } => {
                let pid = PacketId::new(u16::from(pid % 4) + 1).unwrap_or(PacketId::MIN);
                let list = (0..=filters % 3)
                    .filter_map(|i| TopicFilter::try_from(format!("f/{i}/#").as_str()).ok());
                if let Ok(filters) = UnsubscribeFilters::try_from_iter(list) {
                    let packet = Packet::Unsubscribe(Unsubscribe {
                        pid,
                        properties: Default::default(),
                        filters,
                    });
                    feed(&mut s, t, m.version, &packet);
                }
            }
            Op::Answered {
                which,
                code,
                wrong_count,
            } => {
                if !requests.is_empty() {
                    let (pid, subscribe, count) =
                        requests.remove(usize::from(which) % requests.len());
                    let n = count + usize::from(wrong_count);
                    let code = ReasonCode(
                        [0x00, 0x01, 0x02, 0x11, 0x80, 0x87, 0x97][usize::from(code % 7)],
                    );
                    let codes = alloc::vec![code; n];
                    let _ = if subscribe {
                        s.suback(t, pid, codes, Default::default())
                    } else {
                        s.unsuback(t, pid, codes, Default::default())
                    };
                }
            }
            Op::Ack { which, reason } => {
                if !tokens.is_empty() {
                    let token = tokens.remove(usize::from(which) % tokens.len());
                    let reason = [
                        ReasonCode::SUCCESS,
                        ReasonCode::NO_MATCHING_SUBSCRIBERS,
                        ReasonCode::NOT_AUTHORIZED,
                        ReasonCode::KEEP_ALIVE_TIMEOUT,
                    ][usize::from(reason % 4)];
                    let _ = s.ack(t, token, reason, Default::default());
                }
            }
            Op::PingReq => {
                feed(&mut s, t, m.version, &Packet::PingReq);
            }
            Op::ClientDisconnect { reason, expiry } => {
                let mut p = DisconnectProperties::builder();
                if m.version.is_v5() {
                    p.session_expiry_interval = expiry.map(u32::from);
                }
                let reason = if reason % 2 == 0 {
                    ReasonCode::NORMAL_DISCONNECTION
                } else {
                    ReasonCode::DISCONNECT_WITH_WILL
                };
                let packet = Packet::Disconnect(Disconnect {
                    reason_code: reason,
                    properties: p.build().unwrap_or_default(),
                });
                feed(&mut s, t, m.version, &packet);
            }
            Op::Packet => {
                m.tainted = true;
                if let Ok(packet) = crate::arbitrary::packet(&mut u, m.version) {
                    feed(&mut s, t, m.version, &packet);
                }
            }
            Op::Bytes(bytes) => {
                m.tainted = true;
                let mut rx = BytesMut::from(&bytes[..]);
                s.handle_input(t, &mut rx);
            }
            Op::PollEvents(n) => {
                let mut polled = 0;
                for _ in 0..n {
                    let Some(event) = s.poll_event() else {
                        break;
                    };
                    polled += 1;
                    check_event(&event, &mut m);
                    match event {
                        ServerEvent::Publish {
                            ack: Some(token), ..
                        } => tokens.push(token),
                        ServerEvent::Subscribe { subscribe } => {
                            requests.push((subscribe.pid, true, subscribe.filters.len()));
                        }
                        ServerEvent::Unsubscribe { unsubscribe } => {
                            requests.push((unsubscribe.pid, false, unsubscribe.filters.len()));
                        }
                        _ => {}
                    }
                }
                // Events come from the client's packets (reading stops at `max_events`) and
                // from the application's own commands (a message dropped for a newer one, or
                // at transmission).
                let bound = MAX_EVENTS + 2 + commands + MAX_QUEUED + usize::from(MAX_INFLIGHT);
                assert!(polled <= bound, "{polled} events waiting, over {bound}");
                if polled < usize::from(n) {
                    commands = 0;
                }
            }
            Op::Advance(ms) => {
                now += u64::from(ms);
                let t = Instant::from_millis(now);
                s.handle_timeout(t);
                if let Some(next) = s.poll_timeout() {
                    assert!(
                        next > t,
                        "deadline {next:?} not after handle_timeout({t:?})"
                    );
                }
            }
            Op::Close => s.handle_transport_closed(t),
            Op::TakeOver => s.take_over(t),
            Op::ServerDisconnect { reason } => {
                let _ = s.disconnect(
                    t,
                    ReasonCode(reason | 0x80),
                    DisconnectProperties::default(),
                );
            }
            Op::Restart => {
                if let Some(state) = s.take_state() {
                    let bytes = state.export(t);
                    let back = SessionState::import(&bytes, t)
                        .unwrap_or_else(|e| panic!("exported state refused: {e}"));
                    assert_eq!(back.export(t), bytes, "export/import/export differs");
                    stored = Some(back);
                }
                if matches!(s.status(), Status::Closing | Status::Idle) {
                    // Events of the old connection still count.
                    while let Some(event) = s.poll_event() {
                        check_event(&event, &mut m);
                    }
                    s = ServerSession::new(config.clone(), t);
                    m = Monitor::new(false);
                    tokens.clear();
                    requests.clear();
                    commands = 0;
                }
            }
        }
        transmit_and_check(&mut s, &mut m, Instant::from_millis(now));
        assert!(s.queued() <= MAX_QUEUED, "{} queued", s.queued());
        assert!(
            s.inflight() <= usize::from(MAX_INFLIGHT),
            "{} in flight",
            s.inflight()
        );
    }
}

fn auth(reason: ReasonCode, other_method: bool) -> Auth {
    let mut p = AuthProperties::builder();
    p.authentication_method = Some(if other_method { "X" } else { "M" }.into());
    Auth {
        reason_code: reason,
        properties: p.build().unwrap_or_default(),
    }
}

/// Feeds `packet` as the client encodes it; false when it does not encode.
fn feed(s: &mut ServerSession, now: Instant, version: Version, packet: &Packet) -> bool {
    let mut rx = BytesMut::new();
    if Encoder::new(version).encode(packet, &mut rx).is_err() {
        return false;
    }
    s.handle_input(now, &mut rx);
    true
}

/// One `Closed` event per connection, with a will consistent with the way it ended.
fn check_event(event: &ServerEvent, m: &mut Monitor) {
    let ServerEvent::Closed { error, will, .. } = event else {
        return;
    };
    m.closed += 1;
    assert_eq!(m.closed, 1, "a second Closed event");
    let accepted = m.connack == Some(ReasonCode::SUCCESS);
    match (error, will) {
        (_, WillAction::None) => {}
        // [MQTT-3.14.4-3]: only a DISCONNECT 0x00 discards the will.
        (
            ConnectionError::PeerDisconnected {
                reason: ReasonCode::NORMAL_DISCONNECTION,
                ..
            },
            WillAction::Discard,
        ) => {}
        (ConnectionError::PeerDisconnected { reason, .. }, WillAction::Publish { .. }) => {
            assert_ne!(*reason, ReasonCode::NORMAL_DISCONNECTION, "will after 0x00");
        }
        (
            ConnectionError::Refused { .. } | ConnectionError::ConnectTimeout,
            WillAction::Publish { .. } | WillAction::Discard,
        ) => panic!("a will for a connection never accepted"),
        (_, WillAction::Publish { .. }) => {}
        (error, will) => panic!("{will:?} after {error:?}"),
    }
    if !m.tainted && matches!(will, WillAction::Publish { .. }) {
        assert!(m.will && accepted, "a will the CONNECT did not have");
    }
}

fn transmit_and_check(s: &mut ServerSession, m: &mut Monitor, now: Instant) {
    let mut tx = BytesMut::new();
    let n = s.poll_transmit(now, &mut tx);
    assert_eq!(n, tx.len(), "poll_transmit reported a wrong length");
    if n == 0 {
        return;
    }
    m.decoder.set_version(s.version());
    let limits = s.client().cloned();
    let max = match &limits {
        Some(l) => l.maximum_packet_size,
        None if m.tainted => None,
        None => m.connect_max,
    }
    .unwrap_or(crate::MAX_PACKET_SIZE);
    let mut packets = 0;
    while !tx.is_empty() {
        let len = tx.len();
        let packet = match m.decoder.decode(&mut tx) {
            Ok(Some(p)) => p,
            Ok(None) => panic!("the server transmitted a partial packet"),
            Err(e) => panic!("the server transmitted an invalid packet: {e}"),
        };
        packets += 1;
        let size = len - tx.len();
        // [MQTT-3.1.2-24] (5.0)
        assert!(
            size as u64 <= u64::from(max),
            "packet of {size} bytes over the client's maximum {max}"
        );
        assert!(!m.disconnect_sent, "bytes after DISCONNECT");
        assert!(
            m.connack.is_none_or(|c| c.is_success()),
            "bytes after a refusal"
        );
        match &packet {
            Packet::ConnAck(c) => {
                // [MQTT-3.2.0-2]: one CONNACK.
                assert!(m.connack.is_none(), "a second CONNACK");
                m.connack = Some(c.reason_code);
                m.session_present = c.session_present;
            }
            Packet::Auth(_) => {}
            _ => assert!(
                m.connack == Some(ReasonCode::SUCCESS),
                "{:?} before a successful CONNACK",
                packet.packet_type()
            ),
        }
        match &packet {
            Packet::Disconnect(_) => m.disconnect_sent = true,
            Packet::Publish(p) => {
                let Some(limits) = &limits else {
                    panic!("PUBLISH without accepted limits");
                };
                if let Some(alias) = p.properties.topic_alias() {
                    // [MQTT-3.1.2-26] / [MQTT-3.1.2-27]
                    assert!(
                        alias <= limits.topic_alias_maximum,
                        "alias {alias} above the client's {}",
                        limits.topic_alias_maximum
                    );
                    if p.topic.is_empty() {
                        // §3.3.2.3.4, [MQTT-3.3.2-7]
                        assert!(m.aliases_set.contains(&alias), "alias {alias} not set");
                    } else if !m.aliases_set.contains(&alias) {
                        m.aliases_set.push(alias);
                    }
                }
                if p.dup {
                    // [MQTT-3.3.1-1] / [MQTT-4.4.0-1]: a resend needs a resumed session.
                    assert!(m.session_present, "DUP PUBLISH without a resumed session");
                }
                if let Some(pid) = p.qos.pid() {
                    let pid = pid.get();
                    if !m.tainted {
                        if !p.dup {
                            // [MQTT-2.2.1-4]
                            assert!(!m.in_use.contains(&pid), "identifier {pid} reused");
                        }
                        if !m.in_use.contains(&pid) {
                            m.in_use.push(pid);
                        }
                        m.outstanding.push(pid);
                        // [MQTT-3.3.4-9]
                        let window = limits.receive_maximum.min(MAX_INFLIGHT);
                        assert!(
                            m.outstanding.len() <= usize::from(window),
                            "{} outstanding over the window {window}",
                            m.outstanding.len()
                        );
                    }
                    m.to_answer.push(packet.clone());
                }
            }
            Packet::PubRel(a) => {
                if !m.in_use.contains(&a.pid.get()) {
                    m.in_use.push(a.pid.get());
                }
                m.to_answer.push(packet.clone());
            }
            _ => {}
        }
    }
    let bound = MAX_EVENTS + MAX_QUEUED + usize::from(MAX_INFLIGHT) + 4;
    assert!(packets <= bound, "{packets} packets in one transmission");
}

/// The client's answer to `packet`, a failure code when `reason` says so.
fn answer(packet: &Packet, reason: u8, version: Version) -> Option<Packet> {
    let fail = version.is_v5() && reason.is_multiple_of(4);
    let ack = |pid: PacketId, code: ReasonCode| Ack {
        pid,
        reason_code: if fail { code } else { ReasonCode::SUCCESS },
        properties: Default::default(),
    };
    Some(match packet {
        Packet::Publish(p) => match p.qos {
            QosPid::AtLeastOnce(pid) => Packet::PubAck(ack(pid, ReasonCode::UNSPECIFIED_ERROR)),
            QosPid::ExactlyOnce(pid) => Packet::PubRec(ack(pid, ReasonCode::QUOTA_EXCEEDED)),
            QosPid::AtMostOnce => return None,
        },
        Packet::PubRel(a) => Packet::PubComp(ack(a.pid, ReasonCode::PACKET_IDENTIFIER_NOT_FOUND)),
        _ => return None,
    })
}
