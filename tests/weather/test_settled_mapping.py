"""Recorded settled KXHIGHNY/KXHIGHMIA contracts (2021-2024) mapped through the contract semantics
against the GHCN TMAX of the day reproduce Kalshi's recorded result."""

from __future__ import annotations

import pandas as pd
import pytest

from kalshi_edge.families.weather.evaluate import read_tmax_csv
from kalshi_edge.families.weather.settled import map_settled, market_from_settled_row
from kalshi_edge.kalshi.semantics import IntInterval, payout_interval


@pytest.fixture(scope="module")
def mapped(fixtures_dir):
    settled = pd.read_csv(fixtures_dir / "highest_temp_settled_2021_2024.csv.gz", dtype=str, keep_default_na=False)
    tmax = pd.concat([read_tmax_csv(fixtures_dir / f"tmax_{s}.csv.gz") for s in ("KNYC", "KMIA")])
    return map_settled(settled, tmax)


def test_at_least_99_percent_of_settled_rows_match(mapped):
    counts = mapped["status"].value_counts().to_dict()
    bad = mapped[mapped["status"] != "match"]
    print(f"\nstatus counts: {counts}")
    print(bad[["date", "series", "contract_subtitle", "market_type", "result", "tmax_f", "interval", "status", "reason"]]
          .to_string())
    assert len(mapped) == 9428
    assert counts.get("match", 0) / len(mapped) >= 0.99
    assert counts.get("no_tmax", 0) == 0  # every settled day has a TMAX row


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"market_type": "range", "temp_low": "57.0", "temp_high": "58.0", "contract_subtitle": "57-58°"}, IntInterval(57, 58)),
        ({"market_type": "above", "temp_low": "49.0", "temp_high": "149.0", "contract_subtitle": "49° or above"},
         IntInterval(49, None)),
        ({"market_type": "below", "temp_low": "-60.0", "temp_high": "40.0", "contract_subtitle": "40° or below"},
         IntInterval(None, 40)),
        ({"market_type": "unknown", "temp_low": "", "temp_high": "", "contract_subtitle": ">86°"}, IntInterval(87, None)),
        ({"market_type": "unknown", "temp_low": "", "temp_high": "", "contract_subtitle": "<82°"}, IntInterval(None, 81)),
    ],
)
def test_row_types_map_to_integer_intervals(row, expected):
    base = {"date": "2023-01-31", "series": "KXHIGHNY", "result": "yes"}
    assert payout_interval(market_from_settled_row({**base, **row})) == expected
