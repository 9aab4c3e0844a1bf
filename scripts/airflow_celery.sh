#!/usr/bin/env bash
# The CeleryExecutor topology of docker-compose.yaml, without Docker, on loopback:
#   PostgreSQL (metadata DB + Celery result backend) and Redis (broker) from Debian's packages,
#   then Airflow 3: api-server, scheduler, dag-processor, triggerer and two Celery workers, each a
#   separate process (own session/process group, pid file under run/).
#
#   scripts/airflow_celery.sh start     start whatever is not running yet (idempotent)
#   scripts/airflow_celery.sh stop      stop exactly what start started (pid files), then the data services
#   scripts/airflow_celery.sh status    one line per component
#   scripts/airflow_celery.sh logs      the last lines of every component log
#   scripts/airflow_celery.sh airflow ARGS...   run the airflow CLI against this stack
#   scripts/airflow_celery.sh env       print the stack's environment (source-able)
#
# Configuration: airflow.env (the ONE file docker-compose.yaml reads too) + what differs on
# loopback (ports, passwords, paths), generated into $AIRFLOW_CELERY_DIR/stack.env. Variables
# already in the environment win over airflow.env (as `environment:` wins over `env_file:` in
# compose). State lives in $AIRFLOW_CELERY_DIR (default .airflow-celery/, git-ignored).
# PostgreSQL refuses to run as root: as root, initdb/pg_ctl run as the `postgres` system user.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${AIRFLOW_CELERY_DIR:-$ROOT/.airflow-celery}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
VENV_BIN="${VENV_BIN:-$ROOT/.venv/bin}"
RUN="$DIR/run"
LOGS="$DIR/logs"
PGDATA="$DIR/pg"
WORKERS="${AIRFLOW_CELERY_WORKERS:-2}"
READY_TIMEOUT="${AIRFLOW_CELERY_READY_TIMEOUT:-240}"
COMPONENTS=(api-server scheduler dag-processor triggerer)
for i in $(seq 1 "$WORKERS"); do COMPONENTS+=("worker$i"); done

say() { echo "airflow-celery: $*"; }
die() { echo "airflow-celery: error: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# prerequisites: Debian packages (installed when missing) and the venv's Airflow
# ---------------------------------------------------------------------------------------------
pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

ensure_packages() {
  local missing=()
  [ -n "$(pg_bindir)" ] && [ -x "$(pg_bindir)/pg_ctl" ] || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]} with apt-get"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need ${missing[*]}: run 'sudo apt-get install -y ${missing[*]}' (no sudo here)"
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Debian's postinst scripts would start their own servers on 5432/6379: a policy-rc.d that
  # refuses (exit 101) keeps them from starting during the install; removed again afterwards.
  local policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null && "${sudo[@]}" chmod 755 "$policy"
  fi
  local rc=0
  "${sudo[@]}" apt-get install -y -q "${missing[@]}" >"$DIR/apt.log" 2>&1 || {
    "${sudo[@]}" apt-get update -q >>"$DIR/apt.log" 2>&1
    "${sudo[@]}" apt-get install -y -q "${missing[@]}" >>"$DIR/apt.log" 2>&1
  } || rc=$?
  [ -n "$policy" ] && "${sudo[@]}" rm -f "$policy"
  [ "$rc" -eq 0 ] || { tail -20 "$DIR/apt.log" >&2; die "apt-get install ${missing[*]} failed (log: $DIR/apt.log)"; }
}

ensure_python() {
  [ -x "$VENV_BIN/airflow" ] || die "$VENV_BIN/airflow missing: run 'make install' first"
  "$VENV_BIN/python" - <<'EOF' || die "Celery/Postgres/Redis Python packages missing: run 'make install' (requirements.txt pins them)"
import airflow.providers.celery, asyncpg, psycopg2, redis  # noqa: F401
EOF
}

# ---------------------------------------------------------------------------------------------
# process bookkeeping: run/<name>.pid holds "<pid> <start time in clock ticks>" so that stop
# never signals a recycled pid
# ---------------------------------------------------------------------------------------------
statfield() {  # statfield PID N: field N of /proc/PID/stat, counted after the ")" closing the comm
  local s n="$2"; s="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0  # (comm may hold spaces)
  s="${s##*) }"; set -- $s; shift $((n - 3)); echo "$1"
}
starttime() { statfield "$1" 22; }
record() { echo "$2 $(starttime "$2")" >"$RUN/$1.pid"; }
alive() {  # alive NAME -> 0 if the recorded process is still the one we started, and not a zombie
  # (a killed component whose parent has not reaped it yet is dead: treating that zombie as alive
  # made `start` skip the restart, then report "exited during start-up" once it was reaped)
  local f="$RUN/$1.pid" pid st
  [ -s "$f" ] || return 1
  read -r pid st <"$f" || return 1
  [ -n "$pid" ] && [ -d "/proc/$pid" ] && [ "$(starttime "$pid")" = "$st" ] && [ "$(statfield "$pid" 3)" != "Z" ]
}
pid_of() { awk '{print $1}' "$RUN/$1.pid"; }

