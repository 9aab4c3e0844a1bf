"""Walk-forward model: week sums, no look-ahead, predict == backtest, metrics, CLI contract."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kalshi_edge.families.billboard.model import (
    OTHER,
    BillboardModelError,
    ModelConfig,
    predict_for_week,
    run_backtest,
)
from kalshi_edge.modeling import metrics as M

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "billboard"
CHARTS = FIX / "hot100_2021_2023.csv.gz"
SMALL = ModelConfig(num_trees=40)  # fewer trees keep the tests fast; same code path


@pytest.fixture(scope="module")
def backtest(charts_2021_2023):
    return run_backtest(charts_2021_2023, date(2023, 10, 1), date(2023, 11, 25), SMALL)


def test_each_week_sums_to_one_with_one_other_row(backtest):
    pred = backtest.predictions
    assert pred["chart_date"].nunique() == 8  # 2023-10-07 .. 2023-11-25
    for col in ("p_number_one", "p_baseline"):
        sums = pred.groupby("chart_date")[col].sum()
        np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-9)
        assert (pred[col] > 0).all()
    others = pred[pred["song"] == OTHER].groupby("chart_date").size()
    assert (others == 1).all()
    # labels: exactly one #1 per week, on a contender or on __OTHER__
    assert (pred.groupby("chart_date")["label"].sum() == 1).all()


def test_labels_are_the_real_number_ones(backtest, charts_2021_2023):
    pred = backtest.predictions
    winners = pred[pred["label"] == 1].set_index("chart_date")["song"]
    real = charts_2021_2023[charts_2021_2023["this_week"] == 1].set_index("chart_date")["song"]
    for d, song in winners.items():
        assert song == OTHER or song == real[d]


def test_predict_equals_backtest_rows(backtest, charts_2021_2023, tmp_path, cli):
    week = "2023-11-04"
    one = predict_for_week(charts_2021_2023, date.fromisoformat(week), SMALL)
    bt = backtest.predictions[backtest.predictions["chart_date"] == week].reset_index(drop=True)
    assert one["label"].isna().all()  # predict cannot know the outcome; everything else is identical
    pd.testing.assert_frame_equal(one.drop(columns="label").reset_index(drop=True), bt.drop(columns="label"))

    # through the CLI (default config) too: predict's file equals the backtest file's rows for that week
    out_bt, out_pr = tmp_path / "bt.csv", tmp_path / "pr.csv"
    assert cli(["billboard", "backtest", "--charts", str(CHARTS), "--from", "2023-10-28", "--to", "2023-11-11",
                 "--out", str(out_bt)]) == 0
    assert cli(["billboard", "predict", "--charts", str(CHARTS), "--week", week, "--out", str(out_pr)]) == 0
    a = pd.read_csv(out_bt, dtype=str)
    b = pd.read_csv(out_pr, dtype=str)
    assert list(a.columns) == ["chart_date", "song", "artist", "p_number_one"]
    pd.testing.assert_frame_equal(a[a["chart_date"] == week].reset_index(drop=True), b)
    assert a["chart_date"].nunique() == 3


def test_no_lookahead_future_charts_do_not_change_a_week(charts_2021_2023):
    # Appending later charts (or corrupting them) must not change an earlier week's prediction.
    week = date(2023, 9, 2)
    full = predict_for_week(charts_2021_2023, week, SMALL)
    cut = charts_2021_2023[charts_2021_2023["chart_date"] < "2023-08-01"]
    # a history ending a month earlier gives a different week (sanity: the comparison can fail)
    assert not predict_for_week(cut, date(2023, 8, 5), SMALL)["song"].equals(full["song"])
    scrambled = charts_2021_2023.copy()
    later = scrambled["chart_date"] >= "2023-09-02"
    scrambled.loc[later, "this_week"] = scrambled.loc[later, "this_week"].to_numpy()[::-1]
    res = run_backtest(scrambled, week, week, SMALL).predictions
    cols = ["song", "p_number_one", "p_baseline"]
    pd.testing.assert_frame_equal(res[cols].reset_index(drop=True), full[cols].reset_index(drop=True))


def test_future_week_after_last_chart_has_unknown_labels(charts_2021_2023):
    pred = predict_for_week(charts_2021_2023, date(2024, 1, 6), SMALL)
    assert pred["label"].isna().all()
    assert pred["p_number_one"].sum() == pytest.approx(1.0)
    with pytest.raises(BillboardModelError, match="stale"):
        predict_for_week(charts_2021_2023, date(2024, 3, 2), SMALL)


def test_rolling_window_option_runs_and_differs(charts_2021_2023):
    week = date(2023, 11, 4)
    roll = predict_for_week(charts_2021_2023, week, ModelConfig(num_trees=40, window="rolling", train_days=42))
    exp = predict_for_week(charts_2021_2023, week, SMALL)
    assert roll["p_number_one"].sum() == pytest.approx(1.0)
    assert not np.allclose(roll["p_baseline"].to_numpy(), exp["p_baseline"].to_numpy())


def test_metrics_known_values():
    y = np.array([1, 0, 0, 0, 1, 0])
    p = np.array([0.7, 0.2, 0.1, 0.3, 0.4, 0.35])
    wk = np.array([1, 1, 1, 2, 2, 2])
    assert M.brier(p, y) == pytest.approx(np.mean((p - y) ** 2))
    assert M.auc(p, y) == pytest.approx(1.0)
    assert M.auc(np.array([0.2, 0.8]), np.array([1, 0])) == pytest.approx(0.0)
    assert M.top1_accuracy(p, y, wk) == pytest.approx(1.0)
    assert M.top1_accuracy(np.array([0.1, 0.7, 0.1, 0.5, 0.4, 0.1]), y, wk) == pytest.approx(0.0)
    assert M.f1(p, y) == pytest.approx(2 / 3)  # one TP (0.7), one FN (0.4)
    assert M.log_loss(np.array([0.5]), np.array([1])) == pytest.approx(np.log(2))


def test_cli_bad_input_is_one_line_error(tmp_path, cli):
    bad = tmp_path / "bad.csv"
    bad.write_text("chart_date,this_week,song,artist,last_week,peak_position,weeks_on_chart\n"
                   "2023-01-07,one,Song,Artist,,1,1\n")
    assert cli(["billboard", "predict", "--charts", str(bad), "--week", "2023-01-14", "--out",
                 str(tmp_path / "o.csv")]) == 2
    assert cli(["billboard", "backtest", "--charts", str(CHARTS), "--from", "2023-13-01", "--out",
                 str(tmp_path / "o.csv")]) == 2


def test_tune_uses_only_weeks_before_cutoff_and_params_roundtrip(charts_2021_2023, tmp_path, cli):
    from kalshi_edge.families.billboard.tuning import load_config, save_config, tune

    before = date(2023, 7, 1)
    cfg, info = tune(charts_2021_2023, before, trials=3, val_weeks=26, base=SMALL)
    assert info["val_weeks"] == 26 and info["best_log_loss"] <= info["default_log_loss"]
    # charts dated on/after the cutoff cannot matter: scrambling them gives the same result
    later = charts_2021_2023["chart_date"] >= before.isoformat()
    scrambled = charts_2021_2023.copy()
    scrambled.loc[later, "this_week"] = scrambled.loc[later, "this_week"].to_numpy()[::-1]
    cfg2, info2 = tune(scrambled, before, trials=3, val_weeks=26, base=SMALL)
    assert cfg2 == cfg and info2 == info
    path = tmp_path / "params.json"
    save_config(cfg, path, info)
    assert load_config(path) == cfg
    out = tmp_path / "p.csv"
    assert cli(["billboard", "predict", "--charts", str(CHARTS), "--week", "2023-09-02", "--params", str(path),
                "--out", str(out)]) == 0
    assert cli(["billboard", "predict", "--charts", str(CHARTS), "--week", "2023-09-02", "--params",
                str(tmp_path / "none.json"), "--out", str(out)]) == 2


@pytest.mark.slow
def test_parallel_backtest_equals_serial(charts_2021_2023, backtest):
    par = run_backtest(charts_2021_2023, date(2023, 10, 1), date(2023, 11, 25), SMALL, n_jobs=2)
    pd.testing.assert_frame_equal(par.predictions, backtest.predictions)
