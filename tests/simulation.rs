//! Deterministic simulation: client sessions and the broker core over faulty in-memory links
//! with a virtual clock (`mqtt_wire::sim`). Each seed is a whole run: faults, then quiet, then
//! the ledger's checks. A failure prints its seed and the command that replays it.
//!
//! `SIM_SEEDS=10000 cargo test --release --features broker --test simulation` runs more seeds;
//! `SIM_SEED=<n>` replays one.

use mqtt_wire::sim::{FAULTS, Report, run_seed};

const STEPS: usize = 2_000;

fn run(seed: u64) -> Report {
    match run_seed(seed, STEPS) {
        Ok(report) => report,
        Err(e) => panic!(
            "seed {seed} failed: {e}\nreplay: SIM_SEED={seed} cargo test --features broker --test simulation -- --nocapture"
        ),
    }
}

#[test]
fn seeds() {
    if let (Ok(seed), Ok(trace)) = (std::env::var("SIM_SEED"), std::env::var("SIM_TRACE")) {
        // SIM_TRACE=<publisher>,<seq>: the story of one message.
        let (p, seq) = trace.split_once(',').expect("SIM_TRACE=<publisher>,<seq>");
        let r = mqtt_wire::sim::trace_seed(
            seed.parse().expect("a seed"),
            STEPS,
            p.parse().expect("a publisher"),
            seq.parse().expect("a sequence number"),
        );
        println!("{r:?}");
        return;
    }
    if let Ok(seed) = std::env::var("SIM_SEED") {
        let report = run(seed.parse().expect("SIM_SEED is a number"));
        println!("{report:?}");
        return;
    }
    let n: u64 = std::env::var("SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let mut total = Report::default();
    for seed in 0..n {
        let r = run(seed);
        total.steps += r.steps;
        total.published += r.published;
        total.delivered += r.delivered;
        total.wills += r.wills;
        for (t, f) in total.faults.iter_mut().zip(r.faults) {
            *t += f;
        }
    }
    println!(
        "{n} seeds x {STEPS} steps: {} published, {} delivered, {} wills",
        total.published, total.delivered, total.wills
    );
    for (name, count) in FAULTS.iter().zip(total.faults) {
        println!("  {name}: {count}");
    }
    // The runs exercised every kind of fault.
    assert!(total.faults.iter().all(|&f| f > 0), "{:?}", total.faults);
    assert!(total.delivered > 0);
}

/// Seeds that once found a defect (`testdata/sim/regressions.txt`), replayed forever.
#[test]
fn seeds_that_once_failed() {
    let list = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/sim/regressions.txt"
    ))
    .expect("testdata/sim/regressions.txt");
    let seeds: Vec<u64> = list
        .lines()
        .filter_map(|l| l.split('#').next())
        .filter_map(|l| l.split_whitespace().next())
        .map(|s| s.parse().expect("a seed"))
        .collect();
    assert!(!seeds.is_empty());
    for seed in seeds {
        run(seed);
    }
}
