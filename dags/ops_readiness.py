"""
### Daily go-live readiness (`ops_readiness`)

Daily at 16:00 UTC (after `trading_settlement` has written the day's paper PnL), evaluates every
go-live criterion per family and series — days of clean data, backtest Sharpe, paper win rate
over at least the stated number of settled trades, max drawdown, daily loss cap enforced (a test
run of the configured risk engine), sensor uptime over the trailing 30 days (from the sensor's
heartbeats), alerts configured — and writes them to the lake dataset `ops_readiness` (partition
`date=<logical date>`; a rerun rewrites it). A family whose readiness changed since the previous
partition raises a `readiness_change` alert. Thresholds: `KALSHI_EDGE_READINESS_*` settings.
The same evaluation backs `kalshi-edge readiness` and the live preflight gate.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from kalshi_edge.assets import OPS_READINESS
from kalshi_edge.dag_defaults import DEFAULT_ARGS, LAKE_WRITE_POOL, run_job


@dag(
    dag_id="ops_readiness",
    schedule="0 16 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["ops", "readiness"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def ops_readiness():
    @task(pool=LAKE_WRITE_POOL, outlets=[OPS_READINESS])
    def evaluate(logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.ops.readiness import daily_readiness

        return run_job(daily_readiness, logical_date, None, dag_run=dag_run)

    evaluate()


ops_readiness()
