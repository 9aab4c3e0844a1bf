"""
### Weather forecast ingest

Daily at 05:30 UTC (after the NWS overnight update, before the day-ahead run): stores the NWS
forecasts of the daily high for each station with a known NWS point (api.weather.gov points →
forecast periods `nws_point` and gridpoint `maxTemperature` `nws_grid`) into the `forecasts`
dataset, merged on (station, target_date, issued_at, source), bad rows quarantined. Offline it
replays the shipped forecast log up to the logical day. Models read a forecast at time t only
when issued_at < t.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from kalshi_edge.assets import FORECASTS
from kalshi_edge.dag_defaults import DEFAULT_ARGS, LAKE_WRITE_POOL, run_job


@dag(
    dag_id="weather_forecast_ingest",
    schedule="30 5 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["weather", "ingest"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "offline": Param(None, type=["null", "boolean"], description="Use data/sample/weather (default: kalshi_env=local)"),
        "stations": Param(["KNYC"], type="array", description="Stations (registry keys)"),
    },
)
def weather_forecast_ingest():
    @task(pool=LAKE_WRITE_POOL, outlets=[FORECASTS])
    def run(params=None, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.families.weather.tasks import forecast_ingest as job

        return run_job(job, logical_date, params, dag_run=dag_run)

    run()


weather_forecast_ingest()