free_ports() {  # free_ports N -> N distinct free loopback ports
  "$VENV_BIN/python" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

secret() { "$VENV_BIN/python" -c 'import secrets; print(secrets.token_urlsafe(24))'; }

any_alive() {
  local n
  for n in postgres redis "${COMPONENTS[@]}"; do alive "$n" && return 0; done
  return 1
}

# ---------------------------------------------------------------------------------------------
# environment
# ---------------------------------------------------------------------------------------------
write_stack_env() {
  # Ports are chosen afresh whenever nothing of ours runs; secrets are kept across restarts.
  local old_pg_pw="" old_redis_pw="" old_jwt="" old_fernet="" old_admin=""
  if [ -s "$DIR/stack.env" ]; then
    # shellcheck disable=SC1091
    old_pg_pw=$(. "$DIR/stack.env"; echo "${KE_PG_PASSWORD:-}")
    old_redis_pw=$(. "$DIR/stack.env"; echo "${KE_REDIS_PASSWORD:-}")
    old_jwt=$(. "$DIR/stack.env"; echo "${AIRFLOW__API_AUTH__JWT_SECRET:-}")
    old_fernet=$(. "$DIR/stack.env"; echo "${AIRFLOW__CORE__FERNET_KEY:-}")
    old_admin=$(. "$DIR/stack.env"; echo "${KE_ADMIN_PASSWORD:-}")
  fi
  local pg_pw="${old_pg_pw:-$(secret)}" redis_pw="${old_redis_pw:-$(secret)}" jwt="${old_jwt:-$(secret)}"
  local admin="${old_admin:-$(secret)}"
  local fernet="${old_fernet:-$("$VENV_BIN/python" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')}"
  local ports pg redis api health
  read -r pg redis api health <<<"$(free_ports 4)"
  pg="${AIRFLOW_CELERY_PG_PORT:-$pg}"; redis="${AIRFLOW_CELERY_REDIS_PORT:-$redis}"; api="${AIRFLOW_CELERY_API_PORT:-$api}"
  for p in "$pg" "$redis" "$api"; do
    case "$p" in 5432|6379|8080) die "refusing common port $p (set AIRFLOW_CELERY_*_PORT to a free one)";; esac
  done
  umask 077
  cat >"$DIR/stack.env" <<EOF
# generated by scripts/airflow_celery.sh: what differs on loopback from docker-compose.yaml
KE_PG_PORT=$pg
KE_REDIS_PORT=$redis
KE_API_PORT=$api
KE_PG_PASSWORD=$pg_pw
KE_REDIS_PASSWORD=$redis_pw
KE_ADMIN_USER=admin
KE_ADMIN_PASSWORD=$admin
KE_API_URL=http://127.0.0.1:$api
AIRFLOW_HOME=$DIR/home
AIRFLOW__CORE__DAGS_FOLDER=$ROOT/dags
AIRFLOW__CORE__PLUGINS_FOLDER=$ROOT/plugins
AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql+psycopg2://airflow:$pg_pw@127.0.0.1:$pg/airflow
AIRFLOW__CELERY__RESULT_BACKEND=db+postgresql+psycopg2://airflow:$pg_pw@127.0.0.1:$pg/airflow
AIRFLOW__CELERY__BROKER_URL=redis://:$redis_pw@127.0.0.1:$redis/0
AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http://127.0.0.1:$api/execution/
AIRFLOW__API__HOST=127.0.0.1
AIRFLOW__API__PORT=$api
AIRFLOW__API__BASE_URL=http://127.0.0.1:$api
AIRFLOW__API_AUTH__JWT_SECRET=$jwt
AIRFLOW__CORE__FERNET_KEY=$fernet
AIRFLOW__CORE__AUTH_MANAGER=airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager
AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=admin:admin
AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=$DIR/home/passwords.json
AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST=127.0.0.1
AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT=$health
EOF
  umask 022
}

