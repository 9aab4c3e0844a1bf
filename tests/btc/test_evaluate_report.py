"""`btc evaluate` writes a standalone HTML report whose numbers are the command's own outputs."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from kalshi_edge.cli import btc_cmd

SAMPLE = Path(__file__).resolve().parents[2] / "data/sample/btc/btcusd_5m_2026-02-21_2026-03-06.csv.gz"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    app = typer.Typer()
    btc_cmd.register(app)
    app.command("noop")(lambda: None)  # a second command keeps typer from collapsing the group
    d = tmp_path_factory.mktemp("btc_eval")
    out = d / "ev.csv"
    from kalshi_edge.config import get_settings

    # a module fixture runs before the per-test settings isolation: isolate the models dir here too
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KALSHI_EDGE_DATA_DIR", str(d / "data"))
        mp.setenv("KALSHI_EDGE_MODELS_DIR", str(d / "models"))
        get_settings.cache_clear()
        try:
            r = CliRunner().invoke(app, ["btc", "evaluate", "--bars", str(SAMPLE), "--from", "2026-03-05T00:00Z",
                                         "--out", str(out)])
            assert r.exit_code == 0, r.output
            art = get_settings().models_dir / "btc" / "evaluate_btcusd_5m_2026-02-21_2026-03-06.json"
            assert art.is_relative_to(d)
        finally:
            get_settings.cache_clear()
    meta = json.loads(art.read_text())["meta"]
    return r.output, out, d / "ev_report.html", meta


def _row(page: str, name: str) -> list[str]:
    """The cells of the scores-table row whose first cell is ``name``."""
    m = re.search(rf"<tr><td>{re.escape(name)}</td>(.*?)</tr>", page)
    assert m, f"no row {name!r}"
    return re.findall(r"<td>(.*?)</td>", m.group(1))


def test_report_is_written_next_to_the_csv_and_its_path_printed(run):
    output, out, report, _ = run
    assert report.is_file() and "report:" in output and "ev_report.html" in output
    page = report.read_text()
    assert page.startswith("<!doctype html>") and "<style>" in page  # the shared stylesheet, inline
    assert "data:image/png;base64," in page  # the reliability plot, rendered server-side
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page, re.I)  # no CDN, no external URL
    assert "<script" not in page and "<link" not in page


def test_report_scores_equal_the_csv_and_the_metadata_with_n_and_intervals(run):
    _, out, report, meta = run
    page = report.read_text()
    rows = pd.read_csv(out)
    n_rows, hours = len(rows), rows["settle_ts"].nunique()
    assert (n_rows, hours) == (13 * 48, 48) == (meta["model"]["n"], 48)
    model, base = _row(page, "model"), _row(page, "baseline GBM+EWMA")
    assert model[:2] == [str(hours), str(n_rows)]  # n: settlement hours and rows
    # Brier [95% CI] of the model: the metadata JSON's figure, and the CSV's (p_yes rounded to 1e-6)
    value, lo, hi = map(float, re.match(r"([-\d.]+) \[([-\d.]+), ([-\d.]+)\]", model[2]).groups())
    assert value == pytest.approx(meta["model"]["brier"], abs=5e-5)
    assert value == pytest.approx(float(np.mean((rows["p_yes"] - rows["outcome"]) ** 2)), abs=5e-5)
    assert lo < value < hi
    assert float(base[2].split()[0]) == pytest.approx(meta["baseline"]["brier"], abs=5e-5)
    # the difference to the baseline on the same rows, with its own interval
    d = re.match(r"([-+\d.]+) \[([-+\d.]+), ([-+\d.]+)\]", model[3])
    assert d and float(d.group(1)) == pytest.approx(meta["model"]["brier"] - meta["baseline"]["brier"], abs=1e-4)
    lo_d, hi_d = float(d.group(2)), float(d.group(3))
    assert ("contains 0" in model[3]) == (lo_d <= 0 <= hi_d)
    assert float(_row(page, "model")[4].split()[0]) == pytest.approx(meta["model"]["log_loss"], abs=5e-5)


def test_report_shows_setup_reliability_bin_counts_and_the_market_sentence(run):
    _, out, report, _ = run
    page = report.read_text()
    rows = pd.read_csv(out)
    assert "Walk-forward setup" in page and "2026-03-05T00:00:00Z .. 2026-03-06T23:00:00Z (48 hours)" in page
    assert "trailing 42 days" in page and "train window" in page
    from kalshi_edge.modeling.metrics import calibration_table

    t = calibration_table(rows["p_yes"], rows["outcome"])
    first = t[t["count"] > 0].iloc[0]
    assert f"<td>model</td><td>{first.p_low:.1f}–{first.p_high:.1f}</td><td>{int(first['count'])}</td>" in page
    assert "No market prices for these rows." in page and "KXBTCD" in page


def test_verdict_wording_says_when_the_interval_contains_zero():
    from kalshi_edge.modeling.metrics import Estimate
    from kalshi_edge.reports.evaluation import verdict

    assert "contains 0" in verdict(Estimate("d", -0.1, 50, -0.3, 0.1, "bootstrap"), "model", "baseline")
    assert verdict(Estimate("d", -0.1, 50, -0.2, -0.01, "bootstrap"), "model", "baseline").startswith(
        "model is better")
    assert verdict(Estimate("d", 0.1, 50, 0.01, 0.2, "bootstrap"), "model", "baseline").startswith(
        "baseline is better")


def test_the_report_is_deterministic(tmp_path):
    from datetime import datetime

    from kalshi_edge.families.btc.bars import read_bars_csv
    from kalshi_edge.families.btc.evaluate import evaluate, write_report

    res = evaluate(read_bars_csv(SAMPLE), start=datetime.fromisoformat("2026-03-06T12:00+00:00"))
    a = write_report(res, tmp_path / "a.html").read_bytes()
    assert a == write_report(res, tmp_path / "b.html").read_bytes()  # no wall clock, fixed bootstrap seed
    assert b"generated 2026-03-06 23:00:00 UTC" in a
