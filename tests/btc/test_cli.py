"""CLI contract of `kalshi-edge btc ...` through a typer app holding only the btc group."""

from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from kalshi_edge.cli import btc_cmd

SAMPLE = Path(__file__).resolve().parents[2] / "data/sample/btc/btcusd_5m_2026-02-21_2026-03-06.csv.gz"


@pytest.fixture()
def app():
    a = typer.Typer()
    btc_cmd.register(a)

    @a.command("noop")
    def noop() -> None:  # a second command keeps typer from collapsing the group
        pass

    return a


def test_evaluate_command_writes_contract_csv(app, tmp_path):
    out = tmp_path / "ev.csv"
    r = CliRunner().invoke(app, ["btc", "evaluate", "--bars", str(SAMPLE), "--horizon-minutes", "60",
                                 "--strike-step", "250", "--strikes", "13", "--from", "2026-03-01T00:00Z",
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert list(df.columns) == ["forecast_ts", "settle_ts", "strike", "p_yes", "outcome"]
    assert len(df) == 13 * 24 * 6  # Mar 1 00:00 .. Mar 6 23:00 settlements
    assert "Brier" in r.output and "baseline" in r.output


def test_evaluate_missing_file_is_user_error(app, tmp_path):
    r = CliRunner().invoke(app, ["btc", "evaluate", "--bars", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o.csv")])
    assert r.exit_code != 0


def test_import_command(app, tmp_path, monkeypatch):
    monkeypatch.setenv("KALSHI_EDGE_DATA_DIR", str(tmp_path / "data"))
    from kalshi_edge.config import get_settings

    get_settings.cache_clear()
    try:
        r = CliRunner().invoke(app, ["btc", "import", "--bars", str(SAMPLE)])
        assert r.exit_code == 0, r.output
        assert "4032" in r.output and "no gaps" in r.output
        assert any((tmp_path / "data").rglob("part-0.parquet"))
    finally:
        get_settings.cache_clear()


def test_edge_and_train_commands(app, tmp_path):
    # settings point at a temp data/models dir (tests/conftest.py autouse fixture)
    r = CliRunner().invoke(app, ["btc", "edge", "--as-of", "2026-03-05T14:05Z"])
    assert r.exit_code == 0, r.output
    assert "41 markets" in r.output
    r = CliRunner().invoke(app, ["btc", "train", "--bars", str(SAMPLE), "--train-days", "5", "--test-days", "3",
                                 "--trials", "1"])
    assert r.exit_code == 0, r.output
    from kalshi_edge.config import get_settings

    assert (get_settings().models_dir / "btc" / "latest.json").exists()


def test_evaluate_saves_parameters_and_metadata(app, tmp_path):
    import json

    from kalshi_edge.config import get_settings

    out = tmp_path / "ev.csv"
    r = CliRunner().invoke(app, ["btc", "evaluate", "--bars", str(SAMPLE), "--from", "2026-03-06T00:00Z", "--out", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads((get_settings().models_dir / "btc" / "evaluate_btcusd_5m_2026-02-21_2026-03-06.json").read_text())
    assert doc["meta"]["model"]["n"] == 13 * 24 and doc["params"]["train_days"] == 42
