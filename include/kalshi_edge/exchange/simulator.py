"""A local Kalshi-compatible exchange: REST under ``/trade-api/v2``, WebSocket under ``/trade-api/ws/v2``.

One aiohttp server on one port serves a :class:`~kalshi_edge.exchange.scenario.Scenario`
through the :class:`~kalshi_edge.exchange.state.Exchange` (which matches with the one
:class:`~kalshi_edge.exchange.matching.MatchingEngine`). Used by offline demos, paper trading and
tests; started by ``kalshi-edge simulator`` or, in-process, by :func:`run_simulator_in_thread`::

    from kalshi_edge.exchange.simulator import run_simulator_in_thread
    with run_simulator_in_thread(faults="all", seed=7) as sim:
        sim.base_url   # "http://127.0.0.1:54321/trade-api/v2"  (give this to the REST client)
        sim.ws_url     # "ws://127.0.0.1:54321/trade-api/ws/v2"
        sim.exchange   # the live Exchange: sim.exchange.engine.book(ticker), .accounts, ...
        sim.exchange.settle_market("KXHIGHNY-26JUL12-T82", "no")
        sim.set_book(ticker, yes=[("0.40", "10")], no=[("0.55", "5")])   # replace external liquidity

REST endpoints (responses follow ``kalshi-openapi-3.13.0.yaml``; dollars as 4-decimal strings,
counts as ``*_fp`` 2-decimal strings, balance in integer cents; ``limit``/``cursor`` pagination
where the spec has it): ``GET /exchange/status``, ``/series``, ``/series/{series}``, ``/events``,
``/events/{event}``, ``/markets``, ``/markets/{ticker}``, ``/markets/{ticker}/orderbook``,
``/markets/orderbooks``, ``/markets/trades``, ``/series/{s}/markets/{t}/candlesticks``,
``/markets/candlesticks``, ``/portfolio/balance``, ``/portfolio/positions``, ``/portfolio/orders``
(also filtered by ``client_order_id``), ``/portfolio/orders/{id}``, ``/portfolio/fills``,
``/portfolio/settlements``; ``POST /portfolio/orders`` and ``DELETE /portfolio/orders/{id}``
(legacy), ``POST /portfolio/orders/{id}/decrease``, ``GET /portfolio/orders/{id}/queue_position``,
and ``POST /portfolio/events/orders`` and ``DELETE /portfolio/events/orders/{id}`` (V2).
A second create with the same ``client_order_id`` answers **409** ``order_already_exists`` with
the existing order id in ``details``; nothing new is created.

Admin endpoints (not Kalshi's; never faulted, no auth): ``POST /_sim/settle``
``{"ticker", "result"}``, ``POST /_sim/book`` ``{"ticker", "yes_dollars", "no_dollars"}``,
``POST /_sim/clock`` ``{"advance_seconds"}``, ``GET /_sim/state``.

WebSocket: the upgrade is authenticated like REST (signing ``ts + "GET" + "/trade-api/ws/v2"``)
when ``auth="verify"``. Commands ``subscribe`` (one ``sid`` per channel), ``unsubscribe``
(reply ``unsubscribed`` per sid), ``update_subscription`` (``add_markets`` | ``delete_markets`` |
``get_snapshot``; reply ``ok``), ``list_subscriptions`` (reply ``ok`` with
``[{"channel", "sid"}]``); errors ``{"type": "error", "msg": {"code", "msg"}}``. Channels:
``orderbook_delta`` (``orderbook_snapshot`` then ``orderbook_delta``, ``seq`` +1 per message per
sid), ``ticker``, ``trade``, ``fill`` (own fills only), ``market_lifecycle_v2``. A Ping frame
every 10 s. Snapshots and deltas come from one published copy of the books, so a client that
applies them in order has exactly the exchange's book after every message.

Faults (``faults=`` / ``--faults``, see :mod:`kalshi_edge.exchange.faults`) apply to
``/trade-api/v2`` requests and WebSocket messages. Auth ``"off"`` makes every request act for
the ``"default"`` account; ``"verify"`` requires valid signatures on portfolio endpoints, the
order book endpoints and the WebSocket (public market data stays open, as on Kalshi).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from kalshi_edge.exchange.auth import AuthError, KeyStore
from kalshi_edge.exchange.faults import FaultInjector, FaultSpec
from kalshi_edge.exchange.matching import BookDelta
from kalshi_edge.exchange.scenario import ReplayFeed, Scenario, builtin_scenario, iso
from kalshi_edge.exchange.state import (
    DEFAULT_ACCOUNT,
    ApiError,
    Exchange,
    ExchangeEvent,
    ManualClock,
    SimClock,
)
from kalshi_edge.kalshi.money import ONE, ZERO, fmt_count, fmt_price

log = logging.getLogger(__name__)

API = "/trade-api/v2"
WS_PATH = "/trade-api/ws/v2"
PING_SECONDS = 10.0
CHANNELS = ("orderbook_delta", "ticker", "trade", "fill", "market_lifecycle_v2")
_PUBLIC_PREFIXES = ("/exchange", "/series", "/events", "/markets")
_SIM_KEY = web.AppKey("sim", object)
_ACCOUNT = web.RequestKey("account", str)


# ---------------------------------------------------------------------------- query helpers
def _q_int(request: web.Request, name: str, *, default: int | None = None, lo: int | None = None,
           hi: int | None = None, required: bool = False) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        if required:
            raise ApiError(400, "invalid_parameters", f"{name}: required")
        return default
    try:
        v = int(raw)
    except ValueError:
        raise ApiError(400, "invalid_parameters", f"{name}: {raw!r} is not an integer") from None
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ApiError(400, "invalid_parameters", f"{name}: {v} outside {lo}..{hi}")
    return v


def _q_bool(request: web.Request, name: str) -> bool:
    raw = request.query.get(name, "false").lower()
    if raw not in ("true", "false", "1", "0", ""):
        raise ApiError(400, "invalid_parameters", f"{name}: {raw!r} is not a boolean")
    return raw in ("true", "1")


def _q_list(request: web.Request, name: str) -> list[str]:
    out: list[str] = []
    for v in request.query.getall(name, []):
        out.extend(x for x in v.split(",") if x)
    return out


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode()


def _paginate(items: list[Any], request: web.Request, *, default: int, hi: int, lo: int = 1) -> tuple[list[Any], str]:
    limit = _q_int(request, "limit", default=default, lo=lo, hi=hi) or default
    raw = request.query.get("cursor") or ""
    offset = 0
    if raw:
        try:
            text = base64.urlsafe_b64decode(raw.encode() + b"=" * (-len(raw) % 4)).decode()
            if not text.startswith("o"):
                raise ValueError
            offset = int(text[1:])
            if offset < 0:
                raise ValueError
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ApiError(400, "invalid_cursor", f"cursor: {raw!r} is not a cursor this server issued") from None
    page = items[offset : offset + limit]
    nxt = _encode_cursor(offset + limit) if offset + limit < len(items) else ""
    return page, nxt


def _ts_filter(ts: datetime, request: web.Request, lo_name: str = "min_ts", hi_name: str = "max_ts") -> bool:
    lo = _q_int(request, lo_name)
    hi = _q_int(request, hi_name)
    t = ts.timestamp()
    return (lo is None or t >= lo) and (hi is None or t <= hi)


def _parse_iso(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


# ---------------------------------------------------------------------------- WebSocket hub
@dataclass
class _Sub:
    sid: int
    channel: str
    tickers: set[str] | None  # None = every market (ticker/trade/fill/lifecycle only)
    seq: int = 0


@dataclass(eq=False)  # identity hashing: connections live in a set
class _Conn:
    ws: web.WebSocketResponse
    account: str
    subs: dict[int, _Sub] = field(default_factory=dict)
    queue: asyncio.Queue[dict[str, Any] | None] = field(default_factory=asyncio.Queue)


class _Hub:
    """Publishes exchange events to WebSocket connections from one published copy of the books."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.conns: set[_Conn] = set()
        self.books: dict[str, dict[str, dict[Decimal, Decimal]]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._next_sid = 0

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        ex = self.sim.exchange
        with ex.lock:  # copy and subscribe atomically: every later change arrives as an event
            for t in ex.markets:
                b = ex.engine.book(t)
                self.books[t] = {"yes": dict(b.yes), "no": dict(b.no)}
            ex.subscribe(self._on_event)

    def stop(self) -> None:
        self.sim.exchange.unsubscribe(self._on_event)

    def _on_event(self, ev: ExchangeEvent) -> None:
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._dispatch, ev)

    def new_sid(self) -> int:
        self._next_sid += 1
        return self._next_sid

    def snapshot_msg(self, sub: _Sub, ticker: str) -> dict[str, Any]:
        book = self.books.get(ticker, {"yes": {}, "no": {}})
        sub.seq += 1
        return {
            "type": "orderbook_snapshot",
            "sid": sub.sid,
            "seq": sub.seq,
            "msg": {
                "market_ticker": ticker,
                "market_id": self.sim.exchange.markets[ticker].market_id,
                "yes_dollars_fp": [[fmt_price(p), fmt_count(c)] for p, c in sorted(book["yes"].items())],
                "no_dollars_fp": [[fmt_price(p), fmt_count(c)] for p, c in sorted(book["no"].items())],
            },
        }

    def ticker_msg(self, sub: _Sub, ticker: str) -> dict[str, Any]:
        book = self.books.get(ticker, {"yes": {}, "no": {}})
        ms = self.sim.exchange.markets[ticker]
        yb = max(book["yes"]) if book["yes"] else None
        nb = max(book["no"]) if book["no"] else None
        return {
            "type": "ticker",
            "sid": sub.sid,
            "msg": {
                "market_ticker": ticker,
                "market_id": ms.market_id,
                "price_dollars": fmt_price(ms.last_price) if ms.last_price is not None else None,
                "yes_bid_dollars": fmt_price(yb) if yb is not None else "0.0000",
                "yes_ask_dollars": fmt_price(ONE - nb) if nb is not None else "1.0000",
                "yes_bid_size_fp": fmt_count(book["yes"][yb]) if yb is not None else "0.00",
                "yes_ask_size_fp": fmt_count(book["no"][nb]) if nb is not None else "0.00",
                "volume_fp": fmt_count(ms.volume),
                "open_interest_fp": fmt_count(ms.open_interest),
                "ts_ms": int(self.sim.exchange.now().timestamp() * 1000),
            },
        }

    def _dispatch(self, ev: ExchangeEvent) -> None:
        faults = self.sim.faults
        if ev.kind == "delta":
            d: BookDelta = ev.payload
            side = self.books.setdefault(d.ticker, {"yes": {}, "no": {}})[d.side]
            new = side.get(d.price, ZERO) + d.delta
            if new > 0:
                side[d.price] = new
            else:
                side.pop(d.price, None)
        for conn in list(self.conns):
            for sub in list(conn.subs.values()):
                if sub.tickers is not None and ev.ticker not in sub.tickers:
                    continue
                if ev.kind == "delta" and sub.channel == "orderbook_delta":
                    d = ev.payload
                    sub.seq += 1
                    if faults.seq_gap():
                        continue  # the seq is consumed: the client sees a gap
                    conn.queue.put_nowait({
                        "type": "orderbook_delta", "sid": sub.sid, "seq": sub.seq,
                        "msg": {"market_ticker": d.ticker, "market_id": self.sim.exchange.markets[d.ticker].market_id,
                                "price_dollars": fmt_price(d.price), "delta_fp": fmt_count(d.delta),
                                "side": d.side, "ts_ms": d.ts_ms},
                    })
                elif ev.kind == "ticker" and sub.channel == "ticker":
                    conn.queue.put_nowait(self.ticker_msg(sub, ev.ticker))
                elif ev.kind == "trade" and sub.channel == "trade":
                    t = ev.payload
                    conn.queue.put_nowait({"type": "trade", "sid": sub.sid, "msg": {
                        "trade_id": t["trade_id"], "market_ticker": t["ticker"],
                        "yes_price_dollars": t["yes_price_dollars"], "no_price_dollars": t["no_price_dollars"],
                        "count_fp": t["count_fp"], "taker_side": t["taker_side"],
                        "taker_outcome_side": t["taker_outcome_side"], "taker_book_side": t["taker_book_side"],
                        "ts_ms": t["ts_ms"]}})
                elif ev.kind == "fill" and sub.channel == "fill" and ev.account == conn.account:
                    conn.queue.put_nowait({"type": "fill", "sid": sub.sid, "msg": ev.payload})
                elif ev.kind == "lifecycle" and sub.channel == "market_lifecycle_v2":
                    conn.queue.put_nowait({"type": "market_lifecycle_v2", "sid": sub.sid,
                                           "msg": {"market_ticker": ev.ticker, **ev.payload}})


