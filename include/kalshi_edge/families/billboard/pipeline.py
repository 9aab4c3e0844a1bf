"""The Billboard family's jobs as plain functions (the DAGs and the demo call these).

* :func:`run_weekly_prediction` — P(#1) for the coming chart week from the lake's chart history,
  KXTOPSONG prices from the Kalshi API (simulator offline), edges after fees; writes
  ``billboard_predictions`` and ``billboard_edges`` and an HTML fragment under ``reports/billboard/``.
* :func:`run_retrain` — walk-forward evaluation over the most recent weeks + model metadata under
  ``models/billboard/`` (the model itself retrains inside every prediction: expanding window).
* :func:`run_settlement` — after Monday's reveal: the realized #1 vs our prediction and edges.

Every function takes the week it works on (Airflow's logical date), never "now".
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pandas as pd

from kalshi_edge.families.billboard.datasets import BILLBOARD_EDGES, BILLBOARD_PREDICTIONS
from kalshi_edge.families.billboard.edge import event_chart_date, match_markets, match_skip_reason
from kalshi_edge.families.billboard.features import FEATURES
from kalshi_edge.families.billboard.ingest import read_lake_charts
from kalshi_edge.families.billboard.model import (
    OTHER,
    ModelConfig,
    config_dict,
    predict_for_week,
    run_backtest,
)
from kalshi_edge.lake import Lake
from kalshi_edge.sources.charts import SignalUnavailable
from kalshi_edge.trading.intents import GateConfig, SkipReason, evaluate_edges
from kalshi_edge.trading.strategy import MarketSnapshot, ModelProbability, Refusal

if TYPE_CHECKING:
    from kalshi_edge.config import Settings

MODEL_NAME = "billboard-lgbm-v1"
SERIES = "KXTOPSONG"


def target_chart_date(as_of: date) -> date:
    """The chart date a KXTOPSONG event open at ``as_of`` resolves on.

    The tracking week runs Friday–Thursday; the market closes Sunday 23:59 ET of the weekend after
    the tracking week; the chart covering it is dated the Saturday after that Sunday. For any day
    from Monday to Sunday, that is the Saturday of the *following* week (Sunday + 6 days).
    """
    sunday = as_of + timedelta(days=(6 - as_of.weekday()) % 7)
    return sunday + timedelta(days=6)


def fetch_kxtopsong_markets(settings: Settings, *, base_url: str | None = None, chart_date: date | None = None
                            ) -> list[Any]:
    """Open KXTOPSONG markets from the Kalshi REST API (the simulator when ``kalshi_env=local``).

    Raises :class:`SignalUnavailable` when the API cannot be reached (the pipeline continues without prices).
    """
    import requests

    from kalshi_edge.kalshi.errors import KalshiError
    from kalshi_edge.kalshi.rest import KalshiRestClient

    try:
        with KalshiRestClient.from_settings(settings, base_url=base_url, max_retries=1, rate_limit=False) as client:
            markets = list(client.iter_markets(series_ticker=SERIES, status="open"))
    except (requests.RequestException, KalshiError, OSError) as exc:
        raise SignalUnavailable("kalshi", f"KXTOPSONG markets unavailable: {exc}") from None
    if chart_date is not None:
        # Only the event resolving on this chart: another week's markets are never priced
        # against this week's prediction (they would be refused ``event_date_mismatch`` anyway).
        markets = [m for m in markets if event_chart_date(m.event_ticker or m.ticker) == chart_date]
    return markets


def edge_rows(matched: pd.DataFrame, markets: list[Any], *, chart_date: date, at: datetime, gates: GateConfig,
              version: str = "") -> pd.DataFrame:
    """``billboard_edges`` rows through the ONE edge path (:func:`evaluate_edges`).

    Untrusted matches and markets of another chart date are refused with their :class:`SkipReason`
    (``reason``); ``side`` is the gates' choice when selected, else ``none``; ``edge_yes``/``edge_no``
    are the taker EVs after fees per contract of ``gates.max_count`` contracts.
    """
    snaps = {m.ticker: MarketSnapshot.from_market(m, quote_ts=at) for m in markets}
    probs: list[ModelProbability] = []
    refusals: list[Refusal] = []
    info = {r["ticker"]: r for r in matched.to_dict("records")}
    for t, r in info.items():
        ev_date = event_chart_date(t)
        if ev_date != chart_date:
            refusals.append(Refusal(t, SkipReason.EVENT_DATE_MISMATCH,
                                    f"prediction for chart {chart_date} but {t} resolves on {ev_date}"))
            continue
        reason = match_skip_reason(r)
        if reason is not None:
            refusals.append(Refusal(t, reason, r.get("reason") or ""))
            continue
        probs.append(ModelProbability(t, float(r["p_model"]), at, confidence=1.0, model_version=version))
    rows = {e.ticker: e for e in evaluate_edges(probs, list(snaps.values()), strategy="billboard_weekly", now=at,
                                                cfg=gates, refusals=refusals)}
    out = []
    for t, r in info.items():
        e = rows[t]
        out.append({
            "chart_date": chart_date.isoformat(), "market_ticker": t, "market_title": r.get("market_song") or "",
            "song_id": r.get("song_id"), "song": r.get("song"), "match_score": float(r.get("match_score") or 0.0),
            "p_model": None if r.get("p_model") is None or pd.isna(r.get("p_model")) else float(r["p_model"]),
            "yes_ask": snaps[t].yes_ask, "no_ask": snaps[t].no_ask, "edge_yes": e.ev_yes_taker, "edge_no": e.ev_no_taker,
            "side": e.best_side if e.selected else "none", "tradable": e.selected,
            "reason": "" if e.skip_reason is None else e.skip_reason.value,
        })
    return pd.DataFrame(out, columns=BILLBOARD_EDGES.schema.names)


def decision_time(as_of: date) -> datetime:
    """When the weekly job's edges are evaluated: noon New York time of its logical day."""
    return datetime.combine(as_of, time(12, 0), tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)


