"""Session behaviour with the in-process paper broker (shared matching engine) and scripted books.

The books are synthetic on purpose: each test needs a price path (a collapse after a buy) that the
recorded data does not isolate.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from kalshi_edge.trading.brokers import PaperBroker
from kalshi_edge.trading.intents import GateConfig
from kalshi_edge.trading.ledger import OrderLedger
from kalshi_edge.trading.risk import KillSwitch, RiskEngine, RiskLimits
from kalshi_edge.trading.session import TradingSession
from kalshi_edge.trading.strategy import ModelProbability, Strategy
from tests.trading.conftest import NOW, snap

TICKER = "KXHIGHNY-26MAR01-B45.5"


class Believer(Strategy):
    """Thinks YES is worth 0.70 at the first decision only (so it buys once)."""

    name = "believer_test"

    def probabilities(self, markets, now):
        return [ModelProbability(m.ticker, 0.70, now) for m in markets] if now == NOW else []


class Script:
    """Clock + market source that walk through a fixed list of (bid, ask) books."""

    def __init__(self, books):
        self.books, self.i = books, 0

    def now(self):
        return NOW + timedelta(seconds=60 * self.i)

    def markets(self, now):
        bid, ask = self.books[min(self.i, len(self.books) - 1)]
        m = snap(TICKER, bid, ask, age_s=0)
        return [m.__class__(**{**{f: getattr(m, f) for f in m.__dataclass_fields__}, "quote_ts": now,
                               "close_time": now + timedelta(hours=6)})]


def make(script, broker, tmp_path, limits=None, ks=None):
    def source(now):
        snaps = script.markets(now)
        for s in snaps:
            broker.observe(s)
        return snaps

    return TradingSession(
        strategies=[Believer()], broker=broker, ledger=OrderLedger(tmp_path / "o.jsonl"),
        risk=RiskEngine(limits or RiskLimits(max_contracts_per_market=Decimal("10")), ks),
        gates=GateConfig(max_count=Decimal("10"), allow_maker=False, max_spread=Decimal("0.2")),
        markets=source, clock=script.now,
    )


def test_stop_loss_sells_the_position_at_the_bid(tmp_path):
    script = Script([("0.40", "0.42"), ("0.15", "0.20")])
    broker = PaperBroker(cash=Decimal("100"))
    sess = make(script, broker, tmp_path)
    sess.step()
    assert sess.ledger.net_positions() == {TICKER: Decimal("10.00")}
    script.i = 1  # the market collapses: our 10 YES bought for $4.20 are worth 10 × 0.15 at the bid
    sess.step()
    exits = [r for r in sess.ledger.orders.values() if r.strategy == "stop_loss"]
    assert len(exits) == 1 and exits[0].action == "sell" and exits[0].price == Decimal("0.15")
    assert sess.ledger.net_positions() == {} == broker.positions()
    pos = sess.ledger.positions[TICKER]
    assert pos.realized == (Decimal("0.15") - Decimal("0.42")) * 10
    # Paper cash agrees with the ledger: start − cost − fees + proceeds.
    assert broker.cash == Decimal("100") + pos.realized - pos.fees


def test_drawdown_trips_kill_switch_cancels_resting_and_refuses(tmp_path):
    script = Script([("0.40", "0.42"), ("0.05", "0.08"), ("0.40", "0.42")])
    broker = PaperBroker(cash=Decimal("100"))
    ks = KillSwitch(tmp_path / "KILL")
    limits = RiskLimits(max_contracts_per_market=Decimal("30"), max_drawdown=Decimal("2"),
                        stop_loss_fraction=Decimal("1"))  # no stop-loss: let the drawdown bite
    sess = make(script, broker, tmp_path, limits, ks)
    sess.step()
    assert sess.ledger.net_positions()
    # A resting NO bid of ours (placed directly) that the kill switch must cancel.
    from kalshi_edge.trading.intents import build_intents

    rest = build_intents([ModelProbability(TICKER, 0.2, script.now())], script.markets(script.now()),
                         strategy="rest_test", now=script.now(),
                         cfg=GateConfig(max_count=Decimal("5"), allow_taker=False, maker_fill_prob=1.0)).intents
    assert rest and rest[0].liquidity == "maker" and rest[0].side == "no"
    sess._send(rest[0], script.now())
    assert len(broker.resting_order_ids()) == 1
    script.i = 1
    out = sess.step()  # equity fell by > $2 from its peak: the step's guard trips the switch
    assert "kill switch" in out["skipped"]
    assert ks.tripped
    assert broker.resting_order_ids() == []
    script.i = 2
    before = len(sess.ledger.orders)
    out = sess.step()
    assert "kill switch" in out["skipped"] and len(sess.ledger.orders) == before
    # Still refused after a restart, until a person resets it.
    sess2 = make(script, broker, tmp_path / "r", limits, KillSwitch(tmp_path / "KILL"))
    (tmp_path / "r").mkdir(exist_ok=True)
    assert "kill switch" in sess2.step()["skipped"]
    ks.reset()
    assert "skipped" not in sess2.step()
