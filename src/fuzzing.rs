//! The bodies of the fuzz targets in `fuzz/`, shared with the regression tests.
//!
//! Each body takes the raw fuzzer input, never fails on what a peer may legitimately send
//! (a [`DecodeError`] is an answer, not a defect) and panics on a defect: a panic inside the
//! codec, a packet that does not survive a round trip, a decoder that consumes more than a frame
//! or reports "need more" for a frame it already holds, chunked decoding that disagrees with
//! whole-buffer decoding, or a variable byte integer that disagrees with the reference.
//!
//! Not a stable API: it exists for `fuzz/` and `tests/fuzz_regressions.rs`.

// A fuzz body reports a defect by panicking (a failed assertion is the finding), and indexes
// frames whose bounds it established itself; this covers `unconstrained` too.
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    reason = "fuzz bodies panic on purpose: a failed assertion is the finding"
)]

pub use crate::arbitrary::{FuzzPacket, packet as arbitrary_packet, version as arbitrary_version};
#[cfg(feature = "broker")]
pub use broker::broker;
pub use client_session::client_session;
pub use server_session::server_session;
#[cfg(feature = "broker")]
pub use session_pair::session_pair;
pub use unconstrained::{EncodeOutcome, RawPacket, encode, encode_outcome};

#[cfg(feature = "broker")]
mod broker;
mod client_session;
mod server_session;
#[cfg(feature = "broker")]
mod session_pair;
mod unconstrained;

use crate::buffer::Buffer;
use crate::codec::header::FixedHeader;
use crate::codec::{Decoder, Encoder, MAX_PACKET_SIZE, decode as decode_one, decode_slice, varint};
use crate::error::{DecodeError, EncodeError};
use crate::packet::Packet;
use crate::types::{Side, Version};
use ::arbitrary::{Arbitrary, Unstructured};
use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};

/// Every protocol version, in the order the `decode` body tries them.
pub const VERSIONS: [Version; 3] = [Version::V3_1, Version::V3_1_1, Version::V5];

// ---- decode ----

/// `decode` target: `data` as received from a peer, decoded with each protocol version through
/// the streaming [`Decoder`] until it needs more bytes or fails.
///
/// Checks every step against a reference framer (the decoder takes exactly one frame, never
/// more than it was given, and never waits for more when the frame is whole), against the
/// stateless [`decode_slice`] (same packets, same errors), checks that every decoded packet
/// re-encodes and decodes again to an equal packet, and that its property sets read back through
/// their accessors and builders unchanged.
pub fn decode(data: &[u8]) {
    for version in VERSIONS {
        decode_as(data, version);
    }
}

fn decode_as(data: &[u8], start: Version) {
    let mut decoder = Decoder::new(start);
    let mut buf = BytesMut::from(data);
    let mut offset = 0;
    loop {
        let version = decoder.version();
        let rest = data.get(offset..).unwrap_or_default();
        let result = checked_decode(&mut decoder, &mut buf);
        let borrowed = decode_slice(rest, version, MAX_PACKET_SIZE);
        match result {
            Ok(None) => {
                assert_eq!(borrowed, Ok(None), "decode_slice disagrees on {rest:02x?}");
                return;
            }
            Err(e) => {
                assert_eq!(
                    borrowed.err(),
                    Some(e),
                    "decode_slice disagrees on {rest:02x?}"
                );
                return;
            }
            Ok(Some(packet)) => {
                let consumed = rest.len() - buf.len();
                let Ok(Some((borrowed, used))) = borrowed else {
                    panic!("decode_slice gave {borrowed:?} where Decoder gave {packet:?}");
                };
                assert_eq!(used, consumed, "decode_slice took another length");
                check_properties(&packet);
                let owned = reencode(&packet, version);
                let shared = reencode(&borrowed, version);
                assert_eq!(owned, shared, "Bytes and &[u8] packets encode differently");
                match borrowed.to_owned_packet(version) {
                    Ok(copy) => assert_eq!(copy, packet, "to_owned_packet changed the packet"),
                    Err(e) => panic!("to_owned_packet refused {packet:?}: {e}"),
                }
                if let Some(bytes) = owned {
                    let (again, used) =
                        match decode_one(&bytes, encode_version(&packet, version), MAX_PACKET_SIZE)
                        {
                            Ok(Some(decoded)) => decoded,
                            other => panic!(
                                "re-encoding {bytes:02x?} of {packet:?} does not decode: {other:?}"
                            ),
                        };
                    assert_eq!(used, bytes.len(), "re-encoding not taken whole");
                    assert_eq!(again, packet, "semantic round trip failed via {bytes:02x?}");
                }
                offset += consumed;
            }
        }
    }
}

