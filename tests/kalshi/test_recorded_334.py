"""Recorded payloads through the 3.3x endpoints (issue #17), where a real payload exists.

Real: ``kxhighny_settled_trimmed.json`` (a settled KXHIGHNY event, ``GET /markets``) is what
``/historical/markets`` serves once the cutoff passes it; ``candlesticks_trimmed.json`` (real hourly
candles) is what ``/historical/markets/{t}/candlesticks`` re-shapes (``open_dollars`` → ``open``,
``volume_fp`` → ``volume``). Both copied from the reference fixtures (tests/fixtures/kalshi_rest/README.md).

No recorded payload exists for the other new shapes (amend, batches, order groups, queue
positions, cutoff, fee changes, forecast percentiles, weather index, the 3.3x WS channels): those
follow KALSHI_API.md "Changes after 3.13" and the official SDK 3.34 models, which validate every
simulator response in test_sdk_334_shapes.py.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

from kalshi_edge.exchange.scenario import Scenario, builtin_scenario
from kalshi_edge.exchange.simulator import run_simulator_in_thread
from kalshi_edge.exchange.state import ManualClock
from kalshi_edge.kalshi.models import parse_market
from kalshi_edge.kalshi.rest import KalshiRestClient

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "kalshi_rest"


def test_recorded_settled_markets_come_back_from_the_historical_archive(tmp_path):
    recorded = json.loads((FIX / "kxhighny_settled_trimmed.json").read_text())["markets"]
    sc = Scenario.load(FIX / "kxhighny_settled_trimmed.json")
    sc.clock_start = min(parse_market(m).open_time for m in recorded) + timedelta(hours=1)  # type: ignore[operator]
    clock = ManualClock(sc.clock_start)
    with run_simulator_in_thread(scenario=sc, clock=clock, seed=1) as sim:
        for m in recorded:
            sim.settle(m["ticker"], m["result"])
        clock.advance(60)
        sim.exchange.set_historical_cutoff(clock.now())
        c = KalshiRestClient(sim.base_url, timeout=5.0)
        got = {m.ticker: m for m in c.iter_historical_markets(event_ticker=recorded[0]["event_ticker"])}
        raw = c.get(f"/historical/markets/{recorded[0]['ticker']}")["market"]
        c.close()
    assert set(got) == {m["ticker"] for m in recorded}
    assert set(recorded[0]) - set(raw) == set()  # every recorded field is served
    for m in recorded:
        want = parse_market(m)
        have = got[m["ticker"]]
        assert (have.result, have.strike_type, have.floor_strike, have.cap_strike, have.title) == (
            want.result, want.strike_type, want.floor_strike, want.cap_strike, want.title)


def test_recorded_candles_in_the_historical_shape():
    recorded = json.loads((FIX / "candlesticks_trimmed.json").read_text())["candlesticks"]
    sc = builtin_scenario(seed=1)  # attaches the recorded candles to KXHIGHNY-26JUL12-T82
    clock = ManualClock(sc.clock_start)
    t = "KXHIGHNY-26JUL12-T82"
    with run_simulator_in_thread(scenario=sc, clock=clock, seed=1) as sim:
        sim.settle(t, "no")
        clock.advance(60)
        sim.exchange.set_historical_cutoff(clock.now())
        c = KalshiRestClient(sim.base_url, timeout=5.0)
        candles = c.get_historical_candlesticks(t, start_ts=0, end_ts=2**40, period_interval=60)
        c.close()
    by_end = {x["end_period_ts"]: x for x in candles}
    for r in recorded:
        h = by_end[r["end_period_ts"]]
        for k in ("open", "high", "low", "close", "mean", "previous"):
            assert h["price"][k] == r["price"][f"{k}_dollars"]
        for side in ("yes_bid", "yes_ask"):
            assert {k: h[side][k] for k in ("open", "high", "low", "close")} == {
                k: r[side][f"{k}_dollars"] for k in ("open", "high", "low", "close")}
        assert D(h["volume"]) == D(r["volume_fp"]) and D(h["open_interest"]) == D(r["open_interest_fp"])
