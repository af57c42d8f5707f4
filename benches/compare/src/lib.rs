//! Workloads and per-codec adapters for comparing `mqtt-wire` with other Rust
//! MQTT codecs.
//!
//! This crate is *not* part of `mqtt-wire`; it only exists to run
//! `benches/compare.rs` and the packet-count test in `tests/counts.rs`.
//!
//! * [`workloads`] builds the byte streams once with a small hand-written
//!   encoder ([`wire`]), so no codec under test produces its own input.
//! * [`decode`] has one adapter per codec. Each decodes a whole buffer packet
//!   by packet, the way that library's read loop is meant to be written, and
//!   returns [`Stats`] (packets and payload bytes seen) so that a test can check
//!   every codec saw the same packets.
//! * [`encode`] has one adapter per codec that encodes the same MQTT 3.1.1
//!   QoS 1 PUBLISH repeatedly into a reused buffer.

#![allow(clippy::new_without_default)]

use bytes::BytesMut;

/// MQTT protocol version of a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    /// MQTT 3.1.1 (protocol level 4).
    V311,
    /// MQTT 5.0.
    V5,
}

/// What a decode adapter saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Number of packets decoded.
    pub packets: usize,
    /// Sum of the PUBLISH payload lengths.
    pub payload_bytes: usize,
}

impl Stats {
    #[inline(always)]
    fn add(&mut self, payload_len: usize) {
        self.packets += 1;
        self.payload_bytes += payload_len;
    }
}

// ---------------------------------------------------------------------------
// Hand-written reference encoder
// ---------------------------------------------------------------------------

/// A tiny, independent MQTT PUBLISH encoder used to build the inputs.
pub mod wire {
    /// Appends a Variable Byte Integer.
    pub fn put_varint(out: &mut Vec<u8>, mut v: usize) {
        assert!(v <= 268_435_455, "varint too large");
        loop {
            let mut b = (v % 128) as u8;
            v /= 128;
            if v > 0 {
                b |= 0x80;
            }
            out.push(b);
            if v == 0 {
                break;
            }
        }
    }

    /// Number of bytes of a Variable Byte Integer.
    pub fn varint_len(v: usize) -> usize {
        match v {
            0..=127 => 1,
            128..=16_383 => 2,
            16_384..=2_097_151 => 3,
            _ => 4,
        }
    }

    /// Appends a two-byte-length-prefixed string / binary.
    pub fn put_str(out: &mut Vec<u8>, s: &[u8]) {
        out.extend_from_slice(&(s.len() as u16).to_be_bytes());
        out.extend_from_slice(s);
    }

    /// MQTT 5.0 PUBLISH properties used by the "props" workload.
    #[derive(Debug, Clone)]
    pub struct V5Props<'a> {
        pub content_type: &'a str,
        pub user_key: &'a str,
        pub user_value: &'a str,
        pub message_expiry: u32,
        pub topic_alias: u16,
    }

    impl V5Props<'_> {
        /// Encoded property block, without its length prefix.
        pub fn encode(&self) -> Vec<u8> {
            let mut p = Vec::new();
            p.push(0x03); // Content Type
            put_str(&mut p, self.content_type.as_bytes());
            p.push(0x26); // User Property
            put_str(&mut p, self.user_key.as_bytes());
            put_str(&mut p, self.user_value.as_bytes());
            p.push(0x02); // Message Expiry Interval
            p.extend_from_slice(&self.message_expiry.to_be_bytes());
            p.push(0x23); // Topic Alias
            p.extend_from_slice(&self.topic_alias.to_be_bytes());
            p
        }
    }

    /// Appends one PUBLISH packet.
    ///
    /// `v5_props`: `None` for MQTT 3.1.1; `Some(bytes)` for MQTT 5.0, where
    /// `bytes` is the encoded property block (empty for "no properties").
    pub fn put_publish(
        out: &mut Vec<u8>,
        qos: u8,
        pid: u16,
        topic: &[u8],
        payload: &[u8],
        v5_props: Option<&[u8]>,
    ) {
        assert!(qos <= 2);
        assert!(qos == 0 || pid != 0);
        let mut remaining = 2 + topic.len() + payload.len();
        if qos > 0 {
            remaining += 2;
        }
        if let Some(p) = v5_props {
            remaining += varint_len(p.len()) + p.len();
        }
        out.push(0x30 | (qos << 1));
        put_varint(out, remaining);
        put_str(out, topic);
        if qos > 0 {
            out.extend_from_slice(&pid.to_be_bytes());
        }
        if let Some(p) = v5_props {
            put_varint(out, p.len());
            out.extend_from_slice(p);
        }
        out.extend_from_slice(payload);
    }

    /// Length of the packet at the start of `buf` (fixed header + remaining
    /// length), or `None` if `buf` does not hold a whole packet.
    #[inline(always)]
    pub fn frame_len(buf: &[u8]) -> Option<usize> {
        let mut len: usize = 0;
        let mut i = 1;
        loop {
            let b = *buf.get(i)?;
            len |= ((b & 0x7f) as usize) << (7 * (i - 1));
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
            if i > 4 {
                return None; // malformed: we never produce that
            }
        }
        let total = i + len;
        if buf.len() >= total {
            Some(total)
        } else {
            None
        }
    }
}

