"""The simulated exchange's state: markets, accounts, orders, fills, settlements (no HTTP here).

:class:`Exchange` wraps the one :class:`~kalshi_edge.exchange.matching.MatchingEngine` and adds
what a venue keeps: market status from a clock, per-account cash and positions, order records in
the official schema, idempotency by ``client_order_id``, settlement, and an event stream
(:class:`ExchangeEvent`) that the WebSocket layer publishes. Every public method takes the state
lock, so tests may call it from their own thread while the server runs.

Venue rules enforced on order create (each refusal is a 400 with a ``code`` naming it): market
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
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from kalshi_edge.exchange.matching import (
    EXCHANGE_ACCOUNT,
    BookDelta,
    EngineError,
    EngineFill,
    EngineOrder,
    EngineTrade,
    MatchingEngine,
    OrderState,
)
from kalshi_edge.exchange.scenario import Scenario, iso, parse_time
from kalshi_edge.kalshi.fees import DEFAULT_TICK, FeeSchedule, order_fee
from kalshi_edge.kalshi.money import ONE, ZERO, MoneyError, fmt_count, fmt_price, parse_count, parse_price

DEFAULT_ACCOUNT = "default"
DEFAULT_BALANCE_CENTS = 1_000_000  # $10,000 per account


class ApiError(Exception):
    """An error response: HTTP ``status`` and the spec's ``ErrorResponse`` ``code``/``message``."""

    def __init__(self, status: int, code: str, message: str, details: str = "") -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "details": self.details, "service": "simulator"}


# ---------------------------------------------------------------------------- clocks
class SimClock:
    """Simulator time: ``start`` plus real elapsed time × ``speed`` (replays run faster)."""

    def __init__(self, start: datetime, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed: {speed} must be positive")
        self.start = start.astimezone(UTC)
        self.speed = speed
        self._t0 = time.monotonic()
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self._t0) * self.speed) + self._offset

    def advance(self, seconds: float) -> None:
        """Jump forward (demos: close a market without waiting)."""
        self._offset += timedelta(seconds=seconds)


class ManualClock:
    """A clock that only moves when told (deterministic tests)."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)


def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def _d4(x: Decimal) -> str:
    return fmt_price(x)


# ---------------------------------------------------------------------------- records
@dataclass
class Position:
    """One account's position in one market. Dollars and contracts, exact."""

    ticker: str
    position: Decimal = ZERO  # >0 long YES, <0 long NO
    cost_basis: Decimal = ZERO  # dollars paid for the open contracts (market exposure)
    realized_pnl: Decimal = ZERO
    total_traded: Decimal = ZERO
    fees_paid: Decimal = ZERO
    last_updated: datetime | None = None


@dataclass
class OrderRecord:
    """Venue-side bookkeeping for one order beyond the engine's :class:`OrderState`."""

    state: OrderState
    account: str
    side: str  # yes|no as requested (legacy) or implied (V2)
    action: str  # buy|sell
    created: datetime
    last_update: datetime
    expiration: datetime | None = None
    taker_fill_cost: Decimal = ZERO
    maker_fill_cost: Decimal = ZERO


@dataclass
class Account:
    name: str
    cash: Decimal
    positions: dict[str, Position] = field(default_factory=dict)
    fills: list[dict[str, Any]] = field(default_factory=list)
    settlements: list[dict[str, Any]] = field(default_factory=list)
    order_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ExchangeEvent:
    """What happened, for the WebSocket hub. ``kind`` ∈ delta | trade | fill | lifecycle."""

    kind: str
    ticker: str
    payload: Any
    account: str | None = None


@dataclass
class MarketState:
    spec: dict[str, Any]
    open_time: datetime
    close_time: datetime
    fee_schedule: FeeSchedule
    steps: list[tuple[Decimal, Decimal, Decimal]]
    result: str = ""
    settled_time: datetime | None = None
    volume: Decimal = ZERO
    open_interest: Decimal = ZERO
    last_price: Decimal | None = None
    market_id: str = ""
    closed_swept: bool = False


