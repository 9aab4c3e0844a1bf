import pytest

from kalshi_edge.config import load_settings


@pytest.mark.slow
def test_demo_places_orders_in_every_family_and_reports(tmp_path):
    from kalshi_edge.trading.demo import run_demo

    out = run_demo(load_settings(data_dir=tmp_path))
    rows = {r["family"]: r for r in out["summary"]}
    for fam in ("btc", "weather", "billboard"):
        assert rows[fam]["orders"] > 0, fam
    assert "backtest:weather" in rows
    assert "ledger positions equal the exchange's: True" in out["html"]
    assert "data:image/png;base64," in out["html"]
    assert (tmp_path / "ledger" / "demo_orders.jsonl").exists()
