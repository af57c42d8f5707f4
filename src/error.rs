//! Codec errors: what the peer sent wrong ([`DecodeError`]) and what the caller asked for that
//! cannot go on the wire ([`EncodeError`]).
//!
//! Each variant names the rule it enforces; [`DecodeError::reason_code`] gives the MQTT 5.0 reason
//! code to report to the peer (in CONNACK before the connection is accepted, in DISCONNECT
//! after) before closing the connection. On 3.1.1, which has no such codes, the connection is
//! simply closed.

use crate::properties::PropertyId;
use crate::reason::ReasonCode;
use crate::types::{PacketType, Side, Version};

/// A byte sequence that is not a valid MQTT packet. The connection it came from must be closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A variable byte integer continues past its fourth byte (§1.5.5 / §2.2.3). `0x81`.
    #[error("variable byte integer longer than 4 bytes")]
    MalformedVarint,
    /// A variable byte integer uses more bytes than needed, on 5.0 ([MQTT-1.5.5-1]). `0x81`.
    #[error("variable byte integer not in its shortest form [MQTT-1.5.5-1]")]
    NonMinimalVarint,
    /// The packet is larger than the configured maximum packet size (whole packet, fixed header
    /// included). Detected from the fixed header alone, before the body is buffered. `0x95`.
    #[error("packet of {size} bytes exceeds the maximum packet size {max}")]
    PacketTooLarge {
        /// Size the fixed header announced, fixed header included.
        size: u64,
        /// The configured limit.
        max: u32,
    },
    /// Packet type 0, or 15 (AUTH) on 3.1.1 (§2.2.1 / §2.1.2). `0x82`.
    #[error("reserved packet type {0}")]
    ReservedPacketType(u8),
    /// The flag bits of the fixed header are not the ones the packet type requires
    /// ([MQTT-2.2.2-1] 3.1.1, [MQTT-2.1.3-1] 5.0, [MQTT-3.6.1-1], [MQTT-3.8.1-1],
    /// [MQTT-3.10.1-1], [MQTT-3.14.1-1], [MQTT-3.15.1-1]). `0x81`.
    #[error("invalid fixed header flags {flags:#06b} for {packet}")]
    InvalidFlags {
        /// The packet type.
        packet: PacketType,
        /// The low nibble received.
        flags: u8,
    },
    /// PUBLISH with QoS bits `11` ([MQTT-3.3.1-4]). `0x81`.
    #[error("PUBLISH with QoS 3 [MQTT-3.3.1-4]")]
    InvalidQoS,
    /// PUBLISH with QoS 0 and DUP set ([MQTT-3.3.1-2]). `0x81`.
    #[error("PUBLISH with QoS 0 and DUP set [MQTT-3.3.1-2]")]
    DupOnQos0,
    /// A packet identifier of 0 ([MQTT-2.3.1-1] 3.1.1, §2.2.1 5.0). `0x82`.
    #[error("packet identifier 0 in {0} [MQTT-2.3.1-1]")]
    ZeroPacketId(PacketType),
    /// A field runs past the end of the packet given by the remaining length. `0x81`.
    #[error("{0} ends before its fields do")]
    UnexpectedEnd(PacketType),
    /// Bytes are left after the last field of the packet. `0x81`.
    #[error("{packet} has {count} bytes after its last field")]
    TrailingBytes {
        /// The packet type.
        packet: PacketType,
        /// How many bytes were left over.
        count: usize,
    },
    /// A string is not well-formed UTF-8, or encodes a surrogate ([MQTT-1.5.3-1] 3.1.1,
    /// [MQTT-1.5.4-1] 5.0). `0x81`.
    #[error("string is not well-formed UTF-8 [MQTT-1.5.4-1]")]
    InvalidUtf8,
    /// A string contains U+0000 ([MQTT-1.5.3-2] 3.1.1, [MQTT-1.5.4-2] 5.0, [MQTT-4.7.3-2]).
    /// `0x81`.
    #[error("string contains U+0000 [MQTT-1.5.4-2]")]
    NullCharacter,
    /// A topic name (PUBLISH, will topic) contains `+` or `#` ([MQTT-3.3.2-2],
    /// [MQTT-4.7.1-1] 3.1.1, [MQTT-4.7.0-1] 5.0). `0x90`.
    #[error("wildcard in topic name [MQTT-3.3.2-2]")]
    WildcardInTopicName,
    /// An empty topic name: never allowed on 3.1.1, on 5.0 only with a Topic Alias
    /// ([MQTT-4.7.3-1], 5.0 §3.3.2.1). `0x82`.
    #[error("empty topic name [MQTT-4.7.3-1]")]
    EmptyTopicName,
    /// The Response Topic property is not a valid topic name ([MQTT-3.3.2-14]). `0x82`.
    #[error("response topic contains a wildcard or is empty [MQTT-3.3.2-14]")]
    InvalidResponseTopic,
    /// A topic filter is empty, or has `#` not last / not alone in its level, or `+` not alone
    /// in its level, or is a malformed shared subscription ([MQTT-4.7.1-2], [MQTT-4.7.1-3]
    /// 3.1.1 / [MQTT-4.7.1-1], [MQTT-4.7.1-2] 5.0, [MQTT-4.7.3-1], [MQTT-4.8.2-1],
    /// [MQTT-4.8.2-2]). `0x8F`.
    #[error("invalid topic filter [MQTT-4.7.1-2]")]
    InvalidTopicFilter,
    /// SUBSCRIBE or UNSUBSCRIBE without any topic filter ([MQTT-3.8.3-3] 3.1.1 /
    /// [MQTT-3.8.3-2] 5.0, [MQTT-3.10.3-2]). `0x82`.
    #[error("{0} without topic filters")]
    NoTopicFilters(PacketType),
    /// SUBACK (or 5.0 UNSUBACK) without any reason code (§3.9.3, §3.11.3). `0x81`.
    #[error("{0} without reason codes")]
    NoReasonCodes(PacketType),
    /// Reserved bits set in a subscription options byte: bits 7-2 on 3.1.1 ([MQTT-3-8.3-4]),
    /// bits 7-6 on 5.0 ([MQTT-3.8.3-5]). `0x81`.
    #[error("reserved bits set in subscription options {0:#04x} [MQTT-3.8.3-5]")]
    SubscriptionOptionsReserved(u8),
    /// Subscription options with QoS 3 or Retain Handling 3 ([MQTT-3-8.3-4] 3.1.1, §3.8.3.1
    /// 5.0). `0x82`.
    #[error("subscription options {0:#04x} with QoS 3 or Retain Handling 3")]
    InvalidSubscriptionOptions(u8),
    /// No Local set on a shared subscription ([MQTT-3.8.3-4] 5.0). `0x82`.
    #[error("No Local on a shared subscription [MQTT-3.8.3-4]")]
    NoLocalOnSharedSubscription,
    /// CONNECT protocol name is not `MQTT` (or `MQIsdp` with level 3) ([MQTT-3.1.2-1]). `0x84`.
    #[error("unknown protocol name [MQTT-3.1.2-1]")]
    InvalidProtocolName,
    /// CONNECT protocol level is not 3, 4 or 5, or does not match the name
    /// ([MQTT-3.1.2-2]). `0x84`.
    #[error("unsupported protocol level {0} [MQTT-3.1.2-2]")]
    UnsupportedProtocolLevel(u8),
    /// CONNECT flags bit 0 is set ([MQTT-3.1.2-3]). `0x81`.
    #[error("CONNECT reserved flag set [MQTT-3.1.2-3]")]
    ConnectReservedFlag,
    /// Will QoS or Will Retain set without the Will Flag, or Will QoS 3 ([MQTT-3.1.2-13],
    /// [MQTT-3.1.2-14], [MQTT-3.1.2-15] 3.1.1 / [MQTT-3.1.2-11], [MQTT-3.1.2-12],
    /// [MQTT-3.1.2-13] 5.0). `0x81`.
    #[error("will QoS or retain inconsistent with the will flag [MQTT-3.1.2-11]")]
    InvalidWillFlags,
    /// Password flag set without the user name flag, on 3.1.1 and 3.1 ([MQTT-3.1.2-22] 3.1.1).
    /// `0x81`.
    #[error("password without user name [MQTT-3.1.2-22]")]
    PasswordWithoutUsername,
    /// CONNACK acknowledge flags bits 7-1 are not 0 ([MQTT-3.2.2-1] 5.0, §3.2.2.1 3.1.1).
    /// `0x81`.
    #[error("CONNACK reserved flags set [MQTT-3.2.2-1]")]
    ConnAckReservedFlags,
    /// CONNACK with Session Present set and a failure code ([MQTT-3.2.2-4] 3.1.1 /
    /// [MQTT-3.2.2-6] 5.0). `0x82`.
    #[error("CONNACK refusing the connection with Session Present set [MQTT-3.2.2-6]")]
    SessionPresentOnFailure,
    /// A reason code (or 3.1.1 return code) the packet may not carry ([MQTT-3.2.2-8],
    /// [MQTT-3.4.2-1], [MQTT-3.5.2-1], [MQTT-3.6.2-1], [MQTT-3.7.2-1], [MQTT-3.9.3-2],
    /// [MQTT-3.11.3-2], [MQTT-3.14.2-1], [MQTT-3.15.2-1]). `0x82`.
    #[error("reason code {code} not allowed in {packet}")]
    InvalidReasonCode {
        /// The packet type.
        packet: PacketType,
        /// The code received.
        code: ReasonCode,
    },
    /// A property identifier MQTT 5.0 does not define (§2.2.2.2). `0x81`.
    #[error("unknown property identifier {0:#04x}")]
    UnknownProperty(u32),
    /// A property the packet may not carry (§2.2.2.2, Table A). `0x81`.
    #[error("property {id:?} not allowed in {packet}")]
    PropertyNotAllowed {
        /// The property.
        id: PropertyId,
        /// The packet ("will" properties are reported as CONNECT).
        packet: PacketType,
    },
    /// A property that may appear once appears twice (§2.2.2.2). `0x82`.
    #[error("property {0:?} repeated")]
    DuplicateProperty(PropertyId),
    /// A property value outside its range: Payload Format Indicator or a Byte flag not 0/1,
    /// Maximum QoS not 0/1, Receive Maximum / Maximum Packet Size / Subscription Identifier 0,
    /// Authentication Data without Authentication Method (§3.1.2.11, §3.2.2.3). `0x82`.
    #[error("property {0:?} has an invalid value")]
    InvalidPropertyValue(PropertyId),
    /// A Topic Alias of 0 ([MQTT-3.3.2-8]). `0x94`.
    #[error("topic alias 0 [MQTT-3.3.2-8]")]
    TopicAliasZero,
    /// A packet the sending side never sends (CONNACK from a client, CONNECT from a server,
    /// DISCONNECT from a 3.1.1 server, ...; §2.1.2 Table 2-1). Checked only when the decoder
    /// knows who sends ([`Decoder::receiving_from`](crate::Decoder::receiving_from)). `0x82`.
    #[error("{packet} is never sent by a {from}")]
    WrongDirection {
        /// The packet type.
        packet: PacketType,
        /// Who sent it.
        from: Side,
    },
    /// A client's PUBLISH carries a Subscription Identifier ([MQTT-3.3.4-6]). `0x82`.
    #[error("PUBLISH from a client with a Subscription Identifier [MQTT-3.3.4-6]")]
    SubscriptionIdentifierFromClient,
    /// A server's DISCONNECT carries a Session Expiry Interval ([MQTT-3.14.2-2]). `0x82`.
    #[error("DISCONNECT from a server with a Session Expiry Interval [MQTT-3.14.2-2]")]
    SessionExpiryFromServer,
}

