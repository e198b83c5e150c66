#!/usr/bin/env bash
# Runs every test of Draftroom on a machine that has only cargo, node and npm:
# formatting and lints, the Rust unit and integration tests (the real server
# binary on port 0), and the interop tests with the stock Yjs client.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check
cargo fmt --manifest-path fuzz/Cargo.toml -- --check

step "cargo build (server binary the tests start)"
cargo build --workspace --all-targets

step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test"
cargo test --workspace

step "microbenchmarks build and run once (divan --test)"
cargo bench -q -p draftroom-server --bench hot_paths -- --test

step "load generator smoke run (release build, 50 followers)"
bash bench/run.sh smoke

step "npm ci (yjs, y-websocket, ws)"
(cd tests/js && npm ci --no-audit --no-fund --loglevel=error)

step "interop tests with the stock y-websocket client"
(cd tests/js && DRAFTROOM_BIN="$PWD/../../target/debug/draftroom" npm test)

step "fuzzing smoke run: regressions, then each target 40 s (cargo-fuzz, libFuzzer)"
bash fuzz/run.sh smoke 40
