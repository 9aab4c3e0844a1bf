"""Walk-forward LightGBM model of "which song is #1 next week", with a rank-prior baseline.

For a target chart week W the model is trained only on contender rows whose target week is before
W (expanding window by default; ``window="rolling"`` keeps target weeks in the last
``train_days`` days, the 42→7-day option). Each week's probabilities are normalized over the
contenders plus an explicit ``__OTHER__`` remainder (a song outside last week's top N: debuts,
climbers), so they sum to 1:

* remainder ``r``: Beta-smoothed share of the most recent ``remainder_weeks`` training weeks whose #1
  came from outside the contenders (recent weeks, because #1 debuts became far more common in the
  streaming era);
* contenders: LightGBM scores rescaled to sum to ``1 − r``.

The baseline is the rank prior: P(#1 | last week's rank), counted over the same training weeks
(Laplace-smoothed), given the same remainder ``r`` — so model and baseline differ only in how they
split the contender mass, and are scored on the very same rows.

Deterministic: fixed seed, ``deterministic=True``, fixed thread count; ``predict`` for one week
reruns exactly the backtest's computation for that week.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from kalshi_edge.families.billboard.features import DEFAULT_TOP_N, FEATURES, contender_frame

OTHER = "__OTHER__"
OUTPUT_COLUMNS = ("chart_date", "song", "artist", "p_number_one")


class BillboardModelError(ValueError):
    """Not enough history, or a bad configuration, for the requested prediction."""


@dataclass(frozen=True)
class ModelConfig:
    """Everything that decides a prediction (stored with artifacts; part of determinism)."""

    top_n: int = DEFAULT_TOP_N
    window: str = "expanding"  # or "rolling"
    train_days: int = 42  # rolling window length in days (target weeks in [W - train_days, W))
    # Defaults chosen on data before 2019 only: Optuna (`billboard tune --before 2014-01-01 --trials 20
    # --val-weeks 104`) then a walk-forward check on 2014-2018, where they beat the previous
    # (15-leaf, 120-tree) settings on top-1 accuracy and speed and the rank prior on every metric.
    num_trees: int = 160
    learning_rate: float = 0.06
    num_leaves: int = 5
    min_data_in_leaf: int = 30
    feature_fraction: float = 0.9
    lambda_l2: float = 7.5
    half_life_weeks: float = 520.0  # recency weight of training rows; 0 disables
    remainder_weeks: int = 52
    remainder_prior: tuple[float, float] = (1.0, 9.0)  # Beta(a, b) pseudo-counts for the remainder
    min_train_weeks: int = 4
    features: tuple[str, ...] = FEATURES
    seed: int = 7
    num_threads: int = 1  # one thread: deterministic and fastest when the 2 cores are shared

    def __post_init__(self) -> None:
        if self.window not in ("expanding", "rolling"):
            raise BillboardModelError(f"window must be 'expanding' or 'rolling', not {self.window!r}")
        if self.top_n < 1 or self.top_n > 100:
            raise BillboardModelError(f"top_n must be in 1..100, not {self.top_n}")

    def lgb_params(self, n_rows: int) -> dict[str, Any]:
        """LightGBM parameters; min_data_in_leaf shrinks for tiny (rolling) training sets."""
        return {
            "objective": "binary",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": max(2, min(self.min_data_in_leaf, n_rows // 10)),
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": 1.0,
            "lambda_l2": self.lambda_l2,
            "max_bin": 63,
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": self.num_threads,
            "verbose": -1,
        }


def _train_mask(rows: pd.DataFrame, target_idx: int, target_date: str, cfg: ModelConfig) -> np.ndarray:
    mask = (rows["target_idx"].to_numpy() < target_idx) & rows["label"].notna().to_numpy()
    if cfg.window == "rolling":
        start = (date.fromisoformat(target_date) - timedelta(days=cfg.train_days)).isoformat()
        mask &= rows["target_date"].to_numpy() >= start
    return mask


def _remainder(weeks: pd.DataFrame, train_idx: np.ndarray, cfg: ModelConfig) -> float:
    """Beta-smoothed share of recent training weeks whose #1 was not a contender."""
    w = weeks[weeks["target_idx"].isin(train_idx)].sort_values("target_idx").tail(cfg.remainder_weeks)
    misses = float((w["winner_in_contenders"] == 0).sum())
    a, b = cfg.remainder_prior
    return (misses + a) / (len(w) + a + b)


def _rank_prior(train: pd.DataFrame, n_weeks: int, top_n: int) -> np.ndarray:
    """P(#1 | last week's rank k) for k = 1..top_n from the training rows, Laplace-smoothed."""
    ranks = train["rank"].to_numpy(dtype=int)
    hits = np.bincount(ranks[train["label"].to_numpy() == 1], minlength=top_n + 1)[1:top_n + 1]
    return (hits + 0.5) / (n_weeks + 0.5 * top_n)


