#!/usr/bin/env bash
# Regenerates the fuzz seeds from real traffic: the frames the stock
# y-websocket client sends and receives with Draftroom (fuzz/seeds/frames),
# and two writers' updates replaying an editing trace (fuzz/seeds/updates).
# The JSON command seeds (fuzz/seeds/commands) are written by hand.
#
#   fuzz/seed.sh [TRACE]   # default ../shared/data/editing-traces/seph-blog1.json.gz
set -euo pipefail
cd "$(dirname "$0")/.."
trace=$(realpath "${1:-../shared/data/editing-traces/seph-blog1.json.gz}")
cargo build -q -p draftroom-server
(cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
rm -f fuzz/seeds/frames/* fuzz/seeds/updates/*
(cd tests/js && node record-fuzz-seeds.mjs ../../fuzz/seeds/frames "$trace" ../../fuzz/seeds/updates)
