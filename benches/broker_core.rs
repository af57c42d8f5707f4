//! Routing cost per message through the broker core, in memory, bytes in and bytes out
//! (workloads in `common/broker_core.rs`):
//!
//! - `route/{version}/{case}`: one PUBLISH from a connected publisher, routed to 1, 10 or 1,000
//!   connected subscribers of its topic, every subscriber's bytes transmitted, and at QoS 1 the
//!   publisher's PUBACK transmitted and each subscriber's PUBACK handled. Time per message.
//!   `_subid` (5.0): every subscription has a Subscription Identifier, which each copy carries.
//! - `retained_100k/{version}/{filter}`: a SUBSCRIBE with a wildcard over 100,000 retained
//!   topics, its SUBACK and every matching retained message transmitted. Time per SUBSCRIBE;
//!   divide by the message count (in the name) for the time per message.
//! - `tree_100k/v5_0/{topic}`: one PUBLISH routed through the 100,000 subscriptions of
//!   `common/broker.rs` held by 1,000 connected sessions.
//!
//! `cargo bench --bench broker_core --features broker`

#[path = "common/broker_core.rs"]
mod rig;
#[path = "common/broker.rs"]
mod workload;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use mqtt_wire::Version;
use rig::{RetainedRig, Rig, TreeRig};
use std::time::Duration;

const VERSIONS: [(Version, &str); 2] = [(Version::V3_1_1, "v3_1_1"), (Version::V5, "v5_0")];

fn route(c: &mut Criterion) {
    for (version, vname) in VERSIONS {
        let mut g = c.benchmark_group(format!("route/{vname}"));
        for case in rig::cases(version) {
            let (name, subscribers, ..) = case;
            let mut rig = Rig::case(version, case);
            let checked = rig.check();
            assert_eq!(checked.deliveries, subscribers);
            let round = rig.round();
            assert_eq!(round.deliveries, subscribers, "{name}");
            assert_eq!(round.bytes_out, checked.bytes_out, "{name}");
            g.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.iter(|| rig.round())
            });
        }
        g.finish();
    }
}

fn retained(c: &mut Criterion) {
    for (version, vname) in VERSIONS {
        let mut rig = RetainedRig::new(version);
        let mut g = c.benchmark_group(format!("retained_100k/{vname}"));
        for (filter, expected) in workload::RETAINED_FILTERS {
            if !filter.contains(['+', '#']) {
                continue;
            }
            let frame = rig.frame(filter);
            rig.check(&frame, expected);
            assert_eq!(rig.round(&frame).deliveries, expected);
            g.bench_function(
                BenchmarkId::from_parameter(format!("{filter} ({expected})")),
                |b| b.iter(|| rig.round(&frame)),
            );
        }
        g.finish();
    }
}

fn tree(c: &mut Criterion) {
    let mut rig = TreeRig::new();
    let typical = rig.round(true).deliveries;
    println!("{}: {typical} deliveries", rig::TOPIC);
    let mut g = c.benchmark_group("tree_100k/v5_0");
    g.bench_function(BenchmarkId::from_parameter("typical_topic"), |b| {
        b.iter(|| rig.round(true))
    });
    g.bench_function(BenchmarkId::from_parameter("random_sensor_topic"), |b| {
        b.iter(|| rig.round(false))
    });
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
    targets = route, retained, tree
}
criterion_main!(benches);
