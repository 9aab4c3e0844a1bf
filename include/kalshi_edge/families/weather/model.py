"""Day-ahead distribution of a station's daily high (°F) as a pmf over integers.

The model (no station-specific tuning; every parameter is refit walk-forward from past rows):

1. **Seasonal climatology with trend**: ``mu(t) = b0 + sum_k (a_k cos + b_k sin)(2 pi k doy/365.25)
   + c * decade`` fitted by least squares on every past day (``harmonics`` pairs).
2. **Anomaly regression**: the anomaly ``a = T - mu`` of day D is regressed on the anomalies of
   D-1..D-``lags``, their rolling means (``rolling_days``), and the lag-1 anomaly times the annual
   harmonic (so persistence may differ between summer and winter). Missing past days count as
   anomaly 0 (climatology). **LightGBM correction** (``lgb_weight`` > 0): a small, strongly
   regularised LightGBM model of the regression's residual from anomaly lags 1-5, trailing means
   over 3/7/14/30/90 days, the recent volatility and spread, and the season; refit every
   ``lgb_refit_days`` on all past rows, and ``lgb_weight`` of its prediction is added to the mean.
   The training rows' corrections are *out-of-fold* (contiguous time folds), so the residuals that
   steps 3-4 learn from are honest and the spread is not understated.
3. **Conditional scale**: ``log(|residual| + 0.5)`` regressed on the seasonal harmonics, on
   ``|a(D-1)|`` and ``|a(D-1) - a(D-2)|`` (big anomalies and big swings mean bigger errors) and on
   the mean absolute day-to-day change of the anomaly over the last ``volatility_days`` (an
   active storm track vs. a settled pattern).
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
LightGBM runs single-threaded with fixed seeds, so reruns give identical distributions.

The defaults were chosen on 2016-2021 (both shipped stations) and only then scored on 2022-2024;
:mod:`~kalshi_edge.families.weather.tuning` searches the knobs with Optuna on past days only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

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
    # conditional scale also grows with the recent day-to-day volatility of the anomaly
    volatility_days: int = 7
    # LightGBM correction of the linear anomaly forecast (0 disables it); its residuals for the
    # scale and the residual pool are out-of-fold, so the spread is not understated
    lgb_weight: float = 0.5
    lgb_refit_days: int = 28
    lgb_rounds: int = 150
    lgb_learning_rate: float = 0.05
    lgb_leaves: int = 7
    lgb_min_data_in_leaf: int = 100
    lgb_l2: float = 10.0
    lgb_folds: int = 4
    seed: int = 0

    def __post_init__(self) -> None:
        for f in fields(self):
            val = getattr(self, f.name)
            if f.name == "rolling_days":
                ok = isinstance(val, tuple) and all(isinstance(r, int) and r >= 1 for r in val)
            elif f.name in ("lgb_weight", "change_bandwidth", "min_mass", "lgb_l2"):
                ok = isinstance(val, (int, float)) and not isinstance(val, bool) and val >= 0
            elif f.name in ("volatility_days", "seed", "lgb_folds"):
                ok = isinstance(val, int) and not isinstance(val, bool) and val >= 0
            else:
                ok = isinstance(val, (int, float)) and not isinstance(val, bool) and val > 0
            if not ok:
                raise ValueError(f"weather ModelConfig: {f.name} = {val!r} is not valid")
        if self.lags < 2:
            raise ValueError("weather ModelConfig: lags must be >= 2")


@dataclass(frozen=True)
class DayAheadForecasts:
    """Issued distributions: ``pmf[i]`` is day ``days[i]``'s mass on integers ``GRID_LO_F + j``."""

    days: pd.DatetimeIndex
    pmf: np.ndarray
    mean_f: np.ndarray
    scale_f: np.ndarray
    # the last refit block's fitted parts (what a retrain stores under models/): climatology,
    # anomaly and scale coefficients, the LightGBM correction as a model string, the fit cut-off
    fit: dict | None = None

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


# features of the LightGBM correction: anomaly lags, trailing means, volatility, season
LGB_LAGS = 5
LGB_MEAN_WINDOWS = (3, 7, 14, 30, 90)


