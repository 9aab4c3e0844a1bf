"""Plain functions the trading DAGs call (no Airflow imports; tested without Airflow). One
signature like every DAG task function: ``fn(logical_date, params, settings=None)``."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def place_from_sensor(logical_date: datetime, params: dict[str, Any] | None = None,
                      settings: Any = None) -> dict[str, Any]:
    """Send the sensor's intents (``params["intents"]``; idempotent by client_order_id) with the DAG's
    params ``families``, ``base_url``, ``live``. Returns a small summary for XCom.

    ``params["strategy_errors"]`` (strategy → error, from the sensor) names strategies that failed
    on every scan: the other strategies' intents are placed first, then the job fails naming them
    (a model that could not price its markets is a red run, not a quiet one).
    """
    from kalshi_edge.config import get_settings
    from kalshi_edge.errors import JobFailed
    from kalshi_edge.trading.runner import parse_families, place_intents
    from kalshi_edge.trading.session import strategy_failure_message

    p = params or {}
    intents = list(p.get("intents") or [])
    failing = dict(p.get("strategy_errors") or {})
    if not intents:
        out: dict[str, Any] = {"placed": [], "skipped": "no intents"}
    else:
        res = place_intents(settings or get_settings(), intents,
                            families=parse_families(str(p.get("families") or "all")),
                            base_url=p.get("base_url"), live_flag=bool(p.get("live")))
        out = {"placed": res["placed"], "skipped": res["skipped"], "orders_sent": res["orders_sent"],
               "denied": res["denied"], "positions": len(res["positions"])}
    if failing:
        raise JobFailed(f"{strategy_failure_message(failing)} (placed {len(out['placed'])} orders "
                        "from the other strategies)")
    return out


def settle(logical_date: datetime, params: dict[str, Any] | None = None, settings: Any = None) -> dict[str, Any]:
    """DAG task ``trading_settlement``: settle and score the ledger as of ``logical_date``."""
    from kalshi_edge.config import get_settings
    from kalshi_edge.trading.settlement import run_settlement

    return run_settlement(settings or get_settings(), as_of=logical_date, base_url=(params or {}).get("base_url"))
