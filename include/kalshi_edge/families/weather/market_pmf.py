"""The market's own distribution of the daily high: a coherent pmf over integer °F from a ladder's
quotes at a decision time.

**Ladder.** Each market's integer payout interval comes from
:func:`~kalshi_edge.kalshi.semantics.payout_interval` and the event must tile the integers
(:meth:`~kalshi_edge.kalshi.semantics.Ladder.check_tiles`); anything else raises
:class:`~kalshi_edge.kalshi.errors.SemanticsError` and the decision is skipped. Recorded books and
candles carry only tickers, so :func:`markets_from_tickers` first turns each ticker into the
strike fields KXHIGH events are built with (KALSHI_API.md: ``B<x.5>`` ``between`` floor x-0.5 cap
x+0.5; of exactly two ``T`` markets the lower is ``less`` cap T and the upper ``greater`` floor T);
payout intervals and tiling are then decided by the one semantics module.

**Price of each bracket** (:func:`bracket_price`): the mid ``(yes_bid + yes_ask) / 2`` of the top
of book. A missing side counts as the bound it implies (no bid = 0, no ask = 100 c), so a
one-sided book still gives a price inside its spread. A bracket with neither side, or with a
spread wider than ``max_spread_c`` (default 30 c: such a quote says little), has no price. For
trade candles the price is the **last trade at or before the decision time** (no spread is known).

**Overround.** The prices of a ladder seldom sum to exactly 1 (the touch mids of a 6-market ladder
commonly sum to 1.02-1.10). They are normalised **multiplicatively** (each divided by the sum):
the proportional de-vig, which keeps the ratios of the quoted probabilities. Brackets without a
price get a floor of ``floor_p`` (default 0.005) before normalising, so an unpriced bracket is
unlikely but not impossible; a ladder with fewer than half of its brackets priced gives no pmf.

**Inside a bracket** the mass is spread evenly over its integers; an open tail (``≤ x`` or ``≥ y``)
spreads over ``tail_width_f`` integers (default 6 °F) with weights decaying geometrically
(ratio ``tail_decay``, default 0.6) away from the ladder. So the pmf has zero mass outside the
**support** [lowest bound − tail_width + 1, highest bound + tail_width − 1], sums to 1 and
reproduces every bracket's normalised price exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from kalshi_edge.kalshi.errors import SemanticsError
from kalshi_edge.kalshi.models import Market
from kalshi_edge.kalshi.semantics import IntInterval, Ladder, parse_ticker

DEFAULT_TAIL_WIDTH_F = 6
DEFAULT_TAIL_DECAY = 0.6
DEFAULT_FLOOR_P = 0.005
DEFAULT_MAX_SPREAD_C = 30


def markets_from_tickers(tickers: Sequence[str]) -> list[Market]:
    """Market objects with the strike fields a KXHIGH ladder's tickers imply (see module doc).

    Raises :class:`SemanticsError` when a ticker is neither ``B<x.5>`` nor ``T<int>`` or when there
    are not exactly two ``T`` markets (then nothing says which tail is which).
    """
    half = Decimal("0.5")
    out: list[Market] = []
    thresholds: list[tuple[Decimal, str]] = []
    for t in tickers:
        parts = parse_ticker(t)
        v = parts.suffix_value
        if parts.suffix_kind == "bracket" and v is not None and (v - half) == (v - half).to_integral_value():
            out.append(Market(ticker=t, strike_type="between", floor_strike=v - half, cap_strike=v + half))
        elif parts.suffix_kind == "threshold" and v is not None and v == v.to_integral_value():
            thresholds.append((v, t))
        else:
            raise SemanticsError(f"ticker {t}: not a KXHIGH B<x.5>/T<int> market")
    if len(thresholds) != 2:
        raise SemanticsError(f"ladder {sorted(tickers)}: {len(thresholds)} threshold markets, need exactly 2")
    (lo_v, lo_t), (hi_v, hi_t) = sorted(thresholds)
    out.append(Market(ticker=lo_t, strike_type="less", cap_strike=lo_v))
    out.append(Market(ticker=hi_t, strike_type="greater", floor_strike=hi_v))
    return out


def ladder_of(markets: Sequence[Market] | Sequence[str], *, require_text: bool = False) -> Ladder:
    """An integer ladder that tiles the line (raises :class:`SemanticsError` otherwise)."""
    ms = [m for m in markets]
    if ms and isinstance(ms[0], str):
        ms = markets_from_tickers(ms)  # type: ignore[arg-type]
    ladder = Ladder.from_markets(ms, integer=True, require_text=require_text)  # type: ignore[arg-type]
    ladder.check_tiles()
    return ladder


def bracket_price(yes_bid_c: float | None, yes_ask_c: float | None, *,
                  max_spread_c: float = DEFAULT_MAX_SPREAD_C) -> float | None:
    """Mid price in dollars of a top of book in cents (0 bid / 100 ask = that side missing)."""
    bid = 0.0 if yes_bid_c is None or np.isnan(yes_bid_c) else float(yes_bid_c)
    ask = 100.0 if yes_ask_c is None or np.isnan(yes_ask_c) else float(yes_ask_c)
    if bid <= 0 and ask >= 100:
        return None
    if ask - bid > max_spread_c:
        return None
    return 0.5 * (bid + ask) / 100.0


@dataclass(frozen=True)
class MarketPmf:
    """The market-implied pmf on integers ``lo..hi`` (``p[i]`` is the mass on ``lo + i``)."""

    lo: int
    p: np.ndarray
    bracket_p: dict[str, float]  # normalised price per ticker
    raw_sum: float  # sum of the prices before normalising (the overround is raw_sum - 1)
    priced: int  # brackets with a price

    @property
    def hi(self) -> int:
        return self.lo + len(self.p) - 1

    def temps(self) -> np.ndarray:
        return np.arange(self.lo, self.hi + 1)


def support_of(intervals: Sequence[IntInterval], tail_width_f: int = DEFAULT_TAIL_WIDTH_F) -> tuple[int, int]:
    """Integer support [lo, hi] of a tiled ladder's pmf (open tails extended by ``tail_width_f``)."""
    finite_lo = [iv.lo for iv in intervals if iv.lo is not None]
    finite_hi = [iv.hi for iv in intervals if iv.hi is not None]
    lo = min(finite_lo + finite_hi) - tail_width_f + 1 if any(iv.lo is None for iv in intervals) else min(finite_lo)
    hi = max(finite_lo + finite_hi) + tail_width_f - 1 if any(iv.hi is None for iv in intervals) else max(finite_hi)
    return lo, hi


