"""The DAG task functions and the offline demo, end to end on the shipped samples."""

from __future__ import annotations

import json
from datetime import date

import pytest

from kalshi_edge.config import get_settings
from kalshi_edge.families.weather import tasks


def test_day_ahead_is_idempotent_and_settlement_scores_it():
    s = get_settings()
    off = {"offline": True, "stations": ["KNYC"], "stale_inputs": "warn"}  # the sample ends 2024-12-31
    a = tasks.day_ahead(date(2026, 7, 8), off, s)
    b = tasks.day_ahead(date(2026, 7, 8), off, s)  # rerun of the same logical date
    assert a == b
    from kalshi_edge.families.weather.datasets import WEATHER_FORECASTS
    from kalshi_edge.lake import Lake

    rows = Lake.from_settings(s).read(WEATHER_FORECASTS)
    assert len(rows) == a["KNYC"]["rows"] and abs(rows["p"].sum() - 1) < 1e-9
    rec = tasks.settlement(date(2026, 7, 8), off, s)["KNYC"]
    assert rec["cli_max_f"] == 85 and rec["cli_final"] and "rps" in rec["scores"]


def test_obs_ingest_is_skipped_offline():
    assert "skipped" in tasks.obs_ingest(date(2026, 7, 8), {"offline": True}, get_settings())


def test_retrain_writes_artifact():
    s = get_settings()
    out = tasks.retrain(date(2025, 1, 1), {"offline": True, "stations": ["KMIA"], "eval_days": 30}, s)
    art = json.loads((s.models_dir / "weather" / "KMIA_latest.json").read_text())
    assert art["days_scored"] == 30 == out["KMIA"]["days_scored"]
    assert art["window"] == ["2024-12-02", "2024-12-31"]
    model = json.loads((s.models_dir / "weather" / art["model_file"]).read_text())
    assert model["fit_cutoff"] == "2025-01-01" and model["lgb_cutoff"] == "2025-01-01"
    import lightgbm as lgb

    booster = lgb.Booster(model_str=model["lgb_model"])  # the stored correction loads back
    assert booster.num_trees() == model["config"]["lgb_rounds"]


def test_retrain_tunes_and_day_ahead_uses_the_chosen_config(monkeypatch):
    from kalshi_edge.families.weather import tuning
    from kalshi_edge.families.weather.model import ModelConfig

    s = get_settings()
    picked = ModelConfig(lgb_weight=0.0, kernel_bandwidth=0.4)

    def fake_tune(tmax, station, before, **kw):  # the search itself is tested in test_tuning.py
        assert tmax["date"].max() < __import__("pandas").Timestamp(before)  # nothing from the future
        return picked, {"chosen": "tuned", "before": str(before)}

    monkeypatch.setattr(tuning, "tune", fake_tune)
    out = tasks.retrain(date(2025, 1, 1), {"offline": True, "stations": ["KMIA"], "eval_days": 7,
                                           "tune_trials": 3}, s)
    assert out["KMIA"]["chosen"] == "tuned"
    assert tasks.model_config(s, "KMIA") == picked
    model = json.loads((s.models_dir / "weather" / "KMIA_2025-01-01.model.json").read_text())
    assert model["lgb_model"] is None  # the chosen config has no LightGBM correction
    a = tasks.day_ahead(date(2025, 1, 2), {"offline": True, "stations": ["KMIA"]}, s)
    (s.models_dir / "weather" / "KMIA_params.json").unlink()
    b = tasks.day_ahead(date(2025, 1, 2), {"offline": True, "stations": ["KMIA"]}, s)
    assert a["KMIA"]["mean_f"] != b["KMIA"]["mean_f"]  # the params file changed the forecast


@pytest.mark.slow
def test_run_demo_offline():
    from kalshi_edge.families.weather.demo import run_demo

    r = run_demo(get_settings())
    assert r["title"] and "<table>" in r["html"] and "data:image/png;base64" in r["html"]
    steps = {row["step"]: row for row in r["summary"]}
    assert steps["simulator KXHIGHNY-26JUL12"]["value"] > 0
    assert steps["KNYC day-ahead RPS 2024 (model / climatology)"]["value"] < 0.85


def test_afternoon_run_issues_for_the_next_climate_day():
    from datetime import UTC, datetime

    s = get_settings()
    off = {"offline": True, "stations": ["KMIA"], "stale_inputs": "warn"}
    out = tasks.day_ahead(datetime(2026, 7, 7, 14, 0, tzinfo=UTC), off, s)
    assert out["KMIA"]["date"] == "2026-07-08"
    out = tasks.day_ahead(datetime(2026, 7, 8, 6, 0, tzinfo=UTC), off, s)
    assert out["KMIA"]["date"] == "2026-07-08"
