"""The REST client's endpoints added after spec 3.13 (to 3.34), mixed into :class:`~kalshi_edge.kalshi.rest.KalshiRestClient`.

Orders (V2): :meth:`amend_order` (new total = filled + resting), :meth:`decrease_order_v2`,
:meth:`cancel_all_orders`, :meth:`batch_create_orders` (split to the tier's batch size, each order
idempotent by its ``client_order_id``), :meth:`batch_cancel_orders`. Order groups: create, get, list,
limit, trigger, reset, delete. Queue positions. Historical: cutoff, markets, market, candlesticks,
trades, fills, orders, positions. Event data: series/event fee changes, forecast percentile history,
the live weather index. Account limits and the exchange schedule.

Idempotency: every call that sets an absolute state (amend to a price and total, decrease *to*,
cancel, cancel-all, limit, trigger, reset, delete) is retried on temporary failures; a call that is
not (decrease *by*, group create) is sent once. Deletes and cancels that find the thing already gone
after a lost response report it as done.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kalshi_edge.kalshi.errors import KalshiSchemaError, PermanentError
from kalshi_edge.kalshi.models import (
    Fill,
    Market,
    Order,
    Position,
    Trade,
    parse_fill,
    parse_market,
    parse_order,
    parse_position,
    parse_trade,
)
from kalshi_edge.kalshi.models_334 import (
    AccountLimits,
    AmendResult,
    BatchCancelResult,
    BatchCreateResult,
    EventFeeChange,
    ForecastPoint,
    HistoricalCutoff,
    OrderGroup,
    QueuePosition,
    SeriesFeeChange,
    WeatherIndexPoint,
    parse_account_limits,
    parse_batch_cancel,
    parse_batch_create,
    parse_cutoff,
    parse_event_fee_change,
    parse_fill_summary,
    parse_forecast_history,
    parse_order_group,
    parse_queue_position,
    parse_series_fee_change,
    parse_weather_index,
)
from kalshi_edge.kalshi.money import fmt_count, fmt_price, parse_count, parse_price

if TYPE_CHECKING:
    from kalshi_edge.kalshi.rest import RateLimiter

#: Tokens one order costs against the write bucket (KALSHI_API.md "Rate limits").
ORDER_TOKENS = 10.0


class NewEndpoints:
    """Spec 3.14–3.34 endpoints (mixed into the REST client; uses its ``request``/``paginate``)."""

    limiter: RateLimiter | None

    if TYPE_CHECKING:  # provided by KalshiRestClient
        def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None,
                    retry: bool = True) -> Any: ...

        def get(self, path: str, **params: Any) -> Any: ...

        def paginate(self, path: str, key: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]: ...

        def get_order(self, order_id: str) -> Order: ...

        def find_order_by_client_id(self, client_order_id: str, *, ticker: str | None = None) -> Order | None: ...

    # -- orders (V2) ---------------------------------------------------------------------------
    def amend_order(self, order_id: str, *, ticker: str, side: str, price: object, count: object,
                    updated_client_order_id: str | None = None, expiration_time: int | None = None) -> AmendResult:
        """Amend a resting order: YES ``price`` and the new **total** ``count`` (filled + resting).

        Same price and no more contracts keeps the queue position; otherwise the order re-queues.
        Retried safely: the target is absolute, so a second send of a landed amend changes nothing.
        """
        if side not in ("bid", "ask"):
            raise PermanentError(f"side: {side!r} is not bid|ask")
        body: dict[str, Any] = {"ticker": ticker, "side": side, "price": fmt_price(parse_price(price, "price")),
                                "count": fmt_count(parse_count(count, "count"))}
        if updated_client_order_id:
            body["updated_client_order_id"] = updated_client_order_id
        if expiration_time is not None:
            body["expiration_time"] = int(expiration_time)
        resp = self.request("POST", f"/portfolio/events/orders/{order_id}/amend", json=body)
        return parse_fill_summary(resp, "amend")

    def decrease_order_v2(self, order_id: str, *, reduce_by: object = None, reduce_to: object = None) -> Decimal:
        """Shrink a resting order (keeps its place); returns the remaining count. ``reduce_to`` is retried, ``reduce_by`` is not."""
        if (reduce_by is None) == (reduce_to is None):
            raise PermanentError("decrease: give exactly one of reduce_by / reduce_to")
        body = ({"reduce_by": fmt_count(parse_count(reduce_by, "reduce_by"))} if reduce_by is not None
                else {"reduce_to": fmt_count(parse_count(reduce_to, "reduce_to"))})
        resp = self.request("POST", f"/portfolio/events/orders/{order_id}/decrease", json=body,
                            retry=reduce_to is not None)
        rem = resp.get("remaining_count")
        if rem is None:
            raise KalshiSchemaError("decrease response.remaining_count: missing")
        return parse_count(rem, "decrease.remaining_count")

    def cancel_all_orders(self, *, ticker: str | None = None, event_ticker: str | None = None) -> list[tuple[str, Decimal]]:
        """Cancel every resting order (optionally of one market or event): ``[(order_id, reduced_by)]``."""
        resp = self.request("DELETE", "/portfolio/events/orders", params={"ticker": ticker, "event_ticker": event_ticker})
        return [(str(o.get("order_id")), parse_count(o.get("reduced_by") or "0", "reduced_by"))
                for o in (resp.get("orders") or [])]

    def batch_size(self) -> int:
        """Orders per batched call for this account: from ``GET /account/limits``, else the configured tier."""
        try:
            return self.get_account_limits().batch_size(ORDER_TOKENS)
        except (PermanentError, KalshiSchemaError):
            if self.limiter is None:
                return 20
            return max(1, int(self.limiter.write.capacity // ORDER_TOKENS))

    def batch_create_orders(self, orders: Sequence[Mapping[str, Any]], *, batch_size: int | None = None
                            ) -> list[BatchCreateResult]:
        """Create many V2 orders (``{"ticker", "side", "count", "price", ...}``); one result per order, in order.

        A ``client_order_id`` is added to each order that lacks one, so the batch is retried safely
        after a lost response: an order that already landed comes back as ``order_already_exists``
        and is answered from a lookup. Split into calls of :meth:`batch_size` orders.
        """
        prepared = []
        for o in orders:
            d = dict(o)
            d.setdefault("client_order_id", str(uuid.uuid4()))
            d.setdefault("time_in_force", "good_till_canceled")
            d.setdefault("self_trade_prevention_type", "taker_at_cross")
            d["count"] = fmt_count(parse_count(d["count"], "count"))
            d["price"] = fmt_price(parse_price(d["price"], "price"))
            prepared.append(d)
        size = batch_size or self.batch_size()
        out: list[BatchCreateResult] = []
        for start in range(0, len(prepared), size):
            chunk = prepared[start:start + size]
            resp = self.request("POST", "/portfolio/events/orders/batched", json={"orders": chunk})
            results = parse_batch_create(resp)
            if len(results) != len(chunk):
                raise KalshiSchemaError(f"batch create: {len(results)} results for {len(chunk)} orders")
            for r, sent in zip(results, chunk, strict=True):
                coid = r.client_order_id or sent["client_order_id"]
                summary, error = r.summary, r.error
                if error is not None and error.code == "order_already_exists":  # an earlier send landed
                    existing = self.find_order_by_client_id(coid, ticker=sent["ticker"])
                    if existing is not None:
                        summary, error = parse_fill_summary({
                            "order_id": existing.order_id, "client_order_id": coid,
                            "fill_count": str(existing.fill_count), "remaining_count": str(existing.remaining_count)}), None
                out.append(BatchCreateResult(index=start + r.index, client_order_id=coid, summary=summary, error=error))
        return out

    def batch_cancel_orders(self, order_ids: Sequence[str], *, batch_size: int | None = None) -> list[BatchCancelResult]:
        """Cancel many orders; one result per id (an order already gone is reported with its error)."""
        size = batch_size or self.batch_size()
        out: list[BatchCancelResult] = []
        for start in range(0, len(order_ids), size):
            chunk = list(order_ids[start:start + size])
            resp = self.request("DELETE", "/portfolio/events/orders/batched",
                                json={"orders": [{"order_id": i} for i in chunk]})
            out.extend(BatchCancelResult(index=start + r.index, order_id=r.order_id, reduced_by=r.reduced_by, error=r.error)
                       for r in parse_batch_cancel(resp))
        return out

    # -- queue positions -------------------------------------------------------------------------
    def get_queue_position(self, order_id: str) -> Decimal:
        """Contracts ahead of a resting order at its price."""
        body = self.get(f"/portfolio/orders/{order_id}/queue_position")
        return parse_queue_position(body).ahead

    def get_queue_positions(self, *, market_tickers: Sequence[str] = (), event_ticker: str | None = None
                            ) -> list[QueuePosition]:
        body = self.get("/portfolio/orders/queue_positions",
                        market_tickers=",".join(market_tickers) or None, event_ticker=event_ticker)
        return [parse_queue_position(d, f"queue_positions[{i}]") for i, d in enumerate(body.get("queue_positions") or [])]

    # -- order groups ------------------------------------------------------------------------------
    def create_order_group(self, contracts_limit: object) -> str:
        """A new order group with a rolling 15-second ``contracts_limit``; returns its id (sent once)."""
        lim = parse_count(contracts_limit, "contracts_limit")
        body: dict[str, Any] = {"contracts_limit_fp": fmt_count(lim)}
        if lim == lim.to_integral_value():
            body["contracts_limit"] = int(lim)
        resp = self.request("POST", "/portfolio/order_groups/create", json=body, retry=False)
        gid = resp.get("order_group_id")
        if not gid:
            raise KalshiSchemaError(f"order group create: no order_group_id in {resp!r}")
        return str(gid)

    def get_order_group(self, group_id: str) -> OrderGroup:
        return parse_order_group(self.get(f"/portfolio/order_groups/{group_id}"), group_id)

    def list_order_groups(self) -> list[OrderGroup]:
        return [parse_order_group(g) for g in (self.get("/portfolio/order_groups").get("order_groups") or [])]

    def set_order_group_limit(self, group_id: str, contracts_limit: object) -> None:
        lim = parse_count(contracts_limit, "contracts_limit")
        self.request("PUT", f"/portfolio/order_groups/{group_id}/limit", json={"contracts_limit_fp": fmt_count(lim)})

    def trigger_order_group(self, group_id: str) -> None:
        """Trip the group by hand: its resting orders are canceled, new ones refused until reset."""
        self.request("PUT", f"/portfolio/order_groups/{group_id}/trigger", json={})

    def reset_order_group(self, group_id: str) -> None:
        """Clear a tripped group's matched-contracts counter so it accepts orders again."""
        self.request("PUT", f"/portfolio/order_groups/{group_id}/reset", json={})

    def delete_order_group(self, group_id: str) -> None:
        """Delete a group (cancels its orders). A retry that finds it already gone counts as done."""
        try:
            self.request("DELETE", f"/portfolio/order_groups/{group_id}")
        except PermanentError as exc:
            if exc.status != 404:
                raise

    # -- historical --------------------------------------------------------------------------------
    def get_historical_cutoff(self) -> HistoricalCutoff:
        return parse_cutoff(self.get("/historical/cutoff"))

    def iter_historical_markets(self, *, event_ticker: str | None = None, series_ticker: str | None = None,
                                tickers: Sequence[str] = ()) -> Iterator[Market]:
        params = {"event_ticker": event_ticker, "series_ticker": series_ticker,
                  "tickers": ",".join(tickers) or None, "limit": 1000}
        for m in self.paginate("/historical/markets", "markets", params):
            yield parse_market(m)

    def get_historical_market(self, ticker: str) -> Market:
        body = self.get(f"/historical/markets/{ticker}")
        if not isinstance(body.get("market"), Mapping):
            raise KalshiSchemaError(f"GET /historical/markets/{ticker}.market: missing")
        return parse_market(body["market"])

    def get_historical_candlesticks(self, ticker: str, *, start_ts: int, end_ts: int, period_interval: int = 60
                                    ) -> list[dict[str, Any]]:
        """Raw historical candles (``open``/``close``... strings without ``_dollars``; ``volume``, ``open_interest``)."""
        if period_interval not in (1, 60, 1440):
            raise PermanentError(f"period_interval: {period_interval} is not 1, 60 or 1440")
        body = self.get(f"/historical/markets/{ticker}/candlesticks", start_ts=start_ts, end_ts=end_ts,
                        period_interval=period_interval)
        if "candlesticks" not in body:
            raise KalshiSchemaError(f"GET historical candlesticks {ticker}.candlesticks: missing")
        return list(body["candlesticks"])

    def iter_historical_trades(self, *, ticker: str | None = None, min_ts: int | None = None,
                               max_ts: int | None = None) -> Iterator[Trade]:
        for t in self.paginate("/historical/trades", "trades",
                               {"ticker": ticker, "min_ts": min_ts, "max_ts": max_ts, "limit": 1000}):
            yield parse_trade(t)

    def iter_historical_fills(self, *, ticker: str | None = None, max_ts: int | None = None) -> Iterator[Fill]:
        for f in self.paginate("/historical/fills", "fills", {"ticker": ticker, "max_ts": max_ts, "limit": 1000}):
            yield parse_fill(f)

    def iter_historical_orders(self, *, ticker: str | None = None, max_ts: int | None = None) -> Iterator[Order]:
        for o in self.paginate("/historical/orders", "orders", {"ticker": ticker, "max_ts": max_ts, "limit": 1000}):
            yield parse_order(o)

    def get_historical_positions(self, *, ticker: str | None = None, event_ticker: str | None = None
                                 ) -> dict[str, Position]:
        rows = self.paginate("/historical/positions", "market_positions",
                             {"ticker": ticker, "event_ticker": event_ticker, "limit": 1000})
        return {p.ticker: p for p in map(parse_position, rows)}

    # -- event data ------------------------------------------------------------------------------
    def get_series_fee_changes(self, *, series_ticker: str | None = None, show_historical: bool = False
                               ) -> list[SeriesFeeChange]:
        body = self.get("/series/fee_changes", series_ticker=series_ticker,
                        show_historical="true" if show_historical else None)
        return [parse_series_fee_change(c) for c in (body.get("series_fee_change_arr") or [])]

    def iter_event_fee_changes(self, *, event_ticker: str | None = None) -> Iterator[EventFeeChange]:
        for c in self.paginate("/events/fee_changes", "event_fee_changes", {"event_ticker": event_ticker, "limit": 1000}):
            yield parse_event_fee_change(c)

    def get_forecast_percentile_history(self, series_ticker: str, event_ticker: str, *, percentiles: Sequence[int],
                                        start_ts: int, end_ts: int, period_interval: int = 60) -> list[ForecastPoint]:
        """Market-implied forecast percentiles of an event (percentiles in basis points, 0..10000, at most 10)."""
        if not percentiles or len(percentiles) > 10 or any(not 0 <= p <= 10000 for p in percentiles):
            raise PermanentError("percentiles: 1..10 values, each 0..10000 basis points")
        if period_interval not in (0, 1, 60, 1440):
            raise PermanentError(f"period_interval: {period_interval} is not 0, 1, 60 or 1440")
        body = self.request("GET", f"/series/{series_ticker}/events/{event_ticker}/forecast_percentile_history",
                            params={"percentiles": [int(p) for p in percentiles], "start_ts": start_ts,
                                    "end_ts": end_ts, "period_interval": period_interval})
        return parse_forecast_history(body)

    def get_live_weather(self, city: str, *, last_sec: int | None = None) -> list[WeatherIndexPoint]:
        """``GET /live_data/weather/{city}``: the exchange's live temperature index for a city."""
        return parse_weather_index(self.get(f"/live_data/weather/{city}", last_sec=last_sec))

    # -- account, exchange -------------------------------------------------------------------------
    def get_account_limits(self) -> AccountLimits:
        return parse_account_limits(self.get("/account/limits"))

    def get_exchange_schedule(self) -> dict[str, Any]:
        return dict(self.get("/exchange/schedule"))


