//! # mqtt-wire
//!
//! A sans-IO codec for the MQTT wire format: every control packet of MQTT 3.1.1 and 5.0 (with
//! every property and reason code), and the CONNECT of MQTT 3.1. Bytes in, packets out; packets
//! in, bytes out. No sockets, threads, clocks or async runtime.
//!
//! - **One packet model for every version.** [`Packet`] covers 3.1, 3.1.1 and 5.0; the version is
//!   a parameter of decoding and encoding. 5.0 is the superset: on 3.1.1 property sets are empty
//!   and reason codes are Success. Encoding something a version cannot carry is an
//!   [`EncodeError`], never a silent drop.
//! - **Strict.** Every rule of the standards that one packet can break is checked on decode, and
//!   the [`DecodeError`] says which (its statement id in the numbering of each version:
//!   [`DecodeError::statement`]) and which reason code ([`DecodeError::reason_code`]) to send the
//!   peer before closing.
//! - **Streaming and bounded.** [`Decoder::decode`] returns `Ok(None)` until a whole packet is
//!   buffered, and refuses a packet larger than the configured maximum as soon as its fixed
//!   header is readable.
//! - **Zero copy.** Decoded topics, payloads, strings and binary fields share the input: a
//!   `Packet<Bytes>` holds reference-counted slices of the received frame, a `Packet<&[u8]>`
//!   (from [`decode_slice`]) borrows from the caller's slice. UTF-8 is validated once, at decode.
//!   Decoding a PUBLISH (with any properties), a SUBSCRIBE or UNSUBSCRIBE (the filter list is kept
//!   as its validated block), an ack or a ping allocates nothing.
//! - **Topics checked once.** [`TopicName`] and [`TopicFilter`] are validated when made or
//!   decoded, never again when encoded; [`TopicFilter::matches`] implements §4.7 matching.
//! - **Properties as received.** A 5.0 property set keeps its encoded block, checked against
//!   every rule at decode; typed accessors read it, a builder makes new sets, and re-encoding is a
//!   copy that keeps the order received.
//! - `#![no_std]` with `alloc`; `#![forbid(unsafe_code)]`.
//!
//! The buffer types of the API come with the crate: [`Bytes`], [`BytesMut`] and the whole
//! [`bytes`] crate are re-exported, as is [`ByteString`], so a dependency on `mqtt-wire` alone
//! is enough. With the `tokio-util` feature, `MqttCodec` frames a tokio
//! socket into packets (`examples/tokio_client.rs`).
//!
//! `mqtt_wire::session` has the sans-IO session state machines: a client session and the
//! server session of one connection, bytes in, events and bytes out, time passed in.
//!
//! With the `broker` feature, `mqtt_wire::broker` has a sans-IO broker core: it owns the server
//! sessions of every connection and the sessions of clients that are away, and routes each
//! message through a subscription tree, with retained messages, wills, shared subscriptions,
//! offline queues, a pluggable policy (mosquitto ACL files included) and export/import of its
//! whole state.
//!
//! ## Decoding a stream
//!
//! ```
//! use mqtt_wire::{BytesMut, Decoder, Packet, Version};
//!
//! let mut decoder = Decoder::new(Version::V3_1_1).with_max_packet_size(1 << 20);
//! let mut buf = BytesMut::new();
//! // Bytes arrive from the network in any chunks:
//! buf.extend_from_slice(&[0x30, 0x0A, 0x00, 0x03, b'a', b'/', b'b']);
//! assert_eq!(decoder.decode(&mut buf)?, None); // not a whole packet yet
//! buf.extend_from_slice(b"hello");
//! match decoder.decode(&mut buf)? {
//!     Some(Packet::Publish(publish)) => {
//!         assert_eq!(&publish.topic[..], "a/b");
//!         assert_eq!(&publish.payload[..], b"hello");
//!     }
//!     other => panic!("unexpected {other:?}"),
//! }
//! # Ok::<(), mqtt_wire::DecodeError>(())
//! ```
//!
//! ## Encoding
//!
//! ```
//! use mqtt_wire::{Bytes, BytesMut, Packet, Publish, TopicName, Version};
//!
//! let mut buf = BytesMut::new();
//! let publish = Publish::new(TopicName::from_static("a/b")?, Bytes::from_static(b"hello"));
//! Packet::Publish(publish).encode(Version::V5, &mut buf)?;
//! assert_eq!(&buf[..], b"\x30\x0b\x00\x03a/b\x00hello"); // 5.0 adds the Property Length 0
//! # Ok::<(), mqtt_wire::EncodeError>(())
//! ```
//!
//! ## Properties
//!
//! ```
//! use mqtt_wire::{
//!     decode_slice, ByteString, Bytes, BytesMut, Packet, Publish, PublishProperties, TopicName,
//!     Version,
//! };
//!
//! let properties = PublishProperties::builder();
//! let properties = mqtt_wire::PublishPropertiesBuilder {
//!     message_expiry_interval: Some(60),
//!     content_type: Some(ByteString::from_static("application/json")),
//!     user_properties: vec![("trace".into(), "0af7".into())],
//!     ..properties
//! }
//! .build()?; // checks every value
//! let publish = Publish {
//!     properties,
//!     ..Publish::new(TopicName::from_static("a/b")?, Bytes::from_static(b"{}"))
//! };
//! let mut buf = BytesMut::new();
//! Packet::Publish(publish).encode(Version::V5, &mut buf)?;
//!
//! let (packet, _) = decode_slice(&buf, Version::V5, u32::MAX).unwrap().unwrap();
//! let Packet::Publish(received) = packet else { unreachable!() };
//! assert_eq!(received.properties.message_expiry_interval(), Some(60));
//! assert_eq!(received.properties.content_type(), Some("application/json"));
//! assert_eq!(received.properties.user_properties().collect::<Vec<_>>(), [("trace", "0af7")]);
//! assert_eq!(received.properties.topic_alias(), None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Errors
//!
//! ```
//! use mqtt_wire::{decode_slice, DecodeError, ReasonCode, Version};
//!
//! // PUBLISH with QoS 3
//! let err = decode_slice(&[0x36, 0x00], Version::V5, u32::MAX).unwrap_err();
//! assert_eq!(err, DecodeError::InvalidQoS);
//! assert_eq!(err.reason_code(), ReasonCode::MALFORMED_PACKET);
//! ```

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub, missing_debug_implementations)]
// Library code must not panic on any input; unit tests may index and unwrap.
#![cfg_attr(
    not(test),
    warn(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::panic,
        clippy::expect_used
    )
)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "arbitrary")]
mod arbitrary;
#[cfg(feature = "broker")]
pub mod broker;
mod buffer;
mod codec;
mod debug;
mod error;
#[cfg(feature = "arbitrary")]
#[doc(hidden)]
pub mod fuzzing;
mod packet;
mod properties;
mod reason;
pub mod session;
#[cfg(all(feature = "broker", feature = "std"))]
pub mod sim;
pub mod topic;
mod types;

