"""Brokers behind one interface: paper (in-process, the shared matching engine) and REST (the Kalshi
client pointed at the local simulator or at Kalshi).

The dry-run/live decision sits in ONE place, :func:`require_live_allowed`, called by
:func:`make_broker` before a :class:`RestBroker` may talk to a real Kalshi host: live trading needs
``settings.trade_mode == live`` **and** ``--live`` on the command line **and** a passing
:func:`preflight` (keys valid, balance, exchange and trading active, clock skew).
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from kalshi_edge.exchange.matching import EngineFill, EngineOrder, MatchingEngine, OrderNotFound, OrderState
from kalshi_edge.kalshi.fees import FeeSchedule
from kalshi_edge.kalshi.money import ONE, ZERO
from kalshi_edge.trading.intents import OrderIntent
from kalshi_edge.trading.strategy import MarketSnapshot


class BrokerError(RuntimeError):
    """A broker refused an order for good (the reason is in the message)."""


class OutcomeUnknown(RuntimeError):
    """The order may or may not have reached the exchange (timeout, lost response, disconnect).

    The caller marks the ledger ``unknown`` and must reconcile before trading that market again.
    """


class LiveNotAllowed(RuntimeError):
    """Live trading was requested without every switch and check; the message says which."""


@dataclass(frozen=True, slots=True)
class FillInfo:
    """One fill of our order. ``yes_price`` is the YES price of the execution, dollars (the ledger
    converts it to the price of the order's own side)."""

    fill_id: str
    count: Decimal
    yes_price: Decimal
    fee: Decimal
    is_taker: bool
    ts: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"fill_id": self.fill_id, "count": self.count, "yes_price": self.yes_price, "fee": self.fee,
                "is_taker": self.is_taker, "ts": self.ts}


@dataclass(slots=True)
class PlaceResult:
    client_order_id: str
    order_id: str
    status: str  # resting | executed | canceled | rejected
    fills: list[FillInfo] = field(default_factory=list)
    reason: str = ""


class Broker(ABC):
    """The one order interface. Prices are the price of the intent's side in dollars."""

    name: str = "broker"

    @abstractmethod
    def place(self, intent: OrderIntent, *, count: Decimal, protection: dict[str, object] | None = None
              ) -> PlaceResult:
        """Send ``count`` contracts of ``intent``. Idempotent by ``intent.client_order_id``.
        Raises :class:`OutcomeUnknown` when the outcome cannot be known now."""

    @abstractmethod
    def cancel(self, order_id: str) -> None: ...

    @abstractmethod
    def find_order(self, client_order_id: str) -> dict[str, Any] | None:
        """``{"order_id", "status", ...}`` or None when the exchange never saw the id."""

    @abstractmethod
    def order_fills(self, order_id: str) -> list[dict[str, Any]]: ...

    @abstractmethod
    def resting_order_ids(self) -> list[str]: ...

    def resting_orders(self) -> list[dict[str, str]]:
        """Resting orders on the account as ``{"order_id", "client_order_id"}`` (client id may be "")."""
        return [{"order_id": oid, "client_order_id": ""} for oid in self.resting_order_ids()]

    @abstractmethod
    def positions(self) -> dict[str, Decimal]:
        """Ticker → signed position (+YES / −NO contracts), zero positions omitted."""

    @abstractmethod
    def balance(self) -> Decimal:
        """Cash in dollars."""

    def exchange_active(self) -> tuple[bool, bool]:
        """(exchange_active, trading_active)."""
        return True, True

    def new_fills(self) -> list[tuple[str, FillInfo]]:
        """Fills of resting orders since the last call, as (client_order_id, fill)."""
        return []

    def amend(self, order_id: str, intent: OrderIntent, *, count: Decimal) -> PlaceResult:
        """Move a resting order to ``intent.price`` with ``count`` as its new **total** (filled + resting).

        The default is cancel-replace (cancel, then place ``intent``); brokers whose venue has an
        amend override it (same price and a smaller size then keep the queue position).
        """
        self.cancel(order_id)
        return self.place(intent, count=count)


def _fill_info(f: EngineFill) -> FillInfo:
    return FillInfo(fill_id=f.fill_id, count=f.count, yes_price=f.yes_price, fee=f.fee,
                    is_taker=f.is_taker, ts=str(f.ts_ms))


