"""The strategy report of a ``kalshi-edge backtest`` run: PnL net of fees with a bootstrap
interval, hit rate, max drawdown, maker share, fees paid and the exits by reason.

Reads the run's ``summary.json`` and ``trades.csv`` (written by the one backtester); money sums
are exact (Decimal); only the bootstrap interval is computed in floats. The interval resamples
whole **event days** (a day's markets settle on one temperature, so they are not independent):
10,000 resamples, fixed seed. When the interval contains zero, the report says so in words.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from kalshi_edge.trading.strategy import event_of

SEED = 15


def _event_days(books: list[Path | str]) -> list[str]:
    """Event tickers of the books replayed (``market_data_<EVENT>.csv.gz`` names; else read the file)."""
    from kalshi_edge.kalshi.top_of_book import read_top_of_book

    out = set()
    for b in books:
        name = Path(b).name
        if name.startswith("market_data_") and ".csv" in name:
            out.add(name[len("market_data_"):].split(".csv")[0].split("_")[0].upper())
        elif name.endswith((".csv", ".csv.gz")):
            out.update(event_of(t) for t in read_top_of_book(b)[0]["ticker"].unique())
    return sorted(out)


def backtest_report(run_dir: Path | str, *, books: list[Path | str] | None = None,
                    resamples: int = 10_000) -> dict[str, Any]:
    """``books``: the files the run replayed, so event days without a trade count as zero PnL in
    the bootstrap (without them only the days that traded are resampled, and the report says so)."""
    run = Path(run_dir)
    summary_path, trades_path = run / "summary.json", run / "trades.csv"
    for p in (summary_path, trades_path):
        if not p.is_file():
            raise FileNotFoundError(f"{p}: not found (run `kalshi-edge backtest ... --out {run}` first)")
    summary = json.loads(summary_path.read_text())
    with trades_path.open(newline="") as fh:
        trades = list(csv.DictReader(fh))
    per_market = summary.get("per_market", {})
    results = {t: d.get("result", "") for t, d in per_market.items()}
    by_day: dict[str, Decimal] = defaultdict(Decimal)
    for tk, d in per_market.items():
        if "pnl_net" in d:
            by_day[event_of(tk)] += Decimal(str(d["pnl_net"]))
    for d in _event_days(books or []):
        by_day.setdefault(d, Decimal(0))
    contracts = sum((Decimal(t["count"]) for t in trades), Decimal(0))
    maker = sum((Decimal(t["count"]) for t in trades if t["liquidity"] == "maker"), Decimal(0))
    fees = sum((Decimal(t["fee"]) for t in trades), Decimal(0))
    judged = [t for t in trades if results.get(t["ticker"]) in ("yes", "no")]
    # an entry (buy) is right when its side settles in the money; an exit (sell) when its side does not
    entries = [t for t in judged if t.get("action", "buy") != "sell"]
    exits = [t for t in judged if t.get("action", "buy") == "sell"]
    hits = sum(1 for t in entries if t["side"] == results[t["ticker"]])
    exit_hits = sum(1 for t in exits if t["side"] != results[t["ticker"]])
    pnl = Decimal(str(summary.get("pnl_net", "0")))
    days = sorted(by_day)
    vals = np.array([float(by_day[d]) for d in days])
    if len(vals) >= 2:
        rng = np.random.default_rng(SEED)
        boots = vals[rng.integers(0, len(vals), (resamples, len(vals)))].sum(axis=1)
        lo, hi = (float(x) for x in np.percentile(boots, [2.5, 97.5]))
    else:
        lo = hi = float("nan")
    contains_zero = not (lo > 0 or hi < 0)
    verdict = (f"The 95% bootstrap interval of net PnL [{lo:.2f}, {hi:.2f}] dollars contains zero: "
               "this backtest shows no edge distinguishable from luck." if contains_zero else
               f"The 95% bootstrap interval of net PnL [{lo:.2f}, {hi:.2f}] dollars excludes zero "
               f"({'a gain' if lo > 0 else 'a loss'} beyond what resampling the days explains).")
    out = {
        "strategy": summary.get("strategy"), "pnl_net": str(pnl), "pnl_ci_low": round(lo, 2), "pnl_ci_high": round(hi, 2),
        "interval_contains_zero": contains_zero, "bootstrap": (f"{resamples} resamples of {len(days)} event days"
                      + ("" if books else " (traded days only: pass the books to count idle days)")),
        "trades": len(trades), "hit_rate": round(hits / len(entries), 4) if entries else None, "trades_judged": len(judged),
        "entries_judged": len(entries), "exit_hit_rate": round(exit_hits / len(exits), 4) if exits else None,
        "exits_judged": len(exits),
        "markets_win_rate": summary.get("win_rate"), "max_drawdown": summary.get("max_drawdown"),
        "maker_share": round(float(maker / contracts), 4) if contracts else None, "contracts": str(contracts),
        "fees_paid": str(fees), "per_day_pnl": {d: str(by_day[d]) for d in days}, "verdict": verdict,
        "hit_rate_definition": "share of entry fills (buys) whose side (yes/no) matches the market's settlement",
        "exit_hit_rate_definition": ("share of exit fills (sells: the strategy's exits and stop-losses) whose side "
                                     "settled out of the money (selling beat holding to settlement)"),
        "exits": summary.get("exits", {}),
    }
    (run / "momentum_report.json").write_text(json.dumps(out, indent=2) + "\n")
    return out
