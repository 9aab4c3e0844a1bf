"""The backtest broker amends through the one matching engine, so the session's amend path runs
in replays too (issue 17). Touches are synthetic on purpose: each test needs our price to be
reached (parked) or not, which recorded books do not isolate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from kalshi_edge.backtest.broker import BacktestBroker, ReplayBook
from kalshi_edge.trading.intents import OrderIntent

T = "KXHIGHNY-26MAR01-B45.5"
NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
NS = int(NOW.timestamp() * 1e9)


def _intent(price: str, coid: str = "c-1") -> OrderIntent:
    return OrderIntent(client_order_id=coid, strategy="t", family="weather", ticker=T, event_ticker="KXHIGHNY-26MAR01",
                       side="yes", action="buy", price=D(price), count=D("5"), liquidity="maker", p_yes=0.7,
                       confidence=1.0, edge_per_contract=D("0.1"), fee_estimate=D("0"), decided_at=NOW, quote_ts=NOW)


def _broker() -> BacktestBroker:
    return BacktestBroker(ReplayBook(close_time=lambda t: NOW + timedelta(hours=6)), clock=lambda: NOW, cash=D("100"))


def test_backtest_broker_amends_a_resting_order_in_the_engine():
    b = _broker()
    b.apply_update(T, NS, 40, 46)
    r = b.place(_intent("0.40"), count=D("5"))
    assert r.status == "resting"
    b.apply_update(T, NS + 1, 43, 47)
    moved = b.amend(r.order_id, _intent("0.43", coid="c-2"), count=D("5"))
    assert (moved.order_id, moved.status) == (r.order_id, "resting")
    assert b.resting_order_ids() == [r.order_id]
    assert b.find_order("c-1")["yes_price"] == D("0.43")
    b.apply_update(T, NS + 2, 41, 42)  # trades through our 0.43 bid: filled as maker at our price
    assert b.positions() == {T: D("5")} and [f.yes_price for f in b.fills_of(r.order_id)] == [D("0.43")]


def test_backtest_broker_amends_a_parked_order():
    b = _broker()
    b.apply_update(T, NS, 40, 46)
    r = b.place(_intent("0.40"), count=D("5"))
    b.apply_update(T, NS + 1, 38, 40)  # the ask touches our bid: parked (the queue ahead trades first)
    assert b.find_order("c-1")["status"] == "resting" and b._parked
    moved = b.amend(r.order_id, _intent("0.37", coid="c-2"), count=D("5"))
    assert moved.status == "resting" and not b._parked  # 0.37 is no longer reached: back on the book
    assert b.find_order("c-1")["yes_price"] == D("0.37") and b.resting_order_ids() == [r.order_id]
    assert b.positions() == {}
