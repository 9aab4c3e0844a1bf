"""Google Trends interest via pytrends (no key; fails cleanly when Google refuses or is unreachable).

``interest_over_time`` for up to 5 keywords per request, scaled 0–100 within the request. To keep
contenders comparable across requests every batch includes an anchor keyword and values are
rescaled to it (``anchor`` = the current #1's title, a standard Trends trick).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import pandas as pd

from kalshi_edge.sources.charts import SignalUnavailable


class TrendsConnector:
    """Wraps a ``pytrends.request.TrendReq`` (injected in tests)."""

    def __init__(self, client: Any | None = None) -> None:
        self.client = client

    def _client(self) -> Any:
        if self.client is None:
            from pytrends.request import TrendReq

            self.client = TrendReq(hl="en-US", tz=300, timeout=(5, 15))
        return self.client

    def interest(self, keywords: Sequence[str], start: date, end: date, *, geo: str = "US") -> pd.DataFrame:
        """Daily interest (0–100) per keyword over [start, end]: long frame ``date, keyword, value``."""
        if not keywords:
            return pd.DataFrame(columns=["date", "keyword", "value"])
        if len(keywords) > 5:
            raise ValueError("Google Trends accepts at most 5 keywords per request")
        try:
            c = self._client()
            c.build_payload(list(keywords), timeframe=f"{start.isoformat()} {end.isoformat()}", geo=geo)
            wide = c.interest_over_time()
        except Exception as exc:  # pytrends raises ResponseError / requests errors (429s are common)
            raise SignalUnavailable("trends", f"Google Trends request failed: {exc}") from None
        if wide is None or wide.empty:
            return pd.DataFrame(columns=["date", "keyword", "value"])
        wide = wide.drop(columns=["isPartial"], errors="ignore")
        long = wide.reset_index().melt(id_vars=wide.index.name or "date", var_name="keyword", value_name="value")
        long = long.rename(columns={wide.index.name or "date": "date"})
        long["date"] = pd.to_datetime(long["date"]).dt.strftime("%Y-%m-%d")
        return long[["date", "keyword", "value"]].astype({"value": float})

    def interest_anchored(self, keywords: Sequence[str], anchor: str, start: date, end: date) -> pd.DataFrame:
        """Interest for any number of keywords, each batch of 4 plus ``anchor``, rescaled to the anchor."""
        frames = []
        for i in range(0, len(keywords), 4):
            batch = [k for k in keywords[i:i + 4] if k != anchor]
            got = self.interest([anchor, *batch], start, end)
            if got.empty:
                continue
            a = got[got["keyword"] == anchor].set_index("date")["value"]
            scale = 100.0 / a.max() if a.max() > 0 else 1.0
            got["value"] = got["value"] * scale
            frames.append(got if i == 0 else got[got["keyword"] != anchor])
        if not frames:
            return pd.DataFrame(columns=["date", "keyword", "value"])
        return pd.concat(frames, ignore_index=True)
