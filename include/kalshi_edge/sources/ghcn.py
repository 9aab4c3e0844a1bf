"""GHCN-Daily TMAX history in the documented layout ``date,station,ghcn_id,tmax_f`` → rows.

Rows are read as text with their file row number; this module returns them and writes nothing
(sources never write a family's dataset). The weather family stores them
(:func:`kalshi_edge.families.weather.ingest.import_tmax`), where the lake converts, validates
(dates, impossible values, duplicate station/date) and quarantines bad rows with their row number.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kalshi_edge.lake import SOURCE_ROW
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

