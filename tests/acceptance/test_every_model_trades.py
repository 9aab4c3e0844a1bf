"""Issue #11 acceptance: against a separately started `kalshi-edge simulator`, `kalshi-edge trade
--paper --family F --base-url http://127.0.0.1:PORT` places orders whose ledger intents name the
family's MODEL strategy and carry its probability and artifact version — for btc, weather and
billboard, with and without `--faults all`.

Setup is the `make demo`-style training on the shipped samples into a fresh data dir: the BTC
retrain (one trial: speed), the weather day-ahead issue for the simulator's event day, and the
Billboard weekly prediction for the chart after the last sample chart. The Billboard simulator
serves the built-in KXTOPSONG event re-dated to that chart (`demos.scenarios`): the built-in
event is dated July 2026 and is (correctly) refused `event_date_mismatch`.

Short runs (`--duration 1s` (2s with faults) `--interval 0.2`): seconds, not minutes."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import requests

pytestmark = pytest.mark.slow

MODEL_STRATEGY = {"btc": "btc_vol_ladder", "weather": "weather_day_ahead", "billboard": "billboard_weekly"}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    from kalshi_edge.config import load_settings
    from kalshi_edge.demos.scenarios import billboard_week_scenario
    from kalshi_edge.exchange.simulator import run_simulator_in_thread
    from kalshi_edge.exchange.state import ManualClock
    from kalshi_edge.families.billboard.demo import sample_charts_path
    from kalshi_edge.families.billboard.model import ModelConfig
    from kalshi_edge.families.billboard.pipeline import run_weekly_prediction
    from kalshi_edge.families.btc.tasks import retrain
    from kalshi_edge.families.weather.tasks import day_ahead

    root = tmp_path_factory.mktemp("acceptance")
    s = load_settings(data_dir=str(root / "data"), models_dir=str(root / "models"), kalshi_env="local")
    retrain(pd.Timestamp("2026-03-06", tz="UTC"), {"offline": True, "train_days": 7, "test_days": 3, "n_trials": 1}, s)
    # the scenario is dated 2026-07-12, past the sample: issue for that day anyway (stale_inputs=warn)
    day_ahead(pd.Timestamp("2026-07-12T06:00Z"), {"offline": True, "stations": ["KNYC"], "stale_inputs": "warn"}, s)
    sc = billboard_week_scenario(date(2024, 1, 6))
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start)) as sim:
        run_weekly_prediction(s, as_of=date(2023, 12, 25), charts_csv=sample_charts_path(),
                              kalshi_base_url=sim.base_url, cfg=ModelConfig(num_trees=40))
    sc.save(root / "billboard_week.json")
    return root


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def simulators(env):
    """Four separately started simulators: built-in and Billboard-week scenarios, with and without faults."""
    procs: dict[tuple[str, bool], tuple[subprocess.Popen, int]] = {}
    exe = str(Path(sys.executable).parent / "kalshi-edge")
    for scenario in ("builtin", "billboard"):
        for faults in (False, True):
            port = _free_port()
            cmd = [exe, "simulator", "--port", str(port)]
            if scenario == "billboard":
                cmd += ["--markets", str(env / "billboard_week.json")]
            if faults:
                cmd += ["--faults", "all"]
            procs[(scenario, faults)] = (subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), port)
    try:
        for (_, _), (proc, port) in procs.items():
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/_sim/state", timeout=1).ok:
                        break
                except requests.RequestException:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"simulator on {port} did not start: {proc.stderr.read().decode()[-500:]}")
                time.sleep(0.1)
        yield {k: port for k, (_, port) in procs.items()}
    finally:
        for proc, _ in procs.values():
            proc.terminate()
        for proc, _ in procs.values():
            proc.wait(timeout=10)


@pytest.mark.parametrize("faults", [False, True], ids=["clean", "faults-all"])
@pytest.mark.parametrize("family", ["btc", "weather", "billboard"])
def test_trade_places_model_orders(family, faults, env, simulators, tmp_path, monkeypatch):
    from kalshi_edge.config import get_settings
    from kalshi_edge.trading.ledger import OrderLedger
    from tests.trading.cli import cli_main

    port = simulators[("billboard" if family == "billboard" else "builtin", faults)]
    monkeypatch.setenv("KALSHI_EDGE_DATA_DIR", str(env / "data"))
    monkeypatch.setenv("KALSHI_EDGE_MODELS_DIR", str(env / "models"))
    get_settings.cache_clear()
    ledger = tmp_path / "orders.jsonl"
    try:
        rc = cli_main()(["trade", "--paper", "--family", family, "--duration", "1s" if not faults else "2s",
                         "--interval", "0.2", "--base-url", f"http://127.0.0.1:{port}", "--ledger", str(ledger)])
    finally:
        get_settings.cache_clear()
    assert rc == 0
    led = OrderLedger(ledger)
    orders = list(led.orders.values())
    led.close()
    mine = [o for o in orders if o.strategy == MODEL_STRATEGY[family]]
    assert mine, f"no {MODEL_STRATEGY[family]} order; strategies: {sorted({o.strategy for o in orders})}"
    assert all(o.family == family and 0 <= o.p_yes <= 1 and o.model_version for o in mine)
    intents = [json.loads(line) for line in ledger.read_text().splitlines() if '"event": "intent"' in line]
    coids = [e["client_order_id"] for e in intents]
    assert len(coids) == len(set(coids))  # zero duplicate client ids, faults or not
    assert all(e["model_version"] and e["market_p"] is not None for e in intents
               if e["strategy"] == MODEL_STRATEGY[family])
