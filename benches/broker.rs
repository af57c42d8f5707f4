//! The broker core's data structures at scale: matching a published topic against 100,000
//! subscriptions, and finding the retained messages of a new subscription among 100,000
//! retained topics (workloads in `common/broker.rs`).
//!
//! `cargo bench --bench broker --features broker`

#[path = "common/broker.rs"]
mod workload;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use mqtt_wire::broker::Matches;
use std::hint::black_box;
use workload::*;

fn subscription_matching(c: &mut Criterion) {
    let tree = subscription_tree();
    let mut g = c.benchmark_group("subscription_tree_100k");
    let mut out = Matches::new();
    tree.matches_into(TYPICAL_TOPIC, None, &mut out);
    println!(
        "{TYPICAL_TOPIC}: {} deliveries, {} shared groups, {} matching subscriptions",
        out.deliveries().len(),
        out.shared().len(),
        out.subscriptions().len() + out.shared().map(|s| s.members.len()).sum::<usize>()
    );
    for (name, topic) in [("typical", TYPICAL_TOPIC), ("unmatched", UNMATCHED_TOPIC)] {
        g.bench_function(BenchmarkId::new("matches_into", name), |b| {
            b.iter(|| {
                tree.matches_into(black_box(topic), Some(3), &mut out);
                out.deliveries().len()
            })
        });
    }
    // Many different topics in turn, so the walk does not always hit the same cache lines.
    let mut rng = Rng::new(11);
    let topics: Vec<String> = (0..1024)
        .map(|_| {
            let (b, f, s) = (rng.below(BUILDINGS), rng.below(FLOORS), rng.below(SENSORS));
            format!("building/{b}/floor/{f}/sensor/{s}")
        })
        .collect();
    let mut i = 0;
    g.bench_function(
        BenchmarkId::new("matches_into", "random_sensor_topic"),
        |b| {
            b.iter(|| {
                i = (i + 1) % topics.len();
                tree.matches_into(black_box(&topics[i]), None, &mut out);
                out.deliveries().len()
            })
        },
    );
    g.finish();
}

fn retained_lookup(c: &mut Criterion) {
    let store = retained_store();
    let mut g = c.benchmark_group("retained_store_100k");
    for (filter, expected) in RETAINED_FILTERS {
        assert_eq!(store.matching(filter).count(), expected, "{filter}");
        g.bench_function(BenchmarkId::new("matching", filter), |b| {
            b.iter(|| store.matching(black_box(filter)).count())
        });
    }
    g.finish();
}

criterion_group!(benches, subscription_matching, retained_lookup);
criterion_main!(benches);
