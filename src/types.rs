//! Small value types shared by every packet: protocol version, QoS, packet identifiers.

use core::fmt;
use core::num::NonZeroU16;

/// The MQTT protocol version a packet is decoded or encoded for.
///
/// The wire layout of most packets differs between 3.1.1 and 5.0, so every decode and encode call
/// takes the version as a parameter. MQTT 3.1 (protocol name `MQIsdp`, level 3) has the packet
/// layouts of 3.1.1, and the codec reads and writes it with the 3.1.1 rules. Two rules of 3.1
/// are left to the session: a client identifier of 1 to 23 characters (the codec accepts any
/// length, as 3.1.1 does; a 3.1 server answers others with CONNACK return code 2, identifier
/// rejected) and SUBACK without the failure code `0x80`, which 3.1 lacks (the codec accepts and
/// writes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Version {
    /// MQTT 3.1 (protocol level 3, protocol name `MQIsdp`).
    V3_1,
    /// MQTT 3.1.1 (protocol level 4, protocol name `MQTT`).
    V3_1_1,
    /// MQTT 5.0 (protocol level 5, protocol name `MQTT`).
    V5,
}

impl Version {
    /// The protocol level byte sent in CONNECT (3, 4 or 5).
    pub const fn level(self) -> u8 {
        match self {
            Version::V3_1 => 3,
            Version::V3_1_1 => 4,
            Version::V5 => 5,
        }
    }

    /// The protocol name sent in CONNECT (`MQIsdp` for 3.1, `MQTT` otherwise).
    pub const fn protocol_name(self) -> &'static str {
        match self {
            Version::V3_1 => "MQIsdp",
            Version::V3_1_1 | Version::V5 => "MQTT",
        }
    }

    /// True for MQTT 5.0, the only version with properties, reason codes on acks and AUTH.
    pub const fn is_v5(self) -> bool {
        matches!(self, Version::V5)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Version::V3_1 => "3.1",
            Version::V3_1_1 => "3.1.1",
            Version::V5 => "5.0",
        })
    }
}

/// Quality of service level of a message or subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum QoS {
    /// QoS 0: at most once, no acknowledgement.
    #[default]
    AtMostOnce = 0,
    /// QoS 1: at least once, acknowledged by PUBACK.
    AtLeastOnce = 1,
    /// QoS 2: exactly once, the PUBREC / PUBREL / PUBCOMP exchange.
    ExactlyOnce = 2,
}

impl QoS {
    /// The QoS for the two-bit wire value, `None` for the invalid value 3.
    pub const fn from_bits(bits: u8) -> Option<QoS> {
        match bits {
            0 => Some(QoS::AtMostOnce),
            1 => Some(QoS::AtLeastOnce),
            2 => Some(QoS::ExactlyOnce),
            _ => None,
        }
    }
}

/// A packet identifier: a non-zero 16-bit number ([MQTT-2.3.1-1] in 3.1.1, §2.2.1 in 5.0).
///
/// Zero is not a valid identifier, so this type cannot hold it. A sender numbers its packets
/// from [`PacketId::MIN`] on with [`PacketId::next`]:
///
/// ```
/// use mqtt_wire::PacketId;
///
/// let first = PacketId::MIN;
/// assert_eq!(first.get(), 1);
/// assert_eq!(first.next().get(), 2);
/// assert_eq!(PacketId::MAX.next(), PacketId::MIN); // 65,535 wraps to 1, never to 0
/// assert_eq!(PacketId::try_from(7u16).map(u16::from), Ok(7));
/// assert!(PacketId::try_from(0u16).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PacketId(NonZeroU16);

/// The error of `PacketId::try_from(0)`: 0 is not a packet identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("0 is not a packet identifier")]
pub struct ZeroPacketIdError;

impl PacketId {
    /// The first identifier, 1.
    pub const MIN: PacketId = PacketId(NonZeroU16::MIN);

    /// The last identifier, 65,535.
    pub const MAX: PacketId = PacketId(NonZeroU16::MAX);

    /// The identifier after this one, wrapping from 65,535 to 1 (0 is skipped).
    ///
    /// Allocating ids in use is the session's concern ([MQTT-2.3.1-2] 3.1.1 / [MQTT-2.2.1-3]
    /// 5.0: a new packet takes an id not in use); `next` only steps through the valid values.
    #[must_use]
    pub const fn next(self) -> PacketId {
        match NonZeroU16::new(self.0.get().wrapping_add(1)) {
            Some(id) => PacketId(id),
            None => PacketId::MIN,
        }
    }

    /// The identifier `id`, or `None` when `id` is zero.
    pub const fn new(id: u16) -> Option<PacketId> {
        match NonZeroU16::new(id) {
            Some(id) => Some(PacketId(id)),
            None => None,
        }
    }

    /// The identifier as a number (never zero).
    pub const fn get(self) -> u16 {
        self.0.get()
    }
}

