"""Lake datasets of the Billboard family (the DuckDB catalog imports this module to create views).

* ``billboard_charts``: Hot 100 chart entries (documented CSV layout + identity ids), one row per
  (chart_date, this_week); partitioned by chart year.
* ``billboard_signals``: daily streaming/search/video/market signals per song id, one row per
  (signal, date, song_id); partitioned by signal and month.
* ``billboard_predictions``: the weekly #1 probabilities (contenders + ``__OTHER__``).
* ``billboard_edges``: KXTOPSONG markets matched to contenders, with match confidence, fees and edge.

Probabilities and signal values are floats; Kalshi prices, fees and edges are ``decimal128(18, 6)``.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from kalshi_edge.lake import Check, Dataset

MONEY = pa.decimal128(18, 6)
DATE_RE = r"^\d{4}-\d{2}-\d{2}$"


def _peak_not_worse_than_rank(df: pd.DataFrame) -> pd.Series:
    """A song's peak position can never be worse (larger) than its rank this week."""
    return ~(pd.to_numeric(df["peak_position"]) > pd.to_numeric(df["this_week"])).fillna(False)


BILLBOARD_CHARTS = Dataset(
    name="billboard_charts",
    schema=pa.schema([
        ("chart_date", pa.string()),
        ("this_week", pa.int16()),
        ("song", pa.string()),
        ("artist", pa.string()),
        ("last_week", pa.int16()),
        ("peak_position", pa.int16()),
        ("weeks_on_chart", pa.int16()),
        ("song_id", pa.string()),
        ("artist_id", pa.string()),
        ("source", pa.string()),
        ("year", pa.string()),
    ]),
    partition_by=("year",),
    key=("chart_date", "this_week"),
    checks=(
        Check.not_null("chart_date"),
        Check.matches("chart_date", DATE_RE),
        Check.not_null("this_week"),
        Check.not_null("peak_position"),
        Check.not_null("weeks_on_chart"),
        Check.not_null("song"),
        Check.not_null("artist"),
        Check.between("this_week", min_value=1, max_value=100),
        Check.between("last_week", min_value=1, max_value=100),
        Check.between("peak_position", min_value=1, max_value=100),
        Check.between("weeks_on_chart", min_value=1, max_value=200),
        Check.custom("peak_le_rank", _peak_not_worse_than_rank, "peak_position worse than this_week"),
    ),
    description="Billboard Hot 100 chart entries (one row per chart date and rank) with normalized song ids.",
)

BILLBOARD_SIGNALS = Dataset(
    name="billboard_signals",
    schema=pa.schema([
        ("date", pa.string()),
        ("song_id", pa.string()),
        ("signal", pa.string()),
        ("value", pa.float64()),
        ("source", pa.string()),
        ("month", pa.string()),
    ]),
    partition_by=("signal", "month"),
    key=("signal", "date", "song_id"),
    checks=(
        Check.matches("date", DATE_RE),
        Check.not_null("song_id"),
        Check.not_null("value"),
        Check.between("value", min_value=0),
    ),
    description="Daily per-song signals: spotify_popularity, spotify_streams, trends_interest, youtube_views, kalshi_mid.",
)

BILLBOARD_PREDICTIONS = Dataset(
    name="billboard_predictions",
    schema=pa.schema([
        ("chart_date", pa.string()),
        ("song", pa.string()),
        ("artist", pa.string()),
        ("song_id", pa.string()),
        ("last_rank", pa.int16()),
        ("p_number_one", pa.float64()),
        ("p_baseline", pa.float64()),
        ("model", pa.string()),
    ]),
    partition_by=("chart_date",),
    key=("chart_date", "song_id"),
    checks=(
        Check.between("p_number_one", min_value=0, max_value=1),
        Check.between("p_baseline", min_value=0, max_value=1),
    ),
    description="Weekly P(#1) per contender plus the __OTHER__ remainder; sums to 1 per chart_date.",
)

BILLBOARD_EDGES = Dataset(
    name="billboard_edges",
    schema=pa.schema([
        ("chart_date", pa.string()),
        ("market_ticker", pa.string()),
        ("market_title", pa.string()),
        ("song_id", pa.string()),
        ("song", pa.string()),
        ("match_score", pa.float64()),
        ("p_model", pa.float64()),
        ("yes_ask", MONEY),
        ("no_ask", MONEY),
        ("edge_yes", MONEY),
        ("edge_no", MONEY),
        ("side", pa.string()),
        ("tradable", pa.bool_()),
        ("reason", pa.string()),
    ]),
    partition_by=("chart_date",),
    key=("chart_date", "market_ticker"),
    checks=(Check.between("match_score", min_value=0, max_value=100), Check.in_set("side", ["yes", "no", "none"])),
    description="KXTOPSONG markets matched to contenders: match confidence, prices, edge after fees per contract.",
)
