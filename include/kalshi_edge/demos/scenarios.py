"""Simulator scenarios whose events are dated consistently with the shipped sample data.

The built-in scenario's KXTOPSONG event (``KXTOPSONG-26JUL18``) lists the real top 8 of the chart
dated 2023-12-30, but its event date is July 2026, while the sample charts end in 2023: the
Billboard model's prediction (for the chart dated 2024-01-06) must not be priced against it (the
strategy refuses ``event_date_mismatch``). :func:`billboard_week_scenario` re-dates that event,
its markets, books and the clock by whole weeks so the event resolves on ``chart_date``: the song
titles are real, the prices are the simulator's generated ones (as in the built-in scenario).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

from kalshi_edge.exchange.scenario import BUILTIN_CLOCK, Scenario, builtin_scenario

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z")
SAMPLE_CHART_DATE = date(2024, 1, 6)  # the chart after the last sample chart (2023-12-30)


def billboard_week_scenario(chart_date: date = SAMPLE_CHART_DATE, *, seed: int = 0) -> Scenario:
    """The built-in KXTOPSONG event (only) re-dated by whole weeks to resolve on ``chart_date``."""
    sc = builtin_scenario(seed=seed)
    events = [e for e in sc.events if e["event_ticker"].startswith("KXTOPSONG-")]
    if len(events) != 1:
        raise ValueError(f"expected one KXTOPSONG event in the built-in scenario, found {len(events)}")
    old_tag = events[0]["event_ticker"].split("-", 1)[1]
    old_date = datetime.strptime(old_tag + "+0000", "%y%b%d%z").date()
    shift = chart_date - old_date
    if shift.days % 7:
        raise ValueError(f"{chart_date} is not a whole number of weeks from {old_date} (charts are dated Saturdays)")
    new_tag = chart_date.strftime("%y%b%d").upper()
    doc = {
        "name": f"billboard-{chart_date.isoformat()}",
        "clock_start": BUILTIN_CLOCK.strftime("%Y-%m-%dT%H:%M:%SZ"),  # shifted with the rest below
        "notes": {"generated": ["the built-in KXTOPSONG event re-dated by "
                                f"{shift.days // 7} weeks to resolve on the chart dated {chart_date}"]},
        "series": [s for s in sc.series if s["ticker"] == "KXTOPSONG"],
        "events": events,
        "markets": [m for m in sc.markets if m["ticker"].startswith("KXTOPSONG-")],
        "books": {t: b for t, b in sc.books.items() if t.startswith("KXTOPSONG-")},
    }
    text = json.dumps(doc)
    text = _ISO.sub(lambda m: _shift_iso(m.group(0), shift), text)
    text = text.replace(old_tag, new_tag)
    text = text.replace(old_date.strftime("%b %d, %Y"), chart_date.strftime("%b %d, %Y"))
    return Scenario.from_dict(json.loads(text), doc["name"])


def _shift_iso(value: str, shift: timedelta) -> str:
    dt = datetime.fromisoformat(value.replace("Z", "+00:00")) + shift
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + (value[19:-1] if "." in value else "") + "Z"


def write_billboard_week_scenario(path: Path, chart_date: date = SAMPLE_CHART_DATE) -> Path:
    """Save :func:`billboard_week_scenario` for ``kalshi-edge simulator --markets PATH``."""
    billboard_week_scenario(chart_date).save(Path(path))
    return Path(path)
