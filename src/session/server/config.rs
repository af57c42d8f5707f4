//! What the application configures for a server session, and what the client's CONNECT asked.

use core::time::Duration;

use crate::session::{AckMode, AliasPolicy};
use crate::{ByteString, QoS};

/// How a [`ServerSession`](super::ServerSession) behaves, and the limits it announces in CONNACK
/// (5.0) and enforces on what the client sends.
///
/// ```
/// use core::time::Duration;
/// use mqtt_wire::QoS;
/// use mqtt_wire::session::ServerConfig;
///
/// let config = ServerConfig::default()
///     .receive_maximum(64)
///     .maximum_packet_size(1 << 20)
///     .maximum_qos(QoS::AtLeastOnce)
///     .connect_timeout(Duration::from_secs(5));
/// assert_eq!(config.receive_maximum, 64);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// How long a new connection may take to send CONNECT, and the handshake (CONNECT, the
    /// application's decision, any AUTH exchange) to finish. Default 10 seconds.
    pub connect_timeout: Duration,
    /// QoS 1/2 PUBLISHes a client may have unacknowledged at once (5.0 Receive Maximum; a
    /// client exceeding it is disconnected with 0x93). Default 65,535, the protocol's limit;
    /// 0 is read as 1.
    pub receive_maximum: u16,
    /// The largest packet accepted from a client, fixed header included: announced on 5.0 and
    /// enforced on every version (0x95). Default 1 MiB.
    pub maximum_packet_size: u32,
    /// Topic aliases a 5.0 client may use. Default 16.
    pub topic_alias_maximum: u16,
    /// The highest QoS accepted from clients (5.0: announced; a PUBLISH above it is 0x9B).
    /// Default [`QoS::ExactlyOnce`].
    pub maximum_qos: QoS,
    /// Whether retained messages are supported (5.0: announced; a RETAIN 1 PUBLISH without it is
    /// 0x9A). Default true.
    pub retain_available: bool,
    /// Announced Wildcard Subscription Available (5.0). Default true. The application (or the
    /// broker core) refuses such subscriptions in SUBACK.
    pub wildcard_subscription_available: bool,
    /// Announced Subscription Identifier Available (5.0). Default true.
    pub subscription_identifier_available: bool,
    /// Announced Shared Subscription Available (5.0). Default true.
    pub shared_subscription_available: bool,
    /// The longest keep alive allowed, in seconds: a client asking for more (or for 0, none) is
    /// told this one in the 5.0 Server Keep Alive ([MQTT-3.1.2-21]). `None` (the default):
    /// the client's value stands. 3.1.1 has no way to tell the client, so it is not applied.
    pub max_keep_alive: Option<u16>,
    /// The longest Session Expiry Interval granted (5.0; announced in CONNACK when lower than
    /// the client's). `None` (the default): the client's value stands.
    pub max_session_expiry: Option<u32>,
    /// When received QoS 1/2 messages are acknowledged. Default [`AckMode::Manual`]: the
    /// application (or the broker core) answers each with a reason code such as 0x10 No
    /// matching subscribers or 0x87 Not authorized.
    pub ack_mode: AckMode,
    /// Outgoing QoS 1/2 messages in flight to a client at once, at most; the client's Receive
    /// Maximum may lower it. Default 65,535.
    pub max_inflight: u16,
    /// Whether PUBLISHes to a 5.0 client use topic aliases (within the client's Topic Alias
    /// Maximum). Default [`AliasPolicy::Off`].
    pub outbound_aliases: AliasPolicy,
    /// Messages queued for a client and not sent yet, at most (online or offline). When full,
    /// the oldest queued QoS 0 message is dropped for a new one; with none, the new message is
    /// refused. Default 1,000.
    pub max_queued: usize,
    /// Bytes of queued messages (topic, payload and properties), at most, with the same policy.
    /// Default 16 MiB.
    pub max_queued_bytes: usize,
    /// Whether QoS 0 messages are queued for a client that is not connected. Default false
    /// (the specification leaves it to the server, §3.1.2.4).
    pub queue_qos0_offline: bool,
    /// Events waiting to be polled, at most, before `handle_input` stops reading; the same bound
    /// applies to packets waiting for `poll_transmit`. Default 1,024.
    pub max_events: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            connect_timeout: Duration::from_secs(10),
            receive_maximum: u16::MAX,
            maximum_packet_size: 1 << 20,
            topic_alias_maximum: 16,
            maximum_qos: QoS::ExactlyOnce,
            retain_available: true,
            wildcard_subscription_available: true,
            subscription_identifier_available: true,
            shared_subscription_available: true,
            max_keep_alive: None,
            max_session_expiry: None,
            ack_mode: AckMode::Manual,
            max_inflight: u16::MAX,
            outbound_aliases: AliasPolicy::Off,
            max_queued: 1000,
            max_queued_bytes: 16 << 20,
            queue_qos0_offline: false,
            max_events: 1024,
        }
    }
}

