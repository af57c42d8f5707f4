//! Sans-IO session state machines: the MQTT client session, [`ClientSession`], and the server
//! session of one accepted connection, [`ServerSession`] (which the broker core,
//! `mqtt_wire::broker`, runs one of per connection).
//!
//! Both sides share one implementation of the QoS flows, since MQTT's are symmetric: packet
//! identifiers, the peer's Receive Maximum as a send quota, resends on a resumed session, QoS 2
//! exactly once, acknowledgements in arrival order, topic aliases both ways. They differ in the
//! handshake, the keep-alive timers and what they tell the application.
//!
//! A session is driven by the caller: bytes in, events and bytes out, time passed in. It never
//! does I/O, never reads a clock, never spawns or blocks, and needs only `alloc`. The same value
//! runs over TCP, TLS, WebSocket, an in-memory pipe in a test, or a simulated network with a
//! virtual clock.
//!
//! # The run loop
//!
//! After **every** input (bytes received, a timeout, a command, the transport closing), the
//! caller drains the outputs, in this order:
//!
//! 1. [`poll_event`](ClientSession::poll_event) until `None`: messages, completions, the end of
//!    a connection. In the default [`AckMode::Auto`], taking a received QoS 1/2 message queues
//!    its PUBACK or PUBREC, which is why events come before bytes.
//! 2. [`poll_transmit`](ClientSession::poll_transmit): append the bytes owed to the server to a
//!    buffer and write them to the transport. (Transmitting can itself produce an event, such as
//!    a message too large for the server; the next turn of the loop picks it up.)
//! 3. [`should_close`](ClientSession::should_close): when true, close the transport and call
//!    [`handle_transport_closed`](ClientSession::handle_transport_closed).
//! 4. [`poll_timeout`](ClientSession::poll_timeout): wait for input until that instant, then
//!    call [`handle_timeout`](ClientSession::handle_timeout) if nothing came.
//!
//! Received bytes go to [`handle_input`](ClientSession::handle_input), which takes every whole
//! packet from the caller's `BytesMut` without copying and leaves a partial one for later.
//!
//! Faults are split by who made them. A caller's mistake (publishing above the server's
//! Maximum QoS, subscribing while disconnected) is an `Err` returned at once, and nothing is
//! queued. A server's fault (a malformed packet, a broken rule) is an event,
//! [`ClientEvent::Disconnected`], given once, after the session has queued what the protocol
//! requires (a 5.0 DISCONNECT with the reason code).
//!
//! A [`ServerSession`] runs the same loop with [`ServerEvent`]s, and answers what the client
//! asks: [`accept`](ServerSession::accept) or [`reject`](ServerSession::reject) a CONNECT,
//! [`ack`](ServerSession::ack) a QoS 1/2 PUBLISH (in [`AckMode::Manual`], its default, so the
//! reason code can say what routing found), [`suback`](ServerSession::suback) and
//! [`unsuback`](ServerSession::unsuback). Messages for the client go in with
//! [`publish`](ServerSession::publish); when the connection ends, [`ServerEvent::Closed`] says
//! what to do with the will and [`take_state`](ServerSession::take_state) hands the session
//! over for the client's return.
//!
//! # Example
//!
//! A complete exchange against a server played by the test: CONNECT, CONNACK, a QoS 1 publish
//! and its PUBACK. Over TCP, the bytes of `poll_transmit` go to the socket and the socket's
//! bytes to `handle_input`.
//!
//! ```
//! use mqtt_wire::session::{ClientConfig, ClientEvent, ClientSession, Instant, Message};
//! use mqtt_wire::{BytesMut, Connect, Packet, QoS, Version};
//!
//! let mut client = ClientSession::new(ClientConfig::default());
//! let t0 = Instant::from_millis(0);
//! client.connect(t0, Connect::new(Version::V5, "sensor-7".into(), 30))?;
//! let id = client.publish(t0, Message::new("sensors/7".try_into()?, "21.5").qos(QoS::AtLeastOnce))?;
//!
//! let mut tx = BytesMut::new();
//! let n = client.poll_transmit(t0, &mut tx);
//! assert_eq!(n, tx.len()); // the CONNECT: nothing else goes out before CONNACK
//!
//! // The server accepts: CONNACK, session not present.
//! let mut rx = BytesMut::from(&[0x20, 0x03, 0x00, 0x00, 0x00][..]);
//! client.handle_input(Instant::from_millis(20), &mut rx);
//! assert!(matches!(client.poll_event(), Some(ClientEvent::Connected { session_present: false, .. })));
//!
//! // Now the PUBLISH goes out, with packet identifier 1.
//! tx.clear();
//! let _ = client.poll_transmit(Instant::from_millis(20), &mut tx);
//! assert_eq!(&tx[..4], &[0x32, 0x12, 0x00, 0x09]); // QoS 1, 18 bytes, a 9-byte topic
//! assert_eq!(&tx[13..15], &[0x00, 0x01]); // packet identifier 1
//!
//! // The PUBACK completes it.
//! let mut rx = BytesMut::from(&[0x40, 0x02, 0x00, 0x01][..]);
//! client.handle_input(Instant::from_millis(40), &mut rx);
//! match client.poll_event() {
//!     Some(ClientEvent::Published { id: done, .. }) => assert_eq!(done, id),
//!     other => panic!("{other:?}"),
//! }
//!
//! // Keep alive: with nothing sent for 30 s, a PINGREQ is due.
//! assert_eq!(client.poll_timeout(), Some(Instant::from_millis(30_020)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! And the two sides together, in memory: the client's bytes are the server's input and back.
//!
//! ```
//! use mqtt_wire::session::{
//!     Accept, ClientConfig, ClientEvent, ClientSession, Instant, Message, ServerConfig,
//!     ServerEvent, ServerSession,
//! };
//! use mqtt_wire::{AckProperties, BytesMut, Connect, QoS, ReasonCode, Version};
//!
//! let now = Instant::ZERO;
//! let mut client = ClientSession::new(ClientConfig::default());
//! let mut server = ServerSession::new(ServerConfig::default(), now);
//! client.connect(now, Connect::new(Version::V5, "c1".into(), 30))?;
//! client.publish(now, Message::new("a/b".try_into()?, "hi").qos(QoS::AtLeastOnce))?;
//! let mut wire = BytesMut::new();
//! for _ in 0..3 {
//!     let _ = client.poll_transmit(now, &mut wire);
//!     server.handle_input(now, &mut wire);
//!     while let Some(event) = server.poll_event() {
//!         match event {
//!             ServerEvent::Connect { .. } => server.accept(now, Accept::new())?,
//!             ServerEvent::Publish { publish, ack } => {
//!                 assert_eq!(&publish.payload[..], b"hi");
//!                 server.ack(now, ack.unwrap(), ReasonCode::SUCCESS, AckProperties::default())?;
//!             }
//!             other => panic!("{other:?}"),
//!         }
//!     }
//!     let _ = server.poll_transmit(now, &mut wire);
//!     client.handle_input(now, &mut wire);
//! }
//! assert!(matches!(client.poll_event(), Some(ClientEvent::Connected { .. })));
//! assert!(matches!(client.poll_event(), Some(ClientEvent::Published { reason: ReasonCode::SUCCESS, .. })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod client;
mod error;
pub(crate) mod flow;
mod ids;
mod message;
mod server;
mod time;

