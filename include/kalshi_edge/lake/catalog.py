"""The DuckDB catalog: ``data/warehouse.duckdb`` holds one view per dataset over the Parquet lake.

The Parquet files are the record; the DuckDB file holds only view definitions (and whatever
derived tables a feature job materializes), so it can be rebuilt at any time with
:func:`refresh_catalog`. One writer at a time (a file lock here, a one-slot Airflow pool around
the tasks); every reader opens the file read-only with :func:`connect_readonly`.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

import duckdb

from kalshi_edge.lake.dataset import load_all_datasets
from kalshi_edge.lake.writer import Lake


@contextlib.contextmanager
def _writer_lock(warehouse: Path) -> Iterator[None]:
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with open(warehouse.with_suffix(".lock"), "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def connect_writer(lake: Lake) -> Iterator[duckdb.DuckDBPyConnection]:
    """The single read-write connection to the catalog file (serialized by a file lock)."""
    with _writer_lock(lake.warehouse):
        con = duckdb.connect(str(lake.warehouse))
        try:
            yield con
        finally:
            con.close()


def connect_readonly(lake: Lake) -> duckdb.DuckDBPyConnection:
    """A read-only connection; builds the catalog first if the file does not exist yet."""
    if not lake.warehouse.exists():
        refresh_catalog(lake)
    return duckdb.connect(str(lake.warehouse), read_only=True)


def refresh_catalog(lake: Lake) -> list[str]:
    """(Re)create one view per registered dataset that has data. Returns the view names."""
    registry = load_all_datasets()
    created = []
    with connect_writer(lake) as con:
        existing = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        for name, ds in sorted(registry.items()):
            if lake.files(ds):
                con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM {lake.scan_sql(ds)}')
                created.append(name)
            elif name in existing:
                con.execute(f'DROP VIEW "{name}"')
    return created


def query(lake: Lake, sql: str, params: list | None = None):
    """Run a read-only query against the catalog; returns a pandas frame."""
    con = connect_readonly(lake)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()
