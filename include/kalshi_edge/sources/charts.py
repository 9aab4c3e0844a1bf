"""Billboard Hot 100 chart history: the documented CSV layout, the public JSON archive, billboard.py.

The documented import format (``data/README``) is one row per chart entry::

    chart_date,this_week,song,artist,last_week,peak_position,weeks_on_chart

``last_week`` is empty for a debut or re-entry. Three ways in, all producing that frame:

* :func:`read_charts_csv` — a file in that layout (``.csv`` or ``.csv.gz``);
* :func:`fetch_archive_week` / :func:`backfill_archive` — the public weekly JSON archive the CSV came
  from (``https://raw.githubusercontent.com/mhollingshead/billboard-hot-100/main/date/{date}.json``,
  configurable; shape ``{"date": ..., "data": [{"song", "artist", "this_week", "last_week",
  "peak_position", "weeks_on_chart"}, ...]}``);
* :func:`chart_from_billboard_py` — billboard.com through the ``billboard.py`` package (weekly update).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

CHART_COLUMNS = ("chart_date", "this_week", "song", "artist", "last_week", "peak_position", "weeks_on_chart")
DEFAULT_ARCHIVE_URL = "https://raw.githubusercontent.com/mhollingshead/billboard-hot-100/main/date/{date}.json"


class SignalUnavailable(RuntimeError):
    """A Billboard-family source cannot be used right now (no API key, unreachable, no data).

    Shared by the chart, Spotify, Google Trends, YouTube and Kalshi-price connectors: callers catch
    it, run without that signal and say so (``source`` names which one).
    """

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source


class ChartFormatError(ValueError):
    """A chart file or payload does not follow the documented layout (message names file/row/field)."""


def _check_int_column(df: pd.DataFrame, col: str, source: str, *, nullable: bool) -> pd.Series:
    raw = df[col]
    num = pd.to_numeric(raw, errors="coerce").astype("float64")
    bad = num.isna() & (raw.notna() if nullable else True)
    # inf and 1e300 are "integers" to round(); a chart field is a small positive whole number
    bad |= num.notna() & ((num != num.round()) | (num < 1) | ~(num.abs() < 2**31))
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        val = raw.iloc[i]
        raise ChartFormatError(f"{source}: row {i + 1} field {col}: {val if isinstance(val, str) else str(val)!r} "
                               "is not a positive integer")
    return num.astype("Int64")


def validate_chart_frame(df: pd.DataFrame, source: str = "<frame>") -> pd.DataFrame:
    """Type and check a frame in the documented layout; returns a clean copy sorted by date and rank.

    Raises :class:`ChartFormatError` naming the source, row and field of the first bad value.
    """
    missing = [c for c in CHART_COLUMNS if c not in df.columns]
    if missing:
        raise ChartFormatError(f"{source}: missing column(s) {missing}; expected {list(CHART_COLUMNS)}")
    out = pd.DataFrame(index=df.index)
    dates = pd.to_datetime(df["chart_date"], format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        i = int(dates.isna().to_numpy().nonzero()[0][0])
        raise ChartFormatError(f"{source}: row {i + 1} field chart_date: {df['chart_date'].iloc[i]!r} is not YYYY-MM-DD")
    out["chart_date"] = dates.dt.strftime("%Y-%m-%d").astype("string")
    out["this_week"] = _check_int_column(df, "this_week", source, nullable=False)
    for col in ("song", "artist"):
        s = df[col].astype("string").str.strip()  # trailing blanks occur in the real data
        if (s.isna() | (s.str.strip() == "")).any():
            i = int((s.isna() | (s.str.strip() == "")).to_numpy().nonzero()[0][0])
            raise ChartFormatError(f"{source}: row {i + 1} field {col}: empty")
        out[col] = s
    out["last_week"] = _check_int_column(df, "last_week", source, nullable=True)
    out["peak_position"] = _check_int_column(df, "peak_position", source, nullable=False)
    out["weeks_on_chart"] = _check_int_column(df, "weeks_on_chart", source, nullable=False)
    from kalshi_edge.lake.dataset import get_dataset

    # the bounds declared with the dataset (rank 1..100), looked up by name: sources import no family
    bad = get_dataset("billboard_charts").out_of_range(out)
    if bad:
        i, col, why = bad[0]
        raise ChartFormatError(f"{source}: row {i + 1} field {col}: {str(df[col].iloc[i])!r}: {why}")
    return out.sort_values(["chart_date", "this_week"], kind="stable").reset_index(drop=True)


def read_charts_csv(path: str | Path) -> pd.DataFrame:
    """Read a chart-history CSV in the documented layout (gzip allowed) and validate it."""
    from kalshi_edge.lake.inputs import read_input_csv

    p = Path(path)
    raw = read_input_csv(p, what="chart CSV", dtype={"song": "string", "artist": "string", "chart_date": "string"},
                         keep_default_na=False, na_values={"last_week": [""]})
    return validate_chart_frame(raw, str(p))


def archive_payload_to_frame(payload: dict[str, Any], source: str = "<json>") -> pd.DataFrame:
    """Map one week of the JSON archive (``{"date", "data": [...]}``) to the documented layout."""
    if not isinstance(payload, dict) or "date" not in payload or not isinstance(payload.get("data"), list):
        raise ChartFormatError(f"{source}: expected an object with 'date' and a 'data' list")
    rows = [
        {
            "chart_date": payload["date"],
            "this_week": e.get("this_week"),
            "song": e.get("song"),
            "artist": e.get("artist"),
            "last_week": e.get("last_week"),
            "peak_position": e.get("peak_position"),
            "weeks_on_chart": e.get("weeks_on_chart"),
        }
        for e in payload["data"]
    ]
    return validate_chart_frame(pd.DataFrame(rows, columns=list(CHART_COLUMNS)), source)


def fetch_archive_week(day: date, *, url_template: str = DEFAULT_ARCHIVE_URL, session: Any = None,
                       timeout: float = 20.0) -> pd.DataFrame | None:
    """Download one chart week from the JSON archive; ``None`` when the archive has no chart that day (404)."""
    import requests

    http = session or requests.Session()
    url = url_template.format(date=day.isoformat())
    resp = http.get(url, timeout=timeout)
    if resp.status_code == 404:
        return None
    resp.raise_for_status()
    return archive_payload_to_frame(resp.json(), url)


def chart_saturdays(start: date, end: date) -> list[date]:
    """Every Saturday in [start, end] (charts have been dated Saturdays since 1962)."""
    first = start + timedelta(days=(5 - start.weekday()) % 7)
    out: list[date] = []
    d = first
    while d <= end:
        out.append(d)
        d += timedelta(days=7)
    return out


def backfill_archive(start: date, end: date, *, url_template: str = DEFAULT_ARCHIVE_URL, session: Any = None,
                     on_week: Callable[[date, bool], None] | None = None) -> pd.DataFrame:
    """Fetch every Saturday chart in [start, end] from the archive; missing weeks are skipped.

    ``on_week(day, found)`` is called after each request (progress reporting).
    """
    frames = []
    for day in chart_saturdays(start, end):
        f = fetch_archive_week(day, url_template=url_template, session=session)
        if on_week is not None:
            on_week(day, f is not None)
        if f is not None:
            frames.append(f)
    if not frames:
        return validate_chart_frame(pd.DataFrame(columns=list(CHART_COLUMNS)))
    return validate_chart_frame(pd.concat(frames, ignore_index=True), url_template)


def chart_from_billboard_py(chart: Any) -> pd.DataFrame:
    """Map a ``billboard.ChartData`` (billboard.py) to the documented layout.

    billboard.py's ``ChartEntry`` carries ``title, artist, rank, lastPos (0 when new), peakPos,
    weeks``; ``ChartData.date`` is the chart's date (YYYY-MM-DD).
    """
    entries: Iterable[Any] = getattr(chart, "entries", [])
    rows = [
        {
            "chart_date": chart.date,
            "this_week": e.rank,
            "song": e.title,
            "artist": e.artist,
            "last_week": (e.lastPos or None),
            "peak_position": e.peakPos,
            "weeks_on_chart": e.weeks,
        }
        for e in entries
    ]
    return validate_chart_frame(pd.DataFrame(rows, columns=list(CHART_COLUMNS)), f"billboard.py {chart.date}")


def fetch_billboard_week(day: date | None = None) -> pd.DataFrame:  # pragma: no cover - live network
    """The Hot 100 for ``day`` (latest when None) from billboard.com via billboard.py."""
    import billboard

    chart = billboard.ChartData("hot-100", date=day.isoformat() if day else None)
    return chart_from_billboard_py(chart)
