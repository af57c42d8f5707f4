//! The version a packet is decoded with: a CONNECT is framed and parsed by the version it
//! announces, whatever version the decoder started with, and a decoder adopts the version of
//! the first CONNECT it decodes.

use bytes::{Bytes, BytesMut};
use mqtt_wire::{DecodeError, Decoder, Packet, ReasonCode, Version, decode, decode_slice};

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
