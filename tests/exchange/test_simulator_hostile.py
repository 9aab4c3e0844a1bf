"""Issue #12 item 4: the simulator refuses what a real exchange refuses (each test failed on main before).

Findings, one test each: unsigned admin writes under ``--auth verify`` (an unsigned settle paid
out an account); JSON nested 1,000 deep (RecursionError, 500); ``count`` 10**40, ``count_fp``
"1e30", ``buy_max_cost`` 10**40 (decimal.InvalidOperation, 500); a malformed WebSocket command
(the connection dropped with 1006 instead of an error frame).
"""

from __future__ import annotations

import base64
import json
import time

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from websockets.sync.client import connect

from kalshi_edge.exchange.simulator import run_simulator_in_thread

KEY_ID = "hostile-key"
TOKEN = "s3cret-admin"
T = "KXHIGHNY-26JUL12-T82"


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    d = tmp_path_factory.mktemp("keys")
    k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (d / f"{KEY_ID}.pem").write_bytes(k.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return d, k


def _signed(k, method: str, path: str) -> dict[str, str]:
    ts = str(int(time.time() * 1000))
    sig = k.sign((ts + method + path).encode(),
                 padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH), hashes.SHA256())
    return {"KALSHI-ACCESS-KEY": KEY_ID, "KALSHI-ACCESS-TIMESTAMP": ts,
            "KALSHI-ACCESS-SIGNATURE": base64.b64encode(sig).decode()}


@pytest.fixture(scope="module")
def sim():
    with run_simulator_in_thread(seed=3) as handle:
        yield handle


def _root(sim) -> str:
    return sim.base_url.replace("/trade-api/v2", "")


def test_admin_writes_refused_under_verify_without_token(key):
    keys_dir, k = key
    with run_simulator_in_thread(auth="verify", keys_dir=keys_dir, seed=1) as s:
        root = _root(s)
        # a funded position, then an unsigned settle attempt
        h = _signed(k, "POST", "/trade-api/v2/portfolio/events/orders")
        r = requests.post(s.base_url + "/portfolio/events/orders", headers=h, timeout=10,
                          json={"ticker": T, "side": "bid", "count": "1.00", "price": "0.9900",
                                "time_in_force": "immediate_or_cancel"})
        assert r.status_code == 201, r.text
        before = s.exchange.account(KEY_ID).cash
        for path, body in (("/_sim/settle", {"ticker": T, "result": "yes"}),
                           ("/_sim/book", {"ticker": T, "yes_dollars": [], "no_dollars": []}),
                           ("/_sim/clock", {"advance_seconds": 3600})):
            r = requests.post(root + path, json=body, timeout=10)
            assert r.status_code == 404, (path, r.status_code, r.text)
            assert "--admin-token" in r.json()["message"]
        assert s.exchange.markets[T].result == ""
        assert s.exchange.account(KEY_ID).cash == before
        assert requests.get(root + "/_sim/state", timeout=10).status_code == 200  # read-only stays open


def test_admin_token_unlocks_admin_writes_under_verify(key):
    with run_simulator_in_thread(auth="verify", keys_dir=key[0], seed=1, admin_token=TOKEN) as s:
        root = _root(s)
        r = requests.post(root + "/_sim/clock", json={"advance_seconds": 1}, timeout=10,
                          headers={"X-Sim-Admin-Token": "wrong"})
        assert r.status_code == 401
        r = requests.post(root + "/_sim/settle", json={"ticker": T, "result": "no"}, timeout=10,
                          headers={"X-Sim-Admin-Token": TOKEN})
        assert r.status_code == 200, r.text
        assert s.exchange.markets[T].result == "no"