/// Every property set of a decoded packet reads back through its accessors, the builder accepts
/// what the decoder accepted, and building changes no value.
fn check_properties<B: Buffer>(packet: &Packet<B>) {
    macro_rules! check {
        ($set:expr) => {{
            let set = &$set;
            let values = set.to_builder();
            let built = values.build().unwrap_or_else(|e| {
                panic!("decoded properties {set:?} refused by the builder: {e}")
            });
            assert_eq!(
                built.to_builder(),
                values,
                "properties changed through the builder"
            );
            assert_eq!(
                set.iter().count() == 0,
                set.is_empty(),
                "iter and is_empty disagree"
            );
            let _ = alloc::format!("{set}");
        }};
    }
    match packet {
        Packet::Connect(c) => {
            check!(c.properties);
            if let Some(will) = &c.will {
                check!(will.properties);
            }
        }
        Packet::ConnAck(c) => check!(c.properties),
        Packet::Publish(p) => check!(p.properties),
        Packet::PubAck(a) | Packet::PubRec(a) | Packet::PubRel(a) | Packet::PubComp(a) => {
            check!(a.properties)
        }
        Packet::Subscribe(s) => check!(s.properties),
        Packet::SubAck(s) => check!(s.properties),
        Packet::Unsubscribe(u) => check!(u.properties),
        Packet::UnsubAck(u) => check!(u.properties),
        Packet::Disconnect(d) => check!(d.properties),
        Packet::Auth(a) => check!(a.properties),
        Packet::PingReq | Packet::PingResp => {}
    }
}

/// The version a decoded packet is encoded with: a CONNECT carries its own.
fn encode_version<B: Buffer>(packet: &Packet<B>, decoded_with: Version) -> Version {
    match packet {
        Packet::Connect(connect) => connect.protocol,
        _ => decoded_with,
    }
}

/// Encodes a decoded packet with the version it was decoded with. `None` only when the encoder
/// legitimately refuses what the decoder legitimately accepted; anything else panics.
fn reencode<B: Buffer>(packet: &Packet<B>, decoded_with: Version) -> Option<Bytes> {
    let version = encode_version(packet, decoded_with);
    let mut out = BytesMut::new();
    match packet.encode(version, &mut out) {
        Ok(n) => {
            assert_eq!(n, out.len(), "encode reported a wrong length");
            assert_eq!(packet.encoded_len(version), Ok(n), "encoded_len disagrees");
            Some(out.freeze())
        }
        Err(e) => {
            assert!(out.is_empty(), "failed encode wrote bytes");
            assert!(
                legitimately_unencodable(packet, &e),
                "decoded packet refused by the encoder ({e}): {packet:?}"
            );
            None
        }
    }
}

/// The one asymmetry between the decoder and the encoder: on 3.1.1 (and 3.1) an empty client
/// identifier with Clean Session 0 is a rule for the client ([MQTT-3.1.3-7]), so the encoder
/// refuses to send it, while the server must receive it and answer CONNACK 0x02 Identifier
/// rejected ([MQTT-3.1.3-8]), so the decoder hands it over.
fn legitimately_unencodable<B: Buffer>(packet: &Packet<B>, e: &EncodeError) -> bool {
    matches!(
        (packet, e),
        (Packet::Connect(c), EncodeError::EmptyClientIdWithoutCleanSession)
            if !c.protocol.is_v5() && c.client_id.is_empty() && !c.clean_start
    )
}

/// What a simple reading of the fixed header says about the start of `buf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// The fixed header is not complete.
    Partial,
    /// The remaining length runs past its fourth byte.
    Malformed,
    /// The fixed header is complete and the whole frame takes this many bytes.
    Len(usize),
}

