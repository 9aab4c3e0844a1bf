"""Shared fixtures: the real BTC sample bars shipped in data/sample/btc (14 days of 5-minute bars)."""

from pathlib import Path

import pandas as pd
import pytest

from kalshi_edge.families.btc.bars import read_bars_csv

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_BARS = ROOT / "data" / "sample" / "btc" / "btcusd_5m_2026-02-21_2026-03-06.csv.gz"


@pytest.fixture(scope="session")
def sample_bars() -> pd.DataFrame:
    return read_bars_csv(SAMPLE_BARS)
