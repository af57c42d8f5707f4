//! Matching a published topic against the subscription tree allocates nothing in steady state:
//! once a reused `Matches` has grown to the largest answer, `matches_into` makes no heap
//! allocation, over the 100,000-subscription workload of the benches.
//!
//! A counting global allocator wraps `System` and counts, per thread, every `alloc`,
//! `alloc_zeroed` and `realloc`. The crate forbids `unsafe`; implementing `GlobalAlloc` needs
//! it, so it lives in this test file only.
//!
//! Run with `cargo test --features broker --test broker_alloc -- --nocapture` to see the counts.

#[path = "../benches/common/broker.rs"]
mod workload;

use mqtt_wire::broker::{Matches, SubscriptionTree};
use mqtt_wire::{QoS, SubscriptionOptions, TopicFilter};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use workload::*;

struct CountingAllocator;

thread_local! {
    // Const-initialised and without a destructor: reading it never allocates.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every method forwards its arguments unchanged to `System`, which implements the
// `GlobalAlloc` contract; the only other work is bumping a thread-local counter, which neither
// allocates nor unwinds.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's guarantees for `alloc` are passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
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
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
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
