"""Importer for settled Kalshi temperature contracts (the documented history CSV layout).

Layout: ``date, city, series, contract_subtitle, market_type, temp_low, temp_high,
last_price_cents, volume, result[, actual_temp_approx]`` (see data/sample/SOURCES.md).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from kalshi_edge.lake import SOURCE_ROW, Lake, LakeError, WriteResult
from kalshi_edge.sources.datasets import KALSHI_SETTLED_TEMPS

REQUIRED = ["date", "city", "series", "contract_subtitle", "market_type", "temp_low", "temp_high",
            "last_price_cents", "volume", "result"]


def read_settled_csv(path: Path) -> pd.DataFrame:
    """Read the CSV as strings (the lake coerces and validates), with source row numbers."""
    from kalshi_edge.lake.inputs import data_rows, read_input_csv

    path = Path(path)
    df = read_input_csv(path, what="settled-contracts CSV", dtype=str, keep_default_na=False, na_values=[""])
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise LakeError(f"{path}: missing column(s) {', '.join(missing)} (expected {', '.join(REQUIRED)})")
    df[SOURCE_ROW] = data_rows(len(df))
    df["month"] = df["date"].str.slice(0, 7)
    return df


def import_settled_contracts(
    lake: Lake, path: Path, *, month: date | None = None, max_bad_fraction: float | None = None
) -> WriteResult:
    """Import the file, or only the rows of ``month`` (a backfill run keyed on its logical date).

    With ``month`` (the backfill's logical-date re-ingest) that month's partition is replaced, so a
    rerun writes the same rows; a whole-file import merges by key, so a file with part of a month
    never deletes the rest of it.
    """
    df = read_settled_csv(path)
    if month is not None:
        df = df[df["month"] == f"{month:%Y-%m}"]
    return lake.write(KALSHI_SETTLED_TEMPS, df, source=str(path), max_bad_fraction=max_bad_fraction,
                      mode="replace" if month is not None else "merge")


MARKET_CALIBRATION_SQL = """
SELECT series,
       CAST(FLOOR(last_price_cents / 20) * 20 AS INTEGER) AS price_bucket_cents,
       COUNT(*) AS contracts,
       ROUND(AVG(last_price_cents) / 100, 3) AS mean_last_price,
       ROUND(AVG(CASE WHEN result = 'yes' THEN 1 ELSE 0 END), 3) AS yes_rate
FROM kalshi_settled_temps
GROUP BY ALL
ORDER BY series, price_bucket_cents
"""
