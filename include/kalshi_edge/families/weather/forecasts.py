"""Point forecasts of the daily high as a source: the documented CSV layout, the lake import, and
the one as-of rule every model uses.

Layout (the project's documented import format for day-ahead forecasts, as in
``forecasts_KNYC_*.csv``): ``issued_at`` (UTC ISO-8601, e.g. ``2025-07-03T22:44:36Z``),
``station`` (KNYC), ``target_date`` (the local climate day, YYYY-MM-DD), ``forecast_high_f``,
``source`` (``nws_point``, ``nws_grid``, ``accuweather``, ...), ``detail`` (free text, may be
empty). ``issued_at`` is when the forecast was known (for the logger's CSV: when it saw it; for
live NWS ingestion: the payload's ``updateTime``).

**As-of rule**: a forecast is usable at time ``t`` only when ``issued_at < t`` (strictly);
:func:`latest_before` is the one implementation of it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kalshi_edge.lake import SOURCE_ROW, Lake, WriteResult

FORECAST_COLUMNS = ("issued_at", "station", "target_date", "forecast_high_f", "source", "detail")
REQUIRED_COLUMNS = ("issued_at", "station", "target_date", "forecast_high_f", "source")


class ForecastFileError(ValueError):
    """A forecast CSV that does not follow the documented layout (names file, row and field)."""


def read_forecasts_raw(path: str | Path) -> pd.DataFrame:
    """The CSV as text plus ``SOURCE_ROW`` (1-based data row), for the lake import (which converts,
    validates and quarantines row by row). Raises :class:`ForecastFileError` on a bad header."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ForecastFileError(f"{path}: missing column(s) {missing}; expected {','.join(FORECAST_COLUMNS)}")
    if "detail" not in df.columns:
        df["detail"] = ""
    df = df[list(FORECAST_COLUMNS)].copy()
    for col in ("issued_at", "forecast_high_f", "target_date", "source", "station"):
        df[col] = df[col].str.strip().replace("", None)
    df[SOURCE_ROW] = range(1, len(df) + 1)
    return df


def import_forecasts(path: str | Path, lake: Lake) -> WriteResult:
    """Validate a forecast CSV and merge it into the ``forecasts`` dataset (bad rows quarantined
    with their reason and data row; a rerun of the same file changes nothing)."""
    from kalshi_edge.families.weather.datasets import FORECASTS

    return lake.write(FORECASTS, read_forecasts_raw(path), source=str(path), mode="merge")


def read_forecasts_csv(path: str | Path) -> pd.DataFrame:
    """Read a forecast CSV strictly (for evaluations): the first bad row raises
    :class:`ForecastFileError` naming the file, data row (1-based) and field.

    Returns ``issued_at`` (UTC Timestamp), ``station``, ``target_date`` (Timestamp, midnight),
    ``forecast_high_f`` (float), ``source``, ``detail``; sorted by ``issued_at`` (stable).
    """
    path = Path(path)
    df = read_forecasts_raw(path)
    issued = pd.to_datetime(df["issued_at"], utc=True, errors="coerce", format="ISO8601")
    target = pd.to_datetime(df["target_date"], format="%Y-%m-%d", errors="coerce")
    high = pd.to_numeric(df["forecast_high_f"], errors="coerce")
    for name, parsed, what in (("issued_at", issued, "an ISO-8601 time"), ("target_date", target, "YYYY-MM-DD"),
                               ("forecast_high_f", high, "a number")):
        bad = parsed.isna().to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            raise ForecastFileError(f"{path}: row {i + 1}: field {name!r} = {df[name].iloc[i]!r} is not {what}")
    bad = ((high < -80) | (high > 135)).to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise ForecastFileError(f"{path}: row {i + 1}: field 'forecast_high_f' = {df['forecast_high_f'].iloc[i]!r} "
                                "is outside -80..135 °F")
    for name in ("station", "source"):
        bad = df[name].isna().to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            raise ForecastFileError(f"{path}: row {i + 1}: field {name!r} is empty")
    out = pd.DataFrame({"issued_at": issued, "station": df["station"], "target_date": target,
                        "forecast_high_f": high.astype(float), "source": df["source"],
                        "detail": df["detail"].fillna("")})
    return out.sort_values("issued_at", kind="stable").reset_index(drop=True)


def latest_before(forecasts: pd.DataFrame, target_date: pd.Timestamp, t: pd.Timestamp,
                  sources: tuple[str, ...] | None = None) -> pd.Series | None:
    """The latest forecast for ``target_date`` issued strictly before ``t`` (None when there is none).

    ``sources``: allowed sources in order of preference; the first with a usable row wins.
    Ties on ``issued_at`` go to the row later in the file.
    """
    t = pd.Timestamp(t)
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    sel = forecasts[(forecasts["target_date"] == pd.Timestamp(target_date).normalize())
                    & (forecasts["issued_at"] < t)]
    if sel.empty:
        return None
    for src in sources or (None,):
        s = sel if src is None else sel[sel["source"] == src]
        if len(s):
            return s.iloc[-1]
    return None


ACTUALS_LAYOUTS = {"tmax": ("date", "tmax_f"), "cli": ("date", "cli_high_f")}


def read_actuals_csv(path: str | Path, station: str | None = None) -> pd.Series:
    """Observed daily highs from the TMAX import layout (``date,station,ghcn_id,tmax_f``) or the CLI
    layout (``date,station,cli_high_f,high_time_local``), as a float Series indexed by date.

    Raises :class:`ForecastFileError` naming file, data row and field on a bad value.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    layout = next((k for k, (d, v) in ACTUALS_LAYOUTS.items() if d in df.columns and v in df.columns), None)
    if layout is None:
        raise ForecastFileError(f"{path}: expected the TMAX layout (date,station,ghcn_id,tmax_f) or the CLI "
                                "layout (date,station,cli_high_f,high_time_local)")
    if station is not None and "station" in df.columns:
        df = df[df["station"].str.strip().str.upper() == station.upper()].reset_index(drop=True)
    dcol, vcol = ACTUALS_LAYOUTS[layout]
    dates = pd.to_datetime(df[dcol], format="%Y-%m-%d", errors="coerce")
    vals = pd.to_numeric(df[vcol].replace("", np.nan), errors="coerce")
    for name, parsed in ((dcol, dates), (vcol, vals)):
        bad = (parsed.isna() & (df[name] != "")).to_numpy() if name == vcol else parsed.isna().to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            raise ForecastFileError(f"{path}: row {i + 1}: field {name!r} = {df[name].iloc[i]!r} is not valid")
    s = pd.Series(vals.to_numpy(float), index=pd.DatetimeIndex(dates), name="high_f").dropna()
    return s[~s.index.duplicated(keep="last")].sort_index()


def with_actuals(history: pd.Series, *actuals: pd.Series) -> pd.Series:
    """Observed daily highs plus climate-report actuals (later series win on shared days), as a
    calendar-complete daily series (missing days NaN)."""
    hist = pd.concat([history, *actuals]) if actuals else history
    return hist[~hist.index.duplicated(keep="last")].sort_index().asfreq("D")
