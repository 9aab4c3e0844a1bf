"""
### Kalshi market snapshots → lake (`kalshi_markets`, `kalshi_orderbook_snapshots`)

Hourly at minute 2. For each series the families trade (KXHIGHNY, KXBTCD, KXBTC, KXTOPSONG by
default; param `series`), snapshots every open market (quotes, status, strikes, fee fields) and
the order books of up to `max_books_per_series` of them, keyed on the run's logical date, so a
rerun of the same hour replaces its own rows (merge on key) and never duplicates.

Host: `settings.rest_base_url` (prod | demo | local) or param `base_url`. Offline
(`KALSHI_EDGE_KALSHI_ENV=local`, the default) it uses the local simulator running at the
configured URL; param `in_process_simulator` (false by default) starts one in-process from the
built-in scenario for the run instead (demos and tests).
Backfill is meaningless for live quotes (catchup off); rerun a past hour with
`airflow dags test kalshi_market_snapshots <logical date>` only against a replaying simulator.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from kalshi_edge.assets import KALSHI_MARKETS
from kalshi_edge.dag_defaults import DEFAULT_ARGS, LAKE_WRITE_POOL, run_job


@dag(
    dag_id="kalshi_market_snapshots",
    schedule="2 * * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["kalshi", "lake", "markets"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "series": Param(["KXHIGHNY", "KXBTCD", "KXBTC", "KXTOPSONG"], type="array",
                        description="Series tickers to snapshot"),
        "base_url": Param(None, type=["null", "string"], description="REST base URL override"),
        "max_books_per_series": Param(50, type="integer", minimum=0),
        "in_process_simulator": Param(False, type="boolean",
                                      description="Serve the built-in scenario in-process for this run (offline demos)"),
    },
)
def kalshi_market_snapshots():
    @task(pool=LAKE_WRITE_POOL, outlets=[KALSHI_MARKETS])
    def snapshot(params=None, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.kalshi.tasks import market_snapshots

        p = dict(params or {})
        if p.get("in_process_simulator"):  # the explicit demo option: the kalshi package never starts one
            from kalshi_edge.demos.simulator import in_process_simulator

            with in_process_simulator() as url:
                return run_job(market_snapshots, logical_date, {**p, "base_url": url}, dag_run=dag_run)
        return run_job(market_snapshots, logical_date, p, dag_run=dag_run)

    snapshot()


kalshi_market_snapshots()
