"""Bars import (validation + quarantine), Coinbase REST backfill against a local stub, WS recorder."""

import asyncio
import json
import threading
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

from kalshi_edge.families.btc.bars import parse_bars_frame, read_bars_csv, validate_bars
from kalshi_edge.families.btc.ingest import backfill_coinbase, import_bars_csv, read_lake_bars, write_ticks
from kalshi_edge.lake import Lake
from kalshi_edge.sources.coinbase import RateLimiter, fetch_candles, record_ticker

SAMPLE_BARS = Path(__file__).resolve().parents[2] / "data/sample/btc/btcusd_5m_2026-02-21_2026-03-06.csv.gz"


@pytest.fixture()
def lake(tmp_path):
    return Lake(root=tmp_path / "lake", quarantine=tmp_path / "quarantine", max_bad_fraction=0.5)


def test_import_sample_roundtrip(lake):
    res = import_bars_csv(lake, SAMPLE_BARS)
    assert res.rows_written == 4032 and res.rows_quarantined == 0 and res.interval == "5m" and not res.gaps
    back = read_lake_bars(lake, interval="5m")
    orig = read_bars_csv(SAMPLE_BARS)
    assert len(back) == len(orig)
    assert (back["close"].to_numpy() == orig["close"].to_numpy()).all()
    # re-import replaces the day partitions instead of appending
    import_bars_csv(lake, SAMPLE_BARS)
    assert lake.row_count("btc_bars") == 4032


def test_import_quarantines_bad_rows_and_reports_gaps(lake, tmp_path):
    # Synthetic defects (the real sample has none): a duplicate, a non-positive price,
    # an out-of-order row and a 2-bar gap, built from real sample rows.
    real = pd.read_csv(SAMPLE_BARS).head(12)
    rows = real.to_dict("records")
    dup = dict(rows[3])
    neg = dict(rows[5], close=-1.0)
    bad = rows[:4] + [dup] + [rows[4], neg] + rows[6:8] + rows[10:12] + [rows[9]]
    path = tmp_path / "bars.csv"
    pd.DataFrame(bad).to_csv(path, index=False)
    rep = validate_bars(parse_bars_frame(pd.read_csv(path, dtype=str), str(path)))
    assert rep.duplicate_rows == [5] and rep.nonpositive_rows == [7] and rep.out_of_order_rows == [12]
    res = import_bars_csv(lake, path)
    assert res.rows_quarantined == 3 and res.rows_written == len(bad) - 3
    # 00:40 is absent and 00:45 only arrives out of order (quarantined): 2 bars missing after 00:35
    assert [(g[0][11:16], g[2]) for g in res.gaps] == [("00:35", 2)]
    q = pd.read_parquet(res.quarantine_file)
    assert sorted(q["_source_row"].tolist()) == [5, 7, 12]
    assert any("out-of-order" in r for r in q["_reason"]) and any("duplicate" in r for r in q["_reason"])


def test_bad_timestamp_names_row_and_field(tmp_path):
    from kalshi_edge.families.btc.bars import BarsError

    p = tmp_path / "b.csv"
    p.write_text("timestamp,open,high,low,close,volume\n2026-01-01T00:00:00Z,1,1,1,1,0\nnot-a-time,1,1,1,1,0\n")
    with pytest.raises(BarsError, match=r"row 2 field timestamp"):
        read_bars_csv(p)


# --- Coinbase REST stub --------------------------------------------------------------------
# The stub serves candles in Coinbase Exchange's DOCUMENTED array shape
# [time, low, high, open, close, volume] (newest first, <= 300 per request), generated from the
# real sample bars' closes; Coinbase itself is never contacted.


