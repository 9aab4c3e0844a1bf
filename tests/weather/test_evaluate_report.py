"""`weather evaluate` (with and without --forecasts) writes a standalone HTML report whose numbers
are the command's own per-day CSV, beside climatology and the market on the same days."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kalshi_edge.cli.main import main
from kalshi_edge.config import PROJECT_ROOT

SAMPLE = Path(PROJECT_ROOT) / "data" / "sample" / "weather"
FORECASTS = SAMPLE / "forecasts_KNYC_2025-07-04_2025-12-20.csv"
ACTUALS = SAMPLE / "cli_actuals_KNYC_2025-07-02_2025-12-20.csv"
CANDLES = Path(PROJECT_ROOT) / "data" / "sample" / "kalshi" / "kxhighny_trade_candles_5m_2025-08-09_2025-08-12.csv"
NUM = r"([-+]?\d+\.\d+) \[([-+]?\d+\.\d+), ([-+]?\d+\.\d+)\]"


def _cells(page: str, first: str, after: str = "") -> list[str]:
    """Cells of the first table row starting with ``first`` (after the text ``after``)."""
    start = page.index(after) if after else 0
    m = re.search(rf"<tr><td>{re.escape(first)}</td>(.*?)</tr>", page[start:])
    assert m, f"no row {first!r}"
    return re.findall(r"<td>(.*?)</td>", m.group(1))


def _standalone(page: str) -> None:
    assert page.startswith("<!doctype html>") and "<style>" in page and "data:image/png;base64," in page
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page, re.I)  # no CDN, no external URL
    assert "<script" not in page and "<link" not in page


@pytest.fixture(scope="module")
def december(tmp_path_factory, fixtures_dir):
    d = tmp_path_factory.mktemp("wx_eval")
    out = d / "knyc.csv"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["weather", "evaluate", "--tmax", str(fixtures_dir / "tmax_KNYC.csv.gz"), "--station", "KNYC",
                   "--from", "2024-12-01", "--out", str(out),
                   "--settled", str(fixtures_dir / "highest_temp_settled_2021_2024.csv.gz")])
    assert rc == 0
    return buf.getvalue(), out, d


def test_report_without_forecasts_is_written_and_equals_the_per_day_csv(december):
    text, out, d = december
    report = d / "knyc_report.html"
    assert report.is_file() and "knyc_report.html" in text
    assert list(pd.read_csv(out).columns) == ["date", "station", "temp_f", "p"]  # the contract is unchanged
    page = report.read_text()
    _standalone(page)
    per_day = pd.read_csv(d / "knyc_per_day.csv")
    assert len(per_day) == 31
    model, clim = _cells(page, "model"), _cells(page, "climatology")
    assert model[0] == clim[0] == "31"  # n days, same days
    v, lo, hi = map(float, re.match(NUM, model[1]).groups())
    assert v == pytest.approx(per_day["model_rps"].mean(), abs=1e-4) and lo < v < hi
    assert float(clim[1].split()[0]) == pytest.approx(per_day["clim_rps"].mean(), abs=1e-4)
    assert f"{per_day['model_rps'].mean():.4f}" in text  # the printed figure is the report's
    dv, dlo, dhi = map(float, re.match(NUM, model[2]).groups())  # model − climatology, its own interval
    assert dv == pytest.approx((per_day["model_rps"] - per_day["clim_rps"]).mean(), abs=1e-4)
    assert ("contains 0" in model[2]) == (dlo <= 0 <= dhi)
    assert "Walk-forward setup" in page and "2024-12-01 .. 2024-12-31: 31 issued, 31 scored" in page
    assert "PIT" in page and "<td>DJF</td><td>31</td>" in page


def test_report_without_forecasts_scores_the_settled_market_on_the_same_days(december):
    _, _, d = december
    page = (d / "knyc_report.html").read_text()
    per_day = pd.read_csv(d / "knyc_per_day.csv")
    assert per_day["market_rps"].notna().sum() == 31  # every December 2024 day has a settled KXHIGHNY ladder
    after = "<h2>Days with market prices"
    mk = _cells(page, "market (settled last price)", after)
    assert mk[0] == "31"
    assert float(mk[1].split()[0]) == pytest.approx(per_day["market_rps"].mean(), abs=1e-4)
    model = _cells(page, "model", after)
    dv = float(model[2].split()[0])
    assert dv == pytest.approx((per_day["model_rps"] - per_day["market_rps"]).mean(), abs=1e-4)
    assert "not a same-instant comparison" in page  # the last trade's timing is said plainly


def test_report_says_there_are_no_market_prices_and_why(tmp_path, fixtures_dir):
    tmax = pd.read_csv(fixtures_dir / "tmax_KNYC.csv.gz")
    short = tmp_path / "tmax_to_may.csv"
    tmax[tmax["date"] <= "2024-05-14"].to_csv(short, index=False)
    out = tmp_path / "o.csv"
    rc = main(["weather", "evaluate", "--tmax", str(short), "--station", "KNYC", "--from", "2024-05-08",
               "--out", str(out)])  # default: the shipped settled sample, 2024-06-01 .. 2024-12-31
    assert rc == 0
    page = (tmp_path / "o_report.html").read_text()
    assert "No market prices for these rows." in page and "no day in common" in page
    assert "2024-06-01 .. 2024-12-31" in page
    assert "market_rps" not in pd.read_csv(tmp_path / "o_per_day.csv").columns


def test_forecast_report_has_the_market_on_the_same_days_and_intervals_of_the_differences(tmp_path):
    from kalshi_edge.families.weather.evaluate import (
        evaluate_with_forecasts,
        read_tmax_csv,
        write_forecast_report,
    )
    from kalshi_edge.families.weather.forecasts import read_actuals_csv, read_forecasts_csv, with_actuals
    from kalshi_edge.families.weather.model import daily_series
    from kalshi_edge.families.weather.vs_market import read_candles

    tm = read_tmax_csv(SAMPLE / "tmax_KNYC.csv.gz")
    hist = with_actuals(daily_series(tm[tm["station"] == "KNYC"]).dropna(), read_actuals_csv(ACTUALS, "KNYC"))
    res = evaluate_with_forecasts(hist, read_forecasts_csv(FORECASTS), "KNYC", date(2025, 8, 6),
                                  end=date(2025, 8, 12), quotes=read_candles(CANDLES))
    page = write_forecast_report(res, tmp_path / "r.html", quotes_given=True, history=hist).read_text()
    _standalone(page)
    pdd = res.per_day
    sub = pdd[pdd["market_rps"].notna()]
    assert len(pdd) == 7 and 1 <= len(sub) < 7
    after = "<h2>Days with market prices"
    assert f"{len(sub)} of the 7 days have a market price" in page
    cells = _cells(page, "market (same instant)", after)
    assert cells[0] == str(len(sub))
    fm = _cells(page, "forecast model (EMOS)", "RPS (°F) − market (same instant)")
    dv, dlo, dhi = map(float, re.match(NUM, fm[2]).groups())
    assert dv == pytest.approx((sub["forecast_rps"] - sub["market_rps"]).mean(), abs=1e-4)
    assert ("contains 0" in fm[2]) == (dlo <= 0 <= dhi)
    assert "a bootstrap interval from so few days is rough" in page  # n < 10 is said plainly
    # against today's model on all 7 days, with the interval of the difference
    t = _cells(page, "forecast model (EMOS)", "RPS (°F) − today")
    assert float(t[2].split()[0]) == pytest.approx((pdd["forecast_rps"] - pdd["today_rps"]).mean(), abs=1e-4)
    assert np.isfinite(pdd["forecast_pit"]).all() and "PIT" in page


def test_forecast_report_without_quotes_says_so(tmp_path):
    from kalshi_edge.families.weather.evaluate import (
        evaluate_with_forecasts,
        read_tmax_csv,
        write_forecast_report,
    )
    from kalshi_edge.families.weather.forecasts import read_actuals_csv, read_forecasts_csv, with_actuals
    from kalshi_edge.families.weather.model import daily_series

    tm = read_tmax_csv(SAMPLE / "tmax_KNYC.csv.gz")
    hist = with_actuals(daily_series(tm[tm["station"] == "KNYC"]).dropna(), read_actuals_csv(ACTUALS, "KNYC"))
    res = evaluate_with_forecasts(hist, read_forecasts_csv(FORECASTS), "KNYC", date(2025, 12, 14))
    page = write_forecast_report(res, tmp_path / "r.html", quotes_given=False, history=hist).read_text()
    assert "No market prices for these rows." in page and "No --candles or --book was given" in page
    assert "Walk-forward setup" in page and "EMOS train window" in page


def test_a_bad_settled_price_names_file_row_and_field(tmp_path, fixtures_dir, capsys):
    bad = tmp_path / "settled.csv"
    rows = pd.read_csv(fixtures_dir / "highest_temp_settled_2021_2024.csv.gz", dtype=str).head(5)
    rows.loc[2, "last_price_cents"] = "forty"
    rows.to_csv(bad, index=False)
    rc = main(["weather", "evaluate", "--tmax", str(fixtures_dir / "tmax_KNYC.csv.gz"), "--station", "KNYC",
               "--from", "2024-12-25", "--out", str(tmp_path / "o.csv"), "--settled", str(bad)])
    assert rc == 2
    err = capsys.readouterr()
    assert "settled.csv: row 3 field last_price_cents: 'forty'" in err.out + err.err
    assert not (tmp_path / "o_report.html").exists() and not (tmp_path / "o.csv").exists()
