//! Packets from the server.

use super::{AliasPolicy, ClientEvent, ClientSession, InboundAck, Negotiated, Queued};
use crate::session::{AckMode, AckToken, ConnectionError, Status};
use crate::{
    Ack, AckProperties, Auth, ConnAck, Disconnect, Packet, PacketId, Publish, QoS, QosPid,
    ReasonCode, SubAck, Subscribe, UnsubAck, Unsubscribe,
};

impl ClientSession {
    pub(super) fn handle_packet_inner(&mut self, packet: Packet) {
        if self.status == Status::Connecting {
            match packet {
                Packet::ConnAck(connack) => self.on_connack(*connack),
                Packet::Auth(auth) => self.on_auth(auth),
                // [MQTT-3.2.0-1]: the server's first packet is CONNACK (5.0: or AUTH).
                _ => self.violation(
                    ReasonCode::PROTOCOL_ERROR,
                    "[MQTT-3.2.0-1] the server sent a packet before CONNACK",
                ),
            }
            return;
        }
        match packet {
            Packet::Publish(publish) => self.on_publish(publish),
            Packet::PubAck(ack)
            | Packet::PubRec(ack)
            | Packet::PubRel(ack)
            | Packet::PubComp(ack)
                if !self.problem_information_allowed(&ack.properties) =>
            {
                self.problem_information_violation();
            }
            Packet::SubAck(SubAck { ref properties, .. })
            | Packet::UnsubAck(UnsubAck { ref properties, .. })
                if !self.problem_information_allowed(properties) =>
            {
                self.problem_information_violation();
            }
            Packet::PubAck(ack) => self.on_puback(ack),
            Packet::PubRec(ack) => self.on_pubrec(ack),
            Packet::PubRel(ack) => self.on_pubrel(ack),
            Packet::PubComp(ack) => self.on_pubcomp(ack),
            Packet::SubAck(suback) => self.on_suback(suback),
            Packet::UnsubAck(unsuback) => self.on_unsuback(unsuback),
            Packet::PingResp => self.conn.ping_sent = None,
            Packet::Disconnect(d) => self.on_disconnect(d),
            Packet::Auth(auth) => self.on_auth(auth),
            Packet::ConnAck(_) => self.violation(
                ReasonCode::PROTOCOL_ERROR,
                "[MQTT-3.2.0-2] a second CONNACK on the connection",
            ),
            // The decoder, receiving from a server, refuses the client-only packets.
            Packet::Connect(_)
            | Packet::Subscribe(_)
            | Packet::Unsubscribe(_)
            | Packet::PingReq => {
                self.violation(ReasonCode::PROTOCOL_ERROR, "§2.1.2 a client-only packet")
            }
        }
    }

    /// [MQTT-3.1.2-29]: after Request Problem Information 0, a Reason String or User Property
    /// is allowed only on PUBLISH, CONNACK and DISCONNECT.
    fn problem_information_allowed(&self, properties: &AckProperties) -> bool {
        self.conn.request_problem_information
            || (properties.reason_string().is_none()
                && properties.user_properties().next().is_none())
    }

    fn problem_information_violation(&mut self) {
        self.violation(
            ReasonCode::PROTOCOL_ERROR,
            "[MQTT-3.1.2-29] Reason String or User Property after Request Problem Information 0",
        );
    }

