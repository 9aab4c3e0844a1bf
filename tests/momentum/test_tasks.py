"""The momentum refit job: artifact through the one store, idempotent, read by the strategy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kalshi_edge.config import Settings
from kalshi_edge.families.weather.momentum.tasks import retrain
from kalshi_edge.modeling.artifacts import ArtifactStore
from kalshi_edge.trading.strategy import get_strategy

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "momentum"
DAYS = [str(p) for p in sorted(FIX.glob("market_data_KXHIGHNY-*.csv.gz"))]


@pytest.mark.slow
def test_retrain_writes_one_versioned_artifact_and_reruns_identically(tmp_path):
    s = Settings(data_dir=tmp_path / "data", models_dir=tmp_path / "models")
    a = retrain("2025-12-08T12:00:00Z", {"books": DAYS}, s)
    art = ArtifactStore(tmp_path / "models").load("weather", "momentum")
    raw = (tmp_path / "models" / "weather" / "momentum.json").read_bytes()
    b = retrain("2025-12-08T12:00:00Z", {"books": DAYS}, s)
    assert a["version"] == b["version"] == art.version
    assert (tmp_path / "models" / "weather" / "momentum.json").read_bytes() == raw
    assert a["ladders"] == 3 and set(art.payload["horizons"]) == {"30", "300"}
    assert art.meta.baseline["n"] == art.meta.score["n"] > 0  # model and baseline on the same rows
    assert art.payload["hawkes"]["alpha"] < art.payload["hawkes"]["beta"]
    # nothing dated on or after the logical date's day was used
    assert art.meta.training_window[1] < "2025-12-08"
    # the strategy reads it (never fits) and stamps its probabilities with the version
    strat = get_strategy("weather_momentum", {"use_model": "always", "models_dir": str(tmp_path / "models")})
    assert strat.model_version == art.version
    # and prices its resting orders with the fitted maker-fill table, not the shared heuristic
    from kalshi_edge.families.weather.momentum.fills import MakerFillModel
    from tests.trading.conftest import snap

    fitted = MakerFillModel.from_json(art.payload["fill_model"])
    m = snap(bid="0.40", ask="0.42")
    assert strat._maker_fill(m) == (fitted.prob(2, 300, "yes_bid"), fitted.prob(2, 300, "yes_ask"))
    assert get_strategy("weather_momentum", {"use_model": "never"})._maker_fill(m) is None
    heur = get_strategy("weather_momentum", {"use_model": "always", "models_dir": str(tmp_path / "models"),
                                             "maker_fills": "heuristic"})
    assert heur.model_version == art.version and heur._maker_fill(m) is None
    with pytest.raises(ValueError, match="maker_fills"):
        get_strategy("weather_momentum", {"use_model": "never", "maker_fills": "always"})
    assert json.loads(raw)["features"][0] == "mid_c"
