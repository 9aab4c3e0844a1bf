"""
### Weather observations, every 5 minutes

Downloads the climate day (local standard time) containing the logical date from IEM ASOS
1-minute data for each station into `weather_obs`, replacing that (station, climate day)
partition, so a rerun writes the same rows. Skipped offline (no IEM sample is shipped). Backfill:
trigger with a past logical date, or use `kalshi-edge weather backfill`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from kalshi_edge.assets import WEATHER_OBS
from kalshi_edge.dag_defaults import DEFAULT_ARGS, LAKE_WRITE_POOL, run_job


@dag(
    dag_id="weather_obs_ingest",
    schedule="*/5 * * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["weather", "ingest"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "offline": Param(None, type=["null", "boolean"], description="Use data/sample/weather (default: kalshi_env=local)"),
        "stations": Param(["KNYC", "KMIA"], type="array", description="Stations (registry keys)"),
        "sample": Param("1min", enum=["1min", "5min"]),
    },
)
def weather_obs_ingest():
    @task(pool=LAKE_WRITE_POOL, outlets=[WEATHER_OBS])
    def run(params=None, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.families.weather.tasks import obs_ingest as job

        return run_job(job, logical_date, params, dag_run=dag_run)

    run()


weather_obs_ingest()
