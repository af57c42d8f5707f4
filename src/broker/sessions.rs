//! Sessions by client identifier: CONNECT decisions, takeover, resumption, detachment, expiry
//! and wills.

use alloc::boxed::Box;

use super::core::{Broker, BrokerEvent, ConnId, Session, SessionKey};
use super::policy::{ConnectDecision, ConnectRequest, Identity, Policy};
use crate::session::{Accept, ConnectionError, Message, WillAction};
use crate::{Auth, AuthProperties, ByteString, Connect, ReasonCode};

impl<P: Policy> Broker<P> {
    pub(crate) fn on_connect(&mut self, id: ConnId, connect: Box<Connect>) {
        let Some(c) = self.conn_mut(id) else {
            return;
        };
        c.identity.client_id = ByteString::from(&*connect.client_id);
        c.identity.username = connect.username.as_deref().map(ByteString::from);
        let decision = {
            let Some(c) = super::core::conn_in(&self.slots, id) else {
                return;
            };
            let props = &connect.properties;
            let request = ConnectRequest {
                client: c.identity.info(),
                password: connect.password.as_deref(),
                authentication_method: props.authentication_method(),
                authentication_data: props.authentication_data(),
            };
            self.policy.connect(&request)
        };
        self.decide(id, connect, decision);
    }

    pub(crate) fn on_auth(&mut self, id: ConnId, auth: Auth) {
        let Some(c) = super::core::conn_in(&self.slots, id) else {
            return;
        };
        let request = ConnectRequest {
            client: c.identity.info(),
            password: None,
            authentication_method: auth.properties.authentication_method(),
            authentication_data: auth.properties.authentication_data(),
        };
        let decision = self.policy.connect(&request);
        let now = self.now;
        let method = auth
            .properties
            .authentication_method()
            .map(ByteString::from);
        let Some(c) = self.conn_mut(id) else {
            return;
        };
        match c.authenticating.take() {
            // A step of the handshake.
            Some(connect) => self.decide(id, connect, decision),
            // Re-authentication (§4.12.1).
            None => match decision {
                ConnectDecision::Accept {
                    authentication_data,
                } => {
                    let _ = c.server.auth(
                        now,
                        auth_packet(ReasonCode::SUCCESS, method, authentication_data),
                    );
                }
                ConnectDecision::Continue {
                    authentication_data,
                } => {
                    let _ = c.server.auth(
                        now,
                        auth_packet(
                            ReasonCode::CONTINUE_AUTHENTICATION,
                            method,
                            authentication_data,
                        ),
                    );
                }
                // [MQTT-4.12.1-2]: a failed re-authentication ends the connection.
                ConnectDecision::Reject(reason) => {
                    let _ = c.server.disconnect(now, reason, Default::default());
                    self.process(id);
                }
            },
        }
    }

    fn decide(&mut self, id: ConnId, connect: Box<Connect>, decision: ConnectDecision) {
        let now = self.now;
        match decision {
            ConnectDecision::Reject(reason) => {
                self.stats.refused_connections += 1;
                if let Some(c) = self.conn_mut(id) {
                    let reason = if reason.is_success() {
                        ReasonCode::NOT_AUTHORIZED
                    } else {
                        reason
                    };
                    if c.server.reject(now, reason, Default::default()).is_err() {
                        let _ =
                            c.server
                                .reject(now, ReasonCode::NOT_AUTHORIZED, Default::default());
                    }
                }
                self.process(id);
            }
            ConnectDecision::Continue {
                authentication_data,
            } => {
                let method = connect
                    .properties
                    .authentication_method()
                    .map(ByteString::from);
                if let Some(c) = self.conn_mut(id) {
                    let challenge = auth_packet(
                        ReasonCode::CONTINUE_AUTHENTICATION,
                        method,
                        authentication_data,
                    );
                    if c.server.auth(now, challenge).is_ok() {
                        c.authenticating = Some(connect);
                    } else {
                        let _ = c.server.reject(
                            now,
                            ReasonCode::BAD_AUTHENTICATION_METHOD,
                            Default::default(),
                        );
                    }
                }
                self.process(id);
            }
            ConnectDecision::Accept {
                authentication_data,
            } => self.admit(id, &connect, authentication_data),
        }
    }

