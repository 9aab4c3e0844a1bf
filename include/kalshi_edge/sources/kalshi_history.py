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
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise LakeError(f"{path}: missing column(s) {', '.join(missing)} (expected {', '.join(REQUIRED)})")
    df[SOURCE_ROW] = range(2, len(df) + 2)  # line numbers in the file (header is line 1)
    df["month"] = df["date"].str.slice(0, 7)
    return df


def import_settled_contracts(
    lake: Lake, path: Path, *, month: date | None = None, max_bad_fraction: float | None = None
) -> WriteResult:
    """Import the file, or only the rows of ``month`` (a backfill run keyed on its logical date).

    Each month is one partition, so re-importing a month replaces it: no duplicates on rerun.
    """
    df = read_settled_csv(path)
    if month is not None:
        df = df[df["month"] == f"{month:%Y-%m}"]
    return lake.write(KALSHI_SETTLED_TEMPS, df, source=str(path), max_bad_fraction=max_bad_fraction)


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
