"""Lake write throughput: the validated, atomic writer vs a bare pyarrow Parquet write.

Both write the same real rows (the shipped settled-contracts sample, repeated to ~100k rows
with distinct keys). The writer's extra work (per-value coercion, checks, key uniqueness,
quarantine bookkeeping, staging every partition aside with fsync, one journal commit, renames) is
the price of "bad input never lands, a crash never leaves a mix"; the ratio
says what that costs. Target: validation may cost at most ~33x a bare write (ratio ≥ 0.03).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from kalshi_edge.config import SAMPLE_DIR
from kalshi_edge.lake import Lake
from kalshi_edge.lake.writer import _to_table
from kalshi_edge.sources.datasets import KALSHI_SETTLED_TEMPS
from kalshi_edge.sources.kalshi_history import read_settled_csv

REPEATS = 40


def _rows() -> pd.DataFrame:
    base = read_settled_csv(SAMPLE_DIR / "kalshi_history" / "highest_temp_settled_2024H2.csv.gz")
    frames = []
    for i in range(REPEATS):
        f = base.copy()
        f["contract_subtitle"] = f["contract_subtitle"] + f" #{i}"  # distinct keys, same shape
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def run() -> list[dict]:
    df = _rows()
    n = len(df)
    with tempfile.TemporaryDirectory() as tmp:
        lake = Lake(Path(tmp) / "lake")
        t0 = time.perf_counter()
        res = lake.write(KALSHI_SETTLED_TEMPS, df, source="bench")
        lake_s = time.perf_counter() - t0
        assert res.rows_written == n, res

        typed = lake.read(KALSHI_SETTLED_TEMPS)
        table = _to_table(typed, KALSHI_SETTLED_TEMPS.schema)
        t0 = time.perf_counter()
        pq.write_table(table, Path(tmp) / "raw.parquet", compression="zstd")
        raw_s = time.perf_counter() - t0
    lake_rate, raw_rate = n / lake_s, n / raw_s
    return [
        {"name": "lake_write_rows_per_s", "value": lake_rate, "unit": "rows/s",
         "ratio": lake_rate / raw_rate, "target_ratio": 0.03},
    ]


if __name__ == "__main__":
    print(run())
