//! Runs one client's session cycle `COUNT` times after a warm-up, for an instruction count that
//! does not depend on what else the machine is doing:
//!
//! ```sh
//! cargo build --release --example session_instructions      # or --profile bench-lto
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/session_instructions v3_1_1 publish_qos1 mqtt-wire 10000
//! ```
//!
//! `ARGS`: the version (`v3_1_1` or `v5_0`), a cycle (as in the criterion groups
//! `session/<version>/<cycle>`), a client (`mqtt-wire`, `rumqttc`, `mqtt-protocol-core`) and how
//! many cycles to run. Subtract a run with count 0 (connection set-up and the 1,000 warm-up
//! cycles only) and divide by the count.

use mqtt_wire_compare::session_cycles::{clients, Cycle};
use mqtt_wire_compare::Proto;
use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [version, cycle, client, count] = &args[..] else {
        eprintln!("usage: session_instructions v3_1_1|v5_0 <cycle> <client> <count>");
        std::process::exit(2);
    };
    let proto = match version.as_str() {
        "v3_1_1" => Proto::V311,
        "v5_0" => Proto::V5,
        _ => panic!("a version: v3_1_1 or v5_0"),
    };
    let cycle = Cycle::ALL
        .into_iter()
        .find(|c| c.name() == cycle)
        .expect("a cycle of that name");
    let count: usize = count.parse().expect("a count");
    let mut client = clients(proto)
        .into_iter()
        .find(|c| c.name().split('/').next() == Some(client.as_str()))
        .expect("a client of that name");
    for _ in 0..1000 {
        assert_eq!(client.run(cycle), cycle.expected());
    }
    for _ in 0..count {
        black_box(client.run(black_box(cycle)));
    }
    println!("{} {} x{count}", client.name(), cycle.name());
}
