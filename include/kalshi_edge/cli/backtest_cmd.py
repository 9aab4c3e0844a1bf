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
        gates: Annotated[str | None, typer.Option("--gates", help='Gate overrides as JSON, e.g. {"allow_maker": false, "min_edge_dollars": "0.03"}')] = None,
        inputs: Annotated[list[str] | None, typer.Option("--input", help="Extra strategy input KEY=PATH (repeatable), passed as params['inputs'][KEY]")] = None,
        forecasts: Annotated[Path | None, typer.Option("--forecasts", help="weather_day_ahead: forecast CSV; each event day's day-ahead PMF is issued from it as the daily task would (D-1 14:00 UTC)")] = None,
        actuals: Annotated[Path | None, typer.Option("--actuals", help="with --forecasts: observed highs (TMAX or cli_actuals layout) added to the shipped history")] = None,
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
        issued = None
        if forecasts is not None:
            issued = _issue_from_forecasts(strategy, book, forecasts, actuals)
            p = {**p, "forecasts": issued.drop(columns=["model", "issued_at"]), "obs": _no_obs()}
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
        from kalshi_edge.backtest.engine import BacktestConfig
        from kalshi_edge.backtest.runner import run_backtest
        from kalshi_edge.config import get_settings
        from kalshi_edge.trading.intents import GateConfig

        gate_cfg = GateConfig.from_settings(get_settings())
        if gates:
            try:
                g = json.loads(gates)
                if not isinstance(g, dict):
                    raise ValueError("must be a JSON object")
                conv = {k: (Decimal(str(v)) if isinstance(getattr(gate_cfg, k, None), Decimal) else v)
                        for k, v in g.items()}
                unknown = sorted(set(conv) - set(GateConfig.__dataclass_fields__))
                if unknown:
                    raise ValueError(f"unknown gate(s) {unknown}")
                from dataclasses import replace

                gate_cfg = replace(gate_cfg, **conv)
            except (ValueError, InvalidOperation) as exc:
                raise UserError(f"--gates: {exc}") from None
        try:
            result, paths = run_backtest(book, strat, out_dir, decision_interval_s=decision_interval, touch_size=ts,
                                         cfg=BacktestConfig(gates=gate_cfg))
        except BookFormatError as exc:
            raise UserError(str(exc)) from None
        s = result.summary
        print_table(f"backtest {strategy}", ["metric", "value"],
                    [(k, s[k]) for k in ("updates", "decisions", "trades", "pnl_net", "fees", "turnover",
                                         "sharpe", "max_drawdown", "win_rate")])
        if issued is not None:
            _report_edge(result, paths, out_dir, issued)
        out.print(f"wrote {', '.join(str(v) for v in paths.values())}")


def _no_obs():
    import pandas as pd

    # the recorded days carry no station observations: the pmf stays the day-ahead one all day
    return pd.DataFrame(columns=["ts", "temp_f", "station", "climate_date"])


def _issue_from_forecasts(strategy: str, book: list[Path], forecasts: Path, actuals: Path | None):
    """`--forecasts`: the day-ahead PMF of every event day in the books, issued as at D-1 14:00 UTC."""

    from kalshi_edge.backtest.data import BookFormatError, load_books
    from kalshi_edge.families.weather.backtest_inputs import issued_day_ahead_frame
    from kalshi_edge.families.weather.forecasts import (
        ForecastFileError,
        read_actuals_csv,
        read_forecasts_csv,
        with_actuals,
    )
    from kalshi_edge.families.weather.tasks import load_history

    if strategy != "weather_day_ahead":
        raise UserError("--forecasts: only for --strategy weather_day_ahead")
    try:
        fc = read_forecasts_csv(forecasts)
        frame, _ = load_books(book)
        stations = sorted(set(fc["station"].str.upper()))
        history = None
        if len(stations) == 1:
            history = load_history(stations[0], None, True)
            if actuals is not None:
                history = with_actuals(history.dropna(), read_actuals_csv(actuals, stations[0]))
        issued = issued_day_ahead_frame(frame["ticker"].unique(), fc, history=history)
    except (ForecastFileError, BookFormatError, FileNotFoundError, ValueError) as exc:
        raise UserError(str(exc)) from None
    used = issued.drop_duplicates("date")["model"].value_counts().to_dict()
    out.print(f"issued day-ahead PMFs for {issued['date'].nunique()} event day(s) from {forecasts.name}: {used}")
    return issued


def _report_edge(result, paths: dict, out_dir: Path, issued) -> None:
    """Edge after fees (PnL net, daily Sharpe, hit rate, drawdown, turnover, bootstrap PnL/contract)."""
    import html as _html

    from kalshi_edge.families.weather.backtest_inputs import edge_after_fees

    edge = edge_after_fees(result.summary)
    path = out_dir / "edge.json"
    path.write_text(json.dumps(edge, indent=2, sort_keys=True) + "\n")
    issued.to_csv(out_dir / "issued_pmf.csv", index=False, float_format="%.12g")
    paths["edge"] = path
    rows = [(k, edge[k]) for k in ("markets", "days", "contracts", "pnl_net", "fees", "turnover", "pnl_per_contract",
                                   "pnl_per_contract_ci", "daily_sharpe", "hit_rate", "max_drawdown")]
    print_table("edge after fees (per traded market, bootstrap by day)", ["metric", "value"], rows)
    out.print(edge["verdict"])
    rep = paths.get("report")
    if rep is not None and rep.exists():
        body = "".join(f"<tr><td>{_html.escape(str(k))}</td><td>{_html.escape(str(v))}</td></tr>" for k, v in rows)
        section = (f"<section><h2>Edge after fees</h2><p><b>{_html.escape(edge['verdict'])}</b></p>"
                   f"<table>{body}</table><p class='meta'>day-ahead PMFs issued from forecasts as at D-1 14:00 UTC"
                   "; bootstrap: days resampled with replacement, 2000 times, seed 0</p></section>")
        text = rep.read_text()
        rep.write_text(text.replace("</body>", section + "</body>") if "</body>" in text else text + section)