class PaperBroker(Broker):
    """In-process paper trading: our orders meet the observed book in the shared matching engine.

    :meth:`observe` loads each observed top of book as external liquidity (``touch_size``
    contracts per level when the source carries no size, e.g. top-of-book logs). A taker order
    fills at the observed touch; a resting order fills when observed liquidity crosses it (the
    engine's ``load_levels``). The backtester adds its stricter trade-through rule on top.
    """

    name = "paper"

    def __init__(self, *, cash: Decimal = Decimal("1000"), touch_size: Decimal = Decimal("50"),
                 fee_schedule_for: Callable[[str], FeeSchedule] | None = None, tick: Decimal = Decimal("0.01"),
                 account: str = "paper") -> None:
        self.engine = MatchingEngine(fee_schedule_for=fee_schedule_for, tick=tick)
        self.account = account
        self.cash = cash
        self.touch_size = touch_size
        self._by_coid: dict[str, str] = {}
        self._fills: dict[str, list[FillInfo]] = {}
        self._pending: list[tuple[str, FillInfo]] = []
        self._positions: dict[str, Decimal] = {}
        self._ids = itertools.count(1)
        self.now_ms = 0

    # -- market data -----------------------------------------------------------------
    def observe(self, m: MarketSnapshot) -> list[EngineFill]:
        """Make the engine's external book of ``m.ticker`` equal this snapshot. Returns our fills."""
        self.now_ms = int(m.quote_ts.timestamp() * 1000)
        yes = []
        no = []
        if m.yes_bid is not None and ZERO < m.yes_bid < ONE:
            yes.append((m.yes_bid, m.yes_bid_size or self.touch_size))
        if m.yes_ask is not None and ZERO < m.yes_ask < ONE:
            no.append((ONE - m.yes_ask, m.yes_ask_size or self.touch_size))
        res = self.engine.load_levels(m.ticker, yes=yes, no=no, ts_ms=self.now_ms)
        mine = [f for f in res.fills if f.account == self.account]
        for f in mine:
            self._book_fill(f)
        return mine

    def _book_fill(self, f: EngineFill) -> None:
        info = _fill_info(f)
        self._fills.setdefault(f.order_id, []).append(info)
        signed = f.count if f.book_side == "bid" else -f.count
        prev = self._positions.get(f.ticker, ZERO)
        self._positions[f.ticker] = prev + signed
        # Cash: a bid pays the YES price, an ask pays the NO price, fee on top. A YES and a NO
        # held together are worth exactly $1, so each contract that nets against the opposite
        # position returns $1 (selling YES at p == buying NO at 1 − p and netting: receive p).
        self.cash -= f.outcome_price * f.count + f.fee
        if prev != 0 and (prev > 0) != (signed > 0):
            self.cash += min(abs(prev), abs(signed))
        self._pending.append((f.client_order_id, info))

    # -- orders ----------------------------------------------------------------------
    def place(self, intent: OrderIntent, *, count: Decimal, protection: dict[str, object] | None = None
              ) -> PlaceResult:
        existing = self._by_coid.get(intent.client_order_id)
        if existing is not None:  # idempotent, like the exchange's client_order_id dedupe
            st = self.engine.orders[existing]
            return PlaceResult(intent.client_order_id, existing, st.status, list(self._fills.get(existing, [])))
        oid = f"P-{next(self._ids):08d}"
        order = EngineOrder.from_side_action(
            order_id=oid, account=self.account, ticker=intent.ticker, side=intent.side, action=intent.action,
            price=intent.price, count=count, client_order_id=intent.client_order_id,
            time_in_force=intent.time_in_force, post_only=intent.post_only, ts_ms=self.now_ms,
        )
        self._by_coid[intent.client_order_id] = oid
        res = self.engine.submit(order)
        fills = []
        for f in res.fills:
            if f.account == self.account:
                self._book_fill(f)
                fills.append(_fill_info(f))
        self._pending = [p for p in self._pending if p[0] != intent.client_order_id]
        return PlaceResult(intent.client_order_id, oid, res.state.status, fills, res.state.reject_reason)

    def cancel(self, order_id: str) -> None:
        try:
            self.engine.cancel(order_id, ts_ms=self.now_ms)
        except OrderNotFound:
            pass  # already filled or cancelled: cancelling is idempotent

    def amend(self, order_id: str, intent: OrderIntent, *, count: Decimal) -> PlaceResult:
        """Amend in the shared engine (Kalshi's rule: new total = filled + resting; same price and
        fewer contracts keep the queue position, anything else re-queues and may trade)."""
        st = self.engine.orders.get(order_id)
        if st is None or st.order.account != self.account:
            raise BrokerError(f"amend {order_id}: not an order of this broker")
        coid = st.order.client_order_id
        if st.status != "resting":
            return PlaceResult(coid, order_id, st.status, [], f"amend {order_id}: order is {st.status}, not resting")
        if intent.ticker != st.order.ticker or intent.book_side != st.order.book_side:
            raise BrokerError(f"amend {order_id}: intent {intent.ticker} {intent.book_side} is not the order's "
                              f"{st.order.ticker} {st.order.book_side}")
        remaining = count - st.filled_count
        if remaining <= 0:
            raise BrokerError(f"amend {order_id}: new total {count} must exceed the filled {st.filled_count}")
        try:
            res = self.engine.amend(order_id, price=intent.yes_price, remaining=remaining, ts_ms=self.now_ms)
        except OrderNotFound:
            return PlaceResult(coid, order_id, st.status, [], "not resting")
        except ValueError as exc:  # EngineError: off-grid price, post-only cross — the order is untouched
            return PlaceResult(coid, order_id, "rejected", [], str(exc))
        fills = []
        for f in res.fills:
            if f.account == self.account:
                self._book_fill(f)
                fills.append(_fill_info(f))
        self._pending = [p for p in self._pending if p[0] != coid]
        return PlaceResult(coid, order_id, res.state.status, fills)

    def find_order(self, client_order_id: str) -> dict[str, Any] | None:
        oid = self._by_coid.get(client_order_id)
        if oid is None:
            return None
        st: OrderState = self.engine.orders[oid]
        return {"order_id": oid, "status": st.status, "reason": st.reject_reason, "yes_price": st.order.price,
                "count": st.order.count}

    def order_fills(self, order_id: str) -> list[dict[str, Any]]:
        return [f.as_dict() for f in self._fills.get(order_id, [])]

    def resting_order_ids(self) -> list[str]:
        return [s.order_id for s in self.engine.resting_orders(account=self.account)]

    def resting_orders(self) -> list[dict[str, str]]:
        coids = {oid: coid for coid, oid in self._by_coid.items()}
        return [{"order_id": oid, "client_order_id": coids.get(oid, "")} for oid in self.resting_order_ids()]

    def positions(self) -> dict[str, Decimal]:
        return {t: p for t, p in sorted(self._positions.items()) if p != 0}

    def balance(self) -> Decimal:
        return self.cash

    def new_fills(self) -> list[tuple[str, FillInfo]]:
        out, self._pending = self._pending, []
        return out


