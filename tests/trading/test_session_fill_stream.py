"""REST sessions learn their fills from the WebSocket ``fill`` channel (`trade --fills ws`, issue #17).

Against the simulator on loopback: with the socket up a session records its fills with no
account-wide ``GET /portfolio/fills`` poll (counted at the HTTP layer and by the broker); with
injected socket drops every fill still arrives exactly once and the ledger equals the exchange; a
stream that cannot connect falls back to polling with one warning; ``--fills`` is validated.
"""

from __future__ import annotations

import logging
import socket
from collections import Counter
from decimal import Decimal

import pytest

from kalshi_edge.config import load_settings
from kalshi_edge.exchange.scenario import BUILTIN_CLOCK
from kalshi_edge.exchange.simulator import run_simulator_in_thread
from kalshi_edge.exchange.state import ManualClock
from kalshi_edge.trading.runner import open_session
from tests.trading.cli import cli_main

FAST = {"backoff_base": 0.001, "backoff_max": 0.005, "rate_limit": False}


def book_only():
    from kalshi_edge.trading.strategy import get_strategy

    return [get_strategy("ladder_consensus"), get_strategy("longshot_fade", {"shrink": 0.3})]


def count_fill_polls(client) -> Counter:
    """Count, at the HTTP layer, the account-wide fill polls (``/portfolio/fills`` without
    ``order_id``) and the per-order fill reads the client sends."""
    seen: Counter = Counter()
    inner = client.session.request

    def request(method, url, *a, **kw):
        if url.split("?")[0].endswith("/portfolio/fills"):
            params = kw.get("params") or {}
            seen["per_order" if params.get("order_id") or "order_id=" in url else "poll"] += 1
        return inner(method, url, *a, **kw)

    client.session.request = request
    return seen


def cross_own_resting(sim, n: str = "2") -> int:
    """Another account takes part of each of our resting orders (their fills are pushed to us)."""
    hit = 0
    for rec in list(sim.exchange.orders.values()):
        st = rec.state
        if rec.account != "default" or st.status != "resting":
            continue
        o = st.order
        take = min(Decimal(n), st.remaining_count)
        sim.call(lambda o=o, take=take: sim.exchange.create_order("other", {
            "ticker": o.ticker, "side": "ask" if o.book_side == "bid" else "bid", "count": str(take),
            "price": str(o.price), "time_in_force": "immediate_or_cancel"}, v2=True))
        hit += 1
    return hit


def own_fill_ids(sim) -> list[str]:
    return [f["fill_id"] for f in sim.exchange.account("default").fills]


def sim_positions(sim):
    acct = sim.exchange.account("default")
    return {t: p.position for t, p in sorted(acct.positions.items()) if p.position != 0}


def ledger_fill_ids(ledger) -> list[str]:
    return [e["fill_id"] for e in ledger.events() if e.get("event") == "fill"]


def wait_reconnected(broker, timeout: float = 5.0) -> None:
    """Between steps a session sleeps its interval (5 s): time the fill socket has to reconnect."""
    import time

    end = time.monotonic() + timeout
    while broker.fill_stream is not None and not broker.fill_stream.healthy and time.monotonic() < end:
        time.sleep(0.01)


def run(sim, settings, clk, *, fills: str, steps: int = 8):
    h = open_session(settings, base_url=sim.base_url, strategies=book_only(), client_kwargs=FAST, fills=fills)
    calls = count_fill_polls(h.session.broker.client)
    crossed = 0
    for _ in range(steps):
        h.session.step()
        crossed += cross_own_resting(sim)
        clk.advance(10)
        wait_reconnected(h.session.broker)
    h.session.step()
    h.session.shutdown()
    out = {"summary": h.session.summary(), "status": h.fill_status(), "calls": dict(calls), "crossed": crossed,
           "ledger_fills": ledger_fill_ids(h.session.ledger), "ledger_positions": h.session.ledger.net_positions(),
           "fills": h.fills, "broker": h.session.broker, "warnings": list(h.warnings)}
    h.close()
    return out


def settings_for(tmp_path):
    return load_settings(data_dir=tmp_path, kalshi_env="local", min_edge_dollars="0.01",
                         risk_max_contracts_per_market="30")


