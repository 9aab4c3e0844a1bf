"""Strategy ``weather_momentum`` through the one backtester (issue 15), on the copied real sample."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from kalshi_edge.cli.main import main
from kalshi_edge.families.weather.momentum.backtest_report import backtest_report
from kalshi_edge.kalshi.fees import order_fee
from kalshi_edge.trading.intents import SkipReason
from kalshi_edge.trading.strategy import MarketSnapshot, get_strategy, list_strategies

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "momentum"
DAYS = sorted(FIX.glob("market_data_KXHIGHNY-*.csv.gz"))


def _run(out: Path, params: dict) -> int:
    return main(["backtest", "--strategy", "weather_momentum", "--params", json.dumps(params),
                 "--book", *map(str, DAYS), "--out", str(out)])


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("bt")
    params = {"use_model": "never"}
    assert _run(base / "a", params) == 0
    assert _run(base / "b", params) == 0
    return base / "a", base / "b"


def test_registered():
    assert "weather_momentum" in list_strategies()
    s = get_strategy("weather_momentum", {"use_model": "never"})
    assert s.family == "weather" and s.book_only


def test_backtest_twice_gives_identical_trades_and_exact_fees(two_runs):
    a, b = two_runs
    ta, tb = (a / "trades.csv").read_text(), (b / "trades.csv").read_text()
    assert ta == tb
    rows = [r.split(",") for r in ta.strip().splitlines()[1:]]
    assert len(rows) >= 5  # the sample does trade, so the comparison means something
    for _ts, _tk, _side, _action, price, count, fee, liq in rows:
        assert Decimal(fee) == order_fee(price=price, count=count, is_maker=liq == "maker")
    sa = json.loads((a / "summary.json").read_text())
    assert sa["fee_fills_above_order_fee"] == 0


def test_backtest_report_gives_interval_hit_rate_drawdown_maker_share_fees(two_runs):
    a, _ = two_runs
    r = backtest_report(a, books=DAYS)
    for k in ("pnl_net", "pnl_ci_low", "pnl_ci_high", "hit_rate", "max_drawdown", "maker_share", "fees_paid"):
        assert r[k] is not None
    assert "3 event days" in r["bootstrap"]
    assert r["pnl_ci_low"] <= float(r["pnl_net"]) <= r["pnl_ci_high"]
    assert ("contains zero" in r["verdict"]) == r["interval_contains_zero"]
    assert json.loads((a / "momentum_report.json").read_text())["fees_paid"] == r["fees_paid"]


def test_shadow_mode_logs_signals_and_places_no_orders(tmp_path):
    log = tmp_path / "shadow.jsonl"
    assert _run(tmp_path / "s", {"use_model": "never", "shadow": True, "shadow_log": str(log)}) == 0
    assert (tmp_path / "s" / "trades.csv").read_text().strip().count("\n") == 0  # header only
    sigs = [json.loads(x) for x in log.read_text().splitlines()]
    assert len(sigs) >= 5 and {"ticker", "mid", "fair", "kinds"} <= set(sigs[0])


def _snap(tk: str, bid: str, ask: str, ts: datetime) -> MarketSnapshot:
    return MarketSnapshot(ticker=tk, yes_bid=Decimal(bid), yes_ask=Decimal(ask), quote_ts=ts,
                          close_time=ts + timedelta(hours=10))


def test_incoherent_ladder_is_refused_with_the_shared_reason():
    # synthetic quotes: the situation (mids summing to 1.6) is what the gate is for
    s = get_strategy("weather_momentum", {"use_model": "never"})
    t0 = datetime(2025, 12, 5, 15, tzinfo=UTC)
    tks = ["KXHIGHNY-25DEC05-T30", "KXHIGHNY-25DEC05-B30.5", "KXHIGHNY-25DEC05-B32.5", "KXHIGHNY-25DEC05-T33"]
    snaps = [_snap(tk, "0.38", "0.42", t0) for tk in tks]
    assert s.probabilities(snaps, t0 + timedelta(seconds=1)) == []
    assert {r.reason for r in s.refusals} == {SkipReason.INCOHERENT_LADDER.value}
    assert len(s.refusals) == 4


def test_hazard_throttle_uses_the_intraday_hazard_of_the_event_day():
    from kalshi_edge.families.weather.momentum.strategy import _hazard

    ev = "KXHIGHNY-25DEC05"
    day_before = datetime(2025, 12, 4, 20, tzinfo=UTC).timestamp()  # the market opens the day before
    late = datetime(2025, 12, 6, 3, tzinfo=UTC).timestamp()  # 22:00 EST on the event day
    noon = datetime(2025, 12, 5, 17, tzinfo=UTC).timestamp()
    assert _hazard(ev, day_before) == 1.0
    assert _hazard(ev, late) < 0.1 < _hazard(ev, noon) < 1.0
