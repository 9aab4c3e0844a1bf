"""The weather strategy adapter on a KXHIGHNY-shaped ladder, with the real Central Park record.

The quotes are synthetic (no recorded book exists for a 2024 event); the history is real."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from kalshi_edge.families.weather.strategy import ladder_intervals
from kalshi_edge.kalshi.semantics import IntInterval
from kalshi_edge.trading.strategy import MarketSnapshot, get_strategy

SUFFIXES = ["T33", "B33.5", "B35.5", "B37.5", "B39.5", "T40"]
NOW = datetime(2024, 12, 19, 15, 0, tzinfo=UTC)


def _snaps(event="KXHIGHNY-24DEC20", suffixes=SUFFIXES):
    return [MarketSnapshot(ticker=f"{event}-{s}", yes_bid=Decimal("0.10"), yes_ask=Decimal("0.14"), quote_ts=NOW,
                           yes_bid_size=Decimal("50"), yes_ask_size=Decimal("50")) for s in suffixes]


def test_ladder_read_from_tickers_tiles_the_integers():
    ivs = ladder_intervals([f"KXHIGHNY-24DEC20-{s}" for s in SUFFIXES])
    assert ivs["KXHIGHNY-24DEC20-T33"] == IntInterval(None, 32)
    assert ivs["KXHIGHNY-24DEC20-B33.5"] == IntInterval(33, 34)
    assert ivs["KXHIGHNY-24DEC20-T40"] == IntInterval(41, None)
    assert ladder_intervals([f"KXHIGHNY-24DEC20-{s}" for s in ["T33", "B35.5", "T40"]]) is None  # gap: refused


def test_probabilities_are_a_distribution_and_ignore_the_future(knyc_tmax):
    strat = get_strategy("weather_day_ahead", {"tmax_frames": {"KNYC": knyc_tmax}})
    probs = strat.probabilities(_snaps(), NOW)
    assert len(probs) == 6
    assert abs(sum(p.p_yes for p in probs) - 1.0) < 1e-6
    future = knyc_tmax.copy()
    future.loc[future["date"] >= "2024-12-19", "tmax_f"] += 30  # rows dated at/after `now`'s day
    again = get_strategy("weather_day_ahead", {"tmax_frames": {"KNYC": future}}).probabilities(_snaps(), NOW)
    assert [p.p_yes for p in again] == [p.p_yes for p in probs]


def test_unreadable_ladder_is_skipped(knyc_tmax):
    strat = get_strategy("weather_day_ahead", {"tmax_frames": {"KNYC": knyc_tmax}})
    assert strat.probabilities(_snaps(suffixes=["T33", "T35", "T40"]), NOW) == []
