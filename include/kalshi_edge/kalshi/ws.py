"""Kalshi WebSocket client (asyncio, ``websockets``) and the order-book keeper behind it.

Two layers:

* :class:`BookKeeper` — pure and synchronous: feed it decoded messages in order; it keeps one
  :class:`~kalshi_edge.kalshi.models.OrderBook` per market from ``orderbook_snapshot`` +
  ``orderbook_delta``, checks ``seq`` per ``sid`` (+1 each message), and on a gap, a reset or a
  delta that would drive a level negative it **drops** the affected books and returns a
  :class:`Resnapshot` action (the caller sends ``update_subscription`` ``get_snapshot``; REST is
  edge-cached and too stale for recovery). Used by the live client, journal replay and the bench.
* :class:`KalshiWsClient` — the connection: signed handshake headers (``ts + "GET" +
  "/trade-api/ws/v2"``), ``subscribe`` / ``unsubscribe`` / ``update_subscription``, reconnect
  with exponential backoff + jitter and resubscribe, every raw frame journalled with its receive
  time, and ``ticker`` / ``trade`` / ``fill`` / ``market_lifecycle_v2`` messages decoded to the
  domain model and handed to callbacks. Pongs are answered by ``websockets`` itself. Since 3.3x
  also: ``user_orders`` (handler ``"user_order"``, an ``Order``), ``market_positions``
  (``"market_position"``, a ``Position``), ``order_group_updates`` (``"order_group_update"``) and
  ``event_fee_update`` (also when it arrives on ``market_lifecycle_v2``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kalshi_edge.kalshi.auth import PrivateKey, auth_headers, load_private_key
from kalshi_edge.kalshi.errors import AuthError, KalshiError, KalshiSchemaError
from kalshi_edge.kalshi.journal import Journal, replay
from kalshi_edge.kalshi.models import OrderBook, parse_fill, parse_order, parse_position, parse_trade
from kalshi_edge.kalshi.models_334 import decode_event_fee_update, decode_order_group_update

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------
# decoded messages


@dataclass(frozen=True, slots=True)
class TickerUpdate:
    """A ``ticker`` message: top of book and last price (dollars), volumes (contracts)."""

    market_ticker: str
    yes_bid: Decimal | None
    yes_ask: Decimal | None
    last_price: Decimal | None
    volume: Decimal | None
    open_interest: Decimal | None
    ts_ms: int | None


@dataclass(frozen=True, slots=True)
class LifecycleEvent:
    """A ``market_lifecycle_v2`` message (created/activated/deactivated/determined/settled/...)."""

    market_ticker: str
    event_type: str
    result: str | None
    raw: Mapping[str, Any] = field(compare=False)


def _dec(v: Any) -> Decimal | None:
    if v in (None, ""):
        return None
    try:
        return Decimal(str(v))
    except Exception:
        raise KalshiSchemaError(f"ticker message: {v!r} is not a number") from None


def decode_ticker(m: Mapping[str, Any]) -> TickerUpdate:
    t = m.get("market_ticker")
    if not t:
        raise KalshiSchemaError("ticker.msg.market_ticker: missing")
    return TickerUpdate(
        market_ticker=t,
        yes_bid=_dec(m.get("yes_bid_dollars")),
        yes_ask=_dec(m.get("yes_ask_dollars")),
        last_price=_dec(m.get("price_dollars")),
        volume=_dec(m.get("volume_fp")),
        open_interest=_dec(m.get("open_interest_fp")),
        ts_ms=m.get("ts_ms"),
    )


def decode_lifecycle(m: Mapping[str, Any]) -> LifecycleEvent:
    t = m.get("market_ticker")
    if not t:
        raise KalshiSchemaError("market_lifecycle_v2.msg.market_ticker: missing")
    return LifecycleEvent(market_ticker=t, event_type=str(m.get("event_type") or ""), result=m.get("result"), raw=m)


# ---------------------------------------------------------------------------------------------
# the book keeper


@dataclass(frozen=True, slots=True)
class Resnapshot:
    """Ask the server for fresh snapshots of ``tickers`` on subscription ``sid``."""

    sid: int
    tickers: tuple[str, ...]
    reason: str


@dataclass(slots=True)
class _SidState:
    last_seq: int | None = None
    tickers: set[str] = field(default_factory=set)
    #: True between a detected gap and the first snapshot that answers our get_snapshot.
    resyncing: bool = False
    awaiting: set[str] = field(default_factory=set)


class BookKeeper:
    """Local order books from a stream of decoded WebSocket messages, with ``seq`` checking.

    ``process(msg)`` returns a (usually empty) list of :class:`Resnapshot` actions. Books of a
    subscription with a gap are removed from :attr:`books` until their snapshot arrives, so a
    reader never sees a book we know to be wrong.
    """

    def __init__(self) -> None:
        self.books: dict[str, OrderBook] = {}
        self._sids: dict[int, _SidState] = {}
        self.snapshots = 0
        self.deltas_applied = 0
        self.gaps_detected = 0

    def reset(self) -> None:
        """Forget everything (after a reconnect: sids are per connection)."""
        self.books.clear()
        self._sids.clear()

    def track(self, sid: int, tickers: Iterable[str]) -> None:
        """Record which markets a subscription covers (so a gap knows what to resnapshot)."""
        self._sids.setdefault(sid, _SidState()).tickers.update(tickers)

    def last_seq(self, sid: int) -> int | None:
        """The last ``seq`` accepted on ``sid`` (None before a snapshot or while resyncing)."""
        st = self._sids.get(sid)
        return None if st is None else st.last_seq

    def in_sync(self, sid: int) -> bool:
        st = self._sids.get(sid)
        return st is not None and not st.resyncing and st.last_seq is not None

    def forget(self, sid: int) -> None:
        st = self._sids.pop(sid, None)
        if st:
            for t in st.tickers:
                self.books.pop(t, None)

    def drop(self, sid: int, reason: str) -> list[Resnapshot]:
        """Drop ``sid``'s books on purpose (not a detected gap) and mark them awaiting snapshots."""
        st = self._sids.get(sid)
        return [] if st is None else self._gap(sid, st, reason, count=False)

    def _gap(self, sid: int, st: _SidState, reason: str, *, count: bool = True) -> list[Resnapshot]:
        if count:
            self.gaps_detected += 1
        for t in st.tickers:
            self.books.pop(t, None)
        if st.resyncing and st.last_seq is None:
            return []  # a get_snapshot is already on its way
        st.resyncing = True
        st.awaiting = set(st.tickers)
        st.last_seq = None
        log.warning("ws sid %s: %s; dropping %d book(s) and asking for snapshots", sid, reason, len(st.tickers))
        return [Resnapshot(sid, tuple(sorted(st.tickers)), reason)]

    def process(self, msg: Mapping[str, Any]) -> list[Resnapshot]:
        typ = msg.get("type")
        if typ == "orderbook_delta":
            # fast path (the overwhelming majority of messages): in-sync sid, next seq, known book
            sid, seq, body = msg.get("sid"), msg.get("seq"), msg.get("msg")
            st = self._sids.get(sid)  # type: ignore[arg-type]
            if (st is not None and not st.resyncing and type(seq) is int and st.last_seq is not None
                    and seq == st.last_seq + 1 and type(body) is dict):
                book = self.books.get(body.get("market_ticker"))  # type: ignore[arg-type]
                if book is not None:
                    try:
                        book.apply_delta(body["side"], body["price_dollars"], body["delta_fp"], body.get("ts_ms"))
                    except KeyError:
                        pass  # fall through to the slow path, which names the missing field
                    except (KalshiSchemaError, ArithmeticError) as exc:
                        st.last_seq = seq
                        return self._gap(sid, st, f"bad delta ({exc})")  # type: ignore[arg-type]
                    else:
                        st.last_seq = seq
                        self.deltas_applied += 1
                        return []
            return self._delta(msg)
        if typ == "orderbook_snapshot":
            return self._snapshot(msg)
        return []

    def _snapshot(self, msg: Mapping[str, Any]) -> list[Resnapshot]:
        sid, seq, body = msg.get("sid"), msg.get("seq"), msg.get("msg") or {}
        if not isinstance(sid, int) or not isinstance(seq, int):
            raise KalshiSchemaError(f"orderbook_snapshot: sid/seq missing in {str(msg)[:120]}")
        st = self._sids.setdefault(sid, _SidState())
        book = OrderBook.from_ws_snapshot(body)
        if st.resyncing:
            if st.last_seq is not None and seq != st.last_seq + 1:
                return self._gap(sid, st, f"seq {seq} after {st.last_seq} during resync")
            st.last_seq = seq
            st.awaiting.discard(book.ticker)
            if not st.awaiting:
                st.resyncing = False
        else:
            if st.last_seq is not None and seq != st.last_seq + 1:
                # the snapshot itself is complete, but messages for the sid's other books were lost
                st.tickers.add(book.ticker)
                actions = self._gap(sid, st, f"seq gap: got {seq} after {st.last_seq}")
                return actions
            st.last_seq = seq
        st.tickers.add(book.ticker)
        self.books[book.ticker] = book
        self.snapshots += 1
        return []

    def _delta(self, msg: Mapping[str, Any]) -> list[Resnapshot]:
        sid, seq, body = msg.get("sid"), msg.get("seq"), msg.get("msg")
        if not isinstance(sid, int) or not isinstance(seq, int) or not isinstance(body, Mapping):
            raise KalshiSchemaError(f"orderbook_delta: sid/seq/msg missing in {str(msg)[:120]}")
        st = self._sids.get(sid)
        if st is None:
            st = self._sids[sid] = _SidState()
            ticker = body.get("market_ticker")
            if ticker:
                st.tickers.add(ticker)
            return self._gap(sid, st, "delta before any snapshot")
        if st.resyncing and st.last_seq is None:
            return []  # stale deltas queued before our snapshots: ignore
        if st.last_seq is None or seq != st.last_seq + 1:
            return self._gap(sid, st, f"seq gap: got {seq} after {st.last_seq}")
        st.last_seq = seq
        ticker = body.get("market_ticker")
        if ticker in st.awaiting:
            return []
        book = self.books.get(ticker)  # type: ignore[arg-type]
        if book is None:
            st.tickers.add(ticker)  # type: ignore[arg-type]
            return self._gap(sid, st, f"delta for {ticker} without a snapshot")
        try:
            book.apply_delta(body["side"], body["price_dollars"], body["delta_fp"], body.get("ts_ms"))
        except KeyError as exc:
            raise KalshiSchemaError(f"orderbook_delta[{ticker}].{exc.args[0]}: missing") from None
        except (KalshiSchemaError, ArithmeticError) as exc:
            return self._gap(sid, st, f"bad delta ({exc})")
        self.deltas_applied += 1
        return []


