"""What ``kalshi-edge backtest --strategy weather_day_ahead --forecasts CSV`` hands the strategy.

The strategy never fits: it reads the day-ahead pmf the ``weather_day_ahead`` task issued. For a
replay, :func:`issued_day_ahead_frame` re-issues that pmf for every KXHIGH event day in the books
exactly as the task would have: at the task's run for the next climate day (D-1 at 14:00 UTC),
from forecasts issued before that instant and highs of climate days that had ended
(:func:`~kalshi_edge.families.weather.tasks.day_ahead_pmf`). KXHIGH markets open at 10:00 ET on
D-1 (15:00 UTC in winter, 14:00 UTC in summer), so the pmf exists before the first decision of its
event; nothing later enters it.

:func:`edge_after_fees` turns the backtest's per-market summary into the figures of
:mod:`kalshi_edge.reports.trading_metrics` (PnL net of fees, daily Sharpe, hit rate, max drawdown,
turnover, the bootstrap interval of PnL per contract and the plain verdict).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from kalshi_edge.kalshi.errors import SemanticsError
from kalshi_edge.kalshi.semantics import parse_ticker

ISSUE_HOUR_UTC = 14


def event_days(tickers: Iterable[str]) -> list[tuple[str, pd.Timestamp]]:
    """(series, climate day) of every KXHIGH event among ``tickers``."""
    out = set()
    for t in tickers:
        if not str(t).upper().startswith("KXHIGH"):
            continue
        try:
            parts = parse_ticker(t)
        except SemanticsError:
            continue
        if parts.event_time_et is not None and parts.has_day:
            out.add((parts.series, pd.Timestamp(parts.event_time_et.date())))
    return sorted(out)


def issued_day_ahead_frame(tickers: Iterable[str], forecasts: pd.DataFrame, *, history: pd.Series | None = None,
                           settings: Any = None, issue_hour_utc: int = ISSUE_HOUR_UTC) -> pd.DataFrame:
    """``date, station, temp_f, p`` rows (the strategy's ``params["forecasts"]``) per event day,
    plus a ``model`` column naming what issued it (``nws_point``, ``accuweather``, ``history_model``)."""
    from kalshi_edge.families.weather.model import GRID
    from kalshi_edge.families.weather.stations import load_registry
    from kalshi_edge.families.weather.tasks import day_ahead_pmf, load_history

    reg = load_registry().by_series()
    frames = []
    hist_cache: dict[str, pd.Series] = {}
    for series, day in event_days(tickers):
        st = reg.get(series)
        if st is None:
            continue
        if history is None and st.icao not in hist_cache:
            hist_cache[st.icao] = load_history(st.icao, settings, True)
        hist = history if history is not None else hist_cache[st.icao]
        as_of = (day - pd.Timedelta(days=1)).tz_localize("UTC") + pd.Timedelta(hours=issue_hour_utc)
        fc = forecasts[forecasts["station"].str.upper() == st.icao]
        pmf, info = day_ahead_pmf(st.icao, day, as_of, settings=settings, offline=True, history=hist, forecasts=fc)
        nz = np.nonzero(pmf > 0)[0]
        frames.append(pd.DataFrame({"date": day.strftime("%Y-%m-%d"), "station": st.icao,
                                    "temp_f": GRID[nz].astype(int), "p": pmf[nz], "model": info["used"],
                                    "issued_at": as_of.isoformat()}))
    if not frames:
        raise ValueError("no KXHIGH event of a registered station in the books")
    return pd.concat(frames, ignore_index=True)


def edge_after_fees(summary: dict, *, reps: int = 2000, seed: int = 0) -> dict[str, Any]:
    """Edge-after-fees figures from a backtest ``summary`` (money as strings, exact)."""
    from kalshi_edge.reports.trading_metrics import markets_from_backtest_summary, performance

    def day_of(ticker: str) -> str:
        return parse_ticker(ticker).event_time_et.date().isoformat()

    perf = performance(markets_from_backtest_summary(summary, day_of), reps=reps, seed=seed)
    out = {}
    for k, v in perf.items():
        if isinstance(v, tuple):
            out[k] = [None if np.isnan(x) else round(x, 6) for x in v]
        elif isinstance(v, float):
            out[k] = None if np.isnan(v) else round(v, 6)
        elif v is None or isinstance(v, (int, str, bool)):
            out[k] = v
        elif k == "pnl_per_contract":
            out[k] = str(v.quantize(Decimal("0.000001")))
        else:  # dollars: exact sums, shown to the hundredth of a cent
            out[k] = str(v.quantize(Decimal("0.0001")))
    return out
