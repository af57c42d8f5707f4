//! Packets from the client.

use super::{Phase, ServerEvent, ServerSession};
use crate::session::flow::{PubRecOutcome, Received};
use crate::session::{AckMode, ConnectionError, PublishId};
use crate::{
    Ack, AckProperties, Auth, Disconnect, Packet, PacketId, Publish, ReasonCode, Subscribe,
    Unsubscribe,
};

impl ServerSession {
    pub(super) fn handle_packet_inner(&mut self, packet: Packet) {
        // [MQTT-3.1.2-22] / [MQTT-3.1.2-24]: any packet counts for keep alive.
        self.conn.last_received = self.now;
        match self.phase {
            Phase::AwaitConnect => match packet {
                Packet::Connect(connect) => self.on_connect(connect),
                _ => {
                    // [MQTT-3.1.0-1]: the first packet must be CONNECT; close, no CONNACK.
                    self.end_connection(
                        ConnectionError::Protocol {
                            reason: ReasonCode::PROTOCOL_ERROR,
                            rule: "[MQTT-3.1.0-1] the first packet is not CONNECT",
                        },
                        None,
                    );
                }
            },
            Phase::Decide { .. } => match packet {
                Packet::Auth(auth) => {
                    if self.auth_method_matches(&auth) {
                        self.phase = Phase::Decide { reading: false };
                        self.push_event(ServerEvent::Auth { auth });
                    }
                }
                Packet::Disconnect(d) => self.on_disconnect(d),
                // [MQTT-3.1.2-30]: during an authentication exchange the client sends only AUTH
                // (or DISCONNECT) until CONNACK.
                _ => self.end_connection(
                    ConnectionError::Protocol {
                        reason: ReasonCode::PROTOCOL_ERROR,
                        rule: "[MQTT-3.1.2-30] a packet other than AUTH before CONNACK",
                    },
                    None,
                ),
            },
            Phase::Open => self.on_open_packet(packet),
        }
    }

    fn on_open_packet(&mut self, packet: Packet) {
        match packet {
            Packet::Publish(publish) => self.on_publish(publish),
            Packet::PubAck(ack) => {
                if let Some(id) = self.out.on_puback(ack.pid) {
                    self.delivered(id, ack);
                }
            }
            Packet::PubRec(ack) => self.on_pubrec(ack),
            Packet::PubComp(ack) => {
                if let Some(id) = self.out.on_pubcomp(ack.pid) {
                    self.delivered(id, ack);
                }
            }
            Packet::PubRel(ack) => {
                let pubcomp = self.inb.on_pubrel(ack.pid, self.version.is_v5());
                self.conn.control.push_back(pubcomp);
            }
            Packet::Subscribe(subscribe) => self.on_subscribe(subscribe),
            Packet::Unsubscribe(unsubscribe) => self.on_unsubscribe(unsubscribe),
            Packet::PingReq => self.conn.control.push_back(Packet::PingResp),
            Packet::Disconnect(d) => self.on_disconnect(d),
            Packet::Auth(auth) => {
                // [MQTT-4.12.1-1]: re-authentication only with the CONNECT's method.
                if self.auth_method_matches(&auth) {
                    self.push_event(ServerEvent::Auth { auth });
                }
            }
            Packet::Connect(_) => self.violation(
                ReasonCode::PROTOCOL_ERROR,
                "[MQTT-3.1.0-2] a second CONNECT on the connection",
            ),
            // The decoder, receiving from a client, refuses the server-only packets.
            Packet::ConnAck(_) | Packet::SubAck(_) | Packet::UnsubAck(_) | Packet::PingResp => {
                self.violation(ReasonCode::PROTOCOL_ERROR, "§2.1.2 a server-only packet")
            }
        }
    }

    /// [MQTT-4.12.0-5] / [MQTT-4.12.1-1]: an AUTH carries the CONNECT's Authentication Method,
    /// and only a CONNECT with one allows AUTH at all. Ends the connection otherwise.
    fn auth_method_matches(&mut self, auth: &Auth) -> bool {
        let ours = match (&self.conn.connect, &self.conn.limits) {
            (Some(connect), _) => connect.properties.authentication_method(),
            (None, Some(limits)) => limits.authentication_method.as_deref(),
            (None, None) => None,
        };
        if ours.is_some() && ours == auth.properties.authentication_method() {
            return true;
        }
        let reason = ReasonCode::PROTOCOL_ERROR;
        let rule = "[MQTT-4.12.0-5] AUTH with another Authentication Method, or none in CONNECT";
        if self.phase == Phase::Open {
            self.violation(reason, rule);
        } else {
            self.end_connection(ConnectionError::Protocol { reason, rule }, None);
        }
        false
    }

