"""Load recorded books into one time-ordered frame of top-of-book updates.

Supported input: the KXHIGHNY top-of-book logs (``market_data_<EVENT>.csv(.gz)``: ``timestamp,
market_ticker, best_yes_bid, best_no_bid, implied_no_ask, implied_yes_ask``, cents). Their
timestamps carry **no zone and are US Pacific** (the 10:00 ET open shows as 07:00); we localize
them to America/Los_Angeles and convert to UTC. Rows whose local time does not exist or is
ambiguous (DST switches) are dropped and counted, never guessed.

The frame: ``ts`` (datetime64[ns, UTC]), ``ticker``, ``yes_bid_c``, ``yes_ask_c`` (int cents,
0 = no bid, 100 = no ask), ``source`` (file name). Sorted by ``ts`` (stable: file order breaks ties).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

RECORDED_TZ = "America/Los_Angeles"
TOB_COLUMNS = ("timestamp", "market_ticker", "best_yes_bid", "best_no_bid", "implied_no_ask", "implied_yes_ask")


class BookFormatError(ValueError):
    """A recorded book file is not in a supported format. Names file, row and field."""


@dataclass(frozen=True, slots=True)
class LoadReport:
    files: int
    rows: int
    dropped_bad_time: int
    dropped_bad_price: int


def _check_cents(df: pd.DataFrame, col: str, path: Path) -> None:
    bad = df[col].isna() | (df[col] < 0) | (df[col] > 100)
    if bad.any():
        i = int(bad.idxmax())
        raise BookFormatError(f"{path}: row {i + 2}: field {col}={df.at[i, col]!r} is not a price in cents 0..100")


def load_top_of_book(paths: Sequence[Path | str]) -> tuple[pd.DataFrame, LoadReport]:
    """Read top-of-book logs into one UTC frame (see the module docstring)."""
    frames = []
    dropped_t = dropped_p = 0
    for raw in paths:
        path = Path(raw)
        if not path.is_file():
            raise FileNotFoundError(f"book file not found: {path}")
        df = pd.read_csv(path)
        missing = [c for c in TOB_COLUMNS if c not in df.columns]
        if missing:
            raise BookFormatError(f"{path}: missing column(s) {', '.join(missing)} (expected {', '.join(TOB_COLUMNS)})")
        for col in ("best_yes_bid", "implied_yes_ask"):
            df[col] = pd.to_numeric(df[col], errors="coerce")
            _check_cents(df, col, path)
        naive = pd.to_datetime(df["timestamp"], format="ISO8601", errors="coerce")
        if naive.isna().any():
            i = int(naive.isna().idxmax())
            raise BookFormatError(f"{path}: row {i + 2}: field timestamp={df.at[i, 'timestamp']!r} is not a time")
        local = naive.dt.tz_localize(RECORDED_TZ, ambiguous="NaT", nonexistent="NaT")
        ok = local.notna()
        dropped_t += int((~ok).sum())
        out = pd.DataFrame({
            "ts": local[ok].dt.tz_convert("UTC"),
            "ticker": df.loc[ok, "market_ticker"].astype(str),
            "yes_bid_c": df.loc[ok, "best_yes_bid"].astype("int64"),
            "yes_ask_c": df.loc[ok, "implied_yes_ask"].astype("int64"),
            "source": path.name,
        })
        # A crossed/locked recorded touch (bid ≥ ask with both sides present) cannot be a book.
        crossed = (out["yes_bid_c"] > 0) & (out["yes_ask_c"] < 100) & (out["yes_bid_c"] >= out["yes_ask_c"])
        dropped_p += int(crossed.sum())
        frames.append(out[~crossed])
    if not frames:
        raise BookFormatError("no book files given")
    frame = pd.concat(frames, ignore_index=True).sort_values("ts", kind="stable").reset_index(drop=True)
    return frame, LoadReport(files=len(frames), rows=len(frame), dropped_bad_time=dropped_t, dropped_bad_price=dropped_p)


_WEATHER_EVENT = re.compile(r"^KXHIGH[A-Z]+-(\d{2})([A-Z]{3})(\d{2})-")
_MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}


def contract_close_time(ticker: str) -> datetime | None:
    """Close time known from the contract terms (not from the data, so no look-ahead).

    Highest-temperature markets stop trading at 23:59 Eastern on the event date (KALSHI_API.md;
    the fixture's ``close_time`` 04:59Z on the next day in summer); we use 04:59Z the next day all
    year, which in winter (EST) is one hour *earlier* than the true close — conservative.
    Other tickers: None (no time-to-close gate).
    """
    m = _WEATHER_EVENT.match(ticker.upper())
    if not m:
        return None
    yy, mon, dd = m.groups()
    day = datetime(2000 + int(yy), _MONTHS[mon], int(dd), tzinfo=UTC)
    return day + timedelta(days=1, hours=4, minutes=59)
