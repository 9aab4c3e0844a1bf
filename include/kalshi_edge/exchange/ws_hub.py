"""The simulator's WebSocket: the hub that publishes exchange events to connections, and the command handler."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from kalshi_edge.exchange.matching import BookDelta
from kalshi_edge.exchange.params import ACCOUNT, loads_bounded
from kalshi_edge.exchange.state import ApiError, ExchangeEvent
from kalshi_edge.kalshi.money import ONE, ZERO, fmt_count, fmt_price

if TYPE_CHECKING:
    from kalshi_edge.exchange.faults import FaultInjector
    from kalshi_edge.exchange.server import Simulator
    from kalshi_edge.exchange.state import Exchange

log = logging.getLogger(__name__)

PING_SECONDS = 10.0
CHANNELS = ("orderbook_delta", "ticker", "trade", "fill", "market_lifecycle_v2", "user_orders", "market_positions",
            "order_group_updates")
#: Private channels: only the connection's own account's events.
PRIVATE_CHANNELS = ("fill", "user_orders", "market_positions", "order_group_updates")


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


class Hub:
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
                elif ev.kind == "event_fee" and sub.channel == "market_lifecycle_v2":
                    conn.queue.put_nowait({"type": "event_fee_update", "sid": sub.sid, "msg": ev.payload})
                elif ev.kind == "order" and sub.channel == "user_orders" and ev.account == conn.account:
                    conn.queue.put_nowait({"type": "user_order", "sid": sub.sid, "msg": ev.payload})
                elif ev.kind == "position" and sub.channel == "market_positions" and ev.account == conn.account:
                    conn.queue.put_nowait({"type": "market_position", "sid": sub.sid,
                                           "msg": {"market_ticker": ev.ticker, **ev.payload}})
                elif ev.kind == "order_group" and sub.channel == "order_group_updates" and ev.account == conn.account:
                    conn.queue.put_nowait({"type": "order_group_update", "sid": sub.sid, "msg": ev.payload})
                elif ev.kind == "lifecycle" and sub.channel == "market_lifecycle_v2":
                    conn.queue.put_nowait({"type": "market_lifecycle_v2", "sid": sub.sid,
                                           "msg": {"market_ticker": ev.ticker, **ev.payload}})



def _params_problem(params: Any) -> str | None:
    """What is wrong with a command's ``params`` (types only), or None."""
    if not isinstance(params, dict):
        return "params must be an object"
    for key in ("channels", "market_tickers"):
        v = params.get(key)
        if v is not None and not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
            return f"params.{key} must be a list of strings"
    for key in ("market_ticker", "action"):
        v = params.get(key)
        if v is not None and not isinstance(v, str):
            return f"params.{key} must be a string"
    sids = params.get("sids")
    if sids is not None and not (isinstance(sids, list)
                                 and all(isinstance(x, int) and not isinstance(x, bool) for x in sids)):
        return "params.sids must be a list of integers"
    sid = params.get("sid")
    if sid is not None and (isinstance(sid, bool) or not isinstance(sid, int)):
        return "params.sid must be an integer"
    return None


class WebSocketRoutes:
    """The ``/trade-api/ws/v2`` handler and its commands (mixed into the Simulator)."""

    exchange: Exchange
    faults: FaultInjector
    hub: Hub
    ping_seconds: float

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=self.ping_seconds, autoping=True)
        await ws.prepare(request)
        conn = _Conn(ws=ws, account=request[ACCOUNT])
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
        """Parse and check one command; anything malformed gets an error frame, never a dropped socket."""
        try:
            cmd = loads_bounded(data, "command")
        except ApiError as exc:
            self._ws_error(conn, None, 1, f"Unable to process message: {exc.message}")
            return
        if not isinstance(cmd, dict):
            self._ws_error(conn, None, 1, "Unable to process message: expected a JSON object")
            return
        cid = cmd.get("id")
        if cid is not None and (isinstance(cid, bool) or not isinstance(cid, int)):
            self._ws_error(conn, None, 1, "Unable to process message: id must be an integer")
            return
        params = cmd.get("params") or {}
        problem = _params_problem(params)
        if problem:
            self._ws_error(conn, cid, 1, f"Unable to process message: {problem}")
            return
        try:
            self._ws_dispatch(conn, cid, cmd.get("cmd"), params)
        except Exception as exc:  # a command the checks above did not foresee: answer, keep the socket
            log.warning("websocket command %r failed: %s", cmd.get("cmd"), exc)
            self._ws_error(conn, cid, 1, "Unable to process message")

    def _ws_dispatch(self, conn: _Conn, cid: int | None, name: Any, params: dict[str, Any]) -> None:
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

