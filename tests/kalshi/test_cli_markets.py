"""`kalshi-edge markets list` against the local simulator (127.0.0.1)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("kalshi_edge.exchange.simulator")

from kalshi_edge.exchange.scenario import builtin_scenario  # noqa: E402
from kalshi_edge.exchange.simulator import run_simulator_in_thread  # noqa: E402
from kalshi_edge.exchange.state import ManualClock  # noqa: E402


@pytest.fixture(scope="module")
def sim():
    sc = builtin_scenario(seed=2)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start)) as handle:
        yield handle


def test_markets_list_json(run_cli, sim):
    rc, out, err = run_cli(["markets", "list", "--series", "KXHIGHNY", "--status", "open",
                            "--base-url", sim.base_url, "--json"])
    assert rc == 0, err
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    venue = [sim.exchange.market_dict(t) for t in sim.exchange.markets]
    expected = {m["ticker"] for m in venue if m["ticker"].startswith("KXHIGHNY-") and m["status"] == "active"}
    assert rows and {r["ticker"] for r in rows} == expected
    assert all(r["status"] == "active" for r in rows)


def test_markets_list_table(run_cli, sim):
    rc, out, _ = run_cli(["markets", "list", "--series", "KXHIGHNY", "--base-url", sim.base_url, "--limit", "2"])
    assert rc == 0
    assert "KXHIGHNY-" in out and "2 markets" in out


def test_markets_list_bad_status_and_unreachable_host(run_cli):
    rc, _, err = run_cli(["markets", "list", "--status", "bogus"])
    assert rc == 2 and "--status" in err
    # nothing listens on port 9 of loopback: a one-line error, not a traceback
    rc, _, err = run_cli(["markets", "list", "--base-url", "http://127.0.0.1:9/trade-api/v2"])
    assert rc == 2 and "connection" in err.lower() and "Traceback" not in err


def test_markets_watch_records_a_replayable_journal(run_cli, sim, tmp_path):
    from kalshi_edge.kalshi.ws import rebuild_books

    t = "KXHIGHNY-26JUL12-B84.5"
    path = tmp_path / "watch.jsonl"
    rc, out, err = run_cli(["markets", "watch", "--tickers", t, "--seconds", "0.5", "--journal", str(path),
                            "--ws-url", sim.ws_url])
    assert rc == 0, err
    assert t in out
    book = sim.exchange.engine.book(t)
    replayed = rebuild_books(path).books[t]
    assert (dict(replayed.yes), dict(replayed.no)) == (dict(book.yes), dict(book.no))
