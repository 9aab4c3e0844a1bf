"""Strategy exits in the one decision loop: a strategy closes the positions it opened.

The books are synthetic on purpose: each test needs one exact price path (a rise after a buy, a
thin bid) that the recorded data does not isolate.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from kalshi_edge.kalshi.fees import order_fee
from kalshi_edge.trading.brokers import PaperBroker
from kalshi_edge.trading.intents import GateConfig
from kalshi_edge.trading.ledger import OrderLedger
from kalshi_edge.trading.risk import RiskEngine, RiskLimits
from kalshi_edge.trading.session import TradingSession
from kalshi_edge.trading.strategy import ExitSignal, MarketSnapshot, ModelProbability, Strategy
from tests.trading.conftest import NOW

A = "KXHIGHNY-26MAR01-B45.5"
B = "KXHIGHNY-26MAR01-B47.5"


class Scalper(Strategy):
    """Buys YES (fair 0.70) at the first decision; exits when the YES bid reaches 0.50."""

    name = "scalper_test"
    only: tuple[str, ...] = ()

    def __init__(self, **kw):
        super().__init__(**kw)
        self.seen: list[list] = []

    def wants(self, m):
        return not self.only or m.ticker in self.only

    def probabilities(self, markets, now):
        return [ModelProbability(m.ticker, 0.70, now) for m in markets] if now == NOW else []

    def exits(self, positions, markets, now):
        self.seen.append(list(positions))
        by = {m.ticker: m for m in markets}
        return [ExitSignal(p.ticker, "take_profit") for p in positions
                if by.get(p.ticker) and by[p.ticker].yes_bid is not None and by[p.ticker].yes_bid >= Decimal("0.50")]


class Holder(Scalper):
    name = "holder_test"

    def exits(self, positions, markets, now):  # holds to settlement
        return []


class Greedy(Scalper):
    """Asks to exit every market it sees, held or not (the session must only sell its own)."""

    name = "greedy_test"
    only = (A,)

    def exits(self, positions, markets, now):
        self.seen.append(list(positions))
        return [ExitSignal(t, "time_exit") for t in (A, B)]


class Book:
    """Clock + market source over a list of {ticker: (bid, ask, bid_size)} books, one per minute."""

    def __init__(self, books, broker):
        self.books, self.i, self.broker, self.offset_s = books, 0, broker, 0

    def now(self):
        return NOW + timedelta(seconds=60 * self.i + self.offset_s)

    def markets(self, now):
        out = []
        for tk, (bid, ask, size) in self.books[min(self.i, len(self.books) - 1)].items():
            m = MarketSnapshot(ticker=tk, yes_bid=Decimal(bid), yes_ask=Decimal(ask), quote_ts=now,
                               close_time=now + timedelta(hours=6),
                               yes_bid_size=Decimal(size) if size else None,
                               yes_ask_size=Decimal("50") if size else None)
            self.broker.observe(m)
            out.append(m)
        return out


def session(book, broker, ledger, strategies):
    return TradingSession(
        strategies=strategies, broker=broker, ledger=ledger,
        risk=RiskEngine(RiskLimits(max_contracts_per_market=Decimal("50"), stop_loss_fraction=Decimal("1"))),
        gates=GateConfig(max_count=Decimal("10"), allow_maker=False, max_spread=Decimal("0.2")),
        markets=book.markets, clock=book.now,
    )


def sells(ledger, strategy=None):
    return [r for r in ledger.orders.values() if r.action == "sell" and (strategy is None or r.strategy == strategy)]


def test_strategy_exit_sells_its_position_through_the_ledger_with_the_one_fee(tmp_path):
    broker = PaperBroker(cash=Decimal("100"))
    book = Book([{A: ("0.40", "0.42", None)}, {A: ("0.45", "0.47", None)}, {A: ("0.55", "0.57", None)}], broker)
    strat = Scalper()
    sess = session(book, broker, OrderLedger(tmp_path / "o.jsonl"), [strat])
    sess.decision_log = []
    sess.step()
    assert sess.ledger.net_positions() == {A: Decimal("10.00")}
    book.i = 1  # bid 0.45 < 0.50: held
    sess.step()
    assert sells(sess.ledger) == [] and sess.ledger.net_positions() == {A: Decimal("10.00")}
    pos = strat.seen[-1][0]
    assert (pos.strategy, pos.side, pos.count, pos.entry_p_yes, pos.entered_at) == (
        "scalper_test", "yes", Decimal("10.00"), 0.70, NOW)
    book.i = 2  # bid 0.55: the strategy takes profit
    sess.step()
    [ex] = sells(sess.ledger)
    assert (ex.strategy, ex.side, ex.price, ex.state, ex.filled) == ("scalper_test", "yes", Decimal("0.55"),
                                                                     "filled", Decimal("10.00"))
    assert ex.fees == order_fee(price=Decimal("0.55"), count=Decimal("10.00"), is_maker=False)
    assert sess.ledger.net_positions() == {} == broker.positions()
    p = sess.ledger.positions[A]
    assert p.realized == (Decimal("0.55") - Decimal("0.42")) * 10
    assert broker.cash == Decimal("100") + p.realized - p.fees
    logged = [d for d in sess.decision_log if d["action"] == "sell"]
    assert [(d["reason"], d["decision"], d["strategy"]) for d in logged] == [("take_profit", "approved", "scalper_test")]
    assert sess.summary()["exits"] == {"take_profit": 1}
    # the ledger's events name the exit as the strategy's own sell
    intents = [e for e in sess.ledger.events() if e["event"] == "intent" and e["action"] == "sell"]
    assert [e["strategy"] for e in intents] == ["scalper_test"]


def test_an_exit_is_never_sent_twice_across_steps_and_restarts(tmp_path):
    broker = PaperBroker(cash=Decimal("100"))
    # the bid shows 4 contracts: the exit's IOC sells 4 of 10, the rest stays held
    book = Book([{A: ("0.40", "0.42", "50")}, {A: ("0.55", "0.57", "4")}], broker)
    path = tmp_path / "o.jsonl"
    sess = session(book, broker, OrderLedger(path), [Scalper()])
    sess.step()
    book.i = 1
    sess.step()
    assert len(sells(sess.ledger)) == 1 and sess.ledger.net_positions() == {A: Decimal("6.00")}
    book.offset_s = 20  # the same decision bucket: the same exit decision, already in the ledger
    sess.step()
    assert len(sells(sess.ledger)) == 1 and sess.status.denied.get("duplicate_decision") == 1
    sess.ledger.close()
    # a restart in the same bucket: the ledger replays and the exit is still not sent again
    again = session(book, broker, OrderLedger(path), [Scalper()])
    again.step()
    assert len(sells(again.ledger)) == 1 and again.status.denied.get("duplicate_decision") == 1
    assert again.ledger.net_positions() == {A: Decimal("6.00")} == broker.positions()
    # the next bucket is a new decision: the remaining 6 are sold
    book.offset_s = 60
    again.step()
    assert [r.filled for r in sells(again.ledger)] == [Decimal("4.00"), Decimal("4.00")]
    assert len({r.client_order_id for r in sells(again.ledger)}) == 2


def test_a_strategy_never_exits_another_strategys_position(tmp_path):
    broker = PaperBroker(cash=Decimal("100"))
    book = Book([{A: ("0.40", "0.42", None), B: ("0.40", "0.42", None)}], broker)
    holder, greedy = Holder(), Greedy()
    sess = session(book, broker, OrderLedger(tmp_path / "o.jsonl"), [holder, greedy])
    sess.step()  # holder buys 10 of A and of B, greedy 10 of A
    assert sess.ledger.net_positions() == {A: Decimal("20.00"), B: Decimal("10.00")}
    book.offset_s = 60
    sess.step()
    # greedy saw only its own position (10 of A), and asked to exit A and B: only its 10 of A are sold
    assert [(p.ticker, p.count, p.strategy) for p in greedy.seen[-1]] == [(A, Decimal("10.00"), "greedy_test")]
    assert [(r.strategy, r.ticker, r.filled) for r in sells(sess.ledger)] == [("greedy_test", A, Decimal("10.00"))]
    assert sess.ledger.net_positions() == {A: Decimal("10.00"), B: Decimal("10.00")}
    assert sess.strategy_positions("greedy_test") == []
    assert [(p.ticker, p.count) for p in sess.strategy_positions("holder_test")] == [(A, Decimal("10.00")),
                                                                                    (B, Decimal("10.00"))]
    book.offset_s = 120
    sess.step()  # nothing left of greedy's: no further sell
    assert len(sells(sess.ledger)) == 1


def test_exit_intent_sells_our_side_at_its_bid_with_the_one_fee():
    from kalshi_edge.trading.intents import exit_intent

    m = MarketSnapshot(ticker=A, yes_bid=Decimal("0.40"), yes_ask=Decimal("0.44"), quote_ts=NOW,
                       close_time=NOW + timedelta(hours=6))
    cfg = GateConfig()
    kw = dict(strategy="s", ticker=A, event_ticker="KXHIGHNY-26MAR01", family="weather", count=Decimal("10"),
              market=m, now=NOW, cfg=cfg, reason="time_exit")
    yes = exit_intent(side="yes", **kw)
    no = exit_intent(side="no", p_yes=0.30, **kw)
    assert (yes.action, yes.price, yes.liquidity, yes.reason) == ("sell", Decimal("0.40"), "taker", "time_exit")
    assert (no.price, no.book_side, no.yes_price) == (Decimal("0.56"), "bid", Decimal("0.44"))
    for i in (yes, no):
        assert i.fee_estimate == order_fee(price=i.price, count=Decimal("10"), is_maker=False)
    # what selling earns over holding: bid − fee/count − P(our side wins) (mid 0.42 for YES; 0.70 for NO)
    assert yes.edge_per_contract == Decimal("0.40") - yes.fee_estimate / 10 - Decimal("0.42")
    assert no.edge_per_contract == Decimal("0.56") - no.fee_estimate / 10 - Decimal("0.70")
    assert yes.client_order_id == exit_intent(side="yes", **kw).client_order_id != no.client_order_id
    empty = MarketSnapshot(ticker=A, yes_bid=None, yes_ask=Decimal("0.44"), quote_ts=NOW)
    assert exit_intent(side="yes", **{**kw, "market": empty}) is None  # nothing to sell into


def test_an_exit_cancels_the_strategys_resting_buy_there_and_drops_its_new_buy(tmp_path):
    from kalshi_edge.trading.intents import build_intents

    class Rebuyer(Scalper):
        name = "rebuyer_test"

        def probabilities(self, markets, now):  # wants to buy at every step
            return [ModelProbability(m.ticker, 0.70, now) for m in markets]

    broker = PaperBroker(cash=Decimal("100"))
    book = Book([{A: ("0.40", "0.45", None)}, {A: ("0.55", "0.60", None)}], broker)
    sess = session(book, broker, OrderLedger(tmp_path / "o.jsonl"), [Rebuyer()])
    sess.decision_log = []
    sess.step()
    assert sess.ledger.net_positions() == {A: Decimal("10.00")}
    # a minute later, a resting YES bid of the same strategy on the market (maker, at the bid)
    book.offset_s = 60
    [rest] = build_intents([ModelProbability(A, 0.70, book.now())], book.markets(book.now()), strategy="rebuyer_test",
                           now=book.now(),
                           cfg=GateConfig(max_count=Decimal("5"), allow_taker=False, maker_fill_prob=1.0)).intents
    sess._send(rest, book.now())
    assert broker.resting_order_ids()
    book.i = 1
    sess.step()
    assert broker.resting_order_ids() == []
    assert sess.ledger.orders[rest.client_order_id].state == "cancelled"
    assert sess.ledger.orders[rest.client_order_id].reason == "exit"
    assert sess.ledger.net_positions() == {}
    step2 = [d for d in sess.decision_log if d["at"] == book.now().isoformat()]
    assert sorted((d["action"], d["decision"], d["reason"]) for d in step2) == [("buy", "exiting", "edge"),
                                                                                ("sell", "approved", "take_profit")]
