"""Weather momentum features per book update vs a bare replay of the same updates.

Base data: the real recorded KXHIGHNY day shipped in ``data/sample/kalshi/top_of_book/``
(``market_data_KXHIGHNY-25DEC06.csv.gz``, 28,471 top-of-book updates).

* reference ("bare replay"): replaying the recorded updates as the book-event stream — the one
  reader (:func:`kalshi_edge.kalshi.top_of_book.read_top_of_book`) through the stream adapter into
  :class:`BookEvent` s, keeping the latest touch per market (what any consumer of a recorded book
  does);
* measured: the same replay plus :meth:`FeatureEngine.update` on every event (kinematics of the
  mid and of the ladder's μ, PMF sums, Hawkes state).

``ratio`` = measured updates/s ÷ reference updates/s; target ≥ 0.3. A second row reports the
feature update's own cost in µs per update and its ratio against a replay of already-decoded
events that does nothing but store them in a dict (informational, no target: no Python feature
code is within 3× of a dict store).
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.timing import best_of
from kalshi_edge.families.weather.momentum.features import FeatureEngine, HawkesParams
from kalshi_edge.families.weather.momentum.stream import events_from_top_of_book

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data/sample/kalshi/top_of_book/market_data_KXHIGHNY-25DEC06.csv.gz"
TARGET = 0.3
HAWKES = HawkesParams(mu=0.01, alpha=0.05, beta=0.1)


def _replay() -> int:
    last: dict[str, tuple] = {}
    n = 0
    for e in events_from_top_of_book([SAMPLE]):
        last[e.ticker] = (e.ts_ns, e.yes_bid_c, e.yes_ask_c)
        n += 1
    return n


def _replay_with_features() -> int:
    last: dict[str, tuple] = {}
    eng = FeatureEngine(hawkes=HAWKES)
    n = 0
    for e in events_from_top_of_book([SAMPLE]):
        last[e.ticker] = (e.ts_ns, e.yes_bid_c, e.yes_ask_c)
        eng.update(e)
        n += 1
    return n


def run() -> list[dict]:
    n = _replay()
    t_ref = best_of(_replay, repeat=3)
    t_feat = best_of(_replay_with_features, repeat=3)
    events = list(events_from_top_of_book([SAMPLE]))

    def store() -> None:
        last = {}
        for e in events:
            last[e.ticker] = e

    def features_only() -> None:
        eng = FeatureEngine(hawkes=HAWKES)
        for e in events:
            eng.update(e)

    t_store = best_of(store, repeat=5)
    t_only = best_of(features_only, repeat=3)
    return [
        {"name": "momentum features: replay+features vs bare replay (updates/s)", "value": n / t_feat,
         "unit": "updates/s", "ratio": round(t_ref / t_feat, 3), "target_ratio": TARGET},
        {"name": "momentum FeatureEngine.update alone (µs/update; ratio vs dict store)", "value": 1e6 * t_only / n,
         "unit": "µs/update", "ratio": round(t_store / t_only, 3), "target_ratio": None},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
