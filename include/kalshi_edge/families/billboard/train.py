"""Billboard training: the weekly P(#1) fit → the ``billboard/weekly_prediction`` artifact.

The model refits inside every weekly prediction (an expanding window of chart weeks before the
target chart, :func:`~kalshi_edge.families.billboard.model.predict_for_week`); what the strategy
trades is that week's **prediction** and its **market match**, stored here atomically and
versioned (:mod:`kalshi_edge.modeling.artifacts`):

* ``chart_date`` — the chart the prediction is for (a market of another chart date is refused);
* ``contenders`` — ``song_id, song, artist, p_number_one, p_baseline`` (incl. the ``__OTHER__`` remainder);
* ``matches`` — per KXTOPSONG market seen at prediction time: the contender, ``match_score``,
  ``match_margin``, ``trusted`` (the confidence gate of :mod:`~kalshi_edge.families.billboard.edge`).

:func:`run_retrain` (walk-forward re-validation + metadata) stays in
:mod:`kalshi_edge.families.billboard.pipeline`; its scores go into the next artifact's metadata.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from kalshi_edge.modeling.artifacts import Artifact, ArtifactMeta, ArtifactStore

ARTIFACT_NAME = "weekly_prediction"


def _latest_retrain_scores(settings: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    import json
    from pathlib import Path

    p = Path(settings.models_dir) / "billboard" / "latest.json"
    if not p.exists():
        return {}, {}
    meta = json.loads(p.read_text())
    n = {"n_weeks": meta.get("eval_weeks")}
    return {**meta.get("model_metrics", {}), **n}, {**meta.get("baseline_metrics", {}), **n}


def save_weekly_prediction(settings: Any, *, week: date, as_of: date, pred: pd.DataFrame,
                           matched: pd.DataFrame | None, train_weeks: int | None, cfg: Any) -> str:
    """Store the week's prediction and market match; returns the artifact version."""
    from kalshi_edge.families.billboard.model import config_dict

    cols = ["song_id", "song", "artist", "p_number_one", "p_baseline"]
    contenders = pred[[c for c in cols if c in pred.columns]].to_dict("records")
    matches = []
    if matched is not None and len(matched):
        for r in matched.to_dict("records"):
            matches.append({"market_ticker": r["ticker"], "song_id": r.get("song_id"), "song": r.get("song"),
                            "match_score": float(r.get("match_score") or 0.0),
                            "match_margin": float(r.get("match_margin") or 0.0), "trusted": bool(r.get("trusted")),
                            "reason": r.get("reason") or ""})
    score, baseline = _latest_retrain_scores(settings)
    first = (week - pd.Timedelta(weeks=int(train_weeks or 0))).isoformat() if train_weeks else ""
    stored = ArtifactStore.from_settings(settings).save(ArtifactMeta(
        family="billboard", name=ARTIFACT_NAME, as_of=as_of.isoformat(),
        training_window=(str(first)[:10], (week - pd.Timedelta(days=7)).isoformat()[:10]),
        score=score, baseline=baseline, params=config_dict(cfg),
        extra={"chart_date": week.isoformat(), "train_weeks": train_weeks},
    ), {"chart_date": week.isoformat(), "contenders": contenders, "matches": matches})
    return stored.version


def load_weekly_prediction(settings: Any) -> Artifact:
    """The current ``billboard/weekly_prediction`` artifact (raises ``ArtifactMissing``)."""
    return ArtifactStore.from_settings(settings).load("billboard", ARTIFACT_NAME)
