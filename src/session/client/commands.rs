//! Commands: what the application asks of the session. Mistakes and back-pressure come back
//! as an `Err` at once, with nothing queued.

use super::{ClientSession, Request};
use crate::session::{AckToken, CommandError, Instant, Message, PublishError, PublishId, Status};
use crate::{
    Auth, Packet, PacketId, ReasonCode, Subscribe, SubscribeFilters, SubscribeProperties,
    Unsubscribe, UnsubscribeFilters, UnsubscribeProperties,
};

impl ClientSession {
    /// Queues an application message. Returns the id its completion event will carry
    /// (`Published` for QoS 1 and 2; QoS 0 messages have no completion event).
    ///
    /// The message waits in a bounded FIFO until it can be sent: after CONNACK, within the
    /// server's Receive Maximum ([MQTT-3.3.4-7]), and with a free packet identifier
    /// ([MQTT-2.2.1-3]); QoS 0 messages keep their place in the same FIFO. A message may be
    /// published while no connection is open; it is sent on the next one.
    ///
    /// When nothing waits (no message queued, no resend owed, no control packet to send) and
    /// the server's window is open, a QoS 1/2 message skips the FIFO: it gets its packet
    /// identifier and is encoded here, counts as in flight ([`inflight`](Self::inflight)), and
    /// the next [`poll_transmit`](Self::poll_transmit) hands its bytes out first. Should the
    /// connection end before that, it goes back to the front of the FIFO, as never sent.
    ///
    /// Refused at once, the message handed back where it can be retried:
    /// - `Blocked`: the pending queue holds `max_pending` messages;
    /// - when the server's CONNACK is known: QoS above its Maximum QoS ([MQTT-3.2.2-11]), RETAIN
    ///   without Retain Available ([MQTT-3.2.2-14]), larger than its Maximum Packet Size
    ///   ([MQTT-3.2.2-15]);
    /// - `Invalid`: a Topic Alias or Subscription Identifier in the properties, or a message
    ///   the version cannot carry (properties on 3.1.1).
    pub fn publish(&mut self, now: Instant, message: Message) -> Result<PublishId, PublishError> {
        self.advance(now);
        if !message.properties.is_empty() {
            if message.properties.topic_alias().is_some() {
                return Err(PublishError::Invalid(
                    crate::EncodeError::InvalidPropertyValue(crate::PropertyId::TopicAlias),
                ));
            }
            if message
                .properties
                .subscription_identifiers()
                .next()
                .is_some()
            {
                // [MQTT-3.3.4-6]
                return Err(PublishError::Invalid(
                    crate::EncodeError::SubscriptionIdentifierFromClient,
                ));
            }
        }
        if let Some(n) = &self.conn.negotiated {
            if message.qos > n.maximum_qos {
                // [MQTT-3.2.2-11]
                return Err(PublishError::QosNotSupported {
                    max: n.maximum_qos,
                    message,
                });
            }
            if message.retain && !n.retain_available {
                return Err(PublishError::RetainNotSupported(message)); // [MQTT-3.2.2-14]
            }
        }
        if self.status == Status::Connected
            && self.conn.control.is_empty()
            && self.config.max_pending > 0
            && let Some(pid) = self.out.send_now_pid(message.qos)
        {
            // The window is open and nothing waits: encoded now, behind nothing queued, so
            // `poll_transmit` hands it out first. The encoder refuses what the size check below
            // refuses (the server's Maximum Packet Size is the encoder's).
            return self
                .out
                .send_now(&self.encoder, &mut self.staged, message, pid)
                .map_err(publish_error);
        }
        let size = self.publish_size(&message)?;
        let max = self.peer_max_packet_size();
        if size > u64::from(max) {
            // [MQTT-3.2.2-15]
            return Err(PublishError::TooLarge {
                size,
                max: u64::from(max),
            });
        }
        if self.out.pending() >= self.config.max_pending {
            self.writable_owed = true;
            return Err(PublishError::Blocked(message));
        }
        Ok(self.out.queue(self.now, message))
    }

    /// The encoded size of `message` as a first transmission, or why it cannot be encoded:
    /// measured on the message's own fields, where they lie.
    fn publish_size(&self, message: &Message) -> Result<u64, PublishError> {
        let len = message
            .fields(Some(PacketId::MIN), false)
            .body_len(self.version)
            .and_then(|body| crate::packet::frame_size(body, crate::MAX_PACKET_SIZE));
        match len {
            Ok((_, size)) => Ok(size as u64),
            Err(e) => Err(publish_error(e)),
        }
    }

    fn peer_max_packet_size(&self) -> u32 {
        self.conn
            .negotiated
            .as_ref()
            .and_then(|n| n.maximum_packet_size)
            .unwrap_or(crate::MAX_PACKET_SIZE)
    }

    /// Subscribes to `filters`. Returns the packet identifier the `Subscribed` event will carry.
    ///
    /// Needs a connection (sent after CONNACK when made before it). Refused when the server said
    /// it does not support wildcards, subscription identifiers or shared subscriptions (5.0
    /// CONNACK, §3.2.2.3.11-13), when all packet identifiers are in use, or when the packet does
    /// not encode.
    pub fn subscribe(
        &mut self,
        now: Instant,
        filters: SubscribeFilters,
        properties: SubscribeProperties,
    ) -> Result<PacketId, CommandError> {
        self.advance(now);
        self.check_can_request()?;
        if let Some(what) = self
            .conn
            .negotiated
            .as_ref()
            .and_then(|n| n.refuses(&filters, &properties))
        {
            return Err(CommandError::NotAvailable { what });
        }
        let count = filters.len();
        let pid = self.out.allocate_pid().ok_or(CommandError::Exhausted)?;
        let packet = Packet::Subscribe(Subscribe {
            pid,
            properties,
            filters,
        });
        self.queue_request(packet, pid, true, count)
    }

