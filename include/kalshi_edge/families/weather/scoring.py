"""Scores for probability distributions over the integer daily high (°F).

Definitions (these are the numbers ``kalshi-edge weather evaluate`` prints):

* A *pmf* is a row vector over the integer grid ``lo, lo+1, ..., lo+n-1`` (°F); it sums to 1.
* **Ranked probability score** (RPS) of one day with observed high ``y``:

      RPS = sum over every integer k of (F(k) - 1[y <= k])**2,   F(k) = P(T <= k)

  i.e. the squared distance between the forecast CDF and the observation's step CDF, summed over
  all integer temperatures (unnormalised, in "°F-steps"; terms outside the support are zero). For
  integer-valued forecasts this equals the continuous ranked probability score, so it is in °F
  and a point forecast off by d degrees scores |d|. Lower is better; 0 is a perfect sure forecast.
  The reported figure is the mean over days.
* **Brier on 2 °F brackets**: integers are grouped into the Kalshi-style pairs {2j-1, 2j}
  (e.g. 79-80, 81-82); the multi-category Brier of one day is
  sum over brackets of (P(bracket) - 1[y in bracket])**2 (0 best, 2 worst); reported as the mean.
"""

from __future__ import annotations

import numpy as np


def rps(pmf: np.ndarray, lo: int, observed: np.ndarray) -> np.ndarray:
    """Ranked probability score per day (°F-steps, see module doc).

    ``pmf``: (days, n) masses on integers ``lo..lo+n-1``; ``observed``: (days,) integer highs.
    Observations outside the grid count the whole missing tail, so nothing is silently clipped.
    """
    pmf = np.atleast_2d(np.asarray(pmf, dtype=float))
    obs = np.asarray(observed, dtype=float).ravel()
    n = pmf.shape[1]
    grid = lo + np.arange(n)
    cdf = np.cumsum(pmf, axis=1)
    step = (grid[None, :] >= obs[:, None]).astype(float)
    score = ((cdf - step) ** 2).sum(axis=1)
    # an observation below the grid: CDF is 0 where the step is 1 for k in [y, lo-1]
    below = np.clip(lo - obs, 0, None)
    # above the grid: CDF is 1 where the step is 0 for k in [lo+n, y-1]
    above = np.clip(obs - (lo + n), 0, None)
    return score + below + above


def bracket_index(temps: np.ndarray) -> np.ndarray:
    """Index j of the 2 °F bracket {2j-1, 2j} holding each integer temperature."""
    t = np.asarray(temps, dtype=np.int64)
    return np.floor_divide(t + 1, 2)


def bracket_brier(pmf: np.ndarray, lo: int, observed: np.ndarray) -> np.ndarray:
    """Multi-category Brier score per day on 2 °F brackets {2j-1, 2j} (0 best, 2 worst)."""
    pmf = np.atleast_2d(np.asarray(pmf, dtype=float))
    obs = np.asarray(observed, dtype=np.int64).ravel()
    n = pmf.shape[1]
    grid = lo + np.arange(n)
    bidx = bracket_index(grid)
    b0 = int(bidx[0])
    nb = int(bidx[-1]) - b0 + 1
    # sum masses into brackets with one matrix product (days x n) @ (n x nb)
    member = np.zeros((n, nb))
    member[np.arange(n), bidx - b0] = 1.0
    pb = pmf @ member
    ob = bracket_index(obs) - b0
    inside = (ob >= 0) & (ob < nb)
    score = (pb**2).sum(axis=1)
    rows = np.nonzero(inside)[0]
    score[rows] += 1.0 - 2.0 * pb[rows, ob[rows]]
    score[~inside] += 1.0
    return score
