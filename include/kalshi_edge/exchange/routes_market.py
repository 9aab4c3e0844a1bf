"""The simulator's public market-data REST routes: exchange status, series, events, markets, books, trades, candles."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from kalshi_edge.exchange.params import paginate, parse_iso, q_bool, q_int, q_list, ts_filter
from kalshi_edge.exchange.state import ApiError
from kalshi_edge.kalshi.money import ONE, ZERO, fmt_count, fmt_price

if TYPE_CHECKING:
    from kalshi_edge.exchange.state import Exchange


class MarketDataRoutes:
    """Handlers for ``/exchange``, ``/series``, ``/events`` and ``/markets`` (mixed into the Simulator)."""

    exchange: Exchange

    async def exchange_status(self, request: web.Request) -> web.Response:
        return web.json_response({"exchange_active": True, "trading_active": True,
                                  "exchange_estimated_resume_time": None})

    def _series_dict(self, s: dict[str, Any], include_volume: bool) -> dict[str, Any]:
        out = dict(s)
        # ``categories`` (3.3x, required by the SDK) lists the discovery categories; older series lack it.
        if not isinstance(out.get("categories"), list):
            out["categories"] = [out["category"]] if out.get("category") else []
        for k in ("tags", "settlement_sources", "additional_prohibitions"):
            out.setdefault(k, [])
        for k in ("contract_url", "contract_terms_url"):
            if out.get(k) is None:
                out[k] = ""
        if include_volume:
            vol = sum((m.volume for m in self.exchange.markets.values()
                       if m.spec["event_ticker"].split("-")[0] == s["ticker"]), ZERO)
            out["volume_fp"] = fmt_count(vol)
        return out

    async def series_list(self, request: web.Request) -> web.Response:
        cat = request.query.get("category")
        tags = set(q_list(request, "tags"))
        inc = q_bool(request, "include_volume")
        q_bool(request, "include_product_metadata")
        q_int(request, "min_updated_ts")
        out = [self._series_dict(s, inc) for s in self.exchange.series.values()
               if (not cat or s.get("category") == cat) and (not tags or tags & set(s.get("tags", [])))]
        return web.json_response({"series": out})

    async def series_one(self, request: web.Request) -> web.Response:
        s = self.exchange.series.get(request.match_info["series_ticker"])
        inc = q_bool(request, "include_volume")
        if s is None:
            raise ApiError(404, "not_found", f"series {request.match_info['series_ticker']!r} not found")
        return web.json_response({"series": self._series_dict(s, inc)})

    def _event_status(self, ev: str) -> str:
        statuses = {self.exchange.filter_status(self.exchange.status_of(m))
                    for m in self.exchange.markets.values() if m.spec["event_ticker"] == ev}
        for s in ("open", "unopened", "closed", "settled"):
            if s in statuses:
                return s
        return "open"

    def _markets_of(self, ev: str) -> list[dict[str, Any]]:
        return [self.exchange.market_dict(t) for t, m in self.exchange.markets.items() if m.spec["event_ticker"] == ev]

    async def events_list(self, request: web.Request) -> web.Response:
        nested = q_bool(request, "with_nested_markets")
        milestones = q_bool(request, "with_milestones")
        status = request.query.get("status")
        if status and status not in ("unopened", "open", "closed", "settled"):
            raise ApiError(400, "invalid_parameters", f"status: {status!r}")
        series = request.query.get("series_ticker")
        min_close = q_int(request, "min_close_ts")
        q_int(request, "min_updated_ts")
        with self.exchange.lock:
            rows = []
            for ev, e in self.exchange.events.items():
                if series and e["series_ticker"] != series:
                    continue
                if status and self._event_status(ev) != status:
                    continue
                if min_close is not None:
                    closes = [m.close_time.timestamp() for m in self.exchange.markets.values() if m.spec["event_ticker"] == ev]
                    if not closes or max(closes) < min_close:
                        continue
                rows.append(ev)
            page, cursor = paginate(rows, request, default=200, hi=200)
            events = []
            for ev in page:
                d = dict(self.exchange.events[ev])
                if nested:
                    d["markets"] = self._markets_of(ev)
                events.append(d)
        body: dict[str, Any] = {"events": events, "cursor": cursor}
        if milestones:
            body["milestones"] = []
        return web.json_response(body)

    async def event_one(self, request: web.Request) -> web.Response:
        ev = request.match_info["event_ticker"]
        nested = q_bool(request, "with_nested_markets")
        with self.exchange.lock:
            e = self.exchange.events.get(ev)
            if e is None:
                raise ApiError(404, "not_found", f"event {ev!r} not found")
            markets = self._markets_of(ev)
            d = dict(e)
            if nested:
                d["markets"] = markets
        return web.json_response({"event": d, "markets": markets})

    async def markets_list(self, request: web.Request) -> web.Response:
        q = request.query
        status = q.get("status")
        if status and status not in ("unopened", "open", "paused", "closed", "settled"):
            raise ApiError(400, "invalid_parameters", f"status: {status!r}")
        mve = q.get("mve_filter")
        if mve and mve not in ("only", "exclude"):
            raise ApiError(400, "invalid_parameters", f"mve_filter: {mve!r}")
        tickers = set(q_list(request, "tickers"))
        bounds = {n: q_int(request, n) for n in ("min_created_ts", "max_created_ts", "min_updated_ts",
                                                  "max_close_ts", "min_close_ts", "min_settled_ts", "max_settled_ts")}
        with self.exchange.lock:
            rows = []
            for t, ms in self.exchange.markets.items():
                if self.exchange.market_is_historical(ms):
                    continue  # archived: served by /historical/markets
                if q.get("event_ticker") and ms.spec["event_ticker"] not in q["event_ticker"].split(","):
                    continue
                if q.get("series_ticker") and ms.spec["event_ticker"].split("-")[0] != q["series_ticker"]:
                    continue
                if tickers and t not in tickers:
                    continue
                if status and self.exchange.filter_status(self.exchange.status_of(ms)) != status:
                    continue
                if mve == "only":
                    continue
                ct = ms.close_time.timestamp()
                if bounds["min_close_ts"] is not None and ct < bounds["min_close_ts"]:
                    continue
                if bounds["max_close_ts"] is not None and ct > bounds["max_close_ts"]:
                    continue
                created = parse_iso(ms.spec["created_time"]).timestamp()
                if bounds["min_created_ts"] is not None and created < bounds["min_created_ts"]:
                    continue
                if bounds["max_created_ts"] is not None and created > bounds["max_created_ts"]:
                    continue
                if bounds["min_settled_ts"] is not None or bounds["max_settled_ts"] is not None:
                    if ms.settled_time is None:
                        continue
                    st = ms.settled_time.timestamp()
                    if (bounds["min_settled_ts"] or -math.inf) > st or st > (bounds["max_settled_ts"] or math.inf):
                        continue
                rows.append(t)
            page, cursor = paginate(rows, request, default=100, hi=1000, lo=0)
            markets = [self.exchange.market_dict(t) for t in page]
        return web.json_response({"markets": markets, "cursor": cursor})

    async def market_one(self, request: web.Request) -> web.Response:
        return web.json_response({"market": self.exchange.market_dict(request.match_info["ticker"])})

    async def orderbook(self, request: web.Request) -> web.Response:
        depth = q_int(request, "depth", default=0, lo=0, hi=100)
        return web.json_response({"orderbook_fp": self.exchange.book_levels(request.match_info["ticker"], depth)})

    async def orderbooks(self, request: web.Request) -> web.Response:
        tickers = q_list(request, "tickers")
        if not tickers:
            raise ApiError(400, "invalid_parameters", "tickers: required (1..100)")
        if len(tickers) > 100:
            raise ApiError(400, "invalid_parameters", "tickers: at most 100")
        out = [{"ticker": t, "orderbook_fp": self.exchange.book_levels(t)}
               for t in dict.fromkeys(tickers) if t in self.exchange.markets]
        return web.json_response({"orderbooks": out})

    async def trades_list(self, request: web.Request) -> web.Response:
        ticker = request.query.get("ticker")
        with self.exchange.lock:
            rows = [t for t in reversed(self.exchange.trades)
                    if (not ticker or t["ticker"] == ticker) and ts_filter(parse_iso(t["created_time"]), request)
                    and not self.exchange.record_is_historical(t)]
            page, cursor = paginate(rows, request, default=100, hi=1000, lo=0)
        return web.json_response({"trades": [{"is_block_trade": False, **t} for t in page], "cursor": cursor})

    def _candles(self, ticker: str, start: int, end: int, period_min: int) -> list[dict[str, Any]]:
        """Recorded candles of the scenario plus candles built from the simulator's own trades."""
        rec = [c for c in self.exchange.scenario.candlesticks.get(ticker, []) if start <= c["end_period_ts"] <= end]
        period = period_min * 60
        buckets: dict[int, list[dict[str, Any]]] = {}
        for t in self.exchange.trades:
            if t["ticker"] != ticker or "ts_ms" not in t:
                continue
            end_ts = int(math.ceil(t["ts_ms"] / 1000 / period) * period)
            if start <= end_ts <= end:
                buckets.setdefault(end_ts, []).append(t)
        book = self.exchange.engine.book(ticker)
        yb = fmt_price(book.yes[0][0]) if book.yes else "0.0000"
        ya = fmt_price(ONE - book.no[0][0]) if book.no else "1.0000"
        flat = {"open_dollars": yb, "low_dollars": yb, "high_dollars": yb, "close_dollars": yb}
        flat_a = {"open_dollars": ya, "low_dollars": ya, "high_dollars": ya, "close_dollars": ya}
        have = {c["end_period_ts"] for c in rec}
        for end_ts, ts in sorted(buckets.items()):
            if end_ts in have:
                continue
            prices = [Decimal(t["yes_price_dollars"]) for t in ts]
            vol = sum((Decimal(t["count_fp"]) for t in ts), ZERO)
            mean = sum((Decimal(t["yes_price_dollars"]) * Decimal(t["count_fp"]) for t in ts), ZERO) / vol
            rec.append({
                "end_period_ts": end_ts,
                # quotes at candle time are not kept: the current top of book stands in (generated)
                "yes_bid": dict(flat), "yes_ask": dict(flat_a),
                "price": {"open_dollars": fmt_price(prices[0]), "low_dollars": fmt_price(min(prices)),
                          "high_dollars": fmt_price(max(prices)), "close_dollars": fmt_price(prices[-1]),
                          "mean_dollars": fmt_price(mean.quantize(Decimal("0.0001")))},
                "volume_fp": fmt_count(vol),
                "open_interest_fp": fmt_count(self.exchange.markets[ticker].open_interest),
            })
        return sorted(rec, key=lambda c: c["end_period_ts"])

    def _candle_params(self, request: web.Request, *, strict_period: bool) -> tuple[int, int, int]:
        start = q_int(request, "start_ts", required=True)
        end = q_int(request, "end_ts", required=True)
        period = q_int(request, "period_interval", required=True, lo=1)
        q_bool(request, "include_latest_before_start")
        assert start is not None and end is not None and period is not None
        if strict_period and period not in (1, 60, 1440):
            raise ApiError(400, "invalid_parameters", "period_interval: must be 1, 60 or 1440")
        if period > 10**6:
            raise ApiError(400, "invalid_parameters", "period_interval: too large")
        return start, end, period

    async def market_candles(self, request: web.Request) -> web.Response:
        start, end, period = self._candle_params(request, strict_period=True)
        ticker = request.match_info["ticker"]
        with self.exchange.lock:
            ms = self.exchange.market(ticker)
            if ms.spec["event_ticker"].split("-")[0] != request.match_info["series_ticker"]:
                raise ApiError(404, "not_found", f"market {ticker!r} is not in series {request.match_info['series_ticker']!r}")
            if self.exchange.market_is_historical(ms):
                raise ApiError(404, "not_found", f"market {ticker!r} is archived: use /historical/markets/{ticker}/candlesticks")
            candles = self._candles(ticker, start, end, period)
        return web.json_response({"ticker": ticker, "candlesticks": candles})

    async def batch_candles(self, request: web.Request) -> web.Response:
        tickers = q_list(request, "market_tickers")
        if not tickers:
            raise ApiError(400, "invalid_parameters", "market_tickers: required")
        start, end, period = self._candle_params(request, strict_period=False)
        with self.exchange.lock:
            out = [{"market_ticker": t, "candlesticks": self._candles(t, start, end, period)}
                   for t in dict.fromkeys(tickers) if t in self.exchange.markets]
        return web.json_response({"markets": out})
