#![no_main]
// Body: `mqtt_wire::fuzzing::server_session` (see src/fuzzing/server_session.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| mqtt_wire::fuzzing::server_session(data));
