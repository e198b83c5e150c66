#!/usr/bin/env bash
# Runs a benchmark scenario against Draftroom and, side by side in the same
# run, against its peers (the stock y-websocket server, y-sweet and
# Hocuspocus, each installed from its registry on first use, one server at
# a time); writes JSON and a chart to bench/results/.
#
#   bench/run.sh fanout [FOLLOWERS]     # default 100,1000,5000,10000
#   bench/run.sh history [JOINERS]      # long history, first sync, join storm; default 1000
#   bench/run.sh meetings               # 200 meetings × (3 writers + 20 followers)
#   bench/run.sh slow                   # 1,000 followers at 100 keystrokes/s, without and with 1% that stop reading
#   bench/run.sh saturation             # the raw send() ceiling, then 1,000 followers at 1,000 keystrokes/s
#   bench/run.sh soak [CYCLES]          # connect/type/disconnect cycles over 100 meetings in 20 rounds, rooms unloading between; default 20000
#   bench/run.sh audience [OBSERVERS] [LABEL]  # observers join over HTTP and open meeting and draft; default 1000,5000,10000
#   bench/run.sh cluster [OBSERVERS] [SERVERS]  # 3 processes on PostgreSQL + Redis, N observers joining at each, then
#                                       # typing; beside Hocuspocus 4.7 on 3 processes with its Redis extension;
#                                       # default 1000,5000 and "draftroom hocuspocus"
#   bench/run.sh smoke                  # a short fan-out and audience against Draftroom, a short fan-out
#                                       # against Hocuspocus, a short cluster run of both (CI; y-sweet's
#                                       # build takes minutes, so CI leaves it out)
#
# DRAFTROOM_BIN=path runs the scenarios against that server binary (another
# build, e.g. an older commit's) instead of building this checkout's.
# PEERS="y-sweet hocuspocus" runs only those peers beside it (PEERS="" none).
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-fanout}
followers=${2:-100,1000,5000,10000}
results=bench/results
mkdir -p "$results"

# Ten thousand sockets a side need file descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

target_dir=${CARGO_TARGET_DIR:-target}
if [[ -n ${DRAFTROOM_BIN:-} ]]; then
  cargo build --release -q -p draftroom-bench
  server=$DRAFTROOM_BIN
else
  cargo build --release -q -p draftroom-server -p draftroom-bench
  server=$target_dir/release/draftroom
fi
load=$target_dir/release/draftroom-load
data=$(mktemp -d)
servers=0
pids=()
services=0
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if ((services)); then services_stop; fi
  rm -rf "$data"
}
trap cleanup EXIT

start_draftroom() {
  # A fresh data directory each time, so that one server's figures carry
  # nothing of another's.
  servers=$((servers + 1))
  local dir="$data/draftroom-$servers"
  mkdir -p "$dir"
  # Every client of a benchmark comes from one address: the per-address
  # limits on creating and joining meetings are lifted.
  "$server" serve --listen 127.0.0.1:0 --data "$dir" --web none \
    --meetings-per-minute 1000000 --joins-per-minute 1000000 "$@" \
    >"$dir/out" 2>"$dir/log" &
  pids+=($!)
  draftroom_pid=$!
  for _ in $(seq 100); do
    grep -q '^listening on ' "$dir/out" 2>/dev/null && break
    sleep 0.05
  done
  draftroom_url=$(sed -n 's/^listening on //p' "$dir/out")
}

stop_draftroom() {
  kill "$draftroom_pid" 2>/dev/null || true
  wait "$draftroom_pid" 2>/dev/null || true
}

# A port nothing listens on now (the kernel's choice, given back).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until something listens on 127.0.0.1:PORT (at most a minute).
wait_listening() {
  for _ in $(seq 600); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# Starts a fresh peer of KIND (y-websocket, y-sweet, hocuspocus); sets
# peer_url (as the generator's --target wants it) and peer_pid.
start_peer() {
  local kind=$1 port
  port=$(free_port)
  local start=(bench/peer/start.sh "$port")
  case "$kind" in
    y-sweet) start=(bench/peer/y-sweet.sh "$port" "$data/y-sweet-$port") ;;
    hocuspocus) start=(bench/peer/hocuspocus.sh "$port") ;;
  esac
  # Each script execs its server: $! is the server's own PID.
  "${start[@]}" >"$data/$kind.out" 2>&1 &
  pids+=($!)
  peer_pid=$!
  if ! wait_listening "$port"; then
    echo "$kind did not start:" >&2
    cat "$data/$kind.out" >&2
    exit 1
  fi
  case "$kind" in
    y-sweet) peer_url="http://127.0.0.1:$port" ;;
    *) peer_url="ws://127.0.0.1:$port" ;;
  esac
}

