"""Model: no look-ahead, coherent ladders, strike grid, evaluation contract."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kalshi_edge.families.btc.evaluate import evaluate, strike_grid, write_rows
from kalshi_edge.families.btc.model import (
    NS_PER_H,
    BarArrays,
    ModelParams,
    baseline_gbm_ewma,
    load_model,
    online_forecast,
    save_model,
)

H = 60 * 60 * 1_000_000_000


def _forecast_times(bars: BarArrays, cutoff_ns: int) -> np.ndarray:
    start = bars.t[0] + 30 * NS_PER_H
    return np.arange(start - start % NS_PER_H, cutoff_ns + 1, NS_PER_H, dtype=np.int64)


def test_no_look_ahead_future_bars_perturbed(sample_bars):
    """Scrambling every bar after a cutoff must not change any forecast made at or before it."""
    bars = BarArrays.from_frame(sample_bars)
    cutoff = bars.t[len(bars.t) * 2 // 3]
    ft = _forecast_times(bars, cutoff)
    p = ModelParams(refit_days=2, min_train_days=1.0)  # several refits inside the sample
    base = online_forecast(bars, ft, H, p)
    rng = np.random.default_rng(7)
    future = bars.t > cutoff
    noisy = bars.logc.copy()
    noisy[future] += rng.normal(0, 0.05, future.sum())  # violent, fake future path
    noisy_range = bars.logrange.copy()
    noisy_range[future] *= rng.uniform(0, 20, future.sum())  # and fake future high/low ranges
    perturbed = online_forecast(BarArrays(t=bars.t, logc=noisy, dt=bars.dt, logrange=noisy_range), ft, H, p)
    truncated = online_forecast(
        BarArrays(t=bars.t[~future], logc=bars.logc[~future], dt=bars.dt, logrange=bars.logrange[~future]), ft, H, p
    )
    K = strike_grid(base.spot, 250, 13)
    for other in (perturbed, truncated):
        np.testing.assert_array_equal(other.spot, base.spot)
        np.testing.assert_allclose(other.sigma, base.sigma, rtol=1e-12)
        np.testing.assert_allclose(other.prob_above(K, p), base.prob_above(K, p), rtol=1e-12)
    # and the perturbation does change forecasts after the cutoff (the test can fail)
    later = np.array([cutoff + 30 * NS_PER_H - (cutoff % NS_PER_H)], dtype=np.int64)
    assert online_forecast(bars, later, H, p).spot[0] != perturbed_spot(bars, noisy, later, H, p)


def perturbed_spot(bars, noisy, ft, h, p):
    return online_forecast(BarArrays(t=bars.t, logc=noisy, dt=bars.dt, logrange=bars.logrange), ft, h, p).spot[0]


def test_baseline_no_look_ahead(sample_bars):
    bars = BarArrays.from_frame(sample_bars)
    cutoff = bars.t[2000]
    ft = _forecast_times(bars, cutoff)
    K = strike_grid(np.exp(bars.logc[np.searchsorted(bars.t, ft, side="right") - 1]), 250, 5)
    a = baseline_gbm_ewma(bars, ft, H, K)
    keep = bars.t <= cutoff
    b = baseline_gbm_ewma(BarArrays(bars.t[keep], bars.logc[keep], bars.dt), ft, H, K)
    np.testing.assert_allclose(a, b)


def test_strike_grid_centered_on_nearest_multiple():
    g = strike_grid(np.array([68130.0, 68000.0]), 250, 5)
    assert g[0].tolist() == [67750, 68000, 68250, 68500, 68750]  # 68130 -> nearest 68250
    assert g[1].tolist() == [67500, 67750, 68000, 68250, 68500]
    even = strike_grid(np.array([68130.0]), 250, 4)
    assert even[0].tolist() == [67750, 68000, 68250, 68500]


@settings(max_examples=60, deadline=None)
@given(
    spot=st.floats(1_000, 500_000),
    sigma=st.floats(1e-4, 0.2),
    strikes=st.lists(st.floats(100, 1_000_000), min_size=2, max_size=40),
)
def test_ladder_monotone_and_brackets_sum_to_one(spot, sigma, strikes):
    """P(above K) is non-increasing in K; brackets from differences + both tails sum to 1."""
    from kalshi_edge.families.btc.model import Forecasts, prior_state

    p = ModelParams()
    fc = Forecasts(np.array([0]), np.array([spot]), np.array([0]), np.array([sigma]), np.array([0]), [prior_state(p)])
    k = np.sort(np.asarray(strikes))
    above = fc.prob_above(k[None, :], p)[0]
    assert np.all(np.diff(above) <= 1e-15)
    brackets = -np.diff(above)
    total = (1 - above[0]) + brackets.sum() + above[-1]
    assert total == pytest.approx(1.0, abs=1e-12)
    assert np.all(brackets >= -1e-15)


def test_evaluate_contract_and_skill_on_sample(sample_bars, tmp_path):
    res = evaluate(sample_bars, horizon_minutes=60, strike_step=250, n_strikes=13)
    assert len(res.rows) % 13 == 0 and res.model["n"] == res.baseline["n"] == len(res.rows)
    out = tmp_path / "ev.csv"
    write_rows(res, str(out))
    df = pd.read_csv(out)
    assert list(df.columns) == ["forecast_ts", "settle_ts", "strike", "p_yes", "outcome"]
    ft = pd.to_datetime(df["forecast_ts"])
    stl = pd.to_datetime(df["settle_ts"])
    assert ((stl - ft) == pd.Timedelta(minutes=60)).all()
    assert (stl.dt.minute == 0).all()
    assert set(df["outcome"]) <= {0, 1}
    # outcome matches the last close at or before T
    closes = sample_bars.set_index("ts")["close"]
    row = df.iloc[100]
    settle = closes[closes.index <= pd.Timestamp(row["settle_ts"])].iloc[-1]
    assert row["outcome"] == int(settle > row["strike"])
    # sane probabilities: better than a constant 0.5 by far
    assert res.model["brier"] < 0.15 and res.model["ece"] < 0.05


def test_evaluate_from_flag_and_stale_guard(sample_bars):
    res = evaluate(sample_bars, start=pd.Timestamp("2026-03-01T00:00Z").to_pydatetime())
    assert pd.to_datetime(res.rows["settle_ts"]).min() == pd.Timestamp("2026-03-01T00:00Z")
    # remove a stretch of bars: forecasts whose spot is older than the guard are skipped, not made
    gap = sample_bars[(sample_bars["ts"] < "2026-03-02T10:00Z") | (sample_bars["ts"] >= "2026-03-02T14:00Z")]
    res2 = evaluate(gap, start=pd.Timestamp("2026-03-01T00:00Z").to_pydatetime(), max_spot_age_seconds=120)
    assert res2.skipped["stale_spot"] == 4  # forecasts at 10:00..13:00 would use the 09:55 bar
    # T=10:00 settles on the 09:55 close (within one interval): kept; T=11..13 were skipped as stale
    assert res2.skipped["no_settlement_bar"] == 0
    assert len(res2.rows) < len(res.rows)


def test_model_json_roundtrip(tmp_path, sample_bars):
    from kalshi_edge.families.btc.model import _prepare, fit_state

    bars = BarArrays.from_frame(sample_bars)
    p = ModelParams()
    st_ = fit_state(_prepare(bars), None, None, int(bars.t[0]), int(bars.t[-1]), H, p)
    assert st_.n_train > 1000 and st_.weights.sum() > 0
    path = save_model(tmp_path / "btc" / "m.json", st_, p, {"note": "t"})
    p2, st2, meta = load_model(path)
    assert p2 == p and meta["note"] == "t"
    np.testing.assert_allclose(st2.seasonal, st_.seasonal, atol=1e-6)
    np.testing.assert_allclose(st2.cdf, st_.cdf, atol=1e-4)
