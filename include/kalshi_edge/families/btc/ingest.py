"""Bars into the lake (``btc_bars``): CSV import with validation + quarantine, and reading back.

The lake writer quarantines rows that fail the dataset's checks (non-positive prices,
duplicate timestamps, out-of-order rows); gaps are not bad rows, so they are reported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from kalshi_edge.families.btc.bars import BarsError, parse_bars_frame, read_raw_csv, validate_bars
from kalshi_edge.families.btc.datasets import BTC_BARS
from kalshi_edge.lake import SOURCE_ROW, Lake


@dataclass
class ImportResult:
    """Outcome of an import: rows written/quarantined, partitions, gaps (after, before, missing bars)."""

    rows_in: int
    rows_written: int
    rows_quarantined: int
    interval: str
    partitions: list[str] = field(default_factory=list)
    gaps: list[tuple[str, str, int]] = field(default_factory=list)
    quarantine_file: str | None = None
    #: what the write did to what was stored (``WriteResult.describe()``)
    stored: str = ""

    def as_dict(self) -> dict:
        return {
            "rows_in": self.rows_in, "rows_written": self.rows_written, "rows_quarantined": self.rows_quarantined,
            "interval": self.interval, "partitions": len(self.partitions), "gaps": len(self.gaps),
            "quarantine_file": self.quarantine_file, "stored": self.stored,
        }


def interval_label(seconds: float) -> str:
    """``60 -> '1m'``, ``300 -> '5m'``, ``3600 -> '1h'``, other -> ``'<n>s'``."""
    s = int(round(seconds))
    if s % 3600 == 0:
        return f"{s // 3600}h"
    if s % 60 == 0:
        return f"{s // 60}m"
    return f"{s}s"


def bars_to_lake_frame(frame: pd.DataFrame, *, source: str, interval: str) -> pd.DataFrame:
    """Add the lake columns (source, interval, date, _source_row) to a parsed FILE-order frame."""
    out = frame.copy()
    out["source"] = source
    out["interval"] = interval
    out["date"] = out["ts"].dt.strftime("%Y-%m-%d")
    if "row" in out.columns:
        out = out.rename(columns={"row": SOURCE_ROW})
    out["volume"] = out["volume"].fillna(0.0)
    return out


def write_bars(lake: Lake, frame: pd.DataFrame, *, source: str, interval_seconds: float | None = None,
               mode: Literal["merge", "replace"] = "merge") -> ImportResult:
    """Validate + write a parsed bars frame (file order, with ``row``) to ``btc_bars``.

    ``mode="merge"`` (a file import): bars merge by (interval, ts) into what is stored, so a file
    covering part of a day never deletes the rest of it; re-importing a file is idempotent.
    ``mode="replace"``: each touched (interval, date) partition becomes this frame's rows for
    that day (a logical-date re-ingest that brings whole days).
    """
    rep = validate_bars(frame)
    secs = interval_seconds or rep.interval_seconds
    if not secs:
        raise BarsError(f"{source}: cannot infer the bar interval (need >= 2 distinct timestamps)")
    label = interval_label(secs)
    res = lake.write(BTC_BARS, bars_to_lake_frame(frame, source=source, interval=label), source=source, mode=mode)
    return ImportResult(
        rows_in=res.rows_in, rows_written=res.rows_written, rows_quarantined=res.rows_quarantined, interval=label,
        partitions=res.partitions, gaps=rep.gaps, quarantine_file=res.quarantine_file, stored=res.describe(),
    )


def import_bars_csv(lake: Lake, path: str | Path, *, day: date | None = None) -> ImportResult:
    """Import a documented-layout bars CSV (optionally only the rows of one UTC ``day``).

    A whole-file import merges by key (rows not in the file are kept); ``day=`` is the DAG's
    logical-date re-ingest of that UTC day and replaces its partition.
    """
    p = Path(path)
    frame = parse_bars_frame(read_raw_csv(p), str(p))
    interval = validate_bars(frame).interval_seconds
    if day is not None:
        frame = frame[frame["ts"].dt.strftime("%Y-%m-%d") == day.isoformat()]
        if frame.empty:
            return ImportResult(0, 0, 0, interval_label(interval) if interval else "?")
    return write_bars(lake, frame, source=str(p), interval_seconds=interval,
                      mode="merge" if day is None else "replace")


def read_lake_bars(lake: Lake, *, interval: str = "5m", start: str | None = None, end: str | None = None) -> pd.DataFrame:
    """Bars from the lake as the model expects them (``ts`` UTC ns, OHLCV), sorted, one interval."""
    where = [f"interval = '{interval}'"]
    if start:
        where.append(f"date >= '{start[:10]}'")
    if end:
        where.append(f"date <= '{end[:10]}'")
    df = lake.read(BTC_BARS, where=" AND ".join(where))
    if df.empty:
        return df
    bad = BTC_BARS.out_of_range(df)  # stored before values were bounded: refuse, never model on them
    if bad:
        i, _, why = bad[0]
        raise BarsError(f"{lake.dataset_dir(BTC_BARS)}: {len(bad)} stored bar value(s) out of range, first at "
                        f"ts {df['ts'].iloc[i]} ({why}); re-import that day")
    df["ts"] = pd.to_datetime(df["ts"], utc=True).dt.as_unit("ns")
    df = df.sort_values("ts").drop_duplicates("ts").reset_index(drop=True)
    if start:
        df = df[df["ts"] >= pd.Timestamp(start)]
    if end:
        df = df[df["ts"] <= pd.Timestamp(end)]
    return df.reset_index(drop=True)


def gaps_summary(gaps: list[tuple[str, str, int]], limit: int = 5) -> str:
    """One line describing the first ``limit`` gaps."""
    if not gaps:
        return "no gaps"
    head = "; ".join(f"{a} -> {b} ({n} missing)" for a, b, n in gaps[:limit])
    more = f" (+{len(gaps) - limit} more)" if len(gaps) > limit else ""
    return f"{len(gaps)} gap(s), {int(np.sum([g[2] for g in gaps]))} bars missing: {head}{more}"


def backfill_coinbase(
    lake: Lake,
    start: date,
    end: date,
    *,
    product: str = "BTC-USD",
    granularity: int = 60,
    base_url: str | None = None,
    on_page=None,
) -> list[ImportResult]:
    """Fetch Coinbase candles for each UTC day in ``[start, end]`` and write them to ``btc_bars``.

    One lake write per day (the day's partition is replaced, so reruns are idempotent).
    """
    from datetime import UTC, datetime, timedelta

    from kalshi_edge.sources.coinbase import REST_BASE, RateLimiter, fetch_candles

    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    limiter = RateLimiter()
    out: list[ImportResult] = []
    d = start
    while d <= end:
        a = datetime(d.year, d.month, d.day, tzinfo=UTC)
        df = fetch_candles(
            a, a + timedelta(days=1), product=product, granularity=granularity, base_url=base_url or REST_BASE,
            limiter=limiter, on_page=on_page,
        )
        if df.empty:
            out.append(ImportResult(0, 0, 0, interval_label(granularity)))
        else:
            df.insert(0, "row", np.arange(1, len(df) + 1))
            out.append(write_bars(lake, df, source=f"coinbase:{product}:{d.isoformat()}", interval_seconds=granularity,
                                  mode="replace"))
        d += timedelta(days=1)
    return out


def write_ticks(lake: Lake, rows: list[dict]) -> int:
    """Merge recorded ticker rows into ``btc_ticks`` (day partitions; newest wins on the key)."""
    from kalshi_edge.families.btc.datasets import BTC_TICKS

    if not rows:
        return 0
    res = lake.write(BTC_TICKS, pd.DataFrame(rows), source="coinbase-ws", mode="merge")
    return res.rows_written