    /// Unsubscribes from `filters`. Returns the packet identifier the `Unsubscribed` event will
    /// carry. Needs a connection, as [`subscribe`](Self::subscribe).
    pub fn unsubscribe(
        &mut self,
        now: Instant,
        filters: UnsubscribeFilters,
        properties: UnsubscribeProperties,
    ) -> Result<PacketId, CommandError> {
        self.advance(now);
        self.check_can_request()?;
        let count = filters.len();
        let pid = self.out.allocate_pid().ok_or(CommandError::Exhausted)?;
        let packet = Packet::Unsubscribe(Unsubscribe {
            pid,
            properties,
            filters,
        });
        self.queue_request(packet, pid, false, count)
    }

    fn check_can_request(&self) -> Result<(), CommandError> {
        match self.status {
            Status::Connecting | Status::Connected => Ok(()),
            other => Err(CommandError::WrongStatus(other)),
        }
    }

    fn queue_request(
        &mut self,
        packet: Packet,
        pid: PacketId,
        subscribe: bool,
        filters: usize,
    ) -> Result<PacketId, CommandError> {
        let size = packet
            .encoded_len(self.version)
            .map_err(CommandError::Encode)?;
        let max = self.peer_max_packet_size();
        if size as u64 > u64::from(max) {
            return Err(CommandError::Encode(crate::EncodeError::PacketTooLarge {
                size: size as u64,
                max: u64::from(max),
            }));
        }
        self.out.reserve_pid(pid);
        self.conn.requests.push(Request {
            pid,
            subscribe,
            filters,
        });
        if self.status == Status::Connected {
            self.conn.control.push_back(packet);
        } else {
            self.conn.early.push_back(packet);
        }
        Ok(pid)
    }

    /// Acknowledges a received QoS 1 or 2 message in [`AckMode::Manual`](crate::session::AckMode):
    /// PUBACK (QoS 1) or PUBREC (QoS 2) with `reason` (5.0; 3.1.1 has no reason codes and sends
    /// the plain ack) and `properties`. Acknowledgements leave in the order the messages arrived
    /// ([MQTT-4.6.0-2], [MQTT-4.6.0-3]): this one waits for those before it. A QoS 2 message
    /// refused with a code of 0x80 or more is finished: a later PUBLISH with its identifier is a
    /// new message ([MQTT-4.3.3-9]).
    ///
    /// Properties that would make the ack larger than the server's Maximum Packet Size are left
    /// out ([MQTT-3.4.2-2], [MQTT-3.5.2-2]).
    pub fn ack(
        &mut self,
        now: Instant,
        token: AckToken,
        reason: ReasonCode,
        properties: crate::AckProperties,
    ) -> Result<(), CommandError> {
        self.advance(now);
        if self.status != Status::Connected {
            return Err(CommandError::UnknownToken);
        }
        let packet_type = self.inb.ack_type(token).ok_or(CommandError::UnknownToken)?;
        let v5 = self.version.is_v5();
        if v5 && !reason.is_valid_for(packet_type) {
            return Err(CommandError::Encode(
                crate::EncodeError::InvalidReasonCode {
                    packet: packet_type,
                    code: reason,
                },
            ));
        }
        self.inb
            .reply(token, reason, properties, v5, &mut self.conn.control);
        Ok(())
    }

    /// Sends AUTH (5.0 enhanced authentication): reason 0x18 to continue an exchange the server
    /// started with its own AUTH ([MQTT-4.12.0-3]), or 0x19 to start re-authentication after
    /// CONNACK (§4.12.1). The Authentication Method must be the CONNECT's ([MQTT-4.12.0-5]).
    pub fn auth(&mut self, now: Instant, auth: Auth) -> Result<(), CommandError> {
        self.advance(now);
        if !self.version.is_v5() {
            return Err(CommandError::NotAvailable { what: "AUTH" });
        }
        let method = auth.properties.authentication_method();
        match (&self.conn.auth_method, method) {
            (Some(ours), Some(m)) if ours.as_ref() as &str == m => {}
            _ => {
                // [MQTT-4.12.0-5]
                return Err(CommandError::NotAvailable {
                    what: "AUTH without the CONNECT's Authentication Method",
                });
            }
        }
        if !matches!(self.status, Status::Connecting | Status::Connected) {
            return Err(CommandError::WrongStatus(self.status));
        }
        let packet = Packet::Auth(auth);
        packet
            .encoded_len(self.version)
            .map_err(CommandError::Encode)?;
        self.conn.control.push_back(packet);
        Ok(())
    }
}

/// Why a message that does not encode is refused.
fn publish_error(e: crate::EncodeError) -> PublishError {
    match e {
        crate::EncodeError::PacketTooLarge { size, max } => PublishError::TooLarge { size, max },
        other => PublishError::Invalid(other),
    }
}
