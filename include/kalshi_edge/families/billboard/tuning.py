"""Optuna tuning of the LightGBM settings on validation weeks strictly before a cutoff.

Cheap by design: one fit per trial on the target weeks before the validation window, scored (log
loss over contenders + ``__OTHER__``) on the ``val_weeks`` charts just before ``before``. Nothing
dated ``before`` or later is read, so tuning for a backtest starting at ``before`` cannot leak.
The chosen config is saved as JSON and passed to ``backtest``/``predict`` with ``--params`` (both
then use the very same settings, keeping predict == backtest).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kalshi_edge.families.billboard.features import contender_frame
from kalshi_edge.families.billboard.model import BillboardModelError, ModelConfig, config_dict
from kalshi_edge.modeling.metrics import log_loss

TUNABLE = ("num_trees", "learning_rate", "num_leaves", "min_data_in_leaf", "lambda_l2", "half_life_weeks")


def _score(rows: pd.DataFrame, weeks: pd.DataFrame, val_idx: np.ndarray, cfg: ModelConfig) -> float:
    """Log loss on the validation weeks of one model fit on the weeks before them."""
    import lightgbm as lgb

    first = int(val_idx.min())
    train = rows[(rows["target_idx"] < first) & rows["label"].notna()]
    x = train[list(cfg.features)].to_numpy(dtype=np.float64)
    age = (first - train["target_idx"].to_numpy()).astype(float)
    w = np.power(0.5, age / cfg.half_life_weeks) if cfg.half_life_weeks > 0 else None
    booster = lgb.train(cfg.lgb_params(len(train)), lgb.Dataset(x, train["label"].to_numpy(dtype=float), weight=w),
                        num_boost_round=cfg.num_trees)
    val = rows[rows["target_idx"].isin(val_idx)].copy()
    val["raw"] = np.clip(booster.predict(val[list(cfg.features)].to_numpy(dtype=np.float64)), 1e-6, None)
    # same remainder rule as the model: Beta-smoothed recent miss rate before the validation window
    hist = weeks[weeks["target_idx"] < first].tail(cfg.remainder_weeks)
    a, b = cfg.remainder_prior
    r = (float((hist["winner_in_contenders"] == 0).sum()) + a) / (len(hist) + a + b)
    val["p"] = (1 - r) * val["raw"] / val.groupby("target_idx")["raw"].transform("sum")
    other_y = 1.0 - val.groupby("target_idx")["label"].sum().to_numpy()
    y = np.concatenate([val["label"].to_numpy(dtype=float), other_y])
    p = np.concatenate([val["p"].to_numpy(), np.full(len(other_y), r)])
    return log_loss(np.clip(np.asarray(p, dtype=float), 0.0, 1.0), y, eps=1e-12)


def tune(charts: pd.DataFrame, before: date, *, trials: int = 20, val_weeks: int = 52,
         base: ModelConfig | None = None, seed: int = 7) -> tuple[ModelConfig, dict[str, Any]]:
    """Search ``TUNABLE`` with Optuna (TPE, fixed seed); returns the best config and a summary."""
    import optuna

    base = base or ModelConfig()
    past = charts[charts["chart_date"] < before.isoformat()]
    rows, weeks = contender_frame(past, top_n=base.top_n)
    known = weeks[weeks["winner_in_contenders"].notna()]
    if len(known) < val_weeks + 52:
        raise BillboardModelError(f"tune: {len(known)} weeks before {before}; need {val_weeks + 52}")
    val_idx = known["target_idx"].to_numpy()[-val_weeks:]
    default_score = _score(rows, weeks, val_idx, base)

    def objective(trial: optuna.Trial) -> float:
        cfg = replace(
            base,
            num_trees=trial.suggest_int("num_trees", 40, 300, step=20),
            learning_rate=trial.suggest_float("learning_rate", 0.02, 0.15, log=True),
            num_leaves=trial.suggest_int("num_leaves", 4, 31),
            min_data_in_leaf=trial.suggest_int("min_data_in_leaf", 10, 200, log=True),
            lambda_l2=trial.suggest_float("lambda_l2", 0.0, 10.0),
            half_life_weeks=trial.suggest_categorical("half_life_weeks", [0.0, 156.0, 260.0, 520.0, 1040.0]),
        )
        return _score(rows, weeks, val_idx, cfg)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=trials)
    best = replace(base, **study.best_params) if study.best_value < default_score else base
    return best, {"before": before.isoformat(), "val_weeks": int(len(val_idx)), "trials": trials,
                  "default_log_loss": default_score, "best_log_loss": min(study.best_value, default_score),
                  "chosen": "tuned" if best is not base else "default"}


def save_config(cfg: ModelConfig, path: str | Path, info: dict[str, Any] | None = None) -> None:
    """Write a config (and tuning info) as JSON."""
    Path(path).write_text(json.dumps({"config": config_dict(cfg), "tuning": info or {}}, indent=2))


def load_config(path: str | Path) -> ModelConfig:
    """Read a config written by :func:`save_config` (unknown keys are an error, naming the file)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"params file not found: {p}")
    try:
        raw = json.loads(p.read_text())["config"]
        raw["remainder_prior"] = tuple(raw["remainder_prior"])
        raw["features"] = tuple(raw["features"])
        return ModelConfig(**raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise BillboardModelError(f"{p}: not a billboard params file ({exc})") from None
