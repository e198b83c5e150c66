# shellcheck shell=bash
# PostgreSQL and Redis for the tests: a throwaway server of each, on
# loopback and on free ports, made from nothing in a temporary directory
# and removed with it. Meant to be sourced (by tests/run.sh, or by hand):
#
#   source tests/services.sh
#   trap services_stop EXIT    # stops them however the shell ends
#   services_start             # exports DRAFTROOM_TEST_POSTGRES, DRAFTROOM_TEST_REDIS, …
#   …
#   services_stop              # safe to call again, and after a failed start
#
# DRAFTROOM_TEST_SERVICES=postgres (or redis) starts only that one: a
# test that stops or kills a server starts its own this way, so that the
# other tests running beside it keep theirs.
#
# A developer with servers of their own sets DRAFTROOM_TEST_POSTGRES
# (postgres://…) and/or DRAFTROOM_TEST_REDIS (redis://…) beforehand:
# services_start then checks that each answers and starts nothing for it.
#
# PostgreSQL 15 (DRAFTROOM_TEST_PG_BIN, default /usr/lib/postgresql/15/bin)
# runs with trust authentication, UTF8, locale C, max_connections 200 and
# fsync on: the tests are about durability, so the server flushes as a real
# one does. initdb refuses root, so as root it runs as the `postgres` user.
# Redis (installed with apt-get when redis-server is missing) keeps nothing
# on disk: after a restart it is empty.
#
# Exported by services_start, for the tests to use, stop, freeze and
# restart the servers (SIGSTOP and SIGCONT to a PID simulate a server that
# hangs):
#
#   DRAFTROOM_TEST_POSTGRES     postgres://postgres@127.0.0.1:PORT/postgres
#   DRAFTROOM_TEST_REDIS        redis://127.0.0.1:PORT/
#   DRAFTROOM_TEST_SERVICES_DIR the temporary directory holding both
#   DRAFTROOM_TEST_PG_PORT, DRAFTROOM_TEST_PG_PID (the postmaster),
#   DRAFTROOM_TEST_PG_BIN, DRAFTROOM_TEST_PG_DATA, DRAFTROOM_TEST_PG_LOG,
#   DRAFTROOM_TEST_PG_START     the command that starts PostgreSQL again
#   DRAFTROOM_TEST_REDIS_PORT, DRAFTROOM_TEST_REDIS_PID,
#   DRAFTROOM_TEST_REDIS_BIN, DRAFTROOM_TEST_REDIS_CONF, DRAFTROOM_TEST_REDIS_LOG,
#   DRAFTROOM_TEST_REDIS_CMD    the command that starts Redis again
#
# The commands are words separated by single spaces, with no quoting (the
# temporary directory's path has no spaces), so any language can split
# them. Every setting is in the files they name, so they bring a server
# back on the same port with the same settings:
#
#   Redis: kill -KILL "$DRAFTROOM_TEST_REDIS_PID"   (or -TERM)
#          $DRAFTROOM_TEST_REDIS_CMD &
#     that is: redis-server DIR/redis/redis.conf, in the foreground (put it
#     in the background yourself; from Rust, spawn DRAFTROOM_TEST_REDIS_BIN
#     with DRAFTROOM_TEST_REDIS_CONF as its one argument). It comes back
#     empty. Its PID is then the one in DIR/redis/redis.pid.
#   PostgreSQL: kill -KILL "$DRAFTROOM_TEST_PG_PID"  (a crash; -INT is a
#          fast shutdown), then $DRAFTROOM_TEST_PG_START
#     that is: [runuser -u postgres --] PG_BIN/pg_ctl -D DATA -l LOG -w -t 30 start,
#     which returns once it accepts connections, its data recovered. After
#     a SIGKILL the old backends take a moment to notice and exit; pg_ctl
#     refuses to start while they hold the shared memory, so retry. Its PID
#     is then the first line of DATA/postmaster.pid.
#
# services_stop stops whatever runs from this directory (the PIDs it
# recorded, or those the pid files name after a restart), never another
# PostgreSQL or Redis of the machine: a process is stopped only if its
# working directory is inside DRAFTROOM_TEST_SERVICES_DIR.

