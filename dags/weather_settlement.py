"""
### Weather settlement and scoring

Daily 11:00 UTC (after every final CLI is out) reconciles the previous climate day (param
`days_back`, default 1; set 0 and trigger with the climate day as logical date to backfill a day).
Fetches the final NWS CLI (offline: the shipped reports), stores it in `weather_cli`, scores the issued day-ahead
pmf (RPS, 2 °F Brier) and flags CLI / observation / Kalshi disagreements.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from kalshi_edge.dag_defaults import DEFAULT_ARGS, LAKE_WRITE_POOL, run_job


@dag(
    dag_id="weather_settlement",
    schedule="0 11 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["weather", "settlement"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "offline": Param(None, type=["null", "boolean"], description="Use data/sample/weather (default: kalshi_env=local)"),
        "stations": Param(["KNYC", "KMIA"], type="array", description="Stations (registry keys)"),
        "days_back": Param(1, type="integer", minimum=0),
    },
)
def weather_settlement():
    @task(pool=LAKE_WRITE_POOL)
    def run(params=None, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.families.weather.tasks import settlement as job

        return run_job(job, logical_date, params, dag_run=dag_run)

    run()


weather_settlement()
