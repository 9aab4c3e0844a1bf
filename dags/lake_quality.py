"""
### Lake quality: every dataset's Great Expectations suite over what is stored

Daily. Lists the lake datasets that hold data, then runs each one's suite (built from the same
checks the writer enforces row by row: not-null, ranges, allowed values, key uniqueness) as its
own mapped task, so a failing dataset is visible by name in the grid view and fails loudly. The
write path already quarantines bad rows; this catches anything that reached the lake another way
(a hand-copied file, a changed rule). Read-only: no pool needed.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from kalshi_edge.dag_defaults import DEFAULT_ARGS, run_job


@dag(
    dag_id="lake_quality",
    schedule="30 6 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["platform", "lake", "quality"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def lake_quality():
    @task
    def list_datasets(logical_date=None, dag_run=None) -> list[str]:
        from kalshi_edge.lake.tasks import list_datasets as job

        return run_job(job, logical_date, None, dag_run=dag_run)

    @task
    def validate(name: str, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.lake.tasks import validate as job

        return run_job(job, logical_date, {"name": name}, dag_run=dag_run)

    validate.expand(name=list_datasets())


lake_quality()
