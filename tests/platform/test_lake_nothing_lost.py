"""Nothing lost, nothing half-done (issue #12): merge semantics for partial imports, one atomic
publish for a multi-partition write (killed at every step), leftover cleanup, values in range."""

from __future__ import annotations

import gzip
import multiprocessing as mp
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kalshi_edge.cli.main import main
from kalshi_edge.families.btc.datasets import BTC_BARS
from kalshi_edge.families.btc.ingest import import_bars_csv
from kalshi_edge.lake import Check, Dataset, Lake
from kalshi_edge.lake import writer as lake_writer

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_BARS = ROOT / "data/sample/btc/btcusd_5m_2026-02-21_2026-03-06.csv.gz"


def _bars_lines() -> list[str]:
    with gzip.open(SAMPLE_BARS, "rt") as fh:
        return fh.readlines()


def _part_csv(tmp_path: Path, day: str, n: int) -> Path:
    """The first ``n`` real bars of one UTC day (a file that covers part of a stored day)."""
    lines = _bars_lines()
    rows = [ln for ln in lines[1:] if ln.startswith(day)][:n]
    p = tmp_path / "part.csv"
    p.write_text(lines[0] + "".join(rows))
    return p


def _day_rows(lake: Lake, day: str) -> int:
    return sum(p["rows"] for p in lake.partitions(BTC_BARS) if p["partition"].endswith(f"date={day}"))


# ----------------------------------------------------------------------------- merge semantics
def test_partial_bars_import_keeps_the_rest_of_the_stored_day(lake, tmp_path, capsys):
    # The reproduction: 4,032 stored bars, then `btc import --bars part.csv` with 11 bars
    # of 2026-02-22 used to leave that day with 11 rows (3,755 in all).
    import_bars_csv(lake, SAMPLE_BARS)
    assert lake.row_count(BTC_BARS) == 4032 and _day_rows(lake, "2026-02-22") == 288
    part = _part_csv(tmp_path, "2026-02-22", 11)

    assert main(["btc", "import", "--bars", str(part)]) == 0

    assert lake.row_count(BTC_BARS) == 4032
    assert _day_rows(lake, "2026-02-22") == 288
    err = " ".join(capsys.readouterr().err.split())
    assert "merged by key into 1 partition(s) of btc_bars: 0 row(s) added, 11 updated, 277 stored row(s)" in err


def test_partial_import_updates_the_rows_it_brings(lake, tmp_path):
    import_bars_csv(lake, SAMPLE_BARS)
    lines = _bars_lines()
    first = lines[1].split(",")
    first[4] = "12345.5"  # a corrected close for the first bar
    p = tmp_path / "fix.csv"
    p.write_text(lines[0] + ",".join(first) + lines[2])

    res = import_bars_csv(lake, p)

    assert res.stored.startswith("merged") and lake.row_count(BTC_BARS) == 4032
    got = lake.read(BTC_BARS, where="date = '2026-02-21'").sort_values("ts")
    assert got["close"].iloc[0] == 12345.5 and len(got) == 288


def test_logical_date_reingest_replaces_its_partition(lake, tmp_path):
    import_bars_csv(lake, SAMPLE_BARS)
    part = _part_csv(tmp_path, "2026-02-22", 11)

    res = import_bars_csv(lake, part, day=pd.Timestamp("2026-02-22").date())

    assert res.stored.startswith("replaced 1 partition(s)")
    assert _day_rows(lake, "2026-02-22") == 11
    assert lake.row_count(BTC_BARS) == 4032 - 288 + 11


# ----------------------------------------------------------------------------- atomic publish
KILL_DS = Dataset(
    name="t_kill_multi",
    schema=pa.schema([("day", pa.string()), ("k", pa.int64()), ("v", pa.float64())]),
    partition_by=("day",),
    key=("day", "k"),
)
DAYS = [f"2026-01-0{i}" for i in range(1, 5)]


def _version(v: float, extra_day: bool = False) -> pd.DataFrame:
    days = DAYS + (["2026-01-09"] if extra_day else [])
    return pd.DataFrame([{"day": d, "k": k, "v": v + k} for d in days for k in range(20)])


def _snapshot(lake: Lake) -> list[tuple]:
    df = lake.read(KILL_DS)
    return sorted(df.itertuples(index=False, name=None))


def _write_and_die_at(root: str, n: int) -> None:
    """Child: replace every partition (and add one), dying hard at the n-th publish step."""
    calls = {"n": 0}

    def crash(name: str) -> None:
        calls["n"] += 1
        if calls["n"] == n:
            os._exit(137)  # like SIGKILL: no cleanup, no exception handlers

    lake_writer._crash_point = crash
    Lake(Path(root)).write(KILL_DS, _version(100.0, extra_day=True), mode="replace")
    os._exit(0)


