"""The simulated venue: markets, accounts, clock-driven status, fills into positions, settlement (no HTTP here).

:class:`Exchange` wraps the one :class:`~kalshi_edge.exchange.matching.MatchingEngine` and adds
what a venue keeps: market status from a clock, per-account cash and positions, order records in
the official schema, idempotency by ``client_order_id``, settlement, and an event stream
(:class:`ExchangeEvent`) that the WebSocket layer publishes. Every public method takes the state
lock, so tests may call it from their own thread while the server runs.

Venue rules enforced on order create (in :mod:`~kalshi_edge.exchange.order_rules`, mixed in here, with
amend/decrease/cancel-all; order groups in :mod:`~kalshi_edge.exchange.order_groups`) (each refusal is a 400 with a ``code`` naming it): market
open at the clock (``market_closed``); price on the market's ``price_ranges`` grid
(``invalid_price``); whole contracts unless ``fractional_trading_enabled``; buying power — the
cost of the part of the order that opens a position, at its limit, plus the worst-case taker fee,
must fit in cash not reserved by resting orders (``insufficient_balance``); ``reduce_only``
(``reduce_only_violation``); ``post_only`` never takes (``post_only_cross``); ``buy_max_cost``
caps the count at the limit price. ``expiration_ts`` (legacy) / ``expiration_time`` (V2) and
market close cancel resting orders when the clock passes them (:meth:`Exchange.sweep`).

Money: cash is kept in exact Decimal dollars; ``GET /portfolio/balance`` reports whole cents
(floor). Positions follow Kalshi's sign: ``position_fp`` > 0 is long YES, < 0 long NO. Buying YES
while long NO nets the pair into $1 (that is what "sell NO" means on Kalshi).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from kalshi_edge.exchange.historical import HistoricalArchive
from kalshi_edge.exchange.matching import (
    EXCHANGE_ACCOUNT,
    BookDelta,
    EngineFill,
    EngineTrade,
    MatchingEngine,
)
from kalshi_edge.exchange.order_groups import OrderGroup, OrderGroups
from kalshi_edge.exchange.order_rules import OrderRules
from kalshi_edge.exchange.records import (  # re-exported: the public import point for these names
    DEFAULT_ACCOUNT,
    DEFAULT_BALANCE_CENTS,
    Account,
    ApiError,
    ExchangeEvent,
    ManualClock,
    MarketState,
    OrderRecord,
    Position,
    SimClock,
    d4,
    price_steps,
    to_ms,
    with_required_fields,
)
from kalshi_edge.exchange.scenario import Scenario, iso, parse_time
from kalshi_edge.exchange.wire import ExchangeWire
from kalshi_edge.kalshi.fees import DEFAULT_TICK, FeeSchedule
from kalshi_edge.kalshi.money import ONE, ZERO, fmt_count

__all__ = [
    "DEFAULT_ACCOUNT", "DEFAULT_BALANCE_CENTS", "Account", "ApiError", "Exchange", "ExchangeEvent", "ManualClock",
    "MarketState", "OrderRecord", "Position", "SimClock",
]


class Exchange(OrderRules, OrderGroups, ExchangeWire, HistoricalArchive):
    """In-process exchange state. Thread-safe; see the module docstring."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        clock: SimClock | ManualClock | None = None,
        fee_tick: Decimal = DEFAULT_TICK,
        starting_balance_cents: int = DEFAULT_BALANCE_CENTS,
        seed: int = 0,
    ) -> None:
        self.scenario = scenario
        self.clock = clock or SimClock(scenario.clock_start)
        self.lock = threading.RLock()
        self.starting_cash = Decimal(starting_balance_cents) / 100
        self._uuid_ns = uuid.UUID(int=seed)
        self._counter = 0
        self.series: dict[str, dict[str, Any]] = {s["ticker"]: dict(s) for s in scenario.series}
        self.events: dict[str, dict[str, Any]] = {e["event_ticker"]: dict(e) for e in scenario.events}
        # Scheduled fee changes (scenario.fee_changes), applied by sweep() when the clock reaches them.
        self._fee_changes = sorted(
            [("series", c, parse_time(str(c.get("scheduled_ts")), f"fee_changes.series[{i}].scheduled_ts"))
             for i, c in enumerate((scenario.fee_changes or {}).get("series", []))]
            + [("events", c, parse_time(str(c.get("scheduled_ts")), f"fee_changes.events[{i}].scheduled_ts"))
               for i, c in enumerate((scenario.fee_changes or {}).get("events", []))], key=lambda x: x[2])
        self._fees_applied = 0
        self.markets: dict[str, MarketState] = {}
        for m in scenario.markets:
            t = m["ticker"]
            m = with_required_fields(m)
            series = self.series.get(m["event_ticker"].split("-")[0], {})
            event = self.events.get(m["event_ticker"], {})
            sched = self._fee_schedule(m, series, event)
            self.markets[t] = MarketState(
                spec=dict(m),
                open_time=parse_time(m["open_time"], f"{t}.open_time"),
                close_time=parse_time(m["close_time"], f"{t}.close_time"),
                fee_schedule=sched,
                steps=price_steps(m, t),
                market_id=str(uuid.uuid5(self._uuid_ns, "market:" + t)),
            )
        self.engine = MatchingEngine(
            fee_schedule_for=lambda t: self.markets[t].fee_schedule,
            tick=fee_tick,
            price_ok=self._price_ok,
            id_factory=self._new_id,
        )
        self.accounts: dict[str, Account] = {}
        self.orders: dict[str, OrderRecord] = {}
        self._by_client: dict[tuple[str, str], str] = {}
        self.trades: list[dict[str, Any]] = list(scenario.trades)
        self._listeners: list[Callable[[ExchangeEvent], None]] = []
        self.historical_cutoff: datetime | None = None
        self.order_groups: dict[str, OrderGroup] = {}
        for t, book in scenario.books.items():
            if t not in self.markets:
                raise ValueError(f"scenario books: {t!r} is not a market of the scenario")
            self.engine.load_levels(t, yes=book.get("yes_dollars", []), no=book.get("no_dollars", []),
                                    ts_ms=to_ms(self.clock.now()))

    # ------------------------------------------------------------------ fees
    @staticmethod
    def _fee_schedule(m: dict[str, Any], series: dict[str, Any], event: dict[str, Any]) -> FeeSchedule:
        waiver = m.get("fee_waiver_expiration_time")
        return FeeSchedule.resolve(
            series_fee_type=series.get("fee_type"),
            series_multiplier=str(series.get("fee_multiplier", "1")),
            event_fee_type_override=event.get("fee_type_override"),
            event_multiplier_override=event.get("fee_multiplier_override"),
            market_waiver_expiration=parse_time(waiver, f"{m['ticker']}.fee_waiver_expiration_time") if waiver else None,
        )

    def _apply_fee_changes(self, now: datetime) -> None:
        """Fees follow the schedule: a series change sets ``fee_type``/``fee_multiplier``, an event
        change the event's overrides, from ``scheduled_ts`` on (an ``event_fee_update`` goes out)."""
        while self._fees_applied < len(self._fee_changes) and self._fee_changes[self._fees_applied][2] <= now:
            kind, c, _ = self._fee_changes[self._fees_applied]
            self._fees_applied += 1
            if kind == "series":
                self.series.setdefault(c["series_ticker"], {"ticker": c["series_ticker"]}).update(
                    fee_type=c["fee_type"], fee_multiplier=c["fee_multiplier"])
            else:
                self.events.setdefault(c["event_ticker"], {"event_ticker": c["event_ticker"]}).update(
                    fee_type_override=c.get("fee_type_override"), fee_multiplier_override=c.get("fee_multiplier_override"))
                self._emit(ExchangeEvent("event_fee", "", {
                    "event_ticker": c["event_ticker"], "fee_type_override": c.get("fee_type_override"),
                    "fee_multiplier_override": c.get("fee_multiplier_override"), "ts_ms": to_ms(now)}))
            for ms in self.markets.values():
                ev = ms.spec["event_ticker"]
                ms.fee_schedule = self._fee_schedule(ms.spec, self.series.get(ev.split("-")[0], {}), self.events.get(ev, {}))

    # ------------------------------------------------------------------ plumbing
    def _new_id(self, kind: str) -> str:
        self._counter += 1
        return str(uuid.uuid5(self._uuid_ns, f"{kind}:{self._counter}"))

    def subscribe(self, listener: Callable[[ExchangeEvent], None]) -> None:
        """Receive every :class:`ExchangeEvent`, in order, under the state lock (keep it quick)."""
        with self.lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[ExchangeEvent], None]) -> None:
        with self.lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _emit(self, ev: ExchangeEvent) -> None:
        for fn in list(self._listeners):
            fn(ev)

    def _emit_deltas(self, deltas: list[BookDelta]) -> None:
        for d in deltas:
            if d.delta != 0:
                self._emit(ExchangeEvent("delta", d.ticker, d))

    def now(self) -> datetime:
        return self.clock.now()

    def account(self, name: str) -> Account:
        with self.lock:
            acct = self.accounts.get(name)
            if acct is None:
                acct = Account(name=name, cash=self.starting_cash)
                self.accounts[name] = acct
            return acct

    def _price_ok(self, ticker: str, yes_price: Decimal) -> bool:
        for start, end, step in self.markets[ticker].steps:
            if start <= yes_price <= end and (yes_price - start) % step == 0:
                return True
        return False

    def market(self, ticker: str) -> MarketState:
        m = self.markets.get(ticker)
        if m is None:
            raise ApiError(404, "not_found", f"market {ticker!r} not found")
        return m

    # ------------------------------------------------------------------ market status
    def status_of(self, ms: MarketState) -> str:
        """Spec ``Market.status`` at the simulator clock."""
        if ms.result:
            return "finalized"
        now = self.now()
        if now < ms.open_time:
            return "initialized"
        if now >= ms.close_time:
            return "closed"
        return "active"

    @staticmethod
    def filter_status(spec_status: str) -> str:
        """Spec status → the ``status`` query filter vocabulary."""
        return {"initialized": "unopened", "active": "open", "inactive": "paused", "closed": "closed",
                "determined": "settled", "finalized": "settled"}.get(spec_status, spec_status)


    def sweep(self) -> None:
        """Apply the clock: cancel orders past ``expiration_ts`` and resting orders of closed markets.

        Called before every API request and periodically by the server, so a manual clock that
        jumps past a close takes effect on the next request.
        """
        with self.lock:
            now = self.now()
            self._apply_fee_changes(now)
            expired = [st for st in self.engine.resting_orders()
                       if (rec := self.orders.get(st.order_id)) is not None and rec.expiration is not None
                       and rec.expiration <= now]
            for st in expired:
                self._cancel_resting(self.orders[st.order_id], now)
            for t, ms in self.markets.items():
                if now >= ms.close_time and not ms.closed_swept:
                    ms.closed_swept = True
                    canceled = self.engine.close_market(t, ts_ms=to_ms(now))
                    self._emit_deltas([BookDelta(t, s.order.outcome, s.order.outcome_price, -s.remaining_count,
                                                 to_ms(now)) for s in canceled])
                    for s in canceled:
                        if s.order_id in self.orders:
                            self.orders[s.order_id].last_update = now
                            self._order_event(self.orders[s.order_id])
                    self._emit(ExchangeEvent("lifecycle", t, {"event_type": "deactivated", "close_ts": int(ms.close_time.timestamp())}))

    def get_order(self, account: str, order_id: str) -> OrderRecord:
        with self.lock:
            rec = self.orders.get(order_id)
            if rec is None or rec.account != account:
                raise ApiError(404, "not_found", f"order {order_id!r} not found")
            return rec

    def find_by_client_order_id(self, account: str, client_order_id: str) -> OrderRecord | None:
        with self.lock:
            oid = self._by_client.get((account, client_order_id))
            return self.orders.get(oid) if oid else None

    # ------------------------------------------------------------------ fills and positions
    def _order_event(self, rec: OrderRecord) -> None:
        """A ``user_orders`` event: the order as ``GET /portfolio/orders/{id}`` shows it now."""
        self._emit(ExchangeEvent("order", rec.state.order.ticker, self.order_dict(rec), account=rec.account))

    def _position_event(self, account: str, ticker: str) -> None:
        """A ``market_positions`` event: the account's position row for ``ticker``."""
        rows, _ = self.position_dicts(account)
        for r in rows:
            if r["ticker"] == ticker:
                self._emit(ExchangeEvent("position", ticker, r, account=account))

    def _apply(self, fills: list[EngineFill], trades: list[EngineTrade], deltas: list[BookDelta], now: datetime,
               orders: Sequence[OrderRecord] = ()) -> None:
        """Book the engine's executions: cash, positions, fill records, trades, events.

        ``orders`` are records changed by the caller (created, amended) that get a ``user_orders``
        event even without a fill; every order that filled gets one too, then order groups count
        the executions (and may trip).
        """
        self._emit_deltas(deltas)
        for f in fills:
            if f.account == EXCHANGE_ACCOUNT:
                continue
            acct = self.account(f.account)
            pos = acct.positions.setdefault(f.ticker, Position(f.ticker))
            q, p = f.count, f.outcome_price
            sign = ONE if f.book_side == "bid" else -ONE
            opposite_held = -pos.position * sign  # contracts of the other outcome we hold
            closing = min(q, max(ZERO, opposite_held))
            opening = q - closing
            if closing > 0:
                avg = pos.cost_basis / abs(pos.position)
                # Buying the other outcome of a held contract nets the pair into $1.
                acct.cash += (ONE - p) * closing
                pos.realized_pnl += ((ONE - p) - avg) * closing
                pos.cost_basis -= avg * closing
                pos.position += sign * closing
            if opening > 0:
                acct.cash -= p * opening
                pos.cost_basis += p * opening
                pos.position += sign * opening
            acct.cash -= f.fee
            pos.fees_paid += f.fee
            pos.realized_pnl -= f.fee
            pos.total_traded += f.yes_price * q
            pos.last_updated = now
            rec = self.orders.get(f.order_id)
            if rec is not None:
                rec.last_update = now
                if f.is_taker:
                    rec.taker_fill_cost += p * q
                else:
                    rec.maker_fill_cost += p * q
            fill = self._fill_dict(f, rec, now, pos.position)
            acct.fills.append(fill)
            self._emit(ExchangeEvent("fill", f.ticker, fill, account=f.account))
        for t in trades:
            ms = self.markets[t.ticker]
            ms.volume += t.count
            ms.last_price = t.yes_price
            trade = {
                "trade_id": t.trade_id,
                "ticker": t.ticker,
                "count_fp": fmt_count(t.count),
                "yes_price_dollars": d4(t.yes_price),
                "no_price_dollars": d4(ONE - t.yes_price),
                "taker_side": t.taker_outcome_side,
                "taker_outcome_side": t.taker_outcome_side,
                "taker_book_side": t.taker_book_side,
                "created_time": iso(now),
                "ts_ms": t.ts_ms,
                "is_block_trade": False,
            }
            self.trades.append(trade)
            self._emit(ExchangeEvent("trade", t.ticker, trade))
        for t in {d.ticker for d in deltas} | {t.ticker for t in trades}:
            self._emit(ExchangeEvent("ticker", t, None))
        # Open interest: contracts held long YES by users (the exchange's liquidity is not a user).
        for t in {f.ticker for f in fills}:
            self.markets[t].open_interest = sum(
                (a.positions[t].position for a in self.accounts.values() if t in a.positions and a.positions[t].position > 0),
                ZERO,
            )
        changed = {r.state.order_id: r for r in orders}
        for f in fills:
            if f.account != EXCHANGE_ACCOUNT and f.order_id in self.orders:
                changed.setdefault(f.order_id, self.orders[f.order_id])
        for rec in changed.values():
            self._order_event(rec)
        for acct_name, t in dict.fromkeys((f.account, f.ticker) for f in fills if f.account != EXCHANGE_ACCOUNT):
            self._position_event(acct_name, t)
        self.groups_after_fills(fills, now)

    # ------------------------------------------------------------------ admin: books and settlement
    def set_external_book(self, ticker: str, yes: list[tuple[Any, Any]], no: list[tuple[Any, Any]]) -> None:
        """Replace the exchange's (external) liquidity in ``ticker``: replay and tests use this."""
        with self.lock:
            self.market(ticker)
            now = self.now()
            r = self.engine.load_levels(ticker, yes=yes, no=no, ts_ms=to_ms(now))
            self._apply(r.fills, r.trades, r.deltas, now)

    def settle_market(self, ticker: str, result: str, *, expiration_value: str = "") -> list[dict[str, Any]]:
        """Determine and settle ``ticker`` (``result`` yes|no): cancel resting orders, pay winners.

        Returns the settlement records created (one per account with a position).
        """
        if result not in ("yes", "no"):
            raise ApiError(400, "invalid_parameters", f"result: {result!r} must be 'yes' or 'no'")
        with self.lock:
            ms = self.market(ticker)
            if ms.result:
                raise ApiError(409, "already_settled", f"market {ticker} already settled {ms.result}")
            now = self.now()
            canceled = self.engine.close_market(ticker, ts_ms=to_ms(now))
            deltas = [BookDelta(ticker, s.order.outcome, s.order.outcome_price, -s.remaining_count, to_ms(now))
                      for s in canceled]
            for s in canceled:
                rec = self.orders.get(s.order_id)
                if rec:
                    rec.last_update = now
                    self._order_event(rec)
            self._emit_deltas(deltas)
            ms.result = result
            ms.settled_time = now
            ms.spec["expiration_value"] = expiration_value
            out = []
            for acct in self.accounts.values():
                pos = acct.positions.get(ticker)
                if pos is None or pos.position == 0:
                    continue
                yes_count = max(pos.position, ZERO)
                no_count = max(-pos.position, ZERO)
                won = yes_count if result == "yes" else no_count
                revenue_cents = int(won * 100)  # counts have 2 decimals: exact cents
                acct.cash += won
                rec_ = {
                    "ticker": ticker,
                    "event_ticker": ms.spec["event_ticker"],
                    "market_result": result,
                    "yes_count_fp": fmt_count(yes_count),
                    "yes_total_cost_dollars": d4(pos.cost_basis if yes_count else ZERO),
                    "no_count_fp": fmt_count(no_count),
                    "no_total_cost_dollars": d4(pos.cost_basis if no_count else ZERO),
                    "revenue": revenue_cents,
                    "settled_time": iso(now),
                    "fee_cost": "0.0000",
                    "value": 100 if result == "yes" else 0,
                    "exchange_index": 0,
                }
                pos.realized_pnl += won - pos.cost_basis
                pos.cost_basis = ZERO
                pos.position = ZERO
                pos.last_updated = now
                acct.settlements.append(rec_)
                self._position_event(acct.name, ticker)
                out.append(rec_)
            self._emit(ExchangeEvent("lifecycle", ticker, {"event_type": "settled", "result": result}))
            return out
