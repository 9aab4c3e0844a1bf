from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from kalshi_edge.kalshi.fees import FeeSchedule, FeeType, order_fee
from kalshi_edge.trading.intents import GateConfig, build_intents, client_order_id
from tests.trading.conftest import NOW, prob, snap

CFG = GateConfig(min_edge_dollars=Decimal("0.02"), min_confidence=0.5, max_spread=Decimal("0.10"),
                 max_count=Decimal("10"), maker_fill_prob=0.3)


def one(p, m, cfg=CFG, now=NOW):
    return build_intents([p], [m], strategy="t", now=now, cfg=cfg)


@pytest.mark.parametrize(
    ("market", "probability", "reason"),
    [
        (snap(age_s=60), prob(), "stale_quote"),
        (snap(), prob(inputs_age_s=3600), "stale_inputs"),
        (snap(close_in_s=60), prob(), "too_close_to_close"),
        (snap(close_in_s=30 * 86400), prob(), "too_far_from_close"),
        (snap(), prob(confidence=0.2), "low_confidence"),
        (snap(bid="0.30", ask="0.45"), prob(), "spread_too_wide"),
        (snap(bid=None), prob(), "one_sided_book"),
        (snap(status="closed"), prob(), "market_not_active"),
        (snap(), prob(p=0.41), "edge_too_small"),
        (snap("OTHER-X-Y"), prob(), "no_market"),
    ],
)
def test_every_gate_rejects_with_its_reason(market, probability, reason):
    batch = one(probability, market)
    assert batch.intents == []
    assert [r.reason for r in batch.rejections] == [reason]
    assert batch.rejections[0].detail or reason == "no_market"


def test_taker_yes_when_model_well_above_ask():
    # p=0.60, ask 0.42: taker edge = 0.60 - 0.42 - fee/10 ; maker at 0.40 only earns 0.3x its edge
    batch = one(prob(p=0.60), snap(bid="0.40", ask="0.42"))
    (it,) = batch.intents
    assert (it.side, it.liquidity, it.price) == ("yes", "taker", Decimal("0.42"))
    fee = order_fee(price="0.42", count="10")
    assert it.fee_estimate == fee
    assert it.edge_per_contract == Decimal("0.60") - Decimal("0.42") - fee / 10
    assert it.time_in_force == "immediate_or_cancel" and not it.post_only
    assert it.book_side == "bid" and it.yes_price == Decimal("0.42")


def test_buys_no_when_model_below_bid():
    batch = one(prob(p=0.20), snap(bid="0.40", ask="0.42"))
    (it,) = batch.intents
    assert (it.side, it.liquidity, it.price) == ("no", "taker", Decimal("0.60"))
    assert it.book_side == "ask" and it.yes_price == Decimal("0.40")


def test_maker_chosen_when_resting_beats_crossing():
    # Crossing at 0.50 earns 0.53 - 0.50 - 0.018 fee = 0.012; resting at 0.44 earns 0.09 per fill
    # × fill prob 0.9/sqrt(6 ticks) ≈ 0.033 expected: maker wins.
    batch = one(prob(p=0.53), snap(bid="0.44", ask="0.50"), cfg=replace(CFG, maker_fill_prob=0.9))
    (it,) = batch.intents
    assert (it.liquidity, it.price, it.side) == ("maker", Decimal("0.44"), "yes")
    assert it.post_only and it.time_in_force == "good_till_canceled"
    assert it.fee_estimate == Decimal("0.00")  # plain quadratic series: makers pay nothing


def test_a_strategys_own_fill_odds_replace_the_heuristic_per_side():
    # Same book as above with the heuristic at 0.3 (0.3/sqrt(6) ≈ 0.12 × 0.09 ≈ 0.011 expected at
    # the bid, 0.012 crossing, both under the 0.02 minimum): nothing trades. A strategy that
    # measured a 0.9 fill rate for a YES bid at this spread rests there.
    assert [r.reason for r in one(prob(p=0.53), snap(bid="0.44", ask="0.50")).rejections] == ["edge_too_small"]
    (it,) = one(replace(prob(p=0.53), maker_fill=(0.9, 0.0)), snap(bid="0.44", ask="0.50")).intents
    assert (it.liquidity, it.side, it.price) == ("maker", "yes", Decimal("0.44"))
    # the odds are per side: a high NO-side rate does not make the YES bid rest
    batch = one(replace(prob(p=0.53), maker_fill=(0.0, 0.9)), snap(bid="0.44", ask="0.50"))
    assert batch.intents == [] and [r.reason for r in batch.rejections] == ["edge_too_small"]
    with pytest.raises(ValueError, match="maker_fill"):
        replace(prob(), maker_fill=(1.5, 0.2))


def test_maker_fees_counted_on_maker_fee_series():
    m = replace(snap(bid="0.44", ask="0.50"),
                fee_schedule=FeeSchedule(fee_type=FeeType.QUADRATIC_WITH_MAKER_FEES))
    (it,) = one(prob(p=0.53), m, cfg=replace(CFG, maker_fill_prob=0.9)).intents
    assert it.liquidity == "maker"
    assert it.fee_estimate == order_fee(price="0.44", count="10", is_maker=True, schedule=m.fee_schedule)


def test_fee_can_kill_a_thin_edge():
    # 0.445 - 0.42 = 0.025 gross, but the taker fee on 10 @ 0.42 is 0.17 → 0.017/contract.
    batch = one(prob(p=0.445), snap(bid="0.41", ask="0.42"), cfg=replace(CFG, allow_maker=False))
    assert [r.reason for r in batch.rejections] == ["edge_too_small"]


def test_client_order_id_is_deterministic_within_a_bucket():
    a = one(prob(p=0.6), snap()).intents[0].client_order_id
    b = one(prob(p=0.6), snap(age_s=-25), now=NOW + timedelta(seconds=30)).intents[0].client_order_id
    c = one(prob(p=0.6), snap(age_s=-60), now=NOW + timedelta(seconds=61)).intents[0].client_order_id
    assert a == b != c
    assert a == client_order_id(strategy="t", ticker="KXHIGHNY-26MAR01-B45.5", side="yes", action="buy",
                                decided_at=NOW)
    assert len(a) <= 64 and a.startswith("ke-")


def test_taker_chosen_when_fill_probability_is_low():
    # Same book, fill prob 0.3: maker EV 0.09 × 0.12 ≈ 0.011 < taker 0.022 at p = 0.54.
    (it,) = one(prob(p=0.54), snap(bid="0.44", ask="0.50")).intents
    assert it.liquidity == "taker" and it.price == Decimal("0.50")
