"""KXHIGH markets ↔ the model's outcome axis: the integer °F interval each market pays on.

No edge math lives here (families/README.md): edge after fees, gates and skip reasons are
:func:`kalshi_edge.trading.intents.evaluate_edges`. Matching is fail-closed:

* with the contract terms (strike fields + subtitles of a ``kalshi.models.Market``),
  :func:`~kalshi_edge.kalshi.semantics.payout_interval` decides;
* a bare snapshot (a replayed book) has only its ticker, so the ladder is read the way KXHIGH
  events are built (KALSHI_API.md: two tails and 2 °F bins): ``B<x.5>`` pays x-0.5..x+0.5; of
  exactly two ``T`` markets the lower is "below" (≤ T-1) and the upper "above" (≥ T+1). The event
  is refused unless the intervals then tile the integers without gap or overlap.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from kalshi_edge.kalshi.errors import SemanticsError
from kalshi_edge.kalshi.semantics import IntInterval, parse_ticker, payout_interval
from kalshi_edge.trading.strategy import MarketSnapshot


def ladder_intervals(tickers: Sequence[str]) -> dict[str, IntInterval] | None:
    """Integer payout intervals of a KXHIGH ladder read from tickers (see module doc), or None."""
    out: dict[str, IntInterval] = {}
    thresholds: list[tuple[float, str]] = []
    for t in tickers:
        parts = parse_ticker(t)
        v = parts.suffix_value
        half = Decimal("0.5")
        if parts.suffix_kind == "bracket" and v is not None and v % 1 == half:
            out[t] = IntInterval(int(v - half), int(v + half))
        elif parts.suffix_kind == "threshold" and v is not None and v % 1 == 0:
            thresholds.append((float(v), t))
        else:
            return None
    if len(thresholds) != 2:
        return None
    (lo_v, lo_t), (hi_v, hi_t) = sorted(thresholds)
    out[lo_t] = IntInterval(None, int(lo_v) - 1)
    out[hi_t] = IntInterval(int(hi_v) + 1, None)
    ivs = sorted(out.values(), key=lambda iv: -10**9 if iv.lo is None else iv.lo)
    for a, b in zip(ivs, ivs[1:], strict=False):
        if a.hi is None or b.lo is None or b.lo != a.hi + 1:
            return None
    return out


def event_intervals(markets: Sequence[MarketSnapshot]) -> dict[str, IntInterval] | None:
    """Payout intervals of one event's markets: from their terms when every market has them,
    else from the tickers (:func:`ladder_intervals`). None when the ladder cannot be read."""
    try:
        if markets and all(m.terms is not None for m in markets):
            return {m.ticker: payout_interval(m.terms) for m in markets}
        return ladder_intervals([m.ticker for m in markets])
    except (KeyError, SemanticsError):
        return None
