"""
### BTC spot bars → lake (`btc_bars`), one UTC day per run

Daily data-interval schedule: the run for logical date D covers [D 00:00, D+1 00:00) UTC and
starts after the day is complete. Each run imports that day's bars: from Coinbase Exchange REST
candles (1-minute, paginated, rate-limited) online, from the shipped sample bars
(`data/sample/btc/`) offline (param `offline`, default: settings `kalshi_env == local`), or from a
documented-layout CSV given as param `bars_csv`. Reruns replace the day's partition (idempotent).

Backfill any range explicitly (catchup is off, so unpausing runs only the latest day):
`airflow backfill create --dag-id btc_bars_backfill --from-date 2026-02-21 --to-date 2026-03-06`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, dag, task

from kalshi_edge.assets import BTC_BARS
from kalshi_edge.dag_defaults import DEFAULT_ARGS, LAKE_WRITE_POOL, run_job


@dag(
    dag_id="btc_bars_backfill",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,  # issue 13: unpausing must not start a run per day since start_date; backfill explicitly
    max_active_runs=4,
    tags=["btc", "lake", "bars"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "offline": Param(None, type=["null", "boolean"], description="Sample bars instead of Coinbase"),
        "bars_csv": Param(None, type=["null", "string"], description="Import this day's rows from a CSV"),
        "coinbase_url": Param(None, type=["null", "string"], description="Coinbase Exchange REST base URL"),
    },
)
def btc_bars_backfill():
    @task(pool=LAKE_WRITE_POOL, outlets=[BTC_BARS])
    def import_day(params=None, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.families.btc.tasks import bars_backfill

        return run_job(bars_backfill, logical_date, params, dag_run=dag_run)

    import_day()


btc_bars_backfill()
