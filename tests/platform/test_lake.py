"""The lake's write path: idempotent partitions, atomic replace, quarantine with reasons."""

from __future__ import annotations

import gzip
import multiprocessing as mp
import os
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from kalshi_edge.config import SAMPLE_DIR
from kalshi_edge.lake import Lake, LakeError, ValidationFailed
from kalshi_edge.lake.catalog import query, refresh_catalog
from kalshi_edge.lake.quality import validate_frame
from kalshi_edge.sources.datasets import KALSHI_SETTLED_TEMPS
from kalshi_edge.sources.kalshi_history import import_settled_contracts

SAMPLE = SAMPLE_DIR / "kalshi_history" / "highest_temp_settled_2024H2.csv.gz"


def _real_rows(n: int) -> list[str]:
    with gzip.open(SAMPLE, "rt") as fh:
        return [next(fh) for _ in range(n + 1)]  # header + n real rows (July 2024 starts later)


def _write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(lines))
    return path


def test_reimporting_the_same_month_replaces_instead_of_appending(lake):
    first = import_settled_contracts(lake, SAMPLE, month=pd.Timestamp("2024-07-01").date())
    count = lake.row_count(KALSHI_SETTLED_TEMPS)
    again = import_settled_contracts(lake, SAMPLE, month=pd.Timestamp("2024-07-01").date())
    assert first.rows_written == again.rows_written > 300
    assert lake.row_count(KALSHI_SETTLED_TEMPS) == count == first.rows_written
    assert [p["partition"] for p in lake.partitions(KALSHI_SETTLED_TEMPS)] == ["month=2024-07"]


def test_malformed_rows_are_quarantined_with_reason_and_the_rest_stored(lake, tmp_path):
    lines = _real_rows(40)
    # Corrupt two real rows: an impossible price and an unparseable date.
    cols = lines[5].split(",")
    cols[7] = "250"
    lines[5] = ",".join(cols)
    lines[9] = "2024-13-45" + lines[9][10:]
    src = _write_csv(tmp_path / "settled.csv", lines)

    res = import_settled_contracts(lake, src, max_bad_fraction=0.1)

    assert res.rows_in == 40 and res.rows_written == 38 and res.rows_quarantined == 2
    q = pd.read_parquet(res.quarantine_file)
    by_row = dict(zip(q["_source_row"], q["_reason"], strict=True))
    assert by_row[5] == "last_price_cents not >= 0 and <= 100"  # data row 5 = lines[5] (lines[0]: header)
    assert by_row[9].startswith("date: cannot convert '2024-13-45'")
    assert set(q["_source"]) == {str(src)}
    assert lake.row_count(KALSHI_SETTLED_TEMPS) == 38


def test_too_many_bad_rows_fails_loudly_and_keeps_what_was_stored(lake, tmp_path):
    import_settled_contracts(lake, SAMPLE, month=pd.Timestamp("2024-07-01").date())
    before = lake.read(KALSHI_SETTLED_TEMPS)
    lines = _real_rows(10)
    lines[1:] = [ln.replace(",yes,", ",maybe,").replace(",no,", ",maybe,") for ln in lines[1:]]
    src = _write_csv(tmp_path / "bad.csv", lines)
    with pytest.raises(ValidationFailed, match=r"10 of 10 rows .* failed validation.*row 2: result not in"):
        import_settled_contracts(lake, src)
    pd.testing.assert_frame_equal(lake.read(KALSHI_SETTLED_TEMPS), before)


def test_missing_column_names_the_file_and_column(lake, tmp_path):
    src = _write_csv(tmp_path / "x.csv", ["date,city\n", "2024-07-01,NYC\n"])
    with pytest.raises(LakeError, match=r"x\.csv: missing column\(s\) series"):
        import_settled_contracts(lake, src)


def _write_then_die(root: str, sample: str) -> None:
    """Child process: start replacing a partition, die hard at the moment of the rename."""
    import os as _os

    lake = Lake(Path(root))

    def killed(*_a, **_k):
        _os._exit(137)  # like SIGKILL: no cleanup, no exception handlers

    _os.replace = killed
    import_settled_contracts(lake, Path(sample), month=pd.Timestamp("2024-07-01").date())


def test_a_write_killed_halfway_leaves_the_previous_partition_intact(tmp_path):
    lake = Lake(tmp_path / "lake")
    import_settled_contracts(lake, SAMPLE, month=pd.Timestamp("2024-07-01").date())
    before = lake.read(KALSHI_SETTLED_TEMPS)
    part = lake.files(KALSHI_SETTLED_TEMPS)[0]
    before_bytes = part.read_bytes()
    # A different version of the month, so a half-applied replace would show.
    changed = tmp_path / "changed.csv"
    with gzip.open(SAMPLE, "rt") as fh:
        changed.write_text(fh.read().replace(",KXHIGHNY,", ",KXHIGHNYX,"))

    proc = mp.get_context("fork").Process(target=_write_then_die, args=(str(lake.root), str(changed)))
    proc.start()
    proc.join(60)
    assert proc.exitcode == 137

    assert part.read_bytes() == before_bytes
    pd.testing.assert_frame_equal(lake.read(KALSHI_SETTLED_TEMPS), before)
    assert pq.ParquetFile(part).metadata.num_rows == len(before)


def test_catalog_views_query_the_lake_and_ge_suite_agrees(lake):
    import_settled_contracts(lake, SAMPLE)
    assert "kalshi_settled_temps" in refresh_catalog(lake)
    df = query(lake, "SELECT series, COUNT(*) AS n FROM kalshi_settled_temps GROUP BY series ORDER BY series")
    assert list(df["series"]) == ["KXHIGHMIA", "KXHIGHNY"]
    assert int(df["n"].sum()) == lake.row_count(KALSHI_SETTLED_TEMPS)
    stored = lake.read(KALSHI_SETTLED_TEMPS)
    assert validate_frame(KALSHI_SETTLED_TEMPS, stored)["success"]
    broken = stored.copy()
    broken.loc[0, "result"] = "maybe"
    summary = validate_frame(KALSHI_SETTLED_TEMPS, broken)
    assert not summary["success"]
    assert {f["column"] for f in summary["failed"]} == {"result"}


def test_merge_mode_unions_a_partition_newest_wins(tmp_path):
    import pyarrow as pa

    from kalshi_edge.lake import Check, Dataset

    ds = Dataset(
        name="t_merge_obs",
        schema=pa.schema([("ts", pa.timestamp("us", tz="UTC")), ("tmax_f", pa.float64()), ("day", pa.string())]),
        partition_by=("day",),
        key=("ts",),
        checks=(Check.between("tmax_f", -80, 140),),
    )
    lake = Lake(tmp_path / "lake")
    lake.write(ds, pd.DataFrame({"ts": ["2026-01-01T00:00Z", "2026-01-01T00:05Z"], "tmax_f": [30, 31], "day": "2026-01-01"}))
    lake.write(
        ds,
        pd.DataFrame({"ts": ["2026-01-01T00:05Z", "2026-01-01T00:10Z"], "tmax_f": [32, 33], "day": "2026-01-01"}),
        mode="merge",
    )
    got = lake.read(ds).sort_values("ts")
    assert list(got["tmax_f"]) == [30.0, 32.0, 33.0]


def test_no_temp_files_are_left_behind(lake):
    import_settled_contracts(lake, SAMPLE)
    leftovers = [p for p in lake.root.rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == []
    assert os.path.isdir(lake.dataset_dir(KALSHI_SETTLED_TEMPS))
