"""Reconcile that tells the truth (issue #12): a session whose exchange forgot the ledger's orders
or positions stops before trading and says so, unless --adopt-exchange-state, which is recorded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kalshi_edge.exchange.scenario import BUILTIN_CLOCK
from kalshi_edge.exchange.simulator import run_simulator_in_thread
from kalshi_edge.exchange.state import ManualClock
from kalshi_edge.trading.intents import GateConfig, build_intents
from kalshi_edge.trading.ledger import OrderLedger
from kalshi_edge.trading.reconcile import ExchangeStateMismatch, check_exchange_state
from tests.trading.cli import cli_main
from tests.trading.conftest import NOW, prob, snap


def _intent(ticker: str):
    (it,) = build_intents([prob(ticker, 0.6)], [snap(ticker)], strategy="t", now=NOW,
                          cfg=GateConfig(max_count=Decimal("10"))).intents
    return it


class AmnesicExchange:
    """An exchange that was reset: it knows no order and holds no position."""

    def find_order(self, coid):
        return None

    def positions(self):
        return {}


def _ledger(tmp_path) -> OrderLedger:
    led = OrderLedger(tmp_path / "o.jsonl")
    tickers = [f"KXHIGHNY-26MAR01-B{40 + 2 * i}.5" for i in range(7)]
    for i, t in enumerate(tickers):
        it = _intent(t)
        led.record_intent(it)
        led.append("acknowledged", client_order_id=it.client_order_id, order_id=f"O-{i}")
        if i < 2:  # two filled: positions the exchange will not have
            led.record_fill(client_order_id=it.client_order_id, fill_id=f"F-{i}", count=Decimal("10"),
                            yes_price=Decimal("0.42"), fee=Decimal("0.17"), is_taker=True)
    never_sent = _intent("KXHIGHNY-26MAR01-B99.5")  # crashed before sending: normal, not a mismatch
    led.record_intent(never_sent)
    return led


def test_an_exchange_that_forgot_the_ledger_stops_the_session_with_counts_and_ids(tmp_path):
    led = _ledger(tmp_path)
    before = led.path.read_bytes()

    with pytest.raises(ExchangeStateMismatch) as err:
        check_exchange_state(led, AmnesicExchange(), where="simulator at http://127.0.0.1:1")

    msg = str(err.value)
    first_open = led.open_orders()[2].client_order_id
    assert "simulator at http://127.0.0.1:1 does not know 5 order(s) it acknowledged (first: " in msg
    assert first_open in msg and "B99.5" not in msg.split("that the ledger")[0]
    assert "2 position(s) (first: KXHIGHNY-26MAR01-B40.5, KXHIGHNY-26MAR01-B42.5)" in msg
    assert "--adopt-exchange-state" in msg and "\n" not in msg
    assert led.path.read_bytes() == before  # nothing written: the session stopped before anything


def test_adopting_the_exchange_state_is_recorded_and_survives_a_reopen(tmp_path):
    led = _ledger(tmp_path)

    diff = check_exchange_state(led, AmnesicExchange(), adopt=True)

    assert len(diff.orders) == 5 and len(diff.positions) == 2
    adopted = [e for e in led.events() if e["event"] == "adopted"]
    assert len(adopted) == 1 and adopted[0]["positions"] == {"KXHIGHNY-26MAR01-B40.5": "10",
                                                              "KXHIGHNY-26MAR01-B42.5": "10"}
    led.close()
    again = OrderLedger(led.path)
    assert again.net_positions() == {}
    assert [r.reason for r in again.orders.values() if r.state == "cancelled"] == ["adopted_exchange_state"] * 5
    assert again.blocked_markets() == {"KXHIGHNY-26MAR01-B99.5"}  # still settled by the routine reconcile
    check_exchange_state(again, AmnesicExchange())  # nothing left to disagree about


def test_trade_against_a_restarted_simulator_stops_unless_adopting(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KALSHI_EDGE_MIN_EDGE_DOLLARS", "0.01")
    from kalshi_edge.config import get_settings

    get_settings.cache_clear()
    ledger = tmp_path / "orders.jsonl"
    args = ["trade", "--paper", "--once", "--family", "weather", "--keep-orders", "--ledger", str(ledger),
            "--strategy", "ladder_consensus", "--strategy", "longshot_fade"]
    main = cli_main()
    with run_simulator_in_thread(seed=1, clock=ManualClock(BUILTIN_CLOCK)) as sim:
        assert main([*args, "--base-url", sim.base_url]) == 0
    led = OrderLedger(ledger)
    acked = [r for r in led.open_orders() if r.order_id]
    led.close()
    assert acked, "the first session left resting orders the exchange acknowledged"
    before = ledger.read_bytes()
    capsys.readouterr()
    with run_simulator_in_thread(seed=1, clock=ManualClock(BUILTIN_CLOCK)) as fresh:  # "restarted"
        assert main([*args, "--base-url", fresh.base_url]) == 2
        err = capsys.readouterr().err.strip()
        assert f"does not know {len(acked)} order(s) it acknowledged" in " ".join(err.split())
        assert "Traceback" not in err
        assert ledger.read_bytes() == before
        assert main([*args, "--base-url", fresh.base_url, "--adopt-exchange-state"]) == 0
    events = OrderLedger(ledger).events()
    assert [e["event"] for e in events].count("adopted") == 1
    get_settings.cache_clear()


def test_a_corrupt_ledger_is_a_one_line_error_naming_the_line(tmp_path, capsys):
    ledger = tmp_path / "orders.jsonl"
    led = OrderLedger(ledger)
    for t in ("KXHIGHNY-26MAR01-B40.5", "KXHIGHNY-26MAR01-B42.5"):
        led.record_intent(_intent(t))
    led.close()
    lines = ledger.read_bytes().split(b"\n")
    ledger.write_bytes(lines[0][:-30] + b"\n" + b"\n".join(lines[1:]))  # a middle record damaged
    with run_simulator_in_thread(seed=1, clock=ManualClock(BUILTIN_CLOCK)) as sim:
        code = cli_main()(["trade", "--once", "--base-url", sim.base_url, "--ledger", str(ledger)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "Traceback" not in err
    assert f"{ledger}: line 1 (byte offset 0) is corrupt" in " ".join(err.split())


def test_a_position_in_a_settled_market_is_not_amnesia(tmp_path):
    from types import SimpleNamespace

    led = _ledger(tmp_path)
    finished = {"KXHIGHNY-26MAR01-B40.5": "finalized"}

    class SettledExchange(AmnesicExchange):
        """Knows every order; stopped listing the position of a market that has settled."""

        client = SimpleNamespace(get_market=lambda t: SimpleNamespace(status=finished.get(t, "active")))

        def find_order(self, coid):
            return {"order_id": "O", "status": "resting"}

    with pytest.raises(ExchangeStateMismatch) as err:
        check_exchange_state(led, SettledExchange())
    msg = str(err.value)
    assert "1 position(s) (first: KXHIGHNY-26MAR01-B42.5)" in msg and "order(s)" not in msg
