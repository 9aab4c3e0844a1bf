"""The CLI entry point the trading and backtest tests call (the real `kalshi-edge` main)."""

from __future__ import annotations

from collections.abc import Callable


def cli_main() -> Callable[[list[str] | None], int]:
    from kalshi_edge.cli.main import main

    return main
