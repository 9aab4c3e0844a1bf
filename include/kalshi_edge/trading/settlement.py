"""Daily settlement: close ledger positions with the exchange's results, realized PnL net of fees
per market/event/family, and score the prediction behind every filled order.

Idempotent: a market settled once in the ledger is not settled again; rerunning a day rewrites
the same lake partition (the lake replaces partitions) and the same report file.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from kalshi_edge.kalshi.money import ZERO
from kalshi_edge.trading.ledger import OrderLedger


def settle_ledger(ledger: OrderLedger, results: dict[str, str], *, at: datetime) -> list[str]:
    """Append ``settled`` for every traded, unsettled market whose result is yes/no. Returns them."""
    done = []
    for t, p in sorted(ledger.positions.items()):
        res = results.get(t, "")
        if not p.settled and res in ("yes", "no"):
            ledger.append("settled", ticker=t, result=res, at=at.isoformat())
            done.append(t)
    return done


def pnl_tables(ledger: OrderLedger, results: dict[str, str], settled_date: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-market PnL rows, per-order prediction scores) for the settled markets in ``results``."""
    traded: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for r in ledger.orders.values():
        traded[r.ticker] += r.filled
    rows = []
    for t, p in sorted(ledger.positions.items()):
        if not p.settled or results.get(t) not in ("yes", "no"):
            continue
        rows.append({"settled_date": settled_date, "ticker": t, "event_ticker": p.event_ticker, "family": p.family,
                     "result": results[t], "contracts_traded": traded[t], "fees": p.fees,
                     "realized_pnl_gross": p.realized, "realized_pnl_net": p.realized - p.fees})
    scores = []
    for r in ledger.orders.values():
        res = results.get(r.ticker)
        if r.filled <= 0 or res not in ("yes", "no"):
            continue
        y = 1 if res == "yes" else 0
        scores.append({"settled_date": settled_date, "client_order_id": r.client_order_id, "strategy": r.strategy,
                       "family": r.family, "ticker": r.ticker, "side": r.side, "p_yes": r.p_yes,
                       "outcome_yes": y, "brier": (r.p_yes - y) ** 2})
    return pd.DataFrame(rows), pd.DataFrame(scores)


def summarize(pnl: pd.DataFrame, scores: pd.DataFrame) -> dict[str, Any]:
    """PnL per event and family (exact, as strings) and mean Brier per family."""
    out: dict[str, Any] = {"markets": len(pnl), "scored_orders": len(scores)}
    for level in ("event_ticker", "family"):
        agg: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for _, r in pnl.iterrows():
            agg[r[level]] += r["realized_pnl_net"]
        out[f"pnl_net_by_{level.replace('_ticker', '')}"] = {k: str(v) for k, v in sorted(agg.items())}
    out["pnl_net_total"] = str(sum(pnl["realized_pnl_net"], ZERO)) if len(pnl) else "0"
    out["brier_by_family"] = ({f: round(float(g["brier"].mean()), 4) for f, g in scores.groupby("family")}
                              if len(scores) else {})
    return out


def run_settlement(settings: Any, *, as_of: datetime, base_url: str | None = None, ledger_path: Path | None = None,
                   client_kwargs: dict[str, Any] | None = None, write_lake: bool = True) -> dict[str, Any]:
    """The DAG task: read results for every market the ledger traded, settle, score, write.

    ``as_of`` is the run's logical time (never now). Results come from ``GET /markets/{ticker}``
    (``result`` yes/no once determined). Writes ``trading_pnl`` and ``trading_prediction_scores``
    to the lake and ``reports/trading/settlement_<date>.json``; returns the summary.
    """
    from kalshi_edge.kalshi.rest import KalshiRestClient

    path = ledger_path or Path(settings.data_dir) / "ledger" / f"orders_{settings.trade_mode}.jsonl"
    day = as_of.date().isoformat()
    results: dict[str, str] = {}
    with OrderLedger(path) as ledger:
        tickers = sorted({r.ticker for r in ledger.orders.values() if r.filled > 0})
        url = (base_url or settings.rest_base_url).rstrip("/")
        with KalshiRestClient.from_settings(settings, base_url=url, **(client_kwargs or {})) as client:
            for t in tickers:
                res = client.get_market(t).result
                if res in ("yes", "no"):
                    results[t] = res
        newly = settle_ledger(ledger, results, at=as_of)
        pnl, scores = pnl_tables(ledger, results, day)
    summary = {"as_of": as_of.isoformat(), "newly_settled": newly, **summarize(pnl, scores)}
    if write_lake and len(pnl):
        from kalshi_edge.lake import Lake
        from kalshi_edge.trading.datasets import TRADING_PNL, TRADING_PREDICTION_SCORES

        lake = Lake.from_settings(settings)
        lake.write(TRADING_PNL, pnl, source=str(path))
        if len(scores):
            lake.write(TRADING_PREDICTION_SCORES, scores, source=str(path))
    out = Path(settings.data_dir) / "reports" / "trading" / f"settlement_{day}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n")
    summary["report"] = str(out)
    return summary