def now_utc() -> datetime:
    """The wall clock (UTC). Only the live/paper session loop calls it; library math takes times."""
    return datetime.now(UTC)


class RestBroker(Broker):
    """Orders through the Kalshi REST client — the local simulator or Kalshi itself (same code).

    ``client`` is a :class:`kalshi_edge.kalshi.rest.KalshiRestClient`. Its ``create_order`` is
    idempotent by ``client_order_id`` (it looks the order up after a lost response before any
    resend); when even that cannot tell, we raise :class:`OutcomeUnknown`.
    """

    name = "rest"

    #: After an order group trips (its rolling 15 s contracts limit was reached) the broker waits
    #: this long, so the burst that tripped it is out of the window, then resets the group once.
    GROUP_RESET_AFTER_S = 15.0

    def __init__(self, client: Any, *, live: bool = False, clock: Callable[[], float] | None = None,
                 fill_stream: Any = None) -> None:
        import time

        self.client = client
        self.live = live
        self._coid_by_oid: dict[str, str] = {}
        self._seen_fills: set[str] = set()
        self._fill_cursor_ms: int | None = None
        self._clock = clock or time.monotonic
        #: order_group_id → when its trip was first seen (cleared by the reset).
        self.group_tripped_at: dict[str, float] = {}
        self.group_resets = 0
        #: A :class:`kalshi_edge.kalshi.ws.FillStream`: while its socket is up, :meth:`new_fills`
        #: takes the pushed fills instead of polling; after any gap it polls once.
        self.fill_stream = fill_stream
        #: ``GET /portfolio/fills`` polls :meth:`new_fills` made (every call without a stream;
        #: with one, only after a gap), why (reason → count), and fills taken from the socket.
        self.fill_polls = 0
        self.fill_poll_reasons: dict[str, int] = {}
        self.fills_pushed = 0
        self._held_fills: list[Any] = []

    @staticmethod
    def _fill_dict(f: Any) -> dict[str, Any]:
        ts = f.created_time.isoformat() if f.created_time else ""
        return {"fill_id": f.fill_id, "count": f.count, "yes_price": f.yes_price, "fee": f.fee_cost,
                "is_taker": f.is_taker, "ts": ts, "order_id": f.order_id}

    def place(self, intent: OrderIntent, *, count: Decimal, protection: dict[str, object] | None = None
              ) -> PlaceResult:
        from kalshi_edge.kalshi.errors import PermanentError, TemporaryError

        prot = dict(protection or {})
        try:
            ack = self.client.create_order(
                ticker=intent.ticker, side=intent.book_side, count=count, price=intent.yes_price,
                client_order_id=intent.client_order_id, time_in_force=intent.time_in_force,
                post_only=intent.post_only, reduce_only=intent.action == "sell",
                order_group_id=prot.get("order_group_id"),
                cancel_order_on_pause=prot.get("cancel_order_on_pause"),
            )
        except TemporaryError as exc:
            raise OutcomeUnknown(f"{intent.client_order_id}: {exc}") from exc
        except PermanentError as exc:
            gid = prot.get("order_group_id")
            if getattr(exc, "code", None) == "order_group_triggered" and gid and self._reset_tripped_group(str(gid)):
                return self.place(intent, count=count, protection=protection)
            return PlaceResult(intent.client_order_id, "", "rejected", [], str(exc))
        self._coid_by_oid[ack.order_id] = intent.client_order_id
        status = ack.status or ("executed" if ack.remaining_count == 0 else "resting")
        fills: list[FillInfo] = []
        try:
            if status != "executed" and intent.time_in_force != "good_till_canceled":
                status = self.client.get_order(ack.order_id).status  # IOC remainder: canceled
            for d in self.order_fills(ack.order_id):
                self._seen_fills.add(d["fill_id"])
                fills.append(FillInfo(d["fill_id"], d["count"], d["yes_price"], d["fee"], d["is_taker"], d["ts"]))
        except TemporaryError:
            pass  # the fills arrive through new_fills()/reconcile; the ack itself is certain
        return PlaceResult(intent.client_order_id, ack.order_id, status, fills)

    def _reset_tripped_group(self, group_id: str) -> bool:
        """The exchange refused an order because ``group_id`` tripped. Reset it once the trip is
        :attr:`GROUP_RESET_AFTER_S` old (``PUT /portfolio/order_groups/{id}/reset``); until then the
        order is refused. Returns True when the group was reset (the caller retries once)."""
        import logging

        now = self._clock()
        first = self.group_tripped_at.setdefault(group_id, now)
        if now - first < self.GROUP_RESET_AFTER_S:
            return False
        self.client.reset_order_group(group_id)
        del self.group_tripped_at[group_id]
        self.group_resets += 1
        logging.getLogger(__name__).warning("order group %s tripped its contracts limit %.0fs ago; reset it",
                                            group_id, now - first)
        return True

    def cancel(self, order_id: str) -> None:
        self.client.cancel_order(order_id)

    def amend(self, order_id: str, intent: OrderIntent, *, count: Decimal) -> PlaceResult:
        """``POST /portfolio/events/orders/{id}/amend`` to ``intent``'s price and ``count`` total contracts."""
        from kalshi_edge.kalshi.errors import PermanentError, TemporaryError

        coid = self._coid_by_oid.get(order_id, "")
        try:
            res = self.client.amend_order(order_id, ticker=intent.ticker, side=intent.book_side,
                                          price=intent.yes_price, count=count)
        except TemporaryError as exc:
            raise OutcomeUnknown(f"amend {order_id}: {exc}") from exc
        except PermanentError as exc:
            return PlaceResult(coid, order_id, "rejected", [], str(exc))
        status = "executed" if res.remaining_count == 0 else "resting"
        fills = []
        for d in self.order_fills(order_id):
            if d["fill_id"] not in self._seen_fills:
                self._seen_fills.add(d["fill_id"])
                fills.append(FillInfo(d["fill_id"], d["count"], d["yes_price"], d["fee"], d["is_taker"], d["ts"]))
        return PlaceResult(coid or res.client_order_id, order_id, status, fills)

    def find_order(self, client_order_id: str) -> dict[str, Any] | None:
        o = self.client.find_order_by_client_id(client_order_id)
        if o is None:
            return None
        self._coid_by_oid[o.order_id] = client_order_id
        return {"order_id": o.order_id, "status": o.status, "yes_price": o.yes_price,
                "count": o.fill_count + o.remaining_count}

    def order_fills(self, order_id: str) -> list[dict[str, Any]]:
        return [self._fill_dict(f) for f in self.client.iter_fills(order_id=order_id)]

    def resting_order_ids(self) -> list[str]:
        return [o.order_id for o in self.client.iter_orders(status="resting")]

    def resting_orders(self) -> list[dict[str, str]]:
        """The account's resting orders: ``order_id``, ``client_order_id`` and the
        ``order_group_id`` the exchange reports ("" when it reports none)."""
        return [{"order_id": o.order_id, "client_order_id": o.client_order_id or "",
                 "order_group_id": getattr(o, "order_group_id", "") or ""}
                for o in self.client.iter_orders(status="resting")]

    def positions(self) -> dict[str, Decimal]:
        return {t: p.position for t, p in sorted(self.client.get_positions().items()) if p.position != 0}

    def balance(self) -> Decimal:
        return self.client.get_balance().balance

    def exchange_active(self) -> tuple[bool, bool]:
        st = self.client.get_exchange_status()
        return bool(st.get("exchange_active")), bool(st.get("trading_active"))

    @property
    def fill_source(self) -> str:
        """Where :meth:`new_fills` takes fills from right now: ``ws`` (the socket is up),
        ``ws-down`` (a stream whose socket is down: polling until it is back) or ``rest``."""
        if self.fill_stream is None:
            return "rest"
        return "ws" if self.fill_stream.healthy else "ws-down"

    def new_fills(self) -> list[tuple[str, FillInfo]]:
        """Own fills not returned before, as ``(client_order_id, FillInfo)``.

        With a :attr:`fill_stream` whose socket stayed up since the last call, the pushed fills
        (after a barrier, so nothing the exchange already sent is still in flight); otherwise, and
        whenever a pushed fill lacks its own ``fill_id`` (it could not be matched with the REST
        list), one ``GET /portfolio/fills``. Either way each ``fill_id`` is returned once.
        """
        reason = "no stream"
        if self.fill_stream is not None:
            synced = self.fill_stream.sync() if hasattr(self.fill_stream, "sync") else True
            pushed, complete = self.fill_stream.drain()
            if not complete:
                reason = "socket down or reconnected"
            elif not synced:
                reason = "no barrier reply"
            elif any(not f.fill_id or f.fill_id == f.trade_id for f in pushed):
                reason = "pushed fill without fill_id"
            else:
                # A fill can arrive before the create's response names its order: keep it for later.
                held, self._held_fills = self._held_fills, []
                got = self._take_fills([*held, *pushed], hold_unknown=True)
                self._held_fills = self._held_fills[-1000:]  # fills of other sessions' orders age out
                self.fills_pushed += len(got)
                return got
        self.fill_polls += 1
        self.fill_poll_reasons[reason] = self.fill_poll_reasons.get(reason, 0) + 1
        got = self._take_fills(self.client.iter_fills())
        if self._held_fills:  # a held fill the poll did not return as ours stays held (bounded)
            self._held_fills = [f for f in self._held_fills if f.fill_id not in self._seen_fills][-1000:]
        return got

    def _take_fills(self, fills: Any, *, hold_unknown: bool = False) -> list[tuple[str, FillInfo]]:
        out: list[tuple[str, FillInfo]] = []
        for f in fills:
            if f.fill_id in self._seen_fills:
                continue
            coid = self._coid_by_oid.get(f.order_id)
            if coid is None:
                if hold_unknown:
                    self._held_fills.append(f)
                continue  # not an order of this session (reconcile picks up older ones)
            self._seen_fills.add(f.fill_id)
            d = self._fill_dict(f)
            out.append((coid, FillInfo(d["fill_id"], d["count"], d["yes_price"], d["fee"], d["is_taker"], d["ts"])))
        return out


