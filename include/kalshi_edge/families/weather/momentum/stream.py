"""One book-event stream for every recorded or live source.

:class:`BookEvent` is the one type the feature engine, the models and the bench consume. Each
source has an adapter; none re-implements a reader that already exists:

* recorded top-of-book logs (``market_data_<EVENT>.csv[.gz]``): read by
  :func:`kalshi_edge.kalshi.top_of_book.read_top_of_book` (the one reader: Pacific stamps to UTC,
  DST-ambiguous rows dropped); these logs carry **no sizes**, so every size field is ``None``;
* WebSocket journals (``*.jsonl``, written by :class:`kalshi_edge.kalshi.journal.Journal` from
  :class:`kalshi_edge.kalshi.ws.KalshiWsClient`): replayed through the client's
  :class:`~kalshi_edge.kalshi.ws.BookKeeper` (``seq`` checking: a market whose book is known to
  be wrong emits nothing until its next snapshot); sizes are the real resting contracts at the
  touch and the whole depth per side;
* the simulator: its WebSocket output, recorded through the same client and journal
  (:func:`record_ws_journal`), then read as a journal; the simulator's internals are not touched;
* the crypto 15-minute snapshot files (``raw_snapshots.jsonl[.gz]``, real Kalshi data): touch in
  dollars plus total resting depth per side (``yes_depth``/``no_depth``), no touch sizes.

Prices are cents (``yes_bid_c`` 0 = no bid, ``yes_ask_c`` 100 = no ask), integers everywhere
but the sub-cent crypto markets; times are
integer nanoseconds since the epoch, UTC. Events are yielded in time order.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from kalshi_edge.kalshi.top_of_book import BookFormatError, read_top_of_book

__all__ = [
    "BookEvent", "BookFormatError", "events_from_books", "events_from_crypto_snapshots", "events_from_frame",
    "events_from_journal", "events_from_journal_entries", "events_from_top_of_book", "record_ws_journal",
]


@dataclass(slots=True)
class BookEvent:
    """The top of one market's book after an update.

    ``bid_size``/``ask_size`` are the contracts resting at the YES bid and at the YES ask (= the
    best NO bid); ``yes_depth``/``no_depth`` the contracts resting on each side in total. Each is
    ``None`` when the source does not carry it (top-of-book logs): never guessed.
    """

    ts_ns: int
    ticker: str
    yes_bid_c: int | float
    yes_ask_c: int | float
    bid_size: float | None = None
    ask_size: float | None = None
    yes_depth: float | None = None
    no_depth: float | None = None

    @property
    def mid_c(self) -> float:
        """(yes bid + yes ask) / 2 in cents, with an empty side at 0 / 100 (the issue's definition)."""
        return (self.yes_bid_c + self.yes_ask_c) / 2.0

    @property
    def has_sizes(self) -> bool:
        return self.bid_size is not None and self.ask_size is not None


# ---------------------------------------------------------------------------------------------
# recorded top-of-book logs


def events_from_frame(frame: object) -> Iterator[BookEvent]:
    """Events from a frame with ``ts`` (UTC), ``ticker``, ``yes_bid_c``, ``yes_ask_c`` (the
    backtester's :func:`kalshi_edge.backtest.data.load_books` frame), in row order."""
    import numpy as np

    ts = frame["ts"].to_numpy(dtype="datetime64[ns]").astype(np.int64).tolist()  # type: ignore[index]
    for t, tk, b, a in zip(ts, frame["ticker"].astype(str).tolist(), frame["yes_bid_c"].tolist(),  # type: ignore[index]
                           frame["yes_ask_c"].tolist(), strict=True):  # type: ignore[index]
        yield BookEvent(t, tk, int(b), int(a))


def events_from_top_of_book(paths: Sequence[Path | str]) -> Iterator[BookEvent]:
    """Events from recorded top-of-book logs (no sizes), merged in time order.

    Crossed or locked touches (bid ≥ ask with both sides present) are not a book and are skipped,
    as the backtester does.
    """
    import pandas as pd

    frames = []
    for p in paths:
        tob, _dropped = read_top_of_book(p)
        frames.append(pd.DataFrame({"ts": tob["ts"], "ticker": tob["ticker"].astype(str),
                                    "yes_bid_c": tob["yes_bid_c"], "yes_ask_c": 100 - tob["no_bid_c"]}))
    if not frames:
        raise BookFormatError("no book files given")
    df = pd.concat(frames, ignore_index=True).sort_values("ts", kind="stable").reset_index(drop=True)
    crossed = (df["yes_bid_c"] > 0) & (df["yes_ask_c"] < 100) & (df["yes_bid_c"] >= df["yes_ask_c"])
    yield from events_from_frame(df[~crossed])


# ---------------------------------------------------------------------------------------------
# WebSocket journals (and the simulator through them)


def _cents(price: Decimal, where: str) -> int:
    c = price * 100
    if c != c.to_integral_value():
        raise BookFormatError(f"{where}: price {price} is not a whole number of cents")
    return int(c)


def events_from_journal(path: Path | str) -> Iterator[BookEvent]:
    """Events after every order-book message of a WebSocket journal file (receive time, UTC).

    Uses the client's BookKeeper, so a ``seq`` gap drops a market until its next snapshot. An
    event is emitted whenever the touch price **or size** or the depth changed (a size-only
    change is exactly what order-flow imbalance needs).
    """
    from kalshi_edge.kalshi.journal import replay

    p = Path(path)
    yield from events_from_journal_entries(((e.recv_ts_ms, e.frame) for e in replay(p)), str(p))


def events_from_journal_entries(entries: Iterable[tuple[int, str]], where: str = "journal") -> Iterator[BookEvent]:
    """The same from ``(recv_ts_ms, raw frame)`` pairs of one session in frame order (received
    frames only), e.g. the lake's ``kalshi_ws_journal`` rows."""
    from kalshi_edge.kalshi.journal import book_updates

    last: dict[str, tuple] = {}
    for i, recv_ts_ms, ticker, book in book_updates(entries):
        at = f"{where}: frame {i} ({ticker})"
        yb, nb = book.best_yes_bid, book.best_no_bid
        bid = _cents(yb, at) if yb is not None else 0
        ask = 100 - _cents(nb, at) if nb is not None else 100
        bsz = float(book.yes[yb]) if yb is not None else 0.0
        asz = float(book.no[nb]) if nb is not None else 0.0
        yd, nd = float(sum(book.yes.values())), float(sum(book.no.values()))
        key = (bid, ask, bsz, asz, yd, nd)
        if last.get(ticker) == key:
            continue
        last[ticker] = key
        yield BookEvent(int(recv_ts_ms) * 1_000_000, ticker, bid, ask, bsz, asz, yd, nd)


async def record_ws_journal(url: str, tickers: Sequence[str], path: Path | str, *,
                            until: Callable[[object], object], timeout: float = 30.0) -> int:
    """Record the ``orderbook_delta`` channel of ``tickers`` from ``url`` into a journal at ``path``.

    The project's own client does the work (:class:`~kalshi_edge.kalshi.ws.KalshiWsClient` with a
    :class:`~kalshi_edge.kalshi.journal.Journal`). ``until(client)`` is called (and awaited if it
    returns a coroutine) once every book has its snapshot: it drives whatever should happen on the
    exchange meanwhile. Returns the frames written.
    """
    import asyncio

    from kalshi_edge.kalshi.journal import Journal
    from kalshi_edge.kalshi.ws import KalshiWsClient

    with Journal(path) as journal:
        ws = KalshiWsClient(url, journal=journal, backoff_base=0.05, backoff_max=0.5)
        task = asyncio.create_task(ws.run())
        try:
            if not await ws.wait_for(ws.connected.is_set, timeout=timeout):
                raise TimeoutError(f"websocket {url}: not connected after {timeout}s")
            sub = await ws.subscribe(["orderbook_delta"], list(tickers))
            if not await ws.wait_for(lambda: all(t in ws.books for t in tickers), timeout=timeout):
                raise TimeoutError(f"websocket {url}: no snapshot for {list(tickers)} after {timeout}s")
            r = until(ws)
            if asyncio.iscoroutine(r):
                await r
            # barrier: the reply to list_subscriptions comes after everything queued before it
            cid = await ws.list_subscriptions()
            await ws.wait_for(lambda: cid in ws.replies, timeout=timeout)
            del sub
        finally:
            await ws.stop()
            await asyncio.wait_for(task, timeout)
        return journal.frames_written


# ---------------------------------------------------------------------------------------------
# crypto 15-minute snapshots (depth, no touch sizes)


def events_from_crypto_snapshots(path: Path | str) -> Iterator[BookEvent]:
    """Events from ``raw_snapshots.jsonl[.gz]`` (``ts`` epoch seconds, ``yb``/``ya`` dollars,
    ``yes_depth``/``no_depth`` contracts). Rows without a two-sided touch keep the empty side at
    0 / 100. A malformed row raises :class:`BookFormatError` naming file, row and field."""
    p = Path(path)
    opener = gzip.open if p.name.endswith(".gz") else open
    rows: list[BookEvent] = []
    with opener(p, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
        for i, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
            except ValueError:
                raise BookFormatError(f"{p}: row {i}: not JSON") from None
            for f in ("ts", "ticker"):
                if d.get(f) in (None, ""):
                    raise BookFormatError(f"{p}: row {i} field {f!r}: missing")

            def cents(field: str, empty: int, d: dict = d, i: int = i) -> float:
                v = d.get(field)
                if v is None:
                    return empty
                try:
                    c = round(float(v) * 100, 4)  # these markets quote sub-cent prices (0.093)
                except (TypeError, ValueError):
                    c = -1.0
                if not 0 <= c <= 100:
                    raise BookFormatError(f"{p}: row {i} field {field!r}: {v!r} is not a price in 0..1")
                return c

            def size(field: str, d: dict = d) -> float | None:
                v = d.get(field)
                return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)

            rows.append(BookEvent(int(round(float(d["ts"]) * 1e9)), str(d["ticker"]), cents("yb", 0), cents("ya", 100),
                                  None, None, size("yes_depth"), size("no_depth")))
    rows.sort(key=lambda e: e.ts_ns)
    return iter(rows)


def events_from_books(paths: Iterable[Path | str]) -> Iterator[BookEvent]:
    """Any mix of top-of-book logs (``.csv[.gz]``) and WebSocket journals (``.jsonl``), in time order."""
    import heapq

    paths = [Path(x) for x in paths]
    for p in paths:
        if not p.is_file():
            raise FileNotFoundError(f"book file not found: {p}")
    tob = [p for p in paths if p.name.endswith((".csv", ".csv.gz"))]
    js = [p for p in paths if p.name.endswith(".jsonl")]
    bad = [p for p in paths if p not in tob and p not in js]
    if bad:
        raise BookFormatError(f"{bad[0]}: unknown book format (expected .csv[.gz] or .jsonl)")
    streams: list[Iterator[BookEvent]] = []
    if tob:
        streams.append(events_from_top_of_book(tob))
    streams.extend(events_from_journal(p) for p in js)
    if len(streams) == 1:
        return streams[0]
    return heapq.merge(*streams, key=lambda e: e.ts_ns)