// ---------------------------------------------------------------------------
// Workloads
// ---------------------------------------------------------------------------

/// The 25-byte topic used by the small workloads.
pub const TOPIC: &str = "sensors/building-7/temp01";
/// Packets in each small workload.
pub const SMALL_COUNT: usize = 100_000;
/// Packets in the big-payload workload.
pub const BIG_COUNT: usize = 1_000;
/// Payload length of the big-payload workload.
pub const BIG_PAYLOAD: usize = 64 * 1024;

/// 64-byte payload of the small workloads.
pub fn small_payload() -> Vec<u8> {
    let p: Vec<u8> = (0..64u8).map(|i| b'a' + (i % 26)).collect();
    debug_assert_eq!(p.len(), 64);
    p
}

/// The properties of the "v5 props" workload.
pub fn v5_props() -> wire::V5Props<'static> {
    wire::V5Props {
        content_type: "application/json",
        user_key: "trace-id",
        user_value: "0af7651916cd43dd",
        message_expiry: 3600,
        topic_alias: 7,
    }
}

/// One decode workload: a buffer of concatenated packets.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Short name used as the criterion group name.
    pub name: &'static str,
    pub proto: Proto,
    pub data: Vec<u8>,
    /// Number of packets in `data`.
    pub packets: usize,
    /// Sum of the payload lengths in `data`.
    pub payload_bytes: usize,
}

impl Workload {
    pub fn expected(&self) -> Stats {
        Stats {
            packets: self.packets,
            payload_bytes: self.payload_bytes,
        }
    }
}

fn pid_for(i: usize) -> u16 {
    (i % 65_535) as u16 + 1
}

fn build(
    name: &'static str,
    proto: Proto,
    count: usize,
    qos: u8,
    payload: &[u8],
    props: Option<&[u8]>,
) -> Workload {
    let mut data = Vec::new();
    for i in 0..count {
        wire::put_publish(&mut data, qos, pid_for(i), TOPIC.as_bytes(), payload, props);
    }
    Workload {
        name,
        proto,
        data,
        packets: count,
        payload_bytes: count * payload.len(),
    }
}

/// 1. 100,000 MQTT 3.1.1 PUBLISH QoS 0 (topic 25 B, payload 64 B).
pub fn v311_qos0() -> Workload {
    build(
        "v311_qos0_small",
        Proto::V311,
        SMALL_COUNT,
        0,
        &small_payload(),
        None,
    )
}

/// 2. Same as 1 with QoS 1 (packet id).
pub fn v311_qos1() -> Workload {
    build(
        "v311_qos1_small",
        Proto::V311,
        SMALL_COUNT,
        1,
        &small_payload(),
        None,
    )
}

