"""Shared helpers for the Kalshi client tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kalshi_rest"


def load_fixture(name: str):
    """A recorded Kalshi REST payload from tests/fixtures/kalshi_rest/."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def run_cli(capsys):
    """Run ``kalshi-edge`` with argv; return (exit code, stdout, stderr).

    Goes through the real entry point ``kalshi_edge.cli.main.main``. While the lead's root CLI
    cannot be imported yet (other areas' modules still missing), falls back to a root app holding
    only this area's commands with the same error handling, so the commands are still exercised.
    """

    def _run(argv: list[str]) -> tuple[int, str, str]:
        try:
            from kalshi_edge.cli.main import main
        except ImportError:
            main = _fallback_main
        rc = main(argv)
        captured = capsys.readouterr()
        return rc, captured.out, captured.err

    return _run


def _fallback_main(argv: list[str]) -> int:  # pragma: no cover - only before the root CLI is complete
    import typer

    from kalshi_edge.cli import kalshi_cmd
    from kalshi_edge.cli.common import UserError, console
    from kalshi_edge.kalshi.errors import KalshiError
    from kalshi_edge.kalshi.money import MoneyError

    app = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
    kalshi_cmd.register(app)
    try:
        app(args=argv, standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0)
    except (UserError, MoneyError, KalshiError) as exc:
        console.print(f"error: {exc}", highlight=False, soft_wrap=True)
        return 2
    return 0
