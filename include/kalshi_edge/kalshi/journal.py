"""Append-only journal of raw WebSocket frames (JSONL), so any session can be replayed later.

One line per frame: ``{"recv_ts_ms": 1714000000123, "dir": "in"|"out", "frame": "<raw text>"}``.
The raw text is stored verbatim (not re-encoded), so a replay sees exactly what the socket
delivered, including malformed frames. Lines are flushed as they are written; a crash loses at
most the frame being written, and :func:`replay` skips a torn last line.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any


@dataclass(frozen=True, slots=True)
class JournalEntry:
    recv_ts_ms: int
    direction: str  # "in" (received) | "out" (sent command)
    frame: str

    def json(self) -> object:
        """The decoded frame (raises ``ValueError`` for a malformed one)."""
        return json.loads(self.frame)


class Journal:
    """Appends frames to ``path`` (parent folders created). Use as a context manager or call close()."""

    def __init__(self, path: Path | str, *, fsync: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] | None = self.path.open("a", encoding="utf-8")
        self._fsync = fsync
        self.frames_written = 0

    def append(self, frame: str | bytes, *, direction: str = "in", recv_ts_ms: int | None = None) -> None:
        """Record one frame with its receive time (ms since the epoch, default now)."""
        if self._fh is None:
            raise ValueError(f"journal {self.path} is closed")
        text = frame.decode("utf-8", errors="replace") if isinstance(frame, bytes) else frame
        ts = int(time.time() * 1000) if recv_ts_ms is None else int(recv_ts_ms)
        self._fh.write(json.dumps({"recv_ts_ms": ts, "dir": direction, "frame": text}, separators=(",", ":")) + "\n")
        self._fh.flush()
        if self._fsync:
            os.fsync(self._fh.fileno())
        self.frames_written += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def replay(path: Path | str, *, direction: str | None = "in") -> Iterator[JournalEntry]:
    """Frames of a journal in order (``direction=None`` for both ways).

    A torn final line (crash mid-write) is skipped; a corrupt line elsewhere raises ``ValueError``
    naming the file and line, because silently skipping data mid-file would hide a real problem.
    """
    p = Path(path)
    with p.open("r", encoding="utf-8") as fh:
        lines = fh.readlines()
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            entry = JournalEntry(int(d["recv_ts_ms"]), str(d.get("dir", "in")), str(d["frame"]))
        except (ValueError, KeyError, TypeError):
            if i == len(lines) and not line.endswith("\n"):
                return  # torn last line
            raise ValueError(f"{p}:{i}: not a journal line") from None
        if direction is None or entry.direction == direction:
            yield entry


def book_updates(entries: Iterable[tuple[int, str]]) -> Iterator[tuple[int, int, str, Any]]:
    """``(frame number from 1, recv_ts_ms, ticker, book)`` after every order-book message of a
    session's received frames, in frame order: the one replay of a journal into books.

    Every message goes through the client's :class:`~kalshi_edge.kalshi.ws.BookKeeper`
    (subscription replies teach it the sids; a ``seq`` gap drops a market's book until its next
    snapshot, so no book known to be wrong is yielded). A malformed frame is skipped: the keeper
    never saw it either. ``book`` is the keeper's live object: read it before the next item.
    """
    from kalshi_edge.kalshi.ws import BookKeeper

    keeper = BookKeeper()
    for i, (recv_ts_ms, frame) in enumerate(entries, start=1):
        try:
            msg = json.loads(frame)
        except ValueError:
            continue
        if not isinstance(msg, dict):
            continue
        keeper.process(msg)
        if msg.get("type") not in ("orderbook_snapshot", "orderbook_delta"):
            continue
        ticker = (msg.get("msg") or {}).get("market_ticker")
        book = keeper.books.get(ticker) if ticker else None
        if book is not None:
            yield i, int(recv_ts_ms), ticker, book
