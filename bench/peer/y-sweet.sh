#!/usr/bin/env bash
# Starts the benchmark's y-sweet 0.9.1 peer (Rust, yrs), listening on
# 127.0.0.1:PORT, its documents stored under STORE (a directory; y-sweet
# writes a document's snapshot there some time after it changes, not each
# update), no auth key.
#
#   bench/peer/y-sweet.sh PORT STORE
#
# `exec`s the server, so a backgrounded call's $! is its own PID. If the
# binary is missing it is first built from crates.io with its own lock file
# (`cargo install --locked`, a few minutes) into bench/peer/y-sweet/.
set -euo pipefail

if [ $# -ne 2 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 PORT STORE" >&2
  exit 2
fi
port=$1
store=$2

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=$here/y-sweet/bin/y-sweet
if [ ! -x "$bin" ]; then
  cargo install y-sweet --version 0.9.1 --locked --root "$here/y-sweet" >&2
fi
mkdir -p "$store"
exec "$bin" serve --host 127.0.0.1 --port "$port" "$store"
