"""The one matching engine: exact, deterministic price-time priority for Kalshi binary markets.

The simulator (``exchange/simulator.py``) and the backtester (``backtest``) both use this class,
so a strategy sees the same fills offline, in paper trading and in replay.

Book model (KALSHI_API.md "Order book")
---------------------------------------
A Kalshi book has two sides, and both are resting **bids**: YES bids and NO bids. A NO bid at
``q`` is a YES ask at ``1 − q``. An incoming order is normalised to *which outcome it wants to
own and at what price for that outcome*:

=====================  ============  =======================  =================================
request                 ``book_side``  rests on                 crosses
=====================  ============  =======================  =================================
buy YES at p            bid           YES bids at p            NO bids q with q ≥ 1 − p
sell NO at q            bid           YES bids at 1 − q        NO bids ≥ q
buy NO at q             ask           NO bids at q             YES bids p with p ≥ 1 − q
sell YES at p           ask           NO bids at 1 − p         YES bids ≥ p
=====================  ============  =======================  =================================

``EngineOrder.price`` is always the **YES price** (as in the V2 order API); build an order from
legacy ``side``/``action`` with :meth:`EngineOrder.from_side_action`.

A trade executes at the **resting (maker) order's price**; the taker may get price improvement.
Priority: best price first, then arrival order at the engine (a monotonically increasing
sequence number; ``ts_ms`` is recorded but never used to break ties, because clocks tie).

API
---
``MatchingEngine(fee_schedule_for=None, tick=Decimal("0.01"), price_ok=None)``
    ``fee_schedule_for(ticker) -> FeeSchedule`` (default plain ``quadratic``), ``tick`` the fee
    rounding tick in dollars, ``price_ok(ticker, yes_price) -> bool`` an optional tick-size check
    (the simulator passes the market's ``price_ranges``).
``submit(order) -> SubmitResult``
    Match an :class:`EngineOrder`. ``result.fills`` holds one :class:`EngineFill` per order per
    execution (taker and maker, sharing ``trade_id``), ``result.trades`` one :class:`EngineTrade`
    per execution, ``result.deltas`` the aggregate level changes (:class:`BookDelta`, what the
    WebSocket ``orderbook_delta`` channel streams), ``result.state`` the order's
    :class:`OrderState` (``status`` ∈ resting | executed | canceled | rejected).
    Iterating a ``SubmitResult`` iterates its fills.
``cancel(order_id) -> OrderState`` / ``decrease(order_id, reduce_by=..., reduce_to=...)``
    Remove / shrink a resting order (keeps its queue position when shrinking). Raises
    :class:`OrderNotFound` / :class:`EngineError`.
``book(ticker, depth=None) -> Book``
    ``Book(yes=[(price, count), ...], no=[...])``: aggregate levels, best (highest) first, prices
    in each outcome's own terms, exactly what ``GET /markets/{ticker}/orderbook`` serves.
``load_levels(ticker, yes=[(p, c)], no=[(q, c)], ts_ms=0, account=EXCHANGE_ACCOUNT)``
    Seed / replace external liquidity from a recorded book. Only the ``account``'s own orders are
    replaced; a shrinking level keeps its queue position, a growing one joins the back of the
    queue. New external liquidity that crosses a *user's* resting order trades with it (the user
    is maker: in the recorded market someone traded through the user's price). Returns a
    :class:`SubmitResult`-like :class:`LevelsResult` with fills and deltas.
``close_market(ticker)`` cancels every resting order of a market (at close or settlement).
``queue_position(order_id)`` contracts ahead of a resting order at its price.

Fees
----
Every fee comes from :mod:`kalshi_edge.kalshi.fees` (the schedule's ``raw_fee`` and the same
``round_up`` that ``order_fee`` uses). The fee is rounded up **per order**: an order's cumulative
raw fee over all its executions is rounded up to ``tick``, and each fill is charged the increase,
so the fills of one order add up to exactly ``order_fee`` of that order when it fills at one
price. Takers pay the taker fee; makers pay only on ``quadratic_with_maker_fees``; an active fee
waiver (at the fill's ``ts_ms``) makes the fill free.

Self-trade prevention (``self_trade_prevention``): ``taker_at_cross`` (default) cancels the
rest of the incoming order when it would meet its own account's resting order; ``maker`` cancels
the resting order and continues.

Everything is ``Decimal``; nothing reads a clock; ids are deterministic (``id_factory``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from kalshi_edge.exchange.engine_types import (  # re-exported: import these from here
    EXCHANGE_ACCOUNT,
    TIF_ALIASES,
    Action,
    Book,
    BookDelta,
    BookSide,
    BookSideLevels,
    EngineError,
    EngineFill,
    EngineOrder,
    EngineTrade,
    LevelsResult,
    MarketBook,
    OrderNotFound,
    OrderState,
    OrderStatus,
    Outcome,
    SelfTradePrevention,
    SubmitResult,
    TimeInForce,
    book_side_for,
)
from kalshi_edge.exchange.liquidity import ExternalLiquidity, levels_from_strings
from kalshi_edge.kalshi.fees import DEFAULT_TICK, FeeSchedule, raw_fee
from kalshi_edge.kalshi.money import ONE, ZERO, parse_count, round_up

__all__ = [
    "EXCHANGE_ACCOUNT", "TIF_ALIASES", "Action", "Book", "BookDelta", "BookSide", "EngineError", "EngineFill",
    "EngineOrder", "EngineTrade", "LevelsResult", "MatchingEngine", "OrderNotFound", "OrderState", "OrderStatus",
    "Outcome", "SelfTradePrevention", "SubmitResult", "TimeInForce", "book_side_for", "levels_from_strings",
]



def _other(outcome: Outcome) -> Outcome:
    return "no" if outcome == "yes" else "yes"


def _sequential_ids() -> Callable[[str], str]:
    counters: dict[str, Iterator[int]] = {}

    def make(kind: str) -> str:
        it = counters.setdefault(kind, itertools.count(1))
        return f"{kind}-{next(it):010d}"

    return make


def _at(ts_ms: int) -> datetime:
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC)


class MatchingEngine(ExternalLiquidity):
    """Price-time priority matching for any number of binary markets (see the module docstring)."""

    def __init__(
        self,
        *,
        fee_schedule_for: Callable[[str], FeeSchedule] | None = None,
        tick: Decimal = DEFAULT_TICK,
        price_ok: Callable[[str, Decimal], bool] | None = None,
        id_factory: Callable[[str], str] | None = None,
    ) -> None:
        self._fee_schedule_for = fee_schedule_for or (lambda _ticker: FeeSchedule())
        self.tick = tick
        self._price_ok = price_ok
        self._ids = id_factory or _sequential_ids()
        self._books: dict[str, MarketBook] = {}
        self._resting: dict[str, OrderState] = {}
        # Resting orders per market: load_levels and per-market queries touch one market only.
        self._resting_by_ticker: dict[str, dict[str, OrderState]] = {}
        #: Every order the engine has seen, by id (for lookups by the simulator/backtester), except
        #: finished orders of the external ``EXCHANGE_ACCOUNT`` (dropped so long replays stay small).
        self.orders: dict[str, OrderState] = {}
        self._seq = itertools.count(1)

    # ------------------------------------------------------------------ queries
    def book(self, ticker: str, depth: int | None = None) -> Book:
        """Aggregate levels of ``ticker`` (empty lists for an unknown market)."""
        mb = self._books.get(ticker)
        if mb is None:
            return Book([], [])

        def levels(side: BookSideLevels) -> list[tuple[Decimal, Decimal]]:
            out: list[tuple[Decimal, Decimal]] = []
            for p in reversed(side.prices):
                out.append((p, side.levels[p].total))
                if depth is not None and len(out) >= depth:
                    break
            return out

        return Book(levels(mb.yes), levels(mb.no))

    def tickers(self) -> list[str]:
        """Markets that have (or had) a book."""
        return sorted(self._books)

    def resting_orders(self, ticker: str | None = None, account: str | None = None) -> list[OrderState]:
        """Resting orders, in arrival order, optionally filtered."""
        pool = self._resting.values() if ticker is None else self._resting_by_ticker.get(ticker, {}).values()
        out = [s for s in pool if account is None or s.order.account == account]
        return sorted(out, key=lambda s: s.seq)

    def queue_position(self, order_id: str) -> Decimal:
        """Contracts resting ahead of ``order_id`` at its price level."""
        st = self._resting.get(order_id)
        if st is None:
            raise OrderNotFound(f"order {order_id!r} is not resting")
        lvl = self._book(st.order.ticker).side(st.order.outcome).levels[st.order.outcome_price]
        ahead = ZERO
        for o in lvl.orders:
            if o is st:
                return ahead
            ahead += o.remaining_count
        raise AssertionError("resting order missing from its level")  # pragma: no cover

    # ------------------------------------------------------------------ commands
    def submit(self, order: EngineOrder) -> SubmitResult:
        """Match ``order`` against the book; rest any GTC remainder. Never raises for a no-fill."""
        if order.order_id in self.orders:
            raise EngineError(f"order_id {order.order_id!r} already used")
        state = OrderState(order=order, status="resting", remaining_count=order.count, seq=next(self._seq))
        self.orders[order.order_id] = state
        res = SubmitResult(state=state)
        if self._price_ok is not None and not self._price_ok(order.ticker, order.price):
            return self._reject(res, f"price {order.price} is not on the market's tick grid")
        mb = self._book(order.ticker)
        opposite = mb.side(_other(order.outcome))
        threshold = ONE - order.outcome_price  # opposite bids at ≥ this price cross

        if order.post_only:
            if opposite.prices and opposite.prices[-1] >= threshold:
                return self._reject(res, "post_only order would cross the book")
        if order.time_in_force == "fok" and self._crossable(order, opposite, threshold) < order.count:
            state.status = "canceled"
            return res

        self._match(state, opposite, threshold, res)

        if state.remaining_count > ZERO and state.status == "resting":
            if order.time_in_force == "gtc":
                self._rest(state, mb, res.deltas)
            else:
                state.status = "canceled"
        if state.remaining_count == ZERO:
            state.status = "executed"
        return res

    def cancel(self, order_id: str, *, ts_ms: int = 0) -> tuple[OrderState, list[BookDelta]]:
        """Cancel a resting order. Returns its final state and the book delta."""
        st = self._resting.get(order_id)
        if st is None:
            raise OrderNotFound(f"order {order_id!r} is not resting")
        deltas: list[BookDelta] = []
        self._remove_resting(st, deltas, ts_ms)
        st.status = "canceled"
        return st, deltas

    def decrease(
        self,
        order_id: str,
        *,
        reduce_by: Decimal | None = None,
        reduce_to: Decimal | None = None,
        ts_ms: int = 0,
    ) -> tuple[OrderState, list[BookDelta]]:
        """Shrink a resting order in place (keeps queue priority). Reducing to 0 cancels it."""
        st = self._resting.get(order_id)
        if st is None:
            raise OrderNotFound(f"order {order_id!r} is not resting")
        if (reduce_by is None) == (reduce_to is None):
            raise EngineError("decrease: give exactly one of reduce_by / reduce_to")
        if reduce_by is not None:
            cut = parse_count(reduce_by, "reduce_by")
        else:
            target = parse_count(reduce_to, "reduce_to")
            if target > st.remaining_count:
                raise EngineError(f"reduce_to: {target} exceeds remaining {st.remaining_count}")
            cut = st.remaining_count - target
        cut = min(cut, st.remaining_count)
        if cut >= st.remaining_count:
            return self.cancel(order_id, ts_ms=ts_ms)
        lvl = self._book(st.order.ticker).side(st.order.outcome).levels[st.order.outcome_price]
        st.remaining_count -= cut
        lvl.total -= cut
        return st, [BookDelta(st.order.ticker, st.order.outcome, lvl.price, -cut, ts_ms)]

    def amend(self, order_id: str, *, price: Decimal, remaining: Decimal, ts_ms: int = 0) -> SubmitResult:
        """Amend a resting order to ``price`` with ``remaining`` contracts left (Kalshi's amend).

        Same price and no more contracts: shrunk in place, queue priority kept. A new price or
        more contracts: the order leaves the book and re-enters at the back of the queue (it may
        trade at once, as a taker, unless ``post_only``: then a crossing amend is refused and the
        order stays untouched). Fills and fees so far are kept; ``order.count`` becomes the new
        total (filled + remaining). Raises :class:`OrderNotFound` / :class:`EngineError`.
        """
        st = self._resting.get(order_id)
        if st is None:
            raise OrderNotFound(f"order {order_id!r} is not resting")
        res = SubmitResult(state=st)
        if remaining <= ZERO:
            raise EngineError(f"remaining: {remaining} must be positive")
        if price == st.order.price and remaining <= st.remaining_count:
            if remaining < st.remaining_count:
                _, res.deltas = self.decrease(order_id, reduce_to=remaining, ts_ms=ts_ms)
            st.order = replace(st.order, count=st.filled_count + remaining)
            return res
        if self._price_ok is not None and not self._price_ok(st.order.ticker, price):
            raise EngineError(f"price {price} is not on the market's tick grid")
        new = replace(st.order, price=price, count=st.filled_count + remaining, ts_ms=ts_ms or st.order.ts_ms)
        mb = self._book(new.ticker)
        opposite = mb.side(_other(new.outcome))
        threshold = ONE - new.outcome_price
        if new.post_only and opposite.prices and opposite.prices[-1] >= threshold:
            raise EngineError("post_only order would cross the book")
        self._remove_resting(st, res.deltas, ts_ms)
        st.order, st.remaining_count, st.seq = new, remaining, next(self._seq)
        self._match(st, opposite, threshold, res)
        if st.remaining_count > ZERO and st.status == "resting":
            self._rest(st, mb, res.deltas)
        if st.remaining_count == ZERO:
            st.status = "executed"
        return res

    def close_market(self, ticker: str, *, ts_ms: int = 0) -> list[OrderState]:
        """Cancel every resting order of ``ticker`` (market closed/settled). Returns them."""
        out: list[OrderState] = []
        for st in self.resting_orders(ticker=ticker):
            self._remove_resting(st, [], ts_ms)
            st.status = "canceled"
            out.append(st)
        return out

    def _book(self, ticker: str) -> MarketBook:
        mb = self._books.get(ticker)
        if mb is None:
            mb = MarketBook()
            self._books[ticker] = mb
        return mb

    def _reject(self, res: SubmitResult, reason: str) -> SubmitResult:
        res.state.status = "rejected"
        res.state.reject_reason = reason
        return res

    def _crossable(self, order: EngineOrder, opposite: BookSideLevels, threshold: Decimal) -> Decimal:
        """Contracts ``order`` could take right now, walking in priority order (for FOK)."""
        total = ZERO
        for lvl in opposite.best_first():
            if lvl.price < threshold:
                break
            for r in lvl.orders:
                if r.order.account == order.account:
                    if order.self_trade_prevention == "taker_at_cross":
                        return total
                    continue
                total += r.remaining_count
                if total >= order.count:
                    return total
        return total

    def _match(self, state: OrderState, opposite: BookSideLevels, threshold: Decimal, res: SubmitResult) -> None:
        order = state.order
        schedule = self._fee_schedule_for(order.ticker)
        waived = schedule.waived_at(_at(order.ts_ms))
        for lvl in opposite.best_first():
            if lvl.price < threshold or state.remaining_count == ZERO:
                break
            while lvl.orders and state.remaining_count > ZERO:
                maker = lvl.orders[0]
                if maker.order.account == order.account:
                    if order.self_trade_prevention == "taker_at_cross":
                        state.status = "canceled"
                        return
                    self._remove_resting(maker, res.deltas, order.ts_ms)
                    maker.status = "canceled"
                    res.touched.append(maker)
                    continue
                qty = min(state.remaining_count, maker.remaining_count)
                # Trade at the maker's price; express it as the YES price.
                yes_price = lvl.price if maker.order.outcome == "yes" else ONE - lvl.price
                trade_id = self._ids("T")
                taker_fee = self._charge(state, yes_price, qty, schedule, is_maker=False, waived=waived)
                maker_fee = self._charge(maker, yes_price, qty, schedule, is_maker=True, waived=waived)
                for st, fee, is_taker in ((state, taker_fee, True), (maker, maker_fee, False)):
                    st.remaining_count -= qty
                    st.filled_count += qty
                    st.filled_yes_notional += yes_price * qty
                    res.fills.append(
                        EngineFill(
                            fill_id=self._ids("F"),
                            trade_id=trade_id,
                            order_id=st.order.order_id,
                            client_order_id=st.order.client_order_id,
                            account=st.order.account,
                            ticker=order.ticker,
                            book_side=st.order.book_side,
                            count=qty,
                            yes_price=yes_price,
                            is_taker=is_taker,
                            fee=fee,
                            ts_ms=order.ts_ms,
                        )
                    )
                res.trades.append(
                    EngineTrade(
                        trade_id=trade_id,
                        ticker=order.ticker,
                        count=qty,
                        yes_price=yes_price,
                        taker_book_side=order.book_side,
                        taker_order_id=order.order_id,
                        maker_order_id=maker.order.order_id,
                        ts_ms=order.ts_ms,
                    )
                )
                lvl.total -= qty
                res.deltas.append(BookDelta(order.ticker, maker.order.outcome, lvl.price, -qty, order.ts_ms))
                if maker.remaining_count == ZERO:
                    lvl.orders.popleft()
                    del self._resting[maker.order.order_id]
                    del self._resting_by_ticker[order.ticker][maker.order.order_id]
                    maker.status = "executed"
                    self._forget_external(maker)
                    res.touched.append(maker)
            opposite.drop_if_empty(lvl)

    def _charge(
        self,
        st: OrderState,
        yes_price: Decimal,
        qty: Decimal,
        schedule: FeeSchedule,
        *,
        is_maker: bool,
        waived: bool,
    ) -> Decimal:
        """Add this execution's fee to the order's running total, rounded up per order."""
        if waived:
            return ZERO
        raw = raw_fee(price=yes_price, count=qty, is_maker=is_maker, schedule=schedule)
        if is_maker:
            st._raw_maker += raw
            total = round_up(st._raw_maker, self.tick) if st._raw_maker > 0 else ZERO
            fee, st.maker_fees = total - st.maker_fees, total
        else:
            st._raw_taker += raw
            total = round_up(st._raw_taker, self.tick) if st._raw_taker > 0 else ZERO
            fee, st.taker_fees = total - st.taker_fees, total
        return fee

    def _rest(self, state: OrderState, mb: MarketBook, deltas: list[BookDelta]) -> None:
        order = state.order
        lvl = mb.side(order.outcome).level(order.outcome_price)
        lvl.orders.append(state)
        lvl.total += state.remaining_count
        self._resting[order.order_id] = state
        self._resting_by_ticker.setdefault(order.ticker, {})[order.order_id] = state
        deltas.append(BookDelta(order.ticker, order.outcome, lvl.price, state.remaining_count, order.ts_ms))

    def _remove_resting(self, st: OrderState, deltas: list[BookDelta], ts_ms: int) -> None:
        side = self._book(st.order.ticker).side(st.order.outcome)
        lvl = side.levels[st.order.outcome_price]
        lvl.orders.remove(st)
        lvl.total -= st.remaining_count
        del self._resting[st.order.order_id]
        del self._resting_by_ticker[st.order.ticker][st.order.order_id]
        deltas.append(BookDelta(st.order.ticker, st.order.outcome, lvl.price, -st.remaining_count, ts_ms))
        side.drop_if_empty(lvl)
        self._forget_external(st)

    def _forget_external(self, st: OrderState) -> None:
        """Finished external (recorded-book) orders are not kept: a long replay would grow ``orders``."""
        if st.order.account == EXCHANGE_ACCOUNT:
            self.orders.pop(st.order.order_id, None)
