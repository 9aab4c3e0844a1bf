"""The one edge path: every skip is a SkipReason, `selected` ⇔ no skip, and a skip quotes the
row's own best edge (never a figure absent from the table)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kalshi_edge.trading.intents import GateConfig, SkipReason, evaluate_edges
from kalshi_edge.trading.strategy import Refusal
from tests.trading.conftest import NOW, prob, snap


def test_gate_defaults_are_the_settings_defaults():
    from kalshi_edge.config import Settings

    g = GateConfig()
    assert g.max_quote_age_s == Settings.model_fields["max_quote_age_seconds"].default
    assert g.min_edge_dollars == Settings.model_fields["min_edge_dollars"].default


@pytest.mark.parametrize("p", [0.2, 0.41, 0.45, 0.6, 0.9])
def test_selected_iff_no_skip_and_skip_detail_quotes_the_rows_best_edge(p):
    (row,) = evaluate_edges([prob(p=p)], [snap()], strategy="t", now=NOW, cfg=GateConfig())
    rec = row.as_record()
    assert rec["selected"] == (rec["skip_reason"] == "")
    if row.skip_reason is SkipReason.EDGE_TOO_SMALL:
        assert f"{row.best_edge:.4f}" in row.detail
    evs = {row.ev_yes_taker, row.ev_no_taker, row.ev_yes_maker, row.ev_no_maker}
    assert row.best_edge in evs


def test_refusals_become_rows_with_their_reason():
    rows = evaluate_edges([], [snap()], strategy="t", now=NOW,
                          refusals=[Refusal(snap().ticker, SkipReason.EVENT_DATE_MISMATCH, "2024-01-06 vs 2026-07-18")])
    assert rows[0].skip_reason is SkipReason.EVENT_DATE_MISMATCH and not rows[0].selected
    assert rows[0].market_p == pytest.approx(0.41)


def test_thin_depth_at_the_ask_is_its_own_reason():
    from dataclasses import replace

    m = replace(snap(bid="0.40", ask="0.42"), yes_ask_size=Decimal("0"))
    (row,) = evaluate_edges([prob(p=0.7)], [m], strategy="t", now=NOW,
                            cfg=GateConfig(allow_maker=False))
    assert row.skip_reason is SkipReason.THIN_DEPTH
