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
        a_group = a.session.ledger.order_group_id
        assert a_group and set(group_of(sim).values()) == {a_group}  # every order A sent is in A's group

        # Trader B (as `kalshi-edge trade --once` does): same account, same ledger file.
        clk.advance(120)  # a new decision bucket: B makes its own orders
        b = open_session(settings, base_url=sim.base_url, strategies=book_only(), client_kwargs=FAST)
        assert b.ledger_path == a.ledger_path
        for _ in range(6):
            b.session.step()
            clk.advance(10)
        b_session = b.session.ledger.session
        mine_before = {oid for oid, coid in resting(sim).items() if b.session.ledger.is_own(client_order_id=coid)}
        b_group = b.session.ledger.order_group_id
        assert b_group and b_group != a_group
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



def group_of(sim) -> dict[str, str]:
    """order_id → order_group_id of every resting order on the simulator account."""
    return {oid: r.order_group_id for oid, r in sim.exchange.orders.items() if r.state.status == "resting"}


def test_two_traders_with_their_own_ledgers_each_cancel_only_their_own_order_group(tmp_path):
    """Two sessions, two ledgers, one simulator account: each creates its own order group, every
    order it sends carries it, and on exit each cancels only what rests in its group."""
    clk = ManualClock(BUILTIN_CLOCK)
    settings = load_settings(data_dir=tmp_path, kalshi_env="local", min_edge_dollars="0.01")
    with run_simulator_in_thread(seed=11, clock=clk) as sim:
        a = open_session(settings, base_url=sim.base_url, strategies=book_only(), client_kwargs=FAST,
                         ledger_path=tmp_path / "a.jsonl")
        for _ in range(6):
            a.session.step()
            clk.advance(10)
        clk.advance(120)  # a new decision bucket: B's decisions get their own client_order_ids
        b = open_session(settings, base_url=sim.base_url, strategies=book_only(), client_kwargs=FAST,
                         ledger_path=tmp_path / "b.jsonl")
        for _ in range(6):
            b.session.step()
            clk.advance(10)
        ga, gb = a.session.ledger.order_group_id, b.session.ledger.order_group_id
        both = group_of(sim)
        a_orders = {oid for oid, g in both.items() if g == ga}
        b_orders = {oid for oid, g in both.items() if g == gb}
        assert a_orders and b_orders, f"each trader must leave resting orders for the test to mean anything: {both}"
        # Every resting order at the exchange carries one of the two distinct groups.
        assert ga and gb and ga != gb
        assert set(both.values()) == {ga, gb}
        assert {g.group_id for g in sim.exchange.order_groups.values()} >= {ga, gb}

        cancelled_a = a.session.shutdown()  # A exits first: only its own group's orders go
        a.close()
        after_a = group_of(sim)
        assert cancelled_a == len(a_orders)
        assert not (a_orders & set(after_a))
        assert b_orders <= set(after_a), "A cancelled orders of B"

        cancelled_b = b.session.shutdown()
        b.close()
        assert cancelled_b == len(b_orders)
        assert not group_of(sim)

    # Each ledger names its session and its group once, and every intent carries both.
    for h, gid in ((a, ga), (b, gb)):
        led = OrderLedger(h.ledger_path)
        starts = [e for e in led.events() if e["event"] == "session"]
        assert [(e["session"], e["order_group_id"], e["broker"]) for e in starts] == [
            (h.session.ledger.session, gid, "simulator")]
        assert led.orders and {(r.session, r.order_group_id) for r in led.orders.values()} == {
            (h.session.ledger.session, gid)}
        assert led.order_groups == {h.session.ledger.session: gid}
        led.close()


class _Broker:
    def __init__(self, orders):
        self.orders = orders

    def resting_orders(self):
        return self.orders


