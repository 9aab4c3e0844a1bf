"""Kalshi request signing (KALSHI_API.md "Authentication").

Signed text: ``timestamp_ms + METHOD + path`` where ``path`` includes ``/trade-api/v2`` (or
``/trade-api/ws/v2`` for the WebSocket upgrade) and excludes the query string; the body is not
signed. RSA keys sign with RSA-PSS, SHA-256, MGF1-SHA256, salt length 32 (the digest length);
Ed25519 keys sign the same text directly. Headers: ``KALSHI-ACCESS-KEY``,
``KALSHI-ACCESS-TIMESTAMP`` (milliseconds, string), ``KALSHI-ACCESS-SIGNATURE`` (base64).
"""

from __future__ import annotations

import base64
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from kalshi_edge.kalshi.errors import AuthError

PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey

HEADER_KEY = "KALSHI-ACCESS-KEY"
HEADER_TS = "KALSHI-ACCESS-TIMESTAMP"
HEADER_SIG = "KALSHI-ACCESS-SIGNATURE"
#: PSS salt length: the SHA-256 digest length, as Kalshi's SDKs use (PSS.DIGEST_LENGTH).
PSS_SALT_LENGTH = 32


def _pss() -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_LENGTH)


def load_private_key(path: Path | str, password: bytes | None = None) -> PrivateKey:
    """Read a PEM private key (RSA or Ed25519). Raises :class:`AuthError` naming the file."""
    p = Path(path).expanduser()
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise AuthError(f"{p}: cannot read private key ({exc.strerror})") from None
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError) as exc:
        raise AuthError(f"{p}: not a PEM private key ({exc})") from None
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise AuthError(f"{p}: unsupported key type {type(key).__name__} (need RSA or Ed25519)")
    return key


def load_public_key(path: Path | str) -> PublicKey:
    """Read a PEM public key (RSA or Ed25519), e.g. a simulator's registered ``<key id>.pem``."""
    p = Path(path).expanduser()
    try:
        key = serialization.load_pem_public_key(p.read_bytes())
    except (OSError, ValueError) as exc:
        raise AuthError(f"{p}: not a readable PEM public key ({exc})") from None
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise AuthError(f"{p}: unsupported key type {type(key).__name__}")
    return key


def signing_path(url_or_path: str) -> str:
    """The path part that is signed: no scheme/host, no query string."""
    return urlsplit(url_or_path).path or "/"


def message(ts_ms: int | str, method: str, path: str) -> bytes:
    return f"{ts_ms}{method.upper()}{signing_path(path)}".encode()


def sign(key: PrivateKey, ts_ms: int | str, method: str, path: str) -> str:
    """Base64 signature of ``ts_ms + METHOD + path``."""
    msg = message(ts_ms, method, path)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        sig = key.sign(msg)
    else:
        sig = key.sign(msg, _pss(), hashes.SHA256())
    return base64.b64encode(sig).decode("ascii")


def verify(public_key: PublicKey, signature_b64: str, ts_ms: int | str, method: str, path: str) -> bool:
    """True when ``signature_b64`` signs ``ts_ms + METHOD + path`` under ``public_key``."""
    try:
        sig = base64.b64decode(signature_b64, validate=True)
    except (ValueError, TypeError):
        return False
    msg = message(ts_ms, method, path)
    try:
        if isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(sig, msg)
        else:
            public_key.verify(sig, msg, _pss(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def auth_headers(key_id: str, key: PrivateKey, method: str, path: str, ts_ms: int | None = None) -> dict[str, str]:
    """The three Kalshi auth headers for one request (``ts_ms`` defaults to now)."""
    ts = int(time.time() * 1000) if ts_ms is None else int(ts_ms)
    return {HEADER_KEY: key_id, HEADER_TS: str(ts), HEADER_SIG: sign(key, ts, method, path)}


class KalshiAuth(requests.auth.AuthBase):
    """``requests`` auth hook: signs every prepared request with a fresh timestamp.

    Signing happens per send, so a retried request never reuses a stale timestamp.
    """

    def __init__(self, key_id: str, key: PrivateKey) -> None:
        self.key_id = key_id
        self.key = key

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers.update(auth_headers(self.key_id, self.key, r.method or "GET", r.url or "/"))
        return r
