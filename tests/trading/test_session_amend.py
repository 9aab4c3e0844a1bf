"""The session moves its resting maker order with an amend when a strategy re-decides the price
(issue 17: "the momentum or book-only strategies can cancel-replace through amend in paper mode").

Books are synthetic on purpose: the test needs a bid that moves up between two decisions while the
order rests, a path the recorded data does not isolate.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from kalshi_edge.trading.brokers import OutcomeUnknown, PaperBroker
from kalshi_edge.trading.intents import GateConfig
from kalshi_edge.trading.ledger import OrderLedger
from kalshi_edge.trading.risk import RiskEngine, RiskLimits
from kalshi_edge.trading.session import TradingSession
from kalshi_edge.trading.strategy import ModelProbability, Strategy
from tests.trading.conftest import NOW, snap

TICKER = "KXHIGHNY-26MAR01-B45.5"
BOOKS = [("0.40", "0.46"), ("0.43", "0.47"), ("0.43", "0.47")]


class Chaser(Strategy):
    """Thinks YES is worth 0.70 every step: rests at the YES bid, wherever the bid is (maker-first)."""

    name = "chaser_test"
    amend_resting = True

    def probabilities(self, markets, now):
        return [ModelProbability(m.ticker, 0.70, now) for m in markets]


class ChaserNoAmend(Chaser):
    name = "chaser_no_amend_test"
    amend_resting = False


class Script:
    def __init__(self):
        self.i = 0

    def now(self):
        return NOW + timedelta(seconds=60 * self.i)

    def markets(self, now):
        bid, ask = BOOKS[min(self.i, len(BOOKS) - 1)]
        m = snap(TICKER, bid, ask, age_s=0)
        return [m.__class__(**{**{f: getattr(m, f) for f in m.__dataclass_fields__}, "quote_ts": now,
                               "close_time": now + timedelta(hours=6)})]


def make(script, broker, path, strategy, *, session="s-test", amend_gate=False):
    def source(now):
        snaps = script.markets(now)
        for s in snaps:
            broker.observe(s)
        return snaps

    return TradingSession(
        strategies=[strategy], broker=broker, ledger=OrderLedger(path, session=session),
        risk=RiskEngine(RiskLimits(max_contracts_per_market=Decimal("10"))),
        gates=GateConfig(max_count=Decimal("5"), allow_taker=False, max_spread=Decimal("0.2"),
                         amend_resting=amend_gate),
        markets=source, clock=script.now,
    )


def resting(broker):
    return [broker.engine.orders[oid] for oid in broker.resting_order_ids()]


def amend_events(ledger):
    return [e for e in ledger.events() if e["event"] == "amend"]


def test_resting_maker_order_is_amended_to_the_new_price(tmp_path):
    script, broker = Script(), PaperBroker(cash=Decimal("100"))
    sess = make(script, broker, tmp_path / "o.jsonl", Chaser())
    sess.decision_log = []
    sess.step()
    [first] = resting(broker)
    assert first.order.price == Decimal("0.40")
    script.i = 1  # the bid moves up to 0.43: the strategy re-decides at the new bid
    out = sess.step()
    assert out["placed"] == []  # nothing new was placed ...
    [now_resting] = resting(broker)  # ... exactly one resting order at the exchange
    assert now_resting.order_id == first.order_id  # the same order, moved
    assert now_resting.order.price == Decimal("0.43") and now_resting.remaining_count > 0
    [rec] = sess.ledger.orders.values()  # no second order (nor client id) in the ledger
    assert rec.price == Decimal("0.43") and rec.order_id == first.order_id and rec.amends == 1
    assert [e["phase"] for e in amend_events(sess.ledger)] == ["sent", "done"]
    assert amend_events(sess.ledger)[1]["price"] == "0.43"
    coids = [o["client_order_id"] for o in broker.resting_orders()]
    assert len(coids) == len(set(coids)) == 1
    assert [d["decision"] for d in sess.decision_log] == ["approved", "amend"]
    assert sess.summary()["amends"] == 1
    # Same price again next step: nothing to move, the decision is skipped as before.
    script.i = 2
    sess.step()
    assert len(resting(broker)) == 1 and sess.status.amends == 1
    assert sess.status.denied.get("already_working") == 1
    # Reopening the ledger rebuilds the amended order (the CRC framing reads every record back).
    again = OrderLedger(tmp_path / "o.jsonl", session="s-test")
    assert again.orders[rec.client_order_id].price == Decimal("0.43")
    assert again.has_decision(amend_events(sess.ledger)[0]["decision_id"])


def test_flag_off_keeps_skipping_as_already_working(tmp_path):
    script, broker = Script(), PaperBroker(cash=Decimal("100"))
    sess = make(script, broker, tmp_path / "o.jsonl", ChaserNoAmend())
    sess.step()
    script.i = 1
    sess.step()
    [only] = resting(broker)
    assert only.order.price == Decimal("0.40")
    assert sess.status.denied == {"already_working": 1} and sess.status.amends == 0
    assert amend_events(sess.ledger) == []


def test_gate_flag_enables_amend_for_every_strategy(tmp_path):
    script, broker = Script(), PaperBroker(cash=Decimal("100"))
    sess = make(script, broker, tmp_path / "o.jsonl", ChaserNoAmend(), amend_gate=True)
    sess.step()
    script.i = 1
    sess.step()
    [only] = resting(broker)
    assert only.order.price == Decimal("0.43") and sess.status.amends == 1


def test_amend_still_passes_the_risk_engine(tmp_path):
    script, broker = Script(), PaperBroker(cash=Decimal("100"))
    sess = make(script, broker, tmp_path / "o.jsonl", Chaser())
    sess.step()
    sess.risk.limits = RiskLimits(max_contracts_per_market=Decimal("0"))  # no capacity left at all
    script.i = 1
    sess.step()
    [only] = resting(broker)
    assert only.order.price == Decimal("0.40")  # denied: the order is not moved
    assert sess.status.denied == {"limit_market": 1} and amend_events(sess.ledger) == []


class LostAnswer(PaperBroker):
    """The amend lands at the exchange but its answer is lost (a timeout)."""

    def amend(self, order_id, intent, *, count):
        super().amend(order_id, intent, count=count)
        raise OutcomeUnknown("amend: read timed out")


def test_lost_amend_answer_is_reconciled_without_a_second_order(tmp_path):
    script, broker = Script(), LostAnswer(cash=Decimal("100"))
    path = tmp_path / "o.jsonl"
    sess = make(script, broker, path, Chaser())
    sess.step()
    script.i = 1
    sess.step()
    phases = [(e["phase"], e.get("reason", "")) for e in amend_events(sess.ledger)]
    assert phases == [("sent", ""), ("done", "reconciled")]  # reconcile read the new price at the exchange
    assert sess.status.unknown == 1
    [only] = resting(broker)
    assert only.order.price == Decimal("0.43")
    # A restart (new session on the same ledger file) re-deciding in the same bucket sends nothing.
    sess2 = make(script, broker, path, Chaser())
    sess2.step()
    assert len(resting(broker)) == 1 and len(sess2.ledger.orders) == 1
    assert sess2.status.denied.get("duplicate_decision") == 1 and sess2.status.orders_sent == 0


def test_crash_after_amend_sent_blocks_then_reconciles_as_failed(tmp_path):
    """The process died after recording ``amend sent`` and before the request left: on restart the
    market is blocked, reconcile finds the old price and closes the amend as failed; the decision
    is never re-sent and the one order stays the only one."""
    script, broker = Script(), PaperBroker(cash=Decimal("100"))
    path = tmp_path / "o.jsonl"
    sess = make(script, broker, path, Chaser())
    sess.step()
    [rec] = sess.ledger.orders.values()
    sess.ledger.append("amend", client_order_id=rec.client_order_id, order_id=rec.order_id,
                       decision_id="ke-crashed-decision", phase="sent", price=Decimal("0.43"), count=Decimal("5"))
    sess.ledger.close()
    reopened = OrderLedger(path, session="s-test")
    assert TICKER in reopened.blocked_markets()
    reopened.close()
    sess2 = make(script, broker, path, Chaser())
    script.i = 1
    sess2.step()  # reconcile first (amend → failed), then the fresh decision amends once
    phases = [e["phase"] for e in amend_events(sess2.ledger)]
    assert phases == ["sent", "failed", "sent", "done"]
    [only] = resting(broker)
    assert only.order.price == Decimal("0.43") and len(sess2.ledger.orders) == 1


class SimChaser(Chaser):
    name = "sim_chaser_test"

    def wants(self, market):
        return market.ticker == SIM_T


SIM_T = "KXHIGHNY-26JUL12-B84.5"


def test_session_amends_at_the_simulator_on_loopback(tmp_path):
    """The same loop through the REST broker and the local simulator: the venue's amend keeps the
    order id and the client id, the exchange shows the new price and one resting order."""
    from kalshi_edge.exchange.scenario import builtin_scenario
    from kalshi_edge.exchange.simulator import run_simulator_in_thread
    from kalshi_edge.exchange.state import ManualClock
    from kalshi_edge.kalshi.rest import KalshiRestClient
    from kalshi_edge.trading.brokers import RestBroker
    from kalshi_edge.trading.session import rest_market_source

    sc = builtin_scenario(seed=8)
    clock = ManualClock(sc.clock_start)
    with run_simulator_in_thread(scenario=sc, clock=clock, seed=8) as sim:
        sim.set_book(SIM_T, yes=[("0.40", "10")], no=[("0.54", "10")])
        client = KalshiRestClient(sim.base_url, backoff_base=0.005, timeout=5.0)
        try:
            sess = TradingSession(
                strategies=[SimChaser()], broker=RestBroker(client), ledger=OrderLedger(tmp_path / "o.jsonl"),
                risk=RiskEngine(RiskLimits(max_contracts_per_market=Decimal("10"))),
                gates=GateConfig(max_count=Decimal("5"), allow_taker=False, max_spread=Decimal("0.2")),
                markets=rest_market_source(client), clock=clock.now,
            )
            sess.step()
            [first] = list(client.iter_orders(status="resting"))
            assert first.yes_price == Decimal("0.40")
            sim.set_book(SIM_T, yes=[("0.43", "10")], no=[("0.53", "10")])
            clock.advance(60)
            sess.step()
            [moved] = list(client.iter_orders(status="resting"))
            assert (moved.order_id, moved.client_order_id) == (first.order_id, first.client_order_id)
            assert moved.yes_price == Decimal("0.43") and sess.status.amends == 1
            assert [e["phase"] for e in amend_events(sess.ledger)] == ["sent", "done"]
            assert len(sess.ledger.orders) == 1
        finally:
            client.close()


def test_amend_of_an_order_filled_meanwhile_is_recorded_as_failed(tmp_path):
    script, broker = Script(), PaperBroker(cash=Decimal("100"))
    sess = make(script, broker, tmp_path / "o.jsonl", Chaser())
    sess.step()
    [rec] = sess.ledger.orders.values()
    script.i = 1
    [intent] = sess.decide(script.now(), script.markets(script.now()))
    broker.observe(snap(TICKER, "0.30", "0.39", age_s=0))  # the ask trades through our bid: filled
    res = sess._amend(rec, intent, Decimal("5"), script.now())
    assert res is not None and res.status == "executed"
    assert [e["phase"] for e in amend_events(sess.ledger)] == ["sent", "failed"]
    assert sess.ledger.orders[rec.client_order_id].price == Decimal("0.40") and sess.status.amends == 0
    sess._poll_fills()
    assert sess.ledger.orders[rec.client_order_id].state == "filled"
