"""Request-signature verification for the simulator (``--auth verify``).

Kalshi signs ``timestamp_ms + METHOD + path`` (path with ``/trade-api/v2``, without the query)
with RSA-PSS (SHA-256, MGF1-SHA256, salt = digest length) or Ed25519, sent as base64 in
``KALSHI-ACCESS-SIGNATURE`` beside ``KALSHI-ACCESS-KEY`` and ``KALSHI-ACCESS-TIMESTAMP``.
The WebSocket upgrade signs ``timestamp + "GET" + "/trade-api/ws/v2"``.

:class:`KeyStore` loads registered public keys from ``<keys dir>/<key id>.pem``; the key id is
the account name. The timestamp must be within ``max_skew_s`` (default 60 s) of the server's
wall clock (signatures use real time, never the simulator's scenario clock).
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

KEY_HEADER = "KALSHI-ACCESS-KEY"
TS_HEADER = "KALSHI-ACCESS-TIMESTAMP"
SIG_HEADER = "KALSHI-ACCESS-SIGNATURE"


class AuthError(Exception):
    """The request is not authenticated (→ 401). The message says why."""


class KeyStore:
    """Registered public keys by key id."""

    def __init__(self, keys: Mapping[str, rsa.RSAPublicKey | ed25519.Ed25519PublicKey] | None = None,
                 *, max_skew_s: float = 60.0) -> None:
        self.keys = dict(keys or {})
        self.max_skew_s = max_skew_s

    @classmethod
    def from_dir(cls, keys_dir: Path, *, max_skew_s: float = 60.0) -> KeyStore:
        """Load every ``*.pem`` public key (or certificate-less private key: its public half)."""
        d = Path(keys_dir)
        if not d.is_dir():
            raise FileNotFoundError(f"--keys {d}: not a directory")
        keys = {}
        for p in sorted(d.glob("*.pem")):
            data = p.read_bytes()
            try:
                key = serialization.load_pem_public_key(data)
            except ValueError:
                try:
                    key = serialization.load_pem_private_key(data, password=None).public_key()
                except (ValueError, TypeError) as exc:
                    raise ValueError(f"{p}: not a PEM public key ({exc})") from None
            if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
                raise ValueError(f"{p}: only RSA and Ed25519 keys are supported")
            keys[p.stem] = key
        return cls(keys, max_skew_s=max_skew_s)

    def verify(self, headers: Mapping[str, str], method: str, path: str, *, now_s: float | None = None) -> str:
        """Check the three headers for ``method path``; return the key id (the account)."""
        key_id = headers.get(KEY_HEADER)
        ts = headers.get(TS_HEADER)
        sig_b64 = headers.get(SIG_HEADER)
        if not key_id or not ts or not sig_b64:
            raise AuthError("missing KALSHI-ACCESS-KEY / KALSHI-ACCESS-TIMESTAMP / KALSHI-ACCESS-SIGNATURE")
        key = self.keys.get(key_id)
        if key is None:
            raise AuthError(f"unknown key id {key_id!r}")
        try:
            ts_ms = int(ts)
        except ValueError:
            raise AuthError(f"timestamp {ts!r} is not integer milliseconds") from None
        now = time.time() if now_s is None else now_s
        if abs(now - ts_ms / 1000) > self.max_skew_s:
            raise AuthError(f"timestamp {ts} is more than {self.max_skew_s:.0f} s from server time")
        try:
            sig = base64.b64decode(sig_b64, validate=True)
        except (binascii.Error, ValueError):
            raise AuthError("signature is not base64") from None
        msg = (ts + method.upper() + path.split("?")[0]).encode()
        try:
            if isinstance(key, rsa.RSAPublicKey):
                key.verify(sig, msg, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                 salt_length=padding.PSS.DIGEST_LENGTH), hashes.SHA256())
            else:
                key.verify(sig, msg)
        except InvalidSignature:
            raise AuthError("signature does not verify") from None
        return key_id
