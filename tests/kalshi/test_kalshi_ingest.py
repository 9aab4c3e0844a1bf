"""Ingestion into the lake: recorded payloads → validated rows → Parquet, idempotent reruns."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from kalshi_payloads import load_fixture

from kalshi_edge.kalshi.ingest import (
    candlestick_rows,
    ingest_ws_journal,
    market_rows,
    orderbook_rows,
    snapshot_markets,
    snapshot_orderbooks,
)
from kalshi_edge.kalshi.journal import Journal
from kalshi_edge.kalshi.models import OrderBook, parse_markets
from kalshi_edge.lake import Lake

AS_OF = datetime(2026, 7, 11, 15, 0, tzinfo=UTC)


@pytest.fixture
def lake(tmp_path):
    return Lake(root=tmp_path / "lake", quarantine=tmp_path / "q", warehouse=tmp_path / "w.duckdb")


def test_market_rows_from_recorded_markets(lake):
    markets = parse_markets(load_fixture("kxhighny_open_trimmed.json"))
    df = market_rows(markets, AS_OF)
    assert list(df["ticker"]) == [m.ticker for m in markets]
    assert set(df["series_ticker"]) == {"KXHIGHNY"} and set(df["date"]) == {"2026-07-11"}
    res = lake.write("kalshi_markets", df, source="fixture", mode="merge")
    assert res.rows_written == len(markets) and res.rows_quarantined == 0
    # exact decimals survive in the Parquet record (read with pyarrow: no float round trip)
    import pyarrow.parquet as pq

    table = pq.read_table(lake.files("kalshi_markets")[0])
    assert str(table.schema.field("yes_bid").type) == "decimal128(18, 6)"
    rows = {r["ticker"]: r for r in table.to_pylist()}
    row = rows["KXHIGHNY-26JUL12-B88.5"]
    assert row["floor_strike"] == D("88") and row["yes_bid"] == markets[2].yes_bid


def test_candlestick_rows_from_recorded_payload(lake):
    df = candlestick_rows(load_fixture("candlesticks_trimmed.json"), ticker="KXHIGHNY-26JUL10-T87")
    assert len(df) == 3 and list(df["close"]) == [D("0.6000"), D("0.6300"), D("0.5800")]
    assert df["end_period_ts"].iloc[0] == datetime.fromtimestamp(1783674000, tz=UTC)
    res = lake.write("kalshi_candlesticks", df, source="fixture", mode="merge")
    assert res.rows_written == 3


def test_orderbook_rows_levels(lake):
    ob = OrderBook.from_rest("KXHIGHNY-26JUL12-T89", {"orderbook_fp": {
        "yes_dollars": [["0.0100", "211.00"], ["0.0200", "5.00"]], "no_dollars": [["0.9800", "7.00"]]}})
    df = orderbook_rows([ob], AS_OF)
    assert list(zip(df["side"], df["level"], df["price"], strict=True)) == [
        ("yes", 0, D("0.02")), ("yes", 1, D("0.01")), ("no", 0, D("0.98"))]
    assert lake.write("kalshi_orderbook_snapshots", df, mode="merge").rows_written == 3


def test_bad_quote_row_is_quarantined_not_written(lake):
    markets = parse_markets(load_fixture("kxhighny_open_trimmed.json"))
    df = market_rows(markets, AS_OF)
    df.loc[0, "yes_ask"] = D("1.5")  # corrupt one row after parsing (as a buggy upstream would)
    res = lake.write("kalshi_markets", df, source="fixture", mode="merge", max_bad_fraction=0.5)
    assert res.rows_quarantined == 1 and res.rows_written == len(markets) - 1


def test_ws_journal_ingest_is_idempotent(lake, tmp_path):
    path = tmp_path / "s1.jsonl"
    with Journal(path) as j:
        j.append(json.dumps({"id": 1, "cmd": "subscribe"}), direction="out", recv_ts_ms=1783674000000)
        j.append(json.dumps({"type": "orderbook_snapshot", "sid": 1, "seq": 1,
                             "msg": {"market_ticker": "T", "yes_dollars_fp": [], "no_dollars_fp": []}}),
                 recv_ts_ms=1783674000100)
    first = ingest_ws_journal(lake, path)
    second = ingest_ws_journal(lake, path)
    assert first["rows_written"] == 2 and second["frames"] == 2
    df = lake.read("kalshi_ws_journal")
    assert len(df) == 2 and list(df.sort_values("frame_no")["type"]) == ["subscribe", "orderbook_snapshot"]


def test_snapshots_from_the_simulator_are_idempotent(lake):
    pytest.importorskip("kalshi_edge.exchange.simulator")
    from kalshi_edge.exchange.scenario import builtin_scenario
    from kalshi_edge.exchange.simulator import run_simulator_in_thread
    from kalshi_edge.exchange.state import ManualClock
    from kalshi_edge.kalshi.rest import KalshiRestClient

    sc = builtin_scenario(seed=2)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start)) as sim:
        client = KalshiRestClient(sim.base_url)
        s1 = snapshot_markets(client, lake, "KXHIGHNY", AS_OF)
        s2 = snapshot_markets(client, lake, "KXHIGHNY", AS_OF)  # a rerun of the same logical date
        tickers = list(lake.read("kalshi_markets")["ticker"])
        ob = snapshot_orderbooks(client, lake, tickers[:2], AS_OF)
        client.close()
    assert s1["markets"] == s2["markets"] > 0
    assert len(tickers) == s1["markets"]  # the rerun replaced, not appended
    assert ob["books"] == 2
