"""Kalshi market data into the lake: the functions the family DAGs call.

Each ``*_rows`` function is pure (domain objects / payloads → a DataFrame in a dataset's schema)
and each ingest function fetches with a :class:`~kalshi_edge.kalshi.rest.KalshiRestClient`,
builds rows and writes with ``Lake.write(..., mode="merge")``. Rows are keyed on the logical
time ``as_of`` that the caller passes (an Airflow ``logical_date``), never on "now", so a rerun
of the same logical date writes the same keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from kalshi_edge.kalshi.datasets import (
    KALSHI_CANDLESTICKS,
    KALSHI_FORECAST_PERCENTILES,
    KALSHI_MARKETS,
    KALSHI_ORDERBOOK_SNAPSHOTS,
    KALSHI_TRADES,
    KALSHI_WEATHER_INDEX,
    KALSHI_WS_JOURNAL,
)
from kalshi_edge.kalshi.errors import KalshiSchemaError, PermanentError
from kalshi_edge.kalshi.journal import replay
from kalshi_edge.kalshi.models import Market, OrderBook, Trade
from kalshi_edge.kalshi.rest import KalshiRestClient
from kalshi_edge.lake import Dataset, Lake


def _utc(ts: datetime) -> datetime:
    if ts.tzinfo is None:
        raise ValueError(f"as_of {ts!r} must be timezone-aware")
    return ts.astimezone(UTC)


def _day(ts: datetime) -> str:
    return _utc(ts).strftime("%Y-%m-%d")


def _series_of(ticker: str) -> str:
    return ticker.split("-", 1)[0]


def _frame(ds: Dataset, rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=ds.schema.names)


# ---------------------------------------------------------------------------------------------
# row builders (pure)


def market_rows(markets: Iterable[Market], as_of: datetime, *, fetched_at: datetime | None = None) -> pd.DataFrame:
    """One ``kalshi_markets`` row per market, stamped with the logical snapshot time ``as_of``."""
    snap = _utc(as_of)
    rows = [
        {
            "snapshot_ts": snap, "date": _day(snap), "series_ticker": m.series_ticker or _series_of(m.ticker),
            "event_ticker": m.event_ticker, "ticker": m.ticker, "status": m.status, "result": m.result,
            "strike_type": m.strike_type, "floor_strike": m.floor_strike, "cap_strike": m.cap_strike,
            "yes_sub_title": m.yes_sub_title, "yes_bid": m.yes_bid, "yes_ask": m.yes_ask, "no_bid": m.no_bid,
            "no_ask": m.no_ask, "last_price": m.last_price, "volume": m.volume, "open_interest": m.open_interest,
            "close_time": m.close_time, "expiration_value": m.expiration_value,
            "price_level_structure": m.price_level_structure,
            "fee_waiver_expiration_time": m.fee_waiver_expiration_time,
            "fetched_at": fetched_at or snap,
        }
        for m in markets
    ]
    return _frame(KALSHI_MARKETS, rows)


def _candle_price(c: Mapping[str, Any], group: str, field: str, ctx: str) -> Decimal | None:
    g = c.get(group) or {}
    v = g.get(f"{field}_dollars", g.get(field))
    if v in (None, ""):
        return None
    if isinstance(v, int) and not isinstance(v, bool) and f"{field}_dollars" not in g:
        return Decimal(v) / 100  # legacy integer cents
    try:
        return Decimal(str(v))
    except Exception:
        raise KalshiSchemaError(f"{ctx}.{group}.{field}_dollars: {v!r} is not a number") from None


def candlestick_rows(
    payload: Mapping[str, Any] | Sequence[Mapping[str, Any]], *, ticker: str, series_ticker: str | None = None,
    period_minutes: int = 60,
) -> pd.DataFrame:
    """``kalshi_candlesticks`` rows from a candlesticks response (or its ``candlesticks`` list)."""
    candles = payload.get("candlesticks", []) if isinstance(payload, Mapping) else payload
    rows = []
    for i, c in enumerate(candles):
        ctx = f"candlesticks[{ticker}][{i}]"
        end = c.get("end_period_ts")
        if end is None:
            raise KalshiSchemaError(f"{ctx}.end_period_ts: missing")
        end_ts = datetime.fromtimestamp(int(end), tz=UTC)
        vol = c.get("volume_fp", c.get("volume"))
        oi = c.get("open_interest_fp", c.get("open_interest"))
        rows.append({
            "series_ticker": series_ticker or _series_of(ticker), "ticker": ticker,
            "period_minutes": period_minutes, "end_period_ts": end_ts, "date": _day(end_ts),
            **{f: _candle_price(c, "price", f, ctx) for f in ("open", "high", "low", "close", "mean", "previous")},
            "yes_bid_close": _candle_price(c, "yes_bid", "close", ctx),
            "yes_ask_close": _candle_price(c, "yes_ask", "close", ctx),
            "volume": None if vol is None else Decimal(str(vol)),
            "open_interest": None if oi is None else Decimal(str(oi)),
        })
    return _frame(KALSHI_CANDLESTICKS, rows)


def trade_rows(trades: Iterable[Trade]) -> pd.DataFrame:
    rows = []
    for t in trades:
        if t.created_time is None:
            raise KalshiSchemaError(f"trade[{t.trade_id}].created_time: missing")
        rows.append({
            "trade_id": t.trade_id, "series_ticker": _series_of(t.ticker), "ticker": t.ticker,
            "created_time": t.created_time, "date": _day(t.created_time), "yes_price": t.yes_price,
            "no_price": t.no_price, "count": t.count, "taker_side": t.taker_side,
        })
    return _frame(KALSHI_TRADES, rows)


def orderbook_rows(books: Iterable[OrderBook], as_of: datetime) -> pd.DataFrame:
    snap = _utc(as_of)
    rows = []
    for b in books:
        for side, levels in (("yes", b.yes_levels()), ("no", b.no_levels())):
            for lvl, (p, c) in enumerate(levels):
                rows.append({"snapshot_ts": snap, "date": _day(snap), "series_ticker": _series_of(b.ticker),
                             "ticker": b.ticker, "side": side, "level": lvl, "price": p, "count": c})
    return _frame(KALSHI_ORDERBOOK_SNAPSHOTS, rows)


def journal_rows(journal_path: Path | str, session: str | None = None) -> pd.DataFrame:
    """``kalshi_ws_journal`` rows from a JSONL journal (both directions; frames kept verbatim)."""
    path = Path(journal_path)
    sess = session or path.stem
    rows = []
    for n, e in enumerate(replay(path, direction=None)):
        ts = datetime.fromtimestamp(e.recv_ts_ms / 1000, tz=UTC)
        typ = sid = seq = ticker = None
        try:
            d = json.loads(e.frame)
        except ValueError:
            d = None
        if isinstance(d, dict):
            typ = d.get("type") or d.get("cmd")
            sid = d.get("sid") if isinstance(d.get("sid"), int) else None
            seq = d.get("seq") if isinstance(d.get("seq"), int) else None
            body = d.get("msg")
            ticker = body.get("market_ticker") if isinstance(body, dict) else None
        rows.append({"session": sess, "frame_no": n, "recv_ts": ts, "date": _day(ts), "direction": e.direction,
                     "type": typ, "sid": sid, "seq": seq, "market_ticker": ticker, "frame": e.frame})
    return _frame(KALSHI_WS_JOURNAL, rows)


# ---------------------------------------------------------------------------------------------
# ingest functions (fetch + write)


def _summary(ds: Dataset, res: Any, **extra: Any) -> dict[str, Any]:
    return {"dataset": ds.name, "rows_written": res.rows_written, "rows_quarantined": res.rows_quarantined,
            "partitions": len(res.partitions), **extra}


def snapshot_markets(
    client: KalshiRestClient, lake: Lake, series: str, as_of: datetime, *, status: str | None = None
) -> dict[str, Any]:
    """Snapshot every market of ``series`` (optionally by ``status``) at logical time ``as_of``."""
    markets = list(client.iter_markets(series_ticker=series, status=status))
    df = market_rows(markets, as_of, fetched_at=datetime.now(UTC))
    res = lake.write(KALSHI_MARKETS, df, source=f"{client.base_url}/markets?series_ticker={series}", mode="merge")
    return _summary(KALSHI_MARKETS, res, series=series, markets=len(markets))


def snapshot_orderbooks(
    client: KalshiRestClient, lake: Lake, tickers: Sequence[str], as_of: datetime, *, depth: int | None = None
) -> dict[str, Any]:
    """Snapshot the order books of ``tickers`` at logical time ``as_of``."""
    books = [client.get_orderbook(t, depth=depth) for t in tickers]
    res = lake.write(KALSHI_ORDERBOOK_SNAPSHOTS, orderbook_rows(books, as_of),
                     source=f"{client.base_url}/markets/*/orderbook", mode="merge")
    return _summary(KALSHI_ORDERBOOK_SNAPSHOTS, res, books=len(books))


def _historical_cutoff(client: KalshiRestClient) -> Any:
    """``GET /historical/cutoff``, or None from a server without the historical family (spec < 3.26)."""
    fn = getattr(client, "get_historical_cutoff", None)
    if fn is None:
        return None
    try:
        return fn()
    except PermanentError:
        return None


def ingest_candlesticks(
    client: KalshiRestClient, lake: Lake, series: str, tickers: Sequence[str], *, start: datetime, end: datetime,
    period_minutes: int = 60,
) -> dict[str, Any]:
    """Candlesticks of ``tickers`` over ``[start, end]`` (period 1, 60 or 1440 minutes).

    A market archived behind the historical cutoff (the live endpoint answers 404) is read from
    ``/historical/markets/{ticker}/candlesticks``; the rows are the same.
    """
    frames = []
    archived = 0
    for t in tickers:
        window = {"start_ts": int(_utc(start).timestamp()), "end_ts": int(_utc(end).timestamp()),
                  "period_interval": period_minutes}
        try:
            candles = client.get_candlesticks(series, t, **window)
        except PermanentError as exc:
            if exc.status != 404 or not hasattr(client, "get_historical_candlesticks"):
                raise
            candles = client.get_historical_candlesticks(t, **window)
            archived += 1
        frames.append(candlestick_rows(candles, ticker=t, series_ticker=series, period_minutes=period_minutes))
    df = pd.concat(frames, ignore_index=True) if frames else _frame(KALSHI_CANDLESTICKS, [])
    res = lake.write(KALSHI_CANDLESTICKS, df, source=f"{client.base_url}/series/{series}/markets/*/candlesticks",
                     mode="merge")
    return _summary(KALSHI_CANDLESTICKS, res, markets=len(tickers), archived_markets=archived)


def ingest_trades(
    client: KalshiRestClient, lake: Lake, *, ticker: str | None = None, start: datetime, end: datetime
) -> dict[str, Any]:
    """Public trades in ``[start, end]`` (one market or all).

    The part of the window older than the exchange's historical cutoff (``trades_created_ts``) is
    read from ``/historical/trades``, the rest from ``/markets/trades``: a backfill of old days
    gets the trades that have left the live endpoint.
    """
    lo, hi = int(_utc(start).timestamp()), int(_utc(end).timestamp())
    cut = _historical_cutoff(client)
    cut_ts = int(cut.trades_created.timestamp()) if cut is not None else None
    trades: list[Trade] = []
    historical = 0
    if cut_ts is not None and lo < cut_ts:
        old = list(client.iter_historical_trades(ticker=ticker, min_ts=lo, max_ts=min(hi, cut_ts)))
        historical = len(old)
        trades.extend(old)
    if cut_ts is None or hi >= cut_ts:
        seen = {t.trade_id for t in trades}
        trades.extend(t for t in client.iter_trades(ticker=ticker, min_ts=max(lo, cut_ts or lo), max_ts=hi)
                      if t.trade_id not in seen)
    res = lake.write(KALSHI_TRADES, trade_rows(trades), source=f"{client.base_url}/markets/trades", mode="merge")
    return _summary(KALSHI_TRADES, res, trades=len(trades), historical_trades=historical)


def ingest_ws_journal(lake: Lake, journal_path: Path | str, *, session: str | None = None) -> dict[str, Any]:
    """Store a WebSocket journal file in the lake (idempotent per session and frame number)."""
    df = journal_rows(journal_path, session)
    res = lake.write(KALSHI_WS_JOURNAL, df, source=str(journal_path), mode="merge")
    return _summary(KALSHI_WS_JOURNAL, res, frames=len(df))


def ingest_forecast_percentiles(
    client: KalshiRestClient, lake: Lake, series: str, event_ticker: str, *, percentiles: Sequence[int],
    start: datetime, end: datetime, period_interval: int = 60, fetched_at: datetime | None = None,
) -> dict[str, Any]:
    """``kalshi_forecast_percentiles`` rows for one event over ``[start, end]`` (merge on the key: reruns are idempotent)."""
    points = client.get_forecast_percentile_history(series, event_ticker, percentiles=percentiles,
                                                    start_ts=int(_utc(start).timestamp()),
                                                    end_ts=int(_utc(end).timestamp()), period_interval=period_interval)
    stamp = _utc(fetched_at) if fetched_at else _utc(end)
    rows = []
    for p in points:
        ts = datetime.fromtimestamp(p.end_period_ts, tz=UTC)
        for pct, value in sorted(p.values.items()):
            rows.append({"series_ticker": series, "event_ticker": p.event_ticker, "period_interval": p.period_interval,
                         "end_period_ts": ts, "date": _day(ts), "percentile": pct, "value": value,
                         "formatted": p.formatted.get(pct, ""), "fetched_at": stamp})
    res = lake.write(KALSHI_FORECAST_PERCENTILES, _frame(KALSHI_FORECAST_PERCENTILES, rows),
                     source=f"{client.base_url}/series/{series}/events/{event_ticker}/forecast_percentile_history",
                     mode="merge")
    return _summary(KALSHI_FORECAST_PERCENTILES, res, points=len(points))


def ingest_weather_index(
    client: KalshiRestClient, lake: Lake, city: str, *, last_sec: int | None = None, fetched_at: datetime | None = None,
) -> dict[str, Any]:
    """``kalshi_weather_index`` rows from ``GET /live_data/weather/{city}`` (merge on (city, t))."""
    pts = client.get_live_weather(city, last_sec=last_sec)
    stamp = _utc(fetched_at) if fetched_at else datetime.now(UTC)
    rows = []
    for p in pts:
        ts = datetime.fromtimestamp(p.t, tz=UTC)
        rows.append({"city": city, "t": ts, "date": _day(ts), "value": p.value, "status": p.status,
                     "units": p.units, "fetched_at": stamp})
    res = lake.write(KALSHI_WEATHER_INDEX, _frame(KALSHI_WEATHER_INDEX, rows),
                     source=f"{client.base_url}/live_data/weather/{city}", mode="merge")
    return _summary(KALSHI_WEATHER_INDEX, res, points=len(pts))
