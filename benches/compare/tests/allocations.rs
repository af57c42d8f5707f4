//! Heap allocations per decoded packet, for every codec on every workload, counted by a global
//! allocator. `cargo test --release --test allocations -- --nocapture` prints the table.
//!
//! mqtt-wire promises no allocation per decoded PUBLISH, whatever its properties (User Properties
//! included): the borrowed path allocates nothing at all, and the streaming decoder allocates once
//! per buffer (when `BytesMut` first hands out a shared frame), not per packet.

use mqtt_wire_compare::{all_workloads, decoders, DecodeFn, Decoder};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made while `decoder` decodes `data`; the input buffer is made beforehand.
fn count(decoder: &Decoder, data: &[u8]) -> usize {
    match decoder.run {
        DecodeFn::Slice(f) => {
            let before = ALLOCATIONS.load(Relaxed);
            std::hint::black_box(f(data));
            ALLOCATIONS.load(Relaxed) - before
        }
        DecodeFn::BytesMut(f) => {
            let mut buf = bytes::BytesMut::from(data);
            let before = ALLOCATIONS.load(Relaxed);
            std::hint::black_box(f(&mut buf));
            ALLOCATIONS.load(Relaxed) - before
        }
    }
}

#[test]
fn allocations_per_packet() {
    println!("| workload | codec | allocations | per packet |");
    println!("|---|---|---|---|");
    let mut checked = 0;
    for w in all_workloads() {
        for d in decoders(w.proto) {
            let n = count(&d, &w.data);
            println!(
                "| {} | {} | {} | {:.2} |",
                w.name,
                d.name,
                n,
                n as f64 / w.packets as f64
            );
            if d.name.starts_with("mqtt-wire/") {
                checked += 1;
                if d.name == "mqtt-wire/decode_slice" {
                    assert_eq!(n, 0, "{} on {}", d.name, w.name);
                } else {
                    // The first split of a `BytesMut` makes its storage shareable.
                    assert!(n <= 1, "{} on {}: {n}", d.name, w.name);
                }
            }
        }
    }
    assert!(checked > 0 || !cfg!(feature = "mqtt-wire"));
}
