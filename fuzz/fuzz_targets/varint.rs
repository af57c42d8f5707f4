#![no_main]
// Body: `mqtt_wire::fuzzing::varint` (see src/fuzzing.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| mqtt_wire::fuzzing::varint(data));
