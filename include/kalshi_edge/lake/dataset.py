"""Dataset declarations: one pyarrow schema, partitioning, key and row checks per dataset.

A :class:`Dataset` is declared once, in the ``datasets.py`` module of the package that owns it,
and registered by name on construction. The writer, the DuckDB catalog and the Great
Expectations suites all derive from that one declaration.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from kalshi_edge.lake.errors import LakeError

#: Partition columns must be one of these types (they become folder names).
_PARTITION_TYPES = (pa.string(), pa.int32(), pa.int64(), pa.date32())

REGISTRY: dict[str, Dataset] = {}


@dataclass(frozen=True)
class Check:
    """A row-level rule. ``kind`` decides how it maps to a Great Expectations expectation.

    ``mask(df)`` returns a boolean Series, True where the row passes. Null values pass every
    check except ``not_null`` (as in Great Expectations), so each rule says one thing.
    """

    kind: str
    column: str | None
    reason: str
    params: dict[str, Any] = field(default_factory=dict)
    fn: Callable[[pd.DataFrame], pd.Series] | None = None

    # -- constructors -----------------------------------------------------------------
    @classmethod
    def not_null(cls, column: str) -> Check:
        return cls("not_null", column, f"{column} is null")

    @classmethod
    def between(
        cls,
        column: str,
        min_value: float | None = None,
        max_value: float | None = None,
        *,
        strict_min: bool = False,
        strict_max: bool = False,
    ) -> Check:
        lo = "" if min_value is None else f"{'>' if strict_min else '>='} {min_value}"
        hi = "" if max_value is None else f"{'<' if strict_max else '<='} {max_value}"
        bounds = " and ".join(b for b in (lo, hi) if b)
        return cls(
            "between",
            column,
            f"{column} not {bounds}",
            {"min_value": min_value, "max_value": max_value, "strict_min": strict_min, "strict_max": strict_max},
        )

    @classmethod
    def in_set(cls, column: str, values: Sequence[Any]) -> Check:
        return cls("in_set", column, f"{column} not in {sorted(map(str, values))}", {"value_set": list(values)})

    @classmethod
    def matches(cls, column: str, regex: str) -> Check:
        return cls("regex", column, f"{column} does not match /{regex}/", {"regex": regex})

    @classmethod
    def custom(cls, name: str, fn: Callable[[pd.DataFrame], pd.Series], reason: str) -> Check:
        """Any vectorized rule; it has no Great Expectations twin (documented in the suite)."""
        return cls("custom", None, reason, {"name": name}, fn)

    # -- evaluation -------------------------------------------------------------------
    def mask(self, df: pd.DataFrame) -> pd.Series:
        """True where the row passes."""
        if self.kind == "custom":
            assert self.fn is not None
            result = pd.Series(self.fn(df), index=df.index)
            return result.fillna(False).astype(bool)
        col = df[self.column]
        if self.kind == "not_null":
            return col.notna()
        present = col.notna()
        if self.kind == "between":
            p = self.params
            ok = pd.Series(True, index=df.index)
            vals = col.where(present)
            if p["min_value"] is not None:
                ok &= (vals > p["min_value"]) if p["strict_min"] else (vals >= p["min_value"])
            if p["max_value"] is not None:
                ok &= (vals < p["max_value"]) if p["strict_max"] else (vals <= p["max_value"])
            return (~present) | ok.fillna(False).astype(bool)
        if self.kind == "in_set":
            return (~present) | col.isin(self.params["value_set"])
        if self.kind == "regex":
            return (~present) | col.astype(str).str.fullmatch(self.params["regex"]).fillna(False).astype(bool)
        raise LakeError(f"unknown check kind {self.kind!r}")


@dataclass(frozen=True)
class Dataset:
    """A lake dataset: ``data/lake/<name>/<col>=<value>/.../part-0.parquet``."""

    name: str
    schema: pa.Schema
    partition_by: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise LakeError(f"dataset name {self.name!r} must be an identifier (it becomes a DuckDB view)")
        names = set(self.schema.names)
        for col in (*self.partition_by, *self.key):
            if col not in names:
                raise LakeError(f"dataset {self.name}: column {col!r} is not in the schema")
        for col in self.partition_by:
            if self.schema.field(col).type not in _PARTITION_TYPES:
                raise LakeError(f"dataset {self.name}: partition column {col!r} must be string, int or date")
        for chk in self.checks:
            if chk.column is not None and chk.column not in names:
                raise LakeError(f"dataset {self.name}: check on unknown column {chk.column!r}")
        existing = REGISTRY.get(self.name)
        if existing is not None and existing.schema != self.schema:
            raise LakeError(f"dataset {self.name!r} is declared twice with different schemas")
        REGISTRY[self.name] = self

    @property
    def data_columns(self) -> list[str]:
        """Columns stored inside the Parquet files (partition columns live in folder names)."""
        return [n for n in self.schema.names if n not in self.partition_by]

    @property
    def file_schema(self) -> pa.Schema:
        return pa.schema([self.schema.field(n) for n in self.data_columns])

    def out_of_range(self, df: pd.DataFrame) -> list[tuple[int, str, str]]:
        """(position, column, reason) of every value that is non-finite or beyond the declared
        ``between`` bounds, for readers that take a file directly (evaluate, train) and must
        refuse what the writer would quarantine. Positions are 0-based into ``df``."""
        import numpy as np

        bad: list[tuple[int, str, str]] = []
        for f in self.schema:
            if f.name not in df.columns or not (pa.types.is_floating(f.type) or pa.types.is_integer(f.type)):
                continue
            vals = pd.to_numeric(df[f.name], errors="coerce").astype("float64")
            for i in np.flatnonzero(np.isinf(vals.to_numpy())):
                bad.append((int(i), f.name, f"{f.name}: {vals.iloc[i]} is not a finite number"))
        for chk in self.checks:
            if chk.kind == "between" and chk.column in df.columns:
                passed = chk.mask(df.assign(**{chk.column: pd.to_numeric(df[chk.column], errors="coerce")}))
                for i in np.flatnonzero(~passed.to_numpy()):
                    bad.append((int(i), chk.column, chk.reason))
        first: dict[tuple[int, str], str] = {}
        for i, col, why in bad:  # one reason per cell: "not finite" before a bound it also breaks
            first.setdefault((i, col), why)
        return sorted((i, col, why) for (i, col), why in first.items())


def load_all_datasets() -> dict[str, Dataset]:
    """Import every ``datasets`` module in the ``kalshi_edge`` package; return the registry.

    Each area declares its datasets in its own ``datasets.py``; discovering them here means the
    catalog never needs editing when an area adds one.
    """
    import kalshi_edge

    for mod in pkgutil.walk_packages(kalshi_edge.__path__, prefix="kalshi_edge."):
        if mod.name.rsplit(".", 1)[-1] == "datasets":
            importlib.import_module(mod.name)
    return dict(REGISTRY)


def get_dataset(name: str) -> Dataset:
    if name not in REGISTRY:
        load_all_datasets()
    try:
        return REGISTRY[name]
    except KeyError:
        raise LakeError(f"unknown dataset {name!r}; known: {', '.join(sorted(REGISTRY))}") from None
