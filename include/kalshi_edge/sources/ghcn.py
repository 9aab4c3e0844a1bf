"""GHCN-Daily TMAX history in the documented layout ``date,station,ghcn_id,tmax_f`` → the lake.

Rows are read as text and handed to the lake, which converts, validates (dates, impossible
values, duplicate station/date) and quarantines bad rows with their file row number.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kalshi_edge.lake import SOURCE_ROW, Lake, WriteResult
from kalshi_edge.lake.inputs import data_rows, read_input_csv

TMAX_COLUMNS = ("date", "station", "ghcn_id", "tmax_f")


def read_tmax_raw(path: str | Path) -> pd.DataFrame:
    """The CSV as text columns plus the data row number (``SOURCE_ROW``, 1 = first data row)."""
    path = Path(path)
    df = read_input_csv(path, what="TMAX CSV", dtype=str, keep_default_na=False)
    missing = [c for c in TMAX_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; expected {','.join(TMAX_COLUMNS)}")
    df = df[list(TMAX_COLUMNS)].copy()
    df["tmax_f"] = df["tmax_f"].replace("", None)
    df[SOURCE_ROW] = data_rows(len(df))
    return df


def import_tmax(path: str | Path, lake: Lake) -> WriteResult:
    """Validate and write a TMAX CSV into ``weather_tmax`` (merged on station/date)."""
    from kalshi_edge.families.weather.datasets import WEATHER_TMAX

    return lake.write(WEATHER_TMAX, read_tmax_raw(path), source=str(path), mode="merge")
