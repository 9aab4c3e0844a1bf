"""Shared CLI plumbing: one-line errors with a non-zero exit, progress bars, tables.

Every command module exposes ``register(app: typer.Typer) -> None``; ``cli/main.py`` wires them.
Expected failures (bad input, bad config, unreachable host) raise :class:`UserError` or one of
the library's own error types; :func:`main` in ``cli/main.py`` turns them into one line on
stderr and exit code 2. Unexpected exceptions keep their traceback (exit 1): they are bugs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

console = Console(stderr=True)
out = Console()


class UserError(Exception):
    """An error the user can fix (bad flag, missing file, bad row). Printed as one line, exit 2."""


class EnvironmentProblem(UserError):
    """The environment is not as needed (a host unreachable, a port taken, offline). One line, exit 1."""

    exit_code = 1


def parse_date(value: str, flag: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{flag}: {value!r} is not a date (YYYY-MM-DD)") from None


def parse_datetime(value: str, flag: str) -> datetime:
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(f"{flag}: {value!r} is not an ISO-8601 time") from None
    if dt.tzinfo is None:
        from datetime import UTC

        dt = dt.replace(tzinfo=UTC)
    return dt


@contextlib.contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Any]:
    """A rich progress bar on stderr; yields ``advance(n=1)``. Quiet when stderr is not a TTY."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as prog:
        task = prog.add_task(description, total=total)

        def advance(n: int = 1) -> None:
            prog.advance(task, n)

        yield advance


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title)
    for c in columns:
        table.add_column(str(c))
    for r in rows:
        table.add_row(*("" if v is None else str(v) for v in r))
    out.print(table)
