"""Issue 17: a real registered strategy cancel-replaces its resting maker order through
``broker.amend`` in a paper session (``test_session_amend.py`` covers the mechanics with a
test-local strategy).

Books are synthetic on purpose: each case needs quotes that move one cent between two decisions
while the strategy keeps wanting the same side, a path the recorded data does not isolate. Takers
are off, so the shared edge path rests a maker order at the chosen side's bid.

* ``longshot_fade``: one longshot (mid 0.10 then 0.09, under the 0.15 threshold): p_yes = mid x 0.5,
  NO rests at the NO bid (1 - YES ask), 0.88 then 0.89 (at the exchange: the YES
  ask side at 0.12 then 0.11).
* ``ladder_consensus``: a three-bracket ladder whose mids sum to 0.86 / 0.87, so the fair value of
  B45.5 (mid / sum, ~0.54) is above its bid; YES rests at the bid, 0.44 then 0.45. The two other
  brackets are 0.30 wide (over ``max_spread``), so they shape the sum but are never traded.
* ``weather_momentum`` (``amend_resting`` set on the strategy, gate off): a scripted accelerating
  ladder through the five-minute warm-up, then a one-cent tick on two brackets (see below).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from kalshi_edge.trading.brokers import PaperBroker
from kalshi_edge.trading.intents import GateConfig
from kalshi_edge.trading.ledger import OrderLedger
from kalshi_edge.trading.risk import RiskEngine, RiskLimits
from kalshi_edge.trading.session import TradingSession
from kalshi_edge.trading.strategy import get_strategy
from tests.trading.conftest import NOW, snap

TICKER = "KXHIGHNY-26MAR01-B45.5"
WIDE = {"KXHIGHNY-26MAR01-B47.5": ("0.05", "0.35"), "KXHIGHNY-26MAR01-B49.5": ("0.05", "0.35")}
# (strategy, YES bid/ask by ticker per step, side, maker price at step 1, at step 2)
CASES = {
    "longshot_fade": ([{TICKER: ("0.08", "0.12")}, {TICKER: ("0.07", "0.11")}], "no", "0.88", "0.89"),
    "ladder_consensus": ([{TICKER: ("0.44", "0.48"), **WIDE}, {TICKER: ("0.45", "0.49"), **WIDE}],
                         "yes", "0.44", "0.45"),
}


class Script:
    def __init__(self, books):
        self.books, self.i = books, 0

    def now(self):
        return NOW + timedelta(seconds=60 * self.i)

    def markets(self, now):
        return [replace(snap(t, bid, ask), quote_ts=now, close_time=now + timedelta(hours=6))
                for t, (bid, ask) in self.books[self.i].items()]


def make(script, broker, path, strategy, *, amend):
    def source(now):
        snaps = script.markets(now)
        for s in snaps:
            broker.observe(s)
        return snaps

    return TradingSession(
        strategies=[strategy], broker=broker, ledger=OrderLedger(path, session="s-real"),
        risk=RiskEngine(RiskLimits(max_contracts_per_market=Decimal("10"))),
        gates=GateConfig(max_count=Decimal("5"), allow_maker=True, allow_taker=False,
                         max_spread=Decimal("0.2"), amend_resting=amend),
        markets=source, clock=script.now,
    )


def at_exchange(side, price):
    """The engine's (book side, YES price) of buying ``side`` at ``price``: a NO bid rests on the YES ask."""
    return ("bid", Decimal(price)) if side == "yes" else ("ask", 1 - Decimal(price))


def resting(broker, ticker=TICKER):
    orders = [broker.engine.orders[oid] for oid in broker.resting_order_ids()]
    return [o for o in orders if o.order.ticker == ticker]


def amend_events(ledger):
    return [e for e in ledger.events() if e["event"] == "amend"]


def run_two_steps(tmp_path, strategy, books, *, amend):
    script, broker = Script(books), PaperBroker(cash=Decimal("100"))
    sess = make(script, broker, tmp_path / "o.jsonl", strategy, amend=amend)
    sess.decision_log = []
    sess.step()
    [first] = resting(broker)
    first_id, first_price, first_side = first.order_id, first.order.price, first.order.book_side
    script.i = 1
    out = sess.step()
    return sess, broker, out, first_id, first_price, first_side


@pytest.mark.parametrize("name", sorted(CASES))
def test_real_strategy_moves_its_resting_order_by_amend(tmp_path, name):
    books, side, old, new = CASES[name]
    strategy = get_strategy(name)
    assert not getattr(strategy, "amend_resting", False)  # enabled here by the gate alone
    sess, broker, out, first_id, first_price, first_side = run_two_steps(tmp_path, strategy, books, amend=True)
    assert (first_side, first_price) == at_exchange(side, old)
    assert out["placed"] == []
    [now_resting] = resting(broker)  # exactly one resting order for the market ...
    assert now_resting.order_id == first_id  # ... the same exchange order, moved
    assert (now_resting.order.book_side, now_resting.order.price) == at_exchange(side, new)
    assert now_resting.remaining_count > 0
    assert len(broker.resting_order_ids()) == 1  # nothing else traded
    [rec] = sess.ledger.orders.values()
    assert rec.order_id == first_id and rec.price == Decimal(new) and rec.amends == 1
    events = amend_events(sess.ledger)
    assert [e["phase"] for e in events] == ["sent", "done"] and events[1]["price"] == new
    coids = [o["client_order_id"] for o in broker.resting_orders()]
    assert len(coids) == len(set(coids)) == 1
    assert [d["decision"] for d in sess.decision_log] == ["approved", "amend"]
    assert sess.status.amends == 1 and sess.summary()["amends"] == 1
    assert "already_working" not in sess.status.denied


