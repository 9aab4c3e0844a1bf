"""A lake the dashboard can show, made the real way: a paper session against the in-process
simulator (loopback), half the held markets settled by the exchange and booked by the daily
settlement job, and one market-snapshot run for the marks. Used by the browser test and by
``python -m kalshi_edge.dashboard.demo`` (seed ``data/`` to look at the dashboard locally)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

FAST = {"backoff_base": 0.001, "backoff_max": 0.005, "rate_limit": False}
BOOK_ONLY = ("ladder_consensus", "longshot_fade")
PARAMS = {"longshot_fade": {"shrink": 0.3}}
AS_OF = datetime(2026, 7, 13, 15, 0, tzinfo=UTC)
SERIES = ("KXHIGHNY", "KXBTCD", "KXBTC", "KXTOPSONG")


def seed_paper_lake(settings: Any, *, steps: int = 4, seed: int = 2, as_of: datetime = AS_OF) -> dict[str, Any]:
    """Seed ``settings.data_dir``; returns what the exchange says (positions, marks, cash change,
    settled results) so callers can check the dashboard against it. The ledger is
    ``data/ledger/orders_paper.jsonl``."""
    from kalshi_edge.exchange.scenario import BUILTIN_CLOCK
    from kalshi_edge.exchange.simulator import run_simulator_in_thread
    from kalshi_edge.exchange.state import ManualClock
    from kalshi_edge.kalshi.rest import KalshiRestClient
    from kalshi_edge.kalshi.tasks import run_market_snapshots
    from kalshi_edge.trading.runner import open_session, strategies_for
    from kalshi_edge.trading.settlement import run_settlement

    ledger_path = Path(settings.data_dir) / "ledger" / "orders_paper.jsonl"
    clk = ManualClock(BUILTIN_CLOCK)
    with run_simulator_in_thread(seed=seed, clock=clk) as sim:
        h = open_session(settings, base_url=sim.base_url, client_kwargs=FAST, ledger_path=ledger_path,
                         strategies=strategies_for([], PARAMS, names=list(BOOK_ONLY)))
        try:
            for _ in range(steps):
                h.session.step()
                clk.advance(10)
            h.session.shutdown()
            held = dict(h.session.ledger.net_positions())
        finally:
            h.close()
        results = {t: ("yes" if i == 0 else "no") for i, t in enumerate(sorted(held)[: len(held) // 2])}
        for t, r in results.items():
            sim.settle(t, r)
        run_settlement(settings, as_of=as_of, base_url=sim.base_url, ledger_path=ledger_path, client_kwargs=FAST)
        run_market_snapshots(settings, as_of=as_of, base_url=sim.base_url, series=SERIES, max_books_per_series=1)
        acct = sim.exchange.account("default")
        open_pos = {t: p.position for t, p in acct.positions.items() if p.position != 0}
        marks: dict[str, Decimal] = {}
        with KalshiRestClient.from_settings(settings, base_url=sim.base_url, **FAST) as c:
            for m in c.iter_markets(status="open"):
                if m.ticker in open_pos and m.yes_bid is not None and m.yes_ask is not None:
                    marks[m.ticker] = (m.yes_bid + m.yes_ask) / 2
        resting = sum(1 for o in sim.exchange.orders.values() if o.state.status == "resting")
        return {"ledger_path": ledger_path, "settled": results, "open_positions": open_pos, "marks": marks,
                "cash_change": acct.cash - sim.exchange.starting_cash, "resting_orders": resting}


if __name__ == "__main__":  # pragma: no cover - a convenience for looking at the dashboard
    from kalshi_edge.config import load_settings

    s = load_settings(min_edge_dollars="0.01", kalshi_env="local")
    out = seed_paper_lake(s)
    print(f"seeded {s.data_dir}: {len(out['open_positions'])} open positions, {len(out['settled'])} settled")
