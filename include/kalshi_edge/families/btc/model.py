"""BTC settlement-price model: P(settlement > K) for every strike of a ladder, from bars only.

The model (all quantities causal: a forecast at time t uses bars with timestamp <= t only):

1. **Intraday/weekly seasonality of volatility.** Mean squared log return per bucket
   (UTC hour of day x weekday/weekend, 48 buckets), relative to the overall mean, shrunk toward the
   hour-of-day factor and toward 1 (few weekend days in a 42-day window).
2. **Realized variance at several horizons, blended.** Deseasonalized squared returns are
   smoothed by EWMAs with several half-lives (default 30 min, 2 h, 12 h, 3 d); the blend weights
   (non-negative) minimize the QLIKE loss of the realized horizon variance on the training window.
   The horizon variance is the blend times the sum of seasonal factors of the bars to come.
3. **Fat tails, empirically.** Training returns over the horizon divided by their forecast sigma
   give standardized residuals z; their distribution (symmetrized: zero drift; kernel smoothed;
   mixed with a small Student-t tail) is the forecast distribution of z. This also absorbs any
   remaining scale bias of the variance blend, which is what keeps the ladder calibrated.
4. **Settlement averaging.** Kalshi settles on the mean of the last 60 one-second BRTI values;
   for Brownian paths the mean over the last ``a`` seconds has the variance of a horizon shortened
   by ``2a/3`` (``settle_avg_seconds``; 0 for the offline evaluation, which settles on a close).

Fitting is walk-forward: :func:`fit_state` fits seasonality, weights and residuals on a window of
past bars; :func:`online_forecast` refits every ``refit_days`` on the trailing ``train_days`` and
forecasts the next block with that state only. P(above K) is ``1 - F((ln K - ln S) / sigma)`` with
``F`` a CDF, so it is monotone non-increasing in K by construction.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, stats

NS_PER_S = 1_000_000_000
NS_PER_H = 3600 * NS_PER_S
NS_PER_DAY = 24 * NS_PER_H
N_BUCKETS = 48
Z_GRID = np.linspace(-15.0, 15.0, 3001)  # standardized-return grid for the residual CDF


@dataclass(frozen=True)
class ModelParams:
    """Hyperparameters (chosen by walk-forward in :mod:`kalshi_edge.families.btc.train`)."""

    half_lives_hours: tuple[float, ...] = (0.5, 2.0, 12.0, 72.0)
    train_days: int = 42
    refit_days: int = 7
    min_train_days: float = 1.0
    seasonal_shrink: float = 2.0  # pseudo-days pulling each bucket toward its prior factor
    kernel_bw: float = 0.25  # residual KDE bandwidth, in units of z
    t_mix: float = 0.03  # weight of a unit-variance Student-t in the residual distribution
    t_nu: float = 4.0
    early_daily_days: int = 0  # refit daily during the first days of history, then every refit_days
    recency_halflife_days: float = 0.0  # 0: all training days weigh the same
    max_train_samples: int = 15_000
    use_range: bool = True  # add EWMAs of the Parkinson high-low variance when bars carry high/low
    p_floor: float = 1e-4  # probabilities are clipped to [p_floor, 1 - p_floor]


@dataclass
class ModelState:
    """Everything fitted on one training window; JSON-serializable via :meth:`to_json`."""

    seasonal: np.ndarray  # (48,) factors, mean ~1
    weights: np.ndarray  # (K,) blend weights of the EWMA variances
    cdf: np.ndarray  # residual CDF on Z_GRID
    n_train: int = 0
    fitted_until_ns: int = 0
    meta: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        # the CDF is stored on every other grid point (interpolation error < 1e-5, artifact ~30 kB)
        return {
            "seasonal": self.seasonal.round(6).tolist(),
            "weights": self.weights.round(8).tolist(),
            "cdf_grid": Z_GRID[::2].round(4).tolist(),
            "cdf": self.cdf[::2].round(8).tolist(),
            "n_train": self.n_train,
            "fitted_until": pd.Timestamp(self.fitted_until_ns, tz="UTC").isoformat(),
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, d: dict) -> ModelState:
        cdf = np.interp(Z_GRID, np.asarray(d["cdf_grid"]), np.asarray(d["cdf"]))
        return cls(
            seasonal=np.asarray(d["seasonal"], dtype=float),
            weights=np.asarray(d["weights"], dtype=float),
            cdf=cdf,
            n_train=int(d.get("n_train", 0)),
            fitted_until_ns=int(pd.Timestamp(d["fitted_until"]).value),
            meta=d.get("meta", {}),
        )


# --------------------------------------------------------------------------------------------
# bar arrays


@dataclass(frozen=True)
class BarArrays:
    """Bars as numpy arrays: ``t`` int64 ns UTC (sorted, unique), ``logc`` log close, ``dt`` ns."""

    t: np.ndarray
    logc: np.ndarray
    dt: int
    logrange: np.ndarray | None = None  # ln(high/low) per bar; None/NaN when unknown

    @classmethod
    def from_frame(cls, bars: pd.DataFrame) -> BarArrays:
        t = bars["ts"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        c = bars["close"].to_numpy(dtype=float)
        if len(t) < 3:
            raise ValueError("need at least 3 bars")
        if np.any(np.diff(t) <= 0):
            raise ValueError("bars must be sorted by ts with unique timestamps")
        if np.any(c <= 0) or not np.all(np.isfinite(c)):
            raise ValueError("bar closes must be positive and finite")
        lr = None
        if "high" in bars.columns and "low" in bars.columns:
            h = bars["high"].to_numpy(dtype=float)
            lo = bars["low"].to_numpy(dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                lr = np.where((h > 0) & (lo > 0) & (h >= lo), np.log(h / lo), np.nan)
            if np.isnan(lr).all():
                lr = None
        return cls(t=t, logc=np.log(c), dt=int(np.median(np.diff(t))), logrange=lr)

    def parkinson(self) -> np.ndarray | None:
        """Per-bar Parkinson variance ``ln(H/L)^2 / (4 ln 2)`` (NaN where unknown), or None."""
        if self.logrange is None:
            return None
        return self.logrange**2 / (4.0 * np.log(2.0))

    def returns(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-bar log return and number of intervals it spans (index 0: NaN, 1)."""
        r = np.full(len(self.t), np.nan)
        r[1:] = np.diff(self.logc)
        n = np.ones(len(self.t))
        n[1:] = np.maximum(np.rint(np.diff(self.t) / self.dt), 1.0)
        return r, n


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


