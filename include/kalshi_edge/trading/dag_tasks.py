"""Plain functions the trading DAGs call (no Airflow imports; tested without Airflow). One
signature like every DAG task function: ``fn(logical_date, params, settings=None)``."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def place_from_sensor(logical_date: datetime, params: dict[str, Any] | None = None,
                      settings: Any = None) -> dict[str, Any]:
    """Every sensor run's one session step: send the sensor's intents (``params["intents"]``, empty
    when the watch timed out; idempotent by client_order_id) and check the exits of the ledger's
    held positions (risk stop-loss + each strategy's own exits), with the DAG's params
    ``families``, ``base_url``, ``live``. Returns a small summary for XCom:
    ``{"placed", "exits", "checked_positions", "skipped", "orders_sent", "denied", "positions"}``.

    With no intents and nothing held or working, nothing is opened (no exchange request, no
    order group) and ``skipped`` says there was nothing to check. A step that could not reach the
    exchange raises a transient error (retried, then red); a tripped kill switch is red at once.

    ``params["strategy_errors"]`` (strategy → error, from the sensor) names strategies that failed
    on every scan: the other strategies' intents are placed (and exits checked) first, then the job
    fails naming them (a model that could not price its markets is a red run, not a quiet one).
    """
    from kalshi_edge.config import get_settings
    from kalshi_edge.errors import JobFailed, TransientError
    from kalshi_edge.trading.runner import parse_families, place_intents
    from kalshi_edge.trading.session import strategy_failure_message

    p = params or {}
    intents = list(p.get("intents") or [])
    failing = dict(p.get("strategy_errors") or {})
    res = place_intents(settings or get_settings(), intents,
                        families=parse_families(str(p.get("families") or "all")),
                        base_url=p.get("base_url"), live_flag=bool(p.get("live")))
    out: dict[str, Any] = {"placed": res["placed"], "exits": dict(res.get("exits") or {}),
                           "checked_positions": res["checked_positions"], "skipped": res["skipped"],
                           "orders_sent": res["orders_sent"], "denied": res["denied"],
                           "positions": len(res["positions"])}
    skipped, halted = str(res["skipped"] or ""), res.get("halted", "")
    if halted == "unreachable":  # nothing checked, maybe nothing sent: retried (idempotent), then red
        raise TransientError(f"sensor step could not check exits or place orders: {skipped} "
                             f"(placed {len(out['placed'])} of {len(intents)} intents)")
    if halted == "kill_switch":
        raise JobFailed(f"sensor step: {skipped}; no order and no exit was sent")
    if failing:
        raise JobFailed(f"{strategy_failure_message(failing)} (placed {len(out['placed'])} orders "
                        "from the other strategies)")
    return out


def settle(logical_date: datetime, params: dict[str, Any] | None = None, settings: Any = None) -> dict[str, Any]:
    """DAG task ``trading_settlement``: settle and score the ledger as of ``logical_date``."""
    from kalshi_edge.config import get_settings
    from kalshi_edge.trading.settlement import run_settlement

    return run_settlement(settings or get_settings(), as_of=logical_date, base_url=(params or {}).get("base_url"))
