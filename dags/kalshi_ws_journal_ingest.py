"""
### Kalshi WebSocket journals → lake (`kalshi_ws_journal`)

Daily at 00:30 UTC. Every raw WebSocket frame recorded by the project's WebSocket client (JSONL
journals under `data/journals/`, one file per session, written by `KalshiWsClient(journal=...)`)
is stored in the lake with its receive time, session and frame number, so any session can be
replayed from DuckDB as well as from the file. Idempotent: rows are keyed on (session, frame
number) and journals are append-only, so a rerun rewrites the same rows. Offline and online runs
are the same (local files only). Backfill: `airflow dags test kalshi_ws_journal_ingest <date>`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from kalshi_edge.assets import KALSHI_WS_JOURNAL
from kalshi_edge.dag_defaults import DEFAULT_ARGS, LAKE_WRITE_POOL, run_job


@dag(
    dag_id="kalshi_ws_journal_ingest",
    schedule="30 0 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["kalshi", "lake", "websocket"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def kalshi_ws_journal_ingest():
    @task(pool=LAKE_WRITE_POOL, outlets=[KALSHI_WS_JOURNAL])
    def ingest(logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.kalshi.tasks import journal_ingest

        return run_job(journal_ingest, logical_date, None, dag_run=dag_run)

    ingest()


kalshi_ws_journal_ingest()
