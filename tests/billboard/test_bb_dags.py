"""The Billboard DAGs run for real (dag.test on a SQLite metadata DB) on the sample data, offline."""

from __future__ import annotations

import os

import pendulum
import pytest

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


@pytest.fixture(scope="module")
def bag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])


def test_all_five_billboard_dags_load(bag):
    ids = {d for d in bag.dags if d.startswith("billboard_")}
    assert ids == {"billboard_chart_backfill", "billboard_daily_signals", "billboard_weekly_prediction",
                   "billboard_weekly_retrain", "billboard_settlement"}


def test_offline_backfill_then_weekly_prediction_then_settlement(bag, lake):
    run = bag.dags["billboard_chart_backfill"].test(
        logical_date=pendulum.datetime(2024, 1, 2, 17, tz="UTC"), run_conf={"offline": True})
    assert run.state == "success"
    assert lake.row_count("billboard_charts") == 26100  # every row of the 2019-2023 sample

    # Sunday 2023-12-24 18:00 ET: the event resolving on the chart dated 2023-12-30. Charts come from the
    # lake (only those dated before 2023-12-30 are read); no simulator is running → no prices, said so.
    run = bag.dags["billboard_weekly_prediction"].test(
        logical_date=pendulum.datetime(2023, 12, 24, 18, tz="America/New_York"),
        run_conf={"kalshi_base_url": "http://127.0.0.1:9/trade-api/v2"})
    assert run.state == "success"
    pred = lake.read("billboard_predictions")
    assert set(pred["chart_date"]) == {"2023-12-30"}
    assert pred["p_number_one"].sum() == pytest.approx(1.0)

    run = bag.dags["billboard_settlement"].test(logical_date=pendulum.datetime(2023, 12, 25, 20, tz="America/New_York"))
    assert run.state == "success"
