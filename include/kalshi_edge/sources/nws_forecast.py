"""Live NWS forecasts of the daily high from api.weather.gov (keyless; a User-Agent is required).

Two calls per station: ``GET /points/{lat},{lon}`` names the forecast office grid and the URLs of
``forecast`` (12-hour periods) and ``forecastGridData`` (the raw grid). From them:

* ``nws_point``: each **daytime** period's ``temperature`` (°F; converted when ``temperatureUnit``
  is C), target day = the local date of the period's ``startTime``; issued at the forecast's
  ``updateTime`` (else ``generatedAt``); ``detail`` = ``detailedForecast``.
* ``nws_grid``: gridpoint ``maxTemperature`` values (``uom`` ``wmoUnit:degC`` → °F, rounded to 0.1),
  target day = local date of the start of each ``validTime`` interval (``2025-07-29T11:00:00+00:00/PT13H``);
  issued at the grid's ``updateTime``.
* ``nws_grid_hourly``: the highest hourly gridpoint ``temperature`` over each whole climate day
  (local standard midnight to midnight), which also covers highs set just after midnight.

Rows come out in the documented forecast layout
(:data:`~kalshi_edge.families.weather.forecasts.FORECAST_COLUMNS`). A payload missing what a row
needs raises :class:`NwsPayloadError` (the whole fetch fails: a half-read forecast is not stored).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

NWS_BASE = "https://api.weather.gov"
USER_AGENT = "kalshi-edge (forecast ingest; https://github.com/kalshi-edge)"

#: Station → (lat, lon) for the points call: the ASOS site the CLI report describes.
STATION_POINTS: dict[str, tuple[float, float]] = {
    "KNYC": (40.7789, -73.9692),  # Central Park (NWS station KNYC metadata)
}


class NwsPayloadError(ValueError):
    """An api.weather.gov response without a field the forecast rows need."""


def _props(payload: Any, what: str) -> dict:
    props = payload.get("properties") if isinstance(payload, dict) else None
    if not isinstance(props, dict):
        raise NwsPayloadError(f"{what}: no 'properties' object")
    return props


def point_urls(points_payload: dict) -> dict[str, str]:
    """``forecast`` and ``forecastGridData`` URLs and the ``timeZone`` of a /points response."""
    p = _props(points_payload, "points")
    out = {}
    for k in ("forecast", "forecastGridData", "timeZone"):
        v = p.get(k)
        if not isinstance(v, str) or not v:
            raise NwsPayloadError(f"points: field {k!r} missing")
        out[k] = v
    return out


def _f(value: float, unit: str) -> float:
    if unit.upper() in ("C", "WMOUNIT:DEGC"):
        return round(value * 9.0 / 5.0 + 32.0, 1)
    if unit.upper() in ("F", "WMOUNIT:DEGF"):
        return float(value)
    raise NwsPayloadError(f"unknown temperature unit {unit!r}")


def _issued(p: dict, what: str) -> pd.Timestamp:
    for k in ("updateTime", "updated", "generatedAt"):
        if p.get(k):
            return pd.Timestamp(p[k]).tz_convert("UTC")
    raise NwsPayloadError(f"{what}: no updateTime/generatedAt")


def parse_forecast_periods(forecast_payload: dict, *, station: str, tz: str) -> pd.DataFrame:
    """``nws_point`` rows (one per daytime period) from a /gridpoints/.../forecast response."""
    p = _props(forecast_payload, "forecast")
    issued = _issued(p, "forecast")
    periods = p.get("periods")
    if not isinstance(periods, list):
        raise NwsPayloadError("forecast: field 'periods' missing")
    zone = ZoneInfo(tz)
    rows = []
    for i, per in enumerate(periods):
        if not per.get("isDaytime"):
            continue
        try:
            start = pd.Timestamp(per["startTime"]).tz_convert(zone)
            temp = _f(float(per["temperature"]), str(per.get("temperatureUnit", "F")))
        except (KeyError, TypeError, ValueError) as exc:
            raise NwsPayloadError(f"forecast: periods[{i}] lacks startTime/temperature ({exc})") from None
        rows.append({"issued_at": issued, "station": station, "target_date": start.strftime("%Y-%m-%d"),
                     "forecast_high_f": temp, "source": "nws_point", "detail": per.get("detailedForecast") or ""})
    return pd.DataFrame(rows, columns=["issued_at", "station", "target_date", "forecast_high_f", "source", "detail"])


def parse_grid_max_temperature(grid_payload: dict, *, station: str, tz: str) -> pd.DataFrame:
    """``nws_grid`` rows from the ``maxTemperature`` layer of a /gridpoints/{wfo}/{x},{y} response."""
    p = _props(grid_payload, "gridpoint")
    issued = _issued(p, "gridpoint")
    layer = p.get("maxTemperature")
    if not isinstance(layer, dict) or not isinstance(layer.get("values"), list):
        raise NwsPayloadError("gridpoint: field 'maxTemperature.values' missing")
    unit = str(layer.get("uom", "wmoUnit:degC"))
    zone = ZoneInfo(tz)
    rows = []
    for i, v in enumerate(layer["values"]):
        try:
            start = pd.Timestamp(str(v["validTime"]).split("/")[0]).tz_convert(zone)
            temp = _f(float(v["value"]), unit)
        except (KeyError, TypeError, ValueError) as exc:
            raise NwsPayloadError(f"gridpoint: maxTemperature.values[{i}] lacks validTime/value ({exc})") from None
        rows.append({"issued_at": issued, "station": station, "target_date": start.strftime("%Y-%m-%d"),
                     "forecast_high_f": temp, "source": "nws_grid", "detail": f"validTime {v['validTime']}"})
    return pd.DataFrame(rows, columns=["issued_at", "station", "target_date", "forecast_high_f", "source", "detail"])


def _interval(valid_time: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``2025-07-28T13:00:00+00:00/PT2H`` (or ``/P1DT3H``) → (start, end) in UTC."""
    start_s, _, dur = str(valid_time).partition("/")
    start = pd.Timestamp(start_s).tz_convert("UTC")
    return start, start + pd.Timedelta(dur or "PT1H")


