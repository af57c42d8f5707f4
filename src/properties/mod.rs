//! MQTT 5.0 properties: the one table of the 27 properties (identifier, wire type, name), the
//! parser and writer every packet shares, and the typed property set of each packet.
//!
//! Each packet's set lists the properties it allows (Table A, §2.2.2.2); the parser refuses any
//! other ([`DecodeError::PropertyNotAllowed`]), never drops it, and refuses a second copy of a
//! property that may appear once ([`DecodeError::DuplicateProperty`]). User Properties keep their
//! order; Subscription Identifiers may repeat only in PUBLISH.

mod fields;
mod sets;

pub use sets::*;

use crate::buffer::{Buffer, Str};
use crate::codec::read::Reader;
use crate::codec::write::{Counter, Sink};
use crate::error::{DecodeError, EncodeError};
use crate::topic::{self, StringKind};

/// How a property value is laid out on the wire (§2.2.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WireType {
    Byte,
    TwoByte,
    FourByte,
    Varint,
    String,
    Binary,
    StringPair,
}

macro_rules! property_ids {
    ($($name:ident = $id:literal, $wire:ident, $text:literal;)*) => {
        /// The identifier of an MQTT 5.0 property (Table A, §2.2.2.2 of 5.0).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum PropertyId {
            $(
                #[doc = concat!("`", stringify!($id), "` ", $text, ".")]
                $name = $id,
            )*
        }

        impl PropertyId {
            /// The property with this identifier, `None` for identifiers 5.0 does not define.
            pub const fn from_u32(id: u32) -> Option<PropertyId> {
                match id {
                    $($id => Some(PropertyId::$name),)*
                    _ => None,
                }
            }

            /// The name the standard gives the property.
            pub const fn name(self) -> &'static str {
                match self {
                    $(PropertyId::$name => $text,)*
                }
            }

            pub(crate) const fn wire_type(self) -> WireType {
                match self {
                    $(PropertyId::$name => WireType::$wire,)*
                }
            }
        }
    };
}

property_ids! {
    PayloadFormatIndicator = 0x01, Byte, "Payload Format Indicator";
    MessageExpiryInterval = 0x02, FourByte, "Message Expiry Interval";
    ContentType = 0x03, String, "Content Type";
    ResponseTopic = 0x08, String, "Response Topic";
    CorrelationData = 0x09, Binary, "Correlation Data";
    SubscriptionIdentifier = 0x0B, Varint, "Subscription Identifier";
    SessionExpiryInterval = 0x11, FourByte, "Session Expiry Interval";
    AssignedClientIdentifier = 0x12, String, "Assigned Client Identifier";
    ServerKeepAlive = 0x13, TwoByte, "Server Keep Alive";
    AuthenticationMethod = 0x15, String, "Authentication Method";
    AuthenticationData = 0x16, Binary, "Authentication Data";
    RequestProblemInformation = 0x17, Byte, "Request Problem Information";
    WillDelayInterval = 0x18, FourByte, "Will Delay Interval";
    RequestResponseInformation = 0x19, Byte, "Request Response Information";
    ResponseInformation = 0x1A, String, "Response Information";
    ServerReference = 0x1C, String, "Server Reference";
    ReasonString = 0x1F, String, "Reason String";
    ReceiveMaximum = 0x21, TwoByte, "Receive Maximum";
    TopicAliasMaximum = 0x22, TwoByte, "Topic Alias Maximum";
    TopicAlias = 0x23, TwoByte, "Topic Alias";
    MaximumQoS = 0x24, Byte, "Maximum QoS";
    RetainAvailable = 0x25, Byte, "Retain Available";
    UserProperty = 0x26, StringPair, "User Property";
    MaximumPacketSize = 0x27, FourByte, "Maximum Packet Size";
    WildcardSubscriptionAvailable = 0x28, Byte, "Wildcard Subscription Available";
    SubscriptionIdentifierAvailable = 0x29, Byte, "Subscription Identifier Available";
    SharedSubscriptionAvailable = 0x2A, Byte, "Shared Subscription Available";
}

impl PropertyId {
    /// This property's bit in an allow-list mask (identifiers are below 64).
    pub(crate) const fn bit(self) -> u64 {
        1 << (self as u8)
    }
}

/// A property value as read from the wire, before it is stored in a packet's field.
pub(crate) enum Value<B: Buffer> {
    Int(u32),
    String(Str<B>),
    Binary(B),
    Pair(Str<B>, Str<B>),
}