/// 3a. MQTT 5.0, QoS 0, property length 0.
pub fn v5_qos0() -> Workload {
    build(
        "v5_qos0_small",
        Proto::V5,
        SMALL_COUNT,
        0,
        &small_payload(),
        Some(&[]),
    )
}

/// 3b. MQTT 5.0, QoS 1, property length 0.
pub fn v5_qos1() -> Workload {
    build(
        "v5_qos1_small",
        Proto::V5,
        SMALL_COUNT,
        1,
        &small_payload(),
        Some(&[]),
    )
}

/// 4. MQTT 5.0 QoS 1 with content type, user property, message expiry and
///    topic alias.
pub fn v5_qos1_props() -> Workload {
    let props = v5_props().encode();
    build(
        "v5_qos1_props",
        Proto::V5,
        SMALL_COUNT,
        1,
        &small_payload(),
        Some(&props),
    )
}

/// 5. 1,000 MQTT 3.1.1 QoS 0 PUBLISH with a 64 KiB payload.
pub fn v311_big() -> Workload {
    let payload: Vec<u8> = (0..BIG_PAYLOAD).map(|i| (i % 251) as u8).collect();
    build("v311_qos0_64KiB", Proto::V311, BIG_COUNT, 0, &payload, None)
}

/// All decode workloads, in report order.
pub fn all_workloads() -> Vec<Workload> {
    vec![
        v311_qos0(),
        v311_qos1(),
        v5_qos0(),
        v5_qos1(),
        v5_qos1_props(),
        v311_big(),
    ]
}

/// The single packet encoded by the encode benchmark (3.1.1, QoS 1, pid 1).
pub fn encode_reference() -> Vec<u8> {
    let mut out = Vec::new();
    wire::put_publish(&mut out, 1, 1, TOPIC.as_bytes(), &small_payload(), None);
    out
}

// ---------------------------------------------------------------------------
// Decode adapters
// ---------------------------------------------------------------------------

/// How an adapter takes its input.
#[derive(Clone, Copy)]
pub enum DecodeFn {
    /// Borrows the whole buffer.
    Slice(fn(&[u8]) -> Stats),
    /// Consumes a `BytesMut` holding the whole buffer (as read from a socket).
    BytesMut(fn(&mut BytesMut) -> Stats),
}

/// A named decode adapter.
#[derive(Clone, Copy)]
pub struct Decoder {
    pub name: &'static str,
    pub run: DecodeFn,
}

impl Decoder {
    /// Runs the adapter on `data` (copying it into a `BytesMut` if needed).
    pub fn run_on(&self, data: &[u8]) -> Stats {
        match self.run {
            DecodeFn::Slice(f) => f(data),
            DecodeFn::BytesMut(f) => f(&mut BytesMut::from(data)),
        }
    }
}

/// Decode adapters that support `proto`, including the two floors.
pub fn decoders(proto: Proto) -> Vec<Decoder> {
    use decode::*;
    let mut v = vec![Decoder {
        name: "floor/header_walk",
        run: DecodeFn::Slice(floor_header_walk),
    }];
    #[cfg(feature = "mqtt-wire")]
    {
        match proto {
            Proto::V311 => {
                v.push(Decoder {
                    name: "mqtt-wire/decoder",
                    run: DecodeFn::BytesMut(crate::mqtt_wire_adapter::decode_v311),
                });
                v.push(Decoder {
                    name: "mqtt-wire/decode_slice",
                    run: DecodeFn::Slice(crate::mqtt_wire_adapter::decode_slice_v311),
                });
            }
            Proto::V5 => {
                v.push(Decoder {
                    name: "mqtt-wire/decoder",
                    run: DecodeFn::BytesMut(crate::mqtt_wire_adapter::decode_v5),
                });
                v.push(Decoder {
                    name: "mqtt-wire/decode_slice",
                    run: DecodeFn::Slice(crate::mqtt_wire_adapter::decode_slice_v5),
                });
            }
        }
    }
    match proto {
        Proto::V311 => {
            v.push(Decoder {
                name: "mqttbytes/v4",
                run: DecodeFn::BytesMut(mqttbytes_v4),
            });
            v.push(Decoder {
                name: "rumqttc/v4",
                run: DecodeFn::BytesMut(rumqttc_v4),
            });
            v.push(Decoder {
                name: "mqttrs",
                run: DecodeFn::Slice(mqttrs),
            });
            v.push(Decoder {
                name: "mqtt-protocol-core/v3_1_1",
                run: DecodeFn::Slice(mqtt_protocol_core_v311),
            });
            v.push(Decoder {
                name: "mqtt-proto/v3",
                run: DecodeFn::Slice(mqtt_proto_v3),
            });
        }
        Proto::V5 => {
            v.push(Decoder {
                name: "mqttbytes/v5",
                run: DecodeFn::BytesMut(mqttbytes_v5),
            });
            v.push(Decoder {
                name: "rumqttc/v5",
                run: DecodeFn::BytesMut(rumqttc_v5),
            });
            v.push(Decoder {
                name: "mqtt-protocol-core/v5_0",
                run: DecodeFn::Slice(mqtt_protocol_core_v5),
            });
            v.push(Decoder {
                name: "mqtt-proto/v5",
                run: DecodeFn::Slice(mqtt_proto_v5),
            });
        }
    }
    v
}

