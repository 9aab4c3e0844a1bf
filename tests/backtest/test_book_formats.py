"""Other recorded book formats: WebSocket journals (recorded here from the project's simulator on
loopback through the real client) and REST candlestick responses (a recorded Kalshi payload)."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

import pytest

from kalshi_edge.backtest.data import BookFormatError, load_books, load_candlesticks, load_ws_journal
from kalshi_edge.backtest.engine import Backtester
from kalshi_edge.trading.strategy import get_strategy

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "backtest"


def test_candlesticks_give_the_closing_touch_per_period():
    f = load_candlesticks(FIX / "candlesticks_trimmed.json")
    body = json.loads((FIX / "candlesticks_trimmed.json").read_text())
    assert list(f["ticker"].unique()) == [body["ticker"]]
    first = body["candlesticks"][0]
    assert f["yes_bid_c"].iloc[0] == int(Decimal(first["yes_bid"]["close_dollars"]) * 100)
    assert f["yes_ask_c"].iloc[0] == int(Decimal(first["yes_ask"]["close_dollars"]) * 100)
    assert f["ts"].iloc[0].timestamp() == first["end_period_ts"]
    Backtester(get_strategy("longshot_fade")).run(f)  # replays without error


def test_sub_cent_prices_are_refused_not_rounded(tmp_path):
    body = json.loads((FIX / "candlesticks_trimmed.json").read_text())
    body["candlesticks"][1]["yes_bid"]["close_dollars"] = "0.6050"
    p = tmp_path / "c.json"
    p.write_text(json.dumps(body))
    with pytest.raises(BookFormatError, match=r"candlesticks\[1\].yes_bid.*0.6050"):
        load_candlesticks(p)
    with pytest.raises(BookFormatError, match="unknown book format"):
        (tmp_path / "x.parquet").write_text("")
        load_books([tmp_path / "x.parquet"])


@pytest.mark.slow
def test_ws_journal_recorded_from_the_simulator_replays_to_the_same_book(tmp_path):
    from kalshi_edge.exchange.scenario import BUILTIN_CLOCK
    from kalshi_edge.exchange.simulator import run_simulator_in_thread
    from kalshi_edge.exchange.state import ManualClock
    from kalshi_edge.kalshi.journal import Journal
    from kalshi_edge.kalshi.ws import KalshiWsClient

    ticker = "KXHIGHNY-26JUL12-B84.5"
    path = tmp_path / "ws.jsonl"
    with run_simulator_in_thread(seed=4, clock=ManualClock(BUILTIN_CLOCK)) as sim:

        async def record() -> None:
            with Journal(path) as j:
                c = KalshiWsClient(sim.ws_url, journal=j)
                task = asyncio.create_task(c.run(max_reconnects=0))
                await asyncio.wait_for(c.connected.wait(), 10)
                await c.subscribe(["orderbook_delta"], [ticker])
                assert await c.wait_for(lambda: ticker in c.books, 10)
                for bid, no in (("0.25", "0.70"), ("0.27", "0.69"), ("0.26", "0.72")):
                    sim.call(lambda b=bid, n=no: sim.set_book(ticker, yes=[(b, "40")], no=[(n, "30")]))
                    assert await c.wait_for(lambda b=bid: c.books.get(ticker) is not None
                                            and c.books[ticker].best_yes_bid == Decimal(b), 10)
                await c.stop()
                await asyncio.wait_for(task, 10)

        asyncio.run(record())
        live = sim.exchange.engine.book(ticker)
    f = load_ws_journal(path)
    mine = f[f["ticker"] == ticker]
    assert len(mine) >= 4  # the snapshot, then one row per touch change
    last = mine.iloc[-1]
    assert last["yes_bid_c"] == int(live.best_yes_bid * 100) == 26
    assert last["yes_ask_c"] == int(live.best_yes_ask * 100) == 28
    assert mine["ts"].is_monotonic_increasing
    Backtester(get_strategy("ladder_consensus")).run(f)
