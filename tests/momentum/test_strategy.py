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


def test_backtest_exits_are_deterministic_and_go_through_the_loop(two_runs, tmp_path):
    a, b = two_runs
    da, db = (a / "decisions.csv").read_text(), (b / "decisions.csv").read_text()
    assert da == db
    sa = json.loads((a / "summary.json").read_text())
    exits = {k: v for k, v in sa["exits"].items() if k != "stop_loss"}
    assert exits and set(exits) <= {"take_profit", "time_exit", "signal_reversal"}
    sells = [r.split(",") for r in (a / "trades.csv").read_text().strip().splitlines()[1:] if ",sell," in r]
    assert sum(v["fills"] for v in sa["exits"].values()) == len(sells) > 0
    # exits=false: every entry is held to settlement (no strategy sells)
    assert _run(tmp_path / "hold", {"use_model": "never", "exits": False}) == 0
    sh = json.loads((tmp_path / "hold" / "summary.json").read_text())
    assert set(sh["exits"]) <= {"stop_loss"}


def _position(side: str, entry_p_yes: float, entered: datetime, count: str = "10"):
    from kalshi_edge.trading.strategy import StrategyPosition

    return StrategyPosition(strategy="weather_momentum", ticker="KXHIGHNY-25DEC05-B32.5", event_ticker="KXHIGHNY-25DEC05",
                            family="weather", side=side, count=Decimal(count), avg_price=Decimal("0.42"),
                            entered_at=entered, entry_p_yes=entry_p_yes, first_entered_at=entered)


def test_momentum_exit_on_target_net_of_the_exit_fee_and_on_horizon():
    # synthetic quotes: one market (the ladder cannot be judged, so no reversal signal) at chosen prices
    s = get_strategy("weather_momentum", {"use_model": "never", "horizon_s": 300})
    t0 = datetime(2025, 12, 5, 15, tzinfo=UTC)
    tk = "KXHIGHNY-25DEC05-B32.5"
    now = t0 + timedelta(seconds=100)
    # bid 0.46: net of the taker fee on 10 (0.18) it is 0.442 < the 0.45 entered on → held
    assert s.exits([_position("yes", 0.45, t0)], [_snap(tk, "0.46", "0.48", now)], now) == []
    # bid 0.47: 0.47 − 0.18/10 = 0.452 ≥ 0.45 → take profit
    [ex] = s.exits([_position("yes", 0.45, t0)], [_snap(tk, "0.47", "0.49", now)], now)
    assert ex.reason == "take_profit" and ex.ticker == tk
    assert order_fee(price=Decimal("0.47"), count=Decimal("10")) == Decimal("0.18")
    # a NO position: its bid is 1 − YES ask; entered on P(yes) 0.55, i.e. NO worth 0.45
    [ex] = s.exits([_position("no", 0.55, t0)], [_snap(tk, "0.50", "0.53", now)], now)
    assert ex.reason == "take_profit"
    assert s.exits([_position("no", 0.55, t0)], [_snap(tk, "0.52", "0.54", now)], now) == []
    # the horizon: 300 s after the entry's decision the drift window is over
    later = t0 + timedelta(seconds=300)
    [ex] = s.exits([_position("yes", 0.45, t0)], [_snap(tk, "0.46", "0.48", later)], later)
    assert ex.reason == "time_exit"
    just_before = t0 + timedelta(seconds=299)
    assert s.exits([_position("yes", 0.45, t0)], [_snap(tk, "0.46", "0.48", just_before)], just_before) == []
    # a quote stamped after `now` is not known yet: no exit on it (no look-ahead)
    assert s.exits([_position("yes", 0.45, t0)], [_snap(tk, "0.60", "0.62", later + timedelta(seconds=1))],
                   later) == []
    # exits=false holds to settlement
    off = get_strategy("weather_momentum", {"use_model": "never", "exits": False})
    assert off.exits([_position("yes", 0.45, t0)], [_snap(tk, "0.47", "0.49", later)], later) == []


def test_momentum_exit_on_signal_reversal():
    s = get_strategy("weather_momentum", {"use_model": "never", "reversal_c": 0.5})
    t0 = datetime(2025, 12, 5, 15, tzinfo=UTC)
    tk, ev = "KXHIGHNY-25DEC05-B32.5", "KXHIGHNY-25DEC05"
    now = t0 + timedelta(seconds=60)
    snap = _snap(tk, "0.40", "0.42", now)
    # the step's signal (as probabilities() left it for this event at `now`): the mid is expected to fall 2c
    s._adj[ev] = (now.timestamp(), {tk: {"shift_c": -2.0}})
    [ex] = s.exits([_position("yes", 0.45, t0)], [snap], now)
    assert ex.reason == "signal_reversal" and ex.p_yes == pytest.approx(0.39)
    assert s.exits([_position("no", 0.30, t0)], [snap], now) == []  # a NO position agrees with a fall
    s._adj[ev] = (now.timestamp(), {tk: {"shift_c": -0.3}})  # below the threshold: held
    assert s.exits([_position("yes", 0.45, t0)], [snap], now) == []


def test_report_hit_rate_counts_entries_and_exits_apart(tmp_path):
    # a hand-made run: one market settled NO; a YES bought (a miss) and sold (a right exit), a NO bought (a hit)
    tk = "KXHIGHNY-25DEC05-B32.5"
    (tmp_path / "summary.json").write_text(json.dumps({
        "strategy": "weather_momentum", "pnl_net": "-0.10", "max_drawdown": 0.1,
        "per_market": {tk: {"pnl_net": "-0.10", "result": "no"}},
        "exits": {"time_exit": {"fills": 1, "contracts": "1"}}}))
    (tmp_path / "trades.csv").write_text("ts,ticker,side,action,price,count,fee,liquidity\n"
                                         f"2025-12-05T15:00:00+00:00,{tk},yes,buy,0.40,1,0.02,taker\n"
                                         f"2025-12-05T15:05:00+00:00,{tk},yes,sell,0.38,1,0.02,taker\n"
                                         f"2025-12-05T15:06:00+00:00,{tk},no,buy,0.60,1,0.02,taker\n")
    r = backtest_report(tmp_path)
    assert (r["hit_rate"], r["entries_judged"], r["exit_hit_rate"], r["exits_judged"]) == (0.5, 2, 1.0, 1)
    assert r["exits"] == {"time_exit": {"fills": 1, "contracts": "1"}}
