"""Exact money and quantity helpers. Money is ``Decimal``, never float.

Kalshi 2026 units: prices are dollar strings with 4 (up to 6) decimals, counts are fixed-point
strings with 2 decimals, balances and settlement revenue are integer cents.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal, InvalidOperation

ONE = Decimal("1")
ZERO = Decimal("0")
CENT = Decimal("0.01")
#: Prices are stored to 6 decimals (responses carry 4, sometimes 6).
PRICE_QUANT = Decimal("0.000001")
#: Counts are fixed-point with 2 decimals (fractional contracts exist).
COUNT_QUANT = Decimal("0.01")


class MoneyError(ValueError):
    """A price, count or amount is not a valid exact value. The message names the field."""


def to_decimal(value: object, field: str = "value") -> Decimal:
    """Parse an exact decimal from str/int/Decimal. Floats are refused: they are not exact."""
    if isinstance(value, bool) or value is None:
        raise MoneyError(f"{field}: expected a decimal string or integer, got {value!r}")
    if isinstance(value, float):
        raise MoneyError(f"{field}: float {value!r} is not exact; pass a string or Decimal")
    if isinstance(value, Decimal):
        d = value
    else:
        try:
            d = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise MoneyError(f"{field}: {value!r} is not a decimal number") from None
    if not d.is_finite():
        raise MoneyError(f"{field}: {value!r} is not finite")
    return d


def parse_price(value: object, field: str = "price") -> Decimal:
    """A contract price in dollars, 0 ≤ p ≤ 1 (0 and 1 appear on settled markets)."""
    d = to_decimal(value, field)
    if d < ZERO or d > ONE:
        raise MoneyError(f"{field}: price {d} outside [0, 1] dollars")
    if d != d.quantize(PRICE_QUANT, rounding=ROUND_HALF_EVEN):
        raise MoneyError(f"{field}: price {d} has more than 6 decimals")
    return d


def parse_count(value: object, field: str = "count") -> Decimal:
    """A contract count, fixed-point with at most 2 decimals, non-negative."""
    d = to_decimal(value, field)
    if d < ZERO:
        raise MoneyError(f"{field}: count {d} is negative")
    try:
        q = d.quantize(COUNT_QUANT)
    except InvalidOperation:  # more digits than the context holds: 1e30, 10**40
        raise MoneyError(f"{field}: count {value!r} is out of range") from None
    if d != q:
        raise MoneyError(f"{field}: count {d} has more than 2 decimals")
    return q


def cents_to_dollars(cents: object, field: str = "cents") -> Decimal:
    """Integer cents (legacy fields, balances, settlement revenue) to dollars."""
    d = to_decimal(cents, field)
    if d != d.to_integral_value():
        raise MoneyError(f"{field}: {cents!r} is not a whole number of cents")
    return (d / 100).quantize(CENT)


def round_up(amount: Decimal, tick: Decimal) -> Decimal:
    """Round a non-negative amount up to the next multiple of ``tick`` (fee rounding)."""
    if tick <= 0:
        raise MoneyError(f"tick: {tick} must be positive")
    units = (amount / tick).to_integral_value(rounding=ROUND_CEILING)
    return (units * tick).quantize(tick)


def fmt_price(p: Decimal) -> str:
    """Format a price as Kalshi does in requests: 4 decimals."""
    return str(p.quantize(Decimal("0.0001")))


def fmt_count(c: Decimal) -> str:
    """Format a count as Kalshi's ``*_fp`` strings: 2 decimals."""
    return str(c.quantize(COUNT_QUANT))
