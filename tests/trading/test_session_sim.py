"""Paper sessions against the local simulator (loopback only), with faults on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from kalshi_edge.config import load_settings
from kalshi_edge.exchange.scenario import BUILTIN_CLOCK
from kalshi_edge.exchange.simulator import run_simulator_in_thread
from kalshi_edge.exchange.state import ManualClock
from kalshi_edge.trading.brokers import LiveNotAllowed, require_live_allowed
from kalshi_edge.trading.ledger import OrderLedger
from kalshi_edge.trading.runner import open_session
from kalshi_edge.trading.strategy import family_of

FAST = {"backoff_base": 0.001, "backoff_max": 0.005, "rate_limit": False}
PARAMS = {"longshot_fade": {"shrink": 0.3}}
HERE = Path(__file__).resolve().parent


def book_only():
    """The book-only strategies, so these tests do not depend on which families have plugged in."""
    from kalshi_edge.trading.strategy import get_strategy

    return [get_strategy("ladder_consensus"), get_strategy("longshot_fade", PARAMS["longshot_fade"])]


def sim_orders(sim, account="default"):
    return [r for r in sim.exchange.orders.values() if r.account == account]


def sim_positions(sim, account="default"):
    acct = sim.exchange.account(account)
    return {t: p.position for t, p in sorted(acct.positions.items()) if p.position != 0}


@pytest.mark.slow
def test_ten_minute_paper_session_with_faults(tmp_path):
    # Faults: 429 bursts, 5xx, responses lost after the order was accepted, slow replies.
    clk = ManualClock(BUILTIN_CLOCK)
    faults = "429:0.1,5xx:0.1,lost:0.2,slow:0.02"
    settings = load_settings(data_dir=tmp_path, kalshi_env="local", min_edge_dollars="0.01",
                             risk_max_dollars_per_event="40", risk_max_contracts_per_market="30")
    with run_simulator_in_thread(faults=faults, seed=11, clock=clk) as sim:
        h = open_session(settings, base_url=sim.base_url, strategies=book_only(), client_kwargs=FAST)
        assert h.broker_kind == "simulator"
        for _ in range(60):  # 10 minutes of exchange time, 10 s per step
            h.session.step()
            clk.advance(10)
        h.session.step()  # settle any outstanding reconcile
        h.session.shutdown()
        summary = h.session.summary()
        orders = sim_orders(sim)
        positions = sim_positions(sim)
        injected = dict(sim.faults.injected)
        ledger = h.session.ledger
        h.close()

    assert injected.get("lost", 0) > 0 and injected.get("429", 0) > 0 and injected.get("5xx", 0) > 0
    assert summary["orders_sent"] > 5
    # Zero duplicate orders: every client_order_id at most once at the exchange, all known to us.
    coids = Counter(r.state.order.client_order_id for r in orders)
    assert coids and max(coids.values()) == 1
    assert set(coids) <= set(ledger.orders)
    acked = {c for c, r in ledger.orders.items() if r.order_id}
    assert acked == set(coids)
    assert not ledger.blocked_markets()
    # Ledger positions equal the simulator's.
    assert ledger.net_positions() == positions
    # Families: fallback strategies traded more than one family.
    assert len({family_of(t) for t in positions}) >= 2
    # Every limit respected (cost basis in dollars, contracts per market).
    per_event: Counter = Counter()
    per_family: Counter = Counter()
    for p in ledger.positions.values():
        assert abs(p.position) <= settings.risk_max_contracts_per_market
        per_event[p.event_ticker] += p.cost
        per_family[p.family] += p.cost
    assert all(v <= settings.risk_max_dollars_per_event for v in per_event.values())
    assert all(v <= settings.risk_max_dollars_per_family for v in per_family.values())
    assert sum(per_family.values(), Decimal(0)) <= settings.risk_max_dollars_total
    # The shutdown cancelled resting orders.
    assert not [r for r in orders if r.state.status == "resting"]


@pytest.mark.slow
def test_paper_session_on_websocket_books_with_drops_and_seq_gaps(tmp_path):
    # Market data from the WebSocket order books; faults drop connections and skip seq numbers
    # (books are then dropped until re-snapshotted) on top of REST 429/5xx/lost responses.
    clk = ManualClock(BUILTIN_CLOCK)
    faults = "429:0.05,5xx:0.05,lost:0.1,ws_drop:0.02,seq_gap:0.05"
    settings = load_settings(data_dir=tmp_path, kalshi_env="local", min_edge_dollars="0.01")
    with run_simulator_in_thread(faults=faults, seed=13, clock=clk) as sim:
        h = open_session(settings, base_url=sim.base_url, strategies=book_only(), client_kwargs=FAST,
                         market_data="ws")
        source = h.session.markets
        for i in range(40):
            h.session.step()
            clk.advance(15)
            # The books move (external liquidity changes), so deltas flow and faults can hit them.
            t = sorted(source.meta)[i % len(source.meta)]
            book = sim.exchange.engine.book(t)
            if book.yes and book.no:
                sim.call(lambda t=t, b=book: sim.set_book(t, yes=[(b.yes[0][0], "25")], no=[(b.no[0][0], "25")]))
        h.session.step()
        h.session.shutdown()
        stats = source.stats
        orders = sim_orders(sim)
        positions = sim_positions(sim)
        injected = dict(sim.faults.injected)
        ledger = h.session.ledger
        summary = h.session.summary()
        h.close()
    assert injected.get("seq_gap", 0) + injected.get("ws_drop", 0) > 0
    assert stats["gaps"] + stats["connects"] - 1 > 0  # the stream really broke and recovered
    assert summary["orders_sent"] > 0
    coids = Counter(r.state.order.client_order_id for r in orders)
    assert max(coids.values()) == 1
    assert ledger.net_positions() == positions


@pytest.mark.slow
def test_kill_between_send_and_ack_never_duplicates(tmp_path):
    clk = ManualClock(BUILTIN_CLOCK)
    env = {**os.environ, "PYTHONPATH": str(HERE.parents[1])}
    with run_simulator_in_thread(seed=5, clock=clk) as sim:
        cmd = [sys.executable, str(HERE / "crash_child.py"), sim.base_url, str(tmp_path)]
        crashed = subprocess.run([*cmd, "crash"], env=env, capture_output=True, text=True, timeout=120)
        assert crashed.returncode == 17, crashed.stderr
        # The order reached the exchange; the ledger has intent + sent and no ack.
        (first,) = sim_orders(sim)
        coid = first.state.order.client_order_id
        led = OrderLedger(tmp_path / "ledger" / "orders_paper.jsonl")
        assert led.orders[coid].state == "sent" and not led.orders[coid].order_id
        led.close()
        # Restart at the same exchange time: reconcile, then the same decision comes up again.
        again = subprocess.run([*cmd, "normal"], env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        summary = json.loads(again.stdout.strip().splitlines()[-1])
        orders = sim_orders(sim)
        positions = sim_positions(sim)
    per_coid = Counter(r.state.order.client_order_id for r in orders)
    assert per_coid[coid] == 1, "the intent was sent twice"
    assert max(per_coid.values()) == 1
    assert summary["denied"].get("duplicate_decision", 0) >= 1
    led = OrderLedger(tmp_path / "ledger" / "orders_paper.jsonl")
    assert led.orders[coid].order_id == first.state.order.order_id
    assert led.net_positions() == positions
    led.close()


@pytest.mark.parametrize(
    ("mode", "flag", "message"),
    [
        ("paper", True, "TRADE_MODE=paper"),
        ("live", False, "lacks --live"),
        ("paper", False, "TRADE_MODE=paper"),
    ],
)
def test_live_requires_both_switches(mode, flag, message):
    s = load_settings(trade_mode=mode, kalshi_env="demo")
    with pytest.raises(LiveNotAllowed, match=message):
        require_live_allowed(settings=s, live_flag=flag)


def test_live_cli_without_both_switches_refuses_saying_why(tmp_path, monkeypatch, capsys):
    from kalshi_edge.config import get_settings

    monkeypatch.setenv("KALSHI_EDGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KALSHI_EDGE_KALSHI_ENV", "demo")
    monkeypatch.setenv("TRADE_MODE", "paper")
    get_settings.cache_clear()
    try:
        from tests.trading.cli import cli_main

        rc = cli_main()(["trade", "--live", "--once"])
    finally:
        get_settings.cache_clear()
    assert rc == 2
    err = capsys.readouterr().err
    assert "refusing to trade live" in err and "TRADE_MODE=paper" in err
    assert not (tmp_path / "ledger").exists()  # refused before anything was opened


def test_live_with_both_switches_still_needs_preflight(tmp_path):
    # Both switches on, but no API key: preflight refuses before any order (no network needed).
    s = load_settings(trade_mode="live", kalshi_env="demo", data_dir=tmp_path)
    with pytest.raises(LiveNotAllowed, match="preflight failed: no API key"):
        open_session(s, live_flag=True, base_url="http://127.0.0.1:9/trade-api/v2")
