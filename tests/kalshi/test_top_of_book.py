"""The one reader of recorded top-of-book logs (used by the backtester and the simulator)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kalshi_edge.config import SAMPLE_DIR
from kalshi_edge.kalshi.top_of_book import BookFormatError, read_top_of_book

REAL = SAMPLE_DIR / "kalshi" / "top_of_book" / "market_data_KXHIGHNY-25DEC06.csv.gz"


def test_real_log_is_read_in_utc_with_integer_cents():
    frame, dropped = read_top_of_book(REAL)
    assert dropped == 0 and len(frame) > 10_000
    first = frame.iloc[0]
    # 2025-12-05T07:01:30 Pacific (the 10:00 ET open) = 15:01:30 UTC
    assert first["ts"].to_pydatetime().replace(microsecond=0) == datetime(2025, 12, 5, 15, 1, 30, tzinfo=UTC)
    assert (first["ticker"], first["yes_bid_c"], first["no_bid_c"]) == ("KXHIGHNY-25DEC06-B43.5", 0, 37)
    assert frame["ts"].is_monotonic_increasing


def test_dst_ambiguous_times_are_dropped_and_empty_bids_mean_no_bid(tmp_path):
    # Synthetic: the recorded logs hold no DST switch and no empty cell.
    path = tmp_path / "tob.csv"
    path.write_text(
        "timestamp,market_ticker,best_yes_bid,best_no_bid\n"
        "2025-11-02T00:59:00,X-T1,10,85\n"
        "2025-11-02T01:30:00,X-T1,11,84\n"  # happens twice in Pacific time that night
        "2025-11-02T02:30:00,X-T1,,84\n"
    )
    frame, dropped = read_top_of_book(path)
    assert dropped == 1
    assert list(frame["yes_bid_c"]) == [10, 0]


def test_bad_cell_names_file_row_and_field(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("timestamp,market_ticker,best_yes_bid,best_no_bid\n2025-12-04T12:00:00,X,12.5,3\n")
    with pytest.raises(BookFormatError, match=r"bad\.csv: row 1 field best_yes_bid: '12\.5'"):
        read_top_of_book(path)
