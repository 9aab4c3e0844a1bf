"""Edge per contract vs a hand-computed table (fees included), vectorized vs scalar, selection reasons."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import numpy as np
import pytest

from kalshi_edge.families.btc.edge import (
    Quote,
    SelectionFilters,
    ladder_edge_vec,
    market_edge,
    select_market,
)
from kalshi_edge.kalshi.fees import FeeSchedule

T0 = datetime(2026, 3, 5, 14, 5, tzinfo=UTC)

# Hand-computed (quotes are synthetic: the project has no recorded Kalshi BTC books):
#  A: p=.60 count 1, quadratic: fee(.55)=ceil(.07*.55*.45=.017325)=.02 -> .60-.55-.02=.03;
#     fee(.47)=ceil(.07*.47*.53=.017437)=.02 -> .40-.47-.02=-.09; makers free: .60-.53=.07, .40-.45=-.05
#  B: p=.25 count 10: fee(.20)=ceil(.07*10*.2*.8=.112)=.12 -> .012/contract -> .25-.20-.012=.038;
#     fee(.82)=ceil(.07*10*.82*.18=.10332)=.11 -> .011 -> .75-.82-.011=-.081
#  C: p=.10, quadratic_with_maker_fees: fee(.05)=ceil(.003325)=.01 -> .10-.05-.01=.04; no maker EVs
#  D: p=.50 count 100, event multiplier .5: fee(.45)=ceil(.5*.07*100*.45*.55=.86625)=.87 -> .0087
#     -> .50-.45-.0087=.0413; fee(.57)=ceil(.5*.07*100*.57*.43=.85785)=.86 -> .0086 -> .50-.57-.0086=-.0786
#  E: p=.30, fee waiver active: fee 0 -> .30-.28=.02
CASES = [
    ("A", 0.60, Quote(D(".53"), D(".55"), D(".45"), D(".47")), FeeSchedule(), 1, None,
     dict(fee_yes_taker=D(".02"), fee_no_taker=D(".02"), ev_yes_taker=D(".03"), ev_no_taker=D("-.09"),
          ev_yes_maker=D(".07"), ev_no_maker=D("-.05"))),
    ("B", 0.25, Quote(D(".18"), D(".20"), D(".80"), D(".82")), FeeSchedule(), 10, None,
     dict(fee_yes_taker=D(".12"), fee_no_taker=D(".11"), ev_yes_taker=D(".038"), ev_no_taker=D("-.081"))),
    ("C", 0.10, Quote(D(".04"), D(".05"), D(".95"), D(".96")),
     FeeSchedule.resolve(series_fee_type="quadratic_with_maker_fees"), 1, None,
     dict(fee_yes_taker=D(".01"), ev_yes_taker=D(".04"), ev_yes_maker=None, ev_no_maker=None)),
    ("D", 0.50, Quote(D(".43"), D(".45"), D(".55"), D(".57")),
     FeeSchedule.resolve(series_fee_type="quadratic", event_multiplier_override="0.5"), 100, None,
     dict(fee_yes_taker=D(".87"), ev_yes_taker=D(".0413"), fee_no_taker=D(".86"), ev_no_taker=D("-.0786"))),
    ("E", 0.30, Quote(D(".26"), D(".28"), D(".70"), D(".74")),
     FeeSchedule.resolve(series_fee_type="quadratic", market_waiver_expiration=T0 + timedelta(days=1)), 1, T0,
     dict(fee_yes_taker=D("0"), ev_yes_taker=D(".02"))),
]


@pytest.mark.parametrize(("name", "p", "quote", "sched", "count", "at", "expected"), CASES, ids=[c[0] for c in CASES])
def test_edge_matches_hand_computed_table(name, p, quote, sched, count, at, expected):
    e = market_edge(p, quote, schedule=sched, count=count, at=at)
    for k, v in expected.items():
        got = getattr(e, k)
        assert got == v, f"{name}.{k}: {got} != {v}"


def test_vectorized_matches_scalar_on_a_ladder():
    rng = np.random.default_rng(3)
    n = 300
    p = rng.uniform(0, 1, n)
    ya = np.round(rng.uniform(0.01, 0.99, n), 2)
    na = np.round(np.clip(1 - ya + 0.02, 0.01, 0.99), 2)
    yb = np.round(np.clip(ya - 0.02, 0.01, 0.99), 2)
    nb = np.round(np.clip(na - 0.02, 0.01, 0.99), 2)
    for count, mult in ((1, 1.0), (10, 1.0), (25, 0.5)):
        vec = ladder_edge_vec(p, ya, na, yb, nb, multiplier=mult, count=count)
        sched = FeeSchedule.resolve(series_fee_type="quadratic", series_multiplier=str(mult))
        for i in range(n):
            q = Quote(D(f"{yb[i]:.2f}"), D(f"{ya[i]:.2f}"), D(f"{nb[i]:.2f}"), D(f"{na[i]:.2f}"))
            e = market_edge(float(p[i]), q, schedule=sched, count=count)
            assert float(e.ev_yes_taker) == pytest.approx(vec["ev_yes_taker"][i], abs=2e-6)
            assert float(e.ev_no_taker) == pytest.approx(vec["ev_no_taker"][i], abs=2e-6)
            assert float(e.fee_yes_taker) == pytest.approx(vec["fee_yes_taker"][i], abs=1e-9)
            assert float(e.ev_yes_maker) == pytest.approx(vec["ev_yes_maker"][i], abs=2e-6)


def _select(edge_p=0.60, quote=None, **kw):
    q = quote or Quote(D(".53"), D(".55"), D(".45"), D(".47"), D("10"), D("10"), T0 - timedelta(seconds=5))
    args = dict(status="active", as_of=T0, close_ts=T0 + timedelta(minutes=55), region_z=0.5,
                filters=SelectionFilters())
    args.update(kw)
    return select_market(edge=market_edge(edge_p, q), quote=q, **args)


def test_selection_and_skip_reasons():
    s = _select()
    assert s.selected and ("yes", "taker", D(".55"), D(".02"), D(".03")) in s.actions
    assert not _select(status="closed").selected and _select(status="closed").skip_reason == "status closed"
    assert "closes in 2.0 min" in _select(close_ts=T0 + timedelta(minutes=2)).skip_reason
    assert "sigma from spot" in _select(region_z=6.0).skip_reason
    old = Quote(D(".53"), D(".55"), D(".45"), D(".47"), D("10"), D("10"), T0 - timedelta(seconds=90))
    assert "quote 90s old" in _select(quote=old).skip_reason
    tight = Quote(D(".54"), D(".55"), D(".45"), D(".46"), D("10"), D("10"), T0)
    assert "best EV 0.005000 < 0.02" in _select(edge_p=0.545, quote=tight).skip_reason  # nothing clears 2 cents
    thin = Quote(None, D(".55"), None, D(".47"), D("0"), D("10"), T0)
    assert "depth" in _select(quote=thin).skip_reason