def rebuild_books(journal_path: Path | str) -> BookKeeper:
    """Replay a journal's received frames through a fresh :class:`BookKeeper` (offline)."""
    keeper = BookKeeper()
    for entry in replay(journal_path):
        try:
            msg = json.loads(entry.frame)
        except ValueError:
            continue
        if isinstance(msg, dict):
            keeper.process(msg)
    return keeper


# ---------------------------------------------------------------------------------------------
# the connection


@dataclass(slots=True)
class Subscription:
    """What we asked for; survives reconnects (``sids`` are re-learned each connection)."""

    channels: tuple[str, ...]
    market_tickers: tuple[str, ...] | None
    params: dict[str, Any]
    sids: dict[str, int] = field(default_factory=dict)  # channel -> sid on the current connection


Handler = Callable[[Any], Awaitable[None] | None]


class KalshiWsClient:
    """An auto-reconnecting Kalshi WebSocket session. Run :meth:`run` as a task; :meth:`stop` ends it.

    ``books`` always holds only books known to be in sync. ``on(kind, handler)`` registers a
    callback for ``"ticker"`` (TickerUpdate), ``"trade"`` (Trade), ``"fill"`` (Fill),
    ``"lifecycle"`` (LifecycleEvent), ``"book"`` (ticker str, after each book change),
    ``"error"`` (the raw error msg) and ``"raw"`` (every decoded message).
    """

    def __init__(
        self,
        url: str,
        *,
        key_id: str | None = None,
        private_key: PrivateKey | None = None,
        journal: Journal | None = None,
        backoff_base: float = 0.25,
        backoff_max: float = 10.0,
        rng: random.Random | None = None,
        open_timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.key_id = key_id
        self.private_key = private_key
        self.journal = journal
        self.keeper = BookKeeper()
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.open_timeout = open_timeout
        self._rng = rng or random.Random()
        self._ids = itertools.count(1)
        self._pending: dict[int, Subscription] = {}
        self._subs: list[Subscription] = []
        self._handlers: dict[str, list[Handler]] = {}
        self._ws: Any = None
        self._stopping = False
        self.connected = asyncio.Event()
        self.connects = 0
        self.frames = 0
        #: command id -> its ``ok``/``unsubscribed``/``error`` reply (current connection)
        self.replies: dict[int, dict[str, Any]] = {}

    @classmethod
    def from_settings(cls, settings: Any, *, url: str | None = None, **kw: Any) -> KalshiWsClient:
        key = None
        if settings.kalshi_key_id and settings.kalshi_private_key_path:
            key = load_private_key(settings.kalshi_private_key_path)
        return cls(url or settings.ws_url, key_id=settings.kalshi_key_id, private_key=key, **kw)

    @property
    def books(self) -> dict[str, OrderBook]:
        return self.keeper.books

    def on(self, kind: str, handler: Handler) -> None:
        self._handlers.setdefault(kind, []).append(handler)

    async def _emit(self, kind: str, payload: Any) -> None:
        for h in self._handlers.get(kind, ()):
            r = h(payload)
            if asyncio.iscoroutine(r):
                await r

    def handshake_headers(self) -> dict[str, str]:
        """Signed headers for the HTTP upgrade (fresh timestamp each connection)."""
        if not self.key_id or self.private_key is None:
            return {}
        return auth_headers(self.key_id, self.private_key, "GET", urlsplit(self.url).path)

    # -- commands ---------------------------------------------------------------------------
    async def _send(self, cmd: dict[str, Any]) -> int:
        cid = next(self._ids)
        cmd = {"id": cid, **cmd}
        text = json.dumps(cmd)
        if self.journal is not None:
            self.journal.append(text, direction="out")
        if self._ws is not None:
            await self._ws.send(text)
        return cid

    async def _send_subscribe(self, sub: Subscription) -> None:
        params: dict[str, Any] = {"channels": list(sub.channels), **sub.params}
        if sub.market_tickers:
            params["market_tickers"] = list(sub.market_tickers)
        sub.sids.clear()
        cid = await self._send({"cmd": "subscribe", "params": params})
        self._pending[cid] = sub

    async def subscribe(
        self, channels: Iterable[str], market_tickers: Iterable[str] | None = None, **params: Any
    ) -> Subscription:
        """Subscribe now (if connected) and after every reconnect.

        For ``orderbook_delta`` we set ``use_yes_price`` explicitly unless given (its default is
        being flipped by Kalshi).
        """
        chans = tuple(channels)
        if "orderbook_delta" in chans:
            params.setdefault("use_yes_price", True)
        sub = Subscription(chans, tuple(market_tickers) if market_tickers else None, params)
        self._subs.append(sub)
        if self._ws is not None:
            await self._send_subscribe(sub)
        return sub

    async def unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)
        sids = list(sub.sids.values())
        for sid in sids:
            self.keeper.forget(sid)
        if sids and self._ws is not None:
            await self._send({"cmd": "unsubscribe", "params": {"sids": sids}})

    async def update_subscription(self, sub: Subscription, action: str, market_tickers: Iterable[str]) -> None:
        """``add_markets`` | ``delete_markets`` | ``get_snapshot`` on every sid of ``sub``."""
        tickers = list(market_tickers)
        if action == "add_markets":
            sub.market_tickers = tuple(dict.fromkeys((sub.market_tickers or ()) + tuple(tickers)))
        elif action == "delete_markets":
            sub.market_tickers = tuple(t for t in sub.market_tickers or () if t not in tickers)
        for ch, sid in sub.sids.items():
            if ch == "orderbook_delta" and action == "add_markets":
                self.keeper.track(sid, tickers)
            if self._ws is not None:
                await self._send({"cmd": "update_subscription",
                                  "params": {"sids": [sid], "market_tickers": tickers, "action": action}})

    async def list_subscriptions(self) -> int:
        """Send ``list_subscriptions``; returns the command id (its ``ok`` reply is in :attr:`replies`).

        The server answers after everything it queued before, so the reply doubles as a barrier.
        """
        return await self._send({"cmd": "list_subscriptions"})

    async def resnapshot(self, sub: Subscription) -> None:
        """Drop ``sub``'s books and ask for fresh snapshots (e.g. when a trailing gap is suspected)."""
        for ch, sid in sub.sids.items():
            if ch != "orderbook_delta":
                continue
            actions = self.keeper.drop(sid, "resnapshot requested")
            tickers = list(actions[0].tickers) if actions else list(sub.market_tickers or ())
            if self._ws is not None:
                await self._send({"cmd": "update_subscription",
                                  "params": {"sids": [sid], "market_tickers": tickers, "action": "get_snapshot"}})

    # -- receiving ----------------------------------------------------------------------------
    async def _on_frame(self, raw: str | bytes) -> None:
        self.frames += 1
        if self.journal is not None:
            self.journal.append(raw)
        try:
            msg = json.loads(raw)
        except ValueError:
            log.warning("ws: undecodable frame %r", raw[:100])
            return
        if not isinstance(msg, dict):
            return
        await self._emit("raw", msg)
        typ = msg.get("type")
        if msg.get("id") is not None and typ in ("ok", "unsubscribed", "error"):
            self.replies[msg["id"]] = msg
        body = msg.get("msg") or {}
        if typ in ("orderbook_snapshot", "orderbook_delta"):
            for action in self.keeper.process(msg):
                if self._ws is not None:
                    await self._send({"cmd": "update_subscription", "params": {
                        "sids": [action.sid], "market_tickers": list(action.tickers), "action": "get_snapshot"}})
            t = body.get("market_ticker")
            if t in self.keeper.books:
                await self._emit("book", t)
        elif typ == "subscribed":
            sub = self._pending.get(msg.get("id"))  # type: ignore[arg-type]
            if sub is not None:
                ch, sid = body.get("channel"), body.get("sid")
                sub.sids[ch] = sid
                if ch == "orderbook_delta" and sub.market_tickers:
                    self.keeper.track(sid, sub.market_tickers)
        elif typ == "ticker":
            await self._emit("ticker", decode_ticker(body))
        elif typ == "trade":
            await self._emit("trade", parse_trade(body))
        elif typ == "fill":
            await self._emit("fill", parse_fill(body))
        elif typ == "market_lifecycle_v2":
            await self._emit("lifecycle", decode_lifecycle(body))
            if body.get("event_type") in ("event_fee_update", "fee_updated") and body.get("event_ticker"):
                await self._emit("event_fee_update", decode_event_fee_update(body))
        elif typ == "user_order":
            await self._emit("user_order", parse_order(body))
        elif typ == "market_position":
            await self._emit("market_position", parse_position({"ticker": body.get("market_ticker"), **body}))
        elif typ == "order_group_update":
            await self._emit("order_group_update", decode_order_group_update(body))
        elif typ == "event_fee_update":
            await self._emit("event_fee_update", decode_event_fee_update(body))
        elif typ == "error":
            log.warning("ws error: %s", body)
            await self._emit("error", body)
            if body.get("code") == 25:  # buffer overflow is terminal for the connection
                if self._ws is not None:
                    await self._ws.close()

    # -- the loop -----------------------------------------------------------------------------
    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * (2**attempt))
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    async def run(self, *, max_reconnects: int | None = None) -> None:
        """Connect, subscribe, read; reconnect with backoff until :meth:`stop` (or too many tries)."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidStatus

        attempt = 0
        while not self._stopping:
            try:
                async with connect(self.url, additional_headers=self.handshake_headers(),
                                   open_timeout=self.open_timeout, max_size=2**24, proxy=None) as ws:
                    self._ws = ws
                    self.connects += 1
                    attempt = 0
                    self.keeper.reset()
                    self._pending.clear()
                    for sub in self._subs:
                        await self._send_subscribe(sub)
                    self.connected.set()
                    async for raw in ws:
                        await self._on_frame(raw)
            except InvalidStatus as exc:
                status = exc.response.status_code
                if status in (401, 403):
                    raise AuthError(f"websocket {self.url}: HTTP {status} on upgrade (check key id and key)") from None
                log.warning("ws: upgrade refused with HTTP %s", status)
            except (ConnectionClosed, OSError, TimeoutError) as exc:
                log.info("ws: connection lost (%s)", exc.__class__.__name__)
            finally:
                self._ws = None
                self.connected.clear()
                # sids die with the connection: nothing we hold can be trusted any more
                self.keeper.reset()
            if self._stopping:
                break
            attempt += 1
            if max_reconnects is not None and attempt > max_reconnects:
                raise KalshiError(f"websocket {self.url}: gave up after {max_reconnects} reconnects")
            await asyncio.sleep(self._backoff(attempt - 1))

    async def stop(self) -> None:
        self._stopping = True
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0, poll: float = 0.01) -> bool:
        """Poll ``predicate`` until true or ``timeout`` seconds (for tests and demos)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while loop.time() < end:
            if predicate():
                return True
            await asyncio.sleep(poll)
        return predicate()


