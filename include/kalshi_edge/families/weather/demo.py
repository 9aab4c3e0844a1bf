"""Offline weather demo: the same task functions the DAGs run, on the shipped samples.

Steps: import the real GHCN TMAX samples (KNYC, KMIA) into the lake; the honest walk-forward
day-ahead evaluation for 2024 vs climatology; the weekly retrain artifact; the day-ahead job for
2025-01-01 (the day after the sample); settlement of 2026-07-08 from the real final CLI reports;
then the simulator's KXHIGHNY-26JUL12 event: its markets mapped through the contract semantics,
priced with a distribution issued from history ending 2024-12-31 (so effectively the trend-adjusted
seasonal climatology: no 2025-26 rows are shipped), fused with the simulator's quotes (generated,
not recorded) and turned into fee-aware edges with skip reasons.
"""

from __future__ import annotations

import base64
import html
import io
from datetime import date
from typing import Any

import pandas as pd


def _table(rows: list[dict]) -> str:
    if not rows:
        return "<p>(none)</p>"
    cols = list(rows[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _plot(per_day: pd.DataFrame, station: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 2.6))
    d = pd.to_datetime(per_day["date"])
    ax.plot(d, per_day["model_rps"].rolling(30, min_periods=1).mean(), label="model RPS (30-day mean)")
    ax.plot(d, per_day["clim_rps"].rolling(30, min_periods=1).mean(), label="climatology RPS (30-day mean)")
    ax.set_title(f"{station}: day-ahead ranked probability score (°F)")
    ax.legend(fontsize=7)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return f'<img alt="{station} RPS" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}"/>'


def _simulator_event(settings: Any) -> dict:
    """Fetch KXHIGHNY markets from the simulator; the ``weather_day_ahead`` strategy prices them from
    the issued day-ahead forecast (fused with the quotes) and the one edge path decides."""
    try:
        from kalshi_edge.exchange.scenario import BUILTIN_CLOCK, builtin_scenario
        from kalshi_edge.exchange.simulator import run_simulator_in_thread
        from kalshi_edge.exchange.state import ManualClock
    except ImportError as exc:  # pragma: no cover
        return {"rows": [], "detail": f"simulator unavailable: {exc}"}
    import json
    import urllib.request

    from kalshi_edge.families.weather.tasks import day_ahead
    from kalshi_edge.kalshi.models import parse_markets
    from kalshi_edge.trading.intents import GateConfig, evaluate_edges
    from kalshi_edge.trading.strategy import MarketSnapshot, get_strategy

    with run_simulator_in_thread(scenario=builtin_scenario(), clock=ManualClock(BUILTIN_CLOCK)) as h:
        url = f"{h.base_url.rstrip('/')}/markets?series_ticker=KXHIGHNY&status=open&limit=100"
        with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - loopback simulator
            markets = parse_markets(json.loads(resp.read().decode()))
    if not markets:
        return {"rows": [], "detail": "no KXHIGHNY markets in the simulator"}
    # the day-ahead task issues the event day's distribution (logical time 06:00 UTC of that day)
    # the scenario day is past the sample: issue for it anyway (stale_inputs=warn), not as of the sample
    day_ahead(pd.Timestamp("2026-07-12T06:00Z"), {"offline": True, "stations": ["KNYC"], "stale_inputs": "warn"},
              settings)
    snaps = [MarketSnapshot.from_market(m, quote_ts=BUILTIN_CLOCK) for m in markets]
    strat = get_strategy("weather_day_ahead", {"settings": settings, "obs": pd.DataFrame()})
    probs = strat.probabilities(snaps, BUILTIN_CLOCK)
    edges = evaluate_edges(probs, snaps, strategy=strat.name, now=BUILTIN_CLOCK, cfg=GateConfig.from_settings(settings),
                           refusals=strat.refusals)
    rows = [{"market": r.ticker, "p_fused": "-" if r.p_yes is None else f"{r.p_yes:.3f}",
             "p_market": "-" if r.market_p is None else f"{r.market_p:.3f}", "yes_bid": str(r.yes_bid),
             "yes_ask": str(r.yes_ask), "ev_yes": str(r.ev_yes_taker), "ev_no": str(r.ev_no_taker),
             "selected": r.selected, "skip": r.skip_reason.value if r.skip_reason else "-"} for r in edges]
    version = probs[0].model_version if probs else "-"
    return {"rows": rows, "detail": f"{len(markets)} markets, model version {version}"}


def run_demo(settings: Any) -> dict:
    """Run the weather jobs offline; return ``{"title", "summary", "html"}`` for the demo report."""
    from kalshi_edge.families.weather.evaluate import evaluate_station
    from kalshi_edge.families.weather.tasks import day_ahead, load_tmax, retrain, settlement, tmax_import

    offline = {"offline": True}
    imported = tmax_import(date(2025, 1, 1), offline, settings)
    evals = {st: evaluate_station(load_tmax(st, settings, True), st, date(2024, 1, 1)) for st in ("KNYC", "KMIA")}
    tr = retrain(date(2025, 1, 1), {**offline, "eval_days": 91}, settings)
    da = day_ahead(date(2025, 1, 1), offline, settings)
    day_ahead(date(2026, 7, 8), {**offline, "stale_inputs": "warn"}, settings)  # so settlement has an issued distribution to score
    st = settlement(date(2026, 7, 8), {**offline, "stations": ["KNYC", "KMIA"]}, settings)
    sim = _simulator_event(settings)

    summary = [
        {"step": "TMAX rows imported", "value": sum(v["rows_written"] for v in imported.values()),
         "detail": "real GHCN TMAX, KNYC + KMIA 1997-2024"},
    ]
    for s_, r in evals.items():
        summary.append({"step": f"{s_} day-ahead RPS 2024 (model / climatology)", "value": round(r.rps_ratio, 4),
                        "detail": f"model {r.model_rps:.3f} °F vs clim {r.clim_rps:.3f}; Brier 2°F "
                                  f"{r.model_brier2:.3f} vs {r.clim_brier2:.3f}"})
    for s_, v in da.items():
        summary.append({"step": f"{s_} day-ahead 2025-01-01", "value": v["mean_f"], "detail": f"mean °F, {v['rows']} integers"})
    for s_, v in st.items():
        summary.append({"step": f"{s_} settlement 2026-07-08", "value": v.get("cli_max_f", "-"),
                        "detail": "; ".join(v.get("flags", [])) or (v.get("skipped") or
                                  f"RPS {v.get('scores', {}).get('rps', float('nan')):.2f} (climatology-like issue)")})
    summary.append({"step": "simulator KXHIGHNY-26JUL12", "value": len(sim["rows"]), "detail": sim["detail"]})
    summary.append({"step": "retrain artifacts", "value": len(tr), "detail": "models/weather/<station>_latest.json"})

    parts = ["<h3>Weather: day-ahead distribution of the daily high</h3>",
             "<p>Walk-forward from 2024-01-01; each day issued from rows dated before it. "
             "RPS over integer °F (CDF distance, = CRPS for integer outcomes).</p>",
             _table(summary)]
    parts += [_plot(r.per_day, s_) for s_, r in evals.items()]
    parts += ["<h4>Simulator event KXHIGHNY-26JUL12 (generated quotes)</h4>", _table(sim["rows"])]
    return {"title": "Weather (KXHIGH*)", "summary": summary, "html": "\n".join(parts)}