/// Checks a numeric value against the range its property allows (§3.1.2.11, §3.2.2.3,
/// §3.3.2.3): every Byte property is 0 or 1, Receive Maximum, Maximum Packet Size and
/// Subscription Identifier are never 0, Topic Alias is never 0 ([MQTT-3.3.2-8]).
pub(crate) fn check_int(id: PropertyId, v: u32) -> Result<(), DecodeError> {
    use PropertyId::*;
    match id {
        TopicAlias if v == 0 => Err(DecodeError::TopicAliasZero),
        ReceiveMaximum | MaximumPacketSize | SubscriptionIdentifier if v == 0 => {
            Err(DecodeError::InvalidPropertyValue(id))
        }
        _ if id.wire_type() == WireType::Byte && v > 1 => {
            Err(DecodeError::InvalidPropertyValue(id))
        }
        _ => Ok(()),
    }
}

/// A packet's set of properties: which it allows, and how each is stored.
pub(crate) trait PropertySet<B: Buffer>: Default {
    /// Properties the packet may carry (bit per identifier).
    const ALLOWED: u64;
    /// Properties that may appear more than once.
    const REPEATABLE: u64;
    /// Stores one decoded property (its identifier is allowed and its value in range).
    fn set(&mut self, id: PropertyId, value: Value<B>);
    /// Writes every present property; in the checking pass, validates them.
    fn write<S: Sink>(&self, s: &mut S) -> Result<(), EncodeError>;
    /// True when no property is present.
    fn is_empty(&self) -> bool;
}

/// Reads a Property Length and the properties it covers.
pub(crate) fn read<B: Buffer, P: PropertySet<B>>(r: &mut Reader<'_, B>) -> Result<P, DecodeError> {
    let len = r.varint()? as usize;
    r.limited(len, |r| {
        let mut props = P::default();
        let mut seen = 0u64;
        while r.remaining() > 0 {
            let raw = r.varint()?;
            let id = PropertyId::from_u32(raw).ok_or(DecodeError::UnknownProperty(raw))?;
            let bit = id.bit();
            if P::ALLOWED & bit == 0 {
                return Err(DecodeError::PropertyNotAllowed {
                    id,
                    packet: r.packet(),
                });
            }
            if seen & bit != 0 && P::REPEATABLE & bit == 0 {
                return Err(DecodeError::DuplicateProperty(id));
            }
            seen |= bit;
            let value = match id.wire_type() {
                WireType::Byte => Value::Int(r.u8()?.into()),
                WireType::TwoByte => Value::Int(r.u16()?.into()),
                WireType::FourByte => Value::Int(r.u32()?),
                WireType::Varint => Value::Int(r.varint()?),
                WireType::String if id == PropertyId::ResponseTopic => {
                    // [MQTT-3.3.2-14]: a topic name, no wildcards.
                    let topic = r.string(StringKind::TopicName).map_err(|e| match e {
                        DecodeError::WildcardInTopicName => DecodeError::InvalidResponseTopic,
                        e => e,
                    })?;
                    if topic.is_empty() {
                        return Err(DecodeError::InvalidResponseTopic);
                    }
                    Value::String(topic)
                }
                WireType::String => Value::String(r.string(StringKind::Plain)?),
                WireType::Binary => Value::Binary(r.binary()?),
                WireType::StringPair => {
                    // [MQTT-1.5.7-1]: both halves follow the string rules.
                    let name = r.string(StringKind::Plain)?;
                    Value::Pair(name, r.string(StringKind::Plain)?)
                }
            };
            if let Value::Int(v) = value {
                check_int(id, v)?;
            }
            props.set(id, value);
        }
        Ok(props)
    })
}

/// Writes a Property Length and the properties.
pub(crate) fn write<B: Buffer, P: PropertySet<B>, S: Sink>(
    props: &P,
    s: &mut S,
) -> Result<(), EncodeError> {
    let mut counter = Counter::default();
    props.write(&mut counter)?;
    let len = u32::try_from(counter.0).unwrap_or(u32::MAX);
    s.put_varint(len)?;
    props.write(s)
}

/// Encode-side check of a Response Topic ([MQTT-3.3.2-14]).
pub(crate) fn check_response_topic(topic: &str) -> Result<(), EncodeError> {
    if topic::is_valid_topic_name(topic) {
        Ok(())
    } else {
        Err(EncodeError::InvalidPropertyValue(PropertyId::ResponseTopic))
    }
}
