"""Scoring after settlement: stored snapshots vs outcomes, would-be PnL, HTML report fragment.

The settlement value of a close T is the mean of the bar closes in ``(T − 60 s, T]`` when bars are
at most 60 s apart (a proxy for the 60 one-second BRTI values), else the last close at or before T.
When Kalshi's own results are known (``results``: ticker -> "yes"/"no"), they win.
"""

from __future__ import annotations

import html
from decimal import Decimal

import numpy as np
import pandas as pd

from kalshi_edge.modeling.metrics import calibration_table, png_img_tag, reliability_plot_png, score_all


def settlement_values(bars: pd.DataFrame, close_times: pd.Series, avg_seconds: float = 60.0) -> pd.Series:
    """Settlement proxy per close time (NaN when no bar within one interval before it)."""
    t = bars["ts"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    c = bars["close"].to_numpy(dtype=float)
    dt = int(np.median(np.diff(t))) if len(t) > 1 else 0
    out = []
    for T in pd.to_datetime(close_times, utc=True):
        tv = T.value
        j = np.searchsorted(t, tv, side="right") - 1
        if j < 0 or tv - t[j] > max(dt, int(avg_seconds * 1e9)):
            out.append(np.nan)
            continue
        if dt and dt <= avg_seconds * 1e9:
            i = np.searchsorted(t, tv - int(avg_seconds * 1e9), side="right")
            out.append(float(c[i : j + 1].mean()))
        else:
            out.append(float(c[j]))
    return pd.Series(out, index=close_times.index, dtype=float)


def _in_region(v: pd.Series, lo: pd.Series, hi: pd.Series) -> pd.Series:
    # regions come from semantics: (floor, +inf) for thresholds, [floor, cap] for brackets; the
    # inclusive/exclusive distinction at a strike has probability zero for a continuous average
    lo_ok = lo.isna() | (v > lo) | ((v == lo) & hi.notna())
    hi_ok = hi.isna() | (v <= hi)
    return lo_ok & hi_ok


def score_snapshots(
    snaps: pd.DataFrame,
    opps: pd.DataFrame,
    bars: pd.DataFrame,
    *,
    results: dict[str, str] | None = None,
    bins: int = 10,
) -> dict:
    """Score priced snapshots whose market has settled; return metrics, table, PnL and an HTML fragment."""
    s = snaps[snaps["p_yes"].notna()].copy()
    if s.empty:
        return {"n": 0, "html": "<p>No priced BTC snapshots to score.</p>", "summary": []}
    s["settle_value"] = settlement_values(bars, s["close_ts"])
    out = _in_region(s["settle_value"], s["region_low"], s["region_high"]).astype(int)
    if results:
        known = s["market_ticker"].map(results)
        out = out.where(known.isna(), (known == "yes").astype(int))
        s = s[s["settle_value"].notna() | known.notna()]
        out = out.loc[s.index]
    else:
        s = s[s["settle_value"].notna()]
        out = out.loc[s.index]
    s["outcome"] = out
    if s.empty:
        return {"n": 0, "html": "<p>No BTC snapshot has settled yet.</p>", "summary": []}
    metrics = score_all(s["p_yes"], s["outcome"], bins)
    table = calibration_table(s["p_yes"], s["outcome"], bins)
    pnl_rows = []
    total = Decimal(0)
    if len(opps):
        o = opps.merge(s[["as_of", "market_ticker", "outcome"]], on=["as_of", "market_ticker"], how="inner")
        for r in o.itertuples():
            payoff = Decimal(int(r.outcome if r.side == "yes" else 1 - r.outcome))
            pnl = payoff - Decimal(str(r.price)) - Decimal(str(r.fee))
            total += pnl
            pnl_rows.append({"market_ticker": r.market_ticker, "side": r.side, "action": r.action,
                             "price": str(r.price), "ev": str(r.ev), "pnl": pnl})
    png = reliability_plot_png({"model": (s["p_yes"], s["outcome"])}, bins=bins, title="BTC snapshots: reliability")
    summary = [
        {"metric": "snapshots scored", "value": metrics["n"]},
        {"metric": "Brier", "value": round(metrics["brier"], 5)},
        {"metric": "log loss", "value": round(metrics["log_loss"], 5)},
        {"metric": "ECE", "value": round(metrics["ece"], 5)},
        {"metric": "opportunities settled", "value": len(pnl_rows)},
        {"metric": "would-be PnL ($, 1 contract each)", "value": str(total)},
    ]
    frag = ["<h3>BTC scoring</h3>", _table(summary), "<h4>Calibration</h4>",
            _table(table.round(4).to_dict("records")), png_img_tag(png, "BTC reliability")]
    return {"n": metrics["n"], "metrics": metrics, "calibration": table, "pnl_total": total, "pnl": pnl_rows,
            "summary": summary, "html": "\n".join(frag)}


def _table(rows: list[dict]) -> str:
    if not rows:
        return "<p>(none)</p>"
    cols = list(rows[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r[c]))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def run_settlement_scoring(day: str, *, settings=None, bars: pd.DataFrame | None = None, offline: bool | None = None) -> dict:
    """Score the snapshots of markets closing on UTC ``day`` (YYYY-MM-DD); write the HTML report.

    Returns a small dict (XCom) with metrics and the report path.
    """
    from pathlib import Path

    from kalshi_edge.config import get_settings
    from kalshi_edge.families.btc.datasets import BTC_EDGE_SNAPSHOTS, BTC_OPPORTUNITIES
    from kalshi_edge.families.btc.pipeline import default_sample_csv, load_bars_for
    from kalshi_edge.lake import Lake

    s = settings or get_settings()
    off = (str(s.kalshi_env) == "local") if offline is None else offline
    lake = Lake.from_settings(s)
    d0 = pd.Timestamp(day, tz="UTC")
    d1 = d0 + pd.Timedelta(days=1)
    where = f"close_ts >= TIMESTAMPTZ '{d0.isoformat()}' AND close_ts < TIMESTAMPTZ '{d1.isoformat()}'"
    snaps = lake.read(BTC_EDGE_SNAPSHOTS, where=where)
    opps = lake.read(BTC_OPPORTUNITIES, where=where)
    for df in (snaps, opps):
        for c in ("as_of", "close_ts"):
            if c in df.columns and len(df):
                df[c] = pd.to_datetime(df[c], utc=True)
    if bars is None:
        bars = load_bars_for(s, d1.to_pydatetime(), offline_csv=default_sample_csv(s) if off else None)
    res = score_snapshots(snaps, opps, bars)
    out_dir = Path(s.reports_dir) / "btc"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"scoring_{day}.html"
    from kalshi_edge.reports.html import standalone_page

    path.write_text(standalone_page(f"BTC scoring {day}", res["html"]))
    m = res.get("metrics", {})
    return {"day": day, "n": res["n"], "brier": m.get("brier"), "log_loss": m.get("log_loss"), "ece": m.get("ece"),
            "pnl_total": str(res.get("pnl_total", "0")), "report": str(path)}
