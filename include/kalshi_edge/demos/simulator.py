"""The explicit in-process simulator option (the only place outside `exchange` that starts one).

``kalshi_market_snapshots`` with param ``in_process_simulator: true`` (offline demos and DAG tests)
wraps its task in :func:`in_process_simulator`; the ``kalshi`` client package itself never starts
or imports the simulator — an unreachable host is an error there, not a hidden fallback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def in_process_simulator(*, seed: int = 0) -> Iterator[str]:
    """Serve the built-in scenario on a free loopback port for the block; yields its REST root."""
    from kalshi_edge.exchange.simulator import run_simulator_in_thread

    with run_simulator_in_thread(seed=seed) as sim:
        yield sim.base_url
