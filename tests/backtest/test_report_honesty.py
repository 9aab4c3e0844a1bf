"""Issue 13, "reports that overstate": every performance figure with its sample size and an
interval, standalone reports with the demo's stylesheet, tables instead of dicts, one family
vocabulary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from kalshi_edge.modeling.metrics import estimate, wilson_interval


def test_wilson_interval_matches_the_textbook_values():
    lo, hi = wilson_interval(6, 6)
    assert (round(lo, 4), hi) == (0.6097, 1.0)  # 6 wins of 6: far from "win rate 1.0"
    lo, hi = wilson_interval(50, 100)
    assert (round(lo, 4), round(hi, 4)) == (0.4038, 0.5962)
    assert wilson_interval(0, 0) is None


def test_estimate_reports_n_and_a_bootstrap_interval_that_is_reproducible():
    x = [0.4, -0.1, 0.3, 0.2, -0.2, 0.5, 0.1, 0.0]
    a, b = estimate("mean pnl", x), estimate("mean pnl", x)
    assert a == b and a.n == 8 and a.low < a.value < a.high
    assert "n=8" in a.text() and "bootstrap 95%" in a.text()
    one = estimate("mean pnl", [0.4])
    assert one.n == 1 and one.low is None and "n too small" in one.text()
    assert estimate("x", []).text() == "n/a (n=0)"


def _one_day_result():
    """Six settled trades on one day, all winners (synthetic: the shape of the issue's example)."""
    from kalshi_edge.backtest.engine import BacktestResult

    t0 = datetime(2026, 7, 12, 14, tzinfo=UTC)
    equity = [1000, 1000.5, 1001.2, 1001.0, 1002.4, 1003.1, 1004.0]
    eq = pd.DataFrame({"ts": [t0 + timedelta(minutes=10 * i) for i in range(7)], "equity": equity,
                       "cash": equity, "position_value": [0.0] * 7})
    per_market = {f"KXHIGHNY-26JUL12-B{80 + i}.5": {"trades": 1, "pnl_net": "0.6", "result": "yes"} for i in range(6)}
    summary = {"strategy": "demo", "trades": 6, "contracts": "6", "pnl_net": "4.0", "fees": "0.1", "turnover": "3",
               "sharpe": 6.0097, "max_drawdown": 0.2, "win_rate": 1.0, "settled_markets_traded": 6,
               "start_equity": "1000", "fill_model": "taker", "per_market": per_market}
    return BacktestResult(trades=[], equity=eq, summary=summary, rejections={}, updates=7, decisions=7)


def test_backtest_report_shows_sample_size_and_interval_next_to_each_figure(tmp_path):
    from kalshi_edge.backtest.report import html_fragment, performance_estimates, write_outputs

    res = _one_day_result()
    est = performance_estimates(res)
    assert est["win_rate"]["n"] == 6 and round(est["win_rate"]["low"], 4) == 0.6097
    assert est["sharpe"]["n"] == 6 and "6 trades over 1 day(s)" in est["sharpe"]["text"]
    assert est["sharpe"]["value"] == pytest.approx(6.0097)
    assert est["pnl_net"]["n"] == 6
    frag = html_fragment(res)
    assert "1.0 · [0.6097, 1.0000] n=6 (Wilson 95%" in frag
    assert "6.0097 · [" in frag and "n=6 (bootstrap 95%" in frag

    paths = write_outputs(res, tmp_path)
    page = paths["report.html"].read_text()
    from kalshi_edge.reports.html import _CSS

    assert _CSS in page  # the demo report's stylesheet
    import json

    assert json.loads(paths["summary.json"].read_text())["estimates"]["win_rate"]["n"] == 6


def test_risk_denials_render_as_a_table():
    from kalshi_edge.demos.trading import _denials_table

    out = _denials_table({"max_event_exposure": 3, "daily_loss_cap": 1})
    assert out.startswith("<table>") and "<td>max_event_exposure</td><td>3</td>" in out and "{" not in out


def test_one_family_vocabulary_in_the_exchange_tour():
    from kalshi_edge.exchange.demo import FAMILY_MARKETS
    from kalshi_edge.trading.strategy import FAMILIES

    assert set(FAMILY_MARKETS) <= set(FAMILIES) == {"btc", "weather", "billboard"}
