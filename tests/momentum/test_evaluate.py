"""`kalshi-edge momentum evaluate` on three copied real days (two train/calibrate, one is predicted)."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kalshi_edge.cli.main import main
from kalshi_edge.families.weather.momentum.stream import events_from_top_of_book

pytestmark = pytest.mark.slow  # one walk-forward fit on three days (~5 s)

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "momentum"
DAYS = sorted(FIX.glob("market_data_KXHIGHNY-*.csv.gz"))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ev")
    assert main(["momentum", "evaluate", "--book", *map(str, DAYS), "--out", str(out)]) == 0
    return out


def test_scores_csv_contract(run):
    s = pd.read_csv(run / "scores.csv")
    assert list(s.columns) == ["horizon_s", "model", "log_loss", "brier", "ece", "baseline_log_loss",
                               "baseline_brier", "rows", "days", "ll_gain_ci_low", "ll_gain_ci_high"]
    assert set(s["horizon_s"]) == {30, 300} and set(s["model"]) == {"logit_platt", "gbm_isotonic"}
    assert (s["rows"] > 0).all() and (s["days"] == 1).all()


def test_predictions_follow_the_outcome_definition(run):
    with (run / "predictions.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["ts", "ticker", "horizon_s", "p_up", "outcome"]
    assert rows and all(r["ticker"].startswith("KXHIGHNY-25DEC07") for r in rows)  # only the test day
    assert datetime.fromisoformat(rows[0]["ts"]).utcoffset() is not None
    # recompute outcomes independently: mid of the last book at or before ts and ts + h
    ev = list(events_from_top_of_book([DAYS[2]]))
    per: dict[str, tuple[list[int], list[float]]] = {}
    for e in ev:
        per.setdefault(e.ticker, ([], []))[0].append(e.ts_ns)
        per[e.ticker][1].append((e.yes_bid_c + e.yes_ask_c) / 2)
    rng = np.random.default_rng(0)
    for r in (rows[i] for i in rng.choice(len(rows), 200, replace=False)):
        ts, mids = (np.asarray(x) for x in per[r["ticker"]])
        t = pd.Timestamp(r["ts"]).value
        h = int(r["horizon_s"]) * 10**9
        m0 = mids[np.searchsorted(ts, t, side="right") - 1]
        m1 = mids[np.searchsorted(ts, t + h, side="right") - 1]
        assert int(r["outcome"]) == int(m1 > m0)
        assert 0 < float(r["p_up"]) < 1


def test_report_has_calibration_and_importance_plots(run):
    html = (run / "report.html").read_text()
    assert html.count("<img") >= 6 and "calibration 30s" in html and "importance logit 300s" in html


def test_bad_book_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "market_data_X.csv"
    bad.write_text("timestamp,market_ticker,best_yes_bid,best_no_bid\n2025-12-04T12:00:00,KXHIGHNY-25DEC05-B30.5,abc,50\n")
    assert main(["momentum", "evaluate", "--book", str(bad), str(DAYS[0]), str(DAYS[1]), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "market_data_X.csv: row 1 field best_yes_bid" in err
    assert not (tmp_path / "o" / "scores.csv").exists()
