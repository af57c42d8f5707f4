//! Matching a published topic against the subscription tree allocates nothing in steady state:
//! once a reused `Matches` has grown to the largest answer, `matches_into` makes no heap
//! allocation, over the 100,000-subscription workload of the benches. Neither does routing a
//! QoS 0 PUBLISH through the broker core, bytes in to bytes out, from a connected publisher to a
//! connected subscriber (the rigs of `benches/broker_core.rs`).
//!
//! A counting global allocator wraps `System` and counts, per thread, every `alloc`,
//! `alloc_zeroed` and `realloc`. The crate forbids `unsafe`; implementing `GlobalAlloc` needs
//! it, so it lives in this test file only.
//!
//! Run with `cargo test --features broker --test broker_alloc -- --nocapture` to see the counts.

#[path = "../benches/common/broker_core.rs"]
mod rig;
#[path = "../benches/common/broker.rs"]
mod workload;

use mqtt_wire::broker::{Matches, SubscriptionTree};
use mqtt_wire::{QoS, SubscriptionOptions, TopicFilter, Version};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use workload::*;

struct CountingAllocator;

thread_local! {
    // Const-initialised and without a destructor: reading it never allocates.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    static ALLOCATED_BYTES: Cell<u64> = const { Cell::new(0) };
}

fn count(size: usize) {
    // `try_with`: the allocator also runs while thread-locals are being torn down.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
    let _ = ALLOCATED_BYTES.try_with(|c| c.set(c.get() + size as u64));
}

// SAFETY: every method forwards its arguments unchanged to `System`, which implements the
// `GlobalAlloc` contract; the only other work is bumping a thread-local counter, which neither
// allocates nor unwinds.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: the caller's guarantees for `alloc` are passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: `ptr` was allocated by `System` through this allocator with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` through this allocator with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// The allocations `f` makes on this thread.
fn allocations(f: impl FnOnce()) -> u64 {
    heap(f).0
}

/// The allocations `f` makes on this thread, and the bytes they ask for.
fn heap(f: impl FnOnce()) -> (u64, u64) {
    let before = (ALLOCATIONS.with(Cell::get), ALLOCATED_BYTES.with(Cell::get));
    f();
    (
        ALLOCATIONS.with(Cell::get) - before.0,
        ALLOCATED_BYTES.with(Cell::get) - before.1,
    )
}

fn random_topics(n: usize) -> Vec<String> {
    let mut rng = Rng::new(11);
    (0..n)
        .map(|_| {
            let (b, f, s) = (rng.below(BUILDINGS), rng.below(FLOORS), rng.below(SENSORS));
            format!("building/{b}/floor/{f}/sensor/{s}")
        })
        .collect()
}

#[test]
fn matching_with_a_reused_buffer_does_not_allocate() {
    let tree = subscription_tree();
    let topics = random_topics(2_000);
    let mut out = Matches::new();

    let first = allocations(|| tree.matches_into(TYPICAL_TOPIC, None, &mut out));
    let deliveries = out.deliveries().len();
    let groups = out.shared().len();
    assert!(deliveries >= 15, "{deliveries}");
    assert_eq!(groups, 10);
    println!(
        "first match of {TYPICAL_TOPIC} ({deliveries} deliveries, {groups} shared groups): \
         {first} allocations (the buffers growing)"
    );

    let steady = allocations(|| {
        for _ in 0..1_000 {
            tree.matches_into(black_box(TYPICAL_TOPIC), Some(3), &mut out);
        }
    });
    println!("1,000 more matches of {TYPICAL_TOPIC}: {steady} allocations");
    assert_eq!(steady, 0);

    // Different topics: once the buffers fit the largest answer, none allocates.
    let warm = allocations(|| {
        for topic in &topics {
            tree.matches_into(topic, None, &mut out);
        }
    });
    let again = allocations(|| {
        for topic in &topics {
            tree.matches_into(black_box(topic), None, &mut out);
        }
    });
    println!("2,000 random sensor topics: {warm} allocations the first time, {again} the second");
    assert_eq!(again, 0);

    let unmatched = allocations(|| tree.matches_into(UNMATCHED_TOPIC, None, &mut out));
    assert_eq!(unmatched, 0);
    assert!(out.is_empty());
}