class _Stub(BaseHTTPRequestHandler):
    requests: list[dict] = []
    fail_first = 0

    def do_GET(self):  # noqa: N802
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        type(self).requests.append(q)
        if type(self).fail_first > 0:
            type(self).fail_first -= 1
            self.send_response(429)
            self.end_headers()
            return
        g = int(q["granularity"])
        a = int(pd.Timestamp(q["start"]).timestamp())
        b = int(pd.Timestamp(q["end"]).timestamp())
        assert (b - a) // g + 1 <= 300, "more than 300 candles requested"
        closes = pd.read_csv(SAMPLE_BARS)["close"].to_numpy()
        out = []
        for t in range(a, b + 1, g):
            if (t // g) % 97 == 0:  # Coinbase omits buckets without trades
                continue
            c = float(closes[(t // g) % len(closes)])
            out.append([t, c - 5, c + 5, c - 1, c, 1.5])
        body = json.dumps(out[::-1]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


@pytest.fixture()
def stub():
    _Stub.requests = []
    _Stub.fail_first = 0
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def test_fetch_candles_paginates_and_retries(stub):
    _Stub.fail_first = 1  # one 429 first: retried
    sleeps = []
    lim = RateLimiter(rate=1000, sleep=sleeps.append)
    df = fetch_candles(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC), base_url=stub, limiter=lim)
    # 1440 one-minute buckets = 5 pages of 288..300; one retried request
    assert len(_Stub.requests) == 6
    assert df["ts"].is_monotonic_increasing and df["ts"].is_unique
    assert df["ts"].min() >= pd.Timestamp("2026-03-01T00:00Z") and df["ts"].max() < pd.Timestamp("2026-03-02T00:00Z")
    assert 1400 < len(df) < 1440  # omitted buckets are gaps, not invented
    assert sleeps  # the backoff slept


def test_backfill_writes_days_to_lake(stub, lake):
    res = backfill_coinbase(lake, date(2026, 3, 1), date(2026, 3, 2), base_url=stub)
    assert [r.interval for r in res] == ["1m", "1m"]
    assert all(r.gaps for r in res)  # the stub's missing buckets are reported
    bars = read_lake_bars(lake, interval="1m")
    assert bars["ts"].dt.date.nunique() == 2 and len(bars) == sum(r.rows_written for r in res)


def test_rate_limiter_spaces_calls():
    t = [0.0]
    slept = []

    def sleep(s):
        slept.append(s)
        t[0] += s

    lim = RateLimiter(rate=4, clock=lambda: t[0], sleep=sleep)
    for _ in range(3):
        lim.wait()
    assert slept == [0.25, 0.25]


# --- WebSocket ticker against a local server -------------------------------------------------
# Messages follow Coinbase's documented ticker message fields; prices from the real sample.


def test_record_ticker_local_server(lake):
    import websockets

    closes = pd.read_csv(SAMPLE_BARS)["close"].head(5).tolist()

    async def handler(ws):
        sub = json.loads(await ws.recv())
        assert sub["type"] == "subscribe" and sub["channels"] == ["ticker"]
        await ws.send(json.dumps({"type": "subscriptions", "channels": [{"name": "ticker", "product_ids": ["BTC-USD"]}]}))
        for i, c in enumerate(closes):
            await ws.send(json.dumps({
                "type": "ticker", "sequence": 1000 + i, "product_id": "BTC-USD", "price": f"{c:.2f}",
                "best_bid": f"{c - 0.01:.2f}", "best_ask": f"{c + 0.01:.2f}", "side": "buy",
                "time": f"2026-03-01T00:00:0{i}.000000Z", "trade_id": 5000 + i, "last_size": "0.01",
            }))
        await ws.wait_closed()

    async def main():
        async with websockets.serve(handler, "127.0.0.1", 0) as srv:
            port = srv.sockets[0].getsockname()[1]
            return await record_ticker(url=f"ws://127.0.0.1:{port}", max_messages=5, duration_s=10)

    rows = asyncio.run(main())
    assert [r["sequence"] for r in rows] == [1000, 1001, 1002, 1003, 1004]
    assert rows[0]["price"] == pytest.approx(round(closes[0], 2))
    assert write_ticks(lake, rows) == 5
    assert lake.row_count("btc_ticks") == 5


def test_epoch_second_timestamps_accepted(tmp_path):
    # same real sample rows, timestamps rewritten as Unix seconds (a layout some exporters use)
    real = pd.read_csv(SAMPLE_BARS).head(5)
    real["timestamp"] = pd.to_datetime(real["timestamp"]).map(lambda t: str(int(t.timestamp())))
    p = tmp_path / "epoch.csv"
    real.to_csv(p, index=False)
    bars = read_bars_csv(p)
    assert bars["ts"].iloc[0] == pd.Timestamp("2026-02-21T00:00Z") and len(bars) == 5
