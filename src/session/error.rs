//! Errors of the session machines, split by who is at fault: the peer ([`ConnectionError`],
//! reported once as an event) or the caller ([`PublishError`], [`CommandError`], returned at once).

use crate::session::Message;
use crate::{
    ConnAckProperties, DecodeError, DisconnectProperties, EncodeError, QoS, ReasonCode, Version,
};

/// Why a network connection ended. Carried once per connection by the client's `Disconnected`
/// and the server's `Closed` event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The peer sent bytes that are not a valid packet. On 5.0, after CONNACK, the session sent
    /// DISCONNECT with the matching reason code first.
    #[error("malformed packet from the peer: {0}")]
    Decode(DecodeError),
    /// The peer broke a rule of the protocol that needs session state to see. On 5.0, after
    /// CONNACK, the session sent DISCONNECT with `reason` first.
    #[error("protocol violation by the peer ({reason}): {rule}")]
    Protocol {
        /// The reason code sent in DISCONNECT (5.0) or that would have been sent (3.1.1).
        reason: ReasonCode,
        /// The statement broken, with its id, e.g. `"[MQTT-3.3.4-9] Receive Maximum exceeded"`.
        rule: &'static str,
    },
    /// The server refused the connection in CONNACK (on a server session: the application or
    /// the session refused it). On 5.0 the properties may carry a Server Reference to use
    /// instead (reason `0x9C` or `0x9D`). A 3.1.1 server that does not speak the client's
    /// version answers with reason `0x84` (return code 1 on 3.1.1).
    #[error("connection refused: {reason}")]
    Refused {
        /// The reason code (3.1.1 return codes mapped to their 5.0 equivalents).
        reason: ReasonCode,
        /// The CONNACK's properties (empty on 3.1.1).
        properties: ConnAckProperties,
    },
    /// The peer sent DISCONNECT (a server: 5.0 only).
    #[error("disconnected by the peer: {reason}")]
    PeerDisconnected {
        /// The DISCONNECT's reason code.
        reason: ReasonCode,
        /// Its properties (Reason String, Server Reference, ...).
        properties: DisconnectProperties,
    },
    /// Keep alive ended the connection: a client got no PINGRESP within the ping timeout (a
    /// half-open TCP connection, §3.1.2.10); a server received nothing for one and a half times
    /// the keep alive ([MQTT-3.1.2-22] 5.0 / [MQTT-3.1.2-24] 3.1.1).
    #[error("keep alive expired")]
    KeepAliveTimeout,
    /// No CONNACK (client) or CONNECT (server) came within the connect timeout.
    #[error("the handshake did not finish within the connect timeout")]
    ConnectTimeout,
    /// The transport closed (end of stream or an I/O error) without a DISCONNECT.
    #[error("the connection closed")]
    TransportClosed,
    /// The application ended the connection with `disconnect`.
    #[error("disconnected by the application")]
    LocallyClosed,
    /// Another connection took the session over: the same client identifier connected again
    /// ([MQTT-3.1.4-3] 5.0 / [MQTT-3.1.4-2] 3.1.1).
    #[error("the session was taken over by a new connection")]
    SessionTakenOver,
}

/// A message the session did not accept. Nothing was queued; the message is handed back where it
/// can be retried.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The pending queue is full (`ClientConfig::max_pending`). The `Writable` event says when
    /// there is room again.
    #[error("the pending queue is full")]
    Blocked(Message),
    /// The server's Maximum QoS is lower than the message's ([MQTT-3.2.2-11]).
    #[error("the server supports QoS up to {max:?}")]
    QosNotSupported {
        /// The server's Maximum QoS.
        max: QoS,
        /// The message.
        message: Message,
    },
    /// The server does not support retained messages ([MQTT-3.2.2-14]).
    #[error("the server does not support retained messages")]
    RetainNotSupported(Message),
    /// The PUBLISH would be larger than the server's Maximum Packet Size ([MQTT-3.2.2-15]) or
    /// than the protocol allows.
    #[error("PUBLISH of {size} bytes exceeds the server's maximum packet size {max}")]
    TooLarge {
        /// The size of the PUBLISH.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The message cannot be sent as given: a Topic Alias or a Subscription Identifier in its
    /// properties (the session assigns aliases; [MQTT-3.3.4-6]), properties on 3.1.1, or a
    /// field the encoder refuses.
    #[error("the message cannot be encoded: {0}")]
    Invalid(EncodeError),
    /// The connection has not been accepted yet: the session it will carry (fresh or resumed)
    /// is not known until then.
    #[error("the connection is not accepted yet")]
    NotAccepted(Message),
    /// The session's state was taken (`ServerSession::take_state`): it holds no session any
    /// more, so the message belongs to whatever now holds that state.
    #[error("the session's state was taken")]
    StateTaken(Message),
}