pub use buffer::{Buffer, Str};
/// The `bytes` crate this API is built on, so callers need no dependency of their own on it.
pub use bytes;
pub use bytes::{Bytes, BytesMut};
pub use bytestring::ByteString;
pub use codec::header::FixedHeader;
#[cfg(feature = "tokio-util")]
pub use codec::tokio::{CodecError, MqttCodec};
pub use codec::varint;
pub use codec::{Decoded, Decoder, Encoder, MAX_PACKET_SIZE, ShortAck, decode, decode_slice};
pub use error::{DecodeError, EncodeError};
pub use packet::{
    Ack, Auth, ConnAck, Connect, Disconnect, Packet, Publish, SubAck, Subscribe, UnsubAck,
    Unsubscribe, Will,
};
pub use packet::{
    SubscribeFilters, SubscribeFiltersIter, UnsubscribeFilters, UnsubscribeFiltersIter,
};
pub use properties::{
    AckProperties, AckPropertiesBuilder, AuthProperties, AuthPropertiesBuilder, ConnAckProperties,
    ConnAckPropertiesBuilder, ConnectProperties, ConnectPropertiesBuilder, DisconnectProperties,
    DisconnectPropertiesBuilder, PropertyId, PropertyIter, PropertyValue, PublishProperties,
    PublishPropertiesBuilder, PublishPropertiesEdit, SubscribeProperties,
    SubscribePropertiesBuilder, SubscriptionIdentifiers, UnsubscribeProperties,
    UnsubscribePropertiesBuilder, UserProperties, WillProperties, WillPropertiesBuilder,
};
pub use reason::ReasonCode;
pub use topic::{TopicError, TopicFilter, TopicName};
pub use types::ZeroPacketIdError;
pub use types::{
    PacketId, PacketType, QoS, QosPid, RetainHandling, Side, SubscriptionOptions, Version,
};

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
