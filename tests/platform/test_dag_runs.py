"""Real DAG runs (dag.test against a SQLite metadata DB) on the shipped sample data."""

from __future__ import annotations

import os

import pendulum
import pytest

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


@pytest.fixture(scope="module")
def ingest_dag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    return bag.dags["lake_ingest_settled_contracts"]


def test_ingest_dag_runs_end_to_end_and_a_rerun_does_not_duplicate(ingest_dag, lake):
    from kalshi_edge.sources.datasets import KALSHI_SETTLED_TEMPS

    run = ingest_dag.test(logical_date=pendulum.datetime(2024, 8, 1, tz="UTC"))
    assert run.state == "success"
    rows = lake.row_count(KALSHI_SETTLED_TEMPS)
    assert rows == 372  # July 2024 in the sample
    assert lake.warehouse.exists()

    rerun = ingest_dag.test(logical_date=pendulum.datetime(2024, 8, 1, tz="UTC"))
    assert rerun.state == "success"
    assert lake.row_count(KALSHI_SETTLED_TEMPS) == rows
    assert [p["partition"] for p in lake.partitions(KALSHI_SETTLED_TEMPS)] == ["month=2024-07"]
