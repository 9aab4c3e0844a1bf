"""Fixtures of the weather tests: real recorded data copied from /work/shared (see SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

WEATHER_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "weather"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return WEATHER_FIXTURES


@pytest.fixture(scope="session")
def knyc_tmax():
    from kalshi_edge.families.weather.evaluate import read_tmax_csv

    return read_tmax_csv(WEATHER_FIXTURES / "tmax_KNYC.csv.gz")