stop_peer() {
  kill "$peer_pid" 2>/dev/null || true
  wait "$peer_pid" 2>/dev/null || true
}

# The peers every side-by-side scenario runs beside Draftroom, each in the
# same run on a server of its own (PEERS="…" picks some).
peers=${PEERS-y-websocket y-sweet hocuspocus}

# Runs the generator's SCENARIO with its further options against Draftroom
# (started with DRAFTROOM_OPTS) and then each peer, one server at a time,
# the figures of each in $results/NAME-SERVER.json.
side_by_side() {
  local scenario=$1 name=$2
  shift 2
  # shellcheck disable=SC2086
  start_draftroom ${DRAFTROOM_OPTS:-}
  "$load" "$scenario" --target "draftroom=$draftroom_url" --server-pid "$draftroom_pid" \
    "$@" --json "$results/$name-draftroom.json"
  stop_draftroom
  for kind in $peers; do
    start_peer "$kind"
    # A peer that loses updates is a finding, not the end of the run: its
    # figures say so ("all": no).
    "$load" "$scenario" --target "$kind=$peer_url" --server-pid "$peer_pid" \
      "$@" --json "$results/$name-$kind.json" ||
      echo "$kind: $scenario did not deliver everything (exit $?)" >&2
    stop_peer
  done
}

