"""Chart import into the lake (validation + quarantine), JSON-archive backfill, billboard.py mapping.

The archive payloads in tests/fixtures/billboard/archive/date/ are rebuilt from REAL rows of the shared
1958-2023 CSV in the archive's exact format ({"date", "data": [{song, artist, this_week, last_week,
peak_position, weeks_on_chart}]}); 1958-08-04.json matches the archive's own file for that date
character for character (12,595 chars). They are served by a local HTTP server, never the internet.
"""

from __future__ import annotations

import functools
import http.server
import threading
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from kalshi_edge.families.billboard.ingest import (
    backfill,
    import_charts_csv,
    read_lake_charts,
    weekly_update,
)
from kalshi_edge.lake import Lake
from kalshi_edge.sources.charts import (
    ChartFormatError,
    archive_payload_to_frame,
    chart_from_billboard_py,
    read_charts_csv,
)

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "billboard"


@pytest.fixture()
def lake(tmp_path):
    return Lake(root=tmp_path / "lake", quarantine=tmp_path / "quarantine")


@pytest.fixture(scope="module")
def archive_server():
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(FIX / "archive"))

    class Quiet(handler.func):  # type: ignore[misc,name-defined]
        def log_message(self, *args):  # keep pytest output clean
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(FIX / "archive")))
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/date/{{date}}.json"
    srv.shutdown()


def test_import_csv_roundtrip(lake):
    res = import_charts_csv(lake, FIX / "hot100_2021_2023.csv.gz")
    assert res["rows_written"] == 15700 and res["rows_quarantined"] == 0 and res["weeks"] == 157
    back = read_lake_charts(lake)
    pd.testing.assert_frame_equal(back, read_charts_csv(FIX / "hot100_2021_2023.csv.gz"))
    # idempotent: importing again keeps one row per (chart_date, rank)
    import_charts_csv(lake, FIX / "hot100_2021_2023.csv.gz")
    assert len(read_lake_charts(lake)) == 15700
    assert len(read_lake_charts(lake, before=date(2021, 1, 5))) == 100


def test_import_quarantines_bad_rows_with_reason(lake, tmp_path):
    # Synthetic damage (the real data has none): one unparsable rank, one out-of-range rank,
    # one duplicate (date, rank), one peak worse than the current rank. Other rows are real.
    real = pd.read_csv(FIX / "hot100_2021_2023.csv.gz", dtype=str, keep_default_na=False).head(200)
    bad = real.copy()
    bad.loc[3, "this_week"] = "four"
    bad.loc[5, "this_week"] = "101"
    bad.loc[7] = bad.loc[6]  # an exact duplicate line
    bad.loc[9, "peak_position"] = "50"
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    res = import_charts_csv(lake, path)
    assert res["rows_quarantined"] == 4 and res["rows_written"] == 196
    q = pd.read_parquet(res["quarantine_file"])
    reasons = dict(zip(q["_source_row"], q["_reason"], strict=True))
    assert "this_week" in reasons[4] and "four" in reasons[4]  # data rows from 1: frame row 3 is row 4
    assert "this_week" in reasons[6]
    assert "duplicate" in reasons[8]
    assert "peak" in reasons[10]


def test_backfill_from_local_archive(lake, archive_server):
    seen: list[tuple[date, bool]] = []
    res = backfill(lake, date(2023, 12, 10), date(2024, 1, 6), url_template=archive_server,
                   on_week=lambda d, ok: seen.append((d, ok)))
    # Saturdays 12-16, 12-23, 12-30 exist; 2024-01-06 is not in the archive copy (404) and is skipped
    assert seen == [(date(2023, 12, 16), True), (date(2023, 12, 23), True), (date(2023, 12, 30), True),
                    (date(2024, 1, 6), False)]
    assert res["weeks"] == 3 and res["rows_written"] == 300
    got = read_lake_charts(lake)
    want = read_charts_csv(FIX / "hot100_2021_2023.csv.gz")
    want = want[want["chart_date"] >= "2023-12-16"].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)


def test_archive_payload_errors_name_the_field():
    with pytest.raises(ChartFormatError, match="'data' list"):
        archive_payload_to_frame({"date": "2023-12-30"}, "x.json")
    with pytest.raises(ChartFormatError, match="row 1 field this_week: 'None'"):
        archive_payload_to_frame({"date": "2023-12-30", "data": [
            {"song": "S", "artist": "A", "this_week": None, "last_week": None, "peak_position": 1, "weeks_on_chart": 1}]},
            "x.json")


def test_billboard_py_chartdata_mapping(lake):
    # No recorded billboard.com page exists in the project: build billboard.py ChartEntry objects from
    # REAL rows (the 2023-12-30 chart) and check the mapping + the weekly update into the lake.
    import billboard

    real = read_charts_csv(FIX / "hot100_2021_2023.csv.gz")
    week = real[real["chart_date"] == "2023-12-30"]

    class FakeChart:
        date = "2023-12-30"
        entries = [billboard.ChartEntry(r.song, r.artist, None, int(r.peak_position),
                                        0 if pd.isna(r.last_week) else int(r.last_week),
                                        int(r.weeks_on_chart), int(r.this_week), int(r.weeks_on_chart) == 1)
                   for r in week.itertuples()]

    frame = chart_from_billboard_py(FakeChart())
    pd.testing.assert_frame_equal(frame, week.reset_index(drop=True))
    res = weekly_update(lake, date(2023, 12, 30), fetch=lambda d: chart_from_billboard_py(FakeChart()))
    assert res["rows_written"] == 100 and res["chart_date"] == "2023-12-30"


@pytest.fixture()
def tmp_settings(tmp_path, monkeypatch):
    from kalshi_edge.config import get_settings

    monkeypatch.setenv("KALSHI_EDGE_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()  # later tests must not see this tmp data dir


def test_cli_import_and_backfill(tmp_path, tmp_settings, cli, archive_server):

    lake = Lake.from_settings(tmp_settings)
    assert str(lake.root).startswith(str(tmp_path)), "settings must point the lake into tmp_path"
    assert cli(["billboard", "import", "--charts", str(FIX / "featuring_credit_change.csv")]) == 0
    assert cli(["billboard", "backfill", "--from", "2023-12-20", "--to", "2023-12-31", "--url", archive_server]) == 0
    got = read_lake_charts(lake)
    assert set(got["chart_date"]) >= {"2023-12-23", "2023-12-30", "2023-06-03"}
    assert cli(["billboard", "backfill", "--from", "2023-12-20", "--url", "http://127.0.0.1:1/x.json"]) == 2
    assert cli(["billboard", "import", "--charts", str(tmp_path / "missing.csv")]) == 2