def test_json_nested_1000_deep_is_400_not_500(sim):
    deep = '{"ticker": ' + "[" * 1000 + "]" * 1000 + "}"
    r = requests.post(sim.base_url + "/portfolio/events/orders", data=deep, timeout=10,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert "nested deeper" in r.json()["message"] and "body" in r.json()["message"]


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/portfolio/orders", {"ticker": T, "side": "yes", "action": "buy", "count": 10**40, "yes_price": 40}, "count"),
    ("/portfolio/orders", {"ticker": T, "side": "yes", "action": "buy", "count_fp": "1e30", "yes_price": 40}, "count"),
    ("/portfolio/events/orders", {"ticker": T, "side": "bid", "count": "1e30", "price": "0.4000"}, "count"),
    ("/portfolio/orders", {"ticker": T, "side": "yes", "action": "buy", "count": 5, "yes_price": 40,
                           "buy_max_cost": 10**40}, "buy_max_cost"),
])
def test_absurd_numbers_are_400_naming_the_field(sim, path, body, field):
    r = requests.post(sim.base_url + path, json=body, timeout=10)
    assert r.status_code == 400, r.text
    assert r.json()["message"].startswith(field), r.json()


def test_absurd_clock_advance_is_400(sim):
    r = requests.post(_root(sim) + "/_sim/clock", data='{"advance_seconds": 1e999}', timeout=10,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "advance_seconds" in r.json()["message"]


@pytest.mark.parametrize("cmd", [
    '{"id": 1, "cmd": "subscribe", "params": "orderbook_delta"}',
    '{"id": 2, "cmd": "subscribe", "params": {"channels": 5}}',
    '{"id": 3, "cmd": "unsubscribe", "params": {"sids": [[1]]}}',
    '{"id": 4, "cmd": "update_subscription", "params": {"sids": [{"a": 1}], "action": "add_markets"}}',
    "[" * 2000 + "]" * 2000,
])
def test_malformed_ws_command_gets_error_frame_and_socket_stays_open(sim, cmd):
    with connect(sim.ws_url, open_timeout=5) as ws:
        ws.send(cmd)
        reply = json.loads(ws.recv(timeout=5))
        assert reply["type"] == "error" and reply["msg"]["code"] == 1, reply
        ws.send('{"id": 9, "cmd": "list_subscriptions"}')  # still connected and answering
        assert json.loads(ws.recv(timeout=5))["type"] == "ok"


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/portfolio/events/orders/{oid}/amend", {"count": 10**40}),
    ("POST", "/portfolio/events/orders/{oid}/amend", {"count": "3", "expiration_time": 10**40}),
    ("POST", "/portfolio/events/orders/{oid}/amend", [1, 2]),
    ("POST", "/portfolio/events/orders/{oid}/decrease", {"reduce_by": "1e30"}),
    ("POST", "/portfolio/events/orders/batched", {"orders": {"a": 1}}),
    ("POST", "/portfolio/order_groups/create", {"contracts_limit_fp": "1e30"}),
    ("PUT", "/portfolio/order_groups/nope/limit", "[[[["),
    ("GET", "/live_data/weather/NYC?last_sec=abc", None),
    ("GET", "/series/KXHIGHNY/events/KXHIGHNY-26JUL12/forecast_percentile_history?percentiles=abc", None),
])
def test_3x_endpoints_refuse_garbage_with_400_naming_the_field(sim, method, path, body):
    """The routes beyond the 3.13 spec (no schemathesis for them): garbage is a 400 that names what is wrong."""
    oid = requests.post(sim.base_url + "/portfolio/events/orders", timeout=10,
                        json={"ticker": T, "side": "bid", "count": "1", "price": "0.0500"}).json()["order_id"]
    kw: dict = {"data": body, "headers": {"Content-Type": "application/json"}} if isinstance(body, str) else (
        {"json": body} if body is not None else {})
    r = requests.request(method, sim.base_url + path.format(oid=oid), timeout=10, **kw)
    assert r.status_code == 400, r.text
    msg = r.json()["message"]
    assert msg.split(":")[0] in ("count", "expiration_time", "body", "reduce_by", "orders", "contracts_limit_fp",
                                 "last_sec", "percentiles", "start_ts"), msg