def parse_grid_climate_day_max(grid_payload: dict, *, station: str, std_utc_offset_hours: int) -> pd.DataFrame:
    """``nws_grid_hourly`` rows: the highest hourly ``temperature`` of the gridpoint over each whole
    **climate day** (local standard midnight to midnight, the CLI's day), so a high set just after
    midnight (a warm night before a cold front) is covered, which the daytime ``maxTemperature``
    and the daytime forecast period miss. Days the grid does not cover entirely are left out."""
    p = _props(grid_payload, "gridpoint")
    issued = _issued(p, "gridpoint")
    layer = p.get("temperature")
    if not isinstance(layer, dict) or not isinstance(layer.get("values"), list):
        raise NwsPayloadError("gridpoint: field 'temperature.values' missing")
    unit = str(layer.get("uom", "wmoUnit:degC"))
    spans = []
    for i, v in enumerate(layer["values"]):
        try:
            a, b = _interval(v["validTime"])
            spans.append((a, b, _f(float(v["value"]), unit)))
        except (KeyError, TypeError, ValueError) as exc:
            raise NwsPayloadError(f"gridpoint: temperature.values[{i}] lacks validTime/value ({exc})") from None
    if not spans:
        return pd.DataFrame(columns=["issued_at", "station", "target_date", "forecast_high_f", "source", "detail"])
    lst = pd.Timedelta(hours=std_utc_offset_hours)
    first, last = min(a for a, _, _ in spans), max(b for _, b, _ in spans)
    day = (first + lst).normalize().tz_localize(None)
    rows = []
    while True:
        d0 = (day - lst).tz_localize("UTC")
        d1 = d0 + pd.Timedelta(days=1)
        if d1 > last:
            break
        if d0 >= first:
            temps = [t for a, b, t in spans if a < d1 and b > d0]
            rows.append({"issued_at": issued, "station": station, "target_date": day.strftime("%Y-%m-%d"),
                         "forecast_high_f": max(temps), "source": "nws_grid_hourly",
                         "detail": "max hourly temperature over the climate day (LST)"})
        day = day + pd.Timedelta(days=1)
    return pd.DataFrame(rows, columns=["issued_at", "station", "target_date", "forecast_high_f", "source", "detail"])


def fetch_forecast_rows(station: str, *, lat: float | None = None, lon: float | None = None,
                        session: Any = None, base_url: str = NWS_BASE, timeout: float = 30.0,
                        std_utc_offset_hours: int = -5) -> pd.DataFrame:
    """Points → forecast and gridpoint ``maxTemperature`` for ``station``: both sources' rows."""
    import requests

    if lat is None or lon is None:
        if station not in STATION_POINTS:
            raise KeyError(f"no NWS point for station {station!r}; known: {sorted(STATION_POINTS)}")
        lat, lon = STATION_POINTS[station]
    http = session or requests
    headers = {"User-Agent": USER_AGENT, "Accept": "application/geo+json"}

    def get(url: str) -> dict:
        resp = http.get(url, headers=headers, timeout=timeout)
        resp.raise_for_status()
        return resp.json()

    urls = point_urls(get(f"{base_url}/points/{lat:.4f},{lon:.4f}"))
    tz = urls["timeZone"]
    fc = parse_forecast_periods(get(urls["forecast"]), station=station, tz=tz)
    grid_payload = get(urls["forecastGridData"])
    grid = parse_grid_max_temperature(grid_payload, station=station, tz=tz)
    frames = [fc, grid]
    if isinstance(grid_payload.get("properties", {}).get("temperature"), dict):
        frames.append(parse_grid_climate_day_max(grid_payload, station=station,
                                                 std_utc_offset_hours=std_utc_offset_hours))
    return pd.concat([f for f in frames if len(f)], ignore_index=True)