impl From<PacketId> for u16 {
    fn from(id: PacketId) -> u16 {
        id.get()
    }
}

impl TryFrom<u16> for PacketId {
    type Error = ZeroPacketIdError;

    fn try_from(id: u16) -> Result<PacketId, ZeroPacketIdError> {
        PacketId::new(id).ok_or(ZeroPacketIdError)
    }
}

impl From<NonZeroU16> for PacketId {
    fn from(id: NonZeroU16) -> PacketId {
        PacketId(id)
    }
}

impl fmt::Display for PacketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for PacketId {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(PacketId(u.arbitrary()?))
    }
}

/// The QoS of a PUBLISH together with its packet identifier.
///
/// A QoS 0 PUBLISH has no packet identifier on the wire ([MQTT-2.3.1-5]); QoS 1 and 2 always have
/// one. Keeping both in one enum makes "QoS 0 with an identifier" and "QoS 1 without one"
/// impossible to represent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum QosPid {
    /// QoS 0, no packet identifier.
    #[default]
    AtMostOnce,
    /// QoS 1 with its packet identifier.
    AtLeastOnce(PacketId),
    /// QoS 2 with its packet identifier.
    ExactlyOnce(PacketId),
}

impl QosPid {
    /// The QoS level.
    pub const fn qos(self) -> QoS {
        match self {
            QosPid::AtMostOnce => QoS::AtMostOnce,
            QosPid::AtLeastOnce(_) => QoS::AtLeastOnce,
            QosPid::ExactlyOnce(_) => QoS::ExactlyOnce,
        }
    }

    /// The packet identifier, `None` for QoS 0.
    pub const fn pid(self) -> Option<PacketId> {
        match self {
            QosPid::AtMostOnce => None,
            QosPid::AtLeastOnce(id) | QosPid::ExactlyOnce(id) => Some(id),
        }
    }
}

/// What a server does with retained messages when a subscription is made (MQTT 5.0 §3.8.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum RetainHandling {
    /// 0: send retained messages at the time of the subscribe.
    #[default]
    SendAtSubscribe = 0,
    /// 1: send retained messages only if the subscription did not exist yet.
    SendIfNew = 1,
    /// 2: do not send retained messages at subscribe time.
    DoNotSend = 2,
}

/// The options byte that follows each topic filter in SUBSCRIBE.
///
/// On 3.1.1 only `qos` exists on the wire; the other fields must keep their defaults there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct SubscriptionOptions {
    /// The maximum QoS the subscriber wants to receive.
    pub qos: QoS,
    /// 5.0: do not send the subscriber's own publications back to it.
    pub no_local: bool,
    /// 5.0: keep the RETAIN flag of forwarded messages as published.
    pub retain_as_published: bool,
    /// 5.0: what to do with retained messages when subscribing.
    pub retain_handling: RetainHandling,
}

impl SubscriptionOptions {
    /// Options with the given QoS and every 5.0 option at its default.
    pub const fn qos(qos: QoS) -> SubscriptionOptions {
        SubscriptionOptions {
            qos,
            no_local: false,
            retain_as_published: false,
            retain_handling: RetainHandling::SendAtSubscribe,
        }
    }

    pub(crate) const fn to_byte(self) -> u8 {
        self.qos as u8
            | (self.no_local as u8) << 2
            | (self.retain_as_published as u8) << 3
            | (self.retain_handling as u8) << 4
    }
}

/// The kind of a control packet, as named in the specifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// CONNECT (1)
    Connect = 1,
    /// CONNACK (2)
    ConnAck = 2,
    /// PUBLISH (3)
    Publish = 3,
    /// PUBACK (4)
    PubAck = 4,
    /// PUBREC (5)
    PubRec = 5,
    /// PUBREL (6)
    PubRel = 6,
    /// PUBCOMP (7)
    PubComp = 7,
    /// SUBSCRIBE (8)
    Subscribe = 8,
    /// SUBACK (9)
    SubAck = 9,
    /// UNSUBSCRIBE (10)
    Unsubscribe = 10,
    /// UNSUBACK (11)
    UnsubAck = 11,
    /// PINGREQ (12)
    PingReq = 12,
    /// PINGRESP (13)
    PingResp = 13,
    /// DISCONNECT (14)
    Disconnect = 14,
    /// AUTH (15, MQTT 5.0 only)
    Auth = 15,
}

impl PacketType {
    /// The packet type for the high nibble of the first byte; `None` for the reserved value 0.
    pub const fn from_nibble(nibble: u8) -> Option<PacketType> {
        Some(match nibble {
            1 => PacketType::Connect,
            2 => PacketType::ConnAck,
            3 => PacketType::Publish,
            4 => PacketType::PubAck,
            5 => PacketType::PubRec,
            6 => PacketType::PubRel,
            7 => PacketType::PubComp,
            8 => PacketType::Subscribe,
            9 => PacketType::SubAck,
            10 => PacketType::Unsubscribe,
            11 => PacketType::UnsubAck,
            12 => PacketType::PingReq,
            13 => PacketType::PingResp,
            14 => PacketType::Disconnect,
            15 => PacketType::Auth,
            _ => return None,
        })
    }

