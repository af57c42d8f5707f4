//! Rules that depend on who sent the packet, checked when the decoder is told
//! (`Decoder::receiving_from`).

use bytes::{Bytes, BytesMut};
use mqtt_wire::{
    DecodeError, Decoder, EncodeError, Encoder, Packet, PacketType, ReasonCode, Side, Version,
};

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

// ---- the encoder told its side refuses what the peer's sided decoder refuses ----

/// One packet of each type, in the wire form of `version`, plus the sender-dependent cases:
/// a PUBLISH with a Subscription Identifier and a DISCONNECT with a Session Expiry Interval.
fn samples(version: Version) -> Vec<&'static [u8]> {
    if version.is_v5() {
        vec![
            b"\x10\x0f\x00\x04MQTT\x05\x02\x00\x3c\x00\x00\x02c1", // CONNECT
            &[0x20, 0x03, 0x00, 0x00, 0x00],                       // CONNACK
            &[0x30, 0x05, 0x00, 0x01, b'a', 0x00, b'h'],           // PUBLISH
            &[0x30, 0x07, 0x00, 0x01, b'a', 0x02, 0x0B, 0x09, b'h'], // PUBLISH, sub id 9
            &[0x40, 0x02, 0x00, 0x01],                             // PUBACK
            &[0x50, 0x02, 0x00, 0x01],                             // PUBREC
            &[0x62, 0x02, 0x00, 0x01],                             // PUBREL
            &[0x70, 0x02, 0x00, 0x01],                             // PUBCOMP
            &[0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, b'a', 0x00], // SUBSCRIBE
            &[0x90, 0x04, 0x00, 0x01, 0x00, 0x00],                 // SUBACK
            &[0xA2, 0x06, 0x00, 0x01, 0x00, 0x00, 0x01, b'a'],     // UNSUBSCRIBE
            &[0xB0, 0x04, 0x00, 0x01, 0x00, 0x00],                 // UNSUBACK
            &[0xC0, 0x00],                                         // PINGREQ
            &[0xD0, 0x00],                                         // PINGRESP
            &[0xE0, 0x00],                                         // DISCONNECT
            &[0xE0, 0x07, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x0A], // DISCONNECT, expiry 10
            &[0xF0, 0x00],                                         // AUTH
        ]
    } else {
        vec![
            b"\x10\x0e\x00\x04MQTT\x04\x02\x00\x3c\x00\x02c1", // CONNECT
            &[0x20, 0x02, 0x00, 0x00],                         // CONNACK
            &[0x30, 0x04, 0x00, 0x01, b'a', b'h'],             // PUBLISH
            &[0x40, 0x02, 0x00, 0x01],                         // PUBACK
            &[0x50, 0x02, 0x00, 0x01],                         // PUBREC
            &[0x62, 0x02, 0x00, 0x01],                         // PUBREL
            &[0x70, 0x02, 0x00, 0x01],                         // PUBCOMP
            &[0x82, 0x06, 0x00, 0x01, 0x00, 0x01, b'a', 0x00], // SUBSCRIBE
            &[0x90, 0x03, 0x00, 0x01, 0x00],                   // SUBACK
            &[0xA2, 0x05, 0x00, 0x01, 0x00, 0x01, b'a'],       // UNSUBSCRIBE
            &[0xB0, 0x02, 0x00, 0x01],                         // UNSUBACK
            &[0xC0, 0x00],                                     // PINGREQ
            &[0xD0, 0x00],                                     // PINGRESP
            &[0xE0, 0x00],                                     // DISCONNECT
        ]
    }
}

#[test]
fn sided_encoder_refuses_exactly_what_the_peers_sided_decoder_refuses() {
    let mut refusals = 0;
    for version in [Version::V3_1_1, Version::V5] {
        for bytes in samples(version) {
            let packet = owned(bytes, version);
            for side in [Side::Client, Side::Server] {
                let decoded = Decoder::new(version)
                    .receiving_from(side)
                    .decode_from(&bytes);
                let mut buf = BytesMut::new();
                let encoded = Encoder::new(version)
                    .sending_as(side)
                    .encode(&packet, &mut buf);
                match (&decoded, &encoded) {
                    (Ok(_), Ok(n)) => assert_eq!(&buf[..*n], bytes, "{version} {side}"),
                    // The same rule, under the same variant name and fields.
                    (Err(d), Err(e)) => {
                        assert_eq!(format!("{d:?}"), format!("{e:?}"), "{version} {side}");
                        assert!(buf.is_empty(), "nothing written on error");
                        refusals += 1;
                    }
                    _ => panic!("{version} {side} {bytes:02x?}: {decoded:?} vs {encoded:?}"),
                }
                // Without a side the encoder writes every sample.
                let mut buf = BytesMut::new();
                Encoder::new(version).encode(&packet, &mut buf).unwrap();
                assert_eq!(&buf[..], bytes);
            }
        }
    }
    // 3.1.1: 4 + 4 types each way, DISCONNECT from the server; 5.0: the same 8 (+ AUTH none),
    // the Subscription Identifier and the Session Expiry Interval.
    assert_eq!(refusals, 9 + 10);
}

/// The packet `bytes` hold, decoded without a side.
fn owned(bytes: &'static [u8], version: Version) -> Packet {
    let (packet, _) = mqtt_wire::decode(&Bytes::from_static(bytes), version, u32::MAX)
        .unwrap()
        .unwrap();
    packet
}

