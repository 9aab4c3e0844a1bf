"""Real runs of the BTC DAGs (dag.test on a SQLite metadata DB) offline on the sample bars."""

from __future__ import annotations

import os

import pendulum
import pytest

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


@pytest.fixture(scope="module")
def bag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])


def test_backfill_then_hourly_edge_rerun_reproduces(bag, lake):
    from kalshi_edge.families.btc.datasets import BTC_BARS, BTC_EDGE_SNAPSHOTS

    backfill = bag.dags["btc_bars_backfill"]
    for day in (1, 2):
        run = backfill.test(logical_date=pendulum.datetime(2026, 3, day, tz="UTC"))
        assert run.state == "success"
    assert lake.row_count(BTC_BARS) == 2 * 288
    assert sorted(p["partition"] for p in lake.partitions(BTC_BARS)) == [
        "interval=5m/date=2026-03-01", "interval=5m/date=2026-03-02"]

    edge = bag.dags["btc_hourly_edge"]
    t = pendulum.datetime(2026, 3, 2, 12, 5, tz="UTC")
    assert edge.test(logical_date=t).state == "success"
    first = lake.read(BTC_EDGE_SNAPSHOTS).sort_values("market_ticker").reset_index(drop=True)
    assert len(first) == 41
    assert edge.test(logical_date=t).state == "success"
    second = lake.read(BTC_EDGE_SNAPSHOTS).sort_values("market_ticker").reset_index(drop=True)
    import pandas as pd

    pd.testing.assert_frame_equal(first, second)
