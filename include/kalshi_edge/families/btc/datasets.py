"""Lake datasets of the BTC family (the DuckDB catalog imports this module to create views).

* ``btc_bars``: spot price bars (documented CSV layout or Coinbase candles), one row per
  (interval, ts); partitioned by bar interval and UTC date.
* ``btc_ticks``: Coinbase WebSocket ticker messages as recorded.
* ``btc_edge_snapshots``: every market priced by the hourly edge job, with its skip reason.
* ``btc_opportunities``: the selected (market, side, action) rows with positive EV after fees.

Spot prices are floats (model inputs, never paid); every Kalshi price, fee and EV is
``decimal128(18, 6)``.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from kalshi_edge.lake import Check, Dataset

MONEY = pa.decimal128(18, 6)
TS = pa.timestamp("us", tz="UTC")
#: Bounds on a bar's values: a BTC price above $10M, or a bar volume above 1e15 (sources give
#: volume in BTC or in quote-currency units; the sample's largest is ~1e8), is a corrupt row
#: (e.g. ``1e300``), not a market move.
MAX_PRICE_USD = 10_000_000.0
MAX_VOLUME = 1e15


def _in_file_order(df: pd.DataFrame) -> pd.Series:
    """True unless the row's ts is earlier than some row before it (file order = frame order)."""
    ts = pd.to_datetime(df["ts"], utc=True)
    prev_max = ts.cummax().shift(1)
    return ~(ts < prev_max).fillna(False)


BTC_BARS = Dataset(
    name="btc_bars",
    schema=pa.schema(
        [
            ("ts", TS),
            ("open", pa.float64()),
            ("high", pa.float64()),
            ("low", pa.float64()),
            ("close", pa.float64()),
            ("volume", pa.float64()),
            ("source", pa.string()),
            ("interval", pa.string()),
            ("date", pa.string()),
        ]
    ),
    partition_by=("interval", "date"),
    key=("interval", "ts"),
    checks=(
        Check.not_null("ts"),
        Check.not_null("close"),
        Check.between("close", min_value=0, max_value=MAX_PRICE_USD, strict_min=True),
        Check.between("open", min_value=0, max_value=MAX_PRICE_USD, strict_min=True),
        Check.between("high", min_value=0, max_value=MAX_PRICE_USD, strict_min=True),
        Check.between("low", min_value=0, max_value=MAX_PRICE_USD, strict_min=True),
        Check.between("volume", min_value=0, max_value=MAX_VOLUME),
        Check.custom("in_order", _in_file_order, "out-of-order row (ts earlier than a previous row)"),
    ),
    description="BTC-USD spot bars: ts is the bar's timestamp as given (Coinbase: bucket start), UTC.",
)

BTC_TICKS = Dataset(
    name="btc_ticks",
    schema=pa.schema(
        [
            ("ts", TS),
            ("product_id", pa.string()),
            ("sequence", pa.int64()),
            ("price", pa.float64()),
            ("best_bid", pa.float64()),
            ("best_ask", pa.float64()),
            ("last_size", pa.float64()),
            ("trade_id", pa.int64()),
            ("received_ts", TS),
            ("date", pa.string()),
        ]
    ),
    partition_by=("date",),
    key=("product_id", "sequence"),
    checks=(Check.not_null("price"), Check.between("price", min_value=0, strict_min=True)),
    description="Coinbase Exchange ticker channel messages (public WebSocket), as received.",
)

BTC_EDGE_SNAPSHOTS = Dataset(
    name="btc_edge_snapshots",
    schema=pa.schema(
        [
            ("as_of", TS),
            ("event_ticker", pa.string()),
            ("market_ticker", pa.string()),
            ("close_ts", TS),
            ("region_low", pa.float64()),
            ("region_high", pa.float64()),
            ("spot", pa.float64()),
            ("spot_ts", TS),
            ("sigma", pa.float64()),
            ("p_yes", pa.float64()),
            ("yes_bid", MONEY),
            ("yes_ask", MONEY),
            ("no_bid", MONEY),
            ("no_ask", MONEY),
            ("yes_ask_size", MONEY),
            ("no_ask_size", MONEY),
            ("quote_ts", TS),
            ("fee_yes_taker", MONEY),
            ("fee_no_taker", MONEY),
            ("ev_yes_taker", MONEY),
            ("ev_no_taker", MONEY),
            ("ev_yes_maker", MONEY),
            ("ev_no_maker", MONEY),
            ("selected", pa.bool_()),
            ("skip_reason", pa.string()),
            ("model_version", pa.string()),
            ("date", pa.string()),
        ]
    ),
    partition_by=("date",),
    key=("as_of", "market_ticker"),
    checks=(
        Check.not_null("market_ticker"),
        Check.between("p_yes", min_value=0, max_value=1),
        Check.custom(
            "skip_reason_when_not_selected",
            lambda df: df["selected"].fillna(False).astype(bool) | df["skip_reason"].fillna("").astype(str).ne(""),
            "market not selected without a skip reason",
        ),
    ),
    description="Per market and run: model probability, quotes, fees, EV per contract, selection + skip reason.",
)

BTC_OPPORTUNITIES = Dataset(
    name="btc_opportunities",
    schema=pa.schema(
        [
            ("as_of", TS),
            ("event_ticker", pa.string()),
            ("market_ticker", pa.string()),
            ("close_ts", TS),
            ("side", pa.string()),
            ("action", pa.string()),
            ("price", MONEY),
            ("fee", MONEY),
            ("ev", MONEY),
            ("p_yes", pa.float64()),
            ("model_version", pa.string()),
            ("date", pa.string()),
        ]
    ),
    partition_by=("date",),
    key=("as_of", "market_ticker", "side", "action"),
    checks=(
        Check.in_set("side", ["yes", "no"]),
        Check.in_set("action", ["taker", "maker"]),
        Check.between("price", min_value=0, max_value=1, strict_min=True, strict_max=True),
    ),
    description="Opportunity ledger: selected markets with EV per contract above the threshold after fees.",
)