def test_ws_fills_session_records_its_fills_without_polling(tmp_path):
    clk = ManualClock(BUILTIN_CLOCK)
    with run_simulator_in_thread(seed=3, clock=clk) as sim:
        got = run(sim, settings_for(tmp_path), clk, fills="ws")
        exchange_fills = own_fill_ids(sim)
        positions = sim_positions(sim)
    assert got["fills"] == "ws" and got["warnings"] == []
    assert got["crossed"] > 0 and got["broker"].fills_pushed > 0  # resting orders were filled over the socket
    assert got["status"] == {"fill_source": "ws", "fill_polls": 0}
    assert got["calls"].get("poll", 0) == 0  # no GET /portfolio/fills (account-wide) while the socket was up
    assert sorted(got["ledger_fills"]) == sorted(exchange_fills)  # every fill, once
    assert got["ledger_positions"] == positions


def test_rest_fills_session_polls_every_step(tmp_path):
    clk = ManualClock(BUILTIN_CLOCK)
    with run_simulator_in_thread(seed=3, clock=clk) as sim:
        got = run(sim, settings_for(tmp_path), clk, fills="rest", steps=4)
        exchange_fills = own_fill_ids(sim)
    assert got["fills"] == "rest" and got["status"]["fill_source"] == "rest"
    assert got["status"]["fill_polls"] >= 5 and got["calls"]["poll"] == got["status"]["fill_polls"]
    assert sorted(got["ledger_fills"]) == sorted(exchange_fills)


@pytest.mark.slow
def test_ws_fills_with_socket_drops_arrive_exactly_once(tmp_path):
    clk = ManualClock(BUILTIN_CLOCK)
    with run_simulator_in_thread(seed=9, clock=clk, faults="ws_drop:0.08,5xx:0.03,lost:0.05") as sim:
        got = run(sim, settings_for(tmp_path), clk, fills="ws", steps=16)
        exchange_fills = own_fill_ids(sim)
        positions = sim_positions(sim)
        injected = dict(sim.faults.injected)
    broker = got["broker"]
    assert injected.get("ws_drop", 0) > 0
    assert broker.fills_pushed > 0  # the socket carried fills between drops ...
    assert broker.fill_poll_reasons.get("socket down or reconnected", 0) > 0  # ... and a drop forced a poll
    # One poll per drop (two when a drop lands between the barrier and the drain), not one per step.
    assert 1 <= got["status"]["fill_polls"] <= 2 * injected["ws_drop"] < got["summary"]["steps"]
    assert Counter(got["ledger_fills"]) == Counter(exchange_fills)  # each fill exactly once
    assert got["ledger_positions"] == positions


def test_a_fill_pushed_just_before_the_drain_is_not_left_in_flight():
    # The barrier (list_subscriptions answered after everything queued before it): a fill the
    # exchange made a moment ago is returned by the very next new_fills(), without a REST poll.
    from kalshi_edge.kalshi.rest import KalshiRestClient
    from kalshi_edge.kalshi.ws import FillStream, KalshiWsClient
    from kalshi_edge.trading.brokers import RestBroker
    from tests.trading.test_broker_amend import T, _intent

    with run_simulator_in_thread(seed=7, clock=ManualClock(BUILTIN_CLOCK)) as sim:
        sim.set_book(T, yes=[("0.20", "10")], no=[("0.70", "10")])
        client = KalshiRestClient(sim.base_url, backoff_base=0.005, timeout=5.0)
        stream = FillStream(KalshiWsClient(sim.ws_url, backoff_base=0.01)).start()
        broker = RestBroker(client, fill_stream=stream)
        broker.place(_intent("0.25", count="9"), count=Decimal("9"))
        got = []
        for n in range(1, 6):
            sim.call(lambda n=n: sim.exchange.create_order("other", {
                "ticker": T, "side": "ask", "count": str(n), "price": "0.25", "time_in_force": "immediate_or_cancel"},
                v2=True) if n < 4 else None)
            got.append([(coid, f.count) for coid, f in broker.new_fills()])
        stream.stop()
        client.close()
    assert got == [[("c-1", Decimal(1))], [("c-1", Decimal(2))], [("c-1", Decimal(3))], [], []]
    assert broker.fill_polls == 0 and broker.fills_pushed == 3