#[test]
fn only_topics_deeper_than_the_inline_stack_allocate_a_spill() {
    // Filters `+`×i then `x`×(40-i): along the chain of `+` nodes each level leaves its literal
    // `x` branch pending, so matching `x`×40 keeps about 40 branches, more than the 32 the
    // walk holds on the call stack.
    let levels = 40;
    let mut tree = SubscriptionTree::new();
    let options = SubscriptionOptions::qos(QoS::AtMostOnce);
    for i in 0..=levels {
        let mut filter = vec!["+"; i];
        filter.extend(vec!["x"; levels - i]);
        let filter = TopicFilter::try_from(filter.join("/")).unwrap();
        tree.insert(i as u32, filter, options, None);
    }
    let topic = vec!["x"; levels].join("/");
    let mut out = Matches::new();
    tree.matches_into(&topic, None, &mut out);
    assert_eq!(out.deliveries().len(), levels + 1);
    let deep = allocations(|| tree.matches_into(&topic, None, &mut out));
    println!("a {levels}-level topic that keeps ~{levels} branches pending: {deep} allocations");
    assert!((1..=8).contains(&deep), "{deep}");
    // Up to 32 pending branches stay on the call stack.
    let shallow = vec!["x"; 30].join("/");
    let mut tree = SubscriptionTree::new();
    for i in 0..=30 {
        let mut filter = vec!["+"; i];
        filter.extend(vec!["x"; 30 - i]);
        let filter = TopicFilter::try_from(filter.join("/")).unwrap();
        tree.insert(i as u32, filter, options, None);
    }
    tree.matches_into(&shallow, None, &mut out);
    assert_eq!(out.deliveries().len(), 31);
    assert_eq!(
        allocations(|| tree.matches_into(&shallow, None, &mut out)),
        0
    );
}

#[test]
fn retained_lookup_allocates_only_its_stack() {
    let store = retained_store();
    for (filter, expected) in RETAINED_FILTERS {
        let mut found = 0;
        let n = allocations(|| found = store.matching(filter).count());
        assert_eq!(found, expected, "{filter}");
        println!("retained lookup {filter}: {found} messages, {n} allocations");
        assert!(n <= 4, "{filter}: {n}");
    }
}

const WARM_UP: usize = 1_000;
const ROUNDS: usize = 1_000;

/// Warms `round` up, then returns the allocations and bytes allocated per round, the last
/// round's figures and the allocations of the whole measured run.
fn steady(mut round: impl FnMut() -> rig::Round) -> (f64, f64, rig::Round, u64) {
    for _ in 0..WARM_UP {
        round();
    }
    let mut last = rig::Round::default();
    let (n, bytes) = heap(|| {
        for _ in 0..ROUNDS {
            last = black_box(round());
        }
    });
    (
        n as f64 / ROUNDS as f64,
        bytes as f64 / ROUNDS as f64,
        last,
        n,
    )
}

const VERSIONS: [(Version, &str); 2] = [(Version::V3_1_1, "3.1.1"), (Version::V5, "5.0")];

#[test]
fn routing_a_qos0_message_to_a_connected_subscriber_allocates_nothing() {
    for (version, name) in VERSIONS {
        let mut rig = rig::Rig::new(version, 1, QoS::AtMostOnce, QoS::AtMostOnce);
        assert_eq!(rig.check().deliveries, 1);
        let (per_round, bytes, last, total) = steady(|| rig.round());
        assert_eq!(last.deliveries, 1);
        // One copy of the message is written: the PUBLISH frame, as the publisher sent it
        // (the same fixed header, topic and payload; QoS 0 carries no identifier).
        assert_eq!(last.bytes_out, rig.frame.len());
        println!(
            "{name} QoS 0, 1 to 1: {per_round} allocations ({bytes} bytes) per message; \
             {} bytes written per delivery ({} of payload)",
            last.bytes_out,
            rig::PAYLOAD
        );
        assert_eq!(total, 0, "{name}: {total} allocations in {ROUNDS} messages");
    }
}

