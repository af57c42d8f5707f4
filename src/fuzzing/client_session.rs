//! `client_session` target: a [`ClientSession`] driven by an arbitrary sequence of operations:
//! commands, raw bytes and generated packets from the server, plausible server answers (CONNACK
//! with limits, acks for what the client sent), time jumps, closed transports, export/import.
//!
//! Checked after every step, by a monitor that decodes the client's bytes with the codec alone:
//! - every byte the client transmits decodes, as whole packets of the connection's version,
//!   none larger than the server's Maximum Packet Size;
//! - only CONNECT, AUTH and DISCONNECT before CONNACK; nothing after a DISCONNECT;
//! - a new QoS 1/2 PUBLISH (DUP 0) never uses an identifier in flight; a SUBSCRIBE or
//!   UNSUBSCRIBE neither; a resent PUBLISH (DUP 1) uses one that is;
//! - no more QoS 1/2 PUBLISHes outstanding than the server's Receive Maximum;
//! - after `handle_timeout(now)` the next deadline is later than `now` (no busy loop);
//! - the pending queue stays within its bound; `export_state` → `from_state` → `export_state`
//!   gives the same bytes.

use ::arbitrary::{Arbitrary, Unstructured};
use alloc::boxed::Box;
use alloc::format;
use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};

use crate::session::{
    AckMode, AckToken, AliasPolicy, ClientConfig, ClientEvent, ClientSession, Instant, Message,
    Status,
};
use crate::{
    Ack, ConnAck, ConnAckProperties, Connect, ConnectProperties, Decoder, Disconnect, Encoder,
    Packet, PacketId, Publish, QoS, QosPid, ReasonCode, Side, SubAck, Subscribe, SubscribeFilters,
    SubscriptionOptions, TopicFilter, UnsubAck, Unsubscribe, UnsubscribeFilters, Version,
};

#[derive(Debug, Arbitrary)]
enum Op {
    Connect {
        v5: bool,
        clean_start: bool,
        keep_alive: u8,
        receive_maximum: u8,
        topic_alias_maximum: u8,
        session_expiry: bool,
    },
    ConnAck {
        session_present: bool,
        refuse: bool,
        receive_maximum: u8,
        maximum_qos: u8,
        maximum_packet_size: u8,
        server_keep_alive: Option<u8>,
        topic_alias_maximum: u8,
    },
    Publish {
        topic: u8,
        qos: u8,
        retain: bool,
        payload: u8,
    },
    Subscribe {
        topic: u8,
        qos: u8,
    },
    Unsubscribe {
        topic: u8,
    },
    /// The server answers the oldest packet it has not answered.
    Answer {
        reason: u8,
    },
    /// A PUBLISH from the server.
    ServerPublish {
        qos: u8,
        pid: u8,
        alias: Option<u8>,
        empty_topic: bool,
        dup: bool,
    },
    ServerPubRel {
        pid: u8,
    },
    PingResp,
    ServerDisconnect,
    /// A generated packet of any kind.
    Packet,
    /// Raw bytes.
    Bytes(Vec<u8>),
    Ack {
        which: u8,
        reason: u8,
    },
    PollEvents(u8),
    Transmit,
    Advance(u16),
    Close,
    Disconnect,
    Restart,
}

/// What the monitor knows of the connection, from the client's own bytes.
#[derive(Default)]
struct Monitor {
    decoder: Option<Decoder>,
    connack_seen: bool,
    disconnect_sent: bool,
    receive_maximum: u16,
    max_packet_size: u32,
    /// The server's Topic Alias Maximum, and the aliases the client set on this connection.
    alias_max: u16,
    aliases_set: Vec<u16>,
    /// Identifiers the client used on this connection (QoS 1/2 PUBLISH, SUBSCRIBE, UNSUBSCRIBE)
    /// and the server has not completed.
    in_use: Vec<u16>,
    /// The CONNACK said Session Present 1: resends (DUP 1) are allowed.
    session_present: bool,
    /// Raw bytes or generated packets were fed: the monitor no longer knows which acks the
    /// client processed, so it stops checking identifiers and the Receive Maximum.
    tainted: bool,
    /// QoS 1/2 PUBLISHes outstanding on this connection (for the Receive Maximum).
    outstanding: Vec<u16>,
    /// Packets the server has yet to answer, oldest first.
    to_answer: Vec<Packet>,
}

