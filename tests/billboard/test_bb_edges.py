"""Market matching, edge after fees, the weekly pipeline, settlement and the demo (offline).

KXTOPSONG markets come from the project's local simulator (real song titles, simulated prices);
charts are real (tests/fixtures/billboard/, data/sample/billboard/).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from kalshi_edge.families.billboard.edge import match_markets, match_score
from kalshi_edge.families.billboard.model import OTHER, ModelConfig, predict_for_week
from kalshi_edge.families.billboard.pipeline import (
    edge_rows,
    run_settlement,
    run_weekly_prediction,
    target_chart_date,
)
from kalshi_edge.kalshi.fees import order_fee
from kalshi_edge.kalshi.models import Market
from kalshi_edge.trading.intents import GateConfig

AT = datetime(2023, 12, 31, 17, 0, tzinfo=UTC)
FIX = Path(__file__).resolve().parents[1] / "fixtures" / "billboard"
CHARTS = FIX / "hot100_2021_2023.csv.gz"
SMALL = ModelConfig(num_trees=40)


@pytest.fixture(scope="module")
def pred_2024_01_06(charts_2021_2023):
    return predict_for_week(charts_2021_2023, date(2024, 1, 6), SMALL)


def _market(ticker, song, artist, yes_ask, no_ask):
    return Market(ticker=ticker, event_ticker="KXTOPSONG-24JAN06", yes_sub_title=song,
                  rules_primary=f"If {song} by {artist} is the #1 song on the Billboard Hot 100 ...",
                  yes_ask=Decimal(yes_ask), no_ask=Decimal(no_ask), yes_bid=Decimal(yes_ask) - Decimal("0.02"))


def test_target_chart_date_follows_the_kxtopsong_calendar():
    # Event open on Monday 2024-01-01 closes Sunday 2024-01-07 23:59 ET → chart dated Saturday 2024-01-13.
    assert target_chart_date(date(2024, 1, 1)) == date(2024, 1, 13)
    assert target_chart_date(date(2024, 1, 7)) == date(2024, 1, 13)  # Sunday itself
    assert target_chart_date(date(2024, 1, 8)) == date(2024, 1, 20)


def test_match_scores_and_low_confidence_never_traded(pred_2024_01_06):
    markets = [
        _market("KXTOPSONG-24JAN06-LOM", "Lovin On Me", "Jack Harlow", "0.40", "0.62"),     # exact
        _market("KXTOPSONG-24JAN06-LOV", "LOVIN' ON ME!", "Jack Harlow", "0.40", "0.62"),   # punctuation/case
        _market("KXTOPSONG-24JAN06-ZZZ", "A Song Nobody Charted", "Nobody", "0.05", "0.97"),  # synthetic non-contender
    ]
    m = match_markets(markets, pred_2024_01_06).set_index("ticker")
    assert m.loc["KXTOPSONG-24JAN06-LOM", "song"] == "Lovin On Me" and m.loc["KXTOPSONG-24JAN06-LOM", "trusted"]
    assert m.loc["KXTOPSONG-24JAN06-LOV", "song"] == "Lovin On Me" and m.loc["KXTOPSONG-24JAN06-LOV", "trusted"]
    assert not m.loc["KXTOPSONG-24JAN06-ZZZ", "trusted"]
    assert "low match confidence" in m.loc["KXTOPSONG-24JAN06-ZZZ", "reason"]
    edges = edge_rows(m.reset_index(), markets, chart_date=date(2024, 1, 6), at=AT,
                      gates=GateConfig(min_edge_dollars=Decimal("0")))
    zzz = edges.set_index("market_ticker").loc["KXTOPSONG-24JAN06-ZZZ"]
    assert zzz["side"] == "none" and not zzz["tradable"] and zzz["reason"] == "low_match_confidence"
    assert match_score("Lovin On Me", "", "Lovin On Me", "Jack Harlow") == 100.0


def test_edge_uses_the_fee_function_exactly(pred_2024_01_06):
    mk = [_market("KXTOPSONG-24JAN06-LOM", "Lovin On Me", "Jack Harlow", "0.30", "0.72")]
    m = match_markets(mk, pred_2024_01_06)
    e = edge_rows(m, mk, chart_date=date(2024, 1, 6), at=AT,
                  gates=GateConfig(min_edge_dollars=Decimal("0.02"), max_count=Decimal("10"), allow_maker=False,
                                   max_spread=Decimal("0.5"))).iloc[0]
    p = Decimal(f"{m.iloc[0]['p_model']:.6f}")
    fee_yes = order_fee(price=Decimal("0.30"), count=Decimal("10")) / 10
    fee_no = order_fee(price=Decimal("0.72"), count=Decimal("10")) / 10
    assert e["edge_yes"] == p - Decimal("0.30") - fee_yes
    assert e["edge_no"] == (1 - p) - Decimal("0.72") - fee_no
    assert isinstance(e["edge_yes"], Decimal)
    best = max((e["edge_yes"], "yes"), (e["edge_no"], "no"))
    assert e["side"] == (best[1] if best[0] >= Decimal("0.02") else "none")


def test_a_prediction_is_never_priced_against_another_chart_date(pred_2024_01_06):
    # The 2024-01-06 prediction against the built-in simulator's KXTOPSONG-26JUL18 (the demo bug).
    mk = [replace(_market("KXTOPSONG-26JUL18-LOV", "Lovin On Me", "Jack Harlow", "0.30", "0.72"),
                  event_ticker="KXTOPSONG-26JUL18")]
    e = edge_rows(match_markets(mk, pred_2024_01_06), mk, chart_date=date(2024, 1, 6), at=AT,
                  gates=GateConfig()).iloc[0]
    assert e["reason"] == "event_date_mismatch" and not e["tradable"] and e["edge_yes"] is None


def test_weekly_prediction_against_the_simulator(settings, lake):
    from kalshi_edge.demos.scenarios import billboard_week_scenario
    from kalshi_edge.exchange.simulator import run_simulator_in_thread
    from kalshi_edge.exchange.state import ManualClock

    sc = billboard_week_scenario(date(2024, 1, 6))
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start)) as sim:
        res = run_weekly_prediction(settings, as_of=date(2023, 12, 31), charts_csv=CHARTS,
                                    kalshi_base_url=sim.base_url, lake=lake, cfg=SMALL)
    assert res["chart_date"] == "2024-01-06"
    assert res["markets"] == 8  # the simulator's KXTOPSONG event lists 8 contenders
    edges = res["_edges"]
    # every simulator market is a real top-8 song of 2023-12-30, so every one matches a contender
    assert edges["match_score"].min() >= 90
    stored = lake.read("billboard_predictions")
    assert stored["p_number_one"].sum() == pytest.approx(1.0)
    assert (stored["song"] == OTHER).sum() == 1
    assert len(lake.read("billboard_edges")) == 8
    html = Path(res["report"]).read_text()
    assert "Lovin On Me" in html and "data:image/png;base64," in html
    # the week's fitted booster and its metadata are stored under models/
    import lightgbm as lgb

    booster = lgb.Booster(model_file=res["model_artifact"])
    assert booster.num_trees() == SMALL.num_trees
    assert Path(res["model_artifact"]).with_suffix(".json").exists()
    # the prediction and its market match are the strategy's artifact
    from kalshi_edge.families.billboard.train import load_weekly_prediction

    art = load_weekly_prediction(settings)
    assert art.version == res["prediction_version"] and art.payload["chart_date"] == "2024-01-06"
    assert len(art.payload["matches"]) == 8 and all(m["trusted"] for m in art.payload["matches"])


def test_weekly_prediction_without_prices_says_so(settings, lake):
    res = run_weekly_prediction(settings, as_of=date(2023, 12, 31), charts_csv=CHARTS,
                                kalshi_base_url="http://127.0.0.1:9/trade-api/v2", lake=lake, cfg=SMALL)
    assert res["markets"] == 0 and res["_edges"] is None
    assert any("without market prices" in n for n in res["notes"])
    assert len(lake.read("billboard_predictions")) == res["contenders"] + 1


def test_settlement_reconciles_a_revealed_chart(settings, lake):
    from kalshi_edge.families.billboard.ingest import import_charts_csv

    cut = pd.read_csv(CHARTS, dtype=str, keep_default_na=False)
    run_weekly_prediction(settings, as_of=date(2023, 12, 24), charts_csv=CHARTS, lake=lake, cfg=SMALL,
                          kalshi_base_url="http://127.0.0.1:9/trade-api/v2")
    import_charts_csv(lake, CHARTS)
    out = run_settlement(settings, chart_date=date(2023, 12, 30), lake=lake)
    real = cut[(cut["chart_date"] == "2023-12-30") & (cut["this_week"] == "1")]["song"].iloc[0]
    assert out["winner"] == real and out["predicted"] is True
    assert 0 < out["p_winner"] <= 1


@pytest.mark.slow
def test_demo_runs_offline(settings):
    from kalshi_edge.families.billboard.demo import run_demo

    out = run_demo(settings)
    assert out["title"] and out["summary"] and "<table" in out["html"]
    assert out["p_sum"] == pytest.approx(1.0)
    assert out["contenders"] == 20


def test_retrain_writes_metadata_with_metrics_and_calibration(settings):
    import json

    from kalshi_edge.families.billboard.pipeline import run_retrain

    out = run_retrain(settings, as_of=date(2023, 12, 31), charts_csv=CHARTS, eval_weeks=6, cfg=SMALL)
    meta = json.loads(Path(out["metadata"]).read_text())
    assert meta["eval_weeks"] == 6 and meta["eval_from"] == "2023-11-25"
    assert set(meta["model_metrics"]) == {"brier", "log_loss", "auc", "f1", "top1_accuracy", "ece"}
    assert sum(b["count"] for b in meta["calibration"]) == 6 * 21
    assert (Path(settings.models_dir) / "billboard" / "latest.json").exists()
