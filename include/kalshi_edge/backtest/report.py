"""Write a backtest's outputs: trades.csv, equity.csv, decisions.csv (every intent with its risk
decision), summary.json and report.html (equity curve, fill model and queue assumption)."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from pathlib import Path

from kalshi_edge.backtest.engine import BacktestResult

TRADE_COLUMNS = ("ts", "ticker", "side", "action", "price", "count", "fee", "liquidity")


def equity_png(result: BacktestResult, title: str = "Equity") -> str:
    """The equity curve as a base64 PNG (matplotlib Agg), '' when there is no curve."""
    if result.equity.empty:
        return ""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot(result.equity["ts"], result.equity["equity"], lw=1.2)
    ax.set_title(title)
    ax.set_ylabel("dollars")
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def html_fragment(result: BacktestResult) -> str:
    """Summary table, per-market table and the equity curve as one HTML fragment."""
    s = result.summary
    keys = ("strategy", "trades", "contracts", "pnl_net", "fees", "turnover", "sharpe", "max_drawdown",
            "win_rate", "fill_model", "queue_assumption", "kill_switch")
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(s.get(k)))}</td></tr>" for k in keys)
    pm = s.get("per_market", {})
    prow = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in (
            t, d.get("trades", 0), d.get("contracts", ""), d.get("fees", ""), d.get("pnl_net", ""), d.get("result", "")))
        + "</tr>" for t, d in pm.items()
    )
    png = equity_png(result, f"Equity — {s.get('strategy')}")
    img = f'<img alt="equity curve" src="data:image/png;base64,{png}"/>' if png else "<p>no equity curve</p>"
    return (
        f"<h3>Backtest: {html.escape(str(s.get('strategy')))}</h3><table>{rows}</table>{img}"
        "<h4>Per market</h4><table><tr><th>ticker</th><th>trades</th><th>contracts</th><th>fees</th>"
        f"<th>net PnL</th><th>result</th></tr>{prow}</table>"
    )


#: Columns of decisions.csv: one row per intent the session saw, with the risk engine's answer.
DECISION_COLUMNS = ["at", "client_order_id", "strategy", "ticker", "side", "action", "price", "proposed",
                    "liquidity", "p_yes", "model_version", "decision", "size"]


def write_outputs(result: BacktestResult, out_dir: Path) -> dict[str, Path]:
    """Write the five files into ``out_dir`` (created). Returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {n: out / n for n in ("trades.csv", "equity.csv", "decisions.csv", "summary.json", "report.html")}
    with paths["decisions.csv"].open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=DECISION_COLUMNS, extrasaction="ignore")
        w.writeheader()
        w.writerows(result.decision_log)
    with paths["trades.csv"].open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(TRADE_COLUMNS)
        for t in result.trades:
            w.writerow([t.ts.isoformat(), t.ticker, t.side, t.action, str(t.price), str(t.count), str(t.fee), t.liquidity])
    result.equity.assign(ts=result.equity["ts"].map(lambda x: x.isoformat())).to_csv(paths["equity.csv"], index=False)
    paths["summary.json"].write_text(json.dumps(result.summary, indent=2, default=str) + "\n")
    paths["report.html"].write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>kalshi-edge backtest</title>"
        "<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:left}</style></head><body>"
        + html_fragment(result) + "</body></html>\n"
    )
    return paths
