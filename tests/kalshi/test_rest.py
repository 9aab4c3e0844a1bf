"""REST client: pagination guard, retry classification, idempotent order create, rate limiting.

The exchange side is a scripted in-process ``requests`` transport adapter (no sockets, no
internet): each test says exactly what the "server" does, including failure modes the real
exchange produces (5xx, 429, a timeout after the order was accepted).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal as D
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from kalshi_payloads import load_fixture

from kalshi_edge.kalshi.auth import HEADER_SIG, HEADER_TS, verify
from kalshi_edge.kalshi.errors import AuthError, KalshiError, PermanentError, RateLimitedError, TemporaryError
from kalshi_edge.kalshi.models import Market
from kalshi_edge.kalshi.money import MoneyError
from kalshi_edge.kalshi.rest import KalshiRestClient, TokenBucket

BASE = "http://kalshi.test/trade-api/v2"


class Script(requests.adapters.BaseAdapter):
    """A transport that hands each request to ``handler(method, path, query, body) -> (status, body)``.

    The handler may raise a ``requests`` exception to simulate a timeout or reset.
    """

    def __init__(self, handler: Callable[..., tuple[int, object]]) -> None:
        super().__init__()
        self.handler = handler
        self.calls: list[tuple[str, str, dict, object, dict]] = []

    def send(self, request, **kwargs):
        u = urlsplit(request.url)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        body = json.loads(request.body) if request.body else None
        self.calls.append((request.method, u.path, q, body, dict(request.headers)))
        status, payload = self.handler(request.method, u.path.removeprefix("/trade-api/v2"), q, body)
        resp = requests.Response()
        resp.status_code = status
        resp._content = json.dumps(payload).encode() if payload is not None else b""
        resp.headers["Content-Type"] = "application/json"
        resp.url = request.url
        resp.request = request
        return resp

    def close(self):
        pass


def make_client(handler, **kw) -> tuple[KalshiRestClient, Script, list[float]]:
    sleeps: list[float] = []
    session = requests.Session()
    adapter = Script(handler)
    session.mount("http://", adapter)
    kw.setdefault("rate_limit", False)
    client = KalshiRestClient(BASE, session=session, sleep=sleeps.append, **kw)
    return client, adapter, sleeps


# -- market data ------------------------------------------------------------------------------


def test_pagination_follows_cursors_over_recorded_pages():
    markets = load_fixture("kxhighny_open_trimmed.json")["markets"]
    pages = {None: (markets[:1], "c1"), "c1": (markets[1:2], "c2"), "c2": (markets[2:], "")}

    def handler(method, path, q, body):
        items, cursor = pages[q.get("cursor")]
        return 200, {"markets": items, "cursor": cursor}

    client, adapter, _ = make_client(handler)
    got = client.get_markets(series_ticker="KXHIGHNY", status="open")
    assert [m.ticker for m in got] == [m["ticker"] for m in markets]
    assert adapter.calls[0][2] == {"series_ticker": "KXHIGHNY", "status": "open", "limit": "1000"}
    assert len(adapter.calls) == 3


def test_repeated_cursor_is_refused():
    def handler(method, path, q, body):
        return 200, {"markets": load_fixture("kxhighny_open_trimmed.json")["markets"][:1], "cursor": "same"}

    client, adapter, _ = make_client(handler)
    with pytest.raises(KalshiError, match="repeated"):
        client.get_markets()
    assert len(adapter.calls) == 2


def test_orderbook_and_market_endpoints():
    market = load_fixture("kxhighny_open_trimmed.json")["markets"][0]

    def handler(method, path, q, body):
        if path.endswith("/orderbook"):
            return 200, {"orderbook_fp": {"yes_dollars": [["0.0100", "211.00"]], "no_dollars": [["0.9800", "5.00"]]}}
        return 200, {"market": market}

    client, _, _ = make_client(handler)
    ob = client.get_orderbook(market["ticker"], depth=5)
    assert ob.best_yes_ask == D("0.02")
    assert client.get_market(market["ticker"]).ticker == market["ticker"]


# -- error classification and retries -----------------------------------------------------------


def test_5xx_is_retried_with_growing_backoff_then_succeeds():
    n = {"calls": 0}

    def handler(method, path, q, body):
        n["calls"] += 1
        return (503, {"error": {"message": "busy"}}) if n["calls"] <= 3 else (200, {"exchange_active": True})

    client, _, sleeps = make_client(handler, backoff_base=1.0, backoff_max=100.0)
    assert client.get_exchange_status()["exchange_active"] is True
    assert len(sleeps) == 3
    # equal jitter: attempt k sleeps within [2^k / 2, 2^k]
    for k, s in enumerate(sleeps):
        assert 2**k / 2 <= s <= 2**k


def test_timeouts_and_429_are_temporary_and_exhaust():
    def handler(method, path, q, body):
        raise requests.ReadTimeout("slow")

    client, adapter, sleeps = make_client(handler, max_retries=2)
    with pytest.raises(TemporaryError, match="timeout"):
        client.get_exchange_status()
    assert len(adapter.calls) == 3 and len(sleeps) == 2

    client, adapter, _ = make_client(lambda *a: (429, {}), max_retries=1)
    with pytest.raises(RateLimitedError):
        client.get_exchange_status()
    assert len(adapter.calls) == 2


def test_4xx_is_permanent_and_not_retried_with_server_message():
    client, adapter, sleeps = make_client(
        lambda *a: (400, {"error": {"code": "invalid_parameters", "message": "price out of range"}}))
    with pytest.raises(PermanentError, match="price out of range") as ei:
        client.get_exchange_status()
    assert ei.value.status == 400 and ei.value.code == "invalid_parameters"
    assert len(adapter.calls) == 1 and sleeps == []

    client, adapter, _ = make_client(lambda *a: (401, {"error": {"message": "bad signature"}}))
    with pytest.raises(AuthError, match="bad signature"):
        client.get_balance()
    assert len(adapter.calls) == 1


def test_requests_are_signed_when_keys_are_configured():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    client, adapter, _ = make_client(lambda *a: (200, {"balance": 10000, "portfolio_value": 0}),
                                     key_id="kid", private_key=key)
    assert client.get_balance().balance == D("100.00")
    headers = adapter.calls[0][4]
    assert headers["KALSHI-ACCESS-KEY"] == "kid"
    assert verify(key.public_key(), headers[HEADER_SIG], headers[HEADER_TS], "GET", "/trade-api/v2/portfolio/balance")


# -- idempotent order creation --------------------------------------------------------------------


class FakeOrders:
    """A minimal order store behind the scripted transport, with injectable failures."""

    def __init__(self, fail_plan: list[str]) -> None:
        self.orders: list[dict] = []
        self.fail_plan = fail_plan  # per POST: "ok" | "lost" (accept then drop) | "503" (reject) | "reset"

    def handler(self, method, path, q, body):
        if method == "POST" and path in ("/portfolio/events/orders", "/portfolio/orders"):
            mode = self.fail_plan.pop(0) if self.fail_plan else "ok"
            if mode == "503":
                return 503, {"error": {"message": "unavailable"}}
            if any(o["client_order_id"] == body["client_order_id"] for o in self.orders):
                return 409, {"error": {"code": "order_already_exists", "message": "duplicate client_order_id"}}
            order = {
                "order_id": f"o{len(self.orders) + 1}", "client_order_id": body["client_order_id"],
                "ticker": body["ticker"], "outcome_side": "yes", "book_side": body.get("side", "bid"),
                "status": "resting", "yes_price_dollars": body.get("price", "0.5000"),
                "fill_count_fp": "0.00", "remaining_count_fp": body.get("count", body.get("count_fp")),
                "initial_count_fp": body.get("count", body.get("count_fp")),
            }
            if path == "/portfolio/orders":
                order["side"], order["action"] = body["side"], body["action"]
                del order["outcome_side"], order["book_side"]
            self.orders.append(order)
            if mode == "lost":
                raise requests.ReadTimeout("response lost")
            if mode == "reset":
                raise requests.ConnectionError("connection reset by peer")
            if path == "/portfolio/orders":
                return 201, {"order": order}
            return 201, {"order_id": order["order_id"], "client_order_id": order["client_order_id"],
                         "fill_count": "0.00", "remaining_count": order["remaining_count_fp"], "ts_ms": 1}
        if method == "GET" and path == "/portfolio/orders":
            coid = q.get("client_order_id")
            return 200, {"orders": [o for o in self.orders if coid in (None, o["client_order_id"])], "cursor": ""}
        if method == "DELETE":
            oid = path.rsplit("/", 1)[-1]
            for o in self.orders:
                if o["order_id"] == oid and o["status"] == "resting":
                    o["status"] = "canceled"
                    return 200, {"order": o}
            return 404, {"error": {"message": "order not found"}}
        if method == "GET" and path.startswith("/portfolio/orders/"):
            oid = path.rsplit("/", 1)[-1]
            return 200, {"order": next(o for o in self.orders if o["order_id"] == oid)}
        return 404, {"error": {"message": f"no route {path}"}}


@pytest.mark.parametrize("failure", ["lost", "reset"])
def test_lost_response_after_accept_does_not_duplicate(failure):
    ex = FakeOrders([failure])
    client, adapter, _ = make_client(ex.handler)
    ack = client.create_order(ticker="KXHIGHNY-26JUL12-T89", side="bid", count="10", price="0.56",
                              client_order_id="coid-1")
    assert len(ex.orders) == 1
    assert ack.order_id == "o1" and ack.recovered and ack.client_order_id == "coid-1"
    posts = [c for c in adapter.calls if c[0] == "POST"]
    assert len(posts) == 1  # looked up, never resent
    assert posts[0][3] == {"ticker": "KXHIGHNY-26JUL12-T89", "client_order_id": "coid-1", "side": "bid",
                           "count": "10.00", "price": "0.5600", "time_in_force": "good_till_canceled"}


def test_rejected_send_is_resent_with_the_same_client_id():
    ex = FakeOrders(["503", "503"])
    client, adapter, _ = make_client(ex.handler)
    ack = client.create_order(ticker="T", side="ask", count="2", price="0.30")
    assert len(ex.orders) == 1 and not ack.recovered
    coids = {c[3]["client_order_id"] for c in adapter.calls if c[0] == "POST"}
    assert len(coids) == 1 and len([c for c in adapter.calls if c[0] == "POST"]) == 3


def test_lookup_failure_never_resends_blindly():
    ex = FakeOrders(["lost"])
    state = {"n": 0}

    def handler(method, path, q, body):
        if method == "GET":
            state["n"] += 1
            return 500, {"error": {"message": "db down"}}
        return ex.handler(method, path, q, body)

    client, adapter, _ = make_client(handler, max_retries=2)
    with pytest.raises(TemporaryError, match="not resending"):
        client.create_order(ticker="T", side="bid", count="1", price="0.5", client_order_id="c")
    assert len([c for c in adapter.calls if c[0] == "POST"]) == 1 and len(ex.orders) == 1


def test_order_validation_before_sending():
    client, adapter, _ = make_client(lambda *a: (500, {}))
    with pytest.raises(PermanentError, match="side"):
        client.create_order(ticker="T", side="yes", count="1", price="0.5")
    with pytest.raises(MoneyError, match="tick grid"):
        client.create_order(ticker="T", side="bid", count="1", price="0.555", market=Market(ticker="T"))
    with pytest.raises(MoneyError, match="count"):
        client.create_order(ticker="T", side="bid", count="1.001", price="0.5")
    assert adapter.calls == []


def test_legacy_adapter_maps_v2_vocabulary():
    ex = FakeOrders([])
    client, adapter, _ = make_client(ex.handler, order_api="legacy")
    ack = client.create_order(ticker="T", side="ask", count="3", price="0.56", client_order_id="L1")
    body = adapter.calls[0][3]
    assert adapter.calls[0][1].endswith("/portfolio/orders")
    assert (body["side"], body["action"], body["no_price_dollars"], body["count_fp"]) == ("no", "buy", "0.4400", "3.00")
    assert ack.order_id == "o1" and ack.remaining_count == D("3")
    client.cancel_order("o1")
    assert adapter.calls[-1][0] == "DELETE" and adapter.calls[-1][1].endswith("/portfolio/orders/o1")


def test_cancel_is_idempotent_after_a_lost_response():
    ex = FakeOrders([])
    client, _, _ = make_client(ex.handler)
    client.create_order(ticker="T", side="bid", count="1", price="0.5", client_order_id="c")
    assert client.cancel_order("o1").status == "canceled"
    # a second cancel (as a retry after a lost response would do) reports the state, not an error
    assert client.cancel_order("o1").status == "canceled"


# -- rate limiting ---------------------------------------------------------------------------------


def test_token_bucket_waits_for_refill():
    now = {"t": 0.0}
    slept: list[float] = []

    def sleep(s):
        slept.append(s)
        now["t"] += s

    bucket = TokenBucket(rate=100.0, capacity=20.0, clock=lambda: now["t"], sleep=sleep)
    assert bucket.acquire(10) == 0 and bucket.acquire(10) == 0
    waited = bucket.acquire(10)  # empty: 10 tokens at 100/s = 0.1 s
    assert waited == pytest.approx(0.1)
    bucket.penalize()
    assert bucket.acquire(10) == pytest.approx(0.1)


def test_basic_tier_paces_reads_at_20_per_second():
    now = {"t": 0.0}

    def sleep(s):
        now["t"] += s

    from kalshi_edge.kalshi.rest import RateLimiter

    lim = RateLimiter("basic", clock=lambda: now["t"], sleep=sleep)
    for _ in range(60):
        lim.read.acquire()
    # 200 tokens banked, then 10 tokens per request at 200/s: 40 more requests take 2 s
    assert now["t"] == pytest.approx(2.0)
    with pytest.raises(KalshiError, match="tier"):
        RateLimiter("gold")


def test_restart_with_the_same_client_id_returns_the_existing_order():
    ex = FakeOrders([])
    first, _, _ = make_client(ex.handler)
    first.create_order(ticker="T", side="bid", count="2", price="0.40", client_order_id="intent-7")
    # a new process (no memory of the ack) replays the same intent: 409 → lookup → same order
    restarted, adapter, _ = make_client(ex.handler)
    ack = restarted.create_order(ticker="T", side="bid", count="2", price="0.40", client_order_id="intent-7")
    assert ack.recovered and ack.order_id == "o1" and len(ex.orders) == 1
    # the same id for a different order is refused, naming both
    with pytest.raises(PermanentError, match="already names order o1"):
        restarted.create_order(ticker="T", side="ask", count="2", price="0.40", client_order_id="intent-7")
    assert len(ex.orders) == 1
