"""
### Weather intraday update

Whenever `weather_obs` is updated (the `weather_obs` asset, produced by `weather_obs_ingest`):
reads the day-ahead pmf and the running high from `weather_obs` up to the run's time, applies the hazard-of-a-new-high update (never below the running high, sums to 1)
and writes kind `intraday` into `weather_forecasts`. Skips a station without a forecast or obs.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from kalshi_edge.assets import WEATHER_FORECASTS, WEATHER_OBS
from kalshi_edge.dag_defaults import DEFAULT_ARGS, LAKE_WRITE_POOL, run_job


@dag(
    dag_id="weather_intraday",
    schedule=[WEATHER_OBS],
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
def weather_intraday():
    @task(pool=LAKE_WRITE_POOL, outlets=[WEATHER_FORECASTS])
    def run(params=None, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.families.weather.tasks import intraday as job

        # An asset-triggered run has no logical date: run_job uses the run's run_after (when the new obs arrived).
        return run_job(job, logical_date, params, dag_run=dag_run)

    run()


weather_intraday()
