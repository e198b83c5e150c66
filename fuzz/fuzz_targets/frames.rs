//! The `frames` target: its body is `draftroom_server::fuzzing::frames`, which
//! `cargo test` also runs on every input in `fuzz/regressions/frames/`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| draftroom_server::fuzzing::frames(data));
