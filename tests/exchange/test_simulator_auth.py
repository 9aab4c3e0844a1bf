"""--auth verify: Kalshi's official SDK is accepted; bad signatures and stale timestamps get 401."""

from __future__ import annotations

import base64
import time

import kalshi_python_sync
import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from kalshi_edge.exchange.auth import AuthError, KeyStore
from kalshi_edge.exchange.simulator import run_simulator_in_thread

KEY_ID = "a1b2c3d4-0000-4000-8000-000000000001"
ED_KEY_ID = "ed25519-key"


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("keys")
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ed_key = ed25519.Ed25519PrivateKey.generate()
    for kid, k in ((KEY_ID, rsa_key), (ED_KEY_ID, ed_key)):
        (d / f"{kid}.pem").write_bytes(k.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return d, rsa_key, ed_key


@pytest.fixture(scope="module")
def sim(keys):
    with run_simulator_in_thread(auth="verify", keys_dir=keys[0], seed=1) as handle:
        yield handle


def _pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _headers(key, key_id: str, method: str, path: str, ts_ms: int | None = None) -> dict[str, str]:
    ts = str(ts_ms if ts_ms is not None else int(time.time() * 1000))
    msg = (ts + method + path).encode()
    if isinstance(key, rsa.RSAPrivateKey):
        sig = key.sign(msg, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH),
                       hashes.SHA256())
    else:
        sig = key.sign(msg)
    return {"KALSHI-ACCESS-KEY": key_id, "KALSHI-ACCESS-TIMESTAMP": ts,
            "KALSHI-ACCESS-SIGNATURE": base64.b64encode(sig).decode()}


def test_official_sdk_signed_request_is_accepted(sim, keys):
    config = kalshi_python_sync.Configuration(host=sim.base_url)
    config.api_key_id = KEY_ID
    config.private_key_pem = _pem(keys[1])
    client = kalshi_python_sync.KalshiClient(config)
    bal = client.get_balance()
    assert bal.balance == 1_000_000  # the account named by the key id, funded with $10,000
    assert KEY_ID in sim.exchange.accounts


def test_wrong_signature_is_401(sim, keys):
    path = "/trade-api/v2/portfolio/balance"
    h = _headers(keys[1], KEY_ID, "GET", "/trade-api/v2/portfolio/positions")  # signed for another path
    r = requests.get(sim.base_url + "/portfolio/balance", headers=h, timeout=10)
    assert r.status_code == 401
    assert "signature" in r.json()["message"]
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    r = requests.get(sim.base_url + "/portfolio/balance", headers=_headers(other, KEY_ID, "GET", path), timeout=10)
    assert r.status_code == 401


def test_stale_timestamp_is_401_and_fresh_is_200(sim, keys):
    path = "/trade-api/v2/portfolio/balance"
    stale = int(time.time() * 1000) - 5 * 60 * 1000
    r = requests.get(sim.base_url + "/portfolio/balance", headers=_headers(keys[1], KEY_ID, "GET", path, stale), timeout=10)
    assert r.status_code == 401 and "timestamp" in r.json()["message"]
    r = requests.get(sim.base_url + "/portfolio/balance", headers=_headers(keys[1], KEY_ID, "GET", path), timeout=10)
    assert r.status_code == 200


def test_missing_headers_and_unknown_key_are_401_public_data_is_open(sim, keys):
    assert requests.get(sim.base_url + "/portfolio/balance", timeout=10).status_code == 401
    h = _headers(keys[1], "nobody", "GET", "/trade-api/v2/portfolio/balance")
    assert requests.get(sim.base_url + "/portfolio/balance", headers=h, timeout=10).status_code == 401
    assert requests.get(sim.base_url + "/markets", timeout=10).status_code == 200
    # the order book needs auth, as on Kalshi
    assert requests.get(sim.base_url + "/markets/KXHIGHNY-26JUL12-T82/orderbook", timeout=10).status_code == 401


def test_ed25519_key_and_query_string_not_signed(sim, keys):
    path = "/trade-api/v2/portfolio/orders"
    r = requests.get(sim.base_url + "/portfolio/orders", params={"limit": 5},
                     headers=_headers(keys[2], ED_KEY_ID, "GET", path), timeout=10)
    assert r.status_code == 200, r.text


def test_websocket_upgrade_needs_signature(sim, keys):
    with pytest.raises(InvalidStatus) as exc:
        connect(sim.ws_url, open_timeout=5).close()
    assert exc.value.response.status_code == 401
    h = _headers(keys[1], KEY_ID, "GET", "/trade-api/ws/v2")
    with connect(sim.ws_url, additional_headers=h, open_timeout=5) as ws:
        ws.send('{"id": 1, "cmd": "list_subscriptions"}')
        assert '"type": "ok"' in ws.recv(timeout=5)


def test_keystore_rejects_non_base64_and_bad_timestamp():
    ks = KeyStore({})
    with pytest.raises(AuthError, match="missing"):
        ks.verify({}, "GET", "/x")
    key = ed25519.Ed25519PrivateKey.generate()
    ks = KeyStore({"k": key.public_key()})
    with pytest.raises(AuthError, match="milliseconds"):
        ks.verify({"KALSHI-ACCESS-KEY": "k", "KALSHI-ACCESS-TIMESTAMP": "soon", "KALSHI-ACCESS-SIGNATURE": "AA=="},
                  "GET", "/x")
    ts = str(int(time.time() * 1000))
    with pytest.raises(AuthError, match="base64"):
        ks.verify({"KALSHI-ACCESS-KEY": "k", "KALSHI-ACCESS-TIMESTAMP": ts, "KALSHI-ACCESS-SIGNATURE": "!!"}, "GET", "/x")
