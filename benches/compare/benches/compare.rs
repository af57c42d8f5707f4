//! Decode/encode comparison of mqtt-wire against other Rust MQTT codecs.
//!
//! Each decode benchmark decodes a whole workload buffer (e.g. 100,000
//! packets) packet by packet; throughput is reported in packets (elements) and
//! bytes, so "time / elements" is the cost per packet.
//!
//! `BytesMut`-consuming codecs get a fresh copy of the buffer per iteration,
//! made outside the timed region (`iter_batched_ref`); the cost of that copy
//! is shown separately as `floor/memcpy`.

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode, Throughput};
use mqtt_wire_compare::{all_workloads, decoders, encoders, DecodeFn, SMALL_COUNT};
use std::hint::black_box;

fn bench_decode(c: &mut Criterion) {
    for w in all_workloads() {
        let decs = decoders(w.proto);
        // Every codec must see the same packets before we time anything.
        for d in &decs {
            let got = d.run_on(&w.data);
            assert_eq!(
                got.packets, w.packets,
                "{} on {}: packet count",
                d.name, w.name
            );
            if !d.name.starts_with("floor/") {
                assert_eq!(
                    got.payload_bytes, w.payload_bytes,
                    "{} on {}: payload bytes",
                    d.name, w.name
                );
            }
        }

        let mut g = c.benchmark_group(format!("decode/{}", w.name));
        g.sampling_mode(SamplingMode::Flat);
        g.sample_size(10);
        g.throughput(Throughput::ElementsAndBytes {
            elements: w.packets as u64,
            bytes: w.data.len() as u64,
        });

        let mut dst = vec![0u8; w.data.len()];
        g.bench_function("floor/memcpy", |b| {
            b.iter(|| {
                dst.copy_from_slice(black_box(&w.data));
                black_box(&dst);
            })
        });

        for d in &decs {
            match d.run {
                DecodeFn::Slice(f) => {
                    g.bench_function(d.name, |b| b.iter(|| black_box(f(black_box(&w.data)))));
                }
                DecodeFn::BytesMut(f) => {
                    g.bench_function(d.name, |b| {
                        b.iter_batched_ref(
                            || BytesMut::from(&w.data[..]),
                            |buf| black_box(f(buf)),
                            BatchSize::PerIteration,
                        )
                    });
                }
            }
        }
        g.finish();
    }
}

fn bench_encode(c: &mut Criterion) {
    let n = SMALL_COUNT;
    let mut cases = encoders();
    let reference = mqtt_wire_compare::encode_reference();
    for e in cases.iter_mut() {
        assert_eq!(e.once(), reference, "{}: encoded bytes differ", e.name());
    }
    let mut g = c.benchmark_group("encode/v311_qos1_small");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.throughput(Throughput::ElementsAndBytes {
        elements: n as u64,
        bytes: (n * reference.len()) as u64,
    });
    for e in cases.iter_mut() {
        let name = e.name();
        g.bench_function(name, |b| b.iter(|| black_box(e.run(n))));
    }
    g.finish();
}

criterion_group!(benches, bench_decode, bench_encode);
criterion_main!(benches);
