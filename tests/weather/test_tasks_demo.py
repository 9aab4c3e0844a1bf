"""The DAG task functions and the offline demo, end to end on the shipped samples."""

from __future__ import annotations

import json
from datetime import date

import pytest

from kalshi_edge.config import get_settings
from kalshi_edge.families.weather import tasks


def test_day_ahead_is_idempotent_and_settlement_scores_it():
    s = get_settings()
    off = {"offline": True, "stations": ["KNYC"]}
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
    out = tasks.day_ahead(datetime(2026, 7, 7, 14, 0, tzinfo=UTC), {"offline": True, "stations": ["KMIA"]}, s)
    assert out["KMIA"]["date"] == "2026-07-08"
    out = tasks.day_ahead(datetime(2026, 7, 8, 6, 0, tzinfo=UTC), {"offline": True, "stations": ["KMIA"]}, s)
    assert out["KMIA"]["date"] == "2026-07-08"