def _report_html(pred: pd.DataFrame, edges: pd.DataFrame | None, week: date, notes: list[str]) -> str:
    """A small HTML fragment: contenders with probabilities (bar chart) and the edge table."""
    import base64
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top = pred.sort_values("p_number_one", ascending=False).head(12)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    labels = [s if len(s) < 28 else s[:26] + "…" for s in top["song"]]
    ax.barh(labels[::-1], top["p_number_one"].to_numpy()[::-1], color="#3b6ea8", label="model")
    ax.scatter(top["p_baseline"].to_numpy()[::-1], labels[::-1], color="#d9822b", zorder=3, label="rank prior")
    ax.set_xlabel("P(#1)")
    ax.set_title(f"Hot 100 #1 for the chart dated {week.isoformat()}")
    ax.legend(loc="lower right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    img = base64.b64encode(buf.getvalue()).decode()
    table = pred[["song", "artist", "last_rank", "p_number_one", "p_baseline"]].sort_values(
        "p_number_one", ascending=False).to_html(index=False, float_format=lambda x: f"{x:.3f}", border=0)
    parts = [f"<h3>Billboard Hot 100 #1 — chart dated {week.isoformat()}</h3>",
             f'<img alt="P(#1) by contender" src="data:image/png;base64,{img}"/>', table]
    if edges is not None and len(edges):
        e = edges.copy()
        for c in ("yes_ask", "no_ask", "edge_yes", "edge_no"):
            e[c] = e[c].map(lambda v: "" if v is None or pd.isna(v) else f"{Decimal(v):.4f}")
        parts.append("<h4>KXTOPSONG edges (after fees)</h4>")
        parts.append(e[["market_ticker", "market_title", "song", "match_score", "p_model", "yes_ask", "no_ask",
                        "edge_yes", "edge_no", "side", "reason"]].to_html(index=False, border=0,
                                                                          float_format=lambda x: f"{x:.3f}"))
    if notes:
        parts.append("<ul>" + "".join(f"<li>{n}</li>" for n in notes) + "</ul>")
    return "\n".join(parts)


def predict_and_price(charts: pd.DataFrame, week: date, *, markets: list[Any] | None, gates: GateConfig,
                      at: datetime, cfg: ModelConfig | None = None, keep: dict[str, Any] | None = None
                      ) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    """Prediction for ``week`` from charts before it, the market match and the edges against
    ``markets`` (None = no prices)."""
    pred = predict_for_week(charts, week, cfg, keep)
    if markets is None:
        return pred, None, None
    matched = match_markets(markets, pred)
    return pred, matched, edge_rows(matched, markets, chart_date=week, at=at, gates=gates)


def run_weekly_prediction(settings: Settings, *, as_of: date, charts_csv: str | Path | None = None,
                          kalshi_base_url: str | None = None, lake: Lake | None = None,
                          cfg: ModelConfig | None = None) -> dict[str, Any]:
    """The weekly job: predict the chart resolving the KXTOPSONG event open at ``as_of``; price it.

    Chart history comes from the lake (or ``charts_csv`` for offline runs). Returns a small summary
    (paths and counts, XCom-sized).
    """
    from kalshi_edge.sources.charts import read_charts_csv

    lake = lake or Lake.from_settings(settings)
    week = target_chart_date(as_of)
    charts = read_charts_csv(charts_csv) if charts_csv else read_lake_charts(lake, before=week)
    notes: list[str] = []
    try:
        markets: list[Any] | None = fetch_kxtopsong_markets(settings, base_url=kalshi_base_url, chart_date=week)
    except SignalUnavailable as exc:
        markets = None
        notes.append(f"running without market prices: {exc}")
    keep: dict[str, Any] = {}
    pred, matched, edges = predict_and_price(charts, week, markets=markets, gates=GateConfig.from_settings(settings),
                                             at=decision_time(as_of), cfg=cfg, keep=keep)
    artifact = _save_artifacts(settings, week, keep, cfg or ModelConfig())
    from kalshi_edge.families.billboard.train import save_weekly_prediction

    version = save_weekly_prediction(settings, week=week, as_of=as_of, pred=pred, matched=matched,
                                     train_weeks=keep.get("train_weeks"), cfg=cfg or ModelConfig())
    pred_rows = pred.assign(model=MODEL_NAME).drop(columns=["label"])
    lake.write(BILLBOARD_PREDICTIONS, pred_rows, source=f"billboard weekly prediction {week.isoformat()}")
    if edges is not None and len(edges):
        lake.write(BILLBOARD_EDGES, edges, source=f"billboard edges {week.isoformat()}")
    html = _report_html(pred, edges, week, notes)
    out_dir = Path(settings.reports_dir) / "billboard"
    out_dir.mkdir(parents=True, exist_ok=True)
    report = out_dir / f"prediction_{week.isoformat()}.html"
    report.write_text(html)
    top = pred[pred["song"] != OTHER].sort_values("p_number_one", ascending=False).iloc[0]
    return {
        "chart_date": week.isoformat(),
        "contenders": int((pred["song"] != OTHER).sum()),
        "favorite": f"{top['song']} — {top['artist']}",
        "p_favorite": round(float(top["p_number_one"]), 4),
        "p_other": round(float(pred.loc[pred["song"] == OTHER, "p_number_one"].iloc[0]), 4),
        "markets": 0 if edges is None else len(edges),
        "suggested_trades": 0 if edges is None else int(edges["tradable"].sum()),
        "report": str(report),
        "model_artifact": artifact,
        "prediction_version": version,
        "notes": notes,
        "_pred": pred,
        "_edges": edges,
        "_html": html,
    }


def _save_artifacts(settings: Settings, week: date, keep: dict[str, Any], cfg: ModelConfig) -> str:
    """The week's fitted booster (LightGBM text) and its metadata under ``models/billboard/weekly/``."""
    out = Path(settings.models_dir) / "billboard" / "weekly"
    out.mkdir(parents=True, exist_ok=True)
    model_path = out / f"booster_{week.isoformat()}.txt"
    keep["booster"].save_model(str(model_path))
    meta = {"model": MODEL_NAME, "chart_date": week.isoformat(), "config": config_dict(cfg),
            "remainder": keep["remainder"], "train_weeks": keep["train_weeks"], "features": list(cfg.features)}
    (out / f"booster_{week.isoformat()}.json").write_text(json.dumps(meta, indent=2))
    return str(model_path)


def xcom_safe(summary: dict[str, Any]) -> dict[str, Any]:
    """Drop the in-memory frames (keys starting with ``_``) before returning to Airflow."""
    return {k: v for k, v in summary.items() if not k.startswith("_")}


def _calibration(pred: pd.DataFrame) -> list[dict[str, Any]]:
    """Reliability table (10 bins) of the model's probabilities over rows with known outcomes."""
    from kalshi_edge.modeling.metrics import calibration_table

    known = pred[pred["label"].notna()]
    t = calibration_table(known["p_number_one"].to_numpy(), known["label"].to_numpy())
    return json.loads(t.to_json(orient="records"))


def run_retrain(settings: Settings, *, as_of: date, charts_csv: str | Path | None = None, lake: Lake | None = None,
                eval_weeks: int = 26, cfg: ModelConfig | None = None) -> dict[str, Any]:
    """Walk-forward check over the last ``eval_weeks`` charts before ``as_of``; writes model metadata.

    The model is refit inside every weekly prediction (expanding window), so "retraining" here means
    re-validating the configuration on recent weeks and recording metrics next to it.
    """
    from kalshi_edge.sources.charts import read_charts_csv

    lake = lake or Lake.from_settings(settings)
    cfg = cfg or ModelConfig()
    charts = read_charts_csv(charts_csv) if charts_csv else read_lake_charts(lake, before=as_of)
    charts = charts[charts["chart_date"] < as_of.isoformat()]
    dates = sorted(charts["chart_date"].unique())
    if len(dates) < eval_weeks + cfg.min_train_weeks + 1:
        raise ValueError(f"retrain: only {len(dates)} charts before {as_of}; need {eval_weeks + cfg.min_train_weeks + 1}")
    start = date.fromisoformat(dates[-eval_weeks])
    res = run_backtest(charts, start, None, cfg)
    meta = {
        "model": MODEL_NAME, "as_of": as_of.isoformat(), "config": config_dict(cfg),
        "eval_from": start.isoformat(), "eval_weeks": res.n_weeks,
        "model_metrics": res.model_metrics, "baseline_metrics": res.baseline_metrics,
        "calibration": _calibration(res.predictions),
        "features": list(FEATURES),
    }
    out = Path(settings.models_dir) / "billboard"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"metadata_{as_of.isoformat()}.json"
    path.write_text(json.dumps(meta, indent=2))
    (out / "latest.json").write_text(json.dumps(meta, indent=2))
    return {"metadata": str(path), "eval_weeks": res.n_weeks,
            "log_loss": round(res.model_metrics["log_loss"], 5), "baseline_log_loss": round(res.baseline_metrics["log_loss"], 5)}


def run_settlement(settings: Settings, *, chart_date: date, lake: Lake | None = None) -> dict[str, Any]:
    """Reconcile a revealed chart: the actual #1 vs our stored prediction and suggested sides."""
    lake = lake or Lake.from_settings(settings)
    d = chart_date.isoformat()
    chart = lake.read("billboard_charts", where=f"chart_date = '{d}' AND this_week = 1")
    if chart.empty:
        raise SignalUnavailable("billboard", f"chart dated {d} not in the lake yet (reveal is Monday/Tuesday)")
    winner = str(chart["song_id"].iloc[0])
    pred = lake.read(BILLBOARD_PREDICTIONS, where=f"chart_date = '{d}'")
    if pred.empty:
        return {"chart_date": d, "winner": str(chart["song"].iloc[0]), "predicted": False}
    hit = pred[pred["song_id"] == winner]
    p_win = float(hit["p_number_one"].iloc[0]) if len(hit) else float(pred.loc[pred["song_id"] == OTHER, "p_number_one"].iloc[0])
    favorite = pred.sort_values("p_number_one", ascending=False).iloc[0]
    edges = lake.read(BILLBOARD_EDGES, where=f"chart_date = '{d}'")
    pnl = Decimal(0)
    for e in edges[edges["side"] != "none"].to_dict("records"):
        won = (e["song_id"] == winner) == (e["side"] == "yes")
        ask = Decimal(str(e["yes_ask"] if e["side"] == "yes" else e["no_ask"]))
        pnl += (Decimal(1) - ask) if won else -ask
    return {"chart_date": d, "winner": str(chart["song"].iloc[0]), "predicted": True,
            "p_winner": round(p_win, 4), "favorite_won": bool(favorite["song_id"] == winner),
            "suggested_trades": int((edges["side"] != "none").sum()) if len(edges) else 0,
            "pnl_per_contract_before_fees": str(pnl)}
