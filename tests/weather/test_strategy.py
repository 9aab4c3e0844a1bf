"""The weather strategy adapter on a KXHIGHNY-shaped ladder, with the real Central Park record.

The quotes are synthetic (no recorded book exists for a 2024 event); the history is real. The
strategy reads an issued day-ahead forecast (here issued in the test from rows before the day) and
never fits."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
import pytest

from kalshi_edge.families.weather.edge import ladder_intervals
from kalshi_edge.kalshi.semantics import IntInterval
from kalshi_edge.trading.strategy import MarketSnapshot, get_strategy

SUFFIXES = ["T33", "B33.5", "B35.5", "B37.5", "B39.5", "T40"]
NOW = datetime(2024, 12, 19, 15, 0, tzinfo=UTC)


def _snaps(event="KXHIGHNY-24DEC20", suffixes=SUFFIXES):
    return [MarketSnapshot(ticker=f"{event}-{s}", yes_bid=Decimal("0.10"), yes_ask=Decimal("0.14"), quote_ts=NOW,
                           yes_bid_size=Decimal("50"), yes_ask_size=Decimal("50")) for s in suffixes]


@pytest.fixture(scope="module")
def issued(knyc_tmax):
    from kalshi_edge.families.weather.model import daily_series, issue_day_ahead

    series = daily_series(knyc_tmax)
    day = pd.Timestamp("2024-12-20")
    return issue_day_ahead(series[series.index < day], pd.DatetimeIndex([day])).to_rows("KNYC")


def test_ladder_read_from_tickers_tiles_the_integers():
    ivs = ladder_intervals([f"KXHIGHNY-24DEC20-{s}" for s in SUFFIXES])
    assert ivs["KXHIGHNY-24DEC20-T33"] == IntInterval(None, 32)
    assert ivs["KXHIGHNY-24DEC20-B33.5"] == IntInterval(33, 34)
    assert ivs["KXHIGHNY-24DEC20-T40"] == IntInterval(41, None)
    assert ladder_intervals([f"KXHIGHNY-24DEC20-{s}" for s in ["T33", "B35.5", "T40"]]) is None  # gap: refused


def test_probabilities_are_a_distribution_with_the_params_version(issued, tmp_path):
    from kalshi_edge.config import Settings

    s = Settings(data_dir=tmp_path / "d", models_dir=tmp_path / "m")
    strat = get_strategy("weather_day_ahead", {"forecasts": issued, "obs": pd.DataFrame(), "settings": s})
    probs = strat.probabilities(_snaps(), NOW)
    assert len(probs) == 6
    assert abs(sum(p.p_yes for p in probs) - 1.0) < 1e-6
    assert {p.model_version for p in probs} == {"weather-KNYC-default-config"}


def test_observations_after_now_are_ignored_and_running_high_moves_mass(issued, tmp_path):
    from kalshi_edge.config import Settings

    s = Settings(data_dir=tmp_path / "d", models_dir=tmp_path / "m")
    at = datetime(2024, 12, 20, 19, 0, tzinfo=UTC)
    obs = pd.DataFrame({"ts": pd.to_datetime(["2024-12-20T16:00Z", "2024-12-20T18:00Z", "2024-12-20T20:00Z"]),
                        "temp_f": [36.0, 39.0, 60.0], "station": "KNYC", "climate_date": "2024-12-20"})
    snaps = _snaps()
    for m in snaps:
        object.__setattr__(m, "quote_ts", at)
    a = get_strategy("weather_day_ahead", {"forecasts": issued, "obs": obs, "settings": s}).probabilities(snaps, at)
    b = get_strategy("weather_day_ahead", {"forecasts": issued, "obs": obs.iloc[:2], "settings": s}
                     ).probabilities(snaps, at)
    assert [p.p_yes for p in a] == [p.p_yes for p in b]  # the 20:00 reading is after `now`
    assert a[0].inputs_age_s == 3600.0
    p = {x.ticker.rsplit("-", 1)[1]: x.p_yes for x in a}
    assert p["T33"] < 0.05  # a 39 °F running high rules out "32 or below"


def test_no_issued_forecast_is_a_refusal_not_a_fit(tmp_path):
    from kalshi_edge.config import Settings

    s = Settings(data_dir=tmp_path / "d", models_dir=tmp_path / "m")
    strat = get_strategy("weather_day_ahead", {"settings": s})
    assert strat.probabilities(_snaps(), NOW) == []
    assert {r.reason for r in strat.refusals} == {"no_model"}


def test_unreadable_ladder_is_refused(issued, tmp_path):
    from kalshi_edge.config import Settings

    s = Settings(data_dir=tmp_path / "d", models_dir=tmp_path / "m")
    strat = get_strategy("weather_day_ahead", {"forecasts": issued, "settings": s})
    assert strat.probabilities(_snaps(suffixes=["T33", "T35", "T40"]), NOW) == []
    assert {r.reason for r in strat.refusals} == {"unreadable_contract"}