impl DecodeError {
    /// The MQTT 5.0 reason code to send the peer for this error before closing.
    pub const fn reason_code(&self) -> ReasonCode {
        use DecodeError::*;
        match self {
            PacketTooLarge { .. } => ReasonCode::PACKET_TOO_LARGE,
            WildcardInTopicName => ReasonCode::TOPIC_NAME_INVALID,
            InvalidTopicFilter => ReasonCode::TOPIC_FILTER_INVALID,
            TopicAliasZero => ReasonCode::TOPIC_ALIAS_INVALID,
            InvalidProtocolName | UnsupportedProtocolLevel(_) => {
                ReasonCode::UNSUPPORTED_PROTOCOL_VERSION
            }
            ReservedPacketType(_)
            | ZeroPacketId(_)
            | EmptyTopicName
            | InvalidResponseTopic
            | NoTopicFilters(_)
            | InvalidSubscriptionOptions(_)
            | NoLocalOnSharedSubscription
            | SessionPresentOnFailure
            | InvalidReasonCode { .. }
            | DuplicateProperty(_)
            | InvalidPropertyValue(_)
            | WrongDirection { .. }
            | SubscriptionIdentifierFromClient
            | SessionExpiryFromServer => ReasonCode::PROTOCOL_ERROR,
            MalformedVarint
            | NonMinimalVarint
            | InvalidFlags { .. }
            | InvalidQoS
            | DupOnQos0
            | UnexpectedEnd(_)
            | TrailingBytes { .. }
            | InvalidUtf8
            | NullCharacter
            | NoReasonCodes(_)
            | SubscriptionOptionsReserved(_)
            | ConnectReservedFlag
            | InvalidWillFlags
            | PasswordWithoutUsername
            | ConnAckReservedFlags
            | UnknownProperty(_)
            | PropertyNotAllowed { .. } => ReasonCode::MALFORMED_PACKET,
        }
    }
}

