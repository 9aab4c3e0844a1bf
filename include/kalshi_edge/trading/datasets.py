"""Lake datasets of the execution area (the DuckDB catalog imports this module to create views).

* ``trading_pnl``: realized PnL net of fees per market, written by the daily settlement job for
  each settled market the ledger traded; one row per (settled_date, ticker). Money is
  ``decimal128(18, 6)``.
* ``trading_prediction_scores``: every filled order's model probability scored against the
  settled result (Brier), one row per client_order_id.

The order ledger itself is an append-only JSONL journal (see :mod:`kalshi_edge.trading.ledger`
for why), readable from DuckDB through :func:`~kalshi_edge.trading.ledger.ledger_view_sql`.
"""

from __future__ import annotations

import pyarrow as pa

from kalshi_edge.lake import Check, Dataset

MONEY = pa.decimal128(18, 6)

TRADING_PNL = Dataset(
    name="trading_pnl",
    schema=pa.schema([
        ("settled_date", pa.string()),
        ("ticker", pa.string()),
        ("event_ticker", pa.string()),
        ("family", pa.string()),
        ("result", pa.string()),
        ("contracts_traded", MONEY),
        ("fees", MONEY),
        ("realized_pnl_gross", MONEY),
        ("realized_pnl_net", MONEY),
    ]),
    partition_by=("settled_date",),
    key=("settled_date", "ticker"),
    checks=(
        Check.not_null("ticker"),
        Check.in_set("result", ["yes", "no"]),
        Check.between("fees", min_value=0),
    ),
    description="Realized PnL net of fees per settled market traded by the ledger.",
)

TRADING_PREDICTION_SCORES = Dataset(
    name="trading_prediction_scores",
    schema=pa.schema([
        ("settled_date", pa.string()),
        ("client_order_id", pa.string()),
        ("strategy", pa.string()),
        ("family", pa.string()),
        ("ticker", pa.string()),
        ("side", pa.string()),
        ("p_yes", pa.float64()),
        ("outcome_yes", pa.int8()),
        ("brier", pa.float64()),
    ]),
    partition_by=("settled_date",),
    key=("client_order_id",),
    checks=(
        Check.between("p_yes", min_value=0, max_value=1),
        Check.in_set("outcome_yes", [0, 1]),
    ),
    description="Model probability behind each filled order, scored (Brier) against the result.",
)
