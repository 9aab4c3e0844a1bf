"""Forecasts as a source: the documented CSV import (quarantine with reasons), the strict reader,
the as-of rule, NWS API parsing and the offline ingest task."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from kalshi_edge.config import PROJECT_ROOT

SAMPLE = Path(PROJECT_ROOT) / "data" / "sample" / "weather" / "forecasts_KNYC_2025-07-04_2025-12-20.csv"
NWS = Path(__file__).resolve().parents[1] / "fixtures" / "weather" / "nws_api"


def _real_rows(n: int) -> list[str]:
    lines = SAMPLE.read_text().splitlines()
    return lines[: n + 1]


def test_import_forecasts_quarantines_bad_rows_with_reason_and_rerun_is_idempotent(tmp_path, lake):
    from kalshi_edge.families.weather.datasets import FORECASTS
    from kalshi_edge.families.weather.forecasts import import_forecasts

    # 100 real rows + 3 corrupted copies (synthetic: the real file has no bad rows)
    lines = _real_rows(100)
    lines += ["2025-07-05T10:00:00Z,KNYC,2025-07-06,hot,nws_point,",  # high not a number
              "2025-07-05T10:00:00Z,KNYC,2025-13-06,80,nws_point,",  # no such date
              "2025-07-10T10:00:00Z,KNYC,2025-07-06,80,nws_point,"]  # issued 4 days after its day
    csv = tmp_path / "f.csv"
    csv.write_text("\n".join(lines) + "\n")
    res = import_forecasts(csv, lake)
    assert (res.rows_written, res.rows_quarantined) == (100, 3)
    q = pd.read_parquet(res.quarantine_file)
    assert list(q["_source_row"]) == [101, 102, 103]
    assert "forecast_high_f: cannot convert 'hot'" in q["_reason"].iloc[0]
    assert "target_date" in q["_reason"].iloc[1]
    assert q["_reason"].iloc[2] == "issued_at more than a day after the target day"
    first = lake.read(FORECASTS).sort_values(["target_date", "issued_at", "source"]).reset_index(drop=True)
    assert len(first) == 100 and set(first["source"]) <= {"nws_point", "accuweather"}
    import_forecasts(csv, lake)  # merge on the key: same rows again
    again = lake.read(FORECASTS).sort_values(["target_date", "issued_at", "source"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(first, again)


def test_strict_reader_names_file_row_and_field(tmp_path):
    from kalshi_edge.families.weather.forecasts import ForecastFileError, read_forecasts_csv

    lines = _real_rows(3) + ["2025-07-05T10:00:00Z,KNYC,2025-07-06,,nws_point,"]
    csv = tmp_path / "f.csv"
    csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(ForecastFileError, match=r"f\.csv: row 4: field 'forecast_high_f'"):
        read_forecasts_csv(csv)


def test_a_forecast_is_usable_only_strictly_after_it_was_issued():
    from kalshi_edge.families.weather.forecasts import latest_before, read_forecasts_csv

    fc = read_forecasts_csv(SAMPLE)
    day = pd.Timestamp("2025-07-04")
    issued = pd.Timestamp("2025-07-04T13:07:17Z")  # the 83 °F update (real row 4)
    assert latest_before(fc, day, issued)["forecast_high_f"] == 85  # not yet usable at its own stamp
    assert latest_before(fc, day, issued + pd.Timedelta(seconds=1))["forecast_high_f"] == 83
    assert latest_before(fc, day, pd.Timestamp("2025-07-03T22:44:36Z")) is None


def test_nws_points_forecast_and_gridpoint_parse_to_documented_rows():
    from kalshi_edge.sources.nws_forecast import fetch_forecast_rows

    payloads = {
        "https://api.weather.gov/points/40.7789,-73.9692": "points_KNYC.json",
        "https://api.weather.gov/gridpoints/OKX/33,37/forecast": "forecast_OKX_33_37.json",
        "https://api.weather.gov/gridpoints/OKX/33,37": "gridpoint_OKX_33_37.json",
    }
    seen = []

    class Resp:
        def __init__(self, body):
            self._body = body

        def raise_for_status(self):
            return None

        def json(self):
            return self._body

    class Session:
        def get(self, url, headers, timeout):
            seen.append((url, headers["User-Agent"]))
            return Resp(json.loads((NWS / payloads[url]).read_text()))

    rows = fetch_forecast_rows("KNYC", session=Session())
    assert [u for u, _ in seen] == list(payloads)
    assert all(ua for _, ua in seen)  # api.weather.gov refuses requests without a User-Agent
    point = rows[rows["source"] == "nws_point"]
    assert list(point["target_date"]) == ["2025-07-04", "2025-07-05"]  # daytime periods only
    assert list(point["forecast_high_f"]) == [85.0, 85.0]
    assert point["detail"].iloc[0].startswith("Sunny. High near 85")
    grid = rows[rows["source"] == "nws_grid"]
    assert list(grid["forecast_high_f"]) == [85.0, 85.0]  # 29.44 °C
    hourly = rows[rows["source"] == "nws_grid_hourly"]  # only the climate day the grid fully covers
    assert list(hourly["target_date"]) == ["2025-07-04"] and list(hourly["forecast_high_f"]) == [85.0]
    assert (rows["issued_at"] == pd.Timestamp("2025-07-03T22:30:00Z")).all()


def test_nws_payload_without_periods_is_refused():
    from kalshi_edge.sources.nws_forecast import NwsPayloadError, parse_forecast_periods

    with pytest.raises(NwsPayloadError, match="periods"):
        parse_forecast_periods({"properties": {"updateTime": "2025-07-03T22:30:00+00:00"}}, station="KNYC",
                               tz="America/New_York")


def test_offline_ingest_task_replays_only_rows_issued_by_the_logical_day(lake):
    from kalshi_edge.families.weather.datasets import FORECASTS
    from kalshi_edge.families.weather.tasks import forecast_ingest

    out = forecast_ingest("2025-07-05T05:30:00+00:00", {"offline": True})
    assert list(out.values())[0]["rows_quarantined"] == 0
    rows = lake.read(FORECASTS)
    assert len(rows) > 0 and (pd.to_datetime(rows["issued_at"], utc=True) < pd.Timestamp("2025-07-06", tz="UTC")).all()
    n = len(rows)
    forecast_ingest("2025-07-05T05:30:00+00:00", {"offline": True})
    assert len(lake.read(FORECASTS)) == n


def test_actuals_read_either_the_tmax_or_the_cli_layout():
    from kalshi_edge.families.weather.forecasts import read_actuals_csv

    cli = read_actuals_csv(SAMPLE.with_name("cli_actuals_KNYC_2025-07-02_2025-12-20.csv"), "KNYC")
    assert len(cli) == 163 and cli[pd.Timestamp("2025-07-02")] == 84.0
    tmax = read_actuals_csv(SAMPLE.with_name("tmax_KNYC.csv.gz"), "KNYC")
    assert tmax.index.min() == pd.Timestamp("1997-01-01") and tmax.notna().all()


def test_climate_day_max_catches_a_high_just_after_local_standard_midnight():
    from kalshi_edge.sources.nws_forecast import parse_grid_climate_day_max

    # synthetic: 38 °F in the first hour of the climate day (00:00-01:00 EST), 30 °F afterwards
    grid = {"properties": {"updateTime": "2025-12-07T18:00:00+00:00", "temperature": {"uom": "wmoUnit:degF", "values": [
        {"validTime": "2025-12-08T05:00:00+00:00/PT1H", "value": 38},
        {"validTime": "2025-12-08T06:00:00+00:00/PT23H", "value": 30}]}}}
    rows = parse_grid_climate_day_max(grid, station="KNYC", std_utc_offset_hours=-5)
    assert list(rows["target_date"]) == ["2025-12-08"] and list(rows["forecast_high_f"]) == [38.0]


def test_import_forecasts_cli_on_the_documented_layout(capsys):
    from kalshi_edge.cli.main import main

    assert main(["weather", "import-forecasts", "--csv", str(SAMPLE)]) == 0
    assert "forecasts: 1045 rows written, 0 quarantined" in capsys.readouterr().out
    assert main(["weather", "import-forecasts", "--csv", str(SAMPLE.with_name("nope.csv"))]) == 2
