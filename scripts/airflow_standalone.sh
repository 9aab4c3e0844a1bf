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
exec airflow standalone
