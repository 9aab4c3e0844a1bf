"""The Billboard family's strategy adapter ``billboard_weekly``: the stored weekly P(#1) mapped to
KXTOPSONG markets through the stored match, with its confidence gate.

It reads the ``billboard/weekly_prediction`` artifact (:mod:`kalshi_edge.families.billboard.train`)
and never fits. Per market:

* **event date**: the market's event must resolve on the prediction's ``chart_date``
  (:func:`~kalshi_edge.families.billboard.edge.event_chart_date`); otherwise it is refused
  ``event_date_mismatch`` — e.g. a 2024-01-06 prediction is never priced against
  ``KXTOPSONG-26JUL18``;
* **match**: the stored match of that market (made when the prediction was), else the same matcher
  on the market's terms (``yes_sub_title`` + ``rules_primary``); only a trusted match (score ≥ 90
  and ≥ 5 ahead of the runner-up) is priced, else ``low_match_confidence`` / ``ambiguous_match`` /
  ``unmatched_market``;
* the probability is the contender's ``p_number_one``, ``model_version`` the artifact version,
  ``inputs_age_s`` 0 (a weekly prediction is valid until the chart is revealed).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd

from kalshi_edge.trading.intents import SkipReason
from kalshi_edge.trading.strategy import (
    MarketSnapshot,
    ModelProbability,
    Refusal,
    Strategy,
    register_strategy,
)


@register_strategy
class BillboardWeekly(Strategy):
    """Weekly P(#1) per contender → KXTOPSONG markets of the same chart date (trusted matches only)."""

    name = "billboard_weekly"
    family = "billboard"
    description = "stored weekly LightGBM P(#1) (billboard/weekly_prediction) via the stored, gated market match"

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._art: Any = None

    def artifact(self) -> Any:
        if self._art is None:
            from kalshi_edge.families.billboard.train import load_weekly_prediction

            self._art = load_weekly_prediction(self._settings())
        return self._art

    def probabilities(self, markets: Sequence[MarketSnapshot], now: datetime) -> list[ModelProbability]:
        from kalshi_edge.families.billboard.edge import event_chart_date, match_markets, match_skip_reason

        mine = [m for m in markets if self.wants(m) and m.ticker.upper().startswith("KXTOPSONG")]
        if not mine:
            return []
        art = self.artifact()
        chart = date.fromisoformat(art.payload["chart_date"])
        contenders = pd.DataFrame(art.payload["contenders"])
        p_of = dict(zip(contenders["song_id"], contenders["p_number_one"], strict=True))
        stored = {r["market_ticker"]: r for r in art.payload.get("matches", [])}
        live = [m for m in mine if m.ticker not in stored and m.terms is not None
                and event_chart_date(m.event_ticker) == chart]
        if live:
            for r in match_markets([m.terms for m in live], contenders).to_dict("records"):
                stored[r["ticker"]] = {**r, "market_ticker": r["ticker"]}
        out: list[ModelProbability] = []
        for m in mine:
            ev_date = event_chart_date(m.event_ticker)
            if ev_date != chart:
                self.refusals.append(Refusal(m.ticker, SkipReason.EVENT_DATE_MISMATCH,
                                             f"prediction for chart {chart} but {m.event_ticker} resolves on {ev_date}"))
                continue
            match = stored.get(m.ticker)
            if match is None:
                self.refusals.append(Refusal(m.ticker, SkipReason.UNMATCHED_MARKET,
                                             "no stored match and no contract terms to match"))
                continue
            reason = match_skip_reason(match)
            if reason is not None:
                self.refusals.append(Refusal(m.ticker, reason, match.get("reason") or ""))
                continue
            p = p_of.get(match["song_id"])
            if p is None:
                self.refusals.append(Refusal(m.ticker, SkipReason.UNMATCHED_MARKET, "matched song not in prediction"))
                continue
            out.append(ModelProbability(m.ticker, float(min(max(p, 0.0), 1.0)), now,
                                        confidence=float(self.params.get("confidence", 0.8)),
                                        model_version=art.version))
        return out
