//! Memory held for one decoded packet stays within twice its wire size, however many topic
//! filters a SUBSCRIBE or UNSUBSCRIBE carries: the filter list is kept as a slice of the frame,
//! not as one heap object per filter.
//!
//! A tracking global allocator wraps `System` and keeps, per thread, the bytes currently allocated
//! and the highest value reached. The crate forbids `unsafe`; implementing `GlobalAlloc` needs
//! it, so it lives in this test file only.
//!
//! Run with `cargo test --test peak_heap -- --nocapture` to see the measured peaks.

use bytes::BytesMut;
use mqtt_wire::{Decoder, Packet, Version, decode_slice};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

struct TrackingAllocator;

thread_local! {
    // Const-initialised and without a destructor: reading them never allocates.
    static CURRENT: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn grow(bytes: usize) {
    // `try_with`: the allocator also runs while thread-locals are being torn down.
    let _ = CURRENT.try_with(|c| {
        let now = c.get() + bytes;
        c.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
    });
}

fn shrink(bytes: usize) {
    let _ = CURRENT.try_with(|c| c.set(c.get().saturating_sub(bytes)));
}

// SAFETY: every method forwards its arguments unchanged to `System`, which implements the
// `GlobalAlloc` contract; the only other work is updating thread-local counters, which neither
// allocates nor unwinds.
unsafe impl GlobalAlloc for TrackingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        // SAFETY: the caller's guarantees for `alloc` are passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Counted as if the old and new blocks coexisted for a moment (the worst case).
        grow(new_size);
        shrink(layout.size());
        // SAFETY: `ptr` was allocated by `System` through this allocator with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrink(layout.size());
        // SAFETY: `ptr` was allocated by `System` through this allocator with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: TrackingAllocator = TrackingAllocator;

/// Runs `f` and returns the most heap it held above what was allocated before, with its value.
fn peak_above_start<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let start = CURRENT.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let value = f();
    (PEAK.with(Cell::get) - start, value)
}

const FILTERS: usize = 250_000;

/// A SUBSCRIBE (or UNSUBSCRIBE) of `FILTERS` one-character filters for `version`.
fn packet(subscribe: bool, version: Version) -> Vec<u8> {
    let mut body = vec![0x00, 0x01]; // packet identifier 1
    if version.is_v5() {
        body.push(0); // Property Length
    }
    for i in 0..FILTERS {
        body.extend_from_slice(&[0x00, 0x01, b'a' + (i % 26) as u8]);
        if subscribe {
            body.push(0x01); // QoS 1
        }
    }
    let mut wire = vec![if subscribe { 0x82 } else { 0xA2 }];
    let mut len = body.len();
    loop {
        let byte = (len % 128) as u8;
        len /= 128;
        if len == 0 {
            wire.push(byte);
            break;
        }
        wire.push(byte | 0x80);
    }
    wire.extend_from_slice(&body);
    wire
}

fn filter_count(packet: &Packet<impl mqtt_wire::Buffer>) -> usize {
    match packet {
        Packet::Subscribe(s) => s.filters.len(),
        Packet::Unsubscribe(u) => u.filters.len(),
        other => panic!("unexpected {other:?}"),
    }
}

fn cases() -> Vec<(String, Version, Vec<u8>)> {
    let mut cases = Vec::new();
    for version in [Version::V3_1_1, Version::V5] {
        for (name, subscribe) in [("SUBSCRIBE", true), ("UNSUBSCRIBE", false)] {
            let bytes = packet(subscribe, version);
            cases.push((format!("{name} {version}"), version, bytes));
        }
    }
    cases
}

#[test]
fn the_tracker_sees_a_copy_of_the_packet() {
    let wire = packet(true, Version::V5);
    let (peak, copy) = peak_above_start(|| wire.to_vec());
    assert!(
        peak >= wire.len(),
        "peak {peak} below the copied {}",
        wire.len()
    );
    drop(copy);
}

#[test]
fn decode_slice_holds_at_most_twice_the_wire_size() {
    for (name, version, wire) in cases() {
        let (peak, decoded) = peak_above_start(|| {
            let packet = decode_slice(black_box(&wire), version, u32::MAX);
            black_box(packet)
        });
        let (packet, used) = decoded.expect("valid").expect("whole");
        assert_eq!(used, wire.len());
        assert_eq!(filter_count(&packet), FILTERS);
        println!(
            "decode_slice {name}: {} bytes on the wire, peak {peak} bytes",
            wire.len()
        );
        assert!(
            peak <= 2 * wire.len(),
            "{name}: held {peak} bytes for a {}-byte packet",
            wire.len()
        );
    }
}

#[test]
fn decoder_holds_at_most_twice_the_wire_size() {
    for (name, version, wire) in cases() {
        // The receive buffer counts: it becomes the frame the packet shares.
        let (peak, decoded) = peak_above_start(|| {
            let mut buf = BytesMut::from(&wire[..]);
            let packet = Decoder::new(version).decode(&mut buf);
            assert!(buf.is_empty());
            black_box(packet)
        });
        let packet = decoded.expect("valid").expect("whole");
        assert_eq!(filter_count(&packet), FILTERS);
        assert_eq!(
            match &packet {
                Packet::Subscribe(s) => s.filters.iter().count(),
                Packet::Unsubscribe(u) => u.filters.iter().count(),
                _ => 0,
            },
            FILTERS
        );
        println!(
            "Decoder {name}: {} bytes on the wire, peak {peak} bytes",
            wire.len()
        );
        assert!(
            peak <= 2 * wire.len(),
            "{name}: held {peak} bytes for a {}-byte packet",
            wire.len()
        );
    }
}
