"""Edge-after-fees figures: exact money sums, drawdown, hit rate, and the bootstrap verdict."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from kalshi_edge.reports.trading_metrics import max_drawdown, performance


def _m(day, pnl, contracts=10, fees="0.10", turnover="5"):
    return {"ticker": f"KXHIGHNY-{day}-B1.5", "day": day, "pnl_net": D(pnl), "contracts": D(contracts),
            "fees": D(fees), "turnover": D(turnover)}


@pytest.mark.parametrize(("path", "dd"), [
    ([0, 5, 3, 8, 1, 4], D(7)),  # peak 8 -> trough 1
    ([0, 1, 2, 3], D(0)),  # never falls
    ([0, -2, -1, -5], D(5)),  # from the start
])
def test_max_drawdown_table(path, dd):
    assert max_drawdown([D(x) for x in path]) == dd


def test_money_sums_are_exact_and_hit_rate_counts_winning_markets():
    p = performance([_m("25DEC05", "0.10"), _m("25DEC06", "0.20"), _m("25DEC07", "-0.05")], reps=200)
    assert p["pnl_net"] == D("0.25") and p["fees"] == D("0.30") and p["turnover"] == D("15")
    assert p["pnl_per_contract"] == D("0.25") / D(30)
    assert p["hit_rate"] == pytest.approx(2 / 3)
    assert p["max_drawdown"] == D("0.05")


def test_verdict_says_plainly_when_the_interval_contains_zero():
    mixed = performance([_m(f"d{i}", "1" if i % 2 else "-1") for i in range(20)], reps=500)
    assert mixed["interval_contains_zero"] and "contains 0" in mixed["verdict"]
    winning = performance([_m(f"d{i}", "1") for i in range(20)], reps=500)
    assert not winning["interval_contains_zero"] and winning["verdict"].startswith("positive edge")
