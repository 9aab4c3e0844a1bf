"""Spec-shaped object templates for scenarios (Series, Event, Market dicts, generated books) and their time helpers."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from kalshi_edge.kalshi.money import fmt_count, fmt_price

ET = ZoneInfo("America/New_York")
CENT = Decimal("0.01")


class ScenarioError(ValueError):
    """A scenario or replay file is malformed. The message names the file, row and field."""



def iso(dt: datetime) -> str:
    """RFC 3339 UTC with a Z, as Kalshi prints times."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str, where: str) -> datetime:
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise ScenarioError(f"{where}: {value!r} is not an ISO-8601 time") from None
    if dt.tzinfo is None:
        raise ScenarioError(f"{where}: {value!r} has no time zone")
    return dt.astimezone(UTC)



def make_series(ticker: str, *, title: str, category: str, frequency: str = "daily",
                fee_type: str = "quadratic", fee_multiplier: float = 1.0, tags: Sequence[str] = (),
                sources: Sequence[dict[str, str]] = ()) -> dict[str, Any]:
    """A spec ``Series`` (generated: no recorded series payload exists in the fixtures)."""
    return {
        "ticker": ticker,
        "frequency": frequency,
        "title": title,
        "category": category,
        "tags": list(tags),
        "settlement_sources": list(sources),
        "contract_url": f"https://kalshi.com/markets/{ticker.lower()}",
        "contract_terms_url": f"https://kalshi.com/regulatory/rulebook/{ticker}",
        "product_metadata": None,
        "fee_type": fee_type,
        "fee_multiplier": fee_multiplier,
        "additional_prohibitions": [],
        "generated": True,
    }


def make_event(event_ticker: str, series_ticker: str, *, title: str, sub_title: str = "",
               mutually_exclusive: bool = True, category: str = "",
               strike_date: datetime | None = None) -> dict[str, Any]:
    """A spec ``EventData`` without nested markets (generated)."""
    return {
        "event_ticker": event_ticker,
        "series_ticker": series_ticker,
        "sub_title": sub_title,
        "title": title,
        "collateral_return_type": "",
        "mutually_exclusive": mutually_exclusive,
        "category": category,
        "strike_date": iso(strike_date) if strike_date else None,
        "strike_period": None,
        "available_on_brokers": False,
        "product_metadata": None,
        "generated": True,
    }


def make_market(
    *,
    ticker: str,
    event_ticker: str,
    title: str,
    yes_sub_title: str,
    no_sub_title: str,
    open_time: datetime,
    close_time: datetime,
    strike_type: str,
    floor_strike: float | None = None,
    cap_strike: float | None = None,
    rules_primary: str = "",
    generated: bool = True,
) -> dict[str, Any]:
    """A spec ``Market`` with every required field; quote fields are filled live by the simulator."""
    m: dict[str, Any] = {
        "ticker": ticker,
        "event_ticker": event_ticker,
        "market_type": "binary",
        "title": title,
        "subtitle": yes_sub_title,
        "yes_sub_title": yes_sub_title,
        "no_sub_title": no_sub_title,
        "created_time": iso(open_time - timedelta(hours=4)),
        "updated_time": iso(open_time),
        "open_time": iso(open_time),
        "close_time": iso(close_time),
        "expected_expiration_time": iso(close_time + timedelta(hours=1)),
        "expiration_time": iso(close_time + timedelta(days=7)),
        "latest_expiration_time": iso(close_time + timedelta(days=7)),
        "settlement_timer_seconds": 3600,
        "status": "active",
        "notional_value_dollars": "1.0000",
        "yes_bid_dollars": "0.0000",
        "yes_ask_dollars": "1.0000",
        "no_bid_dollars": "0.0000",
        "no_ask_dollars": "1.0000",
        "yes_bid_size_fp": "0.00",
        "yes_ask_size_fp": "0.00",
        "last_price_dollars": "0.0000",
        "previous_yes_bid_dollars": "0.0000",
        "previous_yes_ask_dollars": "0.0000",
        "previous_price_dollars": "0.0000",
        "volume_fp": "0.00",
        "volume_24h_fp": "0.00",
        "liquidity_dollars": "0.0000",
        "open_interest_fp": "0.00",
        "result": "",
        "can_close_early": True,
        "fractional_trading_enabled": False,
        "expiration_value": "",
        "rules_primary": rules_primary,
        "rules_secondary": "",
        "price_level_structure": "linear_cent",
        "price_ranges": [{"start": "0.0000", "end": "1.0000", "step": "0.0100"}],
        "strike_type": strike_type,
        "tick_size": 1,
    }
    if floor_strike is not None:
        m["floor_strike"] = floor_strike
    if cap_strike is not None:
        m["cap_strike"] = cap_strike
    if generated:
        m["generated"] = True
    return m


def _cents(x: Decimal, rounding: str) -> Decimal:
    return x.quantize(CENT, rounding=rounding)


def book_around(prob: float, rng: random.Random, *, levels: int = 4, half_spread: float = 0.01,
                top: tuple[Decimal, Decimal, Decimal, Decimal] | None = None) -> dict[str, list[list[str]]]:
    """A generated ladder around a fair YES probability (or around a recorded top of book).

    ``top`` = (yes_bid, yes_bid_size, yes_ask, yes_ask_size) keeps the recorded best levels and
    generates only the deeper ones. Prices are whole cents in [0.01, 0.99]; the book never crosses.
    """
    if top is not None:
        yb, yb_size, ya, ya_size = top
    else:
        p = Decimal(str(min(max(prob, 0.0), 1.0)))
        yb = max(CENT, _cents(p - Decimal(str(half_spread)), ROUND_FLOOR))
        ya = min(Decimal("0.99"), _cents(p + Decimal(str(half_spread)), ROUND_CEILING))
        if ya <= yb:
            ya = yb + CENT
        yb_size = Decimal(rng.randint(5, 300))
        ya_size = Decimal(rng.randint(5, 300))
    yes: list[list[str]] = []
    no: list[list[str]] = []
    for i in range(levels):
        py = yb - CENT * i
        if Decimal("0.01") <= py <= Decimal("0.99") and (i > 0 or yb_size > 0):
            size = yb_size if i == 0 else Decimal(rng.randint(10, 800))
            yes.append([fmt_price(py), fmt_count(size)])
        pn = (1 - ya) - CENT * i  # NO bid = 1 − YES ask
        if Decimal("0.01") <= pn <= Decimal("0.99") and (i > 0 or ya_size > 0):
            size = ya_size if i == 0 else Decimal(rng.randint(10, 800))
            no.append([fmt_price(pn), fmt_count(size)])
    yes.sort(key=lambda r: Decimal(r[0]))
    no.sort(key=lambda r: Decimal(r[0]))
    return {"yes_dollars": yes, "no_dollars": no}


def norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def prob_above(spot: float, strike: float, sigma_annual: float, hours: float) -> float:
    """P(S_T > K) under a driftless lognormal (for generated BTC quotes only)."""
    t = max(hours, 1e-6) / (24 * 365)
    s = sigma_annual * math.sqrt(t)
    return 1.0 - norm_cdf((math.log(strike / spot) + 0.5 * s * s) / s)

