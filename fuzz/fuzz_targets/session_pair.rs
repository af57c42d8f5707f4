#![no_main]
// Body: `mqtt_wire::fuzzing::session_pair` (see src/fuzzing/session_pair.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| mqtt_wire::fuzzing::session_pair(data));
