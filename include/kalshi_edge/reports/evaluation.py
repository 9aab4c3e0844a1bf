"""Building blocks of the ``evaluate`` reports (``btc evaluate``, ``weather evaluate``): a score
per forecaster with its sample size and a 95 % bootstrap interval, the difference to a baseline
(or the market) on the same rows with its own interval and a plain verdict, the walk-forward
setup as a table, and the page itself (the shared stylesheet, plots inlined as PNG, no external
URL). Every interval comes from :func:`kalshi_edge.modeling.metrics.estimate`."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from kalshi_edge.modeling.metrics import Estimate, estimate
from kalshi_edge.reports.html import render_report, table_html

BOOTSTRAP_REPS = 2000
SEED = 0
SMALL_N = 10  # fewer units than this: the report says the interval is rough


def mean_estimate(name: str, per_unit: object, *, reps: int = BOOTSTRAP_REPS, seed: int = SEED,
                  note: str = "") -> Estimate:
    """The mean of a per-unit score (per day, per settlement hour) with a percentile bootstrap over
    units (fixed seed): the one :func:`estimate` helper, named for reports."""
    return estimate(name, np.asarray(per_unit, dtype=float), statistic="mean", reps=reps, seed=seed, note=note)


def fmt_ci(e: Estimate, digits: int = 4, signed: bool = False) -> str:
    """``0.1234 [0.1100, 0.1350]`` (``+`` sign on differences); ``n/a`` without a value."""
    if e.value is None:
        return "n/a"
    f = f"{{:{'+' if signed else ''}.{digits}f}}"
    if e.low is None or e.high is None:
        return f"{f.format(e.value)} [no interval: n={e.n}]"
    return f"{f.format(e.value)} [{f.format(e.low)}, {f.format(e.high)}]"


def contains_zero(e: Estimate) -> bool:
    return e.low is not None and e.high is not None and e.low <= 0 <= e.high


def verdict(diff: Estimate, a: str, b: str, *, lower_is_better: bool = True) -> str:
    """A plain sentence on ``a − b``: says when the 95 % interval contains zero."""
    if diff.value is None or diff.low is None or diff.high is None:
        return f"too few rows for an interval of {a} − {b}"
    if contains_zero(diff):
        return f"the 95% interval of {a} − {b} contains 0: no clear difference on these rows"
    a_better = (diff.high < 0) == lower_is_better
    return f"{a} is better than {b} on these rows (95% interval excludes 0)" if a_better else \
        f"{b} is better than {a} on these rows (95% interval excludes 0)"


def comparison_rows(scores: dict[str, dict[str, np.ndarray]], reference: str, *, unit: str, rows: int | None = None,
                    digits: int = 4) -> tuple[list[dict[str, Any]], list[str]]:
    """Table rows ``forecaster | units | score [95% CI] | score − reference [95% CI]`` for each
    metric, and the verdict sentences. ``scores[forecaster][metric]`` is the per-unit score array,
    every forecaster on the same units (checked)."""
    names = list(scores)
    metrics = list(scores[reference])
    n = {len(v) for s in scores.values() for v in s.values()}
    if len(n) != 1:
        raise ValueError(f"forecasters are not scored on the same rows (unit counts {sorted(n)})")
    out, sentences = [], []
    for name in names:
        rec: dict[str, Any] = {"forecaster": name, unit: len(scores[name][metrics[0]])}
        if rows is not None:
            rec["rows"] = rows
        for m in metrics:
            rec[f"{m} [95% CI]"] = fmt_ci(mean_estimate(m, scores[name][m]), digits)
            if name == reference:
                rec[f"{m} − {reference} [95% CI]"] = ""
            else:
                d = mean_estimate(f"{m} {name} - {reference}", scores[name][m] - scores[reference][m])
                rec[f"{m} − {reference} [95% CI]"] = fmt_ci(d, digits, signed=True) + (
                    " (contains 0)" if contains_zero(d) else "")
                sentences.append(f"{m}: {verdict(d, name, reference)}.")
        out.append(rec)
    return out, sentences


def comparison_html(scores: dict[str, dict[str, np.ndarray]], reference: str, *, unit: str,
                    rows: int | None = None, intro: str = "", digits: int = 4) -> str:
    tab, sentences = comparison_rows(scores, reference, unit=unit, rows=rows, digits=digits)
    n = tab[0][unit] if tab else 0
    if n < SMALL_N:
        sentences.append(f"Only {n} {unit}: a bootstrap interval from so few {unit} is rough; read it as a "
                         "sketch, not as evidence.")
    items = "".join(f"<li>{html.escape(s)}</li>" for s in sentences)
    return (f"<p>{intro}</p>" if intro else "") + table_html(tab) + (f"<ul>{items}</ul>" if items else "")


def setup_html(items: Sequence[tuple[str, object]], blocks: Sequence[dict[str, Any]] | None = None) -> str:
    """The walk-forward setup as a two-column table, then one row per refit block if given."""
    tab = table_html([{"setting": k, "value": v} for k, v in items])
    if blocks:
        tab += "<p>Walk-forward blocks (each block's model fitted on its training window only):</p>" + \
            table_html(list(blocks))
    return tab


def no_market_html(reason: str) -> str:
    return f"<p><b>No market prices for these rows.</b> {html.escape(reason)}</p>"


def write_page(path: str | Path, title: str, sections: Sequence[dict[str, Any]], *, generated_at: datetime) -> Path:
    """Write the standalone page (shared stylesheet, inline PNG plots) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(title, sections, generated_at=generated_at))
    return path
