"""Weather training: the walk-forward tuned model config per station → the ``weather/<STATION>_params``
artifact in the one store (``models/weather/<STATION>_params.json``).

:func:`kalshi_edge.families.weather.tuning.tune` chooses the config on the validation window before
the logical date (RPS ratio vs climatology: below 1 beats the baseline); :func:`save_params` stores
it atomically and versioned with that window and score next to the baseline's (climatology = 1.0 on
the same days). The day-ahead task issues forecasts with it (:func:`~kalshi_edge.families.weather.tasks.model_config`)
and the ``weather_day_ahead`` strategy reports its version with every probability.
"""

from __future__ import annotations

from typing import Any

from kalshi_edge.modeling.artifacts import ArtifactMeta, ArtifactStore


def artifact_name(station: str) -> str:
    """The store name of a station's params (the file ``models/weather/<station>_params.json``)."""
    return f"{station}_params"


def save_params(settings: Any, station: str, cfg: Any, tuning: dict[str, Any] | None, *, as_of: str,
                training_window: tuple[str, str]) -> str:
    """Store a station's config and tuning summary; returns the artifact version."""
    from kalshi_edge.families.weather.tuning import config_dict

    info = tuning or {}
    score = {"rps_ratio_vs_climatology": info.get("best_rps_ratio")} if info else {}
    baseline = {"rps_ratio_vs_climatology": 1.0, "default_config_rps_ratio": info.get("default_rps_ratio")} \
        if info else {}
    stored = ArtifactStore.from_settings(settings).save(ArtifactMeta(
        family="weather", name=artifact_name(station), as_of=as_of, training_window=training_window,
        score=score, baseline=baseline, params=config_dict(cfg),
        extra={"validation": info.get("validation"), "chosen": info.get("chosen", "default")},
    ), {"config": config_dict(cfg), "tuning": info})
    return stored.version


def params_version(settings: Any, station: str) -> str:
    """The stored params version of ``station``, or ``"default-config"`` before any retrain."""
    store = ArtifactStore.from_settings(settings)
    if not store.exists("weather", artifact_name(station)):
        return "default-config"
    return store.meta("weather", artifact_name(station)).version