/// A packet that cannot be encoded for the requested version. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The packet would be larger than the maximum packet size given to the encoder, or than
    /// the protocol limit (remaining length 268,435,455).
    #[error("packet of {size} bytes exceeds the maximum packet size {max}")]
    PacketTooLarge {
        /// The size the packet would have, fixed header included.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A string or binary field longer than 65,535 bytes (§1.5.3 / §1.5.4, [MQTT-4.7.3-3]).
    #[error("field of {0} bytes is longer than 65,535 bytes")]
    FieldTooLong(usize),
    /// A string contains U+0000 ([MQTT-1.5.4-2]).
    #[error("string contains U+0000 [MQTT-1.5.4-2]")]
    NullCharacter,
    /// A topic name contains `+` or `#` ([MQTT-3.3.2-2]).
    #[error("wildcard in topic name [MQTT-3.3.2-2]")]
    WildcardInTopicName,
    /// An empty topic name, where not allowed ([MQTT-4.7.3-1]; on 5.0 PUBLISH only with a
    /// Topic Alias).
    #[error("empty topic name [MQTT-4.7.3-1]")]
    EmptyTopicName,
    /// An invalid topic filter ([MQTT-4.7.1-2], [MQTT-4.7.1-3], [MQTT-4.8.2-1]).
    #[error("invalid topic filter [MQTT-4.7.1-2]")]
    InvalidTopicFilter,
    /// SUBSCRIBE or UNSUBSCRIBE without topic filters ([MQTT-3.8.3-3], [MQTT-3.10.3-2]).
    #[error("{0} without topic filters")]
    NoTopicFilters(PacketType),
    /// SUBACK (or 5.0 UNSUBACK) without reason codes.
    #[error("{0} without reason codes")]
    NoReasonCodes(PacketType),
    /// Something the target version cannot carry: properties, AUTH, 5.0-only reason codes or
    /// subscription options on 3.1.1, ...
    #[error("{what} cannot be encoded on MQTT {version}")]
    NotInVersion {
        /// What was refused.
        what: &'static str,
        /// The target version.
        version: Version,
    },
    /// CONNECT carries a protocol version other than the one encoded for.
    #[error("CONNECT is for MQTT {packet}, encoder is for MQTT {encoder}")]
    VersionMismatch {
        /// `Connect::protocol`.
        packet: Version,
        /// The version passed to the encoder.
        encoder: Version,
    },
    /// A reason code the packet may not carry.
    #[error("reason code {code} not allowed in {packet}")]
    InvalidReasonCode {
        /// The packet type.
        packet: PacketType,
        /// The code.
        code: ReasonCode,
    },
    /// A property value outside its range (see [`DecodeError::InvalidPropertyValue`]).
    #[error("property {0:?} has an invalid value")]
    InvalidPropertyValue(PropertyId),
    /// A Topic Alias of 0 ([MQTT-3.3.2-8]).
    #[error("topic alias 0 [MQTT-3.3.2-8]")]
    TopicAliasZero,
    /// PUBLISH with QoS 0 and DUP set ([MQTT-3.3.1-2]).
    #[error("PUBLISH with QoS 0 and DUP set [MQTT-3.3.1-2]")]
    DupOnQos0,
    /// Password without user name on 3.1.1 or 3.1 ([MQTT-3.1.2-22]).
    #[error("password without user name [MQTT-3.1.2-22]")]
    PasswordWithoutUsername,
    /// Empty client identifier without Clean Session on 3.1.1 or 3.1 ([MQTT-3.1.3-7]).
    #[error("empty client identifier requires clean session [MQTT-3.1.3-7]")]
    EmptyClientIdWithoutCleanSession,
    /// CONNACK with Session Present set and a failure code ([MQTT-3.2.2-6]).
    #[error("CONNACK refusing the connection with Session Present set [MQTT-3.2.2-6]")]
    SessionPresentOnFailure,
    /// No Local on a shared subscription ([MQTT-3.8.3-4]).
    #[error("No Local on a shared subscription [MQTT-3.8.3-4]")]
    NoLocalOnSharedSubscription,
    /// [`Packet::to_owned_packet`](crate::Packet::to_owned_packet): the packet encodes, but a
    /// decoder of the same version refuses the bytes (a rule only the decoder checks).
    #[error("the encoded packet does not decode: {0}")]
    NotDecodable(DecodeError),
}