load_env() {
  [ -s "$DIR/stack.env" ] || die "$DIR/stack.env missing: run 'scripts/airflow_celery.sh start'"
  local line key
  # airflow.env: KEY=VALUE, no expansion; the caller's environment wins.
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in ''|'#'*) continue;; esac
    key="${line%%=*}"
    [ -n "${!key+x}" ] || export "$key=${line#*=}"
  done <"$ROOT/airflow.env"
  set -a
  # shellcheck disable=SC1091
  . "$DIR/stack.env"
  set +a
  export PATH="$VENV_BIN:$PATH"
  export KALSHI_EDGE_HOME="${KALSHI_EDGE_HOME:-$ROOT}"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL and Redis
# ---------------------------------------------------------------------------------------------
as_pg() {  # run a PostgreSQL server binary as the invoking user, or as `postgres` when root
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local bin; bin="$(pg_bindir)"
  mkdir -p "$PGDATA" "$RUN/pgsock"
  touch "$LOGS/postgres.log"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' system user (Debian's postgresql package creates it)"
    chown postgres: "$PGDATA" "$RUN/pgsock" "$LOGS/postgres.log"
    chmod 700 "$PGDATA"
    runuser -u postgres -- test -w "$PGDATA" || die "user postgres cannot reach $PGDATA (a parent folder is not traversable); set AIRFLOW_CELERY_DIR to a path it can reach"
  fi
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    say "initdb $PGDATA"
    local pwfile="$RUN/pgpw"
    (umask 077; echo "$KE_PG_PASSWORD" >"$pwfile")
    [ "$(id -u)" -eq 0 ] && chown postgres: "$pwfile"
    as_pg "$bin/initdb" -D "$PGDATA" -U airflow --pwfile="$pwfile" --auth-local=scram-sha-256 \
      --auth-host=scram-sha-256 -E UTF8 --locale=C >"$LOGS/initdb.log" 2>&1 \
      || { rm -f "$pwfile"; cat "$LOGS/initdb.log" >&2; die "initdb failed"; }
    rm -f "$pwfile"
  fi
  as_pg "$bin/pg_ctl" -D "$PGDATA" -l "$LOGS/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $KE_PG_PORT -k $RUN/pgsock" start >/dev/null \
    || { tail -30 "$LOGS/postgres.log" >&2; die "PostgreSQL did not start on 127.0.0.1:$KE_PG_PORT"; }
  record postgres "$(head -1 "$PGDATA/postmaster.pid")"
  PGPASSWORD="$KE_PG_PASSWORD" "$bin/psql" -h 127.0.0.1 -p "$KE_PG_PORT" -U airflow -d postgres -tAq \
    -c "SELECT 1 FROM pg_database WHERE datname = 'airflow'" | grep -q 1 \
    || PGPASSWORD="$KE_PG_PASSWORD" "$bin/createdb" -h 127.0.0.1 -p "$KE_PG_PORT" -U airflow airflow
  say "PostgreSQL on 127.0.0.1:$KE_PG_PORT (data $PGDATA)"
}

start_redis() {
  mkdir -p "$DIR/redis"
  redis-server --bind 127.0.0.1 --port "$KE_REDIS_PORT" --dir "$DIR/redis" --daemonize yes \
    --pidfile "$RUN/redis-server.pid" --logfile "$LOGS/redis.log" --requirepass "$KE_REDIS_PASSWORD" \
    --save "" --appendonly no --protected-mode yes
  local i
  for i in $(seq 1 100); do
    REDISCLI_AUTH="$KE_REDIS_PASSWORD" redis-cli -h 127.0.0.1 -p "$KE_REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
    [ "$i" -eq 100 ] && { tail -20 "$LOGS/redis.log" >&2; die "Redis did not answer on 127.0.0.1:$KE_REDIS_PORT"; }
    sleep 0.2
  done
  record redis "$(cat "$RUN/redis-server.pid")"
  say "Redis on 127.0.0.1:$KE_REDIS_PORT"
}

