//! Runs one codec over one workload, for an instruction count that does not depend on what
//! else the machine is doing:
//!
//! ```sh
//! cargo build --release --example instructions        # or --profile bench-lto
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/instructions decode/v311_qos1_small mqtt-wire/decode_slice 10
//! ```
//!
//! `ARGS`: a workload (`decode/<name>` as in the criterion groups, or `encode`), a codec name
//! (as in the criterion benches), and how many times to run it. Subtract a run with count 0
//! (setup only) and divide by the packets run.

use bytes::BytesMut;
use mqtt_wire_compare::{all_workloads, decoders, encoders, DecodeFn, SMALL_COUNT};
use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [workload, codec, count] = &args[..] else {
        eprintln!("usage: instructions decode/<workload>|encode <codec> <count>");
        std::process::exit(2);
    };
    let count: usize = count.parse().expect("a count");
    if workload == "encode" {
        let mut cases = encoders();
        let case = cases
            .iter_mut()
            .find(|e| e.name() == codec)
            .expect("an encoder of that name");
        for _ in 0..count {
            black_box(case.run(SMALL_COUNT));
        }
        println!("{} packets", count * SMALL_COUNT);
        return;
    }
    let name = workload.strip_prefix("decode/").unwrap_or(workload);
    let w = all_workloads()
        .into_iter()
        .find(|w| w.name == name)
        .expect("a workload of that name");
    let d = decoders(w.proto)
        .into_iter()
        .find(|d| d.name == codec)
        .expect("a decoder of that name");
    let mut copies: Vec<BytesMut> = (0..count).map(|_| BytesMut::from(&w.data[..])).collect();
    for copy in &mut copies {
        match d.run {
            DecodeFn::Slice(f) => black_box(f(black_box(&w.data))),
            DecodeFn::BytesMut(f) => black_box(f(copy)),
        };
    }
    println!("{} packets", count * w.packets);
}
