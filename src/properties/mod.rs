//! MQTT 5.0 properties: the one table of the 27 properties (identifier, wire type, name), the
//! parser and writer every packet shares, and the typed property set of each packet.
//!
//! Each packet's set lists the properties it allows (Table A, §2.2.2.2); the parser refuses any
//! other ([`DecodeError::PropertyNotAllowed`]), never drops it, and refuses a second copy of a
//! property that may appear once ([`DecodeError::DuplicateProperty`]). User Properties keep their
//! order; Subscription Identifiers may repeat only in PUBLISH.

mod edit;
mod fields;
mod sets;

pub use edit::PublishPropertiesEdit;
pub use sets::*;

use crate::buffer::Buffer;
use crate::codec::read::Reader;
use crate::codec::varint;
use crate::codec::write::Sink;
use crate::debug::{Redacted, Shortened};
use crate::error::{DecodeError, EncodeError};
use crate::topic::{self, StringKind};
use crate::types::PacketType;

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

/// A property value as it appears in a validated property block.
///
/// `Debug` shows Binary Data by its length and first bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PropertyValue<'a> {
    /// A Byte, Two Byte, Four Byte or Variable Byte Integer.
    Int(u32),
    /// A UTF-8 Encoded String.
    String(&'a str),
    /// Binary Data.
    Binary(&'a [u8]),
    /// A UTF-8 String Pair (User Property): name and value.
    Pair(&'a str, &'a str),
}

impl core::fmt::Debug for PropertyValue<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            PropertyValue::Int(v) => f.debug_tuple("Int").field(v).finish(),
            PropertyValue::String(v) => f.debug_tuple("String").field(v).finish(),
            PropertyValue::Binary(v) => f.debug_tuple("Binary").field(&Shortened(v)).finish(),
            PropertyValue::Pair(k, v) => f.debug_tuple("Pair").field(k).field(v).finish(),
        }
    }
}

/// A Binary Data property for `Debug` and `Display`: Authentication Data by its length only
/// (it may be a credential), other data by its length and first bytes.
pub(crate) struct ShownBinary<'a>(pub(crate) PropertyId, pub(crate) &'a [u8]);

impl core::fmt::Debug for ShownBinary<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            PropertyId::AuthenticationData => Redacted(self.1.len()).fmt(f),
            _ => Shortened(self.1).fmt(f),
        }
    }
}

/// A property of a set for `Debug`: `(id, value)`, with Authentication Data by length only.
pub(crate) struct ShownProperty<'a>(pub(crate) PropertyId, pub(crate) PropertyValue<'a>);

impl core::fmt::Debug for ShownProperty<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut t = f.debug_tuple("");
        t.field(&self.0);
        match self.1 {
            PropertyValue::Binary(b) if self.0 == PropertyId::AuthenticationData => {
                t.field(&format_args!("Binary({:?})", Redacted(b.len())))
            }
            value => t.field(&value),
        };
        t.finish()
    }
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

/// A packet's property set: which properties it allows, kept as the validated bytes of its
/// property block.
pub(crate) trait PropertySet<B: Buffer>: Default {
    /// Properties the packet may carry (bit per identifier).
    const ALLOWED: u64;
    /// Properties that may appear more than once.
    const REPEATABLE: u64;
    /// Wraps a block that passed [`validate`] for this set.
    fn from_validated(raw: B) -> Self;
    /// The block's bytes (without the Property Length).
    fn raw(&self) -> &[u8];
    /// True when no property is present.
    #[inline]
    fn is_empty(&self) -> bool {
        self.raw().is_empty()
    }
}

/// Reads a Property Length and checks every property it covers against the rules of the set
/// `P`; the set then shares the block's bytes with the frame.
///
/// Checks: identifiers 5.0 defines and `P` allows ([`DecodeError::PropertyNotAllowed`]), no
/// second copy of a property that may appear once ([`DecodeError::DuplicateProperty`]), numeric
/// ranges ([`check_int`]), strings well-formed UTF-8 without U+0000 ([MQTT-1.5.4-1],
/// [MQTT-1.5.4-2]), a Response Topic that is a topic name ([MQTT-3.3.2-14]).
#[inline]
pub(crate) fn read<B: Buffer, P: PropertySet<B>>(r: &mut Reader<'_, B>) -> Result<P, DecodeError> {
    // A length `usize` cannot hold (16-bit targets) runs past any frame: `take` refuses it.
    let len = usize::try_from(r.varint()?).unwrap_or(usize::MAX);
    if len == 0 {
        // The common case: no properties, and no reference taken on the frame.
        return Ok(P::from_validated(B::default()));
    }
    let range = r.take(len)?;
    validate(
        r.bytes(range.clone()),
        P::ALLOWED,
        P::REPEATABLE,
        r.packet(),
    )?;
    Ok(P::from_validated(r.slice(range)))
}