def _price_steps(spec: dict[str, Any], ticker: str) -> list[tuple[Decimal, Decimal, Decimal]]:
    ranges = spec.get("price_ranges") or [{"start": "0", "end": "1", "step": "0.01"}]
    out = []
    for i, r in enumerate(ranges):
        try:
            out.append((Decimal(str(r["start"])), Decimal(str(r["end"])), Decimal(str(r["step"]))))
        except (KeyError, ArithmeticError):
            raise ValueError(f"market {ticker}: price_ranges[{i}] is malformed: {r!r}") from None
    return out


def _with_required_fields(m: dict[str, Any]) -> dict[str, Any]:
    """Fill fields the spec requires but a (recorded, older) market payload lacks with neutral defaults.

    The recorded KXHIGHNY fixture has no ``fractional_trading_enabled``, for example; the
    simulator must still answer with a spec-valid ``Market``.
    """
    from kalshi_edge.exchange.scenario import make_market

    t = m.get("ticker", "?")
    defaults = make_market(
        ticker=t, event_ticker=m.get("event_ticker", ""), title=m.get("title", t),
        yes_sub_title=m.get("yes_sub_title", ""), no_sub_title=m.get("no_sub_title", ""),
        open_time=parse_time(m["open_time"], f"{t}.open_time"), close_time=parse_time(m["close_time"], f"{t}.close_time"),
        strike_type=m.get("strike_type", "custom"), generated=False,
    )
    out = dict(m)
    for k, v in defaults.items():
        out.setdefault(k, v)
    return out


