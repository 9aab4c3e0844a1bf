from datetime import timedelta
from decimal import Decimal

import pytest

from kalshi_edge.trading.strategy import (
    ModelProbability,
    event_of,
    family_of,
    get_strategy,
    list_strategies,
)
from tests.trading.conftest import NOW, snap


def test_registry_lists_book_only_strategies():
    names = list_strategies()
    assert "ladder_consensus" in names and names["ladder_consensus"].book_only
    assert "longshot_fade" in names


def test_unknown_strategy_names_the_known_ones():
    with pytest.raises(KeyError, match="ladder_consensus"):
        get_strategy("nope")


@pytest.mark.parametrize(
    ("ticker", "family", "event"),
    [
        ("KXHIGHNY-25DEC05-B32.5", "weather", "KXHIGHNY-25DEC05"),
        ("KXBTCD-26MAR0117-T90000", "btc", "KXBTCD-26MAR0117"),
        ("KXTOPSONG-26OCT17-CHO", "billboard", "KXTOPSONG-26OCT17"),
        ("FED-23DEC-T3.00", "other", "FED-23DEC"),
    ],
)
def test_family_and_event_from_ticker(ticker, family, event):
    assert family_of(ticker) == family
    assert event_of(ticker) == event


def test_model_probability_validates():
    with pytest.raises(ValueError, match="outside"):
        ModelProbability("X", 1.2, NOW)
    with pytest.raises(ValueError, match="timezone"):
        ModelProbability("X", 0.2, NOW.replace(tzinfo=None))


def test_ladder_consensus_renormalises_mids_to_one():
    ms = [snap(f"KXHIGHNY-26MAR01-B{k}.5", b, a) for k, b, a in
          [(40, "0.20", "0.24"), (42, "0.30", "0.34"), (44, "0.40", "0.44"), (46, "0.20", "0.24")]]
    ps = get_strategy("ladder_consensus").probabilities(ms, NOW)
    assert len(ps) == 4
    assert sum(p.p_yes for p in ps) == pytest.approx(1.0)
    # mids 0.22, 0.32, 0.42, 0.22 sum to 1.18
    assert ps[0].p_yes == pytest.approx(0.22 / 1.18)


def test_strategies_ignore_quotes_from_the_future():
    future = snap(age_s=-5)
    assert get_strategy("longshot_fade").probabilities([future], NOW) == []


def test_longshot_fade_shrinks_longshots_and_lifts_favourites_only():
    cheap, mid, dear = snap("A-B-C1", "0.04", "0.06"), snap("A-B-C2", "0.50", "0.52"), snap("A-B-C3", "0.94", "0.96")
    ps = {p.ticker: p.p_yes for p in get_strategy("longshot_fade", {"shrink": 0.5}).probabilities([cheap, mid, dear], NOW)}
    assert ps == pytest.approx({"A-B-C1": 0.025, "A-B-C3": 0.975})


def test_snapshot_derived_prices():
    m = snap(bid="0.40", ask="0.43")
    assert m.no_ask == Decimal("0.60") and m.no_bid == Decimal("0.57")
    assert m.spread == Decimal("0.03") and m.two_sided()
    assert not snap(bid=None).two_sided()
    assert (m.close_time - NOW) == timedelta(hours=6)


def test_ladder_consensus_skips_nested_threshold_events():
    # KXBTCD "above X" strikes are nested (not exclusive): renormalising their mids is meaningless.
    ms = [snap(f"KXBTCD-26MAR0117-T{k}", "0.40", "0.44") for k in (60000, 61000, 62000)]
    assert get_strategy("ladder_consensus").probabilities(ms, NOW) == []
