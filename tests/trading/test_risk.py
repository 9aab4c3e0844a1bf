from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from kalshi_edge.config import load_settings
from kalshi_edge.trading.intents import GateConfig, build_intents
from kalshi_edge.trading.risk import (
    Approved,
    Denied,
    Exposure,
    KillSwitch,
    PortfolioState,
    RiskEngine,
    RiskLimits,
    kelly_fraction,
    protection_fields,
)
from tests.trading.conftest import NOW, prob, snap

LIM = RiskLimits(max_contracts_per_market=Decimal("50"), max_dollars_per_event=Decimal("20"),
                 max_dollars_per_family=Decimal("30"), max_dollars_total=Decimal("40"),
                 daily_loss_cap=Decimal("10"), max_drawdown=Decimal("15"), kelly_fraction=Decimal("0.25"),
                 max_orders_per_second=2, max_quote_age_s=30)


def intent(p=0.6, ticker="KXHIGHNY-26MAR01-B45.5", count="100"):
    cfg = GateConfig(max_count=Decimal(count))
    (it,) = build_intents([prob(ticker, p)], [snap(ticker, "0.40", "0.42")], strategy="t", now=NOW, cfg=cfg).intents
    return it


def state(**kw):
    base = dict(now=NOW, bankroll=Decimal("1000"))
    base.update(kw)
    return PortfolioState(**base)


def test_kelly_fraction_formula():
    assert kelly_fraction(win_prob=0.6, price=Decimal("0.42")) == (Decimal("0.6") - Decimal("0.42")) / Decimal("0.58")
    assert kelly_fraction(win_prob=0.3, price=Decimal("0.42")) < 0


def test_fractional_kelly_size_then_caps():
    # f* = 0.18/0.58 = 0.3103; 0.25 × f* × 1000 = $77.6 → 184 contracts at 0.42, but
    # the event limit $20 allows 47 and the market cap 50 → 47.
    d = RiskEngine(LIM).check(intent(count="1000"), state())
    assert isinstance(d, Approved)
    assert d.count == Decimal("47")
    assert any("limit_event" in n for n in d.notes)


def test_kelly_size_below_limits_with_small_bankroll():
    d = RiskEngine(LIM).check(intent(count="1000"), state(bankroll=Decimal("50")))
    # 0.25 × 0.3103 × 50 = 3.879 dollars → 9.2 contracts → 9
    assert d == Approved(Decimal("9"), d.notes)


def ex(ticker, cost, event=None, family="weather", position=Decimal("10")):
    from kalshi_edge.trading.strategy import event_of

    return Exposure(ticker, event or event_of(ticker), family, position=position, cost=Decimal(cost))


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        (dict(exchange_active=False), "exchange_inactive"),
        (dict(trading_active=False), "exchange_inactive"),
        (dict(blocked_markets={"KXHIGHNY-26MAR01-B45.5"}), "market_blocked"),
        (dict(realized_pnl_today=Decimal("-8"), unrealized_pnl=Decimal("-2")), "daily_loss_cap"),
        (dict(exposures={"KXHIGHNY-26MAR01-B45.5": ex("KXHIGHNY-26MAR01-B45.5", "5", position=Decimal("50"))}),
         "limit_market"),
        (dict(exposures={"KXHIGHNY-26MAR01-B47.5": ex("KXHIGHNY-26MAR01-B47.5", "20")}), "limit_event"),
        (dict(exposures={"KXHIGHNY-26MAR02-B47.5": ex("KXHIGHNY-26MAR02-B47.5", "30")}), "limit_family"),
        (dict(exposures={"KXBTCD-26MAR0117-T1": ex("KXBTCD-26MAR0117-T1", "40", family="btc")}), "limit_total"),
    ],
)
def test_denials_table(kw, reason):
    d = RiskEngine(LIM).check(intent(), state(**kw))
    assert isinstance(d, Denied) and d.reason == reason


def test_ladder_is_one_bet_event_limit_sums_siblings():
    # Two sibling brackets of the same event already hold $19 → only $1 left: 2 contracts at 0.42.
    exps = {t: ex(t, c) for t, c in (("KXHIGHNY-26MAR01-B41.5", "9"), ("KXHIGHNY-26MAR01-B43.5", "10"))}
    d = RiskEngine(LIM).check(intent(count="1000"), state(exposures=exps))
    assert d == Approved(Decimal("2"), d.notes)


def test_stale_quote_denied():
    d = RiskEngine(LIM).check(intent(), state(now=NOW + timedelta(seconds=31)))
    assert d == Denied("stale_data", d.detail)


def test_no_edge_denied():
    it = replace(intent(), p_yes=0.30)
    assert RiskEngine(LIM).check(it, state()).reason == "no_edge"


def test_order_rate_limit():
    r = RiskEngine(LIM)
    r.record_sent(NOW)
    r.record_sent(NOW + timedelta(milliseconds=100))
    assert r.check(intent(), state(now=NOW + timedelta(milliseconds=500))).reason == "rate_limited"
    assert isinstance(r.check(intent(), state(now=NOW + timedelta(seconds=1, milliseconds=50))), Approved)


def test_drawdown_trips_persistent_kill_switch(tmp_path):
    ks = KillSwitch(tmp_path / "KILL_SWITCH")
    r = RiskEngine(LIM, ks)
    d = r.check(intent(), state(equity=Decimal("985"), peak_equity=Decimal("1000")))
    assert d.reason == "drawdown" and ks.tripped
    # A fresh engine (restart) still refuses: the flag is on disk.
    d2 = RiskEngine(LIM, KillSwitch(tmp_path / "KILL_SWITCH")).check(intent(), state())
    assert d2.reason == "kill_switch" and "drawdown" in d2.detail
    assert ks.reset() is True and not ks.tripped
    assert isinstance(RiskEngine(LIM, ks).check(intent(), state()), Approved)


def test_stop_loss_flags_positions_that_lost_half():
    exps = {"A-B-C": ex("A-B-C", "5", position=Decimal("10")), "A-B-D": ex("A-B-D", "5", position=Decimal("10"))}
    out = RiskEngine(LIM).stop_loss_tickers(state(exposures=exps), {"A-B-C": Decimal("0.25"), "A-B-D": Decimal("0.30")})
    assert out == ["A-B-C"]


def test_limits_from_settings():
    s = load_settings(risk_max_dollars_per_event="12", risk_kelly_fraction="0.1")
    lim = RiskLimits.from_settings(s)
    assert lim.max_dollars_per_event == Decimal("12") and lim.kelly_fraction == Decimal("0.1")


def test_live_orders_carry_exchange_side_protection():
    assert protection_fields("og-1") == {"cancel_order_on_pause": True, "order_group_id": "og-1"}
    assert protection_fields(None) == {"cancel_order_on_pause": True}


def test_order_group_create_request_and_response():
    from kalshi_edge.trading.brokers import BrokerError, create_order_group

    class Client:
        def __init__(self, reply):
            self.reply, self.calls = reply, []

        def request(self, method, path, json=None):
            self.calls.append((method, path, json))
            return self.reply

    c = Client({"order_group_id": "og-123"})  # CreateOrderGroupResponse shape (openapi 3.13)
    assert create_order_group(c, contracts_limit=50) == "og-123"
    assert c.calls == [("POST", "/portfolio/order_groups/create", {"contracts_limit": 50})]
    with pytest.raises(BrokerError):
        create_order_group(Client({}), contracts_limit=5)
