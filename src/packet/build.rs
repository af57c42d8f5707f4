//! Constructors for packets made of defaults and plain values, on `Packet<Bytes>`.
//!
//! `Packet<B = Bytes>` names `Bytes` as the default storage, but a default type parameter does
//! not drive inference: `Packet::PingReq` alone leaves `B` unknown and needs
//! `Packet::<Bytes>::PingReq`. Functions on `Packet<Bytes>` fix `B`, so `Packet::ping_req()`
//! needs no annotation (as `HashMap::new()` fixes its hasher).

use super::{Ack, ConnAck, Disconnect, Packet};
use crate::reason::ReasonCode;
use crate::types::PacketId;
use alloc::boxed::Box;
use bytes::Bytes;

impl Packet<Bytes> {
    /// PINGREQ.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use mqtt_wire::{Packet, Version};
    ///
    /// let mut buf = BytesMut::new();
    /// Packet::ping_req().encode(Version::V5, &mut buf)?;
    /// assert_eq!(&buf[..], &[0xC0, 0x00]);
    /// # Ok::<(), mqtt_wire::EncodeError>(())
    /// ```
    pub const fn ping_req() -> Packet<Bytes> {
        Packet::PingReq
    }

    /// PINGRESP.
    pub const fn ping_resp() -> Packet<Bytes> {
        Packet::PingResp
    }

    /// DISCONNECT with reason code Normal disconnection and no properties (on 3.1.1, the
    /// body-less DISCONNECT).
    pub fn disconnect() -> Packet<Bytes> {
        Packet::Disconnect(Disconnect::default())
    }

    /// 5.0 DISCONNECT with `reason_code` and no properties.
    pub fn disconnect_with(reason_code: ReasonCode) -> Packet<Bytes> {
        Packet::Disconnect(Disconnect {
            reason_code,
            ..Disconnect::default()
        })
    }

    /// CONNACK with the given Session Present flag and code, no properties.
    pub fn conn_ack(session_present: bool, reason_code: ReasonCode) -> Packet<Bytes> {
        Packet::ConnAck(Box::new(ConnAck::new(session_present, reason_code)))
    }

    /// PUBACK of `pid`: success, no properties.
    pub fn pub_ack(pid: PacketId) -> Packet<Bytes> {
        Packet::PubAck(Ack::new(pid))
    }

    /// PUBREC of `pid`: success, no properties.
    pub fn pub_rec(pid: PacketId) -> Packet<Bytes> {
        Packet::PubRec(Ack::new(pid))
    }

    /// PUBREL of `pid`: success, no properties.
    pub fn pub_rel(pid: PacketId) -> Packet<Bytes> {
        Packet::PubRel(Ack::new(pid))
    }

    /// PUBCOMP of `pid`: success, no properties.
    pub fn pub_comp(pid: PacketId) -> Packet<Bytes> {
        Packet::PubComp(Ack::new(pid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Version;
    use bytes::BytesMut;

    fn encode(packet: &Packet, version: Version) -> BytesMut {
        let mut buf = BytesMut::new();
        packet.encode(version, &mut buf).unwrap();
        buf
    }

    #[test]
    fn constructed_packets_encode_to_their_shortest_forms() {
        let pid = PacketId::new(7).unwrap();
        let v3 = Version::V3_1_1;
        assert_eq!(&encode(&Packet::ping_req(), v3)[..], [0xC0, 0x00]);
        assert_eq!(&encode(&Packet::ping_resp(), v3)[..], [0xD0, 0x00]);
        assert_eq!(&encode(&Packet::disconnect(), v3)[..], [0xE0, 0x00]);
        assert_eq!(
            &encode(&Packet::disconnect(), Version::V5)[..],
            [0xE0, 0x00]
        );
        let quota = Packet::disconnect_with(ReasonCode::QUOTA_EXCEEDED);
        assert_eq!(&encode(&quota, Version::V5)[..], [0xE0, 0x01, 0x97]);
        let refused = Packet::conn_ack(false, ReasonCode::NOT_AUTHORIZED);
        assert_eq!(&encode(&refused, v3)[..], [0x20, 0x02, 0x00, 0x05]);
        assert_eq!(
            &encode(&Packet::pub_ack(pid), v3)[..],
            [0x40, 0x02, 0x00, 0x07]
        );
        assert_eq!(
            &encode(&Packet::pub_rec(pid), v3)[..],
            [0x50, 0x02, 0x00, 0x07]
        );
        assert_eq!(
            &encode(&Packet::pub_rel(pid), v3)[..],
            [0x62, 0x02, 0x00, 0x07]
        );
        assert_eq!(
            &encode(&Packet::pub_comp(pid), v3)[..],
            [0x70, 0x02, 0x00, 0x07]
        );
    }
}
