"""The backtest runs the session's risk machinery: stop-loss exits, the daily loss cap and the
drawdown kill switch each fire in a replay (the old duplicate loop had none of them).

Synthetic on purpose: each test needs one exact price path (a crash after we buy) that the
recorded day does not isolate."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pandas as pd

from kalshi_edge.backtest.engine import BacktestConfig, Backtester
from kalshi_edge.trading.intents import GateConfig
from kalshi_edge.trading.risk import RiskLimits
from kalshi_edge.trading.strategy import ModelProbability, Strategy

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
TK = "KXHIGHNY-26JAN05-B40.5"


class Bullish(Strategy):
    name = "bullish_test"

    def probabilities(self, markets, now):
        return [ModelProbability(m.ticker, 0.9, now, model_version="test-1") for m in markets]


def _crash_frame(crash_after_s: int = 150, minutes: int = 12) -> pd.DataFrame:
    rows = []
    for s in range(0, minutes * 60, 20):
        bid, ask = (40, 42) if s < crash_after_s else (10, 12)
        rows.append((T0 + timedelta(seconds=s), TK, bid, ask))
    f = pd.DataFrame(rows, columns=["ts", "ticker", "yes_bid_c", "yes_ask_c"])
    f["ts"] = pd.to_datetime(f["ts"], utc=True)
    return f


def _cfg(**limits) -> BacktestConfig:
    gates = GateConfig(allow_maker=False, max_count=Decimal("10"))
    return BacktestConfig(gates=gates, limits=replace(RiskLimits(), **limits))


def test_stop_loss_exit_fires():
    res = Backtester(Bullish(), _cfg(stop_loss_fraction=Decimal("0.5"))).run(_crash_frame())
    exits = [t for t in res.trades if t.strategy == "stop_loss"]
    assert exits and all(t.action == "sell" and t.side == "yes" for t in exits)
    assert exits[0].price == Decimal("0.10")  # hits the recorded bid after the crash
    assert exits[0].ts >= T0 + timedelta(seconds=150)


def test_daily_loss_cap_fires():
    res = Backtester(Bullish(), _cfg(daily_loss_cap=Decimal("1"), stop_loss_fraction=Decimal("0.99"))).run(
        _crash_frame())
    assert res.rejections.get("risk:daily_loss_cap", 0) > 0
    buys_after = [t for t in res.trades if t.action == "buy" and t.ts > T0 + timedelta(seconds=200)]
    assert buys_after == []
    assert any(d["decision"] == "daily_loss_cap" for d in res.decision_log)


def test_kill_switch_fires_and_stops_trading():
    bt = Backtester(Bullish(), _cfg(max_drawdown=Decimal("2"), stop_loss_fraction=Decimal("0.99"),
                                    daily_loss_cap=Decimal("500")))
    res = bt.run(_crash_frame())
    assert res.summary["kill_switch"].startswith("drawdown")
    tripped_at = datetime.fromisoformat(bt.kill_switch.info()["tripped_at"])
    assert tripped_at < T0 + timedelta(minutes=6)  # long before the replay ends: it really stopped it
    assert not [t for t in res.trades if t.ts > tripped_at]
    assert res.trades and all(t.ts < tripped_at for t in res.trades)
