//! Client session overhead per message, I/O excluded: one cycle per iteration for each client
//! (see `src/session_cycles.rs` for what a cycle includes). Groups `session/<version>/<cycle>`,
//! one benchmark per client; time per iteration is the cost of one message.
//!
//! ```sh
//! cargo bench --bench session
//! cargo bench --bench session --profile bench-lto
//! ```

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mqtt_wire_compare::session_cycles::{clients, Cycle};
use mqtt_wire_compare::Proto;
use std::hint::black_box;

fn bench_session(c: &mut Criterion) {
    for (proto, version) in [(Proto::V311, "v3_1_1"), (Proto::V5, "v5_0")] {
        let mut all = clients(proto);
        for cycle in Cycle::ALL {
            // Every client must do the cycle's work before anything is timed.
            for client in all.iter_mut() {
                for _ in 0..3 {
                    assert_eq!(
                        client.run(cycle),
                        cycle.expected(),
                        "{} {}",
                        client.name(),
                        cycle.name()
                    );
                }
            }
            let mut g = c.benchmark_group(format!("session/{version}/{}", cycle.name()));
            g.throughput(Throughput::Elements(1));
            for client in all.iter_mut() {
                let name = client.name().split('/').next().unwrap_or("?");
                g.bench_function(name, |b| b.iter(|| black_box(client.run(black_box(cycle)))));
            }
            g.finish();
        }
    }
}

criterion_group!(benches, bench_session);
criterion_main!(benches);
