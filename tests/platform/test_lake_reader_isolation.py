"""Readers never see half of a write (issue #12's knowingly-left item): while a multi-partition
write renames its partitions into place, a reader sees the dataset before it or after it.

The publish is slowed down between renames (the writer's ``_crash_point`` hook, a no-op in
production) so that a reader thread has every chance to land in the middle of it.
"""

from __future__ import annotations

import threading
import time

import pandas as pd
import pyarrow as pa
import pytest

from kalshi_edge.lake import Dataset, Lake
from kalshi_edge.lake import writer as lake_writer

DS = Dataset(
    name="t_reader_isolation",
    schema=pa.schema([("day", pa.string()), ("k", pa.int64()), ("v", pa.int64())]),
    partition_by=("day",),
    key=("day", "k"),
)
DAYS = [f"2026-02-{d:02d}" for d in range(1, 7)]


def _version(v: int) -> pd.DataFrame:
    return pd.DataFrame([{"day": d, "k": k, "v": v} for d in DAYS for k in range(5)])


def _race(lake: Lake, read) -> set[tuple[int, ...]]:
    """Write versions 1..6 (every partition at once) while reading; the set of versions each read saw."""
    lake.write(DS, _version(0), mode="replace")
    seen: set[tuple[int, ...]] = set()
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            seen.add(tuple(sorted(set(read()))))

    t = threading.Thread(target=reader)
    t.start()
    try:
        for v in range(1, 7):
            lake.write(DS, _version(v), mode="replace")
    finally:
        done.set()
        t.join(30)
    return seen


@pytest.fixture
def slow_publish(monkeypatch):
    def pause(name: str) -> None:
        if name == "published":
            time.sleep(0.01)  # between two partition renames

    monkeypatch.setattr(lake_writer, "_crash_point", pause)


def test_lake_read_sees_one_version_of_a_multi_partition_write(lake, slow_publish):
    seen = _race(lake, lambda: lake.read(DS)["v"].tolist())
    assert seen and all(len(s) == 1 for s in seen), f"a read mixed versions: {sorted(seen)}"
    assert len(seen) > 1  # the reader did run during the writes (it saw more than one version)


def test_queries_inside_reading_see_one_version(lake, slow_publish):
    import duckdb

    def read() -> list[int]:
        with lake.reading(DS), duckdb.connect() as con:
            return [r[0] for r in con.execute(f"SELECT v FROM {lake.scan_sql(DS)}").fetchall()]

    seen = _race(lake, read)
    assert seen and all(len(s) == 1 for s in seen), f"a query mixed versions: {sorted(seen)}"


def test_without_the_shared_lock_a_reader_can_see_a_mix(lake, slow_publish):
    """The control: the same race read without ``reading()`` does catch a half-published write, so
    the two tests above would fail without the lock."""
    import duckdb

    def read() -> list[int]:
        files = lake._list_files(DS)
        if not files:
            return []
        with duckdb.connect() as con:
            return [r[0] for r in con.execute(f"SELECT v FROM {lake.scan_sql(DS)}").fetchall()]

    seen = _race(lake, read)
    assert any(len(s) > 1 for s in seen), sorted(seen)
