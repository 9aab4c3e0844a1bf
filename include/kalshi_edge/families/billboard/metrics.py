"""Billboard-specific evaluation metrics over (week, contender) rows, including the ``__OTHER__`` row.

All take 1-D arrays of labels (0/1) and probabilities; ``weeks`` groups rows into chart weeks for
top-1 accuracy. Brier and log loss are per-row means (binary), so model and baseline compare on the
very same rows.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

EPS = 1e-12


def brier(y: np.ndarray, p: np.ndarray) -> float:
    """Mean squared error of probabilities (lower is better)."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    return float(np.mean((p - y) ** 2))


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    """Mean binary cross-entropy in nats, probabilities clipped to [1e-12, 1 - 1e-12]."""
    y = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC via the Mann-Whitney statistic (ties get half credit); NaN with a single class."""
    y = np.asarray(y, dtype=float)
    n_pos = float(y.sum())
    n_neg = float(len(y) - n_pos)
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(np.asarray(p, dtype=float))
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def f1(y: np.ndarray, p: np.ndarray, threshold: float = 0.5) -> float:
    """F1 score of the rule "predict #1 when p >= threshold"."""
    y = np.asarray(y, dtype=bool)
    pred = np.asarray(p, dtype=float) >= threshold
    tp = float((pred & y).sum())
    fp = float((pred & ~y).sum())
    fn = float((~pred & y).sum())
    return 0.0 if tp == 0 else float(2 * tp / (2 * tp + fp + fn))


def top1_accuracy(y: np.ndarray, p: np.ndarray, weeks: np.ndarray) -> float:
    """Share of weeks whose highest-probability row (first on ties) is the actual #1."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    weeks = np.asarray(weeks)
    order = np.lexsort((-p, weeks))  # by week, then p descending; lexsort is stable
    w_sorted = weeks[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = w_sorted[1:] != w_sorted[:-1]
    if not first.any():
        return float("nan")
    return float(y[order][first].mean())


def all_metrics(y: np.ndarray, p: np.ndarray, weeks: np.ndarray) -> dict[str, float]:
    """Brier, log loss, AUC, F1 (threshold 0.5), top-1 accuracy and ECE (10 bins, shared metric) in one dict."""
    from kalshi_edge.modeling.metrics import ece

    return {
        "brier": brier(y, p),
        "log_loss": log_loss(y, p),
        "auc": auc(y, p),
        "f1": f1(y, p),
        "top1_accuracy": top1_accuracy(y, p, weeks),
        "ece": ece(np.asarray(p, dtype=float), np.asarray(y, dtype=float)),
    }
