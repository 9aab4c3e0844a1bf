"""Chart history into the lake (``billboard_charts``) and back out in the documented layout.

Importers never drop bad rows silently: the lake writer quarantines each failing row with its
reason and source row number, and refuses the whole write when too many fail.
Writes use ``mode="merge"`` because partitions are whole years: a one-week backfill or weekly
update must add its rows to the year, not replace the year.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from kalshi_edge.families.billboard.datasets import BILLBOARD_CHARTS
from kalshi_edge.families.billboard.identity import artist_ids, song_ids
from kalshi_edge.lake import SOURCE_ROW, Lake
from kalshi_edge.lake.inputs import data_rows, read_input_csv
from kalshi_edge.sources.charts import (
    CHART_COLUMNS,
    DEFAULT_ARCHIVE_URL,
    ChartFormatError,
    backfill_archive,
    validate_chart_frame,
)


def charts_to_lake_frame(raw: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """Documented-layout rows (possibly dirty, as strings) → ``billboard_charts`` rows.

    Adds ``song_id``/``artist_id`` (identity normalization), ``source``, the ``year`` partition and
    the source row number (header = row 1) for quarantine messages.
    """
    missing = [c for c in CHART_COLUMNS if c not in raw.columns]
    if missing:
        raise ChartFormatError(f"{source}: missing column(s) {missing}; expected {list(CHART_COLUMNS)}")
    df = raw.loc[:, list(CHART_COLUMNS)].copy()
    for c in ("chart_date", "song", "artist"):
        df[c] = df[c].astype("string").str.strip().replace("", pd.NA)
    for c in ("this_week", "last_week", "peak_position", "weeks_on_chart"):
        df[c] = df[c].replace("", pd.NA)
    df["song_id"] = song_ids(df["song"], df["artist"])
    df["artist_id"] = artist_ids(df["artist"])
    df["source"] = source
    df["year"] = df["chart_date"].str.slice(0, 4).fillna("unknown")
    df[SOURCE_ROW] = data_rows(len(df))
    return df


def import_charts_csv(lake: Lake, path: str | Path) -> dict[str, Any]:
    """Import a chart CSV in the documented layout into ``billboard_charts``; returns a summary dict."""
    p = Path(path)
    raw = read_input_csv(p, what="chart CSV", dtype=str, keep_default_na=False)
    res = lake.write(BILLBOARD_CHARTS, charts_to_lake_frame(raw, source=str(p)), source=str(p), mode="merge")
    out = res.as_dict()
    out["stored"] = res.describe()
    out["weeks"] = int(raw["chart_date"].nunique()) if "chart_date" in raw.columns else 0
    return out


def write_chart_frame(lake: Lake, frame: pd.DataFrame, *, source: str) -> dict[str, Any]:
    """Write an already-parsed chart frame (archive JSON, billboard.py) to ``billboard_charts``."""
    raw = frame.astype(object).where(frame.notna(), "").astype(str)
    res = lake.write(BILLBOARD_CHARTS, charts_to_lake_frame(raw, source=source), source=source, mode="merge")
    return res.as_dict()


def backfill(lake: Lake, start: date, end: date, *, url_template: str = DEFAULT_ARCHIVE_URL, session: Any = None,
             on_week: Callable[[date, bool], None] | None = None) -> dict[str, Any]:
    """Fetch every Saturday chart in [start, end] from the public JSON archive into the lake."""
    frame = backfill_archive(start, end, url_template=url_template, session=session, on_week=on_week)
    if frame.empty:
        return {"dataset": BILLBOARD_CHARTS.name, "rows_written": 0, "weeks": 0, "rows_quarantined": 0}
    out = write_chart_frame(lake, frame, source=url_template)
    out["weeks"] = int(frame["chart_date"].nunique())
    return out


def weekly_update(lake: Lake, day: date | None = None, *, fetch: Callable[[date | None], pd.DataFrame] | None = None
                  ) -> dict[str, Any]:
    """Add the chart for ``day`` (latest when None) from billboard.com via billboard.py."""
    from kalshi_edge.sources.charts import fetch_billboard_week

    frame = (fetch or fetch_billboard_week)(day)
    out = write_chart_frame(lake, frame, source="billboard.py")
    out["chart_date"] = str(frame["chart_date"].iloc[0]) if len(frame) else None
    return out


def read_lake_charts(lake: Lake, *, before: date | None = None) -> pd.DataFrame:
    """Chart history from the lake in the documented layout (validated), optionally only dates < ``before``."""
    where = f"chart_date < '{before.isoformat()}'" if before else None
    df = lake.read(BILLBOARD_CHARTS, where=where, columns=list(CHART_COLUMNS))
    return validate_chart_frame(df, f"lake:{BILLBOARD_CHARTS.name}")