macro_rules! setters {
    ($($(#[$m:meta])* $name:ident: $ty:ty,)*) => {
        impl ServerConfig {
            $(
                $(#[$m])*
                #[must_use]
                pub fn $name(mut self, value: $ty) -> Self {
                    self.$name = value;
                    self
                }
            )*
        }
    };
}

setters! {
    /// Sets [`connect_timeout`](Self::connect_timeout).
    connect_timeout: Duration,
    /// Sets [`receive_maximum`](Self::receive_maximum).
    receive_maximum: u16,
    /// Sets [`maximum_packet_size`](Self::maximum_packet_size).
    maximum_packet_size: u32,
    /// Sets [`topic_alias_maximum`](Self::topic_alias_maximum).
    topic_alias_maximum: u16,
    /// Sets [`maximum_qos`](Self::maximum_qos).
    maximum_qos: QoS,
    /// Sets [`retain_available`](Self::retain_available).
    retain_available: bool,
    /// Sets [`wildcard_subscription_available`](Self::wildcard_subscription_available).
    wildcard_subscription_available: bool,
    /// Sets [`subscription_identifier_available`](Self::subscription_identifier_available).
    subscription_identifier_available: bool,
    /// Sets [`shared_subscription_available`](Self::shared_subscription_available).
    shared_subscription_available: bool,
    /// Sets [`max_keep_alive`](Self::max_keep_alive).
    max_keep_alive: Option<u16>,
    /// Sets [`max_session_expiry`](Self::max_session_expiry).
    max_session_expiry: Option<u32>,
    /// Sets [`ack_mode`](Self::ack_mode).
    ack_mode: AckMode,
    /// Sets [`max_inflight`](Self::max_inflight).
    max_inflight: u16,
    /// Sets [`outbound_aliases`](Self::outbound_aliases).
    outbound_aliases: AliasPolicy,
    /// Sets [`max_queued`](Self::max_queued).
    max_queued: usize,
    /// Sets [`max_queued_bytes`](Self::max_queued_bytes).
    max_queued_bytes: usize,
    /// Sets [`queue_qos0_offline`](Self::queue_qos0_offline).
    queue_qos0_offline: bool,
    /// Sets [`max_events`](Self::max_events).
    max_events: usize,
}

/// What the client's CONNECT asked for and the server granted, for the connection in force.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientLimits {
    /// The client identifier in force (the assigned one when the CONNECT's was empty).
    pub client_id: ByteString,
    /// Whether the CONNECT had Clean Start (Clean Session on 3.1.1).
    pub clean_start: bool,
    /// The keep alive in force, in seconds (the Server Keep Alive when one was sent); 0 = off.
    pub keep_alive: u16,
    /// The Session Expiry Interval in force (3.1.1: 0 with Clean Session 1, `u32::MAX`
    /// otherwise); a 5.0 DISCONNECT may change it.
    pub session_expiry: u32,
    /// QoS 1/2 PUBLISHes the client accepts at once (absent: 65,535).
    pub receive_maximum: u16,
    /// The largest packet the client accepts (absent: the protocol's limit).
    pub maximum_packet_size: Option<u32>,
    /// The highest topic alias the client accepts (absent: 0).
    pub topic_alias_maximum: u16,
    /// Request Problem Information (absent: true): when false, acknowledgements go without
    /// Reason String and User Properties ([MQTT-3.1.2-29]).
    pub request_problem_information: bool,
    /// Request Response Information (absent: false).
    pub request_response_information: bool,
    /// The Authentication Method of the CONNECT (5.0 enhanced authentication).
    pub authentication_method: Option<ByteString>,
}
