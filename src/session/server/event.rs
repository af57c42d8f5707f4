//! What the server session tells the application.

use alloc::boxed::Box;

use crate::session::{AckToken, ConnectionError, Message, PublishFailure, PublishId};
use crate::{AckProperties, Auth, Connect, Publish, ReasonCode, Subscribe, Unsubscribe};

/// An event from [`ServerSession::poll_event`](super::ServerSession::poll_event).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A valid CONNECT arrived: answer with [`accept`](super::ServerSession::accept),
    /// [`reject`](super::ServerSession::reject), or (5.0 enhanced authentication)
    /// [`auth`](super::ServerSession::auth). Nothing else the client sends is read until then.
    /// CONNECTs the session refuses by itself (3.1.1 empty client identifier with Clean
    /// Session 0, a will the configuration cannot honour) never get here.
    Connect {
        /// The CONNECT.
        connect: Box<Connect>,
    },
    /// A 5.0 AUTH from the client: the answer to a challenge during the handshake (reason
    /// 0x18), or a request to re-authenticate after it (0x19). Answer with
    /// [`auth`](super::ServerSession::auth), then (during the handshake)
    /// [`accept`](super::ServerSession::accept) or [`reject`](super::ServerSession::reject).
    Auth {
        /// The AUTH packet.
        auth: Auth,
    },
    /// A message from the client, topic alias resolved; a repeated QoS 2 message is never
    /// reported twice ([MQTT-4.3.3-10]).
    Publish {
        /// The PUBLISH.
        publish: Publish,
        /// For QoS 1/2 in [`AckMode::Manual`](crate::session::AckMode::Manual): the token for
        /// [`ack`](super::ServerSession::ack).
        ack: Option<AckToken>,
    },
    /// A SUBSCRIBE: answer with [`suback`](super::ServerSession::suback), one reason code per
    /// filter.
    Subscribe {
        /// The SUBSCRIBE.
        subscribe: Subscribe,
    },
    /// An UNSUBSCRIBE: answer with [`unsuback`](super::ServerSession::unsuback).
    Unsubscribe {
        /// The UNSUBSCRIBE.
        unsubscribe: Unsubscribe,
    },
    /// A QoS 1 or 2 message sent to the client is done: PUBACK, PUBCOMP, or a PUBREC with a
    /// failure code.
    Delivered {
        /// The id [`publish`](super::ServerSession::publish) returned.
        id: PublishId,
        /// The ack's reason code (0x00 on 3.1.1).
        reason: ReasonCode,
        /// The ack's properties.
        properties: AckProperties,
    },
    /// A message queued for the client will not be sent: larger than the client's Maximum
    /// Packet Size ([MQTT-3.1.2-25]: dropped, as if delivered), expired while queued
    /// ([MQTT-3.3.2-5]), or pushed out of a full queue.
    Dropped {
        /// The id [`publish`](super::ServerSession::publish) returned.
        id: PublishId,
        /// Why.
        reason: PublishFailure,
    },
    /// The connection ended; given once. Close the transport once
    /// [`should_close`](super::ServerSession::should_close) says so (the last bytes, such as a
    /// DISCONNECT, are flushed first), then keep or drop the session state
    /// ([`take_state`](super::ServerSession::take_state)) as `session_expiry` says.
    Closed {
        /// Why.
        error: ConnectionError,
        /// What to do with the will message.
        will: WillAction,
        /// The Session Expiry Interval in force at the end, in seconds (0: the session ends
        /// with the connection; `u32::MAX`: it never expires).
        session_expiry: u32,
    },
}

/// What happens to the will message when a connection ends.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WillAction {
    /// The connection had no will, or was never accepted.
    None,
    /// The client ended the connection normally (DISCONNECT 0x00): the will is discarded
    /// unpublished ([MQTT-3.14.4-3], [MQTT-3.1.2-10]).
    Discard,
    /// The will is to be published ([MQTT-3.1.2-8] 5.0 / 3.1.1): after `delay` seconds (the
    /// Will Delay Interval, 5.0), or when the session ends if that comes first, and not at all
    /// if the client connects to the session again before then ([MQTT-3.1.3-9]).
    Publish {
        /// The will as a message: topic, payload, QoS, RETAIN ([MQTT-3.1.2-14] /
        /// [MQTT-3.1.2-15]) and properties (User Properties in order, [MQTT-3.1.3-10]).
        message: Message,
        /// The Will Delay Interval in seconds (0 on 3.1.1).
        delay: u32,
    },
}
