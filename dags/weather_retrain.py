"""
### Weather weekly walk-forward retrain

Monday 03:00 UTC, per station, from rows dated before the logical date only:

1. with `tune_trials` > 0, an Optuna search of the day-ahead model's knobs on the `tune_val_days`
   days before the logical date; the chosen config (the defaults unless beaten) goes to
   `models/weather/<station>_params.json`, which the day-ahead job reads;
2. the fitted model as of the logical date (coefficients + the LightGBM correction) goes to
   `models/weather/<station>_<date>.model.json`;
3. a walk-forward check of the last `eval_days` against climatology goes to
   `models/weather/<station>_<date>.json` and `<station>_latest.json`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from kalshi_edge.assets import WEATHER_PARAMS
from kalshi_edge.dag_defaults import DEFAULT_ARGS, LAKE_WRITE_POOL, run_job


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
        "tune_trials": Param(0, type="integer", minimum=0, description="Optuna trials (0: keep the config)"),
        "tune_val_days": Param(365, type="integer", minimum=7, description="validation days for tuning"),
    },
)
def weather_retrain():
    @task(pool=LAKE_WRITE_POOL, outlets=[WEATHER_PARAMS])
    def run(params=None, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.families.weather.tasks import retrain as job

        return run_job(job, logical_date, params, dag_run=dag_run)

    run()


weather_retrain()
