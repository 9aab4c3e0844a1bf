"""
### BTC hourly edge snapshots (`btc_edge_snapshots`, `btc_opportunities`)

Hourly at minute 5. For the run's logical time (the as-of time; never "now"), prices every market
of the open BTC ladders with the walk-forward model (bars at or before the as-of time only; no
forecast from a spot older than `max_spot_age_seconds`), computes the exact fee-aware EV of YES
and NO at the ask (and maker alternatives at the bid), applies the selection filters and stores a
snapshot row for every market (skip reason when not selected) plus the opportunity ledger.
Rows merge on (as_of, market_ticker): a rerun for the same logical time reproduces the same rows.

Offline (param `offline`, default: settings `kalshi_env == local`): sample bars from
`data/sample/btc/` and sample ladders with synthetic quotes. Backfill: `airflow backfill create
--dag-id btc_hourly_edge --from-date ... --to-date ...` (catchup is off for the live schedule).

Schedule: a clock, not the `model_btc_latest` asset. It prices the market as of each hour and
reads whatever `models/btc/latest.json` is then; the weekly retrain (Monday 02:00) is picked up by
the 02:05 run. An extra asset-triggered snapshot off the hourly grid would add rows the scoring
reads as one more as-of time without new information.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from kalshi_edge.assets import BTC_EDGE_SNAPSHOTS
from kalshi_edge.dag_defaults import DEFAULT_ARGS, LAKE_WRITE_POOL, run_job


@dag(
    dag_id="btc_hourly_edge",
    schedule="5 * * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["btc", "edge"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={"offline": Param(None, type=["null", "boolean"], description="Sample bars + sample ladders")},
)
def btc_hourly_edge():
    @task(pool=LAKE_WRITE_POOL, outlets=[BTC_EDGE_SNAPSHOTS])
    def compute(params=None, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.families.btc.tasks import hourly_edge

        return run_job(hourly_edge, logical_date, params, dag_run=dag_run)

    compute()


btc_hourly_edge()
