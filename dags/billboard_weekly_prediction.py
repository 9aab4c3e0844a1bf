"""
### Billboard #1 weekly prediction and KXTOPSONG edges

Sunday 18:00 ET, ahead of the KXTOPSONG close (Sunday 23:59 ET). Predicts P(#1) for every
contender (last week's top 20) plus the `__OTHER__` remainder for the chart dated the coming
Saturday, from chart history dated strictly before it (walk-forward LightGBM, expanding window),
fetches the open KXTOPSONG markets, fuzzy-matches them to contenders (low-confidence matches are
never traded), computes the edge after fees and the suggested side, writes
`billboard_predictions`, `billboard_edges` and `reports/billboard/prediction_<date>.html`.

Offline (`make demo`; default when `kalshi_env=local`): the lake's charts, else the sample charts, and
the run is "as of the last chart" when its logical date is beyond them (the log and the result's
`notes` say so). Online, charts more than 14 days older than the predicted chart fail the run
(naming `billboard_charts` and its last date; `KALSHI_EDGE_STALE_INPUTS=warn` predicts as of the last
chart instead). With `kalshi_env=local` prices come from
the local simulator (param `kalshi_base_url` to point elsewhere); without prices it says so and
still writes the probabilities. Rerunning a week replaces that week's partitions.

Schedule: a clock, not the `billboard_charts` asset. The charts land on Tuesday, when the chart
this run predicts (the coming Saturday's) has just been revealed; the prediction's timing is set by
the KXTOPSONG close (Sunday) and the week's daily signals, not by the chart load.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from kalshi_edge.assets import BILLBOARD_PREDICTION_MODEL, BILLBOARD_PREDICTIONS
from kalshi_edge.dag_defaults import DEFAULT_ARGS, LAKE_WRITE_POOL, run_job


@dag(
    dag_id="billboard_weekly_prediction",
    schedule="0 18 * * 0",
    start_date=pendulum.datetime(2019, 1, 1, tz="America/New_York"),
    catchup=False,
    max_active_runs=1,
    tags=["billboard", "edge", "prediction"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "charts_csv": Param(None, type=["null", "string"], description="Chart history CSV instead of the lake"),
        "offline": Param(None, type=["null", "boolean"],
                         description="Sample charts when the lake has none; as of their last date (default: kalshi_env=local)"),
        "kalshi_base_url": Param(None, type=["null", "string"], description="Kalshi REST base URL override"),
    },
)
def billboard_weekly_prediction():
    @task(pool=LAKE_WRITE_POOL, outlets=[BILLBOARD_PREDICTIONS, BILLBOARD_PREDICTION_MODEL])
    def predict(params=None, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.families.billboard.tasks import weekly_prediction

        return run_job(weekly_prediction, logical_date, params, dag_run=dag_run)

    predict()


billboard_weekly_prediction()
