//! Rules that depend on who sent the packet, checked when the decoder is told
//! (`Decoder::receiving_from`).

use bytes::BytesMut;
use mqtt_wire::{DecodeError, Decoder, PacketType, ReasonCode, Side, Version};

fn decode(from: Side, version: Version, bytes: &[u8]) -> Result<(), DecodeError> {
    let mut decoder = Decoder::new(version).receiving_from(from);
    let mut buf = BytesMut::from(bytes);
    decoder
        .decode(&mut buf)
        .map(|p| assert!(p.is_some(), "whole packet"))
}

#[test]
fn packets_each_side_never_sends_table_2_1() {
    // §2.1.2 Table 2-1: CONNACK, SUBACK, UNSUBACK and PINGRESP go from server to client;
    // CONNECT, SUBSCRIBE, UNSUBSCRIBE and PINGREQ from client to server.
    let server_only: [(&[u8], PacketType); 4] = [
        (&[0x20, 0x02, 0x00, 0x00], PacketType::ConnAck),
        (&[0x90, 0x03, 0x00, 0x01, 0x00], PacketType::SubAck),
        (&[0xB0, 0x02, 0x00, 0x01], PacketType::UnsubAck),
        (&[0xD0, 0x00], PacketType::PingResp),
    ];
    for (bytes, packet) in server_only {
        let err = decode(Side::Client, Version::V3_1_1, bytes).unwrap_err();
        assert_eq!(
            err,
            DecodeError::WrongDirection {
                packet,
                from: Side::Client
            }
        );
        assert_eq!(err.reason_code(), ReasonCode::PROTOCOL_ERROR);
        decode(Side::Server, Version::V3_1_1, bytes).unwrap();
    }
    let client_only: [(&[u8], PacketType); 3] = [
        (
            &[0x82, 0x06, 0x00, 0x01, 0x00, 0x01, b'a', 0x00],
            PacketType::Subscribe,
        ),
        (
            &[0xA2, 0x05, 0x00, 0x01, 0x00, 0x01, b'a'],
            PacketType::Unsubscribe,
        ),
        (&[0xC0, 0x00], PacketType::PingReq),
    ];
    for (bytes, packet) in client_only {
        let err = decode(Side::Server, Version::V3_1_1, bytes).unwrap_err();
        assert_eq!(
            err,
            DecodeError::WrongDirection {
                packet,
                from: Side::Server
            }
        );
        decode(Side::Client, Version::V3_1_1, bytes).unwrap();
    }
    let connect = b"\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00";
    assert!(matches!(
        decode(Side::Server, Version::V3_1_1, connect),
        Err(DecodeError::WrongDirection {
            packet: PacketType::Connect,
            ..
        })
    ));
    decode(Side::Client, Version::V3_1_1, connect).unwrap();
}

#[test]
fn disconnect_from_server_only_on_5_0() {
    // §3.14 (3.1.1): DISCONNECT is sent by the client only; 5.0 lets either side send it.
    assert!(matches!(
        decode(Side::Server, Version::V3_1_1, &[0xE0, 0x00]),
        Err(DecodeError::WrongDirection {
            packet: PacketType::Disconnect,
            ..
        })
    ));
    decode(Side::Server, Version::V5, &[0xE0, 0x00]).unwrap();
    decode(Side::Client, Version::V3_1_1, &[0xE0, 0x00]).unwrap();
}

#[test]
fn subscription_identifier_never_from_client_mqtt_3_3_4_6() {
    // PUBLISH a/b, QoS 0, properties: Subscription Identifier 5.
    let publish = [0x30, 0x08, 0x00, 0x03, b'a', b'/', b'b', 0x02, 0x0B, 0x05];
    assert_eq!(
        decode(Side::Client, Version::V5, &publish),
        Err(DecodeError::SubscriptionIdentifierFromClient)
    );
    decode(Side::Server, Version::V5, &publish).unwrap();
}

#[test]
fn session_expiry_never_in_server_disconnect_mqtt_3_14_2_2() {
    // DISCONNECT, reason 0x00, properties: Session Expiry Interval 10.
    let disconnect = [0xE0, 0x07, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x0A];
    assert_eq!(
        decode(Side::Server, Version::V5, &disconnect),
        Err(DecodeError::SessionExpiryFromServer)
    );
    decode(Side::Client, Version::V5, &disconnect).unwrap();
}

#[test]
fn without_a_side_nothing_direction_dependent_is_checked() {
    let mut decoder = Decoder::new(Version::V3_1_1);
    let mut buf = BytesMut::from(&[0x20, 0x02, 0x00, 0x00, 0xC0, 0x00][..]);
    assert!(decoder.decode(&mut buf).unwrap().is_some());
    assert!(decoder.decode(&mut buf).unwrap().is_some());
}

#[test]
fn decode_from_uses_the_decoder_settings() {
    let mut decoder = Decoder::new(Version::V3_1_1)
        .receiving_from(Side::Client)
        .with_max_packet_size(3);
    let bytes: &[u8] = &[0xC0, 0x00, 0x30, 0x02, 0x00, 0x01];
    let (_, used) = decoder.decode_from(&bytes).unwrap().unwrap();
    assert_eq!(used, 2);
    assert_eq!(
        decoder.decode_from(&&bytes[2..]),
        Err(DecodeError::PacketTooLarge { size: 4, max: 3 })
    );
    assert!(matches!(
        decoder.decode_from(&&[0xD0u8, 0x00][..]),
        Err(DecodeError::WrongDirection { .. })
    ));
}
