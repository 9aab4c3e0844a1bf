"""The shared maker-fill default is the measured table (not the old 0.3/sqrt(ticks) heuristic)."""

import inspect
import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from kalshi_edge.config import Settings
from kalshi_edge.families.weather.momentum.fills import SPREAD_BUCKETS, MakerFillModel, wilson
from kalshi_edge.families.weather.momentum.stream import events_from_top_of_book
from kalshi_edge.trading import intents
from kalshi_edge.trading.intents import MAKER_FILL_TABLE, GateConfig, build_intents, maker_fill_probability
from tests.trading.conftest import NOW, prob, snap

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DAY = ROOT / "data/sample/kalshi/top_of_book/market_data_KXHIGHNY-25DEC06.csv.gz"
TICK = Decimal("0.01")


def test_default_is_the_documented_measured_table():
    # the "default" column of the table documented above MAKER_FILL_TABLE, in percent
    src = inspect.getsource(intents)
    block = src[src.index("#: ticks   KXHIGHNY"):src.index("MAKER_FILL_TABLE: tuple")]
    documented = [float(m) / 100 for m in re.findall(r"^#: \S+ .* (\d+\.\d+) %$", block, flags=re.M)]
    assert documented == [r for _lo, r in MAKER_FILL_TABLE]
    assert [lo for lo, _r in MAKER_FILL_TABLE] == [lo for lo, _hi in SPREAD_BUCKETS]
    assert GateConfig().maker_fill_table == MAKER_FILL_TABLE and GateConfig().maker_fill_prob is None
    got = {c: maker_fill_probability(spread=Decimal(c) * TICK, tick=TICK) for c in (1, 2, 3, 4, 5, 9, 10, 40)}
    assert got == {1: 0.045, 2: 0.015, 3: 0.015, 4: 0.015, 5: 0.015, 9: 0.015, 10: 0.015, 40: 0.015}
    # far below the old heuristic it replaces (0.3 at one tick, 0.21 at two)
    assert maker_fill_probability(spread=Decimal("0.02"), tick=TICK, base=0.3) == pytest.approx(0.3 / 2 ** 0.5)


def test_settings_override_brings_back_the_heuristic():
    assert GateConfig.from_settings(Settings()).maker_fill_prob is None
    cfg = GateConfig.from_settings(Settings(maker_fill_prob=0.3))
    assert cfg.maker_fill_prob == 0.3
    with pytest.raises(ValueError):
        Settings(maker_fill_prob=1.5)


def test_default_rests_less_and_the_strategys_own_fill_odds_still_win():
    # p=0.53, bid 0.44 / ask 0.50 (6 ticks): maker edge 0.09, taker edge ≈ 0.03 - fee.
    cfg = GateConfig(min_edge_dollars=Decimal("0.0001"), max_count=Decimal("10"))
    m = snap(bid="0.44", ask="0.50")
    heuristic = build_intents([prob(p=0.53)], [m], strategy="t", now=NOW, cfg=replace(cfg, maker_fill_prob=0.9))
    assert [i.liquidity for i in heuristic.intents] == ["maker"]  # 0.9/sqrt(6) × 0.09 beats crossing
    default = build_intents([prob(p=0.53)], [m], strategy="t", now=NOW, cfg=cfg)
    assert [i.liquidity for i in default.intents] == ["taker"]  # 0.015 × 0.09 does not
    own = build_intents([replace(prob(p=0.53), maker_fill=(0.9, 0.9))], [m], strategy="t", now=NOW, cfg=cfg)
    assert [(i.liquidity, i.side) for i in own.intents] == [("maker", "yes")]


def test_default_not_above_the_shipped_kxhighny_day():
    """Re-measure the through-fill rate within the maker TTL on the shipped recorded day with the
    one fitter: the default must not exceed the upper end of its Wilson interval in any bucket."""
    model = MakerFillModel.fit(events_from_top_of_book([SAMPLE_DAY]), horizons_s=(300,))
    for lo, hi in SPREAD_BUCKETS:
        cells = [c for c in model.cells if c.horizon_s == 300 and c.spread_lo == lo]
        n, k = sum(c.n for c in cells), sum(c.fills for c in cells)
        assert n > 500, (lo, n)
        low, high = wilson(k, n)
        default = maker_fill_probability(spread=Decimal(lo) * TICK, tick=TICK)
        assert default <= high, (f"{lo}-{hi} ticks", default, k / n, (low, high))
        # and well below the old heuristic, which this day refutes in every bucket
        assert 0.3 / lo ** 0.5 > high


def _script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("measure_maker_fills", ROOT / "scripts/measure_maker_fills.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_measurement_counts_crypto_spreads_in_ticks_of_their_region():
    """The tapered grid ($0.001 below 10c): a 9.3/9.4c touch is one tick, not 0 cents, and a
    trade-through into another region is still a fill. Synthetic stream (the situation is
    exact; recorded books do not isolate it)."""
    from kalshi_edge.families.weather.momentum.stream import BookEvent

    s = 1_000_000_000
    ev = [BookEvent(0, "A", 9.3, 9.4), BookEvent(400 * s, "A", 9.3, 9.4),  # low region: 1 tick, no fill
          BookEvent(0, "B", 10.0, 11.0), BookEvent(100 * s, "B", 9.0, 9.5),  # mid: 1 tick, ask falls below 10c
          BookEvent(400 * s, "B", 9.0, 9.5)]
    ev.sort(key=lambda e: e.ts_ns)
    c = _script().measure_crypto_events(ev, 300)
    n_bid, k_bid = c[(1, "yes_bid")]
    # 4 grid samples each (0..90 s have 300 s ahead): A's never filled, B's all filled by the drop;
    # in raw cents A's 0.1c spread would be 0 "ticks" and dropped (n = 4)
    assert (n_bid, k_bid) == (8, 4)
    assert sum(n for (lo, side), (n, _k) in c.items() if lo > 1) == 0
