"""OFI from real size changes: `kalshi-edge simulator` on a free loopback port, recorded through the
project's WebSocket client and journal, read back as book events (issue 15)."""

from __future__ import annotations

import asyncio
import math
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kalshi_edge.families.weather.momentum.features import FeatureEngine
from kalshi_edge.families.weather.momentum.stream import events_from_journal, record_ws_journal
from kalshi_edge.kalshi.rest import KalshiRestClient

T = "KXHIGHNY-26JUL12-B84.5"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def simulator():
    exe = Path(sys.executable).parent / "kalshi-edge"
    port = _free_port()
    proc = subprocess.Popen([str(exe), "simulator", "--host", "127.0.0.1", "--port", str(port), "--seed", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"simulator exited: {proc.stderr.read().decode()[-500:]}")  # type: ignore[union-attr]
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/trade-api/v2", f"ws://127.0.0.1:{port}/trade-api/ws/v2"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _ofi_increment(prev, e) -> float:
    """Cont–Kukanov–Stoikov, written out independently of the engine."""
    out = 0.0
    if e.yes_bid_c >= prev.yes_bid_c:
        out += e.bid_size
    if e.yes_bid_c <= prev.yes_bid_c:
        out -= prev.bid_size
    if e.yes_ask_c <= prev.yes_ask_c:
        out -= e.ask_size
    if e.yes_ask_c >= prev.yes_ask_c:
        out += prev.ask_size
    return out


@pytest.fixture(scope="module")
def recorded(simulator, tmp_path_factory):
    rest_url, ws_url = simulator
    journal = tmp_path_factory.mktemp("ws") / "ws.jsonl"
    rest = KalshiRestClient(rest_url, backoff_base=0.005, backoff_max=0.05, timeout=5.0)
    placed: list[tuple[str, str]] = []

    async def drive(ws) -> None:
        book = ws.books[T]
        bid, no_bid = book.best_yes_bid, book.best_no_bid
        assert bid is not None and no_bid is not None
        # join the YES bid (size up at the same price), then the YES ask (a NO bid at the best NO bid)
        for side, price, count in (("bid", bid, "5"), ("ask", 1 - no_bid, "7"), ("bid", bid, "3")):
            await asyncio.to_thread(rest.create_order, ticker=T, side=side, price=str(price), count=count,
                                    post_only=True)
            placed.append((side, count))
            await asyncio.sleep(0.2)

    frames = asyncio.run(record_ws_journal(ws_url, [T], journal, until=drive))
    rest.close()
    assert frames > 3 and len(placed) == 3
    return journal


@pytest.mark.slow
def test_ofi_from_a_journal_recorded_from_the_simulator(recorded):
    journal = recorded
    events = [e for e in events_from_journal(journal) if e.ticker == T]
    assert len(events) >= 4 and all(e.has_sizes for e in events)
    eng = FeatureEngine()
    eng.update(events[0])
    increments = []
    for prev, e in zip(events, events[1:], strict=False):
        t = e.ts_ns * 1e-9
        before = eng.features(T, t)["ofi"]
        eng.update(e)
        after = eng.features(T, t)["ofi"]
        inc = after - before
        assert inc == pytest.approx(_ofi_increment(prev, e), abs=1e-9)
        increments.append(inc)
    # our orders: +5 and +3 contracts joining the bid, +7 joining the ask (-7 of pressure)
    assert any(math.isclose(x, 5.0) for x in increments)
    assert any(math.isclose(x, -7.0) for x in increments)
    assert any(math.isclose(x, 3.0) for x in increments)
    f = eng.features(T, events[-1].ts_ns * 1e-9)
    assert f["has_sizes"] == 1.0 and -1.0 <= f["queue_imb"] <= 1.0 and f["depth"] > 0


@pytest.mark.slow
def test_lake_recorded_books_replay_like_the_journal_file(recorded, tmp_path):
    """The DAG's source: the journal ingested into the lake replays to the same events."""
    from kalshi_edge.config import Settings
    from kalshi_edge.families.weather.momentum.tasks import NotEnoughBooks, lake_events, retrain
    from kalshi_edge.kalshi.ingest import ingest_ws_journal
    from kalshi_edge.lake import Lake

    s = Settings(data_dir=tmp_path / "data", models_dir=tmp_path / "models")
    lake = Lake.from_settings(s)
    ingest_ws_journal(lake, recorded)
    from_lake = lake_events(lake, "2000-01-01", "2100-01-01")
    assert from_lake == list(events_from_journal(recorded)) and from_lake
    # one ladder recorded: too little to fit, and the run says so instead of writing a weak model
    with pytest.raises(NotEnoughBooks, match="1 recorded KXHIGH ladder"):
        retrain("2100-01-01T12:00:00Z", {"window_days": 36500}, s)
    assert not (tmp_path / "models" / "weather" / "momentum.json").exists()
