"""The maker-fill model: how often the recorded market traded through a resting price.

A YES bid resting at the current best YES bid ``b`` is filled (as the backtester fills makers:
strictly *through* our price, we assume we are last in the queue) when the recorded YES ask goes
strictly below ``b`` within the horizon; a NO bid resting at the current NO bid, i.e. a YES offer
at the current ask ``a``, is filled when the recorded YES bid goes strictly above ``a``. Sampled on
a grid (every ``step_s``) of two-sided quotes, per spread bucket and horizon; the estimate is the
empirical frequency with a Wilson 95 % interval. Only data from the days given is used, so
fitting on the training days and applying the table to the next day is walk-forward.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from kalshi_edge.families.weather.momentum.stream import BookEvent

SPREAD_BUCKETS: tuple[tuple[int, int], ...] = ((1, 1), (2, 2), (3, 4), (5, 9), (10, 100))


def _sparse_table(x: np.ndarray, op: np.ufunc) -> list[np.ndarray]:
    table = [x]
    k = 1
    while 2 * k <= x.size:
        prev = table[-1]
        table.append(op(prev[:-k], prev[k:]))
        k *= 2
    return table


def _range_query(table: list[np.ndarray], op: np.ufunc, lo: np.ndarray, hi: np.ndarray, empty: float) -> np.ndarray:
    """op over x[lo:hi] for each pair (hi exclusive); ``empty`` where lo ≥ hi."""
    n = hi - lo
    out = np.full(lo.shape, empty, dtype=float)
    ok = n > 0
    if not ok.any():
        return out
    lv = np.zeros_like(n)
    lv[ok] = np.floor(np.log2(n[ok])).astype(int)
    for level in np.unique(lv[ok]):
        m = ok & (lv == level)
        t = table[level]
        out[m] = op(t[lo[m]], t[hi[m] - (1 << level)])
    return out


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


@dataclass(frozen=True, slots=True)
class FillCell:
    horizon_s: int
    spread_lo: int
    spread_hi: int
    side: str  # "yes_bid" | "yes_ask"
    n: int
    fills: int

    @property
    def rate(self) -> float:
        return self.fills / self.n if self.n else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.fills, self.n)


class MakerFillModel:
    """Fill probability of a maker order at the touch by (horizon, spread bucket, side)."""

    def __init__(self, cells: Sequence[FillCell], prior: float | None = None) -> None:
        """``prior``: the rate for a cell with too few samples; None (the default) takes the shared
        measured default for that spread (:func:`kalshi_edge.trading.intents.maker_fill_probability`)."""
        self.cells = list(cells)
        self.prior = prior
        self._by = {(c.horizon_s, c.spread_lo, c.side): c for c in cells}

    @classmethod
    def fit(cls, events: Iterable[BookEvent], *, horizons_s: Sequence[int] = (30, 60, 300),
            step_s: float = 30.0) -> MakerFillModel:
        per: dict[str, tuple[list[float], list[int], list[int]]] = {}
        for e in events:
            ts, bids, asks = per.setdefault(e.ticker, ([], [], []))
            ts.append(e.ts_ns * 1e-9)
            bids.append(e.yes_bid_c)
            asks.append(e.yes_ask_c)
        counts: dict[tuple[int, int, str], list[int]] = {}
        for ts_l, bid_l, ask_l in per.values():
            ts, bid, ask = np.asarray(ts_l), np.asarray(bid_l, dtype=float), np.asarray(ask_l, dtype=float)
            if ts.size < 2:
                continue
            grid = np.arange(ts[0], ts[-1], step_s)
            idx = np.searchsorted(ts, grid, side="right") - 1
            b0, a0 = bid[idx], ask[idx]
            two = (b0 > 0) & (a0 < 100)
            spread = (a0 - b0).astype(int)
            tmin = _sparse_table(ask, np.minimum)
            tmax = _sparse_table(bid, np.maximum)
            for h in horizons_s:
                inside = grid + h <= ts[-1]
                lo = idx + 1
                hi = np.searchsorted(ts, grid + h, side="right")
                fut_min_ask = _range_query(tmin, np.minimum, lo, hi, np.inf)
                fut_max_bid = _range_query(tmax, np.maximum, lo, hi, -np.inf)
                ok = two & inside
                bid_fill = fut_min_ask < b0
                ask_fill = fut_max_bid > a0
                for s_lo, s_hi in SPREAD_BUCKETS:
                    m = ok & (spread >= s_lo) & (spread <= s_hi)
                    for side, filled in (("yes_bid", bid_fill), ("yes_ask", ask_fill)):
                        c = counts.setdefault((h, s_lo, side), [0, 0])
                        c[0] += int(m.sum())
                        c[1] += int((filled & m).sum())
        cells = []
        for (h, s_lo, side), (n, k) in sorted(counts.items()):
            s_hi = dict(SPREAD_BUCKETS)[s_lo]
            cells.append(FillCell(h, s_lo, s_hi, side, n, k))
        return cls(cells)

    def prob(self, spread_c: int, horizon_s: int, side: str = "yes_bid", *, min_n: int = 30) -> float:
        """The fitted fill rate for that cell (the nearest fitted horizon); the prior when too thin."""
        hs = sorted({c.horizon_s for c in self.cells})
        if not hs:
            return self._prior(spread_c)
        h = min(hs, key=lambda x: abs(x - horizon_s))
        for s_lo, s_hi in SPREAD_BUCKETS:
            if s_lo <= spread_c <= s_hi:
                c = self._by.get((h, s_lo, side))
                return c.rate if c is not None and c.n >= min_n else self._prior(spread_c)
        return self._prior(spread_c)

    def _prior(self, spread_c: int) -> float:
        if self.prior is not None:
            return self.prior
        from decimal import Decimal

        from kalshi_edge.trading.intents import maker_fill_probability

        return maker_fill_probability(spread=Decimal(max(int(spread_c), 1)) / 100, tick=Decimal("0.01"))

    def table(self) -> list[dict[str, object]]:
        return [{"horizon_s": c.horizon_s, "spread_c": f"{c.spread_lo}-{c.spread_hi}", "side": c.side,
                 "n": c.n, "fills": c.fills, "rate": round(c.rate, 4) if c.n else None,
                 "ci_low": round(c.interval[0], 4), "ci_high": round(c.interval[1], 4)} for c in self.cells]

    def to_json(self) -> dict[str, object]:
        return {"prior": self.prior, "cells": [[c.horizon_s, c.spread_lo, c.spread_hi, c.side, c.n, c.fills]
                                              for c in self.cells]}

    @classmethod
    def from_json(cls, d: dict) -> MakerFillModel:
        return cls([FillCell(int(h), int(lo), int(hi), str(s), int(n), int(k)) for h, lo, hi, s, n, k in d["cells"]],
                   prior=None if d.get("prior") is None else float(d["prior"]))
