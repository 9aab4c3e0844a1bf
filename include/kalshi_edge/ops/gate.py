"""The live-readiness gate of the live preflight: an unready family is refused, naming its failing
criteria, unless the operator overrides with a reason (``--override-readiness "REASON"``); the
override, its reason and what it overrode are recorded in the order ledger before trading starts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def readiness_problems(settings: Any, families: Sequence[str], *, override_reason: str | None,
                       ledger_path: Path, now: datetime | None = None) -> list[str]:
    """Problems that block live trading of ``families`` (empty when all are ready or overridden).

    With ``override_reason``, unready families are let through and a ``readiness_override`` event
    (reason, families, failing criteria) is appended to the ledger at ``ledger_path``.
    """
    from kalshi_edge.ops.readiness import evaluate_readiness
    from kalshi_edge.trading.ledger import OrderLedger

    if override_reason is not None and not override_reason.strip():
        return ["--override-readiness needs a reason"]
    rep = evaluate_readiness(settings, families=list(families), as_of=now or datetime.now(UTC))
    unready = {f: [f"{c.series} {c.criterion} {c.shown_value} (needs {c.threshold})" for c in rep.failing(f)]
               for f in rep.families() if not rep.ready(f)}
    if not unready:
        return []
    if override_reason is None:
        return [f"family {f} is not ready for live trading: " + "; ".join(why) +
                ' (see `kalshi-edge readiness`; override with --override-readiness "REASON")'
                for f, why in unready.items()]
    with OrderLedger(ledger_path) as ledger:
        ledger.append("readiness_override", reason=override_reason.strip(), families=sorted(unready),
                      failing=unready)
    return []
