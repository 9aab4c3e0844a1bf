"""The one writer every ingestion task uses, and the read path.

Write path for a frame:

1. **coerce** each column to the dataset's pyarrow type, row by row where needed: a value that
   cannot be converted sends its row to quarantine with ``field: cannot convert 'x' to <type>``;
2. **check** the declared rules (:class:`~kalshi_edge.lake.dataset.Check`) and key uniqueness;
3. **quarantine** failing rows to ``data/quarantine/<dataset>/`` with the reason, the source and
   the source row number; if more than ``max_bad_fraction`` fail, raise :class:`ValidationFailed`
   and write nothing else (what is stored stays as it was);
4. **publish** every touched partition as one transaction (:meth:`Lake._stage_partition`,
   :meth:`Lake._commit_journal`, :meth:`Lake._publish`): each new partition file is written and
   fsynced aside under ``<root>/.txn/<dataset>/<txid>/``, then one journal file listing them is
   renamed into place (the commit point), then each staged file is ``os.replace``-d over its
   ``<partition>/part-0.parquet``. A crash before the journal leaves the old version (the staged
   files are deleted by the next write); a crash after it is rolled forward by
   :meth:`Lake.recover`, which every write and every read runs first. So a multi-partition write
   is atomic as a whole: after a crash, readers see the old dataset or the new one, never a mix.

Two modes, and the difference matters for partial inputs:

* ``mode="merge"`` (file imports, streaming ingest): rows merge **by key** into what is stored;
  a row with a stored key replaces it, new keys are added, stored rows the input does not mention
  are kept. A file that covers part of a day never deletes the rest of that day.
* ``mode="replace"`` (a logical-date re-ingest that brings the whole partition): each touched
  partition is replaced by the input's rows for it, so a rerun writes the same rows.

Values must be in range: a non-finite float (``inf``, ``-inf``) or an integer beyond its type is
quarantined with the reason, and per-dataset bounds (``Check.between`` in the declaration) catch
absurd values such as a ``1e300`` price.

Writers to one dataset are serialized with a file lock (Airflow adds a one-slot pool on top).

Readers are isolated from a publish in progress, not only from a crash: the renames of step 4 run
under an exclusive *publish* lock (``<root>/.<dataset>.publish.lock``, held for milliseconds), and
:meth:`Lake.read`, :meth:`Lake.partitions` and every query inside ``with lake.reading(ds):`` hold it
shared while they list and read the files. A reader therefore sees the dataset before a write or
after it, never half of its partitions (test: ``tests/lake/test_reader_isolation.py``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import duckdb
import numpy as np
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
#: Hidden folder under the lake root holding staged partitions and journals of open writes.
TXN_DIR = ".txn"
JOURNAL_SUFFIX = ".journal.json"

log = logging.getLogger(__name__)


def _crash_point(name: str) -> None:
    """No-op; the kill tests replace it to stop the process at each step of a publish."""


@dataclass
class WriteResult:
    dataset: str
    rows_in: int
    rows_written: int
    rows_quarantined: int
    partitions: list[str] = field(default_factory=list)
    quarantine_file: str | None = None
    mode: str = "replace"
    #: merge mode: input rows whose key was already stored (replaced) / not stored yet (added)
    rows_updated: int = 0
    rows_added: int = 0
    #: merge mode: stored rows of the touched partitions that the input did not mention (kept)
    rows_kept: int = 0

    def as_dict(self) -> dict:
        return {
            "dataset": self.dataset,
            "rows_in": self.rows_in,
            "rows_written": self.rows_written,
            "rows_quarantined": self.rows_quarantined,
            "partitions": self.partitions,
            "quarantine_file": self.quarantine_file,
            "mode": self.mode,
            "rows_updated": self.rows_updated,
            "rows_added": self.rows_added,
            "rows_kept": self.rows_kept,
        }

    def describe(self) -> str:
        """One line saying what the write did to what was stored (the CLI prints it)."""
        n = len(self.partitions)
        if self.mode == "merge":
            return (f"merged by key into {n} partition(s) of {self.dataset}: {self.rows_added} row(s) added, "
                    f"{self.rows_updated} updated, {self.rows_kept} stored row(s) not in the input kept")
        return (f"replaced {n} partition(s) of {self.dataset} with the input's {self.rows_written} row(s) "
                "(a logical-date re-ingest: stored rows of those partitions not in the input are gone)")


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
        if parsed.dtype == object:  # ints beyond int64 stay Python ints: compare as floats
            parsed = pd.to_numeric(parsed.astype("float64"), errors="coerce")
        ok = ~present | parsed.notna()
        if pa.types.is_floating(typ) or parsed.dtype.kind == "f":
            ok &= parsed.isna() | np.isfinite(parsed.astype("float64"))  # inf is not a measurement
        if pa.types.is_integer(typ):
            info = np.iinfo(typ.to_pandas_dtype())
            whole = parsed.isna() | (parsed == parsed.round())
            # float64 cannot hold int64's top exactly: stay strictly inside its range
            in_range = parsed.isna() | ((parsed >= float(info.min)) & (parsed < float(info.max)))
            ok &= whole & in_range
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
        self.recover(ds)
        return self._list_files(ds)

    def _list_files(self, ds: Dataset | str) -> list[Path]:
        d = self.dataset_dir(ds)
        return sorted(d.rglob(PART_FILE)) if d.exists() else []

    def _publish_lock_path(self, ds: Dataset | str) -> Path:
        return self.root / f".{ds if isinstance(ds, str) else ds.name}.publish.lock"

    @contextlib.contextmanager
    def reading(self, *datasets: Dataset | str) -> Iterator[None]:
        """Hold the datasets steady while the caller lists and reads their files.

        Interrupted writes are rolled forward first; then each dataset's publish lock is held
        shared, so no write can rename partition files in the middle of the read (writers wait a
        moment; other readers do not). Use it around any query over :meth:`scan_sql`; do not
        write to the same dataset inside it (the write's publish would wait for this very lock).
        """
        names = sorted({d if isinstance(d, str) else d.name for d in datasets})
        for name in names:
            self.recover(name)
        with contextlib.ExitStack() as stack:
            for name in names:  # one global order: no two readers/writers wait on each other in a cycle
                fh = _open_lock_file(self._publish_lock_path(name))
                if fh is None:  # no lake root yet, or a read-only copy nobody writes to
                    continue
                stack.enter_context(fh)
                fcntl.flock(fh, fcntl.LOCK_SH)
                stack.callback(fcntl.flock, fh, fcntl.LOCK_UN)
            yield

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
                why = f"' to {f.type}"
                if pa.types.is_floating(f.type) or pa.types.is_integer(f.type):
                    why += " (not a finite number in the type's range)"
                flag(~ok, f"{f.name}: cannot convert '" + raw + why)
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
        result.mode = mode
        with self._lock(ds):
            self._recover_locked(ds)
            self._clean_leftovers(ds)
            groups = [((), good)] if not ds.partition_by else good.groupby(list(ds.partition_by), sort=True, dropna=False)
            txn = self._begin(ds)
            for key, part in groups:
                key = key if isinstance(key, tuple) else (key,)
                values = dict(zip(ds.partition_by, key, strict=True))
                pdir = self.partition_dir(ds, values)
                table = _to_table(part, ds.file_schema)
                if mode == "merge":
                    if (pdir / PART_FILE).exists():
                        table, updated, kept = _merge(pq.read_table(pdir / PART_FILE, schema=ds.file_schema), table, ds)
                    else:
                        updated, kept = 0, 0
                    result.rows_updated += updated
                    result.rows_kept += kept
                    result.rows_added += len(part) - updated
                self._stage_partition(txn, table, pdir)
                result.rows_written += len(part)
                result.partitions.append(str(pdir.relative_to(self.root)))
            if txn.entries:
                self._commit_journal(txn)
                self._publish(txn)
            else:
                shutil.rmtree(txn.dir, ignore_errors=True)
        return result

    # -- publish: stage aside, commit one journal, rename into place ----------------------
    # Kept as separate steps so a different filesystem layer can replace each one.
    def _txn_root(self, ds: Dataset | str) -> Path:
        return self.root / TXN_DIR / (ds if isinstance(ds, str) else ds.name)

    def _begin(self, ds: Dataset) -> _Txn:
        txid = f"{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}"
        tdir = self._txn_root(ds) / txid
        tdir.mkdir(parents=True, exist_ok=False)
        return _Txn(txid=txid, dir=tdir, journal=self._txn_root(ds) / f"{txid}{JOURNAL_SUFFIX}")

    def _stage_partition(self, txn: _Txn, table: pa.Table, pdir: Path) -> None:
        """Write one partition's new file aside (fsynced, row count verified); nothing visible yet."""
        staged = txn.dir / f"p{len(txn.entries):06d}.parquet"
        pq.write_table(table, staged, compression="zstd")
        with open(staged, "rb") as fh:
            os.fsync(fh.fileno())
        written = pq.ParquetFile(staged).metadata.num_rows
        if written != table.num_rows:
            raise LakeError(f"{staged}: wrote {written} rows, expected {table.num_rows}")
        txn.entries.append((staged.name, str((pdir / PART_FILE).relative_to(self.root))))
        _crash_point("staged")

    def _commit_journal(self, txn: _Txn) -> None:
        """The commit point: one atomic rename of the journal that lists every staged partition."""
        tmp = txn.journal.with_name(f"{txn.journal.name}.tmp")  # never matches the journal glob
        body = json.dumps({"txid": txn.txid, "dir": txn.dir.name, "partitions": txn.entries})
        with open(tmp, "w") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        _crash_point("journal_written")
        os.replace(tmp, txn.journal)
        _fsync_dir(txn.journal.parent)
        _crash_point("committed")

    def _publish(self, txn: _Txn) -> None:
        """Roll a committed journal forward: rename each staged file over its partition file.

        Idempotent: an entry already renamed (its staged file is gone) is skipped, so a restart
        after a crash anywhere in here finishes the job.
        """
        with open(self._publish_lock_path(self._txn_ds_name(txn)), "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)  # readers in `reading()` see all of these renames or none
            try:
                for staged_name, target_rel in txn.entries:
                    staged, target = txn.dir / staged_name, self.root / target_rel
                    if staged.exists():
                        target.parent.mkdir(parents=True, exist_ok=True)
                        os.replace(staged, target)
                        _crash_point("published")
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        for d in {(self.root / t).parent for _, t in txn.entries}:
            _fsync_dir(d)
        txn.journal.unlink(missing_ok=True)
        _crash_point("journal_removed")
        shutil.rmtree(txn.dir, ignore_errors=True)

    def _txn_ds_name(self, txn: _Txn) -> str:
        """The dataset a transaction belongs to (its journal lives in ``.txn/<dataset>/``)."""
        return txn.journal.parent.name

    def _recover_locked(self, ds: Dataset | str) -> int:
        """Finish committed writes and discard uncommitted ones (caller holds the lock)."""
        troot = self._txn_root(ds)
        if not troot.exists():
            return 0
        done = 0
        for journal in sorted(troot.glob(f"*{JOURNAL_SUFFIX}")):
            body = json.loads(journal.read_text())
            txn = _Txn(txid=body["txid"], dir=troot / body["dir"], journal=journal,
                       entries=[(a, b) for a, b in body["partitions"]])
            log.warning("%s: rolling forward an interrupted write (%s, %d partition(s))",
                        troot.name, txn.txid, len(txn.entries))
            self._publish(txn)
            done += 1
        for leftover in troot.iterdir():  # staged files of a write that never committed
            log.warning("%s: removing %s left by an interrupted write", troot.name, leftover)
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
        return done

    def recover(self, ds: Dataset | str) -> int:
        """Roll forward a write interrupted after its commit point (cheap when there is none).

        Readers call this first so they never see a half-published write. Returns how many
        interrupted writes were finished.
        """
        troot = self._txn_root(ds)
        if not troot.exists() or not any(troot.glob(f"*{JOURNAL_SUFFIX}")):
            return 0
        ds = get_dataset(ds) if isinstance(ds, str) else ds
        with self._lock(ds):
            return self._recover_locked(ds)

    def _clean_leftovers(self, ds: Dataset) -> None:
        """Remove ``.tmp-*`` files an older writer (one temp file per partition) left behind."""
        d = self.dataset_dir(ds)
        if not d.exists():
            return
        for tmp in d.rglob(".tmp-*"):
            log.warning("%s: removing leftover temp file %s", ds.name, tmp)
            tmp.unlink(missing_ok=True)

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
        with self.reading(ds):
            if not self._list_files(ds):
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
        with self.reading(ds):
            for f in self._list_files(ds):
                rel = f.parent.relative_to(self.dataset_dir(ds))
                out.append({"partition": str(rel), "rows": pq.ParquetFile(f).metadata.num_rows,
                            "bytes": f.stat().st_size})
        return out

    def row_count(self, ds: Dataset | str) -> int:
        return sum(p["rows"] for p in self.partitions(ds))


def _merge(old: pa.Table, new: pa.Table, ds: Dataset) -> tuple[pa.Table, int, int]:
    """Stored rows merged with new ones by key, newest winning. Returns (table, updated, kept)."""
    if not ds.key:
        return pa.concat_tables([old, new]), 0, old.num_rows
    keys = [k for k in ds.key if k in new.column_names]
    old_df, new_df = old.to_pandas(), new.to_pandas()
    seen = old_df[keys].merge(new_df[keys].drop_duplicates(), on=keys, how="inner")
    updated = len(seen.drop_duplicates())
    combined = pd.concat([old_df, new_df], ignore_index=True).drop_duplicates(subset=keys, keep="last")
    return _to_table(combined, ds.file_schema), updated, len(old_df) - updated


@dataclass
class _Txn:
    """One write in progress: its staging folder, its journal and the (staged, target) pairs."""

    txid: str
    dir: Path
    journal: Path
    entries: list[tuple[str, str]] = field(default_factory=list)


def _open_lock_file(path: Path):  # noqa: ANN202 - a text file object or None
    """The lock file opened for flock: created when the lake is writable, opened read-only when
    it exists but is not, None when neither (nothing can be writing there)."""
    for mode in ("a", "r"):
        try:
            return open(path, mode)  # noqa: SIM115 - closed by the caller's ExitStack
        except OSError:
            continue
    return None


def _fsync_dir(path: Path) -> None:
    """Make renames in ``path`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
