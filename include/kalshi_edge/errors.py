"""What a failed job means: retry it (transient) or stop (everything else).

Scheduled jobs (the DAG tasks) run library functions; when one raises, :func:`is_transient`
decides whether the scheduler should try again. Only temporary conditions are worth a retry:

* the network (connection refused/reset, DNS, timeouts), HTTP 5xx and 429;
* a lock held by another writer (DuckDB's file lock, SQLite ``database is locked``);
* anything raised as :class:`TransientError` (or the Kalshi client's ``TemporaryError``).

Everything else — bad params, missing or stale data, a validation failure, a bug — fails the
task at once (``dag_defaults.run_job`` turns it into ``AirflowFailException``): rerunning the same
code on the same input gives the same error, and retrying only hides it for minutes.

The job-level errors below are for work that could not be done: :class:`NoRowsError` (an ingest
that found nothing where rows were expected) and :class:`StaleInputError` (the newest input is
older than the stated age). Both name the dataset and what was found.
"""

from __future__ import annotations

import errno
import socket
from datetime import date
from typing import Any


class KalshiEdgeError(Exception):
    """Base of the project's job-level errors."""


class TransientError(KalshiEdgeError):
    """A temporary failure (network, 5xx, 429, a lock): retrying later may succeed."""


class JobFailed(KalshiEdgeError):
    """The job could not do its work and retrying will not help; the message says why."""


class NoRowsError(JobFailed):
    """An ingest produced 0 rows where rows were expected."""

    def __init__(self, dataset: str, reason: str) -> None:
        super().__init__(f"{dataset}: 0 rows ingested ({reason})")
        self.dataset = dataset
        self.reason = reason


class StaleInputError(JobFailed):
    """The newest input row is older than allowed for the job's date."""

    def __init__(self, dataset: str, last: date | None, as_of: date, max_age_days: int, hint: str = "") -> None:
        age = "no rows" if last is None else f"last date {last.isoformat()} is {(as_of - last).days} days before"
        msg = f"{dataset}: stale input: {age} {as_of.isoformat()} (allowed: {max_age_days} days)"
        super().__init__(msg + (f"; {hint}" if hint else ""))
        self.dataset = dataset
        self.last = last
        self.as_of = as_of
        self.max_age_days = max_age_days


_TRANSIENT_ERRNOS = {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.ETIMEDOUT, errno.EHOSTUNREACH,
                     errno.ENETUNREACH, errno.EPIPE, errno.EAGAIN}


def _http_status(exc: BaseException) -> int | None:
    for attr in ("status", "status_code", "code"):
        v = getattr(exc, attr, None)
        if isinstance(v, int) and 100 <= v <= 599:
            return v
    resp = getattr(exc, "response", None)
    v = getattr(resp, "status_code", None)
    return v if isinstance(v, int) else None


def _one_is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TransientError):
        return True
    if isinstance(exc, JobFailed):
        return False
    try:
        from kalshi_edge.kalshi.errors import KalshiError, TemporaryError

        if isinstance(exc, TemporaryError):
            return True
        if isinstance(exc, KalshiError):
            return False
    except ImportError:  # pragma: no cover - the package is always installed
        pass
    name = type(exc).__name__
    msg = str(exc).lower()
    # DuckDB's "Could not set lock on file", SQLite's "database is locked"
    if ("lock" in msg and (name in ("IOException", "OperationalError", "BlockingIOError")
                           or "could not set lock" in msg or "database is locked" in msg)):
        return True
    try:
        import requests

        if isinstance(exc, requests.HTTPError):
            status = _http_status(exc)
            return status is not None and (status >= 500 or status == 429)
        if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
            return True
    except ImportError:  # pragma: no cover
        pass
    try:
        import httpx

        if isinstance(exc, httpx.HTTPStatusError):
            status = exc.response.status_code
            return status >= 500 or status == 429
        if isinstance(exc, httpx.TransportError):
            return True
    except ImportError:
        pass
    import urllib.error

    if isinstance(exc, urllib.error.HTTPError):
        return exc.code >= 500 or exc.code == 429
    if isinstance(exc, urllib.error.URLError):
        return True
    if isinstance(exc, (ConnectionError, TimeoutError, socket.timeout, socket.gaierror)):
        return True
    if isinstance(exc, OSError) and exc.errno in _TRANSIENT_ERRNOS:
        return True
    return False


def is_transient(exc: BaseException) -> bool:
    """True when retrying later may succeed. Looks through the ``raise ... from`` chain, so a
    library error wrapping a connection failure counts as transient unless it is a
    :class:`JobFailed` (or a permanent Kalshi error) itself."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, JobFailed):
            return False
        if _one_is_transient(cur):
            return True
        cur = cur.__cause__ or (None if cur.__suppress_context__ else cur.__context__)
    return False


def describe(exc: BaseException) -> str:
    """One line: ``ExceptionType: message`` (first line of the message)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def require_rows(summary: Any, dataset: str, reason: str, *, key: str = "rows_written") -> Any:
    """Raise :class:`NoRowsError` when ``summary[key]`` (or ``summary.<key>``) is 0."""
    n = summary.get(key) if isinstance(summary, dict) else getattr(summary, key, None)
    if n is not None and int(n) == 0:
        raise NoRowsError(dataset, reason)
    return summary
