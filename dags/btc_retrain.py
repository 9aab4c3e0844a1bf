"""
### BTC walk-forward retraining, weekly

Monday 02:00 UTC. Tunes the model's hyperparameters with Optuna on walk-forward folds
(42-day train / 7-day test, params `train_days`, `test_days`, `n_trials`) of the bars before the
logical date, fits the final state on the last 42 days and writes `models/btc/btc_<date>.json`
and `models/btc/latest.json` (params, fitted state, fold scores, data range). The hourly edge
job reads `latest.json`. With fewer days than one fold, the defaults are kept and the metadata
says so. Offline (param `offline`): sample bars.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from kalshi_edge.assets import BTC_MODEL
from kalshi_edge.dag_defaults import DEFAULT_ARGS, run_job


@dag(
    dag_id="btc_retrain",
    schedule="0 2 * * 1",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["btc", "model"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "offline": Param(None, type=["null", "boolean"], description="Sample bars"),
        "n_trials": Param(12, type="integer", minimum=1),
        "train_days": Param(42, type="integer", minimum=1),
        "test_days": Param(7, type="integer", minimum=1),
    },
)
def btc_retrain():
    @task(outlets=[BTC_MODEL])
    def retrain(params=None, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.families.btc.tasks import retrain as run

        return run_job(run, logical_date, params, dag_run=dag_run)

    retrain()


btc_retrain()
