//! MQTT 5.0 reason codes, which packets may carry which, and the 3.1.1 return-code mapping.

use crate::types::PacketType;
use core::fmt;

/// An MQTT 5.0 reason code (Table B of the checklist, §2.4 of the 5.0 standard).
///
/// A plain byte with named constants, so a value this crate has no name for still round-trips.
/// Values below `0x80` report success, `0x80` and above failure.
///
/// Some values mean different things in different packets (`0x00` is Success, Normal
/// disconnection in DISCONNECT and Granted QoS 0 in SUBACK): [`ReasonCode::name_in`] gives the
/// name for a packet, `Display` the code and its first name (`0x87 Not authorized`), and `Debug`
/// only the number (`ReasonCode(0x87)`), which no context can make wrong.
///
/// MQTT 3.1.1 packets use the same type: a 3.1.1 CONNACK return code is mapped to the 5.0 code
/// with the same meaning (see [`ConnAck`](crate::ConnAck)), and 3.1.1 SUBACK codes (0, 1, 2,
/// 0x80) are the same numbers in both versions.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ReasonCode(pub u8);

macro_rules! reason_codes {
    ($($name:ident = $value:literal, $text:literal;)*) => {
        impl ReasonCode {
            $(
                #[doc = concat!("`", stringify!($value), "` ", $text, ".")]
                pub const $name: ReasonCode = ReasonCode($value);
            )*

            /// The name the 5.0 standard gives this code, if it has one. Codes that share a value
            /// (`0x00` is Success, Normal disconnection and Granted QoS 0) give the first name;
            /// [`ReasonCode::name_in`] gives the one a packet uses.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some($text),)*
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }
        }
    };
}

reason_codes! {
    SUCCESS = 0x00, "Success";
    GRANTED_QOS_1 = 0x01, "Granted QoS 1";
    GRANTED_QOS_2 = 0x02, "Granted QoS 2";
    DISCONNECT_WITH_WILL = 0x04, "Disconnect with Will Message";
    NO_MATCHING_SUBSCRIBERS = 0x10, "No matching subscribers";
    NO_SUBSCRIPTION_EXISTED = 0x11, "No subscription existed";
    CONTINUE_AUTHENTICATION = 0x18, "Continue authentication";
    REAUTHENTICATE = 0x19, "Re-authenticate";
    UNSPECIFIED_ERROR = 0x80, "Unspecified error";
    MALFORMED_PACKET = 0x81, "Malformed Packet";
    PROTOCOL_ERROR = 0x82, "Protocol Error";
    IMPLEMENTATION_SPECIFIC_ERROR = 0x83, "Implementation specific error";
    UNSUPPORTED_PROTOCOL_VERSION = 0x84, "Unsupported Protocol Version";
    CLIENT_IDENTIFIER_NOT_VALID = 0x85, "Client Identifier not valid";
    BAD_USER_NAME_OR_PASSWORD = 0x86, "Bad User Name or Password";
    NOT_AUTHORIZED = 0x87, "Not authorized";
    SERVER_UNAVAILABLE = 0x88, "Server unavailable";
    SERVER_BUSY = 0x89, "Server busy";
    BANNED = 0x8A, "Banned";
    SERVER_SHUTTING_DOWN = 0x8B, "Server shutting down";
    BAD_AUTHENTICATION_METHOD = 0x8C, "Bad authentication method";
    KEEP_ALIVE_TIMEOUT = 0x8D, "Keep Alive timeout";
    SESSION_TAKEN_OVER = 0x8E, "Session taken over";
    TOPIC_FILTER_INVALID = 0x8F, "Topic Filter invalid";
    TOPIC_NAME_INVALID = 0x90, "Topic Name invalid";
    PACKET_IDENTIFIER_IN_USE = 0x91, "Packet Identifier in use";
    PACKET_IDENTIFIER_NOT_FOUND = 0x92, "Packet Identifier not found";
    RECEIVE_MAXIMUM_EXCEEDED = 0x93, "Receive Maximum exceeded";
    TOPIC_ALIAS_INVALID = 0x94, "Topic Alias invalid";
    PACKET_TOO_LARGE = 0x95, "Packet too large";
    MESSAGE_RATE_TOO_HIGH = 0x96, "Message rate too high";
    QUOTA_EXCEEDED = 0x97, "Quota exceeded";
    ADMINISTRATIVE_ACTION = 0x98, "Administrative action";
    PAYLOAD_FORMAT_INVALID = 0x99, "Payload format invalid";
    RETAIN_NOT_SUPPORTED = 0x9A, "Retain not supported";
    QOS_NOT_SUPPORTED = 0x9B, "QoS not supported";
    USE_ANOTHER_SERVER = 0x9C, "Use another server";
    SERVER_MOVED = 0x9D, "Server moved";
    SHARED_SUBSCRIPTIONS_NOT_SUPPORTED = 0x9E, "Shared Subscriptions not supported";
    CONNECTION_RATE_EXCEEDED = 0x9F, "Connection rate exceeded";
    MAXIMUM_CONNECT_TIME = 0xA0, "Maximum connect time";
    SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED = 0xA1, "Subscription Identifiers not supported";
    WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED = 0xA2, "Wildcard Subscriptions not supported";
}

