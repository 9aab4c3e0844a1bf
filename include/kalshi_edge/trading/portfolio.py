"""Build the risk engine's :class:`PortfolioState` from the ledger and the broker (one place)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from kalshi_edge.kalshi.money import ONE, ZERO
from kalshi_edge.trading.ledger import OrderLedger
from kalshi_edge.trading.risk import Exposure, PortfolioState


def mark_value(position: Decimal, yes_mark: Decimal) -> Decimal:
    """Dollar value of a signed position (+YES / −NO) at a YES mark price."""
    return position * yes_mark if position > 0 else -position * (ONE - yes_mark)


def unrealized(ledger: OrderLedger, marks: Mapping[str, Decimal]) -> Decimal:
    """Mark-to-market minus cost of every open ledger position (dollars); unmarked → at cost."""
    total = ZERO
    for t, p in ledger.positions.items():
        if p.position != 0 and t in marks:
            total += mark_value(p.position, marks[t]) - p.cost
    return total


def build_state(*, ledger: OrderLedger, now: datetime, bankroll: Decimal, marks: Mapping[str, Decimal],
                realized_today: Decimal | None = None, equity: Decimal | None = None,
                peak_equity: Decimal | None = None, exchange_active: bool = True,
                trading_active: bool = True, exclude: str = "") -> PortfolioState:
    """Exposures = ledger positions (cost) + open buy orders (remaining × price), per market.

    ``exclude``: a client_order_id left out of the open orders (the order an amend replaces)."""
    exps: dict[str, Exposure] = {}
    for t, p in ledger.positions.items():
        if p.position != 0:
            exps[t] = Exposure(t, p.event_ticker, p.family, position=p.position, cost=p.cost)
    for r in ledger.open_orders():
        if r.action != "buy" or r.client_order_id == exclude:
            continue
        e = exps.setdefault(r.ticker, Exposure(r.ticker, r.event_ticker, r.family))
        e.resting_count += r.remaining
        e.resting_cost += r.remaining * r.price
    return PortfolioState(
        now=now, bankroll=bankroll, exposures=exps,
        realized_pnl_today=ledger.realized_pnl() if realized_today is None else realized_today,
        unrealized_pnl=unrealized(ledger, marks), equity=equity, peak_equity=peak_equity,
        exchange_active=exchange_active, trading_active=trading_active, blocked_markets=ledger.blocked_markets(),
    )
