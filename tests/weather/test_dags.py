"""Real runs of the weather DAGs (dag.test on a SQLite metadata DB), offline on the samples."""

from __future__ import annotations

import os

import pendulum
import pytest

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


@pytest.fixture(scope="module")
def bag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])


def test_day_ahead_then_settlement_offline_and_rerun_is_idempotent(bag, lake):
    from kalshi_edge.families.weather.datasets import WEATHER_CLI, WEATHER_FORECASTS

    day_ahead = bag.dags["weather_day_ahead"]
    t = pendulum.datetime(2026, 7, 8, 6, 0, tz="UTC")
    conf = {"offline": True, "stations": ["KNYC"], "stale_inputs": "warn"}  # TMAX sample ends 2024-12-31
    assert day_ahead.test(logical_date=t, run_conf=conf).state == "success"
    first = lake.read(WEATHER_FORECASTS).sort_values("temp_f").reset_index(drop=True)
    assert set(first["date"]) == {"2026-07-08"} and abs(first["p"].sum() - 1) < 1e-9
    assert day_ahead.test(logical_date=t, run_conf=conf).state == "success"
    import pandas as pd

    pd.testing.assert_frame_equal(first, lake.read(WEATHER_FORECASTS).sort_values("temp_f").reset_index(drop=True))

    settle = bag.dags["weather_settlement"]
    run = settle.test(logical_date=pendulum.datetime(2026, 7, 9, 11, 0, tz="UTC"), run_conf=conf)  # days_back=1
    assert run.state == "success"
    cli = lake.read(WEATHER_CLI)
    assert list(cli["max_f"]) == [85.0] and list(cli["climate_date"]) == ["2026-07-08"]