def test_ownership_is_the_order_group_when_the_exchange_reports_it_else_the_ledger(tmp_path):
    from dataclasses import replace

    from kalshi_edge.trading.brokers import own_resting_order_ids
    from tests.trading.test_ledger import intent as an_intent

    base = an_intent()

    def intent(coid):
        return replace(base, client_order_id=coid)

    led = OrderLedger(tmp_path / "l.jsonl", session="me")
    led.record_session(order_group_id="g-me", broker="simulator")
    for coid in ("mine", "mine-no-group-echo", "mine-other-group"):
        assert led.record_intent(intent(coid))
    assert led.orders["mine"].order_group_id == "g-me"
    orders = [
        {"order_id": "1", "client_order_id": "mine", "order_group_id": "g-me"},
        {"order_id": "2", "client_order_id": "theirs", "order_group_id": "g-other"},
        # The exchange does not echo a group: the ledger decides (ours here, not ours below).
        {"order_id": "3", "client_order_id": "mine-no-group-echo", "order_group_id": ""},
        {"order_id": "4", "client_order_id": "theirs-no-group-echo"},
        # The exchange says another group: not ours, whatever a shared ledger file says.
        {"order_id": "5", "client_order_id": "mine-other-group", "order_group_id": "g-other"},
        # In our group although our ledger never saw it (e.g. recorded by a crashed handle): ours.
        {"order_id": "6", "client_order_id": "unknown", "order_group_id": "g-me"},
    ]
    assert own_resting_order_ids(_Broker(orders), led) == ["1", "3", "6"]
    # A session without a group (the in-process paper broker): the ledger check only.
    plain = OrderLedger(tmp_path / "p.jsonl", session="me")
    assert plain.record_intent(intent("mine"))
    assert own_resting_order_ids(_Broker(orders), plain) == ["1"]
    led.close()
    plain.close()
    # The session event survives a reopen (CRC-framed like every record).
    again = OrderLedger(tmp_path / "l.jsonl", session="other")
    assert again.order_groups == {"me": "g-me"} and again.order_group_id == ""
    again.close()


def test_the_sensor_order_task_sends_in_its_own_group_and_a_cli_session_leaves_them_alone(tmp_path):
    """CLI + sensor on one account and one ledger file: the sensor's order task (place_intents,
    what trading_sensor's task calls) creates its group, ledgers it, and its orders rest in it; a
    CLI session that exits cancels only its own group."""
    from kalshi_edge.trading.runner import place_intents, scan_intents

    clk = ManualClock(BUILTIN_CLOCK)
    settings = load_settings(data_dir=tmp_path, kalshi_env="local", min_edge_dollars="0.01")
    names = ["ladder_consensus", "longshot_fade"]
    with run_simulator_in_thread(seed=11, clock=clk) as sim:
        intents = scan_intents(settings, base_url=sim.base_url, strategy_names=names, client_kwargs=FAST,
                               strategy_params={"longshot_fade": {"shrink": 0.3}})
        res = place_intents(settings, intents, base_url=sim.base_url, client_kwargs=FAST)
        sensor_orders = group_of(sim)
        assert res["placed"] and sensor_orders, "the sensor left no resting order: the test would prove nothing"
        (sensor_group,) = set(sensor_orders.values())
        # The sensor's next run (a new session) reuses its group: one trader, one group, no pile-up.
        clk.advance(120)
        intents = scan_intents(settings, base_url=sim.base_url, strategy_names=names, client_kwargs=FAST,
                               strategy_params={"longshot_fade": {"shrink": 0.3}})
        assert place_intents(settings, intents, base_url=sim.base_url, client_kwargs=FAST)["placed"]
        sensor_orders = group_of(sim)
        assert set(sensor_orders.values()) == {sensor_group} and len(sim.exchange.order_groups) == 1

        clk.advance(120)
        cli = open_session(settings, base_url=sim.base_url, strategies=book_only(), client_kwargs=FAST)
        for _ in range(4):
            cli.session.step()
            clk.advance(10)
        cli_group = cli.session.ledger.order_group_id
        assert cli_group and cli_group != sensor_group
        assert any(g == cli_group for g in group_of(sim).values())
        cli.session.shutdown()
        cli.close()
        after = group_of(sim)
    assert after == sensor_orders  # the sensor's orders rest on, in the sensor's group; the CLI's are gone
    led = OrderLedger(cli.ledger_path)
    starts = {e["session"]: e["order_group_id"] for e in led.events() if e["event"] == "session"}
    assert len(starts) == 3 and sorted(starts.values()) == sorted([sensor_group, sensor_group, cli_group])
    assert [e.get("trader") for e in led.events() if e["event"] == "session"] == ["sensor", "sensor", None]
    assert {r.order_group_id for r in led.orders.values() if r.order_id in sensor_orders} == {sensor_group}
    led.close()