/// A command the session refused. Nothing was queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The command does not fit the session's status (e.g. `subscribe` without a connection,
    /// `connect` while connected).
    #[error("not possible while {0:?}")]
    WrongStatus(crate::session::Status),
    /// A manual acknowledgement for a message that is not waiting for one (already acknowledged,
    /// or received on an earlier connection).
    #[error("no message is waiting for this acknowledgement")]
    UnknownToken,
    /// All 65,535 packet identifiers are in flight.
    #[error("all packet identifiers are in use")]
    Exhausted,
    /// The packet cannot be encoded as given.
    #[error("the packet cannot be encoded: {0}")]
    Encode(EncodeError),
    /// The command needs MQTT 5.0 (AUTH) or a feature the server said it does not support
    /// (wildcards, subscription identifiers, shared subscriptions: 5.0 §3.2.2.3.11-13).
    #[error("{what} is not available on this connection")]
    NotAvailable {
        /// What was refused.
        what: &'static str,
    },
    /// A 5.0 DISCONNECT may not set a Session Expiry Interval when CONNECT had none or 0
    /// (§3.14.2.2.2).
    #[error("a DISCONNECT cannot set a session expiry when CONNECT had 0")]
    SessionExpiryRaised,
    /// The CONNECT is for another protocol version than this session's state was made with.
    #[error("the session state is for MQTT {state}, the CONNECT for MQTT {connect}")]
    VersionChanged {
        /// The version of the stored state.
        state: Version,
        /// The version of the CONNECT.
        connect: Version,
    },
}

/// Why a message will not be (or may not have been) delivered to the peer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublishFailure {
    /// The session ended (Clean Start, Session Present 0, or a connection closed with session
    /// expiry 0) while the QoS 2 message was in flight: the server may or may not have it.
    #[error("the session ended while the message was in flight; the server may have it")]
    SessionLost,
    /// The message is larger than the Maximum Packet Size of the peer on the connection it was
    /// to be sent on.
    #[error("message of {size} bytes exceeds the peer's maximum packet size {max}")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The peer's limit.
        max: u64,
    },
    /// The queue of messages for the peer was full: a newer message took this QoS 0 message's
    /// place.
    #[error("dropped from a full queue")]
    QueueFull,
    /// The message's Message Expiry Interval passed while it waited to be sent
    /// ([MQTT-3.3.2-5]).
    #[error("the message expired before it could be sent")]
    Expired,
    /// The message cannot be encoded for the connection's protocol version.
    #[error("the message cannot be encoded: {0}")]
    Invalid(EncodeError),
}

/// Session state bytes that [`ClientSession::from_state`](crate::session::ClientSession::from_state)
/// or [`SessionState::import`](crate::session::SessionState::import) cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Not session state of this crate and kind (wrong magic), or of a format version it does
    /// not know.
    #[error("not mqtt-wire session state of this kind, or an unknown format version")]
    UnknownFormat,
    /// The bytes end early, or carry bytes after the end.
    #[error("session state truncated or followed by extra bytes")]
    Truncated,
    /// A value is out of range, or a message record is not a valid PUBLISH of its kind.
    #[error("invalid session state: {0}")]
    Invalid(&'static str),
}
