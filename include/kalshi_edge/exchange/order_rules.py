"""Order-entry venue rules: create (legacy and V2) validation and buying power, cancel, cancel-all, decrease, amend."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

from kalshi_edge.exchange.matching import (
    BookDelta,
    EngineError,
    EngineFill,
    EngineOrder,
    EngineTrade,
    MatchingEngine,
)
from kalshi_edge.exchange.records import ApiError, MarketState, OrderRecord, Position, to_ms
from kalshi_edge.exchange.scenario import parse_time
from kalshi_edge.kalshi.fees import order_fee
from kalshi_edge.kalshi.money import ONE, ZERO, MoneyError, parse_count, parse_price

if TYPE_CHECKING:
    from kalshi_edge.exchange.records import Account

#: Largest count one order may carry (the simulator's bound; a real venue refuses absurd sizes too).
MAX_ORDER_COUNT = Decimal("1000000000")
#: Largest ``buy_max_cost`` accepted: $100M in cents.
MAX_BUY_MAX_COST_CENTS = 10_000_000_000


class OrderRules:
    """Order entry on :class:`~kalshi_edge.exchange.state.Exchange` (mixed into it); every refusal is an :class:`ApiError`."""

    lock: threading.RLock
    engine: MatchingEngine
    markets: dict[str, MarketState]
    orders: dict[str, OrderRecord]
    _by_client: dict[tuple[str, str], str]
    _new_id: Callable[[str], str]

    if TYPE_CHECKING:  # provided by the class this is mixed into
        def market(self, ticker: str) -> MarketState: ...

        def status_of(self, ms: MarketState) -> str: ...

        def account(self, name: str) -> Account: ...

        def now(self) -> datetime: ...

        def _price_ok(self, ticker: str, yes_price: Decimal) -> bool: ...

        def _emit_deltas(self, deltas: list[BookDelta]) -> None: ...

        def _apply(self, fills: list[EngineFill], trades: list[EngineTrade], deltas: list[BookDelta],
                   now: datetime, orders: list[OrderRecord] = ()) -> None: ...

        def _order_event(self, rec: OrderRecord) -> None: ...

        def admit_to_group(self, account: str, group_id: Any) -> Any: ...

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
        if c > MAX_ORDER_COUNT:
            raise ApiError(400, "invalid_parameters", f"count: {c} exceeds the per-order maximum {MAX_ORDER_COUNT}")
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
                if cap > MAX_BUY_MAX_COST_CENTS:
                    raise ApiError(400, "invalid_parameters",
                                   f"buy_max_cost: {cap} exceeds the maximum {MAX_BUY_MAX_COST_CENTS} cents")
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
                             post_only=bool(body.get("post_only")), self_trade_prevention=stp, ts_ms=to_ms(now))
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
            group = self.admit_to_group(account, body.get("order_group_id"))
            try:
                res = self.engine.submit(eo)
            except EngineError as exc:
                raise ApiError(400, "invalid_parameters", str(exc)) from None
            if res.status == "rejected":
                del self.engine.orders[oid]
                raise ApiError(400, "post_only_cross" if "post_only" in res.state.reject_reason else "invalid_order",
                               res.state.reject_reason)
            rec = OrderRecord(state=res.state, account=account, side=side, action=action, created=now,
                              last_update=now, expiration=expiration,
                              order_group_id=group.group_id if group is not None else "")
            self.orders[oid] = rec
            acct.order_ids.append(oid)
            if coid:
                self._by_client[(account, coid)] = oid
            if group is not None:
                group.order_ids.append(oid)
            self._apply(res.fills, res.trades, res.deltas, now, orders=[rec])
            return rec

    def _reserve_for(self, ticker: str, outcome_price: Decimal, opening: Decimal) -> Decimal:
        """Dollars an opening of ``opening`` contracts at ``outcome_price`` may cost, taker fee included."""
        if opening <= 0:
            return ZERO
        fee = order_fee(price=outcome_price, count=opening, schedule=self.markets[ticker].fee_schedule,
                        tick=self.engine.tick)
        return outcome_price * opening + fee

    def _reservations(self, account: str, *, exclude: str | None = None) -> tuple[Decimal, dict[tuple[str, str], Decimal]]:
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
            if st.order_id == exclude:
                continue
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
            self._cancel_resting(rec, self.now())
            return rec, reduced

    def _cancel_resting(self, rec: OrderRecord, now: datetime) -> list[BookDelta]:
        """Take a resting order off the book (cancel, group trip, expiry): deltas and a user_orders event."""
        _, deltas = self.engine.cancel(rec.state.order_id, ts_ms=to_ms(now))
        rec.last_update = now
        self._emit_deltas(deltas)
        self._order_event(rec)
        return deltas

    def cancel_all(self, account: str, *, ticker: str | None = None, event_ticker: str | None = None
                   ) -> list[tuple[OrderRecord, Decimal]]:
        """``DELETE /portfolio/events/orders``: cancel every resting order of ``account`` (optionally one market/event)."""
        with self.lock:
            now = self.now()
            out = []
            for st in self.engine.resting_orders(ticker=ticker, account=account):
                rec = self.orders.get(st.order_id)
                if rec is None:
                    continue
                if event_ticker and self.markets[st.order.ticker].spec["event_ticker"] != event_ticker:
                    continue
                out.append((rec, st.remaining_count))
                self._cancel_resting(rec, now)
            return out

    def amend_order(self, account: str, order_id: str, body: dict[str, Any]) -> OrderRecord:
        """``POST /portfolio/events/orders/{id}/amend``: new price and/or new total count.

        ``count`` is the new **total** (filled + resting), so the new resting size is ``count`` −
        filled. ``ticker`` and ``side`` must be the order's. Same price and no more contracts keeps
        the queue position; otherwise the order re-queues at the back (and may trade). A
        ``post_only`` order whose new price would cross is refused (``post_only_cross``) and left
        as it was. Buying power is checked for the amended order.
        """
        with self.lock:
            rec = self.orders.get(order_id)
            if rec is None or rec.account != account or rec.state.status != "resting":
                raise ApiError(404, "not_found", f"resting order {order_id!r} not found")
            st = rec.state
            if body.get("ticker") not in (None, st.order.ticker):
                raise ApiError(400, "invalid_parameters", f"ticker: {body.get('ticker')!r} is not the order's {st.order.ticker}")
            if body.get("side") not in (None, st.order.book_side):
                raise ApiError(400, "invalid_parameters", f"side: {body.get('side')!r} is not the order's {st.order.book_side}")
            price = self._parse_price_field(body, "price", cents=False)
            if price is None:
                price = st.order.price
            if not ZERO < price < ONE or not self._price_ok(st.order.ticker, price):
                raise ApiError(400, "invalid_price", f"price {price} is not on {st.order.ticker}'s tick grid")
            total = self._parse_count(body, v2=True)
            ms = self.markets[st.order.ticker]
            if not ms.spec.get("fractional_trading_enabled") and total != total.to_integral_value():
                raise ApiError(400, "invalid_parameters", f"count: {total} is fractional but {st.order.ticker} trades whole contracts")
            remaining = total - st.filled_count
            if remaining <= 0:
                raise ApiError(400, "invalid_parameters",
                               f"count: the new total {total} must exceed the filled {st.filled_count} (use cancel)")
            outcome_price = price if st.order.book_side == "bid" else ONE - price
            available, closable = self._reservations(account, exclude=order_id)
            closing = min(remaining, closable.get((st.order.ticker, st.order.book_side), ZERO))
            need = self._reserve_for(st.order.ticker, outcome_price, remaining - closing)
            if need > available:
                raise ApiError(400, "insufficient_balance", f"amended order needs ${need} but ${available} is available")
            new_coid = body.get("updated_client_order_id")
            if new_coid is not None and (not isinstance(new_coid, str) or (account, new_coid) in self._by_client):
                raise ApiError(400 if not isinstance(new_coid, str) else 409,
                               "invalid_parameters" if not isinstance(new_coid, str) else "order_already_exists",
                               f"updated_client_order_id: {new_coid!r} is not a new string id")
            expiration = rec.expiration
            if body.get("expiration_time") is not None:
                raw = body["expiration_time"]
                if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw < 10**11:
                    raise ApiError(400, "invalid_parameters", "expiration_time: unix seconds, 0 to remove")
                expiration = datetime.fromtimestamp(raw, tz=UTC) if raw else None
            now = self.now()
            try:
                res = self.engine.amend(order_id, price=price, remaining=remaining, ts_ms=to_ms(now))
            except EngineError as exc:
                code = "post_only_cross" if "post_only" in str(exc) else "invalid_parameters"
                raise ApiError(400, code, str(exc)) from None
            rec.expiration = expiration
            rec.last_update = now
            if new_coid:
                if st.order.client_order_id:
                    self._by_client.pop((account, st.order.client_order_id), None)
                st.order = replace(st.order, client_order_id=new_coid)
                self._by_client[(account, new_coid)] = order_id
            self._apply(res.fills, res.trades, res.deltas, now, orders=[rec])
            return rec

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
                                             reduce_to=amount if to is not None else None, ts_ms=to_ms(now))
            rec.last_update = now
            self._emit_deltas(deltas)
            self._order_event(rec)
            return rec

    def queue_position(self, account: str, order_id: str) -> Decimal:
        """Contracts ahead of a resting order at its price (``GET .../queue_position``)."""
        with self.lock:
            rec = self.orders.get(order_id)
            if rec is None or rec.account != account or rec.state.status != "resting":
                raise ApiError(404, "not_found", f"resting order {order_id!r} not found")
            return self.engine.queue_position(order_id)
