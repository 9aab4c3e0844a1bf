"""Server-side plots for the dashboard (matplotlib, Agg backend: no display, no JS library)."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any


def equity_png(curve: list[dict[str, Any]], *, family: str, unrealized: str | None = None) -> bytes:
    """PNG of a family's cumulative realized PnL net of fees, one step per ledger fill/settlement,
    with the current mark-to-market total as the last point when ``unrealized`` is given."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ys = [float(Decimal(p["pnl_net"])) for p in curve]
    fig, ax = plt.subplots(figsize=(6.0, 2.2), dpi=100)
    try:
        if ys:
            xs = list(range(1, len(ys) + 1))
            ax.step([0, *xs], [0.0, *ys], where="post", color="#1f6feb", label="realized net")
            if unrealized is not None:
                ax.plot([xs[-1], xs[-1] + 1], [ys[-1], ys[-1] + float(Decimal(unrealized))], "--", color="#d29922",
                        label="+ unrealized (mark)")
            ax.axhline(0, color="#888", lw=0.6)
            ax.legend(loc="best", fontsize=7, frameon=False)
        else:
            ax.text(0.5, 0.5, "no fills yet", ha="center", va="center", transform=ax.transAxes, color="#666")
        ax.set_title(f"{family}: PnL net of fees ($)", fontsize=9)
        ax.set_xlabel("ledger fills / settlements", fontsize=8)
        ax.tick_params(labelsize=7)
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()
    finally:
        plt.close(fig)
