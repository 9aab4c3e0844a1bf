"""The exchange demo hook runs offline and reports what the session did."""

from __future__ import annotations

from kalshi_edge.exchange.demo import run_demo


def test_run_demo_reports_fills_idempotency_and_settlement():
    out = run_demo(None)
    summary = {row["item"]: row["value"] for row in out["summary"]}
    assert summary["open markets served"] == 45
    assert summary["orders filled (IOC at best ask)"] == 3
    assert summary["duplicate client_order_id answer"] == 409
    assert summary["settlements"] == 1
    # 5 B84.5 won $5.00; costs and fees of the three buys were paid: an exact Decimal string
    assert summary["cash change after settlement ($)"] == "-2.4100"
    assert "data:image/png;base64," in out["html"] and "<table>" in out["html"]
