"""The market-implied pmf (property tests), `weather vs-market` (contract, determinism) and the
no-look-ahead guarantee of every decision."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kalshi_edge.config import PROJECT_ROOT

SAMPLE = Path(PROJECT_ROOT) / "data" / "sample"
CANDLES = SAMPLE / "kalshi" / "kxhighny_trade_candles_5m_2025-08-09_2025-08-12.csv"
FORECASTS = SAMPLE / "weather" / "forecasts_KNYC_2025-07-04_2025-12-20.csv"
ACTUALS = SAMPLE / "weather" / "cli_actuals_KNYC_2025-07-02_2025-12-20.csv"


def _ladder_tickers(low: int, n_brackets: int) -> list[str]:
    # a KXHIGH ladder: T<low> (≤ low-1), B brackets of 2 °F from low, T<top> (≥ top+1)
    b = [f"KXHIGHNY-25AUG12-B{low + 2 * i + 0.5}" for i in range(n_brackets)]
    return [f"KXHIGHNY-25AUG12-T{low}", *b, f"KXHIGHNY-25AUG12-T{low + 2 * n_brackets - 1}"]


@settings(max_examples=60, deadline=None)
@given(low=st.integers(-20, 100), n=st.integers(1, 6), data=st.data())
def test_implied_and_fused_pmfs_sum_to_one_with_no_mass_outside_the_support(low, n, data):
    from kalshi_edge.families.weather.market_pmf import (
        bracket_masses,
        implied_pmf,
        ladder_of,
        project_to_support,
        support_of,
    )
    from kalshi_edge.families.weather.model import GRID, GRID_LO_F

    ladder = ladder_of(_ladder_tickers(low, n))
    prices = {m.ticker: data.draw(st.one_of(st.none(), st.floats(0.0, 1.0))) for m in ladder.markets}
    mp = implied_pmf(ladder, prices)
    priced = sum(v is not None for v in prices.values())
    if priced * 2 < len(prices):
        assert mp is None
        return
    lo, hi = support_of(ladder.int_intervals())
    assert (mp.lo, mp.hi) == (lo, hi)
    assert mp.p.min() >= 0 and abs(mp.p.sum() - 1) < 1e-12
    # each bracket carries exactly its normalised price
    np.testing.assert_allclose(bracket_masses(ladder, mp.lo, mp.p), list(mp.bracket_p.values()), atol=1e-12)
    # fused: any model pmf on the full grid, projected onto the support, pooled with the market
    mu = data.draw(st.floats(-40, 130))
    model = np.exp(-0.5 * ((GRID - mu) / 3.0) ** 2)
    model /= model.sum()
    w = data.draw(st.floats(0, 1))
    fused = w * project_to_support(GRID_LO_F, model, lo, hi) + (1 - w) * mp.p
    assert fused.min() >= 0 and abs(fused.sum() - 1) < 1e-9 and len(fused) == hi - lo + 1


def test_ladder_tiling_comes_from_the_semantics_module():
    from kalshi_edge.families.weather.market_pmf import ladder_of
    from kalshi_edge.kalshi.errors import SemanticsError

    ladder = ladder_of(_ladder_tickers(81, 4))
    ivs = [str(iv) for iv in ladder.int_intervals()]
    assert ivs == ["[-inf..80]", "[81..82]", "[83..84]", "[85..86]", "[87..88]", "[89..+inf]"]
    with pytest.raises(SemanticsError, match="gap"):
        ladder_of(["KXHIGHNY-25AUG12-T81", "KXHIGHNY-25AUG12-B81.5", "KXHIGHNY-25AUG12-B85.5",
                   "KXHIGHNY-25AUG12-T86"])


def test_bracket_price_is_the_mid_and_refuses_empty_or_wide_books():
    from kalshi_edge.families.weather.market_pmf import bracket_price

    assert bracket_price(40, 44) == pytest.approx(0.42)
    assert bracket_price(0, 3) == pytest.approx(0.015)  # no bid: the bid side is 0
    assert bracket_price(0, 100) is None
    assert bracket_price(10, 60) is None  # 50 c wide


@pytest.fixture(scope="module")
def inputs():
    from kalshi_edge.families.weather.evaluate import read_tmax_csv
    from kalshi_edge.families.weather.forecasts import read_actuals_csv, read_forecasts_csv
    from kalshi_edge.families.weather.model import daily_series
    from kalshi_edge.families.weather.vs_market import read_candles

    fc = read_forecasts_csv(FORECASTS)
    act = read_actuals_csv(ACTUALS, "KNYC")
    tm = daily_series(read_tmax_csv(SAMPLE / "weather" / "tmax_KNYC.csv.gz"))
    hist = pd.concat([tm.dropna(), act])
    hist = hist[~hist.index.duplicated(keep="last")].sort_index().asfreq("D")
    return read_candles(CANDLES), fc, act, hist


def _run(inputs, **kw):
    from kalshi_edge.families.weather.vs_market import run_vs_market

    q, fc, act, hist = inputs
    return run_vs_market(q, fc, act, hist, at=("19:00",), bootstrap=200, **kw)


def test_no_look_ahead_later_forecast_or_changed_high_changes_nothing_for_that_decision(inputs):
    q, fc, act, hist = inputs
    base = _run(inputs)
    day = "2025-08-11"
    mine = base.pmf[base.pmf["date"] == day].reset_index(drop=True)
    assert set(mine["source"]) == {"market", "model", "fused"}
    t = pd.Timestamp(mine["decision_ts"].iloc[0])
    # a wild forecast issued one second after the decision, and a different observed high
    late = pd.DataFrame([{"issued_at": t.tz_convert("UTC") + pd.Timedelta(seconds=1), "station": "KNYC",
                          "target_date": pd.Timestamp(day), "forecast_high_f": 120.0, "source": "nws_point",
                          "detail": ""}])
    fc2 = pd.concat([fc, late], ignore_index=True).sort_values("issued_at", kind="stable").reset_index(drop=True)
    act2 = act.copy()
    act2[pd.Timestamp(day)] = act2[pd.Timestamp(day)] + 9
    hist2 = hist.copy()
    hist2[pd.Timestamp(day)] = act2[pd.Timestamp(day)]
    from kalshi_edge.families.weather.vs_market import run_vs_market

    other = run_vs_market(q, fc2, act2, hist2, at=("19:00",), bootstrap=200)
    pd.testing.assert_frame_equal(mine, other.pmf[other.pmf["date"] == day].reset_index(drop=True))
    # ... while the same forecast issued one second BEFORE the decision does move the model
    late["issued_at"] = t.tz_convert("UTC") - pd.Timedelta(seconds=1)
    fc3 = pd.concat([fc, late], ignore_index=True).sort_values("issued_at", kind="stable").reset_index(drop=True)
    moved = run_vs_market(q, fc3, act, hist, at=("19:00",), bootstrap=200).pmf
    m3 = moved[(moved["date"] == day) & (moved["source"] == "model")]
    assert (m3["temp_f"] * m3["p"]).sum() > 100


def test_vs_market_cli_writes_the_contract_files_and_is_deterministic(tmp_path):
    from kalshi_edge.cli.main import main

    args = ["weather", "vs-market", "--station", "KNYC", "--candles", str(CANDLES), "--forecasts", str(FORECASTS),
            "--actuals", str(ACTUALS), "--at", "11:00,16:00,19:00"]
    assert main(args + ["--out", str(tmp_path / "a")]) == 0
    assert main(args + ["--out", str(tmp_path / "b")]) == 0
    for name in ("pmf.csv", "scores.csv", "report.html"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    pmf = pd.read_csv(tmp_path / "a" / "pmf.csv")
    assert list(pmf.columns) == ["date", "decision_ts", "source", "temp_f", "p"]
    assert set(pmf["source"]) == {"market", "model", "fused"}
    sums = pmf.groupby(["date", "decision_ts", "source"])["p"].sum()
    assert np.allclose(sums, 1.0, atol=1e-9)
    assert pmf["decision_ts"].str.match(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-04:00").all()
    scores = pd.read_csv(tmp_path / "a" / "scores.csv")
    assert {"market", "model", "fused", "climatology"} <= set(scores["source"])
    html = (tmp_path / "a" / "report.html").read_text()
    assert "calibration per source" in html and "model minus market per day" in html


def test_vs_market_cli_needs_exactly_one_price_source(tmp_path, capsys):
    from kalshi_edge.cli.main import main

    rc = main(["weather", "vs-market", "--forecasts", str(FORECASTS), "--actuals", str(ACTUALS),
               "--out", str(tmp_path)])
    assert rc == 2 and "exactly one of --candles" in capsys.readouterr().err


def test_projecting_a_model_far_below_the_ladder_leaves_no_negative_mass():
    """A model pmf whose mass all lies below the ladder (mean -39 °F, ladder 20..28 °F): the old
    ``1 - cdf`` tail rounded to -2.2e-16 in the empty top bracket (the property test above caught
    it now and then)."""
    from kalshi_edge.families.weather.market_pmf import project_to_support
    from kalshi_edge.families.weather.model import GRID, GRID_LO_F

    model = np.exp(-0.5 * ((GRID - -39.0) / 3.0) ** 2)
    model /= model.sum()
    out = project_to_support(GRID_LO_F, model, 20, 28)
    assert out.min() >= 0 and abs(out.sum() - 1) < 1e-12 and out[0] == pytest.approx(1.0)
