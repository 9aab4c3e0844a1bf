"""Datasets owned by the shared `sources` package (family-specific ones live with each family)."""

from __future__ import annotations

import pyarrow as pa

from kalshi_edge.lake import Check, Dataset

KALSHI_SETTLED_TEMPS = Dataset(
    name="kalshi_settled_temps",
    description=(
        "Settled Kalshi highest-temperature contracts (history import): one row per contract with "
        "its subtitle, bracket, last traded price and result. Partitioned by settlement month. "
        "The source marks an open upper bound ('above' contracts) as temp_high = temp_low + 100."
    ),
    schema=pa.schema(
        [
            ("date", pa.date32()),
            ("city", pa.string()),
            ("series", pa.string()),
            ("contract_subtitle", pa.string()),
            ("market_type", pa.string()),
            ("temp_low", pa.float64()),
            ("temp_high", pa.float64()),
            ("last_price_cents", pa.int64()),
            ("volume", pa.int64()),
            ("result", pa.string()),
            ("month", pa.string()),
        ]
    ),
    partition_by=("month",),
    key=("date", "series", "contract_subtitle"),
    checks=(
        Check.not_null("date"),
        Check.not_null("series"),
        Check.not_null("contract_subtitle"),
        Check.matches("series", r"KX[A-Z0-9]+"),
        Check.in_set("market_type", ["range", "above", "below", "unknown"]),
        Check.between("last_price_cents", 0, 100),
        Check.between("volume", 0),
        Check.in_set("result", ["yes", "no"]),
        Check.not_null("result"),
        Check.between("temp_low", -80, 140),
        Check.between("temp_high", -80, 240),  # + 100 sentinel for open upper bounds
    ),
)
