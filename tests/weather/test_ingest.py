"""Importers into the lake: GHCN TMAX, IEM ASOS minutes (local stub), Visual Crossing fill detector."""

from __future__ import annotations

import gzip
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import numpy as np
import pandas as pd
import pytest

from kalshi_edge.cli.main import main
from kalshi_edge.config import get_settings
from kalshi_edge.families.weather.datasets import WEATHER_OBS, WEATHER_TMAX
from kalshi_edge.families.weather.ingest import import_tmax
from kalshi_edge.lake import Lake
from kalshi_edge.sources.iem import parse_asos1min_csv
from kalshi_edge.sources.visual_crossing import forward_fill_share, parse_timeline, refuse_filled_days


def test_import_tmax_quarantines_bad_rows(tmp_path, fixtures_dir):
    real = gzip.open(fixtures_dir / "tmax_KMIA.csv.gz", "rt").read().splitlines()[:366]  # header + 1997
    # synthetic bad rows (the real file has none): an impossible value and a duplicate date
    bad = ["1997-01-05,KMIA,USW00012839,212", real[1]]
    path = tmp_path / "tmax.csv"
    path.write_text("\n".join(real + bad) + "\n")
    assert main(["weather", "import", "--tmax", str(path)]) == 0
    lake = Lake.from_settings(get_settings())
    df = lake.read(WEATHER_TMAX)
    assert len(df) == 365 and df["tmax_f"].max() < 100
    res = import_tmax(path, lake)  # rerun: merge on key, same rows, same two quarantined
    assert res.rows_quarantined == 2 and res.quarantine_file
    assert len(lake.read(WEATHER_TMAX)) == 365


# A minimal local stand-in for IEM's asos1min.py. The CSV follows IEM's documented output
# (header "station,station_name,valid(UTC),tmpf", "M" for missing); the values are synthetic:
# no IEM download is recorded in the shared fixtures.
def _asos_csv(start: datetime, minutes: int) -> str:
    lines = ["station,station_name,valid(UTC),tmpf"]
    for i in range(minutes):
        t = start + timedelta(minutes=i)
        temp = 70 + 15 * np.sin(np.pi * i / minutes)
        val = "M" if i == 30 else f"{temp:.0f}"
        lines.append(f"MDW,CHICAGO_MIDWAY,{t:%Y-%m-%d %H:%M},{val}")
    lines.append(lines[5])  # a duplicated minute
    lines.append(f"MDW,CHICAGO_MIDWAY,{start + timedelta(minutes=minutes):%Y-%m-%d %H:%M},250")  # impossible
    return "\n".join(lines) + "\n"


