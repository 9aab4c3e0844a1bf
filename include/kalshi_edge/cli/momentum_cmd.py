"""`kalshi-edge momentum ...`: the weather momentum models (short-horizon, book-driven)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kalshi_edge.cli.common import UserError, console, out, print_table


def register(app: typer.Typer) -> None:
    """Add ``momentum`` (with ``evaluate``) to the root app."""
    mom = typer.Typer(help="Weather momentum: cross-bracket kinematics and short-horizon signals.",
                      no_args_is_help=True)

    @mom.command("evaluate")
    def evaluate_cmd(
        more_books: Annotated[list[Path] | None, typer.Argument(
            help="More book files: `--book a.csv.gz b.csv.gz` works like `--book a --book b`")] = None,
        book: Annotated[list[Path] | None, typer.Option(
            "--book", help="Recorded books, one ladder (event day) each: top-of-book logs (.csv[.gz]) or "
                           "WebSocket journals (.jsonl)")] = None,
        out_dir: Annotated[Path | None, typer.Option("--out", help="Output directory")] = None,
        horizons: Annotated[str, typer.Option("--horizons", help="Comma-separated horizons in seconds")] = "30,300",
        step: Annotated[float, typer.Option("--step", help="Seconds between prediction rows")] = 30.0,
    ) -> None:
        """Walk-forward by day: train on the days before each day, predict it; write scores.csv,
        predictions.csv and report.html into --out."""
        books = [*(book or []), *(more_books or [])]
        if not books:
            raise UserError("--book: give the recorded books of at least 3 days")
        missing = [str(b) for b in books if not b.is_file()]
        if missing:
            raise UserError(f"--book: file not found: {', '.join(missing)}")
        if out_dir is None:
            raise UserError("--out: required (output directory)")
        try:
            hs = tuple(int(x) for x in horizons.split(",") if x.strip())
        except ValueError:
            raise UserError(f"--horizons: {horizons!r} is not a comma-separated list of seconds") from None
        if not hs or any(h <= 0 for h in hs):
            raise UserError("--horizons: give positive seconds, e.g. 30,300")
        if step <= 0:
            raise UserError("--step: must be positive")
        from kalshi_edge.families.weather.momentum.evaluate import evaluate
        from kalshi_edge.kalshi.top_of_book import BookFormatError

        try:
            summary = evaluate(books, out_dir, step_s=step, horizons=hs,
                               progress=lambda m: console.print(m, highlight=False))
        except BookFormatError as exc:
            raise UserError(str(exc)) from None
        except ValueError as exc:
            raise UserError(str(exc)) from None
        scores = summary["scores"]
        cols = ["horizon_s", "model", "log_loss", "brier", "ece", "baseline_log_loss", "baseline_brier", "rows",
                "days", "ll_gain_ci_low", "ll_gain_ci_high"]
        print_table("momentum evaluate (walk-forward by day)", cols,
                    [[r[c] for c in cols] for r in scores])  # type: ignore[union-attr,index]
        out.print(f"wrote {out_dir / 'scores.csv'}, {out_dir / 'predictions.csv'}, {out_dir / 'report.html'}")

    @mom.command("backtest-report")
    def backtest_report_cmd(
        run_dir: Annotated[Path, typer.Argument(help="The --out directory of a `kalshi-edge backtest` run")],
        more_books: Annotated[list[Path] | None, typer.Argument(
            help="More book files: `--book a.csv.gz b.csv.gz` works like `--book a --book b`")] = None,
        book: Annotated[list[Path] | None, typer.Option(
            "--book", help="The books the run replayed (days without a trade then count as zero PnL)")] = None,
    ) -> None:
        """PnL net of fees with a bootstrap interval (event days resampled), hit rate, max drawdown,
        maker share and fees paid of a backtest run; writes momentum_report.json beside it."""
        from kalshi_edge.families.weather.momentum.backtest_report import backtest_report

        if not (run_dir / "summary.json").is_file():
            raise UserError(f"{run_dir}: no summary.json (run `kalshi-edge backtest --out {run_dir}` first)")
        r = backtest_report(run_dir, books=[*(book or []), *(more_books or [])])
        print_table(f"backtest report {r['strategy']}", ["metric", "value"],
                    [(k, r[k]) for k in ("pnl_net", "pnl_ci_low", "pnl_ci_high", "interval_contains_zero",
                                         "bootstrap", "trades", "hit_rate", "exit_hit_rate", "max_drawdown", "maker_share",
                                         "fees_paid")]
                    + [(f"exits: {k}", f"{v['fills']} fills, {v['contracts']} contracts")
                       for k, v in r["exits"].items()])
        out.print(r["verdict"])

    app.add_typer(mom, name="momentum")
