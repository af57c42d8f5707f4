//! Property tests of the codec over generated valid packets of every type and version.
//!
//! - Round trip: `decode(encode(p)) == p` with `decode_slice` and with the streaming `Decoder`;
//!   the bytes consumed equal the bytes written, `encoded_len` equals the bytes written, and
//!   encode → decode → encode reproduces the same bytes (the encoding is canonical).
//! - Framing: every strict prefix of a packet is `Ok(None)`; trailing bytes are left alone; the
//!   maximum packet size is exact.
//! - Streaming: several packets fed one byte at a time, split in two at every position, or cut
//!   into random chunks decode to the same packets as the whole buffer, and `Ok(None)` never
//!   consumes a byte.
//! - Versions: anything only 5.0 can carry is an `EncodeError::NotInVersion` on 3.1 and 3.1.1,
//!   with nothing written.

mod common;

use bytes::BytesMut;
use common::strategies::{
    self, PACKET_TYPES, packet_stream, reason_table_v5, v5_only_packet, versioned,
};
use mqtt_wire::{
    DecodeError, Decoder, EncodeError, Encoder, Packet, PacketType, ReasonCode, Version,
    decode_slice,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// Cases per property. Every property runs on every packet type, so the file stays at a few
/// seconds in debug builds.
const CASES: u32 = 256;

/// Cases for PUBLISH with payloads large enough for a 3-byte remaining length.
const LARGE_CASES: u32 = 16;

fn fail(what: &str, detail: impl core::fmt::Debug) -> TestCaseError {
    TestCaseError::fail(format!("{what}: {detail:?}"))
}

/// Encodes `packet`, checking the size it reports against the buffer and `encoded_len`.
fn encode(version: Version, packet: &Packet) -> Result<BytesMut, TestCaseError> {
    let mut buf = BytesMut::new();
    let written = packet
        .encode(version, &mut buf)
        .map_err(|e| fail("encode refused a valid packet", e))?;
    prop_assert_eq!(written, buf.len(), "encode reports the bytes it wrote");
    prop_assert_eq!(
        packet.encoded_len(version),
        Ok(written),
        "encoded_len equals the bytes written"
    );
    Ok(buf)
}

/// Every check on one packet, for `round_trip_*`.
fn check_round_trip(version: Version, packet: &Packet) -> Result<(), TestCaseError> {
    let bytes = encode(version, packet)?;
    let n = bytes.len();

    // The Encoder writes the same bytes, appending to what the buffer holds.
    let mut appended = BytesMut::from(&b"xyz"[..]);
    let written = Encoder::new(version)
        .encode(packet, &mut appended)
        .map_err(|e| fail("Encoder refused a valid packet", e))?;
    prop_assert_eq!(written, n);
    prop_assert_eq!(&appended[..3], b"xyz");
    prop_assert_eq!(&appended[3..], &bytes[..]);

    // decode_slice: the same packet, borrowing, every byte consumed.
    let (borrowed, used) = decode_slice(&bytes, version, u32::MAX)
        .map_err(|e| fail("decode_slice refused an encoded packet", e))?
        .ok_or_else(|| fail("decode_slice wants more bytes", n))?;
    prop_assert_eq!(used, n, "decode_slice consumes exactly the packet");
    let owned = borrowed
        .to_owned_packet(version)
        .map_err(|e| fail("a decoded borrowed packet does not convert to owned", e))?;
    prop_assert_eq!(&owned, packet);

    // The borrowed packet encodes to the same bytes.
    let mut again = BytesMut::new();
    let written = borrowed
        .encode(version, &mut again)
        .map_err(|e| fail("a decoded borrowed packet does not encode", e))?;
    prop_assert_eq!(written, n);
    prop_assert_eq!(&again[..], &bytes[..], "encode(decode(bytes)) == bytes");

    // Trailing bytes (a PINGREQ) are not consumed.
    let mut followed = bytes.to_vec();
    followed.extend_from_slice(&[0xC0, 0x00]);
    let (first, used) = decode_slice(&followed, version, u32::MAX)
        .map_err(|e| fail("decode_slice with trailing bytes", e))?
        .ok_or_else(|| fail("decode_slice with trailing bytes wants more", n))?;
    prop_assert_eq!(used, n);
    prop_assert_eq!(&first, &borrowed);

    // Every strict prefix is incomplete, never an error.
    for len in 0..n {
        prop_assert_eq!(
            decode_slice(&bytes[..len], version, u32::MAX),
            Ok(None),
            "prefix of {} bytes out of {}",
            len,
            n
        );
    }

    // The size limit counts the whole packet.
    let at_limit = decode_slice(&bytes, version, n as u32);
    let fits = matches!(at_limit, Ok(Some((_, used))) if used == n);
    prop_assert!(fits, "a packet of exactly the limit: {:?}", at_limit);
    let over_limit = decode_slice(&bytes, version, n as u32 - 1);
    let refused = matches!(over_limit, Err(DecodeError::PacketTooLarge { .. }));
    prop_assert!(
        refused,
        "a packet one byte over the limit: {:?}",
        over_limit
    );
    let encoded = Encoder::new(version)
        .with_max_packet_size(n as u32 - 1)
        .encode(packet, &mut BytesMut::new());
    let refused = matches!(encoded, Err(EncodeError::PacketTooLarge { .. }));
    prop_assert!(refused, "encoding one byte over the limit: {:?}", encoded);

    // The streaming decoder: the same packet, the buffer drained, bytes shared.
    let mut buf = bytes.clone();
    let mut decoder = Decoder::new(version);
    let decoded = decoder
        .decode(&mut buf)
        .map_err(|e| fail("Decoder refused an encoded packet", e))?
        .ok_or_else(|| fail("Decoder wants more bytes", n))?;
    prop_assert_eq!(&decoded, packet);
    prop_assert!(buf.is_empty(), "Decoder consumes exactly the packet");
    prop_assert_eq!(decoder.version(), version);
    prop_assert_eq!(&encode(version, &decoded)?[..], &bytes[..]);
    Ok(())
}

/// Decodes everything `buf` holds; checks that `Ok(None)` leaves `buf` as it was.
fn drain(
    decoder: &mut Decoder,
    buf: &mut BytesMut,
    out: &mut Vec<Packet>,
) -> Result<(), TestCaseError> {
    loop {
        let before = buf.clone();
        let ptr = buf.as_ptr();
        match decoder.decode(buf) {
            Ok(Some(packet)) => out.push(packet),
            Ok(None) => {
                prop_assert_eq!(&buf[..], &before[..], "Ok(None) consumed bytes");
                prop_assert_eq!(buf.as_ptr(), ptr, "Ok(None) moved the buffer");
                return Ok(());
            }
            Err(e) => return Err(fail("Decoder refused a stream of valid packets", e)),
        }
    }
}

/// Feeds `chunks` to a fresh decoder one after the other and returns every packet decoded.
fn decode_chunks<'a>(
    version: Version,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<Packet>, TestCaseError> {
    let mut decoder = Decoder::new(version);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        drain(&mut decoder, &mut buf, &mut out)?;
    }
    prop_assert!(buf.is_empty(), "{} bytes left over", buf.len());
    Ok(out)
}