def _state(a: np.ndarray, idx: np.ndarray, cfg: ModelConfig) -> dict[str, np.ndarray]:
    """Named state features of days ``idx`` from the anomaly array ``a`` (0 where unknown).

    Day ``t``'s features read ``a[t-1], a[t-2], ...`` only (never ``a[t]`` or later): lags
    ``lag<k>``, trailing means ``mean<r>`` over the ``r`` days before ``t`` (fewer at the start of
    the record), ``vol`` (mean |day-to-day change| over ``cfg.volatility_days`` days) and ``sd``
    (standard deviation over the same days).
    """
    idx = np.asarray(idx, dtype=np.int64)
    c = np.concatenate([[0.0], np.cumsum(a)])
    c2 = np.concatenate([[0.0], np.cumsum(a * a)])
    d = np.abs(np.diff(a, prepend=a[:1]))  # d[t] = |a[t] - a[t-1]|, d[0] = 0
    cd = np.concatenate([[0.0], np.cumsum(d)])
    out: dict[str, np.ndarray] = {}
    for k in range(1, max(cfg.lags, LGB_LAGS) + 1):
        j = idx - k
        out[f"lag{k}"] = np.where(j >= 0, a[np.clip(j, 0, None)], 0.0)
    for r in sorted(set(cfg.rolling_days) | set(LGB_MEAN_WINDOWS)):
        lo = np.maximum(idx - r, 0)
        out[f"mean{r}"] = (c[idx] - c[lo]) / np.maximum(idx - lo, 1)
    v = max(cfg.volatility_days, 2)
    lo = np.maximum(idx - v, 1)
    out["vol"] = np.where(idx > lo, (cd[idx] - cd[lo]) / np.maximum(idx - lo, 1), 0.0)
    lo = np.maximum(idx - v, 0)
    cnt = np.maximum(idx - lo, 1)
    m = (c[idx] - c[lo]) / cnt
    out["sd"] = np.sqrt(np.maximum((c2[idx] - c2[lo]) / cnt - m * m, 0.0))
    return out


def _linear_design(st: dict[str, np.ndarray], annual: np.ndarray, cfg: ModelConfig) -> np.ndarray:
    a1 = st["lag1"]
    cols = [st[f"lag{k}"] for k in range(1, cfg.lags + 1)] + [st[f"mean{r}"] for r in cfg.rolling_days]
    return np.column_stack(cols + [a1 * annual[:, 0], a1 * annual[:, 1]])


def _scale_design(st: dict[str, np.ndarray], season5: np.ndarray, cfg: ModelConfig) -> np.ndarray:
    cols = [season5, np.abs(st["lag1"]), np.abs(st["lag1"] - st["lag2"])]
    if cfg.volatility_days > 0:
        cols.append(st["vol"])
    return np.column_stack(cols)


def _lgb_design(st: dict[str, np.ndarray], annual: np.ndarray) -> np.ndarray:
    cols = [st[f"lag{k}"] for k in range(1, LGB_LAGS + 1)] + [st[f"mean{r}"] for r in LGB_MEAN_WINDOWS]
    return np.column_stack(cols + [st["vol"], st["sd"], annual[:, 0], annual[:, 1]])


def _lgb_params(cfg: ModelConfig) -> dict[str, object]:
    return {
        "objective": "l2",
        "learning_rate": cfg.lgb_learning_rate,
        "num_leaves": cfg.lgb_leaves,
        "min_data_in_leaf": cfg.lgb_min_data_in_leaf,
        "lambda_l2": cfg.lgb_l2,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "feature_fraction": 0.8,
        "seed": cfg.seed,
        "deterministic": True,
        "force_col_wise": True,
        "num_threads": 1,
        "verbose": -1,
    }


@dataclass
class _Correction:
    """A fitted LightGBM correction: the booster, the rows it saw, and their out-of-fold values."""

    booster: object
    cutoff: int  # rows < cutoff were its training rows
    oof: np.ndarray  # out-of-fold correction per row (NaN where not a training row)


def _fit_correction(x: np.ndarray, target: np.ndarray, rows: np.ndarray, cutoff: int, n: int,
                    cfg: ModelConfig) -> _Correction:
    """LightGBM on the linear model's residuals ``target`` (aligned with ``x``, one row per training
    row number in ``rows``); out-of-fold values from contiguous time folds, stored by row number."""
    import lightgbm as lgb

    params = _lgb_params(cfg)
    local = np.zeros(len(rows))
    if cfg.lgb_folds >= 2:
        for fold in np.array_split(np.arange(len(rows)), cfg.lgb_folds):
            rest = np.setdiff1d(np.arange(len(rows)), fold, assume_unique=True)
            b = lgb.train(params, lgb.Dataset(x[rest], target[rest]), num_boost_round=cfg.lgb_rounds)
            local[fold] = b.predict(x[fold])
    booster = lgb.train(params, lgb.Dataset(x, target), num_boost_round=cfg.lgb_rounds)
    if cfg.lgb_folds < 2:
        local = booster.predict(x)
    oof = np.full(n, np.nan)
    oof[rows] = local
    return _Correction(booster, cutoff, oof)