/// One function per codec: decode every packet in the buffer, in a loop.
pub mod decode {
    use super::{wire, Stats};
    use bytes::BytesMut;
    use std::hint::black_box;

    /// Upper bound on a packet's size handed to codecs that want one.
    const MAX: usize = 1 << 24;

    /// Floor: read the type byte and the remaining length, skip the packet.
    pub fn floor_header_walk(data: &[u8]) -> Stats {
        let mut s = Stats::default();
        let mut off = 0;
        while off < data.len() {
            let buf = &data[off..];
            let ty = buf[0] >> 4;
            let len = wire::frame_len(buf).expect("truncated");
            black_box(ty);
            // payload length is not known without parsing; count packets only
            s.packets += 1;
            off += len;
        }
        s
    }

    /// `mqttbytes` 0.6, v4: `v4::read(&mut BytesMut, max)` until
    /// `Error::InsufficientBytes`.
    pub fn mqttbytes_v4(buf: &mut BytesMut) -> Stats {
        use mqttbytes::{v4, Error};
        let mut s = Stats::default();
        loop {
            match v4::read(buf, MAX) {
                Ok(v4::Packet::Publish(p)) => s.add(p.payload.len()),
                Ok(other) => panic!("unexpected packet {other:?}"),
                Err(Error::InsufficientBytes(_)) => break,
                Err(e) => panic!("mqttbytes v4: {e:?}"),
            }
        }
        s
    }

    /// `mqttbytes` 0.6, v5: `v5::read(&mut BytesMut, max)`.
    pub fn mqttbytes_v5(buf: &mut BytesMut) -> Stats {
        use mqttbytes::{v5, Error};
        let mut s = Stats::default();
        loop {
            match v5::read(buf, MAX) {
                Ok(v5::Packet::Publish(p)) => {
                    black_box(&p.properties);
                    s.add(p.payload.len())
                }
                Ok(other) => panic!("unexpected packet {other:?}"),
                Err(Error::InsufficientBytes(_)) => break,
                Err(e) => panic!("mqttbytes v5: {e:?}"),
            }
        }
        s
    }

    /// `rumqttc` 0.25's own v4 codec: the `tokio_util::codec::Decoder` that
    /// its event loop drives through `Framed`.
    pub fn rumqttc_v4(buf: &mut BytesMut) -> Stats {
        use rumqttc::mqttbytes::v4::{Codec, Packet};
        use tokio_util::codec::Decoder as _;
        let mut codec = Codec {
            max_incoming_size: MAX,
            max_outgoing_size: MAX,
        };
        let mut s = Stats::default();
        while let Some(p) = codec.decode(buf).expect("rumqttc v4") {
            match p {
                Packet::Publish(p) => s.add(p.payload.len()),
                other => panic!("unexpected packet {other:?}"),
            }
        }
        s
    }

