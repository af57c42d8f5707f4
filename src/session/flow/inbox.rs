//! The receiver's half of the QoS flows, the same for a client and a server: QoS 2 exactly
//! once, acknowledgements in arrival order, our Receive Maximum, and inbound topic aliases.

use alloc::collections::VecDeque;
use core::num::NonZeroU64;

use super::alias::InboundAliases;
use crate::session::AckToken;
use crate::session::ids::PidSet;
use crate::{Ack, AckProperties, Packet, PacketId, Publish, QoS, QosPid, ReasonCode, Side};

/// Messages this side receives. `qos2` is session state; the rest belongs to one network
/// connection and is reset by [`Inbox::start_connection`].
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    /// QoS 2 identifiers delivered to the application (or being), PUBREL not received.
    pub(crate) qos2: PidSet,

    /// The connection the tokens name.
    connection: u64,
    /// Received QoS 1/2 PUBLISHes in arrival order, until their PUBACK/PUBREC is queued.
    acks: VecDeque<InboundAck>,
    /// The sequence number of the last message, 0 before the first.
    next_seq: u64,
    /// QoS 2 identifiers received on this connection and not completed (they count against our
    /// Receive Maximum with the QoS 1 entries of `acks`).
    qos2_here: PidSet,
    /// Our Receive Maximum on this connection.
    receive_maximum: u16,
    aliases: InboundAliases,
    /// This side is the server.
    server: bool,
}

#[derive(Debug)]
struct InboundAck {
    seq: NonZeroU64,
    pid: PacketId,
    qos: QoS,
    /// The acknowledgement to send, once the application gave it.
    reply: Option<(ReasonCode, AckProperties)>,
}

/// What a received PUBLISH is.
#[derive(Debug)]
pub(crate) enum Received {
    /// A message for the application; QoS 1/2 ones carry the token that acknowledges them.
    Deliver(Publish, Option<AckToken>),
    /// A repeated QoS 2 message before PUBREL: answered with PUBREC again, not delivered
    /// ([MQTT-4.3.3-10]).
    Repeat,
    /// The peer broke a rule: the reason code for its DISCONNECT and the rule.
    Violation(ReasonCode, &'static str),
}

impl Inbox {
    /// Releases the memory of the empty queues and sets.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.qos2.shrink_to_fit();
        self.qos2_here.shrink_to_fit();
        if self.acks.is_empty() {
            self.acks = VecDeque::new();
        }
    }

    /// A new network connection `connection`, on which this side announced `receive_maximum`
    /// and `alias_maximum`; `receiver` is this side.
    pub(crate) fn start_connection(
        &mut self,
        connection: u64,
        receive_maximum: u16,
        alias_maximum: u16,
        receiver: Side,
    ) {
        self.connection = connection;
        self.acks.clear();
        self.next_seq = 0;
        self.qos2_here.clear();
        self.receive_maximum = receive_maximum;
        self.aliases = InboundAliases::new(alias_maximum, receiver);
        self.server = receiver == Side::Server;
    }

    /// The connection ended: acknowledgements not sent are dropped (the peer sends the
    /// messages again if the session resumes).
    pub(crate) fn end_connection(&mut self) {
        self.acks.clear();
    }

    /// Forgets the session's QoS 2 identifiers.
    pub(crate) fn discard(&mut self) {
        self.qos2.clear();
        self.qos2_here.clear();
    }

    pub(crate) fn holds_state(&self) -> bool {
        self.qos2.len() > 0
    }

