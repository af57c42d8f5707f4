//! The version a packet is decoded with: a CONNECT is framed and parsed by the version it
//! announces, whatever version the decoder started with, and a decoder adopts the version of
//! the first CONNECT it decodes.

use bytes::{Bytes, BytesMut};
use mqtt_wire::{
    DecodeError, Decoder, Packet, PacketType, ReasonCode, Side, Version, decode, decode_slice,
};

const VERSIONS: [Version; 3] = [Version::V3_1, Version::V3_1_1, Version::V5];

/// A 5.0 CONNECT (client id "c1") with its remaining length, 15, written in two bytes.
const CONNECT_5_0_NON_MINIMAL: &[u8] = &[
    0x10, 0x8F, 0x00, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0x02, 0x00, 0x3C, 0x00, 0x00, 0x02,
    b'c', b'1',
];

/// A 3.1.1 CONNECT (client id "c1") with its remaining length, 14, written in two bytes.
const CONNECT_3_1_1_NON_MINIMAL: &[u8] = &[
    0x10, 0x8E, 0x00, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x02, b'c',
    b'1',
];

fn stream_decode(decoder: &mut Decoder, bytes: &[u8]) -> Result<Packet, DecodeError> {
    let mut buf = BytesMut::from(bytes);
    let packet = decoder.decode(&mut buf)?.expect("a whole packet");
    assert!(buf.is_empty(), "the whole frame is consumed");
    Ok(packet)
}

#[test]
fn connect_5_0_with_non_minimal_length_refused_by_every_start_version_mqtt_1_5_5_1() {
    for start in VERSIONS {
        let err = stream_decode(&mut Decoder::new(start), CONNECT_5_0_NON_MINIMAL).unwrap_err();
        assert_eq!(
            err,
            DecodeError::NonMinimalVarint,
            "Decoder started at {start}"
        );
        assert_eq!(err.reason_code(), ReasonCode::MALFORMED_PACKET);
        assert_eq!(
            decode_slice(CONNECT_5_0_NON_MINIMAL, start, u32::MAX),
            Err(DecodeError::NonMinimalVarint),
            "decode_slice at {start}"
        );
        let bytes = Bytes::from_static(CONNECT_5_0_NON_MINIMAL);
        assert_eq!(
            decode(&bytes, start, u32::MAX),
            Err(DecodeError::NonMinimalVarint),
            "decode at {start}"
        );
    }
}

#[test]
fn connect_3_1_1_with_non_minimal_length_accepted_by_every_start_version() {
    for start in VERSIONS {
        let mut decoder = Decoder::new(start);
        let packet = stream_decode(&mut decoder, CONNECT_3_1_1_NON_MINIMAL)
            .unwrap_or_else(|e| panic!("Decoder started at {start}: {e:?}"));
        let Packet::Connect(connect) = &packet else {
            panic!("{packet:?}")
        };
        assert_eq!(connect.protocol, Version::V3_1_1);
        assert_eq!(decoder.version(), Version::V3_1_1);
        let (again, used) = decode_slice(CONNECT_3_1_1_NON_MINIMAL, start, u32::MAX)
            .unwrap()
            .unwrap();
        assert_eq!(used, CONNECT_3_1_1_NON_MINIMAL.len());
        assert!(matches!(again, Packet::Connect(c) if c.protocol == Version::V3_1_1));
        let bytes = Bytes::from_static(CONNECT_3_1_1_NON_MINIMAL);
        assert_eq!(decode(&bytes, start, u32::MAX), Ok(Some((packet, used))));
    }
}

#[test]
fn stream_started_at_5_0_follows_a_3_1_1_connect_with_lenient_framing() {
    // A broker's decoder started at 5.0: a 3.1.1 client sends a CONNECT and then a PINGREQ,
    // both with a non-minimal remaining length (legal on 3.1.1), in chunks of 3 bytes.
    let mut stream = CONNECT_3_1_1_NON_MINIMAL.to_vec();
    stream.extend_from_slice(&[0xC0, 0x80, 0x00]);
    let mut decoder = Decoder::new(Version::V5);
    let mut buf = BytesMut::new();
    let mut packets = Vec::new();
    for chunk in stream.chunks(3) {
        buf.extend_from_slice(chunk);
        while let Some(packet) = decoder.decode(&mut buf).unwrap() {
            packets.push(packet.packet_type());
        }
    }
    assert!(buf.is_empty());
    assert_eq!(
        packets,
        [
            mqtt_wire::PacketType::Connect,
            mqtt_wire::PacketType::PingReq
        ]
    );
}

#[test]
fn stream_started_at_3_1_1_refuses_a_5_0_connect_with_lenient_framing_mqtt_1_5_5_1() {
    let mut decoder = Decoder::new(Version::V3_1_1);
    let mut buf = BytesMut::new();
    let mut result = Ok(None);
    for chunk in CONNECT_5_0_NON_MINIMAL.chunks(2) {
        buf.extend_from_slice(chunk);
        result = decoder.decode(&mut buf);
        if result != Ok(None) {
            break;
        }
    }
    assert_eq!(result, Err(DecodeError::NonMinimalVarint));
    // The frame is consumed (the error came from the CONNECT's body) and the decoder did not
    // adopt the refused CONNECT's version.
    assert!(buf.is_empty());
    assert_eq!(decoder.version(), Version::V3_1_1);
}

