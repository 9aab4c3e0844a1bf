"""Request signing: RSA-PSS (SHA-256, MGF1, salt 32) and Ed25519 over ts + METHOD + path."""

from __future__ import annotations

import base64

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from kalshi_edge.kalshi.auth import (
    HEADER_KEY,
    HEADER_SIG,
    HEADER_TS,
    KalshiAuth,
    auth_headers,
    load_private_key,
    load_public_key,
    message,
    sign,
    verify,
)
from kalshi_edge.kalshi.errors import AuthError


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_signed_text_is_ts_method_path_without_query():
    assert message(1714000000000, "get", "https://h/trade-api/v2/portfolio/balance?x=1") == (
        b"1714000000000GET/trade-api/v2/portfolio/balance"
    )


def test_rsa_signature_is_pss_sha256_salt32(rsa_key):
    sig = sign(rsa_key, 1714000000000, "GET", "/trade-api/v2/portfolio/balance")
    # verify independently with the exact documented parameters (raises if they differ)
    rsa_key.public_key().verify(
        base64.b64decode(sig),
        b"1714000000000GET/trade-api/v2/portfolio/balance",
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256(),
    )
    assert verify(rsa_key.public_key(), sig, 1714000000000, "GET", "/trade-api/v2/portfolio/balance")
    assert not verify(rsa_key.public_key(), sig, 1714000000001, "GET", "/trade-api/v2/portfolio/balance")
    assert not verify(rsa_key.public_key(), sig, 1714000000000, "POST", "/trade-api/v2/portfolio/balance")
    assert not verify(rsa_key.public_key(), "not base64!", 1714000000000, "GET", "/x")


def test_official_sdk_signature_verifies_with_our_verify(rsa_key):
    from kalshi_python_sync.auth import KalshiAuth as SdkAuth

    pem = rsa_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    h = SdkAuth("key-1", pem).create_auth_headers("GET", "http://127.0.0.1/trade-api/v2/markets?limit=5")
    assert verify(rsa_key.public_key(), h[HEADER_SIG], h[HEADER_TS], "GET", "/trade-api/v2/markets")


def test_ed25519_keys():
    key = ed25519.Ed25519PrivateKey.generate()
    h = auth_headers("k", key, "DELETE", "/trade-api/v2/portfolio/events/orders/abc", ts_ms=42)
    assert h[HEADER_KEY] == "k" and h[HEADER_TS] == "42"
    assert verify(key.public_key(), h[HEADER_SIG], 42, "DELETE", "/trade-api/v2/portfolio/events/orders/abc")


def test_requests_hook_signs_the_full_path(rsa_key):
    req = requests.Request("GET", "http://127.0.0.1:9/trade-api/v2/portfolio/orders?limit=3").prepare()
    KalshiAuth("key-1", rsa_key)(req)
    assert verify(rsa_key.public_key(), req.headers[HEADER_SIG], req.headers[HEADER_TS], "GET",
                  "/trade-api/v2/portfolio/orders")


def test_key_files_roundtrip_and_errors(tmp_path, rsa_key):
    priv = tmp_path / "k.pem"
    priv.write_bytes(rsa_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    pub = tmp_path / "k.pub.pem"
    pub.write_bytes(rsa_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo))
    key = load_private_key(priv)
    assert verify(load_public_key(pub), sign(key, 1, "GET", "/p"), 1, "GET", "/p")
    bad = tmp_path / "bad.pem"
    bad.write_text("hello")
    with pytest.raises(AuthError, match="bad.pem"):
        load_private_key(bad)
    with pytest.raises(AuthError, match="missing.pem"):
        load_private_key(tmp_path / "missing.pem")