def spread_brackets(intervals: Sequence[IntInterval], masses: Sequence[float], *,
                    tail_width_f: int = DEFAULT_TAIL_WIDTH_F, tail_decay: float = DEFAULT_TAIL_DECAY,
                    shape: tuple[int, np.ndarray] | None = None) -> tuple[int, np.ndarray]:
    """Integer pmf (lo, p) with each interval's mass spread over its integers in the support.

    ``shape``: optional (lo, weights) on integers used as the within-bracket shape instead of the
    even/geometric default (weights of 0 on a whole bracket fall back to the default).
    """
    lo, hi = support_of(intervals, tail_width_f)
    p = np.zeros(hi - lo + 1)
    for iv, m in zip(intervals, masses, strict=True):
        a = lo if iv.lo is None else iv.lo
        b = hi if iv.hi is None else iv.hi
        k = np.arange(a, b + 1)
        if iv.lo is None:
            w = tail_decay ** (b - k).astype(float)
        elif iv.hi is None:
            w = tail_decay ** (k - a).astype(float)
        else:
            w = np.ones(len(k))
        if shape is not None:
            s_lo, s_w = shape
            idx = k - s_lo
            ok = (idx >= 0) & (idx < len(s_w))
            sw = np.where(ok, s_w[np.clip(idx, 0, len(s_w) - 1)], 0.0)
            if sw.sum() > 0:
                w = sw
        p[a - lo : b - lo + 1] += m * w / w.sum()
    return lo, p / p.sum()


def implied_pmf(ladder: Ladder, prices: dict[str, float | None], *, floor_p: float = DEFAULT_FLOOR_P,
                tail_width_f: int = DEFAULT_TAIL_WIDTH_F, tail_decay: float = DEFAULT_TAIL_DECAY) -> MarketPmf | None:
    """The market pmf from one price (dollars, YES) per ticker; None if under half are priced."""
    tickers = [m.ticker for m in ladder.markets]
    raw = np.array([np.nan if prices.get(t) is None else float(prices[t]) for t in tickers])
    priced = ~np.isnan(raw)
    if priced.sum() * 2 < len(tickers):
        return None
    q = np.where(priced, np.clip(raw, floor_p, 1.0), floor_p)
    raw_sum = float(np.nansum(raw))
    q = q / q.sum()
    lo, p = spread_brackets(ladder.int_intervals(), q, tail_width_f=tail_width_f, tail_decay=tail_decay)
    return MarketPmf(lo, p, dict(zip(tickers, q.tolist(), strict=True)), raw_sum, int(priced.sum()))


def project_to_support(grid_lo: int, pmf: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """A pmf on integers ``grid_lo..`` restricted to ``lo..hi``: mass below ``lo`` is added to ``lo``
    and mass above ``hi`` to ``hi`` (so every tail bracket keeps its probability)."""
    n = len(pmf)
    i0 = int(np.clip(lo - grid_lo, 0, n))
    i1 = int(np.clip(hi - grid_lo + 1, 0, n))
    out = np.zeros(hi - lo + 1)
    seg = pmf[i0:i1]
    start = i0 + grid_lo - lo
    out[start : start + len(seg)] = seg
    # the tails as sums of their own cells (never ``1 - cdf``: a cumulative sum that rounds past 1
    # would leave a negative mass of ~1e-16 in an empty tail bracket)
    out[0] += pmf[:i0].sum()
    out[-1] += pmf[i1:].sum()
    return out / out.sum()


def bracket_masses(ladder: Ladder, lo: int, p: np.ndarray) -> np.ndarray:
    """Probability of each market of ``ladder`` under the integer pmf (lo, p)."""
    temps = np.arange(lo, lo + len(p))
    out = []
    for iv in ladder.int_intervals():
        m = np.ones(len(temps), dtype=bool)
        if iv.lo is not None:
            m &= temps >= iv.lo
        if iv.hi is not None:
            m &= temps <= iv.hi
        out.append(float(p[m].sum()))
    return np.array(out)
