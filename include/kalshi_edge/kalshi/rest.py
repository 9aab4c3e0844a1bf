"""Kalshi REST client (requests, one Session): signing, pagination, rate limits, retries, orders.

* Base URL per environment from settings (prod | demo | local simulator) or an explicit override.
* Every request is signed when credentials are configured (:mod:`kalshi_edge.kalshi.auth`).
* Cursor pagination stops on an empty cursor and refuses a cursor that repeats.
* A token-bucket limiter per account tier (default Basic: 200 read / 100 write tokens/s, 10 tokens
  per request) keeps us under the exchange's limits instead of collecting 429s.
* Errors are typed (:mod:`kalshi_edge.kalshi.errors`): only :class:`TemporaryError` (timeouts,
  connection errors, 5xx, 429) is retried, with exponential backoff and jitter; 4xx and auth
  errors are raised at once with the server's message.
* :meth:`KalshiRestClient.create_order` is idempotent by ``client_order_id``: the id is fixed
  before the first send; after a failure where the request may have reached the server (timeout,
  5xx, dropped connection) the client looks the order up by that id before sending again.
* V2 order endpoints (``/portfolio/events/orders``) by default; the legacy ``/portfolio/orders``
  create/cancel live behind :class:`LegacyOrderApi`, the one adapter (``order_api="legacy"``).
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import requests

from kalshi_edge.kalshi.auth import KalshiAuth, PrivateKey, load_private_key
from kalshi_edge.kalshi.endpoints import NewEndpoints
from kalshi_edge.kalshi.errors import (
    AuthError,
    KalshiError,
    KalshiSchemaError,
    PermanentError,
    RateLimitedError,
    TemporaryError,
)
from kalshi_edge.kalshi.models import (
    Balance,
    BookSide,
    Event,
    Fill,
    Market,
    Order,
    OrderBook,
    Position,
    Series,
    Settlement,
    Trade,
    parse_balance,
    parse_event,
    parse_fill,
    parse_market,
    parse_order,
    parse_position,
    parse_series,
    parse_settlement,
    parse_trade,
)
from kalshi_edge.kalshi.money import ONE, fmt_count, fmt_price, parse_count, parse_price

if TYPE_CHECKING:
    from kalshi_edge.config import Settings

log = logging.getLogger(__name__)

#: (read, write) tokens per second per tier (KALSHI_API.md "Rate limits").
TIER_RATES: dict[str, tuple[float, float]] = {
    "basic": (200.0, 100.0),
    "advanced": (300.0, 300.0),
    "premier": (1000.0, 1000.0),
    "prime": (4000.0, 4000.0),
}
TOKENS_PER_REQUEST = 10.0
MAX_PAGES = 10_000


# ---------------------------------------------------------------------------------------------
# rate limiting


class TokenBucket:
    """A thread-safe token bucket: ``rate`` tokens/s refill, at most ``capacity`` banked.

    ``clock`` and ``sleep`` are injectable so tests run without waiting.
    """

    def __init__(
        self,
        rate: float,
        capacity: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or capacity <= 0:
            raise ValueError("rate and capacity must be positive")
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now

    def acquire(self, cost: float = TOKENS_PER_REQUEST) -> float:
        """Take ``cost`` tokens, sleeping until they are available. Returns seconds waited."""
        if cost > self.capacity:
            raise ValueError(f"cost {cost} exceeds bucket capacity {self.capacity}")
        waited = 0.0
        while True:
            with self._lock:
                self._refill()
                # a hair of tolerance: float refill arithmetic must not spin on 9.999999999 tokens
                if self._tokens >= cost - 1e-9:
                    self._tokens = max(0.0, self._tokens - cost)
                    return waited
                need = (cost - self._tokens) / self.rate
            self._sleep(need)
            waited += need

    def penalize(self) -> None:
        """Empty the bucket (after a 429: the exchange thinks we are too fast)."""
        with self._lock:
            self._refill()
            self._tokens = 0.0


class RateLimiter:
    """Separate read and write buckets for one account tier."""

    def __init__(self, tier: str = "basic", **kw: Any) -> None:
        try:
            read, write = TIER_RATES[str(tier).lower()]
        except KeyError:
            raise KalshiError(f"kalshi_rate_tier: unknown tier {tier!r} (one of {sorted(TIER_RATES)})") from None
        self.tier = str(tier).lower()
        self.read = TokenBucket(read, read, **kw)  # one second of reads banked
        self.write = TokenBucket(write, 2 * write, **kw)  # the write bucket holds ~2 s of budget

    def bucket_for(self, method: str) -> TokenBucket:
        return self.read if method.upper() == "GET" else self.write


# ---------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True, slots=True)
class OrderAck:
    """What a create returns: the V2 response (or a legacy/looked-up order mapped onto it)."""

    order_id: str
    client_order_id: str
    fill_count: Decimal
    remaining_count: Decimal
    status: str = ""
    average_fill_price: Decimal | None = None
    average_fee_paid: Decimal | None = None
    ts_ms: int | None = None
    #: True when the ack came from a lookup after a lost response (the first send did land).
    recovered: bool = False


def _ack_from_order(o: Order, *, recovered: bool) -> OrderAck:
    return OrderAck(
        order_id=o.order_id,
        client_order_id=o.client_order_id,
        fill_count=o.fill_count,
        remaining_count=o.remaining_count,
        status=o.status,
        recovered=recovered,
    )


def _same_order(o: Order, spec: OrderSpec) -> bool:
    """Does an existing order match what we are trying to create (ticker, book side, YES price)?"""
    if o.ticker != spec.ticker or o.book_side is not spec.book_side:
        return False
    return o.yes_price is None or o.yes_price == spec.price


def _opt_dec(d: Mapping[str, Any], *keys: str) -> Decimal | None:
    for k in keys:
        v = d.get(k)
        if v not in (None, ""):
            try:
                return Decimal(str(v))
            except Exception:
                raise KalshiSchemaError(f"create_order response.{k}: {v!r} is not a number") from None
    return None


def _ack_from_payload(d: Mapping[str, Any]) -> OrderAck:
    """Parse a V2 create response; also accepts ``{"order": Order}`` (legacy and some servers)."""
    if isinstance(d.get("order"), Mapping):
        return _ack_from_order(parse_order(d["order"]), recovered=False)
    oid = d.get("order_id")
    if not oid:
        raise KalshiSchemaError("create_order response.order_id: missing")
    fill = _opt_dec(d, "fill_count_fp", "fill_count")
    remaining = _opt_dec(d, "remaining_count_fp", "remaining_count")
    if fill is None or remaining is None:
        raise KalshiSchemaError("create_order response.fill_count/remaining_count: missing")
    return OrderAck(
        order_id=str(oid),
        client_order_id=str(d.get("client_order_id") or ""),
        fill_count=fill,
        remaining_count=remaining,
        status=str(d.get("status") or ("executed" if remaining == 0 else "resting")),
        average_fill_price=_opt_dec(d, "average_fill_price_dollars", "average_fill_price"),
        average_fee_paid=_opt_dec(d, "average_fee_paid_dollars", "average_fee_paid"),
        ts_ms=d.get("ts_ms"),
    )


# ---------------------------------------------------------------------------------------------
# the client


def _server_message(resp: requests.Response) -> tuple[str, str | None]:
    try:
        body = resp.json()
    except ValueError:
        text = (resp.text or "").strip().replace("\n", " ")
        return (text[:300] or resp.reason or "no message"), None
    if isinstance(body, Mapping):
        err = body.get("error", body)
        if isinstance(err, Mapping):
            msg = err.get("message") or err.get("msg") or err.get("details") or str(err)
            return str(msg), (str(err.get("code")) if err.get("code") is not None else None)
        return str(err), None
    return str(body)[:300], None


class KalshiRestClient(NewEndpoints):
    """Synchronous Kalshi Trade API v2 client. Thread-safe for reads; one Session per client.

    Construct with :meth:`from_settings` or directly with a ``base_url`` (``.../trade-api/v2``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        key_id: str | None = None,
        private_key: PrivateKey | None = None,
        tier: str = "basic",
        timeout: float = 10.0,
        max_retries: int = 5,
        backoff_base: float = 0.25,
        backoff_max: float = 8.0,
        order_api: str = "v2",
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        rate_limit: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.session = session or requests.Session()
        self.session.headers.setdefault("Accept", "application/json")
        self.session.headers["User-Agent"] = "kalshi-edge/0.1"
        self._auth = KalshiAuth(key_id, private_key) if key_id and private_key is not None else None
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.limiter = RateLimiter(tier, sleep=sleep) if rate_limit else None
        if order_api not in ("v2", "legacy"):
            raise KalshiError(f"order_api: {order_api!r} is not v2|legacy")
        self.orders_api: OrderApi = V2OrderApi(self) if order_api == "v2" else LegacyOrderApi(self)

    @classmethod
    def from_settings(cls, settings: Settings, *, base_url: str | None = None, **kw: Any) -> KalshiRestClient:
        """Client for ``settings.rest_base_url`` (or ``base_url``), signing when keys are configured."""
        key = None
        if settings.kalshi_key_id and settings.kalshi_private_key_path:
            key = load_private_key(settings.kalshi_private_key_path)
        kw.setdefault("tier", settings.kalshi_rate_tier.value)
        return cls(base_url or settings.rest_base_url, key_id=settings.kalshi_key_id, private_key=key, **kw)

    @property
    def authenticated(self) -> bool:
        return self._auth is not None

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> KalshiRestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport --------------------------------------------------------------------------
    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random (never zero)."""
        ceiling = min(self.backoff_max, self.backoff_base * (2**attempt))
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def _send_once(self, method: str, path: str, params: Mapping[str, Any] | None, body: Any) -> Any:
        url = self.base_url + path
        if self.limiter is not None:
            self.limiter.bucket_for(method).acquire()
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            resp = self.session.request(
                method, url, params=clean or None, json=body, timeout=self.timeout, auth=self._auth
            )
        except requests.ConnectTimeout as exc:
            raise TemporaryError(f"{method} {path}: connect timeout ({exc})", sent=False) from None
        except requests.Timeout as exc:
            raise TemporaryError(f"{method} {path}: timeout after {self.timeout}s", sent=True) from exc
        except requests.ConnectionError as exc:
            # a reset after sending may have reached the server: treat as possibly sent
            raise TemporaryError(f"{method} {path}: connection error ({exc.__class__.__name__})", sent=True) from exc
        status = resp.status_code
        if status == 429:
            if self.limiter is not None:
                self.limiter.bucket_for(method).penalize()
            raise RateLimitedError(f"{method} {path}: 429 too many requests", status=429, sent=False)
        if status >= 500:
            msg, _ = _server_message(resp)
            raise TemporaryError(f"{method} {path}: HTTP {status}: {msg}", status=status, sent=True)
        if status in (401, 403):
            msg, code = _server_message(resp)
            raise AuthError(f"{method} {path}: HTTP {status}: {msg}", status=status, code=code)
        if status >= 400:
            msg, code = _server_message(resp)
            raise PermanentError(f"{method} {path}: HTTP {status}: {msg}", status=status, code=code)
        if status == 204 or not resp.content:
            return {}
        try:
            return resp.json()
        except ValueError:
            raise KalshiSchemaError(f"{method} {path}: response is not JSON: {resp.text[:200]!r}") from None

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        retry: bool = True,
    ) -> Any:
        """One API call with retries of temporary failures. ``path`` is relative to the base URL."""
        attempts = self.max_retries + 1 if retry else 1
        for attempt in range(attempts):
            try:
                return self._send_once(method, path, params, json)
            except TemporaryError as exc:
                if attempt == attempts - 1:
                    raise
                delay = self._backoff(attempt)
                log.info("kalshi %s %s: %s; retry %d in %.2fs", method, path, exc, attempt + 1, delay)
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def paginate(self, path: str, key: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """Yield items of ``key`` across pages; stops on an empty cursor, refuses a repeated one."""
        seen: set[str] = set()
        p = dict(params or {})
        for _ in range(MAX_PAGES):
            body = self.request("GET", path, params=p)
            if not isinstance(body, Mapping):
                raise KalshiSchemaError(f"GET {path}: expected an object, got {type(body).__name__}")
            items = body.get(key)
            if items is None:
                raise KalshiSchemaError(f"GET {path}.{key}: missing from the response")
            yield from items
            cursor = body.get("cursor") or ""
            if not cursor:
                return
            if cursor in seen:
                raise KalshiError(f"GET {path}: cursor {cursor[:40]!r} repeated; stopping to avoid a loop")
            seen.add(cursor)
            p["cursor"] = cursor
        raise KalshiError(f"GET {path}: more than {MAX_PAGES} pages")

    # -- market data ---------------------------------------------------------------------------
    def get_exchange_status(self) -> dict[str, Any]:
        """``{"exchange_active": bool, "trading_active": bool, ...}``."""
        return dict(self.get("/exchange/status"))

    def get_series(self, series_ticker: str) -> Series:
        body = self.get(f"/series/{series_ticker}")
        return parse_series(body.get("series", body))

    def list_series(self, *, category: str | None = None, tags: str | None = None) -> list[Series]:
        body = self.get("/series", category=category, tags=tags)
        return [parse_series(s) for s in body.get("series") or []]

    def iter_events(
        self, *, series_ticker: str | None = None, status: str | None = None, with_nested_markets: bool = False,
        limit: int = 200,
    ) -> Iterator[Event]:
        params = {"series_ticker": series_ticker, "status": status, "limit": min(limit, 200),
                  "with_nested_markets": "true" if with_nested_markets else None}
        for e in self.paginate("/events", "events", params):
            yield parse_event(e)

    def get_event(self, event_ticker: str, *, with_nested_markets: bool = True) -> Event:
        body = self.get(f"/events/{event_ticker}", with_nested_markets="true" if with_nested_markets else None)
        ev = body.get("event")
        if not isinstance(ev, Mapping):
            raise KalshiSchemaError(f"GET /events/{event_ticker}.event: missing")
        markets = ev.get("markets") if ev.get("markets") is not None else body.get("markets", [])
        return parse_event(ev, markets)

    def iter_markets(
        self,
        *,
        series_ticker: str | None = None,
        event_ticker: str | None = None,
        status: str | None = None,
        tickers: Sequence[str] | None = None,
        min_close_ts: int | None = None,
        max_close_ts: int | None = None,
        limit: int = 1000,
    ) -> Iterator[Market]:
        """All markets matching the filters (``status`` ∈ unopened|open|paused|closed|settled)."""
        params = {
            "series_ticker": series_ticker, "event_ticker": event_ticker, "status": status,
            "tickers": ",".join(tickers) if tickers else None, "min_close_ts": min_close_ts,
            "max_close_ts": max_close_ts, "limit": min(limit, 1000),
        }
        for m in self.paginate("/markets", "markets", params):
            yield parse_market(m, series_ticker=series_ticker)

    def get_markets(self, **filters: Any) -> list[Market]:
        return list(self.iter_markets(**filters))

    def get_market(self, ticker: str) -> Market:
        body = self.get(f"/markets/{ticker}")
        if not isinstance(body.get("market"), Mapping):
            raise KalshiSchemaError(f"GET /markets/{ticker}.market: missing")
        return parse_market(body["market"])

    def get_orderbook(self, ticker: str, *, depth: int | None = None) -> OrderBook:
        return OrderBook.from_rest(ticker, self.get(f"/markets/{ticker}/orderbook", depth=depth))

    def get_orderbooks(self, tickers: Sequence[str]) -> dict[str, OrderBook]:
        """Batch ``/markets/orderbooks?tickers=``: ``{ticker: OrderBook}``."""
        body = self.get("/markets/orderbooks", tickers=",".join(tickers))
        out: dict[str, OrderBook] = {}
        for i, ob in enumerate(body.get("orderbooks") or []):
            t = ob.get("ticker") or ob.get("market_ticker")
            if not t:
                raise KalshiSchemaError(f"GET /markets/orderbooks.orderbooks[{i}].ticker: missing")
            out[t] = OrderBook.from_rest(t, ob)
        return out

    def iter_trades(
        self, *, ticker: str | None = None, min_ts: int | None = None, max_ts: int | None = None, limit: int = 1000
    ) -> Iterator[Trade]:
        params = {"ticker": ticker, "min_ts": min_ts, "max_ts": max_ts, "limit": min(limit, 1000)}
        for t in self.paginate("/markets/trades", "trades", params):
            yield parse_trade(t)

    def get_candlesticks(
        self, series_ticker: str, ticker: str, *, start_ts: int, end_ts: int, period_interval: int = 60
    ) -> list[dict[str, Any]]:
        """Raw candlesticks (period 1, 60 or 1440 minutes); :mod:`ingest` flattens them."""
        if period_interval not in (1, 60, 1440):
            raise PermanentError(f"period_interval: {period_interval} is not 1, 60 or 1440")
        body = self.get(
            f"/series/{series_ticker}/markets/{ticker}/candlesticks",
            start_ts=start_ts, end_ts=end_ts, period_interval=period_interval,
        )
        if "candlesticks" not in body:
            raise KalshiSchemaError(f"GET candlesticks {ticker}.candlesticks: missing")
        return list(body["candlesticks"])

    def get_candlesticks_batch(
        self, tickers: Sequence[str], *, start_ts: int, end_ts: int, period_interval: int = 60
    ) -> dict[str, list[dict[str, Any]]]:
        """Batch ``/markets/candlesticks?market_tickers=``: ``{ticker: raw candlesticks}``."""
        body = self.get("/markets/candlesticks", market_tickers=",".join(tickers), start_ts=start_ts,
                        end_ts=end_ts, period_interval=period_interval)
        out: dict[str, list[dict[str, Any]]] = {}
        for i, m in enumerate(body.get("markets") or []):
            t = m.get("market_ticker") or m.get("ticker")
            if not t or "candlesticks" not in m:
                raise KalshiSchemaError(f"GET /markets/candlesticks.markets[{i}]: ticker or candlesticks missing")
            out[t] = list(m["candlesticks"])
        return out

    # -- portfolio -------------------------------------------------------------------------
    def get_balance(self) -> Balance:
        return parse_balance(self.get("/portfolio/balance"))

    def iter_positions(self, *, ticker: str | None = None, event_ticker: str | None = None) -> Iterator[Position]:
        params = {"ticker": ticker, "event_ticker": event_ticker, "limit": 1000}
        for p in self.paginate("/portfolio/positions", "market_positions", params):
            yield parse_position(p)

    def get_positions(self, **kw: Any) -> dict[str, Position]:
        return {p.ticker: p for p in self.iter_positions(**kw)}

    def iter_orders(
        self, *, ticker: str | None = None, status: str | None = None, client_order_id: str | None = None,
        min_ts: int | None = None,
    ) -> Iterator[Order]:
        params = {"ticker": ticker, "status": status, "client_order_id": client_order_id, "min_ts": min_ts,
                  "limit": 1000}
        for o in self.paginate("/portfolio/orders", "orders", params):
            yield parse_order(o)

    def get_order(self, order_id: str) -> Order:
        body = self.get(f"/portfolio/orders/{order_id}")
        if not isinstance(body.get("order"), Mapping):
            raise KalshiSchemaError(f"GET /portfolio/orders/{order_id}.order: missing")
        return parse_order(body["order"])

    def find_order_by_client_id(self, client_order_id: str, *, ticker: str | None = None) -> Order | None:
        """The order created with ``client_order_id``, or None.

        Asks the server to filter by ``client_order_id`` and filters again here, so a server that
        ignores the filter still gives the right answer (just with more pages).
        """
        for o in self.iter_orders(ticker=ticker, client_order_id=client_order_id):
            if o.client_order_id == client_order_id:
                return o
        return None

    def iter_fills(self, *, ticker: str | None = None, order_id: str | None = None,
                   min_ts: int | None = None) -> Iterator[Fill]:
        params = {"ticker": ticker, "order_id": order_id, "min_ts": min_ts, "limit": 1000}
        for f in self.paginate("/portfolio/fills", "fills", params):
            yield parse_fill(f)

    def iter_settlements(self, *, ticker: str | None = None) -> Iterator[Settlement]:
        for s in self.paginate("/portfolio/settlements", "settlements", {"ticker": ticker, "limit": 1000}):
            yield parse_settlement(s)

    # -- orders ----------------------------------------------------------------------------
    def create_order(
        self,
        *,
        ticker: str,
        side: str,
        count: object,
        price: object,
        client_order_id: str | None = None,
        time_in_force: str = "good_till_canceled",
        post_only: bool = False,
        reduce_only: bool = False,
        self_trade_prevention_type: str | None = None,
        expiration_time: str | None = None,
        order_group_id: str | None = None,
        cancel_order_on_pause: bool | None = None,
        market: Market | None = None,
    ) -> OrderAck:
        """Place one order, idempotently. ``side`` is ``bid`` (long YES) or ``ask`` (long NO);
        ``price`` is always the YES price in dollars; ``count`` contracts (2 decimals).

        ``client_order_id`` is generated here when absent and reused on every retry. After a
        failure that may have reached the server, the order is looked up by that id before any
        resend, so a lost response never creates a second order. Pass ``market`` to validate the
        price against its tick structure before sending.
        """
        if side not in ("bid", "ask"):
            raise PermanentError(f"side: {side!r} is not bid|ask (bid = long YES, ask = long NO)")
        p = market.validate_price(price, "price") if market is not None else parse_price(price, "price")
        if not (0 < p < ONE):
            raise PermanentError(f"price: {p} must be strictly between 0 and 1 dollars")
        c = parse_count(count, "count")
        if c <= 0:
            raise PermanentError(f"count: {c} must be positive")
        coid = client_order_id or str(uuid.uuid4())
        spec = OrderSpec(
            ticker=ticker, book_side=BookSide(side), count=c, price=p, client_order_id=coid,
            time_in_force=time_in_force, post_only=post_only, reduce_only=reduce_only,
            self_trade_prevention_type=self_trade_prevention_type, expiration_time=expiration_time,
            order_group_id=order_group_id, cancel_order_on_pause=cancel_order_on_pause,
        )
        attempts = self.max_retries + 1
        maybe_sent = False
        for attempt in range(attempts):
            if maybe_sent:
                existing = self._lookup_quietly(coid, ticker)
                if existing is not None:
                    log.warning("create_order %s: found after a lost response (order %s)", coid, existing.order_id)
                    return _ack_from_order(existing, recovered=True)
            try:
                return self.orders_api.create(spec)
            except TemporaryError as exc:
                maybe_sent = maybe_sent or exc.sent
                if attempt == attempts - 1:
                    if maybe_sent:
                        existing = self._lookup_quietly(coid, ticker)
                        if existing is not None:
                            return _ack_from_order(existing, recovered=True)
                    raise
                self._sleep(self._backoff(attempt))
            except PermanentError as exc:
                # The exchange refuses a client_order_id it already has: our earlier send (this
                # process, or one that crashed before recording the ack) landed. The same id means
                # the same intent, so the existing order is the answer — if it really is the same order.
                if exc.status == 409:
                    existing = self._lookup_quietly(coid, ticker)
                    if existing is not None:
                        if _same_order(existing, spec):
                            return _ack_from_order(existing, recovered=True)
                        raise PermanentError(
                            f"create_order: client_order_id {coid!r} already names order {existing.order_id} "
                            f"({existing.ticker} {existing.book_side.value} @ {existing.yes_price}), "
                            f"not {spec.ticker} {spec.book_side.value} @ {spec.price}",
                            status=409, code=exc.code,
                        ) from None
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _lookup_quietly(self, coid: str, ticker: str) -> Order | None:
        """Lookup by client id; a temporary failure here means 'unknown yet', not 'absent'."""
        for attempt in range(self.max_retries + 1):
            try:
                return self.find_order_by_client_id(coid, ticker=ticker)
            except TemporaryError:
                self._sleep(self._backoff(attempt))
        raise TemporaryError(f"create_order {coid}: could not confirm whether the order exists; not resending")

    def cancel_order(self, order_id: str) -> Order | None:
        """Cancel a resting order. Idempotent: a retry after a lost response that finds the order
        already gone (404) returns its current state instead of failing."""
        try:
            return self.orders_api.cancel(order_id)
        except PermanentError as exc:
            if exc.status == 404:
                try:
                    o = self.get_order(order_id)
                except PermanentError:
                    raise exc from None
                if o.status in ("canceled", "executed"):
                    return o
            raise


KalshiClient = KalshiRestClient  # the name other packages use


# ---------------------------------------------------------------------------------------------
# order endpoints: V2 and the legacy adapter


@dataclass(frozen=True, slots=True)
class OrderSpec:
    ticker: str
    book_side: BookSide
    count: Decimal
    price: Decimal  # YES price, dollars
    client_order_id: str
    time_in_force: str = "good_till_canceled"
    post_only: bool = False
    reduce_only: bool = False
    self_trade_prevention_type: str | None = None
    expiration_time: str | None = None
    order_group_id: str | None = None
    cancel_order_on_pause: bool | None = None


class OrderApi:
    """One way of creating/cancelling orders. Each ``create`` call is a single send (no retry)."""

    def __init__(self, client: KalshiRestClient) -> None:
        self.client = client

    def create(self, spec: OrderSpec) -> OrderAck:  # pragma: no cover - interface
        raise NotImplementedError

    def cancel(self, order_id: str) -> Order | None:  # pragma: no cover - interface
        raise NotImplementedError


def _optional(body: dict[str, Any], spec: OrderSpec) -> dict[str, Any]:
    for k in ("self_trade_prevention_type", "order_group_id", "cancel_order_on_pause"):
        v = getattr(spec, k)
        if v is not None:
            body[k] = v
    if spec.post_only:
        body["post_only"] = True
    if spec.reduce_only:
        body["reduce_only"] = True
    return body


class V2OrderApi(OrderApi):
    """``POST /portfolio/events/orders`` (side bid|ask, YES price string, count "10.00")."""

    def create(self, spec: OrderSpec) -> OrderAck:
        body = _optional(
            {
                "ticker": spec.ticker,
                "client_order_id": spec.client_order_id,
                "side": spec.book_side.value,
                "count": fmt_count(spec.count),
                "price": fmt_price(spec.price),
                "time_in_force": spec.time_in_force,
            },
            spec,
        )
        if spec.expiration_time:
            body["expiration_time"] = spec.expiration_time
        resp = self.client.request("POST", "/portfolio/events/orders", json=body, retry=False)
        return _ack_from_payload(resp)

    def cancel(self, order_id: str) -> Order | None:
        resp = self.client.request("DELETE", f"/portfolio/events/orders/{order_id}")
        return parse_order(resp["order"]) if isinstance(resp.get("order"), Mapping) else None


class LegacyOrderApi(OrderApi):
    """The legacy ``/portfolio/orders`` endpoints, mapped from the V2 vocabulary.

    ``bid`` → buy YES at the YES price; ``ask`` → buy NO at 1 − YES price (Kalshi nets YES and NO
    holdings, so buying NO is economically selling YES).
    """

    def create(self, spec: OrderSpec) -> OrderAck:
        body: dict[str, Any] = {
            "ticker": spec.ticker,
            "client_order_id": spec.client_order_id,
            "action": "buy",
            "count_fp": fmt_count(spec.count),
            "time_in_force": spec.time_in_force,
        }
        if spec.book_side is BookSide.BID:
            body["side"] = "yes"
            body["yes_price_dollars"] = fmt_price(spec.price)
        else:
            body["side"] = "no"
            body["no_price_dollars"] = fmt_price(ONE - spec.price)
        _optional(body, spec)
        resp = self.client.request("POST", "/portfolio/orders", json=body, retry=False)
        return _ack_from_payload(resp)

    def cancel(self, order_id: str) -> Order | None:
        resp = self.client.request("DELETE", f"/portfolio/orders/{order_id}")
        return parse_order(resp["order"]) if isinstance(resp.get("order"), Mapping) else None
