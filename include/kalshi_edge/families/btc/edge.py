"""BTC markets ↔ the model's outcome axis: the YES region (a price interval) of each market.

No edge math lives here (families/README.md): edge after fees, gates and skip reasons are
:func:`kalshi_edge.trading.intents.evaluate_edges`. This module only decides *which outcome* a
market pays on, fail-closed:

* :func:`market_region` — a ``kalshi.models.Market``'s YES region from its strike fields,
  cross-checked against its texts (:func:`~kalshi_edge.kalshi.semantics.yes_region`);
* :func:`market_regions` — the same for the session's snapshots (their ``terms``), with a
  :class:`~kalshi_edge.trading.strategy.Refusal` for every market that cannot be read or has closed;
* :func:`snapshot_of` — a ``Market`` quote as the :class:`~kalshi_edge.trading.strategy.MarketSnapshot`
  the shared edge path takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from kalshi_edge.kalshi.errors import SemanticsError
from kalshi_edge.kalshi.fees import FeeSchedule
from kalshi_edge.kalshi.semantics import yes_region
from kalshi_edge.trading.intents import SkipReason
from kalshi_edge.trading.strategy import MarketSnapshot, Refusal

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def market_region(market: Any) -> tuple[float | None, float | None]:
    """(lower, upper) dollars of the YES region (None = unbounded). Raises SemanticsError."""
    r = yes_region(market)
    return (None if r.lower is None else float(r.lower), None if r.upper is None else float(r.upper))


def market_regions(markets: Sequence[MarketSnapshot], now: datetime
                   ) -> tuple[dict[str, tuple[float | None, float | None, datetime]], list[Refusal]]:
    """Regions and close times of the readable, still-open markets, and refusals for the rest."""
    out: dict[str, tuple[float | None, float | None, datetime]] = {}
    refused: list[Refusal] = []
    for m in markets:
        if m.terms is None:
            refused.append(Refusal(m.ticker, SkipReason.UNREADABLE_CONTRACT,
                                   "no contract terms (strikes/texts) for this market"))
            continue
        try:
            lo, hi = market_region(m.terms)
        except SemanticsError as exc:
            refused.append(Refusal(m.ticker, SkipReason.UNREADABLE_CONTRACT, f"semantics: {exc}"))
            continue
        close = m.close_time
        if close is None or close <= now:
            refused.append(Refusal(m.ticker, SkipReason.MARKET_NOT_ACTIVE,
                                   "closed before as_of" if close else "no close time"))
            continue
        out[m.ticker] = (lo, hi, close)
    return out, refused


def snapshot_of(market: Any, *, quote_ts: datetime | None, schedule: FeeSchedule | None = None) -> MarketSnapshot:
    """A ``Market`` (REST shape) as a snapshot; an unknown quote time is the epoch (a stale quote)."""
    yes_ask = market.yes_ask if market.yes_ask is not None and market.yes_ask < Decimal(1) else None
    return MarketSnapshot(
        ticker=market.ticker, yes_bid=market.yes_bid if market.yes_bid else None, yes_ask=yes_ask,
        quote_ts=quote_ts or _EPOCH, close_time=market.close_time, event_ticker=market.event_ticker or "",
        status=market.status or "active", yes_bid_size=market.yes_bid_size, yes_ask_size=market.yes_ask_size,
        fee_schedule=schedule or FeeSchedule(), terms=market,
    )
