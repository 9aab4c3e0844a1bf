"""Walk-forward retraining: choose hyperparameters on 42-day-train / 7-day-test folds, save to models/btc.

For each candidate :class:`ModelParams` (Optuna TPE over kernel bandwidth, Student-t tail weight,
seasonal shrinkage and the EWMA half-life set), every fold runs the same honest evaluation as
``btc evaluate`` restricted to ``[train_start, test_end)`` with forecasts only in the test week,
and scores their log loss; the candidate with the best mean test log loss wins (the defaults are
always trial 0, so a tuned model is never worse than the defaults on the folds). With no complete
fold (less than train + test days of bars) the defaults are kept and the metadata says so.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from kalshi_edge.families.btc.evaluate import evaluate
from kalshi_edge.families.btc.model import NS_PER_DAY, BarArrays, ModelParams, ModelState, _prepare, fit_state
from kalshi_edge.modeling.walkforward import walk_forward_windows

HALF_LIFE_SETS: dict[str, tuple[float, ...]] = {
    "short": (0.5, 2.0, 12.0, 72.0),
    "long": (1.0, 4.0, 24.0, 168.0),
    "three": (1.0, 6.0, 48.0),
}


def score_params(bars: pd.DataFrame, params: ModelParams, folds: list, *, horizon_minutes: int, strike_step: float,
                 n_strikes: int) -> dict:
    """Mean test log loss / Brier / ECE of ``params`` over walk-forward ``folds`` (and the baseline's)."""
    rows_m, rows_b = [], []
    for w in folds:
        sl = bars[(bars["ts"] >= pd.Timestamp(w.train_start)) & (bars["ts"] < pd.Timestamp(w.test_end))]
        res = evaluate(sl.reset_index(drop=True), horizon_minutes=horizon_minutes, strike_step=strike_step,
                       n_strikes=n_strikes, start=w.test_start, params=params)
        rows_m.append(res.model)
        rows_b.append(res.baseline)
    agg = {k: float(np.mean([r[k] for r in rows_m])) for k in ("brier", "log_loss", "ece")}
    agg.update({f"baseline_{k}": float(np.mean([r[k] for r in rows_b])) for k in ("brier", "log_loss", "ece")})
    agg["n"] = int(sum(r["n"] for r in rows_m))
    return agg


def train(
    bars: pd.DataFrame,
    as_of: datetime,
    models_dir: Path,
    *,
    train_days: int = 42,
    test_days: int = 7,
    n_trials: int = 12,
    horizon_minutes: int = 60,
    strike_step: float = 250.0,
    n_strikes: int = 13,
    seed: int = 0,
) -> dict:
    """Tune on walk-forward folds of the bars before ``as_of``, fit the final state, save JSON.

    Writes the artifact ``btc/latest`` through the one artifact store (``models_dir/btc/latest.json``
    plus its metadata and an immutable versioned copy). Returns a summary (XCom-sized): chosen
    params, fold scores, path and version. Deterministic for a given seed.
    """
    ts = pd.Timestamp(as_of).tz_convert("UTC")
    hist = bars[bars["ts"] < ts].reset_index(drop=True)
    if len(hist) < 100:
        raise ValueError(f"not enough bars before {ts.isoformat()} to train ({len(hist)})")
    start = hist["ts"].iloc[0].ceil("D").to_pydatetime()
    folds = walk_forward_windows(start, ts.to_pydatetime(), train_days, test_days, test_days)
    base = ModelParams(train_days=train_days)
    kw = dict(horizon_minutes=horizon_minutes, strike_step=strike_step, n_strikes=n_strikes)
    best, best_scores, trials = base, None, []
    if folds:
        import optuna

        optuna.logging.set_verbosity(logging.WARNING)

        def params_of(trial: optuna.Trial) -> ModelParams:
            return replace(
                base,
                kernel_bw=trial.suggest_float("kernel_bw", 0.1, 0.5),
                t_mix=trial.suggest_float("t_mix", 0.0, 0.1),
                seasonal_shrink=trial.suggest_float("seasonal_shrink", 0.5, 8.0, log=True),
                half_lives_hours=HALF_LIFE_SETS[trial.suggest_categorical("half_lives", list(HALF_LIFE_SETS))],
            )

        def objective(trial: optuna.Trial) -> float:
            sc = score_params(hist, params_of(trial), folds, **kw)
            trial.set_user_attr("scores", sc)
            return sc["log_loss"]

        study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
        study.enqueue_trial({"kernel_bw": base.kernel_bw, "t_mix": base.t_mix, "seasonal_shrink": base.seasonal_shrink,
                             "half_lives": "short"})
        study.optimize(objective, n_trials=n_trials)
        best = params_of(study.best_trial)
        best_scores = study.best_trial.user_attrs["scores"]
        trials = [{"params": t.params, "log_loss": t.value} for t in study.trials]
    arr = BarArrays.from_frame(hist)
    lo = int(ts.value) - best.train_days * NS_PER_DAY
    state = fit_state(_prepare(arr), None, None, lo, int(ts.value), horizon_minutes * 60 * 10**9, best)
    meta = {
        "as_of": ts.isoformat(),
        "bars_from": hist["ts"].iloc[0].isoformat(),
        "bars_to": hist["ts"].iloc[-1].isoformat(),
        "folds": [{"train_start": str(w.train_start), "test_start": str(w.test_start), "test_end": str(w.test_end)}
                  for w in folds],
        "fold_scores": best_scores,
        "trials": trials,
        "note": "" if folds else f"no complete {train_days}+{test_days}-day fold before as_of: defaults kept",
        "horizon_minutes": horizon_minutes,
    }
    path, version = save_artifact(Path(models_dir), state, best, meta)
    return {"path": str(path), "version": version, "folds": len(folds), "scores": best_scores, "note": meta["note"],
            "params": {"kernel_bw": best.kernel_bw, "t_mix": best.t_mix, "seasonal_shrink": best.seasonal_shrink,
                       "half_lives_hours": list(best.half_lives_hours)}}


#: The artifact the BTC strategy reads (families/README.md).
ARTIFACT_NAME = "latest"


def save_artifact(models_dir: Path, state: ModelState, params: ModelParams, meta: dict) -> tuple[Path, str]:
    """Store params + fitted state + metadata as the ``btc/latest`` artifact (atomic, versioned).
    Returns the current payload path and the version.

    The payload is the same document :func:`kalshi_edge.families.btc.model.load_model` reads.
    """
    from dataclasses import asdict

    from kalshi_edge.modeling.artifacts import ArtifactMeta, ArtifactStore

    scores = meta.get("fold_scores") or {}
    score = {k: scores[k] for k in ("brier", "log_loss", "ece", "n") if k in scores}
    baseline = {k.removeprefix("baseline_"): v for k, v in scores.items() if k.startswith("baseline_")}
    if "n" in scores:
        baseline["n"] = scores["n"]
    doc = {"params": asdict(params), "state": state.to_json(), "meta": meta}
    store = ArtifactStore(models_dir)
    stored = store.save(ArtifactMeta(
        family="btc", name=ARTIFACT_NAME, as_of=meta["as_of"], training_window=(meta["bars_from"], meta["bars_to"]),
        score=score, baseline=baseline, params=doc["params"],
        extra={"horizon_minutes": meta.get("horizon_minutes"), "folds": len(meta.get("folds", [])),
               "note": meta.get("note", "")},
    ), json.loads(json.dumps(doc, sort_keys=True, default=str)))
    return store.path("btc", ARTIFACT_NAME), stored.version
