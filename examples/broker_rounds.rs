//! Runs rounds of the broker-core benches (`benches/broker_core.rs`) outside criterion, for an
//! instruction counter:
//!
//! ```text
//! cargo build --release --example broker_rounds --features broker
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/broker_rounds v3_1_1 1to1_qos0 10000
//! ```
//!
//! minus the same with a count of 0 (set-up and 1,000 warm-up rounds), divided by the count.
//! An optional fourth argument sets the payload size of the routing cases (default 64 bytes).
//! Cases: the routing cases `1to1_qos0`, `1to1_qos1`, `fanout10_qos0`, `fanout10_qos1`,
//! `fanout1000_qos0`, and on 5.0 `1to1_qos0_subid`, `fanout10_qos0_subid`; `retained:<filter>` (a SUBSCRIBE over 100,000 retained topics);
//! `tree_typical` and `tree_random` (5.0 only: a PUBLISH through 100,000 subscriptions).

#[path = "../benches/common/broker_core.rs"]
mod rig;
#[path = "../benches/common/broker.rs"]
mod workload;

use mqtt_wire::Version;
use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (version, case, count, payload) = match &args[..] {
        [v, c, n] => (v, c, n, rig::PAYLOAD),
        [v, c, n, p] => (v, c, n, p.parse().expect("payload size")),
        _ => {
            eprintln!("usage: broker_rounds <v3_1_1|v5_0> <case> <count> [payload bytes]");
            std::process::exit(2);
        }
    };
    let version = match version.as_str() {
        "v3_1_1" => Version::V3_1_1,
        "v5_0" => Version::V5,
        other => panic!("unknown version {other}"),
    };
    let count: usize = count.parse().expect("count");
    let warm = 1_000;
    let mut deliveries = 0;
    if let Some(filter) = case.strip_prefix("retained:") {
        let mut rig = rig::RetainedRig::new(version);
        let frame = rig.frame(filter);
        for _ in 0..warm.min(100) {
            black_box(rig.round(&frame));
        }
        for _ in 0..count {
            deliveries += black_box(rig.round(&frame)).deliveries;
        }
    } else if let Some(which) = case.strip_prefix("tree_") {
        let typical = which == "typical";
        let mut rig = rig::TreeRig::new();
        for _ in 0..warm {
            black_box(rig.round(typical));
        }
        for _ in 0..count {
            deliveries += black_box(rig.round(typical)).deliveries;
        }
    } else {
        let case = rig::cases(version)
            .find(|c| c.0 == case)
            .unwrap_or_else(|| panic!("unknown case {case}"));
        let mut rig = rig::Rig::case_with_payload(version, case, payload);
        for _ in 0..warm {
            black_box(rig.round());
        }
        for _ in 0..count {
            deliveries += black_box(rig.round()).deliveries;
        }
    }
    println!("{deliveries} deliveries");
}
