//! The `commands` target: its body is `draftroom_server::fuzzing::commands`, which
//! `cargo test` also runs on every input in `fuzz/regressions/commands/`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| draftroom_server::fuzzing::commands(data));