    /// Takes a PUBLISH: resolves its alias, applies QoS 2 exactly once and our Receive
    /// Maximum, and queues its place in the acknowledgement order.
    pub(crate) fn on_publish(
        &mut self,
        mut publish: Publish,
        v5: bool,
        control: &mut VecDeque<Packet>,
    ) -> Received {
        if let Err((reason, rule)) = self.aliases.resolve(&mut publish) {
            return Received::Violation(reason, rule);
        }
        let (pid, qos) = match publish.qos {
            QosPid::AtMostOnce => return Received::Deliver(publish, None),
            QosPid::AtLeastOnce(pid) => (pid, QoS::AtLeastOnce),
            QosPid::ExactlyOnce(pid) => (pid, QoS::ExactlyOnce),
        };
        if qos == QoS::ExactlyOnce && self.qos2.contains(pid) {
            // [MQTT-4.3.3-10]: a repeat before PUBREL is answered PUBREC again, never delivered
            // twice. It joins the ack queue so acks keep arrival order, unless a PUBREC for the
            // identifier is still queued there (the first copy's, waiting for the application
            // or for the acks before it): that PUBREC, with the application's reason code,
            // answers both, so the peer never hears 0x80 and 0x00 for one message.
            if !self
                .acks
                .iter()
                .any(|a| a.pid == pid && a.qos == QoS::ExactlyOnce)
            {
                let seq = self.next_seq();
                self.acks.push_back(InboundAck {
                    seq,
                    pid,
                    qos,
                    reply: Some((ReasonCode::SUCCESS, AckProperties::default())),
                });
                self.release(v5, control);
            }
            return Received::Repeat;
        }
        let unacked = self
            .acks
            .iter()
            .filter(|a| a.qos == QoS::AtLeastOnce)
            .count()
            + self.qos2_here.len();
        if unacked >= usize::from(self.receive_maximum) {
            // [MQTT-3.3.4-7] (from a client) / [MQTT-3.3.4-9] (from a server): more QoS 1/2
            // PUBLISHes than our Receive Maximum.
            let rule = if self.server {
                "[MQTT-3.3.4-7] Receive Maximum exceeded"
            } else {
                "[MQTT-3.3.4-9] Receive Maximum exceeded"
            };
            return Received::Violation(ReasonCode::RECEIVE_MAXIMUM_EXCEEDED, rule);
        }
        if qos == QoS::ExactlyOnce {
            self.qos2.insert(pid);
            self.qos2_here.insert(pid);
        }
        let seq = self.next_seq();
        self.acks.push_back(InboundAck {
            seq,
            pid,
            qos,
            reply: None,
        });
        let token = AckToken {
            connection: self.connection,
            seq,
        };
        Received::Deliver(publish, Some(token))
    }

    /// 1 for the first message of the connection, then 2, 3, ...
    fn next_seq(&mut self) -> NonZeroU64 {
        self.next_seq = self.next_seq.saturating_add(1);
        NonZeroU64::new(self.next_seq).unwrap_or(NonZeroU64::MAX)
    }

    /// The packet type `token`'s message is acknowledged with, if it waits for one.
    pub(crate) fn ack_type(&self, token: AckToken) -> Option<crate::PacketType> {
        if token.connection != self.connection {
            return None;
        }
        let entry = self
            .acks
            .iter()
            .find(|a| a.seq == token.seq && a.reply.is_none())?;
        Some(match entry.qos {
            QoS::ExactlyOnce => crate::PacketType::PubRec,
            _ => crate::PacketType::PubAck,
        })
    }

    /// Records the application's acknowledgement for `token` and queues every acknowledgement
    /// whose turn has come. False when the token names no message waiting for one.
    pub(crate) fn reply(
        &mut self,
        token: AckToken,
        reason: ReasonCode,
        properties: AckProperties,
        v5: bool,
        control: &mut VecDeque<Packet>,
    ) -> bool {
        if token.connection != self.connection {
            return false;
        }
        let Some(entry) = self
            .acks
            .iter_mut()
            .find(|a| a.seq == token.seq && a.reply.is_none())
        else {
            return false;
        };
        entry.reply = Some((reason, properties));
        self.release(v5, control);
        true
    }

    /// Moves acknowledgements whose turn has come to `control`: the front of the ack queue,
    /// while the application has answered ([MQTT-4.6.0-2], [MQTT-4.6.0-3]).
    fn release(&mut self, v5: bool, control: &mut VecDeque<Packet>) {
        while self.acks.front().is_some_and(|a| a.reply.is_some()) {
            let Some(InboundAck {
                pid, qos, reply, ..
            }) = self.acks.pop_front()
            else {
                break;
            };
            let (reason, properties) = match reply {
                Some(reply) if v5 => reply,
                // 3.1.1 acks carry no reason code: a refusal is still acknowledged.
                _ => (ReasonCode::SUCCESS, AckProperties::default()),
            };
            let ack = Ack {
                pid,
                reason_code: reason,
                properties,
            };
            if qos == QoS::ExactlyOnce {
                if !reason.is_success() {
                    // [MQTT-4.3.3-9]: after a PUBREC of 0x80 or more the identifier is free.
                    self.qos2.remove(pid);
                    self.qos2_here.remove(pid);
                }
                control.push_back(Packet::PubRec(ack));
            } else {
                control.push_back(Packet::PubAck(ack));
            }
        }
    }

    /// PUBREL: the PUBCOMP to send ([MQTT-4.3.3-11]: the same identifier; 0x92 when it is
    /// unknown on 5.0, never fatal: the PUBCOMP may have been lost before a reconnect).
    pub(crate) fn on_pubrel(&mut self, pid: PacketId, v5: bool) -> Packet {
        let known = self.qos2.remove(pid);
        self.qos2_here.remove(pid);
        let reason = if known || !v5 {
            ReasonCode::SUCCESS
        } else {
            ReasonCode::PACKET_IDENTIFIER_NOT_FOUND
        };
        Packet::PubComp(Ack {
            pid,
            reason_code: reason,
            properties: AckProperties::default(),
        })
    }
}