def test_a_dropped_socket_costs_exactly_one_poll_that_recovers_the_missed_fill():
    import asyncio
    import time

    from kalshi_edge.kalshi.rest import KalshiRestClient
    from kalshi_edge.kalshi.ws import FillStream, KalshiWsClient
    from kalshi_edge.trading.brokers import RestBroker
    from tests.trading.test_broker_amend import T, _intent

    def take(n: int) -> None:
        sim.call(lambda: sim.exchange.create_order("other", {
            "ticker": T, "side": "ask", "count": str(n), "price": "0.25", "time_in_force": "immediate_or_cancel"},
            v2=True))

    with run_simulator_in_thread(seed=7, clock=ManualClock(BUILTIN_CLOCK)) as sim:
        sim.set_book(T, yes=[("0.20", "10")], no=[("0.70", "10")])
        client = KalshiRestClient(sim.base_url, backoff_base=0.005, timeout=5.0)
        stream = FillStream(KalshiWsClient(sim.ws_url, backoff_base=0.1)).start()
        broker = RestBroker(client, fill_stream=stream)
        broker.place(_intent("0.25", count="9"), count=Decimal("9"))
        take(1)
        first = broker.new_fills()
        asyncio.run_coroutine_threadsafe(stream.client._ws.close(), stream._loop).result(5)  # the socket drops
        while stream.client.connected.is_set():
            time.sleep(0.005)
        take(2)  # filled while the socket is down: never pushed to us
        end = time.monotonic() + 5
        while not stream.healthy and time.monotonic() < end:
            time.sleep(0.01)
        assert stream.healthy and stream.client.connects == 2
        recovered = broker.new_fills()
        polls_after_gap = broker.fill_polls
        take(3)
        later = [broker.new_fills(), broker.new_fills()]
        stream.stop()
        client.close()
    assert [f.count for _, f in first] == [Decimal(1)]
    assert [f.count for _, f in recovered] == [Decimal(2)]  # the poll found the missed fill, once
    assert polls_after_gap == 1 and broker.fill_poll_reasons == {"socket down or reconnected": 1}
    assert [[f.count for _, f in fs] for fs in later] == [[Decimal(3)], []]  # pushed again, no more polls
    assert broker.fill_polls == 1


def test_a_fill_stream_that_cannot_connect_falls_back_to_polling_with_one_warning(tmp_path, caplog):
    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"ws://127.0.0.1:{s.getsockname()[1]}/trade-api/ws/v2"
    clk = ManualClock(BUILTIN_CLOCK)
    with run_simulator_in_thread(seed=3, clock=clk) as sim, caplog.at_level(logging.WARNING):
        h = open_session(settings_for(tmp_path), base_url=sim.base_url, strategies=book_only(), client_kwargs=FAST,
                         fills="ws", ws_url=dead, fill_stream_timeout=0.5)
        h.session.step()
        h.session.step()
        status = h.fill_status()
        h.session.shutdown()
        h.close()
    assert h.fills == "rest" and len(h.warnings) == 1
    assert "could not connect" in h.warnings[0] and "polling GET /portfolio/fills" in h.warnings[0]
    assert [r.getMessage() for r in caplog.records if "fill stream" in r.getMessage()] == h.warnings
    assert status == {"fill_source": "rest", "fill_polls": status["fill_polls"]} and status["fill_polls"] >= 2


def test_fills_flag_is_validated(capsys):
    main = cli_main()
    assert main(["trade", "--fills", "push", "--once"]) == 2
    assert "--fills: 'push' is not ws or rest" in capsys.readouterr().err


def test_trade_cli_reports_the_fill_source(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KALSHI_EDGE_MIN_EDGE_DOLLARS", "0.01")
    from kalshi_edge.config import get_settings

    get_settings.cache_clear()
    try:
        with run_simulator_in_thread(seed=1, clock=ManualClock(BUILTIN_CLOCK)) as sim:
            args = ["trade", "--once", "--family", "weather", "--base-url", sim.base_url,
                    "--strategy", "ladder_consensus"]
            assert cli_main()([*args, "--ledger", str(tmp_path / "a.jsonl"), "--market-data", "ws"]) == 0
            cap = capsys.readouterr()
            ws_out = " ".join((cap.err + cap.out).split())
            assert cli_main()([*args, "--ledger", str(tmp_path / "b.jsonl")]) == 0
            cap = capsys.readouterr()
            rest_out = " ".join((cap.err + cap.out).split())
    finally:
        get_settings.cache_clear()
    assert "fills via ws" in ws_out and "fill source │ ws" in ws_out and "REST fill polls │ 0" in ws_out  # --market-data ws → --fills ws
    assert "fills via rest" in rest_out and "fill source │ rest" in rest_out
