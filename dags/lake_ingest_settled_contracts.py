"""
### Settled Kalshi temperature contracts → lake → validation → DuckDB

Monthly. Each run imports the **month before its logical date** from the settled-contracts
history CSV (param `source_csv`; default: the sample under `data/sample/kalshi_history/`) into
the lake dataset `kalshi_settled_temps` (one partition per month, replaced on rerun), validates
the stored partition with its Great Expectations suite, then refreshes the DuckDB catalog and
computes the market-calibration table (yes rate by last-price bucket).

Backfill any range: `airflow backfill create --dag-id lake_ingest_settled_contracts
--from-date 2024-07-01 --to-date 2025-01-01`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from kalshi_edge.dag_defaults import DEFAULT_ARGS, LAKE_WRITE_POOL, run_job


@dag(
    dag_id="lake_ingest_settled_contracts",
    schedule="@monthly",
    start_date=pendulum.datetime(2024, 7, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["platform", "lake", "weather"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={"source_csv": Param(None, type=["null", "string"], description="CSV to import (default: sample)")},
)
def lake_ingest_settled_contracts():
    @task(pool=LAKE_WRITE_POOL)
    def ingest(params=None, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.sources.kalshi_history_tasks import ingest_month

        return run_job(ingest_month, logical_date, params, dag_run=dag_run)

    @task
    def validate(ingested: dict, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.sources.kalshi_history_tasks import validate as job

        return run_job(job, logical_date, {"month": ingested["month"]}, dag_run=dag_run)

    @task(pool=LAKE_WRITE_POOL)
    def calibration_table(_validated: dict, logical_date=None, dag_run=None) -> list[dict]:
        from kalshi_edge.sources.kalshi_history_tasks import calibration_table as job

        return run_job(job, logical_date, None, dag_run=dag_run)

    calibration_table(validate(ingest()))


lake_ingest_settled_contracts()
