//! Routing: PUBLISH to every matching subscription, SUBSCRIBE with its retained messages,
//! UNSUBSCRIBE.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::core::{Broker, ConnId, SessionKey};
use super::policy::Policy;
use super::retain::RetainedMessage;
use crate::session::{AckToken, Message, PublishError};
use crate::{
    AckProperties, Publish, PublishProperties, QoS, ReasonCode, RetainHandling, Subscribe,
    SubscriptionOptions, Unsubscribe,
};

impl<P: Policy> Broker<P> {
    pub(crate) fn on_publish(&mut self, id: ConnId, publish: Publish, ack: Option<AckToken>) {
        let now = self.now;
        let Some(c) = super::core::conn_in(&self.slots, id) else {
            return;
        };
        let Some(publisher) = c.session else {
            return;
        };
        let allowed = {
            let info = c.identity.info();
            self.policy.may_publish(&info, &publish.topic)
        };
        let reason = if !allowed {
            // 5.0: 0x87 in the ack; 3.1.1 has no refusal and acknowledges as usual, so the
            // message is dropped silently.
            self.stats.denied_publish += 1;
            ReasonCode::NOT_AUTHORIZED
        } else {
            self.stats.messages_in += 1;
            let delivered = self.route(Some(publisher), &publish);
            if delivered == 0 {
                ReasonCode::NO_MATCHING_SUBSCRIBERS
            } else {
                ReasonCode::SUCCESS
            }
        };
        if let (Some(token), Some(c)) = (ack, self.conn_mut(id)) {
            let _ = c.server.ack(now, token, reason, AckProperties::default());
        }
    }

    /// Routes a message to every matching subscription and updates the retained store;
    /// returns how many copies were handed to sessions.
    pub(crate) fn route(&mut self, publisher: Option<SessionKey>, publish: &Publish) -> usize {
        let now = self.now;
        if publish.retain {
            self.retain(publish);
        }
        // What every copy carries: the published properties without the publisher's Topic
        // Alias (a mapping of its own connection) and without Subscription Identifiers.
        let properties = forwarded(&publish.properties);
        let mut matches = core::mem::take(&mut self.matches);
        self.tree
            .matches_into(&publish.topic, publisher, &mut matches);
        let mut copies = 0;
        let qos = publish.qos.qos();
        for d in matches.deliveries() {
            let message = Message {
                topic: publish.topic.clone(),
                payload: publish.payload.clone(),
                // [MQTT-3.8.4-8] (5.0) / [MQTT-3.8.4-6] (3.1.1): at most the granted QoS.
                qos: qos.min(d.qos),
                // [MQTT-3.3.1-12] / [MQTT-3.3.1-13]: RETAIN is kept only with Retain As
                // Published; otherwise a forwarded message has RETAIN 0.
                retain: publish.retain && d.retain_as_published,
                properties: with_identifiers(
                    &mut self.identifier_sets,
                    &properties,
                    d.subscription_identifiers,
                ),
            };
            copies += usize::from(self.deliver(d.subscriber, message).is_some());
        }
        for group in matches.shared() {
            let message = Message {
                topic: publish.topic.clone(),
                payload: publish.payload.clone(),
                qos,
                retain: publish.retain,
                properties: properties.clone(),
            };
            copies += usize::from(self.deliver_shared(group.group, group.members, message));
        }
        self.matches = matches;
        if copies == 0 {
            self.stats.unrouted += 1;
        }
        let _ = now;
        copies
    }

    /// Gives `message` (with the published QoS, RETAIN and properties) to one member of a
    /// shared group, connected members first, in turn ([MQTT-4.8.2-3]: at that member's
    /// granted QoS, with its Subscription Identifier). True when one took it.
    pub(crate) fn deliver_shared(
        &mut self,
        group: super::GroupId,
        members: &[super::SubscriptionMatch<SessionKey>],
        message: Message,
    ) -> bool {
        let start = self.shared_next.get(&group).copied().unwrap_or(0);
        let n = members.len();
        let connected =
            |b: &Self, k: SessionKey| b.sessions.get(&k).is_some_and(|s| s.conn.is_some());
        let pick = (0..n)
            .map(|i| (start + i) % n)
            .find(|&i| {
                members
                    .get(i)
                    .is_some_and(|m| connected(self, m.subscriber))
            })
            // Lazily: `start % n` for a group without members would divide by zero.
            .or_else(|| (n > 0).then(|| start % n));
        let Some(m) = pick.and_then(|i| {
            self.shared_next.insert(group, i + 1);
            members.get(i)
        }) else {
            return false;
        };
        let ids: &[u32] = match &m.identifier {
            Some(id) => core::slice::from_ref(id),
            None => &[],
        };
        let message = Message {
            qos: message.qos.min(m.options.qos),
            retain: message.retain && m.options.retain_as_published,
            properties: with_identifiers(&mut self.identifier_sets, &message.properties, ids),
            ..message
        };
        let qos = message.qos;
        match self.deliver(m.subscriber, message) {
            Some(id) => {
                if qos != QoS::AtMostOnce {
                    self.shared_flows.insert((m.subscriber, id), group);
                }
                true
            }
            None => false,
        }
    }

