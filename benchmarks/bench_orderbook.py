"""Order-book delta application throughput vs bare JSON decoding of the same messages.

Base data: the recorded KXHIGHNY top-of-book log shipped in ``data/sample/kalshi/``
(``top_of_book_KXHIGHNY-25DEC05_first4000.csv.gz``, real, cents). Each change of a market's best
YES or NO bid becomes the two ``orderbook_delta`` frames Kalshi would send (remove the old level,
add the new one), in the verbatim 2026 message shape with ``seq`` per ``sid``, preceded by one
``orderbook_snapshot`` per market. Level sizes are not in the log, so every level carries a fixed
100 contracts (the only synthetic part; it does not change the work per message).

* reference: ``json.loads`` of every frame (the least any consumer must do);
* measured: ``json.loads`` + :meth:`BookKeeper.process` (seq check + exact Decimal book update).

``ratio`` = measured msgs/s ÷ reference msgs/s; target ≥ 0.3.
"""

from __future__ import annotations

import csv
import gzip
import json
from decimal import Decimal
from pathlib import Path

from benchmarks.timing import best_of

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data/sample/kalshi/top_of_book_KXHIGHNY-25DEC05_first4000.csv.gz"
SIZE = "100.00"
TARGET = 0.3


def _cents(v: str) -> str:
    return str((Decimal(v) / 100).quantize(Decimal("0.0001")))


def build_frames(path: Path = SAMPLE, repeat: int = 1) -> list[str]:
    """Raw WebSocket frames (snapshots then deltas) derived from a top-of-book log."""
    with gzip.open(path, "rt", newline="") as fh:
        rows = list(csv.DictReader(fh))
    frames: list[str] = []
    seq = 0
    for _ in range(repeat):
        last: dict[str, tuple[str, str]] = {}
        for r in rows:
            t, yb, nb = r["market_ticker"], r["best_yes_bid"], r["best_no_bid"]
            if t not in last:
                seq += 1
                yes = [[_cents(yb), SIZE]] if yb and int(yb) > 0 else []
                no = [[_cents(nb), SIZE]] if nb and int(nb) > 0 else []
                frames.append(json.dumps({"type": "orderbook_snapshot", "sid": 1, "seq": seq, "msg": {
                    "market_ticker": t, "market_id": t, "yes_dollars_fp": yes, "no_dollars_fp": no}}))
                last[t] = (yb, nb)
                continue
            for side, old, new in (("yes", last[t][0], yb), ("no", last[t][1], nb)):
                if old == new:
                    continue
                for price, delta in ((old, "-" + SIZE), (new, SIZE)):
                    if price and int(price) > 0:
                        seq += 1
                        frames.append(json.dumps({"type": "orderbook_delta", "sid": 1, "seq": seq, "msg": {
                            "market_ticker": t, "price_dollars": _cents(price), "delta_fp": delta,
                            "side": side, "ts_ms": 0}}))
            last[t] = (yb, nb)
    return frames




def run() -> list[dict]:
    from kalshi_edge.kalshi.ws import BookKeeper

    frames = build_frames(repeat=5)
    n = len(frames)
    loads = json.loads

    def decode_only() -> None:
        for f in frames:
            loads(f)

    state: dict[str, BookKeeper] = {}

    def decode_and_apply() -> None:
        k = BookKeeper()
        process = k.process
        for f in frames:
            process(loads(f))
        state["k"] = k

    # interleave the two measurements so machine load hits both alike; keep the best of each
    t_ref = t_apply = float("inf")
    for _ in range(5):
        t_ref = min(t_ref, best_of(decode_only, 1))
        t_apply = min(t_apply, best_of(decode_and_apply, 1))
    k = state["k"]
    if k.gaps_detected:
        raise AssertionError(f"bench stream produced {k.gaps_detected} gap(s): the frames are inconsistent")
    ref_rate, apply_rate = n / t_ref, n / t_apply
    ratio = apply_rate / ref_rate
    return [
        {"name": "orderbook_delta_apply", "value": round(apply_rate), "unit": "msgs/s", "ratio": round(ratio, 3),
         "target_ratio": TARGET},
        {"name": "orderbook_json_decode_reference", "value": round(ref_rate), "unit": "msgs/s", "ratio": 1.0,
         "target_ratio": None},
        {"name": "orderbook_messages", "value": n, "unit": "msgs", "ratio": None, "target_ratio": None},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
