"""The simulated venue's records and clocks: errors, positions, order records, accounts, events, market state."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from kalshi_edge.exchange.matching import OrderState
from kalshi_edge.exchange.scenario import parse_time
from kalshi_edge.kalshi.fees import FeeSchedule
from kalshi_edge.kalshi.money import ZERO, fmt_price

DEFAULT_ACCOUNT = "default"
DEFAULT_BALANCE_CENTS = 1_000_000  # $10,000 per account


class ApiError(Exception):
    """An error response: HTTP ``status`` and the spec's ``ErrorResponse`` ``code``/``message``."""

    def __init__(self, status: int, code: str, message: str, details: str = "") -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "details": self.details, "service": "simulator"}


# ---------------------------------------------------------------------------- clocks
class SimClock:
    """Simulator time: ``start`` plus real elapsed time × ``speed`` (replays run faster)."""

    def __init__(self, start: datetime, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed: {speed} must be positive")
        self.start = start.astimezone(UTC)
        self.speed = speed
        self._t0 = time.monotonic()
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self._t0) * self.speed) + self._offset

    def advance(self, seconds: float) -> None:
        """Jump forward (demos: close a market without waiting)."""
        self._offset += timedelta(seconds=seconds)


class ManualClock:
    """A clock that only moves when told (deterministic tests)."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)


def to_ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def d4(x: Decimal) -> str:
    return fmt_price(x)


# ---------------------------------------------------------------------------- records
@dataclass
class Position:
    """One account's position in one market. Dollars and contracts, exact."""

    ticker: str
    position: Decimal = ZERO  # >0 long YES, <0 long NO
    cost_basis: Decimal = ZERO  # dollars paid for the open contracts (market exposure)
    realized_pnl: Decimal = ZERO
    total_traded: Decimal = ZERO
    fees_paid: Decimal = ZERO
    last_updated: datetime | None = None


@dataclass
class OrderRecord:
    """Venue-side bookkeeping for one order beyond the engine's :class:`OrderState`."""

    state: OrderState
    account: str
    side: str  # yes|no as requested (legacy) or implied (V2)
    action: str  # buy|sell
    created: datetime
    last_update: datetime
    expiration: datetime | None = None
    taker_fill_cost: Decimal = ZERO
    maker_fill_cost: Decimal = ZERO
    order_group_id: str = ""


@dataclass
class Account:
    name: str
    cash: Decimal
    positions: dict[str, Position] = field(default_factory=dict)
    fills: list[dict[str, Any]] = field(default_factory=list)
    settlements: list[dict[str, Any]] = field(default_factory=list)
    order_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ExchangeEvent:
    """What happened, for the WebSocket hub.

    ``kind`` ∈ delta | trade | fill | ticker | lifecycle | order (payload: the ``Order`` dict) |
    position (the ``MarketPosition`` dict) | order_group (the group's change). ``account`` is set
    for the private kinds (fill, order, position, order_group).
    """

    kind: str
    ticker: str
    payload: Any
    account: str | None = None


@dataclass
class MarketState:
    spec: dict[str, Any]
    open_time: datetime
    close_time: datetime
    fee_schedule: FeeSchedule
    steps: list[tuple[Decimal, Decimal, Decimal]]
    result: str = ""
    settled_time: datetime | None = None
    volume: Decimal = ZERO
    open_interest: Decimal = ZERO
    last_price: Decimal | None = None
    market_id: str = ""
    closed_swept: bool = False


def price_steps(spec: dict[str, Any], ticker: str) -> list[tuple[Decimal, Decimal, Decimal]]:
    ranges = spec.get("price_ranges") or [{"start": "0", "end": "1", "step": "0.01"}]
    out = []
    for i, r in enumerate(ranges):
        try:
            out.append((Decimal(str(r["start"])), Decimal(str(r["end"])), Decimal(str(r["step"]))))
        except (KeyError, ArithmeticError):
            raise ValueError(f"market {ticker}: price_ranges[{i}] is malformed: {r!r}") from None
    return out


def with_required_fields(m: dict[str, Any]) -> dict[str, Any]:
    """Fill fields the spec requires but a (recorded, older) market payload lacks with neutral defaults.

    The recorded KXHIGHNY fixture has no ``fractional_trading_enabled``, for example; the
    simulator must still answer with a spec-valid ``Market``.
    """
    from kalshi_edge.exchange.scenario import make_market

    t = m.get("ticker", "?")
    defaults = make_market(
        ticker=t, event_ticker=m.get("event_ticker", ""), title=m.get("title", t),
        yes_sub_title=m.get("yes_sub_title", ""), no_sub_title=m.get("no_sub_title", ""),
        open_time=parse_time(m["open_time"], f"{t}.open_time"), close_time=parse_time(m["close_time"], f"{t}.close_time"),
        strike_type=m.get("strike_type", "custom"), generated=False,
    )
    out = dict(m)
    for k, v in defaults.items():
        out.setdefault(k, v)
    return out

