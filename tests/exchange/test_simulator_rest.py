"""Simulator REST behaviour: orders, idempotency, cash/positions/settlement, pagination, faults."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
import requests

from kalshi_edge.exchange.scenario import builtin_scenario
from kalshi_edge.exchange.simulator import run_simulator_in_thread
from kalshi_edge.exchange.state import ManualClock
from kalshi_edge.kalshi.fees import order_fee

T = "KXHIGHNY-26JUL12-T82"  # recorded top: yes bid 0.16 x12, yes ask 0.19 x11 (NO bid 0.81)


@pytest.fixture
def sim():
    sc = builtin_scenario(seed=4)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start)) as handle:
        yield handle


def post(sim, body, v2=False):
    path = "/portfolio/events/orders" if v2 else "/portfolio/orders"
    return requests.post(sim.base_url + path, json=body, timeout=10)


def balance_dollars(sim) -> D:
    return D(requests.get(sim.base_url + "/portfolio/balance", timeout=10).json()["balance_dollars"])


def test_duplicate_client_order_id_creates_one_order(sim):
    body = {"ticker": T, "side": "yes", "action": "buy", "count": 2, "yes_price_dollars": "0.1000",
            "client_order_id": "dup-1"}
    first = post(sim, body)
    assert first.status_code == 201
    again = post(sim, body)
    assert again.status_code == 409
    assert again.json()["details"] == first.json()["order"]["order_id"]
    listed = requests.get(sim.base_url + "/portfolio/orders", params={"client_order_id": "dup-1"}, timeout=10).json()
    assert [o["order_id"] for o in listed["orders"]] == [first.json()["order"]["order_id"]]
    # V2 path shares the same idempotency table
    assert post(sim, {"ticker": T, "side": "bid", "count": "1.00", "price": "0.1000", "client_order_id": "dup-1"},
                v2=True).status_code == 409


def test_taker_buy_fee_cash_position_and_round_trip(sim):
    start = balance_dollars(sim)
    r = post(sim, {"ticker": T, "side": "yes", "action": "buy", "count": 10, "yes_price_dollars": "0.1900",
                   "time_in_force": "immediate_or_cancel", "client_order_id": "rt-1"})
    order = r.json()["order"]
    # only 11 at 0.19 on the recorded book: 10 fill at 0.19
    assert (order["status"], order["fill_count_fp"], order["taker_fill_cost_dollars"]) == ("executed", "10.00", "1.9000")
    fee = order_fee(price="0.19", count="10")
    assert D(order["taker_fees_dollars"]) == fee
    assert balance_dollars(sim) == start - D("1.90") - fee
    pos = requests.get(sim.base_url + "/portfolio/positions", timeout=10).json()["market_positions"][0]
    assert (pos["position_fp"], pos["market_exposure_dollars"]) == ("10.00", "1.9000")
    # sell YES = long NO side of the book: hits the 0.16 YES bid (12 there)
    r = post(sim, {"ticker": T, "side": "yes", "action": "sell", "count": 10, "yes_price_dollars": "0.1600",
                   "client_order_id": "rt-2"})
    o2 = r.json()["order"]
    assert o2["status"] == "executed" and o2["book_side"] == "ask"
    fee2 = D(o2["taker_fees_dollars"])
    assert fee2 == order_fee(price="0.16", count="10")
    pos = requests.get(sim.base_url + "/portfolio/positions", timeout=10).json()["market_positions"][0]
    assert pos["position_fp"] == "0.00" and pos["market_exposure_dollars"] == "0.0000"
    assert D(pos["realized_pnl_dollars"]) == D("1.60") - D("1.90") - fee - fee2
    assert balance_dollars(sim) == start + D(pos["realized_pnl_dollars"])


def test_v2_bid_ask_and_cancel(sim):
    r = post(sim, {"ticker": T, "side": "ask", "count": "4.00", "price": "0.2500", "client_order_id": "v2-1"}, v2=True)
    assert r.status_code == 201
    body = r.json()
    assert (body["fill_count"], body["remaining_count"], body["status"]) == ("0.00", "4.00", "resting")
    book = requests.get(sim.base_url + f"/markets/{T}/orderbook", timeout=10).json()["orderbook_fp"]
    assert ["0.7500", "4.00"] in book["no_dollars"]  # an ask at yes 0.25 rests as a NO bid at 0.75
    r = requests.delete(sim.base_url + f"/portfolio/events/orders/{body['order_id']}", timeout=10)
    assert r.status_code == 200 and r.json()["reduced_by"] == "4.00"
    assert requests.delete(sim.base_url + f"/portfolio/events/orders/{body['order_id']}", timeout=10).status_code == 404
    order = requests.get(sim.base_url + f"/portfolio/orders/{body['order_id']}", timeout=10).json()["order"]
    assert order["status"] == "canceled"


def test_settlement_pays_winners_in_cents(sim):
    r = post(sim, {"ticker": T, "side": "no", "action": "buy", "count": 5, "no_price_dollars": "0.8400",
                   "client_order_id": "s-1"})
    assert r.json()["order"]["fill_count_fp"] == "5.00"  # NO ask 0.84 = 1 − yes bid 0.16
    before = balance_dollars(sim)
    recs = sim.settle(T, "no")
    assert recs[0]["revenue"] == 500 and recs[0]["no_count_fp"] == "5.00"
    assert balance_dollars(sim) == before + 5
    m = requests.get(sim.base_url + f"/markets/{T}", timeout=10).json()["market"]
    assert (m["status"], m["result"]) == ("finalized", "no")
    assert post(sim, {"ticker": T, "side": "yes", "action": "buy", "count": 1, "yes_price": 10}).status_code == 400
    s = requests.get(sim.base_url + "/portfolio/settlements", timeout=10).json()["settlements"]
    assert s[0]["ticker"] == T and s[0]["market_result"] == "no"
    assert requests.post(sim.base_url.replace("/trade-api/v2", "/_sim/settle"),
                         json={"ticker": T, "result": "yes"}, timeout=10).status_code == 409


def test_market_closes_with_the_clock(sim):
    sim.exchange.clock.advance(3 * 86400)
    r = post(sim, {"ticker": T, "side": "yes", "action": "buy", "count": 1, "yes_price": 10})
    assert r.status_code == 400 and r.json()["code"] == "market_closed"
    closed = requests.get(sim.base_url + "/markets", params={"status": "closed", "limit": 1000}, timeout=10).json()
    assert T in {m["ticker"] for m in closed["markets"]}


@pytest.mark.parametrize(("body", "code"), [
    ({"ticker": T, "side": "yes", "action": "buy", "count": 1, "yes_price": 150}, "invalid_parameters"),
    ({"ticker": T, "side": "yes", "action": "buy", "count": 1, "yes_price_dollars": "0.1550"}, "invalid_price"),
    ({"ticker": T, "side": "maybe", "action": "buy", "count": 1, "yes_price": 10}, "invalid_parameters"),
    ({"ticker": "NOPE", "side": "yes", "action": "buy", "count": 1, "yes_price": 10}, "not_found"),
    ({"ticker": T, "side": "yes", "action": "buy", "count": 10**7, "yes_price": 50}, "insufficient_balance"),
    ({"ticker": T, "side": "yes", "action": "sell", "count": 1, "yes_price": 50, "reduce_only": True}, "reduce_only_violation"),
    ({"ticker": T, "side": "yes", "action": "buy", "count": 1, "yes_price_dollars": "0.9000", "post_only": True}, "post_only_cross"),
])
def test_bad_orders_are_refused_with_a_reason(sim, body, code):
    r = post(sim, body)
    assert r.status_code in (400, 404)
    assert r.json()["code"] == code
    assert requests.get(sim.base_url + "/portfolio/orders", timeout=10).json()["orders"] == []


def test_cursor_pagination_visits_every_market_once(sim):
    seen, cursor, pages = [], "", 0
    while True:
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        page = requests.get(sim.base_url + "/markets", params=params, timeout=10).json()
        seen += [m["ticker"] for m in page["markets"]]
        cursor, pages = page["cursor"], pages + 1
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == len(sim.exchange.markets)
    assert pages == -(-len(seen) // 7)
    assert requests.get(sim.base_url + "/markets", params={"cursor": "garbage"}, timeout=10).status_code == 400
    assert requests.get(sim.base_url + "/markets", params={"limit": 5000}, timeout=10).status_code == 400


def test_every_family_is_served_open(sim):
    for series in ("KXHIGHNY", "KXBTCD", "KXBTC", "KXTOPSONG"):
        ms = requests.get(sim.base_url + "/markets", params={"series_ticker": series, "status": "open"}, timeout=10).json()
        assert ms["markets"], series
        assert all(m["status"] == "active" for m in ms["markets"])
    ev = requests.get(sim.base_url + "/events", params={"series_ticker": "KXTOPSONG", "with_nested_markets": "true"},
                      timeout=10).json()["events"][0]
    assert ev["mutually_exclusive"] and len(ev["markets"]) == 8
    assert ev["markets"][0]["generated"] is True


# ---------------------------------------------------------------------------- faults
def test_lost_response_order_exists_and_retry_is_idempotent():
    sc = builtin_scenario(seed=4)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start), faults="lost:1.0", seed=2) as sim:
        body = {"ticker": T, "side": "yes", "action": "buy", "count": 1, "yes_price": 10, "client_order_id": "lost-1"}
        for _ in range(3):  # every response is lost (closed connection or 504)
            try:
                r = post(sim, body)
                assert r.status_code in (504, 409)
            except requests.ConnectionError:
                pass
        assert sim.faults.injected["lost"] >= 1
        orders = [o for o in sim.exchange.orders.values() if o.state.order.client_order_id == "lost-1"]
        assert len(orders) == 1  # accepted once, never twice


def test_5xx_and_429_faults_have_no_side_effect():
    sc = builtin_scenario(seed=4)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start), faults="5xx:1.0") as sim:
        r = post(sim, {"ticker": T, "side": "yes", "action": "buy", "count": 1, "yes_price": 10})
        assert r.status_code in (500, 502, 503) and not sim.exchange.orders
        # admin endpoints are never faulted
        assert requests.get(sim.base_url.replace("/trade-api/v2", "/_sim/state"), timeout=10).status_code == 200
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start), faults="429:1.0") as sim:
        assert requests.get(sim.base_url + "/markets", timeout=10).status_code == 429


def test_replay_moves_the_book_to_the_recorded_quotes():
    from kalshi_edge.exchange.scenario import ReplayFeed, default_sample_dir

    path = default_sample_dir() / "top_of_book_KXHIGHNY-25DEC05_first4000.csv.gz"
    feed = ReplayFeed.from_files([path])
    with run_simulator_in_thread(replay=[path], clock=ManualClock(feed.start)) as sim:
        sim.call(sim.simulator.apply_replay_due)
        first = {u.ticker: u for u in feed.updates if u.ts == feed.start}
        for t, u in first.items():
            book = sim.exchange.engine.book(t)
            assert book.best_yes_bid == u.yes_bid and book.best_no_bid == u.no_bid
        sim.exchange.clock.advance(3600)
        sim.call(sim.simulator.apply_replay_due)  # (the server's replay task may have applied them already)
        assert sim.simulator.replay.exhausted is False
        assert sum(1 for u in feed.updates if u.ts <= sim.exchange.now()) > 100
        latest = {}
        for u in feed.updates:
            if u.ts <= sim.exchange.now():
                latest[u.ticker] = u
        for t, u in latest.items():
            book = sim.exchange.engine.book(t)
            if u.yes_bid is not None and u.no_bid is not None and u.yes_bid + u.no_bid < 1:
                assert (book.best_yes_bid, book.best_no_bid) == (u.yes_bid, u.no_bid), t


def test_decrease_queue_position_and_expiration(sim):
    b = sim.base_url
    # behind the recorded 12 contracts at the 0.16 YES bid
    r = post(sim, {"ticker": T, "side": "yes", "action": "buy", "count": 6, "yes_price_dollars": "0.1600",
                   "client_order_id": "q-1"})
    oid = r.json()["order"]["order_id"]
    assert requests.get(b + f"/portfolio/orders/{oid}/queue_position", timeout=10).json() == {"queue_position_fp": "12.00"}
    r = requests.post(b + f"/portfolio/orders/{oid}/decrease", json={"reduce_to": 2}, timeout=10)
    assert r.json()["order"]["remaining_count_fp"] == "2.00"
    assert requests.post(b + f"/portfolio/orders/{oid}/decrease", json={}, timeout=10).status_code == 400
    book = requests.get(b + f"/markets/{T}/orderbook", timeout=10).json()["orderbook_fp"]
    assert ["0.1600", "14.00"] in book["yes_dollars"]
    # an order with expiration_ts is cancelled once the clock passes it
    exp = int(sim.exchange.now().timestamp()) + 60
    r = post(sim, {"ticker": T, "side": "yes", "action": "buy", "count": 1, "yes_price_dollars": "0.1000",
                   "expiration_ts": exp, "client_order_id": "exp-1"})
    eid = r.json()["order"]["order_id"]
    sim.exchange.clock.advance(61)
    order = requests.get(b + f"/portfolio/orders/{eid}", timeout=10).json()["order"]
    assert order["status"] == "canceled"
    assert requests.get(b + f"/portfolio/orders/{oid}", timeout=10).json()["order"]["status"] == "resting"


def test_market_close_cancels_resting_orders_and_frees_cash(sim):
    start = D(requests.get(sim.base_url + "/portfolio/balance", timeout=10).json()["balance_dollars"])
    r = post(sim, {"ticker": T, "side": "yes", "action": "buy", "count": 10, "yes_price_dollars": "0.1000",
                   "client_order_id": "c-1"})
    oid = r.json()["order"]["order_id"]
    # a resting buy reserves its cost at the limit plus the worst-case (taker) fee
    assert sim.exchange.available_cash("default") == start - D("1.00") - order_fee(price="0.10", count="10")
    sim.exchange.clock.advance(2 * 86400)  # past the KXHIGHNY close
    order = requests.get(sim.base_url + f"/portfolio/orders/{oid}", timeout=10).json()["order"]
    assert order["status"] == "canceled"
    assert sim.exchange.engine.book(T) == ([], [])
    assert sim.exchange.available_cash("default") == start


def test_buy_max_cost_caps_the_count_and_v2_expiration_time(sim):
    r = post(sim, {"ticker": T, "side": "yes", "action": "buy", "count": 100, "yes_price": 10, "buy_max_cost": 55,
                   "client_order_id": "cap-1"})
    assert r.json()["order"]["initial_count_fp"] == "5.00"  # 55¢ buys 5 contracts at 10¢
    assert post(sim, {"ticker": T, "side": "yes", "action": "buy", "count": 1, "yes_price": 10,
                      "buy_max_cost": 5}).status_code == 400
    exp = "2026-07-12T15:01:00Z"
    r = post(sim, {"ticker": T, "side": "bid", "count": "1.00", "price": "0.0500", "expiration_time": exp,
                   "client_order_id": "v2-exp"}, v2=True)
    oid = r.json()["order_id"]
    sim.exchange.clock.advance(120)
    assert requests.get(sim.base_url + f"/portfolio/orders/{oid}", timeout=10).json()["order"]["status"] == "canceled"


def test_slow_fault_delays_but_answers_correctly():
    sc = builtin_scenario(seed=4)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start), faults="slow:1.0") as sim:
        r = requests.get(sim.base_url + f"/markets/{T}", timeout=10)
        assert r.status_code == 200 and r.json()["market"]["ticker"] == T
        assert sim.faults.injected["slow"] == 1


def test_fee_tick_is_configurable():
    sc = builtin_scenario(seed=4)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start), fee_tick=D("0.0001")) as sim:
        r = post(sim, {"ticker": T, "side": "yes", "action": "buy", "count": 1, "yes_price_dollars": "0.1900",
                       "client_order_id": "tick-1"})
        # 0.07 × 0.19 × 0.81 = 0.010773 → $0.0108 at a $0.0001 tick (it would be $0.02 at $0.01)
        assert r.json()["order"]["taker_fees_dollars"] == "0.0108"
