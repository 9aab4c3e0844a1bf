"""The near-real-time sensor: a deferrable ``EdgeSensor`` and its ``EdgeTrigger``.

This is the ONLY module under ``include/`` that imports Airflow. The DAG's ``families`` and
``base_url`` params reach the sensor as templated fields. The trigger watches the
configured markets through the REST client (the same read-only scan the CLI uses,
:func:`kalshi_edge.trading.runner.scan_intents`) and fires a :class:`TriggerEvent` carrying the
intents that pass the gates. It has no side effects — a trigger may run more than once — so
orders are placed by the *next* task (``place_intents``), idempotently by ``client_order_id``.

A watch in which no intent passed the gates is a success that returns ``[]``, not a skip: the
next task runs on every run, because that one session step also checks the exits of the held
positions (risk stop-loss, each strategy's own exits). Only a watch in which the exchange never
answered is red here; a strategy that failed on every scan is named in XCom ``strategy_errors``
and turns the run red in the next task, after the exits were checked.
A scan reads fitted artifacts only (the strategies never fit); its cost per poll is measured by
``benchmarks/bench_sensor.py`` in ``make bench``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

from airflow.sdk.bases.sensor import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout
from airflow.triggers.base import BaseTrigger, TriggerEvent

from kalshi_edge.trading.session import StrategyHealth, strategy_failure_message
from kalshi_edge.trading.strategy import FAMILIES


def _scan(families: Sequence[str], base_url: str | None, strategy_params: dict | None,
          strategies: Sequence[str] | None = None,
          outcomes: dict[str, str | None] | None = None) -> list[dict[str, Any]]:
    from kalshi_edge.config import get_settings
    from kalshi_edge.trading.runner import scan_intents

    return scan_intents(get_settings(), families=families, base_url=base_url, strategy_params=strategy_params,
                        strategy_names=strategies, outcomes=outcomes)


def _heartbeat(status: str, n_intents: int, *, ok: bool = True, detail: str = "") -> None:
    """Every sensor run leaves a heartbeat; the readiness uptime criterion counts only the ``ok``
    ones: a run that could not reach the exchange, or in which a strategy never priced, was not up."""
    from kalshi_edge.config import get_settings
    from kalshi_edge.ops.heartbeat import record_heartbeat

    text = f"{status}; {n_intents} intents" + (f"; {detail}" if detail else "")
    record_heartbeat(get_settings(), status="ok" if ok else "error", detail=text[:500])


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
        scanned, last_error = False, ""  # issue 13: a watch where no scan ever worked is an error
        health = StrategyHealth()  # and a strategy that failed on every scan is named in the event
        while True:
            try:
                outcomes: dict[str, str | None] = {}
                intents = await asyncio.to_thread(_scan, self.families, self.base_url, self.strategy_params,
                                                  self.strategies, outcomes)
                health.add(outcomes)
                scanned = True
            except Exception as exc:  # noqa: BLE001 - a failed scan is retried at the next poll
                self.log.warning("edge scan failed: %s", exc)
                last_error = scan_error_message(exc, self.base_url)
                intents = []
            if intents:
                yield TriggerEvent({"status": "fired", "intents": intents, "strategy_errors": health.failing()})
                return
            if loop.time() >= deadline:
                if not scanned:
                    yield TriggerEvent({"status": "error", "intents": [], "error": last_error})
                    return
                yield TriggerEvent({"status": "timeout", "intents": [], "strategy_errors": health.failing()})
                return
            await asyncio.sleep(self.poll_seconds)


class EdgeSensor(BaseSensorOperator):
    """Waits (deferred, in the triggerer) until an intent passes the gates; returns the intents,
    or ``[]`` when none passed before the timeout (a success: the next task still checks exits).

    ``deferrable=False`` pokes in the worker instead (one scan per ``poke_interval``); its
    timeout also returns ``[]``.
    """

    #: The DAG's params reach the sensor through these (``"{{ params.families }}"``, ``"{{ params.base_url }}"``).
    template_fields: Sequence[str] = ("families", "base_url")

    def __init__(self, *, families: Sequence[str] | str = FAMILIES, base_url: str | None = None,
                 strategy_params: dict | None = None, poll_seconds: float = 15.0, deferrable: bool = True,
                 **kwargs: Any) -> None:
        kwargs.setdefault("timeout", 600)
        kwargs.setdefault("poke_interval", poll_seconds)
        super().__init__(**kwargs)
        self.families = families if isinstance(families, str) else list(families)
        self.base_url = base_url
        self.strategy_params = strategy_params or {}
        self.poll_seconds = poll_seconds
        self.deferrable = deferrable

    def _resolved(self) -> tuple[list[str], str | None]:
        """(families, base_url) after templating: "all"/"btc"/… or a list; "" / "None" = no override."""
        from kalshi_edge.trading.runner import parse_families

        fams = self.families
        families = parse_families(fams.strip() or "all") if isinstance(fams, str) else list(fams)
        url = (self.base_url or "").strip()
        return families, (None if url in ("", "None") else url)

    def execute(self, context: Any) -> Any:
        self.families, self.base_url = self._resolved()
        if not self.deferrable:
            try:
                return super().execute(context)
            except AirflowSensorTimeout:  # nothing passed the gates: the exit check still runs next
                return []
        self.defer(
            trigger=EdgeTrigger(families=self.families, base_url=self.base_url,
                                strategy_params=self.strategy_params, poll_seconds=self.poll_seconds,
                                timeout_seconds=float(self.timeout or 600)),
            method_name="execute_complete",
            timeout=timedelta(seconds=float(self.timeout or 600) + 60),
        )

    def poke(self, context: Any) -> PokeReturnValue:
        families, base_url = self._resolved()
        outcomes: dict[str, str | None] = {}
        try:
            intents = _scan(families, base_url, self.strategy_params, outcomes=outcomes)
        except Exception as exc:  # noqa: BLE001 - issue 13: unreachable exchange → red, not skipped
            msg = scan_error_message(exc, base_url)
            _heartbeat("error", 0, ok=False, detail=msg)
            raise AirflowFailException(msg) from exc
        health = StrategyHealth()
        health.add(outcomes)
        failing = health.failing()
        _heartbeat("poked", len(intents), ok=not failing,
                   detail=strategy_failure_message(failing, "poke") if failing else "")
        _push_strategy_errors(context, failing)
        return PokeReturnValue(is_done=bool(intents), xcom_value=intents or None)

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        failing = dict((event or {}).get("strategy_errors") or {})
        scan_failed = bool(event) and event.get("status") == "error"
        _heartbeat((event or {}).get("status", "no_event"), len((event or {}).get("intents") or []),
                   ok=not scan_failed and not failing,
                   detail=str(event.get("error") or "") if scan_failed else
                   (strategy_failure_message(failing) if failing else ""))
        if scan_failed:  # issue 13: every scan failed → the run is red
            raise AirflowFailException(str(event.get("error") or "every edge scan failed"))
        # The other strategies' intents are placed and the held positions' exits checked by
        # ``place_orders``, which then fails the run naming a strategy that never priced.
        _push_strategy_errors(context, failing)
        if not event or event.get("status") != "fired":
            self.log.info("no intent passed the gates before the sensor timed out; the next task "
                          "still checks the exits of the held positions")
            return []
        return list(event["intents"])


def _push_strategy_errors(context: Any, failing: dict[str, str]) -> None:
    """XCom ``strategy_errors`` (always pushed, ``{}`` when every strategy priced) for ``place_orders``."""
    ti = context.get("ti") if context else None
    if ti is not None:
        ti.xcom_push(key="strategy_errors", value=failing)


def scan_error_message(exc: BaseException, base_url: str | None) -> str:
    """One line for a failed scan: which exchange did not answer, and why (issue 13)."""
    from kalshi_edge.errors import describe

    if base_url:
        url = base_url
    else:
        try:
            from kalshi_edge.config import get_settings

            url = get_settings().rest_base_url
        except Exception:  # noqa: BLE001 - the message must not fail
            url = "the configured exchange"
    return f"edge scan failed: exchange at {url} did not answer every scan of this watch: {describe(exc)}"
