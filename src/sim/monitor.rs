//! The wire monitor: both directions of one link decoded with the codec alone, and the rules of
//! the wire checked on what each side sent, independently of the session code.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::{BytesMut, Decoder, Packet, QoS, Side, Version};

/// What one side announced about itself.
#[derive(Debug, Clone, Copy)]
struct Limits {
    receive_maximum: u16,
    maximum_packet_size: u32,
    topic_alias_maximum: u16,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            receive_maximum: u16::MAX,
            maximum_packet_size: crate::MAX_PACKET_SIZE,
            topic_alias_maximum: 0,
        }
    }
}

/// One direction of a link.
#[derive(Debug)]
struct Direction {
    decoder: Option<Decoder>,
    buf: BytesMut,
    packets: u64,
    /// A DISCONNECT went this way: nothing may follow.
    disconnected: bool,
    /// QoS 1/2 PUBLISH identifiers this side sent and the peer has not completed.
    inflight: Vec<u16>,
    /// Aliases this side set on this link.
    aliases: Vec<u16>,
    /// QoS 1 PUBLISHes this side received, in order, waiting for this side's PUBACK.
    to_ack: VecDeque<u16>,
}

impl Direction {
    fn new(decoder: Option<Decoder>) -> Direction {
        Direction {
            decoder,
            buf: BytesMut::new(),
            packets: 0,
            disconnected: false,
            inflight: Vec::new(),
            aliases: Vec::new(),
            to_ack: VecDeque::new(),
        }
    }
}

/// The monitor of one network connection between a client and the broker.
#[derive(Debug)]
pub(crate) struct LinkMonitor {
    c2s: Direction,
    s2c: Direction,
    client: Limits,
    server: Limits,
    keep_alive: u16,
    connack_ok: bool,
    /// When the client took the CONNACK (its keep-alive duty starts there).
    client_connected: Option<u64>,
    last_client_send: Option<u64>,
    /// CONNACKs with reason 0x00 the broker sent on this link (0 or 1).
    pub(crate) accepted: bool,
    /// The link's client identifier from its CONNECT.
    pub(crate) client_id: String,
    /// A payload to trace, and what was seen of it.
    pub(crate) watch: Option<Vec<u8>>,
    pub(crate) seen: Vec<String>,
}

impl LinkMonitor {
    pub(crate) fn new() -> LinkMonitor {
        LinkMonitor {
            c2s: Direction::new(Some(Decoder::new(Version::V5).receiving_from(Side::Client))),
            s2c: Direction::new(None),
            client: Limits::default(),
            server: Limits::default(),
            keep_alive: 0,
            connack_ok: false,
            client_connected: None,
            last_client_send: None,
            accepted: false,
            client_id: String::new(),
            watch: None,
            seen: Vec::new(),
        }
    }

    /// The client took the CONNACK at `now`: from here it may not stay silent longer than its
    /// keep alive.
    pub(crate) fn connected(&mut self, now: u64) {
        self.client_connected = Some(now);
    }

    /// Bytes the client transmitted at `now` (ms).
    pub(crate) fn client_sent(&mut self, now: u64, bytes: &[u8]) -> Result<(), String> {
        if bytes.is_empty() {
            return Ok(());
        }
        if self.connack_ok
            && self.keep_alive > 0
            && let (Some(last), Some(since)) = (self.last_client_send, self.client_connected)
        {
            // [MQTT-3.1.2-20] / [MQTT-3.1.2-23]: never a keep-alive period without sending.
            let gap = now - last.max(since);
            if gap > u64::from(self.keep_alive) * 1000 + 1 {
                return Err(format!(
                    "the client was silent for {gap} ms with keep alive {} s",
                    self.keep_alive
                ));
            }
        }
        self.last_client_send = Some(now);
        self.c2s.buf.extend_from_slice(bytes);
        loop {
            let Some(decoder) = &mut self.c2s.decoder else {
                return Ok(());
            };
            let before = self.c2s.buf.len();
            let packet = match decoder.decode(&mut self.c2s.buf) {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(()),
                Err(e) => return Err(format!("the client sent an invalid packet: {e}")),
            };
            let size = before - self.c2s.buf.len();
            self.client_packet(packet, size)?;
        }
    }