def _count_crash_points(tmp_path: Path) -> int:
    lake = Lake(tmp_path / "count")
    lake.write(KILL_DS, _version(0.0))
    seen: list[str] = []
    orig = lake_writer._crash_point
    lake_writer._crash_point = seen.append
    try:
        lake.write(KILL_DS, _version(100.0, extra_day=True), mode="replace")
    finally:
        lake_writer._crash_point = orig
    return len(seen)


@pytest.mark.slow
def test_a_multi_partition_write_killed_at_any_step_leaves_old_or_new_exactly(tmp_path):
    points = _count_crash_points(tmp_path)
    assert points >= 2 * (len(DAYS) + 1) + 2  # staged + published per partition, journal steps
    ref = Lake(tmp_path / "ref")
    ref.write(KILL_DS, _version(0.0))
    old = _snapshot(ref)
    ref.write(KILL_DS, _version(100.0, extra_day=True), mode="replace")
    new = _snapshot(ref)
    assert old != new
    outcomes = []
    for n in range(1, points + 1):
        lake = Lake(tmp_path / f"k{n}")
        lake.write(KILL_DS, _version(0.0))
        proc = mp.get_context("fork").Process(target=_write_and_die_at, args=(str(lake.root), n))
        proc.start()
        proc.join(60)
        assert proc.exitcode == 137, n

        got = _snapshot(Lake(lake.root))  # a fresh reader: recovery runs before it reads

        assert got in (old, new), f"killed at step {n}: a mix of old and new"
        outcomes.append("new" if got == new else "old")
        # The next write cleans whatever the dead writer left (staged files, journal).
        Lake(lake.root).write(KILL_DS, _version(5.0).head(1), mode="merge")
        assert list((lake.root / ".txn" / KILL_DS.name).iterdir()) == []
    # Before the commit point the old version survives; after it, the new one is rolled forward.
    assert outcomes[0] == "old" and outcomes[-1] == "new"
    assert outcomes == sorted(outcomes, key=lambda o: o == "new")


def test_leftover_temp_files_are_cleaned_on_the_next_write(tmp_path):
    lake = Lake(tmp_path / "lake")
    lake.write(KILL_DS, _version(0.0))
    pdir = lake.dataset_dir(KILL_DS) / "day=2026-01-03"
    stale = pdir / ".tmp-0123abcd.parquet"  # what the old per-partition writer left on a kill
    stale.write_bytes(b"PAR1 half a file")
    staged = lake.root / ".txn" / KILL_DS.name / "20260101T000000-dead"
    staged.mkdir(parents=True)
    (staged / "p000000.parquet").write_bytes(b"uncommitted")

    lake.write(KILL_DS, _version(1.0).head(3), mode="merge")

    assert not stale.exists() and not staged.exists()
    assert len(lake.read(KILL_DS)) == len(_version(0.0))


# ----------------------------------------------------------------------------- values in range
def _bars_with(tmp_path: Path, replacements: dict[int, tuple[int, str]]) -> Path:
    lines = _bars_lines()[:101]
    for i, (col, val) in replacements.items():
        cols = lines[i].rstrip("\n").split(",")
        cols[col] = val
        lines[i] = ",".join(cols) + "\n"
    p = tmp_path / "bad.csv"
    p.write_text("".join(lines))
    return p


def test_inf_and_absurd_prices_are_quarantined_with_the_reason(lake, tmp_path):
    src = _bars_with(tmp_path, {3: (4, "inf"), 7: (2, "1e300"), 9: (5, "-inf")})

    res = import_bars_csv(lake, src)

    assert res.rows_quarantined == 3 and res.rows_written == 97
    q = pd.read_parquet(res.quarantine_file)
    why = dict(zip(q["_source_row"], q["_reason"], strict=True))
    assert why[3].startswith("close: cannot convert 'inf' to double (not a finite number")
    assert why[7] == "high not > 0 and <= 10000000.0"
    assert why[9].startswith("volume: cannot convert '-inf'")
    stored = lake.read(BTC_BARS)
    assert stored[["open", "high", "low", "close"]].max().max() < 1e7 and stored["volume"].max() < 1e15


@pytest.mark.parametrize("value", ["inf", "1e300"])
def test_btc_evaluate_refuses_non_finite_and_absurd_prices(tmp_path, capsys, value):
    src = _bars_with(tmp_path, {5: (4, value)})

    code = main(["btc", "evaluate", "--bars", str(src), "--out", str(tmp_path / "o.csv")])

    err = capsys.readouterr().err.strip()
    assert code == 2 and "Traceback" not in err and len(err.splitlines()) == 1
    assert f"{src}: row 5 field close:" in err


def test_an_integer_beyond_its_type_is_quarantined_not_a_crash(tmp_path):
    ds = Dataset(name="t_int_range", schema=pa.schema([("k", pa.int64()), ("n", pa.int32())]), key=("k",),
                 checks=(Check.not_null("k"),))
    lake = Lake(tmp_path / "lake", max_bad_fraction=0.9)
    res = lake.write(ds, pd.DataFrame({"k": ["1", "2", "3", "1e300"], "n": ["5", "99999999999", "inf", "1"]}))
    assert res.rows_written == 1 and res.rows_quarantined == 3
    q = pd.read_parquet(res.quarantine_file)
    assert sorted(q["_source_row"]) == [2, 3, 4]
    assert all("not a finite number in the type's range" in r for r in q["_reason"])


