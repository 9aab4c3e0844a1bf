"""Day-ahead distribution of a station's daily high (°F) as a pmf over integers.

The model (no station-specific tuning; every parameter is refit walk-forward from past rows):

1. **Seasonal climatology with trend**: ``mu(t) = b0 + sum_k (a_k cos + b_k sin)(2 pi k doy/365.25)
   + c * decade`` fitted by least squares on every past day (``harmonics`` pairs).
2. **Anomaly regression**: the anomaly ``a = T - mu`` of day D is regressed on the anomalies of
   D-1..D-``lags``, their rolling means (``rolling_days``), and the lag-1 anomaly times the annual
   harmonic (so persistence may differ between summer and winter). Missing past days count as
   anomaly 0 (climatology).
3. **Conditional scale**: ``log(|residual| + 0.5)`` regressed on the seasonal harmonics and on
   ``|a(D-1)|`` and ``|a(D-1) - a(D-2)|`` (big anomalies and big swings mean bigger errors).
4. **Residual shape**: standardised residuals of past days within ``residual_window_days`` of D's
   calendar day, weighted by how close their lag-1 anomaly is to today's (an analog kernel with
   bandwidth ``analog_bandwidth`` × the seasonal anomaly sd) and how close their day-to-day change
   ``a(D-1) - a(D-2)`` is to today's (bandwidth ``change_bandwidth`` × the same sd; 0 disables it:
   a warming vs. a cooling regime, e.g. a front that has just passed), smoothed by a Gaussian kernel
   (``kernel_bandwidth`` in sd units). This keeps skew (cold fronts after hot days, the capped
   Miami summer) that a Gaussian would miss.
5. **Discretisation**: P(T = k) = P(k - 0.5 <= T* < k + 0.5) for the continuous T* above; masses
   below ``min_mass`` are dropped and the rest renormalised, so each day's rows sum to 1.

The walk-forward schedule: parameters are refit every ``refit_days`` days on all rows dated
before the first day of the block; within a block, day D's features use rows up to D-1 only.
Nothing dated D or later can influence D's distribution (tested by perturbing future rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

GRID_LO_F = -60
GRID_HI_F = 140
GRID = np.arange(GRID_LO_F, GRID_HI_F + 1)


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of the day-ahead model (chosen once, for every station)."""

    harmonics: int = 3
    lags: int = 3
    rolling_days: tuple[int, ...] = (7,)
    refit_days: int = 7
    residual_window_days: int = 45
    analog_bandwidth: float = 0.5
    change_bandwidth: float = 0.5
    kernel_bandwidth: float = 0.25
    min_history_days: int = 730
    min_mass: float = 1e-7


@dataclass(frozen=True)
class DayAheadForecasts:
    """Issued distributions: ``pmf[i]`` is day ``days[i]``'s mass on integers ``GRID_LO_F + j``."""

    days: pd.DatetimeIndex
    pmf: np.ndarray
    mean_f: np.ndarray
    scale_f: np.ndarray

    def to_rows(self, station: str) -> pd.DataFrame:
        """Long table ``date, station, temp_f, p`` with one row per integer with p > 0."""
        return pmf_rows(self.days, self.pmf, station)


def pmf_rows(days: pd.DatetimeIndex, pmf: np.ndarray, station: str) -> pd.DataFrame:
    """Long ``date, station, temp_f, p`` rows (p > 0 only) from a (days, grid) pmf matrix."""
    d_idx, t_idx = np.nonzero(pmf > 0)
    return pd.DataFrame(
        {
            "date": np.asarray(days.strftime("%Y-%m-%d"))[d_idx],
            "station": station,
            "temp_f": GRID[t_idx].astype(int),
            "p": pmf[d_idx, t_idx],
        }
    )


def daily_series(frame: pd.DataFrame, *, date_col: str = "date", value_col: str = "tmax_f") -> pd.Series:
    """A calendar-complete daily float series (NaN for missing days) from a ``date, tmax_f`` table."""
    idx = pd.to_datetime(frame[date_col])
    s = pd.Series(pd.to_numeric(frame[value_col], errors="coerce").to_numpy(float), index=idx)
    s = s[~s.index.duplicated(keep="last")].sort_index()
    return s.asfreq("D")


