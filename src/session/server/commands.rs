//! What the application asks of the server session: answers to the client's requests, messages
//! to send, the end of the connection.

use alloc::vec::Vec;

use super::{Phase, ServerEvent, ServerSession};
use crate::session::{
    AckToken, CommandError, ConnectionError, Instant, Message, PublishError, PublishId, Status,
};
use crate::{
    AckProperties, Disconnect, DisconnectProperties, Packet, PacketId, PacketType, ReasonCode,
    SubAck, UnsubAck,
};

impl ServerSession {
    /// Queues a message for the client (a delivery from the broker, or a message of the
    /// server's own). Returns the id its `Delivered` (QoS 1/2) or `Dropped` event will carry.
    ///
    /// Refused (`NotAccepted`) before the connection is accepted, since the session the
    /// connection carries is only known then, and (`StateTaken`) after `take_state`.
    ///
    /// The message waits in the session's bounded queue until the connection is open, the
    /// client's Receive Maximum allows ([MQTT-3.3.4-9]) and a packet identifier is free. When
    /// the queue is full (`max_queued` messages or `max_queued_bytes`), the oldest queued QoS 0
    /// message is dropped for it (a `Dropped` event); when none is queued, the message is
    /// refused as `Blocked`. On 3.1.1 its properties are left out. A message the client's
    /// Maximum Packet Size cannot take is dropped at transmission ([MQTT-3.1.2-25]), never
    /// refused here: the limit belongs to the connection it is sent on.
    ///
    /// The caller applies the subscription's rules (QoS downgraded to the granted QoS, RETAIN
    /// per Retain As Published, Subscription Identifiers); a Topic Alias in the properties is
    /// refused (`Invalid`): the session assigns aliases.
    pub fn publish(
        &mut self,
        now: Instant,
        mut message: Message,
    ) -> Result<PublishId, PublishError> {
        let now = self.advance(now);
        if self.state_taken {
            return Err(PublishError::StateTaken(message));
        }
        if self.conn.limits.is_none() {
            // Queued now, the message could be mixed up with a session resumed by `accept`.
            return Err(PublishError::NotAccepted(message));
        }
        if message.properties.topic_alias().is_some() {
            return Err(PublishError::Invalid(
                crate::EncodeError::InvalidPropertyValue(crate::PropertyId::TopicAlias),
            ));
        }
        if !self.version.is_v5() && self.phase == Phase::Open {
            message.properties = crate::PublishProperties::default();
        }
        let (max, max_bytes) = (self.config.max_queued, self.config.max_queued_bytes);
        let events = &mut self.events;
        self.out
            .queue_bounded(now, message, max, max_bytes, |id| {
                events.push_back(super::Queued {
                    event: ServerEvent::Dropped {
                        id,
                        reason: crate::session::PublishFailure::QueueFull,
                    },
                    auto_ack: None,
                });
            })
            .map_err(PublishError::Blocked)
    }