fn reference_frame(buf: &[u8]) -> Frame {
    if buf.is_empty() {
        return Frame::Partial;
    }
    let mut remaining = 0usize;
    for i in 0..4 {
        let Some(&byte) = buf.get(1 + i) else {
            return Frame::Partial;
        };
        remaining += usize::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            return Frame::Len(1 + (i + 1) + remaining);
        }
    }
    Frame::Malformed
}

/// One [`Decoder::decode`] call, checked against the reference framer:
/// - `Ok(None)`: nothing consumed, and the buffer does not hold a whole frame;
/// - `Ok(Some(_))`: exactly one whole frame consumed, of the type its first byte names;
/// - `Err(_)`: nothing consumed (fixed header errors) or exactly the frame (body errors).
fn checked_decode(
    decoder: &mut Decoder,
    buf: &mut BytesMut,
) -> Result<Option<Packet<Bytes>>, DecodeError> {
    let before = buf.len();
    let frame = reference_frame(buf);
    let first = buf.first().copied();
    let result = decoder.decode(buf);
    let consumed = before
        .checked_sub(buf.len())
        .unwrap_or_else(|| panic!("decoder grew the buffer from {before} to {}", buf.len()));
    match &result {
        Ok(None) => {
            assert_eq!(consumed, 0, "Ok(None) consumed bytes");
            match frame {
                Frame::Partial => {}
                Frame::Len(len) => assert!(
                    len > before,
                    "Ok(None) with a whole frame of {len} bytes in a buffer of {before}"
                ),
                Frame::Malformed => panic!("Ok(None) on a malformed remaining length"),
            }
        }
        Ok(Some(packet)) => {
            assert_eq!(
                frame,
                Frame::Len(consumed),
                "decoded a packet from other than one whole frame"
            );
            assert_eq!(
                first.map(|b| b >> 4),
                Some(packet.packet_type() as u8),
                "packet of another type than its first byte"
            );
        }
        Err(e) => assert!(
            consumed == 0 || frame == Frame::Len(consumed),
            "error {e:?} after consuming {consumed} of {before} bytes ({frame:?})"
        ),
    }
    result
}

// ---- roundtrip ----

/// `roundtrip` target: a [`FuzzPacket`] generated from `data` encodes, its length is what
/// [`Packet::encoded_len`] says, the encoder's size limit is exact, and the bytes decode (owned,
/// borrowed and streaming, byte by byte at the end) to an equal packet. Inputs that do not make
/// a packet are skipped.
pub fn roundtrip(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(FuzzPacket { version, packet }) = FuzzPacket::arbitrary(&mut u) else {
        return;
    };
    let mut out = BytesMut::new();
    let n = packet
        .encode(version, &mut out)
        .unwrap_or_else(|e| panic!("generated packet refused for {version}: {e}: {packet:?}"));
    assert_eq!(n, out.len(), "encode reported a wrong length");
    assert_eq!(packet.encoded_len(version), Ok(n), "encoded_len disagrees");
    let bytes = out.freeze();
    let size = u32::try_from(n).unwrap_or(u32::MAX);

    // The encoder's limit: exactly n fits (appending after what is there), n - 1 does not.
    let mut appended = BytesMut::from(&b"xy"[..]);
    let fits = Encoder::new(version).with_max_packet_size(size);
    assert_eq!(fits.encode(&packet, &mut appended), Ok(n));
    assert_eq!(
        appended.get(2..),
        Some(&bytes[..]),
        "append changed the encoding"
    );
    let mut refused = BytesMut::new();
    let tight = Encoder::new(version).with_max_packet_size(size - 1);
    assert!(
        matches!(
            tight.encode(&packet, &mut refused),
            Err(EncodeError::PacketTooLarge { .. })
        ),
        "encoder limit {} let a packet of {n} bytes through",
        size - 1
    );
    assert!(refused.is_empty(), "refused encode wrote bytes");

    // Owned decode, exactly at the size limit and one byte under it.
    match decode_one(&bytes, version, size) {
        Ok(Some((again, used))) => {
            assert_eq!(used, n, "decode took another length");
            assert_eq!(again, packet, "round trip failed via {bytes:02x?}");
        }
        other => panic!("encoding {bytes:02x?} of {packet:?} does not decode: {other:?}"),
    }
    assert!(
        matches!(
            decode_one(&bytes, version, size - 1),
            Err(DecodeError::PacketTooLarge { .. })
        ),
        "decoder limit {} let a packet of {n} bytes through",
        size - 1
    );

    check_borrowed_reencodes(&bytes, version);

    // Streaming: every strict prefix needs more, the whole frame yields the packet.
    let mut decoder = Decoder::new(version);
    let mut buf = BytesMut::new();
    for &byte in &bytes[..n - 1] {
        buf.extend_from_slice(&[byte]);
        assert_eq!(
            checked_decode(&mut decoder, &mut buf),
            Ok(None),
            "prefix of {} bytes of {bytes:02x?}",
            buf.len()
        );
    }
    buf.extend_from_slice(&bytes[n - 1..]);
    assert_eq!(checked_decode(&mut decoder, &mut buf), Ok(Some(packet)));
    assert!(buf.is_empty(), "bytes left after the packet");
}