    fn on_publish(&mut self, publish: Publish) {
        if self.version.is_v5() {
            if publish.qos.qos() > self.config.maximum_qos {
                // [MQTT-3.2.2-11]: above the Maximum QoS announced in CONNACK.
                self.violation(
                    ReasonCode::QOS_NOT_SUPPORTED,
                    "[MQTT-3.2.2-11] PUBLISH above the server's Maximum QoS",
                );
                return;
            }
            if publish.retain && !self.config.retain_available {
                // [MQTT-3.2.2-14]: RETAIN 1 after Retain Available 0.
                self.violation(
                    ReasonCode::RETAIN_NOT_SUPPORTED,
                    "[MQTT-3.2.2-14] RETAIN 1 when the server announced no retain support",
                );
                return;
            }
        }
        match self
            .inb
            .on_publish(publish, self.version.is_v5(), &mut self.conn.control)
        {
            Received::Deliver(publish, None) => {
                self.push_event(ServerEvent::Publish { publish, ack: None });
            }
            Received::Deliver(publish, Some(token)) => {
                let (ack, auto_ack) = match self.config.ack_mode {
                    AckMode::Auto => (None, Some(token)),
                    AckMode::Manual => (Some(token), None),
                };
                self.events.push_back(super::Queued {
                    event: ServerEvent::Publish { publish, ack },
                    auto_ack,
                });
            }
            Received::Repeat => {}
            Received::Violation(reason, rule) => self.violation(reason, rule),
        }
    }

    fn on_pubrec(&mut self, ack: Ack) {
        match self
            .out
            .on_pubrec(ack.pid, ack.reason_code, self.version.is_v5())
        {
            PubRecOutcome::Completed(id) => self.delivered(id, ack),
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

    fn delivered(&mut self, id: PublishId, ack: Ack) {
        self.push_event(ServerEvent::Delivered {
            id,
            reason: ack.reason_code,
            properties: ack.properties,
        });
    }

    /// False (after ending the connection) when `pid` names a SUBSCRIBE or UNSUBSCRIBE still
    /// waiting for its answer ([MQTT-2.2.1-3] 5.0 / [MQTT-2.3.1-2] 3.1.1).
    fn request_id_free(&mut self, pid: PacketId) -> bool {
        if self.conn.requests.iter().any(|r| r.0 == pid) {
            // A protocol error: 0x91 (Packet Identifier in use) is not a DISCONNECT code, and a
            // second SUBACK for one identifier would leave the client unable to match it.
            self.violation(
                ReasonCode::PROTOCOL_ERROR,
                "[MQTT-2.2.1-3] a packet identifier still in use",
            );
            return false;
        }
        true
    }

    fn on_subscribe(&mut self, subscribe: Subscribe) {
        if !self.request_id_free(subscribe.pid) {
            return;
        }
        self.conn
            .requests
            .push((subscribe.pid, true, subscribe.filters.len()));
        self.push_event(ServerEvent::Subscribe { subscribe });
    }

    fn on_unsubscribe(&mut self, unsubscribe: Unsubscribe) {
        if !self.request_id_free(unsubscribe.pid) {
            return;
        }
        self.conn
            .requests
            .push((unsubscribe.pid, false, unsubscribe.filters.len()));
        self.push_event(ServerEvent::Unsubscribe { unsubscribe });
    }

    fn on_disconnect(&mut self, disconnect: Disconnect) {
        let expiry = disconnect.properties.session_expiry_interval();
        if let Some(expiry) = expiry
            && expiry != 0
            && self.conn.connect_session_expiry == 0
        {
            // §3.14.2.2.2: a Session Expiry Interval may not be set by DISCONNECT when the
            // CONNECT had 0; the DISCONNECT is then a protocol error and the will is due.
            self.violation(
                ReasonCode::PROTOCOL_ERROR,
                "§3.14.2.2.2 DISCONNECT sets a Session Expiry Interval after CONNECT had 0",
            );
            return;
        }
        if let (Some(expiry), Some(limits)) = (expiry, self.conn.limits.as_mut()) {
            limits.session_expiry = match self.config.max_session_expiry {
                Some(max) => expiry.min(max),
                None => expiry,
            };
        }
        // [MQTT-3.14.4-3]: 0x00 discards the will; 0x04 (and every other code) publishes it.
        let discard = disconnect.reason_code == ReasonCode::NORMAL_DISCONNECTION;
        // The client closes after DISCONNECT; nothing more goes to it.
        self.conn.control.clear();
        self.end_connection(
            ConnectionError::PeerDisconnected {
                reason: disconnect.reason_code,
                properties: disconnect.properties,
            },
            Some(discard),
        );
    }
}
