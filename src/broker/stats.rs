//! What a broker counts.

/// Counters of a [`Broker`](super::Broker), read with [`Broker::stats`](super::Broker::stats).
/// Gauges (`connections`, `sessions`, ...) are current values; the rest count since the broker
/// was made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BrokerStats {
    /// Open connections (accepted or still in the handshake).
    pub connections: usize,
    /// Sessions, connected or not.
    pub sessions: usize,
    /// Subscriptions, shared ones included.
    pub subscriptions: usize,
    /// Retained messages.
    pub retained: usize,
    /// PUBLISHes received from clients (each once, duplicates of QoS 2 messages excluded), and
    /// messages published by the application.
    pub messages_in: u64,
    /// Copies of messages handed to sessions for delivery (connected or queued offline).
    pub messages_out: u64,
    /// Messages that matched no subscription.
    pub unrouted: u64,
    /// Messages dropped because a client's queue was full.
    pub dropped_queue_full: u64,
    /// Messages dropped because they were larger than the client's Maximum Packet Size.
    pub dropped_too_large: u64,
    /// Messages dropped because their Message Expiry Interval passed while queued.
    pub dropped_expired: u64,
    /// QoS 0 messages not queued for a client that was not connected.
    pub dropped_offline_qos0: u64,
    /// PUBLISHes refused by the policy.
    pub denied_publish: u64,
    /// Subscriptions refused by the policy.
    pub denied_subscribe: u64,
    /// Connections refused (policy or protocol).
    pub refused_connections: u64,
    /// Wills published.
    pub wills_published: u64,
    /// Sessions that expired while their client was away.
    pub sessions_expired: u64,
    /// Bytes taken from clients' input.
    pub bytes_in: u64,
    /// Bytes handed out for clients.
    pub bytes_out: u64,
}