# ---------------------------------------------------------------------------------------------
# Airflow
# ---------------------------------------------------------------------------------------------
airflow_init() {
  mkdir -p "$AIRFLOW_HOME"
  [ -s "$AIRFLOW_HOME/passwords.json" ] || (umask 077; printf '{"admin": "%s"}\n' "$KE_ADMIN_PASSWORD" >"$AIRFLOW_HOME/passwords.json")
  say "airflow db migrate"
  airflow db migrate >"$LOGS/db-migrate.log" 2>&1 || { tail -40 "$LOGS/db-migrate.log" >&2; die "airflow db migrate failed"; }
  local pool slots
  read -r pool slots <<<"$("$VENV_BIN/python" -c 'from kalshi_edge.dag_defaults import LAKE_WRITE_POOL as p, LAKE_WRITE_POOL_SLOTS as s; print(p, s)')"
  airflow pools set "$pool" "$slots" "serialized lake and DuckDB writes" >>"$LOGS/db-migrate.log" 2>&1 \
    || { tail -20 "$LOGS/db-migrate.log" >&2; die "airflow pools set $pool failed"; }
}

component_cmd() {
  case "$1" in
    api-server) echo "airflow api-server --host 127.0.0.1 --port $KE_API_PORT --workers 1" ;;
    scheduler) echo "airflow scheduler" ;;
    dag-processor) echo "airflow dag-processor" ;;
    triggerer) echo "airflow triggerer --skip-serve-logs" ;;
    worker*) local n="${1#worker}"
      echo "airflow celery worker --celery-hostname $1@%h --queues default,$1 --skip-serve-logs" ;;
  esac
}

group_left() {  # group_left PGID: live (non-zombie) processes still in that process group
  local d p
  for d in /proc/[0-9]*; do
    p="${d#/proc/}"
    [ "$(statfield "$p" 5)" = "$1" ] && [ "$(statfield "$p" 3)" != "Z" ] && echo "$p"
  done
  return 0
}

reap_old_group() {  # reap_old_group NAME: a component killed from outside (its main process gone)
  # can leave children behind (the scheduler's health-check server holds a port, a worker's pool
  # holds tasks): wait for them before starting a new one (TERM, then KILL after 30 s).
  local name="$1" f="$RUN/$1.pid" pid left i
  [ -s "$f" ] || return 0
  pid="$(pid_of "$name")"
  [ -n "$pid" ] || return 0
  left="$(group_left "$pid")"
  [ -z "$left" ] && return 0
  say "waiting for what is left of the old $name (process group $pid:" $left")"
  kill -TERM -- "-$pid" 2>/dev/null || true
  for i in $(seq 1 60); do
    left="$(group_left "$pid")"; [ -z "$left" ] && return 0
    sleep 0.5
  done
  say "old $name group $pid did not exit in 30 s: SIGKILL" $left
  kill -KILL -- "-$pid" 2>/dev/null || true
  for i in $(seq 1 20); do [ -z "$(group_left "$pid")" ] && return 0; sleep 0.25; done
}

start_component() {
  local name="$1" cmd; cmd="$(component_cmd "$name")"
  reap_old_group "$name"
  [ -s "$LOGS/$name.log" ] && mv -f "$LOGS/$name.log" "$LOGS/$name.log.1"  # readiness reads this start's log only
  # Each component in its own session (process group = its pid), so stop reaches its children.
  # KALSHI_EDGE_NODE_NAME names the worker in task instances (hostname_callable below).
  KALSHI_EDGE_NODE_NAME="$name" AIRFLOW__CORE__HOSTNAME_CALLABLE=kalshi_edge.platform_host.node_name \
    setsid $cmd >>"$LOGS/$name.log" 2>&1 </dev/null &
  record "$name" "$!"
}

api_get() { curl -fsS --max-time 5 "$KE_API_URL$1" 2>/dev/null; }

