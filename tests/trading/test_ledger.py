from decimal import Decimal

import duckdb
import pytest

from kalshi_edge.trading.intents import GateConfig, build_intents
from kalshi_edge.trading.ledger import LedgerError, OrderLedger, ledger_view_sql, reconcile
from tests.trading.conftest import NOW, prob, snap


def intent(p=0.6, ticker="KXHIGHNY-26MAR01-B45.5"):
    (it,) = build_intents([prob(ticker, p)], [snap(ticker)], strategy="t", now=NOW,
                          cfg=GateConfig(max_count=Decimal("10"))).intents
    return it


def test_intent_is_durable_and_replayed_on_reopen(tmp_path):
    path = tmp_path / "orders.jsonl"
    led = OrderLedger(path)
    it = intent()
    assert led.record_intent(it) is True
    led.append("sent", client_order_id=it.client_order_id)
    led.close()
    again = OrderLedger(path)
    rec = again.orders[it.client_order_id]
    assert rec.state == "sent" and rec.count == Decimal("10")
    assert again.record_intent(it) is False  # same decision never recorded (or sent) twice
    assert again.blocked_markets() == {it.ticker}


def test_fills_make_positions_and_are_deduplicated(tmp_path):
    led = OrderLedger(tmp_path / "o.jsonl")
    it = intent()
    led.record_intent(it)
    led.append("acknowledged", client_order_id=it.client_order_id, order_id="O1")
    for _ in range(2):
        led.record_fill(client_order_id=it.client_order_id, fill_id="F1", count=Decimal("4"),
                        yes_price=Decimal("0.42"), fee=Decimal("0.07"), is_taker=True)
    rec = led.orders[it.client_order_id]
    assert rec.state == "partially_filled" and rec.filled == Decimal("4")
    led.record_fill(client_order_id=it.client_order_id, fill_id="F2", count=Decimal("6"),
                    yes_price=Decimal("0.42"), fee=Decimal("0.10"), is_taker=True)
    assert led.orders[it.client_order_id].state == "filled"
    assert led.net_positions() == {it.ticker: Decimal("10")}
    assert led.positions[it.ticker].cost == Decimal("4.20")
    led.append("settled", ticker=it.ticker, result="yes")
    assert led.realized_pnl() == Decimal("10") - Decimal("4.20") - Decimal("0.17")


def test_no_position_costs_the_no_price(tmp_path):
    led = OrderLedger(None)
    it = intent(p=0.2)  # buys NO at 0.60
    led.record_intent(it)
    led.record_fill(client_order_id=it.client_order_id, fill_id="F", count=Decimal("10"), yes_price=Decimal("0.40"),
                    fee=Decimal("0.17"), is_taker=True)
    assert led.net_positions() == {it.ticker: Decimal("-10")}
    assert led.positions[it.ticker].cost == Decimal("6.00")
    led.append("settled", ticker=it.ticker, result="no")
    assert led.realized_pnl() == Decimal("10") - Decimal("6.00") - Decimal("0.17")


def test_torn_last_line_is_ignored_but_corruption_is_not(tmp_path):
    path = tmp_path / "o.jsonl"
    led = OrderLedger(path)
    it = intent()
    led.record_intent(it)
    led.close()
    with path.open("ab") as fh:
        fh.write(b'{"seq": 2, "event": "se')  # crash mid-write
    assert OrderLedger(path).orders[it.client_order_id].state == "intent"
    path.write_text('garbage\n{"seq": 1}\n')
    with pytest.raises(LedgerError, match="line 1"):
        OrderLedger(path)


class FakeExchange:
    """Recorded-shape answers of an exchange that accepted one order and never saw another."""

    def __init__(self, known):
        self.known = known

    def find_order(self, coid):
        return self.known.get(coid)

    def order_fills(self, order_id):
        return [{"fill_id": "F9", "count": "10", "yes_price": "0.42", "fee": "0.17", "is_taker": True}]


class DownExchange:
    def find_order(self, coid):
        raise TimeoutError("connect timeout")

    def order_fills(self, order_id):  # pragma: no cover
        raise AssertionError


def test_reconcile_resolves_lost_response_and_never_sent(tmp_path):
    led = OrderLedger(tmp_path / "o.jsonl")
    a, b = intent(), intent(ticker="KXHIGHNY-26MAR01-B47.5")
    for it in (a, b):
        led.record_intent(it)
        led.append("unknown", client_order_id=it.client_order_id, reason="timeout")
    assert led.blocked_markets() == {a.ticker, b.ticker}
    stats = reconcile(led, FakeExchange({a.client_order_id: {"order_id": "O7", "status": "executed"}}))
    assert stats["found"] == 1 and stats["not_at_exchange"] == 1 and stats["fills"] == 1
    assert led.orders[a.client_order_id].state == "filled"
    assert led.orders[b.client_order_id].state == "cancelled"
    assert led.blocked_markets() == set()
    assert led.net_positions() == {a.ticker: Decimal("10")}


def test_unreachable_exchange_keeps_market_blocked(tmp_path):
    led = OrderLedger(tmp_path / "o.jsonl")
    a = intent()
    led.record_intent(a)
    led.append("sent", client_order_id=a.client_order_id)
    stats = reconcile(led, DownExchange())
    assert stats["unreachable"] == 1
    assert led.orders[a.client_order_id].state == "unknown"
    assert led.blocked_markets() == {a.ticker}


def test_duckdb_view_reads_the_ledger(tmp_path):
    path = tmp_path / "o.jsonl"
    led = OrderLedger(path)
    it = intent()
    led.record_intent(it)
    led.append("sent", client_order_id=it.client_order_id)
    con = duckdb.connect()
    con.execute(ledger_view_sql(path))
    rows = con.execute("SELECT event, price FROM order_ledger ORDER BY seq").fetchall()
    assert rows == [("intent", "0.42"), ("sent", None)]