    fn on_connack(&mut self, connack: ConnAck) {
        if !connack.reason_code.is_success() {
            // The server closes the connection after a refusal ([MQTT-3.2.2-7] 5.0 /
            // [MQTT-3.2.2-5] 3.1.1); the session state is untouched.
            self.conn.control.clear();
            let error = ConnectionError::Refused {
                reason: connack.reason_code,
                properties: connack.properties,
            };
            self.end_connection_with(error, true);
            return;
        }
        if self.conn.clean_start && connack.session_present {
            // [MQTT-3.2.2-4] (5.0): a client without session state that sees Session Present 1
            // closes the connection; the server broke [MQTT-3.2.2-2].
            self.conn.negotiated = Some(Negotiated::from_connack(
                &connack,
                self.conn.keep_alive,
                self.conn.session_expiry,
            ));
            self.violation(
                ReasonCode::PROTOCOL_ERROR,
                "[MQTT-3.2.2-4] Session Present 1 after Clean Start",
            );
            return;
        }
        if self.version.is_v5()
            && let Some(method) = connack.properties.authentication_method()
            && self.conn.auth_method.as_deref() != Some(method)
        {
            self.conn.negotiated = Some(Negotiated::default_for_error());
            self.violation(
                ReasonCode::PROTOCOL_ERROR,
                "[MQTT-4.12.0-5] CONNACK with another Authentication Method",
            );
            return;
        }
        let negotiated =
            Negotiated::from_connack(&connack, self.conn.keep_alive, self.conn.session_expiry);
        // [MQTT-3.2.2-21]: the Server Keep Alive replaces ours.
        self.conn.keep_alive = negotiated.keep_alive;
        self.conn.session_expiry = negotiated.session_expiry_interval;
        // [MQTT-4.9.0-1]: the quota starts at the server's Receive Maximum (or our own lower
        // bound on messages in flight), on every connection.
        self.conn.send_quota = negotiated.receive_maximum.min(self.config.max_inflight);
        self.encoder.set_max_packet_size(
            negotiated
                .maximum_packet_size
                .unwrap_or(crate::MAX_PACKET_SIZE),
        );
        self.conn.connack_deadline = None;
        self.conn.out_alias_max = match self.config.outbound_aliases {
            // [MQTT-3.2.2-17] / [MQTT-3.2.2-18]: within the server's maximum, none when it has 0.
            AliasPolicy::Lru { max } if self.version.is_v5() => {
                max.min(negotiated.topic_alias_maximum)
            }
            _ => 0,
        };
        self.status = Status::Connected;
        if connack.session_present {
            // [MQTT-4.4.0-1]: send the unacknowledged PUBLISH and PUBREL packets again, in order.
            self.conn.resend = self.outgoing.len();
        } else if self.holds_state() {
            // [MQTT-3.2.2-5] (5.0): the server has no session; neither may we.
            self.discard_state();
        }
        let max_packet_size = negotiated
            .maximum_packet_size
            .unwrap_or(crate::MAX_PACKET_SIZE);
        self.conn.negotiated = Some(negotiated);
        self.push_event(ClientEvent::Connected {
            session_present: connack.session_present,
            connack,
        });
        for packet in core::mem::take(&mut self.conn.early) {
            let fits = packet
                .encoded_len(self.version)
                .is_ok_and(|n| n as u64 <= u64::from(max_packet_size));
            // What the server said it does not support is not sent either, as `subscribe`
            // refuses it once the CONNACK is known.
            let supported = match (&packet, &self.conn.negotiated) {
                (Packet::Subscribe(sub), Some(n)) => {
                    n.refuses(&sub.filters, &sub.properties).is_none()
                }
                _ => true,
            };
            if fits && supported {
                self.conn.control.push_back(packet);
            } else if let Packet::Subscribe(Subscribe { pid, .. })
            | Packet::Unsubscribe(Unsubscribe { pid, .. }) = packet
            {
                // [MQTT-3.2.2-15]: made before CONNACK, larger than the server accepts (or
                // asking for what it does not support): never sent, so no ack will come. The
                // request ends here and frees its identifier.
                let subscribe = matches!(packet, Packet::Subscribe(_));
                if self.take_request(pid, subscribe).is_some() {
                    self.push_event(ClientEvent::RequestCancelled {
                        packet_id: pid,
                        subscribe,
                    });
                }
            }
        }
    }