    /// Hands a copy to a session: its connection's queue, or its stored state when it is away
    /// (QoS 0 only when configured). The id the session gave it, when it took it.
    fn deliver(&mut self, key: SessionKey, message: Message) -> Option<crate::session::PublishId> {
        let now = self.now;
        let s = self.sessions.get_mut(&key)?;
        if let Some(conn) = s.conn {
            let allowed = {
                let info = s.identity.info();
                self.policy.may_receive(&info, &message.topic)
            };
            if !allowed {
                return None;
            }
            let c = self.conn_mut(conn)?;
            let result = c.server.publish(now, message);
            self.process(conn);
            self.touch(conn);
            return match result {
                Ok(id) => {
                    self.stats.messages_out += 1;
                    Some(id)
                }
                Err(PublishError::Blocked(_)) => {
                    // A client that does not read while its queue fills: nothing older can
                    // make room. The connection ends (0x97 Quota exceeded) rather than the
                    // broker's memory growing.
                    self.stats.dropped_queue_full += 1;
                    if let Some(c) = self.conn_mut(conn) {
                        let _ = c.server.disconnect(
                            now,
                            ReasonCode::QUOTA_EXCEEDED,
                            Default::default(),
                        );
                    }
                    self.process(conn);
                    None
                }
                Err(_) => None,
            };
        }
        if message.qos == QoS::AtMostOnce && !self.config.server.queue_qos0_offline {
            self.stats.dropped_offline_qos0 += 1;
            return None;
        }
        let state = s.detached.get_or_insert_with(Default::default);
        match state.queue(now, message, &self.config.server) {
            Ok((id, dropped)) => {
                self.stats.dropped_queue_full += dropped as u64;
                self.stats.messages_out += 1;
                Some(id)
            }
            Err(_) => {
                self.stats.dropped_queue_full += 1;
                None
            }
        }
    }

    /// [MQTT-3.3.1-5]: a retained PUBLISH replaces the topic's retained message (QoS 0 ones
    /// too, [MQTT-3.3.1-7] 3.1.1); an empty payload deletes it and is not kept
    /// ([MQTT-3.3.1-10] / [MQTT-3.3.1-11] 3.1.1, [MQTT-3.3.1-6] / [MQTT-3.3.1-7] 5.0).
    fn retain(&mut self, publish: &Publish) {
        if publish.payload.is_empty() {
            self.retained.remove(&publish.topic);
        } else if self.retained.len() < self.config.max_retained
            || self.retained.get(&publish.topic).is_some()
        {
            let mut message = RetainedMessage::from_publish(publish, self.now);
            message.properties = forwarded(&message.properties);
            self.retained.set(message);
        }
        self.stats.retained = self.retained.len();
    }

