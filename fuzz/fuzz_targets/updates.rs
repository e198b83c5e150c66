//! The `updates` target: its body is `draftroom_server::fuzzing::updates`, which
//! `cargo test` also runs on every input in `fuzz/regressions/updates/`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| draftroom_server::fuzzing::updates(data));
