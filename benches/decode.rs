//! Decode throughput: each packet kind on each version (owned `Bytes` path and borrowed `&[u8]`
//! path), a realistic stream arriving in TCP-sized chunks, and the two floors (a plain copy, and a
//! walk that only reads fixed headers).

mod common;

use bytes::{Bytes, BytesMut};
use common::*;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mqtt_wire::{Decoder, Packet, Version, decode, decode_slice};
use std::hint::black_box;
use std::time::Duration;

const VERSIONS: [(Version, &str); 2] = [(Version::V3_1_1, "v3.1.1"), (Version::V5, "v5")];
const MAX: u32 = mqtt_wire::MAX_PACKET_SIZE;

/// Benches one encoded packet through both decode paths.
fn bench_packet(c: &mut Criterion, group: &str, id: &str, version: Version, bytes: Bytes) {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function(BenchmarkId::new("owned", id), |b| {
        b.iter(|| {
            let (packet, used) = decode(black_box(&bytes), version, MAX).unwrap().unwrap();
            black_box(&packet);
            used
        })
    });
    let slice: &[u8] = &bytes;
    g.bench_function(BenchmarkId::new("borrowed", id), |b| {
        b.iter(|| {
            let (packet, used) = decode_slice(black_box(slice), version, MAX)
                .unwrap()
                .unwrap();
            black_box(&packet);
            used
        })
    });
    g.finish();
}

fn publish_benches(c: &mut Criterion) {
    for (version, vname) in VERSIONS {
        for qos in 0..=2 {
            for (payload, pname) in [(0, "0B"), (64, "64B"), (1024, "1KiB"), (65_536, "64KiB")] {
                let bytes = encode(&publish(qos, payload), version);
                let id = format!("{vname}/qos{qos}/{pname}");
                bench_packet(c, "decode_publish", &id, version, bytes);
            }
        }
    }
    bench_packet(
        c,
        "decode_publish",
        "v5/qos1/64B+4props",
        Version::V5,
        encode(&publish_v5_props(), Version::V5),
    );
    bench_packet(
        c,
        "decode_publish",
        "v5/qos1/64B+4props-no-user",
        Version::V5,
        encode(&publish_v5_props_no_user(), Version::V5),
    );
}

fn control_benches(c: &mut Criterion) {
    for (version, vname) in VERSIONS {
        bench_packet(
            c,
            "decode_connect",
            vname,
            version,
            encode(&connect(version), version),
        );
        bench_packet(
            c,
            "decode_subscribe",
            &format!("{vname}/10-filters"),
            version,
            encode(&subscribe_10(), version),
        );
        for (name, packet) in acks(version) {
            bench_packet(
                c,
                "decode_ack",
                &format!("{vname}/{name}"),
                version,
                encode(&packet, version),
            );
        }
    }
}

fn stream_benches(c: &mut Criterion) {
    for (version, vname) in VERSIONS {
        let (stream, count) = mixed_stream(version, 2_000);
        let mut g = c.benchmark_group("decode_stream");
        g.throughput(Throughput::Bytes(stream.len() as u64));
        g.bench_function(BenchmarkId::new("decoder_1460B_chunks", vname), |b| {
            let mut buf = BytesMut::with_capacity(64 * 1024);
            b.iter(|| {
                let mut decoder = Decoder::new(version);
                let mut n = 0;
                for chunk in stream.chunks(1460) {
                    buf.extend_from_slice(chunk);
                    while let Some(packet) = decoder.decode(&mut buf).unwrap() {
                        black_box(&packet);
                        n += 1;
                    }
                }
                assert_eq!(n, count);
                n
            })
        });
        g.bench_function(BenchmarkId::new("slice_whole", vname), |b| {
            b.iter(|| {
                let mut rest: &[u8] = black_box(&stream);
                let mut n = 0;
                while let Some((packet, used)) = decode_slice(rest, version, MAX).unwrap() {
                    black_box(&packet);
                    rest = &rest[used..];
                    n += 1;
                }
                assert_eq!(n, count);
                n
            })
        });
        g.bench_function(BenchmarkId::new("floor_copy", vname), |b| {
            let mut out = Vec::with_capacity(stream.len());
            b.iter(|| {
                out.clear();
                out.extend_from_slice(black_box(&stream));
                out.len()
            })
        });
        g.bench_function(BenchmarkId::new("floor_header_walk", vname), |b| {
            b.iter(|| {
                let n = walk_headers(black_box(&stream));
                assert_eq!(n, count);
                n
            })
        });
        g.finish();

        // Many small PUBLISH packets back to back: the workload of the comparison benches.
        let one = encode(&publish(1, 64), version);
        let many: Bytes = one
            .iter()
            .copied()
            .cycle()
            .take(one.len() * 10_000)
            .collect();
        let mut g = c.benchmark_group("decode_small_publish_x10000");
        g.throughput(Throughput::Elements(10_000));
        g.bench_function(BenchmarkId::new("slice", vname), |b| {
            b.iter(|| {
                let mut rest: &[u8] = black_box(&many);
                while let Some((packet, used)) = decode_slice(rest, version, MAX).unwrap() {
                    debug_assert!(matches!(packet, Packet::Publish(_)));
                    black_box(&packet);
                    rest = &rest[used..];
                }
            })
        });
        g.bench_function(BenchmarkId::new("bytes", vname), |b| {
            b.iter(|| {
                let mut offset = 0;
                while let Some((packet, used)) =
                    decode(&many.slice(offset..), version, MAX).unwrap()
                {
                    black_box(&packet);
                    offset += used;
                }
            })
        });
        g.bench_function(BenchmarkId::new("decoder", vname), |b| {
            b.iter_batched_ref(
                || BytesMut::from(&many[..]),
                |buf| {
                    let mut decoder = Decoder::new(version);
                    while let Some(packet) = decoder.decode(buf).unwrap() {
                        black_box(&packet);
                    }
                },
                criterion::BatchSize::LargeInput,
            )
        });
        g.bench_function(BenchmarkId::new("floor_header_walk", vname), |b| {
            b.iter(|| walk_headers(black_box(&many)))
        });
        g.finish();
    }
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
    targets = publish_benches, control_benches, stream_benches
}
criterion_main!(benches);