// ---- stream ----

/// How a `stream` input is laid out: byte 0 picks the version (modulo 3) and who sends (divided
/// by 3, modulo 3: anyone, the client, the server), bytes 1-2 the maximum packet size
/// (little-endian; 0 means the protocol limit), byte 3 the number of chunk lengths that follow
/// (modulo 32), then one byte per chunk length; the rest is the byte stream. Bytes past the last
/// chunk form a final chunk.
#[derive(Debug)]
pub struct StreamInput<'a> {
    /// The version the decoder starts with.
    pub version: Version,
    /// Who sends the stream ([`Decoder::receiving_from`]), if the decoder is told.
    pub from: Option<Side>,
    /// The decoder's maximum packet size.
    pub max_packet_size: u32,
    /// Lengths of the chunks the stream arrives in.
    pub chunks: &'a [u8],
    /// The byte stream.
    pub stream: &'a [u8],
}

impl<'a> StreamInput<'a> {
    /// Splits a fuzzer input into its parts (short inputs get defaults).
    pub fn parse(data: &'a [u8]) -> StreamInput<'a> {
        let byte = |i: usize| data.get(i).copied().unwrap_or(0);
        let version = VERSIONS[usize::from(byte(0) % 3)];
        let from = match (byte(0) / 3) % 3 {
            0 => None,
            1 => Some(Side::Client),
            _ => Some(Side::Server),
        };
        let max = u16::from_le_bytes([byte(1), byte(2)]);
        let count = usize::from(byte(3) % 32);
        let rest = data.get(4..).unwrap_or_default();
        let (chunks, stream) = rest.split_at(count.min(rest.len()));
        StreamInput {
            version,
            from,
            max_packet_size: if max == 0 {
                MAX_PACKET_SIZE
            } else {
                u32::from(max)
            },
            chunks,
            stream,
        }
    }

    /// The input that [`StreamInput::parse`] reads back as these parts (at most 31 chunks).
    pub fn to_bytes(&self) -> Vec<u8> {
        let version = match self.version {
            Version::V3_1 => 0,
            Version::V3_1_1 => 1,
            Version::V5 => 2,
        };
        let from = match self.from {
            None => 0,
            Some(Side::Client) => 1,
            Some(Side::Server) => 2,
        };
        let max = u16::try_from(self.max_packet_size).unwrap_or(0);
        let chunks = self.chunks.get(..31).unwrap_or(self.chunks);
        let mut out = Vec::with_capacity(4 + chunks.len() + self.stream.len());
        out.push(version + 3 * from);
        out.extend_from_slice(&max.to_le_bytes());
        out.push(u8::try_from(chunks.len()).unwrap_or(31));
        out.extend_from_slice(chunks);
        out.extend_from_slice(self.stream);
        out
    }

    fn decoder(&self) -> Decoder {
        let decoder = Decoder::new(self.version).with_max_packet_size(self.max_packet_size);
        match self.from {
            Some(side) => decoder.receiving_from(side),
            None => decoder,
        }
    }
}

/// What decoding a stream produced: the packets, then the error that ended it if any, and how
/// many bytes the packets and the error took.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    items: Vec<Result<Packet<Bytes>, DecodeError>>,
    consumed: usize,
}

