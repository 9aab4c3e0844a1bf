"""Offline BTC demo: the same task functions the DAGs run, on the shipped sample bars.

Steps: backfill the sample days into the lake (``btc_bars_backfill``), the honest walk-forward
evaluation vs the GBM+EWMA baseline, a walk-forward retrain (short folds: the sample is 14 days),
the hourly edge job every two hours of the last sample day on sample ladders (SYNTHETIC quotes:
there are no recorded Kalshi BTC books; see ``pipeline.sample_ladders``), and the settlement
scoring of that day. Then the simulator's BTC ladders (KXBTCD/KXBTC, generated quotes, July 2026)
are fetched over its REST API and priced from the sample bars RE-DATED by whole days so that they
end at the simulator's clock (the price path is real, its calendar is shifted).
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from kalshi_edge.families.btc.scoring import _table


def run_demo(settings: Any) -> dict:
    """Run the BTC jobs offline; return ``{"title", "summary", "html"}`` for the demo report."""
    from kalshi_edge.families.btc.bars import read_bars_csv
    from kalshi_edge.families.btc.datasets import BTC_OPPORTUNITIES
    from kalshi_edge.families.btc.evaluate import evaluate
    from kalshi_edge.families.btc.pipeline import default_sample_csv
    from kalshi_edge.families.btc.tasks import bars_backfill, hourly_edge, retrain, settlement_scoring
    from kalshi_edge.lake import Lake
    from kalshi_edge.modeling.metrics import png_img_tag, reliability_plot_png

    offline = {"offline": True}
    csv = default_sample_csv(settings)
    bars = read_bars_csv(csv)
    days = sorted(bars["ts"].dt.strftime("%Y-%m-%d").unique())
    imported = [bars_backfill(pd.Timestamp(d, tz="UTC"), offline, settings) for d in days]
    ev = evaluate(bars, horizon_minutes=60, strike_step=250, n_strikes=13,
                  max_spot_age_seconds=settings.max_spot_age_seconds)
    last = pd.Timestamp(days[-1], tz="UTC")
    tr = retrain(last, {**offline, "train_days": 7, "test_days": 3, "n_trials": 4}, settings)
    runs = [hourly_edge(last + pd.Timedelta(hours=h, minutes=5), offline, settings) for h in range(0, 22, 2)]
    score = settlement_scoring(last, offline, settings)
    sim = _simulator_edge(bars)
    opps = Lake.from_settings(settings).read(BTC_OPPORTUNITIES, where=f"date = '{days[-1]}'")

    summary = [
        {"step": "bars imported", "value": sum(r["rows_written"] for r in imported), "detail": f"{len(days)} days, 5m"},
        {"step": "evaluate: model Brier", "value": round(ev.model["brier"], 5),
         "detail": f"baseline {ev.baseline['brier']:.5f}, {ev.model['n']} rows"},
        {"step": "evaluate: model ECE", "value": round(ev.model["ece"], 5), "detail": f"baseline {ev.baseline['ece']:.5f}"},
        {"step": "evaluate: model log loss", "value": round(ev.model["log_loss"], 5),
         "detail": f"baseline {ev.baseline['log_loss']:.5f}"},
        {"step": "retrain folds", "value": tr["folds"], "detail": "7-day train / 3-day test (sample is 14 days)"},
        {"step": "edge runs", "value": len(runs),
         "detail": f"{sum(r.get('markets', 0) for r in runs)} market snapshots, {sum(r.get('opportunities', 0) for r in runs)} opportunities"},
        {"step": "scored snapshots", "value": score["n"],
         "detail": f"Brier {score['brier']:.4f}, ECE {score['ece']:.4f}" if score["n"] else "none settled"},
        {"step": "would-be PnL ($, 1 contract each)", "value": score["pnl_total"], "detail": "vs synthetic quotes"},
        {"step": "simulator ladders priced", "value": sim.get("markets", 0), "detail": sim.get("detail", "")},
    ]
    png = reliability_plot_png(
        {"model": (ev.rows["p_yes"], ev.rows["outcome"]), "GBM+EWMA": (ev.rows["p_baseline"], ev.rows["outcome"])},
        title="BTC 60-min ladder: reliability (walk-forward)",
    )
    top = opps.sort_values("ev", ascending=False).head(10) if len(opps) else opps
    top_rows = [{"as_of": str(r.as_of)[:16], "market": r.market_ticker, "side": r.side, "action": r.action,
                 "price": str(r.price), "fee": str(r.fee), "ev": str(r.ev)} for r in top.itertuples()]
    scoring_html = ""
    try:
        scoring_html = open(score["report"]).read().split("</h1>", 1)[-1].replace("</body></html>", "")
    except OSError:
        pass
    parts = [
        "<p>Offline run on the sample bars (data/sample/btc). Edge numbers use SYNTHETIC quotes "
        "(a naive GBM+EWMA market maker); only the model evaluation is on real outcomes.</p>",
        _table(summary),
        png_img_tag(png, "BTC reliability, model vs baseline"),
        "<h4>Top opportunities (last sample day)</h4>",
        _table(top_rows),
        scoring_html,
        "<h4>Simulator BTC ladders (generated quotes; bars re-dated to the simulator clock)</h4>",
        _table(sim.get("rows", [])),
        f"<p>Model artifact: {html.escape(tr['path'])}</p>",
    ]
    return {"title": "BTC: walk-forward model, fee-aware edge, scoring", "summary": summary, "html": "\n".join(parts)}


def _simulator_edge(bars: pd.DataFrame) -> dict:
    """Price the local simulator's BTC ladders (see module doc); {} detail when it cannot run."""
    try:
        from kalshi_edge.exchange.scenario import BUILTIN_CLOCK, builtin_scenario
        from kalshi_edge.exchange.simulator import run_simulator_in_thread
        from kalshi_edge.exchange.state import ManualClock
    except ImportError as exc:  # pragma: no cover - the exchange package ships with the project
        return {"markets": 0, "detail": f"simulator unavailable: {exc}"}
    from kalshi_edge.families.btc.pipeline import edge_snapshot, fetch_ladders

    clock = pd.Timestamp(BUILTIN_CLOCK)
    shifted = bars.copy()
    shifted["ts"] = shifted["ts"] + (clock.floor("D") - shifted["ts"].iloc[-1].floor("D"))
    shifted = shifted[shifted["ts"] <= clock].reset_index(drop=True)
    with run_simulator_in_thread(scenario=builtin_scenario(), clock=ManualClock(BUILTIN_CLOCK)) as h:
        ladders = fetch_ladders(h.base_url, quote_ts=BUILTIN_CLOCK)
    snaps, opps = edge_snapshot(shifted, BUILTIN_CLOCK, ladders)
    rows = [{"market": r.market_ticker, "p_yes": f"{r.p_yes:.3f}", "yes_bid": str(r.yes_bid), "yes_ask": str(r.yes_ask),
             "ev_yes": str(r.ev_yes_taker), "ev_no": str(r.ev_no_taker), "selected": bool(r.selected),
             "skip": r.skip_reason} for r in snaps.itertuples()]
    return {"markets": len(snaps), "rows": rows,
            "detail": f"{int(snaps['selected'].sum())} selected, {len(opps)} opportunities at {clock.isoformat()}"}
