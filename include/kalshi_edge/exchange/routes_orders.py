"""The simulator's 3.3x order routes: V2 amend/decrease/batches/cancel-all, queue positions, order groups, account limits.

Shapes follow the official SDK 3.34 models (KALSHI_API.md "Changes after 3.13"): ``AmendOrderV2Response``,
``DecreaseOrderV2Response``, ``BatchCreateOrdersV2Response`` (one entry per order, ``error`` set on the
ones refused: a batch fails per order, never as a whole), ``BatchCancelOrdersV2Response``,
``GetOrderQueuePositionsResponse``, ``OrderGroup``/``GetOrderGroupResponse``, ``GetAccountApiLimitsResponse``.
The batch size limit is the tier's write bucket divided by one order's cost (basic: 200 / 10 = 20).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from kalshi_edge.exchange.params import ACCOUNT, q_list, read_body
from kalshi_edge.exchange.records import to_ms
from kalshi_edge.exchange.state import ApiError
from kalshi_edge.kalshi.money import ZERO, fmt_count, fmt_price
from kalshi_edge.kalshi.rest import TIER_RATES, TOKENS_PER_REQUEST

if TYPE_CHECKING:
    from kalshi_edge.exchange.faults import FaultInjector
    from kalshi_edge.exchange.records import OrderRecord
    from kalshi_edge.exchange.state import Exchange


def tier_limits(tier: str) -> dict[str, Any]:
    """``GET /account/limits`` for a tier: read bucket = 1 s of budget, write bucket = 2 s (as the client models it)."""
    read, write = TIER_RATES[tier]
    return {"usage_tier": tier, "read": {"refill_rate": int(read), "bucket_capacity": int(read)},
            "write": {"refill_rate": int(write), "bucket_capacity": int(2 * write)}, "grants": [],
            # the 3.13 shape: requests per second
            "read_limit": int(read // TOKENS_PER_REQUEST), "write_limit": int(write // TOKENS_PER_REQUEST)}


def max_batch(tier: str) -> int:
    """Orders one batched call may carry: the write bucket's capacity over one order's cost."""
    return int(tier_limits(tier)["write"]["bucket_capacity"] // TOKENS_PER_REQUEST)


class OrderRoutes:
    """Handlers for the V2 order family, queue positions and order groups (mixed into the Simulator)."""

    exchange: Exchange
    faults: FaultInjector
    tier: str

    if TYPE_CHECKING:  # provided by PortfolioRoutes
        async def _maybe_lose(self, request: web.Request) -> web.StreamResponse | None: ...

    def _now_ms(self) -> int:
        return to_ms(self.exchange.now())

    def _fill_summary(self, rec: OrderRecord) -> dict[str, Any]:
        st = rec.state
        avg = st.average_yes_price
        fees = st.taker_fees + st.maker_fees
        return {"order_id": st.order_id, "client_order_id": st.order.client_order_id or None,
                "fill_count": fmt_count(st.filled_count),
                "remaining_count": fmt_count(st.remaining_count if st.status == "resting" else ZERO),
                "average_fill_price": fmt_price(avg) if avg is not None else None,
                "average_fee_paid": fmt_price(fees / st.filled_count) if st.filled_count else None,
                "ts_ms": self._now_ms()}

    # ------------------------------------------------------------------ V2 order writes
    async def amend_order_v2(self, request: web.Request) -> web.StreamResponse:
        body = await read_body(request)
        rec = self.exchange.amend_order(request[ACCOUNT], request.match_info["order_id"], body)
        lost = await self._maybe_lose(request)
        return lost or web.json_response({**self._fill_summary(rec), "order": self.exchange.order_dict(rec)})

    async def amend_order_legacy(self, request: web.Request) -> web.StreamResponse:
        """3.13 ``POST /portfolio/orders/{id}/amend``: ``{old_order, order}``; prices in cents or dollars."""
        body = await read_body(request)
        acct, oid = request[ACCOUNT], request.match_info["order_id"]
        old = self.exchange.order_dict(self.exchange.get_order(acct, oid))
        v2 = {"ticker": body.get("ticker"), "count": body.get("count_fp", body.get("count")),
              "updated_client_order_id": body.get("updated_client_order_id")}
        rec0 = self.exchange.get_order(acct, oid)
        if body.get("side") not in (None, rec0.side) or body.get("action") not in (None, rec0.action):
            raise ApiError(400, "invalid_parameters", "side/action: must be the order's")
        yes = body.get("yes_price_dollars") or (f"{Decimal(body['yes_price']) / 100}" if isinstance(body.get("yes_price"), int) else None)
        no = body.get("no_price_dollars") or (f"{Decimal(body['no_price']) / 100}" if isinstance(body.get("no_price"), int) else None)
        if yes is not None:
            v2["price"] = yes
        elif no is not None:
            v2["price"] = str(1 - Decimal(str(no)))
        if v2["count"] is not None and not isinstance(v2["count"], str):
            v2["count"] = str(v2["count"])
        rec = self.exchange.amend_order(acct, oid, {k: v for k, v in v2.items() if v is not None})
        return web.json_response({"old_order": old, "order": self.exchange.order_dict(rec)})

    async def decrease_order_v2(self, request: web.Request) -> web.Response:
        body = await read_body(request)
        rec = self.exchange.decrease_order(request[ACCOUNT], request.match_info["order_id"], body)
        st = rec.state
        return web.json_response({"order_id": st.order_id, "client_order_id": st.order.client_order_id or None,
                                  "remaining_count": fmt_count(st.remaining_count if st.status == "resting" else ZERO),
                                  "ts_ms": self._now_ms(), "order": self.exchange.order_dict(rec)})

    async def cancel_all_v2(self, request: web.Request) -> web.Response:
        done = self.exchange.cancel_all(request[ACCOUNT], ticker=request.query.get("ticker") or None,
                                        event_ticker=request.query.get("event_ticker") or None)
        return web.json_response({"orders": [
            {"order_id": r.state.order_id, "client_order_id": r.state.order.client_order_id or None,
             "reduced_by": fmt_count(q), "ts_ms": self._now_ms()} for r, q in done]})

    def _batch_items(self, body: dict[str, Any]) -> list[Any]:
        items = body.get("orders")
        if not isinstance(items, list) or not items:
            raise ApiError(400, "invalid_parameters", "orders: a non-empty list is required")
        cap = max_batch(self.tier)
        if len(items) > cap:
            raise ApiError(400, "invalid_parameters",
                           f"orders: {len(items)} exceeds the batch limit {cap} of the {self.tier} tier")
        return items

    async def batch_create_v2(self, request: web.Request) -> web.Response:
        acct = request[ACCOUNT]
        out = []
        for i, item in enumerate(self._batch_items(await read_body(request))):
            coid = item.get("client_order_id") if isinstance(item, dict) else None
            try:
                if not isinstance(item, dict):
                    raise ApiError(400, "invalid_parameters", "expected an object")
                rec = self.exchange.create_order(acct, item, v2=True)
            except ApiError as exc:
                out.append({"client_order_id": coid if isinstance(coid, str) else None,
                            "error": {"code": exc.code, "message": f"orders[{i}]: {exc.message}", "details": exc.details}})
                continue
            out.append({**self._fill_summary(rec), "error": None})
        return web.json_response({"orders": out}, status=201)

    async def batch_cancel_v2(self, request: web.Request) -> web.Response:
        acct = request[ACCOUNT]
        out = []
        for i, item in enumerate(self._batch_items(await read_body(request))):
            oid = item.get("order_id") if isinstance(item, dict) else None
            try:
                if not isinstance(oid, str):
                    raise ApiError(400, "invalid_parameters", "order_id: required")
                rec, reduced = self.exchange.cancel_order(acct, oid)
            except ApiError as exc:
                out.append({"order_id": oid if isinstance(oid, str) else "", "reduced_by": "0.00",
                            "error": {"code": exc.code, "message": f"orders[{i}]: {exc.message}", "details": exc.details}})
                continue
            out.append({"order_id": oid, "client_order_id": rec.state.order.client_order_id or None,
                        "reduced_by": fmt_count(reduced), "ts_ms": self._now_ms(), "error": None})
        return web.json_response({"orders": out})

    # ------------------------------------------------------------------ queue positions, resting value, limits
    async def queue_positions(self, request: web.Request) -> web.Response:
        tickers = set(q_list(request, "market_tickers"))
        ev = request.query.get("event_ticker")
        if not tickers and not ev:
            raise ApiError(400, "invalid_parameters", "market_tickers or event_ticker: one is required")
        ex = self.exchange
        with ex.lock:
            rows = []
            for st in ex.engine.resting_orders(account=request[ACCOUNT]):
                t = st.order.ticker
                if (tickers and t not in tickers) or (ev and ex.markets[t].spec["event_ticker"] != ev):
                    continue
                rows.append({"order_id": st.order_id, "market_ticker": t,
                             "queue_position_fp": fmt_count(ex.engine.queue_position(st.order_id))})
        return web.json_response({"queue_positions": rows})

    async def resting_order_value(self, request: web.Request) -> web.Response:
        """``GET /portfolio/summary/total_resting_order_value``: cents at the resting orders' limit prices."""
        with self.exchange.lock:
            value = sum((st.order.outcome_price * st.remaining_count
                         for st in self.exchange.engine.resting_orders(account=request[ACCOUNT])), ZERO)
        cents = int(value * 100)
        return web.json_response({"total_resting_order_value": cents,
                                  "resting_order_value_breakdown": [{"exchange_index": 0, "balance": fmt_price(value)}]})

    async def account_limits(self, request: web.Request) -> web.Response:
        return web.json_response(tier_limits(self.tier))

    async def endpoint_costs(self, request: web.Request) -> web.Response:
        """Every request costs the default 10 tokens in the simulator (KALSHI_API.md "Rate limits")."""
        return web.json_response({"default_cost": int(TOKENS_PER_REQUEST), "endpoint_costs": []})

    async def usage_volume_progress(self, request: web.Request) -> web.Response:
        return web.json_response({"volume_progress": []})

    # ------------------------------------------------------------------ order groups
    async def group_create(self, request: web.Request) -> web.Response:
        g = self.exchange.create_group(request[ACCOUNT], await read_body(request))
        return web.json_response({"order_group_id": g.group_id, "subaccount": 0, "exchange_index": 0}, status=201)

    async def group_list(self, request: web.Request) -> web.Response:
        acct = request[ACCOUNT]
        with self.exchange.lock:
            rows = [self.exchange.group_dict(g) for g in self.exchange.order_groups.values() if g.account == acct]
        return web.json_response({"order_groups": rows})

    async def group_one(self, request: web.Request) -> web.Response:
        with self.exchange.lock:
            g = self.exchange.group(request[ACCOUNT], request.match_info["order_group_id"])
            return web.json_response(self.exchange.group_dict(g, with_orders=True))

    async def _group_body(self, request: web.Request) -> dict[str, Any]:
        if not request.can_read_body:
            return {}
        return await read_body(request)

    async def group_limit(self, request: web.Request) -> web.Response:
        g = self.exchange.set_group_limit(request[ACCOUNT], request.match_info["order_group_id"],
                                          await self._group_body(request))
        return web.json_response(self.exchange.group_dict(g))

    async def group_trigger(self, request: web.Request) -> web.Response:
        await self._group_body(request)
        g = self.exchange.trigger_group(request[ACCOUNT], request.match_info["order_group_id"])
        return web.json_response(self.exchange.group_dict(g))

    async def group_reset(self, request: web.Request) -> web.Response:
        await self._group_body(request)
        g = self.exchange.reset_group(request[ACCOUNT], request.match_info["order_group_id"])
        return web.json_response(self.exchange.group_dict(g))

    async def group_delete(self, request: web.Request) -> web.Response:
        self.exchange.delete_group(request[ACCOUNT], request.match_info["order_group_id"])
        return web.json_response({})
