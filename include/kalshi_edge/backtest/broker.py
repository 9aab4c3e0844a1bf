"""The backtest's market source, clock and broker for the one :class:`~kalshi_edge.trading.session.TradingSession`.

Only these three differ from live and paper; the decision loop, the gates, the risk engine and
the ledger are the session's own.

* :class:`ReplayBook` holds the latest recorded touch of every market (integer cents) and builds
  :class:`~kalshi_edge.trading.strategy.MarketSnapshot` from it; :meth:`ReplayBook.source` is the
  session's market source (quotes stamped strictly before the decision time, see
  :mod:`kalshi_edge.backtest.engine`).
* :class:`SimClock` is the replay's clock: the engine sets it to each decision time.
* :class:`BacktestBroker` is the paper broker on the shared matching engine with the stricter fill
  rule of a replay:

  - **taker** orders (IOC) fill at the recorded touch in force at decision time, at most
    ``touch_size`` contracts per level (top-of-book logs carry no sizes: an assumption);
  - **maker** orders (post-only) join the *back* of the queue at their price. We assume every
    contract shown at our price when we join is ahead of us and that the queue ahead is only
    consumed by trades, which a top-of-book log does not record; so a recorded opposite touch
    merely *reaching* our price does not fill us (the order is parked while the touch sits at
    our price, and re-entered when the book moves away). Only a recorded touch strictly
    *through* our price fills us, as maker, at our price.
* :class:`MemoryKillSwitch` is the risk engine's kill switch without a file (a backtest must
  never trip, or be stopped by, the live kill switch).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from kalshi_edge.exchange.matching import EngineFill, EngineOrder
from kalshi_edge.trading.brokers import BrokerError, FillInfo, PaperBroker, PlaceResult
from kalshi_edge.trading.intents import OrderIntent
from kalshi_edge.trading.risk import KillSwitch
from kalshi_edge.trading.strategy import MarketSnapshot, event_of, family_of

_CENTS = [Decimal(i) / 100 for i in range(101)]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: The queue-position assumption of maker fills, quoted in every backtest summary.
QUEUE_ASSUMPTION = ("maker orders join the back of the queue at their price and fill only when a recorded "
                    "touch trades strictly through it (a touch at our price is the queue ahead trading)")


def dt_of_ns(ts_ns: int) -> datetime:
    """Epoch nanoseconds → aware UTC datetime (microsecond precision, exact integer math)."""
    return _EPOCH + timedelta(microseconds=ts_ns // 1000)


class SimClock:
    """The replay clock: ``clock()`` returns the time the engine last set."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now


class MemoryKillSwitch(KillSwitch):
    """A kill switch that lives in memory (same interface as the persisted one)."""

    def __init__(self) -> None:  # noqa: D107 - no file
        self.path = None  # type: ignore[assignment]
        self._info: dict[str, str] | None = None

    @property
    def tripped(self) -> bool:
        return self._info is not None

    def info(self) -> dict[str, str]:
        return dict(self._info or {})

    def trip(self, reason: str, at: datetime | None = None) -> None:
        if self._info is None:
            self._info = {"reason": reason, "tripped_at": (at or datetime.now(UTC)).isoformat()}

    def reset(self) -> bool:
        was, self._info = self._info is not None, None
        return was


class ReplayBook:
    """Latest recorded touch per market; builds snapshots (close times from the contract terms)."""

    def __init__(self, close_time: Callable[[str], datetime | None] | None = None) -> None:
        if close_time is None:
            from kalshi_edge.backtest.data import contract_close_time

            close_time = contract_close_time
        self._close_time = close_time
        #: ticker → (quote time in epoch ns, yes bid cents, yes ask cents)
        self.latest: dict[str, tuple[int, int, int]] = {}
        self._static: dict[str, tuple[datetime | None, str, str]] = {}
        self._snaps: dict[str, tuple[tuple[int, int, int], MarketSnapshot]] = {}

    def snapshot(self, ticker: str) -> MarketSnapshot:
        cur = self.latest[ticker]
        hit = self._snaps.get(ticker)
        if hit is not None and hit[0] == cur:  # snapshots are immutable: reuse while the touch is unchanged
            return hit[1]
        ts_ns, bid, ask = cur
        st = self._static.get(ticker)
        if st is None:
            st = self._static[ticker] = (self._close_time(ticker), event_of(ticker), family_of(ticker))
        snap = MarketSnapshot(
            ticker=ticker, yes_bid=_CENTS[bid] if bid > 0 else None, yes_ask=_CENTS[ask] if ask < 100 else None,
            quote_ts=dt_of_ns(ts_ns), close_time=st[0], event_ticker=st[1], family=st[2],
        )
        self._snaps[ticker] = (cur, snap)
        return snap

    def source(self, now: datetime) -> list[MarketSnapshot]:
        """The session's market source: every market's latest recorded touch (all before ``now``)."""
        return [self.snapshot(t) for t in self.latest]

    def marks(self) -> dict[str, Decimal]:
        """Mid of every two-sided market (dollars)."""
        return {t: (_CENTS[b] + _CENTS[a]) / 2 for t, (_, b, a) in self.latest.items() if b > 0 and a < 100}