fn encode_all(version: Version, packets: &[Packet]) -> Result<Vec<u8>, TestCaseError> {
    let mut bytes = Vec::new();
    for packet in packets {
        bytes.extend_from_slice(&encode(version, packet)?);
    }
    Ok(bytes)
}

macro_rules! round_trip {
    ($($name:ident: $kind:ident,)*) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(CASES))]
            $(
                #[test]
                fn $name((version, packet) in versioned(PacketType::$kind)) {
                    check_round_trip(version, &packet)?;
                }
            )*
        }
    };
}

round_trip! {
    round_trip_connect: Connect,
    round_trip_connack: ConnAck,
    round_trip_publish: Publish,
    round_trip_puback: PubAck,
    round_trip_pubrec: PubRec,
    round_trip_pubrel: PubRel,
    round_trip_pubcomp: PubComp,
    round_trip_subscribe: Subscribe,
    round_trip_suback: SubAck,
    round_trip_unsubscribe: Unsubscribe,
    round_trip_unsuback: UnsubAck,
    round_trip_pingreq: PingReq,
    round_trip_pingresp: PingResp,
    round_trip_disconnect: Disconnect,
    round_trip_auth: Auth,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(LARGE_CASES))]

    /// PUBLISH whose remaining length takes 3 bytes (16,384 to 2,097,151).
    #[test]
    fn round_trip_large_publish(
        (version, packet) in versioned(PacketType::Publish),
        payload in proptest::collection::vec(any::<u8>(), 16_384..20_000),
    ) {
        let Packet::Publish(mut publish) = packet else {
            unreachable!("versioned(Publish) gives PUBLISH")
        };
        publish.payload = payload.into();
        let packet = Packet::Publish(publish);
        let bytes = encode(version, &packet)?;
        prop_assert!(bytes[1] & 0x80 != 0 && bytes[2] & 0x80 != 0 && bytes[3] & 0x80 == 0);
        check_round_trip(version, &packet)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// One byte at a time, and every split into two chunks, give the whole-buffer result.
    #[test]
    fn stream_split_anywhere((version, packets) in packet_stream(6)) {
        let bytes = encode_all(version, &packets)?;
        let whole = decode_chunks(version, [&bytes[..]])?;
        prop_assert_eq!(&whole, &packets);

        let bytewise = decode_chunks(version, bytes.chunks(1))?;
        prop_assert_eq!(&bytewise, &packets);

        for at in 0..=bytes.len() {
            let (head, tail) = bytes.split_at(at);
            let split = decode_chunks(version, [head, tail])?;
            prop_assert_eq!(&split, &packets, "split at {}", at);
        }

        // decode_slice walking the same buffer agrees.
        let mut offset = 0;
        let mut sliced = Vec::new();
        while offset < bytes.len() {
            let (packet, used) = decode_slice(&bytes[offset..], version, u32::MAX)
                .map_err(|e| fail("decode_slice on a stream", e))?
                .ok_or_else(|| fail("decode_slice wants more bytes", offset))?;
            sliced.push(
                packet
                    .to_owned_packet(version)
                    .map_err(|e| fail("to_owned_packet on a stream", e))?,
            );
            offset += used;
        }
        prop_assert_eq!(&sliced, &packets);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Random chunk sizes give the whole-buffer result.
    #[test]
    fn stream_random_chunks(
        (version, packets) in packet_stream(8),
        sizes in proptest::collection::vec(1usize..48, 1..16),
    ) {
        let bytes = encode_all(version, &packets)?;
        let mut chunks = Vec::new();
        let mut rest = &bytes[..];
        for &size in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (chunk, tail) = rest.split_at(size.min(rest.len()));
            chunks.push(chunk);
            rest = tail;
        }
        let decoded = decode_chunks(version, chunks)?;
        prop_assert_eq!(&decoded, &packets);
    }

    /// A decoder started at any version follows the version a CONNECT announces, whatever the
    /// chunking.
    #[test]
    fn decoder_follows_the_connect_version(
        start in strategies::version(),
        (version, connect, packets) in strategies::version().prop_flat_map(|v| {
            (Just(v), strategies::connect(v), proptest::collection::vec(strategies::packet(v), 0..5))
        }),
        chunk in 1usize..64,
    ) {
        let mut all = vec![Packet::from(connect)];
        all.extend(packets);
        let bytes = encode_all(version, &all)?;
        let mut decoder = Decoder::new(start);
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for piece in bytes.chunks(chunk) {
            buf.extend_from_slice(piece);
            drain(&mut decoder, &mut buf, &mut out)?;
        }
        prop_assert!(buf.is_empty());
        prop_assert_eq!(&out, &all);
        prop_assert_eq!(decoder.version(), version);
    }

    /// What only 5.0 can carry is refused on 3.1 and 3.1.1 with nothing written, and the same
    /// packet encodes on 5.0.
    #[test]
    fn v5_only_is_refused_before_v5((version, packet) in v5_only_packet()) {
        let prefix = b"already here";
        let mut buf = BytesMut::from(&prefix[..]);
        let err = packet
            .encode(version, &mut buf)
            .err()
            .ok_or_else(|| fail("encoded a 5.0-only packet", version))?;
        let not_in_version = matches!(err, EncodeError::NotInVersion { .. });
        prop_assert!(not_in_version, "expected NotInVersion, got {:?}", err);
        prop_assert_eq!(&buf[..], &prefix[..], "a refused packet wrote bytes");
        prop_assert_eq!(packet.encoded_len(version), Err(err.clone()));
        prop_assert_eq!(Encoder::new(version).encode(&packet, &mut buf), Err(err));
        prop_assert_eq!(&buf[..], &prefix[..]);

        let mut v5 = packet.clone();
        if let Packet::Connect(connect) = &mut v5 {
            connect.protocol = Version::V5;
        }
        check_round_trip(Version::V5, &v5)?;
    }
}

/// The reason-code tables the strategies use (copied from the 5.0 standard) agree with
/// `ReasonCode::is_valid_for` on all 256 values, and the 3.1.1 tables with the 3.1.1 helpers.
#[test]
fn reason_code_tables_match_the_standard() {
    for kind in PACKET_TYPES {
        let table = reason_table_v5(kind);
        for code in 0..=255u8 {
            assert_eq!(
                ReasonCode(code).is_valid_for(kind),
                table.contains(&code),
                "{kind} reason code {code:#04x}"
            );
        }
    }
    for code in 0..=255u8 {
        assert_eq!(
            ReasonCode(code).is_valid_v3_suback(),
            strategies::SUBACK_V3.contains(&code),
            "3.1.1 SUBACK code {code:#04x}"
        );
    }
    let mapped: Vec<u8> = (0..=255u8)
        .filter_map(ReasonCode::from_v3_connack)
        .map(|c| c.0)
        .collect();
    assert_eq!(mapped, strategies::CONNACK_V3);
    for (v3, &v5) in strategies::CONNACK_V3.iter().enumerate() {
        assert_eq!(ReasonCode(v5).to_v3_connack(), Some(v3 as u8));
    }
}
