"""Fee-aware edge of every market of a BTC ladder, and the selection filters with skip reasons.

Per market and per contract (an order of ``count`` contracts; fees from THE fee function):

* ``ev_yes_taker = p − yes_ask − fee(yes_ask)/count``: buy YES at the ask;
* ``ev_no_taker  = (1 − p) − no_ask − fee(no_ask)/count``: buy NO at the ask;
* ``ev_yes_maker = p − yes_bid − maker_fee/count`` and ``ev_no_maker`` likewise at the NO bid, only
  when the series charges makers nothing (fee_type ``quadratic``/``flat``); these assume the
  resting order fills at the bid (no adverse-selection haircut), so they are an upper bound.

:func:`market_edge` is the exact scalar reference (Decimal, :func:`order_fee`);
:func:`ladder_edge_vec` is the vectorized float screen over a whole ladder
(:func:`taker_fee_per_contract_vec`) — the two agree to the cent (tested).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import numpy as np

from kalshi_edge.kalshi.fees import FeeSchedule, FeeType, order_fee, taker_fee_per_contract_vec
from kalshi_edge.kalshi.money import ZERO, parse_count

EV_Q = Decimal("0.000001")


def p_to_decimal(p: float) -> Decimal:
    """A probability as a Decimal with 6 places (EVs are stored to 1e-6 dollars)."""
    if not (0.0 <= p <= 1.0) or math.isnan(p):
        raise ValueError(f"p_yes {p!r} is not a probability")
    return Decimal(f"{p:.6f}")


@dataclass(frozen=True)
class Quote:
    """Top of book for one market (dollars; None when that side is empty)."""

    yes_bid: Decimal | None
    yes_ask: Decimal | None
    no_bid: Decimal | None
    no_ask: Decimal | None
    yes_ask_size: Decimal | None = None
    no_ask_size: Decimal | None = None
    ts: datetime | None = None


@dataclass(frozen=True)
class EdgeRow:
    """Exact per-contract EVs and fees for one market (None where the side has no quote)."""

    p_yes: Decimal
    fee_yes_taker: Decimal | None
    fee_no_taker: Decimal | None
    ev_yes_taker: Decimal | None
    ev_no_taker: Decimal | None
    ev_yes_maker: Decimal | None
    ev_no_maker: Decimal | None

    def best(self) -> tuple[str, str, Decimal] | None:
        """(side, action, ev) with the highest EV, or None if nothing is quoted."""
        cands = [
            ("yes", "taker", self.ev_yes_taker),
            ("no", "taker", self.ev_no_taker),
            ("yes", "maker", self.ev_yes_maker),
            ("no", "maker", self.ev_no_maker),
        ]
        cands = [c for c in cands if c[2] is not None]
        return max(cands, key=lambda c: c[2]) if cands else None  # type: ignore[arg-type, return-value]


def maker_is_free(schedule: FeeSchedule) -> bool:
    """True when resting orders pay no fee on this series (quadratic or flat)."""
    return schedule.fee_type is not FeeType.QUADRATIC_WITH_MAKER_FEES


def _usable(price: Decimal | None) -> bool:
    # 0 and 1 are not tradeable prices (empty side shows as 0 bid / 1 ask in some payloads)
    return price is not None and ZERO < price < Decimal(1)


def market_edge(
    p_yes: float,
    quote: Quote,
    *,
    schedule: FeeSchedule | None = None,
    count: object = 1,
    tick: Decimal = Decimal("0.01"),
    at: datetime | None = None,
) -> EdgeRow:
    """Exact EV per contract (dollars, Decimal to 1e-6) of each action on one market."""
    sched = schedule or FeeSchedule()
    c = parse_count(count, "count")
    if c <= 0:
        raise ValueError("count must be positive")
    p = p_to_decimal(p_yes)
    q = 1 - p

    def taker(prob: Decimal, price: Decimal | None) -> tuple[Decimal | None, Decimal | None]:
        if not _usable(price):
            return None, None
        fee = order_fee(price=price, count=c, schedule=sched, tick=tick, at=at)
        return fee, (prob - price - fee / c).quantize(EV_Q)  # type: ignore[operator]

    def maker(prob: Decimal, price: Decimal | None) -> Decimal | None:
        if not _usable(price) or not maker_is_free(sched):
            return None
        fee = order_fee(price=price, count=c, is_maker=True, schedule=sched, tick=tick, at=at)
        return (prob - price - fee / c).quantize(EV_Q)  # type: ignore[operator]

    fy, evy = taker(p, quote.yes_ask)
    fn, evn = taker(q, quote.no_ask)
    return EdgeRow(
        p_yes=p, fee_yes_taker=fy, fee_no_taker=fn, ev_yes_taker=evy, ev_no_taker=evn,
        ev_yes_maker=maker(p, quote.yes_bid), ev_no_maker=maker(q, quote.no_bid),
    )


def ladder_edge_vec(
    p_yes: np.ndarray,
    yes_ask: np.ndarray,
    no_ask: np.ndarray,
    yes_bid: np.ndarray | None = None,
    no_bid: np.ndarray | None = None,
    *,
    multiplier: float = 1.0,
    count: float = 1.0,
    tick: float = 0.01,
    maker_free: bool = True,
) -> dict[str, np.ndarray]:
    """Vectorized float screen of :func:`market_edge` over a ladder (NaN where unquoted).

    Taker fees via :func:`taker_fee_per_contract_vec` (same rounding up per order); maker EVs
    are NaN unless ``maker_free``. Used to rank hundreds of strikes at once; rows that become
    orders or ledger entries are recomputed exactly with :func:`market_edge`.
    """
    p = np.asarray(p_yes, dtype=float)

    def ok(a: np.ndarray) -> np.ndarray:
        a = np.asarray(a, dtype=float)
        return np.where((a > 0) & (a < 1), a, np.nan)

    ya, na = ok(yes_ask), ok(no_ask)
    fy = taker_fee_per_contract_vec(np.nan_to_num(ya, nan=0.5), multiplier=multiplier, tick=tick, count=count)
    fn = taker_fee_per_contract_vec(np.nan_to_num(na, nan=0.5), multiplier=multiplier, tick=tick, count=count)
    out = {
        "fee_yes_taker": np.where(np.isnan(ya), np.nan, fy * count),
        "fee_no_taker": np.where(np.isnan(na), np.nan, fn * count),
        "ev_yes_taker": p - ya - fy,
        "ev_no_taker": (1 - p) - na - fn,
    }
    nanv = np.full_like(p, np.nan)
    if maker_free and yes_bid is not None and no_bid is not None:
        out["ev_yes_maker"] = p - ok(yes_bid)
        out["ev_no_maker"] = (1 - p) - ok(no_bid)
    else:
        out["ev_yes_maker"] = nanv
        out["ev_no_maker"] = nanv.copy()
    return out


# ----------------------------------------------------------------------------------------------
# selection


@dataclass(frozen=True)
class SelectionFilters:
    """Which markets are worth acting on. Times in minutes/seconds, sizes in contracts."""

    min_minutes_to_close: float = 5.0
    max_hours_to_close: float = 26.0
    max_strike_z: float = 4.0  # skip regions more than this many sigmas from the spot
    max_quote_age_seconds: float = 30.0
    min_depth: Decimal = Decimal("1")
    min_edge_dollars: Decimal = Decimal("0.02")


@dataclass
class Selection:
    """Decision for one market: selected with its actions, or a skip reason."""

    selected: bool
    skip_reason: str = ""
    actions: list[tuple[str, str, Decimal, Decimal, Decimal]] = field(default_factory=list)  # side, action, price, fee, ev


def select_market(
    *,
    edge: EdgeRow,
    quote: Quote,
    status: str,
    as_of: datetime,
    close_ts: datetime | None,
    region_z: float,
    filters: SelectionFilters,
) -> Selection:
    """Apply the filters in a fixed order; the first failing one is the skip reason."""
    if status and status not in ("active", "open"):
        return Selection(False, f"status {status}")
    if close_ts is None:
        return Selection(False, "no close time")
    minutes = (close_ts - as_of).total_seconds() / 60
    if minutes < filters.min_minutes_to_close:
        return Selection(False, f"closes in {minutes:.1f} min < {filters.min_minutes_to_close:g}")
    if minutes > filters.max_hours_to_close * 60:
        return Selection(False, f"closes in {minutes / 60:.1f} h > {filters.max_hours_to_close:g}")
    if region_z > filters.max_strike_z:
        return Selection(False, f"strike {region_z:.1f} sigma from spot > {filters.max_strike_z:g}")
    if quote.ts is None:
        return Selection(False, "quote time unknown")
    age = (as_of - quote.ts).total_seconds()
    if age > filters.max_quote_age_seconds:
        return Selection(False, f"quote {age:.0f}s old > {filters.max_quote_age_seconds:g}s")
    if edge.best() is None:
        return Selection(False, "no quotes")
    actions: list[tuple[str, str, Decimal, Decimal, Decimal]] = []
    for side, action, ev, price, fee, depth in (
        ("yes", "taker", edge.ev_yes_taker, quote.yes_ask, edge.fee_yes_taker, quote.yes_ask_size),
        ("no", "taker", edge.ev_no_taker, quote.no_ask, edge.fee_no_taker, quote.no_ask_size),
        ("yes", "maker", edge.ev_yes_maker, quote.yes_bid, ZERO, None),
        ("no", "maker", edge.ev_no_maker, quote.no_bid, ZERO, None),
    ):
        if ev is None or price is None or ev < filters.min_edge_dollars:
            continue
        if action == "taker" and (depth is None or depth < filters.min_depth):
            continue
        actions.append((side, action, price, fee or ZERO, ev))
    if not actions:
        best = edge.best()
        thin = any(
            ev is not None and ev >= filters.min_edge_dollars and (d is None or d < filters.min_depth)
            for ev, d in ((edge.ev_yes_taker, quote.yes_ask_size), (edge.ev_no_taker, quote.no_ask_size))
        )
        if thin:
            return Selection(False, f"depth below {filters.min_depth} at the ask")
        return Selection(False, f"best EV {best[2]} < {filters.min_edge_dollars}")  # type: ignore[index]
    return Selection(True, "", actions)
