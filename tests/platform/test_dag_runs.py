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


def test_quality_dag_validates_every_stored_dataset(airflow_db, lake):
    from airflow.dag_processing.dagbag import DagBag

    from kalshi_edge.config import SAMPLE_DIR
    from kalshi_edge.lake.quality import datasets_with_data
    from kalshi_edge.sources.kalshi_history import import_settled_contracts

    import_settled_contracts(lake, SAMPLE_DIR / "kalshi_history" / "highest_temp_settled_2024H2.csv.gz")
    assert datasets_with_data(lake) == ["kalshi_settled_temps"]
    dag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"]).dags["lake_quality"]
    assert dag.test(logical_date=pendulum.datetime(2026, 1, 2, tz="UTC")).state == "success"

    # A stored partition that breaks its suite (written around the writer) fails the task's
    # function (run directly: a failing DAG run would wait out the retry back-off).
    import pyarrow.parquet as pq

    from kalshi_edge.lake import ValidationFailed
    from kalshi_edge.lake.quality import validate_dataset

    part = lake.files("kalshi_settled_temps")[0]
    table = pq.read_table(part).to_pandas()
    table.loc[0, "result"] = "maybe"
    table.to_parquet(part, index=False)
    with pytest.raises(ValidationFailed, match="kalshi_settled_temps.*result"):
        validate_dataset(lake, "kalshi_settled_temps")