    fn client_packet(&mut self, packet: Packet, size: usize) -> Result<(), String> {
        let first = self.c2s.packets == 0;
        self.c2s.packets += 1;
        if self.c2s.disconnected {
            return Err("the client sent a packet after DISCONNECT".into());
        }
        if first != matches!(packet, Packet::Connect(_)) {
            return Err("[MQTT-3.1.0-1]/[MQTT-3.1.0-2] CONNECT not exactly first".into());
        }
        if self.connack_ok && size as u64 > u64::from(self.server.maximum_packet_size) {
            return Err(format!(
                "the client sent {size} bytes over the broker's maximum"
            ));
        }
        match packet {
            Packet::Connect(c) => {
                let p = &c.properties;
                self.client = Limits {
                    receive_maximum: p.receive_maximum().unwrap_or(u16::MAX),
                    maximum_packet_size: p.maximum_packet_size().unwrap_or(crate::MAX_PACKET_SIZE),
                    topic_alias_maximum: p.topic_alias_maximum().unwrap_or(0),
                };
                self.keep_alive = c.keep_alive;
                self.client_id = String::from(&*c.client_id);
                self.s2c.decoder = Some(Decoder::new(c.protocol).receiving_from(Side::Server));
            }
            Packet::Publish(p) => {
                if self.watch.as_deref() == Some(&p.payload[..]) {
                    self.seen
                        .push(format!("client sent {:?} dup={}", p.qos, p.dup));
                }
                let limits = self.server;
                publish_sent(&mut self.c2s, &mut self.s2c, &p, limits, "client")?;
            }
            Packet::PubAck(a) => puback(&mut self.c2s, &mut self.s2c, a.pid.get(), "client")?,
            Packet::PubRec(a) if !a.reason_code.is_success() => {
                self.s2c.inflight.retain(|&p| p != a.pid.get());
            }
            Packet::PubComp(a) => self.s2c.inflight.retain(|&p| p != a.pid.get()),
            Packet::Disconnect(_) => self.c2s.disconnected = true,
            _ => {}
        }
        Ok(())
    }

    /// Bytes the broker transmitted.
    pub(crate) fn server_sent(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.s2c.buf.extend_from_slice(bytes);
        loop {
            let Some(decoder) = &mut self.s2c.decoder else {
                return Err("the broker sent bytes before a CONNECT".into());
            };
            let before = self.s2c.buf.len();
            let packet = match decoder.decode(&mut self.s2c.buf) {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(()),
                Err(e) => return Err(format!("the broker sent an invalid packet: {e}")),
            };
            let size = before - self.s2c.buf.len();
            self.server_packet(packet, size)?;
        }
    }

