"""The forecast-driven day-ahead model: an EMOS-style correction of the latest point forecast.

For a target climate day D and a decision time t:

1. **Input**: the latest forecast of D issued strictly before t (:func:`~kalshi_edge.families.weather.forecasts.latest_before`),
   from the first of ``sources`` that has one (default ``nws_point`` then ``accuweather``). Its
   **lead** is the hours from ``issued_at`` to 15:00 local on D (about when the high is set), in days.
2. **Mean**: ``mu = a + b * f``, with ``b`` shrunk toward 1 by a ridge of ``slope_shrink``
   pair-equivalents (42 days are too few to trust a free slope).
3. **Spread**: ``log sigma = c0 + c1 * lead_days`` (``c1 >= 0``: an older forecast is never more
   certain) from a regression of ``log(resid^2 + 0.25)`` on the lead, then rescaled so the
   training residuals have unit variance; floored at ``min_sigma_f``.
4. **pmf**: ``P(T = k) = Phi((k + 0.5 - mu)/sigma) - Phi((k - 0.5 - mu)/sigma)`` on the model grid.

**Walk-forward**: target days are taken in blocks of ``refit_days`` (7) consecutive days; a
block's parameters (per source) are fitted on training pairs of the ``train_days`` (42) target days
ending two days before the block's first day (so every training outcome is final before any
decision in the block, even one on the evening of the day before). A training pair is built exactly
like a live decision: the latest forecast issued before the same decision clock time (``decision_ts``
applied to the training day). With fewer than ``min_pairs`` pairs in the window the whole past is
used; with fewer still, the a-priori ``a = 0, b = 1, sigma = default_sigma_f + default_sigma_per_day * lead``.

**Fallback**: no forecast before t → the caller's ``fallback`` (today's history-only model).
Nothing dated at or after t enters a decision: forecasts by ``issued_at < t``, outcomes only of
training days two days before the block.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from scipy.special import ndtr

from kalshi_edge.families.weather.forecasts import latest_before
from kalshi_edge.families.weather.model import GRID, GRID_LO_F

HIGH_HOUR_LOCAL = 15


@dataclass(frozen=True)
class EmosConfig:
    """Knobs of the forecast model (chosen a priori, never on the scored days)."""

    train_days: int = 42
    refit_days: int = 7
    min_pairs: int = 10
    sources: tuple[str, ...] = ("nws_point", "accuweather")
    #: "first": the first source in ``sources`` with a usable forecast; "mean": the mean of the
    #: latest usable forecast of every source (a blend of public forecasts), its lead the oldest
    combine: str = "first"

    def __post_init__(self) -> None:
        if self.combine not in ("first", "mean"):
            raise ValueError(f"EmosConfig: combine = {self.combine!r} must be 'first' or 'mean'")
        if self.train_days < 1 or self.refit_days < 1 or self.min_pairs < 3 or not self.sources:
            raise ValueError("EmosConfig: train_days, refit_days >= 1, min_pairs >= 3 and sources are required")
        if self.min_sigma_f <= 0 or self.default_sigma_f <= 0 or self.slope_shrink < 0:
            raise ValueError("EmosConfig: sigmas must be > 0 and slope_shrink >= 0")
    slope_shrink: float = 20.0
    min_sigma_f: float = 1.0
    default_sigma_f: float = 2.5
    default_sigma_per_day: float = 0.5
    tz: str = "America/New_York"


@dataclass(frozen=True)
class EmosParams:
    a: float
    b: float
    c0: float
    c1: float
    n: int

    def mean(self, f: float) -> float:
        return self.a + self.b * f

    def sigma(self, lead_days: float, floor: float) -> float:
        return max(float(np.exp(self.c0 + self.c1 * lead_days)), floor)


def lead_days(issued_at: pd.Timestamp, target: pd.Timestamp, tz: str) -> float:
    """Days from ``issued_at`` to 15:00 local on the target day (≥ 0)."""
    t_high = pd.Timestamp(pd.Timestamp(target).date()).replace(hour=HIGH_HOUR_LOCAL).tz_localize(ZoneInfo(tz))
    return max((t_high - issued_at).total_seconds() / 86400.0, 0.0)


def default_params(cfg: EmosConfig) -> EmosParams:
    # sigma(L) = default + per_day * L, linearised into the log form at L = 1
    s1 = cfg.default_sigma_f + cfg.default_sigma_per_day
    c1 = cfg.default_sigma_per_day / s1
    return EmosParams(0.0, 1.0, float(np.log(s1) - c1), c1, 0)


def fit_emos(f: np.ndarray, y: np.ndarray, lead: np.ndarray, cfg: EmosConfig) -> EmosParams:
    """Fit mean and lead-dependent spread on training pairs (see module doc)."""
    f, y, lead = (np.asarray(v, dtype=float) for v in (f, y, lead))
    n = len(f)
    if n < 3:
        return default_params(cfg)
    fm, ym = f.mean(), y.mean()
    fc = f - fm
    vf = float(np.mean(fc**2)) or 1.0
    b = (float(fc @ (y - ym)) + cfg.slope_shrink * vf) / (float(fc @ fc) + cfg.slope_shrink * vf)
    a = ym - b * fm
    r = y - a - b * f
    z = np.log(r**2 + 0.25)
    x = np.column_stack([np.ones(n), lead])
    if np.ptp(lead) > 1e-6:
        c0, c1 = np.linalg.lstsq(x, z, rcond=None)[0]
        if c1 < 0:
            c0, c1 = float(z.mean()), 0.0
    else:
        c0, c1 = float(z.mean()), 0.0
    # rescale so the training residuals have unit variance under the fitted spread (log(r^2) is
    # biased low; this puts the level right, the regression only gives the shape over lead)
    s2 = np.exp(c0 + c1 * lead)
    c0 = c0 + np.log(float(np.mean(r**2 / s2)) + 1e-12)
    return EmosParams(float(a), float(b), float(c0 / 2.0), float(c1 / 2.0), n)


def normal_pmf(mu: float, sigma: float) -> np.ndarray:
    """Discretised N(mu, sigma) on the model GRID (sums to 1)."""
    edges = (np.arange(GRID_LO_F, GRID[-1] + 2) - 0.5 - mu) / sigma
    cdf = ndtr(edges)
    p = np.diff(cdf)
    p = np.where(p > 1e-12, p, 0.0)
    return p / p.sum()


@dataclass
class ForecastDecisions:
    """Per decision row: pmf on GRID, mean, sigma, the forecast used and the lead."""

    targets: pd.DataFrame  # date, decision_ts (+ whatever the caller passed)
    pmf: np.ndarray
    mean_f: np.ndarray
    sigma_f: np.ndarray
    used: list[str]  # source name, or "fallback"
    forecast_f: np.ndarray
    lead_days: np.ndarray
    params: list[dict] = field(default_factory=list)


def _inputs(day_rows: pd.DataFrame | None, d: pd.Timestamp, t: pd.Timestamp,
            cfg: EmosConfig) -> list[tuple[str, float, float]]:
    """Model inputs ``(label, forecast_f, lead_days)`` usable at ``t`` for day ``d``: for a decision
    the first one is used; for training every one is a pair of its label."""
    if day_rows is None:
        return []
    latest = []
    for src in cfg.sources:
        fr = latest_before(day_rows, d, t, (src,))
        if fr is not None:
            latest.append((src, float(fr["forecast_high_f"]), lead_days(fr["issued_at"], d, cfg.tz)))
    if cfg.combine == "mean" and latest:
        return [("+".join(x[0] for x in latest), float(np.mean([x[1] for x in latest])), max(x[2] for x in latest))]
    return latest


def _pairs(days: Sequence[pd.Timestamp], by_day: dict[pd.Timestamp, pd.DataFrame], actuals: pd.Series,
           decision_ts: Callable[[pd.Timestamp], pd.Timestamp], cfg: EmosConfig) -> pd.DataFrame:
    rows = []
    for d in days:
        y = actuals.get(d)
        if y is None or np.isnan(y) or d not in by_day:
            continue
        for label, f, ld in _inputs(by_day[d], d, decision_ts(d), cfg):
            rows.append((d, label, f, ld, float(y)))
    return pd.DataFrame(rows, columns=["date", "source", "f", "lead", "y"])


def forecast_model(
    targets: pd.DataFrame,
    forecasts: pd.DataFrame,
    actuals: pd.Series,
    *,
    config: EmosConfig | None = None,
    decision_clock: Callable[[pd.Timestamp, pd.Timestamp], Callable[[pd.Timestamp], pd.Timestamp]] | None = None,
    fallback: Callable[[pd.DataFrame], np.ndarray] | None = None,
) -> ForecastDecisions:
    """Distributions for every row of ``targets`` (columns ``date`` (Timestamp day), ``decision_ts``
    (tz-aware)). ``actuals``: observed highs by date (only days two days before each block are
    read). ``decision_clock(date, decision_ts)`` returns the function mapping a training day to its
    comparable decision time (default: same local clock time, same number of days before).
    ``fallback(rows)`` returns (len(rows), GRID) pmfs for rows with no usable forecast.
    """
    cfg = config or EmosConfig()
    tz = ZoneInfo(cfg.tz)
    tg = targets.reset_index(drop=True).copy()
    tg["date"] = pd.to_datetime(tg["date"]).dt.normalize()
    n = len(tg)
    pmf = np.zeros((n, GRID.size))
    mean = np.full(n, np.nan)
    sig = np.full(n, np.nan)
    fval = np.full(n, np.nan)
    lead = np.full(n, np.nan)
    used = ["fallback"] * n
    params_log: list[dict] = []

    def clock_of(day: pd.Timestamp, ts: pd.Timestamp) -> Callable[[pd.Timestamp], pd.Timestamp]:
        if decision_clock is not None:
            return decision_clock(day, ts)
        local = pd.Timestamp(ts).tz_convert(tz)
        offset = local.tz_localize(None) - day  # e.g. -13 h for 11:00 the day before

        def f(d: pd.Timestamp) -> pd.Timestamp:
            return (d + offset).tz_localize(tz, ambiguous=False, nonexistent="shift_forward")

        return f

    days = sorted(tg["date"].unique())
    if not days:
        return ForecastDecisions(tg, pmf, mean, sig, used, fval, lead)
    first = pd.Timestamp(days[0])
    block_of = ((tg["date"] - first).dt.days // cfg.refit_days).to_numpy()
    # training days: observed and forecast (one small frame per target day keeps the look-ups fast)
    by_day = {pd.Timestamp(d): g for d, g in forecasts.groupby("target_date", sort=True)}
    acts = actuals.dropna()
    acts = acts[acts.index.isin(list(by_day))]
    for blk in np.unique(block_of):
        idx = np.nonzero(block_of == blk)[0]
        b0 = first + pd.Timedelta(days=int(blk) * cfg.refit_days)
        last_train = b0 - pd.Timedelta(days=2)
        # one fit per (block, decision clock): training pairs replay the same decision time
        for key, grp in tg.iloc[idx].groupby(
            tg.iloc[idx].apply(lambda r: str(pd.Timestamp(r["decision_ts"]).tz_convert(tz).tz_localize(None)
                                             - r["date"]), axis=1), sort=True):
            r0 = grp.iloc[0]
            clock = clock_of(r0["date"], r0["decision_ts"])
            window = [d for d in acts.index if last_train - pd.Timedelta(days=cfg.train_days - 1) <= d <= last_train]
            pairs = _pairs(window, by_day, acts, clock, cfg)
            inputs = {i: _inputs(by_day.get(tg.at[i, "date"]), tg.at[i, "date"], tg.at[i, "decision_ts"], cfg)
                      for i in grp.index}
            fitted: dict[str, EmosParams] = {}
            older: pd.DataFrame | None = None
            for label in sorted({got[0][0] for got in inputs.values() if got}):
                ps = pairs[pairs["source"] == label]
                if len(ps) < cfg.min_pairs:  # too few in the window: the whole past
                    if older is None:
                        older = _pairs([d for d in acts.index if d <= last_train], by_day, acts, clock, cfg)
                    ps = older[older["source"] == label]
                fitted[label] = (fit_emos(ps["f"], ps["y"], ps["lead"], cfg) if len(ps) >= cfg.min_pairs
                                 else default_params(cfg))
                params_log.append({"block_start": str(b0.date()), "clock": key, "source": label,
                                   **{k: round(v, 4) if isinstance(v, float) else v
                                      for k, v in fitted[label].__dict__.items()}})
            for i, got in inputs.items():
                if not got:
                    continue
                label, f, ld = got[0]
                prm = fitted[label]
                mu, s = prm.mean(f), prm.sigma(ld, cfg.min_sigma_f)
                pmf[i] = normal_pmf(mu, s)
                mean[i], sig[i], fval[i], lead[i] = mu, s, f, ld
                used[i] = label
    need = [i for i in range(n) if used[i] == "fallback"]
    if need:
        if fallback is None:
            raise ValueError(f"{len(need)} decisions have no forecast issued before them and no fallback model")
        fb = fallback(tg.iloc[need].reset_index(drop=True))
        pmf[need] = fb
        mean[need] = fb @ GRID
    return ForecastDecisions(tg, pmf, mean, sig, used, fval, lead, params_log)
