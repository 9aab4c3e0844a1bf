"""Signal connectors and signal features.

No recorded Spotify/YouTube/Trends payloads exist anywhere in the project: the payloads in
tests/fixtures/billboard/api_shapes/ are built from each API's documented response shape (see the
README there). YouTube is served by a local HTTP server; spotipy and pytrends clients are stand-ins
returning those payloads. Signal values in the lake test are synthetic (the real data has none).
"""

from __future__ import annotations

import http.server
import json
import threading
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pandas as pd
import pytest
from pydantic import SecretStr

from kalshi_edge.families.billboard.signals import (
    collect_daily_signals,
    contenders_of,
    signal_features,
    vwap,
    write_signals,
)
from kalshi_edge.sources.charts import SignalUnavailable
from kalshi_edge.sources.spotify import SpotifyConnector, read_spotify_chart_csv, spotify_signal_rows
from kalshi_edge.sources.trends import TrendsConnector
from kalshi_edge.sources.youtube import YouTubeConnector

SHAPES = Path(__file__).resolve().parents[1] / "fixtures" / "billboard" / "api_shapes"


def _load(name):
    return json.loads((SHAPES / name).read_text())


class FakeSpotipy:
    def __init__(self):
        self.queries = []

    def search(self, q, type, limit):  # noqa: A002 - spotipy's signature
        self.queries.append(q)
        return _load("spotify_search.json") if "Lovin On Me" in q else {"tracks": {"items": []}}

    def playlist_items(self, playlist_id, limit=100):
        return _load("spotify_playlist_items.json")


def test_connectors_without_keys_fail_cleanly(settings):
    assert settings.spotify_client_id is None and settings.youtube_api_key is None
    with pytest.raises(SignalUnavailable, match="spotify"):
        SpotifyConnector.from_settings(settings)
    with pytest.raises(SignalUnavailable, match="youtube"):
        YouTubeConnector.from_settings(settings)


def test_spotify_popularity_and_playlist_positions():
    fake = FakeSpotipy()
    conn = SpotifyConnector(fake)
    rows = spotify_signal_rows(conn, [("lovin on me|jack harlow", "Lovin On Me", "Jack Harlow"),
                                      ("greedy|tate mcrae", "greedy", "Tate McRae")], date(2023, 12, 30),
                               playlists={"tth": "pid"})
    assert fake.queries[0] == "track:Lovin On Me artist:Jack Harlow"
    by = {(r["song_id"], r["signal"]): r["value"] for r in rows}
    assert by[("lovin on me|jack harlow", "spotify_popularity")] == 91.0
    assert by[("lovin on me|jack harlow", "spotify_pl_tth")] == 99.0  # position 2 → 101 - 2
    assert ("greedy|tate mcrae", "spotify_popularity") not in by  # search found nothing: no row, no guess


def test_spotify_chart_csv_import_and_errors(tmp_path):
    df = read_spotify_chart_csv(SHAPES / "spotify_weekly_chart.csv", date(2023, 12, 28))
    assert df["streams"].tolist() == [21345678.0, 19876543.0]
    assert df["track_name"].tolist() == ["Lovin On Me", "greedy"]
    bad = tmp_path / "bad.csv"
    bad.write_text("rank,uri,artist_names,track_name,streams\n1,u,A,T,lots\n")
    with pytest.raises(ValueError, match="row 1 field streams: 'lots'"):
        read_spotify_chart_csv(bad, date(2023, 12, 28))


@pytest.fixture()
def youtube_server():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            url = urlparse(self.path)
            q = parse_qs(url.query)
            if q.get("key") != ["k"]:
                body, code = {"error": {"code": 403, "message": "API key not valid"}}, 403
            elif url.path.endswith("/search"):
                body, code = _load("youtube_search.json"), 200
            elif url.path.endswith("/videos"):
                body, code = _load("youtube_videos.json"), 200
            else:
                body, code = {}, 404
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/youtube/v3"
    srv.shutdown()


def test_youtube_views_and_bad_key(youtube_server):
    yt = YouTubeConnector("k", base_url=youtube_server)
    assert yt.views_for("Lovin On Me", "Jack Harlow") == {"video_id": "dQw4w9WgXcQ", "views": 48211977}
    with pytest.raises(SignalUnavailable, match="API key not valid"):
        YouTubeConnector("wrong", base_url=youtube_server).views_for("x", "y")
    with pytest.raises(SignalUnavailable, match="youtube"):
        YouTubeConnector("k", base_url="http://127.0.0.1:9").views_for("x", "y")


class FakeTrendReq:
    """Mimics pytrends: build_payload then interest_over_time (date index, keyword columns, isPartial)."""

    def __init__(self, fail=False):
        self.fail = fail
        self.kw = []

    def build_payload(self, kw_list, timeframe, geo):
        self.kw = kw_list

    def interest_over_time(self):
        if self.fail:
            raise RuntimeError("The request failed: Google returned a response with code 429")
        idx = pd.date_range("2023-12-24", "2023-12-30", freq="D", name="date")
        cols = {k: np.linspace(10 * (i + 1), 20 * (i + 1), len(idx)) for i, k in enumerate(self.kw)}
        return pd.DataFrame({**cols, "isPartial": False}, index=idx)


