"""The Kalshi client's exception hierarchy.

Only :class:`TemporaryError` is retried (timeouts, 5xx, 429). Everything else is raised at once
with the server's message. The CLI prints any :class:`KalshiError` as one line (exit 2).
"""

from __future__ import annotations


class KalshiError(Exception):
    """Base of every error the Kalshi package raises on purpose."""


class TemporaryError(KalshiError):
    """A failure worth retrying: timeout, connection reset, HTTP 5xx or 429."""

    def __init__(self, message: str, *, status: int | None = None, sent: bool = False) -> None:
        super().__init__(message)
        self.status = status
        #: True when the request may have reached the server (a lost response): for order
        #: creation the client must look the order up before resending.
        self.sent = sent


class RateLimitedError(TemporaryError):
    """HTTP 429: too many requests (no Retry-After is sent; back off with jitter)."""


class PermanentError(KalshiError):
    """A request the server refused for good (4xx validation, not found, conflict)."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class AuthError(PermanentError):
    """401/403, or missing/unreadable credentials."""


class KalshiSchemaError(KalshiError, ValueError):
    """A payload lacks a field we need or carries a malformed one. The message names the field."""


class SemanticsError(KalshiError, ValueError):
    """A market's strike fields and its human-readable rules disagree (fail closed), or are missing."""
