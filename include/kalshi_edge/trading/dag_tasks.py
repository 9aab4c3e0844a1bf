"""Plain functions the trading DAGs call (no Airflow imports; tested without Airflow)."""

from __future__ import annotations

from typing import Any


def place_from_sensor(intents: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    """Send the sensor's intents (idempotent by client_order_id). Returns a small summary for XCom."""
    from kalshi_edge.config import get_settings
    from kalshi_edge.trading.runner import parse_families, place_intents

    if not intents:
        return {"placed": [], "skipped": "no intents"}
    res = place_intents(get_settings(), intents, families=parse_families(str(params.get("families") or "all")),
                        base_url=params.get("base_url"), live_flag=bool(params.get("live")))
    return {"placed": res["placed"], "skipped": res["skipped"], "orders_sent": res["orders_sent"],
            "denied": res["denied"], "positions": len(res["positions"])}