/// Checks a property block (the bytes after the Property Length) for a packet whose set allows
/// `allowed` and lets `repeatable` repeat.
pub(crate) fn validate(
    mut block: &[u8],
    allowed: u64,
    repeatable: u64,
    packet: PacketType,
) -> Result<(), DecodeError> {
    let mut seen = 0u64;
    while !block.is_empty() {
        let end = || DecodeError::UnexpectedEnd(packet);
        let (id, rest) = split_id(block)?.ok_or_else(end)?;
        let bit = id.bit();
        if allowed & bit == 0 {
            return Err(DecodeError::PropertyNotAllowed { id, packet });
        }
        if seen & bit != 0 && repeatable & bit == 0 {
            return Err(DecodeError::DuplicateProperty(id));
        }
        seen |= bit;
        let (value, rest) = split_value(id, rest)?.ok_or_else(end)?;
        block = rest;
        match value {
            RawValue::Int(v) => check_int(id, v)?,
            RawValue::String(bytes) if id == PropertyId::ResponseTopic => {
                // [MQTT-3.3.2-14]: a topic name: no wildcards, not empty.
                check_string(bytes, StringKind::TopicName).map_err(|e| match e {
                    DecodeError::WildcardInTopicName => DecodeError::InvalidResponseTopic,
                    e => e,
                })?;
                if bytes.is_empty() {
                    return Err(DecodeError::InvalidResponseTopic);
                }
            }
            RawValue::String(bytes) => check_string(bytes, StringKind::Plain)?,
            RawValue::Binary(_) => {}
            // [MQTT-1.5.7-1]: both halves follow the string rules.
            RawValue::Pair(name, value) => {
                check_string(name, StringKind::Plain)?;
                check_string(value, StringKind::Plain)?;
            }
        }
    }
    check_together(seen)
}

/// The rule between properties of one set: Authentication Data only with an Authentication
/// Method (CONNECT §3.1.2.11.10, CONNACK §3.2.2.3.18, AUTH §3.15.2.2.3: a Protocol Error).
/// `seen` has the bit of every property present.
pub(crate) fn check_together(seen: u64) -> Result<(), DecodeError> {
    let data = PropertyId::AuthenticationData.bit();
    if seen & data != 0 && seen & PropertyId::AuthenticationMethod.bit() == 0 {
        return Err(DecodeError::InvalidPropertyValue(
            PropertyId::AuthenticationData,
        ));
    }
    Ok(())
}

/// A UTF-8 Encoded String's bytes: well-formed ([MQTT-1.5.4-1]), no U+0000 ([MQTT-1.5.4-2]) and,
/// for a topic name, no wildcards.
#[inline]
fn check_string(bytes: &[u8], kind: StringKind) -> Result<(), DecodeError> {
    // ASCII is well-formed UTF-8: the full check runs only on strings with other bytes.
    if !topic::check_bytes_ascii(bytes, kind)? {
        core::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8)?;
    }
    Ok(())
}

