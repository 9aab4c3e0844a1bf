"""The forecast-driven day-ahead model: EMOS fit, walk-forward without look-ahead, the fallback,
the strategy-facing `day_ahead_pmf`, and `weather evaluate --forecasts`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kalshi_edge.config import PROJECT_ROOT

SAMPLE = Path(PROJECT_ROOT) / "data" / "sample" / "weather"
FORECASTS = SAMPLE / "forecasts_KNYC_2025-07-04_2025-12-20.csv"
ACTUALS = SAMPLE / "cli_actuals_KNYC_2025-07-02_2025-12-20.csv"


def test_emos_recovers_bias_and_a_spread_growing_with_lead():
    from kalshi_edge.families.weather.forecast_model import EmosConfig, fit_emos

    rng = np.random.default_rng(3)  # synthetic pairs: the real data has no known truth to recover
    lead = rng.uniform(0, 3, 4000)
    f = rng.uniform(30, 90, 4000)
    y = f - 1.0 + rng.normal(0, 1.5 + 1.0 * lead)
    p = fit_emos(f, y, lead, EmosConfig())
    assert p.a + p.b * 60 == pytest.approx(59.0, abs=0.2)
    assert p.sigma(0.0, 0.1) < p.sigma(2.0, 0.1)
    assert 1.2 < p.sigma(0.0, 0.1) < 2.2 and 2.8 < p.sigma(2.0, 0.1) < 4.5


def test_forecast_model_ignores_outcomes_inside_the_block_and_later_forecasts():
    from kalshi_edge.families.weather.forecast_model import forecast_model
    from kalshi_edge.families.weather.forecasts import read_actuals_csv, read_forecasts_csv

    fc = read_forecasts_csv(FORECASTS)
    act = read_actuals_csv(ACTUALS, "KNYC")
    days = pd.date_range("2025-11-03", "2025-11-09")
    targets = pd.DataFrame({"date": days, "decision_ts": [(d - pd.Timedelta(hours=13)).tz_localize("America/New_York")
                                                          for d in days]})  # 11:00 the day before
    base = forecast_model(targets, fc, act, fallback=lambda r: pytest.fail("every day has a forecast"))
    assert set(base.used) <= {"nws_point", "accuweather"}
    act2 = act.copy()
    act2[(act2.index >= "2025-11-02")] += 15  # outcomes of the block and the day before it
    late = fc.copy()
    late["issued_at"] = late["issued_at"] + pd.Timedelta(days=400)  # the same forecasts, issued too late
    moved = forecast_model(targets, pd.concat([fc, late], ignore_index=True), act2,
                           fallback=lambda r: pytest.fail("unused"))
    np.testing.assert_array_equal(base.pmf, moved.pmf)
    act3 = act.copy()
    act3[(act3.index >= "2025-10-01") & (act3.index <= "2025-11-01")] += 15  # the training window moves it
    assert not np.allclose(base.mean_f, forecast_model(targets, fc, act3).mean_f)


def test_day_ahead_pmf_uses_the_forecast_only_when_issued_before_as_of():
    from kalshi_edge.families.weather.model import GRID
    from kalshi_edge.families.weather.tasks import day_ahead_pmf

    pmf, info = day_ahead_pmf("KNYC", "2025-12-10", "2025-12-09T16:00:00Z", offline=True)
    assert info["used"] in ("nws_point", "accuweather") and abs(pmf.sum() - 1) < 1e-9
    assert info["mean_f"] == pytest.approx(float(pmf @ GRID))
    # before any forecast of Dec 10 existed (the first is logged just after local midnight on Dec 9)
    _, early = day_ahead_pmf("KNYC", "2025-12-10", "2025-12-08T12:00:00Z", offline=True)
    assert early["used"] in ("history_model", "accuweather")


@pytest.mark.slow
def test_evaluate_with_forecasts_cli_scores_forecast_vs_today_vs_climatology(tmp_path, capsys):
    from kalshi_edge.cli.main import main

    out = tmp_path / "rows.csv"
    rc = main(["weather", "evaluate", "--tmax", str(SAMPLE / "tmax_KNYC.csv.gz"), "--station", "KNYC",
               "--from", "2025-12-14", "--out", str(out), "--forecasts", str(FORECASTS), "--actuals", str(ACTUALS)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "forecast model" in text and "today's model" in text and "climatology" in text
    per_day = pd.read_csv(tmp_path / "rows_per_day.csv")
    assert len(per_day) == 7 and {"forecast_rps", "today_rps", "clim_rps"} <= set(per_day.columns)
    assert (tmp_path / "rows_report.html").read_text().count("today&#x27;s model") >= 1
