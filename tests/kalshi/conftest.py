"""Shared helpers for the Kalshi client tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def run_cli(capsys):
    """Run ``kalshi-edge`` with argv through the real entry point; return (exit code, stdout, stderr)."""
    from kalshi_edge.cli.main import main

    def _run(argv: list[str]) -> tuple[int, str, str]:
        rc = main(argv)
        captured = capsys.readouterr()
        return rc, captured.out, captured.err

    return _run