/// A property value with its strings still as bytes.
enum RawValue<'a> {
    Int(u32),
    String(&'a [u8]),
    Binary(&'a [u8]),
    Pair(&'a [u8], &'a [u8]),
}

/// Splits a property identifier off `block`; `Ok(None)` when the block ends inside it.
#[inline]
fn split_id(block: &[u8]) -> Result<Option<(PropertyId, &[u8])>, DecodeError> {
    let Some((raw, used)) = varint::decode_minimal(block)? else {
        return Ok(None);
    };
    let id = PropertyId::from_u32(raw).ok_or(DecodeError::UnknownProperty(raw))?;
    Ok(Some((id, block.get(used..).unwrap_or_default())))
}

/// Splits the value of property `id` off `rest`; `Ok(None)` when the block ends inside it.
#[inline]
fn split_value(id: PropertyId, rest: &[u8]) -> Result<Option<(RawValue<'_>, &[u8])>, DecodeError> {
    fn fixed(from: &[u8], n: usize) -> Option<(RawValue<'_>, &[u8])> {
        let (value, rest) = from.split_at_checked(n)?;
        let v = value.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b));
        Some((RawValue::Int(v), rest))
    }
    fn prefixed(from: &[u8]) -> Option<(&[u8], &[u8])> {
        let (len, rest) = from.split_first_chunk::<2>()?;
        rest.split_at_checked(usize::from(u16::from_be_bytes(*len)))
    }
    Ok(match id.wire_type() {
        WireType::Byte => fixed(rest, 1),
        WireType::TwoByte => fixed(rest, 2),
        WireType::FourByte => fixed(rest, 4),
        WireType::Varint => varint::decode_minimal(rest)?
            .map(|(v, used)| (RawValue::Int(v), rest.get(used..).unwrap_or_default())),
        WireType::String => prefixed(rest).map(|(s, r)| (RawValue::String(s), r)),
        WireType::Binary => prefixed(rest).map(|(b, r)| (RawValue::Binary(b), r)),
        WireType::StringPair => prefixed(rest)
            .and_then(|(name, r)| prefixed(r).map(|(value, r)| (RawValue::Pair(name, value), r))),
    })
}

/// The properties of a validated block, in wire order.
#[derive(Debug, Clone)]
pub struct PropertyIter<'a> {
    block: &'a [u8],
}

impl<'a> PropertyIter<'a> {
    pub(crate) fn new(block: &'a [u8]) -> Self {
        PropertyIter { block }
    }
}

impl<'a> Iterator for PropertyIter<'a> {
    type Item = (PropertyId, PropertyValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        // The block was validated when it was decoded or built, so nothing here fails; should
        // it, iteration just ends.
        let Ok(Some((id, value, rest))) = split_id(self.block).and_then(|split| match split {
            Some((id, rest)) => Ok(split_value(id, rest)?.map(|(value, rest)| (id, value, rest))),
            None => Ok(None),
        }) else {
            self.block = &[];
            return None;
        };
        self.block = rest;
        let text = |b: &'a [u8]| core::str::from_utf8(b).ok();
        let value = match value {
            RawValue::Int(v) => PropertyValue::Int(v),
            RawValue::String(s) => PropertyValue::String(text(s)?),
            RawValue::Binary(b) => PropertyValue::Binary(b),
            RawValue::Pair(k, v) => PropertyValue::Pair(text(k)?, text(v)?),
        };
        Some((id, value))
    }
}

/// The User Properties of a set, in order ([MQTT-3.3.2-18]).
#[derive(Debug, Clone)]
pub struct UserProperties<'a>(pub(crate) PropertyIter<'a>);

impl<'a> Iterator for UserProperties<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.by_ref().find_map(|(_, value)| match value {
            PropertyValue::Pair(k, v) => Some((k, v)),
            _ => None,
        })
    }
}

/// The Subscription Identifiers of a PUBLISH, in order.
#[derive(Debug, Clone)]
pub struct SubscriptionIdentifiers<'a>(pub(crate) PropertyIter<'a>);

impl Iterator for SubscriptionIdentifiers<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        self.0.by_ref().find_map(|(id, value)| match (id, value) {
            (PropertyId::SubscriptionIdentifier, PropertyValue::Int(v)) => Some(v),
            _ => None,
        })
    }
}

/// Writes a Property Length and the property block.
#[inline]
pub(crate) fn write<B: Buffer, P: PropertySet<B>, S: Sink>(
    props: &P,
    s: &mut S,
) -> Result<(), EncodeError> {
    let raw = props.raw();
    s.put_varint(u32::try_from(raw.len()).unwrap_or(u32::MAX))?;
    s.put_slice(raw);
    Ok(())
}

