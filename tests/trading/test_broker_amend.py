"""Broker-level amend (cancel-replace in one step) and the live broker's order-group reset after a trip (#17).

Paper: a maker strategy moves its resting quote with ``amend`` in the shared matching engine; the
order keeps its id and fills, a same-price shrink keeps its queue place, a post-only amend that
would cross is refused and leaves the order as it was. REST: the same against the simulator, and a
tripped order group is reset by the broker once the trip is 15 s old (the order is then accepted).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

from kalshi_edge.exchange.scenario import builtin_scenario
from kalshi_edge.exchange.simulator import run_simulator_in_thread
from kalshi_edge.exchange.state import ManualClock
from kalshi_edge.kalshi.rest import KalshiRestClient
from kalshi_edge.trading.brokers import PaperBroker, RestBroker, create_order_group
from kalshi_edge.trading.intents import OrderIntent
from kalshi_edge.trading.strategy import MarketSnapshot

T = "KXHIGHNY-26JUL12-B84.5"
NOW = datetime(2026, 7, 12, 15, 0, tzinfo=UTC)


def _intent(price: str, *, coid: str = "c-1", count: str = "5", liquidity: str = "maker", side: str = "yes",
            action: str = "buy") -> OrderIntent:
    return OrderIntent(client_order_id=coid, strategy="test", family="weather", ticker=T, event_ticker="KXHIGHNY-26JUL12",
                       side=side, action=action, price=D(price), count=D(count), liquidity=liquidity,  # type: ignore[arg-type]
                       p_yes=0.5, confidence=1.0, edge_per_contract=D("0.01"), fee_estimate=D("0"),
                       decided_at=NOW, quote_ts=NOW)


def _snap(bid: str, ask: str) -> MarketSnapshot:
    return MarketSnapshot(ticker=T, yes_bid=D(bid), yes_ask=D(ask), quote_ts=NOW, yes_bid_size=D("10"),
                          yes_ask_size=D("10"))


def test_paper_maker_cancel_replaces_through_amend():
    b = PaperBroker(cash=D("100"))
    b.observe(_snap("0.40", "0.45"))
    first = b.place(_intent("0.41"), count=D("5"))
    assert first.status == "resting"
    moved = b.amend(first.order_id, _intent("0.43"), count=D("5"))
    assert (moved.order_id, moved.client_order_id, moved.status) == (first.order_id, "c-1", "resting")
    assert b.engine.book(T).yes[0] == (D("0.43"), D("5"))  # the quote moved; nothing left at 0.41
    assert all(p != D("0.41") for p, _ in b.engine.book(T).yes)
    b.observe(_snap("0.40", "0.43"))  # the ask comes down to our bid: we are filled as maker
    assert b.positions() == {T: D("5")} and b.engine.orders[first.order_id].status == "executed"


def test_paper_amend_keeps_queue_on_shrink_and_refuses_a_crossing_post_only():
    b = PaperBroker(cash=D("100"))
    b.observe(_snap("0.40", "0.45"))
    r = b.place(_intent("0.40"), count=D("6"))  # joins the external 10 at 0.40
    assert b.engine.queue_position(r.order_id) == 10
    b.amend(r.order_id, _intent("0.40"), count=D("4"))
    assert b.engine.queue_position(r.order_id) == 10 and b.engine.orders[r.order_id].remaining_count == 4
    bad = b.amend(r.order_id, _intent("0.45"), count=D("4"))  # post-only at the ask would take
    assert bad.status == "rejected" and "post_only" in bad.reason
    st = b.engine.orders[r.order_id]
    assert (st.order.price, st.remaining_count, st.status) == (D("0.40"), D("4"), "resting")


def test_rest_broker_amends_and_resets_a_tripped_order_group():
    sc = builtin_scenario(seed=6)
    clock = ManualClock(sc.clock_start)
    wall = [1000.0]
    with run_simulator_in_thread(scenario=sc, clock=clock, seed=6) as sim:
        sim.set_book(T, yes=[("0.20", "10")], no=[("0.70", "10")])
        client = KalshiRestClient(sim.base_url, backoff_base=0.005, timeout=5.0)
        broker = RestBroker(client, clock=lambda: wall[0])
        r = broker.place(_intent("0.25"), count=D("5"))
        moved = broker.amend(r.order_id, _intent("0.22"), count=D("5"))
        assert moved.status == "resting" and client.get_order(r.order_id).yes_price == D("0.22")
        gid = create_order_group(client, contracts_limit=2)
        prot = {"order_group_id": gid}
        g1 = broker.place(_intent("0.24", coid="g-1"), count=D("5"), protection=prot)
        sim.exchange.create_order("other", {"ticker": T, "side": "ask", "count": "3", "price": "0.24",
                                            "time_in_force": "immediate_or_cancel"}, v2=True)
        o = client.get_order(g1.order_id)  # 3 ≥ 2 matched in 15 s: the group tripped, the rest is canceled
        assert (o.status, o.fill_count) == ("canceled", D("3"))
        refused = broker.place(_intent("0.21", coid="g-2"), count=D("1"), protection=prot)
        assert refused.status == "rejected" and "reset it first" in refused.reason
        assert gid in broker.group_tripped_at and broker.group_resets == 0
        wall[0] += 16  # the trip is now older than the 15 s window
        ok = broker.place(_intent("0.21", coid="g-3"), count=D("1"), protection=prot)
        assert ok.status == "resting" and broker.group_resets == 1
        assert client.get_order_group(gid).triggered is False
        client.close()


def test_rest_broker_learns_fills_from_the_socket_and_polls_after_a_gap():
    import time

    from kalshi_edge.kalshi.ws import FillStream, KalshiWsClient

    sc = builtin_scenario(seed=7)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start), seed=7) as sim:
        sim.set_book(T, yes=[("0.20", "10")], no=[("0.70", "10")])
        client = KalshiRestClient(sim.base_url, backoff_base=0.005, timeout=5.0)
        stream = FillStream(KalshiWsClient(sim.ws_url, backoff_base=0.01), max_reconnects=0).start()
        assert stream.healthy
        broker = RestBroker(client, fill_stream=stream)
        r = broker.place(_intent("0.25"), count=D("5"))
        sim.exchange.create_order("other", {"ticker": T, "side": "ask", "count": "2", "price": "0.25",
                                            "time_in_force": "immediate_or_cancel"}, v2=True)
        deadline = time.monotonic() + 5
        got = []
        while not got and time.monotonic() < deadline:
            got = broker.new_fills()
            time.sleep(0.02)
        assert [(coid, f.count) for coid, f in got] == [("c-1", D("2"))]
        assert broker.fill_polls == 0  # learned from the socket, no GET /portfolio/fills
        stream.stop()  # the socket goes away: the next call falls back to polling
        sim.exchange.create_order("other", {"ticker": T, "side": "ask", "count": "1", "price": "0.25",
                                            "time_in_force": "immediate_or_cancel"}, v2=True)
        assert [(coid, f.count) for coid, f in broker.new_fills()] == [("c-1", D("1"))]
        assert broker.fill_polls == 1 and r.order_id
        client.close()