    /// `rumqttc` 0.25's v5 codec (`rumqttc::v5::mqttbytes::v5::Codec`).
    pub fn rumqttc_v5(buf: &mut BytesMut) -> Stats {
        use rumqttc::v5::mqttbytes::v5::{Codec, Packet};
        use tokio_util::codec::Decoder as _;
        let mut codec = Codec {
            max_incoming_size: None,
            max_outgoing_size: None,
        };
        let mut s = Stats::default();
        while let Some(p) = codec.decode(buf).expect("rumqttc v5") {
            match p {
                Packet::Publish(p) => {
                    black_box(&p.properties);
                    s.add(p.payload.len())
                }
                other => panic!("unexpected packet {other:?}"),
            }
        }
        s
    }

    /// `mqttrs` 0.4: `decode_slice(&[u8])` borrows from the buffer but does
    /// not say how many bytes it used, so the caller has to frame the packet
    /// itself (the fix, `decode_slice_with_len`, is not in a release).
    pub fn mqttrs(data: &[u8]) -> Stats {
        let mut s = Stats::default();
        let mut off = 0;
        while off < data.len() {
            let buf = &data[off..];
            let len = wire::frame_len(buf).expect("truncated");
            match mqttrs::decode_slice(&buf[..len]).expect("mqttrs") {
                Some(mqttrs::Packet::Publish(p)) => {
                    black_box(p.topic_name);
                    s.add(p.payload.len())
                }
                Some(other) => panic!("unexpected packet {other:?}"),
                None => panic!("mqttrs: incomplete"),
            }
            off += len;
        }
        s
    }

    /// `mqtt-protocol-core` 0.7, MQTT 3.1.1: its own framer
    /// (`PacketBuilder::feed`, used by `Connection::recv`) followed by
    /// `v3_1_1::Publish::parse`, which is what `Connection::recv` does for a
    /// PUBLISH before its protocol-state checks.
    pub fn mqtt_protocol_core_v311(data: &[u8]) -> Stats {
        use mqtt_protocol_core::mqtt::common::Cursor;
        use mqtt_protocol_core::mqtt::connection::{PacketBuildResult, PacketBuilder, PacketData};
        use mqtt_protocol_core::mqtt::packet::v3_1_1;
        let mut builder = PacketBuilder::new();
        let mut cur = Cursor::new(data);
        let mut s = Stats::default();
        loop {
            match builder.feed(&mut cur) {
                PacketBuildResult::Complete(raw) => match &raw.data {
                    PacketData::Publish(arc) => {
                        let (p, used) = v3_1_1::Publish::parse(raw.flags(), arc.clone())
                            .expect("mqtt-protocol-core");
                        assert_eq!(used, arc.len());
                        black_box(p.topic_name());
                        s.add(p.payload().len());
                    }
                    PacketData::Normal(_) => panic!("unexpected packet type {}", raw.packet_type()),
                },
                PacketBuildResult::Incomplete => break,
                PacketBuildResult::Error(e) => panic!("mqtt-protocol-core: {e:?}"),
            }
        }
        s
    }

    /// `mqtt-protocol-core` 0.7, MQTT 5.0 (`v5_0::Publish::parse`).
    pub fn mqtt_protocol_core_v5(data: &[u8]) -> Stats {
        use mqtt_protocol_core::mqtt::common::Cursor;
        use mqtt_protocol_core::mqtt::connection::{PacketBuildResult, PacketBuilder, PacketData};
        use mqtt_protocol_core::mqtt::packet::v5_0;
        let mut builder = PacketBuilder::new();
        let mut cur = Cursor::new(data);
        let mut s = Stats::default();
        loop {
            match builder.feed(&mut cur) {
                PacketBuildResult::Complete(raw) => match &raw.data {
                    PacketData::Publish(arc) => {
                        let (p, used) = v5_0::Publish::parse(raw.flags(), arc.clone())
                            .expect("mqtt-protocol-core");
                        assert_eq!(used, arc.len());
                        black_box(p.topic_name());
                        s.add(p.payload().len());
                    }
                    PacketData::Normal(_) => panic!("unexpected packet type {}", raw.packet_type()),
                },
                PacketBuildResult::Incomplete => break,
                PacketBuildResult::Error(e) => panic!("mqtt-protocol-core: {e:?}"),
            }
        }
        s
    }

