"""The matching engine: Kalshi book model, price-time priority, TIF, STP, fees, invariants.

Books here are small synthetic ladders: the behaviours under test (crossing, priority, partial
fills) need exact hand-built situations that recorded books do not isolate.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kalshi_edge.exchange.matching import (
    EXCHANGE_ACCOUNT,
    EngineError,
    EngineOrder,
    MatchingEngine,
    OrderNotFound,
    book_side_for,
    levels_from_strings,
)
from kalshi_edge.kalshi.fees import FeeSchedule, FeeType, order_fee

T = "KXHIGHNY-26OCT02-B81.5"
_n = iter(range(10**9))


def order(side: str, price: str, count: str, account: str = "u", **kw) -> EngineOrder:
    return EngineOrder(
        order_id=kw.pop("order_id", f"o{next(_n)}"),
        account=account,
        ticker=kw.pop("ticker", T),
        book_side=side,  # type: ignore[arg-type]
        price=D(price),
        count=D(count),
        **kw,
    )


def test_book_side_mapping_matches_kalshi_v2():
    assert book_side_for("yes", "buy") == "bid"
    assert book_side_for("no", "sell") == "bid"
    assert book_side_for("no", "buy") == "ask"
    assert book_side_for("yes", "sell") == "ask"
    with pytest.raises(EngineError, match="side"):
        book_side_for("maybe", "buy")  # type: ignore[arg-type]


def test_from_side_action_converts_no_price_to_yes_price():
    o = EngineOrder.from_side_action(
        order_id="a", account="u", ticker=T, side="no", action="buy", price=D("0.30"), count=D("2")
    )
    assert (o.book_side, o.price, o.outcome, o.outcome_price) == ("ask", D("0.70"), "no", D("0.30"))


def test_yes_buy_crosses_no_bids_at_or_above_one_minus_price_at_maker_price():
    e = MatchingEngine()
    e.load_levels(T, yes=[("0.40", "10")], no=[("0.55", "5"), ("0.50", "7"), ("0.45", "9")])
    res = e.submit(order("bid", "0.50", "8"))
    taker = [f for f in res if f.is_taker]
    # best NO bid 0.55 = YES ask 0.45 first, then NO 0.50 = YES 0.50; NO 0.45 (YES ask 0.55) does not cross
    assert [(f.yes_price, f.count) for f in taker] == [(D("0.45"), D("5")), (D("0.50"), D("3"))]
    assert res.status == "executed"
    assert e.book(T).no == [(D("0.50"), D("4")), (D("0.45"), D("9"))]
    assert e.book(T).best_yes_ask == D("0.50")


def test_no_buy_crosses_yes_bids():
    e = MatchingEngine()
    e.load_levels(T, yes=[("0.40", "10"), ("0.38", "10")])
    res = e.submit(EngineOrder.from_side_action(
        order_id="n1", account="u", ticker=T, side="no", action="buy", price=D("0.61"), count=D("12")
    ))
    assert [(f.yes_price, f.count) for f in res if f.is_taker] == [(D("0.40"), D("10"))]
    # 0.38 yes bid = no ask 0.62 > 0.61: remainder rests as a NO bid at 0.61
    assert res.status == "resting"
    assert e.book(T).no == [(D("0.61"), D("2"))]
    assert e.book(T).yes == [(D("0.38"), D("10"))]


def test_no_cross_when_prices_do_not_meet():
    e = MatchingEngine()
    e.load_levels(T, no=[("0.55", "5")])  # yes ask 0.45
    res = e.submit(order("bid", "0.44", "1"))
    assert res.fills == [] and res.status == "resting"
    assert e.book(T).yes == [(D("0.44"), D("1"))]


def test_price_time_priority_within_level():
    e = MatchingEngine()
    e.submit(order("ask", "0.60", "2", account="a", order_id="first"))
    e.submit(order("ask", "0.60", "2", account="b", order_id="second"))
    e.submit(order("ask", "0.59", "1", account="c", order_id="better"))
    res = e.submit(order("bid", "0.60", "4", account="t"))
    makers = [f.order_id for f in res if not f.is_taker]
    assert makers == ["better", "first", "second"]
    assert e.orders["second"].remaining_count == D("1")
    assert e.queue_position("second") == D("0")


def test_queue_position_counts_contracts_ahead():
    e = MatchingEngine()
    e.submit(order("bid", "0.30", "5", account="a", order_id="q1"))
    e.submit(order("bid", "0.30", "3", account="b", order_id="q2"))
    assert e.queue_position("q2") == D("5")
    e.decrease("q1", reduce_by=D("2"))
    assert e.queue_position("q2") == D("3")
    assert e.queue_position("q1") == D("0")  # decrease keeps priority


def test_ioc_cancels_remainder_fok_is_all_or_nothing():
    e = MatchingEngine()
    e.load_levels(T, no=[("0.50", "3")])
    fok = e.submit(order("bid", "0.50", "4", time_in_force="fill_or_kill"))
    assert fok.fills == [] and fok.status == "canceled"
    assert e.book(T).no == [(D("0.50"), D("3"))]
    ioc = e.submit(order("bid", "0.50", "4", time_in_force="immediate_or_cancel"))
    assert sum(f.count for f in ioc if f.is_taker) == D("3")
    assert ioc.status == "canceled" and ioc.state.remaining_count == D("1")
    assert e.book(T) == ([], [])


def test_post_only_rejected_when_crossing():
    e = MatchingEngine()
    e.load_levels(T, no=[("0.50", "3")])
    res = e.submit(order("bid", "0.50", "1", post_only=True))
    assert res.status == "rejected" and "post_only" in res.state.reject_reason
    ok = e.submit(order("bid", "0.49", "1", post_only=True))
    assert ok.status == "resting"


def test_self_trade_prevention_taker_at_cross_and_maker():
    e = MatchingEngine()
    e.submit(order("ask", "0.50", "2", account="me", order_id="mine"))
    res = e.submit(order("bid", "0.55", "2", account="me"))
    assert res.fills == [] and res.status == "canceled"
    assert e.orders["mine"].status == "resting"
    res2 = e.submit(order("bid", "0.55", "2", account="me", self_trade_prevention="maker", order_id="t2"))
    assert e.orders["mine"].status == "canceled"
    assert res2.fills == [] and res2.status == "resting"  # nothing else to hit: rests
    assert e.book(T).yes == [(D("0.55"), D("2"))]


def test_cancel_and_errors():
    e = MatchingEngine()
    e.submit(order("bid", "0.30", "5", order_id="c1"))
    st_, deltas = e.cancel("c1")
    assert st_.status == "canceled" and deltas[0].delta == D("-5")
    assert e.book(T) == ([], [])
    with pytest.raises(OrderNotFound):
        e.cancel("c1")
    with pytest.raises(EngineError, match="already used"):
        e.submit(order("bid", "0.30", "5", order_id="c1"))
    with pytest.raises(EngineError, match="strictly between"):
        order("bid", "1", "1")
    with pytest.raises(EngineError, match="count"):
        order("bid", "0.5", "0")
    with pytest.raises(ValueError, match="count"):
        order("bid", "0.5", "1.001")


def test_price_ok_hook_rejects_off_grid():
    e = MatchingEngine(price_ok=lambda _t, p: p == p.quantize(D("0.01")))
    assert e.submit(order("bid", "0.305", "1")).status == "rejected"
    assert e.submit(order("bid", "0.31", "1")).status == "resting"


def test_taker_fee_equals_order_fee_and_rounds_per_order():
    e = MatchingEngine()
    e.load_levels(T, no=[("0.75", "1"), ("0.74", "1")])  # yes asks 0.25, 0.26
    res = e.submit(order("bid", "0.26", "2"))
    taker = [f for f in res if f.is_taker]
    total = sum(f.fee for f in taker)
    # raw 0.07*0.25*0.75 + 0.07*0.26*0.74 = 0.013125 + 0.013468 = 0.026593 → $0.03 per order
    assert total == D("0.03") == res.state.taker_fees
    assert taker[0].fee == order_fee(price="0.25", count="1")
    makers = [f for f in res if not f.is_taker]
    assert all(f.fee == 0 for f in makers)  # plain quadratic: makers free


def test_maker_fee_on_quadratic_with_maker_fees_and_waiver():
    sched = FeeSchedule(fee_type=FeeType.QUADRATIC_WITH_MAKER_FEES)
    e = MatchingEngine(fee_schedule_for=lambda _t: sched)
    e.submit(order("ask", "0.50", "10", account="m", order_id="mk"))
    res = e.submit(order("bid", "0.50", "10", account="t"))
    maker = [f for f in res if not f.is_taker][0]
    assert maker.fee == order_fee(price="0.50", count="10", is_maker=True, schedule=sched) == D("0.05")
    from datetime import UTC, datetime

    waived = FeeSchedule(waiver_expires=datetime(2030, 1, 1, tzinfo=UTC))
    e2 = MatchingEngine(fee_schedule_for=lambda _t: waived)
    e2.submit(order("ask", "0.50", "10", account="m"))
    res2 = e2.submit(order("bid", "0.50", "10", account="t", ts_ms=1_700_000_000_000))
    assert all(f.fee == 0 for f in res2)


def test_load_levels_replaces_only_exchange_liquidity_and_keeps_priority():
    e = MatchingEngine()
    e.load_levels(T, yes=[("0.40", "10")])
    e.submit(order("bid", "0.40", "3", account="u", order_id="user"))
    assert e.queue_position("user") == D("10")
    e.load_levels(T, yes=[("0.40", "6"), ("0.39", "1")])
    assert e.queue_position("user") == D("6")  # the exchange's shrink keeps the user's place
    assert e.book(T).yes == [(D("0.40"), D("9")), (D("0.39"), D("1"))]
    e.load_levels(T, yes=[("0.40", "8")])  # growth joins behind the user
    assert e.queue_position("user") == D("6")
    assert e.book(T).yes == [(D("0.40"), D("11"))]
    e.load_levels(T)
    assert e.book(T).yes == [(D("0.40"), D("3"))]
    with pytest.raises(EngineError, match="crossed"):
        e.load_levels(T, yes=[("0.60", "1")], no=[("0.40", "1")])


def test_load_levels_trades_through_user_order_user_is_maker():
    e = MatchingEngine()
    e.submit(order("bid", "0.45", "5", account="u", order_id="ub"))
    r = e.load_levels(T, no=[("0.60", "8")])  # recorded NO bid 0.60 = yes ask 0.40 < user's 0.45
    user = [f for f in r.fills if f.account == "u"]
    assert [(f.yes_price, f.count, f.is_taker) for f in user] == [(D("0.45"), D("5"), False)]
    assert e.orders["ub"].status == "executed"
    assert e.book(T).no == [(D("0.60"), D("3"))]


def test_levels_from_strings_parses_rest_ladders():
    assert levels_from_strings([["0.2700", "31.54"]], "yes_dollars") == [(D("0.2700"), D("31.54"))]
    with pytest.raises(ValueError, match=r"yes_dollars\[0\]\[0\]"):
        levels_from_strings([["1.7", "1"]], "yes_dollars")


def test_close_market_cancels_all_resting():
    e = MatchingEngine()
    e.load_levels(T, yes=[("0.40", "10")])
    e.submit(order("ask", "0.70", "1", order_id="z"))
    out = e.close_market(T)
    assert {s.order_id for s in out} >= {"z"} and e.book(T) == ([], [])
    assert e.orders["z"].status == "canceled"


# ---------------------------------------------------------------- property-based invariants
prices = st.integers(min_value=1, max_value=99).map(lambda c: D(c) / 100)
counts = st.integers(min_value=1, max_value=500).map(lambda c: D(c) / 100)
orders_st = st.lists(
    st.tuples(
        st.sampled_from(["bid", "ask"]),
        prices,
        counts,
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(["gtc", "gtc", "ioc", "fok"]),
        st.booleans(),  # cancel a random resting order after this one
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders_st)
def test_invariants_random_order_flow(flow):
    e = MatchingEngine()
    for i, (side, price, count, acct, tif, do_cancel) in enumerate(flow):
        before = e.book(T)
        before_levels = {("yes", p) for p, _ in before.yes} | {("no", p) for p, _ in before.no}
        o = EngineOrder(order_id=f"o{i}", account=acct, ticker=T, book_side=side, price=price,
                        count=count, time_in_force=tif)
        res = e.submit(o)
        taker = [f for f in res if f.is_taker]
        makers = [f for f in res if not f.is_taker]
        # every execution has exactly one taker and one maker fill of the same size and price
        assert len(taker) == len(makers) == len(res.trades)
        for t, m in zip(taker, makers, strict=True):
            assert (t.trade_id, t.count, t.yes_price) == (m.trade_id, m.count, m.yes_price)
            assert t.account != m.account  # self-trade never happens
            # the fill price was a resting level before the order arrived ...
            level = ("yes", m.yes_price) if m.book_side == "bid" else ("no", 1 - m.yes_price)
            assert level in before_levels
            # ... and within the taker's limit
            assert (t.yes_price <= price) if side == "bid" else (t.yes_price >= price)
        # price priority: the taker walks from better to worse prices
        ys = [t.yes_price for t in taker]
        assert ys == (sorted(ys) if side == "bid" else sorted(ys, reverse=True))
        # count conservation for the taker
        stt = res.state
        assert stt.filled_count + stt.remaining_count == count
        assert sum((f.count for f in taker), D(0)) == stt.filled_count
        if tif == "fok":
            assert stt.filled_count in (D(0), count)
        if tif != "gtc":
            assert stt.status != "resting"
        if do_cancel and e.resting_orders():
            victim = e.resting_orders()[len(flow) * 7 % len(e.resting_orders())]
            e.cancel(victim.order_id)
        # the book never crosses, and equals the sum of resting orders
        b = e.book(T)
        if b.yes and b.no:
            assert b.yes[0][0] + b.no[0][0] < 1
        agg: dict[tuple[str, D], D] = {}
        for s in e.resting_orders():
            k = (s.order.outcome, s.order.outcome_price)
            agg[k] = agg.get(k, D(0)) + s.remaining_count
            assert s.remaining_count > 0
        assert agg == {**{("yes", p): c for p, c in b.yes}, **{("no", p): c for p, c in b.no}}
    bought_yes = sum((s.filled_count for s in e.orders.values() if s.order.book_side == "bid"), D(0))
    bought_no = sum((s.filled_count for s in e.orders.values() if s.order.book_side == "ask"), D(0))
    assert bought_yes == bought_no  # every contract matched has a YES holder and a NO holder


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(prices, counts), min_size=0, max_size=8),
       st.lists(st.tuples(prices, counts), min_size=0, max_size=8))
def test_load_levels_book_equals_target(yes_levels, no_levels):
    if yes_levels and no_levels and max(p for p, _ in yes_levels) + max(p for p, _ in no_levels) >= 1:
        no_levels = [(p, c) for p, c in no_levels if p + max(q for q, _ in yes_levels) < 1]
    e = MatchingEngine()
    e.load_levels(T, yes=[("0.50", "1")], no=[("0.10", "2")])
    r = e.load_levels(T, yes=yes_levels, no=no_levels)
    assert r.fills == []
    want_yes: dict[D, D] = {}
    for p, c in yes_levels:
        want_yes[p] = want_yes.get(p, D(0)) + c
    assert dict(e.book(T).yes) == {p: c for p, c in want_yes.items() if c > 0}
    assert all(s.order.account == EXCHANGE_ACCOUNT for s in e.resting_orders())
