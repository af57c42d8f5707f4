//! What the client session tells the application.

use crate::session::{AckToken, ConnectionError, PublishFailure, PublishId};
use crate::{AckProperties, Auth, ConnAck, PacketId, Publish, ReasonCode, SubAck, UnsubAck};

/// An event from [`ClientSession::poll_event`](super::ClientSession::poll_event).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server accepted the connection. Its limits are in
    /// [`negotiated`](super::ClientSession::negotiated).
    Connected {
        /// Whether the server resumed the session (Session Present). When it did not while this
        /// side held state, that state was discarded and `PublishFailed` events name the QoS 2
        /// messages whose fate is unknown ([MQTT-3.2.2-5]).
        session_present: bool,
        /// The CONNACK.
        connack: ConnAck,
    },
    /// A 5.0 AUTH from the server: a challenge to answer with
    /// [`auth`](super::ClientSession::auth) (reason 0x18), or the success of a
    /// re-authentication (reason 0x00).
    Auth {
        /// The AUTH packet.
        auth: Auth,
    },
    /// A message from the server: topic alias resolved (the topic is always the full name), a
    /// repeated QoS 2 message never reported twice ([MQTT-4.3.3-10]).
    Message {
        /// The PUBLISH.
        publish: Publish,
        /// In [`AckMode::Manual`](crate::session::AckMode::Manual), for a QoS 1/2 message: the
        /// token to pass to [`ack`](super::ClientSession::ack).
        ack: Option<AckToken>,
    },
    /// A QoS 1 or 2 message is done: PUBACK, PUBCOMP, or a PUBREC with a failure code.
    Published {
        /// The id `publish` returned.
        id: PublishId,
        /// The reason code of the ack (0x00 on 3.1.1; 0x10 No matching subscribers is a
        /// success).
        reason: ReasonCode,
        /// The ack's properties.
        properties: AckProperties,
    },
    /// A message will not be sent, or its fate is unknown.
    PublishFailed {
        /// The id `publish` returned.
        id: PublishId,
        /// Why.
        reason: PublishFailure,
    },
    /// The SUBACK for a SUBSCRIBE.
    Subscribed {
        /// The SUBSCRIBE's packet identifier, as `subscribe` returned it.
        packet_id: PacketId,
        /// The SUBACK: one reason code per filter, in order.
        suback: SubAck,
    },
    /// The UNSUBACK for an UNSUBSCRIBE.
    Unsubscribed {
        /// The UNSUBSCRIBE's packet identifier, as `unsubscribe` returned it.
        packet_id: PacketId,
        /// The UNSUBACK.
        unsuback: UnsubAck,
    },
    /// A SUBSCRIBE or UNSUBSCRIBE got no answer before its connection ended; it is not sent
    /// again (subscriptions are not part of the client's session state). Also given, after
    /// `Connected`, for one made before CONNACK that is larger than the server's Maximum Packet
    /// Size: it was never sent.
    RequestCancelled {
        /// Its packet identifier.
        packet_id: PacketId,
        /// True for SUBSCRIBE, false for UNSUBSCRIBE.
        subscribe: bool,
    },
    /// The pending queue has room again after a `publish` was refused as `Blocked`.
    Writable,
    /// The connection ended; given once per connection. Close the transport (if open) and call
    /// [`handle_transport_closed`](super::ClientSession::handle_transport_closed).
    Disconnected {
        /// Why.
        error: ConnectionError,
        /// Whether the session state outlives the connection (Session Expiry Interval above 0 on
        /// 5.0, Clean Session 0 on 3.1.1). When not, in-flight QoS 1 messages went back to the
        /// pending queue and in-flight QoS 2 messages got `PublishFailed`.
        session_kept: bool,
    },
}
