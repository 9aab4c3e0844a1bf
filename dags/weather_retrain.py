"""
### Weather weekly walk-forward check

Monday 03:00 UTC: evaluates the day-ahead recipe walk-forward on the last `eval_days` before the
logical date (refit every 7 days from past rows only) and writes
`models/weather/<station>_<date>.json` and `<station>_latest.json` (config + RPS/Brier vs
climatology).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from kalshi_edge.dag_defaults import DEFAULT_ARGS, LAKE_WRITE_POOL


@dag(
    dag_id="weather_retrain",
    schedule="0 3 * * 1",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["weather", "model"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "offline": Param(None, type=["null", "boolean"], description="Use data/sample/weather (default: kalshi_env=local)"),
        "stations": Param(["KNYC", "KMIA"], type="array", description="Stations (registry keys)"),
        "eval_days": Param(91, type="integer", minimum=7),
    },
)
def weather_retrain():
    @task(pool=LAKE_WRITE_POOL)
    def run(params=None, logical_date=None) -> dict:
        from kalshi_edge.families.weather.tasks import retrain as job

        return job(logical_date, params)

    run()


weather_retrain()