/// A 5.0 CONNECT (client id "c1") in its shortest form.
const CONNECT_5_0: &[u8] = &[
    0x10, 0x0F, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0x02, 0x00, 0x3C, 0x00, 0x00, 0x02, b'c',
    b'1',
];

/// A 3.1.1 CONNECT (client id "c1") in its shortest form.
const CONNECT_3_1_1: &[u8] = &[
    0x10, 0x0E, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x02, b'c', b'1',
];

#[test]
fn only_the_first_connect_switches_the_version_mqtt_3_1_0_2() {
    for decoder in [
        Decoder::new(Version::V3_1_1),
        Decoder::new(Version::V3_1_1).receiving_from(Side::Client),
    ] {
        let mut decoder = decoder;
        assert_eq!(decoder.connect_version(), None);
        stream_decode(&mut decoder, CONNECT_5_0).unwrap();
        assert_eq!(decoder.version(), Version::V5);
        assert_eq!(decoder.connect_version(), Some(Version::V5));
        // A second CONNECT is a protocol error for the session to act on ([MQTT-3.1.0-2]): the
        // codec returns it as decoded and keeps the version of the first.
        let second = stream_decode(&mut decoder, CONNECT_3_1_1).unwrap();
        assert!(matches!(second, Packet::Connect(c) if c.protocol == Version::V3_1_1));
        assert_eq!(decoder.version(), Version::V5);
        assert_eq!(decoder.connect_version(), Some(Version::V5));
        // The same through `decode_from`.
        let (again, _) = decoder
            .decode_from(&CONNECT_3_1_1)
            .unwrap()
            .expect("whole packet");
        assert!(matches!(again, Packet::Connect(_)));
        assert_eq!(decoder.version(), Version::V5);
    }
}

#[test]
fn first_connect_through_decode_from_switches_the_version() {
    let mut decoder = Decoder::new(Version::V5);
    let (packet, used) = decoder.decode_from(&CONNECT_3_1_1).unwrap().unwrap();
    assert!(matches!(packet, Packet::Connect(_)));
    assert_eq!(used, CONNECT_3_1_1.len());
    assert_eq!(decoder.version(), Version::V3_1_1);
    assert_eq!(decoder.connect_version(), Some(Version::V3_1_1));
}

#[test]
fn decoder_receiving_from_the_server_never_switches() {
    let mut decoder = Decoder::new(Version::V5).receiving_from(Side::Server);
    let err = stream_decode(&mut decoder, CONNECT_3_1_1).unwrap_err();
    assert_eq!(
        err,
        DecodeError::WrongDirection {
            packet: PacketType::Connect,
            from: Side::Server
        }
    );
    assert_eq!(decoder.version(), Version::V5);
    assert_eq!(decoder.connect_version(), None);
}

#[test]
fn refused_connect_does_not_switch_the_version() {
    // A 3.1.1 CONNECT with the reserved flag set ([MQTT-3.1.2-3]).
    let mut bytes = CONNECT_3_1_1.to_vec();
    bytes[9] |= 0x01;
    let mut decoder = Decoder::new(Version::V5);
    let err = stream_decode(&mut decoder, &bytes).unwrap_err();
    assert_eq!(err, DecodeError::ConnectReservedFlag);
    assert_eq!(decoder.version(), Version::V5);
    assert_eq!(decoder.connect_version(), None);
}

#[test]
fn set_version_leaves_the_reported_connect_version() {
    let mut decoder = Decoder::new(Version::V5);
    stream_decode(&mut decoder, CONNECT_3_1_1).unwrap();
    decoder.set_version(Version::V5);
    assert_eq!(decoder.version(), Version::V5);
    assert_eq!(decoder.connect_version(), Some(Version::V3_1_1));
}

#[test]
fn connack_refusing_the_version_in_3_1_1_layout_is_recognised_by_a_5_0_client() {
    // A 3.1.1-only server answers a 5.0 CONNECT with return code 1 (3.1.1 [MQTT-3.1.2-2]).
    let refusal = [0x20, 0x02, 0x00, 0x01];
    let mut decoder = Decoder::new(Version::V5).receiving_from(Side::Server);
    let err = stream_decode(&mut decoder, &refusal).unwrap_err();
    assert_eq!(err, DecodeError::UnacceptableProtocolVersion);
    assert_eq!(err.reason_code(), ReasonCode::UNSUPPORTED_PROTOCOL_VERSION);
    assert_eq!(
        decode_slice(&refusal, Version::V5, u32::MAX),
        Err(DecodeError::UnacceptableProtocolVersion)
    );
    // The same bytes on 3.1.1 are a valid refusal, mapped to the 5.0 code of that meaning.
    let (packet, _) = decode_slice(&refusal, Version::V3_1_1, u32::MAX)
        .unwrap()
        .unwrap();
    let Packet::ConnAck(connack) = packet else {
        panic!("{packet:?}")
    };
    assert_eq!(
        connack.reason_code,
        ReasonCode::UNSUPPORTED_PROTOCOL_VERSION
    );
    // A 5.0-layout CONNACK with code 0x01 is only an invalid reason code ([MQTT-3.2.2-8]).
    assert!(matches!(
        decode_slice(&[0x20, 0x03, 0x00, 0x01, 0x00], Version::V5, u32::MAX),
        Err(DecodeError::InvalidReasonCode { .. })
    ));
}
