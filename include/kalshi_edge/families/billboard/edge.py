"""KXTOPSONG markets ↔ contenders (fuzzy matching) and the event date ↔ chart date check.

No edge math lives here (families/README.md): edge after fees, gates and skip reasons are
:func:`kalshi_edge.trading.intents.evaluate_edges` (:func:`kalshi_edge.families.billboard.pipeline.edge_rows`).

A KXTOPSONG market names its song in ``yes_sub_title`` (and song + artist in ``rules_primary``).
Matching uses rapidfuzz on the normalized titles (and the primary artist when the rules name it):

* ``match_score`` (0–100) is stored with every edge row;
* a market is tradable only when its best match scores ≥ ``min_score`` **and** beats the second-best
  contender by ≥ ``min_margin`` (two similar titles are ambiguous → never traded);
* a market whose song is not a contender belongs to the ``__OTHER__`` remainder, which is shared by
  many songs: it gets no probability of its own and is never traded.

A market is priced only against the prediction for **its own chart date**: the event ticker names
the chart (``KXTOPSONG-24JAN06`` resolves on the chart dated 2024-01-06, :func:`event_chart_date`);
a prediction for another chart is refused ``event_date_mismatch``, never priced against it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pandas as pd
from rapidfuzz import fuzz

from kalshi_edge.families.billboard.identity import normalize_title, primary_artist
from kalshi_edge.families.billboard.model import OTHER
from kalshi_edge.trading.intents import SkipReason

MIN_SCORE = 90.0
MIN_MARGIN = 5.0


def _market_fields(m: Any) -> dict[str, Any]:
    """Works for ``kalshi.models.Market`` objects and plain dicts (REST JSON)."""
    get = (lambda k: m.get(k)) if isinstance(m, dict) else (lambda k: getattr(m, k, None))
    return {k: get(k) for k in ("ticker", "title", "yes_sub_title", "rules_primary", "yes_ask", "no_ask",
                                "yes_bid", "no_bid", "last_price", "close_time", "fee_waiver_expiration_time")}


def match_score(market_song: str, market_text: str, song: str, artist: str) -> float:
    """0–100 similarity of a market to a contender: title similarity, lowered when the artist disagrees."""
    t = fuzz.token_sort_ratio(normalize_title(market_song), normalize_title(song))
    pa = primary_artist(artist)
    if not pa or not market_text:
        return float(t)
    # the rules text names the artist ("If <song> by <artist> is the #1 ..."); partial match tolerates credits
    a = fuzz.partial_ratio(pa, normalize_title(market_text))
    return float(0.8 * t + 0.2 * a)


def match_markets(markets: Iterable[Any], contenders: pd.DataFrame, *, min_score: float = MIN_SCORE,
                  min_margin: float = MIN_MARGIN) -> pd.DataFrame:
    """Best contender per market with its score, runner-up margin and whether the match is trusted.

    ``contenders``: the prediction rows (``song``, ``artist``, ``song_id``, ``p_number_one``);
    ``__OTHER__`` is ignored. Returns one row per market.
    """
    cands = contenders[contenders["song"] != OTHER].reset_index(drop=True)
    out = []
    for m in markets:
        f = _market_fields(m)
        song_txt = f["yes_sub_title"] or f["title"] or ""
        scores = [match_score(song_txt, f["rules_primary"] or "", s, a) for s, a in zip(cands["song"], cands["artist"], strict=True)]
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        best = order[0] if order else None
        best_score = scores[best] if best is not None else 0.0
        second = scores[order[1]] if len(order) > 1 else 0.0
        trusted = best is not None and best_score >= min_score and best_score - second >= min_margin
        reason = "" if trusted else ("no contender" if best is None else
                                     f"low match confidence ({best_score:.0f} < {min_score:.0f})" if best_score < min_score
                                     else f"ambiguous match (runner-up {second:.0f})")
        out.append({
            **f,
            "market_song": song_txt,
            "song_id": cands.loc[best, "song_id"] if best is not None else None,
            "song": cands.loc[best, "song"] if best is not None else None,
            "p_model": float(cands.loc[best, "p_number_one"]) if best is not None else None,
            "match_score": round(best_score, 2),
            "match_margin": round(best_score - second, 2),
            "trusted": bool(trusted),
            "reason": reason,
        })
    return pd.DataFrame(out)


def event_chart_date(ticker: str) -> date | None:
    """The chart date a KXTOPSONG market or event resolves on (from its ticker), or None."""
    from kalshi_edge.kalshi.errors import SemanticsError
    from kalshi_edge.kalshi.semantics import parse_ticker

    try:
        parts = parse_ticker(ticker)
    except SemanticsError:
        return None
    if parts.event_time_et is None or not parts.has_day:
        return None
    return parts.event_time_et.date()


def match_skip_reason(row: dict[str, Any]) -> SkipReason | None:
    """The :class:`SkipReason` of an untrusted match row (None when trusted)."""
    if row.get("trusted"):
        return None
    if row.get("song_id") is None:
        return SkipReason.UNMATCHED_MARKET
    if float(row.get("match_score") or 0.0) < MIN_SCORE:
        return SkipReason.LOW_MATCH_CONFIDENCE
    return SkipReason.AMBIGUOUS_MATCH
