#![no_main]
// Body: `mqtt_wire::fuzzing::client_session` (see src/fuzzing/client_session.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| mqtt_wire::fuzzing::client_session(data));
