"""The momentum job the DAG runs (a plain function; no Airflow here).

:func:`retrain` refits the momentum models daily from the lake's recorded books — the
``kalshi_ws_journal`` dataset that the WebSocket journal ingest DAG lands (every raw frame with its
receive time, session and frame number) — replayed per session through the client's BookKeeper.
Only frames of the ``window_days`` days **before** the logical date's day (America/New_York, the
weather family's day) are read, so the artifact for day D never saw day D. ``params["books"]``
(top-of-book logs or journal files) replaces the lake as the source (offline runs, backfills from
recorded files). The artifact ``weather/momentum`` goes through the one artifact store
(:class:`~kalshi_edge.modeling.artifacts.ArtifactStore`), versioned and atomic; reruns of a
logical date on the same data write the same version.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from kalshi_edge.families.weather.momentum.strategy import ARTIFACT_FAMILY, ARTIFACT_NAME  # noqa: F401 (one name)
from kalshi_edge.families.weather.momentum.stream import BookEvent


class NotEnoughBooks(RuntimeError):
    """Fewer recorded ladders than a fit needs: the run could not do its work (red, not retried)."""


def _settings(settings: Any) -> Any:
    if settings is not None:
        return settings
    from kalshi_edge.config import get_settings

    return get_settings()


def lake_events(lake: Any, start: str, end: str) -> list[BookEvent]:
    """Book events replayed from ``kalshi_ws_journal`` rows with ``start <= date < end``."""
    import heapq

    from kalshi_edge.families.weather.momentum.stream import events_from_journal_entries
    from kalshi_edge.kalshi.datasets import KALSHI_WS_JOURNAL

    df = lake.read(KALSHI_WS_JOURNAL, where=f"date >= '{start}' AND date < '{end}' AND direction = 'in'",
                   columns=["session", "frame_no", "recv_ts", "frame"])
    if df.empty:
        return []
    df = df.sort_values(["session", "frame_no"], kind="stable")
    streams = []
    for sess, g in df.groupby("session", sort=True):
        ms = (g["recv_ts"].astype("datetime64[ns, UTC]").astype("int64") // 1_000_000).tolist()
        streams.append(list(events_from_journal_entries(zip(ms, g["frame"].tolist(), strict=True), f"lake session {sess}")))
    return list(heapq.merge(*streams, key=lambda e: e.ts_ns))


def retrain(logical_date: Any, params: dict | None = None, settings: Any = None) -> dict[str, Any]:
    """Refit and store ``weather/momentum`` for the day of ``logical_date`` (see the module docstring)."""
    from kalshi_edge.families.weather.momentum.evaluate import build_day_frames
    from kalshi_edge.families.weather.momentum.fills import MakerFillModel
    from kalshi_edge.families.weather.momentum.hawkes import fit_hawkes
    from kalshi_edge.families.weather.momentum.models import (
        DEFAULT_HORIZONS,
        fit_logit_payload,
        hawkes_sequences,
    )
    from kalshi_edge.families.weather.momentum.stream import events_from_books
    from kalshi_edge.families.weather.tasks import day_of
    from kalshi_edge.modeling.artifacts import ArtifactMeta, ArtifactStore

    p = dict(params or {})
    s = _settings(settings)
    day = day_of(logical_date)
    window = int(p.get("window_days", 14))
    horizons = tuple(int(h) for h in p.get("horizons", DEFAULT_HORIZONS))
    step = float(p.get("step_s", 30.0))
    start = day - timedelta(days=window)
    if p.get("books"):
        events = list(events_from_books([Path(b) for b in p["books"]]))
        source = f"{len(p['books'])} book file(s)"
    else:
        from kalshi_edge.lake import Lake

        events = lake_events(Lake.from_settings(s), start.isoformat(), day.isoformat())
        source = f"lake kalshi_ws_journal {start}..{day - timedelta(days=1)}"
    # one ladder (event) = one "day"; only KXHIGH ladders, and only events dated before the day
    by_event: dict[str, list[BookEvent]] = {}
    for e in events:
        if e.ticker.upper().startswith("KXHIGH"):
            by_event.setdefault(e.ticker.rsplit("-", 1)[0], []).append(e)
    cutoff_ns = int(__import__("pandas").Timestamp(day, tz="America/New_York").value)
    days = sorted(((k, [e for e in v if e.ts_ns < cutoff_ns]) for k, v in by_event.items()),
                  key=lambda kv: kv[1][0].ts_ns if kv[1] else 0)
    days = [(k, v) for k, v in days if v]
    if len(days) < 2:
        raise NotEnoughBooks(f"weather momentum retrain for {day}: {len(days)} recorded KXHIGH ladder(s) in "
                             f"{source}; need at least 2 (fit + calibration). Record books with the WebSocket "
                             "client (journals under data/journals/) and run kalshi_ws_journal_ingest first.")
    frames, _fits = build_day_frames(days, step_s=step, horizons=horizons)
    payload = fit_logit_payload(frames, horizons)
    hk = fit_hawkes([q for _, ev in days[-3:] for q in hawkes_sequences(ev, max_events=15000)])
    fills = MakerFillModel.fit(e for _, ev in days for e in ev)
    payload["hawkes"] = {"mu": hk.mu, "alpha": hk.alpha, "beta": hk.beta} if hk else None
    payload["fill_model"] = fills.to_json()
    prim = payload["horizons"].get(str(max(horizons)), {})
    first_day = days[0][1][0].ts_ns
    last_day = days[-1][1][-1].ts_ns
    import pandas as pd

    meta = ArtifactMeta(
        family=ARTIFACT_FAMILY, name=ARTIFACT_NAME, as_of=day.isoformat(),
        training_window=(pd.Timestamp(first_day, tz="UTC").isoformat(), pd.Timestamp(last_day, tz="UTC").isoformat()),
        score={"log_loss": prim.get("cal_log_loss"), "n": prim.get("cal_rows"), "horizon_s": max(horizons),
               "rows": "the last training day (Platt is fitted on these rows: optimistic)"},
        baseline={"log_loss": prim.get("cal_baseline_log_loss"), "n": prim.get("cal_rows")},
        params={"horizons": list(horizons), "step_s": step, "window_days": window, "model": "logit_platt"},
        extra={"ladders": [k for k, _ in days], "source": source},
    )
    stored = ArtifactStore.from_settings(s).save(meta, payload)
    return {"day": day.isoformat(), "version": stored.version, "ladders": len(days), "source": source,
            "score": meta.score, "baseline": meta.baseline}