def own_resting_order_ids(broker: Broker, ledger: Any) -> list[str]:
    """The account's resting orders that THIS session placed (issue 13).

    Two traders can share one account (the CLI and the Airflow sensor, or two machines). Every
    session that trades through an exchange creates its own order group at start (recorded in the
    ledger, :meth:`~kalshi_edge.trading.ledger.OrderLedger.record_session`) and sends every order
    in it. So an order is ours when:

    * the exchange reports the order's ``order_group_id`` and this session has a group: it is
      ours exactly when it is in our group (the exchange's own tag; another trader's order is in
      another group, even if it shares our ledger file);
    * otherwise (an exchange that does not echo the group, the in-process paper broker, a
      session without a group): our ledger recorded its intent under our session id, matched by
      the ``client_order_id`` the exchange echoes (or by the exchange order id).

    Everything else on the account is left alone on shutdown, on maker expiry and on the kill switch.

    The ``client_order_id`` carries no per-session prefix on purpose: it is derived from the
    decision alone (:func:`kalshi_edge.trading.intents.client_order_id`), so a restarted session
    re-deciding the same order finds it in the ledger / at the exchange and never sends it twice;
    a per-session component would make the same decision a new order after every restart.
    """
    group = str(getattr(ledger, "order_group_id", "") or "")
    out: list[str] = []
    for o in broker.resting_orders():
        reported = str(o.get("order_group_id") or "")
        if group and reported:
            if reported == group:
                out.append(o["order_id"])
        elif ledger.is_own(client_order_id=o.get("client_order_id", ""), order_id=o["order_id"]):
            out.append(o["order_id"])
    return out