wait_ready() {
  local t0="$1" deadline=$((SECONDS + READY_TIMEOUT)) health
  while :; do
    for n in "${COMPONENTS[@]}"; do
      alive "$n" || { dump_logs; echo "----- $n.log, the component that exited (last 80 lines) -----" >&2
                      tail -80 "$LOGS/$n.log" >&2; die "$n exited during start-up (log: $LOGS/$n.log)"; }
    done
    health="$(api_get /api/v2/monitor/health || true)"
    local ok=1
    if [ -z "$health" ] || ! "$VENV_BIN/python" -c '
import json, sys
h = json.loads(sys.argv[1])
sys.exit(0 if all(h.get(k, {}).get("status") == "healthy" for k in ("metadatabase", "scheduler", "triggerer", "dag_processor")) else 1)
' "$health" 2>/dev/null; then ok=0; fi
    for i in $(seq 1 "$WORKERS"); do grep -q "worker$i@.* ready" "$LOGS/worker$i.log" 2>/dev/null || ok=0; done
    [ "$ok" -eq 1 ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
      dump_logs
      echo "last health: ${health:-<no answer>}" >&2
      die "stack not ready after ${READY_TIMEOUT}s (logs in $LOGS; stop with 'make airflow-celery-stop')"
    fi
    sleep 2
  done
  say "ready in $((SECONDS - t0)) s: api-server, scheduler, dag-processor, triggerer healthy; $WORKERS Celery workers ready"
}

dump_logs() {
  local f
  for f in "$LOGS"/*.log; do
    [ -s "$f" ] || continue
    echo "----- $(basename "$f") (last 40 lines) -----" >&2
    tail -40 "$f" >&2
  done
}

cmd_start() {
  local t0=$SECONDS
  mkdir -p "$RUN" "$LOGS"
  ensure_python
  ensure_packages
  if ! any_alive; then write_stack_env; fi
  [ -s "$DIR/stack.env" ] || write_stack_env
  load_env
  alive postgres || start_postgres
  alive redis || start_redis
  local started=0
  alive scheduler || alive api-server || { airflow_init; }
  for n in "${COMPONENTS[@]}"; do
    if ! alive "$n"; then start_component "$n"; started=1; say "started $n (pid $(pid_of "$n"), log $LOGS/$n.log)"; fi
  done
  wait_ready "$t0"
  [ "$started" -eq 1 ] || say "everything was already running"
  cat <<EOF

  Airflow UI and REST API: $KE_API_URL   (user admin, password in $AIRFLOW_HOME/passwords.json)
  REST: curl -X POST $KE_API_URL/auth/token -H 'Content-Type: application/json' \\
          -d '{"username":"admin","password":"<password>"}'
  CLI:  scripts/airflow_celery.sh airflow dags list
  Stop: make airflow-celery-stop

EOF
}

descendants() {  # descendants PID: every live descendant (some re-parent into their own session)
  local c kids
  kids="$(cat /proc/"$1"/task/*/children 2>/dev/null || true)"
  for c in $kids; do echo "$c"; descendants "$c"; done
}

stop_group() {  # stop_group NAME: TERM its process group and descendants, KILL after a grace period
  local name="$1" pid i p left tree
  alive "$name" || { rm -f "$RUN/$name.pid"; return 0; }
  pid="$(pid_of "$name")"
  tree="$pid $(descendants "$pid" | tr '\n' ' ')"
  kill -TERM -- "-$pid" 2>/dev/null || true
  for p in $tree; do kill -TERM "$p" 2>/dev/null || true; done
  for i in $(seq 1 $((2 * ${STOP_GRACE:-60}))); do
    left=""
    for p in $tree; do [ -d "/proc/$p" ] && [ "$(statfield "$p" 3)" != "Z" ] && left="$left $p"; done
    [ -z "$left" ] && break
    sleep 0.5
  done
  [ -n "$left" ] && say "$name did not stop in time: SIGKILL$left"
  kill -KILL -- "-$pid" 2>/dev/null || true  # stragglers of the group (task processes) too
  for p in $left; do kill -KILL "$p" 2>/dev/null || true; done
  rm -f "$RUN/$name.pid"
  say "stopped $name"
}

cmd_stop() {
  [ -d "$RUN" ] || { say "nothing to stop ($RUN missing)"; return 0; }
  local n
  for n in "${COMPONENTS[@]}"; do stop_group "$n" & done
  wait
  if alive redis; then
    kill -TERM "$(pid_of redis)" 2>/dev/null || true
    for _ in $(seq 1 50); do alive redis || break; sleep 0.2; done
    alive redis && kill -KILL "$(pid_of redis)" 2>/dev/null
    say "stopped redis"
  fi
  rm -f "$RUN/redis.pid"
  if alive postgres; then
    as_pg "$(pg_bindir)/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null || kill -KILL "$(pid_of postgres)" 2>/dev/null || true
    say "stopped postgres"
  fi
  rm -f "$RUN/postgres.pid"
}

cmd_status() {
  local n rc=0
  for n in postgres redis "${COMPONENTS[@]}"; do
    if alive "$n"; then echo "$n running (pid $(pid_of "$n"))"; else echo "$n stopped"; rc=3; fi
  done
  return $rc
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  logs) dump_logs 2>&1 ;;
  env) load_env; cat "$DIR/stack.env" ;;
  airflow) shift; load_env; exec airflow "$@" ;;
  *) echo "usage: $0 start|stop|status|logs|env|airflow ARGS..." >&2; exit 2 ;;
esac
