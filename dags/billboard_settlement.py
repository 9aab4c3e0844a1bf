"""
### Billboard settlement reconciliation (Monday/Tuesday after the reveal)

Monday and Tuesday 20:00 ET. Billboard reveals the top 10 on Monday; the chart is dated the Saturday
after. The run compares that chart's #1 (from `billboard_charts`; the chart backfill DAG loads it)
with our stored prediction and suggested KXTOPSONG sides: P(winner), whether the favorite won, and
the per-contract result of each suggested side. If the chart is not in the lake yet the task fails
with a clear message and Airflow retries (Tuesday's run catches up).

Schedule: a clock, not the `billboard_charts` asset: a chart backfill triggered on another weekday
(e.g. Sunday) would settle a week whose chart is not revealed yet and fail red.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from kalshi_edge.dag_defaults import DEFAULT_ARGS, run_job


@dag(
    dag_id="billboard_settlement",
    schedule="0 20 * * 1,2",
    start_date=pendulum.datetime(2019, 1, 1, tz="America/New_York"),
    catchup=False,
    max_active_runs=1,
    tags=["billboard", "settlement"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def billboard_settlement():
    @task
    def reconcile(logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.families.billboard.tasks import settlement

        return run_job(settlement, logical_date, None, dag_run=dag_run)

    reconcile()


billboard_settlement()
