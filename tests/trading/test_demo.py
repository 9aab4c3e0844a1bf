import pytest

from kalshi_edge.config import load_settings


@pytest.mark.slow
def test_demo_places_orders_in_every_family_and_reports(tmp_path):
    from kalshi_edge.demos.trading import run_demo

    out = run_demo(load_settings(data_dir=tmp_path, models_dir=tmp_path / "models"))
    rows = {r["family"]: r for r in out["summary"]}
    for fam in ("btc", "weather", "billboard"):
        assert rows[fam]["model_orders"] > 0, fam  # every family trades from its own model
    for strategy in ("btc_vol_ladder", "weather_day_ahead", "billboard_weekly"):
        assert strategy in out["html"]
    assert "Model P vs market P" in out["html"] and "Risk decisions" in out["html"]
    assert "backtest:weather" in rows
    assert "ledger positions equal the exchange's: True" in out["html"]
    assert "data:image/png;base64," in out["html"]
    assert (tmp_path / "ledger" / "demo_orders.jsonl").exists()