/// Body of the `client_session` target.
pub fn client_session(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let manual = bool::arbitrary(&mut u).unwrap_or(false);
    let alias_max = u8::arbitrary(&mut u).unwrap_or(0) % 4;
    let config = ClientConfig::default()
        .outbound_aliases(if alias_max == 0 {
            AliasPolicy::Off
        } else {
            AliasPolicy::Lru {
                max: u16::from(alias_max),
            }
        })
        .ack_mode(if manual {
            AckMode::Manual
        } else {
            AckMode::Auto
        })
        .max_pending(16)
        .max_inflight(8)
        .max_events(8);
    let mut s = ClientSession::new(config.clone());
    let mut m = Monitor::default();
    let mut now = 0u64;
    let mut tokens: Vec<AckToken> = Vec::new();
    let mut version = Version::V5;
    let mut steps = 0;
    while let Ok(op) = Op::arbitrary(&mut u) {
        steps += 1;
        if steps > 256 {
            break;
        }
        let t = Instant::from_millis(now);
        match op {
            Op::Connect {
                v5,
                clean_start,
                keep_alive,
                receive_maximum,
                topic_alias_maximum,
                session_expiry,
            } => {
                let v = if v5 { Version::V5 } else { Version::V3_1_1 };
                let mut connect = Connect::new(v, "fuzz".into(), u16::from(keep_alive % 8));
                connect.clean_start = clean_start;
                if v5 {
                    let mut p = ConnectProperties::builder();
                    p.receive_maximum = Some(u16::from(receive_maximum % 4) + 1);
                    p.topic_alias_maximum = Some(u16::from(topic_alias_maximum % 4));
                    p.session_expiry_interval = session_expiry.then_some(60);
                    p.maximum_packet_size = Some(4096);
                    if let Ok(p) = p.build() {
                        connect.properties = p;
                    }
                }
                if s.connect(t, connect).is_ok() {
                    version = v;
                    m = Monitor {
                        decoder: Some(Decoder::new(v).receiving_from(Side::Client)),
                        receive_maximum: u16::MAX,
                        max_packet_size: crate::MAX_PACKET_SIZE,
                        tainted: m.tainted,
                        ..Monitor::default()
                    };
                }
            }
            Op::ConnAck {
                session_present,
                refuse,
                receive_maximum,
                maximum_qos,
                maximum_packet_size,
                server_keep_alive,
                topic_alias_maximum,
            } => {
                let mut p = ConnAckProperties::builder();
                if version.is_v5() {
                    p.receive_maximum = Some(u16::from(receive_maximum % 4) + 1);
                    p.maximum_qos = match maximum_qos % 3 {
                        0 => Some(QoS::AtMostOnce),
                        1 => Some(QoS::AtLeastOnce),
                        _ => None,
                    };
                    p.maximum_packet_size = Some(64 + u32::from(maximum_packet_size));
                    p.server_keep_alive = server_keep_alive.map(|k| u16::from(k % 8));
                    p.topic_alias_maximum = Some(u16::from(topic_alias_maximum % 3));
                }
                let reason = if refuse {
                    ReasonCode::NOT_AUTHORIZED
                } else {
                    ReasonCode::SUCCESS
                };
                let connack = ConnAck {
                    session_present: session_present && !refuse,
                    reason_code: reason,
                    properties: p.build().unwrap_or_default(),
                };
                if !refuse && s.status() == Status::Connecting {
                    m.receive_maximum = connack.properties.receive_maximum().unwrap_or(u16::MAX);
                    m.max_packet_size = connack
                        .properties
                        .maximum_packet_size()
                        .unwrap_or(crate::MAX_PACKET_SIZE);
                    m.connack_seen = true;
                    m.session_present = session_present;
                    m.alias_max = connack.properties.topic_alias_maximum().unwrap_or(0);
                }
                feed(&mut s, t, version, &Packet::ConnAck(Box::new(connack)));
            }
            Op::Publish {
                topic,
                qos,
                retain,
                payload,
            } => {
                let name = format!("t/{}", topic % 4);
                if let Ok(topic) = name.as_str().try_into() {
                    let msg =
                        Message::new(topic, Bytes::from(alloc::vec![0u8; usize::from(payload)]))
                            .qos(QoS::from_bits(qos % 3).unwrap_or_default())
                            .retain(retain);
                    let _ = s.publish(t, msg);
                }
            }
            Op::Subscribe { topic, qos } => {
                let name = format!("t/{}", if topic % 2 == 0 { "+" } else { "#" });
                if let Ok(filter) = TopicFilter::try_from(name.as_str()) {
                    let options =
                        SubscriptionOptions::qos(QoS::from_bits(qos % 3).unwrap_or_default());
                    let _ = s.subscribe(
                        t,
                        SubscribeFilters::new(filter, options),
                        Default::default(),
                    );
                }
            }
            Op::Unsubscribe { topic } => {
                let name = format!("t/{}", topic % 4);
                if let Ok(filter) = TopicFilter::try_from(name.as_str()) {
                    let _ = s.unsubscribe(t, UnsubscribeFilters::new(filter), Default::default());
                }
            }
            Op::Answer { reason } => {
                if !m.to_answer.is_empty() {
                    let packet = m.to_answer.remove(0);
                    if let Some(answer) = answer(&packet, reason, version) {
                        if s.status() == Status::Connected {
                            m.completed_by(&answer);
                        }
                        feed(&mut s, t, version, &answer);
                    }
                }
            }
            Op::ServerPublish {
                qos,
                pid,
                alias,
                empty_topic,
                dup,
            } => {
                let topic = if empty_topic && alias.is_some() {
                    crate::TopicName::empty_for_alias()
                } else {
                    crate::TopicName::from_static("in/x")
                        .unwrap_or_else(|_| crate::TopicName::empty_for_alias())
                };
                let mut publish = Publish::new(topic, Bytes::from_static(b"m"));
                let pid = PacketId::new(u16::from(pid % 8) + 1).unwrap_or(PacketId::MIN);
                publish.qos = match qos % 3 {
                    0 => QosPid::AtMostOnce,
                    1 => QosPid::AtLeastOnce(pid),
                    _ => QosPid::ExactlyOnce(pid),
                };
                publish.dup = dup && qos % 3 != 0;
                if let (Some(a), true) = (alias, version.is_v5())
                    && let Ok(p) = publish
                        .properties
                        .edit()
                        .topic_alias(Some(u16::from(a % 5) + 1))
                        .build()
                {
                    publish.properties = p;
                }
                feed(&mut s, t, version, &Packet::Publish(publish));
            }
            Op::ServerPubRel { pid } => {
                let pid = PacketId::new(u16::from(pid % 8) + 1).unwrap_or(PacketId::MIN);
                feed(&mut s, t, version, &Packet::pub_rel(pid));
            }
            Op::PingResp => feed(&mut s, t, version, &Packet::PingResp),
            Op::ServerDisconnect => {
                feed(
                    &mut s,
                    t,
                    version,
                    &Packet::disconnect_with(ReasonCode::SERVER_BUSY),
                );
            }
            Op::Packet => {
                m.tainted = true;
                if let Ok(packet) = crate::arbitrary::packet(&mut u, version) {
                    feed(&mut s, t, version, &packet);
                }
            }
            Op::Bytes(bytes) => {
                m.tainted = true;
                let mut rx = BytesMut::from(&bytes[..]);
                s.handle_input(t, &mut rx);
            }
            Op::Ack { which, reason } => {
                if !tokens.is_empty() {
                    let token = tokens.remove(usize::from(which) % tokens.len());
                    let reason = if reason % 4 == 0 {
                        ReasonCode::UNSPECIFIED_ERROR
                    } else {
                        ReasonCode::SUCCESS
                    };
                    let _ = s.ack(t, token, reason, Default::default());
                }
            }
            Op::PollEvents(n) => {
                for _ in 0..n {
                    match s.poll_event() {
                        Some(ClientEvent::Message {
                            ack: Some(token), ..
                        }) => tokens.push(token),
                        Some(_) => {}
                        None => break,
                    }
                }
            }
            Op::Transmit => {}
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
            Op::Close => {
                s.handle_transport_closed(t);
                m.decoder = None;
            }
            Op::Disconnect => {
                let _ = s.disconnect(t, Disconnect::default());
            }
            Op::Restart => {
                let state = s.export_state();
                let restored = ClientSession::from_state(config.clone(), &state)
                    .unwrap_or_else(|e| panic!("exported state refused: {e}"));
                assert_eq!(
                    restored.export_state(),
                    state,
                    "export/import/export differs"
                );
                if s.status() == Status::Idle {
                    s = restored;
                }
            }
        }
        transmit_and_check(&mut s, &mut m, Instant::from_millis(now));
        // Messages held: at most max_pending accepted and max_inflight in flight (a lost
        // session moves in-flight QoS 1 messages back to the pending queue).
        assert!(
            s.pending() + s.inflight() <= 16 + 8,
            "messages held over their bound"
        );
        assert!(s.inflight() <= 8, "in flight over max_inflight");
    }
}

