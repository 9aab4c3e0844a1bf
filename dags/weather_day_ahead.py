"""
### Weather day-ahead distribution

Twice a day: at 14:00 UTC (≈ market open, 10:00 ET the day before) for the NEXT climate day, and
at 06:00 UTC (≈ just after local standard midnight on the US east coast, when the previous day's
high is final) for the day itself. Issues the pmf of the daily high from TMAX rows dated before that day,
into `weather_forecasts` (kind `day_ahead`; merged on key, idempotent). Backfill: trigger with past
logical dates. A manual trigger without a logical date runs as of its trigger time.

Schedule: its own clock (the two issue times above) OR a new `forecasts` asset event
(`AssetOrTimeSchedule`). The forecast-driven model reads the NWS forecasts that
`weather_forecast_ingest` lands at 05:30 UTC, so the day's pmf is reissued as soon as they arrive
instead of relying on the 06:00 offset; an asset-triggered run is dated by its run_after (before
12:00 UTC: the day itself, after: the next day, as for the clock) and merges on key, so it is
idempotent and the clock runs still happen when the ingest is late or paused. Not on
`model_weather_params`: the weekly retrain lands at ~03:00 UTC, before the day is final locally, and
the 06:00 run reads the new params anyway.

Stale inputs: when the newest TMAX row is more than 5 days before the issued day the run fails,
naming the station and the last date (`KALSHI_EDGE_STALE_INPUTS=warn`, or param `stale_inputs`,
issues anyway with a note). Offline (default with `kalshi_env=local`) it runs as of the sample's
last date instead and says so in the log and in the result's `note`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, task

from kalshi_edge.assets import FORECASTS, WEATHER_FORECASTS
from kalshi_edge.dag_defaults import DEFAULT_ARGS, LAKE_WRITE_POOL, run_job


@dag(
    dag_id="weather_day_ahead",
    schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable("0 6,14 * * *", timezone="UTC"),
                                 assets=[FORECASTS]),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["weather", "model"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "offline": Param(None, type=["null", "boolean"], description="Use data/sample/weather (default: kalshi_env=local)"),
        "stations": Param(["KNYC", "KMIA"], type="array", description="Stations (registry keys)"),
        "stale_inputs": Param(None, type=["null", "string"], enum=[None, "fail", "warn"],
                              description="fail | warn when TMAX is stale (default: KALSHI_EDGE_STALE_INPUTS)"),
    },
)
def weather_day_ahead():
    @task(pool=LAKE_WRITE_POOL, outlets=[WEATHER_FORECASTS])
    def run(params=None, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.families.weather.tasks import day_ahead as job

        return run_job(job, logical_date, params, dag_run=dag_run)

    run()


weather_day_ahead()