    /// `mqtt-proto` 0.4, v3: `Packet::decode_async(&mut reader)` over a
    /// `&[u8]` reader, which advances the slice (the "stream" mode of the
    /// crate's own benchmark; `Packet::decode(&[u8])` is the same call on a
    /// copy of the slice reference and does not report the length used).
    pub fn mqtt_proto_v3(data: &[u8]) -> Stats {
        use mqtt_proto::v3::Packet;
        let mut reader = data;
        let mut s = Stats::default();
        while !reader.is_empty() {
            let p = futures_lite::future::block_on(Packet::decode_async(&mut reader))
                .expect("mqtt-proto v3");
            match p {
                Packet::Publish(p) => {
                    black_box(&p.topic_name);
                    s.add(p.payload.len())
                }
                other => panic!("unexpected packet {other:?}"),
            }
        }
        s
    }

    /// `mqtt-proto` 0.4, v5.
    pub fn mqtt_proto_v5(data: &[u8]) -> Stats {
        use mqtt_proto::v5::Packet;
        let mut reader = data;
        let mut s = Stats::default();
        while !reader.is_empty() {
            let p = futures_lite::future::block_on(Packet::decode_async(&mut reader))
                .expect("mqtt-proto v5");
            match p {
                Packet::Publish(p) => {
                    black_box(&p.properties);
                    s.add(p.payload.len())
                }
                other => panic!("unexpected packet {other:?}"),
            }
        }
        s
    }
}

// ---------------------------------------------------------------------------
// Encode adapters
// ---------------------------------------------------------------------------

/// Encoded bytes are handed on ("flushed") once the reused buffer holds this
/// much, so the buffer stays cache-sized like a real write buffer.
pub const FLUSH_AT: usize = 64 * 1024;

/// An encode adapter: a prebuilt 3.1.1 QoS 1 PUBLISH and a reused buffer.
pub trait EncodeCase {
    fn name(&self) -> &'static str;
    /// Encodes the packet `n` times; returns the number of bytes produced.
    fn run(&mut self, n: usize) -> usize;
    /// Encodes the packet once and returns its bytes (for the tests).
    fn once(&mut self) -> Vec<u8>;
}

/// Every encode adapter, including the floor (copying the reference bytes).
pub fn encoders() -> Vec<Box<dyn EncodeCase>> {
    #[allow(unused_mut)]
    let mut v: Vec<Box<dyn EncodeCase>> = vec![Box::new(encode::FloorCopy::new())];
    #[cfg(feature = "mqtt-wire")]
    v.push(Box::new(crate::mqtt_wire_adapter::Encode::new()));
    v.push(Box::new(encode::MqttbytesV4::new()));
    v.push(Box::new(encode::RumqttcV4::new()));
    v.push(Box::new(encode::Mqttrs::new()));
    v.push(Box::new(encode::MqttProtocolCore::new()));
    v.push(Box::new(encode::MqttProto::new()));
    v
}

pub mod encode {
    use super::{encode_reference, small_payload, EncodeCase, FLUSH_AT, TOPIC};
    use bytes::{BufMut, Bytes, BytesMut};
    use std::hint::black_box;

    fn flush(buf: &mut BytesMut, total: &mut usize) {
        if buf.len() >= FLUSH_AT {
            *total += buf.len();
            black_box(&buf[..]);
            buf.clear();
        }
    }

    fn finish(buf: &mut BytesMut, mut total: usize) -> usize {
        total += buf.len();
        black_box(&buf[..]);
        buf.clear();
        total
    }

    fn new_buf() -> BytesMut {
        BytesMut::with_capacity(FLUSH_AT + 4096)
    }

