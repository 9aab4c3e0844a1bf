import pytest

from kalshi_edge.config import load_settings


@pytest.mark.slow
def test_demo_places_orders_in_every_family_and_reports(tmp_path, monkeypatch, capsys):
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

    # Issue 16: `kalshi-edge readiness` on the demo's lake gives every criterion of every series a
    # value, a threshold and a verdict (the demo is paper: nothing there is ready for live yet).
    import json

    from kalshi_edge.cli.main import main
    from kalshi_edge.config import get_settings

    monkeypatch.setenv("KALSHI_EDGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KALSHI_EDGE_MODELS_DIR", str(tmp_path / "models"))
    get_settings.cache_clear()
    try:
        capsys.readouterr()
        assert main(["readiness", "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert main(["readiness"]) == 0
        table = capsys.readouterr().out
    finally:
        get_settings.cache_clear()
    assert set(data["families"]) == {"btc", "weather", "billboard"}
    crits = {"clean_data_days", "backtest_sharpe", "paper_win_rate", "max_drawdown", "daily_loss_cap",
             "sensor_uptime", "alerts_configured"}
    by_series: dict = {}
    for c in data["criteria"]:
        assert {"value", "threshold", "passed", "detail"} <= set(c), c
        assert isinstance(c["passed"], bool)
        by_series.setdefault((c["family"], c["series"]), set()).add(c["criterion"])
    assert by_series and all(v == crits for v in by_series.values()), by_series
    for fam in ("btc", "weather", "billboard"):
        assert f"{fam}: NOT READY" in table
