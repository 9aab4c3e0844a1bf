"""The settlement-station registry (``stations.yaml``) and climate-day arithmetic.

A climate day D runs from local **standard** time midnight to the next, all year: during daylight
saving time it is 01:00-01:00 on the wall clock. So its UTC bounds are fixed offsets of D.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import yaml

REGISTRY_PATH = Path(__file__).with_name("stations.yaml")
SOURCES = ("nws_cli", "ghcn", "iem_asos", "visual_crossing")


class RegistryError(ValueError):
    """A registry file entry that is missing or contradicts a field."""


@dataclass(frozen=True)
class Station:
    """One settlement station. ``std_utc_offset_hours`` is the standard (winter) offset, e.g. -5."""

    series: str | None
    city: str
    name: str
    icao: str
    cli_id: str
    wfo: str
    ghcn_id: str
    tz: str
    std_utc_offset_hours: int
    trust: dict[str, bool] = field(default_factory=dict)

    @property
    def standard_zone(self) -> timezone:
        return timezone(timedelta(hours=self.std_utc_offset_hours), f"{self.icao} LST")

    def trusts(self, source: str) -> bool:
        """Whether ``source`` (one of SOURCES) may stand in for the settlement number here."""
        if source not in SOURCES:
            raise KeyError(f"unknown source {source!r}; known: {SOURCES}")
        return bool(self.trust.get(source, False))

    def climate_day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """UTC [start, end) of climate day ``day`` (local standard midnight to midnight)."""
        start = datetime.combine(day, time(0), tzinfo=self.standard_zone).astimezone(UTC)
        return start, start + timedelta(days=1)

    def climate_day_of(self, ts: datetime) -> date:
        """The climate day an aware timestamp falls in."""
        if ts.tzinfo is None:
            raise ValueError("timestamp must be timezone-aware")
        return ts.astimezone(self.standard_zone).date()


@dataclass(frozen=True)
class Registry:
    stations: tuple[Station, ...]

    def get(self, key: str) -> Station:
        """Look up by series ticker, ICAO (KMDW), CLI id (CLIMDW) or GHCN id (case-insensitive)."""
        k = key.strip().upper()
        for s in self.stations:
            if k in {(s.series or "").upper(), s.icao, s.cli_id, s.ghcn_id.upper()}:
                return s
        raise KeyError(f"station {key!r} is not in the registry {REGISTRY_PATH.name}")

    def by_series(self) -> dict[str, Station]:
        return {s.series: s for s in self.stations if s.series}


_REQUIRED = ("city", "name", "icao", "cli_id", "wfo", "ghcn_id", "tz", "std_utc_offset_hours", "trust")


def load_registry(path: str | Path = REGISTRY_PATH) -> Registry:
    """Load and validate the registry; raises :class:`RegistryError` naming the entry and field."""
    path = Path(path)
    raw = yaml.safe_load(path.read_text())
    entries = (raw or {}).get("stations")
    if not isinstance(entries, list) or not entries:
        raise RegistryError(f"{path}: no 'stations' list")
    out: list[Station] = []
    for i, e in enumerate(entries):
        where = f"{path.name}: station #{i + 1}"
        for f in _REQUIRED:
            if f not in e or e[f] is None:
                raise RegistryError(f"{where}: field {f!r} missing")
        if not str(e["cli_id"]).startswith("CLI"):
            raise RegistryError(f"{where}: field 'cli_id' = {e['cli_id']!r} must start with CLI")
        if not -12 <= int(e["std_utc_offset_hours"]) <= 0:
            raise RegistryError(f"{where}: field 'std_utc_offset_hours' out of range")
        unknown = set(e["trust"]) - set(SOURCES)
        if unknown:
            raise RegistryError(f"{where}: field 'trust' names unknown sources {sorted(unknown)}")
        out.append(Station(series=e.get("series"), **{f: e[f] for f in _REQUIRED}))
    icaos = [s.icao for s in out]
    if len(set(icaos)) != len(icaos):
        raise RegistryError(f"{path}: duplicate icao")
    return Registry(tuple(out))