@pytest.mark.parametrize("name", sorted(CASES))
def test_real_strategy_without_amend_skips_as_already_working(tmp_path, name):
    books, side, old, _ = CASES[name]
    sess, broker, out, first_id, first_price, first_side = run_two_steps(
        tmp_path, get_strategy(name), books, amend=False)
    assert (first_side, first_price) == at_exchange(side, old) and out["placed"] == []
    [only] = resting(broker)
    assert only.order_id == first_id and (only.order.book_side, only.order.price) == at_exchange(side, old)
    [rec] = sess.ledger.orders.values()
    assert rec.price == Decimal(old) and rec.amends == 0
    assert sess.status.denied.get("already_working") == 1 and sess.status.amends == 0
    assert amend_events(sess.ledger) == []


# weather_momentum (amend_resting=True on the strategy itself): a four-bracket ladder whose B42.5
# rises with acceleration for five minutes (the warm-up), coherent (mids sum to 1). At step 5 the
# signals rest YES on T43 at its bid 0.18 and NO on T40 at its NO bid 0.78 (among others); at step 6
# T43 ticks up and T40 down one cent while the signals keep the same sides.
EV = "KXHIGHNY-26MAR01-"
MOM = [EV + "T40", EV + "B40.5", EV + "B42.5", EV + "T43"]


def momentum_books():
    books = []
    for i in range(6):
        lead = 30 + (i * i) // 2
        books.append({tk: (f"{(m - 2) / 100:.2f}", f"{(m + 2) / 100:.2f}")
                      for tk, m in zip(MOM, [20, 60 - lead, lead, 20], strict=True)})
    books.append({**books[-1], EV + "T43": ("0.19", "0.23"), EV + "T40": ("0.17", "0.21")})
    return books


def run_momentum(tmp_path, *, amend_resting):
    strategy = get_strategy("weather_momentum", {"use_model": "never"})
    assert strategy.amend_resting is True  # the strategy opts in itself; the gate stays off
    strategy.amend_resting = amend_resting
    books = momentum_books()
    script, broker = Script(books), PaperBroker(cash=Decimal("100"))
    sess = make(script, broker, tmp_path / "o.jsonl", strategy, amend=False)
    for i in range(len(books) - 1):
        script.i = i
        sess.step()
    before = {tk: [(o.order_id, o.order.book_side, o.order.price) for o in resting(broker, tk)] for tk in MOM}
    script.i = len(books) - 1
    sess.step()
    return sess, broker, before


def test_weather_momentum_moves_its_resting_orders_by_amend(tmp_path):
    sess, broker, before = run_momentum(tmp_path, amend_resting=True)
    [(t43_id, *t43_px)] = before[EV + "T43"]
    [(t40_id, *t40_px)] = before[EV + "T40"]
    assert tuple(t43_px) == at_exchange("yes", "0.18") and tuple(t40_px) == at_exchange("no", "0.78")
    [t43] = resting(broker, EV + "T43")
    [t40] = resting(broker, EV + "T40")
    assert t43.order_id == t43_id and (t43.order.book_side, t43.order.price) == at_exchange("yes", "0.19")
    assert t40.order_id == t40_id and (t40.order.book_side, t40.order.price) == at_exchange("no", "0.79")
    done = {(e["order_id"], e["price"]) for e in amend_events(sess.ledger) if e["phase"] == "done"}
    assert done == {(t43_id, "0.19"), (t40_id, "0.79")}
    coids = [o["client_order_id"] for o in broker.resting_orders()]
    assert len(coids) == len(set(coids)) == len(sess.ledger.orders)
    assert sess.status.amends == 2 and sess.status.denied == {"already_working": 1}  # B40.5: same price


def test_weather_momentum_without_amend_skips_as_already_working(tmp_path):
    sess, broker, before = run_momentum(tmp_path, amend_resting=False)
    for tk in (EV + "T43", EV + "T40"):
        assert [(o.order_id, o.order.book_side, o.order.price) for o in resting(broker, tk)] == before[tk]
    # T40, B40.5 and T43 all re-decide at step 6: every one is skipped (with amend on, only B40.5,
    # whose price did not move, is).
    assert sess.status.denied == {"already_working": 3} and sess.status.amends == 0
    assert amend_events(sess.ledger) == []
