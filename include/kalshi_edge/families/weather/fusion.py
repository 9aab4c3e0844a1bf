"""Fuse the weather distribution with market mid prices over an event's brackets.

A logistic-normal (Kalman) filter in additive-log-ratio space. For K mutually exclusive brackets
with probabilities p, let ``y = log p`` (K values) and ``alr(p) = y[:K-1] - y[K-1]``.

* Prior: the weather model's bracket probabilities ``p_w``; its log-probabilities carry independent
  noise of variance ``model_var`` (so alr covariance ``S = v I + v 11ᵀ``).
* Observation: market mids ``m_k = (bid + ask)/2`` normalised to sum 1 (removes the overround);
  each log-mid carries noise ``r_k = (spread_k / (2 m_k))² + depth_var / depth_k + floor_var``:
  wide spreads and thin books count less. In alr space ``R = diag(r[:K-1]) + r[K-1] 11ᵀ``.
* Update: ``mu = a_w + S (S + R)⁻¹ (a_m - a_w)``, then ``p = softmax([mu, 0])``.

The output is a valid distribution by construction (positive, sums to 1), whatever the quotes.
Brackets without a two-sided quote contribute no observation (infinite variance).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

EPS = 1e-4


@dataclass(frozen=True)
class BracketQuote:
    """Top of book of one bracket: YES bid/ask in dollars (floats are fine here: no money moves)
    and the depth (contracts) at those prices."""

    yes_bid: float | None
    yes_ask: float | None
    depth: float = 0.0


@dataclass(frozen=True)
class FusionParams:
    model_var: float = 0.25  # variance of the model's log-probabilities
    depth_var: float = 5.0  # variance contributed by a 1-contract book (scaled by 1/depth)
    floor_var: float = 0.02  # even a deep, tight book is not the truth


def _alr_cov(v: np.ndarray) -> np.ndarray:
    k = v.size - 1
    return np.diag(v[:k]) + v[k] * np.ones((k, k))


def fuse(model_probs: Sequence[float], quotes: Sequence[BracketQuote], params: FusionParams | None = None) -> np.ndarray:
    """Posterior bracket probabilities (sum 1, all > 0) from model probs and market quotes."""
    prm = params or FusionParams()
    p = np.clip(np.asarray(model_probs, dtype=float), EPS, None)
    p = p / p.sum()
    k = p.size
    if len(quotes) != k:
        raise ValueError(f"{len(quotes)} quotes for {k} brackets")
    if k < 2:
        return np.ones(k)
    mids = np.full(k, np.nan)
    r = np.full(k, np.inf)
    for i, q in enumerate(quotes):
        if q.yes_bid is None or q.yes_ask is None or not (0 <= q.yes_bid <= q.yes_ask <= 1):
            continue
        mid = 0.5 * (q.yes_bid + q.yes_ask)
        mids[i] = max(mid, EPS)
        spread = q.yes_ask - q.yes_bid
        r[i] = (spread / (2 * mids[i])) ** 2 + prm.depth_var / max(q.depth, 1.0) + prm.floor_var
    quoted = np.isfinite(r)
    if quoted.sum() < 2:
        return p  # one quote says nothing about relative odds after normalisation
    # use only quoted brackets in the observation: renormalise their mids over their model share
    m = np.where(quoted, mids, p)
    m = m / m.sum()
    # unquoted brackets get a huge (not infinite) variance so the algebra stays finite
    r = np.where(quoted, r, 1e6)
    a_w = np.log(p[:-1]) - np.log(p[-1])
    a_m = np.log(m[:-1]) - np.log(m[-1])
    s = _alr_cov(np.full(k, prm.model_var))
    rr = _alr_cov(r)
    gain = s @ np.linalg.inv(s + rr)
    mu = a_w + gain @ (a_m - a_w)
    z = np.concatenate([mu, [0.0]])
    z = np.exp(z - z.max())
    return z / z.sum()
