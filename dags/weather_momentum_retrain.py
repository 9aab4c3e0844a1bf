"""
### Weather momentum: daily refit from the lake's recorded books (`weather/momentum`)

Whenever `kalshi_ws_journal_ingest` has landed the WebSocket journals in the lake (the
`kalshi_ws_journal` asset; daily at 00:30 UTC): that dataset is the refit's only input, so it runs on
the asset instead of a cron offset after the ingest (it was 01:30 UTC). The asset-triggered run is
dated by its run_after (when the journals landed, the evening before in New York, the same day a
01:30 UTC run had); a paused or failed ingest means no new books, hence no refit. For the day of the logical date (America/New_York), it replays the
`kalshi_ws_journal` frames of the `window_days` days before that day per session through the
client's BookKeeper, builds the incremental momentum features, fits the short-horizon up-move
model (ridge logistic, Platt-calibrated on the last day), the Hawkes parameters (MLE) and the
maker-fill table, and stores them as the artifact `weather/momentum` through the one artifact
store (atomic, versioned; a rerun of the same logical date on the same data writes the same
version). The `weather_momentum` strategy reads it. Fewer than two recorded KXHIGH ladders in the
window: the run fails (red) without retrying, naming what is missing.
Backfill: `airflow dags test weather_momentum_retrain <date>`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from kalshi_edge.assets import KALSHI_WS_JOURNAL, WEATHER_MOMENTUM_MODEL
from kalshi_edge.dag_defaults import DEFAULT_ARGS, run_job


@dag(
    dag_id="weather_momentum_retrain",
    schedule=[KALSHI_WS_JOURNAL],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["weather", "model", "momentum"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "window_days": Param(14, type="integer", minimum=2, description="days of recorded books before the day"),
        "horizons": Param([30, 300], type="array", description="horizons in seconds"),
        "books": Param([], type="array", description="recorded book files instead of the lake (offline)"),
    },
)
def weather_momentum_retrain():
    @task(outlets=[WEATHER_MOMENTUM_MODEL])
    def refit(params=None, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.families.weather.momentum.tasks import retrain

        # NotEnoughBooks (nothing to fit) is permanent for this logical date: run_job fails it, no retry
        return run_job(retrain, logical_date, params, dag_run=dag_run)

    refit()


weather_momentum_retrain()
