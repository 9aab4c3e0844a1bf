"""The live preflight refuses an unready family, naming the failing criteria, and accepts it with
``--override-readiness "REASON"``, which is recorded in the order ledger. Live here means the
real live path (TRADE_MODE=live, --live, keys, preflight) against the local simulator."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from kalshi_edge.trading.brokers import LiveNotAllowed
from kalshi_edge.trading.ledger import OrderLedger

FAST = {"backoff_base": 0.001, "backoff_max": 0.005, "rate_limit": False}


@pytest.fixture
def live_env(tmp_path, monkeypatch):
    """Settings that pass every live switch and the preflight against a simulator on loopback."""
    from kalshi_edge.config import get_settings
    from kalshi_edge.exchange.simulator import run_simulator_in_thread

    key = tmp_path / "key.pem"  # a throwaway key made here; the simulator runs with auth off
    key.write_bytes(ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    monkeypatch.setenv("KALSHI_EDGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRADE_MODE", "live")
    monkeypatch.setenv("KALSHI_EDGE_KALSHI_ENV", "demo")
    monkeypatch.setenv("KALSHI_EDGE_KALSHI_KEY_ID", "test-key")
    monkeypatch.setenv("KALSHI_EDGE_KALSHI_PRIVATE_KEY_PATH", str(key))
    get_settings.cache_clear()
    with run_simulator_in_thread(seed=4) as sim:
        yield get_settings(), sim
    get_settings.cache_clear()


def test_live_trade_cli_refuses_an_unready_family_naming_the_criteria(live_env, capsys):
    from kalshi_edge.cli.main import main

    s, sim = live_env
    rc = main(["trade", "--live", "--once", "--family", "weather", "--base-url", sim.base_url])
    err = " ".join(capsys.readouterr().err.split())
    assert rc == 2
    assert "family weather is not ready for live trading" in err
    for crit in ("KXHIGHNY clean_data_days 0 (needs >= 30)", "KXHIGHNY backtest_sharpe",
                 "KXHIGHMIA paper_win_rate", "sensor_uptime 0.0% (needs >= 99%)", "alerts_configured 0 (needs >= 1)"):
        assert crit in err
    assert "--override-readiness" in err
    assert not sim.exchange.orders  # nothing was sent
    ledger = s.data_dir / "ledger" / "orders_live.jsonl"
    assert not ledger.exists() or not OrderLedger(ledger).events()


def test_override_lets_an_unready_family_trade_live_and_is_ledgered(live_env):
    from kalshi_edge.trading.runner import open_session

    s, sim = live_env
    # the real live path end to end: the session's order group is created at the simulator too
    h = open_session(s, mode="live", live_flag=True, families=["btc"], base_url=sim.base_url, client_kwargs=FAST,
                     override_readiness="paper track record reviewed by J.D.; 1 contract only")
    try:
        assert h.mode == "live" and h.broker_kind == "live"
        events = h.session.ledger.events()
    finally:
        h.close()
    overrides = [e for e in events if e["event"] == "readiness_override"]
    assert len(overrides) == 1
    ov = overrides[0]
    assert ov["reason"] == "paper track record reviewed by J.D.; 1 contract only"
    assert ov["families"] == ["btc"]
    assert any("KXBTCD clean_data_days" in f for f in ov["failing"]["btc"])
    sessions = [e for e in events if e["event"] == "session"]
    assert sessions and sessions[-1]["order_group_id"] in sim.exchange.order_groups
    # The ledger still replays (the note touches no order) and the session starts clean.
    assert OrderLedger(h.ledger_path).open_orders() == []


def test_an_empty_override_reason_is_refused(live_env):
    from kalshi_edge.trading.runner import open_session

    s, sim = live_env
    with pytest.raises(LiveNotAllowed, match="needs a reason"):
        open_session(s, mode="live", live_flag=True, families=["btc"], base_url=sim.base_url, client_kwargs=FAST,
                     override_readiness="  ")


def test_paper_trading_is_not_gated(paper_lake):
    # The paper session in the fixture ran with every family unready: paper never asks.
    assert OrderLedger(paper_lake.ledger_path).orders
