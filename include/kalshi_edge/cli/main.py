"""Entry point of the `kalshi-edge` console script."""

from __future__ import annotations

import sys

import typer

from kalshi_edge.cli import (
    backtest_cmd,
    billboard_cmd,
    btc_cmd,
    doctor_cmd,
    kalshi_cmd,
    lake_cmd,
    readiness_cmd,
    simulator_cmd,
    trade_cmd,
    weather_cmd,
)
from kalshi_edge.cli.common import UserError, console

app = typer.Typer(
    name="kalshi-edge",
    help="Find and trade mispriced Kalshi contracts (paper trading by default).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

for module in (doctor_cmd, lake_cmd, kalshi_cmd, simulator_cmd, btc_cmd, weather_cmd, billboard_cmd, trade_cmd, backtest_cmd):
    module.register(app)
from kalshi_edge.cli import momentum_cmd  # noqa: E402  (weather momentum, issue 15)

momentum_cmd.register(app)

from kalshi_edge.cli import airflow_cmd  # noqa: E402 - issue 13: `kalshi-edge airflow ...` wrapper

airflow_cmd.register(app)

readiness_cmd.register(app)


def _expected_errors() -> tuple[type[BaseException], ...]:
    from kalshi_edge.config import ConfigError
    from kalshi_edge.kalshi.money import MoneyError
    from kalshi_edge.lake.errors import LakeError

    errors: list[type[BaseException]] = [UserError, ConfigError, MoneyError, LakeError, FileNotFoundError]
    try:  # the Kalshi client's permanent errors are user-facing too (auth, validation)
        from kalshi_edge.kalshi.errors import KalshiError

        errors.append(KalshiError)
    except ImportError:  # pragma: no cover - the client package is always installed
        pass
    from kalshi_edge.trading.ledger import LedgerError  # a corrupt ledger / exchange mismatch: one line

    errors.append(LedgerError)
    return tuple(errors)


def _click_exception_types() -> tuple[type[BaseException], ...]:
    """Click's usage exceptions: typer >= 0.29 vendors click as ``typer._click``; accept both."""
    types: list[type[BaseException]] = []
    for mod in ("typer._click.exceptions", "click.exceptions"):
        try:
            types.append(__import__(mod, fromlist=["ClickException"]).ClickException)
        except (ImportError, AttributeError):
            continue
    return tuple(types)


def _environment_error_line(exc: BaseException) -> str:
    """A one-line message for a transient/environment failure (issue 13), '' for anything else."""
    from kalshi_edge.errors import describe, is_transient

    if not is_transient(exc):
        return ""
    url = ""
    cur: BaseException | None = exc
    while cur is not None and not url:  # requests/urllib keep the URL on the exception or its request
        req = getattr(cur, "request", None)
        url = str(getattr(req, "url", "") or getattr(cur, "url", "") or getattr(cur, "filename", "") or "")
        cur = cur.__cause__ or cur.__context__
    import re

    where = f" {url.split('?')[0]}" if url else ""
    why = re.search(r"\[Errno -?\d+\] [^'\")\]]+|Read timed out|timed out", str(exc))
    reason = f"{type(exc).__name__} ({why.group(0).strip()})" if why else describe(exc)[:200]
    return f"cannot reach{where or ' the network'}: {reason}; check the connection (or the URL) and retry"


def main(argv: list[str] | None = None) -> int:
    try:
        rc = app(args=argv, standalone_mode=False)
        if isinstance(rc, int) and rc:  # typer.Exit(n) comes back as a return value here (issue 13)
            return rc
    except SystemExit as exc:  # typer/click exit paths (--help, usage errors)
        return int(exc.code or 0)
    except _expected_errors() as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        return int(getattr(exc, "exit_code", 2))  # 2 bad input; 1 environment (EnvironmentProblem)
    except Exception as exc:
        line = _environment_error_line(exc)
        if line:  # network down, host unreachable, lock held: one line naming the host, exit 1
            console.print(f"[red]error:[/red] {line}", highlight=False, soft_wrap=True)
            return 1
        usage = _click_exception_types()
        if isinstance(exc, usage):  # bad flag, unknown command: one line + usage hint, exit 2
            show = getattr(exc, "format_message", None)
            console.print(f"[red]error:[/red] {show() if show else exc}", highlight=False, soft_wrap=True)
            ctx = getattr(exc, "ctx", None)
            if ctx is not None:
                console.print(f"Try '{ctx.command_path} --help'.", highlight=False)
            return int(getattr(exc, "exit_code", 2) or 2)
        if type(exc).__name__ == "Abort":
            console.print("aborted")
            return 130
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
