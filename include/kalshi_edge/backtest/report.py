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


def performance_estimates(result: BacktestResult) -> dict[str, dict]:
    """Sharpe, win rate and net PnL, each with its sample size and a 95% interval (issue 13: a
    ``sharpe 6.0, win_rate 1.0`` from 6 trades on one day must say so).

    * ``sharpe``: bootstrap over the equity changes the engine annualized (same basis), n = changes;
      the note gives the trades and the calendar days they span.
    * ``win_rate``: Wilson interval over the settled markets traded.
    * ``pnl_net``: bootstrap of the total over the per-market net PnLs, n = markets.
    """
    from kalshi_edge.modeling.metrics import estimate

    s = result.summary
    eq = result.equity
    bankroll = float(s.get("start_equity") or 0) or 1.0
    rets = (eq["equity"].diff().dropna() / bankroll).to_numpy(float) if len(eq) > 1 else []
    days = int(eq["ts"].map(lambda t: t.date()).nunique()) if len(eq) else 0
    raw = float(rets.mean() / rets.std(ddof=0)) if len(rets) > 1 and rets.std(ddof=0) > 0 else 0.0
    scale = float(s.get("sharpe") or 0.0) / raw if raw else 1.0  # the engine's annualization factor
    note = f"{s.get('trades', 0)} trades over {days} day(s)"
    sharpe = estimate("sharpe", rets, statistic=lambda a: a.mean() / a.std() if a.std() > 0 else 0.0,
                      scale=scale, note=note)
    settled = int(s.get("settled_markets_traded") or 0)
    wins = round(float(s.get("win_rate") or 0.0) * settled)
    win = estimate("win_rate", successes=wins, n=settled, note="settled markets traded")
    pm = [float(d.get("pnl_net", 0) or 0) for d in (s.get("per_market") or {}).values() if "pnl_net" in d]
    pnl = estimate("pnl_net", pm, statistic="sum", note="dollars; resampled by market")
    return {e.name: e.as_dict() | {"text": e.text()} for e in (sharpe, win, pnl)}


def html_fragment(result: BacktestResult) -> str:
    """Summary table (every performance figure with n and a 95% interval), per-market table and
    the equity curve as one HTML fragment."""
    s = result.summary
    est = performance_estimates(result)
    keys = ("strategy", "trades", "contracts", "pnl_net", "fees", "turnover", "sharpe", "max_drawdown",
            "win_rate", "fill_model", "queue_assumption", "kill_switch")

    def shown(k: str) -> str:
        if k in est:
            e = est[k]
            return f"{s.get(k)} · {e['text'].split(' ', 1)[1] if e['value'] is not None else e['text']}"
        return str(s.get(k))

    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(shown(k))}</td></tr>" for k in keys)
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


#: Columns of decisions.csv: one row per intent the session saw, with the risk engine's answer;
#: ``reason`` is the intent's (``edge`` for entries; ``stop_loss``, ``take_profit``, ``time_exit``,
#: ``signal_reversal``, ... for exits).
DECISION_COLUMNS = ["at", "client_order_id", "strategy", "ticker", "side", "action", "price", "proposed",
                    "liquidity", "p_yes", "model_version", "decision", "size", "reason"]


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
    summary = {**result.summary, "estimates": performance_estimates(result)}
    paths["summary.json"].write_text(json.dumps(summary, indent=2, default=str) + "\n")
    from kalshi_edge.reports.html import standalone_page

    paths["report.html"].write_text(standalone_page("kalshi-edge backtest", html_fragment(result)) + "\n")
    return paths
