"""Defaults every DAG shares. Plain data: importing this module never imports Airflow.

``LAKE_WRITE_POOL`` is an Airflow pool with ONE slot (created by ``make airflow`` and the tests):
every task that writes the lake or the DuckDB file runs in it, so DuckDB file writes are
serialized; readers open the catalog read-only.
"""

from __future__ import annotations

from datetime import timedelta

LAKE_WRITE_POOL = "lake_writer"
LAKE_WRITE_POOL_SLOTS = 1

DEFAULT_ARGS: dict = {
    "owner": "kalshi-edge",
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=20),
}


# -- retry policy (issue 13): only transient errors are retried ------------------------------
def run_job(fn, logical_date=None, params=None, *, dag_run=None, **kwargs):
    """Run the library job ``fn(logical_date, params, **kwargs)`` as a DAG task.

    * A manual trigger without a logical date (REST/UI "trigger" in Airflow 3) runs as of the
      run's ``run_after`` (its trigger time), so every job still gets a date.
    * Errors that :func:`kalshi_edge.errors.is_transient` calls temporary (network, 5xx, 429,
      locks) propagate and are retried by the task's ``retries``; every other error becomes
      ``AirflowFailException`` (no retry, the run turns red at once) with a one-line message.

    Airflow is imported only when a job fails (this module stays importable without it).
    """
    from kalshi_edge.errors import describe, is_transient

    when = logical_date if logical_date is not None else getattr(dag_run, "run_after", None)
    if when is None:
        from datetime import UTC, datetime

        when = datetime.now(UTC)
    try:
        return fn(when, params, **kwargs)
    except Exception as exc:
        if is_transient(exc):
            raise
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(describe(exc)) from exc


# Every task failure alerts (SMTP / webhook, see kalshi_edge.ops.alerts); a plain callable, so
# this module still imports no Airflow.
from kalshi_edge.ops.alerts import on_task_failure  # noqa: E402

DEFAULT_ARGS["on_failure_callback"] = on_task_failure
