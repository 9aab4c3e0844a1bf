"""The one writer every ingestion task uses, and the read path.

Write path for a frame:

1. **coerce** each column to the dataset's pyarrow type, row by row where needed: a value that
   cannot be converted sends its row to quarantine with ``field: cannot convert 'x' to <type>``;
2. **check** the declared rules (:class:`~kalshi_edge.lake.dataset.Check`) and key uniqueness;
3. **quarantine** failing rows to ``data/quarantine/<dataset>/`` with the reason, the source and
   the source row number; if more than ``max_bad_fraction`` fail, raise :class:`ValidationFailed`
   and write nothing else (what is stored stays as it was);
4. **write** each partition to a temporary file in the dataset folder, read its footer back to
   verify the row count, then ``os.replace`` it over ``<partition>/part-0.parquet``. The rename is
   atomic, so a crash leaves either the old partition or the new one, never half of either, and a
   rerun for the same partition replaces instead of appending (``mode="merge"`` unions with the
   existing rows, newest winning on the key, for streaming ingest into a day partition).

Writers to one dataset are serialized with a file lock (Airflow adds a one-slot pool on top).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kalshi_edge.lake.dataset import Dataset, get_dataset
from kalshi_edge.lake.errors import LakeError, ValidationFailed
from kalshi_edge.lake.fs import LakeLocation, local_path_of, resolve  # lake root as a URI (#18)

if TYPE_CHECKING:
    from kalshi_edge.config import Settings

#: Optional column an importer may add: the row's line number in its source file (for errors).
SOURCE_ROW = "_source_row"
PART_FILE = "part-0.parquet"


@dataclass
class WriteResult:
    dataset: str
    rows_in: int
    rows_written: int
    rows_quarantined: int
    partitions: list[str] = field(default_factory=list)
    quarantine_file: str | None = None

    def as_dict(self) -> dict:
        return {
            "dataset": self.dataset,
            "rows_in": self.rows_in,
            "rows_written": self.rows_written,
            "rows_quarantined": self.rows_quarantined,
            "partitions": self.partitions,
            "quarantine_file": self.quarantine_file,
        }


# ----------------------------------------------------------------------------------------
# coercion
# ----------------------------------------------------------------------------------------
def _coerce_column(values: pd.Series, typ: pa.DataType) -> tuple[pd.Series, pd.Series]:
    """Return (coerced values, ok mask). Nulls stay null and count as ok here."""
    present = values.notna()
    if pa.types.is_timestamp(typ):
        tz = typ.tz
        parsed = pd.to_datetime(values, errors="coerce", utc=tz is not None, format="mixed")
        if tz is not None and str(tz) not in ("UTC", "utc", "+00:00"):
            parsed = parsed.dt.tz_convert(tz)
        return parsed, ~present | parsed.notna()
    if pa.types.is_date32(typ) or pa.types.is_date64(typ):
        parsed = pd.to_datetime(values, errors="coerce", format="mixed")
        ok = ~present | parsed.notna()
        return parsed.dt.date.where(parsed.notna(), None), ok
    if pa.types.is_floating(typ) or pa.types.is_integer(typ):
        parsed = pd.to_numeric(values, errors="coerce")
        ok = ~present | parsed.notna()
        if pa.types.is_integer(typ):
            whole = parsed.isna() | (parsed == parsed.round())
            ok &= whole
            parsed = parsed.where(ok).astype("Int64")
        return parsed, ok
    if pa.types.is_decimal(typ):
        quant = Decimal(1).scaleb(-typ.scale)

        def conv(v: object) -> object:
            if v is None or (isinstance(v, float) and v != v):
                return None
            try:
                d = v if isinstance(v, Decimal) else Decimal(str(v).strip())
                if not d.is_finite():
                    return _BAD
                q = d.quantize(quant)
                if q != d or len(q.as_tuple().digits) > typ.precision:
                    return _BAD
                return q
            except (InvalidOperation, ValueError):
                return _BAD

        conv_vals = values.map(conv)
        ok = conv_vals.map(lambda v: v is not _BAD)
        return conv_vals.where(ok, None), ok.astype(bool)
    if pa.types.is_boolean(typ):
        mapping = {True: True, False: False, "true": True, "false": False, "True": True, "False": False,
                   "1": True, "0": False}  # 1 and 0 hash like True and False
        conv_vals = values.map(lambda v: mapping.get(v, _BAD) if v is not None and v == v else None)
        ok = conv_vals.map(lambda v: v is not _BAD)
        return conv_vals.where(ok, None), ok.astype(bool)
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return values.astype("string"), pd.Series(True, index=values.index)  # vectorized; NA stays NA
    # Nested or exotic types: let pyarrow decide for the whole column.
    return values, pd.Series(True, index=values.index)


class _Bad:
    def __repr__(self) -> str:
        return "<bad>"


_BAD = _Bad()


def _to_table(df: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    arrays = []
    for f in schema:
        col = df[f.name]
        try:
            try:  # fast path: typed pandas columns convert without touching Python objects
                arrays.append(pa.array(col, type=f.type, from_pandas=True))
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
                arrays.append(pa.array(col.astype(object).where(col.notna(), None).tolist(), type=f.type, from_pandas=True))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
            raise LakeError(f"column {f.name!r}: cannot store as {f.type}: {exc}") from None
    return pa.Table.from_arrays(arrays, schema=schema)


# ----------------------------------------------------------------------------------------
# the lake
# ----------------------------------------------------------------------------------------
class Lake:
    """Hive-partitioned Parquet under ``root``; quarantine under ``quarantine``."""

    def __init__(
        self,
        root: Path | str,
        quarantine: Path | None = None,
        warehouse: Path | None = None,
        max_bad_fraction: float = 0.05,
    ) -> None:
        self.root = local_path_of(root)  # a path or file:// URI; object storage refused (lake/fs.py, #18)
        self.quarantine = Path(quarantine) if quarantine else self.root.parent / "quarantine"
        self.warehouse = Path(warehouse) if warehouse else self.root.parent / "warehouse.duckdb"
        self.max_bad_fraction = max_bad_fraction

    @property
    def location(self) -> LakeLocation:
        """The root through pyarrow's filesystem interface (lake/fs.py, #18)."""
        return resolve(self.root)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Lake:
        if settings is None:
            from kalshi_edge.config import get_settings

            settings = get_settings()
        return cls(
            root=settings.lake_root,
            quarantine=settings.quarantine_root,
            warehouse=settings.warehouse_path,
            max_bad_fraction=settings.max_bad_fraction,
        )

    # -- paths --------------------------------------------------------------------------
    def dataset_dir(self, ds: Dataset | str) -> Path:
        return self.root / (ds if isinstance(ds, str) else ds.name)

    def partition_dir(self, ds: Dataset, values: dict[str, object]) -> Path:
        path = self.dataset_dir(ds)
        for col in ds.partition_by:
            path = path / f"{col}={_partition_str(values[col])}"
        return path

    def files(self, ds: Dataset | str) -> list[Path]:
        d = self.dataset_dir(ds)
        return sorted(d.rglob(PART_FILE)) if d.exists() else []

    @contextlib.contextmanager
    def _lock(self, ds: Dataset) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        lock_path = self.root / f".{ds.name}.lock"
        with open(lock_path, "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # -- write --------------------------------------------------------------------------
    def write(
        self,
        ds: Dataset | str,
        df: pd.DataFrame,
        *,
        source: str = "",
        mode: Literal["replace", "merge"] = "replace",
        max_bad_fraction: float | None = None,
    ) -> WriteResult:
        """Validate ``df`` and write it, one atomic file per partition. See the module docstring."""
        ds = get_dataset(ds) if isinstance(ds, str) else ds
        if mode not in ("replace", "merge"):
            raise LakeError(f"mode must be 'replace' or 'merge', not {mode!r}")
        limit = self.max_bad_fraction if max_bad_fraction is None else max_bad_fraction
        missing = [c for c in ds.schema.names if c not in df.columns]
        if missing:
            raise LakeError(f"{ds.name}: input {source or '<frame>'} lacks column(s) {', '.join(missing)}")
        frame = df.reset_index(drop=True)
        rows = frame[SOURCE_ROW] if SOURCE_ROW in frame.columns else pd.Series(range(1, len(frame) + 1))
        reasons = pd.Series("", index=frame.index, dtype=object)

        def flag(bad: pd.Series, reason: str | pd.Series) -> None:
            bad = bad.fillna(False).astype(bool) & (reasons == "")
            reasons.loc[bad] = reason if isinstance(reason, str) else reason[bad]

        coerced = pd.DataFrame(index=frame.index)
        for f in ds.schema:
            vals, ok = _coerce_column(frame[f.name], f.type)
            if not ok.all():
                raw = frame[f.name].astype(str)
                flag(~ok, f"{f.name}: cannot convert '" + raw + f"' to {f.type}")
            coerced[f.name] = vals
        for chk in ds.checks:
            valid = reasons == ""
            try:
                passed = chk.mask(coerced.where(valid, None) if chk.kind == "custom" else coerced)
            except Exception as exc:  # a rule that crashes is a bug in the declaration
                raise LakeError(f"{ds.name}: check {chk.reason!r} failed to evaluate: {exc}") from exc
            flag(~passed, chk.reason)
        if ds.key:
            valid = reasons == ""
            dup = coerced.loc[valid, list(ds.key)].duplicated(keep="first").reindex(coerced.index, fill_value=False)
            flag(dup, "duplicate key (" + ", ".join(ds.key) + ")")

        bad_mask = reasons != ""
        n_bad = int(bad_mask.sum())
        result = WriteResult(ds.name, len(frame), 0, n_bad)
        if n_bad:
            result.quarantine_file = str(self._quarantine(ds, frame[bad_mask], reasons[bad_mask], rows[bad_mask], source))
        if len(frame) and n_bad / len(frame) > limit:
            sample = "; ".join(
                f"row {r}: {why}" for r, why in list(zip(rows[bad_mask], reasons[bad_mask], strict=True))[:3]
            )
            raise ValidationFailed(
                f"{ds.name}: {n_bad} of {len(frame)} rows from {source or '<frame>'} failed validation "
                f"({n_bad / len(frame):.1%} > {limit:.1%}); nothing written; quarantined to "
                f"{result.quarantine_file}. First: {sample}"
            )
        good = coerced[~bad_mask]
        with self._lock(ds):
            groups = [((), good)] if not ds.partition_by else good.groupby(list(ds.partition_by), sort=True, dropna=False)
            for key, part in groups:
                key = key if isinstance(key, tuple) else (key,)
                values = dict(zip(ds.partition_by, key, strict=True))
                pdir = self.partition_dir(ds, values)
                table = _to_table(part, ds.file_schema)
                if mode == "merge" and (pdir / PART_FILE).exists():
                    table = _merge(pq.read_table(pdir / PART_FILE, schema=ds.file_schema), table, ds)
                self._atomic_write(table, pdir)
                result.rows_written += len(part)
                result.partitions.append(str(pdir.relative_to(self.root)))
        return result

    def _atomic_write(self, table: pa.Table, pdir: Path) -> None:
        pdir.mkdir(parents=True, exist_ok=True)
        tmp = pdir / f".tmp-{uuid.uuid4().hex}.parquet"
        try:
            pq.write_table(table, tmp, compression="zstd")
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            written = pq.ParquetFile(tmp).metadata.num_rows
            if written != table.num_rows:
                raise LakeError(f"{tmp}: wrote {written} rows, expected {table.num_rows}")
            os.replace(tmp, pdir / PART_FILE)
        finally:
            if tmp.exists():
                tmp.unlink()

    def _quarantine(
        self, ds: Dataset, bad: pd.DataFrame, reasons: pd.Series, rows: pd.Series, source: str
    ) -> Path:
        qdir = self.quarantine / ds.name
        qdir.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        path = qdir / f"{stamp}-{uuid.uuid4().hex[:8]}.parquet"
        out = bad.drop(columns=[SOURCE_ROW], errors="ignore").astype(str)
        out.insert(0, "_reason", reasons.astype(str).to_numpy())
        out.insert(1, "_source", source)
        out.insert(2, "_source_row", rows.astype("int64").to_numpy())
        tmp = qdir / f".tmp-{path.name}"
        out.to_parquet(tmp, index=False)
        os.replace(tmp, path)
        return path

    # -- read ---------------------------------------------------------------------------
    def scan_sql(self, ds: Dataset | str) -> str:
        """A DuckDB table expression reading the dataset (for views and queries)."""
        ds = get_dataset(ds) if isinstance(ds, str) else ds
        glob = str(self.dataset_dir(ds) / "**" / PART_FILE).replace("'", "''")
        if not ds.partition_by:
            return f"read_parquet('{glob}')"
        types = ", ".join(f"'{c}': '{_duck_type(ds.schema.field(c).type)}'" for c in ds.partition_by)
        return f"read_parquet('{glob}', hive_partitioning = true, hive_types = {{{types}}}, union_by_name = true)"

    def read(
        self, ds: Dataset | str, where: str | None = None, columns: list[str] | None = None
    ) -> pd.DataFrame:
        """The dataset (or a filtered slice) as pandas, read with DuckDB. Empty frame if no data."""
        ds = get_dataset(ds) if isinstance(ds, str) else ds
        cols = columns or ds.schema.names
        if not self.files(ds):
            return ds.schema.empty_table().to_pandas()[cols]
        sql = f"SELECT {', '.join(_q(c) for c in cols)} FROM {self.scan_sql(ds)}"
        if where:
            sql += f" WHERE {where}"
        with duckdb.connect() as con:
            return con.execute(sql).df()

    def partitions(self, ds: Dataset | str) -> list[dict]:
        """One dict per partition: its folder, values and row count (from Parquet footers)."""
        ds = get_dataset(ds) if isinstance(ds, str) else ds
        out = []
        for f in self.files(ds):
            rel = f.parent.relative_to(self.dataset_dir(ds))
            out.append({"partition": str(rel), "rows": pq.ParquetFile(f).metadata.num_rows, "bytes": f.stat().st_size})
        return out

    def row_count(self, ds: Dataset | str) -> int:
        return sum(p["rows"] for p in self.partitions(ds))


def _merge(old: pa.Table, new: pa.Table, ds: Dataset) -> pa.Table:
    if not ds.key:
        return pa.concat_tables([old, new])
    combined = pa.concat_tables([old, new]).to_pandas()
    keys = [k for k in ds.key if k in combined.columns]
    combined = combined.drop_duplicates(subset=keys, keep="last")
    return _to_table(combined, ds.file_schema)


def _partition_str(value: object) -> str:
    if isinstance(value, dt.date | pd.Timestamp):
        return value.isoformat()[:10]
    text = str(value)
    if "/" in text or text in ("", ".", ".."):
        raise LakeError(f"partition value {value!r} cannot be a folder name")
    return text


def _duck_type(t: pa.DataType) -> str:
    if t == pa.date32():
        return "DATE"
    if t in (pa.int32(), pa.int64()):
        return "BIGINT"
    return "VARCHAR"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
