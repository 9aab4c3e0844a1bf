"""Measure how often a resting order at the touch is traded through within the maker TTL.

Uses the one fitter (:class:`kalshi_edge.families.weather.momentum.fills.MakerFillModel`) on every
recorded book the project can read, per source, by spread bucket in ticks and side, with n and a
Wilson 95 % interval. The numbers behind ``GateConfig.maker_fill_table``
(``kalshi_edge.trading.intents.MAKER_FILL_TABLE``)::

    .venv/bin/python scripts/measure_maker_fills.py \
        --kxhighny /work/shared/data/kalshi/kxhighny_top_of_book/*.csv.gz \
        --crypto /work/shared/reference/fixtures/kalshi_crypto15m/*/raw_snapshots.jsonl.gz

KXHIGHNY quotes whole cents (tick $0.01), so cents are ticks. The crypto 15-minute markets quote a
tapered grid ($0.001 below $0.10 and above $0.90, $0.01 between); their prices are mapped to tick
units per region (three runs of the same fitter, counts added): in each run, prices of the other
regions are pushed outward (below the region → 0 = "no bid", above → 100 = "no ask"), so a quote
outside the region is never sampled, while a future trade through into another region still
counts as a fill (it is beyond every price of the region). A touch straddling two regions is not
sampled (its spread is ≥ the region gap; the edge path's spread gate rejects most of them anyway).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from kalshi_edge.families.weather.momentum.fills import SPREAD_BUCKETS, MakerFillModel, wilson
from kalshi_edge.families.weather.momentum.stream import (
    BookEvent,
    events_from_crypto_snapshots,
    events_from_top_of_book,
)


def _region_maps() -> list[tuple[str, Callable[[float, bool], float]]]:
    """(name, map) per tick region of the tapered grid; map(price_c, is_ask) → tick units in 0..100."""

    def low(p: float, is_ask: bool) -> float:  # 0.1c ticks below 10c
        if p <= 0:
            return 0.0
        return round(p * 10, 6) if p < 10 else 100.0

    def mid(p: float, is_ask: bool) -> float:  # 1c ticks in [10c, 90c]
        if p < 10:
            return 0.0
        if p > 90:
            return 100.0
        return round(p - 9, 6)

    def high(p: float, is_ask: bool) -> float:  # 0.1c ticks above 90c
        if p >= 100:
            return 100.0
        return round((p - 90) * 10, 6) if p > 90 else 0.0

    return [("below 10c", low), ("10-90c", mid), ("above 90c", high)]


def _mapped(events: Iterable[BookEvent], f: Callable[[float, bool], float]) -> Iterator[BookEvent]:
    for e in events:
        yield BookEvent(e.ts_ns, e.ticker, f(e.yes_bid_c, False), f(e.yes_ask_c, True))


def counts(model: MakerFillModel, horizon_s: int) -> dict[tuple[int, str], tuple[int, int]]:
    return {(c.spread_lo, c.side): (c.n, c.fills) for c in model.cells if c.horizon_s == horizon_s}


def add(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, (n, f) in b.items():
        n0, f0 = out.get(k, (0, 0))
        out[k] = (n0 + n, f0 + f)
    return out


def measure_kxhighny(paths: list[Path], horizon_s: int) -> dict:
    return counts(MakerFillModel.fit(events_from_top_of_book(paths), horizons_s=(horizon_s,)), horizon_s)


def measure_crypto(paths: list[Path], horizon_s: int) -> dict:
    events = [e for p in paths for e in events_from_crypto_snapshots(p)]
    events.sort(key=lambda e: e.ts_ns)
    return measure_crypto_events(events, horizon_s)


def measure_crypto_events(events: list[BookEvent], horizon_s: int) -> dict:
    """(spread bucket, side) → (n, fills) with spreads in ticks of the tapered grid (time-ordered events)."""
    total: dict = {}
    for _name, f in _region_maps():
        m = MakerFillModel.fit(_mapped(events, f), horizons_s=(horizon_s,))
        total = add(total, counts(m, horizon_s))
    return total


def rows(source: str, c: dict) -> list[dict]:
    out = []
    for lo, hi in SPREAD_BUCKETS:
        for side in ("yes_bid", "yes_ask", "both"):
            if side == "both":
                n = sum(c.get((lo, s), (0, 0))[0] for s in ("yes_bid", "yes_ask"))
                k = sum(c.get((lo, s), (0, 0))[1] for s in ("yes_bid", "yes_ask"))
            else:
                n, k = c.get((lo, side), (0, 0))
            lo_ci, hi_ci = wilson(k, n)
            out.append({"source": source, "spread_ticks": f"{lo}" if lo == hi else f"{lo}-{hi}", "side": side,
                        "n": n, "fills": k, "rate": round(k / n, 4) if n else None,
                        "ci_low": round(lo_ci, 4), "ci_high": round(hi_ci, 4)})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kxhighny", nargs="*", default=[], type=Path, help="top-of-book logs (.csv[.gz])")
    ap.add_argument("--crypto", nargs="*", default=[], type=Path, help="crypto raw_snapshots.jsonl[.gz]")
    ap.add_argument("--horizon", type=int, default=300, help="seconds a maker rests (TradingSession.maker_ttl_s)")
    ap.add_argument("--per-day", action="store_true", help="also one row set per KXHIGHNY file")
    ap.add_argument("--json", type=Path, help="write the rows here too")
    a = ap.parse_args(argv)
    out: list[dict] = []
    pooled: dict = {}
    if a.kxhighny:
        k = measure_kxhighny(a.kxhighny, a.horizon)
        pooled = add(pooled, k)
        out += rows(f"KXHIGHNY ({len(a.kxhighny)} days)", k)
        if a.per_day:
            for p in a.kxhighny:
                out += rows(p.name, measure_kxhighny([p], a.horizon))
    if a.crypto:
        c = measure_crypto(a.crypto, a.horizon)
        pooled = add(pooled, c)
        out += rows(f"crypto 15m ({len(a.crypto)} series)", c)
    if a.kxhighny and a.crypto:
        out += rows("pooled", pooled)
    print(f"through-fill of a resting order at the touch within {a.horizon}s (Wilson 95 %)")
    print(f"{'source':<34} {'spread':>6} {'side':>7} {'n':>7} {'fills':>6} {'rate':>7}  interval")
    for r in out:
        rate = f"{r['rate']:.4f}" if r["rate"] is not None else "-"
        print(f"{r['source']:<34} {r['spread_ticks']:>6} {r['side']:>7} {r['n']:>7} {r['fills']:>6} {rate:>7}"
              f"  [{r['ci_low']:.4f}, {r['ci_high']:.4f}]")
    if a.json:
        a.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
