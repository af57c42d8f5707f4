#![no_main]
// Body: `mqtt_wire::fuzzing::encode` (see src/fuzzing/unconstrained.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| mqtt_wire::fuzzing::encode(data));