    /// Accepts `connect` on `id`: takes over a connected session of the same client
    /// identifier, resumes or replaces a stored one, and queues CONNACK.
    fn admit(&mut self, id: ConnId, connect: &Connect, authentication_data: Option<crate::Bytes>) {
        let now = self.now;
        let assigned = connect
            .client_id
            .is_empty()
            .then(|| self.assign_client_id());
        let client_id = assigned
            .clone()
            .unwrap_or_else(|| ByteString::from(&*connect.client_id));

        // [MQTT-3.1.4-3] (5.0) / [MQTT-3.1.4-2] (3.1.1): a connected session of the same
        // client identifier loses its connection first.
        if let Some(&key) = self.by_client_id.get(&client_id)
            && let Some(old) = self.sessions.get(&key).and_then(|s| s.conn)
            && old != id
        {
            if let Some(c) = self.conn_mut(old) {
                c.server.take_over(now);
            }
            self.process(old);
            self.touch(old);
        }

        // Clean Start ends a stored session ([MQTT-3.1.2-4] 5.0 / [MQTT-3.1.2-6] 3.1.1);
        // otherwise it is resumed, and its pending will is cancelled ([MQTT-3.1.3-9]).
        let mut resumed = None;
        if let Some(&key) = self.by_client_id.get(&client_id) {
            if connect.clean_start {
                self.end_session(key);
            } else if let Some(s) = self.sessions.get_mut(&key) {
                resumed = Some((key, s.detached.take().map(|d| *d).unwrap_or_default()));
                if let Some(at) = s.will_at.take() {
                    self.wills.remove(&(at, key));
                }
                if let Some(at) = s.expires_at.take() {
                    self.expiries.remove(&(at, key));
                }
            }
        }
        let session_present = resumed.is_some();
        let mut accept = Accept::new();
        accept.assigned_client_id = assigned;
        accept.properties.authentication_method = connect
            .properties
            .authentication_method()
            .map(ByteString::from);
        accept.properties.authentication_data = authentication_data;
        let key = match resumed {
            Some((key, state)) => {
                accept.session = Some(state);
                key
            }
            None => {
                let key = SessionKey(self.next_key);
                self.next_key += 1;
                self.sessions.insert(
                    key,
                    Session {
                        client_id: client_id.clone(),
                        identity: Identity::default(),
                        conn: None,
                        detached: None,
                        expires_at: None,
                        will_at: None,
                    },
                );
                self.by_client_id.insert(client_id.clone(), key);
                self.stats.sessions = self.sessions.len();
                key
            }
        };
        let Some(c) = self.conn_mut(id) else {
            return;
        };
        c.identity.client_id = client_id.clone();
        let identity = c.identity.clone();
        match c.server.accept(now, accept) {
            Ok(()) => {
                c.session = Some(key);
                if let Some(s) = self.sessions.get_mut(&key) {
                    s.conn = Some(id);
                    s.identity = identity;
                }
                self.events.push_back(BrokerEvent::Connected {
                    conn: id,
                    client_id,
                    session_present,
                });
            }
            Err(_) => {
                let _ = c
                    .server
                    .reject(now, ReasonCode::UNSPECIFIED_ERROR, Default::default());
                self.end_session(key);
            }
        }
        self.process(id);
    }

    fn assign_client_id(&mut self) -> ByteString {
        loop {
            let id = alloc::format!("{}{}", self.config.assigned_id_prefix, self.next_assigned);
            self.next_assigned += 1;
            if !self.by_client_id.contains_key(id.as_str()) {
                return ByteString::from(id);
            }
        }
    }

