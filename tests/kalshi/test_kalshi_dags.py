"""The kalshi_market_snapshots DAG: a real dag.test run offline (the explicit in-process simulator
option), rerun-safe."""

from __future__ import annotations

import os

import pendulum
import pytest

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


@pytest.fixture(scope="module")
def bag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])


@pytest.mark.parametrize("dag_id", ["kalshi_market_snapshots", "kalshi_ws_journal_ingest"])
def test_dag_declaration(bag, dag_id):
    dag = bag.dags[dag_id]
    assert "kalshi" in dag.tags and dag.default_args["retries"] >= 2
    assert dag.start_date.tzinfo is not None and dag.catchup is False
    assert all(t.pool == "lake_writer" for t in dag.tasks)


def test_snapshot_run_then_rerun_is_idempotent(bag, lake):
    from kalshi_edge.kalshi.datasets import KALSHI_MARKETS, KALSHI_ORDERBOOK_SNAPSHOTS

    dag = bag.dags["kalshi_market_snapshots"]
    t = pendulum.datetime(2026, 7, 11, 15, 2, tz="UTC")
    assert dag.test(logical_date=t, run_conf={"series": ["KXHIGHNY"], "in_process_simulator": True}).state == "success"
    n_markets, n_levels = lake.row_count(KALSHI_MARKETS), lake.row_count(KALSHI_ORDERBOOK_SNAPSHOTS)
    assert n_markets > 0 and n_levels > 0
    assert dag.test(logical_date=t, run_conf={"series": ["KXHIGHNY"], "in_process_simulator": True}).state == "success"
    assert (lake.row_count(KALSHI_MARKETS), lake.row_count(KALSHI_ORDERBOOK_SNAPSHOTS)) == (n_markets, n_levels)
    df = lake.read(KALSHI_MARKETS)
    assert set(df["series_ticker"]) == {"KXHIGHNY"} and df["ticker"].is_unique


def test_journal_ingest_run_then_rerun(bag, lake, settings):
    import json

    from kalshi_edge.kalshi.datasets import KALSHI_WS_JOURNAL
    from kalshi_edge.kalshi.journal import Journal

    with Journal(settings.data_dir / "journals" / "s1.jsonl") as j:
        for i in range(3):
            j.append(json.dumps({"type": "ticker", "sid": 1, "msg": {"market_ticker": "T"}}), recv_ts_ms=1783674000000 + i)
    dag = bag.dags["kalshi_ws_journal_ingest"]
    t = pendulum.datetime(2026, 7, 11, 0, 30, tz="UTC")
    assert dag.test(logical_date=t).state == "success"
    assert dag.test(logical_date=t).state == "success"
    assert lake.row_count(KALSHI_WS_JOURNAL) == 3
