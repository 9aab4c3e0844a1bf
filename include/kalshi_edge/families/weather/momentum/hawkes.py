"""Exponential-kernel Hawkes intensity, fitted by maximum likelihood on past event times.

``λ(t) = μ + α Σ_{t_i < t} exp(−β (t − t_i))``. The log-likelihood of one sequence on
``[0, T]`` is ``Σ log λ(t_i) − μT − (α/β) Σ (1 − exp(−β (T − t_i)))``, computed with Ozaki's
recursion ``A_i = exp(−β(t_i − t_{i−1}))(1 + A_{i−1})`` in O(n). Several sequences (one per
bracket and day) share the parameters; they are fitted by L-BFGS-B on log-parameters with the
stationarity constraint α < β enforced through α = β·sigmoid(θ). Deterministic (fixed start).

The events here are a bracket's **mid changes** (the top-of-book logs record book updates, not
trades; a WebSocket journal's ``trade`` frames could feed the same fit).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from kalshi_edge.families.weather.momentum.features import HawkesParams

__all__ = ["HawkesParams", "fit_hawkes", "hawkes_loglik", "intensity_path"]


def hawkes_loglik(params: HawkesParams, seqs: Sequence[tuple[np.ndarray, float]]) -> float:
    """Total log-likelihood of ``seqs`` (each: event times from 0, sorted; horizon T)."""
    mu, a, b = params.mu, params.alpha, params.beta
    total = 0.0
    exp, log = math.exp, math.log
    for times, horizon in seqs:
        acc, prev, ll, comp = 0.0, None, 0.0, 0.0
        for t in times.tolist() if isinstance(times, np.ndarray) else times:
            if prev is not None:
                acc = exp(-b * (t - prev)) * (1.0 + acc)
            lam = mu + a * acc
            ll += log(lam) if lam > 0 else -700.0
            comp += 1.0 - exp(-b * (horizon - t))
            prev = t
        total += ll - mu * horizon - (a / b) * comp
    return total


def fit_hawkes(seqs: Sequence[tuple[np.ndarray, float]], *, min_events: int = 20) -> HawkesParams | None:
    """MLE of (μ, α, β) shared by ``seqs``; None when there are fewer than ``min_events`` events."""
    from scipy.optimize import minimize

    seqs = [(np.asarray(t, dtype=float), float(h)) for t, h in seqs if h > 0]
    n = sum(t.size for t, _ in seqs)
    if n < min_events:
        return None
    horizon = sum(h for _, h in seqs)
    rate = n / horizon

    def unpack(x: np.ndarray) -> HawkesParams:
        beta = math.exp(x[2])
        return HawkesParams(mu=math.exp(x[0]), alpha=beta / (1.0 + math.exp(-x[1])), beta=beta)

    def nll(x: np.ndarray) -> float:
        v = -hawkes_loglik(unpack(x), seqs)
        return v if math.isfinite(v) else 1e300

    x0 = np.array([math.log(rate * 0.5), 0.0, math.log(0.1)])
    res = minimize(nll, x0, method="L-BFGS-B", bounds=[(-20, 5), (-8, 8), (-9, 3)])
    return unpack(res.x)


def intensity_path(params: HawkesParams, times: np.ndarray, at: np.ndarray) -> np.ndarray:
    """λ at each time of ``at`` (sorted) from events ``times`` strictly before it (for checks/plots)."""
    times = np.asarray(times, dtype=float)
    out = np.empty(len(at))
    j, s, last = 0, 0.0, None
    for k, t in enumerate(at):
        while j < times.size and times[j] < t:
            s = (s * math.exp(-params.beta * (times[j] - last)) if last is not None else 0.0) + 1.0
            last = times[j]
            j += 1
        out[k] = params.mu + (params.alpha * s * math.exp(-params.beta * (t - last)) if last is not None else 0.0)
    return out
