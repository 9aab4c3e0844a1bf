"""Replay recorded books through the same strategy, gates, risk engine and matching engine as live.

Timeline and no look-ahead
--------------------------
Updates are applied in time order. Decisions happen on a fixed grid (``decision_interval_s``):
before the first update stamped at or after a grid time ``t`` is applied, the strategy decides at
``t`` seeing only the latest quote of each market stamped **strictly before** ``t``. Orders from
that decision meet the book as it stood then.

Fill model (the shared :class:`~kalshi_edge.exchange.matching.MatchingEngine`, via
:class:`~kalshi_edge.trading.brokers.PaperBroker`)
-------------------------------------------------------------------------------------------------
* Each recorded touch is loaded as external liquidity of ``touch_size`` contracts per side
  (top-of-book logs carry no sizes: an assumption, stated in the summary).
* Taker orders (IOC) fill at the recorded touch, at most ``touch_size``.
* Maker orders (post-only) join the back of the queue at the recorded bid. We assume we are last
  in that queue, so a recorded opposite touch merely *reaching* our price does not fill us (the
  queue ahead absorbs it): the order is parked and re-entered when the book moves away. Only a
  recorded touch strictly *through* our price fills us, as maker, at our price.
* Fees come from the engine, i.e. from the one fee function; every fill is re-checked against
  :func:`~kalshi_edge.kalshi.fees.order_fee` in the tests.

Settlement: at the end, a market's result is read from its last informative quote (bid ≥ 0.90 →
YES, ask ≤ 0.10 → NO); otherwise the position is marked at its last mid. This uses data after
the last decision only for scoring, never for decisions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from kalshi_edge.exchange.matching import EngineOrder
from kalshi_edge.kalshi.fees import order_fee
from kalshi_edge.kalshi.money import ZERO
from kalshi_edge.trading.brokers import PaperBroker
from kalshi_edge.trading.intents import GateConfig, OrderIntent, build_intents
from kalshi_edge.trading.ledger import OrderLedger
from kalshi_edge.trading.portfolio import build_state, mark_value
from kalshi_edge.trading.risk import Approved, RiskEngine, RiskLimits
from kalshi_edge.trading.strategy import MarketSnapshot, Strategy, event_of, family_of

_CENTS = [Decimal(i) / 100 for i in range(101)]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _dt(ts_ns: int) -> datetime:
    """Epoch nanoseconds → aware UTC datetime (microsecond precision, exact integer math)."""
    return _EPOCH + timedelta(microseconds=ts_ns // 1000)


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


@dataclass(slots=True)
class _Parked:
    """A maker order pulled off the engine because the book touched (but did not pass) its price."""

    intent: OrderIntent
    remaining: Decimal
    yes_price: Decimal
    book_side: str
    placed_at: datetime


class Backtester:
    """One replay. Build, then :meth:`run` on a frame from :func:`kalshi_edge.backtest.data.load_top_of_book`."""

    def __init__(self, strategy: Strategy, cfg: BacktestConfig | None = None) -> None:
        self.strategy = strategy
        self.cfg = cfg or BacktestConfig()
        self.broker = PaperBroker(cash=self.cfg.bankroll, touch_size=self.cfg.touch_size, tick=self.cfg.gates.fee_tick)
        self.ledger = OrderLedger(None)
        self.risk = RiskEngine(self.cfg.limits)
        self.trades: list[Trade] = []
        self.rejections: dict[str, int] = {}
        #: ticker → (quote time in epoch ns, yes bid cents, yes ask cents); datetimes made lazily.
        self._latest: dict[str, tuple[int, int, int]] = {}
        self._placed_at: dict[str, datetime] = {}  # order_id → time placed
        self._coid_of: dict[str, str] = {}  # order_id → client_order_id
        self._parked: dict[str, _Parked] = {}  # client_order_id → parked order
        self._peak = self.cfg.bankroll
        self._intents: dict[str, OrderIntent] = {}
        self._close: dict[str, datetime | None] = {}
        self._ev_fam: dict[str, tuple[str, str]] = {}
        #: Markets whose engine book lags the latest quote. The engine's external book only
        #: matters where we have (or are about to place) an order, so it is synced lazily there.
        self._dirty: set[str] = set()
        self._active: set[str] = set()  # markets with our resting or parked orders

    # ------------------------------------------------------------------ helpers
    def _snapshot(self, ticker: str) -> MarketSnapshot:
        ts_ns, bid, ask = self._latest[ticker]
        ts = _dt(ts_ns)
        if ticker not in self._close:
            from kalshi_edge.backtest.data import contract_close_time

            self._close[ticker] = contract_close_time(ticker)
        ev_fam = self._ev_fam.get(ticker)
        if ev_fam is None:
            ev_fam = self._ev_fam[ticker] = (event_of(ticker), family_of(ticker))
        return MarketSnapshot(
            ticker=ticker, yes_bid=_CENTS[bid] if bid > 0 else None, yes_ask=_CENTS[ask] if ask < 100 else None,
            quote_ts=ts, close_time=self._close[ticker], event_ticker=ev_fam[0], family=ev_fam[1],
        )

    def _marks(self) -> dict[str, Decimal]:
        marks = {}
        for t, (_, bid, ask) in self._latest.items():
            if 0 < bid and ask < 100:
                marks[t] = (_CENTS[bid] + _CENTS[ask]) / 2
        return marks

    def _equity(self, marks: Mapping[str, Decimal]) -> tuple[Decimal, Decimal]:
        unreal = ZERO
        for t, pos in self.broker.positions().items():
            if t in marks:
                unreal += mark_value(pos, marks[t])
            else:  # no two-sided quote: carry at cost
                p = self.ledger.positions.get(t)
                unreal += p.cost if p else ZERO
        return self.broker.cash + unreal, unreal

    def _record_fill(self, coid: str, info: Any, at: datetime) -> None:
        intent = self._intents[coid]
        self.ledger.record_fill(client_order_id=coid, fill_id=info.fill_id, count=info.count, yes_price=info.yes_price,
                                fee=info.fee, is_taker=info.is_taker, ts=at.isoformat())
        self.trades.append(Trade(ts=at, ticker=intent.ticker, side=intent.side, action=intent.action,
                                 price=info.yes_price if intent.side == "yes" else 1 - info.yes_price,
                                 count=info.count, fee=info.fee,
                                 liquidity="taker" if info.is_taker else "maker", client_order_id=coid,
                                 strategy=intent.strategy))

    def _refresh_active(self) -> None:
        self._active = {st.order.ticker for st in self.broker.engine.resting_orders(account=self.broker.account)}
        self._active.update(pk.intent.ticker for pk in self._parked.values())

    def _sync(self, ticker: str) -> None:
        """Load the latest recorded quote of ``ticker`` into the engine (no orders of ours there)."""
        if ticker in self._dirty:
            self._dirty.discard(ticker)
            self.broker.observe(self._snapshot(ticker))

    def _reaches_ours(self, ticker: str, bid: int, ask: int) -> bool:
        """Whether this recorded touch reaches (or passes) the price of any order of ours there."""
        yes_ask = _CENTS[ask] if ask < 100 else None
        yes_bid = _CENTS[bid] if bid > 0 else None
        for st in self.broker.engine.resting_orders(ticker=ticker, account=self.broker.account):
            p = st.order.price
            if (st.order.book_side == "bid" and yes_ask is not None and yes_ask <= p) or (
                    st.order.book_side == "ask" and yes_bid is not None and yes_bid >= p):
                return True
        return any(pk.intent.ticker == ticker for pk in self._parked.values())

    def _apply_update(self, ticker: str, ts_ns: int, bid: int, ask: int) -> None:
        self._latest[ticker] = (ts_ns, bid, ask)
        # A touch that does not reach our orders cannot fill them, and load_levels sets the
        # external book to the recorded one exactly whenever it runs: syncing lazily is the same.
        if ticker not in self._active or not self._reaches_ours(ticker, bid, ask):
            self._dirty.add(ticker)
            return
        ts = _dt(ts_ns)
        self._dirty.discard(ticker)
        eng = self.broker.engine
        yes_ask = _CENTS[ask] if ask < 100 else None
        yes_bid = _CENTS[bid] if bid > 0 else None
        # Trade-through rule: park our resting orders that the new touch reaches but does not pass.
        for st in eng.resting_orders(ticker=ticker, account=self.broker.account):
            p = st.order.price
            touch = (st.order.book_side == "bid" and yes_ask == p) or (st.order.book_side == "ask" and yes_bid == p)
            if touch:
                eng.cancel(st.order_id)
                coid = st.order.client_order_id
                self._parked[coid] = _Parked(self._intents[coid], st.remaining_count, p, st.order.book_side,
                                             self._placed_at.get(st.order_id, ts))
        self.broker.observe(self._snapshot(ticker))
        for coid, info in self.broker.new_fills():
            self._record_fill(coid, info, ts)
        # Re-enter parked orders of this market once the book no longer reaches their price.
        for coid, pk in list(self._parked.items()):
            if pk.intent.ticker != ticker:
                continue
            reaches = (pk.book_side == "bid" and yes_ask is not None and yes_ask <= pk.yes_price) or (
                pk.book_side == "ask" and yes_bid is not None and yes_bid >= pk.yes_price)
            if reaches:
                continue
            del self._parked[coid]
            oid = f"R-{len(self._placed_at):08d}"
            res = eng.submit(EngineOrder(order_id=oid, account=self.broker.account, ticker=ticker,
                                         book_side=pk.book_side, price=pk.yes_price, count=pk.remaining,  # type: ignore[arg-type]
                                         client_order_id=coid, post_only=True, ts_ms=int(ts.timestamp() * 1000)))
            self._placed_at[oid] = pk.placed_at
            self._coid_of[oid] = coid
            if res.state.status != "resting":  # pragma: no cover - guarded by `reaches` above
                self.ledger.append("cancelled", client_order_id=coid, reason="re-entry refused", at=ts.isoformat())
        self._refresh_active()

    def _expire_makers(self, now: datetime) -> None:
        ttl = self.cfg.maker_ttl_s
        for st in self.broker.engine.resting_orders(account=self.broker.account):
            if (now - self._placed_at.get(st.order_id, now)).total_seconds() >= ttl:
                self.broker.cancel(st.order_id)
                coid = st.order.client_order_id
                if not self.ledger.orders[coid].terminal:
                    self.ledger.append("cancelled", client_order_id=coid, reason="maker_ttl", at=now.isoformat())
        for coid, pk in list(self._parked.items()):
            if (now - pk.placed_at).total_seconds() >= ttl:
                del self._parked[coid]
                if not self.ledger.orders[coid].terminal:
                    self.ledger.append("cancelled", client_order_id=coid, reason="maker_ttl", at=now.isoformat())

    def _decide(self, now: datetime) -> None:
        self._expire_makers(now)
        try:
            self._decide_inner(now)
        finally:
            self._refresh_active()

    def _decide_inner(self, now: datetime) -> None:
        markets = [self._snapshot(t) for t in self._latest]
        probs = self.strategy.probabilities(markets, now)
        batch = build_intents(probs, markets, strategy=self.strategy.name, now=now, cfg=self.cfg.gates)
        for r in batch.rejections:
            self.rejections[r.reason] = self.rejections.get(r.reason, 0) + 1
        if not batch.intents:
            return
        marks = self._marks()
        for intent in batch.intents:
            if intent.client_order_id in self.ledger.orders:
                self.rejections["duplicate_decision"] = self.rejections.get("duplicate_decision", 0) + 1
                continue
            equity, _ = self._equity(marks)
            self._peak = max(self._peak, equity)
            state = build_state(ledger=self.ledger, now=now, bankroll=max(equity, ZERO), marks=marks,
                                equity=equity, peak_equity=self._peak)
            decision = self.risk.check(intent, state)
            if not isinstance(decision, Approved):
                key = f"risk:{decision.reason}"
                self.rejections[key] = self.rejections.get(key, 0) + 1
                continue
            at = now.isoformat()
            intent = intent.with_count(decision.count)
            self._intents[intent.client_order_id] = intent
            self.ledger.record_intent(intent)
            self.ledger.append("sent", client_order_id=intent.client_order_id, at=at)
            self.risk.record_sent(now)
            self._sync(intent.ticker)
            self.broker.now_ms = int(now.timestamp() * 1000)
            res = self.broker.place(intent, count=decision.count)
            self._placed_at[res.order_id] = now
            self._coid_of[res.order_id] = intent.client_order_id
            self.ledger.append("acknowledged", client_order_id=intent.client_order_id, order_id=res.order_id, at=at)
            for info in res.fills:
                self._record_fill(intent.client_order_id, info, now)
            if res.status in ("canceled", "rejected") and not self.ledger.orders[intent.client_order_id].terminal:
                self.ledger.append("cancelled" if res.status == "canceled" else "rejected",
                                   client_order_id=intent.client_order_id, reason=res.reason or res.status, at=at)

    # ------------------------------------------------------------------ run
    def run(self, frame: pd.DataFrame) -> BacktestResult:
        """Replay ``frame`` (ts, ticker, yes_bid_c, yes_ask_c) and score the result."""
        interval_ns = int(self.cfg.decision_interval_s) * 1_000_000_000
        ts_ns = frame["ts"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        tickers = frame["ticker"].to_numpy()
        bids = frame["yes_bid_c"].to_numpy()
        asks = frame["yes_ask_c"].to_numpy()
        equity_rows: list[tuple[datetime, Decimal, Decimal, Decimal]] = []
        next_decision = (int(ts_ns[0]) // interval_ns + 1) * interval_ns if len(ts_ns) else 0
        last_quote: dict[str, tuple[int, int]] = {}
        decisions = 0
        # Plain Python lists: indexing numpy scalars row by row costs more than the replay logic.
        for t_ns, tk, b, a in zip(ts_ns.tolist(), [str(t) for t in tickers.tolist()], bids.tolist(), asks.tolist(),
                                  strict=True):
            if t_ns >= next_decision:
                now = datetime.fromtimestamp(next_decision / 1e9, tz=UTC)
                self._decide(now)
                decisions += 1
                marks = self._marks()
                eq, unreal = self._equity(marks)
                equity_rows.append((now, eq, self.broker.cash, unreal))
                next_decision += interval_ns
                if t_ns >= next_decision:  # a gap in the data: skip the empty grid points
                    next_decision = (t_ns // interval_ns + 1) * interval_ns
            if last_quote.get(tk) == (b, a):
                # Unchanged touch: only its timestamp moves (the engine's book is already equal).
                self._latest[tk] = (t_ns, b, a)
                continue
            last_quote[tk] = (b, a)
            self._apply_update(tk, t_ns, b, a)
        return self._finish(frame, equity_rows, decisions)

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
        end = equity_rows[-1][0] if equity_rows else datetime.now(UTC)
        for st in self.broker.engine.resting_orders(account=self.broker.account):
            self.broker.cancel(st.order_id)
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
            "fee_fills_above_order_fee": fee_mismatch,
            "per_market": {k: {kk: (str(vv) if isinstance(vv, Decimal) else vv) for kk, vv in v.items()}
                           for k, v in sorted(per_market.items())},
        }
        return BacktestResult(trades=self.trades, equity=eq, summary=summary, rejections=self.rejections,
                              updates=int(len(frame)), decisions=decisions)


def final_payout(position: Decimal, result: str) -> Decimal:
    """Dollars a signed position (+YES / −NO) receives at settlement."""
    if position > 0:
        return position if result == "yes" else ZERO
    return -position if result == "no" else ZERO


__all__ = ["BacktestConfig", "BacktestResult", "Backtester", "Trade", "final_payout"]