def create_order_group(client: Any, *, contracts_limit: int) -> str:
    """Exchange-side limit for live trading: an order group whose orders are all cancelled (and
    no new ones accepted) once ``contracts_limit`` contracts match within a rolling 15 s window
    (``POST /portfolio/order_groups/create``). Returns its ``order_group_id``."""
    if contracts_limit < 1:
        raise ValueError(f"contracts_limit: {contracts_limit} must be ≥ 1")
    body = client.request("POST", "/portfolio/order_groups/create", json={"contracts_limit": int(contracts_limit)})
    gid = body.get("order_group_id") if isinstance(body, dict) else None
    if not gid:
        raise BrokerError(f"order group create: no order_group_id in {body!r}")
    return str(gid)


# ---------------------------------------------------------------------------- live guard
def require_live_allowed(*, settings: object, live_flag: bool) -> None:
    """THE dry-run check. Raise :class:`LiveNotAllowed` unless both switches are on.

    Live trading needs ``TRADE_MODE=live`` in configuration AND ``--live`` on the command line,
    and a real Kalshi environment (never the local simulator).
    """
    mode = str(getattr(settings, "trade_mode", "paper"))
    env = str(getattr(settings, "kalshi_env", "local"))
    missing = []
    if mode != "live":
        missing.append(f"configuration has TRADE_MODE={mode} (needs TRADE_MODE=live)")
    if not live_flag:
        missing.append("the command line lacks --live")
    if missing:
        raise LiveNotAllowed("refusing to trade live: " + " and ".join(missing))
    if env == "local":
        raise LiveNotAllowed("refusing to trade live: KALSHI_EDGE_KALSHI_ENV=local is the simulator")


