//! CONNECT, the application's decision, and AUTH.

use alloc::boxed::Box;

use super::{ClientLimits, Phase, ServerEvent, ServerSession, SessionState};
use crate::session::{AliasPolicy, CommandError, ConnectionError, Instant, Status};
use crate::{
    Auth, ByteString, ConnAck, ConnAckProperties, ConnAckPropertiesBuilder, Connect, Packet, QoS,
    ReasonCode, Side,
};

/// The application's acceptance of a CONNECT, for [`ServerSession::accept`].
///
/// ```
/// use mqtt_wire::session::{Accept, SessionState};
///
/// let fresh = Accept::new();
/// let resumed = Accept::new().resume(SessionState::default());
/// let assigned = Accept::new().assigned_client_id("auto-1f3a".into());
/// # let _ = (fresh, resumed, assigned);
/// ```
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Accept {
    /// The stored session of this client identifier, to resume (Session Present 1), unless
    /// the CONNECT has Clean Start ([MQTT-3.1.2-4]), in which case it is discarded.
    pub session: Option<SessionState>,
    /// The identifier given to a client that sent an empty one ([MQTT-3.1.3-6]); on 5.0 it is
    /// sent in CONNACK as the Assigned Client Identifier ([MQTT-3.1.3-7], [MQTT-3.2.2-16]).
    /// Required when the CONNECT's is empty.
    pub assigned_client_id: Option<ByteString>,
    /// Further 5.0 CONNACK properties: User Properties, Reason String, Response Information,
    /// Server Reference, Authentication Method and Data. The limits (Receive Maximum, Maximum
    /// Packet Size, Topic Alias Maximum, Maximum QoS, Retain Available, the availability flags,
    /// Server Keep Alive, Session Expiry Interval, Assigned Client Identifier) come from the
    /// configuration and the fields above, and replace any set here.
    pub properties: ConnAckPropertiesBuilder,
}

impl Accept {
    /// A new session, no extra properties.
    pub fn new() -> Accept {
        Accept::default()
    }

    /// Resumes `session`.
    #[must_use]
    pub fn resume(mut self, session: SessionState) -> Accept {
        self.session = Some(session);
        self
    }

    /// Sets [`assigned_client_id`](Self::assigned_client_id).
    #[must_use]
    pub fn assigned_client_id(mut self, id: ByteString) -> Accept {
        self.assigned_client_id = Some(id);
        self
    }

    /// Sets [`properties`](Self::properties).
    #[must_use]
    pub fn properties(mut self, properties: ConnAckPropertiesBuilder) -> Accept {
        self.properties = properties;
        self
    }
}

impl ServerSession {
    pub(super) fn on_connect(&mut self, connect: Box<Connect>) {
        // The decoder switched to the CONNECT's version.
        self.version = connect.protocol;
        self.encoder.set_version(connect.protocol);
        self.decoder.set_version(connect.protocol);
        self.conn.connect_deadline = self.conn.connect_deadline.or(Some(self.now));
        let v5 = self.version.is_v5();
        if v5 {
            // §3.14.2.2.2: a DISCONNECT during the handshake is judged by this value too.
            self.conn.connect_session_expiry =
                connect.properties.session_expiry_interval().unwrap_or(0);
            // [MQTT-3.1.2-24]: from here nothing sent (CONNACK, AUTH) exceeds the client's
            // Maximum Packet Size.
            self.encoder.set_max_packet_size(
                connect
                    .properties
                    .maximum_packet_size()
                    .unwrap_or(crate::MAX_PACKET_SIZE),
            );
        }
        if !v5 && connect.client_id.is_empty() && !connect.clean_start {
            // [MQTT-3.1.3-8] (3.1.1): an empty client identifier needs Clean Session 1;
            // CONNACK 0x02 (identifier rejected), then close.
            self.refuse(ReasonCode::CLIENT_IDENTIFIER_NOT_VALID);
            return;
        }
        if v5 && let Some(will) = &connect.will {
            if will.qos > self.config.maximum_qos {
                // [MQTT-3.2.2-12]: a will QoS the server does not support.
                self.refuse(ReasonCode::QOS_NOT_SUPPORTED);
                return;
            }
            if will.retain && !self.config.retain_available {
                // [MQTT-3.2.2-13]: a retained will without retain support.
                self.refuse(ReasonCode::RETAIN_NOT_SUPPORTED);
                return;
            }
        }
        self.phase = Phase::Decide { reading: false };
        // The parts the session needs stay with it (they share the CONNECT's bytes).
        self.conn.connect = Some(connect.clone());
        self.push_event(ServerEvent::Connect { connect });
    }