def issue_day_ahead(history: pd.Series, days: pd.DatetimeIndex, config: ModelConfig | None = None,
                    progress: Callable[[int], None] | None = None) -> DayAheadForecasts:
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
    n = len(v)
    rownum = np.arange(n)
    warm_up = max(cfg.lags, max(cfg.rolling_days, default=1), cfg.volatility_days) + 1
    use_lgb = cfg.lgb_weight > 0

    pmf = np.zeros((len(days), GRID.size))
    means = np.zeros(len(days))
    scales = np.zeros(len(days))
    correction: _Correction | None = None
    b0 = 0
    while b0 < len(days):
        start = pos[b0]
        block = [i for i in range(b0, len(days)) if pos[i] < start + cfg.refit_days]
        observed_past = (rownum < start) & ~np.isnan(v)
        # 1. climatology (formula evaluated on every day; fitted on the past only)
        beta = _lstsq(clim_design[observed_past], v[observed_past])
        mu = clim_design @ beta
        anom = v - mu
        # values dated >= start never enter the fit: unknown days count as anomaly 0
        a0 = np.where(observed_past, anom, 0.0)
        train = observed_past & (rownum >= warm_up)
        tr = np.nonzero(train)[0]
        st = _state(a0, tr, cfg)
        # 2. anomaly regression (+ LightGBM correction of its residuals)
        x_lin = _linear_design(st, annual[tr], cfg)
        gamma = _lstsq(x_lin, anom[tr])
        fit = x_lin @ gamma
        if use_lgb:
            x_lgb = _lgb_design(st, annual[tr])
            if correction is None or start - correction.cutoff >= cfg.lgb_refit_days:
                correction = _fit_correction(x_lgb, anom[tr] - fit, tr, start, n, cfg)
            c_tr = correction.oof[tr]
            later = np.isnan(c_tr)  # rows after the booster's cut-off: genuinely out of sample
            if later.any():
                c_tr[later] = correction.booster.predict(x_lgb[later])
            fit = fit + cfg.lgb_weight * c_tr
        # 3. conditional scale
        x_sc = _scale_design(st, season[tr, :5], cfg)
        resid = np.full(n, np.nan)
        resid[tr] = anom[tr] - fit
        delta = _lstsq(x_sc, np.log(np.abs(resid[tr]) + 0.5))
        z = np.full(n, np.nan)
        z[tr] = resid[tr] / np.exp(x_sc @ delta)
        a1_tr = np.zeros(n)
        a2_tr = np.zeros(n)
        a1_tr[tr] = st["lag1"]
        a2_tr[tr] = st["lag2"]
        # block days: features from rows up to D-1 (inside the block those are known; _state never
        # reads day D itself or later, so one array serves every day of the block)
        bpos = pos[block[0] : block[-1] + 1]
        sb = _state(np.where(np.isnan(v), 0.0, anom), bpos, cfg)
        mean_b = mu[bpos] + _linear_design(sb, annual[bpos], cfg) @ gamma
        if use_lgb:
            mean_b = mean_b + cfg.lgb_weight * correction.booster.predict(_lgb_design(sb, annual[bpos]))
        scale_b = np.exp(_scale_design(sb, season[bpos, :5], cfg) @ delta)
        for j, i in enumerate(block):
            p = pos[i]
            x1 = sb["lag1"][j]
            x2 = sb["lag2"][j]
            # 4. residual pool: same season, analog-weighted by the lag-1 anomaly and its change
            near = train & (_circular_day_distance(doy, doy[p]) <= cfg.residual_window_days)
            sd_anom = float(np.std(anom[near])) or 1.0
            w = np.exp(-0.5 * ((a1_tr[near] - x1) / (cfg.analog_bandwidth * sd_anom)) ** 2)
            if cfg.change_bandwidth > 0:
                # regime analog: residual shape after a warming day differs from after a cooling one
                dz = ((a1_tr[near] - a2_tr[near]) - (x1 - x2)) / (cfg.change_bandwidth * sd_anom)
                w = w * np.exp(-0.5 * dz**2)
            w = w / w.sum()
            pmf[i] = _discretise(float(mean_b[j]), float(scale_b[j]), z[near], w, cfg.kernel_bandwidth,
                                 cfg.min_mass)
            means[i] = mean_b[j]
            scales[i] = scale_b[j]
        if progress is not None:
            progress(len(block))
        b0 = block[-1] + 1
    last_fit = {  # the last block's fit
        "fit_cutoff": str(full[start].date()),
        "train_rows": int(len(tr)),
        "climatology_coef": beta.tolist(),
        "anomaly_coef": gamma.tolist(),
        "scale_coef": delta.tolist(),
        "lgb_cutoff": str(full[correction.cutoff].date()) if correction is not None else None,
        "lgb_model": correction.booster.model_to_string() if correction is not None else None,
    }
    return DayAheadForecasts(days, pmf, means, scales, fit=last_fit)


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