@dataclass(slots=True)
class _Parked:
    """A maker order pulled off the engine because the touch reached (but did not pass) its price."""

    order_id: str  # the id the session knows (the first engine id)
    client_order_id: str
    ticker: str
    book_side: str
    yes_price: Decimal
    remaining: Decimal


class BacktestBroker(PaperBroker):
    """The paper broker with a replay's trade-through maker rule (see the module docstring).

    ``book`` is the replay's :class:`ReplayBook`; ``clock`` the replay clock (orders are stamped
    with it). The engine's external book of a market is synced lazily: only where we have, or are
    about to place, an order (elsewhere the recorded touch cannot fill anything of ours).
    """

    name = "backtest"

    def __init__(self, book: ReplayBook, clock: Callable[[], datetime], *, cash: Decimal = Decimal("1000"),
                 touch_size: Decimal = Decimal("50"), tick: Decimal = Decimal("0.01")) -> None:
        super().__init__(cash=cash, touch_size=touch_size, tick=tick, account="backtest")
        self.book = book
        self.clock = clock
        self._parked: dict[str, _Parked] = {}  # client_order_id → parked order
        self._alias: dict[str, str] = {}  # current engine id → the id the session knows
        self._current: dict[str, str] = {}  # the id the session knows → current engine id
        self._dirty: set[str] = set()
        self._active: set[str] = set()  # markets with our resting or parked orders
        self._reentries = 0

    # -- fills ----------------------------------------------------------------------
    def _book_fill(self, f: EngineFill) -> None:
        known = self._alias.get(f.order_id, f.order_id)
        if known != f.order_id:
            f = replace(f, order_id=known)
        super()._book_fill(f)

    # -- the replay -----------------------------------------------------------------
    def _refresh_active(self) -> None:
        self._active = {st.order.ticker for st in self.engine.resting_orders(account=self.account)}
        self._active.update(pk.ticker for pk in self._parked.values())

    def _sync(self, ticker: str) -> None:
        if ticker in self._dirty and ticker in self.book.latest:
            self._dirty.discard(ticker)
            self.observe(self.book.snapshot(ticker))

    def _reaches_ours(self, ticker: str, bid: int, ask: int) -> bool:
        yes_ask = _CENTS[ask] if ask < 100 else None
        yes_bid = _CENTS[bid] if bid > 0 else None
        for st in self.engine.resting_orders(ticker=ticker, account=self.account):
            p = st.order.price
            if (st.order.book_side == "bid" and yes_ask is not None and yes_ask <= p) or (
                    st.order.book_side == "ask" and yes_bid is not None and yes_bid >= p):
                return True
        return any(pk.ticker == ticker for pk in self._parked.values())

    def apply_update(self, ticker: str, ts_ns: int, bid: int, ask: int) -> None:
        """One recorded touch of ``ticker`` (cents; 0 = no bid, 100 = no ask), in time order."""
        self.book.latest[ticker] = (ts_ns, bid, ask)
        if ticker not in self._active or not self._reaches_ours(ticker, bid, ask):
            # A touch that does not reach our orders cannot fill them, and load_levels sets the
            # external book to the recorded one exactly whenever it runs: syncing lazily is the same.
            self._dirty.add(ticker)
            return
        self._dirty.discard(ticker)
        eng = self.engine
        yes_ask = _CENTS[ask] if ask < 100 else None
        yes_bid = _CENTS[bid] if bid > 0 else None
        for st in eng.resting_orders(ticker=ticker, account=self.account):
            p = st.order.price
            touch = (st.order.book_side == "bid" and yes_ask == p) or (st.order.book_side == "ask" and yes_bid == p)
            if touch:  # the queue ahead of us trades: park, do not fill
                eng.cancel(st.order_id)
                known = self._alias.get(st.order_id, st.order_id)
                self._parked[st.order.client_order_id] = _Parked(known, st.order.client_order_id, ticker,
                                                                 st.order.book_side, p, st.remaining_count)
        self.observe(self.book.snapshot(ticker))
        ts_ms = ts_ns // 1_000_000
        for coid, pk in list(self._parked.items()):
            if pk.ticker != ticker:
                continue
            reaches = (pk.book_side == "bid" and yes_ask is not None and yes_ask <= pk.yes_price) or (
                pk.book_side == "ask" and yes_bid is not None and yes_bid >= pk.yes_price)
            if reaches:
                continue
            del self._parked[coid]
            self._reentries += 1
            oid = f"R-{self._reentries:08d}"
            self._alias[oid] = pk.order_id
            self._current[pk.order_id] = oid
            eng.submit(EngineOrder(order_id=oid, account=self.account, ticker=ticker,
                                   book_side=pk.book_side, price=pk.yes_price, count=pk.remaining,  # type: ignore[arg-type]
                                   client_order_id=coid, post_only=True, ts_ms=ts_ms))
        self._refresh_active()

    # -- orders ---------------------------------------------------------------------
    def place(self, intent: OrderIntent, *, count: Decimal, protection: dict[str, object] | None = None
              ) -> PlaceResult:
        self._sync(intent.ticker)
        self.now_ms = int(self.clock().timestamp() * 1000)
        res = super().place(intent, count=count, protection=protection)
        self._refresh_active()
        return res

    def cancel(self, order_id: str) -> None:
        for coid, pk in list(self._parked.items()):
            if pk.order_id == order_id:
                del self._parked[coid]
                self.engine.orders[self._current.get(order_id, order_id)].status = "canceled"
                self._refresh_active()
                return
        super().cancel(self._current.get(order_id, order_id))
        self._refresh_active()

    def find_order(self, client_order_id: str) -> dict[str, Any] | None:
        oid = self._by_coid.get(client_order_id)
        if oid is None:
            return None
        pk = self._parked.get(client_order_id)
        st = self.engine.orders[self._current.get(oid, oid)]
        if pk is not None:
            return {"order_id": oid, "status": "resting", "reason": "", "yes_price": pk.yes_price,
                    "count": pk.remaining + self._filled(oid)}
        return {"order_id": oid, "status": st.status, "reason": st.reject_reason, "yes_price": st.order.price,
                "count": st.order.count}

    def _filled(self, order_id: str) -> Decimal:
        return sum((f.count for f in self._fills.get(order_id, [])), Decimal(0))

    def amend(self, order_id: str, intent: OrderIntent, *, count: Decimal) -> PlaceResult:
        """Amend through the one matching engine (:meth:`PaperBroker.amend`). A parked order (pulled
        off the engine while the touch sits at its price) is moved where it waits; the re-entry
        then uses the new price and size. Results name the id the session knows."""
        self._sync(intent.ticker)
        self.now_ms = int(self.clock().timestamp() * 1000)
        for coid, pk in list(self._parked.items()):
            if pk.order_id == order_id:
                remaining = count - self._filled(order_id)
                if remaining <= 0:
                    raise BrokerError(f"amend {order_id}: new total {count} must exceed the filled")
                self._parked[coid] = replace(pk, yes_price=intent.yes_price, remaining=remaining)
                self.apply_update(intent.ticker, *self._latest(intent.ticker))  # re-enter if no longer reached
                return PlaceResult(coid, order_id, "resting", [])
        res = super().amend(self._current.get(order_id, order_id), intent, count=count)
        self._refresh_active()
        return replace(res, order_id=order_id)

    def _latest(self, ticker: str) -> tuple[int, int, int]:
        return self.book.latest[ticker]

    def resting_order_ids(self) -> list[str]:
        ids = [self._alias.get(s.order_id, s.order_id) for s in self.engine.resting_orders(account=self.account)]
        return ids + [pk.order_id for pk in self._parked.values()]

    def fills_of(self, order_id: str) -> list[FillInfo]:
        return list(self._fills.get(order_id, []))