    pub(crate) fn on_closed(
        &mut self,
        id: ConnId,
        error: ConnectionError,
        will: WillAction,
        session_expiry: u32,
    ) {
        let now = self.now;
        let Some(c) = self.conn_mut(id) else {
            return;
        };
        let key = c.session.take();
        let state = c.server.take_state();
        let client_id = key.map(|_| c.identity.client_id.clone());
        self.events.push_back(BrokerEvent::Disconnected {
            conn: id,
            client_id,
            error,
        });
        let Some(key) = key else {
            return;
        };
        let Some(s) = self.sessions.get_mut(&key) else {
            return;
        };
        s.conn = None;
        if session_expiry == 0 {
            // The session ends with the connection ([MQTT-3.1.2-23] 5.0 / Clean Session 1):
            // a will is published now, whatever its delay.
            s.detached = state.map(alloc::boxed::Box::new);
            if let WillAction::Publish { message, .. } = will {
                self.publish_will(message);
            }
            self.end_session(key);
            return;
        }
        s.detached = Some(alloc::boxed::Box::new(state.unwrap_or_default()));
        if session_expiry != u32::MAX {
            let at = now.plus_secs(u64::from(session_expiry));
            s.expires_at = Some(at);
            self.expiries.insert((at, key));
        }
        if let WillAction::Publish { message, delay } = will {
            // [MQTT-3.1.2-8] (5.0): after the Will Delay Interval, or when the session ends,
            // whichever comes first.
            let delay = delay.min(session_expiry);
            if delay == 0 {
                self.publish_will(message);
            } else {
                let at = now.plus_secs(u64::from(delay));
                s.will_at = Some(at);
                self.wills.insert((at, key), message);
            }
        }
    }

    /// Ends a session: its subscriptions go, a will still waiting is published now
    /// ([MQTT-3.1.2-8]: when the session ends), its client identifier is free, and the
    /// messages a shared group gave it go to another member (§4.8.2), except QoS 2 messages
    /// whose delivery had started ([MQTT-4.8.2-5]).
    pub(crate) fn end_session(&mut self, key: SessionKey) {
        let Some(s) = self.sessions.remove(&key) else {
            return;
        };
        self.by_client_id.remove(&s.client_id);
        if let Some(at) = s.expires_at {
            self.expiries.remove(&(at, key));
        }
        self.tree.remove_subscriber(key);
        let flows: alloc::vec::Vec<_> = self
            .shared_flows
            .range((key, crate::session::PublishId::MIN)..=(key, crate::session::PublishId::MAX))
            .map(|(k, g)| (*k, *g))
            .collect();
        if !flows.is_empty() {
            for (k, _) in &flows {
                self.shared_flows.remove(k);
            }
            for (id, message, again) in s.detached.into_iter().flat_map(|d| (*d).into_messages()) {
                let Some(&(_, group)) = flows.iter().find(|((_, i), _)| *i == id) else {
                    continue;
                };
                if !again {
                    continue;
                }
                let members: alloc::vec::Vec<_> = self.tree.group_members(group).collect();
                self.deliver_shared(group, &members, message);
            }
        }
        self.stats.sessions = self.sessions.len();
        self.stats.subscriptions = self.tree.len();
        if let Some(at) = s.will_at
            && let Some(will) = self.wills.remove(&(at, key))
        {
            self.publish_will(will);
        }
    }

    pub(crate) fn publish_will(&mut self, will: Message) {
        self.stats.wills_published += 1;
        self.stats.messages_in += 1;
        // A will has no publisher: No Local does not apply to it.
        // The identifier is a placeholder: routing reads the QoS (the Will QoS), never the
        // identifier.
        let publish = will.into_publish(Some(crate::PacketId::MIN));
        self.route(None, &publish);
    }
}

fn auth_packet(reason: ReasonCode, method: Option<ByteString>, data: Option<crate::Bytes>) -> Auth {
    let mut props = AuthProperties::builder();
    props.authentication_method = method;
    props.authentication_data = data;
    Auth {
        reason_code: reason,
        properties: props.build().unwrap_or_default(),
    }
}