# Three processes of Draftroom on one fresh PostgreSQL database and one
# Redis (both started by tests/services.sh); their URLs and PIDs.
start_draftroom_cluster() {
  local db="bench_$servers$RANDOM"
  "$DRAFTROOM_TEST_PG_BIN/psql" -q "$DRAFTROOM_TEST_POSTGRES" -c "CREATE DATABASE $db" >/dev/null
  local url=${DRAFTROOM_TEST_POSTGRES%/*}/$db
  cluster_urls=() cluster_pids=()
  for _ in 1 2 3; do
    start_draftroom --postgres "$url" --redis "$DRAFTROOM_TEST_REDIS"
    cluster_urls+=("$draftroom_url") cluster_pids+=("$draftroom_pid")
  done
}

# Three Hocuspocus processes sharing the same Redis.
start_hocuspocus_cluster() {
  cluster_urls=() cluster_pids=()
  for i in 1 2 3; do
    local port
    port=$(free_port)
    bench/peer/hocuspocus.sh "$port" "$DRAFTROOM_TEST_REDIS" >"$data/hocuspocus-$i.out" 2>&1 &
    pids+=($!)
    cluster_urls+=("ws://127.0.0.1:$port") cluster_pids+=($!)
    for _ in $(seq 600); do
      grep -q 'running at' "$data/hocuspocus-$i.out" 2>/dev/null && break
      sleep 0.1
    done
    if ! grep -q 'running at' "$data/hocuspocus-$i.out"; then
      echo "Hocuspocus $i did not start:" >&2
      cat "$data/hocuspocus-$i.out" >&2
      exit 1
    fi
  done
}

stop_cluster() {
  for p in "${cluster_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${cluster_pids[@]}"; do wait "$p" 2>/dev/null || true; done
}

joined() { local IFS=,; echo "$*"; }

# PostgreSQL and Redis (tests/services.sh: throwaway servers, or the ones
# DRAFTROOM_TEST_POSTGRES and DRAFTROOM_TEST_REDIS name).
start_services() {
  # shellcheck source=../tests/services.sh
  source tests/services.sh
  services=1
  services_start >&2
}

# The cluster scenario on three processes of KIND, with the generator's
# further options.
run_cluster() {
  local kind=$1
  shift
  "start_${kind}_cluster"
  local redis_pid=()
  [[ -n ${DRAFTROOM_TEST_REDIS_PID:-} ]] && redis_pid=(--redis-pid "$DRAFTROOM_TEST_REDIS_PID")
  local status=0
  "$load" cluster --servers "$kind=$(joined "${cluster_urls[@]}")" \
    --server-pids "$(joined "${cluster_pids[@]}")" "${redis_pid[@]}" "$@" || status=$?
  stop_cluster
  return "$status"
}

case "$scenario" in
  cluster)
    observers=${2:-1000,5000}
    start_services
    # Each observer holds two sockets in its server process and two in its
    # part of the generator (Hocuspocus: one, both documents on it).
    fit=$(( ($(ulimit -n) - 200) / 2 ))
    for n in ${observers//,/ }; do
      if (( n > fit )); then
        echo "$n observers need $((2 * n)) sockets in each process; the descriptor limit is $(ulimit -n): running $fit" >&2
        n=$fit
      fi
      for kind in ${3:-draftroom hocuspocus}; do
        run_cluster "$kind" --observers "$n" --json "$results/cluster-$kind-$n.json" || status=1
      done
    done
    exit "${status:-0}"
    ;;
  smoke)
    start_draftroom
    "$load" fanout --target "draftroom=$draftroom_url" --server-pid "$draftroom_pid" \
      --followers 50 --keystrokes 40 --rate 20
    "$load" audience --target "draftroom=$draftroom_url" --server-pid "$draftroom_pid" \
      --observers 50 --time-cap-secs 30
    stop_draftroom
    # The load generator's Hocuspocus framing, against one process of it.
    start_peer hocuspocus
    "$load" fanout --target "hocuspocus=$peer_url" --server-pid "$peer_pid" \
      --followers 50 --keystrokes 40 --rate 20
    stop_peer
    # Several processes, and the Hocuspocus peer beside them.
    start_services
    for kind in draftroom hocuspocus; do
      run_cluster "$kind" --observers 20 --keystrokes 20 --time-cap-secs 60
    done
    ;;
  audience)
    observers=${2:-1000,5000,10000}
    label=${3:-draftroom}
    cap=${AUDIENCE_TIME_CAP_SECS:-600}
    # Each observer holds two sockets (meeting and draft) in the server and
    # two in the generator, and neither process may open more descriptors
    # than the hard limit: a larger audience is cut to what fits, and said.
    fit=$(( ($(ulimit -n) - 200) / 2 ))
    for n in ${observers//,/ }; do
      if (( n > fit )); then
        echo "$n observers need $((2 * n)) sockets in each process; the descriptor limit is $(ulimit -n): running $fit" >&2
        n=$fit
      fi
      # A fresh server for each N: its peak memory is this storm's.
      start_draftroom
      "$load" audience --target "draftroom=$draftroom_url" --server-pid "$draftroom_pid" \
        --observers "$n" --time-cap-secs "$cap" --label "$label" \
        --json "$results/audience-$label-$n.json"
      stop_draftroom
    done
    ;;
  fanout)
    side_by_side fanout fanout --followers "$followers"
    python3 bench/chart.py "$results"/fanout-*.json --out "$results/fanout.svg"
    ;;
  saturation)
    # The ceiling first, then each server asked for a million deliveries a
    # second (each server's rate limit lifted for the writer).
    "$load" ceiling --followers 1000
    DRAFTROOM_OPTS="--messages-per-sec 100000 --message-burst 100000" \
      side_by_side fanout saturation --followers 1000 --keystrokes 5000 --rate 1000
    ;;
  soak)
    cycles=${2:-20000}
    start_draftroom --room-idle-secs 1
    "$load" soak --target "draftroom=$draftroom_url" --server-pid "$draftroom_pid" \
      --cycles "$cycles" --meetings 100 --workers 16 --keystrokes 5 --rounds 20 --settle-secs 8 \
      --json "$results/soak-draftroom.json"
    python3 bench/soak_chart.py "$results/soak-draftroom.json" --out docs/soak.svg
    ;;
  meetings)
    side_by_side meetings meetings --meetings 200 --keystrokes 50 --rate 5
    ;;
  slow)
    for pct in 0 1; do
      side_by_side fanout "slow-$pct" --followers 1000 --keystrokes 2000 --rate 100 --slow-percent "$pct"
    done
    ;;
  history)
    joiners=${2:-1000}
    # The automerge-paper trace, kept in the repository (credit and license
    # in bench/traces/README.md). The replay sends one writer's 259,778
    # edits as fast as it can: Draftroom's per-connection rate limit is
    # lifted, and idle rooms unload after a second so that its first sync
    # afterwards is a cold load from the store.
    DRAFTROOM_OPTS="--messages-per-sec 100000000 --message-burst 100000000 --room-idle-secs 1" \
      side_by_side history history --trace bench/traces/automerge-paper.json.gz --joiners "$joiners" \
      --ingest-cap-secs 30
    ;;
  *)
    echo "unknown scenario $scenario (fanout, history, meetings, slow, saturation, soak, audience, cluster, smoke)" >&2
    exit 2
    ;;
esac
