"""Visual Crossing Timeline API locked to the settlement station, with a forward-fill detector.

Request: ``/VisualCrossingWebServices/rest/services/timeline/stn:<ICAO>/<start>/<end>`` with
``unitGroup=us``, ``include=minutes,obs``, ``aggregateMinutes=5``, ``elements=datetimeEpoch,temp,source``
and ``key``. The answer nests ``days[].hours[].minutes[]``; each item carries ``datetimeEpoch`` (UTC
seconds) and ``temp`` (°F).

Why a detector: when the station's feed stalls, gaps come back filled with the last value, which
hides the true running high (the reason NYC was once excluded). :func:`forward_fill_share` measures
per station/day the share of 5-minute values that merely repeat the previous one inside a run of
at least ``min_run`` identical values; :func:`refuse_filled_days` drops days above ``threshold``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

VC_BASE = "https://weather.visualcrossing.com/VisualCrossingWebServices/rest/services/timeline"


class VisualCrossingError(ValueError):
    """A Visual Crossing answer without the documented nesting."""


def parse_timeline(payload: Mapping[str, Any], *, icao: str) -> pd.DataFrame:
    """Rows ``ts (UTC), temp_f, source='visual_crossing', station`` from a timeline payload."""
    if "days" not in payload:
        raise VisualCrossingError(f"stn:{icao}: payload has no 'days'")
    rows = []
    for d_i, day in enumerate(payload["days"]):
        for h_i, hour in enumerate(day.get("hours") or []):
            for m_i, item in enumerate(hour.get("minutes") or []):
                if item.get("temp") is None:
                    continue
                if "datetimeEpoch" not in item:
                    raise VisualCrossingError(f"stn:{icao}: days[{d_i}].hours[{h_i}].minutes[{m_i}] lacks datetimeEpoch")
                rows.append((datetime.fromtimestamp(int(item["datetimeEpoch"]), tz=UTC), float(item["temp"])))
    df = pd.DataFrame(rows, columns=["ts", "temp_f"])
    df["source"] = "visual_crossing"
    df["station"] = icao.upper()
    return df


def fetch_timeline(icao: str, start: date, end: date, *, api_key: str, session: Any = None,
                   base_url: str = VC_BASE) -> pd.DataFrame:
    """Download and parse one station's 5-minute series (needs the Visual Crossing key)."""
    import requests

    http = session or requests
    params = {"unitGroup": "us", "include": "minutes,obs", "aggregateMinutes": 5,
              "elements": "datetimeEpoch,temp,source", "key": api_key, "contentType": "json"}
    r = http.get(f"{base_url}/stn:{icao.upper()}/{start.isoformat()}/{end.isoformat()}", params=params, timeout=60)
    r.raise_for_status()
    return parse_timeline(r.json(), icao=icao)


def forward_fill_share(temps: np.ndarray, min_run: int = 4) -> float:
    """Share of values that repeat their predecessor inside a run of >= ``min_run`` equal values."""
    t = np.asarray(temps, dtype=float)
    if t.size == 0:
        return 1.0
    filled = 0
    run = 1
    for i in range(1, t.size + 1):
        if i < t.size and t[i] == t[i - 1]:
            run += 1
            continue
        if run >= min_run:
            filled += run - 1  # the first value of the run is a real reading
        run = 1
    return filled / t.size


def refuse_filled_days(obs: pd.DataFrame, threshold: float = 0.25, min_run: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``obs`` (with ``station, climate_date, ts, temp_f``) into kept rows and a per-day report.

    The report has ``station, climate_date, rows, filled_share, refused``; days with
    ``filled_share > threshold`` are refused (their rows are not kept).
    """
    report = []
    keep = pd.Series(True, index=obs.index)
    for (station, day), g in obs.sort_values("ts").groupby(["station", "climate_date"]):
        share = forward_fill_share(g["temp_f"].to_numpy(), min_run)
        refused = share > threshold
        report.append({"station": station, "climate_date": day, "rows": len(g), "filled_share": round(share, 4),
                       "refused": refused})
        if refused:
            keep[g.index] = False
    return obs[keep], pd.DataFrame(report)
