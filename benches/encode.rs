//! Encode throughput into a reused buffer, and the variable byte integer alone.

mod common;

use bytes::BytesMut;
use common::*;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mqtt_wire::{Packet, Version, varint};
use std::hint::black_box;
use std::time::Duration;

fn bench_encode(c: &mut Criterion, id: &str, version: Version, packet: &Packet) {
    let len = packet.encoded_len(version).unwrap();
    let mut g = c.benchmark_group("encode");
    g.throughput(Throughput::Bytes(len as u64));
    let mut buf = BytesMut::with_capacity(len.max(64 * 1024 + 64));
    g.bench_function(id, |b| {
        b.iter(|| {
            buf.clear();
            black_box(packet).encode(version, &mut buf).unwrap()
        })
    });
    g.finish();
}

fn encode_benches(c: &mut Criterion) {
    for (version, vname) in [(Version::V3_1_1, "v3.1.1"), (Version::V5, "v5")] {
        for qos in 0..=2 {
            for (payload, pname) in [(0, "0B"), (64, "64B"), (1024, "1KiB"), (65_536, "64KiB")] {
                bench_encode(
                    c,
                    &format!("publish/{vname}/qos{qos}/{pname}"),
                    version,
                    &publish(qos, payload),
                );
            }
        }
        bench_encode(c, &format!("connect/{vname}"), version, &connect(version));
        bench_encode(
            c,
            &format!("subscribe/{vname}/10-filters"),
            version,
            &subscribe_10(),
        );
        for (name, packet) in acks(version) {
            bench_encode(c, &format!("{name}/{vname}"), version, &packet);
        }
    }
    bench_encode(
        c,
        "publish/v5/qos1/64B+4props",
        Version::V5,
        &publish_v5_props(),
    );
}

fn varint_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("varint");
    for value in [0u32, 127, 16_383, 2_097_151, varint::MAX] {
        let mut bytes = [0u8; 4];
        let n = varint::encode(value, &mut bytes).unwrap();
        g.throughput(Throughput::Elements(1));
        g.bench_function(BenchmarkId::new("decode", value), |b| {
            b.iter(|| varint::decode(black_box(&bytes[..n])).unwrap())
        });
        g.bench_function(BenchmarkId::new("encode", value), |b| {
            let mut out = [0u8; 4];
            b.iter(|| varint::encode(black_box(value), &mut out))
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = encode_benches, varint_benches
}
criterion_main!(benches);
