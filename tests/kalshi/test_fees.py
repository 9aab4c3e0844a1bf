"""The one fee function, as a table of hand-checked values plus invariants.

Every expected value below was computed by hand from KALSHI_API.md "Fees":
taker = multiplier × 0.07 × C × P × (1 − P), maker = 0.0175 × C × P × (1 − P) only on
``quadratic_with_maker_fees``, flat = multiplier × C (taker only), rounded UP to the tick per order.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kalshi_edge.kalshi.fees import FeeSchedule, FeeType, order_fee, taker_fee_per_contract_vec
from kalshi_edge.kalshi.money import MoneyError

Q = FeeSchedule(fee_type=FeeType.QUADRATIC)
QM = FeeSchedule(fee_type=FeeType.QUADRATIC_WITH_MAKER_FEES)
FLAT = FeeSchedule(fee_type=FeeType.FLAT, multiplier=D("0.01"))


@pytest.mark.parametrize(
    ("price", "count", "is_maker", "schedule", "tick", "expected"),
    [
        # 0.07 × 1 × 0.25 × 0.75 = 0.013125 → up to 0.02 (the documented example)
        ("0.25", "1", False, Q, D("0.01"), D("0.02")),
        # same order, finer tick: 0.013125 → 0.0132
        ("0.25", "1", False, Q, D("0.0001"), D("0.0132")),
        # 0.07 × 100 × 0.5 × 0.5 = 1.75 exactly: no rounding up
        ("0.50", "100", False, Q, D("0.01"), D("1.75")),
        # makers pay nothing on plain quadratic series
        ("0.50", "100", True, Q, D("0.01"), D("0.00")),
        # maker on quadratic_with_maker_fees: 0.0175 × 100 × 0.25 = 0.4375 → 0.44
        ("0.50", "100", True, QM, D("0.01"), D("0.44")),
        # taker on quadratic_with_maker_fees is the normal taker fee
        ("0.50", "100", False, QM, D("0.01"), D("1.75")),
        # 0.07 × 1 × 0.01 × 0.99 = 0.000693 → 0.01 (the minimum a taker ever pays at a cent tick)
        ("0.01", "1", False, Q, D("0.01"), D("0.01")),
        # 0.07 × 10 × 0.37 × 0.63 = 0.16317 → 0.17
        ("0.37", "10", False, Q, D("0.01"), D("0.17")),
        # fractional count: 0.07 × 2.5 × 0.4 × 0.6 = 0.042 → 0.05
        ("0.40", "2.50", False, Q, D("0.01"), D("0.05")),
        # multiplier 0.5: 0.5 × 1.75 = 0.875 → 0.88
        ("0.50", "100", False, FeeSchedule(multiplier=D("0.5")), D("0.01"), D("0.88")),
        # multiplier 2: 2 × 0.013125 = 0.02625 → 0.03
        ("0.25", "1", False, FeeSchedule(multiplier=D("2")), D("0.01"), D("0.03")),
        # flat: $0.01 per contract for takers, free for makers
        ("0.50", "10", False, FLAT, D("0.01"), D("0.10")),
        ("0.50", "10", True, FLAT, D("0.01"), D("0.00")),
        # price 0 or 1: P(1-P) = 0
        ("1", "5", False, Q, D("0.01"), D("0.00")),
        ("0", "5", False, Q, D("0.01"), D("0.00")),
        # zero contracts: zero fee
        ("0.50", "0", False, Q, D("0.01"), D("0.00")),
    ],
)
def test_fee_table(price, count, is_maker, schedule, tick, expected):
    assert order_fee(price=price, count=count, is_maker=is_maker, schedule=schedule, tick=tick) == expected


def test_default_schedule_is_plain_quadratic_taker():
    assert order_fee(price="0.25", count="1") == D("0.02")
    assert order_fee(price="0.25", count="1", is_maker=True) == D("0.00")


def test_fee_waiver_by_time():
    expires = datetime(2026, 7, 1, tzinfo=UTC)
    sched = FeeSchedule.resolve(series_fee_type="quadratic", market_waiver_expiration=expires)
    before, after = expires - timedelta(seconds=1), expires
    assert order_fee(price="0.50", count="100", schedule=sched, at=before) == D("0.00")
    # the waiver ends AT its expiration time
    assert order_fee(price="0.50", count="100", schedule=sched, at=after) == D("1.75")
    # no time given: charge (conservative: never assume a waiver)
    assert order_fee(price="0.50", count="100", schedule=sched) == D("1.75")


def test_event_override_replaces_series_values():
    sched = FeeSchedule.resolve(
        series_fee_type="quadratic",
        series_multiplier="1",
        event_fee_type_override="quadratic_with_maker_fees",
        event_multiplier_override="0.5",
    )
    assert sched.fee_type is FeeType.QUADRATIC_WITH_MAKER_FEES
    assert sched.multiplier == D("0.5")
    assert order_fee(price="0.50", count="100", is_maker=True, schedule=sched) == D("0.44")
    assert order_fee(price="0.50", count="100", schedule=sched) == D("0.88")


def test_resolve_without_overrides_uses_series():
    sched = FeeSchedule.resolve(series_fee_type="flat", series_multiplier="0.02", event_multiplier_override="")
    assert (sched.fee_type, sched.multiplier) == (FeeType.FLAT, D("0.02"))
    assert FeeSchedule.resolve(series_fee_type=None).fee_type is FeeType.QUADRATIC


def test_resolve_rejects_unknown_type_and_negative_multiplier():
    with pytest.raises(MoneyError, match="fee_type"):
        FeeSchedule.resolve(series_fee_type="cubic")
    with pytest.raises(MoneyError, match="fee_multiplier"):
        FeeSchedule.resolve(series_fee_type="quadratic", series_multiplier="-1")


def test_bad_inputs_name_the_field():
    with pytest.raises(MoneyError, match="price"):
        order_fee(price="1.5", count="1")
    with pytest.raises(MoneyError, match="count"):
        order_fee(price="0.5", count="1.001")
    with pytest.raises(MoneyError, match="float"):
        order_fee(price=0.5, count="1")


prices = st.integers(min_value=0, max_value=10_000).map(lambda n: D(n) / D(10_000))
counts = st.integers(min_value=0, max_value=100_000).map(lambda n: D(n) / D(100))
schedules = st.sampled_from([Q, QM, FLAT, FeeSchedule(multiplier=D("1.5"))])


@settings(max_examples=300, deadline=None)
@given(p=prices, c=counts, maker=st.booleans(), sched=schedules)
def test_fee_nonnegative_and_symmetric(p, c, maker, sched):
    fee = order_fee(price=p, count=c, is_maker=maker, schedule=sched)
    assert fee >= 0
    assert fee == order_fee(price=1 - p, count=c, is_maker=maker, schedule=sched)


@settings(max_examples=300, deadline=None)
@given(p=prices, c1=counts, c2=counts, maker=st.booleans(), sched=schedules)
def test_fee_monotone_in_count(p, c1, c2, maker, sched):
    lo, hi = sorted((c1, c2))
    assert order_fee(price=p, count=lo, is_maker=maker, schedule=sched) <= order_fee(
        price=p, count=hi, is_maker=maker, schedule=sched
    )


def test_vectorized_screen_matches_exact_fee():
    cents = np.arange(1, 100)
    vec = taker_fee_per_contract_vec(cents / 100.0, count=10.0)
    exact = [order_fee(price=D(int(c)) / 100, count="10") / 10 for c in cents]
    assert np.allclose(vec, [float(x) for x in exact], atol=1e-12)


# -- CLI ----------------------------------------------------------------------------------------


def test_cli_fees_json(run_cli):
    rc, out, _ = run_cli(["fees", "--price", "0.25", "--count", "1", "--json"])
    assert rc == 0
    payload = json.loads(out)
    assert payload["fee_dollars"] == "0.02"
    assert payload["fee_type"] == "quadratic"


def test_cli_fees_maker_with_type_and_tick(run_cli):
    rc, out, _ = run_cli(
        ["fees", "--price", "0.5", "--count", "100", "--maker", "--fee-type", "quadratic_with_maker_fees",
         "--tick", "0.0001", "--json"]
    )
    assert rc == 0
    assert json.loads(out)["fee_dollars"] == "0.4375"


def test_cli_fees_plain_output(run_cli):
    rc, out, _ = run_cli(["fees", "--price", "0.50", "--count", "100", "--multiplier", "0.5"])
    assert rc == 0
    assert "0.88" in out


def test_cli_fees_bad_price_is_one_line_error(run_cli):
    rc, _, err = run_cli(["fees", "--price", "1.25", "--count", "1"])
    assert rc == 2
    assert "price" in err and "Traceback" not in err
