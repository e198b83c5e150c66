#!/usr/bin/env bash
# Runs every test of Draftroom on a machine that has only cargo, node and npm:
# formatting and lints, the Rust unit and integration tests (the real server
# binary on port 0), the interop tests with the stock Yjs client, the web
# app's unit tests and build, and the browser suite in Debian's Chromium
# (installed by tests/browser/install-chromium.sh when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step says when it starts (minutes:seconds since the start), so a
# slow step shows in the log.
step() { printf '\n==> [%d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

# PostgreSQL and Redis on free loopback ports, for the tests of the
# PostgreSQL store and of several processes; stopped however this ends.
source tests/services.sh
trap services_stop EXIT

step "cargo fmt --check"
cargo fmt --all -- --check
cargo fmt --manifest-path fuzz/Cargo.toml -- --check

step "cargo build (every target; the JS and browser suites below start target/debug/draftroom)"
cargo build --workspace --all-targets

step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

# The integration tests (tests/integration) are a test target of
# draftroom-server: Cargo builds the binary before them and they start the
# path it gives them, so they run once here, against these sources.
step "cargo doc (its links checked, the server's private items too)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps
RUSTDOCFLAGS="-D warnings" cargo doc -p draftroom-server --no-deps --document-private-items

step "PostgreSQL and Redis for the tests (tests/services.sh)"
services_start

step "cargo test"
cargo test --workspace

step "the integration tests again, every server storing in PostgreSQL"
# The backup and disk-fault tests are about the SQLite file and its disk;
# the cluster and ownership tests ran above, on PostgreSQL already.
DRAFTROOM_TEST_STORE=postgres cargo test -p draftroom-server --test integration -- \
  --skip backup:: --skip disk_faults:: --skip cluster:: --skip owners::

step "microbenchmarks build and run once (divan --test)"
cargo bench -q -p draftroom-server --bench hot_paths -- --test

step "load generator smoke run (release build: 50 followers; three processes of Draftroom and of Hocuspocus, 20 observers each)"
bash bench/run.sh smoke

step "web app: npm ci, unit tests, type-check and build; the committed web/dist must match"
(cd web && npm ci --no-audit --no-fund --loglevel=error && npm test && npm run build)
if [ -n "$(git status --porcelain -- web/dist)" ]; then
  git status --porcelain -- web/dist
  echo "web/dist differs from a fresh build of web/: run 'npm run build' in web/ and commit web/dist" >&2
  exit 1
fi

step "npm ci (yjs, y-websocket, ws)"
(cd tests/js && npm ci --no-audit --no-fund --loglevel=error)

step "interop tests with the stock y-websocket client"
(cd tests/js && DRAFTROOM_BIN="$PWD/../../target/debug/draftroom" npm test)

step "browser suite: the web app in Chromium against the server (screenshots in tests/browser/screenshots)"
bash tests/browser/install-chromium.sh
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
(cd tests/browser && DRAFTROOM_BIN="$PWD/../../target/debug/draftroom" npm test)

step "fuzzing smoke run: regressions, then each target 40 s (cargo-fuzz, libFuzzer)"
bash fuzz/run.sh smoke 40

step "all done"
