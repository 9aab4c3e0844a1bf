"""Shared fixtures for the Billboard family tests (real chart rows from tests/fixtures/billboard/)."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "billboard"


@pytest.fixture(scope="session")
def charts_2021_2023():
    """Real Hot 100 charts 2021-01-02 .. 2023-12-30 (copied from the shared 1958-2023 CSV)."""
    from kalshi_edge.sources.charts import read_charts_csv

    return read_charts_csv(FIXTURES / "hot100_2021_2023.csv.gz")


def run_cli(argv: list[str]) -> int:
    """Run `kalshi-edge <argv>` through the real entry point; while the lead's main.py is still being
    wired (a sibling command module missing), fall back to a root app with only the billboard group,
    mapping UserError to exit 2 exactly like main()."""
    try:
        from kalshi_edge.cli.main import main
    except ImportError:
        import typer

        from kalshi_edge.cli import billboard_cmd
        from kalshi_edge.cli.common import UserError

        app = typer.Typer(pretty_exceptions_enable=False)
        billboard_cmd.register(app)

        def main(args: list[str]) -> int:
            try:
                app(args=args, standalone_mode=False)
            except SystemExit as exc:
                return int(exc.code or 0)
            except (UserError, FileNotFoundError):
                return 2
            return 0

    return main(argv)


@pytest.fixture()
def cli():
    """The :func:`run_cli` helper as a fixture."""
    return run_cli