    pub(crate) fn on_subscribe(&mut self, id: ConnId, subscribe: Subscribe) {
        let now = self.now;
        let Some(c) = self.conn(id) else {
            return;
        };
        let Some(key) = c.session else {
            return;
        };
        let identity = c.identity.clone();
        let v5 = c.server.version().is_v5();
        let cfg = &self.config.server;
        let (wildcards, shared, identifiers, max_qos) = (
            cfg.wildcard_subscription_available,
            cfg.shared_subscription_available,
            cfg.subscription_identifier_available,
            cfg.maximum_qos,
        );
        let identifier = subscribe.properties.subscription_identifier();
        let mut codes = Vec::with_capacity(subscribe.filters.len());
        let mut retained_for = Vec::new();
        for (filter, options) in subscribe.filters.iter() {
            let code = if v5 && filter.is_shared() && !shared {
                ReasonCode::SHARED_SUBSCRIPTIONS_NOT_SUPPORTED
            } else if v5 && filter.has_wildcards() && !wildcards {
                ReasonCode::WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED
            } else if v5 && identifier.is_some() && !identifiers {
                ReasonCode::SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED
            } else if !self.policy.may_subscribe(&identity.info(), filter.as_str()) {
                self.stats.denied_subscribe += 1;
                ReasonCode::NOT_AUTHORIZED
            } else {
                // [MQTT-3.2.2-10] / [MQTT-3.8.4-7]: the granted QoS is at most the server's maximum.
                let granted = options.qos.min(max_qos);
                let options = SubscriptionOptions {
                    qos: granted,
                    ..options
                };
                let is_shared = filter.is_shared();
                let old = self.tree.insert(key, filter.clone(), options, identifier);
                // [MQTT-3.3.1-6] (3.1.1) / [MQTT-3.3.1-9] .. [MQTT-3.3.1-11] (5.0): the retained
                // messages per Retain Handling; shared subscriptions get none (§4.8.2).
                let send = !is_shared
                    && match options.retain_handling {
                        RetainHandling::SendAtSubscribe => true,
                        RetainHandling::SendIfNew => old.is_none(),
                        RetainHandling::DoNotSend => false,
                    };
                if send {
                    retained_for.push((filter, options));
                }
                match granted {
                    QoS::AtMostOnce => ReasonCode::GRANTED_QOS_0,
                    QoS::AtLeastOnce => ReasonCode::GRANTED_QOS_1,
                    QoS::ExactlyOnce => ReasonCode::GRANTED_QOS_2,
                }
            };
            codes.push(code);
        }
        self.stats.subscriptions = self.tree.len();
        if let Some(c) = self.conn_mut(id) {
            let _ = c
                .server
                .suback(now, subscribe.pid, codes, AckProperties::default());
        }
        for (filter, options) in retained_for {
            self.send_retained(key, filter.filter(), options, identifier);
        }
    }

    /// The retained messages matching `filter`, to a new subscription: RETAIN 1
    /// ([MQTT-3.3.1-8] 3.1.1; §3.3.1.3 5.0), at most the granted QoS, the Message Expiry
    /// Interval reduced by the time they were stored ([MQTT-3.3.2-6]); expired ones are
    /// deleted.
    fn send_retained(
        &mut self,
        key: SessionKey,
        filter: &str,
        options: SubscriptionOptions,
        identifier: Option<u32>,
    ) {
        let now = self.now;
        let mut expired = Vec::new();
        let mut out = Vec::new();
        for m in self.retained.matching(filter) {
            let waited = now.saturating_duration_since(m.stored_at).as_secs();
            let properties = match m.properties.message_expiry_interval() {
                Some(interval) if waited >= u64::from(interval) => {
                    expired.push(m.topic.clone());
                    continue;
                }
                Some(interval) if waited > 0 => {
                    let left = interval - u32::try_from(waited).unwrap_or(interval);
                    m.properties
                        .edit()
                        .message_expiry_interval(Some(left))
                        .build()
                        .unwrap_or_else(|_| m.properties.clone())
                }
                _ => m.properties.clone(),
            };
            let ids: &[u32] = match &identifier {
                Some(id) => core::slice::from_ref(id),
                None => &[],
            };
            out.push(Message {
                topic: m.topic.clone(),
                payload: m.payload.clone(),
                qos: m.qos.min(options.qos),
                retain: true,
                properties: with_identifiers(&mut self.identifier_sets, &properties, ids),
            });
        }
        for topic in expired {
            self.retained.remove(&topic);
        }
        self.stats.retained = self.retained.len();
        for message in out {
            let _ = self.deliver(key, message);
        }
    }

    pub(crate) fn on_unsubscribe(&mut self, id: ConnId, unsubscribe: Unsubscribe) {
        let now = self.now;
        let Some(key) = self.conn(id).and_then(|c| c.session) else {
            return;
        };
        let codes: Vec<ReasonCode> = unsubscribe
            .filters
            .iter()
            .map(|filter| match self.tree.remove(key, filter.as_str()) {
                Some(_) => ReasonCode::SUCCESS,
                None => ReasonCode::NO_SUBSCRIPTION_EXISTED,
            })
            .collect();
        self.stats.subscriptions = self.tree.len();
        if let Some(c) = self.conn_mut(id) {
            let _ = c
                .server
                .unsuback(now, unsubscribe.pid, codes, AckProperties::default());
        }
    }
}