def preflight(client: Any, *, max_clock_skew_s: float = 5.0, min_balance: Decimal = Decimal("1"),
              now: Callable[[], datetime] = now_utc) -> list[str]:
    """Checks before the first live order; returns the problems (empty = pass).

    Keys valid (an authenticated balance call succeeds), balance ≥ ``min_balance`` dollars,
    exchange and trading active, and the local clock within ``max_clock_skew_s`` of the server's
    ``Date`` header (request signatures carry our timestamp).
    """
    problems: list[str] = []
    if not getattr(client, "authenticated", False):
        problems.append("no API key configured (KALSHI_EDGE_KALSHI_KEY_ID / KALSHI_EDGE_KALSHI_PRIVATE_KEY_PATH)")
        return problems
    try:
        bal = client.get_balance().balance
        if bal < min_balance:
            problems.append(f"balance ${bal} < ${min_balance}")
    except Exception as exc:  # noqa: BLE001 - any failure here means "keys not usable"
        problems.append(f"keys not accepted: {exc}")
    try:
        st = client.get_exchange_status()
        if not st.get("exchange_active"):
            problems.append("exchange is not active")
        if not st.get("trading_active"):
            problems.append("trading is not active")
    except Exception as exc:  # noqa: BLE001
        problems.append(f"exchange status unavailable: {exc}")
    try:
        from email.utils import parsedate_to_datetime

        resp = client.session.get(client.base_url + "/exchange/status", timeout=client.timeout)
        server = parsedate_to_datetime(resp.headers["Date"])
        skew = abs((now() - server).total_seconds())
        if skew > max_clock_skew_s:
            problems.append(f"clock skew {skew:.1f}s > {max_clock_skew_s}s")
    except Exception as exc:  # noqa: BLE001
        problems.append(f"clock skew unknown: {exc}")
    return problems
