"""The weather family's strategy adapter ``weather_day_ahead``: P(YES) of every KXHIGH bracket from
the issued day-ahead distribution, updated intraday with the running high, fused with the quotes.

It never fits. Per event (station, climate day) it reads

1. the **day-ahead PMF** the ``weather_day_ahead`` task issued into the lake (``weather_forecasts``,
   kind ``day_ahead``) with the station's retrained config ``models/weather/<STATION>_params.json``
   (the ``weather/<STATION>_params`` artifact; its version is every probability's
   ``model_version``). No issued forecast for that day: the event is refused ``no_model``;
2. the **observations** of that climate day stamped at or before ``now`` (``weather_obs``), when
   there are any: the running high and last hour's trend update the PMF
   (:func:`~kalshi_edge.families.weather.intraday.intraday_pmf`, fixed hazard parameters);
   ``inputs_age_s`` is then the age of the last observation, else 0 (the forecast is valid all day);
3. the event's quotes: logistic-normal **fusion** of model and market
   (:func:`~kalshi_edge.families.weather.fusion.fuse`).

Payout intervals come from :mod:`kalshi_edge.families.weather.edge` (fail-closed: an unreadable
ladder is refused ``unreadable_contract``). Tests and backtests may pass ``params["forecasts"]``
(a frame ``date, station, temp_f, p``) and ``params["obs"]`` (``ts, temp_f, station, climate_date``)
instead of the lake.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from kalshi_edge.kalshi.errors import SemanticsError
from kalshi_edge.kalshi.semantics import parse_ticker
from kalshi_edge.trading.intents import SkipReason
from kalshi_edge.trading.strategy import (
    MarketSnapshot,
    ModelProbability,
    Refusal,
    Strategy,
    register_strategy,
)


@register_strategy
class WeatherDayAhead(Strategy):
    """Issued day-ahead PMF + intraday running-high update + market fusion, per KXHIGH event."""

    name = "weather_day_ahead"
    family = "weather"
    description = "issued day-ahead TMAX PMF (retrained params) + intraday update + fusion with quotes"

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._pmf: dict[tuple[str, str], np.ndarray | None] = {}
        self._versions: dict[str, str] = {}

    # ------------------------------------------------------------------ artifacts
    def day_ahead_pmf(self, station: str, day: str) -> np.ndarray | None:
        """The issued day-ahead PMF on the model grid, or None (read once per station and day)."""
        key = (station, day)
        if key not in self._pmf:
            from kalshi_edge.families.weather.model import GRID, GRID_LO_F

            fc = self.params.get("forecasts")
            if fc is None:
                from kalshi_edge.families.weather.datasets import WEATHER_FORECASTS
                from kalshi_edge.lake import Lake

                lake = Lake.from_settings(self._settings())
                fc = lake.read(WEATHER_FORECASTS, where=f"station = '{station}' AND kind = 'day_ahead' "
                                                        f"AND date = '{day}'") if lake.files(WEATHER_FORECASTS) \
                    else pd.DataFrame()
            else:
                fc = fc[(fc["station"] == station) & (fc["date"].astype(str) == day)]
            if fc.empty:
                self._pmf[key] = None
            else:
                pmf = np.zeros(GRID.size)
                pmf[fc["temp_f"].to_numpy(int) - GRID_LO_F] = fc["p"].to_numpy(float)
                self._pmf[key] = pmf / pmf.sum()
        return self._pmf[key]

    def version(self, station: str) -> str:
        if station not in self._versions:
            from kalshi_edge.families.weather.train import params_version

            self._versions[station] = f"weather-{station}-{params_version(self._settings(), station)}"
        return self._versions[station]

    def _observations(self, icao: str, day: str) -> pd.DataFrame:
        """The climate day's observations (all of them: :func:`running_high_inputs` keeps those by now)."""
        obs = self.params.get("obs")
        if obs is None:
            from kalshi_edge.families.weather.datasets import WEATHER_OBS
            from kalshi_edge.lake import Lake

            lake = Lake.from_settings(self._settings())
            return lake.read(WEATHER_OBS, where=f"station = '{icao}' AND climate_date = '{day}'") \
                if lake.files(WEATHER_OBS) else pd.DataFrame(columns=["ts", "temp_f"])
        if len(obs):
            return obs[(obs["station"] == icao) & (obs["climate_date"].astype(str) == day)]
        return obs

    # ------------------------------------------------------------------ protocol
    def probabilities(self, markets: Sequence[MarketSnapshot], now: datetime) -> list[ModelProbability]:
        from kalshi_edge.families.weather.edge import event_intervals
        from kalshi_edge.families.weather.fusion import BracketQuote, fuse
        from kalshi_edge.families.weather.intraday import interval_mass, intraday_pmf
        from kalshi_edge.families.weather.stations import load_registry

        if getattr(self, "_registry", None) is None:
            self._registry = load_registry()
        registry = self._registry
        by_event: dict[str, list[MarketSnapshot]] = defaultdict(list)
        for m in markets:
            if self.wants(m):
                by_event[m.event_ticker].append(m)
        out: list[ModelProbability] = []
        for event, ms in by_event.items():
            def refuse(reason: SkipReason, detail: str, ms: list[MarketSnapshot] = ms) -> None:
                self.refusals.extend(Refusal(m.ticker, reason, detail) for m in ms)

            try:
                parts = parse_ticker(event)
                station = registry.get(parts.series)
            except (KeyError, SemanticsError) as exc:
                refuse(SkipReason.UNREADABLE_CONTRACT, f"{event}: {exc}")
                continue
            if parts.event_time_et is None:
                refuse(SkipReason.UNREADABLE_CONTRACT, f"{event}: no event date")
                continue
            ivs = event_intervals(ms)
            if not ivs:
                refuse(SkipReason.UNREADABLE_CONTRACT, f"{event}: the ladder does not tile the integers")
                continue
            day = parts.event_time_et.date().isoformat()
            pmf = self.day_ahead_pmf(station.icao, day)
            if pmf is None:
                refuse(SkipReason.NO_MODEL, f"no day-ahead forecast for {station.icao} {day} in weather_forecasts "
                                            "(run the weather_day_ahead task)")
                continue
            inputs_age = 0.0
            from kalshi_edge.families.weather.features import running_high_inputs
            from kalshi_edge.families.weather.model import GRID_LO_F

            start, _ = station.climate_day_bounds(parts.event_time_et.date())
            rh = running_high_inputs(self._observations(station.icao, day), now, start)
            if rh is not None:
                if rh.high_f - GRID_LO_F < pmf.size:
                    pmf = intraday_pmf(pmf, rh.high_f, rh.hour, rh.trend_f_per_h, rh.last_f)
                inputs_age = max((pd.Timestamp(now) - rh.last_ts).total_seconds(), 0.0)
            model = np.array([interval_mass(pmf, ivs[m.ticker]) for m in ms])
            quotes = [BracketQuote(float(m.yes_bid) if m.two_sided() else None,
                                   float(m.yes_ask) if m.two_sided() else None,
                                   float(min(m.yes_bid_size or 0, m.yes_ask_size or 0) or 1)) for m in ms]
            rest = 1.0 - float(model.sum())
            if rest > 1e-9:  # a partial ladder: the uncovered mass is one more, unquoted, bracket
                fused = fuse([*model, rest], [*quotes, BracketQuote(None, None)])[:-1]
            else:
                fused = fuse(model, quotes)
            version = self.version(station.icao)
            confidence = float(self.params.get("confidence", 0.7))
            for m, p in zip(ms, fused, strict=True):
                out.append(ModelProbability(m.ticker, float(np.clip(p, 0.0, 1.0)), now, inputs_age_s=inputs_age,
                                            confidence=confidence, model_version=version))
        return out
