"""Settings: typed, validated at start with the variable named, secrets masked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kalshi_edge.config import ConfigError, KalshiEnv, TradeMode, load_settings


def test_defaults_are_paper_trading_against_the_local_simulator(settings):
    assert settings.trade_mode is TradeMode.PAPER
    assert settings.kalshi_env is KalshiEnv.LOCAL
    assert settings.rest_base_url.startswith("http://127.0.0.1")
    assert settings.lake_root == settings.data_dir / "lake"
    assert settings.warehouse_path == settings.data_dir / "warehouse.duckdb"


def test_bad_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("KALSHI_EDGE_KALSHI_ENV", "staging")
    with pytest.raises(ConfigError, match="KALSHI_EDGE_KALSHI_ENV"):
        load_settings()


def test_bad_risk_limit_names_the_variable(monkeypatch):
    monkeypatch.setenv("KALSHI_EDGE_RISK_MAX_DOLLARS_TOTAL", "-5")
    with pytest.raises(ConfigError, match="KALSHI_EDGE_RISK_MAX_DOLLARS_TOTAL"):
        load_settings()


def test_missing_private_key_file_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("KALSHI_EDGE_KALSHI_PRIVATE_KEY_PATH", str(tmp_path / "nope.pem"))
    with pytest.raises(ConfigError, match="KALSHI_EDGE_KALSHI_PRIVATE_KEY_PATH"):
        load_settings()


def test_secrets_never_printed(monkeypatch):
    monkeypatch.setenv("KALSHI_EDGE_YOUTUBE_API_KEY", "yt-secret-123")
    monkeypatch.setenv("SPOTIPY_CLIENT_SECRET", "sp-secret-456")
    s = load_settings()
    text = repr(s) + str(s) + str(s.describe())
    assert "yt-secret-123" not in text and "sp-secret-456" not in text
    assert s.youtube_api_key.get_secret_value() == "yt-secret-123"
    assert s.spotify_client_secret.get_secret_value() == "sp-secret-456"


def test_trade_mode_accepts_the_bare_variable_and_money_is_decimal(monkeypatch):
    monkeypatch.setenv("TRADE_MODE", "live")
    monkeypatch.setenv("KALSHI_EDGE_KALSHI_ENV", "demo")
    s = load_settings()
    assert s.trade_mode is TradeMode.LIVE
    assert isinstance(s.risk_max_dollars_total, Decimal)


def test_live_against_the_simulator_is_refused(monkeypatch):
    monkeypatch.setenv("TRADE_MODE", "live")
    with pytest.raises(ConfigError, match="live"):
        load_settings()