# The state of this shell's services: set by services_start, cleared by
# services_stop. "own" means started here, so ours to stop.
# Sourcing the file again keeps it, so servers already started stay known.
_draftroom_services_dir=${_draftroom_services_dir:-}
_draftroom_services_own_pg=${_draftroom_services_own_pg:-}
_draftroom_services_own_redis=${_draftroom_services_own_redis:-}
_draftroom_services_pg_bin_preset=${_draftroom_services_pg_bin_preset:-}

_services_say() { printf 'services: %s\n' "$*" >&2; }

_services_fail() {
  printf '\nservices: ERROR: %s\n' "$*" >&2
}

# The last lines of a log, to say why a server did not start.
_services_tail() {
  local what=$1 log=$2
  if [[ -s $log ]]; then
    printf -- '--- last lines of %s (%s) ---\n' "$what" "$log" >&2
    tail -n 40 -- "$log" >&2
    printf -- '--- end of %s ---\n' "$what" >&2
  else
    printf -- '(%s log %s is empty or missing)\n' "$what" "$log" >&2
  fi
}

# Runs a command as the user PostgreSQL runs as: initdb and postgres refuse
# root, so as root that is the `postgres` user; otherwise the current one.
_services_as_pg() {
  if [[ $EUID -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Whether a process is running (a zombie, waiting for a parent that may
# never reap it, is not).
_services_alive() {
  local pid=$1 stat state
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  state=${stat##*) }
  state=${state%% *}
  [[ $state != Z ]]
}

# Whether a process is one of ours: its working directory is inside our
# temporary directory (PostgreSQL works in its data directory, Redis in the
# directory its configuration names). A recycled PID, or another server of
# the machine, fails this.
_services_ours() {
  local pid=$1 cwd
  [[ -n $_draftroom_services_dir ]] || return 1
  _services_alive "$pid" || return 1
  cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || return 1
  [[ $cwd == "$_draftroom_services_dir"/* ]]
}

# Two free loopback ports, different from each other: both sockets are
# held open until both are chosen.
_services_free_ports() {
  python3 -c '
import socket
held = []
for _ in range(2):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
'
}

# Stops one process of ours: SIGCONT first (a test may have left it
# stopped, and a stopped process acts on no signal), then `soft`, then
# `hard` if it is still there after `wait` seconds, then SIGKILL.
_services_stop_pid() {
  local what=$1 pid=$2 soft=$3 hard=$4 wait=$5 i
  _services_ours "$pid" || return 0
  kill -CONT "$pid" 2>/dev/null || true
  kill "-$soft" "$pid" 2>/dev/null || true
  for ((i = 0; i < wait * 10; i++)); do
    _services_alive "$pid" || return 0
    sleep 0.1
  done
  _services_fail "$what (pid $pid) did not stop on SIG$soft within ${wait}s; sending SIG$hard"
  kill "-$hard" "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    _services_alive "$pid" || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    _services_alive "$pid" || return 0
    sleep 0.1
  done
  _services_fail "$what (pid $pid) is still running after SIGKILL"
  return 1
}

_services_install_redis() {
  local sudo=() out
  if [[ $EUID -ne 0 ]]; then
    if ! command -v sudo >/dev/null; then
      _services_fail "redis-server is not installed; install it as root (apt-get install -y redis-server)"
      return 1
    fi
    sudo=(sudo -n)
  fi
  _services_say "installing redis-server from Debian"
  out=$_draftroom_services_dir/apt.log
  if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends redis-server; } >"$out" 2>&1; then
    _services_fail "apt-get could not install redis-server"
    _services_tail "apt-get" "$out"
    return 1
  fi
  if ! command -v redis-server >/dev/null; then
    _services_fail "apt-get installed redis-server but it is not on PATH ($PATH)"
    return 1
  fi
}

# Whether Redis on 127.0.0.1:port answers PING with PONG: through
# redis-cli when there is one, else by hand over bash's /dev/tcp.
_services_redis_pong() {
  local port=$1 reply
  if command -v redis-cli >/dev/null; then
    reply=$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null) || return 1
    [[ $reply == PONG ]]
  else
    (
      exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
      printf 'PING\r\n' >&3
      IFS= read -r -t 2 reply <&3 || exit 1
      [[ $reply == +PONG* ]]
    ) 2>/dev/null
  fi
}

# Checks servers given in the environment, so that a wrong URL fails here,
# plainly, and not as a test failure later.
_services_check_given() {
  if [[ -n ${DRAFTROOM_TEST_POSTGRES:-} ]]; then
    local psql=${DRAFTROOM_TEST_PG_BIN:-/usr/lib/postgresql/15/bin}/psql
    [[ -x $psql ]] || psql=$(command -v psql || true)
    if [[ -n $psql ]] && ! "$psql" "$DRAFTROOM_TEST_POSTGRES" -XAtqc 'SELECT 1' >/dev/null; then
      _services_fail "DRAFTROOM_TEST_POSTGRES=$DRAFTROOM_TEST_POSTGRES does not answer"
      return 1
    fi
    _services_say "PostgreSQL: using $DRAFTROOM_TEST_POSTGRES (given)"
  fi
  if [[ -n ${DRAFTROOM_TEST_REDIS:-} ]]; then
    if command -v redis-cli >/dev/null \
      && [[ $(redis-cli -u "$DRAFTROOM_TEST_REDIS" ping 2>&1) != PONG ]]; then
      _services_fail "DRAFTROOM_TEST_REDIS=$DRAFTROOM_TEST_REDIS does not answer PING"
      return 1
    fi
    _services_say "Redis: using $DRAFTROOM_TEST_REDIS (given)"
  fi
}

_services_start_pg() {
  local port=$1 dir=$_draftroom_services_dir
  local bin=${DRAFTROOM_TEST_PG_BIN:-/usr/lib/postgresql/15/bin}
  local home=$dir/pg data=$dir/pg/data log=$dir/pg/postgres.log
  local start pid i out
  if [[ ! -x $bin/initdb || ! -x $bin/pg_ctl || ! -x $bin/pg_isready ]]; then
    _services_fail "no PostgreSQL in $bin (set DRAFTROOM_TEST_PG_BIN to its bin directory)"
    return 1
  fi
  if [[ $EUID -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    _services_fail "running as root, and there is no postgres user to run PostgreSQL as"
    return 1
  fi
  mkdir "$home" || return 1
  [[ $EUID -ne 0 ]] || chown postgres: "$home" || return 1
  chmod 700 "$home"

  # From the temporary directory: the postgres user may not enter ours.
  out=$dir/initdb.log
  if ! (cd "$home" && _services_as_pg "$bin/initdb" -D "$data" -U postgres \
    --auth=trust --encoding=UTF8 --locale=C) >"$out" 2>&1; then
    _services_fail "initdb failed"
    _services_tail "initdb" "$out"
    return 1
  fi
  # Settings in the data directory's own file, not on the command line,
  # so that a restart with a plain `pg_ctl start` has them too.
  local sockets=${home//\'/\'\'}
  cat >>"$data/postgresql.conf" <<EOF

# Draftroom's tests (tests/services.sh)
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sockets'
max_connections = 200
# What the tests check is durability: flush as a real server does.
fsync = on
synchronous_commit = on
full_page_writes = on
EOF

  start="$bin/pg_ctl -D $data -l $log -w -t 30 start"
  [[ $EUID -ne 0 ]] || start="runuser -u postgres -- $start"
  DRAFTROOM_TEST_PG_BIN=$bin
  DRAFTROOM_TEST_PG_DATA=$data
  DRAFTROOM_TEST_PG_LOG=$log
  DRAFTROOM_TEST_PG_PORT=$port
  DRAFTROOM_TEST_PG_START=$start
  export DRAFTROOM_TEST_PG_BIN DRAFTROOM_TEST_PG_DATA DRAFTROOM_TEST_PG_LOG \
    DRAFTROOM_TEST_PG_PORT DRAFTROOM_TEST_PG_START
  _draftroom_services_own_pg=1

  # pg_ctl puts the server in a session of its own and returns once it is
  # ready, or as soon as it has died; pg_isready below then confirms that
  # it takes connections over TCP, as the tests will.
  if ! (cd "$home" && _services_as_pg "$bin/pg_ctl" -D "$data" -l "$log" -w -t 30 start) \
    >"$dir/pg_ctl.log" 2>&1; then
    _services_fail "PostgreSQL did not start on 127.0.0.1:$port within 30 s"
    _services_tail "pg_ctl" "$dir/pg_ctl.log"
    _services_tail "PostgreSQL" "$log"
    return 1
  fi
  for ((i = 0; i < 300; i++)); do
    if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres; then
      break
    fi
    sleep 0.1
  done
  pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
  if ((i == 300)) || ! _services_alive "$pid"; then
    _services_fail "PostgreSQL did not accept connections on 127.0.0.1:$port within 30 s"
    _services_tail "PostgreSQL" "$log"
    return 1
  fi
  if ! "$bin/psql" -X -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atqc 'SELECT 1' \
    >/dev/null 2>"$dir/psql.log"; then
    _services_fail "PostgreSQL accepts connections on 127.0.0.1:$port but psql cannot query it"
    _services_tail "psql" "$dir/psql.log"
    _services_tail "PostgreSQL" "$log"
    return 1
  fi
  DRAFTROOM_TEST_PG_PID=$pid
  DRAFTROOM_TEST_POSTGRES=postgres://postgres@127.0.0.1:$port/postgres
  export DRAFTROOM_TEST_PG_PID DRAFTROOM_TEST_POSTGRES
  _services_say "PostgreSQL 15 on 127.0.0.1:$port (pid $pid, data $data)"
}

_services_start_redis() {
  local port=$1 dir=$_draftroom_services_dir
  local home=$dir/redis bin conf log pid i
  if ! command -v redis-server >/dev/null; then
    _services_install_redis || return 1
  fi
  bin=$(command -v redis-server)
  conf=$home/redis.conf
  log=$home/redis.log
  mkdir "$home" || return 1
  cat >"$conf" <<EOF
# Draftroom's tests (tests/services.sh): loopback only, nothing on disk.
bind 127.0.0.1
port $port
save ""
appendonly no
daemonize no
dir $home
logfile $log
pidfile $home/redis.pid
EOF
  DRAFTROOM_TEST_REDIS_BIN=$bin
  DRAFTROOM_TEST_REDIS_CONF=$conf
  DRAFTROOM_TEST_REDIS_LOG=$log
  DRAFTROOM_TEST_REDIS_PORT=$port
  DRAFTROOM_TEST_REDIS_CMD="$bin $conf"
  export DRAFTROOM_TEST_REDIS_BIN DRAFTROOM_TEST_REDIS_CONF DRAFTROOM_TEST_REDIS_LOG \
    DRAFTROOM_TEST_REDIS_PORT DRAFTROOM_TEST_REDIS_CMD
  _draftroom_services_own_redis=1

  # Started from a command substitution, it is not this shell's job: no
  # job notices in an interactive shell, and no zombie of ours when it
  # ends. Only its own output goes to the file, so the substitution ends
  # at once; it works in `dir`, which the configuration names.
  pid=$("$bin" "$conf" </dev/null >>"$home/redis.out" 2>&1 & echo $!)
  DRAFTROOM_TEST_REDIS_PID=$pid
  export DRAFTROOM_TEST_REDIS_PID
  local why="did not answer PING on 127.0.0.1:$port within 30 s"
  for ((i = 0; i < 300; i++)); do
    _services_redis_pong "$port" && break
    if ! _services_alive "$pid"; then
      why="exited before answering PING on 127.0.0.1:$port"
      i=300
      break
    fi
    sleep 0.1
  done
  if ((i == 300)); then
    _services_fail "Redis $why"
    _services_tail "Redis" "$log"
    _services_tail "Redis's output" "$home/redis.out"
    return 1
  fi
  DRAFTROOM_TEST_REDIS=redis://127.0.0.1:$port/
  export DRAFTROOM_TEST_REDIS
  _services_say "Redis on 127.0.0.1:$port (pid $pid)"
}

services_start() {
  local need_pg=1 need_redis=1 ports
  if [[ -n $_draftroom_services_dir ]]; then
    return 0 # started already, by this shell
  fi
  [[ -z ${DRAFTROOM_TEST_POSTGRES:-} ]] || need_pg=""
  [[ -z ${DRAFTROOM_TEST_REDIS:-} ]] || need_redis=""
  # A test that stops or kills a server starts one of its own, alone.
  case ${DRAFTROOM_TEST_SERVICES:-both} in
    postgres) need_redis="" ;;
    redis) need_pg="" ;;
  esac
  [[ -z ${DRAFTROOM_TEST_PG_BIN:-} ]] || _draftroom_services_pg_bin_preset=1
  _services_check_given || return 1
  if [[ -z $need_pg && -z $need_redis ]]; then
    return 0
  fi
  if ! command -v python3 >/dev/null; then
    _services_fail "python3 is needed to find free ports"
    return 1
  fi

  _draftroom_services_dir=$(mktemp -d "${TMPDIR:-/tmp}/draftroom-services.XXXXXX") || {
    _services_fail "cannot make a temporary directory"
    _draftroom_services_dir=""
    return 1
  }
  DRAFTROOM_TEST_SERVICES_DIR=$_draftroom_services_dir
  export DRAFTROOM_TEST_SERVICES_DIR
  if [[ $_draftroom_services_dir =~ [[:space:]] ]]; then
    _services_fail "the temporary directory's path has a space ($_draftroom_services_dir); set TMPDIR to one without"
    services_stop
    return 1
  fi
  # The postgres user enters it to reach its own subdirectory.
  chmod 755 "$_draftroom_services_dir"

  if ! ports=$(_services_free_ports) || [[ ! $ports =~ ^[0-9]+\ [0-9]+$ ]]; then
    _services_fail "cannot find free loopback ports ($ports)"
    services_stop
    return 1
  fi
  if [[ -n $need_pg ]] && ! _services_start_pg "${ports% *}"; then
    services_stop
    return 1
  fi
  if [[ -n $need_redis ]] && ! _services_start_redis "${ports#* }"; then
    services_stop
    return 1
  fi
}

services_stop() {
  local dir=$_draftroom_services_dir status=0 pid
  [[ -n $dir ]] || return 0
  if [[ -n $_draftroom_services_own_pg ]]; then
    # The postmaster now running may not be the one started (a test may
    # have restarted it): its pid file says which. SIGINT is a fast
    # shutdown: open sessions are ended, the data is left consistent.
    for pid in "${DRAFTROOM_TEST_PG_PID:-}" \
      "$(head -n 1 "$dir/pg/data/postmaster.pid" 2>/dev/null || true)"; do
      [[ -z $pid ]] || _services_stop_pid PostgreSQL "$pid" INT QUIT 30 || status=1
    done
  fi
  if [[ -n $_draftroom_services_own_redis ]]; then
    for pid in "${DRAFTROOM_TEST_REDIS_PID:-}" \
      "$(cat "$dir/redis/redis.pid" 2>/dev/null || true)"; do
      [[ -z $pid ]] || _services_stop_pid Redis "$pid" TERM KILL 10 || status=1
    done
  fi
  rm -rf -- "$dir" || status=1

  if [[ -n $_draftroom_services_own_pg ]]; then
    unset DRAFTROOM_TEST_POSTGRES DRAFTROOM_TEST_PG_PID DRAFTROOM_TEST_PG_PORT \
      DRAFTROOM_TEST_PG_DATA DRAFTROOM_TEST_PG_LOG DRAFTROOM_TEST_PG_START
    [[ -n $_draftroom_services_pg_bin_preset ]] || unset DRAFTROOM_TEST_PG_BIN
  fi
  if [[ -n $_draftroom_services_own_redis ]]; then
    unset DRAFTROOM_TEST_REDIS DRAFTROOM_TEST_REDIS_PID DRAFTROOM_TEST_REDIS_PORT \
      DRAFTROOM_TEST_REDIS_BIN DRAFTROOM_TEST_REDIS_CONF DRAFTROOM_TEST_REDIS_LOG \
      DRAFTROOM_TEST_REDIS_CMD
  fi
  unset DRAFTROOM_TEST_SERVICES_DIR
  _draftroom_services_dir=""
  _draftroom_services_own_pg=""
  _draftroom_services_own_redis=""
  _draftroom_services_pg_bin_preset=""
  return "$status"
}