fn feed(s: &mut ClientSession, now: Instant, version: Version, packet: &Packet) {
    let mut rx = BytesMut::new();
    if Encoder::new(version).encode(packet, &mut rx).is_ok() {
        s.handle_input(now, &mut rx);
    }
}

fn transmit_and_check(s: &mut ClientSession, m: &mut Monitor, now: Instant) {
    let mut tx = BytesMut::new();
    let n = s.poll_transmit(now, &mut tx);
    assert_eq!(n, tx.len(), "poll_transmit reported a wrong length");
    if n == 0 {
        return;
    }
    if m.tainted {
        // A CONNACK may have come in the raw bytes: take the limits the session read.
        if let Some(n) = s.negotiated() {
            m.connack_seen = true;
            m.session_present |= n.session_present;
            m.max_packet_size = n.maximum_packet_size.unwrap_or(crate::MAX_PACKET_SIZE);
            m.alias_max = n.topic_alias_maximum;
        }
    }
    let Some(decoder) = m.decoder.as_mut() else {
        panic!("bytes transmitted without a connection");
    };
    assert!(!m.disconnect_sent, "bytes after DISCONNECT");
    while !tx.is_empty() {
        let len = tx.len();
        let packet = match decoder.decode(&mut tx) {
            Ok(Some(p)) => p,
            Ok(None) => panic!("the client transmitted a partial packet"),
            Err(e) => panic!("the client transmitted an invalid packet: {e}"),
        };
        let size = len - tx.len();
        assert!(
            size as u64 <= u64::from(m.max_packet_size),
            "packet of {size} bytes over the server's maximum {}",
            m.max_packet_size
        );
        if !m.connack_seen {
            // [MQTT-3.1.2-30]: CONNECT, then only AUTH or DISCONNECT until CONNACK.
            assert!(
                matches!(
                    packet,
                    Packet::Connect(_) | Packet::Auth(_) | Packet::Disconnect(_)
                ),
                "{:?} before CONNACK",
                packet.packet_type()
            );
        }
        match &packet {
            Packet::Publish(p) => {
                if let Some(alias) = p.properties.topic_alias() {
                    // [MQTT-3.2.2-17] / [MQTT-3.2.2-18]
                    assert!(
                        alias <= m.alias_max,
                        "alias {alias} above the server's {}",
                        m.alias_max
                    );
                    if p.topic.is_empty() {
                        // §3.3.2.3.4, [MQTT-3.3.2-7]: set earlier on this connection.
                        assert!(
                            m.aliases_set.contains(&alias),
                            "alias {alias} used before set"
                        );
                    } else if !m.aliases_set.contains(&alias) {
                        m.aliases_set.push(alias);
                    }
                }
                if let Some(pid) = p.qos.pid() {
                    let pid = pid.get();
                    if p.dup {
                        // [MQTT-3.3.1-1]: DUP 1 only on a resend, which only a resumed session
                        // has ([MQTT-4.4.0-1]).
                        assert!(m.session_present, "DUP PUBLISH without a resumed session");
                    }
                    if !m.tainted {
                        // [MQTT-2.2.1-3]: never an identifier in flight.
                        assert!(
                            !m.in_use.contains(&pid),
                            "PUBLISH reuses identifier {pid} in flight"
                        );
                        m.in_use.push(pid);
                        m.outstanding.push(pid);
                        // [MQTT-3.3.4-7]
                        assert!(
                            m.outstanding.len() <= usize::from(m.receive_maximum),
                            "Receive Maximum {} exceeded",
                            m.receive_maximum
                        );
                    }
                    m.to_answer.push(packet.clone());
                }
            }
            Packet::Subscribe(Subscribe { pid, .. })
            | Packet::Unsubscribe(Unsubscribe { pid, .. }) => {
                let pid = pid.get();
                if !m.tainted {
                    assert!(
                        !m.in_use.contains(&pid),
                        "request reuses identifier {pid} in flight"
                    );
                    m.in_use.push(pid);
                }
                m.to_answer.push(packet.clone());
            }
            Packet::PubRel(_) => m.to_answer.push(packet.clone()),
            Packet::Disconnect(_) => m.disconnect_sent = true,
            _ => {}
        }
    }
}

