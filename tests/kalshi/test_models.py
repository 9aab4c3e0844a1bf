"""Domain model parsing against recorded Kalshi payloads (tests/fixtures/kalshi_rest/)."""

from __future__ import annotations

import copy
from decimal import Decimal as D

import pytest
from kalshi_payloads import FIXTURES, load_fixture

from kalshi_edge.kalshi.errors import KalshiSchemaError
from kalshi_edge.kalshi.fees import FeeType, order_fee
from kalshi_edge.kalshi.models import (
    BookSide,
    Event,
    Market,
    OrderBook,
    Series,
    Side,
    parse_balance,
    parse_event,
    parse_fill,
    parse_market,
    parse_markets,
    parse_order,
    parse_position,
    parse_series,
    parse_settlement,
    parse_trade,
)
from kalshi_edge.kalshi.money import MoneyError


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*markets*.json")) + [
    "kxhighny_open_trimmed.json", "kxhighny_settled_trimmed.json"])
def test_every_recorded_market_fixture_parses(name):
    markets = parse_markets(load_fixture(name))
    assert markets, name
    for m in markets:
        assert m.ticker and m.yes_bid is not None and m.yes_ask is not None


def test_open_market_fields_are_exact():
    m = next(m for m in parse_markets(load_fixture("kxhighny_open_trimmed.json")) if m.ticker.endswith("B88.5"))
    assert (m.strike_type, m.floor_strike, m.cap_strike) == ("between", D("88"), D("89"))
    assert m.yes_sub_title == "88° to 89°"
    assert m.status == "active" and m.result == ""
    assert isinstance(m.yes_bid, D) and m.yes_bid <= m.yes_ask
    assert m.price_level_structure == "linear_cent"
    assert m.close_time is not None and m.close_time.tzinfo is not None


def test_settled_market_result_and_settlement_value():
    ms = parse_markets(load_fixture("kxhighny_settled_trimmed.json"))
    t87 = next(m for m in ms if m.ticker.endswith("T87"))
    assert t87.result == "yes" and t87.status == "finalized"
    assert t87.settlement_value == D("1")
    assert t87.expiration_value == "85.00"


def test_legacy_cent_fields_agree_with_dollar_fields():
    raw = load_fixture("markets_mixed_legacy_and_dollar_fields.json")
    for d in raw.values():
        both = parse_market(d)
        legacy_only = parse_market({k: v for k, v in d.items() if not k.endswith("_dollars") and not k.endswith("_fp")})
        assert legacy_only.yes_bid == both.yes_bid, d["ticker"]
        assert legacy_only.no_ask == both.no_ask
        assert legacy_only.last_price == both.last_price
        assert legacy_only.volume == both.volume


def test_missing_quote_field_is_named():
    d = copy.deepcopy(load_fixture("kxhighny_open_trimmed.json")["markets"][0])
    del d["yes_ask_dollars"]
    with pytest.raises(KalshiSchemaError, match=r"market\[KXHIGHNY-26JUL12-T89\]\.yes_ask_dollars"):
        parse_market(d)


def test_malformed_price_is_named():
    d = copy.deepcopy(load_fixture("kxhighny_open_trimmed.json")["markets"][0])
    d["no_bid_dollars"] = "1.50"
    with pytest.raises(KalshiSchemaError, match="no_bid_dollars"):
        parse_market(d)


def test_market_without_ticker_is_refused():
    with pytest.raises(KalshiSchemaError, match="ticker"):
        parse_market({"yes_bid_dollars": "0.1"})


# -- tick validation ----------------------------------------------------------------------------


def test_validate_price_linear_cent():
    m = parse_markets(load_fixture("kxhighny_open_trimmed.json"))[0]
    assert m.validate_price("0.56") == D("0.56")
    with pytest.raises(MoneyError, match="tick grid"):
        m.validate_price("0.565")
    with pytest.raises(MoneyError, match="strictly between"):
        m.validate_price("0")
    with pytest.raises(MoneyError, match="strictly between"):
        m.validate_price("1.00")


def test_validate_price_tapered_deci_cent():
    m = Market(ticker="X", price_level_structure="tapered_deci_cent")  # ranges from the documented structure
    assert m.validate_price("0.053") == D("0.053")
    assert m.validate_price("0.955") == D("0.955")
    assert m.validate_price("0.50") == D("0.50")
    with pytest.raises(MoneyError):
        m.validate_price("0.505")


# -- fees ---------------------------------------------------------------------------------------


def test_fee_schedule_from_series_event_and_market():
    m = Market(ticker="KXFED-X")
    series = Series(ticker="KXFED", fee_type="quadratic_with_maker_fees", fee_multiplier=D("1"))
    sched = m.fee_schedule(series, Event(event_ticker="KXFED-X", fee_multiplier_override=D("0.5")))
    assert sched.fee_type is FeeType.QUADRATIC_WITH_MAKER_FEES and sched.multiplier == D("0.5")
    assert order_fee(price="0.5", count="100", schedule=sched) == D("0.88")
    assert m.fee_schedule().fee_type is FeeType.QUADRATIC


