"""The honest offline evaluation behind ``kalshi-edge btc evaluate``.

For every hour boundary T (from ``start``), forecast at ``T - horizon`` from bars at or before
that time only, for ``n_strikes`` strikes spaced ``step`` dollars on the grid of multiples of the
step nearest the spot, centered; the outcome is whether the last close at or before T is above
the strike. The model and the zero-drift GBM+EWMA baseline are scored on the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from kalshi_edge.families.btc.model import (
    NS_PER_H,
    NS_PER_S,
    BarArrays,
    ModelParams,
    baseline_gbm_ewma,
    online_forecast,
)
from kalshi_edge.modeling.metrics import score_all


def strike_grid(spot: np.ndarray, step: float, n: int) -> np.ndarray:
    """(N, n) strikes: multiples of ``step`` nearest the spot, centered on it.

    Odd n: the nearest multiple in the middle, (n-1)/2 steps each side. Even n: the n/2
    multiples below the spot's midpoint-rounded position and n/2 above.
    """
    if n < 1 or step <= 0:
        raise ValueError("strikes must be >= 1 and the step > 0")
    s = np.asarray(spot, dtype=float)
    if n % 2:
        center = np.round(s / step) * step
        k = np.arange(n) - (n - 1) // 2
        return center[:, None] + step * k[None, :]
    lower = np.floor(s / step) * step
    k = np.arange(n) - (n // 2 - 1)
    return lower[:, None] + step * k[None, :]


@dataclass
class EvalResult:
    rows: pd.DataFrame  # forecast_ts, settle_ts, strike, p_yes, outcome (+ p_baseline)
    model: dict[str, float]
    baseline: dict[str, float]
    skipped: dict[str, int]
    params: ModelParams | None = None
    last_state: object | None = None  # ModelState of the last walk-forward block


def hour_boundaries(bars: BarArrays, horizon_ns: int, start: datetime | None, warmup_hours: float) -> np.ndarray:
    """Settlement times T (ns): whole UTC hours with forecast time after the warm-up, T <= last bar."""
    first_ok = bars.t[0] + int(warmup_hours * NS_PER_H) + horizon_ns
    if start is not None:
        first_ok = max(first_ok, pd.Timestamp(start).tz_convert("UTC").value)
    t0 = -(-first_ok // NS_PER_H) * NS_PER_H
    t1 = (bars.t[-1] // NS_PER_H) * NS_PER_H
    if t1 < t0:
        return np.array([], dtype=np.int64)
    return np.arange(t0, t1 + 1, NS_PER_H, dtype=np.int64)


def evaluate(
    bars_frame: pd.DataFrame,
    *,
    horizon_minutes: int = 60,
    strike_step: float = 250.0,
    n_strikes: int = 13,
    start: datetime | None = None,
    params: ModelParams | None = None,
    max_spot_age_seconds: float = 120.0,
    warmup_hours: float = 0.0,
    min_history_bars: int = 12,
) -> EvalResult:
    """Run the evaluation; returns the rows and metrics (see module doc). Vectorized over forecasts.

    Skipped (counted in ``skipped``, never silently): forecasts with fewer than
    ``min_history_bars`` bars before them, a spot bar older than ``max_spot_age_seconds``, or no
    bar within one interval before T. ``warmup_hours`` optionally delays the first forecast.
    """
    p = params or ModelParams()
    bars = BarArrays.from_frame(bars_frame)
    h = int(horizon_minutes * 60 * NS_PER_S)
    T = hour_boundaries(bars, h, start, warmup_hours)
    skipped = {"stale_spot": 0, "no_settlement_bar": 0, "insufficient_history": 0}
    if len(T) == 0:
        raise ValueError("no hour boundary with enough history in the bars (check --from and the file span)")
    ft = T - h
    spot_i = np.searchsorted(bars.t, ft, side="right") - 1
    settle_i = np.searchsorted(bars.t, T, side="right") - 1
    # staleness guard: the spot bar must be recent; the settlement bar must be within one interval
    spot_age = (ft - bars.t[spot_i]) / NS_PER_S
    settle_age = (T - bars.t[settle_i]) / NS_PER_S
    stale = spot_age > max(max_spot_age_seconds, 0.0)
    nosettle = settle_age > max(bars.dt / NS_PER_S, max_spot_age_seconds)
    # no volatility estimate without returns: the first forecasts need min_history_bars bars before them
    short = spot_i < min_history_bars
    skipped["insufficient_history"] = int(short.sum())
    stale &= ~short
    skipped["stale_spot"] = int(stale.sum())
    skipped["no_settlement_bar"] = int((nosettle & ~stale & ~short).sum())
    keep = ~(stale | nosettle | short)
    T, ft, settle_i = T[keep], ft[keep], settle_i[keep]
    if len(T) == 0:
        raise ValueError("every forecast was skipped (stale spot or missing settlement bars)")
    fc = online_forecast(bars, ft, h, p)
    K = strike_grid(fc.spot, strike_step, n_strikes)
    pm = fc.prob_above(K, p)
    pb = baseline_gbm_ewma(bars, ft, h, K)
    settle = np.exp(bars.logc[settle_i])
    y = (settle[:, None] > K).astype(int)
    n = K.shape[1]
    rows = pd.DataFrame(
        {
            "forecast_ts": np.repeat(pd.to_datetime(ft, utc=True).strftime("%Y-%m-%dT%H:%M:%SZ"), n),
            "settle_ts": np.repeat(pd.to_datetime(T, utc=True).strftime("%Y-%m-%dT%H:%M:%SZ"), n),
            "strike": K.ravel(),
            "p_yes": pm.ravel(),
            "outcome": y.ravel(),
            "p_baseline": pb.ravel(),
        }
    )
    return EvalResult(
        rows=rows,
        model=score_all(rows["p_yes"], rows["outcome"]),
        baseline=score_all(rows["p_baseline"], rows["outcome"]),
        skipped=skipped,
        params=p,
        last_state=fc.states[int(fc.block.max())],
    )


def write_rows(res: EvalResult, path: str) -> None:
    """Write the contract columns ``forecast_ts,settle_ts,strike,p_yes,outcome``."""
    out = res.rows[["forecast_ts", "settle_ts", "strike", "p_yes", "outcome"]].copy()
    out["strike"] = out["strike"].map(lambda v: f"{v:.10g}")
    out["p_yes"] = out["p_yes"].map(lambda v: f"{v:.6f}")
    out.to_csv(path, index=False)