impl ReasonCode {
    /// `0x00` in DISCONNECT: normal disconnection.
    pub const NORMAL_DISCONNECTION: ReasonCode = ReasonCode(0x00);
    /// `0x00` in SUBACK: granted QoS 0.
    pub const GRANTED_QOS_0: ReasonCode = ReasonCode(0x00);

    /// True for codes below `0x80`.
    pub const fn is_success(self) -> bool {
        self.0 < 0x80
    }

    /// Whether a 5.0 packet of type `packet` may carry this code (Table B, per-packet sets;
    /// [MQTT-3.2.2-8], [MQTT-3.4.2-1], [MQTT-3.5.2-1], [MQTT-3.6.2-1], [MQTT-3.7.2-1],
    /// [MQTT-3.9.3-2], [MQTT-3.11.3-2], [MQTT-3.14.2-1], [MQTT-3.15.2-1]).
    pub const fn is_valid_for(self, packet: PacketType) -> bool {
        let c = self.0;
        match packet {
            PacketType::ConnAck => matches!(
                c,
                0x00 | 0x80..=0x8A | 0x8C | 0x90 | 0x95 | 0x97 | 0x99..=0x9D | 0x9F
            ),
            PacketType::PubAck | PacketType::PubRec => {
                matches!(
                    c,
                    0x00 | 0x10 | 0x80 | 0x83 | 0x87 | 0x90 | 0x91 | 0x97 | 0x99
                )
            }
            PacketType::PubRel | PacketType::PubComp => matches!(c, 0x00 | 0x92),
            PacketType::SubAck => matches!(
                c,
                0x00 | 0x01 | 0x02 | 0x80 | 0x83 | 0x87 | 0x8F | 0x91 | 0x97 | 0x9E | 0xA1 | 0xA2
            ),
            PacketType::UnsubAck => {
                matches!(c, 0x00 | 0x11 | 0x80 | 0x83 | 0x87 | 0x8F | 0x91)
            }
            PacketType::Disconnect => matches!(
                c,
                0x00 | 0x04 | 0x80..=0x83 | 0x87 | 0x89 | 0x8B..=0x90 | 0x93..=0xA2
            ),
            PacketType::Auth => matches!(c, 0x00 | 0x18 | 0x19),
            _ => false,
        }
    }