# ---------------------------------------------------------------------------- the server
class Simulator:
    """The aiohttp application around an :class:`Exchange`."""

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
        self.hub = _Hub(self)
        self.replay_skipped_crossed = 0
        self._tasks: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------------ app
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app[_SIM_KEY] = self
        r = app.router
        g = r.add_get
        g(API + "/exchange/status", self.exchange_status)
        g(API + "/series", self.series_list)
        g(API + "/series/{series_ticker}", self.series_one)
        g(API + "/series/{series_ticker}/markets/{ticker}/candlesticks", self.market_candles)
        g(API + "/events", self.events_list)
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
        g(API + "/portfolio/orders/{order_id}", self.order_one)
        r.add_post(API + "/portfolio/orders/{order_id}/decrease", self.decrease_order)
        g(API + "/portfolio/orders/{order_id}/queue_position", self.queue_position)
        r.add_delete(API + "/portfolio/orders/{order_id}", self.cancel_order_legacy)
        r.add_post(API + "/portfolio/events/orders", self.create_order_v2)
        r.add_delete(API + "/portfolio/events/orders/{order_id}", self.cancel_order_v2)
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

    async def _replay_loop(self) -> None:
        assert self.replay is not None
        while not self.replay.exhausted:
            self.apply_replay_due()
            await asyncio.sleep(0.05)

    def apply_replay_due(self) -> int:
        """Apply every replayed book update due at the simulator clock. Returns how many."""
        from kalshi_edge.exchange.scenario import REPLAY_LEVEL_SIZE

        assert self.replay is not None
        n = 0
        for u in self.replay.due(self.exchange.now()):
            if u.ticker not in self.exchange.markets:
                continue
            if u.yes_bid is not None and u.no_bid is not None and u.yes_bid + u.no_bid >= ONE:
                self.replay_skipped_crossed += 1  # a crossed/locked recorded quote: not a book
                continue
            yes = [(u.yes_bid, REPLAY_LEVEL_SIZE)] if u.yes_bid is not None else []
            no = [(u.no_bid, REPLAY_LEVEL_SIZE)] if u.no_bid is not None else []
            self.exchange.set_external_book(u.ticker, yes=yes, no=no)
            n += 1
        return n

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
                request[_ACCOUNT] = self._authenticate(request, path)
                self.exchange.sweep()
            elif path == WS_PATH:
                request[_ACCOUNT] = self._authenticate(request, path, force=True)
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

    def _authenticate(self, request: web.Request, path: str, *, force: bool = False) -> str:
        if self.auth == "off":
            return self.default_account
        rel = path[len(API):] if path.startswith(API) else path
        needs = force or not rel.startswith(_PUBLIC_PREFIXES) or rel.endswith("/orderbook") or rel == "/markets/orderbooks"
        if not needs and "KALSHI-ACCESS-KEY" not in request.headers:
            return self.default_account
        assert self.keys is not None
        return self.keys.verify(request.headers, request.method, path)

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

    # ------------------------------------------------------------------ market data
    async def exchange_status(self, request: web.Request) -> web.Response:
        return web.json_response({"exchange_active": True, "trading_active": True,
                                  "exchange_estimated_resume_time": None})

    def _series_dict(self, s: dict[str, Any], include_volume: bool) -> dict[str, Any]:
        out = dict(s)
        if include_volume:
            vol = sum((m.volume for m in self.exchange.markets.values()
                       if m.spec["event_ticker"].split("-")[0] == s["ticker"]), ZERO)
            out["volume_fp"] = fmt_count(vol)
        return out

    async def series_list(self, request: web.Request) -> web.Response:
        cat = request.query.get("category")
        tags = set(_q_list(request, "tags"))
        inc = _q_bool(request, "include_volume")
        _q_bool(request, "include_product_metadata")
        _q_int(request, "min_updated_ts")
        out = [self._series_dict(s, inc) for s in self.exchange.series.values()
               if (not cat or s.get("category") == cat) and (not tags or tags & set(s.get("tags", [])))]
        return web.json_response({"series": out})

    async def series_one(self, request: web.Request) -> web.Response:
        s = self.exchange.series.get(request.match_info["series_ticker"])
        inc = _q_bool(request, "include_volume")
        if s is None:
            raise ApiError(404, "not_found", f"series {request.match_info['series_ticker']!r} not found")
        return web.json_response({"series": self._series_dict(s, inc)})

    def _event_status(self, ev: str) -> str:
        statuses = {self.exchange.filter_status(self.exchange.status_of(m))
                    for m in self.exchange.markets.values() if m.spec["event_ticker"] == ev}
        for s in ("open", "unopened", "closed", "settled"):
            if s in statuses:
                return s
        return "open"

    def _markets_of(self, ev: str) -> list[dict[str, Any]]:
        return [self.exchange.market_dict(t) for t, m in self.exchange.markets.items() if m.spec["event_ticker"] == ev]

    async def events_list(self, request: web.Request) -> web.Response:
        nested = _q_bool(request, "with_nested_markets")
        milestones = _q_bool(request, "with_milestones")
        status = request.query.get("status")
        if status and status not in ("unopened", "open", "closed", "settled"):
            raise ApiError(400, "invalid_parameters", f"status: {status!r}")
        series = request.query.get("series_ticker")
        min_close = _q_int(request, "min_close_ts")
        _q_int(request, "min_updated_ts")
        with self.exchange.lock:
            rows = []
            for ev, e in self.exchange.events.items():
                if series and e["series_ticker"] != series:
                    continue
                if status and self._event_status(ev) != status:
                    continue
                if min_close is not None:
                    closes = [m.close_time.timestamp() for m in self.exchange.markets.values() if m.spec["event_ticker"] == ev]
                    if not closes or max(closes) < min_close:
                        continue
                rows.append(ev)
            page, cursor = _paginate(rows, request, default=200, hi=200)
            events = []
            for ev in page:
                d = dict(self.exchange.events[ev])
                if nested:
                    d["markets"] = self._markets_of(ev)
                events.append(d)
        body: dict[str, Any] = {"events": events, "cursor": cursor}
        if milestones:
            body["milestones"] = []
        return web.json_response(body)

    async def event_one(self, request: web.Request) -> web.Response:
        ev = request.match_info["event_ticker"]
        nested = _q_bool(request, "with_nested_markets")
        with self.exchange.lock:
            e = self.exchange.events.get(ev)
            if e is None:
                raise ApiError(404, "not_found", f"event {ev!r} not found")
            markets = self._markets_of(ev)
            d = dict(e)
            if nested:
                d["markets"] = markets
        return web.json_response({"event": d, "markets": markets})

    async def markets_list(self, request: web.Request) -> web.Response:
        q = request.query
        status = q.get("status")
        if status and status not in ("unopened", "open", "paused", "closed", "settled"):
            raise ApiError(400, "invalid_parameters", f"status: {status!r}")
        mve = q.get("mve_filter")
        if mve and mve not in ("only", "exclude"):
            raise ApiError(400, "invalid_parameters", f"mve_filter: {mve!r}")
        tickers = set(_q_list(request, "tickers"))
        bounds = {n: _q_int(request, n) for n in ("min_created_ts", "max_created_ts", "min_updated_ts",
                                                  "max_close_ts", "min_close_ts", "min_settled_ts", "max_settled_ts")}
        with self.exchange.lock:
            rows = []
            for t, ms in self.exchange.markets.items():
                if q.get("event_ticker") and ms.spec["event_ticker"] not in q["event_ticker"].split(","):
                    continue
                if q.get("series_ticker") and ms.spec["event_ticker"].split("-")[0] != q["series_ticker"]:
                    continue
                if tickers and t not in tickers:
                    continue
                if status and self.exchange.filter_status(self.exchange.status_of(ms)) != status:
                    continue
                if mve == "only":
                    continue
                ct = ms.close_time.timestamp()
                if bounds["min_close_ts"] is not None and ct < bounds["min_close_ts"]:
                    continue
                if bounds["max_close_ts"] is not None and ct > bounds["max_close_ts"]:
                    continue
                created = _parse_iso(ms.spec["created_time"]).timestamp()
                if bounds["min_created_ts"] is not None and created < bounds["min_created_ts"]:
                    continue
                if bounds["max_created_ts"] is not None and created > bounds["max_created_ts"]:
                    continue
                if bounds["min_settled_ts"] is not None or bounds["max_settled_ts"] is not None:
                    if ms.settled_time is None:
                        continue
                    st = ms.settled_time.timestamp()
                    if (bounds["min_settled_ts"] or -math.inf) > st or st > (bounds["max_settled_ts"] or math.inf):
                        continue
                rows.append(t)
            page, cursor = _paginate(rows, request, default=100, hi=1000, lo=0)
            markets = [self.exchange.market_dict(t) for t in page]
        return web.json_response({"markets": markets, "cursor": cursor})

    async def market_one(self, request: web.Request) -> web.Response:
        return web.json_response({"market": self.exchange.market_dict(request.match_info["ticker"])})

    async def orderbook(self, request: web.Request) -> web.Response:
        depth = _q_int(request, "depth", default=0, lo=0, hi=100)
        return web.json_response({"orderbook_fp": self.exchange.book_levels(request.match_info["ticker"], depth)})

    async def orderbooks(self, request: web.Request) -> web.Response:
        tickers = _q_list(request, "tickers")
        if not tickers:
            raise ApiError(400, "invalid_parameters", "tickers: required (1..100)")
        if len(tickers) > 100:
            raise ApiError(400, "invalid_parameters", "tickers: at most 100")
        out = [{"ticker": t, "orderbook_fp": self.exchange.book_levels(t)}
               for t in dict.fromkeys(tickers) if t in self.exchange.markets]
        return web.json_response({"orderbooks": out})

    async def trades_list(self, request: web.Request) -> web.Response:
        ticker = request.query.get("ticker")
        with self.exchange.lock:
            rows = [t for t in reversed(self.exchange.trades)
                    if (not ticker or t["ticker"] == ticker) and _ts_filter(_parse_iso(t["created_time"]), request)]
            page, cursor = _paginate(rows, request, default=100, hi=1000, lo=0)
        return web.json_response({"trades": page, "cursor": cursor})

    def _candles(self, ticker: str, start: int, end: int, period_min: int) -> list[dict[str, Any]]:
        """Recorded candles of the scenario plus candles built from the simulator's own trades."""
        rec = [c for c in self.exchange.scenario.candlesticks.get(ticker, []) if start <= c["end_period_ts"] <= end]
        period = period_min * 60
        buckets: dict[int, list[dict[str, Any]]] = {}
        for t in self.exchange.trades:
            if t["ticker"] != ticker or "ts_ms" not in t:
                continue
            end_ts = int(math.ceil(t["ts_ms"] / 1000 / period) * period)
            if start <= end_ts <= end:
                buckets.setdefault(end_ts, []).append(t)
        book = self.exchange.engine.book(ticker)
        yb = fmt_price(book.yes[0][0]) if book.yes else "0.0000"
        ya = fmt_price(ONE - book.no[0][0]) if book.no else "1.0000"
        flat = {"open_dollars": yb, "low_dollars": yb, "high_dollars": yb, "close_dollars": yb}
        flat_a = {"open_dollars": ya, "low_dollars": ya, "high_dollars": ya, "close_dollars": ya}
        have = {c["end_period_ts"] for c in rec}
        for end_ts, ts in sorted(buckets.items()):
            if end_ts in have:
                continue
            prices = [Decimal(t["yes_price_dollars"]) for t in ts]
            vol = sum((Decimal(t["count_fp"]) for t in ts), ZERO)
            mean = sum((Decimal(t["yes_price_dollars"]) * Decimal(t["count_fp"]) for t in ts), ZERO) / vol
            rec.append({
                "end_period_ts": end_ts,
                # quotes at candle time are not kept: the current top of book stands in (generated)
                "yes_bid": dict(flat), "yes_ask": dict(flat_a),
                "price": {"open_dollars": fmt_price(prices[0]), "low_dollars": fmt_price(min(prices)),
                          "high_dollars": fmt_price(max(prices)), "close_dollars": fmt_price(prices[-1]),
                          "mean_dollars": fmt_price(mean.quantize(Decimal("0.0001")))},
                "volume_fp": fmt_count(vol),
                "open_interest_fp": fmt_count(self.exchange.markets[ticker].open_interest),
            })
        return sorted(rec, key=lambda c: c["end_period_ts"])

    def _candle_params(self, request: web.Request, *, strict_period: bool) -> tuple[int, int, int]:
        start = _q_int(request, "start_ts", required=True)
        end = _q_int(request, "end_ts", required=True)
        period = _q_int(request, "period_interval", required=True, lo=1)
        _q_bool(request, "include_latest_before_start")
        assert start is not None and end is not None and period is not None
        if strict_period and period not in (1, 60, 1440):
            raise ApiError(400, "invalid_parameters", "period_interval: must be 1, 60 or 1440")
        if period > 10**6:
            raise ApiError(400, "invalid_parameters", "period_interval: too large")
        return start, end, period

    async def market_candles(self, request: web.Request) -> web.Response:
        start, end, period = self._candle_params(request, strict_period=True)
        ticker = request.match_info["ticker"]
        with self.exchange.lock:
            ms = self.exchange.market(ticker)
            if ms.spec["event_ticker"].split("-")[0] != request.match_info["series_ticker"]:
                raise ApiError(404, "not_found", f"market {ticker!r} is not in series {request.match_info['series_ticker']!r}")
            candles = self._candles(ticker, start, end, period)
        return web.json_response({"ticker": ticker, "candlesticks": candles})

    async def batch_candles(self, request: web.Request) -> web.Response:
        tickers = _q_list(request, "market_tickers")
        if not tickers:
            raise ApiError(400, "invalid_parameters", "market_tickers: required")
        start, end, period = self._candle_params(request, strict_period=False)
        with self.exchange.lock:
            out = [{"market_ticker": t, "candlesticks": self._candles(t, start, end, period)}
                   for t in dict.fromkeys(tickers) if t in self.exchange.markets]
        return web.json_response({"markets": out})

    # ------------------------------------------------------------------ portfolio
    async def balance(self, request: web.Request) -> web.Response:
        _q_int(request, "subaccount")
        return web.json_response(self.exchange.balance_dict(request[_ACCOUNT]))

    async def positions(self, request: web.Request) -> web.Response:
        _q_int(request, "subaccount")
        markets, events = self.exchange.position_dicts(request[_ACCOUNT])
        ticker = request.query.get("ticker")
        ev = request.query.get("event_ticker")
        cf = set(_q_list(request, "count_filter"))
        if ticker:
            markets = [m for m in markets if m["ticker"] == ticker]
        if ev:
            markets = [m for m in markets if self.exchange.markets[m["ticker"]].spec["event_ticker"] in ev.split(",")]
            events = [e for e in events if e["event_ticker"] in ev.split(",")]
        if "position" in cf:
            markets = [m for m in markets if Decimal(m["position_fp"]) != 0]
        if "total_traded" in cf:
            markets = [m for m in markets if Decimal(m["total_traded_dollars"]) != 0]
        page, cursor = _paginate(markets, request, default=100, hi=1000)
        return web.json_response({"market_positions": page, "event_positions": events, "cursor": cursor})

    async def orders_list(self, request: web.Request) -> web.Response:
        acct = request[_ACCOUNT]
        q = request.query
        status = q.get("status")
        if status and status not in ("resting", "canceled", "executed"):
            raise ApiError(400, "invalid_parameters", f"status: {status!r}")
        _q_int(request, "subaccount")
        coid = q.get("client_order_id")
        with self.exchange.lock:
            recs = [self.exchange.orders[o] for o in reversed(self.exchange.account(acct).order_ids)]
            rows = []
            for rec in recs:
                d = self.exchange.order_dict(rec)
                if q.get("ticker") and d["ticker"] != q["ticker"]:
                    continue
                if q.get("event_ticker") and self.exchange.markets[d["ticker"]].spec["event_ticker"] not in q["event_ticker"].split(","):
                    continue
                if status and d["status"] != status:
                    continue
                if coid and d["client_order_id"] != coid:
                    continue
                if not _ts_filter(rec.created, request):
                    continue
                rows.append(d)
            page, cursor = _paginate(rows, request, default=100, hi=1000)
        return web.json_response({"orders": page, "cursor": cursor})

    async def order_one(self, request: web.Request) -> web.Response:
        rec = self.exchange.get_order(request[_ACCOUNT], request.match_info["order_id"])
        return web.json_response({"order": self.exchange.order_dict(rec)})

    async def _body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
            raise ApiError(400, "invalid_parameters", "body: not JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_parameters", "body: expected a JSON object")
        return body

    async def create_order_legacy(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        rec = self.exchange.create_order(request[_ACCOUNT], body, v2=False)
        lost = await self._maybe_lose(request)
        return lost or web.json_response({"order": self.exchange.order_dict(rec)}, status=201)

    async def create_order_v2(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        rec = self.exchange.create_order(request[_ACCOUNT], body, v2=True)
        lost = await self._maybe_lose(request)
        return lost or web.json_response(self.exchange.v2_create_dict(rec), status=201)

    async def cancel_order_legacy(self, request: web.Request) -> web.StreamResponse:
        _q_int(request, "subaccount")
        rec, reduced = self.exchange.cancel_order(request[_ACCOUNT], request.match_info["order_id"])
        lost = await self._maybe_lose(request)
        return lost or web.json_response({"order": self.exchange.order_dict(rec), "reduced_by_fp": fmt_count(reduced)})

    async def cancel_order_v2(self, request: web.Request) -> web.StreamResponse:
        rec, reduced = self.exchange.cancel_order(request[_ACCOUNT], request.match_info["order_id"])
        lost = await self._maybe_lose(request)
        return lost or web.json_response({
            "order_id": rec.state.order_id, "client_order_id": rec.state.order.client_order_id,
            "reduced_by": fmt_count(reduced), "reduced_by_fp": fmt_count(reduced),
            "order": self.exchange.order_dict(rec),
            "ts_ms": int(self.exchange.now().timestamp() * 1000)})

    async def decrease_order(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        rec = self.exchange.decrease_order(request[_ACCOUNT], request.match_info["order_id"], body)
        return web.json_response({"order": self.exchange.order_dict(rec)})

    async def queue_position(self, request: web.Request) -> web.Response:
        q = self.exchange.queue_position(request[_ACCOUNT], request.match_info["order_id"])
        return web.json_response({"queue_position_fp": fmt_count(q)})

    async def fills(self, request: web.Request) -> web.Response:
        _q_int(request, "subaccount")
        ticker = request.query.get("ticker")
        oid = request.query.get("order_id")
        with self.exchange.lock:
            rows = [f for f in reversed(self.exchange.account(request[_ACCOUNT]).fills)
                    if (not ticker or f["ticker"] == ticker) and (not oid or f["order_id"] == oid)
                    and _ts_filter(_parse_iso(f["created_time"]), request)]
            page, cursor = _paginate(rows, request, default=100, hi=1000)
        return web.json_response({"fills": page, "cursor": cursor})

    async def settlements(self, request: web.Request) -> web.Response:
        _q_int(request, "subaccount")
        ticker = request.query.get("ticker")
        ev = request.query.get("event_ticker")
        with self.exchange.lock:
            rows = [s for s in reversed(self.exchange.account(request[_ACCOUNT]).settlements)
                    if (not ticker or s["ticker"] == ticker) and (not ev or s["event_ticker"] in ev.split(","))
                    and _ts_filter(_parse_iso(s["settled_time"]), request)]
            page, cursor = _paginate(rows, request, default=100, hi=1000)
        return web.json_response({"settlements": page, "cursor": cursor})

    # ------------------------------------------------------------------ admin
    async def admin_settle(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        recs = self.exchange.settle_market(str(body.get("ticker", "")), str(body.get("result", "")),
                                           expiration_value=str(body.get("expiration_value", "")))
        return web.json_response({"settlements": recs})

    async def admin_book(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        try:
            self.exchange.set_external_book(str(body.get("ticker", "")), yes=body.get("yes_dollars", []),
                                            no=body.get("no_dollars", []))
        except ValueError as exc:
            raise ApiError(400, "invalid_parameters", str(exc)) from None
        return web.json_response({"orderbook_fp": self.exchange.book_levels(str(body["ticker"]))})

    async def admin_clock(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        try:
            secs = float(body.get("advance_seconds", 0))
        except (TypeError, ValueError):
            raise ApiError(400, "invalid_parameters", "advance_seconds: not a number") from None
        self.exchange.clock.advance(secs)
        return web.json_response({"now": iso(self.exchange.now())})

    async def admin_state(self, request: web.Request) -> web.Response:
        return web.json_response({"now": iso(self.exchange.now()), "faults_injected": self.faults.injected,
                                  "markets": len(self.exchange.markets), "ws_connections": len(self.hub.conns),
                                  "replay_skipped_crossed": self.replay_skipped_crossed})

    # ------------------------------------------------------------------ WebSocket
    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=self.ping_seconds, autoping=True)
        await ws.prepare(request)
        conn = _Conn(ws=ws, account=request[_ACCOUNT])
        self.hub.conns.add(conn)
        writer = asyncio.create_task(self._ws_writer(conn))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._ws_command(conn, msg.data)
                elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        finally:
            self.hub.conns.discard(conn)
            conn.queue.put_nowait(None)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
        return ws

    async def _ws_writer(self, conn: _Conn) -> None:
        while True:
            msg = await conn.queue.get()
            if msg is None or conn.ws.closed:
                return
            if self.faults.ws_drop():
                self.hub.conns.discard(conn)
                await conn.ws.close(code=1011, message=b"injected fault: dropped")
                return
            try:
                await conn.ws.send_str(json.dumps(msg))
            except (ConnectionError, RuntimeError):
                return

    def _ws_error(self, conn: _Conn, cid: Any, code: int, text: str) -> None:
        conn.queue.put_nowait({"id": cid, "type": "error", "msg": {"code": code, "msg": text}})

    def _ws_command(self, conn: _Conn, data: str) -> None:
        try:
            cmd = json.loads(data)
        except json.JSONDecodeError:
            self._ws_error(conn, None, 1, "Unable to process message")
            return
        if not isinstance(cmd, dict):
            self._ws_error(conn, None, 1, "Unable to process message")
            return
        cid = cmd.get("id")
        params = cmd.get("params") or {}
        name = cmd.get("cmd")
        if name == "subscribe":
            channels = params.get("channels") or []
            if not channels:
                self._ws_error(conn, cid, 3, "Channels required")
                return
            tickers = params.get("market_tickers") or ([params["market_ticker"]] if params.get("market_ticker") else None)
            for ch in channels:
                if ch not in CHANNELS:
                    self._ws_error(conn, cid, 8, f"Unknown channel name {ch!r}")
                    continue
                if ch == "orderbook_delta" and not tickers:
                    self._ws_error(conn, cid, 2, "Params required: market_tickers for orderbook_delta")
                    continue
                unknown = [t for t in tickers or [] if t not in self.exchange.markets]
                if unknown:
                    self._ws_error(conn, cid, 16, f"Market not found: {unknown[0]}")
                    continue
                sub = _Sub(sid=self.hub.new_sid(), channel=ch, tickers=set(tickers) if tickers else None)
                conn.subs[sub.sid] = sub
                conn.queue.put_nowait({"id": cid, "type": "subscribed", "msg": {"channel": ch, "sid": sub.sid}})
                if ch == "orderbook_delta":
                    for t in tickers or []:
                        conn.queue.put_nowait(self.hub.snapshot_msg(sub, t))
        elif name == "unsubscribe":
            sids = params.get("sids") or []
            if not sids:
                self._ws_error(conn, cid, 4, "Subscription IDs required")
                return
            for sid in sids:
                if conn.subs.pop(sid, None) is None:
                    self._ws_error(conn, cid, 7, f"Unknown subscription ID {sid}")
                else:
                    conn.queue.put_nowait({"id": cid, "sid": sid, "type": "unsubscribed"})
        elif name == "update_subscription":
            sids = params.get("sids") or ([params["sid"]] if params.get("sid") is not None else [])
            action = params.get("action")
            tickers = params.get("market_tickers") or ([params["market_ticker"]] if params.get("market_ticker") else [])
            if len(sids) != 1:
                self._ws_error(conn, cid, 4, "Exactly one subscription ID required")
                return
            sub = conn.subs.get(sids[0])
            if sub is None:
                self._ws_error(conn, cid, 7, f"Unknown subscription ID {sids[0]}")
                return
            unknown = [t for t in tickers if t not in self.exchange.markets]
            if unknown:
                self._ws_error(conn, cid, 16, f"Market not found: {unknown[0]}")
                return
            if action == "add_markets":
                new = [t for t in tickers if sub.tickers is None or t not in sub.tickers]
                sub.tickers = (sub.tickers or set()) | set(tickers)
                conn.queue.put_nowait({"id": cid, "sid": sub.sid, "type": "ok",
                                       "msg": {"market_tickers": sorted(sub.tickers)}})
                if sub.channel == "orderbook_delta":
                    for t in new:
                        conn.queue.put_nowait(self.hub.snapshot_msg(sub, t))
            elif action == "delete_markets":
                sub.tickers = (sub.tickers or set()) - set(tickers)
                conn.queue.put_nowait({"id": cid, "sid": sub.sid, "type": "ok",
                                       "msg": {"market_tickers": sorted(sub.tickers)}})
            elif action == "get_snapshot":
                if sub.channel != "orderbook_delta":
                    self._ws_error(conn, cid, 1, "get_snapshot is only for orderbook_delta")
                    return
                targets = tickers or sorted(sub.tickers or [])
                conn.queue.put_nowait({"id": cid, "sid": sub.sid, "type": "ok",
                                       "msg": {"market_tickers": targets}})
                for t in targets:
                    conn.queue.put_nowait(self.hub.snapshot_msg(sub, t))
            else:
                self._ws_error(conn, cid, 2, f"Params required: action {action!r} is not add_markets/delete_markets/get_snapshot")
        elif name == "list_subscriptions":
            conn.queue.put_nowait({"id": cid, "type": "ok",
                                   "msg": [{"channel": s.channel, "sid": s.sid} for s in conn.subs.values()]})
        else:
            self._ws_error(conn, cid, 5, f"Unknown command {name!r}")


# ---------------------------------------------------------------------------- running it
@dataclass
class SimulatorHandle:
    """What :func:`run_simulator_in_thread` yields."""

    base_url: str
    ws_url: str
    host: str
    port: int
    exchange: Exchange
    simulator: Simulator
    loop: asyncio.AbstractEventLoop

    @property
    def faults(self) -> FaultInjector:
        return self.simulator.faults

    def set_book(self, ticker: str, *, yes: list[tuple[Any, Any]], no: list[tuple[Any, Any]]) -> None:
        """Replace the external liquidity of ``ticker`` (streamed to WebSocket subscribers)."""
        self.exchange.set_external_book(ticker, yes=yes, no=no)

    def settle(self, ticker: str, result: str) -> list[dict[str, Any]]:
        return self.exchange.settle_market(ticker, result)

    def call(self, fn: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Run ``fn`` on the server's event loop thread and return its result."""
        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)


def build_simulator(
    *,
    scenario: Scenario | None = None,
    faults: str | FaultSpec | None = None,
    auth: str = "off",
    keys_dir: Path | None = None,
    seed: int = 0,
    clock: SimClock | ManualClock | None = None,
    replay: list[Path] | None = None,
    speed: float = 1.0,
    fee_tick: Decimal | None = None,
    ping_seconds: float = PING_SECONDS,
) -> Simulator:
    """Assemble exchange + simulator from CLI-style arguments (no server started)."""
    feed = ReplayFeed.from_files(replay) if replay else None
    if scenario is None:
        if feed is not None:
            from kalshi_edge.exchange.scenario import scenario_from_replay

            scenario = scenario_from_replay(feed)
        else:
            scenario = builtin_scenario(seed=seed)
    clk = clock or SimClock(feed.start if feed is not None and feed.start else scenario.clock_start, speed=speed)
    ex_kwargs: dict[str, Any] = {"clock": clk, "seed": seed}
    if fee_tick is not None:
        ex_kwargs["fee_tick"] = fee_tick
    exchange = Exchange(scenario, **ex_kwargs)
    spec = faults if isinstance(faults, FaultSpec) else FaultSpec.parse(faults)
    keys = KeyStore.from_dir(keys_dir) if keys_dir else None
    return Simulator(exchange, faults=FaultInjector(spec, seed=seed), auth=auth, keys=keys, replay=feed,
                     ping_seconds=ping_seconds)


@contextlib.contextmanager
def run_simulator_in_thread(
    host: str = "127.0.0.1",
    port: int = 0,
    scenario: Scenario | None = None,
    faults: str | FaultSpec | None = None,
    auth: str = "off",
    keys_dir: Path | None = None,
    seed: int = 0,
    *,
    clock: SimClock | ManualClock | None = None,
    replay: list[Path] | None = None,
    speed: float = 1.0,
    ping_seconds: float = PING_SECONDS,
    fee_tick: Decimal | None = None,
) -> Iterator[SimulatorHandle]:
    """Run the simulator on a background thread; yield a :class:`SimulatorHandle`; stop on exit.

    ``port=0`` picks a free port (read it from ``handle.port``/``handle.base_url``). ``scenario``
    defaults to the built-in one; ``clock`` defaults to real time from the scenario's
    ``clock_start`` (pass a :class:`ManualClock` for fully deterministic tests). ``faults`` is a
    ``--faults`` string; ``auth="verify"`` needs ``keys_dir`` of ``<key id>.pem`` public keys.
    ``fee_tick`` is the fee rounding tick in dollars (default $0.01, ``Settings.fee_rounding_tick``).
    """
    sim = build_simulator(scenario=scenario, faults=faults, auth=auth, keys_dir=keys_dir, seed=seed,
                          clock=clock, replay=replay, speed=speed, ping_seconds=ping_seconds,
                          fee_tick=fee_tick)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    state: dict[str, Any] = {}

    async def start() -> None:
        runner = web.AppRunner(sim.app(), handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        state["runner"] = runner
        state["port"] = runner.addresses[0][1]

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(start())
        except BaseException as exc:  # surface bind errors to the caller
            state["error"] = exc
            started.set()
            return
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="kalshi-sim", daemon=True)
    thread.start()
    started.wait(30)
    if "error" in state:
        raise state["error"]
    p = state["port"]
    handle = SimulatorHandle(base_url=f"http://{host}:{p}{API}", ws_url=f"ws://{host}:{p}{WS_PATH}", host=host,
                             port=p, exchange=sim.exchange, simulator=sim, loop=loop)
    try:
        yield handle
    finally:
        async def stop() -> None:
            await state["runner"].cleanup()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(stop(), loop).result(15)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(15)
        loop.close()


def serve(sim: Simulator, host: str, port: int) -> None:
    """Run until interrupted (the CLI)."""
    web.run_app(sim.app(), host=host, port=port, print=None, access_log=None)
