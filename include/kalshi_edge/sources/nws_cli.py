"""NWS daily climate reports (CLI products): the settlement truth of the KXHIGH* markets.

A CLI product reports one *climate day* (local standard time midnight to midnight). The morning
report after the day (section ``YESTERDAY``) is the **final** one Kalshi settles on; reports issued
during the day (``TODAY``, "VALID TODAY AS OF 0400 PM LOCAL TIME") are **intermediate**: the maximum
so far. Observed times in the temperature table are local standard time ("(LST)").

Fetching uses the Iowa Environmental Mesonet archive (keyless):
``/api/1/nws/afos/list.json?pil=CLINYC&date=YYYY-MM-DD`` lists products entered on a UTC date and
``/api/1/nwstext/<product_id>`` returns the text.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

IEM_BASE = "https://mesonet.agron.iastate.edu"

# UTC offsets (hours) of the zone abbreviations NWS offices print in the issuance line
_TZ_ABBREV = {
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6,
    "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10,
}  # fmt: skip
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    )
}

_ISSUED = re.compile(r"^\s*(\d{3,4})\s+(AM|PM)\s+([A-Z]{3,4})\s+[A-Z]{3}\s+([A-Z]{3})\s+(\d{1,2})\s+(\d{4})\s*$", re.M)
_SUMMARY = re.compile(r"\.\.\.THE (.+?) CLIMATE SUMMARY FOR ([A-Z]+)\s+(\d{1,2})\s+(\d{4})\.\.\.")
_VALID = re.compile(r"VALID(?: TODAY)? AS OF (\d{3,4}) (AM|PM) LOCAL TIME")
_PIL = re.compile(r"^(CLI[A-Z0-9]{3})\s*$", re.M)
_WMO = re.compile(r"^([A-Z]{4}\d{2}) ([A-Z]{4}) (\d{6})", re.M)
_TEMP_ROW = re.compile(r"^\s+(MAXIMUM|MINIMUM)\s+(-?\d+|MM)(R?)\s+(\d{1,2}:?\d{2}\s+[AP]M|MM)?", re.M)


class CliParseError(ValueError):
    """A CLI product that lacks a part the settlement needs (date, period, maximum)."""


@dataclass(frozen=True)
class CliReport:
    """One parsed CLI product. Temperatures in °F; times of the extremes in local standard time."""

    cli_id: str  # e.g. CLINYC
    office: str | None  # issuing office, e.g. KOKX
    station_name: str  # e.g. CENTRAL PARK NY
    climate_date: date  # the climate day the numbers describe
    kind: str  # "final" (YESTERDAY, the morning after) or "intermediate" (TODAY, as of a time)
    issued_at: datetime  # UTC
    valid_as_of_local: str | None  # "16:00" for intermediate reports
    max_f: int | None
    max_time_lst: str | None  # "15:47"
    max_is_record: bool
    min_f: int | None
    min_time_lst: str | None
    source: str | None = None

    @property
    def is_final(self) -> bool:
        return self.kind == "final"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["climate_date"] = self.climate_date.isoformat()
        d["issued_at"] = self.issued_at.isoformat().replace("+00:00", "Z")
        return d


def _clock(text: str, ampm: str) -> tuple[int, int]:
    digits = text.replace(":", "")
    hour, minute = int(digits[:-2]), int(digits[-2:])
    if not (1 <= hour <= 12 and 0 <= minute < 60):
        raise ValueError(f"bad clock time {text} {ampm}")
    hour = hour % 12 + (12 if ampm == "PM" else 0)
    return hour, minute


def _hhmm(text: str | None) -> str | None:
    if not text or text.strip() == "MM":
        return None
    clock, ampm = text.split()
    h, m = _clock(clock, ampm)
    return f"{h:02d}:{m:02d}"


def parse_cli_text(text: str, *, source: str | None = None) -> CliReport:
    """Parse a CLI product's text (as from IEM's nwstext or a saved file).

    Raises :class:`CliParseError` naming ``source`` and the missing part.
    """
    where = source or "CLI text"
    pil = _PIL.search(text)
    if not pil:
        raise CliParseError(f"{where}: no CLIxxx product id line")
    issued = _ISSUED.search(text)
    if not issued:
        raise CliParseError(f"{where}: no issuance line like '226 AM EDT THU JUL 09 2026'")
    clock, ampm, tz, mon, day, year = issued.groups()
    if tz not in _TZ_ABBREV or mon not in _MONTHS:
        raise CliParseError(f"{where}: unknown zone or month in issuance line {issued.group(0).strip()!r}")
    h, m = _clock(clock, ampm)
    zone = timezone(timedelta(hours=_TZ_ABBREV[tz]), tz)
    issued_at = datetime(int(year), _MONTHS[mon], int(day), h, m, tzinfo=zone).astimezone(UTC)
    summary = _SUMMARY.search(text)
    if not summary:
        raise CliParseError(f"{where}: no '...THE <STATION> CLIMATE SUMMARY FOR <DATE>...' line")
    name, smon, sday, syear = summary.groups()
    if smon[:3] not in _MONTHS:
        raise CliParseError(f"{where}: unknown month {smon!r} in the summary line")
    climate_date = date(int(syear), _MONTHS[smon[:3]], int(sday))
    # the section after "TEMPERATURE (F)" says which day the table is: YESTERDAY (final) or TODAY
    temp_at = text.find("TEMPERATURE (F)")
    if temp_at < 0:
        raise CliParseError(f"{where}: no TEMPERATURE (F) table")
    section = re.search(r"^\s+(YESTERDAY|TODAY)\s*$", text[temp_at:], re.M)
    if not section:
        raise CliParseError(f"{where}: no YESTERDAY/TODAY line in the temperature table")
    kind = "final" if section.group(1) == "YESTERDAY" else "intermediate"
    valid = _VALID.search(text)
    valid_as_of = None
    if valid:
        vh, vm = _clock(valid.group(1), valid.group(2))
        valid_as_of = f"{vh:02d}:{vm:02d}"
    table = text[temp_at : temp_at + 2000]
    rows = {r.group(1): r for r in _TEMP_ROW.finditer(table)}
    if "MAXIMUM" not in rows:
        raise CliParseError(f"{where}: no MAXIMUM row in the temperature table")

    def val(r: re.Match[str] | None) -> int | None:
        return None if r is None or r.group(2) == "MM" else int(r.group(2))

    mx, mn = rows.get("MAXIMUM"), rows.get("MINIMUM")
    office = _WMO.search(text)
    return CliReport(
        cli_id=pil.group(1),
        office=office.group(2) if office else None,
        station_name=name.strip(),
        climate_date=climate_date,
        kind=kind,
        issued_at=issued_at,
        valid_as_of_local=valid_as_of,
        max_f=val(mx),
        max_time_lst=_hhmm(mx.group(4)) if mx else None,
        max_is_record=bool(mx and mx.group(3) == "R"),
        min_f=val(mn),
        min_time_lst=_hhmm(mn.group(4)) if mn else None,
        source=source,
    )


def list_products(cli_id: str, utc_day: date, *, session: Any = None, base_url: str = IEM_BASE) -> list[dict]:
    """IEM's listing of ``cli_id`` products entered on ``utc_day`` (dicts with product_id, entered)."""
    import requests

    http = session or requests
    r = http.get(f"{base_url}/api/1/nws/afos/list.json", params={"pil": cli_id, "date": utc_day.isoformat()},
                 timeout=30)
    r.raise_for_status()
    return list(r.json().get("data", []))


