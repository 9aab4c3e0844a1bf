"""`kalshi-edge trade` against the local simulator (loopback)."""

from __future__ import annotations

from kalshi_edge.exchange.scenario import BUILTIN_CLOCK
from kalshi_edge.exchange.simulator import run_simulator_in_thread
from kalshi_edge.exchange.state import ManualClock
from kalshi_edge.trading.ledger import OrderLedger
from kalshi_edge.trading.risk import KillSwitch
from tests.trading.cli import cli_main


def test_trade_once_against_simulator_then_duration_with_clean_shutdown(tmp_path, monkeypatch):
    monkeypatch.setenv("KALSHI_EDGE_MIN_EDGE_DOLLARS", "0.01")
    from kalshi_edge.config import get_settings

    get_settings.cache_clear()
    ledger = tmp_path / "orders.jsonl"
    with run_simulator_in_thread(seed=1, clock=ManualClock(BUILTIN_CLOCK)) as sim:
        main = cli_main()
        book_only = ["--strategy", "ladder_consensus", "--strategy", "longshot_fade"]
        assert main(["trade", "--paper", "--once", "--family", "weather", "--base-url", sim.base_url,
                     "--ledger", str(ledger), *book_only]) == 0
        led = OrderLedger(ledger)
        first = dict(led.orders)
        led.close()
        assert first and {r.family for r in first.values()} == {"weather"}
        # A short timed run: the status loop, then shutdown cancels every resting order.
        assert main(["trade", "--duration", "1s", "--interval", "0.2", "--family", "all", "--market-data", "ws",
                     "--base-url", sim.base_url, "--ledger", str(ledger), *book_only]) == 0
        resting = [r for r in sim.exchange.orders.values() if r.state.status == "resting"]
        positions = {t: p.position for t, p in sim.exchange.account("default").positions.items() if p.position}
    assert resting == []
    led = OrderLedger(ledger)
    assert led.net_positions() == positions
    assert not [r for r in led.orders.values() if r.state in ("acknowledged", "partially_filled")]
    led.close()
    get_settings.cache_clear()


def test_bad_flags_are_one_line_errors(capsys):
    main = cli_main()
    assert main(["trade", "--family", "crypto", "--once"]) == 2
    assert main(["trade", "--duration", "ten", "--once"]) == 2
    assert main(["trade", "--paper", "--live"]) == 2
    assert main(["trade", "--market-data", "fix", "--once"]) == 2
    assert main(["trade", "--strategy", "nope", "--once"]) == 2
    # Nothing listens on this loopback port: a one-line error, not a session of failed reads.
    assert main(["trade", "--once", "--base-url", "http://127.0.0.1:9/trade-api/v2"]) == 2
    from kalshi_edge.config import get_settings

    assert not (get_settings().data_dir / "ledger").exists()  # refused before anything was written
    assert "error" in capsys.readouterr().err


def test_reset_kill_switch(tmp_path, monkeypatch, capsys):
    from kalshi_edge.config import get_settings

    get_settings.cache_clear()
    ks = KillSwitch.from_settings(get_settings())
    ks.trip("drawdown 120 ≥ 100")
    assert cli_main()(["trade", "--reset-kill-switch"]) == 0
    assert not ks.tripped
    assert "drawdown 120" in capsys.readouterr().out


def test_trade_exits_1_naming_a_model_strategy_that_could_not_price(tmp_path, monkeypatch, capsys):
    """No BTC artifact: `btc_vol_ladder` raises on every step. The session still runs (and the other
    strategies trade), but the command ends with exit 1 and one line naming the strategy and why."""
    monkeypatch.setenv("KALSHI_EDGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KALSHI_EDGE_MODELS_DIR", str(tmp_path / "models"))
    from kalshi_edge.config import get_settings

    get_settings.cache_clear()
    try:
        with run_simulator_in_thread(seed=1, clock=ManualClock(BUILTIN_CLOCK)) as sim:
            rc = cli_main()(["trade", "--paper", "--once", "--family", "btc", "--base-url", sim.base_url,
                             "--strategy", "btc_vol_ladder", "--strategy", "ladder_consensus"])
    finally:
        get_settings.cache_clear()
    cap = capsys.readouterr()
    out = " ".join((cap.out + cap.err).split())
    assert rc == 1
    assert "strategy failed on every step of this session: btc_vol_ladder (" in out
    assert "no btc artifact 'latest' yet" in out and "ladder_consensus" not in out.split("session: ")[1]
