"""One call from files to outputs (used by the CLI, the demo and the bench)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from kalshi_edge.backtest.data import load_books
from kalshi_edge.backtest.engine import BacktestConfig, Backtester, BacktestResult
from kalshi_edge.backtest.report import write_outputs
from kalshi_edge.trading.strategy import Strategy


def run_backtest(books: Sequence[Path], strategy: Strategy, out_dir: Path | None = None, *,
                 decision_interval_s: int = 60, touch_size: Decimal = Decimal("50"),
                 cfg: BacktestConfig | None = None) -> tuple[BacktestResult, dict[str, Path]]:
    """Load ``books``, replay them through ``strategy`` and (if ``out_dir``) write the outputs."""
    frame, report = load_books(books)
    base = cfg or BacktestConfig()
    cfg = replace(base, decision_interval_s=decision_interval_s, touch_size=touch_size)
    result = Backtester(strategy, cfg).run(frame)
    result.summary["load"] = {"files": report.files, "rows": report.rows,
                              "dropped_bad_time": report.dropped_bad_time,
                              "dropped_crossed": report.dropped_bad_price}
    paths = write_outputs(result, out_dir) if out_dir is not None else {}
    return result, paths