/// The borrowed decode of an encoded packet takes all of `bytes` and encodes back to them.
pub(crate) fn check_borrowed_reencodes(bytes: &[u8], version: Version) {
    match decode_slice(bytes, version, MAX_PACKET_SIZE) {
        Ok(Some((borrowed, used))) => {
            assert_eq!(
                used,
                bytes.len(),
                "decode_slice took another length of {bytes:02x?}"
            );
            let mut again = BytesMut::new();
            assert_eq!(borrowed.encode(version, &mut again), Ok(bytes.len()));
            assert_eq!(&again[..], bytes, "borrowed packet encodes differently");
        }
        other => panic!("decode_slice of {bytes:02x?}: {other:?}"),
    }
}

/// `stream` target: the byte stream decoded from one buffer, chunk by chunk as the chunk
/// lengths say (draining the decoder after each chunk), and frame by frame from one `Bytes`
/// with [`Decoder::decode_from`] (and, when the sender is not set, with the stateless
/// [`decode`] switching version after the first CONNECT like the decoder does) yields exactly the same
/// packets and the same error, from the same bytes.
///
/// [`decode`]: crate::decode
pub fn stream(data: &[u8]) {
    let input = StreamInput::parse(data);
    let whole = run_chunked(&input, &[]);
    let chunked = run_chunked(&input, input.chunks);
    assert_eq!(
        chunked, whole,
        "chunks {:?} change the outcome",
        input.chunks
    );
    let mut decoder = input.decoder();
    let from_bytes = run_stateless(&input, |src, _| decoder.decode_from(src));
    assert_eq!(
        from_bytes, whole,
        "Decoder::decode_from disagrees with Decoder::decode"
    );
    if input.from.is_none() {
        let max = input.max_packet_size;
        let stateless = run_stateless(&input, |src, version| decode_one(src, version, max));
        assert_eq!(stateless, whole, "stateless decode disagrees with Decoder");
    }
}

fn run_chunked(input: &StreamInput<'_>, chunks: &[u8]) -> Outcome {
    let mut decoder = input.decoder();
    let mut buf = BytesMut::new();
    let mut outcome = Outcome {
        items: Vec::new(),
        consumed: 0,
    };
    let mut rest = input.stream;
    let lengths = chunks.iter().map(|&c| usize::from(c)).chain([usize::MAX]);
    for len in lengths {
        let (chunk, after) = rest.split_at(len.min(rest.len()));
        rest = after;
        buf.extend_from_slice(chunk);
        loop {
            let before = buf.len();
            let result = checked_decode(&mut decoder, &mut buf);
            outcome.consumed += before - buf.len();
            match result {
                Ok(None) => break,
                Ok(Some(packet)) => {
                    if let Packet::Connect(connect) = &packet {
                        // Only the first CONNECT switches the version, and it stays reported.
                        let adopted = outcome
                            .items
                            .iter()
                            .find_map(|item| match item {
                                Ok(Packet::Connect(c)) => Some(c.protocol),
                                _ => None,
                            })
                            .unwrap_or(connect.protocol);
                        assert_eq!(decoder.version(), adopted, "version after a CONNECT");
                        assert_eq!(decoder.connect_version(), Some(adopted), "connect_version");
                    }
                    outcome.items.push(Ok(packet));
                }
                Err(e) => {
                    outcome.items.push(Err(e));
                    return outcome;
                }
            }
        }
    }
    outcome
}

/// Decodes the stream frame by frame from one `Bytes` with `decode`, which is given the version
/// to use (the start version, then that of the last CONNECT).
fn run_stateless(
    input: &StreamInput<'_>,
    mut decode: impl FnMut(&Bytes, Version) -> Result<Option<(Packet<Bytes>, usize)>, DecodeError>,
) -> Outcome {
    let all = Bytes::copy_from_slice(input.stream);
    let mut version = input.version;
    let mut seen_connect = false;
    let mut outcome = Outcome {
        items: Vec::new(),
        consumed: 0,
    };
    loop {
        let rest = all.slice(outcome.consumed..);
        match decode(&rest, version) {
            Ok(None) => return outcome,
            Ok(Some((packet, used))) => {
                // Like the decoder: the first CONNECT sets the version, later ones do not.
                if let Packet::Connect(connect) = &packet
                    && !seen_connect
                {
                    version = connect.protocol;
                    seen_connect = true;
                }
                outcome.consumed += used;
                outcome.items.push(Ok(packet));
            }
            Err(e) => {
                // The decoder drops a frame whose body is refused and keeps one whose header is.
                let header = FixedHeader::parse(&rest, version, input.max_packet_size);
                if let (Ok(Some(header)), Frame::Len(len)) = (header, reference_frame(&rest)) {
                    assert_eq!(
                        header.frame_len(),
                        len,
                        "fixed header disagrees with reference"
                    );
                    outcome.consumed += len;
                }
                outcome.items.push(Err(e));
                return outcome;
            }
        }
    }
}

