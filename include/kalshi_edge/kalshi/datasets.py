"""Lake datasets of Kalshi market data (declared once; the catalog makes DuckDB views of them).

Money and counts are ``decimal128(18, 6)`` (exact), times are UTC timestamps, partitions are
``series_ticker`` and/or the UTC ``date`` (YYYY-MM-DD) of the row. All are written with
``mode="merge"`` on their key, so a rerun for the same logical date replaces its own rows and
leaves the rest of the partition alone.
"""

from __future__ import annotations

import pyarrow as pa

from kalshi_edge.lake import Check, Dataset

DEC = pa.decimal128(18, 6)
TS = pa.timestamp("us", tz="UTC")

_STATUS = ["initialized", "inactive", "active", "closed", "determined", "disputed", "amended", "finalized",
           "unopened", "open", "paused", "settled"]

KALSHI_MARKETS = Dataset(
    name="kalshi_markets",
    schema=pa.schema([
        ("snapshot_ts", TS), ("date", pa.string()), ("series_ticker", pa.string()),
        ("event_ticker", pa.string()), ("ticker", pa.string()), ("status", pa.string()), ("result", pa.string()),
        ("strike_type", pa.string()), ("floor_strike", DEC), ("cap_strike", DEC), ("yes_sub_title", pa.string()),
        ("yes_bid", DEC), ("yes_ask", DEC), ("no_bid", DEC), ("no_ask", DEC), ("last_price", DEC),
        ("volume", DEC), ("open_interest", DEC), ("close_time", TS), ("expiration_value", pa.string()),
        ("price_level_structure", pa.string()), ("fee_waiver_expiration_time", TS), ("fetched_at", TS),
    ]),
    partition_by=("series_ticker", "date"),
    key=("snapshot_ts", "ticker"),
    checks=(
        Check.not_null("ticker"), Check.not_null("snapshot_ts"), Check.not_null("yes_bid"), Check.not_null("yes_ask"),
        Check.between("yes_bid", 0, 1), Check.between("yes_ask", 0, 1), Check.between("no_bid", 0, 1),
        Check.between("no_ask", 0, 1), Check.between("volume", 0), Check.in_set("status", _STATUS),
        Check.in_set("result", ["", "yes", "no", "scalar"]),
    ),
    description="Snapshots of Kalshi markets (quotes, status, strikes) per series, keyed on the logical snapshot time.",
)

KALSHI_CANDLESTICKS = Dataset(
    name="kalshi_candlesticks",
    schema=pa.schema([
        ("series_ticker", pa.string()), ("ticker", pa.string()), ("period_minutes", pa.int32()),
        ("end_period_ts", TS), ("date", pa.string()),
        ("open", DEC), ("high", DEC), ("low", DEC), ("close", DEC), ("mean", DEC), ("previous", DEC),
        ("yes_bid_close", DEC), ("yes_ask_close", DEC), ("volume", DEC), ("open_interest", DEC),
    ]),
    partition_by=("series_ticker", "date"),
    key=("ticker", "period_minutes", "end_period_ts"),
    checks=(
        Check.not_null("ticker"), Check.not_null("end_period_ts"), Check.in_set("period_minutes", [1, 60, 1440]),
        Check.between("open", 0, 1), Check.between("high", 0, 1), Check.between("low", 0, 1),
        Check.between("close", 0, 1), Check.between("volume", 0),
        Check.custom("high_ge_low", lambda df: df["high"].isna() | df["low"].isna() | (df["high"] >= df["low"]),
                     "high < low"),
    ),
    description="Kalshi market candlesticks (trade price OHLC, closing YES bid/ask, volume) per period.",
)

KALSHI_TRADES = Dataset(
    name="kalshi_trades",
    schema=pa.schema([
        ("trade_id", pa.string()), ("series_ticker", pa.string()), ("ticker", pa.string()),
        ("created_time", TS), ("date", pa.string()), ("yes_price", DEC), ("no_price", DEC), ("count", DEC),
        ("taker_side", pa.string()),
    ]),
    partition_by=("series_ticker", "date"),
    key=("trade_id",),
    checks=(
        Check.not_null("trade_id"), Check.not_null("created_time"), Check.between("yes_price", 0, 1),
        Check.between("count", 0, strict_min=True), Check.in_set("taker_side", ["yes", "no", ""]),
        Check.custom("prices_sum_to_one", lambda df: df["yes_price"].isna() | df["no_price"].isna()
                     | ((df["yes_price"] + df["no_price"]) == 1), "yes_price + no_price != 1"),
    ),
    description="Public Kalshi trades.",
)

KALSHI_ORDERBOOK_SNAPSHOTS = Dataset(
    name="kalshi_orderbook_snapshots",
    schema=pa.schema([
        ("snapshot_ts", TS), ("date", pa.string()), ("series_ticker", pa.string()), ("ticker", pa.string()),
        ("side", pa.string()), ("level", pa.int32()), ("price", DEC), ("count", DEC),
    ]),
    partition_by=("series_ticker", "date"),
    key=("snapshot_ts", "ticker", "side", "price"),
    checks=(
        Check.in_set("side", ["yes", "no"]), Check.between("price", 0, 1, strict_min=True, strict_max=True),
        Check.between("count", 0, strict_min=True), Check.between("level", 0),
    ),
    description="Resting bids per level (YES and NO books; a NO bid at p is a YES ask at 1-p) at snapshot times.",
)

KALSHI_WS_JOURNAL = Dataset(
    name="kalshi_ws_journal",
    schema=pa.schema([
        ("session", pa.string()), ("frame_no", pa.int64()), ("recv_ts", TS), ("date", pa.string()),
        ("direction", pa.string()), ("type", pa.string()), ("sid", pa.int64()), ("seq", pa.int64()),
        ("market_ticker", pa.string()), ("frame", pa.string()),
    ]),
    partition_by=("date",),
    key=("session", "frame_no"),
    checks=(Check.not_null("frame"), Check.not_null("recv_ts"), Check.in_set("direction", ["in", "out"])),
    description="Every raw WebSocket frame of a session with its receive time (replayable).",
)

KALSHI_FORECAST_PERCENTILES = Dataset(
    name="kalshi_forecast_percentiles",
    schema=pa.schema([
        ("series_ticker", pa.string()), ("event_ticker", pa.string()), ("period_interval", pa.int32()),
        ("end_period_ts", TS), ("date", pa.string()), ("percentile", pa.int32()), ("value", DEC),
        ("formatted", pa.string()), ("fetched_at", TS),
    ]),
    partition_by=("series_ticker", "date"),
    key=("event_ticker", "period_interval", "end_period_ts", "percentile"),
    checks=(
        Check.not_null("event_ticker"), Check.not_null("end_period_ts"), Check.not_null("value"),
        Check.between("percentile", 0, 10000), Check.in_set("period_interval", [0, 1, 60, 1440]),
    ),
    description="Kalshi's forecast percentile history per event (GET /series/{s}/events/{e}/forecast_percentile_history; "
                "percentile in basis points; the market's own forecast of the underlying).",
)

KALSHI_WEATHER_INDEX = Dataset(
    name="kalshi_weather_index",
    schema=pa.schema([
        ("city", pa.string()), ("t", TS), ("date", pa.string()), ("value", DEC), ("status", pa.string()),
        ("units", pa.string()), ("fetched_at", TS),
    ]),
    partition_by=("city", "date"),
    key=("city", "t"),
    checks=(Check.not_null("city"), Check.not_null("t"), Check.between("value", -100, 150)),
    description="Kalshi's live weather index per city (GET /live_data/weather/{city}), degrees in `units`.",
)
