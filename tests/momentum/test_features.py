"""Book-event stream and incremental features (issue 15).

Real data: the first 1,500 rows of three recorded KXHIGHNY days and 300 crypto snapshots
(tests/fixtures/momentum/README.md). Synthetic events appear only where a property must hold for
*any* book (hypothesis) or a known signal is needed to check the kinematics; each says so.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kalshi_edge.families.weather.momentum.features import FEATURES, FeatureEngine, Kinematics
from kalshi_edge.families.weather.momentum.models import RidgeLogit, day_rows
from kalshi_edge.families.weather.momentum.stream import (
    BookEvent,
    BookFormatError,
    events_from_crypto_snapshots,
    events_from_top_of_book,
)

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "momentum"
DAYS = sorted(FIX.glob("market_data_KXHIGHNY-*.csv.gz"))


@pytest.fixture(scope="module")
def day_events() -> list[BookEvent]:
    return list(events_from_top_of_book([DAYS[0]]))


def _check_ladder(eng: FeatureEngine, ticker: str) -> None:
    pmf = eng.pmf(ticker)
    if not pmf:
        return
    assert all(p >= 0 for p in pmf.values())
    assert math.isclose(sum(pmf.values()), 1.0, rel_tol=0, abs_tol=1e-12)
    lo, hi = eng.support(ticker)
    assert lo - 1e-9 <= eng.mu(ticker) <= hi + 1e-9


def test_top_of_book_adapter_uses_the_one_reader_and_carries_no_sizes(day_events):
    assert len(day_events) > 1000
    assert all(day_events[i].ts_ns <= day_events[i + 1].ts_ns for i in range(len(day_events) - 1))
    assert all(e.bid_size is None and e.ask_size is None and e.yes_depth is None for e in day_events)
    # the first row of the file: 2025-12-04T12:27:16.079996 Pacific, T37 bid 1, no bid 96 -> ask 4
    first = day_events[0]
    assert first.ticker == "KXHIGHNY-25DEC05-T37" and (first.yes_bid_c, first.yes_ask_c) == (1, 4)
    assert first.ts_ns == 1764880036079996000  # 20:27:16.079996Z


def test_real_day_pmf_normalised_and_mu_in_support_after_every_update(day_events):
    eng = FeatureEngine()
    for e in day_events:
        eng.update(e)
        _check_ladder(eng, e.ticker)
    # the ladder is ordered by bracket center; the tails sit one 2°F bracket beyond the strikes
    lad = eng.ladder(day_events[0].ticker)
    assert lad == ["KXHIGHNY-25DEC05-T30", "KXHIGHNY-25DEC05-B30.5", "KXHIGHNY-25DEC05-B32.5",
                   "KXHIGHNY-25DEC05-B34.5", "KXHIGHNY-25DEC05-B36.5", "KXHIGHNY-25DEC05-T37"]
    assert eng.support(lad[0]) == (28.5, 38.5)
    f = eng.features(lad[2], day_events[-1].ts_ns * 1e-9)
    assert set(f) == set(FEATURES)
    # no sizes in a top-of-book log: size features absent, flagged, not faked
    assert f["has_sizes"] == 0.0 and math.isnan(f["ofi"]) and math.isnan(f["queue_imb"]) and math.isnan(f["depth"])


# synthetic: arbitrary books on a made-up ladder, because the property must hold for any book
_TICKERS = ["KXHIGHNY-25DEC05-T30", "KXHIGHNY-25DEC05-B30.5", "KXHIGHNY-25DEC05-B32.5", "KXHIGHNY-25DEC05-T33"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 100), st.integers(0, 100), st.floats(0, 120)),
                min_size=1, max_size=60))
def test_property_pmf_normalised_and_mu_within_support(steps):
    eng = FeatureEngine()
    t = 1.7e9
    for i, bid, ask, dt in steps:
        t += dt
        eng.update(BookEvent(int(t * 1e9), _TICKERS[i], min(bid, ask), max(bid, ask)))
        _check_ladder(eng, _TICKERS[i])
        f = eng.features(_TICKERS[i], t + 1.0)
        assert 0.0 <= f["p"] <= 1.0 or math.isnan(f["p"])
        assert f["is_leader"] in (0.0, 1.0)


def test_kinematics_exact_under_irregular_sampling():
    # synthetic known signal: x(t) = 2 + 0.5 t (per second), sampled at random irregular times
    rng = random.Random(3)
    k = Kinematics(60.0, 300.0)
    t = 0.0
    while t < 5000:
        k.update(t, 2 + 0.5 * t)
        last = t
        t += rng.choice([0.01, 0.2, 1.0, 3.0])
    _, v, a = k.at(last)
    # step-sampled ramp: velocity 0.5/s = 30/min, curvature ~0 (sampling holds the value, small lag)
    assert v == pytest.approx(30.0, rel=0.05)
    assert abs(a) < 0.5  # vs 30/min of velocity: under 2 % of v per minute
    # a parabola x = 0.001 t² has a = 0.002 /s² = 7.2 /min² and v(t) = 0.002 t (sampled finely:
    # the held value between samples biases the curvature by about step/τ)
    kq, t = Kinematics(60.0, 300.0), 0.0
    while t < 5000:
        kq.update(t, 0.001 * t * t)
        last = t
        t += rng.choice([0.01, 0.05, 0.2])
    _, vq, aq = kq.at(last)
    assert aq == pytest.approx(7.2, rel=0.05) and vq == pytest.approx(0.002 * last * 60, rel=0.02)
    # the same signal held constant gives zero velocity eventually, whatever the sampling
    k2 = Kinematics(60.0, 300.0)
    for tt in (0.0, 0.3, 50.0, 51.0, 400.0):
        k2.update(tt, 7.0)
    assert k2.at(3000.0)[1] == pytest.approx(0.0, abs=1e-9)


def test_updates_are_forward_only(day_events):
    eng = FeatureEngine()
    eng.update(day_events[10])
    with pytest.raises(ValueError, match="older"):
        eng.update(day_events[0])


def test_leader_is_the_bracket_whose_mid_accelerates_past_its_neighbours():
    # synthetic: flat ladder, then one bracket's mid climbs
    eng = FeatureEngine()
    t0 = 1.7e9
    for j, tk in enumerate(_TICKERS):
        eng.update(BookEvent(int((t0 + j) * 1e9), tk, 20, 24))
    for s in range(1, 30):
        eng.update(BookEvent(int((t0 + 10 + 10 * s) * 1e9), _TICKERS[2], 20 + s, 24 + s))
    now = t0 + 320
    f = {tk: eng.features(tk, now) for tk in _TICKERS}
    assert f[_TICKERS[2]]["is_leader"] == 1.0 and f[_TICKERS[2]]["vel"] > 0
    assert sum(v["is_leader"] for v in f.values()) == 1.0
    assert f[_TICKERS[2]]["mu_vel"] > 0 or f[_TICKERS[2]]["center_minus_mu"] != 0  # mass moves toward it


def test_crypto_snapshots_give_depth_but_no_touch_sizes():
    evs = list(events_from_crypto_snapshots(FIX / "KXETH15M_raw_snapshots_first300.jsonl.gz"))
    assert len(evs) == 300 and all(e.yes_depth is not None for e in evs)
    eng = FeatureEngine()
    eng.update_many(evs)
    f = eng.features(evs[-1].ticker, evs[-1].ts_ns * 1e-9)
    assert f["depth"] > 0 and -1 <= f["depth_imb"] <= 1
    assert math.isnan(f["ofi"]) and f["has_sizes"] == 0.0


def test_crypto_bad_row_names_file_row_field(tmp_path):
    p = tmp_path / "raw_snapshots.jsonl"
    p.write_text('{"ts": 1.0, "ticker": "X-1", "yb": 0.1, "ya": 0.2}\n{"ts": 2.0, "ticker": "X-1", "yb": 7, "ya": 0.2}\n')
    with pytest.raises(BookFormatError, match=r"raw_snapshots.jsonl: row 2 field 'yb'"):
        list(events_from_crypto_snapshots(p))


def test_look_ahead_probe_perturbing_rows_after_t_changes_nothing_at_or_before_t(day_events):
    """Features and predictions at or before t are identical whatever happens after t."""
    cut = day_events[len(day_events) // 2].ts_ns
    rng = random.Random(11)
    perturbed = []
    for e in day_events:
        if e.ts_ns > cut:
            b = rng.randint(1, 60)
            e = replace(e, yes_bid_c=b, yes_ask_c=b + rng.randint(1, 30))
            if rng.random() < 0.2:
                continue  # and some rows after t vanish
        perturbed.append(e)
    a = day_rows(day_events, step_s=30.0, horizons=(30,))
    b = day_rows(perturbed, step_s=30.0, horizons=(30,))
    t_cut = cut * 1e-9
    fa, fb = a[a["ts_s"] <= t_cut], b[b["ts_s"] <= t_cut]
    assert len(fa) > 50 and len(fa) == len(fb)
    np.testing.assert_array_equal(fa[list(FEATURES)].to_numpy(), fb[list(FEATURES)].to_numpy())
    # and a model's predictions on those rows (the model is fitted on another day's rows)
    other = day_rows(list(events_from_top_of_book([DAYS[1]])), step_s=30.0, horizons=(30,)).dropna(subset=["y_30"])
    m = RidgeLogit().fit(other[list(FEATURES)].to_numpy(), other["y_30"].to_numpy())
    np.testing.assert_array_equal(m.score(fa[list(FEATURES)].to_numpy()), m.score(fb[list(FEATURES)].to_numpy()))
    # sanity: the perturbation did change rows after t (else the probe proves nothing)
    assert not np.array_equal(a[a["ts_s"] > t_cut + 60][["mid_c"]].to_numpy()[:50],
                              b[b["ts_s"] > t_cut + 60][["mid_c"]].to_numpy()[:50])


def test_a_thin_maker_fill_cell_falls_back_to_the_shared_measured_default():
    """A fitted table's cell with too few samples takes the edge path's measured default for that
    spread (it used to take a hard-coded 0.3, the overstated old heuristic); a fitted cell wins."""
    from decimal import Decimal

    from kalshi_edge.families.weather.momentum.fills import FillCell, MakerFillModel
    from kalshi_edge.trading.intents import maker_fill_probability

    m = MakerFillModel([FillCell(300, 1, 1, "yes_bid", 5, 4), FillCell(300, 2, 2, "yes_bid", 1000, 70)])
    assert m.prob(1, 300, "yes_bid") == maker_fill_probability(spread=Decimal("0.01"), tick=Decimal("0.01"))
    assert m.prob(2, 300, "yes_bid") == 0.07
    again = MakerFillModel.from_json(m.to_json())
    assert again.prior is None and again.prob(1, 300, "yes_bid") == m.prob(1, 300, "yes_bid")
    assert MakerFillModel.from_json({"prior": 0.2, "cells": []}).prob(3, 300) == 0.2  # an explicit prior is kept