impl Monitor {
    /// The server's `answer` completes a flow: its identifier is free again, and for a PUBLISH
    /// the Receive Maximum has room again (PUBACK, PUBCOMP, PUBREC 0x80 or more).
    fn completed_by(&mut self, answer: &Packet) {
        let (pid, publish_done, id_free) = match answer {
            Packet::PubAck(a) | Packet::PubComp(a) => (a.pid, true, true),
            Packet::PubRec(a) => {
                let done = !a.reason_code.is_success();
                (a.pid, done, done)
            }
            Packet::SubAck(a) => (a.pid, false, true),
            Packet::UnsubAck(a) => (a.pid, false, true),
            _ => return,
        };
        if publish_done {
            self.outstanding.retain(|p| *p != pid.get());
        }
        if id_free {
            self.in_use.retain(|p| *p != pid.get());
        }
    }
}

/// The server's answer to `packet`, with a failure code when `reason` says so; the monitor
/// frees the identifiers the answer completes.
fn answer(packet: &Packet, reason: u8, version: Version) -> Option<Packet> {
    let fail = version.is_v5() && reason.is_multiple_of(5);
    let ack = |pid: PacketId, code: ReasonCode| Ack {
        pid,
        reason_code: if fail { code } else { ReasonCode::SUCCESS },
        properties: Default::default(),
    };
    Some(match packet {
        Packet::Publish(p) => match p.qos {
            QosPid::AtLeastOnce(pid) => Packet::PubAck(ack(pid, ReasonCode::QUOTA_EXCEEDED)),
            QosPid::ExactlyOnce(pid) => Packet::PubRec(ack(pid, ReasonCode::QUOTA_EXCEEDED)),
            QosPid::AtMostOnce => return None,
        },
        Packet::PubRel(a) => Packet::PubComp(ack(a.pid, ReasonCode::PACKET_IDENTIFIER_NOT_FOUND)),
        Packet::Subscribe(sub) => Packet::SubAck(SubAck {
            pid: sub.pid,
            properties: Default::default(),
            reason_codes: sub
                .filters
                .iter()
                .map(|_| ReasonCode::GRANTED_QOS_1)
                .collect(),
        }),
        Packet::Unsubscribe(unsub) => Packet::UnsubAck(UnsubAck {
            pid: unsub.pid,
            properties: Default::default(),
            reason_codes: if version.is_v5() {
                unsub.filters.iter().map(|_| ReasonCode::SUCCESS).collect()
            } else {
                Vec::new()
            },
        }),
        _ => return None,
    })
}
