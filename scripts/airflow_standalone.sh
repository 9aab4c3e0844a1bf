#!/usr/bin/env bash
# Start Airflow 3 standalone for this project: SQLite metadata DB under .airflow/, DAGs from
# dags/, no examples, UI and REST API on 127.0.0.1:8080 (override with AIRFLOW_PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
export AIRFLOW_HOME="${AIRFLOW_HOME:-$PWD/.airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="$PWD/dags"
export AIRFLOW__CORE__PLUGINS_FOLDER="$PWD/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__API__HOST="${AIRFLOW_HOST:-127.0.0.1}"
export AIRFLOW__API__PORT="${AIRFLOW_PORT:-8080}"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="${AIRFLOW_ADMIN_USER:-admin}:admin"
# Size the executor to the machine (issue 13): LocalExecutor forks `parallelism` workers (default 32,
# ~6 GB RSS on a 2-core box). One per core, at least 2; override with AIRFLOW_PARALLELISM.
cores="$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW_PARALLELISM:-$(( cores < 2 ? 2 : cores ))}"
export AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES="${AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES:-1}"
echo "  executor: LocalExecutor, parallelism $AIRFLOW__CORE__PARALLELISM ($cores cores; AIRFLOW_PARALLELISM=N to change)"
mkdir -p "$AIRFLOW_HOME"
command -v airflow >/dev/null || { echo "error: airflow not on PATH (run via 'make airflow')"; exit 2; }

airflow db migrate >/dev/null
airflow pools set lake_writer 1 "serialized lake and DuckDB writes" >/dev/null

pwfile="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
(
  # Print the login once the password file exists (standalone writes it at start).
  for _ in $(seq 1 120); do [ -s "$pwfile" ] && break; sleep 1; done
  echo
  echo "  Airflow UI and REST API: http://$AIRFLOW__API__HOST:$AIRFLOW__API__PORT"
  echo "  Log in as ${AIRFLOW_ADMIN_USER:-admin}, password in $pwfile:"
  echo "    $(cat "$pwfile" 2>/dev/null)"
  echo "  REST: curl -X POST http://$AIRFLOW__API__HOST:$AIRFLOW__API__PORT/auth/token \\"
  echo "          -H 'Content-Type: application/json' -d '{\"username\":\"admin\",\"password\":\"<password>\"}'"
  echo
) &
# With KALSHI_EDGE_KALSHI_ENV=local (the default) the trading sensor and the Billboard prices need the
# local simulator: start it when nothing answers on its port (KALSHI_SIMULATOR=0 to skip), stop it on exit.
sim_pid=""
if [ "${KALSHI_EDGE_KALSHI_ENV:-local}" = "local" ] && [ "${KALSHI_SIMULATOR:-1}" != "0" ] && [ -z "${KALSHI_EDGE_KALSHI_REST_URL:-}" ]; then
  if ! curl -fsS -m 2 "http://127.0.0.1:8765/trade-api/v2/exchange/status" >/dev/null 2>&1; then
    kalshi-edge simulator --host 127.0.0.1 --port 8765 >"$AIRFLOW_HOME/simulator.log" 2>&1 &
    sim_pid=$!
    echo "  local simulator: http://127.0.0.1:8765/trade-api/v2 (pid $sim_pid, log $AIRFLOW_HOME/simulator.log)"
  fi
fi
trap '[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null' EXIT
airflow standalone
