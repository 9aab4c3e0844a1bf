"""Coinbase Exchange public market data: REST candles (backfill) and the WebSocket ticker (live).

REST: ``GET {base}/products/{product}/candles?granularity=60&start=ISO&end=ISO`` returns at most
300 candles per request as arrays ``[time, low, high, open, close, volume]`` (``time`` = bucket
start, Unix seconds), newest first; buckets without trades are absent. :func:`fetch_candles`
pages through any range in windows of at most 300 buckets, with a client-side rate limit
(public endpoints allow ~10 requests/s) and retries with backoff on 429/5xx.

WebSocket: ``wss://ws-feed.exchange.coinbase.com``, send
``{"type": "subscribe", "product_ids": ["BTC-USD"], "channels": ["ticker"]}``; each ``ticker``
message carries ``price, best_bid, best_ask, last_size, trade_id, sequence, time``.
:func:`record_ticker` records them for a bounded time or count.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd

REST_BASE = "https://api.exchange.coinbase.com"
WS_URL = "wss://ws-feed.exchange.coinbase.com"
MAX_CANDLES = 300
GRANULARITIES = (60, 300, 900, 3600, 21600, 86400)


class CoinbaseError(RuntimeError):
    """A Coinbase request failed permanently (message names the URL and status)."""


@dataclass
class RateLimiter:
    """At most ``rate`` calls per second (sleeps between calls); ``clock``/``sleep`` injectable for tests."""

    rate: float = 8.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _last: float = float("-inf")

    def wait(self) -> None:
        gap = 1.0 / self.rate
        now = self.clock()
        if now - self._last < gap:
            self.sleep(gap - (now - self._last))
            now = self.clock()
        self._last = now


def _windows(start: datetime, end: datetime, granularity: int) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) split into windows of <= 300 buckets (Coinbase's ``end`` is inclusive: use end - 1 s)."""
    step = timedelta(seconds=granularity * MAX_CANDLES)
    t = start
    while t < end:
        u = min(t + step, end)
        yield t, u
        t = u


def _get_json(url: str, *, timeout: float, retries: int, limiter: RateLimiter) -> object:
    delay = 0.5
    for attempt in range(retries + 1):
        limiter.wait()
        req = urllib.request.Request(url, headers={"User-Agent": "kalshi-edge/0.1", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - https/http only, built here
                return json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            if exc.code in (429, 500, 502, 503, 504) and attempt < retries:
                limiter.sleep(delay)
                delay *= 2
                continue
            raise CoinbaseError(f"GET {url}: HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError) as exc:
            if attempt < retries:
                limiter.sleep(delay)
                delay *= 2
                continue
            raise CoinbaseError(f"GET {url}: {exc}") from None
    raise CoinbaseError(f"GET {url}: retries exhausted")  # pragma: no cover


def fetch_candles(
    start: datetime,
    end: datetime,
    *,
    product: str = "BTC-USD",
    granularity: int = 60,
    base_url: str = REST_BASE,
    limiter: RateLimiter | None = None,
    timeout: float = 10.0,
    retries: int = 3,
    on_page: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Candles with bucket start in ``[start, end)`` as a frame in the documented bars layout.

    Columns ``ts`` (UTC), ``open, high, low, close, volume``, sorted, unique. Raises
    :class:`CoinbaseError` on a malformed payload (naming the URL and the element).
    """
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity {granularity} not one of {GRANULARITIES}")
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    lim = limiter or RateLimiter()
    rows: list[list[float]] = []
    for a, b in _windows(start, end, granularity):
        q = urllib.parse.urlencode(
            {
                "granularity": granularity,
                "start": a.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "end": (b - timedelta(seconds=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
        url = f"{base_url.rstrip('/')}/products/{product}/candles?{q}"
        payload = _get_json(url, timeout=timeout, retries=retries, limiter=lim)
        if not isinstance(payload, list):
            raise CoinbaseError(f"GET {url}: expected a JSON array, got {type(payload).__name__}")
        for i, c in enumerate(payload):
            if not isinstance(c, list) or len(c) < 6:
                raise CoinbaseError(f"GET {url}: element {i} is not [time, low, high, open, close, volume]: {c!r}")
            rows.append([float(x) for x in c[:6]])
        if on_page:
            on_page(1)
    df = pd.DataFrame(rows, columns=["time", "low", "high", "open", "close", "volume"])
    df["ts"] = pd.to_datetime(df["time"].astype("int64"), unit="s", utc=True).dt.as_unit("ns")
    lo, hi = pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC")
    df = df[(df["ts"] >= lo) & (df["ts"] < hi)]  # Coinbase may return buckets before `start`
    df = df.sort_values("ts").drop_duplicates("ts").reset_index(drop=True)
    return df[["ts", "open", "high", "low", "close", "volume"]]


# ----------------------------------------------------------------------------------------------
# WebSocket ticker


def parse_ticker(msg: dict, received: datetime) -> dict | None:
    """One ``ticker`` message -> a ``btc_ticks`` row (None for other message types)."""
    if msg.get("type") != "ticker":
        return None

    def f(k: str) -> float | None:
        v = msg.get(k)
        return None if v in (None, "") else float(v)

    ts = pd.Timestamp(msg["time"]).tz_convert("UTC") if msg.get("time") else pd.Timestamp(received)
    return {
        "ts": ts,
        "product_id": msg.get("product_id", ""),
        "sequence": int(msg.get("sequence", 0)),
        "price": f("price"),
        "best_bid": f("best_bid"),
        "best_ask": f("best_ask"),
        "last_size": f("last_size"),
        "trade_id": int(msg["trade_id"]) if msg.get("trade_id") is not None else None,
        "received_ts": pd.Timestamp(received),
        "date": ts.strftime("%Y-%m-%d"),
    }


async def record_ticker(
    *,
    url: str = WS_URL,
    product_ids: tuple[str, ...] = ("BTC-USD",),
    max_messages: int | None = None,
    duration_s: float | None = None,
    open_timeout: float = 10.0,
) -> list[dict]:
    """Subscribe to the ticker channel and collect rows until ``max_messages`` or ``duration_s``."""
    import websockets

    if max_messages is None and duration_s is None:
        raise ValueError("give max_messages or duration_s (the recorder must stop)")
    rows: list[dict] = []
    deadline = None if duration_s is None else time.monotonic() + duration_s
    async with websockets.connect(url, open_timeout=open_timeout) as ws:
        await ws.send(json.dumps({"type": "subscribe", "product_ids": list(product_ids), "channels": ["ticker"]}))
        while max_messages is None or len(rows) < max_messages:
            timeout = None if deadline is None else deadline - time.monotonic()
            if timeout is not None and timeout <= 0:
                break
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=timeout)
            except TimeoutError:
                break
            msg = json.loads(raw)
            if msg.get("type") == "error":
                raise CoinbaseError(f"{url}: {msg.get('message')} {msg.get('reason', '')}".strip())
            row = parse_ticker(msg, datetime.now(UTC))
            if row is not None:
                rows.append(row)
    return rows
