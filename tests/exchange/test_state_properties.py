"""Exchange bookkeeping invariants under random order flow (in-process, no HTTP).

Whatever the netting path (buying NO while long YES closes the pair for $1), after settlement
every account must hold exactly: start − Σ fees − Σ (price paid × contracts) + Σ contracts of the
winning outcome. Realized PnL must add up to the same cash change, and cash never goes negative.
"""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kalshi_edge.exchange.scenario import builtin_scenario
from kalshi_edge.exchange.state import ApiError, Exchange, ManualClock

T = "KXHIGHNY-26JUL12-B84.5"
SC = builtin_scenario(seed=9)

flow = st.lists(
    st.tuples(
        st.sampled_from(["alice", "bob"]),
        st.sampled_from(["yes", "no"]),
        st.sampled_from(["buy", "sell"]),
        st.integers(min_value=1, max_value=99),
        st.integers(min_value=1, max_value=40),
        st.sampled_from(["good_till_canceled", "immediate_or_cancel"]),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flow, st.sampled_from(["yes", "no"]))
def test_cash_equals_payoff_of_fills_after_settlement(orders, result):
    ex = Exchange(SC, clock=ManualClock(SC.clock_start), starting_balance_cents=5_000)  # $50: hits the cash check
    start = ex.starting_cash
    for i, (acct, side, action, cents, count, tif) in enumerate(orders):
        body = {"ticker": T, "side": side, "action": action, "count": count, f"{side}_price": cents,
                "time_in_force": tif, "client_order_id": f"c{i}"}
        try:
            ex.create_order(acct, body, v2=False)
        except ApiError as exc:
            assert exc.status == 400 and exc.code in ("insufficient_balance", "reduce_only_violation")
        for a in ex.accounts.values():
            assert a.cash >= 0
            assert ex.available_cash(a.name) >= 0
    ex.settle_market(T, result)
    for name, acct in ex.accounts.items():
        fees = sum((D(f["fee_cost"]) for f in acct.fills), D(0))
        paid = sum((D(f["yes_price_dollars"] if f["book_side"] == "bid" else f["no_price_dollars"]) * D(f["count_fp"])
                    for f in acct.fills), D(0))
        won = sum((D(f["count_fp"]) for f in acct.fills if f["outcome_side"] == result), D(0))
        assert acct.cash == start - fees - paid + won, name
        realized = sum((p.realized_pnl for p in acct.positions.values()), D(0))
        assert realized == acct.cash - start, name
        assert all(p.position == 0 and p.cost_basis == 0 for p in acct.positions.values())
