"""The sensor trigger's scan cost per poll vs. only reading the open markets.

Both sides poll the same in-process simulator (built-in scenario, manual clock) with the same REST
client settings:

* reference: one market read (``GET /markets`` through :func:`rest_market_source`) — the least any
  poll must do;
* scan: :func:`kalshi_edge.trading.runner.scan_intents`, what ``EdgeTrigger`` runs per poll — the
  market read, the clock, every family's model strategy (reading the fitted artifacts, never
  fitting) and the shared gates.

``ratio`` = reference time / scan time (higher is better); target ≥ 0.05, i.e. a poll costs at most
20 market reads. The artifacts are trained first on the shipped samples, outside the timing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.timing import best_of

TARGET = 0.05


def run() -> list[dict]:
    from kalshi_edge.config import load_settings
    from kalshi_edge.demos.trading import ensure_models
    from kalshi_edge.exchange.scenario import BUILTIN_CLOCK
    from kalshi_edge.exchange.simulator import run_simulator_in_thread
    from kalshi_edge.exchange.state import ManualClock
    from kalshi_edge.kalshi.rest import KalshiRestClient
    from kalshi_edge.trading.runner import scan_intents
    from kalshi_edge.trading.session import rest_market_source

    with tempfile.TemporaryDirectory() as tmp:
        s = load_settings(data_dir=str(Path(tmp) / "data"), models_dir=str(Path(tmp) / "models"), kalshi_env="local")
        ensure_models(s)
        with run_simulator_in_thread(seed=0, clock=ManualClock(BUILTIN_CLOCK)) as sim:
            kw = {"rate_limit": False}
            client = KalshiRestClient.from_settings(s, base_url=sim.base_url, **kw)

            def reference() -> None:
                assert rest_market_source(client)(BUILTIN_CLOCK)

            def scan() -> None:
                scan_intents(s, base_url=sim.base_url, client_kwargs=kw)

            scan()  # imports and the registry outside the timing
            t_ref = best_of(reference, 5)
            t_scan = best_of(scan, 5)
            client.close()
    return [
        {"name": "sensor_scan_per_poll", "value": round(t_scan * 1e3, 1), "unit": "ms/poll",
         "ratio": round(t_ref / t_scan, 4), "target_ratio": TARGET},
        {"name": "sensor_market_read_per_poll", "value": round(t_ref * 1e3, 1), "unit": "ms/read",
         "ratio": 1.0, "target_ratio": None},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
