"""Real runs of weather_momentum_retrain (dag.test on a SQLite metadata DB)."""

from __future__ import annotations

import os
from pathlib import Path

import pendulum
import pytest

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "momentum"
DAYS = [str(p) for p in sorted(FIX.glob("market_data_KXHIGHNY-*.csv.gz"))]


@pytest.fixture(scope="module")
def dag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"]).dags["weather_momentum_retrain"]


def test_refit_from_recorded_books_writes_the_artifact(dag, settings):
    from kalshi_edge.modeling.artifacts import ArtifactStore

    t = pendulum.datetime(2026, 7, 8, 6, 30, tz="UTC")  # after the DAG's start date; the books are older
    assert dag.test(logical_date=t, run_conf={"books": DAYS}).state == "success"
    art = ArtifactStore.from_settings(settings).load("weather", "momentum")
    assert art.meta.as_of == "2026-07-08" and art.payload["horizons"]
    # (the empty-lake path — NotEnoughBooks, turned into a non-retried failure by the DAG — is
    # tested on the library in test_ws_ofi.py, without a second Airflow run)