    /// A refusal the session makes by itself, before the application hears of the CONNECT.
    fn refuse(&mut self, reason: ReasonCode) {
        self.queue_connack(false, reason, ConnAckProperties::default());
        self.end_connection(
            ConnectionError::Refused {
                reason,
                properties: ConnAckProperties::default(),
            },
            None,
        );
    }

    fn queue_connack(
        &mut self,
        session_present: bool,
        reason: ReasonCode,
        props: ConnAckProperties,
    ) {
        let reason = if self.version.is_v5() {
            reason
        } else {
            v3_connack_code(reason)
        };
        self.conn
            .control
            .push_back(Packet::ConnAck(Box::new(ConnAck {
                session_present,
                reason_code: reason,
                properties: props,
            })));
    }

    fn decided_connect(&self) -> Result<(), CommandError> {
        match self.phase {
            Phase::Decide { .. } if !self.conn.ended => Ok(()),
            _ => Err(CommandError::WrongStatus(self.status)),
        }
    }

    /// Accepts the CONNECT reported by [`ServerEvent::Connect`]:
    /// queues CONNACK with this server's limits and, when `accept.session` is resumed, Session
    /// Present 1 ([MQTT-3.2.2-2]) and the messages in flight again. From here the connection
    /// carries messages, and the client's limits (Receive Maximum, Maximum Packet Size, Topic
    /// Alias Maximum, Request Problem Information) bind what this side sends.
    ///
    /// Errors: no CONNECT waits for a decision (`WrongStatus`); the CONNECT's client
    /// identifier is empty and no `assigned_client_id` is given (`NotAvailable`,
    /// [MQTT-3.1.3-6]); the CONNACK does not encode.
    pub fn accept(&mut self, now: Instant, accept: Accept) -> Result<(), CommandError> {
        let now = self.advance(now);
        self.decided_connect()?;
        let Some(connect) = self
            .conn
            .connect
            .take_if(|c| !c.client_id.is_empty() || accept.assigned_client_id.is_some())
        else {
            return Err(match self.conn.connect {
                Some(_) => CommandError::NotAvailable {
                    what: "an empty client identifier without an assigned one ([MQTT-3.1.3-6])",
                },
                None => CommandError::WrongStatus(self.status),
            });
        };
        let v5 = self.version.is_v5();
        let c = &self.config;
        let assigned = match &accept.assigned_client_id {
            Some(id) if connect.client_id.is_empty() => Some(id.clone()),
            _ => None,
        };
        let client_id = assigned
            .clone()
            .unwrap_or_else(|| ByteString::from(&*connect.client_id));
        let props = &connect.properties;
        let asked_expiry = if v5 {
            props.session_expiry_interval().unwrap_or(0)
        } else if connect.clean_start {
            0
        } else {
            u32::MAX
        };
        let session_expiry = match c.max_session_expiry {
            Some(max) if v5 => asked_expiry.min(max),
            _ => asked_expiry,
        };
        let keep_alive = match c.max_keep_alive {
            // [MQTT-3.1.2-21]: the Server Keep Alive replaces the client's.
            Some(max) if v5 && (connect.keep_alive == 0 || connect.keep_alive > max) => max,
            _ => connect.keep_alive,
        };
        let limits = ClientLimits {
            client_id,
            clean_start: connect.clean_start,
            keep_alive,
            session_expiry,
            receive_maximum: if v5 {
                props.receive_maximum().unwrap_or(u16::MAX)
            } else {
                u16::MAX
            },
            maximum_packet_size: if v5 {
                props.maximum_packet_size()
            } else {
                None
            },
            topic_alias_maximum: if v5 {
                props.topic_alias_maximum().unwrap_or(0)
            } else {
                0
            },
            request_problem_information: !v5 || props.request_problem_information() != Some(false),
            request_response_information: v5 && props.request_response_information() == Some(true),
            authentication_method: props.authentication_method().map(ByteString::from),
        };

        let mut b = accept.properties;
        if v5 {
            let receive_maximum = c.receive_maximum.max(1);
            b.receive_maximum = (receive_maximum != u16::MAX).then_some(receive_maximum);
            b.maximum_packet_size = (c.maximum_packet_size < crate::MAX_PACKET_SIZE)
                .then_some(c.maximum_packet_size.max(1));
            b.topic_alias_maximum = (c.topic_alias_maximum > 0).then_some(c.topic_alias_maximum);
            b.maximum_qos = (c.maximum_qos != QoS::ExactlyOnce).then_some(c.maximum_qos);
            b.retain_available = (!c.retain_available).then_some(false);
            b.wildcard_subscription_available =
                (!c.wildcard_subscription_available).then_some(false);
            b.subscription_identifier_available =
                (!c.subscription_identifier_available).then_some(false);
            b.shared_subscription_available = (!c.shared_subscription_available).then_some(false);
            b.server_keep_alive = (keep_alive != connect.keep_alive).then_some(keep_alive);
            b.session_expiry_interval = (session_expiry != asked_expiry).then_some(session_expiry);
            b.assigned_client_identifier = assigned;
        }
        let session_present = accept.session.is_some() && !connect.clean_start;
        let properties = if v5 {
            b.build()
        } else {
            Ok(ConnAckProperties::default())
        };
        // [MQTT-3.1.2-24] / [MQTT-3.2.2-19/20]: the CONNACK, without its diagnostics if need
        // be, must fit the client's Maximum Packet Size; otherwise nothing changes and the
        // CONNECT still waits (for a refusal, say).
        let properties = properties.and_then(|p| {
            let max = limits.maximum_packet_size.unwrap_or(crate::MAX_PACKET_SIZE);
            connack_fits(self.version, session_present, &p, max).map(|()| p)
        });
        let properties = match properties {
            Ok(p) => p,
            Err(e) => {
                self.conn.connect = Some(connect);
                return Err(CommandError::Encode(e));
            }
        };

        // The session: resumed unless Clean Start ([MQTT-3.1.2-4] 5.0 / [MQTT-3.1.2-6] 3.1.1).
        let resumed = match accept.session {
            Some(state) if !connect.clean_start => Some(state),
            _ => None,
        };
        if let Some(state) = resumed {
            let (out, qos2) = state.into_parts(v5);
            self.out = out;
            self.inb.qos2 = qos2;
        }

        // This side's limits on what it receives.
        if v5 {
            self.decoder
                .set_max_packet_size(c.maximum_packet_size.max(1));
        }
        // The client's limits on what it is sent.
        self.encoder
            .set_max_packet_size(limits.maximum_packet_size.unwrap_or(crate::MAX_PACKET_SIZE));
        let alias_max = match c.outbound_aliases {
            // [MQTT-3.1.2-26] / [MQTT-3.1.2-27]: within the client's maximum, none when it
            // announced none.
            AliasPolicy::Lru { max } if v5 => max.min(limits.topic_alias_maximum),
            _ => 0,
        };
        // [MQTT-4.9.0-1]: the quota starts at the client's Receive Maximum, on every connection,
        // and is never 0.
        self.out
            .start_connection(limits.receive_maximum.min(c.max_inflight).max(1), alias_max);
        let receive_maximum = if v5 {
            c.receive_maximum.max(1)
        } else {
            u16::MAX
        };
        let alias_maximum = if v5 { c.topic_alias_maximum } else { 0 };
        self.inb
            .start_connection(1, receive_maximum, alias_maximum, Side::Server);
        if session_present {
            // [MQTT-4.4.0-1]: the unacknowledged PUBLISH and PUBREL packets again, in order.
            self.out.resume();
        }

        self.conn.connect_session_expiry = asked_expiry;
        self.conn.will = connect.will.map(alloc::boxed::Box::new);
        self.conn.limits = Some(limits);
        self.conn.connect_deadline = None;
        self.conn.last_received = now;
        self.queue_connack(session_present, ReasonCode::SUCCESS, properties);
        self.phase = Phase::Open;
        self.status = Status::Connected;
        Ok(())
    }

