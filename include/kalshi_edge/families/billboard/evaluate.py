"""Walk-forward evaluation of the Billboard model: every chart week predicted from charts dated
before it only, model vs the rank-prior baseline on the very same (week, contender) rows, with the
metrics of :mod:`kalshi_edge.modeling.metrics` (Brier, log loss, AUC, F1, top-1 per week, ECE).

:func:`run_backtest` is what ``kalshi-edge billboard backtest``, the weekly retrain's
re-validation and the demo call; ``predict_week`` (the fit of one week) lives in
:mod:`kalshi_edge.families.billboard.model`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from kalshi_edge.families.billboard.features import contender_frame
from kalshi_edge.families.billboard.model import BillboardModelError, ModelConfig, predict_week


@dataclass
class BacktestResult:
    """Row predictions (one frame, all weeks) and metrics of model and baseline on the same rows."""

    predictions: pd.DataFrame
    model_metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    config: ModelConfig
    n_weeks: int

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row per metric: model, baseline and which is better."""
        lower_better = {"brier", "log_loss", "ece"}
        rows = []
        for k, mv in self.model_metrics.items():
            bv = self.baseline_metrics[k]
            better = (mv < bv) if k in lower_better else (mv > bv)
            rows.append({"metric": k, "model": mv, "baseline": bv, "model_better": bool(better)})
        return rows


def evaluate(pred: pd.DataFrame) -> tuple[dict[str, float], dict[str, float]]:
    """Metrics of ``p_number_one`` and ``p_baseline`` over rows with known labels."""
    known = pred[pred["label"].notna()]
    y = known["label"].to_numpy(dtype=float)
    wk = known["chart_date"].to_numpy()
    return (week_metrics(known["p_number_one"].to_numpy(), y, wk),
            week_metrics(known["p_baseline"].to_numpy(), y, wk))


#: Log-loss clipping of the Billboard scores (kept from the family's first reports, comparable over time).
LOG_LOSS_EPS = 1e-12


def week_metrics(p: np.ndarray, y: np.ndarray, weeks: np.ndarray) -> dict[str, float]:
    """Brier, log loss, AUC, F1 (threshold 0.5), top-1 accuracy per chart week and ECE (10 bins),
    all from :mod:`kalshi_edge.modeling.metrics`, over (week, contender) rows incl. ``__OTHER__``."""
    from kalshi_edge.modeling import metrics as M

    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    return {"brier": M.brier(p, y), "log_loss": M.log_loss(p, y, eps=LOG_LOSS_EPS), "auc": M.auc(p, y),
            "f1": M.f1(p, y), "top1_accuracy": M.top1_accuracy(p, y, weeks), "ece": M.ece(p, y)}


_WORKER: dict[str, Any] = {}


def _init_worker(rows: pd.DataFrame, weeks: pd.DataFrame, cfg: ModelConfig) -> None:
    _WORKER.update(rows=rows, weeks=weeks, cfg=cfg)


def _work(job: tuple[int, str]) -> pd.DataFrame:
    return predict_week(_WORKER["rows"], _WORKER["weeks"], job[0], job[1], _WORKER["cfg"])


def run_backtest(charts: pd.DataFrame, start: date, end: date | None = None, cfg: ModelConfig | None = None,
                 on_week: Callable[[], None] | None = None, n_jobs: int = 1) -> BacktestResult:
    """Walk forward over every chart week in [start, end]; week W trains only on charts dated before W.

    ``n_jobs``: worker processes (spawned, so a calling script needs the usual
    ``if __name__ == "__main__":`` guard); results do not depend on it.
    """
    cfg = cfg or ModelConfig()
    rows, weeks = contender_frame(charts, top_n=cfg.top_n)
    lo = start.isoformat()
    hi = end.isoformat() if end else "9999-12-31"
    targets = weeks[(weeks["target_date"] >= lo) & (weeks["target_date"] <= hi) & weeks["winner_in_contenders"].notna()]
    if targets.empty:
        raise BillboardModelError(f"no chart weeks between {lo} and {hi} in the charts")
    jobs = [(int(i), str(d)) for i, d in zip(targets["target_idx"], targets["target_date"], strict=True)]
    workers = min(max(1, n_jobs), len(jobs))
    frames = []
    if workers == 1:
        for t_idx, t_date in jobs:
            frames.append(predict_week(rows, weeks, t_idx, t_date, cfg))
            if on_week is not None:
                on_week()
    else:
        # Weeks are independent fits: spread them over processes (spawn, not fork: LightGBM's OpenMP
        # runtime is not fork-safe). Each week's result is identical to the serial run.
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        cols = list(dict.fromkeys(["target_idx", "target_date", "label", "rank", "song", "artist", "song_id",
                                   *cfg.features]))
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                                 initargs=(rows[cols], weeks, cfg)) as pool:
            for frame in pool.map(_work, jobs, chunksize=4):
                frames.append(frame)
                if on_week is not None:
                    on_week()
    pred = pd.concat(frames, ignore_index=True)
    m, b = evaluate(pred)
    return BacktestResult(pred, m, b, cfg, len(targets))