def _lstsq(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least squares via the normal equations (tiny, well-conditioned designs; much faster here)."""
    return np.linalg.solve(x.T @ x + 1e-9 * np.eye(x.shape[1]), x.T @ y)


def _harmonics(doy: np.ndarray, k: int) -> np.ndarray:
    w = 2.0 * np.pi * doy / 365.25
    cols = [np.ones_like(w)]
    for j in range(1, k + 1):
        cols += [np.cos(j * w), np.sin(j * w)]
    return np.column_stack(cols)


def _circular_day_distance(doy: np.ndarray, d: float) -> np.ndarray:
    dd = np.abs(doy - d)
    return np.minimum(dd, 365.0 - dd)


def _discretise(mean: float, scale: float, z: np.ndarray, w: np.ndarray, h: float, min_mass: float) -> np.ndarray:
    """Mass on GRID of ``mean + scale * (z + h * N(0,1))`` under weights ``w`` (sum 1)."""
    # bin the residual pool on a 0.05-sd grid first: far below the kernel width h, and it makes
    # the cost independent of the pool size
    zb = np.round(z / 0.05).astype(np.int64)
    zb_lo = int(zb.min())
    wb = np.bincount(zb - zb_lo, weights=w)
    keep = wb > 0
    z = (np.arange(wb.size)[keep] + zb_lo) * 0.05
    w = wb[keep]
    # only integers within +-(max|z| + 6h) scales can carry mass above min_mass
    reach = (np.max(np.abs(z)) + 6.0 * h + 1.0) * scale + 1.0
    lo = max(GRID_LO_F, int(np.floor(mean - reach)))
    hi = min(GRID_HI_F, int(np.ceil(mean + reach)))
    edges = (np.arange(lo, hi + 1) + 0.5 - mean) / scale
    cdf = ndtr((edges[:, None] - z[None, :]) / h) @ w
    cdf[-1] = 1.0
    mass = np.diff(np.concatenate([[0.0], cdf]))
    mass = np.where(mass >= min_mass, mass, 0.0)
    out = np.zeros(GRID.size)
    out[lo - GRID_LO_F : hi - GRID_LO_F + 1] = mass / mass.sum()
    return out


def issue_day_ahead(history: pd.Series, days: pd.DatetimeIndex, config: ModelConfig | None = None) -> DayAheadForecasts:
    """Issue each day's distribution as at its local-standard midnight from rows dated before it.

    ``history``: daily max temperature (°F) indexed by date (gaps allowed); only its values dated
    strictly before each target day are used. ``days``: the target days (sorted, may extend one or
    more days past the history). Raises ``ValueError`` when fewer than ``min_history_days`` observed
    days precede the first target day.
    """
    cfg = config or ModelConfig()
    days = pd.DatetimeIndex(pd.to_datetime(days)).normalize().sort_values()
    if len(days) == 0:
        return DayAheadForecasts(days, np.zeros((0, GRID.size)), np.zeros(0), np.zeros(0))
    s = history.sort_index()
    full = pd.date_range(min(s.index.min(), days[0]), max(s.index.max(), days[-1]), freq="D")
    s = s.reindex(full)
    v = s.to_numpy(float)
    n_obs_before = int(np.sum(~np.isnan(v[full < days[0]])))
    if n_obs_before < cfg.min_history_days:
        raise ValueError(
            f"only {n_obs_before} observed days before {days[0].date()}; need {cfg.min_history_days}"
        )
    doy = full.day_of_year.to_numpy(float)
    decade = (full.year.to_numpy(float) + doy / 365.25 - 2000.0) / 10.0
    season = _harmonics(doy, cfg.harmonics)
    clim_design = np.column_stack([season, decade])
    annual = season[:, 1:3]
    pos = full.get_indexer(days)
    rownum = np.arange(len(v))
    warm_up = max(cfg.lags, max(cfg.rolling_days, default=1)) + 1

    pmf = np.zeros((len(days), GRID.size))
    means = np.zeros(len(days))
    scales = np.zeros(len(days))
    b0 = 0
    while b0 < len(days):
        start = pos[b0]
        block = [i for i in range(b0, len(days)) if pos[i] < start + cfg.refit_days]
        observed_past = (rownum < start) & ~np.isnan(v)
        # 1. climatology (formula evaluated on every day; fitted on the past only)
        beta = _lstsq(clim_design[observed_past], v[observed_past])
        mu = clim_design @ beta
        anom = v - mu
        # values dated >= start never enter: blank them so no feature can see them
        anom_known = np.where(observed_past | (rownum < start), anom, np.nan)
        a0 = pd.Series(np.where(np.isnan(anom_known), 0.0, anom_known))
        lagged = [a0.shift(k).fillna(0.0).to_numpy() for k in range(1, cfg.lags + 1)]
        rolled = [a0.shift(1).rolling(r, min_periods=1).mean().fillna(0.0).to_numpy() for r in cfg.rolling_days]
        a1 = lagged[0]
        a2 = lagged[1] if cfg.lags > 1 else np.zeros_like(a1)
        features = np.column_stack(lagged + rolled + [a1 * annual[:, 0], a1 * annual[:, 1]])
        train = observed_past & (rownum >= warm_up)
        # 2. anomaly regression
        gamma = _lstsq(features[train], anom[train])
        # 3. conditional scale
        scale_design = np.column_stack([season[:, :5], np.abs(a1), np.abs(a1 - a2)])
        resid = anom - features @ gamma
        log_abs = np.log(np.abs(resid) + 0.5)
        delta = _lstsq(scale_design[train], log_abs[train])
        z = resid / np.exp(scale_design @ delta)
        # block days: recompute features with rows up to D-1 (inside the block those are known)
        for i in block:
            p = pos[i]
            known = (rownum < p) & ~np.isnan(v)
            ak = pd.Series(np.where(known, anom, 0.0)[max(0, p - 64) : p])
            f_lags = [float(ak.iloc[-k]) if len(ak) >= k else 0.0 for k in range(1, cfg.lags + 1)]
            f_roll = [float(ak.iloc[-r:].mean()) if len(ak) else 0.0 for r in cfg.rolling_days]
            x1 = f_lags[0]
            x2 = f_lags[1] if cfg.lags > 1 else 0.0
            x = np.array(f_lags + f_roll + [x1 * annual[p, 0], x1 * annual[p, 1]])
            mean = float(mu[p] + x @ gamma)
            scale = float(np.exp(np.concatenate([season[p, :5], [abs(x1), abs(x1 - x2)]]) @ delta))
            # 4. residual pool: same season, analog-weighted by the lag-1 anomaly
            near = train & (_circular_day_distance(doy, doy[p]) <= cfg.residual_window_days)
            sd_anom = float(np.std(anom[near])) or 1.0
            w = np.exp(-0.5 * ((a1[near] - x1) / (cfg.analog_bandwidth * sd_anom)) ** 2)
            if cfg.change_bandwidth > 0:
                # regime analog: residual shape after a warming day differs from after a cooling one
                dz = ((a1[near] - a2[near]) - (x1 - x2)) / (cfg.change_bandwidth * sd_anom)
                w = w * np.exp(-0.5 * dz**2)
            w = w / w.sum()
            pmf[i] = _discretise(mean, scale, z[near], w, cfg.kernel_bandwidth, cfg.min_mass)
            means[i] = mean
            scales[i] = scale
        b0 = block[-1] + 1
    return DayAheadForecasts(days, pmf, means, scales)


def climatology_pmf(history: pd.Series, days: pd.DatetimeIndex, window_days: int = 7) -> np.ndarray:
    """Baseline: empirical distribution of the highs within ±``window_days`` calendar days of D in
    every *earlier* year (years < D's year), as a (days, GRID) pmf. Raises if a day has no such rows."""
    s = history.dropna()
    doy = s.index.day_of_year.to_numpy(float)
    yr = s.index.year.to_numpy()
    vals = np.clip(np.round(s.to_numpy(float)), GRID_LO_F, GRID_HI_F).astype(int) - GRID_LO_F
    out = np.zeros((len(days), GRID.size))
    for i, d in enumerate(pd.DatetimeIndex(days)):
        m = (_circular_day_distance(doy, float(d.day_of_year)) <= window_days) & (yr < d.year)
        if not m.any():
            raise ValueError(f"no earlier-year rows within {window_days} days of {d.date()} for climatology")
        c = np.bincount(vals[m], minlength=GRID.size).astype(float)
        out[i] = c / c.sum()
    return out
