"""What the BTC DAG tasks call: one function per task, keyed on the logical date, no Airflow imports.

``offline`` (param; default: ``settings.kalshi_env == local``) selects the shipped sample bars and
the sample ladders instead of Coinbase and Kalshi.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

#: The family's date convention (families/README.md): the day of a logical date is its UTC calendar
#: day (bars are stored in UTC day partitions; hourly tasks use the logical time itself).
DAY_TZ = "UTC"


def day_of(logical_date: datetime) -> Any:
    """The day of ``logical_date`` for this family: its UTC calendar day (a naive time is UTC)."""
    ts = pd.Timestamp(logical_date)
    return (ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")).date()


def _offline(params: dict | None, settings: Any) -> bool:
    v = (params or {}).get("offline")
    return (str(settings.kalshi_env) == "local") if v is None else bool(v)


def bars_backfill(logical_date: datetime, params: dict | None = None, settings: Any = None) -> dict:
    """Import the UTC day of ``logical_date`` into ``btc_bars`` (sample CSV offline, else Coinbase)."""
    from kalshi_edge.config import get_settings
    from kalshi_edge.families.btc.ingest import backfill_coinbase, import_bars_csv
    from kalshi_edge.families.btc.pipeline import default_sample_csv
    from kalshi_edge.lake import Lake

    s = settings or get_settings()
    day = day_of(logical_date)
    lake = Lake.from_settings(s)
    p = params or {}
    if p.get("bars_csv"):
        res = import_bars_csv(lake, p["bars_csv"], day=day)
    elif _offline(p, s):
        res = import_bars_csv(lake, default_sample_csv(s), day=day)
    else:
        res = backfill_coinbase(lake, day, day, base_url=p.get("coinbase_url"))[0]
    return {"day": day.isoformat(), **res.as_dict()}


def hourly_edge(logical_date: datetime, params: dict | None = None, settings: Any = None) -> dict:
    """Edge snapshots for ``logical_date`` (the task's as-of time)."""
    from kalshi_edge.config import get_settings
    from kalshi_edge.families.btc.pipeline import default_sample_csv, load_bars_for, run_hourly_edge

    s = settings or get_settings()
    off = _offline(params, s)
    as_of = pd.Timestamp(logical_date).tz_convert("UTC").to_pydatetime()
    bars = load_bars_for(s, as_of, offline_csv=default_sample_csv(s) if off else None)
    if len(bars) < 100:
        return {"as_of": as_of.isoformat(), "markets": 0, "skipped": "fewer than 100 bars before as_of"}
    return run_hourly_edge(as_of, settings=s, bars=bars, offline=off)


def settlement_scoring(logical_date: datetime, params: dict | None = None, settings: Any = None) -> dict:
    """Score the snapshots of markets that closed on the UTC day of ``logical_date``."""
    from kalshi_edge.config import get_settings
    from kalshi_edge.families.btc.scoring import run_settlement_scoring

    s = settings or get_settings()
    day = day_of(logical_date).isoformat()
    return run_settlement_scoring(day, settings=s, offline=_offline(params, s))


def retrain(logical_date: datetime, params: dict | None = None, settings: Any = None) -> dict:
    """Walk-forward tuning + fit on the bars before ``logical_date``; writes models/btc/*.json."""
    from pathlib import Path

    from kalshi_edge.config import get_settings
    from kalshi_edge.families.btc.pipeline import default_sample_csv, load_bars_for
    from kalshi_edge.families.btc.train import train

    s = settings or get_settings()
    p = params or {}
    as_of = pd.Timestamp(logical_date).tz_convert("UTC").to_pydatetime()
    bars = load_bars_for(s, as_of, days=int(p.get("history_days", 120)),
                         offline_csv=default_sample_csv(s) if _offline(p, s) else None)
    bars = bars[bars["ts"] < pd.Timestamp(as_of)]
    return train(bars, as_of, Path(s.models_dir), n_trials=int(p.get("n_trials", 12)),
                 train_days=int(p.get("train_days", 42)), test_days=int(p.get("test_days", 7)))


__all__ = ["DAY_TZ", "bars_backfill", "day_of", "hourly_edge", "retrain", "settlement_scoring"]
