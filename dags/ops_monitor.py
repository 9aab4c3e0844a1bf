"""
### Operations monitor (`ops_monitor`)

Every 15 minutes: alerts (SMTP and/or the JSON webhook, see `kalshi_edge.ops.alerts`) once per
lake dataset whose newest partition is older than its allowance (`KALSHI_EDGE_ALERT_STALE_HOURS`
for daily data, seven times that for weekly; beyond the trading guards, which only stop orders),
once per order whose outcome is unknown in any ledger, and once per kill-switch trip (the trip
itself also alerts at once). Already-sent alerts are remembered in `data/ops/alerted.json`, so a
rerun sends nothing twice. Task failures of every DAG alert through `DEFAULT_ARGS`' callback.
Read-only on the lake and the ledgers. No backfill (monitoring is about now).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from kalshi_edge.dag_defaults import DEFAULT_ARGS, run_job


@dag(
    dag_id="ops_monitor",
    schedule="*/15 * * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["ops", "alerts"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def ops_monitor():
    @task
    def check(logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.ops.alerts import monitor

        return run_job(monitor, logical_date, None, dag_run=dag_run)

    check()


ops_monitor()