    /// The name this code has in a packet of type `packet`, `None` when that packet cannot carry
    /// it ([`ReasonCode::is_valid_for`]).
    ///
    /// The names are those of the 5.0 standard. 3.1.1 packets share them: a decoded 3.1.1
    /// CONNACK holds the 5.0 code of the same meaning ([`ReasonCode::from_v3_connack`]), and
    /// 3.1.1 SUBACK codes are the same numbers (`0x80` Failure is named Unspecified error). So a
    /// 5.0 CONNACK with `0x01`, which a 3.1.1-only server sends for "unacceptable protocol
    /// version", has no name here: `0x01` is Granted QoS 1, a SUBACK code.
    ///
    /// ```
    /// use mqtt_wire::{PacketType, ReasonCode};
    ///
    /// assert_eq!(ReasonCode(0x00).name_in(PacketType::SubAck), Some("Granted QoS 0"));
    /// assert_eq!(ReasonCode(0x00).name_in(PacketType::Disconnect), Some("Normal disconnection"));
    /// assert_eq!(ReasonCode(0x00).name_in(PacketType::PubAck), Some("Success"));
    /// assert_eq!(ReasonCode(0x01).name_in(PacketType::ConnAck), None);
    /// ```
    pub const fn name_in(self, packet: PacketType) -> Option<&'static str> {
        if !self.is_valid_for(packet) {
            return None;
        }
        match (self.0, packet) {
            (0x00, PacketType::Disconnect) => Some("Normal disconnection"),
            (0x00, PacketType::SubAck) => Some("Granted QoS 0"),
            _ => self.name(),
        }
    }

    /// The 5.0 code with the meaning of a 3.1.1 CONNACK return code (Table C), `None` for the
    /// reserved values 6..=255.
    pub const fn from_v3_connack(code: u8) -> Option<ReasonCode> {
        Some(match code {
            0 => ReasonCode::SUCCESS,
            1 => ReasonCode::UNSUPPORTED_PROTOCOL_VERSION,
            2 => ReasonCode::CLIENT_IDENTIFIER_NOT_VALID,
            3 => ReasonCode::SERVER_UNAVAILABLE,
            4 => ReasonCode::BAD_USER_NAME_OR_PASSWORD,
            5 => ReasonCode::NOT_AUTHORIZED,
            _ => return None,
        })
    }

    /// The 3.1.1 CONNACK return code with this code's meaning, `None` when 3.1.1 has none.
    pub const fn to_v3_connack(self) -> Option<u8> {
        Some(match self {
            ReasonCode::SUCCESS => 0,
            ReasonCode::UNSUPPORTED_PROTOCOL_VERSION => 1,
            ReasonCode::CLIENT_IDENTIFIER_NOT_VALID => 2,
            ReasonCode::SERVER_UNAVAILABLE => 3,
            ReasonCode::BAD_USER_NAME_OR_PASSWORD => 4,
            ReasonCode::NOT_AUTHORIZED => 5,
            _ => return None,
        })
    }

    /// Whether a 3.1.1 SUBACK may carry this code: 0x00, 0x01, 0x02 or 0x80 ([MQTT-3.9.3-2]).
    pub const fn is_valid_v3_suback(self) -> bool {
        matches!(self.0, 0x00 | 0x01 | 0x02 | 0x80)
    }
}

/// `ReasonCode(0x87)`: the number only, since a name depends on the packet.
impl fmt::Debug for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReasonCode(0x{:02X})", self.0)
    }
}

/// `0x87 Not authorized`: the code and [`ReasonCode::name`], or the code alone when it has no
/// name. `0x00` reads `0x00 Success`; use [`ReasonCode::name_in`] for a packet's own name.
impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "0x{:02X} {}", self.0, name),
            None => write!(f, "0x{:02X}", self.0),
        }
    }
}

impl From<u8> for ReasonCode {
    fn from(code: u8) -> ReasonCode {
        ReasonCode(code)
    }
}

