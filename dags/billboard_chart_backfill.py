"""
### Billboard Hot 100 chart history → lake (`billboard_charts`)

Weekly, Tuesday 12:00 ET (after Monday's top-10 reveal and Tuesday's full chart). Each run fetches
the Saturday charts of the three weeks before its logical date from the public JSON archive
(param `archive_url`, a template with `{date}`) and falls back to billboard.com via billboard.py
when the archive has not caught up. Rows are validated; bad rows are quarantined with reasons.

Offline / first load: param `charts_csv` (a CSV in the documented layout) or `offline=true`
(the project's sample charts) imports a file instead. Backfill a range: trigger with
`{"from_date": "1958-08-04"}`, or `airflow backfill create --dag-id billboard_chart_backfill ...`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from kalshi_edge.assets import BILLBOARD_CHARTS
from kalshi_edge.dag_defaults import DEFAULT_ARGS, LAKE_WRITE_POOL, run_job


@dag(
    dag_id="billboard_chart_backfill",
    schedule="0 12 * * 2",
    start_date=pendulum.datetime(2019, 1, 1, tz="America/New_York"),
    catchup=False,
    max_active_runs=1,
    tags=["billboard", "lake", "charts"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "charts_csv": Param(None, type=["null", "string"], description="Import this CSV instead of fetching"),
        "offline": Param(False, type="boolean", description="Import the sample charts (no network)"),
        "from_date": Param(None, type=["null", "string"], description="First chart date to fetch (YYYY-MM-DD)"),
        "archive_url": Param(None, type=["null", "string"], description="Archive URL template with {date}"),
    },
)
def billboard_chart_backfill():
    @task(pool=LAKE_WRITE_POOL, outlets=[BILLBOARD_CHARTS])
    def import_charts(params=None, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.families.billboard.tasks import chart_backfill

        return run_job(chart_backfill, logical_date, params, dag_run=dag_run)

    import_charts()


billboard_chart_backfill()
