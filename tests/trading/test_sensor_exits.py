"""The sensor path checks exits on every run, not only when an entry fires.

Each test drives ``place_from_sensor`` (what the DAG's ``place_orders`` task calls) against the
local simulator on loopback, as the sensor would: one run that fired with an entry, then runs in
which no entry passed the gates (the watch returned ``[]``). The entry is built by the shared edge
path (``build_intents``) from a stated probability on the simulator's own book, and the later
books are set by hand: each test needs one exact price path (a collapse after a buy, a thin bid)
that the recorded data does not isolate.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kalshi_edge.config import load_settings
from kalshi_edge.kalshi.rest import KalshiRestClient
from kalshi_edge.trading.dag_tasks import place_from_sensor
from kalshi_edge.trading.intents import GateConfig, build_intents
from kalshi_edge.trading.ledger import OrderLedger
from kalshi_edge.trading.runner import place_intents
from kalshi_edge.trading.session import rest_market_source
from kalshi_edge.trading.strategy import ModelProbability

FAST = {"backoff_base": 0.001, "backoff_max": 0.005, "rate_limit": False}
TICKER = "KXHIGHNY-26JUL12-B84.5"  # the builtin scenario's bracket quoted 0.29 / 0.31
WHEN = datetime(2026, 7, 12, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path):
    return load_settings(data_dir=tmp_path, kalshi_env="local", min_edge_dollars="0.01")


def ledger_of(settings) -> OrderLedger:
    return OrderLedger(settings.data_dir / "ledger" / "orders_paper.jsonl")


def run(sim, settings, intents=()):
    """One sensor run's ``place_orders`` (weather only: the family the entries are in)."""
    return place_from_sensor(WHEN, {"intents": list(intents), "families": "weather", "base_url": sim.base_url},
                             settings=settings)


def entry(sim, settings, strategy: str, p_yes: float) -> dict:
    """A taker buy of YES on ``TICKER`` from the shared edge path, as the watch would hand it on."""
    with KalshiRestClient.from_settings(settings, base_url=sim.base_url, **FAST) as client:
        now = sim.exchange.now()
        markets = rest_market_source(client)(now)
    batch = build_intents([ModelProbability(TICKER, p_yes, now)], markets, strategy=strategy, now=now,
                          cfg=GateConfig.from_settings(settings, allow_maker=False))
    [intent] = batch.intents
    return intent.to_dict()


def exchange_position(sim) -> Decimal:
    pos = sim.exchange.account("default").positions.get(TICKER)
    return pos.position if pos is not None else Decimal(0)


def sells(led: OrderLedger):
    return [r for r in led.orders.values() if r.action == "sell"]


def test_a_run_with_no_entries_sells_a_position_past_its_stop_loss(sim, settings):
    fired = run(sim, settings, [entry(sim, settings, "ladder_consensus", 0.60)])
    assert len(fired["placed"]) == 1 and fired["checked_positions"] == 0
    held = exchange_position(sim)
    assert held > 0
    # The book collapses: our YES is worth 0.10 a contract against the 0.31 paid (stop-loss at 50 %).
    sim.set_book(TICKER, yes=[("0.10", "500")], no=[("0.85", "500")])
    sim.test_clock.advance(300)
    out = run(sim, settings, [])  # the watch timed out: no entry passed the gates
    assert out["exits"] == {"stop_loss": 1} and out["checked_positions"] == 1 and len(out["placed"]) == 1
    led = ledger_of(settings)
    [sell] = sells(led)
    assert (sell.strategy, sell.side, sell.price, sell.filled) == ("stop_loss", "yes", Decimal("0.10"), held)
    assert led.net_positions() == {} and exchange_position(sim) == 0
    led.close()


def test_a_weather_momentum_position_past_exit_after_s_is_exited_by_the_sensor_path(sim, settings):
    intent = entry(sim, settings, "weather_momentum", 0.60)
    run(sim, settings, [intent])
    held = exchange_position(sim)
    assert held > 0
    sim.test_clock.advance(120)  # held 120 s < exit_after_s (300 s, the horizon): kept
    early = run(sim, settings, [])
    assert early["checked_positions"] == 1 and early["exits"] == {} and early["placed"] == []
    assert exchange_position(sim) == held
    sim.test_clock.advance(200)  # 320 s since the entry's decision: the drift window is over
    out = run(sim, settings, [])
    assert out["exits"] == {"time_exit": 1} and out["checked_positions"] == 1
    led = ledger_of(settings)
    [sell] = sells(led)
    assert (sell.strategy, sell.filled) == ("weather_momentum", held)
    assert led.net_positions() == {} and exchange_position(sim) == 0
    # one trader across its runs: every run reused the first run's order group (no churn)
    assert len(sim.exchange.order_groups) == 1
    assert {e["order_group_id"] for e in led.events() if e["event"] == "session"} == set(sim.exchange.order_groups)
    led.close()


