//! Authentication and authorization: the application's say in who connects and who may publish
//! or subscribe to what.

use crate::{ByteString, Bytes, ReasonCode};

/// Who is asking: what the broker knows of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientInfo<'a> {
    /// The client identifier (the assigned one when the client sent an empty one; empty while
    /// connecting with an empty one).
    pub client_id: &'a str,
    /// The CONNECT's User Name.
    pub username: Option<&'a str>,
    /// The peer's address, when the I/O layer gave one to [`Broker::open`](super::Broker::open).
    pub peer: Option<&'a str>,
}

/// A CONNECT to decide on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectRequest<'a> {
    /// Who.
    pub client: ClientInfo<'a>,
    /// The CONNECT's Password.
    pub password: Option<&'a [u8]>,
    /// The 5.0 Authentication Method, for enhanced authentication.
    pub authentication_method: Option<&'a str>,
    /// The Authentication Data: the CONNECT's, then each AUTH's of the exchange.
    pub authentication_data: Option<&'a [u8]>,
}

/// The answer to a [`ConnectRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectDecision {
    /// Accept the connection (with the final Authentication Data of an exchange, if any).
    Accept {
        /// Authentication Data for the CONNACK (5.0 enhanced authentication).
        authentication_data: Option<Bytes>,
    },
    /// Refuse it with this CONNACK reason code (0x80 or more; 3.1.1 gets the nearest return
    /// code), for example 0x86 Bad User Name or Password, 0x87 Not authorized, 0x8C Bad
    /// authentication method.
    Reject(ReasonCode),
    /// Enhanced authentication: challenge the client with this Authentication Data (AUTH 0x18);
    /// its answer comes back as another request.
    Continue {
        /// The challenge.
        authentication_data: Option<Bytes>,
    },
}

impl ConnectDecision {
    /// Accept, without Authentication Data.
    pub const ACCEPT: ConnectDecision = ConnectDecision::Accept {
        authentication_data: None,
    };
}

/// The application's rules for a [`Broker`](super::Broker). Every method has a default that
/// allows everything, so an implementation states only what it restricts.
pub trait Policy {
    /// Decides on a CONNECT, or on each step of a 5.0 enhanced authentication exchange (and of
    /// a re-authentication, where `Reject` ends the connection). Default: accept, unless the
    /// client asks for enhanced authentication, which the default does not know
    /// (0x8C Bad authentication method, [MQTT-4.12.0-1]).
    fn connect(&mut self, request: &ConnectRequest<'_>) -> ConnectDecision {
        if request.authentication_method.is_some() {
            ConnectDecision::Reject(ReasonCode::BAD_AUTHENTICATION_METHOD)
        } else {
            ConnectDecision::ACCEPT
        }
    }

    /// Whether `client` may publish to `topic`. A refused QoS 1/2 message is acknowledged
    /// with 0x87 Not authorized on 5.0, and silently dropped on 3.1.1 (which has no such
    /// code); it reaches nobody. Default: allowed.
    fn may_publish(&mut self, client: &ClientInfo<'_>, topic: &str) -> bool {
        let _ = (client, topic);
        true
    }

    /// Whether `client` may subscribe to `filter` (as sent, `$share/...` included). A refused
    /// filter gets 0x87 in SUBACK (0x80 on 3.1.1). Default: allowed.
    fn may_subscribe(&mut self, client: &ClientInfo<'_>, filter: &str) -> bool {
        let _ = (client, filter);
        true
    }

    /// Whether `client` may receive a message on `topic` it matched a subscription for (checked
    /// per delivery). Default: allowed.
    fn may_receive(&mut self, client: &ClientInfo<'_>, topic: &str) -> bool {
        let _ = (client, topic);
        true
    }
}

/// The default [`Policy`]: everyone may connect (without enhanced authentication), publish and
/// subscribe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllowAll;

impl Policy for AllowAll {}

/// An owned copy of a client's identity, kept per connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Identity {
    pub(crate) client_id: ByteString,
    pub(crate) username: Option<ByteString>,
    pub(crate) peer: Option<ByteString>,
}

impl Identity {
    pub(crate) fn info(&self) -> ClientInfo<'_> {
        ClientInfo {
            client_id: &self.client_id,
            username: self.username.as_deref(),
            peer: self.peer.as_deref(),
        }
    }
}
