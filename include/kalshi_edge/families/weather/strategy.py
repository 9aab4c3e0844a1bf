"""The weather family's strategy adapter: P(YES) of every KXHIGH bracket from the day-ahead model,
fused with the event's quotes.

Payout intervals: when ``params["markets"]`` maps tickers to full :class:`Market` objects (strike
fields + subtitles), :func:`payout_interval` decides (fail-closed). A bare snapshot has only its
ticker, so the ladder is read the way KXHIGH events are built (KALSHI_API.md: two tails and 2 °F
bins): ``B<x.5>`` pays x-0.5..x+0.5; of exactly two ``T`` markets the lower is "below" (≤ T-1)
and the upper "above" (≥ T+1). The event is skipped unless the intervals then tile the integers
without gap or overlap — a ladder we cannot read is not traded.

History: TMAX rows dated before the climate day AND before ``now`` (no look-ahead), from the lake
or the shipped samples (``params["offline"]``). ``confidence`` is 0.8 with yesterday's high known,
0.65 within a week, else 0.5 (history far behind: the model is then trend-adjusted climatology).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from kalshi_edge.kalshi.errors import SemanticsError
from kalshi_edge.kalshi.semantics import IntInterval, parse_ticker, payout_interval
from kalshi_edge.trading.strategy import MarketSnapshot, ModelProbability, Strategy, register_strategy


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


@register_strategy
class WeatherDayAhead(Strategy):
    """Day-ahead TMAX distribution → bracket probabilities, fused with the event's mid prices."""

    name = "weather_day_ahead"
    family = "weather"
    description = "walk-forward TMAX model per settlement station, logistic-normal fusion with quotes"

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._history: dict[str, pd.Series] = {}

    def _series(self, station: str) -> pd.Series:
        if station not in self._history:
            from kalshi_edge.families.weather.model import daily_series
            from kalshi_edge.families.weather.tasks import load_tmax

            frame = self.params.get("tmax_frames", {}).get(station)
            if frame is None:
                frame = load_tmax(station, self.params.get("settings"), bool(self.params.get("offline", False)))
            self._history[station] = daily_series(frame)
        return self._history[station]

    def probabilities(self, markets: Sequence[MarketSnapshot], now: datetime) -> list[ModelProbability]:
        from kalshi_edge.families.weather.fusion import BracketQuote, fuse
        from kalshi_edge.families.weather.intraday import interval_mass
        from kalshi_edge.families.weather.model import issue_day_ahead
        from kalshi_edge.families.weather.stations import load_registry

        registry = load_registry()
        full = self.params.get("markets") or {}
        by_event: dict[str, list[MarketSnapshot]] = defaultdict(list)
        for m in markets:
            if self.wants(m):
                by_event[m.event_ticker].append(m)
        out: list[ModelProbability] = []
        for event, ms in by_event.items():
            try:
                parts = parse_ticker(event)
                station = registry.get(parts.series)
                if parts.event_time_et is None:
                    continue
                if all(m.ticker in full for m in ms):
                    ivs = {m.ticker: payout_interval(full[m.ticker]) for m in ms}
                else:
                    ivs = ladder_intervals([m.ticker for m in ms])
            except (KeyError, SemanticsError):
                continue
            if not ivs:
                continue
            day = pd.Timestamp(parts.event_time_et.date())
            series = self._series(station.icao)
            cutoff = min(day, pd.Timestamp(now.date()))
            known = series[series.index < cutoff]
            try:
                fc = issue_day_ahead(known, pd.DatetimeIndex([day]))
            except ValueError:
                continue
            model = np.array([interval_mass(fc.pmf[0], ivs[m.ticker]) for m in ms])
            quotes = [BracketQuote(float(m.yes_bid) if m.two_sided() else None,
                                   float(m.yes_ask) if m.two_sided() else None,
                                   float(min(m.yes_bid_size or 0, m.yes_ask_size or 0) or 1)) for m in ms]
            rest = 1.0 - float(model.sum())
            if rest > 1e-9:  # a partial ladder: the uncovered mass is one more, unquoted, bracket
                fused = fuse([*model, rest], [*quotes, BracketQuote(None, None)])[:-1]
            else:
                fused = fuse(model, quotes)
            last = known.dropna().index.max()
            stale_days = (day - last).days if pd.notna(last) else 999
            # stale history degrades the model to trend-adjusted climatology: calibrated, not sharp
            confidence = 0.8 if stale_days <= 1 else (0.65 if stale_days <= 7 else 0.5)
            for m, p in zip(ms, fused, strict=True):
                out.append(ModelProbability(m.ticker, float(np.clip(p, 0.0, 1.0)), now, confidence=confidence))
        return out
