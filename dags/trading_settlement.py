"""
### Daily settlement and PnL (`trading_settlement`)

Daily at 15:00 UTC (Kalshi settles the previous day's temperature markets in the morning ET,
BTC markets within the hour, Hot 100 on Monday). For every market the order ledger holds a
filled position in, reads the market's `result` from the exchange, appends `settled` to the
ledger (closing the position), computes realized PnL net of fees per market, event and family
(lake dataset `trading_pnl`) and scores the model probability behind every filled order against
the result (`trading_prediction_scores`, Brier). Keyed on the run's logical date: a rerun
rewrites the same partition and `data/reports/trading/settlement_<date>.json`.
Backfill: `airflow backfill create --dag-id trading_settlement --from-date ... --to-date ...`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from kalshi_edge.dag_defaults import DEFAULT_ARGS, LAKE_WRITE_POOL, run_job


@dag(
    dag_id="trading_settlement",
    schedule="0 15 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["trading", "pnl"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def trading_settlement():
    @task(pool=LAKE_WRITE_POOL)
    def settle(logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.trading.dag_tasks import settle as job

        return run_job(job, logical_date, None, dag_run=dag_run)

    settle()


trading_settlement()