pub use client::{AliasPolicy, ClientConfig, ClientEvent, ClientSession, Negotiated};
pub use error::{CommandError, ConnectionError, PublishError, PublishFailure, StateError};
pub use message::{AckMode, AckToken, Message, PublishId};
#[cfg(feature = "broker")]
pub(crate) use server::will_message;
pub use server::{
    Accept, ClientLimits, ServerConfig, ServerEvent, ServerSession, SessionState, WillAction,
};
pub use time::Instant;
#[cfg(feature = "std")]
pub use time::StdClock;

/// What a session is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// No network connection: before the first `connect`, or after the transport closed.
    Idle,
    /// CONNECT queued or sent, CONNACK not received yet.
    Connecting,
    /// CONNACK accepted: the connection carries messages.
    Connected,
    /// The connection ended (DISCONNECT, refusal, protocol violation, timeout): the last bytes
    /// are being flushed, then the transport should be closed.
    Closing,
}

#[cfg(test)]
mod tests {
    /// A session moves between threads with its connection (an async task, a worker pool).
    #[test]
    fn sessions_and_their_outputs_are_send() {
        fn send<T: Send>() {}
        send::<super::ClientSession>();
        send::<super::ClientEvent>();
        send::<super::Message>();
        send::<super::PublishError>();
    }
}
