"""The near-real-time sensor: a deferrable ``EdgeSensor`` and its ``EdgeTrigger``.

This is the ONLY module under ``include/`` that imports Airflow. The trigger watches the
configured markets through the REST client (the same read-only scan the CLI uses,
:func:`kalshi_edge.trading.runner.scan_intents`) and fires a :class:`TriggerEvent` carrying the
intents that pass the gates. It has no side effects — a trigger may run more than once — so
orders are placed by the *next* task (``place_intents``), idempotently by ``client_order_id``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

from airflow.sdk.bases.sensor import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowSkipException
from airflow.triggers.base import BaseTrigger, TriggerEvent

from kalshi_edge.trading.strategy import FAMILIES


def _scan(families: Sequence[str], base_url: str | None, strategy_params: dict | None,
          strategies: Sequence[str] | None = None) -> list[dict[str, Any]]:
    from kalshi_edge.config import get_settings
    from kalshi_edge.trading.runner import scan_intents

    return scan_intents(get_settings(), families=families, base_url=base_url, strategy_params=strategy_params,
                        strategy_names=strategies)


def _heartbeat(status: str, n_intents: int) -> None:
    """Every sensor run leaves a heartbeat (the readiness uptime criterion counts them)."""
    from kalshi_edge.config import get_settings
    from kalshi_edge.ops.heartbeat import record_heartbeat

    record_heartbeat(get_settings(), status="ok", detail=f"{status}; {n_intents} intents")


class EdgeTrigger(BaseTrigger):
    """Poll the markets every ``poll_seconds`` until an intent passes the gates or ``timeout_seconds``."""

    def __init__(self, *, families: Sequence[str] = FAMILIES, base_url: str | None = None,
                 strategy_params: dict | None = None, poll_seconds: float = 15.0,
                 timeout_seconds: float = 600.0, strategies: Sequence[str] | None = None) -> None:
        super().__init__()
        self.strategies = list(strategies) if strategies else None
        self.families = list(families)
        self.base_url = base_url
        self.strategy_params = strategy_params or {}
        self.poll_seconds = float(poll_seconds)
        self.timeout_seconds = float(timeout_seconds)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return ("kalshi_edge.trading.sensor.EdgeTrigger", {
            "families": self.families, "base_url": self.base_url, "strategy_params": self.strategy_params,
            "poll_seconds": self.poll_seconds, "timeout_seconds": self.timeout_seconds,
            "strategies": self.strategies,
        })

    async def run(self) -> AsyncIterator[TriggerEvent]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_seconds
        while True:
            try:
                intents = await asyncio.to_thread(_scan, self.families, self.base_url, self.strategy_params,
                                                  self.strategies)
            except Exception as exc:  # noqa: BLE001 - a failed scan is retried at the next poll
                self.log.warning("edge scan failed: %s", exc)
                intents = []
            if intents:
                yield TriggerEvent({"status": "fired", "intents": intents})
                return
            if loop.time() >= deadline:
                yield TriggerEvent({"status": "timeout", "intents": []})
                return
            await asyncio.sleep(self.poll_seconds)


class EdgeSensor(BaseSensorOperator):
    """Waits (deferred, in the triggerer) until an intent passes the gates; returns the intents.

    ``deferrable=False`` pokes in the worker instead (one scan per ``poke_interval``).
    """

    template_fields: Sequence[str] = ("base_url",)

    def __init__(self, *, families: Sequence[str] = FAMILIES, base_url: str | None = None,
                 strategy_params: dict | None = None, poll_seconds: float = 15.0, deferrable: bool = True,
                 **kwargs: Any) -> None:
        kwargs.setdefault("timeout", 600)
        kwargs.setdefault("poke_interval", poll_seconds)
        super().__init__(**kwargs)
        self.families = list(families)
        self.base_url = base_url
        self.strategy_params = strategy_params or {}
        self.poll_seconds = poll_seconds
        self.deferrable = deferrable

    def execute(self, context: Any) -> Any:
        if not self.deferrable:
            return super().execute(context)
        self.defer(
            trigger=EdgeTrigger(families=self.families, base_url=self.base_url,
                                strategy_params=self.strategy_params, poll_seconds=self.poll_seconds,
                                timeout_seconds=float(self.timeout or 600)),
            method_name="execute_complete",
            timeout=timedelta(seconds=float(self.timeout or 600) + 60),
        )

    def poke(self, context: Any) -> PokeReturnValue:
        intents = _scan(self.families, self.base_url, self.strategy_params)
        _heartbeat("poked", len(intents))
        return PokeReturnValue(is_done=bool(intents), xcom_value=intents or None)

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        _heartbeat((event or {}).get("status", "no_event"), len((event or {}).get("intents") or []))
        if not event or event.get("status") != "fired":
            raise AirflowSkipException("no intent passed the gates before the sensor timed out")
        return list(event["intents"])
