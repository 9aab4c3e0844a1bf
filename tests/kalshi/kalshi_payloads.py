"""Recorded Kalshi REST payloads for the tests (a uniquely named helper module, not conftest:
several test folders have a conftest.py and ``import conftest`` would be ambiguous)."""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kalshi_rest"


def load_fixture(name: str):
    """A recorded Kalshi REST payload from tests/fixtures/kalshi_rest/."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))
