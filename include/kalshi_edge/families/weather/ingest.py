"""Observation ingestion into the lake: IEM backfill per climate day, TMAX import, CLI reports."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from kalshi_edge.families.weather.datasets import WEATHER_CLI, WEATHER_OBS
from kalshi_edge.families.weather.stations import Station, load_registry
from kalshi_edge.lake import Lake
from kalshi_edge.sources import iem
from kalshi_edge.sources.nws_cli import CliReport


def import_tmax(path: Any, lake: Lake) -> Any:
    """Validate and write a GHCN TMAX CSV (rows from :func:`kalshi_edge.sources.ghcn.read_tmax_raw`)
    into ``weather_tmax``, merged on station/date; bad rows go to quarantine with their row."""
    from kalshi_edge.families.weather.datasets import WEATHER_TMAX
    from kalshi_edge.sources.ghcn import read_tmax_raw

    return lake.write(WEATHER_TMAX, read_tmax_raw(path), source=str(path), mode="merge")


def with_climate_date(obs: pd.DataFrame, station: Station) -> pd.DataFrame:
    """Add ``climate_date`` (YYYY-MM-DD, local standard time) to rows with a UTC ``ts``."""
    out = obs.copy()
    ts = pd.to_datetime(out["ts"], utc=True)
    local = ts + pd.Timedelta(hours=station.std_utc_offset_hours)
    out["climate_date"] = local.dt.strftime("%Y-%m-%d")
    return out


def backfill_iem(station_key: str, start: date, end: date, lake: Lake, *, sample: str = "1min",
                 base_url: str = iem.IEM_BASE, session: Any = None) -> dict[str, Any]:
    """Download IEM minute data for climate days ``start..end`` and write one partition per day.

    Idempotent: each (station, climate day) partition is replaced by a rerun. Returns rows written,
    quarantined and the per-day gap report (largest gap in minutes, share of missing slots).
    """
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    st = load_registry().get(station_key)
    t0, _ = st.climate_day_bounds(start)
    _, t1 = st.climate_day_bounds(end)
    raw = iem.fetch_asos_minutes(st.icao, t0, t1, sample=sample, base_url=base_url, session=session)
    obs = with_climate_date(raw, st)
    obs = obs[(obs["climate_date"] >= start.isoformat()) & (obs["climate_date"] <= end.isoformat())]
    written = quarantined = 0
    if len(obs):
        res = lake.write(WEATHER_OBS, obs, source=f"iem asos1min {st.icao} {start}..{end}")
        written, quarantined = res.rows_written, res.rows_quarantined
    gaps = iem.gap_report(obs, 1 if sample == "1min" else 5) if len(obs) else pd.DataFrame()
    return {"station": st.icao, "from": start.isoformat(), "to": end.isoformat(), "rows_written": written,
            "rows_quarantined": quarantined, "days": [] if gaps.empty else gaps.to_dict("records")}


def running_high(obs: pd.DataFrame, station: Station, day: date) -> float | None:
    """Highest temperature (°F) observed so far in climate day ``day`` (None without rows)."""
    start, end = station.climate_day_bounds(day)
    ts = pd.to_datetime(obs["ts"], utc=True)
    sel = obs[(ts >= start) & (ts < end)]
    return None if sel.empty else float(sel["temp_f"].max())


def write_cli_reports(reports: list[CliReport], lake: Lake) -> dict[str, Any]:
    """Store parsed CLI reports in ``weather_cli`` (merged on cli_id/date/kind/issued_at)."""
    frame = pd.DataFrame([{
        "cli_id": r.cli_id, "climate_date": r.climate_date.isoformat(), "kind": r.kind, "issued_at": r.issued_at,
        "max_f": r.max_f, "max_time_lst": r.max_time_lst, "min_f": r.min_f, "source": r.source or "",
    } for r in reports])
    res = lake.write(WEATHER_CLI, frame, source="nws cli", mode="merge")
    return {"rows_written": res.rows_written, "rows_quarantined": res.rows_quarantined}