# ----------------------------------------------------------------------------- lake query read-only
@pytest.fixture
def catalog(lake):
    import_bars_csv(lake, SAMPLE_BARS)
    from kalshi_edge.lake.catalog import refresh_catalog

    refresh_catalog(lake)
    return lake


def test_lake_query_reads_the_lake(catalog, capsys):
    assert main(["lake", "query", "SELECT COUNT(*) AS n FROM btc_bars"]) == 0
    assert "4032" in capsys.readouterr().out


@pytest.mark.parametrize("sql", [
    "COPY (SELECT 1 AS x) TO '{out}'",
    "COPY (SELECT 1 AS x) TO '{inside}'",  # not even inside the lake
    "SELECT 1; COPY (SELECT 1 AS x) TO '{out}'",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_csv('/etc/hostname')",
    "SELECT * FROM glob('/etc/*')",
    "ATTACH '{out}.duckdb' AS other",
    "SET enable_external_access = true",
    "CREATE TABLE t AS SELECT 1",
])
def test_lake_query_refuses_writes_and_foreign_files(catalog, tmp_path, capsys, sql):
    out, inside = tmp_path / "out.csv", catalog.root / "out.csv"

    code = main(["lake", "query", sql.format(out=out, inside=inside)])

    err = capsys.readouterr().err.strip()
    assert code == 2 and "Traceback" not in err and len(err.splitlines()) == 1
    assert not out.exists() and not inside.exists() and not Path(f"{out}.duckdb").exists()


def _import_and_sigkill_after(root: str, src: str, delay_s: float) -> None:
    """Child: import a whole new version of the bars; SIGKILL ourselves ``delay_s`` into it."""
    import signal
    import threading

    threading.Timer(delay_s, lambda: os.kill(os.getpid(), signal.SIGKILL)).start()
    Lake(Path(root), quarantine=Path(root).parent / "q").write(BTC_BARS, pd.read_pickle(src), source="new",
                                                                mode="replace")
    os._exit(0)


def _bars_snapshot(lake: Lake) -> list[tuple]:
    df = lake.read(BTC_BARS, columns=["ts", "close", "date"])
    return sorted(df.itertuples(index=False, name=None))


@pytest.mark.slow
def test_sigkill_at_random_moments_of_a_14_partition_import_leaves_old_or_new(tmp_path):
    import time

    from kalshi_edge.families.btc.bars import parse_bars_frame, read_raw_csv
    from kalshi_edge.families.btc.ingest import bars_to_lake_frame

    frame = bars_to_lake_frame(parse_bars_frame(read_raw_csv(SAMPLE_BARS), "s"), source="s", interval="5m")
    new = frame.assign(close=frame["close"] + 1.0)
    src = tmp_path / "new.pkl"
    new.to_pickle(src)
    ref = Lake(tmp_path / "ref" / "lake")
    ref.write(BTC_BARS, frame)
    old_rows = _bars_snapshot(ref)
    t0 = time.perf_counter()
    ref.write(BTC_BARS, new, mode="replace")
    took = time.perf_counter() - t0
    new_rows = _bars_snapshot(ref)
    seen = set()
    for k in range(5):
        lake = Lake(tmp_path / f"k{k}" / "lake")
        lake.write(BTC_BARS, frame)
        proc = mp.get_context("fork").Process(target=_import_and_sigkill_after,
                                              args=(str(lake.root), str(src), took * k / 4))
        proc.start()
        proc.join(60)
        got = _bars_snapshot(Lake(lake.root))
        assert got in (old_rows, new_rows), f"SIGKILL after {took * k / 4:.3f}s: a mix"
        seen.add((proc.exitcode, got == new_rows))
    assert any(code == -9 for code, _ in seen)  # some kills did land mid-write


def test_bars_stored_before_values_were_bounded_are_refused_by_the_model_reader(lake):
    from kalshi_edge.families.btc.bars import BarsError
    from kalshi_edge.families.btc.ingest import read_lake_bars

    import_bars_csv(lake, SAMPLE_BARS)
    day = lake.dataset_dir(BTC_BARS) / "interval=5m" / "date=2026-02-23" / "part-0.parquet"
    table = pq.read_table(day)
    close = table.column("close").to_pylist()
    close[7] = float("inf")  # what an older version let through
    pq.write_table(table.set_column(table.schema.get_field_index("close"), "close", pa.array(close)), day)

    with pytest.raises(BarsError, match=r"1 stored bar value\(s\) out of range, first at ts 2026-02-23 00:35:00"):
        read_lake_bars(lake, interval="5m")
