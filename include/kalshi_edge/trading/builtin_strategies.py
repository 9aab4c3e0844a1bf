"""Strategies that need nothing but the order book, so any recorded book can be replayed.

* ``ladder_consensus``: in a mutually exclusive ladder (temperature brackets, BTC ranges, Hot-100
  songs) the YES mids should sum to 1. The fair value of each market is its mid rescaled so the
  ladder sums to 1; a market whose ask sits below that (or whose bid above it) is cheap (dear)
  relative to its siblings. Uses only quotes of the same instant.
* ``longshot_fade``: the favourite-longshot bias — contracts priced under ``threshold`` settle
  YES less often than their price says: fair value = mid × ``shrink``; symmetrically, contracts
  priced above 1 − ``threshold`` are worth 1 − (1 − mid) × ``shrink``. No view in between.

Both are deliberately simple baselines (and the family demo wrappers until the families plug in
their models); neither claims an edge on real data without a backtest saying so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from kalshi_edge.trading.strategy import MarketSnapshot, ModelProbability, Strategy, register_strategy


def _clip(p: float) -> float:
    return min(max(p, 0.0), 1.0)


def _exclusive(ladder: Sequence[MarketSnapshot]) -> bool:
    """Whether an event's markets look mutually exclusive. An event made only of ``T`` thresholds
    (KXBTCD "above X" strikes) is nested, not exclusive: its mids must not sum to 1."""
    suffixes = [m.ticker.rsplit("-", 1)[-1] for m in ladder]
    return not all(s[:1] == "T" and s[1:2].isdigit() for s in suffixes)


@register_strategy
class LadderConsensus(Strategy):
    """Fair value = mid rescaled so each event's ladder of mids sums to 1 (book only)."""

    name = "ladder_consensus"
    family = "any"
    book_only = True
    description = "mids of a mutually exclusive ladder renormalised to sum to 1 (top of book only)"

    def __init__(self, *, confidence: float = 0.7, min_markets: int = 3, family: str = "any", **params: Any):
        super().__init__(confidence=confidence, min_markets=min_markets, family=family, **params)
        self.confidence = float(confidence)
        self.min_markets = int(min_markets)
        self._family = family

    def wants(self, market: MarketSnapshot) -> bool:
        return self._family == "any" or market.family == self._family

    def probabilities(self, markets: Sequence[MarketSnapshot], now: datetime) -> list[ModelProbability]:
        by_event: dict[str, list[MarketSnapshot]] = defaultdict(list)
        for m in markets:
            if self.wants(m) and m.quote_ts <= now:
                by_event[m.event_ticker].append(m)
        out: list[ModelProbability] = []
        for ladder in by_event.values():
            quoted = [m for m in ladder if m.two_sided()]
            if len(quoted) < self.min_markets or not _exclusive(ladder):
                continue
            mids = {m.ticker: float(m.mid) for m in quoted}  # type: ignore[arg-type]
            total = sum(mids.values())
            if total <= 0:
                continue
            for m in quoted:
                age = (now - m.quote_ts).total_seconds()
                out.append(
                    ModelProbability(
                        ticker=m.ticker,
                        p_yes=_clip(mids[m.ticker] / total),
                        as_of=now,
                        inputs_age_s=max(age, 0.0),
                        confidence=self.confidence,
                    )
                )
        return out


@register_strategy
class LongshotFade(Strategy):
    """Fair value = mid × shrink for contracts priced below ``threshold`` (book only)."""

    name = "longshot_fade"
    family = "any"
    book_only = True
    description = "favourite-longshot bias: longshots worth less, favourites more, than their mid"

    def __init__(self, *, threshold: float = 0.15, shrink: float = 0.5, confidence: float = 0.6,
                 family: str = "any", **params: Any):
        super().__init__(threshold=threshold, shrink=shrink, confidence=confidence, family=family, **params)
        if not 0.0 < float(shrink) <= 1.0:
            raise ValueError(f"longshot_fade: shrink {shrink} must be in (0, 1]")
        self.threshold = float(threshold)
        self.shrink = float(shrink)
        self.confidence = float(confidence)
        self._family = family

    def wants(self, market: MarketSnapshot) -> bool:
        return self._family == "any" or market.family == self._family

    def probabilities(self, markets: Sequence[MarketSnapshot], now: datetime) -> list[ModelProbability]:
        out: list[ModelProbability] = []
        for m in markets:
            if not self.wants(m) or m.quote_ts > now or not m.two_sided():
                continue
            mid = float(m.mid)  # type: ignore[arg-type]
            if mid < self.threshold:
                p = mid * self.shrink
            elif mid > 1.0 - self.threshold:  # the mirror image: favourites are underpriced
                p = 1.0 - (1.0 - mid) * self.shrink
            else:
                continue  # no view in the middle of the range
            out.append(
                ModelProbability(
                    ticker=m.ticker, p_yes=_clip(p), as_of=now,
                    inputs_age_s=max((now - m.quote_ts).total_seconds(), 0.0), confidence=self.confidence,
                )
            )
        return out
