"""Fee-aware edge per bracket of a KXHIGH event, with a skip reason for every market not taken.

Per contract, buying at the ask as a taker (fees from THE fee function, Decimal dollars):

    ev_yes = p - yes_ask - fee(yes_ask)/count        ev_no = (1 - p) - no_ask - fee(no_ask)/count

Skip reasons, checked in this order: ``status <status>`` (not active), ``closed`` (at or after
close), ``no quote``, ``stale quote`` (older than ``max_quote_age_seconds``), ``edge below min``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pandas as pd

from kalshi_edge.kalshi.fees import FeeSchedule, order_fee
from kalshi_edge.kalshi.models import Market
from kalshi_edge.kalshi.money import ONE, ZERO, parse_count

EV_Q = Decimal("0.000001")


@dataclass(frozen=True)
class EdgeConfig:
    min_edge_dollars: Decimal = Decimal("0.02")
    max_quote_age_seconds: float = 120.0
    count: Decimal = Decimal("1")
    tick: Decimal = Decimal("0.01")


def _usable(p: Decimal | None) -> bool:
    return p is not None and ZERO < p < ONE


def bracket_edges(
    probs: Mapping[str, float],
    markets: Sequence[Market],
    *,
    as_of: datetime,
    schedule: FeeSchedule | None = None,
    config: EdgeConfig | None = None,
    quote_time: datetime | None = None,
) -> pd.DataFrame:
    """One row per market: p_yes, asks, fees, EVs (Decimal dollars), best side and skip_reason."""
    cfg = config or EdgeConfig()
    count = parse_count(cfg.count, "count")
    sched = schedule or FeeSchedule()
    rows = []
    for m in markets:
        if m.ticker not in probs:
            raise KeyError(f"no probability for market {m.ticker}")
        p = Decimal(f"{float(probs[m.ticker]):.6f}")
        row: dict[str, object] = {"ticker": m.ticker, "p_yes": p, "yes_ask": m.yes_ask, "no_ask": m.no_ask}
        fee_y = fee_n = ev_y = ev_n = None
        if _usable(m.yes_ask):
            fee_y = order_fee(price=m.yes_ask, count=count, schedule=sched, tick=cfg.tick, at=as_of)
            ev_y = (p - m.yes_ask - fee_y / count).quantize(EV_Q)  # type: ignore[operator]
        if _usable(m.no_ask):
            fee_n = order_fee(price=m.no_ask, count=count, schedule=sched, tick=cfg.tick, at=as_of)
            ev_n = ((ONE - p) - m.no_ask - fee_n / count).quantize(EV_Q)  # type: ignore[operator]
        row.update(fee_yes=fee_y, fee_no=fee_n, ev_yes=ev_y, ev_no=ev_n)
        cands = [(s, e) for s, e in (("yes", ev_y), ("no", ev_n)) if e is not None]
        best = max(cands, key=lambda c: c[1]) if cands else None
        row["best_side"], row["best_ev"] = (best if best else (None, None))
        if m.status and m.status not in ("active", "open"):
            reason = f"status {m.status}"
        elif m.close_time is not None and as_of >= m.close_time:
            reason = "closed"
        elif best is None:
            reason = "no quote"
        elif quote_time is not None and (as_of - quote_time).total_seconds() > cfg.max_quote_age_seconds:
            reason = "stale quote"
        elif best[1] < cfg.min_edge_dollars:
            reason = "edge below min"
        else:
            reason = ""
        row["skip_reason"] = reason
        rows.append(row)
    return pd.DataFrame(rows)
