"""The simulator's authenticated portfolio REST routes: balance, positions, orders (legacy and V2), fills, settlements."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import TYPE_CHECKING

from aiohttp import web

from kalshi_edge.exchange.params import ACCOUNT, paginate, parse_iso, q_int, q_list, read_body, ts_filter
from kalshi_edge.exchange.scenario import iso
from kalshi_edge.exchange.state import ApiError
from kalshi_edge.kalshi.money import fmt_count

if TYPE_CHECKING:
    from kalshi_edge.exchange.faults import FaultInjector
    from kalshi_edge.exchange.state import Exchange


class PortfolioRoutes:
    """Handlers for ``/portfolio/*`` (mixed into the Simulator)."""

    exchange: Exchange
    faults: FaultInjector

    async def _maybe_lose(self, request: web.Request) -> web.StreamResponse | None:
        """The ``lost`` fault, after an order was executed: drop the connection or answer 504."""
        how = self.faults.lose()
        if how is None:
            return None
        if how == "504":
            return web.json_response({"code": "gateway_timeout", "message": "injected fault: response lost",
                                      "details": "", "service": "simulator"}, status=504)
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError  # nothing is written: the client sees the connection drop

    async def balance(self, request: web.Request) -> web.Response:
        q_int(request, "subaccount")
        return web.json_response(self.exchange.balance_dict(request[ACCOUNT]))

    async def positions(self, request: web.Request) -> web.Response:
        q_int(request, "subaccount")
        markets, events = self.exchange.position_dicts(request[ACCOUNT])
        ticker = request.query.get("ticker")
        ev = request.query.get("event_ticker")
        cf = set(q_list(request, "count_filter"))
        if ticker:
            markets = [m for m in markets if m["ticker"] == ticker]
        if ev:
            markets = [m for m in markets if self.exchange.markets[m["ticker"]].spec["event_ticker"] in ev.split(",")]
            events = [e for e in events if e["event_ticker"] in ev.split(",")]
        if "position" in cf:
            markets = [m for m in markets if Decimal(m["position_fp"]) != 0]
        if "total_traded" in cf:
            markets = [m for m in markets if Decimal(m["total_traded_dollars"]) != 0]
        page, cursor = paginate(markets, request, default=100, hi=1000)
        return web.json_response({"market_positions": page, "event_positions": events, "cursor": cursor})

    async def orders_list(self, request: web.Request) -> web.Response:
        acct = request[ACCOUNT]
        q = request.query
        status = q.get("status")
        if status and status not in ("resting", "canceled", "executed"):
            raise ApiError(400, "invalid_parameters", f"status: {status!r}")
        q_int(request, "subaccount")
        coid = q.get("client_order_id")
        with self.exchange.lock:
            recs = [self.exchange.orders[o] for o in reversed(self.exchange.account(acct).order_ids)]
            rows = []
            for rec in recs:
                if self.exchange.order_is_historical(rec):
                    continue  # archived: served by /historical/orders
                d = self.exchange.order_dict(rec)
                if q.get("ticker") and d["ticker"] != q["ticker"]:
                    continue
                if q.get("event_ticker") and self.exchange.markets[d["ticker"]].spec["event_ticker"] not in q["event_ticker"].split(","):
                    continue
                if status and d["status"] != status:
                    continue
                if coid and d["client_order_id"] != coid:
                    continue
                if not ts_filter(rec.created, request):
                    continue
                rows.append(d)
            page, cursor = paginate(rows, request, default=100, hi=1000)
        return web.json_response({"orders": page, "cursor": cursor})

    async def order_one(self, request: web.Request) -> web.Response:
        rec = self.exchange.get_order(request[ACCOUNT], request.match_info["order_id"])
        return web.json_response({"order": self.exchange.order_dict(rec)})

    async def create_order_legacy(self, request: web.Request) -> web.StreamResponse:
        body = await read_body(request)
        rec = self.exchange.create_order(request[ACCOUNT], body, v2=False)
        lost = await self._maybe_lose(request)
        return lost or web.json_response({"order": self.exchange.order_dict(rec)}, status=201)

    async def create_order_v2(self, request: web.Request) -> web.StreamResponse:
        body = await read_body(request)
        rec = self.exchange.create_order(request[ACCOUNT], body, v2=True)
        lost = await self._maybe_lose(request)
        return lost or web.json_response(self.exchange.v2_create_dict(rec), status=201)

    async def cancel_order_legacy(self, request: web.Request) -> web.StreamResponse:
        q_int(request, "subaccount")
        rec, reduced = self.exchange.cancel_order(request[ACCOUNT], request.match_info["order_id"])
        lost = await self._maybe_lose(request)
        return lost or web.json_response({"order": self.exchange.order_dict(rec), "reduced_by_fp": fmt_count(reduced)})

    async def cancel_order_v2(self, request: web.Request) -> web.StreamResponse:
        rec, reduced = self.exchange.cancel_order(request[ACCOUNT], request.match_info["order_id"])
        lost = await self._maybe_lose(request)
        return lost or web.json_response({
            "order_id": rec.state.order_id, "client_order_id": rec.state.order.client_order_id,
            "reduced_by": fmt_count(reduced), "reduced_by_fp": fmt_count(reduced),
            "order": self.exchange.order_dict(rec),
            "ts_ms": int(self.exchange.now().timestamp() * 1000)})

    async def decrease_order(self, request: web.Request) -> web.Response:
        body = await read_body(request)
        rec = self.exchange.decrease_order(request[ACCOUNT], request.match_info["order_id"], body)
        return web.json_response({"order": self.exchange.order_dict(rec)})

    async def queue_position(self, request: web.Request) -> web.Response:
        q = self.exchange.queue_position(request[ACCOUNT], request.match_info["order_id"])
        return web.json_response({"queue_position_fp": fmt_count(q)})

    async def fills(self, request: web.Request) -> web.Response:
        q_int(request, "subaccount")
        ticker = request.query.get("ticker")
        oid = request.query.get("order_id")
        with self.exchange.lock:
            rows = [f for f in reversed(self.exchange.account(request[ACCOUNT]).fills)
                    if (not ticker or f["ticker"] == ticker) and (not oid or f["order_id"] == oid)
                    and not self.exchange.record_is_historical(f)
                    and ts_filter(parse_iso(f["created_time"]), request)]
            page, cursor = paginate(rows, request, default=100, hi=1000)
        return web.json_response({"fills": page, "cursor": cursor})

    async def settlements(self, request: web.Request) -> web.Response:
        q_int(request, "subaccount")
        ticker = request.query.get("ticker")
        ev = request.query.get("event_ticker")
        with self.exchange.lock:
            rows = [s for s in reversed(self.exchange.account(request[ACCOUNT]).settlements)
                    if (not ticker or s["ticker"] == ticker) and (not ev or s["event_ticker"] in ev.split(","))
                    and ts_filter(parse_iso(s["settled_time"]), request)]
            page, cursor = paginate(rows, request, default=100, hi=1000)
        return web.json_response({"settlements": page, "cursor": cursor})

    # ------------------------------------------------------------------ 3.3x portfolio reads
    async def user_data_timestamp(self, request: web.Request) -> web.Response:
        """``GET /exchange/user_data_timestamp``: portfolio data is current to the simulator clock."""
        return web.json_response({"as_of_time": iso(self.exchange.now())})

    async def deposits(self, request: web.Request) -> web.Response:
        paginate([], request, default=100, hi=1000)
        return web.json_response({"deposits": [], "cursor": ""})

    async def withdrawals(self, request: web.Request) -> web.Response:
        paginate([], request, default=100, hi=1000)
        return web.json_response({"withdrawals": [], "cursor": ""})

    async def subaccount_balances(self, request: web.Request) -> web.Response:
        """One primary subaccount per account (the simulator has no others)."""
        bal = self.exchange.balance_dict(request[ACCOUNT])
        return web.json_response({"subaccount_balances": [{"subaccount_number": 0, "exchange_index": 0,
                                                           "balance": bal["balance_dollars"],
                                                           "updated_ts": bal["updated_ts"]}]})

    async def subaccount_netting(self, request: web.Request) -> web.Response:
        return web.json_response({"netting_configs": [{"subaccount_number": 0, "enabled": False, "exchange_index": 0}]})

    async def subaccount_transfers(self, request: web.Request) -> web.Response:
        paginate([], request, default=100, hi=1000)
        return web.json_response({"transfers": [], "cursor": ""})

    async def instance_transfers(self, request: web.Request) -> web.Response:
        paginate([], request, default=100, hi=1000)
        return web.json_response({"transfers": [], "cursor": ""})

    async def target_balance_allocation(self, request: web.Request) -> web.Response:
        """One exchange instance: everything is allocated to it."""
        return web.json_response({"allocations": [{"exchange_index": 0, "percent": 100}],
                                  "resting_margin_reservation": "none"})
