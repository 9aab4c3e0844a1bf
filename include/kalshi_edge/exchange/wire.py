"""Response formatting: the venue's records rendered as the spec's JSON shapes (Market, Order, Fill, positions, balance)."""

from __future__ import annotations

import threading
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

from kalshi_edge.exchange.matching import EngineFill, MatchingEngine
from kalshi_edge.exchange.records import MarketState, OrderRecord, d4, to_ms
from kalshi_edge.exchange.scenario import iso
from kalshi_edge.kalshi.money import ONE, ZERO, fmt_count

if TYPE_CHECKING:
    from kalshi_edge.exchange.records import Account, Position


class ExchangeWire:
    """The ``*_dict`` renderers of :class:`~kalshi_edge.exchange.state.Exchange` (mixed into it)."""

    lock: threading.RLock
    engine: MatchingEngine
    markets: dict[str, MarketState]

    if TYPE_CHECKING:  # provided by the class this is mixed into
        def market(self, ticker: str) -> MarketState: ...

        def status_of(self, ms: MarketState) -> str: ...

        def account(self, name: str) -> Account: ...

        def now(self) -> datetime: ...

        def position_is_historical(self, p: Position) -> bool: ...

    def market_dict(self, ticker: str) -> dict[str, Any]:
        """The spec ``Market`` with live quotes, volume, status and result."""
        with self.lock:
            ms = self.market(ticker)
            book = self.engine.book(ticker)
            m = dict(ms.spec)
            # Fields the 3.3x SDK requires that older recorded/generated payloads carry as null or lack.
            if m.get("settlement_bounds_type") is None:
                m["settlement_bounds_type"] = "default"
            for k in ("last_price_dollars", "previous_yes_bid_dollars", "previous_yes_ask_dollars",
                      "previous_price_dollars", "notional_value_dollars"):
                if m.get(k) is None:
                    m[k] = "1.0000" if k == "notional_value_dollars" else "0.0000"
            if m.get("expiration_value") is None:
                m["expiration_value"] = ""
            yb, yb_size = book.yes[0] if book.yes else (ZERO, ZERO)
            nb, nb_size = book.no[0] if book.no else (ZERO, ZERO)
            m.update({
                "status": self.status_of(ms),
                "yes_bid_dollars": d4(yb),
                "yes_bid_size_fp": fmt_count(yb_size),
                "no_bid_dollars": d4(nb),
                "yes_ask_dollars": d4(ONE - nb) if book.no else "1.0000",
                "yes_ask_size_fp": fmt_count(nb_size),
                "no_ask_dollars": d4(ONE - yb) if book.yes else "1.0000",
                "volume_fp": fmt_count(Decimal(str(m.get("volume_fp", "0"))) + ms.volume),
                "volume_24h_fp": fmt_count(Decimal(str(m.get("volume_24h_fp", "0"))) + ms.volume),
                "open_interest_fp": fmt_count(Decimal(str(m.get("open_interest_fp", "0"))) + ms.open_interest),
                "result": ms.result,
            })
            if ms.last_price is not None:
                m["last_price_dollars"] = d4(ms.last_price)
            if ms.result:
                m["settlement_value_dollars"] = "1.0000" if ms.result == "yes" else "0.0000"
                m["settlement_ts"] = iso(ms.settled_time) if ms.settled_time else None
            return m

    def book_levels(self, ticker: str, depth: int | None = None) -> dict[str, list[list[str]]]:
        """``orderbook_fp``: levels ascending by price (Kalshi's order), best ``depth`` of each side."""
        with self.lock:
            self.market(ticker)
            b = self.engine.book(ticker, depth=depth or None)
            return {
                "yes_dollars": [[d4(p), fmt_count(c)] for p, c in reversed(b.yes)],
                "no_dollars": [[d4(p), fmt_count(c)] for p, c in reversed(b.no)],
            }

    def _fill_dict(self, f: EngineFill, rec: OrderRecord | None, now: datetime, post_position: Decimal) -> dict[str, Any]:
        side = rec.side if rec else f.outcome
        action = rec.action if rec else "buy"
        return {
            "fill_id": f.fill_id,
            "trade_id": f.trade_id,
            "order_id": f.order_id,
            "client_order_id": f.client_order_id,
            "ticker": f.ticker,
            "market_ticker": f.ticker,
            "side": side,
            "action": action,
            "outcome_side": f.outcome,
            "book_side": f.book_side,
            "count_fp": fmt_count(f.count),
            "yes_price_dollars": d4(f.yes_price),
            "no_price_dollars": d4(ONE - f.yes_price),
            "is_taker": f.is_taker,
            "created_time": iso(now),
            "fee_cost": d4(f.fee),
            "ts": f.ts_ms // 1000,
            "exchange_index": 0,
            "subaccount_number": 0,
            "ts_ms": f.ts_ms,
            "post_position_fp": fmt_count(post_position),
        }

    # ------------------------------------------------------------------ serialization
    def order_dict(self, rec: OrderRecord) -> dict[str, Any]:
        """The spec ``Order`` (plus the newer ``outcome_side``/``book_side``)."""
        st = rec.state
        o = st.order
        status = st.status if st.status in ("resting", "canceled", "executed") else "canceled"
        return {
            "order_id": o.order_id,
            "user_id": rec.account,
            "client_order_id": o.client_order_id,
            "ticker": o.ticker,
            "side": rec.side,
            "action": rec.action,
            "outcome_side": o.outcome,
            "book_side": o.book_side,
            "type": "limit",
            "status": status,
            "yes_price_dollars": d4(o.price),
            "no_price_dollars": d4(ONE - o.price),
            "fill_count_fp": fmt_count(st.filled_count),
            "remaining_count_fp": fmt_count(st.remaining_count if status == "resting" else ZERO),
            "initial_count_fp": fmt_count(o.count),
            "taker_fill_cost_dollars": d4(rec.taker_fill_cost),
            "maker_fill_cost_dollars": d4(rec.maker_fill_cost),
            "taker_fees_dollars": d4(st.taker_fees),
            "maker_fees_dollars": d4(st.maker_fees),
            "expiration_time": iso(rec.expiration) if rec.expiration else None,
            "created_time": iso(rec.created),
            "last_update_time": iso(rec.last_update),
            "self_trade_prevention_type": o.self_trade_prevention,
            "order_group_id": rec.order_group_id or None,
            "subaccount_number": 0,
            "exchange_index": 0,
            "cancel_order_on_pause": False,
            "ts_ms": to_ms(rec.created),
        }

    def v2_create_dict(self, rec: OrderRecord) -> dict[str, Any]:
        """The V2 create response (KALSHI_API.md "Orders")."""
        st = rec.state
        avg_price = st.average_yes_price
        fees = st.taker_fees + st.maker_fees
        return {
            "order_id": st.order_id,
            "client_order_id": st.order.client_order_id,
            "fill_count": fmt_count(st.filled_count),
            "remaining_count": fmt_count(st.remaining_count if st.status == "resting" else ZERO),
            "average_fill_price": d4(avg_price) if avg_price is not None else None,
            "average_fee_paid": d4(fees / st.filled_count) if st.filled_count else None,
            "status": st.status,
            "ts_ms": to_ms(rec.created),
        }

    def position_dicts(self, account: str, *, historical: bool | None = False
                       ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Spec ``MarketPosition`` and ``EventPosition`` lists for ``account``.

        ``historical``: False (the live endpoint) leaves out positions archived behind the
        historical cutoff, True gives only those (``/historical/positions``), None gives all.
        """
        with self.lock:
            acct = self.account(account)
            market_rows = []
            events: dict[str, dict[str, Decimal]] = {}
            for t, p in sorted(acct.positions.items()):
                if historical is not None and self.position_is_historical(p) != historical:
                    continue
                resting = len(self.engine.resting_orders(ticker=t, account=account))
                market_rows.append({
                    "ticker": t,
                    "total_traded_dollars": d4(p.total_traded),
                    "position_fp": fmt_count(p.position),
                    "market_exposure_dollars": d4(p.cost_basis),
                    "realized_pnl_dollars": d4(p.realized_pnl),
                    "resting_orders_count": resting,
                    "fees_paid_dollars": d4(p.fees_paid),
                    "last_updated_ts": iso(p.last_updated or self.now()),
                    "exchange_index": 0,
                })
                ev = self.markets[t].spec["event_ticker"]
                agg = events.setdefault(ev, {"cost": ZERO, "shares": ZERO, "pnl": ZERO, "fees": ZERO})
                agg["cost"] += p.cost_basis
                agg["shares"] += abs(p.position)
                agg["pnl"] += p.realized_pnl
                agg["fees"] += p.fees_paid
            event_rows = [
                {
                    "event_ticker": ev,
                    "total_cost_dollars": d4(a["cost"]),
                    "total_cost_shares_fp": fmt_count(a["shares"]),
                    "event_exposure_dollars": d4(a["cost"]),
                    "realized_pnl_dollars": d4(a["pnl"]),
                    "fees_paid_dollars": d4(a["fees"]),
                }
                for ev, a in sorted(events.items())
            ]
            return market_rows, event_rows

    def balance_dict(self, account: str) -> dict[str, Any]:
        with self.lock:
            acct = self.account(account)
            value = sum((p.cost_basis for p in acct.positions.values()), ZERO)
            return {
                "balance": int((acct.cash * 100).to_integral_value(rounding=ROUND_FLOOR)),
                "portfolio_value": int((value * 100).to_integral_value(rounding=ROUND_FLOOR)),
                "updated_ts": int(self.now().timestamp()),
                "balance_dollars": d4(acct.cash),
            }

