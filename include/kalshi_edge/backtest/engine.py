"""Replay recorded books through THE decision loop: a :class:`~kalshi_edge.trading.session.TradingSession`
with a replayed market source, a simulated clock and the backtest broker.

There is no second loop here: the session does the reconcile, fills, maker expiry, strategies,
shared gates (:mod:`kalshi_edge.trading.intents`), stop-loss and strategy exits, risk engine (daily loss cap,
drawdown kill switch, already-working and duplicate checks) and ledger exactly as it does live
and in paper. This module only feeds it recorded quotes and advances its clock.

Timeline and no look-ahead
--------------------------
Decisions happen on a fixed grid (``decision_interval_s``). A grid time ``g`` is decided when a
recorded update lies in ``[g − interval, g)`` and a later one exists (empty stretches of the
recording are skipped, not traded on stale quotes). Before deciding at ``g`` every update stamped
**strictly before** ``g`` is applied, nothing at or after it; the session then steps with its clock
at ``g``. Orders from that decision meet the book as it stood then.

Fill model: :class:`~kalshi_edge.backtest.broker.BacktestBroker` (the shared matching engine):
taker orders fill at the recorded touch (≤ ``touch_size`` contracts per level, sizes assumed);
maker orders fill only when a recorded touch trades strictly through their price
(:data:`~kalshi_edge.backtest.broker.QUEUE_ASSUMPTION`, quoted in every summary). Fees come from
the engine, i.e. from the one fee function; every fill is re-checked against
:func:`~kalshi_edge.kalshi.fees.order_fee` in the summary.

Settlement: at the end, a market's result is read from its last informative quote (bid ≥ 0.90 →
YES, ask ≤ 0.10 → NO); otherwise the position is marked at its last mid. This uses data after
the last decision only for scoring, never for decisions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from kalshi_edge.backtest.broker import (
    QUEUE_ASSUMPTION,
    BacktestBroker,
    MemoryKillSwitch,
    ReplayBook,
    SimClock,
)
from kalshi_edge.kalshi.fees import order_fee
from kalshi_edge.kalshi.money import ZERO
from kalshi_edge.trading.intents import GateConfig
from kalshi_edge.trading.ledger import OrderLedger
from kalshi_edge.trading.portfolio import mark_value
from kalshi_edge.trading.risk import RiskEngine, RiskLimits
from kalshi_edge.trading.session import TradingSession
from kalshi_edge.trading.strategy import Strategy

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class BacktestConfig:
    """Replay knobs. Money in dollars (Decimal), times in seconds."""

    decision_interval_s: int = 60
    touch_size: Decimal = Decimal("50")
    bankroll: Decimal = Decimal("1000")
    #: Resting maker orders are cancelled after this long (a fresh decision replaces them).
    maker_ttl_s: int = 300
    gates: GateConfig = field(default_factory=GateConfig)
    limits: RiskLimits = field(default_factory=RiskLimits)


@dataclass(slots=True)
class Trade:
    ts: datetime
    ticker: str
    side: str
    action: str
    price: Decimal
    count: Decimal
    fee: Decimal
    liquidity: str
    client_order_id: str
    strategy: str


@dataclass(slots=True)
class BacktestResult:
    trades: list[Trade]
    equity: pd.DataFrame  # ts, equity, cash, unrealized (floats for plotting; money sums exact below)
    summary: dict[str, Any]
    rejections: dict[str, int]
    updates: int
    decisions: int
    #: Every intent the session saw with its risk decision (the session's decision log).
    decision_log: list[dict[str, Any]] = field(default_factory=list)


def decision_grid(ts_ns: np.ndarray, interval_s: int) -> np.ndarray:
    """Grid times (epoch ns) to decide at: the first grid point after each update, kept only when
    a later update exists (see the module docstring)."""
    if not len(ts_ns):
        return np.array([], dtype=np.int64)
    interval = int(interval_s) * 1_000_000_000
    grid = np.unique((ts_ns // interval + 1) * interval)
    return grid[grid <= ts_ns[-1]]


class Backtester:
    """One replay. Build, then :meth:`run` on a frame from :func:`kalshi_edge.backtest.data.load_top_of_book`."""

    def __init__(self, strategy: Strategy | Sequence[Strategy], cfg: BacktestConfig | None = None) -> None:
        self.strategies = [strategy] if isinstance(strategy, Strategy) else list(strategy)
        self.strategy = self.strategies[0]
        self.cfg = cfg or BacktestConfig()
        self.book = ReplayBook()
        self.clock = SimClock(_EPOCH)
        self.broker = BacktestBroker(self.book, self.clock, cash=self.cfg.bankroll, touch_size=self.cfg.touch_size,
                                     tick=self.cfg.gates.fee_tick)
        self.ledger = OrderLedger(None, clock=self.clock)  # events stamped with the replayed time
        self.kill_switch = MemoryKillSwitch()
        self.risk = RiskEngine(self.cfg.limits, self.kill_switch)
        self.session = TradingSession(
            strategies=self.strategies, broker=self.broker, ledger=self.ledger, risk=self.risk,
            gates=self.cfg.gates, markets=self.book.source, clock=self.clock, cancel_on_shutdown=True,
            maker_ttl_s=float(self.cfg.maker_ttl_s),
        )
        self.session.decision_log = []

    # ------------------------------------------------------------------ run
    def run(self, frame: pd.DataFrame) -> BacktestResult:
        """Replay ``frame`` (ts, ticker, yes_bid_c, yes_ask_c) and score the result."""
        ts_ns = frame["ts"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        grid = decision_grid(ts_ns, self.cfg.decision_interval_s)
        # Plain Python lists: indexing numpy scalars row by row costs more than the replay logic.
        rows = list(zip(ts_ns.tolist(), [str(t) for t in frame["ticker"].tolist()], frame["yes_bid_c"].tolist(),
                        frame["yes_ask_c"].tolist(), strict=True))
        equity_rows: list[tuple[datetime, Decimal, Decimal, Decimal]] = []
        last_quote: dict[str, tuple[int, int]] = {}
        apply = self.broker.apply_update
        latest = self.book.latest
        i, n = 0, len(rows)
        for g in grid.tolist():
            while i < n and rows[i][0] < g:
                t_ns, tk, b, a = rows[i]
                i += 1
                if last_quote.get(tk) == (b, a):
                    latest[tk] = (t_ns, b, a)  # unchanged touch: only its timestamp moves
                    continue
                last_quote[tk] = (b, a)
                apply(tk, t_ns, b, a)
            now = _EPOCH + pd.Timedelta(g, unit="ns").to_pytimedelta()
            self.clock.set(now)
            self.session.step()
            eq, unreal = self._equity(self.book.marks())
            equity_rows.append((now, eq, self.broker.cash, unreal))
        for t_ns, tk, b, a in rows[i:]:  # after the last decision: scoring only
            if last_quote.get(tk) != (b, a):
                last_quote[tk] = (b, a)
                apply(tk, t_ns, b, a)
            else:
                latest[tk] = (t_ns, b, a)
        self.session.shutdown()
        return self._finish(frame, equity_rows, len(grid))

    def _equity(self, marks: dict[str, Decimal]) -> tuple[Decimal, Decimal]:
        unreal = ZERO
        for t, pos in self.broker.positions().items():
            if t in marks:
                unreal += mark_value(pos, marks[t])
            else:  # no two-sided quote: carry at cost
                p = self.ledger.positions.get(t)
                unreal += p.cost if p else ZERO
        return self.broker.cash + unreal, unreal

    def _marks(self) -> dict[str, Decimal]:
        return self.book.marks()

    def _trades(self) -> list[Trade]:
        """Every fill in the ledger, in order, as a trade row."""
        out = []
        for ev in self.ledger.memory:
            if ev["event"] != "fill":
                continue
            rec = self.ledger.orders[ev["client_order_id"]]
            ts = ev.get("ts") or ""
            at = (_EPOCH + pd.Timedelta(int(ts), unit="ms").to_pytimedelta()) if str(ts).isdigit() else \
                datetime.fromisoformat(str(ev["at"]))
            out.append(Trade(ts=at, ticker=rec.ticker, side=rec.side, action=rec.action, price=Decimal(str(ev["price"])),
                             count=Decimal(str(ev["count"])), fee=Decimal(str(ev["fee"])),
                             liquidity="taker" if ev["is_taker"] else "maker", client_order_id=rec.client_order_id,
                             strategy=rec.strategy))
        return out

    def _rejections(self) -> dict[str, int]:
        st = self.session.status
        out = {str(k): v for k, v in st.rejected.items()}
        for k, v in st.denied.items():
            key = k if k in ("duplicate_decision", "already_working") else f"risk:{k}"
            out[key] = out.get(key, 0) + v
        return out

    # ------------------------------------------------------------------ scoring
    def _settlements(self, frame: pd.DataFrame) -> dict[str, str]:
        out: dict[str, str] = {}
        informative = frame[(frame["yes_bid_c"] > 0) | (frame["yes_ask_c"] < 100)]
        for tk, g in informative.groupby("ticker", sort=True):
            last = g.iloc[-1]
            if last["yes_bid_c"] >= 90:
                out[str(tk)] = "yes"
            elif last["yes_ask_c"] <= 10:
                out[str(tk)] = "no"
        return out

    def _finish(self, frame: pd.DataFrame, equity_rows: list, decisions: int) -> BacktestResult:
        end = equity_rows[-1][0] if equity_rows else _EPOCH
        self.trades = self._trades()
        self.rejections = self._rejections()
        results = self._settlements(frame)
        marks = self._marks()
        final_value = self.broker.cash
        per_market: dict[str, dict[str, Any]] = {}
        for tk in list(self.ledger.positions):
            res = results.get(tk)
            if res is not None:
                self.ledger.append("settled", ticker=tk, result=res, at=end.isoformat())
        for tk, pos in self.broker.positions().items():
            res = results.get(tk)
            if res is not None:
                final_value += final_payout(pos, res)
            elif tk in marks:
                final_value += mark_value(pos, marks[tk])
        for t in self.trades:
            pm = per_market.setdefault(t.ticker, {"trades": 0, "contracts": ZERO, "fees": ZERO, "turnover": ZERO})
            pm["trades"] += 1
            pm["contracts"] += t.count
            pm["fees"] += t.fee
            pm["turnover"] += t.price * t.count
        wins = losses = 0
        for tk, p in self.ledger.positions.items():
            pm = per_market.setdefault(tk, {"trades": 0, "contracts": ZERO, "fees": ZERO, "turnover": ZERO})
            net = p.realized - p.fees
            if not p.settled and p.position != 0 and tk in marks:
                net += mark_value(p.position, marks[tk]) - p.cost
            pm["pnl_net"] = net
            pm["result"] = results.get(tk, "")
            if p.settled:
                wins += net > 0
                losses += net <= 0
        eq = pd.DataFrame(
            [(r[0], float(r[1]), float(r[2]), float(r[3])) for r in equity_rows],
            columns=["ts", "equity", "cash", "position_value"],
        )
        if len(eq):
            eq.loc[len(eq)] = [end, float(final_value), float(final_value), 0.0]
        fees = sum((t.fee for t in self.trades), ZERO)
        turnover = sum((t.price * t.count for t in self.trades), ZERO)
        rets = eq["equity"].diff().dropna() / float(self.cfg.bankroll) if len(eq) > 1 else pd.Series(dtype=float)
        per_year = 365 * 24 * 3600 / self.cfg.decision_interval_s
        sharpe = float(rets.mean() / rets.std() * math.sqrt(per_year)) if len(rets) > 1 and rets.std() > 0 else 0.0
        peak = eq["equity"].cummax() if len(eq) else pd.Series(dtype=float)
        max_dd = float((peak - eq["equity"]).max()) if len(eq) else 0.0
        exit_reason = {d["client_order_id"]: d["reason"] for d in (self.session.decision_log or [])
                       if d["action"] == "sell" and d["decision"] == "approved"}
        exits: dict[str, dict[str, Any]] = {}
        for t in self.trades:
            if t.action == "sell":
                e = exits.setdefault(exit_reason.get(t.client_order_id, "sell"), {"fills": 0, "contracts": ZERO})
                e["fills"] += 1
                e["contracts"] += t.count
        fee_mismatch = sum(1 for t in self.trades if t.fee > order_fee(price=t.price, count=t.count,
                                                                         is_maker=t.liquidity == "maker"))
        summary = {
            "strategy": self.strategy.name,
            "params": self.strategy.params,
            "updates": int(len(frame)),
            "decisions": decisions,
            "trades": len(self.trades),
            "contracts": str(sum((t.count for t in self.trades), ZERO)),
            "start_equity": str(self.cfg.bankroll),
            "final_equity": str(final_value),
            "pnl_net": str(final_value - self.cfg.bankroll),
            "fees": str(fees),
            "turnover": str(turnover),
            "sharpe": round(sharpe, 4),
            "sharpe_basis": f"annualized from {self.cfg.decision_interval_s}s equity changes / bankroll",
            "max_drawdown": round(max_dd, 4),
            "win_rate": round(wins / (wins + losses), 4) if wins + losses else None,
            "settled_markets_traded": wins + losses,
            "rejections": dict(sorted(self.rejections.items())),
            "fill_model": (f"taker at recorded touch (≤ {self.cfg.touch_size} contracts/level, sizes assumed); "
                           "maker only when the recorded touch trades strictly through the resting price"),
            "queue_assumption": QUEUE_ASSUMPTION,
            "loop": "kalshi_edge.trading.session.TradingSession (the live/paper loop) with the backtest broker",
            "kill_switch": self.kill_switch.info().get("reason", ""),
            "strategies": [s.name for s in self.strategies],
            "fee_fills_above_order_fee": fee_mismatch,
            "exits": {k: {"fills": v["fills"], "contracts": str(v["contracts"])} for k, v in sorted(exits.items())},
            "per_market": {k: {kk: (str(vv) if isinstance(vv, Decimal) else vv) for kk, vv in v.items()}
                           for k, v in sorted(per_market.items())},
        }
        return BacktestResult(trades=self.trades, equity=eq, summary=summary, rejections=self.rejections,
                              updates=int(len(frame)), decisions=decisions,
                              decision_log=list(self.session.decision_log or []))


def final_payout(position: Decimal, result: str) -> Decimal:
    """Dollars a signed position (+YES / −NO) receives at settlement."""
    if position > 0:
        return position if result == "yes" else ZERO
    return -position if result == "no" else ZERO


__all__ = ["BacktestConfig", "BacktestResult", "Backtester", "Trade", "final_payout"]
