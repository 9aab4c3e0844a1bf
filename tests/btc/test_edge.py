"""BTC edge through the ONE edge path (trading.intents) vs a hand-computed table (fees included),
the vectorized screen vs the exact function, and the BTC ladder table's own consistency."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import numpy as np
import pytest

from kalshi_edge.kalshi.fees import FeeSchedule
from kalshi_edge.trading.intents import GateConfig, edge_after_fees, edge_after_fees_vec, evaluate_edge
from kalshi_edge.trading.strategy import MarketSnapshot, ModelProbability

T0 = datetime(2026, 3, 5, 14, 5, tzinfo=UTC)

# Hand-computed (quotes are synthetic: the project has no recorded Kalshi BTC books):
#  A: p=.60 count 1, quadratic: fee(.55)=ceil(.07*.55*.45=.017325)=.02 -> .60-.55-.02=.03;
#     fee(.47)=ceil(.07*.47*.53=.017437)=.02 -> .40-.47-.02=-.09; makers free: .60-.53=.07, .40-.45=-.05
#  B: p=.25 count 10: fee(.20)=ceil(.07*10*.2*.8=.112)=.12 -> .012/contract -> .25-.20-.012=.038;
#     fee(.82)=ceil(.07*10*.82*.18=.10332)=.11 -> .011 -> .75-.82-.011=-.081
#  C: p=.10, quadratic_with_maker_fees: fee(.05)=ceil(.003325)=.01 -> .10-.05-.01=.04
#  D: p=.50 count 100, event multiplier .5: fee(.45)=ceil(.5*.07*100*.45*.55=.86625)=.87 -> .0087
#     -> .50-.45-.0087=.0413; fee(.57)=ceil(.5*.07*100*.57*.43=.85785)=.86 -> .0086 -> .50-.57-.0086=-.0786
#  E: p=.30, fee waiver active: fee 0 -> .30-.28=.02
CASES = [
    ("A", 0.60, ("0.53", "0.55"), FeeSchedule(), 1,
     dict(fee_yes_taker=D(".02"), fee_no_taker=D(".02"), ev_yes_taker=D(".03"), ev_no_taker=D("-.09"),
          ev_yes_maker=D(".07"), ev_no_maker=D("-.05"))),
    ("B", 0.25, ("0.18", "0.20"), FeeSchedule(), 10,
     dict(fee_yes_taker=D(".12"), fee_no_taker=D(".11"), ev_yes_taker=D(".038"), ev_no_taker=D("-.081"))),
    ("C", 0.10, ("0.04", "0.05"), FeeSchedule.resolve(series_fee_type="quadratic_with_maker_fees"), 1,
     dict(fee_yes_taker=D(".01"), ev_yes_taker=D(".04"))),
    ("D", 0.50, ("0.43", "0.45"), FeeSchedule.resolve(series_fee_type="quadratic", event_multiplier_override="0.5"),
     100, dict(fee_yes_taker=D(".87"), ev_yes_taker=D(".0413"), fee_no_taker=D(".86"), ev_no_taker=D("-.0786"))),
    ("E", 0.30, ("0.26", "0.28"),
     FeeSchedule.resolve(series_fee_type="quadratic", market_waiver_expiration=T0 + timedelta(days=1)), 1,
     dict(fee_yes_taker=D("0"), ev_yes_taker=D(".02"))),
]


def _snap(bid, ask, sched=None, **kw):
    return MarketSnapshot(ticker="KXBTCD-26MAR0510-T70000", yes_bid=D(bid), yes_ask=D(ask),
                          quote_ts=T0 - timedelta(seconds=5), close_time=T0 + timedelta(minutes=55),
                          fee_schedule=sched or FeeSchedule(), **kw)


@pytest.mark.parametrize(("name", "p", "quote", "sched", "count", "expected"), CASES, ids=[c[0] for c in CASES])
def test_edge_matches_hand_computed_table(name, p, quote, sched, count, expected):
    row = evaluate_edge(ModelProbability("KXBTCD-26MAR0510-T70000", p, T0), _snap(*quote, sched), strategy="t",
                        now=T0, cfg=GateConfig(max_count=D(count), max_spread=D("0.5")))
    for k, v in expected.items():
        got = getattr(row, k)
        assert got == v, f"{name}.{k}: {got} != {v}"


def test_vectorized_screen_matches_the_edge_function():
    rng = np.random.default_rng(3)
    n = 200
    p = rng.uniform(0, 1, n)
    ya = np.round(rng.uniform(0.01, 0.99, n), 2)
    snap = _snap("0.01", "0.02")
    for count, mult in ((1, 1.0), (10, 1.0), (25, 0.5)):
        vec = edge_after_fees_vec(p, ya, multiplier=mult, count=count)
        sched = FeeSchedule.resolve(series_fee_type="quadratic", series_multiplier=str(mult))
        m = replace(snap, fee_schedule=sched)
        for i in range(n):
            e, _ = edge_after_fees(win_prob=float(p[i]), price=D(f"{ya[i]:.2f}"), count=D(count), is_maker=False,
                                   market=m, tick=D("0.01"))
            assert float(e) == pytest.approx(vec[i], abs=2e-6)


def test_ladder_table_selected_matches_gates_and_skips_quote_a_figure_in_the_table(sample_bars):
    # The two report bugs of issue #13: `selected` disagreeing with the gates, and a skip reason
    # quoting a "best EV" that is not in the table. Both columns now come from one EdgeRow.
    from kalshi_edge.families.btc.pipeline import edge_snapshot, sample_ladders
    from kalshi_edge.trading.intents import SkipReason

    as_of = datetime(2026, 3, 5, 14, 5, tzinfo=UTC)
    snaps, opps = edge_snapshot(sample_bars, as_of, sample_ladders(sample_bars, as_of), gates=GateConfig())
    assert set(snaps["skip_reason"]) <= {"", *(r.value for r in SkipReason)}
    assert (snaps["selected"] == (snaps["skip_reason"] == "")).all()
    sel = snaps[snaps["selected"]].set_index("market_ticker")
    assert len(opps) == len(sel)
    for o in opps.itertuples():
        row = sel.loc[o.market_ticker]
        assert o.ev in {row["ev_yes_taker"], row["ev_no_taker"], row["ev_yes_maker"], row["ev_no_maker"]}
        assert o.ev >= GateConfig().min_edge_dollars
