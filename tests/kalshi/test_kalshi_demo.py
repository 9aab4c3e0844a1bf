"""The Kalshi demo hook runs offline and reports every step as passing."""

from __future__ import annotations

import pytest

pytest.importorskip("kalshi_edge.exchange.simulator")


@pytest.mark.slow
def test_run_demo(settings):
    from kalshi_edge.demos.kalshi import run_demo

    out = run_demo(settings)
    assert out["title"] and "<table" in out["html"] and "data:image/png;base64" in out["html"]
    steps = {row["step"]: row for row in out["summary"]}
    assert set(steps) == {"semantics", "orders with faults", "websocket books", "lake snapshots"}
    assert all(row["ok"] for row in out["summary"]), out["summary"]
