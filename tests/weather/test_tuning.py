"""Optuna tuning of the day-ahead model: past-only, reproducible, round-trips through JSON."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from kalshi_edge.cli.main import main
from kalshi_edge.families.weather.model import ModelConfig
from kalshi_edge.families.weather.tuning import WeatherParamsError, load_config, save_config, tune


@pytest.fixture(scope="module")
def kmia(fixtures_dir):
    from kalshi_edge.families.weather.evaluate import read_tmax_csv

    return read_tmax_csv(fixtures_dir / "tmax_KMIA.csv.gz")


def test_tune_uses_only_days_before_the_cutoff_and_is_reproducible(kmia):
    before = date(2024, 6, 1)
    cfg, info = tune(kmia, "KMIA", before, trials=2, val_days=14)
    assert info["validation"] == ["2024-05-18", "2024-05-31"]
    assert info["best_rps_ratio"] <= info["default_rps_ratio"]
    assert (cfg == ModelConfig()) == (info["chosen"] == "default")
    # a wild future (rows dated on or after the cutoff) changes nothing
    future = kmia.copy()
    late = pd.to_datetime(future["date"]) >= pd.Timestamp(before)
    future.loc[late, "tmax_f"] = future.loc[late, "tmax_f"] - 30
    cfg2, info2 = tune(future, "KMIA", before, trials=2, val_days=14)
    assert (cfg2, info2) == (cfg, info)


def test_config_round_trips_and_bad_files_are_named(tmp_path):
    cfg = ModelConfig(kernel_bandwidth=0.3, rolling_days=(3, 7))
    p = save_config(cfg, tmp_path / "p.json", {"chosen": "tuned"})
    assert load_config(p) == cfg
    (tmp_path / "bad.json").write_text(json.dumps({"config": {"kernel_bandwidth": -1}}))
    with pytest.raises(WeatherParamsError, match=r"bad.json: weather ModelConfig: kernel_bandwidth = -1"):
        load_config(tmp_path / "bad.json")
    (tmp_path / "junk.json").write_text("not json")
    with pytest.raises(WeatherParamsError, match="junk.json: not a weather params file"):
        load_config(tmp_path / "junk.json")
    with pytest.raises(WeatherParamsError, match="not found"):
        load_config(tmp_path / "missing.json")


def test_model_config_refuses_bad_values():
    with pytest.raises(ValueError, match="lgb_weight"):
        ModelConfig(lgb_weight=-0.5)
    with pytest.raises(ValueError, match="refit_days"):
        ModelConfig(refit_days=0)


def test_cli_tune_then_evaluate_with_params(tmp_path, fixtures_dir, capsys):
    tmax = str(fixtures_dir / "tmax_KMIA.csv.gz")
    params = tmp_path / "kmia.json"
    rc = main(["weather", "tune", "--tmax", tmax, "--station", "KMIA", "--before", "2024-12-01",
               "--trials", "1", "--val-days", "7", "--out", str(params)])
    assert rc == 0
    saved = json.loads(params.read_text())
    assert saved["tuning"]["validation"] == ["2024-11-24", "2024-11-30"]
    rc = main(["weather", "evaluate", "--tmax", tmax, "--station", "KMIA", "--from", "2024-12-25",
               "--out", str(tmp_path / "o.csv"), "--params", str(params)])
    assert rc == 0
    assert pd.read_csv(tmp_path / "o.csv")["date"].nunique() == 7
    (tmp_path / "bad.json").write_text(json.dumps({"config": {"bogus": 1}}))
    rc = main(["weather", "evaluate", "--tmax", tmax, "--station", "KMIA", "--from", "2024-12-25",
               "--out", str(tmp_path / "o.csv"), "--params", str(tmp_path / "bad.json")])
    assert rc == 2
    assert "unknown config key(s) ['bogus']" in capsys.readouterr().err
