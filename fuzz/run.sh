#!/usr/bin/env bash
# Fuzzing of everything that parses bytes from a client (libFuzzer through
# cargo-fuzz, on the stable toolchain: release build, no sanitizer).
#
#   fuzz/run.sh smoke [SECONDS]   # CI: every regression input, then each target SECONDS (default 40)
#   fuzz/run.sh long SECONDS      # each target SECONDS; prints runs, coverage and corpus per target
#   fuzz/run.sh TARGET SECONDS    # one target
#
# Targets: frames (the y-websocket message decoder and what a frame's
# messages do), updates (update application with the role and client-ID
# checks), commands (the JSON commands through the router onto a store).
# Seeds: fuzz/seeds/ (real stock-client traffic and editing-trace updates,
# see fuzz/seed.sh); the growing corpus stays in fuzz/corpus/ (not in git).
# A crash leaves its input in fuzz/artifacts/; once fixed, it goes into
# fuzz/regressions/TARGET/, named after what it pins, and is replayed by
# every run and by `cargo test` (server/tests/fuzz_regressions.rs), which
# runs the same target bodies (draftroom_server::fuzzing).
set -euo pipefail
cd "$(dirname "$0")"
mode=${1:-smoke}
seconds=${2:-40}
targets=(frames updates commands)

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --version 0.13.2
fi
cargo fuzz build -O -s none >/dev/null
bin=target/x86_64-unknown-linux-gnu/release

run_target() {
  local t=$1 secs=$2
  mkdir -p "corpus/$t" "artifacts/$t"
  # Regressions first: each must run clean.
  if compgen -G "regressions/$t/*" >/dev/null; then
    "$bin/$t" -runs=1 regressions/"$t"/* >/dev/null 2>"artifacts/$t/regressions.log" || {
      cat "artifacts/$t/regressions.log" >&2
      echo "fuzz: a regression input of $t fails again" >&2
      return 1
    }
  fi
  local log="artifacts/$t/run.log"
  if ! "$bin/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="artifacts/$t/" "corpus/$t" "seeds/$t" >"$log" 2>&1; then
    grep -E "panicked|ERROR|SUMMARY|Test unit" "$log" >&2 || tail -30 "$log" >&2
    echo "fuzz: $t found a failure; its input is in fuzz/artifacts/$t/" >&2
    return 1
  fi
  local done_line
  done_line=$(grep -E "DONE" "$log" | tail -1)
  local runs cov ft corp
  runs=$(sed -n 's/^#\([0-9]*\).*DONE.*/\1/p' <<<"$done_line")
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$done_line")
  corp=$(sed -n 's/.*corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$done_line")
  printf '%-9s %6ss  %12s runs  %6s edges  %7s features  corpus %s  crashes 0\n' \
    "$t" "$secs" "$runs" "$cov" "$ft" "$corp"
}

case "$mode" in
  smoke | long)
    for t in "${targets[@]}"; do run_target "$t" "$seconds"; done
    ;;
  frames | updates | commands)
    run_target "$mode" "$seconds"
    ;;
  *)
    echo "usage: fuzz/run.sh smoke|long|TARGET [SECONDS]" >&2
    exit 2
    ;;
esac
