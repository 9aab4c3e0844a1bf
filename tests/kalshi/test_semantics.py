"""Contract semantics: which outcomes pay YES, cross-checked and failing closed."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal as D

import pytest
from kalshi_payloads import load_fixture

from kalshi_edge.kalshi.errors import SemanticsError
from kalshi_edge.kalshi.models import Market, parse_markets
from kalshi_edge.kalshi.semantics import (
    ET,
    IntInterval,
    Ladder,
    Region,
    parse_ticker,
    payout_interval,
    region_from_text,
    yes_predicate,
    yes_region,
)


def _recorded(name: str, suffix: str) -> Market:
    return next(m for m in parse_markets(load_fixture(name)) if m.ticker.endswith(suffix))


# -- recorded KXHIGHNY markets ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "suffix", "expected"),
    [
        ("kxhighny_open_trimmed.json", "T89", IntInterval(90, None)),  # greater 89, "90° or above"
        ("kxhighny_open_trimmed.json", "T82", IntInterval(None, 81)),  # less 82, "81° or below"
        ("kxhighny_open_trimmed.json", "B88.5", IntInterval(88, 89)),  # between 88-89, "88° to 89°"
        ("kxhighny_settled_trimmed.json", "T94", IntInterval(95, None)),
        ("kxhighny_settled_trimmed.json", "T87", IntInterval(None, 86)),
    ],
)
def test_recorded_markets_payout_interval(fixture, suffix, expected):
    assert payout_interval(_recorded(fixture, suffix)) == expected


def test_recorded_settlement_agrees_with_interval():
    # KXHIGHNY-26JUL10 settled at 85°F: T87 (≤ 86) paid YES, T94 (≥ 95) paid NO.
    for m in parse_markets(load_fixture("kxhighny_settled_trimmed.json")):
        value = int(D(m.expiration_value))
        assert (value in payout_interval(m)) == (m.result == "yes"), m.ticker


# -- the brief's KXHIGHNY-26OCT02 examples (strike fields + subtitles as Kalshi words them) -------


def _mk(ticker, strike_type, floor=None, cap=None, sub=None, rules=None):
    return Market(ticker=ticker, strike_type=strike_type, floor_strike=None if floor is None else D(str(floor)),
                  cap_strike=None if cap is None else D(str(cap)), yes_sub_title=sub, rules_primary=rules)


def test_brief_examples():
    assert payout_interval(_mk("KXHIGHNY-26OCT02-T81", "less", cap=81, sub="80° or below")) == IntInterval(None, 80)
    assert payout_interval(_mk("KXHIGHNY-26OCT02-B81.5", "between", 81, 82, sub="81° to 82°")) == IntInterval(81, 82)
    assert payout_interval(_mk("KXHIGHNY-26OCT02-T88", "greater", floor=88, sub="89° or above")) == IntInterval(89, None)


def test_disagreement_fails_closed():
    # strike says ≥ 89 but the subtitle says 88 or above: refuse
    bad = _mk("KXHIGHNY-26OCT02-T88", "greater", floor=88, sub="88° or above")
    with pytest.raises(SemanticsError, match="refusing"):
        payout_interval(bad)
    # rules text contradicting the strike fields
    bad_rules = _mk("X-26OCT02-T82", "less", cap=82, sub="81° or below", rules="is greater than 82°, then Yes")
    with pytest.raises(SemanticsError, match="rules_primary"):
        payout_interval(bad_rules)


def test_unparseable_text_is_refused_unless_allowed():
    m = _mk("X-26OCT02-T88", "greater", floor=88, sub="Something odd")
    with pytest.raises(SemanticsError, match="no yes_sub_title"):
        payout_interval(m)
    assert payout_interval(m, require_text=False) == IntInterval(89, None)


def test_missing_strike_is_refused():
    with pytest.raises(SemanticsError, match="floor_strike"):
        payout_interval(_mk("X-26OCT02-T88", "greater", sub="89° or above"))
    with pytest.raises(SemanticsError, match="custom"):
        payout_interval(_mk("KXTOPSONG-26OCT17-CHO", "custom", sub="Choosin' Texas"))


# -- text-only markets, as the weather helper builds them from the settled-contracts CSV -------


@pytest.mark.parametrize(
    ("subtitle", "expected"),
    [
        (">86°", IntInterval(87, None)),
        (">86º", IntInterval(87, None)),
        ("<82°", IntInterval(None, 81)),
        ("79° to 80°", IntInterval(79, 80)),
        ("79-80°", IntInterval(79, 80)),
        ("90° or above", IntInterval(90, None)),
        ("90° or higher", IntInterval(90, None)),
        ("80° or below", IntInterval(None, 80)),
        ("80° or lower", IntInterval(None, 80)),
    ],
)
def test_csv_subtitles(subtitle, expected):
    assert payout_interval(Market(ticker="KXHIGHNY-21AUG06", yes_sub_title=subtitle)) == expected


def test_text_only_sources_must_agree():
    m = Market(ticker="X", yes_sub_title="90° or above", rules_primary="is greater than 90°")
    with pytest.raises(SemanticsError):
        payout_interval(m)


# -- continuous regions (BTC) ------------------------------------------------------------------


def test_btc_threshold_region_allows_display_rounding():
    m = _mk("KXBTCD-26JAN2017-T94999.99", "greater", floor="94999.99", sub="$95,000 or above")
    r = yes_region(m)
    assert r.as_tuple() == (D("94999.99"), False, None, False)
    pays = yes_predicate(m)
    assert pays(D("95000")) and pays(94999.995) and not pays(D("94999.99"))


def test_btc_range_region_and_wrong_range_refused():
    m = _mk("KXBTC-26JAN2017-B95250", "between", "95000", "95499.99", sub="$95,000 to 95,499.99")
    assert yes_region(m) == Region(D("95000"), True, D("95499.99"), True)
    wrong = dataclasses.replace(m, yes_sub_title="$95,500 to 95,999.99")
    with pytest.raises(SemanticsError):
        yes_region(wrong)


def test_region_from_text_forms():
    assert region_from_text("between 88-89°") == Region(D(88), True, D(89), True)
    assert region_from_text("is less than 82°, then") == Region(None, False, D(82), False)
    assert region_from_text("$94,999.99 or below") == Region(None, False, D("94999.99"), True)
    assert region_from_text("Judy Shelton") is None


# -- tickers -------------------------------------------------------------------------------------


def test_parse_ticker():
    t = parse_ticker("KXHIGHNY-26JUL12-B88.5")
    assert (t.series, t.suffix, t.suffix_kind, t.suffix_value) == ("KXHIGHNY", "B88.5", "bracket", D("88.5"))
    assert t.event_time_et == datetime(2026, 7, 12, tzinfo=ET) and not t.has_time
    t15 = parse_ticker("KXETH15M-26AUG170145-45")
    assert t15.event_time_et == datetime(2026, 8, 17, 1, 45, tzinfo=ET) and t15.has_time
    assert parse_ticker("KXFEDMENTION-26MAR-JUDY").has_day is False
    assert parse_ticker("KXTOPSONG-26OCT17-CHO").suffix_kind == "custom"
    with pytest.raises(SemanticsError):
        parse_ticker("KXHIGHNY-26XYZ12-T8")


# -- ladders -------------------------------------------------------------------------------------


def _oct02_ladder():
    return [
        _mk("KXHIGHNY-26OCT02-T88", "greater", floor=88, sub="89° or above"),
        _mk("KXHIGHNY-26OCT02-B83.5", "between", 83, 84, sub="83° to 84°"),
        _mk("KXHIGHNY-26OCT02-T81", "less", cap=81, sub="80° or below"),
        _mk("KXHIGHNY-26OCT02-B87.5", "between", 87, 88, sub="87° to 88°"),
        _mk("KXHIGHNY-26OCT02-B81.5", "between", 81, 82, sub="81° to 82°"),
        _mk("KXHIGHNY-26OCT02-B85.5", "between", 85, 86, sub="85° to 86°"),
    ]


def test_ladder_orders_and_tiles():
    lad = Ladder.from_markets(_oct02_ladder(), integer=True)
    assert [m.ticker.split("-")[-1] for m in lad.markets] == ["T81", "B81.5", "B83.5", "B85.5", "B87.5", "T88"]
    lad.check_tiles()
    # the continuous view of the same ladder (strict strikes, whole-degree texts) also tiles
    Ladder.from_markets(_oct02_ladder()).check_tiles(integer=True)
    assert lad.market_for_int(84).ticker.endswith("B83.5")
    assert lad.market_for_int(95).ticker.endswith("T88")


def test_ladder_gap_and_overlap_detected():
    ms = [m for m in _oct02_ladder() if not m.ticker.endswith("B85.5")]
    with pytest.raises(SemanticsError, match="gap"):
        Ladder.from_markets(ms, integer=True).check_tiles()
    ms = _oct02_ladder() + [_mk("KXHIGHNY-26OCT02-B84.5", "between", 84, 85, sub="84° to 85°")]
    with pytest.raises(SemanticsError, match="overlap"):
        Ladder.from_markets(ms, integer=True).check_tiles()
    no_tail = [m for m in _oct02_ladder() if not m.ticker.endswith("T88")]
    with pytest.raises(SemanticsError, match="above"):
        Ladder.from_markets(no_tail, integer=True).check_tiles()


def test_continuous_ladder_btc_ranges():
    ms = [
        _mk("KXBTC-X-B1", "less", cap="95000", sub="$94,999.99 or below"),
        _mk("KXBTC-X-B2", "between", "95000", "95499.99", sub="$95,000 to 95,499.99"),
        _mk("KXBTC-X-B3", "greater", floor="95499.99", sub="$95,500 or above"),
    ]
    lad = Ladder.from_markets(ms)
    lad.check_tiles()
    assert lad.market_for(D("95499.995")).ticker == "KXBTC-X-B3"
    assert lad.market_for(D("94999.999")).ticker == "KXBTC-X-B1"


def test_yes_region_on_whole_degree_market_compares_integer_sets():
    m = _recorded("kxhighny_open_trimmed.json", "T89")  # greater 89, "90° or above"
    r = yes_region(m)
    assert r.as_tuple() == (D(89), False, None, False)
    assert yes_predicate(m)(90) and not yes_predicate(m)(89)
