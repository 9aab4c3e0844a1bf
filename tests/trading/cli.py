"""The CLI entry point for tests of this area's commands.

``kalshi_edge.cli.main.main`` when it imports; while the lead's ``cli/main.py`` still names command
modules of other areas that do not exist yet, the same error handling over an app holding only
this area's commands (trade, backtest), so these tests exercise our code either way.
"""

from __future__ import annotations

from collections.abc import Callable


def cli_main() -> Callable[[list[str]], int]:
    try:
        from kalshi_edge.cli.main import main

        return main
    except ImportError:
        import typer

        from kalshi_edge.cli import backtest_cmd, trade_cmd
        from kalshi_edge.cli.common import UserError, console
        from kalshi_edge.config import ConfigError

        app = typer.Typer(no_args_is_help=True)
        app.callback()(lambda: None)
        backtest_cmd.register(app)
        trade_cmd.register(app)

        def main(argv: list[str]) -> int:
            try:
                app(args=argv, standalone_mode=False)
            except (UserError, ConfigError, FileNotFoundError) as exc:
                console.print(f"error: {exc}", highlight=False, soft_wrap=True)
                return 2
            except SystemExit as exc:
                return int(exc.code or 0)
            return 0

        return main