/// Every routing case of the benches: QoS 0 ones (fan-out, and 5.0 subscriptions with a
/// Subscription Identifier, whose property set is built once) allocate nothing; the QoS 1
/// figures are reported.
#[test]
fn routing_allocations_per_message() {
    for (version, vname) in VERSIONS {
        for case in rig::cases(version) {
            let (name, subscribers, pub_qos, ..) = case;
            let mut rig = rig::Rig::case(version, case);
            assert_eq!(rig.check().deliveries, subscribers);
            let (per_round, bytes, last, total) = steady(|| rig.round());
            assert_eq!(last.deliveries, subscribers);
            println!(
                "{vname} {name}: {per_round} allocations ({bytes} bytes) per message; \
                 {} bytes written per delivery",
                last.bytes_out / subscribers
            );
            if pub_qos == QoS::AtMostOnce {
                assert_eq!(total, 0, "{vname} {name}: {total} allocations");
            }
        }
    }
}

/// A 64 KiB payload through fan-out to 10 subscribers, QoS 0 and 1: nothing is allocated in
/// steady state, so no subscriber's copy holds a payload of its own (the message shares the
/// publisher's frame); each subscriber is written exactly one frame of the publisher's size
/// (with its Subscription Identifier, if any).
#[test]
fn a_large_payload_is_shared_not_copied_per_subscriber() {
    let size = 64 * 1024;
    for (version, vname) in VERSIONS {
        for case in rig::cases(version).filter(|c| c.0.starts_with("fanout10_")) {
            let mut rig = rig::Rig::case_with_payload(version, case, size);
            assert_eq!(rig.check().deliveries, 10);
            let (_, _, mut last, total) = steady(|| rig.round());
            let (n, bytes) = heap(|| last = rig.round());
            println!(
                "{vname} {}, 64 KiB payload: {total} allocations in {ROUNDS} messages; then \
                 {n} ({bytes} bytes) for one; {} bytes written per delivery",
                case.0,
                last.bytes_out / 10
            );
            assert_eq!((total, n, bytes), (0, 0, 0), "{vname} {}", case.0);
            // The frame, plus the Subscription Identifier property (2 bytes) when there is one.
            let frame = rig.frame.len() + 2 * usize::from(rig.identifiers);
            assert_eq!(last.bytes_out, 10 * frame, "{vname} {}", case.0);
        }
    }
}

#[test]
fn retained_delivery_allocations() {
    for (version, vname) in VERSIONS {
        let mut rig = rig::RetainedRig::new(version);
        for (filter, expected) in RETAINED_FILTERS {
            let frame = rig.frame(filter);
            rig.check(&frame, expected);
            let mut last = rig::Round::default();
            let (n, bytes) = heap(|| last = rig.round(&frame));
            assert_eq!(last.deliveries, expected);
            println!(
                "{vname} SUBSCRIBE {filter} over 100,000 retained: {expected} messages, \
                 {n} allocations ({bytes} bytes), {:.2} per message",
                n as f64 / expected as f64
            );
        }
    }
}

#[test]
fn routing_through_100k_subscriptions_allocations() {
    let mut rig = rig::TreeRig::new();
    for (name, typical) in [("typical topic", true), ("random sensor topics", false)] {
        let (per_round, bytes, last, _) = steady(|| rig.round(typical));
        println!(
            "5.0 through 100,000 subscriptions, {name}: {per_round} allocations ({bytes} bytes) \
             per message ({} deliveries in the last)",
            last.deliveries
        );
    }
}
