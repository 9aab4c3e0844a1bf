"""Edge after fees, as a quant reads it: the performance figures of a backtest or paper run.

Inputs are plain records so any run can be scored (the backtester's per-market summary, a ledger):

* ``markets``: one dict per traded market: ``ticker``, ``day`` (the settlement or event day,
  ``YYYY-MM-DD``), ``pnl_net`` (dollars **after fees**, Decimal), ``contracts`` (Decimal),
  ``fees`` (Decimal), ``turnover`` (dollars traded, Decimal);
* ``equity``: optional frame ``ts, equity`` (for the drawdown path; else the cumulative daily PnL).

Figures (:func:`performance`):

* ``pnl_net``, ``fees``, ``turnover``, ``contracts`` — exact Decimal sums;
* ``pnl_per_contract`` = pnl_net / contracts and its **bootstrap interval** (95 %, resampling
  days with replacement, ratio of sums, fixed seed; none with fewer than 5 traded days), with
  ``interval_contains_zero`` and a plain ``verdict`` sentence ("no evidence of edge: the interval
  contains 0" when it does);
* ``daily_sharpe`` = mean / sd of daily PnL (days with a settled trade), ``annualized_sharpe`` ×√365;
* ``hit_rate`` = share of traded markets with pnl_net > 0;
* ``max_drawdown`` — largest peak-to-trough fall of the equity (or cumulative daily PnL), dollars.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

ZERO = Decimal(0)


def _dec(v: Any) -> Decimal:
    return v if isinstance(v, Decimal) else Decimal(str(v))


def max_drawdown(path: Iterable[Decimal | float]) -> Decimal:
    """Largest peak-to-trough fall of a value path (≥ 0, same units)."""
    peak: Decimal | None = None
    worst = ZERO
    for v in path:
        d = _dec(v)
        peak = d if peak is None or d > peak else peak
        worst = max(worst, peak - d)
    return worst


def bootstrap_pnl_per_contract(pnl_by_day: np.ndarray, contracts_by_day: np.ndarray, *, reps: int = 2000,
                               seed: int = 0) -> tuple[float, float]:
    """95 % percentile interval of sum(pnl)/sum(contracts) over days resampled with replacement."""
    n = len(pnl_by_day)
    if n < 2 or reps <= 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(reps, n))
    c = contracts_by_day[idx].sum(axis=1)
    r = np.where(c > 0, pnl_by_day[idx].sum(axis=1) / np.where(c > 0, c, 1), 0.0)
    return float(np.quantile(r, 0.025)), float(np.quantile(r, 0.975))


MIN_DAYS_FOR_INTERVAL = 5


def performance(markets: Iterable[Mapping[str, Any]], equity: pd.DataFrame | None = None, *, reps: int = 2000,
                seed: int = 0, min_days: int = MIN_DAYS_FOR_INTERVAL) -> dict[str, Any]:
    """The figures of the module doc from per-market records (money exact; ratios as floats)."""
    recs = [dict(m) for m in markets]
    pnl = sum((_dec(m["pnl_net"]) for m in recs), ZERO)
    fees = sum((_dec(m.get("fees", 0)) for m in recs), ZERO)
    turnover = sum((_dec(m.get("turnover", 0)) for m in recs), ZERO)
    contracts = sum((_dec(m.get("contracts", 0)) for m in recs), ZERO)
    by_day: dict[str, list[Decimal]] = {}
    for m in recs:
        agg = by_day.setdefault(str(m["day"]), [ZERO, ZERO])
        agg[0] += _dec(m["pnl_net"])
        agg[1] += _dec(m.get("contracts", 0))
    days = sorted(by_day)
    daily = np.array([float(by_day[d][0]) for d in days])
    dcon = np.array([float(by_day[d][1]) for d in days])
    sd = float(daily.std(ddof=1)) if len(daily) > 1 else 0.0
    sharpe = float(daily.mean() / sd) if sd > 0 else float("nan")
    if equity is not None and len(equity):
        dd = max_drawdown(equity["equity"].tolist())
    else:
        cum, path = ZERO, [ZERO]
        for d in days:
            cum += by_day[d][0]
            path.append(cum)
        dd = max_drawdown(path)
    per_contract = (pnl / contracts) if contracts > 0 else None
    lo, hi = (bootstrap_pnl_per_contract(daily, dcon, reps=reps, seed=seed) if len(days) >= min_days
              else (float("nan"), float("nan")))
    contains_zero = bool(not math.isnan(lo) and lo <= 0 <= hi)
    if math.isnan(lo):
        verdict = f"no interval: {len(days)} day(s) traded, fewer than {min_days}; no edge can be claimed"
    elif contains_zero:
        verdict = (f"no evidence of edge: the 95% interval of PnL per contract [{lo:+.4f}, {hi:+.4f}] $ "
                   "contains 0")
    elif lo > 0:
        verdict = f"positive edge after fees: PnL per contract in [{lo:+.4f}, {hi:+.4f}] $ (95%)"
    else:
        verdict = f"negative edge after fees: PnL per contract in [{lo:+.4f}, {hi:+.4f}] $ (95%)"
    wins = sum(1 for m in recs if _dec(m["pnl_net"]) > 0)
    return {
        "markets": len(recs), "days": len(days), "contracts": contracts, "pnl_net": pnl, "fees": fees,
        "turnover": turnover, "pnl_per_contract": per_contract,
        "pnl_per_contract_ci": (lo, hi), "interval_contains_zero": contains_zero, "verdict": verdict,
        "daily_sharpe": sharpe, "annualized_sharpe": sharpe * math.sqrt(365) if not math.isnan(sharpe) else sharpe,
        "hit_rate": wins / len(recs) if recs else float("nan"), "max_drawdown": dd,
    }


def markets_from_backtest_summary(summary: Mapping[str, Any], day_of: Any) -> list[dict[str, Any]]:
    """Per-market records from a backtest ``summary["per_market"]`` (``day_of(ticker) -> 'YYYY-MM-DD'``)."""
    out = []
    for tk, m in summary.get("per_market", {}).items():
        if "pnl_net" not in m:
            continue
        out.append({"ticker": tk, "day": day_of(tk), "pnl_net": _dec(m["pnl_net"]), "contracts": _dec(m["contracts"]),
                    "fees": _dec(m["fees"]), "turnover": _dec(m["turnover"])})
    return out
