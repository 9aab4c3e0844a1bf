"""The HTML report of ``weather vs-market``: model, market, fused and the climatology baseline side
by side on the same decisions, with day-bootstrap intervals, a calibration plot per source and the
per-day model-minus-market RPS chart. Deterministic: no wall-clock time in the page."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kalshi_edge.reports.html import figure_html, render_report, table_html

if TYPE_CHECKING:
    from kalshi_edge.families.weather.vs_market import VsMarketResult


def _fmt(v: float, nd: int = 3) -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.{nd}f}"


def scores_table(scores: pd.DataFrame) -> list[dict]:
    out = []
    for r in scores.itertuples(index=False):
        out.append({
            "decision": r.clock, "source": r.source, "days": r.n_days,
            "RPS (°F)": f"{_fmt(r.rps)} [{_fmt(r.rps_lo)}, {_fmt(r.rps_hi)}]",
            "Brier per bracket": f"{_fmt(r.brier, 4)} [{_fmt(r.brier_lo, 4)}, {_fmt(r.brier_hi, 4)}]",
            "log loss": f"{_fmt(r.log_loss)} [{_fmt(r.log_loss_lo)}, {_fmt(r.log_loss_hi)}]",
            "RMSE of mean (°F)": f"{_fmt(r.rmse_mean_f, 2)} [{_fmt(r.rmse_lo, 2)}, {_fmt(r.rmse_hi, 2)}]",
            "RPS − market": "" if r.source == "market" else
            f"{_fmt(r.d_rps_vs_market)} [{_fmt(r.d_lo)}, {_fmt(r.d_hi)}]"
            + (" (interval contains 0)" if not np.isnan(r.d_lo) and r.d_lo <= 0 <= r.d_hi else ""),
        })
    return out


def calibration_figure(brackets: pd.DataFrame, sources: list[str]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kalshi_edge.modeling.metrics import calibration_table

    fig, axes = plt.subplots(1, len(sources), figsize=(3.6 * len(sources), 3.6), dpi=90, squeeze=False)
    for ax, src in zip(axes[0], sources, strict=True):
        b = brackets[brackets["source"] == src]
        ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
        if len(b):
            t = calibration_table(b["p"].clip(0, 1), b["outcome"], bins=10)
            t = t[t["count"] > 0]
            ax.plot(t["mean_p"], t["freq"], marker="o")
            for x, y, c in zip(t["mean_p"], t["freq"], t["count"], strict=True):
                ax.annotate(str(int(c)), (x, y), fontsize=6, xytext=(2, 2), textcoords="offset points")
        ax.set_title(f"{src} (n={len(b)} brackets)")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("forecast P(bracket)")
    axes[0][0].set_ylabel("observed frequency")
    return figure_html(fig, "calibration per source")


def per_day_figure(rows: pd.DataFrame) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    piv = rows.pivot_table(index=["date", "clock"], columns="source", values="rps", aggfunc="mean")
    clocks = sorted(rows["clock"].unique())
    dates = sorted(rows["date"].unique())  # one x position per day in every panel (gaps stay empty)
    fig, axes = plt.subplots(len(clocks), 1, figsize=(11, 2.4 * len(clocks)), dpi=90, squeeze=False, sharex=True)
    for ax, clock in zip(axes[:, 0], clocks, strict=True):
        p = piv.xs(clock, level="clock").reindex(dates)
        x = np.arange(len(p))
        ax.bar(x - 0.2, p["model"] - p["market"], width=0.4, label="model − market", color="#1f77b4")
        if "fused" in p.columns:
            ax.bar(x + 0.2, p["fused"] - p["market"], width=0.4, label="fused − market", color="#ff7f0e")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_ylabel(f"RPS diff\n{clock}")
        ax.set_xticks(x)
        ax.set_xticklabels(list(p.index), rotation=90, fontsize=6)
    axes[0][0].legend(loc="upper left", fontsize=7)
    axes[0][0].set_title("per day: RPS of model (and fused) minus market (< 0: better than the market)")
    return figure_html(fig, "model minus market per day")


def render(res: VsMarketResult, title: str) -> str:
    rows, scores = res.rows, res.scores
    sources = [s for s in ("market", "model", "fused", "climatology") if s in set(rows["source"])]
    n_days = rows["date"].nunique() if len(rows) else 0
    used = rows[rows["source"] == "model"]["model_used"].value_counts().to_dict() if len(rows) else {}
    intro = (f"<p>{n_days} event days, {rows[['date', 'decision_ts']].drop_duplicates().shape[0]} scored decisions. "
             "Every source is scored on the <b>same rows</b> (date × decision time). Intervals: 95 % day-bootstrap "
             "(2000 resamples, fixed seed). Baseline: climatology (highs within ±7 days in earlier years). "
             f"Model inputs used: {html.escape(str(used))}. "
             "The market pmf is the ladder's mid (book) or last trade (candles), normalised multiplicatively "
             "for the overround; fused = w·model + (1−w)·market with w fitted per decision time on earlier days only.</p>")
    sections = [
        {"title": "Scores: model vs market vs baseline", "html": intro + table_html(scores_table(scores))},
        {"title": "Calibration per source (bracket level)", "html": calibration_figure(res.brackets, sources)},
        {"title": "Per day: model minus market", "html": per_day_figure(rows)},
        {"title": "Fusion weights (fitted on earlier days)", "html": table_html(res.weights.to_dict("records"))},
        {"title": "Skipped", "html": "<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in res.skipped) + "</ul>"
         if res.skipped else "<p class='meta'>nothing skipped</p>"},
    ]
    # deterministic page: the "generated" stamp is the last decision time, not the wall clock
    last = pd.Timestamp(rows["decision_ts"].max()).tz_convert("UTC") if len(rows) else pd.Timestamp(0, tz="UTC")
    return render_report(title, sections, generated_at=datetime.fromtimestamp(last.timestamp(), UTC))