class Exchange:
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
        self.series: dict[str, dict[str, Any]] = {s["ticker"]: s for s in scenario.series}
        self.events: dict[str, dict[str, Any]] = {e["event_ticker"]: e for e in scenario.events}
        self.markets: dict[str, MarketState] = {}
        for m in scenario.markets:
            t = m["ticker"]
            m = _with_required_fields(m)
            series = self.series.get(m["event_ticker"].split("-")[0], {})
            event = self.events.get(m["event_ticker"], {})
            waiver = m.get("fee_waiver_expiration_time")
            sched = FeeSchedule.resolve(
                series_fee_type=series.get("fee_type"),
                series_multiplier=str(series.get("fee_multiplier", "1")),
                event_fee_type_override=event.get("fee_type_override"),
                event_multiplier_override=event.get("fee_multiplier_override"),
                market_waiver_expiration=parse_time(waiver, f"{t}.fee_waiver_expiration_time") if waiver else None,
            )
            self.markets[t] = MarketState(
                spec=dict(m),
                open_time=parse_time(m["open_time"], f"{t}.open_time"),
                close_time=parse_time(m["close_time"], f"{t}.close_time"),
                fee_schedule=sched,
                steps=_price_steps(m, t),
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
        for t, book in scenario.books.items():
            if t not in self.markets:
                raise ValueError(f"scenario books: {t!r} is not a market of the scenario")
            self.engine.load_levels(t, yes=book.get("yes_dollars", []), no=book.get("no_dollars", []),
                                    ts_ms=_ms(self.clock.now()))

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

    def market_dict(self, ticker: str) -> dict[str, Any]:
        """The spec ``Market`` with live quotes, volume, status and result."""
        with self.lock:
            ms = self.market(ticker)
            book = self.engine.book(ticker)
            m = dict(ms.spec)
            yb, yb_size = book.yes[0] if book.yes else (ZERO, ZERO)
            nb, nb_size = book.no[0] if book.no else (ZERO, ZERO)
            m.update({
                "status": self.status_of(ms),
                "yes_bid_dollars": _d4(yb),
                "yes_bid_size_fp": fmt_count(yb_size),
                "no_bid_dollars": _d4(nb),
                "yes_ask_dollars": _d4(ONE - nb) if book.no else "1.0000",
                "yes_ask_size_fp": fmt_count(nb_size),
                "no_ask_dollars": _d4(ONE - yb) if book.yes else "1.0000",
                "volume_fp": fmt_count(Decimal(str(m.get("volume_fp", "0"))) + ms.volume),
                "volume_24h_fp": fmt_count(Decimal(str(m.get("volume_24h_fp", "0"))) + ms.volume),
                "open_interest_fp": fmt_count(Decimal(str(m.get("open_interest_fp", "0"))) + ms.open_interest),
                "result": ms.result,
            })
            if ms.last_price is not None:
                m["last_price_dollars"] = _d4(ms.last_price)
            if ms.result:
                m["settlement_value_dollars"] = "1.0000" if ms.result == "yes" else "0.0000"
                m["settlement_ts"] = iso(ms.settled_time) if ms.settled_time else None
            return m

    def book_levels(self, ticker: str, depth: int | None = None) -> dict[str, list[list[str]]]:
        """``orderbook_fp``: levels ascending by price (Kalshi's order), best ``depth`` of each side."""
        with self.lock:
            self.market(ticker)
            b = self.engine.book(ticker, depth=depth or None)
            return {
                "yes_dollars": [[_d4(p), fmt_count(c)] for p, c in reversed(b.yes)],
                "no_dollars": [[_d4(p), fmt_count(c)] for p, c in reversed(b.no)],
            }

    # ------------------------------------------------------------------ orders
    def _parse_price_field(self, body: dict[str, Any], field_: str, cents: bool) -> Decimal | None:
        v = body.get(field_)
        if v is None:
            return None
        try:
            if cents:
                if isinstance(v, bool) or not isinstance(v, int):
                    raise ApiError(400, "invalid_parameters", f"{field_}: must be an integer number of cents")
                if not 1 <= v <= 99:
                    raise ApiError(400, "invalid_parameters", f"{field_}: {v} outside 1..99 cents")
                return Decimal(v) / 100
            return parse_price(v, field_)
        except MoneyError as exc:
            raise ApiError(400, "invalid_parameters", str(exc)) from None

    def _parse_count(self, body: dict[str, Any], *, v2: bool) -> Decimal:
        raw = body.get("count") if v2 else (body.get("count_fp") if body.get("count_fp") is not None else body.get("count"))
        if raw is None:
            raise ApiError(400, "invalid_parameters", "count: required")
        if not v2 and "count_fp" not in body and (isinstance(raw, bool) or not isinstance(raw, int)):
            raise ApiError(400, "invalid_parameters", "count: must be an integer (use count_fp for fractions)")
        try:
            c = parse_count(raw if not isinstance(raw, float) else str(raw), "count")
        except MoneyError as exc:
            raise ApiError(400, "invalid_parameters", str(exc)) from None
        if c <= 0:
            raise ApiError(400, "invalid_parameters", "count: must be positive")
        return c

    def create_order(self, account: str, body: dict[str, Any], *, v2: bool) -> OrderRecord:
        """Validate, match and record an order (legacy or V2 body). Raises :class:`ApiError`.

        A repeated ``client_order_id`` of the same account raises 409 ``order_already_exists``
        with the existing order id in ``details``: a retried create never makes a second order.
        """
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_parameters", "body: expected a JSON object")
        with self.lock:
            ticker = body.get("ticker")
            if not isinstance(ticker, str) or not ticker:
                raise ApiError(400, "invalid_parameters", "ticker: required")
            coid = body.get("client_order_id") or ""
            if not isinstance(coid, str):
                raise ApiError(400, "invalid_parameters", "client_order_id: must be a string")
            if coid and (account, coid) in self._by_client:
                oid = self._by_client[(account, coid)]
                raise ApiError(409, "order_already_exists", f"client_order_id {coid!r} already used", details=oid)
            if v2:
                book_side = body.get("side")
                if book_side not in ("bid", "ask"):
                    raise ApiError(400, "invalid_parameters", "side: must be 'bid' or 'ask'")
                yes_price = self._parse_price_field(body, "price", cents=False)
                if yes_price is None:
                    raise ApiError(400, "invalid_parameters", "price: required")
                side, action = ("yes", "buy") if book_side == "bid" else ("no", "buy")
            else:
                side, action = body.get("side"), body.get("action")
                if side not in ("yes", "no"):
                    raise ApiError(400, "invalid_parameters", "side: must be 'yes' or 'no'")
                if action not in ("buy", "sell"):
                    raise ApiError(400, "invalid_parameters", "action: must be 'buy' or 'sell'")
                if "type" in body and body["type"] != "limit":
                    raise ApiError(400, "invalid_parameters", "type: only limit orders exist")
                prices = {
                    "yes": self._parse_price_field(body, "yes_price_dollars", cents=False)
                    or self._parse_price_field(body, "yes_price", cents=True),
                    "no": self._parse_price_field(body, "no_price_dollars", cents=False)
                    or self._parse_price_field(body, "no_price", cents=True),
                }
                given = {k: v for k, v in prices.items() if v is not None}
                if not given:
                    raise ApiError(400, "invalid_parameters", "price: give yes_price[_dollars] or no_price[_dollars]")
                if len(given) == 2 and given["yes"] + given["no"] != ONE:
                    raise ApiError(400, "invalid_parameters", "yes and no prices given that do not sum to 1")
                yes_price = given["yes"] if "yes" in given else ONE - given["no"]
                book_side = "bid" if (side == "yes") == (action == "buy") else "ask"
            count = self._parse_count(body, v2=v2)
            ms = self.market(ticker)
            if self.status_of(ms) != "active":
                raise ApiError(400, "market_closed", f"market {ticker} is {self.status_of(ms)}, not open for trading")
            if not ZERO < yes_price < ONE:
                raise ApiError(400, "invalid_price", f"price {yes_price} must be strictly between 0 and 1")
            if not self._price_ok(ticker, yes_price):
                raise ApiError(400, "invalid_price", f"price {yes_price} is not on {ticker}'s tick grid")
            tif_raw = body.get("time_in_force") or "good_till_canceled"
            tif = {"good_till_canceled": "gtc", "immediate_or_cancel": "ioc", "fill_or_kill": "fok",
                   "gtc": "gtc", "ioc": "ioc", "fok": "fok"}.get(str(tif_raw))
            if tif is None:
                raise ApiError(400, "invalid_parameters", f"time_in_force: {tif_raw!r} is not supported")
            stp = body.get("self_trade_prevention_type") or "taker_at_cross"
            if stp not in ("taker_at_cross", "maker"):
                raise ApiError(400, "invalid_parameters", f"self_trade_prevention_type: {stp!r}")
            acct = self.account(account)
            pos = acct.positions.get(ticker, Position(ticker)).position
            if body.get("reduce_only"):
                reducible = -pos if book_side == "bid" else pos
                if reducible <= 0:
                    raise ApiError(400, "reduce_only_violation", "reduce_only order would not reduce the position")
                count = min(count, reducible)
            outcome_price = yes_price if book_side == "bid" else ONE - yes_price
            fractional = bool(ms.spec.get("fractional_trading_enabled"))
            if not fractional and count != count.to_integral_value():
                raise ApiError(400, "invalid_parameters", f"count: {count} is fractional but {ticker} trades whole contracts")
            if body.get("buy_max_cost") is not None:
                # Legacy cap on what a buy may spend (cents): modelled as a count cap at the limit price.
                cap = body["buy_max_cost"]
                if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
                    raise ApiError(400, "invalid_parameters", "buy_max_cost: must be a positive integer of cents")
                unit = Decimal("0.01") if fractional else ONE
                affordable = (Decimal(cap) / 100 / outcome_price).quantize(unit, rounding=ROUND_FLOOR)
                if affordable <= 0:
                    raise ApiError(400, "invalid_parameters", f"buy_max_cost: {cap}¢ buys no contract at {outcome_price}")
                count = min(count, affordable)
            # Buying power: what the order could cost beyond what it closes (worst case at its limit,
            # taker fee included), after the account's resting orders have claimed theirs.
            available, closable = self._reservations(account)
            closing = min(count, closable.get((ticker, book_side), ZERO))
            need = self._reserve_for(ticker, outcome_price, count - closing)
            if need > available:
                raise ApiError(400, "insufficient_balance", f"order needs ${need} but ${available} is available")
            now = self.now()
            oid = self._new_id("order")
            eo = EngineOrder(order_id=oid, account=account, ticker=ticker, book_side=book_side, price=yes_price,
                             count=count, client_order_id=coid, time_in_force=tif,  # type: ignore[arg-type]
                             post_only=bool(body.get("post_only")), self_trade_prevention=stp, ts_ms=_ms(now))
            expiration = None
            if body.get("expiration_ts") is not None:
                try:
                    expiration = datetime.fromtimestamp(int(body["expiration_ts"]), tz=UTC)
                except (TypeError, ValueError, OverflowError, OSError):
                    raise ApiError(400, "invalid_parameters", "expiration_ts: not a unix time") from None
            elif v2 and body.get("expiration_time") is not None:  # V2: RFC 3339 time (or unix seconds)
                raw_exp = body["expiration_time"]
                try:
                    expiration = (datetime.fromtimestamp(int(raw_exp), tz=UTC) if isinstance(raw_exp, int)
                                  else parse_time(str(raw_exp), "expiration_time"))
                except (ValueError, OverflowError, OSError):
                    raise ApiError(400, "invalid_parameters", "expiration_time: not a time") from None
            try:
                res = self.engine.submit(eo)
            except EngineError as exc:
                raise ApiError(400, "invalid_parameters", str(exc)) from None
            if res.status == "rejected":
                del self.engine.orders[oid]
                raise ApiError(400, "post_only_cross" if "post_only" in res.state.reject_reason else "invalid_order",
                               res.state.reject_reason)
            rec = OrderRecord(state=res.state, account=account, side=side, action=action, created=now,
                              last_update=now, expiration=expiration)
            self.orders[oid] = rec
            acct.order_ids.append(oid)
            if coid:
                self._by_client[(account, coid)] = oid
            self._apply(res.fills, res.trades, res.deltas, now)
            return rec

    def _reserve_for(self, ticker: str, outcome_price: Decimal, opening: Decimal) -> Decimal:
        """Dollars an opening of ``opening`` contracts at ``outcome_price`` may cost, taker fee included."""
        if opening <= 0:
            return ZERO
        fee = order_fee(price=outcome_price, count=opening, schedule=self.markets[ticker].fee_schedule,
                        tick=self.engine.tick)
        return outcome_price * opening + fee

    def _reservations(self, account: str) -> tuple[Decimal, dict[tuple[str, str], Decimal]]:
        """(cash not reserved by resting orders, contracts still closable per (ticker, book_side)).

        A resting order first uses up the opposite position it would close (in arrival order);
        only the part that opens a position reserves cash, as on Kalshi.
        """
        acct = self.account(account)
        closable: dict[tuple[str, str], Decimal] = {}
        for t, p in acct.positions.items():
            closable[(t, "bid")] = max(ZERO, -p.position)
            closable[(t, "ask")] = max(ZERO, p.position)
        reserved = ZERO
        for st in self.engine.resting_orders(account=account):
            key = (st.order.ticker, st.order.book_side)
            c = min(st.remaining_count, closable.get(key, ZERO))
            closable[key] = closable.get(key, ZERO) - c
            reserved += self._reserve_for(st.order.ticker, st.order.outcome_price, st.remaining_count - c)
        return acct.cash - reserved, closable

    def available_cash(self, account: str) -> Decimal:
        """Cash minus what resting orders have reserved for the positions they would open (dollars)."""
        with self.lock:
            return self._reservations(account)[0]

    def cancel_order(self, account: str, order_id: str) -> tuple[OrderRecord, Decimal]:
        """Cancel a resting order of ``account``. Returns the record and the contracts removed."""
        with self.lock:
            rec = self.orders.get(order_id)
            if rec is None or rec.account != account:
                raise ApiError(404, "not_found", f"order {order_id!r} not found")
            if rec.state.status != "resting":
                raise ApiError(404, "not_found", f"order {order_id!r} is {rec.state.status}, not resting")
            reduced = rec.state.remaining_count
            now = self.now()
            _, deltas = self.engine.cancel(order_id, ts_ms=_ms(now))
            rec.last_update = now
            self._emit_deltas(deltas)
            return rec, reduced

    def decrease_order(self, account: str, order_id: str, body: dict[str, Any]) -> OrderRecord:
        """``POST /portfolio/orders/{id}/decrease``: shrink a resting order, keeping its place."""
        with self.lock:
            rec = self.orders.get(order_id)
            if rec is None or rec.account != account or rec.state.status != "resting":
                raise ApiError(404, "not_found", f"resting order {order_id!r} not found")
            given = {k: body.get(k) for k in ("reduce_by", "reduce_by_fp", "reduce_to", "reduce_to_fp")
                     if body.get(k) is not None}
            by = given.get("reduce_by_fp", given.get("reduce_by"))
            to = given.get("reduce_to_fp", given.get("reduce_to"))
            if (by is None) == (to is None):
                raise ApiError(400, "invalid_parameters", "give exactly one of reduce_by[_fp] / reduce_to[_fp]")
            try:
                amount = parse_count(str(by if by is not None else to), "reduce_by" if by is not None else "reduce_to")
            except MoneyError as exc:
                raise ApiError(400, "invalid_parameters", str(exc)) from None
            if by is not None and amount <= 0:
                raise ApiError(400, "invalid_parameters", "reduce_by: must be positive")
            if to is not None and amount > rec.state.remaining_count:
                raise ApiError(400, "invalid_parameters", f"reduce_to: {amount} exceeds remaining {rec.state.remaining_count}")
            now = self.now()
            _, deltas = self.engine.decrease(order_id, reduce_by=amount if by is not None else None,
                                             reduce_to=amount if to is not None else None, ts_ms=_ms(now))
            rec.last_update = now
            self._emit_deltas(deltas)
            return rec

    def queue_position(self, account: str, order_id: str) -> Decimal:
        """Contracts ahead of a resting order at its price (``GET .../queue_position``)."""
        with self.lock:
            rec = self.orders.get(order_id)
            if rec is None or rec.account != account or rec.state.status != "resting":
                raise ApiError(404, "not_found", f"resting order {order_id!r} not found")
            return self.engine.queue_position(order_id)

    def sweep(self) -> None:
        """Apply the clock: cancel orders past ``expiration_ts`` and resting orders of closed markets.

        Called before every API request and periodically by the server, so a manual clock that
        jumps past a close takes effect on the next request.
        """
        with self.lock:
            now = self.now()
            expired = [st for st in self.engine.resting_orders()
                       if (rec := self.orders.get(st.order_id)) is not None and rec.expiration is not None
                       and rec.expiration <= now]
            for st in expired:
                _, deltas = self.engine.cancel(st.order_id, ts_ms=_ms(now))
                self.orders[st.order_id].last_update = now
                self._emit_deltas(deltas)
            for t, ms in self.markets.items():
                if now >= ms.close_time and not ms.closed_swept:
                    ms.closed_swept = True
                    canceled = self.engine.close_market(t, ts_ms=_ms(now))
                    self._emit_deltas([BookDelta(t, s.order.outcome, s.order.outcome_price, -s.remaining_count,
                                                 _ms(now)) for s in canceled])
                    for s in canceled:
                        if s.order_id in self.orders:
                            self.orders[s.order_id].last_update = now
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
    def _apply(self, fills: list[EngineFill], trades: list[EngineTrade], deltas: list[BookDelta], now: datetime) -> None:
        """Book the engine's executions: cash, positions, fill records, trades, events."""
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
                "yes_price_dollars": _d4(t.yes_price),
                "no_price_dollars": _d4(ONE - t.yes_price),
                "taker_side": t.taker_outcome_side,
                "taker_outcome_side": t.taker_outcome_side,
                "taker_book_side": t.taker_book_side,
                "created_time": iso(now),
                "ts_ms": t.ts_ms,
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

    def _fill_dict(self, f: EngineFill, rec: OrderRecord | None, now: datetime, post_position: Decimal) -> dict[str, Any]:
        side = rec.side if rec else f.outcome
        action = rec.action if rec else "buy"
        return {
            "fill_id": f.fill_id,
            "trade_id": f.trade_id,
            "order_id": f.order_id,
            "client_order_id": f.client_order_id,
            "ticker": f.ticker,
            "market_ticker": f.ticker,
            "side": side,
            "action": action,
            "outcome_side": f.outcome,
            "book_side": f.book_side,
            "count_fp": fmt_count(f.count),
            "yes_price_dollars": _d4(f.yes_price),
            "no_price_dollars": _d4(ONE - f.yes_price),
            "is_taker": f.is_taker,
            "created_time": iso(now),
            "fee_cost": _d4(f.fee),
            "ts": f.ts_ms // 1000,
            "ts_ms": f.ts_ms,
            "post_position_fp": fmt_count(post_position),
        }

    # ------------------------------------------------------------------ serialization
    def order_dict(self, rec: OrderRecord) -> dict[str, Any]:
        """The spec ``Order`` (plus the newer ``outcome_side``/``book_side``)."""
        st = rec.state
        o = st.order
        status = st.status if st.status in ("resting", "canceled", "executed") else "canceled"
        return {
            "order_id": o.order_id,
            "user_id": rec.account,
            "client_order_id": o.client_order_id,
            "ticker": o.ticker,
            "side": rec.side,
            "action": rec.action,
            "outcome_side": o.outcome,
            "book_side": o.book_side,
            "type": "limit",
            "status": status,
            "yes_price_dollars": _d4(o.price),
            "no_price_dollars": _d4(ONE - o.price),
            "fill_count_fp": fmt_count(st.filled_count),
            "remaining_count_fp": fmt_count(st.remaining_count if status == "resting" else ZERO),
            "initial_count_fp": fmt_count(o.count),
            "taker_fill_cost_dollars": _d4(rec.taker_fill_cost),
            "maker_fill_cost_dollars": _d4(rec.maker_fill_cost),
            "taker_fees_dollars": _d4(st.taker_fees),
            "maker_fees_dollars": _d4(st.maker_fees),
            "expiration_time": iso(rec.expiration) if rec.expiration else None,
            "created_time": iso(rec.created),
            "last_update_time": iso(rec.last_update),
            "self_trade_prevention_type": o.self_trade_prevention,
            "order_group_id": None,
            "cancel_order_on_pause": False,
            "ts_ms": _ms(rec.created),
        }

    def v2_create_dict(self, rec: OrderRecord) -> dict[str, Any]:
        """The V2 create response (KALSHI_API.md "Orders")."""
        st = rec.state
        avg_price = st.average_yes_price
        fees = st.taker_fees + st.maker_fees
        return {
            "order_id": st.order_id,
            "client_order_id": st.order.client_order_id,
            "fill_count": fmt_count(st.filled_count),
            "remaining_count": fmt_count(st.remaining_count if st.status == "resting" else ZERO),
            "average_fill_price": _d4(avg_price) if avg_price is not None else None,
            "average_fee_paid": _d4(fees / st.filled_count) if st.filled_count else None,
            "status": st.status,
            "ts_ms": _ms(rec.created),
        }

    def position_dicts(self, account: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Spec ``MarketPosition`` and ``EventPosition`` lists for ``account``."""
        with self.lock:
            acct = self.account(account)
            market_rows = []
            events: dict[str, dict[str, Decimal]] = {}
            for t, p in sorted(acct.positions.items()):
                resting = len(self.engine.resting_orders(ticker=t, account=account))
                market_rows.append({
                    "ticker": t,
                    "total_traded_dollars": _d4(p.total_traded),
                    "position_fp": fmt_count(p.position),
                    "market_exposure_dollars": _d4(p.cost_basis),
                    "realized_pnl_dollars": _d4(p.realized_pnl),
                    "resting_orders_count": resting,
                    "fees_paid_dollars": _d4(p.fees_paid),
                    "last_updated_ts": iso(p.last_updated or self.now()),
                })
                ev = self.markets[t].spec["event_ticker"]
                agg = events.setdefault(ev, {"cost": ZERO, "shares": ZERO, "pnl": ZERO, "fees": ZERO})
                agg["cost"] += p.cost_basis
                agg["shares"] += abs(p.position)
                agg["pnl"] += p.realized_pnl
                agg["fees"] += p.fees_paid
            event_rows = [
                {
                    "event_ticker": ev,
                    "total_cost_dollars": _d4(a["cost"]),
                    "total_cost_shares_fp": fmt_count(a["shares"]),
                    "event_exposure_dollars": _d4(a["cost"]),
                    "realized_pnl_dollars": _d4(a["pnl"]),
                    "fees_paid_dollars": _d4(a["fees"]),
                }
                for ev, a in sorted(events.items())
            ]
            return market_rows, event_rows

    def balance_dict(self, account: str) -> dict[str, Any]:
        with self.lock:
            acct = self.account(account)
            value = sum((p.cost_basis for p in acct.positions.values()), ZERO)
            return {
                "balance": int((acct.cash * 100).to_integral_value(rounding=ROUND_FLOOR)),
                "portfolio_value": int((value * 100).to_integral_value(rounding=ROUND_FLOOR)),
                "updated_ts": int(self.now().timestamp()),
                "balance_dollars": _d4(acct.cash),
            }

    # ------------------------------------------------------------------ admin: books and settlement
    def set_external_book(self, ticker: str, yes: list[tuple[Any, Any]], no: list[tuple[Any, Any]]) -> None:
        """Replace the exchange's (external) liquidity in ``ticker``: replay and tests use this."""
        with self.lock:
            self.market(ticker)
            now = self.now()
            r = self.engine.load_levels(ticker, yes=yes, no=no, ts_ms=_ms(now))
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
            canceled = self.engine.close_market(ticker, ts_ms=_ms(now))
            deltas = [BookDelta(ticker, s.order.outcome, s.order.outcome_price, -s.remaining_count, _ms(now))
                      for s in canceled]
            for s in canceled:
                rec = self.orders.get(s.order_id)
                if rec:
                    rec.last_update = now
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
                    "yes_total_cost_dollars": _d4(pos.cost_basis if yes_count else ZERO),
                    "no_count_fp": fmt_count(no_count),
                    "no_total_cost_dollars": _d4(pos.cost_basis if no_count else ZERO),
                    "revenue": revenue_cents,
                    "settled_time": iso(now),
                    "fee_cost": "0.0000",
                    "value": 100 if result == "yes" else 0,
                }
                pos.realized_pnl += won - pos.cost_basis
                pos.cost_basis = ZERO
                pos.position = ZERO
                pos.last_updated = now
                acct.settlements.append(rec_)
                out.append(rec_)
            self._emit(ExchangeEvent("lifecycle", ticker, {"event_type": "settled", "result": result}))
            return out
