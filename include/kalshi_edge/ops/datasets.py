"""Lake datasets of the operations area.

* ``ops_readiness``: the daily go-live readiness evaluation, one row per (date, family, series,
  criterion), written by the ``ops_readiness`` DAG (:func:`kalshi_edge.ops.readiness.run_daily_readiness`).
"""

from __future__ import annotations

import pyarrow as pa

from kalshi_edge.lake import Check, Dataset

OPS_READINESS = Dataset(
    name="ops_readiness",
    schema=pa.schema([
        ("date", pa.string()),
        ("as_of", pa.timestamp("us", tz="UTC")),
        ("family", pa.string()),
        ("series", pa.string()),
        ("criterion", pa.string()),
        ("value", pa.float64()),
        ("threshold", pa.string()),
        ("passed", pa.bool_()),
        ("detail", pa.string()),
        ("family_ready", pa.bool_()),
    ]),
    partition_by=("date",),
    key=("date", "family", "series", "criterion"),
    checks=(
        Check.in_set("family", ["btc", "weather", "billboard"]),
        Check.in_set("criterion", ["clean_data_days", "backtest_sharpe", "paper_win_rate", "max_drawdown",
                                   "daily_loss_cap", "sensor_uptime", "alerts_configured"]),
    ),
    description="Daily go-live readiness per family, series and criterion: value, threshold, pass/fail.",
)