def test_a_retried_place_orders_sends_neither_the_entry_nor_the_exit_twice(sim, settings):
    intent = entry(sim, settings, "ladder_consensus", 0.60)
    run(sim, settings, [intent])
    held = exchange_position(sim)
    # past the stop-loss, but the bid shows 2 contracts: the exit's IOC sells 2, the rest stays held
    sim.set_book(TICKER, yes=[("0.10", "2")], no=[("0.85", "500")])
    first = run(sim, settings, [intent])  # the fired run's XCom again (its entry is in the ledger)
    assert first["exits"] == {"stop_loss": 1} and first["denied"].get("duplicate_decision") == 1
    assert exchange_position(sim) == held - 2
    sim.set_book(TICKER, yes=[("0.10", "2")], no=[("0.85", "500")])  # the bid refills: the same exit again
    retry = run(sim, settings, [intent])  # the task retried with the same XCom, same decision bucket
    assert retry["placed"] == [] and retry["denied"].get("duplicate_decision") == 2
    coids = [o.state.order.client_order_id for o in sim.exchange.orders.values()]
    assert len(coids) == len(set(coids)) == 2  # one entry, one exit: each sent once
    led = ledger_of(settings)
    assert len(sells(led)) == 1 and led.net_positions() == {TICKER: held - 2} and exchange_position(sim) == held - 2
    intents = [e["client_order_id"] for e in led.events() if e["event"] == "intent"]
    assert len(intents) == len(set(intents)) == 2
    led.close()


def test_an_empty_run_with_nothing_held_creates_no_order_and_stays_green(sim, settings):
    out = run(sim, settings, [])
    assert out == {"placed": [], "exits": {}, "checked_positions": 0,
                   "skipped": "no intents and no held position or working order: nothing to check",
                   "orders_sent": 0, "denied": {}, "positions": 0}
    assert not sim.exchange.orders and not sim.exchange.order_groups  # no order, no order group
    assert not (settings.data_dir / "ledger").exists()  # nothing written either


def test_an_empty_run_is_red_when_the_kill_switch_is_tripped(sim, settings):
    from kalshi_edge.errors import JobFailed, is_transient
    from kalshi_edge.trading.risk import KillSwitch

    run(sim, settings, [entry(sim, settings, "ladder_consensus", 0.60)])
    KillSwitch.from_settings(settings).trip("test: a person stopped trading")
    with pytest.raises(JobFailed, match="kill switch tripped") as err:
        run(sim, settings, [])
    assert not is_transient(err.value)
    # the step says why it stopped as a code (what the task checks), not only as prose
    res = place_intents(settings, [], families=["weather"], base_url=sim.base_url, client_kwargs=FAST)
    assert res["halted"] == "kill_switch" and "kill switch" in res["skipped"]


def test_a_step_that_cannot_reach_the_exchange_is_retried_not_red_at_once(sim, settings, monkeypatch):
    from kalshi_edge.errors import TransientError, is_transient
    from kalshi_edge.trading import brokers

    run(sim, settings, [entry(sim, settings, "ladder_consensus", 0.60)])  # a held position: a session opens
    def down(self):  # noqa: ANN001 - the exchange stops answering reads after the session opened
        raise ConnectionError("connection refused")

    monkeypatch.setattr(brokers.RestBroker, "balance", down)
    res = place_intents(settings, [], families=["weather"], base_url=sim.base_url, client_kwargs=FAST)
    assert res["halted"] == "unreachable"
    with pytest.raises(TransientError) as err:
        run(sim, settings, [])
    assert is_transient(err.value)


def test_an_empty_run_still_checks_exits_before_turning_red_for_a_strategy_that_never_priced(sim, settings):
    from kalshi_edge.errors import JobFailed

    run(sim, settings, [entry(sim, settings, "ladder_consensus", 0.60)])
    sim.set_book(TICKER, yes=[("0.10", "500")], no=[("0.85", "500")])
    with pytest.raises(JobFailed, match="btc_vol_ladder"):
        place_from_sensor(WHEN, {"intents": [], "families": "weather", "base_url": sim.base_url,
                                 "strategy_errors": {"btc_vol_ladder": "ArtifactMissing: no btc artifact"}},
                          settings=settings)
    led = ledger_of(settings)
    assert [r.strategy for r in sells(led)] == ["stop_loss"] and exchange_position(sim) == 0  # exited first
    led.close()
