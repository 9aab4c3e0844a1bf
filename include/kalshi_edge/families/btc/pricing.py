"""Live pricing of Kalshi BTC markets: YES region -> probability, with the staleness guard.

A market's YES region comes from :func:`kalshi_edge.kalshi.semantics.yes_region` (strike fields
cross-checked against the texts; a disagreement skips the market). Its probability is
``P(above lower) − P(above upper)`` under the model at ``as_of`` for the market's close, with
the 60-second settlement averaging. Markets of one ladder are priced with one call per close
time, vectorized over strikes, so a ladder is coherent (monotone; brackets + tails sum to 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from kalshi_edge.families.btc.model import (
    BarArrays,
    Forecasts,
    ModelParams,
    ModelState,
    forecast_with_state,
    online_forecast,
)

SETTLE_AVG_SECONDS = 60.0


class StaleSpotError(RuntimeError):
    """The newest spot observation is older than the allowed age: no forecast is made."""


@dataclass(frozen=True)
class RegionSpec:
    """A continuous YES region (None = unbounded) and the time it settles."""

    ticker: str
    lower: float | None
    upper: float | None
    close_ts: datetime


def spot_at(bars: pd.DataFrame, as_of: datetime, max_spot_age_seconds: float) -> tuple[float, pd.Timestamp]:
    """Last close at or before ``as_of`` and its time; raises :class:`StaleSpotError` when too old."""
    ts = pd.Timestamp(as_of).tz_convert("UTC")
    past = bars[bars["ts"] <= ts]
    if past.empty:
        raise StaleSpotError(f"no spot bar at or before {ts.isoformat()}")
    last = past.iloc[-1]
    age = (ts - last["ts"]).total_seconds()
    if age > max_spot_age_seconds:
        raise StaleSpotError(
            f"spot at {last['ts'].isoformat()} is {age:.0f}s old at {ts.isoformat()} (max {max_spot_age_seconds:g}s)"
        )
    return float(last["close"]), last["ts"]


def price_regions(
    bars: pd.DataFrame,
    as_of: datetime,
    regions: list[RegionSpec],
    *,
    params: ModelParams | None = None,
    max_spot_age_seconds: float = 120.0,
    settle_avg_seconds: float = SETTLE_AVG_SECONDS,
    state: ModelState | None = None,
) -> pd.DataFrame:
    """One row per region: ``ticker, p_yes, spot, spot_ts, sigma, z`` (z: sigmas from spot to region).

    Uses only bars with ``ts <= as_of``. Raises :class:`StaleSpotError` (no forecast) when the
    newest bar is older than ``max_spot_age_seconds``. With ``state`` (the trained artifact's) the
    forecast reads that fitted state and fits nothing; without, it refits walk-forward
    (:func:`online_forecast`, for evaluation).
    """
    p = params or ModelParams()
    ts = pd.Timestamp(as_of).tz_convert("UTC")
    hist = bars[bars["ts"] <= ts].reset_index(drop=True)
    spot_at(hist, as_of, max_spot_age_seconds)
    arr = BarArrays.from_frame(hist)
    out: list[pd.DataFrame] = []
    by_close: dict[pd.Timestamp, list[RegionSpec]] = {}
    for r in regions:
        by_close.setdefault(pd.Timestamp(r.close_ts).tz_convert("UTC"), []).append(r)
    for close, group in sorted(by_close.items()):
        horizon = int((close - ts).value)
        if horizon <= 0:
            raise ValueError(f"close {close.isoformat()} is not after as_of {ts.isoformat()}")
        if state is not None:
            spot_v, spot_ns, sig_v = forecast_with_state(arr, int(ts.value), horizon, state, p, settle_avg_seconds)
            fc = Forecasts(forecast_ns=np.array([ts.value]), spot=np.array([spot_v]), spot_ns=np.array([spot_ns]),
                           sigma=np.array([sig_v]), block=np.zeros(1, dtype=int), states=[state])
        else:
            fc = online_forecast(arr, np.array([ts.value], dtype=np.int64), horizon, p, settle_avg_seconds)
        lo = np.array([np.nan if g.lower is None else g.lower for g in group], dtype=float)
        hi = np.array([np.nan if g.upper is None else g.upper for g in group], dtype=float)
        # P(above x) on all finite bounds at once; unbounded ends are 1 (lower) and 0 (upper)
        bounds = np.concatenate([lo, hi])
        finite = np.isfinite(bounds)
        pa = np.empty(len(bounds))
        if finite.any():
            pa[finite] = fc.prob_above(bounds[finite][None, :], p)[0]
        p_lo = np.where(np.isfinite(lo), pa[: len(group)], 1.0)
        p_hi = np.where(np.isfinite(hi), pa[len(group):], 0.0)
        prob = np.clip(p_lo - p_hi, 0.0, 1.0)
        spot, sig = float(fc.spot[0]), float(fc.sigma[0])
        # distance from the spot to the region in sigmas (0 inside)
        lz = np.where(np.isfinite(lo), (np.log(np.where(np.isfinite(lo), lo, 1.0)) - np.log(spot)) / sig, -np.inf)
        hz = np.where(np.isfinite(hi), (np.log(spot) - np.log(np.where(np.isfinite(hi), hi, 1.0))) / sig, -np.inf)
        z = np.maximum(np.maximum(lz, hz), 0.0)
        out.append(
            pd.DataFrame(
                {
                    "ticker": [g.ticker for g in group],
                    "p_yes": prob,
                    "spot": spot,
                    "spot_ts": pd.Timestamp(int(fc.spot_ns[0]), tz="UTC"),
                    "sigma": sig,
                    "z": z,
                }
            )
        )
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["ticker", "p_yes", "spot", "spot_ts", "sigma", "z"])