fn encode_as(side: Side, version: Version, bytes: &'static [u8]) -> Result<usize, EncodeError> {
    let packet = owned(bytes, version);
    let mut buf = BytesMut::new();
    let result = Encoder::new(version)
        .sending_as(side)
        .encode(&packet, &mut buf);
    if result.is_err() {
        assert!(buf.is_empty(), "nothing written on error");
    }
    result
}

#[test]
fn encoder_as_client_refuses_subscription_identifier_mqtt_3_3_4_6() {
    let publish: &[u8] = &[0x30, 0x07, 0x00, 0x01, b'a', 0x02, 0x0B, 0x09, b'h'];
    assert_eq!(
        encode_as(Side::Client, Version::V5, publish),
        Err(EncodeError::SubscriptionIdentifierFromClient)
    );
    assert_eq!(
        encode_as(Side::Server, Version::V5, publish),
        Ok(publish.len())
    );
}

#[test]
fn encoder_as_server_refuses_session_expiry_in_disconnect_mqtt_3_14_2_2() {
    let disconnect: &[u8] = &[0xE0, 0x07, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x0A];
    assert_eq!(
        encode_as(Side::Server, Version::V5, disconnect),
        Err(EncodeError::SessionExpiryFromServer)
    );
    assert_eq!(
        encode_as(Side::Client, Version::V5, disconnect),
        Ok(disconnect.len())
    );
}

#[test]
fn encoder_as_server_refuses_disconnect_on_3_1_1_only() {
    // §3.14 (3.1.1): only the client sends DISCONNECT; 5.0 lets the server send it too.
    let server = Encoder::new(Version::V3_1_1).sending_as(Side::Server);
    let mut buf = BytesMut::new();
    assert_eq!(
        server.encode(&Packet::disconnect(), &mut buf),
        Err(EncodeError::WrongDirection {
            packet: PacketType::Disconnect,
            from: Side::Server
        })
    );
    let mut server = server;
    server.set_version(Version::V5);
    assert_eq!(server.encode(&Packet::disconnect(), &mut buf), Ok(2));
}

#[test]
fn encoder_refuses_packet_types_its_side_never_sends_table_2_1() {
    let mut client = Encoder::new(Version::V5).sending_as(Side::Client);
    let mut buf = BytesMut::new();
    for packet in [
        Packet::conn_ack(false, mqtt_wire::ReasonCode::SUCCESS),
        Packet::ping_resp(),
    ] {
        assert_eq!(
            client.encode(&packet, &mut buf),
            Err(EncodeError::WrongDirection {
                packet: packet.packet_type(),
                from: Side::Client
            })
        );
    }
    assert_eq!(client.encode(&Packet::ping_req(), &mut buf), Ok(2));
    client.set_sending_as(Some(Side::Server));
    assert_eq!(client.side(), Some(Side::Server));
    assert!(client.encode(&Packet::ping_req(), &mut buf).is_err());
    client.set_sending_as(None);
    assert_eq!(client.encode(&Packet::ping_req(), &mut buf), Ok(2));
}

#[test]
fn setters_change_a_live_decoder_and_encoder() {
    let mut decoder = Decoder::new(Version::V3_1_1);
    let mut buf = BytesMut::from(&[0x20, 0x02, 0x00, 0x00][..]);
    decoder.set_max_packet_size(3);
    assert_eq!(decoder.max_packet_size(), 3);
    assert_eq!(
        decoder.decode(&mut buf),
        Err(DecodeError::PacketTooLarge { size: 4, max: 3 })
    );
    decoder.set_max_packet_size(4);
    decoder.set_receiving_from(Some(Side::Client));
    assert_eq!(decoder.sender(), Some(Side::Client));
    assert!(matches!(
        decoder.decode(&mut buf),
        Err(DecodeError::WrongDirection { .. })
    ));
    let mut buf = BytesMut::from(&[0x20, 0x02, 0x00, 0x00][..]);
    decoder.set_receiving_from(None);
    assert!(decoder.decode(&mut buf).unwrap().is_some());

    let mut encoder = Encoder::new(Version::V3_1_1);
    let mut out = BytesMut::new();
    encoder.set_max_packet_size(1);
    assert_eq!(encoder.max_packet_size(), 1);
    assert_eq!(
        encoder.encode(&Packet::ping_req(), &mut out),
        Err(EncodeError::PacketTooLarge { size: 2, max: 1 })
    );
    encoder.set_max_packet_size(3);
    encoder.set_version(Version::V5);
    assert_eq!(encoder.version(), Version::V5);
    assert_eq!(
        encoder.encode(
            &Packet::disconnect_with(mqtt_wire::ReasonCode(0x04)),
            &mut out
        ),
        Ok(3)
    );
    assert_eq!(&out[..], [0xE0, 0x01, 0x04]);
}

#[test]
fn decoder_encoder_and_errors_are_copy() {
    fn copy<T: Copy>(t: T) -> (T, T) {
        (t, t)
    }
    let (a, b) = copy(Decoder::new(Version::V5).receiving_from(Side::Server));
    assert_eq!(a, b);
    let (a, b) = copy(Encoder::new(Version::V5).sending_as(Side::Client));
    assert_eq!(a, b);
    let (a, b) = copy(DecodeError::NonMinimalVarint);
    assert_eq!(a, b);
}
