#![no_main]
// Body: `mqtt_wire::fuzzing::broker` (see src/fuzzing/broker.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| mqtt_wire::fuzzing::broker(data));