    fn server_packet(&mut self, packet: Packet, size: usize) -> Result<(), String> {
        let first = self.s2c.packets == 0;
        self.s2c.packets += 1;
        if self.s2c.disconnected {
            return Err("the broker sent a packet after DISCONNECT".into());
        }
        if first && !matches!(packet, Packet::ConnAck(_) | Packet::Auth(_)) {
            return Err("[MQTT-3.2.0-1] the broker's first packet is not CONNACK".into());
        }
        if size as u64 > u64::from(self.client.maximum_packet_size) {
            // [MQTT-3.1.2-24]
            return Err(format!(
                "the broker sent {size} bytes over the client's maximum"
            ));
        }
        match packet {
            Packet::ConnAck(c) => {
                if !first {
                    return Err("[MQTT-3.2.0-2] a second CONNACK".into());
                }
                if c.reason_code.is_success() {
                    self.connack_ok = true;
                    self.accepted = true;
                    let p = &c.properties;
                    self.server = Limits {
                        receive_maximum: p.receive_maximum().unwrap_or(u16::MAX),
                        maximum_packet_size: p
                            .maximum_packet_size()
                            .unwrap_or(crate::MAX_PACKET_SIZE),
                        topic_alias_maximum: p.topic_alias_maximum().unwrap_or(0),
                    };
                    if let Some(k) = p.server_keep_alive() {
                        self.keep_alive = k;
                    }
                }
            }
            Packet::Publish(p) => {
                if self.watch.as_deref() == Some(&p.payload[..]) {
                    self.seen
                        .push(format!("broker sent {:?} dup={}", p.qos, p.dup));
                }
                let limits = self.client;
                publish_sent(&mut self.s2c, &mut self.c2s, &p, limits, "broker")?;
            }
            Packet::PubAck(a) => puback(&mut self.s2c, &mut self.c2s, a.pid.get(), "broker")?,
            Packet::PubRec(a) if !a.reason_code.is_success() => {
                self.c2s.inflight.retain(|&p| p != a.pid.get());
            }
            Packet::PubComp(a) => self.c2s.inflight.retain(|&p| p != a.pid.get()),
            Packet::Disconnect(_) => self.s2c.disconnected = true,
            _ => {}
        }
        Ok(())
    }
}

/// A PUBLISH `from` sent to a peer with `peer` limits; `to` is the other direction.
fn publish_sent(
    from: &mut Direction,
    to: &mut Direction,
    p: &crate::Publish,
    peer: Limits,
    who: &str,
) -> Result<(), String> {
    if let Some(alias) = p.properties.topic_alias() {
        if alias > peer.topic_alias_maximum {
            return Err(format!(
                "the {who} used alias {alias} above the peer's maximum"
            ));
        }
        if p.topic.is_empty() && !from.aliases.contains(&alias) {
            return Err(format!(
                "the {who} used alias {alias} before setting it on this link"
            ));
        }
        if !p.topic.is_empty() && !from.aliases.contains(&alias) {
            from.aliases.push(alias);
        }
    }
    let Some(pid) = p.qos.pid().map(crate::PacketId::get) else {
        if p.dup {
            return Err(format!("the {who} sent DUP 1 on QoS 0"));
        }
        return Ok(());
    };
    if from.inflight.contains(&pid) {
        if !p.dup {
            // [MQTT-2.2.1-3] / [MQTT-4.3.2-1]: a new message with an identifier in flight.
            return Err(format!(
                "the {who} reused packet identifier {pid} while in flight"
            ));
        }
    } else {
        from.inflight.push(pid);
    }
    if from.inflight.len() > usize::from(peer.receive_maximum) {
        // [MQTT-3.3.4-7] / [MQTT-3.3.4-9]
        return Err(format!(
            "the {who} has {} QoS 1/2 PUBLISHes outstanding, the peer's Receive Maximum is {}",
            from.inflight.len(),
            peer.receive_maximum
        ));
    }
    if p.qos.qos() == QoS::AtLeastOnce {
        to.to_ack.push_back(pid);
    }
    Ok(())
}

/// A PUBACK `from` one side for `pid`, a QoS 1 PUBLISH the `other` side sent.
fn puback(from: &mut Direction, other: &mut Direction, pid: u16, who: &str) -> Result<(), String> {
    other.inflight.retain(|&p| p != pid);
    // [MQTT-4.6.0-2]: PUBACKs in the order the QoS 1 PUBLISHes arrived.
    if let Some(pos) = from.to_ack.iter().position(|&p| p == pid) {
        if pos != 0 {
            return Err(format!(
                "the {who} acknowledged {pid} before an earlier QoS 1 message"
            ));
        }
        from.to_ack.pop_front();
    }
    Ok(())
}