/// The properties a copy carries: the published ones without Topic Alias and Subscription
/// Identifiers. Shared (no copy) when there is nothing to take out.
fn forwarded(properties: &PublishProperties) -> PublishProperties {
    if properties.is_empty()
        || (properties.topic_alias().is_none()
            && properties.subscription_identifiers().next().is_none())
    {
        return properties.clone();
    }
    properties
        .edit()
        .topic_alias(None)
        .subscription_identifiers(&[])
        .build()
        .unwrap_or_default()
}

/// Property sets that hold only Subscription Identifiers, by identifiers. A message published
/// without properties carries exactly its subscription's identifiers to a subscriber, the same
/// set for every message: it is built once and shared, not allocated per copy.
pub(crate) type IdentifierSets = BTreeMap<Vec<u32>, PublishProperties>;

/// The most sets an [`IdentifierSets`] keeps; when full it starts over.
const IDENTIFIER_SETS: usize = 1024;

/// `properties` with the Subscription Identifiers `ids` ([MQTT-3.3.4-3], [MQTT-3.3.4-4]); when
/// `properties` is empty, from `sets`.
#[inline]
fn with_identifiers(
    sets: &mut IdentifierSets,
    properties: &PublishProperties,
    ids: &[u32],
) -> PublishProperties {
    // Most copies carry no identifier: only a reference count, inline.
    if ids.is_empty() {
        return properties.clone();
    }
    identifier_set(sets, properties, ids)
}

/// [`with_identifiers`] for a non-empty `ids`.
fn identifier_set(
    sets: &mut IdentifierSets,
    properties: &PublishProperties,
    ids: &[u32],
) -> PublishProperties {
    let build = || {
        properties
            .edit()
            .subscription_identifiers(ids)
            .build()
            .unwrap_or_else(|_| properties.clone())
    };
    if !properties.is_empty() {
        return build();
    }
    if let Some(set) = sets.get(ids) {
        return set.clone();
    }
    let set = build();
    if sets.len() >= IDENTIFIER_SETS {
        sets.clear();
    }
    sets.insert(ids.to_vec(), set.clone());
    set
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ByteString;

    #[test]
    fn identifier_sets_are_shared_and_carry_each_subscriptions_identifiers_mqtt_3_3_4_3() {
        let mut sets = IdentifierSets::new();
        let empty = PublishProperties::default();
        let ids = |p: &PublishProperties| p.subscription_identifiers().collect::<Vec<_>>();
        let first = with_identifiers(&mut sets, &empty, &[7]);
        assert_eq!(ids(&first), [7]);
        // The same identifiers again: the stored set, the same bytes.
        let again = with_identifiers(&mut sets, &empty, &[7]);
        assert_eq!(again.as_bytes().as_ptr(), first.as_bytes().as_ptr());
        assert_eq!(ids(&with_identifiers(&mut sets, &empty, &[7, 9])), [7, 9]);
        assert_eq!(sets.len(), 2);
        // No identifiers: the properties as they are, nothing stored.
        assert!(with_identifiers(&mut sets, &empty, &[]).is_empty());
        // Published properties are kept, with the identifiers after them; such a set is built
        // for the copy and not stored.
        let mut b = PublishProperties::builder();
        b.content_type = Some(ByteString::from_static("text/plain"));
        let published = b.build().unwrap();
        let forwarded = with_identifiers(&mut sets, &published, &[7]);
        assert_eq!(forwarded.content_type(), Some("text/plain"));
        assert_eq!(ids(&forwarded), [7]);
        assert_eq!(sets.len(), 2);
    }

    #[test]
    fn identifier_sets_stay_bounded_mqtt_3_3_4_4() {
        let mut sets = IdentifierSets::new();
        let empty = PublishProperties::default();
        for id in 1..=(IDENTIFIER_SETS as u32 + 10) {
            let p = with_identifiers(&mut sets, &empty, &[id]);
            assert_eq!(p.subscription_identifiers().collect::<Vec<_>>(), [id]);
            assert!(sets.len() <= IDENTIFIER_SETS);
        }
        // After starting over, every set is still right.
        for id in 1..=20 {
            let p = with_identifiers(&mut sets, &empty, &[id, id + 1]);
            assert_eq!(
                p.subscription_identifiers().collect::<Vec<_>>(),
                [id, id + 1]
            );
        }
    }
}
