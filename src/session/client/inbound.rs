//! Packets from the server.

use super::{AliasPolicy, ClientEvent, ClientSession, Negotiated};
use crate::session::flow::{PubRecOutcome, Received};
use crate::session::{ConnectionError, PublishId, Status};
use crate::{
    Ack, AckProperties, Auth, ConnAck, Disconnect, Packet, PacketId, Publish, ReasonCode, SubAck,
    Subscribe, UnsubAck, Unsubscribe,
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

    /// A PUBLISH acknowledgement in its short form (Success, no properties), after CONNACK:
    /// what the general path does with the same packet, without building it.
    #[inline]
    pub(super) fn on_short_ack(&mut self, ack: crate::ShortAck) {
        let ack_of = |pid| Ack {
            pid,
            reason_code: ReasonCode::SUCCESS,
            properties: AckProperties::default(),
        };
        match ack.kind {
            crate::PacketType::PubAck => {
                if let Some(id) = self.out.on_puback(ack.pid) {
                    self.published(id, ReasonCode::SUCCESS, AckProperties::default());
                }
            }
            crate::PacketType::PubRec => self.on_pubrec(ack_of(ack.pid)),
            crate::PacketType::PubRel => self.on_pubrel(ack_of(ack.pid)),
            _ => {
                if let Some(id) = self.out.on_pubcomp(ack.pid) {
                    self.published(id, ReasonCode::SUCCESS, AckProperties::default());
                }
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
        self.encoder.set_max_packet_size(
            negotiated
                .maximum_packet_size
                .unwrap_or(crate::MAX_PACKET_SIZE),
        );
        self.conn.connack_deadline = None;
        let alias_max = match self.config.outbound_aliases {
            // [MQTT-3.2.2-17] / [MQTT-3.2.2-18]: within the server's maximum, none when it has 0.
            AliasPolicy::Lru { max } if self.version.is_v5() => {
                max.min(negotiated.topic_alias_maximum)
            }
            _ => 0,
        };
        // [MQTT-4.9.0-1]: the quota starts at the server's Receive Maximum (or our own lower
        // bound on messages in flight), on every connection.
        self.out.start_connection(
            negotiated.receive_maximum.min(self.config.max_inflight),
            alias_max,
        );
        self.status = Status::Connected;
        if connack.session_present {
            // [MQTT-4.4.0-1]: send the unacknowledged PUBLISH and PUBREL packets again, in order.
            self.out.resume();
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

    fn on_publish(&mut self, publish: Publish) {
        let v5 = self.version.is_v5();
        match self.inb.on_publish(publish, v5, &mut self.conn.control) {
            // In automatic mode the token rides in the event while it is queued, and
            // `poll_event` takes it out to acknowledge; in manual mode the application gets it.
            Received::Deliver(publish, ack) => {
                self.push_event(ClientEvent::Message { publish, ack });
            }
            Received::Repeat => {}
            Received::Violation(reason, rule) => self.violation(reason, rule),
        }
    }

    fn on_pubrel(&mut self, ack: Ack) {
        let pubcomp = self.inb.on_pubrel(ack.pid, self.version.is_v5());
        self.conn.control.push_back(pubcomp);
    }

    fn on_puback(&mut self, ack: Ack) {
        // An unknown PUBACK is ignored: it may answer a message of a session that was discarded.
        if let Some(id) = self.out.on_puback(ack.pid) {
            self.published(id, ack.reason_code, ack.properties);
        }
    }

    fn on_pubrec(&mut self, ack: Ack) {
        match self
            .out
            .on_pubrec(ack.pid, ack.reason_code, self.version.is_v5())
        {
            PubRecOutcome::Completed(id) => {
                self.published(id, ack.reason_code, ack.properties);
            }
            PubRecOutcome::Release(reason) => {
                self.conn.control.push_back(Packet::PubRel(Ack {
                    pid: ack.pid,
                    reason_code: reason,
                    properties: AckProperties::default(),
                }));
            }
            PubRecOutcome::Ignore => {}
        }
    }

    fn on_pubcomp(&mut self, ack: Ack) {
        if let Some(id) = self.out.on_pubcomp(ack.pid) {
            self.published(id, ack.reason_code, ack.properties);
        }
    }

    fn published(&mut self, id: PublishId, reason: ReasonCode, properties: AckProperties) {
        self.push_event(ClientEvent::Published {
            id,
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
        self.out.release_pid(pid);
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
