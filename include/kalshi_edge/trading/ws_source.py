"""A market source fed by the WebSocket order books (``orderbook_delta``), for near-real-time quotes.

The :class:`~kalshi_edge.kalshi.ws.KalshiWsClient` runs on its own event loop in a background
thread; it keeps only books known to be in sync (a ``seq`` gap drops a market's book until its
snapshot arrives; a disconnect drops all of them until the reconnect's snapshots). This source
therefore returns a market **only while its streamed book is in sync**: a market whose stream
broke simply has no quote, and the gates cannot trade it. Market metadata (event, close time)
comes once from REST. Quotes are stamped with the session clock at read time, since an in-sync
streamed book is current by construction.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime
from typing import Any

from kalshi_edge.trading.strategy import MarketSnapshot


class WsMarketSource:
    """Callable ``source(now) -> list[MarketSnapshot]``; :meth:`close` stops the stream."""

    def __init__(self, ws_url: str, rest_client: Any, *, ws_client: Any = None, ready_timeout: float = 10.0) -> None:
        from kalshi_edge.kalshi.ws import KalshiWsClient

        self.meta = {m.ticker: m for m in rest_client.iter_markets(status="open")}
        self._loop = asyncio.new_event_loop()
        self.client = ws_client or KalshiWsClient(ws_url)
        self._thread = threading.Thread(target=self._run, name="ke-ws-source", daemon=True)
        self._task: asyncio.Future | None = None
        self._thread.start()
        self._call(self._start(), timeout=ready_timeout)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def _call(self, coro: Any, timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _start(self) -> None:
        self._task = asyncio.ensure_future(self.client.run())
        await asyncio.wait_for(self.client.connected.wait(), 10)
        await self.client.subscribe(["orderbook_delta"], sorted(self.meta))
        await self.client.wait_for(lambda: bool(self.client.books), 10)

    async def _snapshot(self, now: datetime) -> list[MarketSnapshot]:
        out = []
        for t, book in list(self.client.books.items()):  # read on the client's own loop: no race
            m = self.meta.get(t)
            if m is None:
                continue
            out.append(MarketSnapshot(
                ticker=t, yes_bid=book.best_yes_bid, yes_ask=book.best_yes_ask, quote_ts=now,
                close_time=m.close_time, event_ticker=m.event_ticker or "", status="active", terms=m,
            ))
        return out

    def __call__(self, now: datetime) -> list[MarketSnapshot]:
        if not self.client.connected.is_set():
            return []  # disconnected: no quote is trustworthy
        return self._call(self._snapshot(now))

    @property
    def stats(self) -> dict[str, int]:
        k = self.client.keeper
        return {"connects": self.client.connects, "frames": self.client.frames, "snapshots": k.snapshots,
                "deltas": k.deltas_applied, "gaps": k.gaps_detected}

    def close(self) -> None:
        try:
            self._call(self.client.stop(), timeout=5)
            if self._task is not None:
                self._call(asyncio.wait_for(asyncio.shield(self._task), 5), timeout=6)
        except Exception:  # noqa: BLE001 - closing a dead stream is fine
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