@pytest.fixture()
def iem_stub():
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            u = urlparse(self.path)
            q = {k: v[0] for k, v in parse_qs(u.query).items()}
            seen.append(q)
            if u.path != "/cgi-bin/request/asos1min.py" or q.get("station") not in ("MDW", "NYC"):
                self.send_response(404)
                self.end_headers()
                return
            sts = datetime.strptime(q["sts"], "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
            ets = datetime.strptime(q["ets"], "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
            body = _asos_csv(sts, int((ets - sts).total_seconds() // 60) - 1).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()


def test_backfill_writes_climate_day_partitions_and_quarantines(iem_stub, capsys):
    url, seen = iem_stub
    rc = main(["weather", "backfill", "--station", "KMDW", "--from", "2026-07-09", "--to", "2026-07-09",
               "--base-url", url])
    assert rc == 0
    # the climate day of Chicago runs 06:00Z..06:00Z (CST = UTC-6), even in July
    assert seen[0]["sts"] == "2026-07-09T06:00Z" and seen[0]["ets"] == "2026-07-10T06:00Z"
    df = Lake.from_settings(get_settings()).read(WEATHER_OBS)
    assert set(df["climate_date"].astype(str)) == {"2026-07-09"}
    assert len(df) == 1439 - 1  # one minute missing ("M"); duplicate and 250 °F quarantined
    assert df["temp_f"].max() <= 85
    out = capsys.readouterr().out
    assert "2 quarantined" in out
    # rerun replaces the partition (idempotent)
    assert main(["weather", "backfill", "--station", "KMDW", "--from", "2026-07-09", "--to", "2026-07-09",
                 "--base-url", url]) == 0
    assert len(Lake.from_settings(get_settings()).read(WEATHER_OBS)) == len(df)


def test_parse_rejects_local_time_columns():
    with pytest.raises(ValueError, match="must be UTC"):
        parse_asos1min_csv("station,station_name,valid(America/Chicago),tmpf\nMDW,X,2026-07-09 00:00,70\n",
                           icao="KMDW")


def test_forward_fill_detector_refuses_stalled_days():
    # synthetic: the shared data hold no Visual Crossing payload. A live-looking day vs a day whose
    # feed stalled at 71 °F for six hours (72 filled 5-minute slots).
    rng = np.random.default_rng(0)
    live = 70 + np.cumsum(rng.choice([-1, 0, 1], size=288, p=[0.4, 0.2, 0.4]))
    stalled = live.copy()
    stalled[100:172] = 71
    assert forward_fill_share(live) < 0.05
    assert forward_fill_share(stalled) > 0.24
    start = datetime(2026, 7, 9, 5, tzinfo=UTC)
    ts = [start + timedelta(minutes=5 * i) for i in range(288)]
    obs = pd.concat([
        pd.DataFrame({"ts": ts, "temp_f": live, "station": "KMDW", "climate_date": "2026-07-09"}),
        pd.DataFrame({"ts": ts, "temp_f": stalled, "station": "KNYC", "climate_date": "2026-07-09"}),
    ], ignore_index=True)
    kept, report = refuse_filled_days(obs, threshold=0.2)
    assert set(kept["station"]) == {"KMDW"}
    assert report.set_index("station").loc["KNYC", "refused"]


def test_parse_timeline_nesting():
    payload = {"days": [{"hours": [{"minutes": [{"datetimeEpoch": 1783573200, "temp": 80.1},
                                                {"datetimeEpoch": 1783573500, "temp": None}]}]}]}
    df = parse_timeline(payload, icao="kmdw")
    assert len(df) == 1 and df["station"].iloc[0] == "KMDW" and df["ts"].iloc[0].tzinfo is not None


def test_intraday_task_uses_running_high_up_to_the_run_time(iem_stub):
    from kalshi_edge.families.weather import tasks
    from kalshi_edge.families.weather.datasets import WEATHER_FORECASTS
    from kalshi_edge.families.weather.ingest import backfill_iem

    url, _ = iem_stub
    s = get_settings()
    lake = Lake.from_settings(s)
    tasks.day_ahead(datetime(2026, 7, 9, 6, 0, tzinfo=UTC), {"offline": True, "stations": ["KNYC"], "stale_inputs": "warn"}, s)
    backfill_iem("KNYC", datetime(2026, 7, 9).date(), datetime(2026, 7, 9).date(), lake, base_url=url)
    # 17:00 UTC = 12:00 EST: the synthetic curve (70 + 15 sin) has reached 70 + 15 sin(pi*720/1439) ~ 85 at noon
    at = datetime(2026, 7, 9, 17, 0, tzinfo=UTC)
    out = tasks.intraday(at, {"stations": ["KNYC"]}, s)["KNYC"]
    obs = lake.read(WEATHER_OBS)
    seen = obs[pd.to_datetime(obs["ts"], utc=True) <= at]["temp_f"].max()
    assert out["running_high_f"] == int(round(seen))
    fc = lake.read(WEATHER_FORECASTS, where="kind = 'intraday'")
    assert fc["temp_f"].min() == out["running_high_f"] and abs(fc["p"].sum() - 1) < 1e-9
