"""Acceptance (#17): Kalshi's official SDK 3.34 drives the simulator under ``--auth verify`` without a validation error.

The SDK is generated from Kalshi's spec and validates every response with strict pydantic models,
so it is the reference for today's shapes (3.13 is the newest YAML we have; see KALSHI_API.md
"Changes after 3.13"). It declares Python >= 3.13, so it lives in its own venv, ``.venv-sdk``
(``make sdk-venv``, built by ``make test``); the calls run there in a subprocess
(tests/kalshi/sdk334_driver.py) against the simulator this test starts on 127.0.0.1. Every call is
signed by the SDK itself, so this is also the 3.34 signing check.

Covered: market data, series, events (incl. fee changes and forecast percentile history), orders
(V2: create, amend, decrease, cancel, batch create/cancel, cancel-all), order groups, queue
positions, portfolio reads and the historical family. Before the driver runs, the test settles a
market with a filled position and moves the historical cutoff past it, so the historical endpoints
answer with real (simulated) rows rather than empty lists.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_edge.exchange.scenario import builtin_scenario
from kalshi_edge.exchange.simulator import run_simulator_in_thread
from kalshi_edge.exchange.state import ManualClock

ROOT = Path(__file__).resolve().parents[2]
SDK_PY = ROOT / ".venv-sdk" / "bin" / "python"
DRIVER = Path(__file__).with_name("sdk334_driver.py")
KEY_ID = "sdk334-key"
T = "KXHIGHNY-26JUL12-B84.5"
T2 = "KXHIGHNY-26JUL12-T82"
HIST = "KXHIGHNY-26JUL12-T89"


def run_driver(tmp: Path) -> dict:
    """Start a verify-mode simulator, prepare historical rows, run the SDK driver; return its JSON."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    keys = tmp / "keys"
    keys.mkdir()
    (keys / f"{KEY_ID}.pem").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    pem = tmp / "private.pem"
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    sc = builtin_scenario(seed=4)
    clock = ManualClock(sc.clock_start)
    with run_simulator_in_thread(scenario=sc, clock=clock, auth="verify", keys_dir=keys, seed=4) as sim:
        ex = sim.exchange
        # A filled position in HIST, settled, then archived behind the historical cutoff.
        ask = ex.engine.book(HIST).best_yes_ask
        ex.create_order(KEY_ID, {"ticker": HIST, "side": "bid", "count": "2", "price": str(ask),
                                 "time_in_force": "immediate_or_cancel"}, v2=True)
        clock.advance(60)
        ex.settle_market(HIST, "yes")
        clock.advance(60)
        ex.set_historical_cutoff(clock.now())
        clock.advance(60)
        book = ex.engine.book(T)
        now = int(clock.now().timestamp())
        plan = {"ticker": T, "ticker2": T2, "series": "KXHIGHNY", "event": "KXHIGHNY-26JUL12",
                "historical_ticker": HIST, "city": "NYC",
                "rest_price": str(book.best_yes_bid - ex.markets[T].steps[0][2]),
                "take_price": str(book.best_yes_ask),
                "start_ts": now - 86400 * 3, "end_ts": now + 3600}
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        proc = subprocess.run([str(SDK_PY), str(DRIVER), sim.base_url, KEY_ID, str(pem), json.dumps(plan)],
                              capture_output=True, text=True, timeout=120, env=env)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout)


@pytest.mark.slow
def test_sdk_334_validates_every_simulator_response(tmp_path):
    assert SDK_PY.exists(), (
        f"{SDK_PY} is missing: run `make sdk-venv` (make test builds it) to install kalshi-python-sync 3.34.0")
    res = run_driver(tmp_path)
    assert res["version"] == "3.34.0"
    failed = [c for c in res["calls"] if not c["ok"]]
    assert not failed, "\n".join(f"{c['name']}: {c['error'][:600]}" for c in failed)
    assert len(res["calls"]) >= 64
    v = res["values"]  # the calls did what they say, not only validated
    assert v["rest_remaining"] == "5.00" and v["amended_remaining"] == "8.00"
    assert v["historical_markets"] == [HIST] and v["historical_fills"] == 1


if __name__ == "__main__":  # iterate by hand: .venv/bin/python tests/kalshi/test_sdk_334_shapes.py
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        r = run_driver(Path(d))
    bad = [c for c in r["calls"] if not c["ok"]]
    for c in bad:
        print(f"FAIL {c['name']}: {c['error'][:900]}\n")
    print(f"{len(r['calls']) - len(bad)} of {len(r['calls'])} calls validate")
