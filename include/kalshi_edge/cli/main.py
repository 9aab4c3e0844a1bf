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


def main(argv: list[str] | None = None) -> int:
    try:
        app(args=argv, standalone_mode=False)
    except SystemExit as exc:  # typer/click exit paths (--help, usage errors)
        return int(exc.code or 0)
    except _expected_errors() as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        return 2
    except Exception as exc:
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
