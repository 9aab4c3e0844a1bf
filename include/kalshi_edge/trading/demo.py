"""`make demo` hook for the execution area: a short paper session against the simulator's built-in
scenario (every family), then a backtest of one recorded KXHIGHNY day.

Offline: the simulator runs in-process on 127.0.0.1 with a manual clock (5 minutes of exchange
time in 10 s steps); the backtest reads ``data/sample/kalshi/top_of_book/``. The session uses the
families' registered strategies, or the book-only fallbacks where a family has none yet, with
relaxed demo gates (min edge $0.01, so a few orders appear on the generated books).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from kalshi_edge.kalshi.money import ZERO
from kalshi_edge.trading.portfolio import mark_value
from kalshi_edge.trading.strategy import FAMILIES, family_of

DEMO_PARAMS: dict[str, dict[str, Any]] = {"longshot_fade": {"shrink": 0.3}, "weather_day_ahead": {"offline": True}}
SAMPLE_DAY = Path("sample/kalshi/top_of_book/market_data_KXHIGHNY-25DEC06.csv.gz")  # under data/


def _table(columns: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def run_paper_session(settings: Any, *, steps: int = 30, step_seconds: float = 10.0,
                      ledger_path: Path | None = None) -> dict[str, Any]:
    """The demo session. Returns orders, positions (with marks) and the session summary."""
    from kalshi_edge.config import load_settings
    from kalshi_edge.exchange.scenario import BUILTIN_CLOCK
    from kalshi_edge.exchange.simulator import run_simulator_in_thread
    from kalshi_edge.exchange.state import ManualClock
    from kalshi_edge.trading.runner import open_session

    demo_settings = load_settings(**{**{k: getattr(settings, k) for k in ("data_dir", "models_dir")},
                                     "kalshi_env": "local", "min_edge_dollars": "0.01"})
    path = ledger_path or Path(settings.data_dir) / "ledger" / "demo_orders.jsonl"
    if path.exists():
        path.unlink()  # a fresh simulator each demo: start its ledger fresh too
    clk = ManualClock(BUILTIN_CLOCK)
    with run_simulator_in_thread(seed=0, clock=clk) as sim:
        from kalshi_edge.trading.runner import strategies_for

        # Each family's own strategy where it has one, plus the book-only baselines in every family.
        strategies = strategies_for(FAMILIES, DEMO_PARAMS, with_fallbacks=True)
        h = open_session(demo_settings, base_url=sim.base_url, ledger_path=path, strategies=strategies,
                         client_kwargs={"rate_limit": False})
        try:
            for _ in range(steps):
                h.session.step()
                clk.advance(step_seconds)
            h.session.shutdown()
            marks = {m.ticker: (m.yes_bid + m.yes_ask) / 2 for m in h.session.broker.client.iter_markets(status="open")
                     if m.yes_bid is not None and m.yes_ask is not None}
            summary = h.session.summary()
            ledger = h.session.ledger
            orders = [r for r in ledger.orders.values()]
            positions = {t: p for t, p in ledger.positions.items() if p.position != 0}
            exchange_positions = {t: p.position for t, p in sim.exchange.account("default").positions.items()
                                  if p.position != 0}
        finally:
            h.close()
    return {"summary": summary, "orders": orders, "positions": positions, "marks": marks,
            "exchange_positions": exchange_positions, "ledger": str(path)}


def run_demo(settings: Any) -> dict[str, Any]:
    """Paper session (all families) + a recorded-day backtest; see the module docstring."""
    sess = run_paper_session(settings)
    orders, positions, marks = sess["orders"], sess["positions"], sess["marks"]
    per_family: dict[str, dict[str, Any]] = {f: {"orders": 0, "filled_contracts": ZERO, "fees": ZERO,
                                                 "cost": ZERO, "mark_value": ZERO} for f in FAMILIES}
    for r in orders:
        fam = per_family.setdefault(r.family or family_of(r.ticker),
                                    {"orders": 0, "filled_contracts": ZERO, "fees": ZERO, "cost": ZERO, "mark_value": ZERO})
        fam["orders"] += 1
        fam["filled_contracts"] += r.filled
        fam["fees"] += r.fees
    pos_rows = []
    for t, p in sorted(positions.items()):
        mv = mark_value(p.position, marks[t]) if t in marks else p.cost
        fam = per_family[p.family]
        fam["cost"] += p.cost
        fam["mark_value"] += mv
        pos_rows.append([t, p.family, p.position, p.cost, marks.get(t, ""), mv, mv - p.cost - p.fees])
    summary_rows = [
        {"family": f, "orders": d["orders"], "filled_contracts": str(d["filled_contracts"]), "fees": str(d["fees"]),
         "unrealized_pnl_net": str(d["mark_value"] - d["cost"] - d["fees"])}
        for f, d in per_family.items()
    ]
    order_rows = [[r.client_order_id[:14], r.strategy, r.family, r.ticker, r.side, r.price, r.count, r.liquidity,
                   r.state, r.filled, r.fees] for r in orders]
    s = sess["summary"]
    parts = [
        "<h3>Paper session against the simulator (built-in scenario, 5 min of exchange time)</h3>",
        f"<p>orders sent {s['orders_sent']}, fills {s['fills']}, unknown outcomes {s['unknown']}; "
        f"ledger positions equal the exchange's: {sess['exchange_positions'] == {t: p.position for t, p in positions.items()}}.</p>",
        "<h4>Denied by risk</h4>", _denials_table(s["denied"]),
        _table(["family", "orders", "filled contracts", "fees", "unrealized PnL net"],
               [[r["family"], r["orders"], r["filled_contracts"], r["fees"], r["unrealized_pnl_net"]] for r in summary_rows]),
        "<h4>Orders</h4>",
        _table(["client id", "strategy", "family", "ticker", "side", "price", "count", "liquidity", "state", "filled",
                "fees"], order_rows),
        "<h4>Positions (marked at mid)</h4>",
        _table(["ticker", "family", "position", "cost", "mark", "value", "PnL net"], pos_rows),
    ]
    from kalshi_edge.config import PROJECT_ROOT

    day = Path(settings.data_dir) / SAMPLE_DAY
    if not day.exists():  # a data_dir elsewhere (tests): the sample shipped with the checkout
        day = PROJECT_ROOT / "data" / SAMPLE_DAY
    if day.exists():
        from kalshi_edge.backtest.report import html_fragment
        from kalshi_edge.backtest.runner import run_backtest
        from kalshi_edge.trading.strategy import get_strategy

        bt, _ = run_backtest([day], get_strategy("longshot_fade"))
        parts.append("<h3>Backtest of a recorded KXHIGHNY day (top of book)</h3>")
        parts.append(html_fragment(bt))
        summary_rows.append({"family": "backtest:weather", "orders": bt.summary["trades"],
                             "filled_contracts": bt.summary["contracts"], "fees": bt.summary["fees"],
                             "unrealized_pnl_net": bt.summary["pnl_net"]})
    return {"title": "Execution: paper trading and backtest", "summary": summary_rows, "html": "\n".join(parts)}


__all__ = ["run_demo", "run_paper_session"]


def _denials_table(denied: dict) -> str:
    """Risk denials by reason as a table (issue 13: never a raw dict)."""
    from kalshi_edge.reports.html import mapping_table

    return mapping_table(dict(denied or {}), key="risk denial", value="intents") if denied else "<p>none</p>"