/// Encode-side check of a Response Topic ([MQTT-3.3.2-14]).
pub(crate) fn check_response_topic(topic: &str) -> Result<(), EncodeError> {
    if topic::is_valid_topic_name(topic) {
        Ok(())
    } else {
        Err(EncodeError::InvalidPropertyValue(PropertyId::ResponseTopic))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;
    use bytes::Bytes;
    use bytestring::ByteString;

    fn publish_set() -> PublishProperties {
        PublishPropertiesBuilder {
            topic_alias: Some(9),
            user_properties: vec![("a".into(), "1".into()), ("b".into(), "2".into())],
            subscription_identifiers: vec![3, 200],
            correlation_data: Some(Bytes::from_static(b"\x00\xff")),
            ..Default::default()
        }
        .build()
        .unwrap()
    }

    /// A User Property block with the name `k` and the value `value`.
    fn user_property(value: &[u8]) -> Vec<u8> {
        let mut block = vec![0x26, 0x00, 0x01, b'k'];
        block.extend_from_slice(&u16::try_from(value.len()).unwrap().to_be_bytes());
        block.extend_from_slice(value);
        block
    }

    /// Strings of every length around the eight-byte steps of the scan: ASCII passes on the
    /// scan alone, other bytes go through the full UTF-8 check, which refuses ill-formed ones.
    #[test]
    fn property_strings_are_checked_as_utf8_mqtt_1_5_4_1() {
        let check = |value: &[u8]| {
            validate(
                &user_property(value),
                u64::MAX,
                u64::MAX,
                PacketType::Publish,
            )
        };
        for len in 0..20 {
            let ascii = vec![b'a'; len];
            assert_eq!(check(&ascii), Ok(()), "ascii {len}");
            for pos in 0..len {
                let mut v = ascii.clone();
                v[pos] = 0xFF;
                assert_eq!(
                    check(&v),
                    Err(DecodeError::InvalidUtf8),
                    "0xFF at {pos} of {len}"
                );
                v[pos] = 0xC3; // a lead byte without its continuation
                assert_eq!(
                    check(&v),
                    Err(DecodeError::InvalidUtf8),
                    "0xC3 at {pos} of {len}"
                );
                let mut v = ascii.clone();
                v.splice(pos..=pos, "é".bytes());
                assert_eq!(check(&v), Ok(()), "é at {pos} of {len}");
                let mut v = ascii.clone();
                v[pos] = 0;
                assert_eq!(
                    check(&v),
                    Err(DecodeError::NullCharacter),
                    "NUL at {pos} of {len}"
                );
            }
        }
    }

    #[test]
    fn accessors_read_the_block_and_to_builder_rebuilds_it() {
        let p = publish_set();
        assert_eq!(p.topic_alias(), Some(9));
        assert_eq!(p.message_expiry_interval(), None);
        assert_eq!(p.correlation_data(), Some(&b"\x00\xff"[..]));
        assert_eq!(
            p.user_properties().collect::<Vec<_>>(),
            [("a", "1"), ("b", "2")]
        );
        assert_eq!(p.subscription_identifiers().collect::<Vec<_>>(), [3, 200]);
        assert_eq!(p.to_builder().build().unwrap(), p);
        let ids: Vec<_> = p.iter().map(|(id, _)| id).collect();
        use PropertyId::*;
        let order = [TopicAlias, CorrelationData, UserProperty, UserProperty];
        assert_eq!(ids, [&order[..], &[SubscriptionIdentifier; 2]].concat());
    }

    /// Two and Four Byte Integers are big-endian (§1.5.2, §1.5.3 of 5.0): the first byte is the
    /// most significant, for the checks of a decoded block and for its accessors alike.
    #[test]
    fn multi_byte_integers_are_read_most_significant_byte_first() {
        let set = PublishPropertiesBuilder {
            message_expiry_interval: Some(0x0102_0304),
            topic_alias: Some(0x0A0B),
            ..Default::default()
        }
        .build()
        .unwrap();
        assert_eq!(set.as_bytes(), b"\x02\x01\x02\x03\x04\x23\x0A\x0B");
        assert_eq!(set.message_expiry_interval(), Some(0x0102_0304));
        assert_eq!(set.topic_alias(), Some(0x0A0B));
        let values: Vec<_> = set.iter().map(|(_, v)| v).collect();
        assert_eq!(
            values,
            [PropertyValue::Int(0x0102_0304), PropertyValue::Int(0x0A0B)]
        );
        // Receive Maximum 256 (`01 00`) is in range; read least significant byte first it
        // would be 0, which is not.
        let connack = ConnAckProperties::<Bytes>::ALLOWED;
        assert_eq!(
            validate(b"\x21\x01\x00", connack, 0, PacketType::ConnAck),
            Ok(())
        );
        assert_eq!(
            validate(b"\x21\x00\x00", connack, 0, PacketType::ConnAck),
            Err(DecodeError::InvalidPropertyValue(
                PropertyId::ReceiveMaximum
            ))
        );
    }

    /// Byte properties hold 0 or 1: booleans and Maximum QoS read back as written, and a set
    /// turned back into a builder keeps every kind of field.
    #[test]
    fn every_kind_of_field_reads_back_and_returns_to_its_builder() {
        let connect = ConnectPropertiesBuilder {
            request_response_information: Some(true),
            request_problem_information: Some(false),
            ..Default::default()
        };
        let set = connect.build().unwrap();
        assert_eq!(set.as_bytes(), b"\x19\x01\x17\x00");
        assert_eq!(set.request_response_information(), Some(true));
        assert_eq!(set.request_problem_information(), Some(false));
        assert_eq!(set.to_builder(), connect);

        let connack = ConnAckPropertiesBuilder {
            maximum_qos: Some(crate::QoS::AtLeastOnce),
            retain_available: Some(false),
            reason_string: Some("r".into()),
            ..Default::default()
        };
        let set = connack.build().unwrap();
        assert_eq!(set.as_bytes(), b"\x24\x01\x25\x00\x1F\x00\x01r");
        assert_eq!(set.maximum_qos(), Some(crate::QoS::AtLeastOnce));
        assert_eq!(set.retain_available(), Some(false));
        assert_eq!(set.reason_string(), Some("r"));
        assert_eq!(set.to_builder(), connack);
        let qos0 = ConnAckPropertiesBuilder {
            maximum_qos: Some(crate::QoS::AtMostOnce),
            ..Default::default()
        };
        assert_eq!(
            qos0.build().unwrap().maximum_qos(),
            Some(crate::QoS::AtMostOnce)
        );

        let publish = publish_set();
        assert_eq!(publish.to_builder().build().unwrap(), publish);
    }

    /// A builder is empty only while every field, of each kind, is absent.
    #[test]
    fn a_builder_is_empty_only_without_any_field() {
        assert!(PublishPropertiesBuilder::default().is_empty());
        let each: [PublishPropertiesBuilder; 5] = [
            PublishPropertiesBuilder {
                topic_alias: Some(1),
                ..Default::default()
            },
            PublishPropertiesBuilder {
                subscription_identifiers: vec![1],
                ..Default::default()
            },
            PublishPropertiesBuilder {
                content_type: Some("t".into()),
                ..Default::default()
            },
            PublishPropertiesBuilder {
                correlation_data: Some(Bytes::from_static(b"c")),
                ..Default::default()
            },
            PublishPropertiesBuilder {
                user_properties: vec![("k".into(), "v".into())],
                ..Default::default()
            },
        ];
        for builder in each {
            assert!(!builder.is_empty(), "{builder:?}");
            assert!(!builder.build().unwrap().is_empty());
        }
    }

    /// Subscription Identifiers run from 1 to 268,435,455 (§3.3.2.3.8, §3.8.2.1.2).
    #[test]
    fn the_largest_subscription_identifier_builds() {
        let max = SubscribePropertiesBuilder {
            subscription_identifier: Some(varint::MAX),
            ..Default::default()
        };
        let set = max.build().unwrap();
        assert_eq!(set.as_bytes(), b"\x0B\xFF\xFF\xFF\x7F");
        assert_eq!(set.subscription_identifier(), Some(varint::MAX));
    }

    /// `Display` lists only the properties present, User Properties and Subscription
    /// Identifiers as lists.
    #[test]
    fn display_shows_the_properties_present() {
        assert_eq!(
            alloc::format!("{}", publish_set()),
            "{topic_alias: 9, correlation_data: <2 bytes: b\"\\x00\\xff\">, \
             user_properties: [(\"a\", \"1\"), (\"b\", \"2\")], subscription_identifiers: [3, 200]}"
        );
        let alias = PublishPropertiesBuilder {
            topic_alias: Some(9),
            ..Default::default()
        };
        assert_eq!(
            alloc::format!("{}", alias.build().unwrap()),
            "{topic_alias: 9}"
        );
        assert_eq!(
            alloc::format!("{}", PublishProperties::<Bytes>::default()),
            "{}"
        );
    }

    #[test]
    fn a_borrowed_set_validates_and_copies() {
        let p = publish_set();
        let bytes = p.as_bytes();
        validate(
            bytes,
            PublishProperties::<&[u8]>::ALLOWED,
            0,
            PacketType::Publish,
        )
        .unwrap_err();
        let allowed = <PublishProperties as PropertySet<Bytes>>::ALLOWED;
        let repeatable = <PublishProperties as PropertySet<Bytes>>::REPEATABLE;
        validate(bytes, allowed, repeatable, PacketType::Publish).unwrap();
        let borrowed = PublishProperties::<&[u8]>::from_validated(bytes);
        assert_eq!(PublishProperties::copy_from(&borrowed), p);
    }

    #[test]
    fn binary_values_are_shortened_and_authentication_data_hidden() {
        let long = [b'x'; 40];
        let text = alloc::format!("{:?}", PropertyValue::Binary(&long));
        assert_eq!(text, "Binary(<40 bytes: b\"xxxxxxxxxxxxxxxx\"..>)");
        let set = AuthPropertiesBuilder {
            authentication_method: Some("M".into()),
            authentication_data: Some(Bytes::from_static(b"secret")),
            ..Default::default()
        }
        .build()
        .unwrap();
        let text = alloc::format!("{set:?} {set}");
        assert_eq!(
            text,
            "[(AuthenticationMethod, String(\"M\")), (AuthenticationData, Binary(<6 bytes>))] \
             {authentication_method: \"M\", authentication_data: <6 bytes>}"
        );
        // Binary Data other than Authentication Data keeps its first bytes in a set's `Debug`.
        let text = alloc::format!("{:?}", publish_set());
        assert!(
            text.contains(r#"(CorrelationData, Binary(<2 bytes: b"\x00\xff">))"#),
            "{text}"
        );
    }

    #[test]
    fn builder_refuses_what_decoding_refuses() {
        // [MQTT-3.3.2-8]
        let alias_zero = PublishPropertiesBuilder {
            topic_alias: Some(0),
            ..Default::default()
        };
        assert_eq!(alias_zero.build(), Err(EncodeError::TopicAliasZero));
        // [MQTT-3.3.2-14]
        let wildcard = PublishPropertiesBuilder {
            response_topic: Some(ByteString::from_static("a/+")),
            ..Default::default()
        };
        assert!(wildcard.build().is_err());
        // [MQTT-1.5.4-2]
        let nul = AckPropertiesBuilder {
            reason_string: Some(ByteString::from_static("a\0b")),
            ..Default::default()
        };
        assert_eq!(nul.build(), Err(EncodeError::NullCharacter));
        // Subscription Identifier 0 (§3.3.2.3.8)
        let zero = SubscribePropertiesBuilder {
            subscription_identifier: Some(0),
            ..Default::default()
        };
        assert!(zero.build().is_err());
        // Subscription Identifier above 268,435,455 (§3.8.2.1.2): out of range, like 0.
        let over = SubscribePropertiesBuilder {
            subscription_identifier: Some(varint::MAX + 1),
            ..Default::default()
        };
        assert_eq!(
            over.build(),
            Err(EncodeError::InvalidPropertyValue(
                PropertyId::SubscriptionIdentifier
            ))
        );
    }

    /// CONNECT §3.1.2.11.10, CONNACK §3.2.2.3.18, AUTH §3.15.2.2.3: Authentication Data
    /// without an Authentication Method is a Protocol Error; no builder makes such a set.
    #[test]
    fn authentication_data_needs_a_method() {
        let data = Some(Bytes::from_static(b"secret"));
        let err = EncodeError::InvalidPropertyValue(PropertyId::AuthenticationData);
        let connect = ConnectPropertiesBuilder {
            authentication_data: data.clone(),
            ..Default::default()
        };
        assert_eq!(connect.build(), Err(err.clone()));
        let connack = ConnAckPropertiesBuilder {
            authentication_data: data.clone(),
            ..Default::default()
        };
        assert_eq!(connack.build(), Err(err.clone()));
        let mut auth = AuthPropertiesBuilder {
            authentication_data: data,
            ..Default::default()
        };
        assert_eq!(auth.build(), Err(err));
        auth.authentication_method = Some(ByteString::from_static("SCRAM-SHA-1"));
        assert!(auth.build().is_ok());
        // The decoder's check is the same function.
        assert_eq!(
            check_together(PropertyId::AuthenticationData.bit()),
            Err(DecodeError::InvalidPropertyValue(
                PropertyId::AuthenticationData
            ))
        );
    }
}
