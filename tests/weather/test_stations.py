"""Station registry: the seven original KXHIGH series and the climate-day clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from kalshi_edge.families.weather.stations import RegistryError, load_registry


def test_original_series_map_to_their_settlement_stations():
    reg = load_registry()
    expected = {
        "KXHIGHNY": ("KNYC", "CLINYC"), "KXHIGHCHI": ("KMDW", "CLIMDW"), "KXHIGHMIA": ("KMIA", "CLIMIA"),
        "KXHIGHLAX": ("KLAX", "CLILAX"), "KXHIGHDEN": ("KDEN", "CLIDEN"), "KXHIGHAUS": ("KAUS", "CLIAUS"),
        "KXHIGHPHIL": ("KPHL", "CLIPHL"),
    }
    got = {k: (s.icao, s.cli_id) for k, s in reg.by_series().items()}
    assert got == expected
    assert reg.get("clinyc").ghcn_id == "USW00094728"  # the GHCN id of the TMAX fixture
    assert reg.get("KMIA").ghcn_id == "USW00012839"
    assert not reg.get("KXHIGHNY").trusts("visual_crossing")


def test_standard_offsets_match_the_zone_in_winter():
    for s in load_registry().stations:
        winter = datetime(2026, 1, 15, 12, tzinfo=ZoneInfo(s.tz)).utcoffset()
        assert winter is not None and winter.total_seconds() / 3600 == s.std_utc_offset_hours, s.icao


def test_climate_day_is_standard_time_even_in_summer():
    nyc = load_registry().get("KXHIGHNY")
    start, end = nyc.climate_day_bounds(date(2026, 7, 9))
    assert start == datetime(2026, 7, 9, 5, 0, tzinfo=UTC)  # 01:00 EDT wall clock
    assert end == datetime(2026, 7, 10, 5, 0, tzinfo=UTC)
    # 00:30 EDT on Jul 10 is 23:30 EST on Jul 9: still the 9th's climate day
    assert nyc.climate_day_of(datetime(2026, 7, 10, 4, 30, tzinfo=UTC)) == date(2026, 7, 9)


def test_bad_registry_names_entry_and_field(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("stations:\n  - {series: X, city: A, name: B, icao: KXXX, cli_id: XYZ, wfo: W, ghcn_id: G,"
                 " tz: UTC, std_utc_offset_hours: 0, trust: {}}\n")
    with pytest.raises(RegistryError, match=r"station #1: field 'cli_id'"):
        load_registry(p)
