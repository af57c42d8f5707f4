//! `mqtt-wire` adapters (feature `mqtt-wire`). Kept in one small module so
//! that API renames in the library only need fixing here.

use crate::{small_payload, EncodeCase, Stats, FLUSH_AT, TOPIC};
use bytes::{Bytes, BytesMut};
use mqtt_wire::{decode_slice, Decoder, Packet, PacketId, Publish, QosPid, Version};
use std::hint::black_box;

fn decode_owned(buf: &mut BytesMut, version: Version) -> Stats {
    let mut dec = Decoder::new(version);
    let mut s = Stats::default();
    while let Some(p) = dec.decode(buf).expect("mqtt-wire") {
        match p {
            Packet::Publish(p) => {
                black_box(&p.topic);
                s.packets += 1;
                s.payload_bytes += p.payload.len();
            }
            other => panic!("unexpected packet {other:?}"),
        }
    }
    s
}

fn decode_borrowed(data: &[u8], version: Version) -> Stats {
    let mut s = Stats::default();
    let mut off = 0;
    while let Some((p, used)) = decode_slice(&data[off..], version, u32::MAX).expect("mqtt-wire") {
        off += used;
        match p {
            Packet::Publish(p) => {
                black_box(&p.topic);
                s.packets += 1;
                s.payload_bytes += p.payload.len();
            }
            other => panic!("unexpected packet {other:?}"),
        }
    }
    assert_eq!(off, data.len(), "mqtt-wire decode_slice stopped early");
    s
}

/// Streaming, owned (`Decoder::decode(&mut BytesMut)`), MQTT 3.1.1.
pub fn decode_v311(buf: &mut BytesMut) -> Stats {
    decode_owned(buf, Version::V3_1_1)
}

/// Streaming, owned, MQTT 5.0.
pub fn decode_v5(buf: &mut BytesMut) -> Stats {
    decode_owned(buf, Version::V5)
}

/// Borrowed (`decode_slice`), MQTT 3.1.1.
pub fn decode_slice_v311(data: &[u8]) -> Stats {
    decode_borrowed(data, Version::V3_1_1)
}

/// Borrowed, MQTT 5.0.
pub fn decode_slice_v5(data: &[u8]) -> Stats {
    decode_borrowed(data, Version::V5)
}

/// `Packet::encode(Version, &mut BytesMut)` into the reused buffer.
pub struct Encode {
    p: Packet<Bytes>,
    buf: BytesMut,
}

impl Encode {
    pub fn new() -> Self {
        let p = Packet::Publish(Publish {
            dup: false,
            qos: QosPid::AtLeastOnce(PacketId::new(1).unwrap()),
            retain: false,
            topic: mqtt_wire::TopicName::from_static(TOPIC).expect("valid topic"),
            properties: Default::default(),
            payload: Bytes::from(small_payload()),
        });
        Self {
            p,
            buf: BytesMut::with_capacity(FLUSH_AT + 4096),
        }
    }
}

impl Default for Encode {
    fn default() -> Self {
        Self::new()
    }
}

impl EncodeCase for Encode {
    fn name(&self) -> &'static str {
        "mqtt-wire"
    }
    fn run(&mut self, n: usize) -> usize {
        let mut total = 0;
        for _ in 0..n {
            self.p
                .encode(Version::V3_1_1, &mut self.buf)
                .expect("mqtt-wire");
            if self.buf.len() >= FLUSH_AT {
                total += self.buf.len();
                black_box(&self.buf[..]);
                self.buf.clear();
            }
        }
        total += self.buf.len();
        black_box(&self.buf[..]);
        self.buf.clear();
        total
    }
    fn once(&mut self) -> Vec<u8> {
        self.p.encode(Version::V3_1_1, &mut self.buf).unwrap();
        let v = self.buf.to_vec();
        self.buf.clear();
        v
    }
}
