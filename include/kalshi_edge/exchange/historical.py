"""The historical archive: the cutoff that moves settled markets, old trades, fills and finished orders out of the live endpoints."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kalshi_edge.exchange.records import MarketState, OrderRecord
from kalshi_edge.exchange.scenario import iso, parse_time

if TYPE_CHECKING:
    from kalshi_edge.exchange.records import Position

#: Before any cutoff is set nothing is archived: the cutoff reads as the Unix epoch.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class HistoricalArchive:
    """Which records are historical (mixed into :class:`~kalshi_edge.exchange.state.Exchange`).

    Kalshi (spec 3.26+): markets settled before ``market_settled_ts`` and their candlesticks,
    trades and fills before ``trades_created_ts``, and orders canceled or executed before
    ``orders_updated_ts`` leave the live endpoints for ``/historical/*``; resting orders never
    do. The simulator keeps one cutoff for all four, moved by :meth:`set_historical_cutoff`
    (tests, scenarios); until then nothing is historical.
    """

    lock: threading.RLock
    historical_cutoff: datetime | None

    def set_historical_cutoff(self, when: datetime) -> None:
        """Archive everything older than ``when`` (it only moves forward, as on Kalshi)."""
        with self.lock:
            w = when.astimezone(UTC)
            if self.historical_cutoff is not None and w < self.historical_cutoff:
                raise ValueError(f"historical cutoff {iso(w)} is before the current {iso(self.historical_cutoff)}")
            self.historical_cutoff = w

    def cutoff_dict(self) -> dict[str, Any]:
        """``GET /historical/cutoff``."""
        c = iso(self.historical_cutoff or EPOCH)
        return {"market_settled_ts": c, "trades_created_ts": c, "orders_updated_ts": c,
                "market_positions_last_updated_ts": c}

    def _before_cutoff(self, when: datetime | None) -> bool:
        return self.historical_cutoff is not None and when is not None and when < self.historical_cutoff

    def market_is_historical(self, ms: MarketState) -> bool:
        return self._before_cutoff(ms.settled_time)

    def record_is_historical(self, d: dict[str, Any], time_key: str = "created_time") -> bool:
        """A trade or fill dict (``created_time``) older than the cutoff."""
        if self.historical_cutoff is None or not d.get(time_key):
            return False
        return parse_time(str(d[time_key]), time_key) < self.historical_cutoff

    def order_is_historical(self, rec: OrderRecord) -> bool:
        return rec.state.status != "resting" and self._before_cutoff(rec.last_update)

    def position_is_historical(self, p: Position) -> bool:
        return p.position == 0 and self._before_cutoff(p.last_updated)

    @staticmethod
    def historical_candle(c: dict[str, Any]) -> dict[str, Any]:
        """A live ``MarketCandlestick`` in the historical shape (``open``/``close`` without ``_dollars``)."""
        def dist(d: dict[str, Any] | None, keys: tuple[str, ...]) -> dict[str, Any]:
            d = d or {}
            return {k: d.get(f"{k}_dollars") for k in keys}

        price = dist(c.get("price"), ("open", "low", "high", "close", "mean", "previous"))
        return {
            "end_period_ts": c["end_period_ts"],
            "yes_bid": {k: v or "0.0000" for k, v in dist(c.get("yes_bid"), ("open", "low", "high", "close")).items()},
            "yes_ask": {k: v or "1.0000" for k, v in dist(c.get("yes_ask"), ("open", "low", "high", "close")).items()},
            "price": price,
            "volume": c.get("volume_fp", "0.00"),
            "open_interest": c.get("open_interest_fp", "0.00"),
        }