impl From<ReasonCode> for u8 {
    fn from(code: ReasonCode) -> u8 {
        code.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PacketType::*;
    use alloc::format;

    #[test]
    fn display_gives_the_code_and_its_name() {
        assert_eq!(
            format!("{}", ReasonCode::NOT_AUTHORIZED),
            "0x87 Not authorized"
        );
        assert_eq!(format!("{}", ReasonCode::SUCCESS), "0x00 Success");
        assert_eq!(format!("{}", ReasonCode(0x03)), "0x03");
        assert_eq!(format!("{}", ReasonCode(0xFF)), "0xFF");
    }

    /// §2.4 of 5.0: a code below `0x80` reports success, `0x80` and above failure.
    #[test]
    fn success_is_below_0x80() {
        assert!(ReasonCode(0x00).is_success());
        assert!(ReasonCode(0x7F).is_success());
        assert!(!ReasonCode(0x80).is_success());
        assert!(!ReasonCode(0xFF).is_success());
        assert_eq!(ReasonCode::from(0x97), ReasonCode::QUOTA_EXCEEDED);
        assert_eq!(u8::from(ReasonCode::QUOTA_EXCEEDED), 0x97);
    }

    /// Table C: the six 3.1.1 CONNACK return codes and the 5.0 codes of the same meaning, both
    /// ways; `0x80` and above is what a 3.1.1 SUBACK may carry only as `0x80` ([MQTT-3.9.3-2]).
    #[test]
    fn v3_connack_codes_map_both_ways_and_v3_suback_codes_follow_mqtt_3_9_3_2() {
        let table = [
            (0u8, ReasonCode::SUCCESS),
            (1, ReasonCode::UNSUPPORTED_PROTOCOL_VERSION),
            (2, ReasonCode::CLIENT_IDENTIFIER_NOT_VALID),
            (3, ReasonCode::SERVER_UNAVAILABLE),
            (4, ReasonCode::BAD_USER_NAME_OR_PASSWORD),
            (5, ReasonCode::NOT_AUTHORIZED),
        ];
        for (v3, v5) in table {
            assert_eq!(ReasonCode::from_v3_connack(v3), Some(v5));
            assert_eq!(v5.to_v3_connack(), Some(v3));
        }
        assert_eq!(ReasonCode::from_v3_connack(6), None);
        assert_eq!(ReasonCode::from_v3_connack(0xFF), None);
        assert_eq!(ReasonCode::BANNED.to_v3_connack(), None);
        assert_eq!(ReasonCode(0x01).to_v3_connack(), None);
        for code in 0..=255u8 {
            let valid = matches!(code, 0x00 | 0x01 | 0x02 | 0x80);
            assert_eq!(ReasonCode(code).is_valid_v3_suback(), valid, "{code:#04x}");
        }
    }

    #[test]
    fn debug_gives_the_number_only() {
        assert_eq!(
            format!("{:?}", ReasonCode::GRANTED_QOS_1),
            "ReasonCode(0x01)"
        );
        assert_eq!(format!("{:?}", ReasonCode(0xAB)), "ReasonCode(0xAB)");
    }

    #[test]
    fn zero_is_named_by_its_packet() {
        for packet in [ConnAck, PubAck, PubRec, PubRel, PubComp, UnsubAck, Auth] {
            assert_eq!(ReasonCode(0).name_in(packet), Some("Success"), "{packet}");
        }
        assert_eq!(
            ReasonCode(0).name_in(Disconnect),
            Some("Normal disconnection")
        );
        assert_eq!(ReasonCode(0).name_in(SubAck), Some("Granted QoS 0"));
        for packet in [Connect, Publish, Subscribe, Unsubscribe, PingReq, PingResp] {
            assert_eq!(
                ReasonCode(0).name_in(packet),
                None,
                "{packet} has no reason code"
            );
        }
    }

    #[test]
    fn a_code_is_named_only_in_packets_that_may_carry_it() {
        assert_eq!(ReasonCode(0x01).name_in(SubAck), Some("Granted QoS 1"));
        // What a 3.1.1-only server answers a 5.0 CONNECT with (return code 1): not a 5.0 code.
        assert_eq!(ReasonCode(0x01).name_in(ConnAck), None);
        assert_eq!(
            ReasonCode(0x04).name_in(Disconnect),
            Some("Disconnect with Will Message")
        );
        assert_eq!(ReasonCode(0x04).name_in(PubAck), None);
        assert_eq!(ReasonCode(0x87).name_in(ConnAck), Some("Not authorized"));
        assert_eq!(
            ReasonCode(0x92).name_in(PubRel),
            Some("Packet Identifier not found")
        );
        assert_eq!(
            ReasonCode(0x18).name_in(Auth),
            Some("Continue authentication")
        );
        assert_eq!(ReasonCode(0x18).name_in(Disconnect), None);
        // Every code valid for a packet has a name there.
        for code in 0..=255u8 {
            for packet in [
                ConnAck, PubAck, PubRec, PubRel, PubComp, SubAck, UnsubAck, Disconnect, Auth,
            ] {
                let code = ReasonCode(code);
                assert_eq!(code.name_in(packet).is_some(), code.is_valid_for(packet));
            }
        }
    }

    #[test]
    fn decoded_v3_connack_codes_carry_the_5_0_name_of_their_meaning() {
        let names = [1u8, 2, 3, 4, 5]
            .map(|rc| ReasonCode::from_v3_connack(rc).and_then(|c| c.name_in(ConnAck)));
        assert_eq!(
            names,
            [
                Some("Unsupported Protocol Version"),
                Some("Client Identifier not valid"),
                Some("Server unavailable"),
                Some("Bad User Name or Password"),
                Some("Not authorized"),
            ]
        );
    }
}