    /// Refuses the CONNECT reported by [`ServerEvent::Connect`]: CONNACK with `reason` (a code
    /// of 0x80 or more; on 3.1.1 the nearest return code: 0x85 → 2, 0x86 → 4, 0x87/0x8A/0x8C
    /// → 5, 0x84 → 1, others → 3 Server unavailable), then the connection ends and nothing
    /// the client sends is processed ([MQTT-3.1.4-6] 5.0 / [MQTT-3.1.4-5] 3.1.1). The
    /// properties (5.0) may carry a Reason String or a Server Reference (0x9C, 0x9D).
    pub fn reject(
        &mut self,
        now: Instant,
        reason: ReasonCode,
        properties: ConnAckProperties,
    ) -> Result<(), CommandError> {
        self.advance(now);
        self.decided_connect()?;
        if reason.is_success() || !reason.is_valid_for(crate::PacketType::ConnAck) {
            return Err(CommandError::Encode(
                crate::EncodeError::InvalidReasonCode {
                    packet: crate::PacketType::ConnAck,
                    code: reason,
                },
            ));
        }
        let properties = if self.version.is_v5() {
            properties
        } else {
            ConnAckProperties::default()
        };
        self.queue_connack(false, reason, properties.clone());
        self.end_connection(ConnectionError::Refused { reason, properties }, None);
        Ok(())
    }

