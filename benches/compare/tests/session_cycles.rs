//! The session cycles of `benches/session.rs` do the work they claim, for every client: the
//! transmitted bytes are the expected packets (checked by a small parser here, not by any
//! client's codec), the completion and message events appear, and packet identifiers are
//! reused correctly over many cycles. Also counts heap allocations per cycle:
//! `cargo test --release --test session_cycles -- --nocapture` prints the table.

use mqtt_wire_compare::session_cycles::{clients, Cycle, SessionCycles, INBOUND_PID};
use mqtt_wire_compare::{small_payload, wire, Proto, TOPIC};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to `System` unchanged; bumping a const thread-local neither allocates nor
// unwinds.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// One packet as this test's parser sees it.
#[derive(Debug, PartialEq, Eq)]
enum Sent {
    /// A PUBLISH: QoS, packet identifier (0 for QoS 0), and whether the topic and payload are
    /// the benchmark's.
    Publish {
        qos: u8,
        pid: u16,
        same_message: bool,
    },
    /// PUBACK (0x40), PUBREC (0x50), PUBREL (0x62) or PUBCOMP (0x70), with a success code.
    Ack { first: u8, pid: u16 },
}

fn varint(buf: &[u8]) -> (usize, usize) {
    let (mut v, mut i) = (0usize, 0usize);
    loop {
        let b = buf[i];
        v |= usize::from(b & 0x7f) << (7 * i);
        i += 1;
        if b & 0x80 == 0 {
            return (v, i);
        }
    }
}

fn parse(proto: Proto, mut tx: &[u8]) -> Vec<Sent> {
    let mut out = Vec::new();
    while !tx.is_empty() {
        let total = wire::frame_len(tx).expect("whole packets only");
        let (len, n) = varint(&tx[1..]);
        assert_eq!(1 + n + len, total);
        let body = &tx[1 + n..total];
        let first = tx[0];
        if first >> 4 == 3 {
            let qos = (first >> 1) & 3;
            assert_eq!(first & 0x09, 0, "DUP 0, RETAIN 0");
            let tlen = usize::from(u16::from_be_bytes([body[0], body[1]]));
            let topic = &body[2..2 + tlen];
            let mut at = 2 + tlen;
            let mut pid = 0;
            if qos > 0 {
                pid = u16::from_be_bytes([body[at], body[at + 1]]);
                at += 2;
            }
            if proto == Proto::V5 {
                let (plen, n) = varint(&body[at..]);
                assert_eq!(plen, 0, "no properties");
                at += n;
            }
            let payload = &body[at..];
            out.push(Sent::Publish {
                qos,
                pid,
                same_message: topic == TOPIC.as_bytes() && payload == &small_payload()[..],
            });
        } else {
            assert!(body.len() >= 2, "{first:#x}: a packet identifier");
            if body.len() > 2 {
                assert_eq!(body[2], 0, "{first:#x}: success");
            }
            out.push(Sent::Ack {
                first,
                pid: u16::from_be_bytes([body[0], body[1]]),
            });
        }
        tx = &tx[total..];
    }
    out
}

fn check_transmitted(client: &dyn SessionCycles, proto: Proto, cycle: Cycle, run: usize) {
    let sent = parse(proto, client.transmitted());
    let what = format!("{} {} run {run}: {sent:?}", client.name(), cycle.name());
    match cycle {
        Cycle::PublishQos0 => assert_eq!(
            sent,
            [Sent::Publish {
                qos: 0,
                pid: 0,
                same_message: true
            }],
            "{what}"
        ),
        Cycle::PublishQos1 => {
            assert!(
                matches!(sent[..], [Sent::Publish { qos: 1, pid, same_message: true }] if pid != 0),
                "{what}"
            );
        }
        Cycle::PublishQos2 => match sent[..] {
            [Sent::Publish {
                qos: 2,
                pid,
                same_message: true,
            }, Sent::Ack {
                first: 0x62,
                pid: rel,
            }] => assert!(pid != 0 && pid == rel, "{what}"),
            _ => panic!("{what}"),
        },
        Cycle::ReceiveQos0 => assert!(sent.is_empty(), "{what}"),
        Cycle::ReceiveQos1 => assert_eq!(
            sent,
            [Sent::Ack {
                first: 0x40,
                pid: INBOUND_PID
            }],
            "{what}"
        ),
    }
}

/// 300 runs of each cycle: more than `rumqttc`'s 100 identifiers in flight, so identifiers are
/// reused, and each run must transmit and report the same.
#[test]
fn every_cycle_does_the_work() {
    let mut seen = 0;
    for proto in [Proto::V311, Proto::V5] {
        let mut all = clients(proto);
        for cycle in Cycle::ALL {
            for client in all.iter_mut() {
                for run in 0..300 {
                    let got = client.run(cycle);
                    assert_eq!(
                        got,
                        cycle.expected(),
                        "{} {} run {run}",
                        client.name(),
                        cycle.name()
                    );
                    check_transmitted(client.as_ref(), proto, cycle, run);
                }
                seen += 1;
            }
        }
    }
    let per_proto = if cfg!(feature = "mqtt-wire") { 3 } else { 2 };
    assert_eq!(seen, 2 * 5 * per_proto);
}

/// Interleaving the cycles on one client keeps working (no state leaks from one to the next).
#[test]
fn cycles_interleave() {
    for proto in [Proto::V311, Proto::V5] {
        for mut client in clients(proto) {
            for run in 0..200 {
                for cycle in Cycle::ALL {
                    assert_eq!(client.run(cycle), cycle.expected(), "{}", client.name());
                    check_transmitted(client.as_ref(), proto, cycle, run);
                }
            }
        }
    }
}

/// Heap allocations per cycle after warm-up. mqtt-wire promises none for a QoS 0 publish and a
/// received QoS 0 message.
#[test]
fn allocations_per_cycle() {
    const WARM_UP: u64 = 200;
    const RUNS: u64 = 1000;
    println!("| client | cycle | allocations per cycle |");
    println!("|---|---|---|");
    for proto in [Proto::V311, Proto::V5] {
        let mut all = clients(proto);
        for cycle in Cycle::ALL {
            for client in all.iter_mut() {
                for _ in 0..WARM_UP {
                    client.run(cycle);
                }
                let before = ALLOCATIONS.with(Cell::get);
                for _ in 0..RUNS {
                    std::hint::black_box(client.run(cycle));
                }
                let n = ALLOCATIONS.with(Cell::get) - before;
                println!(
                    "| {} | {} | {} |",
                    client.name(),
                    cycle.name(),
                    n as f64 / RUNS as f64
                );
                if client.name().starts_with("mqtt-wire/")
                    && matches!(cycle, Cycle::PublishQos0 | Cycle::ReceiveQos0)
                {
                    assert_eq!(n, 0, "{} {}", client.name(), cycle.name());
                }
            }
        }
    }
}