    fn on_auth(&mut self, auth: Auth) {
        if !self.conn.request_problem_information
            && (auth.properties.reason_string().is_some()
                || auth.properties.user_properties().next().is_some())
        {
            // [MQTT-3.1.2-29]: AUTH is not among the packets that may still carry them.
            self.problem_information_violation();
            return;
        }
        // [MQTT-4.12.0-5]: the method is the CONNECT's; [MQTT-4.12.0-6]: without one in the
        // CONNECT the server sends no AUTH.
        let method = auth.properties.authentication_method();
        if self.conn.auth_method.is_none() || self.conn.auth_method.as_deref() != method {
            self.violation(
                ReasonCode::PROTOCOL_ERROR,
                "[MQTT-4.12.0-5] / [MQTT-4.12.0-6] AUTH with another Authentication Method, or \
                 none asked for",
            );
            return;
        }
        self.push_event(ClientEvent::Auth { auth });
    }

    fn on_disconnect(&mut self, disconnect: Disconnect) {
        self.conn.control.clear();
        if let Some(expiry) = disconnect.properties.session_expiry_interval() {
            self.conn.session_expiry = expiry;
        }
        self.end_connection(ConnectionError::PeerDisconnected {
            reason: disconnect.reason_code,
            properties: disconnect.properties,
        });
    }

    fn on_publish(&mut self, mut publish: Publish) {
        if !self.resolve_alias(&mut publish) {
            return;
        }
        let (pid, qos) = match publish.qos {
            QosPid::AtMostOnce => {
                self.push_event(ClientEvent::Message { publish, ack: None });
                return;
            }
            QosPid::AtLeastOnce(pid) => (pid, QoS::AtLeastOnce),
            QosPid::ExactlyOnce(pid) => (pid, QoS::ExactlyOnce),
        };
        if qos == QoS::ExactlyOnce && self.incoming_qos2.contains(pid) {
            // [MQTT-4.3.3-10]: a repeat before PUBREL is answered PUBREC again, never delivered
            // twice. It joins the ack queue so acks keep arrival order, unless a PUBREC for the
            // identifier is still queued there (the first copy's, waiting for the application
            // or for the acks before it): that PUBREC, with the application's reason code,
            // answers both, so the server never hears 0x80 and 0x00 for one message.
            if self
                .conn
                .acks
                .iter()
                .any(|a| a.pid == pid && a.qos == QoS::ExactlyOnce)
            {
                return;
            }
            let seq = self.next_ack_seq();
            self.conn.acks.push_back(InboundAck {
                seq,
                pid,
                qos,
                reply: Some((ReasonCode::SUCCESS, AckProperties::default())),
            });
            self.release_acks();
            return;
        }
        let unacked = self
            .conn
            .acks
            .iter()
            .filter(|a| a.qos == QoS::AtLeastOnce)
            .count()
            + self.conn.qos2_here.len();
        if unacked >= usize::from(self.conn.receive_maximum) {
            // [MQTT-3.3.4-9]: the server sent more QoS 1/2 PUBLISHes than our Receive Maximum.
            self.violation(
                ReasonCode::RECEIVE_MAXIMUM_EXCEEDED,
                "[MQTT-3.3.4-9] Receive Maximum exceeded",
            );
            return;
        }
        if qos == QoS::ExactlyOnce {
            self.incoming_qos2.insert(pid);
            self.conn.qos2_here.insert(pid);
        }
        let seq = self.next_ack_seq();
        self.conn.acks.push_back(InboundAck {
            seq,
            pid,
            qos,
            reply: None,
        });
        let token = AckToken {
            connection: self.conn.id,
            seq,
        };
        let (ack, auto_ack) = match self.config.ack_mode {
            AckMode::Auto => (None, Some(token)),
            AckMode::Manual => (Some(token), None),
        };
        self.events.push_back(Queued {
            event: ClientEvent::Message { publish, ack },
            auto_ack,
        });
    }

    fn next_ack_seq(&mut self) -> u64 {
        let seq = self.conn.next_ack_seq;
        self.conn.next_ack_seq += 1;
        seq
    }

