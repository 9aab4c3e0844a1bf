"""Load recorded books into one time-ordered frame of top-of-book updates.

:func:`load_books` picks the reader by file name: ``*.csv(.gz)`` top-of-book logs,
``*.jsonl`` WebSocket journals (:mod:`kalshi_edge.kalshi.journal`), ``*.json`` REST
candlestick responses. Prices must be whole cents (linear-cent markets): the replay works in
integer cents; a sub-cent price is refused with the file and field named, never rounded.

Top-of-book logs are read by :func:`kalshi_edge.kalshi.top_of_book.read_top_of_book` (the one
reader of that format: Pacific timestamps to UTC, DST-ambiguous rows dropped and counted).

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

from kalshi_edge.kalshi.top_of_book import BookFormatError, read_top_of_book

__all__ = ["BookFormatError", "LoadReport", "contract_close_time", "load_books", "load_top_of_book"]


@dataclass(frozen=True, slots=True)
class LoadReport:
    files: int
    rows: int
    dropped_bad_time: int
    dropped_bad_price: int

def load_top_of_book(paths: Sequence[Path | str]) -> tuple[pd.DataFrame, LoadReport]:
    """Read top-of-book logs into one UTC frame (see the module docstring)."""
    frames = []
    dropped_t = dropped_p = 0
    for raw in paths:
        path = Path(raw)
        tob, dropped = read_top_of_book(path)
        dropped_t += dropped
        out = pd.DataFrame({
            "ts": tob["ts"],
            "ticker": tob["ticker"].astype(str),
            "yes_bid_c": tob["yes_bid_c"],
            "yes_ask_c": 100 - tob["no_bid_c"],  # a NO bid at p is a YES ask at 1 - p
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


def _frame(rows: list[tuple[pd.Timestamp, str, int, int]], source: str) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["ts", "ticker", "yes_bid_c", "yes_ask_c"])
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    df["source"] = source
    return df


def _cents(price: object, where: str) -> int:
    from decimal import Decimal

    d = Decimal(str(price)) * 100
    if d != d.to_integral_value() or not 0 <= d <= 100:
        raise BookFormatError(f"{where}: price {price} is not a whole number of cents in 0..1 (sub-cent "
                              "books are not supported by the replay)")
    return int(d)


def load_ws_journal(path: Path | str) -> pd.DataFrame:
    """Top of book after every order-book message of a WebSocket journal (receive time, UTC).

    Frames go through the client's :class:`~kalshi_edge.kalshi.ws.BookKeeper`, so ``seq`` gaps
    drop a market's book until its next snapshot: no row is emitted from a book known to be wrong.
    """
    from kalshi_edge.kalshi.journal import book_updates, replay

    p = Path(path)
    last: dict[str, tuple[int, int]] = {}
    rows: list[tuple[pd.Timestamp, str, int, int]] = []
    for i, recv_ts_ms, ticker, book in book_updates((e.recv_ts_ms, e.frame) for e in replay(p)):
        where = f"{p}: frame {i} ({ticker})"
        bid = _cents(book.best_yes_bid, where) if book.best_yes_bid is not None else 0
        ask = _cents(book.best_yes_ask, where) if book.best_yes_ask is not None else 100
        if last.get(ticker) != (bid, ask):
            last[ticker] = (bid, ask)
            rows.append((pd.Timestamp(recv_ts_ms, unit="ms", tz="UTC"), ticker, bid, ask))
    return _frame(rows, p.name)


def load_candlesticks(path: Path | str) -> pd.DataFrame:
    """Top of book at each candle's end from a REST candlestick response with its ``ticker``
    (``{"ticker": ..., "candlesticks": [{"end_period_ts", "yes_bid": {"close_dollars"}, "yes_ask": ...}]}``).

    Coarse (one quote per period) but real: the close of the bid and ask candles at the period end.
    """
    import json

    p = Path(path)
    try:
        body = json.loads(p.read_text())
    except ValueError as exc:
        raise BookFormatError(f"{p}: not JSON ({exc})") from None
    ticker = body.get("ticker") if isinstance(body, dict) else None
    if not ticker or not isinstance(body.get("candlesticks"), list):
        raise BookFormatError(f"{p}: expected an object with 'ticker' and 'candlesticks'")
    rows = []
    for i, c in enumerate(body["candlesticks"]):
        where = f"{p}: candlesticks[{i}]"
        try:
            ts = pd.Timestamp(int(c["end_period_ts"]), unit="s", tz="UTC")
            bid = c["yes_bid"].get("close_dollars")
            ask = c["yes_ask"].get("close_dollars")
        except (KeyError, TypeError, ValueError, AttributeError):
            raise BookFormatError(f"{where}: needs end_period_ts, yes_bid.close_dollars, yes_ask.close_dollars") from None
        rows.append((ts, ticker, _cents(bid, f"{where}.yes_bid") if bid is not None else 0,
                     _cents(ask, f"{where}.yes_ask") if ask is not None else 100))
    return _frame(rows, p.name)


def load_books(paths: Sequence[Path | str]) -> tuple[pd.DataFrame, LoadReport]:
    """Any mix of top-of-book logs, WebSocket journals and candlestick files → one UTC frame."""
    tob = [Path(x) for x in paths if str(x).endswith((".csv", ".csv.gz"))]
    other = [Path(x) for x in paths if not str(x).endswith((".csv", ".csv.gz"))]
    frames = []
    dropped_t = dropped_p = 0
    if tob:
        f, rep = load_top_of_book(tob)
        frames.append(f)
        dropped_t, dropped_p = rep.dropped_bad_time, rep.dropped_bad_price
    for p in other:
        if not p.is_file():
            raise FileNotFoundError(f"book file not found: {p}")
        if str(p).endswith(".jsonl"):
            frames.append(load_ws_journal(p))
        elif str(p).endswith(".json"):
            frames.append(load_candlesticks(p))
        else:
            raise BookFormatError(f"{p}: unknown book format (expected .csv[.gz], .jsonl or .json)")
    if not frames:
        raise BookFormatError("no book files given")
    frame = pd.concat(frames, ignore_index=True).sort_values("ts", kind="stable").reset_index(drop=True)
    return frame, LoadReport(files=len(paths), rows=len(frame), dropped_bad_time=dropped_t,
                             dropped_bad_price=dropped_p)
