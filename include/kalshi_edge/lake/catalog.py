"""The DuckDB catalog: ``data/warehouse.duckdb`` holds one view per dataset over the Parquet lake.

The Parquet files are the record; the DuckDB file holds only view definitions (and whatever
derived tables a feature job materializes), so it can be rebuilt at any time with
:func:`refresh_catalog`. One writer at a time (a file lock here, a one-slot Airflow pool around
the tasks); every reader opens the file read-only with :func:`connect_readonly`.

Read-only means read-only: a reader connection may read the lake's Parquet files and nothing else
(DuckDB's ``enable_external_access=false`` with the lake root as the one allowed directory, the
configuration then locked), and :func:`query` runs only SELECT/EXPLAIN statements, so neither
``COPY ... TO`` nor ``read_text('/etc/passwd')`` nor ``ATTACH`` gets through ``lake query``.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

import duckdb

from kalshi_edge.lake.dataset import load_all_datasets
from kalshi_edge.lake.errors import LakeError
from kalshi_edge.lake.writer import Lake

#: Statement types :func:`query` runs (DESCRIBE, SHOW and SUMMARIZE parse as SELECT).
READ_ONLY_STATEMENTS = frozenset({"SELECT", "EXPLAIN"})


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
    """A read-only connection that can read the lake and no other file (builds the catalog first
    if the file does not exist yet)."""
    if not lake.warehouse.exists():
        refresh_catalog(lake)
    con = duckdb.connect(str(lake.warehouse), read_only=True)
    try:
        root = str(lake.root.resolve()).replace("'", "''")
        con.execute(f"SET allowed_directories = ['{root}/']")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")  # the query cannot SET it back
    except Exception:
        con.close()
        raise
    return con


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Raise LakeError unless every statement in ``sql`` is a SELECT or EXPLAIN."""
    try:
        kinds = [st.type.name for st in con.extract_statements(sql)]
    except duckdb.Error as exc:
        raise LakeError(f"query failed: {str(exc).splitlines()[0]}") from None
    refused = [k for k in kinds if k not in READ_ONLY_STATEMENTS]
    if refused:
        raise LakeError(f"lake query is read-only: {refused[0]} statements are refused (SELECT or EXPLAIN only)")


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
    # every dataset held steady for the query: interrupted writes rolled forward first, and no
    # write's renames land in the middle of it (never half of a write)
    with lake.reading(*load_all_datasets().values()):
        con = connect_readonly(lake)
        try:
            check_read_only(con, sql)
            return con.execute(sql, params or []).df()
        finally:
            con.close()
