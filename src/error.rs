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
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A variable byte integer continues past its fourth byte (§1.5.5 / §2.2.3). `0x81`.
    #[error("variable byte integer longer than 4 bytes")]
    MalformedVarint,
    /// A variable byte integer uses more bytes than needed, on 5.0 ([MQTT-1.5.5-1]). `0x81`.
    #[error("variable byte integer not in its shortest form")]
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
    #[error("PUBLISH with QoS 3")]
    InvalidQoS,
    /// PUBLISH with QoS 0 and DUP set ([MQTT-3.3.1-2]). `0x81`.
    #[error("PUBLISH with QoS 0 and DUP set")]
    DupOnQos0,
    /// A packet identifier of 0 ([MQTT-2.3.1-1] 3.1.1, §2.2.1 5.0). `0x82`.
    #[error("packet identifier 0 in {0}")]
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
    #[error("string is not well-formed UTF-8")]
    InvalidUtf8,
    /// A string contains U+0000 ([MQTT-1.5.3-2] 3.1.1, [MQTT-1.5.4-2] 5.0, [MQTT-4.7.3-2]).
    /// `0x81`.
    #[error("string contains U+0000")]
    NullCharacter,
    /// A topic name (PUBLISH, will topic) contains `+` or `#` ([MQTT-3.3.2-2],
    /// [MQTT-4.7.1-1] 3.1.1, [MQTT-4.7.0-1] 5.0). `0x90`.
    #[error("wildcard in topic name")]
    WildcardInTopicName,
    /// An empty topic name: never allowed on 3.1.1, on 5.0 only with a Topic Alias
    /// ([MQTT-4.7.3-1], 5.0 §3.3.2.1). `0x82`.
    #[error("empty topic name")]
    EmptyTopicName,
    /// The Response Topic property is not a valid topic name ([MQTT-3.3.2-14]). `0x82`.
    #[error("response topic contains a wildcard or is empty")]
    InvalidResponseTopic,
    /// A topic filter is empty, or has `#` not last / not alone in its level, or `+` not alone
    /// in its level, or is a malformed shared subscription ([MQTT-4.7.1-2], [MQTT-4.7.1-3]
    /// 3.1.1 / [MQTT-4.7.1-1], [MQTT-4.7.1-2] 5.0, [MQTT-4.7.3-1], [MQTT-4.8.2-1],
    /// [MQTT-4.8.2-2]). `0x8F`.
    #[error("invalid topic filter")]
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
    #[error("reserved bits set in subscription options {0:#04x}")]
    SubscriptionOptionsReserved(u8),
    /// Subscription options with QoS 3 or Retain Handling 3 ([MQTT-3-8.3-4] 3.1.1, §3.8.3.1
    /// 5.0). `0x82`.
    #[error("subscription options {0:#04x} with QoS 3 or Retain Handling 3")]
    InvalidSubscriptionOptions(u8),
    /// No Local set on a shared subscription ([MQTT-3.8.3-4] 5.0). `0x82`.
    #[error("No Local on a shared subscription")]
    NoLocalOnSharedSubscription,
    /// CONNECT protocol name is not `MQTT` (or `MQIsdp` with level 3) ([MQTT-3.1.2-1]). `0x84`.
    #[error("unknown protocol name")]
    InvalidProtocolName,
    /// CONNECT protocol level is not 3, 4 or 5, or does not match the name
    /// ([MQTT-3.1.2-2]). `0x84`.
    #[error("unsupported protocol level {0}")]
    UnsupportedProtocolLevel(u8),
    /// CONNECT flags bit 0 is set ([MQTT-3.1.2-3]). `0x81`.
    #[error("CONNECT reserved flag set")]
    ConnectReservedFlag,
    /// Will QoS or Will Retain set without the Will Flag, or Will QoS 3 ([MQTT-3.1.2-13],
    /// [MQTT-3.1.2-14], [MQTT-3.1.2-15] 3.1.1 / [MQTT-3.1.2-11], [MQTT-3.1.2-12],
    /// [MQTT-3.1.2-13] 5.0). `0x81`.
    #[error("will QoS or retain inconsistent with the will flag")]
    InvalidWillFlags,
    /// Password flag set without the user name flag, on 3.1.1 and 3.1 ([MQTT-3.1.2-22] 3.1.1).
    /// `0x81`.
    #[error("password without user name")]
    PasswordWithoutUsername,
    /// CONNACK acknowledge flags bits 7-1 are not 0 ([MQTT-3.2.2-1] 5.0, §3.2.2.1 3.1.1).
    /// `0x81`.
    #[error("CONNACK reserved flags set")]
    ConnAckReservedFlags,
    /// CONNACK with Session Present set and a failure code ([MQTT-3.2.2-4] 3.1.1 /
    /// [MQTT-3.2.2-6] 5.0). `0x82`.
    #[error("CONNACK refusing the connection with Session Present set")]
    SessionPresentOnFailure,
    /// A reason code (or 3.1.1 return code) the packet may not carry ([MQTT-3.2.2-8],
    /// [MQTT-3.4.2-1], [MQTT-3.5.2-1], [MQTT-3.6.2-1], [MQTT-3.7.2-1], [MQTT-3.9.3-2],
    /// [MQTT-3.11.3-2], [MQTT-3.14.2-1], [MQTT-3.15.2-1]). `0x82`.
    #[error("reason code 0x{:02X} not allowed in {packet}", .code.0)]
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
    #[error("topic alias 0")]
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
    #[error("PUBLISH from a client with a Subscription Identifier")]
    SubscriptionIdentifierFromClient,
    /// A server's DISCONNECT carries a Session Expiry Interval ([MQTT-3.14.2-2]). `0x82`.
    #[error("DISCONNECT from a server with a Session Expiry Interval")]
    SessionExpiryFromServer,
    /// On 5.0: a CONNACK in the 3.1.1 layout refusing the protocol version, exactly `20 02 00
    /// 01` (return code 1, "unacceptable protocol version"). A server that speaks only 3.1.1
    /// (or 3.1) answers a 5.0 CONNECT this way (3.1.1 [MQTT-3.1.2-2]) and closes the
    /// connection; a client may reconnect with a 3.1.1 CONNECT. As a 5.0 CONNACK the bytes
    /// are invalid (reason code `0x01` is not in the CONNACK set, [MQTT-3.2.2-8]), which is
    /// why this is an error, kept apart from [`DecodeError::InvalidReasonCode`] so the
    /// fallback can be recognised. [`DecodeError::reason_code`] gives `0x84` Unsupported
    /// Protocol Version, the 5.0 code with the meaning of the server's answer; nothing needs to
    /// be sent back, the server has refused the connection.
    #[error("CONNACK refusing the protocol version in the 3.1.1 layout (return code 1)")]
    UnacceptableProtocolVersion,
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
            InvalidProtocolName | UnsupportedProtocolLevel(_) | UnacceptableProtocolVersion => {
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

impl DecodeError {
    /// The statement id of the rule this error enforces, in the numbering of `version`: the
    /// same id string usually names another rule in the other version (5.0 [MQTT-2.2.2-1] is
    /// about Property Length, 3.1.1 [MQTT-2.2.2-1] about fixed header flags). `None` when the
    /// rule has no id in `version` (an unnumbered rule of the text, or an error `version` never
    /// gives), when the variant covers several rules (see its documentation), and always for
    /// 3.1, whose document numbers no statements.
    ///
    /// `Display` leaves ids out, since it does not know the version.
    ///
    /// ```
    /// use mqtt_wire::{DecodeError, Version};
    ///
    /// let err = DecodeError::InvalidUtf8;
    /// assert_eq!(err.statement(Version::V3_1_1), Some("[MQTT-1.5.3-1]"));
    /// assert_eq!(err.statement(Version::V5), Some("[MQTT-1.5.4-1]"));
    /// assert_eq!(err.to_string(), "string is not well-formed UTF-8");
    /// ```
    pub const fn statement(&self, version: Version) -> Option<&'static str> {
        use DecodeError::*;
        use PacketType as T;
        let (v3, v5) = match self {
            NonMinimalVarint => (None, Some("[MQTT-1.5.5-1]")),
            InvalidFlags { packet, .. } => match packet {
                T::PubRel => (Some("[MQTT-3.6.1-1]"), Some("[MQTT-3.6.1-1]")),
                T::Subscribe => (Some("[MQTT-3.8.1-1]"), Some("[MQTT-3.8.1-1]")),
                T::Unsubscribe => (Some("[MQTT-3.10.1-1]"), Some("[MQTT-3.10.1-1]")),
                T::Disconnect => (Some("[MQTT-3.14.1-1]"), Some("[MQTT-3.14.1-1]")),
                T::Auth => (None, Some("[MQTT-3.15.1-1]")),
                _ => (Some("[MQTT-2.2.2-1]"), Some("[MQTT-2.1.3-1]")),
            },
            InvalidQoS => (Some("[MQTT-3.3.1-4]"), Some("[MQTT-3.3.1-4]")),
            DupOnQos0 => (Some("[MQTT-3.3.1-2]"), Some("[MQTT-3.3.1-2]")),
            // 5.0 states the rule in §2.2.1 without an id.
            ZeroPacketId(_) => (Some("[MQTT-2.3.1-1]"), None),
            InvalidUtf8 => (Some("[MQTT-1.5.3-1]"), Some("[MQTT-1.5.4-1]")),
            NullCharacter => (Some("[MQTT-1.5.3-2]"), Some("[MQTT-1.5.4-2]")),
            // The rule for every topic name (PUBLISH and will topic).
            WildcardInTopicName => (Some("[MQTT-4.7.1-1]"), Some("[MQTT-4.7.0-1]")),
            EmptyTopicName => (Some("[MQTT-4.7.3-1]"), Some("[MQTT-4.7.3-1]")),
            InvalidResponseTopic => (None, Some("[MQTT-3.3.2-14]")),
            NoTopicFilters(T::Subscribe) => (Some("[MQTT-3.8.3-3]"), Some("[MQTT-3.8.3-2]")),
            NoTopicFilters(T::Unsubscribe) => (Some("[MQTT-3.10.3-2]"), Some("[MQTT-3.10.3-2]")),
            // 3.1.1 prints this id with a dash for the first dot.
            SubscriptionOptionsReserved(_) => (Some("[MQTT-3-8.3-4]"), Some("[MQTT-3.8.3-5]")),
            InvalidSubscriptionOptions(_) => (Some("[MQTT-3-8.3-4]"), None),
            NoLocalOnSharedSubscription => (None, Some("[MQTT-3.8.3-4]")),
            InvalidProtocolName => (Some("[MQTT-3.1.2-1]"), Some("[MQTT-3.1.2-1]")),
            UnsupportedProtocolLevel(_) => (Some("[MQTT-3.1.2-2]"), Some("[MQTT-3.1.2-2]")),
            ConnectReservedFlag => (Some("[MQTT-3.1.2-3]"), Some("[MQTT-3.1.2-3]")),
            PasswordWithoutUsername => (Some("[MQTT-3.1.2-22]"), None),
            ConnAckReservedFlags => (None, Some("[MQTT-3.2.2-1]")),
            SessionPresentOnFailure => (Some("[MQTT-3.2.2-4]"), Some("[MQTT-3.2.2-6]")),
            InvalidReasonCode { packet, .. } => match packet {
                T::ConnAck => (None, Some("[MQTT-3.2.2-8]")),
                T::PubAck => (None, Some("[MQTT-3.4.2-1]")),
                T::PubRec => (None, Some("[MQTT-3.5.2-1]")),
                T::PubRel => (None, Some("[MQTT-3.6.2-1]")),
                T::PubComp => (None, Some("[MQTT-3.7.2-1]")),
                T::SubAck => (Some("[MQTT-3.9.3-2]"), Some("[MQTT-3.9.3-2]")),
                T::UnsubAck => (None, Some("[MQTT-3.11.3-2]")),
                T::Disconnect => (None, Some("[MQTT-3.14.2-1]")),
                T::Auth => (None, Some("[MQTT-3.15.2-1]")),
                _ => (None, None),
            },
            TopicAliasZero => (None, Some("[MQTT-3.3.2-8]")),
            SubscriptionIdentifierFromClient => (None, Some("[MQTT-3.3.4-6]")),
            SessionExpiryFromServer => (None, Some("[MQTT-3.14.2-2]")),
            UnacceptableProtocolVersion => (None, Some("[MQTT-3.2.2-8]")),
            // Unnumbered rules, or several rules under one variant.
            _ => (None, None),
        };
        match version {
            Version::V3_1 => None,
            Version::V3_1_1 => v3,
            Version::V5 => v5,
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
    #[error("string contains U+0000")]
    NullCharacter,
    /// A topic name contains `+` or `#` ([MQTT-3.3.2-2]).
    #[error("wildcard in topic name")]
    WildcardInTopicName,
    /// An empty topic name, where not allowed ([MQTT-4.7.3-1]; on 5.0 PUBLISH only with a
    /// Topic Alias).
    #[error("empty topic name")]
    EmptyTopicName,
    /// An invalid topic filter ([MQTT-4.7.1-2], [MQTT-4.7.1-3], [MQTT-4.8.2-1]).
    #[error("invalid topic filter")]
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
    #[error("reason code 0x{:02X} not allowed in {packet}", .code.0)]
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
    #[error("topic alias 0")]
    TopicAliasZero,
    /// PUBLISH with QoS 0 and DUP set ([MQTT-3.3.1-2]).
    #[error("PUBLISH with QoS 0 and DUP set")]
    DupOnQos0,
    /// Password without user name on 3.1.1 or 3.1 ([MQTT-3.1.2-22]).
    #[error("password without user name")]
    PasswordWithoutUsername,
    /// Empty client identifier without Clean Session on 3.1.1 or 3.1 ([MQTT-3.1.3-7]).
    #[error("empty client identifier requires clean session")]
    EmptyClientIdWithoutCleanSession,
    /// CONNACK with Session Present set and a failure code ([MQTT-3.2.2-6]).
    #[error("CONNACK refusing the connection with Session Present set")]
    SessionPresentOnFailure,
    /// No Local on a shared subscription ([MQTT-3.8.3-4]).
    #[error("No Local on a shared subscription")]
    NoLocalOnSharedSubscription,
    /// A packet the encoder's side never sends (CONNACK from a client, CONNECT from a server,
    /// DISCONNECT from a 3.1.1 server, ...; §2.1.2 Table 2-1). Checked only by an encoder that
    /// knows its side ([`Encoder::sending_as`](crate::Encoder::sending_as)).
    #[error("{packet} is never sent by a {from}")]
    WrongDirection {
        /// The packet type.
        packet: PacketType,
        /// The side the encoder sends as.
        from: Side,
    },
    /// A client's PUBLISH with a Subscription Identifier ([MQTT-3.3.4-6]), refused by an encoder
    /// sending as the client.
    #[error("PUBLISH from a client with a Subscription Identifier")]
    SubscriptionIdentifierFromClient,
    /// A server's DISCONNECT with a Session Expiry Interval ([MQTT-3.14.2-2]), refused by an
    /// encoder sending as the server.
    #[error("DISCONNECT from a server with a Session Expiry Interval")]
    SessionExpiryFromServer,
    /// [`Packet::to_owned_packet`](crate::Packet::to_owned_packet): the packet encodes, but a
    /// decoder of the same version refuses the bytes (a rule only the decoder checks).
    #[error("the encoded packet does not decode: {0}")]
    NotDecodable(DecodeError),
}

impl EncodeError {
    /// The statement id of the rule this error enforces, in the numbering of `version`, as
    /// [`DecodeError::statement`]; `None` for unnumbered rules, for variants covering several
    /// rules, and for 3.1.
    ///
    /// ```
    /// use mqtt_wire::{EncodeError, Version};
    ///
    /// let err = EncodeError::SessionPresentOnFailure;
    /// assert_eq!(err.statement(Version::V3_1_1), Some("[MQTT-3.2.2-4]"));
    /// assert_eq!(err.statement(Version::V5), Some("[MQTT-3.2.2-6]"));
    /// ```
    pub const fn statement(&self, version: Version) -> Option<&'static str> {
        use EncodeError::*;
        let (v3, v5) = match self {
            NullCharacter => (Some("[MQTT-1.5.3-2]"), Some("[MQTT-1.5.4-2]")),
            WildcardInTopicName => (Some("[MQTT-4.7.1-1]"), Some("[MQTT-4.7.0-1]")),
            EmptyTopicName => (Some("[MQTT-4.7.3-1]"), Some("[MQTT-4.7.3-1]")),
            TopicAliasZero => (None, Some("[MQTT-3.3.2-8]")),
            DupOnQos0 => (Some("[MQTT-3.3.1-2]"), Some("[MQTT-3.3.1-2]")),
            PasswordWithoutUsername => (Some("[MQTT-3.1.2-22]"), None),
            EmptyClientIdWithoutCleanSession => (Some("[MQTT-3.1.3-7]"), None),
            SessionPresentOnFailure => (Some("[MQTT-3.2.2-4]"), Some("[MQTT-3.2.2-6]")),
            NoLocalOnSharedSubscription => (None, Some("[MQTT-3.8.3-4]")),
            NoTopicFilters(PacketType::Subscribe) => {
                (Some("[MQTT-3.8.3-3]"), Some("[MQTT-3.8.3-2]"))
            }
            NoTopicFilters(PacketType::Unsubscribe) => {
                (Some("[MQTT-3.10.3-2]"), Some("[MQTT-3.10.3-2]"))
            }
            SubscriptionIdentifierFromClient => (None, Some("[MQTT-3.3.4-6]")),
            SessionExpiryFromServer => (None, Some("[MQTT-3.14.2-2]")),
            _ => (None, None),
        };
        match version {
            Version::V3_1 => None,
            Version::V3_1_1 => v3,
            Version::V5 => v5,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn statement_ids_follow_the_version() {
        let zero = DecodeError::ZeroPacketId(PacketType::Subscribe);
        assert_eq!(zero.statement(Version::V3_1_1), Some("[MQTT-2.3.1-1]"));
        assert_eq!(zero.statement(Version::V5), None); // §2.2.1, unnumbered in 5.0
        // One variant for several filter rules, numbered differently per version: no single id.
        assert_eq!(
            DecodeError::InvalidTopicFilter.statement(Version::V3_1_1),
            None
        );
        assert_eq!(DecodeError::InvalidTopicFilter.statement(Version::V5), None);
        assert_eq!(
            DecodeError::InvalidUtf8.statement(Version::V3_1_1),
            Some("[MQTT-1.5.3-1]")
        );
        assert_eq!(
            DecodeError::InvalidUtf8.statement(Version::V5),
            Some("[MQTT-1.5.4-1]")
        );
        let flags = DecodeError::InvalidFlags {
            packet: PacketType::ConnAck,
            flags: 1,
        };
        assert_eq!(flags.statement(Version::V3_1_1), Some("[MQTT-2.2.2-1]"));
        assert_eq!(flags.statement(Version::V5), Some("[MQTT-2.1.3-1]"));
        let suback = DecodeError::InvalidReasonCode {
            packet: PacketType::SubAck,
            code: ReasonCode(3),
        };
        assert_eq!(suback.statement(Version::V5), Some("[MQTT-3.9.3-2]"));
        assert_eq!(
            DecodeError::NonMinimalVarint.statement(Version::V3_1_1),
            None
        );
        assert_eq!(
            DecodeError::NonMinimalVarint.statement(Version::V5),
            Some("[MQTT-1.5.5-1]")
        );
        // 3.1 numbers no statements.
        assert_eq!(DecodeError::InvalidQoS.statement(Version::V3_1), None);
        assert_eq!(
            EncodeError::NullCharacter.statement(Version::V3_1_1),
            Some("[MQTT-1.5.3-2]")
        );
        assert_eq!(
            EncodeError::NullCharacter.statement(Version::V5),
            Some("[MQTT-1.5.4-2]")
        );
    }

    /// Every numbered rule a decode error stands for, with its id in each version's numbering.
    #[test]
    fn every_decode_statement_id_in_both_numberings() {
        use DecodeError as D;
        use PacketType as T;
        let flags = |packet| D::InvalidFlags { packet, flags: 1 };
        let code = |packet| D::InvalidReasonCode {
            packet,
            code: ReasonCode(0x7F),
        };
        let table: [(DecodeError, Option<&str>, Option<&str>); 40] = [
            (D::MalformedVarint, None, None),
            (D::NonMinimalVarint, None, Some("[MQTT-1.5.5-1]")),
            (
                flags(T::PubRel),
                Some("[MQTT-3.6.1-1]"),
                Some("[MQTT-3.6.1-1]"),
            ),
            (
                flags(T::Subscribe),
                Some("[MQTT-3.8.1-1]"),
                Some("[MQTT-3.8.1-1]"),
            ),
            (
                flags(T::Unsubscribe),
                Some("[MQTT-3.10.1-1]"),
                Some("[MQTT-3.10.1-1]"),
            ),
            (
                flags(T::Disconnect),
                Some("[MQTT-3.14.1-1]"),
                Some("[MQTT-3.14.1-1]"),
            ),
            (flags(T::Auth), None, Some("[MQTT-3.15.1-1]")),
            (
                flags(T::PingReq),
                Some("[MQTT-2.2.2-1]"),
                Some("[MQTT-2.1.3-1]"),
            ),
            (
                D::InvalidQoS,
                Some("[MQTT-3.3.1-4]"),
                Some("[MQTT-3.3.1-4]"),
            ),
            (D::DupOnQos0, Some("[MQTT-3.3.1-2]"), Some("[MQTT-3.3.1-2]")),
            (D::ZeroPacketId(T::PubAck), Some("[MQTT-2.3.1-1]"), None),
            (
                D::InvalidUtf8,
                Some("[MQTT-1.5.3-1]"),
                Some("[MQTT-1.5.4-1]"),
            ),
            (
                D::NullCharacter,
                Some("[MQTT-1.5.3-2]"),
                Some("[MQTT-1.5.4-2]"),
            ),
            (
                D::WildcardInTopicName,
                Some("[MQTT-4.7.1-1]"),
                Some("[MQTT-4.7.0-1]"),
            ),
            (
                D::EmptyTopicName,
                Some("[MQTT-4.7.3-1]"),
                Some("[MQTT-4.7.3-1]"),
            ),
            (D::InvalidResponseTopic, None, Some("[MQTT-3.3.2-14]")),
            (
                D::NoTopicFilters(T::Subscribe),
                Some("[MQTT-3.8.3-3]"),
                Some("[MQTT-3.8.3-2]"),
            ),
            (
                D::NoTopicFilters(T::Unsubscribe),
                Some("[MQTT-3.10.3-2]"),
                Some("[MQTT-3.10.3-2]"),
            ),
            (
                D::SubscriptionOptionsReserved(0xC0),
                Some("[MQTT-3-8.3-4]"),
                Some("[MQTT-3.8.3-5]"),
            ),
            (
                D::InvalidSubscriptionOptions(0x03),
                Some("[MQTT-3-8.3-4]"),
                None,
            ),
            (D::NoLocalOnSharedSubscription, None, Some("[MQTT-3.8.3-4]")),
            (
                D::InvalidProtocolName,
                Some("[MQTT-3.1.2-1]"),
                Some("[MQTT-3.1.2-1]"),
            ),
            (
                D::UnsupportedProtocolLevel(6),
                Some("[MQTT-3.1.2-2]"),
                Some("[MQTT-3.1.2-2]"),
            ),
            (
                D::ConnectReservedFlag,
                Some("[MQTT-3.1.2-3]"),
                Some("[MQTT-3.1.2-3]"),
            ),
            (D::PasswordWithoutUsername, Some("[MQTT-3.1.2-22]"), None),
            (D::ConnAckReservedFlags, None, Some("[MQTT-3.2.2-1]")),
            (
                D::SessionPresentOnFailure,
                Some("[MQTT-3.2.2-4]"),
                Some("[MQTT-3.2.2-6]"),
            ),
            (code(T::ConnAck), None, Some("[MQTT-3.2.2-8]")),
            (code(T::PubAck), None, Some("[MQTT-3.4.2-1]")),
            (code(T::PubRec), None, Some("[MQTT-3.5.2-1]")),
            (code(T::PubRel), None, Some("[MQTT-3.6.2-1]")),
            (code(T::PubComp), None, Some("[MQTT-3.7.2-1]")),
            (
                code(T::SubAck),
                Some("[MQTT-3.9.3-2]"),
                Some("[MQTT-3.9.3-2]"),
            ),
            (code(T::UnsubAck), None, Some("[MQTT-3.11.3-2]")),
            (code(T::Disconnect), None, Some("[MQTT-3.14.2-1]")),
            (code(T::Auth), None, Some("[MQTT-3.15.2-1]")),
            (D::TopicAliasZero, None, Some("[MQTT-3.3.2-8]")),
            (
                D::SubscriptionIdentifierFromClient,
                None,
                Some("[MQTT-3.3.4-6]"),
            ),
            (D::SessionExpiryFromServer, None, Some("[MQTT-3.14.2-2]")),
            (D::UnacceptableProtocolVersion, None, Some("[MQTT-3.2.2-8]")),
        ];
        for (error, v3, v5) in table {
            assert_eq!(error.statement(Version::V3_1_1), v3, "{error:?} on 3.1.1");
            assert_eq!(error.statement(Version::V5), v5, "{error:?} on 5.0");
            assert_eq!(error.statement(Version::V3_1), None, "{error:?} on 3.1");
        }
        // Variants that cover several rules, or errors of no numbered rule.
        for error in [
            D::InvalidTopicFilter,
            D::InvalidWillFlags,
            D::UnexpectedEnd(T::Publish),
            D::NoReasonCodes(T::SubAck),
            D::NoTopicFilters(T::SubAck),
            code(T::Publish),
        ] {
            assert_eq!(error.statement(Version::V3_1_1), None, "{error:?}");
            assert_eq!(error.statement(Version::V5), None, "{error:?}");
        }
    }

    /// Every numbered rule an encode error stands for, with its id in each version's numbering.
    #[test]
    fn every_encode_statement_id_in_both_numberings() {
        use EncodeError as E;
        let table: [(EncodeError, Option<&str>, Option<&str>); 13] = [
            (
                E::NullCharacter,
                Some("[MQTT-1.5.3-2]"),
                Some("[MQTT-1.5.4-2]"),
            ),
            (
                E::WildcardInTopicName,
                Some("[MQTT-4.7.1-1]"),
                Some("[MQTT-4.7.0-1]"),
            ),
            (
                E::EmptyTopicName,
                Some("[MQTT-4.7.3-1]"),
                Some("[MQTT-4.7.3-1]"),
            ),
            (E::TopicAliasZero, None, Some("[MQTT-3.3.2-8]")),
            (E::DupOnQos0, Some("[MQTT-3.3.1-2]"), Some("[MQTT-3.3.1-2]")),
            (E::PasswordWithoutUsername, Some("[MQTT-3.1.2-22]"), None),
            (
                E::EmptyClientIdWithoutCleanSession,
                Some("[MQTT-3.1.3-7]"),
                None,
            ),
            (
                E::SessionPresentOnFailure,
                Some("[MQTT-3.2.2-4]"),
                Some("[MQTT-3.2.2-6]"),
            ),
            (E::NoLocalOnSharedSubscription, None, Some("[MQTT-3.8.3-4]")),
            (
                E::NoTopicFilters(PacketType::Subscribe),
                Some("[MQTT-3.8.3-3]"),
                Some("[MQTT-3.8.3-2]"),
            ),
            (
                E::NoTopicFilters(PacketType::Unsubscribe),
                Some("[MQTT-3.10.3-2]"),
                Some("[MQTT-3.10.3-2]"),
            ),
            (
                E::SubscriptionIdentifierFromClient,
                None,
                Some("[MQTT-3.3.4-6]"),
            ),
            (E::SessionExpiryFromServer, None, Some("[MQTT-3.14.2-2]")),
        ];
        for (error, v3, v5) in table {
            assert_eq!(error.statement(Version::V3_1_1), v3, "{error:?} on 3.1.1");
            assert_eq!(error.statement(Version::V5), v5, "{error:?} on 5.0");
            assert_eq!(error.statement(Version::V3_1), None, "{error:?} on 3.1");
        }
        for error in [
            E::InvalidTopicFilter,
            E::FieldTooLong(65_536),
            E::NoTopicFilters(PacketType::SubAck),
        ] {
            assert_eq!(error.statement(Version::V3_1_1), None, "{error:?}");
            assert_eq!(error.statement(Version::V5), None, "{error:?}");
        }
    }

    #[test]
    fn display_names_no_statement_id() {
        let decode = [
            DecodeError::NonMinimalVarint,
            DecodeError::InvalidQoS,
            DecodeError::ZeroPacketId(PacketType::PubAck),
            DecodeError::InvalidUtf8,
            DecodeError::NullCharacter,
            DecodeError::WildcardInTopicName,
            DecodeError::InvalidTopicFilter,
            DecodeError::SubscriptionOptionsReserved(0xC0),
            DecodeError::InvalidWillFlags,
            DecodeError::PasswordWithoutUsername,
            DecodeError::SessionPresentOnFailure,
            DecodeError::UnacceptableProtocolVersion,
        ];
        for e in decode {
            assert!(!e.to_string().contains("MQTT-"), "{e}");
        }
        let encode = [
            EncodeError::NullCharacter,
            EncodeError::InvalidTopicFilter,
            EncodeError::SessionPresentOnFailure,
            EncodeError::EmptyClientIdWithoutCleanSession,
        ];
        for e in encode {
            assert!(!e.to_string().contains("MQTT-"), "{e}");
        }
        let topic = [
            crate::TopicError::EmptyTopicName,
            crate::TopicError::NullCharacter,
            crate::TopicError::WildcardInTopicName,
            crate::TopicError::InvalidTopicFilter,
            crate::TopicError::TooLong(65_536),
        ];
        for e in topic {
            assert!(!e.to_string().contains("MQTT-"), "{e}");
        }
    }
}
