"""Iowa Environmental Mesonet ASOS 1-minute / 5-minute temperatures (keyless).

Endpoint ``/cgi-bin/request/asos1min.py`` (IEM's documented service, NCEI 1-minute ASOS data with
about a day of delay): parameters ``station`` (3-letter id, e.g. MDW), ``vars=tmpf``, ``sts``/``ets``
(UTC ISO times), ``sample`` (1min|5min), ``tz=UTC``, ``what=download``. The answer is CSV with the
header ``station,station_name,valid(UTC),tmpf`` and ``M`` for missing values.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd

IEM_BASE = "https://mesonet.agron.iastate.edu"
SAMPLES = {"1min": "iem_1min", "5min": "iem_5min"}


class IemError(ValueError):
    """An IEM answer that is not the documented CSV."""


def iem_station_id(icao: str) -> str:
    """IEM's ASOS id: the ICAO without the leading K for the contiguous US (KMDW -> MDW)."""
    icao = icao.strip().upper()
    return icao[1:] if len(icao) == 4 and icao.startswith("K") else icao


def parse_asos1min_csv(text: str, *, icao: str, sample: str = "1min", source: str = "IEM") -> pd.DataFrame:
    """Rows ``ts (UTC), temp_f, source, station`` from an asos1min.py CSV; ``M`` values dropped."""
    if sample not in SAMPLES:
        raise IemError(f"sample must be one of {sorted(SAMPLES)}")
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        df = pd.DataFrame()
    if df.empty:
        return pd.DataFrame({"ts": pd.Series([], dtype="datetime64[us, UTC]"), "temp_f": [], "source": [],
                             "station": []})
    valid_col = next((c for c in df.columns if c.startswith("valid")), None)
    if valid_col is None or "tmpf" not in df.columns:
        raise IemError(f"{source}: expected columns station,station_name,valid(UTC),tmpf; got {list(df.columns)}")
    if valid_col != "valid(UTC)":
        raise IemError(f"{source}: times must be UTC (column {valid_col!r}); request tz=UTC")
    df = df[df["tmpf"].str.strip() != "M"]
    ts = pd.to_datetime(df[valid_col], format="%Y-%m-%d %H:%M", errors="coerce", utc=True)
    if ts.isna().any():
        i = int(ts.isna().to_numpy().argmax())
        row = int(df.index[i]) + 1  # data rows from 1, counted before the "M" rows were dropped
        raise IemError(f"{source}: row {row} field {valid_col}: {df[valid_col].iloc[i]!r} is not 'YYYY-MM-DD HH:MM'")
    return pd.DataFrame({"ts": ts.to_numpy(), "temp_f": df["tmpf"].to_numpy(), "source": SAMPLES[sample],
                         "station": icao.upper()}).reset_index(drop=True)


def fetch_asos_minutes(icao: str, start: datetime, end: datetime, *, sample: str = "1min", session: Any = None,
                       base_url: str = IEM_BASE) -> pd.DataFrame:
    """Download [start, end) UTC of one station's minute temperatures (see module doc)."""
    import requests

    http = session or requests
    params = {"station": iem_station_id(icao), "vars": "tmpf", "sample": sample, "tz": "UTC", "what": "download",
              "sts": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ"),
              "ets": end.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")}
    r = http.get(f"{base_url}/cgi-bin/request/asos1min.py", params=params, timeout=60)
    r.raise_for_status()
    return parse_asos1min_csv(r.text, icao=icao, sample=sample, source=r.url)


def gap_report(obs: pd.DataFrame, expected_minutes: int) -> pd.DataFrame:
    """Per station and climate day: rows, the largest gap (minutes) and the share of missing slots."""
    out = []
    for (station, day), g in obs.groupby(["station", "climate_date"]):
        ts = pd.to_datetime(g["ts"], utc=True).sort_values()
        gaps = ts.diff().dt.total_seconds().div(60).fillna(0)
        slots = 24 * 60 // expected_minutes
        out.append({"station": station, "climate_date": day, "rows": len(g), "max_gap_min": float(gaps.max()),
                    "missing_share": max(0.0, 1 - g["ts"].nunique() / slots)})
    return pd.DataFrame(out)


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
