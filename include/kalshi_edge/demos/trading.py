"""`make demo` hook for the execution area: a short paper session in every family, each family
trading from its OWN model (``btc_vol_ladder``, ``weather_day_ahead``, ``billboard_weekly``), then a
backtest of one recorded KXHIGHNY day through the same session loop.

Offline: the simulator runs in-process on 127.0.0.1 with a manual clock (5 minutes of exchange
time in 10 s steps). Two legs, because the data are dated differently: BTC and weather trade the
built-in scenario (2026-07-12; the BTC sample bars are re-dated to that day, see
``families.btc.strategy``), Billboard trades the built-in KXTOPSONG event re-dated to the chart its
prediction is for (2024-01-06, :mod:`kalshi_edge.demos.scenarios`) — the strategy refuses to price
a prediction against another chart date. Missing artifacts are trained first on the shipped
samples (:func:`ensure_models`), as the family demos do. The report shows, per family, model P vs
market P, edge after fees, the gate decisions, the risk decisions and the orders.
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path
from typing import Any

from kalshi_edge.kalshi.money import ZERO
from kalshi_edge.trading.portfolio import mark_value
from kalshi_edge.trading.strategy import FAMILIES, family_of

SAMPLE_DAY = Path("sample/kalshi/top_of_book/market_data_KXHIGHNY-25DEC06.csv.gz")  # under data/
BILLBOARD_CHART = date(2024, 1, 6)
#: Each family's model strategy (the orders the demo counts as "from its own model").
MODEL_STRATEGY = {"btc": "btc_vol_ladder", "weather": "weather_day_ahead", "billboard": "billboard_weekly"}


def _table(columns: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def ensure_models(settings: Any) -> dict[str, str]:
    """Train (on the shipped samples) whatever artifact the three model strategies need and lack."""
    import pandas as pd

    from kalshi_edge.families.btc.tasks import retrain
    from kalshi_edge.families.weather.datasets import WEATHER_FORECASTS
    from kalshi_edge.families.weather.tasks import day_ahead
    from kalshi_edge.lake import Lake
    from kalshi_edge.modeling.artifacts import ArtifactStore

    store = ArtifactStore.from_settings(settings)
    done: dict[str, str] = {}
    if not store.exists("btc", "latest"):
        retrain(pd.Timestamp("2026-03-06", tz="UTC"), {"offline": True, "train_days": 7, "test_days": 3,
                                                       "n_trials": 2}, settings)
        done["btc"] = "trained"
    lake = Lake.from_settings(settings)
    have = lake.files(WEATHER_FORECASTS) and len(lake.read(
        WEATHER_FORECASTS, where="station = 'KNYC' AND kind = 'day_ahead' AND date = '2026-07-12'"))
    if not have:
        # the scenario is dated 2026-07-12, past the TMAX sample: issue for that day anyway (stale_inputs=warn)
        day_ahead(pd.Timestamp("2026-07-12T06:00Z"), {"offline": True, "stations": ["KNYC"], "stale_inputs": "warn"},
                  settings)
        done["weather"] = "issued"
    art = store.meta("billboard", "weekly_prediction") if store.exists("billboard", "weekly_prediction") else None
    if art is None or art.extra.get("chart_date") != BILLBOARD_CHART.isoformat():
        from kalshi_edge.demos.scenarios import billboard_week_scenario
        from kalshi_edge.exchange.simulator import run_simulator_in_thread
        from kalshi_edge.exchange.state import ManualClock
        from kalshi_edge.families.billboard.demo import sample_charts_path
        from kalshi_edge.families.billboard.model import ModelConfig
        from kalshi_edge.families.billboard.pipeline import run_weekly_prediction

        sc = billboard_week_scenario(BILLBOARD_CHART)
        with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start)) as sim:
            run_weekly_prediction(settings, as_of=date(2023, 12, 25), charts_csv=sample_charts_path(),
                                  kalshi_base_url=sim.base_url, cfg=ModelConfig(num_trees=60))
        done["billboard"] = "predicted"
    return done


def _edge_table(session: Any, now: Any) -> list[list[Any]]:
    """Model P vs market P, edge after fees and the gate decision of every market, one step."""
    from kalshi_edge.trading.intents import evaluate_edges

    markets = session.markets(now)
    out = []
    for strat in session.strategies:
        mine = [m for m in markets if strat.wants(m) and (not session.families or m.family in session.families)]
        strat.refusals = []
        probs = strat.probabilities(mine, now)
        for r in evaluate_edges(probs, mine, strategy=strat.name, now=now, cfg=session.gates, refusals=strat.refusals):
            out.append([family_of(r.ticker), strat.name, r.ticker,
                        "-" if r.p_yes is None else f"{r.p_yes:.3f}",
                        "-" if r.market_p is None else f"{r.market_p:.3f}",
                        "-" if r.best_edge is None else f"{r.best_side} {r.best_liquidity} {r.best_edge:.4f}",
                        "selected" if r.selected else r.skip_reason.value, r.model_version or "-"])
    return out


def _leg(settings: Any, scenario: Any, families: list[str], ledger_path: Path, steps: int, step_seconds: float
         ) -> dict[str, Any]:
    from kalshi_edge.exchange.simulator import run_simulator_in_thread
    from kalshi_edge.exchange.state import ManualClock
    from kalshi_edge.trading.runner import open_session, strategies_for

    if ledger_path.exists():
        ledger_path.unlink()  # a fresh simulator each demo: start its ledger fresh too
    clk = ManualClock(scenario.clock_start)
    with run_simulator_in_thread(scenario=scenario, seed=0, clock=clk) as sim:
        h = open_session(settings, base_url=sim.base_url, ledger_path=ledger_path, families=families,
                         strategies=strategies_for(families, settings=settings), client_kwargs={"rate_limit": False})
        try:
            h.session.decision_log = []
            edges = _edge_table(h.session, clk.now())
            for _ in range(steps):
                h.session.step()
                clk.advance(step_seconds)
            h.session.shutdown()
            marks = {m.ticker: (m.yes_bid + m.yes_ask) / 2 for m in h.session.broker.client.iter_markets(status="open")
                     if m.yes_bid is not None and m.yes_ask is not None}
            summary = h.session.summary()
            ledger = h.session.ledger
            orders = list(ledger.orders.values())
            positions = {t: p for t, p in ledger.positions.items() if p.position != 0}
            exchange_positions = {t: p.position for t, p in sim.exchange.account("default").positions.items()
                                  if p.position != 0}
            decisions = list(h.session.decision_log)
        finally:
            h.close()
    return {"summary": summary, "orders": orders, "positions": positions, "marks": marks, "edges": edges,
            "decisions": decisions, "exchange_positions": exchange_positions, "ledger": str(ledger_path),
            "consistent": exchange_positions == {t: p.position for t, p in positions.items()}}


def run_paper_session(settings: Any, *, steps: int = 30, step_seconds: float = 10.0,
                      ledger_path: Path | None = None) -> dict[str, Any]:
    """The demo session (two legs, see the module docstring). Returns orders, positions (with marks),
    edge tables, risk decisions and the session summaries."""
    from kalshi_edge.config import load_settings
    from kalshi_edge.demos.scenarios import billboard_week_scenario
    from kalshi_edge.exchange.scenario import builtin_scenario

    demo_settings = load_settings(**{k: getattr(settings, k) for k in ("data_dir", "models_dir")}, kalshi_env="local")
    ensure_models(demo_settings)
    path = ledger_path or Path(settings.data_dir) / "ledger" / "demo_orders.jsonl"
    legs = [
        _leg(demo_settings, builtin_scenario(seed=0), ["btc", "weather"], path, steps, step_seconds),
        _leg(demo_settings, billboard_week_scenario(BILLBOARD_CHART), ["billboard"],
             path.with_name(path.stem + "_billboard.jsonl"), steps, step_seconds),
    ]
    merged: dict[str, Any] = {"orders": [], "positions": {}, "marks": {}, "edges": [], "decisions": [],
                              "legs": legs}
    for leg in legs:
        merged["orders"] += leg["orders"]
        merged["positions"].update(leg["positions"])
        merged["marks"].update(leg["marks"])
        merged["edges"] += leg["edges"]
        merged["decisions"] += leg["decisions"]
    keys = ("orders_sent", "fills", "unknown")
    merged["summary"] = {k: sum(leg["summary"][k] for leg in legs) for k in keys}
    merged["summary"]["denied"] = [leg["summary"]["denied"] for leg in legs]
    merged["consistent"] = all(leg["consistent"] for leg in legs)
    merged["ledger"] = str(path)
    return merged


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
        fam["model_orders"] = fam.get("model_orders", 0) + (r.strategy == MODEL_STRATEGY.get(r.family))
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
        {"family": f, "orders": d["orders"], "model_orders": d.get("model_orders", 0),
         "filled_contracts": str(d["filled_contracts"]), "fees": str(d["fees"]),
         "unrealized_pnl_net": str(d["mark_value"] - d["cost"] - d["fees"])}
        for f, d in per_family.items()
    ]
    order_rows = [[r.client_order_id[:14], r.strategy, r.family, r.ticker, r.side, r.price, r.count, r.liquidity,
                   f"{r.p_yes:.3f}", "-" if r.market_p is None else f"{r.market_p:.3f}", r.model_version or "-",
                   r.state, r.filled, r.fees] for r in orders]
    s = sess["summary"]
    decision_rows = [[d["at"][11:19], d["strategy"], d["ticker"], d["side"], d["price"], d["proposed"], d["decision"],
                      d["size"]] for d in sess["decisions"]]
    parts = [
        "<h3>Paper session against the simulator: every family from its own model (5 min of exchange time)</h3>",
        f"<p>orders sent {s['orders_sent']}, fills {s['fills']}, unknown outcomes {s['unknown']}; "
        f"ledger positions equal the exchange's: {sess['consistent']}. BTC and weather trade the built-in scenario "
        "(2026-07-12); Billboard trades its KXTOPSONG event re-dated to the predicted chart (2024-01-06).</p>",
        "<h4>Denied by risk</h4>", _denials_table(s["denied"]),
        _table(["family", "orders", "filled contracts", "fees", "unrealized PnL net"],
               [[r["family"], r["orders"], r["filled_contracts"], r["fees"], r["unrealized_pnl_net"]] for r in summary_rows]),
        "<h4>Model P vs market P, edge after fees and gate decision (first step)</h4>",
        _table(["family", "strategy", "ticker", "model P", "market P (mid)", "best edge", "gate", "model version"],
               sess["edges"]),
        "<h4>Risk decisions</h4>",
        _table(["time", "strategy", "ticker", "side", "price", "proposed", "decision", "size"], decision_rows),
        "<h4>Orders</h4>",
        _table(["client id", "strategy", "family", "ticker", "side", "price", "count", "liquidity", "p model",
                "p market", "model version", "state", "filled", "fees"], order_rows),
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


def _denials_table(denied: Any) -> str:
    """Risk denials by reason, summed over the session's legs, as a table (never a raw dict)."""
    from collections import Counter

    from kalshi_edge.reports.html import mapping_table

    legs = denied if isinstance(denied, list) else [denied]
    total: Counter = Counter()
    for leg in legs:
        total.update(dict(leg or {}))
    return mapping_table(dict(total), key="risk denial", value="intents") if total else "<p>none</p>"

