#![no_main]
// Body: `mqtt_wire::fuzzing::stream` (see src/fuzzing.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| mqtt_wire::fuzzing::stream(data));
