"""The simulator's aiohttp application: route table, middleware (faults, auth, errors) and background loops."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from kalshi_edge.exchange.auth import AuthError, KeyStore
from kalshi_edge.exchange.faults import FaultInjector
from kalshi_edge.exchange.params import ACCOUNT, API, WS_PATH
from kalshi_edge.exchange.routes_admin import AdminRoutes
from kalshi_edge.exchange.routes_history import HistoryRoutes
from kalshi_edge.exchange.routes_market import MarketDataRoutes
from kalshi_edge.exchange.routes_orders import OrderRoutes
from kalshi_edge.exchange.routes_portfolio import PortfolioRoutes
from kalshi_edge.exchange.scenario import ReplayFeed
from kalshi_edge.exchange.state import DEFAULT_ACCOUNT, ApiError, Exchange
from kalshi_edge.exchange.ws_hub import PING_SECONDS, Hub, WebSocketRoutes
from kalshi_edge.kalshi.rest import TIER_RATES

log = logging.getLogger(__name__)

_PUBLIC_PREFIXES = ("/exchange", "/series", "/events", "/markets", "/historical/cutoff", "/historical/markets",
                    "/historical/trades", "/live_data")
_SIM_KEY = web.AppKey("sim", object)


class Simulator(MarketDataRoutes, PortfolioRoutes, OrderRoutes, HistoryRoutes, AdminRoutes, WebSocketRoutes):
    """The aiohttp application around an :class:`Exchange` (handlers come from the route mixins)."""

    def __init__(
        self,
        exchange: Exchange,
        *,
        faults: FaultInjector | None = None,
        auth: str = "off",
        keys: KeyStore | None = None,
        replay: ReplayFeed | None = None,
        default_account: str = DEFAULT_ACCOUNT,
        ping_seconds: float = PING_SECONDS,
        admin_token: str | None = None,
        tier: str = "basic",
    ) -> None:
        if auth not in ("off", "verify"):
            raise ValueError(f"auth: {auth!r} must be 'off' or 'verify'")
        if auth == "verify" and keys is None:
            raise ValueError("auth='verify' needs keys (a KeyStore or --keys DIR)")
        self.exchange = exchange
        self.faults = faults or FaultInjector()
        self.auth = auth
        self.keys = keys
        self.replay = replay
        self.default_account = default_account
        self.ping_seconds = ping_seconds
        #: Under ``auth="verify"`` the writing ``/_sim/*`` routes need this token (header
        #: ``X-Sim-Admin-Token``); without one they are off (404). ``auth="off"`` leaves them open.
        self.admin_token = admin_token or None
        if tier not in TIER_RATES:
            raise ValueError(f"tier: {tier!r} is not one of {sorted(TIER_RATES)}")
        #: The account tier every key has (``GET /account/limits``; batch sizes follow its write budget).
        self.tier = tier
        self.hub = Hub(self)
        self.replay_skipped_crossed = 0
        self._tasks: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------------ app
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app[_SIM_KEY] = self
        r = app.router
        g = r.add_get
        g(API + "/exchange/status", self.exchange_status)
        g(API + "/exchange/schedule", self.exchange_schedule)
        g(API + "/series", self.series_list)
        g(API + "/series/fee_changes", self.series_fee_changes)
        g(API + "/series/{series_ticker}", self.series_one)
        g(API + "/series/{series_ticker}/markets/{ticker}/candlesticks", self.market_candles)
        g(API + "/series/{series_ticker}/events/{ticker}/forecast_percentile_history", self.forecast_history)
        g(API + "/events", self.events_list)
        g(API + "/events/fee_changes", self.event_fee_changes)
        g(API + "/events/multivariate", self.multivariate_events)
        g(API + "/events/{event_ticker}/metadata", self.event_metadata)
        g(API + "/series/{series_ticker}/events/{ticker}/candlesticks", self.event_candles)
        g(API + "/exchange/user_data_timestamp", self.user_data_timestamp)
        g(API + "/portfolio/deposits", self.deposits)
        g(API + "/portfolio/withdrawals", self.withdrawals)
        g(API + "/portfolio/subaccounts/balances", self.subaccount_balances)
        g(API + "/portfolio/subaccounts/netting", self.subaccount_netting)
        g(API + "/portfolio/subaccounts/transfers", self.subaccount_transfers)
        g(API + "/portfolio/intra_exchange_instance_transfers", self.instance_transfers)
        g(API + "/portfolio/target_balance_allocation", self.target_balance_allocation)
        g(API + "/account/endpoint_costs", self.endpoint_costs)
        g(API + "/account/api_usage_level/volume_progress", self.usage_volume_progress)
        g(API + "/events/{event_ticker}", self.event_one)
        g(API + "/markets", self.markets_list)
        g(API + "/markets/trades", self.trades_list)
        g(API + "/markets/orderbooks", self.orderbooks)
        g(API + "/markets/candlesticks", self.batch_candles)
        g(API + "/markets/{ticker}", self.market_one)
        g(API + "/markets/{ticker}/orderbook", self.orderbook)
        g(API + "/portfolio/balance", self.balance)
        g(API + "/portfolio/positions", self.positions)
        g(API + "/portfolio/orders", self.orders_list)
        r.add_post(API + "/portfolio/orders", self.create_order_legacy)
        g(API + "/portfolio/orders/queue_positions", self.queue_positions)
        g(API + "/portfolio/orders/{order_id}", self.order_one)
        r.add_post(API + "/portfolio/orders/{order_id}/decrease", self.decrease_order)
        r.add_post(API + "/portfolio/orders/{order_id}/amend", self.amend_order_legacy)
        g(API + "/portfolio/orders/{order_id}/queue_position", self.queue_position)
        r.add_delete(API + "/portfolio/orders/{order_id}", self.cancel_order_legacy)
        r.add_post(API + "/portfolio/events/orders", self.create_order_v2)
        r.add_delete(API + "/portfolio/events/orders", self.cancel_all_v2)
        r.add_post(API + "/portfolio/events/orders/batched", self.batch_create_v2)
        r.add_delete(API + "/portfolio/events/orders/batched", self.batch_cancel_v2)
        r.add_delete(API + "/portfolio/events/orders/{order_id}", self.cancel_order_v2)
        r.add_post(API + "/portfolio/events/orders/{order_id}/amend", self.amend_order_v2)
        r.add_post(API + "/portfolio/events/orders/{order_id}/decrease", self.decrease_order_v2)
        g(API + "/portfolio/order_groups", self.group_list)
        r.add_post(API + "/portfolio/order_groups/create", self.group_create)
        g(API + "/portfolio/order_groups/{order_group_id}", self.group_one)
        r.add_delete(API + "/portfolio/order_groups/{order_group_id}", self.group_delete)
        r.add_put(API + "/portfolio/order_groups/{order_group_id}/limit", self.group_limit)
        r.add_put(API + "/portfolio/order_groups/{order_group_id}/trigger", self.group_trigger)
        r.add_put(API + "/portfolio/order_groups/{order_group_id}/reset", self.group_reset)
        g(API + "/portfolio/summary/total_resting_order_value", self.resting_order_value)
        g(API + "/account/limits", self.account_limits)
        g(API + "/historical/cutoff", self.historical_cutoff)
        g(API + "/historical/markets", self.historical_markets)
        g(API + "/historical/markets/{ticker}", self.historical_market)
        g(API + "/historical/markets/{ticker}/candlesticks", self.historical_candles)
        g(API + "/historical/trades", self.historical_trades)
        g(API + "/historical/fills", self.historical_fills)
        g(API + "/historical/orders", self.historical_orders)
        g(API + "/historical/positions", self.historical_positions)
        g(API + "/live_data/weather/{city}", self.live_weather)
        g(API + "/portfolio/fills", self.fills)
        g(API + "/portfolio/settlements", self.settlements)
        g(WS_PATH, self.websocket)
        r.add_post("/_sim/settle", self.admin_settle)
        r.add_post("/_sim/book", self.admin_book)
        r.add_post("/_sim/clock", self.admin_clock)
        g("/_sim/state", self.admin_state)
        app.on_startup.append(self._on_startup)
        app.on_shutdown.append(self._on_shutdown)
        return app

    async def _on_startup(self, app: web.Application) -> None:
        self.hub.start(asyncio.get_running_loop())
        self._tasks.append(asyncio.create_task(self._sweep_loop()))
        if self.replay is not None:
            self._tasks.append(asyncio.create_task(self._replay_loop()))

    async def _on_shutdown(self, app: web.Application) -> None:
        for t in self._tasks:
            t.cancel()
        self.hub.stop()
        for conn in list(self.hub.conns):
            conn.queue.put_nowait(None)
            with contextlib.suppress(Exception):
                await conn.ws.close()

    async def _sweep_loop(self) -> None:
        # Closes and expirations reach WebSocket subscribers even when no REST request comes in.
        while True:
            self.exchange.sweep()
            await asyncio.sleep(0.2)


    # ------------------------------------------------------------------ middleware: faults, auth, errors
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        path = request.path
        in_api = path.startswith(API + "/") or path == API
        try:
            if in_api:
                fault = self.faults.before_request()
                if fault is not None:
                    kind, status = fault
                    code = "too_many_requests" if kind == "429" else "internal_server_error"
                    return web.json_response({"code": code, "message": f"injected fault {status}",
                                              "details": "", "service": "simulator"}, status=status)
                delay = self.faults.slow()
                if delay:
                    await asyncio.sleep(delay)
                request[ACCOUNT] = self._authenticate(request, path)
                self.exchange.sweep()
            elif path == WS_PATH:
                request[ACCOUNT] = self._authenticate(request, path, force=True)
            elif path.startswith("/_sim/"):
                self._admin_gate(request)
            return await handler(request)
        except ApiError as exc:
            return web.json_response(exc.body(), status=exc.status)
        except AuthError as exc:
            return web.json_response({"code": "unauthorized", "message": str(exc), "details": "",
                                      "service": "simulator"}, status=401)
        except web.HTTPException as exc:
            if exc.status >= 400 and in_api:
                return web.json_response({"code": "not_found" if exc.status == 404 else "bad_request",
                                          "message": exc.reason, "details": "", "service": "simulator"},
                                         status=exc.status)
            raise

    def _admin_gate(self, request: web.Request) -> None:
        """Refuse the writing admin routes as a real exchange would, unless the admin token is given.

        ``GET /_sim/state`` (read-only: the scenario clock a paper session reads) stays open.
        """
        if self.auth == "off" or (request.method == "GET" and request.path == "/_sim/state"):
            return
        if self.admin_token is None:
            raise ApiError(404, "not_found", "admin routes are off under --auth verify (start with --admin-token)")
        given = request.headers.get("X-Sim-Admin-Token", "")
        if not hmac.compare_digest(given.encode(), self.admin_token.encode()):
            raise ApiError(401, "unauthorized", "X-Sim-Admin-Token: missing or wrong")

    def _authenticate(self, request: web.Request, path: str, *, force: bool = False) -> str:
        if self.auth == "off":
            return self.default_account
        rel = path[len(API):] if path.startswith(API) else path
        needs = force or not rel.startswith(_PUBLIC_PREFIXES) or rel.endswith("/orderbook") or rel == "/markets/orderbooks"
        if not needs and "KALSHI-ACCESS-KEY" not in request.headers:
            return self.default_account
        assert self.keys is not None
        return self.keys.verify(request.headers, request.method, path)