def test_trends_long_frame_anchor_and_clean_failure():
    t = TrendsConnector(FakeTrendReq())
    got = t.interest(["Lovin On Me", "greedy"], date(2023, 12, 24), date(2023, 12, 30))
    assert set(got["keyword"]) == {"Lovin On Me", "greedy"} and len(got) == 14
    assert got["date"].min() == "2023-12-24"
    anchored = t.interest_anchored(["a", "b", "c", "d", "e", "f"], "a", date(2023, 12, 24), date(2023, 12, 30))
    assert set(anchored["keyword"]) == {"a", "b", "c", "d", "e", "f"}
    assert anchored[anchored["keyword"] == "a"]["value"].max() == pytest.approx(100.0)
    with pytest.raises(SignalUnavailable, match="429"):
        TrendsConnector(FakeTrendReq(fail=True)).interest(["x"], date(2023, 12, 24), date(2023, 12, 30))


def test_collect_skips_unavailable_sources_and_says_so(charts_2021_2023):
    cont = contenders_of(charts_2021_2023)
    assert len(cont) == 20 and cont[0][1] == "All I Want For Christmas Is You"  # #1 on 2023-12-30

    def ok():
        return [{"date": "2023-12-30", "song_id": cont[0][0], "signal": "youtube_views", "value": 1.0, "source": "t"}]

    def missing():
        raise SignalUnavailable("spotify", "no key")

    frame, skipped = collect_daily_signals(date(2023, 12, 30), cont, {"youtube": ok, "spotify": missing})
    assert len(frame) == 1 and skipped == {"spotify": "spotify: no key"}


def test_signal_features_rolling_means_wow_and_no_future(lake, tmp_path):
    from kalshi_edge.lake import Lake

    # Synthetic daily values (no historical signal data exists): value = day number, one song.
    days = pd.date_range("2023-12-01", "2023-12-31", freq="D")
    frame = pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "song_id": "s1", "signal": "spotify_popularity",
                          "value": np.arange(1, len(days) + 1, dtype=float), "source": "synthetic"})
    frame["month"] = frame["date"].str.slice(0, 7)
    write_signals(lake, frame, source="synthetic")
    f = signal_features(lake, date(2023, 12, 20)).loc["s1"]
    assert f["spotify_popularity_mean_3d"] == pytest.approx((18 + 19 + 20) / 3)
    assert f["spotify_popularity_mean_7d"] == pytest.approx(np.mean(range(14, 21)))
    assert f["spotify_popularity_mean_14d"] == pytest.approx(np.mean(range(7, 21)))
    assert f["spotify_popularity_wow"] == pytest.approx(np.mean(range(14, 21)) / np.mean(range(7, 14)) - 1)
    # days after as_of (21..31) never enter: a lake holding only days <= 20 gives identical features
    past = Lake(root=tmp_path / "past", quarantine=tmp_path / "q")
    write_signals(past, frame[frame["date"] <= "2023-12-20"], source="synthetic")
    pd.testing.assert_frame_equal(signal_features(past, date(2023, 12, 20)), signal_features(lake, date(2023, 12, 20)))
    assert signal_features(lake, date(2023, 12, 31)).loc["s1", "spotify_popularity_mean_3d"] == pytest.approx(30.0)


def test_vwap():
    assert vwap([{"yes_price": 0.4, "count": 10}, {"yes_price": 0.5, "count": 30}]) == pytest.approx(0.475)
    assert vwap([]) is None


def test_secretstr_keys_are_read(monkeypatch):
    class S:
        spotify_client_id = "id"
        spotify_client_secret = SecretStr("")
    with pytest.raises(SignalUnavailable):
        SpotifyConnector.from_settings(S())


def test_kalshi_signals_from_the_simulator(settings, charts_2021_2023):
    from kalshi_edge.exchange.simulator import run_simulator_in_thread
    from kalshi_edge.families.billboard.signals import kalshi_signal_rows

    cont = contenders_of(charts_2021_2023)
    with run_simulator_in_thread() as sim:
        rows = kalshi_signal_rows(settings, cont, date(2023, 12, 31), base_url=sim.base_url, trades_since_ts=0)
    sigs = {r["signal"] for r in rows}
    assert {"kalshi_yes_bid", "kalshi_yes_ask", "kalshi_mid"} <= sigs
    ids = {sid for sid, _, _ in cont}
    assert {r["song_id"] for r in rows} <= ids and len({r["song_id"] for r in rows}) == 8
    mids = [r for r in rows if r["signal"] == "kalshi_mid"]
    assert all(0 < r["value"] < 1 for r in mids)
    with pytest.raises(SignalUnavailable, match="kalshi"):
        kalshi_signal_rows(settings, cont, date(2023, 12, 31), base_url="http://127.0.0.1:9/trade-api/v2")


def test_spotify_chart_import_joins_hot100_ids(lake, cli):
    from kalshi_edge.families.billboard.identity import song_id
    from kalshi_edge.families.billboard.signals import import_spotify_chart

    res = import_spotify_chart(lake, str(SHAPES / "spotify_weekly_chart.csv"), date(2023, 12, 28))
    assert res["rows_written"] == 4
    f = signal_features(lake, date(2023, 12, 28))
    lom = song_id("Lovin On Me", "Jack Harlow")  # the Hot 100 id of the same song
    assert f.loc[lom, "spotify_streams_mean_3d"] == 21345678.0
    assert f.loc[lom, "spotify_chart_rank_mean_3d"] == 200.0
    assert cli(["billboard", "import-spotify", "--csv", str(SHAPES / "spotify_weekly_chart.csv"),
                "--date", "2023-12-28"]) == 0
    assert cli(["billboard", "import-spotify", "--csv", str(SHAPES / "nope.csv"), "--date", "2023-12-28"]) == 2
