"""
### Billboard contenders' daily signals → lake (`billboard_signals`)

Daily at 09:00 ET during the tracking week. For last week's top 20 it collects Spotify popularity
and big-playlist positions (spotipy; needs Spotify keys), YouTube view counts (needs
`youtube_api_key`) and Google Trends interest (pytrends). A source whose key is missing or whose
service refuses is skipped and listed in the task's return value; the others still land.

Param `offline=true` reads contenders from the sample charts and skips network-only sources.
Reruns for a day merge into that day's rows (idempotent on (signal, date, song)).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from kalshi_edge.dag_defaults import DEFAULT_ARGS, LAKE_WRITE_POOL, run_job


@dag(
    dag_id="billboard_daily_signals",
    schedule="0 9 * * *",
    start_date=pendulum.datetime(2019, 1, 1, tz="America/New_York"),
    catchup=False,
    max_active_runs=1,
    tags=["billboard", "signals"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "charts_csv": Param(None, type=["null", "string"], description="Contenders from this CSV instead of the lake"),
        "offline": Param(False, type="boolean", description="Sample charts, no network-only sources"),
    },
)
def billboard_daily_signals():
    @task(pool=LAKE_WRITE_POOL)
    def collect(params=None, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.families.billboard.tasks import daily_signals

        return run_job(daily_signals, logical_date, params, dag_run=dag_run)

    collect()


billboard_daily_signals()