    /// The name in capitals, as the specifications write it (`PUBLISH`, `CONNACK`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            PacketType::Connect => "CONNECT",
            PacketType::ConnAck => "CONNACK",
            PacketType::Publish => "PUBLISH",
            PacketType::PubAck => "PUBACK",
            PacketType::PubRec => "PUBREC",
            PacketType::PubRel => "PUBREL",
            PacketType::PubComp => "PUBCOMP",
            PacketType::Subscribe => "SUBSCRIBE",
            PacketType::SubAck => "SUBACK",
            PacketType::Unsubscribe => "UNSUBSCRIBE",
            PacketType::UnsubAck => "UNSUBACK",
            PacketType::PingReq => "PINGREQ",
            PacketType::PingResp => "PINGRESP",
            PacketType::Disconnect => "DISCONNECT",
            PacketType::Auth => "AUTH",
        }
    }

    /// The flag nibble every packet of this type carries, except PUBLISH whose flags vary
    /// ([MQTT-2.2.2-1] in 3.1.1, [MQTT-2.1.3-1] in 5.0).
    pub(crate) const fn fixed_flags(self) -> u8 {
        match self {
            PacketType::PubRel | PacketType::Subscribe | PacketType::Unsubscribe => 0b0010,
            _ => 0,
        }
    }
}

impl fmt::Display for PacketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One end of an MQTT connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The client (sends CONNECT).
    Client,
    /// The server, or broker (sends CONNACK).
    Server,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Client => "client",
            Side::Server => "server",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn packet_ids_step_through_1_to_65535_and_wrap_to_1() {
        assert_eq!(PacketId::MIN.get(), 1);
        assert_eq!(PacketId::MAX.get(), u16::MAX);
        assert_eq!(PacketId::MIN.next().get(), 2);
        assert_eq!(
            PacketId::new(65_534).map(PacketId::next),
            Some(PacketId::MAX)
        );
        assert_eq!(PacketId::MAX.next(), PacketId::MIN);
        // A full cycle visits every non-zero value once and comes back.
        let mut id = PacketId::MIN;
        let mut steps = 0u32;
        loop {
            id = id.next();
            steps += 1;
            if id == PacketId::MIN {
                break;
            }
        }
        assert_eq!(steps, 65_535);
    }

    #[test]
    fn every_nibble_but_0_is_a_packet_type_named_as_the_specifications_write_it() {
        use PacketType::*;
        let all = [
            (Connect, "CONNECT"),
            (ConnAck, "CONNACK"),
            (Publish, "PUBLISH"),
            (PubAck, "PUBACK"),
            (PubRec, "PUBREC"),
            (PubRel, "PUBREL"),
            (PubComp, "PUBCOMP"),
            (Subscribe, "SUBSCRIBE"),
            (SubAck, "SUBACK"),
            (Unsubscribe, "UNSUBSCRIBE"),
            (UnsubAck, "UNSUBACK"),
            (PingReq, "PINGREQ"),
            (PingResp, "PINGRESP"),
            (Disconnect, "DISCONNECT"),
            (Auth, "AUTH"),
        ];
        assert_eq!(PacketType::from_nibble(0), None);
        for (nibble, (packet, name)) in (1u8..).zip(all) {
            assert_eq!(PacketType::from_nibble(nibble), Some(packet));
            assert_eq!(packet as u8, nibble);
            assert_eq!(packet.name(), name);
            assert_eq!(packet.to_string(), name);
        }
        assert_eq!(PacketType::from_nibble(16), None);
    }

    #[test]
    fn versions_sides_and_packet_ids_display_as_numbers_and_words() {
        assert_eq!(Version::V3_1.to_string(), "3.1");
        assert_eq!(Version::V3_1_1.to_string(), "3.1.1");
        assert_eq!(Version::V5.to_string(), "5.0");
        assert_eq!(Side::Client.to_string(), "client");
        assert_eq!(Side::Server.to_string(), "server");
        assert_eq!(PacketId::MAX.to_string(), "65535");
        assert_eq!(PacketId::new(42).map(u16::from), Some(42));
        assert_eq!(u16::from(PacketId::MAX), u16::MAX);
        let id = NonZeroU16::new(7).unwrap();
        assert_eq!(PacketId::from(id).get(), 7);
    }

    #[test]
    fn packet_id_try_from_refuses_zero() {
        assert_eq!(PacketId::try_from(0u16), Err(ZeroPacketIdError));
        assert_eq!(PacketId::try_from(1u16), Ok(PacketId::MIN));
        assert_eq!(PacketId::try_from(u16::MAX), Ok(PacketId::MAX));
        assert_eq!(
            alloc::string::ToString::to_string(&ZeroPacketIdError),
            "0 is not a packet identifier"
        );
    }
}
