"""Offline demo of the Billboard family: sample charts + the local simulator's KXTOPSONG event.

Runs the same functions as the weekly DAG: the walk-forward check on the last sample weeks
(``run_retrain``-style backtest), then ``run_weekly_prediction`` for the week after the last sample
chart against the simulator's KXTOPSONG markets re-dated to that chart
(:func:`kalshi_edge.demos.scenarios.billboard_week_scenario`: real song titles, generated prices).
"""

from __future__ import annotations

import html as _html
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kalshi_edge.families.billboard.model import ModelConfig, run_backtest
from kalshi_edge.families.billboard.pipeline import run_weekly_prediction
from kalshi_edge.lake import Lake
from kalshi_edge.sources.charts import read_charts_csv

if TYPE_CHECKING:
    from kalshi_edge.config import Settings

SAMPLE = "billboard/hot100_2019_2023.csv.gz"


def sample_charts_path(settings: Settings | None = None) -> Path:
    """``data/sample/billboard/hot100_2019_2023.csv.gz`` of the project."""
    from kalshi_edge.config import PROJECT_ROOT

    return Path(PROJECT_ROOT) / "data" / "sample" / SAMPLE


def run_demo(settings: Settings) -> dict[str, Any]:
    """Backtest the last 26 sample weeks, then predict + price the next week offline. Returns title/summary/html."""
    from kalshi_edge.demos.scenarios import billboard_week_scenario
    from kalshi_edge.exchange.simulator import run_simulator_in_thread
    from kalshi_edge.exchange.state import ManualClock

    charts_path = sample_charts_path(settings)
    charts = read_charts_csv(charts_path)
    last = date.fromisoformat(str(charts["chart_date"].max()))
    cfg = ModelConfig()
    bt = run_backtest(charts, last - timedelta(weeks=25), last, cfg)

    # The weekly job for the chart after the last sample chart (as_of = the Monday the event opens).
    week = last + timedelta(days=7)
    as_of = week - timedelta(days=12)
    lake = Lake.from_settings(settings)
    # The built-in simulator's KXTOPSONG event is dated July 2026; this week's prediction is priced
    # only against an event resolving on its own chart: the same event re-dated to that chart.
    sc = billboard_week_scenario(week)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start)) as sim:
        res = run_weekly_prediction(settings, as_of=as_of, charts_csv=charts_path, kalshi_base_url=sim.base_url,
                                    lake=lake, cfg=cfg)
    pred = res["_pred"]
    summary = [
        {"item": "backtest weeks", "value": bt.n_weeks},
        *({"item": f"{r['metric']} (model / rank prior)", "value": f"{r['model']:.4f} / {r['baseline']:.4f}"}
          for r in bt.summary_rows()),
        {"item": "predicted chart", "value": res["chart_date"]},
        {"item": "favorite", "value": f"{res['favorite']} (p={res['p_favorite']:.3f})"},
        {"item": "P(song outside top 20)", "value": f"{res['p_other']:.3f}"},
        {"item": "KXTOPSONG markets priced", "value": res["markets"]},
        {"item": "suggested trades", "value": res["suggested_trades"]},
    ]
    rows = "".join(f"<tr><td>{_html.escape(str(r['item']))}</td><td>{_html.escape(str(r['value']))}</td></tr>"
                   for r in summary)
    html = (f"<p>Sample charts: {charts_path.name} ({charts['chart_date'].nunique()} weeks). Walk-forward over "
            f"the last {bt.n_weeks} weeks, then the weekly prediction for {res['chart_date']} against the local "
            "simulator's KXTOPSONG event (real song titles, simulated prices).</p>"
            f"<table>{rows}</table>" + res["_html"])
    return {"title": "Billboard Hot 100 #1", "summary": summary, "html": html,
            "contenders": int(res["contenders"]), "p_sum": float(pred["p_number_one"].sum())}
