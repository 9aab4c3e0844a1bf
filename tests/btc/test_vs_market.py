"""`btc vs-market` on recorded 15-minute crypto snapshots: model, market and baseline on the same
rows, deterministic, and no decision uses a spot observed after it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

SNAPS = Path(__file__).resolve().parents[1] / "fixtures" / "btc_crypto15m" / "KXSOL15M_raw_snapshots_first2500.jsonl"


def test_btc_vs_market_scores_model_market_baseline_on_the_same_rows_deterministically(tmp_path):
    from kalshi_edge.cli.main import main

    assert main(["btc", "vs-market", "--snapshots", str(SNAPS), "--out", str(tmp_path / "a")]) == 0
    assert main(["btc", "vs-market", "--snapshots", str(SNAPS), "--out", str(tmp_path / "b")]) == 0
    for name in ("rows.csv", "scores.csv", "report.html"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    rows = pd.read_csv(tmp_path / "a" / "rows.csv")
    assert len(rows) > 0 and rows[["p_market", "p_model", "p_baseline"]].notna().all().all()
    scores = pd.read_csv(tmp_path / "a" / "scores.csv")
    allrow = scores[scores["bucket"] == "all"]
    assert set(allrow["source"]) == {"market", "model", "baseline"} and allrow["n_rows"].nunique() == 1


def test_model_probability_ignores_spot_after_the_decision():
    from kalshi_edge.families.btc.vs_market import read_snapshots, run_btc_vs_market

    snaps = read_snapshots(SNAPS)
    base = run_btc_vs_market(snaps, bootstrap=0).rows
    r = base.iloc[0]
    t = pd.Timestamp(r["decision_ts"])
    later = snaps["ts"] > t + pd.Timedelta(minutes=1)  # the first minute bar after t ends by t + 60 s
    moved = snaps.copy()
    moved.loc[later & (moved["ts"] < pd.Timestamp(t) + pd.Timedelta(minutes=3)), "spot"] *= 1.01
    again = run_btc_vs_market(moved, bootstrap=0).rows
    same = again[(again["ticker"] == r["ticker"]) & (again["tte_min"] == r["tte_min"])].iloc[0]
    assert same["p_model"] == r["p_model"] and same["p_baseline"] == r["p_baseline"]
