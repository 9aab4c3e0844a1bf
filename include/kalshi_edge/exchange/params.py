"""HTTP plumbing the simulator's routes share: query parsing, pagination, JSON bodies (400s name the field)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from aiohttp import web

from kalshi_edge.exchange.state import ApiError

API = "/trade-api/v2"
WS_PATH = "/trade-api/ws/v2"
#: The account a request acts for (set by the middleware after authentication).
ACCOUNT = web.RequestKey("account", str)


def q_int(request: web.Request, name: str, *, default: int | None = None, lo: int | None = None,
           hi: int | None = None, required: bool = False) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        if required:
            raise ApiError(400, "invalid_parameters", f"{name}: required")
        return default
    try:
        v = int(raw)
    except ValueError:
        raise ApiError(400, "invalid_parameters", f"{name}: {raw!r} is not an integer") from None
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ApiError(400, "invalid_parameters", f"{name}: {v} outside {lo}..{hi}")
    return v


def q_bool(request: web.Request, name: str) -> bool:
    raw = request.query.get(name, "false").lower()
    if raw not in ("true", "false", "1", "0", ""):
        raise ApiError(400, "invalid_parameters", f"{name}: {raw!r} is not a boolean")
    return raw in ("true", "1")


def q_list(request: web.Request, name: str) -> list[str]:
    out: list[str] = []
    for v in request.query.getall(name, []):
        out.extend(x for x in v.split(",") if x)
    return out


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode()


def paginate(items: list[Any], request: web.Request, *, default: int, hi: int, lo: int = 1) -> tuple[list[Any], str]:
    limit = q_int(request, "limit", default=default, lo=lo, hi=hi) or default
    raw = request.query.get("cursor") or ""
    offset = 0
    if raw:
        try:
            text = base64.urlsafe_b64decode(raw.encode() + b"=" * (-len(raw) % 4)).decode()
            if not text.startswith("o"):
                raise ValueError
            offset = int(text[1:])
            if offset < 0:
                raise ValueError
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ApiError(400, "invalid_cursor", f"cursor: {raw!r} is not a cursor this server issued") from None
    page = items[offset : offset + limit]
    nxt = encode_cursor(offset + limit) if offset + limit < len(items) else ""
    return page, nxt


def ts_filter(ts: datetime, request: web.Request, lo_name: str = "min_ts", hi_name: str = "max_ts") -> bool:
    lo = q_int(request, lo_name)
    hi = q_int(request, hi_name)
    t = ts.timestamp()
    return (lo is None or t >= lo) and (hi is None or t <= hi)


def parse_iso(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


#: Deepest JSON nesting a request body or WebSocket command may have (Kalshi's bodies are 2-3 deep).
MAX_JSON_DEPTH = 32


def json_depth(text: str) -> int:
    """Maximum ``[``/``{`` nesting of a JSON text, brackets inside strings ignored (no parsing)."""
    depth = deepest = 0
    in_str = escaped = False
    for ch in text:
        if in_str:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def loads_bounded(text: str, what: str = "body") -> Any:
    """``json.loads`` that refuses nesting deeper than :data:`MAX_JSON_DEPTH` (a 400, never a RecursionError)."""
    if json_depth(text) > MAX_JSON_DEPTH:
        raise ApiError(400, "invalid_parameters", f"{what}: JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, ValueError, RecursionError):
        raise ApiError(400, "invalid_parameters", f"{what}: not JSON") from None


async def read_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object body (400 naming ``body`` when it is not one)."""
    try:
        text = await request.text()
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "invalid_parameters", "body: not UTF-8 text") from None
    body = loads_bounded(text, "body")
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_parameters", "body: expected a JSON object")
    return body
