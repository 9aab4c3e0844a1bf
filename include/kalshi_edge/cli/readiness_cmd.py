"""`kalshi-edge readiness`: every go-live criterion per family and series, with value, threshold
and pass/fail (the same evaluation the live preflight gate and the daily DAG use)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from kalshi_edge.cli.common import UserError, out


def register(app: typer.Typer) -> None:
    """Add ``readiness`` to the root app."""

    @app.command("readiness")
    def readiness(
        family: Annotated[str, typer.Option("--family", help="btc | weather | billboard | all")] = "all",
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
    ) -> None:
        """Is each family ready for live trading? Every criterion: value, threshold, PASS/FAIL."""
        from kalshi_edge.config import get_settings
        from kalshi_edge.ops.readiness import FAMILY_SERIES, evaluate_readiness

        if family != "all" and family not in FAMILY_SERIES:
            raise UserError(f"--family: {family!r} is not one of {', '.join(FAMILY_SERIES)}, all")
        rep = evaluate_readiness(get_settings(), families=None if family == "all" else [family])
        if as_json:
            out.print_json(json.dumps(rep.as_dict(), default=str))
            return
        from rich.table import Table

        table = Table(title=f"readiness as of {rep.as_of.isoformat(timespec='seconds')}")
        for col in ("family", "series", "criterion", "value", "threshold", "result"):
            table.add_column(col, no_wrap=True)
        table.add_column("detail", overflow="fold")
        for c in rep.criteria:
            table.add_row(c.family, c.series, c.criterion, c.shown_value, c.threshold,
                          "[green]PASS[/green]" if c.passed else "[red]FAIL[/red]", c.detail)
        if out.is_terminal:
            out.print(table)
        else:  # piped or captured: wide enough that no column is truncated
            from rich.console import Console

            Console(width=220).print(table)
        for f in rep.families():
            failing = rep.failing(f)
            verdict = "READY" if not failing else f"NOT READY ({len(failing)} failing)"
            out.print(f"{f}: {verdict}")
