"""Sensor heartbeats: one JSON line per sensor run, the evidence behind the uptime criterion.

Append-only JSONL (like the order ledger, and for the same reason: each run appends one small
event, concurrently with readers) at ``data/ops/heartbeats.jsonl``. Uptime over a window is the
share of expected heartbeat slots (``sensor_heartbeat_seconds`` apart) that hold at least one
``ok`` heartbeat: a sensor that did not run in a slot is down for that slot, and so is one that ran
but could not do its work (``status: "error"``: the exchange did not answer, or a strategy raised
on every scan).
"""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


def heartbeat_path(settings: Any) -> Path:
    return Path(settings.data_dir) / "ops" / "heartbeats.jsonl"


def record_heartbeat(settings: Any, *, component: str = "sensor", status: str = "ok", detail: str = "",
                     at: datetime | None = None) -> dict[str, Any]:
    """Append one heartbeat (fsynced). Never raises on an I/O problem: a heartbeat must not fail
    the run it reports on (a missing heartbeat shows up as downtime, which is the truth)."""
    ev = {"at": (at or datetime.now(UTC)).isoformat(), "component": component, "status": status, "detail": detail}
    path = heartbeat_path(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (json.dumps(ev, sort_keys=True) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass
    return ev


def read_heartbeats(settings: Any, component: str = "sensor", *, ok_only: bool = True) -> list[datetime]:
    """Heartbeat times of ``component``, sorted (unparseable lines, e.g. a torn last line, skipped);
    only the ``ok`` ones unless ``ok_only=False`` (a line without a status counts as ok)."""
    path = heartbeat_path(settings)
    if not path.exists():
        return []
    out = []
    for raw in path.read_bytes().splitlines():
        try:
            ev = json.loads(raw)
            if ev.get("component", "sensor") == component and (not ok_only or ev.get("status", "ok") == "ok"):
                out.append(datetime.fromisoformat(ev["at"]))
        except (ValueError, KeyError, TypeError):
            continue
    return sorted(out)


def uptime(beats: list[datetime], *, end: datetime, days: int, interval_s: int) -> tuple[float, int, int]:
    """(fraction of slots with a heartbeat, slots hit, slots expected) over ``days`` before ``end``."""
    start = end - timedelta(days=days)
    n_slots = math.ceil((end - start).total_seconds() / interval_s)
    hit = {int((b - start).total_seconds() // interval_s) for b in beats if start <= b < end}
    return (len(hit) / n_slots if n_slots else 0.0), len(hit), n_slots