    /// Sends AUTH (5.0 enhanced authentication, §4.12): during the handshake, reason 0x18 to
    /// challenge the client (its answer comes as [`ServerEvent::Auth`]); after CONNACK, 0x00 to
    /// end a re-authentication the client started with 0x19, or 0x18 to continue it. The
    /// Authentication Method must be the CONNECT's ([MQTT-4.12.0-5]). A successful handshake
    /// ends with [`accept`](Self::accept) (whose properties may carry the final Authentication
    /// Data), a failed one with [`reject`](Self::reject).
    pub fn auth(&mut self, now: Instant, auth: Auth) -> Result<(), CommandError> {
        self.advance(now);
        if !self.version.is_v5() {
            return Err(CommandError::NotAvailable { what: "AUTH" });
        }
        let open = match self.phase {
            Phase::Decide { .. } if !self.conn.ended => false,
            Phase::Open if self.status == Status::Connected => true,
            _ => return Err(CommandError::WrongStatus(self.status)),
        };
        if !open && auth.reason_code != ReasonCode::CONTINUE_AUTHENTICATION {
            // §4.12: during the handshake the server's AUTH is a challenge; success is CONNACK.
            return Err(CommandError::Encode(
                crate::EncodeError::InvalidReasonCode {
                    packet: crate::PacketType::Auth,
                    code: auth.reason_code,
                },
            ));
        }
        let packet = Packet::Auth(auth);
        packet
            .encoded_len(self.version)
            .map_err(CommandError::Encode)?;
        if !open {
            self.phase = Phase::Decide { reading: true };
        }
        self.conn.control.push_back(packet);
        Ok(())
    }
}

/// Whether a successful CONNACK with `properties` fits `max` bytes, once its Reason String and
/// User Properties are left out if need be (as `poll_transmit` does).
fn connack_fits(
    version: crate::Version,
    session_present: bool,
    properties: &ConnAckProperties,
    max: u32,
) -> Result<(), crate::EncodeError> {
    let size = |properties: ConnAckProperties| {
        Packet::ConnAck(Box::new(ConnAck {
            session_present,
            reason_code: ReasonCode::SUCCESS,
            properties,
        }))
        .encoded_len(version)
    };
    let mut trimmed = properties.to_builder();
    trimmed.reason_string = None;
    trimmed.user_properties = alloc::vec::Vec::new();
    let size = u64::try_from(size(trimmed.build()?)?).unwrap_or(u64::MAX);
    if size > u64::from(max) {
        return Err(crate::EncodeError::PacketTooLarge {
            size,
            max: max.into(),
        });
    }
    Ok(())
}

/// The 3.1.1 CONNACK return code nearest to a 5.0 refusal.
fn v3_connack_code(reason: ReasonCode) -> ReasonCode {
    if reason.to_v3_connack().is_some() {
        return reason;
    }
    match reason {
        ReasonCode::BANNED | ReasonCode::BAD_AUTHENTICATION_METHOD => ReasonCode::NOT_AUTHORIZED,
        _ => ReasonCode::SERVER_UNAVAILABLE,
    }
}