    /// Acknowledges a received QoS 1 or 2 message
    /// ([`AckMode::Manual`](crate::session::AckMode::Manual)): PUBACK (QoS 1) or PUBREC (QoS 2)
    /// with `reason` (5.0; 3.1.1 acks carry none), for example 0x10 No matching subscribers or
    /// 0x87 Not authorized. Acknowledgements leave in the order the messages arrived
    /// ([MQTT-4.6.0-2], [MQTT-4.6.0-3]). A QoS 2 message refused with 0x80 or more is finished
    /// ([MQTT-4.3.3-9]).
    pub fn ack(
        &mut self,
        now: Instant,
        token: AckToken,
        reason: ReasonCode,
        properties: AckProperties,
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

    /// Answers the SUBSCRIBE with identifier `packet_id`: one reason code per filter, in order
    /// ([MQTT-3.8.4-6], [MQTT-3.9.3-1]), each the granted QoS (0x00-0x02) or a failure (0x80 or
    /// more; on 3.1.1 every failure is sent as 0x80, [MQTT-3.9.3-2]).
    pub fn suback(
        &mut self,
        now: Instant,
        packet_id: PacketId,
        codes: Vec<ReasonCode>,
        properties: AckProperties,
    ) -> Result<(), CommandError> {
        self.advance(now);
        let codes = if self.version.is_v5() {
            codes
        } else {
            codes
                .into_iter()
                .map(|c| {
                    if c.is_valid_v3_suback() {
                        c
                    } else {
                        ReasonCode::UNSPECIFIED_ERROR
                    }
                })
                .collect()
        };
        if let Some(&code) = codes.iter().find(|c| !c.is_valid_for(PacketType::SubAck)) {
            return Err(CommandError::Encode(
                crate::EncodeError::InvalidReasonCode {
                    packet: PacketType::SubAck,
                    code,
                },
            ));
        }
        self.answer(packet_id, true, codes.len())?;
        let properties = self.v5_only(properties);
        self.conn.control.push_back(Packet::SubAck(SubAck {
            pid: packet_id,
            properties,
            reason_codes: codes,
        }));
        Ok(())
    }

    /// Answers the UNSUBSCRIBE with identifier `packet_id` ([MQTT-3.10.4-4]): on 5.0 one reason
    /// code per filter, in order ([MQTT-3.11.3-1]: 0x00, or 0x11 No subscription existed, or a
    /// failure); on 3.1.1 the UNSUBACK has none and `codes` is not sent.
    pub fn unsuback(
        &mut self,
        now: Instant,
        packet_id: PacketId,
        codes: Vec<ReasonCode>,
        properties: AckProperties,
    ) -> Result<(), CommandError> {
        self.advance(now);
        let v5 = self.version.is_v5();
        if v5 && let Some(&code) = codes.iter().find(|c| !c.is_valid_for(PacketType::UnsubAck)) {
            return Err(CommandError::Encode(
                crate::EncodeError::InvalidReasonCode {
                    packet: PacketType::UnsubAck,
                    code,
                },
            ));
        }
        let count = if v5 { codes.len() } else { usize::MAX };
        self.answer(packet_id, false, count)?;
        let properties = self.v5_only(properties);
        self.conn.control.push_back(Packet::UnsubAck(UnsubAck {
            pid: packet_id,
            properties,
            reason_codes: if v5 { codes } else { Vec::new() },
        }));
        Ok(())
    }

    fn v5_only(&self, properties: AckProperties) -> AckProperties {
        if self.version.is_v5() {
            properties
        } else {
            AckProperties::default()
        }
    }

    /// Takes the request `pid` off the unanswered list when `count` codes answer it
    /// (`usize::MAX`: any count).
    fn answer(&mut self, pid: PacketId, subscribe: bool, count: usize) -> Result<(), CommandError> {
        if self.status != Status::Connected {
            return Err(CommandError::WrongStatus(self.status));
        }
        let Some(i) = self
            .conn
            .requests
            .iter()
            .position(|r| r.0 == pid && r.1 == subscribe)
        else {
            return Err(CommandError::UnknownToken);
        };
        if let Some(&(_, _, filters)) = self.conn.requests.get(i)
            && count != usize::MAX
            && count != filters
        {
            return Err(CommandError::NotAvailable {
                what: "a reason code count other than the request's filter count ([MQTT-3.9.3-1])",
            });
        }
        self.conn.requests.remove(i);
        Ok(())
    }

    /// Ends the connection from the server's side: on 5.0 a DISCONNECT with `reason` (a code
    /// of 0x80 or more, or 0x00) and `properties` (no Session Expiry Interval from a server,
    /// [MQTT-3.14.2-2]), then [`should_close`](Self::should_close). The will is due, as for any
    /// end the client did not ask for.
    pub fn disconnect(
        &mut self,
        now: Instant,
        reason: ReasonCode,
        properties: DisconnectProperties,
    ) -> Result<(), CommandError> {
        self.advance(now);
        if self.conn.ended {
            return Err(CommandError::WrongStatus(self.status));
        }
        self.close_with(reason, properties, ConnectionError::LocallyClosed)
    }

    /// Ends the connection because the same client identifier connected again (the broker
    /// calls this on the old connection): 5.0 DISCONNECT 0x8E Session taken over
    /// ([MQTT-3.1.4-3]), 3.1.1 just closes ([MQTT-3.1.4-2]). The `Closed` event carries
    /// [`ConnectionError::SessionTakenOver`] and the will; whether it is published depends on
    /// whether the new connection resumes the session ([MQTT-3.1.3-9]), which the caller
    /// knows.
    pub fn take_over(&mut self, now: Instant) {
        self.advance(now);
        if !self.conn.ended {
            let _ = self.close_with(
                ReasonCode::SESSION_TAKEN_OVER,
                DisconnectProperties::default(),
                ConnectionError::SessionTakenOver,
            );
        }
    }

    fn close_with(
        &mut self,
        reason: ReasonCode,
        properties: DisconnectProperties,
        error: ConnectionError,
    ) -> Result<(), CommandError> {
        if self.version.is_v5() && self.phase == Phase::Open {
            if properties.session_expiry_interval().is_some() {
                return Err(CommandError::Encode(
                    crate::EncodeError::SessionExpiryFromServer,
                ));
            }
            let packet = Packet::Disconnect(Disconnect {
                reason_code: reason,
                properties,
            });
            packet
                .encoded_len(self.version)
                .map_err(CommandError::Encode)?;
            self.conn.control.push_back(packet);
        }
        self.end_connection(error, None);
        Ok(())
    }
}
