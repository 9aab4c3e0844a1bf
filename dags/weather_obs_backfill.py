"""
### Weather history backfill

Imports the GHCN-Daily TMAX history (`date,station,ghcn_id,tmax_f`) of the configured stations
into `weather_tmax` (validated; bad rows quarantined; merged on station/date, so reruns are
idempotent). Offline it reads the shipped samples. For IEM minute observations over a date range
use `kalshi-edge weather backfill --station KMDW --from D --to D` (same library function as
`weather_obs_ingest`). Trigger manually; `@once` on deploy.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from kalshi_edge.assets import WEATHER_OBS
from kalshi_edge.dag_defaults import DEFAULT_ARGS, LAKE_WRITE_POOL, run_job


@dag(
    dag_id="weather_obs_backfill",
    schedule="@once",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["weather", "ingest"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "offline": Param(None, type=["null", "boolean"], description="Use data/sample/weather (default: kalshi_env=local)"),
        "stations": Param(["KNYC", "KMIA"], type="array", description="Stations (registry keys)"),
    },
)
def weather_obs_backfill():
    @task(pool=LAKE_WRITE_POOL, outlets=[WEATHER_OBS])
    def run(params=None, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.families.weather.tasks import tmax_import as job

        return run_job(job, logical_date, params, dag_run=dag_run)

    run()


weather_obs_backfill()
