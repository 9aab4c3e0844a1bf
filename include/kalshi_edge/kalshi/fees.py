"""The one fee function. Edge, backtest, simulator and PnL all call :func:`order_fee`.

Kalshi fee schedule (KALSHI_API.md "Fees"):

* taker: ``multiplier × 0.07 × C × P × (1 − P)`` per order;
* maker: ``0.0175 × C × P × (1 − P)``, only when the series' ``fee_type`` is
  ``quadratic_with_maker_fees`` (zero on ``quadratic`` and ``flat``);
* ``flat``: the Specific Trading Fees table charges a fixed amount per contract; we model it as
  ``multiplier × C`` dollars (multiplier = the per-contract fee in dollars), makers free;
* no fee while a fee waiver is active (``fee_waiver_expiration_time`` in the future);
* event overrides (``fee_type_override``/``fee_multiplier_override``) replace the series values;
* each order's fee is rounded **up** to ``tick`` (default $0.01, the conservative legacy rule).

P is the price paid for the side bought (for a NO buy at 0.30, P = 0.30; the formula is
symmetric in P ↔ 1 − P, so the YES-equivalent price gives the same fee).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

import numpy as np

from kalshi_edge.kalshi.money import ONE, ZERO, MoneyError, parse_count, parse_price, round_up, to_decimal

TAKER_RATE = Decimal("0.07")
MAKER_RATE = Decimal("0.0175")
DEFAULT_TICK = Decimal("0.01")


class FeeType(StrEnum):
    QUADRATIC = "quadratic"
    QUADRATIC_WITH_MAKER_FEES = "quadratic_with_maker_fees"
    FLAT = "flat"


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """What decides a market's fees: series values, event overrides applied, market waiver."""

    fee_type: FeeType = FeeType.QUADRATIC
    multiplier: Decimal = ONE
    waiver_expires: datetime | None = None

    @classmethod
    def resolve(
        cls,
        *,
        series_fee_type: str | None,
        series_multiplier: object = "1",
        event_fee_type_override: str | None = None,
        event_multiplier_override: object | None = None,
        market_waiver_expiration: datetime | None = None,
    ) -> FeeSchedule:
        """Combine series defaults with event overrides (overrides win when present)."""
        ft = event_fee_type_override or series_fee_type or FeeType.QUADRATIC.value
        try:
            fee_type = FeeType(ft)
        except ValueError:
            raise MoneyError(f"fee_type: unknown fee type {ft!r}") from None
        mult_raw = event_multiplier_override if event_multiplier_override not in (None, "") else series_multiplier
        mult = to_decimal(str(mult_raw) if isinstance(mult_raw, float) else mult_raw, "fee_multiplier")
        if mult < 0:
            raise MoneyError(f"fee_multiplier: {mult} is negative")
        return cls(fee_type=fee_type, multiplier=mult, waiver_expires=market_waiver_expiration)

    def waived_at(self, at: datetime | None) -> bool:
        return self.waiver_expires is not None and at is not None and at < self.waiver_expires


def raw_fee(*, price: Decimal, count: Decimal, is_maker: bool, schedule: FeeSchedule) -> Decimal:
    """The unrounded fee in dollars for one order (no waiver logic)."""
    if schedule.fee_type is FeeType.FLAT:
        return ZERO if is_maker else schedule.multiplier * count
    pq = price * (ONE - price)
    if is_maker:
        if schedule.fee_type is FeeType.QUADRATIC_WITH_MAKER_FEES:
            return MAKER_RATE * count * pq
        return ZERO
    return schedule.multiplier * TAKER_RATE * count * pq


def order_fee(
    *,
    price: object,
    count: object,
    is_maker: bool = False,
    schedule: FeeSchedule | None = None,
    tick: Decimal = DEFAULT_TICK,
    at: datetime | None = None,
) -> Decimal:
    """Fee in dollars for one order of ``count`` contracts at ``price`` dollars, rounded up to ``tick``.

    >>> order_fee(price="0.25", count="1")
    Decimal('0.02')
    """
    sched = schedule or FeeSchedule()
    if isinstance(price, Decimal) and isinstance(count, Decimal) and not sched.waived_at(at):
        return _order_fee_exact(price, count, is_maker, sched.fee_type, sched.multiplier, tick)
    p = parse_price(price, "price")
    c = parse_count(count, "count")
    if c == ZERO or sched.waived_at(at):
        return ZERO.quantize(tick)
    return round_up(raw_fee(price=p, count=c, is_maker=is_maker, schedule=sched), tick)


@lru_cache(maxsize=65_536)
def _order_fee_exact(price: Decimal, count: Decimal, is_maker: bool, fee_type: FeeType, multiplier: Decimal,
                     tick: Decimal) -> Decimal:
    """:func:`order_fee` of Decimal inputs with no waiver in force, memoized: a session or a
    backtest prices the same few (price, count) pairs on every step. Equal Decimals give the same
    quantized fee, and invalid inputs raise (nothing is cached for them), so results are unchanged."""
    p = parse_price(price, "price")
    c = parse_count(count, "count")
    if c == ZERO:
        return ZERO.quantize(tick)
    return round_up(raw_fee(price=p, count=c, is_maker=is_maker, schedule=FeeSchedule(fee_type, multiplier)), tick)


def taker_fee_per_contract_vec(
    prices: np.ndarray, *, multiplier: float = 1.0, tick: float = 0.01, count: float = 1.0
) -> np.ndarray:
    """Vectorized taker fee per contract for an order of ``count`` contracts (floats, for screening).

    Used to price a 300-strike ladder at once; every number that becomes an order or PnL is
    recomputed with :func:`order_fee`. Rounds up to ``tick`` per order, then divides by count.
    A tiny epsilon keeps exact multiples of the tick from rounding up one tick by float noise.
    """
    p = np.asarray(prices, dtype=float)
    raw = multiplier * 0.07 * count * p * (1.0 - p)
    rounded = np.ceil(raw / tick - 1e-9) * tick
    return np.where(count > 0, rounded / count, 0.0)
