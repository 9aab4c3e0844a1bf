"""Optuna tuning of the day-ahead model on validation days strictly before a cutoff.

The objective is the walk-forward RPS ratio (model / climatology) over the ``val_days`` days just
before ``before``, issued exactly as :func:`~kalshi_edge.families.weather.evaluate.evaluate_station`
issues them: every trial sees only rows dated before each validation day, and nothing dated
``before`` or later is read at all, so a config tuned for a period starting at ``before`` cannot leak
into it. The defaults in :class:`~kalshi_edge.families.weather.model.ModelConfig` were chosen this
way on 2016-2021 for both stations and then checked on 2022-2024 only; a tuned config is kept only
when it beats the defaults on the same validation days.

Saved configs are JSON (``{"config": {...}, "tuning": {...}}``) and are read back by
``weather evaluate --params`` and by the day-ahead task (``models/weather/<station>_params.json``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from kalshi_edge.families.weather.model import ModelConfig

TUNABLE = ("analog_bandwidth", "change_bandwidth", "kernel_bandwidth", "residual_window_days",
           "lgb_weight", "volatility_days")


class WeatherParamsError(ValueError):
    """A params file that is missing, unreadable or not a weather model config."""


def _ratio(tmax: pd.DataFrame, station: str, start: date, end: date, cfg: ModelConfig) -> float:
    from kalshi_edge.families.weather.evaluate import evaluate_station

    return evaluate_station(tmax, station, start, end=end, config=cfg).rps_ratio


def tune(tmax: pd.DataFrame, station: str, before: date, *, trials: int = 20, val_days: int = 365,
         base: ModelConfig | None = None, seed: int = 7,
         progress: Any = None) -> tuple[ModelConfig, dict[str, Any]]:
    """Search ``TUNABLE`` with Optuna (TPE, fixed seed) on the ``val_days`` days before ``before``.

    ``tmax``: rows ``date, station, tmax_f``; rows dated ``before`` or later are dropped first.
    ``progress``: optional callable ``(trial_number, value, best)`` after each trial.
    Returns the best config (the base config unless a trial beat it) and a summary dict.
    """
    import optuna

    if trials < 1:
        raise ValueError("trials must be >= 1")
    if val_days < 7:
        raise ValueError("val_days must be >= 7")
    base = base or ModelConfig()
    past = tmax[pd.to_datetime(tmax["date"]) < pd.Timestamp(before)]
    end = before - timedelta(days=1)
    start = before - timedelta(days=val_days)
    default_score = _ratio(past, station, start, end, base)

    def objective(trial: optuna.Trial) -> float:
        cfg = replace(
            base,
            analog_bandwidth=trial.suggest_float("analog_bandwidth", 0.25, 1.5, log=True),
            change_bandwidth=trial.suggest_float("change_bandwidth", 0.25, 1.5, log=True),
            kernel_bandwidth=trial.suggest_float("kernel_bandwidth", 0.1, 0.6, log=True),
            residual_window_days=trial.suggest_int("residual_window_days", 20, 75, step=5),
            lgb_weight=trial.suggest_float("lgb_weight", 0.0, 1.0, step=0.1),
            volatility_days=trial.suggest_categorical("volatility_days", [0, 3, 7, 14]),
        )
        return _ratio(past, station, start, end, cfg)

    def callback(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if progress is not None:
            progress(trial.number + 1, trial.value, min(study.best_value, default_score))

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=trials, callbacks=[callback])
    tuned = study.best_value < default_score
    best = replace(base, **study.best_params) if tuned else base
    return best, {
        "station": station,
        "before": before.isoformat(),
        "validation": [start.isoformat(), end.isoformat()],
        "trials": trials,
        "seed": seed,
        "default_rps_ratio": round(default_score, 6),
        "best_rps_ratio": round(min(study.best_value, default_score), 6),
        "chosen": "tuned" if tuned else "default",
    }


def config_dict(cfg: ModelConfig) -> dict[str, Any]:
    """The config as plain JSON-able values."""
    d = asdict(cfg)
    d["rolling_days"] = list(cfg.rolling_days)
    return d


def save_config(cfg: ModelConfig, path: str | Path, info: dict[str, Any] | None = None) -> Path:
    """Write a config (and tuning info) as JSON; the file is replaced atomically."""
    return write_json(path, {"config": config_dict(cfg), "tuning": info or {}})


def write_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as indented JSON, replacing ``path`` atomically (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, default=str))
    tmp.replace(path)
    return path


def load_config(path: str | Path) -> ModelConfig:
    """Read a config written by :func:`save_config`; errors name the file and the bad key."""
    p = Path(path)
    if not p.exists():
        raise WeatherParamsError(f"params file not found: {p}")
    try:
        raw = json.loads(p.read_text())["config"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise WeatherParamsError(f"{p}: not a weather params file (expected {{\"config\": {{...}}}}; {exc})") from None
    known = {f.name for f in fields(ModelConfig)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise WeatherParamsError(f"{p}: unknown config key(s) {unknown}")
    if "rolling_days" in raw:
        raw["rolling_days"] = tuple(raw["rolling_days"])
    try:
        return ModelConfig(**raw)
    except (TypeError, ValueError) as exc:
        raise WeatherParamsError(f"{p}: {exc}") from None