def fetch_product_text(product_id: str, *, session: Any = None, base_url: str = IEM_BASE) -> str:
    """Raw text of one archived product from IEM."""
    import requests

    http = session or requests
    r = http.get(f"{base_url}/api/1/nwstext/{product_id}", timeout=30)
    r.raise_for_status()
    return str(r.text)


def fetch_cli_report(cli_id: str, climate_day: date, *, session: Any = None, base_url: str = IEM_BASE) -> CliReport:
    """The best report for ``climate_day``: the latest final one if issued, else the latest intermediate.

    Looks at products entered on the climate day and the two UTC days after it (finals come the
    next local morning). Raises :class:`CliParseError` when none describes that day.
    """
    found: list[CliReport] = []
    for offset in (0, 1, 2):
        for item in list_products(cli_id, climate_day + timedelta(days=offset), session=session, base_url=base_url):
            pid = item["product_id"]
            try:
                rep = parse_cli_text(fetch_product_text(pid, session=session, base_url=base_url), source=pid)
            except CliParseError:
                continue  # a correction or a different product under the same PIL: skip, keep looking
            if rep.climate_date == climate_day:
                found.append(rep)
    if not found:
        raise CliParseError(f"{cli_id}: no CLI report for {climate_day} on IEM")
    return choose_report(found)


def choose_report(reports: list[CliReport]) -> CliReport:
    """Final beats intermediate; among equals the latest issued wins (corrections come later)."""
    return max(reports, key=lambda r: (r.is_final, r.issued_at))