    /// Floor: append the already encoded bytes.
    pub struct FloorCopy {
        bytes: Vec<u8>,
        buf: BytesMut,
    }
    impl FloorCopy {
        pub fn new() -> Self {
            Self {
                bytes: encode_reference(),
                buf: new_buf(),
            }
        }
    }
    impl EncodeCase for FloorCopy {
        fn name(&self) -> &'static str {
            "floor/copy_bytes"
        }
        fn run(&mut self, n: usize) -> usize {
            let mut total = 0;
            for _ in 0..n {
                self.buf.extend_from_slice(black_box(&self.bytes));
                flush(&mut self.buf, &mut total);
            }
            finish(&mut self.buf, total)
        }
        fn once(&mut self) -> Vec<u8> {
            self.bytes.clone()
        }
    }

    /// `mqttbytes` 0.6 v4: `Publish::write(&self, &mut BytesMut)`.
    pub struct MqttbytesV4 {
        p: mqttbytes::v4::Publish,
        buf: BytesMut,
    }
    impl MqttbytesV4 {
        pub fn new() -> Self {
            let mut p = mqttbytes::v4::Publish::from_bytes(
                TOPIC,
                mqttbytes::QoS::AtLeastOnce,
                Bytes::from(small_payload()),
            );
            p.pkid = 1;
            Self { p, buf: new_buf() }
        }
    }
    impl EncodeCase for MqttbytesV4 {
        fn name(&self) -> &'static str {
            "mqttbytes/v4"
        }
        fn run(&mut self, n: usize) -> usize {
            let mut total = 0;
            for _ in 0..n {
                self.p.write(&mut self.buf).expect("mqttbytes");
                flush(&mut self.buf, &mut total);
            }
            finish(&mut self.buf, total)
        }
        fn once(&mut self) -> Vec<u8> {
            self.p.write(&mut self.buf).unwrap();
            let v = self.buf.to_vec();
            self.buf.clear();
            v
        }
    }

    /// `rumqttc` 0.25 v4: `Packet::write(&self, &mut BytesMut, max)` (what
    /// its `Codec` as `tokio_util::codec::Encoder` calls; the `Encoder` takes
    /// the packet by value, which would add a clone per packet here).
    pub struct RumqttcV4 {
        p: rumqttc::mqttbytes::v4::Packet,
        buf: BytesMut,
    }
    impl RumqttcV4 {
        pub fn new() -> Self {
            let mut p = rumqttc::mqttbytes::v4::Publish::from_bytes(
                TOPIC,
                rumqttc::mqttbytes::QoS::AtLeastOnce,
                Bytes::from(small_payload()),
            );
            p.pkid = 1;
            Self {
                p: rumqttc::mqttbytes::v4::Packet::Publish(p),
                buf: new_buf(),
            }
        }
    }
    impl EncodeCase for RumqttcV4 {
        fn name(&self) -> &'static str {
            "rumqttc/v4"
        }
        fn run(&mut self, n: usize) -> usize {
            let mut total = 0;
            for _ in 0..n {
                self.p.write(&mut self.buf, usize::MAX).expect("rumqttc");
                flush(&mut self.buf, &mut total);
            }
            finish(&mut self.buf, total)
        }
        fn once(&mut self) -> Vec<u8> {
            self.p.write(&mut self.buf, usize::MAX).unwrap();
            let v = self.buf.to_vec();
            self.buf.clear();
            v
        }
    }

    /// `mqttrs` 0.4: `encode_slice(&Packet, &mut [u8])` into the spare
    /// capacity of the reused buffer.
    pub struct Mqttrs {
        payload: Vec<u8>,
        buf: Vec<u8>,
    }
    impl Mqttrs {
        pub fn new() -> Self {
            Self {
                payload: small_payload(),
                buf: vec![0u8; FLUSH_AT + 4096],
            }
        }
        fn packet(&self) -> mqttrs::Packet<'_> {
            mqttrs::Packet::Publish(mqttrs::Publish {
                dup: false,
                qospid: mqttrs::QosPid::AtLeastOnce(mqttrs::Pid::try_from(1).unwrap()),
                retain: false,
                topic_name: TOPIC,
                payload: &self.payload,
            })
        }
    }
    impl EncodeCase for Mqttrs {
        fn name(&self) -> &'static str {
            "mqttrs"
        }
        fn run(&mut self, n: usize) -> usize {
            let Self { payload, buf } = self;
            let pkt = mqttrs::Packet::Publish(mqttrs::Publish {
                dup: false,
                qospid: mqttrs::QosPid::AtLeastOnce(mqttrs::Pid::try_from(1).unwrap()),
                retain: false,
                topic_name: TOPIC,
                payload,
            });
            let mut total = 0;
            let mut off = 0;
            for _ in 0..n {
                off += mqttrs::encode_slice(&pkt, &mut buf[off..]).expect("mqttrs");
                if off >= FLUSH_AT {
                    black_box(&buf[..off]);
                    total += off;
                    off = 0;
                }
            }
            black_box(&buf[..off]);
            total + off
        }
        fn once(&mut self) -> Vec<u8> {
            let mut out = vec![0u8; 256];
            let n = mqttrs::encode_slice(&self.packet(), &mut out).unwrap();
            out.truncate(n);
            out
        }
    }

    /// `mqtt-protocol-core` 0.7: `Publish::to_buffers()` (the `IoSlice`s its
    /// README hands to `write_vectored`), copied into the reused buffer.
    pub struct MqttProtocolCore {
        p: mqtt_protocol_core::mqtt::packet::v3_1_1::Publish,
        buf: BytesMut,
    }
    impl MqttProtocolCore {
        pub fn new() -> Self {
            use mqtt_protocol_core::mqtt::packet::{v3_1_1, Qos};
            let p = v3_1_1::Publish::builder()
                .topic_name(TOPIC)
                .unwrap()
                .qos(Qos::AtLeastOnce)
                .packet_id(1u16)
                .payload(small_payload())
                .build()
                .unwrap();
            Self { p, buf: new_buf() }
        }
        fn put(&mut self) {
            for s in self.p.to_buffers() {
                self.buf.put_slice(&s);
            }
        }
    }
    impl EncodeCase for MqttProtocolCore {
        fn name(&self) -> &'static str {
            "mqtt-protocol-core/v3_1_1"
        }
        fn run(&mut self, n: usize) -> usize {
            let mut total = 0;
            for _ in 0..n {
                self.put();
                flush(&mut self.buf, &mut total);
            }
            finish(&mut self.buf, total)
        }
        fn once(&mut self) -> Vec<u8> {
            self.put();
            let v = self.buf.to_vec();
            self.buf.clear();
            v
        }
    }

    /// `mqtt-proto` 0.4 v3: `Packet::encode()` returns the packet as its own
    /// `VarBytes` (a fresh `Vec` for PUBLISH), copied into the reused buffer.
    pub struct MqttProto {
        p: mqtt_proto::v3::Packet,
        buf: BytesMut,
    }
    impl MqttProto {
        pub fn new() -> Self {
            use mqtt_proto::{v3, Pid, QosPid, TopicName};
            let p = v3::Packet::Publish(v3::Publish {
                dup: false,
                retain: false,
                qos_pid: QosPid::Level1(Pid::try_from(1).unwrap()),
                topic_name: TopicName::try_from(TOPIC).unwrap(),
                payload: Bytes::from(small_payload()),
            });
            Self { p, buf: new_buf() }
        }
        fn put(&mut self) {
            let bytes = self.p.encode().expect("mqtt-proto");
            self.buf.put_slice(bytes.as_ref());
        }
    }
    impl EncodeCase for MqttProto {
        fn name(&self) -> &'static str {
            "mqtt-proto/v3"
        }
        fn run(&mut self, n: usize) -> usize {
            let mut total = 0;
            for _ in 0..n {
                self.put();
                flush(&mut self.buf, &mut total);
            }
            finish(&mut self.buf, total)
        }
        fn once(&mut self) -> Vec<u8> {
            self.put();
            let v = self.buf.to_vec();
            self.buf.clear();
            v
        }
    }
}

#[cfg(feature = "mqtt-wire")]
pub mod mqtt_wire_adapter;

pub mod session_cycles;
