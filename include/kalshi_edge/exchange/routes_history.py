"""The simulator's historical and event-data routes: /historical/*, fee changes, forecast percentiles, live weather, schedule.

* ``/historical/cutoff|markets[/{ticker}[/candlesticks]]|trades|fills|orders|positions`` serve what
  :class:`~kalshi_edge.exchange.historical.HistoricalArchive` has moved behind the cutoff.
* ``/series/fee_changes`` and ``/events/fee_changes`` serve the scenario's ``fee_changes``
  (``{"series": [SeriesFeeChange], "events": [EventFeeChange]}``; empty unless a scenario has them).
* ``/series/{s}/events/{e}/forecast_percentile_history`` is the market-implied forecast: the
  event's ladder priced at the current book mids, normalised, read at the asked percentiles
  (basis points, 0..10000). The simulator keeps no book history, so it answers one point, now.
* ``/live_data/weather/{city}`` serves the scenario's ``live_weather[city]`` (404 otherwise).
* ``/exchange/schedule``: open around the clock, no maintenance windows.
* ``/series/{s}/events/{e}/candlesticks`` (each market's candles), ``/events/{e}/metadata`` (no
  images: empty strings) and ``/events/multivariate`` (none in the simulator: an empty page).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from kalshi_edge.exchange.params import ACCOUNT, paginate, parse_iso, q_int, q_list, ts_filter
from kalshi_edge.exchange.scenario import iso
from kalshi_edge.exchange.state import ApiError
from kalshi_edge.kalshi.money import ONE, ZERO

if TYPE_CHECKING:
    from kalshi_edge.exchange.state import Exchange, MarketState

_DAY = [{"open_time": "00:00", "close_time": "23:59"}]


def implied_percentiles(markets: list[MarketState], mids: list[Decimal], percentiles: list[int]
                        ) -> list[tuple[int, float]]:
    """Percentile (basis points) → value of the market-implied distribution of an event's strike ladder.

    Each market covers ``[floor, cap]`` (``less``: up to cap, ``greater``: from floor); its YES mid
    is its probability mass, normalised over the ladder; within a bucket the mass is uniform
    (tails get the width of their neighbour). Returns an empty list when the ladder has no strikes.
    """
    buckets: list[tuple[float, float, float]] = []
    for ms, mid in zip(markets, mids, strict=True):
        s = ms.spec
        lo, hi = s.get("floor_strike"), s.get("cap_strike")
        kind = s.get("strike_type")
        if kind in ("less", "less_or_equal") and hi is not None:
            buckets.append((float("-inf"), float(hi), float(mid)))
        elif kind in ("greater", "greater_or_equal") and lo is not None:
            buckets.append((float(lo), float("inf"), float(mid)))
        elif kind == "between" and lo is not None and hi is not None:
            buckets.append((float(lo), float(hi), float(mid)))
    total = sum(b[2] for b in buckets)
    if not buckets or total <= 0:
        return []
    buckets.sort(key=lambda b: (b[0], b[1]))
    width = min((b[1] - b[0] for b in buckets if b[0] > float("-inf") and b[1] < float("inf")), default=2.0) or 2.0
    out = []
    for p in percentiles:
        target, acc = p / 10000 * total, 0.0
        value = buckets[-1][0] if buckets[-1][0] > float("-inf") else buckets[-1][1]
        for lo, hi, mass in buckets:
            lo_f = hi - width if lo == float("-inf") else lo
            hi_f = lo + width if hi == float("inf") else hi
            if acc + mass >= target and mass > 0:
                value = lo_f + (hi_f - lo_f) * (target - acc) / mass
                break
            acc += mass
        out.append((p, round(value, 4)))
    return out


class HistoryRoutes:
    """Handlers for ``/historical/*`` and the event-data endpoints (mixed into the Simulator)."""

    exchange: Exchange

    # ------------------------------------------------------------------ historical
    async def historical_cutoff(self, request: web.Request) -> web.Response:
        return web.json_response(self.exchange.cutoff_dict())

    def _historical_market(self, ticker: str) -> MarketState:
        ms = self.exchange.markets.get(ticker)
        if ms is None or not self.exchange.market_is_historical(ms):
            raise ApiError(404, "not_found", f"market {ticker!r} is not in the historical archive")
        return ms

    async def historical_markets(self, request: web.Request) -> web.Response:
        q = request.query
        tickers = set(q_list(request, "tickers"))
        ex = self.exchange
        with ex.lock:
            rows = [t for t, ms in ex.markets.items() if ex.market_is_historical(ms)
                    and (not tickers or t in tickers)
                    and (not q.get("event_ticker") or ms.spec["event_ticker"] == q["event_ticker"])
                    and (not q.get("series_ticker") or ms.spec["event_ticker"].split("-")[0] == q["series_ticker"])]
            page, cursor = paginate(rows, request, default=100, hi=1000, lo=0)
            return web.json_response({"markets": [ex.market_dict(t) for t in page], "cursor": cursor})

    async def historical_market(self, request: web.Request) -> web.Response:
        with self.exchange.lock:
            self._historical_market(request.match_info["ticker"])
            return web.json_response({"market": self.exchange.market_dict(request.match_info["ticker"])})

    async def historical_candles(self, request: web.Request) -> web.Response:
        start, end, period = self._candle_params(request, strict_period=True)  # type: ignore[attr-defined]
        ticker = request.match_info["ticker"]
        with self.exchange.lock:
            self._historical_market(ticker)
            candles = self._candles(ticker, start, end, period)  # type: ignore[attr-defined]
        return web.json_response({"ticker": ticker,
                                  "candlesticks": [self.exchange.historical_candle(c) for c in candles]})

    async def historical_trades(self, request: web.Request) -> web.Response:
        ticker = request.query.get("ticker")
        with self.exchange.lock:
            rows = [{"is_block_trade": False, **t} for t in reversed(self.exchange.trades)
                    if self.exchange.record_is_historical(t) and (not ticker or t["ticker"] == ticker)
                    and ts_filter(parse_iso(t["created_time"]), request)]
        page, cursor = paginate(rows, request, default=100, hi=1000, lo=0)
        return web.json_response({"trades": page, "cursor": cursor})

    async def historical_fills(self, request: web.Request) -> web.Response:
        ticker = request.query.get("ticker")
        with self.exchange.lock:
            rows = [f for f in reversed(self.exchange.account(request[ACCOUNT]).fills)
                    if self.exchange.record_is_historical(f) and (not ticker or f["ticker"] == ticker)
                    and ts_filter(parse_iso(f["created_time"]), request)]
        page, cursor = paginate(rows, request, default=100, hi=1000)
        return web.json_response({"fills": page, "cursor": cursor})

    async def historical_orders(self, request: web.Request) -> web.Response:
        ticker = request.query.get("ticker")
        ex = self.exchange
        with ex.lock:
            recs = [ex.orders[o] for o in reversed(ex.account(request[ACCOUNT]).order_ids)]
            rows = [ex.order_dict(r) for r in recs if ex.order_is_historical(r)
                    and (not ticker or r.state.order.ticker == ticker) and ts_filter(r.created, request)]
        page, cursor = paginate(rows, request, default=100, hi=1000)
        return web.json_response({"orders": page, "cursor": cursor})

    async def historical_positions(self, request: web.Request) -> web.Response:
        markets, events = self.exchange.position_dicts(request[ACCOUNT], historical=True)
        ticker, ev = request.query.get("ticker"), request.query.get("event_ticker")
        if ticker:
            markets = [m for m in markets if m["ticker"] == ticker]
        if ev:
            markets = [m for m in markets if self.exchange.markets[m["ticker"]].spec["event_ticker"] == ev]
            events = [e for e in events if e["event_ticker"] == ev]
        page, cursor = paginate(markets, request, default=100, hi=1000)
        return web.json_response({"market_positions": page, "event_positions": events, "cursor": cursor})

    # ------------------------------------------------------------------ event data
    def _fee_changes(self, kind: str) -> list[dict[str, Any]]:
        return list((self.exchange.scenario.fee_changes or {}).get(kind, []))

    async def series_fee_changes(self, request: web.Request) -> web.Response:
        series = request.query.get("series_ticker")
        show_hist = request.query.get("show_historical", "false").lower() in ("true", "1")
        now = self.exchange.now()
        rows = [c for c in self._fee_changes("series") if (not series or c["series_ticker"] == series)
                and (show_hist or parse_iso(c["scheduled_ts"]) >= now)]
        return web.json_response({"series_fee_change_arr": rows})

    async def event_fee_changes(self, request: web.Request) -> web.Response:
        ev = request.query.get("event_ticker")
        rows = [c for c in self._fee_changes("events") if not ev or c["event_ticker"] == ev]
        page, cursor = paginate(rows, request, default=100, hi=1000)
        return web.json_response({"event_fee_changes": page, "cursor": cursor})

    async def forecast_history(self, request: web.Request) -> web.Response:
        ex = self.exchange
        ev = request.match_info["ticker"]
        if ev not in ex.events or ex.events[ev].get("series_ticker") != request.match_info["series_ticker"]:
            raise ApiError(404, "not_found", f"event {ev!r} not found in series {request.match_info['series_ticker']!r}")
        raw = q_list(request, "percentiles")
        if not raw or len(raw) > 10:
            raise ApiError(400, "invalid_parameters", "percentiles: 1..10 values required")
        try:
            pcts = [int(x) for x in raw]
        except ValueError:
            raise ApiError(400, "invalid_parameters", f"percentiles: {raw!r} are not integers") from None
        if any(not 0 <= p <= 10000 for p in pcts):
            raise ApiError(400, "invalid_parameters", "percentiles: each must be 0..10000 (basis points)")
        start = q_int(request, "start_ts", required=True)
        end = q_int(request, "end_ts", required=True)
        period = q_int(request, "period_interval", required=True)
        if period not in (0, 1, 60, 1440):
            raise ApiError(400, "invalid_parameters", "period_interval: must be 0, 1, 60 or 1440")
        assert start is not None and end is not None and period is not None
        with ex.lock:
            now_ts = int(ex.now().timestamp())
            ladder = [ms for ms in ex.markets.values() if ms.spec["event_ticker"] == ev]
            mids = []
            for ms in ladder:
                b = ex.engine.book(ms.spec["ticker"])
                bid = b.best_yes_bid or ZERO
                ask = b.best_yes_ask if b.best_yes_ask is not None else ONE
                mids.append((bid + ask) / 2)
            points = implied_percentiles(ladder, mids, pcts)
        unit = "°" if "HIGH" in ev else ""
        history = []
        if points and start <= now_ts <= end:
            step = max(period * 60, 5)
            history.append({"event_ticker": ev, "end_period_ts": -(-now_ts // step) * step, "period_interval": period,
                            "percentile_points": [{"percentile": p, "raw_numerical_forecast": v,
                                                   "numerical_forecast": round(v, 1),
                                                   "formatted_forecast": f"{round(v, 1):g}{unit}"} for p, v in points]})
        return web.json_response({"forecast_history": history})

    async def live_weather(self, request: web.Request) -> web.Response:
        city = request.match_info["city"]
        data = (self.exchange.scenario.live_weather or {}).get(city)
        if data is None:
            raise ApiError(404, "not_found", f"no live weather index for city {city!r}")
        last = q_int(request, "last_sec", lo=1, hi=10**7)
        lo = q_int(request, "from")
        hi = q_int(request, "to")
        now_ts = int(self.exchange.now().timestamp())
        pts = [p for p in data.get("timeseries", []) if p["t"] <= now_ts
               and (last is None or p["t"] >= now_ts - last) and (lo is None or p["t"] >= lo)
               and (hi is None or p["t"] <= hi)]
        return web.json_response({"city": city, "config_version": data.get("config_version"),
                                  "units": data.get("units", "F"), "timeseries": pts})

    async def event_candles(self, request: web.Request) -> web.Response:
        """``GET /series/{s}/events/{e}/candlesticks``: every market's candles of the event, side by side."""
        ex = self.exchange
        ev = request.match_info["ticker"]
        if ev not in ex.events or ex.events[ev].get("series_ticker") != request.match_info["series_ticker"]:
            raise ApiError(404, "not_found", f"event {ev!r} not found in series {request.match_info['series_ticker']!r}")
        start, end, period = self._candle_params(request, strict_period=True)  # type: ignore[attr-defined]
        with ex.lock:
            tickers = [t for t, ms in ex.markets.items() if ms.spec["event_ticker"] == ev]
            candles = [self._candles(t, start, end, period) for t in tickers]  # type: ignore[attr-defined]
        return web.json_response({"market_tickers": tickers, "market_candlesticks": candles,
                                  "adjusted_end_ts": min(end, int(ex.now().timestamp()))})

    async def event_metadata(self, request: web.Request) -> web.Response:
        ev = self.exchange.events.get(request.match_info["event_ticker"])
        if ev is None:
            raise ApiError(404, "not_found", f"event {request.match_info['event_ticker']!r} not found")
        series = self.exchange.series.get(ev.get("series_ticker", ""), {})
        tickers = [t for t, ms in self.exchange.markets.items() if ms.spec["event_ticker"] == ev["event_ticker"]]
        return web.json_response({"image_url": "", "market_details": [
            {"market_ticker": t, "image_url": "", "color_code": ""} for t in tickers],
            "settlement_sources": list(ev.get("settlement_sources") or series.get("settlement_sources") or [])})

    async def multivariate_events(self, request: web.Request) -> web.Response:
        """The simulator has no multivariate (KXMVE) events: an empty, well-formed page."""
        paginate([], request, default=100, hi=200)
        return web.json_response({"events": [], "cursor": ""})

    async def exchange_schedule(self, request: web.Request) -> web.Response:
        c = self.exchange.scenario.clock_start
        start, end = iso(c - timedelta(days=366)), iso(c + timedelta(days=366))
        week = {d: _DAY for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
        return web.json_response({"schedule": {"standard_hours": [{"start_time": start, "end_time": end, **week}],
                                               "maintenance_windows": []}})
