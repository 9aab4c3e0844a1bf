"""BTC features: causal functions of bars only (a value at bar t uses bars at or before t).

* :func:`bucket_of` — the volatility seasonality bucket of a time (UTC hour, weekday/weekend);
* :func:`ewma_variances` / :func:`regressors` — EWMAs of deseasonalized squared returns (and of
  the Parkinson high-low variance) at several half-lives: the variance regressors of the model;
* :func:`future_factor_sum` — the seasonal factors of the bar intervals still to come before a
  settlement (known in advance: it is the calendar, not data).

:mod:`kalshi_edge.families.btc.model` fits weights and residuals on these; the strategy computes
them as of ``now`` and applies the stored fit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from kalshi_edge.families.btc.model import BarArrays, ModelParams

NS_PER_S = 1_000_000_000
NS_PER_H = 3600 * NS_PER_S
NS_PER_DAY = 24 * NS_PER_H
N_BUCKETS = 48


def bucket_of(t_ns: np.ndarray) -> np.ndarray:
    """Seasonality bucket (UTC hour + 24 on Saturday/Sunday) of times given in ns."""
    t = np.asarray(t_ns, dtype=np.int64)
    hour = (t // NS_PER_H) % 24
    dow = (t // NS_PER_DAY + 3) % 7  # 1970-01-01 was a Thursday (Mon=0)
    return (hour + 24 * (dow >= 5)).astype(np.int64)


def future_factor_sum(start_ns: np.ndarray, end_ns: np.ndarray, dt: int, seasonal: np.ndarray) -> np.ndarray:
    """Sum of seasonal factors of the bar intervals in ``(start, end]`` (fractional ends prorated).

    Vectorized over forecasts: builds an (N, M) grid of interval midpoints, M = max intervals.
    """
    start = np.asarray(start_ns, dtype=np.int64)
    end = np.asarray(end_ns, dtype=np.int64)
    span = np.maximum(end - start, 0)
    m = int(np.ceil(span.max() / dt)) if len(span) else 0
    if m == 0:
        return np.zeros(len(start))
    k = np.arange(m, dtype=np.int64)
    out = np.empty(len(start))
    rows = max(1, 2_000_000 // m)  # chunk rows so the (rows, m) grid stays ~2M cells (memory)
    for a in range(0, len(start), rows):
        lo = start[a : a + rows, None] + k[None, :] * dt
        frac = np.clip((end[a : a + rows, None] - lo) / dt, 0.0, 1.0)
        out[a : a + rows] = (seasonal[bucket_of(lo + dt // 2)] * frac).sum(axis=1)
    return out


def regressors(bars: BarArrays, r2: np.ndarray, fb: np.ndarray, p: ModelParams) -> np.ndarray:
    """(N, K) causal variance regressors: EWMAs of deseasonalized squared returns, and of the
    deseasonalized Parkinson range variance when the bars carry high/low (``use_range``)."""
    v = ewma_variances(r2 / fb, bars.dt, p.half_lives_hours)
    pk = bars.parkinson() if p.use_range else None
    if pk is None:
        return v
    return np.column_stack([v, ewma_variances(pk / fb, bars.dt, p.half_lives_hours)])


def ewma_variances(u: np.ndarray, dt: int, half_lives_hours: tuple[float, ...]) -> np.ndarray:
    """(N, K) causal EWMAs of the per-interval squared returns ``u`` (NaN ignored)."""
    s = pd.Series(u)
    cols = [
        s.ewm(halflife=max(h * NS_PER_H / dt, 1e-9), adjust=True, ignore_na=True).mean().to_numpy()
        for h in half_lives_hours
    ]
    return np.column_stack(cols)
