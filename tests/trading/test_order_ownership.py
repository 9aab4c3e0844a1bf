"""Issue 13, "each trader owns its orders": two traders on one account (the Airflow sensor's
session and a CLI session sharing the ledger file) against the local simulator on loopback."""

from __future__ import annotations

from kalshi_edge.config import load_settings
from kalshi_edge.exchange.scenario import BUILTIN_CLOCK
from kalshi_edge.exchange.simulator import run_simulator_in_thread
from kalshi_edge.exchange.state import ManualClock
from kalshi_edge.trading.ledger import OrderLedger
from kalshi_edge.trading.runner import open_session

FAST = {"backoff_base": 0.001, "backoff_max": 0.005, "rate_limit": False}


def book_only():
    from kalshi_edge.trading.strategy import get_strategy

    return [get_strategy("ladder_consensus"), get_strategy("longshot_fade", {"shrink": 0.3})]


def resting(sim) -> dict[str, str]:
    """order_id → client_order_id of every resting order on the (one) simulator account."""
    return {oid: r.state.order.client_order_id for oid, r in sim.exchange.orders.items()
            if r.state.status == "resting"}


def test_a_second_trader_never_cancels_the_first_ones_resting_orders(tmp_path):
    clk = ManualClock(BUILTIN_CLOCK)
    settings = load_settings(data_dir=tmp_path, kalshi_env="local", min_edge_dollars="0.01")
    with run_simulator_in_thread(seed=11, clock=clk) as sim:
        # Trader A (as the sensor does): places, then exits without cancelling.
        a = open_session(settings, base_url=sim.base_url, strategies=book_only(), client_kwargs=FAST,
                         cancel_on_shutdown=False)
        for _ in range(6):
            a.session.step()
            clk.advance(10)
        a_session = a.session.ledger.session
        a.close()
        first = resting(sim)
        assert first, "trader A left no resting order: the test would prove nothing"

        # Trader B (as `kalshi-edge trade --once` does): same account, same ledger file.
        clk.advance(120)  # a new decision bucket: B makes its own orders
        b = open_session(settings, base_url=sim.base_url, strategies=book_only(), client_kwargs=FAST)
        assert b.ledger_path == a.ledger_path
        for _ in range(6):
            b.session.step()
            clk.advance(10)
        b_session = b.session.ledger.session
        mine_before = {oid for oid, coid in resting(sim).items() if b.session.ledger.is_own(client_order_id=coid)}
        cancelled = b.session.shutdown()
        b.close()
        after = resting(sim)

    assert a_session != b_session
    # Every order A left resting is still resting: B cancelled none of them.
    assert set(first) <= set(after)
    # B cancelled all of its own resting orders and nothing else.
    assert not (mine_before & set(after))
    assert cancelled == len(mine_before)
    # The ledger records which session placed each order.
    ledger = OrderLedger(a.ledger_path)
    sessions = {r.session for r in ledger.orders.values()}
    ledger.close()
    assert a_session in sessions and all(s for s in sessions)
    by_coid = {r.client_order_id: r.session for r in OrderLedger(a.ledger_path).orders.values()}
    assert {by_coid[c] for c in first.values()} == {a_session}

