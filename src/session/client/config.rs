//! What the application configures, and what the server's CONNACK decided.

use core::time::Duration;

use crate::session::AckMode;
use crate::{ByteString, ConnAck, QoS};

/// How a [`ClientSession`](super::ClientSession) behaves. Wire values (keep alive, limits,
/// session expiry) are not here: they come from the CONNECT the application sends.
///
/// ```
/// use core::time::Duration;
/// use mqtt_wire::session::{AckMode, ClientConfig};
///
/// let config = ClientConfig::default()
///     .ack_mode(AckMode::Manual)
///     .ping_timeout(Duration::from_secs(5))
///     .max_pending(100);
/// assert_eq!(config.max_pending, 100);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// How long to wait for PINGRESP before the connection is presumed dead. `None` (the
    /// default): half the keep alive, between 1 and 30 seconds.
    pub ping_timeout: Option<Duration>,
    /// How long to wait for CONNACK. Default 30 seconds.
    pub connect_timeout: Duration,
    /// When received QoS 1/2 messages are acknowledged. Default [`AckMode::Auto`].
    pub ack_mode: AckMode,
    /// Messages accepted by `publish` and not sent yet, at most. Default 1,024.
    pub max_pending: usize,
    /// Outgoing QoS 1/2 messages in flight at once, at most; the server's Receive Maximum may
    /// lower it further. Default 65,535 (the protocol's limit).
    pub max_inflight: u16,
    /// Whether PUBLISHes sent to a 5.0 server use topic aliases. Default [`AliasPolicy::Off`].
    pub outbound_aliases: AliasPolicy,
    /// Events waiting to be polled, at most, before `handle_input` stops reading; the same bound
    /// applies to packets waiting for `poll_transmit`. Default 1,024.
    pub max_events: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            ping_timeout: None,
            connect_timeout: Duration::from_secs(30),
            ack_mode: AckMode::Auto,
            max_pending: 1024,
            max_inflight: u16::MAX,
            outbound_aliases: AliasPolicy::Off,
            max_events: 1024,
        }
    }
}

impl ClientConfig {
    /// Sets [`ping_timeout`](Self::ping_timeout).
    #[must_use]
    pub fn ping_timeout(mut self, timeout: Duration) -> Self {
        self.ping_timeout = Some(timeout);
        self
    }

    /// Sets [`connect_timeout`](Self::connect_timeout).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`ack_mode`](Self::ack_mode).
    #[must_use]
    pub fn ack_mode(mut self, mode: AckMode) -> Self {
        self.ack_mode = mode;
        self
    }

    /// Sets [`max_pending`](Self::max_pending).
    #[must_use]
    pub fn max_pending(mut self, max: usize) -> Self {
        self.max_pending = max;
        self
    }

    /// Sets [`max_inflight`](Self::max_inflight) (at least 1).
    #[must_use]
    pub fn max_inflight(mut self, max: u16) -> Self {
        self.max_inflight = max.max(1);
        self
    }

    /// Sets [`outbound_aliases`](Self::outbound_aliases).
    #[must_use]
    pub fn outbound_aliases(mut self, policy: AliasPolicy) -> Self {
        self.outbound_aliases = policy;
        self
    }

    /// Sets [`max_events`](Self::max_events) (at least 1).
    #[must_use]
    pub fn max_events(mut self, max: usize) -> Self {
        self.max_events = max.max(1);
        self
    }
}

/// How the client uses topic aliases for the PUBLISHes it sends (5.0, §3.3.2.3.4).
///
/// Aliases are per connection ([MQTT-3.3.2-7]): the table starts empty on each, and a message
/// sent again after a reconnect carries its full topic name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum AliasPolicy {
    /// Every PUBLISH carries its topic name.
    #[default]
    Off,
    /// Topics get aliases as they are published, up to `max` or the server's Topic Alias
    /// Maximum, whichever is lower ([MQTT-3.2.2-17], [MQTT-3.3.2-9]); when all are taken, the
    /// least recently used alias is given to the new topic. A topic's first PUBLISH on a
    /// connection sets its alias (topic name and alias); later ones carry the alias alone.
    Lru {
        /// The most aliases to use (the table's size).
        max: u16,
    },
}

/// The server's side of the connection, from its CONNACK (5.0 properties; on 3.1.1 the
/// defaults: no limits the protocol version does not have).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Negotiated {
    /// Whether the server resumed a stored session.
    pub session_present: bool,
    /// QoS 1/2 PUBLISHes the server accepts at once (absent: 65,535).
    pub receive_maximum: u16,
    /// The highest QoS the server accepts (absent: 2).
    pub maximum_qos: QoS,
    /// Whether the server keeps retained messages (absent: true).
    pub retain_available: bool,
    /// The largest packet the server accepts (absent: no limit but the protocol's).
    pub maximum_packet_size: Option<u32>,
    /// The highest topic alias the server accepts (absent: 0, none).
    pub topic_alias_maximum: u16,
    /// Wildcard Subscription Available (absent: true).
    pub wildcard_subscription_available: bool,
    /// Subscription Identifier Available (absent: true).
    pub subscription_identifier_available: bool,
    /// Shared Subscription Available (absent: true).
    pub shared_subscription_available: bool,
    /// The keep alive in force: the Server Keep Alive when the server sent one
    /// ([MQTT-3.2.2-21]), else the CONNECT's.
    pub keep_alive: u16,
    /// The client identifier the server assigned to an empty one (Assigned Client Identifier).
    pub assigned_client_identifier: Option<ByteString>,
    /// Response Information, when asked for.
    pub response_information: Option<ByteString>,
    /// The Session Expiry Interval in force (the server's when it sent one).
    pub session_expiry_interval: u32,
}

impl Negotiated {
    /// What of a SUBSCRIBE the server said it does not support (5.0 CONNACK §3.2.2.3.11-13),
    /// if anything.
    pub(crate) fn refuses(
        &self,
        filters: &crate::SubscribeFilters,
        properties: &crate::SubscribeProperties,
    ) -> Option<&'static str> {
        if !self.wildcard_subscription_available && filters.iter().any(|(f, _)| f.has_wildcards()) {
            return Some("a wildcard subscription");
        }
        if !self.shared_subscription_available && filters.iter().any(|(f, _)| f.is_shared()) {
            return Some("a shared subscription");
        }
        if !self.subscription_identifier_available && properties.subscription_identifier().is_some()
        {
            return Some("a subscription identifier");
        }
        None
    }

    pub(crate) fn from_connack(connack: &ConnAck, keep_alive: u16, session_expiry: u32) -> Self {
        let p = &connack.properties;
        Negotiated {
            session_present: connack.session_present,
            receive_maximum: p.receive_maximum().unwrap_or(u16::MAX),
            maximum_qos: p.maximum_qos().unwrap_or(QoS::ExactlyOnce),
            retain_available: p.retain_available().unwrap_or(true),
            maximum_packet_size: p.maximum_packet_size(),
            topic_alias_maximum: p.topic_alias_maximum().unwrap_or(0),
            wildcard_subscription_available: p.wildcard_subscription_available().unwrap_or(true),
            subscription_identifier_available: p
                .subscription_identifier_available()
                .unwrap_or(true),
            shared_subscription_available: p.shared_subscription_available().unwrap_or(true),
            keep_alive: p.server_keep_alive().unwrap_or(keep_alive),
            assigned_client_identifier: p.assigned_client_identifier().map(ByteString::from),
            response_information: p.response_information().map(ByteString::from),
            session_expiry_interval: p.session_expiry_interval().unwrap_or(session_expiry),
        }
    }
}