// ---- varint ----

/// The standard's decoding algorithm (§1.5.5 of 5.0): multiplier grows by 128, more than four
/// bytes is malformed.
fn reference_varint_decode(buf: &[u8]) -> Result<Option<(u32, usize)>, DecodeError> {
    let mut value: u64 = 0;
    let mut multiplier: u64 = 1;
    for i in 0..4 {
        let Some(&byte) = buf.get(i) else {
            return Ok(None);
        };
        value += u64::from(byte & 127) * multiplier;
        multiplier *= 128;
        if byte & 128 == 0 {
            return Ok(Some((value as u32, i + 1)));
        }
    }
    Err(DecodeError::MalformedVarint)
}

/// The standard's encoding algorithm (§1.5.5 of 5.0), for values it can encode.
fn reference_varint_encode(mut value: u32) -> Option<Vec<u8>> {
    if value > 268_435_455 {
        return None;
    }
    let mut out = Vec::new();
    loop {
        let mut byte = (value % 128) as u8;
        value /= 128;
        if value > 0 {
            byte |= 128;
        }
        out.push(byte);
        if value == 0 {
            return Some(out);
        }
    }
}

/// `varint` target: [`varint::decode`] and [`varint::decode_minimal`] on `data`, and
/// [`varint::encode`] / [`varint::encoded_len`] on values taken from `data`, against the
/// standard's algorithms.
pub fn varint(data: &[u8]) {
    let expected = reference_varint_decode(data);
    let got = varint::decode(data);
    assert_eq!(got, expected, "decode of {data:02x?}");
    let minimal = varint::decode_minimal(data);
    match expected {
        Ok(Some((value, len))) => {
            let shortest = reference_varint_encode(value).map_or(0, |v| v.len());
            if len == shortest {
                assert_eq!(minimal, expected, "decode_minimal of {data:02x?}");
            } else {
                assert_eq!(minimal, Err(DecodeError::NonMinimalVarint), "{data:02x?}");
            }
            // Only the integer's own bytes matter: a prefix is incomplete, the bytes alone decode.
            assert_eq!(varint::decode(&data[..len]), expected, "alone {data:02x?}");
            assert_eq!(
                varint::decode(&data[..len - 1]),
                Ok(None),
                "prefix {data:02x?}"
            );
        }
        _ => assert_eq!(minimal, expected, "decode_minimal of {data:02x?}"),
    }

    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    let raw = u32::from_le_bytes([byte(0), byte(1), byte(2), byte(3)]);
    for value in [
        raw,
        raw & 0x0FFF_FFFF,
        raw >> (byte(4) % 32),
        varint::MAX
            .wrapping_add(u32::from(byte(5)) % 3)
            .wrapping_sub(1),
    ] {
        check_varint_value(value);
    }
}

fn check_varint_value(value: u32) {
    let mut out = [0u8; 4];
    let written = varint::encode(value, &mut out);
    match reference_varint_encode(value) {
        None => {
            assert_eq!(written, None, "encode accepted {value}");
            assert_eq!(varint::encoded_len(value), 5, "encoded_len of {value}");
        }
        Some(bytes) => {
            assert_eq!(written, Some(bytes.len()), "encode length of {value}");
            assert_eq!(&out[..bytes.len()], &bytes[..], "encoding of {value}");
            assert_eq!(
                varint::encoded_len(value),
                bytes.len(),
                "encoded_len of {value}"
            );
            let decoded = Ok(Some((value, bytes.len())));
            assert_eq!(varint::decode(&bytes), decoded, "decode of encode({value})");
            assert_eq!(
                varint::decode_minimal(&bytes),
                decoded,
                "minimal of {value}"
            );
        }
    }
}
