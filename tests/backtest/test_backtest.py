"""Backtester on one recorded KXHIGHNY day (data/sample/kalshi/top_of_book, real data)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from kalshi_edge.backtest.data import load_top_of_book
from kalshi_edge.backtest.engine import BacktestConfig, Backtester
from kalshi_edge.backtest.runner import run_backtest
from kalshi_edge.kalshi.fees import order_fee
from kalshi_edge.trading.intents import GateConfig
from kalshi_edge.trading.strategy import get_strategy

ROOT = Path(__file__).resolve().parents[2]
DAY = ROOT / "data/sample/kalshi/top_of_book/market_data_KXHIGHNY-25DEC06.csv.gz"


@pytest.fixture(scope="module")
def frame():
    f, rep = load_top_of_book([DAY])
    assert rep.rows > 20000
    return f


@pytest.fixture(scope="module")
def runs(frame):
    """Two independent runs of each book-only strategy, maker orders allowed."""
    cfg = BacktestConfig(gates=GateConfig(maker_fill_prob=0.9))
    return {name: [Backtester(get_strategy(name), cfg).run(frame) for _ in range(2)]
            for name in ("ladder_consensus", "longshot_fade")}


def test_timestamps_are_pacific_converted_to_utc(frame):
    # The file's first row is 2025-12-04T12:27 local Pacific for DEC05; for DEC06 the open is
    # 07:00 Pacific = 10:00 ET = 15:00 UTC.
    first = frame["ts"].iloc[0]
    assert str(first.tz) == "UTC"
    assert first.hour == 15 and first.date().isoformat() == "2025-12-05"


@pytest.mark.slow
def test_same_trades_when_run_twice(runs):
    for a, b in runs.values():
        key = lambda r: [(t.ts, t.ticker, t.side, t.price, t.count, t.fee, t.liquidity) for t in r.trades]  # noqa: E731
        assert key(a) == key(b)
        assert a.summary["pnl_net"] == b.summary["pnl_net"]
    assert sum(len(r[0].trades) for r in runs.values()) > 0


def test_fees_match_the_fee_function(runs):
    for a, _ in runs.values():
        by_order: dict[str, list] = {}
        for t in a.trades:
            by_order.setdefault(t.client_order_id, []).append(t)
        for fills in by_order.values():
            prices = {t.price for t in fills}
            assert len(prices) == 1  # one price per order on a top-of-book replay
            total = sum(t.count for t in fills)
            expected = order_fee(price=fills[0].price, count=total, is_maker=fills[0].liquidity == "maker")
            assert sum(t.fee for t in fills) == expected


def test_never_fills_at_a_price_that_was_not_on_the_book(runs, frame):
    # Every fill price must equal a touch recorded for that market strictly before the fill
    # (taker: the ask of the side bought; maker: our resting bid, which was the recorded bid).
    for a, _ in runs.values():
        for t in a.trades:
            seen = frame[(frame["ticker"] == t.ticker) & (frame["ts"] < pd.Timestamp(t.ts))]
            cents = int(t.price * 100)
            if t.side == "yes":
                on_book = set(seen["yes_ask_c"]) | set(seen["yes_bid_c"])
            else:
                on_book = {100 - c for c in seen["yes_bid_c"]} | {100 - c for c in seen["yes_ask_c"]}
            assert cents in on_book, f"{t.ticker} {t.side} filled at {t.price} never quoted before {t.ts}"
            if t.liquidity == "taker":
                last = seen.iloc[-1]
                if t.action == "buy":  # lifts the ask of the side bought
                    touch = last["yes_ask_c"] if t.side == "yes" else 100 - last["yes_bid_c"]
                else:  # a stop-loss exit hits the bid of the side held
                    touch = last["yes_bid_c"] if t.side == "yes" else 100 - last["yes_ask_c"]
                assert cents == touch, "taker must fill at the touch in force at decision time"


def test_maker_fills_only_on_trade_through():
    # Synthetic (the recorded day does not isolate this): we rest a YES bid at 0.40; the ask then
    # touches 0.40 (no fill: we are last in the queue) and later trades through to 0.38 (fill).
    from datetime import UTC, datetime, timedelta

    from kalshi_edge.trading.strategy import ModelProbability, Strategy

    class Fixed(Strategy):
        name = "fixed_test"

        def probabilities(self, markets, now):
            return [ModelProbability(m.ticker, 0.55, now) for m in markets] if now.minute == 1 else []

    t0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    tk = "KXHIGHNY-26JAN05-B40.5"
    rows = [(t0 + timedelta(seconds=s), tk, b, a) for s, b, a in
            [(0, 40, 50), (30, 40, 50), (70, 39, 40), (90, 39, 41), (130, 37, 38), (150, 37, 45)]]
    frame = pd.DataFrame(rows, columns=["ts", "ticker", "yes_bid_c", "yes_ask_c"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    cfg = BacktestConfig(gates=GateConfig(maker_fill_prob=1.0, allow_taker=False, max_count=Decimal("5"),
                                          max_spread=Decimal("0.20")))
    res = Backtester(Fixed(), cfg).run(frame)
    assert [(t.liquidity, t.price, t.count, t.side) for t in res.trades] == [("maker", Decimal("0.40"), Decimal("5.00"), "yes")]
    assert res.trades[0].ts == t0 + timedelta(seconds=130)
    assert res.trades[0].fee == Decimal("0.00")


def _cli_main():
    from tests.trading.cli import cli_main

    return cli_main()


def test_cli_writes_outputs(tmp_path):
    main = _cli_main()
    rc = main(["backtest", "--book", str(DAY), "--strategy", "longshot_fade", "--params", '{"shrink": 0.6}',
               "--out", str(tmp_path)])
    assert rc == 0
    trades = pd.read_csv(tmp_path / "trades.csv")
    assert list(trades.columns) == ["ts", "ticker", "side", "action", "price", "count", "fee", "liquidity"]
    summary = json.loads((tmp_path / "summary.json").read_text())
    for k in ("sharpe", "max_drawdown", "win_rate", "fees", "turnover", "per_market"):
        assert k in summary
    assert len(trades) == summary["trades"] > 0
    assert "data:image/png;base64," in (tmp_path / "report.html").read_text()
    assert len(pd.read_csv(tmp_path / "equity.csv")) > 100


def test_cli_bad_input_is_one_line_error(tmp_path):
    main = _cli_main()

    assert main(["backtest", "--book", str(tmp_path / "missing.csv"), "--strategy", "longshot_fade",
                 "--out", str(tmp_path)]) == 2
    assert main(["backtest", "--book", str(DAY), "--strategy", "nope", "--out", str(tmp_path)]) == 2
    assert main(["backtest", "--book", str(DAY), "--strategy", "longshot_fade", "--params", "[1",
                 "--out", str(tmp_path)]) == 2
    assert main(["backtest", "--list-strategies"]) == 0


def test_runner_returns_load_report():
    res, paths = run_backtest([DAY], get_strategy("longshot_fade"))
    assert paths == {} and res.summary["load"]["rows"] > 20000


def test_cli_book_takes_several_files_after_one_flag(tmp_path, frame):
    # `--book FILES...`: the same recorded day given twice is loaded twice (rows double).
    main = _cli_main()
    assert main(["backtest", "--book", str(DAY), str(DAY), "--strategy", "longshot_fade",
                 "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["load"]["files"] == 2 and summary["updates"] == 2 * len(frame)


def test_the_backtest_ledger_is_stamped_with_the_replayed_time(frame):
    """Every ledger event of a replay carries the simulated time of its step (the recorded day),
    not the wall clock of the machine running it."""
    bt = Backtester(get_strategy("longshot_fade"))
    bt.run(frame)
    ats = [datetime.fromisoformat(e["at"]) for e in bt.ledger.memory]
    assert ats
    first, last = frame["ts"].min().to_pydatetime(), frame["ts"].max().to_pydatetime()
    assert all(first <= a <= last + timedelta(minutes=1) for a in ats), (min(ats), max(ats), first, last)
