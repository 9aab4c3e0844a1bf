"""Lake datasets of the weather family (the DuckDB catalog imports this module to create views).

* ``weather_tmax``: daily maximum (°F) per station from GHCN-Daily (documented layout
  ``date,station,ghcn_id,tmax_f``); partitioned by station; key (station, date).
* ``weather_obs``: intraday temperatures (°F) from IEM ASOS 1-/5-minute or Visual Crossing, keyed on
  (station, ts, source), partitioned by station and climate day (local standard time).
* ``weather_cli``: parsed NWS daily climate reports (final and intermediate).
* ``weather_forecasts``: issued day-ahead distributions ``station, date, temp_f, p``.
* ``forecasts``: point forecasts of the high (``issued_at, station, target_date, forecast_high_f,
  source, detail``; the documented forecast CSV layout), keyed on (station, target_date, issued_at,
  source), partitioned by station. A forecast is usable at time t only when ``issued_at < t``.
Validation: impossible temperatures (outside -80..135 °F) and duplicate keys are quarantined.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from kalshi_edge.lake import Check, Dataset

TS = pa.timestamp("us", tz="UTC")
MIN_F, MAX_F = -80.0, 135.0  # beyond every US record (-80 °F Alaska, 134 °F Death Valley)

WEATHER_TMAX = Dataset(
    name="weather_tmax",
    schema=pa.schema([("date", pa.string()), ("station", pa.string()), ("ghcn_id", pa.string()),
                      ("tmax_f", pa.float64())]),
    partition_by=("station",),
    key=("station", "date"),
    checks=(
        Check.matches("date", r"\d{4}-\d{2}-\d{2}"),
        Check.not_null("tmax_f"),
        Check.between("tmax_f", min_value=MIN_F, max_value=MAX_F),
    ),
    description="GHCN-Daily TMAX (°F) per station and date",
)

WEATHER_OBS = Dataset(
    name="weather_obs",
    schema=pa.schema([("ts", TS), ("temp_f", pa.float64()), ("source", pa.string()),
                      ("station", pa.string()), ("climate_date", pa.string())]),
    partition_by=("station", "climate_date"),
    key=("station", "ts", "source"),
    checks=(
        Check.not_null("temp_f"),
        Check.between("temp_f", min_value=MIN_F, max_value=MAX_F),
        Check.in_set("source", ["iem_1min", "iem_5min", "visual_crossing"]),
    ),
    description="Intraday station temperatures (°F), climate day = local standard time",
)

WEATHER_CLI = Dataset(
    name="weather_cli",
    schema=pa.schema([("cli_id", pa.string()), ("climate_date", pa.string()), ("kind", pa.string()),
                      ("issued_at", TS), ("max_f", pa.float64()), ("max_time_lst", pa.string()),
                      ("min_f", pa.float64()), ("source", pa.string())]),
    partition_by=("cli_id",),
    key=("cli_id", "climate_date", "kind", "issued_at"),
    checks=(Check.in_set("kind", ["final", "intermediate"]),
            Check.between("max_f", min_value=MIN_F, max_value=MAX_F)),
    description="Parsed NWS daily climate reports (settlement truth)",
)

WEATHER_FORECASTS = Dataset(
    name="weather_forecasts",
    schema=pa.schema([("date", pa.string()), ("station", pa.string()), ("temp_f", pa.int64()),
                      ("p", pa.float64()), ("kind", pa.string())]),
    partition_by=("station", "kind"),
    key=("station", "kind", "date", "temp_f"),
    checks=(Check.between("p", min_value=0, max_value=1, strict_min=True),
            Check.in_set("kind", ["day_ahead", "intraday"])),
    description="Issued distributions of the daily high (p per integer °F)",
)

FORECASTS = Dataset(
    name="forecasts",
    schema=pa.schema([("issued_at", TS), ("station", pa.string()), ("target_date", pa.string()),
                      ("forecast_high_f", pa.float64()), ("source", pa.string()), ("detail", pa.string())]),
    partition_by=("station",),
    key=("station", "target_date", "issued_at", "source"),
    checks=(
        Check.not_null("issued_at"),
        Check.not_null("station"),
        Check.matches("target_date", r"\d{4}-\d{2}-\d{2}"),
        Check.not_null("target_date"),
        Check.not_null("forecast_high_f"),
        Check.between("forecast_high_f", min_value=MIN_F, max_value=MAX_F),
        Check.matches("source", r"[a-z][a-z0-9_]*"),
        Check.not_null("source"),
        Check.custom(
            "target_date_is_a_day",
            lambda df: df["target_date"].isna()
            | pd.to_datetime(df["target_date"], format="%Y-%m-%d", errors="coerce").notna(),
            "target_date is not a calendar date",
        ),
        # a "forecast" issued two days after its target day began is a report, not a forecast
        Check.custom(
            "issued_before_target_end",
            lambda df: (pd.to_datetime(df["issued_at"], utc=True)
                        < pd.to_datetime(df["target_date"], format="%Y-%m-%d", errors="coerce").dt.tz_localize("UTC")
                        + pd.Timedelta(days=2))
            | df["issued_at"].isna()
            | pd.to_datetime(df["target_date"], format="%Y-%m-%d", errors="coerce").isna(),
            "issued_at more than a day after the target day",
        ),
    ),
    description="Point forecasts of the daily high (°F) per station, target day, issue time and source "
                "(NWS point forecast, NWS gridpoint maxTemperature, AccuWeather); usable at t only if issued_at < t",
)
