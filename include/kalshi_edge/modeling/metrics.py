"""The project's only probability-forecast metrics: Brier, log loss, ECE, calibration table, AUC,
F1, top-1 accuracy per group.

Every function takes ``(p, y)`` in that order: ``p`` the forecast probabilities of the event
(floats in [0, 1]) and ``y`` the outcomes (0/1 or bool), array-likes of the same length; they
return plain floats / DataFrames. Probabilities are floats by design (they are not money).
Families import from here; none keeps its own copy (families/README.md).
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd


def _as_arrays(p: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    pa_ = np.asarray(p, dtype=float).ravel()
    ya = np.asarray(y, dtype=float).ravel()
    if pa_.shape != ya.shape:
        raise ValueError(f"p and y differ in length: {pa_.size} vs {ya.size}")
    if pa_.size == 0:
        raise ValueError("no forecasts to score (empty p and y)")
    if np.isnan(pa_).any() or np.isnan(ya).any():
        raise ValueError("p or y contains NaN")
    if (pa_ < 0).any() or (pa_ > 1).any():
        raise ValueError("probabilities must lie in [0, 1]")
    if not np.isin(ya, (0.0, 1.0)).all():
        raise ValueError("outcomes must be 0 or 1")
    return pa_, ya


def brier(p: object, y: object) -> float:
    """Mean squared error of probability forecasts (0 best, 0.25 for a constant 0.5)."""
    pa_, ya = _as_arrays(p, y)
    return float(np.mean((pa_ - ya) ** 2))


def log_loss(p: object, y: object, eps: float = 1e-6) -> float:
    """Mean negative log-likelihood in nats; ``p`` is clipped to ``[eps, 1 - eps]``."""
    pa_, ya = _as_arrays(p, y)
    q = np.clip(pa_, eps, 1.0 - eps)
    return float(-np.mean(ya * np.log(q) + (1.0 - ya) * np.log1p(-q)))


def _bin_index(p: np.ndarray, bins: int) -> np.ndarray:
    # equal-width bins on [0, 1]; p == 1 falls in the last bin
    return np.minimum((p * bins).astype(int), bins - 1)


def calibration_table(p: object, y: object, bins: int = 10) -> pd.DataFrame:
    """Reliability table over ``bins`` equal-width probability bins.

    Columns: ``bin`` (index), ``p_low``, ``p_high`` (bin edges), ``count``, ``mean_p`` (mean
    forecast), ``freq`` (observed frequency of the event), ``gap`` (freq − mean_p). Empty bins are
    kept with count 0 and NaN means so tables line up across runs.
    """
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    pa_, ya = _as_arrays(p, y)
    idx = _bin_index(pa_, bins)
    count = np.bincount(idx, minlength=bins)
    sum_p = np.bincount(idx, weights=pa_, minlength=bins)
    sum_y = np.bincount(idx, weights=ya, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.where(count > 0, sum_p / np.maximum(count, 1), np.nan)
        freq = np.where(count > 0, sum_y / np.maximum(count, 1), np.nan)
    edges = np.linspace(0.0, 1.0, bins + 1)
    return pd.DataFrame(
        {
            "bin": np.arange(bins),
            "p_low": edges[:-1],
            "p_high": edges[1:],
            "count": count.astype(int),
            "mean_p": mean_p,
            "freq": freq,
            "gap": freq - mean_p,
        }
    )


def ece(p: object, y: object, bins: int = 10) -> float:
    """Expected calibration error: count-weighted mean |freq − mean_p| over equal-width bins."""
    t = calibration_table(p, y, bins)
    n = t["count"].sum()
    nz = t[t["count"] > 0]
    return float((nz["count"] * (nz["freq"] - nz["mean_p"]).abs()).sum() / n)


def auc(p: object, y: object) -> float:
    """ROC AUC via the Mann-Whitney statistic (ties get half credit); NaN with a single class."""
    from scipy.stats import rankdata

    pa_, ya = _as_arrays(p, y)
    n_pos = float(ya.sum())
    n_neg = float(len(ya) - n_pos)
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(pa_)
    return float((ranks[ya == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def f1(p: object, y: object, threshold: float = 0.5) -> float:
    """F1 score of the rule "predict the event when p >= threshold"."""
    pa_, ya = _as_arrays(p, y)
    yb = ya.astype(bool)
    pred = pa_ >= threshold
    tp = float((pred & yb).sum())
    fp = float((pred & ~yb).sum())
    fn = float((~pred & yb).sum())
    return 0.0 if tp == 0 else float(2 * tp / (2 * tp + fp + fn))


def top1_accuracy(p: object, y: object, groups: object) -> float:
    """Share of groups (e.g. chart weeks) whose highest-probability row (first on ties) has y = 1."""
    pa_, ya = _as_arrays(p, y)
    g = np.asarray(groups).ravel()
    if g.shape != pa_.shape:
        raise ValueError(f"groups and p differ in length: {g.size} vs {pa_.size}")
    order = np.lexsort((-pa_, g))  # by group, then p descending; lexsort is stable
    g_sorted = g[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = g_sorted[1:] != g_sorted[:-1]
    return float(ya[order][first].mean())


def score_all(p: object, y: object, bins: int = 10) -> dict[str, float]:
    """Brier, log loss, ECE and the row count in one dict (for reports and CLIs)."""
    pa_, ya = _as_arrays(p, y)
    return {"n": int(pa_.size), "brier": brier(pa_, ya), "log_loss": log_loss(pa_, ya), "ece": ece(pa_, ya, bins)}


def reliability_plot_png(
    curves: dict[str, tuple[object, object]], bins: int = 10, title: str = "Reliability"
) -> bytes:
    """A reliability diagram (PNG bytes) with one line per named ``(p, y)`` pair. Uses matplotlib Agg."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5), dpi=90)
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect")
    for name, (p, y) in curves.items():
        t = calibration_table(p, y, bins)
        t = t[t["count"] > 0]
        ax.plot(t["mean_p"], t["freq"], marker="o", label=name)
    ax.set_xlabel("forecast probability")
    ax.set_ylabel("observed frequency")
    ax.set_title(title)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def png_img_tag(png: bytes, alt: str = "plot") -> str:
    """An ``<img>`` tag embedding PNG bytes as base64 (for self-contained HTML reports)."""
    return f'<img alt="{alt}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}"/>'