    /// Replaces a Topic Alias by its topic, or records a new mapping. False when the connection
    /// failed on it.
    fn resolve_alias(&mut self, publish: &mut Publish) -> bool {
        let Some(alias) = publish.properties.topic_alias() else {
            return true;
        };
        // [MQTT-3.1.2-26] / [MQTT-3.3.2-11]: within the maximum we announced (0 when we
        // announced none, [MQTT-3.1.2-27]); [MQTT-3.3.2-10] every alias up to it is accepted.
        let Some(slot) = usize::from(alias)
            .checked_sub(1)
            .and_then(|i| self.conn.aliases.get_mut(i))
        else {
            let rule = if self.conn.aliases.is_empty() {
                "[MQTT-3.1.2-27] Topic Alias when the client announced none"
            } else {
                "[MQTT-3.1.2-26] Topic Alias above the client's Topic Alias Maximum"
            };
            self.violation(ReasonCode::TOPIC_ALIAS_INVALID, rule);
            return false;
        };
        if publish.topic.is_empty() {
            match slot {
                Some(topic) => {
                    publish.topic = topic.clone();
                    true
                }
                None => {
                    // §3.3.2.3.4: an alias with an empty topic must have been set on this
                    // connection.
                    self.violation(
                        ReasonCode::PROTOCOL_ERROR,
                        "§3.3.2.3.4 Topic Alias not set on this connection",
                    );
                    false
                }
            }
        } else {
            *slot = Some(publish.topic.clone());
            true
        }
    }

    /// Moves acknowledgements whose turn has come to the transmit queue: the front of the ack
    /// queue, while the application has answered ([MQTT-4.6.0-2], [MQTT-4.6.0-3]).
    pub(super) fn release_acks(&mut self) {
        while let Some(front) = self.conn.acks.front() {
            if front.reply.is_none() {
                break;
            }
            let Some(InboundAck {
                pid, qos, reply, ..
            }) = self.conn.acks.pop_front()
            else {
                break;
            };
            let (reason, properties) = reply.unwrap_or_default();
            let (reason, properties) = if self.version.is_v5() {
                (reason, properties)
            } else {
                (ReasonCode::SUCCESS, AckProperties::default())
            };
            let ack = Ack {
                pid,
                reason_code: reason,
                properties,
            };
            if qos == QoS::ExactlyOnce {
                if !reason.is_success() {
                    // [MQTT-4.3.3-9]: after a PUBREC of 0x80 or more the identifier is free.
                    self.incoming_qos2.remove(pid);
                    self.conn.qos2_here.remove(pid);
                }
                self.conn.control.push_back(Packet::PubRec(ack));
            } else {
                self.conn.control.push_back(Packet::PubAck(ack));
            }
        }
    }

    fn on_pubrel(&mut self, ack: Ack) {
        // [MQTT-4.3.3-11]: PUBCOMP with the same identifier; 0x92 when it is unknown (5.0), never
        // fatal (the PUBCOMP may have been lost before a reconnect).
        let known = self.incoming_qos2.remove(ack.pid);
        self.conn.qos2_here.remove(ack.pid);
        let reason = if known || !self.version.is_v5() {
            ReasonCode::SUCCESS
        } else {
            ReasonCode::PACKET_IDENTIFIER_NOT_FOUND
        };
        self.conn.control.push_back(Packet::PubComp(Ack {
            pid: ack.pid,
            reason_code: reason,
            properties: AckProperties::default(),
        }));
    }

    fn on_puback(&mut self, ack: Ack) {
        if let Some(i) = self.find_outgoing(ack.pid, QoS::AtLeastOnce, false) {
            self.complete(i, ack.reason_code, ack.properties);
        }
        // An unknown PUBACK is ignored: it may answer a message of a session that was discarded.
    }

