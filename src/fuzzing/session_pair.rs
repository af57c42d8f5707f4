//! `session_pair` target: the deterministic simulation ([`crate::sim`]) with the fuzzer's bytes
//! as its choices: which client publishes what, which link delivers which chunk when, which
//! faults strike. A finding is a broken protocol invariant (the simulation's monitor or ledger),
//! not only a panic.

use crate::sim::{ByteSource, Sim};

/// Body of the `session_pair` target: a run of up to 150 steps, as many as the input feeds.
pub fn session_pair(data: &[u8]) {
    let steps = (data.len() / 6).min(150);
    let mut source = ByteSource::new(data);
    if let Err(e) = Sim::new(&mut source).run(steps) {
        panic!("simulation invariant broken: {e}");
    }
}