# --------------------------------------------------------------------------------------------
# fitting


def fit_seasonal(t: np.ndarray, r2: np.ndarray, shrink_days: float, dt: int) -> np.ndarray:
    """48 seasonal variance factors from squared per-interval returns ``r2`` at bar times ``t``."""
    ok = np.isfinite(r2)
    t, r2 = t[ok], r2[ok]
    if len(r2) < 10:
        return np.ones(N_BUCKETS)
    cap = 25.0 * np.median(r2[r2 > 0]) if np.any(r2 > 0) else np.inf  # winsorize jumps
    r2 = np.minimum(r2, cap)
    overall = r2.mean()
    b = bucket_of(t - dt // 2)
    s = np.bincount(b, weights=r2, minlength=N_BUCKETS)
    n = np.bincount(b, minlength=N_BUCKETS).astype(float)
    bars_per_hour = NS_PER_H / dt
    k = shrink_days * bars_per_hour  # pseudo-count in bars
    # hour-of-day factor (weekday+weekend pooled), shrunk toward 1
    hs = s[:24] + s[24:]
    hn = n[:24] + n[24:]
    hod = (hs + k * overall) / (hn + k) / overall
    prior = np.concatenate([hod, hod])
    f = (s + k * prior * overall) / (n + k) / overall
    return f / np.average(f, weights=np.maximum(n, 1))


def _residual_cdf(z: np.ndarray, p: ModelParams, weights: np.ndarray | None = None) -> np.ndarray:
    """Symmetrized, kernel-smoothed (optionally weighted) empirical CDF of z on Z_GRID, mixed with a Student-t."""
    tdist = stats.t(df=p.t_nu, scale=np.sqrt((p.t_nu - 2) / p.t_nu))
    t_cdf = tdist.cdf(Z_GRID)
    ok = np.isfinite(z)
    z = z[ok]
    wt = np.ones(len(z)) if weights is None else weights[ok]
    if len(z) < 50:
        return t_cdf
    zz = np.clip(np.concatenate([z, -z]), Z_GRID[0], Z_GRID[-1])
    step = Z_GRID[1] - Z_GRID[0]
    edges = np.concatenate([[Z_GRID[0] - step / 2], Z_GRID + step / 2])
    hist, _ = np.histogram(zz, bins=edges, weights=np.concatenate([wt, wt]))
    pdf = hist / hist.sum()
    half = int(np.ceil(5 * p.kernel_bw / step))
    kx = np.arange(-half, half + 1) * step
    kern = np.exp(-0.5 * (kx / p.kernel_bw) ** 2)
    kern /= kern.sum()
    smooth = np.convolve(pdf, kern, mode="same")
    cdf = np.cumsum(smooth)
    cdf /= cdf[-1]
    mix = (1 - p.t_mix) * cdf + p.t_mix * t_cdf
    return np.maximum.accumulate(np.clip(mix, 0.0, 1.0))


def _qlike_weights(x: np.ndarray, y: np.ndarray, sw: np.ndarray | None = None) -> np.ndarray:
    """Non-negative w minimizing the (sample-weighted) mean of y / (x·w) + log(x·w) (QLIKE)."""
    k = x.shape[1]
    scale = np.nanmean(y) or 1.0
    xs, ys = x / scale, y / scale
    a = np.ones(len(y)) / len(y) if sw is None else sw / sw.sum()

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        v = np.maximum(xs @ w, 1e-12)
        val = np.sum(a * (ys / v + np.log(v)))
        g = ((a * (1.0 / v - ys / v**2))[:, None] * xs).sum(axis=0)
        return float(val), g

    res = optimize.minimize(loss, np.full(k, 1.0 / k), jac=True, method="L-BFGS-B", bounds=[(0, None)] * k)
    w = np.maximum(res.x, 0)
    if not np.isfinite(w).all() or w.sum() <= 0:
        return np.full(k, 1.0 / k)
    return w


def prior_state(p: ModelParams, k: int | None = None) -> ModelState:
    """Used before there is enough history: flat seasonality, equal weights on the squared-return
    EWMAs (range regressors, if any, get 0: their scale vs returns is unknown), Student-t residuals."""
    n = len(p.half_lives_hours)
    k = k or n
    w = np.zeros(k)
    w[:n] = 1.0 / n
    return ModelState(seasonal=np.ones(N_BUCKETS), weights=w, cdf=_residual_cdf(np.array([]), p))


@dataclass
class _Prepared:
    bars: BarArrays
    r: np.ndarray
    nint: np.ndarray


def _prepare(bars: BarArrays) -> _Prepared:
    r, n = bars.returns()
    return _Prepared(bars, r, n)


def fit_state(
    prep: _Prepared, seasonal_by_bar: np.ndarray | None, v: np.ndarray | None,
    lo_ns: int, hi_ns: int, horizon_ns: int, p: ModelParams,
) -> ModelState:
    """Fit a state on bars with time in ``[lo, hi)``; labels (t + horizon) also before ``hi``.

    ``seasonal_by_bar`` / ``v`` are the globally computed per-bar factors and EWMA variances
    (causal); when None they are computed from this window's own seasonality.
    """
    b = prep.bars
    in_win = (b.t >= lo_ns) & (b.t < hi_ns)
    k = len(p.half_lives_hours) * (2 if p.use_range and b.logrange is not None else 1)
    if in_win.sum() < p.min_train_days * NS_PER_DAY / b.dt:
        return prior_state(p, k)
    r2 = prep.r**2 / prep.nint
    seasonal = fit_seasonal(b.t[in_win], r2[in_win], p.seasonal_shrink, b.dt)
    if v is None:
        fb = seasonal[bucket_of(b.t - b.dt // 2)] if seasonal_by_bar is None else seasonal_by_bar
        v = regressors(b, r2, fb, p)
    # training samples: forecast at bar i (t_i >= lo, with >= 1 day of history), label bar <= t_i + h < hi
    idx = np.flatnonzero(in_win & (b.t + horizon_ns < hi_ns) & (b.t >= b.t[0] + NS_PER_DAY))
    if len(idx) < 50:
        return prior_state(p, k)
    # overlapping horizon returns are strongly correlated: beyond ~15k samples (42 days of 5-min
    # bars) a stride loses little information and keeps 1-minute histories fast
    stride = int(np.ceil(len(idx) / p.max_train_samples))
    idx = idx[::stride]
    j = np.searchsorted(b.t, b.t[idx] + horizon_ns, side="right") - 1
    rh = b.logc[j] - b.logc[idx]
    sf = future_factor_sum(b.t[idx], b.t[idx] + horizon_ns, b.dt, seasonal)
    x = v[idx]
    good = np.isfinite(x).all(axis=1) & (sf > 0)
    x, rh, sf = x[good], rh[good], sf[good]
    y = rh**2 / sf
    # recency weights: recent training weeks count more (regimes drift); half-life in days
    age_days = (hi_ns - b.t[idx][good]) / NS_PER_DAY
    sw = 0.5 ** (age_days / p.recency_halflife_days) if p.recency_halflife_days > 0 else None
    w = _qlike_weights(x, y, sw)
    sig = np.sqrt(np.maximum(x @ w, 1e-18) * sf)
    z = rh / sig
    return ModelState(
        seasonal=seasonal, weights=w, cdf=_residual_cdf(z, p, sw), n_train=len(z), fitted_until_ns=hi_ns,
        meta={"z_std": float(np.std(z)), "train_from": pd.Timestamp(lo_ns, tz="UTC").isoformat()},
    )


# --------------------------------------------------------------------------------------------
# forecasting


def prob_above_from_z(cdf: np.ndarray, x: np.ndarray, p_floor: float) -> np.ndarray:
    """P(Z > x) by interpolating the residual CDF; clipped to [p_floor, 1 - p_floor]."""
    return np.clip(1.0 - np.interp(x, Z_GRID, cdf), p_floor, 1.0 - p_floor)


@dataclass
class Forecasts:
    """Per forecast time: spot (last close), its bar time, and the horizon log-return sigma."""

    forecast_ns: np.ndarray
    spot: np.ndarray
    spot_ns: np.ndarray
    sigma: np.ndarray
    block: np.ndarray
    states: list[ModelState]

    def prob_above(self, strikes: np.ndarray, p: ModelParams) -> np.ndarray:
        """(N, S) P(settle > strike) for a per-forecast strike matrix (N, S)."""
        strikes = np.asarray(strikes, dtype=float)
        x = (np.log(strikes) - np.log(self.spot)[:, None]) / self.sigma[:, None]
        out = np.empty_like(x)
        for bi in np.unique(self.block):
            m = self.block == bi
            out[m] = prob_above_from_z(self.states[bi].cdf, x[m], p.p_floor)
        return out


def online_forecast(
    bars: BarArrays, forecast_ns: np.ndarray, horizon_ns: int, p: ModelParams, settle_avg_seconds: float = 0.0
) -> Forecasts:
    """Walk-forward forecasts at ``forecast_ns`` (int64 ns), each from bars at or before it only.

    Blocks of ``refit_days`` start at UTC midnights; block j's state is fitted on the trailing
    ``train_days`` before its start (labels included), then used unchanged inside the block.
    """
    prep = _prepare(bars)
    b = bars
    fns = np.asarray(forecast_ns, dtype=np.int64)
    day0 = (b.t[0] // NS_PER_DAY) * NS_PER_DAY
    step = p.refit_days * NS_PER_DAY
    # block boundaries: first midnight after the first bar, then every refit_days
    first = day0 + NS_PER_DAY
    last = max(int(fns.max()) if len(fns) else b.t[-1], b.t[-1])
    starts = np.arange(first, last + step, step, dtype=np.int64)
    # while history is short, refit daily: a week on the prior state is a week of poor forecasts
    early = np.arange(first, min(first + p.early_daily_days * NS_PER_DAY, last + NS_PER_DAY), NS_PER_DAY,
                      dtype=np.int64)
    starts = np.unique(np.concatenate([early, starts]))
    starts = np.concatenate([[np.iinfo(np.int64).min], starts])  # block 0: before first refit
    r2 = prep.r**2 / prep.nint
    # pass 1: seasonal factors per block (from data before the block) -> per-bar factors
    seasonals = [np.ones(N_BUCKETS)]
    for s in starts[1:]:
        lo = s - p.train_days * NS_PER_DAY
        win = (b.t >= lo) & (b.t < s)
        if win.sum() >= p.min_train_days * NS_PER_DAY / b.dt:
            seasonals.append(fit_seasonal(b.t[win], r2[win], p.seasonal_shrink, b.dt))
        else:
            seasonals.append(np.ones(N_BUCKETS))
    bar_block = np.searchsorted(starts, b.t, side="right") - 1
    fb = np.empty(len(b.t))
    bucket = bucket_of(b.t - b.dt // 2)
    for bi in np.unique(bar_block):
        m = bar_block == bi
        fb[m] = seasonals[bi][bucket[m]]
    v = regressors(b, r2, fb, p)
    # pass 2: weights + residuals per block
    f_block = np.searchsorted(starts, fns, side="right") - 1
    states: list[ModelState] = []
    for bi, s in enumerate(starts):
        if bi == 0 or not np.any(f_block == bi):
            st = prior_state(p, v.shape[1])
            if bi > 0:
                st.seasonal = seasonals[bi]
            states.append(st)
            continue
        st = fit_state(prep, fb, v, s - p.train_days * NS_PER_DAY, s, horizon_ns, p)
        st.seasonal = seasonals[bi]  # the same factors the per-bar series used
        states.append(st)
    spot_i = np.searchsorted(b.t, fns, side="right") - 1
    if np.any(spot_i < 0):
        raise ValueError("a forecast time precedes the first bar")
    sig2 = np.empty(len(fns))
    for bi in np.unique(f_block):
        m = f_block == bi
        st = states[bi]
        vv = v[spot_i[m]] @ st.weights
        # variance from the spot bar to the settlement (includes stale time since the spot bar)
        end = fns[m] + horizon_ns - int(settle_avg_seconds * NS_PER_S * 2 / 3)
        sf = future_factor_sum(b.t[spot_i[m]], np.maximum(end, b.t[spot_i[m]] + 1), b.dt, st.seasonal)
        sig2[m] = np.maximum(vv, 1e-18) * sf
    return Forecasts(
        forecast_ns=fns, spot=np.exp(b.logc[spot_i]), spot_ns=b.t[spot_i], sigma=np.sqrt(sig2),
        block=f_block, states=states,
    )


def forecast_with_state(bars: BarArrays, forecast_ns: int, horizon_ns: int, state: ModelState, p: ModelParams,
                        settle_avg_seconds: float = 0.0) -> tuple[float, int, float]:
    """(spot, spot bar time ns, horizon log-return sigma) at ``forecast_ns`` from a FITTED state.

    Nothing is fitted here: the state's seasonal factors deseasonalize the causal EWMA
    regressors (features of bars at or before ``forecast_ns``), its weights blend them, and the
    seasonal factors of the remaining time scale the variance to the settlement. This is what a
    strategy calls (it reads the trained artifact; :func:`online_forecast` refits per block and is
    for walk-forward evaluation).
    """
    b = bars
    keep = b.t <= int(forecast_ns)
    if not keep.any():
        raise ValueError("the forecast time precedes the first bar")
    if not keep.all():
        lr = b.logrange[keep] if b.logrange is not None else None
        b = BarArrays(t=b.t[keep], logc=b.logc[keep], dt=b.dt, logrange=lr)
    prep = _prepare(b)
    r2 = prep.r**2 / prep.nint
    fb = state.seasonal[bucket_of(b.t - b.dt // 2)]
    v = regressors(b, r2, fb, p)
    w = state.weights
    if v.shape[1] != len(w):  # a state fitted without range regressors on bars that have them
        v = v[:, : len(w)]
    i = len(b.t) - 1
    vv = float(np.nan_to_num(v[i], nan=0.0) @ w)
    end = int(forecast_ns) + int(horizon_ns) - int(settle_avg_seconds * NS_PER_S * 2 / 3)
    sf = future_factor_sum(b.t[i : i + 1], np.array([max(end, int(b.t[i]) + 1)]), b.dt, state.seasonal)[0]
    return float(np.exp(b.logc[i])), int(b.t[i]), float(np.sqrt(max(vv, 1e-18) * sf))


# --------------------------------------------------------------------------------------------
# baseline


def baseline_gbm_ewma(
    bars: BarArrays, forecast_ns: np.ndarray, horizon_ns: int, strikes: np.ndarray, lam: float = 0.94
) -> np.ndarray:
    """Zero-drift GBM with RiskMetrics EWMA variance (lambda 0.94) of per-bar log returns.

    sigma_h^2 = EWMA variance per bar x bars to the settlement; P(S_T > K) = Phi((ln(S/K) - sigma^2/2)/sigma).
    """
    r, n = bars.returns()
    v = pd.Series(r**2 / n).ewm(alpha=1 - lam, adjust=False, ignore_na=True).mean().to_numpy()
    fns = np.asarray(forecast_ns, dtype=np.int64)
    i = np.searchsorted(bars.t, fns, side="right") - 1
    nbars = (fns + horizon_ns - bars.t[i]) / bars.dt
    sig = np.sqrt(np.maximum(v[i], 1e-18) * nbars)
    s = np.exp(bars.logc[i])
    d = (np.log(s[:, None] / np.asarray(strikes, dtype=float)) - 0.5 * sig[:, None] ** 2) / sig[:, None]
    return stats.norm.cdf(d)


# --------------------------------------------------------------------------------------------
# artifacts


def save_model(path: Path, state: ModelState, params: ModelParams, meta: dict) -> Path:
    """Write params + fitted state + metadata as JSON (``models/btc/<name>.json``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"params": asdict(params), "state": state.to_json(), "meta": meta}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=1, sort_keys=True))
    tmp.replace(path)
    return path


def load_model(path: Path) -> tuple[ModelParams, ModelState, dict]:
    """Inverse of :func:`save_model`."""
    doc = json.loads(Path(path).read_text())
    pr = doc["params"]
    pr["half_lives_hours"] = tuple(pr["half_lives_hours"])
    return ModelParams(**pr), ModelState.from_json(doc["state"]), doc.get("meta", {})
