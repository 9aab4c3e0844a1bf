"""
### Billboard model re-validation (weekly)

Wednesday 06:00 ET, after the new chart is in the lake. Runs the walk-forward backtest over the last
`eval_weeks` (default 26) charts before the logical date — each week trained only on earlier charts —
and writes metrics (model vs rank-prior baseline) and the configuration to
`models/billboard/metadata_<date>.json` and `latest.json`. The model itself is refit inside every
weekly prediction (expanding window), so nothing here can leak into a live prediction.

Param `offline=true` / `charts_csv` reads a CSV instead of the lake.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from kalshi_edge.dag_defaults import DEFAULT_ARGS, run_job


@dag(
    dag_id="billboard_weekly_retrain",
    schedule="0 6 * * 3",
    start_date=pendulum.datetime(2019, 1, 1, tz="America/New_York"),
    catchup=False,
    max_active_runs=1,
    tags=["billboard", "model"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "charts_csv": Param(None, type=["null", "string"], description="Chart history CSV instead of the lake"),
        "offline": Param(False, type="boolean", description="Use the sample charts"),
        "eval_weeks": Param(26, type="integer", minimum=4, description="Weeks to walk forward over"),
    },
)
def billboard_weekly_retrain():
    @task
    def revalidate(params=None, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.families.billboard.tasks import weekly_retrain

        return run_job(weekly_retrain, logical_date, params, dag_run=dag_run)

    revalidate()


billboard_weekly_retrain()
