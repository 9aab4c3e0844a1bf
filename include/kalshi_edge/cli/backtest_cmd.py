"""`kalshi-edge backtest`: replay recorded books through a strategy and write the results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kalshi_edge.cli.common import UserError, out, print_table


def register(app: typer.Typer) -> None:
    """Add ``backtest`` to the root app."""

    @app.command("backtest")
    def backtest(
        more_books: Annotated[list[Path] | None, typer.Argument(
            help="More book files: `--book a.csv.gz b.csv.gz` works like `--book a --book b`")] = None,
        book: Annotated[list[Path] | None, typer.Option("--book", help="Recorded books: top-of-book logs (.csv[.gz]), WebSocket journals (.jsonl), REST candlesticks (.json)")] = None,
        strategy: Annotated[str | None, typer.Option("--strategy", help="Strategy name (see --list-strategies)")] = None,
        params: Annotated[str | None, typer.Option("--params", help="Strategy parameters as a JSON object")] = None,
        out_dir: Annotated[Path | None, typer.Option("--out", help="Output directory")] = None,
        decision_interval: Annotated[int, typer.Option("--decision-interval", help="Seconds between decisions")] = 60,
        touch_size: Annotated[str, typer.Option("--touch-size", help="Assumed contracts per recorded level")] = "50",
        list_strategies: Annotated[bool, typer.Option("--list-strategies", help="List strategies and exit")] = False,
        inputs: Annotated[list[str] | None, typer.Option("--input", help="Extra strategy input KEY=PATH (repeatable), passed as params['inputs'][KEY]")] = None,
    ) -> None:
        """Replay recorded books through the trading session (the live/paper loop) with a replayed
        market source, a simulated clock and the backtest broker; write trades.csv, equity.csv,
        decisions.csv, summary.json and report.html into --out."""
        from kalshi_edge.trading.strategy import get_strategy
        from kalshi_edge.trading.strategy import list_strategies as _list

        if list_strategies:
            print_table("strategies", ["name", "family", "book only", "description"],
                        [(n, c.family, "yes" if c.book_only else "no", c.description) for n, c in _list().items()])
            return
        book = [*(book or []), *(more_books or [])]
        if not book:
            raise UserError("--book: give at least one recorded book file")
        missing = [str(b) for b in book if not b.is_file()]
        if missing:
            raise UserError(f"--book: file not found: {', '.join(missing)}")
        if not strategy:
            raise UserError("--strategy: required (see --list-strategies)")
        if out_dir is None:
            raise UserError("--out: required (output directory)")
        try:
            p = json.loads(params) if params else {}
        except ValueError as exc:
            raise UserError(f"--params: not valid JSON ({exc})") from None
        if not isinstance(p, dict):
            raise UserError("--params: must be a JSON object")
        extra = {}
        for item in inputs or []:
            key, sep, path = item.partition("=")
            if not sep or not key or not path:
                raise UserError(f"--input: {item!r} is not KEY=PATH")
            if not Path(path).exists():
                raise UserError(f"--input {key}: file not found: {path}")
            extra[key] = path
        if extra:
            p = {**p, "inputs": {**p.get("inputs", {}), **extra}}
        try:
            strat = get_strategy(strategy, p)
        except KeyError as exc:
            raise UserError(f"--strategy: {exc.args[0]}") from None
        except TypeError as exc:
            raise UserError(f"--params: {exc}") from None
        from decimal import Decimal, InvalidOperation

        try:
            ts = Decimal(touch_size)
        except InvalidOperation:
            raise UserError(f"--touch-size: {touch_size!r} is not a number") from None
        if decision_interval <= 0 or ts <= 0:
            raise UserError("--decision-interval and --touch-size must be positive")
        from kalshi_edge.backtest.data import BookFormatError
        from kalshi_edge.backtest.runner import run_backtest

        try:
            result, paths = run_backtest(book, strat, out_dir, decision_interval_s=decision_interval, touch_size=ts)
        except BookFormatError as exc:
            raise UserError(str(exc)) from None
        s = result.summary
        print_table(f"backtest {strategy}", ["metric", "value"],
                    [(k, s[k]) for k in ("updates", "decisions", "trades", "pnl_net", "fees", "turnover",
                                         "sharpe", "max_drawdown", "win_rate")])
        out.print(f"wrote {', '.join(str(v) for v in paths.values())}")
