#![no_main]
// Body: `mqtt_wire::fuzzing::decode` (see src/fuzzing.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| mqtt_wire::fuzzing::decode(data));
