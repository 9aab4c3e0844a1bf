"""Intraday coherence (property tests), market fusion validity, bracket mapping and edge."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kalshi_edge.families.weather.fusion import BracketQuote, fuse
from kalshi_edge.families.weather.intraday import (
    bracket_probabilities,
    hazard_remaining,
    intraday_pmf,
    update_with_running_high,
)
from kalshi_edge.families.weather.model import GRID, GRID_LO_F, daily_series, issue_day_ahead
from kalshi_edge.kalshi.models import Market, parse_markets


def _prior(center: int, width: float) -> np.ndarray:
    p = np.exp(-0.5 * ((GRID - center) / width) ** 2)
    return p / p.sum()


@settings(max_examples=200, deadline=None)
@given(
    center=st.integers(0, 110), width=st.floats(0.3, 15), high=st.integers(-20, 125),
    hour=st.floats(0, 24), trend=st.floats(-5, 5), current=st.floats(-30, 130),
)
def test_intraday_never_below_running_high_and_sums_to_one(center, width, high, hour, trend, current):
    out = intraday_pmf(_prior(center, width), high, hour, trend, current)
    assert out[: high - GRID_LO_F].sum() == 0.0
    assert abs(out.sum() - 1.0) < 1e-12
    assert (out >= 0).all()


def test_intraday_on_a_real_prior(knyc_tmax):
    """Prior issued for 2024-07-09 from the real record; the running high at 14:00 LST is 90 °F."""
    prior = issue_day_ahead(daily_series(knyc_tmax), pd.DatetimeIndex(["2024-07-09"])).pmf[0]
    early = intraday_pmf(prior, 90, hour_lst=10.0, trend_f_per_hour=2.0, current_temp_f=90)
    late = intraday_pmf(prior, 90, hour_lst=21.0, trend_f_per_hour=-2.0, current_temp_f=80)
    j = 90 - GRID_LO_F
    assert late[j] > early[j]  # later in the day, the running high is more likely final
    assert late[j] > 0.9


def test_hazard_is_one_at_midnight_and_zero_at_the_end():
    assert hazard_remaining(0.0) == 1.0
    assert hazard_remaining(24.0) == 0.0
    assert hazard_remaining(9.0) > hazard_remaining(18.0)


def test_zero_rise_puts_all_mass_on_the_running_high():
    out = update_with_running_high(_prior(70, 3), 72, 0.0)
    assert out[72 - GRID_LO_F] == 1.0


@settings(max_examples=200, deadline=None)
@given(
    probs=st.lists(st.floats(0, 1), min_size=2, max_size=8),
    data=st.data(),
)
def test_fusion_output_is_a_distribution(probs, data):
    if sum(probs) == 0:
        probs = [1.0] * len(probs)
    quotes = []
    for _ in probs:
        bid = data.draw(st.one_of(st.none(), st.floats(0, 1)))
        ask = data.draw(st.one_of(st.none(), st.floats(0, 1)))
        quotes.append(BracketQuote(bid, ask, data.draw(st.floats(0, 1000))))
    out = fuse(probs, quotes)
    assert out.shape == (len(probs),)
    assert (out > 0).all() and abs(out.sum() - 1) < 1e-9


def test_fusion_moves_toward_tight_deep_market_and_ignores_wide_thin_one():
    model = [0.25, 0.25, 0.25, 0.25]
    mids = [(0.09, 0.11), (0.19, 0.21), (0.29, 0.31), (0.39, 0.41)]
    tight = fuse(model, [BracketQuote(b, a, 500) for b, a in mids])
    wide = fuse(model, [BracketQuote(max(0.0, b - 0.3), min(1.0, a + 0.3), 1) for b, a in mids])
    assert tight[3] > 0.33 and tight[0] < 0.16
    assert abs(wide[3] - 0.25) < abs(tight[3] - 0.25)


def _ladder() -> list[Market]:
    """A complete six-market KXHIGHNY ladder shaped like KALSHI_API.md's example (synthetic fields:
    the recorded fixtures hold only three markets of an event)."""
    d = Decimal
    spec = [("T81", "less", None, d(81), "80° or below"), ("B81.5", "between", d(81), d(82), "81° to 82°"),
            ("B83.5", "between", d(83), d(84), "83° to 84°"), ("B85.5", "between", d(85), d(86), "85° to 86°"),
            ("B87.5", "between", d(87), d(88), "87° to 88°"), ("T88", "greater", d(88), None, "89° or above")]
    return [Market(ticker=f"KXHIGHNY-26OCT02-{s}", strike_type=t, floor_strike=f, cap_strike=c, yes_sub_title=txt,
                   status="active", yes_bid=d("0.10"), yes_ask=d("0.12"), no_bid=d("0.88"), no_ask=d("0.90"))
            for s, t, f, c, txt in spec]


def test_full_ladder_probabilities_sum_to_one():
    probs = bracket_probabilities(_prior(84, 3), _ladder())
    assert abs(sum(probs.values()) - 1.0) < 1e-12
    assert probs["KXHIGHNY-26OCT02-B83.5"] > probs["KXHIGHNY-26OCT02-T88"]


def test_recorded_markets_map_and_overlaps_are_refused(fixtures_dir):
    markets = parse_markets(json.loads((fixtures_dir / "kxhighny_open_trimmed.json").read_text()))
    probs = bracket_probabilities(_prior(85, 2), markets)  # T82 (<=81), B88.5 (88-89), T89 (>=90)
    assert probs["KXHIGHNY-26JUL12-T82"] == pytest.approx(_prior(85, 2)[: 82 - GRID_LO_F].sum())
    with pytest.raises(ValueError, match="overlap"):
        bracket_probabilities(_prior(85, 2), [*markets, markets[0]])


def test_edge_rows_and_skip_reasons(fixtures_dir):
    # The weather family computes no edge of its own: its rows come from the one edge path.
    from kalshi_edge.trading.intents import GateConfig, SkipReason, evaluate_edges
    from kalshi_edge.trading.strategy import MarketSnapshot, ModelProbability

    markets = parse_markets(json.loads((fixtures_dir / "kxhighny_open_trimmed.json").read_text()))
    probs = {"KXHIGHNY-26JUL12-T82": 0.40, "KXHIGHNY-26JUL12-B88.5": 0.03, "KXHIGHNY-26JUL12-T89": 0.001}
    as_of = datetime(2026, 7, 12, 15, 0, tzinfo=UTC)
    cfg = GateConfig(min_edge_dollars=Decimal("0.02"), max_count=Decimal("1"), allow_maker=False)

    def rows(at):
        snaps = [MarketSnapshot.from_market(m, quote_ts=at) for m in markets]
        ps = [ModelProbability(t, p, at) for t, p in probs.items()]
        return {r.ticker: r for r in evaluate_edges(ps, snaps, strategy="weather_day_ahead", now=at, cfg=cfg)}

    df = rows(as_of)
    t82 = df["KXHIGHNY-26JUL12-T82"]
    # buy YES at 0.19: fee ceil(0.07*0.19*0.81 = 0.010773) = 0.02; EV = 0.40 - 0.19 - 0.02
    assert t82.fee_yes_taker == Decimal("0.02") and t82.ev_yes_taker == Decimal("0.190000")
    assert t82.selected and t82.skip_reason is None
    assert df["KXHIGHNY-26JUL12-B88.5"].skip_reason is SkipReason.EDGE_TOO_SMALL
    late = rows(datetime(2026, 7, 13, 5, 0, tzinfo=UTC))
    assert {r.skip_reason for r in late.values()} == {SkipReason.TOO_CLOSE_TO_CLOSE}
