"""Intraday update of a day's high distribution from the running high, and bracket mapping.

Coherent by construction: the official high can never end below the running high ``H`` (the ASOS
keeps a running 1-minute maximum), so the updated pmf is

    P(T = H) = 1 - rise,   P(T = k > H) = rise * prior(k) / prior(T > H)

where ``rise`` = P(a new high above H before local standard midnight) = ``prior(T > H | T >= H)``
× ``hazard_remaining(...)``: the prior's own view of exceeding H, scaled by the share of the day's
rising potential that is left. It never puts mass below H and always sums to 1 (property-tested).

The hazard curve is a hand-set logistic in local-standard hour (peak heating near 15:00 LST),
the last hour's trend (°F/h) and the gap between the running high and the current temperature.
It is NOT fitted yet: fitting it needs a season of IEM 1-minute observations in the lake.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kalshi_edge.families.weather.model import GRID, GRID_LO_F
from kalshi_edge.kalshi.models import Market
from kalshi_edge.kalshi.semantics import IntInterval, payout_interval


@dataclass(frozen=True)
class HazardParams:
    """Logistic hazard of a new high: hours are local standard time, trend °F/h, gap °F."""

    peak_hour_lst: float = 15.0
    hour_scale: float = 1.25
    trend_coef: float = 0.8
    gap_coef: float = 0.35


def hazard_remaining(hour_lst: float, trend_f_per_hour: float = 0.0, gap_f: float = 0.0,
                     params: HazardParams | None = None) -> float:
    """Share (0..1) of the day's chance of rising above the running high still ahead.

    ``hour_lst``: hours since local standard midnight (0..24); ``trend_f_per_hour``: temperature
    change over the last hour; ``gap_f``: running high minus the current temperature (>= 0).
    1 at the start of the day (nothing has happened yet), falling after the afternoon peak.
    """
    p = params or HazardParams()
    if hour_lst <= 0:
        return 1.0
    if hour_lst >= 24:
        return 0.0
    x = (p.peak_hour_lst - hour_lst) / p.hour_scale + p.trend_coef * trend_f_per_hour - p.gap_coef * max(gap_f, 0.0)
    # scaled so that midnight gives 1 whatever the other inputs (a day that has not started)
    s = 1.0 / (1.0 + math.exp(-x))
    s0 = 1.0 / (1.0 + math.exp(-(p.peak_hour_lst / p.hour_scale)))
    return float(min(1.0, s / s0)) * (1.0 - hour_lst / 24.0) ** 0.25


def update_with_running_high(prior: np.ndarray, running_high_f: int, rise_share: float) -> np.ndarray:
    """The coherent intraday pmf on GRID (see module doc). ``rise_share`` in [0, 1]."""
    prior = np.asarray(prior, dtype=float)
    if prior.shape != GRID.shape:
        raise ValueError(f"prior must have {GRID.size} masses on {GRID_LO_F}..{GRID[-1]} °F")
    h = int(running_high_f)
    if not GRID[0] <= h <= GRID[-1]:
        raise ValueError(f"running high {h} °F outside the grid")
    j = h - GRID_LO_F
    at_or_above = prior[j:].sum()
    above = prior[j + 1 :].sum()
    out = np.zeros_like(prior)
    cond_rise = above / at_or_above if at_or_above > 0 else 0.0
    rise = float(np.clip(cond_rise * rise_share, 0.0, 1.0))
    if above > 0 and rise > 0:
        out[j + 1 :] = rise * prior[j + 1 :] / above
    out[j] = 1.0 - out[j + 1 :].sum()
    return out


def intraday_pmf(prior: np.ndarray, running_high_f: int, hour_lst: float, trend_f_per_hour: float = 0.0,
                 current_temp_f: float | None = None, params: HazardParams | None = None) -> np.ndarray:
    """Day-ahead prior + running high + time of day → the updated pmf on GRID."""
    gap = 0.0 if current_temp_f is None else running_high_f - current_temp_f
    share = hazard_remaining(hour_lst, trend_f_per_hour, gap, params)
    return update_with_running_high(prior, running_high_f, share)


def interval_mass(pmf: np.ndarray, interval: IntInterval) -> float:
    """P(T in interval) for a pmf on GRID (inclusive integer bounds; None = open)."""
    lo = GRID_LO_F if interval.lo is None else max(interval.lo, GRID_LO_F)
    hi = int(GRID[-1]) if interval.hi is None else min(interval.hi, int(GRID[-1]))
    if lo > hi:
        return 0.0
    return float(np.asarray(pmf)[lo - GRID_LO_F : hi - GRID_LO_F + 1].sum())


def bracket_probabilities(pmf: np.ndarray, markets: Sequence[Market]) -> dict[str, float]:
    """P(YES) of every market of an event, via the contract semantics (fails closed).

    Raises ``ValueError`` when the markets' payout intervals overlap (the ladder would not be a
    partition, so the probabilities could not be fused or traded as one distribution).
    """
    intervals = [(m.ticker, payout_interval(m)) for m in markets]
    ordered = sorted(intervals, key=lambda t: -math.inf if t[1].lo is None else t[1].lo)
    for (ta, a), (tb, b) in zip(ordered, ordered[1:], strict=False):
        if a.hi is None or (b.lo is not None and b.lo <= a.hi):
            raise ValueError(f"brackets {ta} {a} and {tb} {b} overlap")
    return {t: interval_mass(pmf, iv) for t, iv in intervals}