class FillStream:
    """Own fills pushed over the WebSocket ``fill`` channel, for synchronous code (a broker, a session).

    Runs a :class:`KalshiWsClient` on a daemon thread; fills land in a thread-safe queue.
    :meth:`drain` returns them with ``complete``: True only when the socket stayed connected and
    subscribed since the previous drain, so nothing can have been missed. When it is False the
    caller polls ``GET /portfolio/fills`` once (the fallback, as for reconcile).
    """

    def __init__(self, client: KalshiWsClient, *, max_reconnects: int | None = None) -> None:
        import collections
        import threading

        self.client = client
        self.max_reconnects = max_reconnects
        self._queue: collections.deque[Any] = collections.deque()
        self._sub: Subscription | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._connects_at_drain = -1
        self.error: BaseException | None = None
        client.on("fill", self._queue.append)

    @property
    def healthy(self) -> bool:
        """Connected now, with the ``fill`` subscription confirmed on this connection."""
        return (self.client.connected.is_set() and self._sub is not None and "fill" in self._sub.sids
                and self.error is None)

    def start(self, timeout: float = 10.0) -> FillStream:
        """Connect and subscribe; returns once the subscription is confirmed (or ``timeout``)."""
        import threading
        import time

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)

            async def main() -> None:
                self._sub = await self.client.subscribe(["fill"])
                self._started.set()
                await self.client.run(max_reconnects=self.max_reconnects)

            try:
                loop.run_until_complete(main())
            except BaseException as exc:  # surfaced through .healthy/.error; polling takes over
                self.error = exc
            finally:
                self._started.set()
                loop.close()

        self._thread = threading.Thread(target=run, name="kalshi-fill-stream", daemon=True)
        self._thread.start()
        self._started.wait(timeout)
        end = time.monotonic() + timeout
        while time.monotonic() < end and not self.healthy and self.error is None:
            time.sleep(0.01)
        self._connects_at_drain = self.client.connects if self.healthy else -1
        return self

    def sync(self, timeout: float = 2.0) -> bool:
        """A barrier: True once every fill the server queued before now is in the queue.

        Sends ``list_subscriptions`` and waits for its ``ok`` reply: the server answers after
        everything it queued before on this connection (the simulator does; on Kalshi it is the
        best order the socket offers), so a fill of an order whose REST answer already came back is
        drained by the next :meth:`drain`. False when the socket is down, drops while waiting, or
        the reply does not come within ``timeout`` seconds: the caller then polls REST.
        """
        import time

        loop = self._loop
        if loop is None or loop.is_closed() or not self.healthy:
            return False
        connects = self.client.connects
        try:
            cid = asyncio.run_coroutine_threadsafe(self.client.list_subscriptions(), loop).result(timeout)
        except Exception:  # noqa: BLE001 - the loop ended or the send failed: not synced
            return False
        end = time.monotonic() + timeout
        while cid not in self.client.replies:
            if time.monotonic() >= end or self.client.connects != connects or not self.healthy:
                return False
            time.sleep(0.002)
        self.client.replies.pop(cid, None)
        return self.client.connects == connects

    def drain(self) -> tuple[list[Any], bool]:
        """(fills received since the last drain, complete?)."""
        out = []
        while self._queue:
            out.append(self._queue.popleft())
        healthy = self.healthy
        complete = healthy and self.client.connects == self._connects_at_drain
        self._connects_at_drain = self.client.connects if healthy else -1
        return out, complete

    def stop(self, timeout: float = 5.0) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the run loop ends with the socket; join the thread
                asyncio.run_coroutine_threadsafe(self.client.stop(), loop)
        if self._thread is not None:
            self._thread.join(timeout)