def test_parse_series_and_event():
    s = parse_series({"ticker": "KXHIGHNY", "title": "Highest temperature in NYC", "category": "Climate",
                      "frequency": "daily", "fee_type": "quadratic", "fee_multiplier": 1,
                      "tags": [], "settlement_sources": [{"name": "NWS", "url": "x"}]})
    assert s.fee_multiplier == D("1") and s.settlement_sources == ("NWS",)
    markets = load_fixture("kxhighny_open_trimmed.json")["markets"]
    ev = parse_event({"event_ticker": "KXHIGHNY-26JUL12", "series_ticker": "KXHIGHNY", "title": "t",
                      "sub_title": "", "mutually_exclusive": True}, markets)
    assert ev.mutually_exclusive and len(ev.markets) == len(markets)
    assert all(m.series_ticker == "KXHIGHNY" for m in ev.markets)


# -- order book ---------------------------------------------------------------------------------


def test_orderbook_rest_and_derived_asks():
    ob = OrderBook.from_rest("T", {"orderbook_fp": {"yes_dollars": [["0.2700", "31.54"], ["0.2500", "10.00"]],
                                                    "no_dollars": [["0.7000", "5.00"]]}})
    assert ob.best_yes_bid == D("0.27")
    assert ob.best_yes_ask == D("0.30")  # 1 − best NO bid 0.70
    assert ob.best_no_ask == D("0.73")
    assert ob.yes_levels()[0] == (D("0.27"), D("31.54"))
    legacy = OrderBook.from_rest("T", {"orderbook": {"yes": [[27, 3154]], "no": [[70, 5]]}})
    assert legacy.best_yes_bid == D("0.27")


def test_orderbook_delta_and_copy():
    ob = OrderBook.from_ws_snapshot({"market_ticker": "FED-23DEC-T3.00", "yes_dollars_fp": [["0.0800", "300.00"]],
                                     "no_dollars_fp": [["0.5400", "20.00"]]})
    snap = ob.copy()
    ob.apply_delta("yes", "0.0800", "-300.00")
    ob.apply_delta("no", "0.9600", "54.00")
    assert ob.best_yes_bid is None and ob.best_yes_ask == D("0.04")
    assert snap.best_yes_bid == D("0.08")  # the copy is independent
    assert ob != snap
    with pytest.raises(KalshiSchemaError, match="out of sync"):
        ob.apply_delta("no", "0.9600", "-55")


def test_orderbook_missing_payload_is_named():
    with pytest.raises(KalshiSchemaError, match="orderbook_fp"):
        OrderBook.from_rest("T", {"book": {}})


# -- orders, fills, positions, settlements (shapes from the 3.13 spec's examples) ---------------


def test_parse_order_v2_and_legacy_sides():
    v2 = parse_order({"order_id": "o1", "ticker": "T", "client_order_id": "c1", "outcome_side": "yes",
                      "book_side": "ask", "status": "resting", "yes_price_dollars": "0.5600",
                      "no_price_dollars": "0.4400", "fill_count_fp": "0.00", "remaining_count_fp": "10.00",
                      "initial_count_fp": "10.00", "taker_fees_dollars": "0.0000", "maker_fees_dollars": "0.0000"})
    assert v2.book_side is BookSide.ASK and v2.remaining_count == D("10") and v2.is_open
    legacy = parse_order({"order_id": "o2", "ticker": "T", "side": "no", "action": "buy", "status": "executed",
                          "yes_price": 44, "no_price": 56, "fill_count": 3, "remaining_count": 0})
    assert legacy.book_side is BookSide.ASK and legacy.outcome_side is Side.NO and legacy.yes_price == D("0.44")
    with pytest.raises(KalshiSchemaError, match="remaining_count"):
        parse_order({"order_id": "o3", "ticker": "T", "side": "yes", "action": "buy", "status": "resting",
                     "fill_count_fp": "0"})


def test_parse_fill_position_settlement_trade_balance():
    f = parse_fill({"fill_id": "f", "trade_id": "t", "order_id": "o", "ticker": "T", "side": "no", "action": "sell",
                    "count_fp": "2.00", "yes_price_dollars": "0.3000", "no_price_dollars": "0.7000",
                    "is_taker": True, "fee_cost": "0.0300", "ts": 1714000000})
    assert f.book_side is BookSide.BID and f.signed_yes_count == D("2") and f.fee_cost == D("0.03")
    p = parse_position({"ticker": "T", "position_fp": "-5.00", "market_exposure_dollars": "2.5000",
                        "realized_pnl_dollars": "0.0000", "fees_paid_dollars": "0.0200",
                        "total_traded_dollars": "2.5000", "resting_orders_count": 1})
    assert p.position == D("-5")
    s = parse_settlement({"ticker": "T", "event_ticker": "E", "market_result": "yes", "yes_count_fp": "3.00",
                          "yes_total_cost_dollars": "1.2000", "no_count_fp": "0.00",
                          "no_total_cost_dollars": "0.0000", "revenue": 300, "settled_time": "2026-07-11T12:00:00Z",
                          "fee_cost": "0.0300"})
    assert s.revenue == D("3.00")
    t = parse_trade({"trade_id": "x", "market_ticker": "HIGHNY-22DEC23-B53.5", "yes_price_dollars": "0.3600",
                     "no_price_dollars": "0.6400", "count_fp": "136.00", "taker_outcome_side": "no",
                     "ts_ms": 1669149841000})
    assert t.count == D("136") and t.taker_side == "no" and t.created_time is not None
    assert parse_balance({"balance": 12345, "portfolio_value": 100}).balance == D("123.45")
    with pytest.raises(KalshiSchemaError, match="balance"):
        parse_balance({"portfolio_value": 1})
