"""Data freshness per lake dataset: last partition, its age, row and quarantined-row counts.

Read-only and cheap: partition folders and Parquet footers only, never the data. The age of a
dataset is taken from the newest date-like partition value (``date=``, ``climate_date=``,
``chart_date=``, ``settled_date=``, ``month=``, ``year=``) when there is one — that is how old the
*data* is — else from the newest file's modification time (when it was last written).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

DATE_KEYS = ("date", "climate_date", "chart_date", "settled_date", "month", "year")

#: Datasets refreshed weekly (their staleness allowance is seven times a daily one's).
WEEKLY = frozenset({"billboard_charts", "billboard_predictions", "billboard_edges"})
#: Datasets written on demand (imports, backfills): shown, never alerted as stale.
ON_DEMAND = frozenset({"kalshi_settled_temps", "weather_tmax", "weather_cli", "btc_ticks", "kalshi_ws_journal"})


@dataclass(slots=True)
class Freshness:
    dataset: str
    partitions: int
    rows: int
    quarantined_rows: int
    last_partition: str
    last_data_date: str  # ISO date of the newest date-like partition ("" when none)
    last_write: str  # ISO time of the newest file's mtime ("" when empty)
    age_hours: float | None
    stale_after_hours: float | None
    stale: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def partition_date(partition: str) -> date | None:
    """The date a partition folder stands for (``series_ticker=X/date=2026-01-02`` → 2026-01-02;
    ``month=2024-07`` → the 1st; ``year=2024`` → Jan 1st), or None."""
    found: date | None = None
    for part in partition.split("/"):
        key, _, value = part.partition("=")
        if key not in DATE_KEYS:
            continue
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                found = date.fromisoformat(value)
            elif re.fullmatch(r"\d{4}-\d{2}", value):
                found = date.fromisoformat(value + "-01")
            elif re.fullmatch(r"\d{4}", value):
                found = date(int(value), 1, 1)
        except ValueError:
            continue
    return found


def quarantined_rows(lake: Any, dataset: str, since: datetime | None = None) -> int:
    """Rows in the dataset's quarantine files (written at or after ``since`` when given)."""
    qdir = Path(lake.quarantine) / dataset
    if not qdir.exists():
        return 0
    n = 0
    for f in qdir.glob("*.parquet"):
        if since is not None:
            stamp = _stamp(f.name)
            if stamp is not None and stamp < since:
                continue
        try:
            n += pq.ParquetFile(f).metadata.num_rows
        except Exception:  # noqa: BLE001 - an unreadable quarantine file still counts as one bad row
            n += 1
    return n


def _stamp(name: str) -> datetime | None:
    m = re.match(r"(\d{8}T\d{6})", name)
    return datetime.strptime(m.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC) if m else None


def stale_allowance_hours(dataset: str, daily_hours: float) -> float | None:
    if dataset in ON_DEMAND:
        return None
    return daily_hours * 7 if dataset in WEEKLY else daily_hours


def dataset_freshness(lake: Any, dataset: str, *, now: datetime, stale_hours: float = 36.0) -> Freshness:
    """Freshness of one dataset at ``now`` (UTC)."""
    parts = lake.partitions(dataset)
    files = lake.files(dataset)
    last_write = max((f.stat().st_mtime for f in files), default=None)
    dated = [(d, p["partition"]) for p in parts if (d := partition_date(p["partition"])) is not None]
    last_part = max(dated)[1] if dated else (max((p["partition"] for p in parts), default=""))
    last_date = max(dated)[0] if dated else None
    if last_date is not None:
        # The data for a day is complete at that day's end: age counts from the next midnight.
        age = (now - datetime(last_date.year, last_date.month, last_date.day, tzinfo=UTC)).total_seconds() / 3600 - 24
        age = max(age, 0.0)
    elif last_write is not None:
        age = max((now.timestamp() - last_write) / 3600, 0.0)
    else:
        age = None
    allow = stale_allowance_hours(dataset, stale_hours)
    return Freshness(
        dataset=dataset, partitions=len(parts), rows=sum(p["rows"] for p in parts),
        quarantined_rows=quarantined_rows(lake, dataset), last_partition=last_part,
        last_data_date=last_date.isoformat() if last_date else "",
        last_write=datetime.fromtimestamp(last_write, UTC).isoformat(timespec="seconds") if last_write else "",
        age_hours=round(age, 2) if age is not None else None, stale_after_hours=allow,
        stale=bool(allow is not None and age is not None and age > allow),
    )


def lake_freshness(lake: Any, *, now: datetime, stale_hours: float = 36.0,
                   datasets: list[str] | None = None) -> list[Freshness]:
    """Freshness of every declared dataset (or ``datasets``) that has data or quarantined rows."""
    from kalshi_edge.lake.dataset import load_all_datasets

    names = datasets or sorted(load_all_datasets())
    out = []
    for name in names:
        f = dataset_freshness(lake, name, now=now, stale_hours=stale_hours)
        if f.partitions or f.quarantined_rows or datasets:
            out.append(f)
    return out
