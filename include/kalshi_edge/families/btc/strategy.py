"""The BTC family's strategy adapter ``btc_vol_ladder``: KXBTCD/KXBTC ladders priced by the trained
volatility model as of the session's clock.

It reads the ``btc/latest`` artifact (params + fitted state: seasonal factors, regressor weights,
residual CDF; written by :mod:`kalshi_edge.families.btc.train`) and never fits: the forecast is
:func:`~kalshi_edge.families.btc.model.forecast_with_state` on the bars at or before ``now``.

* Spot freshness: the newest bar must be at most ``max_spot_age_s`` old at ``now`` (default
  ``settings.max_spot_age_seconds``); otherwise every market is refused ``stale_inputs`` — a stale
  spot is never priced. ``inputs_age_s`` of every probability is the spot's age.
* YES regions come from the market's terms (:func:`~kalshi_edge.kalshi.semantics.yes_region`, strike
  fields cross-checked against the texts); a market without readable terms is refused
  ``unreadable_contract``; a strike more than ``max_strike_z`` sigmas from spot ``far_from_spot``
  (the model's far tail is not trusted).
* Bars: ``params["bars"]`` (a frame), else the lake's ``btc_bars`` up to ``now``; offline
  (``params["offline"]``, default ``settings.kalshi_env == local``) the shipped sample bars,
  **re-dated by whole days so that they end on the clock's day** (the local simulator's clock is
  months after the sample: the price path is real, its calendar is shifted; the demo says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from kalshi_edge.trading.intents import SkipReason
from kalshi_edge.trading.strategy import (
    MarketSnapshot,
    ModelProbability,
    Refusal,
    Strategy,
    register_strategy,
)


@register_strategy
class BtcVolLadder(Strategy):
    """P(YES) of every BTC ladder market from the trained volatility model, as of now."""

    name = "btc_vol_ladder"
    family = "btc"
    description = "trained EWMA-blend volatility model (btc/latest artifact) → P(settle in region); refuses stale spot"

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._artifact: Any = None
        self._bars: pd.DataFrame | None = None
        self._shift: pd.Timedelta | None = None

    # ------------------------------------------------------------------ inputs
    def _offline(self) -> bool:
        v = self.params.get("offline")
        return (str(self._settings().kalshi_env) == "local") if v is None else bool(v)

    def artifact(self) -> tuple[Any, Any, str]:
        """(ModelParams, ModelState, version) of the trained model (loaded once)."""
        if self._artifact is None:
            from kalshi_edge.families.btc.model import ModelParams, ModelState
            from kalshi_edge.families.btc.train import ARTIFACT_NAME
            from kalshi_edge.modeling.artifacts import ArtifactStore

            art = ArtifactStore.from_settings(self._settings()).load("btc", ARTIFACT_NAME)
            pr = dict(art.payload["params"])
            pr["half_lives_hours"] = tuple(pr["half_lives_hours"])
            self._artifact = (ModelParams(**pr), ModelState.from_json(art.payload["state"]), art.version)
        return self._artifact

    def _bars_until(self, now: datetime) -> pd.DataFrame:
        ts = pd.Timestamp(now).tz_convert("UTC")
        if self.params.get("bars") is not None:
            b = self.params["bars"]
            return b[b["ts"] <= ts]
        if self._offline():
            if self._bars is None:
                from kalshi_edge.families.btc.bars import read_bars_csv
                from kalshi_edge.families.btc.pipeline import default_sample_csv

                self._bars = read_bars_csv(default_sample_csv(self._settings()))
            if self._shift is None:
                self._shift = ts.floor("D") - self._bars["ts"].iloc[-1].floor("D")
            b = self._bars.assign(ts=self._bars["ts"] + self._shift)
            return b[b["ts"] <= ts].reset_index(drop=True)
        from kalshi_edge.families.btc.pipeline import load_bars_for

        return load_bars_for(self._settings(), now, days=int(self.params.get("history_days", 14)))

    # ------------------------------------------------------------------ protocol
    def probabilities(self, markets: Sequence[MarketSnapshot], now: datetime) -> list[ModelProbability]:
        from kalshi_edge.families.btc.edge import market_regions
        from kalshi_edge.families.btc.pricing import RegionSpec, StaleSpotError, price_regions

        mine = [m for m in markets if self.wants(m)]
        if not mine:
            return []
        params, state, version = self.artifact()
        regions, refused = market_regions(mine, now)
        self.refusals.extend(refused)
        if not regions:
            return []
        s = self._settings()
        max_age = float(self.params.get("max_spot_age_s", s.max_spot_age_seconds))
        bars = self._bars_until(now)
        specs = [RegionSpec(t, lo, hi, close) for t, (lo, hi, close) in regions.items()]
        try:
            priced = price_regions(bars, now, specs, params=params, max_spot_age_seconds=max_age, state=state)
        except StaleSpotError as exc:
            self.refusals.extend(Refusal(t, SkipReason.STALE_INPUTS, f"stale spot: {exc}") for t in regions)
            return []
        max_z = float(self.params.get("max_strike_z", 4.0))
        confidence = float(self.params.get("confidence", 0.8))
        out: list[ModelProbability] = []
        for r in priced.itertuples():
            if float(r.z) > max_z:
                self.refusals.append(Refusal(r.ticker, SkipReason.FAR_FROM_SPOT,
                                             f"strike {float(r.z):.1f} sigma from spot > {max_z:g}"))
                continue
            age = max((pd.Timestamp(now) - pd.Timestamp(r.spot_ts)).total_seconds(), 0.0)
            out.append(ModelProbability(ticker=r.ticker, p_yes=float(min(max(r.p_yes, 0.0), 1.0)), as_of=now,
                                        inputs_age_s=age, confidence=confidence, model_version=version))
        return out
