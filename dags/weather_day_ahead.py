"""
### Weather day-ahead distribution

Twice a day: at 14:00 UTC (≈ market open, 10:00 ET the day before) for the NEXT climate day, and
at 06:00 UTC (≈ just after local standard midnight on the US east coast, when the previous day's
high is final) for the day itself. Issues the pmf of the daily high from TMAX rows dated before that day,
into `weather_forecasts` (kind `day_ahead`; merged on key, idempotent). Backfill: trigger with past
logical dates.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from kalshi_edge.dag_defaults import DEFAULT_ARGS, LAKE_WRITE_POOL, run_job


@dag(
    dag_id="weather_day_ahead",
    schedule="0 6,14 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["weather", "model"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "offline": Param(None, type=["null", "boolean"], description="Use data/sample/weather (default: kalshi_env=local)"),
        "stations": Param(["KNYC", "KMIA"], type="array", description="Stations (registry keys)"),
    },
)
def weather_day_ahead():
    @task(pool=LAKE_WRITE_POOL)
    def run(params=None, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.families.weather.tasks import day_ahead as job

        return run_job(job, logical_date, params, dag_run=dag_run)

    run()


weather_day_ahead()