    fn on_pubrec(&mut self, ack: Ack) {
        match self.find_outgoing(ack.pid, QoS::ExactlyOnce, false) {
            Some(i) if !ack.reason_code.is_success() => {
                // §4.3.3: a PUBREC of 0x80 or more ends the exchange; no PUBREL.
                self.complete(i, ack.reason_code, ack.properties);
            }
            Some(i) => {
                if let Some(entry) = self.outgoing.get_mut(i) {
                    entry.released = true;
                }
                // [MQTT-4.3.3-4]: PUBREL with the same identifier.
                self.conn.control.push_back(Packet::pub_rel(ack.pid));
            }
            None => {
                if self
                    .find_outgoing(ack.pid, QoS::ExactlyOnce, true)
                    .is_some()
                {
                    // A repeated PUBREC: the PUBREL may have been lost.
                    self.conn.control.push_back(Packet::pub_rel(ack.pid));
                } else if ack.reason_code.is_success() {
                    // Unknown: PUBREL 0x92 on 5.0 lets the server finish (§4.3.3).
                    let reason = if self.version.is_v5() {
                        ReasonCode::PACKET_IDENTIFIER_NOT_FOUND
                    } else {
                        ReasonCode::SUCCESS
                    };
                    self.conn.control.push_back(Packet::PubRel(Ack {
                        pid: ack.pid,
                        reason_code: reason,
                        properties: AckProperties::default(),
                    }));
                }
            }
        }
    }

    fn on_pubcomp(&mut self, ack: Ack) {
        if let Some(i) = self.find_outgoing(ack.pid, QoS::ExactlyOnce, true) {
            self.complete(i, ack.reason_code, ack.properties);
        }
    }

    fn find_outgoing(&self, pid: PacketId, qos: QoS, released: bool) -> Option<usize> {
        self.outgoing
            .iter()
            .position(|o| o.pid == pid && o.message.qos == qos && o.released == released && o.sent)
    }

    /// A QoS 1/2 flow is done: identifier free, one more unit of send quota ([MQTT-4.9.0-1]
    /// §4.9), event.
    fn complete(&mut self, index: usize, reason: ReasonCode, properties: AckProperties) {
        // Acks mostly come in order: the oldest flow is the usual one, and popping it moves
        // nothing else.
        let entry = if index == 0 {
            self.outgoing.pop_front()
        } else {
            self.outgoing.remove(index)
        };
        let Some(entry) = entry else {
            return;
        };
        self.ids.remove(entry.pid);
        let max = self
            .conn
            .negotiated
            .as_ref()
            .map_or(u16::MAX, |n| n.receive_maximum)
            .min(self.config.max_inflight);
        self.conn.send_quota = self.conn.send_quota.saturating_add(1).min(max);
        self.push_event(ClientEvent::Published {
            id: entry.id,
            reason,
            properties,
        });
    }

    fn on_suback(&mut self, suback: SubAck) {
        let Some(request) = self.take_request(suback.pid, true) else {
            return;
        };
        if suback.reason_codes.len() != request.filters {
            // [MQTT-3.9.3-1]: one reason code per filter.
            self.violation(
                ReasonCode::PROTOCOL_ERROR,
                "[MQTT-3.9.3-1] SUBACK reason codes do not match the filters",
            );
            return;
        }
        self.push_event(ClientEvent::Subscribed {
            packet_id: suback.pid,
            suback,
        });
    }

    fn on_unsuback(&mut self, unsuback: UnsubAck) {
        let Some(request) = self.take_request(unsuback.pid, false) else {
            return;
        };
        if self.version.is_v5() && unsuback.reason_codes.len() != request.filters {
            // [MQTT-3.11.3-1]: one reason code per filter.
            self.violation(
                ReasonCode::PROTOCOL_ERROR,
                "[MQTT-3.11.3-1] UNSUBACK reason codes do not match the filters",
            );
            return;
        }
        self.push_event(ClientEvent::Unsubscribed {
            packet_id: unsuback.pid,
            unsuback,
        });
    }

    fn take_request(&mut self, pid: PacketId, subscribe: bool) -> Option<super::Request> {
        let i = self
            .conn
            .requests
            .iter()
            .position(|r| r.pid == pid && r.subscribe == subscribe)?;
        let request = self.conn.requests.remove(i);
        self.ids.remove(pid);
        Some(request)
    }
}

impl Negotiated {
    /// Marks a connection failed at CONNACK as past it, so the DISCONNECT goes out on 5.0.
    fn default_for_error() -> Negotiated {
        Negotiated::from_connack(
            &ConnAck {
                session_present: false,
                reason_code: ReasonCode::SUCCESS,
                properties: crate::ConnAckProperties::default(),
            },
            0,
            0,
        )
    }
}
