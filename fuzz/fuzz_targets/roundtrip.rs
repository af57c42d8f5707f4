#![no_main]
// Body: `mqtt_wire::fuzzing::roundtrip` (see src/fuzzing.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| mqtt_wire::fuzzing::roundtrip(data));
