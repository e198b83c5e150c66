#!/usr/bin/env bash
# Starts the benchmark's Hocuspocus 4.7.0 peer (hocuspocus.mjs beside this
# file), in memory, listening on 127.0.0.1:PORT; with REDIS_URL, as one of
# several processes sharing documents through that Redis.
#
#   bench/peer/hocuspocus.sh PORT [REDIS_URL]
#
# `exec`s node, so a backgrounded call's $! is the server's own PID. If
# node_modules lacks the packages it first runs `npm ci`.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 PORT [REDIS_URL]" >&2
  exit 2
fi

cd "$(dirname "${BASH_SOURCE[0]}")"

if [ ! -f node_modules/@hocuspocus/server/package.json ] ||
  [ ! -f node_modules/@hocuspocus/extension-redis/package.json ]; then
  npm ci --no-audit --no-fund >&2
fi

exec node hocuspocus.mjs "$@"
