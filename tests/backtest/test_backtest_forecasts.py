"""`backtest --strategy weather_day_ahead --forecasts`: the day-ahead PMF issued from forecasts as
at D-1 14:00 UTC drives the one decision loop; edge-after-fees figures; same output twice."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from kalshi_edge.config import PROJECT_ROOT

SAMPLE = Path(PROJECT_ROOT) / "data" / "sample"
BOOK = SAMPLE / "kalshi" / "top_of_book_KXHIGHNY-25DEC05_first4000.csv.gz"
FORECASTS = SAMPLE / "weather" / "forecasts_KNYC_2025-07-04_2025-12-20.csv"


def test_backtest_with_forecasts_is_deterministic_and_reports_edge_after_fees(tmp_path, capsys):
    from kalshi_edge.cli.main import main

    args = ["backtest", "--book", str(BOOK), "--strategy", "weather_day_ahead", "--forecasts", str(FORECASTS)]
    assert main(args + ["--out", str(tmp_path / "a")]) == 0
    text = capsys.readouterr().out
    assert "edge after fees" in text and "nws_point" in text
    assert main(args + ["--out", str(tmp_path / "b")]) == 0
    for name in ("trades.csv", "edge.json", "issued_pmf.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    issued = pd.read_csv(tmp_path / "a" / "issued_pmf.csv")
    assert set(issued["date"]) == {"2025-12-05"} and abs(issued["p"].sum() - 1) < 1e-9
    assert (pd.to_datetime(issued["issued_at"]) == pd.Timestamp("2025-12-04T14:00:00Z")).all()
    edge = json.loads((tmp_path / "a" / "edge.json").read_text())
    assert {"pnl_net", "fees", "daily_sharpe", "hit_rate", "max_drawdown", "turnover", "pnl_per_contract_ci",
            "verdict"} <= set(edge)
    assert "no edge can be claimed" in edge["verdict"]  # one traded day: no interval, said plainly


def test_issued_pmf_ignores_forecasts_issued_after_the_task_run():
    from kalshi_edge.families.weather.backtest_inputs import issued_day_ahead_frame
    from kalshi_edge.families.weather.forecasts import read_forecasts_csv

    fc = read_forecasts_csv(FORECASTS)
    tickers = ["KXHIGHNY-25DEC05-B40.5"]
    base = issued_day_ahead_frame(tickers, fc)
    late = fc[fc["target_date"] == pd.Timestamp("2025-12-05")].copy()
    late["issued_at"] = pd.Timestamp("2025-12-04T14:00:00Z")  # at the run itself: not usable (issued_at < t)
    late["forecast_high_f"] = 99.0
    moved = issued_day_ahead_frame(tickers, pd.concat([fc, late], ignore_index=True).sort_values("issued_at"))
    pd.testing.assert_frame_equal(base, moved)
