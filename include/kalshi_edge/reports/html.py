"""Self-contained HTML reports: sections of HTML fragments, plots inlined as base64 PNG."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1200px;color:#222}
h1{margin-bottom:.2rem} h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2.2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem} th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:right}
th{background:#f4f4f4} td:first-child,th:first-child{text-align:left}
.meta{color:#666;font-size:.9rem} .fail{color:#b00020;font-weight:bold} .ok{color:#0a7a2f;font-weight:bold}
img{max-width:100%} nav a{margin-right:1rem}
"""


def table_html(rows: Sequence[dict[str, Any]], max_rows: int = 200) -> str:
    """A list of dicts as an HTML table (escaped)."""
    if not rows:
        return "<p class='meta'>(no rows)</p>"
    cols = list(rows[0].keys())
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if r.get(c) is None else str(r.get(c)))}</td>" for c in cols) + "</tr>"
        for r in rows[:max_rows]
    )
    more = f"<p class='meta'>… {len(rows) - max_rows} more rows</p>" if len(rows) > max_rows else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def figure_html(fig: Any, alt: str = "plot") -> str:
    """A matplotlib figure as an inline <img> (PNG, base64); closes the figure."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode()
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{data}'/>"


def render_report(title: str, sections: Sequence[dict[str, Any]], *, generated_at: datetime | None = None) -> str:
    """A full HTML page. Each section: ``{"title", "html", "ok": bool, "seconds": float}``."""
    when = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S UTC")
    nav = "".join(f"<a href='#s{i}'>{html.escape(s['title'])}</a>" for i, s in enumerate(sections))
    parts = []
    for i, s in enumerate(sections):
        status = "" if s.get("ok", True) else " <span class='fail'>FAILED</span>"
        secs = f" <span class='meta'>({s['seconds']:.1f} s)</span>" if "seconds" in s else ""
        parts.append(f"<section id='s{i}'><h2>{html.escape(s['title'])}{status}{secs}</h2>{s.get('html', '')}</section>")
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<p class='meta'>generated {when} · paper trading · offline sample data</p><nav>{nav}</nav>"
        + "".join(parts)
        + "</body></html>"
    )


def standalone_page(title: str, fragment: str, *, meta: str = "") -> str:
    """One HTML fragment as a full page with the demo report's stylesheet (issue 13: every
    standalone report — backtest, BTC scoring, Billboard prediction — looks like the demo's)."""
    sub = f"<p class='meta'>{html.escape(meta)}</p>" if meta else ""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>{sub}{fragment}</body></html>")


def mapping_table(mapping: dict[str, Any], key: str = "reason", value: str = "count") -> str:
    """A flat dict (e.g. risk denials by reason) as a two-column table, never a printed dict."""
    return table_html([{key: k, value: v} for k, v in sorted(mapping.items())])
