#!/usr/bin/env bash
# Starts the benchmark's peer: the stock y-websocket 1.5.4 server
# (node_modules/y-websocket/bin/server.js), listening on 127.0.0.1:PORT,
# documents in memory only (no YPERSISTENCE, no CALLBACK_URL).
#
#   bench/peer/start.sh PORT
#
# Runs in the foreground and `exec`s node, so the PID of a backgrounded
# `bench/peer/start.sh 9000 &` ($!) is the node server's own PID: measure its
# RSS there, and stop it with `kill $!`. It prints
# "running at '127.0.0.1' on port PORT" once it listens.
# If node_modules is missing it first runs `npm ci` (from package-lock.json),
# with npm's output on stderr.
set -euo pipefail

if [ $# -ne 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 PORT" >&2
  exit 2
fi
port=$1

cd "$(dirname "${BASH_SOURCE[0]}")"

if [ ! -f node_modules/y-websocket/bin/server.js ] || [ ! -f node_modules/ws/package.json ]; then
  # .npmrc beside this file omits optional packages (y-leveldb, only used
  # with YPERSISTENCE).
  npm ci --no-audit --no-fund >&2
fi

# Only settings that the stock server reads; nothing inherited may turn on
# persistence or the HTTP callback.
unset YPERSISTENCE CALLBACK_URL CALLBACK_OBJECTS CALLBACK_TIMEOUT \
  CALLBACK_DEBOUNCE_WAIT CALLBACK_DEBOUNCE_MAXWAIT GC
export HOST=127.0.0.1
export PORT=$port

exec node node_modules/y-websocket/bin/server.js
