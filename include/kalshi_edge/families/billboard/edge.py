"""KXTOPSONG markets ↔ contenders (fuzzy matching) and edge after fees.

A KXTOPSONG market names its song in ``yes_sub_title`` (and song + artist in ``rules_primary``).
Matching uses rapidfuzz on the normalized titles (and the primary artist when the rules name it):

* ``match_score`` (0–100) is stored with every edge row;
* a market is tradable only when its best match scores ≥ ``min_score`` **and** beats the second-best
  contender by ≥ ``min_margin`` (two similar titles are ambiguous → never traded);
* a market whose song is not a contender belongs to the ``__OTHER__`` remainder, which is shared by
  many songs: it gets no probability of its own and is never traded.

Edge per contract (Decimal dollars), buying at the ask as a taker, fee from :func:`order_fee` for an
order of ``count`` contracts divided by ``count``:
``edge_yes = p − yes_ask − fee(yes_ask)/count``, ``edge_no = (1 − p) − no_ask − fee(no_ask)/count``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pandas as pd
from rapidfuzz import fuzz

from kalshi_edge.families.billboard.identity import normalize_title, primary_artist
from kalshi_edge.families.billboard.model import OTHER
from kalshi_edge.kalshi.fees import FeeSchedule, order_fee
from kalshi_edge.kalshi.money import to_decimal

MIN_SCORE = 90.0
MIN_MARGIN = 5.0
PROB_QUANTUM = Decimal("0.000001")


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


def _edge(p: Decimal, ask: Decimal | None, count: Decimal, schedule: FeeSchedule, at: Any) -> Decimal | None:
    if ask is None or ask <= 0 or ask >= 1:
        return None
    fee = order_fee(price=ask, count=count, schedule=schedule, at=at) / count
    return p - ask - fee


def compute_edges(matched: pd.DataFrame, *, chart_date: str, min_edge: Decimal = Decimal("0.02"),
                  count: Decimal = Decimal("10"), schedule: FeeSchedule | None = None, at: Any = None) -> pd.DataFrame:
    """Edge per contract for buying YES or NO of every matched market; the suggested side (or none).

    Money columns are Decimal. A side is suggested only for trusted matches with edge ≥ ``min_edge``.
    """
    sched = schedule or FeeSchedule()
    rows = []
    for r in matched.to_dict("records"):
        p = None if r.get("p_model") is None or pd.isna(r.get("p_model")) else to_decimal(f"{r['p_model']:.6f}", "p_model")
        yes_ask = None if r.get("yes_ask") is None else to_decimal(r["yes_ask"], "yes_ask")
        no_ask = None if r.get("no_ask") is None else to_decimal(r["no_ask"], "no_ask")
        e_yes = _edge(p, yes_ask, count, sched, at) if p is not None else None
        e_no = _edge(Decimal(1) - p, no_ask, count, sched, at) if p is not None else None
        side, reason = "none", r.get("reason") or ""
        if r.get("trusted"):
            best = max(((e, s) for e, s in ((e_yes, "yes"), (e_no, "no")) if e is not None), default=None)
            if best is None:
                reason = "no ask to buy"
            elif best[0] >= min_edge:
                side = best[1]
            else:
                reason = f"edge {best[0]:.4f} below {min_edge}"
        rows.append({
            "chart_date": chart_date, "market_ticker": r["ticker"], "market_title": r.get("market_song") or "",
            "song_id": r.get("song_id"), "song": r.get("song"), "match_score": float(r.get("match_score") or 0.0),
            "p_model": None if p is None else float(p), "yes_ask": yes_ask, "no_ask": no_ask,
            "edge_yes": e_yes, "edge_no": e_no, "side": side, "tradable": side != "none", "reason": reason,
        })
    return pd.DataFrame(rows)
