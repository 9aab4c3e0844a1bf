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

# Every task failure alerts (SMTP / webhook, see kalshi_edge.ops.alerts); a plain callable, so
# this module still imports no Airflow.
from kalshi_edge.ops.alerts import on_task_failure  # noqa: E402

DEFAULT_ARGS["on_failure_callback"] = on_task_failure
