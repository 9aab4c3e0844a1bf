"""Order groups: an exchange-side risk limit, a rolling 15-second contracts limit whose trip cancels the group's orders.

Kalshi (by spec 3.34): ``POST /portfolio/order_groups/create`` ``{contracts_limit | contracts_limit_fp}``,
``GET/DELETE /portfolio/order_groups/{id}``, ``PUT .../{id}/limit``, ``.../trigger``, ``.../reset``,
``GET /portfolio/order_groups``. Orders name their group with ``order_group_id``. When the
contracts matched by the group's orders within any 15 seconds reach the limit, the group trips:
its resting orders are canceled and it refuses new orders until ``reset``. ``trigger`` trips it by
hand; ``delete`` cancels its orders and removes it. At most 100,000 groups per account.

The simulator checks the limit after each execution (the execution that reaches the limit is
kept; what rests after it is canceled), which is the conservative reading of "auto-cancel".
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kalshi_edge.exchange.engine_types import BookDelta, EngineFill
from kalshi_edge.exchange.records import ApiError, ExchangeEvent, OrderRecord, to_ms
from kalshi_edge.kalshi.money import ZERO, MoneyError, fmt_count, parse_count

WINDOW = timedelta(seconds=15)
MAX_GROUPS_PER_ACCOUNT = 100_000


@dataclass
class OrderGroup:
    group_id: str
    account: str
    limit: Decimal | None
    triggered: bool = False
    #: (time, contracts) of executions of the group's orders inside the rolling window.
    window: deque[tuple[datetime, Decimal]] = field(default_factory=deque)
    order_ids: list[str] = field(default_factory=list)

    def matched_in_window(self, now: datetime) -> Decimal:
        while self.window and self.window[0][0] <= now - WINDOW:
            self.window.popleft()
        return sum((c for _, c in self.window), ZERO)


def _limit_from(body: dict[str, Any], *, required: bool) -> Decimal | None:
    whole, fp = body.get("contracts_limit"), body.get("contracts_limit_fp")
    if whole is None and fp is None:
        if required:
            raise ApiError(400, "invalid_parameters", "contracts_limit: required (or contracts_limit_fp)")
        return None
    try:
        if whole is not None and (isinstance(whole, bool) or not isinstance(whole, int) or not 1 <= whole <= 10**9):
            raise ApiError(400, "invalid_parameters", "contracts_limit: must be a whole number 1..1000000000")
        a = Decimal(whole) if whole is not None else None
        b = parse_count(fp, "contracts_limit_fp") if fp is not None else None
    except MoneyError as exc:
        raise ApiError(400, "invalid_parameters", str(exc)) from None
    if a is not None and b is not None and a != b:
        raise ApiError(400, "invalid_parameters", "contracts_limit and contracts_limit_fp disagree")
    lim = a if a is not None else b
    assert lim is not None
    if lim <= 0 or lim > 10**9:
        raise ApiError(400, "invalid_parameters", f"contracts_limit_fp: {lim} outside 0.01..1000000000")
    return lim


class OrderGroups:
    """Order-group rules of :class:`~kalshi_edge.exchange.state.Exchange` (mixed into it)."""

    lock: threading.RLock
    orders: dict[str, OrderRecord]
    order_groups: dict[str, OrderGroup]
    _new_id: Callable[[str], str]

    if TYPE_CHECKING:  # provided by the class this is mixed into
        def now(self) -> datetime: ...

        def _emit(self, ev: ExchangeEvent) -> None: ...

        def _cancel_resting(self, rec: OrderRecord, now: datetime) -> list[BookDelta]: ...




    # ------------------------------------------------------------------ lookups
    def group(self, account: str, group_id: str) -> OrderGroup:
        with self.lock:
            g = self.order_groups.get(group_id)
            if g is None or g.account != account:
                raise ApiError(404, "not_found", f"order group {group_id!r} not found")
            return g

    def group_dict(self, g: OrderGroup, *, with_orders: bool = False) -> dict[str, Any]:
        """The spec ``OrderGroup`` (``GetOrderGroupResponse`` with ``orders``); ``is_triggered`` is the simulator's."""
        d: dict[str, Any] = {"id": g.group_id, "order_group_id": g.group_id,
                             "contracts_limit_fp": fmt_count(g.limit) if g.limit is not None else None,
                             "is_auto_cancel_enabled": g.limit is not None, "is_triggered": g.triggered,
                             "exchange_index": 0}
        if with_orders:
            d["orders"] = [o for o in g.order_ids if self.orders[o].state.status == "resting"]
        return d

    def _group_event(self, g: OrderGroup, event_type: str) -> None:
        self._emit(ExchangeEvent("order_group", "", {"order_group_id": g.group_id, "event_type": event_type,
                                                     "contracts_limit_fp": fmt_count(g.limit) if g.limit is not None else None,
                                                     "is_triggered": g.triggered, "ts_ms": to_ms(self.now())},
                                 account=g.account))

    # ------------------------------------------------------------------ endpoints
    def create_group(self, account: str, body: dict[str, Any]) -> OrderGroup:
        with self.lock:
            lim = _limit_from(body, required=True)
            if sum(1 for g in self.order_groups.values() if g.account == account) >= MAX_GROUPS_PER_ACCOUNT:
                raise ApiError(400, "order_group_limit_reached", f"at most {MAX_GROUPS_PER_ACCOUNT} order groups")
            g = OrderGroup(group_id=self._new_id("order_group"), account=account, limit=lim)
            self.order_groups[g.group_id] = g
            self._group_event(g, "created")
            return g

    def set_group_limit(self, account: str, group_id: str, body: dict[str, Any]) -> OrderGroup:
        with self.lock:
            g = self.group(account, group_id)
            g.limit = _limit_from(body, required=True)
            self._group_event(g, "limit_updated")
            self._check_group(g, self.now())
            return g

    def trigger_group(self, account: str, group_id: str) -> OrderGroup:
        with self.lock:
            g = self.group(account, group_id)
            self._trip(g, self.now())
            return g

    def reset_group(self, account: str, group_id: str) -> OrderGroup:
        """Clear the trip and the rolling window: the group accepts orders again."""
        with self.lock:
            g = self.group(account, group_id)
            g.triggered = False
            g.window.clear()
            self._group_event(g, "reset")
            return g

    def delete_group(self, account: str, group_id: str) -> None:
        with self.lock:
            g = self.group(account, group_id)
            self._cancel_group_orders(g, self.now())
            del self.order_groups[group_id]
            self._group_event(g, "deleted")

    # ------------------------------------------------------------------ rules
    def admit_to_group(self, account: str, group_id: Any) -> OrderGroup | None:
        """Check an order's ``order_group_id`` before it is placed (404 unknown, 400 tripped)."""
        if group_id in (None, ""):
            return None
        if not isinstance(group_id, str):
            raise ApiError(400, "invalid_parameters", "order_group_id: must be a string")
        g = self.order_groups.get(group_id)
        if g is None or g.account != account:
            raise ApiError(400, "invalid_parameters", f"order_group_id: {group_id!r} not found")
        if g.triggered:
            raise ApiError(400, "order_group_triggered",
                           f"order group {group_id} tripped its contracts limit; reset it first")
        return g

    def groups_after_fills(self, fills: list[EngineFill], now: datetime) -> None:
        """Count executions of grouped orders into their windows; trip groups that reach their limit."""
        touched: dict[str, OrderGroup] = {}
        for f in fills:
            rec = self.orders.get(f.order_id)
            if rec is None or not rec.order_group_id:
                continue
            g = self.order_groups.get(rec.order_group_id)
            if g is None:
                continue
            g.window.append((now, f.count))
            touched[g.group_id] = g
        for g in touched.values():
            self._check_group(g, now)

    def _check_group(self, g: OrderGroup, now: datetime) -> None:
        if g.limit is not None and not g.triggered and g.matched_in_window(now) >= g.limit:
            self._trip(g, now)

    def _trip(self, g: OrderGroup, now: datetime) -> None:
        g.triggered = True
        self._cancel_group_orders(g, now)
        self._group_event(g, "triggered")

    def _cancel_group_orders(self, g: OrderGroup, now: datetime) -> None:
        for oid in g.order_ids:
            rec = self.orders[oid]
            if rec.state.status == "resting":
                self._cancel_resting(rec, now)