def predict_week(rows: pd.DataFrame, weeks: pd.DataFrame, target_idx: int, target_date: str,
                 cfg: ModelConfig, keep: dict[str, Any] | None = None) -> pd.DataFrame:
    """Probabilities for one target week: its contender rows plus the ``__OTHER__`` row.

    Columns: ``chart_date, song, artist, song_id, last_rank, p_number_one, p_baseline, label``
    (label NaN for a week not in the data). Trains on target weeks before ``target_idx`` only.
    ``keep``: when given, receives the fitted ``booster``, the ``remainder`` and ``train_weeks`` (artifacts).
    """
    import lightgbm as lgb

    week_rows = rows[rows["target_idx"] == target_idx]
    if week_rows.empty:
        raise BillboardModelError(f"no contenders for target week {target_date} (no chart before it)")
    mask = _train_mask(rows, target_idx, target_date, cfg)
    train = rows[mask]
    train_weeks = np.unique(train["target_idx"].to_numpy())
    if len(train_weeks) < cfg.min_train_weeks:
        raise BillboardModelError(
            f"week {target_date}: only {len(train_weeks)} training week(s) before it; need {cfg.min_train_weeks}")
    r = _remainder(weeks, train_weeks, cfg)

    x_train = train[list(cfg.features)].to_numpy(dtype=np.float64)
    y_train = train["label"].to_numpy(dtype=np.float64)
    weight = None
    if cfg.half_life_weeks > 0:
        age = (target_idx - train["target_idx"].to_numpy()).astype(float)
        weight = np.power(0.5, age / cfg.half_life_weeks)
    booster = lgb.train(cfg.lgb_params(len(train)), lgb.Dataset(x_train, y_train, weight=weight),
                        num_boost_round=cfg.num_trees)
    if keep is not None:
        keep.update(booster=booster, remainder=r, train_weeks=len(train_weeks))
    raw = booster.predict(week_rows[list(cfg.features)].to_numpy(dtype=np.float64))
    raw = np.clip(raw, 1e-6, None)
    p_model = (1.0 - r) * raw / raw.sum()

    prior = _rank_prior(train, len(train_weeks), cfg.top_n)
    pb = prior[week_rows["rank"].to_numpy(dtype=int) - 1]
    p_base = (1.0 - r) * pb / pb.sum()

    out = pd.DataFrame({
        "chart_date": target_date,
        "song": week_rows["song"].to_numpy(),
        "artist": week_rows["artist"].to_numpy(),
        "song_id": week_rows["song_id"].to_numpy(),
        "last_rank": week_rows["rank"].to_numpy(dtype=int),
        "p_number_one": p_model,
        "p_baseline": p_base,
        "label": week_rows["label"].to_numpy(dtype=float),
    })
    known = out["label"].notna().all()
    other = pd.DataFrame([{
        "chart_date": target_date, "song": OTHER, "artist": "", "song_id": OTHER, "last_rank": 0,
        "p_number_one": r, "p_baseline": r,
        "label": (1.0 - out["label"].sum()) if known else np.nan,
    }])
    return pd.concat([out, other], ignore_index=True)


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


def predict_for_week(charts: pd.DataFrame, week: date, cfg: ModelConfig | None = None,
                     keep: dict[str, Any] | None = None) -> pd.DataFrame:
    """The prediction for chart week ``week`` from charts dated strictly before it.

    Features and training are recomputed from that truncated history, so nothing dated ``week`` or
    later can leak in; for a week inside the history this equals the backtest's rows for it.
    """
    cfg = cfg or ModelConfig()
    past = charts[charts["chart_date"] < week.isoformat()]
    if past.empty:
        raise BillboardModelError(f"no charts dated before {week.isoformat()}")
    last = date.fromisoformat(str(past["chart_date"].max()))
    if (week - last).days > 14:
        raise BillboardModelError(
            f"the latest chart before {week.isoformat()} is {last.isoformat()}: more than two weeks stale; import newer charts")
    rows, weeks = contender_frame(past, top_n=cfg.top_n)
    target_idx = int(rows["target_idx"].max())
    return predict_week(rows, weeks, target_idx, week.isoformat(), cfg, keep)


def to_output(pred: pd.DataFrame) -> pd.DataFrame:
    """The CLI's CSV columns: ``chart_date,song,artist,p_number_one``."""
    return pred.loc[:, list(OUTPUT_COLUMNS)].copy()


def write_output(pred: pd.DataFrame, path: str) -> None:
    """Write predictions as CSV with probabilities to 12 decimals (stable text for equality checks)."""
    to_output(pred).to_csv(path, index=False, float_format="%.12f")


def config_dict(cfg: ModelConfig) -> dict[str, Any]:
    """JSON-able config (for model metadata)."""
    d = asdict(cfg)
    d["remainder_prior"] = list(cfg.remainder_prior)
    d["features"] = list(cfg.features)
    return d


def with_overrides(cfg: ModelConfig, **kw: Any) -> ModelConfig:
    """A copy of ``cfg`` with non-None keyword overrides."""
    return replace(cfg, **{k: v for k, v in kw.items() if v is not None})
